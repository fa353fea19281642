//! NPC113 unresolved-named-port: a named port in a policy rule that no destination pod of the
//! rule defines (with that name and protocol) matches nothing, so the traffic it was meant to
//! allow stays blocked. A named port never matches an ipBlock destination either.

use std::collections::HashMap;

use crate::model::{
    Direction, Labels, Namespace, NetworkPolicy, Peer, PolicyPort, PortValue, Workload,
};
use crate::report::{Finding, Severity};
use crate::semantics::Selector;

use super::{effective_rules, peers_field, valid_policies, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC113",
    name: "unresolved-named-port",
    severity: Severity::Warning,
    summary: "A named port in a rule is defined by no destination pod of that rule",
    explanation: "A named port (`port: http`) is resolved against the container ports of the \
        destination pod, for ingress and egress rules alike: the name and the protocol (TCP when \
        not written, on both sides) must both match. When no destination pod defines that name, \
        the port matches nothing and the traffic the rule was written for stays blocked, \
        silently. The destinations of an ingress rule are the workloads the policy selects; \
        those of an egress rule are the workloads its peers match (every workload when it has \
        no peers). A named port can never match an ipBlock destination, so an egress rule whose \
        peers are only ipBlocks is reported too. Rules whose destinations match no workload in \
        scope are not reported (there is nothing to resolve against).",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web}\nspec:\n  containers:\n  - name: web\n    image: nginx\n    ports:\n    - {name: http, containerPort: 8080}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress:\n  - ports:\n    - port: web\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web}\nspec:\n  containers:\n  - name: web\n    image: nginx\n    ports:\n    - {name: http, containerPort: 8080}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress:\n  - ports:\n    - port: http\n",
};

/// The labels of every namespace in the inventory: the listed ones, and the ones only seen on
/// workloads or policies, and the namespaces every cluster has, out of scope or not (those carry
/// just `kubernetes.io/metadata.name`).
pub(super) fn namespace_labels(ctx: &Context<'_>) -> HashMap<String, Labels> {
    let mut out: HashMap<String, Labels> = ctx
        .inventory
        .namespaces
        .iter()
        .map(|n| (n.name.clone(), n.labels.clone()))
        .collect();
    let seen = ctx
        .inventory
        .workloads
        .iter()
        .map(|w| w.namespace.as_str())
        .chain(ctx.namespaces.iter().map(String::as_str))
        .chain(crate::analysis::SYSTEM_NAMESPACES)
        .chain(["default"]);
    for ns in seen {
        out.entry(ns.to_owned())
            .or_insert_with(|| Namespace::implicit(ns).labels);
    }
    out
}

/// Whether a selector peer (podSelector and/or namespaceSelector, no ipBlock) matches a
/// workload, for a policy in `policy_namespace`.
pub(super) fn peer_matches_workload(
    peer: &Peer,
    policy_namespace: &str,
    w: &Workload,
    namespaces: &HashMap<String, Labels>,
) -> bool {
    if peer.ip_block.is_some() {
        return false;
    }
    let namespace_ok = match &peer.namespace_selector {
        Some(sel) => namespaces
            .get(&w.namespace)
            .is_some_and(|l| Selector::compile(sel).matches(l)),
        None => w.namespace == policy_namespace,
    };
    namespace_ok
        && match &peer.pod_selector {
            None => true,
            Some(sel) => {
                let s = Selector::compile(sel);
                w.label_sets.iter().any(|l| s.matches(l))
            }
        }
}

fn selected_by(policy: &NetworkPolicy, w: &Workload) -> bool {
    let s = Selector::compile(&policy.pod_selector);
    w.namespace == policy.namespace && w.label_sets.iter().any(|l| s.matches(l))
}

