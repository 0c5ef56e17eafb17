//! What can stop a change to the GitOps repository. Each says what was found and what to do;
//! none of them leaves the repository, its index or its work tree changed.

use std::path::PathBuf;

use super::git::GitError;

/// A publish, unpublish or gc that did not happen.
#[derive(Debug, thiserror::Error)]
pub enum GitOpsError {
    /// A git command failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// `--repo` is not a git repository.
    #[error("{dir} is not a git repository ({reason}); clone the GitOps repository and pass its directory as --repo")]
    NotARepository {
        /// What was given.
        dir: PathBuf,
        /// git's answer.
        reason: String,
    },
    /// HEAD is not a branch, so there is nothing to commit onto.
    #[error(
        "{dir} has no branch checked out (detached HEAD); switch to the branch previews live on, e.g. `git -C {dir} switch main`"
    )]
    DetachedHead {
        /// The repository.
        dir: PathBuf,
    },
    /// Local changes under `previews/` that the change would overwrite.
    #[error(
        "{dir} has uncommitted changes under previews/ that this would overwrite: {}; commit, stash or discard them first (`git -C {dir} stash --include-untracked`)",
        .paths.join(", ")
    )]
    Dirty {
        /// The repository.
        dir: PathBuf,
        /// Some of the paths (`M previews/shop-pr-1/preview.json`).
        paths: Vec<String>,
    },
    /// The work tree cannot take the new commit for another reason git names.
    #[error(
        "the checkout in {dir} cannot be updated to the new commit, so nothing was committed or pushed: {}; \
         commit, stash or discard the local changes git names, then run again",
        .reason.trim_end()
    )]
    Checkout {
        /// The repository.
        dir: PathBuf,
        /// git's reason.
        reason: String,
    },
    /// The local branch has commits the remote lacks; landing on the remote would drop them.
    #[error(
        "the local branch `{branch}` has commits that {remote}/{branch} does not have; kpreview publishes onto {remote}/{branch} and would drop them: push them (`git push {remote} {branch}`) or reset the branch first"
    )]
    Diverged {
        /// The branch.
        branch: String,
        /// The remote.
        remote: String,
    },
    /// `--remote` names no configured remote.
    #[error("{dir} has no remote `{remote}`; add it (`git -C {dir} remote add {remote} URL`) or pass --remote")]
    NoRemote {
        /// The repository.
        dir: PathBuf,
        /// The name given.
        remote: String,
    },
    /// The preview's directory belongs to a different preview.
    #[error(
        "previews/{namespace} already holds the preview of {holder}, not of {app} PR #{pr}; make the spec's namespace unique per app and pull request (the default `{{{{ name }}}}-pr-{{{{ pr.number }}}}` is)"
    )]
    Taken {
        /// The namespace.
        namespace: String,
        /// Who holds it: `app shop PR #12`.
        holder: String,
        /// The app being published.
        app: String,
        /// The pull request being published.
        pr: u64,
    },
    /// The preview was published (or removed) later than this publish or unpublish claims to be:
    /// a re-run of an old job.
    #[error(transparent)]
    Stale(Box<Stale>),
    /// Unpublishing a pull request number that previews of several apps share, without `--app`.
    #[error(
        "PR #{pr} has previews of several apps: {}; pull-request numbers are per repository, so name the app \
         whose pull request closed with --app (the spec's metadata.name); nothing was changed",
        .apps.join(", ")
    )]
    SeveralApps {
        /// The pull request.
        pr: u64,
        /// Each app with its namespaces: `shop (shop-pr-7)`.
        apps: Vec<String>,
    },
    /// `keep` or `wake` of a pull request with no live preview.
    #[error(
        "no live preview of PR #{pr}{app} in the repository{removed}; publish it first (a removed preview comes back with its next publish)"
    )]
    NoPreview {
        /// The pull request.
        pr: u64,
        /// ` of app shop` when `--app` was given.
        app: String,
        /// What became of it, when it was removed: ` (shop-pr-7 was removed at … (expired))`.
        removed: String,
    },
    /// Directories that may hold the pull request's preview but whose metadata cannot be read,
    /// so unpublish cannot tell whether they should go.
    #[error(
        "cannot tell whether PR #{pr}'s preview is among directories kpreview cannot read: {}; nothing was changed. \
         Fix or remove each (`git rm -r previews/<name>`, then commit) and run again",
        .entries.join("; ")
    )]
    UnreadableMatch {
        /// The pull request.
        pr: u64,
        /// `previews/<name>: <why>` for each.
        entries: Vec<String>,
    },
    /// A preview directory kpreview cannot read where it must.
    #[error("previews/{namespace}: {reason}; fix or remove that directory")]
    BadMetadata {
        /// The preview directory.
        namespace: String,
        /// Why.
        reason: String,
    },
    /// `previews` at the top of the repository is not a directory.
    #[error("`previews` at the top of {dir} is a file; kpreview keeps each preview in previews/<namespace>/")]
    PreviewsNotADirectory {
        /// The repository.
        dir: PathBuf,
    },
    /// The remote refused the push for a reason a retry cannot fix.
    #[error("{remote} refused the push to {branch}: {reason}; nothing was changed locally")]
    PushRefused {
        /// The remote.
        remote: String,
        /// The branch.
        branch: String,
        /// The remote's reason and messages.
        reason: String,
    },
    /// Every attempt lost the race to another publisher.
    #[error(
        "gave up after {attempts} attempt{}: {remote}/{branch} kept moving under us (other publishers); nothing was changed locally, run again or raise {limit}",
        if *.attempts == 1 { "" } else { "s" }
    )]
    GaveUp {
        /// How many pushes were tried.
        attempts: u32,
        /// What ended the tries: `--attempts 3` or `--timeout 10m`.
        limit: String,
        /// The remote.
        remote: String,
        /// The branch.
        branch: String,
    },
    /// The remote has the change, the local checkout could not follow.
    #[error(
        "{what} landed on {remote}/{branch} as {commit}, but the local checkout could not follow: {reason}; run `git pull` in the repository"
    )]
    LocalBehind {
        /// What landed.
        what: String,
        /// The remote.
        remote: String,
        /// The branch.
        branch: String,
        /// The commit that landed.
        commit: String,
        /// Why the local update failed.
        reason: String,
    },
    /// Another kpreview command held the clone's lock until the deadline.
    #[error(
        "another kpreview command kept {dir} locked for {waited}s; nothing was changed. Run again when it is done, or raise --timeout"
    )]
    Busy {
        /// The clone.
        dir: PathBuf,
        /// How long this one waited, in seconds.
        waited: u64,
    },
    /// A file could not be written to a scratch directory.
    #[error("cannot write {path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A stale re-run is superseded (exit 3); no live preview to keep or wake is the input's fault;
