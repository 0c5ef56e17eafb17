//! `preview.lock`: the snapshot each `seed.snapshot.tags` selector resolved to, written by
//! `kpreview lock` beside the spec and read by every render, so rendering never touches the
//! network and the same commit always renders the same snapshot.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::yaml::{self, Limits, ReadError, WriteError};

/// The lock file's name, next to the spec.
pub const FILE_NAME: &str = "preview.lock";
/// Its `kind`.
pub const KIND: &str = "PreviewLock";

/// Pinned snapshots by data store name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Lock {
    /// `kpreview.dev/v1alpha1`.
    pub api_version: String,
    /// `PreviewLock`.
    pub kind: String,
    /// One entry per data store seeded by tags.
    #[serde(default)]
    pub snapshots: BTreeMap<String, LockedSnapshot>,
}

/// The snapshot a tag selector resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockedSnapshot {
    /// The selector, exactly as in the spec when the lock was made.
    pub tags: BTreeMap<String, String>,
    /// The EC2 snapshot id.
    pub snapshot_id: String,
    /// When the snapshot was started (RFC 3339), which made it the newest.
    pub start_time: String,
    /// Its size, to check the volume is large enough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_size_gib: Option<i64>,
}

impl Lock {
    /// An empty lock.
    pub fn new() -> Self {
        Self { api_version: super::types::API_VERSION.to_owned(), kind: KIND.to_owned(), snapshots: BTreeMap::new() }
    }

    /// Reads a lock file.
    pub fn parse(text: &str) -> Result<Self, ReadError> {
        let lock: Lock = yaml::from_str(text, Limits::Spec)?;
        if lock.kind != KIND {
            return Err(ReadError {
                path: "kind".to_owned(),
                location: None,
                message: format!("expected `{KIND}`, found `{}`", lock.kind),
            });
        }
        Ok(lock)
    }

    /// The lock file's text: a comment saying where it comes from, then YAML.
    pub fn to_text(&self) -> Result<String, WriteError> {
        Ok(format!(
            "# Written by `kpreview lock`: the newest completed snapshot for each `seed.snapshot.tags`.\n\
             # Commit it beside the spec; `kpreview render` reads it and never calls AWS.\n{}",
            yaml::to_string(self)?
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut lock = Lock::new();
        lock.snapshots.insert(
            "db".into(),
            LockedSnapshot {
                tags: [("app".to_owned(), "shop".to_owned())].into(),
                snapshot_id: "snap-1".into(),
                start_time: "2026-11-01T00:00:00Z".into(),
                volume_size_gib: Some(20),
            },
        );
        assert_eq!(Lock::parse(&lock.to_text().unwrap()).unwrap(), lock);
    }

    #[test]
    fn unknown_fields_and_kinds_are_refused() {
        assert!(Lock::parse("apiVersion: kpreview.dev/v1alpha1\nkind: PreviewLock\nextra: 1\n").is_err());
        assert!(Lock::parse("apiVersion: kpreview.dev/v1alpha1\nkind: Other\n").is_err());
    }
}
