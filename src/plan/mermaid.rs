//! The plan as a Mermaid flowchart, which GitHub renders in pull-request comments: one subgraph
//! per step, left to right in sync order. Node ids are generated (`n0`, `n1`, …) and every label
//! is entity-encoded, so no name can be Mermaid syntax (such as `end`).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::build::PlanError;
use super::diagram::{Diagram, LinkStyle, Node, NodeClass};
use super::escape;
use super::types::Plan;
use crate::render::Manifests;
use crate::spec::model::Model;

/// The Mermaid diagram of the preview `manifests` were rendered from.
pub fn mermaid_for(model: &Model, manifests: &Manifests) -> Result<String, PlanError> {
    Ok(mermaid(&Plan::of(model, manifests)?))
}

/// The Mermaid source of `plan`, without a Markdown fence.
pub fn mermaid(plan: &Plan) -> String {
    let diagram = Diagram::of(plan);
    let mut out = String::from("flowchart LR\n");
    for (i, cluster) in diagram.clusters.iter().enumerate() {
        let _ = writeln!(out, "  subgraph s{i}[\"{}\"]", escape::mermaid(&cluster.title));
        out.push_str("    direction TB\n");
        for &node in &cluster.nodes {
            let _ = writeln!(out, "    {}", node_decl(node, &diagram.nodes[node]));
        }
        out.push_str("  end\n");
    }
    if !diagram.outside.is_empty() {
        out.push_str("  subgraph ext[\"outside the preview\"]\n    direction TB\n");
        for &node in &diagram.outside {
            let _ = writeln!(out, "    {}", node_decl(node, &diagram.nodes[node]));
        }
        out.push_str("  end\n");
    }
    let mut styled: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (i, link) in diagram.edges.iter().enumerate() {
        let label = if link.label.is_empty() { String::new() } else { format!("|\"{}\"|", lines(&link.label)) };
        let _ = writeln!(out, "  {} {}{label} {}", Diagram::id(link.from), arrow(link.style), Diagram::id(link.to));
        if let Some(css) = link_style(link.style) {
            styled.entry(css).or_default().push(i.to_string());
        }
    }
    let mut by_class: BTreeMap<NodeClass, Vec<String>> = BTreeMap::new();
    for (i, node) in diagram.nodes.iter().enumerate() {
        by_class.entry(node.class).or_default().push(Diagram::id(i));
    }
    for (class, ids) in by_class {
        let _ = writeln!(out, "  classDef {} {}", class.name(), node_style(class));
        let _ = writeln!(out, "  class {} {}", ids.join(","), class.name());
    }
    for (css, indices) in styled {
        let _ = writeln!(out, "  linkStyle {} {css}", indices.join(","));
    }
    out
}

fn lines(lines: &[String]) -> String {
    lines.iter().map(|l| escape::mermaid(l)).collect::<Vec<_>>().join("<br/>")
}

fn node_decl(index: usize, node: &Node) -> String {
    let (open, close) = match node.class {
        NodeClass::Setup | NodeClass::Service => ("[", "]"),
        NodeClass::Store => ("[(", ")]"),
        NodeClass::Job => ("[[", "]]"),
        NodeClass::Snapshot => ("[/", "/]"),
        NodeClass::Host => ("([", "])"),
        NodeClass::Staging | NodeClass::OtherPreview | NodeClass::Url | NodeClass::SeedImage => ("{{", "}}"),
    };
    format!("{}{open}\"{}\"{close}", Diagram::id(index), lines(&node.lines))
}

fn arrow(style: LinkStyle) -> &'static str {
    match style {
        LinkStyle::Service | LinkStyle::Migration | LinkStyle::Ingress => "-->",
        LinkStyle::Store | LinkStyle::Seed => "==>",
        LinkStyle::Staging | LinkStyle::OtherPreview | LinkStyle::Url => "-.->",
        LinkStyle::Order => "~~~",
    }
}

fn node_style(class: NodeClass) -> &'static str {
    match class {
        NodeClass::Setup => "fill:#f6f8fa,stroke:#8c959f,color:#1f2328",
        NodeClass::Service => "fill:#ddf4ff,stroke:#0969da,color:#1f2328",
        NodeClass::Store => "fill:#fbefff,stroke:#8250df,color:#1f2328",
        NodeClass::Job => "fill:#fff8c5,stroke:#9a6700,color:#1f2328",
        NodeClass::Snapshot => "fill:#dafbe1,stroke:#1a7f37,color:#1f2328",
        NodeClass::Host => "fill:#ffffff,stroke:#0969da,color:#1f2328",
        NodeClass::Staging => "fill:#fff1e5,stroke:#bc4c00,color:#1f2328,stroke-dasharray:4 3",
        NodeClass::OtherPreview => "fill:#ffeff7,stroke:#bf3989,color:#1f2328,stroke-dasharray:4 3",
        NodeClass::Url | NodeClass::SeedImage => "fill:#f6f8fa,stroke:#57606a,color:#1f2328,stroke-dasharray:4 3",
    }
}

fn link_style(style: LinkStyle) -> Option<&'static str> {
    match style {
        LinkStyle::Service => Some("stroke:#0969da,stroke-width:2px"),
        LinkStyle::Store => Some("stroke:#8250df"),
        LinkStyle::Staging => Some("stroke:#bc4c00"),
        LinkStyle::OtherPreview => Some("stroke:#bf3989"),
        LinkStyle::Url => Some("stroke:#57606a"),
        LinkStyle::Seed => Some("stroke:#1a7f37"),
        LinkStyle::Migration | LinkStyle::Ingress => Some("stroke:#8c959f"),
        LinkStyle::Order => None,
    }
}
