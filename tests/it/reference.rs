//! What is written from the spec's types stays current: the committed JSON Schema and field
//! reference are what `kpreview schema` prints now, and every example spec a user copies points
//! its editor at that schema (and passes it).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{describe, kpreview, root};

const REGENERATE: &str = "run scripts/reference and commit the result";

fn schema_output(args: &[&str]) -> String {
    let output = kpreview().arg("schema").args(args).output().expect("run");
    assert!(output.status.success(), "{}", describe(&output));
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn the_committed_schema_and_reference_are_current() {
    let committed = |path: &str| std::fs::read_to_string(root().join(path)).unwrap_or_default();
    assert!(
        committed("schema/preview.schema.json") == schema_output(&[]),
        "schema/preview.schema.json is stale: {REGENERATE}"
    );
    let reference = schema_output(&["--format", "markdown"]);
    assert!(committed("docs/reference.md") == reference, "docs/reference.md is stale: {REGENERATE}");
    let schema: serde_json::Value = serde_json::from_str(&schema_output(&[])).expect("JSON");
    for field in ["healthPath", "runAsUser", "dependsOn", "storageClass", "credentials", "spot"] {
        assert!(reference.contains(&format!(".{field}`")), "the reference lacks `{field}`");
    }
    let sections = reference.lines().filter(|l| l.starts_with("## `")).count();
    let examples = reference.lines().filter(|l| l.starts_with("- **Example:**")).count();
    assert_eq!(sections, examples, "every field has an example");
    assert!(sections > 60, "{sections} fields; the walk lost some");
    assert!(schema["$defs"].as_object().is_some_and(|d| !d.is_empty()));
}

/// The specs users copy: the examples, the orchestrators' packages and the GitOps overlays.
fn example_specs() -> Vec<PathBuf> {
    fn visit(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("dir").map(|e| e.expect("entry").path()) {
            if entry.is_dir() {
                visit(&entry, out);
            } else if entry.file_name().is_some_and(|n| n == "preview.yaml")
                && std::fs::read_to_string(&entry).is_ok_and(|t| t.lines().any(|l| l == "kind: Preview"))
            {
                out.push(entry);
            }
        }
    }
    let mut out = Vec::new();
    for dir in ["examples", "functions", "overlays"] {
        visit(&root().join(dir), &mut out);
    }
    out.sort();
    assert!(out.len() >= 8, "{out:?}");
    out
}

#[test]
fn every_example_spec_points_its_editor_at_the_committed_schema_and_passes_it() {
    let schema = root().join("schema/preview.schema.json").canonicalize().expect("schema/preview.schema.json");
    for spec in example_specs() {
        let text = std::fs::read_to_string(&spec).expect("spec");
        let first = text.lines().next().unwrap_or_default();
        let target = first.strip_prefix("# yaml-language-server: $schema=").unwrap_or_else(|| {
            panic!(
                "{} must start with `# yaml-language-server: $schema=<path of schema/preview.schema.json>`",
                spec.display()
            )
        });
        let resolved = spec.parent().expect("dir").join(target).canonicalize();
        assert!(
            resolved.is_ok_and(|r| r == schema),
            "{}: `{target}` is not schema/preview.schema.json",
            spec.display()
        );
    }
    let output = Command::new(crate::support::python())
        .args(["-m", "check_jsonschema", "--schemafile"])
        .arg(&schema)
        .args(example_specs())
        .output()
        .expect("run check-jsonschema");
    assert!(output.status.success(), "{}", describe(&output));
}
