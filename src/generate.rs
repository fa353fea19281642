//! Default-deny NetworkPolicies for what the analysis found open: pure, no I/O.
//!
//! `namespace` mode completes each namespace's default deny (adding only the missing direction);
//! `workloads` mode writes one deny-all per uncovered workload, selecting exactly its pod labels,
//! for charts installed into namespaces they share. Any generated egress deny comes with an
//! allow-dns policy, or every pod it isolates loses name resolution; and with the allow rules
//! that keep what existing rules allow (see [`generate`]). With `--policy-format cilium` the
//! same policies are written as CiliumNetworkPolicies ([`cilium`]); with `--policy-format
//! calico`, as Calico policies ([`calico`]).

pub mod calico;
pub mod cilium;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::connectivity::{Engine, Member};
use crate::model::{
    Direction, Inventory, LabelSelector, Labels, NetworkPolicy, PolicyPort, PortValue, Requirement,
    Rule, Suppression, NAMESPACE_NAME_LABEL,
};
use crate::semantics::traffic::Endpoint;
use crate::semantics::{Coverage, PolicyTypes, Selector as CompiledSelector};

pub const GENERATED_ANNOTATION: &str = "netpol-check.io/generated";
/// Why a policy was generated, in plain words: the report's `generated` entries and the YAML
/// carry it, so that a reviewer need not reverse-engineer an allow rule.
pub const REASON_ANNOTATION: &str = "netpol-check.io/reason";

/// The label every generated policy carries, so that `kubectl get networkpolicies -l
/// netpol-check.io/generated` finds what this tool generated (the `netpol-check.io/` prefix
/// names the tool).
pub const GENERATED_LABEL: &str = "netpol-check.io/generated";

/// `--emit-default-deny=namespace|workloads`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DenyMode {
    /// Complete each namespace's default deny.
    Namespace,
    /// One deny-all per uncovered workload, selecting exactly its pod labels.
    Workloads,
}

/// `--policy-format`: the kind the generated policies are written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PolicyFormat {
    /// Kubernetes NetworkPolicies (networking.k8s.io/v1).
    #[default]
    Kubernetes,
    /// CiliumNetworkPolicies (cilium.io/v2), for clusters where Cilium enforces policies.
    Cilium,
    /// Calico policies (projectcalico.org/v3), for clusters where Calico enforces policies.
    Calico,
}

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub mode: DenyMode,
    /// The kind the policies are written as.
    pub format: PolicyFormat,
    /// Add allow-dns next to generated egress denies.
    pub dns: bool,
    /// Namespace of the cluster DNS pods (matched by `kubernetes.io/metadata.name`).
    pub dns_namespace: String,
    /// Labels of the cluster DNS pods.
    pub dns_selector: Vec<(String, String)>,
    /// Objects in this namespace get no `metadata.namespace`, so that Helm puts them in the
    /// release namespace.
    pub release_namespace: Option<String>,
    /// The Helm release the policies go into: their names start with `<release>-`, so that two
    /// releases in one namespace do not generate the same object, and they carry its
    /// `app.kubernetes.io/instance` label.
    pub release: Option<String>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            mode: DenyMode::Namespace,
            format: PolicyFormat::Kubernetes,
            dns: true,
            dns_namespace: "kube-system".into(),
            dns_selector: vec![("k8s-app".into(), "kube-dns".into())],
            release_namespace: None,
            release: None,
        }
    }
}

