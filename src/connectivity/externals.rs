//! The address space outside the pods, cut by the ipBlocks of the policies into ranges that
//! every ipBlock (and every `except`) either contains whole or misses whole: the external peers
//! of `matrix`, as netpol-analyzer lists them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::model::Direction;

use super::Engine;

/// An inclusive address range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Segment {
    pub start: IpAddr,
    pub end: IpAddr,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// The ranges the ipBlocks of `direction`'s rules cut. IPv4 always (the whole space when no
/// ipBlock cuts it); IPv6 only when some ipBlock is IPv6.
pub fn segments(engine: &Engine<'_>, direction: Direction) -> Vec<Segment> {
    let mut cuts4: Vec<u32> = Vec::new();
    let mut cuts6: Vec<u128> = Vec::new();
    for i in 0..engine.inventory.policies.len() {
        if engine.coverage.includes(i) {
            cut_blocks(engine, direction, i, &mut cuts4, &mut cuts6);
        }
    }
    // The cluster-scoped tiers' `networks` peers (egress only, point 13).
    for c in engine.coverage.set.cluster() {
        let policy = &engine.inventory.cluster_policies[c.index];
        cut(&mut cuts4, &mut cuts6, policy.networks(direction));
    }
    ranges(cuts4, cuts6)
}

/// Where the ipBlocks of NetworkPolicy `index`'s rules for `direction` cut the address space:
/// the first address of each block and of each `except`, and the first after each. Between
/// two such addresses the policy's rules match every address alike.
pub fn edges(engine: &Engine<'_>, direction: Direction, index: usize) -> Vec<IpAddr> {
    let (mut cuts4, mut cuts6) = (Vec::new(), Vec::new());
    cut_blocks(engine, direction, index, &mut cuts4, &mut cuts6);
    let v4 = cuts4.into_iter().map(|c| IpAddr::V4(Ipv4Addr::from(c)));
    v4.chain(cuts6.into_iter().map(|c| IpAddr::V6(Ipv6Addr::from(c))))
        .collect()
}

/// The ranges both lists cut, together: every range of the result lies whole inside one range
/// of each (for comparing what two inventories allow towards the same addresses).
pub fn merge(a: &[Segment], b: &[Segment]) -> Vec<Segment> {
    let mut cuts4: Vec<u32> = Vec::new();
    let mut cuts6: Vec<u128> = Vec::new();
    for s in a.iter().chain(b) {
        match s.start {
            IpAddr::V4(v) => cuts4.push(u32::from(v)),
            IpAddr::V6(v) => cuts6.push(u128::from(v)),
        }
    }
    ranges(cuts4, cuts6)
}

/// The ranges the cut points make: IPv4 always, IPv6 when something cuts it.
fn ranges(cuts4: Vec<u32>, cuts6: Vec<u128>) -> Vec<Segment> {
    let mut out: Vec<Segment> = split(cuts4, u32::MAX as u128)
        .into_iter()
        .map(|(s, e)| Segment {
            start: IpAddr::V4(Ipv4Addr::from(s as u32)),
            end: IpAddr::V4(Ipv4Addr::from(e as u32)),
        })
        .collect();
    if !cuts6.is_empty() {
        out.extend(split(cuts6, u128::MAX).into_iter().map(|(s, e)| Segment {
            start: IpAddr::V6(Ipv6Addr::from(s)),
            end: IpAddr::V6(Ipv6Addr::from(e)),
        }));
    }
    out
}

/// Adds the edges of NetworkPolicy `index`'s ipBlocks for `direction` to the cut points.
fn cut_blocks(
    engine: &Engine<'_>,
    direction: Direction,
    index: usize,
    cuts4: &mut Vec<u32>,
    cuts6: &mut Vec<u128>,
) {
    let blocks = engine.inventory.policies[index]
        .rules(direction)
        .iter()
        .flat_map(|r| &r.peers)
        .filter_map(|p| p.ip_block.as_ref());
    for block in blocks {
        let nets = std::iter::once(&block.cidr).chain(&block.except);
        cut(cuts4, cuts6, nets.filter_map(|s| s.parse::<IpNet>().ok()));
    }
}

/// Adds the edges of `nets` to the cut points.
fn cut(cuts4: &mut Vec<u32>, cuts6: &mut Vec<u128>, nets: impl Iterator<Item = IpNet>) {
    for net in nets {
        match net {
            IpNet::V4(n) => {
                cuts4.push(u32::from(n.network()));
                if let Some(after) = u32::from(n.broadcast()).checked_add(1) {
                    cuts4.push(after);
                }
            }
            IpNet::V6(n) => {
                cuts6.push(u128::from(n.network()));
                if let Some(after) = u128::from(n.broadcast()).checked_add(1) {
                    cuts6.push(after);
                }
            }
        }
    }
}

/// `[0, max]` cut before each point.
fn split<T: Into<u128>>(cuts: Vec<T>, max: u128) -> Vec<(u128, u128)> {
    let mut points: Vec<u128> = cuts
        .into_iter()
        .map(Into::into)
        .filter(|&p| p > 0)
        .collect();
    points.sort_unstable();
    points.dedup();
    let mut out = Vec::with_capacity(points.len() + 1);
    let mut start = 0u128;
    for p in points {
        out.push((start, p - 1));
        start = p;
    }
    out.push((start, max));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_ranges_cut_at_the_edges_of_both_lists() {
        let seg = |a: &str, b: &str| Segment {
            start: a.parse().unwrap(),
            end: b.parse().unwrap(),
        };
        let a = [
            seg("0.0.0.0", "9.255.255.255"),
            seg("10.0.0.0", "255.255.255.255"),
        ];
        let b = [
            seg("0.0.0.0", "10.0.0.255"),
            seg("10.0.1.0", "255.255.255.255"),
        ];
        assert_eq!(
            merge(&a, &b),
            vec![
                seg("0.0.0.0", "9.255.255.255"),
                seg("10.0.0.0", "10.0.0.255"),
                seg("10.0.1.0", "255.255.255.255"),
            ]
        );
    }

    #[test]
    fn cidr_and_except_cut_the_space_at_their_edges() {
        let v4 = |s: &str| u128::from(u32::from(s.parse::<Ipv4Addr>().unwrap()));
        let cuts: Vec<u128> = vec![
            v4("10.0.0.0"),
            v4("11.0.0.0"),
            v4("10.10.0.0"),
            v4("10.11.0.0"),
        ];
        let got = split(cuts, u32::MAX as u128);
        let want = vec![
            (0, v4("9.255.255.255")),
            (v4("10.0.0.0"), v4("10.9.255.255")),
            (v4("10.10.0.0"), v4("10.10.255.255")),
            (v4("10.11.0.0"), v4("10.255.255.255")),
            (v4("11.0.0.0"), u32::MAX as u128),
        ];
        assert_eq!(got, want);
        assert_eq!(split(Vec::<u32>::new(), 9), vec![(0, 9)]);
        assert_eq!(
            split(vec![0u32], 9),
            vec![(0, 9)],
            "a cut at 0 adds nothing"
        );
    }
}
