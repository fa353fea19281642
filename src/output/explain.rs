//! `explain` output: isolation per direction, the selecting policies, their rules in plain
//! words with the workloads they reach, and the findings on them.

use std::io::Write;

use serde::Serialize;

use crate::connectivity::explain::{DirectionExplanation, Explanation};
use crate::connectivity::reach::End;
use crate::connectivity::Engine;
use crate::model::{Direction, Inventory};
use crate::report::Finding;

use super::reach::end_name;
use super::PolicyRef;

/// Peers listed by name before "and N more".
const SHOWN_PEERS: usize = 10;

fn summary(d: &DirectionExplanation) -> String {
    let dir = d.direction.lower();
    if d.host_network {
        format!("NOT isolated for {dir}: hostNetwork pods are outside NetworkPolicy")
    } else if !d.isolated {
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
    let lines: Vec<String> = order.iter().map(|d| summary(d)).collect();
    writeln!(out, "{name}: {}", lines.join("; "))?;
    for d in order {
        writeln!(out)?;
        writeln!(out, "{}: {}", d.direction.as_str(), summary(d))?;
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
    host_network: bool,
    summary: String,
    selected_by: Vec<JsonSelecting<'a>>,
    rules: Vec<JsonRule<'a>>,
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

fn json_direction<'a>(inv: &'a Inventory, d: &'a DirectionExplanation) -> JsonDirection<'a> {
    JsonDirection {
        isolated: d.isolated,
        host_network: d.host_network,
        summary: summary(d),
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
        ingress: json_direction(inv, &e.directions[0]),
        egress: json_direction(inv, &e.directions[1]),
        ignored_policies: engine.inventory.ignored_policy_counts(),
        findings: findings.to_vec(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
    writeln!(out)
}
