//! kustomize's legacy exec plugin: what `kubectl kustomize --enable-alpha-plugins` gets when it
//! runs kpreview as the generator `Preview`. kustomize hands over a re-serialised copy of the
//! spec and names only the kustomization that declares the generator
//! (`KUSTOMIZE_PLUGIN_CONFIG_ROOT`). The spec's own file is found in that kustomization's tree
//! (`tree`), for its text as written (`retyped`) and for the lock beside it: where `kpreview
//! lock SPEC` writes it, in the generator's kustomization (`generators: [preview.yaml]`) or, for a
//! directory generator (`generators: [spec]`, the layout patches need), beside the file of the
//! spec below it. Files come in through [`Files`]; the binary does the rest of the I/O.

mod retyped;
mod tree;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::locate::{LockFileError, Search, about_lock};
use super::process::relocated;
use crate::fault::{Fault, HasFault};
use crate::files::{Files, is_dir};
use crate::policy::{Policy, prepare};
use crate::spec::defaults::Inputs;
use crate::spec::model::Model;
use crate::spec::problem::Problems;
use crate::yaml::{self, Limits};

use retyped::restore_text;
use tree::{Sources, bounded, clean};

/// A generator rendered into a model.
#[derive(Debug)]
pub struct Generated {
    /// How messages name the spec: its file, or the generator.
    pub name: String,
    /// The validated preview, warnings included.
    pub model: Model,
}

/// Why a generator does not render.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The lock cannot be read, or there are several.
    #[error(transparent)]
    Lock(#[from] LockFileError),
    /// The spec's problems (about the lock, with where it was looked for).
    #[error(transparent)]
    Problems(#[from] Problems),
}

impl HasFault for PluginError {
    fn fault(&self) -> Fault {
        match self {
            Self::Lock(e) => e.fault(),
            Self::Problems(e) => e.fault(),
        }
    }
}

/// Renders the generator config kustomize handed over (`config`, its text) from the
/// kustomization in `root`.
pub fn generate(
    files: &dyn Files,
    root: &Path,
    config: String,
    inputs: &Inputs,
    policy: &Policy,
) -> Result<Generated, PluginError> {
    let sources = Sources::find(files, root, &config);
    let search = find_lock(files, &sources)?;
    // kustomize hands over a re-serialised copy in a temporary file: read what the author wrote.
    let (name, text) = original(files, &sources, &config)
        .unwrap_or_else(|| (format!("the Preview generator of {}", root.display()), config));
    let model = prepare(&text, &name, inputs, search.lock(), policy)
        .map_err(|problems| about_lock(relocated(problems), &search.explain()))?;
    Ok(Generated { name, model })
}

/// Finds the lock of the spec whose files `sources` found: in the generator's kustomization, or
/// else beside the spec's file (or, when that was not found, in the generator directories).
fn find_lock(files: &dyn Files, sources: &Sources) -> Result<Search, LockFileError> {
    let root = &sources.root;
    let mut search = Search::new();
    if let Some(found) = search.look(files, root)? {
        search.lock = Some(found);
        return Ok(search);
    }
    let mut dirs: BTreeSet<PathBuf> =
        sources.files.iter().map(|f| clean(f.parent().unwrap_or(Path::new("")))).collect();
    if dirs.is_empty() {
        // The spec's file was not found (a generator kustomize fetches, an unreadable file): the
        // generator directories themselves.
        dirs.extend(sources.generators.iter().map(|g| root.join(g)).filter(|d| is_dir(files, d)));
    }
    let mut found = Vec::new();
    for dir in dirs {
        found.extend(search.look(files, &dir)?);
    }
    if found.len() > 1 {
        return Err(LockFileError::Several { root: root.clone(), paths: found.into_iter().map(|(p, _)| p).collect() });
    }
    search.lock = found.pop();
    Ok(search)
}

/// The spec as its author wrote it, for the generator config kustomize handed over (`received`).
/// kustomize re-serialises the config, and YAML 1.1 retypes plain scalars on the way, so `render`
/// and the plugin would disagree. A file the kustomization lists under `generators:` is the config
/// unchanged: it is read instead. A directory generator may patch the spec, so its copy is kept,
/// but every scalar kustomize retyped gets back the text of the spec file it came from. Returns
/// the name for messages and the text; `None` unless exactly one file of one document holds the
/// spec.
fn original(files: &dyn Files, sources: &Sources, received: &str) -> Option<(String, String)> {
    let [path] = <[&PathBuf; 1]>::try_from(sources.files.iter().collect::<Vec<_>>()).ok()?;
    let text = bounded(files, path)?;
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

#[cfg(test)]
mod tests;
