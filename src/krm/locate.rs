//! Where a spec's `preview.lock` is, for every mode: [`read_beside`] is the one way a lock is read
//! (`render` and the CLI, `cmp`, the kustomize plugin, the KRM function), and [`Search`] records
//! where it was looked for, for the message of a render that needs it.
//!
//! Under kpt, `kpt fn render` names the package's directory
//! (`internal.config.kubernetes.io/package-path`), so the lock beside the spec is found wherever
//! kpt runs. `kpt fn eval DIR` does not: it gives only the spec's path in the package, relative
//! to a directory kpreview is not told. Then the lock is read beside the spec only when that path,
//! taken from the working directory, holds this very spec; otherwise a render that needs the lock
//! says why it was not found and how to run kpt so that it is.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::list::{Object, annotation};
use super::process::{Env, file_path, parent};
use crate::fault::{Fault, HasFault};
use crate::files::{Files, PACKAGE_FILE, ReadError, SMALL, read_file};
use crate::spec::lockfile::{self, Lock};
use crate::spec::problem::Problems;

const PACKAGE_PATH: &str = "internal.config.kubernetes.io/package-path";
const INDEX: &str = "config.kubernetes.io/index";
const INTERNAL_INDEX: &str = "internal.config.kubernetes.io/index";

/// Where a spec's lock file is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockAt {
    /// This file (absolute): beside the spec in the package kpt named, beside the spec found
    /// under the working directory, or, for a spec from outside the package, in the working
    /// directory (where kustomize runs a generator).
    File(PathBuf),
    /// Nowhere known: the spec's package path does not lead to it from the working directory.
    Unknown {
        /// The spec's path in the package.
        spec: String,
        /// The working directory.
        cwd: PathBuf,
    },
}

/// A lock file that is there but cannot be used. All are the input's fault but a read the
/// system refused.
#[derive(Debug, thiserror::Error)]
pub enum LockFileError {
    /// A symbolic link out of the spec's directory (`preview.lock -> /dev/zero`, `-> /etc/…`).
    #[error(
        "{}: it is a symbolic link to {}, outside the spec's directory; commit the lock file itself",
        .path.display(),
        .target.display()
    )]
    Outside {
        /// The lock file.
        path: PathBuf,
        /// Where its links lead.
        target: PathBuf,
    },
    /// A link that leads nowhere, or a path the system cannot resolve.
    #[error("{}: {}", .path.display(), unresolved(.error))]
    Unresolved {
        /// The lock file.
        path: PathBuf,
        /// Why; not a `source`, as the message holds it whole.
        error: std::io::Error,
    },
    /// The spec's directory cannot be resolved.
    #[error("{}: cannot read its directory: {error}", .path.display())]
    Directory {
        /// The lock file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// Not a regular file, too large, not text, or unreadable.
    #[error("{}: {error}", .path.display())]
    Read {
        /// The lock file.
        path: PathBuf,
        /// What the bounded read said.
        error: ReadError,
    },
    /// The file is not a `preview.lock`.
    #[error("{}: {reason}", .path.display())]
    Parse {
        /// The lock file.
        path: PathBuf,
        /// What the reader said; not a `source`, as the message already holds it whole.
        reason: crate::yaml::ReadError,
    },
    /// The kustomize plugin found a lock beside more than one file of its spec.
    #[error(
        "the Preview generator of {} has several lock files beside its spec ({}); keep the one next to the spec \
         kustomize reads",
        .root.display(),
        shown(.paths)
    )]
    Several {
        /// The generator's kustomization.
        root: PathBuf,
        /// Every lock found.
        paths: Vec<PathBuf>,
    },
}

impl HasFault for LockFileError {
    fn fault(&self) -> Fault {
        match self {
            Self::Read { error, .. } => error.fault(),
            _ => Fault::Input,
        }
    }
}

fn unresolved(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => {
            "it is a symbolic link to nothing (its target does not exist); commit the lock file itself".to_owned()
        }
        _ => format!("cannot read it: {error}"),
    }
}

fn shown(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Reads the `preview.lock` in `dir`, the one way every mode reads a lock: `None` when there is
/// none; bounded, a regular file, and never through a symbolic link that leaves `dir` (the lock
/// is the pull request's, and `preview.lock -> /dev/zero` or `-> /etc/…` must not be read).
pub fn read_beside(files: &dyn Files, dir: &Path) -> Result<Option<Lock>, LockFileError> {
    let path = dir.join(lockfile::FILE_NAME);
    if matches!(files.kind(&path, false), Ok(None)) {
        return Ok(None);
    }
    let root = files.canonicalize(dir).map_err(|error| LockFileError::Directory { path: path.clone(), error });
    let target = files.canonicalize(&path).map_err(|error| LockFileError::Unresolved { path: path.clone(), error })?;
    if !target.starts_with(root?) {
        return Err(LockFileError::Outside { path, target });
    }
    let text = match read_file(files, &path, SMALL) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(None),
        Err(error) => return Err(LockFileError::Read { path, error }),
    };
    Lock::parse(&text).map(Some).map_err(|reason| LockFileError::Parse { path, reason })
}

