//! The admission policies of `overlays/components/velero-seeds`, evaluated as the API server would
//! (match conditions, then every validation) by a CEL interpreter over the very JSON of the
//! Restores kpreview's runner creates for every golden spec, and over Restores and deletions it
//! must refuse. Kubernetes' own type checking of the expressions against Velero's CRD is not run
//! here (no API server).

use std::collections::BTreeMap;

use cel::{Context, Program};
use serde_json::{Value, json};

use crate::golden::cases;
use crate::support::{root, validate_manifests};

fn component(file: &str) -> String {
    std::fs::read_to_string(root().join("overlays/components/velero-seeds").join(file)).expect("the component")
}

fn documents(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .map(|doc| kpreview::yaml::value_from_str(doc, kpreview::yaml::Limits::Spec).expect("YAML"))
        .collect()
}

fn policy(name: &str) -> Value {
    documents(&component("admission.yaml"))
        .into_iter()
        .find(|d| d["kind"] == "ValidatingAdmissionPolicy" && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no policy {name}"))
}

/// What the API server would decide.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// A match condition is false: the policy does not apply.
    NotMatched,
    Allowed,
    /// The messages of the validations that failed.
    Denied(Vec<String>),
}

/// An admission request as CEL sees it.
struct Admission<'a> {
    username: &'a str,
    object: Option<Value>,
    old_object: Option<Value>,
    params: Option<Value>,
}

fn truth(expression: &str, admission: &Admission<'_>) -> bool {
    let program = Program::compile(expression).unwrap_or_else(|e| panic!("CEL does not parse: {expression}: {e}"));
    let mut context = Context::default();
    let mut bind = |name: &str, value: &Value| {
        context.add_variable_from_value(name, cel::to_value(value).expect("CEL value"));
    };
    bind("request", &json!({"userInfo": {"username": admission.username}}));
    for (name, value) in
        [("object", &admission.object), ("oldObject", &admission.old_object), ("params", &admission.params)]
    {
        if let Some(value) = value {
            bind(name, value);
        }
    }
    match program.execute(&context) {
        Ok(cel::Value::Bool(b)) => b,
        // failurePolicy: Fail — an expression that errors refuses the request.
        Ok(other) => panic!("{expression} gave {other:?}, not a boolean"),
        Err(_) => false,
    }
}

fn verdict(policy: &Value, admission: &Admission<'_>) -> Verdict {
    assert_eq!(policy["spec"]["failurePolicy"], "Fail", "a policy that fails open protects nothing");
    let conditions = policy["spec"]["matchConditions"].as_array().expect("matchConditions");
    if !conditions.iter().all(|c| truth(c["expression"].as_str().expect("expression"), admission)) {
        return Verdict::NotMatched;
    }
    let denied: Vec<String> = policy["spec"]["validations"]
        .as_array()
        .expect("validations")
        .iter()
        .filter(|v| !truth(v["expression"].as_str().expect("expression"), admission))
        .map(|v| v["message"].as_str().expect("message").to_owned())
        .collect();
    if denied.is_empty() { Verdict::Allowed } else { Verdict::Denied(denied) }
}

/// The Restore `kpreview restore velero` creates for a restore Job's arguments.
fn restore_of(args: &[String]) -> Value {
    let value = |flag: &str| args.iter().position(|a| a == flag).map(|i| args[i + 1].clone()).expect(flag);
    let stores: Vec<String> = args.windows(2).filter(|w| w[0] == "--store").map(|w| w[1].clone()).collect();
    let request = kpreview::restore::request::Request::new(
        &value("--backup"),
        &value("--from"),
        &value("--to"),
        &stores,
        &value("--velero-namespace"),
    )
    .expect("the rendered arguments are valid");
    serde_json::to_value(request.restore()).expect("JSON")
}

