//! GitHub Actions expressions, as much of them as the workflow uses: literals, context paths
//! (with `*` filters), `==` `!=` `!` `&&` `||`, parentheses, and `contains`, `startsWith`,
//! `fromJSON`, `always`, `success`, `failure`, `cancelled`. Comparisons follow GitHub's rules
//! where the workflow depends on them: strings compare case-insensitively, `&&`/`||` return an
//! operand, `null`, `false`, `0` and `''` are falsy.

use serde_json::Value;

/// What a status function answers: the results of the steps or needed jobs so far.
#[derive(Debug, Clone, Copy)]
pub struct Status {
    pub failed: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Path(String),
    Str(String),
    Num(f64),
    Op(&'static str),
    Open,
    Close,
    Comma,
}

fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' && chars.get(i + 1) == Some(&'\'') {
                    s.push('\'');
                    i += 2;
                } else if chars[i] == '\'' {
                    break;
                } else {
                    s.push(chars[i]);
                    i += 1;
                }
            }
            i += 1;
            out.push(Token::Str(s));
        } else if let Some(op) =
            ["==", "!=", "&&", "||"].into_iter().find(|op| text[char_offset(&chars, i)..].starts_with(op))
        {
            out.push(Token::Op(op));
            i += 2;
        } else if c == '!' {
            out.push(Token::Op("!"));
            i += 1;
        } else if c == '(' {
            out.push(Token::Open);
            i += 1;
        } else if c == ')' {
            out.push(Token::Close);
            i += 1;
        } else if c == ',' {
            out.push(Token::Comma);
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            out.push(Token::Num(chars[start..i].iter().collect::<String>().parse().unwrap()));
        } else {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || "._-*".contains(chars[i])) {
                i += 1;
            }
            assert!(i > start, "cannot read the expression at {:?}: {text}", &text[char_offset(&chars, start)..]);
            out.push(Token::Path(chars[start..i].iter().collect()));
        }
    }
    out
}

fn char_offset(chars: &[char], i: usize) -> usize {
    chars[..i].iter().map(|c| c.len_utf8()).sum()
}

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// A value as GitHub writes it into a string (`${{ }}` in `with:` and `env:`).
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Number(x), Value::String(y)) | (Value::String(y), Value::Number(x)) => {
            y.parse::<f64>().ok() == x.as_f64()
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    context: &'a Value,
    status: Status,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn advance(&mut self) -> Token {
        self.at += 1;
        self.tokens[self.at - 1].clone()
    }

    fn or(&mut self) -> Value {
        let mut left = self.and();
        while self.peek() == Some(&Token::Op("||")) {
            self.advance();
            let right = self.and();
            left = if truthy(&left) { left } else { right };
        }
        left
    }

    fn and(&mut self) -> Value {
        let mut left = self.compare();
        while self.peek() == Some(&Token::Op("&&")) {
            self.advance();
            let right = self.compare();
            left = if truthy(&left) { right } else { left };
        }
        left
    }

    fn compare(&mut self) -> Value {
        let left = self.unary();
        match self.peek() {
            Some(Token::Op("==")) => {
                self.advance();
                Value::Bool(equal(&left, &self.unary()))
            }
            Some(Token::Op("!=")) => {
                self.advance();
                Value::Bool(!equal(&left, &self.unary()))
            }
            _ => left,
        }
    }

    fn unary(&mut self) -> Value {
        if self.peek() == Some(&Token::Op("!")) {
            self.advance();
            return Value::Bool(!truthy(&self.unary()));
        }
        self.primary()
    }

    fn primary(&mut self) -> Value {
        match self.advance() {
            Token::Str(s) => Value::String(s),
            Token::Num(n) => serde_json::json!(n),
            Token::Open => {
                let v = self.or();
                assert_eq!(self.advance(), Token::Close);
                v
            }
            Token::Path(p) if self.peek() == Some(&Token::Open) => {
                self.advance();
                let mut args = Vec::new();
                while self.peek() != Some(&Token::Close) {
                    args.push(self.or());
                    if self.peek() == Some(&Token::Comma) {
                        self.advance();
                    }
                }
                self.advance();
                self.call(&p, &args)
            }
            Token::Path(p) => match p.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => lookup(self.context, &p),
            },
            other => panic!("unexpected {other:?}"),
        }
    }

    fn call(&self, name: &str, args: &[Value]) -> Value {
        match name {
            "contains" => Value::Bool(match &args[0] {
                Value::Array(items) => items.iter().any(|i| equal(i, &args[1])),
                v => text(v).to_lowercase().contains(&text(&args[1]).to_lowercase()),
            }),
            "startsWith" => Value::Bool(text(&args[0]).to_lowercase().starts_with(&text(&args[1]).to_lowercase())),
            "fromJSON" => serde_json::from_str(&text(&args[0])).expect("fromJSON"),
            "always" => Value::Bool(true),
            "success" => Value::Bool(!self.status.failed),
            "failure" => Value::Bool(self.status.failed),
            "cancelled" => Value::Bool(false),
            other => panic!("the harness has no function {other}"),
        }
    }
}

