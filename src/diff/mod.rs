//! `diff`: what a change of the input opens, closes and uncovers. Both sides are analysed as
//! every other command analyses one inventory; this module compares them and says the
//! difference in the words a reviewer reads (workloads, rules, ranges), with counts.

mod aggregate;
pub mod connections;
pub mod identity;
mod naming;
mod peers;
mod shapes;

use foldhash::{HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use serde::Serialize;

use crate::connectivity::describe;
use crate::connectivity::externals::Segment;
use crate::connectivity::Engine;
use crate::model::{Direction, Inventory, Origin, Workload};
use crate::report::{Finding, Isolation, Report, Severity, SeverityCounts, Source, API_VERSION};
use crate::semantics::{ConnSet, RuleRef};

use connections::{Common, PairChange, View};
use identity::{Object, Policies, Status};

/// One side of the comparison: its inventory's engine and its report, which the comparison
/// drops once it has read the isolation and findings from it (two whole reports held through
/// the comparison of connections were a large part of a large diff's peak).
pub struct Side<'a> {
    pub engine: &'a Engine<'a>,
    pub report: Report,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// List every pair whose connection changed (`--pairs`), besides the grouped changes.
    pub pairs: bool,
    /// How many example pairs each grouped change shows.
    pub examples: usize,
    /// From how many candidate peers a changed side is decided by classes of peers (the peers
    /// its rules all match alike) rather than peer by peer. Both give the same answer; the
    /// classes pay off on large inputs, and tests set 0 to take that path on small ones.
    pub classes_from: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            pairs: false,
            examples: 3,
            classes_from: 256,
        }
    }
}

/// The `ConnectivityDiff` object (docs/report.md): a public interface, like the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectivityDiff {
    pub api_version: String,
    pub kind: String,
    pub base: Source,
    pub head: Source,
    pub summary: Summary,
    pub workloads: WorkloadChanges,
    pub policies: PolicyChanges,
    /// Per workload and direction, where its isolation changed.
    pub coverage: Vec<CoverageChange>,
    /// Connections between workloads present on both sides, grouped by the workload whose
    /// side changed, the direction and the rules that allow (allowed) them.
    pub connections: Vec<ConnectionChange>,
    /// Address ranges outside the cluster a workload now accepts or reaches, or no longer.
    pub external: Vec<ExternalChange>,
    pub findings: FindingChanges,
    /// Every pair whose connection changed (with `--pairs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairs: Option<Vec<Pair>>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub workloads_added: usize,
    pub workloads_removed: usize,
    pub policies_added: usize,
    pub policies_removed: usize,
    pub policies_changed: usize,
    /// Workload directions that lose isolation, and that gain it.
    pub coverage_lost: usize,
    pub coverage_gained: usize,
    /// Added workloads not isolated for both ingress and egress.
    pub new_uncovered: usize,
    /// Ordered workload pairs with connections opened, and with connections closed.
    pub pairs_opened: usize,
    pub pairs_closed: usize,
    pub external_opened: usize,
    pub external_closed: usize,
    pub findings_added: SeverityCounts,
    pub findings_removed: SeverityCounts,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

impl WorkloadRef {
    fn of(w: &Workload) -> Self {
        WorkloadRef {
            kind: w.kind.as_str().to_owned(),
            namespace: w.namespace.clone(),
            name: w.name.clone(),
            file: w.origin.file.as_deref().map(str::to_owned),
            line: w.origin.line,
        }
    }

