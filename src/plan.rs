//! The plan of a preview: what it will create, in what order Argo CD syncs it, where its data
//! comes from and what it depends on, read off the model and the rendered objects (never a
//! second model that could drift), as text, Markdown, Mermaid, Graphviz or JSON.

mod build;
mod diagram;
mod dot;
pub(crate) mod escape;
mod format;
mod markdown;
mod mermaid;
mod text;
mod types;

pub use build::PlanError;
pub use format::Format;
pub use markdown::{markdown, markdown_for, outside};
pub use mermaid::{mermaid, mermaid_for};
pub use types::*;
