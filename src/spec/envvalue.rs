//! Spec values that take more than one shape, read by hand rather than with `#[serde(untagged)]`
//! (which would answer every mistake with "data did not match any variant"): an environment
//! variable's value (`text`, `{secret: S, key: K}`, `{configMap: C, key: K}`) and a further port
//! (`1025` or `{port: 9125, protocol: UDP}`). A mistake names the accepted shapes, and an unknown
//! key gets a "did you mean".

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::lenient::Lenient;
use super::problem::did_you_mean;

/// The shapes an environment value may take, for messages.
pub const ENV_SHAPES: &str = "a string, `{secret: NAME, key: KEY}` or `{configMap: NAME, key: KEY}`";
/// The shapes a further port may take, for messages.
pub const PORT_SHAPES: &str = "a port number such as `1025` or `{port: 9125, protocol: UDP}`";

/// The value of one `env` entry as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValueSpec {
    /// A template. `typed` when YAML read it as a number or boolean: `load` puts back the text as
    /// written (`1.10`, `on`), which the number or boolean lost.
    Literal {
        /// The text.
        text: String,
        /// Whether it was a plain number or boolean.
        typed: bool,
    },
    /// A key of a Secret in the preview namespace (`secretKeyRef`).
    Secret {
        /// The Secret.
        name: String,
        /// Its key.
        key: String,
    },
    /// A key of a ConfigMap in the preview namespace (`configMapKeyRef`).
    ConfigMap {
        /// The ConfigMap.
        name: String,
        /// Its key.
        key: String,
    },
}

impl From<&str> for EnvValueSpec {
    fn from(text: &str) -> Self {
        Self::Literal { text: text.to_owned(), typed: false }
    }
}

impl<'de> Deserialize<'de> for EnvValueSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EnvVisitor)
    }
}

struct EnvVisitor;

impl EnvVisitor {
    fn typed(text: String) -> EnvValueSpec {
        EnvValueSpec::Literal { text, typed: true }
    }
}

impl<'de> Visitor<'de> for EnvVisitor {
    type Value = EnvValueSpec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ENV_SHAPES)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(EnvValueSpec::from(v))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Self::typed(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Self::typed(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Self::typed(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Self::typed(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(E::custom(format!("expected a string, found null; an env value is {ENV_SHAPES}")))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(format!("expected {ENV_SHAPES}, found a list")))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        const KEYS: [&str; 3] = ["secret", "configMap", "key"];
        let (mut secret, mut config_map, mut key) = (None, None, None);
        while let Some(name) = map.next_key::<String>()? {
            let slot = match name.as_str() {
                "secret" => &mut secret,
                "configMap" => &mut config_map,
                "key" => &mut key,
                other => return Err(de::Error::custom(unknown_key(other, &KEYS, ENV_SHAPES))),
            };
            if slot.is_some() {
                return Err(de::Error::custom(format!("`{name}` appears twice")));
            }
            *slot = Some(map.next_value::<String>()?);
        }
        let Some(key) = key else {
            return Err(de::Error::custom(format!("missing `key`: expected {ENV_SHAPES}")));
        };
        match (secret, config_map) {
            (Some(name), None) => Ok(EnvValueSpec::Secret { name, key }),
            (None, Some(name)) => Ok(EnvValueSpec::ConfigMap { name, key }),
            _ => Err(de::Error::custom(format!("set exactly one of `secret` and `configMap`: expected {ENV_SHAPES}"))),
        }
    }
}

impl JsonSchema for EnvValueSpec {
    fn schema_name() -> Cow<'static, str> {
        "EnvValue".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let reference = |field: &str, what: &str| {
            serde_json::json!({
                "type": "object",
                "description": format!("A key of a {what} in the preview namespace."),
                "properties": {field: {"type": "string"}, "key": {"type": "string"}},
                "required": [field, "key"],
                "additionalProperties": false,
            })
        };
        // A plain number or boolean is read as the text it was written as: the schema takes it
        // too, or editors and CI would flag what kpreview accepts (`EMAIL_PORT: 1025`).
        json_schema!({
            "description": "A template, a plain number or boolean (kept as written), a key of a Secret or a key of a ConfigMap.",
            "anyOf": [
                {"type": ["string", "number", "boolean"]},
                reference("secret", "Secret"),
                reference("configMap", "ConfigMap"),
            ],
        })
    }
}

