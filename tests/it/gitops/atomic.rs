//! All or nothing: every failure, injected at each step (a bad spec, local changes in the way, a
//! failed object write, a refusing reference-transaction hook, a push the remote refuses), leaves
//! the clone byte for byte as it was, and the remote too.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::fixture::{World, assert_same, state, stderr};

const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";

fn publish_args(spec: &Path, repo: &Path, pr: &str, now: &str) -> Vec<String> {
    ["publish", &spec.to_string_lossy(), "--repo", &repo.to_string_lossy(), "--pr", pr, "--sha", SHA, "--now", now]
        .map(str::to_owned)
        .to_vec()
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// A clone holding one published preview (shop-pr-7).
fn published(world: &World) -> std::path::PathBuf {
    let repo = world.clone("ci");
    let spec = world.spec("shop", "48h");
    world.ok(&strs(&publish_args(&spec, &repo, "7", "2026-11-21T10:00:00Z")));
    repo
}

#[test]
fn a_bad_spec_fails_before_anything_is_touched() {
    let world = World::new();
    let repo = published(&world);
    let spec = world.spec("shop", "48h");
    let text = std::fs::read_to_string(&spec).unwrap().replace("port: 8080", "port: eighty");
    std::fs::write(&spec, text).unwrap();
    let before = state(&repo);
    let out = world.fails(1, &strs(&publish_args(&spec, &repo, "7", "2026-11-22T10:00:00Z")));
    assert!(stderr(&out).contains("spec.services.web.port"), "{}", stderr(&out));
    assert_same(&before, &state(&repo), "a publish of a bad spec");
}

#[test]
fn uncommitted_changes_the_publish_would_overwrite_are_refused() {
    let world = World::new();
    let repo = published(&world);
    let spec = world.spec("shop", "48h");
    std::fs::write(repo.join("previews/shop-pr-7/preview.json"), "{}\n").unwrap();
    crate::support::write(&repo, "previews/shop-pr-8/manifests/extra.yaml", "kind: ConfigMap\n");
    let before = state(&repo);

    let out = world.fails(2, &strs(&publish_args(&spec, &repo, "7", "2026-11-22T10:00:00Z")));
    assert!(
        stderr(&out).contains(
            "has uncommitted changes under previews/ that this would overwrite: M previews/shop-pr-7/preview.json;"
        ),
        "{}",
        stderr(&out)
    );
    let out = world.fails(2, &strs(&publish_args(&spec, &repo, "8", "2026-11-22T10:00:00Z")));
    assert!(stderr(&out).contains("?? previews/shop-pr-8/manifests/extra.yaml"), "{}", stderr(&out));
    assert_same(&before, &state(&repo), "a refused publish");

    world.ok(&strs(&publish_args(&spec, &repo, "9", "2026-11-22T10:00:00Z")));
    assert_eq!(
        std::fs::read_to_string(repo.join("previews/shop-pr-7/preview.json")).unwrap(),
        "{}\n",
        "local work elsewhere stays"
    );
    assert!(repo.join("previews/shop-pr-9/preview.json").exists());
}

#[test]
fn a_failed_object_write_leaves_everything_as_it_was() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec = world.spec("shop", "48h");
    let out = world.root().join("out");
    world.ok(&["render", &spec.to_string_lossy(), "--pr", "7", "--sha", SHA, "-o", &out.to_string_lossy()]);
    // The object store is written first; block the fan-out directory of one rendered file, so
    // that write fails halfway through (a file where git needs a directory stops even root).
    let objects = repo.join(".git/objects");
    let blocked = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| world.git(&repo, &["hash-object", &e.unwrap().path().to_string_lossy()]))
        .map(|oid| oid[..2].to_owned())
        .find(|fanout| !objects.join(fanout).exists())
        .expect("a rendered file whose fan-out directory does not exist yet");
    std::fs::write(objects.join(&blocked), "in the way\n").unwrap();
    let before = state(&repo);
    let failed = world.fails(2, &strs(&publish_args(&spec, &repo, "7", "2026-11-21T10:00:00Z")));
    assert!(stderr(&failed).contains("hash-object -w --no-filters --stdin-paths` failed"), "{}", stderr(&failed));
    assert_same(&before, &state(&repo), "a publish whose object write failed");
    std::fs::remove_file(objects.join(&blocked)).unwrap();

    // Where permissions bind (not as root), a read-only object store fails the same way.
    std::fs::set_permissions(&objects, std::fs::Permissions::from_mode(0o555)).unwrap();
    let writable = std::fs::write(objects.join("probe"), "").is_ok();
    if !writable {
        world.fails(2, &strs(&publish_args(&spec, &repo, "7", "2026-11-21T10:00:00Z")));
        assert_same(&before, &state(&repo), "a publish into a read-only object store");
    }
    let _ = std::fs::remove_file(objects.join("probe"));
    std::fs::set_permissions(&objects, std::fs::Permissions::from_mode(0o755)).unwrap();
    world.ok(&strs(&publish_args(&spec, &repo, "7", "2026-11-21T10:00:00Z")));
}

