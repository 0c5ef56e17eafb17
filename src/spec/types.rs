//! The `Preview` input types exactly as users write them: serde + schemars, optional fields stay
//! `Option` here and get their defaults in `defaults.rs`.
//!
//! Nothing a user can get wrong stops the parse early, so that a spec with three mistakes reports
//! three problems (SPEC §4):
//! - unknown fields are not rejected by serde itself: `load.rs` collects every one of them (with
//!   its path) through `serde_ignored`;
//! - numbers and booleans are [`Lenient`]: a wrongly typed value is kept as found and reported by
//!   `load.rs` at its path;
//! - required fields are `Option` here and reported missing by validation.
//!
//! The JSON Schema still says what is required, `integer`/`boolean` and
//! `additionalProperties: false` (`#[schemars(with = …)]`, `#[schemars(deny_unknown_fields)]`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::envvalue::{EnvValueSpec, PortSpec};
pub use super::lenient::Lenient;

/// The API version every spec must carry.
pub const API_VERSION: &str = "kpreview.dev/v1alpha1";
/// The kind every spec must carry.
pub const KIND: &str = "Preview";

/// A pull-request preview environment: the services a pull request changes, their data stores and
/// how everything else is reached.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields, title = "Preview", transform = require_header)]
pub struct Preview {
    /// Always `kpreview.dev/v1alpha1`.
    #[schemars(with = "String")]
    pub api_version: Option<String>,
    /// Always `Preview`.
    #[schemars(with = "String")]
    pub kind: Option<String>,
    /// Identifies the application family.
    #[serde(default)]
    pub metadata: Metadata,
    /// What the preview runs.
    #[serde(default)]
    pub spec: PreviewSpec,
}

/// `metadata` and `spec` read as empty when missing, so that validation reports what is missing
/// in them with everything else; the schema still requires all four.
fn require_header(schema: &mut schemars::Schema) {
    schema.insert("required".to_owned(), serde_json::json!(["apiVersion", "kind", "metadata", "spec"]));
}

/// A quantity of CPU: a string in Kubernetes' notation or, as Kubernetes takes it, a number. The
/// pattern checks the form; kpreview's bounds are its own.
fn cpu_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["string", "number", "null"],
        "pattern": crate::k8s::quantity::cpu_pattern(),
        "minimum": 0,
    })
}

/// A quantity of bytes (memory, storage): whole ones, so no `m` (milli).
fn bytes_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["string", "number", "null"],
        "pattern": crate::k8s::quantity::bytes_pattern(),
        "minimum": 1,
    })
}

/// A Go duration (`48h`, `1h30m`).
fn duration_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["string", "null"],
        "pattern": crate::k8s::duration::PATTERN,
        "maxLength": 64,
    })
}

/// Object metadata. Only `name` matters to kpreview; labels and annotations are accepted so the
/// spec can live in kustomize and kpt packages.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Metadata {
    /// The application family, a DNS-1123 label such as `shop`. Part of the default namespace.
    #[schemars(with = "String")]
    pub name: Option<String>,
    /// Ignored, with a warning: a preview's namespace is the platform policy's template. Accepted
    /// because package tools write it.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Ignored; accepted for package tooling.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Ignored, except `config.kubernetes.io/*` ones that kpt and kustomize use.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// The body of a preview.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct PreviewSpec {
    /// The pull request this preview is for. Each field may instead come from `--pr`, `--sha`,
    /// `--branch` (which win) or `PREVIEW_PR_NUMBER`, `PREVIEW_HEAD_SHA`, `PREVIEW_BRANCH` (which
    /// lose).
    #[serde(default)]
    pub pull_request: Option<PullRequest>,
    /// Namespace of the preview: only the platform policy's namespace template (`{{ name }}-pr-{{
    /// pr.number }}` under the built-in policy) may be written here; leave it out.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Base domain of Ingress hosts, which are `<service>-<namespace>.<domain>`. Required when a
    /// service sets `expose`. A template.
    #[serde(default)]
    pub domain: Option<String>,
    /// How long the preview lives after its last publish, a Go duration such as `48h` or `90m`,
    /// at most the platform policy's `limits.ttl` (built in `168h`). Default `48h`.
    #[serde(default)]
    #[schemars(schema_with = "duration_schema")]
    pub ttl: Option<String>,
    /// How exposed services get their Ingress.
    #[serde(default)]
    pub ingress: Option<IngressSpec>,
    /// Gateway API routing: one HTTPRoute per exposed service, attached to the platform's shared
    /// Gateway. Not with `ingress`.
    #[serde(default)]
    pub routing: Option<RoutingSpec>,
    /// Secrets made in the preview namespace by External Secrets, by name (the name of the
    /// ExternalSecret and of the Secret it makes). kpreview never writes a secret value.
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretSpec>,
    /// The shared staging environment that every dependency outside the preview goes to.
    #[serde(default)]
    pub staging: Option<StagingSpec>,
    /// Where the preview's pods may run.
    #[serde(default)]
    pub nodes: Option<NodesSpec>,
    /// The services this pull request changes, by name. Names are DNS-1035 labels; they become
    /// Deployment and Service names.
    #[serde(default)]
    #[schemars(extend("propertyNames" = {"pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}))]
    pub services: BTreeMap<String, ServiceSpec>,
    /// Services that are not part of this preview but are reached differently from staging: in
    /// another pull request's preview or at a fixed URL. Any other `dependsOn` name that is neither
    /// a service nor a data store of this preview goes to staging.
    #[serde(default)]
    pub dependencies: BTreeMap<String, DependencySpec>,
    /// Data stores that run inside the preview, by name (DNS-1035 labels of at most 52
    /// characters: they become StatefulSet names).
    #[serde(default)]
    #[schemars(extend("propertyNames" = {"pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$", "maxLength": 52}))]
    pub data_stores: BTreeMap<String, DataStoreSpec>,
    /// How `velero` seeds are restored.
    #[serde(default)]
    pub restore: Option<RestoreSpec>,
}

