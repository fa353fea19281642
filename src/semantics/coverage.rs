//! Per-direction isolation of workloads (SEMANTICS.md points 1-5) and namespace default denies.
//!
//! Selectors are compiled once and policies are grouped by namespace, so a workload is only
//! ever compared with the policies of its own namespace: the cost is the sum over namespaces of
//! workloads x policies there, never workloads x all policies.

use std::collections::HashMap;

use crate::model::{Direction, Inventory, Labels, NetworkPolicy, Workload};

use super::{PolicyTypes, Selector};

/// A policy with its selector compiled and its effective types resolved.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    /// Index into `Inventory::policies`.
    pub index: usize,
    pub selector: Selector,
    pub types: PolicyTypes,
}

/// Isolation of a workload in one direction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectionVerdict {
    pub isolated: bool,
    /// Indexes of the selecting policies whose effective types include this direction, in
    /// inventory order.
    pub policies: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkloadVerdict {
    pub ingress: DirectionVerdict,
    pub egress: DirectionVerdict,
    /// Every policy that selects the workload, whatever its types (to explain why a selected
    /// workload is still not isolated).
    pub selected_by: Vec<usize>,
}

impl WorkloadVerdict {
    pub fn direction(&self, direction: Direction) -> &DirectionVerdict {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    pub fn covered(&self) -> bool {
        self.ingress.isolated && self.egress.isolated
    }

    fn isolated_directions(&self) -> u8 {
        self.ingress.isolated as u8 + self.egress.isolated as u8
    }
}

/// Whether a namespace holds an empty-selector deny for each direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefaultDeny {
    pub ingress: bool,
    pub egress: bool,
}

impl DefaultDeny {
    pub fn has(self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.ingress,
            Direction::Egress => self.egress,
        }
    }
}

/// The coverage verdicts of one inventory.
#[derive(Debug, Clone)]
pub struct Coverage {
    pub policies: Vec<CompiledPolicy>,
    /// Compiled policy positions (into `policies`) per namespace.
    by_namespace: HashMap<String, Vec<usize>>,
    /// One verdict per `Inventory::workloads` entry.
    pub workloads: Vec<WorkloadVerdict>,
}

impl Coverage {
    /// Evaluates every workload. `include_policy` decides which policies count (invalid ones,
    /// for instance, never reach a cluster).
    pub fn evaluate(inventory: &Inventory, include_policy: impl Fn(usize) -> bool) -> Self {
        let mut policies = Vec::new();
        let mut by_namespace: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, policy) in inventory.policies.iter().enumerate() {
            if !include_policy(index) {
                continue;
            }
            by_namespace
                .entry(policy.namespace.clone())
                .or_default()
                .push(policies.len());
            policies.push(CompiledPolicy {
                index,
                selector: Selector::compile(&policy.pod_selector),
                types: PolicyTypes::of(policy),
            });
        }
        let mut coverage = Coverage {
            policies,
            by_namespace,
            workloads: Vec::new(),
        };
        coverage.workloads = inventory
            .workloads
            .iter()
            .map(|w| coverage.verdict(w))
            .collect();
        coverage
    }

    /// The compiled policies of a namespace.
    pub fn policies_in<'a>(&'a self, namespace: &str) -> impl Iterator<Item = &'a CompiledPolicy> {
        self.by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .map(|&i| &self.policies[i])
    }

    /// The verdict for a workload. With several label sets (pods of one owner mid-rollout), each
    /// is evaluated and the least isolated one is reported.
    pub fn verdict(&self, workload: &Workload) -> WorkloadVerdict {
        let mut worst: Option<WorkloadVerdict> = None;
        for labels in &workload.label_sets {
            let v = self.verdict_for_labels(&workload.namespace, labels, workload.host_network);
            if worst
                .as_ref()
                .is_none_or(|w| v.isolated_directions() < w.isolated_directions())
            {
                worst = Some(v);
            }
        }
        worst.unwrap_or_default()
    }

    /// The verdict for pods with these labels in this namespace.
    pub fn verdict_for_labels(
        &self,
        namespace: &str,
        labels: &Labels,
        host_network: bool,
    ) -> WorkloadVerdict {
        let mut verdict = WorkloadVerdict::default();
        for policy in self.policies_in(namespace) {
            if !policy.selector.matches(labels) {
                continue;
            }
            verdict.selected_by.push(policy.index);
            if policy.types.ingress {
                verdict.ingress.policies.push(policy.index);
            }
            if policy.types.egress {
                verdict.egress.policies.push(policy.index);
            }
        }
        // Host-network pods share the node's network namespace; no common CNI applies
        // NetworkPolicy to them, whatever selects them (SEMANTICS.md point 5).
        verdict.ingress.isolated = !host_network && !verdict.ingress.policies.is_empty();
        verdict.egress.isolated = !host_network && !verdict.egress.policies.is_empty();
        verdict
    }

    /// Namespace default denies: a policy with an empty podSelector, the direction among its
    /// effective types, and no rules for that direction.
    pub fn default_deny(&self, inventory: &Inventory, namespace: &str) -> DefaultDeny {
        let mut deny = DefaultDeny::default();
        for policy in self.policies_in(namespace) {
            let written: &NetworkPolicy = &inventory.policies[policy.index];
            if !policy.selector.matches_everything() {
                continue;
            }
            deny.ingress |= policy.types.ingress && written.ingress.is_empty();
            deny.egress |= policy.types.egress && written.egress.is_empty();
        }
        deny
    }

    /// Number of (counted) policies in a namespace.
    pub fn policy_count(&self, namespace: &str) -> usize {
        self.by_namespace.get(namespace).map_or(0, Vec::len)
    }
}
