//! The graph every renderer draws: nodes (workloads, namespaces, external ranges) grouped in
//! clusters (namespaces), and edges labelled with what they carry.

use crate::connectivity::externals::Segment;
use crate::connectivity::matrix::{Entry, Peer};
use crate::connectivity::namespaces::{Group, NamespaceMatrix};
use crate::model::Inventory;
use crate::semantics::connset::PROTOCOLS;
use crate::semantics::ConnSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    Workload,
    Namespace,
    External,
    /// The workload a graph is about (`explain`).
    Focus,
}

impl NodeKind {
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Workload => "workload",
            NodeKind::Namespace => "namespace",
            NodeKind::External => "external",
            NodeKind::Focus => "focus",
        }
    }
}

/// What an edge says. Colours are Okabe and Ito's, which readers with any common colour
/// vision deficiency tell apart; the line style repeats the class for grey print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeClass {
    Allowed,
    /// `diff`: allowed after the change, not before.
    Opened,
    /// `diff`: allowed before the change, not after.
    Closed,
    /// `diff`: allowed before and after, by rules the change touched.
    Unchanged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeStyle {
    Solid,
    Dashed,
    Dotted,
}

impl EdgeStyle {
    pub fn name(self) -> &'static str {
        match self {
            EdgeStyle::Solid => "solid",
            EdgeStyle::Dashed => "dashed",
            EdgeStyle::Dotted => "dotted",
        }
    }
}

impl EdgeClass {
    pub fn name(self) -> &'static str {
        match self {
            EdgeClass::Allowed => "allowed",
            EdgeClass::Opened => "opened",
            EdgeClass::Closed => "closed",
            EdgeClass::Unchanged => "unchanged",
        }
    }

    /// Okabe-Ito: blue opened, vermillion closed, grey unchanged; near-black otherwise.
    pub fn colour(self) -> &'static str {
        match self {
            EdgeClass::Allowed => "#333333",
            EdgeClass::Opened => "#0072B2",
            EdgeClass::Closed => "#D55E00",
            EdgeClass::Unchanged => "#999999",
        }
    }

    pub fn colour_name(self) -> &'static str {
        match self {
            EdgeClass::Allowed => "dark grey",
            EdgeClass::Opened => "blue",
            EdgeClass::Closed => "orange",
            EdgeClass::Unchanged => "light grey",
        }
    }

    pub fn style(self) -> EdgeStyle {
        match self {
            EdgeClass::Allowed | EdgeClass::Opened => EdgeStyle::Solid,
            EdgeClass::Closed => EdgeStyle::Dashed,
            EdgeClass::Unchanged => EdgeStyle::Dotted,
        }
    }

    /// The legend's words.
    pub fn meaning(self) -> &'static str {
        match self {
            EdgeClass::Allowed => "allowed",
            EdgeClass::Opened => "opened by the change",
            EdgeClass::Closed => "closed by the change",
            EdgeClass::Unchanged => "unchanged, rules touched by the change",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Unique in the graph; any text (renderers escape or replace it).
    pub id: String,
    pub label: String,
    /// A `Cluster::id`.
    pub cluster: Option<String>,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// `Node::id`s.
    pub from: String,
    pub to: String,
    /// The ports: `TCP 8080, UDP 53`, `all`; aggregated edges add their counts.
    pub label: String,
    pub style: EdgeStyle,
    pub class: EdgeClass,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    pub title: String,
    pub clusters: Vec<Cluster>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Sentences shown under the graph (what was merged or left out).
    pub notes: Vec<String>,
}

impl Graph {
    /// The edge classes used, in legend order.
    pub fn classes(&self) -> Vec<EdgeClass> {
        let mut classes: Vec<EdgeClass> = self.edges.iter().map(|e| e.class).collect();
        classes.sort();
        classes.dedup();
        classes
    }

    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }

    pub fn cluster_index(&self, id: &str) -> Option<usize> {
        self.clusters.iter().position(|c| c.id == id)
    }

    pub fn add_edge(&mut self, from: String, to: String, label: String, class: EdgeClass) {
        self.edges.push(Edge {
            from,
            to,
            label,
            style: class.style(),
            class,
        });
    }

    /// What a change did between two nodes: an edge for what it opened, one for what it closed.
    fn add_change(&mut self, from: String, to: String, opened: &ConnSet, closed: &ConnSet) {
        if !opened.is_empty() {
            self.add_edge(
                from.clone(),
                to.clone(),
                ports_label(opened),
                EdgeClass::Opened,
            );
        }
        if !closed.is_empty() {
            self.add_edge(from, to, ports_label(closed), EdgeClass::Closed);
        }
    }
}