/// Where a spec's lock was looked for, and what was found: what a problem about the lock adds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Search {
    /// The lock and where it was read, when one was found.
    pub lock: Option<(PathBuf, Lock)>,
    /// Every `preview.lock` path looked for, in order.
    pub searched: Vec<PathBuf>,
    /// Set when kpreview could not tell where the spec is (`kpt fn eval` names no package).
    pub unknown: Option<LockAt>,
}

impl Search {
    /// Nothing looked at yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the lock in `dir` ([`read_beside`]) unless it was looked for already.
    pub fn look(&mut self, files: &dyn Files, dir: &Path) -> Result<Option<(PathBuf, Lock)>, LockFileError> {
        let path = dir.join(lockfile::FILE_NAME);
        if self.searched.contains(&path) {
            return Ok(None);
        }
        self.searched.push(path.clone());
        Ok(read_beside(files, dir)?.map(|lock| (path, lock)))
    }

    /// The lock found, if any.
    pub fn lock(&self) -> Option<&Lock> {
        self.lock.as_ref().map(|(_, lock)| lock)
    }

    /// What a problem about the lock should add: where it was looked for and, when kpreview
    /// could not tell, how to run kpt so it can.
    pub fn explain(&self) -> String {
        if let Some((path, _)) = &self.lock {
            return format!("(read {})", path.display());
        }
        if let Some(LockAt::Unknown { spec, cwd }) = &self.unknown {
            return format!(
                "(kpt fn eval passes no package path (nor does kpt fn source), and {spec} under the working \
                 directory {} is not this spec, so kpreview cannot find the {} beside it: run kpt from the \
                 package's directory, or use kpt fn render)",
                cwd.display(),
                lockfile::FILE_NAME
            );
        }
        match self.searched.as_slice() {
            [one] => format!("(looked for {}, which does not exist)", one.display()),
            all => format!("(looked for {}; none exists)", shown(all)),
        }
    }
}

/// Finds and reads the lock of `spec` in a `ResourceList`.
pub fn lock_of(spec: &Object, env: &Env<'_>) -> Result<Search, LockFileError> {
    let mut search = Search::new();
    match place(spec, env) {
        LockAt::File(path) => search.lock = search.look(env.files, parent_dir(&path))?,
        unknown @ LockAt::Unknown { .. } => search.unknown = Some(unknown),
    }
    Ok(search)
}

fn parent_dir(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("/"))
}

fn place(spec: &Object, env: &Env<'_>) -> LockAt {
    let beside = |dir: &Path| LockAt::File(dir.join(lockfile::FILE_NAME));
    let Some(path) = file_path(spec) else { return beside(&env.cwd) };
    let dir = parent(&path);
    if let Some(package) = annotation(spec, PACKAGE_PATH) {
        return beside(&env.cwd.join(package).join(&dir));
    }
    if is_on_disk(spec, &env.cwd.join(&path), env) {
        beside(&env.cwd.join(&dir))
    } else {
        LockAt::Unknown { spec: path, cwd: env.cwd.clone() }
    }
}

/// Whether `file` holds this spec: the document at the spec's index has its kind, name and spec.
fn is_on_disk(spec: &Object, file: &Path, env: &Env<'_>) -> bool {
    let Ok(Some(text)) = read_file(env.files, file, PACKAGE_FILE) else { return false };
    let Ok(documents) = crate::yaml::values_from_stream(&text) else { return false };
    let index = annotation(spec, INTERNAL_INDEX).or_else(|| annotation(spec, INDEX)).and_then(|i| i.parse().ok());
    let Some(document) = documents.get(index.unwrap_or(0)) else { return false };
    let item = Value::Object(spec.clone());
    ["/kind", "/metadata/name", "/spec"].into_iter().all(|pointer| document.pointer(pointer) == item.pointer(pointer))
}

/// The problems, each about the lock file followed by `explanation` (where it was looked for).
pub fn about_lock(mut problems: Problems, explanation: &str) -> Problems {
    for p in &mut problems.list {
        if p.message.contains(lockfile::FILE_NAME) {
            p.message.push(' ');
            p.message.push_str(explanation);
        }
    }
    problems
}

#[cfg(test)]
mod tests;
