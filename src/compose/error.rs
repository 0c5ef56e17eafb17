//! Why `init` wrote nothing.

use crate::spec::problem::Problems;
use crate::yaml::ReadError;

/// A compose file `init` cannot translate, or a spec it made that does not validate.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The file is not YAML kpreview reads (or is too large, too deep, an alias bomb).
    #[error("{file}: {reason}")]
    Read {
        /// The compose file.
        file: String,
        /// What the reader said; not a `source`, as the message already holds it whole.
        reason: ReadError,
    },
    /// The YAML is not shaped like a compose file.
    #[error("{file}: {}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
    Shape {
        /// The compose file.
        file: String,
        /// Where, such as `services.web`.
        path: String,
        /// What is expected there.
        message: String,
    },
    /// The spec made does not validate: a bug of `init`, never the user's.
    #[error(
        "the spec made from {file} does not validate, a bug in kpreview init (please report it with the file): {problems}"
    )]
    Invalid {
        /// The compose file, or `nothing`.
        file: String,
        /// What validation found.
        problems: Problems,
    },
}

/// Every `init` failure is reported as the input's: even [`InitError::Invalid`], a bug of `init`,
/// is triggered by the file given and is worked around by changing it.
impl crate::fault::HasFault for InitError {
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::Input
    }
}
