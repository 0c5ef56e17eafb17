//! `kpreview plan`: a golden of every format for the shared examples; for every golden case, the
//! JSON plan checked against the rendered manifests object by object, the DOT drawn by Graphviz
//! and the Mermaid put through a syntax check of our own; hostile values through every format;
//! errors identical to `render`'s; colour only on a terminal; the README's picture current.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use kpreview::spec::defaults::Inputs;
use serde_json::Value;

use crate::golden::{Case, cases};
use crate::support::{describe, kpreview, root, run_with_stdin, tempdir, write};

const FORMATS: [&str; 5] = ["text", "markdown", "mermaid", "dot", "json"];
const SHARED: [&str; 3] = ["shared-shop", "shared-integrated", "shared-frontend"];

fn plan(case: &Case, format: &str) -> Output {
    case.run(&["plan", "--format", format])
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "kpreview plan failed:\n{}", describe(output));
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

/// The cases that render, with at least the shared ones among them.
fn rendering_cases() -> Vec<Case> {
    let all: Vec<Case> = cases().into_iter().filter(|c| !c.name.starts_with("error-")).collect();
    assert!(all.len() >= 15, "expected at least 15 rendering golden cases, found {}", all.len());
    for shared in SHARED {
        assert!(all.iter().any(|c| c.name == shared), "{shared} is not a golden case");
    }
    all
}

fn snapshot(dir: &Path, name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn every_format_of_the_shared_examples_matches_its_golden() {
    let mut failed = Vec::new();
    for case in cases().into_iter().filter(|c| SHARED.contains(&c.name.as_str())) {
        let render_warnings = String::from_utf8_lossy(&case.run(&["render"]).stderr).into_owned();
        for format in FORMATS {
            let output = plan(&case, format);
            let text = stdout(&output);
            assert_eq!(
                String::from_utf8_lossy(&output.stderr),
                render_warnings,
                "{}: plan and render warn alike",
                case.name
            );
            if std::panic::catch_unwind(|| snapshot(&case.dir, &format!("plan.{format}"), &text)).is_err() {
                failed.push(format!("{}/plan.{format}", case.name));
            }
        }
    }
    assert!(failed.is_empty(), "goldens differ for: {failed:?} (review with `cargo insta review`)");
}

/// One rendered object as its manifest says: identity, then where Argo CD syncs it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Synced {
    phase: String,
    wave: i64,
    hook: bool,
    delete_policy: Option<String>,
}

type Key = (String, String, String);

/// Every object of a rendered stream, in order, from its own annotations.
fn manifest_objects(stream: &str) -> Vec<(Key, Synced, Value)> {
    let mut out = Vec::new();
    for doc in stream.split("\n---\n").map(|d| d.trim_start_matches("---\n")).filter(|d| !d.trim().is_empty()) {
        let value = kpreview::yaml::value_from_str(doc, kpreview::yaml::Limits::Stream).expect("rendered YAML");
        let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_owned();
        let annotation = |name: &str| {
            value.pointer("/metadata/annotations").and_then(|a| a.get(name)).and_then(Value::as_str).map(str::to_owned)
        };
        let wave = annotation("argocd.argoproj.io/sync-wave").expect("every object has a sync wave");
        let hook = annotation("argocd.argoproj.io/hook");
        let synced = Synced {
            phase: hook.clone().unwrap_or_else(|| "Sync".to_owned()),
            wave: wave.parse().expect("a whole-number wave"),
            hook: hook.is_some(),
            delete_policy: annotation("argocd.argoproj.io/hook-delete-policy"),
        };
        let key = (text("/kind"), text("/metadata/namespace"), text("/metadata/name"));
        out.push((key, synced, value));
    }
    out
}

fn phase_rank(phase: &str) -> usize {
    ["PreSync", "Sync", "PostDelete"].iter().position(|p| *p == phase).unwrap_or_else(|| panic!("phase {phase}"))
}

fn slot(value: &Value) -> (usize, i64) {
    (phase_rank(value["phase"].as_str().expect("phase")), value["wave"].as_i64().expect("wave"))
}

