//! NPC113 unresolved-named-port: a named port in a policy rule that no destination pod of the
//! rule defines (with that name and protocol) matches nothing, so the traffic it was meant to
//! allow stays blocked. A named port never matches an ipBlock destination either.

use std::collections::HashMap;
use std::rc::Rc;

use crate::model::{Direction, Peer, PolicyPort, PortValue, Workload};
use crate::report::{Finding, Severity};
use crate::semantics::Selector;

use super::index::{namespace_labels, NamespaceIndex};
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

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let labels = namespace_labels(ctx);
    let namespaces = NamespaceIndex::new(&labels);
    // Grouped once: filtering every workload of the cluster for each rule was the whole cost
    // of a 100,000-workload run.
    let mut by_namespace: HashMap<&str, Vec<&Workload>> = HashMap::new();
    // The workloads that define each (port name, protocol): resolving a named port only looks
    // at those.
    let mut by_port: HashMap<(&str, &str, &str), Vec<&Workload>> = HashMap::new();
    for w in &ctx.inventory.workloads {
        by_namespace
            .entry(w.namespace.as_str())
            .or_default()
            .push(w);
        for cp in &w.ports {
            if let Some(name) = cp.name.as_deref() {
                let proto = cp.protocol.as_deref().unwrap_or("TCP");
                let list = by_port
                    .entry((w.namespace.as_str(), name, proto))
                    .or_default();
                if !list.last().is_some_and(|last| std::ptr::eq(*last, w)) {
                    list.push(w);
                }
            }
        }
    }
    // Sorted, so that the destinations named in messages do not depend on a hash map's order.
    let mut with_workloads: Vec<&str> = by_namespace.keys().copied().collect();
    with_workloads.sort_unstable();
    let with_workloads: Rc<[&str]> = with_workloads.into();
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
            // Compiled once per rule; a workload is a destination when this says so.
            let policy_pods = Selector::compile(&p.pod_selector);
            let peers: Vec<(Option<Selector>, Option<Selector>)> = rule
                .peers
                .iter()
                .filter(|peer| peer.ip_block.is_none())
                .map(|peer| {
                    (
                        peer.namespace_selector.as_ref().map(Selector::compile),
                        peer.pod_selector.as_ref().map(Selector::compile),
                    )
                })
                .collect();
            let is_destination = |w: &Workload| match direction {
                Direction::Ingress => {
                    w.namespace == p.namespace
                        && w.label_sets.iter().any(|l| policy_pods.matches(l))
                }
                Direction::Egress => {
                    rule.peers.is_empty()
                        || peers.iter().any(|(ns, pods)| {
                            let ns_ok = match ns {
                                Some(s) => namespaces
                                    .labels(&w.namespace)
                                    .is_some_and(|l| s.matches(l)),
                                None => w.namespace == p.namespace,
                            };
                            ns_ok
                                && pods
                                    .as_ref()
                                    .is_none_or(|s| w.label_sets.iter().any(|l| s.matches(l)))
                        })
                }
            };
            // The namespaces the rule's destinations can be in.
            let pod_peers: Vec<&Peer> = rule
                .peers
                .iter()
                .filter(|peer| peer.ip_block.is_none())
                .collect();
            let reach: Rc<[&str]> = match direction {
                Direction::Ingress => Rc::from([p.namespace.as_str()]),
                Direction::Egress if rule.peers.is_empty() => with_workloads.clone(),
                Direction::Egress => match pod_peers.as_slice() {
                    [Peer {
                        namespace_selector: Some(sel),
                        ..
                    }] => namespaces.matching(sel),
                    _ => {
                        let mut spaces: Vec<&str> = Vec::new();
                        for peer in &pod_peers {
                            match &peer.namespace_selector {
                                None => spaces.push(p.namespace.as_str()),
                                Some(sel) => spaces.extend(namespaces.matching(sel).iter()),
                            }
                        }
                        spaces.sort_unstable();
                        spaces.dedup();
                        spaces.into()
                    }
                },
            };
            let unresolved: Vec<&(&PolicyPort, &str)> = named
                .iter()
                .filter(|(pp, name)| {
                    let proto = pp.protocol.as_deref().unwrap_or("TCP");
                    !reach.iter().any(|ns| {
                        by_port
                            .get(&(*ns, *name, proto))
                            .is_some_and(|ws| ws.iter().any(|w| is_destination(w)))
                    })
                })
                .collect();
            if unresolved.is_empty() {
                continue;
            }
            // For the message: a few of the destinations (four tell "and more" apart).
            let destinations: Vec<&Workload> = reach
                .iter()
                .flat_map(|ns| by_namespace.get(ns).into_iter().flatten().copied())
                .filter(|w| is_destination(w))
                .take(4)
                .collect();
            if destinations.is_empty() {
                continue;
            }
            for (pp, name) in unresolved {
                let proto = pp.protocol.as_deref().unwrap_or("TCP");
                let names: Vec<String> = destinations
                    .iter()
                    .take(3)
                    .map(|w| format!("{} {}/{}", w.kind, w.namespace, w.name))
                    .collect();
                let more = if destinations.len() > 3 {
                    " and more".to_owned()
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
