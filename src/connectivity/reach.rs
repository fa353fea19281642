//! `reach SRC DST`: may this source open this connection to this destination, and which rules
//! decide it (SEMANTICS.md points 4-11).

use std::net::IpAddr;

use crate::error::Error;
use crate::model::Protocol;
use crate::semantics::traffic::Port;

use super::{Answer, Engine, Node};

/// A resolved end of the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Index into `Inventory::workloads`.
    Workload(usize),
    Address(IpAddr),
}

/// `--port`: a number, or a name the destination's containers give a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSpec {
    Number(u16),
    Name(String),
}

impl std::str::FromStr for PortSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.parse::<u32>() {
            Ok(n @ 1..=65535) => Ok(PortSpec::Number(n as u16)),
            Ok(_) => Err(format!("{s} is not a port (1-65535)")),
            Err(_) if !s.is_empty() && s.len() <= 15 => Ok(PortSpec::Name(s.to_owned())),
            Err(_) => Err(format!("{s:?} is neither a port number nor a port name")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub source: End,
    pub destination: End,
    /// The port asked about, a named one resolved on the destination; `None`: any port.
    pub port: Option<Port>,
    /// The answer for the pod shapes that decided it (the first that allows, else the first).
    pub answer: Answer,
    pub allowed: bool,
    /// Denied, unless a node's address lies in an ipBlock: the reason, when a hostNetwork end
    /// (seen as its node) meets an isolated side with ipBlock rules. Node addresses are not in
    /// the input, so the verdict is not guessed.
    pub unknown: Option<String>,
    /// What the verdict assumes about hostNetwork ends (SEMANTICS.md points 5 and 11).
    pub notes: Vec<String>,
}

fn nodes(engine: &Engine<'_>, end: End) -> Vec<Node> {
    match end {
        End::Workload(w) => engine.members_of(w).map(Node::Member).collect(),
        End::Address(ip) => vec![Node::Address(ip)],
    }
}

/// Resolves a named port on the destination's containers (point 10).
fn resolve_port(
    engine: &Engine<'_>,
    destination: End,
    protocol: Protocol,
    spec: &PortSpec,
) -> Result<Port, Error> {
    let number = match spec {
        PortSpec::Number(n) => *n,
        PortSpec::Name(name) => {
            let End::Workload(w) = destination else {
                return Err(Error::Usage(format!(
                    "--port {name}: a named port needs a workload destination, not an address"
                )));
            };
            let w = &engine.inventory.workloads[w];
            w.ports
                .iter()
                .find(|p| {
                    p.name.as_deref() == Some(name.as_str())
                        && Protocol::parse(p.protocol.as_deref().unwrap_or("TCP")) == Some(protocol)
                })
                .and_then(|p| u16::try_from(p.port).ok())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--port {name}: {}/{} defines no {} container port named {name:?}",
                        w.kind.as_str().to_ascii_lowercase(),
                        w.name,
                        protocol.as_str()
                    ))
                })?
        }
    };
    Ok(Port { protocol, number })
}

pub fn reach(
    engine: &Engine<'_>,
    source: End,
    destination: End,
    port: Option<(Protocol, &PortSpec)>,
) -> Result<Reach, Error> {
    if let (End::Address(_), End::Address(_)) = (source, destination) {
        return Err(Error::Usage(
            "at least one end must be a workload: NetworkPolicy polices pods, not addresses".into(),
        ));
    }
    let port = port
        .map(|(protocol, spec)| resolve_port(engine, destination, protocol, spec))
        .transpose()?;
    let lets_through = |a: &Answer| match port {
        Some(p) => a.allowed.contains(p.protocol, p.number),
        None => !a.allowed.is_empty(),
    };
    let mut first: Option<Answer> = None;
    for s in nodes(engine, source) {
        for d in nodes(engine, destination) {
            let answer = engine.connection(s, d);
            if lets_through(&answer) {
                let notes = node_notes(engine, source, destination);
                return Ok(Reach {
                    source,
                    destination,
                    port,
                    answer,
                    allowed: true,
                    unknown: None,
                    notes,
                });
            }
            first.get_or_insert(answer);
        }
    }
    let answer = first.expect("every workload has a pod shape");
    let unknown = node_unknown(engine, source, destination, &answer, port);
    Ok(Reach {
        source,
        destination,
        port,
        notes: node_notes(engine, source, destination),
        answer,
        allowed: false,
        unknown,
    })
}

