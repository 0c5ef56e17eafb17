//! Removing a pull request's previews (the PR-closed path): every live preview whose metadata
//! names the pull request (and the app, when given) is retired in one commit; none is a no-op.

use std::fmt::Write as _;

use jiff::Timestamp;

use super::error::GitOpsError;
use super::land::{Prepared, Push, land};
use super::meta::{PreviewMeta, Tombstone, format_time};
use super::repo::{Oid, Repo};
use super::tree::{Status, retire};

/// What an unpublish did.
#[derive(Debug)]
pub struct Unpublished {
    /// The previews removed (none: there was nothing to remove).
    pub removed: Vec<PreviewMeta>,
    /// Matching previews that were already removed.
    pub already: Vec<Tombstone>,
    /// Preview directories whose metadata could not be read, so could not be matched, and why.
    pub unreadable: Vec<(String, String)>,
    /// The commit made.
    pub commit: Option<Oid>,
    /// Whether it was pushed.
    pub pushed: bool,
}

/// Removes the previews of pull request `pr` (of `app` only, when given) at time `now`.
pub fn unpublish(
    repo: &Repo,
    pr: u64,
    app: Option<&str>,
    now: Timestamp,
    push: Option<&Push>,
    report: &mut dyn FnMut(&str),
) -> Result<Unpublished, GitOpsError> {
    let matches = |m: &PreviewMeta| m.pr == pr && app.is_none_or(|a| a == m.app);
    let outcome = land(repo, push, report, |snapshot| {
        let mut retirees = Vec::new();
        let mut already = Vec::new();
        let mut unreadable = Vec::new();
        for (namespace, dir) in snapshot.all_dirs(repo)? {
            match dir.status {
                Status::Live(meta) if matches(&meta) => {
                    retirees.push((Tombstone { meta, removed: now, reason: "unpublished".into() }, dir.manifests));
                }
                Status::Removed(t) if matches(&t.meta) => already.push(t),
                Status::Live(_) | Status::Removed(_) => {}
                Status::Unreadable(reason) => unreadable.push((namespace, reason)),
            }
        }
        let changes = retire(repo, &retirees)?;
        let removed: Vec<PreviewMeta> = retirees.into_iter().map(|(t, _)| t.meta).collect();
        let message = message(pr, &removed);
        Ok(Prepared { changes, message, value: (removed, already, unreadable) })
    })?;
    let (removed, already, unreadable) = outcome.value;
    Ok(Unpublished { removed, already, unreadable, commit: outcome.commit, pushed: outcome.pushed })
}

/// `Unpublish PR #7: shop-pr-7`, then one line per preview.
fn message(pr: u64, removed: &[PreviewMeta]) -> String {
    let names: Vec<&str> = removed.iter().map(|m| m.namespace.as_str()).collect();
    let mut text = format!("Unpublish PR #{pr}: {}\n\n", names.join(", "));
    for m in removed {
        let _ = writeln!(text, "{}: app {}, sha {}, created {}", m.namespace, m.app, m.sha, format_time(m.created));
    }
    text.push_str("\nTheir manifests stay beside removed.json until gc purges them, so Argo CD can finish deleting.\n");
    text
}
