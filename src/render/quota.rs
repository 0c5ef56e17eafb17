//! Cost guard rails per namespace: a ResourceQuota sized from the preview itself and a LimitRange.
//!
//! The quota is at most the platform policy's per-preview `limits` ([`Model::ceiling`]), and
//! below that twice what the preview's pods request (a rolling update runs old and new pods
//! side by side; migration and restore Jobs come and go) plus, for every pod the quota admits, an
//! allowance for a container kpreview did not render (a service mesh's proxy such as istio-proxy
//! requests 100m and 128Mi); no load balancers or node ports at all. What the spec may ask for is
//! bounded in validation (`spec::resources`), so the quota cannot be set arbitrarily high by the
//! pull request, and its sums stay far from what a quantity can hold. The LimitRange gives such
//! containers small requests and a memory limit, and caps every container at those bounds.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{LimitRange, LimitRangeItem, LimitRangeSpec, ResourceQuota, ResourceQuotaSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::meta::{common_labels, namespaced};
use super::object::{Hook, Object, Phase, Resource};
use super::pod::job_resources;
use super::waves::Waves;
use crate::spec::defaults::{JOB_RESOURCES, SERVICE_RESOURCES};
use crate::spec::model::{Model, Resources};
use crate::spec::resources::{MAX_CPU, MAX_MEMORY};

const MI: f64 = 1024.0 * 1024.0;
/// Per admitted pod, for a container kpreview did not render: CPU request.
const SIDECAR_CPU: f64 = 0.1;
/// Memory request of such a container.
const SIDECAR_MEMORY: f64 = 128.0 * MI;
/// Memory limit of such a container: the LimitRange's default limit, which one that sets none gets.
const SIDECAR_MEMORY_LIMIT: f64 = 256.0 * MI;

#[derive(Default)]
struct Totals {
    pods: u32,
    cpu: f64,
    memory: f64,
    memory_limit: f64,
    storage: f64,
}

impl Totals {
    fn add(&mut self, count: u32, r: &Resources) {
        self.pods += count;
        self.cpu += f64::from(count) * r.cpu_request.value();
        self.memory += f64::from(count) * r.memory_request.value();
        self.memory_limit += f64::from(count) * r.memory_limit.value();
    }
}

fn totals(model: &Model) -> Totals {
    let mut t = Totals::default();
    for s in &model.services {
        t.add(u32::try_from(s.replicas).unwrap_or(0), &s.resources);
        if s.migrate.is_some() {
            t.add(1, &s.resources);
        }
    }
    for s in &model.stores {
        t.add(1, &s.resources);
        t.storage += s.storage.value();
    }
    t.add(u32::try_from(model.velero_restores().len()).unwrap_or(0), &job_resources());
    t
}

// Quantities are positive and bounded (validation caps every container and volume), so the sums
// are far below u64::MAX; rounding up to whole millicores and mebibytes is the intent.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn millicores(cores: f64) -> Quantity {
    Quantity(format!("{}m", (cores * 1000.0).ceil() as u64))
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn mebibytes(bytes: f64) -> Quantity {
    let mi = (bytes / MI).ceil() as u64;
    if mi.is_multiple_of(1024) && mi > 0 { Quantity(format!("{}Gi", mi / 1024)) } else { Quantity(format!("{mi}Mi")) }
}

/// The preview's ResourceQuota and LimitRange.
pub fn objects(model: &Model, waves: &Waves) -> Vec<Object> {
    let t = totals(model);
    let q = |s: &str| Quantity(s.to_owned());
    let pods = 2 * t.pods + 2;
    let sidecars = f64::from(pods);
    // The platform's ceilings win: the quota is what the spec asks for, never more than the
    // policy allows a preview, however many services and replicas the spec lists.
    let (cpu, memory, storage) = match &model.ceiling {
        Some(c) => (c.cpu.value(), c.memory.value(), c.storage.value()),
        None => (f64::INFINITY, f64::INFINITY, f64::INFINITY),
    };
    let mut hard = BTreeMap::from([
        ("requests.cpu".to_owned(), millicores((2.0 * t.cpu + sidecars * SIDECAR_CPU).min(cpu))),
        ("requests.memory".to_owned(), mebibytes((2.0 * t.memory + sidecars * SIDECAR_MEMORY).min(memory))),
        ("limits.memory".to_owned(), mebibytes((2.0 * t.memory_limit + sidecars * SIDECAR_MEMORY_LIMIT).min(memory))),
        ("pods".to_owned(), Quantity(pods.to_string())),
        ("persistentvolumeclaims".to_owned(), Quantity(model.stores.len().to_string())),
        ("services.loadbalancers".to_owned(), q("0")),
        ("services.nodeports".to_owned(), q("0")),
    ]);
    if t.storage > 0.0 {
        hard.insert("requests.storage".to_owned(), mebibytes(t.storage.min(storage)));
    }
    let quota = ResourceQuota {
        metadata: ObjectMeta { labels: Some(common_labels(model)), ..namespaced(model, "preview") },
        spec: Some(ResourceQuotaSpec { hard: Some(hard), ..ResourceQuotaSpec::default() }),
        status: None,
    };
    let limits = LimitRange {
        metadata: ObjectMeta { labels: Some(common_labels(model)), ..namespaced(model, "preview") },
        spec: Some(LimitRangeSpec {
            limits: vec![LimitRangeItem {
                type_: "Container".to_owned(),
                default_request: Some(BTreeMap::from([
                    ("cpu".to_owned(), q(SERVICE_RESOURCES.0)),
                    ("memory".to_owned(), q(SERVICE_RESOURCES.1)),
                ])),
                // Kubernetes defaults a limit to `max` where none is given; saying so keeps the
                // manifest equal to the object the API server stores.
                default: Some(BTreeMap::from([
                    ("cpu".to_owned(), q(MAX_CPU.text)),
                    ("memory".to_owned(), q(JOB_RESOURCES.2)),
                ])),
                max: Some(BTreeMap::from([
                    ("cpu".to_owned(), q(MAX_CPU.text)),
                    ("memory".to_owned(), q(MAX_MEMORY.text)),
                ])),
                ..LimitRangeItem::default()
            }],
        }),
    };
    let setup = |resource| Object { phase: Phase::Sync, wave: waves.setup, hook: Hook::No, resource };
    vec![setup(Resource::ResourceQuota(quota)), setup(Resource::LimitRange(limits))]
}
