//! The ways orchestrators run kpreview: `kpreview fn` (and no subcommand with a piped stdin) for
//! kpt and kustomize KRM functions, `kpreview cmp` for Argo CD, and the kustomize legacy plugin
//! (the binary run as `Preview`, see [`kustomize`]). What they decide is the library's
//! (`kpreview::krm`); this is their stdin, stdout and environment, with the disk as their files.

mod kustomize;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use kpreview::files::{self, Disk};
use kpreview::krm::cmp::{check_destination, spec_path};
use kpreview::krm::config::FLAG_VARS;
use kpreview::krm::result::error_summary;
use kpreview::krm::{Env, ResourceList, process};
use kpreview::policy::prepare;
use kpreview::spec::defaults::PrSources;
use kpreview::{Manifests, render};

use super::Invalid;
use super::input::{LockBeside, PolicyArgs, env_fields, env_inputs, policy_from_env, preview_env, read_spec, warn};

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

The platform's PreviewPolicy comes from KPREVIEW_POLICY (a file path) only, never from the
function config or the package, which are the pull request's (docs/policy.md).

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
  ARGOCD_APP_NAMESPACE      the Application's destination (Argo CD sets it): a render into any
                            other namespace is refused; unset, a warning says it was not checked
  KPREVIEW_POLICY           the platform's PreviewPolicy (the sidecar's environment)

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
    let text = files::read_bounded(std::io::stdin(), files::STREAM, "stdin")?;
    let list = ResourceList::parse(&text).map_err(|e| Invalid(format!("stdin: {e}")))?;
    // The list keeps each item's own text; the whole input need not stay beside the output.
    drop(text);
    let env = Env {
        flags: env_fields(FLAG_VARS)?,
        pr_env: preview_env(),
        cwd: std::env::current_dir().context("cannot find the working directory")?,
        files: &Disk,
        image: super::input::image(),
        policy: policy_from_env()?,
    };
    let output = process(list, &env);
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    output.write_yaml(&mut stdout).context("cannot write to stdout")?;
    stdout.flush().context("cannot write to stdout")?;
    // kpt treats an error result with exit 0 as success and writes the package: fail loudly.
    match error_summary(&output.results) {
        Some(line) => Err(Invalid(line).into()),
        None => Ok(()),
    }
}

/// `kpreview cmp`: the Argo CD Config Management Plugin's `generate` command.
pub fn cmp(args: &CmpArgs) -> anyhow::Result<()> {
    const PLUGIN_ENV: [&str; 3] = ["ARGOCD_ENV_PR_NUMBER", "ARGOCD_ENV_HEAD_SHA", "ARGOCD_ENV_BRANCH"];
    let sources = PrSources::new(
        ["PR_NUMBER", "HEAD_SHA", "BRANCH"]
            .map(|name| format!("the Application's plugin env `{name}` (`ARGOCD_ENV_{name}`)")),
    );
    let here = std::env::current_dir().context("cannot find the Application's source directory")?;
    let path = spec_path(&Disk, &here, &args.spec)?;
    let spec = read_spec(&path).with_context(|| {
        format!(
            "the plugin renders {} in the Application's source path (set ARGOCD_ENV_PREVIEW_SPEC to change it)",
            args.spec.display()
        )
    })?;
    let lock = LockBeside::read(&spec.dir)?;
    super::input::absolute_policy(args.policy.policy.as_deref())?;
    let policy = args.policy.load()?;
    if args.policy.policy.as_deref().is_none_or(|p| p.as_os_str().is_empty()) {
        // A sidecar that forgot to mount the platform's policy should not pass unnoticed.
        eprintln!(
            "note: KPREVIEW_POLICY is not set in the plugin's sidecar: the built-in policy applies (any image \
             registry, no secret stores; docs/policy.md)"
        );
    }
    let inputs = env_inputs(PLUGIN_ENV, sources)?;
    let model = prepare(&spec.text, &spec.name, &inputs, lock.lock.as_ref(), &policy).map_err(|p| lock.explain(p))?;
    warn(&spec.name, &model.warnings);
    let destination = std::env::var("ARGOCD_APP_NAMESPACE").ok();
    if let Some(warning) = check_destination(&model, &spec.name, destination.as_deref())? {
        eprintln!("warning: {warning}");
    }
    write_stream(&render(&model), &spec.name)
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
