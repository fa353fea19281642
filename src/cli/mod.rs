//! The `kubectl netpol-check` command line: flags in kubectl's conventions, and the mapping from
//! a run's outcome to exit statuses (0 clean, 1 findings at or above `--fail-on`, 2 could not run).

use std::io::{IsTerminal, Write};

use clap::{Args, Parser, Subcommand, ValueEnum};

mod connectivity;
pub mod diff;
mod fleet;
pub mod inputs;
pub mod with_cluster;

use crate::analysis::{self, RuleConfig, Scope};
use crate::error::Error;
use crate::generate::{DenyMode, GenerateOptions, PolicyFormat};
use crate::model::{CiliumMode, Inventory};
use crate::output::{self, ColorChoice, Format};
use crate::postrender::{self, PostRenderOptions};
use crate::report::{Finding, Report, Severity, Source};
use crate::semantics::{Coverage, HostNetwork, Selector};
use crate::source::cluster::{self, ClusterOptions};
use crate::source::manifests;
use crate::source::paths;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "kubectl netpol-check",
    bin_name = "kubectl netpol-check",
    version,
    about = "Which pods can any compromised neighbour reach, and which can reach anything?",
    long_about = "Checks that every workload is isolated by NetworkPolicies for ingress AND egress, \
                  following the API server's semantics (own-namespace selection, policyTypes \
                  defaulting, full label selectors, hostNetwork).\n\n\
                  Reads manifests (-f: files, directories, stdin; -k: kustomizations; --chart: \
                  a Helm chart), or without them the cluster of the current kubeconfig context, \
                  like kubectl.",
    after_help = "Examples:\n  \
                  kubectl netpol-check -A\n  \
                  kubectl netpol-check -n shop -o wide\n  \
                  kubectl netpol-check --context prod -A -o json > report.json\n  \
                  kubectl netpol-check -f k8s/ -f extra.yaml\n  \
                  helm template shop ./chart | kubectl netpol-check -f - -n shop\n  \
                  kubectl netpol-check -k overlays/prod\n  \
                  kubectl netpol-check --chart ./chart -n shop --values prod.yaml\n  \
                  kubectl netpol-check -f dump.yaml -o json\n  \
                  helm install shop ./chart --post-renderer kubectl-netpol_check --post-renderer-args post-render\n  \
                  kubectl netpol-check generate -f k8s/ > default-deny.yaml\n\n\
                  Exit status: 0 nothing at or above --fail-on; 1 findings at or above it; \
                  2 the check could not run.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Helm post-renderer: rendered manifests on stdin, the same manifests on stdout (plus any
    /// generated policies); fails when pods would run uncovered.
    #[command(
        after_help = "What fails the install (exit 1): with the default --fail-on error, any \
                      error-severity finding: a workload not isolated for both ingress and egress \
                      (NPC001 uncovered-workload), an egress rule reaching the cloud metadata \
                      endpoint (NPC105 metadata-endpoint-reachable), a default deny neutralised by \
                      an allow-all rule (NPC114 default-deny-neutralised), a policy the API server \
                      would refuse (NPC120 invalid-policy). --fail-on uncovered fails only on \
                      NPC001; --fail-on warning or info also on those severities; --fail-on never \
                      never fails. --severity RULE=LEVEL changes a rule's severity.\n\n\
                      Helm 3: helm install shop ./chart --post-renderer kubectl-netpol_check --post-renderer-args post-render\n\
                      Helm 4: helm install shop ./chart --post-renderer netpol-check --post-renderer-args=--namespace=shop"
    )]
    PostRender(PostRenderArgs),
    /// Print default-deny NetworkPolicies for the given manifests (for GitOps repositories).
    Generate(GenerateArgs),
    /// List the rules: id, name, default severity, summary.
    Rules(RulesArgs),
    /// Why is a workload (not) isolated: the policies selecting it per direction, their rules
    /// in plain words, the workloads those rules reach, and the findings on them.
    #[command(after_help = "Examples:\n  \
                      kubectl netpol-check explain deploy/web -n shop\n  \
                      kubectl netpol-check explain sts/db -n shop -f k8s/ -o json")]
    Explain(ExplainArgs),
    /// Can SRC open a connection to DST? Exit 0 when allowed, 1 when denied (or unknown), 2 on
    /// error.
    #[command(
        after_help = "SRC and DST are workloads (KIND/NAME: deploy/web, pod/x, sts/db), IP addresses or \
                      address ranges (10.0.0.0/8: allowed only when every address of it is).\n\n\
                      Examples:\n  \
                      kubectl netpol-check reach deploy/web deploy/db -n shop --port 5432\n  \
                      kubectl netpol-check reach pod/x --to-namespace kube-system pod/coredns-abc --port 53 --protocol UDP\n  \
                      kubectl netpol-check reach deploy/web 203.0.113.9 --port 443 -n shop\n  \
                      kubectl netpol-check reach deploy/web deploy/db -n shop -f k8s/ --expect denied"
    )]
    Reach(ReachArgs),
    /// Every ordered pair of workloads in scope (and the external address ranges the policies'
    /// ipBlocks cut out), with the ports each may use.
    #[command(after_help = "Examples:\n  \
                      kubectl netpol-check matrix -n shop\n  \
                      kubectl netpol-check matrix -A -o json\n  \
                      kubectl netpol-check matrix -f k8s/ -o connlist")]
    Matrix(MatrixArgs),
    /// What a change opens, closes and uncovers: the new side (-f) against a base (--base
    /// PATH, --base-ref REF or --base-cluster). Exit 1 when it fails --fail-on.
    #[command(after_help = "Examples:\n  \
                      kubectl netpol-check diff --base-ref origin/main -f k8s/\n  \
                      kubectl netpol-check diff --base old/ -f new/\n  \
                      helm template shop ./chart | kubectl netpol-check diff --base-cluster -n shop -f -\n  \
                      kubectl netpol-check diff --base-ref v1.2.0 -f k8s/ -o markdown > comment.md\n\n\
                      Exit status: 0 the change passes --fail-on; 1 it does not (default: a workload \
                      loses isolation, a new workload is uncovered, or a new error finding appears); \
                      2 either side could not be read.")]
    Diff(diff::DiffArgs),
    /// Print the shell completion script for bash, zsh, fish or powershell.
    Completion(crate::completion::CompletionArgs),
    /// kubectl's plugin completion (Cobra's protocol): candidates for the word being typed.
    #[command(name = "__complete", hide = true, disable_help_flag = true)]
    Complete(crate::completion::CompleteArgs),
    /// The man page, in roff.
    #[command(name = "__man", hide = true)]
    Man,
}

