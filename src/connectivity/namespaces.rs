//! `matrix --by namespace`: one entry per ordered pair of namespaces (and namespace and
//! external range), with the union of what their workloads may exchange and how many of their
//! workload pairs may exchange anything.
//!
//! Each source workload's row is folded into per-namespace totals as it is worked out, on the
//! worker threads: no workload pair is kept.

use std::collections::HashMap;
use std::fmt;

use rayon::prelude::*;

use super::externals::Segment;
use super::matrix::{Classes, Rows};
use super::Engine;
use crate::semantics::ConnSet;

/// One end of a namespace entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Namespace(String),
    External(Segment),
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Group::Namespace(n) => f.write_str(n),
            Group::External(s) => write!(f, "{s}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceEntry {
    pub from: Group,
    pub to: Group,
    /// Everything some workload of `from` may send some workload of `to`.
    pub connections: ConnSet,
    /// The ordered workload pairs (a workload and a range, for an external end) that may
    /// exchange something.
    pub allowed_pairs: usize,
    /// Every ordered workload pair of the two ends (within one namespace, a workload and
    /// itself are not a pair).
    pub pairs: usize,
}

#[derive(Debug, Clone, Default)]
pub struct NamespaceMatrix {
    /// The namespaces with a workload in scope, by name, with how many.
    pub namespaces: Vec<(String, usize)>,
    /// The external ranges sources may come from and destinations may be in.
    pub ingress_segments: Vec<Segment>,
    pub egress_segments: Vec<Segment>,
    /// Only the pairs with something allowed, sorted by `from` then `to` (namespaces before
    /// ranges).
    pub entries: Vec<NamespaceEntry>,
    /// What the entries assume, as the workload matrix's notes.
    pub notes: Vec<String>,
}

/// What a source's row adds to one destination end: connections and allowed pairs.
type Tally = HashMap<(usize, usize), (ConnSet, usize)>;

fn add(tally: &mut Tally, key: (usize, usize), conns: ConnSet, count: usize) {
    match tally.get_mut(&key) {
        Some((acc, n)) => {
            if !acc.is_all() && *acc != conns {
                *acc = acc.union(&conns);
            }
            *n += count;
        }
        None => {
            tally.insert(key, (conns, count));
        }
    }
}

fn merge(mut a: Tally, b: Tally) -> Tally {
    if a.len() < b.len() {
        return merge(b, a);
    }
    for (key, (conns, n)) in b {
        match a.get_mut(&key) {
            Some((acc, m)) => {
                *acc = acc.union(&conns);
                *m += n;
            }
            None => {
                a.insert(key, (conns, n));
            }
        }
    }
    a
}

/// Workload pairs added up by namespace pair, one pair of classes at a time: each source
/// class's answers from every destination class are worked out once, then counted for every
/// namespace the two classes have workloads in.
fn between_classes(rows: &Rows<'_>, classes: &Classes, ns_of: &[usize], ns: usize) -> Tally {
    // (namespace, class) -> workloads; and how many workloads are both (they are no pair with
    // themselves).
    let mut sources: Vec<Vec<(usize, usize)>> = vec![Vec::new(); classes.source_first.len()];
    let mut destinations: Vec<Vec<(u32, usize)>> = vec![Vec::new(); ns];
    let mut both: HashMap<(usize, u32, u32), usize> = HashMap::new();
    {
        let mut src: HashMap<(u32, usize), usize> = HashMap::new();
        let mut dst: HashMap<(usize, u32), usize> = HashMap::new();
        for (w, &namespace) in ns_of.iter().enumerate() {
            let (a, b) = (classes.source[w], classes.destination[w]);
            *src.entry((a, namespace)).or_default() += 1;
            *dst.entry((namespace, b)).or_default() += 1;
            *both.entry((namespace, a, b)).or_default() += 1;
        }
        for ((a, namespace), n) in src {
            sources[a as usize].push((namespace, n));
        }
        for ((namespace, b), n) in dst {
            destinations[namespace].push((b, n));
        }
    }
    let destination_classes = classes.destination_first.len();
    (0..classes.source_first.len())
        .into_par_iter()
        .fold(Tally::new, |mut tally, a| {
            let s = classes.source_first[a];
            let mut answers: Vec<Option<ConnSet>> = vec![None; destination_classes];
            for (namespace, n) in &sources[a] {
                for (to, classes_there) in destinations.iter().enumerate() {
                    for &(b, m) in classes_there {
                        let conns = answers[b as usize].get_or_insert_with(|| {
                            rows.pair(s, classes.destination_first[b as usize])
                        });
                        if conns.is_empty() {
                            continue;
                        }
                        let mut pairs = n * m;
                        if to == *namespace {
                            pairs -= both.get(&(to, a as u32, b)).copied().unwrap_or(0);
                        }
                        if pairs > 0 {
                            add(&mut tally, (*namespace, to), conns.clone(), pairs);
                        }
                    }
                }
            }
            tally
        })
        .reduce(Tally::new, merge)
}