fn on_node_network(engine: &Engine<'_>, end: End) -> bool {
    match end {
        End::Workload(w) => engine
            .coverage
            .on_node_network(&engine.inventory.workloads[w]),
        End::Address(_) => false,
    }
}

fn workload_name(engine: &Engine<'_>, end: End) -> String {
    match end {
        End::Workload(w) => {
            let w = &engine.inventory.workloads[w];
            format!("{} {}/{}", w.kind, w.namespace, w.name)
        }
        End::Address(ip) => ip.to_string(),
    }
}

/// Point 5 (the node model): a hostNetwork end is its node; point 11: its node's traffic to
/// its own pods cannot be blocked.
fn node_notes(engine: &Engine<'_>, source: End, destination: End) -> Vec<String> {
    let mut notes = Vec::new();
    for (end, role) in [(source, "source"), (destination, "destination")] {
        if on_node_network(engine, end) {
            notes.push(format!(
                "the {role} {} uses hostNetwork: its traffic is its node's, which no podSelector or \
                 namespaceSelector matches, only an ipBlock holding the node's address (SEMANTICS.md \
                 point 5; --host-network=pod treats it as a pod)",
                workload_name(engine, end)
            ));
        }
    }
    if on_node_network(engine, source) && matches!(destination, End::Workload(_)) {
        notes.push(format!(
            "traffic from a node to its own pods cannot be blocked (point 11): {} reaches the pods \
             of {} on its own node whatever the verdict, which is for pods on other nodes",
            workload_name(engine, source),
            workload_name(engine, destination)
        ));
    }
    notes
}

/// Whether a denial rests only on an isolated side facing a hostNetwork end whose ipBlock rules
/// would let the port through if they held the node's address.
fn node_unknown(
    engine: &Engine<'_>,
    source: End,
    destination: End,
    answer: &Answer,
    port: Option<Port>,
) -> Option<String> {
    let fits = |c: &crate::semantics::ConnSet| match port {
        Some(p) => c.contains(p.protocol, p.number),
        None => !c.is_empty(),
    };
    let open = |s: &Option<super::SideAnswer>| s.as_ref().is_none_or(|s| fits(&s.allowed));
    // (the side facing the node, the other side, the node's end, the destination pod)
    let cases = [
        (&answer.ingress, &answer.egress, source),
        (&answer.egress, &answer.ingress, destination),
    ];
    for (facing, other, node) in cases {
        let Some(side) = facing.as_ref() else {
            continue;
        };
        if !on_node_network(engine, node) || !side.isolated || !open(other) {
            continue;
        }
        let to = engine.endpoint(match destination {
            End::Workload(w) => Node::Member(engine.members_of(w).next().expect("a pod shape")),
            End::Address(ip) => Node::Address(ip),
        });
        let by: Vec<String> = engine
            .side_rules(&side.policies, side.direction)
            .filter(|(_, r)| {
                r.has_address_peer() && fits(&crate::semantics::ConnSet::of_ports(r.ports(), &to))
            })
            .map(|(at, _)| {
                let p = &engine.inventory.policies[at.policy];
                format!(
                    "{}/{} {} rule {}",
                    p.namespace,
                    p.name,
                    side.direction.lower(),
                    at.index + 1
                )
            })
            .collect();
        if !by.is_empty() {
            return Some(format!(
                "{} uses hostNetwork and node addresses are not in the input: allowed if an ipBlock \
                 of {} holds the address of its node",
                workload_name(engine, node),
                by.join(", ")
            ));
        }
    }
    None
}
