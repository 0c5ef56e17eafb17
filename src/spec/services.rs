//! Validation of `spec.services` and `spec.dependencies`: images, ports, hosts, environment, and
//! the resolution of every `dependsOn` name to a preview service, a data store, another pull
//! request's preview, a fixed URL or staging. Ends with the dependency depths (or the cycle).

use std::collections::{BTreeMap, BTreeSet};

use super::check::{check_image_template, is_env_name, upper_snake};
use super::defaults::{MAX_REPLICAS, REPLICAS, SERVICE_RESOURCES};
use super::graph::depths;
use super::model::{Dependency, EnvValue, EnvVar, Ingress, SecretRef, Service, Store, Target};
use super::problem::{did_you_mean, key_path};
use super::resources::resources;
use super::types::{PreviewSpec, ServiceSpec};
use super::validate::Ctx;
use crate::render::naming::{MAX_LABEL, fit, is_dns1035_label};

/// Where names that are not services or stores go.
struct External {
    /// `spec.dependencies` entries, resolved.
    declared: BTreeMap<String, (Target, String)>,
    /// The staging URL template for everything else.
    staging_url: String,
}

pub(crate) fn validate(
    ctx: &mut Ctx<'_>,
    spec: &PreviewSpec,
    namespace: &str,
    stores: &[Store],
    ingress: &Ingress,
    own_pr: u64,
) -> Vec<Service> {
    let external = dependencies(ctx, spec, own_pr);
    let mut services = Vec::new();
    for (name, written) in &spec.services {
        let path = key_path("spec.services", name);
        if !is_dns1035_label(name) {
            ctx.problems.error(
                &path,
                format!("`{name}` is not a valid service name: a DNS-1035 label (lowercase letters, digits and `-`, starting with a letter, at most {MAX_LABEL} characters)"),
            );
        }
        if let Some(service) = service(ctx, &path, name, written, spec, stores, &external, namespace, ingress) {
            services.push(service);
        }
    }
    let unused: Vec<&String> =
        external.declared.keys().filter(|dep| !spec.services.values().any(|s| s.depends_on.contains(dep))).collect();
    for dep in unused {
        ctx.problems.warning(key_path("spec.dependencies", dep), format!("no service depends on `{dep}`"));
    }
    layer(ctx, spec, &mut services);
    services
}

fn dependencies(ctx: &mut Ctx<'_>, spec: &PreviewSpec, own_pr: u64) -> External {
    let mut declared = BTreeMap::new();
    for (name, dep) in &spec.dependencies {
        let path = key_path("spec.dependencies", name);
        if !is_dns1035_label(name) {
            ctx.problems.error(&path, format!("`{name}` is not a service name (a DNS-1035 label)"));
            continue;
        }
        if spec.services.contains_key(name) || spec.data_stores.contains_key(name) {
            ctx.problems.error(&path, format!("`{name}` runs in this preview; remove it from dependencies"));
            continue;
        }
        if dep.preview.invalid().is_some() {
            continue;
        }
        let resolved = match (dep.preview.get(), &dep.url) {
            (Some(pr), None) => other_preview(ctx, &path, spec, name, pr, own_pr),
            (None, Some(url)) => ctx.template(&format!("{path}.url"), url).and_then(|url| {
                if url.contains("://") && !url.chars().any(char::is_whitespace) {
                    Some((Target::Url, url))
                } else {
                    ctx.problems.error(
                        format!("{path}.url"),
                        format!("`{url}` is not a URL such as `https://payments.example.com`"),
                    );
                    None
                }
            }),
            _ => {
                ctx.problems.error(&path, "set exactly one of `preview` (a pull request number) and `url`");
                None
            }
        };
        if let Some(resolved) = resolved {
            declared.insert(name.clone(), resolved);
        }
    }
    let staging_url = spec.staging.as_ref().and_then(|s| s.url.clone()).unwrap_or_default();
    External { declared, staging_url }
}

