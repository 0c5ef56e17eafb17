//! `functions/ci`: the GitHub Actions workflow and the GitLab CI file validate against their
//! platforms' published schemas (check-jsonschema's vendored copies; a broken copy fails, so the
//! check bites), their shell parses, every kpreview flag they use exists, and their publish and
//! unpublish scripts do the job when run as the platform would run them, against a real git
//! remote. What cannot be checked offline (the actions' versions, GitHub's and GitLab's APIs, the
//! runners) is listed in the README.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::gitops::fixture::World;
use crate::support::{describe, kpreview, kpreview_path, python, root, tempdir, write};

mod apis;
mod expr;
mod github;
mod gitlab;

const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";

fn github() -> PathBuf {
    root().join("functions/ci/github/preview.yml")
}

fn gitlab_path() -> PathBuf {
    gitlab()
}

fn gitlab() -> PathBuf {
    root().join("functions/ci/gitlab/preview.gitlab-ci.yml")
}

fn action() -> PathBuf {
    root().join("action.yml")
}

fn entrypoint() -> PathBuf {
    root().join("functions/ci/action/entrypoint.sh")
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read pipeline");
    kpreview::yaml::value_from_str(&text, kpreview::yaml::Limits::Spec).expect("pipeline YAML")
}

fn check_jsonschema(schema: &str, file: &Path) -> Output {
    Command::new(python())
        .args(["-m", "check_jsonschema", "--builtin-schema", schema])
        .arg(file)
        .output()
        .expect("run check-jsonschema")
}

#[test]
fn the_pipelines_validate_against_their_platforms_schemas() {
    for (schema, file) in [
        ("vendor.github-workflows", github()),
        ("custom.github-workflows-require-timeout", github()),
        ("vendor.gitlab-ci", gitlab()),
        ("vendor.github-actions", action()),
    ] {
        let out = check_jsonschema(schema, &file);
        assert!(out.status.success(), "{schema} rejects {}:\n{}", file.display(), describe(&out));
    }
    // The check bites: the same files with one mistake each are rejected.
    let dir = tempdir();
    let broken = [
        ("vendor.github-workflows", "github.yml", github(), "runs-on: ubuntu-latest", "runs_on: ubuntu-latest"),
        ("vendor.github-workflows", "github2.yml", github(), "pull-requests: write", "pull-requests: maybe"),
        ("custom.github-workflows-require-timeout", "github3.yml", github(), "timeout-minutes: 10", "name: x"),
        ("vendor.gitlab-ci", "gitlab.yml", gitlab(), "when: manual", "when: sometimes"),
        ("vendor.github-actions", "action.yml", action(), "using: docker", "using: docker2"),
    ];
    for (schema, name, file, from, to) in broken {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(from), "{from} is in {}", file.display());
        let path = write(dir.path(), name, &text.replacen(from, to, 1));
        let out = check_jsonschema(schema, &path);
        assert!(!out.status.success(), "{schema} accepted {from:?} -> {to:?}:\n{}", describe(&out));
    }
}

/// Every GitHub `run:` block by job and step name.
fn github_scripts() -> BTreeMap<(String, String), String> {
    let workflow = load(&github());
    let mut scripts = BTreeMap::new();
    for (job, spec) in workflow["jobs"].as_object().expect("jobs") {
        for step in spec["steps"].as_array().expect("steps") {
            if let Some(run) = step["run"].as_str() {
                let name = step["name"].as_str().expect("every step has a name").to_owned();
                scripts.insert((job.clone(), name), run.to_owned());
            }
        }
    }
    scripts
}

/// Every GitLab `before_script`/`script` block by job, in order.
fn gitlab_scripts() -> BTreeMap<String, Vec<String>> {
    let pipeline = load(&gitlab());
    let mut scripts = BTreeMap::new();
    for (job, spec) in pipeline.as_object().expect("jobs") {
        for key in ["before_script", "script"] {
            for line in spec[key].as_array().into_iter().flatten() {
                let entry: &mut Vec<String> = scripts.entry(job.clone()).or_default();
                entry.push(line.as_str().expect("a script line").to_owned());
            }
        }
    }
    scripts
}

/// What the pipelines use of SPEC §6 (cost control), which another branch adds: checked once
/// kpreview has it, reported until then.
const COST_COMMANDS: [&str; 2] = ["keep", "wake"];
const COST_FLAGS: [(&str, &str); 1] = [("publish", "--max")];

