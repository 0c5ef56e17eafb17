//! The function on ResourceLists as kpt and kustomize send them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::list::ResourceList;
use super::process::{Env, GENERATED_BY, LOCAL_CONFIG, process};
use super::result::Severity;
use crate::files::Memory;
use crate::policy::Policy;
use crate::spec::defaults::PrFields;

const SPEC: &str = "\
- apiVersion: kpreview.dev/v1alpha1
  kind: Preview
  metadata:
    name: shop
    annotations:
      config.kubernetes.io/path: 'apps/preview.yaml'
      internal.config.kubernetes.io/path: 'apps/preview.yaml'
      internal.config.kubernetes.io/package-path: '/pkg'
      config.k8s.io/id: '2'
  spec:
    pullRequest: {number: 3, headSha: abc1234}
    services:
      api: {image: 'registry.example.com/api:{{ pr.shortSha }}', port: 8080, expose: true}
    domain: preview.example.com
";

const CONFIG_MAP: &str = "\
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: other # kept
    annotations:
      config.kubernetes.io/path: 'cm.yaml'
      config.k8s.io/id: '1'
  data: {a: 'b', n: \"1\"}
";

fn list(items: &[&str], config: Option<&str>) -> ResourceList {
    let mut text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n".to_owned();
    for item in items {
        text.push_str(item);
    }
    if let Some(config) = config {
        text.push_str("functionConfig:\n");
        text.push_str(config);
    }
    ResourceList::parse(&text).expect("a ResourceList")
}

fn run(input: ResourceList, env: PrFields) -> (ResourceList, Vec<PathBuf>) {
    run_with(input, env, PrFields::default(), &BTreeMap::new())
}

/// Runs the function in `/work` with `KPREVIEW_*` as `flags` and `files` on disk; returns what it
/// looked at.
fn run_with(
    input: ResourceList,
    env: PrFields,
    flags: PrFields,
    files: &BTreeMap<PathBuf, String>,
) -> (ResourceList, Vec<PathBuf>) {
    let disk = files.iter().fold(Memory::new(), |disk, (path, text)| disk.file(path, text.as_str()));
    let output = run_on(input, env, flags, &disk);
    (output, disk.looked_at())
}

/// Runs the function in `/work` on the files of `disk`.
fn run_on(input: ResourceList, env: PrFields, flags: PrFields, disk: &Memory) -> ResourceList {
    let env = Env {
        flags,
        pr_env: env.into(),
        cwd: PathBuf::from("/work"),
        files: disk,
        image: None,
        policy: Policy::default(),
    };
    process(input, &env)
}

fn annotation<'a>(item: &'a super::Item, key: &str) -> Option<&'a str> {
    item.object().get("metadata")?.get("annotations")?.get(key)?.as_str()
}

#[test]
fn renders_next_to_the_spec_and_passes_everything_through() {
    let (out, asked) = run(list(&[CONFIG_MAP, SPEC], None), PrFields::default());
    assert!(!out.has_errors(), "{:?}", out.results);
    assert_eq!(asked, [PathBuf::from("/pkg/apps/preview.lock")]);
    let yaml = out.to_yaml().expect("yaml");
    assert!(yaml.contains(CONFIG_MAP), "the ConfigMap is not passed through verbatim:\n{yaml}");
    assert_eq!(annotation(&out.items[1], LOCAL_CONFIG), Some("true"));
    assert_eq!(annotation(&out.items[1], "config.k8s.io/id"), Some("2"));
    let generated = &out.items[2..];
    let kinds: Vec<_> = generated.iter().filter_map(|i| i.object().get("kind")?.as_str()).collect();
    for kind in ["Namespace", "ResourceQuota", "LimitRange", "NetworkPolicy", "Deployment", "Service", "Ingress"] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    for item in generated {
        let path = annotation(item, "config.kubernetes.io/path").expect("path");
        assert!(path.starts_with("apps/shop-pr-3/0"), "{path}");
        assert_eq!(annotation(item, "internal.config.kubernetes.io/path"), Some(path));
        assert_eq!(annotation(item, GENERATED_BY), Some("apps/preview.yaml"));
    }
    let info = out.results.iter().find(|r| r.severity == Severity::Info).expect("info");
    let summary = format!("rendered {} objects of preview shop-pr-3 into apps/shop-pr-3/", generated.len());
    assert_eq!(info.message, summary);
}

