//! Keeping the work tree and index in step with the branch: refusing when local changes would be
//! overwritten, checking that a fast-forward will work before anything moves, then doing it the
//! way `git checkout` does (a two-tree `read-tree -m -u`, which never overwrites local work).

use std::collections::BTreeSet;

use super::error::GitOpsError;
use super::git::GitError;
use super::repo::{Oid, Repo};
use super::tree::PREVIEWS;

/// How many dirty paths an error lists.
const SHOWN: usize = 10;

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
        let scope: Vec<String> = if names.len() <= 256 {
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

    /// Checks, changing nothing, that the work tree can move from `old` to `new`.
    pub fn check_checkout(&self, old: Option<&Oid>, new: &Oid) -> Result<(), GitOpsError> {
        if self.bare {
            return Ok(());
        }
        let old = self.before(old)?;
        let dry_run = || self.git.call(["read-tree", "-m", "-u", "-n", old.as_str(), new.as_str()]).run();
        match dry_run() {
            Ok(_) => Ok(()),
            Err(GitError::Failed { .. }) => {
                // A file touched but not changed looks modified until the index learns its new
                // timestamps; refreshing them is what every `git status` does.
                self.git.call(["update-index", "-q", "--refresh"]).ok_codes(&[1]).run()?;
                dry_run().map(|_| ()).map_err(|e| self.checkout_error(e))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Moves the index and work tree from `old` to `new`, keeping any local change to a path the
    /// two commits share.
    pub fn checkout(&self, old: Option<&Oid>, new: &Oid) -> Result<(), GitOpsError> {
        if self.bare {
            return Ok(());
        }
        let old = self.before(old)?;
        self.git
            .call(["read-tree", "-m", "-u", old.as_str(), new.as_str()])
            .run()
            .map_err(|e| self.checkout_error(e))?;
        Ok(())
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
