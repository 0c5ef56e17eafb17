//! An error and its causes as one line of text, for errors of other crates (the AWS SDK, kube),
//! whose `Display` often leaves the useful part to a source.

/// An error and its sources as `a: b: c`, leaving out a source its parent already quotes.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text = format!("{text}: {part}");
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Plain(String);

    #[derive(Debug, thiserror::Error)]
    #[error("{text}")]
    struct Wrapped {
        text: String,
        #[source]
        source: Plain,
    }

    #[test]
    fn sources_follow_unless_already_quoted() {
        let error = Wrapped { text: "dispatch failure".into(), source: Plain("connection refused".into()) };
        assert_eq!(chain(&error), "dispatch failure: connection refused");
        let quoted = Wrapped { text: "io: connection refused".into(), source: Plain("connection refused".into()) };
        assert_eq!(chain(&quoted), "io: connection refused");
    }
}