/// The pull request a preview belongs to.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct PullRequest {
    /// The pull request number.
    #[serde(default)]
    #[schemars(with = "Option<u64>", range(min = 1))]
    pub number: Lenient<u64>,
    /// The full commit SHA of the pull request's head (40 or 64 hex digits).
    #[serde(default)]
    pub head_sha: Option<String>,
    /// The pull request's source branch.
    #[serde(default)]
    pub branch: Option<String>,
}

/// Ingress settings shared by every exposed service.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct IngressSpec {
    /// `spec.ingressClassName` of every Ingress; unset leaves the cluster default.
    #[serde(default)]
    pub class_name: Option<String>,
    /// TLS for every Ingress host: one Secret, a wildcard certificate for `*.<domain>` (per-host
    /// certificates, such as cert-manager's HTTP-01 per Ingress, are not supported).
    #[serde(default)]
    pub tls: Option<TlsSpec>,
    /// Extra annotations on every Ingress (external-dns, controller settings). Keys are qualified
    /// names; `argocd.argoproj.io/*`, `kpreview.dev/*` and `*-snippet` keys are refused.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Namespace of the ingress controller, the only namespace whose pods may reach exposed
    /// services from outside the preview. Default `ingress-nginx`.
    #[serde(default)]
    pub controller_namespace: Option<String>,
    /// Address ranges (CIDRs) that may reach exposed services directly: load balancers that send
    /// traffic straight to pod IPs (AWS ALB in IP mode) rather than through a controller's pods.
    #[serde(default, rename = "sourceCIDRs")]
    pub source_cidrs: Vec<String>,
}

/// Gateway API routing of exposed services.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct RoutingSpec {
    /// The shared Gateway every exposed service's HTTPRoute attaches to. It must admit routes
    /// from namespaces labelled `kpreview.dev/preview`.
    #[serde(default)]
    pub gateway: Option<GatewayRefSpec>,
}

/// A Gateway and, optionally, one of its listeners.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct GatewayRefSpec {
    /// The Gateway's name.
    #[schemars(with = "String")]
    pub name: Option<String>,
    /// The Gateway's namespace; its pods are the ones NetworkPolicies admit to exposed services.
    #[schemars(with = "String")]
    pub namespace: Option<String>,
    /// The listener to attach to (`parentRefs[].sectionName`); unset attaches to every listener
    /// that admits the route.
    #[serde(default)]
    pub section_name: Option<String>,
    /// The scheme of public URLs (`services.<name>.url`): `https` (default) or `http`.
    #[serde(default)]
    #[schemars(with = "Option<Scheme>")]
    pub scheme: Option<String>,
}

/// The scheme of the public URLs behind a Gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// TLS terminated at the Gateway.
    Https,
    /// Plain HTTP.
    Http,
}

