//! `-o sarif`: the report as a SARIF 2.1.0 log, the format GitHub code scanning uploads.
//!
//! One run: the driver lists every rule of [`RULES`](crate::checks::RULES) with its help; each
//! finding becomes a result at its file and line (manifests, and Helm templates named by
//! `# Source:` or Helm 4's annotation), with the object as a logical location and a fingerprint
//! that survives moving the object within its file. Findings without a file (live clusters,
//! namespaces no manifest declares) get a stable pseudo path, since GitHub requires a location.
//! Suppressed findings are included too, with an `inSource` suppression carrying the reason, so
//! a viewer can tell them from open ones.

// Built with serde_json's `json!`: the log has a dozen fixed fields, which a SARIF types crate
// would not make safer, and this adds no dependency.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::checks::{Rule, RULES};
use crate::report::{Finding, Report, Severity};

/// The OASIS schema of SARIF 2.1.0 (with its approved errata), named in `$schema`.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of our entry in `partialFingerprints`; the version changes if the recipe does.
pub const FINGERPRINT_KEY: &str = "netpolCheck/v1";

const INFORMATION_URI: &str = "https://github.com/netpol-check/netpol-check";
/// docs/rules.md on the default branch; each rule has a section there.
const RULES_DOC: &str = "https://github.com/netpol-check/netpol-check/blob/HEAD/docs/rules.md";

/// Writes the report as a SARIF log.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(report))?;
    writeln!(out)
}

/// The SARIF log of a report.
pub fn log(report: &Report) -> Value {
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(report, f, false))
        .chain(report.suppressed.iter().map(|f| result(report, f, true)))
        .collect();
    let notifications: Vec<Value> = report
        .notes
        .iter()
        .map(|note| json!({ "level": "note", "message": { "text": note } }))
        .collect();
    let mut invocation = json!({ "executionSuccessful": true });
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = Value::Array(notifications);
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "netpol-check",
                    "informationUri": INFORMATION_URI,
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": RULES.iter().map(rule_descriptor).collect::<Vec<_>>(),
                }
            },
            "invocations": [invocation],
            "columnKind": "utf16CodeUnits",
            "results": results,
        }]
    })
}

/// SARIF's level for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// GitHub ranks security alerts by `security-severity` (0.0-10.0): 7.0 and up is high, 4.0 and
/// up medium, below that low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "7.5",
        Severity::Warning => "5.0",
        Severity::Info => "2.0",
    }
}

fn rule_descriptor(rule: &Rule) -> Value {
    let severity = rule.severity.as_str();
    let suppress = format!(
        "To accept a finding, annotate the object (or its Namespace) with \
         `netpol-check.io/ignore: \"{}\"` and say why in `netpol-check.io/ignore-reason`.",
        rule.id
    );
    let text = format!(
        "{summary}. Default severity: {severity}.\n\n{explanation}\n\nFires on:\n\n{bad}\n\
         Fixed:\n\n{good}\n{suppress}",
        summary = rule.summary,
        explanation = rule.explanation,
        bad = rule.bad_example,
        good = rule.good_example,
    );
    let markdown = format!(
        "{summary}. Default severity: **{severity}**.\n\n{explanation}\n\nFires on:\n\n\
         ```yaml\n{bad}```\n\nFixed:\n\n```yaml\n{good}```\n\n{suppress}",
        summary = rule.summary,
        explanation = rule.explanation,
        bad = rule.bad_example,
        good = rule.good_example,
    );
    json!({
        "id": rule.id,
        "name": rule.name,
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": rule.explanation },
        "helpUri": format!("{RULES_DOC}#{}", format!("{}-{}", rule.id, rule.name).to_ascii_lowercase()),
        "help": { "text": text, "markdown": markdown },
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": {
            "tags": ["security", "kubernetes", "networkpolicy"],
            "security-severity": security_severity(rule.severity),
        },
    })
}

