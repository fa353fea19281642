//! NPC107 peer-and-or-confusion: a `from`/`to` list with a podSelector-only item and a
//! namespaceSelector-only item. Items are ORed, so this allows the pods of the policy's own
//! namespace AND every pod of the other namespaces; most authors meant "these pods in those
//! namespaces", which is both selectors in ONE item. The most common mistake in real policies.

use crate::model::{LabelSelector, Peer};
use crate::report::{Finding, Severity};

use super::{describe_selector, effective_rules, peers_field, valid_policies, Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC107",
    name: "peer-and-or-confusion",
    severity: Severity::Info,
    summary: "A from/to list has a podSelector-only and a namespaceSelector-only item: OR, where AND is often meant",
    explanation: "In a `from`/`to` list every item is a separate peer and the items are ORed. \
        `- podSelector: ...` followed by `- namespaceSelector: ...` (two dashes) allows the \
        matching pods of the policy's own namespace, or every pod of the matching namespaces. \
        `- podSelector: ...` with `namespaceSelector: ...` in the same item (one dash) allows \
        only the matching pods inside the matching namespaces. The two differ by one character \
        and the first is far broader; the message shows both readings so that you can tell which \
        one you meant. The rule is informational: the OR reading is sometimes intended.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop-api}}\n    - podSelector: {matchLabels: {app: api}}\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop-api}}\n      podSelector: {matchLabels: {app: api}}\n",
};

fn pods_only(p: &Peer) -> Option<&LabelSelector> {
    match p {
        Peer {
            pod_selector: Some(s),
            namespace_selector: None,
            ip_block: None,
        } => Some(s),
        _ => None,
    }
}

fn namespaces_only(p: &Peer) -> Option<&LabelSelector> {
    match p {
        Peer {
            pod_selector: None,
            namespace_selector: Some(s),
            ip_block: None,
        } => Some(s),
        _ => None,
    }
}

fn namespaces(s: &LabelSelector) -> String {
    if s.is_empty() {
        "every namespace".to_owned()
    } else {
        format!("namespaces matching {}", describe_selector(s))
    }
}

fn pods(s: &LabelSelector) -> String {
    if s.is_empty() {
        "every pod".to_owned()
    } else {
        format!("pods matching {}", describe_selector(s))
    }
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in valid_policies(ctx) {
        for (d, i, r) in effective_rules(p) {
            let pod = r
                .peers
                .iter()
                .enumerate()
                .find_map(|(j, x)| pods_only(x).map(|s| (j, s)));
            let ns = r
                .peers
                .iter()
                .enumerate()
                .find_map(|(j, x)| namespaces_only(x).map(|s| (j, s)));
            let (Some((pj, ps)), Some((nj, nsel))) = (pod, ns) else {
                continue;
            };
            let field = peers_field(d);
            let dir = d.lower();
            out.push(RULE.policy_finding(
                p,
                format!(
                    "NetworkPolicy {pns}/{name} spec.{dir}[{i}].{field} has podSelector {psd} \
                     ({field}[{pj}]) and namespaceSelector {nsd} ({field}[{nj}]) as separate \
                     items, which is OR: {pods_or} in namespace {pns}, or every pod of {ns_or}. \
                     If {pods_and} in {ns_and} was meant (AND), both selectors belong in one item",
                    pns = p.namespace,
                    name = p.name,
                    psd = describe_selector(ps),
                    nsd = describe_selector(nsel),
                    pods_or = pods(ps),
                    ns_or = namespaces(nsel),
                    pods_and = pods(ps),
                    ns_and = namespaces(nsel),
                ),
                format!(
                    "If AND was meant, merge spec.{dir}[{i}].{field}[{pj}] and [{nj}] into one \
                     item (`- namespaceSelector: ...` with `podSelector: ...` under the same \
                     dash); if OR was meant, suppress NPC107 on this policy with a reason."
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

    fn policy(from: &str) -> String {
        format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  ingress:\n  - from: {from}\n")
    }

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    #[test]
    fn shows_both_readings() {
        let f = run(
            &policy("[{podSelector: {matchLabels: {app: api}}}, {ipBlock: {cidr: 10.0.0.0/8}}, {namespaceSelector: {matchLabels: {team: a}}}]"),
            check,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert_eq!(
            f[0].message,
            "NetworkPolicy shop/p spec.ingress[0].from has podSelector app=api (from[0]) and \
             namespaceSelector team=a (from[2]) as separate items, which is OR: pods matching \
             app=api in namespace shop, or every pod of namespaces matching team=a. If pods \
             matching app=api in namespaces matching team=a was meant (AND), both selectors \
             belong in one item"
        );
    }

    #[test]
    fn silent_for_and_items_or_one_kind_only() {
        for from in [
            "[{podSelector: {matchLabels: {app: api}}, namespaceSelector: {matchLabels: {team: a}}}]",
            "[{podSelector: {matchLabels: {app: api}}}, {podSelector: {matchLabels: {app: web}}}]",
            "[{namespaceSelector: {matchLabels: {team: a}}}, {ipBlock: {cidr: 10.0.0.0/8}}]",
        ] {
            assert!(run(&policy(from), check).is_empty(), "{from}");
        }
    }
}