/// What each source workload may send each external range, added up by namespace.
fn to_ranges(rows: &Rows<'_>, ns_of: &[usize], ns: usize) -> Tally {
    (0..ns_of.len())
        .into_par_iter()
        .fold(Tally::new, |mut tally, s| {
            for x in 0..rows.egress_segments.len() {
                let conns = rows.to_external(s, x);
                if !conns.is_empty() {
                    add(&mut tally, (ns_of[s], ns + x), conns, 1);
                }
            }
            tally
        })
        .reduce(Tally::new, merge)
}

/// Workload pairs added up by namespace pair, every pair worked out: when layers other than
/// NetworkPolicies take part, each pair walks them with its whole endpoints.
fn pair_by_pair(rows: &Rows<'_>, ns_of: &[usize], ns: usize) -> Tally {
    (0..ns_of.len())
        .into_par_iter()
        .fold(Tally::new, |mut tally, s| {
            // This source's row, by destination namespace: no hashing per pair.
            let mut row: Vec<Option<(ConnSet, usize)>> = vec![None; ns];
            let mut put = |end: usize, conns: ConnSet| match &mut row[end] {
                Some((acc, n)) => {
                    if !acc.is_all() && *acc != conns {
                        *acc = acc.union(&conns);
                    }
                    *n += 1;
                }
                slot => *slot = Some((conns, 1)),
            };
            for (d, &namespace) in ns_of.iter().enumerate() {
                if d == s {
                    continue;
                }
                let conns = rows.pair(s, d);
                if !conns.is_empty() {
                    put(namespace, conns);
                }
            }
            for (end, slot) in row.into_iter().enumerate() {
                if let Some((conns, n)) = slot {
                    add(&mut tally, (ns_of[s], end), conns, n);
                }
            }
            tally
        })
        .reduce(Tally::new, merge)
}

/// The namespace matrix of the workloads `in_scope` accepts (by inventory index). Every
/// workload still counts as a peer of the rules, as in the workload matrix.
pub fn by_namespace(engine: &Engine<'_>, in_scope: impl Fn(usize) -> bool) -> NamespaceMatrix {
    let rows = Rows::new(engine, in_scope);
    aggregate(engine, &rows)
}

/// Ends are numbered: namespaces `0..ns`, then ranges `ns + x` (ingress ranges as sources,
/// egress ranges as destinations).
fn aggregate(engine: &Engine<'_>, rows: &Rows<'_>) -> NamespaceMatrix {
    let inventory = engine.inventory;
    let mut names: Vec<&str> = rows
        .workloads
        .iter()
        .map(|&w| inventory.workloads[w].namespace.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let ns_of: Vec<usize> = rows
        .workloads
        .iter()
        .map(|&w| {
            names
                .binary_search(&inventory.workloads[w].namespace.as_str())
                .expect("every workload's namespace is listed")
        })
        .collect();
    let mut sizes = vec![0usize; names.len()];
    for &n in &ns_of {
        sizes[n] += 1;
    }
    let ns = names.len();

    let between_workloads = match rows.classes() {
        Some(classes) => between_classes(rows, &classes, &ns_of, ns),
        None => pair_by_pair(rows, &ns_of, ns),
    };
    let from_workloads = merge(between_workloads, to_ranges(rows, &ns_of, ns));
    let from_ranges = (0..rows.ingress_segments.len())
        .into_par_iter()
        .fold(Tally::new, |mut tally, x| {
            for (d, &namespace) in ns_of.iter().enumerate() {
                let conns = rows.external_to(x, d);
                if !conns.is_empty() {
                    add(&mut tally, (ns + x, namespace), conns, 1);
                }
            }
            tally
        })
        .reduce(Tally::new, merge);

    let group = |i: usize, segments: &[Segment]| -> Group {
        if i < ns {
            Group::Namespace(names[i].to_owned())
        } else {
            Group::External(segments[i - ns])
        }
    };
    let mut entries: Vec<NamespaceEntry> = from_workloads
        .into_iter()
        .map(|((f, t), (connections, allowed_pairs))| {
            let pairs = if t < ns {
                if f == t {
                    sizes[f] * (sizes[f] - 1)
                } else {
                    sizes[f] * sizes[t]
                }
            } else {
                sizes[f]
            };
            NamespaceEntry {
                from: group(f, &[]),
                to: group(t, &rows.egress_segments),
                connections,
                allowed_pairs,
                pairs,
            }
        })
        .chain(
            from_ranges
                .into_iter()
                .map(|((f, t), (connections, allowed_pairs))| NamespaceEntry {
                    from: group(f, &rows.ingress_segments),
                    to: group(t, &[]),
                    connections,
                    allowed_pairs,
                    pairs: sizes[t],
                }),
        )
        .collect();
    entries.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    NamespaceMatrix {
        namespaces: names
            .iter()
            .zip(&sizes)
            .map(|(n, &s)| ((*n).to_owned(), s))
            .collect(),
        ingress_segments: rows.ingress_segments.clone(),
        egress_segments: rows.egress_segments.clone(),
        entries,
        notes: rows.notes(),
    }
}
