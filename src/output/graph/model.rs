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
