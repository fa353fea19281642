//! `diff` outputs: sentences for a terminal, markdown for a pull-request comment, the
//! `ConnectivityDiff` object as JSON, and SARIF for code scanning.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::diff::{Change, ConnectivityDiff, CoverageStep};
use crate::report::{Finding, Severity};

use super::sarif;

/// How many entries a markdown section shows before the rest goes into a collapsed block.
const SHOWN: usize = 10;

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// One line saying what the change does.
pub fn summary_line(d: &ConnectivityDiff) -> String {
    let s = &d.summary;
    let mut parts = Vec::new();
    // In the order a reviewer wants them: what gets worse first.
    for (n, one, many, what) in [
        (
            s.coverage_lost,
            "workload direction",
            "workload directions",
            "lose isolation",
        ),
        (
            s.new_uncovered,
            "new workload",
            "new workloads",
            "not covered",
        ),
        (
            s.pairs_opened,
            "workload pair",
            "workload pairs",
            "with connections opened",
        ),
        (
            s.external_opened,
            "external range",
            "external ranges",
            "opened",
        ),
        (
            s.pairs_closed,
            "workload pair",
            "workload pairs",
            "with connections closed",
        ),
        (
            s.external_closed,
            "external range",
            "external ranges",
            "closed",
        ),
        (
            s.coverage_gained,
            "workload direction",
            "workload directions",
            "gain isolation",
        ),
    ] {
        if n > 0 {
            parts.push(format!("{} {what}", plural(n, one, many)));
        }
    }
    let added = s.findings_added.error + s.findings_added.warning + s.findings_added.info;
    if added > 0 {
        let errors = match s.findings_added.error {
            0 => String::new(),
            n => format!(" ({})", plural(n, "error", "errors")),
        };
        parts.push(format!(
            "{} added{errors}",
            plural(added, "finding", "findings")
        ));
    }
    let removed = s.findings_removed.error + s.findings_removed.warning + s.findings_removed.info;
    if removed > 0 {
        parts.push(format!(
            "{} removed",
            plural(removed, "finding", "findings")
        ));
    }
    for (n, one, many, what) in [
        (s.workloads_added, "workload", "workloads", "added"),
        (s.workloads_removed, "workload", "workloads", "removed"),
        (s.policies_added, "policy", "policies", "added"),
        (s.policies_changed, "policy", "policies", "changed"),
        (s.policies_removed, "policy", "policies", "removed"),
    ] {
        if n > 0 {
            parts.push(format!("{} {what}", plural(n, one, many)));
        }
    }
    if parts.is_empty() {
        "No change to coverage, connections or findings.".to_owned()
    } else {
        format!("{}.", parts.join("; "))
    }
}

fn coverage_word(c: CoverageStep) -> &'static str {
    match c {
        CoverageStep::Lost => "LOST",
        CoverageStep::Gained => "GAINED",
        CoverageStep::Changed => "CHANGED",
    }
}

fn change_word(c: Change) -> &'static str {
    match c {
        Change::Opened => "OPENED",
        Change::Closed => "CLOSED",
        Change::Changed => "CHANGED",
    }
}

fn finding_line(f: &Finding) -> String {
    let at = match (&f.file, f.line) {
        (Some(file), Some(line)) => format!(" ({file}:{line})"),
        (Some(file), None) => format!(" ({file})"),
        _ => String::new(),
    };
    format!("{} {} {}{at}", f.severity.as_str(), f.rule, f.message)
}

fn added_line(a: &crate::diff::AddedWorkload) -> String {
    let state = match (a.ingress.isolated, a.egress.isolated) {
        (true, true) => "covered",
        (false, true) => "not isolated for ingress",
        (true, false) => "not isolated for egress",
        (false, false) => "not isolated for ingress or egress",
    };
    format!("{} ({state})", a.workload.describe())
}

