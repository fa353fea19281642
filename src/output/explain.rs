//! `explain` output: isolation per direction, the selecting policies, their rules in plain
//! words with the workloads they reach, and the findings on them.

use std::io::Write;

use serde::Serialize;

use crate::connectivity::explain::{DirectionExplanation, Explanation};
use crate::connectivity::reach::End;
use crate::connectivity::{describe, Engine};
use crate::model::{Direction, Inventory};
use crate::report::Finding;
use crate::semantics::{Isolation, Layer, PolicyId};

use super::reach::end_name;
use super::PolicyRef;

/// Peers listed by name before "and N more".
const SHOWN_PEERS: usize = 10;

fn summary(engine: &Engine<'_>, d: &DirectionExplanation) -> String {
    let dir = d.direction.lower();
    if d.host_network {
        return format!("NOT isolated for {dir}: hostNetwork pods are outside NetworkPolicy");
    }
    if !d.tiers.is_empty() {
        return tier_summary(engine, d);
    }
    if !d.isolated {
        let why = if d.selecting.is_empty() {
            "no policy selects it".to_owned()
        } else {
            format!("the policies that select it lack {}", d.direction.as_str())
        };
        format!("NOT isolated for {dir} ({why}): every connection is allowed")
    } else {
        format!("isolated for {dir}")
    }
}

/// The verdict with the cluster-scoped tiers (SEMANTICS.md point 22), naming what decides.
fn tier_summary(engine: &Engine<'_>, d: &DirectionExplanation) -> String {
    let dir = d.direction.lower();
    let v = &d.verdict;
    let by = v
        .decided_by()
        .map(|by| describe::decided_by(engine.inventory, by))
        .unwrap_or_default();
    match v.isolation {
        Isolation::Isolated => format!("isolated for {dir}, by {by}"),
        Isolation::PodsOnly => format!(
            "isolated for {dir} from pods only, by {by}: addresses outside the cluster are not denied"
        ),
        Isolation::Ambiguous => {
            let pair = v.ambiguous().map(|(a, b)| {
                format!(
                    "{} and {}",
                    describe::policy_name(engine.inventory, a),
                    describe::policy_name(engine.inventory, b)
                )
            });
            format!(
                "AMBIGUOUS for {dir}: {} have the same priority and the verdict depends on which applies first",
                pair.unwrap_or_default()
            )
        }
        Isolation::Open if v.network_isolated() && !v.calico().is_empty() => format!(
            "NOT isolated for {dir}: NetworkPolicies isolate it, but a rule of an earlier Calico tier or policy allows any pod before them"
        ),
        Isolation::Open if v.network_isolated() => format!(
            "NOT isolated for {dir}: NetworkPolicies isolate it, but an Admin-tier rule allows any pod before them"
        ),
        Isolation::Open => format!(
            "NOT isolated for {dir}: no layer denies what no rule names"
        ),
    }
}

fn peer_names(engine: &Engine<'_>, peers: &[usize], addresses: bool) -> String {
    let mut names: Vec<String> = peers
        .iter()
        .take(SHOWN_PEERS)
        .map(|&w| end_name(engine, End::Workload(w)))
        .collect();
    if peers.len() > SHOWN_PEERS {
        names.push(format!("and {} more", peers.len() - SHOWN_PEERS));
    }
    if addresses {
        names.push("addresses outside the cluster".to_owned());
    }
    if names.is_empty() {
        "nothing in the input".to_owned()
    } else {
        names.join(", ")
    }
}

