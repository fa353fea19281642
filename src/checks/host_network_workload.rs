//! NPC002 host-network-workload: pods on the node's network, which NetworkPolicy cannot isolate
//! on any common CNI, whatever selects them (SEMANTICS.md point 5).

use crate::report::{Finding, Severity};

use super::{Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC002",
    name: "host-network-workload",
    severity: Severity::Warning,
    summary: "A workload uses hostNetwork, which NetworkPolicy cannot isolate",
    explanation: "Pods with hostNetwork: true share their node's network namespace. No common CNI \
        applies NetworkPolicy to them: a policy may select them, but they stay reachable on every \
        port they listen on, and can reach anything the node can. They are counted apart from \
        uncovered workloads because no policy can fix them; only dropping hostNetwork or host-level \
        firewalling can. On a CNI that polices hostNetwork pods like any pod (OVN-Kubernetes), \
        run with --host-network=pod: this rule is then silent and NPC001 covers them.",
    bad_example: "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: exporter\n  namespace: monitoring\nspec:\n  selector: {matchLabels: {app: exporter}}\n  template:\n    metadata: {labels: {app: exporter}}\n    spec:\n      hostNetwork: true\n      containers: [{name: exporter, image: prom/node-exporter}]\n",
    good_example: "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: exporter\n  namespace: monitoring\nspec:\n  selector: {matchLabels: {app: exporter}}\n  template:\n    metadata: {labels: {app: exporter}}\n    spec:\n      containers: [{name: exporter, image: prom/node-exporter}]\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    ctx.inventory
        .workloads
        .iter()
        .filter(|w| ctx.coverage.on_node_network(w))
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
        let f = check(&Context::new(&inv, &coverage, &[], None));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].object, "node-exporter");
        assert_eq!(f[0].severity, Severity::Warning);
        // The pod model: policies isolate it like any pod, nothing to warn about.
        let coverage = Coverage::evaluate_with(&inv, |_| true, crate::semantics::HostNetwork::Pod);
        assert!(check(&Context::new(&inv, &coverage, &[], None)).is_empty());
    }
}
