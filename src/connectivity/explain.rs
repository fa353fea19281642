//! `explain WORKLOAD`: the policies that select it per direction, what their rules let in and
//! out in plain words, and which workloads of the inventory each rule's peers resolve to.

use crate::model::{Direction, WorkloadKind};
use crate::semantics::traffic::{Action, Endpoint};
use crate::semantics::{DirectionVerdict, Isolation, Layer, PolicyId, PolicyTypes, RuleRef};

use super::{describe, Engine};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub workload: usize,
    pub directions: Vec<DirectionExplanation>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectionExplanation {
    pub direction: Direction,
    pub isolated: bool,
    pub host_network: bool,
    /// Policies that select the workload (any type), with their effective types.
    pub selecting: Vec<(usize, PolicyTypes)>,
    /// The rules of the NetworkPolicies that isolate it for this direction.
    pub rules: Vec<RuleExplanation>,
    /// The verdict with every layer (isolation, what decides it).
    pub verdict: DirectionVerdict,
    /// The policies of the layers beyond NetworkPolicy that select it, in evaluation order
    /// with their rules: Admin tier, Cilium policies (in the NetworkPolicy layer), Baseline.
    pub tiers: Vec<TierPolicy>,
}

/// A cluster-scoped or Cilium policy as `explain` walks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierPolicy {
    pub layer: Layer,
    /// A cluster-scoped policy or one rule of a Cilium policy.
    pub policy: PolicyId,
    pub rules: Vec<TierRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierRule {
    pub at: RuleRef,
    pub action: Action,
    pub text: String,
    /// Workloads of the inventory its peers match (inventory indexes, sorted).
    pub peers: Vec<usize>,
    /// Whether its peers match addresses outside the pods.
    pub addresses: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleExplanation {
    pub policy: usize,
    /// 0-based position in `spec.ingress` / `spec.egress`.
    pub index: usize,
    pub text: String,
    /// Workloads of the inventory its peers match (inventory indexes, sorted).
    pub peers: Vec<usize>,
    /// Whether its peers also match addresses outside the pods (ipBlock or no peer list).
    pub addresses: bool,
}

pub fn explain(engine: &Engine<'_>, workload: usize) -> Explanation {
    let w = &engine.inventory.workloads[workload];
    let directions = Direction::BOTH
        .into_iter()
        .map(|direction| {
            // The least isolated pod shape speaks for the workload, as in the check.
            let mut chosen: Option<(DirectionVerdict, super::Member)> = None;
            for m in engine.members_of(workload) {
                let v = engine.verdict(m, direction);
                let weaker = |old: &DirectionVerdict| rank(&v) < rank(old);
                if chosen.as_ref().is_none_or(|(old, _)| weaker(old)) {
                    chosen = Some((v, m));
                }
            }
            let (verdict, member) = chosen.expect("a workload has a pod shape");
            let (isolated, policies) = engine.isolating(member, direction);
            // On a Cilium cluster Cilium's default deny isolates in the same layer.
            let isolated = isolated || verdict.cilium_default_deny();
            let labels = engine.pod(member).labels;
            let selecting: Vec<(usize, PolicyTypes)> = engine
                .coverage
                .policies_in(&w.namespace)
                .filter(|p| p.selector.matches(labels))
                .map(|p| (p.index, p.types))
                .collect();
            let rules = engine
                .side_rules(&policies, direction)
                .map(|(at, rule)| {
                    let pi = at.policy.network().expect("NetworkPolicy rules");
                    let policy = &engine.inventory.policies[pi];
                    let mut peers: Vec<usize> = engine
                        .members()
                        .filter(|&m| {
                            rule.matches_peer(&policy.namespace, &Endpoint::Pod(engine.pod(m)))
                        })
                        .map(|m| m.workload)
                        .collect();
                    peers.dedup();
                    let written = &policy.rules(direction)[at.index];
                    let addresses = written.peers.is_empty()
                        || written.peers.iter().any(|p| p.ip_block.is_some());
                    RuleExplanation {
                        policy: pi,
                        index: at.index,
                        text: describe::rule(written, direction, &policy.namespace),
                        peers,
                        addresses,
                    }
                })
                .collect();
            let host_network = engine.coverage.on_node_network(w);
            let tiers = if host_network {
                Vec::new()
            } else {
                tier_policies(engine, &verdict, direction)
            };
            DirectionExplanation {
                direction,
                isolated,
                host_network,
                selecting,
                rules,
                verdict,
                tiers,
            }
        })
        .collect();
    Explanation {
        workload,
        directions,
    }
}

/// How open a verdict is: the workload is explained by its least isolated pod shape.
fn rank(v: &DirectionVerdict) -> u8 {
    match v.isolation {
        Isolation::Open => 0,
        Isolation::Ambiguous => 1,
        Isolation::PodsOnly => 2,
        Isolation::Isolated => 3,
    }
}

/// The cluster-scoped policies of a verdict, in evaluation order, with their rules resolved.
fn tier_policies(
    engine: &Engine<'_>,
    verdict: &DirectionVerdict,
    direction: Direction,
) -> Vec<TierPolicy> {
    let set = &engine.coverage.set;
    let mut out: Vec<TierPolicy> = verdict
        .cluster()
        .iter()
        .map(|&position| {
            let compiled = &set.cluster()[position];
            let policy = PolicyId::Cluster(compiled.index);
            let written = &engine.inventory.cluster_policies[compiled.index];
            tier_policy(engine, compiled.layer, policy, direction, |at, rule| {
                let w = &written.rules(direction)[at.index];
                let addresses = w.peers.iter().any(|p| {
                    p.networks.is_some()
                        || p.domain_names.is_some()
                        || p.fields().is_empty() && rule.action != Action::Allow
                });
                (super::describe::cluster_rule(w, direction), addresses)
            })
        })
        .collect();
    // Cilium policies sit in the NetworkPolicy layer, between the two tiers.
    let at = out
        .iter()
        .position(|t| t.layer == Layer::Baseline)
        .unwrap_or(out.len());
    let outside: [std::net::IpAddr; 2] = [[203, 0, 113, 1].into(), [10, 1, 2, 3].into()];
    let cilium = verdict.cilium().iter().map(|&position| {
        let policy = set.cilium()[position].id();
        tier_policy(
            engine,
            Layer::NetworkPolicy,
            policy,
            direction,
            |at, rule| {
                let addresses = outside.iter().any(|&ip| {
                    rule.peer_match("", &Endpoint::Address(ip))
                        != crate::semantics::traffic::Match::No
                });
                (describe::rule_ref(engine.inventory, at), addresses)
            },
        )
    });
    out.splice(at..at, cilium);
    if !set.has_calico() {
        return out;
    }
    // On a Calico cluster the layers are Calico's tiers in order (point 21): the Admin and
    // Baseline tiers are `kube-admin` and `kube-baseline`, the NetworkPolicy layer `default`.
    let mut ordered = Vec::with_capacity(out.len() + verdict.calico().len());
    let mut rest = out.into_iter().peekable();
    for (t, tier) in set.calico_tiers().iter().enumerate() {
        use crate::semantics::calico::BuiltinTier;
        let layer = match tier.builtin {
            Some(BuiltinTier::KubeAdmin) => Layer::Admin,
            Some(BuiltinTier::Default) => Layer::NetworkPolicy,
            Some(BuiltinTier::KubeBaseline) => Layer::Baseline,
            None => Layer::Calico,
        };
        while let Some(p) = rest.next_if(|p| p.layer == layer && layer != Layer::Calico) {
            ordered.push(p);
        }
        for &position in verdict
            .calico()
            .iter()
            .filter(|&&p| set.calico()[p].tier == t)
        {
            let policy = PolicyId::Calico(set.calico()[position].index);
            ordered.push(tier_policy(engine, layer, policy, direction, |at, rule| {
                let addresses = outside.iter().any(|&ip| {
                    rule.peer_match("", &Endpoint::Address(ip))
                        != crate::semantics::traffic::Match::No
                });
                (describe::rule_ref(engine.inventory, at), addresses)
            }));
        }
    }
    ordered.extend(rest);
    ordered
}

/// A policy of the layers with its rules resolved: `words` gives each rule's description and
/// whether its peers match addresses outside the pods.
fn tier_policy(
    engine: &Engine<'_>,
    layer: Layer,
    policy: PolicyId,
    direction: Direction,
    words: impl Fn(RuleRef, &crate::semantics::traffic::CompiledRule) -> (String, bool),
) -> TierPolicy {
    let rules = engine
        .rules(policy, direction)
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            let at = RuleRef {
                policy,
                direction,
                index,
            };
            let mut peers: Vec<usize> = engine
                .members()
                .filter(|&m| rule.matches_peer("", &Endpoint::Pod(engine.pod(m))))
                .map(|m| m.workload)
                .collect();
            peers.dedup();
            let (text, addresses) = words(at, rule);
            TierRule {
                at,
                action: rule.action,
                text,
                peers,
                addresses,
            }
        })
        .collect();
    TierPolicy {
        layer,
        policy,
        rules,
    }
}

/// `deploy/web`, as kubectl spells it.
pub fn short_kind(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "deploy",
        WorkloadKind::StatefulSet => "sts",
        WorkloadKind::DaemonSet => "ds",
        WorkloadKind::ReplicaSet => "rs",
        WorkloadKind::ReplicationController => "rc",
        WorkloadKind::CronJob => "cj",
        WorkloadKind::Pod => "pod",
        WorkloadKind::Job => "job",
    }
}
