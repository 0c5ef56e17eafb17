//! Waking a pull request's sleeping preview (`kpreview wake`) from what is committed: its
//! `awake/` manifests become `manifests/` again, without the hooks that run on sync (see
//! `sleep`), and `sleeping` is cleared. No render, no build: the commit it was published at is
//! what runs again.

use std::fmt::Write as _;

use jiff::Timestamp;

use super::error::GitOpsError;
use super::keep::{Changed, select};
use super::land::{Prepared, Push, land};
use super::meta::{self, PreviewMeta, format_time};
use super::repo::{Entry, Oid, Repo};
use super::sleep::{AWAKE, woken};
use super::tree::{Change, MANIFESTS};

/// Wakes the sleeping previews of pull request `pr` (of `app` only, when given) at `now`, from
/// which `gc --sleep-after` counts idle time again; one already awake is left as it is.
pub fn wake(
    repo: &Repo,
    pr: u64,
    app: Option<&str>,
    now: Timestamp,
    push: Option<&Push>,
    report: &mut dyn FnMut(&str),
) -> Result<Changed, GitOpsError> {
    let outcome = land(repo, push, report, |snapshot| {
        let found = select(repo, snapshot, pr, app)?;
        let mut changes = Vec::new();
        let mut changed = Vec::new();
        let mut previews = Vec::new();
        let mut message = String::new();
        for (mut meta, dir) in found {
            if let Some(since) = meta.sleeping.take() {
                meta.woken = Some(now);
                changes.push(Change::Put { namespace: meta.namespace.clone(), tree: awake(repo, &dir, &meta)? });
                let _ = writeln!(message, "{}: asleep since {}, sha {}", meta.namespace, format_time(since), meta.sha);
                changed.push(meta.namespace.clone());
            }
            previews.push(meta);
        }
        let message = format!("Wake PR #{pr}: {}\n\n{message}", changed.join(", "));
        Ok(Prepared { changes, message, value: (previews, changed) })
    })?;
    let (previews, changed) = outcome.value;
    Ok(Changed { previews, changed, commit: outcome.commit, pushed: outcome.pushed })
}

/// The directory of a woken preview: `meta` and the manifests kept in `awake/`.
fn awake(repo: &Repo, dir: &Oid, meta: &PreviewMeta) -> Result<Oid, GitOpsError> {
    let spec = format!("{dir}:{AWAKE}");
    let awake = repo.read_objects(&[spec])?.into_iter().flatten().find(|o| o.kind == "tree").ok_or_else(|| {
        GitOpsError::BadMetadata {
            namespace: meta.namespace.clone(),
            reason: format!("{} says it sleeps, but it has no {AWAKE}/ to wake it from", meta::FILE_NAME),
        }
    })?;
    let manifests = woken(repo, &awake.oid)?;
    let blob = repo.write_blob(meta.to_json().as_bytes())?;
    repo.mktree(&[Entry::tree(MANIFESTS, manifests), Entry::file(meta::FILE_NAME, blob)])
}
