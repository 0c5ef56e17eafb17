//! The one place that reads and writes YAML. Everything goes through serde-saphyr: it quotes the
//! strings that YAML 1.1 readers (kubectl, Argo CD) would take for booleans, numbers or
//! timestamps, and it parses under budgets, so hostile input is refused in bounded time and memory.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::k8s::path::{Seg, render_path};

/// Largest spec file accepted; real specs are a few kilobytes.
pub const MAX_SPEC_BYTES: usize = 1 << 20;
/// Largest `ResourceList` accepted on stdin; it holds a whole package.
pub const MAX_STREAM_BYTES: usize = 64 << 20;

/// How much of the parser's budget an input gets.
#[derive(Debug, Clone, Copy)]
pub enum Limits {
    /// One spec or lock file.
    Spec,
    /// A `ResourceList` or manifest stream: a whole package.
    Stream,
}

impl Limits {
    /// Most nodes (scalars, lists, mappings) a document may have, aliases expanded.
    pub fn max_nodes(self) -> usize {
        match self {
            Limits::Spec => 100_000,
            Limits::Stream => 4_000_000,
        }
    }

    /// Byte limit of the input.
    pub fn max_bytes(self) -> usize {
        match self {
            Limits::Spec => MAX_SPEC_BYTES,
            Limits::Stream => MAX_STREAM_BYTES,
        }
    }

    /// Deepest nesting accepted.
    pub fn max_depth(self) -> usize {
        match self {
            Limits::Spec => 64,
            Limits::Stream => 256,
        }
    }

    fn options(self, strict_booleans: bool) -> serde_saphyr::Options {
        let (depth, nodes) = (self.max_depth(), self.max_nodes());
        let aliases = match self {
            Limits::Spec => 256,
            Limits::Stream => 4_096,
        };
        let mut alias_limits = serde_saphyr::options::AliasLimits::default();
        // What aliases may add is a spec's whole budget, whatever the input: a package's items
        // rarely use aliases at all, and an alias bomb in any one of them must be refused before it
        // costs more memory than a spec could (kpt's and Argo CD's memory is theirs).
        alias_limits.max_total_replayed_events = Limits::Spec.max_nodes();
        alias_limits.max_replay_stack_depth = depth;
        alias_limits.max_alias_expansions_per_anchor = aliases;
        serde_saphyr::options! {
            budget: serde_saphyr::budget! {
                max_depth: depth,
                max_nodes: nodes,
                max_aliases: aliases,
                max_anchors: aliases,
                max_documents: 1,
                max_total_scalar_bytes: self.max_bytes(),
            },
            alias_limits: alias_limits,
            strict_booleans: strict_booleans,
            leading_zero_numbers_as_strings: true,
            underscored_numbers_as_strings: true,
            // `.inf` and `.nan` in an untyped read stay text, as a typed spec's string fields keep
            // them; JSON has no number for them.
            non_finite_float_policy: serde_saphyr::options::NonFiniteFloatPolicy::AsString,
            with_snippet: false,
        }
    }
}

/// A YAML document that could not be read, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") }, location.map(|(l, c)| format!("line {l} column {c}: ")).unwrap_or_default())]
pub struct ReadError {
    /// Field path of the offending value, empty when the document itself is broken.
    pub path: String,
    /// Line and column, when the parser knows them.
    pub location: Option<(u64, u64)>,
    /// What went wrong, as a lowercase fragment.
    pub message: String,
}

/// A typed document plus the path of every key its types do not have.
#[derive(Debug)]
pub struct Tracked<T> {
    /// The document.
    pub value: T,
    /// Paths of keys the types ignored, in document order.
    pub unknown: Vec<Vec<Seg>>,
}

/// Reads one typed document, recording unknown keys instead of failing on the first.
///
/// Booleans are YAML 1.2's `true` and `false`: a `yes` or `on` reaches a boolean field as the
/// string it is, which the field can refuse by name (kubectl would read it as a boolean, the
/// schema as a string); plain scalars read into string fields keep their exact text.
///
/// Unknown keys seen before a fatal error are returned with it, so they are reported too.
pub fn from_str_tracked<T: DeserializeOwned>(text: &str, limits: Limits) -> Tracked<Result<T, ReadError>> {
    let mut unknown = Vec::new();
    let value = read(text, limits, true, Some(&mut unknown));
    Tracked { value, unknown }
}

/// Reads one untyped document (`serde_json::Value`), keeping every plain scalar that YAML 1.2
/// would not call a number or boolean as a string (`on`, `1_000`, `0755`).
pub fn value_from_str(text: &str, limits: Limits) -> Result<serde_json::Value, ReadError> {
    read(text, limits, true, None)
}

