//! Choosing an output format.

use super::types::Plan;
use super::{dot, markdown, mermaid, text};

/// The formats `kpreview plan` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    Text,
    /// A summary and a Mermaid diagram for a pull-request comment.
    Markdown,
    /// A Mermaid flowchart.
    Mermaid,
    /// A Graphviz graph.
    Dot,
    /// The plan as data (docs/plan-json.md).
    Json,
}

impl Plan {
    /// The plan in `format`; `styled` adds ANSI colours to `Text`.
    pub fn write(&self, format: Format, styled: bool) -> Result<String, serde_json::Error> {
        Ok(match format {
            Format::Text => text::text(self, styled),
            Format::Markdown => markdown::markdown(self),
            Format::Mermaid => mermaid::mermaid(self),
            Format::Dot => dot::dot(self),
            Format::Json => serde_json::to_string_pretty(self)? + "\n",
        })
    }
}