#[test]
fn a_rerun_replaces_what_it_generated() {
    let (first, _) = run(list(&[CONFIG_MAP, SPEC], None), PrFields::default());
    let again = ResourceList::parse(&first.to_yaml().expect("yaml")).expect("parse");
    let (second, _) = run(again, PrFields::default());
    assert_eq!(second.to_yaml().expect("yaml"), first.to_yaml().expect("yaml"));
}

#[test]
fn pr_fields_come_from_the_config_then_the_spec_then_the_environment() {
    let config = "  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: function-input}\n  data: {pr: '9'}\n";
    let env = PrFields { number: Some(1), head_sha: Some("fffffff".to_owned()), branch: Some("main".to_owned()) };
    let (out, _) = run(list(&[SPEC], Some(config)), env);
    assert!(!out.has_errors(), "{:?}", out.results);
    let yaml = out.to_yaml().expect("yaml");
    assert!(yaml.contains("shop-pr-9/000-namespace-shop-pr-9.yaml"), "{yaml}");
    assert!(yaml.contains("registry.example.com/api:abc1234"), "the spec's sha loses to nothing here:\n{yaml}");
}

#[test]
fn a_config_that_is_also_an_item_renders_once() {
    let config = SPEC.strip_prefix("- ").expect("entry").replace("\n  ", "\n");
    let config: String = config.lines().flat_map(|l| ["  ", l, "\n"]).collect();
    let (out, _) = run(list(&[SPEC], Some(&config)), PrFields::default());
    assert!(!out.has_errors(), "{:?}", out.results);
    let (alone, _) = run(list(&[SPEC], None), PrFields::default());
    assert_eq!(out.items, alone.items);
}

#[test]
fn a_config_from_outside_the_package_renders_at_its_root() {
    let config = "  apiVersion: kpreview.dev/v1alpha1\n  kind: Preview\n  metadata: {name: blog}\n  spec:\n    pullRequest: {number: 4}\n    dataStores: {db: {engine: redis}}\n";
    let (out, asked) = run(list(&[CONFIG_MAP], Some(config)), PrFields::default());
    assert!(!out.has_errors(), "{:?}", out.results);
    assert_eq!(asked, [PathBuf::from("/work/preview.lock")], "beside where the orchestrator runs");
    let last = out.items.last().expect("items");
    assert!(annotation(last, "config.kubernetes.io/path").expect("path").starts_with("blog-pr-4/"));
    assert_eq!(annotation(last, GENERATED_BY), Some("Preview/blog"));
}

#[test]
fn problems_are_results_at_their_fields_and_nothing_is_replaced() {
    let (first, _) = run(list(&[SPEC], None), PrFields::default());
    let broken = first.to_yaml().expect("yaml").replace("port: 8080", "port: 99999");
    let (out, _) = run(ResourceList::parse(&broken).expect("parse"), PrFields::default());
    assert!(out.has_errors());
    let error = out.results.iter().find(|r| r.is_error()).expect("error");
    assert_eq!(error.field.as_ref().map(|f| f.path.as_str()), Some("spec.services.api.port"));
    assert_eq!(error.file.as_ref().map(|f| f.path.as_str()), Some("apps/preview.yaml"));
    assert_eq!(error.resource_ref.as_ref().map(|r| r.name.as_str()), Some("shop"));
    assert!(!error.message.contains("(line "), "{}", error.message);
    assert_eq!(out.items.len(), first.items.len(), "an earlier run's items stay when this one fails");
}

#[test]
fn a_package_without_a_spec_is_an_error() {
    let (out, _) = run(list(&[CONFIG_MAP], None), PrFields::default());
    assert!(out.has_errors());
    assert!(out.results[0].message.starts_with("no Preview to render"), "{}", out.results[0].message);
    assert_eq!(out.items.len(), 1);
}

#[test]
fn two_specs_for_one_namespace_are_an_error() {
    let copy = SPEC.replace("apps/preview.yaml", "apps/copy.yaml");
    let (out, _) = run(list(&[SPEC, &copy], None), PrFields::default());
    let error = out.results.iter().find(|r| r.is_error()).expect("error");
    assert!(error.message.contains("as apps/preview.yaml does"), "{}", error.message);
}

