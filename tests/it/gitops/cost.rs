//! Cost control in git through the binary, with real git: the cap at publish time under racing
//! publishers, keep against the TTL and the cap, sleep and wake as Argo CD would apply them, and
//! no resurrection by a re-run after gc.

use std::path::Path;
use std::process::Stdio;

use serde_json::Value;

use super::fixture::{World, stderr};
use crate::support::{describe, write};

const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";
const T0: &str = "2026-11-20T10:00:00Z";

fn at(minutes: i64) -> String {
    let t: jiff::Timestamp = T0.parse().unwrap();
    t.checked_add(jiff::SignedDuration::from_mins(minutes)).unwrap().to_string()
}

fn publish(world: &World, spec: &Path, repo: &Path, pr: &str, now: &str, extra: &[&str]) -> std::process::Output {
    let args =
        ["publish", &spec.to_string_lossy(), "--repo", &repo.to_string_lossy(), "--pr", pr, "--sha", SHA, "--now", now];
    world.ok(&[&args[..], extra].concat())
}

/// The names under `previews/` of `rev` that hold a `preview.json` (live previews).
fn live(world: &World, dir: &Path, rev: &str) -> Vec<String> {
    world
        .previews(dir, rev)
        .into_iter()
        .filter(|(_, files)| files.iter().any(|f| f == "preview.json"))
        .map(|(n, _)| n)
        .collect()
}

fn meta(world: &World, dir: &Path, rev: &str, ns: &str) -> Value {
    serde_json::from_str(&world.show(dir, rev, &format!("previews/{ns}/preview.json"))).unwrap()
}

/// What Argo CD applies from `previews/<ns>/<sub>` of `rev`: every file's object, by file name.
fn objects(world: &World, dir: &Path, rev: &str, path: &str) -> Vec<(String, Value)> {
    let names = world.git(dir, &["ls-tree", "--name-only", &format!("{rev}:{path}")]);
    names
        .lines()
        .map(|name| {
            let text = world.show(dir, rev, &format!("{path}/{name}"));
            let mut docs = kpreview::yaml::values_from_stream(&text).unwrap();
            assert_eq!(docs.len(), 1, "{name}");
            (name.to_owned(), docs.remove(0))
        })
        .collect()
}

fn is_sync_hook(object: &Value) -> bool {
    object
        .pointer("/metadata/annotations/argocd.argoproj.io~1hook")
        .and_then(Value::as_str)
        .is_some_and(|h| h != "PostDelete")
}

fn kind(object: &Value) -> &str {
    object["kind"].as_str().unwrap_or_default()
}

