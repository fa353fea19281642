//! `matrix` output: `-o connlist` (netpol-analyzer's text format), `-o json`, and `-o table`, a
//! grid that stays readable for tens of workloads.

use std::io::Write;

use serde::Serialize;
use tabled::builder::Builder;
use tabled::settings::Style;

use crate::connectivity::matrix::{Matrix, Peer, Rows};
use crate::model::{Inventory, Protocol};
use crate::semantics::connset::PROTOCOLS;
use crate::semantics::ConnSet;

/// `ns/name[Kind]` or `a.b.c.d-e.f.g.h[External]`, as netpol-analyzer names peers.
pub fn peer_name(inventory: &Inventory, peer: &Peer) -> String {
    match peer {
        Peer::Workload(w) => {
            let w = &inventory.workloads[*w];
            format!("{}/{}[{}]", w.namespace, w.name, w.kind.as_str())
        }
        Peer::External(s) => format!("{s}[External]"),
    }
}

/// One line per allowed ordered pair, `SRC => DST : CONN`, sorted, written as the rows are
/// worked out: sources and destinations are visited in the order of their names, which is the
/// order of the lines.
pub fn connlist(
    inventory: &Inventory,
    rows: &Rows<'_>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut named: Vec<(String, Peer)> = rows
        .peers()
        .into_iter()
        .map(|p| (peer_name(inventory, &p), p))
        .collect();
    named.sort();
    let order: Vec<Peer> = named.into_iter().map(|(_, p)| p).collect();
    rows.for_each(&order, |e| {
        writeln!(
            out,
            "{} => {} : {}",
            peer_name(inventory, &e.source),
            peer_name(inventory, &e.destination),
            e.allowed
        )
    })
}

#[derive(Serialize)]
#[serde(untagged)]
enum JsonPeer<'a> {
    Workload {
        namespace: &'a str,
        kind: &'static str,
        name: &'a str,
    },
    External {
        external: String,
    },
}

fn json_peer<'a>(inventory: &'a Inventory, peer: &Peer) -> JsonPeer<'a> {
    match peer {
        Peer::Workload(w) => {
            let w = &inventory.workloads[*w];
            JsonPeer::Workload {
                namespace: &w.namespace,
                kind: w.kind.as_str(),
                name: &w.name,
            }
        }
        Peer::External(s) => JsonPeer::External {
            external: s.to_string(),
        },
    }
}

#[derive(Serialize)]
pub struct JsonPorts {
    pub protocol: &'static str,
    pub from: u16,
    pub to: u16,
}

/// A connection set as data: `all`, and the port ranges per protocol.
pub fn json_ports(set: &ConnSet) -> Vec<JsonPorts> {
    PROTOCOLS
        .into_iter()
        .flat_map(|p: Protocol| {
            set.ranges(p).iter().map(move |&(from, to)| JsonPorts {
                protocol: p.as_str(),
                from,
                to,
            })
        })
        .collect()
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    source: JsonPeer<'a>,
    destination: JsonPeer<'a>,
    /// The connlist text: `All Connections`, `TCP 80,UDP 53`.
    allowed: String,
    all: bool,
    ports: Vec<JsonPorts>,
}

/// `value` as `serde_json::to_writer_pretty` writes it at `depth` levels of indentation.
pub(super) fn pretty(value: &impl Serialize, depth: usize) -> std::io::Result<String> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    // JSON strings hold no raw line breaks: every one is the formatter's.
    Ok(text.replace('\n', &format!("\n{}", "  ".repeat(depth))))
}

/// The JSON document, its connections written as the rows are worked out (the same bytes as
/// serialising it whole).
pub fn json(
    inventory: &Inventory,
    rows: &Rows<'_>,
    notes: &[String],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let workloads: Vec<JsonPeer<'_>> = rows
        .workloads
        .iter()
        .map(|&w| json_peer(inventory, &Peer::Workload(w)))
        .collect();
    let sources: Vec<String> = rows
        .ingress_segments
        .iter()
        .map(|s| s.to_string())
        .collect();
    let destinations: Vec<String> = rows.egress_segments.iter().map(|s| s.to_string()).collect();
    writeln!(out, "{{")?;
    writeln!(
        out,
        "  \"apiVersion\": {},",
        pretty(&crate::report::API_VERSION, 1)?
    )?;
    writeln!(out, "  \"kind\": \"ConnectivityMatrix\",")?;
    writeln!(out, "  \"workloads\": {},", pretty(&workloads, 1)?)?;
    writeln!(out, "  \"externalSources\": {},", pretty(&sources, 1)?)?;
    writeln!(
        out,
        "  \"externalDestinations\": {},",
        pretty(&destinations, 1)?
    )?;
    write!(out, "  \"connections\": [")?;
    let mut first = true;
    rows.for_each::<std::io::Error>(&rows.peers(), |e| {
        let entry = JsonEntry {
            source: json_peer(inventory, &e.source),
            destination: json_peer(inventory, &e.destination),
            allowed: e.allowed.to_string(),
            all: e.allowed.is_all(),
            ports: json_ports(&e.allowed),
        };
        write!(
            out,
            "{}\n    {}",
            if first { "" } else { "," },
            pretty(&entry, 2)?
        )?;
        first = false;
        Ok(())
    })?;
    writeln!(out, "{}],", if first { "" } else { "\n  " })?;
    writeln!(out, "  \"notes\": {},", pretty(&notes, 1)?)?;
    writeln!(
        out,
        "  \"ignoredPolicies\": {}",
        pretty(&inventory.ignored_policy_counts(), 1)?
    )?;
    writeln!(out, "}}")
}

