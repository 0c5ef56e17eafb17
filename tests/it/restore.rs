//! `kpreview restore velero` and `kpreview restore cleanup`, run as the rendered Jobs run them,
//! against a loopback Kubernetes API (`apiserver`) that plays Velero's part and enforces the
//! RBAC the renderer (or the platform overlay) grants.

mod admission;
pub(crate) mod apiserver;

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use apiserver::{ApiServer, Step, allowed};

use crate::support::{describe, kpreview, root, tempdir, validate_manifests, write};

const RESTORES: &str = "/apis/velero.io/v1/namespaces/velero/restores";
const ROLES: &str = "/apis/rbac.authorization.k8s.io/v1/namespaces/velero/roles";
const BINDINGS: &str = "/apis/rbac.authorization.k8s.io/v1/namespaces/velero/rolebindings";

/// What the renderer makes of a spec with a Velero seed: the Jobs' arguments and the Role.
struct Rendered {
    restore_args: Vec<String>,
    cleanup_args: Vec<String>,
    restore_rules: Value,
    restore_name: String,
}

const SPEC: &str = "\
apiVersion: kpreview.dev/v1alpha1
kind: Preview
metadata: {name: shop}
spec:
  pullRequest: {number: 42, headSha: 4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d}
  services:
    api: {image: registry.example.com/shop/api:1, port: 8000, dependsOn: [postgres, mongo]}
  dataStores:
    postgres: {engine: postgres, seed: {velero: {backup: nightly, namespace: preview-base}}}
    mongo: {engine: mongodb, seed: {velero: {backup: nightly, namespace: preview-base}}}
";

fn render() -> Rendered {
    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", SPEC);
    let out = dir.path().join("out");
    let output = kpreview().arg("render").arg(&spec).arg("-o").arg(&out).output().expect("run kpreview render");
    assert!(output.status.success(), "{}", describe(&output));
    let mut rendered = Rendered {
        restore_args: vec![],
        cleanup_args: vec![],
        restore_rules: Value::Null,
        restore_name: String::new(),
    };
    for entry in std::fs::read_dir(&out).expect("rendered files") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read rendered file");
        let object = kpreview::yaml::value_from_str(&text, kpreview::yaml::Limits::Spec).expect("rendered YAML");
        let component = object["metadata"]["labels"]["app.kubernetes.io/component"].as_str();
        let args = || -> Vec<String> {
            serde_json::from_value(object["spec"]["template"]["spec"]["containers"][0]["args"].clone()).expect("args")
        };
        match (object["kind"].as_str(), component) {
            (Some("Job"), Some("restore")) => rendered.restore_args = args(),
            (Some("Job"), Some("cleanup")) => rendered.cleanup_args = args(),
            (Some("Role"), _) => {
                rendered.restore_rules = object["rules"].clone();
                object["rules"][1]["resourceNames"][0].as_str().expect("name").clone_into(&mut rendered.restore_name);
            }
            _ => {}
        }
    }
    assert!(!rendered.restore_args.is_empty() && !rendered.cleanup_args.is_empty(), "render has both Jobs");
    rendered
}

/// Runs kpreview with `args` against `server`.
fn run(server: &ApiServer, args: &[String]) -> Output {
    let dir = tempdir();
    let kubeconfig = server.kubeconfig(dir.path());
    kpreview()
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .output()
        .expect("run kpreview")
}

