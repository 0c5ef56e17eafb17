//! What a publish lands and what its pull-request comment says, from either source: a spec's
//! render ([`FromSpec`]) or an overlay's build ([`FromOverlay`]). Pure: landing the files is
//! [`super::publish`]'s, printing the comment the caller's.

use jiff::Timestamp;

use super::keep;
use super::overlay::{Overlay, OverlayError};
use super::publish::{Publication, Published};
use super::requests::requests;
use super::summary::{Summary, age, summary};
use crate::fault::{Fault, HasFault};
use crate::plan::{Plan, PlanError, mermaid, outside};
use crate::policy::Policy;
use crate::pr::{PrField, PrSources};
use crate::render::Manifests;
use crate::spec::lockfile::Lock;
use crate::spec::model::Model;
use crate::yaml::{self, WriteError};

/// Where an overlay's head commit comes from, for the message when it has none.
const OVERLAY_SHA_HINT: &str = "give it with --sha or spec.pullRequest.headSha (the generator writes it on the Namespace \
                                as kpreview.dev/head-sha)";

/// When and how a publish lands, as its command was told.
#[derive(Debug, Clone, Copy)]
pub struct Landing {
    /// The time of this publish.
    pub now: Timestamp,
    /// Publish even when the preview there is newer than `now`.
    pub force: bool,
    /// The most live previews the repository may hold (`--max`).
    pub max: Option<usize>,
}

/// Why a render or a build cannot be published.
#[derive(Debug, thiserror::Error)]
pub enum PublicationError {
    /// Nothing gave the head commit, which `preview.json` records.
    #[error("{name}: publish records the head commit: {hint}")]
    NoHeadSha {
        /// The spec or the overlay.
        name: String,
        /// Where it can be given.
        hint: String,
    },
    /// The overlay's build is not one preview the platform allows.
    #[error(transparent)]
    Overlay(#[from] OverlayError),
    /// An object could not be written as YAML.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The manifests do not match the model (a bug).
    #[error(transparent)]
    Plan(#[from] PlanError),
}

impl HasFault for PublicationError {
    fn fault(&self) -> Fault {
        match self {
            Self::NoHeadSha { .. } => Fault::Input,
            Self::Overlay(e) => e.fault(),
            Self::Write(_) | Self::Plan(_) => Fault::Environment,
        }
    }
}

/// A spec's render, ready to publish, with what its comment says that only the model knows.
#[derive(Debug)]
pub struct FromSpec<'m> {
    /// What lands.
    pub publication: Publication,
    model: &'m Model,
    /// The sync plan's Mermaid diagram in a collapsed block.
    sync_plan: String,
    /// What the preview uses outside itself.
    outside: Vec<String>,
}

impl<'m> FromSpec<'m> {
    /// The publication of `manifests`, rendered from `model` of the spec `name`; `sources` say
    /// where a missing head commit could be given.
    pub fn new(
        model: &'m Model,
        manifests: &Manifests,
        name: &str,
        sources: &PrSources,
        landing: Landing,
    ) -> Result<Self, PublicationError> {
        let sha = model.pr.head_sha.clone().ok_or_else(|| PublicationError::NoHeadSha {
            name: name.to_owned(),
            hint: sources.hint(PrField::HeadSha),
        })?;
        let files = manifests.files()?;
        let plan = Plan::of(model, manifests)?;
        let sync_plan = format!(
            "<details><summary>Sync plan</summary>\n\n```mermaid\n{}\n```\n\n</details>",
            mermaid(&plan).trim_end()
        );
        let publication = Publication {
            app: model.app.clone(),
            namespace: model.namespace.clone(),
            pr: model.pr.number,
            sha,
            branch: model.pr.branch.clone(),
            ttl: model.ttl.clone(),
            files,
            now: landing.now,
            force: landing.force,
            max: landing.max,
        };
        Ok(Self { publication, model, sync_plan, outside: outside(&plan) })
    }

    /// The PR comment after `done`: with `lock`, when each pinned snapshot was taken.
    pub fn comment(&self, lock: Option<&Lock>, done: &Published) -> String {
        let mut summary = summary(self.model, &done.meta);
        summary.outside.clone_from(&self.outside);
        if let Some(lock) = lock {
            for store in &mut summary.stores {
                if let Some(locked) = lock.snapshots.get(&store.name) {
                    store.taken = age(&locked.start_time, done.meta.updated);
                }
            }
        }
        enrich(&mut summary, &self.publication, done);
        summary.to_markdown(Some(&self.sync_plan))
    }
}

/// An overlay's build, ready to publish.
#[derive(Debug)]
pub struct FromOverlay {
    /// What lands.
    pub publication: Publication,
    overlay: Overlay,
}

impl FromOverlay {
    /// The publication of what the overlay `name` built, once its namespace is the one `policy`
    /// gives and its objects stay within `policy` (`platform_image`, the restore and cleanup Jobs'
    /// kpreview image, is the platform's and passes).
    pub fn new(
        overlay: Overlay,
        name: &str,
        (policy, platform_image): (&Policy, &str),
        landing: Landing,
    ) -> Result<Self, PublicationError> {
        overlay.check_namespace(name, policy)?;
        overlay.check_ttl(name, policy)?;
        let sha = overlay
            .sha
            .clone()
            .ok_or_else(|| PublicationError::NoHeadSha { name: name.to_owned(), hint: OVERLAY_SHA_HINT.to_owned() })?;
        overlay.police(name, policy, platform_image)?;
        let publication = Publication {
            app: overlay.app.clone(),
            namespace: overlay.namespace.clone(),
            pr: overlay.pr,
            sha,
            branch: overlay.branch.clone(),
            ttl: overlay.ttl.clone(),
            files: overlay.files()?,
            now: landing.now,
            force: landing.force,
            max: landing.max,
        };
        Ok(Self { publication, overlay })
    }