pub fn text(
    engine: &Engine<'_>,
    e: &Explanation,
    findings: &[&Finding],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let name = end_name(engine, End::Workload(e.workload));
    // Uncovered directions first: they are what the reader came for.
    let mut order: Vec<&DirectionExplanation> = e.directions.iter().collect();
    order.sort_by_key(|d| d.isolated && !d.host_network);
    let lines: Vec<String> = order.iter().map(|d| summary(engine, d)).collect();
    writeln!(out, "{name}: {}", lines.join("; "))?;
    for d in order {
        writeln!(out)?;
        writeln!(out, "{}: {}", d.direction.as_str(), summary(engine, d))?;
        if !d.tiers.is_empty() {
            write_tiers(engine, d, out)?;
            continue;
        }
        for (i, types) in &d.selecting {
            let p = &engine.inventory.policies[*i];
            let defaulted = if types.defaulted {
                " (defaulted from omitted policyTypes)"
            } else {
                ""
            };
            if d.host_network {
                writeln!(
                    out,
                    "  selected by NetworkPolicy {}/{}, policyTypes {}{defaulted}: no effect on a hostNetwork pod (--host-network=pod to count it)",
                    p.namespace,
                    p.name,
                    types.describe()
                )?;
            } else if types.has(d.direction) {
                writeln!(
                    out,
                    "  isolated by NetworkPolicy {}/{}, policyTypes {}{defaulted}",
                    p.namespace,
                    p.name,
                    types.describe()
                )?;
            } else {
                writeln!(
                    out,
                    "  selected by NetworkPolicy {}/{}, policyTypes {}{defaulted}: without {}, it does not isolate for {}",
                    p.namespace,
                    p.name,
                    types.describe(),
                    d.direction.as_str(),
                    d.direction.lower()
                )?;
            }
        }
        if !d.isolated || d.host_network {
            continue;
        }
        let way = match d.direction {
            Direction::Ingress => "allowed in",
            Direction::Egress => "allowed out",
        };
        if d.rules.is_empty() {
            writeln!(
                out,
                "  {way}: nothing (no {} rules: a deny-all)",
                d.direction.lower()
            )?;
            continue;
        }
        writeln!(out, "  {way}:")?;
        for r in &d.rules {
            let p = &engine.inventory.policies[r.policy];
            writeln!(
                out,
                "    {}/{} {} rule {}: {}",
                p.namespace,
                p.name,
                d.direction.lower(),
                r.index + 1,
                r.text
            )?;
            writeln!(
                out,
                "      resolves to: {}",
                peer_names(engine, &r.peers, r.addresses)
            )?;
        }
    }
    if !findings.is_empty() {
        writeln!(out)?;
        writeln!(out, "Findings:")?;
        for f in findings {
            writeln!(
                out,
                "  {} {} ({}) {}: {}",
                f.severity.as_str(),
                f.rule,
                f.name,
                f.object,
                f.message
            )?;
        }
    }
    Ok(())
}

/// Calico's tiers in evaluation order (SEMANTICS.md point 21): each tier that holds a policy
/// selecting the pod, its policies in order with their rules, and its default action; the
/// NetworkPolicies in `default`; then the end.
fn write_calico_tiers(
    engine: &Engine<'_>,
    d: &DirectionExplanation,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    use crate::semantics::calico::BuiltinTier;
    let dir = d.direction.lower();
    let set = &engine.coverage.set;
    let mut step = 0;
    for (t, tier) in set.calico_tiers().iter().enumerate() {
        let layer = match tier.builtin {
            Some(BuiltinTier::KubeAdmin) => Layer::Admin,
            Some(BuiltinTier::Default) => Layer::NetworkPolicy,
            Some(BuiltinTier::KubeBaseline) => Layer::Baseline,
            None => Layer::Calico,
        };
        let policies: Vec<_> = d
            .tiers
            .iter()
            .filter(|p| match p.policy {
                PolicyId::Calico(i) => set.calico_policy(i).is_some_and(|c| c.tier == t),
                _ => p.layer == layer && layer != Layer::Calico,
            })
            .collect();
        let network = layer == Layer::NetworkPolicy && d.isolated;
        if policies.is_empty() && !network {
            continue;
        }
        step += 1;
        let default = match tier.default_action {
            crate::semantics::traffic::Action::Pass => "passed on",
            _ => "denied",
        };
        writeln!(
            out,
            "  {step}. Calico tier {} (policies by order, then rules in order; the first matching rule decides, Pass goes to the next tier; what none decides is {default}):",
            tier.name
        )?;
        for t in policies {
            writeln!(out, "    {}:", tier_policy_name(engine.inventory, t.policy))?;
            for r in &t.rules {
                writeln!(
                    out,
                    "      {}: {}",
                    describe::rule_label(engine.inventory, r.at),
                    r.text
                )?;
                writeln!(
                    out,
                    "        matches: {}",
                    peer_names(engine, &r.peers, r.addresses)
                )?;
            }
        }
        if network {
            writeln!(
                out,
                "    Kubernetes NetworkPolicies (order 1000): isolate it for {dir}; their rules allow:"
            )?;
            if d.rules.is_empty() {
                writeln!(out, "      nothing (no {dir} rules)")?;
            }
            for r in &d.rules {
                let p = &engine.inventory.policies[r.policy];
                writeln!(
                    out,
                    "      {}/{} {dir} rule {}: {}",
                    p.namespace,
                    p.name,
                    r.index + 1,
                    r.text
                )?;
                writeln!(
                    out,
                    "        resolves to: {}",
                    peer_names(engine, &r.peers, r.addresses)
                )?;
            }
        }
    }
    if step == 0 {
        writeln!(
            out,
            "  no Calico tier holds a policy selecting it for {dir}"
        )?;
    }
    writeln!(out, "  then: what no tier decides is allowed")
}