/// Every Restore the runner would create for the golden specs, with its preview namespace.
fn rendered_restores() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for case in cases() {
        let Some(stream) = case.rendered() else { continue };
        for doc in stream.split("---\n").filter(|d| !d.trim().is_empty()) {
            let object = kpreview::yaml::value_from_str(doc, kpreview::yaml::Limits::Stream).expect("YAML");
            if object["kind"] == "Job" && object["metadata"]["labels"]["app.kubernetes.io/component"] == "restore" {
                let args: Vec<String> =
                    serde_json::from_value(object["spec"]["template"]["spec"]["containers"][0]["args"].clone())
                        .expect("args");
                let namespace = object["metadata"]["namespace"].as_str().expect("namespace").to_owned();
                out.push((namespace, restore_of(&args)));
            }
        }
    }
    assert!(out.len() >= 4, "only {} restores in the goldens", out.len());
    out
}

fn bases(restore: &Value) -> Value {
    let data: BTreeMap<String, String> = restore["spec"]["includedNamespaces"]
        .as_array()
        .expect("includedNamespaces")
        .iter()
        .map(|ns| (ns.as_str().expect("namespace").to_owned(), "a base".to_owned()))
        .collect();
    json!({"data": data})
}

fn account(namespace: &str) -> String {
    format!("system:serviceaccount:{namespace}:kpreview-restore")
}

fn creating<'a>(username: &'a str, restore: &Value, params: &Value) -> Admission<'a> {
    Admission { username, object: Some(restore.clone()), old_object: None, params: Some(params.clone()) }
}

#[test]
fn the_component_validates_and_its_parameters_name_the_example_base() {
    let all = [component("admission.yaml"), component("bases.yaml"), component("cleanup.yaml")].join("\n---\n");
    assert_eq!(validate_manifests("velero-seeds", &all), 8);
    let bases = documents(&component("bases.yaml")).remove(0);
    assert!(bases["data"].get("preview-base").is_some(), "{bases}");
    let binding = documents(&component("admission.yaml"))
        .into_iter()
        .find(|d| d["kind"] == "ValidatingAdmissionPolicyBinding" && d["spec"]["policyName"] == "kpreview-restore")
        .expect("a binding");
    assert_eq!(binding["spec"]["paramRef"]["name"], bases["metadata"]["name"]);
    assert_eq!(binding["spec"]["paramRef"]["namespace"], bases["metadata"]["namespace"]);
    assert_eq!(binding["spec"]["paramRef"]["parameterNotFoundAction"], "Deny");
    assert_eq!(binding["spec"]["validationActions"], json!(["Deny"]));
}

#[test]
fn every_restore_kpreview_makes_passes_the_policy() {
    let policy = policy("kpreview-restore");
    let shipped = documents(&component("bases.yaml")).remove(0);
    for (namespace, restore) in rendered_restores() {
        let username = account(&namespace);
        assert_eq!(verdict(&policy, &creating(&username, &restore, &bases(&restore))), Verdict::Allowed, "{restore}");
        let from_example_base = restore["spec"]["includedNamespaces"] == json!(["preview-base"]);
        let with_shipped = verdict(&policy, &creating(&username, &restore, &shipped));
        assert_eq!(with_shipped == Verdict::Allowed, from_example_base, "{restore}: {with_shipped:?}");
    }
}

