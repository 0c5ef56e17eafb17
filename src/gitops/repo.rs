//! The GitOps repository and the git plumbing kpreview builds commits with: objects and trees are
//! written without touching the index or the work tree, and the branch moves by one
//! compare-and-swap, so a failure before that leaves nothing visible behind.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use super::error::GitOpsError;
use super::git::{Git, GitError};

/// A git object id (SHA-1 or SHA-256, as the repository uses).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Oid(String);

impl Oid {
    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first seven hex digits, as `git log --oneline` shows it.
    pub fn short(&self) -> &str {
        &self.0[..self.0.len().min(7)]
    }

    pub(super) fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        (matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Self(text.to_owned()))
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One entry of a tree, as `ls-tree` prints and `mktree` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `100644`, `040000`, …
    pub mode: String,
    /// `blob`, `tree` or `commit`.
    pub kind: String,
    /// The object.
    pub oid: Oid,
    /// The name within the tree.
    pub name: String,
}

impl Entry {
    /// A subdirectory entry.
    pub fn tree(name: &str, oid: Oid) -> Self {
        Self { mode: "040000".into(), kind: "tree".into(), oid, name: name.to_owned() }
    }

    /// A regular file entry.
    pub fn file(name: &str, oid: Oid) -> Self {
        Self { mode: "100644".into(), kind: "blob".into(), oid, name: name.to_owned() }
    }
}

/// An object read with `cat-file --batch`.
#[derive(Debug, Clone)]
pub struct Object {
    /// Its id.
    pub oid: Oid,
    /// `blob`, `tree`, …
    pub kind: String,
    /// Its raw content.
    pub data: Vec<u8>,
}

/// A GitOps repository on disk.
#[derive(Debug)]
pub struct Repo {
    pub(super) git: Git,
    pub(super) bare: bool,
    branch: String,
    identity: Vec<(&'static str, &'static str)>,
    timeout: std::time::Duration,
    /// This work tree's git directory (`.git`), absolute.
    pub(super) git_dir: PathBuf,
    /// The git directory all work trees share, absolute.
    pub(super) common_dir: PathBuf,
}

/// How long a command waits for the clone's lock and retries lost pushes, unless told otherwise.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// What git calls an unexpected answer, for errors from parsing its output.
fn odd(git: &Git, command: &str, what: &str) -> GitError {
    GitError::Failed {
        command: format!("git -C {} {command}", git.dir().display()),
        status: "exit status: 0".into(),
        stderr: format!("unexpected output: {what}"),
    }
}

