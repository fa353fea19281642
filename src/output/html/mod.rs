//! `-o html`: the report as one self-contained page (docs/html-report.md). The markup is
//! `template.html` with `{{section}}` markers, filled here; the style and the script are
//! `style.css` and `script.js`, inlined. Nothing is fetched: the page's Content-Security-Policy
//! forbids any request.
//!
//! What must read without JavaScript (the summary, the coverage table, the findings) is
//! written as HTML. The workloads and their explanations are one compact JSON document that the
//! script renders a page at a time: as HTML rows, 100,000 workloads with their policies made
//! the page several times larger and slow to open.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::report::{DecidedBy, Finding, Isolation, IsolationState, Report, Severity};

const TEMPLATE: &str = include_str!("template.html");
const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("script.js");

/// The namespace connectivity graph, as inline SVG markup, or why there is none.
pub struct Extras<'a> {
    pub graph: Result<&'a str, &'a str>,
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let none = Extras {
        graph: Err("The namespace connectivity graph is not available in this report."),
    };
    render_with(report, &none, out)
}

pub fn render_with(report: &Report, extras: &Extras<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut rest = TEMPLATE;
    while let Some(at) = rest.find("{{") {
        out.write_all(&rest.as_bytes()[..at])?;
        let end = rest[at..]
            .find("}}")
            .map(|e| at + e)
            .expect("template markers are closed");
        let name = &rest[at + 2..end];
        let mut text = String::new();
        match name {
            "title" => text.push_str(&escape(&title(report))),
            "style" => text.push_str(STYLE),
            "script" => text.push_str(SCRIPT),
            "meta" => meta(report, &mut text),
            "cards" => cards(report, &mut text),
            "heat" => heat(report, &mut text),
            "graph" => graph(extras, &mut text),
            "filters" => filters(report, &mut text),
            "findings" => {
                findings(report, out)?;
            }
            "notes" => notes(report, &mut text),
            "rules" => rules(report, &mut text),
            "data" => data(report, &mut text),
            other => unreachable!("unknown template marker {other}"),
        }
        out.write_all(text.as_bytes())?;
        rest = &rest[end + 2..];
    }
    out.write_all(rest.as_bytes())
}

/// Above these, the namespace graph is left out of the page: a graph of hundreds of edges is
/// unreadable, working out the namespace matrix would make writing the page much slower than
/// writing the JSON report, and laying out the graph grows faster than its edges (40 densely
/// connected namespaces took minutes).
const GRAPH_MAX_NAMESPACES: usize = 60;
const GRAPH_MAX_WORKLOADS: usize = 1_000;
const GRAPH_MAX_EDGES: usize = 150;

/// The namespace connectivity graph of an inventory as inline SVG markup (the workloads `-l`
/// reports), or why the page has none.
pub fn namespace_graph(
    inventory: &crate::model::Inventory,
    options: &crate::analysis::Options,
) -> Result<String, String> {
    let namespaces: BTreeSet<&str> = inventory
        .workloads
        .iter()
        .map(|w| w.namespace.as_str())
        .collect();
    if namespaces.len() > GRAPH_MAX_NAMESPACES || inventory.workloads.len() > GRAPH_MAX_WORKLOADS {
        return Err(format!(
            "The namespace connectivity graph is left out of reports of more than {GRAPH_MAX_NAMESPACES} \
             namespaces or {GRAPH_MAX_WORKLOADS} workloads (this one has {} and {}): \
             `kubectl netpol-check matrix --by namespace` gives the namespace matrix, with -n or \
             -l for a readable part of it.",
            namespaces.len(),
            inventory.workloads.len()
        ));
    }
    let engine =
        crate::connectivity::engine::Engine::with_host_network(inventory, options.host_network);
    let matrix = crate::connectivity::namespaces::by_namespace(&engine, |w| {
        options.reports(&inventory.workloads[w])
    });
    if matrix.entries.len() > GRAPH_MAX_EDGES {
        return Err(format!(
            "The namespace connectivity graph is left out: its {} edges (more than \
             {GRAPH_MAX_EDGES}) would not be readable. `kubectl netpol-check matrix --by \
             namespace` gives the namespace matrix, with -n or -l for a readable part of it.",
            matrix.entries.len()
        ));
    }
    let graph = super::graph::model::namespace_graph(&matrix, "Namespace connectivity".to_owned());
    let mut svg = Vec::new();
    super::graph::svg::render(&graph, &mut svg).map_err(|e| e.to_string())?;
    let svg = String::from_utf8(svg).map_err(|e| e.to_string())?;
    // Inline SVG in HTML: no XML declaration or doctype.
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].to_owned())
}

