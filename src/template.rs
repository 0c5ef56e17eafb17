//! The user's own template strings (`{{ pr.headSha }}`): a bounded substitution language of
//! kpreview's own (SPEC §7). A spec is attacker-controlled input in CI and in Argo CD's
//! repo-server, so a template can only name variables and pass them through a few filters
//! (`parse.rs` has the grammar): no loops, conditionals, operators or calls exist to run for long
//! or build a large value.
//!
//! The bounds, each with a test here or in `tests/it/hostile.rs`:
//! - the source is at most [`MAX_SOURCE`] bytes, the output at most [`MAX_OUTPUT`], and every
//!   value inside an expression (a variable, a literal, each filter's result) at most
//!   [`MAX_VALUE`], refused before it is built where it could grow (`replace`);
//! - an expression applies at most [`parse::MAX_FILTERS`] filters, so one template does at most
//!   a few megabytes of work;
//! - all the templates of one spec together produce at most [`SPEC_WORK`] bytes of values;
//! - a variable must exist in the [`Context`]: a misspelt one is an error, never an empty string.

mod filters;
mod parse;
mod vars;

use crate::fault::{Fault, HasFault};
use filters::Value;
use parse::{Head, Piece};
use vars::{KNOWN, unknown_variable};
pub use vars::{PrVars, ServiceVars, StagingVars, Vars};

/// Longest template source accepted.
pub const MAX_SOURCE: usize = 4096;
/// Longest output a template may produce.
pub const MAX_OUTPUT: usize = 16 * 1024;
/// Largest value inside an expression.
pub const MAX_VALUE: usize = MAX_OUTPUT;
/// Bytes of values all the templates of one spec may produce together. A real spec's templates
/// produce a few kilobytes; this bounds a spec full of the worst templates to well under a second.
pub const SPEC_WORK: usize = 16 << 20;

/// What templates see: a tree of JSON objects whose leaves are strings, numbers or `null` (a
/// declared variable without a value in this render, usable only through `default`). Callers fill
/// it; [`Vars::context`] builds the one of SPEC §1.
pub type Context = serde_json::Value;

/// Why a template failed, before the caller adds which template and field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Failure {
    /// A variable that is not in the context.
    #[error("`{0}` is not a variable")]
    Undeclared(String),
    /// A variable that is declared but has no value in this render.
    #[error("`{0}` has no value")]
    Absent(String),
    /// Anything else, as a lowercase fragment.
    #[error("{0}")]
    Other(String),
}

/// A template that failed, as the user reads it: the template, quoted, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template {template} failed: {why}")]
pub struct TemplateError {
    /// The template, quoted and shortened for a message.
    pub template: String,
    /// Why, with the fix where one is known (the variable meant, the flag that gives a value).
    pub why: String,
}

impl HasFault for TemplateError {
    fn fault(&self) -> Fault {
        Fault::Input
    }
}

/// The template evaluator of one spec: it keeps what the spec's templates may still produce.
pub struct Templates {
    work: usize,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// An evaluator with the whole [`SPEC_WORK`] budget.
    pub fn new() -> Self {
        Self { work: SPEC_WORK }
    }

    /// Evaluates `source` with the variables of SPEC §1. Strings without `{{`, `{%` or `{#` are
    /// returned as they are.
    ///
    /// The error is a lowercase fragment that quotes the template; the caller adds the field path.
    pub fn render(&mut self, source: &str, vars: &Vars) -> Result<String, TemplateError> {
        if !is_template(source) {
            return Ok(source.to_owned());
        }
        let context = vars.context();
        self.render_in(source, &context).map_err(|failure| {
            let why = match &failure {
                Failure::Undeclared(path) | Failure::Absent(path) => unknown_variable(std::slice::from_ref(path), vars)
                    .unwrap_or_else(|| undeclared(&failure, path, &context)),
                Failure::Other(why) => why.clone(),
            };
            TemplateError { template: quote(source), why }
        })
    }

    /// Evaluates `source` with `context`.
    pub fn render_in(&mut self, source: &str, context: &Context) -> Result<String, Failure> {
        if !is_template(source) {
            return Ok(source.to_owned());
        }
        if source.len() > MAX_SOURCE {
            return Err(Failure::Other(format!("it is {} bytes, more than the {MAX_SOURCE} accepted", source.len())));
        }
        let pieces = parse::parse(source).map_err(|e| Failure::Other(e.to_string()))?;
        if self.work == 0 {
            return Err(Failure::Other(format!(
                "not evaluated: the spec's templates together already produced {SPEC_WORK} bytes; make them simpler"
            )));
        }
        let mut out = String::new();
        for piece in pieces {
            let text = match piece {
                Piece::Text(text) => text.to_owned(),
                Piece::Expr(expr) => self.expression(&expr, context)?,
            };
            if out.len() + text.len() > MAX_OUTPUT {
                return Err(Failure::Other(format!("its output is longer than {MAX_OUTPUT} bytes")));
            }
            out.push_str(&text);
        }
        Ok(out)
    }

