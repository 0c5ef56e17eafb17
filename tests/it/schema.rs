//! `kpreview schema` and kpreview's reader agree: a spec the editor or CI's schema check passes is
//! one kpreview takes, and one it refuses, kpreview refuses, field by field (numbers, booleans,
//! quantities, durations). The few differences a JSON Schema cannot express are listed, so a
//! change on either side shows up here.

use std::collections::BTreeSet;
use std::process::Command;

use crate::support::{describe, kpreview, python, root, tempdir, write};

/// A spec kpreview takes, with one placeholder per field under test.
const BASE: &str = "\
apiVersion: kpreview.dev/v1alpha1
kind: Preview
metadata: {name: shop}
spec:
  domain: preview.example.com
  ttl: TTL
  services:
    SERVICE:
      image: registry.example.com/shop/api:1.0
      port: PORT
      expose: EXPOSE
      replicas: REPLICAS
      healthPath: HEALTH
      runAsUser: USER
      env: {ENVNAME: x}
      resources: {requests: {cpu: CPU, memory: MEMORY}, limits: {memory: 8Gi}}
  dataStores:
    db: {engine: postgres, storage: STORAGE}
";

const DEFAULTS: &[(&str, &str)] = &[
    ("TTL", "48h"),
    ("PORT", "8000"),
    ("EXPOSE", "true"),
    ("REPLICAS", "1"),
    ("CPU", "100m"),
    ("MEMORY", "256Mi"),
    ("STORAGE", "1Gi"),
    ("SERVICE", "api"),
    ("HEALTH", "/healthz"),
    ("USER", "1000"),
    ("ENVNAME", "MODE"),
];

