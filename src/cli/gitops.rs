//! `kpreview publish`, `kpreview unpublish`, `kpreview gc`: the GitOps repository from CI.
//! Status goes to stderr; stdout carries only what a pipeline consumes (the PR-comment Markdown,
//! gc's plan as JSON).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use jiff::Timestamp;

use kpreview::gitops::gc::{self, Policy};
use kpreview::gitops::meta::{format_time, parse_time};
use kpreview::gitops::overlay::{self, DEFAULT_KUSTOMIZE};
use kpreview::gitops::publish::{Publication, Published, publish as publish_preview};
use kpreview::gitops::summary::summary;
use kpreview::gitops::unpublish::{self, unpublish as unpublish_pr};
use kpreview::gitops::{Push, Repo, Ttl};
use kpreview::render;
use kpreview::spec::defaults::PrField;

use super::Invalid;
use super::input::{PolicyArgs, PrArgs, load};

pub const PUBLISH_HELP: &str = "\
Examples:
  kpreview publish preview.yaml --repo gitops --pr 42 --sha $SHA --branch $BRANCH
  kpreview publish preview.yaml --repo gitops --pr 42 --sha $SHA --push --summary comment.md
  kpreview publish --overlay deploy/preview --repo gitops --pr 42 --sha $SHA --push
  kpreview publish --overlay deploy/preview --repo gitops --pr 42 --sha $SHA \\
    --kustomize \"kustomize build --enable-alpha-plugins --enable-exec\"

Writes previews/<namespace>/manifests/ (one file per object) and previews/<namespace>/preview.json
(app, namespace, pr, sha, branch, created, updated, ttl, expires) and commits them on the
repository's checked-out branch; --push lands the commit on the remote, re-applying it when
another publisher pushed first. All or nothing: on any error the repository, its index and its
work tree are as they were. Publishing the same content at the same --now commits nothing;
a later --now extends the preview's life; an earlier one than the preview's last publish (or
removal) is refused as a re-run of an older job unless --force. The Markdown summary for a PR
comment goes to stdout.

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
Application; its manifests stay for Argo CD to finish deleting, until gc purges them.";

pub const GC_HELP: &str = "\
Examples:
  kpreview gc --repo gitops --push                          # on a schedule
  kpreview gc --repo gitops --max 50 --dry-run              # what would go, as JSON
  kpreview gc --repo gitops --ttl 24h --now 2026-11-21T10:00:00Z

A preview expires at its latest publish plus its TTL (its own, or --ttl for all). gc removes the
expired, then the oldest by creation beyond --max, and purges the manifests of previews removed
more than --grace ago, in one commit. It prints the plan as JSON on stdout: {now, ttl, max, grace,
previews, kept, remove: [{namespace, app, pr, reason, detail, created, updated, ttl, expires}],
purge: [{namespace, app, pr, removed, reason}], skipped: [{path, reason}]}; a removal's reason is
`expired` or `over-max`.";

/// `--push`, `--remote`, `--attempts`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Also land the commit on the remote: fetch its branch, apply the change there, push; when
    /// another publisher pushed first, fetch and re-apply (bounded, with jittered backoff).
    #[arg(long)]
    push: bool,
    /// The remote to push to; its branch has the name of the checked-out one.
    #[arg(long, value_name = "NAME", default_value = "origin")]
    remote: String,
    /// How many pushes to try before giving up.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    attempts: u32,
}

