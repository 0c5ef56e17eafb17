//! The field reference (`docs/reference.md`, `kpreview schema --format markdown`), written from
//! the same JSON Schema as `kpreview schema`, so it cannot drift from the types: every field with
//! its type, default, accepted values and an example. Examples come from the repository's example
//! specs where they use the field, else from the field's own description (`such as `x``).

use std::fmt::Write;

use serde_json::Value;

use super::types::Preview;

/// The example specs whose values illustrate the fields.
const EXAMPLES: [&str; 4] = [
    include_str!("../../examples/shop/preview.yaml"),
    include_str!("../../examples/storefront/preview.yaml"),
    include_str!("../../examples/blog/preview.yaml"),
    include_str!("../../examples/marketplace/preview.yaml"),
];

/// `kpreview schema`: the JSON Schema of the spec.
pub fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Preview)).unwrap_or(Value::Null)
}

/// The reference as Markdown.
pub fn markdown() -> String {
    let schema = schema();
    let examples: Vec<Value> =
        EXAMPLES.iter().filter_map(|text| crate::yaml::value_from_str(text, crate::yaml::Limits::Spec).ok()).collect();
    let mut out = String::from(
        "# Field reference\n\n\
         Every field of a `Preview` spec (`kpreview.dev/v1alpha1`). Generated from the JSON Schema that \
         `kpreview schema` prints; do not edit: run `scripts/reference` after changing the spec's types.\n\n\
         `<name>` stands for a key you choose (a service, a data store, a variable). Strings described as \
         *a template* may use `{{ pr.number }}`, `{{ pr.headSha }}` and the other template variables.\n\n",
    );
    let mut fields = Vec::new();
    walk(&schema, &schema, "", &mut fields, 0);
    for (path, node, required) in fields {
        field(&mut out, &schema, &path, node, required, &examples);
    }
    out
}

/// Every field under `node`, depth first, with its dotted path.
fn walk<'a>(root: &'a Value, node: &'a Value, path: &str, out: &mut Vec<(String, &'a Value, bool)>, depth: usize) {
    if depth > 12 {
        return;
    }
    let node = resolve(root, node);
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        let required = node.get("required").and_then(Value::as_array);
        for (key, child) in properties {
            let child_path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            let required = required.is_some_and(|r| r.iter().any(|k| k == key));
            out.push((child_path.clone(), child, required));
            walk(root, child, &child_path, out, depth + 1);
        }
    }
    if let Some(values) = node.get("additionalProperties").filter(|a| a.is_object()) {
        let values = resolve(root, values);
        if values.get("properties").is_some() {
            walk(root, values, &format!("{path}.<name>"), out, depth + 1);
        }
    }
    if let Some(items) = node.get("items") {
        let items = resolve(root, items);
        if items.get("properties").is_some() {
            walk(root, items, &format!("{path}[]"), out, depth + 1);
        }
    }
}

/// Follows `$ref`s and picks the non-null branch of `anyOf` (how `Option<T>` appears).
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..16 {
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            match root.get("$defs").and_then(|d| d.get(reference.trim_start_matches("#/$defs/"))) {
                Some(target) => node = target,
                None => return node,
            }
        } else if let Some(branch) = node
            .get("anyOf")
            .and_then(Value::as_array)
            .and_then(|b| b.iter().find(|b| b.get("type").and_then(Value::as_str) != Some("null")))
        {
            node = branch;
        } else {
            return node;
        }
    }
    node
}

fn field(out: &mut String, root: &Value, path: &str, written: &Value, required: bool, examples: &[Value]) {
    let node = resolve(root, written);
    let description = written.get("description").or_else(|| node.get("description")).and_then(Value::as_str);
    let description = description.unwrap_or("").replace('\n', " ");
    let _ = writeln!(out, "## `{path}`\n");
    let _ = writeln!(out, "- **Type:** {}", type_of(root, node));
    if let Some(accepted) = accepted(node) {
        let _ = writeln!(out, "- **Accepted:** {accepted}");
    }
    if required {
        let _ = writeln!(out, "- **Required**");
    } else {
        let _ = writeln!(out, "- **Default:** {}", default_of(&description));
    }
    let curated = CURATED.iter().find(|(p, _)| *p == path).map(|(_, text)| format!("`{text}`"));
    let example =
        curated.or_else(|| example(path, &description, node, examples)).unwrap_or_else(|| made_up(path, node));
    let _ = writeln!(out, "- **Example:** {example}");
    let _ = writeln!(out, "\n{description}\n");
}

