//! From an inventory to a report: scope (system and excluded namespaces), coverage, checks,
//! suppression, ordering. Pure: no I/O.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;

use crate::checks::{self, Context};
use crate::error::Error;
use crate::model::{ClusterPolicyKind, Direction, Inventory, Suppression};
use crate::report::{
    DirectionFlags, Finding, Isolation, NamespaceEntry, Report, Severity, Source, Summary,
    WorkloadEntry, API_VERSION,
};
use crate::semantics::{Coverage, DirectionVerdict, HostNetwork, Selector};

/// Namespaces of the control plane, left out unless asked for.
pub const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub include_system: bool,
    exclude: Option<GlobSet>,
}

impl Scope {
    pub fn new(include_system: bool, exclude_globs: &[String]) -> Result<Self, Error> {
        let exclude = if exclude_globs.is_empty() {
            None
        } else {
            let mut builder = GlobSetBuilder::new();
            for g in exclude_globs {
                let glob = Glob::new(g).map_err(|e| {
                    Error::Usage(format!("--exclude-namespace {g:?}: {}", e.kind()))
                })?;
                builder.add(glob);
            }
            Some(
                builder
                    .build()
                    .map_err(|e| Error::Usage(format!("--exclude-namespace: {e}")))?,
            )
        };
        Ok(Scope {
            include_system,
            exclude,
        })
    }

    pub fn contains(&self, namespace: &str) -> bool {
        if !self.include_system && SYSTEM_NAMESPACES.contains(&namespace) {
            return false;
        }
        !self.exclude.as_ref().is_some_and(|g| g.is_match(namespace))
    }

    /// Drops everything outside the scope.
    pub fn apply(&self, inventory: &mut Inventory) {
        inventory.namespaces.retain(|n| self.contains(&n.name));
        inventory.workloads.retain(|w| self.contains(&w.namespace));
        inventory.policies.retain(|p| self.contains(&p.namespace));
        inventory
            .cilium_policies
            .retain(|p| p.namespace.as_deref().is_none_or(|n| self.contains(n)));
        inventory
            .ignored_policies
            .retain(|p| p.namespace.as_deref().is_none_or(|n| self.contains(n)));
    }
}

/// Which rules run, and at which severity: `--enable`, `--disable`, `--severity RULE=level`.
#[derive(Debug, Clone, Default)]
pub struct RuleConfig {
    disabled: HashSet<&'static str>,
    severity: HashMap<&'static str, Severity>,
}

impl RuleConfig {
    /// Rules are named by id or name. `--enable` wins over `--disable` for the same rule.
    pub fn from_flags(
        enable: &[String],
        disable: &[String],
        severity: &[String],
    ) -> Result<Self, Error> {
        let rule = |name: &str, flag: &str| {
            checks::find_rule(name).ok_or_else(|| {
                Error::Usage(format!(
                    "{flag} {name:?}: no such rule (see `kubectl netpol-check rules`)"
                ))
            })
        };
        let mut config = RuleConfig::default();
        for name in disable {
            config.disabled.insert(rule(name, "--disable")?.id);
        }
        for name in enable {
            config.disabled.remove(rule(name, "--enable")?.id);
        }
        for spec in severity {
            let (name, level) = spec.split_once('=').ok_or_else(|| {
                Error::Usage(format!(
                    "--severity {spec:?}: expected RULE=error|warning|info"
                ))
            })?;
            let level = match level {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                "info" => Severity::Info,
                _ => {
                    return Err(Error::Usage(format!(
                        "--severity {spec:?}: the level must be error, warning or info"
                    )))
                }
            };
            config.severity.insert(rule(name, "--severity")?.id, level);
        }
        Ok(config)
    }

    fn apply(&self, mut findings: Vec<Finding>) -> Vec<Finding> {
        // The defaults change nothing: 100,000 findings are not looked up twice each for it.
        if !self.disabled.is_empty() {
            findings.retain(|f| !self.disabled.contains(f.rule.as_str()));
        }
        if !self.severity.is_empty() {
            for f in &mut findings {
                if let Some(s) = self.severity.get(f.rule.as_str()) {
                    f.severity = *s;
                }
            }
        }
        findings
    }
}

/// Analyses an inventory already limited to its scope, with every rule at its default.
pub fn analyse(inventory: &Inventory, source: Source) -> Report {
    analyse_with(inventory, source, &RuleConfig::default())
}

/// What shapes a run besides its rules.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// How hostNetwork pods are policed (SEMANTICS.md point 5).
    pub host_network: HostNetwork,
    /// `-l`: the workloads reported, by their pods' labels. Verdicts and lints are worked out
    /// on the whole inventory all the same; only what is reported is limited.
    pub selector: Option<Selector>,
    /// `--cilium-policy-mode`: the inventory's Cilium mode is set from it where inventories
    /// are built (post-render builds its own).
    pub cilium_mode: Option<crate::model::CiliumMode>,
}

impl Options {
    /// Whether `-l` reports this workload: one of its pods' label sets matches.
    pub fn reports(&self, workload: &crate::model::Workload) -> bool {
        self.selector
            .as_ref()
            .is_none_or(|s| workload.label_sets.iter().any(|l| s.matches(l)))
    }
}

/// Analyses an inventory already limited to its scope.
pub fn analyse_with(inventory: &Inventory, source: Source, rules: &RuleConfig) -> Report {
    analyse_with_options(inventory, source, rules, &Options::default())
}

