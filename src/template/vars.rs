//! The variables a template sees (SPEC §1), and how a template that names a missing or misspelt
//! one is explained.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Context;
use crate::pr::{PrField, PrSources};

/// The variables of SPEC §1: `name`, `namespace`, `pr.*`, `staging.namespace` and, in staging
/// URLs, `service`. A value that is not known is `null` in the [`Context`], so using it fails and
/// says where to give it (or falls back through `default`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Vars {
    /// The application family (`metadata.name`).
    pub name: String,
    /// The preview's namespace; absent while the namespace template itself is evaluated.
    pub namespace: Option<String>,
    /// The pull request.
    pub pr: PrVars,
    /// Staging settings.
    pub staging: StagingVars,
    /// The service a staging URL is for.
    pub service: Option<String>,
    /// `domain`, the base domain of public hosts, once evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// `services.<name>.host`, `.url`, `.internalUrl` of the preview's services.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, ServiceVars>,
    /// The service whose field is being evaluated, for messages; not a variable.
    #[serde(skip)]
    pub asking: Option<String>,
    /// Where pull-request fields can be given, for messages; not a variable.
    #[serde(skip)]
    pub sources: PrSources,
}

impl Vars {
    /// The template context: these variables as a tree, `None` as `null`.
    pub fn context(&self) -> Context {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// `pr.*` template variables.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrVars {
    /// `pr.number`.
    pub number: u64,
    /// `pr.headSha`, the full SHA.
    pub head_sha: Option<String>,
    /// `pr.shortSha`, its first 7 characters.
    pub short_sha: Option<String>,
    /// `pr.branch`.
    pub branch: Option<String>,
    /// `pr.branchSlug`: lowercase, runs of other characters as `-`, at most 50.
    pub branch_slug: Option<String>,
}

/// `services.<name>.*` template variables. Only exposed services have `host` and `url`; only
/// services with a port have `internalUrl`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceVars {
    /// Its public host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Its public URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `http://<name>`, its Service inside the namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_url: Option<String>,
}

/// `staging.*` template variables.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StagingVars {
    /// `staging.namespace`.
    pub namespace: String,
}

/// The variables of SPEC §1, for messages.
pub(super) const KNOWN: &[&str] = &[
    "name",
    "namespace",
    "pr.number",
    "pr.headSha",
    "pr.shortSha",
    "pr.branch",
    "pr.branchSlug",
    "staging.namespace",
    "service",
    "domain",
    "services.<name>.host",
    "services.<name>.url",
    "services.<name>.internalUrl",
];

/// A clear message for a misspelt variable, or a known one without a value in this render.
pub(super) fn unknown_variable(used: &[String], vars: &Vars) -> Option<String> {
    let pr = &vars.pr;
    used.iter().find_map(|name| {
        let (missing, hint) = match name.as_str() {
            "pr.headSha" | "pr.shortSha" => (pr.head_sha.is_none(), vars.sources.hint(PrField::HeadSha)),
            "pr.branch" | "pr.branchSlug" => (pr.branch.is_none(), vars.sources.hint(PrField::Branch)),
            "namespace" => {
                (vars.namespace.is_none(), "the namespace is not known yet where it is being named".to_owned())
            }
            "service" => (vars.service.is_none(), "`service` exists only in `spec.staging.url`".to_owned()),
            "domain" => (vars.domain.is_none(), "`spec.domain` is not set (or is being evaluated)".to_owned()),
            other if other.starts_with("services.") => return service_variable(other, vars),
            other if other.starts_with("pr.") || other.starts_with("staging.") => {
                if KNOWN.contains(&other) {
                    return None;
                }
                let guess = super::guess(other, KNOWN.iter().copied())
                    .map(|g| format!("did you mean `{g}`? "))
                    .unwrap_or_default();
                return Some(format!("`{other}` is not a variable; {guess}known: {}", KNOWN.join(", ")));
            }
            _ => (false, String::new()),
        };
        missing.then(|| format!("`{name}` has no value: {hint}"))
    })
}

/// Why `services.<name>.<field>` has no value: no such service, a field that does not exist, or
/// a service that is not exposed (or has no port), naming the service that asked.
fn service_variable(used: &str, vars: &Vars) -> Option<String> {
    let mut parts = used.splitn(3, '.').skip(1);
    let (name, field) = (parts.next().unwrap_or_default(), parts.next());
    let asking = vars.asking.as_deref().map(|a| format!("`{a}` asks for `{used}`, but ")).unwrap_or_default();
    let Some(service) = vars.services.get(name) else {
        let names: Vec<&str> = vars.services.keys().map(String::as_str).collect();
        let guess = crate::k8s::suggest::did_you_mean(name, names.iter().copied())
            .map(|g| format!(" did you mean `{g}`?"))
            .unwrap_or_default();
        return Some(format!("{asking}`{name}` is not a service of this preview;{guess} known: {}", names.join(", ")));
    };
    match field {
        Some("host" | "url") if service.host.is_none() => Some(format!(
            "{asking}`{name}` is not exposed: only exposed services have a host and a url (set `expose: true` on `{name}`)"
        )),
        Some("internalUrl") if service.internal_url.is_none() => {
            Some(format!("{asking}`{name}` has no port, so no Service to call"))
        }
        Some("host" | "url" | "internalUrl") => None,
        _ => Some(format!("`{used}` is not a variable; a service has `host`, `url` and `internalUrl`")),
    }
}
