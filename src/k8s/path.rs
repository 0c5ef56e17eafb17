//! Field paths as users read them: `spec.services.api.dependsOn[2]`, keys that would read as
//! more path quoted.

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// `spec.services.api.dependsOn[2]`: keys joined by dots, indexes in brackets.
pub fn render_path(segs: &[Seg]) -> String {
    segs.iter().fold(String::new(), |path, seg| match seg {
        Seg::Key(key) => key_path(&path, key),
        Seg::Index(i) => format!("{path}[{i}]"),
    })
}

/// Joins a field path and a map key, quoting keys that would read as more path.
pub fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '/');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{}]", serde_json::to_string(key).unwrap_or_default()),
    }
}