/// `text` with the Restore's name where it says `shop-pr-42-nightly`.
fn named(text: &str, rendered: &Rendered) -> String {
    text.replace("shop-pr-42-nightly", &rendered.restore_name)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The rendered Job's arguments with `--timeout` replaced.
fn with_timeout(args: &[String], timeout: &str) -> Vec<String> {
    let mut args = args.to_vec();
    let at = args.iter().position(|a| a == "--timeout").expect("--timeout") + 1;
    timeout.clone_into(&mut args[at]);
    args
}

fn status(phase: &str, restored: i64, total: i64, warnings: i64, errors: i64) -> Value {
    json!({"phase": phase, "progress": {"itemsRestored": restored, "totalItems": total},
           "warnings": warnings, "errors": errors})
}

fn soon(step: Step) -> (Duration, Step) {
    (Duration::from_millis(30), step)
}

/// The Restore a first attempt of the rendered Job would have created, with `status`.
fn existing(rendered: &Rendered, backup: &str, status: &Value) -> Value {
    json!({
        "apiVersion": "velero.io/v1", "kind": "Restore",
        "metadata": {"name": rendered.restore_name, "namespace": "velero",
                     "labels": {"app.kubernetes.io/managed-by": "kpreview", "kpreview.dev/preview": "shop-pr-42"}},
        "spec": {"backupName": backup, "includedNamespaces": ["preview-base"],
                 "includedResources": ["persistentvolumeclaims", "persistentvolumes",
                                       "volumesnapshots.snapshot.storage.k8s.io",
                                       "volumesnapshotcontents.snapshot.storage.k8s.io", "secrets"],
                 "namespaceMapping": {"preview-base": "shop-pr-42"},
                 "orLabelSelectors": [{"matchLabels": {"kpreview.dev/store": "mongo"}},
                                      {"matchLabels": {"kpreview.dev/store": "postgres"}}],
                 "restorePVs": true},
        "status": status.clone()
    })
}

fn posts(server: &ApiServer) -> usize {
    server.calls().iter().filter(|c| c.method == "POST").count()
}

#[test]
fn the_rendered_job_creates_the_restore_and_follows_it_to_completed() {
    let rendered = render();
    let server = ApiServer::start();
    server.enforce(rendered.restore_rules.clone());
    server.script(
        RESTORES,
        &rendered.restore_name,
        vec![
            soon(Step::Status(json!({"phase": "New"}))),
            soon(Step::Status(status("InProgress", 0, 4, 0, 0))),
            soon(Step::Status(status("InProgress", 2, 4, 0, 0))),
            soon(Step::Status(status("InProgress", 2, 4, 0, 0))),
            soon(Step::Status(status("Completed", 4, 4, 1, 0))),
        ],
    );
    let output = run(&server, &rendered.restore_args);
    assert!(output.status.success(), "{}", describe(&output));
    let err = stderr(&output);
    let expected = [
        "created Restore velero/shop-pr-42-nightly: backup nightly from namespace preview-base into shop-pr-42 \
         (stores mongo, postgres)",
        "Restore velero/shop-pr-42-nightly: New: 0 warnings, 0 errors",
        "Restore velero/shop-pr-42-nightly: InProgress: 0/4 items restored, 0 warnings, 0 errors",
        "Restore velero/shop-pr-42-nightly: InProgress: 2/4 items restored, 0 warnings, 0 errors",
        "Restore velero/shop-pr-42-nightly: Completed: 4/4 items restored, 1 warning, 0 errors",
        "Restore velero/shop-pr-42-nightly Completed: 4/4 items restored, 1 warning, 0 errors",
        "the warnings are listed by `velero restore describe shop-pr-42-nightly --details`",
    ];
    let expected: Vec<String> = expected.iter().map(|line| named(line, &rendered)).collect();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines, expected, "progress is logged once per change\n{err}");

    let created = server.object(RESTORES, &rendered.restore_name).expect("the Restore exists");
    assert_eq!(
        created["spec"],
        json!({"backupName": "nightly", "includedNamespaces": ["preview-base"],
               "includedResources": ["persistentvolumeclaims", "persistentvolumes",
                                       "volumesnapshots.snapshot.storage.k8s.io",
                                       "volumesnapshotcontents.snapshot.storage.k8s.io", "secrets"],
               "namespaceMapping": {"preview-base": "shop-pr-42"},
               "orLabelSelectors": [{"matchLabels": {"kpreview.dev/store": "mongo"}},
                                    {"matchLabels": {"kpreview.dev/store": "postgres"}}],
               "restorePVs": true})
    );
    assert_eq!(
        created["metadata"]["labels"],
        json!({"app.kubernetes.io/managed-by": "kpreview", "kpreview.dev/preview": "shop-pr-42"})
    );
    validate_manifests("restore", &serde_json::to_string(&created).expect("json"));

    let calls = server.calls();
    assert_eq!(posts(&server), 1, "{calls:#?}");
    assert!(calls.iter().all(|c| c.status != 403), "the rendered Role allows every call: {calls:#?}");
    for call in calls.iter().filter(|c| c.verb() == "list" || c.verb() == "watch") {
        assert_eq!(call.query["fieldSelector"], format!("metadata.name={}", rendered.restore_name), "{call:?}");
    }
    assert!(calls.iter().any(|c| c.verb() == "watch"), "{calls:#?}");
}

