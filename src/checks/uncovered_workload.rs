//! NPC001 uncovered-workload: a workload that is not isolated for ingress and/or egress, so any
//! pod (or address) can reach it, or it can reach anything.

use rayon::prelude::*;

use crate::model::{Direction, Workload};
use crate::report::{Finding, Severity};
use crate::semantics::{Coverage, DirectionVerdict, Isolation, WorkloadVerdict};

use super::{Context, Rule};
use crate::text::plural;

pub const RULE: Rule = Rule {
    id: "NPC001",
    name: "uncovered-workload",
    severity: Severity::Error,
    summary: "A workload is not isolated for ingress and/or egress by any NetworkPolicy",
    explanation: "Kubernetes networking is flat: a pod that no NetworkPolicy selects for ingress \
        accepts connections from every pod of the cluster (and anything that can route to it), and \
        one that no policy selects for egress can reach anything. A pod is isolated for a \
        direction once a policy of its own namespace selects it with that direction among its \
        effective policyTypes. The finding says which direction is open and why: no policy in the \
        namespace, policies that select other pods, or selecting policies without that direction \
        (an omitted policyTypes defaults to Ingress only, plus Egress when egress rules exist).",
    bad_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web}\nspec:\n  containers: [{name: web, image: nginx}]\n---\n# Selects web for ingress only: policyTypes defaults to [Ingress].\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: frontend}}\n",
    good_example: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web}\nspec:\n  containers: [{name: web, image: nginx}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-ingress\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: frontend}}\n",
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    (ctx.inventory.workloads.par_iter())
        .zip(&ctx.coverage.workloads)
        .filter(|(w, v)| !ctx.coverage.on_node_network(w) && !v.covered())
        .map_init(Reasons::default, |reasons, (w, v)| {
            finding(ctx, w, v, reasons)
        })
        .collect()
}

/// The reasons the layers beyond NetworkPolicies give, by what they depend on: the shared
/// layer detail ([`crate::semantics::DirectionVerdict::layers_key`]), the isolation, the
/// direction and whether NetworkPolicies isolate it. Workloads under the same policies share
/// them; naming those policies again for each of 100,000 workloads was most of this check.
type Reasons = foldhash::HashMap<(usize, Isolation, Direction, bool), Option<String>>;

fn finding(ctx: &Context<'_>, w: &Workload, v: &WorkloadVerdict, cache: &mut Reasons) -> Finding {
    let open: Vec<Direction> = Direction::BOTH
        .into_iter()
        .filter(|d| !v.direction(*d).isolated)
        .collect();
    let reasons: Vec<String> = open.iter().map(|d| reason(ctx, w, v, *d, cache)).collect();
    let (kind, ns, name) = (w.kind.as_str(), w.namespace.as_str(), w.name.as_str());
    let message = match (open.as_slice(), reasons.as_slice()) {
        ([_, _], [a, b]) if a == b => crate::text::concat(&[
            kind,
            " ",
            ns,
            "/",
            name,
            " is not isolated for ingress or egress: ",
            a,
        ]),
        ([_, _], [a, b]) => crate::text::concat(&[
            kind,
            " ",
            ns,
            "/",
            name,
            " is not isolated for ingress (",
            a,
            ") or egress (",
            b,
            ")",
        ]),
        _ => crate::text::concat(&[
            kind,
            " ",
            ns,
            "/",
            name,
            " is not isolated for ",
            open[0].lower(),
            ": ",
            &reasons[0],
        ]),
    };
    // Directions as `policyTypes` and Cilium's sections name them: one, or both in this order.
    let both = open.len() == 2;
    let cilium_cluster = !ctx.inventory.cilium_policies.is_empty();
    let remediation = if cilium_cluster && v.selected_by.is_empty() {
        // Cilium policies are what this input writes: the fix in their form.
        let sections = if both {
            "ingress: [{}], egress: [{}]"
        } else if open[0] == Direction::Ingress {
            "ingress: [{}]"
        } else {
            "egress: [{}]"
        };
        crate::text::concat(&[
            "Add a CiliumNetworkPolicy default deny to namespace ",
            ns,
            " (endpointSelector: {}, ",
            sections,
            ") and Cilium policies that allow only the traffic ",
            name,
            " needs (`generate --policy-format cilium` writes them).",
        ])
    } else if v.selected_by.is_empty() {
        crate::text::concat(&[
            "Add a default deny to namespace ",
            ns,
            " (podSelector: {}, policyTypes: [",
            if both {
                "Ingress, Egress"
            } else {
                open[0].as_str()
            },
            "], no rules) and NetworkPolicies that allow only the traffic ",
            name,
            " needs.",
        ])
    } else {
        let t = if both {
            "Ingress and Egress"
        } else {
            open[0].as_str()
        };
        crate::text::concat(&[
            "List ",
            t,
            " in the policyTypes of a policy that selects ",
            name,
            " (with the rules it needs), or add a default deny for ",
            t,
            " to namespace ",
            ns,
            ".",
        ])
    };
    RULE.finding(
        &w.namespace,
        w.kind.as_str(),
        &w.name,
        &w.origin,
        message,
        remediation,
    )
}

