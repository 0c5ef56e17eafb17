//! Command-line interface: clap types and one small function per subcommand, each calling the
//! library. Run with no subcommand and a `ResourceList` on stdin, kpreview is a KRM function.

mod cost;
mod function;
mod gitops;
mod init;
mod input;
mod lock;
mod plan;
mod render;
mod restore;

use clap::{Parser, Subcommand};

use kpreview::spec::problem::Problems;

/// Invalid user input (as opposed to a usage or I/O error): exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// A publish or unpublish older than what the GitOps repository holds (a re-run of an older CI
/// job), refused: exit code 3, so a pipeline can tell it from a failure and leave the comment be.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Superseded(pub String);

/// Exit code for an error: 1 for invalid input, 3 for a superseded publish or unpublish, 2 for
/// everything else.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.chain().any(<dyn std::error::Error>::is::<Superseded>) {
        return 3;
    }
    let invalid = error.chain().any(|cause| cause.is::<Problems>() || cause.is::<Invalid>());
    if invalid { 1 } else { 2 }
}

const AFTER_HELP: &str = "\
Examples:
  kpreview init --from docker-compose.yml             # a preview.yaml to start from
  kpreview render examples/shop/preview.yaml          # manifests on stdout
  kpreview render preview.yaml --pr 42 --sha $SHA -o out/
  kpreview validate examples/*/preview.yaml           # placeholders stand in for missing PR fields
  kpreview schema > preview.schema.json               # --format markdown: the field reference

Exit codes: 0 ok, 1 invalid input (every problem is printed), 2 usage or I/O error, 3 a publish or
unpublish refused because a newer one already landed (a re-run of an older CI job).
Environment: PREVIEW_PR_NUMBER, PREVIEW_HEAD_SHA, PREVIEW_BRANCH fill pull-request fields that
neither flags nor the spec give. NO_COLOR disables colour.";

/// Pull-request preview environments for Argo CD, from one compact spec.
#[derive(Debug, Parser)]
#[command(name = "kpreview", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render a spec into the preview's manifests, in Argo CD apply order.
    #[command(after_help = render::AFTER_HELP)]
    Render(render::RenderArgs),
    /// Check specs and report every problem; pull-request fields nobody gives get placeholders.
    #[command(after_help = render::VALIDATE_AFTER_HELP)]
    Validate(render::ValidateArgs),
    /// Print the JSON Schema of the spec (for editors and CI linters), or the field reference.
    Schema(render::SchemaArgs),
    /// Write a commented spec that validates, from a docker-compose file or for one service.
    #[command(after_help = init::AFTER_HELP)]
    Init(init::InitArgs),
    /// Show what a preview will do and in what order, as text or a picture.
    Plan(plan::PlanArgs),
    /// Run as a KRM function: a ResourceList on stdin (what kpt and kustomize call; also the
    /// default when kpreview runs with no subcommand and stdin is not a terminal).
    Fn(function::FnArgs),
    /// Run as an Argo CD Config Management Plugin in the app's source directory.
    Cmp(function::CmpArgs),
    /// Install kpreview as a kustomize legacy exec plugin (for `kubectl kustomize`).
    InstallPlugin(function::InstallPluginArgs),
    /// Render a spec, or build a kustomize overlay, into a GitOps repository and commit it.
    Publish(gitops::PublishArgs),
    /// Remove a pull request's preview from a GitOps repository.
    Unpublish(gitops::UnpublishArgs),
    /// Remove expired previews and the oldest beyond a cap, put idle ones to sleep.
    Gc(gitops::GcArgs),
    /// Keep a pull request's preview past its TTL, the cap and sleep (or stop keeping it).
    Keep(cost::KeepArgs),
    /// Wake a pull request's sleeping preview from what is committed, without a build.
    Wake(cost::WakeArgs),
    /// Pin the newest EC2 snapshot of every `seed.snapshot.tags` in `preview.lock`.
    Lock(lock::LockArgs),
    /// Restore a Velero backup into a preview (what the PreSync Job runs), or clean up after one.
    #[command(subcommand)]
    Restore(restore::RestoreCommand),
}

/// Parses the command line and runs it.
pub fn run() -> anyhow::Result<()> {
    if let Some(result) = function::as_kustomize_plugin() {
        return result;
    }
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Render(args)) => render::render(&args),
        Some(Command::Validate(args)) => render::validate(&args),
        Some(Command::Schema(args)) => render::schema(&args),
        Some(Command::Init(args)) => init::init(&args),
        Some(Command::Plan(args)) => plan::plan(&args),
        Some(Command::Fn(args)) => function::krm(&args),
        Some(Command::Cmp(args)) => function::cmp(&args),
        Some(Command::InstallPlugin(args)) => function::install_plugin(&args),
        Some(Command::Publish(args)) => gitops::publish(&args),
        Some(Command::Unpublish(args)) => gitops::unpublish(&args),
        Some(Command::Gc(args)) => gitops::gc(&args),
        Some(Command::Keep(args)) => cost::keep(&args),
        Some(Command::Wake(args)) => cost::wake(&args),
        Some(Command::Lock(args)) => lock::lock(&args),
        Some(Command::Restore(command)) => restore::restore(command),
        None => function::default_mode(|| {
            use clap::CommandFactory;
            Cli::command().print_help()?;
            Ok(())
        }),
    }
}