/// Analyses an inventory already limited to its scope, hostNetwork pods and `-l` as `options`
/// say.
pub fn analyse_with_options(
    inventory: &Inventory,
    source: Source,
    rules: &RuleConfig,
    options: &Options,
) -> Report {
    // A policy the API server would refuse never reaches a cluster: it isolates nothing.
    let invalid = invalid_policies(inventory);
    let mut invalid_cluster: Vec<usize> = invalid_cluster_policies(inventory).into_iter().collect();
    invalid_cluster.sort_unstable();
    let coverage =
        Coverage::evaluate_with(inventory, |i| !invalid.contains(&i), options.host_network);
    let namespaces = namespace_names(inventory);
    let ctx = Context::new(inventory, &coverage, &namespaces, source.cni.as_ref());
    let reported: Vec<bool> = if options.selector.is_some() {
        inventory
            .workloads
            .iter()
            .map(|w| options.reports(w))
            .collect()
    } else {
        vec![true; inventory.workloads.len()]
    };
    // The checks, the per-workload entries and the namespaces' and summary's counts only read
    // the inventory and the verdicts: side by side.
    let (raw_findings, (workloads, (namespace_entries, mut summary))) = rayon::join(
        || checks::run_enabled(&ctx, |id| !rules.disabled.contains(id)),
        || {
            rayon::join(
                || workload_entries(inventory, &coverage, &reported),
                || overview(inventory, &coverage, &namespaces, &reported, options),
            )
        },
    );
    let raw_findings = match options.selector {
        Some(_) => reported_findings(inventory, &coverage, &reported, raw_findings),
        None => raw_findings,
    };

    // The verdicts are not read again: freed on another core while the findings are sorted,
    // so that the output reuses their memory rather than growing the run's peak.
    drop(ctx);
    rayon::spawn(move || drop(coverage));
    let (findings, suppressed) = apply_suppressions(inventory, rules.apply(raw_findings));
    summary.suppressed = suppressed.len();
    for f in &findings {
        summary.findings.add(f.severity);
    }

    let report = Report {
        api_version: API_VERSION.to_owned(),
        kind: "Report".to_owned(),
            generator: None,
        source,
        summary,
        namespaces: namespace_entries,
        workloads,
        findings,
        suppressed,
        generated: Vec::new(),
        cluster: None,
        clusters: None,
        notes: invalid
            .iter()
            .map(|&i| {
                let p = &inventory.policies[i];
                format!(
                    "NetworkPolicy {}/{} is invalid (NPC120) and was left out of the coverage verdict.",
                    p.namespace, p.name
                )
            })
            .chain(invalid_cluster.iter().map(|&i| {
                let p = &inventory.cluster_policies[i];
                format!(
                    "{} {} is invalid (NPC120) and was left out of the verdicts.",
                    p.kind, p.name
                )
            }))
            .collect(),
    };
    report
}

/// The findings `-l` reports: about a reported workload, about a policy (NetworkPolicy or
/// cluster-scoped) that selects one, about a namespace that holds one; and those about nothing
/// in the inventory (the CNI plugin).
fn reported_findings(
    inventory: &Inventory,
    coverage: &Coverage,
    reported: &[bool],
    findings: Vec<Finding>,
) -> Vec<Finding> {
    let mut workloads: HashMap<(&str, &str, &str), bool> = HashMap::new();
    let mut policies: HashSet<(&str, &str)> = HashSet::new();
    let mut namespaces: HashSet<&str> = HashSet::new();
    // Cluster-scoped policies by (kind, name): their findings name no namespace.
    let mut cluster: HashSet<(&str, &str)> = HashSet::new();
    for ((w, v), &r) in inventory
        .workloads
        .iter()
        .zip(&coverage.workloads)
        .zip(reported)
    {
        let shown = workloads
            .entry((&w.namespace, w.kind.as_str(), &w.name))
            .or_insert(false);
        *shown |= r;
        if r {
            namespaces.insert(&w.namespace);
            for &p in &v.selected_by {
                let p = &inventory.policies[p];
                policies.insert((&p.namespace, &p.name));
            }
            for &position in v.ingress.cluster().iter().chain(v.egress.cluster()) {
                let p = &inventory.cluster_policies[coverage.set.cluster()[position].index];
                cluster.insert((p.kind.as_str(), &p.name));
            }
        }
    }
    findings
        .into_iter()
        .filter(|f| {
            let ns = f.namespace.as_deref().unwrap_or("");
            if let Some(&shown) = workloads.get(&(ns, f.kind.as_str(), f.object.as_str())) {
                return shown;
            }
            match f.kind.as_str() {
                "NetworkPolicy" => policies.contains(&(ns, f.object.as_str())),
                "Namespace" => namespaces.contains(f.object.as_str()),
                kind if ClusterPolicyKind::parse(kind).is_some() => {
                    cluster.contains(&(kind, f.object.as_str()))
                }
                _ => true,
            }
        })
        .collect()
}

