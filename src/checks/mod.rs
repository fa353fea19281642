//! Checks: one file per rule, each with its own tests. A check reads the analysed inventory and
//! returns findings; suppression, filtering and ordering happen in [`crate::analysis`].

pub mod all_namespaces_peer;
pub mod allow_all_egress;
pub mod allow_all_ingress;
pub mod any_peer_on_port;
pub mod calico_egress_only;
pub mod calico_pass_to_nothing;
pub mod calico_policy_without_calico;
pub mod calico_shadowed_policy;
pub mod calico_staged_would_deny;
pub mod calico_tier_silent_deny;
pub mod cilium_deny_shadows_allow;
pub mod cilium_empty_rule;
pub mod cilium_host_policy;
pub mod cilium_no_default_deny_alone;
pub mod cilium_policy_selects_nothing;
pub mod cilium_without_cilium;
pub mod cilium_world_to_internal;
pub mod cluster_admin_allow_overrides_isolation;
pub mod cluster_deny_pods_only;
pub mod cluster_pass_to_nothing;
pub mod cluster_same_priority_conflict;
pub mod cluster_shadowed_rule;
pub mod cni_without_policy_enforcement;
pub mod default_deny_neutralised;
pub mod disparate_peers_one_rule;
pub mod dns_blocked;
pub mod egress_to_internet;
pub mod host_network_workload;
mod index;
pub mod inert_rules;
pub mod invalid_policy;
pub mod metadata_endpoint_reachable;
pub mod namespace_without_default_deny;
pub mod non_descriptive_name;
pub mod peer_and_or_confusion;
pub mod peer_selects_nothing;
pub mod policy_selects_nothing;
pub mod uncovered_workload;
pub mod unresolved_named_port;

use crate::model::{
    CiliumPolicy, ClusterPolicy, Direction, Inventory, NetworkPolicy, Origin, Workload,
};
use crate::report::{Finding, Severity};
use crate::semantics::traffic::{Endpoint, PodRef};
use crate::semantics::Coverage;

use index::{NamespaceIndex, WorkloadIndex};
use std::sync::OnceLock;

/// A rule's stable identity, default severity and documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// One paragraph: what the rule finds and why it matters.
    pub explanation: &'static str,
    /// Manifests on which the rule fires.
    pub bad_example: &'static str,
    /// The same manifests, fixed: the rule stays silent.
    pub good_example: &'static str,
}

impl Rule {
    /// A finding of this rule about one object.
    pub fn finding(
        &self,
        namespace: &str,
        kind: &str,
        object: &str,
        origin: &Origin,
        message: String,
        remediation: String,
    ) -> Finding {
        Finding {
            rule: self.id.to_owned(),
            name: self.name.to_owned(),
            severity: self.severity,
            namespace: Some(namespace.to_owned()),
            kind: kind.to_owned(),
            object: object.to_owned(),
            message,
            remediation,
            file: origin.file.as_deref().map(str::to_owned),
            line: origin.line,
            suppression_reason: None,
            cluster: None,
        }
    }
}

impl Rule {
    /// A finding of this rule about a NetworkPolicy.
    pub fn policy_finding(
        &self,
        policy: &NetworkPolicy,
        message: String,
        remediation: String,
    ) -> Finding {
        self.finding(
            &policy.namespace,
            "NetworkPolicy",
            &policy.name,
            &policy.origin,
            message,
            remediation,
        )
    }
}

impl Rule {
    /// A finding of this rule about a cluster-scoped policy: it names no namespace, as
    /// suppression and `-l` expect of a cluster-scoped object.
    pub fn cluster_finding(
        &self,
        policy: &ClusterPolicy,
        message: String,
        remediation: String,
    ) -> Finding {
        let mut f = self.finding(
            "",
            policy.kind.as_str(),
            &policy.name,
            &policy.origin,
            message,
            remediation,
        );
        f.namespace = None;
        f
    }
}