/// The changes in sentences, for a terminal.
pub fn table(d: &ConnectivityDiff, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", summary_line(d))?;
    if !d.coverage.is_empty() {
        writeln!(out, "\nCoverage:")?;
        for c in &d.coverage {
            writeln!(out, "  {:<8}{}", coverage_word(c.change), c.message)?;
        }
    }
    if !d.workloads.added.is_empty() || !d.workloads.removed.is_empty() {
        writeln!(out, "\nWorkloads:")?;
        for a in &d.workloads.added {
            writeln!(out, "  {:<8}{}", "ADDED", added_line(a))?;
        }
        for r in &d.workloads.removed {
            writeln!(out, "  {:<8}{}", "REMOVED", r.describe())?;
        }
    }
    let p = &d.policies;
    if !p.added.is_empty() || !p.changed.is_empty() || !p.removed.is_empty() {
        writeln!(out, "\nPolicies:")?;
        for (word, list) in [
            ("ADDED", &p.added),
            ("CHANGED", &p.changed),
            ("REMOVED", &p.removed),
        ] {
            for policy in list {
                writeln!(out, "  {word:<8}{}", policy.describe())?;
            }
        }
    }
    if !d.connections.is_empty() {
        writeln!(out, "\nConnections:")?;
        for c in &d.connections {
            writeln!(out, "  {:<8}{}", change_word(c.change), c.message)?;
            for e in &c.examples {
                writeln!(
                    out,
                    "          {} => {} : {} -> {}",
                    e.source, e.destination, e.before, e.after
                )?;
            }
        }
    }
    if !d.external.is_empty() {
        writeln!(out, "\nExternal addresses:")?;
        for e in &d.external {
            writeln!(out, "  {:<8}{}", change_word(e.change), e.message)?;
        }
    }
    if !d.findings.added.is_empty() || !d.findings.removed.is_empty() {
        writeln!(out, "\nFindings:")?;
        for f in &d.findings.added {
            writeln!(out, "  {:<8}{}", "ADDED", finding_line(f))?;
        }
        for f in &d.findings.removed {
            writeln!(out, "  {:<8}{}", "REMOVED", finding_line(f))?;
        }
    }
    if let Some(pairs) = &d.pairs {
        writeln!(out, "\nPairs:")?;
        for e in pairs {
            writeln!(
                out,
                "  {} => {} : {} -> {}",
                e.source, e.destination, e.before, e.after
            )?;
        }
    }
    for note in &d.notes {
        writeln!(out, "\nnote: {note}")?;
    }
    Ok(())
}

/// Text made inert for markdown: no HTML, no table cell breaks, no emphasis or links.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            '|' | '*' | '_' | '`' | '[' | ']' | '\\' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A markdown section: its title and its items, each one line.
struct Section {
    title: &'static str,
    items: Vec<String>,
}

/// How much of each section a comment of at most `limit` bytes holds: first the [`SHOWN`]
/// items of every section (in order), then the collapsed rest (in order), so that a long
/// section does not push the later ones out. `fixed` is what the comment holds besides the
/// items. Returns, per section, how many items are written.
fn fit(sections: &[Section], fixed: usize, limit: Option<usize>) -> Vec<usize> {
    let Some(limit) = limit else {
        return sections.iter().map(|s| s.items.len()).collect();
    };
    let mut used = fixed;
    let mut kept: Vec<usize> = sections
        .iter()
        .map(|s| take(&s.items[..s.items.len().min(SHOWN)], 0, &mut used, limit))
        .collect();
    for (section, kept) in sections.iter().zip(&mut kept) {
        if *kept == SHOWN && section.items.len() > SHOWN {
            let tags = DETAILS_TAGS + section.items.len().to_string().len();
            *kept += take(&section.items[SHOWN..], tags, &mut used, limit);
        }
    }
    kept
}

