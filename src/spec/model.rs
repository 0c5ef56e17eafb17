//! The validated spec: every default applied, every template evaluated, every name final and the
//! dependency graph layered. Rendering and the plan read only this, so neither can disagree with
//! validation or with each other.

use std::collections::BTreeMap;

use serde::Serialize;

use super::problem::Problem;
pub use super::types::{Engine, Protocol, Scheme, SpotPolicy, SpotProvider, StoreKind};
pub use crate::k8s::{Duration, Quantity};

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
    /// Lifetime after the last publish, written the way Go prints it.
    pub ttl: Duration,
    /// Ingress settings; `domain` is set whenever a service is exposed.
    pub ingress: Ingress,
    /// The shared Gateway exposed services attach to with an HTTPRoute, instead of an Ingress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<Gateway>,
    /// Secrets made by External Secrets, by name.
    pub secrets: Vec<ExternalSecret>,
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
    /// The platform's per-preview ceilings (its policy's `limits`), which the ResourceQuota never
    /// exceeds; `None` until a policy was applied.
    #[serde(skip)]
    pub ceiling: Option<Ceiling>,
}

/// Per-preview ceilings from the platform's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceiling {
    /// CPU requested.
    pub cpu: Quantity,
    /// Memory.
    pub memory: Quantity,
    /// Storage.
    pub storage: Quantity,
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
    /// Address ranges that reach exposed services' pods directly (load balancers in IP mode).
    pub source_cidrs: Vec<String>,
}

/// The Gateway (Gateway API) that exposed services attach to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gateway {
    /// Its name.
    pub name: String,
    /// Its namespace, whose pods forward the routed traffic.
    pub namespace: String,
    /// The listener routes attach to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
    /// The scheme of public URLs.
    pub scheme: Scheme,
}

/// A Secret External Secrets makes from a secret store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecret {
    /// The name of the ExternalSecret and of its Secret.
    pub name: String,
    /// The store.
    pub store: String,
    /// The store's kind.
    pub store_kind: StoreKind,
    /// Keys of the Secret from one remote key (and property) each, by Secret key.
    pub data: Vec<RemoteKey>,
    /// Remote keys whose every property becomes a key of the Secret.
    pub data_from: Vec<String>,
    /// How often the store is read again, written the way Go prints it.
    pub refresh_interval: Duration,
}

/// One key of a Secret from a remote secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteKey {
    /// The key in the Secret.
    pub secret_key: String,
    /// The remote secret.
    pub key: String,
    /// The property of it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
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
    /// Further named ports of its container and Service, in name order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<NamedPort>,
    /// Public host (of its Ingress or HTTPRoute), when exposed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Public URL, when exposed: the scheme and the host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Entrypoint override.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Arguments override.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    /// The container's environment in order: what each dependency gives (a store's host, port,
    /// user, password and URL; another service's URL), then the user's own.
    pub env: Vec<EnvVar>,
    /// Secrets and ConfigMaps whose every key becomes a variable.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env_from: Vec<EnvFrom>,
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
    /// A key of a ConfigMap.
    ConfigMap(SecretRef),
}

/// A source of `envFrom`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EnvFrom {
    /// Every key of a Secret.
    Secret(String),
    /// Every key of a ConfigMap.
    ConfigMap(String),
}

/// A further port of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedPort {
    /// Its name, a IANA service name (at most 15 characters).
    pub name: String,
    /// The port, the same on the container and the Service.
    pub port: u16,
    /// `TCP` or `UDP`.
    pub protocol: Protocol,
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
    /// What it resolved to.
    pub target: Target,
    /// The variable that carries its URL and the URL; `None` for a service of this preview
    /// without a port, which has no Service to reach and only orders the rollout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<Link>,
}

/// A dependency's URL and the variable that carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    /// `<UPPER_SNAKE>_URL`.
    pub env: String,
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
    /// A service in another pull request's preview, reached through its Service in that
    /// preview's namespace.
    OtherPreview {
        /// The application family whose preview it is, when not this spec's own.
        #[serde(skip_serializing_if = "Option::is_none")]
        app: Option<String>,
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
    pub cpu_request: Quantity,
    /// Memory request.
    pub memory_request: Quantity,
    /// CPU limit, only when the spec sets one (there is no default: an unset CPU limit lets a
    /// preview burst on an idle node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<Quantity>,
    /// Memory limit.
    pub memory_limit: Quantity,
}

/// A data store of the preview.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Store {
    /// Its name: StatefulSet and headless Service name.
    pub name: String,
    /// Its engine.
    pub engine: Engine,
    /// The image it runs: the official one, `image`, or the seed image.
    pub image: String,
    /// Size of the `data` volume.
    pub storage: Quantity,
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
    /// An image that seeds its own empty volume on first start (`/docker-entrypoint-initdb.d`);
    /// it is also [`Store::image`].
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
    /// How long a restore may take, written the way Go prints it.
    pub timeout: Duration,
}

/// One Velero restore of a preview: a backup, the base namespace it is restored from, and the
/// stores it seeds (in name order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VeleroRestore<'a> {
    /// The Backup.
    pub backup: &'a str,
    /// The namespace the backup was taken of.
    pub base: &'a str,
    /// The stores seeded from it.
    pub stores: Vec<&'a str>,
}

impl Model {
    /// The Velero restores, one per backup and base namespace, in that order: a Restore maps one
    /// base, so that each selects exactly its own stores' claims.
    pub fn velero_restores(&self) -> Vec<VeleroRestore<'_>> {
        let mut by_backup: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for store in &self.stores {
            if let Seed::Velero { backup, namespace } = &store.seed {
                by_backup.entry((backup, namespace)).or_default().push(&store.name);
            }
        }
        by_backup.into_iter().map(|((backup, base), stores)| VeleroRestore { backup, base, stores }).collect()
    }

    /// The service called `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The data store called `name`.
    pub fn store(&self, name: &str) -> Option<&Store> {
        self.stores.iter().find(|s| s.name == name)
    }
}