/// Where `explain`, `reach` and `matrix` read the inventory: manifests with -f, else the
/// cluster of the kubeconfig (every namespace: peers and policies elsewhere matter).
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<String>,

    #[command(flatten)]
    pub sources: inputs::SourceArgs,

    /// The namespace of the workloads named (and of manifest objects that name none; default:
    /// "default", or the context's namespace for a cluster).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    #[command(flatten)]
    pub host_network: HostNetworkArgs,

    #[command(flatten)]
    pub cilium: CiliumModeArgs,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    #[command(flatten)]
    pub with_cluster: with_cluster::WithClusterArgs,
}

/// `--host-network`: how hostNetwork pods are policed (SEMANTICS.md point 5).
#[derive(Debug, Args)]
pub struct HostNetworkArgs {
    /// hostNetwork pods: `node` (never isolated, matched by no selector: only by an ipBlock
    /// holding the node's address, as on most CNIs) or `pod` (isolated and matched like any pod,
    /// as OVN-Kubernetes and netpol-analyzer assume).
    #[arg(long = "host-network", value_enum, default_value_t = HostNetworkArg::Node, value_name = "MODEL")]
    pub model: HostNetworkArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HostNetworkArg {
    Node,
    Pod,
}

impl HostNetworkArgs {
    pub fn model(&self) -> HostNetwork {
        match self.model {
            HostNetworkArg::Node => HostNetwork::Node,
            HostNetworkArg::Pod => HostNetwork::Pod,
        }
    }
}

/// `--cilium-policy-mode`: the Cilium agents' policy enforcement mode (SEMANTICS.md point 18).
#[derive(Debug, Args)]
pub struct CiliumModeArgs {
    /// Cilium's policy enforcement mode (its enable-policy setting): `default` (pods are
    /// default-deny in a direction once a policy asks for it), `always` (every pod, policies or
    /// not) or `never` (nothing enforced). Manifests: default unless given; live clusters:
    /// overrides what ConfigMap kube-system/cilium-config says.
    #[arg(long = "cilium-policy-mode", value_enum, value_name = "MODE")]
    pub cilium_policy_mode: Option<CiliumModeArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CiliumModeArg {
    Default,
    Always,
    Never,
}

impl CiliumModeArgs {
    pub fn mode(&self) -> Option<CiliumMode> {
        self.cilium_policy_mode.map(|m| match m {
            CiliumModeArg::Default => CiliumMode::Default,
            CiliumModeArg::Always => CiliumMode::Always,
            CiliumModeArg::Never => CiliumMode::Never,
        })
    }

