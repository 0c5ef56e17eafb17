//! Data stores: a one-replica StatefulSet with a `data` claim template (so the claim is
//! `data-<store>-0`, which a Velero restore or a snapshot fills), a headless Service and an
//! engine-specific readiness check. Credentials only ever come from a Secret.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec};
use k8s_openapi::api::core::v1::{
    ContainerPort, EnvVar, ExecAction, PersistentVolumeClaim, PersistentVolumeClaimSpec, PodTemplateSpec, Probe,
    Service as KubeService, ServicePort, ServiceSpec, TypedLocalObjectReference, VolumeMount,
    VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::{STORE, namespaced, selector, workload_labels};
use super::object::{Hook, Object, Phase, Resource};
use super::seeding::snapshot_name;
use super::waves::Waves;
use super::{pod, security};
use crate::spec::model::{Engine, Model, Seed, Store};

/// Component label of data store pods.
pub const COMPONENT: &str = "datastore";
/// The claim template's name.
pub const CLAIM: &str = "data";

/// The StatefulSet and headless Service of one data store.
pub fn store(model: &Model, waves: &Waves, store: &Store) -> Vec<Object> {
    vec![
        Object {
            phase: Phase::Sync,
            wave: waves.stores,
            hook: Hook::No,
            resource: Resource::Service(headless(model, store)),
        },
        Object {
            phase: Phase::Sync,
            wave: waves.stores,
            hook: Hook::No,
            resource: Resource::StatefulSet(stateful_set(model, store)),
        },
    ]
}

fn headless(model: &Model, store: &Store) -> KubeService {
    let port = store.engine.port_name();
    KubeService {
        metadata: ObjectMeta {
            labels: Some(workload_labels(model, &store.name, COMPONENT)),
            ..namespaced(model, &store.name)
        },
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".to_owned()),
            selector: Some(selector(&store.name, COMPONENT)),
            ports: Some(vec![ServicePort {
                name: Some(port.to_owned()),
                port: i32::from(store.engine.port()),
                target_port: Some(IntOrString::String(port.to_owned())),
                protocol: Some("TCP".to_owned()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}

fn stateful_set(model: &Model, store: &Store) -> StatefulSet {
    let engine = store.engine;
    let labels = workload_labels(model, &store.name, COMPONENT);
    let mut container = pod::container(&store.name, &store.image, &store.resources);
    let (env, args) = engine_settings(store);
    container.env = (!env.is_empty()).then_some(env);
    container.args = args;
    container.ports = Some(vec![ContainerPort {
        name: Some(engine.port_name().to_owned()),
        container_port: i32::from(engine.port()),
        protocol: Some("TCP".to_owned()),
        ..ContainerPort::default()
    }]);
    let (period, timeout) = engine.readiness_period_and_timeout();
    container.readiness_probe = Some(Probe {
        exec: Some(ExecAction { command: Some(engine.readiness_command()) }),
        period_seconds: Some(period),
        timeout_seconds: Some(timeout),
        failure_threshold: Some(6),
        ..Probe::default()
    });
    container.volume_mounts = Some(vec![VolumeMount {
        name: CLAIM.to_owned(),
        mount_path: engine.data_path().to_owned(),
        ..VolumeMount::default()
    }]);
    let uid = engine.uid();
    let mut spec = pod::spec(model, vec![container], security::pod(Some(uid), Some(uid)), None);
    spec.termination_grace_period_seconds = Some(30);
    StatefulSet {
        metadata: ObjectMeta { labels: Some(labels.clone()), ..namespaced(model, &store.name) },
        spec: Some(StatefulSetSpec {
            replicas: Some(1),
            service_name: Some(store.name.clone()),
            selector: LabelSelector { match_labels: Some(selector(&store.name, COMPONENT)), match_expressions: None },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels), ..ObjectMeta::default() }),
                spec: Some(spec),
            },
            volume_claim_templates: Some(vec![claim(model, store)]),
            persistent_volume_claim_retention_policy: Some(StatefulSetPersistentVolumeClaimRetentionPolicy {
                when_deleted: Some("Delete".to_owned()),
                when_scaled: Some("Retain".to_owned()),
            }),
            revision_history_limit: Some(2),
            ..StatefulSetSpec::default()
        }),
        status: None,
    }
}

fn claim(model: &Model, store: &Store) -> PersistentVolumeClaim {
    let data_source = match &store.seed {
        Seed::Snapshot { .. } => Some(TypedLocalObjectReference {
            api_group: Some("snapshot.storage.k8s.io".to_owned()),
            kind: "VolumeSnapshot".to_owned(),
            name: snapshot_name(&store.name),
        }),
        _ => None,
    };
    let mut labels = workload_labels(model, &store.name, COMPONENT);
    labels.insert(STORE.to_owned(), store.name.clone());
    PersistentVolumeClaim {
        metadata: ObjectMeta { name: Some(CLAIM.to_owned()), labels: Some(labels), ..ObjectMeta::default() },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_owned()]),
            storage_class_name: store.storage_class.clone(),
            data_source,
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_owned(), Quantity(store.storage.as_str().to_owned()))])),
                limits: None,
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        status: None,
    }
}

/// The engine's environment and arguments: the password from the Secret when there is one,
/// otherwise an explicit passwordless mode (the NetworkPolicy keeps other namespaces out).
fn engine_settings(store: &Store) -> (Vec<EnvVar>, Option<Vec<String>>) {
    let secret = store.credentials.as_ref();
    let password = |name: &str| secret.map(|s| pod::secret_key(name, s));
    match store.engine {
        Engine::Postgres => {
            let mut env = vec![pod::literal("PGDATA", "/var/lib/postgresql/data/pgdata")];
            match password("POSTGRES_PASSWORD") {
                Some(var) => env.push(var),
                None => env.push(pod::literal("POSTGRES_HOST_AUTH_METHOD", "trust")),
            }
            (env, None)
        }
        Engine::Redis => match (password("REDIS_PASSWORD"), password("REDISCLI_AUTH")) {
            (Some(server), Some(cli)) => {
                (vec![server, cli], Some(vec!["--requirepass".to_owned(), "$(REDIS_PASSWORD)".to_owned()]))
            }
            _ => (Vec::new(), Some(vec!["--protected-mode".to_owned(), "no".to_owned()])),
        },
        Engine::Mongodb => match password("MONGO_INITDB_ROOT_PASSWORD") {
            Some(var) => (vec![pod::literal("MONGO_INITDB_ROOT_USERNAME", "root"), var], None),
            None => (Vec::new(), None),
        },
    }
}
