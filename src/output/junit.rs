//! `-o junit`: JUnit XML in the shape Jenkins and GitLab read (Maven Surefire's, as kube-score
//! writes it). One `<testsuite>` per namespace holding, for each workload, one test case per
//! direction (a failure when the workload is not isolated that way) and one test case per
//! finding on that namespace's objects; findings on cluster-scoped objects go to a last suite.
//!
//! A finding is a `<failure>` when it fails the run (`--fail-on`), else `<skipped>` with its
//! severity: a CI page then shows red exactly when the exit status is 1, and the advice below the
//! threshold stays visible without failing the pipeline.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::report::{Finding, Isolation, IsolationState, Report, WorkloadEntry};

/// The suite of findings on objects without a namespace.
const CLUSTER_SUITE: &str = "cluster-scoped";

#[derive(Default)]
struct Suite<'a> {
    workloads: Vec<&'a WorkloadEntry>,
    findings: Vec<&'a Finding>,
}

pub fn render(
    report: &Report,
    fails: &dyn Fn(&Finding) -> bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut suites: BTreeMap<Option<&str>, Suite> = BTreeMap::new();
    for w in &report.workloads {
        suites
            .entry(Some(&w.namespace))
            .or_default()
            .workloads
            .push(w);
    }
    for f in &report.findings {
        suites
            .entry(f.namespace.as_deref())
            .or_default()
            .findings
            .push(f);
    }
    // Cluster-scoped findings last, as `None` sorts first.
    let mut ordered: Vec<(Option<&str>, &Suite)> = suites
        .iter()
        .filter(|(k, _)| k.is_some())
        .map(|(k, s)| (*k, s))
        .collect();
    if let Some(s) = suites.get(&None) {
        ordered.push((None, s));
    }

    let count = |s: &Suite| {
        let failed_directions = s
            .workloads
            .iter()
            .map(|w| usize::from(!w.ingress.isolated) + usize::from(!w.egress.isolated))
            .sum::<usize>();
        let failed_findings = s.findings.iter().filter(|f| fails(f)).count();
        let tests = 2 * s.workloads.len() + s.findings.len();
        let failures = failed_directions + failed_findings;
        (tests, failures, s.findings.len() - failed_findings)
    };
    let (mut tests, mut failures) = (0, 0);
    for (_, s) in &ordered {
        let (t, f, _) = count(s);
        tests += t;
        failures += f;
    }
    let timestamp = report
        .generator
        .as_ref()
        .map(|g| g.timestamp.trim_end_matches('Z').to_owned());

    let mut text = String::with_capacity(256 * (tests + 1));
    text.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    text.push_str(&format!(
        "<testsuites name=\"netpol-check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"0\">\n"
    ));
    for (namespace, suite) in ordered {
        let (t, f, skipped) = count(suite);
        let name = match namespace {
            Some(n) => format!("namespace {n}"),
            None => CLUSTER_SUITE.to_owned(),
        };
        text.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{f}\" errors=\"0\" skipped=\"{skipped}\" time=\"0\"",
            escape(&name)
        ));
        if let Some(ts) = &timestamp {
            text.push_str(&format!(" timestamp=\"{ts}\""));
        }
        text.push_str(">\n");
        for w in &suite.workloads {
            let class = escape(&format!("{}.{}/{}", w.namespace, w.kind, w.name));
            direction(&mut text, &class, "ingress", &w.ingress, w);
            direction(&mut text, &class, "egress", &w.egress, w);
        }
        for f in &suite.findings {
            let class = match &f.namespace {
                Some(n) => format!("{n}.{}/{}", f.kind, f.object),
                None => format!("{}/{}", f.kind, f.object),
            };
            text.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{} {}\" time=\"0\">\n",
                escape(&class),
                escape(&f.rule),
                escape(&f.name)
            ));
            let element = if fails(f) { "failure" } else { "skipped" };
            let mut body = format!("{}\n\nRemediation: {}", f.message, f.remediation);
            if let Some(file) = &f.file {
                body.push_str(&format!("\n\nAt {file}"));
                if let Some(line) = f.line {
                    body.push_str(&format!(":{line}"));
                }
            }
            text.push_str(&format!(
                "      <{element} type=\"{}\" message=\"{}\">{}</{element}>\n    </testcase>\n",
                f.severity.as_str(),
                escape(&f.message),
                escape(&body)
            ));
        }
        text.push_str("  </testsuite>\n");
    }
    text.push_str("</testsuites>\n");
    out.write_all(text.as_bytes())
}

fn direction(text: &mut String, class: &str, way: &str, d: &Isolation, w: &WorkloadEntry) {
    text.push_str(&format!(
        "    <testcase classname=\"{class}\" name=\"{way} isolated\" time=\"0\""
    ));
    if d.isolated {
        text.push_str("/>\n");
        return;
    }
    let state = match d.isolation {
        IsolationState::Isolated => "isolated",
        IsolationState::PodsOnly => "pods-only",
        IsolationState::Open => "open",
        IsolationState::Unknown => "unknown",
        IsolationState::Ambiguous => "ambiguous",
    };
    let mut message = if w.host_network {
        format!(
            "{} {}/{} runs on the host network: not isolated for {way}",
            w.kind, w.namespace, w.name
        )
    } else {
        format!(
            "{} {}/{} is not isolated for {way} ({state})",
            w.kind, w.namespace, w.name
        )
    };
    if let Some(reason) = &d.reason {
        message.push_str(&format!(": {reason}"));
    }
    text.push_str(&format!(
        ">\n      <failure type=\"{state}\" message=\"{}\"/>\n    </testcase>\n",
        escape(&message)
    ));
}

/// Text for XML attributes and content. Characters XML 1.0 cannot carry at all (most C0
/// controls) are written as U+FFFD: a name holding one would otherwise make the whole file
/// unreadable to the CI.
pub(crate) fn escape(s: &str) -> String {
    crate::output::markup::escape(s, crate::output::markup::Controls::CharRefs)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_controls_cannot_escape_an_attribute() {
        assert_eq!(
            escape("a\"<b>&'\u{1}\n"),
            "a&quot;&lt;b&gt;&amp;&#39;\u{FFFD}&#10;"
        );
    }
}