/// A generated NetworkPolicy manifest, in the field order people write them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyManifest {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Metadata,
    pub spec: Spec,
    /// How [`PolicyManifest::to_yaml`] writes it; the fields above are the NetworkPolicy form.
    #[serde(skip)]
    pub format: PolicyFormat,
    /// An allow-dns policy (Cilium's form writes its ports as Cilium's docs do).
    #[serde(skip)]
    pub dns: bool,
    /// Calico's form: the namespaces whose default deny this policy stands for, written as one
    /// GlobalNetworkPolicy (see [`calico`]); empty for every other policy.
    #[serde(skip)]
    pub calico_namespaces: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metadata {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// The labels of a generated policy.
fn generated_labels(options: &GenerateOptions) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(GENERATED_LABEL.to_owned(), "true".to_owned())]);
    if let Some(release) = &options.release {
        labels.insert(
            crate::source::with_cluster::INSTANCE_LABEL.to_owned(),
            release.clone(),
        );
    }
    labels
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    pub pod_selector: Selector,
    pub policy_types: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<IngressRule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<EgressRule>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Selector {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<Expression>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expression {
    pub key: String,
    pub operator: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngressRule {
    pub from: Vec<Peer>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EgressRule {
    pub to: Vec<Peer>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
}

/// Both selectors in ONE peer: pods of that namespace (AND), not either. Without a
/// namespaceSelector, pods of the policy's own namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<Selector>,
    pub pod_selector: Selector,
}

/// A `ports` entry, as the rule it completes wrote it (an absent protocol stays absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Port {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<PortNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_port: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PortNumber {
    Number(i64),
    Name(String),
}

impl PolicyManifest {
    /// The namespace the policy lands in: its own, or the release namespace.
    pub fn effective_namespace<'a>(&'a self, release: &'a str) -> &'a str {
        self.metadata.namespace.as_deref().unwrap_or(release)
    }

    /// The manifest as one YAML document (without a `---` marker), in its format.
    pub fn to_yaml(&self) -> String {
        let text = match self.format {
            PolicyFormat::Kubernetes => serde_norway::to_string(self),
            PolicyFormat::Cilium => serde_norway::to_string(&cilium::manifest(self)),
            PolicyFormat::Calico => serde_norway::to_string(&calico::manifest(self)),
        };
        // Quoted where kubectl, reading YAML 1.1, would read a label `y` as a boolean.
        crate::source::yaml11::quote_for_yaml11(&text.expect("a policy manifest always serialises"))
    }

    /// The manifest as JSON, in its format (the report's `generated` entries).
    pub fn to_value(&self) -> serde_json::Value {
        match self.format {
            PolicyFormat::Kubernetes => serde_json::to_value(self),
            PolicyFormat::Cilium => serde_json::to_value(cilium::manifest(self)),
            PolicyFormat::Calico => serde_json::to_value(calico::manifest(self)),
        }
        .expect("a policy manifest always serialises")
    }

    /// Why it was generated.
    pub fn reason(&self) -> Option<&str> {
        self.metadata
            .annotations
            .get(REASON_ANNOTATION)
            .map(String::as_str)
    }

    /// The policy as far as isolation goes (selector and types; rules left out).
    fn isolation_model(&self, namespace: &str) -> NetworkPolicy {
        NetworkPolicy {
            namespace: namespace.to_owned(),
            name: self.metadata.name.clone(),
            pod_selector: self.spec.pod_selector.to_model(),
            policy_types: Some(
                self.spec
                    .policy_types
                    .iter()
                    .map(|t| t.to_string())
                    .collect(),
            ),
            ingress: vec![],
            egress: vec![],
            suppression: Suppression::default(),
            origin: Default::default(),
        }
    }
}

impl Selector {
    fn of_labels(labels: &Labels) -> Self {
        Selector {
            match_labels: (labels.iter())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            match_expressions: vec![],
        }
    }

    fn of_model(s: &LabelSelector) -> Self {
        Selector {
            match_labels: s.match_labels.iter().cloned().collect(),
            match_expressions: s
                .match_expressions
                .iter()
                .map(|r| Expression {
                    key: r.key.clone(),
                    operator: r.operator.clone(),
                    values: r.values.clone(),
                })
                .collect(),
        }
    }

    fn to_model(&self) -> LabelSelector {
        LabelSelector {
            match_labels: self
                .match_labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            match_expressions: self
                .match_expressions
                .iter()
                .map(|e| Requirement {
                    key: e.key.clone(),
                    operator: e.operator.clone(),
                    values: e.values.clone(),
                })
                .collect(),
        }
    }

    fn namespace(name: &str) -> Self {
        Selector {
            match_labels: BTreeMap::from([(NAMESPACE_NAME_LABEL.to_owned(), name.to_owned())]),
            match_expressions: vec![],
        }
    }
}

impl Port {
    fn of_model(p: &PolicyPort) -> Self {
        Port {
            protocol: p.protocol.clone(),
            port: p.port.as_ref().map(|v| match v {
                PortValue::Number(n) => PortNumber::Number(*n),
                PortValue::Name(n) => PortNumber::Name(n.clone()),
            }),
            end_port: p.end_port,
        }
    }
}

/// What generation produced, and what it chose not to produce.
#[derive(Debug, Clone, Default)]
pub struct Generation {
    pub policies: Vec<PolicyManifest>,
    /// Denies not generated (or narrowed), and why, in plain words.
    pub notes: Vec<String>,
}

/// The policies to add. `inventory` and `coverage` are those of the analysed input.
pub fn default_denies(
    inventory: &Inventory,
    coverage: &Coverage,
    options: &GenerateOptions,
) -> Vec<PolicyManifest> {
    generate(inventory, coverage, options).policies
}

/// The denies, and the allows that keep every flow an existing rule allows.
///
/// What is kept: a connection needs the source's egress and the destination's ingress. When
/// one side was isolated and one of its rules allowed the connection while the other side was
/// open, an existing policy states that the flow is wanted; a deny on the open side would
/// silently break it, so the rule is completed on that side (same selectors, same ports, seen
/// from the other end). Connections allowed only because both sides were open are exactly
/// what a default deny is meant to close, and are not kept.
///
/// A namespace default deny that another policy's allow-all rule would neutralise (NPC114) is
/// not generated: the workloads that policy does not select get a deny of their own instead.
pub fn generate(
    inventory: &Inventory,
    coverage: &Coverage,
    options: &GenerateOptions,
) -> Generation {
    let mut names = Names::new(inventory, options.format, options.release.as_deref());
    let mut g = Generation::default();
    denies(inventory, coverage, options, &mut names, &mut g);
    complete_rules(inventory, coverage, options, &mut names, &mut g);
    if options.format == PolicyFormat::Cilium {
        cilium_notes(&mut g);
    }
    if options.format == PolicyFormat::Calico
        && options.mode == DenyMode::Namespace
        && options.release_namespace.is_none()
    {
        calico_global_deny(options, &mut names, &mut g);
    }
    for p in &mut g.policies {
        p.format = options.format;
    }
    g
}

/// Pod labels Cilium leaves out of identities cannot be selected: what the Cilium form does
/// about them, said.
fn cilium_notes(g: &mut Generation) {
    for p in &g.policies {
        let selectors = std::iter::once(&p.spec.pod_selector)
            .chain(
                p.spec
                    .ingress
                    .iter()
                    .flat_map(|r| &r.from)
                    .map(|x| &x.pod_selector),
            )
            .chain(
                p.spec
                    .egress
                    .iter()
                    .flat_map(|r| &r.to)
                    .map(|x| &x.pod_selector),
            );
        for s in selectors {
            let (kept, dropped) = cilium::identity_selector(s);
            if dropped.is_empty() {
                continue;
            }
            let what = if kept == *s {
                "it selects no pod under Cilium, which leaves every one of them out of identities"
            } else {
                "they are left out of its Cilium form, which Cilium leaves out of identities"
            };
            g.notes.push(format!(
                "{} selects pods by {}: {what}",
                p.metadata.name,
                dropped.join(", ")
            ));
        }
    }
}

/// Calico's form: the namespaces given a default deny for both directions share one
/// GlobalNetworkPolicy, as Calico's docs recommend, carrying the DNS allow their allow-dns
/// policies held. Runs after the rules are completed, which read each namespace's deny.
fn calico_global_deny(options: &GenerateOptions, names: &mut Names, g: &mut Generation) {
    let deny_all = |p: &PolicyManifest| {
        p.spec.pod_selector == Selector::default()
            && p.spec.policy_types == ["Ingress", "Egress"]
            && p.spec.ingress.is_empty()
            && p.spec.egress.is_empty()
    };
    let namespaces: BTreeSet<String> = (g.policies.iter())
        .filter(|p| deny_all(p))
        .filter_map(|p| p.metadata.namespace.clone())
        .collect();
    if namespaces.is_empty() {
        return;
    }
    let mut dns_rule = None;
    g.policies.retain(|p| {
        let ns = p.metadata.namespace.as_ref();
        let covered = ns.is_some_and(|n| namespaces.contains(n));
        if covered && p.dns && p.spec.pod_selector == Selector::default() {
            dns_rule = p.spec.egress.first().cloned();
            return false;
        }
        !(covered && deny_all(p))
    });
    let list: Vec<String> = namespaces.into_iter().collect();
    let name = names.free("", "default-deny");
    let mut global = PolicyManifest {
        api_version: "projectcalico.org/v3",
        kind: "GlobalNetworkPolicy",
        metadata: Metadata {
            name,
            namespace: None,
            labels: generated_labels(options),
            annotations: BTreeMap::from([
                (GENERATED_ANNOTATION.to_owned(), "true".to_owned()),
                (
                    REASON_ANNOTATION.to_owned(),
                    format!(
                        "namespaces {} had no default deny for ingress and egress",
                        list.join(", ")
                    ),
                ),
            ]),
        },
        spec: Spec {
            pod_selector: Selector::default(),
            policy_types: vec!["Ingress", "Egress"],
            ingress: vec![],
            egress: dns_rule.into_iter().collect(),
        },
        format: PolicyFormat::Calico,
        dns: false,
        calico_namespaces: list,
    };
    global.dns = !global.spec.egress.is_empty();
    g.policies.insert(0, global);
}

/// Policy names in use per namespace, generated ones included.
struct Names {
    taken: HashSet<(String, String)>,
    /// `<release>-`, or nothing.
    prefix: String,
}

impl Names {
    /// The names of the kind that will be written: NetworkPolicies, or CiliumNetworkPolicies.
    fn new(inventory: &Inventory, format: PolicyFormat, release: Option<&str>) -> Self {
        let taken = match format {
            PolicyFormat::Kubernetes => inventory
                .policies
                .iter()
                .map(|p| (p.namespace.clone(), p.name.clone()))
                .collect(),
            PolicyFormat::Cilium => (inventory.cilium_policies.iter())
                .filter(|p| !p.kind.cluster_scoped())
                .filter_map(|p| Some((p.namespace.clone()?, p.name.clone())))
                .collect(),
            // GlobalNetworkPolicies under the namespace "", which no namespace is called.
            PolicyFormat::Calico => (inventory.calico_policies.iter())
                .filter(|p| !p.kind.staged())
                .filter(|p| p.tier == crate::model::TIER_DEFAULT)
                .map(|p| (p.namespace.clone().unwrap_or_default(), p.name.clone()))
                .collect(),
        };
        let prefix = release.map(|r| format!("{r}-")).unwrap_or_default();
        Names { taken, prefix }
    }

    /// `name`, or `name-generated` (then `-2`, `-3`...) when that namespace already has it.
    fn free(&mut self, namespace: &str, name: &str) -> String {
        let name = &format!("{}{name}", self.prefix);
        let mut candidate = name.to_owned();
        let mut n = 1;
        while self
            .taken
            .contains(&(namespace.to_owned(), candidate.clone()))
        {
            candidate = if n == 1 {
                format!("{name}-generated")
            } else {
                format!("{name}-generated-{n}")
            };
            n += 1;
        }
        self.taken.insert((namespace.to_owned(), candidate.clone()));
        candidate
    }
}

fn types_of(directions: &[Direction]) -> Vec<&'static str> {
    directions.iter().map(|d| d.as_str()).collect()
}