/// Most documents a stream may hold: a preview is dozens of objects, a whole app's kustomize
/// build a few hundred.
pub const MAX_STREAM_DOCUMENTS: usize = 10_000;

/// Reads every document of a `---`-separated stream (what `kubectl kustomize` prints) as untyped
/// values, in order, each as [`value_from_str`] reads one; empty documents are skipped. The whole
/// stream shares one [`Limits::Stream`] budget. An error's location is the line in the stream.
pub fn values_from_stream(text: &str) -> Result<Vec<serde_json::Value>, ReadError> {
    check_size(text, Limits::Stream)?;
    let mut options = Limits::Stream.options(true);
    if let Some(budget) = options.budget.as_mut() {
        budget.max_documents = MAX_STREAM_DOCUMENTS;
    }
    serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|e| read_error(text, String::new(), &e, Limits::Stream))
}

/// The scalars of the one document `text` exactly as written, at the places where `shape` has a
/// scalar: mappings and lists are read as far as `shape` has them (what it lacks is skipped), a
/// scalar becomes its text (`0x1F`, `16.10`, `2026-01-01`), anything else `null`. `shape` is the
/// same document as another tool re-serialised it; this is how its retyped scalars are told from
/// what the author wrote. Fails when the two disagree on where a mapping or list is.
pub fn texts_like(text: &str, shape: &serde_json::Value, limits: Limits) -> Result<serde_json::Value, ReadError> {
    use serde::de::DeserializeSeed;
    check_size(text, limits)?;
    serde_saphyr::with_deserializer_from_str_with_options(text, limits.options(false), |de| {
        texts::Like(shape).deserialize(de)
    })
    .map_err(|e| read_error(text, String::new(), &e, limits))
}

mod texts {
    use std::fmt;

    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Value};

    /// Reads a node as `shape` has it: see [`super::texts_like`].
    pub struct Like<'a>(pub &'a Value);

    impl<'de> DeserializeSeed<'de> for Like<'_> {
        type Value = Value;

        fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
            match self.0 {
                Value::Object(_) => de.deserialize_map(self),
                Value::Array(_) => de.deserialize_seq(self),
                _ => de.deserialize_str(self),
            }
        }
    }

    impl<'de> Visitor<'de> for Like<'_> {
        type Value = Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a node shaped like the re-serialised document")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
            Ok(Value::from(v))
        }

        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut out = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                match self.0.get(&key) {
                    Some(shape) => {
                        let value = map.next_value_seed(Like(shape))?;
                        out.insert(key, value);
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(Value::Object(out))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut out = Vec::new();
            loop {
                let next = match self.0.get(out.len()) {
                    Some(shape) => seq.next_element_seed(Like(shape))?,
                    None => seq.next_element::<IgnoredAny>()?.map(|_| Value::Null),
                };
                match next {
                    Some(value) => out.push(value),
                    None => return Ok(Value::Array(out)),
                }
            }
        }
    }
}

/// Reads one typed document strictly: the first problem fails it. For files kpreview writes
/// itself (lock files, metadata).
pub fn from_str<T: DeserializeOwned>(text: &str, limits: Limits) -> Result<T, ReadError> {
    read(text, limits, true, None)
}

/// The one call into serde-saphyr. Errors carry the field path (serde_path_to_error) and the
/// location; with `unknown`, ignored keys are collected (serde_ignored) rather than refused.
fn read<T: DeserializeOwned>(
    text: &str,
    limits: Limits,
    strict_booleans: bool,
    unknown: Option<&mut Vec<Vec<Seg>>>,
) -> Result<T, ReadError> {
    check_size(text, limits)?;
    let mut path = String::new();
    let result = serde_saphyr::with_deserializer_from_str_with_options(text, limits.options(strict_booleans), |de| {
        let outcome = match unknown {
            Some(unknown) => {
                let mut record = |at: serde_ignored::Path<'_>| unknown.push(ignored_path(&at));
                serde_path_to_error::deserialize::<_, T>(serde_ignored::Deserializer::new(de, &mut record))
            }
            None => serde_path_to_error::deserialize::<_, T>(de),
        };
        // The error goes back through serde-saphyr so that it adds the location.
        outcome.map_err(|e| {
            path = path_string(e.path());
            e.into_inner()
        })
    });
    result.map_err(|e| read_error(text, path, &e, limits))
}

/// Writes one document, without a leading `---`.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, WriteError> {
    serde_saphyr::to_string(value).map_err(|e| WriteError(e.to_string()))
}

/// A value that could not be written as YAML (a bug: kpreview only writes its own types).
#[derive(Debug, thiserror::Error)]
#[error("cannot write YAML: {0}")]
pub struct WriteError(String);

