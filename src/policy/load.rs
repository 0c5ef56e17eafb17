//! Text → [`Policy`]: parse under the spec's budgets, report every unknown field and every bad
//! value at its path, and fill what the file leaves out from [`super::builtin`].

use std::collections::BTreeMap;

use super::builtin;
use super::model::{Gateway, Limits, Platform, Policy, Secrets};
use super::namespace::NamespaceTemplate;
use super::types::{API_VERSION, KIND, LimitsFile, PlatformFile, PolicyFile, SecretsFile};
use crate::k8s::naming::is_dns1123_label;
use crate::k8s::{Duration, Measure, Quantity};
use crate::spec::problem::{Problem, Seg, did_you_mean, key_path, render_path};
use crate::yaml::{self, Limits as Budget};

/// A policy that cannot be used: every problem in it, each at its path.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file} is not a valid PreviewPolicy; the platform must fix it:{}", list(.problems))]
pub struct PolicyError {
    /// The policy's file, as given.
    pub file: String,
    /// Its problems.
    pub problems: Vec<Problem>,
}

fn list(problems: &[Problem]) -> String {
    use std::fmt::Write;
    problems.iter().fold(String::new(), |mut out, p| {
        let _ = write!(out, "\n  error: {p}");
        out
    })
}

/// Reads the policy text of the file `file` (named so in messages).
pub fn read(text: &str, file: &str) -> Result<Policy, PolicyError> {
    let source = format!("the policy {file}");
    let tracked = yaml::from_str_tracked::<PolicyFile>(text, Budget::Spec);
    let mut problems: Vec<Problem> = tracked.unknown.iter().take(50).map(|path| unknown(path)).collect();
    let written = match tracked.value {
        Ok(written) => written,
        Err(e) => {
            problems.push(Problem::error(e.path.clone(), e.message.clone()));
            return Err(PolicyError { file: file.to_owned(), problems });
        }
    };
    let policy = validate(written, source, &mut problems);
    if problems.is_empty() { Ok(policy) } else { Err(PolicyError { file: file.to_owned(), problems }) }
}

fn validate(written: PolicyFile, source: String, problems: &mut Vec<Problem>) -> Policy {
    for (path, given, expected) in [("apiVersion", &written.api_version, API_VERSION), ("kind", &written.kind, KIND)] {
        match given.as_deref() {
            Some(found) if found == expected => {}
            Some(found) => problems.push(Problem::error(path, format!("expected `{expected}`, found `{found}`"))),
            None => problems.push(Problem::error(path, format!("missing: a policy starts with `{path}: {expected}`"))),
        }
    }
    let mut policy = builtin::policy();
    policy.source = source;
    if let Some(text) = &written.namespace {
        match NamespaceTemplate::parse(text) {
            Ok(template) => policy.namespace = template,
            Err(e) => problems.push(Problem::error("namespace", e.to_string())),
        }
    }
    if let Some(platform) = written.platform {
        policy.platform = self::platform(platform, problems);
    }
    if let Some(limits) = written.limits {
        policy.limits = self::limits(limits, problems);
    }
    if let Some(images) = written.images {
        for (i, prefix) in images.iter().enumerate() {
            if prefix.is_empty() || prefix.chars().any(|c| c.is_whitespace() || c.is_ascii_uppercase()) {
                problems.push(Problem::error(
                    format!("images[{i}]"),
                    format!("`{prefix}` is not an image prefix: a registry and path such as `registry.example.com/`"),
                ));
            }
        }
        policy.images = images;
    }
    if let Some(keys) = written.ingress_annotations {
        for (i, key) in keys.iter().enumerate() {
            if key.is_empty() || key.chars().any(char::is_whitespace) {
                problems.push(Problem::error(
                    format!("ingressAnnotations[{i}]"),
                    format!("`{key}` is not an annotation key"),
                ));
            }
        }
        policy.ingress_annotations = Some(keys);
    }
    if let Some(bases) = written.seed_bases {
        labels_by_app("seedBases", &bases, problems);
        policy.seed_bases = Some(bases);
    }
    if let Some(secrets) = written.secrets {
        policy.secrets = self::secrets(secrets, problems);
    }
    policy
}

fn label(path: String, value: &str, problems: &mut Vec<Problem>) {
    if !is_dns1123_label(value) {
        problems.push(Problem::error(
            path,
            format!("`{value}` is not a namespace name: lowercase letters, digits and `-`, at most 63 characters"),
        ));
    }
}

