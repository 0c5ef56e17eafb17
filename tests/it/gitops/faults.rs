//! Faults short of a crash: a second command on the same clone, a remote that refuses for a
//! reason of its own, a GitOps tree with entries kpreview cannot read.

use std::io::Read as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::fixture::{World, assert_same, state, stderr, stdout};
use crate::support::describe;

const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";

fn publish(world: &World, repo: &std::path::Path, pr: &str) -> Vec<String> {
    let spec = world.spec("shop", "48h");
    ["publish", &spec.to_string_lossy(), "--repo", &repo.to_string_lossy(), "--pr", pr, "--sha", SHA]
        .map(str::to_owned)
        .to_vec()
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn a_second_command_on_the_same_clone_waits_for_the_first() {
    let world = World::new();
    let clone = world.clone("ci");
    // What another kpreview command holds while it works.
    let held = std::fs::File::open(clone.join(".git")).unwrap();
    held.lock().unwrap();
    let mut child = world
        .kpreview()
        .args(strs(&publish(&world, &clone, "1")))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    let started = Instant::now();
    while !String::from_utf8_lossy(&seen).contains("waiting for another kpreview command") {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress: {}", String::from_utf8_lossy(&seen));
        assert_eq!(pipe.read(&mut byte).unwrap(), 1, "stderr ended: {}", String::from_utf8_lossy(&seen));
        seen.push(byte[0]);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "it went on while the clone was locked");
    assert!(world.previews(&clone, "main").is_empty());
    held.unlock().unwrap();
    pipe.read_to_end(&mut seen).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{}", String::from_utf8_lossy(&seen));
    assert_eq!(world.previews(&clone, "main").keys().collect::<Vec<_>>(), ["shop-pr-1"]);
    assert_eq!(world.git(&clone, &["status", "--porcelain"]), "");
}

#[test]
fn a_clone_locked_past_the_timeout_is_an_error_that_changes_nothing() {
    let world = World::new();
    let clone = world.clone("ci");
    let held = std::fs::File::open(clone.join(".git")).unwrap();
    held.lock().unwrap();
    let before = state(&clone);
    let mut args = publish(&world, &clone, "1");
    args.extend(["--timeout".into(), "1s".into()]);
    let out = world.fails(2, &strs(&args));
    assert!(
        stderr(&out).contains("another kpreview command kept") && stderr(&out).contains("raise --timeout"),
        "{}",
        describe(&out)
    );
    assert_same(&before, &state(&clone), "a command that found the clone locked");
}

#[test]
fn a_remote_that_refuses_the_pack_says_why() {
    let world = World::new();
    let clone = world.clone("ci");
    world.git(&world.remote(), &["config", "receive.maxInputSize", "100"]);
    let mut args = publish(&world, &clone, "1");
    args.push("--push".into());
    let out = world.fails(2, &strs(&args));
    let err = stderr(&out);
    assert!(
        err.contains("origin refused the push to main: [remote rejected] (unpacker error)")
            && err.contains("pack exceeds maximum allowed size")
            && err.contains("remote unpack failed"),
        "{err}"
    );
}

#[test]
fn unpublish_refuses_when_the_pull_requests_preview_may_be_the_unreadable_one() {
    let world = World::new();
    let clone = world.clone("ci");
    world.ok(&strs(&publish(&world, &clone, "7")));
    world.ok(&strs(&publish(&world, &clone, "8")));
    std::fs::write(clone.join("previews/shop-pr-7/preview.json"), "{ not json").unwrap();
    world.git(&clone, &["add", "-A"]);
    world.commit(&clone, "break it");
    let before = state(&clone);
    let out = world.fails(2, &["unpublish", "--repo", &clone.to_string_lossy(), "--pr", "7"]);
    let err = stderr(&out);
    assert!(
        err.contains("cannot tell whether PR #7's preview is among directories kpreview cannot read: previews/shop-pr-7: preview.json: not kpreview metadata")
            && err.contains("nothing was changed"),
        "{err}"
    );
    assert_same(&before, &state(&clone), "an unpublish that refused");
    // Another pull request's unpublish goes on, with a warning naming the damaged directory.
    let out = world.ok(&["unpublish", "--repo", &clone.to_string_lossy(), "--pr", "8"]);
    assert!(stderr(&out).contains("warning: left previews/shop-pr-7 alone: preview.json"), "{}", describe(&out));
    assert_eq!(world.previews(&clone, "main")["shop-pr-8"], ["manifests", "removed.json"]);
}

#[test]
fn gc_names_every_entry_it_cannot_read_and_collects_the_rest() {
    let world = World::new();
    let clone = world.clone("ci");
    let mut args = publish(&world, &clone, "1");
    args.extend(["--now".into(), "2026-01-01T00:00:00Z".into()]);
    world.ok(&strs(&args));
    std::fs::write(clone.join("previews/stray.txt"), "not a preview\n").unwrap();
    std::fs::create_dir_all(clone.join("previews/broken")).unwrap();
    std::fs::write(clone.join("previews/broken/removed.json"), "[]").unwrap();
    world.git(&clone, &["add", "previews"]);
    world.commit(&clone, "odd entries");
    let out = world.ok(&["gc", "--repo", &clone.to_string_lossy(), "--now", "2026-11-21T10:00:00Z"]);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let skipped: Vec<(&str, &str)> = plan["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0].0, "previews/broken");
    assert!(skipped[0].1.starts_with("removed.json: not a kpreview tombstone"), "{skipped:?}");
    assert_eq!(skipped[1], ("previews/stray.txt", "it is a file, not a directory"));
    for (path, _) in &skipped {
        assert!(stderr(&out).contains(&format!("warning: left {path} alone")), "{}", stderr(&out));
    }
    assert_eq!(plan["remove"][0]["namespace"], "shop-pr-1");
}
