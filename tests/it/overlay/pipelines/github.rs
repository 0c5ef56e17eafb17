//! The GitHub workflow run locally, job by job, for sequences of pull-request events: each job's
//! `if:` evaluated on the event's payload, its steps run in order with their own `if:`, `run:`
//! scripts with bash as GitHub runs them, the kpreview action as its container would (its
//! entrypoint with the inputs action.yml maps), checkout and the artifact actions as copies, and
//! the comment API answered by the stand-in of `apis`. After each sequence the test reads the
//! GitOps remote and the pull request's comment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::expr::{self, Status};
use super::{SHA, apis, app, entrypoint, github, load, other_apps_preview, run_script};
use crate::gitops::fixture::World;
use crate::support::{describe, tempdir, write};

const SHA2: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// One pull request as events see it.
#[derive(Clone)]
struct Pr {
    number: u64,
    labels: Vec<&'static str>,
    open: bool,
    sha: &'static str,
    fork: bool,
}

/// The repository, its GitOps remote, the comments, a clock.
struct Sim {
    world: World,
    dir: tempfile::TempDir,
    bin: PathBuf,
    clock: i64,
    run: u64,
    workflow: Value,
    /// Job name → result of the last event's run.
    pub results: BTreeMap<String, String>,
}

impl Sim {
    fn new() -> Self {
        let world = World::new();
        let dir = tempdir();
        app(&dir.path().join("src"));
        std::fs::create_dir_all(world.root().join("example")).unwrap();
        std::os::unix::fs::symlink(world.remote(), world.root().join("example/gitops.git")).unwrap();
        let bin = apis::install(dir.path());
        Sim { world, dir, bin, clock: 1_795_000_000, run: 0, workflow: load(&github()), results: BTreeMap::new() }
    }

