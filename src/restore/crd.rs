//! `velero.io/v1 Restore`, only the fields kpreview sets or reads; every other field the server
//! returns is ignored on read (schema: `velero.io_restores.yaml`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// What to restore, from which backup, into where.
#[derive(CustomResource, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[kube(group = "velero.io", version = "v1", kind = "Restore", namespaced, status = "RestoreStatus")]
#[kube(schema = "disabled")]
#[serde(rename_all = "camelCase")]
pub struct RestoreSpec {
    /// The Backup to restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_name: Option<String>,
    /// Namespaces of the backup to restore.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_namespaces: Vec<String>,
    /// Resources to restore (plural names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_resources: Vec<String>,
    /// Backup namespace → namespace to restore into.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub namespace_mapping: BTreeMap<String, String>,
    /// Restore objects matching any of these (never together with `labelSelector`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub or_label_selectors: Vec<LabelSelector>,
    /// Restore volume data, not only the claim objects.
    #[serde(default, rename = "restorePVs", skip_serializing_if = "Option::is_none")]
    pub restore_pvs: Option<bool>,
}

/// What Velero reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreStatus {
    /// `New`, `InProgress`, …, `Completed`, `PartiallyFailed`, `Failed`, `FailedValidation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// How many warnings; the messages are in `velero restore describe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<i64>,
    /// How many errors; the messages are in `velero restore describe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<i64>,
    /// Why the spec was refused (`FailedValidation`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation_errors: Vec<String>,
    /// Why the restore failed as a whole (`Failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// Items restored so far (best effort).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<RestoreProgress>,
}

/// Velero's item counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreProgress {
    /// Items restored so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_restored: Option<i64>,
    /// Items to restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_items: Option<i64>,
}
