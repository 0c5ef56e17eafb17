//! The built-in policy: what applies when the platform gives none, and to every field a policy
//! file leaves out. docs/policy.md lists these values and why each is safe.

use std::collections::BTreeMap;

use super::model::{Limits, Platform, Policy, Secrets};
use super::namespace::{NamespaceTemplate, Part, Var};

/// How messages name the built-in policy.
pub const SOURCE: &str = "the built-in policy";
/// `namespace`: SPEC §1's default.
pub const NAMESPACE: &str = "{{ name }}-pr-{{ pr.number }}";
/// `platform.velero`.
pub const VELERO: &str = "velero";
/// `platform.ingressController`.
pub const INGRESS_CONTROLLER: &str = "ingress-nginx";
/// `limits.services`: services and data stores of one preview.
pub const SERVICES: u32 = 40;
/// `limits.replicas`.
pub const REPLICAS: u32 = 5;
/// `limits.cpu`, `limits.memory`, `limits.storage`.
pub const CPU: &str = "16";
/// See [`CPU`].
pub const MEMORY: &str = "64Gi";
/// See [`CPU`].
pub const STORAGE: &str = "1Ti";
/// `limits.ttl`: a week, a pull request's review with a weekend in it. A preview kept longer is
/// kept on purpose with `kpreview keep`, not by the pull request.
pub const TTL: &str = "168h";

/// `limits` as built in.
pub fn limits() -> Limits {
    let amount = |text: &str| crate::k8s::Quantity::parse(text).expect("the built-in limits are quantities");
    Limits {
        services: SERVICES,
        replicas: REPLICAS,
        cpu: amount(CPU),
        memory: amount(MEMORY),
        storage: amount(STORAGE),
        ttl: crate::k8s::Duration::parse(TTL).expect("the built-in TTL limit is a duration"),
    }
}

/// `platform` as built in: Velero's and the ingress controller's namespaces are pinned (the
/// restore RBAC goes into the first, and both are checked against); staging's is the spec's.
pub fn platform() -> Platform {
    Platform {
        velero: Some(VELERO.to_owned()),
        staging: None,
        ingress_controller: Some(INGRESS_CONTROLLER.to_owned()),
        gateway: None,
    }
}

/// The whole built-in policy.
pub fn policy() -> Policy {
    Policy {
        source: SOURCE.to_owned(),
        namespace: NamespaceTemplate {
            text: NAMESPACE.to_owned(),
            parts: vec![Part::Var(Var::Name), Part::Literal("-pr-".to_owned()), Part::Var(Var::Number)],
        },
        platform: platform(),
        limits: limits(),
        images: Vec::new(),
        ingress_annotations: None,
        seed_bases: None,
        secrets: Secrets { stores: Vec::new(), keys: BTreeMap::new() },
    }
}

impl Default for Policy {
    fn default() -> Self {
        policy()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_built_in_policy_is_whole() {
        let p = super::policy();
        assert_eq!(Ok(p.namespace.clone()), super::NamespaceTemplate::parse(super::NAMESPACE));
        assert!(p.limits.cpu.value() > 0.0 && p.limits.memory.value() > 0.0 && p.limits.storage.value() > 0.0);
    }
}
