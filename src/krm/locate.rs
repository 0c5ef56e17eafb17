//! Where a spec's `preview.lock` is. `kpt fn render` names the package's directory
//! (`internal.config.kubernetes.io/package-path`), so the lock beside the spec is found wherever
//! kpt runs. `kpt fn eval DIR` does not: it gives only the spec's path in the package, relative
//! to a directory kpreview is not told. Then the lock is read beside the spec only when that path,
//! taken from the working directory, holds this very spec; otherwise a render that needs the lock
//! says why it was not found and how to run kpt so that it is.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::list::{Object, annotation};
use super::process::{Env, file_path, parent};
use crate::spec::lockfile::{self, Lock};
use crate::spec::problem::Problems;
use crate::yaml::ReadError;

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

/// A lock file looked for: where, and what was there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Where it was looked for.
    pub at: LockAt,
    /// The lock, when the file exists.
    pub lock: Option<Lock>,
}

/// A lock file that is there but cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocateError {
    /// The injected reader failed; its message names the file.
    #[error("{0}")]
    Read(String),
    /// The file is not a `preview.lock`.
    #[error("{}: {reason}", .path.display())]
    Parse {
        /// The lock file.
        path: PathBuf,
        /// What the reader said; not a `source`, as the message already holds it whole.
        reason: ReadError,
    },
}

/// A broken lock is the user's to fix; a file that cannot be read is the machine's.
impl crate::fault::HasFault for LocateError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            Self::Read(_) => crate::fault::Fault::Environment,
            Self::Parse { .. } => crate::fault::Fault::Input,
        }
    }
}

/// Finds and reads the lock of `spec`.
pub fn lock_of(spec: &Object, env: &Env<'_>) -> Result<Found, LocateError> {
    let at = place(spec, env);
    let lock = match &at {
        LockAt::File(path) => match (env.read_file)(path).map_err(LocateError::Read)? {
            Some(text) => Some(Lock::parse(&text).map_err(|reason| LocateError::Parse { path: path.clone(), reason })?),
            None => None,
        },
        LockAt::Unknown { .. } => None,
    };
    Ok(Found { at, lock })
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
    let Ok(Some(text)) = (env.read_file)(file) else { return false };
    let Ok(documents) = crate::yaml::values_from_stream(&text) else { return false };
    let index = annotation(spec, INTERNAL_INDEX).or_else(|| annotation(spec, INDEX)).and_then(|i| i.parse().ok());
    let Some(document) = documents.get(index.unwrap_or(0)) else { return false };
    let item = Value::Object(spec.clone());
    ["/kind", "/metadata/name", "/spec"].into_iter().all(|pointer| document.pointer(pointer) == item.pointer(pointer))
}

impl Found {
    /// What a problem about the lock should add: where it was looked for and, when kpreview
    /// could not tell, how to run kpt so it can.
    pub fn explain(&self) -> String {
        match (&self.at, &self.lock) {
            (LockAt::File(path), Some(_)) => format!("(read {})", path.display()),
            (LockAt::File(path), None) => format!("(looked for {}, which does not exist)", path.display()),
            (LockAt::Unknown { spec, cwd }, _) => format!(
                "(kpt fn eval passes no package path (nor does kpt fn source), and {spec} under the working \
                 directory {} is not this spec, so kpreview cannot find the {} beside it: run kpt from the \
                 package's directory, or use kpt fn render)",
                cwd.display(),
                lockfile::FILE_NAME
            ),
        }
    }
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