fn platform(written: PlatformFile, problems: &mut Vec<Problem>) -> Platform {
    let builtin = builtin::platform();
    let mut one = |field: &str, value: Option<String>, default: Option<String>| {
        value.inspect(|v| label(format!("platform.{field}"), v, problems)).or(default)
    };
    let velero = one("velero", written.velero, builtin.velero);
    let staging = one("staging", written.staging, builtin.staging);
    let ingress_controller = one("ingressController", written.ingress_controller, builtin.ingress_controller);
    let gateway = written.gateway.and_then(|g| {
        if let (Some(name), Some(namespace)) = (g.name, g.namespace) {
            label("platform.gateway.namespace".to_owned(), &namespace, problems);
            Some(Gateway { name, namespace })
        } else {
            problems.push(Problem::error("platform.gateway", "give both `name` and `namespace` of the shared Gateway"));
            None
        }
    });
    Platform { velero, staging, ingress_controller, gateway }
}

fn limits(written: LimitsFile, problems: &mut Vec<Problem>) -> Limits {
    let builtin = builtin::limits();
    let mut count = |field: &str, value: Option<u32>, default: u32| match value {
        Some(0) => {
            problems.push(Problem::error(format!("limits.{field}"), "expected a whole number from 1"));
            default
        }
        Some(n) => n,
        None => default,
    };
    let services = count("services", written.services, builtin.services);
    let replicas = count("replicas", written.replicas, builtin.replicas);
    let mut amount = |field: &str, value: Option<String>, default: Quantity, measure: Measure| {
        let Some(text) = value else { return default };
        match Quantity::parse_as(&text, measure) {
            Ok(quantity) if quantity.value() > 0.0 => quantity,
            Ok(_) => {
                problems.push(Problem::error(format!("limits.{field}"), format!("`{text}` is not above zero")));
                default
            }
            Err(e) => {
                problems.push(Problem::error(format!("limits.{field}"), e.to_string()));
                default
            }
        }
    };
    let cpu = amount("cpu", written.cpu, builtin.cpu, Measure::Cpu);
    let memory = amount("memory", written.memory, builtin.memory, Measure::Bytes);
    let storage = amount("storage", written.storage, builtin.storage, Measure::Bytes);
    let ttl = written.ttl.map_or(builtin.ttl.clone(), |text| {
        Duration::parse(&text).unwrap_or_else(|e| {
            problems.push(Problem::error("limits.ttl", e.to_string()));
            builtin.ttl
        })
    });
    Limits { services, replicas, cpu, memory, storage, ttl }
}

fn labels_by_app(field: &str, map: &BTreeMap<String, Vec<String>>, problems: &mut Vec<Problem>) {
    for (app, names) in map {
        for (i, name) in names.iter().enumerate() {
            label(format!("{}[{i}]", key_path(field, app)), name, problems);
        }
    }
}

fn secrets(written: SecretsFile, problems: &mut Vec<Problem>) -> Secrets {
    let stores = written.stores.unwrap_or_default();
    for (i, store) in stores.iter().enumerate() {
        if !crate::k8s::naming::is_dns_subdomain(store) {
            problems.push(Problem::error(format!("secrets.stores[{i}]"), format!("`{store}` is not a store name")));
        }
    }
    let keys = written.keys.unwrap_or_default();
    for (app, prefixes) in &keys {
        for (i, prefix) in prefixes.iter().enumerate() {
            if prefix.is_empty() || super::secrets::has_dot_segment(prefix) {
                problems.push(Problem::error(
                    format!("{}[{i}]", key_path("secrets.keys", app)),
                    format!("`{prefix}` is not a key prefix: a non-empty path without `.` or `..` segments, such as `shop/preview/`"),
                ));
            }
        }
    }
    Secrets { stores, keys }
}

/// The fields a policy accepts under `parent`.
fn known(parent: &[Seg]) -> &'static [&'static str] {
    let keys: Vec<&str> = parent.iter().map(|s| if let Seg::Key(k) = s { k.as_str() } else { "" }).collect();
    match keys.as_slice() {
        [] => &[
            "apiVersion",
            "kind",
            "metadata",
            "namespace",
            "platform",
            "limits",
            "images",
            "ingressAnnotations",
            "seedBases",
            "secrets",
        ],
        ["metadata"] => &["name"],
        ["platform"] => &["velero", "staging", "ingressController", "gateway"],
        ["platform", "gateway"] => &["name", "namespace"],
        ["limits"] => &["services", "replicas", "cpu", "memory", "storage", "ttl"],
        ["secrets"] => &["stores", "keys"],
        _ => &[],
    }
}

