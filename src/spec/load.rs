//! Text → [`Preview`]: parse under budgets, report every unknown field with a suggestion taken
//! from the spec's own JSON Schema, every number or boolean of the wrong type, and turn serde's
//! messages into ones a user can act on.

use std::sync::LazyLock;

use serde_json::Value;

use super::lenient::Found;
use super::problem::{Problem, Problems, Seg, did_you_mean, render_path};
use super::types::Preview;
use crate::yaml::{self, Limits};

/// Unknown fields reported one by one; the rest are counted. A hostile spec may hold tens of
/// thousands, and a person reads the first few.
pub const MAX_UNKNOWN: usize = 50;

/// A parsed spec and the problems parsing found that do not stop validation (unknown fields,
/// values of the wrong type).
#[derive(Debug)]
pub struct Loaded {
    /// The spec as written.
    pub preview: Preview,
    /// Unknown fields and wrongly typed values, as errors.
    pub problems: Vec<Problem>,
}

/// Parses a spec. Fails only when the document cannot be read as a `Preview` at all (not YAML, a
/// list where a mapping belongs); unknown fields and wrongly typed numbers and booleans are
/// returned as problems so validation can add its own to the same report.
pub fn load(text: &str, file: &str) -> Result<Loaded, Problems> {
    let tracked = yaml::from_str_tracked::<Preview>(text, Limits::Spec);
    let mut problems: Vec<Problem> = tracked.unknown.iter().take(MAX_UNKNOWN).map(|path| unknown_field(path)).collect();
    if tracked.unknown.len() > MAX_UNKNOWN {
        let more = tracked.unknown.len() - MAX_UNKNOWN;
        problems.push(Problem::error("", format!("and {more} more unknown fields")));
    }
    match tracked.value {
        Ok(mut preview) => {
            problems.extend(wrong_types(&preview, text));
            restore_env_texts(text, &mut preview);
            Ok(Loaded { preview, problems })
        }
        Err(e) => {
            let message = friendly(&e.message);
            let message = match e.location {
                Some((line, column)) => format!("{message} (line {line}, column {column})"),
                None => message,
            };
            problems.push(Problem::error(shorten_path(&e.path), message));
            Err(Problems::new(file, problems))
        }
    }
}

/// Every number or boolean that was given with the wrong type, at its path.
fn wrong_types(preview: &Preview, text: &str) -> Vec<Problem> {
    let mut found: Vec<(Vec<Seg>, Found, &str)> = Vec::new();
    let mut check = |path: &[&str], value: Option<&Found>, expected: &'static str| {
        if let Some(value) = value {
            found.push((path.iter().map(|k| Seg::Key((*k).to_owned())).collect(), value.clone(), expected));
        }
    };
    let spec = &preview.spec;
    if let Some(pr) = &spec.pull_request {
        check(&["spec", "pullRequest", "number"], pr.number.invalid(), PR_NUMBER);
    }
    for (name, service) in &spec.services {
        let at = |field| ["spec", "services", name.as_str(), field];
        check(&at("port"), service.port.invalid(), PORT);
        check(&at("expose"), service.expose.invalid(), "true or false");
        check(&at("replicas"), service.replicas.invalid(), "a whole number from 0 to 20");
        check(&at("runAsUser"), service.run_as_user.invalid(), "a user id, a whole number above 0");
    }
    for (name, service) in &spec.services {
        for (port_name, port) in &service.ports {
            let at = ["spec", "services", name.as_str(), "ports", port_name.as_str(), "port"];
            check(if port.short { &at[..5] } else { &at }, port.port.invalid(), PORT);
        }
    }
    for (name, dependency) in &spec.dependencies {
        check(&["spec", "dependencies", name.as_str(), "preview"], dependency.preview.invalid(), PR_NUMBER);
    }
    floats_as_written(text, &mut found);
    found
        .into_iter()
        .map(|(path, value, expected)| {
            Problem::error(render_path(&path), format!("expected {expected}, found {value}"))
        })
        .collect()
}