/// Each dependency with a URL has its variable in the Deployment; one without is a preview
/// service without a port.
fn dependencies_have_their_variables(name: &str, plan: &Value, service: &Value, deployment: &Value) {
    let service_name = service["name"].as_str().expect("name");
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"].as_array().cloned().unwrap_or_default();
    for dep in service["dependsOn"].as_array().expect("dependsOn") {
        let kind = dep["kind"].as_str().expect("kind");
        assert!(["service", "store", "otherPreview", "url", "staging"].contains(&kind), "{name}: kind {kind}");
        match (dep.get("env").and_then(Value::as_str), dep.get("url").and_then(Value::as_str)) {
            (Some(var), Some(url)) => {
                assert!(url.contains("://"), "{name}: {dep} has a URL");
                assert!(env.iter().any(|e| e["name"] == var), "{name}: {service_name} has no {var}");
            }
            (None, None) => {
                let target = plan["services"].as_array().expect("services").iter().find(|s| s["name"] == dep["name"]);
                assert_eq!(kind, "service", "{name}: only a preview service goes without a URL: {dep}");
                assert!(target.is_some_and(|t| t.get("port").is_none()), "{name}: {dep} has a port but no URL");
            }
            _ => panic!("{name}: {dep} has one of env and url without the other"),
        }
    }
}

