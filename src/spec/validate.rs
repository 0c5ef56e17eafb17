//! A defaulted [`Preview`] → a [`Model`], or every problem in it. This is the only place that
//! decides whether a spec is acceptable; it evaluates templates, fixes names and layers the
//! dependency graph, so rendering cannot fail on user input.

use super::check::is_sha;
use super::defaults::{self, Given, Inputs, Number, Origin, PrField};
use super::lockfile::Lock;
use super::model::{Duration, Ingress, Model, Pr, Restore, Spot};
use super::namespace::{Taken, namespace_of_its_own, platform_namespaces, preview_namespace};
use super::problem::{Collector, Problem};
use super::types::{API_VERSION, KIND, Preview, PreviewSpec, SpotPolicy, SpotProvider};
use super::{annotations, routing, secrets, services, stores};
use crate::k8s::naming::{MAX_LABEL, fit, is_dns_subdomain, is_dns1123_label};
use crate::template::{PrVars, StagingVars, TemplateError, Templates, Vars, slug};

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
    pub fn namespace_for(&mut self, pr: PrVars) -> Result<String, TemplateError> {
        let vars = Vars { namespace: None, pr, service: None, ..self.vars.clone() };
        self.templates.render(&self.namespace_template, &vars).map(|ns| fit(&ns, MAX_LABEL))
    }

    /// Evaluates the template at `path`, recording a failure.
    pub fn template(&mut self, path: &str, source: &str) -> Option<String> {
        match self.templates.render(source, &self.vars) {
            Ok(out) => Some(out),
            Err(e) => {
                self.problems.error(path, e.to_string());
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
        self.problems.error(path, super::problem::unknown_value(text, &names));
        None
    }

    /// Reads one of `values` at `path` where the spec gives one, else `default`.
    pub fn choose_or<T: Copy>(
        &mut self,
        path: &str,
        text: Option<&str>,
        values: &[(&'static str, T)],
        default: T,
    ) -> Option<T> {
        match text {
            Some(text) => self.choose(path, text, values),
            None => Some(default),
        }
    }

    /// The duration at `path`, written the way Go prints it, where the spec gives one (recording
    /// a failure), else `default`.
    pub fn duration(&mut self, path: &str, text: Option<&str>, default: impl FnOnce() -> Duration) -> Option<Duration> {
        let Some(text) = text else { return Some(default()) };
        match Duration::parse(text) {
            Ok(duration) => Some(duration.normalized()),
            Err(e) => {
                self.problems.error(path, e.to_string());
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
    let app = header(&mut ctx, preview);

    let spec = &preview.spec;
    let pr = pull_request(&mut ctx, spec, inputs);
    ctx.vars = Vars {
        name: app.clone(),
        namespace: None,
        pr: pr_vars(pr.number, pr.head_sha.clone(), pr.branch.clone()),
        staging: StagingVars { namespace: String::new() },
        service: None,
        sources: sources.clone(),
        ..Vars::default()
    };

    let staging = spec.staging.clone().unwrap_or_default();
    let staging_namespace = staging.namespace.unwrap_or_default();
    ctx.label("spec.staging.namespace", &staging_namespace);
    ctx.vars.staging.namespace.clone_from(&staging_namespace);

    let namespace = preview_namespace(&mut ctx, spec.namespace.as_deref().unwrap_or_default(), &pr);
    ctx.vars.namespace = Some(namespace.clone());

    let ttl = ctx.duration("spec.ttl", spec.ttl.as_deref(), defaults::ttl);
    let ingress = ingress(&mut ctx, spec);
    let gateway = routing::gateway(&mut ctx, spec);
    ctx.vars.domain.clone_from(&ingress.domain);
    let scheme = routing::scheme(gateway.as_ref(), &ingress);
    ctx.vars.services = routing::service_vars(spec, &namespace, ingress.domain.as_deref(), scheme);
    let secrets = secrets::validate(&mut ctx, spec);
    let restore = restore(&mut ctx, spec, inputs.image());
    let nodes = spec.nodes.clone().unwrap_or_default();
    let provider =
        ctx.choose_or("spec.nodes.spot", nodes.spot.as_deref(), SpotProvider::VALUES, defaults::SPOT_PROVIDER);
    let policy = ctx.choose_or("spec.nodes.policy", nodes.policy.as_deref(), SpotPolicy::VALUES, defaults::SPOT_POLICY);

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
    platform_namespaces(&mut ctx, &taken);
    let services = services::validate(&mut ctx, spec, &namespace, &stores, &ingress, pr.number);

    if ctx.problems.has_errors() {
        return Err(ctx.problems.into_vec());
    }
    Ok(Model {
        app,
        namespace,
        pr,
        ttl: ttl.unwrap_or_else(defaults::ttl),
        ingress,
        gateway,
        secrets,
        staging_namespace,
        spot: Spot {
            provider: provider.unwrap_or(defaults::SPOT_PROVIDER),
            policy: policy.unwrap_or(defaults::SPOT_POLICY),
        },
        services,
        stores,
        restore: restore.unwrap_or_else(|| Restore {
            velero_namespace: String::new(),
            image: String::new(),
            timeout: defaults::restore_timeout(),
        }),
        warnings: ctx.problems.into_vec(),
        ceiling: None,
    })
}

/// `apiVersion`, `kind` and `metadata.name`; returns the application family.
fn header(ctx: &mut Ctx<'_>, preview: &Preview) -> String {
    for (path, given, expected) in [("apiVersion", &preview.api_version, API_VERSION), ("kind", &preview.kind, KIND)] {
        match given.as_deref() {
            Some(found) if found == expected => {}
            Some(found) => ctx.problems.error(path, format!("expected `{expected}`, found `{found}`")),
            None => ctx.problems.error(path, format!("missing: every spec starts with `{path}: {expected}`")),
        }
    }
    let Some(app) = preview.metadata.name.clone() else {
        ctx.problems.error("metadata.name", "missing: name the application family, a DNS-1123 label such as `shop`");
        return "preview".to_owned();
    };
    ctx.label("metadata.name", &app);
    if let Some(namespace) = &preview.metadata.namespace {
        ctx.problems.warning(
            "metadata.namespace",
            format!(
                "`{namespace}` is ignored: a preview's namespace is spec.namespace (default \
                 `{{{{ name }}}}-pr-{{{{ pr.number }}}}`), or the platform policy's; remove metadata.namespace"
            ),
        );
    }
    app
}

/// The pull-request fields merged from flags, spec and environment. A bad value is blamed on the
/// place it came from: the spec's field by its path, a flag or variable by name in the message
/// (`` `--sha` is `xyz`, not a commit SHA``).
fn pull_request(ctx: &mut Ctx<'_>, spec: &PreviewSpec, inputs: &Inputs) -> Pr {
    let merged = defaults::merge(spec.pull_request.as_ref(), inputs);
    // `value` is `what`: "`0` is not a pull request number …".
    let refuse = |ctx: &mut Ctx<'_>, field: PrField, origin: Origin, value: &str, what: &str| {
        let path = format!("spec.pullRequest.{}", field.name());
        match origin {
            Origin::Spec => ctx.problems.error(path, format!("{value} is {what}")),
            Origin::Over | Origin::Under => {
                ctx.problems.error("", format!("{} is {value}, {what}", inputs.sources.name(field, origin)));
            }
        }
    };
    let number = match merged.number {
        Some(Given { value: Number::Parsed(0), origin }) => {
            refuse(ctx, PrField::Number, origin, "`0`", "not a pull request number: they start at 1");
            0
        }
        Some(Given { value: Number::Parsed(n), .. }) => n,
        Some(Given { value: Number::Text(text), origin }) => {
            let what = "not a pull request number: a whole number from 1";
            refuse(ctx, PrField::Number, origin, &format!("`{}`", text.trim()), what);
            0
        }
        Some(Given { value: Number::Reported, .. }) => 0,
        None => {
            let hint = inputs.sources.hint(PrField::Number);
            ctx.problems.error("spec.pullRequest.number", format!("the pull request number is not set: {hint}"));
            0
        }
    };
    let head_sha = merged.head_sha.map(|Given { value, origin }| {
        let sha = value.trim().to_ascii_lowercase();
        if !is_sha(&sha) {
            let what = "not a commit SHA: 7 to 64 hex digits (give the full 40)";
            refuse(ctx, PrField::HeadSha, origin, &format!("`{}`", value.trim()), what);
        }
        sha
    });
    let branch = merged.branch.map(|Given { value, origin }| {
        if value.is_empty() || value.len() > 255 || value.chars().any(char::is_control) {
            let what = "not a branch: 1 to 255 characters without control characters";
            let shown = if value.is_empty() || value.len() > 255 {
                format!("a name of {} characters", value.chars().count())
            } else {
                format!("`{}`", value.escape_debug())
            };
            refuse(ctx, PrField::Branch, origin, &shown, what);
        }
        value
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
    let tls_secret = written.tls.and_then(|t| {
        if t.secret_name.is_none() {
            ctx.problems.error(
                "spec.ingress.tls.secretName",
                "missing: name the TLS Secret (in the preview namespace) that every Ingress serves",
            );
        }
        t.secret_name
    });
    if let Some(secret) = &tls_secret {
        ctx.subdomain("spec.ingress.tls.secretName", secret);
    }
    let controller_namespace =
        written.controller_namespace.unwrap_or_else(|| defaults::INGRESS_CONTROLLER_NAMESPACE.to_owned());
    ctx.label("spec.ingress.controllerNamespace", &controller_namespace);
    annotations::check(ctx, "spec.ingress.annotations", &written.annotations);
    routing::source_cidrs(ctx, &written.source_cidrs);
    Ingress {
        domain,
        class_name: written.class_name,
        tls_secret,
        annotations: written.annotations,
        controller_namespace,
        source_cidrs: written.source_cidrs,
    }
}

fn restore(ctx: &mut Ctx<'_>, spec: &PreviewSpec, image: &str) -> Option<Restore> {
    let written = spec.restore.clone().unwrap_or_default();
    let velero_namespace = written.velero_namespace.unwrap_or_default();
    ctx.label("spec.restore.veleroNamespace", &velero_namespace);
    if let Err(e) = super::check::check_image(image) {
        ctx.problems.error("spec.restore", format!("the platform's kpreview image (KPREVIEW_IMAGE): {e}"));
    }
    let timeout = ctx.duration("spec.restore.timeout", written.timeout.as_deref(), defaults::restore_timeout)?;
    Some(Restore { velero_namespace, image: image.to_owned(), timeout })
}
