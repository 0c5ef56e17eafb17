//! The `ResourceList` of the KRM Functions Specification (`config.kubernetes.io/v1` and
//! `v1beta1`): read from text, written back with every item the function did not change in the
//! exact text it came in.

use serde_json::{Map, Value};

use super::entries::{self, Entry};
use super::result::KrmResult;
use crate::yaml::{self, Limits, ReadError, WriteError};

/// The `apiVersion`s accepted, as kpt and kustomize send them.
pub const API_VERSIONS: [&str; 2] = ["config.kubernetes.io/v1", "config.kubernetes.io/v1beta1"];
/// The `kind`.
pub const KIND: &str = "ResourceList";

/// A Kubernetes object as a JSON-like map, every field and annotation kept.
pub type Object = Map<String, Value>;

/// One item: the object, and the text it came in while it is unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The whole object, or only its head (`apiVersion`, `kind`, `metadata`) when `document`
    /// holds it as text.
    object: Object,
    entry: Option<Entry>,
    /// A generated item, written out as a document the moment it was made: a 3,000-service
    /// preview's items as JSON values weigh several times their text, and they would all be held
    /// until the list is written.
    document: Option<String>,
}

impl Item {
    /// A new item, written in kpreview's own style.
    pub fn new(object: Object) -> Self {
        Self { object, entry: None, document: None }
    }

    /// A new item written now, in kpreview's own style: only its head stays an object, which is
    /// all a function reads of what it generated (kind, name, annotations).
    pub fn generated(mut object: Object) -> Result<Self, WriteError> {
        let document = yaml::to_string(&object)?;
        object.retain(|key, _| matches!(key.as_str(), "apiVersion" | "kind" | "metadata"));
        Ok(Self { object, entry: None, document: Some(document) })
    }

    /// The object; of a [generated](Item::generated) item, its head only.
    pub fn object(&self) -> &Object {
        &self.object
    }

    /// The object, to change; the item is then written from it rather than from its text.
    pub fn object_mut(&mut self) -> &mut Object {
        self.whole();
        self.entry = None;
        &mut self.object
    }

    /// Makes `object` the whole object again, read back from the document it was written as.
    fn whole(&mut self) {
        if let Some(document) = self.document.take()
            && let Ok(Value::Object(object)) = yaml::value_from_str(&document, Limits::Stream)
        {
            self.object = object;
        }
    }

    /// Sets an annotation, keeping the item's text when it can be added in place (a spec keeps
    /// its flow maps and quotes when kpt writes it back).
    pub fn annotate(&mut self, key: &str, value: &str) -> Result<(), WriteError> {
        self.whole();
        let mut object = self.object.clone();
        let metadata = child(&mut object, "metadata");
        child(metadata, "annotations").insert(key.to_owned(), Value::from(value));
        let mut line = Map::new();
        line.insert(key.to_owned(), Value::from(value));
        let line = yaml::to_string(&line)?;
        let entry = self.entry.as_ref().and_then(|e| e.with_annotation(&line));
        *self = Self::new(object);
        if let Some(entry) = entry {
            *self = Self::with_text(std::mem::take(&mut self.object), entry);
        }
        Ok(())
    }

    /// The item as a YAML document in the style it came in, when that is known.
    pub fn source(&self) -> Option<String> {
        let document = self.entry.as_ref()?.document()?;
        let read = yaml::value_from_str(&document, Limits::Stream).ok()?;
        (read.as_object() == Some(&self.object)).then_some(document)
    }
}

/// A `ResourceList`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceList {
    /// The `apiVersion` it came with, which the output keeps.
    pub api_version: String,
    /// The items.
    pub items: Vec<Item>,
    /// The function's configuration.
    pub function_config: Option<Object>,
    /// What the function reports.
    pub results: Vec<KrmResult>,
}

/// Input that is not a `ResourceList`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// Not YAML, or beyond the parser's budgets.
    #[error("{0}")]
    Yaml(#[from] ReadError),
    /// Empty input.
    #[error("no input: expected a ResourceList (kpt and kustomize send one on stdin)")]
    Empty,
    /// A document of another shape or kind.
    #[error("{0}")]
    Shape(String),
}

/// How much output [`ResourceList::write_yaml`] gathers before writing it.
const FLUSH_AT: usize = 64 << 10;