#[test]
fn a_selected_spec_renders_alone_and_every_spec_is_marked_local_config() {
    let config = "  apiVersion: kpreview.dev/v1alpha1\n  kind: Preview\n  metadata: {name: blog}\n  spec:\n    pullRequest: {number: 4}\n    dataStores: {db: {engine: redis}}\n";
    let (out, _) = run(list(&[SPEC], Some(config)), PrFields::default());
    assert!(!out.has_errors(), "{:?}", out.results);
    assert_eq!(annotation(&out.items[0], LOCAL_CONFIG), Some("true"));
    assert!(
        out.items.iter().all(|i| annotation(i, GENERATED_BY) != Some("apps/preview.yaml")),
        "shop was rendered too"
    );
}

/// A spec kpt sends from `kpt fn eval DIR` (no package path), seeding a store by tags.
const TAGGED: &str = "\
- apiVersion: kpreview.dev/v1alpha1
  kind: Preview
  metadata:
    name: blog
    annotations:
      config.kubernetes.io/path: 'c/preview.yaml'
      config.kubernetes.io/index: '0'
  spec:
    pullRequest: {number: 3, headSha: abc1234}
    dataStores:
      db: {engine: postgres, seed: {snapshot: {tags: {app: blog}}}}
";

const LOCK: &str = "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewLock\nsnapshots:\n  db:\n    tags: {app: blog}\n    snapshotId: snap-0123456789abcdef0\n    startTime: '2026-11-21T02:14:09Z'\n";

fn spec_on_disk() -> String {
    let lines: Vec<&str> =
        TAGGED.lines().filter(|l| !l.contains("config.kubernetes.io")).map(|l| l.get(2..).unwrap_or("")).collect();
    let body = lines.join(
        "
",
    ) + "
";
    body.replace("  annotations:\n", "")
}

#[test]
fn without_a_package_path_the_lock_is_read_beside_the_spec_found_under_the_working_directory() {
    let files = BTreeMap::from([
        (PathBuf::from("/work/c/preview.yaml"), spec_on_disk()),
        (PathBuf::from("/work/c/preview.lock"), LOCK.to_owned()),
    ]);
    let (out, asked) = run_with(list(&[TAGGED], None), PrFields::default(), PrFields::default(), &files);
    assert!(!out.has_errors(), "{:?}", out.results);
    assert_eq!(asked, [PathBuf::from("/work/c/preview.yaml"), PathBuf::from("/work/c/preview.lock")]);
    assert!(out.to_yaml().expect("yaml").contains("snapshotHandle: snap-0123456789abcdef0"));
}

#[test]
fn without_a_package_path_a_lock_under_another_spec_is_never_used() {
    // The working directory has c/preview.yaml and c/preview.lock, but of another spec: `kpt fn
    // eval pkg` run from pkg's parent, which happens to hold a c/ of its own.
    let other = spec_on_disk().replace("name: blog", "name: other");
    let files = BTreeMap::from([
        (PathBuf::from("/work/c/preview.yaml"), other),
        (PathBuf::from("/work/c/preview.lock"), LOCK.to_owned()),
    ]);
    let (out, asked) = run_with(list(&[TAGGED], None), PrFields::default(), PrFields::default(), &files);
    assert_eq!(asked, [PathBuf::from("/work/c/preview.yaml")], "the lock must not be read");
    let error = out.results.iter().find(|r| r.is_error()).expect("an error");
    assert!(error.message.contains("no snapshot is pinned for `db`"), "{}", error.message);
    assert!(
        error.message.contains(
            "kpt fn eval passes no package path (nor does kpt fn source), and c/preview.yaml under the working directory /work is not this spec"
        ) && error.message.ends_with("run kpt from the package's directory, or use kpt fn render)"),
        "{}",
        error.message
    );
}