fn directions_words(directions: &[Direction]) -> String {
    directions
        .iter()
        .map(|d| d.lower())
        .collect::<Vec<_>>()
        .join(" and ")
}

fn denies(
    inventory: &Inventory,
    coverage: &Coverage,
    options: &GenerateOptions,
    names: &mut Names,
    g: &mut Generation,
) {
    match options.mode {
        DenyMode::Namespace => {
            for ns in namespaces_to_protect(inventory) {
                let deny = coverage.default_deny(inventory, ns);
                let mut whole = Vec::new();
                let mut one_by_one = Vec::new();
                for d in Direction::BOTH {
                    if deny.has(d) {
                        continue;
                    }
                    // A cluster-scoped tier that already denies this direction to every pod
                    // of the namespace makes a default deny add nothing (issue 14).
                    if let Some(by) = coverage.tier_default_deny(ns, d) {
                        g.notes.push(format!(
                            "no default deny for {} generated in namespace {ns}: {}",
                            d.lower(),
                            tier_words(inventory, &by)
                        ));
                        continue;
                    }
                    match neutraliser(inventory, coverage, ns, d) {
                        Some(n) => one_by_one.push((d, n)),
                        None => whole.push(d),
                    }
                }
                if !whole.is_empty() {
                    let name = match whole.as_slice() {
                        [Direction::Ingress, Direction::Egress] => "default-deny-all",
                        [Direction::Ingress] => "default-deny-ingress",
                        _ => "default-deny-egress",
                    };
                    let name = names.free(ns, name);
                    let reason = format!(
                        "namespace {ns} had no default deny for {}",
                        directions_words(&whole)
                    );
                    let egress = whole.contains(&Direction::Egress);
                    g.policies.push(deny_policy(
                        options,
                        ns,
                        name.clone(),
                        Labels::new(),
                        &whole,
                        reason,
                    ));
                    if egress && options.dns {
                        let dns = names.free(ns, "allow-dns");
                        g.policies
                            .push(dns_policy(options, ns, dns, Labels::new(), &name));
                    }
                }
                for (d, (policy, rule)) in one_by_one {
                    deny_one_by_one(inventory, coverage, options, names, g, ns, d, policy, rule);
                }
            }
        }
        DenyMode::Workloads => {
            for (w, v) in inventory.workloads.iter().zip(&coverage.workloads) {
                let labels = &w.label_sets[0];
                // An empty selector would deny the whole shared namespace, the very thing this
                // mode avoids; such a workload keeps its NPC001 finding.
                if coverage.on_node_network(w) || v.covered() || labels.is_empty() {
                    continue;
                }
                // A direction some policy already isolates gains nothing from a deny.
                let open: Vec<Direction> = Direction::BOTH
                    .into_iter()
                    .filter(|d| !v.direction(*d).isolated)
                    .collect();
                let name = names.free(&w.namespace, &format!("{}-default-deny", w.name));
                let reason = format!(
                    "{} {} was not isolated for {}",
                    w.kind,
                    w.name,
                    directions_words(&open)
                );
                g.policies.push(deny_policy(
                    options,
                    &w.namespace,
                    name.clone(),
                    labels.clone(),
                    &open,
                    reason,
                ));
                if options.dns && open.contains(&Direction::Egress) {
                    let dns = names.free(&w.namespace, &format!("{}-allow-dns", w.name));
                    g.policies.push(dns_policy(
                        options,
                        &w.namespace,
                        dns,
                        labels.clone(),
                        &name,
                    ));
                }
            }
        }
    }
}

/// "already denied by the Baseline tier, BaselineAdminNetworkPolicy default rule 1".
fn tier_words(inventory: &Inventory, by: &crate::semantics::DecidedBy) -> String {
    format!(
        "already denied by {}",
        crate::connectivity::describe::decided_by(inventory, by)
    )
}