/// Checks one case's JSON plan against its manifests; returns the number of objects compared.
fn agree(case: &Case, stream: &str, plan: &Value) -> usize {
    let name = &case.name;
    assert_eq!(plan["version"], 2, "{name}: version");
    let manifests = manifest_objects(stream);
    let index: BTreeMap<&Key, usize> = manifests.iter().enumerate().map(|(i, (k, _, _))| (k, i)).collect();
    assert_eq!(index.len(), manifests.len(), "{name}: objects are unique");

    let mut planned = 0;
    let mut effective = vec![None; manifests.len()];
    let mut previous_step = None;
    for step in plan["steps"].as_array().expect("steps") {
        let step_slot = slot(step);
        assert!(previous_step < Some(step_slot), "{name}: steps in phase and wave order");
        previous_step = Some(step_slot);
        let mut last_position = None;
        for object in step["objects"].as_array().expect("objects") {
            let field = |f: &str| object[f].as_str().unwrap_or_default().to_owned();
            let key = (field("kind"), field("namespace"), field("name"));
            let position =
                *index.get(&key).unwrap_or_else(|| panic!("{name}: the plan has {key:?}, the manifests do not"));
            let synced = &manifests[position].1;
            let expected = Synced {
                phase: step["phase"].as_str().expect("phase").to_owned(),
                wave: step["wave"].as_i64().expect("wave"),
                hook: object["hook"].as_bool().expect("hook"),
                delete_policy: object.get("hookDeletePolicy").and_then(Value::as_str).map(str::to_owned),
            };
            assert_eq!(&expected, synced, "{name}: {key:?} syncs where its annotations say");
            assert!(last_position < Some(position), "{name}: {key:?} keeps the stream's order within its step");
            last_position = Some(position);
            effective[position] = Some(object.get("appliedWith").map_or(step_slot, slot));
            planned += 1;
        }
    }
    assert_eq!(planned, manifests.len(), "{name}: the plan lists every rendered object once");
    let effective: Vec<(usize, i64)> = effective.into_iter().map(|s| s.expect("planned")).collect();
    assert!(effective.windows(2).all(|w| w[0] <= w[1]), "{name}: the stream is in the plan's apply order");

    let wave_of = |kind: &str, namespace: &str, name: &str| {
        let key = (kind.to_owned(), namespace.to_owned(), name.to_owned());
        let synced = &manifests[*index.get(&key).unwrap_or_else(|| panic!("{key:?} is rendered"))].1;
        (phase_rank(&synced.phase), synced.wave)
    };
    let namespace = plan["namespace"].as_str().expect("namespace");
    for service in plan["services"].as_array().expect("services") {
        let service_name = service["name"].as_str().expect("name");
        assert_eq!(slot(service), wave_of("Deployment", namespace, service_name), "{name}: service {service_name}");
        if let Some(job) = service.get("migration") {
            let job_name = job["name"].as_str().expect("job");
            assert_eq!(slot(job), wave_of("Job", namespace, job_name), "{name}: migration of {service_name}");
        }
        let deployment = &manifests[index[&("Deployment".to_owned(), namespace.to_owned(), service_name.to_owned())]].2;
        dependencies_have_their_variables(name, plan, service, deployment);
    }
    for store in plan["stores"].as_array().expect("stores") {
        let store_name = store["name"].as_str().expect("name");
        assert_eq!(slot(store), wave_of("StatefulSet", namespace, store_name), "{name}: store {store_name}");
        let seed = &store["seed"];
        match seed["kind"].as_str().expect("seed kind") {
            "velero" => {
                let job = &seed["job"];
                let (job_ns, job_name) = (job["namespace"].as_str().expect("ns"), job["name"].as_str().expect("job"));
                assert_eq!(slot(job), wave_of("Job", job_ns, job_name), "{name}: restore of {store_name}");
                let args = &manifests[index[&("Job".to_owned(), job_ns.to_owned(), job_name.to_owned())]].2["spec"]["template"]
                    ["spec"]["containers"][0]["args"];
                assert!(args.to_string().contains(&format!("\"--store\",\"{store_name}\"")), "{name}: {args}");
            }
            "snapshot" => {
                let snapshot = seed["volumeSnapshot"].as_str().expect("volumeSnapshot");
                assert_eq!(slot(seed), wave_of("VolumeSnapshot", namespace, snapshot), "{name}: {store_name}");
                let content = seed["volumeSnapshotContent"].as_str().expect("content");
                let (_, _, object) =
                    &manifests[index[&("VolumeSnapshotContent".to_owned(), String::new(), content.to_owned())]];
                assert_eq!(object["spec"]["source"]["snapshotHandle"], seed["handle"], "{name}: {store_name}");
            }
            "image" | "empty" => {}
            other => panic!("{name}: seed kind {other}"),
        }
    }
    for host in plan["hosts"].as_array().expect("hosts") {
        let service = host["service"].as_str().expect("service");
        let route = ("HTTPRoute".to_owned(), namespace.to_owned(), service.to_owned());
        let tls = if let Some(&i) = index.get(&route) {
            let (_, _, route) = &manifests[i];
            assert_eq!(route["spec"]["hostnames"][0], host["host"], "{name}: host of {service}");
            // A Gateway's listener terminates TLS; the spec says whether it serves https.
            host["url"].as_str().is_some_and(|u| u.starts_with("https://"))
        } else {
            let (_, _, ingress) = &manifests[index[&("Ingress".to_owned(), namespace.to_owned(), service.to_owned())]];
            assert_eq!(ingress["spec"]["rules"][0]["host"], host["host"], "{name}: host of {service}");
            ingress["spec"]["tls"].as_array().is_some_and(|t| t.iter().any(|t| t["hosts"][0] == host["host"]))
        };
        assert_eq!(host["tls"].as_bool(), Some(tls), "{name}: TLS of {service}");
        let scheme = if tls { "https" } else { "http" };
        assert_eq!(host["url"], format!("{scheme}://{}", host["host"].as_str().expect("host")), "{name}");
    }
    planned
}

#[test]
fn the_json_plan_and_the_manifests_agree_on_every_golden() {
    let mut compared = 0;
    for case in rendering_cases() {
        let stream = case.rendered().expect("renders");
        let plan: Value = serde_json::from_str(&stdout(&plan(&case, "json"))).expect("JSON");
        compared += agree(&case, &stream, &plan);
    }
    assert!(compared > 250, "only {compared} objects were compared");
}

/// Every key of a JSON value and every `kind` of ours (camelCase; Kubernetes kinds are PascalCase
/// and not ours to document), except inside `tags` (the user's own keys).
fn json_names(value: &Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                out.insert(key.clone());
                if let Some(kind) = inner.as_str().filter(|k| key == "kind" && k.starts_with(char::is_lowercase)) {
                    out.insert(kind.to_owned());
                }
                if key != "tags" {
                    json_names(inner, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| json_names(item, out)),
        _ => {}
    }
}

