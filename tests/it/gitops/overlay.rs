//! `overlays/gitops`: the ApplicationSet and AppProject build with kustomize, validate against
//! the Argo CD CRDs (and, stricter than the CRDs, name no field they lack), and the template asks
//! only for parameters a published `preview.json` provides.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use super::fixture::World;
use crate::support::{crds, describe, root, validate_all};

fn built() -> String {
    let output =
        Command::new("kubectl").arg("kustomize").arg(root().join("overlays/gitops")).output().expect("kubectl");
    assert!(output.status.success(), "kubectl kustomize overlays/gitops:\n{}", describe(&output));
    String::from_utf8(output.stdout).expect("utf-8")
}

fn documents(stream: &str) -> Vec<Value> {
    stream
        .split("\n---\n")
        .map(|doc| kpreview::yaml::value_from_str(doc, kpreview::yaml::Limits::Stream).expect("YAML"))
        .collect()
}

/// Fields the schema does not declare. CRD schemas allow unknown fields (the API server prunes
/// them silently), so a misspelt field would validate and then vanish in the cluster.
fn undeclared(value: &Value, schema: &Value, at: &str, out: &mut Vec<String>) {
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        return;
    }
    match value {
        Value::Object(map) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (key, child) in map {
                match (properties.and_then(|p| p.get(key)), additional) {
                    (Some(s), _) | (None, Some(s)) => undeclared(child, s, &format!("{at}.{key}"), out),
                    (None, None) if properties.is_some() => out.push(format!("{at}.{key}")),
                    (None, None) => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items") {
                for (i, child) in items.iter().enumerate() {
                    undeclared(child, s, &format!("{at}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn the_overlay_validates_against_the_argo_cd_crds_and_names_only_declared_fields() {
    let stream = built();
    // The ApplicationSet and AppProject, and the eight objects of the velero-seeds component.
    assert_eq!(validate_all(&[("overlays-gitops".to_owned(), stream.clone())]), 10);
    for doc in documents(&stream)
        .into_iter()
        .filter(|d| d["apiVersion"].as_str().is_some_and(|v| v.starts_with("argoproj.io/")))
    {
        let kind = doc["kind"].as_str().expect("kind").to_lowercase();
        let file = crds().join(format!("argocd_{kind}-crd.yaml"));
        let crd = kpreview::yaml::value_from_str(
            &std::fs::read_to_string(&file).expect("CRD"),
            kpreview::yaml::Limits::Stream,
        )
        .expect("CRD YAML");
        let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
        let mut unknown = Vec::new();
        undeclared(&doc, schema, doc["kind"].as_str().unwrap_or_default(), &mut unknown);
        assert!(unknown.is_empty(), "fields the CRD does not declare: {unknown:?}");
    }
}

#[test]
fn the_template_asks_only_for_what_preview_json_holds() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec = world.spec("shop", "48h");
    world.ok(&["publish", &spec.to_string_lossy(), "--repo", &repo.to_string_lossy(), "--pr", "7", "--sha", "abc1234"]);
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("previews/shop-pr-7/preview.json")).unwrap()).unwrap();
    let keys: BTreeSet<&str> = meta.as_object().unwrap().keys().map(String::as_str).collect();
    assert!(!keys.contains("path"), "under goTemplate the generator's own `path` would overwrite it");
    assert!(
        meta.as_object().unwrap().values().all(Value::is_string),
        "Go templates print JSON numbers as floats: {meta}"
    );

    let stream = built();
    let appset = documents(&stream).into_iter().find(|d| d["kind"] == "ApplicationSet").expect("an ApplicationSet");
    assert_eq!(appset["spec"]["goTemplate"], true);
    assert_eq!(appset["spec"]["goTemplateOptions"], serde_json::json!(["missingkey=error"]));
    let glob = appset["spec"]["generators"][0]["git"]["files"][0]["path"].as_str().unwrap();
    let matches = |path: &str| {
        let (g, p): (Vec<&str>, Vec<&str>) = (glob.split('/').collect(), path.split('/').collect());
        g.len() == p.len() && g.iter().zip(&p).all(|(g, p)| *g == "*" || g == p)
    };
    assert!(matches("previews/shop-pr-7/preview.json") && !matches("previews/shop-pr-7/removed.json"), "{glob}");

    let template = serde_json::to_string(&appset["spec"]["template"]).unwrap();
    let mut asked = BTreeSet::new();
    for part in template.split("{{").skip(1) {
        let expr = part.split("}}").next().unwrap().trim();
        let name = expr.strip_prefix('.').unwrap_or_else(|| panic!("only plain parameters are used: {expr}"));
        asked.insert(name.to_owned());
    }
    for name in &asked {
        let known = keys.contains(name.as_str()) || name == "path.path";
        assert!(known, "the template asks for `{name}`, which preview.json lacks (it has {keys:?})");
    }
    assert!(asked.contains("path.path") && asked.contains("namespace"), "{asked:?}");
    assert_eq!(appset["spec"]["template"]["spec"]["source"]["path"], "{{.path.path}}/manifests");
    assert_eq!(
        appset["spec"]["template"]["metadata"]["finalizers"],
        serde_json::json!(["resources-finalizer.argocd.argoproj.io"])
    );
}
