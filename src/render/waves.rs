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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::defaults::Inputs;
    use crate::spec::prepare::{prepare, test_model as model};

    #[test]
    fn waves_are_as_few_as_the_graph_allows() {
        let only_services = model("    a: {image: a, port: 80, dependsOn: [b]}\n    b: {image: b, port: 80}\n", "");
        let w = Waves::of(&only_services);
        assert_eq!((w.services, w.service(1), w.ingress), (1, 2, 2));

        let with_stores = model(
            "    a: {image: a, port: 80, dependsOn: [db], migrate: [m]}\n",
            "  dataStores:\n    db: {engine: postgres}\n",
        );
        let w = Waves::of(&with_stores);
        assert_eq!((w.setup, w.stores, w.migrate, w.services, w.ingress), (0, 1, 2, 3, 3));

        let stores_only = {
            let text = "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {name: app}\nspec:\n  pullRequest: {number: 1}\n  dataStores:\n    db: {engine: redis}\n";
            prepare(text, "t.yaml", &Inputs::default(), None).unwrap()
        };
        let w = Waves::of(&stores_only);
        assert_eq!((w.stores, w.ingress), (1, 1));
    }
}
