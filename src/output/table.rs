//! `-o table` and `-o wide`: a kubectl-style table of workloads, the findings with their fixes,
//! and a summary line.

use std::io::Write;

use owo_colors::OwoColorize;
use tabled::builder::Builder;
use tabled::settings::Style;

use super::terminal::{escape, escape_lines};
use crate::report::{Finding, Isolation, Report, Severity, WorkloadEntry};
use crate::text::plural as count;

pub fn render(
    report: &Report,
    wide: bool,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if report.workloads.is_empty() {
        writeln!(
            out,
            "No workloads found: no Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, \
             ReplicationController, Job or CronJob in scope."
        )?;
    } else {
        // In the pod model (--host-network=pod), hostNetwork pods are isolated like any other.
        let node_model = report.summary.host_network_model != "pod";
        writeln!(
            out,
            "{}",
            workload_table(&report.workloads, node_model, wide, color)
        )?;
    }
    if !report.findings.is_empty() {
        for f in &report.findings {
            writeln!(out)?;
            write_finding(f, color, out)?;
        }
    }
    writeln!(out)?;
    write_summary(report, false, out)
}

/// Fleet mode: per cluster, in the order given, a heading (`==> context NAME (SERVER) <==`, as
/// `tail` heads several files) and the table of that cluster alone, or why it was not checked;
/// then one line on the fleet.
pub fn render_fleet(
    outcomes: &[crate::fleet::Outcome],
    wide: bool,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut failed: Vec<String> = Vec::new();
    for (i, o) in outcomes.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let server = match o.server.as_str() {
            "" => String::new(),
            s => format!(" ({})", escape(s)),
        };
        let heading = format!("==> context {}{server} <==", escape(&o.context));
        if color {
            writeln!(out, "{}", heading.bold())?;
        } else {
            writeln!(out, "{heading}")?;
        }
        match &o.result {
            Ok(report) => render(report, wide, color, out)?,
            Err(f) => {
                writeln!(out, "{}: {}", f.status.as_str(), escape_lines(&f.message))?;
                failed.push(format!("{}: {}", escape(&o.context), f.status.as_str()));
            }
        }
    }
    writeln!(out)?;
    let checked = outcomes.len() - failed.len();
    let mut line = format!(
        "Fleet: {}, {checked} checked",
        count(outcomes.len(), "context", "contexts")
    );
    if !failed.is_empty() {
        line.push_str(&format!("; {}", failed.join("; ")));
    }
    writeln!(out, "{line}")
}

/// The short report a post-renderer prints on stderr: the findings at or above `threshold`
/// and the summary.
pub fn render_brief(
    report: &Report,
    threshold: Option<Severity>,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    // With no threshold (--fail-on never) nothing can fail the install: the summary is enough.
    render_brief_of(
        report,
        |f| threshold.is_some_and(|t| f.severity >= t),
        color,
        out,
    )
}

/// [`render_brief`] with the findings that fail the install chosen by `fails`.
pub fn render_brief_of(
    report: &Report,
    fails: impl Fn(&Finding) -> bool,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let shown: Vec<&Finding> = report.findings.iter().filter(|f| fails(f)).collect();
    if !shown.is_empty() {
        writeln!(out, "kubectl netpol-check:")?;
    }
    for f in &shown {
        write_finding(f, color, out)?;
        writeln!(out)?;
    }
    write_summary(report, true, out)?;
    // The summary counts every finding: say where the ones not printed above are.
    let mut hidden = crate::report::SeverityCounts::default();
    for f in &report.findings {
        if !fails(f) {
            hidden.add(f.severity);
        }
    }
    let mut parts = Vec::new();
    for (n, one, many) in [
        (hidden.error, "error", "errors"),
        (hidden.warning, "warning", "warnings"),
        (hidden.info, "info", "info"),
    ] {
        if n > 0 {
            parts.push(count(n, one, many));
        }
    }
    if let Some(lowest) = [
        (hidden.info, "info"),
        (hidden.warning, "warning"),
        (hidden.error, "error"),
    ]
    .iter()
    .find(|(n, _)| *n > 0)
    .map(|(_, s)| *s)
    {
        let total = hidden.error + hidden.warning + hidden.info;
        let it = if total == 1 { "it" } else { "them" };
        writeln!(
            out,
            "{} not shown: --report-file FILE lists every finding; --fail-on {lowest} would \
             print {it} here (and fail the install on {it})",
            parts.join(", "),
        )?;
    }
    write_generated(report, out)
}

