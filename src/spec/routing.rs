//! How exposed services are reached from outside: `spec.routing.gateway` (Gateway API) or
//! `spec.ingress` (never both), the public host and URL of each exposed service, and the
//! `services.<name>.*` template variables computed from them, so a service's own
//! `ALLOWED_HOSTS` can never disagree with the host its route serves.

use std::collections::BTreeMap;

use super::model::{Gateway, Ingress, Scheme};
use super::types::PreviewSpec;
use super::validate::Ctx;
use crate::k8s::naming::{MAX_LABEL, fit};
use crate::template::ServiceVars;

/// `spec.routing.gateway`, checked; an error when `spec.ingress` is given too.
pub(crate) fn gateway(ctx: &mut Ctx<'_>, spec: &PreviewSpec) -> Option<Gateway> {
    let routing = spec.routing.as_ref()?;
    if spec.ingress.is_some() {
        ctx.problems.error(
            "spec.routing",
            "set one of `routing` (Gateway API HTTPRoutes) and `ingress` (Ingresses), not both: exposed services get \
             one route each",
        );
    }
    let Some(written) = &routing.gateway else {
        ctx.problems.error("spec.routing.gateway", "missing: name the shared Gateway, `{name: …, namespace: …}`");
        return None;
    };
    let path = "spec.routing.gateway";
    let mut required = |field: &str, value: &Option<String>| {
        if value.is_none() {
            ctx.problems.error(format!("{path}.{field}"), format!("missing: the Gateway's {field}"));
        }
        value.clone()
    };
    let name = required("name", &written.name);
    let namespace = required("namespace", &written.namespace);
    if let Some(name) = &name {
        ctx.subdomain(&format!("{path}.name"), name);
    }
    if let Some(namespace) = &namespace {
        ctx.label(&format!("{path}.namespace"), namespace);
    }
    if let Some(section) = &written.section_name
        && !is_section_name(section)
    {
        ctx.problems.error(
            format!("{path}.sectionName"),
            format!("`{section}` is not a listener name: a DNS-1123 subdomain of at most 253 characters"),
        );
    }
    let scheme =
        ctx.choose_or(&format!("{path}.scheme"), written.scheme.as_deref(), Scheme::VALUES, super::defaults::SCHEME)?;
    Some(Gateway { name: name?, namespace: namespace?, section_name: written.section_name.clone(), scheme })
}

fn is_section_name(name: &str) -> bool {
    crate::k8s::naming::is_dns_subdomain(name)
}

/// `spec.ingress.sourceCIDRs`, each an IPv4 or IPv6 CIDR.
pub(crate) fn source_cidrs(ctx: &mut Ctx<'_>, cidrs: &[String]) {
    for (i, cidr) in cidrs.iter().enumerate() {
        if !is_cidr(cidr) {
            ctx.problems.error(
                format!("spec.ingress.sourceCIDRs[{i}]"),
                format!("`{cidr}` is not a CIDR such as `10.0.0.0/16` or `2001:db8::/32`"),
            );
        }
    }
}

fn is_cidr(text: &str) -> bool {
    let Some((address, bits)) = text.split_once('/') else { return false };
    let Ok(bits) = bits.parse::<u8>() else { return false };
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => bits <= 32,
        Ok(std::net::IpAddr::V6(_)) => bits <= 128,
        Err(_) => false,
    }
}

/// The public host of an exposed service: `<service>-<namespace>.<domain>`, the first label
/// shortened with a hash when it would pass 63 characters.
pub(crate) fn host(service: &str, namespace: &str, domain: &str) -> String {
    format!("{}.{domain}", fit(&format!("{service}-{namespace}"), MAX_LABEL))
}

/// The scheme of public URLs: `https` behind a Gateway unless it says `http`, or with the
/// Ingresses' TLS; `http` otherwise.
pub(crate) fn scheme(gateway: Option<&Gateway>, ingress: &Ingress) -> &'static str {
    match gateway {
        Some(gateway) if gateway.scheme == Scheme::Http => "http",
        Some(_) => "https",
        None if ingress.tls_secret.is_some() => "https",
        None => "http",
    }
}

/// `services.<name>.*` for every service of the spec: `host` and `url` for exposed ones (when
/// there is a domain), `internalUrl` for those with a port; a name with `-` also as `_`.
pub(crate) fn service_vars(
    spec: &PreviewSpec,
    namespace: &str,
    domain: Option<&str>,
    scheme: &str,
) -> BTreeMap<String, ServiceVars> {
    let mut vars: BTreeMap<String, ServiceVars> = spec
        .services
        .iter()
        .map(|(name, service)| {
            let exposed = service.expose.get() == Some(true) && service.port.get().is_some();
            let host = domain.filter(|_| exposed).map(|d| host(name, namespace, d));
            let vars = ServiceVars {
                url: host.as_ref().map(|h| format!("{scheme}://{h}")),
                host,
                internal_url: service.port.get().map(|_| format!("http://{name}")),
            };
            (name.clone(), vars)
        })
        .collect();
    // `services.auth-api.url` reads as a subtraction in a template; `services.auth_api.url` is
    // the same service.
    let aliases: Vec<(String, ServiceVars)> = vars
        .iter()
        .filter(|(name, _)| name.contains('-'))
        .map(|(name, v)| (name.replace('-', "_"), v.clone()))
        .filter(|(alias, _)| !spec.services.contains_key(alias))
        .collect();
    vars.extend(aliases);
    vars
}

#[cfg(test)]
mod tests {
    use super::is_cidr;

    #[test]
    fn cidrs() {
        for good in ["10.0.0.0/16", "0.0.0.0/0", "2001:db8::/32", "192.168.1.7/32"] {
            assert!(is_cidr(good), "{good}");
        }
        for bad in ["10.0.0.0", "10.0.0.0/33", "10.0.0/8", "x/8", "::/129", ""] {
            assert!(!is_cidr(bad), "{bad}");
        }
    }
}
