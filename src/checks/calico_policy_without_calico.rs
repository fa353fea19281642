//! NPC406 calico-policy-without-calico: Calico policies in a cluster whose detected CNI is
//! another plugin. Only Calico's Felix enforces them: the API server stores them and nobody
//! applies them. Live clusters only: with manifests the CNI is unknown and nothing is said.

use crate::connectivity::describe::calico_policy_name;
use crate::report::{Finding, Severity};

use super::{Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC406",
    name: "calico-policy-without-calico",
    severity: Severity::Warning,
    summary: "A Calico policy in a cluster whose CNI is not Calico: nothing enforces it",
    explanation: "Calico's NetworkPolicy and GlobalNetworkPolicy are enforced by Calico's \
        Felix agents only. When the cluster's network plugin, recognised from the DaemonSets of \
        kube-system, is another one (Cilium, flannel, the AWS VPC CNI...), the CRDs may still \
        be installed and the policies stored, but no pod is isolated by them, whatever this \
        report's verdicts say on the assumption that they are enforced. The rule runs against \
        live clusters only, and says nothing when the plugin is not recognised. (Calico's \
        policy-only mode on another plugin's network, such as flannel with Calico as \"Canal\", \
        is recognised as Calico.)",
    bad_example: include_str!("examples/NPC406-bad.yaml"),
    good_example: include_str!("examples/NPC406-good.yaml"),
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let Some(cni) = super::other_cni(ctx, "Calico") else {
        return Vec::new();
    };
    ctx.inventory
        .calico_policies
        .iter()
        .map(|policy| {
            RULE.calico_finding(
                policy,
                format!(
                    "{name} is a Calico policy, but the cluster's CNI plugin is {cni}: only \
                     Calico enforces it, so it isolates nothing and its rules do nothing",
                    name = calico_policy_name(policy),
                    cni = cni.name,
                ),
                format!(
                    "Write the policy as a Kubernetes NetworkPolicy (or in {cni}'s own policy \
                     kind), or delete it if it was left over from a Calico cluster.",
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
        let f = run(Some("Cilium"));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].namespace.as_deref(), Some("shop"));
        assert_eq!(f[0].kind, "projectcalico.org/NetworkPolicy");
        assert!(
            f[0].message.contains("CNI plugin is Cilium"),
            "{}",
            f[0].message
        );
        assert!(run(Some("Calico")).is_empty());
        assert!(run(Some("unknown")).is_empty());
        assert!(run(None).is_empty());
    }
}
