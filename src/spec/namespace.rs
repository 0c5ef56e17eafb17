//! The preview's namespace: its template evaluated and checked, and refused when it is a
//! namespace that exists for something else or one every pull request would share. A preview
//! owns its namespace (Pod Security labels, quota, default-deny policy) and deletes it with the
//! preview, so it must be its own.

use super::model::{Ingress, Pr, Seed, Store};
use super::problem::key_path;
use super::validate::{Ctx, pr_vars};
use crate::render::naming::{MAX_LABEL, fit, is_dns1123_label};
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
    }
    shortened
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

fn key_path_of_seed(store: &str) -> String {
    format!("{}.seed.velero", key_path("spec.dataStores", store))
}