/// What the post-renderer added to the release (`--emit-default-deny`).
fn write_generated(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    if report.generated.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = report
        .generated
        .iter()
        .map(|g| {
            let name = g["metadata"]["name"].as_str().unwrap_or("?");
            match g["metadata"]["namespace"].as_str() {
                Some(ns) => format!("{ns}/{name}"),
                None => name.to_owned(),
            }
        })
        .collect();
    writeln!(
        out,
        "Added {} to the release (--emit-default-deny): {}",
        count(names.len(), "NetworkPolicy", "NetworkPolicies"),
        escape(&names.join(", "))
    )
}

fn workload_table(
    workloads: &[WorkloadEntry],
    node_model: bool,
    wide: bool,
    color: bool,
) -> String {
    let mut b = Builder::default();
    let mut header = vec!["NAMESPACE", "WORKLOAD", "PODS", "INGRESS", "EGRESS"];
    if wide {
        header.extend(["INGRESS POLICIES", "EGRESS POLICIES"]);
    }
    b.push_record(header);
    for w in workloads {
        // The input's own fields, escaped here so that a colour code in a name is shown even
        // when colour is on (output::terminal).
        let mut row = vec![
            escape(&w.namespace).into_owned(),
            format!("{}/{}", w.kind, escape(&w.name)),
            w.pods.to_string(),
            state(&w.ingress, node_model && w.host_network, color),
            state(&w.egress, node_model && w.host_network, color),
        ];
        if wide {
            row.push(policies(&w.ingress));
            row.push(policies(&w.egress));
        }
        b.push_record(row);
    }
    let mut table = b.build();
    table.with(Style::blank());
    flush_left(&table.to_string())
}

fn state(i: &Isolation, host_network: bool, color: bool) -> String {
    let (text, paint): (&str, fn(&str) -> String) = if host_network {
        ("hostNetwork", |s| s.yellow().to_string())
    } else if i.isolated {
        ("isolated", |s| s.green().to_string())
    } else if i.isolation == crate::report::IsolationState::PodsOnly {
        ("pods-only", |s| s.yellow().to_string())
    } else if i.isolation == crate::report::IsolationState::Ambiguous {
        ("ambiguous", |s| s.yellow().to_string())
    } else {
        ("open", |s| s.red().bold().to_string())
    };
    if color {
        paint(text)
    } else {
        text.to_owned()
    }
}

fn policies(i: &Isolation) -> String {
    if i.policies.is_empty() {
        "-".to_owned()
    } else {
        escape(&i.policies.join(",")).into_owned()
    }
}

fn write_finding(f: &Finding, color: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let severity = f.severity.as_str();
    let severity = if color {
        match f.severity {
            Severity::Error => severity.red().bold().to_string(),
            Severity::Warning => severity.yellow().bold().to_string(),
            Severity::Info => severity.blue().bold().to_string(),
        }
    } else {
        severity.to_owned()
    };
    let message = escape(&f.message);
    writeln!(out, "{severity}[{} {}]: {message}", f.rule, f.name)?;
    match (&f.file, f.line) {
        (Some(file), Some(line)) => writeln!(out, "  --> {}:{line}", escape(file))?,
        (Some(file), None) => writeln!(out, "  --> {}", escape(file))?,
        _ => {}
    }
    writeln!(out, "   = fix: {}", escape_lines(&f.remediation))
}