#[test]
fn the_scripts_parse_take_no_expressions_and_use_only_flags_kpreview_has() {
    let github = github_scripts();
    let gitlab = gitlab_scripts();
    assert!(github.len() == 7 && gitlab.len() == 5, "{:?} {:?}", github.keys(), gitlab.keys());
    let mut all: Vec<(String, &str, &str)> = Vec::new();
    for ((job, step), script) in &github {
        // `${{ }}` in a script is pasted in as shell text (script injection): values go via env.
        assert!(!script.contains("${{"), "{job}/{step} expands an expression inside its script");
        all.push((format!("{job}/{step}"), "bash", script));
    }
    for (job, lines) in &gitlab {
        for line in lines {
            all.push((job.clone(), "sh", line));
        }
    }
    let entry = std::fs::read_to_string(entrypoint()).unwrap();
    all.push(("the action's entrypoint".to_owned(), "bash", &entry));
    let mut help: BTreeMap<String, String> = BTreeMap::new();
    for (what, shell, script) in all {
        let out = Command::new(shell).arg("-n").arg("-c").arg(script).output().expect("shell");
        assert!(out.status.success(), "{what} does not parse with {shell}:\n{}", describe(&out));
        let words: Vec<&str> = script.split_whitespace().collect();
        for (i, _) in words.iter().enumerate().filter(|(_, w)| **w == "kpreview") {
            let Some(sub) = words.get(i + 1).filter(|s| !s.starts_with('-')) else { continue };
            if COST_COMMANDS.contains(sub) && !kpreview().arg(sub).arg("--help").output().unwrap().status.success() {
                eprintln!("{what}: `kpreview {sub}` is not here yet (the cost branch adds it)");
                continue;
            }
            let text = help.entry((*sub).to_owned()).or_insert_with(|| {
                let out = kpreview().arg(sub).arg("--help").output().expect("kpreview --help");
                assert!(out.status.success(), "{what}: `kpreview {sub}` is no subcommand:\n{}", describe(&out));
                String::from_utf8_lossy(&out.stdout).into_owned()
            });
            let flags = words[i + 2..].iter().take_while(|w| **w != "|" && **w != ">" && !w.ends_with(';'));
            for flag in flags.filter(|w| w.starts_with("--")) {
                let flag = flag.trim_end_matches('"');
                if !text.contains(&format!("{flag} ")) && COST_FLAGS.contains(&(sub, flag)) {
                    eprintln!("{what}: `kpreview {sub} {flag}` is not here yet (the cost branch adds it)");
                    continue;
                }
                assert!(text.contains(&format!("{flag} ")), "{what}: `kpreview {sub}` has no {flag}");
            }
        }
    }
    // The comment steps look for the marker publish writes.
    let marker = kpreview::gitops::summary::marker("x");
    let prefix = marker.split('x').next().unwrap();
    assert!(github[&("unpublish".to_owned(), "Mark the comment".to_owned())].contains(prefix), "{prefix}");
}

