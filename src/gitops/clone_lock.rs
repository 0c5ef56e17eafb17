//! One kpreview command at a time on a clone. git locks each ref and the index only for the
//! instant it writes them, so two commands on one clone could interleave their steps and fail
//! on each other's locks; instead the second waits for the first. The lock is an advisory `flock`
//! on the git directory itself (shared by the clone's work trees): no file is created, and the
//! kernel releases it when the process ends, however it ends, so a killed command never leaves
//! a stale lock behind.

use std::fs::{File, TryLockError};
use std::time::{Duration, Instant};

use super::error::GitOpsError;
use super::repo::Repo;

/// How often a waiting command says it is still waiting.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);
/// How often it tries again.
const POLL: Duration = Duration::from_millis(50);

/// The clone's lock, held until dropped.
#[derive(Debug)]
pub struct CloneLock {
    _file: File,
}

impl Repo {
    /// Takes the clone's lock, waiting for another kpreview command that holds it until
    /// `deadline`; `report` hears that it waits, and every ten seconds that it still does.
    pub fn lock(&self, deadline: Instant, report: &mut dyn FnMut(&str)) -> Result<CloneLock, GitOpsError> {
        let dir = self.common_dir.clone();
        let io = |source| GitOpsError::Io { path: dir.clone(), source };
        let file = File::open(&dir).map_err(io)?;
        let started = Instant::now();
        let mut said = None;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(CloneLock { _file: file }),
                Err(TryLockError::Error(source)) => return Err(io(source)),
                Err(TryLockError::WouldBlock) => {}
            }
            let waited = started.elapsed();
            if Instant::now() >= deadline {
                return Err(GitOpsError::Busy { dir: self.dir().to_owned(), waited: waited.as_secs() });
            }
            if said.is_none_or(|at: Duration| waited >= at + PROGRESS_EVERY) {
                report(&if said.is_none() {
                    format!(
                        "waiting for another kpreview command on {} to finish (it holds the clone's lock)",
                        self.dir().display()
                    )
                } else {
                    format!("still waiting for the lock on {} ({}s)", self.dir().display(), waited.as_secs())
                });
                said = Some(waited);
            }
            std::thread::sleep(POLL.min(deadline.saturating_duration_since(Instant::now())));
        }
    }
}
