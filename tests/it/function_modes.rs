//! kpreview where users run it: kustomize (legacy plugin), kpt (`fn eval --exec`, `fn render`
//! with a Kptfile pipeline), the Argo CD CMP, each with the real tool and compared object for
//! object with `kpreview render`; the Argo CD objects of `overlays/` and `functions/`; and a bad
//! spec through every mode. The image's own runs are in `container`.

mod container;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{describe, kpreview, kpreview_path, root, run_with_stdin, tempdir, validate_all, write};

const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";
const GENERATED_BY: &str = "kpreview.dev/generated-by";

// ---------------------------------------------------------------------------------------------
// Helpers

/// Every document of a YAML stream.
fn docs(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            out.extend(doc(&current));
            current.clear();
        } else {
            current.push_str(line);
        }
    }
    out.extend(doc(&current));
    out
}

fn doc(text: &str) -> Option<Value> {
    let blank = text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
    (!blank).then(|| kpreview::yaml::value_from_str(text, kpreview::yaml::Limits::Stream).expect("a YAML document"))
}

type Key = (String, String, String, String);

/// Objects by apiVersion, kind, namespace and name.
fn by_key(objects: Vec<Value>) -> BTreeMap<Key, Value> {
    let mut map = BTreeMap::new();
    for object in objects {
        let field = |path: &[&str]| {
            path.iter().try_fold(&object, |v, k| v.get(*k)).and_then(Value::as_str).unwrap_or_default().to_owned()
        };
        let key =
            (field(&["apiVersion"]), field(&["kind"]), field(&["metadata", "namespace"]), field(&["metadata", "name"]));
        assert!(map.insert(key.clone(), object).is_none(), "{key:?} twice");
    }
    map
}

/// Asserts two sets of objects are the same, naming the first difference.
fn assert_same_objects(what: &str, actual: Vec<Value>, expected: Vec<Value>) {
    let (actual, expected) = (by_key(actual), by_key(expected));
    assert_eq!(actual.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "{what}: other objects");
    for (key, object) in &expected {
        assert_eq!(&actual[key], object, "{what}: {key:?} differs");
    }
    assert!(!expected.is_empty(), "{what}: nothing rendered");
}

