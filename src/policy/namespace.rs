//! The policy's namespace template: plain substitution of `{{ name }}`, `{{ pr.number }}`,
//! `{{ pr.branchSlug }}` and `{{ pr.shortSha }}` between literal DNS-label characters, so that
//! kpreview can both evaluate it for a preview and tell whether any namespace is shaped like
//! some preview's (a Velero seed must not restore another preview).

use crate::fault::{Fault, HasFault};
use crate::k8s::naming::{MAX_LABEL, fit};
use crate::spec::model::Pr;
use crate::template::slug;

/// Most parts a template may have: a namespace is at most 63 characters.
const MAX_PARTS: usize = 16;

/// A variable of the namespace template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// `name`: the application family.
    Name,
    /// `pr.number`.
    Number,
    /// `pr.branchSlug`.
    BranchSlug,
    /// `pr.shortSha`.
    ShortSha,
}

impl Var {
    const ALL: [(&'static str, Var); 4] = [
        ("name", Var::Name),
        ("pr.number", Var::Number),
        ("pr.branchSlug", Var::BranchSlug),
        ("pr.shortSha", Var::ShortSha),
    ];
}

/// One part of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text as written.
    Literal(String),
    /// A variable.
    Var(Var),
}

/// What a namespace template accepts, the end of every message about one.
const ACCEPTED: &str = "a namespace template is lowercase letters, digits and `-` with `{{ name }}`, \
                        `{{ pr.number }}`, `{{ pr.branchSlug }}` or `{{ pr.shortSha }}`, and must hold \
                        `{{ pr.number }}`, such as `{{ name }}-pr-{{ pr.number }}`";

/// Why a text is not a namespace template: the policy's author is at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{` without `}}`.
    #[error("`{0}` opens `{{{{` without closing it; {ACCEPTED}")]
    Unclosed(String),
    /// A variable it does not have.
    #[error("`{{{{{inner}}}}}` in `{text}` is not one of its variables; {ACCEPTED}")]
    UnknownVariable {
        /// Between the braces.
        inner: String,
        /// The template.
        text: String,
    },
    /// Literal text a DNS label cannot hold.
    #[error("`{literal}` in `{text}` is not DNS-label text; {ACCEPTED}")]
    NotLabelText {
        /// The literal part.
        literal: String,
        /// The template.
        text: String,
    },
    /// No `{{ pr.number }}`.
    #[error("`{0}` does not hold `{{{{ pr.number }}}}`, so pull requests would share it; {ACCEPTED}")]
    NoNumber(String),
    /// Too many parts.
    #[error("`{0}` has more than {MAX_PARTS} parts; {ACCEPTED}")]
    TooManyParts(String),
}

/// Why a namespace template gives no namespace for a pull request: it needs a field the pull
/// request was not given with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{template}` needs the pull request's {field}")]
pub struct MissingField {
    /// The template.
    pub template: String,
    /// `branch` or `head SHA`.
    pub field: &'static str,
}

impl HasFault for TemplateError {
    fn fault(&self) -> Fault {
        Fault::Input
    }
}

impl HasFault for MissingField {
    fn fault(&self) -> Fault {
        Fault::Input
    }
}

/// A parsed namespace template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceTemplate {
    /// As written.
    pub text: String,
    /// Its parts in order.
    pub parts: Vec<Part>,
}

