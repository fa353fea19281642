//! NPC102 allow-all-egress: an egress rule `- {}` (no `to`, no `ports`) lets the selected pods
//! reach anything, inside or outside the cluster: exfiltration and lateral movement are open.

use crate::model::Direction;
use crate::report::{Finding, Severity};

use super::{allow_all_ingress::check_direction, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC102",
    name: "allow-all-egress",
    severity: Severity::Warning,
    summary: "An egress rule with no to and no ports allows all egress from the selected pods",
    explanation: "An egress rule with neither `to` nor `ports` (`egress: [{}]`) matches every \
        destination, pods of every namespace, the cloud metadata endpoint and the internet, on \
        every port and protocol. Policies are additive, so one such rule undoes the egress \
        isolation of every pod the policy selects. A default deny for egress has no egress rules \
        at all. Only rules of a direction among the policy's effective policyTypes count; rules \
        of an unlisted direction are inert (NPC112).",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-egress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n  - {}\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-egress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector: {matchLabels: {app: db}}\n    ports:\n    - port: 5432\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    check_direction(&RULE, ctx, Direction::Egress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run};

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: shop, labels: {app: api}}\nspec: {containers: [{name: api, image: api}]}\n---\n";

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn fires_with_defaulted_types_when_egress_rules_exist() {
        let f = run(
            &format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: out, namespace: shop}}\nspec:\n  podSelector: {{}}\n  egress:\n  - {{}}\n"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "NPC102");
        assert!(f[0].message.starts_with("NetworkPolicy shop/out spec.egress[0] has no to and no ports: it allows egress to every destination"), "{}", f[0].message);
        assert!(f[0].remediation.contains("spec.egress[0].to"));
    }

    #[test]
    fn silent_when_egress_is_not_listed() {
        let f = run(
            &format!("{POD}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: out, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n  egress:\n  - {{}}\n"),
            check,
        );
        assert!(f.is_empty());
    }
}
