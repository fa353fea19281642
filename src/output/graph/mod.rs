//! Graphs of connectivity: `matrix`, `diff` and `explain` with `-o dot|mermaid|svg`. The
//! commands build one `model::Graph`; each format renders it.

pub mod dot;
pub mod mermaid;
pub mod model;
pub mod svg;

pub use model::{Cluster, Edge, EdgeClass, EdgeStyle, Graph, Node, NodeKind};