fn result(report: &Report, f: &Finding, suppressed: bool) -> Value {
    let mut message = f.message.trim_end().to_owned();
    if !message.ends_with(['.', '!', '?']) {
        message.push('.');
    }
    if !f.remediation.is_empty() {
        message.push_str(" Fix: ");
        message.push_str(&f.remediation);
    }
    let mut result = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": { "text": message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": artifact_uri(report, f) },
                "region": { "startLine": start_line(f) },
            },
            "logicalLocations": [{
                "name": f.object,
                "fullyQualifiedName": qualified_name(f),
                "kind": "resource",
            }],
        }],
        "partialFingerprints": { FINGERPRINT_KEY: fingerprint(f) },
    });
    if let Some(index) = RULES.iter().position(|r| r.id == f.rule) {
        result["ruleIndex"] = json!(index);
    }
    if let Some(cluster) = &f.cluster {
        result["properties"] = json!({ "cluster": cluster });
    }
    if suppressed {
        let mut suppression = json!({ "kind": "inSource" });
        if let Some(reason) = &f.suppression_reason {
            suppression["justification"] = json!(reason);
        }
        result["suppressions"] = json!([suppression]);
    }
    result
}

/// `namespace/Kind/name`, or `Kind/name` for a cluster-wide object.
fn qualified_name(f: &Finding) -> String {
    match &f.namespace {
        Some(ns) => format!("{ns}/{}/{}", f.kind, f.object),
        None => format!("{}/{}", f.kind, f.object),
    }
}

/// Where a finding is; GitHub requires a line, so it is 1 when unknown.
fn start_line(f: &Finding) -> u32 {
    match known_file(f) {
        Some(_) => f.line.unwrap_or(1).max(1),
        None => 1,
    }
}

/// The finding's file when it is one of the input, not a stand-in such as `<stdin>`.
fn known_file(f: &Finding) -> Option<&str> {
    let stand_in = |f: &str| f.is_empty() || (f.starts_with('<') && f.ends_with('>'));
    f.file.as_deref().filter(|f| !stand_in(f))
}

/// The finding's file as a URI reference (relative paths stay relative to where the tool ran,
/// which is the repository root in CI), or a pseudo path when it has none.
pub fn artifact_uri(report: &Report, f: &Finding) -> String {
    artifact_uri_in(&report.source, f)
}

/// [`artifact_uri`] for a finding of a run whose source is `source`.
pub fn artifact_uri_in(source: &crate::report::Source, f: &Finding) -> String {
    match known_file(f) {
        Some(file) => file_uri(file),
        None => pseudo_path_in(source, f),
    }
}

/// A stable path for an object outside any file: `cluster/<context>/<namespace>/<Kind>/<name>.yaml`
/// for a live cluster, `<source type>/<namespace>/<Kind>/<name>.yaml` otherwise, with `_cluster`
/// for cluster-wide objects. Each part is percent-encoded on its own, so a `/` in a context name
/// cannot shift the others.
pub fn pseudo_path(report: &Report, f: &Finding) -> String {
    pseudo_path_in(&report.source, f)
}

fn pseudo_path_in(source: &crate::report::Source, f: &Finding) -> String {
    let mut parts: Vec<&str> = Vec::with_capacity(5);
    let kind = source.kind.as_str();
    parts.push(if kind.is_empty() { "input" } else { kind });
    if kind == "cluster" {
        parts.push(
            f.cluster
                .as_deref()
                .or(source.context.as_deref())
                .filter(|c| !c.is_empty())
                .unwrap_or("cluster"),
        );
    }
    parts.push(
        f.namespace
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or("_cluster"),
    );
    parts.push(&f.kind);
    let name = format!("{}.yaml", f.object);
    parts.push(&name);
    parts
        .iter()
        .map(|p| percent_encode(p, b""))
        .collect::<Vec<_>>()
        .join("/")
}

/// A path as a URI reference: relative paths without leading `./`, absolute ones as `file:` URIs.
fn file_uri(path: &str) -> String {
    let path = if cfg!(windows) {
        path.replace('\\', "/")
    } else {
        path.to_owned()
    };
    if path.starts_with('/') {
        return format!("file://{}", percent_encode(&path, b"/:"));
    }
    let bytes = path.as_bytes();
    if cfg!(windows) && bytes.len() > 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return format!("file:///{}", percent_encode(&path, b"/:"));
    }
    let mut relative = path.as_str();
    while let Some(rest) = relative.strip_prefix("./") {
        relative = rest.trim_start_matches('/');
    }
    // A colon stays encoded: in a first segment it would read as a scheme.
    percent_encode(relative, b"/")
}