fn check_size(text: &str, limits: Limits) -> Result<(), ReadError> {
    if text.len() > limits.max_bytes() {
        return Err(ReadError {
            path: String::new(),
            location: None,
            message: format!("document is {} bytes, more than the {} accepted", text.len(), limits.max_bytes()),
        });
    }
    Ok(())
}

fn read_error(text: &str, path: String, e: &serde_saphyr::Error, limits: Limits) -> ReadError {
    let location = e.location().map(|l| (l.line(), l.column())).filter(|(l, _)| *l > 0);
    let e = e.without_snippet();
    let mentions_tab =
        e.to_string().to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|w| w == "tab" || w == "tabs");
    if mentions_tab && let Some(at) = tab_indented_line(text, location.map_or(1, |(line, _)| line)) {
        // The field being read when the scanner stopped is not where the tab is.
        return ReadError { path: String::new(), location: Some(at), message: TAB_IN_INDENTATION.to_owned() };
    }
    ReadError { path, location, message: describe(e, limits) }
}

const TAB_IN_INDENTATION: &str =
    "a tab indents this line; tabs are not allowed in YAML indentation, indent with spaces";

/// Where a tab in indentation is: the scanner often notices it at the end of the line before
/// ("while scanning a plain scalar, found a tab"), so this is the first line from `from_line` on
/// whose indentation holds a tab, with the tab's column.
fn tab_indented_line(text: &str, from_line: u64) -> Option<(u64, u64)> {
    let skip = usize::try_from(from_line.saturating_sub(1)).unwrap_or(usize::MAX);
    text.lines().enumerate().skip(skip).find_map(|(i, line)| {
        let indent = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
        let column = indent.find('\t')?;
        Some((u64::try_from(i + 1).ok()?, u64::try_from(column + 1).ok()?))
    })
}

/// The parser's message in the words of a YAML file's author: what is wrong and what to do, never
/// an option of the library or a Rust type.
fn describe(e: &serde_saphyr::Error, limits: Limits) -> String {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    match e {
        E::DuplicateMappingKey { key: Some(key), .. } => {
            format!("`{key}` appears twice; a key may appear once in a mapping")
        }
        E::DuplicateMappingKey { key: None, .. } => {
            "a key appears twice; a key may appear once in a mapping".to_owned()
        }
        E::MultipleDocuments { .. } | E::Budget { breach: B::Documents { .. }, .. } => match limits {
            Limits::Spec => "a second YAML document starts here (`---`); the file holds exactly one".to_owned(),
            Limits::Stream => format!("more than {MAX_STREAM_DOCUMENTS} YAML documents"),
        },
        E::NullIntoString { .. } => "expected a string, found null; quote it (`\"~\"`) or remove it".to_owned(),
        E::Unexpected { expected: "sequence start", .. } => "expected a list such as [a, b]".to_owned(),
        E::Unexpected { expected: "mapping start", .. } => "expected a mapping such as {key: value}".to_owned(),
        E::Unexpected { expected: "string scalar", .. } => "expected a string".to_owned(),
        E::SerdeInvalidType { unexpected, expected, .. } | E::SerdeInvalidValue { unexpected, expected, .. } => {
            format!("expected {}, found {}", expected_words(expected), found_words(unexpected))
        }
        E::Budget { breach: B::Depth { .. }, .. } | E::AliasReplayStackDepthExceeded { .. } => {
            format!("nested too deeply (at most {} levels)", limits.max_depth())
        }
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::Budget { breach: B::Aliases { .. } | B::Anchors { .. } | B::AliasAnchorRatio { .. }, .. } => {
            "aliases expand to too much (an alias bomb?); write the values out".to_owned()
        }
        E::Budget { breach: B::Nodes { .. }, .. } => format!("too large: more than {} values", limits.max_nodes()),
        E::Budget { breach: B::ScalarBytes { .. }, .. } => {
            format!("too large: more than {} bytes of text", limits.max_bytes())
        }
        E::Budget { .. } => "too large or too complex to read".to_owned(),
        // Errors raised while replaying aliases reach us as plain messages.
        other => {
            let message = clean_message(&other.to_string());
            if message.starts_with("alias ") {
                "aliases expand to too much (an alias bomb?); write the values out".to_owned()
            } else if message.starts_with("recursion limit") || message.starts_with("budget breached: Depth") {
                format!("nested too deeply (at most {} levels)", limits.max_depth())
            } else if message.starts_with("budget breached") {
                "too large or too complex to read".to_owned()
            } else if message.starts_with("tabs disallowed") {
                // The scanner's own words ("within this context (block indentation)") do not say
                // what to do.
                TAB_IN_INDENTATION.to_owned()
            } else {
                message
            }
        }
    }
}

