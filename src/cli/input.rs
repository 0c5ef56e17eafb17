//! Reading what a command works on: the spec (a file or `-`), its lock file, and the pull-request
//! fields from flags and `PREVIEW_*` variables.

use std::path::{Path, PathBuf};

use clap::Args;

use kpreview::files::{self, Disk, ReadError};
use kpreview::krm::locate::{LockFileError, Search, about_lock, read_beside};
use kpreview::policy::{self, Policy};
use kpreview::pr::parse_number;
use kpreview::spec::defaults::{Inputs, PREVIEW_ENV, PrEnv, PrFields, PrSources};
use kpreview::spec::lockfile::Lock;
use kpreview::spec::model::Model;
use kpreview::spec::problem::{Problem, Problems};

use kpreview::fault::HasFault;

use super::{Invalid, Worded};

/// `--policy`.
#[derive(Debug, Clone, Default, Args)]
pub struct PolicyArgs {
    /// The platform's PreviewPolicy: the namespace, the platform's namespaces, per-preview limits
    /// and the allowed images, annotations, seed bases and secrets (docs/policy.md). Without one,
    /// the built-in policy. Give the platform's file, never one from the pull request's tree.
    /// Empty (`KPREVIEW_POLICY=`, a missing ConfigMap key) counts as none.
    #[arg(long, value_name = "FILE", env = "KPREVIEW_POLICY",
          value_parser = clap::builder::TypedValueParser::map(clap::builder::OsStringValueParser::new(), PathBuf::from))]
    pub policy: Option<PathBuf>,
}

impl PolicyArgs {
    /// The policy named, or the built-in one.
    pub fn load(&self) -> anyhow::Result<Policy> {
        read_policy(self.policy.as_deref().filter(|p| !p.as_os_str().is_empty()))
    }
}

/// The policy `KPREVIEW_POLICY` names (the modes without flags: fn, cmp, the kustomize plugin),
/// or the built-in one.
pub fn policy_from_env() -> anyhow::Result<Policy> {
    let path = var("KPREVIEW_POLICY").map(PathBuf::from);
    absolute_policy(path.as_deref())?;
    read_policy(path.as_deref())
}

/// These modes run in the pull request's tree (Argo CD's working copy, a kpt package), where a
/// relative path would name a file the pull request wrote.
pub fn absolute_policy(path: Option<&Path>) -> anyhow::Result<()> {
    match path {
        Some(p) if !p.as_os_str().is_empty() && !p.is_absolute() => Err(Invalid(format!(
            "KPREVIEW_POLICY is `{}`: give an absolute path; a relative one would be read from the pull request's \
             own files",
            p.display()
        ))
        .into()),
        _ => Ok(()),
    }
}

/// Reads and checks the policy at `path`; `None` is the built-in policy.
pub fn read_policy(path: Option<&Path>) -> anyhow::Result<Policy> {
    let Some(path) = path else { return Ok(Policy::default()) };
    let name = path.display().to_string();
    let text = files::read_required(&Disk, path, files::SMALL)
        .map_err(|e| Worded { message: format!("the policy (--policy or KPREVIEW_POLICY): {e}"), fault: e.fault() })?;
    Ok(policy::read(&text, &name)?)
}

/// `--pr`, `--sha`, `--branch`.
#[derive(Debug, Clone, Default, Args)]
pub struct PrArgs {
    /// Pull request number (wins over spec.pullRequest.number and PREVIEW_PR_NUMBER).
    #[arg(long, value_name = "N", value_parser = parse_number)]
    pub pr: Option<u64>,
    /// Head commit SHA (wins over spec.pullRequest.headSha and PREVIEW_HEAD_SHA).
    #[arg(long, value_name = "SHA")]
    pub sha: Option<String>,
    /// Source branch (wins over spec.pullRequest.branch and PREVIEW_BRANCH).
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
}

impl PrArgs {
    /// Flags plus the `PREVIEW_*` environment.
    pub fn inputs(&self) -> Inputs {
        Inputs { flags: self.fields(), env: preview_env(), sources: PrSources::cli(), image: image() }
    }

    /// The flags alone.
    pub fn fields(&self) -> PrFields {
        PrFields { number: self.pr, head_sha: self.sha.clone(), branch: self.branch.clone() }
    }
}

