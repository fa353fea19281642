//! NPC202 admin-allow-overrides-isolation: an Admin-tier Accept/Allow of every peer above
//! pods that NetworkPolicies isolate. The Admin tier decides first (SEMANTICS.md point 12), so
//! the NetworkPolicy isolation protects nothing there: the coverage verdict says `open`
//! (point 22) and this finding names the rule and the NetworkPolicies it overrides.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Direction, Workload};
use crate::report::{Finding, Severity};
use crate::semantics::decide::Walk;
use crate::semantics::traffic::Action;
use crate::semantics::{ConnSet, Isolation, Layer, PolicyId};

use super::{describe_cluster_rule, describe_workloads, pod_endpoint, AnonymousPod, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC202",
    name: "admin-allow-overrides-isolation",
    severity: Severity::Warning,
    summary: "An Admin-tier Accept/Allow of every peer overrides the NetworkPolicy isolation of the pods it selects",
    explanation: "The Admin tier of ClusterNetworkPolicy and AdminNetworkPolicy is evaluated \
        before NetworkPolicies, and its Accept (v1alpha1: Allow) is final. A rule that accepts \
        every peer (`namespaces: {}`, `pods` with empty selectors, `networks: 0.0.0.0/0`, on \
        every port) lets any pod, even one of a namespace created tomorrow, reach (or be \
        reached by) the pods it selects, whatever their NetworkPolicies say: their isolation \
        is neutralised, and the report calls them `open`. The rule fires for such a rule above \
        workloads that NetworkPolicies isolate, naming the NetworkPolicies overridden. A \
        warning: a platform team may mean it, and NPC001 reports the pods as not isolated \
        already; the finding says which rule does it.",
    bad_example: include_str!("examples/NPC202-bad.yaml"),
    good_example: include_str!("examples/NPC202-good.yaml"),
};

