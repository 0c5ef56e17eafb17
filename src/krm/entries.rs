//! The text of each entry of a `ResourceList`'s `items:` block sequence, so items pass through
//! exactly as they came. kpt writes back the scalar styles a function emits (quotes, flow maps,
//! block scalars): re-serialising every item would rewrite files the function never touched.
//!
//! This only slices text; [`crate::krm::list`] keeps a slice only when it parses (through
//! `yaml.rs`) to exactly the item the whole document gave, so a layout this does not understand
//! costs formatting, never correctness.

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
    /// `metadata.annotations`, keeping every other line; `annotations:` is added when missing.
    /// `None` when metadata or annotations are not block mappings this can see.
    pub fn with_annotation(&self, line: &str) -> Option<Entry> {
        let lines: Vec<&str> = self.text.split_inclusive('\n').collect();
        let indent = self.node_indent()?;
        let content = |i: usize| -> Option<&str> {
            let line = lines[i];
            let head = line.get(..indent)?;
            (i == 0 || head.trim().is_empty()).then(|| &line[indent..])
        };
        let metadata = (0..lines.len()).find(|&i| content(i).is_some_and(|c| is_key_alone(c, "metadata")))?;
        let children = Self::block(&lines, metadata, indent);
        let child_indent = leading_spaces(lines[*children.first()?]);
        let annotations = children.iter().copied().find(|&i| {
            leading_spaces(lines[i]) == child_indent && is_key_alone(&lines[i][child_indent..], "annotations")
        });
        let (after, pad) = match annotations {
            Some(a) => {
                let block = Self::block(&lines, a, child_indent);
                (*block.last()?, leading_spaces(lines[*block.first()?]))
            }
            None => (*children.last()?, child_indent),
        };
        let mut inserted = String::new();
        if annotations.is_none() {
            inserted.push_str(&" ".repeat(child_indent));
            inserted.push_str("annotations:\n");
        }
        let pad = if annotations.is_none() { child_indent + 2 } else { pad };
        inserted.push_str(&" ".repeat(pad));
        inserted.push_str(line.trim_end_matches('\n'));
        inserted.push('\n');
        let mut text = String::with_capacity(self.text.len() + inserted.len());
        for (i, l) in lines.iter().enumerate() {
            text.push_str(l);
            if i == after {
                text.push_str(&inserted);
            }
        }
        Some(Entry { text, column: self.column })
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

/// `key:` with nothing after it but a comment: a key whose value is a block below it.
fn is_key_alone(content: &str, key: &str) -> bool {
    content.strip_prefix(key).and_then(|r| r.strip_prefix(':')).is_some_and(|rest| {
        let rest = rest.trim();
        rest.is_empty() || rest.starts_with('#')
    })
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
        let flow = Entry { text: "- metadata: {name: a}\n".to_owned(), column: 0 };
        assert_eq!(flow.with_annotation("k: v\n"), None);
    }

    #[test]
    fn other_layouts_are_not_guessed() {
        assert_eq!(items("items: []\n"), None);
        assert_eq!(items("{\"items\": [{\"a\": 1}]}"), None);
        assert_eq!(items("items:\n  a: 1\n"), None);
        assert_eq!(items("kind: ResourceList\n"), None);
    }
}