    /// Sets the inventory's mode when the flag is given: over what a cluster said, and for
    /// manifests, which say nothing.
    pub fn apply(&self, inventory: &mut Inventory) {
        if let Some(mode) = self.mode() {
            inventory.cilium_mode = Some(mode);
        }
    }
}

/// `-l`, in kubectl's syntax.
fn parse_selector(s: &str) -> Result<Selector, String> {
    crate::semantics::selector_syntax::parse(s).map(|sel| Selector::compile(&sel))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextFormat {
    /// Plain words.
    Text,
    /// One JSON object.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Plain words.
    Text,
    /// One JSON object.
    Json,
    /// Graphviz DOT: the workload and the peers it may reach or be reached by.
    Dot,
    /// A Mermaid flowchart of the same.
    Mermaid,
    /// An SVG picture of the same, laid out in-process.
    Svg,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The workload: KIND/NAME (deploy/web, pod/x, sts/db, ds/agent, job/x, cj/x).
    #[arg(value_name = "WORKLOAD")]
    pub workload: String,

    #[command(flatten)]
    pub input: InputArgs,

    #[arg(short = 'o', long, value_enum, default_value_t = ExplainFormat::Text)]
    pub output: ExplainFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Expect {
    Allowed,
    Denied,
}

#[derive(Debug, Args)]
pub struct ReachArgs {
    /// Source: KIND/NAME in the -n namespace, or an IP address.
    #[arg(value_name = "SRC")]
    pub source: String,

    /// Destination: KIND/NAME in the --to-namespace namespace (default: -n), or an IP address.
    #[arg(value_name = "DST")]
    pub destination: String,

    /// Namespace of the destination workload (default: the -n namespace).
    #[arg(long, value_name = "NAMESPACE")]
    pub to_namespace: Option<String>,

    /// Destination port: a number, or a container port name of the destination. Without it,
    /// any port counts and the allowed connections are listed.
    #[arg(long, value_name = "PORT")]
    pub port: Option<crate::connectivity::reach::PortSpec>,

    /// Protocol of --port.
    #[arg(long, value_enum, ignore_case = true, default_value_t = ProtocolArg::Tcp, value_name = "PROTOCOL")]
    pub protocol: ProtocolArg,

    /// Exit 0 when the verdict is this one and 1 otherwise (for CI gates).
    #[arg(long, value_enum, value_name = "VERDICT")]
    pub expect: Option<Expect>,

    #[command(flatten)]
    pub input: InputArgs,

    #[arg(short = 'o', long, value_enum, default_value_t = TextFormat::Text)]
    pub output: TextFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    #[value(name = "TCP")]
    Tcp,
    #[value(name = "UDP")]
    Udp,
    #[value(name = "SCTP")]
    Sctp,
}

impl ProtocolArg {
    fn protocol(self) -> crate::model::Protocol {
        match self {
            ProtocolArg::Tcp => crate::model::Protocol::Tcp,
            ProtocolArg::Udp => crate::model::Protocol::Udp,
            ProtocolArg::Sctp => crate::model::Protocol::Sctp,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    /// A grid: rows send, columns receive.
    Table,
    /// One JSON object.
    Json,
    /// netpol-analyzer's connlist: `SRC => DST : CONN`, one line per allowed pair.
    Connlist,
    /// Graphviz DOT: namespaces are clusters, edges carry the ports.
    Dot,
    /// A Mermaid flowchart: namespaces are subgraphs.
    Mermaid,
    /// An SVG picture, laid out in-process (no Graphviz needed).
    Svg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixBy {
    /// One entry per ordered pair of workloads.
    Workload,
    /// One entry per ordered pair of namespaces: the union of what their workloads may
    /// exchange, and how many workload pairs may.
    Namespace,
}

#[derive(Debug, Args)]
pub struct MatrixArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Every namespace (the default for manifests without -n).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,

    /// Label selector limiting the workloads shown (rows and columns); what they may exchange
    /// is still worked out with every workload and policy.
    #[arg(short = 'l', long, value_name = "SELECTOR", value_parser = parse_selector)]
    pub selector: Option<Selector>,

    /// Leave out workloads of namespaces matching this glob (e.g. 'team-*'); they still count
    /// as peers of the rules. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude_namespace: Vec<String>,

    /// Entries per pair of workloads, or per pair of namespaces.
    #[arg(long, value_enum, default_value_t = MatrixBy::Workload, value_name = "VIEW")]
    pub by: MatrixBy,

    /// Write the workload view even above 2,000 workloads.
    #[arg(long)]
    pub force: bool,

    #[arg(short = 'o', long, value_enum, default_value_t = MatrixFormat::Table)]
    pub output: MatrixFormat,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the full documentation (docs/rules.md) instead of the table.
    #[arg(long)]
    pub markdown: bool,
}

/// The default mode: check manifests.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<String>,

    #[command(flatten)]
    pub sources: inputs::SourceArgs,

    /// Namespace for objects that do not name one (default: "default").
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Every namespace (live clusters).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Table)]
    pub output: Format,

    /// Label selector limiting the workloads reported, and the findings on them and on the
    /// policies selecting them, in kubectl's syntax (app=web, tier in (a,b), !legacy);
    /// verdicts are worked out on everything all the same.
    #[arg(short = 'l', long, value_name = "SELECTOR", value_parser = parse_selector)]
    pub selector: Option<Selector>,

    /// Also write the report to this file, in the format its name says (.html, .xml for
    /// JUnit, .json, .sarif, .yaml) unless --report-format says otherwise.
    #[arg(long, value_name = "PATH")]
    pub report_file: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub report_format: ReportFormatArg,

    /// One line per namespace (workloads, open, findings, the fix that closes most) instead
    /// of the table of workloads and findings.
    #[arg(long)]
    pub summary: bool,

    /// No progress line on stderr while listing a cluster (shown only on a terminal).
    #[arg(long)]
    pub no_progress: bool,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    #[command(flatten)]
    pub with_cluster: with_cluster::WithClusterArgs,

    #[command(flatten)]
    pub change: with_cluster::ChangeArgs,

    #[command(flatten)]
    pub verdict: VerdictArgs,
}

/// `--report-format`: the format of `--report-file`.
#[derive(Debug, Args)]
pub struct ReportFormatArg {
    /// Format of --report-file (default: from its name, else the -o format).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub report_format: Option<Format>,
}

impl ReportFormatArg {
    fn format(&self, path: &std::path::Path, otherwise: Format) -> Format {
        self.report_format
            .or_else(|| Format::of_path(path))
            .unwrap_or(otherwise)
    }
}

/// The report file's bytes, written whatever the outcome.
fn write_report_file(
    report: &Report,
    path: &std::path::Path,
    format: Format,
    fail_on: FailOn,
    graph: Option<&Result<String, String>>,
) -> Result<(), Error> {
    let mut buf = Vec::new();
    render_report(report, format, false, fail_on, graph, &mut buf)
        .and_then(|_| std::fs::write(path, &buf))
        .map_err(|e| Error::io(path.display().to_string(), &e))
}

/// A report in a format; HTML with the namespace graph when there is one.
fn render_report(
    report: &Report,
    format: Format,
    color: bool,
    fail_on: FailOn,
    graph: Option<&Result<String, String>>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match (format, graph) {
        (Format::Html, Some(graph)) => {
            let extras = output::html::Extras {
                graph: graph.as_ref().map(String::as_str).map_err(String::as_str),
            };
            output::html::render_with(report, &extras, out)
        }
        _ => output::render_failing(report, format, color, &|f| fail_on.fails(f), out),
    }
}

/// kubectl's flags for reaching a cluster (used when no -f is given).
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod's
    /// service account).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// The kubeconfig context to use. Repeated, the check (not the other commands) reads each
    /// of those clusters and merges their reports.
    #[arg(long, value_name = "NAME")]
    pub context: Vec<String>,

    /// Check every context of the kubeconfig, each cluster in the namespace of -n, every
    /// namespace with -A, else its context's namespace; one merged report (the check only).
    #[arg(long, conflicts_with = "context")]
    pub all_contexts: bool,

    /// The kubeconfig cluster to use.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,

    /// The kubeconfig user to use.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// How long to wait for the server per request: 0 (no limit), 30s, 1m, 1h, or seconds.
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub request_timeout: Option<TimeoutArg>,

    /// Items per list request.
    #[arg(long, default_value_t = 500, value_name = "N", hide = true)]
    pub chunk_size: u32,

    /// The address of the API server (over the kubeconfig's).
    #[arg(short = 's', long, value_name = "URL")]
    pub server: Option<String>,

    /// A CA certificate file (PEM) to verify the server's certificate with.
    #[arg(long, value_name = "PATH", conflicts_with = "insecure_skip_tls_verify")]
    pub certificate_authority: Option<std::path::PathBuf>,

    /// Do not verify the server's certificate: the connection is not secure.
    #[arg(
        long,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        default_value_t = false,
        value_name = "BOOL"
    )]
    pub insecure_skip_tls_verify: bool,

