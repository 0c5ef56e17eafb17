//! The preview's namespace: its template evaluated and checked, and refused when it is a
//! namespace that exists for something else or one every pull request would share. A preview
//! owns its namespace (Pod Security labels, quota, default-deny policy) and deletes it with the
//! preview, so it must be its own.

use super::model::{Ingress, Pr, Seed, Store};
use super::problem::key_path;
use super::validate::{Ctx, pr_vars};
use crate::k8s::naming::{MAX_LABEL, fit, is_dns1123_label};
use crate::template::{PrVars, slug};

pub(crate) fn preview_namespace(ctx: &mut Ctx<'_>, template: &str, pr: &Pr) -> String {
    let path = "spec.namespace";
    let fallback = format!("preview-pr-{}", pr.number);
    let Some(rendered) = ctx.template(path, template) else {
        return fallback;
    };
    let shortened = fit(&rendered, MAX_LABEL);
    if !is_dns1123_label(&shortened) {
        ctx.problems.error(
            path,
            format!(
                "`{rendered}` (from `{template}`) is not a DNS-1123 label: lowercase letters, digits and `-`; \
                 use `{{{{ pr.branchSlug }}}}` rather than `{{{{ pr.branch }}}}`"
            ),
        );
        return fallback;
    }
    if ctx.namespace_for(other_pull_request(pr)).is_ok_and(|other| other == shortened) {
        ctx.problems.error(
            path,
            format!(
                "every pull request would share namespace `{shortened}`: `{template}` gives another pull request \
                 the same name, and two previews in one namespace delete each other's objects; put \
                 `{{{{ pr.number }}}}` in it"
            ),
        );
    } else if !names_pull_request(&rendered, pr) {
        ctx.problems.error(
            path,
            format!(
                "`{rendered}` (from `{template}`) does not name this pull request: a preview's namespace must hold its \
                 number, branch slug or short SHA as written (`{{{{ pr.number }}}}`, `{{{{ pr.branchSlug }}}}`, \
                 `{{{{ pr.shortSha }}}}`), so that no spec can take a namespace that exists for something else"
            ),
        );
    }
    if shortened != rendered {
        ctx.problems.warning(
            path,
            format!(
                "`{rendered}` is {} characters, more than a namespace may have (63); the preview's namespace is \
                 `{shortened}`, shortened with a hash of the whole name so no two previews share it",
                rendered.len()
            ),
        );
    }
    shortened
}

/// Whether `namespace` holds the pull request's own number (as a whole number: `shop-pr-17` does
/// not name PR 7), its branch slug or its short SHA. Checking only that another pull request gets
/// another name lets a conditional (`'cert-manager' if pr.number == 7 else …`) or arithmetic
/// (`pr.number + 1`, the next preview's namespace) through.
fn names_pull_request(namespace: &str, pr: &Pr) -> bool {
    let number = pr.number.to_string();
    let has_number = namespace.match_indices(&number).any(|(at, _)| {
        let before = namespace[..at].chars().next_back();
        let after = namespace[at + number.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    });
    let vars = pr_vars(pr.number, pr.head_sha.clone(), pr.branch.clone());
    let has = |part: Option<String>| part.is_some_and(|p| !p.is_empty() && namespace.contains(&p));
    has_number || has(vars.branch_slug) || has(vars.short_sha)
}

/// A pull request that differs from `pr` in every field a namespace template can use: number,
/// SHA (from its first character) and branch.
fn other_pull_request(pr: &Pr) -> PrVars {
    let number = if pr.number == u64::MAX { 1 } else { pr.number + 1 };
    let sha = |own: &str| if own.starts_with('0') { "1".repeat(40) } else { "0".repeat(40) };
    let branch = |own: &str| {
        let other = "kpreview-namespace-check";
        if slug(own, 50) == other { format!("{other}-2") } else { other.to_owned() }
    };
    pr_vars(number, pr.head_sha.as_deref().map(sha), pr.branch.as_deref().map(branch))
}

/// The namespaces a preview must not take, with what they are.
pub(crate) struct Taken<'a> {
    pub staging: &'a str,
    pub ingress: &'a Ingress,
    pub velero: &'a str,
    pub stores: &'a [Store],
}

