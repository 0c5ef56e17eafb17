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

/// Why a text is not a [`Quantity`]. Always the input's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Kubernetes quantity; write one such as `100m`, `512Mi` or `2Gi`")]
pub struct QuantityError(pub String);

impl HasFault for QuantityError {
    fn fault(&self) -> Fault {
        Fault::Input
    }
}

impl Quantity {
    /// Parses a quantity: a non-negative decimal and a suffix (`m`, `k`…`E`, `Ki`…`Ei`, or an
    /// exponent from `e-18` to `e18`).
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        let bad = || QuantityError(text.to_owned());
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
        Ok(Self { text: text.to_owned(), value: value * scale })
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
    fn quantities_compare_by_value_and_keep_their_text() {
        let q = |t: &str| Quantity::parse(t).unwrap();
        assert_eq!(q("1Gi"), q("1024Mi"));
        assert!(q("500m") < q("1"));
        assert_eq!(q("1024Mi").as_str(), "1024Mi");
        assert!(q("16").is_exceeded_by(16.5) && !q("16").is_exceeded_by(16.0));
    }
}
