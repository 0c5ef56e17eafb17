//! Sleep and wake in git. A sleeping preview's `manifests/` (what Argo CD applies) is its awake
//! manifests with every Deployment and StatefulSet at `replicas: 0`; the awake manifests stay
//! beside them as `awake/`, the very same tree object, so waking restores them byte for byte
//! without a render. Claims are untouched, so volumes and data outlive the sleep.
//!
//! Hooks: Argo CD runs every PreSync, Sync and PostSync hook on every sync, and each of these
//! commits starts one. The hooks kpreview renders are the Velero restore (PreSync) and the
//! migrations (Sync); run again on sleep they would migrate a database that is scaled to zero,
//! and on wake they would re-run what already ran. So both the sleeping manifests and the woken
//! ones leave out every hook that runs on sync (PostDelete hooks stay: deleting the preview
//! still cleans up). Argo CD never prunes hooks, so nothing in the cluster is deleted by their
//! absence; the next `publish` brings them back with the new render, as any publish does.

use serde_json::Value;

use super::error::GitOpsError;
use super::repo::{Entry, Oid, Repo};
use crate::yaml::{self, Limits};

/// The directory beside `manifests/` holding a sleeping preview's awake manifests.
pub const AWAKE: &str = "awake";

/// The sleeping form of the manifests tree `manifests`.
pub fn asleep(repo: &Repo, manifests: &Oid) -> Result<Oid, GitOpsError> {
    rewrite(repo, manifests, |object| {
        if runs_on_sync(object) {
            return Edit::Drop;
        }
        let scaled = matches!(object.get("kind").and_then(Value::as_str), Some("Deployment" | "StatefulSet"))
            && object.get("apiVersion").and_then(Value::as_str) == Some("apps/v1");
        match object.get("spec") {
            Some(Value::Object(spec)) if scaled && spec.get("replicas") != Some(&Value::from(0)) => {
                let mut object = object.clone();
                if let Some(Value::Object(spec)) = object.get_mut("spec") {
                    spec.insert("replicas".to_owned(), Value::from(0));
                }
                Edit::Replace(object)
            }
            _ => Edit::Keep,
        }
    })
}

/// The manifests a woken preview gets back: `awake` without the hooks that run on sync.
pub fn woken(repo: &Repo, awake: &Oid) -> Result<Oid, GitOpsError> {
    rewrite(repo, awake, |object| if runs_on_sync(object) { Edit::Drop } else { Edit::Keep })
}

/// Whether Argo CD runs `object` as a hook of a sync (PreSync, Sync, PostSync, SyncFail, or
/// Helm's install and upgrade hooks, which it maps to those), and not on deletion.
pub fn runs_on_sync(object: &Value) -> bool {
    let annotation = |key: &str| {
        object
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
            .map(|v| v.split(',').map(str::trim).map(str::to_owned).collect::<Vec<_>>())
    };
    // Argo CD reads Helm's annotation only when its own is absent.
    if let Some(phases) = annotation("argocd.argoproj.io/hook") {
        let on_sync = phases.iter().any(|p| matches!(p.as_str(), "PreSync" | "Sync" | "PostSync" | "SyncFail"));
        return on_sync && !phases.iter().any(|p| p == "PostDelete");
    }
    annotation("helm.sh/hook").is_some_and(|phases| {
        phases.iter().any(|p| p.ends_with("-install") || p.ends_with("-upgrade"))
            && !phases.iter().any(|p| p.ends_with("-delete"))
    })
}

enum Edit {
    Keep,
    Drop,
    Replace(Value),
}

/// The tree `tree` with `edit` applied to each file's object. Files that are not one readable
/// YAML mapping are kept as they are: kpreview did not write them and cannot judge them.
fn rewrite(repo: &Repo, tree: &Oid, edit: impl Fn(&Value) -> Edit) -> Result<Oid, GitOpsError> {
    let entries = repo.ls_tree(tree)?;
    let blobs: Vec<String> = entries.iter().map(|e| e.oid.to_string()).collect();
    let objects = repo.read_objects(&blobs)?;
    let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
    let mut replaced: Vec<(String, String)> = Vec::new();
    for (entry, object) in entries.into_iter().zip(objects) {
        let value = object
            .filter(|o| o.kind == "blob" && entry.kind == "blob")
            .and_then(|o| String::from_utf8(o.data).ok())
            .and_then(|text| yaml::value_from_str(&text, Limits::Stream).ok())
            .filter(Value::is_object);
        match value.map_or(Edit::Keep, |v| edit(&v)) {
            Edit::Keep => kept.push(entry),
            Edit::Drop => {}
            Edit::Replace(value) => {
                let text = yaml::to_string(&value)
                    .map_err(|e| GitOpsError::BadMetadata { namespace: entry.name.clone(), reason: e.to_string() })?;
                replaced.push((entry.name, text));
            }
        }
    }
    let texts: Vec<&str> = replaced.iter().map(|(_, t)| t.as_str()).collect();
    let oids = repo.write_blobs(&texts)?;
    kept.extend(replaced.iter().zip(oids).map(|((name, _), oid)| Entry::file(name, oid)));
    repo.mktree(&kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(annotations: &[(&str, &str)]) -> Value {
        let annotations: serde_json::Map<String, Value> =
            annotations.iter().map(|(k, v)| ((*k).to_owned(), Value::from(*v))).collect();
        serde_json::json!({"kind": "Job", "metadata": {"name": "x", "annotations": annotations}})
    }

    #[test]
    fn hooks_that_run_on_sync_are_told_from_deletion_hooks_and_resources() {
        assert!(runs_on_sync(&object(&[("argocd.argoproj.io/hook", "Sync")])));
        assert!(runs_on_sync(&object(&[("argocd.argoproj.io/hook", "PreSync")])));
        assert!(runs_on_sync(&object(&[("argocd.argoproj.io/hook", "PostSync, SyncFail")])));
        assert!(!runs_on_sync(&object(&[("argocd.argoproj.io/hook", "PostDelete")])));
        assert!(!runs_on_sync(&object(&[("argocd.argoproj.io/hook", "Skip")])));
        assert!(!runs_on_sync(&object(&[])));
        assert!(runs_on_sync(&object(&[("helm.sh/hook", "pre-install,pre-upgrade")])));
        assert!(!runs_on_sync(&object(&[("helm.sh/hook", "post-delete")])));
        assert!(
            !runs_on_sync(&object(&[("argocd.argoproj.io/hook", "PostDelete"), ("helm.sh/hook", "pre-install")])),
            "Argo CD's own annotation wins"
        );
    }
}
