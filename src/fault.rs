//! Whose fault an error is, so the binary can pick an exit code from the error's type instead of
//! from wrappers around its text. A leaf: it imports nothing of the crate, and every error type of
//! the library that can reach the command line says which [`Fault`] it is.

/// Who must act for a failed command to succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The user's input (spec, flags, policy, arguments) is wrong: exit code 1.
    Input,
    /// A publish or unpublish older than what the GitOps repository holds (a re-run of an older
    /// CI job), refused: exit code 3, so a pipeline can tell it from a failure.
    Superseded,
    /// The system, a tool, the network or the repository failed: exit code 2.
    Environment,
}

/// An error that knows whose fault it is.
pub trait HasFault {
    /// Whose fault this error is.
    fn fault(&self) -> Fault;
}
