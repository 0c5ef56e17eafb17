//! Making spec values safe for each output. Names are DNS labels, but URLs, images, branches,
//! backup names and snapshot tags are whatever the spec, the environment or `preview.lock` say,
//! and a plan is printed to terminals and posted to pull requests.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character written as an escape (`\u{1b}`): a hostile value can
/// neither move a terminal's cursor nor end a line of DOT, Mermaid or Markdown.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars().map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() }).collect(),
    )
}

/// Text for a quoted Mermaid label: ASCII letters, digits, space and `.,:/-+=` as they are, every
/// other character as Mermaid's entity code `#<decimal>;`. That leaves no quote or bracket to end
/// the label, no `#` that starts an entity by accident, no `<` for HTML and no `*`, `_` or
/// backtick for the Markdown that GitHub's Mermaid applies to labels.
pub fn mermaid(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || " .,:/-+=".contains(c) {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}

/// Text for a double-quoted DOT string: control characters made visible, then `\` and `"`
/// escaped, so neither ends the string nor starts one of Graphviz's `\N`, `\G`, `\l` escapes.
pub fn dot(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in visible(text).chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A Markdown code span that shows `text` literally: fenced by one backtick more than the longest
/// run inside it, padded when it starts or ends with one (CommonMark §6.1).
pub fn code(text: &str) -> String {
    let text = visible(text);
    if text.is_empty() {
        return "` `".to_owned();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A Markdown link to `url` when it is a plain `http(s)://host` of DNS characters (optionally
/// ending in `/`), else a code span.
pub fn link(url: &str) -> String {
    let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = host.map(|h| h.strip_suffix('/').unwrap_or(h));
    match host {
        Some(host) if !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') => {
            format!("<{url}>")
        }
        _ => code(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(visible("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\u{a}c");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn mermaid_labels_keep_no_syntax() {
        let hostile = "x\"]) --> y[\"end\n#quot; <b>*_`|;%%";
        let escaped = mermaid(hostile);
        assert!(escaped.chars().all(|c| c.is_ascii_alphanumeric() || " .,:/-+=#;".contains(c)), "{escaped}");
        assert!(escaped.starts_with("x#34;#93;#41; --#62; y#91;#34;end#10;#35;quot#59;"), "{escaped}");
        assert_eq!(mermaid("é·"), "#233;#183;");
    }

    #[test]
    fn dot_strings_cannot_end_early() {
        assert_eq!(dot(r#"a"b\N"#), r#"a\"b\\N"#);
        assert_eq!(dot("a\nb"), r"a\\u{a}b");
    }

    #[test]
    fn code_spans_outlast_backticks() {
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x``"), "``` `x`` ```");
        assert_eq!(code(""), "` `");
    }

    #[test]
    fn only_plain_hosts_become_links() {
        assert_eq!(link("https://api-shop-pr-1.example.com"), "<https://api-shop-pr-1.example.com>");
        assert_eq!(link("https://a.example.com/x>y"), "`https://a.example.com/x>y`");
        assert_eq!(link("http://a.example.com/"), "<http://a.example.com/>");
        assert_eq!(link("https:///"), "`https:///`");
        assert_eq!(link("javascript:alert(1)"), "`javascript:alert(1)`");
    }
}
