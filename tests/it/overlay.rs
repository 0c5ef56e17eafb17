//! `kpreview publish --overlay`: a real kustomize overlay (the kpreview generator plus a sidecar
//! patch, an extra ConfigMap and an image override) built by real `kubectl kustomize` and published
//! into a real git repository; what lands equals what `kubectl kustomize` prints with the plugin
//! installed, `--pr` wins over the spec, and a failing overlay changes nothing. Also the CI
//! pipelines of `functions/ci`.

mod pipelines;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::gitops::fixture::{World, assert_same, state, stderr, stdout};
use crate::support::{describe, kpreview, tempdir, validate_manifests, write};

const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";
const NOW: &str = "2026-11-21T10:00:00Z";

/// The app's preview spec, with `pull_request` (YAML) under `spec.pullRequest` when given.
fn spec(pull_request: Option<&str>) -> String {
    let pr = pull_request.map(|p| format!("  pullRequest: {p}\n")).unwrap_or_default();
    format!(
        "apiVersion: kpreview.dev/v1alpha1
kind: Preview
metadata:
  name: shop
spec:
{pr}  domain: preview.example.com
  ttl: 24h
  ingress: {{className: nginx, tls: {{secretName: preview-wildcard-tls}}}}
  services:
    web:
      image: registry.example.com/shop/web:{{{{ pr.headSha }}}}
      port: 8080
      expose: true
      dependsOn: [db]
  dataStores:
    db:
      engine: postgres
      seed: {{velero: {{backup: nightly, namespace: preview-base}}}}
"
    )
}

/// The sidecar the overlay patches into the web Deployment: as locked down as kpreview's own
/// containers, so the result still validates and passes Pod Security `restricted`.
const SIDECAR_PATCH: &str = "- op: add
  path: /spec/template/spec/containers/-
  value:
    name: log-shipper
    image: registry.example.com/log-shipper:1.2
    resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {memory: 64Mi}}
    securityContext:
      allowPrivilegeEscalation: false
      runAsNonRoot: true
      capabilities: {drop: [ALL]}
      seccompProfile: {type: RuntimeDefault}
";

/// An app repository laid out as teams do: `base/` renders the spec through the generator,
/// `preview/` (the overlay CI publishes) adds a sidecar, a ConfigMap and an image override.
/// `overlay_extra` is appended to the overlay's kustomization. Returns the overlay directory.
fn app(root: &Path, pull_request: Option<&str>, overlay_extra: &str) -> PathBuf {
    let app = root.join("app");
    write(&app, "base/kustomization.yaml", "generators:\n- spec\n");
    write(&app, "base/spec/kustomization.yaml", "resources:\n- preview.yaml\n");
    write(&app, "base/spec/preview.yaml", &spec(pull_request));
    write(
        &app,
        "preview/feature-flags.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: feature-flags\ndata:\n  checkout-v2: \"on\"\n",
    );
    let patch = SIDECAR_PATCH.lines().map(|l| format!("    {l}\n")).collect::<Vec<_>>().concat();
    write(
        &app,
        "preview/kustomization.yaml",
        &format!(
            "resources:\n- ../base\n- feature-flags.yaml\nimages:\n- name: registry.example.com/shop/web\n  newTag: hotfix-7\npatches:\n- target: {{kind: Deployment, name: web}}\n  patch: |-\n{patch}{overlay_extra}"
        ),
    );
    app.join("preview")
}

/// `kpreview publish --overlay DIR --repo REPO` plus `args`, in the world, with a private XDG
/// config home (which must stay empty) and no plugin home of the caller's.
fn publish(world: &World, overlay: &Path, repo: &Path, args: &[&str]) -> Command {
    let mut cmd = world.kpreview();
    cmd.env("XDG_CONFIG_HOME", world.root().join("xdg")).env_remove("KUSTOMIZE_PLUGIN_HOME");
    cmd.arg("publish").arg("--overlay").arg(overlay).arg("--repo").arg(repo).args(args);
    cmd
}

fn run(mut cmd: Command) -> Output {
    cmd.output().expect("run kpreview")
}

fn ok(cmd: Command) -> Output {
    let output = run(cmd);
    assert!(output.status.success(), "{}", describe(&output));
    output
}

fn fails(cmd: Command) -> Output {
    let output = run(cmd);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    output
}