fn title(report: &Report) -> String {
    let s = &report.source;
    match (&s.context, s.kind.as_str()) {
        (Some(context), _) => format!("NetworkPolicy coverage of {context}"),
        (None, "helm") => "NetworkPolicy coverage of a Helm release".to_owned(),
        _ if s.files.len() == 1 => format!("NetworkPolicy coverage of {}", s.files[0]),
        _ => "NetworkPolicy coverage of manifests".to_owned(),
    }
}

fn meta(report: &Report, text: &mut String) {
    let s = &report.source;
    let what = match s.kind.as_str() {
        "cluster" => format!(
            "cluster context <b>{}</b>{}",
            escape(s.context.as_deref().unwrap_or("")),
            s.server
                .as_deref()
                .map(|u| format!(" ({})", escape(u)))
                .unwrap_or_default()
        ),
        "helm" => "a Helm release (post-render)".to_owned(),
        _ => {
            let mut files: Vec<String> = s.files.iter().take(5).map(|f| escape(f)).collect();
            if s.files.len() > 5 {
                files.push(format!("and {} more", s.files.len() - 5));
            }
            format!("manifests {}", files.join(", "))
        }
    };
    let _ = write!(text, "Source: {what}.");
    if let Some(g) = &report.generator {
        let _ = write!(
            text,
            " Written by {} {} at <time datetime=\"{ts}\">{ts}</time>.",
            escape(&g.name),
            escape(&g.version),
            ts = escape(&g.timestamp)
        );
    }
}

fn cards(report: &Report, text: &mut String) {
    let s = &report.summary;
    let card = |text: &mut String, id: &str, n: usize, label: &str, class: &str| {
        let _ = write!(
            text,
            "<li class=\"card {class}\" id=\"card-{id}\"><span class=\"n\">{n}</span> <span class=\"l\">{label}</span></li>"
        );
    };
    card(text, "namespaces", s.namespaces, "namespaces", "");
    card(text, "workloads", s.workloads, "workloads", "");
    card(
        text,
        "uncovered",
        s.uncovered_workloads,
        "uncovered workloads",
        if s.uncovered_workloads > 0 {
            "bad"
        } else {
            "good"
        },
    );
    card(
        text,
        "host-network",
        s.host_network_workloads,
        "on the host network",
        "",
    );
    card(text, "policies", s.network_policies, "NetworkPolicies", "");
    card(
        text,
        "errors",
        s.findings.error,
        "error findings",
        "sev-error",
    );
    card(
        text,
        "warnings",
        s.findings.warning,
        "warning findings",
        "sev-warning",
    );
    card(text, "infos", s.findings.info, "info findings", "sev-info");
}

/// Per namespace: workloads, isolated both ways / ingress / egress, and findings by severity.
#[derive(Default)]
struct NamespaceRow {
    workloads: usize,
    both: usize,
    ingress: usize,
    egress: usize,
    findings: [usize; 3],
}

fn heat(report: &Report, text: &mut String) {
    let mut rows: BTreeMap<&str, NamespaceRow> = report
        .namespaces
        .iter()
        .map(|n| (n.name.as_str(), NamespaceRow::default()))
        .collect();
    for w in &report.workloads {
        let row = rows.entry(&w.namespace).or_default();
        row.workloads += 1;
        row.ingress += usize::from(w.ingress.isolated);
        row.egress += usize::from(w.egress.isolated);
        row.both += usize::from(w.ingress.isolated && w.egress.isolated);
    }
    for f in &report.findings {
        if let Some(n) = &f.namespace {
            rows.entry(n).or_default().findings[sev_index(f.severity)] += 1;
        }
    }
    let deny: HashMap<&str, (bool, bool)> = report
        .namespaces
        .iter()
        .map(|n| {
            (
                n.name.as_str(),
                (n.default_deny.ingress, n.default_deny.egress),
            )
        })
        .collect();
    for (name, row) in &rows {
        let name_html = escape(name);
        let _ = write!(
            text,
            "<tr><th scope=\"row\">{name_html}</th><td class=\"num\">{}</td>",
            row.workloads
        );
        for isolated in [row.both, row.ingress, row.egress] {
            if let Some(pct) = (isolated * 100).checked_div(row.workloads) {
                let level = match pct {
                    100 => 4,
                    75..=99 => 3,
                    50..=74 => 2,
                    1..=49 => 1,
                    _ => 0,
                };
                let _ = write!(
                    text,
                    "<td class=\"num heat-{level}\">{pct}% <span class=\"of\">({isolated}/{})</span></td>",
                    row.workloads
                );
            } else {
                text.push_str("<td class=\"num heat-none\">–</td>");
            }
        }
        let (i, e) = deny.get(name).copied().unwrap_or_default();
        let dd = match (i, e) {
            (true, true) => "ingress, egress",
            (true, false) => "ingress",
            (false, true) => "egress",
            (false, false) => "none",
        };
        let _ = write!(
            text,
            "<td class=\"{}\">{dd}</td><td class=\"num\">{}</td></tr>",
            if (i, e) == (true, true) { "" } else { "warn" },
            finding_counts(row.findings)
        );
        text.push('\n');
    }
}