/// Why a list could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteYaml {
    /// An item could not be serialized.
    #[error(transparent)]
    Yaml(#[from] WriteError),
    /// The sink failed.
    #[error("cannot write the ResourceList: {0}")]
    Io(#[from] std::io::Error),
}

impl ResourceList {
    /// Reads a `ResourceList`, keeping the text of each item so unchanged items are written back
    /// byte for byte.
    pub fn parse(text: &str) -> Result<Self, ListError> {
        if text.trim().is_empty() {
            return Err(ListError::Empty);
        }
        let Value::Object(mut root) = yaml::value_from_str(text, Limits::Stream)? else {
            return Err(ListError::Shape("expected a ResourceList mapping".to_owned()));
        };
        let api_version = string_at(&root, "apiVersion");
        let kind = string_at(&root, "kind");
        if kind != KIND || !API_VERSIONS.contains(&api_version.as_str()) {
            let shown = |field: &str, value: &str| {
                if value.is_empty() { format!("no {field}") } else { format!("{field} `{value}`") }
            };
            return Err(ListError::Shape(format!(
                "expected kind ResourceList with apiVersion {}, found {} and {}",
                API_VERSIONS.join(" or "),
                shown("kind", &kind),
                shown("apiVersion", &api_version)
            )));
        }
        let objects = match root.remove("items") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::Object(object) => Ok(object),
                    _ => Err(ListError::Shape(format!("items[{i}]: expected an object"))),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(ListError::Shape("items: expected a list of objects".to_owned())),
        };
        let function_config = match root.remove("functionConfig") {
            None | Some(Value::Null) => None,
            Some(Value::Object(config)) => Some(config),
            Some(_) => return Err(ListError::Shape("functionConfig: expected an object".to_owned())),
        };
        let entries = entries::items(text).filter(|e| e.len() == objects.len());
        let items = match entries {
            Some(entries) => objects.into_iter().zip(entries).map(|(o, e)| Item::with_text(o, e)).collect(),
            None => objects.into_iter().map(Item::new).collect(),
        };
        Ok(Self { api_version, items, function_config, results: Vec::new() })
    }

    /// Writes the list: unchanged items as they came, the rest in kpreview's style, then the
    /// results. `items` is always written, empty or not: kpt deletes every file of the package
    /// for a list without it.
    pub fn to_yaml(&self) -> Result<String, WriteError> {
        let mut out = Vec::new();
        self.write_yaml(&mut out).map_err(|e| match e {
            WriteYaml::Yaml(e) => e,
            WriteYaml::Io(_) => unreachable!("writing to memory"),
        })?;
        Ok(String::from_utf8(out).unwrap_or_else(|_| unreachable!("YAML is text")))
    }

    /// [`ResourceList::to_yaml`] item by item into `sink`, so the whole output is never held as
    /// one string besides the items (a 3,000-service preview's list is over 12 MB).
    pub fn write_yaml(&self, sink: &mut dyn std::io::Write) -> Result<(), WriteYaml> {
        let mut head = Map::new();
        head.insert("apiVersion".to_owned(), Value::from(self.api_version.as_str()));
        head.insert("kind".to_owned(), Value::from(KIND));
        let mut out = yaml::to_string(&head)?;
        if self.items.is_empty() {
            out.push_str("items: []\n");
        } else {
            out.push_str("items:\n");
        }
        let column = self.items.iter().find_map(|i| i.entry.as_ref()).map_or(0, |e| e.column);
        for item in &self.items {
            match (&item.entry, &item.document) {
                (Some(entry), _) => out.push_str(&entry.text),
                (None, Some(document)) => push_entry(&mut out, document, column),
                (None, None) => push_entry(&mut out, &yaml::to_string(&item.object)?, column),
            }
            if out.len() >= FLUSH_AT {
                sink.write_all(out.as_bytes())?;
                out.clear();
            }
        }
        if !self.results.is_empty() {
            #[derive(serde::Serialize)]
            struct Tail<'a> {
                results: &'a [KrmResult],
            }
            out.push_str(&yaml::to_string(&Tail { results: &self.results })?);
        }
        sink.write_all(out.as_bytes())?;
        Ok(())
    }

    /// Whether any result is an error.
    pub fn has_errors(&self) -> bool {
        self.results.iter().any(KrmResult::is_error)
    }
}

