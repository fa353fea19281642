//! Deterministic synthetic clusters, for benchmarks and large-input tests.
//!
//! [`generate`] writes a multi-document YAML stream laid out like a repository of manifests:
//! per namespace, its Namespace object, then its workloads, then its NetworkPolicies. Namespaces
//! differ in size (a few big, many small) and every shape the tool reads appears: all workload
//! kinds, owner chains to fold, hostNetwork pods, named ports, every selector operator, every
//! way of writing `policyTypes`, and every kind of peer.
//!
//! The same configuration always yields the same bytes, on every platform: the PRNG is
//! hand-written, generation involves no floating point or hash-map order, and the draws happen
//! in a fixed order.
//!
//! [`SynthConfig::full`] is the cluster of the performance target: 2,000 namespaces, 100,000
//! workloads and 20,000 policies in 122,000 documents and 33.5 MB (32.0 MiB). The mix is
//! tuned to that size: pods are the most numerous objects, and most documents use the compact
//! flow style of hand-written manifests (`labels: {app: web}`), the rest `kubectl`'s block
//! style. See docs/benchmarks.md.

use std::fmt::{self, Write as _};
use std::io;

use serde::Deserialize;

/// Size and seed of a synthetic cluster. Each namespace, workload and policy is one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthConfig {
    pub namespaces: usize,
    pub workloads: usize,
    pub policies: usize,
    /// Cluster-scoped policies (AdminNetworkPolicy, ClusterNetworkPolicy, one
    /// BaselineAdminNetworkPolicy), written after everything else; 0 in [`full`](Self::full),
    /// so that the benchmark cluster's bytes do not change.
    pub cluster_policies: usize,
    /// Writes the namespaced policies as CiliumNetworkPolicies (cilium.io/v2) of the same mix
    /// instead of NetworkPolicies: the benchmark of a Cilium-only cluster (issue 15).
    pub cilium: bool,
    /// Writes them as Calico NetworkPolicies (projectcalico.org/v3) instead: the benchmark of a
    /// Calico cluster (issue 16).
    pub calico: bool,
    pub seed: u64,
}

impl SynthConfig {
    /// The size the performance target is stated for: about 32 MB and 122,000 documents.
    pub fn full() -> Self {
        SynthConfig {
            namespaces: 2_000,
            workloads: 100_000,
            policies: 20_000,
            cluster_policies: 0,
            cilium: false,
            calico: false,
            seed: 1,
        }
    }

    /// [`full`](Self::full) times `fraction` (0.1 for a tenth), with at least one namespace.
    pub fn scaled(fraction: f64) -> Self {
        let full = Self::full();
        let scale = |n: usize| (n as f64 * fraction.max(0.0)).round() as usize;
        SynthConfig {
            namespaces: scale(full.namespaces).max(1),
            workloads: scale(full.workloads),
            policies: scale(full.policies),
            cluster_policies: 0,
            cilium: false,
            calico: false,
            seed: full.seed,
        }
    }

    /// Number of documents [`generate`] writes.
    pub fn documents(&self) -> usize {
        self.namespaces + self.workloads + self.policies + self.cluster_policies
    }
}

impl Default for SynthConfig {
    fn default() -> Self {
        Self::full()
    }
}

/// Writes the cluster as a `---` separated YAML stream.
pub fn generate(cfg: &SynthConfig, out: &mut dyn io::Write) -> io::Result<()> {
    let mut rng = Rng(cfg.seed);
    // Without namespaces, objects still need one to live in: it is used but not declared, as
    // happens when a manifest set leaves the Namespace object to someone else.
    let namespaces = cfg.namespaces.max(1);
    let nss: Vec<Ns> = (0..namespaces).map(|i| Ns::new(i, &mut rng)).collect();
    // Integer weights: a few namespaces hold far more than the average, as in real clusters,
    // and policy counts follow workload counts.
    let weights: Vec<u64> = nss.iter().map(|_| 1u64 << rng.below(7)).collect();
    let workloads = spread(cfg.workloads, &weights, &mut rng);
    let policies = spread(cfg.policies, &weights, &mut rng);

    let mut g = Gen {
        rng,
        doc: Doc::default(),
        flow: false,
    };
    for (i, ns) in nss.iter().enumerate() {
        if cfg.namespaces > 0 {
            g.namespace(ns);
            out.write_all(g.doc.bytes())?;
        }
        let mut left = workloads[i];
        let mut serial = 0;
        while left > 0 {
            left -= g.workloads(ns, &mut serial, left);
            out.write_all(g.doc.bytes())?;
        }
        for k in 0..policies[i] {
            if cfg.calico {
                g.calico_policy(ns, k);
            } else if cfg.cilium {
                g.cilium_policy(ns, k);
            } else {
                g.policy(ns, k);
            }
            out.write_all(g.doc.bytes())?;
        }
    }
    // A generator of their own, so that the rest of the stream is the same with or without.
    let mut g = Gen {
        rng: Rng(cfg.seed ^ 0x5EED_C1A5),
        doc: Doc::default(),
        flow: false,
    };
    for k in 0..cfg.cluster_policies {
        g.cluster_policy(&nss, k, cfg.cluster_policies);
        out.write_all(g.doc.bytes())?;
    }
    Ok(())
}

/// The baseline of the performance target: serde_norway over every document of `text` into
/// `IgnoredAny`, on the calling thread. The parser produces every event and nothing is built
/// from them. Returns the number of documents.
pub fn yaml_event_pass(text: &str) -> Result<usize, serde_norway::Error> {
    let mut documents = 0;
    for doc in serde_norway::Deserializer::from_str(text) {
        // After an error the iterator yields that error again forever.
        serde::de::IgnoredAny::deserialize(doc)?;
        documents += 1;
    }
    Ok(documents)
}

/// Distributes `total` items over slots in proportion to `weights`, exactly.
fn spread(total: usize, weights: &[u64], rng: &mut Rng) -> Vec<usize> {
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut sum = 0u64;
    for w in weights {
        sum += w;
        cumulative.push(sum);
    }
    let mut counts = vec![0usize; weights.len()];
    for _ in 0..total {
        let x = rng.below(sum as usize) as u64;
        counts[cumulative.partition_point(|&c| c <= x)] += 1;
    }
    counts
}

/// splitmix64: tiny, fast, and statistically good enough to vary manifests.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is far below what matters here).
    fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// `len` characters of the alphabet Kubernetes uses for generated name suffixes.
    fn suffix(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len())] as char)
            .collect()
    }
}

struct App {
    name: &'static str,
    tier: &'static str,
    /// `(name, port, protocol)`; a protocol of `None` is written as nothing (TCP).
    ports: &'static [(&'static str, u16, Option<&'static str>)],
}

