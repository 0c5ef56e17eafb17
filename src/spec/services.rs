//! Validation of `spec.services`: images, ports, hosts, replicas and environment (what
//! `dependsOn` resolves to is [`super::dependencies`]). Ends with the dependency depths (or the
//! cycle).

use std::collections::{BTreeMap, BTreeSet};

use super::check::{check_image_template, floating_warning, is_env_name, is_floating, secret_literal};
use super::defaults::{MAX_REPLICAS, PROTOCOL, REPLICAS, SERVICE_RESOURCES};
use super::dependencies::{External, derived_env, external, resolve};
use super::envvalue::EnvValueSpec;
use super::graph::depths;
use super::model::{Dependency, EnvFrom, EnvValue, EnvVar, Ingress, NamedPort, Protocol, SecretRef, Service, Store};
use super::problem::key_path;
use super::resources::resources;
use super::secrets::{check_reference, is_secret_key};
use super::types::{PreviewSpec, ServiceSpec};
use super::validate::Ctx;
use crate::k8s::naming::{MAX_LABEL, is_dns1035_label};

/// What every service of a spec is validated against.
struct Scope<'a> {
    spec: &'a PreviewSpec,
    stores: &'a [Store],
    external: External,
    namespace: &'a str,
    ingress: &'a Ingress,
    /// Secrets the spec makes or names as credentials.
    secrets: BTreeSet<String>,
}

pub(crate) fn validate(
    ctx: &mut Ctx<'_>,
    spec: &PreviewSpec,
    namespace: &str,
    stores: &[Store],
    ingress: &Ingress,
    own_pr: u64,
) -> Vec<Service> {
    let secrets = super::secrets::known_secrets(spec, stores);
    let scope = Scope { spec, stores, external: external(ctx, spec, own_pr), namespace, ingress, secrets };
    let mut services = Vec::new();
    for (name, written) in &spec.services {
        let path = key_path("spec.services", name);
        if !is_dns1035_label(name) {
            ctx.problems.error(
                &path,
                format!("`{name}` is not a valid service name: a DNS-1035 label (lowercase letters, digits and `-`, starting with a letter, at most {MAX_LABEL} characters)"),
            );
        }
        if let Some(service) = service(ctx, &scope, &path, name, written) {
            services.push(service);
        }
    }
    let unused: Vec<&String> = scope
        .external
        .declared
        .keys()
        .filter(|dep| !spec.services.values().any(|s| s.depends_on.contains(dep)))
        .collect();
    for dep in unused {
        ctx.problems.warning(key_path("spec.dependencies", dep), format!("no service depends on `{dep}`"));
    }
    layer(ctx, spec, &mut services);
    services
}