    fn expression(&mut self, expr: &parse::Expr<'_>, context: &Context) -> Result<String, Failure> {
        let (mut value, path) = match &expr.head {
            Head::Literal(s) => (Value::Str(s.clone()), String::new()),
            Head::Path(segments) => (lookup(segments, context)?, segments.join(".")),
        };
        self.charge(&value)?;
        for filter in &expr.filters {
            value = filters::apply(filter.name, value, &filter.args).map_err(|e| match e {
                filters::FilterError::Absent => Failure::Absent(path.clone()),
                other => Failure::Other(other.to_string()),
            })?;
            self.charge(&value)?;
        }
        match value {
            Value::Str(s) => Ok(s),
            Value::Int(n) => Ok(n.to_string()),
            Value::Absent => Err(Failure::Absent(path)),
        }
    }

    /// Counts `value` against the spec's budget and checks its size.
    fn charge(&mut self, value: &Value) -> Result<(), Failure> {
        let size = value.size();
        if size > MAX_VALUE {
            return Err(Failure::Other(format!(
                "it makes a value of {size} bytes, more than the {MAX_VALUE} accepted"
            )));
        }
        if size > self.work {
            self.work = 0;
            return Err(Failure::Other(format!(
                "the spec's templates together produced more than {SPEC_WORK} bytes; make them simpler"
            )));
        }
        self.work -= size;
        Ok(())
    }
}

fn is_template(source: &str) -> bool {
    source.contains("{{") || source.contains("{%") || source.contains("{#")
}

/// The value at `segments` in `context`.
fn lookup(segments: &[String], context: &Context) -> Result<Value, Failure> {
    let mut node = context;
    for (i, segment) in segments.iter().enumerate() {
        node = node.get(segment).ok_or_else(|| Failure::Undeclared(segments[..=i].join(".")))?;
    }
    let path = || segments.join(".");
    match node {
        serde_json::Value::Null => Ok(Value::Absent),
        serde_json::Value::String(s) => Ok(Value::Str(s.clone())),
        serde_json::Value::Bool(b) => Ok(Value::Str(b.to_string())),
        serde_json::Value::Number(n) => Ok(n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .map_or_else(|| Value::Str(n.to_string()), Value::Int)),
        serde_json::Value::Object(_) => {
            let mut inside = Vec::new();
            leaves(node, &path(), &mut inside);
            Err(Failure::Other(format!("`{}` is a group of variables: use one of {}", path(), inside.join(", "))))
        }
        serde_json::Value::Array(_) => Err(Failure::Other(format!("`{}` is a list, not a value", path()))),
    }
}

/// The paths of the values under `node`, for messages.
fn leaves(node: &Context, prefix: &str, out: &mut Vec<String>) {
    match node.as_object() {
        Some(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                leaves(child, &path, out);
            }
        }
        None => out.push(prefix.to_owned()),
    }
}

/// The message for a variable that is not there, with a guess among the context's and SPEC §1's.
fn undeclared(failure: &Failure, path: &str, context: &Context) -> String {
    if let Failure::Absent(_) = failure {
        return format!("{failure} in this render");
    }
    let mut known: Vec<String> = KNOWN.iter().map(|k| (*k).to_owned()).collect();
    leaves(context, "", &mut known);
    let guess =
        guess(path, known.iter().map(String::as_str)).map(|g| format!("did you mean `{g}`? ")).unwrap_or_default();
    format!("{failure}; {guess}known: {}", KNOWN.join(", "))
}

/// The known variable `path` most likely meant: one spelled closely, or else one of the same group
/// whose name holds the unknown one's (`pr.sha` is `pr.headSha`).
fn guess<'a>(path: &str, known: impl IntoIterator<Item = &'a str> + Clone) -> Option<&'a str> {
    crate::k8s::suggest::did_you_mean(path, known.clone()).or_else(|| part_of(path, known))
}

fn part_of<'a>(path: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let (group, name) = path.rsplit_once('.').unwrap_or(("", path));
    let name = name.to_ascii_lowercase();
    if name.len() < 3 {
        return None;
    }
    known.into_iter().find(|k| {
        let (g, n) = k.rsplit_once('.').unwrap_or(("", k));
        g == group && n.to_ascii_lowercase().contains(&name)
    })
}

pub use crate::k8s::naming::slug;