#[test]
fn every_failed_phase_fails_the_job_with_what_velero_said() {
    let rendered = render();
    let cases = [
        (status("PartiallyFailed", 3, 4, 1, 2), vec!["ended PartiallyFailed: 2 errors; 1 warning"]),
        (
            json!({"phase": "Failed", "failureReason": "found a restore with status \"InProgress\" during the server starting, mark it as \"Failed\""}),
            vec!["ended Failed: 0 errors; 0 warnings; failure reason: found a restore with status \"InProgress\""],
        ),
        (
            json!({"phase": "FailedValidation", "validationErrors": ["Backup \"nightly\" not found", "Invalid included/excluded resource lists"]}),
            vec![
                "ended FailedValidation: 0 errors; 0 warnings; validation errors: Backup \"nightly\" not found; \
                 Invalid included/excluded resource lists",
            ],
        ),
    ];
    for (last, expected) in cases {
        let server = ApiServer::start();
        server.enforce(rendered.restore_rules.clone());
        server.script(
            RESTORES,
            &rendered.restore_name,
            vec![soon(Step::Status(status("InProgress", 1, 4, 0, 0))), soon(Step::Status(last.clone()))],
        );
        let output = run(&server, &rendered.restore_args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
        for text in expected {
            assert!(
                err.contains(&named(&format!("error: Restore velero/shop-pr-42-nightly {text}"), &rendered)),
                "{text}\n{err}"
            );
        }
        assert!(err.contains(&named("see `velero restore describe shop-pr-42-nightly --details`", &rendered)), "{err}");
        assert!(
            err.contains(&named("delete it (`kubectl -n velero delete restore shop-pr-42-nightly`)", &rendered)),
            "{err}"
        );
    }
}

#[test]
fn a_timed_out_job_is_retried_and_the_retry_adopts_the_restore() {
    let rendered = render();
    let server = ApiServer::start();
    server.enforce(rendered.restore_rules.clone());
    server.script(RESTORES, &rendered.restore_name, vec![soon(Step::Status(status("InProgress", 1, 4, 0, 0)))]);
    let started = Instant::now();
    let first = run(&server, &with_timeout(&rendered.restore_args, "1s"));
    assert!(started.elapsed() < Duration::from_secs(10), "the timeout is kept: {:?}", started.elapsed());
    assert_eq!(first.status.code(), Some(2), "{}", describe(&first));
    assert!(
        stderr(&first).contains(&named(
            "error: timed out after 1s waiting for Restore velero/shop-pr-42-nightly (last seen: InProgress: 1/4 \
             items restored, 0 warnings, 0 errors); Velero keeps working on it and a retried Job adopts it",
            &rendered
        )),
        "{}",
        describe(&first)
    );
    assert_eq!(posts(&server), 1);

    server.script(RESTORES, &rendered.restore_name, vec![soon(Step::Status(status("Completed", 4, 4, 0, 0)))]);
    let calls_before = server.calls().len();
    let retry = run(&server, &rendered.restore_args);
    assert!(retry.status.success(), "{}", describe(&retry));
    assert!(
        stderr(&retry).contains(&named(
            "adopting Restore velero/shop-pr-42-nightly, made by an earlier attempt: InProgress: 1/4 items restored",
            &rendered
        )),
        "{}",
        describe(&retry)
    );
    let retry_calls = &server.calls()[calls_before..];
    assert!(retry_calls.iter().all(|c| c.method != "POST"), "no second POST: {retry_calls:#?}");
    assert_eq!(server.names(RESTORES), std::slice::from_ref(&rendered.restore_name));
}

#[test]
fn a_restore_that_already_failed_is_reported_with_how_to_retry() {
    let rendered = render();
    let server = ApiServer::start();
    server.enforce(rendered.restore_rules.clone());
    server.insert(RESTORES, existing(&rendered, "nightly", &json!({"phase": "Failed", "failureReason": "boom"})));
    let output = run(&server, &rendered.restore_args);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let err = stderr(&output);
    assert!(
        err.contains(&named(
            "Restore velero/shop-pr-42-nightly had already ended Failed: 0 errors; 0 warnings; failure reason: boom",
            &rendered
        )),
        "{err}"
    );
    assert!(
        err.contains(&named("to retry, delete it (`kubectl -n velero delete restore shop-pr-42-nightly`)", &rendered)),
        "{err}"
    );
    let calls = server.calls();
    assert!(calls.iter().all(|c| c.verb() == "get"), "only read, no POST and no watch: {calls:#?}");

    let done = ApiServer::start();
    done.insert(RESTORES, existing(&rendered, "nightly", &status("Completed", 4, 4, 0, 0)));
    let output = run(&done, &rendered.restore_args);
    assert!(output.status.success(), "a completed Restore is adopted as it is: {}", describe(&output));
    assert_eq!(posts(&done), 0);
}

#[test]
fn a_restore_of_that_name_for_another_backup_is_not_adopted() {
    let rendered = render();
    let server = ApiServer::start();
    server.insert(RESTORES, existing(&rendered, "weekly", &status("Completed", 4, 4, 0, 0)));
    let output = run(&server, &rendered.restore_args);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        stderr(&output).contains(&named(
            "Restore velero/shop-pr-42-nightly already exists and is not this restore: it restores backup `weekly`",
            &rendered
        )),
        "{}",
        describe(&output)
    );
    assert_eq!(posts(&server), 0);
}