fn service(ctx: &mut Ctx<'_>, scope: &Scope<'_>, path: &str, name: &str, written: &ServiceSpec) -> Option<Service> {
    let image = if let Some(source) = &written.image {
        ctx.template(&format!("{path}.image"), source)
    } else {
        ctx.problems.error(format!("{path}.image"), "missing: every service needs an image");
        None
    };
    if let (Some(image), Some(source)) = (&image, &written.image)
        && let Err(e) = check_image_template(image, source)
    {
        ctx.problems.error(format!("{path}.image"), e.to_string());
    } else if let Some(image) = image.as_deref().filter(|i| is_floating(i)) {
        ctx.problems.warning(format!("{path}.image"), floating_warning(image));
    }
    if written.port.get() == Some(0) {
        ctx.problems.error(format!("{path}.port"), "0 is not a port; expected a whole number from 1 to 65535");
    }
    let host = if written.expose.get() == Some(true) { exposed_host(ctx, scope, path, name, written) } else { None };
    ctx.vars.asking = Some(name.to_owned());
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
    match written.run_as_user.get() {
        Some(uid) if uid <= 0 => {
            ctx.problems.error(format!("{path}.runAsUser"), "previews run as non-root: give a user id above 0");
        }
        // Kubernetes stores a uid as int64 but the kernel's is 32 bits: the API server refuses
        // anything above 2147483647, so it would fail at sync instead of here.
        Some(uid) if uid > i64::from(i32::MAX) => ctx.problems.error(
            format!("{path}.runAsUser"),
            format!("`{uid}` is not a user id: a whole number from 1 to {}", i32::MAX),
        ),
        _ => {}
    }
    let replicas = written.replicas.get().unwrap_or(REPLICAS);
    if replicas > MAX_REPLICAS {
        ctx.problems
            .error(format!("{path}.replicas"), format!("a preview runs at most {MAX_REPLICAS} replicas of a service"));
    }
    let depends_on = resolve(ctx, path, written, scope.spec, scope.stores, &scope.external);
    let env = environment(ctx, path, written, &depends_on, scope);
    ctx.vars.asking = None;
    let env_from = env_from(ctx, path, written, &scope.secrets);
    let ports = ports(ctx, path, written);
    let resources = resources(ctx, &format!("{path}.resources"), written.resources.as_ref(), SERVICE_RESOURCES);
    Some(Service {
        name: name.to_owned(),
        image: image?,
        port: written.port.get().filter(|p| *p > 0),
        ports,
        url: host.as_ref().and_then(|_| ctx.vars.services.get(name)).and_then(|v| v.url.clone()),
        host,
        command,
        args,
        env,
        env_from,
        depends_on,
        migrate,
        replicas: i32::try_from(replicas.min(MAX_REPLICAS)).unwrap_or(1),
        health_path: written.health_path.clone(),
        resources,
        run_as_user: written.run_as_user.get(),
        depth: 0,
    })
}

fn exposed_host(ctx: &mut Ctx<'_>, scope: &Scope<'_>, path: &str, name: &str, written: &ServiceSpec) -> Option<String> {
    let (namespace, ingress) = (scope.namespace, scope.ingress);
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
    let host = super::routing::host(name, namespace, domain);
    let label = format!("{name}-{namespace}");
    if host.len() <= 253 && !host.starts_with(&format!("{label}.")) {
        ctx.problems.warning(
            format!("{path}.expose"),
            format!(
                "`{label}` is more than a host name's first label may have (63 characters); the host is `{host}`, \
                 shortened with a hash of the whole label"
            ),
        );
    }
    if host.len() > 253 {
        ctx.problems.error(
            format!("{path}.expose"),
            format!("the host `{host}` is longer than 253 characters; shorten `spec.domain`"),
        );
    }
    Some(host)
}

/// What the dependencies give, then the user's own variables, which replace a derived one of
/// the same name (with a warning).
fn environment(
    ctx: &mut Ctx<'_>,
    path: &str,
    written: &ServiceSpec,
    deps: &[Dependency],
    scope: &Scope<'_>,
) -> Vec<EnvVar> {
    let mut env = derived_env(deps, scope.stores);
    for (name, source) in &written.env {
        let at = key_path(&format!("{path}.env"), name);
        if !is_env_name(name) {
            ctx.problems.error(
                &at,
                format!(
                    "`{name}` is not an environment variable name (letters, digits, `_`, `.` and `-`, not starting \
                     with a digit, `.` or `-`)"
                ),
            );
            continue;
        }
        let value = match source {
            EnvValueSpec::Literal { text, .. } => {
                let Some(value) = ctx.template(&at, text) else {
                    continue;
                };
                if let Some(what) = secret_literal(name, &value) {
                    ctx.problems.warning(
                        &at,
                        format!(
                            "{what}: a value written here is rendered in plain text into the manifests and the GitOps \
                             repository; keep secrets in the cluster (`{{secret: NAME, key: KEY}}` reads a key of a \
                             Secret, which `spec.secrets` can make with External Secrets)"
                        ),
                    );
                }
                EnvValue::Literal(value)
            }
            EnvValueSpec::Secret { name: secret, key } => {
                check_reference(ctx, &format!("{at}.secret"), secret, &scope.secrets);
                check_key(ctx, &at, key);
                EnvValue::Secret(SecretRef { name: secret.clone(), key: key.clone() })
            }
            EnvValueSpec::ConfigMap { name: config_map, key } => {
                ctx.subdomain(&format!("{at}.configMap"), config_map);
                check_key(ctx, &at, key);
                EnvValue::ConfigMap(SecretRef { name: config_map.clone(), key: key.clone() })
            }
        };
        if let Some(existing) = env.iter_mut().find(|e| &e.name == name) {
            ctx.problems.warning(&at, format!("`{name}` replaces the value kpreview derives from dependsOn"));
            existing.value = value;
        } else {
            env.push(EnvVar { name: name.clone(), value });
        }
    }
    env
}

