//! Publishing one preview: its manifests and metadata become `previews/<namespace>/` in one
//! commit. The manifests are written as objects once; only `preview.json` is recomputed for each
//! commit the change lands on, since `created` comes from the preview already there.

use std::fmt::Write as _;

use jiff::Timestamp;
use serde::Serialize;

use super::cap::evictions;
use super::error::GitOpsError;
use super::gc::{Reason, Removal};
use super::land::{Prepared, Push, land};
use super::meta::{self, Keep, PreviewMeta, Tombstone, UNPUBLISHED, format_time};
use super::repo::{Entry, Oid, Repo};
use super::tree::{Change, MANIFESTS, Snapshot, Status, retire};
use crate::k8s::Duration;

/// A rendered preview to publish.
#[derive(Debug, Clone)]
pub struct Publication {
    /// The application family.
    pub app: String,
    /// The preview's namespace: its directory under `previews/`.
    pub namespace: String,
    /// The pull request.
    pub pr: u64,
    /// The head commit rendered.
    pub sha: String,
    /// The pull request's branch, when known.
    pub branch: Option<String>,
    /// Its lifetime after each publish.
    pub ttl: Duration,
    /// The manifests: file name and content, one object per file.
    pub files: Vec<(String, String)>,
    /// The time of this publish.
    pub now: Timestamp,
    /// Publish even when the preview there is newer than `now` (a re-run of an older job).
    pub force: bool,
    /// The most live previews the repository may hold: the oldest beyond it are taken down in
    /// the same commit (`--max`).
    pub max: Option<usize>,
}

/// What a publish did.
#[derive(Debug)]
pub struct Published {
    /// The metadata now in the repository.
    pub meta: PreviewMeta,
    /// Whether the preview was live before (a removed one published again is new).
    pub existed: bool,
    /// The commit made; `None` when the repository already held exactly this.
    pub commit: Option<Oid>,
    /// Whether the commit was pushed.
    pub pushed: bool,
    /// The previews the cap took down in the same commit.
    pub evicted: Vec<PreviewMeta>,
    /// How many previews beyond the cap stay because they are kept (the cap cannot hold).
    pub over_max_kept: usize,
    /// Since when the preview slept, when this publish woke it.
    pub woke: Option<Timestamp>,
}

/// What a publish took down, as `publish --evicted FILE` writes it: gc's plan's `now`, `max` and
/// `remove` (reason `over-max`), so one piece of CI shell tells the pull requests of either.
/// Keys and order are part of the interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evicted {
    /// The time of the publish, which is the time of the takedown.
    pub now: String,
    /// `--max`, when given.
    pub max: Option<usize>,
    /// The previews taken down, oldest first; empty when none were.
    pub remove: Vec<Removal>,
}

