//! `kpreview plan`: the sync plan as text, Markdown, Mermaid, DOT or JSON.