#[test]
fn the_workflow_asks_for_least_privilege_and_serialises_each_pull_request() {
    let workflow = load(&github());
    assert_eq!(workflow["permissions"], serde_json::json!({}), "nothing by default");
    let granted: BTreeMap<&str, &Value> =
        workflow["jobs"].as_object().unwrap().iter().map(|(job, spec)| (job.as_str(), &spec["permissions"])).collect();
    assert_eq!(granted["build"], &serde_json::json!({"contents": "read"}));
    assert_eq!(granted["publish"], &serde_json::json!({"pull-requests": "write"}));
    assert_eq!(granted["unpublish"], &serde_json::json!({"pull-requests": "write"}));
    assert_eq!(granted["gc"], &serde_json::json!({"actions": "read", "pull-requests": "write"}));
    // The token: only in the `preview` environment, only for jobs that run no code of the PR.
    let text = std::fs::read_to_string(github()).unwrap();
    assert!(!text.contains("persist-credentials: true"));
    for (job, spec) in workflow["jobs"].as_object().unwrap() {
        let uses_token = serde_json::to_string(spec).unwrap().contains("secrets.GITOPS_TOKEN");
        assert_eq!(uses_token, spec["environment"] == "preview", "{job}: the token only where the environment is");
        if job == "build" {
            assert!(!uses_token && spec.get("environment").is_none(), "the build job runs the PR's code");
        } else {
            let checks_out = serde_json::to_string(spec).unwrap().contains("actions/checkout");
            assert!(!checks_out, "{job} holds the token and must not check out the PR's code");
        }
    }
    // Every action pinned by a full commit SHA, with the version in a comment.
    for line in text.lines().filter(|l| l.trim_start().starts_with("uses:") || l.trim_start().starts_with("- uses:")) {
        let reference = line.split('@').nth(1).unwrap_or_default();
        let (sha, comment) = reference.split_once(" # v").unwrap_or((reference, ""));
        assert!(sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()) && !comment.is_empty(), "{line}");
    }
    // Groups on the jobs that do work: a run whose jobs are all skipped joins no group, so it
    // cannot replace a pending unpublish.
    assert!(workflow.get("concurrency").is_none(), "a workflow-level group lets skipped runs cancel pending ones");
    let jobs = &workflow["jobs"];
    let group = jobs["publish"]["concurrency"]["group"].as_str().unwrap();
    assert!(group.contains("github.event.pull_request.number"), "{group}");
    assert_eq!(
        jobs["unpublish"]["concurrency"]["group"], group,
        "publish and unpublish of a pull request queue together"
    );
    assert_ne!(jobs["gc"]["concurrency"]["group"], group);
    assert_eq!(jobs["keep"]["concurrency"]["group"], group);
    for job in ["publish", "unpublish", "keep", "wake", "gc"] {
        assert_eq!(jobs[job]["concurrency"]["cancel-in-progress"], false, "{job} must never be cancelled half way");
    }
    // A closed pull request is never published, whatever label it gets.
    assert!(jobs["build"]["if"].as_str().unwrap().contains("github.event.pull_request.state == 'open'"));
    let triggers = &workflow["on"]["pull_request"]["types"];
    for t in ["opened", "reopened", "synchronize", "labeled", "unlabeled", "closed"] {
        assert!(triggers.as_array().unwrap().iter().any(|x| x == t), "on pull_request {t}");
    }
    assert!(workflow["on"]["schedule"][0]["cron"].is_string());

    let gitlab = load(&gitlab());
    assert_eq!(gitlab["preview"]["environment"]["on_stop"], "preview:stop");
    assert_eq!(gitlab["preview:stop"]["environment"]["action"], "stop");
    assert_eq!(gitlab["preview"]["resource_group"], gitlab["preview:stop"]["resource_group"]);
    assert_eq!(gitlab["preview:gc"]["rules"][0]["if"], "$CI_PIPELINE_SOURCE == \"schedule\"");
    // No `stages:` (an included one replaces the project's): `.post` exists in every project.
    assert!(gitlab.get("stages").is_none());
    assert_eq!(gitlab[".kpreview"]["stage"], ".post");
    for job in ["preview:build", "preview", "preview:stop"] {
        let rule = gitlab[job]["rules"][0]["if"].as_str().unwrap();
        assert!(
            rule.contains("$CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_MERGE_REQUEST_PROJECT_ID")
                && rule.contains("$CI_PROJECT_ID == $CI_MERGE_REQUEST_PROJECT_ID"),
            "{job}: forks are told apart wherever the pipeline runs: {rule}"
        );
    }
    // The build job runs the MR's code: no environment, so no variable scoped to preview/*.
    assert!(
        gitlab["preview:build"].get("environment").is_none()
            && gitlab["preview:build"].get("extends") == Some(&Value::from(".kpreview"))
    );
    let text = std::fs::read_to_string(gitlab_path()).unwrap();
    assert!(!text.contains("${GITOPS_TOKEN}@"), "no token in a remote URL (it would land in .git/config)");
}

/// The app repository CI checks out: a spec and an overlay of it.
fn app(dir: &Path) {
    write(
        dir,
        "preview.yaml",
        "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata:\n  name: shop\nspec:\n  domain: preview.example.com\n  services:\n    web:\n      image: registry.example.com/shop/web:{{ pr.headSha }}\n      port: 8080\n      expose: true\n",
    );
    write(dir, "deploy/preview/kustomization.yaml", "resources:\n- ../base\ncommonAnnotations:\n  team: shop\n");
    write(dir, "deploy/base/kustomization.yaml", "generators:\n- spec\n");
    write(dir, "deploy/base/spec/kustomization.yaml", "resources:\n- preview.yaml\n");
    std::fs::copy(dir.join("preview.yaml"), dir.join("deploy/base/spec/preview.yaml")).unwrap();
}