/// Why the workload is open in this direction.
fn reason(
    ctx: &Context<'_>,
    w: &Workload,
    v: &WorkloadVerdict,
    d: Direction,
    cache: &mut Reasons,
) -> String {
    let coverage: &Coverage = ctx.coverage;
    let verdict = v.direction(d);
    // Without a detail, none of the layers beyond NetworkPolicies takes part.
    if let Some(id) = verdict.layers_key() {
        let key = (id, verdict.isolation, d, verdict.network_isolated());
        let layered = cache.entry(key).or_insert_with(|| {
            tier_reason(ctx, verdict)
                .or_else(|| cilium_reason(ctx, verdict, d))
                .or_else(|| calico_reason(ctx, verdict))
        });
        if let Some(reason) = layered {
            return reason.clone();
        }
    }
    let in_namespace = coverage.policy_count(&w.namespace);
    if in_namespace == 0 && !ctx.inventory.calico_policies.is_empty() {
        return format!(
            "no NetworkPolicy in namespace {} and no Calico policy selects it",
            w.namespace
        );
    }
    if in_namespace == 0 && !ctx.inventory.cilium_policies.is_empty() {
        return format!(
            "no NetworkPolicy in namespace {} and no Cilium policy selects it",
            w.namespace
        );
    }
    if in_namespace == 0 {
        return format!("no NetworkPolicy in namespace {}", w.namespace);
    }
    if v.selected_by.is_empty() {
        let n = plural(in_namespace, "NetworkPolicy", "NetworkPolicies");
        let verb = if in_namespace == 1 {
            "does not select it"
        } else {
            "none selects it"
        };
        return format!("{n} in namespace {}, {verb}", w.namespace);
    }
    let selecting: Vec<String> = v
        .selected_by
        .iter()
        .map(|&i| {
            let policy = &ctx.inventory.policies[i];
            // Compiled policies are in inventory order: a binary search, not a scan of 20,000.
            let types = coverage
                .policies()
                .binary_search_by_key(&i, |c| c.index)
                .ok()
                .map(|at| &coverage.policies()[at])
                .map(|c| {
                    let mut t = c.types.describe();
                    if c.types.defaulted {
                        t.push_str(" defaulted from omitted policyTypes");
                    }
                    t
                })
                .unwrap_or_default();
            format!("{} {}", policy.name, types)
        })
        .collect();
    format!(
        "selected only by {}, without {}",
        selecting.join(", "),
        d.as_str()
    )
}

/// Why Cilium policies that select the pod leave a direction open: none asks for default deny
/// (point 18).
fn cilium_reason(ctx: &Context<'_>, v: &DirectionVerdict, d: Direction) -> Option<String> {
    if v.cilium().is_empty() || v.cilium_default_deny() || v.network_isolated() {
        return None;
    }
    let mut names: Vec<String> = v
        .cilium()
        .iter()
        .map(|&p| {
            crate::connectivity::describe::policy_name(
                ctx.inventory,
                ctx.coverage.set.cilium()[p].id(),
            )
        })
        .collect();
    names.dedup();
    Some(format!(
        "selected by {}, which {} default deny off (enableDefaultDeny.{}: false): what no deny rule names is allowed",
        names.join(", "),
        if names.len() == 1 { "turns" } else { "turn" },
        d.lower()
    ))
}

/// Why Calico policies that select the pod leave a direction open (SEMANTICS.md points 21-22):
/// they deny pods only, or a rule lets any pod through before anything denies it.
fn calico_reason(ctx: &Context<'_>, v: &DirectionVerdict) -> Option<String> {
    use crate::connectivity::describe::policy_name;
    use crate::semantics::{Isolation, PolicyId};
    if v.calico().is_empty() || !v.cluster().is_empty() {
        return None;
    }
    // Named only when the reason is written: most directions need none.
    let names = || {
        let mut names: Vec<String> = v
            .calico()
            .iter()
            .map(|&p| {
                policy_name(
                    ctx.inventory,
                    PolicyId::Calico(ctx.coverage.set.calico()[p].index),
                )
            })
            .collect();
        names.dedup();
        names.join(", ")
    };
    match v.isolation {
        Isolation::PodsOnly => Some(format!(
            "isolated from pods only, by {}: addresses outside the cluster are not denied",
            v.decided_by()
                .as_ref()
                .map(|by| crate::connectivity::describe::decided_by(ctx.inventory, by))
                .unwrap_or_else(names)
        )),
        Isolation::Open => Some(format!(
            "selected by {}, whose tiers let a peer no rule names through (a Pass with nothing after it, an Allow of any pod, or no rule for this direction in a tier that passes by default)",
            names()
        )),
        _ => None,
    }
}