    /// Bearer token for authentication to the API server (over the kubeconfig's user).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,

    /// Log level: 6 or more logs every request (verb, URL, status, time) on stderr.
    #[arg(short = 'v', long = "v", value_name = "N", default_value_t = 0)]
    pub verbosity: u8,
}

impl ClusterArgs {
    /// Several clusters at once: `--context` more than once, or `--all-contexts`.
    pub fn fleet(&self) -> bool {
        self.all_contexts || self.context.len() > 1
    }

    /// Fleet mode is the check's: a one-line usage error for the other commands.
    fn refuse_fleet(&self, command: &str) -> Result<(), Error> {
        if self.fleet() {
            return Err(Error::Usage(format!(
                "several clusters (--context more than once, --all-contexts) are for the check \
                 only, not for {command}: name one --context"
            )));
        }
        Ok(())
    }

    /// The options of these flags; the caller fills in what it lists.
    pub fn options(&self) -> ClusterOptions {
        ClusterOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.last().cloned(),
            cluster: self.cluster.clone(),
            user: self.user.clone(),
            request_timeout: self.request_timeout.and_then(|t| t.0),
            page_size: self.chunk_size.max(1),
            server: self.server.clone(),
            certificate_authority: self.certificate_authority.clone(),
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
            token: self.token.clone(),
            verbosity: self.verbosity,
            ..ClusterOptions::default()
        }
    }
}

/// `--request-timeout`, as kubectl reads it.
#[derive(Debug, Clone, Copy)]
pub struct TimeoutArg(pub Option<std::time::Duration>);

fn parse_timeout(s: &str) -> Result<TimeoutArg, String> {
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 30s, 1m or 1h"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("{s:?} is not a duration like 30s, 1m or 1h")),
    };
    Ok(TimeoutArg(
        (seconds > 0).then(|| std::time::Duration::from_secs(seconds)),
    ))
}

/// Flags that shape the verdict, in every mode.
#[derive(Debug, Args)]
pub struct VerdictArgs {
    /// Lowest severity that makes the exit status 1.
    ///
    /// `error` (default), `warning` or `info`: findings at or above it; `never`; `uncovered`: only
    /// uncovered workloads (NPC001), whatever their severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "LEVEL")]
    pub fail_on: FailOn,

    /// Include kube-system, kube-public and kube-node-lease.
    #[arg(long)]
    pub include_system: bool,

    /// Leave out namespaces matching this glob (e.g. 'team-*'). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude_namespace: Vec<String>,

    /// Colour: auto (when the output is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Run a rule (id or name) that --disable turned off. Repeatable.
    #[arg(long, value_name = "RULE")]
    pub enable: Vec<String>,

    /// Do not run a rule (id or name). Repeatable.
    #[arg(long, value_name = "RULE")]
    pub disable: Vec<String>,

    /// Change a rule's severity: RULE=error|warning|info. Repeatable.
    #[arg(long, value_name = "RULE=LEVEL")]
    pub severity: Vec<String>,

    #[command(flatten)]
    pub host_network: HostNetworkArgs,

    #[command(flatten)]
    pub cilium: CiliumModeArgs,
}

impl VerdictArgs {
    fn scope(&self) -> Result<Scope, Error> {
        Scope::new(self.include_system, &self.exclude_namespace)
    }

    fn rules(&self) -> Result<RuleConfig, Error> {
        RuleConfig::from_flags(&self.enable, &self.disable, &self.severity)
    }

    fn analysis(&self, selector: Option<&Selector>) -> analysis::Options {
        analysis::Options {
            host_network: self.host_network.model(),
            selector: selector.cloned(),
            cilium_mode: self.cilium.mode(),
        }
    }
}

#[derive(Debug, Args)]
pub struct PostRenderArgs {
    /// The release namespace, for documents that name none (default: $HELM_NAMESPACE, else
    /// reported as <release>).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Add the missing default-deny policies to the release: per namespace (default) or per
    /// uncovered workload.
    #[arg(
        long,
        value_enum,
        value_name = "MODE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "namespace"
    )]
    pub emit_default_deny: Option<DenyMode>,

    /// Write the policies --emit-default-deny adds as Kubernetes NetworkPolicies, as
    /// CiliumNetworkPolicies or as Calico NetworkPolicies.
    #[arg(long, value_enum, default_value_t = PolicyFormat::Kubernetes, value_name = "FORMAT")]
    pub policy_format: PolicyFormat,

    #[command(flatten)]
    pub dns: DnsArgs,

    /// Analyse Helm hooks too (helm.sh/hook, including `helm test` pods).
    #[arg(long)]
    pub include_hooks: bool,

    /// Also write the report to this file, whatever the outcome.
    #[arg(long, value_name = "PATH")]
    pub report_file: Option<std::path::PathBuf>,

    /// Format of --report-file (default: from its name, .html, .xml for JUnit, .json, .sarif
    /// or .yaml, else table).
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<Format>,

    /// Label selector limiting the workloads reported (and so the verdict), in kubectl's
    /// syntax; the chart goes out whole and is analysed whole.
    #[arg(short = 'l', long, value_name = "SELECTOR", value_parser = parse_selector)]
    pub selector: Option<Selector>,

    #[command(flatten)]
    pub verdict: VerdictArgs,

    #[command(flatten)]
    pub with_cluster: with_cluster::WithClusterArgs,

    #[command(flatten)]
    pub change: with_cluster::ChangeArgs,

    #[command(flatten)]
    pub cluster: ClusterArgs,
}

