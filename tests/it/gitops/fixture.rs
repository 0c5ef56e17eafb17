//! A GitOps world for the tests: a bare remote with one commit, clones of it, git and kpreview
//! run with a private HOME and no system config (so no identity unless a test sets one), specs,
//! and a byte-level snapshot of a clone to prove that a failed command changed nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{describe, kpreview, tempdir, write};

/// Variables that would point git somewhere else than the test's repositories.
const GIT_VARS: [&str; 10] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "EMAIL",
    "GIT_CONFIG_PARAMETERS",
];

/// A remote and its clones in one temporary directory.
pub struct World {
    tmp: tempfile::TempDir,
}

impl World {
    /// A bare remote `remote.git` whose `main` holds one commit (a README).
    pub fn new() -> Self {
        let world = Self { tmp: tempdir() };
        std::fs::write(world.root().join("gitconfig"), "").expect("empty global config");
        world.git(&world.root(), &["init", "-q", "--bare", "-b", "main", "remote.git"]);
        let seed = world.root().join("seed");
        world.git(&world.root(), &["init", "-q", "-b", "main", "seed"]);
        write(&seed, "README.md", "# GitOps\n\nPreviews live under previews/.\n");
        world.git(&seed, &["add", "README.md"]);
        world.commit(&seed, "Start the GitOps repository");
        world.git(&seed, &["push", "-q", "../remote.git", "main"]);
        world
    }

    /// The world's directory.
    pub fn root(&self) -> PathBuf {
        self.tmp.path().to_owned()
    }

    /// The bare remote.
    pub fn remote(&self) -> PathBuf {
        self.root().join("remote.git")
    }

    fn isolate(&self, cmd: &mut Command) {
        for var in GIT_VARS {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.root())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.root().join("gitconfig"));
    }

    /// git in `dir`; panics unless it succeeds. Returns stdout.
    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        let output = self.git_output(dir, args);
        assert!(output.status.success(), "git {args:?} in {}:\n{}", dir.display(), describe(&output));
        String::from_utf8_lossy(&output.stdout).trim_end().to_owned()
    }

    /// git in `dir`, whatever comes of it.
    pub fn git_output(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        cmd.current_dir(dir).args(args);
        self.isolate(&mut cmd);
        cmd.output().expect("run git")
    }

    /// Commits what is staged in `dir` as the test's own identity.
    pub fn commit(&self, dir: &Path, message: &str) {
        self.git(dir, &["-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", message]);
    }

    /// A fresh clone of the remote called `name`.
    pub fn clone(&self, name: &str) -> PathBuf {
        self.git(&self.root(), &["clone", "-q", "remote.git", name]);
        self.root().join(name)
    }

    /// kpreview with the world's git environment.
    pub fn kpreview(&self) -> Command {
        let mut cmd = kpreview();
        self.isolate(&mut cmd);
        cmd
    }

    /// Runs kpreview with `args`; panics unless it succeeds.
    pub fn ok(&self, args: &[&str]) -> Output {
        let output = self.kpreview().args(args).output().expect("run kpreview");
        assert!(output.status.success(), "kpreview {args:?}:\n{}", describe(&output));
        output
    }

    /// Runs kpreview with `args`; panics unless it fails with `code`.
    pub fn fails(&self, code: i32, args: &[&str]) -> Output {
        let output = self.kpreview().args(args).output().expect("run kpreview");
        assert_eq!(output.status.code(), Some(code), "kpreview {args:?}:\n{}", describe(&output));
        output
    }

    /// A small valid spec of app `app` (one exposed service on a Postgres) in its own directory.
    pub fn spec(&self, app: &str, ttl: &str) -> PathBuf {
        let text = format!(
            "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata:\n  name: {app}\nspec:\n  domain: preview.example.com\n  ttl: {ttl}\n  services:\n    web:\n      image: registry.example.com/{app}/web:{{{{ pr.headSha }}}}\n      port: 8080\n      expose: true\n      dependsOn: [db]\n  dataStores:\n    db: {{engine: postgres}}\n"
        );
        write(&self.root().join(format!("specs/{app}-{ttl}")), "preview.yaml", &text)
    }

    /// The commits of `rev` in `dir`, newest first, as `subject` lines.
    pub fn subjects(&self, dir: &Path, rev: &str) -> Vec<String> {
        self.git(dir, &["log", "--format=%s", rev]).lines().map(str::to_owned).collect()
    }

    /// The names under `previews/` in commit `rev` of `dir`, each with the files it holds
    /// (`preview.json`, `removed.json`, `manifests`).
    pub fn previews(&self, dir: &Path, rev: &str) -> BTreeMap<String, Vec<String>> {
        let listing = self.git(dir, &["ls-tree", "-r", "-d", "--name-only", rev, "--", "previews/"]);
        let files = self.git(dir, &["ls-tree", "-r", "--name-only", rev, "--", "previews/"]);
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for path in listing.lines().chain(files.lines()) {
            let mut parts = path.split('/').skip(1);
            if let (Some(name), Some(child)) = (parts.next(), parts.next()) {
                let entry = out.entry(name.to_owned()).or_default();
                if !entry.iter().any(|c| c == child) {
                    entry.push(child.to_owned());
                }
            }
        }
        for children in out.values_mut() {
            children.sort();
        }
        out
    }

    /// `previews/<name>/<file>` of commit `rev`.
    pub fn show(&self, dir: &Path, rev: &str, path: &str) -> String {
        self.git(dir, &["show", &format!("{rev}:{path}")])
    }
}

/// Everything a user could see of a clone, byte for byte: the work tree, and under `.git` every
/// file but the object store (a failed command may leave unreachable objects, which no one sees
/// and `git gc` removes) and FETCH_HEAD (what `--push` last fetched).
pub fn state(repo: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read dir").map(|e| e.expect("entry").path()).collect();
        entries.sort();
        for path in entries {
            let rel = path.strip_prefix(base).expect("inside").to_string_lossy().into_owned();
            if rel == ".git/objects" || rel == ".git/FETCH_HEAD" {
                continue;
            }
            if path.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(base, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(repo, repo, &mut out);
    out
}

/// Panics with the differing paths unless two states are identical.
pub fn assert_same(before: &BTreeMap<String, Vec<u8>>, after: &BTreeMap<String, Vec<u8>>, what: &str) {
    let differ: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(differ.is_empty(), "{what} changed the clone: {differ:?}");
}

/// Text of stdout.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Text of stderr.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