    /// `Deployment shop/api`.
    pub fn describe(&self) -> String {
        format!("{} {}/{}", self.kind, self.namespace, self.name)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadChanges {
    pub added: Vec<AddedWorkload>,
    pub removed: Vec<WorkloadRef>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddedWorkload {
    #[serde(flatten)]
    pub workload: WorkloadRef,
    pub ingress: Isolation,
    pub egress: Isolation,
}

impl AddedWorkload {
    pub fn covered(&self) -> bool {
        self.ingress.isolated && self.egress.isolated
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PolicyName {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

impl PolicyName {
    fn of(inventory: &Inventory, o: Object) -> Self {
        let key = o.key(inventory);
        let origin: &Origin = o.origin(inventory);
        PolicyName {
            kind: key.kind,
            namespace: key.namespace,
            name: key.name,
            file: origin.file.as_deref().map(str::to_owned),
            line: origin.line,
        }
    }

    pub fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyChanges {
    pub added: Vec<PolicyName>,
    pub removed: Vec<PolicyName>,
    pub changed: Vec<PolicyName>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Something more gets through (isolation: it is gained... see [`CoverageChange`]).
    Opened,
    Closed,
    /// Some connections open and others close.
    Changed,
}

impl Change {
    fn of(opened: &ConnSet, closed: &ConnSet) -> Change {
        match (opened.is_empty(), closed.is_empty()) {
            (false, true) => Change::Opened,
            (true, false) => Change::Closed,
            _ => Change::Changed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Opened => "opened",
            Change::Closed => "closed",
            Change::Changed => "changed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CoverageStep {
    /// Traffic that no rule names was denied and no longer is (fully or from outside).
    Lost,
    Gained,
    /// Isolated as before, but another layer or policy decides.
    Changed,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CoverageChange {
    pub workload: WorkloadRef,
    #[serde(serialize_with = "direction_word")]
    pub direction: Direction,
    pub change: CoverageStep,
    pub before: Isolation,
    pub after: Isolation,
    pub message: String,
}

/// A rule as the diff names it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RuleName {
    pub policy: PolicyName,
    /// `rule 2`, `rule 2 (allow-web)`.
    pub rule: String,
    /// The rule in plain words.
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionChange {
    pub change: Change,
    /// The workload whose side (ingress or egress) answers differently: the first of
    /// `workloads`.
    pub workload: WorkloadRef,
    /// Every workload whose side changed this way (the same rules before and after, the same
    /// connections opened and closed), by namespace and name.
    pub workloads: Vec<WorkloadRef>,
    #[serde(serialize_with = "direction_word")]
    pub direction: Direction,
    /// What now gets through that did not, and the reverse (connlist notation), over the
    /// pairs of this change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<String>,
    /// How many pairs: with one workload in `workloads`, how many workloads on the other end.
    pub pairs: usize,
    /// The rules that allow the connections now, and those that allowed them before. Shared
    /// between the entries that name the same rule (a policy's rule is named by every
    /// workload it selects).
    pub rules: Vec<Arc<RuleName>>,
    pub was: Vec<Arc<RuleName>>,
    pub examples: Vec<Pair>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Pair {
    /// `namespace/name[Kind]`, as `matrix -o connlist` names workloads.
    pub source: String,
    pub destination: String,
    pub before: String,
    pub after: String,
    /// What `after` allows and `before` did not, and the reverse (for graphs).
    #[serde(skip)]
    pub opened: ConnSet,
    #[serde(skip)]
    pub closed: ConnSet,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalChange {
    pub change: Change,
    pub workload: WorkloadRef,
    #[serde(serialize_with = "direction_word")]
    pub direction: Direction,
    /// `first-last` addresses, and the same range as CIDRs.
    pub range: String,
    pub cidrs: Vec<String>,
    pub before: String,
    pub after: String,
    pub rules: Vec<Arc<RuleName>>,
    pub was: Vec<Arc<RuleName>>,
    pub message: String,
    /// What `after` allows and `before` did not, and the reverse (for graphs).
    #[serde(skip)]
    pub opened: ConnSet,
    #[serde(skip)]
    pub closed: ConnSet,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingChanges {
    pub added: Vec<Finding>,
    pub removed: Vec<Finding>,
}

/// `ingress` or `egress`, as the report writes directions.
fn direction_word<S: serde::Serializer>(d: &Direction, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(d.lower())
}

type WorkloadKey<'a> = (&'a str, &'a str, &'a str);

fn workload_key(w: &Workload) -> WorkloadKey<'_> {
    (w.kind.as_str(), &w.namespace, &w.name)
}

/// Analyses both inventories as every command analyses one (the same verdicts and lint rules)
/// and compares them.
pub fn of_inventories<'a>(
    base: (&'a Inventory, Source),
    head: (&'a Inventory, Source),
    analysis_options: &crate::analysis::Options,
    rules: &crate::analysis::RuleConfig,
    options: &Options,
) -> ConnectivityDiff {
    let analyse = |(inventory, source): (&'a Inventory, Source)| {
        let report =
            crate::analysis::analyse_with_options(inventory, source, rules, analysis_options);
        let engine = Engine::with_host_network(inventory, analysis_options.host_network);
        (report, engine)
    };
    let ((base_report, base_engine), (head_report, head_engine)) =
        rayon::join(|| analyse(base), || analyse(head));
    compare(
        Side {
            engine: &base_engine,
            report: base_report,
        },
        Side {
            engine: &head_engine,
            report: head_report,
        },
        options,
    )
}

/// Compares two analysed inventories.
pub fn compare(base: Side<'_>, head: Side<'_>, options: &Options) -> ConnectivityDiff {
    let (bi, hi) = (base.engine.inventory, head.engine.inventory);

    // Workloads, by kind, namespace and name. The index is dropped once read: it would
    // otherwise be held through the whole comparison.
    let mut common = Vec::new();
    let mut added_idx = Vec::new();
    let mut seen = vec![false; bi.workloads.len()];
    {
        let base_index: HashMap<WorkloadKey<'_>, usize> = bi
            .workloads
            .iter()
            .enumerate()
            .map(|(i, w)| (workload_key(w), i))
            .collect();
        for (h, w) in hi.workloads.iter().enumerate() {
            match base_index.get(&workload_key(w)) {
                Some(&b) => {
                    common.push(Common { base: b, head: h });
                    seen[b] = true;
                }
                None => added_idx.push(h),
            }
        }
    }
    let removed: Vec<WorkloadRef> = (0..bi.workloads.len())
        .filter(|&b| !seen[b])
        .map(|b| WorkloadRef::of(&bi.workloads[b]))
        .collect();
    drop(seen);

    let base_entries = entries(&base.report);
    let head_entries = entries(&head.report);
    let added: Vec<AddedWorkload> = added_idx
        .iter()
        .filter_map(|&h| {
            let w = &hi.workloads[h];
            let e = head_entries.get(&workload_key(w))?;
            Some(AddedWorkload {
                workload: WorkloadRef::of(w),
                ingress: e.ingress.clone(),
                egress: e.egress.clone(),
            })
        })
        .collect();

    // Coverage of the workloads both sides have.
    let coverage = coverage_changes(bi, hi, &common, &base_entries, &head_entries);

    // Findings, by rule, object and message, borrowed: copies of both reports' findings
    // only to compare them added tens of megabytes to the peak of a large diff.
    type FindingKey<'f> = (&'f str, &'f str, Option<&'f str>, &'f str, &'f str);
    fn key(f: &Finding) -> FindingKey<'_> {
        (
            &f.rule,
            &f.kind,
            f.namespace.as_deref(),
            &f.object,
            &f.message,
        )
    }
    // Each side's on its own core: a large cluster has a finding or more per workload.
    fn keys(r: &Report) -> HashSet<FindingKey<'_>> {
        r.findings.iter().map(key).collect()
    }
    let (base_keys, head_keys) = rayon::join(|| keys(&base.report), || keys(&head.report));
    let only = |r: &Report, other: &HashSet<FindingKey<'_>>| -> Vec<Finding> {
        (r.findings.iter())
            .filter(|f| !other.contains(&key(f)))
            .cloned()
            .collect()
    };
    let (new, gone) = rayon::join(
        || only(&head.report, &base_keys),
        || only(&base.report, &head_keys),
    );
    let findings = FindingChanges {
        added: new,
        removed: gone,
    };
    let sources = (base.report.source.clone(), head.report.source.clone());
    drop(base_entries);
    drop(head_entries);
    drop((base_keys, head_keys));
    // Freed on another core: a large cluster's reports took a tenth of a second to free on
    // this thread, with the other core idle.
    let reports = (base.report, head.report);
    rayon::spawn(move || drop(reports));

    // Policies.
    let policies = Policies::match_up(bi, hi);
    let mut policy_changes = PolicyChanges::default();
    for o in identity::objects(hi) {
        match policies.head_status(o) {
            Status::Added => policy_changes.added.push(PolicyName::of(hi, o)),
            Status::Changed => policy_changes.changed.push(PolicyName::of(hi, o)),
            Status::Same | Status::Removed => {}
        }
    }
    for o in identity::objects(bi) {
        if policies.base_status(o) == Status::Removed {
            policy_changes.removed.push(PolicyName::of(bi, o));
        }
    }

    // Connections.
    let mut notes = Vec::new();
    let global = global_change(base.engine, head.engine, &mut notes);
    let keys = shapes::ReadKeys::of([base.engine.inventory, head.engine.inventory]);
    let (base_view, head_view) = rayon::join(
        || View::new(base.engine, &keys),
        || View::new(head.engine, &keys),
    );
    let changes = connections::compare(
        &base_view,
        &head_view,
        &common,
        &policies,
        global,
        &keys,
        connections::Options {
            pairs: options.pairs,
            examples: options.examples,
            classes_from: options.classes_from,
        },
    );
    let name_of = |i: u32| {
        let w = &hi.workloads[common[i as usize].head];
        format!("{}/{}[{}]", w.namespace, w.name, w.kind.as_str())
    };
    let pair_entry = |p: &PairChange| Pair {
        source: name_of(p.source),
        destination: name_of(p.destination),
        before: p.before.to_string(),
        after: p.after.to_string(),
        opened: p.after.subtract(&p.before),
        closed: p.before.subtract(&p.after),
    };
    let names = RuleNames::new(
        bi,
        hi,
        changes
            .groups
            .iter()
            .map(|g| &g.rules)
            .chain(changes.external.iter().map(|e| &e.rules)),
    );
    let connections = connection_changes(
        &changes.groups,
        options.examples,
        &names,
        head.engine,
        &common,
        &pair_entry,
    );
    let external: Vec<ExternalChange> = changes
        .external
        .par_iter()
        .map(|e| external_entry(e, &names, head.engine, &common))
        .collect();
    let pairs = changes.pairs.as_ref().map(|list| {
        let mut all: Vec<Pair> = list.iter().map(pair_entry).collect();
        all.sort_by(|a, b| (&a.source, &a.destination).cmp(&(&b.source, &b.destination)));
        all
    });
    drop(names);
    let (pairs_opened, pairs_closed) = (changes.pairs_opened, changes.pairs_closed);
    // As the reports above: the groups and their examples are millions of allocations.
    rayon::spawn(move || drop(changes));

    let mut summary = Summary {
        workloads_added: added.len(),
        workloads_removed: removed.len(),
        policies_added: policy_changes.added.len(),
        policies_removed: policy_changes.removed.len(),
        policies_changed: policy_changes.changed.len(),
        coverage_lost: coverage
            .iter()
            .filter(|c| c.change == CoverageStep::Lost)
            .count(),
        coverage_gained: coverage
            .iter()
            .filter(|c| c.change == CoverageStep::Gained)
            .count(),
        new_uncovered: added.iter().filter(|a| !a.covered()).count(),
        pairs_opened,
        pairs_closed,
        external_opened: external
            .iter()
            .filter(|e| e.change != Change::Closed)
            .count(),
        external_closed: external
            .iter()
            .filter(|e| e.change != Change::Opened)
            .count(),
        ..Summary::default()
    };
    for f in &findings.added {
        summary.findings_added.add(f.severity);
    }
    for f in &findings.removed {
        summary.findings_removed.add(f.severity);
    }

    ConnectivityDiff {
        api_version: API_VERSION.to_owned(),
        kind: "ConnectivityDiff".to_owned(),
        base: sources.0,
        head: sources.1,
        summary,
        workloads: WorkloadChanges { added, removed },
        policies: policy_changes,
        coverage,
        connections,
        external,
        findings,
        pairs,
        notes,
    }
}

impl ConnectivityDiff {
    /// Whether the change leaves a workload less isolated than before in some direction, or
    /// brings a workload that is not covered, or a new finding at error.
    pub fn uncovers(&self) -> bool {
        self.summary.coverage_lost > 0
            || self.summary.new_uncovered > 0
            || self
                .findings
                .added
                .iter()
                .any(|f| f.severity == Severity::Error)
    }

    /// Whether the change opens any connection (between workloads or to or from addresses).
    pub fn opens(&self) -> bool {
        self.summary.pairs_opened > 0 || self.summary.external_opened > 0
    }

    /// Whether anything the diff reports changed.
    pub fn is_empty(&self) -> bool {
        let s = &self.summary;
        *s == Summary::default()
            && self.coverage.is_empty()
            && self.connections.is_empty()
            && self.external.is_empty()
    }
}

fn entries(report: &Report) -> HashMap<WorkloadKey<'_>, &crate::report::WorkloadEntry> {
    report
        .workloads
        .iter()
        .map(|e| ((e.kind.as_str(), e.namespace.as_str(), e.name.as_str()), e))
        .collect()
}

/// What changes for every pod: then every side is compared whole.
fn global_change(base: &Engine<'_>, head: &Engine<'_>, notes: &mut Vec<String>) -> bool {
    let mut global = false;
    if base.coverage.set.cilium_mode() != head.coverage.set.cilium_mode() {
        notes.push("the Cilium policy enforcement mode differs between the sides".to_owned());
        global = true;
    }
    if !identity::same_tiers(base.inventory, head.inventory) {
        notes.push("the Calico tiers differ between the sides".to_owned());
        global = true;
    }
    global
}

fn rank(i: &Isolation) -> u8 {
    use crate::report::IsolationState as S;
    match i.isolation {
        S::Isolated => 2,
        S::PodsOnly => 1,
        S::Open | S::Unknown | S::Ambiguous => 0,
    }
}

/// Whether the same thing makes the default a deny. NetworkPolicies isolate together: the
/// report names the first of them, and another first one is not a change of coverage.
fn same_decider(a: &Isolation, b: &Isolation) -> bool {
    let network = |i: &Isolation| {
        i.decided_by
            .as_ref()
            .is_some_and(|d| d.layer == "NetworkPolicy" && d.kind == "NetworkPolicy")
    };
    (network(a) && network(b)) || a.decided_by == b.decided_by
}

fn decided(i: &Isolation) -> String {
    match &i.decided_by {
        Some(d) => {
            let what = if d.layer == d.kind {
                format!("{} {}", d.kind, d.name)
            } else {
                format!("{} {} {}", d.layer, d.kind, d.name)
            };
            match &d.rule {
                Some(r) => format!("{what} ({r})"),
                None => what,
            }
        }
        None => "nothing".to_owned(),
    }
}

fn coverage_changes(
    bi: &Inventory,
    hi: &Inventory,
    common: &[Common],
    base_entries: &HashMap<WorkloadKey<'_>, &crate::report::WorkloadEntry>,
    head_entries: &HashMap<WorkloadKey<'_>, &crate::report::WorkloadEntry>,
) -> Vec<CoverageChange> {
    let mut out = Vec::new();
    for c in common {
        let (bw, hw) = (&bi.workloads[c.base], &hi.workloads[c.head]);
        let (Some(b), Some(h)) = (
            base_entries.get(&workload_key(bw)),
            head_entries.get(&workload_key(hw)),
        ) else {
            continue;
        };
        for (d, before, after) in [
            (Direction::Ingress, &b.ingress, &h.ingress),
            (Direction::Egress, &b.egress, &h.egress),
        ] {
            if before.isolation == after.isolation && same_decider(before, after) {
                continue;
            }
            let change = match rank(after).cmp(&rank(before)) {
                std::cmp::Ordering::Less => CoverageStep::Lost,
                std::cmp::Ordering::Greater => CoverageStep::Gained,
                std::cmp::Ordering::Equal => CoverageStep::Changed,
            };
            let workload = WorkloadRef::of(hw);
            let state = |i: &Isolation| {
                let word = serde_json::to_value(i.isolation)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                if i.decided_by.is_some() {
                    format!("{word} (by {})", decided(i))
                } else {
                    word
                }
            };
            let message = format!(
                "{} {}: {} -> {}",
                workload.describe(),
                d.lower(),
                state(before),
                state(after)
            );
            out.push(CoverageChange {
                workload,
                direction: d,
                change,
                before: before.clone(),
                after: after.clone(),
                message,
            });
        }
    }
    out
}

fn rule_name(inventory: &Inventory, at: RuleRef) -> RuleName {
    RuleName {
        policy: PolicyName::of(inventory, Object::of(at.policy)),
        rule: describe::rule_label(inventory, at),
        text: describe::rule_ref(inventory, at),
    }
}

/// Every rule the changes name, named once: (head, rule) for the rules that allow now, (base,
/// rule) for those that allowed before.
struct RuleNames(HashMap<(bool, RuleRef), Arc<RuleName>>);

impl RuleNames {
    fn new<'r>(
        base: &Inventory,
        head: &Inventory,
        rules: impl Iterator<Item = &'r connections::SideRules>,
    ) -> Self {
        let mut keys: HashSet<(bool, RuleRef)> = HashSet::default();
        for r in rules {
            keys.extend(r.after.iter().map(|&at| (true, at)));
            keys.extend(r.before.iter().map(|&at| (false, at)));
        }
        RuleNames(
            keys.into_par_iter()
                .map(|(is_head, at)| {
                    let inventory = if is_head { head } else { base };
                    ((is_head, at), Arc::new(rule_name(inventory, at)))
                })
                .collect(),
        )
    }

    /// The names of a side's rules: (now, before).
    fn of(&self, rules: &connections::SideRules) -> (Vec<Arc<RuleName>>, Vec<Arc<RuleName>>) {
        let names = |is_head: bool, list: &[RuleRef]| -> Vec<Arc<RuleName>> {
            list.iter()
                .map(|&at| self.0[&(is_head, at)].clone())
                .collect()
        };
        (names(true, &rules.after), names(false, &rules.before))
    }
}

fn rules_text(rules: &[Arc<RuleName>]) -> String {
    rules
        .iter()
        .map(|r| format!("{} {} ({})", r.policy.describe(), r.rule, r.text))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// "accepts TCP 8080 from" / "sends TCP 8080 to".
fn verb(d: Direction) -> (&'static str, &'static str) {
    match d {
        Direction::Ingress => ("accepts", "from"),
        Direction::Egress => ("sends", "to"),
    }
}

/// What a side (or several: `plural`) now lets through and no longer does.
fn change_words(d: Direction, opened: &ConnSet, closed: &ConnSet, plural: bool) -> String {
    let (v, p) = verb(d);
    let v = if plural {
        v.strip_suffix('s').unwrap_or(v)
    } else {
        v
    };
    match (opened.is_empty(), closed.is_empty()) {
        (false, true) => format!("now {v} {opened} {p}"),
        (true, false) => format!("no longer {v} {closed} {p}"),
        _ => format!("now {v} {opened} and no longer {closed} {p}"),
    }
}

/// Why: the rules that allow it now and allowed it before. Without one, what opened goes
/// through because nothing isolates the side (any more), and what closed went through because
/// nothing isolated it.
fn reasons(
    rules: &[Arc<RuleName>],
    was: &[Arc<RuleName>],
    opened: &ConnSet,
    closed: &ConnSet,
    plural: bool,
) -> String {
    let them = if plural { "them" } else { "it" };
    let now = if !rules.is_empty() {
        format!("allowed by {}", rules_text(rules))
    } else if !opened.is_empty() {
        format!("nothing isolates {them} now")
    } else {
        "no rule allows it now".to_owned()
    };
    let before = if !was.is_empty() {
        format!("before, by {}", rules_text(was))
    } else if !closed.is_empty() {
        format!("nothing isolated {them} before")
    } else {
        "no rule allowed it before".to_owned()
    };
    format!("{now}; {before}")
}

fn connection_changes(
    groups: &[connections::Group],
    examples: usize,
    names: &RuleNames,
    head: &Engine<'_>,
    common: &[Common],
    pair_entry: &(dyn Fn(&PairChange) -> Pair + Sync),
) -> Vec<ConnectionChange> {
    let aggregates = aggregate::aggregate(groups, examples);
    let mut out: Vec<ConnectionChange> = aggregates
        .par_iter()
        .map(|a| {
            let g = a.first;
            let mut workloads: Vec<WorkloadRef> = a
                .workloads
                .iter()
                .map(|&w| WorkloadRef::of(&head.inventory.workloads[common[w].head]))
                .collect();
            workloads.sort_by(|a, b| {
                (&a.namespace, &a.name, &a.kind).cmp(&(&b.namespace, &b.name, &b.kind))
            });
            let (rules, was) = names.of(&g.rules);
            let mut examples: Vec<Pair> = a.examples.iter().map(pair_entry).collect();
            examples.sort_by(|a, b| (&a.source, &a.destination).cmp(&(&b.source, &b.destination)));
            let message = connection_message(g, &workloads, a.pairs, &examples, (&rules, &was));
            ConnectionChange {
                change: Change::of(&g.opened, &g.closed),
                workload: workloads[0].clone(),
                workloads,
                direction: g.direction,
                opened: (!g.opened.is_empty()).then(|| g.opened.to_string()),
                closed: (!g.closed.is_empty()).then(|| g.closed.to_string()),
                pairs: a.pairs,
                rules,
                was,
                examples,
                message,
            }
        })
        .collect();
    // Openings first, the widest first.
    out.par_sort_by(|a, b| {
        (
            a.change,
            std::cmp::Reverse(a.pairs),
            &a.workload.namespace,
            &a.workload.name,
            a.direction,
            &a.message,
        )
            .cmp(&(
                b.change,
                std::cmp::Reverse(b.pairs),
                &b.workload.namespace,
                &b.workload.name,
                b.direction,
                &b.message,
            ))
    });
    out
}

/// What a connection change says: the workloads of the side (with several, how many and a
/// few), what opened and closed, the other ends (with several sides, the pairs counted and a
/// few other ends) and why.
fn connection_message(
    g: &connections::Group,
    workloads: &[WorkloadRef],
    pairs: usize,
    examples: &[Pair],
    (rules, was): (&[Arc<RuleName>], &[Arc<RuleName>]),
) -> String {
    let mut others: Vec<&str> = examples
        .iter()
        .map(|e| match g.direction {
            Direction::Ingress => e.source.as_str(),
            Direction::Egress => e.destination.as_str(),
        })
        .collect();
    if let [only] = workloads {
        let peers = if pairs == 1 {
            others.join("")
        } else if pairs <= others.len() {
            format!("{pairs} workloads ({})", others.join(", "))
        } else {
            format!("{pairs} workloads (e.g. {})", others.join(", "))
        };
        return format!(
            "{} {} {peers}: {}",
            only.describe(),
            change_words(g.direction, &g.opened, &g.closed, false),
            reasons(rules, was, &g.opened, &g.closed, false)
        );
    }
    others.sort_unstable();
    others.dedup();
    let shown: Vec<String> = workloads
        .iter()
        .take(examples.len().max(1))
        .map(WorkloadRef::describe)
        .collect();
    let sides = match workloads.len() <= shown.len() {
        true => format!("{} workloads ({})", workloads.len(), shown.join(", ")),
        false => format!("{} workloads (e.g. {})", workloads.len(), shown.join(", ")),
    };
    // "now accept TCP 80 in 12 pairs (e.g. from a, b)": the preposition goes with the peers.
    let p = verb(g.direction).1;
    let words = change_words(g.direction, &g.opened, &g.closed, true);
    let words = words.strip_suffix(p).unwrap_or(&words).trim_end();
    let peers = match others.is_empty() {
        true => String::new(),
        false => format!(" (e.g. {p} {})", others.join(", ")),
    };
    format!(
        "{sides} {words} in {pairs} pairs{peers}: {}",
        reasons(rules, was, &g.opened, &g.closed, true)
    )
}

fn external_entry(
    e: &connections::ExternalChange,
    names: &RuleNames,
    head: &Engine<'_>,
    common: &[Common],
) -> ExternalChange {
    let workload = WorkloadRef::of(&head.inventory.workloads[common[e.workload].head]);
    let opened = e.after.subtract(&e.before);
    let closed = e.before.subtract(&e.after);
    let (rules, was) = names.of(&e.rules);
    let cidrs: Vec<String> = crate::connectivity::reach::cidrs(e.range)
        .iter()
        .map(|c| c.to_string())
        .collect();
    let range = range_text(e.range, &cidrs);
    let message = format!(
        "{} {} {range}: {}",
        workload.describe(),
        change_words(e.direction, &opened, &closed, false),
        reasons(&rules, &was, &opened, &closed, false)
    );
    ExternalChange {
        change: Change::of(&opened, &closed),
        workload,
        direction: e.direction,
        range: e.range.to_string(),
        cidrs,
        before: e.before.to_string(),
        after: e.after.to_string(),
        rules,
        was,
        message,
        opened,
        closed,
    }
}

fn range_text(s: Segment, cidrs: &[String]) -> String {
    if cidrs.len() <= 3 {
        cidrs.join(", ")
    } else {
        s.to_string()
    }
}
