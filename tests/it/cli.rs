//! The command line as users meet it: help, exit codes, stdin, output directories, the bundled
//! examples and the JSON Schema.

use std::fs;
use std::path::Path;

use crate::support::{describe, kpreview, root, run_with_stdin, tempdir, validate_all, write};

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn spec_text() -> String {
    fs::read_to_string(root().join("examples/shop/preview.yaml")).expect("example")
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), fs::read(&p).expect("read")))
        .collect();
    files.sort();
    files
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let output = kpreview().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(text.contains("Examples:") && text.contains("Exit codes"), "{text}");
    let output = kpreview().args(["render", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("kpreview render examples/shop.yaml --pr 42"));
}

#[test]
fn usage_and_io_errors_exit_2_invalid_specs_exit_1() {
    let output = kpreview().args(["render", "--no-such-flag"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let output = kpreview().args(["render", "/no/such/preview.yaml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read /no/such/preview.yaml"));
    let dir = tempdir();
    let spec = write(
        dir.path(),
        "preview.yaml",
        "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {name: x}\nspec: {}\n",
    );
    let output = kpreview().arg("render").arg(&spec).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(output.stdout.is_empty(), "nothing is printed for an invalid spec");
}

#[test]
fn the_spec_can_come_from_stdin() {
    let mut cmd = kpreview();
    cmd.args(["render", "-", "--pr", "5"]);
    let output = run_with_stdin(&mut cmd, spec_text().as_bytes());
    assert!(output.status.success(), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("name: shop-pr-5"));
}

#[test]
fn pull_request_environment_variables_must_be_numbers() {
    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", &spec_text());
    let output = kpreview().arg("render").arg(&spec).env("PREVIEW_PR_NUMBER", "forty-two").output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("PREVIEW_PR_NUMBER=forty-two is not a pull request number")
    );
}

#[test]
fn an_output_directory_is_replaced_whole_or_not_at_all() {
    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", &spec_text());
    let out = dir.path().join("rendered");
    let output = kpreview().arg("render").arg(&spec).arg("-o").arg(&out).output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let first = tree(&out);
    assert_eq!(first.len(), 29);
    assert_eq!(first[0].0, "000-namespace-shop-pr-123.yaml");

    // A second render with another PR replaces every file.
    let output = kpreview().arg("render").arg(&spec).args(["--pr", "7", "-o"]).arg(&out).output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let second = tree(&out);
    assert!(second.iter().all(|(_, text)| String::from_utf8_lossy(text).contains("shop-pr-7")));

    // An invalid spec leaves the directory byte for byte as it was.
    write(dir.path(), "preview.yaml", &spec_text().replace("port: 8000", "port: none"));
    let output = kpreview().arg("render").arg(&spec).arg("-o").arg(&out).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert_eq!(tree(&out), second);
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 2, "no staging directories left behind: {leftovers:?}");
}

#[test]
fn a_directory_of_other_files_is_never_replaced() {
    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", &spec_text());
    let output = kpreview().arg("render").arg(&spec).arg("-o").arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("kpreview did not write"), "{}", describe(&output));
    assert_eq!(fs::read_to_string(&spec).unwrap(), spec_text());
}

#[test]
fn the_bundled_examples_render_and_validate() {
    let mut streams = Vec::new();
    for name in ["shop", "blog", "storefront"] {
        let spec = root().join(format!("examples/{name}/preview.yaml"));
        let output = kpreview().arg("render").arg(&spec).args(["--pr", "42", "--sha", SHA]).output().unwrap();
        assert!(output.status.success(), "{name}: {}", describe(&output));
        streams.push((name.to_owned(), String::from_utf8(output.stdout).unwrap()));
    }
    assert!(validate_all(&streams) > 50);
}

#[test]
fn validate_checks_several_specs_and_names_each() {
    let dir = tempdir();
    let good = write(dir.path(), "good.yaml", &spec_text());
    let bad = write(dir.path(), "bad.yaml", &spec_text().replace("engine: redis", "engine: redsi"));
    let output = kpreview().arg("validate").arg(&good).arg(&bad).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ok: ") && stderr.contains("good.yaml"), "{stderr}");
    assert!(stderr.contains("spec.dataStores.redis.engine: unknown value `redsi`"), "{stderr}");
    assert!(stderr.contains("did you mean `redis`?"), "{stderr}");
}

#[test]
fn the_schema_describes_every_field_and_refuses_unknown_ones() {
    let output = kpreview().arg("schema").output().unwrap();
    assert!(output.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(schema["additionalProperties"], false);
    let service = &schema["$defs"]["ServiceSpec"];
    assert_eq!(service["additionalProperties"], false);
    assert!(service["properties"]["image"]["description"].as_str().unwrap().contains("template"));
    let engine = serde_json::to_string(&schema["$defs"]["Engine"]).unwrap();
    assert!(engine.contains("postgres") && engine.contains("mongodb"), "{engine}");
}