#[derive(Debug, Args)]
pub struct DnsArgs {
    /// Do not add allow-dns next to generated egress denies.
    #[arg(long)]
    pub no_dns: bool,

    /// Namespace of the cluster DNS pods.
    #[arg(long, default_value = "kube-system", value_name = "NAMESPACE")]
    pub dns_namespace: String,

    /// Labels of the cluster DNS pods, as key=value[,key=value].
    #[arg(long, default_value = "k8s-app=kube-dns", value_name = "LABELS", value_parser = parse_labels)]
    pub dns_selector: LabelList,
}

/// `key=value[,key=value]`.
#[derive(Debug, Clone)]
pub struct LabelList(pub Vec<(String, String)>);

fn parse_labels(s: &str) -> Result<LabelList, String> {
    s.split(',')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
            _ => Err(format!("{pair:?} is not key=value")),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(LabelList)
}

impl DnsArgs {
    fn options(&self, mode: DenyMode) -> GenerateOptions {
        GenerateOptions {
            mode,
            format: PolicyFormat::Kubernetes,
            dns: !self.no_dns,
            dns_namespace: self.dns_namespace.clone(),
            dns_selector: self.dns_selector.0.clone(),
            release_namespace: None,
            release: None,
        }
    }
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Manifest file, directory or - for stdin. Repeatable.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "PATH",
        required_unless_present_any = ["kustomize", "chart"]
    )]
    pub filenames: Vec<String>,

    #[command(flatten)]
    pub sources: inputs::SourceArgs,

    /// Namespace for objects that do not name one (default: "default").
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Per namespace (complete each namespace's default deny) or per uncovered workload.
    #[arg(long, value_enum, default_value_t = DenyMode::Namespace, value_name = "MODE")]
    pub mode: DenyMode,

    /// Write Kubernetes NetworkPolicies, CiliumNetworkPolicies or Calico policies (a
    /// GlobalNetworkPolicy default deny and NetworkPolicies).
    #[arg(long, value_enum, default_value_t = PolicyFormat::Kubernetes, value_name = "FORMAT")]
    pub policy_format: PolicyFormat,

    #[command(flatten)]
    pub dns: DnsArgs,

    /// Include kube-system, kube-public and kube-node-lease.
    #[arg(long)]
    pub include_system: bool,

    /// Leave out namespaces matching this glob. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude_namespace: Vec<String>,

    #[command(flatten)]
    pub host_network: HostNetworkArgs,

    #[command(flatten)]
    pub cilium: CiliumModeArgs,

    #[command(flatten)]
    pub with_cluster: with_cluster::WithClusterArgs,

    #[command(flatten)]
    pub cluster: ClusterArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
    /// Only uncovered workloads (NPC001), whatever their severity: for teams that gate on
    /// coverage and read the lints as advice.
    Uncovered,
}

impl FailOn {
    /// The lowest severity that fails; `None` for `never` and `uncovered`, which no severity
    /// decides.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never | FailOn::Uncovered => None,
        }
    }

    /// Whether this finding makes the exit status 1.
    pub fn fails(self, finding: &Finding) -> bool {
        match self {
            FailOn::Uncovered => finding.rule == crate::checks::uncovered_workload::RULE.id,
            _ => self.threshold().is_some_and(|t| finding.severity >= t),
        }
    }

    /// The exit status for a report.
    pub fn exit_code(self, report: &Report) -> i32 {
        if report.findings.iter().any(|f| self.fails(f)) {
            EXIT_FINDINGS
        } else {
            EXIT_OK
        }
    }
}

/// Entry point of the binary: parses arguments, runs, prints, and returns the exit status.
pub fn main() -> i32 {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors exit 2.
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    match std::panic::catch_unwind(|| run(&cli)) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            let line = format!(
                "error: {}\n",
                output::terminal::escape_lines(&e.to_string())
            );
            eprint!("{line}");
            // Helm 4 throws a post-renderer's stderr away: the reason a --with-cluster run
            // could not read the cluster would never reach the person installing.
            let helm_4 = std::env::var_os("HELM_PLUGIN_NAME").is_some();
            if helm_4 && matches!(cli.command, Some(Command::PostRender(_))) {
                if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
                    let _ = tty.write_all(line.as_bytes());
                }
            }
            EXIT_ERROR
        }
        Err(_) => EXIT_ERROR,
    }
}

/// A bug must still end in one line and exit status 2, not a backtrace.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error in kubectl netpol-check ({msg}{at}); please report it");
    }));
}

