//! `reach` output: the verdict and the rules that decide each side, as text or JSON.

use std::io::Write;

use serde::Serialize;

use crate::connectivity::explain::short_kind;
use crate::connectivity::externals::Segment;
use crate::connectivity::reach::{cidrs, End, Reach};
use crate::connectivity::{describe, Engine, SideAnswer};
use crate::model::Direction;
use crate::semantics::traffic::Action;
use crate::semantics::{ConnSet, Layer, PolicyId, PolicyTypes};

use super::matrix::{json_ports, JsonPorts};
use super::PolicyRef;

/// `deploy/web (shop)` or `203.0.113.9`.
pub fn end_name(engine: &Engine<'_>, end: End) -> String {
    match end {
        End::Workload(w) => {
            let w = &engine.inventory.workloads[w];
            format!("{}/{} ({})", short_kind(w.kind), w.name, w.namespace)
        }
        End::Address(ip) => ip.to_string(),
        End::Network(net) => net.to_string(),
    }
}

/// At most `limit` CIDRs, then how many more.
fn cidr_list(segments: &[Segment], limit: usize) -> String {
    let all: Vec<String> = segments
        .iter()
        .flat_map(|&s| cidrs(s))
        .map(|n| n.to_string())
        .collect();
    if all.len() <= limit {
        all.join(", ")
    } else {
        format!(
            "{}, and {} more",
            all[..limit].join(", "),
            all.len() - limit
        )
    }
}

/// The sub-range of a network end that `r.answer` is about, when the end has several.
fn shown_range(r: &Reach) -> Option<String> {
    if r.ranges.len() < 2 {
        return None;
    }
    let (segment, _) = r
        .ranges
        .iter()
        .find(|(_, allowed)| !allowed)
        .unwrap_or(&r.ranges[0]);
    Some(cidr_list(&[*segment], 3))
}

/// For a network end: which parts of the range are allowed, when not all or none are, and
/// which part the explanation that follows is about.
fn write_ranges(r: &Reach, out: &mut dyn Write) -> std::io::Result<()> {
    if r.ranges.is_empty() {
        return Ok(());
    }
    let (net, to) = match (r.source, r.destination) {
        (_, End::Network(net)) => (net, "to"),
        (End::Network(net), _) => (net, "from"),
        _ => return Ok(()),
    };
    let allowed: Vec<Segment> = r
        .ranges
        .iter()
        .filter(|(_, a)| *a)
        .map(|(s, _)| *s)
        .collect();
    let denied: Vec<Segment> = r
        .ranges
        .iter()
        .filter(|(_, a)| !*a)
        .map(|(s, _)| *s)
        .collect();
    if !allowed.is_empty() && !denied.is_empty() {
        writeln!(
            out,
            "not every address of {net} is allowed: allowed {to} {}; denied {to} {}",
            cidr_list(&allowed, 8),
            cidr_list(&denied, 8)
        )?;
    }
    if let Some(shown) = shown_range(r) {
        writeln!(
            out,
            "the policies' ipBlocks cut {net} into {} ranges; below, {shown}:",
            r.ranges.len(),
        )?;
    }
    Ok(())
}

fn what(r: &Reach) -> String {
    match r.port {
        Some(p) => format!("{} {}", p.protocol.as_str(), p.number),
        None => "any port".to_owned(),
    }
}

fn policy_name(engine: &Engine<'_>, i: usize) -> String {
    describe::policy_name(engine.inventory, PolicyId::Network(i))
}

/// Whether a set of connections holds what the question asks about.
fn relevant(r: &Reach, c: &ConnSet) -> bool {
    match r.port {
        Some(p) => c.contains(p.protocol, p.number),
        None => !c.is_empty(),
    }
}

fn side_lets_through(r: &Reach, side: &SideAnswer) -> bool {
    match r.port {
        Some(p) => side.allowed.contains(p.protocol, p.number),
        None => !side.allowed.is_empty(),
    }
}

