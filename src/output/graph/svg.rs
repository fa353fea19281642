//! SVG drawn in-process: the `dagre` crate lays the graph out (ranks, crossing reduction,
//! coordinates, edge routes, namespace clusters), we draw it. No Graphviz needed.

use std::collections::HashMap;
use std::io::Write;

use dagre::graph::{Graph as Layout, GraphOptions};
use dagre::{EdgeLabel, LayoutOptions, NodeLabel, RankDir};

use super::model::{Edge, EdgeClass, EdgeStyle, Graph, NodeKind};

/// Above this many edges the SVG merges edges (and says so): beyond it the picture is a
/// hairball, and the layout's time grows much faster than the edges (docs/benchmarks.md,
/// "Graph layout": 1 s for 300 edges, 17 s for 1,000).
pub const MAX_EDGES: usize = 300;

const FONT: f64 = 12.0;
/// Average advance of the sans-serif font at `FONT`, for sizing boxes before any renderer
/// measures text.
const CHAR: f64 = 7.0;
const SMALL: f64 = 10.0;
const SMALL_CHAR: f64 = 6.0;
const TITLE_CHAR: f64 = 8.6;
const LABEL_RAISE: f64 = 24.0;
const NODE_HEIGHT: f64 = 30.0;
/// dagre's layout gives clusters no room for their names: their boxes are drawn this much
/// taller, into the space `nodesep` leaves between them.
const CLUSTER_HEAD: f64 = 18.0;
const LINE: f64 = 18.0;

/// XML text and attribute values: markup characters as entities; control characters XML 1.0
/// cannot hold as spaces.
pub fn escape(s: &str) -> String {
    crate::output::markup::escape(s, crate::output::markup::Controls::Space)
}

fn text_width(s: &str, char_width: f64) -> f64 {
    s.chars().count() as f64 * char_width
}

/// Where an edge ends, for merging: its node's cluster, or the node itself.
fn end_key<'g>(clusters: &HashMap<&str, Option<&'g str>>, id: &'g str) -> &'g str {
    clusters.get(id).copied().flatten().unwrap_or(id)
}

fn cluster_label<'g>(graph: &'g Graph, key: &str) -> &'g str {
    graph
        .clusters
        .iter()
        .find(|c| c.id == key)
        .map(|c| c.label.as_str())
        .unwrap_or("")
}

/// Above `MAX_EDGES`, edges are merged in two steps until they fit: first those from one node
/// with the same ports and class into one namespace (drawn to the first of its workloads,
/// `TCP 80 to 12 workloads in shop`), then those of one class from one namespace (or node) to
/// one namespace (or node), with their ports listed (`40 edges: TCP 80, all`); past that,
/// the first `MAX_EDGES` are drawn. The returned note says what was done.
fn merge(graph: &Graph) -> (Vec<Edge>, Option<String>) {
    let total = graph.edges.len();
    if total <= MAX_EDGES {
        return (graph.edges.clone(), None);
    }
    let clusters: HashMap<&str, Option<&str>> = graph
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n.cluster.as_deref()))
        .collect();

    // Step 1: one node, same ports and class, into one namespace.
    let mut groups: Vec<(Edge, usize)> = Vec::new();
    let mut index: HashMap<(&str, &str, &str, EdgeClass), usize> = HashMap::new();
    for e in &graph.edges {
        let to = end_key(&clusters, &e.to);
        let key = (e.from.as_str(), to, e.label.as_str(), e.class);
        match index.get(&key) {
            Some(&i) if to != e.to => groups[i].1 += 1,
            _ => {
                index.insert(key, groups.len());
                groups.push((e.clone(), 1));
            }
        }
    }
    let mut edges: Vec<Edge> = groups
        .into_iter()
        .map(|(mut e, n)| {
            if n > 1 {
                let to = end_key(&clusters, &e.to);
                e.label = format!(
                    "{} to {n} workloads in {}",
                    e.label,
                    cluster_label(graph, to)
                );
            }
            e
        })
        .collect();
    let mut how = vec![
        "edges from one node with the same ports into one namespace are drawn \
                        once, to its first workload"
            .to_owned(),
    ];

    // Step 2: one class, from one namespace (or node) to one namespace (or node).
    if edges.len() > MAX_EDGES {
        let mut groups: Vec<(Edge, Vec<String>, usize)> = Vec::new();
        let mut index: HashMap<(String, String, EdgeClass), usize> = HashMap::new();
        for e in &graph.edges {
            let key = (
                end_key(&clusters, &e.from).to_owned(),
                end_key(&clusters, &e.to).to_owned(),
                e.class,
            );
            match index.get(&key) {
                Some(&i) => {
                    let g = &mut groups[i];
                    if !g.1.contains(&e.label) {
                        g.1.push(e.label.clone());
                    }
                    g.2 += 1;
                }
                None => {
                    index.insert(key, groups.len());
                    groups.push((e.clone(), vec![e.label.clone()], 1));
                }
            }
        }
        edges = groups
            .into_iter()
            .map(|(mut e, mut labels, n)| {
                if n > 1 {
                    labels.sort();
                    let shown: Vec<&str> = labels.iter().take(3).map(String::as_str).collect();
                    let more = if labels.len() > 3 { ", ..." } else { "" };
                    e.label = format!("{n} edges: {}{more}", shown.join("; "));
                }
                e
            })
            .collect();
        how.push(
            "then the edges of one kind between two namespaces are drawn once, between their \
             first workloads, with their count and ports"
                .to_owned(),
        );
    }
    if edges.len() > MAX_EDGES {
        how.push(format!(
            "then only the first {MAX_EDGES} of the {} left are drawn (-o dot or --by namespace \
             show them all)",
            edges.len()
        ));
        edges.truncate(MAX_EDGES);
    }
    let note = format!(
        "{total} edges, drawn as {} (more than {MAX_EDGES}): {}.",
        edges.len(),
        how.join("; ")
    );
    (edges, Some(note))
}