/// Runs a parsed command line; returns the exit status or the error that stopped the run.
pub fn run(cli: &Cli) -> Result<i32, Error> {
    let cluster_flags = match &cli.command {
        Some(Command::PostRender(a)) => Some((&a.cluster, "post-render")),
        Some(Command::Generate(a)) => Some((&a.cluster, "generate")),
        Some(Command::Explain(a)) => Some((&a.input.cluster, "explain")),
        Some(Command::Reach(a)) => Some((&a.input.cluster, "reach")),
        Some(Command::Matrix(a)) => Some((&a.input.cluster, "matrix")),
        Some(Command::Diff(a)) => Some((&a.cluster, "diff")),
        _ => None,
    };
    if let Some((flags, command)) = cluster_flags {
        flags.refuse_fleet(command)?;
    }
    match &cli.command {
        None => check(&cli.check),
        Some(Command::PostRender(args)) => post_render(args),
        Some(Command::Generate(args)) => generate(args),
        Some(Command::Rules(args)) => rules(args),
        Some(Command::Explain(args)) => connectivity::explain(args),
        Some(Command::Reach(args)) => connectivity::reach(args),
        Some(Command::Matrix(args)) => connectivity::matrix(args),
        Some(Command::Diff(args)) => diff::diff(args),
        Some(Command::Completion(args)) => crate::completion::print_script(args),
        Some(Command::Complete(args)) => crate::completion::complete(args),
        Some(Command::Man) => crate::manpage::print(),
    }
}

fn check(args: &CheckArgs) -> Result<i32, Error> {
    if args.cluster.fleet() {
        if !args.filenames.is_empty() || args.sources.any() {
            return Err(Error::Usage(
                "several clusters (--context more than once, --all-contexts) are checked live: \
                 they do not go with -f, -k or --chart"
                    .to_owned(),
            ));
        }
        return fleet::check(args);
    }
    if args.filenames.is_empty() && !args.sources.any() {
        return check_cluster(args);
    }
    let scope = args.verdict.scope()?;
    let rules = args.verdict.rules()?;
    let cluster_options = with_cluster::options(&args.cluster, false);
    let namespace = match args.with_cluster.with_cluster {
        Some(mode) => {
            with_cluster::default_namespace(mode, args.namespace.as_deref(), &cluster_options)?
        }
        None => args.namespace.clone().unwrap_or_else(|| "default".into()),
    };
    let (mut inventory, source) = inputs::read(&inputs::Request {
        filenames: &args.filenames,
        sources: &args.sources,
        release: args.with_cluster.release.as_deref(),
        namespace: &namespace,
        namespace_given: args.namespace.is_some(),
    })?;
    args.verdict.cilium.apply(&mut inventory);
    scope.apply(&mut inventory);
    note_ignored_policies(&inventory);
    let options = args.verdict.analysis(args.selector.as_ref());
    if let Some(mode) = args.with_cluster.with_cluster {
        let prepare = |i: &mut Inventory| {
            args.verdict.cilium.apply(i);
            scope.apply(i);
        };
        match with_cluster::merged(
            &args.with_cluster,
            mode,
            &cluster_options,
            inventory,
            args.all_namespaces,
            prepare,
        )? {
            Ok((base, merged)) => {
                let (mut report, outcome) = crate::in_cluster::judge(
                    &base,
                    &merged,
                    &merged.after,
                    source,
                    &options,
                    &rules,
                    [],
                );
                emit_check(&mut report, args, &merged.after, &options)?;
                if args.output == Format::Table && !args.summary {
                    println!();
                    with_cluster::tell_stdout(&report, &outcome)?;
                }
                return Ok(with_cluster::exit_code(
                    &report,
                    &outcome,
                    args.verdict.fail_on,
                    args.change.fail_on_change,
                ));
            }
            Err(without) => inventory = without,
        }
    }
    let mut report = analysis::analyse_with_options(&inventory, source, &rules, &options);
    emit_check(&mut report, args, &inventory, &options)?;
    let code = args.verdict.fail_on.exit_code(&report);
    // The process exits next: freeing 100,000 workloads and their report one by one would
    // only delay it (0.09 s on the benchmark).
    std::mem::forget(report);
    std::mem::forget(inventory);
    Ok(code)
}

fn check_cluster(args: &CheckArgs) -> Result<i32, Error> {
    let c = &args.cluster;
    // Bad rule flags are refused before the cluster is asked anything.
    args.verdict.rules()?;
    let options = ClusterOptions {
        namespace: args.namespace.clone(),
        all_namespaces: args.all_namespaces,
        // On stderr, so in every output format: only a terminal shows it.
        progress: !args.no_progress && std::io::stderr().is_terminal(),
        ..c.options()
    };
    let data = cluster::load(&options)?;
    let (mut report, inventory) = cluster_report(args, data, false)?;
    let analysis_options = args.verdict.analysis(args.selector.as_ref());
    emit_check(&mut report, args, &inventory, &analysis_options)?;
    Ok(args.verdict.fail_on.exit_code(&report))
}

/// The report on what a cluster gave. `fleet`: the notes on stderr name the context, as
/// several clusters' notes mix there.
fn cluster_report(
    args: &CheckArgs,
    data: cluster::ClusterData,
    fleet: bool,
) -> Result<(Report, Inventory), Error> {
    let rules = args.verdict.rules()?;
    // Naming a system namespace with -n is asking for it.
    let named_system = data
        .namespace
        .as_deref()
        .is_some_and(|n| analysis::SYSTEM_NAMESPACES.contains(&n));
    let scope = Scope::new(
        args.verdict.include_system || named_system,
        &args.verdict.exclude_namespace,
    )?;
    let mut inventory = data.inventory;
    args.verdict.cilium.apply(&mut inventory);
    scope.apply(&mut inventory);
    if fleet {
        let counts = inventory.ignored_policy_counts();
        for note in crate::report::ignored_policy_notes(&counts) {
            let line = format!("context {}: {note}", data.context);
            eprintln!("note: {}", output::terminal::escape_lines(&line));
        }
    } else {
        note_ignored_policies(&inventory);
    }
    let source = Source::cluster(data.context, data.server, data.cni);
    let options = args.verdict.analysis(args.selector.as_ref());
    let mut report = analysis::analyse_with_options(&inventory, source, &rules, &options);
    report.notes.extend(data.notes);
    Ok((report, inventory))
}