fn check_key(ctx: &mut Ctx<'_>, at: &str, key: &str) {
    if !is_secret_key(key) {
        ctx.problems.error(
            format!("{at}.key"),
            format!("`{key}` is not a key: letters, digits, `-`, `_` and `.`, at most 253 characters"),
        );
    }
}

/// `envFrom`: each item names exactly one Secret or ConfigMap.
fn env_from(ctx: &mut Ctx<'_>, path: &str, written: &ServiceSpec, secrets: &BTreeSet<String>) -> Vec<EnvFrom> {
    let mut out = Vec::new();
    for (i, item) in written.env_from.iter().enumerate() {
        let at = format!("{path}.envFrom[{i}]");
        match (&item.secret, &item.config_map) {
            (Some(secret), None) => {
                check_reference(ctx, &format!("{at}.secret"), secret, secrets);
                out.push(EnvFrom::Secret(secret.clone()));
            }
            (None, Some(config_map)) => {
                ctx.subdomain(&format!("{at}.configMap"), config_map);
                out.push(EnvFrom::ConfigMap(config_map.clone()));
            }
            _ => ctx.problems.error(&at, "set exactly one of `secret` and `configMap`, such as `{secret: app-env}`"),
        }
    }
    out
}

/// `ports`: IANA service names, distinct ports per protocol (the main `port` included), TCP or UDP.
fn ports(ctx: &mut Ctx<'_>, path: &str, written: &ServiceSpec) -> Vec<NamedPort> {
    let mut out: Vec<NamedPort> = Vec::new();
    for (name, spec) in &written.ports {
        let at = key_path(&format!("{path}.ports"), name);
        if !is_port_name(name) || name == PORT_NAME {
            ctx.problems.error(
                &at,
                format!(
                    "`{name}` is not a port name: at most 15 lowercase letters, digits and single `-`, with a \
                     letter, not `{PORT_NAME}` (the name of `port`)"
                ),
            );
        }
        let port_path = if spec.short { at.clone() } else { format!("{at}.port") };
        let port = match spec.port.get() {
            Some(0) => {
                ctx.problems.error(&port_path, "0 is not a port; expected a whole number from 1 to 65535");
                continue;
            }
            Some(port) => port,
            None if spec.port.is_absent() => {
                ctx.problems.error(&port_path, "missing: the port number");
                continue;
            }
            None => continue,
        };
        let protocol = match spec.protocol.as_deref() {
            None => PROTOCOL,
            Some(text) => match ctx.choose(&format!("{at}.protocol"), text, Protocol::VALUES) {
                Some(protocol) => protocol,
                None => continue,
            },
        };
        let clash =
            out.iter().find(|p| p.port == port && p.protocol == protocol).map(|p| p.name.clone()).or_else(|| {
                (protocol == Protocol::Tcp && written.port.get() == Some(port))
                    .then(|| format!("the service's `{PORT_NAME}` port"))
            });
        if let Some(other) = clash {
            ctx.problems.error(&port_path, format!("{protocol} port {port} is already {other}"));
            continue;
        }
        out.push(NamedPort { name: name.clone(), port, protocol });
    }
    out
}

/// The name of the service's main port on its container and Service.
const PORT_NAME: &str = "http";

/// An IANA service name, as a container port's name must be.
fn is_port_name(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.chars().any(|c| c.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
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
