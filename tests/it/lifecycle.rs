//! A preview's life in Argo CD: push after push (a newer snapshot in the lock, another store
//! size or class, a new image), no field the API server refuses to change may change under the
//! same object, unless the shipped ApplicationSets tell Argo CD to keep the live value
//! (`ignoreDifferences` with `RespectIgnoreDifferences=true`). Evaluated on the rendered objects
//! and on the ApplicationSets as shipped (docs/lifecycle.md).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::{describe, kpreview, root, tempdir, write};

/// One push: what CI gives `render`, and the lock `kpreview lock` wrote for it.
struct Push {
    sha: &'static str,
    snapshot: &'static str,
    started: &'static str,
    storage: &'static str,
    class: &'static str,
}

const PUSHES: [Push; 5] = [
    Push {
        sha: "1111111111111111111111111111111111111111",
        snapshot: "snap-0aaaaaaaaaaaaaaa1",
        started: "2026-11-20T03:00:00Z",
        storage: "10Gi",
        class: "gp3",
    },
    // The nightly snapshot moved on, and CI ran `kpreview lock` again.
    Push {
        sha: "2222222222222222222222222222222222222222",
        snapshot: "snap-0bbbbbbbbbbbbbbb2",
        started: "2026-11-21T03:00:00Z",
        storage: "10Gi",
        class: "gp3",
    },
    Push {
        sha: "3333333333333333333333333333333333333333",
        snapshot: "snap-0bbbbbbbbbbbbbbb2",
        started: "2026-11-21T03:00:00Z",
        storage: "20Gi",
        class: "gp3",
    },
    Push {
        sha: "4444444444444444444444444444444444444444",
        snapshot: "snap-0bbbbbbbbbbbbbbb2",
        started: "2026-11-21T03:00:00Z",
        storage: "20Gi",
        class: "io2",
    },
    Push {
        sha: "5555555555555555555555555555555555555555",
        snapshot: "snap-0ccccccccccccccc3",
        started: "2026-11-22T03:00:00Z",
        storage: "20Gi",
        class: "io2",
    },
];

fn spec(push: &Push) -> String {
    format!(
        "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {{name: shop}}\nspec:\n  \
         pullRequest: {{number: 7, branch: feature/x}}\n  domain: preview.example.com\n  services:\n    \
         api:\n      image: registry.example.com/shop/api:{{{{ pr.headSha }}}}\n      port: 8000\n      \
         expose: true\n      dependsOn: [db, cache, legacy]\n      migrate: [python, manage.py, migrate]\n  \
         dataStores:\n    db:\n      engine: postgres\n      storage: {storage}\n      storageClass: {class}\n      \
         seed: {{snapshot: {{tags: {{app: shop, dataset: anonymized}}}}}}\n    cache: {{engine: redis}}\n    \
         legacy:\n      engine: mongodb\n      seed: {{velero: {{backup: nightly, namespace: preview-base}}}}\n",
        storage = push.storage,
        class = push.class,
    )
}

fn lock(push: &Push) -> String {
    format!(
        "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewLock\nsnapshots:\n  db:\n    tags: {{app: shop, dataset: \
         anonymized}}\n    snapshotId: {}\n    startTime: \"{}\"\n    volumeSizeGib: 10\n",
        push.snapshot, push.started
    )
}

type Key = (String, String, String, String);

/// Renders `push` as CI would on that commit; objects by (group, kind, namespace, name).
fn render(dir: &Path, push: &Push) -> BTreeMap<Key, Value> {
    write(dir, "preview.yaml", &spec(push));
    write(dir, "preview.lock", &lock(push));
    let output = kpreview().current_dir(dir).args(["render", "preview.yaml", "--sha", push.sha]).output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let docs: Vec<Value> = serde_saphyr::from_multiple(&String::from_utf8(output.stdout).unwrap()).unwrap();
    docs.into_iter()
        .map(|o| {
            let text = |p: &str| o.pointer(p).and_then(Value::as_str).unwrap_or_default().to_owned();
            let group = text("/apiVersion").rsplit_once('/').map_or(String::new(), |(g, _)| g.to_owned());
            ((group, text("/kind"), text("/metadata/namespace"), text("/metadata/name")), o)
        })
        .collect()
}