fn post_render(args: &PostRenderArgs) -> Result<i32, Error> {
    // Helm 3 runs a post-renderer with its own environment unchanged (pkg/postrender/exec.go:
    // exec.Command without Env); Helm 4 runs it as a plugin (internal/plugin/
    // runtime_subprocess.go, runPostrenderer) with that environment plus HELM_PLUGIN_NAME and
    // HELM_PLUGIN_DIR. Neither exports `-n` or `--kube-context` (checked with Helm 3.17 and
    // 4.1): HELM_NAMESPACE and HELM_KUBECONTEXT are there when the user set them, as Helm
    // itself reads them; KUBECONFIG is inherited.
    let cluster_options = with_cluster::options(&args.cluster, true);
    let helm_namespace = args.namespace.clone().or_else(|| {
        std::env::var("HELM_NAMESPACE")
            .ok()
            .filter(|n| !n.is_empty())
    });
    let release_namespace = match (helm_namespace, args.with_cluster.with_cluster) {
        (Some(n), _) => n,
        // Helm's default namespace is the context's, as kubectl's.
        (None, Some(mode)) => with_cluster::default_namespace(mode, None, &cluster_options)?,
        (None, None) => postrender::RELEASE_NAMESPACE_PLACEHOLDER.to_owned(),
    };
    let options = PostRenderOptions {
        release_namespace,
        include_hooks: args.include_hooks,
        scope: args.verdict.scope()?,
        rules: args.verdict.rules()?,
        analysis: args.verdict.analysis(args.selector.as_ref()),
        generate: args.emit_default_deny.map(|mode| GenerateOptions {
            format: args.policy_format,
            ..args.dns.options(mode)
        }),
        release: args.with_cluster.release.clone(),
        graph: args.report_file.as_deref().is_some_and(|path| {
            args.output.or_else(|| Format::of_path(path)) == Some(Format::Html)
        }),
    };
    // The bytes go out as they came in (a byte-order mark included); the analysis reads them.
    let bytes = manifests::read_bytes(&paths::Input::Stdin)?;
    let input = manifests::Decoded::new(&"<stdin>".into(), &bytes)?;
    let mut rendered = postrender::render_with(&input.text, &options, |inventory| {
        match args.with_cluster.with_cluster {
            Some(mode) => {
                crate::source::with_cluster::load_as(mode, &cluster_options, inventory, false)
            }
            None => Ok(None),
        }
    })?;

    // The chart goes out first and whole, whatever the verdict.
    let (at, generated) = input.encode_at(rendered.insert_at, &rendered.generated);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = out
        .write_all(&bytes[..at])
        .and_then(|_| out.write_all(&generated))
        .and_then(|_| out.write_all(&bytes[at..]))
        .and_then(|_| out.flush());
    written.map_err(|e| Error::io("<stdout>", &e))?;

    rendered.report.generator = Some(crate::report::Generator::now());
    let report = &rendered.report;
    let fail_on = args.verdict.fail_on;
    if let Some(path) = &args.report_file {
        let format = args
            .output
            .or_else(|| Format::of_path(path))
            .unwrap_or(Format::Table);
        write_report_file(report, path, format, fail_on, rendered.graph.as_ref())?;
    }
    let cluster = rendered.cluster.as_ref();
    let code = match cluster {
        Some(outcome) => {
            with_cluster::exit_code(report, outcome, fail_on, args.change.fail_on_change)
        }
        None => fail_on.exit_code(report),
    };
    let color = args.verdict.color.enabled_for_stderr();
    let mut brief = Vec::new();
    let mut escaping = output::terminal::Escaping::new(&mut brief, color);
    let counts = |f: &Finding| fail_on.fails(f) && cluster.is_none_or(|o| o.counts(f));
    output::table::render_brief_of(report, counts, color, &mut escaping)
        .and_then(|_| escaping.flush())
        .expect("writing to memory cannot fail");
    drop(escaping);
    if let Some(outcome) = cluster {
        let mut words = Vec::new();
        output::with_cluster::words(report, outcome, &mut words)
            .expect("writing to memory cannot fail");
        brief.extend(output::terminal::escape_lines(&String::from_utf8_lossy(&words)).as_bytes());
    }
    let _ = std::io::stderr().write_all(&brief);
    // Helm 4 throws a post-renderer's stderr away: a person at a terminal would never learn why
    // the install failed, or what was added to the release.
    let worth_telling = code != EXIT_OK || !report.generated.is_empty();
    if worth_telling && std::env::var_os("HELM_PLUGIN_NAME").is_some() {
        if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
            let _ = tty.write_all(&brief);
        }
    }
    Ok(code)
}

fn rules(args: &RulesArgs) -> Result<i32, Error> {
    let text = if args.markdown {
        crate::checks::rules_markdown()
    } else {
        output::table::rules_table(crate::checks::RULES)
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", &e)),
        _ => Ok(EXIT_OK),
    }
}

