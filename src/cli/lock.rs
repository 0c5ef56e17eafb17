//! `kpreview lock`: pin the newest EC2 snapshot of every `seed.snapshot.tags` in `preview.lock`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use kpreview::lock::ec2::{Ec2, Options, endpoint_url};
use kpreview::lock::file::{Written, write};
use kpreview::lock::pin::{Change, changes};
use kpreview::lock::resolve::{Progress, resolve};
use kpreview::lock::selectors::{describe_tags, selectors};
use kpreview::spec::defaults;
use kpreview::spec::load::load;
use kpreview::spec::lockfile::{Lock, LockedSnapshot};
use kpreview::spec::problem::Problems;

use super::Invalid;
use super::input::{read_lock, read_spec};

const AFTER_HELP: &str = "\
Examples:
  kpreview lock                                        # ./preview.yaml -> ./preview.lock
  kpreview lock examples/blog/preview.yaml --region eu-west-1
  kpreview lock --endpoint-url http://localhost:4566   # LocalStack or moto

For each data store seeded by `seed.snapshot.tags`, asks EC2 DescribeSnapshots for the completed
snapshots this account owns that carry every tag, follows every page, and pins the newest (by start
time) in preview.lock beside the spec. Commit the lock: `render` reads it and never calls AWS.
Entries of stores no longer seeded by tags are dropped. Nothing is written unless every selector
matched. Credentials and region come from the usual AWS configuration (AWS_PROFILE, AWS_REGION,
AWS_ACCESS_KEY_ID, web identity in CI, an instance role).

Exit codes: 0 ok, 1 invalid spec or no snapshot matched, 2 AWS or I/O error.";

#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct LockArgs {
    /// The spec; `preview.lock` is written beside it.
    #[arg(default_value = "preview.yaml")]
    spec: PathBuf,
    /// AWS region of the snapshots (default: AWS_REGION or the AWS profile's).
    #[arg(long, value_name = "R")]
    region: Option<String>,
    /// EC2 endpoint, such as LocalStack or moto (default: AWS's own, or AWS_ENDPOINT_URL).
    #[arg(long, value_name = "URL", value_parser = endpoint_url)]
    endpoint_url: Option<String>,
    /// Snapshots per DescribeSnapshots page (EC2 accepts 5 to 1000); for tests.
    #[arg(long, hide = true, value_parser = clap::value_parser!(i32).range(5..=1000))]
    page_size: Option<i32>,
}

pub fn lock(args: &LockArgs) -> anyhow::Result<()> {
    if args.spec == Path::new("-") {
        return Err(Invalid("kpreview lock needs the spec's file, to write preview.lock beside it".to_owned()).into());
    }
    let spec = read_spec(&args.spec)?;
    let loaded = load(&spec.text, &spec.name)?;
    if !loaded.problems.is_empty() {
        return Err(Problems::new(&spec.name, loaded.problems).into());
    }
    let preview = defaults::apply(loaded.preview);
    let selectors = selectors(&preview).map_err(|problems| Problems::new(&spec.name, problems))?;
    let old = match read_lock(&spec.dir) {
        Ok(old) => old,
        Err(e) => {
            eprintln!("warning: {e:#}; it will be replaced");
            None
        }
    };
    if selectors.is_empty() && old.as_ref().is_none_or(|lock| lock.snapshots.is_empty()) {
        eprintln!("{}: no data store is seeded by `seed.snapshot.tags`; nothing to lock", spec.name);
        return Ok(());
    }
    let new = if selectors.is_empty() {
        Lock::new()
    } else {
        let options =
            Options { region: args.region.clone(), endpoint_url: args.endpoint_url.clone(), page_size: args.page_size };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        runtime.block_on(async {
            let ec2 = Ec2::connect(&options).await?;
            resolve(&ec2, &selectors, |progress| show(&progress)).await
        })?
    };
    for change in changes(old.as_ref(), &new) {
        eprintln!("{}", describe(&change));
    }
    let (path, written) = write(&spec.dir, &new)?;
    match written {
        Written::Replaced => eprintln!("wrote {}", path.display()),
        Written::Unchanged => eprintln!("{} is up to date", path.display()),
    }
    Ok(())
}

fn show(progress: &Progress<'_>) {
    match progress {
        Progress::Asking { selector, region } => {
            eprintln!("asking EC2 in {region} for snapshots of {} tagged {}…", selector.store, selector.describe());
        }
        Progress::Answered { found, chosen, .. } => {
            let count = found.candidates.len();
            let pages = found.pages;
            let listed = format!(
                "{count} completed snapshot{} on {pages} page{}",
                if count == 1 { "" } else { "s" },
                if pages == 1 { "" } else { "s" }
            );
            match chosen {
                Some(c) => eprintln!("  {listed}; the newest is {} (started {})", c.snapshot_id, c.start_time),
                None => eprintln!("  none found"),
            }
        }
    }
}

fn pinned(entry: &LockedSnapshot) -> String {
    let size = entry.volume_size_gib.map(|gib| format!(", {gib} GiB")).unwrap_or_default();
    format!("{} (started {}{size})", entry.snapshot_id, entry.start_time)
}

fn describe(change: &Change) -> String {
    match change {
        Change::Added { store, now } => format!("pinned {store}: {}", pinned(now)),
        Change::Kept { store, now } => format!("kept {store}: {} is still the newest", pinned(now)),
        Change::Replaced { store, was, now } if was.snapshot_id == now.snapshot_id => {
            format!("pinned {store}: {} (now for tags {})", pinned(now), describe_tags(&now.tags))
        }
        Change::Replaced { store, was, now } => {
            format!("pinned {store}: {}, replacing {}", pinned(now), was.snapshot_id)
        }
        Change::Dropped { store, was } => format!(
            "dropped {store}: {} is no longer needed, as {store} is not seeded by tags in this spec",
            was.snapshot_id
        ),
    }
}
