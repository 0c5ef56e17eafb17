//! The Restore of one backup into one preview: its stable name, its spec, and whether a Restore
//! found under that name is one this request may adopt.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::crd::{Restore, RestoreSpec};
use super::error::RestoreError;
use crate::k8s::naming::{is_dns_subdomain, is_dns1035_label, is_dns1123_label};
use crate::render::meta::{MANAGED_BY, PREVIEW, STORE};
use crate::render::seeding::restore_name;

/// What a data store is restored as, and all a Restore of kpreview's may include (the platform's
/// admission policy, `overlays/components/velero`, allows exactly these):
/// - its claim, and the volume bound to it (Velero skips a claim's volume unless
///   `persistentvolumes` is included too; that is how native-snapshot backups restore);
/// - the VolumeSnapshot and VolumeSnapshotContent of a CSI-snapshot backup, which Velero's CSI
///   plugin restores as additional items of the claim and which the include filter would
///   otherwise drop, leaving the claim Pending on a missing data source;
/// - its credentials Secret.
///
/// The Restore's `orLabelSelectors` on `kpreview.dev/store` keep every kind to the seeded
/// stores' own objects (the claim, the Secret); the volume and snapshot objects come along as
/// the claim's additional items, which the selector does not filter.
pub const RESOURCES: [&str; 5] = [
    "persistentvolumeclaims",
    "persistentvolumes",
    "volumesnapshots.snapshot.storage.k8s.io",
    "volumesnapshotcontents.snapshot.storage.k8s.io",
    "secrets",
];

/// `kpreview restore velero`'s arguments, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The Velero Backup.
    pub backup: String,
    /// The namespace the backup was taken of.
    pub from: String,
    /// The preview namespace to restore into.
    pub to: String,
    /// Only the claims of these data stores (by their `kpreview.dev/store` label); all when empty.
    pub stores: Vec<String>,
    /// Where Velero runs and Restores live.
    pub velero_namespace: String,
}

impl Request {
    /// Checks every argument and reports every bad one at once.
    pub fn new(
        backup: &str,
        from: &str,
        to: &str,
        stores: &[String],
        velero_namespace: &str,
    ) -> Result<Self, RestoreError> {
        let mut problems = Vec::new();
        if !is_dns_subdomain(backup) {
            problems.push(format!("--backup `{backup}` is not a Velero Backup name (a DNS subdomain)"));
        }
        for (flag, value) in [("--from", from), ("--to", to), ("--velero-namespace", velero_namespace)] {
            if !is_dns1123_label(value) {
                problems.push(format!("{flag} `{value}` is not a namespace name (a DNS-1123 label)"));
            }
        }
        if from == to && !from.is_empty() {
            problems.push(format!("--from and --to are both `{from}`; a preview restores a base into itself"));
        }
        for store in stores {
            if !is_dns1035_label(store) {
                problems.push(format!("--store `{store}` is not a data store name (a DNS-1035 label)"));
            }
        }
        if !problems.is_empty() {
            return Err(RestoreError::Invalid(problems.join("; ")));
        }
        let mut stores = stores.to_vec();
        stores.sort();
        stores.dedup();
        Ok(Self {
            backup: backup.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
            stores,
            velero_namespace: velero_namespace.to_owned(),
        })
    }

    /// The Restore's name: stable per preview, backup and base namespace, so a retried Job finds
    /// the Restore an earlier attempt made; the renderer's name for it.
    pub fn name(&self) -> String {
        restore_name(&self.to, &self.backup, &self.from)
    }

