//! Kubernetes quantities (`100m`, `1.5`, `256Mi`, `1G`, `1e3`): CPU, memory and storage as the
//! spec and the policy write them, compared by value and written back as given.

use std::cmp::Ordering;
use std::fmt;

use serde::Serialize;

use crate::fault::{Fault, HasFault};

/// A parsed quantity: its text as written (which Kubernetes accepts as it is) and its value in
/// base units (cores, bytes). Equality and order are by value: `1Gi` equals `1024Mi`.
#[derive(Debug, Clone)]
pub struct Quantity {
    text: String,
    value: f64,
}

/// What a quantity measures, which decides the suffixes that make sense and the examples a
/// message gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Any quantity: what kpreview reads back from rendered objects.
    Any,
    /// Cores: `100m`, `0.5`, `2`.
    Cpu,
    /// Bytes (memory, storage), whole ones: `m` is milli, so `512m` is half a byte, which the
    /// container runtime refuses long after the render looked fine.
    Bytes,
}

impl Measure {
    fn examples(self) -> &'static str {
        match self {
            Measure::Any => "`100m`, `512Mi` or `2Gi`",
            Measure::Cpu => "`100m`, `0.5` or `2`",
            Measure::Bytes => "`512Mi` or `2Gi`",
        }
    }
}

/// Why a text is not a [`Quantity`]. Always the input's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// Not a quantity at all.
    #[error("`{text}` is not a Kubernetes quantity; write one such as {}", .measure.examples())]
    Malformed {
        /// As written.
        text: String,
        /// What it measures.
        measure: Measure,
    },
    /// A unit of another notation (`1GB`, `512mb`), with the Kubernetes one it likely meant.
    #[error("`{0}` is not a Kubernetes quantity; did you mean `{1}`?")]
    Unit(String, String),
    /// Bytes with the `m` (milli) suffix, with what it likely meant.
    #[error("`{text}` is {bytes} bytes (`m` is milli); did you mean `{meant}`?")]
    Milli {
        /// As written.
        text: String,
        /// Its value in bytes (`0.512`).
        bytes: String,
        /// The same number with `Mi`.
        meant: String,
    },
    /// Fewer bytes than one.
    #[error("`{0}` is less than one byte; write one such as `512Mi` or `2Gi`")]
    Fraction(String),
}

impl HasFault for QuantityError {
    fn fault(&self) -> Fault {
        Fault::Input
    }
}

/// The number of a quantity, as JSON Schema's (ECMA-262) regular expressions write it.
const NUMBER: &str = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)";

/// The decimal and binary suffixes.
const SCALES: &str = "[kMGTPE]|[KMGTPE]i";

/// What [`Quantity::cpu`] reads, as a JSON Schema `pattern`.
pub fn cpu_pattern() -> String {
    format!("^{NUMBER}(?:m|{SCALES}|[eE][+-]?0*(?:1[0-8]|[0-9]))?$")
}

/// What [`Quantity::bytes`] reads, as a JSON Schema `pattern`: no `m`, no negative exponent, and
/// no number below one without a suffix. A regular expression cannot compare values, so a
/// fraction of a byte written with a suffix (`0.0001k`) is left to the reader.
pub fn bytes_pattern() -> String {
    let at_least_one = r"0*[1-9][0-9]*(?:\.[0-9]*)?";
    let not_zero = r"(?:[0-9]*[1-9][0-9]*(?:\.[0-9]*)?|[0-9]*\.[0-9]*[1-9][0-9]*)";
    format!("^(?:{at_least_one}|{not_zero}(?:{SCALES}|[eE]\\+?0*(?:1[0-8]|[0-9])))$")
}

impl Quantity {
    /// Parses any quantity: a non-negative decimal and a suffix (`m`, `k`…`E`, `Ki`…`Ei`, or an
    /// exponent from `e-18` to `e18`).
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        Self::parse_as(text, Measure::Any)
    }

    /// Parses an amount of CPU.
    pub fn cpu(text: &str) -> Result<Self, QuantityError> {
        Self::parse_as(text, Measure::Cpu)
    }

    /// Parses an amount of memory or storage: at least one byte, without `m` or a negative
    /// exponent.
    pub fn bytes(text: &str) -> Result<Self, QuantityError> {
        Self::parse_as(text, Measure::Bytes)
    }

    /// Parses a quantity of `measure`.
    pub fn parse_as(text: &str, measure: Measure) -> Result<Self, QuantityError> {
        let bad = || QuantityError::Malformed { text: text.to_owned(), measure };
        let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
        let (number, suffix) = text.split_at(split);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(bad());
        }
        let value: f64 = number.parse().map_err(|_| bad())?;
        let scale = match suffix {
            "" => 1.0,
            "m" if measure == Measure::Bytes => {
                return Err(QuantityError::Milli {
                    text: text.to_owned(),
                    bytes: (value / 1000.0).to_string(),
                    meant: format!("{number}Mi"),
                });
            }
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
                if !(-18..=18).contains(&exponent) || (exponent < 0 && measure == Measure::Bytes) {
                    return Err(bad());
                }
                10f64.powi(exponent)
            }
            s => {
                return Err(match (measure, binary_unit(s)) {
                    (Measure::Any | Measure::Bytes, Some(unit)) => {
                        QuantityError::Unit(text.to_owned(), format!("{number}{unit}"))
                    }
                    _ => bad(),
                });
            }
        };
        let value = value * scale;
        if measure == Measure::Bytes && value < 1.0 {
            return Err(QuantityError::Fraction(text.to_owned()));
        }
        Ok(Self { text: text.to_owned(), value })
    }

    /// As written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// In base units: cores or bytes.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Whether `sum` (in base units) goes beyond this quantity, allowing for the rounding of
    /// adding up many `f64`s.
    pub fn is_exceeded_by(&self, sum: f64) -> bool {
        sum > self.value * (1.0 + 1e-9)
    }
}

