//! The grammar of a kpreview template, parsed in one pass without backtracking:
//!
//! ```text
//! template   := (text | "{{" expression "}}" | "{#" comment "#}")*
//! expression := head ("|" filter)*          at most MAX_FILTERS filters
//! head       := path | string
//! path       := name ("." segment | "[" string "]")*
//! filter     := name ("(" literal ("," literal)* ")")?
//! literal    := string | integer
//! ```
//!
//! `{{-` and `-}}` trim the whitespace before and after, as in Jinja. There is nothing else: no
//! operator, no statement (`{% … %}`), no call, so an expression does work proportional to its
//! filters and the size of the values they see.

/// Filters one expression may chain.
pub const MAX_FILTERS: usize = 16;

/// One piece of a template.
#[derive(Debug, PartialEq)]
pub(super) enum Piece<'a> {
    Text(&'a str),
    Expr(Expr<'a>),
}

/// `head | filter | filter(args)`.
#[derive(Debug, PartialEq)]
pub(super) struct Expr<'a> {
    pub head: Head,
    pub filters: Vec<Filter<'a>>,
}

/// What an expression starts from.
#[derive(Debug, PartialEq)]
pub(super) enum Head {
    /// A variable, as its path segments (`["pr", "headSha"]`).
    Path(Vec<String>),
    /// A quoted string.
    Literal(String),
}

/// A filter and its literal arguments.
#[derive(Debug, PartialEq)]
pub(super) struct Filter<'a> {
    pub name: &'a str,
    pub args: Vec<Literal>,
}

/// A filter argument.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Str(String),
    Int(u64),
}

/// What the language offers, for messages that refuse something else.
const OFFER: &str = "kpreview templates hold `{{ variable }}` and `{{ variable | filter }}` only";

/// Why a template's source does not parse: something the language lacks, or a slip.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum SyntaxError {
    #[error("syntax error: a `{{#` comment is never closed with `#}}`")]
    UnclosedComment,
    #[error("`{0}` is not allowed: {OFFER}; there are no statements, loops or conditionals")]
    Statement(String),
    #[error("syntax error: a string is never closed")]
    UnclosedString,
    #[error("the number {0} is too large")]
    NumberTooLarge(String),
    #[error("an expression may apply at most {MAX_FILTERS} filters")]
    TooManyFilters,
    #[error("syntax error: unexpected end of input, expected {0}")]
    End(&'static str),
    #[error(
        "`{0}` is not allowed: {OFFER}; there are no operators (write parts side by side: `{{{{ a }}}}-{{{{ b }}}}`)"
    )]
    Operator(char),
    #[error("`{0}` is not allowed here: {OFFER}")]
    Bracket(char),
    #[error("syntax error: unexpected `{word}`, expected {expected} ({OFFER}; no `if`, `for` or `else`)")]
    Word { word: String, expected: &'static str },
    #[error("syntax error: unexpected `{found}`, expected {expected}")]
    Char { found: char, expected: &'static str },
}

/// Splits `source` into text and expressions, or says what is wrong with it.
pub(super) fn parse(source: &str) -> Result<Vec<Piece<'_>>, SyntaxError> {
    let mut pieces = Vec::new();
    let mut rest = source;
    let mut trim_next = false;
    while !rest.is_empty() {
        let open = find_open(rest);
        let (text, tail) = rest.split_at(open.unwrap_or(rest.len()));
        let text = if trim_next { text.trim_start() } else { text };
        let Some(_) = open else {
            push_text(&mut pieces, text);
            break;
        };
        let trim_before = tail[2..].starts_with('-');
        push_text(&mut pieces, if trim_before { text.trim_end() } else { text });
        let body = &tail[if trim_before { 3 } else { 2 }..];
        rest = match &tail[..2] {
            "{#" => {
                let end = body.find("#}").ok_or(SyntaxError::UnclosedComment)?;
                trim_next = body[..end].ends_with('-');
                &body[end + 2..]
            }
            "{%" => return Err(statement(body)),
            _ => {
                let mut cursor = Cursor { text: body };
                let expr = expression(&mut cursor)?;
                trim_next = cursor.close()?;
                pieces.push(Piece::Expr(expr));
                cursor.text
            }
        };
    }
    Ok(pieces)
}

fn find_open(text: &str) -> Option<usize> {
    ["{{", "{%", "{#"].iter().filter_map(|open| text.find(open)).min()
}

