//! Durations in Go's notation (`48h`, `1h30m`, `90s`), which Argo CD, Velero and External Secrets
//! read: the one type that carries a lifetime, a timeout or an interval through every stage.

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::fault::{Fault, HasFault};

/// The longest duration accepted: ten years.
const MAX_SECONDS: f64 = 10.0 * 365.0 * 86_400.0;

/// What [`Duration::parse`] reads, as a JSON Schema `pattern`: numbers, each with a unit. Whether
/// it is at least a second and at most ten years is left to the parser.
pub const PATTERN: &str = r"^(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|ms|s|m|h))+$";

/// A duration of whole seconds and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duration {
    text: String,
    seconds: u64,
}

/// Why a text is not a [`Duration`]. Always the input's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not Go's notation at all.
    #[error("`{0}` is not a duration; write a Go duration such as `48h`, `90m` or `1h30m`")]
    Malformed(String),
    /// Days, which Go's notation lacks.
    #[error("`{0}`: Go durations have no `d`; write days as hours, such as `48h`")]
    Days(String),
    /// Zero or less than a second.
    #[error("`{0}` is shorter than one second")]
    TooShort(String),
    /// More than ten years.
    #[error("`{0}` is longer than ten years")]
    TooLong(String),
}

impl HasFault for DurationError {
    fn fault(&self) -> Fault {
        Fault::Input
    }
}

impl Duration {
    /// Parses a Go duration (`48h`, `1h30m`, `90s`, `1.5h`), keeping `text` as written. Zero,
    /// negative and absurd (more than ten years) durations are refused.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        parse_seconds(text).map(|seconds| Self { text: text.to_owned(), seconds })
    }

    /// `seconds`, written the way Go prints a duration (`48h0m0s` → `48h`, `90m` → `1h30m`).
    pub fn from_seconds(seconds: u64) -> Self {
        let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
        let mut text = String::new();
        for (value, unit) in [(h, 'h'), (m, 'm'), (s, 's')] {
            if value > 0 || (unit == 's' && text.is_empty()) {
                text.push_str(&value.to_string());
                text.push(unit);
            }
        }
        Self { text, seconds }
    }

    /// The same length, written the way Go prints it (`90m` → `1h30m`).
    #[must_use]
    pub fn normalized(&self) -> Self {
        Self::from_seconds(self.seconds)
    }

    /// The text: as written, or as Go prints it when made by [`Duration::from_seconds`].
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// In whole seconds.
    pub fn seconds(&self) -> u64 {
        self.seconds
    }

    /// As a standard library duration.
    pub fn as_std(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.seconds)
    }

    /// The instant this long after `start` (the latest representable one if it overflows).
    pub fn after(&self, start: Timestamp) -> Timestamp {
        let seconds = i64::try_from(self.seconds).unwrap_or(i64::MAX);
        start.saturating_add(SignedDuration::from_secs(seconds)).unwrap_or(Timestamp::MAX)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

fn parse_seconds(text: &str) -> Result<u64, DurationError> {
    let bad = || DurationError::Malformed(text.to_owned());
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
            "d" => return Err(DurationError::Days(text.to_owned())),
            _ => return Err(bad()),
        };
        total += value * scale;
        rest = tail;
    }
    if total < 1.0 {
        return Err(DurationError::TooShort(text.to_owned()));
    }
    if total > MAX_SECONDS {
        return Err(DurationError::TooLong(text.to_owned()));
    }
    // Truncation is intended: durations are whole seconds, checked to be in range above.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(total.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(text: &str) -> Result<u64, DurationError> {
        Duration::parse(text).map(|d| d.seconds())
    }

    #[test]
    fn go_durations() {
        assert_eq!(seconds("48h"), Ok(48 * 3600));
        assert_eq!(seconds("1h30m"), Ok(5400));
        assert_eq!(seconds("1.5h"), Ok(5400));
        assert_eq!(seconds("90s"), Ok(90));
        assert!(Duration::parse("2d").unwrap_err().to_string().contains("48h"));
        assert_eq!(Duration::parse("2d"), Err(DurationError::Days("2d".into())));
        assert!(seconds("-1h").is_err());
        assert_eq!(seconds("0s"), Err(DurationError::TooShort("0s".into())));
        assert!(seconds("h").is_err());
        assert!(seconds("10").is_err());
        assert_eq!(seconds("99999999h"), Err(DurationError::TooLong("99999999h".into())));
    }

    #[test]
    fn the_text_is_kept_as_written_or_printed_as_go_does() {
        assert_eq!(Duration::parse("90m").unwrap().as_str(), "90m");
        assert_eq!(Duration::parse("90m").unwrap().normalized().as_str(), "1h30m");
        assert_eq!(Duration::from_seconds(48 * 3600).as_str(), "48h");
        assert_eq!(Duration::from_seconds(5400).as_str(), "1h30m");
        assert_eq!(Duration::from_seconds(0).as_str(), "0s");
    }
}