fn finding_counts(c: [usize; 3]) -> String {
    if c == [0, 0, 0] {
        return "0".to_owned();
    }
    let mut parts = Vec::new();
    for (n, word) in c.iter().zip(["error", "warning", "info"]) {
        if *n > 0 {
            parts.push(format!("<span class=\"sev sev-{word}\">{n} {word}</span>"));
        }
    }
    parts.join(" ")
}

fn sev_index(s: Severity) -> usize {
    match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

fn graph(extras: &Extras<'_>, text: &mut String) {
    match extras.graph {
        Ok(svg) => {
            text.push_str(
                "<div class=\"controls graph-controls\" role=\"group\" aria-label=\"Zoom the graph\">\
                 <button type=\"button\" data-zoom=\"in\" aria-label=\"Zoom in\">+</button>\
                 <button type=\"button\" data-zoom=\"out\" aria-label=\"Zoom out\">−</button>\
                 <button type=\"button\" data-zoom=\"reset\">Reset</button>\
                 <span class=\"hint\">Keyboard on the graph: + and − zoom, arrows pan, 0 resets.</span></div>\
                 <div class=\"graph\" id=\"graph\" tabindex=\"0\" role=\"img\" aria-label=\"Which namespaces may open connections to which\">",
            );
            text.push_str(svg);
            text.push_str("</div>");
        }
        Err(why) => {
            let _ = write!(
                text,
                "<p class=\"unavailable\" id=\"graph-unavailable\">{}</p>",
                escape(why)
            );
        }
    }
}

fn filters(report: &Report, text: &mut String) {
    let rules: BTreeSet<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.name.as_str()))
        .collect();
    let namespaces: BTreeSet<&str> = report
        .findings
        .iter()
        .filter_map(|f| f.namespace.as_deref())
        .collect();
    text.push_str("<label>Rule <select id=\"f-rule\"><option value=\"\">all rules</option>");
    for (id, name) in rules {
        let _ = write!(
            text,
            "<option value=\"{}\">{} {}</option>",
            escape(id),
            escape(id),
            escape(name)
        );
    }
    text.push_str("</select></label> <label>Severity <select id=\"f-sev\"><option value=\"\">all severities</option>");
    for s in ["error", "warning", "info"] {
        let _ = write!(text, "<option value=\"{s}\">{s}</option>");
    }
    text.push_str("</select></label> <label>Namespace <select id=\"f-ns\"><option value=\"\">all namespaces</option>");
    for n in namespaces {
        let n = escape(n);
        let _ = write!(text, "<option value=\"{n}\">{n}</option>");
    }
    text.push_str("</select></label>");
}

/// Above this many findings, rows leave out their own fix: with them, the 100,000-workload
/// benchmark's page (74,000 findings) was over 30 MB. The rules' explanations stay, below the
/// table, and every fix is in `-o json`.
const FIX_ROWS_MAX: usize = 20_000;

/// The findings as table rows, written straight out: they are most of a large report.
fn findings(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let index: HashMap<(&str, &str, &str), usize> = report
        .workloads
        .iter()
        .enumerate()
        .map(|(i, w)| ((w.namespace.as_str(), w.kind.as_str(), w.name.as_str()), i))
        .collect();
    let fixes = report.findings.len() <= FIX_ROWS_MAX;
    // One input file (the page's header names it): rows give the line alone.
    let single_file = report.source.files.len() == 1;
    let mut text = String::with_capacity(64 * 1024);
    for f in &report.findings {
        finding_row(f, &index, single_file, fixes, &mut text);
        if text.len() > 60 * 1024 {
            out.write_all(text.as_bytes())?;
            text.clear();
        }
    }
    if report.findings.is_empty() {
        text.push_str("<tr><td colspan=\"5\">No findings.</td></tr>");
    }
    out.write_all(text.as_bytes())
}

