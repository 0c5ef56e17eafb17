//! `kpreview publish` end to end: the layout, the metadata, the commit, republishing, the summary.

use std::path::Path;

use super::fixture::{World, stderr, stdout};

const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";
const SHA2: &str = "0123456789abcdef0123456789abcdef01234567";

fn publish(world: &World, spec: &Path, repo: &Path, pr: &str, sha: &str, now: &str) -> std::process::Output {
    world.ok(&[
        "publish",
        &spec.to_string_lossy(),
        "--repo",
        &repo.to_string_lossy(),
        "--pr",
        pr,
        "--sha",
        sha,
        "--branch",
        "feature/cart",
        "--now",
        now,
    ])
}

#[test]
fn publish_writes_the_render_and_its_metadata_in_one_commit() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec = world.spec("shop", "48h");
    publish(&world, &spec, &repo, "7", SHA, "2026-11-21T10:00:00Z");

    let out = world.root().join("out");
    world.ok(&[
        "render",
        &spec.to_string_lossy(),
        "--pr",
        "7",
        "--sha",
        SHA,
        "--branch",
        "feature/cart",
        "-o",
        &out.to_string_lossy(),
    ]);
    let mut expected: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    expected.sort();
    let dir = repo.join("previews/shop-pr-7/manifests");
    let mut published: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    published.sort();
    assert_eq!(published, expected, "the manifests are exactly what `kpreview render -o` writes");

    let meta = std::fs::read_to_string(repo.join("previews/shop-pr-7/preview.json")).unwrap();
    assert_eq!(
        meta,
        format!(
            r#"{{
  "app": "shop",
  "namespace": "shop-pr-7",
  "pr": "7",
  "sha": "{SHA}",
  "branch": "feature/cart",
  "created": "2026-11-21T10:00:00Z",
  "updated": "2026-11-21T10:00:00Z",
  "ttl": "48h",
  "expires": "2026-11-23T10:00:00Z",
  "kept": "",
  "sleeping": "",
  "woken": ""
}}
"#
        )
    );
    assert_eq!(world.subjects(&repo, "HEAD")[0], "Publish preview shop-pr-7: PR #7 at 4f9c2d1");
    let body = world.git(&repo, &["log", "-1", "--format=%b"]);
    for line in
        ["app: shop", "namespace: shop-pr-7", "pull request: #7", &format!("sha: {SHA}"), "branch: feature/cart"]
    {
        assert!(body.contains(line), "commit message lacks {line:?}:\n{body}");
    }
    assert_eq!(world.git(&repo, &["log", "-1", "--format=%an <%ae>"]), "kpreview <kpreview@localhost>");
    assert_eq!(world.git(&repo, &["status", "--porcelain"]), "", "the work tree and index follow the commit");
    assert_eq!(world.git(&repo, &["rev-list", "--count", "HEAD"]), "2");
    assert_eq!(world.subjects(&world.remote(), "main").len(), 1, "without --push the remote is untouched");
}