/// Percent-encodes all but RFC 3986's unreserved characters, its sub-delimiters, `@`, and
/// `keep`.
fn percent_encode(s: &str, keep: &[u8]) -> String {
    const SUB_DELIMS: &[u8] = b"!$&'()*+,;=@";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric()
            || b"-._~".contains(&b)
            || SUB_DELIMS.contains(&b)
            || keep.contains(&b)
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// FNV-1a (64 bits) of rule, namespace, kind and object, NUL-separated, as 16 hex digits: the
/// identity of a finding, whatever file or line the object is at. In fleet mode the cluster
/// comes first: the same object in two clusters is two alerts.
pub fn fingerprint(f: &Finding) -> String {
    let namespace = f.namespace.as_deref().unwrap_or("");
    let hash = match &f.cluster {
        Some(cluster) => fnv1a64(&[cluster, &f.rule, namespace, &f.kind, &f.object]),
        None => fnv1a64(&[&f.rule, namespace, &f.kind, &f.object]),
    };
    format!("{hash:016x}")
}

fn fnv1a64(parts: &[&str]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for (i, part) in parts.iter().enumerate() {
        let separator: &[u8] = if i == 0 { b"" } else { b"\0" };
        for &b in separator.iter().chain(part.as_bytes()) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Source;

    fn finding(rule: &Rule, namespace: Option<&str>, kind: &str, object: &str) -> Finding {
        Finding {
            rule: rule.id.to_owned(),
            name: rule.name.to_owned(),
            severity: rule.severity,
            namespace: namespace.map(str::to_owned),
            kind: kind.to_owned(),
            object: object.to_owned(),
            message: format!("{kind} {object} is open"),
            remediation: "Close it.".to_owned(),
            file: None,
            line: None,
            suppression_reason: None,
            cluster: None,
        }
    }

    fn report(source: Source, findings: Vec<Finding>, suppressed: Vec<Finding>) -> Report {
        Report {
            api_version: crate::report::API_VERSION.to_owned(),
            kind: "Report".to_owned(),
            generator: None,
            source,
            summary: Default::default(),
            namespaces: vec![],
            workloads: vec![],
            findings,
            suppressed,
            generated: vec![],
            notes: vec![],
            cluster: None,
            clusters: None,
        }
    }

    fn uri(result: &Value) -> &str {
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
    }

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(&[""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(&["a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(&["foobar"]), 0x8594_4171_f739_67e8);
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(fnv1a64(&["ab", "c"]), fnv1a64(&["a", "bc"]));
    }

    #[test]
    fn cluster_findings_get_a_stable_pseudo_path_at_line_1() {
        let rule = &RULES[0];
        let cni = crate::checks::find_rule("NPC130").unwrap();
        let source = Source::cluster("prod".into(), "https://10.0.0.1:6443".into(), None);
        let r = report(
            source,
            vec![
                finding(rule, Some("shop"), "Deployment", "web"),
                finding(cni, None, "DaemonSet", "kube-flannel"),
            ],
            vec![],
        );
        let log = log(&r);
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(uri(&results[0]), "cluster/prod/shop/Deployment/web.yaml");
        assert_eq!(
            results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
            1
        );
        assert_eq!(
            uri(&results[1]),
            "cluster/prod/_cluster/DaemonSet/kube-flannel.yaml"
        );
        let logical = &results[1]["locations"][0]["logicalLocations"][0];
        assert_eq!(logical["fullyQualifiedName"], "DaemonSet/kube-flannel");
        assert_eq!(logical["kind"], "resource");
        assert_eq!(log, super::log(&r), "the same report gives the same log");
    }

    #[test]
    fn pseudo_path_parts_are_encoded_one_by_one() {
        let source = Source::cluster(
            "arn:aws:eks:eu-west-1:1:cluster/prod".into(),
            "https://x".into(),
            None,
        );
        let mut r = report(source, vec![], vec![]);
        let f = finding(&RULES[0], Some("<release>"), "Deployment", "a b");
        assert_eq!(
            pseudo_path(&r, &f),
            "cluster/arn%3Aaws%3Aeks%3Aeu-west-1%3A1%3Acluster%2Fprod/%3Crelease%3E/Deployment/a%20b.yaml"
        );
        r.source.context = None;
        assert_eq!(
            pseudo_path(&r, &f),
            "cluster/cluster/%3Crelease%3E/Deployment/a%20b.yaml"
        );
        r.source = Source::manifests(vec!["-".into()]);
        assert_eq!(
            pseudo_path(&r, &f),
            "manifests/%3Crelease%3E/Deployment/a%20b.yaml"
        );
    }

    #[test]
    fn files_become_uri_references() {
        let r = report(Source::manifests(vec![]), vec![], vec![]);
        let mut f = finding(&RULES[0], Some("shop"), "Deployment", "web");
        for (file, expected) in [
            ("k8s/web.yaml", "k8s/web.yaml"),
            ("./k8s/web.yaml", "k8s/web.yaml"),
            (".//k8s/my app.yaml", "k8s/my%20app.yaml"),
            ("a:b.yaml", "a%3Ab.yaml"),
            ("/srv/repo/web.yaml", "file:///srv/repo/web.yaml"),
            ("<stdin>", "manifests/shop/Deployment/web.yaml"),
        ] {
            f.file = Some(file.to_owned());
            assert_eq!(artifact_uri(&r, &f), expected, "{file}");
        }
    }

    #[test]
    fn fingerprints_ignore_the_place_and_follow_the_identity() {
        let mut a = finding(&RULES[0], Some("shop"), "Deployment", "web");
        a.file = Some("a.yaml".into());
        a.line = Some(3);
        let mut moved = a.clone();
        moved.file = Some("b.yaml".into());
        moved.line = Some(40);
        moved.message = "changed".into();
        assert_eq!(fingerprint(&a), fingerprint(&moved));
        let mut renamed = a.clone();
        renamed.object = "web2".into();
        assert_ne!(fingerprint(&a), fingerprint(&renamed));
        let mut other_ns = a.clone();
        other_ns.namespace = Some("shop2".into());
        assert_ne!(fingerprint(&a), fingerprint(&other_ns));
        assert_eq!(fingerprint(&a).len(), 16);
    }

    #[test]
    fn suppressed_findings_carry_an_in_source_suppression() {
        let host_network = crate::checks::find_rule("NPC002").unwrap();
        let mut quiet = finding(
            host_network,
            Some("monitoring"),
            "DaemonSet",
            "node-exporter",
        );
        quiet.suppression_reason = Some("node metrics need the host network".into());
        let r = report(
            Source::manifests(vec![]),
            vec![finding(&RULES[0], Some("shop"), "Deployment", "web")],
            vec![quiet],
        );
        let log = log(&r);
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert!(results[0].get("suppressions").is_none());
        assert_eq!(
            results[1]["suppressions"],
            json!([{ "kind": "inSource", "justification": "node metrics need the host network" }])
        );
        let index = RULES.iter().position(|r| r.id == "NPC002").unwrap();
        assert_eq!(results[1]["ruleIndex"], index);
        assert_eq!(
            results[0]["message"]["text"],
            "Deployment web is open. Fix: Close it."
        );
    }

    #[test]
    fn rules_carry_help_and_levels() {
        let log = log(&report(Source::helm(), vec![], vec![]));
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(rules.len(), RULES.len());
        for (descriptor, rule) in rules.iter().zip(RULES) {
            assert_eq!(descriptor["id"], rule.id);
            assert_eq!(descriptor["name"], rule.name);
            assert_eq!(descriptor["shortDescription"]["text"], rule.summary);
            assert_eq!(
                descriptor["defaultConfiguration"]["level"],
                level(rule.severity)
            );
            assert_eq!(descriptor["fullDescription"]["text"], rule.explanation);
            let text = descriptor["help"]["text"].as_str().unwrap();
            assert!(text.contains(rule.bad_example), "{text}");
            let markdown = descriptor["help"]["markdown"].as_str().unwrap();
            assert!(markdown.contains(&format!("```yaml\n{}```", rule.good_example)));
            assert!(markdown.contains(&format!("netpol-check.io/ignore: \"{}\"", rule.id)));
            let anchor = format!("#{}-{}", rule.id, rule.name).to_ascii_lowercase();
            let help_uri = descriptor["helpUri"].as_str().unwrap();
            assert_eq!(help_uri, format!("{RULES_DOC}{anchor}"));
        }
        assert_eq!(level(Severity::Info), "note");
    }
}