/// Another app's preview of pull request `pr` in the GitOps repository, published at `now` by
/// its own pipeline, and a summary comment with its marker on this repository's pull request
/// `pr` in the stand-ins' store (`state`): when a cap takes that preview down, telling its pull
/// request is not this pipeline's job, and this `pr` is someone else's. Returns the comment.
fn other_apps_preview(world: &World, state: &Path, pr: u64, now: &str) -> String {
    let clone = world.clone(&format!("blog-{pr}"));
    let spec = world.spec("blog", "48h");
    let number = pr.to_string();
    world.ok(&[
        "publish",
        &spec.to_string_lossy(),
        "--repo",
        &clone.to_string_lossy(),
        "--pr",
        &number,
        "--sha",
        SHA,
        "--now",
        now,
        "--push",
    ]);
    let body = format!("{}\n### Preview\n\nblog's own", kpreview::gitops::summary::marker(&format!("blog-pr-{pr}")));
    let store = state.join("comments.json");
    let mut all: Value =
        serde_json::from_str(&std::fs::read_to_string(&store).unwrap_or_else(|_| "[]".into())).unwrap();
    all.as_array_mut().unwrap().push(serde_json::json!({
        "id": 1000 + pr, "issue": pr, "user": {"login": "github-actions[bot]"}, "author": {"id": 42}, "body": body
    }));
    std::fs::write(&store, all.to_string()).unwrap();
    body
}

/// Runs a pipeline script as the platform would: its shell, in `cwd`, with the pipeline's
/// variables and `env`, kpreview on PATH and git isolated in the world.
fn run_script(world: &World, shell: &[&str], script: &str, cwd: &Path, vars: &[(String, String)]) -> Output {
    let bin = kpreview_path().parent().unwrap().to_owned();
    let path =
        std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())))
            .unwrap();
    let mut cmd = Command::new(shell[0]);
    cmd.args(&shell[1..]).arg(script).current_dir(cwd).env("PATH", path);
    cmd.env("HOME", world.root())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", world.root().join("gitconfig"));
    for var in ["PREVIEW_PR_NUMBER", "PREVIEW_HEAD_SHA", "PREVIEW_BRANCH", "KUSTOMIZE_PLUGIN_HOME", "GIT_DIR"] {
        cmd.env_remove(var);
    }
    cmd.envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    cmd.output().expect("run the script")
}

fn string_map(value: &Value) -> Vec<(String, String)> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// Runs the action's entrypoint as GitHub would run the container: bash, in the workspace, with
/// the `KP_*` variables action.yml maps the inputs to, and a `GITHUB_OUTPUT` file; returns the
/// process and the outputs it set.
fn run_action(world: &World, workspace: &Path, inputs: &[(&str, &str)]) -> (Output, BTreeMap<String, String>) {
    let temp = tempdir();
    let outputs = temp.path().join("output");
    let mut vars: Vec<(String, String)> = inputs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    vars.extend([
        ("KP_GITOPS_SERVER".to_owned(), format!("file://{}", world.root().display())),
        ("KP_GITOPS_REPOSITORY".to_owned(), "remote".to_owned()),
        ("KP_GITOPS_TOKEN".to_owned(), "a-secret-token".to_owned()),
        ("GITHUB_OUTPUT".to_owned(), outputs.display().to_string()),
        // The action's clone (mktemp -d) lands in the world, where the test looks for the token.
        ("TMPDIR".to_owned(), world.root().join("tmp").display().to_string()),
    ]);
    std::fs::create_dir_all(world.root().join("tmp")).unwrap();
    let script = std::fs::read_to_string(entrypoint()).unwrap();
    let out = run_script(world, &["bash", "-c"], &script, workspace, &vars);
    let text = std::fs::read_to_string(&outputs).unwrap_or_default();
    let set = text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    (out, set)
}

