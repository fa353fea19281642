//! `--summary`: one line per namespace (workloads, how many are open, findings) and the one fix
//! that closes most of what is wrong there. A namespace default deny closes every NPC001 finding
//! of the workloads it would isolate, so those findings collapse into that one fix.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::report::{IsolationState, Report, WorkloadEntry};

const UNCOVERED: &str = "NPC001";

#[derive(Default)]
struct Line<'a> {
    workloads: usize,
    open: usize,
    findings: [usize; 3],
    /// Findings per rule, for the fix when no default deny is the answer.
    rules: BTreeMap<(&'a str, &'a str), usize>,
    /// NPC001 findings a namespace default deny would close, and the directions it must deny.
    closed_by_deny: usize,
    deny_ingress: bool,
    deny_egress: bool,
    uncovered: usize,
}

/// Whether a default deny in the workload's namespace isolates it in this direction: only for
/// a pod network workload that is open because no policy isolates it (not one that other APIs
/// leave unknown, ambiguous or open from outside the cluster).
fn deny_isolates(w: &WorkloadEntry, open: IsolationState) -> bool {
    !w.host_network && open == IsolationState::Open
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut lines: BTreeMap<&str, Line> = report
        .namespaces
        .iter()
        .map(|n| (n.name.as_str(), Line::default()))
        .collect();
    let workloads: std::collections::HashMap<(&str, &str, &str), &WorkloadEntry> = report
        .workloads
        .iter()
        .map(|w| ((w.namespace.as_str(), w.kind.as_str(), w.name.as_str()), w))
        .collect();
    for w in &report.workloads {
        let line = lines.entry(&w.namespace).or_default();
        line.workloads += 1;
        line.open += usize::from(!(w.ingress.isolated && w.egress.isolated));
    }
    let mut cluster_scoped = 0;
    for f in &report.findings {
        let Some(ns) = f.namespace.as_deref() else {
            cluster_scoped += 1;
            continue;
        };
        let line = lines.entry(ns).or_default();
        line.findings[match f.severity {
            crate::report::Severity::Error => 0,
            crate::report::Severity::Warning => 1,
            crate::report::Severity::Info => 2,
        }] += 1;
        if f.rule == UNCOVERED {
            line.uncovered += 1;
            if let Some(w) = workloads.get(&(ns, f.kind.as_str(), f.object.as_str())) {
                let ingress = !w.ingress.isolated;
                let egress = !w.egress.isolated;
                let fixes = (!ingress || deny_isolates(w, w.ingress.isolation))
                    && (!egress || deny_isolates(w, w.egress.isolation));
                if fixes {
                    line.closed_by_deny += 1;
                    line.deny_ingress |= ingress;
                    line.deny_egress |= egress;
                    continue;
                }
            }
        }
        *line
            .rules
            .entry((f.rule.as_str(), f.name.as_str()))
            .or_default() += 1;
    }

    let rows: Vec<[String; 5]> = lines
        .iter()
        .map(|(ns, l)| {
            let fix = if l.closed_by_deny > 0 {
                let directions = match (l.deny_ingress, l.deny_egress) {
                    (true, true) => "ingress and egress",
                    (true, false) => "ingress",
                    _ => "egress",
                };
                format!(
                    "a default deny for {directions} (podSelector: {{}}) closes {} of {} NPC001",
                    l.closed_by_deny, l.uncovered
                )
            } else if let Some(((rule, name), n)) = l
                .rules
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            {
                format!(
                    "{rule} {name}: {n} finding{}",
                    if *n == 1 { "" } else { "s" }
                )
            } else {
                "-".to_owned()
            };
            [
                crate::output::terminal::escape(ns).into_owned(),
                l.workloads.to_string(),
                l.open.to_string(),
                counts(l.findings),
                fix,
            ]
        })
        .collect();
    let header = [
        "NAMESPACE",
        "WORKLOADS",
        "OPEN",
        "FINDINGS",
        "FIX THAT CLOSES MOST",
    ];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut text = String::new();
    for r in std::iter::once(header.map(str::to_owned)).chain(rows) {
        let mut line = String::new();
        for (i, (c, w)) in r.iter().zip(widths).enumerate() {
            if i == 4 {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}   ", w = w));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    let s = &report.summary;
    text.push_str(&format!(
        "\n{} namespaces, {} workloads ({} uncovered), findings: {} error, {} warning, {} info",
        s.namespaces,
        s.workloads,
        s.uncovered_workloads,
        s.findings.error,
        s.findings.warning,
        s.findings.info
    ));
    if cluster_scoped > 0 {
        text.push_str(&format!(" ({cluster_scoped} on cluster-scoped objects)"));
    }
    text.push('\n');
    out.write_all(text.as_bytes())
}

fn counts(c: [usize; 3]) -> String {
    let parts: Vec<String> = c
        .iter()
        .zip(["error", "warning", "info"])
        .filter(|(n, _)| **n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
    if parts.is_empty() {
        "0".to_owned()
    } else {
        parts.join(", ")
    }
}
