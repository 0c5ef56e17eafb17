//! The plan as a Graphviz graph: one cluster per step, each a column (`rank=same` under
//! `newrank`), left to right in sync order. `dot -Tsvg` draws it.

use std::fmt::Write;

use super::diagram::{Diagram, LinkStyle, Node, NodeClass};
use super::escape;
use super::types::Plan;

const FONT: &str = "Helvetica";

/// The DOT source of `plan`.
pub fn dot(plan: &Plan) -> String {
    let diagram = Diagram::of(plan);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// The sync plan of {}, drawn by `kpreview plan --format dot`.",
        escape::visible(&plan.namespace)
    );
    out.push_str("digraph plan {\n");
    let _ = writeln!(
        out,
        "  graph [label=\"{}\", labelloc=t, fontsize=14, fontname=\"{FONT}\", rankdir=LR, newrank=true, \
         nodesep=0.25, ranksep=0.6, pad=0.2];",
        escape::dot(&diagram.title)
    );
    let _ = writeln!(
        out,
        "  node [fontname=\"{FONT}\", fontsize=10, shape=box, style=\"rounded,filled\", color=\"#57606a\", \
         fillcolor=\"#ffffff\", fontcolor=\"#1f2328\"];"
    );
    let _ = writeln!(out, "  edge [fontname=\"{FONT}\", fontsize=9, color=\"#57606a\", fontcolor=\"#57606a\"];");
    for (i, cluster) in diagram.clusters.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_s{i} {{");
        let _ = writeln!(
            out,
            "    label=\"{}\"; fontsize=11; rank=same; style=\"rounded,filled\"; color=\"#d0d7de\"; fillcolor=\"#f6f8fa\";",
            escape::dot(&cluster.title)
        );
        for &node in &cluster.nodes {
            let _ = writeln!(out, "    {}", node_decl(node, &diagram.nodes[node]));
        }
        out.push_str("  }\n");
    }
    if !diagram.outside.is_empty() {
        out.push_str("  subgraph cluster_outside {\n");
        out.push_str("    label=\"outside the preview\"; style=\"rounded,dashed\"; color=\"#bc4c00\";\n");
        for &node in &diagram.outside {
            let _ = writeln!(out, "    {}", node_decl(node, &diagram.nodes[node]));
        }
        out.push_str("  }\n");
    }
    for link in &diagram.edges {
        let mut attributes = vec![edge_style(link.style).to_owned()];
        if !link.label.is_empty() {
            attributes.push(format!("label=\"{}\"", label(&link.label)));
        }
        let _ = writeln!(out, "  {} -> {} [{}];", Diagram::id(link.from), Diagram::id(link.to), attributes.join(", "));
    }
    out.push_str("}\n");
    out
}

fn label(lines: &[String]) -> String {
    lines.iter().map(|l| escape::dot(l)).collect::<Vec<_>>().join("\\n")
}

fn node_decl(index: usize, node: &Node) -> String {
    format!("{} [label=\"{}\", {}];", Diagram::id(index), label(&node.lines), node_style(node.class))
}

fn node_style(class: NodeClass) -> &'static str {
    match class {
        NodeClass::Setup => "shape=box, style=filled, fillcolor=\"#eaeef2\", color=\"#8c959f\"",
        NodeClass::Service => "fillcolor=\"#ddf4ff\", color=\"#0969da\"",
        NodeClass::Store => "shape=cylinder, style=filled, fillcolor=\"#fbefff\", color=\"#8250df\"",
        NodeClass::Job => "shape=component, style=filled, fillcolor=\"#fff8c5\", color=\"#9a6700\"",
        NodeClass::Snapshot => "shape=folder, style=filled, fillcolor=\"#dafbe1\", color=\"#1a7f37\"",
        NodeClass::Host => "shape=oval, style=filled, fillcolor=\"#ffffff\", color=\"#0969da\"",
        NodeClass::Staging => "style=\"rounded,dashed,filled\", fillcolor=\"#fff1e5\", color=\"#bc4c00\"",
        NodeClass::OtherPreview => "style=\"rounded,dashed,filled\", fillcolor=\"#ffeff7\", color=\"#bf3989\"",
        NodeClass::Url | NodeClass::SeedImage => {
            "style=\"rounded,dashed,filled\", fillcolor=\"#f6f8fa\", color=\"#57606a\""
        }
    }
}

fn edge_style(style: LinkStyle) -> &'static str {
    match style {
        LinkStyle::Service => "color=\"#0969da\", penwidth=1.5",
        LinkStyle::Store => "color=\"#8250df\", penwidth=1.5",
        LinkStyle::Staging => "color=\"#bc4c00\", style=dashed",
        LinkStyle::OtherPreview => "color=\"#bf3989\", style=dashed",
        LinkStyle::Url => "color=\"#57606a\", style=dotted",
        LinkStyle::Seed => "color=\"#1a7f37\", fontcolor=\"#1a7f37\", penwidth=2",
        LinkStyle::Migration | LinkStyle::Ingress => "color=\"#8c959f\"",
        LinkStyle::Order => "style=invis",
    }
}