/// A further port as written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PortSpec {
    /// The port number.
    pub port: Lenient<u16>,
    /// `TCP` (default) or `UDP`.
    pub protocol: Option<String>,
    /// Written as a bare number, so a wrong number is at the port's own path, not at `.port`.
    pub short: bool,
}

impl<'de> Deserialize<'de> for PortSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PortVisitor)
    }
}

struct PortVisitor;

impl PortVisitor {
    fn short<E: de::Error>(port: Result<Lenient<u16>, E>) -> Result<PortSpec, E> {
        Ok(PortSpec { port: port?, protocol: None, short: true })
    }
}

impl<'de> Visitor<'de> for PortVisitor {
    type Value = PortSpec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PORT_SHAPES)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Self::short(Lenient::deserialize(de::value::U64Deserializer::new(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::short(Lenient::deserialize(de::value::I64Deserializer::new(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Self::short(Lenient::deserialize(de::value::F64Deserializer::new(v)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Self::short(Lenient::deserialize(de::value::BoolDeserializer::new(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Self::short(Lenient::deserialize(de::value::StrDeserializer::new(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(E::custom(format!("expected {PORT_SHAPES}, found null")))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(format!("expected {PORT_SHAPES}, found a list")))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        const KEYS: [&str; 2] = ["port", "protocol"];
        let mut out = PortSpec::default();
        while let Some(name) = map.next_key::<String>()? {
            match name.as_str() {
                "port" => out.port = map.next_value()?,
                "protocol" => out.protocol = Some(map.next_value()?),
                other => return Err(de::Error::custom(unknown_key(other, &KEYS, PORT_SHAPES))),
            }
        }
        Ok(out)
    }
}

impl JsonSchema for PortSpec {
    fn schema_name() -> Cow<'static, str> {
        "Port".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A port number, or a port and its protocol.",
            "anyOf": [
                {
                    "type": "object",
                    "properties": {
                        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                        "protocol": {"type": "string", "enum": ["TCP", "UDP"]},
                    },
                    "required": ["port"],
                    "additionalProperties": false,
                },
                {"type": "integer", "minimum": 1, "maximum": 65535},
            ],
        })
    }
}

fn unknown_key(name: &str, known: &[&str], shapes: &str) -> String {
    match did_you_mean(name, known.iter().copied()) {
        Some(guess) => format!("unknown field `{name}`, did you mean `{guess}`? expected {shapes}"),
        None => format!("unknown field `{name}`: expected {shapes}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{self, Limits};

    fn env(text: &str) -> Result<EnvValueSpec, String> {
        yaml::from_str::<EnvValueSpec>(text, Limits::Spec).map_err(|e| e.to_string())
    }

    fn port(text: &str) -> Result<PortSpec, String> {
        yaml::from_str::<PortSpec>(text, Limits::Spec).map_err(|e| e.to_string())
    }

    #[test]
    fn env_values_take_three_shapes() {
        assert_eq!(env("'x{{ name }}'"), Ok(EnvValueSpec::from("x{{ name }}")));
        assert_eq!(env("1"), Ok(EnvValueSpec::Literal { text: "1".into(), typed: true }));
        assert_eq!(env("{secret: s, key: k}"), Ok(EnvValueSpec::Secret { name: "s".into(), key: "k".into() }));
        assert_eq!(env("{configMap: c, key: k}"), Ok(EnvValueSpec::ConfigMap { name: "c".into(), key: "k".into() }));
    }

    #[test]
    fn a_wrong_env_value_names_the_accepted_shapes() {
        let err = env("{secert: s, key: k}").unwrap_err();
        assert!(err.contains("unknown field `secert`, did you mean `secret`?"), "{err}");
        assert!(err.contains("{configMap: NAME, key: KEY}"), "{err}");
        assert!(env("{secret: s}").unwrap_err().contains("missing `key`"));
        assert!(env("{secret: s, configMap: c, key: k}").unwrap_err().contains("exactly one"));
        assert!(env("[a]").unwrap_err().contains("found a list"));
    }

    #[test]
    fn ports_are_numbers_or_mappings() {
        assert_eq!(port("1025").unwrap(), PortSpec { port: Lenient::Value(1025), protocol: None, short: true });
        let udp = port("{port: 9125, protocol: UDP}").unwrap();
        assert_eq!((udp.port, udp.protocol.as_deref(), udp.short), (Lenient::Value(9125), Some("UDP"), false));
        assert!(port("smtp").unwrap().port.invalid().is_some());
        assert!(port("{prot: 1}").unwrap_err().contains("did you mean `port`?"));
    }
}