/// every other refusal is about the state of the repository or the system.
impl crate::fault::HasFault for GitOpsError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            Self::Stale(_) => crate::fault::Fault::Superseded,
            Self::NoPreview { .. } => crate::fault::Fault::Input,
            _ => crate::fault::Fault::Environment,
        }
    }
}

/// What a [`GitOpsError::Stale`] found: boxed, so every other error stays small.
#[derive(Debug, thiserror::Error)]
#[error(
    "previews/{namespace} was {what} at {at} (sha {sha}), {} this {command}'s --now {now}{since}: going ahead \
     would bring back an older state, as a re-run of an older CI job does; nothing was changed. Run it with a \
     later --now, or pass --force to {command} it anyway",
    if .at == .now { "at the very time of" } else { "after" }
)]
pub struct Stale {
    /// The namespace.
    pub namespace: String,
    /// `last published` or `removed`.
    pub what: &'static str,
    /// When.
    pub at: String,
    /// The sha published then.
    pub sha: String,
    /// This command's time.
    pub now: String,
    /// `publish` or `unpublish`.
    pub command: StaleCommand,
    /// What became of it since, when that matters (`, and was taken down since (over-max at …)`).
    pub since: String,
}

/// The command a [`GitOpsError::Stale`] refused: one byte, so the error stays small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleCommand {
    /// `kpreview publish`.
    Publish,
    /// `kpreview unpublish`.
    Unpublish,
}

impl std::fmt::Display for StaleCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Publish => "publish",
            Self::Unpublish => "unpublish",
        })
    }
}
