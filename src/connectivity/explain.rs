//! `explain WORKLOAD`: the policies that select it per direction, what their rules let in and
//! out in plain words, and which workloads of the inventory each rule's peers resolve to.

use crate::model::{Direction, WorkloadKind};
use crate::semantics::traffic::Endpoint;
use crate::semantics::PolicyTypes;

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
    /// The rules of the policies that isolate it for this direction.
    pub rules: Vec<RuleExplanation>,
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
            let mut chosen = None;
            for m in engine.members_of(workload) {
                let (isolated, policies) = engine.isolating(m, direction);
                if chosen.as_ref().is_none_or(|(i, _, _)| *i && !isolated) {
                    chosen = Some((isolated, policies, m));
                }
            }
            let (isolated, policies, member) = chosen.expect("a workload has a pod shape");
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
            DirectionExplanation {
                direction,
                isolated,
                host_network: engine.coverage.on_node_network(w),
                selecting,
                rules,
            }
        })
        .collect();
    Explanation {
        workload,
        directions,
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
