//! `kpreview restore velero` (what the PreSync Job runs) and `kpreview restore cleanup` (what
//! the PostDelete Job runs).

use std::future::Future;

use anyhow::Context;
use clap::{Args, Subcommand};

use kpreview::k8s::Duration;
use kpreview::restore::RestoreError;
use kpreview::restore::cleanup::{Target, cleanup};
use kpreview::restore::phase::summary;
use kpreview::restore::request::Request;
use kpreview::restore::run::run;

const VELERO_HELP: &str = "\
Examples:
  kpreview restore velero --backup nightly --from preview-base --to shop-pr-42
  kpreview restore velero --backup nightly --from preview-base --to shop-pr-42 \\
      --store postgres --store mongo --timeout 30m

Creates the velero.io/v1 Restore `<to>-<backup>-<from>-<hash>` in Velero's namespace (the claims,
volumes, CSI snapshot objects and Secrets of namespace --from, mapped into --to; with --store, only
those labelled kpreview.dev/store with one of them), or adopts it when an earlier attempt made it,
and watches it until Velero ends it. Exits 0 only when it ends Completed having restored at least
one item per store; PartiallyFailed, Failed, FailedValidation, an empty restore and the timeout
exit non-zero with Velero's counts and reasons. A Restore that already failed is reported, with
how to retry (delete it). The Kubernetes API comes from the in-cluster service account or
KUBECONFIG.

Exit codes: 0 Completed, 1 invalid arguments, 2 anything else.";

const CLEANUP_HELP: &str = "\
Examples:
  kpreview restore cleanup --preview shop-pr-42

Deletes every Restore, Role and RoleBinding in Velero's namespace labelled
app.kubernetes.io/managed-by=kpreview and kpreview.dev/preview=<preview>. Running it again removes
nothing and succeeds.";

#[derive(Debug, Subcommand)]
pub enum RestoreCommand {
    /// Restore a Velero backup into a preview and wait for the outcome.
    #[command(after_help = VELERO_HELP)]
    Velero(VeleroArgs),
    /// Remove a deleted preview's Restores and RBAC from Velero's namespace.
    #[command(after_help = CLEANUP_HELP)]
    Cleanup(CleanupArgs),
}

#[derive(Debug, Args)]
pub struct VeleroArgs {
    /// The Velero Backup to restore.
    #[arg(long, value_name = "B")]
    backup: String,
    /// The namespace the backup was taken of.
    #[arg(long, value_name = "NS")]
    from: String,
    /// The preview namespace to restore into.
    #[arg(long, value_name = "NS")]
    to: String,
    /// Restore only this data store's claims (repeatable; default: every claim of --from).
    #[arg(long = "store", value_name = "NAME")]
    stores: Vec<String>,
    /// The namespace Velero runs in.
    #[arg(long, value_name = "NS", default_value = "velero")]
    velero_namespace: String,
    /// How long to wait for Velero, as a Go duration.
    #[arg(long, value_name = "D", default_value = "15m", value_parser = Duration::parse)]
    timeout: Duration,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// The deleted preview's namespace.
    #[arg(long, value_name = "NS")]
    preview: String,
    /// The namespace Velero runs in.
    #[arg(long, value_name = "NS", default_value = "velero")]
    velero_namespace: String,
}

pub fn restore(command: RestoreCommand) -> anyhow::Result<()> {
    match command {
        RestoreCommand::Velero(args) => velero(&args),
        RestoreCommand::Cleanup(args) => clean(&args),
    }
}

fn velero(args: &VeleroArgs) -> anyhow::Result<()> {
    let request = Request::new(&args.backup, &args.from, &args.to, &args.stores, &args.velero_namespace)?;
    let finished = block_on(async {
        let client = client().await?;
        run(client, &request, args.timeout.as_std(), args.timeout.as_str(), |line| eprintln!("{line}")).await
    })?;
    eprintln!("Restore {} {}", request.reference(), summary(finished.status.as_ref()));
    if finished.status.as_ref().and_then(|s| s.warnings).is_some_and(|n| n > 0) {
        eprintln!("the warnings are listed by `velero restore describe {} --details`", request.name());
    }
    Ok(())
}

fn clean(args: &CleanupArgs) -> anyhow::Result<()> {
    let target = Target::new(&args.preview, &args.velero_namespace)?;
    // From Argo CD 3.3 a failed PostDelete hook blocks the Application's deletion, and with it
    // the preview's; what is left (labelled Restores, RBAC for a deleted ServiceAccount) grants
    // nothing and is removed by hand, so the cleanup reports and never fails the hook.
    let removed = match block_on(async {
        let client = client().await?;
        cleanup(client, &target, |line| eprintln!("{line}")).await
    }) {
        Ok(removed) => removed,
        Err(e) => {
            eprintln!("warning: {e}; the preview's deletion goes on, remove what is left by hand");
            return Ok(());
        }
    };
    if removed == 0 {
        eprintln!("nothing of preview {} is left in namespace {}", args.preview, args.velero_namespace);
    } else {
        eprintln!("removed {removed} object{} of preview {}", if removed == 1 { "" } else { "s" }, args.preview);
    }
    Ok(())
}

async fn client() -> Result<kube::Client, RestoreError> {
    let config = kube::Config::infer().await.map_err(|e| RestoreError::Config(e.to_string()))?;
    kube::Client::try_from(config).map_err(|e| RestoreError::Config(e.to_string()))
}

/// Runs `work` on a current-thread runtime; SIGINT or SIGTERM (the Job's deadline, a deleted
/// pod) stop it with a message rather than silently.
fn block_on<T>(work: impl Future<Output = Result<T, RestoreError>>) -> anyhow::Result<T> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(async {
        tokio::select! {
            result = work => result.map_err(anyhow::Error::from),
            signal = interrupted() => Err(anyhow::anyhow!("stopped by {signal}; anything already created in the cluster is left as it is")),
        }
    })
}

async fn interrupted() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                name = ctrl_c() => name,
            };
        }
    }
    ctrl_c().await
}

/// Resolves on SIGINT; never, where signals cannot be listened to.
async fn ctrl_c() -> &'static str {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
    "SIGINT"
}
