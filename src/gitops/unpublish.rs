//! Removing a pull request's previews (the PR-closed path): every live preview whose metadata
//! names the pull request (and the app, when given) is retired in one commit; none is a no-op.
//! Pull-request numbers are per source repository, so when previews of several apps share the
//! number, the app must be named: closing #42 in one repository must not remove another's #42.
//! Like publish, an unpublish older than the preview's last publish is refused: re-running an old
//! CI job (an `unlabeled` run from before the label came back) must not remove a live preview.

use std::fmt::Write as _;

use jiff::Timestamp;

use super::error::GitOpsError;
use super::land::{Prepared, Push, land};
use super::meta::{PreviewMeta, Tombstone, UNPUBLISHED, format_time};
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
    /// Live previews of the pull request's number that belong to other apps (left alone).
    pub others: Vec<PreviewMeta>,
    /// The commit made.
    pub commit: Option<Oid>,
    /// Whether it was pushed.
    pub pushed: bool,
}

/// What to unpublish.
#[derive(Debug, Clone)]
pub struct Unpublish<'a> {
    /// The pull request whose previews go.
    pub pr: u64,
    /// Only this app's preview, when given.
    pub app: Option<&'a str>,
    /// The time of the removal (the CI event's): a preview published after it stays.
    pub now: Timestamp,
    /// Remove even a preview published after `now`.
    pub force: bool,
}

/// Removes the previews of pull request `pr` (of `app` only, when given) at time `now`.
pub fn unpublish(
    repo: &Repo,
    request: &Unpublish<'_>,
    push: Option<&Push>,
    report: &mut dyn FnMut(&str),
) -> Result<Unpublished, GitOpsError> {
    let Unpublish { pr, app, now, force } = *request;
    let matches = |m: &PreviewMeta| m.pr == pr && app.is_none_or(|a| a == m.app);
    let outcome = land(repo, push, report, |snapshot| {
        let mut retirees = Vec::new();
        let mut already = Vec::new();
        let mut unreadable = Vec::new();
        let mut others = Vec::new();
        for (namespace, dir) in snapshot.all_dirs(repo)? {
            match dir.status {
                Status::Live(meta) if matches(&meta) && meta.updated > now && !force => {
                    return Err(GitOpsError::Stale(Box::new(super::error::Stale {
                        namespace,
                        what: "last published",
                        at: format_time(meta.updated),
                        sha: meta.sha,
                        now: format_time(now),
                        command: super::error::StaleCommand::Unpublish,
                        since: String::new(),
                    })));
                }
                Status::Live(meta) if matches(&meta) => {
                    retirees.push((Tombstone { meta, removed: now, reason: UNPUBLISHED.into() }, dir.manifests));
                }
                Status::Live(meta) if meta.pr == pr => others.push(meta),
                Status::Removed(t) if matches(&t.meta) => already.push(t),
                Status::Live(_) | Status::Removed(_) => {}
                Status::Unreadable(reason) => unreadable.push((namespace, reason)),
            }
        }
        let suspects: Vec<String> = unreadable
            .iter()
            .filter(|(name, _)| names_number(name, pr))
            .map(|(name, reason)| format!("previews/{name}: {reason}"))
            .collect();
        if !suspects.is_empty() {
            return Err(GitOpsError::UnreadableMatch { pr, entries: suspects });
        }
        if app.is_none() {
            let apps = by_app(retirees.iter().map(|(t, _)| &t.meta));
            if apps.len() > 1 {
                return Err(GitOpsError::SeveralApps { pr, apps });
            }
        }
        let changes = retire(repo, &retirees)?;
        let removed: Vec<PreviewMeta> = retirees.into_iter().map(|(t, _)| t.meta).collect();
        let message = message(pr, &removed);
        Ok(Prepared { changes, message, value: (removed, already, unreadable, others) })
    })?;
    let (removed, already, unreadable, others) = outcome.value;
    Ok(Unpublished { removed, already, unreadable, others, commit: outcome.commit, pushed: outcome.pushed })
}

/// Whether a directory's name holds `pr` as a whole number (`shop-pr-7`, not `shop-pr-17`): every
/// preview's namespace holds its pull request's number, so such a directory may be its preview.
fn names_number(name: &str, pr: u64) -> bool {
    let number = pr.to_string();
    name.split(|c: char| !c.is_ascii_digit()).any(|run| run == number)
}

/// Each app with its previews' namespaces, `shop (shop-pr-7)`, sorted.
pub fn by_app<'a>(previews: impl Iterator<Item = &'a PreviewMeta>) -> Vec<String> {
    let mut apps: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
    for m in previews {
        apps.entry(m.app.as_str()).or_default().push(m.namespace.as_str());
    }
    apps.into_iter().map(|(app, namespaces)| format!("{app} ({})", namespaces.join(", "))).collect()
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_directory_names_a_number_only_as_a_whole() {
        assert!(super::names_number("shop-pr-7", 7));
        assert!(super::names_number("7-shop", 7));
        assert!(!super::names_number("shop-pr-17", 7));
        assert!(!super::names_number("shop-pr-70", 7));
    }
}
