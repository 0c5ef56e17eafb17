//! The text of each entry of a `ResourceList`'s `items:` block sequence, so items pass through
//! exactly as they came. kpt writes back the scalar styles a function emits (quotes, flow maps,
//! block scalars): re-serialising every item would rewrite files the function never touched.
//!
//! This only slices text; [`crate::krm::list`] keeps a slice only when it parses (through
//! `yaml.rs`) to exactly the item the whole document gave, so a layout this does not understand
//! costs formatting, never correctness.
//!
//! Why lines and not the parser's spans: serde-saphyr's `Spanned` tells where a node starts
//! (line, column, byte offset), not where it ends, so the last entry's end (before a comment or
//! `functionConfig:`) and the place of `metadata.annotations` inside an entry would still be found
//! by scanning lines. The scanner stays this small instead; the `resource_list` fuzz target
//! covers it, and its committed seeds (block and flow `metadata`, indented sequences, comments
//! between entries, block scalars that look like entries) are replayed by `cargo test`.

use super::flow;

/// One entry of the top-level `items:` sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The entry as written, from its `-` indicator to the line before the next entry; ends in a
    /// newline.
    pub text: String,
    /// Column of the `-` indicator.
    pub column: usize,
}

impl Entry {
    /// The entry's node moved to column 0 without its `-`, comment lines dropped: a document
    /// that reads as the item. `None` when a line sits left of the node.
    pub fn document(&self) -> Option<String> {
        let indent = self.node_indent()?;
        let mut out = String::with_capacity(self.text.len());
        for (i, line) in self.text.split_inclusive('\n').enumerate() {
            if i == 0 || leading_spaces(line) >= indent {
                out.push_str(line.get(indent..).unwrap_or_default());
            } else if line.trim().is_empty() {
                out.push('\n');
            } else if !is_blank_or_comment(line) {
                return None;
            }
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
        Some(out)
    }

    /// The entry with `line` (a `key: value` line at column 0) added to the mapping at
    /// `metadata.annotations`, keeping every other line; `annotations` is added when missing.
    /// Block mappings and flow mappings on one line (`metadata: {name: a}`) are both edited in
    /// place. `None` for a layout this cannot see.
    pub fn with_annotation(&self, line: &str) -> Option<Entry> {
        let mut lines: Vec<String> = self.text.split_inclusive('\n').map(str::to_owned).collect();
        let indent = self.node_indent()?;
        let content = |lines: &[String], i: usize| -> Option<usize> {
            let head = lines[i].get(..indent)?;
            (i == 0 || head.trim().is_empty()).then_some(indent)
        };
        let metadata = (0..lines.len())
            .find(|&i| content(&lines, i).is_some_and(|at| key_value(&lines[i][at..], "metadata").is_some()))?;
        let value = key_value(&lines[metadata][indent..], "metadata")?;
        let entry = line.trim();
        if !value.is_empty() {
            let at = lines[metadata].len() - value.len();
            lines[metadata] = with_flow_annotation(&lines[metadata], at, entry)?;
            return Some(Entry { text: lines.concat(), column: self.column });
        }
        let borrowed: Vec<&str> = lines.iter().map(String::as_str).collect();
        let children = Self::block(&borrowed, metadata, indent);
        let child_indent = leading_spaces(&lines[*children.first()?]);
        let annotations = children.iter().copied().find(|&i| {
            leading_spaces(&lines[i]) == child_indent && key_value(&lines[i][child_indent..], "annotations").is_some()
        });
        if let Some(a) = annotations {
            let value = key_value(&lines[a][child_indent..], "annotations")?;
            if !value.is_empty() {
                let at = lines[a].len() - value.len();
                let map_end = at + flow::closing(&lines[a], at)? + 1 - at;
                let map = flow::with_entry(&lines[a][at..map_end], entry)?;
                lines[a] = format!("{}{map}{}", &lines[a][..at], &lines[a][map_end..]);
                return Some(Entry { text: lines.concat(), column: self.column });
            }
        }
        let (after, pad) = match annotations {
            Some(a) => {
                let block = Self::block(&borrowed, a, child_indent);
                (*block.last()?, leading_spaces(&lines[*block.first()?]))
            }
            None => (*children.last()?, child_indent + 2),
        };
        let mut inserted = String::new();
        if annotations.is_none() {
            inserted.push_str(&" ".repeat(child_indent));
            inserted.push_str("annotations:\n");
        }
        inserted.push_str(&" ".repeat(pad));
        inserted.push_str(entry);
        inserted.push('\n');
        lines[after].push_str(&inserted);
        Some(Entry { text: lines.concat(), column: self.column })
    }

    /// Column of the entry's node (its keys).
    fn node_indent(&self) -> Option<usize> {
        let first = self.text.lines().next()?;
        let after_dash = first.get(self.column + 1..)?;
        let spaces = after_dash.len() - after_dash.trim_start_matches(' ').len();
        let rest = after_dash[spaces..].trim_end();
        if rest.is_empty() || rest.starts_with('#') {
            self.text.lines().skip(1).find(|l| !is_blank_or_comment(l)).map(leading_spaces)
        } else {
            Some(self.column + 1 + spaces)
        }
    }

    /// Indexes of the non-blank, non-comment lines below line `key` indented past `indent`.
    fn block(lines: &[&str], key: usize, indent: usize) -> Vec<usize> {
        (key + 1..lines.len())
            .filter(|&i| !is_blank_or_comment(lines[i]))
            .take_while(|&i| leading_spaces(lines[i]) > indent)
            .collect()
    }
}

/// What follows `key:` on a line: empty (or a comment) for a block value below, else the value
/// and anything after it. `None` when the line is not that key.
fn key_value<'a>(content: &'a str, key: &str) -> Option<&'a str> {
    let rest = content.strip_prefix(key)?.strip_prefix(':')?;
    if !rest.is_empty() && !rest.starts_with([' ', '\t', '\n', '\r']) {
        return None;
    }
    let value = rest.trim_start_matches([' ', '\t']);
    if value.trim().is_empty() || value.starts_with('#') { Some("") } else { Some(value) }
}