/// Pull-request fields from environment variables that win over the spec (named `vars`, for
/// number, head SHA and branch), over the `PREVIEW_*` ones that lose to it.
pub fn env_inputs(vars: [&str; 3], sources: PrSources) -> anyhow::Result<Inputs> {
    Ok(Inputs { flags: env_fields(vars)?, env: preview_env(), sources, image: image() })
}

/// `PREVIEW_PR_NUMBER`, `PREVIEW_HEAD_SHA`, `PREVIEW_BRANCH` as set (empty counts as unset).
/// Unparsed: they lose to flags and the spec, so validation parses one only if it is used.
pub fn preview_env() -> PrEnv {
    let [number, head_sha, branch] = PREVIEW_ENV.map(var);
    PrEnv { number, head_sha, branch }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `KPREVIEW_IMAGE`: the platform's kpreview image for the restore and cleanup Jobs. It is set
/// where the platform runs kpreview (the Argo CD sidecar, the CI job), never in the spec.
pub fn image() -> Option<String> {
    std::env::var("KPREVIEW_IMAGE").ok().filter(|v| !v.trim().is_empty())
}

/// Pull-request fields from three environment variables that win over the spec, so each is the
/// one used when set; empty ones count as unset.
pub fn env_fields([number, sha, branch]: [&str; 3]) -> anyhow::Result<PrFields> {
    let number = match var(number) {
        Some(text) => Some(parse_number(&text).map_err(|e| Invalid(format!("{number}={text}: {e}")))?),
        None => None,
    };
    Ok(PrFields { number, head_sha: var(sha), branch: var(branch) })
}

/// A spec read from disk or stdin.
pub struct SpecFile {
    /// How messages name it.
    pub name: String,
    /// Its text.
    pub text: String,
    /// The directory a lock file would sit in.
    pub dir: PathBuf,
}

/// Reads `path` (`-` is stdin), refusing anything larger than a spec can be.
pub fn read_spec(path: &Path) -> Result<SpecFile, ReadError> {
    let stdin = path == Path::new("-");
    let (name, text) = if stdin {
        let name = "<stdin>".to_owned();
        let text = files::read_bounded(std::io::stdin(), files::SPEC, &name)?;
        (name, text)
    } else {
        (path.display().to_string(), files::read_path(path, files::SPEC)?)
    };
    let dir = match path.parent() {
        Some(p) if !stdin && !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok(SpecFile { name, text, dir })
}

/// A spec read and validated, its warnings printed, and the lock it was read with (read once):
/// what `render`, `plan` and `publish` start from.
pub fn load(path: &Path, inputs: &Inputs, policy: &Policy) -> anyhow::Result<(SpecFile, Model, Option<Lock>)> {
    let spec = read_spec(path)?;
    let lock = LockBeside::read(&spec.dir)?;
    let model =
        policy::prepare(&spec.text, &spec.name, inputs, lock.lock.as_ref(), policy).map_err(|p| lock.explain(p))?;
    warn(&spec.name, &model.warnings);
    Ok((spec, model, lock.lock))
}

/// Prints warnings on stderr, each naming the spec.
pub fn warn(file: &str, warnings: &[Problem]) {
    for w in warnings {
        eprintln!("warning: {file}: {w}");
    }
}

/// Reads `preview.lock` from `dir` if there is one, as every mode does ([`read_beside`]).
pub fn read_lock(dir: &Path) -> Result<Option<Lock>, LockFileError> {
    read_beside(&Disk, dir)
}

/// The lock beside a spec, and when there is none, where it was looked for: the spec's problems
/// about the lock then say so, as the plugin's and the function's do.
pub struct LockBeside {
    /// The lock, if there is one.
    pub lock: Option<Lock>,
    missing: Option<String>,
}

impl LockBeside {
    /// Reads the lock of the spec in `dir`.
    pub fn read(dir: &Path) -> Result<Self, LockFileError> {
        let mut search = Search::new();
        let lock = search.look(&Disk, dir)?.map(|(_, lock)| lock);
        let missing = lock.is_none().then(|| search.explain());
        Ok(Self { lock, missing })
    }

    /// `problems`, those about the lock saying where it was looked for when there is none.
    pub fn explain(&self, problems: Problems) -> Problems {
        match &self.missing {
            Some(explanation) => about_lock(problems, explanation),
            None => problems,
        }
    }
}
