//! Labels, annotations and metadata every rendered object shares.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::object::{Hook, Object};
use crate::spec::model::Model;

/// `app.kubernetes.io/managed-by`.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// `kpreview.dev/preview`: the preview's namespace.
pub const PREVIEW: &str = "kpreview.dev/preview";
/// `kpreview.dev/pr`: the pull request number.
pub const PR: &str = "kpreview.dev/pr";
/// `kpreview.dev/app`: the application family, on the Namespace.
pub const APP: &str = "kpreview.dev/app";
/// `kpreview.dev/store`: on a data store's volume claims, so a Velero restore can select them.
pub const STORE: &str = "kpreview.dev/store";
/// `app.kubernetes.io/name`.
pub const NAME: &str = "app.kubernetes.io/name";
/// `app.kubernetes.io/component`.
pub const COMPONENT: &str = "app.kubernetes.io/component";
/// `app.kubernetes.io/part-of`.
pub const PART_OF: &str = "app.kubernetes.io/part-of";
/// `argocd.argoproj.io/sync-wave`.
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";
/// `argocd.argoproj.io/hook`.
pub const HOOK: &str = "argocd.argoproj.io/hook";
/// `argocd.argoproj.io/hook-delete-policy`.
pub const HOOK_DELETE_POLICY: &str = "argocd.argoproj.io/hook-delete-policy";

/// The three labels of SPEC §2, on every object.
pub fn common_labels(model: &Model) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY.to_owned(), "kpreview".to_owned()),
        (PREVIEW.to_owned(), model.namespace.clone()),
        (PR.to_owned(), model.pr.number.to_string()),
    ])
}

/// Labels that select the pods of one workload: stable for the life of the preview.
pub fn selector(name: &str, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(NAME.to_owned(), name.to_owned()), (COMPONENT.to_owned(), component.to_owned())])
}

/// Labels of a workload and its pods: the selector, the common labels and `part-of`.
pub fn workload_labels(model: &Model, name: &str, component: &str) -> BTreeMap<String, String> {
    let mut labels = common_labels(model);
    labels.extend(selector(name, component));
    labels.insert(PART_OF.to_owned(), model.app.clone());
    labels
}

/// Metadata of an object in the preview namespace.
pub fn namespaced(model: &Model, name: &str) -> ObjectMeta {
    in_namespace(name, &model.namespace)
}

/// Metadata with a name and namespace.
pub fn in_namespace(name: &str, namespace: &str) -> ObjectMeta {
    ObjectMeta { name: Some(name.to_owned()), namespace: Some(namespace.to_owned()), ..ObjectMeta::default() }
}

/// Metadata of a cluster-scoped object.
pub fn cluster_scoped(name: &str) -> ObjectMeta {
    ObjectMeta { name: Some(name.to_owned()), ..ObjectMeta::default() }
}

/// Adds the common labels and the Argo CD annotations that match where the object sorts, so the
/// annotations and the apply order can never disagree.
pub fn stamp(model: &Model, object: &mut Object) {
    let labels = common_labels(model);
    let (phase, wave, hook) = (object.phase, object.wave, object.hook);
    let meta = object.resource.metadata_mut();
    meta.labels.get_or_insert_with(BTreeMap::new).extend(labels);
    let annotations = meta.annotations.get_or_insert_with(BTreeMap::new);
    annotations.insert(SYNC_WAVE.to_owned(), wave.to_string());
    match hook {
        Hook::No => {}
        Hook::KeepUntilNextSync => {
            annotations.insert(HOOK.to_owned(), phase.as_str().to_owned());
            annotations.insert(HOOK_DELETE_POLICY.to_owned(), "BeforeHookCreation".to_owned());
        }
        Hook::DeleteOnSuccess => {
            annotations.insert(HOOK.to_owned(), phase.as_str().to_owned());
            annotations.insert(HOOK_DELETE_POLICY.to_owned(), "BeforeHookCreation,HookSucceeded".to_owned());
        }
    }
}
