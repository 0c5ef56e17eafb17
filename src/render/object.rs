//! A rendered object: a typed Kubernetes resource with its Argo CD phase and wave, and the order
//! Argo CD applies such objects in.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{LimitRange, Namespace, ResourceQuota, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::crd::{VolumeSnapshot, VolumeSnapshotContent};
use super::routes::HttpRoute;
use super::secrets::ExternalSecret;

/// The Argo CD sync phase an object belongs to, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Phase {
    /// Hooks before anything is applied.
    PreSync,
    /// The sync itself, hooks (migrations) included.
    Sync,
    /// Hooks run after the Application is deleted.
    PostDelete,
}

impl Phase {
    /// The name Argo CD uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::PreSync => "PreSync",
            Phase::Sync => "Sync",
            Phase::PostDelete => "PostDelete",
        }
    }
}

/// Whether an object is a resource hook, and how Argo CD deletes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// A regular resource.
    No,
    /// A hook kept until the next sync re-creates it (`BeforeHookCreation`), so its logs stay.
    KeepUntilNextSync,
    /// A hook deleted once the operation succeeds (`BeforeHookCreation,HookSucceeded`).
    DeleteOnSuccess,
}

/// Every kind kpreview renders.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)]
pub enum Resource {
    /// `v1 Namespace`.
    Namespace(Namespace),
    /// `networking.k8s.io/v1 NetworkPolicy`.
    NetworkPolicy(NetworkPolicy),
    /// `v1 ResourceQuota`.
    ResourceQuota(ResourceQuota),
    /// `v1 LimitRange`.
    LimitRange(LimitRange),
    /// `v1 ServiceAccount`.
    ServiceAccount(ServiceAccount),
    /// `rbac.authorization.k8s.io/v1 Role`.
    Role(Role),
    /// `rbac.authorization.k8s.io/v1 RoleBinding`.
    RoleBinding(RoleBinding),
    /// `v1 Service`.
    Service(Service),
    /// `apps/v1 Deployment`.
    Deployment(Deployment),
    /// `apps/v1 StatefulSet`.
    StatefulSet(StatefulSet),
    /// `batch/v1 Job`.
    Job(Job),
    /// `networking.k8s.io/v1 Ingress`.
    Ingress(Ingress),
    /// `snapshot.storage.k8s.io/v1 VolumeSnapshot`.
    VolumeSnapshot(VolumeSnapshot),
    /// `snapshot.storage.k8s.io/v1 VolumeSnapshotContent`.
    VolumeSnapshotContent(VolumeSnapshotContent),
    /// `external-secrets.io/v1 ExternalSecret`.
    ExternalSecret(ExternalSecret),
    /// `gateway.networking.k8s.io/v1 HTTPRoute`.
    HttpRoute(HttpRoute),
}