/// One entry per reported workload, with its verdict, sorted by namespace, name and kind.
fn workload_entries(
    inventory: &Inventory,
    coverage: &Coverage,
    reported: &[bool],
) -> Vec<WorkloadEntry> {
    let refs = PolicyRefs::new(inventory);
    let workloads = &inventory.workloads;
    let namespace = ranks(workloads.iter().map(|w| w.namespace.as_str()));
    let mut order: Vec<(u32, u32)> = workloads
        .iter()
        .enumerate()
        .filter(|(i, _)| reported[*i])
        .map(|(i, w)| (namespace[w.namespace.as_str()], i as u32))
        .collect();
    // The same object listed twice stays in inventory order, as a stable sort leaves it.
    order.par_sort_unstable_by(|&(ns_a, a), &(ns_b, b)| {
        let (wa, wb) = (&workloads[a as usize], &workloads[b as usize]);
        (ns_a, &wa.name, wa.kind.as_str(), a).cmp(&(ns_b, &wb.name, wb.kind.as_str(), b))
    });
    order
        .par_iter()
        .map(|&(_, i)| {
            let (w, v) = (&workloads[i as usize], &coverage.workloads[i as usize]);
            WorkloadEntry {
                cluster: None,
                kind: w.kind.as_str().to_owned(),
                namespace: w.namespace.clone(),
                name: w.name.clone(),
                pods: w.pods,
                host_network: w.host_network,
                ingress: isolation_entry(
                    inventory,
                    coverage,
                    &refs,
                    &v.ingress,
                    Direction::Ingress,
                ),
                egress: isolation_entry(inventory, coverage, &refs, &v.egress, Direction::Egress),
            }
        })
        .collect()
}

/// The namespaces' entries and the summary's counts of the inventory and its verdicts (the
/// findings' counts are added once they are sorted).
fn overview(
    inventory: &Inventory,
    coverage: &Coverage,
    namespaces: &[String],
    reported: &[bool],
    options: &Options,
) -> (Vec<NamespaceEntry>, Summary) {
    let mut per_ns: foldhash::HashMap<&str, (usize, usize)> = Default::default();
    for (w, _) in inventory
        .workloads
        .iter()
        .zip(reported)
        .filter(|(_, r)| **r)
    {
        per_ns.entry(&w.namespace).or_default().0 += 1;
    }
    for p in &inventory.policies {
        per_ns.entry(&p.namespace).or_default().1 += 1;
    }
    // With -l, the namespaces reported are those of the workloads reported.
    let namespace_entries: Vec<NamespaceEntry> = namespaces
        .iter()
        .filter(|ns| {
            options.selector.is_none() || per_ns.get(ns.as_str()).is_some_and(|(w, _)| *w > 0)
        })
        .map(|ns| {
            let (w, p) = per_ns.get(ns.as_str()).copied().unwrap_or_default();
            let deny = coverage.default_deny(inventory, ns);
            // The NetworkPolicy tier decides first for its pods; a tier's deny counts only
            // where no NetworkPolicy default deny does.
            let by = |d: Direction, np: bool| {
                if np {
                    Some(crate::report::DecidedBy {
                        layer: "NetworkPolicy".into(),
                        kind: "NetworkPolicy".into(),
                        name: policy_names_in(inventory, coverage, ns, d).into(),
                        rule: None,
                    })
                } else {
                    coverage
                        .tier_default_deny(ns, d)
                        .map(|by| decided_by_entry(inventory, &by, None))
                }
            };
            let (ingress_by, egress_by) = if coverage.set.has_layers() {
                (
                    by(Direction::Ingress, deny.ingress),
                    by(Direction::Egress, deny.egress),
                )
            } else {
                (None, None)
            };
            NamespaceEntry {
                cluster: None,
                name: ns.clone(),
                workloads: w,
                network_policies: p,
                default_deny: DirectionFlags {
                    ingress: deny.ingress || ingress_by.is_some(),
                    egress: deny.egress || egress_by.is_some(),
                },
                default_deny_by: crate::report::DefaultDenyBy {
                    ingress: ingress_by,
                    egress: egress_by,
                },
            }
        })
        .collect();

    let reported_workloads = || {
        inventory
            .workloads
            .iter()
            .zip(&coverage.workloads)
            .zip(reported)
            .filter(|(_, r)| **r)
            .map(|(wv, _)| wv)
    };
    let mut summary = Summary {
        namespaces: namespace_entries.len(),
        workloads: reported_workloads().count(),
        // Every policy takes part in the verdicts, -l or not.
        network_policies: inventory.policies.len(),
        uncovered_workloads: reported_workloads()
            .filter(|(w, v)| !coverage.on_node_network(w) && !v.covered())
            .count(),
        host_network_workloads: reported_workloads().filter(|(w, _)| w.host_network).count(),
        host_network_model: options.host_network.as_str().to_owned(),
        skipped_kinds: inventory.skipped_kinds.clone(),
        ..Default::default()
    };
    if !inventory.policies.is_empty() {
        summary
            .policies
            .insert("NetworkPolicy".to_owned(), inventory.policies.len());
    }
    for p in &inventory.cluster_policies {
        *summary
            .policies
            .entry(p.kind.as_str().to_owned())
            .or_default() += 1;
    }
    for p in &inventory.cilium_policies {
        *summary
            .policies
            .entry(p.kind.as_str().to_owned())
            .or_default() += 1;
    }
    // Both API groups count under one key: crd.projectcalico.org/v1 is how the cluster stores
    // what projectcalico.org/v3 serves. Staged kinds count too: read, never enforced.
    for p in &inventory.calico_policies {
        *summary
            .policies
            .entry(p.kind.qualified().to_owned())
            .or_default() += 1;
    }
    summary.ignored_policies = inventory.ignored_policy_counts();
    for (kind, n) in &summary.ignored_policies {
        *summary.policies.entry(kind.clone()).or_default() += n;
    }
    (namespace_entries, summary)
}