impl Scheme {
    /// Every value with its spelling.
    pub const VALUES: &[(&'static str, Self)] = &[("https", Self::Https), ("http", Self::Http)];
}

/// A Secret made by External Secrets from a secret store.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct SecretSpec {
    /// The secret store to read from; the platform's policy lists the stores an app may use.
    #[schemars(with = "String")]
    pub store: Option<String>,
    /// The kind of `store`: `ClusterSecretStore` (default) or `SecretStore` (one in the preview
    /// namespace).
    #[serde(default)]
    #[schemars(with = "Option<StoreKind>")]
    pub kind: Option<String>,
    /// Keys of the Secret, each from one remote secret (and one property of it).
    #[serde(default)]
    pub data: BTreeMap<String, RemoteRefSpec>,
    /// Remote secrets whose every key becomes a key of the Secret.
    #[serde(default)]
    pub data_from: Vec<String>,
    /// How often External Secrets reads the store again, a Go duration. Default `1h`.
    #[serde(default)]
    #[schemars(schema_with = "duration_schema")]
    pub refresh_interval: Option<String>,
}

/// The kind of a secret store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum StoreKind {
    /// A cluster-wide store.
    ClusterSecretStore,
    /// A store in the preview namespace.
    SecretStore,
}

impl StoreKind {
    /// Every value with its spelling.
    pub const VALUES: &[(&'static str, Self)] =
        &[("ClusterSecretStore", Self::ClusterSecretStore), ("SecretStore", Self::SecretStore)];

    /// The spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClusterSecretStore => "ClusterSecretStore",
            Self::SecretStore => "SecretStore",
        }
    }
}

/// One key of a remote secret.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct RemoteRefSpec {
    /// The remote secret's key (its name or path in the store).
    #[schemars(with = "String")]
    pub key: Option<String>,
    /// A property of a structured (JSON) remote secret; unset takes the whole value.
    #[serde(default)]
    pub property: Option<String>,
}

/// TLS settings of the Ingresses.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct TlsSpec {
    /// Name of the TLS Secret in the preview namespace.
    #[schemars(with = "String")]
    pub secret_name: Option<String>,
}

/// The shared staging environment.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct StagingSpec {
    /// Namespace of staging. Default `staging`.
    #[serde(default)]
    pub namespace: Option<String>,
    /// URL of a staging service, a template that also sees `service`. Default
    /// `http://{{ service }}.{{ staging.namespace }}.svc.cluster.local`.
    #[serde(default)]
    pub url: Option<String>,
}

/// Node placement.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct NodesSpec {
    /// Which provider's spot nodes to tolerate and prefer. Default `any`.
    #[serde(default)]
    #[schemars(with = "Option<SpotProvider>")]
    pub spot: Option<String>,
    /// Whether spot nodes are preferred or required. Default `preferred`.
    #[serde(default)]
    #[schemars(with = "Option<SpotPolicy>")]
    pub policy: Option<String>,
}

/// A provider whose spot-node label kpreview knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SpotProvider {
    /// Every provider below.
    Any,
    /// EKS managed node groups (`eks.amazonaws.com/capacityType: SPOT`).
    Eks,
    /// Karpenter (`karpenter.sh/capacity-type: spot`).
    Karpenter,
    /// GKE (`cloud.google.com/gke-spot: "true"`).
    Gke,
    /// AKS (`kubernetes.azure.com/scalesetpriority: spot`).
    Aks,
    /// No spot placement at all.
    None,
}

impl SpotProvider {
    /// Every value with its spelling.
    pub const VALUES: &[(&'static str, Self)] = &[
        ("any", Self::Any),
        ("eks", Self::Eks),
        ("karpenter", Self::Karpenter),
        ("gke", Self::Gke),
        ("aks", Self::Aks),
        ("none", Self::None),
    ];
}

/// How strongly pods are placed on spot nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SpotPolicy {
    /// Prefer spot nodes, fall back to on-demand ones.
    Preferred,
    /// Run on spot nodes only.
    Required,
}

