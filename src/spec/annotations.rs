//! `spec.ingress.annotations`: every key a Kubernetes qualified name, and none of the keys that
//! would let a pull request change how Argo CD syncs its Ingresses, claim kpreview's own
//! annotations, or write configuration into the ingress controller every namespace shares.

use std::collections::BTreeMap;

use super::problem::key_path;
use super::validate::Ctx;
use crate::render::naming::is_dns_subdomain;

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
fn problem(key: &str) -> Option<String> {
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
    let under = |domain: &str| prefix.is_some_and(|p| p == domain || p.ends_with(&format!(".{domain}")));
    if prefix == Some("argocd.argoproj.io") {
        return Some(format!(
            "`{key}` would change how Argo CD syncs the Ingresses (a hook, a wave, sync options); kpreview orders \
             every object itself, and the order and the plan would no longer hold"
        ));
    }
    if under("kpreview.dev") {
        return Some(format!("`{key}` is kpreview's own annotation; kpreview sets what it needs"));
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
        for key in [
            "cert-manager.io/cluster-issuer",
            "external-dns.alpha.kubernetes.io/hostname",
            "nginx.ingress.kubernetes.io/proxy-body-size",
            "simple",
            "a.b_c-d",
        ] {
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
}