/// A direction's verdict as the report gives it (REPORT.md "Several policy APIs").
fn isolation_entry<'a>(
    inventory: &Inventory,
    coverage: &Coverage,
    shared: &PolicyRefs<'a>,
    v: &'a DirectionVerdict,
    direction: Direction,
) -> Isolation {
    use crate::semantics::Isolation as State;
    let decided_by = v.decided_by().map(|by| match by {
        // NetworkPolicy isolation: one entry per first isolating policy (by name), shared by
        // every workload it decides for.
        crate::semantics::DecidedBy::NetworkPolicies => v
            .policies
            .iter()
            .min_by_key(|&&i| inventory.policies[i].name.as_str())
            .map(|&i| shared.decided_by(i))
            .unwrap_or_else(|| Arc::new(decided_by_entry(inventory, by, None))),
        other => shared.decided_by_rule(inventory, other),
    });
    let reason = match (v.isolation, v.ambiguous()) {
        (State::Ambiguous, Some((a, b))) => Some(format!(
            "{} and {} have the same priority and both match: the implementation may apply either first, and the {} verdict differs",
            crate::connectivity::describe::policy_name(inventory, a),
            crate::connectivity::describe::policy_name(inventory, b),
            direction.lower()
        )),
        _ => None,
    };
    let policy_refs = if !coverage.set.has_layers() {
        // NetworkPolicies alone: `policies` names them all, in the workload's namespace. Written
        // out again as references they tripled the report of 100,000 workloads (docs/report.md).
        crate::report::PolicyRefs::from([])
    } else {
        shared.list(coverage, v)
    };
    Isolation {
        isolated: v.isolated,
        policies: shared.names(inventory, &v.policies),
        isolation: v.isolation.into(),
        reason,
        decided_by,
        policy_refs,
    }
}

/// What decides a direction, as the report names it.
fn decided_by_entry(
    inventory: &Inventory,
    by: &crate::semantics::DecidedBy,
    first_network: Option<Arc<str>>,
) -> crate::report::DecidedBy {
    use crate::semantics::{DecidedBy as By, PolicyId};
    use std::borrow::Cow;
    match by {
        By::NetworkPolicies => crate::report::DecidedBy {
            layer: Cow::Borrowed("NetworkPolicy"),
            kind: Cow::Borrowed("NetworkPolicy"),
            name: first_network.unwrap_or_else(|| Arc::from("")),
            rule: None,
        },
        By::CiliumDefaultDeny(id) => {
            let (kind, name) = match *id {
                PolicyId::Cilium { policy, .. } => {
                    let p = &inventory.cilium_policies[policy as usize];
                    (p.kind.as_str(), p.name.as_str())
                }
                _ => ("", ""),
            };
            crate::report::DecidedBy {
                layer: Cow::Borrowed("NetworkPolicy"),
                kind: Cow::Borrowed(kind),
                name: Arc::from(name),
                rule: None,
            }
        }
        By::CalicoTier { policy, .. } => {
            let (kind, name, layer) = match *policy {
                PolicyId::Calico(i) => {
                    let p = &inventory.calico_policies[i];
                    (
                        p.kind.label(),
                        p.name.as_str(),
                        crate::connectivity::describe::calico_layer(p),
                    )
                }
                _ => ("", "", Cow::Borrowed("")),
            };
            crate::report::DecidedBy {
                layer,
                kind: Cow::Borrowed(kind),
                name: Arc::from(name),
                rule: None,
            }
        }
        By::CiliumMode => crate::report::DecidedBy {
            layer: Cow::Borrowed("CNI mode"),
            kind: Cow::Borrowed("ConfigMap"),
            name: Arc::from("cilium-config"),
            rule: Some("enable-policy: always".to_owned()),
        },
        By::Rule { layer, rule } => {
            let (kind, name, rule_name) = match rule.policy {
                PolicyId::Network(i) => {
                    let p = &inventory.policies[i];
                    ("NetworkPolicy", p.name.as_str(), None)
                }
                PolicyId::Cluster(i) => {
                    let p = &inventory.cluster_policies[i];
                    let r = &p.rules(rule.direction)[rule.index];
                    (p.kind.as_str(), p.name.as_str(), r.name.clone())
                }
                PolicyId::Cilium { policy, spec } => {
                    let p = &inventory.cilium_policies[policy as usize];
                    let section = crate::connectivity::describe::cilium_rule_name(
                        p,
                        spec as usize,
                        rule.direction,
                        rule.index,
                    );
                    (p.kind.as_str(), p.name.as_str(), Some(section))
                }
                PolicyId::Calico(i) => {
                    let p = &inventory.calico_policies[i];
                    let section =
                        crate::connectivity::describe::calico_rule_name(rule.direction, rule.index);
                    (p.kind.as_str(), p.name.as_str(), Some(section))
                }
            };
            let layer = match rule.policy {
                PolicyId::Calico(i) => {
                    crate::connectivity::describe::calico_layer(&inventory.calico_policies[i])
                }
                _ => Cow::Borrowed(layer.as_str()),
            };
            crate::report::DecidedBy {
                layer,
                kind: Cow::Borrowed(kind),
                name: Arc::from(name),
                rule: Some(rule_name.filter(|n| !n.is_empty()).unwrap_or_else(|| {
                    format!("{} rule {}", rule.direction.lower(), rule.index + 1)
                })),
            }
        }
    }
}