impl SpotPolicy {
    /// Every value with its spelling.
    pub const VALUES: &[(&'static str, Self)] = &[("preferred", Self::Preferred), ("required", Self::Required)];
}

/// The protocol of a further port of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
pub enum Protocol {
    /// TCP, the default.
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
}

impl Protocol {
    /// Every value with its spelling.
    pub const VALUES: &[(&'static str, Self)] = &[("TCP", Self::Tcp), ("UDP", Self::Udp)];

    /// The spelling, as Kubernetes writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "TCP",
            Self::Udp => "UDP",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A service built from this pull request.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Container image, a template (usually tagged with `{{ pr.headSha }}`).
    #[serde(default)]
    pub image: Option<String>,
    /// The port the container listens on. A service with a port gets a ClusterIP Service that
    /// listens on port 80 (named `http`), like the staging services it stands in for.
    #[serde(default)]
    #[schemars(with = "Option<u16>", range(min = 1))]
    pub port: Lenient<u16>,
    /// Give this service an Ingress at `<service>-<namespace>.<domain>`. Needs `port`.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub expose: Lenient<bool>,
    /// Overrides the image's entrypoint. Each item is a template.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// Overrides the image's arguments. Each item is a template.
    #[serde(default)]
    pub args: Option<Vec<String>>,
    /// Extra environment variables. A value is a template, `{secret: S, key: K}` (a key of a
    /// Secret) or `{configMap: C, key: K}`. A name that `dependsOn` also derives (`<DEP>_URL`)
    /// takes this value instead, with a warning.
    #[serde(default)]
    #[schemars(extend("propertyNames" = {"pattern": "^[A-Za-z_][A-Za-z0-9_.-]*$", "maxLength": 256}))]
    pub env: BTreeMap<String, EnvValueSpec>,
    /// Every key of Secrets or ConfigMaps as variables: `[{secret: S}, {configMap: C}]`.
    #[serde(default)]
    pub env_from: Vec<EnvFromSpec>,
    /// Further named ports of the container and its Service, each a port number or
    /// `{port: N, protocol: TCP|UDP}`; `port` stays the routed and probed one.
    #[serde(default)]
    pub ports: BTreeMap<String, PortSpec>,
    /// Names of services, data stores or dependencies this service needs. Each becomes a
    /// `<UPPER_SNAKE>_URL` variable (a data store also gives `_HOST`, `_PORT`, `_USER` and
    /// `_PASSWORD`; a service of this preview without a port gives none); services of this
    /// preview also order the rollout.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// A command that migrates this service's data stores, run as a Job with the service's
    /// image after the data stores are ready and before every service starts (so the `_URL`s of
    /// preview services are not reachable yet). Each item is a template.
    #[serde(default)]
    pub migrate: Option<Vec<String>>,
    /// Number of pods, at most 20. Default 1.
    #[serde(default)]
    #[schemars(with = "Option<u32>", range(max = 20))]
    pub replicas: Lenient<u32>,
    /// Path of an HTTP readiness check on `port`; without it readiness is a TCP check.
    #[serde(default)]
    #[schemars(regex(pattern = "^/"))]
    pub health_path: Option<String>,
    /// Container resources, each at most `cpu: 8`, `memory: 32Gi`. Default requests `cpu: 10m`,
    /// `memory: 64Mi`; limit `memory: 512Mi`.
    #[serde(default)]
    pub resources: Option<ResourcesSpec>,
    /// User id to run as, for images whose `USER` is not numeric. Must not be 0.
    #[serde(default)]
    #[schemars(with = "Option<i64>", range(min = 1, max = 2_147_483_647))]
    pub run_as_user: Lenient<i64>,
}

/// Container resources: small requests (previews are many and mostly idle), a memory limit.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ResourcesSpec {
    /// Requests, `cpu` and `memory` quantities.
    #[serde(default)]
    pub requests: Option<ResourceAmounts>,
    /// Limits, `cpu` and `memory` quantities. A CPU limit is only set when given here.
    #[serde(default)]
    pub limits: Option<ResourceAmounts>,
}

/// A pair of quantities.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ResourceAmounts {
    /// CPU, such as `100m` or `1`.
    #[serde(default)]
    #[schemars(schema_with = "cpu_schema")]
    pub cpu: Option<String>,
    /// Memory, such as `256Mi` or `1Gi`.
    #[serde(default)]
    #[schemars(schema_with = "bytes_schema")]
    pub memory: Option<String>,
}

/// A dependency that is not part of this preview and not on staging. Set exactly one field.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct DependencySpec {
    /// The number of another pull request whose preview runs this service; it is reached at its
    /// Service in that preview's namespace, `http://<name>.<namespace>.svc.cluster.local`.
    #[serde(default)]
    #[schemars(with = "Option<u64>", range(min = 1))]
    pub preview: Lenient<u64>,
    /// A fixed URL, a template.
    #[serde(default)]
    pub url: Option<String>,
    /// With `preview`: the application family whose preview runs this service (its namespace is
    /// that app's default, `<app>-pr-<preview>`). Default: this spec's own.
    #[serde(default)]
    pub app: Option<String>,
}

/// One source of `envFrom`. Set exactly one field.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct EnvFromSpec {
    /// A Secret in the preview namespace.
    #[serde(default)]
    pub secret: Option<String>,
    /// A ConfigMap in the preview namespace.
    #[serde(default)]
    pub config_map: Option<String>,
}

