//! Graphviz DOT: namespaces are `cluster_` subgraphs, every id and label a quoted string.

use std::io::Write;

use super::model::{Graph, NodeKind};

/// A DOT quoted string: `"` and `\` escaped, line breaks as `\n` (DOT's escape in labels).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn node_attrs(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Workload => "shape=box, style=rounded",
        NodeKind::Namespace => "shape=box, style=\"rounded,bold\"",
        NodeKind::External => "shape=ellipse, style=dashed",
        NodeKind::Focus => "shape=box, style=\"rounded,bold,filled\", fillcolor=\"#F0E442\"",
    }
}

pub fn render(graph: &Graph, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "digraph netpol {{")?;
    writeln!(out, "  label={};", quote(&graph.title))?;
    writeln!(out, "  labelloc=t;")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(out, "  node [fontname=\"Helvetica\", fontsize=11];")?;
    writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=9];")?;
    let node = |out: &mut dyn Write, n: &super::Node, indent: &str| {
        writeln!(
            out,
            "{indent}{} [label={}, {}];",
            quote(&n.id),
            quote(&n.label),
            node_attrs(n.kind)
        )
    };
    for (i, c) in graph.clusters.iter().enumerate() {
        writeln!(out, "  subgraph cluster_{i} {{")?;
        writeln!(out, "    label={};", quote(&c.label))?;
        writeln!(out, "    style=rounded;")?;
        for n in graph
            .nodes
            .iter()
            .filter(|n| n.cluster.as_deref() == Some(&c.id))
        {
            node(out, n, "    ")?;
        }
        writeln!(out, "  }}")?;
    }
    for n in graph.nodes.iter().filter(|n| {
        n.cluster
            .as_deref()
            .is_none_or(|c| graph.cluster_index(c).is_none())
    }) {
        node(out, n, "  ")?;
    }
    for e in &graph.edges {
        writeln!(
            out,
            "  {} -> {} [label={}, color={}, fontcolor={}, style={}, class={}];",
            quote(&e.from),
            quote(&e.to),
            quote(&e.label),
            quote(e.class.colour()),
            quote(e.class.colour()),
            e.style.name(),
            e.class.name()
        )?;
    }
    // The legend: one invisible-edged key per class used (the notes too, as a note node).
    let classes = graph.classes();
    if classes.len() > 1 || classes.iter().any(|c| *c != super::EdgeClass::Allowed) {
        writeln!(out, "  subgraph cluster_legend {{")?;
        writeln!(out, "    label=\"Legend\";")?;
        writeln!(out, "    style=rounded;")?;
        for c in &classes {
            writeln!(
                out,
                "    \"legend_{0}_a\" [label=\"\", shape=point]; \"legend_{0}_b\" [label={1}, shape=plaintext];",
                c.name(),
                quote(c.meaning())
            )?;
            writeln!(
                out,
                "    \"legend_{0}_a\" -> \"legend_{0}_b\" [color={1}, style={2}];",
                c.name(),
                quote(c.colour()),
                c.style().name()
            )?;
        }
        writeln!(out, "  }}")?;
    }
    for (i, n) in graph.notes.iter().enumerate() {
        writeln!(out, "  \"note_{i}\" [label={}, shape=note];", quote(n))?;
    }
    writeln!(out, "}}")
}
