//! `kpreview publish`, `kpreview unpublish`, `kpreview gc`: the GitOps repository from CI.
//! Status goes to stderr; stdout carries only what a pipeline consumes (the PR-comment Markdown,
//! gc's plan as JSON).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use jiff::Timestamp;

use kpreview::gitops::gc::{self, Policy};
use kpreview::gitops::meta::parse_time;
use kpreview::gitops::narrate;
use kpreview::gitops::overlay::{self, DEFAULT_KUSTOMIZE};
use kpreview::gitops::publication::{FromOverlay, FromSpec, Landing};
use kpreview::gitops::publish::{Publication, Published, publish as publish_preview};
use kpreview::gitops::unpublish::{Unpublish, unpublish as unpublish_pr};
use kpreview::gitops::{Push, Repo};
use kpreview::k8s::Duration;
use kpreview::render;

use super::input::{PolicyArgs, PrArgs, load};

pub const PUBLISH_HELP: &str = "\
Examples:
  kpreview publish preview.yaml --repo gitops --pr 42 --sha $SHA --branch $BRANCH
  kpreview publish preview.yaml --repo gitops --pr 42 --sha $SHA --push --summary comment.md
  kpreview publish --overlay deploy/preview --repo gitops --pr 42 --sha $SHA --push
  kpreview publish preview.yaml --repo gitops --pr 42 --sha $SHA --max 30 --push   # hard cap
  kpreview publish --overlay deploy/preview --repo gitops --pr 42 --sha $SHA \\
    --kustomize \"kustomize build --enable-alpha-plugins --enable-exec\"

Writes previews/<namespace>/manifests/ (one file per object) and previews/<namespace>/preview.json
(app, namespace, pr, sha, branch, created, updated, ttl, expires) and commits them on the
repository's checked-out branch; --push lands the commit on the remote, re-applying it when
another publisher pushed first. All or nothing: on any error the repository, its index and its
work tree are as they were. Publishing the same content at the same --now commits nothing;
a later --now extends the preview's life; an earlier one than the preview's last publish (or
removal) is refused as a re-run of an older job (exit code 3) unless --force, and so is one at or before the
time gc took the preview down, when it would have been expired by then or is no newer than the
last publish (re-running a job after gc does not bring an expired preview back). A --now whose
expiry is already past is a warning. --max N takes down the oldest live previews beyond N in the
same commit (never this one, never a kept one; a kept preview keeps its keep across publishes);
a sleeping preview is woken by its publish. The Markdown summary for a PR comment goes to stdout.
--evicted FILE writes what the cap took down as JSON, once the commit landed (also when nothing
was: \"remove\": []), with the keys of gc's plan: {now, max, remove: [{namespace, app, pr,
reason, detail, created, updated, ttl, expires}]}, reason `over-max`, so the pipeline that tells
pull requests about gc's removals tells the evicted ones too.

--overlay DIR publishes what kustomize builds from DIR instead of a bare spec: DIR's
kustomization uses the spec as a generator and adds its own patches. kpreview's kustomize plugin
is offered for that one build only (a temporary KUSTOMIZE_PLUGIN_HOME; nothing is installed), with
--pr, --sha and --branch passed as KPREVIEW_PR_NUMBER, KPREVIEW_HEAD_SHA, KPREVIEW_BRANCH, which
the plugin puts before the spec's pullRequest. The preview's app, namespace, pull request and TTL
are read from the Namespace the generator rendered; a build with no objects or no preview fails.";

pub const UNPUBLISH_HELP: &str = "\
Examples:
  kpreview unpublish --repo gitops --pr 42 --push           # the pull request was closed
  kpreview unpublish --repo gitops --pr 42 --app shop       # only the shop app's preview

Removes every preview of the pull request in one commit; exits 0 and says so when there is none.
When previews of several apps carry the number (pull-request numbers are per repository), --app
is required; an --app that matches nothing while other apps have previews is a warning.
A removed preview's preview.json becomes removed.json, so the ApplicationSet deletes its
Application; its manifests stay for Argo CD to finish deleting, until gc purges them. A preview
published after --now stays and the command fails with exit code 3 (a re-run of an older CI job,
such as an `unlabeled` run from before the label came back) unless --force.";

