//! A compose service's `environment`, in its list (`KEY=value`) or mapping form, sorted into what
//! a spec may carry and what it must not: secret-looking values stay out of the spec (a pull
//! request's spec lands in a GitOps repository), and so do variables without a value, which
//! Compose takes from the shell that runs it.

use serde_json::Value;

use super::interpolate::uses_variables;

/// What becomes of one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Goes into `env` as written.
    Keep {
        /// The value.
        value: String,
        /// It uses `${…}` interpolation, kept as text.
        interpolated: bool,
    },
    /// Left out: it looks like a secret.
    Secret(&'static str),
    /// Left out: Compose takes its value from the shell (`- KEY` or `KEY:` with no value).
    FromShell,
    /// Left out: the value holds template syntax (`{{`), which the spec would evaluate.
    Template,
}

/// Variable names whose values are secrets, by their last word.
const SECRET_SUFFIXES: [&str; 11] =
    ["PASSWORD", "PASSWD", "PASS", "SECRET", "TOKEN", "KEY", "KEYS", "CREDENTIALS", "CREDENTIAL", "SALT", "DSN"];

/// Why `environment` is not understood; `init` leaves it out with a note. Values are shown as
/// JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    /// A variable whose value is a list or a mapping.
    #[error("`{name}`: {value} is not a string, number or boolean")]
    NotScalar {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
    },
    /// An item of the list form that is not a string.
    #[error("{0} is not a `KEY=value` string")]
    NotKeyValue(String),
    /// Neither form.
    #[error("{0} is neither a list of `KEY=value` nor a mapping")]
    Shape(String),
}

/// The variables of `environment`, in file order, or why it is not understood.
pub fn parse(environment: &Value) -> Result<Vec<(String, Entry)>, EnvError> {
    let pairs: Vec<(String, Option<String>)> = match environment {
        Value::Object(map) => {
            map.iter().map(|(name, value)| Ok((name.clone(), scalar(name, value)?))).collect::<Result<_, _>>()?
        }
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => Ok(match text.split_once('=') {
                    Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
                    None => (text.clone(), None),
                }),
                other => Err(EnvError::NotKeyValue(other.to_string())),
            })
            .collect::<Result<_, _>>()?,
        Value::Null => Vec::new(),
        other => return Err(EnvError::Shape(other.to_string())),
    };
    Ok(pairs
        .into_iter()
        .map(|(name, value)| {
            let entry = classify(&name, value);
            (name, entry)
        })
        .collect())
}

/// The text of the scalar value of `name` (`None` for null).
fn scalar(name: &str, value: &Value) -> Result<Option<String>, EnvError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(EnvError::NotScalar { name: name.to_owned(), value: other.to_string() }),
    }
}

fn classify(name: &str, value: Option<String>) -> Entry {
    let Some(value) = value else {
        return Entry::FromShell;
    };
    if let Some(why) = secret(name, &value) {
        return Entry::Secret(why);
    }
    if value.contains("{{") || value.contains("{%") || value.contains("{#") {
        return Entry::Template;
    }
    Entry::Keep { interpolated: uses_variables(&value), value }
}

/// Why `name=value` looks like a secret, if it does.
pub fn secret(name: &str, value: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    let last_word = upper.rsplit(['_', '-', '.']).next().unwrap_or(&upper);
    if SECRET_SUFFIXES.contains(&last_word) || upper.contains("PASSWORD") || upper.contains("SECRET") {
        return Some("its name says it holds a secret");
    }
    if url_password(value) {
        return Some("its URL holds a password");
    }
    // Whatever `validate` would warn of stays out too, so a spec init writes never warns.
    if crate::spec::check::secret_literal(name, value).is_some() {
        return Some("its name says it holds a secret");
    }
    None
}

/// Whether `value` is a URL with a password in its user info (`postgres://app:pw@db/app`).
fn url_password(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .and_then(|(user, _)| user.split_once(':'))
        .is_some_and(|(_, password)| !password.is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn both_forms_read_the_same() {
        let list = parse(&json!(["DEBUG=1", "NAME=a=b", "HOME_DIR"])).unwrap();
        let map = parse(&json!({"DEBUG": 1, "NAME": "a=b", "HOME_DIR": null})).unwrap();
        assert_eq!(list, map);
        assert_eq!(list[1].1, Entry::Keep { value: "a=b".into(), interpolated: false });
        assert_eq!(list[2].1, Entry::FromShell);
    }

    #[test]
    fn secrets_stay_out() {
        for (name, value) in [
            ("POSTGRES_PASSWORD", "postgres"),
            ("SECRET_KEY", "dev"),
            ("DJANGO_SECRET_KEY", "x"),
            ("GITHUB_TOKEN", "ghp_x"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("STRIPE_API_KEY", "sk_test"),
            ("SENTRY_DSN", "https://k@sentry.io/1"),
            ("DATABASE_URL", "postgres://app:app@db:5432/app"),
        ] {
            assert!(secret(name, value).is_some(), "{name}");
        }
        for (name, value) in [
            ("DATABASE_URL", "postgres://app@db:5432/app"),
            ("KEYCLOAK_URL", "http://keycloak:8080"),
            ("MONKEY_MODE", "on"),
            ("REDIS_URL", "redis://redis:6379/0"),
        ] {
            assert_eq!(secret(name, value), None, "{name}");
        }
    }

    #[test]
    fn interpolation_is_kept_and_templates_left_out() {
        let entries = parse(&json!({"API": "http://${API_HOST:-api}:8000", "T": "{{ x }}"})).unwrap();
        assert_eq!(entries[0].1, Entry::Keep { value: "http://${API_HOST:-api}:8000".into(), interpolated: true });
        assert_eq!(entries[1].1, Entry::Template);
    }
}
