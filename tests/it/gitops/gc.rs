//! `kpreview gc` end to end: expiry by each preview's TTL or `--ttl`, the FIFO cap, the dry-run
//! plan, the one commit, and purging removed previews after the grace.

use std::path::Path;

use super::fixture::{World, assert_same, state, stderr, stdout};

const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";

fn publish(world: &World, spec: &Path, repo: &Path, pr: &str, now: &str) {
    world.ok(&[
        "publish",
        &spec.to_string_lossy(),
        "--repo",
        &repo.to_string_lossy(),
        "--pr",
        pr,
        "--sha",
        SHA,
        "--now",
        now,
    ]);
}

/// Five previews: PR 1 (24h, published long ago), PR 2 and 3 (48h, created at the same instant,
/// PR 3 republished later), PR 4 and 5 (48h, recent).
fn five(world: &World) -> std::path::PathBuf {
    let repo = world.clone("ci");
    let short = world.spec("shop", "24h");
    let long = world.spec("shop", "48h");
    publish(world, &short, &repo, "1", "2026-11-18T00:00:00Z");
    publish(world, &long, &repo, "2", "2026-11-20T00:00:00Z");
    publish(world, &long, &repo, "3", "2026-11-20T00:00:00Z");
    publish(world, &long, &repo, "3", "2026-11-20T12:00:00Z");
    publish(world, &long, &repo, "4", "2026-11-20T06:00:00Z");
    publish(world, &long, &repo, "5", "2026-11-21T00:00:00Z");
    repo
}

const PLAN: &str = r#"{
  "now": "2026-11-21T12:00:00Z",
  "ttl": null,
  "max": 3,
  "grace": "24h",
  "previews": 5,
  "kept": 3,
  "remove": [
    {
      "namespace": "shop-pr-1",
      "app": "shop",
      "pr": 1,
      "reason": "expired",
      "detail": "expired at 2026-11-19T00:00:00Z (latest publish 2026-11-18T00:00:00Z + ttl 24h)",
      "created": "2026-11-18T00:00:00Z",
      "updated": "2026-11-18T00:00:00Z",
      "ttl": "24h",
      "expires": "2026-11-19T00:00:00Z"
    },
    {
      "namespace": "shop-pr-2",
      "app": "shop",
      "pr": 2,
      "reason": "over-max",
      "detail": "oldest unkept beyond --max 3 (created 2026-11-20T00:00:00Z)",
      "created": "2026-11-20T00:00:00Z",
      "updated": "2026-11-20T00:00:00Z",
      "ttl": "48h",
      "expires": "2026-11-22T00:00:00Z"
    }
  ],
  "purge": [],
  "skipped": [],
  "sleepAfter": null,
  "keep": [],
  "sleep": [],
  "overMaxKept": 0
}
"#;

#[test]
fn dry_run_prints_a_stable_plan_and_changes_nothing() {
    let world = World::new();
    let repo = five(&world);
    let before = state(&repo);
    let args = ["gc", "--repo", &repo.to_string_lossy(), "--now", "2026-11-21T12:00:00Z", "--max", "3", "--dry-run"];
    let first = stdout(&world.ok(&args));
    assert_eq!(
        first, PLAN,
        "expired first, then FIFO by creation: PR 2 and 3 were created at the same instant, and the one published least recently goes"
    );
    assert_eq!(stdout(&world.ok(&args)), first, "the same repository gives the same plan");
    assert_same(&before, &state(&repo), "gc --dry-run");
}