impl Resource {
    /// The object's `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Resource::Namespace(_) => "Namespace",
            Resource::NetworkPolicy(_) => "NetworkPolicy",
            Resource::ResourceQuota(_) => "ResourceQuota",
            Resource::LimitRange(_) => "LimitRange",
            Resource::ServiceAccount(_) => "ServiceAccount",
            Resource::Role(_) => "Role",
            Resource::RoleBinding(_) => "RoleBinding",
            Resource::Service(_) => "Service",
            Resource::Deployment(_) => "Deployment",
            Resource::StatefulSet(_) => "StatefulSet",
            Resource::Job(_) => "Job",
            Resource::Ingress(_) => "Ingress",
            Resource::VolumeSnapshot(_) => "VolumeSnapshot",
            Resource::VolumeSnapshotContent(_) => "VolumeSnapshotContent",
            Resource::ExternalSecret(_) => "ExternalSecret",
            Resource::HttpRoute(_) => "HTTPRoute",
        }
    }

    /// The object's `apiVersion`.
    pub fn api_version(&self) -> &'static str {
        match self {
            Resource::Namespace(_)
            | Resource::ResourceQuota(_)
            | Resource::LimitRange(_)
            | Resource::ServiceAccount(_)
            | Resource::Service(_) => "v1",
            Resource::NetworkPolicy(_) | Resource::Ingress(_) => "networking.k8s.io/v1",
            Resource::Role(_) | Resource::RoleBinding(_) => "rbac.authorization.k8s.io/v1",
            Resource::Deployment(_) | Resource::StatefulSet(_) => "apps/v1",
            Resource::Job(_) => "batch/v1",
            Resource::VolumeSnapshot(_) | Resource::VolumeSnapshotContent(_) => super::crd::SNAPSHOT_API_VERSION,
            Resource::ExternalSecret(_) => super::secrets::API_VERSION,
            Resource::HttpRoute(_) => super::routes::API_VERSION,
        }
    }

    /// The object's metadata.
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Resource::Namespace(o) => &o.metadata,
            Resource::NetworkPolicy(o) => &o.metadata,
            Resource::ResourceQuota(o) => &o.metadata,
            Resource::LimitRange(o) => &o.metadata,
            Resource::ServiceAccount(o) => &o.metadata,
            Resource::Role(o) => &o.metadata,
            Resource::RoleBinding(o) => &o.metadata,
            Resource::Service(o) => &o.metadata,
            Resource::Deployment(o) => &o.metadata,
            Resource::StatefulSet(o) => &o.metadata,
            Resource::Job(o) => &o.metadata,
            Resource::Ingress(o) => &o.metadata,
            Resource::VolumeSnapshot(o) => &o.metadata,
            Resource::VolumeSnapshotContent(o) => &o.metadata,
            Resource::ExternalSecret(o) => &o.metadata,
            Resource::HttpRoute(o) => &o.metadata,
        }
    }

    /// The object's metadata, to add labels and annotations.
    pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Resource::Namespace(o) => &mut o.metadata,
            Resource::NetworkPolicy(o) => &mut o.metadata,
            Resource::ResourceQuota(o) => &mut o.metadata,
            Resource::LimitRange(o) => &mut o.metadata,
            Resource::ServiceAccount(o) => &mut o.metadata,
            Resource::Role(o) => &mut o.metadata,
            Resource::RoleBinding(o) => &mut o.metadata,
            Resource::Service(o) => &mut o.metadata,
            Resource::Deployment(o) => &mut o.metadata,
            Resource::StatefulSet(o) => &mut o.metadata,
            Resource::Job(o) => &mut o.metadata,
            Resource::Ingress(o) => &mut o.metadata,
            Resource::VolumeSnapshot(o) => &mut o.metadata,
            Resource::VolumeSnapshotContent(o) => &mut o.metadata,
            Resource::ExternalSecret(o) => &mut o.metadata,
            Resource::HttpRoute(o) => &mut o.metadata,
        }
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    /// `metadata.namespace`; empty for cluster-scoped kinds.
    pub fn namespace(&self) -> &str {
        self.metadata().namespace.as_deref().unwrap_or_default()
    }
}

/// A resource and where Argo CD applies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// Sync phase.
    pub phase: Phase,
    /// Sync wave within the phase.
    pub wave: i32,
    /// Hook or not.
    pub hook: Hook,
    /// The resource.
    pub resource: Resource,
}

/// Argo CD's kind order within a wave (gitops-engine `pkg/sync/sync_tasks.go`, taken from Helm):
/// kinds not listed, such as custom resources, go last.
const KIND_ORDER: &[&str] = &[
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
];

/// Position of `kind` in [`KIND_ORDER`]; unknown kinds after every known one.
pub fn kind_rank(kind: &str) -> usize {
    KIND_ORDER.iter().position(|k| *k == kind).unwrap_or(KIND_ORDER.len())
}

impl super::order::Ordered for Object {
    fn phase_rank(&self) -> u8 {
        super::order::phase_rank(Some(self.phase.as_str()))
    }

    fn wave(&self) -> i64 {
        i64::from(self.wave)
    }

    fn kind(&self) -> &str {
        self.resource.kind()
    }

    fn name(&self) -> &str {
        self.resource.name()
    }

    fn namespace(&self) -> &str {
        self.resource.namespace()
    }

    fn is_namespace(&self) -> bool {
        matches!(self.resource, Resource::Namespace(_))
    }
}

/// Sorts objects into the order Argo CD applies them ([`super::order::sort`]).
pub fn sort(objects: &mut Vec<Object>) {
    super::order::sort(objects);
}
