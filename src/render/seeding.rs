//! Seeding data stores before they start.
//!
//! `velero`: PreSync hooks — a ServiceAccount in the preview and a Role/RoleBinding in Velero's
//! namespace that let it create and watch only its own Restores — then one Job per backup that
//! runs `kpreview restore velero` and fails unless the Restore ends `Completed`. A PostDelete Job
//! in Velero's namespace removes the preview's Restores and any RBAC left behind, so a deleted
//! preview leaves nothing outside its namespace.
//!
//! `snapshot`: a `Retain` VolumeSnapshotContent per preview, bound to a VolumeSnapshot that the
//! store's claim template names as its `dataSource`.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{PodTemplateSpec, ServiceAccount};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::crd::{
    SNAPSHOT_API_VERSION, SnapshotRef, VolumeSnapshot, VolumeSnapshotContent, VolumeSnapshotContentSource,
    VolumeSnapshotContentSpec, VolumeSnapshotSource, VolumeSnapshotSpec,
};
use super::meta::{cluster_scoped, in_namespace, namespaced, workload_labels};
use super::naming::{MAX_LABEL, join, label_from};
use super::object::{Hook, Object, Phase, Resource};
use super::waves::Waves;
use super::{pod, security};
use crate::spec::defaults::JOB_RESOURCES;
use crate::spec::model::{Model, Resources, Seed, Store};

/// The ServiceAccount the restore Jobs run as, in the preview namespace.
pub const RESTORE_ACCOUNT: &str = "kpreview-restore";
/// The ServiceAccount the cleanup Job runs as, in Velero's namespace, installed once per cluster
/// (`overlays/platform`).
pub const CLEANUP_ACCOUNT: &str = "kpreview-cleanup";
/// Component label of restore objects.
pub const RESTORE_COMPONENT: &str = "restore";
/// Component label of cleanup objects.
pub const CLEANUP_COMPONENT: &str = "cleanup";

/// The name of the Velero Restore of `backup` into `preview`: stable, so a retried Job finds the
/// Restore an earlier attempt made, and at most 63 characters, since Velero labels every restored
/// object with it.
pub fn restore_name(preview: &str, backup: &str) -> String {
    join(&[preview, &label_from(backup, MAX_LABEL)], MAX_LABEL)
}

/// The Role and RoleBinding name of a preview's restore, in Velero's namespace.
pub fn restore_rbac_name(preview: &str) -> String {
    join(&["kpreview-restore", preview], MAX_LABEL)
}

/// The VolumeSnapshot a store's claim is provisioned from.
pub fn snapshot_name(store: &str) -> String {
    join(&[store, "seed"], MAX_LABEL)
}

/// The VolumeSnapshotContent of a store in a preview (cluster-scoped, so it names the preview).
pub fn snapshot_content_name(preview: &str, store: &str) -> String {
    join(&[preview, store], MAX_LABEL)
}

/// A Velero backup and the stores restored from it.
struct Restore<'a> {
    backup: &'a str,
    base: &'a str,
    stores: Vec<&'a str>,
}

fn restores(model: &Model) -> Vec<Restore<'_>> {
    let mut by_backup: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for store in &model.stores {
        if let Seed::Velero { backup, namespace } = &store.seed {
            by_backup.entry((backup, namespace)).or_default().push(&store.name);
        }
    }
    by_backup.into_iter().map(|((backup, base), stores)| Restore { backup, base, stores }).collect()
}

/// Every seeding object of the preview.
pub fn objects(model: &Model, waves: &Waves) -> Vec<Object> {
    let mut out = Vec::new();
    let restores = restores(model);
    if !restores.is_empty() {
        let names: Vec<String> = restores.iter().map(|r| restore_name(&model.namespace, r.backup)).collect();
        let hook = |wave, resource| Object { phase: Phase::PreSync, wave, hook: Hook::DeleteOnSuccess, resource };
        out.push(hook(waves.restore_rbac, Resource::ServiceAccount(restore_account(model))));
        out.push(hook(waves.restore_rbac, Resource::Role(restore_role(model, names))));
        out.push(hook(waves.restore_rbac, Resource::RoleBinding(restore_binding(model))));
        for restore in &restores {
            out.push(Object {
                phase: Phase::PreSync,
                wave: waves.restore,
                hook: Hook::KeepUntilNextSync,
                resource: Resource::Job(restore_job(model, restore)),
            });
        }
        out.push(Object {
            phase: Phase::PostDelete,
            wave: waves.cleanup,
            hook: Hook::DeleteOnSuccess,
            resource: Resource::Job(cleanup_job(model)),
        });
    }
    for store in &model.stores {
        if let Seed::Snapshot { handle, driver, class, .. } = &store.seed {
            out.extend(snapshot(model, waves, store, handle, driver, class.as_deref()));
        }
    }
    out
}

fn restore_account(model: &Model) -> ServiceAccount {
    ServiceAccount {
        metadata: ObjectMeta {
            labels: Some(workload_labels(model, RESTORE_ACCOUNT, RESTORE_COMPONENT)),
            ..namespaced(model, RESTORE_ACCOUNT)
        },
        automount_service_account_token: Some(true),
        ..ServiceAccount::default()
    }
}