#[test]
fn the_same_content_at_the_same_time_commits_nothing_and_a_later_publish_extends_the_preview() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec = world.spec("shop", "24h");
    publish(&world, &spec, &repo, "7", SHA, "2026-11-21T10:00:00Z");
    let again = publish(&world, &spec, &repo, "7", SHA, "2026-11-21T10:00:00Z");
    assert!(stderr(&again).contains("already holds exactly this; nothing to commit"), "{}", stderr(&again));
    assert_eq!(world.git(&repo, &["rev-list", "--count", "HEAD"]), "2", "no empty commit");

    publish(&world, &spec, &repo, "7", SHA, "2026-11-22T09:30:00Z");
    assert_eq!(world.subjects(&repo, "HEAD")[0], "Update preview shop-pr-7: PR #7 at 4f9c2d1");
    let meta = world.show(&repo, "HEAD", "previews/shop-pr-7/preview.json");
    assert!(meta.contains(r#""created": "2026-11-21T10:00:00Z""#), "created is kept:\n{meta}");
    assert!(meta.contains(r#""updated": "2026-11-22T09:30:00Z""#), "{meta}");
    assert!(meta.contains(r#""expires": "2026-11-23T09:30:00Z""#), "{meta}");
    let changed = world.git(&repo, &["diff", "--name-only", "HEAD~1", "HEAD"]);
    assert_eq!(changed, "previews/shop-pr-7/preview.json", "only the metadata changed");

    publish(&world, &spec, &repo, "7", SHA2, "2026-11-22T09:30:00Z");
    let changed = world.git(&repo, &["diff", "--name-only", "HEAD~1", "HEAD"]);
    assert!(changed.lines().any(|l| l.ends_with("deployment-shop-pr-7-web.yaml")), "{changed}");
    assert_eq!(world.git(&repo, &["status", "--porcelain"]), "");
}

#[test]
fn files_that_vanish_from_the_render_vanish_from_the_repository() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec = world.spec("shop", "24h");
    publish(&world, &spec, &repo, "7", SHA, "2026-11-21T10:00:00Z");
    let text = std::fs::read_to_string(&spec).unwrap().replace("      expose: true\n", "");
    std::fs::write(&spec, text).unwrap();
    publish(&world, &spec, &repo, "7", SHA, "2026-11-21T11:00:00Z");
    let names = world.git(&repo, &["ls-files", "previews/shop-pr-7/manifests"]);
    assert!(!names.contains("-ingress-shop-pr-7-web.yaml"), "the Ingress is gone from the commit:\n{names}");
    let on_disk: Vec<String> = std::fs::read_dir(repo.join("previews/shop-pr-7/manifests"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!on_disk.iter().any(|n| n.ends_with("-ingress-shop-pr-7-web.yaml")), "and from the work tree: {on_disk:?}");
}

#[test]
fn a_configured_identity_is_used_and_none_gets_kpreviews() {
    let world = World::new();
    let repo = world.clone("ci");
    world.git(&repo, &["config", "user.name", "Preview Bot"]);
    world.git(&repo, &["config", "user.email", "bot@example.com"]);
    publish(&world, &world.spec("shop", "48h"), &repo, "7", SHA, "2026-11-21T10:00:00Z");
    assert_eq!(
        world.git(&repo, &["log", "-1", "--format=%an <%ae>|%cn <%ce>"]),
        "Preview Bot <bot@example.com>|Preview Bot <bot@example.com>"
    );
}

#[test]
fn a_bare_repository_gets_the_commit_without_a_work_tree() {
    let world = World::new();
    let bare = world.remote();
    publish(&world, &world.spec("shop", "48h"), &bare, "7", SHA, "2026-11-21T10:00:00Z");
    assert_eq!(world.subjects(&bare, "main")[0], "Publish preview shop-pr-7: PR #7 at 4f9c2d1");
    assert!(world.previews(&bare, "main").contains_key("shop-pr-7"));
}

#[test]
fn the_summary_lists_urls_seeds_and_expiry_and_goes_to_a_file_too() {
    let world = World::new();
    let repo = world.clone("ci");
    let shop = crate::support::root().join("examples/shop/preview.yaml");
    let file = world.root().join("comment.md");
    let out = world.ok(&[
        "publish",
        &shop.to_string_lossy(),
        "--repo",
        &repo.to_string_lossy(),
        "--now",
        "2026-11-21T10:00:00Z",
        "--summary",
        &file.to_string_lossy(),
    ]);
    let md = stdout(&out);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), md, "--summary holds what stdout shows");
    let (md, plan) = md.split_once("<!-- kpreview:sync-plan -->\n").expect("the sync-plan marker");
    let mermaid = crate::support::kpreview().args(["plan", "--format", "mermaid"]).arg(&shop).output().unwrap();
    assert_eq!(
        plan,
        format!(
            "\n<details><summary>Sync plan</summary>\n\n```mermaid\n{}\n```\n\n</details>\n",
            String::from_utf8_lossy(&mermaid.stdout).trim_end()
        ),
        "the summary ends with the plan's Mermaid diagram"
    );
    assert_eq!(
        format!("{md}<!-- kpreview:sync-plan -->\n"),
        "<!-- kpreview:summary shop-pr-123 -->
### Preview `shop-pr-123` of #123 at `4f9c2d1`

| Service | URL |
|---|---|
| api | <https://api-shop-pr-123.preview.example.com/> |
| web | <https://web-shop-pr-123.preview.example.com/> |

| Data store | Seeded from |
|---|---|
| mongo (MongoDB) | snapshot `snap-0a1b2c3d4e5f67890` |
| postgres (PostgreSQL) | Velero backup `nightly-anonymized` of namespace `preview-base` |
| redis (Redis) | nothing: starts empty |

**Requests:** 180m CPU, 576Mi memory, 31Gi storage, 6 pods (quota: at most requests.cpu 2200m, requests.memory 3712Mi, requests.storage 31Gi, pods 18).

**Outside the preview:** `billing` (staging), `catalog` (pull request #456, `shop-pr-456`), `payments` (<https://payments.sandbox.example.com>).

Expires **2026-11-23T10:00:00Z**, 48h after this publish; every publish extends it. To keep it longer (a demo), add the `preview-keep` label (`kpreview keep`).

If it has had no publish for a while it may be put to sleep (replicas 0, data kept); comment `/preview wake` or push to wake it.

<!-- kpreview:sync-plan -->
"
    );

    let blog = crate::support::root().join("examples/blog/preview.yaml");
    let out = world.ok(&[
        "publish",
        &blog.to_string_lossy(),
        "--repo",
        &repo.to_string_lossy(),
        "--pr",
        "9",
        "--sha",
        SHA2,
        "--now",
        "2026-11-21T10:00:00Z",
    ]);
    let md = stdout(&out);
    assert!(md.contains("| web | <http://web-blog-pr-9.preview.example.com/> |"), "no TLS, so http:\n{md}");
    assert!(
        md.contains("| db (PostgreSQL) | snapshot `snap-0c0ffee0c0ffee000` (newest tagged `app=blog, purpose=preview-seed`, pinned in preview.lock); taken "),
        "{md}"
    );
    assert!(md.contains("Expires **2026-11-22T10:00:00Z**, 24h after"), "{md}");
}

#[test]
fn a_namespace_held_by_another_pull_request_or_by_foreign_files_is_refused() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec = world.spec("shop", "48h");
    // The namespace is the policy's and holds the number, but a template can still collide for
    // some pull requests (PR 7 of branch `1x` and PR 71 of branch `x`): caught here.
    let policy = crate::support::write(
        &world.root(),
        "policy.yaml",
        "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewPolicy\nnamespace: \"shop-{{ pr.number }}{{ pr.branchSlug }}\"\n",
    );
    let policy = policy.to_string_lossy();
    let (spec_path, repo_path) = (spec.to_string_lossy(), repo.to_string_lossy());
    let publish_pr = |pr: &str, branch: &str| {
        ["publish", &spec_path, "--repo", &repo_path, "--pr", pr, "--sha", SHA, "--branch", branch, "--policy", &policy]
            .map(str::to_owned)
    };
    world.ok(&publish_pr("7", "1x").each_ref().map(String::as_str));
    let out = world.fails(2, &publish_pr("71", "x").each_ref().map(String::as_str));
    assert!(
        stderr(&out).contains("previews/shop-71x already holds the preview of app shop PR #7, not of shop PR #71"),
        "{}",
        stderr(&out)
    );

    crate::support::write(&repo, "previews/shop-pr-5/notes.txt", "mine\n");
    world.git(&repo, &["add", "previews"]);
    world.commit(&repo, "A directory kpreview did not write");
    let spec = world.spec("shop", "24h");
    let out = world
        .fails(2, &["publish", &spec.to_string_lossy(), "--repo", &repo.to_string_lossy(), "--pr", "5", "--sha", SHA]);
    assert!(
        stderr(&out).contains("previews/shop-pr-5: it holds neither preview.json nor removed.json, so kpreview did not write it; fix or remove that directory"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(repo.join("previews/shop-pr-5/notes.txt")).unwrap(), "mine\n");
}

#[test]
fn publishing_needs_the_head_commit_and_a_branch_checked_out() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec = world.spec("shop", "48h");
    let pinned = world.root().join("pinned.yaml");
    std::fs::write(&pinned, std::fs::read_to_string(&spec).unwrap().replace("{{ pr.headSha }}", "1.0")).unwrap();
    let out = world.fails(1, &["publish", &pinned.to_string_lossy(), "--repo", &repo.to_string_lossy(), "--pr", "7"]);
    assert!(stderr(&out).contains("publish records the head commit: give `--sha`"), "{}", stderr(&out));

    world.git(&repo, &["checkout", "-q", "--detach"]);
    let out = world
        .fails(2, &["publish", &spec.to_string_lossy(), "--repo", &repo.to_string_lossy(), "--pr", "7", "--sha", SHA]);
    assert!(stderr(&out).contains("has no branch checked out (detached HEAD)"), "{}", stderr(&out));

    let out = world.fails(
        2,
        &[
            "publish",
            &spec.to_string_lossy(),
            "--repo",
            &world.root().join("nowhere").to_string_lossy(),
            "--pr",
            "7",
            "--sha",
            SHA,
        ],
    );
    assert!(stderr(&out).contains("is not a git repository"), "{}", stderr(&out));
}

/// A snapshot tag is free text in the spec, and the summary is posted by a bot: the reviewer's
/// repro (a tag closing its code span, a table pipe, a link and an image) must stay inert text.
#[test]
fn hostile_tags_stay_text_in_the_summary() {
    let world = World::new();
    let repo = world.clone("ci");
    let tag = "x` | [click me](https://evil.example) <img src=x onerror=alert(1)> `";
    let spec = world.root().join("hostile/preview.yaml");
    crate::support::write(
        &world.root().join("hostile"),
        "preview.yaml",
        &format!(
            "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata:\n  name: shop\nspec:\n  dataStores:\n    db:\n      engine: postgres\n      seed: {{snapshot: {{tags: {{team: '{tag}'}}}}}}\n"
        ),
    );
    crate::support::write(
        &world.root().join("hostile"),
        "preview.lock",
        &format!(
            "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewLock\nsnapshots:\n  db:\n    tags: {{team: '{tag}'}}\n    snapshotId: snap-0123456789abcdef0\n    startTime: '2026-11-21T02:14:09Z'\n"
        ),
    );
    let out = publish(&world, &spec, &repo, "7", SHA, "2026-11-21T10:00:00Z");
    let md = stdout(&out);
    let row = md.lines().find(|l| l.starts_with("| db (PostgreSQL) |")).expect("the store's row");
    assert_eq!(
        row,
        "| db (PostgreSQL) | snapshot `snap-0123456789abcdef0` (newest tagged `` team=x` \\| [click me](https://evil.example) <img src=x onerror=alert(1)> ` ``, pinned in preview.lock); taken 2026-11-21T02:14:09Z, 7h before this publish |",
        "the tag is one code span, its pipe escaped for the table, the snapshot's age from preview.lock"
    );
}

/// Two repositories whose specs render the same namespace: neither may take the other's
/// preview, live or removed (Argo CD may still be deleting it from those manifests).
#[test]
fn a_namespace_held_by_another_app_is_refused_live_or_removed() {
    let world = World::new();
    let repo = world.clone("ci");
    // A platform policy whose namespace leaves the app out gives both the same one.
    let policy = crate::support::write(
        &world.root(),
        "policy.yaml",
        "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewPolicy\nnamespace: \"team-pr-{{ pr.number }}\"\n",
    );
    let (shop, blog) = (world.spec("shop", "48h"), world.spec("blog", "48h"));
    let args = |spec: &Path| {
        let (spec, repo, policy) = (spec.to_string_lossy(), repo.to_string_lossy(), policy.to_string_lossy());
        [
            "publish",
            &spec,
            "--repo",
            &repo,
            "--pr",
            "7",
            "--sha",
            SHA,
            "--policy",
            &policy,
            "--now",
            "2026-11-21T10:00:00Z",
        ]
        .map(str::to_owned)
    };
    world.ok(&args(&shop).each_ref().map(String::as_str));
    let out = world.fails(2, &args(&blog).each_ref().map(String::as_str));
    assert!(
        stderr(&out).contains("previews/team-pr-7 already holds the preview of app shop PR #7, not of blog PR #7"),
        "{}",
        stderr(&out)
    );
    world.ok(&["unpublish", "--repo", &repo.to_string_lossy(), "--pr", "7", "--now", "2026-11-21T11:00:00Z"]);
    let out = world.fails(2, &args(&blog).each_ref().map(String::as_str));
    assert!(
        stderr(&out)
            .contains("already holds the preview of app shop PR #7 (removed 2026-11-21T11:00:00Z, until gc purges it)"),
        "{}",
        stderr(&out)
    );
}

/// A re-run of an older CI job carries its older time: it must not bring back the old commit.
#[test]
fn a_publish_older_than_the_preview_is_refused_unless_forced() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec = world.spec("shop", "48h");
    publish(&world, &spec, &repo, "7", SHA2, "2026-11-22T09:30:00Z");
    let before = crate::gitops::fixture::state(&repo);
    let stale = |extra: &[&str]| {
        let mut args = vec![
            "publish",
            spec.to_str().unwrap(),
            "--repo",
            repo.to_str().unwrap(),
            "--pr",
            "7",
            "--sha",
            SHA,
            "--now",
            "2026-11-21T10:00:00Z",
        ];
        args.extend(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let out = world.fails(3, &stale(&[]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        stderr(&out).contains(&format!("previews/shop-pr-7 was last published at 2026-11-22T09:30:00Z (sha {SHA2}), after this publish's --now 2026-11-21T10:00:00Z")),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("pass --force to publish it anyway"), "{}", stderr(&out));
    crate::gitops::fixture::assert_same(&before, &crate::gitops::fixture::state(&repo), "a refused stale publish");

    world.ok(&stale(&["--force"]).iter().map(String::as_str).collect::<Vec<_>>());
    let meta = world.show(&repo, "HEAD", "previews/shop-pr-7/preview.json");
    assert!(
        meta.contains(&format!("\"sha\": \"{SHA}\"")) && meta.contains("\"updated\": \"2026-11-21T10:00:00Z\""),
        "{meta}"
    );

    // After the pull request closed, an old job must not bring the preview back either.
    let repo_arg = repo.to_string_lossy().into_owned();
    world.ok(&["unpublish", "--repo", &repo_arg, "--pr", "7", "--now", "2026-11-23T00:00:00Z"]);
    let out = world.fails(3, &stale(&[]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(stderr(&out).contains("previews/shop-pr-7 was removed at 2026-11-23T00:00:00Z"), "{}", stderr(&out));
}

/// A scheduled gc may evict a preview between a push and the publish job it queued, which carries
/// the push's time: that newer push brings the preview back; an older one still does not.
#[test]
fn a_push_queued_before_gc_evicted_its_preview_publishes_again() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec = world.spec("shop", "48h");
    let repo_arg = repo.to_string_lossy().into_owned();
    publish(&world, &spec, &repo, "7", SHA, "2026-11-20T10:00:00Z");
    publish(&world, &spec, &repo, "8", SHA, "2026-11-21T10:00:00Z");
    world.ok(&["gc", "--repo", &repo_arg, "--now", "2026-11-21T12:00:00Z", "--max", "1"]);
    let meta = |pr: &str| {
        let out = world.git_output(&repo, &["show", &format!("HEAD:previews/shop-pr-{pr}/preview.json")]);
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    assert!(meta("7").is_none() && meta("8").is_some(), "gc did not evict the oldest preview");

    let push = |sha: &str, now: &str| {
        ["publish", spec.to_str().unwrap(), "--repo", &repo_arg, "--pr", "7", "--sha", sha, "--now", now]
            .map(str::to_owned)
    };
    let older = push(SHA2, "2026-11-19T00:00:00Z");
    let out = world.fails(3, &older.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(stderr(&out).contains("previews/shop-pr-7 was last published at 2026-11-20T10:00:00Z"), "{}", stderr(&out));

    let queued = push(SHA2, "2026-11-21T11:00:00Z");
    world.ok(&queued.iter().map(String::as_str).collect::<Vec<_>>());
    let republished = meta("7").unwrap_or_default();
    assert!(republished.contains(&format!("\"sha\": \"{SHA2}\"")), "{republished}");
}