/// Every policy's reference, built once and shared by the workload entries, with its rank in
/// the references' sorted order (equal references, equal ranks).
struct PolicyRefs<'a> {
    network: Vec<(u32, Arc<crate::report::PolicyRefEntry>)>,
    cluster: Vec<(u32, Arc<crate::report::PolicyRefEntry>)>,
    cilium: Vec<(u32, Arc<crate::report::PolicyRefEntry>)>,
    calico: Vec<(u32, Arc<crate::report::PolicyRefEntry>)>,
    /// For each NetworkPolicy, `decidedBy` when it is the first (by name) of those isolating.
    decided_by: Vec<Arc<crate::report::DecidedBy>>,
    /// `decidedBy` for each cluster-scoped rule met so far: a few hundred rules decide for
    /// 100,000 workloads, and an entry each (with its rule's name written out) was 30 MB.
    decided_by_rule: std::sync::Mutex<RuleEntries>,
    /// Each `policyRefs` list built so far, by the verdict's selecting policies (NetworkPolicy
    /// indexes, cluster-scoped positions): a few per namespace, shared by its workloads.
    lists: std::sync::Mutex<RefLists<'a>>,
    /// Each `policies` list built so far, by the verdict's NetworkPolicy indexes: a few per
    /// namespace, shared by its workloads, and one name per policy.
    names: std::sync::Mutex<foldhash::HashMap<&'a [usize], crate::report::PolicyNames>>,
    no_names: crate::report::PolicyNames,
    /// Each NetworkPolicy's name, by inventory index, shared by every list that holds it.
    name_of: Vec<Arc<str>>,
}

/// Keyed by the NetworkPolicy indexes and the verdict's shared layer detail (which holds the
/// cluster-scoped, Cilium and Calico positions, one value per distinct content): a pointer
/// hashes faster than three lists, for each of 200,000 sides.
type RefLists<'a> = foldhash::HashMap<(&'a [usize], Option<usize>), crate::report::PolicyRefs>;

type RuleEntries = foldhash::HashMap<crate::semantics::DecidedBy, Arc<crate::report::DecidedBy>>;

impl<'a> PolicyRefs<'a> {
    fn new(inventory: &Inventory) -> Self {
        use crate::semantics::PolicyId;
        let network: Vec<_> = (0..inventory.policies.len())
            .map(|i| Arc::new(policy_ref(inventory, PolicyId::Network(i))))
            .collect();
        let cluster: Vec<_> = (0..inventory.cluster_policies.len())
            .map(|i| Arc::new(policy_ref(inventory, PolicyId::Cluster(i))))
            .collect();
        let cilium: Vec<_> = (0..inventory.cilium_policies.len())
            .map(|i| {
                Arc::new(policy_ref(
                    inventory,
                    PolicyId::Cilium {
                        policy: i as u32,
                        spec: 0,
                    },
                ))
            })
            .collect();
        let calico: Vec<_> = (0..inventory.calico_policies.len())
            .map(|i| Arc::new(policy_ref(inventory, PolicyId::Calico(i))))
            .collect();
        let mut sorted: Vec<&crate::report::PolicyRefEntry> = network
            .iter()
            .chain(&cluster)
            .chain(&cilium)
            .chain(&calico)
            .map(|r| r.as_ref())
            .collect();
        sorted.sort_unstable();
        sorted.dedup();
        let rank = |r: &crate::report::PolicyRefEntry| {
            sorted
                .binary_search(&r)
                .expect("every reference is among them") as u32
        };
        let ranked = |list: &[Arc<crate::report::PolicyRefEntry>]| {
            list.iter().map(|r| (rank(r), r.clone())).collect()
        };
        PolicyRefs {
            network: ranked(&network),
            cluster: ranked(&cluster),
            cilium: ranked(&cilium),
            calico: ranked(&calico),
            decided_by: inventory
                .policies
                .iter()
                .map(|p| {
                    Arc::new(crate::report::DecidedBy {
                        layer: "NetworkPolicy".into(),
                        kind: "NetworkPolicy".into(),
                        name: Arc::from(p.name.as_str()),
                        rule: None,
                    })
                })
                .collect(),
            decided_by_rule: Default::default(),
            lists: Default::default(),
            names: Default::default(),
            no_names: crate::report::PolicyNames::from_iter(std::iter::empty::<Arc<str>>()),
            name_of: inventory
                .policies
                .iter()
                .map(|p| Arc::from(p.name.as_str()))
                .collect(),
        }
    }

    /// The sorted references of the policies that select a side, built once per distinct set.
    fn list(&self, coverage: &Coverage, v: &'a DirectionVerdict) -> crate::report::PolicyRefs {
        use crate::semantics::PolicyId;
        let key = (v.policies.as_slice(), v.layers_key());
        if let Some(list) = self.lists().get(&key) {
            return list.clone();
        }
        let (network, cluster, cilium, calico) = (&v.policies, v.cluster(), v.cilium(), v.calico());
        let list: crate::report::PolicyRefs =
            if cluster.is_empty() && cilium.is_empty() && calico.is_empty() {
                network
                    .iter()
                    .map(|&i| self.get(PolicyId::Network(i)))
                    .collect()
            } else {
                // Sorted by each reference's rank: comparing the strings of 20 references was a
                // tenth of a run.
                let mut ids: Vec<(u32, PolicyId)> = network
                    .iter()
                    .map(|&i| PolicyId::Network(i))
                    .chain(
                        cluster
                            .iter()
                            .map(|&p| PolicyId::Cluster(coverage.set.cluster()[p].index)),
                    )
                    .chain(cilium.iter().map(|&p| coverage.set.cilium()[p].id()))
                    .chain(
                        calico
                            .iter()
                            .map(|&p| PolicyId::Calico(coverage.set.calico()[p].index)),
                    )
                    .map(|id| (self.rank(id), id))
                    .collect();
                ids.sort_unstable_by_key(|&(rank, _)| rank);
                // One reference per policy, however many of its `specs` select the pod.
                ids.dedup_by_key(|&mut (rank, _)| rank);
                ids.iter().map(|&(_, id)| self.get(id)).collect()
            };
        self.lists().entry(key).or_insert(list).clone()
    }