/// Create Restores (creation cannot be limited by name) and read only the preview's own.
fn restore_role(model: &Model, names: Vec<String>) -> Role {
    let name = restore_rbac_name(&model.namespace);
    let rule = |verbs: &[&str], names: Option<Vec<String>>| PolicyRule {
        api_groups: Some(vec!["velero.io".to_owned()]),
        resources: Some(vec!["restores".to_owned()]),
        verbs: verbs.iter().map(|v| (*v).to_owned()).collect(),
        resource_names: names,
        non_resource_urls: None,
    };
    Role {
        metadata: ObjectMeta {
            labels: Some(workload_labels(model, RESTORE_ACCOUNT, RESTORE_COMPONENT)),
            ..in_namespace(&name, &model.restore.velero_namespace)
        },
        rules: Some(vec![rule(&["create"], None), rule(&["get", "list", "watch"], Some(names))]),
    }
}

fn restore_binding(model: &Model) -> RoleBinding {
    let name = restore_rbac_name(&model.namespace);
    RoleBinding {
        metadata: ObjectMeta {
            labels: Some(workload_labels(model, RESTORE_ACCOUNT, RESTORE_COMPONENT)),
            ..in_namespace(&name, &model.restore.velero_namespace)
        },
        role_ref: RoleRef { api_group: "rbac.authorization.k8s.io".to_owned(), kind: "Role".to_owned(), name },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".to_owned(),
            name: RESTORE_ACCOUNT.to_owned(),
            namespace: Some(model.namespace.clone()),
            api_group: None,
        }]),
    }
}

fn job_resources() -> Resources {
    Resources {
        cpu_request: JOB_RESOURCES.0.to_owned(),
        memory_request: JOB_RESOURCES.1.to_owned(),
        cpu_limit: None,
        memory_limit: JOB_RESOURCES.2.to_owned(),
    }
}

fn restore_job(model: &Model, restore: &Restore<'_>) -> Job {
    let name = join(&["restore", &label_from(restore.backup, MAX_LABEL)], MAX_LABEL);
    let mut args: Vec<String> = [
        "restore",
        "velero",
        "--backup",
        restore.backup,
        "--from",
        restore.base,
        "--to",
        &model.namespace,
        "--velero-namespace",
        &model.restore.velero_namespace,
        "--timeout",
        &model.restore.timeout.text,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for store in &restore.stores {
        args.extend(["--store".to_owned(), (*store).to_owned()]);
    }
    let timeout = i64::try_from(model.restore.timeout.seconds).unwrap_or(i64::MAX / 2);
    job(model, &name, &model.namespace, args, Some(RESTORE_ACCOUNT), RESTORE_COMPONENT, timeout + 300, true)
}

fn cleanup_job(model: &Model) -> Job {
    let name = join(&["kpreview-cleanup", &model.namespace], MAX_LABEL);
    let args =
        ["restore", "cleanup", "--preview", &model.namespace, "--velero-namespace", &model.restore.velero_namespace]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
    job(model, &name, &model.restore.velero_namespace, args, Some(CLEANUP_ACCOUNT), CLEANUP_COMPONENT, 600, false)
}

#[allow(clippy::too_many_arguments)]
fn job(
    model: &Model,
    name: &str,
    namespace: &str,
    args: Vec<String>,
    account: Option<&str>,
    component: &str,
    deadline: i64,
    spot: bool,
) -> Job {
    let labels = workload_labels(model, name, component);
    let mut container = pod::container(component, &model.restore.image, &job_resources());
    container.args = Some(args);
    let mut spec = pod::spec(model, vec![container], security::pod(Some(security::KPREVIEW_UID), None), account);
    spec.restart_policy = Some("Never".to_owned());
    if !spot {
        spec.tolerations = None;
        spec.affinity = None;
    }
    Job {
        metadata: ObjectMeta { labels: Some(labels.clone()), ..in_namespace(name, namespace) },
        spec: Some(JobSpec {
            backoff_limit: Some(2),
            active_deadline_seconds: Some(deadline),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels), ..ObjectMeta::default() }),
                spec: Some(spec),
            },
            ..JobSpec::default()
        }),
        status: None,
    }
}

fn snapshot(
    model: &Model,
    waves: &Waves,
    store: &Store,
    handle: &str,
    driver: &str,
    class: Option<&str>,
) -> [Object; 2] {
    let labels = workload_labels(model, &store.name, super::datastores::COMPONENT);
    let content_name = snapshot_content_name(&model.namespace, &store.name);
    let snapshot_name = snapshot_name(&store.name);
    let content = VolumeSnapshotContent {
        api_version: SNAPSHOT_API_VERSION,
        kind: "VolumeSnapshotContent",
        metadata: ObjectMeta { labels: Some(labels.clone()), ..cluster_scoped(&content_name) },
        spec: VolumeSnapshotContentSpec {
            deletion_policy: "Retain",
            driver: driver.to_owned(),
            source: VolumeSnapshotContentSource { snapshot_handle: handle.to_owned() },
            volume_snapshot_ref: SnapshotRef { name: snapshot_name.clone(), namespace: model.namespace.clone() },
            volume_snapshot_class_name: class.map(str::to_owned),
        },
    };
    let snapshot = VolumeSnapshot {
        api_version: SNAPSHOT_API_VERSION,
        kind: "VolumeSnapshot",
        metadata: ObjectMeta { labels: Some(labels), ..namespaced(model, &snapshot_name) },
        spec: VolumeSnapshotSpec {
            source: VolumeSnapshotSource { volume_snapshot_content_name: content_name },
            volume_snapshot_class_name: class.map(str::to_owned),
        },
    };
    let setup = |resource| Object { phase: Phase::Sync, wave: waves.setup, hook: Hook::No, resource };
    [setup(Resource::VolumeSnapshotContent(content)), setup(Resource::VolumeSnapshot(snapshot))]
}
