//! Checks: one file per rule, each with its own tests. A check reads the analysed inventory and
//! returns findings; suppression, filtering and ordering happen in [`crate::analysis`].

pub mod cni_without_policy_enforcement;
pub mod host_network_workload;
pub mod namespace_without_default_deny;
pub mod uncovered_workload;

use crate::model::{Inventory, Origin};
use crate::report::{Finding, Severity};
use crate::semantics::Coverage;

/// A rule's stable identity and default severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
}

impl Rule {
    /// A finding of this rule about one object.
    pub fn finding(
        &self,
        namespace: &str,
        kind: &str,
        object: &str,
        origin: &Origin,
        message: String,
        remediation: String,
    ) -> Finding {
        Finding {
            rule: self.id.to_owned(),
            name: self.name.to_owned(),
            severity: self.severity,
            namespace: Some(namespace.to_owned()),
            kind: kind.to_owned(),
            object: object.to_owned(),
            message,
            remediation,
            file: origin.file.as_deref().map(str::to_owned),
            line: origin.line,
            suppression_reason: None,
        }
    }
}

/// What every check reads.
pub struct Context<'a> {
    pub inventory: &'a Inventory,
    pub coverage: &'a Coverage,
    /// Every namespace in scope, sorted.
    pub namespaces: &'a [String],
    /// The cluster's CNI plugin, when known (cluster mode).
    pub cni: Option<&'a crate::cni::Cni>,
}

/// Every rule, in id order.
pub const RULES: &[Rule] = &[
    uncovered_workload::RULE,
    host_network_workload::RULE,
    namespace_without_default_deny::RULE,
    cni_without_policy_enforcement::RULE,
];

/// Runs every check.
pub fn run_all(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = uncovered_workload::check(ctx);
    out.extend(host_network_workload::check(ctx));
    out.extend(namespace_without_default_deny::check(ctx));
    out.extend(cni_without_policy_enforcement::check(ctx));
    out
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Small inventories for the checks' tests.
    use crate::model::*;

    pub fn workload(ns: &str, name: &str, labels: &[(&str, &str)]) -> Workload {
        Workload {
            kind: WorkloadKind::Deployment,
            namespace: ns.into(),
            name: name.into(),
            label_sets: vec![labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()],
            pods: 1,
            host_network: false,
            ports: vec![],
            suppression: Suppression::default(),
            origin: Origin::default(),
        }
    }

    pub fn policy(
        ns: &str,
        name: &str,
        selector: &[(&str, &str)],
        types: Option<&[&str]>,
        ingress_rules: usize,
        egress_rules: usize,
    ) -> NetworkPolicy {
        NetworkPolicy {
            namespace: ns.into(),
            name: name.into(),
            pod_selector: LabelSelector {
                match_labels: selector
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                match_expressions: vec![],
            },
            policy_types: types.map(|t| t.iter().map(|s| s.to_string()).collect()),
            ingress: vec![Rule::default(); ingress_rules],
            egress: vec![Rule::default(); egress_rules],
            suppression: Suppression::default(),
            origin: Origin::default(),
        }
    }
}
