//! Waking a pull request's sleeping preview (`kpreview wake`) from what is committed: its
//! `awake/` manifests become `manifests/` again, without the hooks that run on sync (see
//! `sleep`), and `sleeping` is cleared. No render, no build: the commit it was published at is
//! what runs again.

use jiff::Timestamp;

use super::error::GitOpsError;
use super::keep::{Changed, change_each};
use super::land::Push;
use super::meta::{self, PreviewMeta, format_time};
use super::repo::{Entry, Oid, Repo};
use super::sleep::{AWAKE, woken};
use super::tree::MANIFESTS;

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
    change_each(
        repo,
        pr,
        app,
        push,
        report,
        |meta, dir| {
            let Some(since) = meta.sleeping.take() else { return Ok(None) };
            meta.woken = Some(now);
            let line = format!("{}: asleep since {}, sha {}\n", meta.namespace, format_time(since), meta.sha);
            Ok(Some((awake(repo, dir, meta)?, line)))
        },
        |touched, lines| format!("Wake PR #{pr}: {}\n\n{lines}", touched.join(", ")),
    )
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
