//! Compose's `${VAR}` interpolation. kpreview never reads the environment of the machine that
//! runs `init`, so a variable either keeps its text (in `environment` and commands, with a note)
//! or, where a literal is needed (an image, a port), takes the default the file gives.

/// `text` with every `${VAR:-default}` and `${VAR-default}` replaced by its default and `$$` by
/// `$`; `None` when a variable has no default (`$VAR`, `${VAR}`, `${VAR:?error}`).
pub fn with_defaults(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = closing_brace(inner)?;
            out.push_str(&with_defaults(default_of(&inner[..end])?)?);
            rest = &inner[end + 1..];
        } else if after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return None;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Some(out)
}

/// Whether `text` uses interpolation (`$VAR`, `${…}`); `$$` is an escaped `$`, not a variable.
pub fn uses_variables(text: &str) -> bool {
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            rest = tail;
            continue;
        }
        if after.starts_with(|c: char| c == '{' || c.is_ascii_alphabetic() || c == '_') {
            return true;
        }
        rest = after;
    }
    false
}

/// The default of `VAR:-default` or `VAR-default`, the inside of a `${…}`.
fn default_of(inside: &str) -> Option<&str> {
    let name_end = inside.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inside.len());
    let operator = &inside[name_end..];
    operator.strip_prefix(":-").or_else(|| operator.strip_prefix('-')).filter(|_| name_end > 0)
}

/// Where the `}` that closes a `${` is, counting nested `${…}` in defaults.
fn closing_brace(inner: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_stand_in_for_variables() {
        assert_eq!(with_defaults("ghcr.io/acme/web:${TAG:-latest}").as_deref(), Some("ghcr.io/acme/web:latest"));
        assert_eq!(
            with_defaults("${REGISTRY-docker.io}/app:${TAG:-${VERSION:-1}}").as_deref(),
            Some("docker.io/app:1")
        );
        assert_eq!(with_defaults("price: $$5").as_deref(), Some("price: $5"));
        assert_eq!(with_defaults("${TAG}"), None);
        assert_eq!(with_defaults("$TAG"), None);
        assert_eq!(with_defaults("${TAG:?set TAG}"), None);
        assert_eq!(with_defaults("${TAG:-x"), None);
        assert_eq!(with_defaults("${TAG:?no-tag}"), None);
    }

    #[test]
    fn escaped_dollars_are_not_variables() {
        assert!(uses_variables("http://${HOST:-localhost}:8000"));
        assert!(uses_variables("$HOME/bin"));
        assert!(!uses_variables("cost $$5 or $5"));
    }
}