impl NamespaceTemplate {
    /// Parses `text`, or says what is wrong and what is accepted.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("{{") {
                let Some((inner, tail)) = after.split_once("}}") else {
                    return Err(TemplateError::Unclosed(text.to_owned()));
                };
                let name = inner.trim();
                let Some((_, var)) = Var::ALL.iter().find(|(n, _)| *n == name) else {
                    return Err(TemplateError::UnknownVariable { inner: inner.to_owned(), text: text.to_owned() });
                };
                parts.push(Part::Var(*var));
                rest = tail;
            } else {
                let end = rest.find("{{").unwrap_or(rest.len());
                let literal = &rest[..end];
                if !literal.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
                    return Err(TemplateError::NotLabelText { literal: literal.to_owned(), text: text.to_owned() });
                }
                parts.push(Part::Literal(literal.to_owned()));
                rest = &rest[end..];
            }
        }
        if !parts.contains(&Part::Var(Var::Number)) {
            return Err(TemplateError::NoNumber(text.to_owned()));
        }
        if parts.len() > MAX_PARTS {
            return Err(TemplateError::TooManyParts(text.to_owned()));
        }
        Ok(Self { text: text.to_owned(), parts })
    }

    /// The namespace of `app`'s preview for `pr`, shortened as a spec's own would be; an error
    /// names the pull-request field the template needs and `pr` lacks.
    pub fn evaluate(&self, app: &str, pr: &Pr) -> Result<String, MissingField> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Var(Var::Name) => out.push_str(app),
                Part::Var(Var::Number) => out.push_str(&pr.number.to_string()),
                Part::Var(Var::BranchSlug) => match &pr.branch {
                    Some(branch) => out.push_str(&slug(branch, 50)),
                    None => return Err(MissingField { template: self.text.clone(), field: "branch" }),
                },
                Part::Var(Var::ShortSha) => match &pr.head_sha {
                    Some(sha) => out.extend(sha.chars().take(7)),
                    None => return Err(MissingField { template: self.text.clone(), field: "head SHA" }),
                },
            }
        }
        Ok(fit(&out, MAX_LABEL))
    }

    /// Whether `namespace` could be the namespace of some app's preview for some pull request:
    /// the literal parts in order, a number where `pr.number` stands, a label's characters for
    /// the rest.
    pub fn could_be(&self, namespace: &str) -> bool {
        matches(&self.parts, namespace.as_bytes())
    }
}

fn matches(parts: &[Part], text: &[u8]) -> bool {
    let Some((first, rest)) = parts.split_first() else { return text.is_empty() };
    match first {
        Part::Literal(literal) => text.strip_prefix(literal.as_bytes()).is_some_and(|t| matches(rest, t)),
        Part::Var(var) => {
            let (min, max, ok): (usize, usize, fn(u8) -> bool) = match var {
                Var::Number => (1, 20, |b| b.is_ascii_digit()),
                Var::Name => (1, MAX_LABEL, |b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                Var::BranchSlug => (0, 50, |b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                Var::ShortSha => (7, 7, |b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            };
            let run = text.iter().take(max).take_while(|b| ok(**b)).count();
            (min..=run).rev().any(|n| matches(rest, &text[n..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pr(number: u64) -> Pr {
        Pr { number, head_sha: Some("4f9c2d1e8b7a".into()), branch: Some("Feature/Cart".into()) }
    }

    #[test]
    fn evaluates_like_the_spec_s_templates() {
        let t = NamespaceTemplate::parse("{{ name }}-pr-{{pr.number}}").unwrap();
        assert_eq!(t.evaluate("shop", &pr(7)).unwrap(), "shop-pr-7");
        let t = NamespaceTemplate::parse("p-{{ pr.number }}-{{ pr.branchSlug }}-{{ pr.shortSha }}").unwrap();
        assert_eq!(t.evaluate("shop", &pr(7)).unwrap(), "p-7-feature-cart-4f9c2d1");
        let none = Pr { number: 1, head_sha: None, branch: None };
        assert!(t.evaluate("shop", &none).unwrap_err().to_string().contains("branch"));
    }

    #[test]
    fn refuses_anything_but_substitution_and_a_template_without_the_number() {
        for bad in [
            "{{ name }}",
            "{{ name }}-{{ pr.branchSlug }}",
            "{{ 'velero' if pr.number == 3 else name }}-{{ pr.number }}",
            "Shop-{{ pr.number }}",
            "{{ pr.number ~ name }}",
            "{{ pr.number",
            "{{ namespace }}-{{ pr.number }}",
        ] {
            assert!(NamespaceTemplate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tells_preview_namespaces_by_their_shape() {
        let t = NamespaceTemplate::parse("{{ name }}-pr-{{ pr.number }}").unwrap();
        for preview in ["shop-pr-7", "billing-pr-123", "a-b-pr-1"] {
            assert!(t.could_be(preview), "{preview}");
        }
        for other in ["preview-base", "velero", "shop-pr-", "shop-pr-x", "-pr-1", "shop-pr-7a"] {
            assert!(!t.could_be(other), "{other}");
        }
    }
}
