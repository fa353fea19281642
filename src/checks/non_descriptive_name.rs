//! NPC115 non-descriptive-name: a policy called `policy`, `netpol-1` or `test` says nothing about
//! what it protects or allows, so nobody dares to change or delete it during an incident.

use crate::report::{Finding, Severity};

use super::{valid_policies, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC115",
    name: "non-descriptive-name",
    severity: Severity::Info,
    summary: "A NetworkPolicy's name says nothing about what it selects or allows",
    explanation: "Policies are additive and read in isolation during reviews and incidents; a \
        name such as `policy`, `netpol-1`, `np`, `test`, `default`, `example` or \
        `my-network-policy` forces everyone to read the spec to learn what it is for. The rule \
        splits the name on `-`, `_` and `.`, drops numbers, and fires when only filler words \
        remain (policy, netpol, np, network, my, new, test, default, example, sample, demo, \
        temp...). Name policies after what they do: `default-deny-all`, `db-allow-from-api`, \
        `web-egress-dns`.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: netpol-1\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-deny-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n",
};

/// Words that say nothing about a policy's purpose.
const FILLER: &[&str] = &[
    "policy",
    "policies",
    "pol",
    "netpol",
    "netpols",
    "np",
    "nps",
    "netpolicy",
    "networkpolicy",
    "networkpolicies",
    "network",
    "networking",
    "net",
    "k8s",
    "kubernetes",
    "my",
    "new",
    "the",
    "a",
    "test",
    "tests",
    "testing",
    "default",
    "example",
    "examples",
    "sample",
    "demo",
    "temp",
    "tmp",
    "foo",
    "bar",
    "baz",
    "untitled",
    "unnamed",
    "rule",
    "rules",
    "v",
    "copy",
];

/// Whether a name is only filler words and numbers.
pub fn non_descriptive(name: &str) -> bool {
    name.to_ascii_lowercase()
        .split(['-', '_', '.'])
        .filter(|t| !t.is_empty())
        .map(|t| t.trim_end_matches(|c: char| c.is_ascii_digit()))
        .all(|t| t.is_empty() || FILLER.contains(&t))
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    valid_policies(ctx)
        .filter(|p| non_descriptive(&p.name))
        .map(|p| {
            RULE.policy_finding(
                p,
                format!(
                    "NetworkPolicy {}/{} has a name that says nothing about what it selects or allows",
                    p.namespace, p.name
                ),
                "Rename the policy after its pods and purpose, e.g. `default-deny-all`, \
                 `db-allow-from-api` or `web-egress-dns` (a rename is a delete and re-create)."
                    .to_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::examples;

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn filler_names() {
        for n in [
            "policy",
            "netpol",
            "netpol-1",
            "np",
            "test",
            "my-network-policy",
            "network-policy",
            "default",
            "example",
            "policy-1",
            "NetPol2",
            "test_policy",
            "networkpolicy",
            "np-01",
            "new-policy-v2",
            "1",
        ] {
            assert!(non_descriptive(n), "{n}");
        }
    }

    #[test]
    fn descriptive_names() {
        for n in [
            "default-deny-all",
            "db-allow-from-api",
            "web-egress-dns",
            "deny",
            "allow-dns",
            "frontend",
            "test-db-ingress",
            "policy-for-redis",
        ] {
            assert!(!non_descriptive(n), "{n}");
        }
    }
}
