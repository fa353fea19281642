//! NPC106 all-namespaces-peer: `namespaceSelector: {}` without a podSelector in the same peer
//! matches every pod of every namespace, present and future: usually far more than meant.
//! The standard DNS rule (every namespace, port 53 only) is reported at info: it names the
//! ports, and the cluster DNS is in a namespace of its own.

use crate::model::{PolicyPort, PortValue};
use crate::report::{Finding, Severity};

use super::{describe_ports, effective_rules, peers_field, valid_policies, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC106",
    name: "all-namespaces-peer",
    severity: Severity::Warning,
    summary: "A peer `namespaceSelector: {}` without a podSelector matches every pod of every namespace",
    explanation: "An empty namespaceSelector matches every namespace, and without a podSelector \
        in the same `from`/`to` item it takes every pod in them: any workload of the cluster, \
        including ones deployed later in namespaces that do not exist yet, may connect (ingress) \
        or be reached (egress), on the ports of the rule. It does not match addresses outside the \
        cluster. Name the namespaces (`kubernetes.io/metadata.name`) and, in the same item, the \
        pods. A rule whose ports are only DNS (53, UDP or TCP) is reported at info: it is the \
        usual way to let pods reach the cluster DNS wherever it runs, and reaches nothing else.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector: {}\n    ports:\n    - port: 5432\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop-api}}\n      podSelector: {matchLabels: {app: api}}\n    ports:\n    - port: 5432\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in valid_policies(ctx) {
        for (d, i, r) in effective_rules(p) {
            let field = peers_field(d);
            for (j, peer) in r.peers.iter().enumerate() {
                let all_namespaces = peer
                    .namespace_selector
                    .as_ref()
                    .is_some_and(|s| s.is_empty());
                if !all_namespaces || peer.pod_selector.is_some() {
                    continue;
                }
                let verb = match d {
                    crate::model::Direction::Ingress => "may connect to the pods it selects",
                    crate::model::Direction::Egress => "can be reached by the pods it selects",
                };
                let dns_only = dns_only(&r.ports);
                let ports = if r.ports.is_empty() {
                    "on every port and protocol".to_owned()
                } else {
                    format!("on {}", describe_ports(&r.ports))
                };
                let dns = if dns_only { " (DNS only)" } else { "" };
                let mut f = RULE.policy_finding(
                    p,
                    format!(
                        "NetworkPolicy {ns}/{name} spec.{dir}[{i}].{field}[{j}] is \
                         `namespaceSelector: {{}}` without a podSelector: every pod of every \
                         namespace {verb} {ports}{dns}",
                        ns = p.namespace,
                        name = p.name,
                        dir = d.lower(),
                    ),
                    format!(
                        "In spec.{dir}[{i}].{field}[{j}], select the namespaces by name \
                         (namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: <namespace>}}}}) \
                         and add a podSelector in the same item for the pods meant.",
                        dir = d.lower(),
                    ),
                );
                if dns_only {
                    f.severity = Severity::Info;
                }
                out.push(f);
            }
        }
    }
    out
}

/// Ports that are all port 53 over UDP or TCP: what the cluster DNS serves.
fn dns_only(ports: &[PolicyPort]) -> bool {
    !ports.is_empty()
        && ports.iter().all(|p| {
            matches!(p.protocol.as_deref(), None | Some("UDP" | "TCP"))
                && p.port == Some(PortValue::Number(53))
                && p.end_port.is_none_or(|e| e == 53)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run, DB_POD as POD};

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn names_the_peer() {
        let f = run(
            &format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector: {{matchLabels: {{app: x}}}}\n    - namespaceSelector: {{}}\n"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "NetworkPolicy shop/p spec.egress[0].to[1] is `namespaceSelector: {}` without a \
             podSelector: every pod of every namespace can be reached by the pods it selects \
             on every port and protocol"
        );
        assert_eq!(f[0].severity, Severity::Warning);
    }

    fn egress(ports: &str) -> String {
        format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector: {{}}\n    ports: {ports}\n")
    }

    #[test]
    fn the_dns_rule_is_info_and_names_its_ports() {
        let f = run(
            &egress("[{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert!(
            f[0].message
                .ends_with("can be reached by the pods it selects on UDP 53, TCP 53 (DNS only)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn other_ports_stay_warnings_and_are_named() {
        for (ports, said) in [
            (
                "[{port: 53, protocol: UDP}, {port: 443}]",
                "on UDP 53, TCP 443",
            ),
            ("[{port: 53, protocol: SCTP}]", "on SCTP 53"),
            ("[{port: 53, endPort: 54}]", "on TCP 53-54"),
            ("[{protocol: UDP}]", "on every UDP port"),
        ] {
            let f = run(&egress(ports), check);
            assert_eq!(f[0].severity, Severity::Warning, "{ports}");
            assert!(f[0].message.ends_with(said), "{}", f[0].message);
        }
    }

    #[test]
    fn with_a_pod_selector_or_a_label_it_is_narrower() {
        let f = run(
            &format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  ingress:\n  - from:\n    - namespaceSelector: {{}}\n      podSelector: {{matchLabels: {{app: prometheus}}}}\n    - namespaceSelector: {{matchLabels: {{team: a}}}}\n"),
            check,
        );
        assert!(f.is_empty(), "{f:#?}");
    }
}