#[test]
fn a_restore_deleted_while_waiting_fails_the_job() {
    let rendered = render();
    let server = ApiServer::start();
    server.script(
        RESTORES,
        &rendered.restore_name,
        vec![soon(Step::Status(status("InProgress", 1, 4, 0, 0))), soon(Step::Delete)],
    );
    let output = run(&server, &rendered.restore_args);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        stderr(&output).contains(&named("Restore velero/shop-pr-42-nightly was deleted before it finished", &rendered)),
        "{}",
        describe(&output)
    );
}

#[test]
fn a_completed_restore_that_found_nothing_fails_and_says_what_to_check() {
    let rendered = render();
    let server = ApiServer::start();
    server.enforce(rendered.restore_rules.clone());
    server.script(
        RESTORES,
        &rendered.restore_name,
        vec![soon(Step::Status(status("InProgress", 0, 1, 0, 0))), soon(Step::Status(status("Completed", 1, 1, 0, 0)))],
    );
    let output = run(&server, &rendered.restore_args);
    assert_eq!(output.status.code(), Some(2), "two stores cannot come from one item: {}", describe(&output));
    let err = stderr(&output);
    assert!(
        err.contains(&named(
            "error: Restore velero/shop-pr-42-nightly ended Completed but restored 1 item for stores mongo, postgres",
            &rendered
        )),
        "{err}"
    );
    assert!(err.contains("carry the label kpreview.dev/store=<store>"), "{err}");
    assert!(err.contains("`kubectl -n preview-base get pvc -L kpreview.dev/store`"), "{err}");

    let uncounted = ApiServer::start();
    uncounted.script(RESTORES, &rendered.restore_name, vec![soon(Step::Status(json!({"phase": "Completed"})))]);
    let output = run(&uncounted, &rendered.restore_args);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(stderr(&output).contains("Velero reported no item count"), "{}", describe(&output));
}

#[test]
fn a_role_without_watch_fails_at_once_instead_of_waiting_for_the_timeout() {
    let rendered = render();
    let server = ApiServer::start();
    let mut rules = rendered.restore_rules.clone();
    rules[1]["verbs"] = json!(["get"]);
    server.enforce(rules);
    let started = Instant::now();
    let output = run(&server, &rendered.restore_args);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let err = stderr(&output);
    assert!(err.contains(&named("cannot watch Restore velero/shop-pr-42-nightly", &rendered)), "{err}");
    assert!(err.contains("cannot list resource \"restores\""), "{err}");
}