    /// The sorted, distinct names of the NetworkPolicies `policies` (indexes), built once per
    /// distinct list.
    fn names(&self, inventory: &Inventory, policies: &'a [usize]) -> crate::report::PolicyNames {
        // Most sides of clusters with other policy APIs have none: no lock for them.
        if policies.is_empty() {
            return self.no_names.clone();
        }
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        names
            .entry(policies)
            .or_insert_with(|| {
                let mut sorted = policies.to_vec();
                sorted.sort_unstable_by_key(|&i| inventory.policies[i].name.as_str());
                sorted.dedup_by_key(|i| inventory.policies[*i].name.as_str());
                sorted.iter().map(|&i| self.name_of[i].clone()).collect()
            })
            .clone()
    }

    fn lists(&self) -> std::sync::MutexGuard<'_, RefLists<'a>> {
        self.lists.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn decided_by(&self, policy: usize) -> Arc<crate::report::DecidedBy> {
        self.decided_by[policy].clone()
    }

    /// `decidedBy` for a deciding rule, a Cilium default deny or the Cilium mode.
    fn decided_by_rule(
        &self,
        inventory: &Inventory,
        by: &crate::semantics::DecidedBy,
    ) -> Arc<crate::report::DecidedBy> {
        let mut entries = self
            .decided_by_rule
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        entries
            .entry(by.clone())
            .or_insert_with(|| Arc::new(decided_by_entry(inventory, by, None)))
            .clone()
    }

    fn rank(&self, id: crate::semantics::PolicyId) -> u32 {
        match id {
            crate::semantics::PolicyId::Network(i) => self.network[i].0,
            crate::semantics::PolicyId::Cluster(i) => self.cluster[i].0,
            crate::semantics::PolicyId::Cilium { policy, .. } => self.cilium[policy as usize].0,
            crate::semantics::PolicyId::Calico(i) => self.calico[i].0,
        }
    }

    fn get(&self, id: crate::semantics::PolicyId) -> Arc<crate::report::PolicyRefEntry> {
        match id {
            crate::semantics::PolicyId::Network(i) => self.network[i].1.clone(),
            crate::semantics::PolicyId::Cluster(i) => self.cluster[i].1.clone(),
            crate::semantics::PolicyId::Cilium { policy, .. } => {
                self.cilium[policy as usize].1.clone()
            }
            crate::semantics::PolicyId::Calico(i) => self.calico[i].1.clone(),
        }
    }
}

/// The first (sorted) name of the namespace's empty-selector deny policies for a direction.
fn policy_names_in(inventory: &Inventory, coverage: &Coverage, ns: &str, d: Direction) -> String {
    coverage
        .default_deny_policies(inventory, ns, d)
        .map(|p| p.name.as_str())
        .min()
        .map(str::to_owned)
        .unwrap_or_default()
}

fn policy_ref(
    inventory: &Inventory,
    id: crate::semantics::PolicyId,
) -> crate::report::PolicyRefEntry {
    match id {
        crate::semantics::PolicyId::Network(i) => {
            let p = &inventory.policies[i];
            crate::report::PolicyRefEntry {
                kind: "NetworkPolicy".to_owned(),
                api_version: "networking.k8s.io/v1".to_owned(),
                namespace: Some(p.namespace.clone()),
                name: p.name.clone(),
            }
        }
        crate::semantics::PolicyId::Cluster(i) => {
            let p = &inventory.cluster_policies[i];
            crate::report::PolicyRefEntry {
                kind: p.kind.as_str().to_owned(),
                api_version: p.api_version.clone(),
                namespace: None,
                name: p.name.clone(),
            }
        }
        crate::semantics::PolicyId::Cilium { policy, .. } => {
            let p = &inventory.cilium_policies[policy as usize];
            crate::report::PolicyRefEntry {
                kind: p.kind.as_str().to_owned(),
                api_version: "cilium.io/v2".to_owned(),
                namespace: p.namespace.clone(),
                name: p.name.clone(),
            }
        }
        crate::semantics::PolicyId::Calico(i) => {
            let p = &inventory.calico_policies[i];
            crate::report::PolicyRefEntry {
                kind: p.kind.as_str().to_owned(),
                api_version: p.api_version.clone(),
                namespace: p.namespace.clone(),
                name: p.name.clone(),
            }
        }
    }
}

/// Each distinct name's place among them in sorted order. Sorting 100,000 entries by these
/// compares numbers, and names only within one namespace: comparing namespace names was most
/// of sorting the report.
fn ranks<'a>(names: impl Iterator<Item = &'a str>) -> foldhash::HashMap<&'a str, u32> {
    let mut distinct: Vec<&str> = Vec::new();
    let mut seen: foldhash::HashSet<&str> = Default::default();
    let mut last = None;
    for name in names {
        // Objects of a namespace mostly come together: most lookups are skipped.
        if last != Some(name) && seen.insert(name) {
            distinct.push(name);
        }
        last = Some(name);
    }
    distinct.sort_unstable();
    distinct
        .into_iter()
        .enumerate()
        .map(|(i, name)| (name, i as u32))
        .collect()
}

