//! One lock from many selectors: ask EC2 for each, pin the newest, and report every selector
//! nothing matched at once.

use super::ec2::{Ec2, Found};
use super::error::{LockError, Unmatched};
use super::pin::{Candidate, entry, newest};
use super::selectors::Selector;
use crate::spec::lockfile::Lock;
use crate::spec::problem::key_path;

/// What `resolve` is doing, for the caller to show.
#[derive(Debug)]
pub enum Progress<'a> {
    /// About to ask EC2.
    Asking {
        /// The selector.
        selector: &'a Selector,
        /// The region asked.
        region: &'a str,
    },
    /// EC2 answered.
    Answered {
        /// The selector.
        selector: &'a Selector,
        /// What it listed.
        found: &'a Found,
        /// The snapshot pinned, if any matched.
        chosen: Option<&'a Candidate>,
    },
}

/// The lock of `selectors`: the newest match of each. Fails on the first AWS error, or after
/// asking for every selector when some matched nothing.
pub async fn resolve(
    ec2: &Ec2,
    selectors: &[Selector],
    mut report: impl FnMut(Progress<'_>),
) -> Result<Lock, LockError> {
    let mut lock = Lock::new();
    let mut unmatched = Vec::new();
    for selector in selectors {
        report(Progress::Asking { selector, region: ec2.region() });
        let found = ec2.snapshots(&selector.tags).await?;
        let chosen = newest(&found.candidates);
        report(Progress::Answered { selector, found: &found, chosen });
        match chosen {
            Some(candidate) => {
                lock.snapshots.insert(selector.store.clone(), entry(&selector.tags, candidate));
            }
            None => unmatched.push(Unmatched {
                store: selector.store.clone(),
                path: format!("{}.seed.snapshot.tags", key_path("spec.dataStores", &selector.store)),
                tags: selector.describe(),
            }),
        }
    }
    if unmatched.is_empty() {
        Ok(lock)
    } else {
        Err(LockError::NotFound { region: ec2.region().to_owned(), unmatched })
    }
}