/// The fields of `object` that the API server refuses to change once it exists, as JSON
/// pointers. Argo CD deletes and re-creates a hook with `BeforeHookCreation`, so it has none.
fn immutable(kind: &str, object: &Value) -> Vec<String> {
    let annotation = |name: &str| object.pointer(&format!("/metadata/annotations/{name}")).and_then(Value::as_str);
    let recreated = annotation("argocd.argoproj.io~1hook").is_some()
        && annotation("argocd.argoproj.io~1hook-delete-policy").is_none_or(|p| p.contains("BeforeHookCreation"));
    if recreated {
        return Vec::new();
    }
    let fields: &[&str] = match kind {
        "StatefulSet" => {
            // "updates to statefulset spec for fields other than … are forbidden"
            let mutable = [
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            ];
            let keys = object["spec"].as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
            return keys.into_iter().filter(|k| !mutable.contains(&k.as_str())).map(|k| format!("/spec/{k}")).collect();
        }
        "Deployment" | "ReplicaSet" | "DaemonSet" => &["/spec/selector"],
        "Job" => &["/spec/template", "/spec/selector", "/spec/completions", "/spec/completionMode"],
        "Service" => &["/spec/clusterIP", "/spec/clusterIPs"],
        "VolumeSnapshotContent" => &["/spec/source", "/spec/sourceVolumeMode"],
        "VolumeSnapshot" => &["/spec/source"],
        "RoleBinding" | "ClusterRoleBinding" => &["/roleRef"],
        "PersistentVolumeClaim" => {
            &["/spec/storageClassName", "/spec/dataSource", "/spec/dataSourceRef", "/spec/volumeName"]
        }
        "Secret" | "ConfigMap" if object["immutable"] == true => &["/data", "/binaryData"],
        _ => &[],
    };
    fields.iter().map(|f| (*f).to_owned()).collect()
}

/// Whether `application_set` makes Argo CD keep the live value at `pointer` of the object `key`.
fn kept(application_set: &Value, key: &Key, pointer: &str) -> bool {
    let spec = &application_set["spec"]["template"]["spec"];
    let respects = spec["syncPolicy"]["syncOptions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|o| o == "RespectIgnoreDifferences=true");
    let (group, kind, namespace, name) = key;
    respects
        && spec["ignoreDifferences"].as_array().into_iter().flatten().any(|rule| {
            assert!(rule.get("jqPathExpressions").is_none(), "only jsonPointers are evaluated here: {rule}");
            rule["group"].as_str().unwrap_or_default() == group
                && rule["kind"] == kind.as_str()
                && rule["name"].as_str().is_none_or(|n| n == name)
                && rule["namespace"].as_str().is_none_or(|n| n == namespace)
                && rule["jsonPointers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .any(|p| pointer == p || pointer.strip_prefix(p).is_some_and(|rest| rest.starts_with('/')))
        })
}

/// The changes of immutable fields between two renders that `application_set` does not keep,
/// and how many it keeps.
fn refused_changes(
    application_set: &Value,
    before: &BTreeMap<Key, Value>,
    after: &BTreeMap<Key, Value>,
) -> (Vec<String>, usize) {
    let mut refused = Vec::new();
    let mut kept_count = 0;
    for (key, old) in before {
        let Some(new) = after.get(key) else { continue };
        for pointer in immutable(&key.1, old).into_iter().chain(immutable(&key.1, new)) {
            if old.pointer(&pointer) == new.pointer(&pointer) {
                continue;
            }
            if kept(application_set, key, &pointer) {
                kept_count += 1;
            } else {
                refused.push(format!("{key:?} {pointer}: {:?} -> {:?}", old.pointer(&pointer), new.pointer(&pointer)));
            }
        }
    }
    refused.dedup();
    (refused, kept_count)
}

fn shipped(path: &str) -> Value {
    serde_saphyr::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap()
}

#[test]
fn a_preview_keeps_syncing_push_after_push() {
    let dir = tempdir();
    let renders: Vec<_> = PUSHES.iter().map(|push| render(dir.path(), push)).collect();
    for path in ["overlays/gitops/applicationset.yaml", "overlays/platform/applicationset.yaml"] {
        let application_set = shipped(path);
        let mut kept_total = 0;
        for (i, pair) in renders.windows(2).enumerate() {
            let (refused, kept_count) = refused_changes(&application_set, &pair[0], &pair[1]);
            assert!(
                refused.is_empty(),
                "{path}: push {} -> {} changes what cannot change:\n{}",
                i + 1,
                i + 2,
                refused.join("\n")
            );
            kept_total += kept_count;
        }
        // The pushes do change a snapshot handle and a claim template: kept, not refused.
        assert!(kept_total >= 4, "{path}: only {kept_total} changes kept; the pushes no longer exercise the seed");
    }
}

#[test]
fn without_ignore_differences_the_second_push_is_refused() {
    // The check can fail: the stock behaviour (no ignoreDifferences) is what issue 17 found.
    let dir = tempdir();
    let (first, second) = (render(dir.path(), &PUSHES[0]), render(dir.path(), &PUSHES[1]));
    let mut bare = shipped("overlays/gitops/applicationset.yaml");
    bare["spec"]["template"]["spec"].as_object_mut().unwrap().remove("ignoreDifferences");
    let (refused, _) = refused_changes(&bare, &first, &second);
    assert!(refused.iter().any(|r| r.contains("VolumeSnapshotContent") && r.contains("/spec/source")), "{refused:?}");
}

/// The value the platform ApplicationSet gives the plugin env `name`, for a pull request on
/// `branch`: its Go template evaluated as the ApplicationSet controller would. Only the forms the
/// shipped file may use are understood: `.branch`, piped through sprig's `replace "old" "new"`.
fn plugin_env(application_set: &Value, name: &str, branch: &str) -> String {
    let env =
        application_set.pointer("/spec/template/spec/source/plugin/env").and_then(Value::as_array).expect("plugin env");
    let template = env.iter().find(|e| e["name"] == name).and_then(|e| e["value"].as_str()).expect("the env entry");
    let pipeline = template.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")).expect("one action").trim();
    let mut stages = pipeline.split('|').map(str::trim);
    assert_eq!(stages.next(), Some(".branch"), "{template}");
    stages.fold(branch.to_owned(), |value, stage| {
        let args: Vec<&str> = stage.split('"').collect();
        assert!(args.len() == 5 && args[0].trim() == "replace" && args[2].trim().is_empty(), "not understood: {stage}");
        value.replace(args[1], args[3])
    })
}

/// Argo CD's `Env.Envsubst` on a plugin env value: Go's `os.Expand` with `$$` kept as `$` and
/// every other name looked up among the build environment (`ARGOCD_APP_NAME`…), else empty.
fn envsubst(s: &str, build_env: &[(&str, &str)]) -> String {
    let special = |c: u8| b"*#$@!?-0123456789".contains(&c);
    let lookup = |name: &str| -> String {
        if name == "$" {
            return "$".to_owned();
        }
        build_env.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()).unwrap_or_default()
    };
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' || i + 1 == bytes.len() {
            let next = s[i + 1..].find('$').map_or(s.len(), |n| i + 1 + n);
            out.push_str(&s[i..next]);
            i = next;
            continue;
        }
        let rest = &s[i + 1..];
        let (name, width) = if let Some(braced) = rest.strip_prefix('{') {
            match braced.find('}') {
                Some(0) => (None, 2),
                None => (None, 1),
                Some(end) => (Some(&braced[..end]), end + 2),
            }
        } else if special(rest.as_bytes()[0]) {
            (Some(&rest[..1]), 1)
        } else {
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            if end == 0 { (None, 0) } else { (Some(&rest[..end]), end) }
        };
        match name {
            Some(name) => out.push_str(&lookup(name)),
            None if width == 0 => out.push('$'),
            None => {}
        }
        i += 1 + width;
    }
    out
}