fn finding_row(
    f: &Finding,
    index: &HashMap<(&str, &str, &str), usize>,
    single_file: bool,
    fixes: bool,
    text: &mut String,
) {
    let ns = f.namespace.as_deref().unwrap_or("");
    let sev = f.severity.as_str();
    // As few bytes as the page can do with (74,000 rows on the benchmark): the script reads
    // the rule and namespace from the cells; unquoted attributes hold only letters and digits.
    let _ = write!(text, "<tr class={}", &sev[..1]);
    if let Some(i) = index.get(&(ns, f.kind.as_str(), f.object.as_str())) {
        let _ = write!(text, " data-w={i}");
    }
    // End tags of cells and rows are implied (HTML's optional tags).
    let _ = write!(
        text,
        "><td>{sev}<td>{}<td>{}<td>{}/{}<td>{}",
        escape(&f.rule),
        escape(ns),
        escape(&f.kind),
        escape(&f.object),
        escape(&f.message),
    );
    let at = f.file.as_ref().map(|file| match (f.line, single_file) {
        (Some(line), true) => format!(" <i>(line {line})</i>"),
        (Some(line), false) => format!(" <i>({}:{line})</i>", escape(file)),
        (None, _) => format!(" <i>({})</i>", escape(file)),
    });
    if fixes {
        let _ = write!(
            text,
            "<details><summary>Fix</summary>{}{}</details>",
            escape(&f.remediation),
            at.unwrap_or_default()
        );
    } else if let Some(at) = at {
        text.push_str(&at);
    }
    text.push('\n');
}

/// What each rule of the findings is about, from the rules' documentation.
fn rules(report: &Report, text: &mut String) {
    let ids: BTreeSet<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    if ids.is_empty() {
        return;
    }
    text.push_str("<details class=\"rules\"><summary>The rules of these findings</summary><dl>");
    for rule in crate::checks::RULES.iter().filter(|r| ids.contains(r.id)) {
        let _ = write!(
            text,
            "<dt id=\"rule-{}\">{} {}</dt><dd>{}</dd>",
            escape(rule.id),
            escape(rule.id),
            escape(rule.name),
            escape(rule.explanation)
        );
    }
    text.push_str("</dl></details>");
    if report.findings.len() > FIX_ROWS_MAX {
        let _ = write!(
            text,
            "<p class=\"legend\">With more than {FIX_ROWS_MAX} findings, each finding's own fix \
             is left out of this page: <code>-o json</code> has it (<code>remediation</code>).</p>"
        );
    }
}

fn notes(report: &Report, text: &mut String) {
    if report.notes.is_empty() {
        return;
    }
    text.push_str(
        "<section id=\"notes\" aria-labelledby=\"notes-h\"><h2 id=\"notes-h\">Notes</h2><ul>",
    );
    for n in &report.notes {
        let _ = write!(text, "<li>{}</li>", escape(n));
    }
    text.push_str("</ul></section>");
}

/// The workloads for the script: arrays rather than objects, and every repeated string (kinds,
/// namespaces, policies, sets of policies, deciding rules) once, by index.
fn data(report: &Report, text: &mut String) {
    let mut kinds = Interner::default();
    let mut namespaces = Interner::default();
    let mut policies = Interner::default();
    let mut sets = Sets::default();
    let mut decisions: Vec<&DecidedBy> = Vec::new();
    // Decisions are shared between workloads (`Arc`): keyed by address, each is written once.
    let mut decision_index: HashMap<usize, usize> = HashMap::new();
    let mut rows = String::with_capacity(report.workloads.len() * 48);

    for (i, w) in report.workloads.iter().enumerate() {
        if i > 0 {
            rows.push(',');
        }
        let _ = write!(
            rows,
            "[{},{},{},{},{}",
            namespaces.get(&w.namespace),
            kinds.get(&w.kind),
            json_string(&w.name),
            w.pods,
            u8::from(w.host_network)
        );
        for d in [&w.ingress, &w.egress] {
            let state = match d.isolation {
                IsolationState::Isolated => 0,
                IsolationState::PodsOnly => 1,
                IsolationState::Open => 2,
                IsolationState::Unknown => 3,
                IsolationState::Ambiguous => 4,
            };
            let set = sets.of(d, &w.namespace, &mut policies);
            let decision = match &d.decided_by {
                None => -1,
                Some(by) => {
                    let at = std::sync::Arc::as_ptr(by) as usize;
                    *decision_index.entry(at).or_insert_with(|| {
                        decisions.push(by);
                        decisions.len() - 1
                    }) as i64
                }
            };
            let _ = write!(rows, ",{state},{set},{decision},");
            match &d.reason {
                Some(r) => rows.push_str(&json_string(r)),
                None => rows.push('0'),
            }
        }
        rows.push(']');
    }

    let list = |items: &mut dyn Iterator<Item = String>| {
        let v: Vec<String> = items.collect();
        format!("[{}]", v.join(","))
    };
    let _ = write!(
        text,
        "{{\"kinds\":{},\"ns\":{},\"pol\":{},\"sets\":{},\"dec\":{},\"w\":[{rows}]}}",
        list(&mut kinds.strings.iter().map(|s| json_string(s))),
        list(&mut namespaces.strings.iter().map(|s| json_string(s))),
        list(&mut policies.strings.iter().map(|s| json_string(s))),
        list(&mut sets.sets.iter().map(|s| format!(
            "[{}]",
            s.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",")
        ))),
        list(&mut decisions.iter().map(|d| {
            format!(
                "[{},{},{},{}]",
                json_string(&d.layer),
                json_string(&d.kind),
                json_string(&d.name),
                d.rule.as_deref().map_or("0".to_owned(), json_string)
            )
        })),
    );
}

