//! The plan of a preview as data: what `kpreview plan --format json` prints and every other format
//! draws. docs/plan-json.md documents each field; a change that breaks a reader bumps
//! [`VERSION`].

use std::collections::BTreeMap;

use serde::Serialize;

pub use crate::k8s::Duration;
pub use crate::render::object::Phase;

/// The version of the JSON plan, so tools can refuse a shape they do not know.
pub const VERSION: u32 = 2;

/// What a preview will create, in the order Argo CD syncs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// [`VERSION`].
    pub version: u32,
    /// The application family (`metadata.name`).
    pub app: String,
    /// The preview's namespace.
    pub namespace: String,
    /// The pull request.
    pub pull_request: PullRequest,
    /// How long the preview lives after its last publish.
    pub ttl: Duration,
    /// Ingress hosts of exposed services.
    pub hosts: Vec<Host>,
    /// Every rendered object, grouped by phase and wave, in apply order.
    pub steps: Vec<Step>,
    /// The services, with where they sync and what they depend on.
    pub services: Vec<ServicePlan>,
    /// The data stores, with where they sync and where their data comes from.
    pub stores: Vec<StorePlan>,
}

/// The pull request a preview is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullRequest {
    /// Its number.
    pub number: u64,
    /// Its head commit, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    /// Its source branch, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
}

/// An exposed service's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Host {
    /// The service.
    pub service: String,
    /// The Ingress host.
    pub host: String,
    /// Whether the Ingress terminates TLS.
    pub tls: bool,
    /// `https://<host>` with TLS, `http://<host>` without.
    pub url: String,
}

/// A phase and a wave: where an object syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Slot {
    /// The phase.
    pub phase: Phase,
    /// The wave within it.
    pub wave: i32,
}

impl std::fmt::Display for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} wave {}", self.phase.as_str(), self.wave)
    }
}

/// The objects of one phase and wave, which Argo CD applies together once the previous step is
/// healthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The phase.
    pub phase: Phase,
    /// The wave.
    pub wave: i32,
    /// Its objects, in apply order.
    pub objects: Vec<PlanObject>,
}

impl Step {
    /// Where the step syncs.
    pub fn slot(&self) -> Slot {
        Slot { phase: self.phase, wave: self.wave }
    }
}

/// One rendered object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanObject {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`; absent for cluster-scoped kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Whether it is an Argo CD resource hook of its phase.
    pub hook: bool,
    /// `argocd.argoproj.io/hook-delete-policy`, for hooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook_delete_policy: Option<String>,
    /// Set when Argo CD applies the object earlier than its own phase and wave: a Namespace goes
    /// with the first object in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_with: Option<Slot>,
}

/// A service of the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePlan {
    /// Its name (Deployment, Service and Ingress name).
    pub name: String,
    /// Its image.
    pub image: String,
    /// Its container port, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Where its Deployment syncs.
    pub phase: Phase,
    /// The wave of its Deployment.
    pub wave: i32,
    /// The longest chain of preview services below it (0: depends on none).
    pub depth: u32,
    /// Its Ingress host, when exposed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Its migration Job, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<JobRef>,
    /// Its `dependsOn`, resolved, in the order written.
    pub depends_on: Vec<Edge>,
}

/// A Job that runs before something else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRef {
    /// Job name.
    pub name: String,
    /// Job namespace.
    pub namespace: String,
    /// Its phase.
    pub phase: Phase,
    /// Its wave.
    pub wave: i32,
}

/// What a dependency resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EdgeKind {
    /// A service of this preview.
    Service,
    /// A data store of this preview.
    Store,
    /// A service in another pull request's preview.
    OtherPreview,
    /// A fixed URL.
    Url,
    /// The shared staging environment.
    Staging,
}

impl EdgeKind {
    /// Whether the dependency runs outside this preview.
    pub fn is_external(self) -> bool {
        matches!(self, EdgeKind::OtherPreview | EdgeKind::Url | EdgeKind::Staging)
    }
}

/// One `dependsOn` entry of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Edge {
    /// The name as written.
    pub name: String,
    /// What it resolved to.
    pub kind: EdgeKind,
    /// The other pull request, for `otherPreview`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pr: Option<u64>,
    /// The namespace it runs in, for `otherPreview`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The store's engine, for `store`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// The environment variable that carries the URL; absent for a service without a port,
    /// which only orders the rollout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// The URL, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A data store of the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorePlan {
    /// Its name (StatefulSet and headless Service name).
    pub name: String,
    /// `postgres`, `redis` or `mongodb`.
    pub engine: String,
    /// The image it runs.
    pub image: String,
    /// Size of its volume.
    pub storage: String,
    /// Where its StatefulSet syncs.
    pub phase: Phase,
    /// The wave of its StatefulSet.
    pub wave: i32,
    /// Where its data comes from.
    pub seed: SeedPlan,
}

/// Where a data store's data comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum SeedPlan {
    /// The store starts empty.
    Empty,
    /// Restored from a Velero backup by a PreSync Job.
    Velero {
        /// The backup.
        backup: String,
        /// The namespace the backup was taken of.
        base_namespace: String,
        /// The namespace Velero runs in.
        velero_namespace: String,
        /// The Job that restores it.
        job: JobRef,
    },
    /// Provisioned from a CSI snapshot.
    Snapshot {
        /// The snapshot's id in the storage backend.
        handle: String,
        /// The CSI driver.
        driver: String,
        /// The tags `preview.lock` resolved the handle from, when it came from tags.
        #[serde(skip_serializing_if = "Option::is_none")]
        tags: Option<BTreeMap<String, String>>,
        /// The VolumeSnapshot the store's claim is provisioned from.
        volume_snapshot: String,
        /// The cluster-scoped VolumeSnapshotContent bound to it.
        volume_snapshot_content: String,
        /// The phase both sync in.
        phase: Phase,
        /// The wave both sync in.
        wave: i32,
    },
    /// A pre-seeded image.
    Image {
        /// The image.
        image: String,
    },
}