#[test]
fn restores_beyond_a_previews_own_are_refused() {
    let policy = policy("kpreview-restore");
    let (namespace, good) = rendered_restores().remove(0);
    let params = bases(&good);
    let username = account(&namespace);
    let base = good["spec"]["includedNamespaces"][0].as_str().expect("base").to_owned();
    let changed = |change: &dyn Fn(&mut Value)| {
        let mut restore = good.clone();
        change(&mut restore);
        restore
    };
    let refusals: Vec<(&str, Value)> = vec![
        ("into another preview", changed(&|r| r["spec"]["namespaceMapping"][&base] = json!("shop-pr-7"))),
        ("production too", changed(&|r| r["spec"]["includedNamespaces"] = json!([base, "production"]))),
        ("every namespace", changed(&|r| drop(r["spec"].as_object_mut().unwrap().remove("includedNamespaces")))),
        ("unmapped", changed(&|r| drop(r["spec"].as_object_mut().unwrap().remove("namespaceMapping")))),
        ("pods", changed(&|r| r["spec"]["includedResources"].as_array_mut().unwrap().push(json!("pods")))),
        ("every kind", changed(&|r| drop(r["spec"].as_object_mut().unwrap().remove("includedResources")))),
        ("cluster resources", changed(&|r| r["spec"]["includeClusterResources"] = json!(true))),
        ("hooks", changed(&|r| r["spec"]["hooks"] = json!({"resources": [{"name": "x"}]}))),
        (
            "a resource modifier",
            changed(&|r| r["spec"]["resourceModifier"] = json!({"kind": "ConfigMap", "name": "m"})),
        ),
        ("another preview's label", changed(&|r| r["metadata"]["labels"]["kpreview.dev/preview"] = json!("shop-pr-7"))),
        ("not kpreview's", changed(&|r| r["metadata"]["labels"]["app.kubernetes.io/managed-by"] = json!("someone"))),
        ("no labels", changed(&|r| drop(r["metadata"].as_object_mut().unwrap().remove("labels")))),
    ];
    for (what, restore) in &refusals {
        let verdict = verdict(&policy, &creating(&username, restore, &params));
        assert!(matches!(verdict, Verdict::Denied(_)), "{what}: {verdict:?}");
    }
    let other_base = changed(&|r| {
        r["spec"]["includedNamespaces"] = json!(["production"]);
        r["spec"]["namespaceMapping"] = json!({"production": namespace.clone()});
    });
    assert_eq!(
        verdict(&policy, &creating(&username, &other_base, &params)),
        Verdict::Denied(vec![
            "a kpreview restore may only restore base namespaces listed in ConfigMap velero/kpreview-restore-bases, \
             named in includedNamespaces"
                .to_owned()
        ])
    );
    let someone_else = account("shop-pr-7");
    assert!(matches!(verdict(&policy, &creating(&someone_else, &good, &params)), Verdict::Denied(_)));
    let no_params = Admission { params: None, ..creating(&username, &good, &params) };
    assert!(matches!(verdict(&policy, &no_params), Verdict::Denied(_)), "without the ConfigMap nothing passes");
    for user in [
        "system:serviceaccount:velero:velero-server",
        "admin@example.com",
        "system:serviceaccount:x:kpreview-restore-2",
    ] {
        assert_eq!(verdict(&policy, &creating(user, &refusals[0].1, &params)), Verdict::NotMatched, "{user}");
    }
}

#[test]
fn the_cleanup_deletes_only_what_kpreview_made() {
    let policy = policy("kpreview-cleanup");
    let object = |labels: Value| json!({"metadata": {"name": "x", "namespace": "velero", "labels": labels}});
    let deleting = |username, old: Value| Admission { username, object: None, old_object: Some(old), params: None };
    let cleanup = "system:serviceaccount:velero:kpreview-cleanup";
    let ours = object(json!({"app.kubernetes.io/managed-by": "kpreview", "kpreview.dev/preview": "shop-pr-42"}));
    assert_eq!(verdict(&policy, &deleting(cleanup, ours.clone())), Verdict::Allowed);
    for old in [
        object(json!({"kpreview.dev/preview": "shop-pr-42"})),
        object(json!({"app.kubernetes.io/managed-by": "helm", "kpreview.dev/preview": "shop-pr-42"})),
        object(json!({"app.kubernetes.io/managed-by": "kpreview"})),
        json!({"metadata": {"name": "velero-server"}}),
    ] {
        assert!(matches!(verdict(&policy, &deleting(cleanup, old.clone())), Verdict::Denied(_)), "{old}");
    }
    assert_eq!(verdict(&policy, &deleting("admin@example.com", object(json!({})))), Verdict::NotMatched);
}