fn defines(w: &Workload, name: &str, protocol: &str) -> bool {
    w.ports.iter().any(|cp| {
        cp.name.as_deref() == Some(name) && cp.protocol.as_deref().unwrap_or("TCP") == protocol
    })
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let namespaces = namespace_labels(ctx);
    let mut out = Vec::new();
    for p in valid_policies(ctx) {
        for (direction, index, rule) in effective_rules(p) {
            let named: Vec<(&PolicyPort, &str)> = rule
                .ports
                .iter()
                .filter_map(|pp| match &pp.port {
                    Some(PortValue::Name(n)) => Some((pp, n.as_str())),
                    _ => None,
                })
                .collect();
            if named.is_empty() {
                continue;
            }
            let field = format!("spec.{}[{index}]", direction.lower());
            let ip_only = direction == Direction::Egress
                && !rule.peers.is_empty()
                && rule.peers.iter().all(|peer| peer.ip_block.is_some());
            if ip_only {
                for (pp, name) in &named {
                    let proto = pp.protocol.as_deref().unwrap_or("TCP");
                    out.push(RULE.policy_finding(
                        p,
                        format!(
                            "NetworkPolicy {ns}/{pname} {field} allows the named port {proto} \
                             {name} to ipBlock peers only: a named port never matches an \
                             address outside the pods, so this port allows nothing",
                            ns = p.namespace,
                            pname = p.name,
                        ),
                        format!(
                            "Replace the named port {name} in {field}.ports with the port \
                             number the external destination listens on."
                        ),
                    ));
                }
                continue;
            }
            let destinations: Vec<&Workload> = match direction {
                Direction::Ingress => ctx
                    .inventory
                    .workloads
                    .iter()
                    .filter(|w| selected_by(p, w))
                    .collect(),
                Direction::Egress => ctx
                    .inventory
                    .workloads
                    .iter()
                    .filter(|w| {
                        rule.peers.is_empty()
                            || rule.peers.iter().any(|peer| {
                                peer_matches_workload(peer, &p.namespace, w, &namespaces)
                            })
                    })
                    .collect(),
            };
            if destinations.is_empty() {
                continue;
            }
            for (pp, name) in &named {
                let proto = pp.protocol.as_deref().unwrap_or("TCP");
                if destinations.iter().any(|w| defines(w, name, proto)) {
                    continue;
                }
                let names: Vec<String> = destinations
                    .iter()
                    .take(3)
                    .map(|w| format!("{} {}/{}", w.kind, w.namespace, w.name))
                    .collect();
                let more = if destinations.len() > 3 {
                    format!(" and {} more", destinations.len() - 3)
                } else {
                    String::new()
                };
                let role = match direction {
                    Direction::Ingress => "the pods it selects",
                    Direction::Egress => "the pods its peers match",
                };
                out.push(RULE.policy_finding(
                    p,
                    format!(
                        "NetworkPolicy {ns}/{pname} {field} allows the named port {proto} {name}, \
                         which no destination pod defines ({names}{more}): the port matches \
                         nothing and this traffic stays blocked",
                        ns = p.namespace,
                        pname = p.name,
                        names = names.join(", "),
                    ),
                    format!(
                        "Use a container port name that {role} define with protocol {proto} (or \
                         the port number), or name the container port {name} in the workloads; \
                         check {field}.{peers} as well.",
                        peers = peers_field(direction),
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run};

    const PODS: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: data, labels: {app: db}}\nspec: {containers: [{name: db, image: pg, ports: [{name: pg, containerPort: 5432}]}]}\n---\n";

    fn policy(spec: &str) -> String {
        format!("{PODS}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n{spec}")
    }

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn ingress_resolves_on_the_selected_pods() {
        let f = run(
            &policy(
                "  podSelector: {matchLabels: {app: web}}\n  ingress: [{ports: [{port: pg}]}]\n",
            ),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "NetworkPolicy shop/p spec.ingress[0] allows the named port TCP pg, which no \
             destination pod defines (Pod shop/web): the port matches nothing and this traffic \
             stays blocked"
        );
        assert!(run(
            &policy(
                "  podSelector: {matchLabels: {app: web}}\n  ingress: [{ports: [{port: http}]}]\n"
            ),
            check
        )
        .is_empty());
    }

    #[test]
    fn protocol_must_match_too() {
        let f = run(
            &policy("  podSelector: {}\n  ingress: [{ports: [{port: dns}]}]\n"),
            check,
        );
        assert_eq!(f.len(), 1, "dns is UDP, the rule asks TCP");
        assert!(run(
            &policy("  podSelector: {}\n  ingress: [{ports: [{port: dns, protocol: UDP}]}]\n"),
            check
        )
        .is_empty());
    }

    #[test]
    fn egress_resolves_on_the_peers() {
        let to_db = "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: data}}}], ports: [{port: PORT}]}]\n";
        assert!(run(&policy(&to_db.replace("PORT", "pg")), check).is_empty());
        assert_eq!(run(&policy(&to_db.replace("PORT", "http")), check).len(), 1);
        // No peers: every workload is a destination.
        let any =
            "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{ports: [{port: PORT}]}]\n";
        assert!(run(&policy(&any.replace("PORT", "pg")), check).is_empty());
        assert_eq!(run(&policy(&any.replace("PORT", "nope")), check).len(), 1);
    }

    #[test]
    fn ipblock_only_peers_always_fire() {
        let f = run(
            &policy("  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: http}]}]\n"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("ipBlock peers only"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn silent_without_destinations_or_named_ports() {
        // The peer matches no workload: NPC111's business, nothing to resolve against.
        assert!(run(
            &policy("  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{podSelector: {matchLabels: {app: ghost}}}], ports: [{port: x}]}]\n"),
            check
        )
        .is_empty());
        assert!(run(
            &policy("  podSelector: {}\n  ingress: [{ports: [{port: 8080}]}]\n"),
            check
        )
        .is_empty());
        // An ingress rule in a policy without Ingress in its types is inert.
        assert!(run(
            &policy(
                "  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{ports: [{port: x}]}]\n"
            ),
            check
        )
        .is_empty());
    }
}
