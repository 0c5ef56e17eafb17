//! External Secrets: one `external-secrets.io/v1` `ExternalSecret` per `spec.secrets` entry,
//! whose target Secret has the same name. kpreview writes which remote keys to read, never a
//! value. They sync in the namespace-level wave: Argo CD's health check for ExternalSecrets holds
//! the next wave until each has synced, so no store or service starts without its Secret.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::meta::{common_labels, namespaced};
use super::object::{Hook, Object, Phase, Resource};
use super::waves::Waves;
use crate::spec::model::{self, Model};

/// The API version of `ExternalSecret`.
pub const API_VERSION: &str = "external-secrets.io/v1";

/// An `ExternalSecret`, with the fields of its CRD that kpreview sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecret {
    /// Always [`API_VERSION`].
    pub api_version: &'static str,
    /// Always `ExternalSecret`.
    pub kind: &'static str,
    /// Name and namespace.
    pub metadata: ObjectMeta,
    /// What to read and where to write it.
    pub spec: ExternalSecretSpec,
}

/// `ExternalSecret.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretSpec {
    /// How often the store is read again.
    pub refresh_interval: String,
    /// The store.
    pub secret_store_ref: StoreRef,
    /// The Secret it makes.
    pub target: Target,
    /// Keys from one remote key each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<Data>,
    /// Whole remote secrets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub data_from: Vec<DataFrom>,
}

/// `spec.secretStoreRef`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreRef {
    /// `SecretStore` or `ClusterSecretStore`.
    pub kind: &'static str,
    /// The store's name.
    pub name: String,
}

/// `spec.target`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// The Secret's name, the ExternalSecret's own.
    pub name: String,
    /// `Owner`: the Secret belongs to the ExternalSecret and goes with it (and the namespace).
    pub creation_policy: &'static str,
    /// `Delete`: a key removed from the store is removed from the Secret.
    pub deletion_policy: &'static str,
}

/// One item of `spec.data`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Data {
    /// The key in the Secret.
    pub secret_key: String,
    /// Where its value comes from.
    pub remote_ref: RemoteRef,
}

/// `remoteRef` of a data item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteRef {
    /// The remote secret.
    pub key: String,
    /// A property of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
}

/// One item of `spec.dataFrom`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataFrom {
    /// Every property of one remote secret.
    pub extract: Extract,
}

/// `dataFrom[].extract`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Extract {
    /// The remote secret.
    pub key: String,
}

/// The preview's ExternalSecrets.
pub fn objects(model: &Model, waves: &Waves) -> Vec<Object> {
    model
        .secrets
        .iter()
        .map(|secret| Object {
            phase: Phase::Sync,
            wave: waves.setup,
            hook: Hook::No,
            resource: Resource::ExternalSecret(external_secret(model, secret)),
        })
        .collect()
}

fn external_secret(model: &Model, secret: &model::ExternalSecret) -> ExternalSecret {
    ExternalSecret {
        api_version: API_VERSION,
        kind: "ExternalSecret",
        metadata: ObjectMeta { labels: Some(common_labels(model)), ..namespaced(model, &secret.name) },
        spec: ExternalSecretSpec {
            refresh_interval: secret.refresh_interval.as_str().to_owned(),
            secret_store_ref: StoreRef { kind: secret.store_kind.as_str(), name: secret.store.clone() },
            target: Target { name: secret.name.clone(), creation_policy: "Owner", deletion_policy: "Delete" },
            data: secret
                .data
                .iter()
                .map(|d| Data {
                    secret_key: d.secret_key.clone(),
                    remote_ref: RemoteRef { key: d.key.clone(), property: d.property.clone() },
                })
                .collect(),
            data_from: secret.data_from.iter().map(|key| DataFrom { extract: Extract { key: key.clone() } }).collect(),
        },
    }
}