impl Repo {
    /// Opens the repository that holds `dir`, on the branch HEAD points to.
    pub fn open(dir: &Path) -> Result<Self, GitOpsError> {
        let probe = Git::new(dir);
        // The git directories come with the same call: the lock and the journal live there.
        let args =
            ["rev-parse", "--is-bare-repository", "--absolute-git-dir", "--path-format=absolute", "--git-common-dir"];
        let (bare, git_dir, common_dir) = match probe.call(args).run() {
            Ok(out) => {
                let text = out.text();
                let mut lines = text.lines();
                let bare = lines.next() == Some("true");
                let git_dir = PathBuf::from(lines.next().unwrap_or_default());
                (bare, git_dir, PathBuf::from(lines.next().unwrap_or_default()))
            }
            Err(GitError::Failed { stderr, .. }) => {
                return Err(GitOpsError::NotARepository { dir: dir.to_owned(), reason: stderr });
            }
            Err(e) => return Err(e.into()),
        };
        let top = if bare {
            dir.to_owned()
        } else {
            PathBuf::from(probe.call(["rev-parse", "--show-toplevel"]).run()?.text())
        };
        let git = Git::new(top);
        let head = git.call(["symbolic-ref", "-q", "HEAD"]).ok_codes(&[1]).run()?;
        let Some(branch) = head.text().strip_prefix("refs/heads/").map(str::to_owned).filter(|_| head.code == 0) else {
            return Err(GitOpsError::DetachedHead { dir: git.dir().to_owned() });
        };
        let configured = git.call(["config", "--get-regexp", r"^user\.(name|email)$"]).ok_codes(&[1]).run()?.text();
        let has = |key: &str, vars: [&str; 2]| {
            configured.lines().any(|l| l.split(' ').next() == Some(key))
                || vars.iter().all(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()))
        };
        // Only a repository with no identity at all gets kpreview's: CI runners often have none,
        // and a configured one (a bot account) must win.
        let mut identity = Vec::new();
        if !has("user.name", ["GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"]) {
            identity.push(("user.name", "kpreview"));
        }
        if !has("user.email", ["GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"]) {
            identity.push(("user.email", "kpreview@localhost"));
        }
        Ok(Self { git, bare, branch, identity, timeout: DEFAULT_TIMEOUT, git_dir, common_dir })
    }

    /// How long a change may wait for the clone's lock and retry lost pushes, in all.
    #[must_use]
    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// See [`Repo::with_timeout`].
    pub fn timeout(&self) -> std::time::Duration {
        self.timeout
    }

    /// The repository's top directory (its git directory when bare).
    pub fn dir(&self) -> &Path {
        self.git.dir()
    }

    /// The branch previews are committed to (HEAD's).
    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The branch's full ref name.
    pub fn branch_ref(&self) -> String {
        format!("refs/heads/{}", self.branch)
    }

    /// The commit the branch points to; `None` before the first commit.
    pub fn tip(&self) -> Result<Option<Oid>, GitOpsError> {
        self.commit_at(&self.branch_ref())
    }

    /// The commit `rev` names, `None` when it names none.
    pub fn commit_at(&self, rev: &str) -> Result<Option<Oid>, GitOpsError> {
        let out = self.git.call(["rev-parse", "-q", "--verify", &format!("{rev}^{{commit}}")]).ok_codes(&[1]).run()?;
        Ok(if out.code == 0 { Oid::parse(&out.text()) } else { None })
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: &Oid, descendant: &Oid) -> Result<bool, GitOpsError> {
        let out = self
            .git
            .call(["merge-base", "--is-ancestor", ancestor.as_str(), descendant.as_str()])
            .ok_codes(&[1])
            .run()?;
        Ok(out.code == 0)
    }

    /// The entries of a tree, or of a commit's root tree.
    pub fn ls_tree(&self, tree: &Oid) -> Result<Vec<Entry>, GitOpsError> {
        let out = self.git.call(["ls-tree", "-z", tree.as_str()]).run()?;
        let mut entries = Vec::new();
        for record in out.stdout.split(|&b| b == 0).filter(|r| !r.is_empty()) {
            let text = String::from_utf8_lossy(record);
            let parsed = text.split_once('\t').and_then(|(head, name)| {
                let mut parts = head.split(' ');
                let (mode, kind, oid) = (parts.next()?, parts.next()?, Oid::parse(parts.next()?)?);
                Some(Entry { mode: mode.to_owned(), kind: kind.to_owned(), oid, name: name.to_owned() })
            });
            entries.push(parsed.ok_or_else(|| odd(&self.git, &format!("ls-tree -z {tree}"), &text))?);
        }
        Ok(entries)
    }

    /// Writes a tree of `entries` (in any order).
    pub fn mktree(&self, entries: &[Entry]) -> Result<Oid, GitOpsError> {
        let mut input = Vec::new();
        for e in entries {
            input.extend_from_slice(format!("{} {} {}\t{}\0", e.mode, e.kind, e.oid, e.name).as_bytes());
        }
        let out = self.git.call(["mktree", "-z"]).input(input).run()?;
        Oid::parse(&out.text()).ok_or_else(|| odd(&self.git, "mktree -z", &out.text()).into())
    }

    /// Writes one blob, exactly these bytes (no clean filters: what is rendered is what is stored).
    pub fn write_blob(&self, bytes: &[u8]) -> Result<Oid, GitOpsError> {
        let out = self.git.call(["hash-object", "-w", "--no-filters", "--stdin"]).input(bytes.to_vec()).run()?;
        Oid::parse(&out.text()).ok_or_else(|| odd(&self.git, "hash-object -w --stdin", &out.text()).into())
    }

    /// Writes many blobs with one git process (through a scratch directory outside the
    /// repository), returning their ids in order.
    pub fn write_blobs(&self, contents: &[&str]) -> Result<Vec<Oid>, GitOpsError> {
        if contents.is_empty() {
            return Ok(Vec::new());
        }
        let scratch = tempfile::tempdir().map_err(|source| GitOpsError::Io { path: std::env::temp_dir(), source })?;
        let mut paths = String::new();
        for (i, content) in contents.iter().enumerate() {
            let path = scratch.path().join(i.to_string());
            std::fs::write(&path, content).map_err(|source| GitOpsError::Io { path: path.clone(), source })?;
            paths.push_str(&path.to_string_lossy());
            paths.push('\n');
        }
        let out =
            self.git.call(["hash-object", "-w", "--no-filters", "--stdin-paths"]).input(paths.into_bytes()).run()?;
        let oids: Vec<Oid> = out.text().lines().filter_map(Oid::parse).collect();
        if oids.len() != contents.len() {
            return Err(odd(&self.git, "hash-object -w --stdin-paths", "fewer ids than files").into());
        }
        Ok(oids)
    }

    /// The object each `<tree-ish>:<path>` names, `None` where there is none; one git process
    /// for all of them, so thousands of previews cost one call.
    pub fn read_objects(&self, specs: &[String]) -> Result<Vec<Option<Object>>, GitOpsError> {
        if specs.is_empty() {
            return Ok(Vec::new());
        }
        let mut input = specs.join("\n");
        input.push('\n');
        let out = self.git.call(["cat-file", "--batch"]).input(input.into_bytes()).run()?;
        let bad = |what: &str| -> GitOpsError { odd(&self.git, "cat-file --batch", what).into() };
        let mut rest = out.stdout.as_slice();
        let mut objects = Vec::with_capacity(specs.len());
        for _ in specs {
            let end = rest.iter().position(|&b| b == b'\n').ok_or_else(|| bad("a truncated header"))?;
            let header = String::from_utf8_lossy(&rest[..end]).into_owned();
            rest = &rest[end + 1..];
            match header.split(' ').collect::<Vec<_>>().as_slice() {
                [oid, kind, size] if Oid::parse(oid).is_some() => {
                    let size: usize = size.parse().map_err(|_| bad(&header))?;
                    let data = rest.get(..size).ok_or_else(|| bad("a truncated object"))?.to_vec();
                    rest = rest.get(size + 1..).unwrap_or_default();
                    let oid = Oid::parse(oid).ok_or_else(|| bad(&header))?;
                    objects.push(Some(Object { oid, kind: (*kind).to_owned(), data }));
                }
                _ if header.ends_with(" missing") || header.ends_with(" ambiguous") => objects.push(None),
                _ => return Err(bad(&header)),
            }
        }
        Ok(objects)
    }

    /// Writes many small trees with one git process, returning their ids in order.
    pub fn mktree_batch(&self, trees: &[Vec<Entry>]) -> Result<Vec<Oid>, GitOpsError> {
        if trees.is_empty() {
            return Ok(Vec::new());
        }
        // `--batch` separates trees by blank lines, which works only without `-z`; kpreview's
        // own names (manifests, removed.json) never hold a newline.
        let mut input = String::new();
        for entries in trees {
            for e in entries {
                if e.name.contains(['\n', '\t']) {
                    return Err(
                        odd(&self.git, "mktree --batch", &format!("a name with a newline: {:?}", e.name)).into()
                    );
                }
                let _ = writeln!(input, "{} {} {}\t{}", e.mode, e.kind, e.oid, e.name);
            }
            input.push('\n');
        }
        let out = self.git.call(["mktree", "--batch"]).input(input.into_bytes()).run()?;
        let oids: Vec<Oid> = out.text().lines().filter_map(Oid::parse).collect();
        if oids.len() != trees.len() {
            return Err(odd(&self.git, "mktree --batch", "fewer ids than trees").into());
        }
        Ok(oids)
    }

    /// Writes a commit of `tree` on `parent` with `message`. Commit hooks do not run: this is
    /// plumbing, like every step before the branch moves.
    pub fn commit(&self, tree: &Oid, parent: Option<&Oid>, message: &str) -> Result<Oid, GitOpsError> {
        let mut args = vec!["commit-tree", tree.as_str()];
        if let Some(parent) = parent {
            args.extend(["-p", parent.as_str()]);
        }
        args.extend(["-F", "-"]);
        let mut call = self.git.call(args).input(message.as_bytes().to_vec());
        for (key, value) in &self.identity {
            call = call.config(key, value);
        }
        let out = call.run()?;
        Oid::parse(&out.text()).ok_or_else(|| odd(&self.git, "commit-tree", &out.text()).into())
    }

    /// Moves the branch from `old` (`None`: it must not exist yet) to `new`, atomically: if the
    /// branch is no longer at `old`, nothing changes and this fails.
    pub fn move_branch(&self, new: &Oid, old: Option<&Oid>, reason: &str) -> Result<(), GitOpsError> {
        let zero = "0".repeat(new.as_str().len());
        let old = old.map_or(zero.as_str(), Oid::as_str);
        self.git.call(["update-ref", "-m", reason, &self.branch_ref(), new.as_str(), old]).run()?;
        Ok(())
    }

    /// Puts the branch back from `from` to `old` (deleting it when it did not exist), undoing
    /// [`Repo::move_branch`].
    pub fn restore_branch(&self, old: Option<&Oid>, from: &Oid) -> Result<(), GitOpsError> {
        if let Some(old) = old {
            self.move_branch(old, Some(from), "kpreview: undo, the checkout could not follow")
        } else {
            self.git.call(["update-ref", "-d", &self.branch_ref(), from.as_str()]).run()?;
            Ok(())
        }
    }

    /// The empty tree (written if the repository lacks it), the "before" of a first commit.
    pub fn empty_tree(&self) -> Result<Oid, GitOpsError> {
        self.mktree(&[])
    }
}
