//! Killed at any point: `publish`, `unpublish` and `gc` are SIGKILLed right before and right
//! after each git command they start (a `git` first on PATH counts kpreview's own calls and, at
//! the chosen one, kills its parent). Afterwards both repositories pass `git fsck`, the clone's
//! and the remote's branch are each at the old or the new commit, and the same command run again
//! succeeds and leaves exactly what a run that was never interrupted leaves: the same commit
//! (commit dates are pinned, so it is the same object), a clean checkout, no note left behind.

use std::path::{Path, PathBuf};
use std::process::Output;

use super::fixture::World;
use crate::support::{describe, write};

const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";
const NOW: &str = "2026-11-21T10:00:00Z";

/// Counts the calls kpreview makes (git's own children pass through: they inherit the marker),
/// and at call `KP_CRASH_AT` kills kpreview before or after running the real git.
const WRAPPER: &str = r#"#!/bin/sh
[ -n "$KP_CRASH_INNER" ] && exec "$KP_REAL_GIT" "$@"
export KP_CRASH_INNER=1
n=$(( $(cat "$KP_CRASH_COUNT" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$KP_CRASH_COUNT"
if [ "$n" = "$KP_CRASH_AT" ] && [ "$KP_CRASH_WHEN" = before ]; then kill -9 "$PPID"; exit 137; fi
"$KP_REAL_GIT" "$@"
rc=$?
if [ "$n" = "$KP_CRASH_AT" ] && [ "$KP_CRASH_WHEN" = after ]; then kill -9 "$PPID"; fi
exit $rc
"#;

/// A world with three published previews (PR 1 long expired, PR 2 and 3 fresh), in a clone `ci`
/// that is in step with the remote, and the wrapper in `bin/`.
fn world() -> (World, PathBuf) {
    let world = World::new();
    let spec = world.spec("shop", "48h");
    let ci = world.clone("ci");
    for (pr, now) in [("1", "2026-11-01T00:00:00Z"), ("2", "2026-11-20T00:00:00Z"), ("3", "2026-11-20T00:00:00Z")] {
        let repo = ci.to_string_lossy();
        world.ok(&[
            "publish",
            &spec.to_string_lossy(),
            "--repo",
            &repo,
            "--pr",
            pr,
            "--sha",
            SHA,
            "--now",
            now,
            "--push",
        ]);
    }
    (world, spec)
}

struct Scenario<'a> {
    world: &'a World,
    args: Vec<String>,
    push: bool,
}

/// One copy of the remote and the clone, in `root/<name>`.
struct Copy {
    clone: PathBuf,
    remote: PathBuf,
}

impl Scenario<'_> {
    fn copy(&self, name: &str) -> Copy {
        let root = self.world.root().join(name);
        std::fs::create_dir_all(&root).unwrap();
        for dir in ["remote.git", "ci"] {
            let status = std::process::Command::new("cp")
                .args(["-a", &self.world.root().join(dir).to_string_lossy(), &root.to_string_lossy()])
                .status()
                .unwrap();
            assert!(status.success());
        }
        let copy = Copy { clone: root.join("ci"), remote: root.join("remote.git") };
        self.world.git(&copy.clone, &["remote", "set-url", "origin", &copy.remote.to_string_lossy()]);
        copy
    }

    /// Runs the command in `copy`, killed at call `at` (`0`: never); returns how it ended and how
    /// many git calls it made.
    fn run(&self, copy: &Copy, at: usize, when: &str) -> (Output, usize) {
        let count = copy.clone.parent().unwrap().join("count");
        let _ = std::fs::remove_file(&count);
        let path = format!("{}:{}", self.world.root().join("bin").display(), std::env::var("PATH").unwrap());
        let mut args: Vec<String> =
            self.args.iter().map(|a| a.replace("{repo}", &copy.clone.to_string_lossy())).collect();
        if self.push {
            args.push("--push".into());
        }
        let output = self
            .world
            .kpreview()
            .args(&args)
            .env("PATH", path)
            .env("KP_REAL_GIT", real_git())
            .env("KP_CRASH_COUNT", &count)
            .env("KP_CRASH_AT", at.to_string())
            .env("KP_CRASH_WHEN", when)
            .env("GIT_AUTHOR_DATE", "2026-11-21T10:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-11-21T10:00:00Z")
            .output()
            .expect("run kpreview");
        let calls = std::fs::read_to_string(&count).map_or(0, |t| t.trim().parse().unwrap());
        (output, calls)
    }

    fn tip(&self, dir: &Path) -> String {
        self.world.git(dir, &["rev-parse", "main"])
    }

    fn fsck(&self, dir: &Path, what: &str) {
        let out = self.world.git_output(dir, &["fsck", "--no-progress", "--no-dangling", "--strict"]);
        assert!(
            out.status.success() && out.stdout.is_empty(),
            "{what}: git fsck in {}:\n{}",
            dir.display(),
            describe(&out)
        );
    }
}

fn real_git() -> String {
    let out = std::process::Command::new("sh").args(["-c", "command -v git"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Kills the command at every git call, before and after it; returns the kill points tried.
fn crash_everywhere(world: &World, args: &[&str], push: bool) -> usize {
    write(&world.root(), "bin/git", WRAPPER);
    std::fs::set_permissions(world.root().join("bin/git"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap();
    let scenario = Scenario { world, args: args.iter().map(|a| (*a).to_owned()).collect(), push };
    let old = scenario.tip(&world.root().join("ci"));
    let reference = scenario.copy("reference");
    let (output, calls) = scenario.run(&reference, 0, "never");
    assert!(output.status.success(), "{args:?}: {}", describe(&output));
    let new = scenario.tip(&reference.clone);
    assert_ne!(new, old, "{args:?} changed nothing, so killing it proves nothing");
    assert!(calls > 5, "the wrapper did not see kpreview's git calls ({calls})");
    let mut tried = 0;
    for at in 1..=calls {
        for when in ["before", "after"] {
            let what = format!("{args:?} push={push} killed {when} git call {at} of {calls}");
            let copy = scenario.copy(&format!("case-{at}-{when}"));
            let (output, _) = scenario.run(&copy, at, when);
            assert_eq!(
                std::os::unix::process::ExitStatusExt::signal(&output.status),
                Some(9),
                "{what}: {}",
                describe(&output)
            );
            tried += 1;
            scenario.fsck(&copy.clone, &what);
            scenario.fsck(&copy.remote, &what);
            let local = scenario.tip(&copy.clone);
            assert!(local == old || local == new, "{what}: the clone's branch is at {local}, neither {old} nor {new}");
            let remote = scenario.tip(&copy.remote);
            let remote_new = if push { &new } else { &old };
            assert!(remote == old || &remote == remote_new, "{what}: the remote is at {remote}");

            let (again, _) = scenario.run(&copy, 0, "never");
            assert!(again.status.success(), "{what}, then run again: {}", describe(&again));
            assert_eq!(scenario.tip(&copy.clone), new, "{what}: the re-run did not converge: {}", describe(&again));
            assert_eq!(&scenario.tip(&copy.remote), remote_new, "{what}: the remote did not converge");
            let status = world.git(&copy.clone, &["status", "--porcelain", "--untracked-files=all"]);
            assert_eq!(status, "", "{what}: the checkout is not clean after the re-run: {}", describe(&again));
            for leftover in ["kpreview-move", "index.lock"] {
                assert!(!copy.clone.join(".git").join(leftover).exists(), "{what}: .git/{leftover} left behind");
            }
            std::fs::remove_dir_all(copy.clone.parent().unwrap()).unwrap();
        }
    }
    eprintln!("{args:?} push={push}: {tried} kill points, each converged");
    tried
}

fn publish_args(spec: &Path) -> Vec<String> {
    ["publish", &spec.to_string_lossy(), "--repo", "{repo}", "--pr", "5", "--sha", SHA, "--now", NOW]
        .map(str::to_owned)
        .to_vec()
}

fn check(args: &[String], push: bool) {
    let (world, _) = world();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let tried = crash_everywhere(&world, &args, push);
    assert!(tried >= 20, "only {tried} kill points");
}

#[test]
fn publish_killed_anywhere_converges() {
    let (world, spec) = world();
    let args = publish_args(&spec);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crash_everywhere(&world, &args, false);
}

#[test]
fn publish_with_push_killed_anywhere_converges() {
    let (world, spec) = world();
    let args = publish_args(&spec);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crash_everywhere(&world, &args, true);
}

#[test]
fn unpublish_killed_anywhere_converges() {
    check(&["unpublish", "--repo", "{repo}", "--pr", "3", "--now", NOW].map(str::to_owned), false);
    check(&["unpublish", "--repo", "{repo}", "--pr", "3", "--now", NOW].map(str::to_owned), true);
}

#[test]
fn gc_killed_anywhere_converges() {
    check(&["gc", "--repo", "{repo}", "--now", NOW].map(str::to_owned), false);
    check(&["gc", "--repo", "{repo}", "--now", NOW].map(str::to_owned), true);
}
