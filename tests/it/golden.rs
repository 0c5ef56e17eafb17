//! Golden renders. Every directory under `testdata/` is a case: a `preview.yaml`, optionally an
//! `args` file (flags, one per line), a `preview.lock` and an `env` file (`NAME=value` lines). The
//! binary renders it from inside the directory; the snapshot is the manifest stream (`render`)
//! plus any warnings (`warnings`), or the exit code and every error (`errors`).
//! Update with `cargo insta review` after reading each change: a golden is a claim that the
//! manifests are right.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{describe, kpreview, validate_all};

/// One golden case.
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
}

impl Case {
    fn lines(&self, file: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.join(file))
            .map(|t| {
                t.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
            })
            .unwrap_or_default()
    }

    /// Runs `kpreview render` (or `extra` instead of `render`) on the case.
    pub fn run(&self, subcommand: &[&str]) -> Output {
        let mut cmd = kpreview();
        cmd.current_dir(&self.dir).args(subcommand).arg("preview.yaml").args(self.lines("args"));
        for pair in self.lines("env") {
            if let Some((k, v)) = pair.split_once('=') {
                cmd.env(k, v);
            }
        }
        cmd.output().expect("run kpreview")
    }

    /// The manifest stream of a case that renders, `None` for an error case.
    pub fn rendered(&self) -> Option<String> {
        let output = self.run(&["render"]);
        output.status.success().then(|| String::from_utf8(output.stdout).expect("utf-8"))
    }
}

/// Every case under `testdata/`, by name. Panics when there are none, so a moved directory cannot
/// make the goldens pass vacuously.
pub fn cases() -> Vec<Case> {
    let root = crate::support::root().join("testdata");
    let mut cases: Vec<Case> = std::fs::read_dir(&root)
        .expect("testdata/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("preview.yaml").exists())
        .map(|dir| Case { name: dir.file_name().unwrap().to_string_lossy().into_owned(), dir })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(cases.len() >= 10, "expected the golden cases under {}, found {}", root.display(), cases.len());
    cases
}

fn snapshot(dir: &Path, name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn every_case_matches_its_golden() {
    let mut failed = Vec::new();
    for case in cases() {
        let output = case.run(&["render"]);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let result = std::panic::catch_unwind(|| {
            if output.status.success() {
                snapshot(&case.dir, "render", &String::from_utf8_lossy(&output.stdout));
                if !stderr.is_empty() {
                    snapshot(&case.dir, "warnings", &stderr);
                }
            } else {
                assert!(
                    output.stdout.is_empty(),
                    "{}: a failed render printed manifests:\n{}",
                    case.name,
                    describe(&output)
                );
                snapshot(&case.dir, "errors", &format!("exit {}\n{stderr}", output.status.code().unwrap_or(-1)));
            }
        });
        if result.is_err() {
            failed.push(case.name.clone());
        }
    }
    assert!(failed.is_empty(), "goldens differ for: {failed:?} (review with `cargo insta review`)");
}

#[test]
fn every_golden_render_validates_strictly() {
    let streams: Vec<(String, String)> =
        cases().into_iter().filter_map(|case| case.rendered().map(|yaml| (case.name, yaml))).collect();
    let checked = validate_all(&streams);
    assert!(checked > 100, "only {checked} objects were validated");
}

#[test]
fn every_copied_file_names_its_source() {
    // The contract's examples and the upstream CRDs are copies: each must say where it came from,
    // and each recorded source must still be here, so a copy is never orphaned or unexplained.
    for (dir, pattern) in [("testdata", "shared-"), ("tests/crds", "")] {
        let dir = crate::support::root().join(dir);
        let sources = std::fs::read_to_string(dir.join("SOURCES.tsv")).expect("SOURCES.tsv");
        let recorded: std::collections::BTreeSet<&str> =
            sources.lines().skip(1).filter_map(|line| line.split('\t').next()).collect();
        let present: std::collections::BTreeSet<String> = std::fs::read_dir(&dir)
            .expect("read dir")
            .filter_map(|entry| entry.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|name| {
                name.starts_with(pattern)
                    && name != "SOURCES.tsv"
                    && !Path::new(name).extension().is_some_and(|e| e.eq_ignore_ascii_case("md"))
            })
            .map(|name| if pattern.is_empty() { name } else { format!("{name}/preview.yaml") })
            .collect();
        let present: std::collections::BTreeSet<&str> = present.iter().map(String::as_str).collect();
        assert_eq!(recorded, present, "{}: SOURCES.tsv and the copied files disagree", dir.display());
    }
}
