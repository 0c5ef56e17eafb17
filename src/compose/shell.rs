//! A compose `command` or `entrypoint` written as one string, split into words as a POSIX shell
//! would (what Compose itself does): blanks separate words, single quotes keep everything,
//! double quotes keep everything but `\"`, `\\`, `\$` and `` \` ``, a backslash outside quotes
//! keeps the next character. Nothing is expanded: no variables, globs or operators.

/// Why a string could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// A quote was opened and never closed.
    #[error("a {0} quote is never closed")]
    Unclosed(&'static str),
    /// The string ends in a lone backslash.
    #[error("it ends with a lone backslash")]
    TrailingBackslash,
}

/// The words of `text`.
pub fn split(text: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => words.extend(word.take()),
            '\'' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => current.push(c),
                        None => return Err(SplitError::Unclosed("single")),
                    }
                }
            }
            '"' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => current.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                current.push('\\');
                                current.push(c);
                            }
                            None => return Err(SplitError::Unclosed("double")),
                        },
                        Some(c) => current.push(c),
                        None => return Err(SplitError::Unclosed("double")),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err(SplitError::TrailingBackslash),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        split(text).unwrap()
    }

    #[test]
    fn blanks_separate_and_quotes_group() {
        assert_eq!(words("  celery -A shop   worker -l info "), ["celery", "-A", "shop", "worker", "-l", "info"]);
        assert_eq!(
            words(r#"sh -c "python manage.py migrate && gunicorn shop.wsgi -b 0.0.0.0:8000""#),
            ["sh", "-c", "python manage.py migrate && gunicorn shop.wsgi -b 0.0.0.0:8000"]
        );
        assert_eq!(words(r#"echo 'a "b" $HOME' "x'y" a\ b"#), ["echo", r#"a "b" $HOME"#, "x'y", "a b"]);
    }

    #[test]
    fn quotes_join_with_their_neighbours_and_empty_quotes_are_words() {
        assert_eq!(words(r#"--name="my app" '' """#), ["--name=my app", "", ""]);
        assert_eq!(words(r#""a\"b\\c\$d\n""#), [r#"a"b\c$d\n"#]);
    }

    #[test]
    fn broken_strings_are_refused() {
        assert_eq!(split("echo 'oops"), Err(SplitError::Unclosed("single")));
        assert_eq!(split("echo \"oops"), Err(SplitError::Unclosed("double")));
        assert_eq!(split("echo \\"), Err(SplitError::TrailingBackslash));
        assert!(words("").is_empty());
    }
}
