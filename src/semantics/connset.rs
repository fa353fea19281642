//! Sets of connections: for each protocol (TCP, UDP, SCTP), a set of port ranges. What a rule
//! allows towards one destination, and what a pair of endpoints may exchange.

use std::fmt;

use smallvec::{smallvec, SmallVec};

use crate::model::{PolicyPort, PortValue, Protocol};

use super::traffic::{Endpoint, PortMatch};

pub const PROTOCOLS: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

/// Port ranges per protocol, each list sorted, disjoint and not adjacent (so that equal sets
/// compare equal).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnSet {
    ranges: [Ranges; 3],
}

/// One protocol's ranges. Most sets hold one to a few per protocol (or none): kept inline, a
/// set is made without allocating. Working out answers makes and drops millions of sets: with a
/// list per protocol, allocating and freeing was 7% of a large `diff`'s samples, 4.5% since.
type Ranges = SmallVec<[(u16, u16); 4]>;

fn slot(protocol: Protocol) -> usize {
    match protocol {
        Protocol::Tcp => 0,
        Protocol::Udp => 1,
        Protocol::Sctp => 2,
    }
}

impl ConnSet {
    pub fn none() -> Self {
        ConnSet::default()
    }

    pub fn all() -> Self {
        let full: Ranges = smallvec![(1, u16::MAX)];
        ConnSet {
            ranges: [full.clone(), full.clone(), full],
        }
    }

    /// One protocol, the ports `start..=end` (clamped to 1-65535).
    pub fn range(protocol: Protocol, start: u16, end: u16) -> Self {
        let mut set = ConnSet::none();
        let (start, end) = (start.max(1), end);
        if start <= end {
            set.ranges[slot(protocol)].push((start, end));
        }
        set
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.iter().all(|r| r.is_empty())
    }

    pub fn is_all(&self) -> bool {
        self.ranges.iter().all(|r| r.as_slice() == [(1, u16::MAX)])
    }

    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.ranges[slot(protocol)]
            .iter()
            .any(|&(s, e)| s <= port && port <= e)
    }

    /// The ranges of one protocol, ascending.
    pub fn ranges(&self, protocol: Protocol) -> &[(u16, u16)] {
        &self.ranges[slot(protocol)]
    }

    pub fn union(&self, other: &ConnSet) -> ConnSet {
        let mut out = ConnSet::none();
        for i in 0..3 {
            out.ranges[i] = union_of(&self.ranges[i], &other.ranges[i]);
        }
        out
    }

    pub fn intersect(&self, other: &ConnSet) -> ConnSet {
        let mut out = ConnSet::none();
        for i in 0..3 {
            let (a, b) = (&self.ranges[i], &other.ranges[i]);
            let (mut x, mut y) = (0, 0);
            while x < a.len() && y < b.len() {
                let start = a[x].0.max(b[y].0);
                let end = a[x].1.min(b[y].1);
                if start <= end {
                    out.ranges[i].push((start, end));
                }
                if a[x].1 < b[y].1 {
                    x += 1;
                } else {
                    y += 1;
                }
            }
        }
        out
    }

    /// The connections of `self` that are not in `other`.
    pub fn subtract(&self, other: &ConnSet) -> ConnSet {
        let mut out = ConnSet::none();
        for i in 0..3 {
            let mut rest = Ranges::new();
            let mut cuts = other.ranges[i].iter().peekable();
            for &(mut s, e) in &self.ranges[i] {
                let mut done = false;
                while let Some(&&(cs, ce)) = cuts.peek() {
                    if ce < s {
                        cuts.next();
                        continue;
                    }
                    if cs > e {
                        break;
                    }
                    if cs > s {
                        rest.push((s, cs - 1));
                    }
                    if ce >= e {
                        done = true;
                        break;
                    }
                    s = ce + 1;
                    cuts.next();
                }
                if !done {
                    rest.push((s, e));
                }
            }
            out.ranges[i] = rest;
        }
        out
    }

    /// What one `ports` entry of a rule allows towards `destination` (SEMANTICS.md points 9
    /// and 10): the protocol defaults to TCP; no `port` is every port of it; `endPort` is
    /// inclusive; a named port is the numbers the destination's containers give that name with
    /// that protocol, never anything for an address.
    pub fn of_policy_port(port: &PolicyPort, destination: &Endpoint<'_>) -> ConnSet {
        let Some(protocol) = Protocol::parse(port.protocol.as_deref().unwrap_or("TCP")) else {
            return ConnSet::none();
        };
        match &port.port {
            None => ConnSet::range(protocol, 1, u16::MAX),
            Some(PortValue::Number(start)) => {
                let end = port.end_port.unwrap_or(*start);
                match (u16::try_from(*start), u16::try_from(end)) {
                    (Ok(s), Ok(e)) => ConnSet::range(protocol, s, e),
                    _ => ConnSet::none(),
                }
            }
            Some(PortValue::Name(name)) => match destination {
                Endpoint::Pod(pod) => pod
                    .ports
                    .iter()
                    .filter(|cp| {
                        cp.name.as_deref() == Some(name.as_str())
                            && Protocol::parse(cp.protocol.as_deref().unwrap_or("TCP"))
                                == Some(protocol)
                    })
                    .filter_map(|cp| u16::try_from(cp.port).ok())
                    .fold(ConnSet::none(), |acc, n| {
                        acc.union(&ConnSet::range(protocol, n, n))
                    }),
                Endpoint::Address(_) => ConnSet::none(),
            },
        }
    }

    /// What one compiled `ports` entry allows towards `destination`: a named port is the
    /// numbers the destination's containers give that name (with that protocol, when the
    /// entry has one), never anything for an address.
    pub fn of_port_match(port: &PortMatch, destination: &Endpoint<'_>) -> ConnSet {
        match port {
            PortMatch::Range {
                protocol,
                start,
                end,
            } => ConnSet::range(*protocol, *start, *end),
            PortMatch::Nothing => ConnSet::none(),
            PortMatch::Named { name, protocol } => match destination {
                Endpoint::Pod(pod) => pod
                    .ports
                    .iter()
                    .filter(|cp| cp.name.as_deref() == Some(name.as_str()))
                    .filter_map(|cp| {
                        let p = Protocol::parse(cp.protocol.as_deref().unwrap_or("TCP"))?;
                        let n = u16::try_from(cp.port).ok()?;
                        protocol.is_none_or(|want| want == p).then_some((p, n))
                    })
                    .fold(ConnSet::none(), |acc, (p, n)| {
                        acc.union(&ConnSet::range(p, n, n))
                    }),
                Endpoint::Address(_) => ConnSet::none(),
            },
        }
    }

    /// What a rule's `ports` list allows towards `destination`: empty is everything.
    pub fn of_ports(ports: &[PolicyPort], destination: &Endpoint<'_>) -> ConnSet {
        if ports.is_empty() {
            return ConnSet::all();
        }
        ports.iter().fold(ConnSet::none(), |acc, p| {
            acc.union(&ConnSet::of_policy_port(p, destination))
        })
    }
}

