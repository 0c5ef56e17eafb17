//! The preview's Namespace. kpreview renders it (rather than Argo CD's `CreateNamespace`) so that
//! deleting the Application deletes everything in it; it enforces Pod Security "restricted" and
//! carries the preview's identity and lifetime.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::meta::{APP, cluster_scoped, common_labels};
use super::object::{Hook, Object, Phase, Resource};
use super::waves::Waves;
use crate::spec::model::Model;

/// `kpreview.dev/ttl` on the Namespace.
pub const TTL: &str = "kpreview.dev/ttl";
/// `kpreview.dev/head-sha` on the Namespace.
pub const HEAD_SHA: &str = "kpreview.dev/head-sha";
/// `kpreview.dev/branch` on the Namespace.
pub const BRANCH: &str = "kpreview.dev/branch";

/// The Namespace object.
pub fn object(model: &Model, waves: &Waves) -> Object {
    let mut labels = common_labels(model);
    labels.insert(APP.to_owned(), model.app.clone());
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(format!("pod-security.kubernetes.io/{mode}"), "restricted".to_owned());
    }
    let mut annotations = BTreeMap::from([(TTL.to_owned(), model.ttl.as_str().to_owned())]);
    if let Some(sha) = &model.pr.head_sha {
        annotations.insert(HEAD_SHA.to_owned(), sha.clone());
    }
    if let Some(branch) = &model.pr.branch {
        annotations.insert(BRANCH.to_owned(), branch.clone());
    }
    let namespace = Namespace {
        metadata: ObjectMeta {
            labels: Some(labels),
            annotations: Some(annotations),
            ..cluster_scoped(&model.namespace)
        },
        spec: None,
        status: None,
    };
    Object { phase: Phase::Sync, wave: waves.setup, hook: Hook::No, resource: Resource::Namespace(namespace) }
}