/// `kubectl kustomize --enable-alpha-plugins DIR` with kpreview installed the documented way
/// (`install-plugin --dir`) into a home of its own.
fn kubectl_kustomize(dir: &Path, env: &[(&str, &str)]) -> Output {
    let home = tempdir();
    let install = kpreview().arg("install-plugin").arg("--dir").arg(home.path()).output().expect("install-plugin");
    assert!(install.status.success(), "{}", describe(&install));
    let mut cmd = Command::new("kubectl");
    cmd.args(["kustomize", "--enable-alpha-plugins"]).arg(dir).env("KUSTOMIZE_PLUGIN_HOME", home.path());
    for var in ["PREVIEW_PR_NUMBER", "PREVIEW_HEAD_SHA", "PREVIEW_BRANCH", "KPREVIEW_PR_NUMBER", "KPREVIEW_HEAD_SHA"] {
        cmd.env_remove(var);
    }
    cmd.env_remove("KPREVIEW_BRANCH").envs(env.iter().copied());
    cmd.output().expect("run kubectl kustomize")
}

/// Every document of a stream, split at `---` lines (not with the reader under test).
fn docs(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for doc in format!("\n{text}").split("\n---\n") {
        if !doc.trim().is_empty() {
            out.push(kpreview::yaml::value_from_str(doc, kpreview::yaml::Limits::Stream).expect("a YAML document"));
        }
    }
    out
}

fn key(object: &Value) -> String {
    let at = |p: &str| object.pointer(p).and_then(Value::as_str).unwrap_or_default().to_owned();
    format!("{} {} {}/{}", at("/apiVersion"), at("/kind"), at("/metadata/namespace"), at("/metadata/name"))
}

