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

/// One revision's policies that apply to some workload, per direction, by where their rules
/// may find pods: in their own namespace only, or anywhere.
pub struct Naming {
    local: [HashMap<String, Vec<PolicyId>>; 2],
    wide: [Vec<PolicyId>; 2],
}

impl Naming {
    pub fn new(view: &View<'_>) -> Self {
        let engine = view.engine;
        let mut out = Naming {
            local: Default::default(),
            wide: Default::default(),
        };
        let mut ids: Vec<(PolicyId, usize)> = view.applied().collect();
        ids.sort_unstable();
        for (id, d) in ids {
            let direction = [Direction::Ingress, Direction::Egress][d];
            let rules = engine.rules(id, direction);
            if rules.is_empty() {
                continue;
            }
            if rules.iter().all(|r| r.only_own_namespace()) {
                out.local[d]
                    .entry(engine.policy_namespace(id).to_owned())
                    .or_default()
                    .push(id);
            } else {
                out.wide[d].push(id);
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
        let labels = engine.namespace_labels(namespace);
        let pod = view.pod(m);
        let local = self.local[slot]
            .get(namespace.as_str())
            .into_iter()
            .flatten();
        let mut out = HashMap::default();
        for &id in local.chain(&self.wide[slot]) {
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
