//! NPC120 invalid-policy: a NetworkPolicy, or a cluster-scoped policy of
//! policy.networking.k8s.io, that the API server would refuse. It never reaches a cluster, so
//! the coverage verdict ignores it (and says so). Also a Cilium policy that Cilium refuses
//! (its CRD, its validation of the rules, or its status on a live cluster): it enforces
//! nothing. And a Calico policy or tier that Calico refuses (its API's validation: selectors,
//! actions, types, ports and protocols, nets): it is never stored, so it enforces nothing.

use crate::report::{Finding, Severity};
use crate::semantics::{calico_validation, cilium_validation, cluster_validation, validation};

use super::{Context, Rule};

pub const RULE: Rule = Rule {
    id: "NPC120",
    name: "invalid-policy",
    severity: Severity::Error,
    summary: "A NetworkPolicy (or cluster-scoped, Cilium or Calico policy) the API server, Cilium or Calico would refuse",
    explanation: "The API server validates NetworkPolicies: protocols are TCP, UDP or SCTP; \
        numeric ports are 1-65535; endPort needs a numeric port no greater than itself; named \
        ports are IANA service names; a peer names something, and an ipBlock stands alone with a \
        CIDR that parses and excepts that are strict subsets of it; policyTypes are Ingress or \
        Egress; selectors use valid keys, values and operators. A manifest that breaks these \
        fails to apply, so the policy protects nothing. ClusterNetworkPolicy, \
        AdminNetworkPolicy and BaselineAdminNetworkPolicy objects are checked against their \
        CRDs: priority 0-1000, a subject and peers of exactly one field, 25 rules per direction \
        (100 in v1alpha1), the actions of the kind, ports 1-65535 and valid ranges, CIDRs that \
        parse, no named ports with address peers. The message gives the API server's own \
        reason. CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy objects are checked as \
        Cilium checks them: each rule needs an ingress, ingressDeny, egress or egressDeny entry \
        (`ingress: []` is none), exactly one of endpointSelector and nodeSelector, one kind of \
        peer per rule, CIDRs that parse with excepts inside them, known entities, ports 0-65535 \
        or names, protocols of the CRD; on a live cluster, the Valid=False condition Cilium \
        wrote is reported with its message. One such rule and Cilium enforces none of the \
        policy's rules. Calico's NetworkPolicy, GlobalNetworkPolicy, their staged forms and \
        Tier objects are checked as Calico's API checks them: selectors that parse (the error \
        located at file:line:column inside the selector), actions Allow, Deny, Pass or Log, \
        types Ingress or Egress, no namespaceSelector on the namespaced kinds, numeric ports \
        only with protocol TCP, UDP or SCTP and no ports with a protocol that has none, ports \
        1-65535 and ranges in order, known protocols, CIDRs that parse, of one family and of \
        the rule's ipVersion (4 or 6), a Tier defaultAction of Deny or Pass. Calico refuses \
        such an object: it enforces none of it. The coverage verdict ignores the policy.",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ports\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - ports:\n    - port: 5432\n      endPort: 5431\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: shop\n  labels: {app: db}\nspec:\n  containers: [{name: db, image: postgres}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-ports\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - ports:\n    - port: 5432\n      endPort: 5433\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut findings = network_policies(ctx);
    findings.extend(cluster_policies(ctx));
    findings.extend(cilium_policies(ctx));
    findings.extend(calico_policies(ctx));
    findings
}

/// Calico policies and tiers Calico refuses. Findings name the kind with Calico's group
/// (`projectcalico.org/NetworkPolicy`): Calico's namespaced kind shares its name with
/// Kubernetes'.
fn calico_policies(ctx: &Context<'_>) -> Vec<Finding> {
    let remediation =
        "Fix what is named; until then Calico refuses the object and enforces none of it.";
    // The coverage counts only policies Calico does not refuse (it validated each): only the
    // others are validated again, for Calico's words.
    let policies = ctx
        .inventory
        .calico_policies
        .iter()
        .enumerate()
        .filter(|&(i, _)| !ctx.coverage.set.includes_calico(i))
        .filter_map(|(_, p)| {
            let problems: Vec<String> = calico_validation::validate(p)
                .into_iter()
                .filter(|problem| problem.refuses_policy)
                .map(|problem| problem.words)
                .collect();
            if problems.is_empty() {
                return None;
            }
            let mut f = RULE.finding(
                p.namespace.as_deref().unwrap_or(""),
                p.kind.qualified(),
                &p.name,
                &p.origin,
                format!(
                    "{} {} ({}) is refused by Calico: {}",
                    p.kind,
                    p.qualified_name(),
                    p.api_version,
                    problems.join("; ")
                ),
                remediation.to_owned(),
            );
            if p.namespace.is_none() {
                f.namespace = None;
            }
            Some(f)
        });
    let tiers = ctx.inventory.calico_tiers.iter().filter_map(|t| {
        let problems: Vec<String> = calico_validation::validate_tier(t)
            .into_iter()
            .map(|problem| problem.words)
            .collect();
        (!problems.is_empty()).then(|| {
            let mut f = RULE.finding(
                "",
                crate::model::TIER_KIND,
                &t.name,
                &t.origin,
                format!(
                    "Tier {} is refused by Calico: {}",
                    t.name,
                    problems.join("; ")
                ),
                remediation.to_owned(),
            );
            f.namespace = None;
            f
        })
    });
    policies.chain(tiers).collect()
}

/// Cilium policies Cilium refuses: only what refuses the whole policy is reported here (the
/// other mistakes `cilium_validation` finds are Cilium-specific lints' business).
fn cilium_policies(ctx: &Context<'_>) -> Vec<Finding> {
    ctx.inventory
        .cilium_policies
        .iter()
        .filter_map(|p| {
            let problems: Vec<String> = cilium_validation::validate(p)
                .into_iter()
                .filter(|problem| problem.refuses_policy)
                .map(|problem| problem.words)
                .collect();
            if problems.is_empty() {
                return None;
            }
            let qualified = match &p.namespace {
                Some(ns) => format!("{ns}/{}", p.name),
                None => p.name.clone(),
            };
            let mut f = RULE.finding(
                p.namespace.as_deref().unwrap_or(""),
                p.kind.as_str(),
                &p.name,
                &p.origin,
                format!(
                    "{} {qualified} is refused by Cilium: {}",
                    p.kind,
                    problems.join("; ")
                ),
                "Fix what is named; until then Cilium enforces none of the policy's rules (check `kubectl get cnp,ccnp -A`: VALID False).".to_owned(),
            );
            if p.namespace.is_none() {
                f.namespace = None;
            }
            Some(f)
        })
        .collect()
}

/// Cluster-scoped policies are few: each is validated here, and the finding names no
/// namespace.
fn cluster_policies(ctx: &Context<'_>) -> Vec<Finding> {
    ctx.inventory
        .cluster_policies
        .iter()
        .filter_map(|p| {
            let errors = cluster_validation::validate(p);
            (!errors.is_empty()).then(|| {
                let mut f = RULE.finding(
                    "",
                    p.kind.as_str(),
                    &p.name,
                    &p.origin,
                    format!("{} {} is invalid: {}", p.kind, p.name, errors.join("; ")),
                    "Fix the fields the API server names; until then the policy cannot be applied and decides nothing.".to_owned(),
                );
                f.namespace = None;
                f
            })
        })
        .collect()
}

fn network_policies(ctx: &Context<'_>) -> Vec<Finding> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::run;

    /// The coverage validates every Calico policy and counts the ones Calico accepts; NPC120
    /// validates only the others again. Refused policies the coverage would not count anyway
    /// (staged, host endpoints only) are still reported, and an accepted one in a tier nothing
    /// defines is not.
    #[test]
    fn calico_policies_calico_refuses_are_reported_whether_or_not_they_would_count() {
        let yaml = "apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: bad-selector, namespace: shop}
spec:
  selector: app == web
  ingress: [{action: Allow}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: accepted, namespace: shop}
spec:
  selector: app == 'web'
  ingress: [{action: Allow, protocol: TCP, destination: {ports: [80]}}]
---
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: staged-bad-action, namespace: shop}
spec:
  selector: app == 'web'
  ingress: [{action: allow}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: host-bad-selector}
spec:
  doNotTrack: true
  applyOnForward: true
  selector: has(x
  ingress: [{action: Allow}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: undefined-tier}
spec:
  tier: missing
  ingress: [{action: Deny}]
";
        let mut f: Vec<(String, String)> = run(yaml, check)
            .into_iter()
            .map(|f| (f.object, f.message))
            .collect();
        f.sort();
        let objects: Vec<&str> = f.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(
            objects,
            ["bad-selector", "host-bad-selector", "staged-bad-action"],
            "{f:#?}"
        );
        assert!(f[0]
            .1
            .contains("spec.selector \"app == web\" does not parse"));
        assert!(f[1].1.contains("spec.selector \"has(x\" does not parse"));
        assert!(f[2]
            .1
            .contains("spec.ingress[0].action: \"allow\" is not Allow, Deny, Pass or Log"));
    }
}
