//! Typed custom resources kpreview renders: CSI `VolumeSnapshot` and `VolumeSnapshotContent`
//! (`snapshot.storage.k8s.io/v1`), with exactly the fields of their upstream CRDs that kpreview
//! sets. Serialized with `apiVersion` and `kind` first, as k8s-openapi does for built-in kinds.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// The API version of both kinds.
pub const SNAPSHOT_API_VERSION: &str = "snapshot.storage.k8s.io/v1";

/// A request for a snapshot, here bound to a pre-provisioned [`VolumeSnapshotContent`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshot {
    /// Always [`SNAPSHOT_API_VERSION`].
    pub api_version: &'static str,
    /// Always `VolumeSnapshot`.
    pub kind: &'static str,
    /// Name and namespace.
    pub metadata: ObjectMeta,
    /// What it binds to.
    pub spec: VolumeSnapshotSpec,
}

/// `VolumeSnapshot.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotSpec {
    /// Exactly one source.
    pub source: VolumeSnapshotSource,
    /// Optional class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_snapshot_class_name: Option<String>,
}

/// `VolumeSnapshot.spec.source` for a pre-provisioned snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotSource {
    /// The content it binds to.
    pub volume_snapshot_content_name: String,
}

/// A snapshot that exists in the storage backend, imported by its handle.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotContent {
    /// Always [`SNAPSHOT_API_VERSION`].
    pub api_version: &'static str,
    /// Always `VolumeSnapshotContent`.
    pub kind: &'static str,
    /// Name (cluster-scoped).
    pub metadata: ObjectMeta,
    /// The snapshot and its binding.
    pub spec: VolumeSnapshotContentSpec,
}

/// `VolumeSnapshotContent.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotContentSpec {
    /// `Retain`: deleting the preview must never delete the shared snapshot.
    pub deletion_policy: &'static str,
    /// CSI driver.
    pub driver: String,
    /// The snapshot.
    pub source: VolumeSnapshotContentSource,
    /// The VolumeSnapshot it is bound to.
    pub volume_snapshot_ref: SnapshotRef,
    /// Optional class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_snapshot_class_name: Option<String>,
}

/// `VolumeSnapshotContent.spec.source` of a pre-provisioned snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotContentSource {
    /// The backend's snapshot id.
    pub snapshot_handle: String,
}

/// `VolumeSnapshotContent.spec.volumeSnapshotRef`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotRef {
    /// Name of the VolumeSnapshot.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
}
