//! Rough edges a trial found: each answers the user the way the rest of kpreview does, with the
//! field path (or the flag or variable) and what is accepted.

use std::path::PathBuf;
use std::process::Output;

use crate::support::{describe, kpreview, run_with_stdin, tempdir, write};

fn spec(dir: &std::path::Path, services: &str) -> PathBuf {
    write(
        dir,
        "preview.yaml",
        &format!(
            "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata:\n  name: shop\nspec:\n  services:\n{services}"
        ),
    )
}

fn validate(path: &std::path::Path) -> Output {
    kpreview().arg("validate").arg(path).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn validate_fills_in_a_branch_as_hostile_as_real_ones() {
    let dir = tempdir();
    let path = spec(dir.path(), "    web:\n      image: registry.example.com/shop/web:{{ pr.branch }}\n");
    let out = validate(&path);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(stderr(&out).contains("spec.services.web.image"), "{}", describe(&out));
    let rendered = kpreview().arg("render").arg(&path).args(["--pr", "1", "--branch", "feature/x"]).output().unwrap();
    assert_eq!(rendered.status.code(), Some(1), "render agrees: {}", describe(&rendered));
    let slug = spec(dir.path(), "    web:\n      image: registry.example.com/shop/web:{{ pr.branchSlug }}\n");
    assert!(validate(&slug).status.success(), "{}", describe(&validate(&slug)));
}

#[test]
fn a_quoted_port_is_refused_as_the_schema_does() {
    let dir = tempdir();
    let path = spec(dir.path(), "    web:\n      image: registry.example.com/shop/web:1\n      port: \"8000\"\n");
    let out = validate(&path);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains(
            "spec.services.web.port: expected a port, a whole number from 1 to 65535, found `8000` in quotes, a string; write it without quotes"
        ),
        "{}",
        describe(&out)
    );
    let schema = kpreview().arg("schema").output().unwrap();
    let schema: serde_json::Value = serde_json::from_slice(&schema.stdout).unwrap();
    let port = &schema["$defs"]["ServiceSpec"]["properties"]["port"];
    assert!(port.to_string().contains("integer"), "the schema declares an integer: {port}");
}

#[test]
fn an_image_without_tag_or_digest_is_a_warning() {
    let dir = tempdir();
    let path = spec(dir.path(), "    web:\n      image: registry.example.com/shop/web\n");
    let out = validate(&path);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stderr(&out).contains("spec.services.web.image: `registry.example.com/shop/web` has no tag or digest"),
        "{}",
        describe(&out)
    );
    // `:latest` written out floats the same way.
    let path = spec(dir.path(), "    web:\n      image: registry.example.com/shop/web:latest\n");
    let out = validate(&path);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(stderr(&out).contains("`registry.example.com/shop/web:latest` is tagged `latest`"), "{}", describe(&out));
}

#[test]
fn a_tab_in_indentation_is_reported_at_its_line_and_named() {
    let dir = tempdir();
    let path = spec(dir.path(), "    web:\n\timage: registry.example.com/shop/web:1\n");
    let out = validate(&path);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = stderr(&out);
    assert!(err.contains("tabs are not allowed in YAML indentation") && err.contains("line 8"), "{err}");
}

/// Wherever the tab is, the report names its line, not the line where the scanner noticed it
/// (often the one before, "while scanning a plain scalar, found a tab").
#[test]
fn every_tab_in_indentation_is_reported_at_the_line_that_holds_it() {
    let shop = std::fs::read_to_string(crate::support::root().join("examples/shop/preview.yaml")).expect("shop");
    let line_of = |text: &str| shop.lines().position(|l| l == text).expect("line") + 1;
    let dir = tempdir();
    for (line, tabbed, column) in [
        ("      port: 8000", "\tport: 8000", 1),
        ("      port: 8000", "    \tport: 8000", 5),
        ("      port: 8000", "      \tport: 8000", 7),
        ("      expose: true", "\t  expose: true", 1),
        ("  services:", "\tservices:", 1),
        ("spec:", "\tspec:", 1),
        ("  pullRequest:", "\tpullRequest:", 1),
    ] {
        let at = line_of(line);
        let text: Vec<&str> = shop.lines().enumerate().map(|(i, l)| if i + 1 == at { tabbed } else { l }).collect();
        let path = write(dir.path(), "preview.yaml", &(text.join("\n") + "\n"));
        let out = validate(&path);
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        let err = stderr(&out);
        let expected = format!(
            "preview.yaml: a tab indents this line; tabs are not allowed in YAML indentation, indent with spaces (line {at}, column {column})"
        );
        assert!(err.contains(&expected) && !err.contains("scanning"), "{tabbed:?}: {err}");
    }
}

#[test]
fn metadata_namespace_on_the_spec_is_a_warning_not_silence() {
    let dir = tempdir();
    let text = "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata:\n  name: shop\n  namespace: team-a\nspec:\n  services:\n    web:\n      image: registry.example.com/shop/web:1\n";
    let path = write(dir.path(), "preview.yaml", text);
    let out = validate(&path);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(stderr(&out).contains("metadata.namespace: `team-a` is ignored"), "{}", describe(&out));
}

#[test]
fn a_pull_request_number_that_is_not_one_says_what_is() {
    let dir = tempdir();
    let path = spec(dir.path(), "    web:\n      image: registry.example.com/shop/web:1\n");
    let out = kpreview().arg("render").arg(&path).args(["--pr", "abc"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        stderr(&out).contains("`abc` is not a pull request number; give a whole number from 1 up, such as 42"),
        "{}",
        describe(&out)
    );
    let out = kpreview()
        .arg("cmp")
        .current_dir(dir.path())
        .env("ARGOCD_ENV_PR_NUMBER", "abc")
        .env("ARGOCD_APP_NAMESPACE", "shop-pr-1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out)
            .contains("ARGOCD_ENV_PR_NUMBER=abc: `abc` is not a pull request number; give a whole number from 1 up"),
        "{}",
        describe(&out)
    );
}

#[test]
fn a_resource_list_without_api_version_says_so() {
    let out = run_with_stdin(&mut kpreview(), b"kind: ResourceList\nitems: []\n");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains(
            "expected kind ResourceList with apiVersion config.kubernetes.io/v1 or config.kubernetes.io/v1beta1, found kind `ResourceList` and no apiVersion"
        ),
        "{}",
        describe(&out)
    );
}

#[test]
fn a_name_shortened_with_a_hash_is_noted_in_validate() {
    let dir = tempdir();
    let app = "customer-relationship-management-platform-for-every-team";
    let text = format!(
        "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata:\n  name: {app}\nspec:\n  domain: preview.example.com\n  services:\n    frontend:\n      image: registry.example.com/crm/web:1\n      port: 8080\n      expose: true\n"
    );
    let path = write(dir.path(), "preview.yaml", &text);
    let out = kpreview().arg("validate").arg(&path).args(["--pr", "123456"]).output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("spec.namespace: `{app}-pr-123456` is 66 characters")), "{err}");
    assert!(err.contains("shortened with a hash of the whole name"), "{err}");
    assert!(err.contains("spec.services.frontend.expose: `frontend-") && err.contains("the host is `"), "{err}");
}