fn unknown(path: &[Seg]) -> Problem {
    let Some((Seg::Key(name), parent)) = path.split_last() else {
        return Problem::error(render_path(path), "unexpected value");
    };
    let known = known(parent);
    let message = match did_you_mean(name, known.iter().copied()) {
        Some(guess) => format!("unknown field `{name}`, did you mean `{guess}`?"),
        None if known.is_empty() => format!("unknown field `{name}`"),
        None => format!(
            "unknown field `{name}`; accepted: {}",
            known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        ),
    };
    Problem::error(render_path(path), message)
}

/// The platform's policy is input given to the command (`--policy`), so a bad one is an input
/// error, even though the platform rather than the pull request must fix it.
impl crate::fault::HasFault for PolicyError {
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::Input
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewPolicy\n";

    fn errors(text: &str) -> Vec<String> {
        read(text, "p.yaml").unwrap_err().problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_spec_s_example_reads_and_fills_the_rest() {
        let text = format!(
            "{HEAD}namespace: \"{{{{ name }}}}-pr-{{{{ pr.number }}}}\"\nplatform: {{velero: velero, staging: staging, ingressController: ingress-nginx, gateway: {{name: previews, namespace: gateway-system}}}}\nlimits: {{services: 40, replicas: 3, cpu: \"8\", memory: 16Gi, storage: 200Gi}}\nimages: [registry.example.com/, docker.io/library/]\ningressAnnotations: [alb.ingress.kubernetes.io/group.name]\nseedBases: {{shop: [preview-base]}}\nsecrets: {{stores: [preview-secrets], keys: {{shop: [shop/preview/]}}}}\n"
        );
        let p = read(&text, "p.yaml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.limits.replicas, 3);
        assert!((p.limits.cpu.value() - 8.0).abs() < f64::EPSILON);
        assert_eq!(p.platform.gateway.as_ref().map(|g| g.name.as_str()), Some("previews"));
        assert_eq!(p.source, "the policy p.yaml");
        let partial = read(&format!("{HEAD}limits: {{cpu: \"4\"}}\n"), "p.yaml").unwrap();
        assert_eq!(partial.limits.services, builtin::SERVICES);
        assert_eq!(partial.platform, builtin::platform());
    }

    #[test]
    fn unknown_fields_and_bad_values_are_reported_at_their_paths() {
        let text = format!(
            "{HEAD}namespace: \"{{{{ name }}}}\"\nlimit: {{}}\nplatform: {{velro: x, staging: Staging}}\nlimits: {{cpu: lots, replicas: 0}}\nsecrets: {{keys: {{shop: [\"shop/../prod\"]}}}}\n"
        );
        assert_eq!(
            errors(&text),
            [
                "limit: unknown field `limit`, did you mean `limits`?",
                "platform.velro: unknown field `velro`, did you mean `velero`?",
                "namespace: `{{ name }}` does not hold `{{ pr.number }}`, so pull requests would share it; a namespace template is lowercase letters, digits and `-` with `{{ name }}`, `{{ pr.number }}`, `{{ pr.branchSlug }}` or `{{ pr.shortSha }}`, and must hold `{{ pr.number }}`, such as `{{ name }}-pr-{{ pr.number }}`",
                "platform.staging: `Staging` is not a namespace name: lowercase letters, digits and `-`, at most 63 characters",
                "limits.replicas: expected a whole number from 1",
                "limits.cpu: `lots` is not a Kubernetes quantity; write one such as `100m`, `0.5` or `2`",
                "secrets.keys.shop[0]: `shop/../prod` is not a key prefix: a non-empty path without `.` or `..` segments, such as `shop/preview/`",
            ]
        );
        assert_eq!(
            errors("kind: Preview\n")[0],
            "apiVersion: missing: a policy starts with `apiVersion: kpreview.dev/v1alpha1`"
        );
        assert!(errors(&format!("{HEAD}limits: {{services: many}}\n"))[0].starts_with("limits.services"));
    }
}
