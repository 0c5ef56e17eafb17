//! Which items of an earlier run a re-run replaces: those that carry [`GENERATED_BY`] with the
//! key of a spec rendered this run *and* sit where kpreview writes its files. A generated file
//! copied elsewhere to be tweaked keeps the annotation; dropping it would make kpt delete the
//! user's file without a word, so it stays, and an `info` result says so. kpt deletes the file
//! of a dropped item but never a directory, whatever a function returns: a preview that moves
//! (another PR number) leaves its old directory behind, empty, and a result says how to remove it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::list::{Object, annotation, string_at};
use super::process::{GENERATED_BY, file_path, name};
use super::result::{File, KrmResult, ResourceRef, Severity};

/// Whether an input item stays: it does unless a spec rendered this run generated it where
/// kpreview writes. A file that goes away (not written again) is named in an `info` result; one
/// that carries the annotation elsewhere is kept, and said so; its path goes to `removed`.
pub(super) fn keep(
    object: &Object,
    replaced: &BTreeMap<String, String>,
    written: &BTreeSet<String>,
    removed: &mut Vec<String>,
    results: &mut Vec<KrmResult>,
) -> bool {
    let Some(by) = annotation(object, GENERATED_BY) else { return true };
    let Some(dir) = replaced.get(by) else { return true };
    let path = file_path(object).unwrap_or_default();
    let about = |severity, message: String| {
        let mut result = KrmResult::new(severity, message);
        result.resource_ref = Some(ResourceRef {
            api_version: string_at(object, "apiVersion"),
            kind: string_at(object, "kind"),
            name: name(object),
            namespace: object
                .get("metadata")
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
        result.file = (!path.is_empty()).then(|| File { path: path.clone(), index: 0 });
        result
    };
    if !is_generated_file(&path, dir, &string_at(object, "kind")) {
        results.push(about(
            Severity::Info,
            format!(
                "kept {path}: it carries {GENERATED_BY}: {by} but is not a file kpreview writes \
                 ({}<namespace>/NNN-<kind>-….yaml); remove the annotation to make it plainly yours",
                if dir.is_empty() { String::new() } else { format!("{dir}/") }
            ),
        ));
        return true;
    }
    if !written.contains(&path) {
        results.push(about(Severity::Info, format!("removed {path}, which an earlier run generated from {by}")));
        removed.push(path);
    }
    false
}

/// One `info` result for each directory of a removed file that no item is left in: kpt deletes
/// the files but not the directory, so the user is told to (`rmdir`, which refuses a directory
/// that still holds a file kpt does not read).
pub(super) fn emptied<'a>(removed: &[String], remaining: impl IntoIterator<Item = &'a str>) -> Vec<KrmResult> {
    let dirs: BTreeSet<&str> = removed.iter().filter_map(|path| path.rsplit_once('/').map(|(dir, _)| dir)).collect();
    let mut left: BTreeSet<&str> = BTreeSet::new();
    for path in remaining {
        left.extend(dirs.iter().copied().filter(|dir| path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))));
    }
    dirs.difference(&left)
        .map(|dir| {
            KrmResult::new(
                Severity::Info,
                format!(
                    "kpt deletes the removed files but never a directory: {dir}/ stays behind, empty; \
                     remove it with `rmdir {dir}`"
                ),
            )
        })
        .collect()
}

/// Whether `path` is where kpreview writes an object of `kind` for a spec in `dir`:
/// `<dir>/<namespace>/NNN-<kind>-….yaml`, as `render -o` names files.
fn is_generated_file(path: &str, dir: &str, kind: &str) -> bool {
    let rest = if dir.is_empty() { Some(path) } else { path.strip_prefix(dir).and_then(|r| r.strip_prefix('/')) };
    let Some((namespace, file)) = rest.and_then(|r| r.split_once('/')) else { return false };
    let digits = file.chars().take_while(char::is_ascii_digit).count();
    !namespace.is_empty()
        && digits >= 3
        && file[digits..]
            .strip_prefix('-')
            .and_then(|r| r.strip_prefix(kind.to_lowercase().as_str()))
            .is_some_and(|r| r.starts_with('-'))
        && Path::new(file).extension() == Some("yaml".as_ref())
        && !file.contains('/')
}