#[test]
fn every_field_of_the_json_plan_is_documented() {
    let doc = std::fs::read_to_string(root().join("docs/plan-json.md")).expect("docs/plan-json.md");
    let mut names = std::collections::BTreeSet::new();
    for case in rendering_cases() {
        json_names(&serde_json::from_str(&stdout(&plan(&case, "json"))).expect("JSON"), &mut names);
    }
    for expected in
        ["appliedWith", "hookDeletePolicy", "migration", "otherPreview", "velero", "snapshot", "image", "tags"]
    {
        assert!(names.contains(expected), "no golden shows `{expected}`: the check below would miss it");
    }
    let undocumented: Vec<&String> = names.iter().filter(|n| !doc.contains(&format!("`{n}`"))).collect();
    assert!(undocumented.is_empty(), "docs/plan-json.md does not document {undocumented:?}");
    let example = doc.split_once("```json\n").and_then(|(_, rest)| rest.split_once("```")).expect("an example").0;
    let example: Value = serde_json::from_str(example).expect("the example is JSON");
    assert_eq!(example["version"], 2);
}

fn graphviz(dot: &str) -> Output {
    let mut cmd = Command::new("dot");
    cmd.arg("-Tsvg");
    run_with_stdin(&mut cmd, dot.as_bytes())
}

#[test]
fn the_dot_of_every_golden_draws_with_graphviz() {
    for case in rendering_cases() {
        let dot = stdout(&plan(&case, "dot"));
        let output = graphviz(&dot);
        assert!(
            output.status.success() && output.stderr.is_empty(),
            "{}: dot refused it:\n{}",
            case.name,
            describe(&output)
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("</svg>"), "{}", case.name);
    }
}

#[test]
fn the_mermaid_of_every_golden_passes_the_syntax_check() {
    for case in rendering_cases() {
        let steps = serde_json::from_str::<Value>(&stdout(&plan(&case, "json"))).expect("JSON")["steps"]
            .as_array()
            .map_or(0, Vec::len);
        let mermaid = stdout(&plan(&case, "mermaid"));
        let shape = mermaid_syntax::check(&mermaid).unwrap_or_else(|e| panic!("{}: {e}\n{mermaid}", case.name));
        assert_eq!(shape.steps, steps, "{}: one subgraph per step", case.name);
        let markdown = stdout(&plan(&case, "markdown"));
        let block = markdown
            .split_once("```mermaid\n")
            .and_then(|(_, rest)| rest.split_once("```\n"))
            .map_or_else(|| panic!("{}: no mermaid block in\n{markdown}", case.name), |(block, _)| block);
        assert_eq!(block, mermaid, "{}: the Markdown carries the same diagram", case.name);
        let fences = markdown.lines().filter(|l| l.trim_start().starts_with("```")).count();
        assert_eq!(fences, 2, "{}: nothing else opens or closes a fence", case.name);
    }
}

#[test]
fn the_mermaid_check_refuses_what_github_would_not_draw() {
    let good = "flowchart LR\n  subgraph s0[\"a\"]\n    n0[\"x\"]\n  end\n  n1{{\"y\"}}\n  n1 -.-> n0\n  linkStyle 0 stroke:#000\n";
    mermaid_syntax::check(good).expect("a good diagram");
    let bad = [
        ("no header", "graph\n"),
        ("unclosed subgraph", "flowchart LR\n  subgraph s0[\"a\"]\n    n0[\"x\"]\n"),
        ("stray end", "flowchart LR\n  n0[\"x\"]\n  end\n"),
        ("undeclared node", "flowchart LR\n  n0[\"x\"]\n  n0 --> n1\n"),
        ("reserved id", "flowchart LR\n  end[\"x\"]\n"),
        ("o id", "flowchart LR\n  ops[\"x\"]\n"),
        ("quote in label", "flowchart LR\n  n0[\"a\"b\"]\n"),
        ("bracket in label", "flowchart LR\n  n0[\"a]b\"]\n"),
        ("bare #", "flowchart LR\n  n0[\"a#b\"]\n"),
        ("html in label", "flowchart LR\n  n0[\"<b>a</b>\"]\n"),
        ("markdown in label", "flowchart LR\n  n0[\"a_b*\"]\n"),
        ("duplicate id", "flowchart LR\n  n0[\"x\"]\n  n0[\"y\"]\n"),
        ("mismatched shape", "flowchart LR\n  n0[(\"x\"]]\n"),
        ("link style out of range", "flowchart LR\n  n0[\"x\"]\n  n1[\"y\"]\n  n0 --> n1\n  linkStyle 1 stroke:#000\n"),
        ("class of unknown node", "flowchart LR\n  n0[\"x\"]\n  classDef a fill:#fff\n  class n1 a\n"),
        ("unknown statement", "flowchart LR\n  click n0 call alert()\n"),
    ];
    for (what, source) in bad {
        assert!(mermaid_syntax::check(source).is_err(), "{what} passed the check:\n{source}");
    }
}