fn push_text<'a>(pieces: &mut Vec<Piece<'a>>, text: &'a str) {
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
}

fn statement(body: &str) -> SyntaxError {
    let word: String =
        body.trim_start_matches('-').trim_start().chars().take_while(char::is_ascii_alphanumeric).take(20).collect();
    SyntaxError::Statement(if word.is_empty() { "{% … %}".to_owned() } else { format!("{{% {word} %}}") })
}

/// The unread rest of an expression.
struct Cursor<'a> {
    text: &'a str,
}

impl<'a> Cursor<'a> {
    fn skip_space(&mut self) {
        self.text = self.text.trim_start();
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.text.chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.text = &self.text[c.len_utf8()..];
            true
        } else {
            false
        }
    }

    /// Reads `}}` or `-}}`; returns whether it asks to trim what follows.
    fn close(&mut self) -> Result<bool, SyntaxError> {
        self.skip_space();
        for (close, trim) in [("}}", false), ("-}}", true)] {
            if let Some(rest) = self.text.strip_prefix(close) {
                self.text = rest;
                return Ok(trim);
            }
        }
        Err(self.unexpected("`|` or `}}`"))
    }

    /// A name: letters, digits, `_` and `-` (service names are DNS labels), not starting with a
    /// digit or `-`, not taking the `-` of a closing `-}}`.
    fn name(&mut self) -> Option<&'a str> {
        self.skip_space();
        let first = self.text.chars().next()?;
        if !(first.is_ascii_alphabetic() || first == '_') {
            return None;
        }
        let mut end = 0;
        for (i, c) in self.text.char_indices() {
            let closing = c == '-' && self.text[i..].starts_with("-}}");
            if !(c.is_ascii_alphanumeric() || c == '_' || c == '-') || closing {
                break;
            }
            end = i + 1;
        }
        let (name, rest) = self.text.split_at(end);
        self.text = rest;
        Some(name)
    }

    fn string(&mut self) -> Result<Option<String>, SyntaxError> {
        let Some(quote) = self.peek().filter(|c| *c == '\'' || *c == '"') else { return Ok(None) };
        let mut out = String::new();
        let mut chars = self.text.char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => out.push(chars.next().ok_or(SyntaxError::UnclosedString)?.1),
                c if c == quote => {
                    self.text = &self.text[i + 1..];
                    return Ok(Some(out));
                }
                c => out.push(c),
            }
        }
        Err(SyntaxError::UnclosedString)
    }

    fn integer(&mut self) -> Result<Option<u64>, SyntaxError> {
        self.skip_space();
        let end = self.text.find(|c: char| !c.is_ascii_digit()).unwrap_or(self.text.len());
        if end == 0 {
            return Ok(None);
        }
        let (digits, rest) = self.text.split_at(end);
        self.text = rest;
        digits.parse().map(Some).map_err(|_| SyntaxError::NumberTooLarge(digits.to_owned()))
    }

    fn literal(&mut self) -> Result<Literal, SyntaxError> {
        if let Some(s) = self.string()? {
            return Ok(Literal::Str(s));
        }
        self.integer()?.map(Literal::Int).ok_or_else(|| self.unexpected("a quoted string or a number"))
    }

    /// Says what was found where `expected` was.
    fn unexpected(&mut self, expected: &'static str) -> SyntaxError {
        match self.peek() {
            None => SyntaxError::End(expected),
            Some(c @ ('~' | '+' | '-' | '*' | '/' | '%' | '=' | '<' | '>' | '!')) => SyntaxError::Operator(c),
            Some(c @ ('(' | '[' | '{')) => SyntaxError::Bracket(c),
            Some(c) if c.is_ascii_alphabetic() => {
                let word: String = self.text.chars().take_while(char::is_ascii_alphanumeric).take(20).collect();
                SyntaxError::Word { word, expected }
            }
            Some(found) => SyntaxError::Char { found, expected },
        }
    }
}