fn quote(source: &str) -> String {
    serde_json::to_string(source).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pr::PrSources;

    fn vars() -> Vars {
        Vars {
            name: "shop".into(),
            namespace: Some("shop-pr-1".into()),
            pr: PrVars {
                number: 1,
                head_sha: Some("4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d".into()),
                short_sha: Some("4f9c2d1".into()),
                branch: None,
                branch_slug: None,
            },
            staging: StagingVars { namespace: "staging".into() },
            service: None,
            sources: PrSources::cli(),
            ..Vars::default()
        }
    }

    #[test]
    fn variables_and_filters() {
        let mut t = Templates::new();
        assert_eq!(t.render("x:{{ pr.shortSha }}", &vars()).unwrap(), "x:4f9c2d1");
        assert_eq!(t.render("{{ name | upper }}-{{ pr.number }}", &vars()).unwrap(), "SHOP-1");
        assert_eq!(t.render("{{ pr.branch | default('main') | slug }}", &vars()).unwrap(), "main");
        assert_eq!(t.render("{{ '{{' }}", &vars()).unwrap(), "{{");
        assert_eq!(t.render("plain", &vars()).unwrap(), "plain");
    }

    #[test]
    fn a_context_is_a_plain_tree_that_callers_fill() {
        let context = serde_json::json!({"services": {"my-api": {"host": "api.example.com"}}, "domain": null});
        let mut t = Templates::new();
        assert_eq!(t.render_in("https://{{ services.my-api.host }}/", &context).unwrap(), "https://api.example.com/");
        assert_eq!(t.render_in("{{ services['my-api'].host }}", &context).unwrap(), "api.example.com");
        assert_eq!(t.render_in("{{ services.web.host }}", &context), Err(Failure::Undeclared("services.web".into())));
        assert_eq!(t.render_in("{{ domain }}", &context), Err(Failure::Absent("domain".into())));
        let group = t.render_in("{{ services }}", &context).unwrap_err().to_string();
        assert!(group.contains("use one of services.my-api.host"), "{group}");
    }

    #[test]
    fn undefined_values_are_errors_that_quote_the_template() {
        let err = Templates::new().render("{{ pr.headSah }}", &vars()).unwrap_err().to_string();
        assert!(err.contains("\"{{ pr.headSah }}\""), "{err}");
        assert!(err.contains("`pr.headSah` is not a variable; did you mean `pr.headSha`?"), "{err}");
        let err = Templates::new().render("{{ nmae }}", &vars()).unwrap_err().to_string();
        assert!(err.contains("`nmae` is not a variable; did you mean `name`?"), "{err}");
        let err = Templates::new().render("{{ pr.sha }}", &vars()).unwrap_err().to_string();
        assert!(err.contains("`pr.sha` is not a variable; did you mean `pr.headSha`?"), "{err}");
        let err = Templates::new().render("{{ pr.branch }}", &vars()).unwrap_err().to_string();
        assert!(err.contains("`pr.branch` has no value: give `--branch`"), "{err}");
        let err = Templates::new().render("{{ pr.missing | default('d') }}", &vars()).unwrap_err().to_string();
        assert!(err.contains("`pr.missing` is not a variable"), "{err}");
    }

    #[test]
    fn the_issue_s_amplifier_is_refused_before_anything_runs() {
        // Issue 17: 525 bytes of nested one-item loops concatenating with `~` built 268 MB.
        let inner = "{{ name }}";
        let mut amplifier = inner.to_owned();
        for level in 0..6 {
            amplifier = format!("{{% for i{level} in [1] %}}{{% set s = s ~ s ~ s ~ s %}}{amplifier}{{% endfor %}}");
        }
        let err = Templates::new().render(&amplifier, &vars()).unwrap_err().to_string();
        assert!(err.contains("`{% for %}` is not allowed"), "{err}");
        let err = Templates::new().render("{{ (name ~ name) | replace('s', name) }}", &vars()).unwrap_err().to_string();
        assert!(err.contains("`(` is not allowed"), "{err}");
    }

    #[test]
    fn every_value_is_capped_and_the_spec_shares_one_budget() {
        let big = serde_json::json!({"v": "x".repeat(MAX_VALUE / 4)});
        let mut t = Templates::new();
        let four = "{{ v | replace('x', 'xxxx') }}";
        assert_eq!(t.render_in(four, &big).unwrap().len(), MAX_VALUE);
        let err = t.render_in("{{ v | replace('x', 'xxxx') | replace('x', 'xx') }}", &big).unwrap_err();
        assert!(err.to_string().contains("more than the 16384 accepted"), "{err}");
        let err = t.render_in("{{ v }}{{ v }}{{ v }}{{ v }}{{ v }}", &big).unwrap_err();
        assert!(err.to_string().contains("longer than 16384"), "{err}");
        let runs = SPEC_WORK / (MAX_VALUE + MAX_VALUE / 4) + 1;
        let spent = (0..runs).filter_map(|_| t.render_in(four, &big).err()).count();
        assert!(spent >= 1);
        let err = t.render_in("{{ v }}", &big).unwrap_err().to_string();
        assert!(err.contains("not evaluated"), "{err}");
        assert_eq!(t.render_in("plain text is not a template", &big).unwrap(), "plain text is not a template");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("feature/cart-v2", 50), "feature-cart-v2");
        assert_eq!(slug("--Ünïcode!!branch--", 50), "n-code-branch");
        assert_eq!(slug(&"a".repeat(80), 50).len(), 50);
        assert_eq!(slug("ab/cd", 3), "ab");
    }
}
