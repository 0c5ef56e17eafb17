//! The variables a template sees (SPEC §1), and how a template that names a missing or misspelt
//! one is explained.

use serde::Serialize;

use super::Context;
use crate::spec::defaults::{PrField, PrSources};

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
            other if other.starts_with("pr.") || other.starts_with("staging.") => {
                if KNOWN.contains(&other) {
                    return None;
                }
                let guess = crate::spec::problem::did_you_mean(other, KNOWN.iter().copied())
                    .map(|g| format!("did you mean `{g}`? "))
                    .unwrap_or_default();
                return Some(format!("`{other}` is not a variable; {guess}known: {}", KNOWN.join(", ")));
            }
            _ => (false, String::new()),
        };
        missing.then(|| format!("`{name}` has no value: {hint}"))
    })
}