/// `line` with `entry` added to the flow mapping that starts at byte `at` (a `metadata:` value):
/// into its `annotations` flow mapping, or as a new `annotations: {entry}`.
fn with_flow_annotation(line: &str, at: usize, entry: &str) -> Option<String> {
    let end = flow::closing(line, at)? + 1;
    let map = &line[at..end];
    let edited = match flow::value_of(map, "annotations") {
        Some(range) => {
            let value = &map[range.clone()];
            let added = flow::with_entry(value, entry)?;
            format!("{}{added}{}", &map[..range.start], &map[range.end..])
        }
        None => flow::with_entry(map, &format!("annotations: {{{entry}}}"))?,
    };
    Some(format!("{}{edited}{}", &line[..at], &line[end..]))
}

/// Entries of the `items:` key of a document whose root mapping starts at column 0, written as
/// a block sequence. `None` for any other layout (flow sequence, JSON, no `items:` key).
pub fn items(text: &str) -> Option<Vec<Entry>> {
    let mut lines = text.split_inclusive('\n');
    lines.by_ref().find(|line| is_items_key(line))?;
    let mut entries = Vec::new();
    let mut column = None;
    let mut current = String::new();
    for line in lines {
        if is_blank_or_comment(line) {
            if column.is_some() {
                current.push_str(line);
            }
            continue;
        }
        let indent = leading_spaces(line);
        let starts_entry = is_entry_start(&line[indent..]);
        match column {
            None if starts_entry => column = Some(indent),
            None => return None,
            Some(c) if indent == c && starts_entry => entries.push(take(&mut current, c)),
            Some(c) if indent <= c => break,
            Some(_) => {}
        }
        current.push_str(line);
    }
    let column = column?;
    entries.push(take(&mut current, column));
    Some(entries)
}

fn take(current: &mut String, column: usize) -> Entry {
    let mut text = std::mem::take(current);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Entry { text, column }
}

fn is_items_key(line: &str) -> bool {
    line.strip_prefix("items:").is_some_and(|rest| {
        let rest = rest.trim();
        rest.is_empty() || rest.starts_with('#')
    })
}

