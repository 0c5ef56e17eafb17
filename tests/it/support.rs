//! Helpers shared by the integration tests: the binary, the shared tools and temp dirs.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The upstream CRDs the validator checks custom resources against (sources in `SOURCES.tsv`).
pub fn crds() -> PathBuf {
    root().join("tests/crds")
}

/// The kpreview binary under test.
pub fn kpreview() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kpreview"));
    for var in ["PREVIEW_PR_NUMBER", "PREVIEW_HEAD_SHA", "PREVIEW_BRANCH", "NO_COLOR"] {
        cmd.env_remove(var);
    }
    cmd
}

/// The binary's path.
pub fn kpreview_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kpreview"))
}

/// The Python with the test dependencies (`scripts/test` installs it and sets `KPREVIEW_PYTHON`).
pub fn python() -> PathBuf {
    let path = std::env::var_os("KPREVIEW_PYTHON").map_or_else(|| root().join(".venv/bin/python"), PathBuf::from);
    assert!(path.exists(), "{} is missing: run the tests with scripts/test, which installs it", path.display());
    path
}

/// Runs `cmd` with `stdin`, returning its output.
pub fn run_with_stdin(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let mut pipe = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().expect("wait");
    writer.join().expect("stdin writer");
    output
}

/// Text of a process's stdout and stderr, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `scripts/validate-manifests` on a manifest stream and panics with its report
/// unless every object is valid. Returns the number of objects checked.
pub fn validate_manifests(what: &str, yaml: &str) -> usize {
    validate_all(&[(what.to_owned(), yaml.to_owned())])
}

/// Validates several named manifest streams in one run of the tool (it loads every schema at
/// start, which takes seconds). Returns the number of objects checked.
pub fn validate_all(streams: &[(String, String)]) -> usize {
    let dir = tempdir();
    let files: Vec<PathBuf> =
        streams.iter().map(|(name, yaml)| write(dir.path(), &format!("{name}.yaml"), yaml)).collect();
    let tool = root().join("scripts/validate-manifests");
    let output = Command::new(python()).arg(tool).arg("-q").args(&files).output().expect("run validate-manifests");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "validate-manifests rejected some objects:\n{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    report
        .lines()
        .find_map(|l| {
            l.strip_prefix("validate-manifests: ").and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Writes `text` to `dir/name`, creating directories.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, text).expect("write");
    path
}