/// A policy of the namespace that counts, has `direction` among its types and an allow-all
/// rule (no peers, no ports) for it, and selects at least one workload there (or has an empty
/// podSelector): next to it a namespace default deny is what NPC114 reports.
fn neutraliser<'i>(
    inventory: &'i Inventory,
    coverage: &Coverage,
    namespace: &str,
    direction: Direction,
) -> Option<(&'i NetworkPolicy, usize)> {
    coverage.policies_in(namespace).find_map(|p| {
        if !p.types.has(direction) {
            return None;
        }
        let written = &inventory.policies[p.index];
        let rule = written
            .rules(direction)
            .iter()
            .position(|r| r.peers.is_empty() && r.ports.is_empty())?;
        let selects = p.selector.matches_everything()
            || inventory.workloads.iter().any(|w| {
                w.namespace == namespace && w.label_sets.iter().any(|l| p.selector.matches(l))
            });
        selects.then_some((written, rule))
    })
}

/// The workloads of a namespace whose default deny would be neutralised: each one still open
/// in that direction gets its own deny.
#[allow(clippy::too_many_arguments)]
fn deny_one_by_one(
    inventory: &Inventory,
    coverage: &Coverage,
    options: &GenerateOptions,
    names: &mut Names,
    g: &mut Generation,
    ns: &str,
    d: Direction,
    neutraliser: &NetworkPolicy,
    rule: usize,
) {
    let dir = d.lower();
    let why = format!(
        "NetworkPolicy {ns}/{name} allows all {dir} (spec.{dir}[{rule}]) to the pods it selects, \
         so a default deny for {dir} in namespace {ns} would be neutralised (NPC114)",
        name = neutraliser.name,
    );
    let mut denied = 0;
    for (w, v) in inventory.workloads.iter().zip(&coverage.workloads) {
        if w.namespace != ns || w.host_network || v.direction(d).isolated {
            continue;
        }
        let labels = &w.label_sets[0];
        if labels.is_empty() {
            g.notes.push(format!(
                "{} {ns}/{} stays open for {dir}: {why}, and the workload has no pod label \
                 to deny it by",
                w.kind, w.name
            ));
            continue;
        }
        let name = names.free(ns, &format!("{}-default-deny-{dir}", w.name));
        let reason = format!("{} {} was not isolated for {dir}; {why}", w.kind, w.name);
        g.policies.push(deny_policy(
            options,
            ns,
            name.clone(),
            labels.clone(),
            &[d],
            reason,
        ));
        if d == Direction::Egress && options.dns {
            let dns = names.free(ns, &format!("{}-allow-dns", w.name));
            g.policies
                .push(dns_policy(options, ns, dns, labels.clone(), &name));
        }
        denied += 1;
    }
    let instead = match denied {
        0 => format!("no other workload there was open for {dir}"),
        1 => format!("the one workload open for {dir} got a deny of its own instead"),
        n => format!("the {n} workloads open for {dir} got a deny of their own instead"),
    };
    g.notes.push(format!(
        "no default deny for {dir} generated in namespace {ns}: {why}; {instead}"
    ));
}

/// Namespaces that hold workloads or that the input creates.
fn namespaces_to_protect(inventory: &Inventory) -> BTreeSet<&str> {
    let mut set: BTreeSet<&str> = inventory
        .workloads
        .iter()
        .map(|w| w.namespace.as_str())
        .collect();
    set.extend(inventory.namespaces.iter().map(|n| n.name.as_str()));
    set
}

fn policy(
    options: &GenerateOptions,
    namespace: &str,
    name: String,
    pod_selector: Selector,
    policy_types: Vec<&'static str>,
    reason: String,
) -> PolicyManifest {
    PolicyManifest {
        api_version: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: Metadata {
            name,
            namespace: (options.release_namespace.as_deref() != Some(namespace))
                .then(|| namespace.to_owned()),
            labels: generated_labels(options),
            annotations: BTreeMap::from([
                (GENERATED_ANNOTATION.to_owned(), "true".to_owned()),
                (REASON_ANNOTATION.to_owned(), reason),
            ]),
        },
        spec: Spec {
            pod_selector,
            policy_types,
            ingress: vec![],
            egress: vec![],
        },
        format: PolicyFormat::Kubernetes,
        dns: false,
        calico_namespaces: vec![],
    }
}

fn deny_policy(
    options: &GenerateOptions,
    namespace: &str,
    name: String,
    pod_labels: Labels,
    directions: &[Direction],
    reason: String,
) -> PolicyManifest {
    policy(
        options,
        namespace,
        name,
        Selector::of_labels(&pod_labels),
        types_of(directions),
        reason,
    )
}

fn dns_policy(
    options: &GenerateOptions,
    namespace: &str,
    name: String,
    pod_labels: Labels,
    deny: &str,
) -> PolicyManifest {
    let rule = EgressRule {
        to: vec![Peer {
            namespace_selector: Some(Selector::namespace(&options.dns_namespace)),
            pod_selector: Selector {
                match_labels: options.dns_selector.iter().cloned().collect(),
                match_expressions: vec![],
            },
        }],
        ports: ["UDP", "TCP"]
            .map(|protocol| Port {
                protocol: Some(protocol.to_owned()),
                port: Some(PortNumber::Number(53)),
                end_port: None,
            })
            .to_vec(),
    };
    let mut p = policy(
        options,
        namespace,
        name,
        Selector::of_labels(&pod_labels),
        vec!["Egress"],
        format!("the egress deny {deny} would block name resolution"),
    );
    p.spec.egress = vec![rule];
    p.dns = true;
    p
}

/// The side a rule of the other direction must be completed on.
fn opposite(d: Direction) -> Direction {
    match d {
        Direction::Ingress => Direction::Egress,
        Direction::Egress => Direction::Ingress,
    }
}

/// Per direction, the pod shapes the generated policies isolate that nothing isolated before.
fn newly_isolated(
    inventory: &Inventory,
    coverage: &Coverage,
    options: &GenerateOptions,
    generated: &[PolicyManifest],
) -> [HashSet<Member>; 2] {
    let release = options.release_namespace.as_deref().unwrap_or_default();
    let only_generated = Inventory {
        workloads: inventory.workloads.clone(),
        policies: generated
            .iter()
            .map(|m| m.isolation_model(m.effective_namespace(release)))
            .collect(),
        ..Default::default()
    };
    let after = Coverage::evaluate(&only_generated, |_| true);
    let mut out = [HashSet::new(), HashSet::new()];
    for (wi, w) in inventory.workloads.iter().enumerate() {
        for (li, labels) in w.label_sets.iter().enumerate() {
            let before = coverage.verdict_for_labels(w, labels);
            let now = after.verdict_for_labels(w, labels);
            for (slot, d) in Direction::BOTH.into_iter().enumerate() {
                if !before.direction(d).isolated && now.direction(d).isolated {
                    out[slot].insert(Member {
                        workload: wi,
                        labels: li,
                    });
                }
            }
        }
    }
    out
}

