//! The user's own template strings (`{{ pr.headSha }}`), evaluated with minijinja under bounds:
//! a spec is attacker-controlled input in CI and in Argo CD's repo-server, so no template may run
//! for long, allocate without limit or reach outside its variables.
//!
//! The bounds, each with a test in `tests/it/hostile.rs`:
//! - the source is at most [`MAX_SOURCE`] bytes and the output at most [`MAX_OUTPUT`];
//! - fuel: at most [`FUEL`] instructions per template, so nested loops end, and [`SPEC_FUEL`]
//!   for all the templates of a spec together, so thousands of templates end too;
//! - the operators that repeat a value (`*`, `**`) and the statements that could accumulate one
//!   (`set`, `with`, `macro`, `call`, `filter`, `include`, ...) are refused before evaluation
//!   (`guard.rs`); only `if` and `for` statements are allowed;
//! - the environment holds only the filters below, each with a bounded result, and a `range` of
//!   at most [`MAX_RANGE`] items. No file, include or environment access exists.

mod guard;
mod vars;

use std::io;

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, Template, UndefinedBehavior};

use guard::check_tokens;
use vars::{KNOWN, unknown_variable};
pub use vars::{PrVars, ServiceVars, StagingVars, Vars};

/// Longest template source accepted.
pub const MAX_SOURCE: usize = 4096;
/// Longest output a template may produce.
pub const MAX_OUTPUT: usize = 16 * 1024;
/// Instructions one template may execute.
pub const FUEL: u64 = 50_000;
/// Instructions all the templates of one spec may execute together. A real spec's templates run
/// a few hundred; this bounds a spec with thousands of looping ones to about a second.
pub const SPEC_FUEL: u64 = 1_000_000;
/// Largest `range()`.
pub const MAX_RANGE: usize = 1000;

/// A bounded minijinja environment, made once per spec: it keeps the fuel that the spec's
/// templates have left.
pub struct Templates {
    env: Environment<'static>,
    /// Instructions the spec's templates may still execute.
    fuel: u64,
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
        Self { env, fuel: SPEC_FUEL }
    }

    /// Evaluates `source` with `vars`. Strings without `{{`/`{%` are returned as they are.
    ///
    /// Each evaluation runs on what is left of the spec's fuel and is charged what it used; one
    /// that fails is charged all it could have used, unless it has no loop (then it ran each of
    /// its instructions at most once). So the spec's templates never run more than [`SPEC_FUEL`]
    /// instructions together, however many fail.
    ///
    /// The error is a lowercase fragment that quotes the template; the caller adds the field path.
    pub fn render(&mut self, source: &str, vars: &Vars) -> Result<String, String> {
        if !source.contains("{{") && !source.contains("{%") && !source.contains("{#") {
            return Ok(source.to_owned());
        }
        let fail = |why: String| format!("template {} failed: {why}", quote(source));
        if source.len() > MAX_SOURCE {
            return Err(fail(format!("it is {} bytes, more than the {MAX_SOURCE} accepted", source.len())));
        }
        let scan = check_tokens(source).map_err(fail)?;
        if self.fuel == 0 {
            return Err(fail(format!(
                "not evaluated: the spec's templates together already ran {SPEC_FUEL} steps; make them simpler"
            )));
        }
        let allowance = self.fuel.min(FUEL);
        self.env.set_fuel(Some(allowance));
        let template = self.env.template_from_str(source).map_err(|e| fail(describe(&e)))?;
        let mut out = Capped(Vec::new());
        let (charge, result) = match template.render_captured_to(minijinja::value::Serde(vars), &mut out) {
            Ok(captured) => (captured.state().fuel_levels().map_or(allowance, |(used, _)| used), Ok(())),
            Err(e) if scan.loops || e.kind() == ErrorKind::OutOfFuel => (allowance, Err(e)),
            Err(e) => (instructions(&template).min(allowance), Err(e)),
        };
        self.fuel = self.fuel.saturating_sub(charge);
        result.map_err(|e| {
            fail(match e.kind() {
                ErrorKind::OutOfFuel if allowance < FUEL => format!(
                    "the spec's templates together ran more than {SPEC_FUEL} steps (loops too long?); make them simpler"
                ),
                ErrorKind::UndefinedError => unknown_variable(&scan.used, vars).unwrap_or_else(|| describe(&e)),
                _ => describe(&e),
            })
        })?;
        String::from_utf8(out.0).map_err(|_| fail("output is not UTF-8".to_owned()))
    }
}

/// How many instructions `template` compiled to: without a loop, the most it can execute.
fn instructions(template: &Template<'_, '_>) -> u64 {
    let compiled = &minijinja::machinery::get_compiled_template(template).instructions;
    (0..u32::MAX).take_while(|&i| compiled.get(i).is_some()).count().try_into().unwrap_or(u64::MAX)
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

/// A minijinja error in a few words.
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
    use crate::spec::defaults::PrSources;

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
            ..Vars::default()
        }
    }

    #[test]
    fn variables_filters_and_statements() {
        let mut t = Templates::new();
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
        let mut t = Templates::new();
        assert!(t.render("{{ 'x' * 100000000 }}", &vars()).unwrap_err().contains("`*`"));
        assert!(t.render("{% set a = 'x' %}{{ a }}", &vars()).unwrap_err().contains("set"));
        assert!(
            t.render("{% for i in range(1000) %}{% for j in range(1000) %}{{ j }}{% endfor %}{% endfor %}", &vars())
                .is_err()
        );
        assert!(t.render("{{ range(100000) }}", &vars()).unwrap_err().contains("limited"));
    }

    #[test]
    fn the_spec_s_templates_share_one_fuel_budget() {
        let mut t = Templates::new();
        let burner = "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}";
        let runs = usize::try_from(SPEC_FUEL / FUEL).unwrap();
        for _ in 0..runs {
            let err = t.render(burner, &vars()).unwrap_err();
            assert!(err.contains(&format!("more than {FUEL} steps")), "{err}");
        }
        let spent = t.render("{{ name }}", &vars()).unwrap_err();
        assert!(spent.contains("not evaluated"), "{spent}");
        assert_eq!(t.render("plain text is not a template", &vars()).unwrap(), "plain text is not a template");
    }

    #[test]
    fn a_failing_template_without_loops_costs_only_its_instructions() {
        let mut t = Templates::new();
        for _ in 0..1000 {
            assert!(t.render("{{ pr.nubmer }}", &vars()).is_err());
        }
        assert_eq!(t.render("{{ name }}", &vars()).unwrap(), "shop");
        assert!(t.fuel > SPEC_FUEL - 100_000, "{}", t.fuel);
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("feature/cart-v2", 50), "feature-cart-v2");
        assert_eq!(slug("--Ünïcode!!branch--", 50), "n-code-branch");
        assert_eq!(slug(&"a".repeat(80), 50).len(), 50);
        assert_eq!(slug("ab/cd", 3), "ab");
    }
}
