//! Talking to the remote: fetch its branch, push a commit onto it, and tell a lost race (retry)
//! from a refusal (stop).

use super::error::GitOpsError;
use super::repo::{Oid, Repo};

/// What became of a push.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// The remote branch is now the commit.
    Landed,
    /// Someone else moved the branch first: fetch, re-apply, try again.
    Stale(String),
}

/// Push results that mean another push won the race, not that this one is wrong: the branch
/// moved since the fetch (`fetch first`, `non-fast-forward`), or it moved while the remote was
/// taking this push (receive-pack's compare-and-swap on the ref failed).
const LOST_RACE: [&str; 6] =
    ["fetch first", "non-fast-forward", "stale info", "failed to update ref", "cannot lock ref", "incorrect old value"];

impl Repo {
    /// Fails unless `remote` is a configured remote.
    pub fn require_remote(&self, remote: &str) -> Result<(), GitOpsError> {
        let out = self.git.call(["config", "--get", &format!("remote.{remote}.url")]).ok_codes(&[1]).run()?;
        if out.code == 0 {
            Ok(())
        } else {
            Err(GitOpsError::NoRemote { dir: self.dir().to_owned(), remote: remote.to_owned() })
        }
    }

    /// Fetches the remote's branch (of the same name as the local one) into its remote-tracking
    /// ref and returns its tip; `None` when the remote has no such branch yet.
    pub fn fetch(&self, remote: &str) -> Result<Option<Oid>, GitOpsError> {
        let tracking = format!("refs/remotes/{remote}/{}", self.branch());
        self.fetch_into(remote, &tracking, &[])
    }

    /// The remote's tip without changing any ref (`gc --dry-run --push` changes nothing):
    /// fetched into a private ref, read, and the ref and its directory removed again. The fetched
    /// objects stay unreferenced until `git gc`, as after any fetch.
    pub fn peek(&self, remote: &str) -> Result<Option<Oid>, GitOpsError> {
        const PRIVATE: &str = "refs/kpreview";
        let private = format!("{PRIVATE}/fetch/{}", self.branch());
        // `--refmap=` stops git's opportunistic update of refs/remotes/<remote>/<branch>.
        // `--no-write-fetch-head` (git 2.29) leaves FETCH_HEAD alone too.
        let tip = self.fetch_into(remote, &private, &["--refmap=", "--no-write-fetch-head"]);
        // Best effort: a leftover private ref is harmless, and the fetch's result matters more.
        let _ = self.git.call(["update-ref", "-d", &private]).run();
        // git removes the ref's empty directories up to, not including, refs/kpreview.
        if let Ok(out) = self.git.call(["rev-parse", "--absolute-git-dir"]).run() {
            let _ = std::fs::remove_dir(std::path::Path::new(out.text().trim()).join(PRIVATE));
        }
        tip
    }

    fn fetch_into(&self, remote: &str, target: &str, options: &[&str]) -> Result<Option<Oid>, GitOpsError> {
        let branch = self.branch();
        let refspec = format!("+refs/heads/{branch}:{target}");
        let mut args = vec!["fetch", "--quiet", "--no-tags"];
        args.extend(options);
        args.extend([remote, refspec.as_str()]);
        match self.git.call(args).run() {
            Ok(_) => self.commit_at(target),
            Err(error) => {
                // A missing branch and an unreachable remote both fail the fetch; ask which.
                match self.git.call(["ls-remote", "--heads", remote, &format!("refs/heads/{branch}")]).run() {
                    Ok(heads) if heads.text().is_empty() => Ok(None),
                    _ => Err(error.into()),
                }
            }
        }
    }

    /// Pushes `commit` to the remote's branch, without force: it lands only as a fast-forward.
    pub fn push(&self, remote: &str, commit: &Oid) -> Result<Pushed, GitOpsError> {
        let dst = self.branch_ref();
        let refspec = format!("{commit}:{dst}");
        let out = self.git.call(["push", "--porcelain", remote, &refspec]).ok_codes(&[1]).run()?;
        // `--porcelain` prints `<flag>\t<src>:<dst>\t<summary>` per ref; `!` means rejected.
        let text = out.text();
        let status = text.lines().find(|l| l.split('\t').nth(1).is_some_and(|r| r.ends_with(&format!(":{dst}"))));
        let refused = |reason: String| GitOpsError::PushRefused {
            remote: remote.to_owned(),
            branch: self.branch().to_owned(),
            reason,
        };
        match status {
            Some(line) if !line.starts_with('!') && out.code == 0 => Ok(Pushed::Landed),
            Some(line) => {
                let summary = line.split('\t').nth(2).unwrap_or(line).to_owned();
                if LOST_RACE.iter().any(|r| summary.contains(r)) {
                    Ok(Pushed::Stale(summary))
                } else {
                    // All git said but its own boilerplate: the remote's lines and git's reading
                    // of them (`remote unpack failed: …`) are the reason a user needs.
                    let remote_says: Vec<&str> = out
                        .stderr
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty() && !l.starts_with("To ") && !l.starts_with("error: failed to push"))
                        .collect();
                    Err(refused(if remote_says.is_empty() {
                        summary
                    } else {
                        format!(
                            "{summary} ({})",
                            remote_says.join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
                        )
                    }))
                }
            }
            None => Err(refused(if out.stderr.is_empty() { text } else { out.stderr })),
        }
    }
}
