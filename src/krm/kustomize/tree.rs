//! The kustomization tree of a generator: kustomize names only the kustomization that declares
//! it (`KUSTOMIZE_PLUGIN_CONFIG_ROOT`), so the files of its spec are found by following its
//! `generators:` and, below them, `resources:` and `bases:`, as kustomize does.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::files::{Files, SMALL, is_dir, is_file, read_file};
use crate::yaml::{self, Limits};

/// The names kustomize accepts for a kustomization file.
const KUSTOMIZATIONS: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
/// How deep `resources:` are followed, and how many directories at most: a kustomization tree is
/// small, and a cycle must not loop.
const MAX_DEPTH: usize = 8;
const MAX_DIRS: usize = 200;

/// Where the spec of the generator config kustomize handed over lives: the entries of the
/// `generators:` list of the kustomization in `root`, and the files below them (following
/// `resources:` down, as kustomize does) that hold a spec of that name. Found once, for the lock
/// and for the spec's own text.
pub struct Sources {
    /// The kustomization that declares the generator.
    pub root: PathBuf,
    /// Its `generators:` entries, as written.
    pub generators: Vec<String>,
    /// The files below them that hold the spec.
    pub files: BTreeSet<PathBuf>,
}

impl Sources {
    /// Looks for the files of the spec `spec` (the config's text) from the kustomization in `root`.
    pub fn find(files: &dyn Files, root: &Path, spec: &str) -> Self {
        let name = yaml::value_from_str(spec, Limits::Spec)
            .ok()
            .and_then(|v| v.pointer("/metadata/name").and_then(Value::as_str).map(str::to_owned));
        let generators = entries(files, root, "generators");
        let mut found = BTreeSet::new();
        if let Some(name) = &name {
            let mut walk = Walk { files, name, visited: BTreeSet::new(), found: &mut found };
            for generator in &generators {
                walk.visit(&root.join(generator), 0);
            }
        }
        Self { root: root.to_owned(), generators, files: found }
    }
}

/// Follows a kustomization tree to the files that hold the spec named `name`.
struct Walk<'a> {
    files: &'a dyn Files,
    name: &'a str,
    visited: BTreeSet<PathBuf>,
    found: &'a mut BTreeSet<PathBuf>,
}

impl Walk<'_> {
    fn visit(&mut self, path: &Path, depth: usize) {
        if depth > MAX_DEPTH || self.visited.len() >= MAX_DIRS {
            return;
        }
        if is_file(self.files, path) {
            if holds_spec(self.files, path, self.name) {
                self.found.insert(clean(path));
            }
            return;
        }
        let Ok(dir) = self.files.canonicalize(path) else { return };
        if !is_dir(self.files, &dir) || !self.visited.insert(dir) {
            return;
        }
        for entry in entries(self.files, path, "resources").into_iter().chain(entries(self.files, path, "bases")) {
            self.visit(&path.join(entry), depth + 1);
        }
    }
}

/// The local entries of a kustomization's list `key` (`generators`, `resources`), as written.
fn entries(files: &dyn Files, dir: &Path, key: &str) -> Vec<String> {
    let Some(text) = KUSTOMIZATIONS.iter().find_map(|name| bounded(files, &dir.join(name))) else {
        return Vec::new();
    };
    let Ok(kustomization) = yaml::value_from_str(&text, Limits::Spec) else { return Vec::new() };
    let list = kustomization.get(key).and_then(Value::as_array).into_iter().flatten();
    // Remote resources (URLs, `github.com/…`) are kustomize's to fetch; no lock sits beside them.
    list.filter_map(Value::as_str)
        .filter(|e| !e.contains("://") && !e.starts_with("github.com/"))
        .map(str::to_owned)
        .collect()
}

/// Whether the YAML file at `path` holds a kpreview `Preview` named `name`.
fn holds_spec(files: &dyn Files, path: &Path, name: &str) -> bool {
    let yaml_file = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
    let Some(text) = yaml_file.then(|| bounded(files, path)).flatten() else { return false };
    yaml::values_from_stream(&text).is_ok_and(|documents| {
        documents.iter().any(|d| {
            d.get("kind").and_then(Value::as_str) == Some("Preview")
                && d.get("apiVersion").and_then(Value::as_str).is_some_and(|v| v.starts_with("kpreview.dev/"))
                && d.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
        })
    })
}

/// A small text file's content; `None` when it is missing, unreadable or larger than a spec.
pub(super) fn bounded(files: &dyn Files, path: &Path) -> Option<String> {
    read_file(files, path, SMALL).ok().flatten()
}

/// `path` with `a/..` pairs removed, as kustomize joins its paths (Go's `filepath.Join` cleans
/// lexically), so messages name the lock as people would.
pub(super) fn clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
