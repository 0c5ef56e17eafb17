//! Seeding data stores before they start.
//!
//! `velero`: PreSync hooks — a ServiceAccount in the preview and a Role/RoleBinding in Velero's
//! namespace that let it create and watch only its own Restores — then one Job per backup and
//! base namespace that runs `kpreview restore velero` and fails unless the Restore ends
//! `Completed`. A PostDelete Job
//! in Velero's namespace removes the preview's Restores and any RBAC left behind, so a deleted
//! preview leaves nothing outside its namespace.
//!
//! `snapshot`: a `Retain` VolumeSnapshotContent per preview, bound to a VolumeSnapshot that the
//! store's claim template names as its `dataSource`.

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{PodTemplateSpec, ServiceAccount};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::crd::{
    SNAPSHOT_API_VERSION, SnapshotRef, VolumeSnapshot, VolumeSnapshotContent, VolumeSnapshotContentSource,
    VolumeSnapshotContentSpec, VolumeSnapshotSource, VolumeSnapshotSpec,
};
use super::meta::{cluster_scoped, in_namespace, namespaced, workload_labels};
use super::naming::{MAX_LABEL, join, label_from, shared};
use super::object::{Hook, Object, Phase, Resource};
use super::waves::Waves;
use super::{pod, security, spot};
use crate::spec::model::{Model, Seed, Store, VeleroRestore};

/// The ServiceAccount the restore Jobs run as, in the preview namespace.
pub const RESTORE_ACCOUNT: &str = "kpreview-restore";
/// The ServiceAccount the cleanup Job runs as, in Velero's namespace, installed once per cluster
/// (`overlays/platform`).
pub const CLEANUP_ACCOUNT: &str = "kpreview-cleanup";
/// Component label of restore objects.
pub const RESTORE_COMPONENT: &str = "restore";
/// Component label of cleanup objects.
pub const CLEANUP_COMPONENT: &str = "cleanup";

/// The name of the Velero Restore of `backup`'s namespace `base` into `preview`: stable, so a
/// retried Job finds the Restore an earlier attempt made; at most 63 characters, since Velero
/// labels every restored object with it; and, as Restores of every preview share Velero's
/// namespace, carrying the hash of all three ([`shared`]). The restore runner names its Restore
/// with this very function.
pub fn restore_name(preview: &str, backup: &str, base: &str) -> String {
    shared(preview, &[backup, base], MAX_LABEL)
}

/// The Role and RoleBinding name of a preview's restore, in Velero's namespace.
pub fn restore_rbac_name(preview: &str) -> String {
    join(&["kpreview-restore", preview], MAX_LABEL)
}

/// The name of the Job that restores `backup`'s namespace `base`, in the preview namespace.
pub fn restore_job_name(backup: &str, base: &str) -> String {
    join(&["restore", &label_from(backup, MAX_LABEL), base], MAX_LABEL)
}

/// The VolumeSnapshot a store's claim is provisioned from.
pub fn snapshot_name(store: &str) -> String {
    join(&[store, "seed"], MAX_LABEL)
}

/// The VolumeSnapshotContent of a store in a preview: cluster-scoped, so it names the preview
/// and carries the hash ([`shared`]).
pub fn snapshot_content_name(preview: &str, store: &str) -> String {
    shared(preview, &[store], MAX_LABEL)
}

/// Every seeding object of the preview.
pub fn objects(model: &Model, waves: &Waves) -> Vec<Object> {
    let mut out = Vec::new();
    let restores = model.velero_restores();
    if !restores.is_empty() {
        let names: Vec<String> = restores.iter().map(|r| restore_name(&model.namespace, r.backup, r.base)).collect();
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

fn restore_job(model: &Model, restore: &VeleroRestore<'_>) -> Job {
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
        model.restore.timeout.as_str(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for store in &restore.stores {
        args.extend(["--store".to_owned(), (*store).to_owned()]);
    }
    let timeout = i64::try_from(model.restore.timeout.seconds()).unwrap_or(i64::MAX / 2);
    let helper = Helper {
        name: restore_job_name(restore.backup, restore.base),
        namespace: &model.namespace,
        account: RESTORE_ACCOUNT,
        component: RESTORE_COMPONENT,
        deadline: timeout + 300,
    };
    let mut job = helper.job(model, args);
    if let Some(pod) = job.spec.as_mut().and_then(|s| s.template.spec.as_mut()) {
        pod.tolerations = spot::tolerations(model.spot);
        pod.affinity = spot::affinity(model.spot);
    }
    job
}

/// Runs once the preview is gone, in Velero's namespace, so it stays off spot nodes: an eviction
/// there would leave Argo CD retrying a deletion.
fn cleanup_job(model: &Model) -> Job {
    let args =
        ["restore", "cleanup", "--preview", &model.namespace, "--velero-namespace", &model.restore.velero_namespace]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
    let helper = Helper {
        name: join(&["kpreview-cleanup", &model.namespace], MAX_LABEL),
        namespace: &model.restore.velero_namespace,
        account: CLEANUP_ACCOUNT,
        component: CLEANUP_COMPONENT,
        deadline: 600,
    };
    helper.job(model, args)
}

/// A Job running the platform's kpreview image under a ServiceAccount with Velero RBAC.
struct Helper<'a> {
    name: String,
    namespace: &'a str,
    account: &'a str,
    component: &'a str,
    /// `activeDeadlineSeconds`.
    deadline: i64,
}

impl Helper<'_> {
    fn job(&self, model: &Model, args: Vec<String>) -> Job {
        let labels = workload_labels(model, &self.name, self.component);
        let mut container = pod::container(self.component, &model.restore.image, &pod::job_resources());
        container.args = Some(args);
        let mut spec =
            pod::anywhere(vec![container], security::pod(Some(security::KPREVIEW_UID), None), Some(self.account));
        spec.restart_policy = Some("Never".to_owned());
        Job {
            metadata: ObjectMeta { labels: Some(labels.clone()), ..in_namespace(&self.name, self.namespace) },
            spec: Some(JobSpec {
                backoff_limit: Some(2),
                active_deadline_seconds: Some(self.deadline),
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta { labels: Some(labels), ..ObjectMeta::default() }),
                    spec: Some(spec),
                },
                ..JobSpec::default()
            }),
            status: None,
        }
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
