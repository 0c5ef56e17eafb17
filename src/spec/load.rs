//! Text → [`Preview`]: parse under budgets, report every unknown field with a suggestion taken
//! from the spec's own JSON Schema, and turn serde's messages into ones a user can act on.

use schemars::schema_for;
use serde_json::Value;

use super::problem::{Problem, Problems, Seg, did_you_mean, render_path};
use super::types::Preview;
use crate::yaml::{self, Limits};

/// A parsed spec and the problems parsing found that do not stop validation (unknown fields).
#[derive(Debug)]
pub struct Loaded {
    /// The spec as written.
    pub preview: Preview,
    /// Unknown fields, as errors.
    pub problems: Vec<Problem>,
}

/// Parses a spec. Fails only when the document cannot be read as a `Preview` at all; unknown
/// fields are returned as problems so validation can add its own to the same report.
pub fn load(text: &str, file: &str) -> Result<Loaded, Problems> {
    let tracked = yaml::from_str_tracked::<Preview>(text, Limits::Spec);
    let mut problems: Vec<Problem> = tracked.unknown.iter().map(|path| unknown_field(path)).collect();
    match tracked.value {
        Ok(preview) => Ok(Loaded { preview, problems }),
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

/// The field names the schema accepts at `path`, read from `kpreview schema` itself so the
/// suggestions can never lag behind the types.
pub fn known_fields(path: &[Seg]) -> Vec<String> {
    let Ok(root) = serde_json::to_value(schema_for!(Preview)) else {
        return Vec::new();
    };
    let mut node = resolve(&root, &root);
    for seg in path {
        let next = match seg {
            Seg::Key(key) => node
                .get("properties")
                .and_then(|p| p.get(key))
                .or_else(|| node.get("additionalProperties").filter(|a| a.is_object())),
            Seg::Index(_) => node.get("items"),
        };
        match next {
            Some(next) => node = resolve(&root, next),
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

/// Rewrites serde's type-centric messages into the words of the spec.
fn friendly(message: &str) -> String {
    let mut out = message
        .replace("expected u16", "expected a whole number from 1 to 65535")
        .replace("invalid u16", "expected a whole number from 1 to 65535")
        .replace("invalid u8", "expected a whole number from 0 to 255")
        .replace("invalid u64", "expected a positive whole number")
        .replace("invalid i64", "expected a whole number")
        .replace("expected u8", "expected a whole number from 0 to 255")
        .replace("expected u64", "expected a positive whole number")
        .replace("expected i64", "expected a whole number")
        .replace("expected a boolean", "expected true or false")
        .replace("expected a sequence", "expected a list such as [a, b]")
        .replace("expected a map", "expected a mapping such as {key: value}");
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some((given, accepted)) = rest.split_once("`, expected one of ")
    {
        let accepted: Vec<&str> = accepted.split(", ").map(|a| a.trim_matches('`')).collect();
        out = format!("unknown value `{given}`; accepted: {}", ticked(&accepted));
        if let Some(guess) = did_you_mean(given, accepted.iter().copied()) {
            out = format!("{out}, did you mean `{guess}`?");
        }
    }
    if message.starts_with("budget breached: Depth") || message.starts_with("recursion limit") {
        "nested too deeply (a spec may nest at most 64 levels)".clone_into(&mut out);
    } else if message.starts_with("budget breached") {
        out = format!("too large for a spec ({})", message.trim_start_matches("budget breached: "));
    } else if message.starts_with("alias replay limit exceeded") {
        "aliases expand to too much (an alias bomb?); write the values out".clone_into(&mut out);
    }
    if message.starts_with("missing field") {
        out.push_str(" (required)");
    }
    out
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
        let messages: Vec<String> = loaded.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "spec.services.api.imge: unknown field `imge`, did you mean `image`?",
                "spec.dataStore: unknown field `dataStore`, did you mean `dataStores`?",
            ]
        );
    }

    #[test]
    fn type_errors_speak_the_spec_s_language() {
        let text = "apiVersion: v\nkind: Preview\nmetadata: {name: shop}\nspec:\n  services:\n    api: {port: abc}\n";
        let err = load(text, "p.yaml").unwrap_err();
        assert_eq!(err.list[0].path, "spec.services.api.port");
        assert!(err.list[0].message.starts_with("expected a whole number from 1 to 65535"), "{}", err.list[0].message);
        assert_eq!(
            friendly("budget breached: Depth { depth: 65 }"),
            "nested too deeply (a spec may nest at most 64 levels)"
        );
    }
}
