//! Keeping a pull request's preview past its TTL (`kpreview keep`): its `preview.json` records
//! until when (`kept`), and gc neither expires, evicts nor puts it to sleep until then. Which
//! previews a pull request has is decided as `unpublish` decides it: pull-request numbers are
//! per source repository, so when previews of several apps share one, the app must be named.

use jiff::Timestamp;

use super::error::GitOpsError;
use super::land::{Prepared, Push, land};
use super::meta::{self, Keep, PreviewMeta};
use super::repo::{Entry, Oid, Repo};
use super::tree::{Change, Snapshot, Status};
use super::unpublish::by_app;

/// What a keep (or a wake) did.
#[derive(Debug)]
pub struct Changed {
    /// The previews of the pull request, as they are now.
    pub previews: Vec<PreviewMeta>,
    /// Those of them that changed.
    pub changed: Vec<String>,
    /// The commit made; `None` when nothing changed.
    pub commit: Option<Oid>,
    /// Whether it was pushed.
    pub pushed: bool,
}

/// Keeps the live previews of pull request `pr` (of `app` only, when given) as `keep` says:
/// `Keep::No` ends a keep.
pub fn keep(
    repo: &Repo,
    pr: u64,
    app: Option<&str>,
    keep: Keep,
    push: Option<&Push>,
    report: &mut dyn FnMut(&str),
) -> Result<Changed, GitOpsError> {
    change_each(
        repo,
        pr,
        app,
        push,
        report,
        |meta, dir| {
            if meta.kept == keep {
                return Ok(None);
            }
            meta.kept = keep;
            Ok(Some((with_meta(repo, dir, meta)?, String::new())))
        },
        |touched, _| message(pr, keep, touched),
    )
}

/// One commit for the live previews of pull request `pr` (of `app`, when given) that `edit`
/// changes: `edit` updates a preview's metadata and returns its new directory tree with a line
/// for the commit's body, or `None` to leave it as it is; `message` makes the commit message from
/// the namespaces changed and those lines. What `keep` and `wake` share.
pub(super) fn change_each(
    repo: &Repo,
    pr: u64,
    app: Option<&str>,
    push: Option<&Push>,
    report: &mut dyn FnMut(&str),
    mut edit: impl FnMut(&mut PreviewMeta, &Oid) -> Result<Option<(Oid, String)>, GitOpsError>,
    message: impl Fn(&[String], &str) -> String,
) -> Result<Changed, GitOpsError> {
    let outcome = land(repo, push, report, |snapshot| {
        let (mut changes, mut touched, mut previews, mut lines) = (Vec::new(), Vec::new(), Vec::new(), String::new());
        for (mut meta, dir) in select(repo, snapshot, pr, app)? {
            if let Some((tree, line)) = edit(&mut meta, &dir)? {
                changes.push(Change::Put { namespace: meta.namespace.clone(), tree });
                touched.push(meta.namespace.clone());
                lines.push_str(&line);
            }
            previews.push(meta);
        }
        let message = message(&touched, &lines);
        Ok(Prepared { changes, message, value: (previews, touched) })
    })?;
    let (previews, changed) = outcome.value;
    Ok(Changed { previews, changed, commit: outcome.commit, pushed: outcome.pushed })
}

fn message(pr: u64, keep: Keep, names: &[String]) -> String {
    let names = names.join(", ");
    match keep {
        Keep::No => format!("Stop keeping PR #{pr}: {names}\n\nIts TTL, the cap and sleep apply again.\n"),
        Keep::Until(until) => format!(
            "Keep PR #{pr} until {}: {names}\n\nExempt from its TTL, the cap and sleep until then.\n",
            meta::format_time(until)
        ),
        Keep::Indefinitely => {
            format!("Keep PR #{pr}: {names}\n\nExempt from its TTL, the cap and sleep until `kpreview keep --off`.\n")
        }
    }
}

/// The live previews of pull request `pr` (of `app`, when given), each with its directory's
/// tree. None is an error naming what there is instead; several apps without `app` too.
pub(super) fn select(
    repo: &Repo,
    snapshot: &Snapshot,
    pr: u64,
    app: Option<&str>,
) -> Result<Vec<(PreviewMeta, Oid)>, GitOpsError> {
    let matches = |m: &PreviewMeta| m.pr == pr && app.is_none_or(|a| a == m.app);
    let mut found = Vec::new();
    let mut removed = Vec::new();
    for (namespace, dir) in snapshot.all_dirs(repo)? {
        match dir.status {
            Status::Live(meta) if matches(&meta) => {
                let Some(entry) = snapshot.previews.get(&namespace) else { continue };
                found.push((meta, entry.oid.clone()));
            }
            Status::Removed(t) if matches(&t.meta) => removed.push(format!(
                "{} was removed at {} ({})",
                t.meta.namespace,
                meta::format_time(t.removed),
                t.reason
            )),
            _ => {}
        }
    }
    if app.is_none() {
        let apps = by_app(found.iter().map(|(m, _)| m));
        if apps.len() > 1 {
            return Err(GitOpsError::SeveralApps { pr, apps });
        }
    }
    if found.is_empty() {
        return Err(GitOpsError::NoPreview {
            pr,
            app: app.map(|a| format!(" of app {a}")).unwrap_or_default(),
            removed: if removed.is_empty() { String::new() } else { format!(" ({})", removed.join("; ")) },
        });
    }
    Ok(found)
}

/// The preview directory `dir` with `meta` as its `preview.json`; every other entry as it was.
pub(super) fn with_meta(repo: &Repo, dir: &Oid, meta: &PreviewMeta) -> Result<Oid, GitOpsError> {
    let blob = repo.write_blob(meta.to_json().as_bytes())?;
    let mut entries: Vec<Entry> = repo.ls_tree(dir)?.into_iter().filter(|e| e.name != meta::FILE_NAME).collect();
    entries.push(Entry::file(meta::FILE_NAME, blob));
    repo.mktree(&entries)
}

/// Whether `meta` is exempt at `now`, in words for a summary: `until 2026-12-01T00:00:00Z`.
pub fn describe(meta: &PreviewMeta, now: Timestamp) -> Option<String> {
    match meta.kept {
        Keep::Until(until) if until > now => Some(format!("until {}", meta::format_time(until))),
        Keep::Indefinitely => Some("until `kpreview keep --off`".to_owned()),
        _ => None,
    }
}