/// Indexes of the cluster-scoped policies (`Inventory::cluster_policies`) their CRDs would
/// refuse.
pub fn invalid_cluster_policies(inventory: &Inventory) -> HashSet<usize> {
    inventory
        .cluster_policies
        .iter()
        .enumerate()
        .filter(|(_, p)| !crate::semantics::cluster_validation::validate(p).is_empty())
        .map(|(i, _)| i)
        .collect()
}

/// Indexes of the policies the API server would refuse.
pub fn invalid_policies(inventory: &Inventory) -> HashSet<usize> {
    inventory
        .policies
        .par_iter()
        .enumerate()
        .filter(|(_, p)| !crate::semantics::validation::validate(p).is_empty())
        .map(|(i, _)| i)
        .collect()
}

/// Every namespace that holds a workload or a policy, or is listed, sorted.
fn namespace_names(inventory: &Inventory) -> Vec<String> {
    let mut set: BTreeSet<&str> = BTreeSet::new();
    let names = (inventory.namespaces.iter().map(|n| n.name.as_str()))
        .chain(inventory.workloads.iter().map(|w| w.namespace.as_str()))
        .chain(inventory.policies.iter().map(|p| p.namespace.as_str()));
    let mut last = None;
    for name in names {
        // Objects of a namespace mostly come together: one insert per run of them, not one
        // per object (120,000 searches of the set).
        if last != Some(name) {
            set.insert(name);
            last = Some(name);
        }
    }
    set.into_iter().map(str::to_owned).collect()
}

/// Splits findings into active and suppressed. A finding is suppressed by an annotation on its
/// own object or on its namespace.
fn apply_suppressions(
    inventory: &Inventory,
    findings: Vec<Finding>,
) -> (Vec<Finding>, Vec<Finding>) {
    // Looked up for every finding: a fast hasher.
    let mut objects: foldhash::HashMap<(&str, &str, &str), &Suppression> = Default::default();
    for w in &inventory.workloads {
        if !w.suppression.is_empty() {
            objects.insert((&w.namespace, w.kind.as_str(), &w.name), &w.suppression);
        }
    }
    for p in &inventory.policies {
        if !p.suppression.is_empty() {
            objects.insert((&p.namespace, "NetworkPolicy", &p.name), &p.suppression);
        }
    }
    // Cluster-scoped: their findings name no namespace.
    for p in &inventory.cluster_policies {
        if !p.suppression.is_empty() {
            objects.insert(("", p.kind.as_str(), &p.name), &p.suppression);
        }
    }
    for p in &inventory.cilium_policies {
        if !p.suppression.is_empty() {
            let ns = p.namespace.as_deref().unwrap_or("");
            objects.insert((ns, p.kind.as_str(), &p.name), &p.suppression);
        }
    }
    for p in &inventory.calico_policies {
        if !p.suppression.is_empty() {
            let ns = p.namespace.as_deref().unwrap_or("");
            objects.insert((ns, p.kind.qualified(), &p.name), &p.suppression);
        }
    }
    let namespaces: foldhash::HashMap<&str, &Suppression> = inventory
        .namespaces
        .iter()
        .filter(|n| !n.suppression.is_empty())
        .map(|n| (n.name.as_str(), &n.suppression))
        .collect();

    // Looked up on every core, then split in order: 70,000 findings on a large run.
    let hits: Vec<Option<&Suppression>> = findings
        .par_iter()
        .map(|f| {
            let ns = f.namespace.as_deref().unwrap_or("");
            let by_object = objects
                .get(&(ns, f.kind.as_str(), f.object.as_str()))
                .copied();
            let by_namespace = namespaces.get(ns).copied();
            [by_object, by_namespace]
                .into_iter()
                .flatten()
                .find(|s| s.covers(&f.rule, &f.name))
        })
        .collect();
    // Split in place, copying only the suppressed findings (few): a second list of the active
    // ones held both at once, tens of MB at the run's peak.
    let mut suppressed = Vec::new();
    for (f, hit) in findings.iter().zip(&hits) {
        if let Some(s) = hit {
            suppressed.push(Finding {
                suppression_reason: s.reason.clone(),
                ..f.clone()
            });
        }
    }
    let mut active = findings;
    if !suppressed.is_empty() {
        let mut hit = hits.iter();
        active.retain(|_| hit.next().is_some_and(Option::is_none));
    }
    (sorted(active), sorted(suppressed))
}

