//! Where the kustomize plugin finds `preview.lock`. kustomize hands the plugin a re-serialised
//! copy of the spec in a temporary file and names only the kustomization that declares the
//! generator (`KUSTOMIZE_PLUGIN_CONFIG_ROOT`). The lock is where `kpreview lock SPEC` writes it,
//! beside the spec: in that kustomization (`generators: [preview.yaml]`), or, for a directory
//! generator (`generators: [spec]`, the layout patches need), in the directory of the file the
//! generator's kustomization lists (following `resources:` down, as kustomize does).

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use kpreview::spec::lockfile::{FILE_NAME, Lock};
use kpreview::yaml::{self, Limits, MAX_SPEC_BYTES};

use super::super::Invalid;
use super::super::input::read_lock;

/// The names kustomize accepts for a kustomization file.
const KUSTOMIZATIONS: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
/// How deep `resources:` are followed, and how many directories at most: a kustomization tree is
/// small, and a cycle must not loop.
const MAX_DEPTH: usize = 8;
const MAX_DIRS: usize = 200;

/// The lock found for a spec, and every place looked at.
pub struct Search {
    /// The lock and where it was read, when one was found.
    pub lock: Option<(PathBuf, Lock)>,
    /// Every `preview.lock` path looked for, in order.
    pub searched: Vec<PathBuf>,
}

impl Search {
    /// What a problem about the lock should add: where it was looked for.
    pub fn explain(&self) -> String {
        if let Some((path, _)) = &self.lock {
            return format!("(read {})", path.display());
        }
        let paths: Vec<String> = self.searched.iter().map(|p| p.display().to_string()).collect();
        format!("(looked for {}; none exists)", paths.join(", "))
    }
}

/// Finds the lock of the spec `spec` (its text) generated from the kustomization in `root`.
pub fn find(root: &Path, spec: &str) -> anyhow::Result<Search> {
    let mut searched = vec![root.join(FILE_NAME)];
    if let Some(lock) = read_lock(root)? {
        return Ok(Search { lock: Some((root.join(FILE_NAME), lock)), searched });
    }
    let name = yaml::value_from_str(spec, Limits::Spec)
        .ok()
        .and_then(|v| v.pointer("/metadata/name").and_then(Value::as_str).map(str::to_owned));
    let generators = entries(root, "generators");
    let mut dirs = BTreeSet::new();
    if let Some(name) = &name {
        let mut walk = Walk { name, visited: BTreeSet::new(), found: &mut dirs };
        for generator in &generators {
            walk.visit(&root.join(generator), 0);
        }
    }
    if dirs.is_empty() {
        // The spec's file was not found (a generator kustomize fetches, an unreadable file): the
        // generator directories themselves.
        dirs.extend(generators.iter().map(|g| root.join(g)).filter(|d| d.is_dir()));
    }
    let mut found = Vec::new();
    for dir in dirs {
        let path = dir.join(FILE_NAME);
        if !searched.contains(&path) {
            if let Some(lock) = read_lock(&dir)? {
                found.push((path.clone(), lock));
            }
            searched.push(path);
        }
    }
    match found.len() {
        0 | 1 => Ok(Search { lock: found.pop(), searched }),
        _ => {
            let paths: Vec<String> = found.iter().map(|(p, _)| p.display().to_string()).collect();
            Err(Invalid(format!(
                "the Preview generator of {} has several lock files beside its spec ({}); keep the one next to the \
                 spec kustomize reads",
                root.display(),
                paths.join(", ")
            ))
            .into())
        }
    }
}

/// Follows a kustomization tree to the files that hold the spec named `name`.
struct Walk<'a> {
    name: &'a str,
    visited: BTreeSet<PathBuf>,
    found: &'a mut BTreeSet<PathBuf>,
}

impl Walk<'_> {
    fn visit(&mut self, path: &Path, depth: usize) {
        if depth > MAX_DEPTH || self.visited.len() >= MAX_DIRS {
            return;
        }
        if path.is_file() {
            if holds_spec(path, self.name) {
                self.found.insert(clean(path.parent().unwrap_or(Path::new(""))));
            }
            return;
        }
        let Ok(dir) = path.canonicalize() else { return };
        if !dir.is_dir() || !self.visited.insert(dir) {
            return;
        }
        for entry in entries(path, "resources").into_iter().chain(entries(path, "bases")) {
            self.visit(&path.join(entry), depth + 1);
        }
    }
}

/// The local entries of a kustomization's list `key` (`generators`, `resources`), as written.
fn entries(dir: &Path, key: &str) -> Vec<String> {
    let Some(text) = KUSTOMIZATIONS.iter().find_map(|name| bounded(&dir.join(name))) else { return Vec::new() };
    let Ok(kustomization) = yaml::value_from_str(&text, Limits::Spec) else { return Vec::new() };
    let list = kustomization.get(key).and_then(Value::as_array).into_iter().flatten();
    // Remote resources (URLs, `github.com/…`) are kustomize's to fetch; no lock sits beside them.
    list.filter_map(Value::as_str)
        .filter(|e| !e.contains("://") && !e.starts_with("github.com/"))
        .map(str::to_owned)
        .collect()
}

/// Whether the YAML file at `path` holds a kpreview `Preview` named `name`.
fn holds_spec(path: &Path, name: &str) -> bool {
    let yaml_file = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
    let Some(text) = yaml_file.then(|| bounded(path)).flatten() else { return false };
    yaml::values_from_stream(&text).is_ok_and(|documents| {
        documents.iter().any(|d| {
            d.get("kind").and_then(Value::as_str) == Some("Preview")
                && d.get("apiVersion").and_then(Value::as_str).is_some_and(|v| v.starts_with("kpreview.dev/"))
                && d.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
        })
    })
}

/// A small text file's content; `None` when it is missing, unreadable or larger than a spec.
fn bounded(path: &Path) -> Option<String> {
    let limit = u64::try_from(MAX_SPEC_BYTES).unwrap_or(u64::MAX) + 1;
    let mut bytes = Vec::new();
    std::fs::File::open(path).ok()?.take(limit).read_to_end(&mut bytes).ok()?;
    (bytes.len() <= MAX_SPEC_BYTES).then(|| String::from_utf8(bytes).ok()).flatten()
}

/// `path` with `a/..` pairs removed, as kustomize joins its paths (Go's `filepath.Join` cleans
/// lexically), so messages name the lock as people would.
fn clean(path: &Path) -> PathBuf {
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
