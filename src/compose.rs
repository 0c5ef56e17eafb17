//! `kpreview init`: a commented spec that validates, from a docker-compose file or from nothing.
//! Compose is read as untyped YAML under the spec's budgets (it is a foreign format with many
//! shapes per key); whatever has no equivalent in a spec is said, never silently dropped.

mod draft;
mod emit;
mod env;
mod error;
mod init;
mod interpolate;
mod minimal;
mod names;
mod ports;
mod service;
mod shell;
mod stores;
mod translate;

pub use error::InitError;
pub use init::{Init, Options, from_compose, starter};