/// The ports of a connection set for an edge: `TCP 8080, UDP 53`, `TCP 1-1024`, `all`.
pub fn ports_label(set: &ConnSet) -> String {
    if set.is_all() {
        return "all".to_owned();
    }
    if set.is_empty() {
        return "none".to_owned();
    }
    let mut parts = Vec::new();
    for p in PROTOCOLS {
        let ranges = set.ranges(p);
        if ranges.is_empty() {
            continue;
        }
        let ports: Vec<String> = ranges
            .iter()
            .map(|&(s, e)| {
                if s == e {
                    s.to_string()
                } else {
                    format!("{s}-{e}")
                }
            })
            .collect();
        parts.push(format!("{} {}", p.as_str(), ports.join(",")));
    }
    parts.join(", ")
}

/// Node ids: workloads `ns/name[Kind]` (as connlist names them), ranges `a-b[External]`,
/// namespaces `ns`.
pub fn workload_id(inventory: &Inventory, w: usize) -> String {
    super::super::matrix::peer_name(inventory, &Peer::Workload(w))
}

pub fn external_id(s: &Segment) -> String {
    format!("{s}[External]")
}

fn external_node(s: &Segment) -> Node {
    Node {
        id: external_id(s),
        label: s.to_string(),
        cluster: None,
        kind: NodeKind::External,
    }
}

/// Builds the workload graph as the matrix streams its entries: one cluster per namespace,
/// a node per workload with an edge or in scope, a node per range with an edge.
pub struct WorkloadGraph<'i> {
    inventory: &'i Inventory,
    graph: Graph,
    ranges: Vec<Segment>,
}

impl<'i> WorkloadGraph<'i> {
    /// `workloads`: every workload in scope (each gets a node, even without edges).
    pub fn new(inventory: &'i Inventory, title: String, workloads: &[usize]) -> Self {
        let mut graph = Graph {
            title,
            ..Graph::default()
        };
        let mut sorted = workloads.to_vec();
        sorted.sort_by_key(|&w| {
            let w = &inventory.workloads[w];
            (&w.namespace, &w.name, w.kind)
        });
        for w in sorted {
            let workload = &inventory.workloads[w];
            let cluster = format!("ns:{}", workload.namespace);
            if graph.cluster_index(&cluster).is_none() {
                graph.clusters.push(Cluster {
                    id: cluster.clone(),
                    label: workload.namespace.clone(),
                });
            }
            graph.nodes.push(Node {
                id: workload_id(inventory, w),
                label: format!("{} [{}]", workload.name, workload.kind.as_str()),
                cluster: Some(cluster),
                kind: NodeKind::Workload,
            });
        }
        WorkloadGraph {
            inventory,
            graph,
            ranges: Vec::new(),
        }
    }

    fn id(&mut self, peer: &Peer) -> String {
        match peer {
            Peer::Workload(w) => workload_id(self.inventory, *w),
            Peer::External(s) => {
                if !self.ranges.contains(s) {
                    self.ranges.push(*s);
                }
                external_id(s)
            }
        }
    }

    pub fn add(&mut self, entry: &Entry, class: EdgeClass) {
        let from = self.id(&entry.source);
        let to = self.id(&entry.destination);
        self.graph
            .add_edge(from, to, ports_label(&entry.allowed), class);
    }

    pub fn finish(mut self) -> Graph {
        self.ranges.sort();
        for s in &self.ranges {
            self.graph.nodes.push(external_node(s));
        }
        self.graph
    }
}

/// One node per namespace (and per range with an edge); edges carry the union of the ports
/// and `allowed/total` workload pairs.
pub fn namespace_graph(matrix: &NamespaceMatrix, title: String) -> Graph {
    let mut graph = Graph {
        title,
        ..Graph::default()
    };
    for (name, count) in &matrix.namespaces {
        graph.nodes.push(Node {
            id: name.clone(),
            label: format!(
                "{name} ({count} workload{})",
                if *count == 1 { "" } else { "s" }
            ),
            cluster: None,
            kind: NodeKind::Namespace,
        });
    }
    let mut ranges: Vec<Segment> = Vec::new();
    let id = |g: &Group, ranges: &mut Vec<Segment>| match g {
        Group::Namespace(n) => n.clone(),
        Group::External(s) => {
            if !ranges.contains(s) {
                ranges.push(*s);
            }
            external_id(s)
        }
    };
    for e in &matrix.entries {
        let from = id(&e.from, &mut ranges);
        let to = id(&e.to, &mut ranges);
        graph.add_edge(
            from,
            to,
            format!(
                "{} ({}/{} pairs)",
                ports_label(&e.connections),
                e.allowed_pairs,
                e.pairs
            ),
            EdgeClass::Allowed,
        );
    }
    ranges.sort();
    graph.nodes.extend(ranges.iter().map(external_node));
    graph
}

/// `ns/name[Kind]` into its namespace and `name [Kind]`, for nodes named as connlist names
/// workloads.
fn split_workload(id: &str) -> (String, String) {
    match id.split_once('/') {
        Some((ns, rest)) => {
            let label = match rest.rfind('[') {
                Some(i) if rest.ends_with(']') => format!("{} {}", &rest[..i], &rest[i..]),
                _ => rest.to_owned(),
            };
            (ns.to_owned(), label)
        }
        None => (String::new(), id.to_owned()),
    }
}