const HOSTILE_SPEC: &str = r#"apiVersion: kpreview.dev/v1alpha1
kind: Preview
metadata:
  name: end
spec:
  pullRequest: {number: 9, headSha: 0123456789abcdef0123456789abcdef01234567, branch: "feat/\"]) end <b>*_`|#quot;%%"}
  domain: preview.example.com
  services:
    end:
      image: registry.example.com/x/end:1
      port: 80
      expose: true
      dependsOn: [subgraph, graph, pay, o, x, class, db, blob, style]
  dependencies:
    pay: {url: "https://pay.example.com/\"]);end;<b>*_`|%%#quot;{x}\\N"}
    style: {preview: 8}
  dataStores:
    db:
      engine: postgres
      seed: {velero: {backup: nightly.end, namespace: base}}
    blob:
      engine: mongodb
      storage: 30Gi
      seed: {snapshot: {tags: {"team\"]": "a`b|c<d>\u001b[2J"}}}
"#;

const HOSTILE_LOCK: &str = r#"apiVersion: kpreview.dev/v1alpha1
kind: PreviewLock
snapshots:
  blob:
    tags: {"team\"]": "a`b|c<d>\u001b[2J"}
    snapshotId: "snap-\"]);end`x``"
    startTime: "2026-11-20T03:00:00Z"
    volumeSizeGib: 30
"#;

#[test]
fn hostile_values_cannot_break_any_format() {
    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", HOSTILE_SPEC);
    write(dir.path(), "preview.lock", HOSTILE_LOCK);
    let run = |format: &str| {
        let output = kpreview().arg("plan").arg(&spec).args(["--format", format]).output().expect("run");
        stdout(&output)
    };
    let text = run("text");
    assert!(!text.contains('\u{1b}'), "a value reached the terminal raw:\n{text}");
    assert!(text.contains("a`b|c<d>\\u{1b}[2J"), "{text}");

    let mermaid = run("mermaid");
    mermaid_syntax::check(&mermaid).unwrap_or_else(|e| panic!("{e}\n{mermaid}"));
    assert!(mermaid.contains("pay<br/>https://pay.example.com/#34;#93;#41;#59;end"), "{mermaid}");

    let dot = run("dot");
    let drawn = graphviz(&dot);
    assert!(drawn.status.success() && drawn.stderr.is_empty(), "{}", describe(&drawn));
    let svg = String::from_utf8_lossy(&drawn.stdout);
    assert!(svg.contains("https://pay.example.com/&quot;]);end;&lt;b&gt;*_`|%%#quot;{x}\\N"), "{svg}");

    let markdown = run("markdown");
    assert!(markdown.contains("(``feat/\"]) end <b>*_`|#quot;%%`` at `0123456`)"), "{markdown}");
    assert!(markdown.contains("snapshot ``` snap-\"]);end`x`` ``` (locked from tags)"), "{markdown}");
    assert_eq!(markdown.lines().filter(|l| l.trim_start().starts_with("```")).count(), 2, "{markdown}");

    let json: Value = serde_json::from_str(&run("json")).expect("JSON");
    assert_eq!(json["stores"][0]["seed"]["tags"]["team\"]"], "a`b|c<d>\u{1b}[2J", "JSON keeps values exact");
}