#[test]
fn a_missing_lock_is_named_by_its_absolute_path() {
    let tagged = TAGGED.replace(
        "      config.kubernetes.io/index: '0'\n",
        "      config.kubernetes.io/index: '0'\n      internal.config.kubernetes.io/package-path: '/pkg'\n",
    );
    let (out, asked) = run(list(&[&tagged], None), PrFields::default());
    assert_eq!(asked, [PathBuf::from("/pkg/c/preview.lock")]);
    let error = out.results.iter().find(|r| r.is_error()).expect("an error");
    assert!(error.message.ends_with("(looked for /pkg/c/preview.lock, which does not exist)"), "{}", error.message);
}

#[test]
fn kpreview_variables_act_as_flags_below_the_function_config() {
    let flags = PrFields { number: Some(8), head_sha: Some("fffffff".to_owned()), branch: None };
    let (out, _) = run_with(list(&[SPEC], None), PrFields::default(), flags.clone(), &BTreeMap::new());
    assert!(!out.has_errors(), "{:?}", out.results);
    let yaml = out.to_yaml().expect("yaml");
    assert!(yaml.contains("shop-pr-8/000-namespace-shop-pr-8.yaml"), "KPREVIEW_PR_NUMBER wins over the spec:\n{yaml}");
    assert!(yaml.contains("registry.example.com/api:fffffff"), "{yaml}");
    let config = "  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: function-input}\n  data: {pr: '9'}\n";
    let (out, _) = run_with(list(&[SPEC], Some(config)), PrFields::default(), flags, &BTreeMap::new());
    let yaml = out.to_yaml().expect("yaml");
    assert!(yaml.contains("shop-pr-9/000-namespace"), "the function config wins over KPREVIEW_*:\n{yaml}");
    assert!(yaml.contains("registry.example.com/api:fffffff"), "a field the config leaves out comes from KPREVIEW_*");
    let bare = SPEC.replace("    pullRequest: {number: 3, headSha: abc1234}\n", "");
    let (out, _) = run(list(&[&bare], None), PrFields::default());
    let error = out.results.iter().find(|r| r.is_error()).expect("no number");
    assert!(
        error.message.contains("the function config's `pr` (`kpt fn eval … -- pr=…`), `KPREVIEW_PR_NUMBER`"),
        "{}",
        error.message
    );
}

#[test]
fn a_generated_file_copied_elsewhere_is_the_users_and_stays() {
    let (first, _) = run(list(&[CONFIG_MAP, SPEC], None), PrFields::default());
    let text = first.to_yaml().expect("yaml");
    let again = ResourceList::parse(&text).expect("parse");
    let service = again.items.iter().find(|i| i.object()["kind"] == "Service").expect("a Service").clone();
    let mut copy = service.object().clone();
    for key in ["config.kubernetes.io/path", "internal.config.kubernetes.io/path"] {
        copy["metadata"]["annotations"][key] = "custom/my-service.yaml".into();
    }
    copy["metadata"]["name"] = "mine".into();
    let mut input = again;
    input.items.push(super::Item::new(copy.clone()));
    let (out, _) = run(input, PrFields::default());
    assert!(!out.has_errors(), "{:?}", out.results);
    assert!(out.items.iter().any(|i| i.object() == &copy), "the copy was dropped");
    let kept = out.results.iter().find(|r| r.message.starts_with("kept custom/my-service.yaml")).expect("an info");
    assert_eq!(kept.severity, Severity::Info);
    assert!(kept.message.contains("apps/<namespace>/NNN-<kind>-….yaml"), "{}", kept.message);
    assert!(!out.results.iter().any(|r| r.message.starts_with("removed ")), "nothing went away");
}

#[test]
fn files_that_go_away_are_named() {
    let (first, _) = run(list(&[SPEC], None), PrFields::default());
    let again = ResourceList::parse(&first.to_yaml().expect("yaml")).expect("parse");
    let config = "  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: function-input}\n  data: {pr: '4'}\n";
    let mut input = again;
    input.function_config = list(&[], Some(config)).function_config;
    let (out, _) = run(input, PrFields::default());
    let removed: Vec<&str> =
        out.results.iter().filter(|r| r.message.starts_with("removed ")).map(|r| r.message.as_str()).collect();
    assert_eq!(removed.len(), first.items.len() - 1, "{removed:?}");
    assert!(
        removed[0].starts_with(
            "removed apps/shop-pr-3/000-namespace-shop-pr-3.yaml, which an earlier run generated from apps/preview.yaml"
        ),
        "{removed:?}"
    );
    assert!(
        out.results
            .iter()
            .filter(|r| r.message.starts_with("removed "))
            .all(|r| r.severity == Severity::Info && r.file.is_some())
    );
    let emptied: Vec<&str> =
        out.results.iter().filter(|r| r.message.starts_with("kpt deletes")).map(|r| r.message.as_str()).collect();
    assert_eq!(
        emptied,
        ["kpt deletes the removed files but never a directory: apps/shop-pr-3/ stays behind, empty; \
          remove it with `rmdir apps/shop-pr-3`"]
    );
}

