//! NPC112 inert-rules: rules for a direction that the policy's explicit `policyTypes` does not
//! list are ignored. The author believes they restrict traffic; they neither isolate nor allow.

use crate::model::Direction;
use crate::report::{Finding, Severity};
use crate::semantics::PolicyTypes;

use super::{valid_policies, Context, Rule};
use crate::text::plural;

pub const RULE: Rule = Rule {
    id: "NPC112",
    name: "inert-rules",
    severity: Severity::Warning,
    summary: "Ingress or egress rules in a policy whose policyTypes does not list that direction are ignored",
    explanation: "When `policyTypes` is given, it is used as written: a policy with \
        `policyTypes: [Ingress]` and egress rules neither isolates the selected pods for egress \
        nor allows anything with those rules, and the same holds for ingress rules without \
        Ingress. The rules read as a restriction but have no effect, so the pods stay open in \
        that direction unless another policy isolates them. (When policyTypes is omitted or \
        empty, Egress is added automatically when egress rules exist, so nothing is inert.)",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-policy\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: web}}\n  egress:\n  - to:\n    - podSelector: {matchLabels: {app: db}}\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\n  labels: {app: api}\nspec:\n  containers: [{name: api, image: api}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-policy\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: web}}\n  egress:\n  - to:\n    - podSelector: {matchLabels: {app: db}}\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in valid_policies(ctx) {
        let types = PolicyTypes::of(p);
        if types.defaulted {
            continue;
        }
        for d in Direction::BOTH {
            let n = p.rules(d).len();
            if n == 0 || types.has(d) {
                continue;
            }
            let dir = d.lower();
            let all = if n == 1 {
                format!("spec.{dir}[0]")
            } else {
                format!("spec.{dir}[0..{}]", n - 1)
            };
            out.push(RULE.policy_finding(
                p,
                format!(
                    "NetworkPolicy {ns}/{name} has {rules} ({all}) but its policyTypes {types} \
                     does not list {D}: the rules are ignored, and this policy does not isolate \
                     the pods it selects for {dir}",
                    ns = p.namespace,
                    name = p.name,
                    rules = plural(n, &format!("{dir} rule"), &format!("{dir} rules")),
                    types = types.describe(),
                    D = d.as_str(),
                ),
                format!(
                    "Add {D} to spec.policyTypes so that the rules take effect (the selected pods \
                     then become isolated for {dir}), or delete spec.{dir}.",
                    D = d.as_str(),
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run};

    fn policy(spec: &str) -> String {
        format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n{spec}")
    }

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn names_the_direction_and_the_rules() {
        let f = run(
            &policy("  policyTypes: [Egress]\n  ingress:\n  - {}\n  - {}\n"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "NetworkPolicy shop/p has 2 ingress rules (spec.ingress[0..1]) but its policyTypes \
             [Egress] does not list Ingress: the rules are ignored, and this policy does not \
             isolate the pods it selects for ingress"
        );
        assert!(f[0]
            .remediation
            .starts_with("Add Ingress to spec.policyTypes"));
    }

    #[test]
    fn defaulted_or_listed_types_are_not_inert() {
        for spec in [
            "  egress:\n  - {}\n",
            "  policyTypes: []\n  egress:\n  - {}\n",
            "  policyTypes: [Ingress, Egress]\n  ingress:\n  - {}\n  egress:\n  - {}\n",
            "  policyTypes: [Ingress]\n  egress: []\n",
        ] {
            assert!(run(&policy(spec), check).is_empty(), "{spec}");
        }
    }
}
