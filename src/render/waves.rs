//! Sync waves from the model: the fewest waves that keep SPEC §2's order.
//!
//! PreSync: restore RBAC (wave 0) before the restore Jobs (wave 1). Sync: namespace-level objects
//! and snapshots (wave 0), then data stores, then migration Jobs, then services by dependency
//! depth; a group that is empty takes no wave. Ingresses share the last wave: nothing waits on
//! them, since some controllers leave an Ingress Progressing for ever. PostDelete: cleanup (0).

use serde::Serialize;

use crate::spec::model::Model;

/// The wave of every group of objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Waves {
    /// PreSync: ServiceAccount, Role and RoleBinding of the restore.
    pub restore_rbac: i32,
    /// PreSync: the restore Jobs.
    pub restore: i32,
    /// Sync: Namespace, quota, limits, network policies, snapshots.
    pub setup: i32,
    /// Sync: data stores.
    pub stores: i32,
    /// Sync: migration Jobs.
    pub migrate: i32,
    /// Sync: services at depth 0; depth `d` is `services + d`.
    pub services: i32,
    /// Sync: Ingresses, the last wave.
    pub ingress: i32,
    /// PostDelete: the cleanup Job.
    pub cleanup: i32,
}

impl Waves {
    /// The waves of `model`.
    pub fn of(model: &Model) -> Self {
        let mut next = 1;
        let mut take = |present: bool| {
            let wave = next;
            if present {
                next += 1;
            }
            wave
        };
        let stores = take(!model.stores.is_empty());
        let migrate = take(model.services.iter().any(|s| s.migrate.is_some()));
        let services = next;
        let deepest = model.services.iter().map(|s| s.depth).max();
        let last = match deepest {
            Some(depth) => services + i32::try_from(depth).unwrap_or(i32::MAX - services),
            None => next - 1,
        };
        Waves { restore_rbac: 0, restore: 1, setup: 0, stores, migrate, services, ingress: last, cleanup: 0 }
    }

    /// The wave of a service at `depth`.
    pub fn service(&self, depth: u32) -> i32 {
        self.services.saturating_add(i32::try_from(depth).unwrap_or(i32::MAX))
    }
}
