//! `reach SRC DST`: may this source open this connection to this destination, and which rules
//! decide it (SEMANTICS.md points 4-11).

use std::net::IpAddr;

use ipnet::IpNet;

use crate::error::Error;
use crate::model::{Direction, Protocol};
use crate::semantics::traffic::Port;
use crate::semantics::ConnSet;

use super::externals::{self, Segment};
use super::{Answer, Engine, Node};

/// A resolved end of the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Index into `Inventory::workloads`.
    Workload(usize),
    Address(IpAddr),
    /// An address range (`10.0.0.0/8`): allowed only when every address of it is.
    Network(IpNet),
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
    /// With a network end: the sub-ranges that the policies' ipBlocks treat alike, in address
    /// order, each with its verdict. `answer` is that of the first denied one (why the whole
    /// range is not allowed), else of the first.
    pub ranges: Vec<(Segment, bool)>,
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
        End::Network(net) => vec![Node::Address(net.network())],
    }
}

/// `net` cut where the ipBlocks of `direction`'s rules cut the address space: within each
/// piece, every ipBlock and `except` holds all addresses or none, so one address stands for
/// the piece.
fn pieces(engine: &Engine<'_>, net: IpNet, direction: Direction) -> Vec<Segment> {
    let (first, last) = (net.network(), net.broadcast());
    let mut out: Vec<Segment> = externals::segments(engine, direction)
        .into_iter()
        .filter(|s| s.start.is_ipv4() == first.is_ipv4() && s.end >= first && s.start <= last)
        .map(|s| Segment {
            start: s.start.max(first),
            end: s.end.min(last),
        })
        .collect();
    // No IPv6 ipBlock: nothing cuts an IPv6 range.
    if out.is_empty() {
        out.push(Segment {
            start: first,
            end: last,
        });
    }
    out
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
    let is_address = |e: End| matches!(e, End::Address(_) | End::Network(_));
    if is_address(source) && is_address(destination) {
        return Err(Error::Usage(
            "at least one end must be a workload: NetworkPolicy polices pods, not addresses".into(),
        ));
    }
    let port = port
        .map(|(protocol, spec)| resolve_port(engine, destination, protocol, spec))
        .transpose()?;
    let network = match (source, destination) {
        (_, End::Network(net)) => Some((net, Direction::Egress)),
        (End::Network(net), _) => Some((net, Direction::Ingress)),
        _ => None,
    };
    if let Some((net, direction)) = network {
        let mut ranges = Vec::new();
        let mut shown: Option<Between> = None;
        let mut shown_denied = false;
        for piece in pieces(engine, net, direction) {
            let at = End::Address(piece.start);
            let (s, d) = match direction {
                Direction::Egress => (source, at),
                Direction::Ingress => (at, destination),
            };
            let one = reach_between(engine, s, d, port);
            ranges.push((piece, one.allowed));
            if !one.allowed && !shown_denied {
                shown = Some(one);
                shown_denied = true;
            } else if shown.is_none() {
                shown = Some(one);
            }
        }
        let shown = shown.expect("a range has at least one piece");
        let allowed = ranges.iter().all(|(_, allowed)| *allowed);
        return Ok(Reach {
            source,
            destination,
            port,
            answer: shown.answer,
            allowed,
            ranges,
            unknown: if allowed { None } else { shown.unknown },
            notes: node_notes(engine, source, destination),
        });
    }
    let one = reach_between(engine, source, destination, port);
    Ok(Reach {
        source,
        destination,
        port,
        answer: one.answer,
        allowed: one.allowed,
        ranges: Vec::new(),
        unknown: one.unknown,
        notes: node_notes(engine, source, destination),
    })
}

struct Between {
    answer: Answer,
    allowed: bool,
    /// Why a denial may not hold (a hostNetwork end, see `node_unknown`).
    unknown: Option<String>,
}

/// The answer between two ends, neither of which is a network.
fn reach_between(
    engine: &Engine<'_>,
    source: End,
    destination: End,
    port: Option<Port>,
) -> Between {
    let fits = |c: &ConnSet| match port {
        Some(p) => c.contains(p.protocol, p.number),
        None => !c.is_empty(),
    };
    let mut first: Option<Answer> = None;
    let mut undecidable: Option<(Answer, String)> = None;
    for s in nodes(engine, source) {
        for d in nodes(engine, destination) {
            let answer = engine.connection(s, d);
            match certainty(engine, &answer) {
                // Allowed whichever way the peers the input cannot decide go.
                (sure, _) if fits(&sure) => {
                    return Between {
                        answer,
                        allowed: true,
                        unknown: None,
                    };
                }
                (_, Some((maybe, why))) if fits(&maybe) => {
                    undecidable.get_or_insert((answer, why));
                }
                _ => {
                    first.get_or_insert(answer);
                }
            }
        }
    }
    // Points 16 and 23: allowed or denied depending on what the input does not say.
    if let Some((answer, why)) = undecidable {
        return Between {
            answer,
            allowed: false,
            unknown: Some(why),
        };
    }
    let answer = first.expect("every workload has a pod shape");
    let unknown = node_unknown(engine, source, destination, &answer, port);
    Between {
        answer,
        allowed: false,
        unknown,
    }
}

