//! `kpreview unpublish`: the PR-closed path, for a live preview, an absent one, and one app of many.

use super::fixture::{World, assert_same, state, stderr};

const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";

#[test]
fn unpublish_retires_a_live_preview_in_one_commit_and_then_has_nothing_to_do() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec = world.spec("shop", "48h");
    for pr in ["7", "8"] {
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
            "2026-11-20T10:00:00Z",
            "--push",
        ]);
    }
    let repo_arg = repo.to_string_lossy().into_owned();
    let out = world.ok(&["unpublish", "--repo", &repo_arg, "--pr", "7", "--now", "2026-11-21T10:00:00Z", "--push"]);
    assert!(stderr(&out).contains("removed shop-pr-7: "), "{}", stderr(&out));
    assert_eq!(world.subjects(&world.remote(), "main")[0], "Unpublish PR #7: shop-pr-7");
    let remote = world.previews(&world.remote(), "main");
    assert_eq!(remote["shop-pr-7"].join(","), "manifests,removed.json", "the ApplicationSet no longer sees it");
    assert_eq!(remote["shop-pr-8"].join(","), "manifests,preview.json");
    let tombstone = world.show(&world.remote(), "main", "previews/shop-pr-7/removed.json");
    assert!(tombstone.contains("\"removed\": \"2026-11-21T10:00:00Z\",\n  \"reason\": \"unpublished\""), "{tombstone}");
    assert_eq!(world.git(&repo, &["status", "--porcelain"]), "");

    let before = state(&repo);
    let commits = world.subjects(&world.remote(), "main").len();
    for pr in ["7", "99"] {
        let out = world.ok(&["unpublish", "--repo", &repo_arg, "--pr", pr, "--push"]);
        assert!(stderr(&out).contains("; nothing to do"), "{}", stderr(&out));
    }
    let out = world.ok(&["unpublish", "--repo", &repo_arg, "--pr", "7"]);
    assert!(stderr(&out).contains("(already removed: shop-pr-7 (removed 2026-11-21T10:00:00Z))"), "{}", stderr(&out));
    assert_same(&before, &state(&repo), "an unpublish with nothing to do");
    assert_eq!(world.subjects(&world.remote(), "main").len(), commits, "no empty commit");
}

#[test]
fn app_narrows_unpublish_when_apps_share_a_repository() {
    let world = World::new();
    let repo = world.clone("ci");
    for app in ["shop", "blog"] {
        let spec = world.spec(app, "48h");
        world.ok(&["publish", &spec.to_string_lossy(), "--repo", &repo.to_string_lossy(), "--pr", "7", "--sha", SHA]);
    }
    let repo_arg = repo.to_string_lossy().into_owned();
    // Two repositories' pull requests #7: without --app, which one closed is unknown.
    let before = state(&repo);
    let out = world.fails(2, &["unpublish", "--repo", &repo_arg, "--pr", "7"]);
    assert!(
        stderr(&out).contains("PR #7 has previews of several apps: blog (blog-pr-7), shop (shop-pr-7);")
            && stderr(&out).contains("with --app"),
        "{}",
        stderr(&out)
    );
    assert_same(&before, &state(&repo), "an unpublish that needs --app");

    world.ok(&["unpublish", "--repo", &repo_arg, "--pr", "7", "--app", "blog"]);
    let previews = world.previews(&repo, "HEAD");
    assert_eq!(previews["blog-pr-7"].join(","), "manifests,removed.json");
    assert_eq!(previews["shop-pr-7"].join(","), "manifests,preview.json");

    // A wrong --app (a PREVIEW_APP that is not the spec's name) is a warning naming the others.
    let out = world.ok(&["unpublish", "--repo", &repo_arg, "--pr", "7", "--app", "nope"]);
    assert!(stderr(&out).contains("no preview of PR #7 of app nope"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: PR #7 has previews of other apps: shop (shop-pr-7); if one of them"),
        "{}",
        stderr(&out)
    );

    world.ok(&["unpublish", "--repo", &repo_arg, "--pr", "7"]);
    assert_eq!(world.previews(&repo, "HEAD")["shop-pr-7"].join(","), "manifests,removed.json");
    assert_eq!(world.subjects(&repo, "HEAD")[0], "Unpublish PR #7: shop-pr-7");
}

#[test]
fn a_removed_preview_can_be_published_again_as_a_new_one() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec = world.spec("shop", "48h");
    let repo_arg = repo.to_string_lossy().into_owned();
    let publish = |now: &str| {
        world.ok(&["publish", &spec.to_string_lossy(), "--repo", &repo_arg, "--pr", "7", "--sha", SHA, "--now", now]);
    };
    publish("2026-11-20T00:00:00Z");
    world.ok(&["unpublish", "--repo", &repo_arg, "--pr", "7", "--now", "2026-11-20T12:00:00Z"]);
    publish("2026-11-21T00:00:00Z");
    assert_eq!(
        world.subjects(&repo, "HEAD")[0],
        "Publish preview shop-pr-7: PR #7 at 4f9c2d1",
        "the pull request was reopened"
    );
    assert_eq!(world.previews(&repo, "HEAD")["shop-pr-7"].join(","), "manifests,preview.json");
    let meta = world.show(&repo, "HEAD", "previews/shop-pr-7/preview.json");
    assert!(meta.contains(r#""created": "2026-11-21T00:00:00Z""#), "a new life:\n{meta}");
}

/// Re-running an old `unlabeled` job replays its old time: the preview published since (the label
/// came back) stays, and the job fails with exit code 3 so the pipeline can tell it from an error.
#[test]
fn an_unpublish_older_than_the_preview_is_refused_unless_forced() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec = world.spec("shop", "48h");
    let repo_arg = repo.to_string_lossy().into_owned();
    let spec_arg = spec.to_string_lossy().into_owned();
    world.ok(&["publish", &spec_arg, "--repo", &repo_arg, "--pr", "7", "--sha", SHA, "--now", "2026-11-21T10:00:00Z"]);
    let before = state(&repo);
    let out = world.fails(3, &["unpublish", "--repo", &repo_arg, "--pr", "7", "--now", "2026-11-21T09:59:59Z"]);
    assert!(
        stderr(&out).contains(
            "previews/shop-pr-7 was last published at 2026-11-21T10:00:00Z (sha 4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d), after this unpublish's --now 2026-11-21T09:59:59Z"
        ),
        "{}",
        stderr(&out)
    );
    assert_same(&before, &state(&repo), "a refused stale unpublish");
    // The same second is not older: an unpublish at the time of the publish goes ahead.
    world.ok(&["unpublish", "--repo", &repo_arg, "--pr", "7", "--now", "2026-11-21T10:00:00Z"]);
    world.ok(&["publish", &spec_arg, "--repo", &repo_arg, "--pr", "7", "--sha", SHA, "--now", "2026-11-21T10:00:01Z"]);
    world.ok(&["unpublish", "--repo", &repo_arg, "--pr", "7", "--now", "2026-11-21T09:00:00Z", "--force"]);
    assert_eq!(world.previews(&repo, "HEAD")["shop-pr-7"].join(","), "manifests,removed.json");
}