    fn state(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    fn tick(&mut self, seconds: i64) -> String {
        self.clock += seconds;
        jiff::Timestamp::from_second(self.clock).unwrap().to_string()
    }

    fn pr_event(&mut self, action: &str, pr: &Pr, label: Option<&str>) -> Value {
        let at = self.tick(60);
        let mut event = json!({
            "action": action,
            "pull_request": {
                "number": pr.number,
                "state": if pr.open { "open" } else { "closed" },
                "labels": pr.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
                "updated_at": at,
                "head": {
                    "sha": pr.sha,
                    "ref": "feature/cart",
                    "repo": {"full_name": if pr.fork { "mallory/shop" } else { "example/shop" }}
                }
            }
        });
        if let Some(label) = label {
            event["label"] = json!({"name": label});
        }
        event
    }

    /// Runs every job of the workflow for one event, as a new run.
    fn run(&mut self, event_name: &str, event: &Value) {
        self.run += 1;
        let created = self.tick(1);
        self.replay(event_name, event, &created);
    }

    /// Runs the jobs for `event` as run `self.run` made at `created` (a re-run replays both).
    fn replay(&mut self, event_name: &str, event: &Value, created: &str) {
        self.results.clear();
        let mut context = json!({
            "github": {
                "event_name": event_name, "event": event, "repository": "example/shop", "workflow": "preview",
                "server_url": "https://github.com", "run_id": self.run, "token": "gh-token"
            },
            "secrets": {"GITOPS_TOKEN": "gitops-token"},
            "needs": {}, "steps": {}, "env": {}
        });
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in self.workflow["env"].as_object().unwrap() {
            env.insert(k.clone(), expr::interpolate(&expr::text(v), &context, Status { failed: false }));
        }
        context["env"] = json!(env);
        let artifacts = tempdir();
        for (name, job) in self.workflow["jobs"].as_object().unwrap().clone() {
            let needs: Vec<String> = match &job["needs"] {
                Value::String(s) => vec![s.clone()],
                Value::Array(a) => a.iter().map(expr::text).collect(),
                _ => vec![],
            };
            let failed = needs.iter().any(|n| self.results.get(n).map(String::as_str) != Some("success"));
            context["needs"] = json!(
                needs
                    .iter()
                    .map(|n| (n.clone(), json!({"result": self.results[n]})))
                    .collect::<serde_json::Map<_, _>>()
            );
            let result = if expr::condition(job["if"].as_str(), &context, Status { failed }) {
                self.job(&job, &context, &env, artifacts.path(), created)
            } else {
                "skipped".to_owned()
            };
            self.results.insert(name, result);
        }
    }

    fn job(
        &self,
        job: &Value,
        context: &Value,
        env: &BTreeMap<String, String>,
        artifacts: &Path,
        created: &str,
    ) -> String {
        let mut context = context.clone();
        context["steps"] = json!({});
        let workspace = tempdir();
        let runner_temp = tempdir();
        let mut failed = false;
        for step in job["steps"].as_array().unwrap() {
            if !expr::condition(step["if"].as_str(), &context, Status { failed }) {
                continue;
            }
            let status = Status { failed };
            let with: BTreeMap<String, String> = step["with"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), expr::interpolate(&expr::text(v), &context, status)))
                .collect();
            let mut vars: Vec<(String, String)> = env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            for (k, v) in step["env"].as_object().into_iter().flatten() {
                vars.push((k.clone(), expr::interpolate(&expr::text(v), &context, status)));
            }
            let output = runner_temp.path().join(format!("output-{}", context["steps"].as_object().unwrap().len()));
            std::fs::write(&output, "").unwrap();
            let path = std::env::join_paths(
                [self.bin.clone(), crate::support::kpreview_path().parent().unwrap().to_owned()]
                    .into_iter()
                    .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
            )
            .unwrap();
            vars.extend(
                [
                    ("GITHUB_REPOSITORY", "example/shop".to_owned()),
                    ("GITHUB_RUN_ID", self.run.to_string()),
                    ("GITHUB_SERVER_URL", "https://github.com".to_owned()),
                    ("RUNNER_TEMP", runner_temp.path().display().to_string()),
                    ("GITHUB_OUTPUT", output.display().to_string()),
                    ("FAKE_STATE", self.state().display().to_string()),
                    ("FAKE_RUN_CREATED", created.to_owned()),
                    ("PATH", path.to_string_lossy().into_owned()),
                ]
                .map(|(k, v)| (k.to_owned(), v)),
            );
            let uses = step["uses"].as_str().unwrap_or_default();
            let ok = if let Some(script) = step["run"].as_str() {
                let bash = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"];
                let out = run_script(&self.world, &bash, script, workspace.path(), &vars);
                log(step, &out);
                out.status.success()
            } else if uses.starts_with("actions/checkout@") {
                copy(&self.dir.path().join("src"), workspace.path())
            } else if uses.starts_with("actions/upload-artifact@") {
                let into = artifacts.join(&with["name"]);
                for p in with["path"].lines().filter(|l| !l.trim().is_empty()) {
                    let from = workspace.path().join(p.trim());
                    if from.exists() {
                        copy(&from, &into.join(p.trim()));
                    }
                }
                true
            } else if uses.starts_with("actions/download-artifact@") {
                let from = artifacts.join(&with["name"]);
                from.exists() && copy(&from, workspace.path())
            } else if uses.starts_with("kpreview/kpreview@") {
                let out = self.action(&with, &vars, workspace.path(), &context, status);
                log(step, &out);
                out.status.success()
            } else {
                panic!("the harness does not know {uses}");
            };
            if let Some(id) = step["id"].as_str() {
                let text = std::fs::read_to_string(&output).unwrap();
                let outputs: serde_json::Map<String, Value> =
                    text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), json!(v))).collect();
                context["steps"][id] = json!({"outputs": outputs, "outcome": if ok { "success" } else { "failure" }});
            }
            failed |= !ok;
        }
        if failed { "failure" } else { "success" }.to_owned()
    }

    /// The kpreview action as its container runs: action.yml's `runs.env` with the inputs (the
    /// step's `with:` over the defaults), the entrypoint in the workspace. `gitops-server` points
    /// at the local remote instead of github.com.
    fn action(
        &self,
        with: &BTreeMap<String, String>,
        vars: &[(String, String)],
        workspace: &Path,
        context: &Value,
        status: Status,
    ) -> std::process::Output {
        let action = load(&super::action());
        let mut inputs = serde_json::Map::new();
        for (name, spec) in action["inputs"].as_object().unwrap() {
            let given = with.get(name).cloned().unwrap_or_else(|| expr::text(&spec["default"]));
            inputs.insert(name.clone(), json!(given));
        }
        inputs.insert("gitops-server".into(), json!(format!("file://{}", self.world.root().display())));
        let mut context = context.clone();
        context["inputs"] = Value::Object(inputs);
        let mut vars = vars.to_vec();
        for (k, v) in action["runs"]["env"].as_object().unwrap() {
            vars.push((k.clone(), expr::interpolate(&expr::text(v), &context, status)));
        }
        let script = std::fs::read_to_string(entrypoint()).unwrap();
        run_script(&self.world, &["bash", "-c"], &script, workspace, &vars)
    }

    fn comment(&self, pr: u64) -> String {
        let all = apis::comments(&self.state(), pr);
        assert!(all.len() <= 1, "one comment per pull request: {all:#?}");
        all.into_iter().next().unwrap_or_default()
    }

    fn meta(&self, namespace: &str) -> Option<String> {
        let out =
            self.world.git_output(&self.world.remote(), &["show", &format!("main:previews/{namespace}/preview.json")]);
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

fn log(step: &Value, out: &std::process::Output) {
    if std::env::var_os("KPREVIEW_HARNESS_LOG").is_some() || !out.status.success() {
        eprintln!("--- step {}:\n{}", step["name"].as_str().unwrap_or("?"), describe(out));
    }
}

fn copy(from: &Path, to: &Path) -> bool {
    std::fs::create_dir_all(to).unwrap();
    std::process::Command::new("cp").arg("-a").arg(format!("{}/.", from.display())).arg(to).status().unwrap().success()
}

fn labelled(number: u64) -> Pr {
    Pr { number, labels: vec!["preview"], open: true, sha: SHA, fork: false }
}

#[test]
fn a_pull_requests_whole_life_ends_with_the_right_preview_and_a_true_comment() {
    let mut sim = Sim::new();
    let mut pr = Pr { labels: vec![], ..labelled(7) };
    // Opened without the label: nothing.
    let e = sim.pr_event("opened", &pr, None);
    sim.run("pull_request", &e);
    assert!(sim.results.values().all(|r| r == "skipped"), "{:?}", sim.results);
    // Labelled: built, published, commented.
    pr.labels = vec!["preview"];
    let e = sim.pr_event("labeled", &pr, Some("preview"));
    sim.run("pull_request", &e);
    assert_eq!(sim.results["publish"], "success", "{:?}", sim.results);
    assert!(sim.meta("shop-pr-7").unwrap().contains(SHA));
    assert!(sim.comment(7).starts_with("<!-- kpreview:summary shop-pr-7 -->\n"), "{}", sim.comment(7));
    assert!(sim.comment(7).contains(&SHA[..7]));
    // Pushed: republished at the new commit, the same comment edited.
    pr.sha = SHA2;
    let e = sim.pr_event("synchronize", &pr, None);
    sim.run("pull_request", &e);
    assert!(sim.meta("shop-pr-7").unwrap().contains(SHA2));
    assert!(sim.comment(7).contains(&SHA2[..7]), "{}", sim.comment(7));
    // Another label: nothing runs.
    pr.labels.push("bug");
    let e = sim.pr_event("labeled", &pr, Some("bug"));
    sim.run("pull_request", &e);
    assert!(sim.results.values().all(|r| r == "skipped"), "{:?}", sim.results);
    // Closed: removed, and the comment says so.
    pr.open = false;
    let e = sim.pr_event("closed", &pr, None);
    sim.run("pull_request", &e);
    assert_eq!(sim.results["unpublish"], "success", "{:?}", sim.results);
    assert!(sim.meta("shop-pr-7").is_none());
    assert!(
        sim.comment(7).contains("### Preview removed") && sim.comment(7).contains("was closed"),
        "{}",
        sim.comment(7)
    );
    // Labelling the closed pull request publishes nothing.
    pr.labels = vec!["bug"];
    let e = sim.pr_event("unlabeled", &pr, Some("preview"));
    sim.run("pull_request", &e);
    pr.labels = vec!["bug", "preview"];
    let e = sim.pr_event("labeled", &pr, Some("preview"));
    sim.run("pull_request", &e);
    assert!(sim.results.values().all(|r| r == "skipped"), "{:?}", sim.results);
    assert!(sim.meta("shop-pr-7").is_none());
    // Reopened: back, at its head.
    pr.open = true;
    let e = sim.pr_event("reopened", &pr, None);
    sim.run("pull_request", &e);
    assert!(sim.meta("shop-pr-7").unwrap().contains(SHA2));
    assert!(
        sim.comment(7).starts_with("<!-- kpreview:summary shop-pr-7 -->")
            && !sim.comment(7).contains("### Preview removed")
    );
    // Unlabelled: removed.
    pr.labels = vec!["bug"];
    let e = sim.pr_event("unlabeled", &pr, Some("preview"));
    sim.run("pull_request", &e);
    assert!(sim.meta("shop-pr-7").is_none());
    assert!(sim.comment(7).contains("was unlabelled"), "{}", sim.comment(7));
}

#[test]
fn quick_unlabel_relabel_close_reopen_and_an_old_rerun_leave_the_preview_up() {
    let mut sim = Sim::new();
    let mut pr = labelled(8);
    let e = sim.pr_event("labeled", &pr, Some("preview"));
    sim.run("pull_request", &e);
    // Unlabel and relabel within the same second: both run, the preview ends up.
    pr.labels = vec![];
    let unlabel = sim.pr_event("unlabeled", &pr, Some("preview"));
    sim.clock -= 60;
    pr.labels = vec!["preview"];
    let relabel = sim.pr_event("labeled", &pr, Some("preview"));
    sim.run("pull_request", &unlabel);
    let old_run = sim.run;
    sim.run("pull_request", &relabel);
    assert_eq!(sim.results["publish"], "success", "{:?}", sim.results);
    assert!(sim.meta("shop-pr-8").is_some(), "a quick unlabel/relabel leaves it up");
    // Close and reopen at once.
    pr.open = false;
    let e = sim.pr_event("closed", &pr, None);
    sim.run("pull_request", &e);
    pr.open = true;
    let e = sim.pr_event("reopened", &pr, None);
    sim.run("pull_request", &e);
    assert!(sim.meta("shop-pr-8").is_some(), "close/reopen leaves it up");
    let comment = sim.comment(8);
    // Re-running the old unlabeled run: superseded, the preview and the comment stay.
    let run = sim.run;
    sim.run = old_run;
    sim.replay("pull_request", &unlabel, "2026-01-01T00:00:00Z");
    sim.run = run;
    assert_eq!(sim.results["unpublish"], "success", "superseded is not a failure: {:?}", sim.results);
    assert!(sim.meta("shop-pr-8").is_some(), "an old unlabeled run removed a live preview");
    assert_eq!(sim.comment(8), comment);
}

#[test]
fn a_bad_spec_a_fork_and_gc_tell_the_truth() {
    let mut sim = Sim::new();
    let pr = labelled(9);
    let e = sim.pr_event("labeled", &pr, Some("preview"));
    sim.run("pull_request", &e);
    assert!(sim.meta("shop-pr-9").is_some());
    // A push with a bad spec: the build fails, the comment says so with the error and the run.
    let spec = sim.dir.path().join("src/preview.yaml");
    let good = std::fs::read_to_string(&spec).unwrap();
    write(sim.dir.path(), "src/preview.yaml", &good.replace("port: 8080", "port: eighty"));
    let bad = Pr { sha: SHA2, ..pr.clone() };
    let e = sim.pr_event("synchronize", &bad, None);
    sim.run("pull_request", &e);
    assert_eq!(sim.results["publish"], "failure", "{:?}", sim.results);
    let comment = sim.comment(9);
    assert!(comment.starts_with("<!-- kpreview:summary shop-pr-9 -->\n### Preview failed"), "{comment}");
    assert!(
        comment.contains("spec.services.web.port") && comment.contains("https://github.com/example/shop/actions/runs/"),
        "{comment}"
    );
    assert!(sim.meta("shop-pr-9").unwrap().contains(SHA), "the earlier commit stays up");
    write(sim.dir.path(), "src/preview.yaml", &good);

    // A fork's pull request: nothing runs, whatever its labels.
    let fork = Pr { fork: true, ..labelled(10) };
    let e = sim.pr_event("labeled", &fork, Some("preview"));
    sim.run("pull_request", &e);
    assert!(sim.results.values().all(|r| r == "skipped"), "{:?}", sim.results);
    assert!(sim.meta("shop-pr-10").is_none());

    // gc long after: expired, and the pull request is told.
    sim.tick(3 * 24 * 3600);
    sim.run("schedule", &json!({}));
    assert_eq!(sim.results["gc"], "success", "{:?}", sim.results);
    assert!(sim.meta("shop-pr-9").is_none());
    assert!(sim.comment(9).contains("### Preview expired"), "{}", sim.comment(9));
}

#[test]
fn keep_sleep_and_wake_show_in_the_comment() {
    let mut sim = Sim::new();
    let mut pr = labelled(11);
    let e = sim.pr_event("labeled", &pr, Some("preview"));
    sim.run("pull_request", &e);
    let other = labelled(12);
    let e = sim.pr_event("labeled", &other, Some("preview"));
    sim.run("pull_request", &e);
    // Kept: the comment says so, and gc's expiry passes it by.
    pr.labels = vec!["preview", "preview-keep"];
    let e = sim.pr_event("labeled", &pr, Some("preview-keep"));
    sim.run("pull_request", &e);
    assert_eq!(sim.results["keep"], "success", "{:?}", sim.results);
    assert!(sim.comment(11).lines().nth(1).unwrap().starts_with("> **Kept**"), "{}", sim.comment(11));
    // A day and more without a push: the unkept one is put to sleep and told so.
    sim.tick(30 * 3600);
    sim.run("schedule", &json!({}));
    assert_eq!(sim.results["gc"], "success", "{:?}", sim.results);
    assert!(sim.meta("shop-pr-12").unwrap().contains("sleeping"), "{:?}", sim.meta("shop-pr-12"));
    assert!(sim.comment(12).lines().nth(1).unwrap().starts_with("> **Sleeping**"), "{}", sim.comment(12));
    assert!(sim.comment(12).contains("web-shop-pr-12.preview.example.com"), "the URLs stay: {}", sim.comment(12));
    // `/preview wake` by someone without write access: nothing; by a member: woken.
    let comment = |association: &str, at: String| {
        json!({"issue": {"number": 12, "state": "open", "pull_request": {"url": "x"}},
               "comment": {"body": "/preview wake", "author_association": association, "created_at": at}})
    };
    let at = sim.tick(60);
    sim.run("issue_comment", &comment("NONE", at));
    assert!(sim.results.values().all(|r| r == "skipped"), "{:?}", sim.results);
    let at = sim.tick(60);
    sim.run("issue_comment", &comment("MEMBER", at));
    assert_eq!(sim.results["wake"], "success", "{:?}", sim.results);
    assert!(!sim.meta("shop-pr-12").unwrap().contains("\"sleeping\": \"2"), "{:?}", sim.meta("shop-pr-12"));
    assert!(sim.comment(12).lines().nth(1).unwrap().starts_with("> **Woken**"), "{}", sim.comment(12));
    // Three days on: the kept one is still up, the other expired.
    sim.tick(3 * 24 * 3600);
    sim.run("schedule", &json!({}));
    assert!(sim.meta("shop-pr-11").is_some(), "kept");
    assert!(sim.meta("shop-pr-12").is_none() && sim.comment(12).contains("### Preview expired"), "{}", sim.comment(12));
    // The label removed: no longer kept.
    pr.labels = vec!["preview"];
    let e = sim.pr_event("unlabeled", &pr, Some("preview-keep"));
    sim.run("pull_request", &e);
    assert_eq!(sim.results["keep"], "success", "{:?}", sim.results);
    assert!(sim.comment(11).lines().nth(1).unwrap().starts_with("> **No longer kept**"), "{}", sim.comment(11));
}

#[test]
fn a_publish_over_the_cap_tells_the_pull_request_it_evicted() {
    let mut sim = Sim::new();
    sim.workflow["env"]["PREVIEW_MAX"] = json!("2");
    let at = sim.tick(60);
    let blog = other_apps_preview(&sim.world, &sim.state(), 5, &at);
    for n in [21, 22] {
        let e = sim.pr_event("labeled", &labelled(n), Some("preview"));
        sim.run("pull_request", &e);
        assert_eq!(sim.results["publish"], "success", "{:?}", sim.results);
    }
    let kept = sim.comment(22);
    // A third: the two oldest go in its commit, another app's and #21.
    let e = sim.pr_event("labeled", &labelled(23), Some("preview"));
    sim.run("pull_request", &e);
    assert_eq!(sim.results["publish"], "success", "{:?}", sim.results);
    assert!(sim.meta("blog-pr-5").is_none() && sim.meta("shop-pr-21").is_none(), "evicted");
    assert!(sim.meta("shop-pr-22").is_some() && sim.meta("shop-pr-23").is_some());
    let evicted = sim.comment(21);
    assert!(
        evicted.starts_with("<!-- kpreview:summary shop-pr-21 -->\n### Preview evicted\n"),
        "the comment no longer says the preview is live: {evicted}"
    );
    assert!(evicted.contains("more previews than the cap allows") && evicted.contains("Push again"), "{evicted}");
    assert!(
        sim.comment(23).starts_with("<!-- kpreview:summary shop-pr-23 -->\n") && sim.comment(23).contains("took down")
    );
    assert_eq!(sim.comment(22), kept, "a preview that stays keeps its comment");
    assert_eq!(sim.comment(5), blog, "another app's preview is its own pipeline's to tell");

    // #21 pushed again: back, its comment says so, and now #22 is the oldest and goes.
    let e = sim.pr_event("synchronize", &labelled(21), None);
    sim.run("pull_request", &e);
    assert_eq!(sim.results["publish"], "success", "{:?}", sim.results);
    assert!(sim.meta("shop-pr-21").is_some() && sim.meta("shop-pr-22").is_none());
    assert!(!sim.comment(21).contains("### Preview evicted") && sim.comment(21).contains("took down"));
    assert!(sim.comment(22).contains("### Preview evicted"), "{}", sim.comment(22));
}