/// `github.event.pull_request.labels.*.name`: a path, `*` mapping over an array.
fn lookup(context: &Value, path: &str) -> Value {
    let mut values = vec![context.clone()];
    let mut spread = false;
    for part in path.split('.') {
        if part == "*" {
            values = values.into_iter().flat_map(|v| v.as_array().cloned().unwrap_or_default()).collect();
            spread = true;
        } else {
            values = values.into_iter().map(|v| v.get(part).cloned().unwrap_or(Value::Null)).collect();
        }
    }
    if spread { Value::Array(values) } else { values.pop().unwrap_or(Value::Null) }
}

/// Evaluates an expression (without `${{ }}`).
pub fn eval(expression: &str, context: &Value, status: Status) -> Value {
    let mut parser = Parser { tokens: tokens(expression), at: 0, context, status };
    let v = parser.or();
    assert!(parser.at == parser.tokens.len(), "trailing tokens in {expression}");
    v
}

/// Replaces every `${{ … }}` in `template` with its value as text.
pub fn interpolate(template: &str, context: &Value, status: Status) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closing }}") + start;
        out.push_str(&text(&eval(&rest[start + 3..end], context, status)));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A job's or step's `if:`, with or without `${{ }}`; none means `success()`.
pub fn condition(cond: Option<&str>, context: &Value, status: Status) -> bool {
    let Some(cond) = cond else { return !status.failed };
    let inner = cond.trim().strip_prefix("${{").and_then(|c| c.strip_suffix("}}")).unwrap_or(cond);
    let uses_status = ["always(", "success(", "failure(", "cancelled("].iter().any(|f| inner.contains(f));
    let value = truthy(&eval(inner, context, status));
    if uses_status { value } else { !status.failed && value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_what_the_workflow_uses() {
        let ctx = serde_json::json!({"github": {"event": {"action": "labeled", "label": {"name": "Preview"},
            "pull_request": {"labels": [{"name": "bug"}, {"name": "preview"}], "state": "open"}}}});
        let ok = Status { failed: false };
        assert!(condition(
            Some(
                "github.event.label.name == 'preview' && contains(github.event.pull_request.labels.*.name, 'preview')"
            ),
            &ctx,
            ok
        ));
        assert!(!condition(
            Some(
                "github.event.pull_request.state == 'closed' || !contains(github.event.pull_request.labels.*.name, 'bug')"
            ),
            &ctx,
            ok
        ));
        assert!(condition(Some("contains(fromJSON('[\"OWNER\", \"MEMBER\"]'), 'member')"), &ctx, ok));
        assert_eq!(interpolate("a-${{ github.event.action }}-${{ github.missing }}", &ctx, ok), "a-labeled-");
        assert!(!condition(None, &ctx, Status { failed: true }));
        assert!(condition(Some("always()"), &ctx, Status { failed: true }));
    }
}
