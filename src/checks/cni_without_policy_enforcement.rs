//! NPC130 cni-without-policy-enforcement: the cluster's network plugin ignores NetworkPolicy,
//! so every policy is accepted by the API server and enforced by nobody.

use crate::model::Origin;
use crate::report::{Finding, Severity};

use super::{Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC130",
    name: "cni-without-policy-enforcement",
    severity: Severity::Warning,
    summary: "The cluster's CNI plugin does not enforce NetworkPolicies",
    explanation: "The API server accepts NetworkPolicies whatever the network plugin does with \
        them. flannel alone, and the AWS VPC CNI without its network policy agent, enforce none: \
        every policy is stored and ignored, and every pod stays reachable. The plugin is recognised \
        from the DaemonSets of kube-system, so this rule runs against live clusters only.",
    bad_example: "# The DaemonSets of kube-system in a live cluster\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: kube-flannel-ds\n  namespace: kube-system\nspec:\n  template:\n    spec:\n      containers: [{name: kube-flannel, image: ghcr.io/flannel-io/flannel:v0.26.0}]\n",
    good_example: "# Canal: flannel plus Calico's policy engine\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: canal\n  namespace: kube-system\nspec:\n  template:\n    spec:\n      containers: [{name: calico-node, image: docker.io/calico/node:v3.28.0}]\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let Some(cni) = ctx.cni else {
        return Vec::new();
    };
    if cni.enforces_network_policy != Some(false) {
        return Vec::new();
    }
    let mut f = RULE.finding(
        "kube-system",
        "DaemonSet",
        &cni.name,
        &Origin::default(),
        format!(
            "The cluster's CNI plugin ({}) does not enforce NetworkPolicies: every policy is accepted by the API server and ignored, so no pod is isolated whatever this report says",
            cni.name
        ),
        match cni.name.as_str() {
            "AWS VPC CNI" => "Enable the VPC CNI's network policy agent (enableNetworkPolicy), or run a policy engine such as Calico alongside it.".to_owned(),
            _ => "Run a CNI that enforces NetworkPolicy (Calico, Cilium, Antrea...), or add one for policy only, as Canal adds Calico to flannel.".to_owned(),
        },
    );
    f.namespace = None;
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cni::Cni;
    use crate::model::Inventory;
    use crate::semantics::Coverage;

    fn run(cni: Option<Cni>) -> Vec<Finding> {
        let inv = Inventory::default();
        let coverage = Coverage::evaluate(&inv, |_| true);
        check(&Context::new(&inv, &coverage, &[], cni.as_ref()))
    }

    #[test]
    fn fires_for_a_cni_that_does_not_enforce() {
        let f = run(Some(Cni {
            name: "flannel".into(),
            enforces_network_policy: Some(false),
        }));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "NPC130");
        assert!(f[0].message.contains("(flannel) does not enforce"));
    }

    #[test]
    fn silent_for_enforcing_unknown_or_no_cni() {
        assert!(run(Some(Cni {
            name: "Calico".into(),
            enforces_network_policy: Some(true)
        }))
        .is_empty());
        assert!(run(Some(Cni {
            name: "unknown".into(),
            enforces_network_policy: None
        }))
        .is_empty());
        assert!(run(None).is_empty());
    }
}