    /// The PR comment after `done`, read off the objects (no sync plan: there is no model).
    pub fn comment(&self, done: &Published) -> String {
        let mut summary = super::overlay::summary::summary(&self.overlay.objects, &done.meta);
        enrich(&mut summary, &self.publication, done);
        summary.to_markdown(None)
    }
}

/// What the summary says beyond the render: requests, keep, the cap's evictions.
fn enrich(summary: &mut Summary, publication: &Publication, done: &Published) {
    if summary.requests.is_none() {
        let objects: Vec<serde_json::Value> = publication
            .files
            .iter()
            .filter_map(|(_, text)| yaml::value_from_str(text, yaml::Limits::Stream).ok())
            .collect();
        summary.requests = Some(requests(&objects));
    }
    summary.kept = keep::describe(&done.meta, done.meta.updated);
    summary.evicted = done.evicted.iter().map(|m| (m.namespace.clone(), m.pr)).collect();
    summary.max = publication.max;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::meta::{Keep, PreviewMeta, parse_time};
    use crate::render::render;
    use crate::spec::defaults::Inputs;

    const SNAPSHOT: &str = include_str!("../../testdata/seed-snapshot-tags/preview.yaml");
    const LOCK: &str = include_str!("../../testdata/seed-snapshot-tags/preview.lock");
    const DEPENDENCIES: &str = include_str!("../../testdata/dependency-overrides/preview.yaml");

    fn landing() -> Landing {
        Landing { now: parse_time("2026-11-23T10:30:00Z").unwrap(), force: false, max: Some(2) }
    }

    fn model(text: &str, lock: Option<&Lock>) -> Model {
        crate::policy::prepare(text, "preview.yaml", &Inputs::default(), lock, &Policy::default())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// What the repository records for `p`, published for the first time.
    fn done(p: &Publication) -> Published {
        Published {
            meta: PreviewMeta {
                app: p.app.clone(),
                namespace: p.namespace.clone(),
                pr: p.pr,
                sha: p.sha.clone(),
                branch: p.branch.clone(),
                created: p.now,
                updated: p.now,
                ttl: p.ttl.clone(),
                kept: Keep::No,
                sleeping: None,
                woken: None,
            },
            existed: false,
            commit: None,
            pushed: false,
            evicted: Vec::new(),
            over_max_kept: 0,
            woke: None,
        }
    }

    #[test]
    fn a_spec_publishes_its_render_and_comments_with_its_plan_and_snapshot_ages() {
        let lock = Lock::parse(LOCK).unwrap();
        let model = model(SNAPSHOT, Some(&lock));
        let manifests = render(&model);
        let prepared = FromSpec::new(&model, &manifests, "preview.yaml", &PrSources::cli(), landing()).unwrap();
        let p = &prepared.publication;
        assert_eq!((p.app.as_str(), p.namespace.as_str(), p.pr), ("ledger", "ledger-pr-88", 88));
        assert_eq!(p.files, manifests.files().unwrap());
        assert_eq!((p.max, p.force), (Some(2), false));
        let md = prepared.comment(Some(&lock), &done(p));
        assert!(md.contains("taken 2026-11-20T03:00:00Z, 3d 7h before this publish"), "{md}");
        assert!(md.contains("**Requests:** "), "{md}");
        assert!(md.contains("<!-- kpreview:sync-plan -->\n\n<details><summary>Sync plan</summary>\n\n```mermaid\n"));
        assert!(md.ends_with("```\n\n</details>\n"), "{md}");
        assert!(!prepared.comment(None, &done(p)).contains("taken "), "no lock, no age");
    }

    #[test]
    fn a_spec_s_comment_lists_what_is_outside_what_is_kept_and_what_the_cap_took_down() {
        let model = model(DEPENDENCIES, None);
        let manifests = render(&model);
        let prepared = FromSpec::new(&model, &manifests, "preview.yaml", &PrSources::cli(), landing()).unwrap();
        let mut done = done(&prepared.publication);
        done.meta.kept = Keep::Indefinitely;
        done.evicted = vec![PreviewMeta { namespace: "shop-pr-1".into(), pr: 1, ..done.meta.clone() }];
        let md = prepared.comment(None, &done);
        assert!(md.contains("**Outside the preview:** "), "{md}");
        assert!(md.contains("Kept **until `kpreview keep --off`**"), "{md}");
        assert!(md.contains("cap of 2 previews, this publish took down the oldest: shop-pr-1 (#1)."), "{md}");
    }

    #[test]
    fn a_spec_without_a_head_commit_is_refused_saying_where_to_give_it() {
        let text = SNAPSHOT
            .replace(", headSha: 89abcdef0123456789abcdef0123456789abcdef", "")
            .replace("{{ pr.shortSha }}", "1");
        let model = model(&text, Some(&Lock::parse(LOCK).unwrap()));
        let err = FromSpec::new(&model, &render(&model), "preview.yaml", &PrSources::cli(), landing()).unwrap_err();
        assert_eq!(err.fault(), Fault::Input);
        assert_eq!(
            err.to_string(),
            "preview.yaml: publish records the head commit: give `--sha`, `spec.pullRequest.headSha` or `PREVIEW_HEAD_SHA`"
        );
    }

    fn overlay(namespace: &str, sha: &str) -> Overlay {
        let stream = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n  labels:\n    kpreview.dev/preview: {namespace}\n    kpreview.dev/app: shop\n    kpreview.dev/pr: \"7\"\n    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/audit: restricted\n    pod-security.kubernetes.io/warn: restricted\n  annotations:\n    kpreview.dev/ttl: 24h\n{sha}---\n{QUOTA}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: {namespace}}}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{{name: web, image: w, resources: {{requests: {{cpu: 250m}}}}}}]\n"
        );
        super::super::overlay::read(&stream, "deploy/preview", &crate::spec::defaults::PrFields::default()).unwrap()
    }

    const SHA: &str = "    kpreview.dev/head-sha: abc1234\n";
    const IMAGE: &str = crate::spec::defaults::IMAGE;
    /// The ResourceQuota as the generator renders it, within the built-in policy.
    const QUOTA: &str = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: preview}\nspec: {hard: {requests.cpu: \"1\", requests.memory: 1Gi, limits.memory: 1Gi, pods: \"6\", persistentvolumeclaims: \"0\", services.loadbalancers: \"0\", services.nodeports: \"0\"}}\n";

    #[test]
    fn an_overlay_publishes_what_it_built_and_comments_from_its_objects() {
        let built = overlay("shop-pr-7", SHA);
        let files = built.files().unwrap();
        let prepared = FromOverlay::new(built, "deploy/preview", (&Policy::default(), IMAGE), landing()).unwrap();
        let p = &prepared.publication;
        assert_eq!((p.namespace.as_str(), p.sha.as_str(), p.ttl.as_str()), ("shop-pr-7", "abc1234", "24h"));
        assert_eq!(p.files, files);
        let md = prepared.comment(&done(p));
        assert!(md.contains("**Requests:** 0.5 CPU, 0 memory, 0 storage, 2 pods (quota: at most requests.cpu 1, requests.memory 1Gi, pods 6).\n"), "{md}");
        assert!(md.ends_with("<!-- kpreview:sync-plan -->\n"), "no plan without a model: {md}");
    }

    #[test]
    fn an_overlay_that_moved_its_namespace_or_lacks_a_head_commit_is_refused() {
        let err = FromOverlay::new(overlay("staging", SHA), "deploy/preview", (&Policy::default(), IMAGE), landing())
            .unwrap_err();
        assert!(matches!(err, PublicationError::Overlay(OverlayError::MovedNamespace(_))), "{err}");
        assert_eq!(err.fault(), Fault::Input);
        let err = FromOverlay::new(overlay("shop-pr-7", ""), "deploy/preview", (&Policy::default(), IMAGE), landing())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "deploy/preview: publish records the head commit: give it with --sha or spec.pullRequest.headSha (the \
             generator writes it on the Namespace as kpreview.dev/head-sha)"
        );
    }

    #[test]
    fn an_overlay_beyond_the_policy_is_refused_with_every_violation() {
        let built = overlay("shop-pr-7", SHA);
        let mut objects = built.objects.clone();
        let web = objects.iter_mut().find(|o| o["kind"] == "Deployment").unwrap();
        web["spec"]["replicas"] = 500.into();
        web["spec"]["template"]["spec"]["hostNetwork"] = true.into();
        let err =
            FromOverlay::new(Overlay { objects, ..built }, "deploy/preview", (&Policy::default(), IMAGE), landing())
                .unwrap_err();
        assert_eq!(err.fault(), Fault::Input);
        let PublicationError::Overlay(OverlayError::Policed { violations, .. }) = &err else { panic!("{err}") };
        let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["spec.template.spec.hostNetwork", "spec.replicas"], "{err}");
        assert!(
            err.to_string().contains(
                "Deployment/web: spec.replicas: 500 replicas; `limits.replicas` of the built-in policy allows at most 5"
            ),
            "{err}"
        );
    }
}
