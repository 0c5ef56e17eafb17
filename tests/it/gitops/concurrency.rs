//! Publishers in separate clones racing each other and gc: every one lands, nothing is lost.

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use super::fixture::{World, stderr};
use crate::support::describe;

const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";

/// A clone `ours` whose next push is preceded, once, by a rival clone's push of PR 1: from
/// our pre-push hook, which runs after the remote told git where main is, so our push is stale.
fn raced(world: &World, spec: &std::path::Path) -> std::path::PathBuf {
    let rival = world.clone("rival");
    world.ok(&["publish", &spec.to_string_lossy(), "--repo", &rival.to_string_lossy(), "--pr", "1", "--sha", SHA]);
    let ours = world.clone("ours");
    let hook = ours.join(".git/hooks/pre-push");
    let marker = world.root().join("rival-pushed");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\n[ -e '{m}' ] && exit 0\ntouch '{m}'\ngit -C '{r}' push -q origin main >&2\n",
            m = marker.display(),
            r = rival.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    ours
}

#[test]
fn a_push_that_loses_the_race_is_fetched_reapplied_and_lands() {
    let world = World::new();
    let spec = world.spec("shop", "48h");
    let ours = raced(&world, &spec);
    let out = world.ok(&[
        "publish",
        &spec.to_string_lossy(),
        "--repo",
        &ours.to_string_lossy(),
        "--pr",
        "2",
        "--sha",
        SHA,
        "--push",
    ]);
    let err = stderr(&out);
    assert!(err.contains("push to origin/main lost a race") && err.contains("(attempt 2)"), "{err}");
    let remote = world.previews(&world.remote(), "main");
    assert_eq!(remote.keys().collect::<Vec<_>>(), ["shop-pr-1", "shop-pr-2"], "both landed");
    assert_eq!(world.git(&ours, &["rev-parse", "HEAD"]), world.git(&world.remote(), &["rev-parse", "main"]));
    assert_eq!(world.git(&ours, &["status", "--porcelain"]), "");
    assert!(ours.join("previews/shop-pr-1/preview.json").exists(), "the clone now has the rival's preview too");
}

#[test]
fn a_publisher_out_of_attempts_gives_up_and_changes_nothing() {
    let world = World::new();
    let spec = world.spec("shop", "48h");
    let ours = raced(&world, &spec);
    let before = super::fixture::state(&ours);
    let args = ["publish", &spec.to_string_lossy(), "--repo", &ours.to_string_lossy(), "--pr", "2", "--sha", SHA];
    let out = world.fails(2, &[&args[..], &["--push", "--attempts", "1"]].concat());
    assert!(
        stderr(&out).contains(
            "gave up after 1 attempt: origin/main kept moving under us (other publishers); nothing was changed locally"
        ),
        "{}",
        stderr(&out)
    );
    let after = super::fixture::state(&ours);
    let moved: Vec<&String> = before.keys().filter(|k| before.get(*k) != after.get(*k)).collect();
    assert!(
        moved.iter().all(|k| k.starts_with(".git/refs/remotes/") || k.starts_with(".git/logs/refs/remotes/")),
        "only the fetch moved: {moved:?}"
    );
    assert_eq!(world.previews(&world.remote(), "main").keys().collect::<Vec<_>>(), ["shop-pr-1"]);
}

#[test]
fn eight_publishers_and_a_gc_in_separate_clones_all_land() {
    let world = World::new();
    let spec = world.spec("shop", "48h");
    let seeder = world.clone("seeder");
    for pr in ["1", "2", "3"] {
        world.ok(&[
            "publish",
            &spec.to_string_lossy(),
            "--repo",
            &seeder.to_string_lossy(),
            "--pr",
            pr,
            "--sha",
            SHA,
            "--now",
            "2026-11-01T00:00:00Z",
            "--push",
        ]);
    }
    let now = "2026-11-21T10:00:00Z";
    let mut children = Vec::new();
    for i in 0..8 {
        let clone = world.clone(&format!("publisher-{i}"));
        let pr = (100 + i).to_string();
        let mut cmd = world.kpreview();
        cmd.args(["publish", &spec.to_string_lossy(), "--repo", &clone.to_string_lossy(), "--pr", &pr, "--sha", SHA])
            .args(["--now", now, "--push", "--attempts", "20"]);
        children.push((format!("publish PR {pr}"), cmd));
    }
    let collector = world.clone("gc");
    let mut gc = world.kpreview();
    gc.args(["gc", "--repo", &collector.to_string_lossy(), "--now", now, "--push", "--attempts", "20"]);
    children.push(("gc".into(), gc));
    let running: Vec<_> = children
        .into_iter()
        .map(|(what, mut cmd)| {
            let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn kpreview");
            (what, child)
        })
        .collect();
    let mut races = 0;
    for (what, child) in running {
        let output = child.wait_with_output().expect("wait");
        assert!(output.status.success(), "{what}:\n{}", describe(&output));
        races += stderr(&output).matches("lost a race").count();
    }
    assert!(races > 0, "the nine processes never raced, so this test proved nothing");

    let remote = world.previews(&world.remote(), "main");
    for i in 0..8 {
        let name = format!("shop-pr-{}", 100 + i);
        assert_eq!(
            remote.get(&name).map(Vec::as_slice),
            Some(&["manifests".to_owned(), "preview.json".to_owned()][..]),
            "{name}: {remote:?}"
        );
    }
    for name in ["shop-pr-1", "shop-pr-2", "shop-pr-3"] {
        assert_eq!(
            remote.get(name).map(Vec::as_slice),
            Some(&["manifests".to_owned(), "removed.json".to_owned()][..]),
            "{name} expired: {remote:?}"
        );
    }
    let subjects = world.subjects(&world.remote(), "main");
    assert_eq!(subjects.len(), 1 + 3 + 8 + 1, "{subjects:#?}");
    assert_eq!(subjects.iter().filter(|s| s.starts_with("Publish preview shop-pr-1")).count(), 9);
    assert_eq!(subjects.iter().filter(|s| s.as_str() == "Expire 3 previews").count(), 1);
}