#[test]
fn four_publishers_racing_over_a_cap_of_three_leave_three_and_lose_no_commit() {
    let world = World::new();
    let spec = world.spec("shop", "48h");
    let clones: Vec<_> = (1..=4).map(|i| world.clone(&format!("c{i}"))).collect();
    let children: Vec<_> = clones
        .iter()
        .enumerate()
        .map(|(i, clone)| {
            let pr = (i + 1).to_string();
            world
                .kpreview()
                .args(["publish", &spec.to_string_lossy(), "--repo", &clone.to_string_lossy(), "--pr", &pr])
                .args(["--sha", SHA, "--now", &at(i64::try_from(i).unwrap()), "--max", "3", "--push"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
    }
    let remote = world.remote();
    assert_eq!(live(&world, &remote, "main").len(), 3, "{:?}", world.previews(&remote, "main"));
    let published = world.subjects(&remote, "main").iter().filter(|s| s.starts_with("Publish preview")).count();
    assert_eq!(published, 4, "every publish landed: {:?}", world.subjects(&remote, "main"));
    let gone: Vec<String> = world
        .previews(&remote, "main")
        .into_iter()
        .filter(|(_, f)| f.iter().any(|f| f == "removed.json"))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(gone.len(), 1);
    let tombstone: Value =
        serde_json::from_str(&world.show(&remote, "main", &format!("previews/{}/removed.json", gone[0]))).unwrap();
    assert_eq!(tombstone["reason"], "over-max");
    let evicting = world.subjects(&remote, "main").into_iter().find(|s| s.contains("over --max")).unwrap();
    assert!(evicting.contains(&format!("evict {} over --max", gone[0])), "{evicting}");
}

#[test]
fn a_kept_preview_outlives_its_ttl_and_the_cap_until_the_keep_ends() {
    let world = World::new();
    let spec = world.spec("shop", "48h");
    let repo = world.clone("ops");
    for (pr, minute) in [("1", 0), ("2", 1), ("3", 2)] {
        publish(&world, &spec, &repo, pr, &at(minute), &[]);
    }
    world.ok(&["keep", "--repo", &repo.to_string_lossy(), "--pr", "1", "--now", &at(2)]);
    assert_eq!(meta(&world, &repo, "HEAD", "shop-pr-1")["kept"], "indefinitely");
    assert_eq!(world.subjects(&repo, "HEAD")[0], "Keep PR #1: shop-pr-1");

    let out = publish(&world, &spec, &repo, "4", &at(3), &["--max", "2"]);
    assert_eq!(live(&world, &repo, "HEAD"), ["shop-pr-1", "shop-pr-4"], "the oldest unkept went");
    assert_eq!(
        world.subjects(&repo, "HEAD")[0],
        "Publish preview shop-pr-4: PR #4 at 4f9c2d1; evict shop-pr-2, shop-pr-3 over --max"
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("took down the oldest: shop-pr-2 (#2), shop-pr-3 (#3)"), "{summary}");
    assert!(stderr(&out).contains("took down previews/shop-pr-2"), "{}", stderr(&out));

    // A publish keeps the keep.
    publish(&world, &spec, &repo, "1", &at(4), &[]);
    assert_eq!(meta(&world, &repo, "HEAD", "shop-pr-1")["kept"], "indefinitely");

    let dry = |now: &str, max: &str| -> Value {
        let out = world.ok(&["gc", "--repo", &repo.to_string_lossy(), "--now", now, "--max", max, "--dry-run"]);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let plan = dry(&at(60 * 100), "1");
    assert_eq!(plan["keep"][0]["namespace"], "shop-pr-1");
    assert_eq!(plan["keep"][0]["until"], "indefinitely");
    let removed: Vec<&str> =
        plan["remove"].as_array().unwrap().iter().map(|r| r["namespace"].as_str().unwrap()).collect();
    assert_eq!(removed, ["shop-pr-4"], "past its TTL, only the unkept goes");
    // Beyond the cap with only kept previews left: the cap cannot hold, and says so.
    world.ok(&["keep", "--repo", &repo.to_string_lossy(), "--pr", "4", "--now", &at(5)]);
    let plan = dry(&at(5), "1");
    assert_eq!(plan["overMaxKept"], 1, "{plan}");
    assert!(plan["remove"].as_array().unwrap().is_empty(), "{plan}");
    world.ok(&["keep", "--repo", &repo.to_string_lossy(), "--pr", "4", "--off"]);

    let until = at(60 * 72);
    world.ok(&["keep", "--repo", &repo.to_string_lossy(), "--pr", "1", "--until", &until, "--now", &at(5)]);
    assert_eq!(meta(&world, &repo, "HEAD", "shop-pr-1")["kept"], until.as_str());
    let plan = dry(&at(60 * 71), "5");
    assert_eq!(plan["remove"].as_array().unwrap().len(), 1, "kept until 72h: {plan}");
    let plan = dry(&at(60 * 73), "5");
    assert_eq!(plan["remove"].as_array().unwrap().len(), 2, "the keep ended: {plan}");

    world.ok(&["keep", "--repo", &repo.to_string_lossy(), "--pr", "1", "--off"]);
    assert_eq!(meta(&world, &repo, "HEAD", "shop-pr-1")["kept"], "");
    let out = world.fails(1, &["keep", "--repo", &repo.to_string_lossy(), "--pr", "1", "--until", T0]);
    assert!(stderr(&out).contains("is not after --now"), "{}", stderr(&out));
    let out = world.fails(1, &["keep", "--repo", &repo.to_string_lossy(), "--pr", "2"]);
    assert!(
        stderr(&out).contains("no live preview of PR #2") && stderr(&out).contains("(over-max)"),
        "{}",
        stderr(&out)
    );
}

/// A spec with a migration (a Sync hook) and a Postgres store (a StatefulSet).
fn migrating_spec(world: &World) -> std::path::PathBuf {
    let text = "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata:\n  name: shop\nspec:\n  domain: preview.example.com\n  ttl: 48h\n  services:\n    web:\n      image: registry.example.com/shop/web:1\n      port: 8080\n      replicas: 2\n      expose: true\n      migrate: [python, manage.py, migrate]\n      dependsOn: [db]\n  dataStores:\n    db: {engine: postgres}\n";
    write(&world.root().join("specs/migrating"), "preview.yaml", text)
}

#[test]
fn sleep_then_wake_then_publish_changes_only_replicas_in_what_argo_cd_applies() {
    let world = World::new();
    let spec = migrating_spec(&world);
    let repo = world.clone("ops");
    let r = repo.to_string_lossy().to_string();
    publish(&world, &spec, &repo, "1", &at(0), &[]);
    publish(&world, &spec, &repo, "2", &at(0), &[]);
    world.ok(&["keep", "--repo", &r, "--pr", "2"]);
    let awake = objects(&world, &repo, "HEAD", "previews/shop-pr-1/manifests");
    assert!(awake.iter().any(|(_, o)| kind(o) == "Job" && is_sync_hook(o)), "the spec has a migration hook");

    let plan: Value = serde_json::from_slice(
        &world.ok(&["gc", "--repo", &r, "--sleep-after", "8h", "--now", &at(60 * 9), "--dry-run"]).stdout,
    )
    .unwrap();
    let sleepers: Vec<&str> =
        plan["sleep"].as_array().unwrap().iter().map(|s| s["namespace"].as_str().unwrap()).collect();
    assert_eq!(sleepers, ["shop-pr-1"], "the kept one stays awake: {plan}");
    world.ok(&["gc", "--repo", &r, "--sleep-after", "8h", "--now", &at(60 * 9)]);
    assert_eq!(world.subjects(&repo, "HEAD")[0], "Put 1 preview to sleep");
    assert_eq!(meta(&world, &repo, "HEAD", "shop-pr-1")["sleeping"], at(60 * 9).as_str());
    assert_eq!(
        world.git(&repo, &["rev-parse", "HEAD~1:previews/shop-pr-1/manifests"]),
        world.git(&repo, &["rev-parse", "HEAD:previews/shop-pr-1/awake"]),
        "the awake manifests are kept as they were"
    );
    assert_eq!(
        world.git(&repo, &["rev-parse", "HEAD~1:previews/shop-pr-2"]),
        world.git(&repo, &["rev-parse", "HEAD:previews/shop-pr-2"]),
        "nothing else changed"
    );
    let asleep = objects(&world, &repo, "HEAD", "previews/shop-pr-1/manifests");
    let applied = |objects: &[(String, Value)]| -> Vec<(String, Value)> {
        objects.iter().filter(|(_, o)| !is_sync_hook(o)).cloned().collect()
    };
    let mut expected = applied(&awake);
    let mut scaled = 0;
    for (_, o) in &mut expected {
        if matches!(kind(o), "Deployment" | "StatefulSet") {
            o["spec"]["replicas"] = Value::from(0);
            scaled += 1;
        }
    }
    assert_eq!(scaled, 2, "web and db");
    assert_eq!(asleep, expected, "replicas 0, nothing else changed, no hook to run on the sleep sync");
    assert!(
        asleep
            .iter()
            .any(|(_, o)| kind(o) == "PersistentVolumeClaim" || o.pointer("/spec/volumeClaimTemplates").is_some())
    );

    // A second gc changes nothing.
    world.ok(&["gc", "--repo", &r, "--sleep-after", "8h", "--now", &at(60 * 10)]);
    assert_eq!(world.subjects(&repo, "HEAD")[0], "Put 1 preview to sleep");

    let out = world.ok(&["wake", "--repo", &r, "--pr", "1", "--now", &at(60 * 10)]);
    assert!(stderr(&out).contains("woke shop-pr-1"), "{}", stderr(&out));
    assert_eq!(world.subjects(&repo, "HEAD")[0], "Wake PR #1: shop-pr-1");
    assert_eq!(meta(&world, &repo, "HEAD", "shop-pr-1")["sleeping"], "");
    assert_eq!(world.previews(&repo, "HEAD")["shop-pr-1"], ["manifests", "preview.json"]);
    let woken = objects(&world, &repo, "HEAD", "previews/shop-pr-1/manifests");
    assert_eq!(woken, applied(&awake), "exactly the awake objects, without the migration to re-run");
    let out = world.ok(&["wake", "--repo", &r, "--pr", "1"]);
    assert!(stderr(&out).contains("is awake; nothing to commit"), "{}", stderr(&out));

    // Idle time counts from the wake: not asleep 2h later, asleep again 10h later.
    world.ok(&["gc", "--repo", &r, "--sleep-after", "8h", "--now", &at(60 * 12)]);
    assert_eq!(world.subjects(&repo, "HEAD")[0], "Wake PR #1: shop-pr-1");
    world.ok(&["gc", "--repo", &r, "--sleep-after", "8h", "--now", &at(60 * 20)]);
    assert_eq!(meta(&world, &repo, "HEAD", "shop-pr-1")["sleeping"], at(60 * 20).as_str());
    // Then a publish wakes it with a fresh render (hooks included).
    let out = publish(&world, &spec, &repo, "1", &at(60 * 21), &[]);
    assert!(stderr(&out).contains("woke previews/shop-pr-1"), "{}", stderr(&out));
    assert_eq!(meta(&world, &repo, "HEAD", "shop-pr-1")["sleeping"], "");
    assert_eq!(objects(&world, &repo, "HEAD", "previews/shop-pr-1/manifests"), awake);
    assert_eq!(world.previews(&repo, "HEAD")["shop-pr-1"], ["manifests", "preview.json"]);
}

#[test]
fn a_rerun_after_gc_does_not_bring_the_preview_back() {
    let world = World::new();
    let spec = world.spec("shop", "1h");
    let repo = world.clone("ops");
    let r = repo.to_string_lossy().to_string();
    publish(&world, &spec, &repo, "1", &at(0), &[]);
    world.ok(&["gc", "--repo", &r, "--now", &at(120)]);
    assert!(live(&world, &repo, "HEAD").is_empty());
    let args = |now: &str| {
        ["publish", &spec.to_string_lossy(), "--repo", &r, "--pr", "1", "--sha", SHA, "--now", now].map(str::to_owned)
    };
    for now in [at(0), at(30), at(120)] {
        let a = args(&now);
        let out = world.fails(3, &a.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(stderr(&out).contains("nothing was changed"), "{now}: {}", stderr(&out));
        if now == at(0) {
            // The same job run again: the message says what became of the preview since.
            let expected =
                format!("at the very time of this publish's --now {now}, and was taken down since (expired at");
            assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
        }
    }
    assert!(live(&world, &repo, "HEAD").is_empty());
    // Queued before the gc and still alive at it: it may come back.
    publish(&world, &spec, &repo, "1", &at(90), &[]);
    assert_eq!(live(&world, &repo, "HEAD"), ["shop-pr-1"]);
    // A --now whose expiry is past warns.
    let out = publish(&world, &spec, &repo, "2", "2020-01-01T00:00:00Z", &[]);
    assert!(stderr(&out).contains("already past"), "{}", stderr(&out));
}

#[test]
fn keep_and_wake_name_the_app_when_apps_share_a_number_and_push() {
    let world = World::new();
    let repo = world.clone("ops");
    let r = repo.to_string_lossy().to_string();
    publish(&world, &world.spec("shop", "48h"), &repo, "7", &at(0), &["--push"]);
    publish(&world, &world.spec("blog", "48h"), &repo, "7", &at(0), &["--push"]);
    let out = world.fails(2, &["keep", "--repo", &r, "--pr", "7"]);
    assert!(stderr(&out).contains("blog (blog-pr-7), shop (shop-pr-7)"), "{}", stderr(&out));
    world.ok(&["keep", "--repo", &r, "--pr", "7", "--app", "shop", "--push"]);
    assert_eq!(meta(&world, &world.remote(), "main", "shop-pr-7")["kept"], "indefinitely");
    assert_eq!(meta(&world, &world.remote(), "main", "blog-pr-7")["kept"], "");

    world.ok(&["gc", "--repo", &r, "--sleep-after", "1h", "--now", &at(120), "--push"]);
    assert_eq!(meta(&world, &world.remote(), "main", "blog-pr-7")["sleeping"], at(120).as_str());
    assert_eq!(meta(&world, &world.remote(), "main", "shop-pr-7")["sleeping"], "", "kept: awake");
    let other = world.clone("other");
    world.ok(&["wake", "--repo", &other.to_string_lossy(), "--pr", "7", "--app", "blog", "--push"]);
    assert_eq!(meta(&world, &world.remote(), "main", "blog-pr-7")["sleeping"], "");
    assert_eq!(world.git(&world.remote(), &["rev-parse", "main"]), world.git(&other, &["rev-parse", "HEAD"]));
}

/// `publish --evicted FILE`: exactly the previews that commit took down, with the keys of gc's
/// plan's removals, `"remove": []` when it took none, and the file left alone when the publish
/// fails.
#[test]
fn publish_writes_what_it_evicted_in_gcs_plan_shape() {
    let world = World::new();
    let repo = world.clone("ops");
    let r = repo.to_string_lossy().to_string();
    let file = world.root().join("out/evicted.json");
    let f = file.to_string_lossy().to_string();
    let read = || -> Value { serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap() };
    let evicted = |value: &Value| -> Vec<(String, u64)> {
        value["remove"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["namespace"].as_str().unwrap().to_owned(), r["pr"].as_u64().unwrap()))
            .collect()
    };
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let shop = world.spec("shop", "48h");
    let blog = world.spec("blog", "48h");
    publish(&world, &shop, &repo, "1", &at(0), &["--max", "3", "--evicted", &f, "--push"]);
    assert_eq!(read(), serde_json::json!({"now": at(0), "max": 3, "remove": []}), "none taken: still written");
    publish(&world, &blog, &repo, "2", &at(1), &["--push"]);
    publish(&world, &shop, &repo, "3", &at(2), &["--push"]);
    // Without --max: nothing can be taken down, and the file says so.
    publish(&world, &shop, &repo, "4", &at(3), &["--evicted", &f, "--push"]);
    assert_eq!(read(), serde_json::json!({"now": at(3), "max": null, "remove": []}));

    // A cap of 3 over five: the two oldest go, whatever their app, oldest first.
    publish(&world, &shop, &repo, "5", &at(4), &["--max", "3", "--evicted", &f, "--push"]);
    let first = read();
    assert_eq!(evicted(&first), [("shop-pr-1".to_owned(), 1), ("blog-pr-2".to_owned(), 2)], "{first}");
    assert_eq!(live(&world, &world.remote(), "main"), ["shop-pr-3", "shop-pr-4", "shop-pr-5"]);
    let one = &first["remove"][1];
    assert_eq!((one["app"].as_str(), one["reason"].as_str()), (Some("blog"), Some("over-max")), "{one}");
    assert_eq!(one["detail"], format!("oldest unkept beyond --max 3 (created {})", at(1)));
    assert_eq!((one["created"].as_str(), one["ttl"].as_str()), (Some(at(1).as_str()), Some("48h")));

    // gc's plan lists an over-max removal with the same keys in the same order.
    let out = world.ok(&["gc", "--repo", &r, "--now", &at(5), "--max", "2", "--dry-run"]);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let gc_removal = &plan["remove"][0];
    assert_eq!(gc_removal["reason"], "over-max", "{plan}");
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(one), keys(gc_removal));
    assert_eq!(keys(&first), ["now", "max", "remove"]);

    // A publish that fails (a re-run of an older job) leaves the file as it was.
    let out = world.fails(
        3,
        &["publish", &shop.to_string_lossy(), "--repo", &r, "--pr", "5", "--sha", SHA, "--now", &at(0)]
            .into_iter()
            .chain(["--max", "1", "--evicted", &f, "--push"])
            .collect::<Vec<_>>(),
    );
    assert!(stderr(&out).contains("nothing was changed"), "{}", stderr(&out));
    assert_eq!(read(), first);
    // The same content again: nothing committed, nothing taken.
    publish(&world, &shop, &repo, "5", &at(4), &["--max", "3", "--evicted", &f, "--push"]);
    assert_eq!(evicted(&read()), []);
}