/// The published manifests: file name and object, in file-name order.
fn published(repo: &Path, namespace: &str) -> Vec<(String, Value)> {
    let dir = repo.join("previews").join(namespace).join("manifests");
    let mut files: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read");
            let mut objects = docs(&text);
            assert_eq!(objects.len(), 1, "{} holds one object", p.display());
            (p.file_name().unwrap().to_string_lossy().into_owned(), objects.remove(0))
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// File names without their index: `deployment-shop-pr-42-web.yaml`.
fn unindexed(names: impl IntoIterator<Item = String>) -> Vec<String> {
    names.into_iter().map(|n| n.split_once('-').map(|(_, rest)| rest.to_owned()).unwrap_or(n)).collect()
}

#[test]
fn an_overlay_is_published_exactly_as_kubectl_kustomize_builds_it() {
    let world = World::new();
    let repo = world.clone("ci");
    let overlay = app(&world.root(), None, "");
    let summary = world.root().join("comment.md");
    let out = ok({
        let mut cmd = publish(&world, &overlay, &repo, &["--pr", "42", "--sha", SHA, "--branch", "feature/x"]);
        cmd.args(["--now", NOW, "--summary"]).arg(&summary);
        cmd
    });

    let files = published(&repo, "shop-pr-42");
    let env = [("PREVIEW_PR_NUMBER", "42"), ("PREVIEW_HEAD_SHA", SHA), ("PREVIEW_BRANCH", "feature/x")];
    let built = kubectl_kustomize(&overlay, &env);
    assert!(built.status.success(), "{}", describe(&built));
    let expected: BTreeMap<String, Value> = docs(&stdout(&built)).into_iter().map(|o| (key(&o), o)).collect();
    let actual: BTreeMap<String, Value> = files.iter().map(|(_, o)| (key(o), o.clone())).collect();
    assert_eq!(actual.len(), files.len(), "an object published twice");
    assert_eq!(actual.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (k, object) in &expected {
        assert_eq!(&actual[k], object, "{k} differs from what kubectl kustomize prints");
    }

    // The overlay's own changes are there.
    let web = &actual["apps/v1 Deployment shop-pr-42/web"];
    let containers = web.pointer("/spec/template/spec/containers").and_then(Value::as_array).expect("containers");
    let images: Vec<&str> = containers.iter().filter_map(|c| c["image"].as_str()).collect();
    assert_eq!(images, ["registry.example.com/shop/web:hotfix-7", "registry.example.com/log-shipper:1.2"]);
    assert_eq!(actual["v1 ConfigMap /feature-flags"]["data"]["checkout-v2"], "on");

    // Apply order, named as `render -o` names kpreview's objects; the ConfigMap where Argo CD
    // applies it (wave 0, after the quota kinds, before the data stores of wave 1).
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    let rendered = world.root().join("rendered");
    let spec_file = overlay.join("../base/spec/preview.yaml");
    let spec_arg = spec_file.to_string_lossy();
    let rendered_arg = rendered.to_string_lossy();
    world.ok(&["render", &spec_arg, "--pr", "42", "--sha", SHA, "--branch", "feature/x", "-o", &rendered_arg]);
    let mut render_names: Vec<String> =
        std::fs::read_dir(&rendered).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    render_names.sort();
    let configmap = names.iter().position(|n| n.ends_with("-configmap-feature-flags.yaml")).expect("the ConfigMap");
    let mut without_configmap = names.clone();
    without_configmap.remove(configmap);
    assert_eq!(unindexed(without_configmap), unindexed(render_names.clone()), "kpreview's objects in render's order");
    assert!(names[configmap - 1].contains("-limitrange-"), "{names:?}");
    assert!(names[configmap + 1].contains("-service-shop-pr-42-db"), "{names:?}");

    let meta = std::fs::read_to_string(repo.join("previews/shop-pr-42/preview.json")).unwrap();
    let meta: Value = serde_json::from_str(&meta).unwrap();
    assert_eq!(
        meta,
        serde_json::json!({"app": "shop", "namespace": "shop-pr-42", "pr": "42", "sha": SHA, "branch": "feature/x",
            "created": NOW, "updated": NOW, "ttl": "24h", "expires": "2026-11-22T10:00:00Z",
            "kept": "", "sleeping": "", "woken": ""})
    );
    assert_eq!(world.subjects(&repo, "HEAD")[0], "Publish preview shop-pr-42: PR #42 at 4f9c2d1");

    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(markdown, stdout(&out));
    assert!(
        markdown.starts_with("<!-- kpreview:summary shop-pr-42 -->\n### Preview `shop-pr-42` of #42"),
        "{markdown}"
    );
    assert!(markdown.contains("| web | <https://web-shop-pr-42.preview.example.com/> |"), "{markdown}");
    assert!(
        markdown.contains("| db (PostgreSQL) | Velero backup `nightly` of namespace `preview-base` |"),
        "{markdown}"
    );
    assert!(markdown.contains("Expires **2026-11-22T10:00:00Z**, 24h after this publish"), "{markdown}");
    assert!(stderr(&out).contains("building "), "says what it waits on: {}", stderr(&out));

    // Nothing was installed: not in HOME, not in XDG_CONFIG_HOME.
    for dir in [".config/kustomize", "kustomize", "xdg"] {
        assert!(!world.root().join(dir).exists(), "{dir} was created");
    }
    let stream = files.iter().map(|(_, o)| kpreview::yaml::to_string(o).unwrap()).collect::<Vec<_>>().join("---\n");
    validate_manifests("overlay", &stream);
}

#[test]
fn pr_wins_over_the_number_in_the_overlays_spec() {
    let world = World::new();
    let repo = world.clone("ci");
    let overlay = app(&world.root(), Some("{number: 7, headSha: \"0000000000000000000000000000000000000007\"}"), "");
    ok(publish(&world, &overlay, &repo, &["--pr", "42", "--sha", SHA, "--now", NOW]));
    assert_eq!(world.previews(&repo, "HEAD").keys().collect::<Vec<_>>(), ["shop-pr-42"]);
    let meta = std::fs::read_to_string(repo.join("previews/shop-pr-42/preview.json")).unwrap();
    assert!(meta.contains(&format!("\"sha\": \"{SHA}\"")), "{meta}");

    // The channel itself: KPREVIEW_* are the plugin's flags, PREVIEW_* lose to the spec.
    let namespace = |env: &[(&str, &str)]| {
        let output = kubectl_kustomize(&overlay, env);
        assert!(output.status.success(), "{}", describe(&output));
        docs(&stdout(&output)).into_iter().find(|o| o["kind"] == "Namespace").expect("a Namespace")["metadata"]["name"]
            .clone()
    };
    assert_eq!(namespace(&[("PREVIEW_PR_NUMBER", "9")]), "shop-pr-7");
    assert_eq!(namespace(&[("PREVIEW_PR_NUMBER", "9"), ("KPREVIEW_PR_NUMBER", "42")]), "shop-pr-42");

    // Without --pr the spec's number stands, and is what gets published.
    ok(publish(&world, &overlay, &repo, &["--now", NOW]));
    assert_eq!(world.previews(&repo, "HEAD").keys().collect::<Vec<_>>(), ["shop-pr-42", "shop-pr-7"]);
}

#[test]
fn a_failing_overlay_leaves_the_repository_its_index_and_work_tree_as_they_were() {
    let world = World::new();
    let repo = world.clone("ci");
    let good = app(&world.root(), None, "");
    ok(publish(&world, &good, &repo, &["--pr", "42", "--sha", SHA, "--now", NOW, "--push"]));
    let before = state(&repo);
    let remote_before = world.git(&world.remote(), &["rev-parse", "main"]);

    let cases: [(&str, &str, &str); 3] = [
        (
            "a patch to a missing object",
            "- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: api}\n    spec: {replicas: 2}\n",
            "no matches for Id Deployment.v1.apps/api",
        ),
        (
            "a patch that moves the preview to another pull request",
            "- target: {kind: Namespace}\n  patch: |-\n    - op: replace\n      path: /metadata/labels/kpreview.dev~1pr\n      value: \"43\"\n",
            "pull request `43`, but --pr is `42`",
        ),
        ("a bad spec", "", "spec.services.web.port"),
    ];
    for (what, extra, expected) in cases {
        let dir = tempdir();
        let overlay = app(dir.path(), None, extra);
        if what == "a bad spec" {
            let spec = overlay.join("../base/spec/preview.yaml");
            std::fs::write(&spec, std::fs::read_to_string(&spec).unwrap().replace("port: 8080", "port: eighty"))
                .unwrap();
        }
        let later = ["--pr", "42", "--sha", SHA, "--now", "2026-11-22T10:00:00Z", "--push"];
        let out = fails(publish(&world, &overlay, &repo, &later));
        assert!(stderr(&out).contains(expected), "{what}: {}", stderr(&out));
        assert_same(&before, &state(&repo), what);
        assert_eq!(world.git(&world.remote(), &["rev-parse", "main"]), remote_before, "{what} moved the remote");
    }
}

#[test]
fn an_overlay_without_the_generator_or_without_objects_is_refused() {
    let world = World::new();
    let repo = world.clone("ci");
    let dir = tempdir();
    write(dir.path(), "plain/kustomization.yaml", "resources:\n- cm.yaml\n");
    write(dir.path(), "plain/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: only\n");
    write(dir.path(), "empty/kustomization.yaml", "namespace: nothing\nresources: []\n");
    let before = state(&repo);
    let out = fails(publish(&world, &dir.path().join("plain"), &repo, &["--pr", "42", "--sha", SHA]));
    assert!(stderr(&out).contains("built 1 objects but no preview"), "{}", stderr(&out));
    assert!(stderr(&out).contains("generators: [preview.yaml]"), "says what to add: {}", stderr(&out));
    let out = fails(publish(&world, &dir.path().join("empty"), &repo, &["--pr", "42", "--sha", SHA]));
    assert!(stderr(&out).contains("built no objects; refusing to publish an empty preview"), "{}", stderr(&out));
    assert_same(&before, &state(&repo), "refused overlays");
}

#[test]
fn push_lands_the_overlay_on_the_remote_and_a_repeat_commits_nothing() {
    let world = World::new();
    let repo = world.clone("ci");
    let overlay = app(&world.root(), None, "");
    let args = ["--pr", "42", "--sha", SHA, "--now", NOW, "--push"];
    ok(publish(&world, &overlay, &repo, &args));
    assert_eq!(world.git(&world.remote(), &["rev-parse", "main"]), world.git(&repo, &["rev-parse", "HEAD"]));
    assert!(world.show(&world.remote(), "main", "previews/shop-pr-42/preview.json").contains("\"pr\": \"42\""));
    let again = ok(publish(&world, &overlay, &repo, &args));
    assert!(stderr(&again).contains("already holds exactly this; nothing to commit"), "{}", stderr(&again));
    assert_eq!(world.subjects(&world.remote(), "main").len(), 2);
}

#[test]
fn another_kustomize_runs_with_the_plugin_home_and_kpreview_on_path_for_that_build_only() {
    let world = World::new();
    let repo = world.clone("ci");
    let overlay = app(&world.root(), None, "");
    let script = write(
        &world.root(),
        "bin/my-kustomize",
        "#!/bin/sh\nset -eu\necho \"plugin home: $KUSTOMIZE_PLUGIN_HOME\" >&2\necho \"kpreview: $(command -v kpreview)\" >&2\nkpreview --version >&2\nexec kubectl kustomize --enable-alpha-plugins \"$@\"\n",
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = ok({
        let mut cmd = publish(&world, &overlay, &repo, &["--pr", "42", "--sha", SHA, "--now", NOW, "--kustomize"]);
        cmd.arg(format!("{} ", script.display()));
        cmd
    });
    let err = stderr(&out);
    let line = |prefix: &str| {
        err.lines().find_map(|l| l.strip_prefix(prefix)).unwrap_or_else(|| panic!("no `{prefix}` in {err}")).to_owned()
    };
    let home = PathBuf::from(line("plugin home: "));
    let on_path = PathBuf::from(line("kpreview: "));
    assert!(on_path.starts_with(home.parent().unwrap()), "kpreview on PATH is the build's own: {}", on_path.display());
    assert!(err.contains(&format!("kpreview {}", env!("CARGO_PKG_VERSION"))), "{err}");
    assert!(!home.exists() && !on_path.exists(), "the temporary plugin home is removed");
    assert!(repo.join("previews/shop-pr-42/preview.json").exists());

    let out = run(publish(&world, &overlay, &repo, &["--pr", "42", "--kustomize", "no-such-kustomize build"]));
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(stderr(&out).contains("cannot run `no-such-kustomize`"), "{}", stderr(&out));
    let out = world.fails(2, &["publish", "preview.yaml", "--overlay", "x", "--repo", "r"]);
    assert!(stderr(&out).contains("cannot be used with"), "a spec and an overlay are one or the other");
}
