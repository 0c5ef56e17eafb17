//! What the policy decides, put into the spec as written before its defaults are applied: the
//! namespace template (a spec may only repeat it) and the platform's namespaces. A spec that names
//! another platform namespace is refused at its field, naming the policy entry, and validation
//! goes on with the policy's value, so every later check runs against the platform's namespaces,
//! never against ones the pull request chose.

use super::model::Policy;
use super::namespace::NamespaceTemplate;
use crate::spec::problem::Problem;
use crate::spec::types::{IngressSpec, Preview, PreviewSpec, RestoreSpec, StagingSpec};

/// Puts the policy's values into `preview`; returns the spec's fields that disagree with it.
pub fn impose(preview: &mut Preview, policy: &Policy) -> Vec<Problem> {
    let mut problems = Vec::new();
    let spec = &mut preview.spec;
    gateway(spec, policy, &mut problems);
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
    // kpreview's default TTL is no reason to refuse a spec that never asked for one.
    if spec.ttl.is_none() && policy.limits.ttl.seconds() < crate::spec::defaults::ttl().seconds() {
        spec.ttl = Some(policy.limits.ttl.as_str().to_owned());
    }
    let platform = &policy.platform;
    let mut pin = |path: &str, entry: &str, what: &str, written: &mut Option<String>, pinned: Option<&String>| {
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
    pin(
        "spec.staging.namespace",
        "platform.staging",
        "staging's namespace",
        &mut staging.namespace,
        platform.staging.as_ref(),
    );
    let restore = spec.restore.get_or_insert_with(RestoreSpec::default);
    pin(
        "spec.restore.veleroNamespace",
        "platform.velero",
        "Velero's namespace",
        &mut restore.velero_namespace,
        platform.velero.as_ref(),
    );
    // With Gateway API routing the spec has no Ingress, and inventing one here would make it look
    // like the spec gave both.
    let ingress = if spec.routing.is_some() {
        &mut IngressSpec::default()
    } else {
        spec.ingress.get_or_insert_with(IngressSpec::default)
    };
    pin(
        "spec.ingress.controllerNamespace",
        "platform.ingressController",
        "the ingress controller's namespace",
        &mut ingress.controller_namespace,
        platform.ingress_controller.as_ref(),
    );
    problems
}

/// `routing.gateway` must be the platform's Gateway (`platform.gateway`): a pull request attaches
/// its routes only there. A spec that names another is refused and validated with the platform's.
fn gateway(spec: &mut PreviewSpec, policy: &Policy, problems: &mut Vec<Problem>) {
    let (Some(pinned), Some(gateway)) =
        (&policy.platform.gateway, spec.routing.as_mut().and_then(|r| r.gateway.as_mut()))
    else {
        return;
    };
    for (field, written, value) in
        [("name", &mut gateway.name, &pinned.name), ("namespace", &mut gateway.namespace, &pinned.namespace)]
    {
        if let Some(given) = written.as_deref()
            && given != value
        {
            problems.push(Problem::error(
                format!("spec.routing.gateway.{field}"),
                format!(
                    "`{given}` is not the platform's Gateway: {} gives {field} `{value}`; previews attach only to \
                     the shared Gateway",
                    policy.entry("platform.gateway")
                ),
            ));
        }
        *written = Some(value.clone());
    }
}