/// The placeholder, the value as written, and whether kpreview takes it (and so must the schema).
const CASES: &[(&str, &str, bool)] = &[
    ("EXPOSE", "true", true),
    ("EXPOSE", "false", true),
    ("EXPOSE", "True", true),
    ("EXPOSE", "\"true\"", false),
    ("EXPOSE", "yes", false),
    ("EXPOSE", "on", false),
    ("EXPOSE", "no", false),
    ("EXPOSE", "'off'", false),
    ("EXPOSE", "1", false),
    ("PORT", "8080", true),
    ("PORT", "\"8000\"", false),
    ("PORT", "eighty", false),
    ("PORT", "[8000]", false),
    ("REPLICAS", "2", true),
    ("REPLICAS", "\"2\"", false),
    ("CPU", "250m", true),
    ("CPU", "0.5", true),
    ("CPU", "2", true),
    ("CPU", "\"1.5\"", true),
    ("CPU", ".5", true),
    ("CPU", "1e0", true),
    ("CPU", "2 cores", false),
    ("CPU", "-1", false),
    ("CPU", "100 m", false),
    ("CPU", "lots", false),
    ("MEMORY", "256Mi", true),
    ("MEMORY", "1.5Gi", true),
    ("MEMORY", "1G", true),
    ("MEMORY", "1073741824", true),
    ("MEMORY", "1e9", true),
    ("MEMORY", "\"1\"", true),
    ("MEMORY", "1GB", false),
    ("MEMORY", "512mb", false),
    ("MEMORY", "512m", false),
    ("MEMORY", "1m", false),
    ("MEMORY", "0.5", false),
    ("MEMORY", "\"0.5\"", false),
    ("MEMORY", "0", false),
    ("MEMORY", "\"1000e-3\"", false),
    ("STORAGE", "20Gi", true),
    ("STORAGE", "10G", true),
    ("STORAGE", "10737418240", true),
    ("STORAGE", "10m", false),
    ("STORAGE", "1TB", false),
    ("STORAGE", "0.5", false),
    ("TTL", "1h30m", true),
    ("TTL", "90m", true),
    ("TTL", "1.5h", true),
    ("TTL", "2d", false),
    ("TTL", "48", false),
    ("TTL", "48 h", false),
    ("TTL", "forever", false),
    ("SERVICE", "web-2", true),
    ("SERVICE", "API", false),
    ("SERVICE", "2web", false),
    ("SERVICE", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
    ("ENVNAME", "LOG_LEVEL", true),
    ("ENVNAME", "my.var-x", true),
    ("ENVNAME", "\"1BAD\"", false),
    ("HEALTH", "/ready", true),
    ("HEALTH", "healthz", false),
    ("USER", "65534", true),
    ("USER", "0", false),
    ("USER", "4294967296", false),
];

/// What a JSON Schema cannot say, with what each side does: kpreview refuses them.
const SCHEMA_PASSES: &[(&str, &str, &str)] = &[
    // JSON has one number type: 8000.0 is an integer to a JSON Schema, as it is not to Go's
    // int32 fields.
    ("PORT", "8000.0", "a JSON Schema integer may be written with `.0`"),
    // YAML reads it as the number 1 (one byte); kpreview reads what was written and refuses a
    // negative exponent of bytes.
    ("MEMORY", "1000e-3", "YAML's number 1"),
    // A pattern cannot compare values: a fraction of a byte written with a suffix.
    ("MEMORY", "0.0001k", "a pattern cannot compare values"),
    // kpreview's own bounds are values, not forms.
    ("CPU", "16", "kpreview's bound, at most 8"),
    ("TTL", "0s", "kpreview's bound, at least a second"),
];

fn spec(placeholder: &str, value: &str) -> String {
    DEFAULTS.iter().fold(BASE.to_owned(), |text, (name, default)| {
        text.replace(name, if *name == placeholder { value } else { default })
    })
}

/// The names of the files the schema refuses, from one run of check-jsonschema over all of them.
fn schema_refuses(files: &[std::path::PathBuf]) -> BTreeSet<String> {
    let output = Command::new(python())
        .args(["-m", "check_jsonschema", "-o", "json", "--schemafile"])
        .arg(root().join("schema/preview.schema.json"))
        .args(files)
        .output()
        .expect("run check-jsonschema");
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", describe(&output)));
    assert_eq!(report["parse_errors"], serde_json::json!([]), "{report}");
    let errors = report["errors"].as_array().expect("errors");
    errors.iter().filter_map(|e| e["filename"].as_str()).map(|f| f.rsplit('/').next().unwrap_or(f).to_owned()).collect()
}

fn kpreview_accepts(file: &std::path::Path) -> (bool, String) {
    let output = kpreview().arg("validate").arg(file).output().expect("run kpreview");
    (output.status.success(), describe(&output))
}

#[test]
fn the_schema_and_the_reader_agree_case_by_case() {
    let dir = tempdir();
    let mut files = Vec::new();
    let all = CASES.iter().map(|(p, v, _)| (*p, *v)).chain(SCHEMA_PASSES.iter().map(|(p, v, _)| (*p, *v)));
    for (i, (placeholder, value)) in all.enumerate() {
        files.push(write(dir.path(), &format!("case-{i:02}.yaml"), &spec(placeholder, value)));
    }
    let refused_by_schema = schema_refuses(&files);
    let mut disagreements = Vec::new();
    for (i, (placeholder, value, accepted)) in CASES.iter().enumerate() {
        let name = format!("case-{i:02}.yaml");
        let (kpreview, output) = kpreview_accepts(&files[i]);
        let schema = !refused_by_schema.contains(&name);
        if kpreview != *accepted || schema != *accepted {
            disagreements.push(format!(
                "{placeholder} = {value}: expected {accepted}, kpreview {kpreview}, schema {schema}\n{output}"
            ));
        }
    }
    for (j, (placeholder, value, why)) in SCHEMA_PASSES.iter().enumerate() {
        let i = CASES.len() + j;
        let (kpreview, output) = kpreview_accepts(&files[i]);
        let schema = !refused_by_schema.contains(&format!("case-{i:02}.yaml"));
        if kpreview || !schema {
            disagreements.push(format!(
                "{placeholder} = {value} ({why}): expected kpreview to refuse and the schema to pass, kpreview {kpreview}, schema {schema}\n{output}"
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