/// An edge's points, and the centre of its label.
type Route = (Vec<(f64, f64)>, (f64, f64));

struct Placed {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
}

fn placed(label: &NodeLabel) -> Placed {
    Placed {
        x: label.x.unwrap_or(0.0),
        y: label.y.unwrap_or(0.0),
        width: label.width,
        height: label.height,
    }
}

pub fn render(graph: &Graph, out: &mut dyn Write) -> std::io::Result<()> {
    let (edges, merged) = merge(graph);
    let mut notes: Vec<String> = graph.notes.clone();
    notes.extend(merged);

    let compound = !graph.clusters.is_empty();
    let mut layout: Layout<NodeLabel, EdgeLabel> = Layout::with_options(GraphOptions {
        directed: true,
        multigraph: true,
        compound,
    });
    for (i, c) in graph.clusters.iter().enumerate() {
        let label = NodeLabel {
            width: text_width(&c.label, CHAR) + 16.0,
            ..NodeLabel::default()
        };
        layout.set_node(format!("c{i}"), Some(label));
    }
    for (i, n) in graph.nodes.iter().enumerate() {
        let label = NodeLabel {
            width: text_width(&n.label, CHAR).max(40.0) + 20.0,
            height: NODE_HEIGHT,
            ..NodeLabel::default()
        };
        let id = format!("n{i}");
        layout.set_node(id.clone(), Some(label));
        if let Some(c) = n.cluster.as_deref().and_then(|c| graph.cluster_index(c)) {
            layout.set_parent(&id, Some(&format!("c{i}", i = c)));
        }
    }
    let ends: Vec<Option<(usize, usize)>> = edges
        .iter()
        .map(|e| Some((graph.node_index(&e.from)?, graph.node_index(&e.to)?)))
        .collect();
    for (k, (e, ends)) in edges.iter().zip(&ends).enumerate() {
        let Some((from, to)) = ends else { continue };
        let label = EdgeLabel {
            width: text_width(&e.label, SMALL_CHAR) + 6.0,
            height: SMALL + 4.0,
            ..EdgeLabel::default()
        };
        layout.set_edge(
            format!("n{from}"),
            format!("n{to}"),
            Some(label),
            Some(&format!("e{k}")),
        );
    }
    dagre::layout(
        &mut layout,
        Some(LayoutOptions {
            rankdir: RankDir::LR,
            nodesep: 40.0,
            edgesep: 26.0,
            ranksep: 60.0,
            marginx: 16.0,
            marginy: 16.0,
            ..LayoutOptions::default()
        }),
    );

    // The graph's box, from what was placed.
    let mut right: f64 = 200.0;
    let mut bottom: f64 = 40.0;
    let grow = |p: &Placed, right: &mut f64, bottom: &mut f64| {
        *right = right.max(p.x + p.width / 2.0 + 16.0);
        *bottom = bottom.max(p.y + p.height / 2.0 + 16.0);
    };
    let clusters: Vec<Placed> = (0..graph.clusters.len())
        .map(|i| {
            layout.node(&format!("c{i}")).map(placed).unwrap_or(Placed {
                x: 0.0,
                y: 0.0,
                width: 0.0,
                height: 0.0,
            })
        })
        .collect();
    let nodes: Vec<Placed> = (0..graph.nodes.len())
        .map(|i| placed(layout.node(&format!("n{i}")).expect("every node was added")))
        .collect();
    for p in clusters.iter().chain(&nodes) {
        grow(p, &mut right, &mut bottom);
    }
    let routes: Vec<Option<Route>> = ends
        .iter()
        .enumerate()
        .map(|(k, ends)| {
            let (from, to) = (*ends)?;
            let label = layout.edge(
                &format!("n{from}"),
                &format!("n{to}"),
                Some(&format!("e{k}")),
            )?;
            let points: Vec<(f64, f64)> = label.points.iter().map(|p| (p.x, p.y)).collect();
            Some((points, (label.x.unwrap_or(0.0), label.y.unwrap_or(0.0))))
        })
        .collect();
    for (points, (lx, ly)) in routes.iter().flatten() {
        for &(x, y) in points {
            right = right.max(x + 16.0);
            bottom = bottom.max(y + 16.0);
        }
        right = right.max(lx + 16.0);
        bottom = bottom.max(ly + 16.0);
    }

    // Title above, legend and notes below.
    let top = LINE + 12.0 + if compound { CLUSTER_HEAD } else { 0.0 };
    let classes = graph.classes();
    let legend_lines = classes.len() + notes.len();
    let height = top + bottom + legend_lines as f64 * LINE + 12.0;
    let longest_note = notes
        .iter()
        .map(|n| text_width(n, SMALL_CHAR))
        .fold(0.0, f64::max);
    let width = right
        .max(text_width(&graph.title, TITLE_CHAR) + 32.0)
        .max(longest_note + 32.0);

    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="Helvetica, Arial, sans-serif" font-size="{FONT}">"#,
        w = width,
        h = height
    )?;
    writeln!(out, "<title>{}</title>", escape(&graph.title))?;
    writeln!(out, "<defs>")?;
    for c in [
        EdgeClass::Allowed,
        EdgeClass::Opened,
        EdgeClass::Closed,
        EdgeClass::Unchanged,
    ] {
        writeln!(
            out,
            r#"<marker id="arrow-{}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{}"/></marker>"#,
            c.name(),
            c.colour()
        )?;
    }
    writeln!(out, "</defs>")?;
    writeln!(
        out,
        r##"<rect class="background" x="0" y="0" width="{width:.0}" height="{height:.0}" fill="#FFFFFF"/>"##
    )?;
    writeln!(
        out,
        r##"<text class="title" x="16" y="{:.1}" font-size="14" font-weight="bold" fill="#000000">{}</text>"##,
        LINE + 2.0,
        escape(&graph.title)
    )?;
    writeln!(out, r#"<g transform="translate(0,{top:.1})">"#)?;
    for (c, p) in graph.clusters.iter().zip(&clusters) {
        writeln!(
            out,
            r##"<g class="cluster" id="{}"><title>{}</title><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="6" fill="#F4F4F4" stroke="#777777"/><text x="{:.1}" y="{:.1}" font-weight="bold" fill="#000000">{}</text></g>"##,
            escape(&format!("cluster:{}", c.id)),
            escape(&c.label),
            p.x - p.width / 2.0,
            p.y - p.height / 2.0 - CLUSTER_HEAD,
            p.width,
            p.height + CLUSTER_HEAD,
            p.x - p.width / 2.0 + 8.0,
            p.y - p.height / 2.0 - CLUSTER_HEAD + FONT + 2.0,
            escape(&c.label)
        )?;
    }
    for ((e, route), ends) in edges.iter().zip(&routes).zip(&ends) {
        let (Some((points, (lx, ly))), Some((from, to))) = (route, ends) else {
            continue;
        };
        let d: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, (x, y))| format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" }))
            .collect();
        let dash = match e.style {
            EdgeStyle::Solid => "",
            EdgeStyle::Dashed => r#" stroke-dasharray="7,4""#,
            EdgeStyle::Dotted => r#" stroke-dasharray="2,3""#,
        };
        writeln!(
            out,
            r##"<g class="edge {class}" data-from="{from_id}" data-to="{to_id}"><title>{title}</title><path d="{d}" fill="none" stroke="{colour}" stroke-width="1.4"{dash} marker-end="url(#arrow-{class})"/><text x="{lx:.1}" y="{label_y:.1}" font-size="{SMALL}" text-anchor="middle" dominant-baseline="middle" fill="{text}">{label}</text></g>"##,
            class = e.class.name(),
            // dagre centres the label's box beside the route: the text goes just above it.
            label_y = ly - LABEL_RAISE,
            from_id = escape(&graph.nodes[*from].id),
            to_id = escape(&graph.nodes[*to].id),
            title = escape(&format!("{} -> {}: {}", e.from, e.to, e.label)),
            d = d.join(" "),
            colour = e.class.colour(),
            // Label text darker than light grey lines, for contrast.
            text = if e.class == EdgeClass::Unchanged {
                "#555555"
            } else {
                e.class.colour()
            },
            label = escape(&e.label),
        )?;
    }
    for (n, p) in graph.nodes.iter().zip(&nodes) {
        let (fill, stroke, dash, rx) = match n.kind {
            NodeKind::Workload => ("#FFFFFF", "#333333", "", 4.0),
            NodeKind::Namespace => ("#FFFFFF", "#000000", "", 8.0),
            NodeKind::External => ("#FFFFFF", "#555555", r#" stroke-dasharray="4,3""#, 15.0),
            NodeKind::Focus => ("#F0E442", "#000000", "", 4.0),
        };
        writeln!(
            out,
            r##"<g class="node {kind}" id="{id}"><title>{title}</title><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="{rx}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"{dash}/><text x="{cx:.1}" y="{cy:.1}" text-anchor="middle" dominant-baseline="central" fill="#000000">{label}</text></g>"##,
            kind = n.kind.name(),
            id = escape(&format!("node:{}", n.id)),
            title = escape(&n.id),
            x = p.x - p.width / 2.0,
            y = p.y - p.height / 2.0,
            w = p.width,
            h = p.height,
            sw = if n.kind == NodeKind::Focus { 2.0 } else { 1.2 },
            cx = p.x,
            cy = p.y,
            label = escape(&n.label),
        )?;
    }
    writeln!(out, "</g>")?;
    // The legend: a short line in each class's colour and dash, then its meaning.
    let mut y = top + bottom;
    writeln!(out, r#"<g class="legend">"#)?;
    for c in &classes {
        let dash = match c.style() {
            EdgeStyle::Solid => "",
            EdgeStyle::Dashed => r#" stroke-dasharray="7,4""#,
            EdgeStyle::Dotted => r#" stroke-dasharray="2,3""#,
        };
        writeln!(
            out,
            r##"<g class="legend-item {name}"><line x1="16" y1="{ly:.1}" x2="56" y2="{ly:.1}" stroke="{colour}" stroke-width="2"{dash}/><text x="64" y="{ty:.1}" fill="#000000">{meaning} ({colour_name}, {style})</text></g>"##,
            name = c.name(),
            ly = y + LINE / 2.0,
            ty = y + LINE / 2.0 + 4.0,
            colour = c.colour(),
            meaning = escape(c.meaning()),
            colour_name = c.colour_name(),
            style = c.style().name(),
        )?;
        y += LINE;
    }
    writeln!(out, "</g>")?;
    for n in &notes {
        writeln!(
            out,
            r##"<text class="note" x="16" y="{:.1}" font-size="{SMALL}" fill="#333333">{}</text>"##,
            y + LINE / 2.0 + 4.0,
            escape(n)
        )?;
        y += LINE;
    }
    writeln!(out, "</svg>")
}

#[cfg(test)]
mod tests {
    use super::super::model::{Cluster, Node};
    use super::*;

    #[test]
    fn escape_leaves_no_markup_and_no_control_characters() {
        assert_eq!(
            escape("a\"b'<c>&d\u{1b}[0m\n"),
            "a&quot;b&#39;&lt;c&gt;&amp;d [0m "
        );
    }

    fn node(id: &str, cluster: &str) -> Node {
        Node {
            id: id.to_owned(),
            label: id.to_owned(),
            cluster: Some(cluster.to_owned()),
            kind: NodeKind::Workload,
        }
    }

    #[test]
    fn above_the_limit_edges_into_one_namespace_merge_and_the_svg_says_so() {
        let mut graph = Graph {
            title: "t".to_owned(),
            clusters: vec![
                Cluster {
                    id: "a".to_owned(),
                    label: "a".to_owned(),
                },
                Cluster {
                    id: "b".to_owned(),
                    label: "b".to_owned(),
                },
            ],
            ..Graph::default()
        };
        graph.nodes.push(node("src", "a"));
        for i in 0..=MAX_EDGES {
            graph.nodes.push(node(&format!("d{i}"), "b"));
            graph.add_edge(
                "src".to_owned(),
                format!("d{i}"),
                "TCP 80".to_owned(),
                EdgeClass::Allowed,
            );
        }
        let (edges, note) = merge(&graph);
        assert_eq!(edges.len(), 1);
        assert_eq!(
            edges[0].label,
            format!("TCP 80 to {} workloads in b", MAX_EDGES + 1)
        );
        assert!(note
            .unwrap()
            .starts_with(&format!("{} edges, drawn as 1 ", MAX_EDGES + 1)),);

        // At the limit nothing merges.
        graph.edges.pop();
        let (edges, note) = merge(&graph);
        assert_eq!((edges.len(), note), (MAX_EDGES, None));
    }
}
