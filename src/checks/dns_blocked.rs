//! NPC108 dns-blocked: an egress-isolated workload whose policies do not allow port 53 cannot
//! resolve names: the most common outage caused by a new egress policy. TCP matters as well as
//! UDP: large answers (DNSSEC, many records) are retried over TCP.

use std::net::{IpAddr, Ipv4Addr};

use rayon::prelude::*;

use crate::model::{ContainerPort, Labels, Protocol, Workload, NAMESPACE_NAME_LABEL};
use crate::report::{Finding, Severity};
use crate::semantics::traffic::{CompiledRule, Endpoint, PodRef, Port};

use super::{Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC108",
    name: "dns-blocked",
    severity: Severity::Warning,
    summary: "An egress-isolated workload cannot reach DNS on port 53 (UDP and/or TCP)",
    explanation: "Once a policy isolates a pod for egress, everything not explicitly allowed is \
        dropped, DNS included: the pod can no longer resolve service names, which usually shows \
        up as timeouts far from the policy that caused them. DNS needs UDP port 53, and TCP port \
        53 for answers too large for UDP. The rule evaluates the egress rules of the policies \
        that isolate the workload against a cluster DNS pod (`k8s-app: kube-dns` in kube-system, \
        with ports named `dns`/UDP and `dns-tcp`/TCP) and against the addresses 10.96.0.10 (a \
        typical DNS service IP, in case a node-local or ipBlock rule is used) and 8.8.8.8; a \
        protocol counts as allowed if any of them is reachable on port 53. hostNetwork \
        workloads are not isolated and are not reported.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-egress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector: {matchLabels: {app: db}}\n    ports:\n    - port: 5432\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-egress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector: {matchLabels: {app: db}}\n    ports:\n    - port: 5432\n  - to:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}\n      podSelector: {matchLabels: {k8s-app: kube-dns}}\n    ports:\n    - {port: 53, protocol: UDP}\n    - {port: 53, protocol: TCP}\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let dns_labels: Labels = [("k8s-app".to_owned(), "kube-dns".to_owned())].into();
    let dns_ns_labels: Labels =
        [(NAMESPACE_NAME_LABEL.to_owned(), "kube-system".to_owned())].into();
    let dns_ports = [
        ContainerPort {
            name: Some("dns".into()),
            port: 53,
            protocol: Some("UDP".into()),
        },
        ContainerPort {
            name: Some("dns-tcp".into()),
            port: 53,
            protocol: Some("TCP".into()),
        },
    ];
    let dns_pod = Endpoint::Pod(PodRef {
        namespace: "kube-system",
        labels: &dns_labels,
        namespace_labels: &dns_ns_labels,
        ports: &dns_ports,
        service_account: "default",
        node_network: false,
        anonymous: false,
    });
    let destinations = [
        dns_pod,
        Endpoint::Address(IpAddr::V4(Ipv4Addr::new(10, 96, 0, 10))),
        Endpoint::Address(IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8))),
    ];
    // Whether a policy lets DNS out depends on the policy alone: worked out once per policy, not
    // per workload it isolates (40,000 findings on a large run), on every core.
    let protocols = [Protocol::Udp, Protocol::Tcp];
    let allowed: Vec<[bool; 2]> = ctx
        .inventory
        .policies
        .par_iter()
        .enumerate()
        .map(|(i, policy)| {
            if !ctx.coverage.includes(i) {
                return [false; 2];
            }
            let rules: Vec<CompiledRule> =
                policy.egress.iter().map(CompiledRule::compile).collect();
            protocols.map(|protocol| {
                let port = Port {
                    protocol,
                    number: 53,
                };
                rules.iter().any(|r| {
                    destinations
                        .iter()
                        .any(|d| r.allows(&policy.namespace, d, d, port))
                })
            })
        })
        .collect();
    let isolated = |v: &crate::semantics::WorkloadVerdict, w: &Workload| {
        !ctx.coverage.on_node_network(w) && v.egress.isolated
    };
    // With cluster-scoped tiers or Cilium policies the layered walk decides (point 12). Its
    // answer depends only on the policies that select the workload, which most workloads share:
    // walked once per distinct set (100,000 walks under 200 cluster-scoped policies were a
    // quarter of a run), the first time a core meets it. Numbering the sets first, on one
    // core, kept the other idle at the end of the checks.
    let walked: std::sync::Mutex<foldhash::HashMap<SideKey<'_>, Vec<Protocol>>> =
        Default::default();
    let walk = |e: &crate::semantics::DirectionVerdict| -> Vec<Protocol> {
        let side = ctx.coverage.side_policies(e);
        protocols
            .into_iter()
            .filter(|&protocol| {
                !destinations.iter().any(|d| {
                    ctx.coverage
                        .set
                        .decide(
                            &side,
                            crate::model::Direction::Egress,
                            d,
                            d,
                            &crate::semantics::ConnSet::range(protocol, 53, 53),
                            crate::semantics::decide::Walk::default(),
                        )
                        .allowed
                        .contains(protocol, 53)
                })
            })
            .collect()
    };
    let lock = || walked.lock().unwrap_or_else(|e| e.into_inner());
    (ctx.inventory.workloads.par_iter())
        .zip(&ctx.coverage.workloads)
        .filter(|(w, v)| isolated(v, w))
        .filter_map(|(w, v)| {
            let e = &v.egress;
            let missing: Vec<Protocol> = if !layered(e) {
                (0..protocols.len())
                    .filter(|&p| !e.policies.iter().any(|&i| allowed[i][p]))
                    .map(|p| protocols[p])
                    .collect()
            } else {
                let key = (e.policies.as_slice(), e.layers_key());
                // Walked outside the lock: another core may walk the same set meanwhile,
                // for the same answer.
                let known = lock().get(&key).cloned();
                known.unwrap_or_else(|| {
                    let missing = walk(e);
                    lock().insert(key, missing.clone());
                    missing
                })
            };
            (!missing.is_empty()).then(|| finding(ctx, w, e, &missing))
        })
        .collect()
}

