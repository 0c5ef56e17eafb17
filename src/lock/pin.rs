//! Choosing the snapshot to pin, and what a new lock changes: pure, so the rules are tested
//! without AWS.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::spec::lockfile::{Lock, LockedSnapshot};

/// A completed snapshot that carries every tag of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// `snap-…`.
    pub snapshot_id: String,
    /// When EC2 started it.
    pub start_time: Timestamp,
    /// The size of the volume it was taken of.
    pub volume_size_gib: Option<i64>,
}

/// The newest candidate by start time; among snapshots started in the same instant, the greatest
/// id, so the choice never depends on the order EC2 lists them in.
pub fn newest(candidates: &[Candidate]) -> Option<&Candidate> {
    candidates.iter().max_by(|a, b| (a.start_time, &a.snapshot_id).cmp(&(b.start_time, &b.snapshot_id)))
}

/// The lock entry for `candidate`, chosen by `tags`.
pub fn entry(tags: &BTreeMap<String, String>, candidate: &Candidate) -> LockedSnapshot {
    LockedSnapshot {
        tags: tags.clone(),
        snapshot_id: candidate.snapshot_id.clone(),
        start_time: candidate.start_time.to_string(),
        volume_size_gib: candidate.volume_size_gib,
    }
}

/// What writing a new lock does to one data store's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Pinned for the first time.
    Added {
        /// The data store.
        store: String,
        /// The new entry.
        now: LockedSnapshot,
    },
    /// The same snapshot as before.
    Kept {
        /// The data store.
        store: String,
        /// The entry.
        now: LockedSnapshot,
    },
    /// A newer snapshot, or one chosen by other tags.
    Replaced {
        /// The data store.
        store: String,
        /// The old entry.
        was: LockedSnapshot,
        /// The new entry.
        now: LockedSnapshot,
    },
    /// The data store is no longer seeded by tags.
    Dropped {
        /// The data store.
        store: String,
        /// The old entry.
        was: LockedSnapshot,
    },
}

/// Every change from `old` to `new`, in data store order.
pub fn changes(old: Option<&Lock>, new: &Lock) -> Vec<Change> {
    let empty = BTreeMap::new();
    let old = old.map_or(&empty, |lock| &lock.snapshots);
    let mut stores: Vec<&String> = old.keys().chain(new.snapshots.keys()).collect();
    stores.sort();
    stores.dedup();
    stores
        .into_iter()
        .filter_map(|store| {
            let store_name = store.clone();
            match (old.get(store), new.snapshots.get(store)) {
                (None, Some(now)) => Some(Change::Added { store: store_name, now: now.clone() }),
                (Some(was), Some(now)) if was == now => Some(Change::Kept { store: store_name, now: now.clone() }),
                (Some(was), Some(now)) => {
                    Some(Change::Replaced { store: store_name, was: was.clone(), now: now.clone() })
                }
                (Some(was), None) => Some(Change::Dropped { store: store_name, was: was.clone() }),
                (None, None) => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, start: &str) -> Candidate {
        Candidate { snapshot_id: id.to_owned(), start_time: start.parse().unwrap(), volume_size_gib: Some(8) }
    }

    #[test]
    fn the_newest_wins_wherever_it_is_listed() {
        let list = [
            candidate("snap-b", "2026-01-02T00:00:00Z"),
            candidate("snap-c", "2026-03-01T00:00:00.5Z"),
            candidate("snap-a", "2026-03-01T00:00:00Z"),
        ];
        assert_eq!(newest(&list).unwrap().snapshot_id, "snap-c");
        let mut reversed = list.clone();
        reversed.reverse();
        assert_eq!(newest(&reversed).unwrap().snapshot_id, "snap-c");
        assert_eq!(newest(&[]), None);
    }

    #[test]
    fn a_tie_is_broken_by_id_whatever_the_order() {
        let a = candidate("snap-0aaa", "2026-01-01T00:00:00Z");
        let b = candidate("snap-0bbb", "2026-01-01T00:00:00Z");
        assert_eq!(newest(&[a.clone(), b.clone()]).unwrap().snapshot_id, "snap-0bbb");
        assert_eq!(newest(&[b, a]).unwrap().snapshot_id, "snap-0bbb");
    }

    #[test]
    fn entries_carry_rfc3339_times() {
        let tags = BTreeMap::from([("app".to_owned(), "blog".to_owned())]);
        let pinned = entry(&tags, &candidate("snap-1", "2026-11-21T03:14:09+01:00"));
        assert_eq!(pinned.start_time, "2026-11-21T02:14:09Z");
        assert_eq!(pinned.tags, tags);
        assert_eq!(pinned.volume_size_gib, Some(8));
    }

    #[test]
    fn changes_name_added_kept_replaced_and_dropped() {
        let tags = BTreeMap::new();
        let one = entry(&tags, &candidate("snap-1", "2026-01-01T00:00:00Z"));
        let two = entry(&tags, &candidate("snap-2", "2026-01-02T00:00:00Z"));
        let mut old = Lock::new();
        old.snapshots.insert("kept".into(), one.clone());
        old.snapshots.insert("newer".into(), one.clone());
        old.snapshots.insert("gone".into(), one.clone());
        let mut new = Lock::new();
        new.snapshots.insert("kept".into(), one.clone());
        new.snapshots.insert("newer".into(), two.clone());
        new.snapshots.insert("fresh".into(), two.clone());
        assert_eq!(
            changes(Some(&old), &new),
            [
                Change::Added { store: "fresh".into(), now: two.clone() },
                Change::Dropped { store: "gone".into(), was: one.clone() },
                Change::Kept { store: "kept".into(), now: one.clone() },
                Change::Replaced { store: "newer".into(), was: one, now: two },
            ]
        );
        assert!(changes(None, &Lock::new()).is_empty());
    }
}
