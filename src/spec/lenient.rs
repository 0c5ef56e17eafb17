//! [`Lenient`]: how the spec's numbers and booleans are read, so that a value of the wrong type
//! (`port: eighty`, `expose: maybe`, `replicas: [2]`) becomes a problem at its field path while
//! the rest of the spec is still read and checked. serde stops at the first value it cannot
//! convert; SPEC §4 wants every problem of a spec reported at once.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A number or boolean as written: absent (or `null`), a value of the right type, or what was
/// found instead. Deserializing it never fails: `load` reports every `Invalid` with its path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Lenient<T> {
    /// Not given, or `null`.
    #[default]
    Absent,
    /// A value of the right type.
    Value(T),
    /// What was found instead, as messages show it (`` `eighty` ``, `a list`).
    Invalid(Found),
}

impl<T: Copy> Lenient<T> {
    /// The value, if one of the right type was given.
    pub fn get(&self) -> Option<T> {
        match self {
            Self::Value(v) => Some(*v),
            Self::Absent | Self::Invalid(_) => None,
        }
    }

    /// Whether nothing was given (a wrongly typed value is given, just wrong).
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// What was found instead of a value of the right type.
    pub fn invalid(&self) -> Option<&Found> {
        match self {
            Self::Invalid(found) => Some(found),
            Self::Absent | Self::Value(_) => None,
        }
    }

    /// `default` when nothing was given; a given value, right or wrong, stays.
    pub fn or_value(&mut self, default: T) {
        if self.is_absent() {
            *self = Self::Value(default);
        }
    }
}

impl<T> From<T> for Lenient<T> {
    fn from(value: T) -> Self {
        Self::Value(value)
    }
}

/// A wrongly typed value, described for a message: a scalar quoted (its first characters, so a
/// hostile value cannot make messages huge), or the kind of node (`a list`, `a mapping`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    shown: String,
    float: bool,
}

impl Found {
    /// How many bytes of a scalar a message shows.
    const SHOWN: usize = 40;

    /// A scalar as written.
    pub(crate) fn scalar(text: &str) -> Self {
        let mut end = text.len().min(Self::SHOWN);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let cut = if end < text.len() { "…" } else { "" };
        Self { shown: format!("`{}{cut}`", &text[..end]), float: false }
    }

    /// A description such as `a list`.
    fn described(shown: String) -> Self {
        Self { shown, float: false }
    }

    /// A number YAML read as a float, shown as one (`8000.0`, not `8000`) until `load` puts back
    /// its text as written (`8e3`).
    fn float(value: f64) -> Self {
        Self { float: true, ..Self::scalar(&format!("{value:?}")) }
    }

    /// Whether it is a float whose text may differ from what was written.
    pub(crate) fn is_float(&self) -> bool {
        self.float
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

/// A type a [`Lenient`] can hold: how each kind of YAML scalar converts to it.
///
/// Only plain scalars of the type's own kind are taken: `kpreview schema` declares these fields
/// integers and booleans, which editors and CI check the spec against, so a quoted `"8000"` or
/// `"true"` that the reader took would pass here and fail there.
pub trait Scalar: Sized + Copy {
    /// From a plain integer.
    fn from_u64(value: u64) -> Option<Self>;
    /// From a plain negative integer.
    fn from_i64(value: i64) -> Option<Self>;
    /// From a plain `true` or `false`.
    fn from_bool(value: bool) -> Option<Self>;
    /// What a string meant as a value of this type is, and what to write instead; `None` when it
    /// does not look like one.
    fn misread(text: &str) -> Option<String>;
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            fn from_u64(value: u64) -> Option<Self> {
                Self::try_from(value).ok()
            }
            fn from_i64(value: i64) -> Option<Self> {
                Self::try_from(value).ok()
            }
            fn from_bool(_: bool) -> Option<Self> {
                None
            }
            fn misread(text: &str) -> Option<String> {
                text.trim()
                    .parse::<i128>()
                    .is_ok()
                    .then(|| format!("{} in quotes, a string; write it without quotes", Found::scalar(text)))
            }
        }
    )*};
}

integer!(u16, u32, u64, i64);

impl Scalar for bool {
    fn from_u64(_: u64) -> Option<Self> {
        None
    }
    fn from_i64(_: i64) -> Option<Self> {
        None
    }
    fn from_bool(value: bool) -> Option<Self> {
        Some(value)
    }
    /// YAML 1.1's spellings are refused, not read: kubectl and Argo CD (YAML 1.1) take `yes` for
    /// true where YAML 1.2 and the schema see the string `"yes"`, so whichever way kpreview read
    /// it, one of them would disagree with what the author sees.
    fn misread(text: &str) -> Option<String> {
        let shown = Found::scalar(text);
        let meant = match text.trim().to_ascii_lowercase().as_str() {
            "true" | "false" => return Some(format!("{shown} in quotes, a string; write it without quotes")),
            "yes" | "on" | "y" => "true",
            "no" | "off" | "n" => "false",
            _ => return None,
        };
        Some(format!(
            "{shown}, which YAML 1.1 readers (kubectl, Argo CD) take for {meant} and YAML 1.2 for a string; write `{meant}`"
        ))
    }
}

impl<'de, T: Scalar> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientVisitor(PhantomData))
    }
}