/// `brief`: the post-renderer's stderr, which also names the policies left out of the verdict
/// (elsewhere the command prints that note on stderr itself).
fn write_summary(report: &Report, brief: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let s = &report.summary;
    if let (Some(context), Some(server)) = (&report.source.context, &report.source.server) {
        let cni = report
            .source
            .cni
            .as_ref()
            .map(|c| format!(", CNI {}", c.name))
            .unwrap_or_default();
        writeln!(
            out,
            "Cluster: context {} ({}{})",
            escape(context),
            escape(server),
            escape(&cni)
        )?;
    }
    let mut policies = count(s.network_policies, "NetworkPolicy", "NetworkPolicies");
    let cluster: Vec<(&String, &usize)> = s
        .policies
        .iter()
        .filter(|(k, _)| crate::model::ClusterPolicyKind::parse(k).is_some())
        .collect();
    if !cluster.is_empty() {
        let total: usize = cluster.iter().map(|(_, n)| **n).sum();
        let kinds: Vec<String> = cluster.iter().map(|(k, n)| format!("{n} {k}")).collect();
        policies.push_str(&format!(
            " and {} ({})",
            count(total, "cluster-scoped policy", "cluster-scoped policies"),
            kinds.join(", ")
        ));
    }
    let cilium: Vec<(&String, &usize)> = s
        .policies
        .iter()
        .filter(|(k, _)| crate::model::CiliumPolicyKind::parse(k).is_some())
        .collect();
    if !cilium.is_empty() {
        let total: usize = cilium.iter().map(|(_, n)| **n).sum();
        let kinds: Vec<String> = cilium.iter().map(|(k, n)| format!("{n} {k}")).collect();
        policies.push_str(&format!(
            " and {} ({})",
            count(total, "Cilium policy", "Cilium policies"),
            kinds.join(", ")
        ));
    }
    let calico: Vec<(&str, &usize)> = s
        .policies
        .iter()
        .filter_map(|(k, n)| {
            let kind = k.strip_prefix("projectcalico.org/")?;
            crate::model::CalicoPolicyKind::parse(kind).map(|_| (kind, n))
        })
        .collect();
    if !calico.is_empty() {
        let total: usize = calico.iter().map(|(_, n)| **n).sum();
        let kinds: Vec<String> = calico.iter().map(|(k, n)| format!("{n} {k}")).collect();
        policies.push_str(&format!(
            " and {} ({})",
            count(total, "Calico policy", "Calico policies"),
            kinds.join(", ")
        ));
    }
    let mut line = format!(
        "{} found across {}; {} of {} not covered",
        policies,
        count(s.namespaces, "namespace", "namespaces"),
        s.uncovered_workloads,
        count(s.workloads, "workload", "workloads"),
    );
    if s.host_network_workloads > 0 {
        line.push_str(&format!(
            ", {} on the host network",
            count(s.host_network_workloads, "workload", "workloads")
        ));
    }
    writeln!(out, "{line}")?;
    let f = s.findings;
    let mut findings = format!(
        "Findings: {}, {}, {}",
        count(f.error, "error", "errors"),
        count(f.warning, "warning", "warnings"),
        count(f.info, "info", "info"),
    );
    if s.suppressed > 0 {
        findings.push_str(&format!("; {} suppressed", s.suppressed));
    }
    writeln!(out, "{findings}")?;
    for note in &report.notes {
        writeln!(out, "note: {}", escape_lines(note))?;
    }
    if brief {
        for note in crate::report::ignored_policy_notes(&s.ignored_policies) {
            writeln!(out, "note: {}", escape_lines(&note))?;
        }
    }
    if !s.skipped_kinds.is_empty() {
        let total: usize = s.skipped_kinds.values().sum();
        let kinds: Vec<String> = s
            .skipped_kinds
            .iter()
            .map(|(k, n)| format!("{} {n}", escape(k)))
            .collect();
        writeln!(
            out,
            "Skipped {} of other kinds ({})",
            count(total, "object", "objects"),
            kinds.join(", ")
        )?;
    }
    Ok(())
}

/// `kubectl netpol-check rules`: one line per rule.
pub fn rules_table(rules: &[crate::checks::Rule]) -> String {
    let mut b = Builder::default();
    b.push_record(["ID", "NAME", "SEVERITY", "SUMMARY"]);
    for r in rules {
        b.push_record([r.id, r.name, r.severity.as_str(), r.summary]);
    }
    let mut table = b.build();
    table.with(Style::blank());
    let mut text = flush_left(&table.to_string());
    text.push('\n');
    text
}

/// Style::blank pads each cell by one space on both sides; kubectl's tables start flush left.
pub(crate) fn flush_left(table: &str) -> String {
    table
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}