const APPS: &[App] = &[
    App {
        name: "web",
        tier: "frontend",
        ports: &[("http", 8080, None), ("metrics", 9090, None)],
    },
    App {
        name: "frontend",
        tier: "frontend",
        ports: &[("http", 3000, None)],
    },
    App {
        name: "gateway",
        tier: "frontend",
        ports: &[("http", 8080, None), ("https", 8443, Some("TCP"))],
    },
    App {
        name: "api",
        tier: "backend",
        ports: &[("http", 8080, None), ("grpc", 9000, None)],
    },
    App {
        name: "auth",
        tier: "backend",
        ports: &[("grpc", 9000, None)],
    },
    App {
        name: "payments",
        tier: "backend",
        ports: &[("http", 8080, None), ("metrics", 9090, None)],
    },
    App {
        name: "search",
        tier: "backend",
        ports: &[("http", 9200, None), ("transport", 9300, None)],
    },
    App {
        name: "postgres",
        tier: "data",
        ports: &[("postgres", 5432, Some("TCP"))],
    },
    App {
        name: "redis",
        tier: "data",
        ports: &[("redis", 6379, None)],
    },
    App {
        name: "kafka",
        tier: "data",
        ports: &[("broker", 9092, None), ("controller", 9093, None)],
    },
    App {
        name: "worker",
        tier: "batch",
        ports: &[],
    },
    App {
        name: "etl",
        tier: "batch",
        ports: &[("metrics", 9090, None)],
    },
    App {
        name: "statsd",
        tier: "monitoring",
        ports: &[("statsd", 8125, Some("UDP")), ("admin", 8126, None)],
    },
];

const TEAMS: &[&str] = &[
    "payments", "search", "platform", "data", "ml", "identity", "checkout", "growth", "infra",
    "mobile",
];
const STAGES: &[&str] = &["prod", "staging", "dev", "sandbox", "ci"];
const ENVS: &[&str] = &["prod", "staging", "dev"];
const VERSIONS: &[&str] = &["v1", "v2", "v3", "canary"];
const TIERS: &[&str] = &["frontend", "backend", "data", "batch", "monitoring"];

struct Ns {
    name: String,
    team: &'static str,
    /// `None` for the stages that are no environment (sandbox, ci).
    env: Option<&'static str>,
    team_label: bool,
    env_label: bool,
    /// Indexes into [`APPS`] of the applications this namespace runs.
    apps: Vec<usize>,
}

impl Ns {
    fn new(i: usize, rng: &mut Rng) -> Self {
        let team = rng.pick(TEAMS);
        let stage = rng.pick(STAGES);
        let mut apps: Vec<usize> = (0..2 + rng.below(4))
            .map(|_| rng.below(APPS.len()))
            .collect();
        apps.sort_unstable();
        apps.dedup();
        let env = ENVS.contains(&stage).then_some(stage);
        Ns {
            name: format!("{team}-{i}"),
            team,
            env,
            team_label: rng.percent(70),
            env_label: env.is_some() && rng.percent(60),
            apps,
        }
    }

    fn app(&self, rng: &mut Rng) -> &'static App {
        &APPS[rng.pick(&self.apps)]
    }
}

/// One document being written. Writing to a `String` cannot fail, so each line ignores the
/// `fmt::Result`.
#[derive(Default)]
struct Doc {
    buf: String,
}

impl Doc {
    fn line(&mut self, indent: usize, args: fmt::Arguments<'_>) {
        self.buf.extend(std::iter::repeat_n(' ', indent));
        let _ = self.buf.write_fmt(args);
        self.buf.push('\n');
    }

    fn bytes(&self) -> &[u8] {
        self.buf.as_bytes()
    }
}

macro_rules! line {
    ($doc:expr, $indent:expr, $($arg:tt)*) => {
        $doc.line($indent, format_args!($($arg)*))
    };
}

/// Labels of a pod template or pod.
struct PodLabels {
    app: &'static str,
    tier: Option<&'static str>,
    env: Option<&'static str>,
    version: Option<&'static str>,
    template_hash: Option<String>,
}

impl PodLabels {
    fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            Some(("app", self.app)),
            self.tier.map(|t| ("tier", t)),
            self.env.map(|e| ("env", e)),
            self.version.map(|v| ("version", v)),
            self.template_hash
                .as_deref()
                .map(|h| ("pod-template-hash", h)),
        ]
        .into_iter()
        .flatten()
    }
}

