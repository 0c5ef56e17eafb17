//! The validated spec: every default applied, every template evaluated, every name final and the
//! dependency graph layered. Rendering and the plan read only this, so neither can disagree with
//! validation or with each other.

use std::collections::BTreeMap;

use serde::Serialize;

use super::problem::Problem;
pub use super::types::{Engine, SpotPolicy, SpotProvider};

/// A preview ready to render.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    /// The application family (`metadata.name`).
    pub app: String,
    /// The preview's namespace, a DNS-1123 label of at most 63 characters.
    pub namespace: String,
    /// The pull request.
    pub pr: Pr,
    /// Lifetime after the last publish.
    pub ttl: Ttl,
    /// Ingress settings; `domain` is set whenever a service is exposed.
    pub ingress: Ingress,
    /// Namespace of the shared staging environment.
    pub staging_namespace: String,
    /// Spot placement.
    pub spot: Spot,
    /// Services by name.
    pub services: Vec<Service>,
    /// Data stores by name.
    pub stores: Vec<Store>,
    /// Settings of the restore Job of `velero` seeds.
    pub restore: Restore,
    /// Warnings found while validating; the preview renders anyway.
    #[serde(skip)]
    pub warnings: Vec<Problem>,
}

/// The pull request a preview is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pr {
    /// Its number.
    pub number: u64,
    /// Its head commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    /// Its source branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
}

/// A duration as written and in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ttl {
    /// As the user wrote it (`48h`).
    pub text: String,
    /// In seconds.
    pub seconds: u64,
}

/// Ingress settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ingress {
    /// Base domain of hosts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Ingress class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// TLS Secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_secret: Option<String>,
    /// Extra annotations.
    pub annotations: BTreeMap<String, String>,
    /// Namespace of the ingress controller.
    pub controller_namespace: String,
}

/// Spot placement.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Spot {
    /// Whose spot label.
    pub provider: SpotProvider,
    /// Preferred or required.
    pub policy: SpotPolicy,
}

/// A service of the preview.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// Its name: Deployment, Service and Ingress name.
    pub name: String,
    /// Its image, templates evaluated.
    pub image: String,
    /// Container port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Ingress host, when exposed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Entrypoint override.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Arguments override.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    /// The container's environment in order: secrets, dependency URLs, then the user's own.
    pub env: Vec<EnvVar>,
    /// Resolved `dependsOn`, in the order written.
    pub depends_on: Vec<Dependency>,
    /// Migration command, templates evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migrate: Option<Vec<String>>,
    /// Pods.
    pub replicas: i32,
    /// HTTP readiness path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_path: Option<String>,
    /// Container resources.
    pub resources: Resources,
    /// Explicit user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
    /// Length of the longest chain of preview services below this one (0: depends on none).
    pub depth: u32,
}

/// One environment variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: EnvValue,
}

/// Where an environment variable's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EnvValue {
    /// A literal, which may reference earlier variables as `$(NAME)`.
    Literal(String),
    /// A key of a Secret.
    Secret(SecretRef),
}

/// A key of a Secret in the preview namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretRef {
    /// Secret name.
    pub name: String,
    /// Key in it.
    pub key: String,
}

/// A resolved `dependsOn` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// The name as written.
    pub name: String,
    /// The variable that carries its URL (`<UPPER_SNAKE>_URL`).
    pub env: String,
    /// What it resolved to.
    pub target: Target,
    /// The URL.
    pub url: String,
}

/// What a dependency resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Target {
    /// A service of this preview.
    Service,
    /// A data store of this preview.
    Store {
        /// Its engine.
        engine: Engine,
    },
    /// A service in another pull request's preview.
    OtherPreview {
        /// That pull request.
        pr: u64,
        /// Its namespace.
        namespace: String,
    },
    /// A fixed URL.
    Url,
    /// The shared staging environment.
    Staging,
}

/// Container resources as Kubernetes quantities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    /// CPU request.
    pub cpu_request: String,
    /// Memory request.
    pub memory_request: String,
    /// CPU limit, only when the spec sets one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<String>,
    /// Memory limit.
    pub memory_limit: String,
}

/// A data store of the preview.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Store {
    /// Its name: StatefulSet and headless Service name.
    pub name: String,
    /// Its engine.
    pub engine: Engine,
    /// The image it runs.
    pub image: String,
    /// Size of the `data` volume.
    pub storage: String,
    /// Storage class of the `data` volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// Where its data comes from.
    pub seed: Seed,
    /// Its password, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<SecretRef>,
    /// Container resources.
    pub resources: Resources,
}

/// Where a data store's data comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Seed {
    /// Nothing: the store starts empty.
    Empty,
    /// A Velero backup of a base namespace.
    Velero {
        /// Backup name.
        backup: String,
        /// The base namespace the backup holds.
        namespace: String,
    },
    /// A CSI snapshot.
    Snapshot {
        /// Snapshot id in the storage backend.
        handle: String,
        /// CSI driver.
        driver: String,
        /// VolumeSnapshotClass, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        class: Option<String>,
        /// The tags the lock file resolved `handle` from, when it came from tags.
        #[serde(skip_serializing_if = "Option::is_none")]
        tags: Option<BTreeMap<String, String>>,
    },
    /// A pre-seeded image.
    Image {
        /// The image.
        image: String,
    },
}

/// Settings of the restore Job.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Restore {
    /// Namespace Velero runs in.
    pub velero_namespace: String,
    /// Image of the Job.
    pub image: String,
    /// How long a restore may take.
    pub timeout: Ttl,
}

impl Model {
    /// The service called `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The data store called `name`.
    pub fn store(&self, name: &str) -> Option<&Store> {
        self.stores.iter().find(|s| s.name == name)
    }
}