/// `dependencies.X.preview: N`: the namespace template evaluated for pull request N, and the
/// staging URL template pointed at that namespace.
fn other_preview(
    ctx: &mut Ctx<'_>,
    path: &str,
    spec: &PreviewSpec,
    name: &str,
    pr: u64,
    own_pr: u64,
) -> Option<(Target, String)> {
    if pr == 0 || pr == own_pr {
        ctx.problems.error(format!("{path}.preview"), format!("`{pr}` is not another pull request"));
        return None;
    }
    let mut vars = ctx.vars.clone();
    vars.pr = crate::template::PrVars { number: pr, ..Default::default() };
    vars.namespace = None;
    let template = spec.namespace.as_deref().unwrap_or_default();
    let namespace = match ctx.templates.render(template, &vars) {
        Ok(ns) => fit(&ns, MAX_LABEL),
        Err(e) => {
            ctx.problems
                .error(format!("{path}.preview"), format!("the namespace of pull request {pr} cannot be known: {e}"));
            return None;
        }
    };
    vars.staging.namespace.clone_from(&namespace);
    vars.service = Some(name.to_owned());
    let url_template = spec.staging.as_ref().and_then(|s| s.url.as_deref()).unwrap_or_default();
    match ctx.templates.render(url_template, &vars) {
        Ok(url) => Some((Target::OtherPreview { pr, namespace }, url)),
        Err(e) => {
            ctx.problems.error("spec.staging.url", e);
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn service(
    ctx: &mut Ctx<'_>,
    path: &str,
    name: &str,
    written: &ServiceSpec,
    spec: &PreviewSpec,
    stores: &[Store],
    external: &External,
    namespace: &str,
    ingress: &Ingress,
) -> Option<Service> {
    let image = if let Some(source) = &written.image {
        ctx.template(&format!("{path}.image"), source)
    } else {
        ctx.problems.error(format!("{path}.image"), "missing: every service needs an image");
        None
    };
    if let (Some(image), Some(source)) = (&image, &written.image)
        && let Err(e) = check_image_template(image, source)
    {
        ctx.problems.error(format!("{path}.image"), e);
    }
    if written.port.get() == Some(0) {
        ctx.problems.error(format!("{path}.port"), "0 is not a port; expected a whole number from 1 to 65535");
    }
    let host = if written.expose.get() == Some(true) {
        exposed_host(ctx, path, name, written, namespace, ingress)
    } else {
        None
    };
    let list = |ctx: &mut Ctx<'_>, field: &str, items: &Option<Vec<String>>| {
        items.as_ref().map(|items| {
            items
                .iter()
                .enumerate()
                .map(|(i, item)| ctx.template(&format!("{path}.{field}[{i}]"), item).unwrap_or_default())
                .collect::<Vec<_>>()
        })
    };
    let command = list(ctx, "command", &written.command);
    let args = list(ctx, "args", &written.args);
    let migrate = list(ctx, "migrate", &written.migrate);
    if migrate.as_ref().is_some_and(Vec::is_empty) {
        ctx.problems.error(
            format!("{path}.migrate"),
            "an empty command; give the migration command such as [./manage.py, migrate]",
        );
    }
    if let Some(health) = &written.health_path {
        if !health.starts_with('/') || health.chars().any(char::is_whitespace) {
            ctx.problems
                .error(format!("{path}.healthPath"), format!("`{health}` is not an HTTP path such as `/healthz`"));
        }
        if written.port.is_absent() {
            ctx.problems.error(format!("{path}.healthPath"), "an HTTP readiness check needs `port`");
        }
    }
    if written.run_as_user.get().is_some_and(|uid| uid <= 0) {
        ctx.problems.error(format!("{path}.runAsUser"), "previews run as non-root: give a user id above 0");
    }
    let replicas = written.replicas.get().unwrap_or(REPLICAS);
    if replicas > MAX_REPLICAS {
        ctx.problems
            .error(format!("{path}.replicas"), format!("a preview runs at most {MAX_REPLICAS} replicas of a service"));
    }
    let replicas = i32::try_from(replicas.min(MAX_REPLICAS)).unwrap_or(1);
    let depends_on = resolve(ctx, path, written, spec, stores, external);
    let env = environment(ctx, path, written, &depends_on, stores);
    let resources = resources(ctx, &format!("{path}.resources"), written.resources.as_ref(), SERVICE_RESOURCES);
    Some(Service {
        name: name.to_owned(),
        image: image?,
        port: written.port.get().filter(|p| *p > 0),
        host,
        command,
        args,
        env,
        depends_on,
        migrate,
        replicas,
        health_path: written.health_path.clone(),
        resources,
        run_as_user: written.run_as_user.get(),
        depth: 0,
    })
}

fn exposed_host(
    ctx: &mut Ctx<'_>,
    path: &str,
    name: &str,
    written: &ServiceSpec,
    namespace: &str,
    ingress: &Ingress,
) -> Option<String> {
    if written.port.is_absent() {
        ctx.problems.error(format!("{path}.expose"), "an exposed service needs `port`");
    }
    let Some(domain) = &ingress.domain else {
        ctx.problems.error(
            format!("{path}.expose"),
            "an exposed service needs `spec.domain` for its host `<service>-<namespace>.<domain>`",
        );
        return None;
    };
    let host = format!("{}.{domain}", fit(&format!("{name}-{namespace}"), MAX_LABEL));
    if host.len() > 253 {
        ctx.problems.error(
            format!("{path}.expose"),
            format!("the host `{host}` is longer than 253 characters; shorten `spec.domain`"),
        );
    }
    Some(host)
}

fn resolve(
    ctx: &mut Ctx<'_>,
    path: &str,
    written: &ServiceSpec,
    spec: &PreviewSpec,
    stores: &[Store],
    external: &External,
) -> Vec<Dependency> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, dep) in written.depends_on.iter().enumerate() {
        let at = format!("{path}.dependsOn[{i}]");
        if !is_dns1035_label(dep) {
            ctx.problems.error(&at, format!("`{dep}` is not a service name (a DNS-1035 label)"));
            continue;
        }
        if !seen.insert(dep.as_str()) {
            ctx.problems.warning(&at, format!("`{dep}` is listed twice"));
            continue;
        }
        let env = format!("{}_URL", upper_snake(dep));
        let resolved = if let Some(target) = spec.services.get(dep) {
            if target.port.is_absent() {
                ctx.problems.warning(&at, format!("`{dep}` has no port: it orders the rollout but gets no `{env}`"));
            }
            Some((Target::Service, format!("http://{dep}")))
        } else if let Some(store) = stores.iter().find(|s| &s.name == dep) {
            let password = store.credentials.as_ref().map(|_| format!("{}_PASSWORD", upper_snake(dep)));
            Some((Target::Store { engine: store.engine }, store.engine.url(dep, password.as_deref())))
        } else if spec.data_stores.contains_key(dep) {
            None
        } else if let Some(declared) = external.declared.get(dep) {
            Some(declared.clone())
        } else if spec.dependencies.contains_key(dep) {
            None
        } else {
            near_miss(ctx, &at, dep, spec);
            staging_url(ctx, &external.staging_url, dep).map(|url| (Target::Staging, url))
        };
        if let Some((target, url)) = resolved {
            out.push(Dependency { name: dep.clone(), env, target, url });
        }
    }
    out
}