/// How many of `items`, from the first, fit in what `used` leaves of `limit` (each written as
/// `- item` and a newline, the first with `extra` bytes more), `used` growing by what they take.
fn take(items: &[String], extra: usize, used: &mut usize, limit: usize) -> usize {
    let mut n = 0;
    for item in items {
        let cost = item.len() + 3 + if n == 0 { extra } else { 0 };
        if *used + cost > limit {
            break;
        }
        *used += cost;
        n += 1;
    }
    n
}

/// The bytes of a collapsed block's tags, besides its count.
const DETAILS_TAGS: usize = "\n<details><summary> more</summary>\n\n\n</details>\n".len();

/// The line a section ends with when the comment's limit left items out.
fn left_out_line(n: usize) -> String {
    format!(
        "\n_{} not shown: the comment is kept under its size limit (`--markdown-limit`); \
         `-o json` lists every change._",
        plural(n, "more item", "more items")
    )
}

/// The most bytes a [`left_out_line`] takes.
const LEFT_OUT_LINE: usize = 160;

/// A section's list: the first `kept` items, those past [`SHOWN`] collapsed, and a line
/// counting the items left out.
fn md_section(out: &mut dyn Write, section: &Section, kept: usize) -> io::Result<()> {
    let items = &section.items;
    if items.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n#### {} ({})\n", section.title, items.len())?;
    for item in items.iter().take(kept.min(SHOWN)) {
        writeln!(out, "- {item}")?;
    }
    if kept > SHOWN {
        writeln!(out, "\n<details><summary>{} more</summary>\n", kept - SHOWN)?;
        for item in &items[SHOWN..kept] {
            writeln!(out, "- {item}")?;
        }
        writeln!(out, "\n</details>")?;
    }
    if kept < items.len() {
        writeln!(out, "{}", left_out_line(items.len() - kept))?;
    }
    Ok(())
}

/// For a pull-request comment, of at most `limit` bytes when given (GitHub refuses a comment
/// of more than 65,536 characters, which a change to a large cluster easily makes): every
/// section keeps its first items, and says how many it leaves out.
pub fn markdown(d: &ConnectivityDiff, limit: Option<usize>, out: &mut dyn Write) -> io::Result<()> {
    let mut sections = Vec::new();
    let coverage: Vec<String> = d
        .coverage
        .iter()
        .map(|c| {
            format!(
                "**{}** {}",
                coverage_word(c.change).to_lowercase(),
                md(&c.message)
            )
        })
        .collect();
    sections.push(Section {
        title: "Coverage",
        items: coverage,
    });
    let connection = |c: &crate::diff::ConnectionChange| {
        let mut s = md(&c.message);
        if !c.examples.is_empty() {
            let examples: Vec<String> = c
                .examples
                .iter()
                .map(|e| {
                    format!(
                        "`{} => {}`: {} -> {}",
                        e.source.replace('`', "'"),
                        e.destination.replace('`', "'"),
                        md(&e.before),
                        md(&e.after)
                    )
                })
                .collect();
            s.push_str(&format!(" (e.g. {})", examples.join("; ")));
        }
        s
    };
    for (title, change) in [
        ("Connections opened", Change::Opened),
        ("Connections changed", Change::Changed),
        ("Connections closed", Change::Closed),
    ] {
        let items: Vec<String> = d
            .connections
            .iter()
            .filter(|c| c.change == change)
            .map(connection)
            .collect();
        sections.push(Section { title, items });
    }
    let external: Vec<String> = d
        .external
        .iter()
        .map(|e| format!("**{}** {}", e.change.as_str(), md(&e.message)))
        .collect();
    sections.push(Section {
        title: "External addresses",
        items: external,
    });
    let added: Vec<String> = d
        .workloads
        .added
        .iter()
        .map(|a| md(&added_line(a)))
        .collect();
    sections.push(Section {
        title: "Workloads added",
        items: added,
    });
    let removed: Vec<String> = d
        .workloads
        .removed
        .iter()
        .map(|r| md(&r.describe()))
        .collect();
    sections.push(Section {
        title: "Workloads removed",
        items: removed,
    });
    for (title, list) in [
        ("Policies added", &d.policies.added),
        ("Policies changed", &d.policies.changed),
        ("Policies removed", &d.policies.removed),
    ] {
        let items: Vec<String> = list.iter().map(|p| md(&p.describe())).collect();
        sections.push(Section { title, items });
    }
    let findings = |list: &[Finding]| -> Vec<String> {
        list.iter()
            .map(|f| {
                let sev = f.severity.as_str();
                let marker = if f.severity == Severity::Error {
                    format!("**{sev}**")
                } else {
                    sev.to_owned()
                };
                format!("{marker} {}", md(&finding_line(f)[sev.len() + 1..]))
            })
            .collect()
    };
    sections.push(Section {
        title: "Findings added",
        items: findings(&d.findings.added),
    });
    sections.push(Section {
        title: "Findings removed",
        items: findings(&d.findings.removed),
    });
    if let Some(pairs) = &d.pairs {
        let items: Vec<String> = pairs
            .iter()
            .map(|e| {
                format!(
                    "`{} => {}`: {} -> {}",
                    e.source.replace('`', "'"),
                    e.destination.replace('`', "'"),
                    md(&e.before),
                    md(&e.after)
                )
            })
            .collect();
        sections.push(Section {
            title: "Pairs",
            items,
        });
    }
    let head = format!("### netpol-check diff\n\n**{}**\n", md(&summary_line(d)));
    let notes: Vec<String> = d
        .notes
        .iter()
        .map(|note| format!("\n> note: {}\n", md(note)))
        .collect();
    let fixed = head.len()
        + notes.iter().map(String::len).sum::<usize>()
        + sections
            .iter()
            .filter(|s| !s.items.is_empty())
            .map(|s| s.title.len() + 24 + LEFT_OUT_LINE)
            .sum::<usize>();
    let kept = fit(&sections, fixed, limit);
    out.write_all(head.as_bytes())?;
    for (section, kept) in sections.iter().zip(kept) {
        md_section(out, section, kept)?;
    }
    for note in notes {
        out.write_all(note.as_bytes())?;
    }
    Ok(())
}

