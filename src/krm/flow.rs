//! YAML flow mappings written on one line (`{name: shop, labels: {tier: web}}`), read as text:
//! where one ends, where a key's value is, and the same mapping with one more entry. So a spec
//! written in flow style gets its annotation in place. This only scans; the caller keeps a result
//! only when it parses to exactly the intended object (see [`super::entries`]).

use std::ops::Range;

/// The byte index of the `}` that closes the flow mapping opening at `text[open]`, on this text;
/// `None` when it does not open one or is not closed here.
pub fn closing(text: &str, open: usize) -> Option<usize> {
    if text.as_bytes().get(open) != Some(&b'{') {
        return None;
    }
    let mut depth = 0usize;
    for (i, c) in unquoted(text, open) {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return (c == '}').then_some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The top-level entries of the flow mapping `map` (from `{` to its `}`), each as the byte range
/// of its text without surrounding spaces.
fn entries(map: &str) -> Option<Vec<Range<usize>>> {
    let end = closing(map, 0)?;
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 1;
    for (i, c) in unquoted(&map[..end], 1) {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.checked_sub(1)?,
            ',' if depth == 0 => {
                out.push(trimmed(map, start..i));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(trimmed(map, start..end));
    out.retain(|r| !r.is_empty());
    Some(out)
}

/// The characters of `text` from byte `from` on that stand outside quoted scalars (the quotes
/// themselves left out), each with its byte index; they end where a comment starts.
fn unquoted(text: &str, from: usize) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut quote = None;
    let mut chars = text[from..].char_indices().map(move |(i, c)| (from + i, c)).peekable();
    std::iter::from_fn(move || {
        while let Some((i, c)) = chars.next() {
            match (quote, c) {
                (Some('\''), '\'') if chars.peek().map(|&(_, n)| n) == Some('\'') => {
                    chars.next();
                }
                (Some('"'), '\\') => {
                    chars.next();
                }
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '#') if text[..i].ends_with([' ', '\t']) => return None,
                (None, c) => return Some((i, c)),
            }
        }
        None
    })
}

fn trimmed(text: &str, range: Range<usize>) -> Range<usize> {
    let part = &text[range.clone()];
    let start = range.start + (part.len() - part.trim_start().len());
    start..start + part.trim().len()
}

/// The byte range of the value of the top-level plain key `key` in the flow mapping `map`.
pub fn value_of(map: &str, key: &str) -> Option<Range<usize>> {
    entries(map)?.into_iter().find_map(|entry| {
        let text = &map[entry.clone()];
        let rest = text.strip_prefix(key)?.trim_start().strip_prefix(':')?;
        let value = entry.end - rest.trim_start().len();
        Some(value..entry.end)
    })
}

/// The flow mapping `map` (from `{` to its `}`) with `entry` (`key: value` on one line) added
/// last; `None` when `map` is not one flow mapping.
pub fn with_entry(map: &str, entry: &str) -> Option<String> {
    let end = closing(map, 0)?;
    if end + 1 != map.len() {
        return None;
    }
    let inner = map[1..end].trim_end();
    let separator = if inner.trim().is_empty() { "" } else { ", " };
    let pad = if map[end - 1..end].trim().is_empty() { " " } else { "" };
    Some(format!("{{{inner}{separator}{}{pad}}}", entry.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_end_past_quotes_and_nesting() {
        let text = "{name: 'a}''b', labels: {x: \"}\\\"\"}, list: [1, {y: 2}]} # c}";
        assert_eq!(closing(text, 0), Some(text.find("]}").unwrap() + 1));
        assert_eq!(closing("{a: 1 # }", 0), None);
        assert_eq!(closing("{a: [1}", 0), None);
        assert_eq!(closing("a", 0), None);
    }

    #[test]
    fn finds_values_by_key() {
        let map = "{name: shop, annotations: {a: b}, 'x': 1}";
        assert_eq!(value_of(map, "annotations").map(|r| &map[r]), Some("{a: b}"));
        assert_eq!(value_of(map, "name").map(|r| &map[r]), Some("shop"));
        assert_eq!(value_of(map, "labels"), None);
    }

    #[test]
    fn adds_an_entry_last() {
        assert_eq!(with_entry("{name: a}", "k: v").as_deref(), Some("{name: a, k: v}"));
        assert_eq!(with_entry("{ name: a }", "k: v").as_deref(), Some("{ name: a, k: v }"));
        assert_eq!(with_entry("{}", "k: v").as_deref(), Some("{k: v}"));
        assert_eq!(with_entry("{a: 1} x", "k: v"), None);
    }
}
