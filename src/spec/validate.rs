//! A defaulted [`Preview`] → a [`Model`], or every problem in it. This is the only place that
//! decides whether a spec is acceptable; it evaluates templates, fixes names and layers the
//! dependency graph, so rendering cannot fail on user input.

use super::check::{format_duration, is_sha, parse_duration};
use super::defaults::{Inputs, PrField};
use super::lockfile::Lock;
use super::model::{Ingress, Model, Pr, Restore, Spot, Ttl};
use super::namespace::{Taken, namespace_of_its_own, preview_namespace};
use super::problem::{Collector, Problem};
use super::types::{API_VERSION, KIND, Preview, PreviewSpec, SpotPolicy, SpotProvider};
use super::{annotations, services, stores};
use crate::render::naming::{MAX_LABEL, fit, is_dns_subdomain, is_dns1123_label};
use crate::template::{PrVars, StagingVars, Templates, Vars, slug};

/// Shared state while validating: the problems so far, the template engine and its variables.
pub(crate) struct Ctx<'a> {
    pub problems: Collector,
    pub templates: Templates,
    pub vars: Vars,
    pub lock: Option<&'a Lock>,
    /// `spec.namespace`, to find the namespace of another pull request's preview.
    pub namespace_template: String,
}

impl Ctx<'_> {
    /// The namespace the spec's template gives the pull request `pr`, shortened as the preview's
    /// own is.
    pub fn namespace_for(&self, pr: PrVars) -> Result<String, String> {
        let vars = Vars { namespace: None, pr, service: None, ..self.vars.clone() };
        self.templates.render(&self.namespace_template, &vars).map(|ns| fit(&ns, MAX_LABEL))
    }

    /// Evaluates the template at `path`, recording a failure.
    pub fn template(&mut self, path: &str, source: &str) -> Option<String> {
        match self.templates.render(source, &self.vars) {
            Ok(out) => Some(out),
            Err(e) => {
                self.problems.error(path, e);
                None
            }
        }
    }

    /// Records an error unless `value` is a DNS-1123 label.
    pub fn label(&mut self, path: &str, value: &str) {
        if !is_dns1123_label(value) {
            self.problems.error(
                path,
                format!("`{value}` is not a DNS-1123 label: lowercase letters, digits and `-`, at most 63 characters"),
            );
        }
    }

    /// Records an error unless `value` is a DNS-1123 subdomain.
    pub fn subdomain(&mut self, path: &str, value: &str) {
        if !is_dns_subdomain(value) {
            self.problems.error(
                path,
                format!(
                    "`{value}` is not a DNS-1123 subdomain: dot-separated lowercase labels, at most 253 characters"
                ),
            );
        }
    }

    /// Reads one of `values` (a spelling and its value), recording an unknown spelling with the
    /// accepted ones and a guess.
    pub fn choose<T: Copy>(&mut self, path: &str, text: &str, values: &[(&'static str, T)]) -> Option<T> {
        if let Some((_, value)) = values.iter().find(|(name, _)| *name == text) {
            return Some(*value);
        }
        let names: Vec<&str> = values.iter().map(|(name, _)| *name).collect();
        let guess = super::problem::did_you_mean(text, names.iter().copied())
            .map(|g| format!(", did you mean `{g}`?"))
            .unwrap_or_default();
        let accepted = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
        self.problems.error(path, format!("unknown value `{text}`; accepted: {accepted}{guess}"));
        None
    }

    /// Parses a duration at `path`, recording a failure.
    pub fn duration(&mut self, path: &str, text: &str) -> Option<Ttl> {
        match parse_duration(text) {
            Ok(seconds) => Some(Ttl { text: format_duration(seconds), seconds }),
            Err(e) => {
                self.problems.error(path, e);
                None
            }
        }
    }
}

/// Checks a spec that went through [`super::defaults::apply`] and builds its model. Every
/// problem is returned at once; warnings ride along in [`Model::warnings`].
///
/// `sources` names where pull-request fields can be given, for the messages when one is missing.
pub fn validate(preview: &Preview, lock: Option<&Lock>, inputs: &Inputs) -> Result<Model, Vec<Problem>> {
    let sources = &inputs.sources;
    let vars = Vars { sources: sources.clone(), ..Vars::default() };
    let namespace_template = preview.spec.namespace.clone().unwrap_or_default();
    let mut ctx = Ctx { problems: Collector::default(), templates: Templates::new(), vars, lock, namespace_template };
    if preview.api_version != API_VERSION {
        ctx.problems.error("apiVersion", format!("expected `{API_VERSION}`, found `{}`", preview.api_version));
    }
    if preview.kind != KIND {
        ctx.problems.error("kind", format!("expected `{KIND}`, found `{}`", preview.kind));
    }
    let app = preview.metadata.name.clone();
    ctx.label("metadata.name", &app);

    let spec = &preview.spec;
    let pr = pull_request(&mut ctx, spec);
    ctx.vars = Vars {
        name: app.clone(),
        namespace: None,
        pr: pr_vars(pr.number, pr.head_sha.clone(), pr.branch.clone()),
        staging: StagingVars { namespace: String::new() },
        service: None,
        sources: sources.clone(),
    };

    let staging = spec.staging.clone().unwrap_or_default();
    let staging_namespace = staging.namespace.unwrap_or_default();
    ctx.label("spec.staging.namespace", &staging_namespace);
    ctx.vars.staging.namespace.clone_from(&staging_namespace);

    let namespace = preview_namespace(&mut ctx, spec.namespace.as_deref().unwrap_or_default(), &pr);
    ctx.vars.namespace = Some(namespace.clone());

    let ttl = ctx.duration("spec.ttl", spec.ttl.as_deref().unwrap_or_default());
    let ingress = ingress(&mut ctx, spec);
    let restore = restore(&mut ctx, spec, inputs.image());
    let nodes = spec.nodes.clone().unwrap_or_default();
    let provider = ctx.choose("spec.nodes.spot", nodes.spot.as_deref().unwrap_or_default(), SpotProvider::VALUES);
    let policy = ctx.choose("spec.nodes.policy", nodes.policy.as_deref().unwrap_or_default(), SpotPolicy::VALUES);

    if spec.services.is_empty() && spec.data_stores.is_empty() {
        ctx.problems.error(
            "spec",
            "the preview has neither services nor dataStores; an empty render would make Argo CD prune the environment",
        );
    }
    let stores = stores::validate(&mut ctx, spec);
    let velero = spec.restore.as_ref().and_then(|r| r.velero_namespace.as_deref()).unwrap_or_default();
    let taken = Taken { staging: &staging_namespace, ingress: &ingress, velero, stores: &stores };
    namespace_of_its_own(&mut ctx, &namespace, &taken);
    let services = services::validate(&mut ctx, spec, &namespace, &stores, &ingress, pr.number);

    if ctx.problems.has_errors() {
        return Err(ctx.problems.into_vec());
    }
    Ok(Model {
        app,
        namespace,
        pr,
        ttl: ttl.unwrap_or(Ttl { text: String::new(), seconds: 0 }),
        ingress,
        staging_namespace,
        spot: Spot {
            provider: provider.unwrap_or(SpotProvider::None),
            policy: policy.unwrap_or(SpotPolicy::Preferred),
        },
        services,
        stores,
        restore: restore.unwrap_or_else(|| Restore {
            velero_namespace: String::new(),
            image: String::new(),
            timeout: Ttl { text: String::new(), seconds: 0 },
        }),
        warnings: ctx.problems.into_vec(),
    })
}

fn pull_request(ctx: &mut Ctx<'_>, spec: &PreviewSpec) -> Pr {
    let written = spec.pull_request.clone().unwrap_or_default();
    let number = match written.number {
        Some(0) => {
            ctx.problems.error("spec.pullRequest.number", "pull request numbers start at 1");
            0
        }
        Some(n) => n,
        None => {
            ctx.problems.error(
                "spec.pullRequest.number",
                format!("the pull request number is not set: {}", ctx.vars.sources.hint(PrField::Number)),
            );
            0
        }
    };
    let head_sha = written.head_sha.map(|sha| {
        let sha = sha.trim().to_ascii_lowercase();
        if !is_sha(&sha) {
            ctx.problems.error(
                "spec.pullRequest.headSha",
                format!("`{sha}` is not a commit SHA: 7 to 64 hex digits (give the full 40)"),
            );
        }
        sha
    });
    let branch = written.branch.inspect(|branch| {
        if branch.is_empty() || branch.len() > 255 || branch.chars().any(char::is_control) {
            ctx.problems.error("spec.pullRequest.branch", "a branch is 1 to 255 characters without control characters");
        }
    });
    Pr { number, head_sha, branch }
}

/// The `pr.*` variables of a pull request.
pub(crate) fn pr_vars(number: u64, head_sha: Option<String>, branch: Option<String>) -> PrVars {
    PrVars {
        number,
        short_sha: head_sha.as_ref().map(|s| s.chars().take(7).collect()),
        head_sha,
        branch_slug: branch.as_deref().map(|b| slug(b, 50)),
        branch,
    }
}

fn ingress(ctx: &mut Ctx<'_>, spec: &PreviewSpec) -> Ingress {
    let written = spec.ingress.clone().unwrap_or_default();
    let domain = spec.domain.as_deref().and_then(|d| ctx.template("spec.domain", d)).inspect(|d| {
        ctx.subdomain("spec.domain", d);
    });
    if let Some(class) = &written.class_name {
        ctx.subdomain("spec.ingress.className", class);
    }
    let tls_secret = written.tls.map(|t| t.secret_name);
    if let Some(secret) = &tls_secret {
        ctx.subdomain("spec.ingress.tls.secretName", secret);
    }
    let controller_namespace = written.controller_namespace.unwrap_or_default();
    ctx.label("spec.ingress.controllerNamespace", &controller_namespace);
    annotations::check(ctx, "spec.ingress.annotations", &written.annotations);
    Ingress {
        domain,
        class_name: written.class_name,
        tls_secret,
        annotations: written.annotations,
        controller_namespace,
    }
}

fn restore(ctx: &mut Ctx<'_>, spec: &PreviewSpec, image: &str) -> Option<Restore> {
    let written = spec.restore.clone().unwrap_or_default();
    let velero_namespace = written.velero_namespace.unwrap_or_default();
    ctx.label("spec.restore.veleroNamespace", &velero_namespace);
    if let Err(e) = super::check::check_image(image) {
        ctx.problems.error("spec.restore", format!("the platform's kpreview image (KPREVIEW_IMAGE): {e}"));
    }
    let timeout = ctx.duration("spec.restore.timeout", written.timeout.as_deref().unwrap_or_default())?;
    Some(Restore { velero_namespace, image: image.to_owned(), timeout })
}