impl Evicted {
    /// Pretty JSON ending in a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

impl Published {
    /// What publishing `p` took down, in gc's plan's shape.
    pub fn evictions(&self, p: &Publication) -> Evicted {
        let max = p.max.unwrap_or_default();
        Evicted {
            now: format_time(p.now),
            max: p.max,
            remove: self.evicted.iter().map(|m| Removal::over_max(m, &m.ttl, max)).collect(),
        }
    }
}

/// Publishes `publication` on the repository's branch (and, with `push`, its remote).
pub fn publish(
    repo: &Repo,
    publication: &Publication,
    push: Option<&Push>,
    report: &mut dyn FnMut(&str),
) -> Result<Published, GitOpsError> {
    let contents: Vec<&str> = publication.files.iter().map(|(_, content)| content.as_str()).collect();
    let blobs = repo.write_blobs(&contents)?;
    let entries: Vec<Entry> =
        publication.files.iter().zip(blobs).map(|((name, _), oid)| Entry::file(name, oid)).collect();
    let manifests = repo.mktree(&entries)?;
    let outcome = land(repo, push, report, |snapshot| prepare(repo, publication, &manifests, snapshot))?;
    let Done { meta, existed, evicted, over_max_kept, woke } = outcome.value;
    Ok(Published { meta, existed, commit: outcome.commit, pushed: outcome.pushed, evicted, over_max_kept, woke })
}

/// What one attempt prepared, beyond the changes.
struct Done {
    meta: PreviewMeta,
    existed: bool,
    evicted: Vec<PreviewMeta>,
    over_max_kept: usize,
    woke: Option<Timestamp>,
}

fn prepare(repo: &Repo, p: &Publication, manifests: &Oid, snapshot: &Snapshot) -> Result<Prepared<Done>, GitOpsError> {
    let ns = p.namespace.as_str();
    let earlier = match snapshot.previews.get(ns) {
        None => None,
        Some(_) => Some(
            snapshot
                .dirs(repo, [ns])?
                .remove(ns)
                .map_or_else(|| Status::Unreadable("it cannot be read".into()), |dir| dir.status),
        ),
    };
    let stale = |what, at: Timestamp, m: &PreviewMeta, since: String| {
        Err(GitOpsError::Stale(Box::new(super::error::Stale {
            since,
            namespace: ns.to_owned(),
            what,
            at: format_time(at),
            sha: m.sha.clone(),
            now: format_time(p.now),
            command: super::error::StaleCommand::Publish,
        })))
    };
    let taken =
        |holder: String| Err(GitOpsError::Taken { namespace: ns.to_owned(), holder, app: p.app.clone(), pr: p.pr });
    let (created, existed, kept, woke) = match &earlier {
        Some(Status::Removed(t)) if t.meta.app != p.app => {
            // Argo CD may still be deleting that app's Application from these manifests.
            return taken(format!(
                "app {} PR #{} (removed {}, until gc purges it)",
                t.meta.app,
                t.meta.pr,
                format_time(t.removed)
            ));
        }
        // An unpublish (the PR closed) stands against any job that started before it. A preview
        // gc expired or evicted may come back with any push newer than its last publish: that
        // push's job may well have been queued before the gc ran.
        Some(Status::Removed(t)) if t.meta.pr == p.pr && t.reason == UNPUBLISHED && t.removed > p.now && !p.force => {
            return stale("removed", t.removed, &t.meta, String::new());
        }
        Some(Status::Removed(t)) if t.meta.pr == p.pr && t.meta.updated >= p.now && !p.force => {
            // Not newer than what was taken down: the same job run again.
            let since = format!(", and was taken down since ({} at {})", t.reason, format_time(t.removed));
            return stale("last published", t.meta.updated, &t.meta, since);
        }
        Some(Status::Removed(t)) if t.meta.pr == p.pr && taken_down_after(t, p) && !p.force => {
            return stale("taken down by gc", t.removed, &t.meta, String::new());
        }
        // Nothing there, or this app's removed preview: a new life.
        None | Some(Status::Removed(_)) => (p.now, false, Keep::No, None),
        Some(Status::Live(m)) if m.app == p.app && m.pr == p.pr => {
            if m.updated > p.now && !p.force {
                return stale("last published", m.updated, m, String::new());
            }
            (m.created, true, m.kept, m.sleeping)
        }
        Some(Status::Live(m)) => return taken(format!("app {} PR #{}", m.app, m.pr)),
        // Not ours, or damaged: replacing it could destroy someone's work.
        Some(Status::Unreadable(reason)) => {
            return Err(GitOpsError::BadMetadata { namespace: ns.to_owned(), reason: reason.clone() });
        }
    };
    let meta = PreviewMeta {
        app: p.app.clone(),
        namespace: p.namespace.clone(),
        pr: p.pr,
        sha: p.sha.clone(),
        branch: p.branch.clone(),
        created,
        updated: p.now,
        ttl: p.ttl.clone(),
        kept,
        sleeping: None,
        woken: None,
    };
    let json = repo.write_blob(meta.to_json().as_bytes())?;
    let tree = repo.mktree(&[Entry::tree(MANIFESTS, manifests.clone()), Entry::file(meta::FILE_NAME, json)])?;
    let mut changes = vec![Change::Put { namespace: ns.to_owned(), tree }];
    let (evicted, over_max_kept) = match p.max {
        Some(max) => {
            let (retirees, unmet) = cap(repo, snapshot, &meta, max)?;
            changes.extend(retire(repo, &retirees)?);
            (retirees.into_iter().map(|(t, _)| t.meta).collect(), unmet)
        }
        None => (Vec::new(), 0),
    };
    let message = message(p, &meta, existed, &evicted, woke);
    Ok(Prepared { changes, message, value: Done { meta, existed, evicted, over_max_kept, woke } })
}

/// Previews to take down, each with its manifests.
type Retirees = Vec<(Tombstone, Option<Oid>)>;

/// Whether gc's takedown of `t` stands against `p`: a publish at the very time of the takedown
/// (ties go to the takedown), or one whose expiry had already passed when gc took it down. A
/// publish between the last one and the takedown may bring it back: its job may have been
/// queued before the gc ran.
fn taken_down_after(t: &Tombstone, p: &Publication) -> bool {
    t.reason != UNPUBLISHED && t.removed >= p.now && (t.removed == p.now || p.ttl.after(p.now) <= t.removed)
}

/// The previews `--max` takes down when `meta` is published: never `meta` itself, never a kept
/// one. Also how many kept ones stay beyond the cap.
fn cap(repo: &Repo, snapshot: &Snapshot, meta: &PreviewMeta, max: usize) -> Result<(Retirees, usize), GitOpsError> {
    let dirs = snapshot.all_dirs(repo)?;
    let mut live: Vec<&PreviewMeta> = dirs
        .values()
        .filter_map(|d| match &d.status {
            Status::Live(m) if m.namespace != meta.namespace => Some(m),
            _ => None,
        })
        .collect();
    live.push(meta);
    let found = evictions(&live, max, meta.updated, Some(&meta.namespace));
    let retirees = found
        .evicted
        .iter()
        .map(|m| {
            let tombstone =
                Tombstone { meta: (*m).clone(), removed: meta.updated, reason: Reason::OverMax.as_str().to_owned() };
            (tombstone, dirs.get(&m.namespace).and_then(|d| d.manifests.clone()))
        })
        .collect();
    Ok((retirees, found.unmet))
}

/// `Publish preview shop-pr-7: PR #7 at 4f9c2d1`, then the metadata, one field a line; with
/// `--max`, `…; evict shop-pr-1 over --max` and a line for each.
fn message(
    p: &Publication,
    meta: &PreviewMeta,
    existed: bool,
    evicted: &[PreviewMeta],
    woke: Option<Timestamp>,
) -> String {
    let verb = if existed { "Update" } else { "Publish" };
    let short: String = p.sha.chars().take(7).collect();
    let mut text = format!("{verb} preview {}: PR #{} at {short}", p.namespace, p.pr);
    if !evicted.is_empty() {
        let names: Vec<&str> = evicted.iter().map(|m| m.namespace.as_str()).collect();
        let _ = write!(text, "; evict {} over --max", names.join(", "));
    }
    text.push_str("\n\n");
    let _ = writeln!(text, "app: {}\nnamespace: {}\npull request: #{}\nsha: {}", p.app, p.namespace, p.pr, p.sha);
    if let Some(branch) = &p.branch {
        let _ = writeln!(text, "branch: {branch}");
    }
    let _ = writeln!(text, "objects: {}\nexpires: {} (ttl {})", p.files.len(), format_time(meta.expires()), p.ttl);
    if let Some(since) = woke {
        let _ = writeln!(text, "woke: asleep since {}", format_time(since));
    }
    for m in evicted {
        let _ = writeln!(
            text,
            "evicted {} (app {}, PR #{}): oldest unkept beyond --max {} (created {})",
            m.namespace,
            m.app,
            m.pr,
            p.max.unwrap_or_default(),
            format_time(m.created)
        );
    }
    if !evicted.is_empty() {
        let whose = if evicted.len() == 1 { "Its manifests stay" } else { "Their manifests stay" };
        let _ = writeln!(text, "{whose} beside removed.json until a gc after --grace purges them.");
    }
    text
}