pub fn text(engine: &Engine<'_>, r: &Reach, out: &mut dyn Write) -> std::io::Result<()> {
    let (src, dst) = (end_name(engine, r.source), end_name(engine, r.destination));
    let verdict = match (r.allowed, &r.unknown) {
        (true, _) => "ALLOWED",
        (false, None) => "DENIED",
        (false, Some(_)) => "UNKNOWN",
    };
    writeln!(out, "{verdict}: {src} -> {dst}, {}", what(r))?;
    if let Some(reason) = &r.unknown {
        writeln!(out, "unknown: {reason}")?;
    }
    for note in &r.notes {
        writeln!(out, "note: {note}")?;
    }
    write_ranges(r, out)?;
    // The sides below are those of one sub-range of a network end: name that one.
    let (src, dst) = match (shown_range(r), r.source, r.destination) {
        (Some(range), End::Network(_), _) => (range, dst),
        (Some(range), _, End::Network(_)) => (src, range),
        _ => (src, dst),
    };
    if r.port.is_none() && r.allowed {
        writeln!(out, "allowed connections: {}", r.answer.allowed)?;
    }
    if r.answer.same_pod {
        writeln!(
            out,
            "a pod's traffic to itself cannot be blocked (SEMANTICS.md point 11)"
        )?;
        return Ok(());
    }
    for (direction, side, owner, peer) in [
        (Direction::Egress, &r.answer.egress, &src, &dst),
        (Direction::Ingress, &r.answer.ingress, &dst, &src),
    ] {
        writeln!(out)?;
        match side {
            Some(side) => write_side(engine, r, side, owner, peer, out)?,
            None => writeln!(
                out,
                "{} of {owner}: allowed (an address: no NetworkPolicy polices it)",
                direction.lower()
            )?,
        }
    }
    Ok(())
}

fn write_side(
    engine: &Engine<'_>,
    r: &Reach,
    side: &SideAnswer,
    owner: &str,
    peer: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let d = side.direction.lower();
    if side.host_network {
        return writeln!(
            out,
            "{d} of {owner}: allowed (hostNetwork: NetworkPolicy does not isolate it)"
        );
    }
    if !side.cluster.is_empty()
        || !side.cilium.is_empty()
        || !side.calico.is_empty()
        || (side.isolated && side.policies.is_empty())
    {
        return write_tiered_side(engine, r, side, owner, peer, out);
    }
    if !side.isolated {
        return writeln!(
            out,
            "{d} of {owner}: allowed (not isolated for {d}: no policy with {} selects it)",
            side.direction.as_str()
        );
    }
    let passes = side_lets_through(r, side);
    writeln!(
        out,
        "{d} of {owner}: {}",
        if passes { "allowed" } else { "denied" }
    )?;
    let names: Vec<String> = side
        .policies
        .iter()
        .map(|&i| policy_name(engine, i))
        .collect();
    writeln!(out, "  isolated for {d} by {}", names.join(", "))?;
    let deciding: Vec<_> = side
        .rules
        .iter()
        .filter(|(_, c)| match r.port {
            Some(p) => c.contains(p.protocol, p.number),
            None => !c.is_empty(),
        })
        .collect();
    for (at, conns) in &deciding {
        // With a port asked, the rest of what the rule allows is not the question.
        let here = match r.port {
            Some(p) => format!("{} {}", p.protocol.as_str(), p.number),
            None => conns.to_string(),
        };
        writeln!(
            out,
            "  allowed by {}, {d} rule {}: {} (here: {here})",
            describe::policy_name(engine.inventory, at.policy),
            at.index + 1,
            describe::rule_ref(engine.inventory, *at),
        )?;
    }
    if deciding.is_empty() {
        let total: usize = side
            .policies
            .iter()
            .map(|&p| engine.rules(PolicyId::Network(p), side.direction).len())
            .sum();
        match total {
            0 => writeln!(out, "  they have no {d} rules: a deny-all for {d}")?,
            1 => writeln!(
                out,
                "  their one {d} rule does not allow {peer} on {}",
                what(r)
            )?,
            n => writeln!(
                out,
                "  none of their {n} {d} rules allows {peer} on {}",
                what(r)
            )?,
        }
        for (at, conns) in side.rules.iter().filter(|(_, c)| !c.is_empty()) {
            writeln!(
                out,
                "  {peer} may use {conns} instead ({}, {d} rule {})",
                describe::policy_name(engine.inventory, at.policy),
                at.index + 1
            )?;
        }
    }
    Ok(())
}