impl Item {
    /// An input item with its text, kept only when the text reads as exactly this object (the
    /// splitter guesses from layout; the parser decides).
    fn with_text(object: Object, entry: Entry) -> Self {
        let wrapped = format!("items:\n{}", entry.text);
        let same = yaml::value_from_str(&wrapped, Limits::Stream)
            .ok()
            .and_then(|v| v.get("items")?.get(0).cloned())
            .is_some_and(|v| v.as_object() == Some(&object));
        Self { object, entry: same.then_some(entry), document: None }
    }
}

/// The mapping under `key`, made (or put in place of a scalar) when needed.
pub fn child<'a>(object: &'a mut Object, key: &str) -> &'a mut Object {
    let slot = object.entry(key).or_insert_with(|| Value::Object(Object::new()));
    if !slot.is_object() {
        *slot = Value::Object(Object::new());
    }
    match slot {
        Value::Object(map) => map,
        _ => unreachable!("`{key}` was made a mapping above"),
    }
}

/// Appends a document as a sequence entry whose `-` sits at `column`.
fn push_entry(out: &mut String, document: &str, column: usize) {
    let pad = " ".repeat(column);
    for (i, line) in document.lines().enumerate() {
        if i == 0 {
            out.push_str(&pad);
            out.push_str("- ");
        } else if !line.is_empty() {
            out.push_str(&pad);
            out.push_str("  ");
        }
        out.push_str(line);
        out.push('\n');
    }
}

/// A top-level string field, empty when missing.
pub fn string_at(object: &Object, key: &str) -> String {
    object.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// The value of `metadata.annotations[key]`, when it is a string.
pub fn annotation<'a>(object: &'a Object, key: &str) -> Option<&'a str> {
    object.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

/// The value of `metadata.labels[key]`, when it is a string.
pub fn label<'a>(object: &'a Object, key: &str) -> Option<&'a str> {
    object.get("metadata")?.get("labels")?.get(key)?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT: &str = "\
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: a # comment
    labels: {app: 'web'}
  data:
    n: \"1\"
    script: |
      # not a comment
      echo hi
functionConfig:
  apiVersion: v1
  kind: ConfigMap
";

    #[test]
    fn unchanged_items_keep_their_text_and_changed_ones_are_rewritten() {
        let mut list = ResourceList::parse(INPUT).expect("parse");
        assert!(list.function_config.is_some());
        let out = list.to_yaml().expect("write");
        assert!(out.contains("    labels: {app: 'web'}\n"), "{out}");
        assert!(out.contains("    name: a # comment\n"), "{out}");
        list.items[0].object_mut().insert("extra".to_owned(), Value::from("on"));
        let out = list.to_yaml().expect("write");
        assert!(!out.contains("{app: 'web'}"), "{out}");
        assert!(out.contains("  extra: \"on\"\n"), "{out}");
        let again = ResourceList::parse(&out).expect("reparse");
        assert_eq!(again.items[0].object(), list.items[0].object());
    }

    #[test]
    fn sources_read_as_the_item() {
        let list = ResourceList::parse(INPUT).expect("parse");
        let source = list.items[0].source().expect("source");
        assert!(source.starts_with("apiVersion: v1\n"), "{source}");
    }

    #[test]
    fn empty_lists_still_have_items() {
        let list =
            ResourceList::parse("apiVersion: config.kubernetes.io/v1beta1\nkind: ResourceList\n").expect("parse");
        let out = list.to_yaml().expect("write");
        assert_eq!(out, "apiVersion: config.kubernetes.io/v1beta1\nkind: ResourceList\nitems: []\n");
    }

    #[test]
    fn json_input_is_read_and_written_as_yaml() {
        let list = ResourceList::parse(
            r#"{"apiVersion":"config.kubernetes.io/v1","kind":"ResourceList","items":[{"kind":"A","n":1}]}"#,
        )
        .expect("parse");
        assert_eq!(list.to_yaml().expect("write").lines().nth(2), Some("items:"));
    }

    #[test]
    fn other_documents_are_refused() {
        assert_eq!(ResourceList::parse("  \n"), Err(ListError::Empty));
        let err = ResourceList::parse("apiVersion: v1\nkind: List\nitems: []\n").expect_err("kind");
        assert!(err.to_string().contains("expected kind ResourceList"), "{err}");
        let err = ResourceList::parse("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [1]\n")
            .expect_err("1");
        assert_eq!(err.to_string(), "items[0]: expected an object");
    }
}