/// A policy of the tiers as its heading: `AdminNetworkPolicy team-a (priority 10)`,
/// `CiliumNetworkPolicy shop/api`.
fn tier_policy_name(inventory: &Inventory, id: PolicyId) -> String {
    let priority = match id {
        PolicyId::Cluster(i) => inventory.cluster_policies[i].priority,
        _ => None,
    };
    let name = describe::policy_name(inventory, id);
    match priority {
        Some(n) => format!("{name} (priority {n})"),
        None => name,
    }
}

/// The layers in evaluation order (SEMANTICS.md point 12): the Admin tier's policies and rules,
/// the NetworkPolicy tier, the Baseline tier, then the default.
fn write_tiers(
    engine: &Engine<'_>,
    d: &DirectionExplanation,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if engine.coverage.set.has_calico() {
        return write_calico_tiers(engine, d, out);
    }
    let dir = d.direction.lower();
    let tier = |layer: Layer| d.tiers.iter().filter(move |t| t.layer == layer);
    let write_policies = |layer: Layer, out: &mut dyn Write| -> std::io::Result<()> {
        for t in tier(layer) {
            writeln!(out, "    {}:", tier_policy_name(engine.inventory, t.policy))?;
            for r in &t.rules {
                writeln!(
                    out,
                    "      {}: {}",
                    describe::rule_label(engine.inventory, r.at),
                    r.text
                )?;
                writeln!(
                    out,
                    "        matches: {}",
                    peer_names(engine, &r.peers, r.addresses)
                )?;
            }
        }
        Ok(())
    };
    if tier(Layer::Admin).next().is_some() {
        writeln!(
            out,
            "  1. Admin tier, first (by priority, then rule order; the first matching rule decides, Pass skips to the NetworkPolicy tier):"
        )?;
        write_policies(Layer::Admin, out)?;
    } else {
        writeln!(out, "  1. Admin tier: no policy selects it")?;
    }
    let cilium = tier(Layer::NetworkPolicy).next().is_some();
    let layer = if cilium {
        "NetworkPolicy tier, with Cilium policies"
    } else {
        "NetworkPolicy tier"
    };
    if d.isolated {
        let mut names: Vec<String> = d
            .rules
            .iter()
            .map(|r| r.policy)
            .chain(
                d.selecting
                    .iter()
                    .filter(|(_, t)| t.has(d.direction))
                    .map(|(i, _)| *i),
            )
            .map(|i| describe::policy_name(engine.inventory, PolicyId::Network(i)))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if names.is_empty() {
            if let Some(by) = d.verdict.decided_by() {
                names.push(describe::decided_by(engine.inventory, by));
            }
        }
        let rules = if cilium {
            "denied if a deny rule matches it, else allowed only by an allow rule"
        } else {
            "allowed only by their rules"
        };
        writeln!(
            out,
            "  2. {layer}: isolated for {dir} by {}; what the Admin tier leaves is {rules}, and the Baseline tier is never reached:",
            names.join(", ")
        )?;
        if d.rules.is_empty() && !cilium {
            writeln!(out, "    no {dir} rules: nothing is allowed here")?;
        }
    } else if cilium {
        writeln!(
            out,
            "  2. {layer}: nothing isolates it for {dir}: what the Admin tier leaves is denied if a deny rule matches it, else goes on:"
        )?;
    } else {
        writeln!(
            out,
            "  2. {layer}: nothing isolates it for {dir}: what the Admin tier leaves goes on"
        )?;
    }
    write_policies(Layer::NetworkPolicy, out)?;
    for r in d.rules.iter().filter(|_| d.isolated) {
        let p = &engine.inventory.policies[r.policy];
        writeln!(
            out,
            "    {}/{} {dir} rule {}: {}",
            p.namespace,
            p.name,
            r.index + 1,
            r.text
        )?;
        writeln!(
            out,
            "      resolves to: {}",
            peer_names(engine, &r.peers, r.addresses)
        )?;
    }
    if tier(Layer::Baseline).next().is_some() {
        let reached = if d.isolated { " (not reached)" } else { "" };
        writeln!(
            out,
            "  3. Baseline tier{reached} (the first matching rule decides; BaselineAdminNetworkPolicy last):"
        )?;
        write_policies(Layer::Baseline, out)?;
    } else {
        writeln!(out, "  3. Baseline tier: no policy selects it")?;
    }
    writeln!(out, "  then: what no tier decides is allowed")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonExplanation<'a> {
    api_version: &'static str,
    kind: &'static str,
    workload: JsonWorkload<'a>,
    ingress: JsonDirection<'a>,
    egress: JsonDirection<'a>,
    findings: Vec<&'a Finding>,
    /// Objects of policy kinds this version does not evaluate, by kind (as the report's
    /// `summary.ignoredPolicies`): the answer leaves them out.
    ignored_policies: std::collections::BTreeMap<String, usize>,
}

