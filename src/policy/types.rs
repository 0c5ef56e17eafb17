//! The `PreviewPolicy` file as written: every field optional, so a missing one takes its built-in
//! default and an unknown one is reported at its path.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `apiVersion` of a policy.
pub const API_VERSION: &str = "kpreview.dev/v1alpha1";
/// `kind` of a policy.
pub const KIND: &str = "PreviewPolicy";

/// A `PreviewPolicy` document.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyFile {
    /// `kpreview.dev/v1alpha1`.
    pub api_version: Option<String>,
    /// `PreviewPolicy`.
    pub kind: Option<String>,
    /// Only a name, for people.
    pub metadata: Option<MetadataFile>,
    /// The preview namespace's template.
    pub namespace: Option<String>,
    /// The platform's own namespaces and shared objects.
    pub platform: Option<PlatformFile>,
    /// Per-preview ceilings.
    pub limits: Option<LimitsFile>,
    /// Allowed image prefixes.
    pub images: Option<Vec<String>>,
    /// Allowed Ingress annotation keys.
    pub ingress_annotations: Option<Vec<String>>,
    /// Allowed Velero base namespaces per app.
    pub seed_bases: Option<BTreeMap<String, Vec<String>>>,
    /// Allowed secret stores and remote-key prefixes.
    pub secrets: Option<SecretsFile>,
}

/// `metadata`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MetadataFile {
    /// The policy's name.
    pub name: Option<String>,
}

/// `platform`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformFile {
    /// Velero's namespace.
    pub velero: Option<String>,
    /// Staging's namespace.
    pub staging: Option<String>,
    /// The ingress controller's namespace.
    pub ingress_controller: Option<String>,
    /// The shared Gateway previews attach their routes to.
    pub gateway: Option<GatewayFile>,
}

/// `platform.gateway`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GatewayFile {
    /// Its name.
    pub name: Option<String>,
    /// Its namespace.
    pub namespace: Option<String>,
}

/// `limits`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LimitsFile {
    /// Most services and data stores of one preview.
    pub services: Option<u32>,
    /// Most replicas of one service.
    pub replicas: Option<u32>,
    /// Most CPU the preview's pods request, summed.
    pub cpu: Option<String>,
    /// Most memory the preview's containers are limited to, summed.
    pub memory: Option<String>,
    /// Most storage of the preview's volumes, summed.
    pub storage: Option<String>,
    /// Longest `spec.ttl`, a Go duration.
    pub ttl: Option<String>,
}

/// `secrets`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecretsFile {
    /// Secret stores any app may use.
    pub stores: Option<Vec<String>>,
    /// Remote-key prefixes per app.
    pub keys: Option<BTreeMap<String, Vec<String>>>,
}
