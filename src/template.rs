//! The user's own template strings (`{{ pr.headSha }}`), evaluated with minijinja under bounds:
//! a spec is attacker-controlled input in CI and in Argo CD's repo-server, so no template may run
//! for long, allocate without limit or reach outside its variables.
//!
//! The bounds, each with a test in `tests/hostile.rs`:
//! - the source is at most [`MAX_SOURCE`] bytes and the output at most [`MAX_OUTPUT`];
//! - fuel: at most [`FUEL`] instructions, so nested loops end;
//! - the operators that repeat a value (`*`, `**`) and the statements that could accumulate one
//!   (`set`, `with`, `macro`, `call`, `filter`, `include`, ...) are refused before evaluation; only
//!   `if` and `for` statements are allowed;
//! - the environment holds only the filters below, each with a bounded result, and a `range` of
//!   at most [`MAX_RANGE`] items. No file, include or environment access exists.

use std::io;

use minijinja::machinery::{Token, tokenize};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use serde::Serialize;

use crate::spec::defaults::{PrField, PrSources};

/// Longest template source accepted.
pub const MAX_SOURCE: usize = 4096;
/// Longest output a template may produce.
pub const MAX_OUTPUT: usize = 16 * 1024;
/// Instructions a template may execute.
pub const FUEL: u64 = 50_000;
/// Largest `range()`.
pub const MAX_RANGE: usize = 1000;

const STATEMENTS: &[&str] = &["if", "elif", "else", "endif", "for", "endfor"];

/// The variables of SPEC §1: `name`, `namespace`, `pr.*`, `staging.namespace` and, in staging
/// URLs, `service`. A value that is not known is left out, so using it fails and says so.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Vars {
    /// The application family (`metadata.name`).
    pub name: String,
    /// The preview's namespace; absent while the namespace template itself is evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The pull request.
    pub pr: PrVars,
    /// Staging settings.
    pub staging: StagingVars,
    /// The service a staging URL is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Where pull-request fields can be given, for messages; not a variable.
    #[serde(skip)]
    pub sources: PrSources,
}

/// `pr.*` template variables.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrVars {
    /// `pr.number`.
    pub number: u64,
    /// `pr.headSha`, the full SHA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    /// `pr.shortSha`, its first 7 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_sha: Option<String>,
    /// `pr.branch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// `pr.branchSlug`: lowercase, runs of other characters as `-`, at most 50.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch_slug: Option<String>,
}

/// `staging.*` template variables.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StagingVars {
    /// `staging.namespace`.
    pub namespace: String,
}

/// A bounded minijinja environment, made once per render.
pub struct Templates {
    env: Environment<'static>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// The environment with kpreview's filters, tests and bounds.
    pub fn new() -> Self {
        let mut env = Environment::empty();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.set_recursion_limit(32);
        env.add_filter("lower", |s: &str| s.to_lowercase());
        env.add_filter("upper", |s: &str| s.to_uppercase());
        env.add_filter("trim", |s: &str| s.trim().to_owned());
        env.add_filter("truncate", |s: &str, n: usize| s.chars().take(n).collect::<String>());
        env.add_filter("slug", |s: &str, n: Option<usize>| slug(s, n.unwrap_or(63)));
        env.add_filter("replace", replace);
        env.add_filter("default", |v: Value, d: Option<Value>| {
            if v.is_undefined() || v.is_none() { d.unwrap_or_else(|| Value::from("")) } else { v }
        });
        env.add_filter("string", |v: Value| v.to_string());
        env.add_filter("length", |v: Value| v.len().unwrap_or(0));
        env.add_test("defined", |v: Value| !v.is_undefined());
        env.add_test("undefined", |v: Value| v.is_undefined());
        env.add_function("range", |n: usize| -> Result<Vec<usize>, Error> {
            if n > MAX_RANGE {
                return Err(Error::new(ErrorKind::InvalidOperation, format!("range is limited to {MAX_RANGE} items")));
            }
            Ok((0..n).collect())
        });
        Self { env }
    }

    /// Evaluates `source` with `vars`. Strings without `{{`/`{%` are returned as they are.
    ///
    /// The error is a lowercase fragment that quotes the template; the caller adds the field path.
    pub fn render(&self, source: &str, vars: &Vars) -> Result<String, String> {
        if !source.contains("{{") && !source.contains("{%") && !source.contains("{#") {
            return Ok(source.to_owned());
        }
        let fail = |why: String| format!("template {} failed: {why}", quote(source));
        if source.len() > MAX_SOURCE {
            return Err(fail(format!("it is {} bytes, more than the {MAX_SOURCE} accepted", source.len())));
        }
        let used = check_tokens(source).map_err(fail)?;
        let explain = |e: &Error| match e.kind() {
            ErrorKind::UndefinedError => unknown_variable(&used, vars).unwrap_or_else(|| describe(e)),
            _ => describe(e),
        };
        let template = self.env.template_from_str(source).map_err(|e| fail(describe(&e)))?;
        let mut out = Capped(Vec::new());
        template.render_captured_to(minijinja::value::Serde(vars), &mut out).map_err(|e| fail(explain(&e)))?;
        String::from_utf8(out.0).map_err(|_| fail("output is not UTF-8".to_owned()))
    }
}

