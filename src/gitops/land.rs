//! Landing one change on the branch, all or nothing. The change is a function of the commit it
//! applies to, so with `--push` it is re-applied to whatever the remote holds after each lost race
//! (jittered backoff, until the repository's timeout). Everything up to moving the branch writes
//! only objects, which no one sees; the branch moves by compare-and-swap, and the work tree
//! follows. The whole of it runs under the clone's lock, after finishing any move an interrupted
//! command left half done (see `journal`).

use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use super::checkout::Reach;
use super::error::GitOpsError;
use super::remote::Pushed;
use super::repo::{Oid, Repo};
use super::tree::{Change, Snapshot, reach};

/// Where a change lands besides the local branch.
#[derive(Debug, Clone)]
pub struct Push {
    /// The remote's name (`origin`).
    pub remote: String,
    /// At most this many pushes, besides the repository's timeout.
    pub attempts: Option<u32>,
}

/// A change, made for one snapshot of the repository.
#[derive(Debug)]
pub struct Prepared<T> {
    /// The directories to put or remove; none is a no-op.
    pub changes: Vec<Change>,
    /// The commit message: a subject line, a blank line, the details.
    pub message: String,
    /// Whatever the caller wants back about the change that landed (such as gc's plan).
    pub value: T,
}

/// What happened.
#[derive(Debug)]
pub struct Outcome<T> {
    /// The commit made; `None` when the change changed nothing.
    pub commit: Option<Oid>,
    /// Whether it was pushed.
    pub pushed: bool,
    /// The caller's value from the attempt that landed.
    pub value: T,
}

/// Lands the change `prepare` makes for the branch's current state; with `push`, for the remote's.
/// `report` hears about waits.
pub fn land<T>(
    repo: &Repo,
    push: Option<&Push>,
    report: &mut dyn FnMut(&str),
    prepare: impl FnMut(&Snapshot) -> Result<Prepared<T>, GitOpsError>,
) -> Result<Outcome<T>, GitOpsError> {
    let deadline = Instant::now() + repo.timeout();
    let _lock = repo.lock(deadline, report)?;
    repo.recover(report)?;
    match push {
        None => land_locally(repo, prepare),
        Some(push) => land_on_remote(repo, push, deadline, report, prepare),
    }
}

fn land_locally<T>(
    repo: &Repo,
    mut prepare: impl FnMut(&Snapshot) -> Result<Prepared<T>, GitOpsError>,
) -> Result<Outcome<T>, GitOpsError> {
    let local = repo.tip()?;
    let snapshot = Snapshot::read(repo, local.as_ref())?;
    let prepared = prepare(&snapshot)?;
    let Some(applied) = snapshot.apply(repo, &prepared.changes)? else {
        return Ok(Outcome { commit: None, pushed: false, value: prepared.value });
    };
    let reach = reach(&snapshot, &snapshot, &applied.previews);
    let commit = repo.commit(&applied.tree, local.as_ref(), &prepared.message)?;
    repo.check_move(local.as_ref(), &commit, &reach)?;
    advance(repo, local.as_ref(), &commit, &reach, &prepared.message)?;
    Ok(Outcome { commit: Some(commit), pushed: false, value: prepared.value })
}