/// Cells wider than this become a footnote.
const CELL: usize = 9;

/// Rows are sources, columns destinations, both numbered by the legend under the grid;
/// `all` is everything, `-` nothing, and longer port lists are footnotes.
pub fn table(inventory: &Inventory, matrix: &Matrix, out: &mut dyn Write) -> std::io::Result<()> {
    if matrix.workloads.is_empty() {
        return writeln!(out, "No workloads found.");
    }
    // Peers: the workloads, then one row for each external source range and one column for
    // each external destination range.
    // By namespace and name, so that a namespace's workloads sit together.
    let mut sorted = matrix.workloads.clone();
    sorted.sort_by_key(|&w| {
        let w = &inventory.workloads[w];
        (&w.namespace, &w.name, w.kind)
    });
    let rows: Vec<Peer> = sorted
        .iter()
        .map(|&w| Peer::Workload(w))
        .chain(matrix.ingress_segments.iter().map(|&s| Peer::External(s)))
        .collect();
    let columns: Vec<Peer> = sorted
        .iter()
        .map(|&w| Peer::Workload(w))
        .chain(matrix.egress_segments.iter().map(|&s| Peer::External(s)))
        .collect();
    let mut legend: Vec<(String, String)> = Vec::new();
    let mut label = |peer: &Peer| -> String {
        let name = peer_name(inventory, peer);
        if let Some((l, _)) = legend.iter().find(|(_, n)| *n == name) {
            return l.clone();
        }
        let l = match peer {
            Peer::Workload(_) => format!(
                "{}",
                legend.iter().filter(|(l, _)| !l.starts_with('x')).count() + 1
            ),
            Peer::External(_) => format!(
                "x{}",
                legend.iter().filter(|(l, _)| l.starts_with('x')).count() + 1
            ),
        };
        legend.push((l.clone(), name));
        l
    };
    let row_labels: Vec<String> = rows.iter().map(&mut label).collect();
    let column_labels: Vec<String> = columns.iter().map(&mut label).collect();

    let lookup: std::collections::HashMap<(&Peer, &Peer), &ConnSet> = matrix
        .entries
        .iter()
        .map(|e| ((&e.source, &e.destination), &e.allowed))
        .collect();
    let mut notes: Vec<String> = Vec::new();
    let mut b = Builder::default();
    let mut header = vec!["FROM \\ TO".to_owned()];
    header.extend(column_labels.iter().cloned());
    b.push_record(header);
    for (r, row) in rows.iter().enumerate() {
        let mut record = vec![row_labels[r].clone()];
        for (c, column) in columns.iter().enumerate() {
            let cell = if matches!((row, column), (Peer::External(_), Peer::External(_))) {
                " ".to_owned()
            } else if row == column {
                ".".to_owned()
            } else {
                match lookup.get(&(row, column)) {
                    None => "-".to_owned(),
                    Some(set) if set.is_all() => "all".to_owned(),
                    Some(set) => {
                        let text = set.to_string();
                        if text.chars().count() <= CELL {
                            text
                        } else {
                            notes
                                .push(format!("{} -> {}: {text}", row_labels[r], column_labels[c]));
                            format!("[{}]", notes.len())
                        }
                    }
                }
            };
            record.push(cell);
        }
        b.push_record(record);
    }
    let mut grid = b.build();
    grid.with(Style::blank());
    writeln!(out, "{}", super::table::flush_left(&grid.to_string()))?;
    writeln!(out)?;
    for (l, name) in &legend {
        writeln!(out, "{l:>4}  {name}")?;
    }
    if !notes.is_empty() {
        writeln!(out)?;
        for (i, n) in notes.iter().enumerate() {
            writeln!(out, "[{}] {n}", i + 1)?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "all: every port and protocol; -: nothing; .: itself. Rows send, columns receive."
    )
}
