//! NPC307 cilium-policy-without-cilium: Cilium policies in a cluster whose detected CNI is
//! another plugin. Only Cilium's agents read them: the API server stores them and nobody
//! enforces them. Live clusters only: with manifests the CNI is unknown and nothing is said.

use crate::connectivity::describe::cilium_policy_name;
use crate::report::{Finding, Severity};

use super::{Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC307",
    name: "cilium-policy-without-cilium",
    severity: Severity::Warning,
    summary: "A Cilium policy in a cluster whose CNI is not Cilium: nothing enforces it",
    explanation: "CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy are enforced by \
        Cilium's agents only. When the cluster's network plugin, recognised from the \
        DaemonSets of kube-system, is another one (Calico, flannel, the AWS VPC CNI...), the \
        CRDs may still be installed and the policies stored, but no pod is isolated by them, \
        whatever this report's verdicts say on the assumption that they are enforced. The rule \
        runs against live clusters only, and says nothing when the plugin is not recognised.",
    bad_example: include_str!("examples/NPC307-bad.yaml"),
    good_example: include_str!("examples/NPC307-good.yaml"),
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let Some(cni) = super::other_cni(ctx, "Cilium") else {
        return Vec::new();
    };
    ctx.inventory
        .cilium_policies
        .iter()
        .map(|policy| {
            RULE.cilium_finding(
                policy,
                format!(
                    "{name} is a Cilium policy, but the cluster's CNI plugin is {cni}: only \
                     Cilium enforces it, so it isolates nothing and its rules do nothing",
                    name = cilium_policy_name(policy),
                    cni = cni.name,
                ),
                format!(
                    "Write the policy as a Kubernetes NetworkPolicy (or in {cni}'s own policy \
                     kind), or delete it if it was left over from a Cilium cluster.",
                    cni = cni.name
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::inventory;
    use crate::cni::Cni;
    use crate::semantics::Coverage;

    fn run(cni: Option<&str>) -> Vec<Finding> {
        let inv = inventory(RULE.good_example);
        let coverage = Coverage::evaluate(&inv, |_| true);
        let cni = cni.map(|name| Cni {
            name: name.to_owned(),
            enforces_network_policy: Some(true),
        });
        check(&Context::new(&inv, &coverage, &[], cni.as_ref()))
    }

    #[test]
    fn only_a_known_other_cni_makes_it_fire() {
        let f = run(Some("Calico"));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].namespace.as_deref(), Some("shop"));
        assert_eq!(
            f[0].message,
            "CiliumNetworkPolicy shop/web-ingress is a Cilium policy, but the cluster's CNI \
             plugin is Calico: only Cilium enforces it, so it isolates nothing and its rules do \
             nothing"
        );
        assert!(run(Some("Cilium")).is_empty());
        assert!(run(Some("unknown")).is_empty());
        // Manifests: no CNI is known.
        assert!(run(None).is_empty());
    }
}
