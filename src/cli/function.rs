//! The ways orchestrators run kpreview: `kpreview fn` (and no subcommand with a piped stdin) for
//! kpt and kustomize KRM functions, `kpreview cmp` for Argo CD, and the kustomize legacy plugin
//! (the binary run as `Preview`, see [`kustomize`]). The only stdin/stdout code of these modes.

mod kustomize;
mod lock;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use kpreview::krm::config::FLAG_VARS;
use kpreview::krm::{Env, KrmResult, ResourceList, process};
use kpreview::policy::prepare;
use kpreview::spec::defaults::PrSources;
use kpreview::spec::model::Model;
use kpreview::yaml::MAX_STREAM_BYTES;
use kpreview::{Manifests, render};

use super::Invalid;
use super::input::{PolicyArgs, env_fields, env_inputs, policy_from_env, preview_env, read_lock, read_spec, warn};

pub use kustomize::{InstallPluginArgs, as_kustomize_plugin, install_plugin};

const FN_HELP: &str = "\
Reads a ResourceList on stdin and writes it back with every Preview rendered: each input item
unchanged, the spec marked config.kubernetes.io/local-config, the preview's objects added in a
directory named after its namespace next to the spec. A re-run replaces what an earlier run added
there (a generated file copied elsewhere stays).
Problems are results (with field paths); any error exits 1.

Examples:
  kpt fn eval pkg --exec kpreview -- pr=42 sha=$SHA branch=feature/x
  kpt fn render pkg --allow-exec          # Kptfile pipeline: exec: kpreview, configPath: preview.yaml
  kpt fn source pkg | kpreview fn | kpt fn sink pkg

Pull-request fields: the ConfigMap function config (pr, sha, branch), then KPREVIEW_PR_NUMBER,
KPREVIEW_HEAD_SHA, KPREVIEW_BRANCH (flags), then the spec, then PREVIEW_PR_NUMBER, PREVIEW_HEAD_SHA,
PREVIEW_BRANCH.

preview.lock is read beside the spec: in the package kpt fn render names, or, under kpt fn eval
(which names none), only when the spec's path from the working directory is this spec: run kpt
from the package's directory.";

const CMP_HELP: &str = "\
Renders the spec in the current directory (the Application's source path) as a plain YAML stream,
for an Argo CD Config Management Plugin sidecar (functions/argocd/plugin.yaml). Errors go to stderr
with a non-zero exit, so Argo CD never applies (and prunes against) an empty render.

Environment (an Application's plugin env `FOO` arrives as ARGOCD_ENV_FOO):
  ARGOCD_ENV_PREVIEW_SPEC   the spec's path (default preview.yaml): relative, inside the source
                            directory; discovery still needs a preview.yaml there
  ARGOCD_ENV_PR_NUMBER, ARGOCD_ENV_HEAD_SHA, ARGOCD_ENV_BRANCH
                            win over the spec's pullRequest, which wins over PREVIEW_*

Example:
  ARGOCD_ENV_PR_NUMBER=42 ARGOCD_ENV_HEAD_SHA=$SHA kpreview cmp";

/// `kpreview fn`.
#[derive(Debug, Args)]
#[command(after_help = FN_HELP)]
pub struct FnArgs {}

/// `kpreview cmp`.
#[derive(Debug, Args)]
#[command(after_help = CMP_HELP)]
pub struct CmpArgs {
    /// The spec to render.
    #[arg(long, env = "ARGOCD_ENV_PREVIEW_SPEC", default_value = "preview.yaml", value_name = "FILE")]
    spec: PathBuf,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// No subcommand: the KRM function when stdin is not a terminal (kpt and kustomize run a
/// container function's entrypoint without arguments), else `help`.
pub fn default_mode(help: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
    if std::io::stdin().is_terminal() { help() } else { krm(&FnArgs {}) }
}

/// `kpreview fn`: `ResourceList` in, `ResourceList` out.
pub fn krm(_args: &FnArgs) -> anyhow::Result<()> {
    let text = read_stdin()?;
    let list = ResourceList::parse(&text).map_err(|e| Invalid(format!("stdin: {e}")))?;
    let env = Env {
        flags: env_fields(FLAG_VARS)?,
        pr_env: preview_env(),
        cwd: std::env::current_dir().context("cannot find the working directory")?,
        read_file: &read_file,
        image: super::input::image(),
        policy: policy_from_env()?,
    };
    let output = process(list, &env);
    let yaml = output.to_yaml()?;
    std::io::stdout().lock().write_all(yaml.as_bytes()).context("cannot write to stdout")?;
    // kpt treats an error result with exit 0 as success and writes the package: fail loudly.
    match summary(&output.results) {
        Some(line) => Err(Invalid(line).into()),
        None => Ok(()),
    }
}

/// A file the function asks for (a lock file, a spec to recognise), bounded like a spec;
/// `None` when there is none.
fn read_file(path: &Path) -> Result<Option<String>, String> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_STREAM_BYTES).unwrap_or(u64::MAX) + 1;
    file.take(limit).read_to_end(&mut bytes).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() > MAX_STREAM_BYTES {
        return Err(format!("{} is larger than the {MAX_STREAM_BYTES} bytes kpreview reads", path.display()));
    }
    String::from_utf8(bytes).map(Some).map_err(|_| format!("{} is not UTF-8 text", path.display()))
}

