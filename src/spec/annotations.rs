//! `spec.ingress.annotations`: every key a Kubernetes qualified name, and none of the keys that
//! would let a pull request change how Argo CD syncs or shows its Ingresses, claim kpreview's own
//! annotations, write configuration into the ingress controller every namespace shares, send
//! requests or credentials elsewhere, read another namespace's Secret, or claim a DNS name.
//! Keys are compared case-insensitively: controllers differ in how they read them. This
//! denylist is the floor; a platform policy's `ingressAnnotations` allowlist narrows it further.

use std::collections::BTreeMap;

use super::problem::key_path;
use super::validate::Ctx;
use crate::k8s::naming::is_dns_subdomain;

/// What Kubernetes allows all annotations of one object to add up to.
const MAX_TOTAL: usize = 256 * 1024;

/// Checks every annotation, recording each problem at its key.
pub(crate) fn check(ctx: &mut Ctx<'_>, path: &str, annotations: &BTreeMap<String, String>) {
    for key in annotations.keys() {
        if let Some(why) = problem(key) {
            ctx.problems.error(key_path(path, key), why);
        }
    }
    let total: usize = annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > MAX_TOTAL {
        ctx.problems.error(path, format!("{total} bytes of annotations; Kubernetes allows at most {MAX_TOTAL}"));
    }
}

/// Why `key` cannot be an annotation of a preview's Ingress.
pub fn problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if !prefix.is_none_or(|p| !p.is_empty() && is_dns_subdomain(p)) || !is_name(name) {
        return Some(format!(
            "`{key}` is not an annotation key: an optional DNS subdomain and `/`, then at most 63 letters, digits, \
             `-`, `_` and `.`, starting and ending with a letter or digit"
        ));
    }
    let lower_prefix = prefix.map(str::to_ascii_lowercase);
    let prefix = lower_prefix.as_deref();
    let name = &name.to_ascii_lowercase();
    let under = |domain: &str| prefix.is_some_and(|p| p == domain || p.ends_with(&format!(".{domain}")));
    if under("argoproj.io") {
        return Some(format!(
            "`{key}` would change how Argo CD syncs or shows the Ingresses (a hook, a wave, sync options, links \
             in its UI); kpreview orders every object itself, and the order and the plan would no longer hold"
        ));
    }
    if under("kpreview.dev") {
        return Some(format!("`{key}` is kpreview's own annotation; kpreview sets what it needs"));
    }
    if under("external-dns.alpha.kubernetes.io") || under("external-dns.kubernetes.io") {
        return Some(format!(
            "`{key}` tells external-dns which DNS names and targets to publish; a pull request must not claim a \
             name (`login.example.com`): a preview's hosts are `<service>-<namespace>.<domain>`"
        ));
    }
    if ["auth-url", "auth-signin", "auth-response-headers", "global-auth-url"].contains(&name.as_str()) {
        return Some(format!(
            "`{key}` makes the ingress controller send every request (and its credentials) to a URL the pull \
             request chooses, from inside the cluster (such as the cloud metadata endpoint)"
        ));
    }
    if name.starts_with("mirror-") {
        return Some(format!(
            "`{key}` copies every request, cookies and tokens included, to a destination the pull request chooses"
        ));
    }
    if name.ends_with("-secret") {
        return Some(format!(
            "`{key}` names a Secret the ingress controller reads with its own rights, in any namespace \
             (`velero/cloud-credentials`); TLS comes from `spec.ingress.tls`"
        ));
    }
    if name.ends_with("-snippet") {
        return Some(format!(
            "`{key}` pastes raw configuration into the ingress controller that every namespace shares \
             (ingress-nginx snippets, CVE-2021-25742), which a pull request must not write; configure it in \
             the controller instead"
        ));
    }
    None
}

/// The name part of a qualified name.
fn is_name(name: &str) -> bool {
    name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn ordinary_annotations_pass() {
        for key in
            ["cert-manager.io/cluster-issuer", "nginx.ingress.kubernetes.io/proxy-body-size", "simple", "a.b_c-d"]
        {
            assert_eq!(problem(key), None, "{key}");
        }
    }

    #[test]
    fn keys_that_are_not_qualified_names_are_refused() {
        for key in ["bad key!", "", "/x", "x/", "Example.com/x", "a/b/c", "-x", &"x".repeat(64)] {
            assert!(problem(key).unwrap().contains("is not an annotation key"), "{key}");
        }
    }

    #[test]
    fn argo_kpreview_and_snippets_are_refused_with_the_reason() {
        assert!(problem("argocd.argoproj.io/hook").unwrap().contains("Argo CD syncs"));
        assert!(problem("argocd.argoproj.io/sync-options").unwrap().contains("Argo CD syncs"));
        assert!(problem("kpreview.dev/preview").unwrap().contains("kpreview's own"));
        assert!(problem("x.kpreview.dev/y").unwrap().contains("kpreview's own"));
        assert!(problem("nginx.ingress.kubernetes.io/server-snippet").unwrap().contains("CVE-2021-25742"));
        assert!(problem("nginx.ingress.kubernetes.io/configuration-snippet").unwrap().contains("snippets"));
        assert!(problem("example.com/auth-snippet").is_some());
    }

    #[test]
    fn keys_that_send_requests_read_secrets_or_claim_names_are_refused_in_any_case() {
        for key in [
            "nginx.ingress.kubernetes.io/auth-url",
            "nginx.ingress.kubernetes.io/auth-signin",
            "NGINX.ingress.kubernetes.io/Auth-URL",
            "nginx.ingress.kubernetes.io/mirror-target",
            "nginx.ingress.kubernetes.io/mirror-uri",
            "nginx.ingress.kubernetes.io/auth-tls-secret",
            "nginx.ingress.kubernetes.io/proxy-ssl-secret",
            "external-dns.alpha.kubernetes.io/hostname",
            "External-DNS.alpha.kubernetes.io/target",
            "link.argocd.argoproj.io/external-link",
            "Argocd.Argoproj.io/hook",
            "nginx.ingress.kubernetes.io/Server-Snippet",
        ] {
            assert!(problem(key).is_some(), "{key}");
        }
    }
}
