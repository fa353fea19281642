//! `matrix --by namespace`: a table of namespace pairs, connlist-style lines, or JSON.

use std::io::Write;

use serde::Serialize;
use tabled::builder::Builder;
use tabled::settings::Style;

use super::graph::model::ports_label;
use super::matrix::{json_ports, JsonPorts};
use crate::connectivity::namespaces::{Group, NamespaceMatrix};
use crate::model::Inventory;
use crate::text::thousands;

fn end_name(g: &Group) -> String {
    match g {
        Group::Namespace(n) => n.clone(),
        Group::External(s) => format!("{s}[External]"),
    }
}

/// One line per pair of ends with something allowed: `SRC => DST : CONN (ALLOWED/PAIRS
/// workload pairs)`, sorted.
pub fn connlist(matrix: &NamespaceMatrix, out: &mut dyn Write) -> std::io::Result<()> {
    let mut lines: Vec<String> = matrix
        .entries
        .iter()
        .map(|e| {
            format!(
                "{} => {} : {} ({}/{} workload pairs)",
                end_name(&e.from),
                end_name(&e.to),
                e.connections,
                e.allowed_pairs,
                e.pairs
            )
        })
        .collect();
    lines.sort();
    for l in lines {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

/// FROM, TO, what may pass, and how many workload pairs may.
pub fn table(matrix: &NamespaceMatrix, out: &mut dyn Write) -> std::io::Result<()> {
    if matrix.namespaces.is_empty() {
        return writeln!(out, "No workloads found.");
    }
    let mut b = Builder::default();
    b.push_record(["FROM", "TO", "CONNECTIONS", "WORKLOAD PAIRS"]);
    for e in &matrix.entries {
        b.push_record([
            end_name(&e.from),
            end_name(&e.to),
            ports_label(&e.connections),
            format!(
                "{}/{}",
                thousands(e.allowed_pairs as u64),
                thousands(e.pairs as u64)
            ),
        ]);
    }
    let mut grid = b.build();
    grid.with(Style::blank());
    writeln!(out, "{}", super::table::flush_left(&grid.to_string()))?;
    writeln!(out)?;
    let sizes: Vec<String> = matrix
        .namespaces
        .iter()
        .map(|(n, c)| format!("{n} ({})", thousands(*c as u64)))
        .collect();
    writeln!(out, "Namespaces (workloads): {}", sizes.join(", "))?;
    writeln!(
        out,
        "Pairs not listed allow nothing. WORKLOAD PAIRS: ordered pairs (a workload and a range, \
         for an external end) that may exchange something, of all of them."
    )
}

#[derive(Serialize)]
#[serde(untagged)]
enum JsonEnd<'a> {
    Namespace { namespace: &'a str },
    External { external: String },
}

fn json_end(g: &Group) -> JsonEnd<'_> {
    match g {
        Group::Namespace(n) => JsonEnd::Namespace { namespace: n },
        Group::External(s) => JsonEnd::External {
            external: s.to_string(),
        },
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonNamespace<'a> {
    name: &'a str,
    workloads: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonEntry<'a> {
    source: JsonEnd<'a>,
    destination: JsonEnd<'a>,
    /// The connlist text: `All Connections`, `TCP 80,UDP 53`.
    allowed: String,
    all: bool,
    ports: Vec<JsonPorts>,
    allowed_pairs: usize,
    pairs: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonMatrix<'a> {
    api_version: &'static str,
    kind: &'static str,
    namespaces: Vec<JsonNamespace<'a>>,
    external_sources: Vec<String>,
    external_destinations: Vec<String>,
    connections: Vec<JsonEntry<'a>>,
    notes: &'a [String],
    ignored_policies: std::collections::BTreeMap<String, usize>,
}

pub fn json(
    inventory: &Inventory,
    matrix: &NamespaceMatrix,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let doc = JsonMatrix {
        api_version: crate::report::API_VERSION,
        kind: "NamespaceConnectivityMatrix",
        namespaces: matrix
            .namespaces
            .iter()
            .map(|(name, workloads)| JsonNamespace {
                name,
                workloads: *workloads,
            })
            .collect(),
        external_sources: matrix
            .ingress_segments
            .iter()
            .map(|s| s.to_string())
            .collect(),
        external_destinations: matrix
            .egress_segments
            .iter()
            .map(|s| s.to_string())
            .collect(),
        connections: matrix
            .entries
            .iter()
            .map(|e| JsonEntry {
                source: json_end(&e.from),
                destination: json_end(&e.to),
                allowed: e.connections.to_string(),
                all: e.connections.is_all(),
                ports: json_ports(&e.connections),
                allowed_pairs: e.allowed_pairs,
                pairs: e.pairs,
            })
            .collect(),
        notes: &matrix.notes,
        ignored_policies: inventory.ignored_policy_counts(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
    writeln!(out)
}