#[test]
fn a_directory_that_still_holds_an_item_is_not_called_empty() {
    let (first, _) = run(list(&[SPEC], None), PrFields::default());
    let mut again = ResourceList::parse(&first.to_yaml().expect("yaml")).expect("parse");
    let mine = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "mine", "annotations": {"config.kubernetes.io/path": "apps/shop-pr-3/mine.yaml"}}});
    again.items.push(super::Item::new(mine.as_object().expect("an object").clone()));
    let config = "  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: function-input}\n  data: {pr: '4'}\n";
    again.function_config = list(&[], Some(config)).function_config;
    let (out, _) = run(again, PrFields::default());
    assert!(out.results.iter().any(|r| r.message.starts_with("removed ")));
    assert!(!out.results.iter().any(|r| r.message.starts_with("kpt deletes")), "{:?}", out.results);
}

/// The `resource_list` fuzz target's properties on its committed inputs (seeds and fixed
/// crashers), in every `cargo test`: what reads is processed without a panic, every input item
/// comes back first, in order and equal (but for the local-config mark on specs), and the output
/// reads again. The seeds cover the text slicing of `entries` and `flow`.
#[test]
fn committed_fuzz_inputs_keep_their_properties() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let inputs: Vec<PathBuf> = ["corpus", "regressions"]
        .iter()
        .flat_map(|kind| std::fs::read_dir(root.join(kind).join("resource_list")).into_iter().flatten())
        .map(|e| e.expect("entry").path())
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    assert!(inputs.len() >= 6, "the resource_list corpus is committed");
    let unmarked = |mut object: super::list::Object| {
        if let Some(annotations) =
            object.get_mut("metadata").and_then(|m| m.get_mut("annotations")).and_then(|a| a.as_object_mut())
        {
            annotations.remove(LOCAL_CONFIG);
            if annotations.is_empty() {
                object["metadata"].as_object_mut().expect("metadata").remove("annotations");
            }
        }
        object
    };
    let mut kept_text = 0;
    for path in inputs {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let Ok(list) = ResourceList::parse(&text) else { continue };
        let before: Vec<_> = list.items.iter().map(|i| unmarked(i.object().clone())).collect();
        kept_text += list.items.iter().filter(|i| i.source().is_some()).count();
        let (out, _) = run(list, PrFields::default());
        let written = out.to_yaml().expect("a processed list writes");
        let again = ResourceList::parse(&written).expect("what the function writes, it reads");
        for (i, original) in before.iter().enumerate() {
            assert_eq!(&unmarked(again.items[i].object().clone()), original, "{}: item {i}", path.display());
        }
    }
    assert!(kept_text >= 6, "the seeds' items keep their text ({kept_text})");
}

#[test]
fn a_package_s_lock_linked_out_of_the_spec_s_directory_is_refused_unread() {
    let tagged = TAGGED.replace(
        "      config.kubernetes.io/index: '0'\n",
        "      config.kubernetes.io/index: '0'\n      internal.config.kubernetes.io/package-path: '/pkg'\n",
    );
    let disk = Memory::new().device("/dev/zero").link("/pkg/c/preview.lock", "/dev/zero");
    let out = run_on(list(&[&tagged], None), PrFields::default(), PrFields::default(), &disk);
    let error = out.results.iter().find(|r| r.is_error()).expect("an error");
    assert_eq!(
        error.message,
        "/pkg/c/preview.lock: it is a symbolic link to /dev/zero, outside the spec's directory; commit the lock file \
         itself"
    );
    assert!(disk.opened().is_empty(), "{:?}", disk.opened());
}