#[test]
fn the_first_publishers_into_an_empty_remote_create_its_branch_and_then_share_it() {
    let world = World::new();
    world.git(&world.root(), &["init", "-q", "--bare", "-b", "main", "empty.git"]);
    let spec = world.spec("shop", "48h");
    let mut branch = String::new();
    for (name, pr) in [("first", "1"), ("second", "2")] {
        world.git(&world.root(), &["clone", "-q", "empty.git", name]);
        let clone = world.root().join(name);
        branch = world.git(&clone, &["symbolic-ref", "--short", "HEAD"]);
        world.ok(&[
            "publish",
            &spec.to_string_lossy(),
            "--repo",
            &clone.to_string_lossy(),
            "--pr",
            pr,
            "--sha",
            SHA,
            "--push",
        ]);
        assert_eq!(world.git(&clone, &["status", "--porcelain"]), "");
    }
    let remote = world.root().join("empty.git");
    assert_eq!(world.previews(&remote, &branch).keys().collect::<Vec<_>>(), ["shop-pr-1", "shop-pr-2"]);
    assert_eq!(world.subjects(&remote, &branch).len(), 2, "the first commit is a root commit");
}

#[test]
fn an_unreachable_remote_names_the_git_command_that_failed() {
    let world = World::new();
    let clone = world.clone("ci");
    world.git(&clone, &["remote", "set-url", "origin", &world.root().join("gone.git").to_string_lossy()]);
    let spec = world.spec("shop", "48h");
    let out = world.fails(
        2,
        &["publish", &spec.to_string_lossy(), "--repo", &clone.to_string_lossy(), "--pr", "1", "--sha", SHA, "--push"],
    );
    let err = stderr(&out);
    assert!(
        err.contains(
            "fetch --quiet --no-tags origin +refs/heads/main:refs/remotes/origin/main` failed (exit status: 128)"
        ),
        "{err}"
    );
    assert!(err.contains("does not appear to be a git repository"), "{err}");
    let out = world.fails(
        2,
        &[
            "publish",
            &spec.to_string_lossy(),
            "--repo",
            &clone.to_string_lossy(),
            "--pr",
            "1",
            "--sha",
            SHA,
            "--push",
            "--remote",
            "upstream",
        ],
    );
    assert!(stderr(&out).contains("has no remote `upstream`"), "{}", stderr(&out));
}

/// A clone behind a remote that already holds its change (another CI job's run of the same
/// publish, or an earlier run killed after its push) commits nothing and catches up, saying so.
#[test]
fn a_clone_behind_a_remote_that_holds_its_change_catches_up_and_says_so() {
    let world = World::new();
    let spec = world.spec("shop", "48h");
    let (first, second) = (world.clone("first"), world.clone("second"));
    let publish = |repo: &std::path::Path| {
        let repo = repo.to_string_lossy().into_owned();
        let args = ["publish", &spec.to_string_lossy(), "--repo", &repo, "--pr", "7", "--sha", SHA];
        world.ok(&[&args[..], &["--now", "2026-11-21T10:00:00Z", "--push"]].concat())
    };
    publish(&first);
    let out = publish(&second);
    let err = stderr(&out);
    assert!(err.contains("moved main to origin/main (") && err.contains("which already holds this change"), "{err}");
    assert!(err.contains("already holds exactly this; nothing to commit"), "{err}");
    assert_eq!(world.git(&second, &["rev-parse", "HEAD"]), world.git(&world.remote(), &["rev-parse", "main"]));
    assert_eq!(world.git(&second, &["status", "--porcelain"]), "", "{}", describe(&out));
}