fn land_on_remote<T>(
    repo: &Repo,
    push: &Push,
    deadline: Instant,
    report: &mut dyn FnMut(&str),
    mut prepare: impl FnMut(&Snapshot) -> Result<Prepared<T>, GitOpsError>,
) -> Result<Outcome<T>, GitOpsError> {
    repo.require_remote(&push.remote)?;
    let local = repo.tip()?;
    let checked_out = Snapshot::read(repo, local.as_ref())?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let remote_tip = repo.fetch(&push.remote)?;
        refuse_diverged(repo, local.as_ref(), remote_tip.as_ref(), &push.remote)?;
        let base = Snapshot::read(repo, remote_tip.as_ref())?;
        let prepared = prepare(&base)?;
        let Some(applied) = base.apply(repo, &prepared.changes)? else {
            // Nothing to change on the remote. The local branch still follows it, as after a
            // landed push: a run killed after its push lands here when run again.
            if let Some(tip) = remote_tip.as_ref().filter(|tip| local.as_ref() != Some(*tip)) {
                follow(repo, local.as_ref(), &checked_out, &base, tip, &push.remote, report);
            }
            return Ok(Outcome { commit: None, pushed: false, value: prepared.value });
        };
        // The local checkout jumps from its commit to the new one, so whatever differs between
        // those two (others' changes included) must be clean.
        let reach = reach(&checked_out, &base, &applied.previews);
        let commit = repo.commit(&applied.tree, remote_tip.as_ref(), &prepared.message)?;
        repo.check_move(local.as_ref(), &commit, &reach)?;
        let reason = match repo.push(&push.remote, &commit)? {
            Pushed::Landed => {
                advance(repo, local.as_ref(), &commit, &reach, &prepared.message).map_err(|e| {
                    GitOpsError::LocalBehind {
                        what: subject(&prepared.message).to_owned(),
                        remote: push.remote.clone(),
                        branch: repo.branch().to_owned(),
                        commit: commit.to_string(),
                        reason: e.to_string(),
                    }
                })?;
                return Ok(Outcome { commit: Some(commit), pushed: true, value: prepared.value });
            }
            Pushed::Stale(reason) => reason,
        };
        let wait = backoff(attempt);
        let out_of_time = Instant::now() + wait >= deadline;
        if out_of_time || push.attempts.is_some_and(|max| attempt >= max) {
            let limit = match push.attempts {
                Some(max) if !out_of_time => format!("--attempts {max}"),
                _ => format!("--timeout {}", crate::k8s::Duration::from_seconds(repo.timeout().as_secs())),
            };
            return Err(GitOpsError::GaveUp {
                attempts: attempt,
                limit,
                remote: push.remote.clone(),
                branch: repo.branch().to_owned(),
            });
        }
        let of = push.attempts.map(|max| format!(" of {max}")).unwrap_or_default();
        report(&format!(
            "push to {}/{} lost a race ({reason}): another publisher landed first; fetching and re-applying in {:.1}s (attempt {}{of})",
            push.remote,
            repo.branch(),
            wait.as_secs_f64(),
            attempt + 1,
        ));
        std::thread::sleep(wait);
    }
}

/// Moves the local branch and checkout to the remote's tip when this command had nothing to
/// land, so a re-run converges on what a run that was not interrupted leaves. Local changes in
/// the way are not an error here (the remote is right already): the branch stays, with a note.
fn follow(
    repo: &Repo,
    local: Option<&Oid>,
    checked_out: &Snapshot,
    remote: &Snapshot,
    tip: &Oid,
    name: &str,
    report: &mut dyn FnMut(&str),
) {
    let reach = reach(checked_out, remote, &remote.previews);
    let moved = repo
        .check_move(local, tip, &reach)
        .and_then(|()| advance(repo, local, tip, &reach, &format!("follow {name}/{}", repo.branch())));
    match moved {
        Ok(()) => report(&format!(
            "moved {branch} to {name}/{branch} ({}), which already holds this change",
            tip.short(),
            branch = repo.branch()
        )),
        Err(e) => report(&format!("note: {} stays behind {name}/{}: {e}", repo.branch(), repo.branch())),
    }
}

/// The local branch must be behind (or at) the remote's: landing on the remote's tip and then
/// moving the local branch there would otherwise drop local commits.
fn refuse_diverged(repo: &Repo, local: Option<&Oid>, remote: Option<&Oid>, name: &str) -> Result<(), GitOpsError> {
    let fine = match (local, remote) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(l), Some(r)) => l == r || repo.is_ancestor(l, r)?,
    };
    if fine { Ok(()) } else { Err(GitOpsError::Diverged { branch: repo.branch().to_owned(), remote: name.to_owned() }) }
}

/// Moves the branch from `old` to `new`, then the work tree; if the work tree cannot follow, the
/// branch goes back.
fn advance(repo: &Repo, old: Option<&Oid>, new: &Oid, reach: &Reach, message: &str) -> Result<(), GitOpsError> {
    let _note = repo.begin_move(old, new)?;
    repo.move_branch(new, old, &format!("kpreview: {}", subject(message)))?;
    if let Err(error) = repo.checkout(old, new, reach) {
        // Best effort: the checkout error is the one worth reporting.
        let _ = repo.restore_branch(old, new);
        return Err(error);
    }
    Ok(())
}

fn subject(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
}

/// The wait before attempt `attempt + 1`: exponential from 200 ms, capped at 5 s, with half of it
/// random so publishers that collided do not collide again in lockstep.
fn backoff(attempt: u32) -> Duration {
    const BASE_MS: u64 = 200;
    const CAP_MS: u64 = 5_000;
    let ceiling = BASE_MS.saturating_mul(1 << attempt.saturating_sub(1).min(8)).min(CAP_MS);
    let random = std::collections::hash_map::RandomState::new().hash_one((attempt, std::process::id()));
    Duration::from_millis(ceiling / 2 + random % (ceiling / 2 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_within_bounds() {
        for attempt in 1..20 {
            let wait = backoff(attempt).as_millis();
            let ceiling = (200u128 << (attempt - 1).min(8)).min(5_000);
            assert!(wait >= ceiling / 2 && wait <= ceiling, "attempt {attempt}: {wait} ms");
        }
    }
}