/// Findings by severity (highest first), namespace, object and rule; in the order they came
/// otherwise, as a stable sort leaves them.
fn sorted(findings: Vec<Finding>) -> Vec<Finding> {
    let namespace = ranks(findings.iter().filter_map(|f| f.namespace.as_deref()));
    let mut order: Vec<(std::cmp::Reverse<Severity>, u32, u32)> = findings
        .par_iter()
        .enumerate()
        .map(|(i, f)| {
            // No namespace sorts first.
            let ns = f.namespace.as_deref().map_or(0, |n| namespace[n] + 1);
            (std::cmp::Reverse(f.severity), ns, i as u32)
        })
        .collect();
    order.par_sort_unstable_by(|&(sev_a, ns_a, a), &(sev_b, ns_b, b)| {
        let (fa, fb) = (&findings[a as usize], &findings[b as usize]);
        (sev_a, ns_a, &fa.object, &fa.rule, a).cmp(&(sev_b, ns_b, &fb.object, &fb.rule, b))
    });
    // Moved into place once, rather than on every step of the sort, and within the list: a
    // second list held both at once.
    let mut findings = findings;
    let mut placed = vec![false; findings.len()];
    for start in 0..findings.len() {
        // Each cycle of the permutation: position `at` takes the finding at `order[at]`.
        let mut at = start;
        while !placed[at] {
            placed[at] = true;
            let from = order[at].2 as usize;
            if from == start {
                break;
            }
            findings.swap(at, from);
            at = from;
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_namespaces_are_out_of_scope_unless_included() {
        let s = Scope::new(false, &[]).unwrap();
        assert!(!s.contains("kube-system") && s.contains("shop"));
        assert!(Scope::new(true, &[]).unwrap().contains("kube-system"));
    }

    #[test]
    fn exclude_globs_match_whole_names() {
        let s = Scope::new(false, &["team-*".into(), "tmp?".into()]).unwrap();
        assert!(!s.contains("team-a") && !s.contains("tmp1"));
        assert!(s.contains("my-team-a") && s.contains("tmp12"));
    }

    #[test]
    fn rule_flags_take_ids_or_names_and_refuse_unknown_ones() {
        let c = RuleConfig::from_flags(
            &["npc003".into()],
            &["NPC003".into(), "host-network-workload".into()],
            &["uncovered-workload=warning".into()],
        )
        .unwrap();
        assert!(c.disabled.contains("NPC002") && !c.disabled.contains("NPC003"));
        assert_eq!(c.severity.get("NPC001"), Some(&Severity::Warning));
        let e = RuleConfig::from_flags(&[], &["NPC999".into()], &[]).unwrap_err();
        assert!(e.to_string().contains("no such rule"), "{e}");
        assert!(RuleConfig::from_flags(&[], &[], &["NPC001=fatal".into()]).is_err());
        assert!(RuleConfig::from_flags(&[], &[], &["NPC001".into()]).is_err());
    }

    #[test]
    fn workloads_selected_by_the_same_policies_share_one_sorted_list_of_their_names() {
        use crate::source::manifests::{build_inventory, parse_all, Loaded, ManifestOptions};
        let deployment = |name: &str, app: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\n\
                 spec:\n  selector: {{matchLabels: {{app: {app}}}}}\n  template:\n    \
                 metadata: {{labels: {{app: {app}}}}}\n    \
                 spec: {{containers: [{{name: c, image: i}}]}}\n---\n"
            )
        };
        let policy = |name: &str, selector: &str| {
            format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
                 metadata: {{name: {name}, namespace: shop}}\n\
                 spec: {{podSelector: {selector}, policyTypes: [Ingress]}}\n---\n"
            )
        };
        let text = [
            deployment("web", "web"),
            deployment("web-2", "web"),
            deployment("api", "api"),
            policy("zz-all", "{}"),
            policy("aa-web", "{matchLabels: {app: web}}"),
            // A second object of the same name: one name in `policies`, as before.
            policy("aa-web", "{matchLabels: {app: web}}"),
        ]
        .concat();
        let loaded = [Loaded {
            name: "test.yaml".into(),
            text,
        }];
        let inventory = build_inventory(parse_all(&loaded, &ManifestOptions::default()).unwrap());
        let report = analyse(&inventory, Source::manifests(vec!["test.yaml".into()]));
        let entry = |name: &str| report.workloads.iter().find(|w| w.name == name).unwrap();
        let (web, web_2, api) = (entry("web"), entry("web-2"), entry("api"));
        assert_eq!(web.ingress.policies, ["aa-web", "zz-all"]);
        assert_eq!(api.ingress.policies, ["zz-all"]);
        assert!(web.egress.policies.is_empty());
        // One list for both, and one string per policy in every list.
        assert_eq!(
            web.ingress.policies.as_ptr(),
            web_2.ingress.policies.as_ptr()
        );
        assert_eq!(
            web.ingress.policies[1].as_ptr(),
            api.ingress.policies[0].as_ptr()
        );
        // The report reads back as it was written, in JSON and YAML alike.
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains(r#""policies":["aa-web","zz-all"]"#), "{json}");
        assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), report);
        let yaml = serde_norway::to_string(&report).unwrap();
        assert_eq!(serde_norway::from_str::<Report>(&yaml).unwrap(), report);
    }

    #[test]
    fn findings_are_sorted_in_place_as_a_stable_sort_orders_them() {
        let finding = |i: usize| {
            let severity = [Severity::Info, Severity::Error, Severity::Warning][i % 3];
            Finding {
                rule: format!("NPC00{}", i % 2),
                name: String::new(),
                severity,
                namespace: (i % 4 != 0).then(|| format!("ns-{}", (i * 7) % 5)),
                kind: "Deployment".into(),
                object: format!("w-{}", (i * 11) % 3),
                // Tells apart findings that compare equal.
                message: i.to_string(),
                remediation: String::new(),
                file: None,
                line: None,
                suppression_reason: None,
                cluster: None,
            }
        };
        for n in [0, 1, 2, 3, 10, 97, 500] {
            let findings: Vec<Finding> = (0..n).map(finding).collect();
            let mut expected = findings.clone();
            expected.sort_by(|a, b| {
                (
                    std::cmp::Reverse(a.severity),
                    &a.namespace,
                    &a.object,
                    &a.rule,
                )
                    .cmp(&(
                        std::cmp::Reverse(b.severity),
                        &b.namespace,
                        &b.object,
                        &b.rule,
                    ))
            });
            assert_eq!(sorted(findings), expected, "{n} findings");
        }
    }

    #[test]
    fn bad_glob_is_a_usage_error() {
        let e = Scope::new(false, &["[a".into()]).unwrap_err();
        assert!(
            e.to_string().starts_with("--exclude-namespace \"[a\""),
            "{e}"
        );
    }
}
