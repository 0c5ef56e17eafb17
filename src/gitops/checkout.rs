//! Keeping the work tree and index in step with the branch: refusing when local changes would be
//! overwritten, checking that the move will work before anything moves, then moving.
//!
//! Most moves change a few preview directories and nothing else. Those directories are checked
//! with one scoped `git status` and moved with one scoped `git restore` (which also removes
//! what the new commit lacks): git then reads and writes the index once, instead of the three
//! full-tree walks of a dry-run `read-tree -m -u`, its real run and `status`, which at 10,000
//! previews (310,000 files) cost a second. A move that changes anything outside `previews/` (the
//! remote's own files changed) or very many directories is checked and made the way `git
//! checkout` does: a two-tree `read-tree -m -u`, first as a dry run.
use std::collections::BTreeSet;

use super::error::GitOpsError;
use super::git::GitError;
use super::repo::{Oid, Repo};
use super::tree::PREVIEWS;

/// How many dirty paths an error lists.
const SHOWN: usize = 10;

/// Past this many preview directories, one pathspec per directory costs git more than walking
/// the whole tree.
const SCOPED_MAX: usize = 256;

/// What of the work tree a move from one commit to another touches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// The preview directories that differ.
    pub previews: BTreeSet<String>,
    /// Whether anything outside `previews/` differs too.
    pub outside: bool,
}

impl Reach {
    /// A move about which nothing is known: everything may differ.
    pub fn everything() -> Self {
        Self { previews: BTreeSet::new(), outside: true }
    }

    /// Whether the move can be made directory by directory.
    fn scoped(&self) -> bool {
        !self.outside && self.previews.len() <= SCOPED_MAX
    }
}

impl Repo {
    /// Fails when anything under `previews/<name>/` for one of `names` has uncommitted changes
    /// (modified, staged or untracked). Reads only: `--no-optional-locks` keeps git status from
    /// rewriting the index.
    pub fn refuse_dirty(&self, names: &BTreeSet<String>) -> Result<(), GitOpsError> {
        if self.bare || names.is_empty() {
            return Ok(());
        }
        // One pathspec per preview keeps `status` from visiting thousands of other previews'
        // files; past a few hundred names, one pathspec for all is cheaper than the list.
        let scope: Vec<String> = if names.len() <= SCOPED_MAX {
            names.iter().map(|name| format!("{PREVIEWS}/{name}/")).collect()
        } else {
            vec![format!("{PREVIEWS}/")]
        };
        let mut args = vec![
            "--no-optional-locks",
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--no-renames",
            "--",
        ];
        args.extend(scope.iter().map(String::as_str));
        let out = self.git.call(args).run()?;
        let mut paths = Vec::new();
        for record in out.stdout.split(|&b| b == 0).filter(|r| r.len() > 3) {
            let text = String::from_utf8_lossy(record);
            let (state, path) = text.split_at(3);
            let name = path.strip_prefix(&format!("{PREVIEWS}/")).and_then(|p| p.split('/').next()).unwrap_or_default();
            if names.contains(name) {
                paths.push(format!("{} {path}", state.trim()));
            }
        }
        if paths.is_empty() {
            return Ok(());
        }
        let more = paths.len().saturating_sub(SHOWN);
        paths.truncate(SHOWN);
        if more > 0 {
            paths.push(format!("and {more} more"));
        }
        Err(GitOpsError::Dirty { dir: self.dir().to_owned(), paths })
    }

    /// Checks, changing nothing, that the work tree can move from `old` to `new`, which differ
    /// by `reach`: no local change in the way (see [`Repo::refuse_dirty`]), and for a move beyond
    /// a few preview directories, a dry run of the whole move.
    pub fn check_move(&self, old: Option<&Oid>, new: &Oid, reach: &Reach) -> Result<(), GitOpsError> {
        if self.bare {
            return Ok(());
        }
        self.refuse_dirty(&reach.previews)?;
        if reach.scoped() {
            return Ok(());
        }
        self.read_tree(old, new, true)
    }

    /// Moves the index and work tree from `old` to `new`, which differ by `reach` and were
    /// checked with [`Repo::check_move`]. Local changes to paths the move does not touch stay.
    pub fn checkout(&self, old: Option<&Oid>, new: &Oid, reach: &Reach) -> Result<(), GitOpsError> {
        if self.bare || (reach.previews.is_empty() && !reach.outside) {
            return Ok(());
        }
        if !reach.scoped() {
            return self.read_tree(old, new, false);
        }
        // Each directory becomes what `new` holds: files it lacks go, from the index too.
        let dirs: Vec<String> = reach.previews.iter().map(|name| format!("{PREVIEWS}/{name}/")).collect();
        let mut args = vec!["restore", "--source", new.as_str(), "--staged", "--worktree", "--"];
        args.extend(dirs.iter().map(String::as_str));
        self.git.call(args).run().map_err(|e| self.checkout_error(e))?;
        Ok(())
    }

    /// The whole move from `old` to `new` as `git checkout` makes it (a two-tree `read-tree -m
    /// -u`), or with `dry_run` only whether it would work.
    fn read_tree(&self, old: Option<&Oid>, new: &Oid, dry_run: bool) -> Result<(), GitOpsError> {
        let old = self.before(old)?;
        let mut args = vec!["read-tree", "-m", "-u", old.as_str(), new.as_str()];
        if dry_run {
            args.insert(3, "-n");
        }
        match self.git.call(&args).run() {
            Ok(_) => Ok(()),
            Err(GitError::Failed { .. }) => {
                // A file touched but not changed (a clone restored from a cache, a copy) looks
                // modified until the index learns its new timestamps; refreshing them is what
                // every `git status` does. read-tree checks every entry before it writes one.
                self.git.call(["update-index", "-q", "--refresh"]).ok_codes(&[1]).run()?;
                self.git.call(&args).run().map(|_| ()).map_err(|e| self.checkout_error(e))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn before(&self, old: Option<&Oid>) -> Result<Oid, GitOpsError> {
        old.map_or_else(|| self.empty_tree(), |o| Ok(o.clone()))
    }

    fn checkout_error(&self, error: GitError) -> GitOpsError {
        match error {
            GitError::Failed { stderr, .. } => GitOpsError::Checkout { dir: self.dir().to_owned(), reason: stderr },
            other @ GitError::Spawn { .. } => other.into(),
        }
    }
}