fn generate(args: &GenerateArgs) -> Result<i32, Error> {
    let scope = Scope::new(args.include_system, &args.exclude_namespace)?;
    let cluster_options = with_cluster::options(&args.cluster, false);
    let default_namespace = match args.with_cluster.with_cluster {
        Some(mode) => {
            with_cluster::default_namespace(mode, args.namespace.as_deref(), &cluster_options)?
        }
        None => args.namespace.clone().unwrap_or_else(|| "default".into()),
    };
    let (mut inventory, _) = inputs::read(&inputs::Request {
        filenames: &args.filenames,
        sources: &args.sources,
        release: args.with_cluster.release.as_deref(),
        namespace: &default_namespace,
        namespace_given: args.namespace.is_some(),
    })?;
    args.cilium.apply(&mut inventory);
    scope.apply(&mut inventory);
    note_ignored_policies(&inventory);
    let touched = crate::source::with_cluster::touched(&inventory);
    let release =
        crate::source::with_cluster::release_of(&inventory, args.with_cluster.release.as_deref());
    let mut in_cluster = false;
    if let Some(mode) = args.with_cluster.with_cluster {
        let prepare = |i: &mut Inventory| {
            args.cilium.apply(i);
            scope.apply(i);
        };
        inventory = match with_cluster::merged(
            &args.with_cluster,
            mode,
            &cluster_options,
            inventory,
            false,
            prepare,
        )? {
            Ok((_, merged)) => {
                in_cluster = true;
                merged.after
            }
            Err(without) => without,
        };
    }
    let coverage = {
        let invalid = analysis::invalid_policies(&inventory);
        Coverage::evaluate_with(
            &inventory,
            |i| !invalid.contains(&i),
            args.host_network.model(),
        )
    };
    let options = GenerateOptions {
        format: args.policy_format,
        release,
        ..args.dns.options(args.mode)
    };
    let mut generated = crate::generate::generate(&inventory, &coverage, &options);
    if in_cluster {
        // Policies for the manifests' namespaces only, not for the rest of the cluster.
        generated.policies.retain(|p| {
            p.metadata
                .namespace
                .as_ref()
                .is_none_or(|n| touched.contains(n))
        });
    }
    for note in &generated.notes {
        eprintln!("note: {}", output::terminal::escape_lines(note));
    }
    let mut text = String::new();
    for manifest in &generated.policies {
        text.push_str("---\n");
        text.push_str(&manifest.to_yaml());
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", &e)),
        _ => Ok(EXIT_OK),
    }
}

/// Policies of other APIs that the verdicts leave out: on stderr, whatever the output format,
/// so that a JSON consumer's terminal still says so.
pub(crate) fn note_ignored_policies(inventory: &crate::model::Inventory) {
    for note in crate::report::ignored_policy_notes(&inventory.ignored_policy_counts()) {
        eprintln!("note: {}", output::terminal::escape_lines(&note));
    }
}

/// Writes what was rendered on stdout. A closed pipe (`| head`) is not an error.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", &e)),
        _ => Ok(()),
    }
}

/// The default check's outputs: the report on stdout (or its summary), and the report file.
/// HTML draws the namespace graph of `inventory`.
fn emit_check(
    report: &mut Report,
    args: &CheckArgs,
    inventory: &Inventory,
    options: &analysis::Options,
) -> Result<(), Error> {
    report.generator = Some(crate::report::Generator::now());
    let fail_on = args.verdict.fail_on;
    let file_format = args
        .report_file
        .as_deref()
        .map(|path| args.report_format.format(path, args.output));
    let html = (args.output == Format::Html && !args.summary) || file_format == Some(Format::Html);
    let graph = html.then(|| output::html::namespace_graph(inventory, options));
    if let (Some(path), Some(format)) = (&args.report_file, file_format) {
        write_report_file(report, path, format, fail_on, graph.as_ref())?;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let color = args.verdict.color.enabled();
    let result = if args.summary {
        let mut text = Vec::new();
        output::summary::render(report, &mut text)
            .and_then(|_| out.write_all(&text))
            .and_then(|_| out.flush())
    } else {
        render_report(
            report,
            args.output,
            color,
            fail_on,
            graph.as_ref(),
            &mut out,
        )
        .and_then(|_| out.flush())
    };
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", &e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("kubectl-netpol_check").chain(args.iter().copied()))
            .unwrap()
    }

    #[test]
    fn cilium_policy_mode_is_taken_by_every_command_that_reads_input() {
        let mode = |args: &[&str]| match parse(args).command {
            None => parse(args).check.verdict.cilium.mode(),
            Some(Command::PostRender(a)) => a.verdict.cilium.mode(),
            Some(Command::Generate(a)) => a.cilium.mode(),
            Some(Command::Explain(a)) => a.input.cilium.mode(),
            Some(Command::Reach(a)) => a.input.cilium.mode(),
            Some(Command::Matrix(a)) => a.input.cilium.mode(),
            Some(other) => panic!("{other:?}"),
        };
        assert_eq!(
            mode(&["-f", "x"]),
            None,
            "nothing said: the inventory decides"
        );
        assert_eq!(
            mode(&["-f", "x", "--cilium-policy-mode", "always"]),
            Some(CiliumMode::Always)
        );
        assert_eq!(
            mode(&["post-render", "--cilium-policy-mode", "never"]),
            Some(CiliumMode::Never)
        );
        assert_eq!(
            mode(&["generate", "-f", "x", "--cilium-policy-mode", "default"]),
            Some(CiliumMode::Default)
        );
        for command in [
            &["explain", "pod/a"][..],
            &["reach", "pod/a", "pod/b"],
            &["matrix"],
        ] {
            let mut args = command.to_vec();
            args.extend(["--cilium-policy-mode", "always"]);
            assert_eq!(mode(&args), Some(CiliumMode::Always), "{command:?}");
        }
        assert!(
            Cli::try_parse_from(["kubectl-netpol_check", "--cilium-policy-mode", "strict"])
                .is_err()
        );
    }

    #[test]
    fn the_flag_overrides_what_the_cluster_said_and_nothing_else() {
        let mut inventory = Inventory {
            cilium_mode: Some(CiliumMode::Never),
            ..Inventory::default()
        };
        parse(&["-f", "x"])
            .check
            .verdict
            .cilium
            .apply(&mut inventory);
        assert_eq!(inventory.cilium_mode, Some(CiliumMode::Never));
        parse(&["-f", "x", "--cilium-policy-mode", "always"])
            .check
            .verdict
            .cilium
            .apply(&mut inventory);
        assert_eq!(inventory.cilium_mode, Some(CiliumMode::Always));
    }
}