fn is_entry_start(rest: &str) -> bool {
    rest.strip_prefix('-').is_some_and(|after| after.is_empty() || after.starts_with([' ', '\n', '\r']))
}

fn is_blank_or_comment(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.trim_end().is_empty() || trimmed.starts_with('#')
}

fn leading_spaces(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "\
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- # a head comment
  apiVersion: v1
  kind: ConfigMap
  data:
    text: |
      - not an entry
    flow: {a: 'b'}
# a comment at column 0
- apiVersion: v1
  kind: Secret
functionConfig:
  kind: ConfigMap
";

    #[test]
    fn splits_block_entries_and_keeps_their_text() {
        let entries = items(LIST).expect("entries");
        assert_eq!(entries.len(), 2);
        assert!(entries[0].text.starts_with("- # a head comment\n"));
        assert!(entries[0].text.contains("flow: {a: 'b'}"));
        assert_eq!(entries[1].text, "- apiVersion: v1\n  kind: Secret\n");
        assert_eq!(entries[1].column, 0);
    }

    #[test]
    fn documents_move_the_node_to_column_zero() {
        let entries = items(LIST).expect("entries");
        let doc = entries[0].document().expect("document");
        assert!(doc.starts_with("# a head comment\napiVersion: v1\nkind: ConfigMap\n"), "{doc}");
        assert!(doc.contains("  text: |\n    - not an entry\n"), "{doc}");
    }

    #[test]
    fn indented_sequences_and_last_entries_without_newline() {
        let entries = items("items:\n  -   a: 1\n      b: 2\n  - c: 3").expect("entries");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].column, 2);
        assert_eq!(entries[0].document().as_deref(), Some("a: 1\nb: 2\n"));
        assert_eq!(entries[1].text, "  - c: 3\n");
    }

    #[test]
    fn annotations_are_added_in_place() {
        let entry = Entry { text: "- kind: A # x\n  metadata:\n    name: a\n  spec: {b: 'c'}\n".to_owned(), column: 0 };
        let added = entry.with_annotation("k: \"true\"\n").expect("added");
        assert_eq!(
            added.text,
            "- kind: A # x\n  metadata:\n    name: a\n    annotations:\n      k: \"true\"\n  spec: {b: 'c'}\n"
        );
        let again = added.with_annotation("l: v\n").expect("added");
        assert!(again.text.contains("    annotations:\n      k: \"true\"\n      l: v\n  spec:"), "{}", again.text);
    }

    #[test]
    fn flow_metadata_gets_the_annotation_in_place() {
        let flow =
            Entry { text: "- kind: A\n  metadata: {name: a}   # flow map\n  spec: {b: 1}\n".to_owned(), column: 0 };
        let added = flow.with_annotation("k: \"true\"\n").expect("added");
        assert_eq!(
            added.text,
            "- kind: A\n  metadata: {name: a, annotations: {k: \"true\"}}   # flow map\n  spec: {b: 1}\n"
        );
        let again = added.with_annotation("l: v\n").expect("added");
        assert!(
            again.text.contains("metadata: {name: a, annotations: {k: \"true\", l: v}}   # flow map\n"),
            "{}",
            again.text
        );
        let block = Entry { text: "- metadata:\n    name: a\n    annotations: {x: y} # c\n".to_owned(), column: 0 };
        let added = block.with_annotation("k: v\n").expect("added");
        assert_eq!(added.text, "- metadata:\n    name: a\n    annotations: {x: y, k: v} # c\n");
        let split = Entry { text: "- metadata: {name: a,\n    labels: {}}\n".to_owned(), column: 0 };
        assert_eq!(split.with_annotation("k: v\n"), None, "a flow map over several lines is not edited");
    }

    #[test]
    fn other_layouts_are_not_guessed() {
        assert_eq!(items("items: []\n"), None);
        assert_eq!(items("{\"items\": [{\"a\": 1}]}"), None);
        assert_eq!(items("items:\n  a: 1\n"), None);
        assert_eq!(items("kind: ResourceList\n"), None);
    }
}
