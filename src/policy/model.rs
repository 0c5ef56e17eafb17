//! A validated policy: every field filled (from the file or the built-in defaults), quantities
//! parsed, the namespace template split into its parts.

use std::collections::BTreeMap;

use super::namespace::NamespaceTemplate;
use crate::k8s::{Duration, Quantity};

/// The platform's policy, ready to check specs against.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How messages name it: `the policy /etc/kpreview/policy.yaml`, or `the built-in policy`.
    pub source: String,
    /// The preview namespace's template.
    pub namespace: NamespaceTemplate,
    /// The platform's namespaces; `None` where the policy leaves the spec's value (or its default).
    pub platform: Platform,
    /// Per-preview ceilings.
    pub limits: Limits,
    /// Allowed image prefixes; empty allows every image.
    pub images: Vec<String>,
    /// Allowed Ingress annotation keys; `None` leaves only kpreview's denylist.
    pub ingress_annotations: Option<Vec<String>>,
    /// Allowed Velero base namespaces by app; `None` allows any base the denylist does not refuse.
    pub seed_bases: Option<BTreeMap<String, Vec<String>>>,
    /// Allowed secret stores and remote keys.
    pub secrets: Secrets,
}

/// `platform`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    /// Velero's namespace.
    pub velero: Option<String>,
    /// Staging's namespace.
    pub staging: Option<String>,
    /// The ingress controller's namespace.
    pub ingress_controller: Option<String>,
    /// The shared Gateway: name and namespace.
    pub gateway: Option<Gateway>,
}

/// `platform.gateway`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// Its name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
}

/// `limits`: what one preview may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most services and data stores.
    pub services: u32,
    /// Most replicas of one service.
    pub replicas: u32,
    /// Most CPU requested, summed over the preview's pods.
    pub cpu: Quantity,
    /// Most memory the preview's containers are limited to, summed.
    pub memory: Quantity,
    /// Most storage of its volumes, summed.
    pub storage: Quantity,
    /// Longest `spec.ttl`; a spec without one gets the shorter of this and kpreview's default.
    pub ttl: Duration,
}

/// `secrets`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// Stores any app may use; empty allows none.
    pub stores: Vec<String>,
    /// Remote-key prefixes by app; an app not listed may use none.
    pub keys: BTreeMap<String, Vec<String>>,
}

impl Policy {
    /// How messages name the entry at `path` (`limits.cpu`): `` `limits.cpu` of the policy p.yaml ``.
    pub fn entry(&self, path: &str) -> String {
        format!("`{path}` of {}", self.source)
    }
}