/// Shows each float as the author wrote it (`8e3`, `8000.00`), not as the number YAML read.
fn floats_as_written(text: &str, found: &mut [(Vec<Seg>, Found, &str)]) {
    let mut shape = Value::Object(serde_json::Map::new());
    for (path, _, _) in found.iter().filter(|(_, value, _)| value.is_float()) {
        let mut node = &mut shape;
        for (i, seg) in path.iter().enumerate() {
            let (Seg::Key(key), Some(map)) = (seg, node.as_object_mut()) else { return };
            let leaf = if i + 1 == path.len() { Value::String(String::new()) } else { serde_json::json!({}) };
            node = map.entry(key.clone()).or_insert(leaf);
        }
    }
    if shape.as_object().is_none_or(serde_json::Map::is_empty) {
        return;
    }
    let Ok(texts) = yaml::texts_like(text, &shape, Limits::Spec) else { return };
    for (path, value, _) in found.iter_mut().filter(|(_, value, _)| value.is_float()) {
        let written = path.iter().try_fold(&texts, |node, seg| match seg {
            Seg::Key(key) => node.get(key),
            Seg::Index(_) => None,
        });
        if let Some(written) = written.and_then(Value::as_str) {
            *value = Found::scalar(written);
        }
    }
}

/// Puts back the text of every `env` value that YAML read as a number or boolean (`1.10`, `on`),
/// as the author wrote it: environment values are strings, and `1.1` is not what `1.10` meant.
fn restore_env_texts(text: &str, preview: &mut Preview) {
    use super::envvalue::EnvValueSpec;
    let mut services = serde_json::Map::new();
    for (name, service) in &preview.spec.services {
        let typed: serde_json::Map<String, Value> = service
            .env
            .iter()
            .filter(|(_, v)| matches!(v, EnvValueSpec::Literal { typed: true, .. }))
            .map(|(k, _)| (k.clone(), Value::String(String::new())))
            .collect();
        if !typed.is_empty() {
            services.insert(name.clone(), serde_json::json!({ "env": typed }));
        }
    }
    if services.is_empty() {
        return;
    }
    let shape = serde_json::json!({"spec": {"services": services}});
    let Ok(texts) = yaml::texts_like(text, &shape, Limits::Spec) else { return };
    for (name, service) in &mut preview.spec.services {
        for (key, value) in &mut service.env {
            if let (EnvValueSpec::Literal { text, typed }, Some(raw)) =
                (value, texts["spec"]["services"][name.as_str()]["env"][key.as_str()].as_str())
                && *typed
            {
                raw.clone_into(text);
                *typed = false;
            }
        }
    }
}

const PR_NUMBER: &str = "a pull request number, a whole number from 1";
const PORT: &str = "a port, a whole number from 1 to 65535";

fn unknown_field(path: &[Seg]) -> Problem {
    let (name, parent) = match path.split_last() {
        Some((Seg::Key(name), parent)) => (name.as_str(), parent),
        _ => return Problem::error(render_path(path), "unexpected value"),
    };
    let known = known_fields(parent);
    let message = match did_you_mean(name, known.iter().map(String::as_str)) {
        Some(guess) => format!("unknown field `{name}`, did you mean `{guess}`?"),
        None if known.is_empty() => format!("unknown field `{name}`"),
        None => format!("unknown field `{name}`; accepted: {}", ticked(&known)),
    };
    Problem::error(render_path(path), message)
}

/// `kpreview schema` as JSON, built once: suggestions read it for every unknown field.
static SCHEMA: LazyLock<Value> =
    LazyLock::new(|| serde_json::to_value(schemars::schema_for!(Preview)).unwrap_or(Value::Null));