#[test]
fn the_action_builds_publishes_and_unpublishes_and_refuses_older_runs() {
    for (overlay, pr) in [("", "7"), ("deploy/preview", "8")] {
        let world = World::new();
        let workspace = world.root().join("app");
        app(&workspace);
        let pr_inputs = [
            ("KP_PR", pr),
            ("KP_SHA", SHA),
            ("KP_BRANCH", "feature/x"),
            ("KP_OVERLAY", overlay),
            ("KP_BUNDLE", "kpreview-bundle"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut all = pr_inputs.to_vec();
            all.extend_from_slice(extra);
            all
        };
        let (out, _) = run_action(&world, &workspace, &with(&[("KP_COMMAND", "build")]));
        assert!(out.status.success(), "build ({overlay:?}):\n{}", describe(&out));
        let (out, set) =
            run_action(&world, &workspace, &with(&[("KP_COMMAND", "publish"), ("KP_NOW", "2026-11-21T10:00:00Z")]));
        assert!(out.status.success() && set["result"] == "ok", "publish ({overlay:?}):\n{}", describe(&out));
        let namespace = format!("shop-pr-{pr}");
        let remote = world.remote();
        let meta = world.show(&remote, "main", &format!("previews/{namespace}/preview.json"));
        assert!(meta.contains(&format!("\"sha\": \"{SHA}\"")) && meta.contains("\"branch\": \"feature/x\""), "{meta}");
        assert!(meta.contains("\"updated\": \"2026-11-21T10:00:00Z\""), "the event's time: {meta}");
        let evicted = std::fs::read_to_string(workspace.join(&set["evicted"])).expect("the evicted file");
        let evicted: Value = serde_json::from_str(&evicted).unwrap();
        assert_eq!(evicted["remove"], serde_json::json!([]), "nothing over the cap: {evicted}");
        let summary = std::fs::read_to_string(workspace.join(&set["comment"])).expect("the summary file");
        assert!(summary.starts_with(&kpreview::gitops::summary::marker(&namespace)), "{summary}");
        assert_eq!(world.git(&remote, &["log", "-1", "--format=%an", "main"]), "github-actions[bot]");
        if !overlay.is_empty() {
            let manifests = world.git(&remote, &["ls-tree", "-r", "--name-only", "main", "--", "previews/"]);
            let first = manifests.lines().find(|l| l.contains("/manifests/")).unwrap();
            assert!(world.show(&remote, "main", first).contains("team: shop"), "the overlay's own annotation");
        }
        let commits = world.subjects(&remote, "main").len();
        // A re-run of an older run: refused, reported as superseded, the job green, nothing changed.
        let (out, set) =
            run_action(&world, &workspace, &with(&[("KP_COMMAND", "publish"), ("KP_NOW", "2026-11-20T10:00:00Z")]));
        assert!(out.status.success() && set["result"] == "superseded", "{}", describe(&out));
        assert!(!set.contains_key("evicted"), "a superseded publish names no evicted file: {set:?}");
        let (out, set) = run_action(
            &world,
            &workspace,
            &[("KP_COMMAND", "unpublish"), ("KP_PR", pr), ("KP_APP", "shop"), ("KP_NOW", "2026-11-21T09:00:00Z")],
        );
        assert!(out.status.success() && set["result"] == "superseded", "an old unlabeled run:\n{}", describe(&out));
        assert_eq!(world.subjects(&remote, "main").len(), commits, "nothing changed");
        let (out, set) = run_action(
            &world,
            &workspace,
            &[("KP_COMMAND", "unpublish"), ("KP_PR", pr), ("KP_APP", "shop"), ("KP_NOW", "2026-11-21T10:00:00Z")],
        );
        assert!(out.status.success() && set["result"] == "ok", "{}", describe(&out));
        assert_eq!(world.previews(&remote, "main")[&namespace], ["manifests", "removed.json"]);
        // The token reached git through the environment only.
        for config in walk(&world.root()).into_iter().filter(|p| p.ends_with("config")) {
            let text = std::fs::read_to_string(&config).unwrap_or_default();
            assert!(!text.contains("a-secret-token") && !text.contains("extraheader"), "{}", config.display());
        }
    }
}

/// A bad spec: build fails, and its error is where the comment step reads it.
#[test]
fn a_bad_spec_fails_the_build_with_its_error_for_the_comment() {
    let world = World::new();
    let workspace = world.root().join("app");
    app(&workspace);
    let spec = std::fs::read_to_string(workspace.join("preview.yaml")).unwrap().replace("port: 8080", "port: eighty");
    write(&workspace, "deploy/base/spec/preview.yaml", &spec);
    let inputs = [
        ("KP_COMMAND", "build"),
        ("KP_PR", "9"),
        ("KP_SHA", SHA),
        ("KP_OVERLAY", "deploy/preview"),
        ("KP_BUNDLE", "kpreview-bundle"),
    ];
    let (out, set) = run_action(&world, &workspace, &inputs);
    assert!(!out.status.success() && set["result"] == "failed", "{}", describe(&out));
    let errors = std::fs::read_to_string(workspace.join(&set["errors"])).unwrap();
    assert!(errors.contains("spec.services.web.port"), "{errors}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn the_gitlab_build_publish_and_stop_jobs_do_their_job() {
    let scripts = gitlab_scripts();
    let pipeline = load(&gitlab());
    let world = World::new();
    let project = world.root().join("app");
    app(&project);
    let gitops = world.clone("gitops");
    let dir = tempdir();
    let bin = fake_apis(dir.path());
    comment_pages(dir.path(), "github-actions[bot]", "mallory");
    let path = std::env::join_paths(
        [bin, kpreview_path().parent().unwrap().to_owned()]
            .into_iter()
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let mut vars = string_map(&pipeline["variables"]);
    vars.retain(|(k, _)| k != "GITOPS_DIR" && k != "PREVIEW_OVERLAY");
    vars.extend(
        [
            ("GITOPS_DIR", gitops.display().to_string()),
            ("PREVIEW_OVERLAY", "deploy/preview".to_owned()),
            ("CI_MERGE_REQUEST_IID", "12".to_owned()),
            ("CI_COMMIT_SHA", SHA.to_owned()),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature/y".to_owned()),
            ("CI_PIPELINE_CREATED_AT", "2026-11-21T10:00:00Z".to_owned()),
            ("CI_API_V4_URL", "https://gitlab.example.com/api/v4".to_owned()),
            ("CI_MERGE_REQUEST_PROJECT_ID", "9".to_owned()),
            ("CI_PROJECT_ID", "9".to_owned()),
            ("CI_JOB_URL", "https://gitlab.example.com/shop/-/jobs/1".to_owned()),
            ("PREVIEW_API_TOKEN", "t".to_owned()),
            ("PATH", path.to_string_lossy().into_owned()),
            ("FAKE_LOG", dir.path().join("log").display().to_string()),
            ("FAKE_PAGES", dir.path().join("pages").display().to_string()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    // The clone (before_script's first block) needs the GitLab server; the test's clone stands in.
    let note = &scripts[".kpreview-gitops"][1];
    let sh = ["sh", "-c"];
    let out = run_script(&world, &sh, &scripts["preview:build"][0], &project, &vars);
    assert!(out.status.success(), "preview:build:\n{}", describe(&out));
    let out = run_script(&world, &sh, &format!("{note}\n{}", scripts["preview"][0]), &project, &vars);
    assert!(out.status.success(), "preview:\n{}", describe(&out));
    assert!(
        std::fs::read_to_string(project.join("preview.md"))
            .unwrap()
            .starts_with("<!-- kpreview:summary shop-pr-12 -->")
    );
    let meta = world.show(&world.remote(), "main", "previews/shop-pr-12/preview.json");
    assert!(meta.contains("\"branch\": \"feature/y\""), "{meta}");
    assert!(meta.contains("\"updated\": \"2026-11-21T10:00:00Z\""), "the pipeline's creation time: {meta}");

    let stop = format!("{note}\n{}", scripts["preview:stop"].last().unwrap());
    let mut older = vars.clone();
    older.push(("CI_PIPELINE_CREATED_AT".to_owned(), "2026-11-20T10:00:00Z".to_owned()));
    let out = run_script(&world, &sh, &stop, &project, &older);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("superseded"), "{}", describe(&out));
    assert_eq!(world.previews(&world.remote(), "main")["shop-pr-12"], ["manifests", "preview.json"]);
    let out = run_script(&world, &sh, &stop, &project, &vars);
    assert!(out.status.success(), "preview:stop:\n{}", describe(&out));
    assert_eq!(world.previews(&world.remote(), "main")["shop-pr-12"], ["manifests", "removed.json"]);
    let out = run_script(&world, &sh, &stop, &project, &[("PREVIEW_APP".to_owned(), String::new())]);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("set PREVIEW_APP"),
        "{}",
        describe(&out)
    );
}

/// Stand-ins for `gh api` and `curl` that serve canned pages of comments and log every write, so
/// the comment steps' own logic (which comment they pick) runs as written. What GitHub and GitLab
/// answer for real is not checked here (see the README).
fn fake_apis(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    write(
        &bin,
        "gh",
        r#"#!/bin/bash
set -euo pipefail
[ "$1" = api ] && shift
method=GET; filter=; slurp=; url=
while [ $# -gt 0 ]; do
  case "$1" in
    --method) method=$2; shift 2 ;;
    --jq) filter=$2; shift 2 ;;
    --slurp) slurp=1; shift ;;
    --paginate) shift ;;
    -F|-f) shift 2 ;;
    *) url=$1; shift ;;
  esac
done
if [ "$method" != GET ]; then echo "$method $url" >> "$FAKE_LOG"; exit 0; fi
pages=("$FAKE_PAGES"/*.json)
if [ -n "$slurp" ]; then jq -s . "${pages[@]}"
elif [ -n "$filter" ]; then for page in "${pages[@]}"; do jq -r "$filter" "$page"; done
else cat "${pages[@]}"; fi
"#,
    );
    write(
        &bin,
        "curl",
        r#"#!/bin/bash
set -euo pipefail
method=GET; url=
while [ $# -gt 0 ]; do
  case "$1" in
    --request) method=$2; shift 2 ;;
    --header|--data) shift 2 ;;
    http*) url=$1; shift ;;
    *) shift ;;
  esac
done
case "$method $url" in
  "GET "*/user) echo '{"id": 42, "username": "project_7_bot"}' ;;
  "GET "*) cat "$FAKE_PAGES"/*.json | jq -s 'add' ;;
  *) echo "$method $url" >> "$FAKE_LOG" ;;
esac
"#,
    );
    for tool in ["gh", "curl"] {
        let path = bin.join(tool);
        let mut permissions = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&path, permissions).unwrap();
    }
    bin
}

/// Pages of comments: the marker quoted by a person, another bot comment, then the workflow's
/// own summaries, over two pages.
fn comment_pages(dir: &Path, author: &str, human: &str) {
    let summary = "<!-- kpreview:summary shop-pr-7 -->\n### Preview";
    let page1 = serde_json::json!([
        {"id": 1, "user": {"login": human}, "author": {"id": 7}, "body": format!("{summary}\nquoted by a person")},
        {"id": 2, "user": {"login": author}, "author": {"id": 42}, "body": "an unrelated comment"},
    ]);
    let page2 = serde_json::json!([
        {"id": 3, "user": {"login": author}, "author": {"id": 42}, "body": summary},
        {"id": 4, "user": {"login": author}, "author": {"id": 42}, "body": summary.replace("shop-pr-7", "blog-pr-7")},
        {"id": 5, "user": {"login": author}, "author": {"id": 42}, "body": summary},
    ]);
    write(dir, "pages/1.json", &page1.to_string());
    write(dir, "pages/2.json", &page2.to_string());
}

#[test]
fn the_comment_steps_edit_only_what_the_pipeline_wrote() {
    let scripts = github_scripts();
    let world = World::new();
    let dir = tempdir();
    let bin = fake_apis(dir.path());
    let log = dir.path().join("log");
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let writes = || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        text
    };
    write(dir.path(), "preview.md", "<!-- kpreview:summary shop-pr-7 -->\n### Preview\n");
    let mut vars: Vec<(String, String)> = [
        ("PATH", path.to_string_lossy().into_owned()),
        ("FAKE_LOG", log.display().to_string()),
        ("FAKE_PAGES", dir.path().join("pages").display().to_string()),
        ("RUNNER_TEMP", dir.path().display().to_string()),
        ("GITHUB_REPOSITORY", "example/shop".to_owned()),
        ("PR", "7".to_owned()),
        ("ACTION", "closed".to_owned()),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .to_vec();
    let bash = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"];
    let step = |job: &str, name: &str| scripts[&(job.to_owned(), name.to_owned())].clone();

    // GitHub: the first summary of the bot with this preview's marker is edited, not the person's.
    comment_pages(dir.path(), "github-actions[bot]", "mallory");
    vars.extend(
        [("RESULT", "ok"), ("BUILD", "success"), ("SUMMARY", "preview.md")].map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let out = run_script(&world, &bash, &step("publish", "Comment on the pull request"), dir.path(), &vars);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(writes(), "PATCH repos/example/shop/issues/comments/3\n");
    // On unpublish every summary of the bot is marked, and none of anyone else's.
    let out = run_script(&world, &bash, &step("unpublish", "Mark the comment"), dir.path(), &vars);
    assert!(out.status.success(), "{}", describe(&out));
    let marked = writes();
    assert_eq!(
        marked.lines().collect::<Vec<_>>(),
        [
            "PATCH repos/example/shop/issues/comments/3",
            "PATCH repos/example/shop/issues/comments/4",
            "PATCH repos/example/shop/issues/comments/5"
        ]
    );
    // No comment of the bot yet: a new one, whatever people wrote.
    comment_pages(dir.path(), "someone-else", "mallory");
    let out = run_script(&world, &bash, &step("publish", "Comment on the pull request"), dir.path(), &vars);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(writes(), "POST repos/example/shop/issues/7/comments\n");

    // GitLab: the token's own user's note (id 42 here) is edited.
    comment_pages(dir.path(), "github-actions[bot]", "mallory");
    let note = format!("{}\nnote preview.md", gitlab_scripts()[".kpreview-gitops"][1]);
    vars.extend(
        [
            ("CI_API_V4_URL", "https://gitlab.example.com/api/v4"),
            ("CI_MERGE_REQUEST_PROJECT_ID", "9"),
            ("CI_MERGE_REQUEST_IID", "7"),
            ("PREVIEW_API_TOKEN", "t"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let out = run_script(&world, &["sh", "-c"], &note, dir.path(), &vars);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(writes(), "PUT https://gitlab.example.com/api/v4/projects/9/merge_requests/7/notes/3\n");
}

/// A tool the tests install (scripts/test): next to the venv's Python (zizmor, from PyPI) or on
/// PATH (ShellCheck, from Debian).
fn tool(name: &str) -> PathBuf {
    let beside = python().parent().map(|dir| dir.join(name));
    beside.filter(|p| p.exists()).unwrap_or_else(|| PathBuf::from(name))
}

#[test]
fn zizmor_and_shellcheck_find_nothing() {
    let out = Command::new(tool("zizmor"))
        .args(["--offline", "--no-progress", "--format", "plain"])
        .arg(github())
        .arg(action())
        .output()
        .expect("zizmor (scripts/test installs it from scripts/requirements.txt)");
    assert!(out.status.success(), "zizmor:\n{}", describe(&out));
    // It bites: the workflow with a tag instead of a commit.
    let dir = tempdir();
    let text = std::fs::read_to_string(github()).unwrap();
    let unpinned = text.replace("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "actions/checkout@v4");
    let path = write(dir.path(), "preview.yml", &unpinned);
    let out =
        Command::new(tool("zizmor")).args(["--offline", "--no-progress", "--pedantic"]).arg(&path).output().unwrap();
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stdout).contains("unpinned-uses"),
        "{}",
        describe(&out)
    );

    let mut files = vec![("bash", entrypoint())];
    for ((job, step), script) in github_scripts() {
        files.push(("bash", write(dir.path(), &format!("gh-{job}-{}.sh", step.replace(' ', "-")), &script)));
    }
    for (job, lines) in gitlab_scripts() {
        // One shell runs a job's before_script and script: its functions and variables carry over.
        files.push(("sh", write(dir.path(), &format!("gl-{}.sh", job.replace(':', "-")), &lines.join("\n"))));
    }
    for (shell, file) in &files {
        // SC2016: backticks in single quotes are Markdown code spans of the comments, not commands.
        let args = ["--shell", shell, "--severity", "style", "--exclude", "SC2016"];
        let out = Command::new(tool("shellcheck")).args(args).arg(file).output();
        let out = out.expect("shellcheck (scripts/test installs it from Debian)");
        assert!(out.status.success(), "shellcheck {}:\n{}", file.display(), describe(&out));
    }
    let out = Command::new(tool("shellcheck"))
        .args(["--shell", "sh"])
        .arg(write(dir.path(), "bad.sh", "export A=\"$(date)\"\n"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "shellcheck bites (SC2155)");
}
