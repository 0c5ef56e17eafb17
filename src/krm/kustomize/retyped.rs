//! Scalars kustomize retyped: it re-serialises a generator's config, and YAML 1.1 reads plain
//! scalars as numbers and timestamps on the way (`0x1F` becomes `"31"`, `16.10` becomes `16.1`,
//! `2026-01-01` a timestamp). Each gets back the text the author wrote, when it is the same value.

use serde_json::Value;

/// Gives each scalar of `config` that YAML 1.1 retyped (to a number, or to a string of one) its
/// text in `written`, when the two are the same value; a value a patch changed stays. A number
/// field written in another notation (`port: 0x1F90`) then reads as text and is refused, where
/// `render` would take it: quote-free hex ports are not worth a type-aware walk.
pub fn restore_text(config: &mut Value, written: &Value) {
    match (config, written) {
        (Value::Object(config), Value::Object(written)) => {
            for (key, value) in config.iter_mut() {
                if let Some(text) = written.get(key) {
                    restore_text(value, text);
                }
            }
        }
        (Value::Array(config), Value::Array(written)) => {
            for (value, text) in config.iter_mut().zip(written) {
                restore_text(value, text);
            }
        }
        (value, Value::String(text)) => {
            let retyped = match value {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            if retyped.is_some_and(|r| r != *text && retyped_from(&r, text)) {
                *value = Value::from(text.as_str());
            }
        }
        _ => {}
    }
}

/// Whether `retyped` is how a YAML 1.1 reader prints the plain scalar `text`: the same number in
/// another notation (`31` for `0x1F`, `8` for `010`, `1000` for `1e3`, `16.1` for `16.10`), or
/// the same date as a timestamp (`2026-01-01T00:00:00Z` for `2026-01-01`).
fn retyped_from(retyped: &str, text: &str) -> bool {
    let same_number = || {
        let ours = numbers(retyped);
        numbers(text).iter().any(|a| ours.iter().any(|b| (a - b).abs() <= f64::EPSILON * a.abs().max(1.0) * 4.0))
    };
    let same_date = || {
        let date = |t: &str| {
            let mut parts = t.get(..10.min(t.len()))?.split(['-', 'T', 't', ' ']);
            let ymd: Vec<u32> = (0..3).map(|_| parts.next()?.parse().ok()).collect::<Option<_>>()?;
            (ymd[0] >= 1000).then_some(ymd)
        };
        date(text).is_some() && date(text) == date(retyped)
    };
    same_number() || same_date()
}

/// The values a YAML 1.0–1.2 reader may give the plain scalar `text` as a number: decimal, and for
/// a leading zero also octal; `0x`, `0o`, `0b` prefixes; `_` separators; `+` signs.
#[allow(clippy::cast_precision_loss, reason = "compared as kustomize prints them: as float64")]
fn numbers(text: &str) -> Vec<f64> {
    let t = text.trim().replace('_', "");
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let radix = |prefix: &str, radix: u32| {
        let rest = digits.strip_prefix(prefix).or_else(|| digits.strip_prefix(&prefix.to_uppercase()))?;
        u64::from_str_radix(rest, radix).ok().map(|v| v as f64)
    };
    let mut out: Vec<f64> = [radix("0x", 16), radix("0o", 8), radix("0b", 2)].into_iter().flatten().collect();
    if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()) {
        out.extend(u64::from_str_radix(&digits[1..], 8).ok().map(|v| v as f64));
    }
    if digits.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.') {
        out.extend(digits.parse::<f64>().ok());
    }
    out.into_iter().map(|v| if negative { -v } else { v }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_a_retyped_scalar_from_a_patched_one() {
        for (retyped, text) in [
            ("31", "0x1F"),
            ("8", "010"),
            ("1000", "1e3"),
            ("16.1", "16.10"),
            ("15", "0o17"),
            ("5", "0b101"),
            ("12", "+12"),
            ("1000", "1_000"),
            ("1.2345678901234568e39", "1234567890123456789012345678901234567890"),
            ("2026-01-01T00:00:00Z", "2026-01-01"),
        ] {
            assert!(retyped_from(retyped, text), "{retyped} from {text}");
        }
        for (patched, text) in [("32", "0x1F"), ("16.2", "16.10"), ("2026-01-02T00:00:00Z", "2026-01-01"), ("a", "b")] {
            assert!(!retyped_from(patched, text), "{patched} from {text}");
        }
    }

    #[test]
    fn gives_back_the_text_only_where_kustomize_retyped_it() {
        let mut config: Value =
            serde_json::from_str(r#"{"env": {"A": 31, "B": "8", "C": 32, "D": "x"}, "version": 16.1, "port": 8080}"#)
                .expect("json");
        let written: Value = serde_json::from_str(
            r#"{"env": {"A": "0x1F", "B": "010", "C": "0x1F", "D": "y"}, "version": "16.10", "port": "8080"}"#,
        )
        .expect("json");
        restore_text(&mut config, &written);
        let expected: Value = serde_json::from_str(
            r#"{"env": {"A": "0x1F", "B": "010", "C": 32, "D": "x"}, "version": "16.10", "port": 8080}"#,
        )
        .expect("json");
        assert_eq!(config, expected);
    }
}
