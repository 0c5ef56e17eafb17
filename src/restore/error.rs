//! What can go wrong restoring into a preview or cleaning up after one.

use crate::chain::chain;

/// Why `kpreview restore` failed.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// Bad arguments.
    #[error("{0}")]
    Invalid(String),
    /// No Kubernetes API to talk to.
    #[error("cannot find the Kubernetes API (in-cluster service account or KUBECONFIG): {0}")]
    Config(String),
    /// The API refused or failed a request.
    #[error("cannot {action}: {message}")]
    Api {
        /// What was attempted, such as `create Restore velero/x`.
        action: String,
        /// The API's answer ([`api_message`]).
        message: String,
    },
    /// Watching failed in a way retrying cannot fix (forbidden, unknown resource).
    #[error("cannot watch Restore {reference}: {message}")]
    Watch {
        /// `velero/<name>`.
        reference: String,
        /// The API's answer ([`watch_message`]).
        message: String,
    },
    /// A Restore of that name exists but asks for something else.
    #[error(
        "Restore {namespace}/{name} already exists and is not this restore: {why}; delete it (`kubectl -n \
         {namespace} delete restore {name}`) and sync again"
    )]
    Conflict {
        /// Velero's namespace.
        namespace: String,
        /// The Restore's name.
        name: String,
        /// What differs.
        why: String,
    },
    /// The Restore ended in a failed phase.
    #[error(
        "Restore {namespace}/{name} {when} {phase}: {details}; see `velero restore describe {name} --details` and \
         `velero restore logs {name}`; to retry, delete it (`kubectl -n {namespace} delete restore {name}`) and sync \
         again, as a retried Job adopts the failed Restore"
    )]
    Ended {
        /// Velero's namespace.
        namespace: String,
        /// The Restore's name.
        name: String,
        /// `ended` or `had already ended` (made by an earlier attempt).
        when: &'static str,
        /// The phase.
        phase: String,
        /// Counts, validation errors, failure reason.
        details: String,
    },
    /// The Restore ended `Completed` without restoring the stores it was for.
    #[error("{0}")]
    Empty(Box<EmptyRestore>),
    /// The Restore did not end in time.
    #[error(
        "timed out after {after} waiting for Restore {namespace}/{name} (last seen: {last}); Velero keeps working on \
         it and a retried Job adopts it; see `velero restore describe {name}`, or raise spec.restore.timeout"
    )]
    Timeout {
        /// Velero's namespace.
        namespace: String,
        /// The Restore's name.
        name: String,
        /// The timeout, as given.
        after: String,
        /// The last summary seen.
        last: String,
    },
    /// The Restore went away while being watched.
    #[error("Restore {reference} was deleted before it finished")]
    Deleted {
        /// `velero/<name>`.
        reference: String,
    },
    /// Cleanup could not remove everything.
    #[error("could not remove everything preview {preview} left in namespace {namespace}: {}", .failures.join("; "))]
    Cleanup {
        /// The preview namespace.
        preview: String,
        /// Velero's namespace.
        namespace: String,
        /// One message per object or list that failed.
        failures: Vec<String>,
    },
}

/// A `Completed` Restore that restored too few items for its stores.
#[derive(Debug)]
pub struct EmptyRestore {
    /// Velero's namespace.
    pub namespace: String,
    /// The Restore's name.
    pub name: String,
    /// What Velero counted.
    pub restored: i64,
    /// The stores it was for; empty for every claim.
    pub stores: Vec<String>,
    /// The Backup.
    pub backup: String,
    /// The base namespace.
    pub base: String,
}

impl std::fmt::Display for EmptyRestore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self { namespace, name, restored, stores, backup, base } = self;
        let plural = if *restored == 1 { "" } else { "s" };
        let stores = if stores.is_empty() { "every claim".to_owned() } else { format!("stores {}", stores.join(", ")) };
        write!(
            f,
            "Restore {namespace}/{name} ended Completed but restored {restored} item{plural} for {stores}: Velero \
             found nothing of them in backup {backup}; check that the claims in namespace {base} carry the label \
             kpreview.dev/store=<store> (`kubectl -n {base} get pvc -L kpreview.dev/store`) and are named \
             data-<store>-0, and that the backup holds namespace {base} (`velero backup describe {backup} \
             --details`); then delete the Restore (`kubectl -n {namespace} delete restore {name}`) and sync again"
        )
    }
}

/// What the API said: its message, code and reason when it answered, the error chain when it
/// could not be reached.
pub fn api_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => format!("{} ({} {})", status.message, status.code, status.reason),
        other => chain(other),
    }
}

/// What the API said when a watch failed.
pub fn watch_message(error: &kube::runtime::watcher::Error) -> String {
    use kube::runtime::watcher::Error;
    match error {
        Error::InitialListFailed(e) | Error::WatchStartFailed(e) | Error::WatchFailed(e) => api_message(e),
        Error::WatchError(status) => format!("{} ({} {})", status.message, status.code, status.reason),
        Error::NoResourceVersion => error.to_string(),
    }
}

impl crate::fault::HasFault for RestoreError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            Self::Invalid(_) => crate::fault::Fault::Input,
            _ => crate::fault::Fault::Environment,
        }
    }
}