/// What a connection surely allows, and, when a side's verdict depends on peers the input
/// cannot decide (point 23) or on the order of same-priority policies (point 16), what it may
/// allow and why it cannot say.
fn certainty(engine: &Engine<'_>, answer: &Answer) -> (ConnSet, Option<(ConnSet, String)>) {
    if answer.same_pod {
        return (answer.allowed.clone(), None);
    }
    // Point 23's unknowns are read the same way on both sides: each side's verdict when the
    // narrow CIDRs hold the pods' addresses (`allowed` with `unknown_conns` flipped) and when
    // they do not (`allowed`); a connection is sure when both readings allow it, possible when
    // one does. (A rule on `nets` at the source and one on `notNets` at the destination can
    // never both let a pod through, and the answer is then a sure denial.)
    let mut sure = [ConnSet::all(), ConnSet::all()];
    let mut maybe = [ConnSet::all(), ConnSet::all()];
    let mut why = None;
    for side in [&answer.egress, &answer.ingress].into_iter().flatten() {
        let d = &side.decision;
        let holds = side
            .allowed
            .subtract(&d.unknown_conns)
            .union(&d.unknown_conns.subtract(&side.allowed));
        for (reading, allowed) in [&side.allowed, &holds].into_iter().enumerate() {
            sure[reading] = sure[reading].intersect(&allowed.subtract(&d.ambiguous_conns));
            maybe[reading] = maybe[reading].intersect(&allowed.union(&d.ambiguous_conns));
        }
        if let (Some(w), false) = (d.unknown, d.unknown_conns.is_empty()) {
            why.get_or_insert_with(|| {
                format!("{w}, and the verdict depends on it (SEMANTICS.md point 23)")
            });
        }
        if let (Some((a, b)), false) = (d.ambiguous, d.ambiguous_conns.is_empty()) {
            why.get_or_insert_with(|| {
                format!(
                    "ambiguous: {} and {} have the same priority and the verdict depends on which \
                     the implementation applies first (SEMANTICS.md point 16)",
                    super::describe::policy_name(engine.inventory, a),
                    super::describe::policy_name(engine.inventory, b)
                )
            });
        }
    }
    let [sure_not, sure_holds] = sure;
    let sure = sure_not.intersect(&sure_holds);
    let [maybe_not, maybe_holds] = maybe;
    let maybe = maybe_not.union(&maybe_holds).subtract(&sure);
    (sure, why.filter(|_| !maybe.is_empty()).map(|w| (maybe, w)))
}

/// A range as the fewest CIDRs that cover exactly it.
pub fn cidrs(segment: Segment) -> Vec<IpNet> {
    match (segment.start, segment.end) {
        (IpAddr::V4(a), IpAddr::V4(b)) => ipnet::Ipv4Subnets::new(a, b, 0).map(IpNet::V4).collect(),
        (IpAddr::V6(a), IpAddr::V6(b)) => ipnet::Ipv6Subnets::new(a, b, 0).map(IpNet::V6).collect(),
        _ => Vec::new(),
    }
}

fn on_node_network(engine: &Engine<'_>, end: End) -> bool {
    match end {
        End::Workload(w) => engine
            .coverage
            .on_node_network(&engine.inventory.workloads[w]),
        End::Address(_) | End::Network(_) => false,
    }
}

fn workload_name(engine: &Engine<'_>, end: End) -> String {
    match end {
        End::Workload(w) => {
            let w = &engine.inventory.workloads[w];
            format!("{} {}/{}", w.kind, w.namespace, w.name)
        }
        End::Address(ip) => ip.to_string(),
        End::Network(net) => net.to_string(),
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
            End::Network(net) => Node::Address(net.network()),
        });
        let by: Vec<String> = engine
            .side_rules(&side.policies, side.direction)
            .filter(|(_, r)| r.has_address_peer() && fits(&r.conns(&to)))
            .map(|(at, _)| {
                format!(
                    "{} {} rule {}",
                    super::describe::policy_name(engine.inventory, at.policy),
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
