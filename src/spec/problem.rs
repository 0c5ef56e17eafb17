//! Problems found in a spec: each names its field path and says what is accepted. Loading and
//! validation collect them all before failing, so a user fixes a spec in one round.

use std::fmt;

pub use crate::k8s::path::{Seg, key_path, render_path};
pub use crate::k8s::suggest::did_you_mean;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The spec cannot be rendered.
    Error,
    /// The spec renders, but probably not as meant.
    Warning,
}

/// One problem at one field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// Field path such as `spec.services.api.port`; empty for the document itself.
    pub path: String,
    /// Lowercase fragment naming the offender and what is accepted.
    pub message: String,
}

impl Problem {
    /// An error at `path`.
    pub fn error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, path: path.into(), message: message.into() }
    }

    /// A warning at `path`.
    pub fn warning(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, path: path.into(), message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

/// Every problem of one spec file; an `Err` of it means nothing was rendered.
#[derive(Debug, Clone, thiserror::Error)]
pub struct Problems {
    /// The file the spec came from, as the user named it.
    pub file: String,
    /// Errors first, then warnings, each group in the order found; at most [`MAX_LISTED`] of
    /// them, then one error that counts the rest.
    pub list: Vec<Problem>,
    /// How many problems the list leaves out.
    pub unlisted: usize,
}

/// Problems listed one by one. A hostile spec can have thousands (one per template that could
/// not run); nobody reads past the first screens, and the output stays bounded.
pub const MAX_LISTED: usize = 100;

impl Problems {
    /// The problems of `file`, errors before warnings, the same one only once.
    pub fn new(file: impl Into<String>, mut list: Vec<Problem>) -> Self {
        let mut seen = std::collections::HashSet::new();
        list.retain(|p| seen.insert(p.clone()));
        list.sort_by_key(|p| p.severity);
        let unlisted = list.len().saturating_sub(MAX_LISTED);
        if unlisted > 0 {
            list.truncate(MAX_LISTED);
            list.push(Problem::error("", format!("and {unlisted} more {} not listed", plural(unlisted, "problem"))));
        }
        Self { file: file.into(), list, unlisted }
    }

    /// How many of the problems are errors (those left out count as errors: errors come first).
    pub fn error_count(&self) -> usize {
        let listed = self.list.iter().filter(|p| p.severity == Severity::Error).count();
        if self.unlisted > 0 { listed - 1 + self.unlisted } else { listed }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.error_count();
        write!(f, "{} is not a valid Preview ({errors} {})", self.file, plural(errors, "error"))?;
        for p in &self.list {
            let label = match p.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            write!(f, "\n  {label}: {}: {p}", self.file)?;
        }
        Ok(())
    }
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 { word.to_owned() } else { format!("{word}s") }
}

/// Collects problems while walking a spec, building paths as it goes.
#[derive(Debug, Default)]
pub struct Collector {
    list: Vec<Problem>,
}

impl Collector {
    /// Records an error.
    pub fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.list.push(Problem::error(path, message));
    }

    /// Records a warning.
    pub fn warning(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.list.push(Problem::warning(path, message));
    }

    /// Records a problem as it is.
    pub fn push(&mut self, problem: Problem) {
        self.list.push(problem);
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|p| p.severity == Severity::Error)
    }

    /// Everything recorded.
    pub fn into_vec(self) -> Vec<Problem> {
        self.list
    }
}

/// "unknown value `redsi`; accepted: `postgres`, `redis`, `mongodb`, did you mean `redis`?"
pub fn unknown_value(given: &str, accepted: &[&str]) -> String {
    let list = accepted.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
    match did_you_mean(given, accepted.iter().copied()) {
        Some(guess) => format!("unknown value `{given}`; accepted: {list}, did you mean `{guess}`?"),
        None => format!("unknown value `{given}`; accepted: {list}"),
    }
}

impl crate::fault::HasFault for Problems {
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::Input
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_and_case() {
        assert_eq!(did_you_mean("imge", ["image", "port"]), Some("image"));
        assert_eq!(did_you_mean("dependson", ["dependsOn", "env"]), Some("dependsOn"));
        assert_eq!(did_you_mean("xyz", ["image", "port"]), None);
    }

    #[test]
    fn a_flood_of_problems_is_counted_beyond_the_first_hundred() {
        let list = (0..MAX_LISTED + 40).map(|i| Problem::error(format!("p{i}"), "bad")).collect();
        let problems = Problems::new("f.yaml", list);
        assert_eq!(problems.list.len(), MAX_LISTED + 1);
        assert_eq!(problems.list[MAX_LISTED].message, "and 40 more problems not listed");
        assert_eq!(problems.error_count(), MAX_LISTED + 40);
        assert!(problems.to_string().starts_with("f.yaml is not a valid Preview (140 errors)"));
    }

    #[test]
    fn unknown_values_list_what_is_accepted_and_guess() {
        assert_eq!(
            unknown_value("redsi", &["postgres", "redis"]),
            "unknown value `redsi`; accepted: `postgres`, `redis`, did you mean `redis`?"
        );
        assert_eq!(unknown_value("mysql", &["postgres"]), "unknown value `mysql`; accepted: `postgres`");
    }

    #[test]
    fn odd_keys_are_quoted() {
        assert_eq!(key_path("spec.services.api.env", "A.B"), "spec.services.api.env[\"A.B\"]");
        assert_eq!(key_path("spec.services", "api"), "spec.services.api");
    }
}