/// What a side's DNS verdict depends on: its NetworkPolicies, and its shared layer detail
/// (cluster-scoped policies, Cilium rules and default deny, Calico policies and their rules'
/// own-end conditions), one value per distinct content: a pointer hashes and compares faster
/// than five lists, for each of 100,000 workloads.
type SideKey<'v> = (&'v [usize], Option<usize>);

/// Whether layers beyond NetworkPolicies take part in the side.
fn layered(v: &crate::semantics::DirectionVerdict) -> bool {
    !v.cluster().is_empty()
        || !v.cilium().is_empty()
        || v.cilium_default_deny()
        || !v.calico().is_empty()
}

fn finding(
    ctx: &Context<'_>,
    w: &Workload,
    egress: &crate::semantics::DirectionVerdict,
    missing: &[Protocol],
) -> Finding {
    // Borrowed: not a copy of each name for each of up to 100,000 findings.
    let mut names: Vec<&str> = egress
        .policies
        .iter()
        .map(|&i| ctx.inventory.policies[i].name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let decided: String;
    let mut cilium = false;
    if names.is_empty() {
        // Isolated by a cluster-scoped tier, a Cilium or a Calico policy alone: the verdict
        // reported says which (working it out again for 100,000 workloads was a tenth of a
        // run).
        let policy = match egress.decided_by() {
            Some(crate::semantics::DecidedBy::Rule { rule, .. }) => Some(rule.policy),
            Some(crate::semantics::DecidedBy::CiliumDefaultDeny(id)) => Some(*id),
            Some(crate::semantics::DecidedBy::CalicoTier { policy, .. }) => Some(*policy),
            _ => None,
        };
        cilium = matches!(policy, Some(crate::semantics::PolicyId::Cilium { .. }))
            || matches!(
                egress.decided_by(),
                Some(&crate::semantics::DecidedBy::CiliumMode)
            );
        decided = match policy {
            Some(id) => crate::connectivity::describe::policy_name(ctx.inventory, id),
            None => "its policies".to_owned(),
        };
        names.push(&decided);
    }
    let protocols = match missing {
        [one] => one.as_str(),
        _ => "UDP or TCP",
    };
    let effect = if missing.contains(&Protocol::Udp) {
        "name resolution fails"
    } else {
        "lookups whose answers are too large for UDP fail"
    };
    let by = match names.as_slice() {
        [one] => std::borrow::Cow::Borrowed(*one),
        _ => std::borrow::Cow::Owned(names.join(", ")),
    };
    let message = crate::text::concat(&[
        w.kind.as_str(),
        " ",
        &w.namespace,
        "/",
        &w.name,
        " is isolated for egress (by ",
        &by,
        ") and no egress rule lets it reach DNS on port 53 over ",
        protocols,
        ": ",
        effect,
    ]);
    let remediation = if cilium {
        // Cilium's form (docs.cilium.io, "Layer 3 policies", DNS): its peers are confined to
        // the policy's namespace unless they name one.
        crate::text::concat(&[
            "Add an egress rule to ",
            names[0],
            " (or a namespace-wide policy) with toEndpoints: [{matchLabels: \
             {io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}] and toPorts: \
             [{ports: [{port: \"53\", protocol: ANY}]}].",
        ])
    } else {
        crate::text::concat(&[
            "Add an egress rule to ",
            names[0],
            " (or a namespace-wide policy) with to: [{namespaceSelector: {matchLabels: \
             {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: \
             {k8s-app: kube-dns}}}] and ports 53/UDP and 53/TCP.",
        ])
    };
    RULE.finding(
        &w.namespace,
        w.kind.as_str(),
        &w.name,
        &w.origin,
        message,
        remediation,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run};

    fn yaml(egress: &str) -> String {
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: api}}}}\n  template:\n    metadata: {{labels: {{app: api}}}}\n    spec: {{containers: [{{name: api, image: api}}]}}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: api-egress, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress: {egress}\n")
    }

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn a_default_deny_blocks_both() {
        let f = run(&yaml("[]"), check);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, "Deployment");
        assert_eq!(
            f[0].message,
            "Deployment shop/api is isolated for egress (by api-egress) and no egress rule lets \
             it reach DNS on port 53 over UDP or TCP: name resolution fails"
        );
    }

    #[test]
    fn says_which_protocol_is_missing() {
        let f = run(&yaml("[{ports: [{port: 53, protocol: UDP}]}]"), check);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .ends_with("over TCP: lookups whose answers are too large for UDP fail"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn allowed_ways_to_dns() {
        for egress in [
            "[{}]",
            "[{ports: [{port: 53, protocol: UDP}, {port: 53}]}]",
            "[{to: [{namespaceSelector: {}}], ports: [{port: dns, protocol: UDP}, {port: dns-tcp}]}]",
            "[{to: [{ipBlock: {cidr: 10.96.0.10/32}}], ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]}]",
            "[{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}], ports: [{port: 1, endPort: 100, protocol: UDP}, {protocol: TCP}]}]",
        ] {
            assert!(run(&yaml(egress), check).is_empty(), "{egress}");
        }
    }

    #[test]
    fn cilium_rules_are_walked() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: shop, labels: {app: api}}\nspec: {containers: [{name: api, image: api}]}\n---\n";
        let cnp = |name: &str, egress: &str| {
            format!("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  endpointSelector: {{}}\n  egress: {egress}\n---\n")
        };
        let deny = cnp("deny-all-egress", "[{}]");
        let f = run(&format!("{pod}{deny}"), check);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].remediation.contains("toEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}]"),
            "the fix is in Cilium's form: {f:#?}"
        );
        // Cilium's documented DNS allow, in another policy.
        let dns = cnp(
            "allow-dns",
            "[{toEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}], toPorts: [{ports: [{port: '53', protocol: ANY}]}]}]",
        );
        let f = run(&format!("{pod}{deny}{dns}"), check);
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn wrong_namespace_or_labels_do_not_reach_dns() {
        let f = run(&yaml("[{to: [{podSelector: {matchLabels: {k8s-app: kube-dns}}}], ports: [{port: 53, protocol: UDP}, {port: 53}]}]"), check);
        assert_eq!(
            f.len(),
            1,
            "a podSelector alone looks in shop, not kube-system"
        );
    }

    #[test]
    fn host_network_and_unisolated_workloads_are_skipped() {
        let hn = "apiVersion: v1\nkind: Pod\nmetadata: {name: agent, namespace: shop}\nspec: {hostNetwork: true, containers: [{name: a, image: a}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n";
        assert!(run(hn, check).is_empty());
        let ingress_only = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {containers: [{name: a, image: a}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec:\n  podSelector: {}\n";
        assert!(run(ingress_only, check).is_empty());
    }
}