/// Collects nodes by id as edges name them: workloads (`ns/name[Kind]`) in their namespace's
/// cluster, ranges (`a-b[External]`) on their own.
#[derive(Default)]
struct Nodes {
    workloads: Vec<String>,
    ranges: Vec<String>,
}

impl Nodes {
    fn workload(&mut self, id: &str) -> String {
        if !self.workloads.iter().any(|w| w == id) {
            self.workloads.push(id.to_owned());
        }
        id.to_owned()
    }

    fn range(&mut self, range: &str) -> String {
        let id = format!("{range}[External]");
        if !self.ranges.contains(&id) {
            self.ranges.push(id.clone());
        }
        id
    }

    fn into_graph(mut self, graph: &mut Graph, focus: Option<&str>) {
        self.workloads.sort();
        for id in &self.workloads {
            let (ns, label) = split_workload(id);
            let cluster = format!("ns:{ns}");
            if graph.cluster_index(&cluster).is_none() {
                graph.clusters.push(Cluster {
                    id: cluster.clone(),
                    label: ns,
                });
            }
            graph.nodes.push(Node {
                id: id.clone(),
                label,
                cluster: Some(cluster),
                kind: if focus == Some(id.as_str()) {
                    NodeKind::Focus
                } else {
                    NodeKind::Workload
                },
            });
        }
        self.ranges.sort();
        for id in self.ranges {
            graph.nodes.push(Node {
                label: id.trim_end_matches("[External]").to_owned(),
                id,
                cluster: None,
                kind: NodeKind::External,
            });
        }
    }
}

/// `diff`: what the change opened (blue, solid) and closed (orange, dashed) between workloads
/// and towards ranges, from the diff's pairs; and, in grey dotted lines, what stays allowed
/// between the workloads it touched (`unchanged`: source, destination, connections).
pub fn diff_graph(
    diff: &crate::diff::ConnectivityDiff,
    unchanged: &[(String, String, ConnSet)],
    title: String,
) -> Graph {
    let mut graph = Graph {
        title,
        ..Graph::default()
    };
    let mut nodes = Nodes::default();
    for p in diff.pairs.iter().flatten() {
        let from = nodes.workload(&p.source);
        let to = nodes.workload(&p.destination);
        graph.add_change(from, to, &p.opened, &p.closed);
    }
    for e in &diff.external {
        let w = &e.workload;
        let workload = nodes.workload(&format!("{}/{}[{}]", w.namespace, w.name, w.kind));
        let range = nodes.range(&e.range);
        let (from, to) = match e.direction {
            crate::model::Direction::Egress => (workload, range),
            crate::model::Direction::Ingress => (range, workload),
        };
        graph.add_change(from, to, &e.opened, &e.closed);
    }
    for (from, to, conns) in unchanged {
        if nodes.workloads.contains(from) && nodes.workloads.contains(to) {
            graph.add_edge(
                from.clone(),
                to.clone(),
                ports_label(conns),
                EdgeClass::Unchanged,
            );
        }
    }
    nodes.into_graph(&mut graph, None);
    if graph.edges.is_empty() {
        graph
            .notes
            .push("No connection between workloads or towards a range changes.".to_owned());
    }
    graph
}

/// `explain`: the workload (highlighted) and every peer that may reach it or that it may
/// reach, with the ports.
pub fn explain_graph(
    inventory: &Inventory,
    workload: usize,
    entries: &[Entry],
    title: String,
) -> Graph {
    let mut graph = Graph {
        title,
        ..Graph::default()
    };
    let mut nodes = Nodes::default();
    let focus = nodes.workload(&workload_id(inventory, workload));
    let id = |nodes: &mut Nodes, p: &Peer| match p {
        Peer::Workload(w) => nodes.workload(&workload_id(inventory, *w)),
        Peer::External(s) => nodes.range(&s.to_string()),
    };
    for e in entries {
        let from = id(&mut nodes, &e.source);
        let to = id(&mut nodes, &e.destination);
        graph.add_edge(from, to, ports_label(&e.allowed), EdgeClass::Allowed);
    }
    nodes.into_graph(&mut graph, Some(&focus));
    graph
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Protocol;

    #[test]
    fn ports_label_lists_protocols_and_ranges() {
        assert_eq!(ports_label(&ConnSet::all()), "all");
        let set = ConnSet::range(Protocol::Tcp, 8080, 8080)
            .union(&ConnSet::range(Protocol::Udp, 53, 53))
            .union(&ConnSet::range(Protocol::Tcp, 1, 1024));
        assert_eq!(ports_label(&set), "TCP 1-1024,8080, UDP 53");
    }

    #[test]
    fn workload_ids_split_back_into_namespace_and_label() {
        assert_eq!(
            split_workload("shop/web[Deployment]"),
            ("shop".to_owned(), "web [Deployment]".to_owned())
        );
    }
}