/// The allow rules that keep what existing rules allow through sides the generated denies
/// close (see [`generate`]).
fn complete_rules(
    inventory: &Inventory,
    coverage: &Coverage,
    options: &GenerateOptions,
    names: &mut Names,
    g: &mut Generation,
) {
    let newly = newly_isolated(inventory, coverage, options, &g.policies);
    if newly.iter().all(HashSet::is_empty) {
        return;
    }
    let engine = Engine::new(inventory);
    let mut by_namespace: HashMap<&str, Vec<Member>> = HashMap::new();
    for m in engine.members() {
        let ns = inventory.workloads[m.workload].namespace.as_str();
        by_namespace.entry(ns).or_default().push(m);
    }
    for (slot, closed) in Direction::BOTH.into_iter().enumerate() {
        let newly = &newly[slot];
        if newly.is_empty() {
            continue;
        }
        // Rules of the other direction, on the far end, that let these pods through.
        let far = opposite(closed);
        let mut newly_by_namespace: BTreeMap<&str, Vec<Member>> = BTreeMap::new();
        for &m in newly {
            let ns = inventory.workloads[m.workload].namespace.as_str();
            newly_by_namespace.entry(ns).or_default().push(m);
        }
        for members in newly_by_namespace.values_mut() {
            members.sort();
        }
        let mut groups: Vec<Completion> = Vec::new();
        for (pi, p) in inventory.policies.iter().enumerate() {
            if !coverage.includes(pi) || !PolicyTypes::of(p).has(far) {
                continue;
            }
            let own = CompiledSelector::compile(&p.pod_selector);
            let selects_any = by_namespace.get(p.namespace.as_str()).is_some_and(|ms| {
                ms.iter()
                    .any(|&m| own.matches(&inventory.workloads[m.workload].label_sets[m.labels]))
            });
            if !selects_any {
                continue;
            }
            // Completions of one policy are only ever merged with each other.
            let first_group = groups.len();
            for (ri, rule) in p.rules(far).iter().enumerate() {
                let compiled = &engine.rules(crate::semantics::PolicyId::Network(pi), far)[ri];
                let mut hit: BTreeMap<&str, Vec<Member>> = BTreeMap::new();
                for (&ns, members) in &newly_by_namespace {
                    if !may_reach_namespace(&engine, rule, &p.namespace, ns) {
                        continue;
                    }
                    for &m in members {
                        let pod = Endpoint::Pod(engine.pod(m));
                        if compiled.matches_peer(&p.namespace, &pod) {
                            hit.entry(ns).or_default().push(m);
                        }
                    }
                }
                for (ns, members) in hit {
                    if ns != p.namespace && !nameable(&p.namespace) {
                        g.notes.push(format!(
                            "what spec.{}[{ri}] of NetworkPolicy {}/{} allows pods of namespace \
                             {ns} is not kept: the generated {} deny there cannot name namespace \
                             {} (pass the release namespace with --namespace)",
                            far.lower(),
                            p.namespace,
                            p.name,
                            closed.lower(),
                            p.namespace,
                        ));
                        continue;
                    }
                    let selectors = selectors_for(
                        &engine,
                        rule,
                        &p.namespace,
                        ns,
                        members,
                        &by_namespace[ns],
                        newly,
                        &mut g.notes,
                    );
                    for selector in selectors {
                        match groups[first_group..]
                            .iter_mut()
                            .find(|c| c.namespace == ns && c.selector == selector)
                        {
                            Some(c) => {
                                if !c.rules.contains(&ri) {
                                    c.rules.push(ri)
                                }
                            }
                            None => groups.push(Completion {
                                policy: pi,
                                namespace: ns.to_owned(),
                                selector,
                                rules: vec![ri],
                            }),
                        }
                    }
                }
            }
        }
        let mut per_policy: HashMap<(usize, String), usize> = HashMap::new();
        for c in groups {
            let n = per_policy
                .entry((c.policy, c.namespace.clone()))
                .and_modify(|n| *n += 1)
                .or_insert(1);
            g.policies
                .push(completion_policy(inventory, options, names, closed, &c, *n));
        }
    }
}

/// Whether some peer of `rule` (of a policy in `policy_namespace`) can match pods of
/// `namespace`: a cheap test on the namespace before testing each pod.
fn may_reach_namespace(
    engine: &Engine<'_>,
    rule: &Rule,
    policy_namespace: &str,
    namespace: &str,
) -> bool {
    rule.peers.is_empty()
        || rule
            .peers
            .iter()
            .any(|peer| match &peer.namespace_selector {
                _ if peer.ip_block.is_some() => false,
                Some(s) => CompiledSelector::compile(s).matches(engine.namespace_labels(namespace)),
                None => namespace == policy_namespace,
            })
}