impl Rule {
    /// A finding of this rule about an object in `namespace`, or with no namespace (the
    /// cluster-scoped kinds).
    fn scoped_finding(
        &self,
        namespace: Option<&str>,
        kind: &str,
        name: &str,
        origin: &Origin,
        message: String,
        remediation: String,
    ) -> Finding {
        let mut f = self.finding(
            namespace.unwrap_or(""),
            kind,
            name,
            origin,
            message,
            remediation,
        );
        if namespace.is_none() {
            f.namespace = None;
        }
        f
    }

    /// A finding of this rule about a CiliumNetworkPolicy (in its namespace) or a
    /// CiliumClusterwideNetworkPolicy (no namespace, as for the other cluster-scoped kinds).
    pub fn cilium_finding(
        &self,
        policy: &CiliumPolicy,
        message: String,
        remediation: String,
    ) -> Finding {
        let namespace = policy
            .namespace
            .as_deref()
            .filter(|_| !policy.kind.cluster_scoped());
        let kind = policy.kind.as_str();
        self.scoped_finding(
            namespace,
            kind,
            &policy.name,
            &policy.origin,
            message,
            remediation,
        )
    }

    /// A finding of this rule about a Calico policy: in its namespace, or none for the global
    /// kinds; the kind as [`CalicoPolicyKind::qualified`](crate::model::CalicoPolicyKind::qualified)
    /// names it (as `summary.policies`, suppression and `-l` do).
    pub fn calico_finding(
        &self,
        policy: &crate::model::CalicoPolicy,
        message: String,
        remediation: String,
    ) -> Finding {
        let namespace = policy
            .namespace
            .as_deref()
            .filter(|_| !policy.kind.cluster_scoped());
        let kind = policy.kind.qualified();
        self.scoped_finding(
            namespace,
            kind,
            &policy.name,
            &policy.origin,
            message,
            remediation,
        )
    }
}

/// Per counted Cilium rule (a position in [`crate::semantics::PolicySet::cilium`]), the
/// workloads whose verdict names it in either direction, in inventory order.
pub fn cilium_selected<'a>(ctx: &Context<'a>) -> Vec<Vec<&'a Workload>> {
    let mut out: Vec<Vec<&Workload>> = vec![Vec::new(); ctx.coverage.set.cilium().len()];
    for (w, v) in ctx.inventory.workloads.iter().zip(&ctx.coverage.workloads) {
        let mut positions: Vec<usize> = v
            .ingress
            .cilium()
            .iter()
            .chain(v.egress.cilium())
            .copied()
            .collect();
        positions.sort_unstable();
        positions.dedup();
        for p in positions {
            out[p].push(w);
        }
    }
    out
}

/// The cluster's CNI plugin when it is known and is not `plugin` (whose own policy kinds it
/// then does not enforce). An unrecognised plugin may be `plugin` under another name: no guess.
pub fn other_cni<'a>(ctx: &Context<'a>, plugin: &str) -> Option<&'a crate::cni::Cni> {
    ctx.cni
        .filter(|cni| !cni.name.contains(plugin) && cni.name != "unknown")
}

/// Per counted Calico policy (a position in [`crate::semantics::PolicySet::calico`]), the
/// workloads (inventory indexes) whose verdict names it, `[ingress, egress]`, ascending.
pub fn calico_selected<'c>(ctx: &'c Context<'_>) -> &'c [[Vec<usize>; 2]] {
    // Two checks read it: built once, before the checks start (`run_enabled`).
    ctx.calico_selected
        .get_or_init(|| calico_selected_by(ctx.coverage))
}

fn calico_selected_by(coverage: &Coverage) -> Vec<[Vec<usize>; 2]> {
    let mut out: Vec<[Vec<usize>; 2]> = vec![Default::default(); coverage.set.calico().len()];
    for (w, v) in coverage.workloads.iter().enumerate() {
        for &p in v.ingress.calico() {
            out[p][0].push(w);
        }
        for &p in v.egress.calico() {
            out[p][1].push(w);
        }
    }
    out
}

