//! A validated [`Model`] against the policy: its namespace, limits, images, Ingress annotations
//! and seed bases. Every refusal is at the spec's field and names the policy entry.

use super::model::Policy;
use super::secrets::SecretRefusal;
use crate::k8s::Quantity;
use crate::spec::model::{ExternalSecret, Model, Seed};
use crate::spec::problem::{Problem, key_path};

/// Every way `model` goes beyond `policy`.
pub fn check(model: &Model, policy: &Policy) -> Vec<Problem> {
    let mut problems = Vec::new();
    namespace(model, policy, &mut problems);
    limits(model, policy, &mut problems);
    images(model, policy, &mut problems);
    annotations(model, policy, &mut problems);
    seed_bases(model, policy, &mut problems);
    let app = &model.app;
    problems.extend(secret_sources(
        &model.secrets,
        |store| policy.may_use_store(app, store),
        |key| policy.may_use_key(app, key),
    ));
    problems
}

/// Every store and remote key of `secrets` that the platform does not allow `app`, at the spec's
/// field: `may_use_store` and `may_use_key` say why not. Without a policy no store is allowed, so
/// a spec with `secrets` needs one.
pub fn secret_sources(
    secrets: &[ExternalSecret],
    may_use_store: impl Fn(&str) -> Result<(), SecretRefusal>,
    may_use_key: impl Fn(&str) -> Result<(), SecretRefusal>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for secret in secrets {
        let path = key_path("spec.secrets", &secret.name);
        if let Err(why) = may_use_store(&secret.store) {
            problems.push(Problem::error(format!("{path}.store"), why.to_string()));
        }
        for data in &secret.data {
            if let Err(why) = may_use_key(&data.key) {
                let at = format!("{}.key", key_path(&format!("{path}.data"), &data.secret_key));
                problems.push(Problem::error(at, why.to_string()));
            }
        }
        for (i, key) in secret.data_from.iter().enumerate() {
            if let Err(why) = may_use_key(key) {
                problems.push(Problem::error(format!("{path}.dataFrom[{i}]"), why.to_string()));
            }
        }
    }
    problems
}

/// The namespace is the policy's: a `spec.namespace` that renders to anything else is refused.
fn namespace(model: &Model, policy: &Policy, problems: &mut Vec<Problem>) {
    let entry = policy.entry("namespace");
    match policy.namespace.evaluate(&model.app, &model.pr) {
        Ok(expected) if expected == model.namespace => {}
        Ok(expected) => problems.push(Problem::error(
            "spec.namespace",
            format!(
                "gives `{}`, but a preview's namespace is the platform's: {entry} (`{}`) gives `{expected}`; leave \
                 `spec.namespace` out",
                model.namespace, policy.namespace.text
            ),
        )),
        Err(e) => problems.push(Problem::error("spec.pullRequest", format!("{entry}: {e}"))),
    }
}

/// Sums over what runs: each service's replicas, each data store.
struct Sums {
    cpu: f64,
    memory: f64,
    storage: f64,
}

fn sums(model: &Model) -> Sums {
    let mut s = Sums { cpu: 0.0, memory: 0.0, storage: 0.0 };
    for service in &model.services {
        let replicas = f64::from(service.replicas.max(0));
        s.cpu += replicas * service.resources.cpu_request.value();
        s.memory += replicas * service.resources.memory_limit.value();
    }
    for store in &model.stores {
        s.cpu += store.resources.cpu_request.value();
        s.memory += store.resources.memory_limit.value();
        s.storage += store.storage.value();
    }
    s
}

fn limits(model: &Model, policy: &Policy, problems: &mut Vec<Problem>) {
    let limits = &policy.limits;
    let count = model.services.len() + model.stores.len();
    if count > usize::try_from(limits.services).unwrap_or(usize::MAX) {
        problems.push(Problem::error(
            "spec",
            format!(
                "{count} services and data stores; {} allows at most {} per preview",
                policy.entry("limits.services"),
                limits.services
            ),
        ));
    }
    let sums = sums(model);
    let mut over = |what: &str, entry: &str, sum: f64, limit: &Quantity, shown: String| {
        if limit.is_exceeded_by(sum) {
            problems.push(Problem::error(
                "spec",
                format!(
                    "the preview's {what} add up to {shown}; {} allows at most {} per preview",
                    policy.entry(entry),
                    limit
                ),
            ));
        }
    };
    over("CPU requests (replicas times each request)", "limits.cpu", sums.cpu, &limits.cpu, cores(sums.cpu));
    over("memory limits (replicas times each limit)", "limits.memory", sums.memory, &limits.memory, bytes(sums.memory));
    over("data store volumes", "limits.storage", sums.storage, &limits.storage, bytes(sums.storage));
    if model.ttl.seconds() > limits.ttl.seconds() {
        problems.push(Problem::error(
            "spec.ttl",
            format!("`{}` is longer than {} allows, at most {}", model.ttl, policy.entry("limits.ttl"), limits.ttl),
        ));
    }
    for service in &model.services {
        if u32::try_from(service.replicas).unwrap_or(0) > limits.replicas {
            problems.push(Problem::error(
                format!("{}.replicas", key_path("spec.services", &service.name)),
                format!(
                    "{} replicas; {} allows at most {} of one service",
                    service.replicas,
                    policy.entry("limits.replicas"),
                    limits.replicas
                ),
            ));
        }
    }
}

