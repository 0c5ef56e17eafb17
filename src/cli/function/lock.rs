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

/// Where the spec of the generator config kustomize handed over lives: the entries of the
/// `generators:` list of the kustomization in `root`, and the files below them (following
/// `resources:` down, as kustomize does) that hold a spec of that name. Found once, for the lock
/// and for the spec's own text.
pub struct Sources {
    root: PathBuf,
    generators: Vec<String>,
    files: BTreeSet<PathBuf>,
}

impl Sources {
    /// Looks for the files of the spec `spec` (the config's text) from the kustomization in `root`.
    pub fn find(root: &Path, spec: &str) -> Self {
        let name = yaml::value_from_str(spec, Limits::Spec)
            .ok()
            .and_then(|v| v.pointer("/metadata/name").and_then(Value::as_str).map(str::to_owned));
        let generators = entries(root, "generators");
        let mut files = BTreeSet::new();
        if let Some(name) = &name {
            let mut walk = Walk { name, visited: BTreeSet::new(), found: &mut files };
            for generator in &generators {
                walk.visit(&root.join(generator), 0);
            }
        }
        Self { root: root.to_owned(), generators, files }
    }
}

/// Finds the lock of the spec whose files `sources` found.
pub fn find(sources: &Sources) -> anyhow::Result<Search> {
    let root = &sources.root;
    let mut searched = vec![root.join(FILE_NAME)];
    if let Some(lock) = read_lock(root)? {
        return Ok(Search { lock: Some((root.join(FILE_NAME), lock)), searched });
    }
    let generators = &sources.generators;
    let files = &sources.files;
    let mut dirs: BTreeSet<PathBuf> = files.iter().map(|f| clean(f.parent().unwrap_or(Path::new("")))).collect();
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

/// The spec as its author wrote it, for the generator config kustomize handed over (`received`).
/// kustomize re-serialises the config, and YAML 1.1 retypes plain scalars on the way (`0x1F`
/// becomes `"31"`, `16.10` becomes `16.1`, `2026-01-01` a timestamp), so `render` and the plugin
/// would disagree. A file the kustomization lists under `generators:` is the config unchanged: it
/// is read instead. A directory generator may patch the spec, so its copy is kept, but every
/// scalar kustomize retyped gets back the text of the spec file it came from. Returns the name
/// for messages and the text; `None` unless exactly one file of one document holds the spec.
pub fn original(sources: &Sources, received: &str) -> Option<(String, String)> {
    let [path] = <[&PathBuf; 1]>::try_from(sources.files.iter().collect::<Vec<_>>()).ok()?;
    let text = bounded(path)?;
    if yaml::values_from_stream(&text).ok()?.len() != 1 {
        return None;
    }
    if sources.generators.iter().any(|g| clean(&sources.root.join(g)) == *path) {
        return Some((path.display().to_string(), text));
    }
    let mut config = yaml::value_from_str(received, Limits::Spec).ok()?;
    let written = yaml::texts_like(&text, &config, Limits::Spec).ok()?;
    restore_text(&mut config, &written);
    let name = format!(
        "the Preview generator of {} (the spec of {}, as kustomize patched it)",
        sources.root.display(),
        path.display()
    );
    Some((name, yaml::to_string(&config).ok()?))
}

/// Gives each scalar of `config` that YAML 1.1 retyped (to a number, or to a string of one) its
/// text in `written`, when the two are the same value; a value a patch changed stays. A number
/// field written in another notation (`port: 0x1F90`) then reads as text and is refused, where
/// `render` would take it: quote-free hex ports are not worth a type-aware walk.
fn restore_text(config: &mut Value, written: &Value) {
    match (config, written) {
        (Value::Object(config), Value::Object(written)) => {
            for (key, value) in config.iter_mut() {
                if let Some(text) = written.get(key) {
                    restore_text(value, text);
                }
            }
        }
        (Value::Array(config), Value::Array(written)) => {
            for (value, text) in config.iter_mut().zip(written) {
                restore_text(value, text);
            }
        }
        (value, Value::String(text)) => {
            let retyped = match value {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            if retyped.is_some_and(|r| r != *text && retyped_from(&r, text)) {
                *value = Value::from(text.as_str());
            }
        }
        _ => {}
    }
}

/// Whether `retyped` is how a YAML 1.1 reader prints the plain scalar `text`: the same number in
/// another notation (`31` for `0x1F`, `8` for `010`, `1000` for `1e3`, `16.1` for `16.10`), or
/// the same date as a timestamp (`2026-01-01T00:00:00Z` for `2026-01-01`).
fn retyped_from(retyped: &str, text: &str) -> bool {
    let same_number = || {
        let ours = numbers(retyped);
        numbers(text).iter().any(|a| ours.iter().any(|b| (a - b).abs() <= f64::EPSILON * a.abs().max(1.0) * 4.0))
    };
    let same_date = || {
        let date = |t: &str| {
            let mut parts = t.get(..10.min(t.len()))?.split(['-', 'T', 't', ' ']);
            let ymd: Vec<u32> = (0..3).map(|_| parts.next()?.parse().ok()).collect::<Option<_>>()?;
            (ymd[0] >= 1000).then_some(ymd)
        };
        date(text).is_some() && date(text) == date(retyped)
    };
    same_number() || same_date()
}

/// The values a YAML 1.0–1.2 reader may give the plain scalar `text` as a number: decimal, and for
/// a leading zero also octal; `0x`, `0o`, `0b` prefixes; `_` separators; `+` signs.
#[allow(clippy::cast_precision_loss, reason = "compared as kustomize prints them: as float64")]
fn numbers(text: &str) -> Vec<f64> {
    let t = text.trim().replace('_', "");
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let radix = |prefix: &str, radix: u32| {
        let rest = digits.strip_prefix(prefix).or_else(|| digits.strip_prefix(&prefix.to_uppercase()))?;
        u64::from_str_radix(rest, radix).ok().map(|v| v as f64)
    };
    let mut out: Vec<f64> = [radix("0x", 16), radix("0o", 8), radix("0b", 2)].into_iter().flatten().collect();
    if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()) {
        out.extend(u64::from_str_radix(&digits[1..], 8).ok().map(|v| v as f64));
    }
    if digits.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.') {
        out.extend(digits.parse::<f64>().ok());
    }
    out.into_iter().map(|v| if negative { -v } else { v }).collect()
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
                self.found.insert(clean(path));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_a_retyped_scalar_from_a_patched_one() {
        for (retyped, text) in [
            ("31", "0x1F"),
            ("8", "010"),
            ("1000", "1e3"),
            ("16.1", "16.10"),
            ("15", "0o17"),
            ("5", "0b101"),
            ("12", "+12"),
            ("1000", "1_000"),
            ("1.2345678901234568e39", "1234567890123456789012345678901234567890"),
            ("2026-01-01T00:00:00Z", "2026-01-01"),
        ] {
            assert!(retyped_from(retyped, text), "{retyped} from {text}");
        }
        for (patched, text) in [("32", "0x1F"), ("16.2", "16.10"), ("2026-01-02T00:00:00Z", "2026-01-01"), ("a", "b")] {
            assert!(!retyped_from(patched, text), "{patched} from {text}");
        }
    }

    #[test]
    fn gives_back_the_text_only_where_kustomize_retyped_it() {
        let mut config: Value =
            serde_json::from_str(r#"{"env": {"A": 31, "B": "8", "C": 32, "D": "x"}, "version": 16.1, "port": 8080}"#)
                .expect("json");
        let written: Value = serde_json::from_str(
            r#"{"env": {"A": "0x1F", "B": "010", "C": "0x1F", "D": "y"}, "version": "16.10", "port": "8080"}"#,
        )
        .expect("json");
        restore_text(&mut config, &written);
        let expected: Value = serde_json::from_str(
            r#"{"env": {"A": "0x1F", "B": "010", "C": 32, "D": "x"}, "version": "16.10", "port": 8080}"#,
        )
        .expect("json");
        assert_eq!(config, expected);
    }
}
