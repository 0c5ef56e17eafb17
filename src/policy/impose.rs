//! What the policy decides, put into the spec as written before its defaults are applied: the
//! namespace template (a spec may only repeat it) and the platform's namespaces. A spec that names
//! another platform namespace is refused at its field, naming the policy entry, and validation
//! goes on with the policy's value, so every later check runs against the platform's namespaces,
//! never against ones the pull request chose.

use super::model::Policy;
use super::namespace::NamespaceTemplate;
use crate::spec::problem::Problem;
use crate::spec::types::{IngressSpec, Preview, RestoreSpec, StagingSpec};

/// Puts the policy's values into `preview`; returns the spec's fields that disagree with it.
pub fn impose(preview: &mut Preview, policy: &Policy) -> Vec<Problem> {
    let mut problems = Vec::new();
    let spec = &mut preview.spec;
    if let Some(written) = &spec.namespace
        && NamespaceTemplate::parse(written).ok().is_none_or(|t| t.parts != policy.namespace.parts)
    {
        problems.push(Problem::error(
            "spec.namespace",
            format!(
                "`{written}` is not the platform's namespace: a preview's namespace comes from {} (`{}`), so that \
                 no branch, name or template can take a namespace that exists for something else; leave \
                 `spec.namespace` out",
                policy.entry("namespace"),
                policy.namespace.text
            ),
        ));
    }
    spec.namespace = Some(policy.namespace.text.clone());
    let platform = &policy.platform;
    let mut pin = |path: &str, entry: &str, what: &str, written: &mut Option<String>, pinned: &Option<String>| {
        let Some(pinned) = pinned else { return };
        if let Some(given) = written.as_deref()
            && given != pinned
        {
            problems.push(Problem::error(
                path,
                format!(
                    "`{given}` is not {what}: {} gives `{pinned}`, and the platform's namespaces are not the pull \
                     request's to choose; leave the field out or write `{pinned}`",
                    policy.entry(entry)
                ),
            ));
        }
        *written = Some(pinned.clone());
    };
    let staging = spec.staging.get_or_insert_with(StagingSpec::default);
    pin("spec.staging.namespace", "platform.staging", "staging's namespace", &mut staging.namespace, &platform.staging);
    let restore = spec.restore.get_or_insert_with(RestoreSpec::default);
    pin(
        "spec.restore.veleroNamespace",
        "platform.velero",
        "Velero's namespace",
        &mut restore.velero_namespace,
        &platform.velero,
    );
    let ingress = spec.ingress.get_or_insert_with(IngressSpec::default);
    pin(
        "spec.ingress.controllerNamespace",
        "platform.ingressController",
        "the ingress controller's namespace",
        &mut ingress.controller_namespace,
        &platform.ingress_controller,
    );
    problems
}
