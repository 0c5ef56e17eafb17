//! `kpreview keep` and `kpreview wake`: a reviewer's say over one preview's cost, from CI (a
//! `preview-keep` label, a `/preview wake` comment). Status goes to stderr; nothing on stdout.

use std::path::PathBuf;

use clap::Args;
use jiff::Timestamp;

use kpreview::gitops::keep::keep as keep_pr;
use kpreview::gitops::meta::{Keep, format_time, parse_time};
use kpreview::gitops::narrate;
use kpreview::gitops::wake::wake as wake_pr;

use super::Invalid;
use super::gitops::{PushArgs, say};

pub const KEEP_HELP: &str = "\
Examples:
  kpreview keep --repo gitops --pr 42 --until 2026-12-24T18:00:00Z --push   # a demo on the 24th
  kpreview keep --repo gitops --pr 42 --push                                # until --off
  kpreview keep --repo gitops --pr 42 --off --push                          # the label was removed
  kpreview keep --repo gitops --pr 42 --app shop --until 2026-12-24T18:00:00Z

A kept preview is exempt from its TTL, from the cap (gc --max, publish --max: it still counts, it
is never the one taken down) and from gc --sleep-after, until --until (or until --off). The keep
is recorded in its preview.json as `kept` (an RFC 3339 time, or `indefinitely`) and survives
publishes; `gc --dry-run` lists kept previews under `keep`. Keeping does not wake a sleeping
preview (`kpreview wake` does). A pull request with no live preview is an error (exit 1); when
previews of several apps carry the number, --app is required.";

pub const WAKE_HELP: &str = "\
Examples:
  kpreview wake --repo gitops --pr 42 --push         # a `/preview wake` comment
  kpreview wake --repo gitops --pr 42 --app shop

Wakes a preview that gc --sleep-after put to sleep, from what is committed: its awake manifests
(kept beside the sleeping ones as previews/<namespace>/awake/) become manifests/ again and
`sleeping` is cleared, in one commit; no render, no build. gc --sleep-after counts idle time
from the wake (recorded as `woken`) or the latest publish, whichever is later. Hooks that run on sync (the restore
Job, migrations) are left out, so waking re-runs neither; the next publish brings them back. A
preview that is awake is left as it is (exit 0). A pull request with no live preview is an error
(exit 1); when previews of several apps carry the number, --app is required.";

#[derive(Debug, Args)]
#[command(after_help = KEEP_HELP)]
pub struct KeepArgs {
    /// The GitOps repository.
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// The pull request whose preview is kept.
    #[arg(long, value_name = "N")]
    pr: u64,
    /// Only the preview of this app (`metadata.name` of its spec), when one repository holds many.
    #[arg(long, value_name = "NAME")]
    app: Option<String>,
    /// Keep it until this time (default: until --off).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time, conflicts_with = "off")]
    until: Option<Timestamp>,
    /// End the keep: its TTL, the cap and sleep apply again.
    #[arg(long)]
    off: bool,
    /// The time to judge --until against (default: now); an --until not after it is refused.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    now: Option<Timestamp>,
    #[command(flatten)]
    push: PushArgs,
}

#[derive(Debug, Args)]
#[command(after_help = WAKE_HELP)]
pub struct WakeArgs {
    /// The GitOps repository.
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// The pull request whose preview wakes.
    #[arg(long, value_name = "N")]
    pr: u64,
    /// Only the preview of this app (`metadata.name` of its spec), when one repository holds many.
    #[arg(long, value_name = "NAME")]
    app: Option<String>,
    /// The time of the wake (default: now); gc --sleep-after counts idle time from it.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    now: Option<Timestamp>,
    #[command(flatten)]
    push: PushArgs,
}

pub fn keep(args: &KeepArgs) -> anyhow::Result<()> {
    let now = args.now.unwrap_or_else(Timestamp::now);
    let keep = match (args.off, args.until) {
        (true, _) => Keep::No,
        (false, Some(until)) if until <= now => {
            return Err(Invalid(format!(
                "--until {} is not after --now {}: a keep must end in the future (--off ends one now)",
                format_time(until),
                format_time(now)
            ))
            .into());
        }
        (false, Some(until)) => Keep::Until(until),
        (false, None) => Keep::Indefinitely,
    };
    let repo = args.push.open(&args.repo)?;
    let push = args.push.push();
    let done = keep_pr(&repo, args.pr, args.app.as_deref(), keep, push.as_ref(), &mut say)?;
    say(&narrate::kept(keep, &done, repo.branch(), push.as_ref()));
    Ok(())
}

pub fn wake(args: &WakeArgs) -> anyhow::Result<()> {
    let repo = args.push.open(&args.repo)?;
    let push = args.push.push();
    let now = args.now.unwrap_or_else(Timestamp::now);
    let done = wake_pr(&repo, args.pr, args.app.as_deref(), now, push.as_ref(), &mut say)?;
    say(&narrate::woke(&done, repo.branch(), push.as_ref()));
    Ok(())
}