#[test]
fn gc_removes_what_the_plan_says_in_one_commit_that_says_why() {
    let world = World::new();
    let repo = five(&world);
    let commits = world.subjects(&repo, "HEAD").len();
    let out = world.ok(&["gc", "--repo", &repo.to_string_lossy(), "--now", "2026-11-21T12:00:00Z", "--max", "3"]);
    assert_eq!(stdout(&out), PLAN, "gc prints the plan it carried out");
    assert_eq!(world.subjects(&repo, "HEAD").len(), commits + 1, "one commit");
    assert_eq!(world.subjects(&repo, "HEAD")[0], "Expire 1 preview, evict 1 preview over --max");
    let body = world.git(&repo, &["log", "-1", "--format=%b"]);
    assert!(body.contains("shop-pr-1 (app shop, PR #1): expired at 2026-11-19T00:00:00Z (latest publish 2026-11-18T00:00:00Z + ttl 24h)"), "{body}");
    assert!(
        body.contains("shop-pr-2 (app shop, PR #2): oldest unkept beyond --max 3 (created 2026-11-20T00:00:00Z)"),
        "{body}"
    );
    let previews = world.previews(&repo, "HEAD");
    let files = |n: &str| previews[n].join(",");
    for gone in ["shop-pr-1", "shop-pr-2"] {
        assert_eq!(files(gone), "manifests,removed.json", "{gone}");
        assert!(!repo.join(format!("previews/{gone}/preview.json")).exists(), "the work tree follows");
    }
    for kept in ["shop-pr-3", "shop-pr-4", "shop-pr-5"] {
        assert_eq!(files(kept), "manifests,preview.json", "{kept}");
    }
    let tombstone = world.show(&repo, "HEAD", "previews/shop-pr-2/removed.json");
    assert!(
        tombstone.ends_with("\"removed\": \"2026-11-21T12:00:00Z\",\n  \"reason\": \"over-max\"\n}"),
        "{tombstone}"
    );
    assert_eq!(world.git(&repo, &["status", "--porcelain"]), "");

    let again = world.ok(&["gc", "--repo", &repo.to_string_lossy(), "--now", "2026-11-21T12:00:00Z", "--max", "3"]);
    assert!(stderr(&again).contains("nothing to remove among 3 previews"), "{}", stderr(&again));
    assert_eq!(world.subjects(&repo, "HEAD").len(), commits + 1, "no empty commit");

    let purge = world.ok(&["gc", "--repo", &repo.to_string_lossy(), "--now", "2026-11-21T13:00:00Z", "--grace", "1h"]);
    assert!(stdout(&purge).contains(r#""reason": "over-max""#), "{}", stdout(&purge));
    assert_eq!(world.subjects(&repo, "HEAD")[0], "Purge 2 removed previews");
    assert_eq!(world.previews(&repo, "HEAD").keys().collect::<Vec<_>>(), ["shop-pr-3", "shop-pr-4", "shop-pr-5"]);
    assert!(!repo.join("previews/shop-pr-1").exists(), "purged from the work tree");
}

#[test]
fn a_ttl_for_all_overrides_each_previews_own_and_a_republish_restarts_the_clock() {
    let world = World::new();
    let repo = five(&world);
    let args = ["gc", "--repo", &repo.to_string_lossy(), "--now", "2026-11-21T12:00:00Z", "--ttl", "12h", "--dry-run"];
    let plan: serde_json::Value = serde_json::from_str(&stdout(&world.ok(&args))).unwrap();
    let gone: Vec<&str> = plan["remove"].as_array().unwrap().iter().map(|r| r["namespace"].as_str().unwrap()).collect();
    assert_eq!(gone, ["shop-pr-1", "shop-pr-2", "shop-pr-4", "shop-pr-3", "shop-pr-5"], "soonest expired first");
    assert_eq!(plan["ttl"], "12h");
    assert_eq!(plan["remove"][3]["expires"], "2026-11-21T00:00:00Z", "PR 3 counts from its latest publish");
    assert_eq!(plan["remove"][4]["expires"], "2026-11-21T12:00:00Z", "a preview expires at that instant, not after");
}

#[test]
fn directories_kpreview_did_not_write_are_left_alone_with_a_warning() {
    let world = World::new();
    let repo = five(&world);
    crate::support::write(&repo, "previews/handmade/notes.txt", "mine\n");
    world.git(&repo, &["add", "previews"]);
    world.commit(&repo, "A hand-made directory");
    // `--max 0` would take down everything: refused as publish refuses it, with the way to do that.
    let zero =
        world.fails(2, &["gc", "--repo", &repo.to_string_lossy(), "--now", "2030-01-01T00:00:00Z", "--max", "0"]);
    assert!(stderr(&zero).contains("--max is how many to hold, at least 1"), "{}", stderr(&zero));
    let out = world.ok(&["gc", "--repo", &repo.to_string_lossy(), "--now", "2030-01-01T00:00:00Z", "--max", "1"]);
    assert!(
        stderr(&out).contains("warning: left previews/handmade alone: it holds neither preview.json nor removed.json"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains(r#""path": "previews/handmade""#), "{}", stdout(&out));
    assert!(repo.join("previews/handmade/notes.txt").exists());
}

#[test]
fn gc_with_push_plans_against_the_remote() {
    let world = World::new();
    let publisher = world.clone("publisher");
    let spec = world.spec("shop", "24h");
    for pr in ["1", "2"] {
        world.ok(&[
            "publish",
            &spec.to_string_lossy(),
            "--repo",
            &publisher.to_string_lossy(),
            "--pr",
            pr,
            "--sha",
            SHA,
            "--now",
            "2026-11-20T00:00:00Z",
            "--push",
        ]);
    }
    let stale = world.clone("cron");
    // Published after the cron job's clone was made: gc must see it on the remote and keep it.
    world.ok(&[
        "publish",
        &spec.to_string_lossy(),
        "--repo",
        &publisher.to_string_lossy(),
        "--pr",
        "1",
        "--sha",
        SHA,
        "--now",
        "2026-11-21T06:00:00Z",
        "--push",
    ]);
    let cron = stale.to_string_lossy().into_owned();
    let refs = |repo: &std::path::Path| world.git(repo, &["for-each-ref", "--format=%(refname) %(objectname)"]);
    let before = (refs(&stale), state(&stale));
    let dry = stdout(&world.ok(&["gc", "--repo", &cron, "--now", "2026-11-21T12:00:00Z", "--push", "--dry-run"]));
    assert!(dry.contains(r#""namespace": "shop-pr-2""#) && !dry.contains(r#""namespace": "shop-pr-1""#), "{dry}");
    // Read-only, as its help says: no ref moved (not even refs/remotes/origin/main), no file changed.
    assert_eq!(refs(&stale), before.0, "gc --dry-run --push moved a ref");
    assert_same(&before.1, &state(&stale), "gc --dry-run --push");
    world.ok(&["gc", "--repo", &cron, "--now", "2026-11-21T12:00:00Z", "--push"]);
    let remote = world.previews(&world.remote(), "main");
    assert_eq!(remote["shop-pr-1"].join(","), "manifests,preview.json");
    assert_eq!(remote["shop-pr-2"].join(","), "manifests,removed.json");
    assert_eq!(world.git(&stale, &["rev-parse", "HEAD"]), world.git(&world.remote(), &["rev-parse", "main"]));
}