#[test]
fn a_branch_with_a_dollar_arrives_in_the_plugin_as_written() {
    let application_set = shipped("overlays/platform/applicationset.yaml");
    let build_env = [("ARGOCD_APP_NAME", "shop-pr-7"), ("ARGOCD_APP_NAMESPACE", "shop-pr-7")];
    assert_eq!(envsubst("a/$HOME/${ARGOCD_APP_NAME}/$$x", &build_env), "a//shop-pr-7/$x", "the emulation itself");
    for branch in ["feat/$HOME", "fix/${ARGOCD_APP_NAME}", "a$$b", "cost-$5", "plain/branch", "end$"] {
        let given = envsubst(&plugin_env(&application_set, "BRANCH", branch), &build_env);
        assert_eq!(given, branch, "the plugin would see another branch");
        let dir = tempdir();
        write(dir.path(), "preview.yaml", &spec(&PUSHES[0]));
        write(dir.path(), "preview.lock", &lock(&PUSHES[0]));
        let output = kpreview()
            .current_dir(dir.path())
            .arg("cmp")
            .env("ARGOCD_ENV_PR_NUMBER", "7")
            .env("ARGOCD_ENV_HEAD_SHA", PUSHES[0].sha)
            .env("ARGOCD_ENV_BRANCH", &given)
            .env("ARGOCD_APP_NAMESPACE", "shop-pr-7")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", describe(&output));
        let docs: Vec<Value> = serde_saphyr::from_multiple(&String::from_utf8(output.stdout).unwrap()).unwrap();
        let namespace = docs.iter().find(|d| d["kind"] == "Namespace").expect("the Namespace");
        assert_eq!(namespace.pointer("/metadata/annotations/kpreview.dev~1branch"), Some(&Value::from(branch)));
    }
}
