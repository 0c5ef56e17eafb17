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

use kpreview::fault::{Fault, HasFault};

/// A mistake in what kpreview was given that only the command line sees (a flag combination, a
/// file too large or not text, a relative path where an absolute one is needed): exit code 1.
/// Failures of the library carry their own type and [`Fault`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl HasFault for Invalid {
    fn fault(&self) -> Fault {
        Fault::Input
    }
}

/// An error the command line words itself, with whose fault it is: the end of a command that went
/// on past failures (`validate` of several specs), a cause given the flag it came from.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Worded {
    /// The whole message.
    pub message: String,
    /// Whose fault it is.
    pub fault: Fault,
}

impl HasFault for Worded {
    fn fault(&self) -> Fault {
        self.fault
    }
}

/// Exit code for an error, from the first cause in its chain that knows whose fault it is: 1 for
/// invalid input, 3 for a superseded publish or unpublish, 2 for the environment and for causes
/// that do not say (I/O, usage).
pub fn exit_code(error: &anyhow::Error) -> u8 {
    match error.chain().find_map(fault) {
        Some(Fault::Input) => 1,
        Some(Fault::Superseded) => 3,
        Some(Fault::Environment) | None => 2,
    }
}

/// The fault of `cause` if it is one of the error types that reach the command line.
fn fault(cause: &(dyn std::error::Error + 'static)) -> Option<Fault> {
    fn of<E: HasFault + std::error::Error + 'static>(cause: &(dyn std::error::Error + 'static)) -> Option<Fault> {
        cause.downcast_ref::<E>().map(HasFault::fault)
    }
    of::<Invalid>(cause)
        .or_else(|| of::<Worded>(cause))
        .or_else(|| of::<kpreview::spec::problem::Problems>(cause))
        .or_else(|| of::<kpreview::policy::load::PolicyError>(cause))
        .or_else(|| of::<kpreview::gitops::GitOpsError>(cause))
        .or_else(|| of::<kpreview::gitops::publication::PublicationError>(cause))
        .or_else(|| of::<kpreview::gitops::overlay::OverlayError>(cause))
        .or_else(|| of::<kpreview::gitops::git::GitError>(cause))
        .or_else(|| of::<kpreview::compose::InitError>(cause))
        .or_else(|| of::<kpreview::lock::LockError>(cause))
        .or_else(|| of::<kpreview::restore::RestoreError>(cause))
        .or_else(|| of::<kpreview::output::OutputError>(cause))
        .or_else(|| of::<kpreview::files::ReadError>(cause))
        .or_else(|| of::<kpreview::krm::locate::LockFileError>(cause))
        .or_else(|| of::<kpreview::krm::kustomize::PluginError>(cause))
        .or_else(|| of::<kpreview::krm::cmp::CmpError>(cause))
}

const AFTER_HELP: &str = "\
Examples:
  kpreview init --from docker-compose.yml             # a preview.yaml to start from
  kpreview render examples/shop/preview.yaml          # manifests on stdout
  kpreview render preview.yaml --pr 42 --sha $SHA -o out/
  kpreview validate examples/{shop,blog}/preview.yaml # placeholders stand in for missing PR fields
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
    #[command(after_help = render::SCHEMA_AFTER_HELP)]
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