/// A rule of a cluster-scoped policy in one line: `spec.ingress[0] "deny-guests" (Deny from
/// namespaces {})`.
pub fn describe_cluster_rule(policy: &ClusterPolicy, direction: Direction, index: usize) -> String {
    let rule = &policy.rules(direction)[index];
    let name = rule
        .name
        .as_deref()
        .map(|n| format!(" {n:?}"))
        .unwrap_or_default();
    let peers = rule
        .peers
        .iter()
        .map(describe_cluster_peer)
        .collect::<Vec<_>>()
        .join(" or ");
    let towards = match direction {
        Direction::Ingress => "from",
        Direction::Egress => "to",
    };
    let ports = match &rule.ports {
        None => String::new(),
        Some(_) => " on some ports".to_owned(),
    };
    format!(
        "spec.{dir}[{index}]{name} ({action} {towards} {peers}{ports})",
        dir = direction.lower(),
        action = rule.action,
    )
}

/// A cluster-scoped subject or peer in one line: `namespaces {}`, `pods app=web in namespaces
/// {}`, `networks 0.0.0.0/0`.
pub fn describe_cluster_peer(peer: &crate::model::ClusterPeer) -> String {
    if let Some(ns) = &peer.namespaces {
        return format!("namespaces {}", describe_selector(ns));
    }
    if let Some(p) = &peer.pods {
        return format!(
            "pods {} in namespaces {}",
            describe_selector(&p.pod_selector),
            describe_selector(&p.namespace_selector)
        );
    }
    if let Some(n) = &peer.nodes {
        return format!("nodes {}", describe_selector(n));
    }
    if let Some(n) = &peer.networks {
        return format!("networks {}", n.join(", "));
    }
    if let Some(n) = &peer.domain_names {
        return format!("domainNames {}", n.join(", "));
    }
    format!("an unknown peer ({})", peer.unknown.join(", "))
}

/// Workloads in one line, the first three named: `Deployment shop/web, Pod shop/db and 2 more`.
pub fn describe_workloads(workloads: &[&Workload]) -> String {
    let named: Vec<String> = workloads
        .iter()
        .take(3)
        .map(|w| format!("{} {}/{}", w.kind, w.namespace, w.name))
        .collect();
    match workloads.len() {
        n if n > 3 => format!("{} and {} more", named.join(", "), n - 3),
        _ => named.join(", "),
    }
}

pub use crate::semantics::coverage::AnonymousPod;

/// A pod of a workload, as the semantics see it.
pub fn pod_endpoint<'a>(
    ctx: &Context<'a>,
    workload: &'a Workload,
    labels: &'a crate::model::Labels,
) -> Endpoint<'a> {
    Endpoint::Pod(PodRef {
        namespace: &workload.namespace,
        labels,
        namespace_labels: ctx.coverage.set.namespace_labels(&workload.namespace),
        ports: &workload.ports,
        service_account: workload.service_account(),
        node_network: ctx.coverage.on_node_network(workload),
        anonymous: false,
    })
}

/// A pod of a workload with these labels, as the semantics see it, for a caller whose
/// borrows are shorter than the context's.
pub fn endpoint<'b>(
    coverage: &'b Coverage,
    w: &'b Workload,
    labels: &'b crate::model::Labels,
) -> Endpoint<'b> {
    Endpoint::Pod(PodRef {
        namespace: &w.namespace,
        labels,
        namespace_labels: coverage.set.namespace_labels(&w.namespace),
        ports: &w.ports,
        service_account: w.service_account(),
        node_network: coverage.on_node_network(w),
        anonymous: false,
    })
}

/// The policies the API server would accept: lint rules skip the others, which NPC120 reports.
pub fn valid_policies<'a>(ctx: &'a Context<'_>) -> impl Iterator<Item = &'a NetworkPolicy> {
    // The coverage left out the invalid ones already; validating again per rule would repeat
    // the work for every lint.
    ctx.inventory
        .policies
        .iter()
        .enumerate()
        .filter(|(i, _)| ctx.coverage.includes(*i))
        .map(|(_, p)| p)
}