pub const GC_HELP: &str = "\
Examples:
  kpreview gc --repo gitops --push                          # on a schedule
  kpreview gc --repo gitops --max 50 --dry-run              # what would go, as JSON
  kpreview gc --repo gitops --ttl 24h --now 2026-11-21T10:00:00Z

  kpreview gc --repo gitops --max 30 --sleep-after 8h --push  # cap, expire, and sleep the idle

A preview expires at its latest publish plus its TTL (its own, or --ttl for all). gc removes the
expired, then the oldest by creation beyond --max, puts to sleep those with no publish for
--sleep-after (Deployments and StatefulSets at replicas 0, claims kept; `kpreview wake` or the
next publish wakes them), and purges the manifests of previews removed more than --grace ago, in
one commit. A kept preview (`kpreview keep`) is neither expired, evicted nor put to sleep, but
counts against --max. It prints the plan as JSON on stdout: {now, ttl, max, grace, previews,
kept, remove: [{namespace, app, pr, reason, detail, created, updated, ttl, expires}], purge:
[{namespace, app, pr, removed, reason}], skipped: [{path, reason}], sleepAfter, keep:
[{namespace, app, pr, until, expires}], sleep: [{namespace, app, pr, updated, detail}],
overMaxKept}; a removal's reason is `expired` or `over-max`.";

/// `--push`, `--remote`, `--attempts`, `--timeout`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Also land the commit on the remote: fetch its branch, apply the change there, push; when
    /// another publisher pushed first, fetch and re-apply (jittered backoff, until --timeout).
    #[arg(long)]
    push: bool,
    /// The remote to push to; its branch has the name of the checked-out one.
    #[arg(long, value_name = "NAME", default_value = "origin")]
    remote: String,
    /// At most this many pushes (default: as many as --timeout allows).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    attempts: Option<u32>,
    /// How long to wait for another kpreview command on the same clone and to retry lost pushes,
    /// in all, before giving up (a Go duration).
    #[arg(long, value_name = "DURATION", value_parser = Duration::parse, default_value = "10m")]
    timeout: Duration,
}

impl PushArgs {
    pub fn push(&self) -> Option<Push> {
        self.push.then(|| Push { remote: self.remote.clone(), attempts: self.attempts })
    }

    /// The repository at `dir`, with this command's timeout.
    pub fn open(&self, dir: &Path) -> anyhow::Result<Repo> {
        Ok(Repo::open(dir)?.with_timeout(self.timeout.as_std()))
    }
}

#[derive(Debug, Args)]
#[command(after_help = PUBLISH_HELP)]
pub struct PublishArgs {
    /// The spec.
    #[arg(default_value = "preview.yaml", conflicts_with = "overlay")]
    spec: PathBuf,
    /// Publish what kustomize builds from this directory (a kustomization using the spec as a
    /// generator, plus patches) instead of a bare spec.
    #[arg(long, value_name = "DIR")]
    overlay: Option<PathBuf>,
    /// The command that builds --overlay; the directory is appended. Split at spaces, run
    /// without a shell.
    #[arg(long, value_name = "CMD", requires = "overlay", default_value = DEFAULT_KUSTOMIZE)]
    kustomize: String,
    /// The GitOps repository: a clone, on the branch previews live on.
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    #[command(flatten)]
    pr: PrArgs,
    #[command(flatten)]
    policy: PolicyArgs,
    /// The time of this publish (default: now); `updated` and `expires` follow from it. A
    /// preview published (or removed) later than this is refused: a re-run of an older job.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    now: Option<Timestamp>,
    /// Publish even when the preview there was published or removed after --now.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    push: PushArgs,
    /// Also write the Markdown summary to FILE.
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    /// Hold at most N live previews: the oldest by creation beyond N are taken down in the same
    /// commit (as gc's cap does); never this one, never a kept one.
    #[arg(long, value_name = "N", value_parser = parse_max)]
    max: Option<usize>,
    /// Once the commit landed, write the previews it took down (--max) to FILE as JSON in gc's
    /// plan's shape, `{"now", "max", "remove": [{namespace, app, pr, reason: "over-max", …}]}`;
    /// also when none were (`"remove": []`). Not written when the publish fails.
    #[arg(long, value_name = "FILE")]
    evicted: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_help = UNPUBLISH_HELP)]
