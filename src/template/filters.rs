//! The filters a template may apply. Each one's result is bounded before it is built (or is at
//! most a small multiple of its input, then checked), so a chain of them cannot grow a value.

use super::parse::Literal;
use super::{MAX_VALUE, slug};

/// A value inside an expression.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Str(String),
    Int(i128),
    /// A declared variable with no value in this render; only `default` accepts it.
    Absent,
}

impl Value {
    /// The value as text, for filters that work on strings.
    fn text(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Int(n) => n.to_string(),
            Value::Absent => String::new(),
        }
    }

    /// Its size in bytes, charged to the spec's budget and checked against [`MAX_VALUE`].
    pub fn size(&self) -> usize {
        match self {
            Value::Str(s) => s.len(),
            Value::Int(_) => 20,
            Value::Absent => 0,
        }
    }
}

/// The filters, for messages.
pub(super) const NAMES: &[&str] =
    &["default", "length", "lower", "replace", "slug", "string", "trim", "truncate", "upper"];

/// Why a filter gave no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum FilterError {
    /// Its input is a declared variable without a value, which only `default` accepts.
    #[error("the value is absent")]
    Absent,
    /// An unknown filter, or a known one with the wrong arguments.
    #[error("{}", usage(.0))]
    Usage(String),
    /// `replace` would build a value larger than [`MAX_VALUE`].
    #[error("`replace` would make a value of {0} bytes, more than the {MAX_VALUE} accepted")]
    TooLarge(usize),
}

/// Applies the filter `name` with `args`.
pub(super) fn apply(name: &str, value: Value, args: &[Literal]) -> Result<Value, FilterError> {
    if name == "default" {
        return default(value, args);
    }
    if value == Value::Absent {
        return Err(FilterError::Absent);
    }
    let text = value.text();
    let out = match (name, args) {
        ("lower", []) => text.to_lowercase(),
        ("upper", []) => text.to_uppercase(),
        ("trim", []) => text.trim().to_owned(),
        ("string", []) => text,
        ("length", []) => return Ok(Value::Int(text.chars().count().try_into().unwrap_or(i128::MAX))),
        ("truncate", [Literal::Int(n)]) => text.chars().take(usize::try_from(*n).unwrap_or(usize::MAX)).collect(),
        ("slug", []) => slug(&text, 63),
        ("slug", [Literal::Int(n)]) => slug(&text, usize::try_from(*n).unwrap_or(usize::MAX)),
        ("replace", [Literal::Str(from), Literal::Str(to)]) => replace(&text, from, to)?,
        _ => return Err(FilterError::Usage(name.to_owned())),
    };
    Ok(Value::Str(out))
}

fn default(value: Value, args: &[Literal]) -> Result<Value, FilterError> {
    if value != Value::Absent {
        return Ok(value);
    }
    Ok(match args {
        [] => Value::Str(String::new()),
        [Literal::Str(s)] => Value::Str(s.clone()),
        [Literal::Int(n)] => Value::Int((*n).into()),
        _ => return Err(FilterError::Usage("default".to_owned())),
    })
}

/// `s.replace(from, to)`, refused before it is built when it would be longer than [`MAX_VALUE`].
fn replace(s: &str, from: &str, to: &str) -> Result<String, FilterError> {
    let count = if from.is_empty() { s.chars().count() + 1 } else { s.matches(from).count() };
    let grows = to.len().saturating_sub(from.len());
    let size = s.len().saturating_add(count.saturating_mul(grows));
    if size > MAX_VALUE {
        return Err(FilterError::TooLarge(size));
    }
    Ok(s.replace(from, to))
}

fn usage(name: &str) -> String {
    match name {
        "lower" | "upper" | "trim" | "string" | "length" => format!("`{name}` takes no arguments"),
        "truncate" => "`truncate(N)` takes one number".to_owned(),
        "slug" => "`slug` or `slug(N)` takes at most one number".to_owned(),
        "replace" => "`replace('from', 'to')` takes two quoted strings".to_owned(),
        "default" => "`default('value')` takes at most one value".to_owned(),
        _ => {
            let guess = crate::k8s::suggest::did_you_mean(name, NAMES.iter().copied())
                .map(|g| format!("did you mean `{g}`? "))
                .unwrap_or_default();
            format!("there is no filter `{name}`; {guess}known: {}", NAMES.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::Str(text.to_owned())
    }

    #[test]
    fn each_filter() {
        assert_eq!(apply("upper", s("ab"), &[]), Ok(s("AB")));
        assert_eq!(apply("lower", Value::Int(5), &[]), Ok(s("5")));
        assert_eq!(apply("trim", s(" a "), &[]), Ok(s("a")));
        assert_eq!(apply("truncate", s("abcdef"), &[Literal::Int(3)]), Ok(s("abc")));
        assert_eq!(apply("slug", s("Feature/X"), &[]), Ok(s("feature-x")));
        assert_eq!(apply("length", s("äb"), &[]), Ok(Value::Int(2)));
        assert_eq!(apply("replace", s("a/b"), &[Literal::Str("/".into()), Literal::Str("-".into())]), Ok(s("a-b")));
        assert_eq!(apply("default", Value::Absent, &[Literal::Str("d".into())]), Ok(s("d")));
        assert_eq!(apply("default", s("v"), &[Literal::Str("d".into())]), Ok(s("v")));
        assert_eq!(apply("upper", Value::Absent, &[]), Err(FilterError::Absent));
    }

    #[test]
    fn misuse_and_growth_are_refused() {
        assert!(apply("uper", s("a"), &[]).unwrap_err().to_string().contains("did you mean `upper`?"));
        assert!(apply("truncate", s("a"), &[]).unwrap_err().to_string().contains("one number"));
        let x = "x".repeat(MAX_VALUE / 2);
        let err = apply("replace", s(&x), &[Literal::Str("x".into()), Literal::Str("yyy".into())]).unwrap_err();
        assert_eq!(err, FilterError::TooLarge(MAX_VALUE / 2 * 3));
        assert!(err.to_string().contains("more than the"), "{err}");
        assert!(apply("replace", s(&x), &[Literal::Str(String::new()), Literal::Str("yyyy".into())]).is_err());
    }
}
