//! The GitLab pipeline run locally for merge-request pipelines, the environment's stop and a
//! schedule: each job's `rules:` evaluated on the pipeline's predefined variables, its
//! `before_script` and `script` (with those of the hidden jobs it extends) in one `sh`, as a runner
//! does, the real clone against a local remote (`GITOPS_URL`), artifacts handed on by copy, the
//! notes API answered by the `curl` stand-in of `apis`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::{SHA, apis, app, gitlab, load, other_apps_preview, run_script, string_map};
use crate::gitops::fixture::World;
use crate::support::{describe, tempdir, write};

const SHA2: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

struct Sim {
    world: World,
    dir: tempfile::TempDir,
    bin: PathBuf,
    pipeline: Value,
    clock: i64,
    results: BTreeMap<String, String>,
}

/// One merge request's pipeline variables.
fn mr(iid: u64, labels: &str, sha: &str, source_project: u64, project: u64) -> Vec<(String, String)> {
    [
        ("CI_PIPELINE_SOURCE", "merge_request_event".to_owned()),
        ("CI_MERGE_REQUEST_IID", iid.to_string()),
        ("CI_MERGE_REQUEST_LABELS", labels.to_owned()),
        ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature/cart".to_owned()),
        ("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", sha.to_owned()),
        ("CI_COMMIT_SHA", sha.to_owned()),
        ("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", source_project.to_string()),
        ("CI_MERGE_REQUEST_PROJECT_ID", "9".to_owned()),
        ("CI_PROJECT_ID", project.to_string()),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .to_vec()
}

impl Sim {
    fn new() -> Self {
        let world = World::new();
        let dir = tempdir();
        app(&dir.path().join("src"));
        let bin = apis::install(dir.path());
        Sim { world, dir, bin, pipeline: load(&gitlab()), clock: 1_795_000_000, results: BTreeMap::new() }
    }

    fn tick(&mut self, seconds: i64) -> String {
        self.clock += seconds;
        jiff::Timestamp::from_second(self.clock).unwrap().to_string()
    }

    /// A job with the keys of the hidden jobs it extends under its own.
    fn resolved(&self, name: &str) -> serde_json::Map<String, Value> {
        let job = self.pipeline[name].as_object().unwrap().clone();
        let mut merged = match job.get("extends").and_then(Value::as_str) {
            Some(parent) => self.resolved(parent),
            None => serde_json::Map::new(),
        };
        merged.extend(job);
        merged
    }

    /// Whether a rule's `if:` holds for `vars` (the forms the pipeline uses, joined by `&&`).
    fn holds(condition: &str, vars: &BTreeMap<String, String>) -> bool {
        let value = |term: &str| -> String {
            let term = term.trim();
            match term.strip_prefix('$') {
                Some(name) => vars.get(name).cloned().unwrap_or_default(),
                None => term.trim_matches('"').to_owned(),
            }
        };
        condition.split("&&").all(|clause| {
            if let Some((left, re)) = clause.split_once("=~") {
                let re = re.trim().trim_matches('/');
                Command::new("grep").args(["-Eq", re]).stdin_from(&value(left))
            } else if let Some((left, right)) = clause.split_once("==") {
                value(left) == value(right)
            } else {
                panic!("the harness cannot read the rule {clause}")
            }
        })
    }

    /// Runs the pipeline's automatic jobs for `vars`, in order, artifacts handed on.
    fn pipeline(&mut self, vars: &[(String, String)]) -> PathBuf {
        let created = self.tick(60);
        let mut all: BTreeMap<String, String> = string_map(&self.pipeline["variables"]).into_iter().collect();
        all.extend(vars.iter().cloned());
        all.insert("CI_PIPELINE_CREATED_AT".into(), created);
        self.results.clear();
        let artifacts = tempdir().keep();
        let names: Vec<String> = self
            .pipeline
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !k.starts_with('.') && *k != "variables")
            .cloned()
            .collect();
        for name in names {
            let job = self.resolved(&name);
            let rule = job["rules"].as_array().unwrap().iter().find(|r| Self::holds(r["if"].as_str().unwrap(), &all));
            let when = rule.and_then(|r| r["when"].as_str()).unwrap_or("on_success");
            let needs_ok = job
                .get("needs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .all(|n| self.results.get(n["job"].as_str().unwrap()).map(String::as_str) == Some("success"));
            let result = match rule {
                None => "skipped".to_owned(),
                Some(_) if when == "manual" => "manual".to_owned(),
                Some(_) if !needs_ok && when != "always" => "skipped".to_owned(),
                Some(_) => self.job(&name, &all, &artifacts),
            };
            self.results.insert(name, result);
        }
        artifacts
    }

    /// Runs one job (also a manual one, as a person or GitLab's on_stop would) with `vars`.
    fn job(&self, name: &str, vars: &BTreeMap<String, String>, artifacts: &Path) -> String {
        let job = self.resolved(name);
        let project = tempdir();
        let strategy = job.get("variables").and_then(|v| v.get("GIT_STRATEGY")).and_then(Value::as_str);
        if strategy != Some("none") {
            copy(&self.dir.path().join("src"), project.path());
        }
        copy(artifacts, project.path());
        let mut lines = Vec::new();
        for key in ["before_script", "script"] {
            lines.extend(
                job.get(key).and_then(Value::as_array).into_iter().flatten().map(|l| l.as_str().unwrap().to_owned()),
            );
        }
        let path = std::env::join_paths(
            [self.bin.clone(), crate::support::kpreview_path().parent().unwrap().to_owned()]
                .into_iter()
                .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
        )
        .unwrap();
        let mut env: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        env.extend(string_map(job.get("variables").unwrap_or(&Value::Null)));
        env.extend(
            [
                ("GITOPS_URL", format!("file://{}", self.world.remote().display())),
                ("GITOPS_TOKEN", "gitops-token".to_owned()),
                ("PREVIEW_API_TOKEN", "api-token".to_owned()),
                ("CI_API_V4_URL", "https://gitlab.example.com/api/v4".to_owned()),
                ("CI_PROJECT_PATH", "shop/shop".to_owned()),
                ("CI_SERVER_HOST", "gitlab.example.com".to_owned()),
                ("CI_JOB_URL", "https://gitlab.example.com/shop/shop/-/jobs/77".to_owned()),
                ("FAKE_STATE", self.dir.path().display().to_string()),
                ("PATH", path.to_string_lossy().into_owned()),
            ]
            .map(|(k, v)| (k.to_owned(), v)),
        );
        let out = run_script(&self.world, &["sh", "-c"], &lines.join("\n"), project.path(), &env);
        if std::env::var_os("KPREVIEW_HARNESS_LOG").is_some() || !out.status.success() {
            eprintln!("--- job {name}:\n{}", describe(&out));
        }
        for dir in ["kpreview-bundle", "kpreview-out"] {
            if project.path().join(dir).exists() {
                copy(&project.path().join(dir), &artifacts.join(dir));
            }
        }
        if out.status.success() { "success" } else { "failed" }.to_owned()
    }

    fn note(&self, iid: u64) -> String {
        let all = apis::comments(self.dir.path(), iid);
        assert!(all.len() <= 1, "one note per merge request: {all:#?}");
        all.into_iter().next().unwrap_or_default()
    }

    fn meta(&self, namespace: &str) -> Option<String> {
        let out =
            self.world.git_output(&self.world.remote(), &["show", &format!("main:previews/{namespace}/preview.json")]);
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

trait StdinFrom {
    fn stdin_from(&mut self, text: &str) -> bool;
}

impl StdinFrom for Command {
    fn stdin_from(&mut self, text: &str) -> bool {
        use std::io::Write;
        let mut child = self.stdin(std::process::Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(format!("{text}\n").as_bytes()).unwrap();
        child.wait().unwrap().success()
    }
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    assert!(Command::new("cp").arg("-a").arg(format!("{}/.", from.display())).arg(to).status().unwrap().success());
}

#[test]
fn a_merge_requests_life_on_gitlab_ends_with_the_right_preview_and_a_true_note() {
    let mut sim = Sim::new();
    // Not labelled: no job.
    sim.pipeline(&mr(12, "bug", SHA, 9, 9));
    assert!(sim.results.values().all(|r| r == "skipped"), "{:?}", sim.results);
    // Labelled: built, published, noted; the stop job waits for the environment to stop.
    let first = sim.pipeline(&mr(12, "bug,preview", SHA, 9, 9));
    assert_eq!(sim.results["preview"], "success", "{:?}", sim.results);
    assert_eq!(sim.results["preview:stop"], "manual");
    assert!(sim.meta("shop-pr-12").unwrap().contains(SHA));
    assert!(sim.note(12).starts_with("<!-- kpreview:summary shop-pr-12 -->"), "{}", sim.note(12));
    let first_vars = {
        let mut v = mr(12, "bug,preview", SHA, 9, 9);
        v.push(("CI_PIPELINE_CREATED_AT".into(), jiff::Timestamp::from_second(sim.clock).unwrap().to_string()));
        v
    };
    // Pushed: the new commit.
    sim.pipeline(&mr(12, "preview", SHA2, 9, 9));
    assert!(sim.meta("shop-pr-12").unwrap().contains(SHA2));
    // Retrying the first pipeline's publish: superseded, nothing changes.
    let vars: BTreeMap<String, String> = string_map(&sim.pipeline["variables"]).into_iter().chain(first_vars).collect();
    assert_eq!(sim.job("preview", &vars, &first), "success");
    assert!(sim.meta("shop-pr-12").unwrap().contains(SHA2), "an old pipeline's retry brought back an older commit");

    // A bad spec: the build fails, the note says why and links the job; the preview stays.
    let good = std::fs::read_to_string(sim.dir.path().join("src/preview.yaml")).unwrap();
    write(sim.dir.path(), "src/preview.yaml", &good.replace("port: 8080", "port: eighty"));
    let bad = sim.pipeline(&mr(12, "preview", SHA, 9, 9));
    write(sim.dir.path(), "src/preview.yaml", &good);
    assert_eq!(sim.results["preview"], "failed", "{:?}", sim.results);
    let note = sim.note(12);
    assert!(note.contains("### Preview failed") && note.contains("spec.services.web.port"), "{note}");
    assert!(note.contains("https://gitlab.example.com/shop/shop/-/jobs/77"), "{note}");
    assert!(sim.meta("shop-pr-12").unwrap().contains(SHA2));

    // Merged: GitLab runs the environment's stop job; removed, and the note says so.
    let mut vars: BTreeMap<String, String> = string_map(&sim.pipeline["variables"]).into_iter().collect();
    vars.extend(mr(12, "preview", SHA, 9, 9));
    vars.insert("CI_PIPELINE_CREATED_AT".into(), sim.tick(0));
    assert_eq!(sim.job("preview:stop", &vars, &bad), "success");
    assert!(sim.meta("shop-pr-12").is_none());
    assert!(sim.note(12).contains("### Preview removed"), "{}", sim.note(12));

    // Forks: in the fork's own pipeline, and run in this project by a member.
    sim.pipeline(&mr(13, "preview", SHA, 50, 50));
    assert!(sim.results.values().all(|r| r == "skipped"), "{:?}", sim.results);
    sim.pipeline(&mr(13, "preview", SHA, 50, 9));
    assert!(sim.results.values().all(|r| r == "skipped"), "{:?}", sim.results);
    assert!(sim.meta("shop-pr-13").is_none());

    // A schedule long after another merge request's publish: expired, and its note says so.
    sim.pipeline(&mr(14, "preview", SHA, 9, 9));
    assert!(sim.meta("shop-pr-14").is_some());
    sim.tick(3 * 24 * 3600);
    let schedule =
        [("CI_PIPELINE_SOURCE".to_owned(), "schedule".to_owned()), ("CI_PROJECT_ID".to_owned(), "9".to_owned())];
    sim.pipeline(&schedule);
    assert_eq!(sim.results["preview:gc"], "success", "{:?}", sim.results);
    assert!(sim.meta("shop-pr-14").is_none());
    assert!(sim.note(14).contains("### Preview expired"), "{}", sim.note(14));
}

#[test]
fn a_publish_over_the_cap_tells_the_merge_request_it_evicted() {
    let mut sim = Sim::new();
    let capped = |iid: u64, sha: &str| {
        let mut vars = mr(iid, "preview", sha, 9, 9);
        vars.push(("PREVIEW_MAX".to_owned(), "2".to_owned()));
        vars
    };
    let at = sim.tick(60);
    let blog = other_apps_preview(&sim.world, sim.dir.path(), 5, &at);
    sim.pipeline(&capped(21, SHA));
    sim.pipeline(&capped(22, SHA));
    let kept = sim.note(22);
    // A third: the two oldest go in its commit, another app's and !21.
    sim.pipeline(&capped(23, SHA));
    assert_eq!(sim.results["preview"], "success", "{:?}", sim.results);
    assert!(sim.meta("blog-pr-5").is_none() && sim.meta("shop-pr-21").is_none(), "evicted");
    assert!(sim.meta("shop-pr-22").is_some() && sim.meta("shop-pr-23").is_some());
    let evicted = sim.note(21);
    assert!(
        evicted.starts_with("<!-- kpreview:summary shop-pr-21 -->\n### Preview evicted\n"),
        "the note no longer says the preview is live: {evicted}"
    );
    assert!(evicted.contains("more previews than the cap allows"), "{evicted}");
    assert!(sim.note(23).contains("took down"), "{}", sim.note(23));
    assert_eq!(sim.note(22), kept, "a preview that stays keeps its note");
    assert_eq!(sim.note(5), blog, "another app's preview is its own pipeline's to tell");
    // !21 pushed again: back, its note says so, and now !22 is the oldest and goes.
    sim.pipeline(&capped(21, SHA2));
    assert!(sim.meta("shop-pr-21").is_some() && sim.meta("shop-pr-22").is_none());
    assert!(!sim.note(21).contains("### Preview evicted") && sim.note(21).contains("took down"), "{}", sim.note(21));
    assert!(sim.note(22).contains("### Preview evicted"), "{}", sim.note(22));
}
