//! NPC204 pass-to-nothing: a `Pass` rule with nothing after it that decides (SEMANTICS.md point
//! 12). In the Admin tier, Pass hands the connection to the NetworkPolicy tier and then the
//! Baseline tier; for pods no NetworkPolicy isolates and no Baseline policy selects, what it
//! passes is allowed. In the Baseline tier, Pass goes straight to "allowed".

use std::collections::HashMap;

use crate::model::{Direction, Workload};
use crate::report::{Finding, Severity};
use crate::semantics::traffic::Action;
use crate::semantics::{Layer, PolicyId};

use super::{describe_cluster_rule, describe_workloads, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC204",
    name: "pass-to-nothing",
    severity: Severity::Info,
    summary:
        "A Pass rule hands traffic to tiers where nothing decides: it is allowed, as with Accept",
    explanation: "`Pass` in an Admin-tier ClusterNetworkPolicy or AdminNetworkPolicy skips the \
        rest of the Admin tier: the NetworkPolicies of the pod decide if they isolate it, then \
        the Baseline tier, and past both the connection is allowed. The rule fires for an Admin \
        Pass whose subject selects workloads that no NetworkPolicy isolates in that direction \
        and no Baseline policy selects (they are named): what it passes to them is allowed. \
        In the Baseline tier nothing comes after, so every Pass there allows what it matches. \
        Info, not a warning: the effect is that of an Accept, which may be what was meant, and \
        NPC001 already reports such workloads as not isolated; the finding says why.",
    bad_example: include_str!("examples/NPC204-bad.yaml"),
    good_example: include_str!("examples/NPC204-good.yaml"),
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let set = &ctx.coverage.set;
    if !set.has_tiers() {
        return Vec::new();
    }
    // The Admin policies (positions in the set) with a Pass rule for each direction: only
    // theirs are looked at, not every policy selecting every workload.
    let passes = |position: usize, d: Direction| {
        let c = &set.cluster()[position];
        c.layer == Layer::Admin
            && set
                .rules(PolicyId::Cluster(c.index), d)
                .iter()
                .any(|r| r.action == Action::Pass)
    };
    let with_pass: [Vec<bool>; 2] =
        Direction::BOTH.map(|d| (0..set.cluster().len()).map(|p| passes(p, d)).collect());
    // Per Admin policy and direction: the workloads it selects that nothing after the Admin
    // tier decides for.
    let mut undecided: HashMap<(usize, Direction), Vec<&Workload>> = HashMap::new();
    for (w, v) in ctx.inventory.workloads.iter().zip(&ctx.coverage.workloads) {
        for d in Direction::BOTH {
            let dv = v.direction(d);
            let baseline = dv
                .cluster()
                .iter()
                .any(|&q| set.cluster()[q].layer == Layer::Baseline);
            if dv.network_isolated() || baseline {
                continue;
            }
            let slot = match d {
                Direction::Ingress => 0,
                Direction::Egress => 1,
            };
            for &q in dv.cluster().iter().filter(|&&q| with_pass[slot][q]) {
                undecided.entry((q, d)).or_default().push(w);
            }
        }
    }
    let mut out = Vec::new();
    for (position, c) in set.cluster().iter().enumerate() {
        let policy = &ctx.inventory.cluster_policies[c.index];
        for d in Direction::BOTH {
            let passes = set
                .rules(PolicyId::Cluster(c.index), d)
                .iter()
                .enumerate()
                .filter(|(_, r)| r.action == Action::Pass)
                .map(|(i, _)| i);
            for i in passes {
                let rule = describe_cluster_rule(policy, d, i);
                let (kind, name) = (policy.kind, &policy.name);
                let finding = match c.layer {
                    Layer::Baseline => RULE.cluster_finding(
                        policy,
                        format!(
                            "{kind} {name} {rule} is in the Baseline tier, where nothing decides \
                             after it: what it passes is allowed, as with Accept"
                        ),
                        format!(
                            "Write Accept in spec.{dir}[{i}] of {name} if the traffic is to be \
                             allowed (it then says so), or Deny if it is not.",
                            dir = d.lower()
                        ),
                    ),
                    _ => {
                        let Some(workloads) = undecided.get_mut(&(position, d)) else {
                            continue;
                        };
                        workloads
                            .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
                        RULE.cluster_finding(
                            policy,
                            format!(
                                "{kind} {name} {rule} passes {dir} of {who} on to the \
                                 NetworkPolicy and Baseline tiers, but no NetworkPolicy isolates \
                                 them for {dir} and no Baseline policy selects them: what the \
                                 rule passes is allowed",
                                dir = d.lower(),
                                who = describe_workloads(workloads),
                            ),
                            format!(
                                "Add NetworkPolicies (or a Baseline policy) that decide {dir} \
                                 for these pods, or write Accept or Deny in spec.{dir}[{i}] of \
                                 {name} if the Admin tier is meant to decide.",
                                dir = d.lower()
                            ),
                        )
                    }
                };
                out.push(finding);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{cases_say, examples, run};

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: web, image: nginx}]}\n---\n";
    const ADMIN_PASS: &str = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: pass}\nspec:\n  priority: 5\n  subject: {namespaces: {}}\n  ingress: [{action: Pass, from: [{namespaces: {}}]}]\n";
    const NP_DENY: &str = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}}\n";
    const BANP: &str = "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec:\n  subject: {namespaces: {}}\n  ingress: [{action: Deny, from: [{namespaces: {}}]}]\n";
    const BASELINE_PASS: &str = "apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: base}\nspec:\n  tier: Baseline\n  priority: 5\n  subject: {namespaces: {}}\n  egress: [{action: Pass, to: [{networks: [0.0.0.0/0]}]}]\n";

    #[test]
    fn table_of_cases() {
        // (manifests, what the finding says; none: silent)
        let cases: Vec<(String, Option<&str>)> = vec![
            (
                format!("{POD}{ADMIN_PASS}"),
                Some("passes ingress of Pod shop/web on to"),
            ),
            // A NetworkPolicy isolates the pod: it decides what is passed.
            (format!("{POD}{ADMIN_PASS}{NP_DENY}"), None),
            // A Baseline policy selects the pod: it decides.
            (format!("{POD}{ADMIN_PASS}{BANP}"), None),
            // The NetworkPolicy isolates for egress only: ingress is still passed to nothing.
            (
                format!(
                    "{POD}{ADMIN_PASS}{}",
                    NP_DENY.replace(
                        "{podSelector: {}}",
                        "{podSelector: {}, policyTypes: [Egress]}"
                    )
                ),
                Some("passes ingress of Pod shop/web"),
            ),
            // The subject selects no workload: nothing to say about the Admin Pass.
            (ADMIN_PASS.to_owned(), None),
            // Every Baseline Pass, workloads or not.
            (
                BASELINE_PASS.to_owned(),
                Some("is in the Baseline tier, where nothing decides after it"),
            ),
            (
                format!("{POD}{BASELINE_PASS}{NP_DENY}"),
                Some("is in the Baseline tier"),
            ),
            // Accept and Deny are not Pass.
            (
                format!("{POD}{}", ADMIN_PASS.replace("Pass", "Allow")),
                None,
            ),
        ];
        cases_say(&cases, check);
    }

    #[test]
    fn message() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].namespace, None);
        assert_eq!(f[0].severity, Severity::Info);
        assert_eq!(
            f[0].message,
            "AdminNetworkPolicy delegate-to-namespaces spec.ingress[0] \"let-namespaces-decide\" \
             (Pass from namespaces {}) passes ingress of Pod shop/web on to the NetworkPolicy and \
             Baseline tiers, but no NetworkPolicy isolates them for ingress and no Baseline \
             policy selects them: what the rule passes is allowed"
        );
    }
}