/// A staging-bound name that is one or two edits from a name of this preview is probably a typo.
fn near_miss(ctx: &mut Ctx<'_>, at: &str, dep: &str, spec: &PreviewSpec) {
    let local = spec.services.keys().chain(spec.data_stores.keys()).chain(spec.dependencies.keys());
    let close = local.filter(|name| strsim::damerau_levenshtein(dep, name) <= 2).map(String::as_str);
    if let Some(guess) = did_you_mean(dep, close) {
        ctx.problems
            .warning(at, format!("`{dep}` is not part of this preview and goes to staging; did you mean `{guess}`?"));
    }
}

fn staging_url(ctx: &mut Ctx<'_>, template: &str, service: &str) -> Option<String> {
    let mut vars = ctx.vars.clone();
    vars.service = Some(service.to_owned());
    match ctx.templates.render(template, &vars) {
        Ok(url) => Some(url),
        Err(e) => {
            ctx.problems.error("spec.staging.url", e);
            None
        }
    }
}

fn environment(
    ctx: &mut Ctx<'_>,
    path: &str,
    written: &ServiceSpec,
    deps: &[Dependency],
    stores: &[Store],
) -> Vec<EnvVar> {
    let mut env: Vec<EnvVar> = Vec::new();
    for dep in deps {
        if let Target::Store { .. } = dep.target
            && let Some(secret) = stores.iter().find(|s| s.name == dep.name).and_then(|s| s.credentials.clone())
        {
            env.push(EnvVar {
                name: format!("{}_PASSWORD", upper_snake(&dep.name)),
                value: EnvValue::Secret(SecretRef { ..secret }),
            });
        }
    }
    for dep in deps {
        env.push(EnvVar { name: dep.env.clone(), value: EnvValue::Literal(dep.url.clone()) });
    }
    for (name, source) in &written.env {
        let at = key_path(&format!("{path}.env"), name);
        if !is_env_name(name) {
            ctx.problems.error(
                &at,
                format!(
                    "`{name}` is not an environment variable name (letters, digits and `_`, not starting with a digit)"
                ),
            );
            continue;
        }
        let Some(value) = ctx.template(&at, source) else {
            continue;
        };
        if let Some(existing) = env.iter_mut().find(|e| &e.name == name) {
            ctx.problems.warning(&at, format!("`{name}` replaces the value kpreview derives from dependsOn"));
            existing.value = EnvValue::Literal(value);
        } else {
            env.push(EnvVar { name: name.clone(), value: EnvValue::Literal(value) });
        }
    }
    env
}

fn layer(ctx: &mut Ctx<'_>, spec: &PreviewSpec, services: &mut [Service]) {
    let edges: BTreeMap<&str, Vec<&str>> = spec
        .services
        .iter()
        .map(|(name, s)| {
            (
                name.as_str(),
                s.depends_on.iter().map(String::as_str).filter(|d| spec.services.contains_key(*d)).collect(),
            )
        })
        .collect();
    match depths(&edges) {
        Ok(depths) => {
            for service in services {
                service.depth = depths.get(&service.name).copied().unwrap_or(0);
            }
        }
        Err(cycle) => {
            let first = cycle.0.first().cloned().unwrap_or_default();
            ctx.problems.error(
                format!("{}.dependsOn", key_path("spec.services", &first)),
                format!("dependency cycle {cycle}: services of a preview must start in some order; break the cycle or move one side to `dependencies`"),
            );
        }
    }
}