/// `kpreview render` of a spec with extra arguments.
fn render(spec: &Path, args: &[&str]) -> String {
    let output = kpreview().arg("render").arg(spec).args(args).output().expect("run kpreview render");
    assert!(output.status.success(), "{}", describe(&output));
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every file under `dir`, by path relative to it, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.insert(path.strip_prefix(base).expect("prefix").to_owned(), std::fs::read(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The objects kpt wrote under `dir`, without kpreview's bookkeeping annotation.
fn generated_objects(dir: &Path) -> Vec<Value> {
    let mut objects = Vec::new();
    for (path, bytes) in snapshot(dir) {
        for mut object in docs(&String::from_utf8(bytes).expect("UTF-8")) {
            let annotations = object.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut);
            let by = annotations.and_then(|a| a.remove(GENERATED_BY));
            assert!(by.is_some(), "{} has no {GENERATED_BY}", path.display());
            objects.push(object);
        }
    }
    objects
}

fn kubectl_kustomize(dir: &Path, plugin_home: &Path, env: &[(&str, &str)]) -> Output {
    Command::new("kubectl")
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(dir)
        .env("KUSTOMIZE_PLUGIN_HOME", plugin_home)
        .env_remove("PREVIEW_PR_NUMBER")
        .env_remove("PREVIEW_HEAD_SHA")
        .env_remove("PREVIEW_BRANCH")
        .envs(env.iter().copied())
        .output()
        .expect("run kubectl kustomize")
}

fn install_plugin(home: &Path) {
    let output = kpreview().arg("install-plugin").arg("--dir").arg(home).output().expect("install-plugin");
    assert!(output.status.success(), "{}", describe(&output));
    let plugin = home.join("kpreview.dev/v1alpha1/preview/Preview");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(&plugin.display().to_string()), "does not say where it put the plugin:\n{stdout}");
}

fn kpt(args: &[&str], dir: &Path) -> Output {
    kpt_in(args, dir, &root())
}

/// kpt with the package `dir` (relative to `cwd` or absolute), run in `cwd`.
fn kpt_in(args: &[&str], dir: &Path, cwd: &Path) -> Output {
    let bin_dir = kpreview_path().parent().expect("bin dir").to_owned();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    // The package goes before `--`, after which kpt reads the function's key=value pairs.
    let split = args.iter().position(|a| *a == "--").unwrap_or(args.len());
    Command::new("kpt")
        .args(&args[..split])
        .arg(dir)
        .args(&args[split..])
        .current_dir(cwd)
        .env("PATH", path)
        .env_remove("PREVIEW_PR_NUMBER")
        .env_remove("PREVIEW_HEAD_SHA")
        .env_remove("PREVIEW_BRANCH")
        .output()
        .expect("run kpt")
}

/// A kpt package: `functions/kpt` plus files kpreview must leave alone, written with comments,
/// quotes, flow collections and literal blocks that a re-serialisation would change. (Not folded
/// blocks or odd indentation: kpt rewrites those itself, whatever the function returns.)
fn package() -> tempfile::TempDir {
    let dir = tempdir();
    copy_dir(&root().join("functions/kpt"), dir.path());
    write(
        dir.path(),
        "app/config.yaml",
        "# settings of the app\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings # trailing\n  \
         labels: {tier: 'front', team: \"shop\"}\ndata:\n  FEATURE: 'on'\n  COUNT: \"1\"\n  list: [a, b]\n  \
         script: |\n    #!/bin/sh\n    echo hi\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n\
         stringData:\n  token: \"x:y\" # quoted\n",
    );
    write(dir.path(), "README.md", "# not YAML\n");
    write(dir.path(), "flow/preview.yaml", FLOW_SPEC);
    dir
}

/// The flow-style spec after a run: marked local config in place, nothing else changed.
fn flow_annotated() -> String {
    FLOW_SPEC.replace("{name: alpha}", "{name: alpha, annotations: {config.kubernetes.io/local-config: \"true\"}}")
}

/// A second spec, written in flow style: its annotation must be added in place. (One space
/// before the comment: kpt itself normalises more.)
const FLOW_SPEC: &str = "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {name: alpha} # flow map\n\
                         spec: {dataStores: {db: {engine: redis}}}\n";

// ---------------------------------------------------------------------------------------------
// kustomize

#[test]
fn kustomize_plugin_builds_the_overlays_as_render_does() {
    let home = tempdir();
    install_plugin(home.path());

    let spec = root().join("overlays/base/spec/preview.yaml");
    let pr = kubectl_kustomize(&root().join("overlays/pr-42"), home.path(), &[]);
    assert!(pr.status.success(), "{}", describe(&pr));
    let expected = render(&spec, &["--pr", "42", "--sha", SHA, "--branch", "feature/cart-v2"]);
    assert_same_objects("overlays/pr-42", docs(&String::from_utf8_lossy(&pr.stdout)), docs(&expected));

    let env = [("PREVIEW_PR_NUMBER", "7"), ("PREVIEW_HEAD_SHA", SHA)];
    let base = kubectl_kustomize(&root().join("overlays/base"), home.path(), &env);
    assert!(base.status.success(), "{}", describe(&base));
    assert_same_objects(
        "overlays/base",
        docs(&String::from_utf8_lossy(&base.stdout)),
        docs(&render(&spec, &["--pr", "7", "--sha", SHA])),
    );

    let example = root().join("functions/kustomize/plugin");
    let plugin = kubectl_kustomize(&example, home.path(), &env);
    assert!(plugin.status.success(), "{}", describe(&plugin));
    let expected = render(&example.join("preview.yaml"), &["--pr", "7", "--sha", SHA]);
    assert_same_objects("functions/kustomize/plugin", docs(&String::from_utf8_lossy(&plugin.stdout)), docs(&expected));
}

#[test]
fn kustomize_plugin_reads_the_lock_file_of_its_kustomization() {
    let home = tempdir();
    install_plugin(home.path());
    let dir = tempdir();
    for file in ["preview.yaml", "preview.lock"] {
        std::fs::copy(root().join("examples/blog").join(file), dir.path().join(file)).expect("copy");
    }
    write(dir.path(), "kustomization.yaml", "generators: [preview.yaml]\n");
    let env = [("PREVIEW_PR_NUMBER", "5"), ("PREVIEW_HEAD_SHA", SHA)];
    let output = kubectl_kustomize(dir.path(), home.path(), &env);
    assert!(output.status.success(), "{}", describe(&output));
    let expected = render(&dir.path().join("preview.yaml"), &["--pr", "5", "--sha", SHA]);
    assert!(expected.contains("snapshotHandle: snap-"), "the example no longer pins a snapshot");
    assert_same_objects("blog", docs(&String::from_utf8_lossy(&output.stdout)), docs(&expected));
}

/// The overlays layout (`generators: [spec]`, the spec and its lock in `spec/`, as `kpreview
/// lock spec/preview.yaml` writes it) and a per-PR overlay patching that spec from another
/// directory: the plugin finds the lock beside the spec; without one the error names every path.
#[test]
fn kustomize_plugin_finds_the_lock_beside_the_spec_of_a_directory_generator() {
    let home = tempdir();
    install_plugin(home.path());
    let dir = tempdir();
    let base = dir.path().join("base");
    copy_dir(&root().join("overlays/base"), &base);
    for file in ["preview.yaml", "preview.lock"] {
        std::fs::copy(root().join("examples/blog").join(file), base.join("spec").join(file)).expect("copy");
    }
    copy_dir(&root().join("overlays/pr-42"), &dir.path().join("pr-42"));
    let patch = std::fs::read_to_string(dir.path().join("pr-42/spec/kustomization.yaml")).expect("kustomization");
    std::fs::write(dir.path().join("pr-42/spec/kustomization.yaml"), patch.replace("name: shop", "name: blog"))
        .expect("write");
    let spec = base.join("spec/preview.yaml");

    let env = [("KPREVIEW_PR_NUMBER", "5"), ("KPREVIEW_HEAD_SHA", SHA)];
    let output = kubectl_kustomize(&base, home.path(), &env);
    assert!(output.status.success(), "{}", describe(&output));
    let expected = render(&spec, &["--pr", "5", "--sha", SHA]);
    assert!(expected.contains("snapshotHandle: snap-"), "the example no longer pins a snapshot");
    assert_same_objects("base", docs(&String::from_utf8_lossy(&output.stdout)), docs(&expected));

    let output = kubectl_kustomize(&dir.path().join("pr-42"), home.path(), &[]);
    assert!(output.status.success(), "{}", describe(&output));
    let expected = render(&spec, &["--pr", "42", "--sha", SHA, "--branch", "feature/cart-v2"]);
    assert_same_objects("pr-42", docs(&String::from_utf8_lossy(&output.stdout)), docs(&expected));

    std::fs::remove_file(base.join("spec/preview.lock")).expect("remove the lock");
    let output = kubectl_kustomize(&base, home.path(), &env);
    assert!(!output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let searched = format!(
        "(looked for {}, {}; none exists)",
        base.join("preview.lock").display(),
        base.join("spec/preview.lock").display()
    );
    assert!(stderr.contains("no snapshot is pinned for `db`") && stderr.contains(&searched), "{stderr}");
}

/// A spec whose plain scalars a YAML 1.1 reader retypes: kustomize hands the plugin `"31"` for
/// `0x1F`, `16.1` for `16.10`, a timestamp for a date. The plugin must give what `render` gives,
/// through a file generator and through a directory generator that patches the spec.
const RETYPED: &str = "\
apiVersion: kpreview.dev/v1alpha1
kind: Preview
metadata:
  name: library
spec:
  pullRequest:
    branch: 1e3
  services:
    catalog:
      image: registry.example.org/library/catalog:1.10
      port: 8080
      env:
        MAGIC: 0x1F
        OCTAL: 010
        LIMIT: 1e3
        SINCE: 2026-01-01
        RATIO: 1.50
        PLAIN: yes
  dataStores:
    members:
      engine: postgres
      version: 16.10
";

#[test]
fn kustomize_plugin_keeps_scalars_as_written() {
    let home = tempdir();
    install_plugin(home.path());
    let dir = tempdir();
    write(dir.path(), "file/preview.yaml", RETYPED);
    write(dir.path(), "file/kustomization.yaml", "generators: [preview.yaml]\n");
    write(dir.path(), "base/spec/preview.yaml", RETYPED);
    write(dir.path(), "base/spec/kustomization.yaml", "resources: [preview.yaml]\n");
    write(dir.path(), "pr/kustomization.yaml", "generators: [spec]\n");
    write(
        dir.path(),
        "pr/spec/kustomization.yaml",
        "resources: [../../base/spec]\npatches:\n- target: {kind: Preview}\n  patch: |-\n    \
         - {op: add, path: /spec/pullRequest/number, value: 9}\n    \
         - {op: add, path: /spec/services/catalog/env/ADDED, value: \"0x10\"}\n",
    );
    let spec = dir.path().join("file/preview.yaml");
    let env = [("PREVIEW_PR_NUMBER", "9"), ("PREVIEW_HEAD_SHA", SHA)];
    let expected = render(&spec, &["--pr", "9", "--sha", SHA]);
    for value in ["\"0x1F\"", "\"010\"", "\"1e3\"", "\"2026-01-01\"", "\"1.50\"", "postgres:16.10", "catalog:1.10"] {
        assert!(expected.contains(value), "render no longer keeps {value}:\n{expected}");
    }
    let output = kubectl_kustomize(&dir.path().join("file"), home.path(), &env);
    assert!(output.status.success(), "{}", describe(&output));
    assert_same_objects("a file generator", docs(&String::from_utf8_lossy(&output.stdout)), docs(&expected));

    // The patch's own value stays as the patch wrote it; what kustomize retyped is given back.
    let patched = RETYPED.replace("        PLAIN: yes\n", "        PLAIN: yes\n        ADDED: \"0x10\"\n");
    write(dir.path(), "patched.yaml", &patched);
    let expected = render(&dir.path().join("patched.yaml"), &["--pr", "9", "--sha", SHA]);
    let output = kubectl_kustomize(&dir.path().join("pr"), home.path(), &[("PREVIEW_HEAD_SHA", SHA)]);
    assert!(output.status.success(), "{}", describe(&output));
    assert_same_objects(
        "a patched directory generator",
        docs(&String::from_utf8_lossy(&output.stdout)),
        docs(&expected),
    );
}

/// The warning of docs/ways-in.md, kept true: `kubectl kustomize` runs no `exec:` function and says nothing.
#[test]
fn kubectl_kustomize_silently_skips_exec_functions() {
    let output = kubectl_kustomize(&root().join("functions/kustomize/exec"), tempdir().path(), &[]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(docs(&String::from_utf8_lossy(&output.stdout)).is_empty(), "{}", describe(&output));
}

#[test]
fn install_plugin_defaults_to_the_xdg_config_home() {
    let config = tempdir();
    let output = kpreview()
        .arg("install-plugin")
        .env_remove("KUSTOMIZE_PLUGIN_HOME")
        .env("XDG_CONFIG_HOME", config.path())
        .output()
        .expect("install-plugin");
    assert!(output.status.success(), "{}", describe(&output));
    let plugin = config.path().join("kustomize/plugin/kpreview.dev/v1alpha1/preview/Preview");
    assert!(String::from_utf8_lossy(&output.stdout).contains(&plugin.display().to_string()), "{}", describe(&output));
    let ran = Command::new(&plugin).arg("--help").output().expect("run the installed plugin");
    assert!(ran.status.success(), "{}", describe(&ran));
}

// ---------------------------------------------------------------------------------------------
// kpt

/// Runs kpt twice on a package: the second run must change no byte. Returns the files after the
/// first run.
fn run_twice(args: &[&str], pkg: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let first = kpt(args, pkg);
    assert!(first.status.success(), "{}", describe(&first));
    let after_first = snapshot(pkg);
    let second = kpt(args, pkg);
    assert!(second.status.success(), "{}", describe(&second));
    assert!(snapshot(pkg) == after_first, "a second `kpt {}` changed the package", args.join(" "));
    after_first
}

#[test]
fn kpt_fn_eval_adds_the_preview_and_leaves_every_other_file() {
    let pkg = package();
    let spec = pkg.path().join("preview.yaml");
    let written = std::fs::read_to_string(&spec).expect("spec");
    // Unmarked, so kpreview must add the annotation (in place: nothing else in the file changes).
    std::fs::write(&spec, written.replace("  annotations:\n    config.kubernetes.io/local-config: \"true\"\n", ""))
        .expect("write");
    let before = snapshot(pkg.path());
    let identity = kpt(&["fn", "eval", "--exec", "cat"], pkg.path());
    assert!(identity.status.success(), "{}", describe(&identity));
    assert!(snapshot(pkg.path()) == before, "kpt itself rewrites the test package: make it simpler");
    let exec = kpreview_path().display().to_string();

    let after = run_twice(&["fn", "eval", "--exec", &exec, "--", "pr=43", &format!("sha={SHA}")], pkg.path());
    for (path, bytes) in &before {
        let now = after.get(path).unwrap_or_else(|| panic!("{} was deleted", path.display()));
        if path == Path::new("preview.yaml") {
            assert_eq!(String::from_utf8_lossy(now), written, "the spec should differ only by its annotation");
        } else if path == Path::new("flow/preview.yaml") {
            assert_eq!(String::from_utf8_lossy(now), flow_annotated(), "the flow map gets the annotation in place");
        } else {
            assert!(now == bytes, "{} changed:\n{}", path.display(), String::from_utf8_lossy(now));
        }
    }
    let expected = render(&spec, &["--pr", "43", "--sha", SHA]);
    assert_same_objects("kpt fn eval", generated_objects(&pkg.path().join("hello-pr-43")), docs(&expected));

    // A generated file copied elsewhere to be tweaked is the user's: it survives the next run.
    let service = after.keys().find(|p| p.starts_with("hello-pr-43") && p.to_string_lossy().contains("-service-"));
    let service = String::from_utf8_lossy(&after[service.expect("a generated Service")]).into_owned();
    let custom = service.replacen("\n  name: ", "\n  name: my-", 1);
    assert_ne!(custom, service);
    write(pkg.path(), "custom/my-service.yaml", &custom);

    // Another pull request replaces the preview rather than adding a second one.
    // kpt shows four results unless told otherwise; the directory notes come first.
    let args = ["fn", "eval", "--truncate-output=false", "--exec", &exec, "--", "pr=44", &format!("sha={SHA}")];
    let again = kpt(&args, pkg.path());
    assert!(again.status.success(), "{}", describe(&again));
    let files = snapshot(pkg.path());
    assert!(!files.keys().any(|p| p.starts_with("hello-pr-43")), "the old preview's files remain");
    // kpt deletes the files of the items kpreview drops, never a directory (it does not whatever a
    // function returns): the old directory stays, empty, and kpreview says how to remove it.
    let old = pkg.path().join("hello-pr-43");
    assert!(old.is_dir(), "kpt now removes the emptied directory: drop the note that says it does not");
    assert_eq!(std::fs::read_dir(&old).expect("read").count(), 0, "the old directory is not empty");
    assert!(files.keys().any(|p| p.starts_with("hello-pr-44")));
    assert!(files.keys().any(|p| p.starts_with("flow/alpha-pr-44")), "the flow spec renders beside itself");
    let kept = files.get(Path::new("custom/my-service.yaml")).expect("the user's copy was deleted");
    assert_eq!(String::from_utf8_lossy(kept), custom);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("kept custom/my-service.yaml"), "{stderr}");
    assert!(
        stderr.contains("removed flow/alpha-pr-43/000-namespace-alpha-pr-43.yaml, which an earlier run"),
        "{stderr}"
    );
    for dir in ["hello-pr-43", "flow/alpha-pr-43"] {
        let note = format!("never a directory: {dir}/ stays behind, empty; remove it with `rmdir {dir}`");
        assert!(stderr.contains(&note), "{stderr}");
    }
}

/// `kpt fn eval DIR` gives no package path: the lock beside the spec is found when kpt runs in
/// the package, and otherwise the error says why it is not and what to do.
#[test]
fn kpt_fn_eval_finds_the_lock_only_where_the_spec_is() {
    let parent = tempdir();
    let pkg = parent.path().join("pkg");
    copy_dir(&root().join("examples/blog"), &pkg.join("c"));
    // The parent holds a c/ of its own, with a lock that must not be used.
    copy_dir(&root().join("examples/blog"), &parent.path().join("c"));
    let lock = std::fs::read_to_string(parent.path().join("c/preview.lock")).expect("lock");
    std::fs::write(parent.path().join("c/preview.lock"), lock.replace("snap-", "snap-1")).expect("write");
    std::fs::write(parent.path().join("c/preview.yaml"), "# another spec\n").expect("write");
    let exec = kpreview_path().display().to_string();
    let args = ["fn", "eval", "--exec", &exec, "--", "pr=9", &format!("sha={SHA}")];
    let before = snapshot(&pkg);

    let outside = kpt_in(&args, Path::new("pkg"), parent.path());
    assert!(!outside.status.success(), "{}", describe(&outside));
    let stderr = String::from_utf8_lossy(&outside.stderr);
    assert!(stderr.contains("kpt fn eval passes no package path"), "{stderr}");
    assert!(stderr.contains("run kpt from the package's directory, or use kpt fn render"), "{stderr}");
    assert!(snapshot(&pkg) == before, "a failed run changed the package");

    let inside = kpt_in(&args, Path::new("."), &pkg);
    assert!(inside.status.success(), "{}", describe(&inside));
    let expected = render(&pkg.join("c/preview.yaml"), &["--pr", "9", "--sha", SHA]);
    assert!(expected.contains("snapshotHandle: snap-0"), "the example's own lock");
    assert_same_objects("kpt fn eval .", generated_objects(&pkg.join("c/blog-pr-9")), docs(&expected));
}

#[test]
fn kpt_fn_render_runs_the_kptfile_pipeline() {
    let pkg = package();
    let before = snapshot(pkg.path());
    let after = run_twice(&["fn", "render", "--allow-exec"], pkg.path());
    for (path, bytes) in &before {
        // The pipeline renders its configPath spec only, but marks every spec local config.
        let expected =
            if path == Path::new("flow/preview.yaml") { flow_annotated().into_bytes() } else { bytes.clone() };
        assert!(after.get(path) == Some(&expected), "{} changed or went", path.display());
    }
    let expected = render(&pkg.path().join("preview.yaml"), &[]);
    assert_same_objects("kpt fn render", generated_objects(&pkg.path().join("hello-pr-42")), docs(&expected));
}

#[test]
fn without_a_subcommand_a_piped_resource_list_runs_the_function() {
    let spec = std::fs::read_to_string(root().join("functions/kpt/preview.yaml")).expect("spec");
    let indented: String = spec.lines().flat_map(|l| ["  ", l, "\n"]).collect();
    let list =
        format!("apiVersion: config.kubernetes.io/v1beta1\nkind: ResourceList\nitems: []\nfunctionConfig:\n{indented}");
    let bare = run_with_stdin(&mut kpreview(), list.as_bytes());
    let named = run_with_stdin(kpreview().arg("fn"), list.as_bytes());
    assert!(bare.status.success(), "{}", describe(&bare));
    assert_eq!(bare.stdout, named.stdout);
    let out = kpreview::krm::ResourceList::parse(&String::from_utf8_lossy(&bare.stdout)).expect("a ResourceList");
    assert_eq!(out.api_version, "config.kubernetes.io/v1beta1");
    let objects: Vec<Value> = out.items.iter().map(|i| Value::Object(i.object().clone())).collect();
    assert_eq!(objects.len(), docs(&render(&root().join("functions/kpt/preview.yaml"), &[])).len());
}

/// `.inf` and `.nan` are text in a spec's string fields; the function reads its `ResourceList`
/// untyped, where they must stay text too, or `fn` refuses what `render` takes.
#[test]
fn the_function_takes_every_yaml_ambiguous_string_render_takes() {
    let path = root().join("testdata/yaml-ambiguous-strings/preview.yaml");
    let spec = std::fs::read_to_string(&path).expect("spec");
    let indented: String = spec.lines().flat_map(|l| ["  ", l, "\n"]).collect();
    let list = format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n-{}", &indented[1..]);
    let out = run_with_stdin(kpreview().arg("fn").env("PREVIEW_PR_NUMBER", "7"), list.as_bytes());
    assert!(out.status.success(), "{}", describe(&out));
    let env_of = |objects: Vec<Value>| -> Vec<Value> {
        objects
            .into_iter()
            .filter(|o| o["kind"] == "Deployment")
            .map(|o| o["spec"]["template"]["spec"]["containers"][0]["env"].clone())
            .collect()
    };
    let list = kpreview::krm::ResourceList::parse(&String::from_utf8_lossy(&out.stdout)).expect("a ResourceList");
    let from_fn = env_of(list.items.iter().map(|i| Value::Object(i.object().clone())).collect());
    let from_render = env_of(docs(&render(&path, &["--pr", "7"])));
    assert!(from_render.iter().any(|e| e.to_string().contains(r#""value":".inf""#)), "{from_render:?}");
    assert_eq!(from_fn, from_render);
}

// ---------------------------------------------------------------------------------------------
// Argo CD

fn plugin_config() -> Value {
    doc(&std::fs::read_to_string(root().join("functions/argocd/plugin.yaml")).expect("plugin.yaml"))
        .expect("a document")
}

/// The plugin's `generate` command, with the image's kpreview replaced by the binary under test.
fn generate_command(dir: &Path) -> Command {
    let plugin = plugin_config();
    let command: Vec<&str> = plugin
        .pointer("/spec/generate/command")
        .and_then(Value::as_array)
        .expect("generate.command")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
    assert!(
        dockerfile.contains(&format!("ENTRYPOINT [\"{}\"]", command[0])),
        "plugin.yaml runs {}, which the image does not have",
        command[0]
    );
    let mut cmd = kpreview();
    cmd.args(&command[1..]).current_dir(dir);
    cmd
}

#[test]
fn cmp_renders_the_source_directory_with_argo_cds_environment() {
    let dir = tempdir();
    copy_dir(&root().join("overlays/base/spec"), dir.path());
    let spec = dir.path().join("preview.yaml");
    // The spec's own pull request loses to the Application's plugin env.
    let text = std::fs::read_to_string(&spec).expect("spec");
    std::fs::write(&spec, text.replace("spec:\n", "spec:\n  pullRequest: {number: 1, headSha: fffffff}\n"))
        .expect("write");
    let discover = plugin_config().pointer("/spec/discover/fileName").and_then(Value::as_str).map(str::to_owned);
    assert!(dir.path().join(discover.expect("discover.fileName")).exists(), "discovery would not match");

    let output = generate_command(dir.path())
        .envs([
            ("ARGOCD_ENV_PR_NUMBER", "42"),
            ("ARGOCD_ENV_HEAD_SHA", SHA),
            ("ARGOCD_ENV_BRANCH", "feature/cart-v2"),
            ("ARGOCD_APP_NAME", "shop-pr-42"),
            ("ARGOCD_APP_REVISION", SHA),
        ])
        .output()
        .expect("run the plugin");
    assert!(output.status.success(), "{}", describe(&output));
    let expected = render(&spec, &["--pr", "42", "--sha", SHA, "--branch", "feature/cart-v2"]);
    assert_eq!(String::from_utf8_lossy(&output.stdout), expected, "the plugin's stream is render's");

    std::fs::rename(&spec, dir.path().join("shop.yaml")).expect("rename");
    let elsewhere = generate_command(dir.path())
        .envs([("ARGOCD_ENV_PREVIEW_SPEC", "shop.yaml"), ("ARGOCD_ENV_PR_NUMBER", "42"), ("ARGOCD_ENV_HEAD_SHA", SHA)])
        .output()
        .expect("run the plugin");
    assert!(elsewhere.status.success(), "{}", describe(&elsewhere));
    let missing = generate_command(dir.path()).env("ARGOCD_ENV_PR_NUMBER", "42").output().expect("run the plugin");
    assert!(!missing.status.success() && missing.stdout.is_empty(), "{}", describe(&missing));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("ARGOCD_ENV_PREVIEW_SPEC"), "{}", describe(&missing));
}

#[test]
fn cmp_reads_only_specs_inside_the_source_directory() {
    let repo = tempdir();
    let source = repo.path().join("app");
    copy_dir(&root().join("examples/blog"), &source.join("deploy"));
    copy_dir(&root().join("overlays/base/spec"), &repo.path().join("other"));
    let env = [("ARGOCD_ENV_PR_NUMBER", "42"), ("ARGOCD_ENV_HEAD_SHA", SHA)];
    // A spec in a subdirectory is fine, and its preview.lock next to it is read.
    let sub = generate_command(&source).envs(env).env("ARGOCD_ENV_PREVIEW_SPEC", "deploy/preview.yaml").output();
    let sub = sub.expect("run the plugin");
    assert!(sub.status.success(), "{}", describe(&sub));
    assert!(String::from_utf8_lossy(&sub.stdout).contains("snapshotHandle: snap-"), "the lock was not read");

    std::os::unix::fs::symlink("../other/preview.yaml", source.join("link.yaml")).expect("symlink");
    let outside = repo.path().join("other/preview.yaml").display().to_string();
    for (spec, why) in [
        ("../other/preview.yaml", "absolute paths and `..` are refused"),
        (outside.as_str(), "absolute paths and `..` are refused"),
        ("link.yaml", "through a symbolic link"),
    ] {
        let out = generate_command(&source).envs(env).env("ARGOCD_ENV_PREVIEW_SPEC", spec).output().expect("run");
        assert!(!out.status.success() && out.stdout.is_empty(), "{spec}: {}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("ARGOCD_ENV_PREVIEW_SPEC") && stderr.contains(why), "{spec}: {stderr}");
        assert!(stderr.contains("a relative path inside the Application's source directory"), "{stderr}");
    }
}

/// `overlays/platform` with Argo CD's install manifest (fetched from GitHub by the real
/// kustomization) replaced by a stand-in repo-server of the same shape, since tests run offline.
fn build_platform() -> String {
    let dir = tempdir();
    copy_dir(&root().join("overlays"), &dir.path().join("overlays"));
    copy_dir(&root().join("functions"), &dir.path().join("functions"));
    let argocd = dir.path().join("overlays/platform/argocd");
    let kustomization = std::fs::read_to_string(argocd.join("kustomization.yaml")).expect("kustomization");
    let remote = kustomization.lines().find(|l| l.contains("/manifests/install.yaml")).expect("the install URL");
    std::fs::write(argocd.join("kustomization.yaml"), kustomization.replace(remote, "- install.yaml")).expect("write");
    write(
        &argocd,
        "install.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: argocd-repo-server\nspec:\n  selector:\n    \
         matchLabels: {app.kubernetes.io/name: argocd-repo-server}\n  template:\n    metadata:\n      labels: \
         {app.kubernetes.io/name: argocd-repo-server}\n    spec:\n      containers:\n      - name: argocd-repo-server\n        \
         image: quay.io/argoproj/argocd:v3.3.0\n        volumeMounts:\n        - {name: plugins, mountPath: \
         /home/argocd/cmp-server/plugins}\n      volumes:\n      - {name: var-files, emptyDir: {}}\n      - {name: \
         plugins, emptyDir: {}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cmd-params-cm\n",
    );
    let output =
        Command::new("kubectl").arg("kustomize").arg(dir.path().join("overlays/platform")).output().expect("kubectl");
    assert!(output.status.success(), "{}", describe(&output));
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects.iter().find(|o| o["kind"] == kind).unwrap_or_else(|| panic!("no {kind}"))
}

/// `*` matches any run of characters: the glob AppProject destinations use.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => text
            .strip_prefix(head)
            .is_some_and(|rest| (0..=rest.len()).any(|i| rest.is_char_boundary(i) && glob(tail, &rest[i..]))),
    }
}

/// Asserts that Argo CD would sync every object in `project`: its kind is whitelisted (cluster-
/// scoped or namespaced, and its name matches the entry's `name` glob when there is one) and its
/// namespace is a destination.
fn assert_project_allows(what: &str, project: &Value, objects: &[Value]) {
    let allowed = |list: &str, group: &str, kind: &str, name: &str| {
        project["spec"][list].as_array().into_iter().flatten().any(|e| {
            e["group"] == group && e["kind"] == kind && e["name"].as_str().is_none_or(|glob_| glob(glob_, name))
        })
    };
    let destinations = project["spec"]["destinations"].as_array().expect("destinations");
    for object in objects {
        let kind = object["kind"].as_str().expect("kind");
        let name = object["metadata"]["name"].as_str().expect("name");
        let group = object["apiVersion"].as_str().expect("apiVersion").rsplit_once('/').map_or("", |(g, _)| g);
        match object.pointer("/metadata/namespace").and_then(Value::as_str) {
            None => assert!(
                allowed("clusterResourceWhitelist", group, kind, name),
                "{what}: the project refuses {group}/{kind} {name}"
            ),
            Some(ns) => {
                assert!(
                    allowed("namespaceResourceWhitelist", group, kind, name),
                    "{what}: the project refuses {group}/{kind}"
                );
                assert!(
                    destinations.iter().any(|d| glob(d["namespace"].as_str().unwrap_or(""), ns)),
                    "{what}: the project refuses namespace {ns}"
                );
            }
        }
    }
}

#[test]
fn argo_cd_objects_validate_and_agree_with_each_other() {
    let platform_yaml = build_platform();
    let platform = docs(&platform_yaml);
    let spec = root().join("overlays/base/spec/preview.yaml");
    let preview_yaml = render(&spec, &["--pr", "42", "--sha", SHA]);
    let preview = docs(&preview_yaml);

    // ConfigManagementPlugin has no CRD (Argo CD reads the file, it is never applied): checked
    // here against the fields of Argo CD's PluginConfigSpec instead, and run by the CMP test.
    let plugin = plugin_config();
    assert_eq!(
        (plugin["apiVersion"].as_str(), plugin["kind"].as_str()),
        (Some("argoproj.io/v1alpha1"), Some("ConfigManagementPlugin"))
    );
    let known = ["version", "init", "generate", "discover", "parameters", "preserveFileMode", "provideGitCreds"];
    for key in plugin["spec"].as_object().expect("spec").keys() {
        assert!(known.contains(&key.as_str()), "plugin.yaml: unknown spec.{key}");
    }
    assert!(plugin.pointer("/spec/generate/command/0").is_some(), "generate.command must be non-empty");
    let plugin_name = format!(
        "{}-{}",
        plugin["metadata"]["name"].as_str().expect("name"),
        plugin["spec"]["version"].as_str().expect("version")
    );

    let configmap = platform
        .iter()
        .find(|o| o["kind"] == "ConfigMap" && o["data"].get("plugin.yaml").is_some())
        .expect("the plugin's ConfigMap");
    // A sync that never ends blocks the preview for ever (docs/lifecycle.md).
    let params =
        platform.iter().find(|o| o["metadata"]["name"] == "argocd-cmd-params-cm").expect("argocd-cmd-params-cm");
    assert_eq!(params["data"]["controller.sync.timeout.seconds"], "1800");
    let plugin_text = std::fs::read_to_string(root().join("functions/argocd/plugin.yaml")).expect("plugin.yaml");
    assert_eq!(configmap["data"]["plugin.yaml"].as_str(), Some(plugin_text.as_str()));
    let deployment = find(&platform, "Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let sidecar = pod["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .find(|c| c["name"] == "kpreview-cmp")
        .expect("the sidecar");
    assert_eq!(sidecar["command"][0], "/var/run/argocd/argocd-cmp-server");
    assert_eq!(sidecar["securityContext"]["runAsUser"], 999);
    let volumes = pod["volumes"].as_array().expect("volumes");
    assert!(
        volumes.iter().any(|v| v["configMap"]["name"] == configmap["metadata"]["name"]),
        "the sidecar mounts another ConfigMap"
    );
    for mount in sidecar["volumeMounts"].as_array().expect("mounts") {
        assert!(volumes.iter().any(|v| v["name"] == mount["name"]), "no volume {}", mount["name"]);
    }

    let appset = find(&platform, "ApplicationSet");
    assert_eq!(appset["spec"]["goTemplate"], true);
    assert_eq!(appset["spec"]["goTemplateOptions"][0], "missingkey=error");
    let template = &appset["spec"]["template"]["spec"];
    assert_eq!(template["source"]["plugin"]["name"].as_str(), Some(plugin_name.as_str()));
    let env: BTreeMap<&str, &str> = template["source"]["plugin"]["env"]
        .as_array()
        .expect("env")
        .iter()
        .map(|e| (e["name"].as_str().expect("name"), e["value"].as_str().expect("value")))
        .collect();
    assert_eq!(
        env,
        BTreeMap::from([
            ("PR_NUMBER", "{{.number}}"),
            ("HEAD_SHA", "{{.head_sha}}"),
            ("BRANCH", r#"{{ .branch | replace "$" "$$" }}"#)
        ])
    );
    assert_eq!(template["source"]["targetRevision"], "{{.head_sha}}");
    assert!(
        !appset.to_string().contains("CreateNamespace"),
        "kpreview renders the Namespace; Argo CD must not create it"
    );
    assert!(root().join(template["source"]["path"].as_str().expect("path")).join("preview.yaml").exists());
    let namespace = find(&preview, "Namespace")["metadata"]["name"].as_str().expect("namespace").to_owned();
    assert_eq!(template["destination"]["namespace"].as_str().map(|t| t.replace("{{.number}}", "42")), Some(namespace));

    let project = find(&platform, "AppProject");
    assert_eq!(template["project"], project["metadata"]["name"]);
    let mut rendered = preview.clone();
    for example in ["shop", "blog", "storefront"] {
        rendered.extend(docs(&render(
            &root().join("examples").join(example).join("preview.yaml"),
            &["--pr", "42", "--sha", SHA],
        )));
    }
    // Both layouts' projects: the platform's (plugin flow) and the GitOps one (publish flow).
    assert_project_allows("overlays/platform", project, &rendered);
    let gitops =
        Command::new("kubectl").arg("kustomize").arg(root().join("overlays/gitops")).output().expect("kubectl");
    assert!(gitops.status.success(), "{}", describe(&gitops));
    let gitops = docs(&String::from_utf8_lossy(&gitops.stdout));
    assert_project_allows("overlays/gitops", find(&gitops, "AppProject"), &rendered);

    let cleanup =
        platform.iter().find(|o| o["kind"] == "ServiceAccount" && o["metadata"]["name"] == "kpreview-cleanup");
    assert_eq!(cleanup.map(|o| &o["metadata"]["namespace"]), Some(&Value::from("velero")));

    let mut streams = vec![("platform".to_owned(), platform_yaml), ("preview".to_owned(), preview_yaml)];
    for dir in ["functions/kustomize/exec", "functions/kustomize/container"] {
        let spec = root().join(dir).join("preview.yaml");
        streams.push((dir.replace('/', "-"), render(&spec, &["--pr", "42", "--sha", SHA])));
    }
    assert!(validate_all(&streams) > 10);
}

// ---------------------------------------------------------------------------------------------
// A bad spec through every mode

const BAD_PORT: &str = "port: 99999";
const FIELD: &str = "spec.services.web.port";

fn bad(text: &str) -> String {
    let bad = text.replace("port: 8080", BAD_PORT);
    assert_ne!(bad, text, "the example has no port to break");
    bad
}

#[test]
fn a_bad_spec_fails_every_mode_with_its_field_path() {
    // kpt: the package is left as it was, and the result names the field.
    let pkg = package();
    let spec = pkg.path().join("preview.yaml");
    std::fs::write(&spec, bad(&std::fs::read_to_string(&spec).expect("spec"))).expect("write");
    let before = snapshot(pkg.path());
    let results = pkg.path().join("..").join(format!("results-{}", std::process::id()));
    let exec = kpreview_path().display().to_string();
    let results_arg = format!("--results-dir={}", results.display());
    for args in [vec!["fn", "eval", "--exec", &exec, &results_arg], vec!["fn", "render", "--allow-exec", &results_arg]]
    {
        let output = kpt(&args, pkg.path());
        assert!(!output.status.success(), "{}", describe(&output));
        assert!(snapshot(pkg.path()) == before, "a failed `kpt {}` changed the package", args.join(" "));
        let report = std::fs::read_to_string(results.join("results.yaml")).expect("results.yaml");
        assert!(report.contains(&format!("path: {FIELD}")) && report.contains("severity: error"), "{report}");
    }
    let _ = std::fs::remove_dir_all(&results);

    // The function itself: results with the field path, exit 1, one line on stderr.
    let text = bad(&std::fs::read_to_string(root().join("functions/kpt/preview.yaml")).expect("spec"));
    let indented: String = text.lines().flat_map(|l| ["  ", l, "\n"]).collect();
    let list = format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n-{}", &indented[1..]);
    let output = run_with_stdin(kpreview().arg("fn"), list.as_bytes());
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let out = doc(&String::from_utf8_lossy(&output.stdout)).expect("a ResourceList");
    let results = out["results"].as_array().expect("results");
    let error = results.iter().find(|r| r["severity"] == "error").expect("an error result");
    assert_eq!(error["field"]["path"], FIELD);
    assert_eq!(error["resourceRef"]["name"], "hello");
    assert_eq!(out["items"].as_array().map(Vec::len), Some(1), "the input item still passes through");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(FIELD), "{stderr}");

    // kustomize and the CMP: a non-zero exit, the field on stderr, nothing on stdout.
    let home = tempdir();
    install_plugin(home.path());
    let dir = tempdir();
    write(dir.path(), "preview.yaml", &text);
    write(dir.path(), "kustomization.yaml", "generators: [preview.yaml]\n");
    let kustomize = kubectl_kustomize(dir.path(), home.path(), &[]);
    let cmp = generate_command(dir.path()).env("ARGOCD_ENV_PR_NUMBER", "42").output().expect("cmp");
    for (mode, output) in [("kustomize", kustomize), ("cmp", cmp)] {
        assert!(!output.status.success() && output.stdout.is_empty(), "{mode}: {}", describe(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(FIELD) && stderr.contains("65535"), "{mode}: {stderr}");
    }
}

// ---------------------------------------------------------------------------------------------
// A real app (secrets, a Gateway, another app's preview, several ports) through every way in

/// The marketplace example under its platform policy renders the same objects from the CLI, kpt
/// (`fn eval --exec`), the kustomize plugin and the Argo CD plugin: the policy reaches each of
/// them through `KPREVIEW_POLICY`, never through the pull request's files.
#[test]
fn the_real_app_example_renders_the_same_objects_through_every_way_in() {
    let example = root().join("examples/marketplace");
    let policy = example.join("policy.yaml");
    let policy_env = policy.to_string_lossy().into_owned();
    let pkg = tempdir();
    std::fs::copy(example.join("preview.yaml"), pkg.path().join("preview.yaml")).expect("copy the spec");
    let spec = pkg.path().join("preview.yaml");
    let expected = docs(&render(&spec, &["--pr", "42", "--sha", SHA, "--policy", &policy_env]));
    let kinds: Vec<&str> = expected.iter().filter_map(|o| o["kind"].as_str()).collect();
    assert!(kinds.contains(&"ExternalSecret") && kinds.contains(&"HTTPRoute"), "not the real app: {kinds:?}");
    let namespace = find(&expected, "Namespace")["metadata"]["name"].as_str().expect("namespace").to_owned();

    // kpt, with the function's PR fields as key=value pairs and the policy from the environment.
    let exec = kpreview_path().display().to_string();
    let sha = format!("sha={SHA}");
    let kpt = Command::new("kpt")
        .args(["fn", "eval"])
        .arg(pkg.path())
        .args(["--exec", &exec, "--", "pr=42", &sha])
        .env("KPREVIEW_POLICY", &policy_env)
        .env_remove("PREVIEW_PR_NUMBER")
        .output()
        .expect("run kpt");
    assert!(kpt.status.success(), "{}", describe(&kpt));
    assert_same_objects("kpt fn eval", generated_objects(&pkg.path().join(&namespace)), expected.clone());

    // The kustomize plugin, its spec as a generator.
    let home = tempdir();
    install_plugin(home.path());
    let dir = tempdir();
    std::fs::copy(example.join("preview.yaml"), dir.path().join("preview.yaml")).expect("copy the spec");
    write(dir.path(), "kustomization.yaml", "generators: [preview.yaml]\n");
    let env = [("PREVIEW_PR_NUMBER", "42"), ("PREVIEW_HEAD_SHA", SHA), ("KPREVIEW_POLICY", policy_env.as_str())];
    let kustomize = kubectl_kustomize(dir.path(), home.path(), &env);
    assert!(kustomize.status.success(), "{}", describe(&kustomize));
    assert_same_objects("kubectl kustomize", docs(&String::from_utf8_lossy(&kustomize.stdout)), expected.clone());

    // The Argo CD plugin, in the Application's destination namespace.
    let cmp = generate_command(dir.path())
        .envs([
            ("ARGOCD_ENV_PR_NUMBER", "42"),
            ("ARGOCD_ENV_HEAD_SHA", SHA),
            ("ARGOCD_APP_NAMESPACE", namespace.as_str()),
            ("KPREVIEW_POLICY", policy_env.as_str()),
        ])
        .output()
        .expect("run the plugin");
    assert!(cmp.status.success(), "{}", describe(&cmp));
    assert_same_objects("cmp", docs(&String::from_utf8_lossy(&cmp.stdout)), expected.clone());

    // Without the platform's policy, the pull request may read no secret store: refused.
    let bare = generate_command(dir.path())
        .envs([("ARGOCD_ENV_PR_NUMBER", "42"), ("ARGOCD_ENV_HEAD_SHA", SHA), ("ARGOCD_APP_NAMESPACE", &namespace)])
        .env_remove("KPREVIEW_POLICY")
        .output()
        .expect("run the plugin");
    assert!(!bare.status.success() && bare.stdout.is_empty(), "{}", describe(&bare));
    assert!(String::from_utf8_lossy(&bare.stderr).contains("secrets"), "{}", describe(&bare));
}
