//! The `functionConfig`: a `Preview` (kpt `configPath`, `--fn-config`, a kustomize generator)
//! selects the one spec to render; a `ConfigMap` (`kpt fn eval … -- pr=5 sha=… branch=…`) gives
//! pull-request fields for every spec in the package.

use serde_json::Value;

use super::list::{Object, string_at};
use super::result::{KrmResult, ResourceRef, Severity};
use crate::k8s::suggest::did_you_mean;
use crate::spec::defaults::PrFields;

/// Keys of a `ConfigMap` function config, named like the CLI's flags.
pub const KEYS: [&str; 3] = ["pr", "sha", "branch"];

/// The variables that stand for `--pr`, `--sha`, `--branch` where a mode has no flags: the
/// kustomize plugin and the KRM function read them over the spec's `pullRequest`, which wins over
/// `PREVIEW_*` (SPEC §3); `kpreview publish --overlay` passes its flags through them.
pub const FLAG_VARS: [&str; 3] = ["KPREVIEW_PR_NUMBER", "KPREVIEW_HEAD_SHA", "KPREVIEW_BRANCH"];

/// Whether an object is a kpreview spec: kind `Preview` in the `kpreview.dev` group (another
/// group's `Preview` is someone else's kind).
pub fn is_preview(object: &Object) -> bool {
    string_at(object, "kind") == crate::spec::types::KIND
        && string_at(object, "apiVersion").starts_with("kpreview.dev/")
}

/// Which specs to render.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection<'a> {
    /// Only this one.
    Preview(&'a Object),
    /// Every `Preview` item.
    All,
}

/// What the function config says.
#[derive(Debug, Clone, PartialEq)]
pub struct Config<'a> {
    /// Which specs to render.
    pub selection: Selection<'a>,
    /// Pull-request fields that win over the spec's.
    pub pr: PrFields,
}

/// Reads the function config, or returns the problems that stop the function.
pub fn read(config: Option<&Object>) -> Result<Config<'_>, Vec<KrmResult>> {
    let Some(config) = config else {
        return Ok(Config { selection: Selection::All, pr: PrFields::default() });
    };
    let (api_version, kind) = (string_at(config, "apiVersion"), string_at(config, "kind"));
    if is_preview(config) {
        return Ok(Config { selection: Selection::Preview(config), pr: PrFields::default() });
    }
    if kind == "ConfigMap" && api_version == "v1" {
        return pr_fields(config).map(|pr| Config { selection: Selection::All, pr });
    }
    let shown = if kind.is_empty() { "an object without a kind".to_owned() } else { format!("{api_version} {kind}") };
    Err(vec![KrmResult::new(
        Severity::Error,
        format!(
            "function config: expected a {} Preview or a ConfigMap with {}, found {shown}",
            crate::spec::types::API_VERSION,
            KEYS.join(", ")
        ),
    )])
}

fn pr_fields(config: &Object) -> Result<PrFields, Vec<KrmResult>> {
    let reference = ResourceRef {
        api_version: "v1".to_owned(),
        kind: "ConfigMap".to_owned(),
        name: config.get("metadata").and_then(|m| m.get("name")).and_then(Value::as_str).unwrap_or("").to_owned(),
        namespace: None,
    };
    let mut fields = PrFields::default();
    let mut problems = Vec::new();
    let data = config.get("data").and_then(Value::as_object).into_iter().flatten();
    for (key, value) in data {
        if !KEYS.contains(&key.as_str()) {
            let hint = match did_you_mean(key, KEYS) {
                Some(guess) => format!("did you mean `{guess}`?"),
                None => format!("accepted: {}", KEYS.join(", ")),
            };
            problems.push(problem(&reference, key, format!("unknown key `{key}`; {hint}")));
            continue;
        }
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            other => {
                problems.push(problem(&reference, key, format!("expected a string, found {other}")));
                continue;
            }
        };
        match key.as_str() {
            _ if text.is_empty() => {}
            "pr" => match text.parse::<u64>() {
                Ok(n) => fields.number = Some(n),
                Err(_) => problems.push(problem(&reference, key, format!("`{text}` is not a pull request number"))),
            },
            "sha" => fields.head_sha = Some(text),
            _ => fields.branch = Some(text),
        }
    }
    if problems.is_empty() { Ok(fields) } else { Err(problems) }
}

fn problem(reference: &ResourceRef, key: &str, message: impl Into<String>) -> KrmResult {
    let mut result = KrmResult::new(Severity::Error, format!("function config: {}", message.into()))
        .at(&crate::spec::problem::key_path("data", key));
    result.resource_ref = Some(reference.clone());
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(text: &str) -> Object {
        match crate::yaml::value_from_str(text, crate::yaml::Limits::Stream) {
            Ok(Value::Object(o)) => o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn config_maps_give_pr_fields() {
        let cm = object(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: function-input}\ndata: {pr: '5', sha: abc, branch: ''}",
        );
        let config = read(Some(&cm)).expect("config");
        assert_eq!(config.selection, Selection::All);
        assert_eq!(config.pr, PrFields { number: Some(5), head_sha: Some("abc".to_owned()), branch: None });
    }

    #[test]
    fn bad_keys_and_numbers_are_errors_with_field_paths() {
        let cm = object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: f}\ndata: {pr: five, shaa: x}");
        let problems = read(Some(&cm)).expect_err("problems");
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_ref().map(|f| f.path.as_str())).collect();
        assert_eq!(fields, [Some("data.pr"), Some("data.shaa")]);
        assert!(problems[1].message.contains("did you mean `sha`?"), "{}", problems[1].message);
    }

    #[test]
    fn previews_select_and_other_kinds_are_refused() {
        let preview = object("apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {name: shop}");
        assert!(matches!(read(Some(&preview)).map(|c| c.selection), Ok(Selection::Preview(_))));
        let other = object("apiVersion: apps/v1\nkind: Deployment");
        let problems = read(Some(&other)).expect_err("refused");
        assert!(problems[0].message.contains("found apps/v1 Deployment"), "{}", problems[0].message);
        let foreign = object("apiVersion: example.com/v1\nkind: Preview\nmetadata: {name: shop}");
        let problems = read(Some(&foreign)).expect_err("another group's Preview");
        assert!(problems[0].message.contains("expected a kpreview.dev/v1alpha1 Preview"), "{}", problems[0].message);
        assert!(problems[0].message.contains("found example.com/v1 Preview"), "{}", problems[0].message);
    }
}
