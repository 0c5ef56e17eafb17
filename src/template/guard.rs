//! What a template may contain, checked on its tokens before it is compiled: no operator that
//! repeats a value (`*`, `**`) and no statement that could accumulate one; only `if` and `for`.

use minijinja::machinery::{Token, tokenize};
use minijinja::syntax::SyntaxConfig;

use super::describe;

const STATEMENTS: &[&str] = &["if", "elif", "else", "endif", "for", "endfor"];

/// What the guard learnt about a template it let through.
#[derive(Debug, Default)]
pub(super) struct Scan {
    /// The variables the template names, as written (`pr.headSha`, `namespace`).
    pub used: Vec<String>,
    /// Whether it has a `for` loop, the only way a template can run an instruction twice.
    pub loops: bool,
}

/// Refuses what the module docs list, and says what the template uses.
pub(super) fn check_tokens(source: &str) -> Result<Scan, String> {
    let mut after_block_start = false;
    let mut scan = Scan::default();
    let mut after_dot = false;
    for token in tokenize(source, false, SyntaxConfig::default()) {
        let (token, _) = token.map_err(|e| describe(&e))?;
        match token {
            Token::Mul | Token::Pow => {
                return Err("the `*` and `**` operators are not allowed in kpreview templates".to_owned());
            }
            Token::Ident(word) if after_block_start && !STATEMENTS.contains(&word) => {
                return Err(format!(
                    "`{{% {word} %}}` is not allowed in kpreview templates: only if/elif/else/endif and for/endfor"
                ));
            }
            Token::Ident("for") if after_block_start => scan.loops = true,
            Token::Ident(word) if after_dot => {
                if let Some(last) = scan.used.last_mut() {
                    last.push('.');
                    last.push_str(word);
                }
            }
            Token::Ident(word) if !after_block_start => scan.used.push(word.to_owned()),
            _ => {}
        }
        after_dot = matches!(token, Token::Dot);
        after_block_start = matches!(token, Token::BlockStart);
    }
    Ok(scan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_and_variables_are_read_off_the_tokens() {
        let scan = check_tokens("{% for x in range(3) %}{{ pr.headSha }}{% endfor %}{{ name }}").unwrap();
        assert!(scan.loops);
        assert!(scan.used.ends_with(&["pr.headSha".to_owned(), "name".to_owned()]), "{:?}", scan.used);
        assert!(!check_tokens("{% if pr.number %}a{% endif %}").unwrap().loops);
        assert!(check_tokens("{% set a = 1 %}").unwrap_err().contains("`{% set %}` is not allowed"));
        assert!(check_tokens("{{ 'a' ** 3 }}").unwrap_err().contains("`**`"));
    }
}