fn expression<'a>(cursor: &mut Cursor<'a>) -> Result<Expr<'a>, SyntaxError> {
    let head = if let Some(s) = cursor.string()? { Head::Literal(s) } else { Head::Path(path(cursor)?) };
    let mut filters = Vec::new();
    while cursor.eat('|') {
        if filters.len() == MAX_FILTERS {
            return Err(SyntaxError::TooManyFilters);
        }
        let name = cursor.name().ok_or_else(|| cursor.unexpected("a filter name"))?;
        let mut args = Vec::new();
        if cursor.eat('(') && !cursor.eat(')') {
            loop {
                args.push(cursor.literal()?);
                if cursor.eat(')') {
                    break;
                }
                if !cursor.eat(',') {
                    return Err(cursor.unexpected("`,` or `)`"));
                }
            }
        }
        filters.push(Filter { name, args });
    }
    Ok(Expr { head, filters })
}

fn path(cursor: &mut Cursor<'_>) -> Result<Vec<String>, SyntaxError> {
    let first = cursor.name().ok_or_else(|| cursor.unexpected("a variable"))?;
    let mut segments = vec![first.to_owned()];
    loop {
        if cursor.text.starts_with('.') {
            cursor.text = &cursor.text[1..];
            let segment = cursor.name().ok_or_else(|| cursor.unexpected("a name after `.`"))?;
            segments.push(segment.to_owned());
        } else if cursor.text.starts_with('[') {
            cursor.text = &cursor.text[1..];
            let key = cursor.string()?.ok_or_else(|| cursor.unexpected("a quoted name after `[`"))?;
            if !cursor.eat(']') {
                return Err(cursor.unexpected("`]`"));
            }
            segments.push(key);
        } else {
            return Ok(segments);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_expr(segments: &[&str], filters: Vec<Filter<'static>>) -> Piece<'static> {
        Piece::Expr(Expr { head: Head::Path(segments.iter().map(|s| (*s).to_owned()).collect()), filters })
    }

    #[test]
    fn text_variables_filters_and_comments() {
        let pieces = parse("a:{{ pr.headSha }}-{{ services['my-api'].host|slug(10) | default('x') }}{# c #}z").unwrap();
        assert_eq!(
            pieces,
            vec![
                Piece::Text("a:"),
                path_expr(&["pr", "headSha"], vec![]),
                Piece::Text("-"),
                path_expr(
                    &["services", "my-api", "host"],
                    vec![
                        Filter { name: "slug", args: vec![Literal::Int(10)] },
                        Filter { name: "default", args: vec![Literal::Str("x".into())] },
                    ]
                ),
                Piece::Text("z"),
            ]
        );
        assert_eq!(
            parse("{{ services.my-api.url }}").unwrap(),
            vec![path_expr(&["services", "my-api", "url"], vec![])]
        );
        assert_eq!(
            parse("a {{- name -}} b").unwrap(),
            vec![Piece::Text("a"), path_expr(&["name"], vec![]), Piece::Text("b")]
        );
        assert_eq!(
            parse("{{ '{{' }}").unwrap(),
            vec![Piece::Expr(Expr { head: Head::Literal("{{".into()), filters: vec![] })]
        );
    }

    #[test]
    fn operators_statements_and_calls_are_refused() {
        assert_eq!(parse("{{ name ~ name }}"), Err(SyntaxError::Operator('~')));
        assert!(parse("{{ name ~ name }}").unwrap_err().to_string().starts_with("`~` is not allowed"));
        assert!(parse("{{ 'x' * 9 }}").unwrap_err().to_string().starts_with("`*` is not allowed"));
        assert!(
            parse("{% for i in range(3) %}{% endfor %}")
                .unwrap_err()
                .to_string()
                .starts_with("`{% for %}` is not allowed")
        );
        assert!(parse("{%- set a = 1 %}").unwrap_err().to_string().starts_with("`{% set %}` is not allowed"));
        assert!(parse("{{ range(3) }}").unwrap_err().to_string().starts_with("`(` is not allowed"));
        assert!(parse("{{ (name) }}").unwrap_err().to_string().starts_with("`(` is not allowed"));
        assert!(
            parse("{{ name | lower(name) }}").unwrap_err().to_string().contains("expected a quoted string or a number")
        );
        assert!(
            parse("{{ pr.number").unwrap_err().to_string().contains("unexpected end of input, expected `|` or `}}`")
        );
        assert!(parse("{{ 'abc }}").unwrap_err().to_string().contains("never closed"));
        assert!(
            parse(&format!("{{{{ name{} }}}}", " | lower".repeat(MAX_FILTERS + 1)))
                .unwrap_err()
                .to_string()
                .contains("at most")
        );
    }
}