/// What one overriding rule overrides.
#[derive(Default)]
struct Overridden<'a> {
    workloads: Vec<&'a Workload>,
    policies: BTreeSet<(&'a str, &'a str)>,
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let set = &ctx.coverage.set;
    if !set.has_tiers() {
        return Vec::new();
    }
    let anonymous = AnonymousPod::new();
    let peer = anonymous.endpoint();
    let walk = Walk {
        network_as_isolation: true,
        ..Walk::default()
    };
    // (cluster-scoped policy, direction, rule index)
    let mut by_rule: BTreeMap<(usize, Direction, usize), Overridden> = BTreeMap::new();
    for (w, v) in ctx.inventory.workloads.iter().zip(&ctx.coverage.workloads) {
        for d in Direction::BOTH {
            let dv = v.direction(d);
            if dv.isolation != Isolation::Open || !dv.network_isolated() {
                continue;
            }
            let side = ctx.coverage.side_policies(dv);
            if side.admin.is_empty() {
                continue;
            }
            // Named ports resolve on the destination: the workload for ingress, the peer
            // for egress.
            let me = pod_endpoint(ctx, w, &w.label_sets[0]);
            let destination = match d {
                Direction::Ingress => me,
                Direction::Egress => peer,
            };
            let decision = set.decide(&side, d, &peer, &destination, &ConnSet::all(), walk);
            let accepts: Vec<_> = decision
                .steps
                .iter()
                .filter(|s| s.layer == Layer::Admin && s.action == Action::Allow)
                .collect();
            // The rule that opens every port, or else the first that opens some.
            let Some(step) = accepts
                .iter()
                .find(|s| s.conns.is_all())
                .or(accepts.first())
            else {
                continue;
            };
            let PolicyId::Cluster(p) = step.rule.policy else {
                continue;
            };
            let entry = by_rule.entry((p, d, step.rule.index)).or_default();
            entry.workloads.push(w);
            for &np in &dv.policies {
                let np = &ctx.inventory.policies[np];
                entry.policies.insert((&np.namespace, &np.name));
            }
        }
    }
    by_rule
        .into_iter()
        .map(|((p, d, index), mut o)| {
            o.workloads
                .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
            let policy = &ctx.inventory.cluster_policies[p];
            let policies: Vec<String> = o
                .policies
                .iter()
                .map(|(ns, name)| format!("{ns}/{name}"))
                .collect();
            let dir = d.lower();
            RULE.cluster_finding(
                policy,
                format!(
                    "{kind} {name} {rule} accepts every pod for {dir} of {who}, before their \
                     NetworkPolicies decide: the {dir} isolation by NetworkPolic{ies} {policies} \
                     is overridden",
                    kind = policy.kind,
                    name = policy.name,
                    rule = describe_cluster_rule(policy, d, index),
                    who = describe_workloads(&o.workloads),
                    ies = if policies.len() > 1 { "ies" } else { "y" },
                    policies = policies.join(", "),
                ),
                format!(
                    "Narrow the peers of spec.{dir}[{index}] of {name} to the namespaces or pods \
                     that need the access (and its ports), or make it Pass so that the \
                     NetworkPolicies decide; if every pod is meant to be reachable, suppress \
                     the finding on {name} with a reason.",
                    name = policy.name,
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run};

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 8080}]}]}\n---\n";
    const NP_DENY: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n---\n";

    fn admin(rules: &str) -> String {
        format!("{POD}{NP_DENY}apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {{name: a}}\nspec:\n  priority: 5\n  subject: {{namespaces: {{}}}}\n{rules}")
    }

    #[test]
    fn table_of_cases() {
        // (rules, the rule named; none: silent)
        let cases: &[(&str, Option<&str>)] = &[
            ("  ingress: [{action: Allow, from: [{namespaces: {}}]}]\n", Some("spec.ingress[0]")),
            (
                "  ingress: [{action: Allow, from: [{pods: {namespaceSelector: {}, podSelector: {}}}]}]\n",
                Some("spec.ingress[0]"),
            ),
            ("  egress: [{action: Allow, to: [{networks: [0.0.0.0/0]}]}]\n", Some("spec.egress[0]")),
            // A NotIn selector matches the anonymous pod too.
            (
                "  ingress: [{action: Allow, from: [{namespaces: {matchExpressions: [{key: tenant, operator: NotIn, values: [guest]}]}}]}]\n",
                Some("spec.ingress[0]"),
            ),
            // After a Deny of some pods, the Accept still opens to the others.
            (
                "  ingress:\n  - {action: Deny, from: [{namespaces: {matchLabels: {tenant: guest}}}]}\n  - {action: Allow, from: [{namespaces: {}}]}\n",
                Some("spec.ingress[1]"),
            ),
            // Some namespaces only: not every pod.
            ("  ingress: [{action: Allow, from: [{namespaces: {matchLabels: {team: ops}}}]}]\n", None),
            // Some ports only: the pod stays isolated on the others.
            (
                "  ingress: [{action: Allow, from: [{namespaces: {}}], ports: [{portNumber: {protocol: TCP, port: 9090}}]}]\n",
                None,
            ),
            // A Deny of everything before it decides first.
            (
                "  ingress:\n  - {action: Deny, from: [{namespaces: {}}]}\n  - {action: Allow, from: [{namespaces: {}}]}\n",
                None,
            ),
            // Pass lets the NetworkPolicies decide.
            ("  ingress: [{action: Pass, from: [{namespaces: {}}]}]\n", None),
            // A narrow network is not every pod.
            ("  egress: [{action: Allow, to: [{networks: [10.0.0.0/8]}]}]\n", None),
        ];
        for (rules, named) in cases {
            let f = run(&admin(rules), check);
            match named {
                Some(named) => {
                    assert_eq!(f.len(), 1, "{rules}: {f:#?}");
                    assert!(f[0].message.contains(named), "{}", f[0].message);
                    assert!(
                        f[0].message.contains("NetworkPolicy shop/deny"),
                        "{}",
                        f[0].message
                    );
                }
                None => assert!(f.is_empty(), "{rules}: {f:#?}"),
            }
        }
    }

    #[test]
    fn without_networkpolicy_isolation_nothing_is_overridden() {
        let y =
            admin("  ingress: [{action: Allow, from: [{namespaces: {}}]}]\n").replace(NP_DENY, "");
        assert!(run(&y, check).is_empty());
    }

    #[test]
    fn message() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].namespace, None);
        assert_eq!(f[0].object, "allow-monitoring");
        assert_eq!(
            f[0].message,
            "ClusterNetworkPolicy allow-monitoring spec.ingress[0] \"from-anywhere\" (Accept from \
             namespaces {}) accepts every pod for ingress of Pod shop/web, before their \
             NetworkPolicies decide: the ingress isolation by NetworkPolicy \
             shop/default-deny-ingress is overridden"
        );
    }
}
