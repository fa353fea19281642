//! One direction of one connection decided through the layers (SEMANTICS.md point 12): the
//! Admin tier (first matching rule by priority and written order), the NetworkPolicy tier (if
//! it isolates the pod, the union of its rules, final), the Baseline tier (first match), then
//! allowed. Works on connection sets, as netpol-analyzer does: each rule decides what earlier
//! rules left undecided, so one walk answers every port at once.

use super::policy_set::{Layer, PolicyId, PolicySet, RuleRef};
use super::traffic::{Action, Endpoint, Match};
use super::ConnSet;
use crate::model::Direction;

/// The policies that apply to one pod in one direction, per layer, in evaluation order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SidePolicies {
    /// Positions in [`PolicySet::cluster`] of Admin-tier policies selecting the pod.
    pub admin: Vec<usize>,
    /// NetworkPolicies (inventory indexes) that isolate the pod in this direction.
    pub network: Vec<usize>,
    /// Positions in [`PolicySet::cluster`] of Baseline-tier policies selecting the pod.
    pub baseline: Vec<usize>,
}

impl SidePolicies {
    pub fn is_empty(&self) -> bool {
        self.admin.is_empty() && self.network.is_empty() && self.baseline.is_empty()
    }
}

/// A rule that decided part of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub rule: RuleRef,
    pub layer: Layer,
    pub action: Action,
    /// What it decided: the connections it matched that no earlier rule had decided.
    pub conns: ConnSet,
}

/// What one side lets through, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: ConnSet,
    /// The rules that decided something, in evaluation order (NetworkPolicy rules: every one
    /// whose peers match, with what its ports let through).
    pub steps: Vec<Step>,
    /// What the NetworkPolicy tier denied because it isolates the pod and no rule allowed it.
    pub isolation_denied: ConnSet,
    /// What reached no deciding rule and was allowed because nothing else decides (step 4).
    pub default_allowed: ConnSet,
    /// Set when a rule might match the peer but the input cannot say (point 23), and what it
    /// would decide is not already decided.
    pub unknown: Option<&'static str>,
}

/// Options of a walk.
#[derive(Debug, Clone, Copy, Default)]
pub struct Walk {
    /// Point 22: the NetworkPolicy tier counts as a deny of everything (its isolation),
    /// whatever its rules allow.
    pub network_as_isolation: bool,
}

impl PolicySet {
    /// Decides `within` (the connections asked about) for one side: `peer` is the other end,
    /// `destination` resolves named ports.
    pub fn decide(
        &self,
        side: &SidePolicies,
        direction: Direction,
        peer: &Endpoint<'_>,
        destination: &Endpoint<'_>,
        within: &ConnSet,
        walk: Walk,
    ) -> Decision {
        let mut d = Decision {
            allowed: ConnSet::none(),
            steps: Vec::new(),
            isolation_denied: ConnSet::none(),
            default_allowed: ConnSet::none(),
            unknown: None,
        };
        let mut undecided = within.clone();
        self.ordered(
            Layer::Admin,
            &side.admin,
            direction,
            peer,
            destination,
            &mut undecided,
            &mut d,
        );
        if !side.network.is_empty() && !undecided.is_empty() {
            let mut allowed = ConnSet::none();
            if !walk.network_as_isolation {
                for &p in &side.network {
                    let policy = PolicyId::Network(p);
                    let namespace = self.policy_namespace(policy);
                    for (index, rule) in self.rules(policy, direction).iter().enumerate() {
                        let matched = rule.peer_match(namespace, peer);
                        if matched == Match::No {
                            continue;
                        }
                        let conns = rule.conns(destination).intersect(&undecided);
                        if let Match::Unknown(why) = matched {
                            if !conns.is_empty() {
                                d.unknown.get_or_insert(why);
                            }
                            continue;
                        }
                        // Every matching rule is named, even one whose ports resolve to
                        // nothing here (a named port the destination lacks): `reach` says so.
                        allowed = allowed.union(&conns);
                        d.steps.push(Step {
                            rule: RuleRef {
                                policy,
                                direction,
                                index,
                            },
                            layer: Layer::NetworkPolicy,
                            action: Action::Allow,
                            conns,
                        });
                    }
                }
            }
            d.isolation_denied = undecided.subtract(&allowed);
            d.allowed = d.allowed.union(&allowed);
            undecided = ConnSet::none();
        }
        self.ordered(
            Layer::Baseline,
            &side.baseline,
            direction,
            peer,
            destination,
            &mut undecided,
            &mut d,
        );
        d.default_allowed = undecided.clone();
        d.allowed = d.allowed.union(&undecided);
        d
    }

    /// A cluster-scoped tier: the first matching rule decides; Pass hands its connections to
    /// the next layer, as does what no rule matched.
    #[allow(clippy::too_many_arguments)]
    fn ordered(
        &self,
        layer: Layer,
        positions: &[usize],
        direction: Direction,
        peer: &Endpoint<'_>,
        destination: &Endpoint<'_>,
        undecided: &mut ConnSet,
        d: &mut Decision,
    ) {
        let mut passed = ConnSet::none();
        'policies: for &position in positions {
            let policy = PolicyId::Cluster(self.cluster()[position].index);
            for (index, rule) in self.rules(policy, direction).iter().enumerate() {
                if undecided.is_empty() {
                    break 'policies;
                }
                let matched = rule.peer_match("", peer);
                if matched == Match::No {
                    continue;
                }
                let conns = rule.conns(destination).intersect(undecided);
                if conns.is_empty() {
                    continue;
                }
                if let Match::Unknown(why) = matched {
                    // Whether it decides is unknown; what comes after is evaluated as if it
                    // did not match, and the answer says so.
                    d.unknown.get_or_insert(why);
                    continue;
                }
                *undecided = undecided.subtract(&conns);
                match rule.action {
                    Action::Allow => d.allowed = d.allowed.union(&conns),
                    Action::Deny => {}
                    Action::Pass => passed = passed.union(&conns),
                }
                d.steps.push(Step {
                    rule: RuleRef {
                        policy,
                        direction,
                        index,
                    },
                    layer,
                    action: rule.action,
                    conns,
                });
            }
        }
        *undecided = undecided.union(&passed);
    }
}