#[test]
fn bad_arguments_and_an_unreachable_api_are_clear_errors() {
    let server = ApiServer::start();
    let args: Vec<String> =
        ["restore", "velero", "--backup", "nightly", "--from", "base", "--to", "Shop_PR"].map(String::from).to_vec();
    let output = run(&server, &args);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        stderr(&output).contains("--to `Shop_PR` is not a namespace name (a DNS-1123 label)"),
        "{}",
        describe(&output)
    );
    assert!(server.calls().is_empty());

    let timeout = ["restore", "velero", "--backup", "b", "--from", "a", "--to", "c", "--timeout", "soon"];
    let output = run(&server, &timeout.map(String::from));
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(stderr(&output).contains("`soon` is not a duration"), "{}", describe(&output));

    let dir = tempdir();
    let unreachable = write(
        dir.path(),
        "kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters: [{name: x, cluster: {server: \"http://127.0.0.1:9\"}}]\n\
         users: [{name: x, user: {}}]\ncontexts: [{name: x, context: {cluster: x, user: x}}]\ncurrent-context: x\n",
    );
    let args = ["restore", "velero", "--backup", "b", "--from", "a", "--to", "c", "--timeout", "5s"];
    let output = kpreview().args(args).env("KUBECONFIG", &unreachable).output().expect("run");
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(stderr(&output).contains("error: cannot read Restore velero/c-b-a-"), "{}", describe(&output));
}

/// A Role or RoleBinding in Velero's namespace with `labels`.
fn rbac(kind: &str, name: &str, labels: &Value) -> Value {
    let mut object = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
                            "metadata": {"name": name, "namespace": "velero", "labels": labels}});
    if kind == "Role" {
        object["rules"] = json!([]);
    } else {
        object["roleRef"] = json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name});
    }
    object
}

fn overlay() -> String {
    std::fs::read_to_string(root().join("overlays/components/velero-seeds/cleanup.yaml")).expect("the component")
}

/// The rules of the overlay's Role.
fn cleanup_rules() -> Value {
    let text = overlay();
    text.split("\n---")
        .map(|doc| kpreview::yaml::value_from_str(doc, kpreview::yaml::Limits::Spec).expect("overlay YAML"))
        .find(|doc| doc["kind"] == "Role")
        .map(|role| role["rules"].clone())
        .expect("the overlay has a Role")
}

#[test]
fn cleanup_removes_only_the_previews_objects_and_is_idempotent() {
    let rendered = render();
    let server = ApiServer::start();
    server.enforce(cleanup_rules());
    let ours = json!({"app.kubernetes.io/managed-by": "kpreview", "kpreview.dev/preview": "shop-pr-42"});
    let other = json!({"app.kubernetes.io/managed-by": "kpreview", "kpreview.dev/preview": "shop-pr-7"});
    let foreign = json!({"kpreview.dev/preview": "shop-pr-42"});
    let restore = |name: &str, labels: &Value| {
        let mut r = existing(&rendered, "nightly", &status("Completed", 1, 1, 0, 0));
        r["metadata"]["name"] = json!(name);
        r["metadata"]["labels"] = labels.clone();
        server.insert(RESTORES, r);
    };
    restore("shop-pr-42-nightly", &ours);
    restore("shop-pr-42-weekly", &ours);
    restore("shop-pr-7-nightly", &other);
    restore("hand-made", &foreign);
    for (collection, kind) in [(ROLES, "Role"), (BINDINGS, "RoleBinding")] {
        server.insert(collection, rbac(kind, "kpreview-restore-shop-pr-42", &ours));
        server.insert(collection, rbac(kind, "kpreview-restore-shop-pr-7", &other));
        server.insert(collection, rbac(kind, "kpreview-cleanup", &json!({"app.kubernetes.io/name": "kpreview"})));
    }

    let output = run(&server, &rendered.cleanup_args);
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(
        stderr(&output).lines().collect::<Vec<_>>(),
        [
            "deleted Restore velero/shop-pr-42-nightly",
            "deleted Restore velero/shop-pr-42-weekly",
            "deleted Role velero/kpreview-restore-shop-pr-42",
            "deleted RoleBinding velero/kpreview-restore-shop-pr-42",
            "removed 4 objects of preview shop-pr-42",
        ]
    );
    assert_eq!(server.names(RESTORES), ["hand-made", "shop-pr-7-nightly"]);
    assert_eq!(server.names(ROLES), ["kpreview-cleanup", "kpreview-restore-shop-pr-7"]);
    assert_eq!(server.names(BINDINGS), ["kpreview-cleanup", "kpreview-restore-shop-pr-7"]);
    let calls = server.calls();
    assert!(calls.iter().all(|c| c.status != 403), "the overlay's Role allows every call: {calls:#?}");

    let again = run(&server, &rendered.cleanup_args);
    assert!(again.status.success(), "{}", describe(&again));
    assert_eq!(stderr(&again).trim(), "nothing of preview shop-pr-42 is left in namespace velero");
    assert_eq!(server.calls().iter().filter(|c| c.method == "DELETE").count(), 4);
}