pub fn json(d: &ConnectivityDiff, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, d)?;
    writeln!(out)
}

const OPENED: &str = "diff-opened";
const UNCOVERED: &str = "diff-uncovered";

fn sarif_result(
    d: &ConnectivityDiff,
    rule: &str,
    level: &str,
    message: &str,
    object: (&str, Option<&str>, &str),
    at: (Option<&str>, Option<u32>),
) -> Value {
    let (kind, namespace, name) = object;
    // A finding-shaped stand-in, so that locations and pseudo paths follow the report's SARIF.
    let stand_in = Finding {
        rule: rule.to_owned(),
        name: rule.to_owned(),
        severity: Severity::Error,
        namespace: namespace.map(str::to_owned),
        kind: kind.to_owned(),
        object: name.to_owned(),
        message: message.to_owned(),
        remediation: String::new(),
        file: at.0.map(str::to_owned),
        line: at.1,
        suppression_reason: None,
        cluster: None,
    };
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": { "uri": sarif::artifact_uri_in(&d.head, &stand_in) },
        },
        "logicalLocations": [{
            "name": name,
            "fullyQualifiedName": match namespace {
                Some(ns) => format!("{ns}/{kind}/{name}"),
                None => format!("{kind}/{name}"),
            },
            "kind": "resource",
        }],
    });
    if let Some(line) = at.1.filter(|_| at.0.is_some()) {
        location["physicalLocation"]["region"] = json!({ "startLine": line });
    }
    json!({
        "ruleId": rule,
        "level": level,
        "message": { "text": message },
        "locations": [location],
        "partialFingerprints": { sarif::FINGERPRINT_KEY: sarif::fingerprint(&stand_in) },
    })
}