/// A preview owns its namespace: it labels it Pod Security `restricted`, gives it a quota and a
/// default-deny NetworkPolicy, and deletes it with the preview. So the namespace must not be
/// one that exists for something else.
pub(crate) fn namespace_of_its_own(ctx: &mut Ctx<'_>, namespace: &str, taken: &Taken<'_>) {
    let mut what: Vec<String> = Vec::new();
    if namespace == "default" {
        what.push("the cluster's default namespace".to_owned());
    }
    if namespace.starts_with("kube-") {
        what.push("a namespace of Kubernetes itself (`kube-*`)".to_owned());
    }
    if namespace == "argocd" {
        what.push("Argo CD's namespace".to_owned());
    }
    if namespace == taken.staging {
        what.push("staging's namespace (`spec.staging.namespace`)".to_owned());
    }
    if namespace == taken.ingress.controller_namespace {
        what.push("the ingress controller's namespace (`spec.ingress.controllerNamespace`)".to_owned());
    }
    if namespace == taken.velero {
        what.push("Velero's namespace (`spec.restore.veleroNamespace`)".to_owned());
    }
    for store in taken.stores {
        if let Seed::Velero { namespace: base, .. } = &store.seed
            && base == namespace
        {
            what.push(format!("the base namespace that `{}` restores from", key_path_of_seed(&store.name)));
        }
    }
    if !what.is_empty() {
        let what = what.join(", and ");
        ctx.problems.error(
            "spec.namespace",
            format!(
                "`{namespace}` is {what}; a preview owns its namespace (Pod Security, quota, network \
                 policies) and deletes it with the preview, so give it one of its own, such as the default \
                 `{{{{ name }}}}-pr-{{{{ pr.number }}}}`"
            ),
        );
    }
}

/// Velero's namespace and the base namespaces seeds restore from are the platform's, not the
/// preview's, but the spec names them: the restore RBAC and the cleanup Job go into Velero's, and
/// a restore copies a base's labelled volumes and Secrets into the preview. So neither may be a
/// namespace that holds the cluster's own workloads or credentials.
pub(crate) fn platform_namespaces(ctx: &mut Ctx<'_>, taken: &Taken<'_>) {
    let system = |namespace: &str| {
        if namespace.starts_with("kube-") {
            Some("a namespace of Kubernetes itself (`kube-*`)")
        } else if namespace == "argocd" {
            Some("Argo CD's namespace")
        } else if namespace == taken.ingress.controller_namespace {
            Some("the ingress controller's namespace (`spec.ingress.controllerNamespace`)")
        } else {
            None
        }
    };
    if let Some(what) =
        system(taken.velero).or((taken.velero == "default").then_some("the cluster's default namespace"))
    {
        ctx.problems.error(
            "spec.restore.veleroNamespace",
            format!(
                "`{}` is {what}; the restore Role, RoleBinding and cleanup Job go into Velero's namespace, so name \
                 the one Velero runs in (default `velero`)",
                taken.velero
            ),
        );
    }
    for store in taken.stores {
        if let Seed::Velero { namespace: base, .. } = &store.seed {
            let what = system(base).or((base == taken.velero).then_some("Velero's namespace"));
            if let Some(what) = what {
                ctx.problems.error(
                    format!("{}.namespace", key_path_of_seed(&store.name)),
                    format!(
                        "`{base}` is {what}; a restore copies the backed-up namespace's volumes and Secrets into the \
                         preview, so seed from a namespace that holds the app's own (anonymized) data"
                    ),
                );
            }
        }
    }
}

fn key_path_of_seed(store: &str) -> String {
    format!("{}.seed.velero", key_path("spec.dataStores", store))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_must_name_its_own_pull_request() {
        let pr = Pr { number: 7, head_sha: Some("4f9c2d1e8b7a".into()), branch: Some("Feat/X".into()) };
        for ok in ["shop-pr-7", "7-shop", "p-feat-x", "x-4f9c2d1"] {
            assert!(names_pull_request(ok, &pr), "{ok}");
        }
        for taken in ["cert-manager", "shop-pr-8", "shop-pr-17", "shop-pr-70", "x-4f9c2d"] {
            assert!(!names_pull_request(taken, &pr), "{taken}");
        }
    }
}
