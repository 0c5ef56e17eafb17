//! The platform's `PreviewPolicy` (SPEC §7): what a spec may ask for. The spec comes from a pull
//! request; the namespace, the platform's namespaces, the per-preview limits and the lists of
//! images, annotations, seed bases and secrets come from here, read from `--policy FILE` or
//! `KPREVIEW_POLICY`, with the built-in defaults of [`builtin`] when there is none.

pub mod builtin;
pub mod check;
pub mod images;
pub mod impose;
pub mod load;
pub mod model;
pub mod namespace;
pub mod prepare;
pub mod secrets;
pub mod types;

pub use load::{PolicyError, read};
pub use model::Policy;
pub use prepare::{prepare, prepare_loaded};