/// A label selector in one line: `{}`, or `app=web, tier in (a, b)`.
pub fn describe_selector(selector: &crate::model::LabelSelector) -> String {
    if selector.is_empty() {
        return "{}".to_owned();
    }
    let mut parts: Vec<String> = selector
        .match_labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    parts.extend(
        selector
            .match_expressions
            .iter()
            .map(|r| match r.operator.as_str() {
                "Exists" => r.key.clone(),
                "DoesNotExist" => format!("!{}", r.key),
                op => format!(
                    "{} {} ({})",
                    r.key,
                    op.to_ascii_lowercase(),
                    r.values.join(", ")
                ),
            }),
    );
    parts.join(", ")
}

/// The rules of a policy that take effect: those of the directions among its effective
/// policyTypes (rules of another direction are inert: NPC112), with their direction and index.
pub fn effective_rules(
    policy: &NetworkPolicy,
) -> impl Iterator<Item = (Direction, usize, &crate::model::Rule)> {
    let types = crate::semantics::PolicyTypes::of(policy);
    Direction::BOTH
        .into_iter()
        .filter(move |d| types.has(*d))
        .flat_map(move |d| {
            policy
                .rules(d)
                .iter()
                .enumerate()
                .map(move |(i, r)| (d, i, r))
        })
}

/// A rule's ports in one line: `TCP 80, UDP 53, TCP 8000-8080, TCP http, every UDP port`.
pub fn describe_ports(ports: &[crate::model::PolicyPort]) -> String {
    use crate::model::PortValue;
    if ports.is_empty() {
        return "every port".to_owned();
    }
    ports
        .iter()
        .map(|p| {
            let proto = p.protocol.as_deref().unwrap_or("TCP");
            match (&p.port, p.end_port) {
                (None, _) => format!("every {proto} port"),
                (Some(PortValue::Number(n)), Some(end)) => format!("{proto} {n}-{end}"),
                (Some(PortValue::Number(n)), None) => format!("{proto} {n}"),
                (Some(PortValue::Name(name)), _) => format!("{proto} {name}"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `from` or `to`: the field of a rule that lists its peers.
pub fn peers_field(direction: Direction) -> &'static str {
    match direction {
        Direction::Ingress => "from",
        Direction::Egress => "to",
    }
}

/// What every check reads.
pub struct Context<'a> {
    pub inventory: &'a Inventory,
    pub coverage: &'a Coverage,
    /// Every namespace in scope, sorted.
    pub namespaces: &'a [String],
    /// The cluster's CNI plugin, when known (cluster mode).
    pub cni: Option<&'a crate::cni::Cni>,
    /// Built by the first check that needs them, shared by the others.
    workloads: OnceLock<WorkloadIndex<'a>>,
    namespace_index: OnceLock<NamespaceIndex<'a>>,
    calico_selected: OnceLock<Vec<[Vec<usize>; 2]>>,
}

impl<'a> Context<'a> {
    pub fn new(
        inventory: &'a Inventory,
        coverage: &'a Coverage,
        namespaces: &'a [String],
        cni: Option<&'a crate::cni::Cni>,
    ) -> Self {
        Context {
            inventory,
            coverage,
            namespaces,
            cni,
            workloads: OnceLock::new(),
            namespace_index: OnceLock::new(),
            calico_selected: OnceLock::new(),
        }
    }

    /// The workloads, indexed by their pods' labels.
    fn workload_index(&self) -> &WorkloadIndex<'a> {
        self.workloads
            .get_or_init(|| WorkloadIndex::new(&self.inventory.workloads))
    }

    /// The namespaces, indexed by their labels.
    fn namespace_index(&self) -> &NamespaceIndex<'a> {
        self.namespace_index
            .get_or_init(|| NamespaceIndex::new(self.inventory, self.coverage, self.namespaces))
    }
}

/// Every rule, in id order.
pub const RULES: &[Rule] = &[
    uncovered_workload::RULE,
    host_network_workload::RULE,
    namespace_without_default_deny::RULE,
    allow_all_ingress::RULE,
    allow_all_egress::RULE,
    any_peer_on_port::RULE,
    egress_to_internet::RULE,
    metadata_endpoint_reachable::RULE,
    all_namespaces_peer::RULE,
    peer_and_or_confusion::RULE,
    dns_blocked::RULE,
    disparate_peers_one_rule::RULE,
    policy_selects_nothing::RULE,
    peer_selects_nothing::RULE,
    inert_rules::RULE,
    unresolved_named_port::RULE,
    default_deny_neutralised::RULE,
    non_descriptive_name::RULE,
    invalid_policy::RULE,
    cni_without_policy_enforcement::RULE,
    cluster_same_priority_conflict::RULE,
    cluster_admin_allow_overrides_isolation::RULE,
    cluster_shadowed_rule::RULE,
    cluster_pass_to_nothing::RULE,
    cluster_deny_pods_only::RULE,
    cilium_empty_rule::RULE,
    cilium_deny_shadows_allow::RULE,
    cilium_no_default_deny_alone::RULE,
    cilium_policy_selects_nothing::RULE,
    cilium_world_to_internal::RULE,
    cilium_host_policy::RULE,
    cilium_without_cilium::RULE,
    calico_tier_silent_deny::RULE,
    calico_pass_to_nothing::RULE,
    calico_egress_only::RULE,
    calico_shadowed_policy::RULE,
    calico_staged_would_deny::RULE,
    calico_policy_without_calico::RULE,
];

/// The rule with this id or name (case-insensitive).
pub fn find_rule(id_or_name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(id_or_name) || r.name.eq_ignore_ascii_case(id_or_name))
}