fn type_of(root: &Value, node: &Value) -> String {
    if node.get("oneOf").is_some() || node.get("enum").is_some() {
        return "string (one of the accepted values)".to_owned();
    }
    let kind = match node.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => {
            types.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect::<Vec<_>>().join(" or ")
        }
        _ => "any".to_owned(),
    };
    match kind.as_str() {
        "object" if node.get("properties").is_some() => "mapping of the fields below".to_owned(),
        "object" => match node.get("additionalProperties").map(|v| resolve(root, v)) {
            Some(values) if values.get("properties").is_some() => "mapping of `<name>` to the fields below".to_owned(),
            Some(values) => format!("mapping of `<name>` to {}", type_of(root, values)),
            None => "mapping".to_owned(),
        },
        "array" => match node.get("items").map(|v| resolve(root, v)) {
            Some(items) if items.get("properties").is_some() => "list of the mappings below".to_owned(),
            Some(items) => format!("list of {}", type_of(root, items)),
            None => "list".to_owned(),
        },
        other => other.to_owned(),
    }
}

fn accepted(node: &Value) -> Option<String> {
    if let Some(options) = node.get("oneOf").and_then(Value::as_array) {
        let values: Vec<String> = options
            .iter()
            .filter_map(|o| {
                let value = o.get("const")?.as_str()?;
                Some(match o.get("description").and_then(Value::as_str) {
                    Some(d) => format!("`{value}` ({})", d.trim_end_matches('.').replace('\n', " ")),
                    None => format!("`{value}`"),
                })
            })
            .collect();
        return Some(values.join("; "));
    }
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        return Some(
            values.iter().map(|v| format!("`{}`", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(", "),
        );
    }
    if let Some(pattern) = node.get("pattern").and_then(Value::as_str) {
        return Some(match node.get("minimum").and_then(Value::as_i64) {
            Some(min) => format!("text matching `{pattern}`, or a number of at least {min}"),
            None => format!("text matching `{pattern}`"),
        });
    }
    match (node.get("minimum").and_then(Value::as_i64), node.get("maximum").and_then(Value::as_i64)) {
        (Some(min), Some(max)) => Some(format!("{min} to {max}")),
        (Some(min), None) => Some(format!("at least {min}")),
        (None, Some(max)) => Some(format!("at most {max}")),
        (None, None) => None,
    }
}

/// The description's "Default …" sentence, or "none" for an optional field without one.
fn default_of(description: &str) -> String {
    let Some(at) = description.find("Default ") else {
        return "none".to_owned();
    };
    let rest = &description[at + "Default ".len()..];
    let end = rest.find(". ").or_else(|| rest.find(';')).unwrap_or(rest.len());
    rest[..end].trim_end_matches('.').to_owned()
}

fn example(path: &str, description: &str, node: &Value, examples: &[Value]) -> Option<String> {
    let key = path.rsplit('.').next().unwrap_or(path).trim_end_matches("[]");
    let found = examples.iter().find_map(|e| lookup(e, path));
    if let Some(value) = found {
        let mut one = serde_json::Map::new();
        one.insert(key.to_owned(), value.clone());
        let text = crate::yaml::to_string(&Value::Object(one)).ok()?;
        let text = text.trim_end();
        return Some(if text.lines().count() == 1 {
            format!("`{text}`")
        } else {
            let shown: Vec<&str> = text.lines().take(12).collect();
            format!("\n\n  ```yaml\n  {}\n  ```", shown.join("\n  "))
        });
    }
    if let Some(at) = description.find("such as `") {
        let rest = &description[at + "such as `".len()..];
        let value = &rest[..rest.find('`')?];
        return Some(format!("`{key}: {value}`"));
    }
    let first = node.get("oneOf").and_then(Value::as_array)?.first()?.get("const")?.as_str()?;
    Some(format!("`{key}: {first}`"))
}

/// Examples of the fields no example spec uses, as a user would write them.
const CURATED: &[(&str, &str)] = &[
    ("metadata.namespace", "namespace: shop-pr-7"),
    ("metadata.labels", "labels: {team: payments}"),
    ("metadata.annotations", "annotations: {config.kubernetes.io/local-config: \"true\"}"),
    ("spec.namespace", "namespace: \"{{ name }}-pr-{{ pr.number }}\""),
    ("spec.ingress.annotations", "annotations: {nginx.ingress.kubernetes.io/proxy-body-size: 8m}"),
    ("spec.ingress.controllerNamespace", "controllerNamespace: ingress-nginx"),
    ("spec.ingress.sourceCIDRs", "sourceCIDRs: [10.0.0.0/16]"),
    ("spec.secrets.<name>.refreshInterval", "refreshInterval: 1h"),
    ("spec.staging", "staging: {namespace: staging, url: \"https://{{ service }}.staging.example.com\"}"),
    ("spec.staging.namespace", "namespace: staging"),
    ("spec.staging.url", "url: \"https://{{ service }}.staging.example.com\""),
    ("spec.services.<name>.args", "args: [--port, \"8000\"]"),
    ("spec.services.<name>.envFrom[].configMap", "configMap: api-settings"),
    ("spec.services.<name>.ports.<name>.port", "port: 9125"),
    ("spec.services.<name>.ports.<name>.protocol", "protocol: UDP"),
    ("spec.dataStores.<name>.image", "image: mirror.example.com/library/postgres:16.4"),
    ("spec.dataStores.<name>.seed.snapshot.driver", "driver: ebs.csi.aws.com"),
    ("spec.dataStores.<name>.seed.snapshot.snapshotClass", "snapshotClass: ebs-snapshots"),
    ("spec.dataStores.<name>.seed.image", "image: \"registry.example.com/shop/db-seed:{{ pr.headSha }}\""),
    ("spec.dataStores.<name>.credentials.passwordKey", "passwordKey: postgres-password"),
    ("spec.dataStores.<name>.resources", "resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {memory: 1Gi}}"),
    ("spec.dataStores.<name>.resources.requests", "requests: {cpu: 100m, memory: 256Mi}"),
    ("spec.dataStores.<name>.resources.limits", "limits: {cpu: \"1\", memory: 1Gi}"),
    ("spec.restore", "restore: {veleroNamespace: velero, timeout: 10m}"),
    ("spec.restore.veleroNamespace", "veleroNamespace: velero"),
    ("spec.restore.timeout", "timeout: 10m"),
];

/// An example from the type alone, for fields no example spec uses and no description shows.
fn made_up(path: &str, node: &Value) -> String {
    let key = path.rsplit('.').next().unwrap_or(path).trim_end_matches("[]");
    let types = node.get("type").map(Value::to_string).unwrap_or_default();
    let value = if types.contains("integer") {
        node.get("minimum").and_then(Value::as_i64).unwrap_or(1).to_string()
    } else if types.contains("boolean") {
        "true".to_owned()
    } else if types.contains("object") {
        "{example: value}".to_owned()
    } else if types.contains("array") {
        "[example]".to_owned()
    } else {
        "example".to_owned()
    };
    format!("`{key}: {value}`")
}

/// The value at `path` in an example spec, `<name>` matching the first key there that leads to a
/// value.
fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let (segment, rest) = path.split_once('.').map_or((path, None), |(s, r)| (s, Some(r)));
    let (key, list) = match segment.strip_suffix("[]") {
        Some(key) => (key, true),
        None => (segment, false),
    };
    let candidates: Vec<&Value> =
        if key == "<name>" { value.as_object()?.values().collect() } else { vec![value.get(key)?] };
    candidates.into_iter().find_map(|node| {
        let node = if list { node.as_array()?.first()? } else { node };
        match rest {
            Some(rest) => lookup(node, rest),
            None => Some(node),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_real_example() {
        let text = markdown();
        for placeholder in [": example`", "{example: value}", "[example]"] {
            assert!(!text.contains(placeholder), "a field's example is made up ({placeholder}): add it to CURATED");
        }
        for (path, example) in CURATED {
            let value: Value = crate::yaml::value_from_str(example, crate::yaml::Limits::Spec).expect(path);
            let key = path.rsplit('.').next().unwrap().trim_end_matches("[]");
            assert_eq!(value.as_object().map(|o| o.keys().collect::<Vec<_>>()), Some(vec![&key.to_owned()]), "{path}");
            assert!(text.contains(&format!("## `{path}`")), "{path} is not a field");
        }
    }
}