pub struct UnpublishArgs {
    /// The GitOps repository.
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// The pull request whose previews go.
    #[arg(long, value_name = "N", value_parser = kpreview::pr::parse_number)]
    pr: u64,
    /// Only the preview of this app (`metadata.name` of its spec), when one repository holds many.
    #[arg(long, value_name = "NAME")]
    app: Option<String>,
    /// The time recorded as the removal (default: now); gc purges the manifests `--grace` later.
    /// A preview published after this is kept and the command refused: a re-run of an older job.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    now: Option<Timestamp>,
    /// Remove the preview even when it was published after --now.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    push: PushArgs,
}

#[derive(Debug, Args)]
#[command(after_help = GC_HELP)]
pub struct GcArgs {
    /// The GitOps repository.
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// A TTL for every preview instead of each one's own (a Go duration such as `48h`).
    #[arg(long, value_name = "DURATION", value_parser = Duration::parse)]
    ttl: Option<Duration>,
    /// Keep at most N previews: beyond that, the first created go.
    #[arg(long, value_name = "N", value_parser = parse_max)]
    max: Option<usize>,
    /// The time to judge expiry at (default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    now: Option<Timestamp>,
    /// Put to sleep previews with no publish for this long (a Go duration such as `8h`): their
    /// Deployments and StatefulSets at replicas 0, claims kept. `kpreview wake` or the next
    /// publish wakes them.
    #[arg(long, value_name = "DURATION", value_parser = Duration::parse)]
    sleep_after: Option<Duration>,
    /// How long a removed preview's manifests stay (Argo CD renders them again while it deletes
    /// the preview's Application, to run its PostDelete hooks, and from Argo CD 3.3 until they
    /// succeed); a later gc purges them. A day, so a deletion held up overnight still finds them.
    #[arg(long, value_name = "DURATION", value_parser = Duration::parse, default_value = "24h")]
    grace: Duration,
    /// Print the plan as JSON and change nothing (with --push, the plan for the remote's branch,
    /// fetched without moving any ref, the remote-tracking one included).
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    push: PushArgs,
}

/// Status on stderr.
pub fn say(message: &str) {
    eprintln!("{message}");
}

pub fn publish(args: &PublishArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.overlay {
        return publish_overlay(args, dir);
    }
    let inputs = args.pr.inputs();
    let (spec, model, lock) = load(&args.spec, &inputs, &args.policy.load()?)?;
    let manifests = render(&model);
    let prepared = FromSpec::new(&model, &manifests, &spec.name, &inputs.sources, landing(args))?;
    let done = land_publication(args, &prepared.publication)?;
    emit_summary(args, &prepared.comment(lock.as_ref(), &done))
}