/// serde's "expected" phrase (`a sequence`, `struct ServiceSpec`) as a spec's author says it.
fn expected_words(expected: &str) -> String {
    match expected {
        "a sequence" => "a list such as [a, b]".to_owned(),
        "a map" => "a mapping such as {key: value}".to_owned(),
        "a string" => "a string".to_owned(),
        e if e.starts_with("struct ") => "a mapping of fields".to_owned(),
        e => e.to_owned(),
    }
}

/// serde's "unexpected" phrase (`sequence`, `string "x"`, `unit value`) as an author says it.
fn found_words(unexpected: &str) -> String {
    match unexpected {
        "sequence" => "a list".to_owned(),
        "map" => "a mapping".to_owned(),
        "unit value" | "null" => "null".to_owned(),
        u => match u.find(['`', '"']).map(|i| &u[i..]) {
            Some(quoted) if quoted.starts_with('"') => format!("`{}`", quoted.trim_matches('"')),
            Some(ticked) => ticked.to_owned(),
            None => u.to_owned(),
        },
    }
}

/// serde-saphyr appends the location to some messages; it is reported separately.
fn clean_message(message: &str) -> String {
    let trimmed = match message.find(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    let mut s = trimmed.trim().trim_end_matches('.').to_owned();
    if let Some(first) = s.get(..1) {
        s = first.to_lowercase() + &s[1..];
    }
    s
}

fn path_string(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let segs: Vec<Seg> = path
        .iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(Seg::Index(*index)),
            Segment::Map { key } => Some(Seg::Key(key.clone())),
            Segment::Enum { variant } => Some(Seg::Key(variant.clone())),
            Segment::Unknown => None,
        })
        .collect();
    render_path(&segs)
}

fn ignored_path(path: &serde_ignored::Path<'_>) -> Vec<Seg> {
    use serde_ignored::Path;
    let mut segs = Vec::new();
    let mut at = path;
    loop {
        match at {
            Path::Root => break,
            Path::Seq { parent, index } => {
                segs.push(Seg::Index(*index));
                at = parent;
            }
            Path::Map { parent, key } => {
                segs.push(Seg::Key(key.clone()));
                at = parent;
            }
            Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => at = parent,
        }
    }
    segs.reverse();
    segs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_reads_as_its_documents_in_order_without_empty_ones() {
        let values = values_from_stream("---\nkind: A\nv: on\n---\n---\nkind: B\nn: 1_000\n").unwrap();
        assert_eq!(
            values,
            [serde_json::json!({"kind": "A", "v": "on"}), serde_json::json!({"kind": "B", "n": "1_000"})]
        );
        assert!(values_from_stream("").unwrap().is_empty());
    }

    #[test]
    fn a_broken_document_names_its_line_in_the_stream() {
        let err = values_from_stream("kind: A\n---\nkind: [B\n").unwrap_err();
        assert_eq!(err.location.map(|(line, _)| line), Some(3), "{err}");
    }

    #[test]
    fn a_tab_in_indentation_is_reported_at_its_own_line() {
        for (text, at) in [
            ("a:\n  b: 1\n\tc: 2\n", (3, 1)),
            ("a:\n  b: x\n  \tc: 2\n", (3, 3)),
            ("a:\n\tb: 1\n", (2, 1)),
            ("kind: A\n---\nkind: B\nspec:\n  x: y\n\ty: z\n", (6, 1)),
        ] {
            let err = values_from_stream(text).unwrap_err();
            assert_eq!(
                (err.location, err.path.as_str(), err.message.as_str()),
                (Some(at), "", TAB_IN_INDENTATION),
                "{text:?}"
            );
        }
        let err = from_str::<std::collections::BTreeMap<String, String>>("a: x\n\tb: y\n", Limits::Spec).unwrap_err();
        assert_eq!(err.location, Some((2, 1)), "{err}");
    }

    #[test]
    fn a_separator_storm_is_refused() {
        let storm = "a: 1\n---\n".repeat(MAX_STREAM_DOCUMENTS + 1);
        let err = values_from_stream(&storm).unwrap_err();
        assert!(err.message.starts_with("more than 10000 YAML documents"), "{err}");
    }

    #[test]
    fn messages_name_the_mistake_not_the_library() {
        let read = |text: &str| from_str::<serde_json::Value>(text, Limits::Spec).unwrap_err().message;
        assert_eq!(read("a: 1\na: 2\n"), "`a` appears twice; a key may appear once in a mapping");
        assert!(read("a: 1\n---\nb: 2\n").starts_with("a second YAML document starts here"));
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(read(&deep), "nested too deeply (at most 64 levels)");
        let list = |text: &str| from_str::<std::collections::BTreeMap<String, String>>(text, Limits::Spec);
        assert_eq!(list("a: [1]").unwrap_err().message, "expected a string");
        assert!(list("a: ~").unwrap_err().message.starts_with("expected a string, found null; quote it"));
    }
}
