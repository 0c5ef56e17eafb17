//! Small value checks shared by validation and rendering: Go durations, Kubernetes quantities,
//! environment variable names, commit SHAs and image references.

/// Parses a Go duration (`48h`, `1h30m`, `90s`, `1.5h`) into whole seconds. Zero, negative and
/// absurd (more than ten years) durations are refused.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    const MAX_SECONDS: f64 = 10.0 * 365.0 * 86_400.0;
    let bad = || format!("`{text}` is not a duration; write a Go duration such as `48h`, `90m` or `1h30m`");
    if text.is_empty() || text.len() > 64 {
        return Err(bad());
    }
    let mut total = 0.0_f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        let (number, tail) = rest.split_at(number_len);
        let value: f64 = number.parse().map_err(|_| bad())?;
        let unit_len = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => {
                return Err(format!("`{text}`: Go durations have no `d`; write days as hours, such as `48h`"));
            }
            _ => return Err(bad()),
        };
        total += value * scale;
        rest = tail;
    }
    if total < 1.0 {
        return Err(format!("`{text}` is shorter than one second"));
    }
    if total > MAX_SECONDS {
        return Err(format!("`{text}` is longer than ten years"));
    }
    // Truncation is intended: durations are whole seconds, checked to be in range above.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(total.round() as u64)
}

/// Writes seconds the way Go prints a duration (`48h0m0s` → `48h`, `90m` → `1h30m`).
pub fn format_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut out = String::new();
    for (value, unit) in [(h, 'h'), (m, 'm'), (s, 's')] {
        if value > 0 || (unit == 's' && out.is_empty()) {
            out.push_str(&value.to_string());
            out.push(unit);
        }
    }
    out
}

/// Parses a Kubernetes quantity (`100m`, `1.5`, `256Mi`, `1G`, `1e3`) into its value in base
/// units (cores, bytes).
pub fn parse_quantity(text: &str) -> Result<f64, String> {
    let bad = || format!("`{text}` is not a Kubernetes quantity; write one such as `100m`, `512Mi` or `2Gi`");
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return Err(bad());
    }
    let value: f64 = number.parse().map_err(|_| bad())?;
    let scale = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0_f64.powi(2),
        "Gi" => 1024.0_f64.powi(3),
        "Ti" => 1024.0_f64.powi(4),
        "Pi" => 1024.0_f64.powi(5),
        "Ei" => 1024.0_f64.powi(6),
        s if s.starts_with(['e', 'E']) => {
            let exponent: i32 = s[1..].parse().map_err(|_| bad())?;
            if !(-18..=18).contains(&exponent) {
                return Err(bad());
            }
            10f64.powi(exponent)
        }
        _ => return Err(bad()),
    };
    Ok(value * scale)
}

/// Whether `name` is an environment variable name kubectl accepts and a shell can use.
pub fn is_env_name(name: &str) -> bool {
    name.len() <= 256
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// `bank-gateway` → `BANK_GATEWAY`.
pub fn upper_snake(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

/// A commit SHA: 7 to 64 lowercase hex digits.
pub fn is_sha(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// An image reference kubelet can pull: no whitespace or control characters, a name before any
/// tag or digest.
pub fn check_image(image: &str) -> Result<(), String> {
    if image.is_empty() {
        return Err("image is empty".to_owned());
    }
    if image.len() > 512 || image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("`{image}` is not an image reference (no spaces, at most 512 characters)"));
    }
    if image.starts_with([':', '@', '/']) || image.ends_with([':', '@', '/']) {
        return Err(format!(
            "`{image}` is not an image reference; write one such as `registry.example.com/team/app:tag`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration("48h"), Ok(48 * 3600));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        assert_eq!(parse_duration("1.5h"), Ok(5400));
        assert_eq!(parse_duration("90s"), Ok(90));
        assert!(parse_duration("2d").unwrap_err().contains("48h"));
        assert!(parse_duration("-1h").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("99999999h").is_err());
        assert_eq!(format_duration(48 * 3600), "48h");
        assert_eq!(format_duration(5400), "1h30m");
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("100m"), Ok(0.1));
        assert_eq!(parse_quantity("2"), Ok(2.0));
        assert_eq!(parse_quantity("1Gi"), Ok(1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse_quantity("1e3"), Ok(1000.0));
        assert!(parse_quantity("1GB").is_err());
        assert!(parse_quantity("").is_err());
        assert!(parse_quantity("-1").is_err());
        assert!(parse_quantity("1.2.3").is_err());
    }

    #[test]
    fn names_and_shas() {
        assert!(is_env_name("DATABASE_URL"));
        assert!(!is_env_name("1X"));
        assert!(!is_env_name("A=B"));
        assert_eq!(upper_snake("bank-gateway"), "BANK_GATEWAY");
        assert!(is_sha("4f9c2d1"));
        assert!(!is_sha("4F9C2D1"));
        assert!(!is_sha("xyz1234"));
        assert!(check_image("nginx:1.27").is_ok());
        assert!(check_image("a b").is_err());
    }
}