#[derive(Default)]
struct Interner {
    strings: Vec<String>,
    index: HashMap<String, usize>,
}

impl Interner {
    fn get(&mut self, s: &str) -> usize {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        self.strings.push(s.to_owned());
        self.index.insert(s.to_owned(), self.strings.len() - 1);
        self.strings.len() - 1
    }
}

/// The sets of selecting policies, each written once.
#[derive(Default)]
struct Sets {
    sets: Vec<Vec<usize>>,
    by_members: HashMap<Vec<usize>, usize>,
    /// A report's lists are shared (`Arc`) by the workloads with the same policies: keyed by
    /// address (and, for lists of bare names, the namespace that qualifies them), most
    /// workloads find their set without building it.
    by_address: HashMap<(usize, usize, String), usize>,
}

impl Sets {
    /// The index of a direction's set, -1 when no policy selects it.
    fn of(&mut self, d: &Isolation, namespace: &str, policies: &mut Interner) -> i64 {
        if d.policies.is_empty() && d.policy_refs.is_empty() {
            return -1;
        }
        // Every kind of policy when the report names them so; else the NetworkPolicies of
        // the workload's namespace, by name.
        let key = if d.policy_refs.is_empty() {
            (
                d.policies.as_ptr() as usize,
                d.policies.len(),
                namespace.to_owned(),
            )
        } else {
            (
                d.policy_refs.as_ptr() as usize,
                d.policy_refs.len(),
                String::new(),
            )
        };
        if let Some(&i) = self.by_address.get(&key) {
            return i as i64;
        }
        let members: Vec<usize> = if d.policy_refs.is_empty() {
            d.policies
                .iter()
                .map(|n| policies.get(&format!("NetworkPolicy {namespace}/{n}")))
                .collect()
        } else {
            d.policy_refs
                .iter()
                .map(|r| {
                    policies.get(&match &r.namespace {
                        Some(ns) => format!("{} {ns}/{}", r.kind, r.name),
                        None => format!("{} {}", r.kind, r.name),
                    })
                })
                .collect()
        };
        let next = self.sets.len();
        let i = *self.by_members.entry(members.clone()).or_insert_with(|| {
            self.sets.push(members);
            next
        });
        self.by_address.insert(key, i);
        i as i64
    }
}

/// A JSON string that cannot end the `<script>` element holding it: `<` is written `\u003c`
/// (and `>` and `&` alike), so `</script>` or `<!--` in a name stays inside the string.
fn json_string(s: &str) -> String {
    let json = serde_json::to_string(s).expect("a string serialises");
    if !json.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return json;
    }
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Text for HTML content and quoted attribute values.
pub(crate) fn escape(s: &str) -> String {
    crate::output::markup::escape(s, crate::output::markup::Controls::Keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_cannot_close_the_data_script() {
        let s = json_string("</script><script>alert(1)</script>");
        assert!(!s.contains('<'), "{s}");
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "</script><script>alert(1)</script>");
    }

    #[test]
    fn markup_in_names_is_text() {
        assert_eq!(
            escape("<img src=x onerror=\"a\">&'"),
            "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;"
        );
    }
}