#[derive(Serialize)]
struct JsonWorkload<'a> {
    kind: &'static str,
    namespace: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonDirection<'a> {
    isolated: bool,
    /// `isolated`, `pods-only`, `open` or `ambiguous` (REPORT.md).
    isolation: &'static str,
    host_network: bool,
    summary: String,
    selected_by: Vec<JsonSelecting<'a>>,
    rules: Vec<JsonRule<'a>>,
    /// The cluster-scoped policies that select it, in evaluation order (Admin, then Baseline).
    tiers: Vec<JsonTierPolicy<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonTierPolicy<'a> {
    tier: std::borrow::Cow<'static, str>,
    #[serde(flatten)]
    policy: PolicyRef<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<i64>,
    rules: Vec<JsonTierRule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonTierRule<'a> {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    action: &'static str,
    description: &'a str,
    peers: Vec<JsonWorkload<'a>>,
    addresses: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSelecting<'a> {
    #[serde(flatten)]
    policy: PolicyRef<'a>,
    policy_types: Vec<&'static str>,
    policy_types_defaulted: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonRule<'a> {
    /// The name; `policyRef` names it as `reach` does.
    policy: &'a str,
    policy_ref: PolicyRef<'a>,
    index: usize,
    description: &'a str,
    peers: Vec<JsonWorkload<'a>>,
    addresses: bool,
}

fn json_workload(inv: &Inventory, i: usize) -> JsonWorkload<'_> {
    let w = &inv.workloads[i];
    JsonWorkload {
        kind: w.kind.as_str(),
        namespace: &w.namespace,
        name: &w.name,
    }
}

fn json_direction<'a>(
    engine: &Engine<'_>,
    inv: &'a Inventory,
    d: &'a DirectionExplanation,
) -> JsonDirection<'a> {
    JsonDirection {
        isolated: if d.tiers.is_empty() {
            d.isolated && !d.host_network
        } else {
            d.verdict.isolated
        },
        isolation: if d.host_network {
            Isolation::Open.as_str()
        } else {
            d.verdict.isolation.as_str()
        },
        host_network: d.host_network,
        summary: summary(engine, d),
        tiers: d
            .tiers
            .iter()
            .map(|t| {
                let cluster = match t.policy {
                    PolicyId::Cluster(i) => Some(&inv.cluster_policies[i]),
                    _ => None,
                };
                JsonTierPolicy {
                    tier: crate::connectivity::describe::layer_name(inv, t.layer, t.policy),
                    policy: PolicyRef::of_id(inv, t.policy),
                    priority: cluster.and_then(|p| p.priority),
                    rules: t
                        .rules
                        .iter()
                        .map(|r| JsonTierRule {
                            index: r.at.index,
                            name: match cluster {
                                Some(p) => p.rules(d.direction)[r.at.index].name.clone(),
                                None => Some(describe::rule_label(inv, r.at)),
                            },
                            action: r.action.as_str(),
                            description: &r.text,
                            peers: r.peers.iter().map(|&w| json_workload(inv, w)).collect(),
                            addresses: r.addresses,
                        })
                        .collect(),
                }
            })
            .collect(),
        selected_by: d
            .selecting
            .iter()
            .map(|(i, t)| JsonSelecting {
                policy: PolicyRef::of(&inv.policies[*i]),
                policy_types: t.names(),
                policy_types_defaulted: t.defaulted,
            })
            .collect(),
        rules: d
            .rules
            .iter()
            .map(|r| JsonRule {
                policy: &inv.policies[r.policy].name,
                policy_ref: PolicyRef::of(&inv.policies[r.policy]),
                index: r.index,
                description: &r.text,
                peers: r.peers.iter().map(|&w| json_workload(inv, w)).collect(),
                addresses: r.addresses,
            })
            .collect(),
    }
}

pub fn json(
    engine: &Engine<'_>,
    e: &Explanation,
    findings: &[&Finding],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let inv = engine.inventory;
    let doc = JsonExplanation {
        api_version: crate::report::API_VERSION,
        kind: "Explanation",
        workload: json_workload(inv, e.workload),
        ingress: json_direction(engine, inv, &e.directions[0]),
        egress: json_direction(engine, inv, &e.directions[1]),
        ignored_policies: engine.inventory.ignored_policy_counts(),
        findings: findings.to_vec(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
    writeln!(out)
}
