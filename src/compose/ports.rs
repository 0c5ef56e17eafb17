//! The container side of a compose service's `ports` (and `expose`), in both syntaxes: the short
//! `[[ip:]host:]container[/protocol]` string (or a bare number) and the long mapping with
//! `target`, `protocol` and `name`. The host side has no meaning in a cluster.

use serde_json::Value;

use super::interpolate::with_defaults;

/// Most ports one range may give; `8000-9000` is a mistake or a job for a different tool.
const MAX_RANGE: u16 = 16;

/// One port a container listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// The container port.
    pub number: u16,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: &'static str,
    /// The long syntax's `name`, if given.
    pub name: Option<String>,
}

/// Why an entry of `ports` or `expose` is not understood; `init` leaves it out with a note.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// Not a port number (the value, as JSON).
    #[error("{0} is not a port, a whole number from 1 to 65535")]
    NotAPort(String),
    /// The long syntax without `target`.
    #[error("the long syntax needs `target`, the container port")]
    NoTarget,
    /// A protocol that is not a string (as JSON).
    #[error("`protocol` is {0}; expected tcp, udp or sctp")]
    ProtocolType(String),
    /// An unknown protocol.
    #[error("`{0}` is not a protocol; expected tcp, udp or sctp")]
    Protocol(String),
    /// A variable that has no default, so the port is unknown.
    #[error("`{0}` uses a variable without a default")]
    Variable(String),
    /// Not the short syntax.
    #[error("`{0}` is not a port mapping such as \"8000:8000\" or \"127.0.0.1:5432:5432/tcp\"")]
    NotAMapping(String),
    /// A range too wide for a preview.
    #[error("`{0}` is a range of more than {MAX_RANGE} ports; list the ports the app listens on")]
    WideRange(String),
}

/// The ports of one entry, or why it is not understood. A range gives each of its ports.
pub fn parse(entry: &Value) -> Result<Vec<Port>, PortError> {
    match entry {
        Value::Number(n) => {
            let number = n.as_u64().and_then(|n| u16::try_from(n).ok()).filter(|n| *n > 0);
            number.map(|number| vec![Port { number, protocol: "TCP", name: None }]).ok_or_else(|| not_a_port(entry))
        }
        Value::String(text) => short(text),
        Value::Object(map) => {
            let target = match map.get("target") {
                Some(Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
                Some(Value::String(s)) => with_defaults(s).and_then(|s| s.trim().parse().ok()),
                _ => return Err(PortError::NoTarget),
            };
            let number =
                target.filter(|n| *n > 0).ok_or_else(|| not_a_port(map.get("target").unwrap_or(&Value::Null)))?;
            let protocol = match map.get("protocol") {
                None => "TCP",
                Some(Value::String(p)) => protocol(p)?,
                Some(other) => return Err(PortError::ProtocolType(other.to_string())),
            };
            let name = map.get("name").and_then(Value::as_str).map(str::to_owned);
            Ok(vec![Port { number, protocol, name }])
        }
        other => Err(not_a_port(other)),
    }
}

fn short(text: &str) -> Result<Vec<Port>, PortError> {
    let text = with_defaults(text).ok_or_else(|| PortError::Variable(text.to_owned()))?;
    let (spec, protocol) = match text.rsplit_once('/') {
        Some((spec, p)) => (spec, self::protocol(p)?),
        None => (text.as_str(), "TCP"),
    };
    // An IPv6 host address is bracketed, so the container side is always after the last `:`.
    let container = spec.rsplit(':').next().unwrap_or(spec).trim();
    let bad = || PortError::NotAMapping(text.clone());
    let number = |s: &str| s.parse::<u16>().ok().filter(|n| *n > 0).ok_or_else(bad);
    let (first, last) = if let Some((first, last)) = container.split_once('-') {
        (number(first)?, number(last)?)
    } else {
        let n = number(container)?;
        (n, n)
    };
    if last < first || last - first >= MAX_RANGE {
        return Err(PortError::WideRange(text));
    }
    Ok((first..=last).map(|number| Port { number, protocol, name: None }).collect())
}

fn protocol(text: &str) -> Result<&'static str, PortError> {
    match text.to_ascii_lowercase().as_str() {
        "tcp" => Ok("TCP"),
        "udp" => Ok("UDP"),
        "sctp" => Ok("SCTP"),
        _ => Err(PortError::Protocol(text.to_owned())),
    }
}

fn not_a_port(value: &Value) -> PortError {
    PortError::NotAPort(value.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn numbers(entry: &Value) -> Vec<(u16, &'static str)> {
        parse(entry).unwrap().into_iter().map(|p| (p.number, p.protocol)).collect()
    }

    #[test]
    fn the_short_syntax_gives_the_container_side() {
        assert_eq!(numbers(&json!("8000:8000")), [(8000, "TCP")]);
        assert_eq!(numbers(&json!("3000")), [(3000, "TCP")]);
        assert_eq!(numbers(&json!(9090)), [(9090, "TCP")]);
        assert_eq!(numbers(&json!("127.0.0.1:5433:5432")), [(5432, "TCP")]);
        assert_eq!(numbers(&json!("[::1]:8080:80/tcp")), [(80, "TCP")]);
        assert_eq!(numbers(&json!("6831:6831/udp")), [(6831, "UDP")]);
        assert_eq!(numbers(&json!("${WEB_PORT:-8080}:80")), [(80, "TCP")]);
        assert_eq!(numbers(&json!("9000-9001:9000-9001")), [(9000, "TCP"), (9001, "TCP")]);
    }

    #[test]
    fn the_long_syntax_gives_target_protocol_and_name() {
        let ports = parse(&json!({"target": 1025, "published": "1025", "protocol": "tcp", "name": "smtp"})).unwrap();
        assert_eq!(ports, [Port { number: 1025, protocol: "TCP", name: Some("smtp".into()) }]);
        assert_eq!(numbers(&json!({"target": "8125", "protocol": "udp", "mode": "host"})), [(8125, "UDP")]);
    }

    #[test]
    fn what_is_not_a_port_says_so() {
        assert!(parse(&json!("80:http")).unwrap_err().to_string().contains("not a port mapping"));
        assert!(parse(&json!("0")).is_err());
        assert!(parse(&json!(70000)).is_err());
        assert!(parse(&json!("1-1000")).unwrap_err().to_string().contains("range"));
        assert!(parse(&json!("80/icmp")).unwrap_err().to_string().contains("protocol"));
        assert!(parse(&json!({"published": 80})).unwrap_err().to_string().contains("target"));
        assert!(parse(&json!("${PORT}")).unwrap_err().to_string().contains("variable"));
    }
}
