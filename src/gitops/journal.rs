//! The one step of a change that is not atomic: the branch moves (one compare-and-swap), then the
//! index and work tree follow (`restore` or `read-tree -m -u`). A run killed between the two leaves the branch
//! at the new commit and the checkout at the old one, which `git status` shows as staged reverts.
//! So before the branch moves, the move is written down in the git directory; the next command
//! (under the clone's lock) finishes a move it finds there, and a finished move removes the note.

use std::io::Write as _;
use std::path::PathBuf;

use super::checkout::Reach;
use super::error::GitOpsError;
use super::repo::{Oid, Repo};

/// The note's name in the git directory (per work tree, like the index it is about).
pub const FILE_NAME: &str = "kpreview-move";

/// A move in progress; dropping it (the move finished or was undone) removes the note.
#[derive(Debug)]
pub struct Move {
    path: Option<PathBuf>,
}

impl Drop for Move {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            // Best effort: a note left behind only makes the next command check a finished move.
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Repo {
    fn journal(&self) -> PathBuf {
        self.git_dir.join(FILE_NAME)
    }

    /// Writes down that the branch is about to move from `old` to `new` (nothing in a bare
    /// repository, which has no checkout to follow).
    pub(super) fn begin_move(&self, old: Option<&Oid>, new: &Oid) -> Result<Move, GitOpsError> {
        if self.bare {
            return Ok(Move { path: None });
        }
        let path = self.journal();
        let zero = "0".repeat(new.as_str().len());
        let text = format!("{} {new}\n", old.map_or(zero.as_str(), Oid::as_str));
        let io = |source| GitOpsError::Io { path: path.clone(), source };
        let mut file = std::fs::File::create(&path).map_err(io)?;
        // On disk before the branch moves: a machine that dies right after must still find it.
        file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(io)?;
        Ok(Move { path: Some(path) })
    }

    /// Finishes a move an interrupted command left half done: when the branch is at the noted
    /// new commit, the checkout follows it (a no-op if it already had); otherwise the branch never
    /// moved and the note goes. `report` hears what was repaired.
    pub fn recover(&self, report: &mut dyn FnMut(&str)) -> Result<(), GitOpsError> {
        if self.bare {
            return Ok(());
        }
        let path = self.journal();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(GitOpsError::Io { path, source }),
        };
        let note = Move { path: Some(path.clone()) };
        let mut oids = text.split_whitespace().map(Oid::parse);
        let (Some(Some(old)), Some(Some(new))) = (oids.next(), oids.next()) else {
            report(&format!("warning: removed {}, which kpreview could not read", path.display()));
            return Ok(());
        };
        let old = old.as_str().bytes().any(|b| b != b'0').then_some(old);
        if self.tip()?.as_ref() == Some(&new) {
            // What the move touched is not written down: all of it may need to follow.
            self.checkout(old.as_ref(), &new, &Reach::everything())?;
            report(&format!(
                "an earlier kpreview stopped after moving {} to {} and before updating the checkout; updated it",
                self.branch(),
                new.short()
            ));
        }
        drop(note);
        Ok(())
    }
}