struct LenientVisitor<T>(PhantomData<T>);

impl<T: Scalar> LenientVisitor<T> {
    fn check(value: Option<T>, shown: impl fmt::Display) -> Lenient<T> {
        value.map_or_else(|| Lenient::Invalid(Found::scalar(&shown.to_string())), Lenient::Value)
    }
}

impl<'de, T: Scalar> Visitor<'de> for LenientVisitor<T> {
    type Value = Lenient<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or boolean")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Lenient::Absent)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Lenient::Absent)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        Lenient::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Self::check(T::from_bool(v), v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Self::check(T::from_u64(v), v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Self::check(T::from_i64(v), v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
        Ok(Self::check(u64::try_from(v).ok().and_then(T::from_u64), v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
        Ok(Self::check(i64::try_from(v).ok().and_then(T::from_i64), v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Lenient::Invalid(Found::float(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Lenient::Invalid(T::misread(v).map_or_else(|| Found::scalar(v), Found::described)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Discard>()?.is_some() {}
        Ok(Lenient::Invalid(Found::described("a list".to_owned())))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<Discard, Discard>()?.is_some() {}
        Ok(Lenient::Invalid(Found::described("a mapping".to_owned())))
    }
}

/// Reads and drops any node. Not `IgnoredAny`: that would make `serde_ignored` report the
/// items of a misplaced list as unknown fields, on top of the wrong type.
struct Discard;

impl<'de> Deserialize<'de> for Discard {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DiscardVisitor)
    }
}

struct DiscardVisitor;

impl<'de> Visitor<'de> for DiscardVisitor {
    type Value = Discard;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_none<E: de::Error>(self) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Discard, D::Error> {
        Discard::deserialize(deserializer)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Discard, A::Error> {
        while seq.next_element::<Discard>()?.is_some() {}
        Ok(Discard)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Discard, A::Error> {
        while map.next_entry::<Discard, Discard>()?.is_some() {}
        Ok(Discard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{self, Limits};

    #[derive(Debug, serde::Deserialize)]
    struct Probe {
        #[serde(default)]
        port: Lenient<u16>,
        #[serde(default)]
        on: Lenient<bool>,
    }

    fn read(text: &str) -> Probe {
        yaml::from_str::<Probe>(text, Limits::Spec).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn right_values_read_as_before() {
        assert_eq!(read("port: 8080").port, Lenient::Value(8080));
        assert_eq!(
            read("port: '8080'").port.invalid().map(ToString::to_string).as_deref(),
            Some("`8080` in quotes, a string; write it without quotes")
        );
        assert_eq!(read("on: true").on, Lenient::Value(true));
        assert_eq!(read("on: false").on, Lenient::Value(false));
        assert_eq!(read("port: ~").port, Lenient::Absent);
        assert_eq!(read("{}").port, Lenient::Absent);
    }

    #[test]
    fn wrong_values_are_kept_as_found_and_never_fail() {
        let shown = |l: Lenient<u16>| l.invalid().map(ToString::to_string).unwrap_or_default();
        assert_eq!(shown(read("port: eighty").port), "`eighty`");
        assert_eq!(shown(read("port: 70000").port), "`70000`");
        assert_eq!(shown(read("port: -1").port), "`-1`");
        assert_eq!(shown(read("port: 80.5").port), "`80.5`");
        assert_eq!(shown(read("port: 8000.0").port), "`8000.0`");
        assert_eq!(shown(read("port: 8e3").port), "`8000.0`");
        assert_eq!(shown(read("port: true").port), "`true`");
        assert_eq!(shown(read("port: [1, {a: b}]").port), "a list");
        assert_eq!(shown(read("port: {a: [b]}").port), "a mapping");
        let long = format!("port: {}é", "x".repeat(39));
        assert_eq!(shown(read(&long).port), format!("`{}…`", "x".repeat(39)));
        assert_eq!(read("on: 1").on.invalid().map(ToString::to_string).as_deref(), Some("`1`"));
    }

    /// What the schema calls a string is refused where the field is a number or boolean, with
    /// what to write instead: kubectl reads `yes` as true, the schema as a string.
    #[test]
    fn quoted_values_and_yaml_1_1_booleans_are_refused_with_what_to_write() {
        let shown = |l: Lenient<bool>| l.invalid().map(ToString::to_string).unwrap_or_default();
        assert_eq!(shown(read("on: 'true'").on), "`true` in quotes, a string; write it without quotes");
        assert_eq!(shown(read("on: \"False\"").on), "`False` in quotes, a string; write it without quotes");
        for (text, meant) in [("yes", "true"), ("on", "true"), ("Y", "true"), ("no", "false"), ("'off'", "false")] {
            let message = shown(read(&format!("on: {text}")).on);
            assert!(message.ends_with(&format!("YAML 1.2 for a string; write `{meant}`")), "{text}: {message}");
        }
        assert_eq!(read("on: True").on, Lenient::Value(true));
        let replicas = yaml::from_str::<Lenient<u32>>("'2'", Limits::Spec).unwrap();
        assert_eq!(
            replicas.invalid().map(ToString::to_string).as_deref(),
            Some("`2` in quotes, a string; write it without quotes")
        );
    }
}