/// Whether a namespace name can be a label value (the release namespace placeholder cannot).
fn nameable(namespace: &str) -> bool {
    !namespace.is_empty()
        && namespace
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// Rules of one policy completed on the other side, for the pods `selector` picks in
/// `namespace`.
struct Completion {
    policy: usize,
    namespace: String,
    selector: Selector,
    rules: Vec<usize>,
}

fn completion_policy(
    inventory: &Inventory,
    options: &GenerateOptions,
    names: &mut Names,
    closed: Direction,
    c: &Completion,
    nth: usize,
) -> PolicyManifest {
    let p = &inventory.policies[c.policy];
    let far = opposite(closed);
    let mut base = if p.namespace == c.namespace {
        format!("{}-{}", p.name, closed.lower())
    } else {
        format!("{}-{}-{}", p.namespace, p.name, closed.lower())
    };
    if nth > 1 {
        base = format!("{base}-{nth}");
    }
    let name = names.free(&c.namespace, &base);
    let indexes: Vec<String> = c.rules.iter().map(|r| r.to_string()).collect();
    let reason = format!(
        "keeps the connections spec.{}[{}] of NetworkPolicy {}/{} allows these pods, which the \
         generated {} deny would otherwise block",
        far.lower(),
        indexes.join(", "),
        p.namespace,
        p.name,
        closed.lower()
    );
    // In the same namespace a podSelector alone says it, and needs no name for the namespace
    // (which a post-renderer may not know).
    let peer = || Peer {
        namespace_selector: (p.namespace != c.namespace).then(|| Selector::namespace(&p.namespace)),
        pod_selector: Selector::of_model(&p.pod_selector),
    };
    let ports = |r: &Rule| r.ports.iter().map(Port::of_model).collect::<Vec<_>>();
    let mut out = policy(
        options,
        &c.namespace,
        name,
        c.selector.clone(),
        vec![closed.as_str()],
        reason,
    );
    for &ri in &c.rules {
        let rule = &p.rules(far)[ri];
        match closed {
            Direction::Egress => out.spec.egress.push(EgressRule {
                to: vec![peer()],
                ports: ports(rule),
            }),
            Direction::Ingress => out.spec.ingress.push(IngressRule {
                from: vec![peer()],
                ports: ports(rule),
            }),
        }
    }
    out
}

/// Pod selectors, in `namespace`, that pick all of `members` (pods a rule of a policy in
/// `policy_namespace` lets through) and no pod the generated denies leave alone: selecting
/// one of those would isolate it (open before) or widen it (isolated before). The rule's own
/// peer selectors when they are that precise; otherwise each pod shape's labels, with
/// `DoesNotExist` for a label that sets apart a pod shape that must not be picked.
#[allow(clippy::too_many_arguments)]
fn selectors_for(
    engine: &Engine<'_>,
    rule: &Rule,
    policy_namespace: &str,
    namespace: &str,
    mut members: Vec<Member>,
    in_namespace: &[Member],
    newly: &HashSet<Member>,
    notes: &mut Vec<String>,
) -> Vec<Selector> {
    let inventory = engine.inventory;
    let labels = |m: Member| &inventory.workloads[m.workload].label_sets[m.labels];
    // Host-network pods are never isolated, so selecting them changes nothing.
    let untouchable: Vec<Member> = in_namespace
        .iter()
        .copied()
        .filter(|m| !newly.contains(m) && !inventory.workloads[m.workload].host_network)
        .collect();
    let namespace_labels = engine.namespace_labels(namespace);
    let candidates: Vec<LabelSelector> = if rule.peers.is_empty() {
        vec![LabelSelector::default()]
    } else {
        rule.peers
            .iter()
            .filter(|peer| peer.ip_block.is_none())
            .filter(|peer| match &peer.namespace_selector {
                Some(s) => CompiledSelector::compile(s).matches(namespace_labels),
                None => namespace == policy_namespace,
            })
            .map(|peer| peer.pod_selector.clone().unwrap_or_default())
            .collect()
    };
    let mut out = Vec::new();
    for candidate in candidates {
        let compiled = CompiledSelector::compile(&candidate);
        if !members.iter().any(|&m| compiled.matches(labels(m))) {
            continue;
        }
        if untouchable.iter().any(|&m| compiled.matches(labels(m))) {
            continue;
        }
        members.retain(|&m| !compiled.matches(labels(m)));
        out.push(Selector::of_model(&candidate));
    }
    for m in members {
        let own = labels(m);
        let mut selector = Selector::of_labels(own);
        let mut excluded: BTreeSet<&str> = BTreeSet::new();
        let mut exact = true;
        for &u in &untouchable {
            let theirs = labels(u);
            if !own.iter().all(|(k, v)| theirs.get(k) == Some(v)) {
                continue;
            }
            // Same namespace, same labels and neither on the host network would mean the same
            // isolation: a pod shape the denies left alone always carries an extra label.
            match theirs.keys().find(|k| !own.contains_key(k)) {
                Some(k) => {
                    excluded.insert(k.as_str());
                }
                None => exact = false,
            }
        }
        if !exact {
            let w = &inventory.workloads[m.workload];
            notes.push(format!(
                "{} {}/{}: no selector picks it without other pods, so what existing \
                 policies allow it may be blocked by the generated denies",
                w.kind, w.namespace, w.name
            ));
            continue;
        }
        selector
            .match_expressions
            .extend(excluded.into_iter().map(|k| Expression {
                key: k.to_owned(),
                operator: "DoesNotExist".to_owned(),
                values: vec![],
            }));
        if !out.contains(&selector) {
            out.push(selector);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::workload;

    fn deny(ns: &str, name: &str, types: &[&str]) -> NetworkPolicy {
        crate::model::fixtures::policy(ns, name, &[], Some(types), 0, 0)
    }

    fn run(inv: &Inventory, options: &GenerateOptions) -> Vec<PolicyManifest> {
        let coverage = Coverage::evaluate(inv, |_| true);
        default_denies(inv, &coverage, options)
    }

    fn names(ps: &[PolicyManifest]) -> Vec<(String, Option<String>)> {
        ps.iter()
            .map(|p| (p.metadata.name.clone(), p.metadata.namespace.clone()))
            .collect()
    }

    #[test]
    fn namespace_mode_adds_deny_all_and_dns_where_nothing_denies() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[("app", "web")])],
            ..Default::default()
        };
        let got = run(&inv, &GenerateOptions::default());
        assert_eq!(
            names(&got),
            [
                ("default-deny-all".to_string(), Some("shop".to_string())),
                ("allow-dns".to_string(), Some("shop".to_string()))
            ]
        );
        assert_eq!(got[0].spec.policy_types, ["Ingress", "Egress"]);
        assert!(got[0].spec.pod_selector.match_labels.is_empty());
    }

    #[test]
    fn namespace_mode_completes_an_existing_ingress_deny() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            policies: vec![deny("shop", "deny-in", &["Ingress"])],
            ..Default::default()
        };
        let got = run(&inv, &GenerateOptions::default());
        assert_eq!(got[0].metadata.name, "default-deny-egress");
        assert_eq!(got[0].spec.policy_types, ["Egress"]);
        assert_eq!(got[1].metadata.name, "allow-dns");
    }

    #[test]
    fn no_dns_policy_without_an_egress_deny_or_with_no_dns() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            policies: vec![deny("shop", "deny-out", &["Egress"])],
            ..Default::default()
        };
        assert_eq!(
            names(&run(&inv, &GenerateOptions::default())),
            [("default-deny-ingress".to_string(), Some("shop".to_string()))]
        );
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            ..Default::default()
        };
        let options = GenerateOptions {
            dns: false,
            ..Default::default()
        };
        assert_eq!(run(&inv, &options).len(), 1);
    }

    #[test]
    fn fully_denied_namespaces_get_nothing() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            policies: vec![deny("shop", "deny", &["Ingress", "Egress"])],
            ..Default::default()
        };
        assert!(run(&inv, &GenerateOptions::default()).is_empty());
    }

    #[test]
    fn release_namespace_policies_carry_no_namespace() {
        let inv = Inventory {
            workloads: vec![
                workload("<release>", "web", &[]),
                workload("other", "x", &[]),
            ],
            ..Default::default()
        };
        let options = GenerateOptions {
            release_namespace: Some("<release>".into()),
            dns: false,
            ..Default::default()
        };
        assert_eq!(
            names(&run(&inv, &options)),
            [
                ("default-deny-all".to_string(), None),
                ("default-deny-all".to_string(), Some("other".to_string()))
            ]
        );
    }

    #[test]
    fn workloads_mode_selects_exactly_the_pod_labels() {
        let mut hostnet = workload("shared", "agent", &[("app", "agent")]);
        hostnet.host_network = true;
        let inv = Inventory {
            workloads: vec![
                workload("shared", "web", &[("app", "web"), ("tier", "fe")]),
                workload("shared", "nolabels", &[]),
                hostnet,
            ],
            ..Default::default()
        };
        let options = GenerateOptions {
            mode: DenyMode::Workloads,
            ..Default::default()
        };
        let got = run(&inv, &options);
        assert_eq!(
            got.iter()
                .map(|p| p.metadata.name.as_str())
                .collect::<Vec<_>>(),
            ["web-default-deny", "web-allow-dns"]
        );
        let labels: Vec<(&str, &str)> = got[0]
            .spec
            .pod_selector
            .match_labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(labels, [("app", "web"), ("tier", "fe")]);
        assert_eq!(
            got[1].spec.pod_selector, got[0].spec.pod_selector,
            "DNS only for that workload"
        );
    }

    #[test]
    fn dns_peer_is_one_item_with_both_selectors_on_udp_and_tcp_53() {
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            ..Default::default()
        };
        let yaml = run(&inv, &GenerateOptions::default())[1].to_yaml();
        assert_eq!(
            yaml,
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-dns\n  \
             namespace: shop\n  labels:\n    netpol-check.io/generated: 'true'\n  annotations:\n    \
             netpol-check.io/generated: 'true'\n    \
             netpol-check.io/reason: the egress deny default-deny-all would block name resolution\nspec:\n  \
             podSelector: {}\n  policyTypes:\n  - Egress\n  egress:\n  - to:\n    - namespaceSelector:\n        \
             matchLabels:\n          kubernetes.io/metadata.name: kube-system\n      podSelector:\n        \
             matchLabels:\n          k8s-app: kube-dns\n    ports:\n    - protocol: UDP\n      port: 53\n    \
             - protocol: TCP\n      port: 53\n"
        );
    }

    fn pods(labels: &[(&str, &str)]) -> LabelSelector {
        LabelSelector {
            match_labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            match_expressions: vec![],
        }
    }

    fn port(n: i64) -> PolicyPort {
        PolicyPort {
            protocol: None,
            port: Some(PortValue::Number(n)),
            end_port: None,
        }
    }

    /// `name` in `ns` selecting `selector`, with one rule for `direction` towards or from
    /// `peer` on `ports`.
    fn allow(
        ns: &str,
        name: &str,
        selector: &[(&str, &str)],
        direction: Direction,
        peer: crate::model::Peer,
        ports: Vec<PolicyPort>,
    ) -> NetworkPolicy {
        let mut p =
            crate::model::fixtures::policy(ns, name, selector, Some(&[direction.as_str()]), 0, 0);
        let rule = Rule {
            peers: vec![peer],
            ports,
        };
        match direction {
            Direction::Ingress => p.ingress.push(rule),
            Direction::Egress => p.egress.push(rule),
        }
        p
    }

    fn by_name<'a>(got: &'a [PolicyManifest], name: &str) -> &'a PolicyManifest {
        got.iter()
            .find(|p| p.metadata.name == name)
            .unwrap_or_else(|| panic!("no {name} in {:#?}", names(got)))
    }

    /// shop/api-in: pods app=api accept pods app=web on 9090.
    fn api_accepts_web_on_9090() -> NetworkPolicy {
        allow(
            "shop",
            "api-in",
            &[("app", "api")],
            Direction::Ingress,
            crate::model::Peer {
                pod_selector: Some(pods(&[("app", "web")])),
                ..Default::default()
            },
            vec![port(9090)],
        )
    }

    #[test]
    fn an_ingress_rule_is_completed_on_the_side_the_egress_deny_closes() {
        let inv = Inventory {
            workloads: vec![
                workload("shop", "web", &[("app", "web")]),
                workload("shop", "api", &[("app", "api")]),
            ],
            policies: vec![
                deny("shop", "deny-in", &["Ingress"]),
                api_accepts_web_on_9090(),
            ],
            ..Default::default()
        };
        let got = run(&inv, &GenerateOptions::default());
        let c = by_name(&got, "api-in-egress");
        assert_eq!(c.spec.policy_types, ["Egress"]);
        assert_eq!(
            c.spec.pod_selector,
            Selector::of_model(&pods(&[("app", "web")]))
        );
        assert_eq!(
            c.spec.egress,
            [EgressRule {
                to: vec![Peer {
                    namespace_selector: None,
                    pod_selector: Selector::of_model(&pods(&[("app", "api")])),
                }],
                ports: vec![Port::of_model(&port(9090))],
            }]
        );
        assert!(c
            .reason()
            .unwrap()
            .contains("spec.ingress[0] of NetworkPolicy shop/api-in"));
    }

    #[test]
    fn an_egress_rule_into_another_namespace_is_completed_there_naming_the_source_namespace() {
        let inv = Inventory {
            workloads: vec![
                workload("a", "app", &[("app", "x")]),
                workload("b", "db", &[("app", "db")]),
            ],
            policies: vec![
                deny("a", "deny", &["Ingress", "Egress"]),
                allow(
                    "a",
                    "to-db",
                    &[("app", "x")],
                    Direction::Egress,
                    crate::model::Peer {
                        namespace_selector: Some(pods(&[(NAMESPACE_NAME_LABEL, "b")])),
                        pod_selector: Some(pods(&[("app", "db")])),
                        ..Default::default()
                    },
                    vec![port(5432)],
                ),
            ],
            ..Default::default()
        };
        let got = run(&inv, &GenerateOptions::default());
        let c = by_name(&got, "a-to-db-ingress");
        assert_eq!(c.metadata.namespace.as_deref(), Some("b"));
        assert_eq!(
            c.spec.pod_selector,
            Selector::of_model(&pods(&[("app", "db")]))
        );
        assert_eq!(
            c.spec.ingress,
            [IngressRule {
                from: vec![Peer {
                    namespace_selector: Some(Selector::namespace("a")),
                    pod_selector: Selector::of_model(&pods(&[("app", "x")])),
                }],
                ports: vec![Port::of_model(&port(5432))],
            }]
        );
    }

    #[test]
    fn a_selector_that_would_also_pick_pods_the_denies_leave_alone_is_narrowed() {
        // web-canary is already egress-isolated (to nowhere): the completion must not widen it,
        // so `app=web` alone is not usable.
        let inv = Inventory {
            workloads: vec![
                workload("shop", "web", &[("app", "web")]),
                workload("shop", "web-canary", &[("app", "web"), ("track", "canary")]),
                workload("shop", "api", &[("app", "api")]),
            ],
            policies: vec![
                deny("shop", "deny-in", &["Ingress"]),
                crate::model::fixtures::policy(
                    "shop",
                    "canary-out",
                    &[("track", "canary")],
                    Some(&["Egress"]),
                    0,
                    0,
                ),
                api_accepts_web_on_9090(),
            ],
            ..Default::default()
        };
        let got = run(&inv, &GenerateOptions::default());
        let c = by_name(&got, "api-in-egress");
        assert_eq!(
            c.spec.pod_selector,
            Selector {
                match_labels: BTreeMap::from([("app".to_owned(), "web".to_owned())]),
                match_expressions: vec![Expression {
                    key: "track".into(),
                    operator: "DoesNotExist".into(),
                    values: vec![],
                }],
            }
        );
    }

    #[test]
    fn no_namespace_deny_next_to_an_allow_all_rule_each_open_workload_gets_its_own() {
        let mut allow_all = crate::model::fixtures::policy(
            "mon",
            "prom",
            &[("app", "prom")],
            Some(&["Egress"]),
            0,
            1,
        );
        allow_all.egress = vec![Rule::default()];
        let inv = Inventory {
            workloads: vec![
                workload("mon", "prom", &[("app", "prom")]),
                workload("mon", "web", &[("app", "web")]),
                workload("mon", "bare", &[]),
            ],
            policies: vec![allow_all],
            ..Default::default()
        };
        let coverage = Coverage::evaluate(&inv, |_| true);
        let g = generate(&inv, &coverage, &GenerateOptions::default());
        let got: Vec<&str> = g
            .policies
            .iter()
            .map(|p| p.metadata.name.as_str())
            .collect();
        assert!(got.contains(&"default-deny-ingress"), "{got:?}");
        assert!(got.contains(&"web-default-deny-egress"), "{got:?}");
        assert!(
            !got.iter().any(|n| *n == "default-deny-all"
                || *n == "default-deny-egress"
                || n.starts_with("prom-default-deny")),
            "{got:?}"
        );
        assert!(g.notes.iter().any(|n| n.starts_with("no default deny for egress generated in namespace mon: NetworkPolicy mon/prom allows all egress (spec.egress[0])")), "{:?}", g.notes);
        assert!(
            g.notes
                .iter()
                .any(|n| n.starts_with("Deployment mon/bare stays open for egress")),
            "{:?}",
            g.notes
        );
    }

    #[test]
    fn a_namespace_that_cannot_be_named_is_not_guessed() {
        // The source policy is in the release namespace, which a post-renderer may only know as
        // a placeholder; its pods' egress into `b` cannot be allowed by name from `b`.
        let inv = Inventory {
            workloads: vec![
                workload("<release>", "app", &[("app", "x")]),
                workload("b", "db", &[("app", "db")]),
            ],
            policies: vec![allow(
                "<release>",
                "to-db",
                &[("app", "x")],
                Direction::Egress,
                crate::model::Peer {
                    namespace_selector: Some(pods(&[(NAMESPACE_NAME_LABEL, "b")])),
                    ..Default::default()
                },
                vec![],
            )],
            ..Default::default()
        };
        let options = GenerateOptions {
            release_namespace: Some("<release>".into()),
            ..Default::default()
        };
        let coverage = Coverage::evaluate(&inv, |_| true);
        let g = generate(&inv, &coverage, &options);
        assert!(
            g.policies.iter().all(|p| !p
                .to_yaml()
                .contains("kubernetes.io/metadata.name: <release>")),
            "{:#?}",
            g.policies
        );
        assert!(
            g.notes
                .iter()
                .any(|n| n.contains("cannot name namespace <release>")),
            "{:?}",
            g.notes
        );
    }

    #[test]
    fn workloads_mode_denies_only_the_open_direction() {
        // web's egress is isolated (by an allow-all, NPC102's business): an egress deny next to
        // it would change nothing, and no DNS policy is needed.
        let mut out = crate::model::fixtures::policy(
            "shared",
            "web-out",
            &[("app", "web")],
            Some(&["Egress"]),
            0,
            1,
        );
        out.egress = vec![Rule::default()];
        let inv = Inventory {
            workloads: vec![workload("shared", "web", &[("app", "web")])],
            policies: vec![out],
            ..Default::default()
        };
        let options = GenerateOptions {
            mode: DenyMode::Workloads,
            ..Default::default()
        };
        let got = run(&inv, &options);
        assert_eq!(got[0].metadata.name, "web-default-deny");
        assert_eq!(got[0].spec.policy_types, ["Ingress"]);
        assert!(
            !got.iter().any(|p| p.metadata.name.contains("dns")),
            "{:?}",
            names(&got)
        );
        // web's allow-all egress reached the other web pods: their ingress keeps it.
        assert_eq!(got[1].metadata.name, "web-out-ingress");
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn names_already_taken_get_a_suffix() {
        let mut taken = deny("shop", "default-deny-all", &["Ingress"]);
        taken
            .pod_selector
            .match_labels
            .push(("app".into(), "x".into()));
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            policies: vec![taken],
            ..Default::default()
        };
        let got = run(&inv, &GenerateOptions::default());
        assert_eq!(got[0].metadata.name, "default-deny-all-generated");
    }

    #[test]
    fn names_taken_by_the_input_or_an_earlier_generated_policy_are_not_reused() {
        let mut taken = deny("shop", "default-deny-all", &["Ingress"]);
        taken
            .pod_selector
            .match_labels
            .push(("app".into(), "x".into()));
        let mut also = taken.clone();
        also.name = "default-deny-all-generated".into();
        let inv = Inventory {
            workloads: vec![workload("shop", "web", &[])],
            policies: vec![taken, also],
            ..Default::default()
        };
        let got = run(&inv, &GenerateOptions::default());
        assert_eq!(got[0].metadata.name, "default-deny-all-generated-2");
    }

    #[test]
    fn two_workloads_of_one_name_get_policies_of_distinct_names() {
        // A Deployment and a StatefulSet `web` in one namespace: the fuzzer's first finding.
        let inv = Inventory {
            workloads: vec![
                workload("shop", "web", &[("app", "web")]),
                workload("shop", "web", &[("app", "web-db")]),
            ],
            ..Default::default()
        };
        let options = GenerateOptions {
            mode: DenyMode::Workloads,
            ..Default::default()
        };
        let names: Vec<String> = run(&inv, &options)
            .into_iter()
            .map(|p| p.metadata.name)
            .collect();
        assert_eq!(
            names,
            [
                "web-default-deny",
                "web-allow-dns",
                "web-default-deny-generated",
                "web-allow-dns-generated"
            ]
        );
    }
}