/// The field names the schema accepts at `path`, read from `kpreview schema` itself so the
/// suggestions can never lag behind the types.
pub fn known_fields(path: &[Seg]) -> Vec<String> {
    let root: &Value = &SCHEMA;
    let mut node = resolve(root, root);
    for seg in path {
        let next = match seg {
            Seg::Key(key) => node
                .get("properties")
                .and_then(|p| p.get(key))
                .or_else(|| node.get("additionalProperties").filter(|a| a.is_object())),
            Seg::Index(_) => node.get("items"),
        };
        match next {
            Some(next) => node = resolve(root, next),
            None => return Vec::new(),
        }
    }
    node.get("properties").and_then(Value::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default()
}

/// Follows `$ref`s and picks the structured branch of `anyOf`/`oneOf` (how `Option<T>` appears).
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..16 {
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            let name = reference.trim_start_matches("#/$defs/");
            match root.get("$defs").and_then(|d| d.get(name)) {
                Some(target) => node = target,
                None => return node,
            }
        } else if let Some(branches) = node.get("anyOf").or_else(|| node.get("oneOf")).and_then(Value::as_array) {
            match branches.iter().find(|b| b.get("type").and_then(Value::as_str) != Some("null")) {
                Some(branch) => node = branch,
                None => return node,
            }
        } else {
            return node;
        }
    }
    node
}

/// Says in the spec's words what `yaml.rs` says about any YAML file.
fn friendly(message: &str) -> String {
    if message.starts_with("a second YAML document") {
        return "a spec file holds one YAML document; a second one starts here (`---`)".to_owned();
    }
    message.to_owned()
}

/// Keeps hostile paths (thousands of levels) readable: the start, `…`, the end.
fn shorten_path(path: &str) -> String {
    const KEEP: usize = 48;
    if path.chars().count() <= 2 * KEEP + 1 {
        return path.to_owned();
    }
    let head: String = path.chars().take(KEEP).collect();
    let tail: String = path.chars().rev().take(KEEP).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{head}…{tail}")
}

