//! NPC120 invalid-policy: a NetworkPolicy the API server would refuse. It never reaches a
//! cluster, so the coverage verdict ignores it (and says so).

use crate::report::{Finding, Severity};
use crate::semantics::validation;

use super::{Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC120",
    name: "invalid-policy",
    severity: Severity::Error,
    summary: "A NetworkPolicy the API server would refuse",
    explanation: "The API server validates NetworkPolicies: protocols are TCP, UDP or SCTP; \
        numeric ports are 1-65535; endPort needs a numeric port no greater than itself; named \
        ports are IANA service names; a peer names something, and an ipBlock stands alone with a \
        CIDR that parses and excepts that are strict subsets of it; policyTypes are Ingress or \
        Egress; selectors use valid keys, values and operators. A manifest that breaks these \
        fails to apply, so the policy protects nothing. The message gives the API server's own \
        reason. The coverage verdict ignores the policy.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ports\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - ports:\n    - port: 5432\n      endPort: 5431\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ports\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - ports:\n    - port: 5432\n      endPort: 5433\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    // The coverage left out exactly the invalid policies: only those are validated again, for
    // the API server's words.
    ctx.inventory
        .policies
        .iter()
        .enumerate()
        .filter(|(i, _)| !ctx.coverage.includes(*i))
        .filter_map(|(_, p)| {
            let errors = validation::validate(p);
            (!errors.is_empty()).then(|| {
                RULE.finding(
                    &p.namespace,
                    "NetworkPolicy",
                    &p.name,
                    &p.origin,
                    format!(
                        "NetworkPolicy {}/{} is invalid: {}",
                        p.namespace,
                        p.name,
                        errors.join("; ")
                    ),
                    "Fix the fields the API server names; until then the policy cannot be applied and isolates nothing.".to_owned(),
                )
            })
        })
        .collect()
}