/// A label selector chosen before it is written, so that one choice can be written in either
/// style.
#[derive(Default)]
struct Sel {
    labels: Vec<(&'static str, String)>,
    exprs: Vec<Expr>,
}

struct Expr {
    key: &'static str,
    operator: &'static str,
    values: Vec<&'static str>,
}

/// A label selector written in Calico's selector language.
fn calico_selector(sel: &Sel) -> String {
    let quoted = |values: &[&str]| {
        values
            .iter()
            .map(|v| format!("'{v}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut terms: Vec<String> = sel
        .labels
        .iter()
        .map(|(k, v)| format!("{k} == '{v}'"))
        .collect();
    terms.extend(sel.exprs.iter().map(|e| match e.operator {
        "In" => format!("{} in {{{}}}", e.key, quoted(&e.values)),
        "NotIn" => format!("{} not in {{{}}}", e.key, quoted(&e.values)),
        "Exists" => format!("has({})", e.key),
        _ => format!("!has({})", e.key),
    }));
    if terms.is_empty() {
        "all()".to_owned()
    } else {
        terms.join(" && ")
    }
}

impl Sel {
    fn label(key: &'static str, value: impl Into<String>) -> Self {
        Sel {
            labels: vec![(key, value.into())],
            exprs: Vec::new(),
        }
    }

    fn expr(mut self, key: &'static str, operator: &'static str, values: &[&'static str]) -> Self {
        self.exprs.push(Expr {
            key,
            operator,
            values: values.to_vec(),
        });
        self
    }

    fn flow(&self) -> String {
        let mut parts = Vec::new();
        if !self.labels.is_empty() {
            let labels: Vec<String> = self
                .labels
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            parts.push(format!("matchLabels: {{{}}}", labels.join(", ")));
        }
        if !self.exprs.is_empty() {
            let exprs: Vec<String> = self
                .exprs
                .iter()
                .map(|e| match e.values.as_slice() {
                    [] => format!("{{key: {}, operator: {}}}", e.key, e.operator),
                    values => format!(
                        "{{key: {}, operator: {}, values: [{}]}}",
                        e.key,
                        e.operator,
                        values.join(", ")
                    ),
                })
                .collect();
            parts.push(format!("matchExpressions: [{}]", exprs.join(", ")));
        }
        format!("{{{}}}", parts.join(", "))
    }
}

/// A port of a NetworkPolicy rule.
struct RulePort {
    protocol: Option<&'static str>,
    /// A number or a container port's name.
    port: Option<String>,
    end_port: Option<u16>,
}

impl RulePort {
    fn fields(&self) -> Vec<String> {
        let mut fields = Vec::new();
        if let Some(p) = self.protocol {
            fields.push(format!("protocol: {p}"));
        }
        if let Some(p) = &self.port {
            fields.push(format!("port: {p}"));
        }
        if let Some(e) = self.end_port {
            fields.push(format!("endPort: {e}"));
        }
        fields
    }
}

struct Gen {
    rng: Rng,
    doc: Doc,
    /// Whether the current document uses flow style for small maps and lists, as
    /// hand-written manifests often do, rather than the block style `kubectl` prints.
    flow: bool,
}

impl Gen {
    fn start(&mut self) {
        self.doc.buf.clear();
        self.doc.buf.push_str("---\n");
        self.flow = self.rng.percent(80);
        // What `helm template` writes in front of each document.
        if self.rng.percent(2) {
            let file = self
                .rng
                .pick(&["deployment", "networkpolicy", "workloads", "rbac"]);
            line!(self.doc, 0, "# Source: chart/templates/{file}.yaml");
        }
    }

    fn namespace(&mut self, ns: &Ns) {
        self.start();
        let d = &mut self.doc;
        line!(d, 0, "apiVersion: v1");
        line!(d, 0, "kind: Namespace");
        line!(d, 0, "metadata:");
        line!(d, 2, "name: {}", ns.name);
        line!(d, 2, "labels:");
        line!(d, 4, "kubernetes.io/metadata.name: {}", ns.name);
        if ns.team_label {
            line!(d, 4, "team: {}", ns.team);
        }
        if let (true, Some(env)) = (ns.env_label, ns.env) {
            line!(d, 4, "env: {env}");
        }
        if self.rng.percent(1) {
            line!(d, 2, "annotations:");
            line!(
                d,
                4,
                "netpol-check.io/ignore: namespace-without-default-deny"
            );
            let ticket = 100 + self.rng.below(900);
            line!(
                d,
                4,
                "netpol-check.io/ignore-reason: \"legacy, see INFRA-{ticket}\""
            );
        }
    }

    fn pod_labels(&mut self, ns: &Ns, app: &'static App) -> PodLabels {
        PodLabels {
            app: app.name,
            tier: self.rng.percent(50).then_some(app.tier),
            env: ns.env.filter(|_| self.rng.percent(35)),
            version: self.rng.percent(25).then(|| self.rng.pick(VERSIONS)),
            template_hash: None,
        }
    }

    fn write_labels(&mut self, indent: usize, labels: &PodLabels) {
        let d = &mut self.doc;
        if self.flow {
            let pairs: Vec<String> = labels.pairs().map(|(k, v)| format!("{k}: {v}")).collect();
            line!(d, indent, "labels: {{{}}}", pairs.join(", "));
            return;
        }
        line!(d, indent, "labels:");
        for (k, v) in labels.pairs() {
            line!(d, indent + 2, "{k}: {v}");
        }
    }

    /// A selector under `key` at `indent`; `key` may open a list item (`- podSelector`).
    fn write_selector(&mut self, indent: usize, key: &str, sel: &Sel) {
        let d = &mut self.doc;
        if sel.labels.is_empty() && sel.exprs.is_empty() {
            line!(d, indent, "{key}: {{}}");
            return;
        }
        if self.flow {
            line!(d, indent, "{key}: {}", sel.flow());
            return;
        }
        line!(d, indent, "{key}:");
        let body = indent + 2 + if key.starts_with("- ") { 2 } else { 0 };
        if !sel.labels.is_empty() {
            line!(d, body, "matchLabels:");
            for (k, v) in &sel.labels {
                line!(d, body + 2, "{k}: {v}");
            }
        }
        if !sel.exprs.is_empty() {
            line!(d, body, "matchExpressions:");
            for e in &sel.exprs {
                line!(d, body, "- key: {}", e.key);
                line!(d, body + 2, "operator: {}", e.operator);
                match e.values.as_slice() {
                    [] => {}
                    [one] => {
                        line!(d, body + 2, "values:");
                        line!(d, body + 2, "- {one}");
                    }
                    values => line!(d, body + 2, "values: [{}]", values.join(", ")),
                }
            }
        }
    }

    /// `spec` of a pod at `indent`; `restart` for the pods of Jobs.
    fn pod_spec(&mut self, indent: usize, app: &'static App, host_network: bool, restart: bool) {
        let d = &mut self.doc;
        if host_network {
            line!(d, indent, "hostNetwork: true");
        }
        if restart {
            line!(d, indent, "restartPolicy: OnFailure");
        }
        line!(d, indent, "containers:");
        line!(d, indent, "- name: {}", app.name);
        line!(
            d,
            indent + 2,
            "image: {}:1.{}",
            app.name,
            self.rng.below(30)
        );
        // Declaring ports is optional (they are informational, except for the names that
        // policies refer to), and sidecar ports are declared less often than the main one.
        let ports = match app.ports.len() {
            0 => &[][..],
            _ if self.rng.percent(50) => &[][..],
            _ if self.rng.percent(15) => app.ports,
            _ => &app.ports[..1],
        };
        if ports.is_empty() {
            return;
        }
        if self.flow {
            let items: Vec<String> = ports
                .iter()
                .map(|(name, port, protocol)| match protocol {
                    Some(p) => format!("{{name: {name}, containerPort: {port}, protocol: {p}}}"),
                    None => format!("{{name: {name}, containerPort: {port}}}"),
                })
                .collect();
            line!(d, indent + 2, "ports: [{}]", items.join(", "));
            return;
        }
        line!(d, indent + 2, "ports:");
        for (name, port, protocol) in ports {
            line!(d, indent + 2, "- name: {name}");
            line!(d, indent + 4, "containerPort: {port}");
            if let Some(p) = protocol {
                line!(d, indent + 4, "protocol: {p}");
            }
        }
    }

    /// Writes one workload, or a whole owner chain (Deployment, its ReplicaSet and pods) when
    /// `left` allows. Returns the number of documents written.
    fn workloads(&mut self, ns: &Ns, serial: &mut usize, left: usize) -> usize {
        *serial += 1;
        let app = ns.app(&mut self.rng);
        let name = format!("{}-{}", app.name, serial);
        let kind = match self.rng.below(100) {
            // Pods are the most numerous objects of a cluster.
            0..=64 => "Pod",
            65..=75 => "Deployment",
            76..=78 => "ReplicaSet",
            79..=82 => "StatefulSet",
            83..=85 => "DaemonSet",
            86..=87 => "ReplicationController",
            88..=94 => "Job",
            _ => "CronJob",
        };
        // DaemonSets of node agents are the usual hostNetwork users.
        let host_network = self.rng.percent(if kind == "DaemonSet" { 40 } else { 1 });
        let mut labels = self.pod_labels(ns, app);
        if kind == "Deployment" && left >= 3 && self.rng.percent(12) {
            let pods = (1 + self.rng.below(3)).min(left - 2);
            let hash = self.rng.suffix(10);
            let rs = format!("{name}-{hash}");
            self.controller(ns, app, "Deployment", &name, None, &labels, host_network);
            let mut chain = std::mem::take(&mut self.doc.buf);
            labels.template_hash = Some(hash);
            let owner = Some(("Deployment", name.as_str()));
            self.controller(ns, app, "ReplicaSet", &rs, owner, &labels, host_network);
            chain.push_str(&self.doc.buf);
            for _ in 0..pods {
                let pod = format!("{rs}-{}", self.rng.suffix(5));
                self.pod(
                    ns,
                    app,
                    &pod,
                    Some(("ReplicaSet", &rs)),
                    &labels,
                    host_network,
                );
                chain.push_str(&self.doc.buf);
            }
            self.doc.buf = chain;
            return 2 + pods;
        }
        if kind == "Pod" {
            self.pod(ns, app, &name, None, &labels, host_network);
        } else {
            self.controller(ns, app, kind, &name, None, &labels, host_network);
        }
        1
    }

    fn metadata(&mut self, ns: &Ns, name: &str, owner: Option<(&str, &str)>) {
        let d = &mut self.doc;
        line!(d, 0, "metadata:");
        line!(d, 2, "name: {name}");
        line!(d, 2, "namespace: {}", ns.name);
        if let Some((kind, owner)) = owner {
            line!(d, 2, "ownerReferences:");
            line!(d, 2, "- apiVersion: apps/v1");
            line!(d, 4, "kind: {kind}");
            line!(d, 4, "name: {owner}");
            line!(d, 4, "controller: true");
        }
        if self.rng.percent(1) {
            line!(d, 2, "annotations:");
            line!(d, 4, "netpol-check.io/ignore: NPC001");
        }
    }

    fn pod(
        &mut self,
        ns: &Ns,
        app: &'static App,
        name: &str,
        owner: Option<(&str, &str)>,
        labels: &PodLabels,
        host_network: bool,
    ) {
        self.start();
        line!(self.doc, 0, "apiVersion: v1");
        line!(self.doc, 0, "kind: Pod");
        self.metadata(ns, name, owner);
        self.write_labels(2, labels);
        line!(self.doc, 0, "spec:");
        self.pod_spec(2, app, host_network, false);
    }

    #[allow(clippy::too_many_arguments)]
    fn controller(
        &mut self,
        ns: &Ns,
        app: &'static App,
        kind: &str,
        name: &str,
        owner: Option<(&str, &str)>,
        labels: &PodLabels,
        host_network: bool,
    ) {
        self.start();
        let api = match kind {
            "ReplicationController" => "v1",
            "Job" | "CronJob" => "batch/v1",
            _ => "apps/v1",
        };
        line!(self.doc, 0, "apiVersion: {api}");
        line!(self.doc, 0, "kind: {kind}");
        self.metadata(ns, name, owner);
        line!(self.doc, 0, "spec:");
        let d = &mut self.doc;
        match kind {
            // An omitted replicas means one.
            "Deployment" | "ReplicaSet" | "StatefulSet" | "ReplicationController"
                if self.rng.percent(60) =>
            {
                line!(d, 2, "replicas: {}", 1 + self.rng.below(5));
            }
            "Job" if self.rng.percent(50) => line!(d, 2, "parallelism: {}", 1 + self.rng.below(4)),
            _ => {}
        }
        if kind == "StatefulSet" {
            line!(d, 2, "serviceName: {name}");
        }
        match kind {
            "Job" | "CronJob" => {}
            // ReplicationControllers select with a plain map.
            "ReplicationController" => {
                line!(d, 2, "selector:");
                line!(d, 4, "app: {}", labels.app);
            }
            _ => {
                let mut sel = Sel::label("app", labels.app);
                if let Some(h) = &labels.template_hash {
                    sel.labels.push(("pod-template-hash", h.clone()));
                }
                self.write_selector(2, "selector", &sel);
            }
        }
        let d = &mut self.doc;
        let mut indent = 2;
        if kind == "CronJob" {
            let minute = self.rng.below(60);
            let hours = 1 + self.rng.below(12);
            line!(d, 2, "schedule: \"{minute} */{hours} * * *\"");
            line!(d, 2, "jobTemplate:");
            line!(d, 4, "spec:");
            indent = 6;
        }
        line!(d, indent, "template:");
        line!(d, indent + 2, "metadata:");
        self.write_labels(indent + 4, labels);
        line!(self.doc, indent + 2, "spec:");
        let restart = matches!(kind, "Job" | "CronJob");
        self.pod_spec(indent + 4, app, host_network, restart);
    }

    /// The `k`th of `total` cluster-scoped policies: a platform team's mix. Admin-tier
    /// AdminNetworkPolicies and ClusterNetworkPolicies (distinct priorities) over teams,
    /// single namespaces or an application's pods, with Accept/Allow, Deny and Pass rules on
    /// labels the namespaces and pods carry; one in ten a Baseline ClusterNetworkPolicy; the
    /// last the BaselineAdminNetworkPolicy `default`.
    fn cluster_policy(&mut self, nss: &[Ns], k: usize, total: usize) {
        self.doc.buf.clear();
        self.doc.buf.push_str("---\n");
        let team = self.rng.pick(TEAMS);
        let d = &mut self.doc;
        if k + 1 == total {
            line!(d, 0, "apiVersion: policy.networking.k8s.io/v1alpha1");
            line!(d, 0, "kind: BaselineAdminNetworkPolicy");
            line!(d, 0, "metadata:");
            line!(d, 2, "name: default");
            line!(d, 0, "spec:");
            line!(d, 2, "subject:");
            line!(d, 4, "namespaces: {{}}");
            line!(d, 2, "ingress:");
            line!(d, 2, "- name: same-team-only");
            line!(d, 4, "action: Deny");
            line!(d, 4, "from:");
            line!(d, 4, "- namespaces:");
            line!(d, 8, "matchExpressions:");
            line!(d, 8, "- {{key: env, operator: In, values: [dev]}}");
            line!(d, 2, "egress:");
            line!(d, 2, "- name: no-smtp");
            line!(d, 4, "action: Deny");
            line!(d, 4, "to:");
            line!(d, 4, "- networks: [0.0.0.0/0]");
            line!(d, 4, "ports:");
            line!(d, 4, "- portNumber: {{protocol: TCP, port: 25}}");
            return;
        }
        let baseline = k % 10 == 9;
        let anp = !baseline && k % 2 == 0;
        let allow = if anp { "Allow" } else { "Accept" };
        if anp {
            line!(d, 0, "apiVersion: policy.networking.k8s.io/v1alpha1");
            line!(d, 0, "kind: AdminNetworkPolicy");
        } else {
            line!(d, 0, "apiVersion: policy.networking.k8s.io/v1beta1");
            line!(d, 0, "kind: ClusterNetworkPolicy");
        }
        line!(d, 0, "metadata:");
        line!(
            d,
            2,
            "name: {}-{team}-{k}",
            if baseline { "baseline" } else { "admin" }
        );
        line!(d, 0, "spec:");
        if !anp {
            line!(
                d,
                2,
                "tier: {}",
                if baseline { "Baseline" } else { "Admin" }
            );
        }
        line!(d, 2, "priority: {}", k + 1);
        line!(d, 2, "subject:");
        match self.rng.below(100) {
            0..=59 => {
                line!(d, 4, "namespaces:");
                line!(d, 6, "matchLabels: {{team: {team}}}");
            }
            60..=84 => {
                let ns = &nss[self.rng.below(nss.len())];
                line!(d, 4, "namespaces:");
                line!(
                    d,
                    6,
                    "matchLabels: {{kubernetes.io/metadata.name: {}}}",
                    ns.name
                );
            }
            _ => {
                let app = APPS[self.rng.below(APPS.len())].name;
                line!(d, 4, "pods:");
                line!(d, 6, "namespaceSelector: {{matchLabels: {{team: {team}}}}}");
                line!(d, 6, "podSelector: {{matchLabels: {{app: {app}}}}}");
            }
        }
        let ports = |d: &mut Doc, protocol: &str, port: u16| {
            if anp {
                line!(d, 4, "ports:");
                line!(d, 4, "- portNumber: {{protocol: {protocol}, port: {port}}}");
            } else {
                line!(d, 4, "protocols:");
                line!(
                    d,
                    4,
                    "- {}: {{destinationPort: {{number: {port}}}}}",
                    protocol.to_ascii_lowercase()
                );
            }
        };
        // Ingress: monitoring in, dev out, the rest of the team to NetworkPolicies.
        line!(d, 2, "ingress:");
        if !baseline {
            line!(d, 2, "- name: monitoring");
            line!(d, 4, "action: {allow}");
            line!(d, 4, "from:");
            line!(d, 4, "- namespaces: {{matchLabels: {{team: platform}}}}");
            ports(d, "TCP", 9090);
        }
        line!(d, 2, "- name: no-dev");
        line!(d, 4, "action: Deny");
        line!(d, 4, "from:");
        line!(d, 4, "- namespaces: {{matchLabels: {{env: dev}}}}");
        if !baseline && self.rng.percent(50) {
            line!(d, 2, "- name: team-decides");
            line!(d, 4, "action: Pass");
            line!(d, 4, "from:");
            line!(d, 4, "- namespaces: {{matchLabels: {{team: {team}}}}}");
        }
        if baseline {
            return;
        }
        // Egress: the internal network on 443, never SMTP outside.
        line!(d, 2, "egress:");
        line!(d, 2, "- name: no-smtp");
        line!(d, 4, "action: Deny");
        line!(d, 4, "to:");
        line!(d, 4, "- networks: [0.0.0.0/0]");
        ports(d, "TCP", 25);
        if self.rng.percent(50) {
            line!(d, 2, "- name: internal-https");
            line!(d, 4, "action: {allow}");
            line!(d, 4, "to:");
            line!(d, 4, "- networks: [10.0.0.0/8]");
            ports(d, "TCP", 443);
        }
    }

    fn policy(&mut self, ns: &Ns, k: usize) {
        self.start();
        // Most namespaces open with a default deny; the rest of their policies open paths.
        let deny = k == 0 && self.rng.percent(70);
        let app = ns.app(&mut self.rng);
        let name = if deny {
            self.rng
                .pick(&[
                    "default-deny",
                    "default-deny-all",
                    "deny-all",
                    "default-deny-ingress",
                ])
                .to_owned()
        } else {
            format!("allow-{}-{k}", app.name)
        };
        let d = &mut self.doc;
        line!(d, 0, "apiVersion: networking.k8s.io/v1");
        line!(d, 0, "kind: NetworkPolicy");
        line!(d, 0, "metadata:");
        line!(d, 2, "name: {name}");
        line!(d, 2, "namespace: {}", ns.name);
        line!(d, 0, "spec:");
        let selector = if deny || self.rng.percent(8) {
            Sel::default()
        } else {
            self.pod_sel(app, true)
        };
        self.write_selector(2, "podSelector", &selector);
        // 0 omitted, 1 `[]`, 2 Ingress, 3 Egress, 4 both.
        let types = match self.rng.below(100) {
            0..=29 => 0,
            30..=34 => 1,
            35..=69 => 2,
            70..=79 => 3,
            _ => 4,
        };
        let d = &mut self.doc;
        match types {
            0 => {}
            1 => line!(d, 2, "policyTypes: []"),
            2 => line!(d, 2, "policyTypes: [Ingress]"),
            3 => line!(d, 2, "policyTypes:\n  - Egress"),
            _ if self.flow => line!(d, 2, "policyTypes: [Ingress, Egress]"),
            _ => line!(d, 2, "policyTypes:\n  - Ingress\n  - Egress"),
        }
        if deny {
            // With policyTypes omitted, `egress: []` still means ingress only.
            if types == 0 && self.rng.percent(30) {
                line!(self.doc, 2, "egress: []");
            }
            return;
        }
        let (ingress, egress) = match types {
            0 | 1 => (true, self.rng.percent(20)),
            2 => (true, false),
            3 => (false, true),
            _ => (true, true),
        };
        if ingress {
            self.rules(ns, app, "ingress", "from");
        }
        if egress {
            self.rules(ns, app, "egress", "to");
        }
    }

    /// A CiliumNetworkPolicy of the same mix as [`Gen::policy`]: most namespaces open with a
    /// default deny (`ingress: [{}]`, `egress: [{}]`, as Cilium's docs write it), the others
    /// select an application and allow endpoints (sometimes of other namespaces, by their
    /// pseudo-labels), entities, CIDR sets or ports, DNS on egress; a few deny the world.
    fn cilium_policy(&mut self, ns: &Ns, k: usize) {
        self.start();
        let deny = k == 0 && self.rng.percent(70);
        let app = ns.app(&mut self.rng);
        let name = if deny {
            "default-deny".to_owned()
        } else {
            format!("allow-{}-{k}", app.name)
        };
        let d = &mut self.doc;
        line!(d, 0, "apiVersion: cilium.io/v2");
        line!(d, 0, "kind: CiliumNetworkPolicy");
        line!(d, 0, "metadata:");
        line!(d, 2, "name: {name}");
        line!(d, 2, "namespace: {}", ns.name);
        line!(d, 0, "spec:");
        if deny {
            line!(d, 2, "endpointSelector: {{}}");
            line!(d, 2, "ingress:\n  - {{}}");
            line!(d, 2, "egress:");
            line!(d, 2, "- toEndpoints:");
            line!(
                d,
                4,
                "- matchLabels: {{io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}"
            );
            line!(
                d,
                4,
                "toPorts: [{{ports: [{{port: \"53\", protocol: ANY}}]}}]"
            );
            return;
        }
        let selector = self.pod_sel(app, true);
        self.write_selector(2, "endpointSelector", &selector);
        let (ingress, egress) = match self.rng.below(100) {
            0..=59 => (true, false),
            60..=79 => (false, true),
            _ => (true, true),
        };
        for (on, section, peers) in [(ingress, "ingress", "from"), (egress, "egress", "to")] {
            if !on {
                continue;
            }
            line!(self.doc, 2, "{section}:");
            for _ in 0..1 + self.rng.percent(15) as usize {
                self.cilium_rule(ns, app, peers);
            }
        }
        if ingress && self.rng.percent(5) {
            line!(self.doc, 2, "ingressDeny:\n  - fromEntities: [world]");
        }
    }

    /// A Calico NetworkPolicy of the same mix as [`Gen::policy`]: most namespaces get a default
    /// deny of both directions with a DNS allow (Calico's documented pattern, as a namespaced
    /// policy), the others select an application and allow (sometimes deny) pods of their
    /// namespace or of namespaces by label, address ranges or ports, in order.
    fn calico_policy(&mut self, ns: &Ns, k: usize) {
        self.start();
        let deny = k == 0 && self.rng.percent(70);
        let app = ns.app(&mut self.rng);
        let name = if deny {
            "default-deny".to_owned()
        } else {
            format!("allow-{}-{k}", app.name)
        };
        let d = &mut self.doc;
        line!(d, 0, "apiVersion: projectcalico.org/v3");
        line!(d, 0, "kind: NetworkPolicy");
        line!(d, 0, "metadata:");
        line!(d, 2, "name: {name}");
        line!(d, 2, "namespace: {}", ns.name);
        line!(d, 0, "spec:");
        if deny {
            line!(d, 2, "order: 2000");
            line!(d, 2, "selector: all()");
            line!(d, 2, "types: [Ingress, Egress]");
            line!(d, 2, "egress:");
            line!(d, 2, "- action: Allow");
            line!(d, 4, "protocol: UDP");
            line!(d, 4, "destination:");
            line!(
                d,
                6,
                "namespaceSelector: projectcalico.org/name == 'kube-system'"
            );
            line!(d, 6, "selector: k8s-app == 'kube-dns'");
            line!(d, 6, "ports: [53]");
            return;
        }
        let selector = calico_selector(&self.pod_sel(app, true));
        line!(self.doc, 2, "order: {}", 100 + self.rng.below(900));
        line!(self.doc, 2, "selector: \"{selector}\"");
        let (ingress, egress) = match self.rng.below(100) {
            0..=59 => (true, false),
            60..=79 => (false, true),
            _ => (true, true),
        };
        for (on, section) in [(ingress, "ingress"), (egress, "egress")] {
            if !on {
                continue;
            }
            line!(self.doc, 2, "{section}:");
            for _ in 0..1 + self.rng.percent(15) as usize {
                self.calico_rule(section == "ingress", app);
            }
        }
    }

    /// One Calico rule at indent 2.
    fn calico_rule(&mut self, ingress: bool, app: &'static App) {
        let action = if self.rng.percent(5) { "Deny" } else { "Allow" };
        line!(self.doc, 2, "- action: {action}");
        let port = app.ports.first().map(|p| p.1);
        let with_port = port.is_some() && self.rng.percent(60);
        if with_port {
            line!(self.doc, 4, "protocol: TCP");
        }
        let peer = if ingress { "source" } else { "destination" };
        let kind = self.rng.below(100);
        if kind < 90 || !ingress && with_port {
            line!(self.doc, 4, "{peer}:");
        }
        match kind {
            0..=59 => {
                let other = &APPS[self.rng.below(APPS.len())];
                let sel = calico_selector(&self.pod_sel(other, false));
                line!(self.doc, 6, "selector: \"{sel}\"");
            }
            60..=79 => {
                let other = &APPS[self.rng.below(APPS.len())];
                line!(self.doc, 6, "selector: app == '{}'", other.name);
                line!(
                    self.doc,
                    6,
                    "namespaceSelector: team == '{}'",
                    self.rng.pick(TEAMS)
                );
            }
            80..=89 => {
                let net = self.rng.below(256);
                line!(self.doc, 6, "nets: [10.{net}.0.0/16]");
            }
            _ => {}
        }
        if with_port {
            if ingress {
                line!(self.doc, 4, "destination:");
            }
            line!(self.doc, 6, "ports: [{}]", port.unwrap_or(8080));
        }
    }

    /// One Cilium allow rule at indent 2.
    fn cilium_rule(&mut self, ns: &Ns, app: &'static App, peers: &str) {
        let kind = self.rng.below(100);
        match kind {
            0..=64 => {
                line!(self.doc, 2, "- {peers}Endpoints:");
                let other = &APPS[self.rng.below(APPS.len())];
                let mut sel = self.pod_sel(other, false);
                match self.rng.below(100) {
                    0..=59 => {}
                    60..=79 => sel
                        .labels
                        .push(("io.kubernetes.pod.namespace", ns.name.clone())),
                    _ => sel.labels.push((
                        "io.cilium.k8s.namespace.labels.team",
                        self.rng.pick(TEAMS).to_owned(),
                    )),
                }
                line!(self.doc, 4, "- {}", sel.flow());
            }
            65..=79 => {
                let entity = self.rng.pick(&["cluster", "world", "host", "all"]);
                line!(self.doc, 2, "- {peers}Entities: [{entity}]");
            }
            80..=89 => {
                let net = self.rng.below(256);
                line!(
                    self.doc,
                    2,
                    "- {peers}CIDRSet: [{{cidr: 10.{net}.0.0/16, except: [10.{net}.{}.0/24]}}]",
                    self.rng.below(256)
                );
            }
            // Ports alone: every peer on them.
            _ => line!(
                self.doc,
                2,
                "- toPorts: [{{ports: [{{port: \"8080\", protocol: TCP}}]}}]"
            ),
        }
        if kind < 90 && self.rng.percent(60) {
            let port = app.ports.first().map_or(8080, |p| p.1);
            let protocol = self.rng.pick(&["TCP", "ANY", "UDP"]);
            line!(
                self.doc,
                4,
                "toPorts: [{{ports: [{{port: \"{port}\", protocol: {protocol}}}]}}]"
            );
        }
    }

    fn rules(&mut self, ns: &Ns, app: &'static App, section: &str, peers_key: &str) {
        line!(self.doc, 2, "{section}:");
        if self.rng.percent(5) {
            // Allows everything in this direction.
            line!(self.doc, 2, "- {{}}");
            return;
        }
        if section == "egress" && self.rng.percent(15) {
            self.dns_rule(peers_key);
        }
        for _ in 0..1 + self.rng.percent(10) as usize {
            // A rule with only ports allows those ports from everywhere.
            let with_peers = self.rng.percent(90);
            if with_peers {
                line!(self.doc, 2, "- {peers_key}:");
                for _ in 0..1 + self.rng.percent(15) as usize {
                    self.peer(ns);
                }
            }
            if self.rng.percent(70) || !with_peers {
                let ports = self.rule_ports(app);
                let key = if with_peers { "  ports" } else { "- ports" };
                self.write_ports(key, &ports);
            }
        }
    }

    fn dns_rule(&mut self, peers_key: &str) {
        let sel_ns = Sel::label("kubernetes.io/metadata.name", "kube-system");
        let sel_pod = Sel::label("k8s-app", "kube-dns");
        line!(self.doc, 2, "- {peers_key}:");
        self.write_selector(4, "- namespaceSelector", &sel_ns);
        self.write_selector(6, "podSelector", &sel_pod);
        let port = |protocol| RulePort {
            protocol: Some(protocol),
            port: Some("53".into()),
            end_port: None,
        };
        self.write_ports("  ports", &[port("UDP"), port("TCP")]);
    }

    /// One entry of `from` or `to`, at indent 4.
    fn peer(&mut self, ns: &Ns) {
        let other = &APPS[self.rng.below(APPS.len())];
        match self.rng.below(100) {
            0..=39 => {
                let sel = self.pod_sel(other, false);
                self.write_selector(4, "- podSelector", &sel);
            }
            40..=59 => {
                let sel = self.ns_sel(ns);
                self.write_selector(4, "- namespaceSelector", &sel);
            }
            60..=84 => {
                // Both in one peer: pods of that kind in those namespaces.
                let sel = self.ns_sel(ns);
                self.write_selector(4, "- namespaceSelector", &sel);
                let sel = self.pod_sel(other, false);
                self.write_selector(6, "podSelector", &sel);
            }
            _ => {
                let (cidr, except) = match self.rng.below(3) {
                    0 => {
                        let net = self.rng.below(256);
                        let sub = self.rng.below(256);
                        (
                            format!("10.{net}.0.0/16"),
                            vec![format!("10.{net}.{sub}.0/24")],
                        )
                    }
                    1 => (
                        "0.0.0.0/0".to_owned(),
                        vec!["169.254.169.254/32".to_owned(), "10.0.0.0/8".to_owned()],
                    ),
                    _ => (format!("192.168.{}.0/24", self.rng.below(256)), Vec::new()),
                };
                let d = &mut self.doc;
                if self.flow {
                    let except = match except.is_empty() {
                        true => String::new(),
                        false => format!(", except: [{}]", except.join(", ")),
                    };
                    line!(d, 4, "- ipBlock: {{cidr: {cidr}{except}}}");
                    return;
                }
                line!(d, 4, "- ipBlock:");
                line!(d, 8, "cidr: {cidr}");
                if !except.is_empty() {
                    line!(d, 8, "except:");
                    for e in except {
                        line!(d, 8, "- {e}");
                    }
                }
            }
        }
    }

    fn ns_sel(&mut self, ns: &Ns) -> Sel {
        match self.rng.below(100) {
            // Every namespace.
            0..=14 => Sel::default(),
            15..=44 => Sel::label("team", self.rng.pick(TEAMS)),
            45..=74 => Sel::label("kubernetes.io/metadata.name", ns.name.as_str()),
            75..=89 => Sel::label("env", self.rng.pick(ENVS)),
            _ => Sel::default().expr("env", "In", &["prod", "staging"]),
        }
    }

    /// A non-empty pod selector centred on `app`; `rich` adds the rarer combinations.
    fn pod_sel(&mut self, app: &'static App, rich: bool) -> Sel {
        match self.rng.below(if rich { 100 } else { 60 }) {
            0..=39 => Sel::label("app", app.name),
            40..=49 => {
                let mut sel = Sel::label("app", app.name);
                sel.labels.push(("tier", app.tier.to_owned()));
                sel
            }
            50..=64 => {
                let other = APPS[self.rng.below(APPS.len())].name;
                Sel::default().expr("app", "In", &[app.name, other])
            }
            65..=72 => Sel::default().expr("tier", "NotIn", &[self.rng.pick(TIERS)]),
            73..=80 => Sel::default().expr("version", "Exists", &[]),
            81..=88 => Sel::label("app", app.name).expr("version", "DoesNotExist", &[]),
            _ => Sel::label("tier", app.tier)
                .expr("env", "In", &[self.rng.pick(ENVS)])
                .expr("version", "NotIn", &["canary"]),
        }
    }

    fn rule_ports(&mut self, app: &'static App) -> Vec<RulePort> {
        let tcp = |port: String| RulePort {
            protocol: Some("TCP"),
            port: Some(port),
            end_port: None,
        };
        (0..1 + self.rng.percent(20) as usize)
            .map(|_| match self.rng.below(100) {
                // Named ports must be resolved against the selected pods' containers.
                0..=34 if !app.ports.is_empty() => RulePort {
                    protocol: None,
                    port: Some(app.ports[self.rng.below(app.ports.len())].0.to_owned()),
                    end_port: None,
                },
                0..=59 => tcp(app.ports.first().map_or(8080, |p| p.1).to_string()),
                60..=74 => RulePort {
                    protocol: None,
                    port: Some((1024 + self.rng.below(8000)).to_string()),
                    end_port: None,
                },
                75..=84 => RulePort {
                    end_port: Some(32767),
                    ..tcp("30000".into())
                },
                85..=89 => RulePort {
                    protocol: Some("UDP"),
                    ..tcp("8125".into())
                },
                // A protocol alone: every port of it.
                90..=94 => RulePort {
                    port: None,
                    ..tcp(String::new())
                },
                _ => RulePort {
                    protocol: Some("SCTP"),
                    ..tcp("3868".into())
                },
            })
            .collect()
    }

    /// `ports` of a rule at indent 2: `key` is `- ports` when it opens the rule.
    fn write_ports(&mut self, key: &str, ports: &[RulePort]) {
        let d = &mut self.doc;
        if self.flow {
            let items: Vec<String> = ports
                .iter()
                .map(|p| format!("{{{}}}", p.fields().join(", ")))
                .collect();
            line!(d, 2, "{key}: [{}]", items.join(", "));
            return;
        }
        line!(d, 2, "{key}:");
        for p in ports {
            for (i, field) in p.fields().iter().enumerate() {
                match i {
                    0 => line!(d, 4, "- {field}"),
                    _ => line!(d, 6, "{field}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WorkloadKind;
    use crate::source::documents;
    use crate::source::manifests::{build_inventory, parse_all, Loaded, ManifestOptions};

    fn text(cfg: &SynthConfig) -> String {
        let mut out = Vec::new();
        generate(cfg, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn small() -> SynthConfig {
        SynthConfig::scaled(0.01)
    }

    #[test]
    fn same_config_same_bytes_other_seed_other_bytes() {
        let cfg = small();
        assert_eq!(text(&cfg), text(&cfg));
        let other = SynthConfig { seed: 2, ..cfg };
        assert_ne!(text(&cfg), text(&other));
    }

    #[test]
    fn one_document_per_object() {
        for cfg in [
            small(),
            SynthConfig {
                namespaces: 3,
                workloads: 1,
                policies: 0,
                cluster_policies: 0,
                cilium: false,
                calico: false,
                seed: 7,
            },
            SynthConfig {
                namespaces: 0,
                workloads: 0,
                policies: 0,
                cluster_policies: 0,
                cilium: false,
                calico: false,
                seed: 7,
            },
            SynthConfig {
                namespaces: 0,
                workloads: 5,
                policies: 2,
                cluster_policies: 3,
                cilium: false,
                calico: false,
                seed: 7,
            },
        ] {
            let text = text(&cfg);
            let docs = documents::split(&text)
                .iter()
                .filter(|d| !d.is_blank())
                .count();
            assert_eq!(docs, cfg.documents(), "{cfg:?}");
        }
    }

    /// Counts bytes and document markers without keeping the stream.
    #[derive(Default)]
    struct Tally {
        bytes: usize,
        markers: usize,
    }

    impl io::Write for Tally {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            // `generate` writes whole documents (an owner chain in one buffer), so every write
            // starts at the beginning of a line.
            self.bytes += buf.len();
            self.markers += usize::from(buf.starts_with(b"---\n"))
                + buf.windows(5).filter(|w| w == b"\n---\n").count();
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn full_cluster_is_about_32_mb_in_122000_documents() {
        let cfg = SynthConfig::full();
        let mut tally = Tally::default();
        generate(&cfg, &mut tally).unwrap();
        assert_eq!(cfg.documents(), 122_000);
        assert_eq!(tally.markers, 122_000);
        assert!(
            (30_000_000..=34_000_000).contains(&tally.bytes),
            "{} bytes",
            tally.bytes
        );
    }

    #[test]
    fn cilium_form_writes_valid_cilium_policies_in_place_of_network_policies() {
        use crate::semantics::cilium_validation::refused;
        let plain = small();
        let cfg = SynthConfig {
            cilium: true,
            ..plain
        };
        let loaded = [crate::source::manifests::Loaded {
            name: "synth.yaml".into(),
            text: text(&cfg),
        }];
        let parsed =
            crate::source::manifests::parse_all(&loaded, &Default::default()).expect("parses");
        let inventory = crate::source::manifests::build_inventory(parsed);
        assert!(inventory.policies.is_empty());
        assert_eq!(inventory.cilium_policies.len(), cfg.policies);
        let bad: Vec<&str> = inventory
            .cilium_policies
            .iter()
            .filter(|p| refused(p))
            .map(|p| p.name.as_str())
            .collect();
        assert!(bad.is_empty(), "Cilium would refuse {bad:?}");
    }

    #[test]
    fn calico_form_writes_calico_policies_every_selector_of_which_parses() {
        use crate::semantics::calico_selector::CalicoSelector;
        let cfg = SynthConfig {
            calico: true,
            ..small()
        };
        let loaded = [crate::source::manifests::Loaded {
            name: "synth.yaml".into(),
            text: text(&cfg),
        }];
        let parsed =
            crate::source::manifests::parse_all(&loaded, &Default::default()).expect("parses");
        let inventory = crate::source::manifests::build_inventory(parsed);
        assert!(inventory.policies.is_empty());
        assert_eq!(inventory.calico_policies.len(), cfg.policies);
        for p in &inventory.calico_policies {
            let rules = p.ingress.iter().chain(&p.egress);
            let selectors = p.selector.iter().chain(rules.flat_map(|r| {
                [&r.source, &r.destination]
                    .into_iter()
                    .flat_map(|e| e.selector.iter().chain(&e.namespace_selector))
            }));
            for s in selectors {
                assert!(CalicoSelector::parse(&s.text).is_ok(), "{}", s.text);
            }
        }
        let coverage = crate::semantics::Coverage::evaluate(&inventory, |_| true);
        assert_eq!(
            coverage.set.calico().len(),
            cfg.policies,
            "every policy counts"
        );
    }

    #[test]
    fn cluster_policies_are_valid_all_three_kinds_and_leave_the_rest_unchanged() {
        use crate::model::ClusterPolicyKind;
        use crate::semantics::cluster_validation::validate;
        let plain = small();
        let cfg = SynthConfig {
            cluster_policies: 40,
            ..plain
        };
        let with = text(&cfg);
        assert!(with.starts_with(&text(&plain)));
        let loaded = [Loaded {
            name: "synth.yaml".into(),
            text: with,
        }];
        let parsed = parse_all(&loaded, &ManifestOptions::default()).unwrap();
        let inventory = build_inventory(parsed);
        let cluster = &inventory.cluster_policies;
        assert_eq!(cluster.len(), 40);
        for p in cluster {
            assert_eq!(validate(p), Vec::<String>::new(), "{}", p.name);
        }
        for kind in ClusterPolicyKind::ALL {
            assert!(cluster.iter().any(|p| p.kind == kind), "no {kind}");
        }
        let banp = ClusterPolicyKind::BaselineAdminNetworkPolicy;
        assert_eq!(cluster.iter().filter(|p| p.kind == banp).count(), 1);
        assert!(cluster
            .iter()
            .any(|p| p.tier.as_deref() == Some("Baseline")));
        assert!(cluster
            .iter()
            .any(|p| p.ingress.iter().any(|r| r.action == "Pass")));
        // Admin-tier priorities are distinct: no tie (point 16) by accident.
        let mut priorities: Vec<i64> = cluster.iter().filter_map(|p| p.priority).collect();
        let n = priorities.len();
        priorities.sort_unstable();
        priorities.dedup();
        assert_eq!(priorities.len(), n);
    }

    #[test]
    fn output_parses_into_every_kind_of_object() {
        let cfg = small();
        let loaded = [Loaded {
            name: "synth.yaml".into(),
            text: text(&cfg),
        }];
        let options = ManifestOptions::default();
        let parsed = parse_all(&loaded, &options).unwrap();
        assert_eq!(parsed.len(), cfg.documents());
        let inventory = build_inventory(parsed);
        assert_eq!(inventory.namespaces.len(), cfg.namespaces);
        assert_eq!(inventory.policies.len(), cfg.policies);
        assert!(inventory.skipped_kinds.is_empty());
        // Owner chains fold into their Deployment, so fewer workloads remain than documents.
        assert!(inventory.workloads.len() < cfg.workloads);
        for kind in WorkloadKind::ALL {
            assert!(
                inventory.workloads.iter().any(|w| w.kind == kind),
                "no {kind}"
            );
        }
        assert!(inventory.workloads.iter().any(|w| w.host_network));
        assert!(inventory.workloads.iter().any(|w| w.label_sets.len() > 1));
        let ops: Vec<&str> = inventory
            .policies
            .iter()
            .flat_map(|p| &p.pod_selector.match_expressions)
            .map(|r| r.operator.as_str())
            .collect();
        for op in ["In", "NotIn", "Exists", "DoesNotExist"] {
            assert!(ops.contains(&op), "no {op}");
        }
        let types: Vec<Option<usize>> = inventory
            .policies
            .iter()
            .map(|p| p.policy_types.as_ref().map(Vec::len))
            .collect();
        for t in [None, Some(0), Some(1), Some(2)] {
            assert!(types.contains(&t), "no policyTypes of length {t:?}");
        }
    }
}