    /// `velero restore describe …`-style reference, `velero/<name>`.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.velero_namespace, self.name())
    }

    /// The Restore to create.
    pub fn restore(&self) -> Restore {
        let labels =
            BTreeMap::from([(MANAGED_BY.to_owned(), "kpreview".to_owned()), (PREVIEW.to_owned(), self.to.clone())]);
        Restore {
            metadata: ObjectMeta {
                name: Some(self.name()),
                namespace: Some(self.velero_namespace.clone()),
                labels: Some(labels),
                ..ObjectMeta::default()
            },
            spec: RestoreSpec {
                backup_name: Some(self.backup.clone()),
                included_namespaces: vec![self.from.clone()],
                included_resources: RESOURCES.iter().map(|r| (*r).to_owned()).collect(),
                namespace_mapping: BTreeMap::from([(self.from.clone(), self.to.clone())]),
                or_label_selectors: self
                    .stores
                    .iter()
                    .map(|store| LabelSelector {
                        match_labels: Some(BTreeMap::from([(STORE.to_owned(), store.clone())])),
                        match_expressions: None,
                    })
                    .collect(),
                restore_pvs: Some(true),
            },
            status: None,
        }
    }

    /// Why `existing`, found under this request's name, is not the restore this request asks
    /// for; `None` when it may be adopted.
    pub fn conflict(&self, existing: &Restore) -> Option<String> {
        let spec = &existing.spec;
        if spec.backup_name.as_deref() != Some(self.backup.as_str()) {
            return Some(format!("it restores backup `{}`", spec.backup_name.as_deref().unwrap_or("")));
        }
        if spec.namespace_mapping.get(&self.from) != Some(&self.to) {
            return Some(format!("it does not map namespace `{}` to `{}`", self.from, self.to));
        }
        let mut stores: Vec<String> = spec
            .or_label_selectors
            .iter()
            .filter_map(|s| s.match_labels.as_ref().and_then(|labels| labels.get(STORE)).cloned())
            .collect();
        stores.sort();
        stores.dedup();
        if stores != self.stores {
            let list = |s: &[String]| if s.is_empty() { "all stores".to_owned() } else { s.join(", ") };
            return Some(format!("it restores {} instead of {}", list(&stores), list(&self.stores)));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(stores: &[&str]) -> Request {
        let stores: Vec<String> = stores.iter().map(|s| (*s).to_owned()).collect();
        Request::new("nightly-anonymized", "preview-base", "shop-pr-42", &stores, "velero").unwrap()
    }

    #[test]
    fn the_restore_maps_the_base_and_selects_the_stores() {
        let restore = request(&["redis", "postgres", "redis"]).restore();
        let json = serde_json::to_value(&restore).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "apiVersion": "velero.io/v1",
                "kind": "Restore",
                "metadata": {
                    "name": restore_name("shop-pr-42", "nightly-anonymized", "preview-base"),
                    "namespace": "velero",
                    "labels": {"app.kubernetes.io/managed-by": "kpreview", "kpreview.dev/preview": "shop-pr-42"}
                },
                "spec": {
                    "backupName": "nightly-anonymized",
                    "includedNamespaces": ["preview-base"],
                    "includedResources": [
                        "persistentvolumeclaims",
                        "persistentvolumes",
                        "volumesnapshots.snapshot.storage.k8s.io",
                        "volumesnapshotcontents.snapshot.storage.k8s.io",
                        "secrets"
                    ],
                    "namespaceMapping": {"preview-base": "shop-pr-42"},
                    "orLabelSelectors": [
                        {"matchLabels": {"kpreview.dev/store": "postgres"}},
                        {"matchLabels": {"kpreview.dev/store": "redis"}}
                    ],
                    "restorePVs": true
                }
            })
        );
        assert!(json["spec"].get("labelSelector").is_none());
    }

    #[test]
    fn without_stores_there_is_no_selector() {
        let json = serde_json::to_value(request(&[]).restore()).unwrap();
        assert!(json["spec"].get("orLabelSelectors").is_none(), "{json}");
    }

    #[test]
    fn the_name_is_the_renderers_and_names_preview_backup_and_base() {
        let name = request(&[]).name();
        assert_eq!(name, restore_name("shop-pr-42", "nightly-anonymized", "preview-base"));
        assert!(name.starts_with("shop-pr-42-nightly-anonymized-preview-base-"), "{name}");
        assert_eq!(request(&[]).reference(), format!("velero/{name}"));
        let other_base = Request::new("nightly-anonymized", "other-base", "shop-pr-42", &[], "velero").unwrap();
        assert_ne!(other_base.name(), name);
    }

    #[test]
    fn csi_snapshot_kinds_and_the_stores_secrets_are_restored() {
        let json = serde_json::to_value(request(&["postgres"]).restore()).unwrap();
        let included = json["spec"]["includedResources"].as_array().unwrap();
        for kind in [
            "volumesnapshots.snapshot.storage.k8s.io",
            "volumesnapshotcontents.snapshot.storage.k8s.io",
            "secrets",
            "persistentvolumeclaims",
        ] {
            assert!(included.iter().any(|k| k == kind), "{kind} missing from {included:?}");
        }
        assert_eq!(json["spec"]["orLabelSelectors"][0]["matchLabels"]["kpreview.dev/store"], "postgres");
        assert!(json["spec"].get("includeClusterResources").is_none());
    }

    #[test]
    fn only_the_same_restore_is_adopted() {
        let asked = request(&["postgres"]);
        assert_eq!(asked.conflict(&asked.restore()), None);
        let mut other = asked.restore();
        other.spec.backup_name = Some("weekly".into());
        assert_eq!(asked.conflict(&other).unwrap(), "it restores backup `weekly`");
        let mut other = asked.restore();
        other.spec.namespace_mapping.insert("preview-base".into(), "elsewhere".into());
        assert!(asked.conflict(&other).unwrap().contains("does not map"));
        let all = request(&[]);
        assert_eq!(all.conflict(&asked.restore()).unwrap(), "it restores postgres instead of all stores");
    }

    #[test]
    fn every_bad_argument_is_reported() {
        let err = Request::new("Nightly_", "base", "base", &["9lives".into()], "velero").unwrap_err().to_string();
        assert!(err.contains("--backup `Nightly_`"), "{err}");
        assert!(err.contains("--from and --to are both `base`"), "{err}");
        assert!(err.contains("--store `9lives`"), "{err}");
    }
}
