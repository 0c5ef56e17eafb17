//! Thousands of previews are routine: gc, publish and unpublish in a repository of 2,400 previews
//! (made in one `git fast-import`, not 2,400 publishes) run a fixed, small number of git commands,
//! counted through a `git` shim on PATH, and finish quickly.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::fixture::{World, stderr, stdout};
use crate::support::describe;

const PREVIEWS: usize = 2_400;
const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";

/// Commits `PREVIEWS` previews on `main` of `repo` in one fast-import: preview `i` was created
/// and last published `i` minutes after 2026-11-01T00:00:00Z, with a 48h TTL, and holds six
/// manifest files (all the same blob): 16,800 files in the work tree.
fn fill(world: &World, repo: &Path) {
    let mut stream = String::new();
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: filler\n";
    let _ = write!(stream, "blob\nmark :1\ndata {}\n{manifest}\n", manifest.len());
    let message = "Two thousand previews";
    let _ = write!(
        stream,
        "commit refs/heads/main\ncommitter test <test@example.com> 1763700000 +0000\ndata {}\n{message}\nfrom refs/heads/main^0\n",
        message.len()
    );
    let base = "2026-11-01T00:00:00Z".parse::<jiff::Timestamp>().unwrap().as_second();
    for i in 0..PREVIEWS {
        let at = jiff::Timestamp::from_second(base + 60 * i64::try_from(i).unwrap()).unwrap();
        let updated = at.to_string();
        let expires = jiff::Timestamp::from_second(at.as_second() + 48 * 3600).unwrap().to_string();
        let json = format!(
            "{{\n  \"app\": \"shop\",\n  \"namespace\": \"shop-pr-{i}\",\n  \"pr\": \"{i}\",\n  \"sha\": \"{SHA}\",\n  \"branch\": \"\",\n  \"created\": \"{updated}\",\n  \"updated\": \"{updated}\",\n  \"ttl\": \"48h\",\n  \"expires\": \"{expires}\"\n}}\n"
        );
        let _ = write!(stream, "M 100644 inline previews/shop-pr-{i}/preview.json\ndata {}\n{json}\n", json.len());
        for f in 0..6 {
            let _ = writeln!(stream, "M 100644 :1 previews/shop-pr-{i}/manifests/00{f}-configmap-shop-pr-{i}-{f}.yaml");
        }
    }
    let mut cmd = Command::new("git");
    cmd.current_dir(repo).args(["fast-import", "--quiet"]);
    let output = crate::support::run_with_stdin(&mut cmd, stream.as_bytes());
    assert!(output.status.success(), "fast-import:\n{}", describe(&output));
    world.git(repo, &["reset", "-q", "--hard", "main"]);
}

/// A `git` that logs each call's subcommand to `log` and runs the real one.
fn shim(world: &World) -> (PathBuf, PathBuf) {
    let real = world.git(&world.root(), &["--exec-path"]);
    let real = Path::new(&real).join("git");
    let bin = world.root().join("shim");
    let log = world.root().join("git-calls.log");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("git");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$3\" >> '{}'\nexec '{}' \"$@\"\n", log.display(), real.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, log)
}

/// Runs kpreview through the shim; returns its output, how many git commands it ran, and how long
/// it took.
fn counted(world: &World, shim: &(PathBuf, PathBuf), args: &[&str]) -> (std::process::Output, Vec<String>, Duration) {
    let _ = std::fs::remove_file(&shim.1);
    let path = format!("{}:{}", shim.0.display(), std::env::var("PATH").unwrap_or_default());
    let started = Instant::now();
    let output = world.kpreview().env("PATH", path).args(args).output().expect("run kpreview");
    let took = started.elapsed();
    assert!(output.status.success(), "kpreview {args:?}:\n{}", describe(&output));
    let calls = std::fs::read_to_string(&shim.1).unwrap_or_default().lines().map(str::to_owned).collect();
    (output, calls, took)
}

#[test]
fn thousands_of_previews_cost_a_fixed_number_of_git_commands() {
    let world = World::new();
    let repo = world.clone("big");
    fill(&world, &repo);
    let shim = shim(&world);
    let repo_arg = repo.to_string_lossy().into_owned();
    // A day's gc: 48h and 150 minutes after the first publish, previews 0 to 150 have expired,
    // and 49 more are beyond --max 2200.
    let now = "2026-11-03T02:30:00Z";
    // Generous: on a busy machine most of it is the file system deleting files from the work
    // tree. The command counts are what would grow if anything were done per preview.
    let budget = Duration::from_secs(60);

    let (out, calls, took) =
        counted(&world, &shim, &["gc", "--repo", &repo_arg, "--now", now, "--max", "2200", "--dry-run"]);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan["previews"], PREVIEWS);
    assert_eq!(plan["remove"].as_array().unwrap().len(), 200);
    assert!(calls.len() <= 10, "gc --dry-run ran {} git commands: {calls:?}", calls.len());
    assert!(took < Duration::from_secs(10), "gc --dry-run took {took:?}");

    let (_, calls, took) = counted(&world, &shim, &["gc", "--repo", &repo_arg, "--now", now, "--max", "2200"]);
    assert!(calls.len() <= 20, "gc ran {} git commands for 200 removals: {calls:?}", calls.len());
    assert!(took < budget, "gc took {took:?}");
    assert_eq!(world.subjects(&repo, "HEAD")[0], "Expire 151 previews, evict 49 previews over --max");
    let live = world.git(&repo, &["ls-files", "previews/*/preview.json"]).lines().count();
    assert_eq!(live, 2200);
    assert_eq!(world.git(&repo, &["status", "--porcelain"]), "");

    let spec = world.spec("shop", "48h");
    let (_, calls, took) = counted(
        &world,
        &shim,
        &["publish", &spec.to_string_lossy(), "--repo", &repo_arg, "--pr", "2399", "--sha", SHA, "--now", now],
    );
    assert!(calls.len() <= 20, "publish ran {} git commands: {calls:?}", calls.len());
    assert!(took < Duration::from_secs(10), "publish took {took:?}");

    let (out, calls, took) = counted(&world, &shim, &["unpublish", "--repo", &repo_arg, "--pr", "2399", "--now", now]);
    assert!(stderr(&out).contains("removed shop-pr-2399"), "{}", stderr(&out));
    assert!(calls.len() <= 20, "unpublish ran {} git commands: {calls:?}", calls.len());
    assert!(took < Duration::from_secs(10), "unpublish took {took:?}");

    // An hour later: previews 200 to 210 have expired too, and the 201 removed are purged.
    let later = "2026-11-03T03:30:00Z";
    let (out, calls, took) = counted(&world, &shim, &["gc", "--repo", &repo_arg, "--now", later, "--grace", "1h"]);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!((plan["remove"].as_array().unwrap().len(), plan["purge"].as_array().unwrap().len()), (11, 201));
    assert!(calls.len() <= 20, "gc with a purge ran {} git commands: {calls:?}", calls.len());
    assert!(took < budget, "gc with a purge took {took:?}");
    assert_eq!(world.subjects(&repo, "HEAD")[0], "Expire 11 previews, purge 201 removed");
    assert_eq!(world.git(&repo, &["status", "--porcelain"]), "");
}
