//! `results` of a `ResourceList`: what the function tells the orchestrator about the input.
//! Severity is always written: kpt shows a result without one as `info`, though the
//! specification's default is `error`.

use serde::Serialize;

/// How bad a result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The function failed; it exits non-zero.
    Error,
    /// Rendered, but probably not as meant.
    Warning,
    /// What was done.
    Info,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KrmResult {
    /// A lowercase fragment naming the offender and what is accepted.
    pub message: String,
    /// Error, warning or info.
    pub severity: Severity,
    /// The object the result is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_ref: Option<ResourceRef>,
    /// The field the result is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
    /// The file the object came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<File>,
}

/// `resourceRef`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    /// The object's `apiVersion`.
    pub api_version: String,
    /// Its `kind`.
    pub kind: String,
    /// Its `metadata.name`.
    pub name: String,
    /// Its `metadata.namespace`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// `field`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// Field path such as `spec.services.api.port`.
    pub path: String,
}

/// `file`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct File {
    /// Path in the package.
    pub path: String,
    /// Index of the object in a multi-document file.
    #[serde(skip_serializing_if = "is_zero")]
    pub index: u32,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl KrmResult {
    /// A result about nothing in particular.
    pub fn new(severity: Severity, message: impl Into<String>) -> Self {
        Self { message: message.into(), severity, resource_ref: None, field: None, file: None }
    }

    /// The same result, about `field` (nothing when the path is empty).
    #[must_use]
    pub fn at(mut self, field: &str) -> Self {
        self.field = (!field.is_empty()).then(|| Field { path: field.to_owned() });
        self
    }

    /// Whether it is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// One line for stderr about a run's results: the first error and how many more there are;
/// `None` when there is no error. kpt treats an error result with exit 0 as success and writes
/// the package, so the binary fails with this line.
pub fn error_summary(results: &[KrmResult]) -> Option<String> {
    let errors: Vec<&KrmResult> = results.iter().filter(|r| r.is_error()).collect();
    let first = errors.first()?;
    let mut line = String::new();
    if let Some(file) = &first.file {
        line.push_str(&file.path);
        line.push_str(": ");
    }
    if let Some(field) = &first.field {
        line.push_str(&field.path);
        line.push_str(": ");
    }
    line.push_str(&first.message);
    if errors.len() > 1 {
        line.push_str(" (and ");
        line.push_str(&(errors.len() - 1).to_string());
        line.push_str(" more errors in the function's results)");
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_the_first_error_and_counts_the_rest() {
        let info = KrmResult::new(Severity::Info, "rendered");
        assert_eq!(error_summary(std::slice::from_ref(&info)), None);
        let mut first = KrmResult::new(Severity::Error, "bad").at("spec.x");
        first.file = Some(File { path: "apps/preview.yaml".to_owned(), index: 0 });
        let second = KrmResult::new(Severity::Error, "worse");
        assert_eq!(
            error_summary(&[info, first, second]).as_deref(),
            Some("apps/preview.yaml: spec.x: bad (and 1 more errors in the function's results)")
        );
    }
}