/// New openings and newly uncovered workloads as SARIF results, at the rule that opens (or
/// the workload that arrives) and its line.
pub fn sarif(d: &ConnectivityDiff, out: &mut dyn Write) -> io::Result<()> {
    let mut results = Vec::new();
    for c in &d.coverage {
        if c.change == CoverageStep::Lost {
            let w = &c.workload;
            results.push(sarif_result(
                d,
                UNCOVERED,
                "error",
                &c.message,
                (&w.kind, Some(&w.namespace), &w.name),
                (w.file.as_deref(), w.line),
            ));
        }
    }
    for a in &d.workloads.added {
        if !a.covered() {
            let w = &a.workload;
            results.push(sarif_result(
                d,
                UNCOVERED,
                "error",
                &format!("new workload {}", added_line(a)),
                (&w.kind, Some(&w.namespace), &w.name),
                (w.file.as_deref(), w.line),
            ));
        }
    }
    let opened = d
        .connections
        .iter()
        .filter(|c| c.change != Change::Closed)
        .map(|c| (&c.message, &c.workload, &c.rules))
        .chain(
            d.external
                .iter()
                .filter(|e| e.change != Change::Closed)
                .map(|e| (&e.message, &e.workload, &e.rules)),
        );
    for (message, w, rules) in opened {
        // At the first rule that now allows it, where the reviewer looks.
        let (object, at) = match rules.first() {
            Some(r) if r.policy.file.is_some() => (
                (
                    r.policy.kind.as_str(),
                    r.policy.namespace.as_deref(),
                    r.policy.name.as_str(),
                ),
                (r.policy.file.as_deref(), r.policy.line),
            ),
            _ => (
                (w.kind.as_str(), Some(w.namespace.as_str()), w.name.as_str()),
                (w.file.as_deref(), w.line),
            ),
        };
        results.push(sarif_result(d, OPENED, "warning", message, object, at));
    }
    let rule = |id: &str, name: &str, text: &str| {
        json!({
            "id": id,
            "name": name,
            "shortDescription": { "text": text },
            "fullDescription": { "text": text },
        })
    };
    let log = json!({
        "$schema": sarif::SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "netpol-check",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": [
                        rule(UNCOVERED, "uncovered-by-change", "The change leaves a workload less isolated, or brings a workload that is not isolated for ingress and egress."),
                        rule(OPENED, "opened-by-change", "The change opens connections that were denied before."),
                    ],
                }
            },
            "invocations": [{ "executionSuccessful": true }],
            "columnKind": "utf16CodeUnits",
            "results": results,
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(title: &'static str, n: usize) -> Section {
        Section {
            title,
            items: (0..n).map(|i| format!("{title} item {i:04}")).collect(),
        }
    }

    #[test]
    fn every_section_keeps_its_first_items_before_any_collapsed_one() {
        let sections = [section("long", 100), section("tail", 5)];
        // "- long item 0000\n": 17 bytes.
        let cost = sections[0].items[0].len() + 3;
        assert_eq!(cost, 17);
        let tags = DETAILS_TAGS + "100".len();
        let limit = 1000 + cost * 20 + tags;
        let kept = fit(&sections, 1000, Some(limit));
        assert_eq!(
            kept,
            vec![15, 5],
            "the short section after the long one is whole"
        );
        // What is written fits, and one more item would not have.
        let used = 1000 + cost * (kept[0] + kept[1]) + tags;
        assert!(used <= limit && used + cost > limit, "{used}, {limit}");
    }

    #[test]
    fn without_a_limit_every_item_is_kept() {
        let sections = [section("a", 300), section("b", 0)];
        assert_eq!(fit(&sections, 0, None), vec![300, 0]);
    }

    #[test]
    fn a_section_whose_first_items_do_not_fit_has_nothing_collapsed() {
        let sections = [section("a", 30)];
        // "- a item 0000\n": 14 bytes.
        let kept = fit(&sections, 0, Some(14 * 4 + 5));
        assert_eq!(kept, vec![4]);
    }
}