/// A side that cluster-scoped tiers select: every rule that decides part of the question, in
/// evaluation order, and what decides the rest (SEMANTICS.md point 12).
fn write_tiered_side(
    engine: &Engine<'_>,
    r: &Reach,
    side: &SideAnswer,
    owner: &str,
    peer: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let d = side.direction.lower();
    let passes = side_lets_through(r, side);
    writeln!(
        out,
        "{d} of {owner}: {}",
        if passes { "allowed" } else { "denied" }
    )?;
    let here = |c: &ConnSet| match r.port {
        Some(p) => format!("{} {}", p.protocol.as_str(), p.number),
        None => c.to_string(),
    };
    let decision = &side.decision;
    // What isolates the side in the NetworkPolicy layer: its NetworkPolicies, the Cilium rules
    // asking for default deny, or the Cilium agents' mode.
    let mut isolating: Vec<String> = side
        .policies
        .iter()
        .map(|&i| policy_name(engine, i))
        .chain(
            side.cilium_isolating
                .iter()
                .map(|&id| describe::policy_name(engine.inventory, id)),
        )
        .collect();
    isolating.dedup();
    if isolating.is_empty() && side.isolated {
        isolating.push("Cilium's policy enforcement mode `always`".to_owned());
    }
    let mut network_said = false;
    for step in decision.steps.iter().filter(|s| relevant(r, &s.conns)) {
        if step.layer == Layer::NetworkPolicy && step.action == Action::Allow {
            if !network_said {
                writeln!(
                    out,
                    "  NetworkPolicy tier: isolated for {d} by {}",
                    isolating.join(", ")
                )?;
                network_said = true;
            }
            writeln!(
                out,
                "  allowed by {}, {d} {}: {} (here: {})",
                describe::policy_name(engine.inventory, step.rule.policy),
                describe::rule_label(engine.inventory, step.rule),
                describe::rule_ref(engine.inventory, step.rule),
                here(&step.conns)
            )?;
            continue;
        }
        let verb = match step.action {
            Action::Allow => "allowed by",
            Action::Deny => "denied by",
            Action::Pass => "passed to the next tier by",
            Action::Log => "logged by",
        };
        writeln!(
            out,
            "  {}: {verb} {}, {d} {}: {} (here: {})",
            describe::layer_heading(&describe::layer_name(
                engine.inventory,
                step.layer,
                step.rule.policy
            )),
            describe::policy_name(engine.inventory, step.rule.policy),
            describe::rule_label(engine.inventory, step.rule),
            describe::rule_ref(engine.inventory, step.rule),
            here(&step.conns)
        )?;
    }
    let calico_tier = decision
        .isolation_tier
        .map(|t| &engine.coverage.set.calico_tiers()[t])
        .filter(|t| {
            t.builtin != Some(crate::semantics::calico::BuiltinTier::Default)
                || isolating.is_empty()
        });
    if let (Some(tier), true) = (calico_tier, relevant(r, &decision.isolation_denied)) {
        writeln!(
            out,
            "  {}: denied: policies of Calico tier {} select it for {d}, none decides {peer} on {}, and the tier's default action is Deny",
            describe::layer_heading(&describe::tier_layer(&tier.name)),
            tier.name,
            what(r)
        )?;
    } else if relevant(r, &decision.isolation_denied) {
        writeln!(
            out,
            "  NetworkPolicy tier: denied: {} isolate{} it for {d} and no allow rule of that layer allows {peer} on {}",
            isolating.join(", "),
            if isolating.len() == 1 { "s" } else { "" },
            what(r)
        )?;
    }
    if relevant(r, &decision.default_allowed) {
        writeln!(
            out,
            "  no tier decides {}: allowed (nothing isolates it for {d}, and no rule denies it)",
            what(r)
        )?;
    }
    if let Some(why) = decision.unknown {
        writeln!(out, "  note: a rule may also match {peer}, but {why}")?;
    }
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReach<'a> {
    api_version: &'static str,
    kind: &'static str,
    verdict: &'static str,
    source: JsonEnd,
    destination: JsonEnd,
    port: Option<JsonPort>,
    same_pod: bool,
    /// Everything the pair may exchange.
    allowed: String,
    ports: Vec<JsonPorts>,
    egress: Option<JsonSide<'a>>,
    ingress: Option<JsonSide<'a>>,
    /// With a network end: its sub-ranges, each allowed or not; `egress`/`ingress` explain
    /// the first denied one, else the first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ranges: Vec<JsonRange>,
    /// Objects of policy kinds this version does not evaluate, by kind (as the report's
    /// `summary.ignoredPolicies`): the answer leaves them out.
    ignored_policies: std::collections::BTreeMap<String, usize>,
    /// Why the verdict is `unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// What the verdict assumes (hostNetwork ends).
    notes: Vec<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum JsonEnd {
    Workload {
        kind: &'static str,
        namespace: String,
        name: String,
    },
    Address {
        address: String,
    },
    Network {
        cidr: String,
    },
}

/// A sub-range of a network end, with its verdict.
#[derive(Serialize)]
struct JsonRange {
    from: String,
    to: String,
    cidrs: Vec<String>,
    allowed: bool,
}

fn json_end(engine: &Engine<'_>, end: End) -> JsonEnd {
    match end {
        End::Workload(w) => {
            let w = &engine.inventory.workloads[w];
            JsonEnd::Workload {
                kind: w.kind.as_str(),
                namespace: w.namespace.clone(),
                name: w.name.clone(),
            }
        }
        End::Address(ip) => JsonEnd::Address {
            address: ip.to_string(),
        },
        End::Network(net) => JsonEnd::Network {
            cidr: net.to_string(),
        },
    }
}

#[derive(Serialize)]
struct JsonPort {
    protocol: &'static str,
    port: u16,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSide<'a> {
    allowed: bool,
    isolated: bool,
    host_network: bool,
    policies: Vec<JsonPolicy<'a>>,
    rules: Vec<JsonRule<'a>>,
    /// Every rule of any tier that decided part of the connections, in evaluation order.
    steps: Vec<JsonStep<'a>>,
    /// Cluster-scoped policies whose subject selects this side, in evaluation order.
    cluster_policies: Vec<PolicyRef<'a>>,
    /// What decides the question on this side.
    decided_by: JsonDecidedBy<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonStep<'a> {
    layer: std::borrow::Cow<'static, str>,
    action: &'static str,
    #[serde(flatten)]
    policy_ref: PolicyRef<'a>,
    /// 0-based index in spec.ingress / spec.egress.
    index: usize,
    description: String,
    connections: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonDecidedBy<'a> {
    /// `Admin`, `NetworkPolicy`, `Baseline`, `Calico tier <name>`, or `none` (nothing
    /// decides: allowed).
    layer: std::borrow::Cow<'static, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<&'static str>,
    /// The deciding rule's policy; for the NetworkPolicy tier's isolation, absent (the
    /// isolating policies are in `policies`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    policy: Option<PolicyRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
}

/// The step (or layer default) that decides the question asked on one side: the first that
/// covers the port asked, else the first that decides anything.
fn decided_by<'a>(engine: &'a Engine<'_>, r: &Reach, s: &SideAnswer) -> JsonDecidedBy<'a> {
    let d = &s.decision;
    let final_step = d
        .steps
        .iter()
        .find(|st| st.action != Action::Pass && relevant(r, &st.conns));
    if let Some(st) = final_step {
        return JsonDecidedBy {
            layer: describe::layer_name(engine.inventory, st.layer, st.rule.policy),
            action: Some(st.action.as_str()),
            policy: Some(PolicyRef::of_id(engine.inventory, st.rule.policy)),
            index: Some(st.rule.index),
        };
    }
    if let (Some(t), true) = (d.isolation_tier, relevant(r, &d.isolation_denied)) {
        return JsonDecidedBy {
            layer: describe::tier_layer(&engine.coverage.set.calico_tiers()[t].name),
            action: Some(Action::Deny.as_str()),
            policy: None,
            index: None,
        };
    }
    if relevant(r, &d.isolation_denied) || (!s.policies.is_empty() && s.allowed.is_empty()) {
        return JsonDecidedBy {
            layer: Layer::NetworkPolicy.as_str().into(),
            action: Some(Action::Deny.as_str()),
            policy: None,
            index: None,
        };
    }
    JsonDecidedBy {
        layer: "none".into(),
        action: None,
        policy: None,
        index: None,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonPolicy<'a> {
    #[serde(flatten)]
    policy: PolicyRef<'a>,
    policy_types: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonRule<'a> {
    /// `namespace/name`; `policyRef` names it as `explain` does.
    policy: String,
    policy_ref: PolicyRef<'a>,
    /// 0-based index in spec.ingress / spec.egress.
    index: usize,
    description: String,
    allows: String,
}

pub fn json(engine: &Engine<'_>, r: &Reach, out: &mut dyn Write) -> std::io::Result<()> {
    let side = |s: &Option<SideAnswer>| {
        s.as_ref().map(|s| JsonSide {
            allowed: side_lets_through(r, s),
            isolated: s.isolated,
            host_network: s.host_network,
            policies: s
                .policies
                .iter()
                .map(|&i| {
                    let p = &engine.inventory.policies[i];
                    let types = PolicyTypes::of(p);
                    JsonPolicy {
                        policy: PolicyRef::of(p),
                        policy_types: types.names(),
                    }
                })
                .collect(),
            rules: s
                .rules
                .iter()
                .map(|(at, conns)| JsonRule {
                    policy: describe::policy_name(engine.inventory, at.policy),
                    policy_ref: PolicyRef::of_id(engine.inventory, at.policy),
                    index: at.index,
                    description: describe::rule_ref(engine.inventory, *at),
                    allows: conns.to_string(),
                })
                .collect(),
            steps: s
                .decision
                .steps
                .iter()
                .map(|step| JsonStep {
                    layer: describe::layer_name(engine.inventory, step.layer, step.rule.policy),
                    action: step.action.as_str(),
                    policy_ref: PolicyRef::of_id(engine.inventory, step.rule.policy),
                    index: step.rule.index,
                    description: describe::rule_ref(engine.inventory, step.rule),
                    connections: step.conns.to_string(),
                })
                .collect(),
            cluster_policies: s
                .cluster
                .iter()
                .map(|&i| PolicyRef::of_id(engine.inventory, PolicyId::Cluster(i)))
                .collect(),
            decided_by: decided_by(engine, r, s),
        })
    };
    let doc = JsonReach {
        api_version: crate::report::API_VERSION,
        kind: "Reach",
        verdict: match (r.allowed, &r.unknown) {
            (true, _) => "allowed",
            (false, None) => "denied",
            (false, Some(_)) => "unknown",
        },
        source: json_end(engine, r.source),
        destination: json_end(engine, r.destination),
        port: r.port.map(|p| JsonPort {
            protocol: p.protocol.as_str(),
            port: p.number,
        }),
        same_pod: r.answer.same_pod,
        allowed: r.answer.allowed.to_string(),
        ports: json_ports(&r.answer.allowed),
        egress: side(&r.answer.egress),
        ingress: side(&r.answer.ingress),
        ignored_policies: engine.inventory.ignored_policy_counts(),
        ranges: r
            .ranges
            .iter()
            .map(|&(segment, allowed)| JsonRange {
                from: segment.start.to_string(),
                to: segment.end.to_string(),
                cidrs: cidrs(segment).iter().map(ToString::to_string).collect(),
                allowed,
            })
            .collect(),
        reason: r.unknown.clone(),
        notes: r.notes.clone(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
    writeln!(out)
}