/// The union of two protocols' sorted range lists: a linear merge, joining ranges that overlap
/// or touch.
fn union_of(a: &[(u16, u16)], b: &[(u16, u16)]) -> Ranges {
    const FULL: (u16, u16) = (1, u16::MAX);
    if b.is_empty() || a == [FULL] {
        return Ranges::from_slice(a);
    }
    if a.is_empty() || b == [FULL] {
        return Ranges::from_slice(b);
    }
    let mut out = Ranges::with_capacity(a.len() + b.len());
    let (mut x, mut y) = (0, 0);
    while x < a.len() || y < b.len() {
        let next = if y == b.len() || (x < a.len() && a[x] <= b[y]) {
            x += 1;
            a[x - 1]
        } else {
            y += 1;
            b[y - 1]
        };
        match out.last_mut() {
            Some(last) if u32::from(next.0) <= u32::from(last.1) + 1 => last.1 = last.1.max(next.1),
            _ => out.push(next),
        }
    }
    out
}

/// netpol-analyzer's connlist notation: `All Connections`, or `TCP 80,UDP 53-54`, or
/// `No Connections`.
impl fmt::Display for ConnSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first = true;
        // Protocol names in alphabetical order, as netpol-analyzer writes them.
        for protocol in [Protocol::Sctp, Protocol::Tcp, Protocol::Udp] {
            let ranges = self.ranges(protocol);
            if ranges.is_empty() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{} ", protocol.as_str())?;
            for (i, (s, e)) in ranges.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                if s == e {
                    write!(f, "{s}")?;
                } else {
                    write!(f, "{s}-{e}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContainerPort, Labels};
    use crate::semantics::traffic::PodRef;

    fn tcp(s: u16, e: u16) -> ConnSet {
        ConnSet::range(Protocol::Tcp, s, e)
    }

    #[test]
    fn union_is_the_union_of_the_ports_sorted_disjoint_and_not_adjacent() {
        // Range lists drawn from a small port space, against a set of ports.
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let draw = |next: &mut dyn FnMut(u64) -> u64| {
            let mut set = ConnSet::none();
            for _ in 0..next(4) {
                let start = 1 + next(30) as u16;
                let end = start + next(6) as u16;
                set = set.union(&ConnSet::range(Protocol::Tcp, start, end));
            }
            if next(8) == 0 {
                set = ConnSet::all();
            }
            set
        };
        for _ in 0..2000 {
            let (a, b) = (draw(&mut next), draw(&mut next));
            let u = a.union(&b);
            for port in 1..40 {
                assert_eq!(
                    u.contains(Protocol::Tcp, port),
                    a.contains(Protocol::Tcp, port) || b.contains(Protocol::Tcp, port)
                );
            }
            let r = u.ranges(Protocol::Tcp);
            assert!(r.iter().all(|&(s, e)| s <= e));
            assert!(
                r.windows(2)
                    .all(|w| u32::from(w[0].1) + 1 < u32::from(w[1].0)),
                "{r:?}"
            );
            assert_eq!(u, b.union(&a));
        }
    }

    #[test]
    fn union_merges_overlapping_and_adjacent_ranges() {
        let u = tcp(80, 90).union(&tcp(91, 100)).union(&tcp(85, 86));
        assert_eq!(u.ranges(Protocol::Tcp), &[(80, 100)]);
        let gap = tcp(80, 80).union(&tcp(82, 82));
        assert_eq!(gap.ranges(Protocol::Tcp), &[(80, 80), (82, 82)]);
    }

    #[test]
    fn intersection_keeps_common_ports_per_protocol() {
        let a = tcp(1, 100).union(&ConnSet::range(Protocol::Udp, 53, 53));
        let b = tcp(50, 60)
            .union(&tcp(90, 200))
            .union(&ConnSet::range(Protocol::Sctp, 1, 9));
        let i = a.intersect(&b);
        assert_eq!(i.ranges(Protocol::Tcp), &[(50, 60), (90, 100)]);
        assert!(i.ranges(Protocol::Udp).is_empty());
        assert!(i.ranges(Protocol::Sctp).is_empty());
        assert!(ConnSet::all().intersect(&ConnSet::none()).is_empty());
        assert_eq!(ConnSet::all().intersect(&a), a);
    }

    #[test]
    fn display_follows_the_connlist_notation() {
        assert_eq!(ConnSet::all().to_string(), "All Connections");
        let s = tcp(10053, 10054).union(&ConnSet::range(Protocol::Udp, 10053, 10053));
        assert_eq!(s.to_string(), "TCP 10053-10054,UDP 10053");
        let sctp = ConnSet::range(Protocol::Sctp, 8956, 8956).union(&ConnSet::range(
            Protocol::Sctp,
            9090,
            9090,
        ));
        assert_eq!(sctp.to_string(), "SCTP 8956,9090");
        let full_tcp = tcp(1, 65535);
        assert_eq!(full_tcp.to_string(), "TCP 1-65535");
        assert!(!full_tcp.is_all());
    }

    #[test]
    fn policy_ports_follow_points_9_and_10() {
        let labels = Labels::new();
        let ports = vec![ContainerPort {
            name: Some("http".into()),
            port: 8080,
            protocol: None,
        }];
        let pod = Endpoint::Pod(PodRef {
            namespace: "a",
            labels: &labels,
            namespace_labels: &labels,
            ports: &ports,
            service_account: "default",
            node_network: false,
            anonymous: false,
        });
        let address = Endpoint::Address("203.0.113.9".parse().unwrap());
        let p = |protocol: Option<&str>, port: Option<PortValue>, end: Option<i64>| PolicyPort {
            protocol: protocol.map(str::to_owned),
            port,
            end_port: end,
        };
        assert_eq!(
            ConnSet::of_policy_port(&p(None, Some(PortValue::Number(80)), None), &pod),
            tcp(80, 80)
        );
        assert_eq!(
            ConnSet::of_policy_port(&p(Some("UDP"), None, None), &pod),
            ConnSet::range(Protocol::Udp, 1, 65535)
        );
        assert_eq!(
            ConnSet::of_policy_port(&p(None, Some(PortValue::Number(80)), Some(90)), &pod),
            tcp(80, 90)
        );
        let named = p(None, Some(PortValue::Name("http".into())), None);
        assert_eq!(ConnSet::of_policy_port(&named, &pod), tcp(8080, 8080));
        assert!(ConnSet::of_policy_port(&named, &address).is_empty());
        let udp_named = p(Some("UDP"), Some(PortValue::Name("http".into())), None);
        assert!(ConnSet::of_policy_port(&udp_named, &pod).is_empty());
        assert!(ConnSet::of_ports(&[], &address).is_all());
    }
}