/// `pr.branchSlug` and the `slug` filter: lowercase ASCII letters and digits, every run of other
/// characters one `-`, no `-` at either end, at most `max` characters.
pub fn slug(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(max);
    out.trim_end_matches('-').to_owned()
}

fn replace(s: &str, from: &str, to: &str) -> Result<String, Error> {
    let grows = to.len().saturating_sub(from.len().max(1));
    if s.len() + s.matches(from).count().saturating_mul(grows) > MAX_OUTPUT {
        return Err(Error::new(ErrorKind::InvalidOperation, "replace result is too long"));
    }
    Ok(s.replace(from, to))
}

/// Refuses what the module docs list and returns the variables the template names, as written
/// (`pr.headSha`, `namespace`, `staging.namespace`).
fn check_tokens(source: &str) -> Result<Vec<String>, String> {
    let mut after_block_start = false;
    let mut used: Vec<String> = Vec::new();
    let mut after_dot = false;
    for token in tokenize(source, false, SyntaxConfig::default()) {
        let (token, _) = token.map_err(|e| describe(&e))?;
        match token {
            Token::Mul | Token::Pow => {
                return Err("the `*` and `**` operators are not allowed in kpreview templates".to_owned());
            }
            Token::Ident(word) if after_block_start && !STATEMENTS.contains(&word) => {
                return Err(format!(
                    "`{{% {word} %}}` is not allowed in kpreview templates: only if/elif/else/endif and for/endfor"
                ));
            }
            Token::Ident(word) if after_dot => {
                if let Some(last) = used.last_mut() {
                    last.push('.');
                    last.push_str(word);
                }
            }
            Token::Ident(word) => used.push(word.to_owned()),
            _ => {}
        }
        after_dot = matches!(token, Token::Dot);
        after_block_start = matches!(token, Token::BlockStart);
    }
    Ok(used)
}

/// The variables of SPEC §1, for messages.
const KNOWN: &[&str] = &[
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
fn unknown_variable(used: &[String], vars: &Vars) -> Option<String> {
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

fn describe(e: &Error) -> String {
    let detail = e.detail().map(|d| format!(": {d}")).unwrap_or_default();
    match e.kind() {
        ErrorKind::OutOfFuel => format!("it ran more than {FUEL} steps (loops too long?)"),
        ErrorKind::UndefinedError => {
            format!("it uses an undefined value{detail} (known: {})", KNOWN.join(", "))
        }
        ErrorKind::WriteFailure => format!("its output is longer than {MAX_OUTPUT} bytes"),
        kind => format!("{kind}{detail}").to_lowercase(),
    }
}

fn quote(source: &str) -> String {
    serde_json::to_string(source).unwrap_or_default()
}

/// A writer that refuses to grow past [`MAX_OUTPUT`].
struct Capped(Vec<u8>);

impl io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.0.len() + buf.len() > MAX_OUTPUT {
            return Err(io::Error::other("template output too long"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars {
            name: "shop".into(),
            namespace: Some("shop-pr-1".into()),
            pr: PrVars {
                number: 1,
                head_sha: Some("4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d".into()),
                short_sha: Some("4f9c2d1".into()),
                branch: Some("Feature/Cart_v2".into()),
                branch_slug: Some(slug("Feature/Cart_v2", 50)),
            },
            staging: StagingVars { namespace: "staging".into() },
            service: None,
            sources: PrSources::cli(),
        }
    }

    #[test]
    fn variables_filters_and_statements() {
        let t = Templates::new();
        assert_eq!(t.render("x:{{ pr.shortSha }}", &vars()).unwrap(), "x:4f9c2d1");
        assert_eq!(t.render("{{ pr.branchSlug }}", &vars()).unwrap(), "feature-cart-v2");
        assert_eq!(t.render("{{ name | upper }}", &vars()).unwrap(), "SHOP");
        assert_eq!(t.render("{% if pr.number > 0 %}y{% else %}n{% endif %}", &vars()).unwrap(), "y");
        assert_eq!(t.render("{{ pr.missing | default('d') }}", &vars()).unwrap(), "d");
        assert_eq!(t.render("plain", &vars()).unwrap(), "plain");
    }

    #[test]
    fn undefined_values_are_errors_that_quote_the_template() {
        let err = Templates::new().render("{{ pr.headSah }}", &vars()).unwrap_err();
        assert!(err.contains("\"{{ pr.headSah }}\""), "{err}");
        assert!(err.contains("`pr.headSah` is not a variable; did you mean `pr.headSha`?"), "{err}");
    }

    #[test]
    fn amplifiers_and_accumulators_are_refused() {
        let t = Templates::new();
        assert!(t.render("{{ 'x' * 100000000 }}", &vars()).unwrap_err().contains("`*`"));
        assert!(t.render("{% set a = 'x' %}{{ a }}", &vars()).unwrap_err().contains("set"));
        assert!(
            t.render("{% for i in range(1000) %}{% for j in range(1000) %}{{ j }}{% endfor %}{% endfor %}", &vars())
                .is_err()
        );
        assert!(t.render("{{ range(100000) }}", &vars()).unwrap_err().contains("limited"));
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("feature/cart-v2", 50), "feature-cart-v2");
        assert_eq!(slug("--Ünïcode!!branch--", 50), "n-code-branch");
        assert_eq!(slug(&"a".repeat(80), 50).len(), 50);
        assert_eq!(slug("ab/cd", 3), "ab");
    }
}
