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
                return Ok(Reach {
                    source,
                    destination,
                    port,
                    answer,
                    allowed: true,
                });
            }
            first.get_or_insert(answer);
        }
    }
    Ok(Reach {
        source,
        destination,
        port,
        answer: first.expect("every workload has a pod shape"),
        allowed: false,
    })
}