#[test]
fn error_specs_fail_plan_exactly_as_they_fail_render() {
    let errors: Vec<Case> = cases().into_iter().filter(|c| c.name.starts_with("error-")).collect();
    assert!(errors.len() >= 5, "expected the error golden cases");
    for case in errors {
        let render = case.run(&["render"]);
        for format in FORMATS {
            let plan = plan(&case, format);
            assert!(!render.status.success(), "{}: render fails", case.name);
            assert!(plan.stdout.is_empty(), "{}: a failed plan printed:\n{}", case.name, describe(&plan));
            assert_eq!(plan.status.code(), render.status.code(), "{}: exit code", case.name);
            assert_eq!(
                String::from_utf8_lossy(&plan.stderr),
                String::from_utf8_lossy(&render.stderr),
                "{}: plan and render report the same problems",
                case.name
            );
        }
    }
}

#[test]
fn an_unknown_format_is_a_usage_error() {
    let output = kpreview()
        .current_dir(root())
        .args(["plan", "examples/shop/preview.yaml", "--format", "svg"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("text, markdown, mermaid, dot, json"), "{stderr}");
}

/// Runs `kpreview plan` on the shop example under a pseudo-terminal (`script`), as a person would.
fn on_a_terminal(no_color: bool) -> String {
    let spec = root().join("examples/shop/preview.yaml");
    let command = format!("'{}' plan '{}'", crate::support::kpreview_path().display(), spec.display());
    let mut script = Command::new("script");
    script.args(["-q", "-e", "-c", &command, "/dev/null"]).env("TERM", "xterm-256color").stdin(Stdio::null());
    for var in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "PREVIEW_PR_NUMBER", "PREVIEW_HEAD_SHA", "PREVIEW_BRANCH"] {
        script.env_remove(var);
    }
    if no_color {
        script.env("NO_COLOR", "1");
    }
    let output = script.output().expect("script(1) from util-linux");
    assert!(output.status.success(), "{}", describe(&output));
    String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n")
}

#[test]
fn text_is_coloured_on_a_terminal_unless_no_color_is_set() {
    let coloured = on_a_terminal(false);
    assert!(coloured.contains("\u{1b}[1mPreview"), "no colour on a terminal:\n{coloured}");
    let plain = on_a_terminal(true);
    assert!(!plain.contains('\u{1b}'), "colour despite NO_COLOR:\n{plain}");
    let piped = kpreview().current_dir(root()).args(["plan", "examples/shop/preview.yaml"]).output().expect("run");
    assert_eq!(plain, stdout(&piped), "the same text on a terminal without colour as through a pipe");
}

#[test]
fn the_pr_summary_is_the_markdown_plan() {
    let spec = std::fs::read_to_string(root().join("examples/shop/preview.yaml")).expect("example");
    let model = kpreview::prepare(&spec, "preview.yaml", &Inputs::default(), None).expect("valid");
    let manifests = kpreview::render(&model);
    let summary = kpreview::plan::markdown_for(&model, &manifests).expect("plan");
    let cli = kpreview()
        .current_dir(root())
        .args(["plan", "examples/shop/preview.yaml", "-f", "markdown"])
        .output()
        .expect("run");
    assert_eq!(summary, stdout(&cli));
    let diagram = kpreview::plan::mermaid_for(&model, &manifests).expect("plan");
    assert!(summary.contains(&format!("```mermaid\n{diagram}```\n")));
}

#[test]
fn a_plan_refuses_manifests_of_another_spec() {
    let read = |path: &str| std::fs::read_to_string(root().join(path)).expect("example");
    let shop = kpreview::prepare(&read("examples/shop/preview.yaml"), "shop", &Inputs::default(), None).expect("valid");
    let market =
        kpreview::prepare(&read("testdata/shared-integrated/preview.yaml"), "market", &Inputs::default(), None)
            .expect("valid");
    let error = kpreview::plan::Plan::of(&shop, &kpreview::render(&market)).expect_err("a mismatch");
    assert!(error.to_string().contains("Deployment `api`"), "{error}");
}