/// docs/rules.md, generated from the registry (a test keeps the checked-in file current).
pub fn rules_markdown() -> String {
    let mut md = String::from(
        "# Rules\n\n<!-- Generated by `kubectl netpol-check rules --markdown`; do not edit. -->\n\n\
         | id | name | default severity | summary |\n| --- | --- | --- | --- |\n",
    );
    for r in RULES {
        md.push_str(&format!(
            "| [{id}](#{anchor}) | {name} | {sev} | {summary} |\n",
            id = r.id,
            anchor = format!("{}-{}", r.id, r.name).to_ascii_lowercase(),
            name = r.name,
            sev = r.severity.as_str(),
            summary = r.summary
        ));
    }
    for r in RULES {
        md.push_str(&format!(
            "\n## {id} {name}\n\nDefault severity: **{sev}**. {summary}.\n\n{explanation}\n\n\
             Fires on:\n\n```yaml\n{bad}```\n\nFixed:\n\n```yaml\n{good}```\n",
            id = r.id,
            name = r.name,
            sev = r.severity.as_str(),
            summary = r.summary,
            explanation = r.explanation,
            bad = r.bad_example,
            good = r.good_example,
        ));
    }
    md
}

type Check = fn(&Context<'_>) -> Vec<Finding>;

/// Each rule with the function that checks it, in id order.
const CHECKS: &[(&Rule, Check)] = &[
    (&uncovered_workload::RULE, uncovered_workload::check),
    (&host_network_workload::RULE, host_network_workload::check),
    (
        &namespace_without_default_deny::RULE,
        namespace_without_default_deny::check,
    ),
    (&allow_all_ingress::RULE, allow_all_ingress::check),
    (&allow_all_egress::RULE, allow_all_egress::check),
    (&any_peer_on_port::RULE, any_peer_on_port::check),
    (&egress_to_internet::RULE, egress_to_internet::check),
    (
        &metadata_endpoint_reachable::RULE,
        metadata_endpoint_reachable::check,
    ),
    (&all_namespaces_peer::RULE, all_namespaces_peer::check),
    (&peer_and_or_confusion::RULE, peer_and_or_confusion::check),
    (&dns_blocked::RULE, dns_blocked::check),
    (
        &disparate_peers_one_rule::RULE,
        disparate_peers_one_rule::check,
    ),
    (&policy_selects_nothing::RULE, policy_selects_nothing::check),
    (&peer_selects_nothing::RULE, peer_selects_nothing::check),
    (&inert_rules::RULE, inert_rules::check),
    (&unresolved_named_port::RULE, unresolved_named_port::check),
    (
        &default_deny_neutralised::RULE,
        default_deny_neutralised::check,
    ),
    (&non_descriptive_name::RULE, non_descriptive_name::check),
    (&invalid_policy::RULE, invalid_policy::check),
    (
        &cni_without_policy_enforcement::RULE,
        cni_without_policy_enforcement::check,
    ),
    (
        &cluster_same_priority_conflict::RULE,
        cluster_same_priority_conflict::check,
    ),
    (
        &cluster_admin_allow_overrides_isolation::RULE,
        cluster_admin_allow_overrides_isolation::check,
    ),
    (&cluster_shadowed_rule::RULE, cluster_shadowed_rule::check),
    (
        &cluster_pass_to_nothing::RULE,
        cluster_pass_to_nothing::check,
    ),
    (&cluster_deny_pods_only::RULE, cluster_deny_pods_only::check),
    (&cilium_empty_rule::RULE, cilium_empty_rule::check),
    (
        &cilium_deny_shadows_allow::RULE,
        cilium_deny_shadows_allow::check,
    ),
    (
        &cilium_no_default_deny_alone::RULE,
        cilium_no_default_deny_alone::check,
    ),
    (
        &cilium_policy_selects_nothing::RULE,
        cilium_policy_selects_nothing::check,
    ),
    (
        &cilium_world_to_internal::RULE,
        cilium_world_to_internal::check,
    ),
    (&cilium_host_policy::RULE, cilium_host_policy::check),
    (&cilium_without_cilium::RULE, cilium_without_cilium::check),
    (
        &calico_tier_silent_deny::RULE,
        calico_tier_silent_deny::check,
    ),
    (&calico_pass_to_nothing::RULE, calico_pass_to_nothing::check),
    (&calico_egress_only::RULE, calico_egress_only::check),
    (&calico_shadowed_policy::RULE, calico_shadowed_policy::check),
    (
        &calico_staged_would_deny::RULE,
        calico_staged_would_deny::check,
    ),
    (
        &calico_policy_without_calico::RULE,
        calico_policy_without_calico::check,
    ),
];

/// Runs every check.
pub fn run_all(ctx: &Context<'_>) -> Vec<Finding> {
    run_enabled(ctx, |_| true)
}

/// Runs the checks of the rules `enabled` accepts (by id), in parallel: they only read the
/// inventory, and on a large one the slowest take a second each. Findings come in rule order.
pub fn run_enabled(ctx: &Context<'_>, enabled: impl Fn(&str) -> bool + Sync) -> Vec<Finding> {
    use rayon::prelude::*;
    // The workload index is built by the first check that asks for it while the others that
    // need it wait, a core idle at the end of the checks on a large run. Built first instead,
    // beside the workload entries on the other core. NPC113 always asks for it.
    let needs_index = [
        unresolved_named_port::RULE.id,
        default_deny_neutralised::RULE.id,
        peer_selects_nothing::RULE.id,
    ];
    if needs_index.iter().any(|id| enabled(id)) {
        ctx.workload_index();
    }
    let needs_calico = [
        calico_pass_to_nothing::RULE.id,
        calico_shadowed_policy::RULE.id,
    ];
    if ctx.coverage.set.has_calico() && needs_calico.iter().any(|id| enabled(id)) {
        calico_selected(ctx);
    }
    // One check per task: rayon would otherwise hand a core a run of checks to go through one
    // after the other while the other core has nothing left to do.
    let per_check: Vec<Vec<Finding>> = CHECKS
        .par_iter()
        .with_max_len(1)
        .filter(|(rule, _)| enabled(rule.id))
        .map(|(_, check)| check(ctx))
        .collect();
    // Moved on every core, not cloned as the slices' own `concat` would: a large run's findings
    // are of nine strings each.
    crate::lists::concat(per_check)
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Small inventories for the checks' tests.
    use crate::model::*;

    /// A Pod `shop/db` (app=db) for the rules' tests to put policies next to.
    pub const DB_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: shop, labels: {app: db}}\nspec: {containers: [{name: db, image: postgres}]}\n---\n";
    use crate::report::Finding;
    use crate::semantics::{validation, Coverage};
    use crate::source::manifests::{build_inventory, parse_all, Loaded, ManifestOptions};

    /// The inventory of some manifests, as `-f` reads them.
    pub fn inventory(yaml: &str) -> Inventory {
        let loaded = [Loaded {
            name: "test.yaml".into(),
            text: yaml.to_owned(),
        }];
        let options = ManifestOptions::default();
        build_inventory(parse_all(&loaded, &options).unwrap())
    }

    /// Runs one check on an inventory as the analysis does (invalid policies isolate nothing).
    pub fn run_on(inv: &Inventory, check: fn(&super::Context<'_>) -> Vec<Finding>) -> Vec<Finding> {
        let coverage =
            Coverage::evaluate(inv, |i| validation::validate(&inv.policies[i]).is_empty());
        let mut namespaces: Vec<String> = inv
            .namespaces
            .iter()
            .map(|n| n.name.clone())
            .chain(inv.workloads.iter().map(|w| w.namespace.clone()))
            .chain(inv.policies.iter().map(|p| p.namespace.clone()))
            .collect();
        namespaces.sort();
        namespaces.dedup();
        check(&super::Context::new(inv, &coverage, &namespaces, None))
    }

    /// Runs one check on some manifests.
    pub fn run(yaml: &str, check: fn(&super::Context<'_>) -> Vec<Finding>) -> Vec<Finding> {
        run_on(&inventory(yaml), check)
    }

    /// Runs one check on each `(yaml, says)` case: one finding whose message contains `says`,
    /// or none.
    pub fn cases_say(
        cases: &[(String, Option<&str>)],
        check: fn(&super::Context<'_>) -> Vec<Finding>,
    ) {
        for (yaml, says) in cases {
            let f = run(yaml, check);
            match says {
                Some(says) => {
                    assert_eq!(f.len(), 1, "{yaml}: {f:#?}");
                    assert!(f[0].message.contains(says), "{}", f[0].message);
                }
                None => assert!(f.is_empty(), "{yaml}: {f:#?}"),
            }
        }
    }

    /// Runs one check on a rule's own bad and good examples: it must fire on the first only.
    pub fn examples(rule: &super::Rule, check: fn(&super::Context<'_>) -> Vec<Finding>) {
        let bad = run(rule.bad_example, check);
        assert!(!bad.is_empty(), "{} is silent on its bad example", rule.id);
        assert!(bad.iter().all(|f| f.rule == rule.id));
        let good = run(rule.good_example, check);
        assert!(
            good.is_empty(),
            "{} fires on its good example: {good:#?}",
            rule.id
        );
    }

    pub use crate::model::fixtures::{policy, workload};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_its_check_in_the_same_order() {
        let checked: Vec<&str> = CHECKS.iter().map(|(r, _)| r.id).collect();
        let rules: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(checked, rules);
    }

    #[test]
    fn a_disabled_rule_is_not_run() {
        let inv = testutil::inventory(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {containers: [{name: c, image: i}]}\n",
        );
        let with = testutil::run_on(&inv, run_all);
        assert!(with.iter().any(|f| f.rule == "NPC001"), "{with:?}");
        let without = testutil::run_on(&inv, |ctx| run_enabled(ctx, |id| id != "NPC001"));
        assert!(!without.iter().any(|f| f.rule == "NPC001"), "{without:?}");
        assert_eq!(without.len(), with.len() - 1);
    }
}
