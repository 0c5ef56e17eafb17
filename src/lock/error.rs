//! What can go wrong pinning snapshots.

use std::path::PathBuf;

/// A selector no snapshot matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    /// The data store.
    pub store: String,
    /// The field path of its selector.
    pub path: String,
    /// Its tags, as `k=v, k=v`.
    pub tags: String,
}

/// Why `kpreview lock` failed; nothing is written in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Neither `--region` nor the AWS configuration names a region.
    #[error(
        "no AWS region: pass `--region`, or set AWS_REGION (or a `region` in the AWS profile) to where the snapshots are"
    )]
    NoRegion,
    /// Some selectors matched no snapshot.
    #[error("{}", unmatched_message(.region, .unmatched))]
    NotFound {
        /// The region asked.
        region: String,
        /// Every selector without a match.
        unmatched: Vec<Unmatched>,
    },
    /// EC2 answered with an error or could not be reached (after the SDK's retries).
    #[error("EC2 DescribeSnapshots in {region} failed: {message}")]
    Aws {
        /// The region asked.
        region: String,
        /// The service's code and message, or the transport's error chain, and a hint.
        message: String,
    },
    /// EC2 answered with something that cannot be a snapshot.
    #[error("EC2 returned a snapshot without {missing} in {region}; is the endpoint really EC2?")]
    Malformed {
        /// The region asked.
        region: String,
        /// The missing field.
        missing: &'static str,
    },
    /// The lock could not be serialized.
    #[error("cannot write the lock file: {0}")]
    Serialize(#[from] crate::yaml::WriteError),
    /// The file system refused.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn unmatched_message(region: &str, unmatched: &[Unmatched]) -> String {
    let lines: Vec<String> = unmatched
        .iter()
        .map(|u| {
            format!(
                "data store `{}` ({}): no completed snapshot owned by this account is tagged {}",
                u.store, u.path, u.tags
            )
        })
        .collect();
    format!(
        "no snapshot to pin in {region}:\n  {}\n  (check the tags and the region, and that the snapshot has finished: \
         `aws ec2 describe-snapshots --owner-ids self --filters Name=tag:KEY,Values=VALUE`)",
        lines.join("\n  ")
    )
}

/// Selectors no snapshot matches are the spec's to fix; everything else is AWS's or the disk's.
impl crate::fault::HasFault for LockError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            Self::NotFound { .. } => crate::fault::Fault::Input,
            _ => crate::fault::Fault::Environment,
        }
    }
}