/// `publish --overlay DIR`: build, read the objects as one preview, publish them as they are.
fn publish_overlay(args: &PublishArgs, dir: &Path) -> anyhow::Result<()> {
    let command = overlay::build::parse_command(&args.kustomize)?;
    let exe =
        std::env::current_exe().context("cannot find the running kpreview binary to offer kustomize as its plugin")?;
    let given = args.pr.fields();
    let policy = args.policy.load()?;
    // The plugin reads the same policy: an absolute path, as kustomize runs it elsewhere.
    let policy_file =
        args.policy.policy.as_deref().filter(|p| !p.as_os_str().is_empty()).map(std::path::absolute).transpose()?;
    let request =
        overlay::build::Build { dir, command: &command, exe: &exe, pr: &given, policy: policy_file.as_deref() };
    let built = overlay::build(&request, &mut say)?;
    // kustomize's warnings and the plugin's (a spec's "did you mean") matter on success too.
    if !built.stderr.trim().is_empty() {
        eprint!("{}", built.stderr);
    }
    let name = dir.display().to_string();
    let preview = overlay::read(&built.stream, &name, &given)?;
    let image = super::input::image().unwrap_or_else(|| kpreview::spec::defaults::IMAGE.to_owned());
    let prepared = FromOverlay::new(preview, &name, (&policy, &image), landing(args))?;
    let done = land_publication(args, &prepared.publication)?;
    emit_summary(args, &prepared.comment(&done))
}

fn landing(args: &PublishArgs) -> Landing {
    Landing { now: args.now.unwrap_or_else(Timestamp::now), force: args.force, max: args.max }
}

/// Commits (and pushes) a rendered preview and says what happened on stderr.
fn land_publication(args: &PublishArgs, publication: &Publication) -> anyhow::Result<Published> {
    let repo = args.push.open(&args.repo)?;
    let push = args.push.push();
    let done = publish_preview(&repo, publication, push.as_ref(), &mut say)?;
    for line in narrate::published(publication, &done, repo.branch(), push.as_ref(), Timestamp::now()) {
        say(&line);
    }
    if let Some(path) = &args.evicted {
        let json = done.evictions(publication).to_json();
        kpreview::output::replace_file(path, |file| file.write_all(json.as_bytes())).with_context(|| {
            format!("the preview is published, but what it took down could not be written to {}", path.display())
        })?;
    }
    Ok(done)
}

/// The PR-comment Markdown: to `--summary` and stdout.
fn emit_summary(args: &PublishArgs, markdown: &str) -> anyhow::Result<()> {
    if let Some(path) = &args.summary {
        kpreview::output::replace_file(path, |file| file.write_all(markdown.as_bytes())).with_context(|| {
            format!("the preview is published, but the summary could not be written to {}", path.display())
        })?;
    }
    std::io::stdout().lock().write_all(markdown.as_bytes()).context("cannot write to stdout")
}

pub fn unpublish(args: &UnpublishArgs) -> anyhow::Result<()> {
    let repo = args.push.open(&args.repo)?;
    let push = args.push.push();
    let now = args.now.unwrap_or_else(Timestamp::now);
    let request = Unpublish { pr: args.pr, app: args.app.as_deref(), now, force: args.force };
    let done = unpublish_pr(&repo, &request, push.as_ref(), &mut say)?;
    for line in narrate::unpublished(&request, &done, repo.dir(), repo.branch(), push.as_ref()) {
        say(&line);
    }
    Ok(())
}

pub fn gc(args: &GcArgs) -> anyhow::Result<()> {
    let repo = args.push.open(&args.repo)?;
    let policy = Policy {
        now: args.now.unwrap_or_else(Timestamp::now),
        ttl: args.ttl.clone(),
        max: args.max,
        grace: args.grace.clone(),
        sleep_after: args.sleep_after.clone(),
    };
    let push = args.push.push();
    let plan = if args.dry_run {
        gc::dry_run(&repo, &policy, push.as_ref().map(|p| p.remote.as_str()))?
    } else {
        let done = gc::collect(&repo, &policy, push.as_ref(), &mut say)?;
        say(&narrate::collected(&done, repo.branch(), push.as_ref()));
        done.plan
    };
    for line in narrate::gc_warnings(&plan) {
        say(&line);
    }
    std::io::stdout().lock().write_all(plan.to_json().as_bytes()).context("cannot write to stdout")?;
    Ok(())
}

/// `--max N` of publish and gc: how many live previews to hold, at least one.
fn parse_max(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("0 would take down every preview; --max is how many to hold, at least 1 (to take them all \
                      down, use gc --ttl 1s)"
            .to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a count; --max takes a whole number of previews, such as 30")),
    }
}