fn ticked<S: AsRef<str>>(names: &[S]) -> String {
    names.iter().map(|n| format!("`{}`", n.as_ref())).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Seg {
        Seg::Key(k.to_owned())
    }

    fn messages(problems: &[Problem]) -> Vec<String> {
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn known_fields_follow_maps_and_options() {
        let fields = known_fields(&[key("spec"), key("services"), key("api")]);
        assert!(fields.contains(&"image".to_owned()), "{fields:?}");
        let fields = known_fields(&[key("spec"), key("dataStores"), key("db"), key("seed"), key("velero")]);
        assert_eq!(fields, ["backup", "namespace"]);
    }

    #[test]
    fn every_unknown_field_is_reported_with_a_guess() {
        let text = "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {name: shop}\nspec:\n  services:\n    api: {imge: x, port: 80}\n  dataStore: {}\n";
        let loaded = load(text, "p.yaml").unwrap();
        assert_eq!(
            messages(&loaded.problems),
            [
                "spec.services.api.imge: unknown field `imge`, did you mean `image`?",
                "spec.dataStore: unknown field `dataStore`, did you mean `dataStores`?",
            ]
        );
    }

    #[test]
    fn a_flood_of_unknown_fields_is_counted_not_listed() {
        let keys = (0..MAX_UNKNOWN + 7).fold(String::new(), |text, i| text + &format!("k{i}: 1\n"));
        let loaded = load(&keys, "p.yaml").unwrap();
        assert_eq!(loaded.problems.len(), MAX_UNKNOWN + 1);
        assert_eq!(loaded.problems[MAX_UNKNOWN].message, "and 7 more unknown fields");
    }

    #[test]
    fn wrongly_typed_values_are_problems_and_reading_goes_on() {
        let text = "metadata: {}\nspec:\n  services:\n    api: {port: abc, replicas: many, expose: maybe, runAsUser: [0], imagee: y}\n  dependencies:\n    b: {preview: -3}\n";
        let loaded = load(text, "p.yaml").unwrap();
        assert_eq!(
            messages(&loaded.problems),
            [
                "spec.services.api.imagee: unknown field `imagee`, did you mean `image`?",
                "spec.services.api.port: expected a port, a whole number from 1 to 65535, found `abc`",
                "spec.services.api.expose: expected true or false, found `maybe`",
                "spec.services.api.replicas: expected a whole number from 0 to 20, found `many`",
                "spec.services.api.runAsUser: expected a user id, a whole number above 0, found a list",
                "spec.dependencies.b.preview: expected a pull request number, a whole number from 1, found `-3`",
            ]
        );
    }

    #[test]
    fn a_float_is_shown_as_written() {
        let text = "spec:\n  pullRequest: {number: 5.0}\n  services:\n    api:\n      port: 8000.0\n      replicas: 2e0\n      ports: {m: 9090.00, n: {port: 1.5e3}}\n    \"we.b\": {port: .5}\n";
        let loaded = load(text, "p.yaml").unwrap();
        assert_eq!(
            messages(&loaded.problems),
            [
                "spec.pullRequest.number: expected a pull request number, a whole number from 1, found `5.0`",
                "spec.services.api.port: expected a port, a whole number from 1 to 65535, found `8000.0`",
                "spec.services.api.replicas: expected a whole number from 0 to 20, found `2e0`",
                "spec.services[\"we.b\"].port: expected a port, a whole number from 1 to 65535, found `.5`",
                "spec.services.api.ports.m: expected a port, a whole number from 1 to 65535, found `9090.00`",
                "spec.services.api.ports.n.port: expected a port, a whole number from 1 to 65535, found `1.5e3`",
            ]
        );
    }

    /// Every `integer` or `boolean` field of the schema is lenient and reported: a spec that sets
    /// just that field to a string still loads, with one problem at that field's path.
    #[test]
    fn every_number_and_boolean_of_the_schema_is_read_leniently() {
        fn leaves(node: &Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
            let node = resolve(&SCHEMA, node);
            let types = serde_json::to_string(&node.get("type")).unwrap_or_default();
            // A leaf that takes a string too (an env value) takes `wrong` as its text.
            if (types.contains("integer") || types.contains("boolean")) && !types.contains("string") {
                out.push(path);
                return;
            }
            for (name, child) in node.get("properties").and_then(Value::as_object).into_iter().flatten() {
                leaves(child, [path.clone(), vec![name.clone()]].concat(), out);
            }
            if let Some(child) = node.get("additionalProperties").filter(|a| a.is_object()) {
                leaves(child, [path, vec!["x".to_owned()]].concat(), out);
            }
        }
        let mut paths = Vec::new();
        leaves(&SCHEMA, Vec::new(), &mut paths);
        assert!(paths.len() >= 6, "{paths:?}");
        for path in paths {
            let text = path.iter().rev().fold("\"wrong\"".to_owned(), |inner, key| format!("{{\"{key}\": {inner}}}"));
            let loaded = load(&text, "p.yaml").unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(loaded.problems.len(), 1, "{text}: {:?}", loaded.problems);
            assert_eq!(loaded.problems[0].path, path.join("."), "{text}");
            assert!(loaded.problems[0].message.ends_with("found `wrong`"), "{:?}", loaded.problems);
        }
    }

    #[test]
    fn structural_errors_speak_the_spec_s_language() {
        let err = load("spec:\n  services:\n    api: {dependsOn: api}\n", "p.yaml").unwrap_err();
        assert_eq!(err.list[0].path, "spec.services.api.dependsOn");
        assert!(err.list[0].message.starts_with("expected a list such as [a, b]"), "{err}");
        let err = load("spec:\n  services:\n    api: {env: {C: ~}}\n", "p.yaml").unwrap_err();
        assert!(err.list[0].message.starts_with("expected a string, found null"), "{err}");
        let err = load("spec:\n  services:\n    api: {}\n    api: {}\n", "p.yaml").unwrap_err();
        assert_eq!(err.list[0].path, "spec.services");
        assert!(err.list[0].message.starts_with("`api` appears twice"), "{err}");
        let err = load("kind: Preview\n---\nkind: Preview\n", "p.yaml").unwrap_err();
        assert!(err.list[0].message.starts_with("a spec file holds one YAML document"), "{err}");
        let err = load("spec: [1]\n", "p.yaml").unwrap_err();
        assert!(err.list[0].message.starts_with("expected a mapping such as {key: value}"), "{err}");
    }
}