/// A data store that runs inside the preview as a one-replica StatefulSet.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct DataStoreSpec {
    /// The database engine.
    #[serde(default)]
    #[schemars(with = "Option<Engine>")]
    pub engine: Option<String>,
    /// Image tag of the engine's official image. Default `16` for postgres, `7` for redis and
    /// mongodb. Postgres `-alpine` tags are refused (their server runs as uid 70, not 999).
    #[serde(default)]
    pub version: Option<String>,
    /// A different image, such as a registry mirror of the official one. A template.
    #[serde(default)]
    pub image: Option<String>,
    /// Size of the `data` volume. Default `1Gi`, at most `2Ti`; at least the size of a snapshot it
    /// restores.
    #[serde(default)]
    #[schemars(schema_with = "bytes_schema")]
    pub storage: Option<String>,
    /// Storage class of the `data` volume; unset uses the cluster default.
    #[serde(default)]
    pub storage_class: Option<String>,
    /// Where the data comes from. Without a seed the store starts empty.
    #[serde(default)]
    pub seed: Option<SeedSpec>,
    /// A Secret in the preview namespace that holds the store's password; kpreview never renders
    /// it. Without one the store runs without authentication, reachable only from its own
    /// preview.
    #[serde(default)]
    pub credentials: Option<CredentialsSpec>,
    /// Container resources. Default requests `cpu: 50m`, `memory: 128Mi`; limit `memory: 1Gi`.
    #[serde(default)]
    pub resources: Option<ResourcesSpec>,
}

/// A supported data store engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// Redis.
    Redis,
    /// MongoDB.
    Mongodb,
}

impl Engine {
    /// Every value with its spelling.
    pub const VALUES: &[(&'static str, Self)] =
        &[("postgres", Self::Postgres), ("redis", Self::Redis), ("mongodb", Self::Mongodb)];
}

/// Where a data store's data comes from. Set exactly one field.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct SeedSpec {
    /// Restore the store's volume from a Velero backup of a base namespace, before anything
    /// else starts.
    #[serde(default)]
    pub velero: Option<VeleroSeedSpec>,
    /// Provision the store's volume from a CSI volume snapshot (EBS by default).
    #[serde(default)]
    pub snapshot: Option<SnapshotSeedSpec>,
    /// Run this image instead of the official one; nothing is copied: the image seeds the empty
    /// volume itself on first start (postgres and mongodb images run the scripts in
    /// `/docker-entrypoint-initdb.d`). Not with `image` or a non-default `version`, and not for
    /// redis, which has no such hook. A template.
    #[serde(default)]
    pub image: Option<String>,
}

/// A Velero backup to restore from.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct VeleroSeedSpec {
    /// Name of the Velero Backup.
    #[serde(default)]
    pub backup: Option<String>,
    /// The namespace the backup was taken of. Its claim named `data-<store>-0` and labelled
    /// `kpreview.dev/store: <store>` (and, with `credentials`, the Secret of that name with the
    /// same label) is restored into the preview. Only backups whose volume data comes back with
    /// the claim (volume snapshots, CSI snapshots, CSI data movement) work; File System Backup
    /// does not. The platform must allow the namespace (`kpreview-restore-bases`).
    #[serde(default)]
    pub namespace: Option<String>,
}

/// A CSI volume snapshot to provision from. Set exactly one of `handle` and `tags`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct SnapshotSeedSpec {
    /// The snapshot's id in the storage backend, such as `snap-0a1b2c3d4e5f67890`.
    #[serde(default)]
    pub handle: Option<String>,
    /// EC2 tags that select the newest completed snapshot; `kpreview lock` pins it in
    /// `preview.lock`, which `render` reads.
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    /// CSI driver of the snapshot. Default `ebs.csi.aws.com`.
    #[serde(default)]
    pub driver: Option<String>,
    /// VolumeSnapshotClass of the imported snapshot; unset leaves it empty.
    #[serde(default)]
    pub snapshot_class: Option<String>,
}

/// Where a data store's password lives.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct CredentialsSpec {
    /// Name of the Secret in the preview namespace. With a `velero` seed it is restored with the
    /// data (the base namespace's Secret of this name, labelled `kpreview.dev/store: <store>`);
    /// with any other seed it must already exist there, for instance made by External Secrets.
    #[serde(default)]
    pub secret_name: Option<String>,
    /// Key of the password in the Secret. Default `password`.
    #[serde(default)]
    pub password_key: Option<String>,
}

/// How `velero` seeds are restored.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct RestoreSpec {
    /// Namespace Velero runs in. Default `velero`.
    #[serde(default)]
    pub velero_namespace: Option<String>,
    /// How long a restore may take before the Job fails, a Go duration. Default `15m`.
    #[serde(default)]
    #[schemars(schema_with = "duration_schema")]
    pub timeout: Option<String>,
}