/// One line for stderr: the first error and how many more there are.
fn summary(results: &[KrmResult]) -> Option<String> {
    let errors: Vec<&KrmResult> = results.iter().filter(|r| r.is_error()).collect();
    let first = errors.first()?;
    let mut line = String::new();
    if let Some(file) = &first.file {
        line.push_str(&file.path);
        line.push_str(": ");
    }
    if let Some(field) = &first.field {
        line.push_str(&field.path);
        line.push_str(": ");
    }
    line.push_str(&first.message);
    if errors.len() > 1 {
        line.push_str(" (and ");
        line.push_str(&(errors.len() - 1).to_string());
        line.push_str(" more errors in the function's results)");
    }
    Some(line)
}

fn read_stdin() -> anyhow::Result<String> {
    let limit = u64::try_from(MAX_STREAM_BYTES).unwrap_or(u64::MAX) + 1;
    let mut bytes = Vec::new();
    std::io::stdin().take(limit).read_to_end(&mut bytes).context("cannot read stdin")?;
    if bytes.len() > MAX_STREAM_BYTES {
        return Err(
            Invalid(format!("stdin is larger than the {MAX_STREAM_BYTES} bytes a ResourceList may have")).into()
        );
    }
    String::from_utf8(bytes).map_err(|_| Invalid("stdin is not UTF-8 text".to_owned()).into())
}

/// `kpreview cmp`: the Argo CD Config Management Plugin's `generate` command.
pub fn cmp(args: &CmpArgs) -> anyhow::Result<()> {
    const PLUGIN_ENV: [&str; 3] = ["ARGOCD_ENV_PR_NUMBER", "ARGOCD_ENV_HEAD_SHA", "ARGOCD_ENV_BRANCH"];
    let sources = PrSources::new(
        ["PR_NUMBER", "HEAD_SHA", "BRANCH"]
            .map(|name| format!("the Application's plugin env `{name}` (`ARGOCD_ENV_{name}`)")),
    );
    let path = inside_source(&args.spec)?;
    let spec = read_spec(&path).with_context(|| {
        format!(
            "the plugin renders {} in the Application's source path (set ARGOCD_ENV_PREVIEW_SPEC to change it)",
            args.spec.display()
        )
    })?;
    let lock = read_lock(&spec.dir)?;
    let policy = args.policy.load()?;
    let model = prepare(&spec.text, &spec.name, &env_inputs(PLUGIN_ENV, sources)?, lock.as_ref(), &policy)?;
    warn(&spec.name, &model.warnings);
    application_namespace(&model, &spec.name, std::env::var("ARGOCD_APP_NAMESPACE").ok())?;
    write_stream(&render(&model), &spec.name)
}

/// The rendered namespace must be the Application's destination (`ARGOCD_APP_NAMESPACE`, which
/// Argo CD sets for every plugin run from the Application the platform's ApplicationSet made): a
/// spec, a branch name or a metadata.name of another app must not point Argo CD at a namespace
/// it would adopt and later delete. Outside Argo CD (the variable unset) there is nothing to
/// compare with: a warning says so.
fn application_namespace(model: &Model, spec: &str, destination: Option<String>) -> anyhow::Result<()> {
    match destination {
        Some(destination) if destination == model.namespace => Ok(()),
        Some(destination) if destination.is_empty() => Err(Invalid(format!(
            "{spec}: the Application has no destination namespace (ARGOCD_APP_NAMESPACE is empty); a preview \
             renders into `{}`, so set `spec.destination.namespace` in the platform's ApplicationSet to it",
            model.namespace
        ))
        .into()),
        Some(destination) => Err(Invalid(format!(
            "{spec}: the preview's namespace is `{}` (app `{}`, pull request {}), but this Application deploys to \
             `{destination}` (ARGOCD_APP_NAMESPACE); refusing to render a preview into a namespace that is not its \
             Application's: check metadata.name and the ApplicationSet's destination",
            model.namespace, model.app, model.pr.number
        ))
        .into()),
        None => {
            eprintln!(
                "warning: {spec}: ARGOCD_APP_NAMESPACE is not set (Argo CD sets it to the Application's destination), \
                 so namespace `{}` was not checked against it",
                model.namespace
            );
            Ok(())
        }
    }
}

/// The spec's path when it stays inside the Application's source directory (the working
/// directory): an Application's author sets `ARGOCD_ENV_PREVIEW_SPEC`, and the sidecar must not
/// read and parse whatever else it can see (other requests' working copies share its `/tmp`).
/// Lexically first (no absolute path, no `..`), then after symlinks, for a file that exists.
fn inside_source(path: &Path) -> anyhow::Result<PathBuf> {
    use std::path::Component;
    let refuse = |why: &str| -> anyhow::Error {
        Invalid(format!(
            "ARGOCD_ENV_PREVIEW_SPEC (or --spec) is `{}`: {why}; give a relative path inside the Application's \
             source directory, such as `preview.yaml` or `deploy/preview.yaml`",
            path.display()
        ))
        .into()
    };
    if path.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(refuse("absolute paths and `..` are refused"));
    }
    let here = std::env::current_dir().context("cannot find the Application's source directory")?;
    if let (Ok(root), Ok(file)) = (here.canonicalize(), here.join(path).canonicalize())
        && !file.starts_with(&root)
    {
        return Err(refuse(&format!("it resolves to {} through a symbolic link", file.display())));
    }
    Ok(path.to_owned())
}

/// Writes a render as a `---` stream; an empty one is an error, as Argo CD would prune the
/// whole preview for it.
fn write_stream(manifests: &Manifests, spec: &str) -> anyhow::Result<()> {
    if manifests.objects.is_empty() {
        return Err(Invalid(format!("{spec} rendered no objects; refusing to print an empty preview")).into());
    }
    let text = manifests.to_yaml()?;
    std::io::stdout().lock().write_all(text.as_bytes()).context("cannot write to stdout")
}
