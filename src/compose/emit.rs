//! A YAML document with comments, written by hand because no serializer writes comments: a tree
//! of mappings whose scalars are quoted by serde-saphyr (so `on`, `16` and `12:30` stay strings
//! for YAML 1.1 readers) and whose comments are wrapped to stay readable.

/// Width comments are wrapped to.
const WIDTH: usize = 100;

/// A mapping: entries and the comments between them, in order.
#[derive(Debug, Default, Clone)]
pub struct Map(pub Vec<Line>);

/// One line (or block) of a mapping.
#[derive(Debug, Clone)]
pub enum Line {
    /// A comment on its own line(s).
    Comment(String),
    /// `key: value`, with an optional comment after it.
    Entry(String, Node, Option<String>),
}

/// A value.
#[derive(Debug, Clone)]
pub enum Node {
    /// A string.
    Text(String),
    /// A number or boolean, written as is.
    Plain(String),
    /// A list of strings.
    List(Vec<String>),
    /// A mapping.
    Map(Map),
}

impl Map {
    /// Adds a comment line.
    pub fn comment(&mut self, text: impl Into<String>) {
        self.0.push(Line::Comment(text.into()));
    }

    /// Adds `key: value`.
    pub fn entry(&mut self, key: impl Into<String>, value: Node) {
        self.0.push(Line::Entry(key.into(), value, None));
    }

    /// Adds `key: value  # note`.
    pub fn noted(&mut self, key: impl Into<String>, value: Node, note: impl Into<String>) {
        self.0.push(Line::Entry(key.into(), value, Some(note.into())));
    }

    /// Whether it has an entry (comments alone write nothing YAML reads).
    pub fn has_entries(&self) -> bool {
        self.0.iter().any(|line| matches!(line, Line::Entry(..)))
    }

    /// The document.
    pub fn write(&self) -> String {
        let mut out = String::new();
        self.write_at(&mut out, 0);
        out
    }

    fn write_at(&self, out: &mut String, indent: usize) {
        let pad = " ".repeat(indent);
        for line in &self.0 {
            match line {
                Line::Comment(text) => comment(out, &pad, text),
                // A mapping without entries would read as null; its comments stand in its place.
                Line::Entry(_, Node::Map(map), _) if !map.has_entries() => {
                    for line in &map.0 {
                        if let Line::Comment(text) = line {
                            comment(out, &pad, text);
                        }
                    }
                }
                Line::Entry(key, value, note) => {
                    out.push_str(&pad);
                    out.push_str(&scalar(key));
                    out.push(':');
                    let after = |out: &mut String| {
                        if let Some(note) = note {
                            out.push_str("  # ");
                            out.push_str(note);
                        }
                        out.push('\n');
                    };
                    match value {
                        Node::Text(text) => {
                            out.push(' ');
                            out.push_str(&scalar(text));
                            after(out);
                        }
                        Node::Plain(text) => {
                            out.push(' ');
                            out.push_str(text);
                            after(out);
                        }
                        Node::List(items) => list(out, &pad, items, after),
                        Node::Map(map) => {
                            after(out);
                            map.write_at(out, indent + 2);
                        }
                    }
                }
            }
        }
    }
}

/// A list in flow style (`[celery, -A, shop]`) when it is short and every item reads the same
/// there, otherwise one item a line.
fn list(out: &mut String, pad: &str, items: &[String], after: impl Fn(&mut String)) {
    let quoted: Vec<String> = items.iter().map(|item| scalar(item)).collect();
    let flow_safe = quoted.iter().all(|q| q.starts_with(['"', '\'']) || !q.contains([',', '[', ']', '{', '}']));
    let flow = format!("[{}]", quoted.join(", "));
    if flow_safe && pad.len() + flow.len() < WIDTH {
        out.push(' ');
        out.push_str(&flow);
        after(out);
    } else {
        after(out);
        for item in &quoted {
            out.push_str(pad);
            out.push_str("  - ");
            out.push_str(item);
            out.push('\n');
        }
    }
}

/// `text` as one YAML scalar: plain when that reads back as the same string, else quoted.
pub fn scalar(text: &str) -> String {
    let written = crate::yaml::to_string(&text).map(|s| s.trim_end_matches('\n').to_owned()).unwrap_or_default();
    // Block scalars (`|-`) and anything spanning lines cannot follow a key on one line.
    if written.is_empty() || written.contains('\n') || written.starts_with(['|', '>']) {
        serde_json::to_string(text).unwrap_or_default()
    } else {
        written
    }
}

/// `# text`, wrapped at word boundaries; a line break in `text` starts a new comment line.
fn comment(out: &mut String, pad: &str, text: &str) {
    for paragraph in text.split('\n') {
        let lead = &paragraph[..paragraph.len() - paragraph.trim_start().len()];
        let paragraph = paragraph.trim_start();
        let mut line = lead.to_owned();
        for word in paragraph.split(' ') {
            if !line.trim().is_empty() && pad.len() + 2 + line.len() + 1 + word.len() > WIDTH {
                push_comment(out, pad, &line);
                line.clear();
                line.push_str("  ");
            }
            if !line.trim().is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        push_comment(out, pad, &line);
    }
}

fn push_comment(out: &mut String, pad: &str, line: &str) {
    out.push_str(pad);
    out.push('#');
    if !line.trim().is_empty() {
        out.push(' ');
        out.push_str(line.trim_end());
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_that_yaml_1_1_would_retype_are_quoted() {
        assert_eq!(scalar("web"), "web");
        for retyped in ["on", "16", "12:30", "1_000", "2024-01-01", "", "null", "true"] {
            let written = scalar(retyped);
            assert!(written.starts_with(['"', '\'']), "{retyped} → {written}");
        }
        assert_eq!(scalar("a\nb"), "\"a\\nb\"");
    }

    #[test]
    fn a_mapping_without_entries_leaves_only_its_comments() {
        let mut env = Map::default();
        env.comment("SECRET_KEY left out");
        let mut service = Map::default();
        service.entry("image", Node::Text("nginx:1.27".into()));
        service.entry("env", Node::Map(env));
        service.noted("args", Node::List(vec!["a,b".into(), "-c".into()]), "from command");
        let mut root = Map::default();
        root.entry("web", Node::Map(service));
        assert_eq!(
            root.write(),
            "web:\n  image: nginx:1.27\n  # SECRET_KEY left out\n  args:  # from command\n    - a,b\n    - -c\n"
        );
    }

    #[test]
    fn long_comments_wrap() {
        let mut root = Map::default();
        root.comment("word ".repeat(40).trim());
        let text = root.write();
        assert!(text.lines().count() > 1 && text.lines().all(|l| l.len() <= WIDTH && l.starts_with('#')), "{text}");
    }
}