/// The committed DOT is what the code draws now, the committed SVG what Graphviz makes of it and
/// the README's text what `plan` prints, so the README cannot go stale (`scripts/plan-pictures`).
#[test]
fn the_readme_picture_and_text_are_current() {
    let regenerate = "run scripts/plan-pictures and commit the result";
    let output = kpreview()
        .current_dir(root())
        .args(["plan", "examples/shop/preview.yaml", "--format", "dot"])
        .output()
        .expect("run");
    let committed_dot = std::fs::read_to_string(root().join("docs/plan-shop.dot")).expect("docs/plan-shop.dot");
    assert!(committed_dot == stdout(&output), "docs/plan-shop.dot is stale: {regenerate}");
    let svg = graphviz(&committed_dot);
    assert!(svg.status.success(), "{}", describe(&svg));
    let committed_svg = std::fs::read_to_string(root().join("docs/plan-shop.svg")).expect("docs/plan-shop.svg");
    assert!(committed_svg == String::from_utf8_lossy(&svg.stdout), "docs/plan-shop.svg is stale: {regenerate}");

    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    assert!(readme.contains("(docs/plan-shop.svg)"), "the README shows the picture");
    let text =
        stdout(&kpreview().current_dir(root()).args(["plan", "examples/shop/preview.yaml"]).output().expect("run"));
    assert!(
        readme.contains(&format!("```text\n$ kpreview plan examples/shop/preview.yaml\n{text}```")),
        "the README's text plan is stale: {regenerate}"
    );
}

/// A syntax check for the Mermaid flowcharts kpreview writes: the statements it uses and nothing
/// else, with the rules GitHub's Mermaid enforces or trips over. Not a Mermaid parser: a
/// diagram that passes uses only constructs whose syntax this check pins down.
mod mermaid_syntax {
    use std::collections::BTreeSet;

    /// What a checked diagram holds.
    pub struct Shape {
        /// Subgraphs that are steps (`s<n>`).
        pub steps: usize,
    }

    const RESERVED: &[&str] = &[
        "end",
        "subgraph",
        "graph",
        "flowchart",
        "direction",
        "class",
        "classDef",
        "click",
        "style",
        "linkStyle",
        "default",
        "call",
        "href",
    ];
    const SHAPES: &[(&str, &str)] = &[("[(", ")]"), ("[[", "]]"), ("[/", "/]"), ("([", "])"), ("{{", "}}"), ("[", "]")];
    const ARROWS: &[&str] = &["-.->", "-->", "==>", "~~~"];