/// Why the cluster-scoped tiers leave a direction open (SEMANTICS.md point 22), when they
/// take part in it.
fn tier_reason(ctx: &Context<'_>, v: &DirectionVerdict) -> Option<String> {
    use crate::connectivity::describe::policy_name;
    use crate::semantics::{DecidedBy, Isolation, PolicyId};
    if v.cluster().is_empty() {
        return None;
    }
    let by = |b: Option<&DecidedBy>| match b {
        Some(by) => crate::connectivity::describe::decided_by(ctx.inventory, by),
        None => "its NetworkPolicies".to_owned(),
    };
    match v.isolation {
        Isolation::PodsOnly => Some(format!(
            "isolated from pods only, by {}: addresses outside the cluster are not denied",
            by(v.decided_by())
        )),
        Isolation::Ambiguous => {
            let (a, b) = v.ambiguous()?;
            Some(format!(
                "{} and {} have the same priority and may apply in either order, with different verdicts",
                policy_name(ctx.inventory, a),
                policy_name(ctx.inventory, b)
            ))
        }
        Isolation::Open if v.network_isolated() => {
            let admins: Vec<String> = v
                .cluster()
                .iter()
                .map(|&p| &ctx.coverage.set.cluster()[p])
                .filter(|c| c.layer == crate::semantics::Layer::Admin)
                .map(|c| policy_name(ctx.inventory, PolicyId::Cluster(c.index)))
                .collect();
            Some(format!(
                "NetworkPolicies isolate it, but the Admin tier ({}) allows any pod before they are consulted",
                admins.join(", ")
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{policy, workload};
    use crate::model::Inventory;

    fn run(inv: &Inventory) -> Vec<Finding> {
        let coverage = Coverage::evaluate(inv, |_| true);
        check(&Context::new(inv, &coverage, &[], None))
    }

    #[test]
    fn calico_policies_that_deny_pods_only_are_named() {
        let yaml = format!(
            "{}apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {{name: security}}\nspec: {{order: 100, defaultAction: Pass}}\n---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: pods-only}}\nspec:\n  tier: security\n  selector: app == 'db'\n  types: [Ingress]\n  ingress:\n  - action: Deny\n    source: {{namespaceSelector: all()}}\n",
            crate::checks::testutil::DB_POD
        );
        let f = crate::checks::testutil::run(&yaml, check);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].message.contains(
                "ingress (isolated from pods only, by GlobalNetworkPolicy pods-only (tier security) ingress[0]"
            ),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message
                .contains("no NetworkPolicy in namespace shop and no Calico policy selects it"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn fires_when_no_policy_in_namespace() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[("app", "web")])],
            ..Default::default()
        };
        let f = run(&inv);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "NPC001");
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(
            f[0].message,
            "Deployment shop/web is not isolated for ingress or egress: no NetworkPolicy in namespace shop"
        );
    }

    #[test]
    fn says_when_policies_exist_but_none_selects() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[("app", "web")])],
            policies: vec![policy("shop", "db-only", &[("app", "db")], None, 0, 0)],
            ..Default::default()
        };
        let f = run(&inv);
        assert_eq!(
            f[0].message,
            "Deployment shop/web is not isolated for ingress or egress: 1 NetworkPolicy in namespace shop, does not select it"
        );
    }

    #[test]
    fn names_selecting_policies_and_their_effective_types() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[("app", "web")])],
            policies: vec![policy("shop", "web-in", &[("app", "web")], None, 1, 0)],
            ..Default::default()
        };
        let f = run(&inv);
        assert_eq!(
            f[0].message,
            "Deployment shop/web is not isolated for egress: selected only by web-in [Ingress] \
             defaulted from omitted policyTypes, without Egress"
        );
    }

    #[test]
    fn silent_when_isolated_both_ways() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[("app", "web")])],
            policies: vec![policy(
                "shop",
                "deny",
                &[],
                Some(&["Ingress", "Egress"]),
                0,
                0,
            )],
            ..Default::default()
        };
        assert!(run(&inv).is_empty());
    }

    #[test]
    fn host_network_workloads_are_left_to_npc002() {
        let mut w = workload("shop", "agent", &[]);
        w.host_network = true;
        let inv = Inventory {
            workloads: vec![w],
            ..Default::default()
        };
        assert!(run(&inv).is_empty());
    }
}