fn cores(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Bytes in the largest binary unit that shows them as at least 1 (`31Gi`, `4.5Gi`, `512Mi`).
fn bytes(value: f64) -> String {
    let units = [("Ti", 4), ("Gi", 3), ("Mi", 2), ("Ki", 1)];
    let (unit, power) = units.into_iter().find(|(_, p)| value >= 1024f64.powi(*p)).unwrap_or(("", 0));
    format!("{}{unit}", cores(value / 1024f64.powi(power)))
}

fn images(model: &Model, policy: &Policy, problems: &mut Vec<Problem>) {
    let mut refuse = |path: String, image: &str| {
        if let Some(why) = image_refusal(policy, image) {
            problems.push(Problem::error(path, why));
        }
    };
    for service in &model.services {
        refuse(format!("{}.image", key_path("spec.services", &service.name)), &service.image);
    }
    for store in &model.stores {
        let path = key_path("spec.dataStores", &store.name);
        let path = if matches!(store.seed, Seed::Image { .. }) {
            format!("{path}.seed.image")
        } else {
            format!("{path}.image")
        };
        refuse(path, &store.image);
    }
}

/// Why `policy` refuses `image` (its `images` prefixes), or `None` when it allows it.
pub fn image_refusal(policy: &Policy, image: &str) -> Option<String> {
    if policy.allows_image(image) {
        return None;
    }
    let prefixes: Vec<String> = policy.images.iter().map(|p| format!("`{p}`")).collect();
    Some(format!(
        "`{image}` is not from a registry the platform allows: {} accepts images starting with {}",
        policy.entry("images"),
        prefixes.join(", ")
    ))
}

fn annotations(model: &Model, policy: &Policy, problems: &mut Vec<Problem>) {
    for key in model.ingress.annotations.keys() {
        if let Some(why) = annotation_refusal(policy, key) {
            problems.push(Problem::error(key_path("spec.ingress.annotations", key), why));
        }
    }
}

/// Why `policy`'s `ingressAnnotations` allowlist refuses `key` on a preview's Ingress, or `None`
/// when it allows it (or lists none). kpreview's own denylist is [`crate::spec::annotation_problem`].
pub fn annotation_refusal(policy: &Policy, key: &str) -> Option<String> {
    let allowed = policy.ingress_annotations.as_ref()?;
    if allowed.iter().any(|a| a == key) {
        return None;
    }
    let accepted = if allowed.is_empty() {
        "it allows none".to_owned()
    } else {
        format!("it allows {}", allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", "))
    };
    Some(format!(
        "`{key}` is not an annotation the platform allows on a preview's Ingresses: {} lists them, and {accepted}",
        policy.entry("ingressAnnotations")
    ))
}

fn seed_bases(model: &Model, policy: &Policy, problems: &mut Vec<Problem>) {
    for store in &model.stores {
        let Seed::Velero { namespace: base, .. } = &store.seed else { continue };
        let path = format!("{}.seed.velero.namespace", key_path("spec.dataStores", &store.name));
        if policy.namespace.could_be(base) {
            problems.push(Problem::error(
                &path,
                format!(
                    "`{base}` has the shape of a preview's namespace ({} is `{}`); a preview never restores \
                     another preview's data, seed from a base namespace",
                    policy.entry("namespace"),
                    policy.namespace.text
                ),
            ));
        }
        let Some(bases) = &policy.seed_bases else { continue };
        let allowed = bases.get(&model.app).map(Vec::as_slice).unwrap_or_default();
        if !allowed.iter().any(|a| a == base) {
            let accepted = match allowed {
                [] => format!("it lists none for `{}`", model.app),
                list => format!("accepted: {}", list.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")),
            };
            problems.push(Problem::error(
                path,
                format!(
                    "`{base}` is not a seed base of app `{}`: {} decides, and {accepted}",
                    model.app,
                    policy.entry(&key_path("seedBases", &model.app))
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn sums_of_bytes_are_shown_in_the_largest_unit_that_fits() {
        let mi = 1024.0 * 1024.0;
        assert_eq!(bytes(31744.0 * mi), "31Gi");
        assert_eq!(bytes(4608.0 * mi), "4.5Gi");
        assert_eq!(bytes(512.0 * mi), "512Mi");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0 * mi), "3Ti");
        assert_eq!(bytes(100.0), "100");
    }
}
