//! NPC002 host-network-workload: pods on the node's network, which NetworkPolicy cannot isolate
//! on any common CNI, whatever selects them (SEMANTICS.md point 5).

use crate::report::{Finding, Severity};

use super::{Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC002",
    name: "host-network-workload",
    severity: Severity::Warning,
    summary: "A workload uses hostNetwork, which NetworkPolicy cannot isolate",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    ctx.inventory
        .workloads
        .iter()
        .filter(|w| w.host_network)
        .map(|w| {
            RULE.finding(
                &w.namespace,
                w.kind.as_str(),
                &w.name,
                &w.origin,
                format!(
                    "{} {}/{} uses hostNetwork: NetworkPolicy cannot isolate its pods, whatever selects them",
                    w.kind, w.namespace, w.name
                ),
                "Drop hostNetwork unless the pods need the node's network; otherwise protect the \
                 node itself (host firewall, Calico HostEndpoint or Cilium host policies)."
                    .to_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{policy, workload};
    use crate::model::Inventory;
    use crate::semantics::Coverage;

    #[test]
    fn fires_on_host_network_even_when_selected() {
        let mut w = workload("mon", "node-exporter", &[]);
        w.host_network = true;
        let inv = Inventory {
            workloads: vec![w, workload("mon", "web", &[])],
            policies: vec![policy(
                "mon",
                "deny",
                &[],
                Some(&["Ingress", "Egress"]),
                0,
                0,
            )],
            ..Default::default()
        };
        let coverage = Coverage::evaluate(&inv, |_| true);
        let f = check(&Context {
            inventory: &inv,
            coverage: &coverage,
            namespaces: &[],
            cni: None,
        });
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].object, "node-exporter");
        assert_eq!(f[0].severity, Severity::Warning);
    }
}
