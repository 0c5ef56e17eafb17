//! Reading what a command works on: the spec (a file or `-`), its lock file, and the pull-request
//! fields from flags and `PREVIEW_*` variables.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use kpreview::policy::{self, Policy};
use kpreview::spec::defaults::{Inputs, PREVIEW_ENV, PrEnv, PrFields, PrSources};
use kpreview::spec::lockfile::{self, Lock};
use kpreview::spec::model::Model;
use kpreview::spec::problem::Problem;
use kpreview::yaml::MAX_SPEC_BYTES;

use super::Invalid;

/// `--policy`.
#[derive(Debug, Clone, Default, Args)]
pub struct PolicyArgs {
    /// The platform's PreviewPolicy: the namespace, the platform's namespaces, per-preview limits
    /// and the allowed images, annotations, seed bases and secrets (docs/policy.md). Without one,
    /// the built-in policy. Give the platform's file, never one from the pull request's tree.
    #[arg(long, value_name = "FILE", env = "KPREVIEW_POLICY")]
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
    let text = read_bounded(path, MAX_SPEC_BYTES)
        .map_err(|e| Invalid(format!("the policy (--policy or KPREVIEW_POLICY): {e}")))?;
    Ok(policy::read(&text, &name)?)
}

/// A small regular file's text, refused (before anything is read) when it is a device, a pipe or
/// a directory, or when it is larger than `max` bytes.
pub fn read_bounded(path: &Path, max: usize) -> Result<String, String> {
    let shown = path.display();
    let regular = |meta: std::io::Result<std::fs::Metadata>| match meta {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err(format!("{shown} is not a regular file")),
        Err(e) => Err(format!("cannot read {shown}: {e}")),
    };
    regular(std::fs::metadata(path))?;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    regular(file.metadata())?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX) + 1;
    file.take(limit).read_to_end(&mut bytes).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if bytes.len() > max {
        return Err(format!("{shown} is larger than the {max} bytes kpreview reads"));
    }
    String::from_utf8(bytes).map_err(|_| format!("{shown} is not UTF-8 text"))
}

/// `--pr`, `--sha`, `--branch`.
#[derive(Debug, Clone, Default, Args)]
pub struct PrArgs {
    /// Pull request number (wins over spec.pullRequest.number and PREVIEW_PR_NUMBER).
    #[arg(long, value_name = "N", value_parser = pr_number)]
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
        Some(text) => Some(pr_number(&text).map_err(|e| Invalid(format!("{number}={text}: {e}")))?),
        None => None,
    };
    Ok(PrFields { number, head_sha: var(sha), branch: var(branch) })
}

/// A pull request number as a flag or variable gives it; the error says what is accepted (`0`
/// parses, so validation reports it among the spec's other problems).
pub fn pr_number(text: &str) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .map_err(|_| format!("`{text}` is not a pull request number; give a whole number from 1 up, such as 42"))
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
pub fn read_spec(path: &Path) -> anyhow::Result<SpecFile> {
    let limit = u64::try_from(MAX_SPEC_BYTES).unwrap_or(u64::MAX) + 1;
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin().take(limit).read_to_end(&mut bytes).context("cannot read the spec from stdin")?;
    } else {
        let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        file.take(limit).read_to_end(&mut bytes).with_context(|| format!("cannot read {}", path.display()))?;
    }
    let name = if path == Path::new("-") { "<stdin>".to_owned() } else { path.display().to_string() };
    if bytes.len() > MAX_SPEC_BYTES {
        return Err(Invalid(format!("{name} is larger than the {MAX_SPEC_BYTES} bytes a spec may have")).into());
    }
    let text = String::from_utf8(bytes).map_err(|_| Invalid(format!("{name} is not UTF-8 text")))?;
    let dir = match path.parent() {
        Some(p) if path != Path::new("-") && !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok(SpecFile { name, text, dir })
}

/// A spec read and validated, its warnings printed: what `render`, `plan`, `publish` and `cmp`
/// start from.
pub fn load(path: &Path, inputs: &Inputs, policy: &Policy) -> anyhow::Result<(SpecFile, Model)> {
    let spec = read_spec(path)?;
    let lock = read_lock(&spec.dir)?;
    let model = policy::prepare(&spec.text, &spec.name, inputs, lock.as_ref(), policy)?;
    warn(&spec.name, &model.warnings);
    Ok((spec, model))
}

/// Prints warnings on stderr, each naming the spec.
pub fn warn(file: &str, warnings: &[Problem]) {
    for w in warnings {
        eprintln!("warning: {file}: {w}");
    }
}

/// Reads `preview.lock` from `dir` if there is one, as a spec is read: bounded, a regular file,
/// and not through a symbolic link that leaves `dir` (the lock is the pull request's, and
/// `preview.lock -> /dev/zero` or `-> /etc/…` must not be read).
pub fn read_lock(dir: &Path) -> anyhow::Result<Option<Lock>> {
    let path = dir.join(lockfile::FILE_NAME);
    if std::fs::symlink_metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(None);
    }
    let refuse = |why: String| -> anyhow::Error { Invalid(format!("{}: {why}", path.display())).into() };
    let inside = match (dir.canonicalize(), path.canonicalize()) {
        (Ok(root), Ok(file)) => file.starts_with(&root).then_some(()).ok_or_else(|| {
            format!(
                "it is a symbolic link to {}, outside the spec's directory; commit the lock file itself",
                file.display()
            )
        }),
        (_, Err(e)) => Err(format!("cannot read it: {e}")),
        (Err(e), _) => Err(format!("cannot read its directory: {e}")),
    };
    inside.map_err(refuse)?;
    let text = read_bounded(&path, MAX_SPEC_BYTES).map_err(refuse)?;
    Lock::parse(&text).map(Some).map_err(|e| refuse(e.to_string()))
}
