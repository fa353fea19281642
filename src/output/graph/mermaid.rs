//! Mermaid flowchart: namespaces are subgraphs; ids are generated (`n0`, `c0`) since Mermaid
//! ids cannot hold every name, and labels use Mermaid's entity codes for anything that would
//! end or change them.

use std::io::Write;

use super::model::{EdgeStyle, Graph, NodeKind};

/// A Mermaid quoted label: quotes, markup and the characters of Mermaid's own syntax as
/// entity codes (`#quot;`, `#35;`).
pub fn label(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '[' => out.push_str("#91;"),
            ']' => out.push_str("#93;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn shape(kind: NodeKind, id: &str, text: &str) -> String {
    let text = label(text);
    match kind {
        NodeKind::External => format!("{id}(({text}))"),
        NodeKind::Namespace => format!("{id}[[{text}]]"),
        NodeKind::Workload | NodeKind::Focus => format!("{id}({text})"),
    }
}

pub fn render(graph: &Graph, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "---")?;
    // YAML front matter: the title as a double-quoted YAML scalar (JSON's escapes are YAML's).
    writeln!(
        out,
        "title: {}",
        serde_json::to_string(&graph.title).map_err(std::io::Error::other)?
    )?;
    writeln!(out, "---")?;
    writeln!(out, "flowchart LR")?;
    let id = |i: usize| format!("n{i}");
    for (c, cluster) in graph.clusters.iter().enumerate() {
        writeln!(out, "  subgraph c{c}[{}]", label(&cluster.label))?;
        for (i, n) in graph.nodes.iter().enumerate() {
            if n.cluster.as_deref() == Some(&cluster.id) {
                writeln!(out, "    {}", shape(n.kind, &id(i), &n.label))?;
            }
        }
        writeln!(out, "  end")?;
    }
    for (i, n) in graph.nodes.iter().enumerate() {
        if n.cluster
            .as_deref()
            .is_none_or(|c| graph.cluster_index(c).is_none())
        {
            writeln!(out, "  {}", shape(n.kind, &id(i), &n.label))?;
        }
    }
    let mut styles = Vec::new();
    let mut count = 0;
    for e in &graph.edges {
        let (Some(from), Some(to)) = (graph.node_index(&e.from), graph.node_index(&e.to)) else {
            continue;
        };
        let arrow = match e.style {
            EdgeStyle::Solid => "-->",
            EdgeStyle::Dashed | EdgeStyle::Dotted => "-.->",
        };
        writeln!(
            out,
            "  {} {arrow}|{}| {}",
            id(from),
            label(&e.label),
            id(to)
        )?;
        let dash = match e.style {
            EdgeStyle::Solid => "",
            EdgeStyle::Dashed => ",stroke-dasharray:6 4",
            EdgeStyle::Dotted => ",stroke-dasharray:2 3",
        };
        styles.push(format!(
            "  linkStyle {count} stroke:{}{dash}",
            e.class.colour()
        ));
        count += 1;
    }
    for s in styles {
        writeln!(out, "{s}")?;
    }
    writeln!(out, "  classDef external stroke-dasharray:4 3")?;
    writeln!(out, "  classDef focus fill:#F0E442,stroke-width:2px")?;
    for (i, n) in graph.nodes.iter().enumerate() {
        match n.kind {
            NodeKind::External => writeln!(out, "  class {} external", id(i))?,
            NodeKind::Focus => writeln!(out, "  class {} focus", id(i))?,
            _ => {}
        }
    }
    // Mermaid has no legend: the classes in use, and the notes, as comments a reader sees in
    // the source and as a note node in the picture.
    let classes = graph.classes();
    let mut legend: Vec<String> = classes
        .iter()
        .map(|c| format!("{} {}: {}", c.colour_name(), c.style().name(), c.meaning()))
        .collect();
    legend.extend(graph.notes.iter().cloned());
    if classes.iter().any(|c| *c != super::EdgeClass::Allowed) || !graph.notes.is_empty() {
        writeln!(out, "  legend[{}]", label(&legend.join("; ")))?;
    }
    Ok(())
}
