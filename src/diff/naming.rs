//! Which policies' rules may name a given peer, and how. A side answers a peer as its rules
//! match it (and, for named ports, as the destination's ports resolve them): a side none of
//! whose rules names the peer answers it as any other peer it does not name. A changed side's
//! pass therefore finds the other ends' answers towards it by class of their side and the
//! matches of the few policies that name it, shared by every pass.

use foldhash::HashMap;

use crate::connectivity::Member;
use crate::model::Direction;
use crate::semantics::traffic::Match;
use crate::semantics::PolicyId;

use super::connections::View;

/// One revision's policies that apply to some workload, per direction, by the namespaces where
/// their rules may find pods (found through the namespaces' label index, not by asking every
/// policy for every workload).
pub struct Naming {
    /// Per direction, per namespace position of [`View::namespaces`].
    by_namespace: [Vec<Vec<PolicyId>>; 2],
    /// Per direction, the policies whose rules do not say where their pods are.
    anywhere: [Vec<PolicyId>; 2],
}

impl Naming {
    pub fn new(view: &View<'_>) -> Self {
        let engine = view.engine;
        let count = view.namespaces().len();
        let mut out = Naming {
            by_namespace: [vec![Vec::new(); count], vec![Vec::new(); count]],
            anywhere: Default::default(),
        };
        let mut ids: Vec<(PolicyId, usize)> = view.applied().collect();
        ids.sort_unstable();
        let mut positions = Vec::new();
        for (id, d) in ids {
            let direction = [Direction::Ingress, Direction::Egress][d];
            let rules = engine.rules(id, direction);
            let ns = engine.policy_namespace(id);
            positions.clear();
            let mut anywhere = false;
            for r in rules {
                match view.rule_namespaces(r, ns) {
                    Some(p) => positions.extend(p),
                    None => anywhere = true,
                }
            }
            if anywhere {
                out.anywhere[d].push(id);
                continue;
            }
            positions.sort_unstable();
            positions.dedup();
            for &p in &positions {
                out.by_namespace[d][p].push(id);
            }
        }
        out
    }

    /// The policies of `view` (this revision's) with a rule for `d` that may match member `m`
    /// (certainly or not), with how each of their rules matches it ([`match_code`]).
    pub fn naming(&self, view: &View<'_>, m: Member, d: Direction) -> HashMap<PolicyId, Vec<u64>> {
        let engine = view.engine;
        let slot = usize::from(d == Direction::Egress);
        let namespace = &engine.inventory.workloads[m.workload].namespace;
        let labels = view.namespace_labels_of(m.workload);
        let pod = view.pod(m);
        let here = &self.by_namespace[slot][view.namespace_position(m.workload)];
        let mut out = HashMap::default();
        for &id in here.iter().chain(&self.anywhere[slot]) {
            let ns = engine.policy_namespace(id);
            let rules = engine.rules(id, d);
            if !rules
                .iter()
                .any(|r| r.may_match_pods_in(ns, namespace, labels))
            {
                continue;
            }
            let codes: Vec<u64> = rules
                .iter()
                .map(|r| match_code(r.peer_match(ns, &pod)))
                .collect();
            if codes.iter().any(|&c| c != NO) {
                out.insert(id, codes);
            }
        }
        out
    }
}

/// A rule's match on a peer as a number: what an answer depends on.
pub fn match_code(m: Match) -> u64 {
    match m {
        Match::Yes => 0,
        Match::No => NO,
        // The reason tells unknowns apart: a static string's address.
        Match::Unknown(why) => (why.as_ptr() as u64) << 2 | 2,
        Match::UnknownUnless(why) => (why.as_ptr() as u64) << 2 | 3,
    }
}

const NO: u64 = 1;