/// The Kubernetes suffix a byte unit of another notation stands for: `GB`, `gb`, `GiB`, `Gi`
/// in the wrong case → `Gi` (what people who write `GB` usually mean; `G` is the exact one).
fn binary_unit(suffix: &str) -> Option<String> {
    let lower = suffix.trim().to_ascii_lowercase();
    let mut chars = lower.chars();
    let letter = chars.next().filter(|c| "kmgtpe".contains(*c))?;
    matches!(chars.as_str(), "b" | "ib" | "i").then(|| format!("{}i", letter.to_ascii_uppercase()))
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value.total_cmp(&other.value)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Result<f64, QuantityError> {
        Quantity::parse(text).map(|q| q.value())
    }

    #[test]
    fn quantities() {
        assert_eq!(value("100m"), Ok(0.1));
        assert_eq!(value("2"), Ok(2.0));
        assert_eq!(value("1Gi"), Ok(1024.0 * 1024.0 * 1024.0));
        assert_eq!(value("1e3"), Ok(1000.0));
        assert!(value("1GB").is_err());
        assert!(value("").is_err());
        assert!(value("-1").is_err());
        assert!(value("1.2.3").is_err());
    }

    #[test]
    fn bytes_are_whole_and_messages_fit_the_measure() {
        let bytes = |t: &str| Quantity::bytes(t).map(|q| q.value()).map_err(|e| e.to_string());
        assert_eq!(bytes("512Mi"), Ok(512.0 * 1024.0 * 1024.0));
        assert_eq!(bytes("1.5Gi"), Ok(1.5 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(bytes("1e3"), Ok(1000.0));
        assert_eq!(bytes("512m"), Err("`512m` is 0.512 bytes (`m` is milli); did you mean `512Mi`?".into()));
        assert_eq!(bytes("1m"), Err("`1m` is 0.001 bytes (`m` is milli); did you mean `1Mi`?".into()));
        assert_eq!(bytes("0.5"), Err("`0.5` is less than one byte; write one such as `512Mi` or `2Gi`".into()));
        assert_eq!(bytes("0"), Err("`0` is less than one byte; write one such as `512Mi` or `2Gi`".into()));
        assert_eq!(
            bytes("1000e-3"),
            Err("`1000e-3` is not a Kubernetes quantity; write one such as `512Mi` or `2Gi`".into())
        );
        for (written, meant) in [("1GB", "1Gi"), ("512mb", "512Mi"), ("2GiB", "2Gi"), ("1gi", "1Gi"), ("1KB", "1Ki")] {
            assert_eq!(
                bytes(written),
                Err(format!("`{written}` is not a Kubernetes quantity; did you mean `{meant}`?"))
            );
        }
        let cpu = |t: &str| Quantity::cpu(t).map(|q| q.value()).map_err(|e| e.to_string());
        assert_eq!(cpu("500m"), Ok(0.5));
        assert_eq!(
            cpu("2 cores"),
            Err("`2 cores` is not a Kubernetes quantity; write one such as `100m`, `0.5` or `2`".into())
        );
        assert_eq!(
            cpu("1GB"),
            Err("`1GB` is not a Kubernetes quantity; write one such as `100m`, `0.5` or `2`".into())
        );
    }

    #[test]
    fn quantities_compare_by_value_and_keep_their_text() {
        let q = |t: &str| Quantity::parse(t).unwrap();
        assert_eq!(q("1Gi"), q("1024Mi"));
        assert!(q("500m") < q("1"));
        assert_eq!(q("1024Mi").as_str(), "1024Mi");
        assert!(q("16").is_exceeded_by(16.5) && !q("16").is_exceeded_by(16.0));
    }
}