#[test]
fn cleanup_removes_what_it_may_and_reports_the_rest() {
    let rendered = render();
    let server = ApiServer::start();
    let mut rules = cleanup_rules();
    rules[1]["verbs"] = json!(["list"]);
    server.enforce(rules);
    let ours = json!({"app.kubernetes.io/managed-by": "kpreview", "kpreview.dev/preview": "shop-pr-42"});
    let mut restore = existing(&rendered, "nightly", &status("Completed", 1, 1, 0, 0));
    restore["metadata"]["labels"] = ours.clone();
    server.insert(RESTORES, restore);
    server.insert(ROLES, rbac("Role", "kpreview-restore-shop-pr-42", &ours));
    let output = run(&server, &rendered.cleanup_args);
    // From Argo CD 3.3 a failed PostDelete hook blocks the deletion: the cleanup reports, never fails.
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let err = stderr(&output);
    assert!(err.contains(&named("deleted Restore velero/shop-pr-42-nightly", &rendered)), "{err}");
    assert!(err.contains("the preview's deletion goes on, remove what is left by hand"), "{err}");
    assert!(
        err.contains(
            "warning: could not remove everything preview shop-pr-42 left in namespace velero: cannot delete Role \
             velero/kpreview-restore-shop-pr-42: roles.rbac.authorization.k8s.io \"kpreview-restore-shop-pr-42\" is \
             forbidden"
        ),
        "{err}"
    );
    assert!(server.names(RESTORES).is_empty());
    assert_eq!(server.names(ROLES), ["kpreview-restore-shop-pr-42"]);
}

#[test]
fn the_cleanup_overlay_is_valid_and_grants_nothing_cluster_wide() {
    let text = overlay();
    assert_eq!(validate_manifests("velero-cleanup", &text), 3);
    let kinds: Vec<String> = text
        .split("\n---")
        .map(|doc| kpreview::yaml::value_from_str(doc, kpreview::yaml::Limits::Spec).expect("overlay YAML"))
        .map(|doc| {
            assert_eq!(doc["metadata"]["namespace"], "velero", "{doc}");
            doc["kind"].as_str().expect("kind").to_owned()
        })
        .collect();
    assert_eq!(kinds, ["ServiceAccount", "Role", "RoleBinding"]);
    let rules = cleanup_rules();
    let call = |method: &str, path: &str| apiserver::Call {
        method: method.to_owned(),
        path: path.to_owned(),
        query: std::collections::BTreeMap::default(),
        status: 0,
    };
    assert!(!allowed(&rules, &call("POST", RESTORES)), "cleanup cannot create Restores");
    assert!(!allowed(&rules, &call("GET", "/apis/velero.io/v1/namespaces/velero/backups")));
    assert!(allowed(&rules, &call("DELETE", &format!("{RESTORES}/x"))));
}