#[test]
fn a_refused_branch_update_leaves_everything_as_it_was() {
    let world = World::new();
    let repo = published(&world);
    let hook = repo.join(".git/hooks/reference-transaction");
    std::fs::write(
        &hook,
        "#!/bin/sh\n[ \"$1\" = prepared ] && { echo 'branch protected by a test' >&2; exit 1; }\nexit 0\n",
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let before = state(&repo);
    let spec = world.spec("shop", "48h");
    let repo_arg = repo.to_string_lossy().into_owned();
    let attempts: [Vec<String>; 3] = [
        publish_args(&spec, &repo, "8", "2026-11-22T10:00:00Z"),
        ["gc", "--repo", &repo_arg, "--now", "2027-01-01T00:00:00Z"].map(str::to_owned).to_vec(),
        ["unpublish", "--repo", &repo_arg, "--pr", "7"].map(str::to_owned).to_vec(),
    ];
    for args in &attempts {
        let out = world.fails(2, &strs(args));
        let err = stderr(&out);
        assert!(err.contains("update-ref") && err.contains("branch protected by a test"), "{args:?}:\n{err}");
        assert_same(&before, &state(&repo), &args[0]);
    }
}

#[test]
fn a_push_the_remote_refuses_leaves_the_clone_and_the_remote_as_they_were() {
    let world = World::new();
    let repo = published(&world);
    world.git(&repo, &["push", "-q", "origin", "main"]);
    let hook = world.remote().join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'previews are frozen today' >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let before = state(&repo);
    let remote_before = world.git(&world.remote(), &["for-each-ref"]);
    let spec = world.spec("shop", "48h");
    let repo_arg = repo.to_string_lossy().into_owned();
    let mut publish = publish_args(&spec, &repo, "8", "2026-11-22T10:00:00Z");
    publish.push("--push".into());
    let attempts: [Vec<String>; 3] = [
        publish,
        ["gc", "--repo", &repo_arg, "--now", "2027-01-01T00:00:00Z", "--push"].map(str::to_owned).to_vec(),
        ["unpublish", "--repo", &repo_arg, "--pr", "7", "--push"].map(str::to_owned).to_vec(),
    ];
    for args in &attempts {
        let out = world.fails(2, &strs(args));
        let err = stderr(&out);
        assert!(
            err.contains("origin refused the push to main: [remote rejected] (pre-receive hook declined)")
                && err.contains("previews are frozen today")
                && err.contains("nothing was changed locally"),
            "{args:?}:\n{err}"
        );
        assert!(!err.contains("lost a race"), "a refusal is not retried:\n{err}");
        assert_same(&before, &state(&repo), &args[0]);
        assert_eq!(world.git(&world.remote(), &["for-each-ref"]), remote_before);
    }
}

#[test]
fn local_commits_the_remote_lacks_are_not_dropped_by_a_push() {
    let world = World::new();
    let repo = published(&world);
    let before = state(&repo);
    let mut args = publish_args(&world.spec("shop", "48h"), &repo, "8", "2026-11-22T10:00:00Z");
    args.push("--push".into());
    let out = world.fails(2, &strs(&args));
    assert!(
        stderr(&out).contains("the local branch `main` has commits that origin/main does not have"),
        "{}",
        stderr(&out)
    );
    assert_same(&before, &state(&repo), "a push from a diverged clone");
}

/// Most moves are made directory by directory (`git restore` of the previews that changed); a
/// move that also changes files outside `previews/` (the remote's own) is checked as a whole
/// before anything is pushed, so local work on those files is never lost and the remote never
/// holds a commit the clone cannot follow.
#[test]
fn a_remote_change_outside_previews_that_local_work_is_in_the_way_of_is_refused_before_the_push() {
    let world = World::new();
    let repo = world.clone("ci");
    let other = world.clone("maintainer");
    crate::support::write(&other, "README.md", "# GitOps\n\nRewritten upstream.\n");
    world.git(&other, &["add", "README.md"]);
    world.commit(&other, "Rewrite the README");
    world.git(&other, &["push", "-q", "origin", "main"]);
    crate::support::write(&repo, "README.md", "# GitOps\n\nA local edit.\n");
    world.git(&repo, &["fetch", "-q", "origin"]);
    let before = state(&repo);
    let remote_before = world.git(&world.remote(), &["for-each-ref"]);

    let spec = world.spec("shop", "48h");
    let mut args = publish_args(&spec, &repo, "7", "2026-11-22T10:00:00Z");
    args.push("--push".into());
    let out = world.fails(2, &strs(&args));
    assert!(stderr(&out).contains("README.md"), "git names the file in the way:\n{}", stderr(&out));
    assert!(stderr(&out).contains("nothing was committed or pushed"), "{}", stderr(&out));
    assert!(stderr(&out).contains("commit, stash or discard the local changes"), "{}", stderr(&out));
    assert_same(&before, &state(&repo), "a refused publish");
    assert_eq!(world.git(&world.remote(), &["for-each-ref"]), remote_before, "nothing was pushed");

    world.git(&repo, &["checkout", "README.md"]);
    world.ok(&strs(&args));
    assert_eq!(std::fs::read_to_string(repo.join("README.md")).unwrap(), "# GitOps\n\nRewritten upstream.\n");
    assert_eq!(world.git(&repo, &["status", "--porcelain", "--untracked-files=all"]), "", "the clone is clean");
}

/// After publishes, an update, an eviction and an unpublish, each moving the checkout directory
/// by directory, the index and work tree are exactly what `git checkout` of the branch gives:
/// nothing stale left (empty directories included), nothing missing, no file git sees as changed.
#[test]
fn a_checkout_moved_directory_by_directory_is_the_commit_exactly() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec = world.spec("shop", "48h");
    let small = world.spec("shop", "1h");
    let repo_arg = repo.to_string_lossy().into_owned();
    world.ok(&strs(&publish_args(&spec, &repo, "7", "2026-11-21T10:00:00Z")));
    world.ok(&strs(&publish_args(&spec, &repo, "8", "2026-11-21T11:00:00Z")));
    world.ok(&strs(&publish_args(&small, &repo, "7", "2026-11-21T12:00:00Z")));
    let mut capped = publish_args(&spec, &repo, "9", "2026-11-21T13:00:00Z");
    capped.extend(["--max".to_owned(), "2".to_owned()]);
    world.ok(&strs(&capped));
    world.ok(&["unpublish", "--repo", &repo_arg, "--pr", "8"]);
    world.ok(&["gc", "--repo", &repo_arg, "--now", "2026-12-21T00:00:00Z", "--grace", "1s"]);

    let moved = state(&repo);
    assert_eq!(world.git(&repo, &["status", "--porcelain", "--untracked-files=all"]), "");
    let fresh = world.root().join("fresh");
    world.git(&world.root(), &["clone", "-q", &repo_arg, "fresh"]);
    let files = |s: &std::collections::BTreeMap<String, Vec<u8>>| -> Vec<(String, Vec<u8>)> {
        s.iter()
            .filter(|(p, _)| !p.starts_with(".git/") && p.as_str() != ".git")
            .map(|(p, c)| (p.clone(), c.clone()))
            .collect()
    };
    // `state` lists directories too, so an empty one left behind would differ.
    assert_eq!(files(&moved), files(&state(&fresh)), "the work tree is the branch's tree, byte for byte");
    assert_eq!(world.git(&repo, &["diff-index", "--cached", "HEAD"]), "", "the index is the commit's");
}
