//! NPC301 cilium-empty-rule: `ingress: [{}]` or `egress: [{}]` in a Cilium policy, written as
//! if it allowed everything. In Cilium an empty rule selects nothing (SEMANTICS.md point 19):
//! it allows nothing and only puts the selected pods in default deny for that direction, the
//! opposite of a NetworkPolicy's empty rule.
//!
//! Cilium's own documentation turns default deny on with exactly this shape ("Ingress/Egress
//! Default Deny" in `Documentation/security/policy/layer3.rst`, `egress-default-deny.yaml`,
//! named `deny-all-egress`), so a lone empty rule in a policy whose name or description says
//! "deny" is taken at its word and not reported.

use crate::connectivity::describe::{cilium_policy_name, cilium_rule_name};
use crate::model::{CiliumPeerRule, CiliumPolicy, CiliumRule, Direction};
use crate::report::{Finding, Severity};

use super::{Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC301",
    name: "cilium-empty-rule",
    severity: Severity::Warning,
    summary: "An empty Cilium rule (`ingress: [{}]`) allows nothing, unlike a NetworkPolicy's",
    explanation: "In a Kubernetes NetworkPolicy an empty ingress or egress rule (`- {}`) \
        allows every peer on every port. In a CiliumNetworkPolicy or \
        CiliumClusterwideNetworkPolicy the same rule selects no peer: it allows nothing, and \
        its only effect is to put the pods the policy selects in default deny for that \
        direction. The rule fires for an empty rule (no L3 peer, no `toPorts`) in an allow \
        section, unless it is the section's only rule and the policy's name or description \
        says \"deny\": that is how Cilium's documentation turns default deny on, and is taken \
        at its word. To allow every peer, write `fromEntities: [all]` (`toEntities: [all]`); \
        to turn default deny on, keep the empty rule and say so in the name; otherwise delete \
        it.",
    bad_example: include_str!("examples/NPC301-bad.yaml"),
    good_example: include_str!("examples/NPC301-good.yaml"),
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, policy) in ctx.inventory.cilium_policies.iter().enumerate() {
        // A policy Cilium refuses enforces nothing: NPC120 says so.
        if !ctx.coverage.set.includes_cilium(i) {
            continue;
        }
        for (spec, rule) in policy.rules.iter().enumerate() {
            if rule.node_selector {
                continue;
            }
            for direction in Direction::BOTH {
                let allows = rule.allows(direction).unwrap_or_default();
                for (k, r) in allows.iter().enumerate() {
                    if !is_empty(r) || (allows.len() == 1 && says_deny(policy, rule)) {
                        continue;
                    }
                    out.push(finding(policy, rule, spec, direction, k));
                }
            }
        }
    }
    out
}

/// No L3 peer, no ports, nothing this version does not know: the rule selects nothing.
fn is_empty(r: &CiliumPeerRule) -> bool {
    r.peer_kinds().is_empty()
        && r.requires.is_none()
        && r.to_ports.is_none()
        && !r.icmps
        && r.unknown.is_empty()
}

fn says_deny(policy: &CiliumPolicy, rule: &CiliumRule) -> bool {
    let deny = |s: &str| s.to_ascii_lowercase().contains("deny");
    deny(&policy.name) || rule.description.as_deref().is_some_and(deny)
}

fn finding(
    policy: &CiliumPolicy,
    rule: &CiliumRule,
    spec: usize,
    direction: Direction,
    index: usize,
) -> Finding {
    let dir = direction.lower();
    let at = cilium_rule_name(policy, spec, direction, index);
    let effect = if rule.enable_default_deny(direction) == Some(false) {
        format!(
            "and with enableDefaultDeny.{dir} false it does not even turn default deny on: it \
             does nothing"
        )
    } else {
        format!(
            "its only effect is to put the pods {path} selects in default deny for {dir}",
            path = rule.path()
        )
    };
    let entities = match direction {
        Direction::Ingress => "fromEntities",
        Direction::Egress => "toEntities",
    };
    RULE.cilium_finding(
        policy,
        format!(
            "{name} {at} is an empty rule ({{}}): in Cilium it allows nothing, unlike the empty \
             rule of a Kubernetes NetworkPolicy; {effect}",
            name = cilium_policy_name(policy),
        ),
        format!(
            "To allow all {dir}, write `{entities}: [all]` in {at}; to turn default deny on, \
             keep the empty rule as the section's only rule and say \"deny\" in the policy's \
             name or description; otherwise delete it."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{examples, run};

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    fn cnp(name: &str, body: &str) -> String {
        format!(
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  endpointSelector: {{matchLabels: {{app: web}}}}\n{body}"
        )
    }

    #[test]
    fn table_of_cases() {
        // (name, spec body, the rule path reported; none: silent)
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("open", "  ingress: [{}]\n", Some("spec.ingress[0]")),
            ("open", "  egress: [{}]\n", Some("spec.egress[0]")),
            // Cilium's documented default deny: taken at its word.
            ("deny-all-ingress", "  ingress: [{}]\n", None),
            (
                "lockdown",
                "  description: default DENY for web\n  ingress: [{}]\n",
                None,
            ),
            // Next to a real rule the empty one is no default-deny marker.
            (
                "deny-x",
                "  ingress:\n  - fromEndpoints: [{matchLabels: {app: api}}]\n  - {}\n",
                Some("spec.ingress[1]"),
            ),
            // toPorts without a peer is every peer on those ports: not empty.
            (
                "web",
                "  ingress: [{toPorts: [{ports: [{port: '80'}]}]}]\n",
                None,
            ),
            ("web", "  ingress: [{fromEntities: [all]}]\n", None),
            // A deny section's empty rule denies nothing: not this rule's business.
            (
                "web",
                "  ingress: [{fromEntities: [all]}]\n  ingressDeny: [{}]\n",
                None,
            ),
        ];
        for (name, body, says) in cases {
            let yaml = cnp(name, body);
            let f = run(&yaml, check);
            match says {
                Some(at) => {
                    assert_eq!(f.len(), 1, "{yaml}: {f:#?}");
                    assert!(f[0].message.contains(at), "{}", f[0].message);
                }
                None => assert!(f.is_empty(), "{yaml}: {f:#?}"),
            }
        }
    }

    #[test]
    fn specs_entries_are_named_and_enable_default_deny_false_said() {
        let yaml = "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: open}\nspecs:\n- endpointSelector: {}\n  egress: [{toEntities: [world]}]\n- endpointSelector: {}\n  enableDefaultDeny: {ingress: false}\n  ingress: [{}]\n";
        let f = run(yaml, check);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].namespace, None);
        assert_eq!(f[0].kind, "CiliumClusterwideNetworkPolicy");
        assert!(
            f[0].message.starts_with(
                "CiliumClusterwideNetworkPolicy open specs[1].ingress[0] is an empty rule"
            ),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("it does nothing"), "{}", f[0].message);
    }

    #[test]
    fn message() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].namespace.as_deref(), Some("shop"));
        assert_eq!(f[0].kind, "CiliumNetworkPolicy");
        assert_eq!(f[0].line, Some(16));
        assert_eq!(
            f[0].message,
            "CiliumNetworkPolicy shop/allow-all-to-web spec.ingress[0] is an empty rule ({}): in \
             Cilium it allows nothing, unlike the empty rule of a Kubernetes NetworkPolicy; its \
             only effect is to put the pods spec selects in default deny for ingress"
        );
    }
}
