//! Pull-request fields and the places each can be given (flags, the spec, the environment), so
//! a message names the places that exist where the user runs kpreview. A leaf: it imports
//! nothing of the crate but [`crate::fault`].

/// A pull-request field, to name where it can be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrField {
    /// `pullRequest.number`.
    Number,
    /// `pullRequest.headSha`.
    HeadSha,
    /// `pullRequest.branch`.
    Branch,
}

impl PrField {
    /// The field's name in the spec (`headSha`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Number => "number",
            Self::HeadSha => "headSha",
            Self::Branch => "branch",
        }
    }

    /// A valid stand-in for checking a spec without a pull request: number 1, a SHA of forty
    /// zeros, branch `validate/Placeholder_1`: as hostile as real branches (a `/`, capitals, an
    /// underscore), so a template that only works for tame branch names fails here as in render.
    pub fn placeholder(self) -> &'static str {
        match self {
            Self::Number => "1",
            Self::HeadSha => "0000000000000000000000000000000000000000",
            Self::Branch => "validate/Placeholder_1",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Number => 0,
            Self::HeadSha => 1,
            Self::Branch => 2,
        }
    }
}

/// Where a merged pull-request field came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The place that wins over the spec (a flag, a mode's setting).
    Over,
    /// `spec.pullRequest`.
    Spec,
    /// The place that loses to the spec (`PREVIEW_*`).
    Under,
}

/// How a mode names the two places outside the spec that pull-request fields come from, so a
/// missing field names the places that exist where the user runs kpreview (a flag in the CLI,
/// plugin env in Argo CD, the function config under kpt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrSources {
    /// What wins over the spec, for number, head SHA and branch.
    pub over: [String; 3],
    /// What loses to the spec, for the same three.
    pub under: [String; 3],
}

/// The variables that lose to the spec in every mode.
pub const PREVIEW_ENV: [&str; 3] = ["PREVIEW_PR_NUMBER", "PREVIEW_HEAD_SHA", "PREVIEW_BRANCH"];

impl PrSources {
    /// Places that win over the spec, named as messages should name them, over `PREVIEW_*`.
    pub fn new(over: [String; 3]) -> Self {
        Self { over, under: PREVIEW_ENV.map(|v| format!("`{v}`")) }
    }

    /// Environment variables that win over the spec, over `PREVIEW_*`.
    pub fn variables(over: [&str; 3]) -> Self {
        Self::new(over.map(|v| format!("`{v}`")))
    }

    /// The command line's: `--pr`, `--sha`, `--branch`.
    pub fn cli() -> Self {
        Self::new(["`--pr N`", "`--sha`", "`--branch`"].map(str::to_owned))
    }

    /// "give `--pr N`, `spec.pullRequest.number` or `PREVIEW_PR_NUMBER`".
    pub fn hint(&self, field: PrField) -> String {
        let i = field.index();
        format!("give {}, `spec.pullRequest.{}` or {}", self.over[i], field.name(), self.under[i])
    }

    /// How a message names the place a value came from: `--sha`, `PREVIEW_HEAD_SHA`, or the
    /// spec's field.
    pub fn name(&self, field: PrField, origin: Origin) -> String {
        match origin {
            Origin::Over => self.over[field.index()].clone(),
            Origin::Spec => format!("`spec.pullRequest.{}`", field.name()),
            Origin::Under => self.under[field.index()].clone(),
        }
    }
}

impl Default for PrSources {
    fn default() -> Self {
        Self::cli()
    }
}

/// Text that is not a pull request number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a pull request number; give a whole number from 1 up, such as 42")]
pub struct NotANumber(pub String);

impl crate::fault::HasFault for NotANumber {
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::Input
    }
}

/// A pull request number as a flag or variable gives it. `0` parses, so validation reports it
/// among the spec's other problems.
pub fn parse_number(text: &str) -> Result<u64, NotANumber> {
    text.trim().parse::<u64>().map_err(|_| NotANumber(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_and_anything_else_says_what_is_accepted() {
        assert_eq!(parse_number(" 42 "), Ok(42));
        assert_eq!(parse_number("0"), Ok(0));
        let error = parse_number("4x").expect_err("not a number");
        assert_eq!(error.to_string(), "`4x` is not a pull request number; give a whole number from 1 up, such as 42");
    }
}
