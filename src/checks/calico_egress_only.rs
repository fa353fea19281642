//! NPC403 calico-egress-only-policy: a Calico policy that does not govern ingress although it
//! is written as if it did: `types` lists Egress only while ingress rules are written (Calico
//! ignores them), or `types` is left out of a policy with egress rules only (it then defaults
//! to `[Egress]`, SEMANTICS.md point 20) whose name says it isolates or denies everything.

use crate::report::{Finding, Severity};
use crate::semantics::calico::effective_types;

use super::{Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC403",
    name: "calico-egress-only-policy",
    severity: Severity::Warning,
    summary: "A Calico policy written as if it isolated ingress applies to egress only",
    explanation: "A Calico policy's `types` says which directions it governs. Written as \
        `[Egress]`, its ingress rules are ignored. Left out, it defaults from the rules: \
        `[Ingress]` without egress rules, `[Egress]` with egress rules only, both with both. So \
        a `default-deny` policy with only an egress rule for DNS, and no `types`, denies \
        nothing on ingress: the pods it selects stay open to every peer. The finding names \
        policies whose ingress rules are ignored, and policies with egress rules only and no \
        `types` whose name says they deny or isolate (`deny`, `isolat`, `lockdown`, `ingress`).",
    bad_example: include_str!("examples/NPC403-bad.yaml"),
    good_example: include_str!("examples/NPC403-good.yaml"),
};

const ISOLATING_WORDS: [&str; 4] = ["deny", "isolat", "lockdown", "ingress"];

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    ctx.inventory
        .calico_policies
        .iter()
        .filter(|p| !p.kind.staged())
        .filter_map(|p| {
            let [ingress, _] = effective_types(p);
            if ingress {
                return None;
            }
            let name = crate::connectivity::describe::calico_policy_name(p);
            let message = if !p.ingress.is_empty() {
                format!(
                    "{name} has {} ingress rule(s), but its types ({}) leave out Ingress: \
                     Calico ignores them and the pods it selects are not isolated for ingress \
                     by it",
                    p.ingress.len(),
                    p.types.as_deref().unwrap_or_default().join(", ")
                )
            } else if p.types.is_none()
                && ISOLATING_WORDS
                    .iter()
                    .any(|w| p.name.to_ascii_lowercase().contains(w))
            {
                format!(
                    "{name} has egress rules only and no types, so its types default to \
                     [Egress]: despite its name it does not isolate ingress, and the pods it \
                     selects stay open to every peer"
                )
            } else {
                return None;
            };
            Some(
                RULE.calico_finding(
                    p,
                    message,
                    "Write `types: [Ingress, Egress]` when the policy is meant to govern both \
                 directions (with no ingress rule it then denies all ingress), or move the \
                 ingress rules to a policy that lists Ingress."
                        .to_owned(),
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::run;

    #[test]
    fn an_egress_only_default_deny_is_reported_and_explicit_types_are_not() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].message.contains("default to [Egress]"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].kind, "projectcalico.org/GlobalNetworkPolicy");
        assert!(run(RULE.good_example, check).is_empty());
    }

    #[test]
    fn ingress_rules_under_egress_types_are_reported() {
        let yaml = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: app == 'web'\n  types: [Egress]\n  ingress:\n  - action: Allow\n";
        let f = run(yaml, check);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].message.contains("1 ingress rule(s)"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].kind, "projectcalico.org/NetworkPolicy");
    }
}