    fn id(text: &str) -> Result<&str, String> {
        let ok = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(text))
            // `A---oB` and `A---xB` are circle and cross edges: ids starting so are ambiguous.
            && !text.starts_with(['o', 'x']);
        if ok { Ok(text) } else { Err(format!("`{text}` is not a safe node id")) }
    }

    /// A quoted label: only letters, digits, space and `.,:/-+=`, entity codes and `<br/>`.
    fn label(quoted: &str) -> Result<(), String> {
        let inner = quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .ok_or_else(|| format!("label {quoted} is not quoted"))?;
        let mut rest = inner.replace("<br/>", " ");
        while let Some(at) = rest.find('#') {
            let tail = &rest[at + 1..];
            let end = tail.find(';').ok_or_else(|| format!("`#` outside an entity in {quoted}"))?;
            let code = &tail[..end];
            let entity = !code.is_empty()
                && (code.chars().all(|c| c.is_ascii_digit()) || code.chars().all(|c| c.is_ascii_alphabetic()));
            if !entity {
                return Err(format!("`#{code};` is not an entity code in {quoted}"));
            }
            rest = format!("{}{}", &rest[..at], &tail[end + 1..]);
        }
        match rest.chars().find(|c| !(c.is_ascii_alphanumeric() || " .,:/-+=".contains(*c))) {
            Some(c) => Err(format!("unescaped `{c}` in label {quoted}")),
            None => Ok(()),
        }
    }

    fn css(text: &str) -> Result<(), String> {
        let ok = !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "#:,.- ".contains(c));
        if ok { Ok(()) } else { Err(format!("style `{text}` has characters Mermaid would misread")) }
    }

    /// A node's shape and label, after its id.
    fn node(name: &str, shape: &str) -> Result<(), String> {
        let (open, close) = SHAPES
            .iter()
            .find(|(o, c)| shape.starts_with(o) && shape.ends_with(c) && shape.len() >= o.len() + c.len() + 2)
            .ok_or_else(|| format!("node `{name}` has no shape this check knows: {shape}"))?;
        label(&shape[open.len()..shape.len() - close.len()])
    }

    /// An edge after its source id: the arrow, an optional label and the target id. `None` when
    /// it is no edge at all.
    fn edge(rest: &str) -> Option<Result<&str, String>> {
        let arrow = ARROWS.iter().find(|a| rest.starts_with(**a))?;
        let target = rest[arrow.len()..].trim_start();
        Some(match target.strip_prefix('|') {
            Some(labelled) => match labelled.split_once("\"| ") {
                Some((text, after)) => label(&format!("{text}\"")).map(|()| after),
                None => Err(format!("bad edge label: {rest}")),
            },
            None => Ok(target),
        })
    }

    pub fn check(source: &str) -> Result<Shape, String> {
        let mut lines = source.lines().map(str::trim).filter(|l| !l.is_empty());
        match lines.next() {
            Some("flowchart LR" | "flowchart TB" | "flowchart TD" | "flowchart RL" | "flowchart BT") => {}
            other => return Err(format!("expected `flowchart <direction>`, found {other:?}")),
        }
        let mut open: Vec<String> = Vec::new();
        let mut ids = BTreeSet::new();
        let mut nodes = BTreeSet::new();
        let mut classes = BTreeSet::new();
        let (mut link_count, mut steps) = (0usize, 0usize);
        for line in lines {
            let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
            match head {
                "end" if rest.is_empty() => {
                    open.pop().ok_or("`end` without a subgraph")?;
                }
                "subgraph" => {
                    let (name, title) =
                        rest.split_once('[').ok_or_else(|| format!("subgraph without a title: {line}"))?;
                    let title = title.strip_suffix(']').ok_or_else(|| format!("unclosed title: {line}"))?;
                    label(title)?;
                    if !ids.insert(id(name)?.to_owned()) {
                        return Err(format!("`{name}` declared twice"));
                    }
                    if name.starts_with('s') && name[1..].chars().all(|c| c.is_ascii_digit()) {
                        steps += 1;
                    }
                    open.push(name.to_owned());
                }
                "direction" => {
                    if open.is_empty() || !["TB", "LR", "BT", "RL"].contains(&rest) {
                        return Err(format!("misplaced or unknown `{line}`"));
                    }
                }
                "classDef" => {
                    let (name, style) = rest.split_once(' ').ok_or_else(|| format!("empty classDef: {line}"))?;
                    css(style)?;
                    classes.insert(id(name)?.to_owned());
                }
                "class" => {
                    let (members, name) = rest.split_once(' ').ok_or_else(|| format!("bad class line: {line}"))?;
                    if !classes.contains(name) {
                        return Err(format!("class `{name}` is not defined"));
                    }
                    if let Some(unknown) = members.split(',').find(|m| !nodes.contains(*m)) {
                        return Err(format!("class on undeclared node `{unknown}`"));
                    }
                }
                "linkStyle" => {
                    let (indices, style) = rest.split_once(' ').ok_or_else(|| format!("bad linkStyle: {line}"))?;
                    css(style)?;
                    for index in indices.split(',') {
                        let index: usize = index.parse().map_err(|_| format!("bad link index `{index}`"))?;
                        if index >= link_count {
                            return Err(format!("linkStyle {index} but only {link_count} links"));
                        }
                    }
                }
                _ => {
                    let split = line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(line.len());
                    let (name, after) = line.split_at(split);
                    if after.starts_with(['[', '(', '{']) {
                        node(name, after)?;
                        if !ids.insert(id(name)?.to_owned()) {
                            return Err(format!("`{name}` declared twice"));
                        }
                        nodes.insert(name.to_owned());
                    } else {
                        let target = edge(after.trim_start())
                            .ok_or_else(|| format!("not a statement this check knows: {line}"))??;
                        for end in [name, target] {
                            if !nodes.contains(end) {
                                return Err(format!("edge `{line}` names undeclared node `{end}`"));
                            }
                        }
                        link_count += 1;
                    }
                }
            }
        }
        if let Some(unclosed) = open.last() {
            return Err(format!("subgraph `{unclosed}` is never closed"));
        }
        Ok(Shape { steps })
    }
}