impl PushArgs {
    fn push(&self) -> Option<Push> {
        self.push.then(|| Push { remote: self.remote.clone(), attempts: self.attempts })
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
}

#[derive(Debug, Args)]
#[command(after_help = UNPUBLISH_HELP)]
pub struct UnpublishArgs {
    /// The GitOps repository.
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// The pull request whose previews go.
    #[arg(long, value_name = "N")]
    pr: u64,
    /// Only the preview of this app (`metadata.name` of its spec), when one repository holds many.
    #[arg(long, value_name = "NAME")]
    app: Option<String>,
    /// The time recorded as the removal (default: now); gc purges the manifests `--grace` later.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    now: Option<Timestamp>,
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
    #[arg(long, value_name = "DURATION", value_parser = Ttl::parse)]
    ttl: Option<Ttl>,
    /// Keep at most N previews: beyond that, the first created go.
    #[arg(long, value_name = "N")]
    max: Option<usize>,
    /// The time to judge expiry at (default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    now: Option<Timestamp>,
    /// How long a removed preview's manifests stay (Argo CD renders them again while it deletes
    /// the preview's Application, to run its PostDelete hooks); a later gc purges them.
    #[arg(long, value_name = "DURATION", value_parser = Ttl::parse, default_value = "1h")]
    grace: Ttl,
    /// Print the plan as JSON and change nothing (with --push, the plan for the remote's branch,
    /// fetched without moving any ref, the remote-tracking one included).
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    push: PushArgs,
}

fn say(message: &str) {
    eprintln!("{message}");
}

fn landed(commit: Option<&kpreview::gitops::repo::Oid>, repo: &Repo, push: Option<&Push>) -> String {
    let commit = commit.map_or("?", |c| c.short());
    match push {
        Some(p) => format!("{commit} on {} and {}/{}", repo.branch(), p.remote, repo.branch()),
        None => format!("{commit} on {}", repo.branch()),
    }
}

pub fn publish(args: &PublishArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.overlay {
        return publish_overlay(args, dir);
    }
    let inputs = args.pr.inputs();
    let (spec, model) = load(&args.spec, &inputs, &args.policy.load()?)?;
    let sha = model.pr.head_sha.clone().ok_or_else(|| {
        Invalid(format!("{}: publish records the head commit: {}", spec.name, inputs.sources.hint(PrField::HeadSha)))
    })?;
    let manifests = render(&model);
    let files = manifests.files()?;
    let diagram = kpreview::plan::mermaid_for(&model, &manifests)?;
    let publication = Publication {
        app: model.app.clone(),
        namespace: model.namespace.clone(),
        pr: model.pr.number,
        sha,
        branch: model.pr.branch.clone(),
        ttl: Ttl { text: model.ttl.text.clone(), seconds: model.ttl.seconds },
        files,
        now: args.now.unwrap_or_else(Timestamp::now),
        force: args.force,
    };
    let done = land_publication(args, &publication)?;
    let sync_plan =
        format!("<details><summary>Sync plan</summary>\n\n```mermaid\n{}\n```\n\n</details>", diagram.trim_end());
    emit_summary(args, &summary(&model, &done.meta).to_markdown(Some(&sync_plan)))
}

/// `publish --overlay DIR`: build, read the objects as one preview, publish them as they are.
fn publish_overlay(args: &PublishArgs, dir: &Path) -> anyhow::Result<()> {
    let command = overlay::build::parse_command(&args.kustomize).map_err(overlay_error)?;
    let exe =
        std::env::current_exe().context("cannot find the running kpreview binary to offer kustomize as its plugin")?;
    let given = args.pr.fields();
    let policy = args.policy.load()?;
    // The plugin reads the same policy: an absolute path, as kustomize runs it elsewhere.
    let policy_file =
        args.policy.policy.as_deref().filter(|p| !p.as_os_str().is_empty()).map(std::path::absolute).transpose()?;
    let request =
        overlay::build::Build { dir, command: &command, exe: &exe, pr: &given, policy: policy_file.as_deref() };
    let built = overlay::build(&request, &mut say).map_err(overlay_error)?;
    // kustomize's warnings and the plugin's (a spec's "did you mean") matter on success too.
    if !built.stderr.trim().is_empty() {
        eprint!("{}", built.stderr);
    }
    let name = dir.display().to_string();
    let preview = overlay::read(&built.stream, &name, &given).map_err(overlay_error)?;
    // The overlay is the pull request's too: a kustomization's `namespace:` or a patch could move
    // what the generator rendered, so its namespace is checked against the policy's once more.
    let pr =
        kpreview::spec::model::Pr { number: preview.pr, head_sha: preview.sha.clone(), branch: preview.branch.clone() };
    match policy.namespace.evaluate(&preview.app, &pr) {
        Ok(expected) if expected == preview.namespace => {}
        Ok(expected) => {
            return Err(Invalid(format!(
                "{name}: the overlay renders namespace `{}`, but {} (`{}`) gives `{expected}` for app `{}`, pull \
                 request {}; an overlay may not move a preview's namespace",
                preview.namespace,
                policy.entry("namespace"),
                policy.namespace.text,
                preview.app,
                preview.pr
            ))
            .into());
        }
        Err(e) => return Err(Invalid(format!("{name}: {}: {e}", policy.entry("namespace"))).into()),
    }
    let sha = preview.sha.clone().ok_or_else(|| {
        Invalid(format!(
            "{name}: publish records the head commit: give it with --sha or spec.pullRequest.headSha (the generator writes it on the Namespace as kpreview.dev/head-sha)"
        ))
    })?;
    let publication = Publication {
        app: preview.app.clone(),
        namespace: preview.namespace.clone(),
        pr: preview.pr,
        sha,
        branch: preview.branch.clone(),
        ttl: preview.ttl.clone(),
        files: preview.files()?,
        now: args.now.unwrap_or_else(Timestamp::now),
        force: args.force,
    };
    let done = land_publication(args, &publication)?;
    emit_summary(args, &overlay::summary::summary(&preview.objects, &done.meta).to_markdown(None))
}

fn gitops_error(e: kpreview::gitops::GitOpsError) -> anyhow::Error {
    if e.is_invalid_input() { Invalid(e.to_string()).into() } else { e.into() }
}

fn overlay_error(e: overlay::OverlayError) -> anyhow::Error {
    if e.is_invalid_input() { Invalid(e.to_string()).into() } else { e.into() }
}

/// Commits (and pushes) a rendered preview and says what happened on stderr.
fn land_publication(args: &PublishArgs, publication: &Publication) -> anyhow::Result<Published> {
    let repo = Repo::open(&args.repo)?;
    let push = args.push.push();
    let done = publish_preview(&repo, publication, push.as_ref(), &mut say).map_err(gitops_error)?;
    let dir = format!("previews/{}", publication.namespace);
    match &done.commit {
        None => {
            let holder =
                push.as_ref().map_or_else(|| repo.branch().to_owned(), |p| format!("{}/{}", p.remote, repo.branch()));
            say(&format!("{dir} on {holder} already holds exactly this; nothing to commit"));
        }
        Some(commit) => say(&format!(
            "{} {dir} ({} objects, PR #{}, expires {}): {}",
            if done.existed { "updated" } else { "published" },
            publication.files.len(),
            publication.pr,
            format_time(done.meta.expires()),
            landed(Some(commit), &repo, push.as_ref())
        )),
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
    let repo = Repo::open(&args.repo)?;
    let push = args.push.push();
    let now = args.now.unwrap_or_else(Timestamp::now);
    let done = unpublish_pr(&repo, args.pr, args.app.as_deref(), now, push.as_ref(), &mut say)?;
    for (name, reason) in &done.unreadable {
        say(&format!("warning: left previews/{name} alone: {reason}"));
    }
    let of_app = args.app.as_ref().map(|a| format!(" of app {a}")).unwrap_or_default();
    if done.removed.is_empty() {
        let already: Vec<String> =
            done.already.iter().map(|t| format!("{} (removed {})", t.meta.namespace, format_time(t.removed))).collect();
        let note =
            if already.is_empty() { String::new() } else { format!(" (already removed: {})", already.join(", ")) };
        say(&format!("no preview of PR #{}{of_app} in {}{note}; nothing to do", args.pr, repo.dir().display()));
        if !done.others.is_empty() && done.already.is_empty() {
            // A PREVIEW_APP that is not the spec's metadata.name would otherwise leak the preview
            // until gc, with a green job.
            say(&format!(
                "warning: PR #{} has previews of other apps: {}; if one of them is this pull request's, --app is \
                 wrong (it must be the spec's metadata.name)",
                args.pr,
                unpublish::by_app(done.others.iter()).join(", ")
            ));
        }
    } else {
        let names: Vec<&str> = done.removed.iter().map(|m| m.namespace.as_str()).collect();
        say(&format!("removed {}: {}", names.join(", "), landed(done.commit.as_ref(), &repo, push.as_ref())));
    }
    Ok(())
}

pub fn gc(args: &GcArgs) -> anyhow::Result<()> {
    let repo = Repo::open(&args.repo)?;
    let policy = Policy {
        now: args.now.unwrap_or_else(Timestamp::now),
        ttl: args.ttl.clone(),
        max: args.max,
        grace: args.grace.clone(),
    };
    let push = args.push.push();
    let plan = if args.dry_run {
        gc::dry_run(&repo, &policy, push.as_ref().map(|p| p.remote.as_str()))?
    } else {
        let done = gc::collect(&repo, &policy, push.as_ref(), &mut say)?;
        match &done.commit {
            None => say(&format!("nothing to remove among {} previews", done.plan.previews)),
            Some(commit) => say(&format!(
                "removed {} of {} previews, purged {} removed earlier: {}",
                done.plan.remove.len(),
                done.plan.previews,
                done.plan.purge.len(),
                landed(Some(commit), &repo, push.as_ref())
            )),
        }
        done.plan
    };
    for skipped in &plan.skipped {
        say(&format!("warning: left {} alone: {}", skipped.path, skipped.reason));
    }
    std::io::stdout().lock().write_all(plan.to_json().as_bytes()).context("cannot write to stdout")?;
    Ok(())
}
