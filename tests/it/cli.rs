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
    assert!(String::from_utf8_lossy(&output.stdout).contains("kpreview render examples/shop/preview.yaml --pr 42"));
}

#[test]
fn every_example_path_in_the_help_exists() {
    for args in [&["--help"][..], &["render", "--help"], &["validate", "--help"]] {
        let output = kpreview().args(args).output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        for word in text.split_whitespace().filter(|w| w.starts_with("examples/")) {
            let paths: Vec<_> = if word.contains('*') {
                ["shop", "blog", "storefront"].iter().map(|n| word.replace('*', n)).collect()
            } else if let (Some(open), Some(close)) = (word.find('{'), word.find('}')) {
                // A shell's brace expansion: `examples/{shop,blog}/preview.yaml`.
                let (head, tail) = (&word[..open], &word[close + 1..]);
                word[open + 1..close].split(',').map(|n| format!("{head}{n}{tail}")).collect()
            } else {
                vec![word.to_owned()]
            };
            for path in paths {
                assert!(root().join(&path).exists(), "`{}` names {path}, which does not exist", args.join(" "));
            }
        }
    }
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
fn a_bad_pull_request_value_is_blamed_on_where_it_came_from() {
    let dir = tempdir();
    let without_number = spec_text().replace("    number: 123\n", "");
    let spec = write(dir.path(), "preview.yaml", &without_number);
    let output = kpreview().arg("render").arg(&spec).env("PREVIEW_PR_NUMBER", "forty-two").output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`PREVIEW_PR_NUMBER` is `forty-two`, not a pull request number"), "{stderr}");

    // The variable loses to the flag, so its value does not matter then.
    let output = kpreview().arg("render").arg(&spec).arg("--pr=5").env("PREVIEW_PR_NUMBER", "abc").output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("name: shop-pr-5"));

    let output = kpreview().arg("render").arg(&spec).args(["--pr", "0", "--sha", "XYZ"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`--pr N` is `0`, not a pull request number"), "{stderr}");
    assert!(stderr.contains("`--sha` is `XYZ`, not a commit SHA"), "{stderr}");
    assert!(!stderr.contains("spec.pullRequest"), "the spec gave neither value: {stderr}");
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

    // A spec that cannot be read is named, the ones after it are still checked, and the run
    // is the environment's fault.
    let missing = dir.path().join("missing.yaml");
    let output = kpreview().arg("validate").arg(&good).arg(&missing).arg(&bad).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot read") && stderr.contains("missing.yaml"), "{stderr}");
    assert!(stderr.contains("unknown value `redsi`"), "the spec after it was checked: {stderr}");
    assert!(stderr.contains("2 of 3 specs are invalid or unreadable"), "{stderr}");
}

#[test]
fn validate_lints_a_spec_without_a_pull_request_unless_strict() {
    let dir = tempdir();
    let spec = write(
        dir.path(),
        "preview.yaml",
        &spec_text().replace("  pullRequest:\n    number: 123\n", "  pullRequest:\n"),
    );
    let output = kpreview().arg("validate").arg(&spec).output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("checked with placeholders") && stderr.contains("number `1`"), "{stderr}");
    assert!(!stderr.contains("headSha"), "the spec gives the SHA: {stderr}");
    let output = kpreview().arg("validate").arg("--strict").arg(&spec).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("the pull request number is not set"));
    for name in ["blog", "storefront"] {
        let output = kpreview().arg("validate").arg(root().join(format!("examples/{name}/preview.yaml"))).output();
        let output = output.unwrap();
        assert!(output.status.success(), "{name}: {}", describe(&output));
    }
}

#[test]
fn validate_prints_each_problem_of_one_spec_once() {
    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", &spec_text().replace("port: 8000", "port: eighty"));
    let output = kpreview().arg("validate").arg(&spec).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("found `eighty`").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("is not a valid Preview").count(), 1, "{stderr}");
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
    // Read leniently, typed exactly: the schema still says what a field must be.
    let types = |node: &serde_json::Value| serde_json::to_string(&node["type"]).unwrap();
    for (field, kind) in [("port", "integer"), ("replicas", "integer"), ("runAsUser", "integer"), ("expose", "boolean")]
    {
        assert!(types(&service["properties"][field]).contains(kind), "{field}: {}", service["properties"][field]);
    }
    assert_eq!(service["properties"]["replicas"]["maximum"], 20);
    assert!(types(&schema["$defs"]["PullRequest"]["properties"]["number"]).contains("integer"));
    assert_eq!(schema["required"], serde_json::json!(["apiVersion", "kind", "metadata", "spec"]));
    assert_eq!(schema["$defs"]["Metadata"]["required"], serde_json::json!(["name"]));
    assert_eq!(schema["$defs"]["TlsSpec"]["required"], serde_json::json!(["secretName"]));
}

#[test]
fn a_render_directory_with_a_hand_written_file_is_left_alone() {
    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", &spec_text());
    let out = dir.path().join("rendered");
    let output = kpreview().arg("render").arg(&spec).arg("-o").arg(&out).output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let overlay = "commonLabels:\n  app.kubernetes.io/managed-by: kpreview\n";
    write(&out, "kustomization.yaml", overlay);
    let output = kpreview().arg("render").arg(&spec).args(["--pr", "9", "-o"]).arg(&out).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("kustomization.yaml"), "{}", describe(&output));
    assert_eq!(fs::read_to_string(out.join("kustomization.yaml")).unwrap(), overlay);
    assert!(tree(&out).iter().any(|(name, _)| name == "000-namespace-shop-pr-123.yaml"), "the old render stays");
}

/// A directory kpreview cannot write into is named once, with the system's reason once, and
/// never by the name of a temporary file the user never asked for.
#[test]
fn an_output_directory_that_cannot_be_written_is_named_once() {
    let dir = tempdir();
    let file = write(dir.path(), "a-file", "");
    let example = root().join("examples/shop/preview.yaml");
    for (target, reason) in [(file.join("out"), "Not a directory"), ("/proc/kpreview-out".into(), "No such file")] {
        let output = kpreview().arg("render").arg(&example).args(["--pr", "1", "-o"]).arg(&target).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.matches(reason).count(), 1, "{stderr}");
        assert!(stderr.starts_with("error: cannot write /") && !stderr.contains(".kpreview-new"), "{stderr}");
    }
}
