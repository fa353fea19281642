//! `-o sarif` through the binary: every log validates against the OASIS SARIF 2.1.0 schema
//! (vendored in tests/data), results sit at the findings' files and lines, and fingerprints follow
//! the object, not its place.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use netpol_check::checks::RULES;
use netpol_check::output::sarif;
use netpol_check::report::{Finding, Report, Severity, Source};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The official schema, with `format` checked too (`uri`, `uri-reference`).
fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("tests/data/sarif-schema-2.1.0.json"))
            .expect("vendored schema");
        let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
        assert_eq!(
            schema["title"],
            "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
        );
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("schema compiles")
    })
}

fn schema_errors(log: &Value) -> Vec<String> {
    validator()
        .iter_errors(log)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn assert_valid(log: &Value) {
    let errors = schema_errors(log);
    assert!(
        errors.is_empty(),
        "not valid SARIF 2.1.0:\n{}\n{log:#}",
        errors.join("\n")
    );
}

fn run(args: &[&str], dir: &Path) -> Output {
    let out = Command::new(BINARY)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("binary runs");
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().expect("results")
}

fn uri(result: &Value) -> &str {
    result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .expect("uri")
}

fn start_line(result: &Value) -> u64 {
    result["locations"][0]["physicalLocation"]["region"]["startLine"]
        .as_u64()
        .expect("startLine")
}

fn qualified_name(result: &Value) -> &str {
    result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        .as_str()
        .expect("fullyQualifiedName")
}

fn fingerprint(result: &Value) -> &str {
    result["partialFingerprints"][sarif::FINGERPRINT_KEY]
        .as_str()
        .expect("fingerprint")
}

/// The result for `namespace/Kind/name` under a rule.
fn result_for<'a>(log: &'a Value, rule: &str, name: &str) -> &'a Value {
    results(log)
        .iter()
        .find(|r| r["ruleId"] == rule && qualified_name(r) == name)
        .unwrap_or_else(|| panic!("no {rule} result for {name}:\n{log:#}"))
}

#[test]
fn manifests_give_valid_sarif_at_the_findings_files_and_lines() {
    let log = stdout_json(&run(&["-f", "examples/shop", "-o", "sarif"], &root()));
    assert_valid(&log);
    assert_eq!(log["version"], "2.1.0");

    let run0 = &log["runs"][0];
    let driver = &run0["tool"]["driver"];
    assert_eq!(driver["name"], "netpol-check");
    assert_eq!(
        driver["informationUri"],
        "https://github.com/netpol-check/netpol-check"
    );
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), RULES.len());
    for (descriptor, rule) in rules.iter().zip(RULES) {
        assert_eq!(descriptor["id"], rule.id);
        assert_eq!(descriptor["name"], rule.name);
        assert_eq!(descriptor["shortDescription"]["text"], rule.summary);
        assert!(descriptor["help"]["text"].as_str().unwrap().len() > 40);
        assert!(descriptor["help"]["markdown"].is_string());
        assert!(descriptor["fullDescription"]["text"].is_string());
    }
    assert_eq!(run0["invocations"][0]["executionSuccessful"], true);
    assert_eq!(run0["columnKind"], "utf16CodeUnits");

    let db = result_for(&log, "NPC001", "shop/StatefulSet/db");
    assert_eq!(uri(db), "examples/shop/api.yaml");
    assert_eq!(start_line(db), 24);
    assert_eq!(db["level"], "error");
    assert_eq!(db["ruleIndex"], 0);
    assert_eq!(db["locations"][0]["logicalLocations"][0]["name"], "db");
    assert_eq!(
        db["locations"][0]["logicalLocations"][0]["kind"],
        "resource"
    );
    let text = db["message"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("StatefulSet shop/db is not isolated for egress")
            && text.contains(". Fix: List Egress in the policyTypes"),
        "{text}"
    );

    // Every finding of the JSON report is a result at its file and line, in the same order.
    let report: Report =
        serde_json::from_slice(&run(&["-f", "examples/shop", "-o", "json"], &root()).stdout)
            .unwrap();
    assert_eq!(results(&log).len(), report.findings.len());
    for (result, finding) in results(&log).iter().zip(&report.findings) {
        assert_eq!(result["ruleId"], finding.rule.as_str());
        match &finding.file {
            Some(file) => {
                assert_eq!(uri(result), file);
                assert_eq!(start_line(result), u64::from(finding.line.unwrap()));
            }
            // Namespace monitoring is declared in no file.
            None => assert_eq!(
                uri(result),
                "manifests/monitoring/Namespace/monitoring.yaml"
            ),
        }
    }
}

#[test]
fn fingerprints_are_stable_and_follow_the_object() {
    let first = stdout_json(&run(&["-f", "examples/shop", "-o", "sarif"], &root()));
    let second = stdout_json(&run(&["-f", "examples/shop", "-o", "sarif"], &root()));
    assert_eq!(first, second, "two runs give the same log");
    let prints: Vec<&str> = results(&first).iter().map(fingerprint).collect();
    let mut unique = prints.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), prints.len(), "one fingerprint per finding");

    // The same manifests elsewhere, api.yaml pushed down three lines and db renamed.
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("k8s");
    std::fs::create_dir(&shop).unwrap();
    for entry in std::fs::read_dir(root().join("examples/shop")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), shop.join(entry.file_name())).unwrap();
    }
    let api = std::fs::read_to_string(shop.join("api.yaml")).unwrap();
    let renamed = api.replacen(
        "kind: StatefulSet\nmetadata:\n  name: db\n",
        "kind: StatefulSet\nmetadata:\n  name: db-primary\n",
        1,
    );
    assert_ne!(renamed, api);
    std::fs::write(shop.join("api.yaml"), format!("# a\n# b\n# c\n{renamed}")).unwrap();
    let moved = stdout_json(&run(&["-f", "k8s", "-o", "sarif"], dir.path()));
    assert_valid(&moved);

    let before = result_for(&first, "NPC001", "shop/CronJob/nightly-report");
    let after = result_for(&moved, "NPC001", "shop/CronJob/nightly-report");
    assert_eq!(uri(after), "k8s/api.yaml");
    assert_eq!(start_line(after), start_line(before) + 3);
    assert_eq!(
        fingerprint(after),
        fingerprint(before),
        "moved, same object"
    );

    let db = result_for(&first, "NPC001", "shop/StatefulSet/db");
    let db_primary = result_for(&moved, "NPC001", "shop/StatefulSet/db-primary");
    assert_eq!(start_line(db_primary), 27);
    assert_ne!(
        fingerprint(db_primary),
        fingerprint(db),
        "renamed, new object"
    );
}

const HELM_STREAM: &str = "\
---
# Source: shop/templates/web.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-web
spec:
  template:
    metadata:
      labels: {app: web}
---
# Source: shop/templates/api.yaml
# a template comment

apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-api
spec:
  template:
    metadata:
      labels: {app: api}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: shop-agent
  annotations:
    postrenderer.helm.sh/postrender-filename: shop/templates/agent.yaml
spec:
  template:
    metadata:
      labels: {app: agent}
    spec:
      hostNetwork: true
";

/// `post-render --report-file F -o FORMAT`, with the chart on stdin: the file's text.
fn post_render_report(format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report");
    let out = common::cmd()
        .args(["post-render", "-n", "shop", "-o", format, "--report-file"])
        .arg(&file)
        .env_remove("HELM_NAMESPACE")
        .env_remove("HELM_PLUGIN_NAME")
        .write_stdin(HELM_STREAM)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        HELM_STREAM,
        "the chart passes through"
    );
    std::fs::read_to_string(&file).unwrap()
}

#[test]
fn helm_report_file_points_at_the_templates() {
    let log: Value = serde_json::from_str(&post_render_report("sarif")).unwrap();
    assert_valid(&log);
    let report: Report = serde_json::from_str(&post_render_report("json")).unwrap();

    // `# Source:` names the template; lines count from the line after it.
    let web = result_for(&log, "NPC001", "shop/Deployment/shop-web");
    assert_eq!(uri(web), "shop/templates/web.yaml");
    assert_eq!(start_line(web), 1);
    let api = result_for(&log, "NPC001", "shop/Deployment/shop-api");
    assert_eq!(uri(api), "shop/templates/api.yaml");
    assert_eq!(start_line(api), 3);
    // Helm 4's annotation names it too.
    let agent = result_for(&log, "NPC002", "shop/DaemonSet/shop-agent");
    assert_eq!(uri(agent), "shop/templates/agent.yaml");
    assert_eq!(agent["level"], "warning");

    for finding in &report.findings {
        let name = format!(
            "{}/{}/{}",
            finding.namespace.as_deref().unwrap(),
            finding.kind,
            finding.object
        );
        let result = result_for(&log, &finding.rule, &name);
        if let (Some(file), Some(line)) = (&finding.file, finding.line) {
            if !file.starts_with('<') {
                assert_eq!(uri(result), file);
                assert_eq!(start_line(result), u64::from(line));
            }
        }
    }
}

#[test]
fn suppressed_findings_are_included_as_suppressed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("agent.yaml"),
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\n  namespace: ops\n  annotations:\n    netpol-check.io/ignore: NPC002\n    netpol-check.io/ignore-reason: \"needs the node's network\"\nspec:\n  template:\n    metadata:\n      labels: {app: agent}\n    spec:\n      hostNetwork: true\n",
    )
    .unwrap();
    let log = stdout_json(&run(&["-f", "agent.yaml", "-o", "sarif"], dir.path()));
    assert_valid(&log);
    let agent = result_for(&log, "NPC002", "ops/DaemonSet/agent");
    assert_eq!(uri(agent), "agent.yaml");
    assert_eq!(start_line(agent), 1);
    assert_eq!(
        agent["suppressions"],
        json!([{ "kind": "inSource", "justification": "needs the node's network" }])
    );
    let active = results(&log)
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .count();
    assert!(active < results(&log).len());
}

fn cluster_finding(rule: &str, namespace: Option<&str>, kind: &str, object: &str) -> Finding {
    let rule = netpol_check::checks::find_rule(rule).unwrap();
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

#[test]
fn cluster_findings_get_pseudo_paths_and_stay_valid() {
    let report = Report {
        api_version: netpol_check::report::API_VERSION.to_owned(),
        kind: "Report".to_owned(),
        generator: None,
        source: Source::cluster(
            "arn:aws:eks:eu-west-1:123456789012:cluster/prod".to_owned(),
            "https://10.0.0.1:6443".to_owned(),
            None,
        ),
        summary: Default::default(),
        namespaces: vec![],
        workloads: vec![],
        findings: vec![
            cluster_finding("NPC001", Some("shop"), "Deployment", "web"),
            cluster_finding("NPC130", None, "DaemonSet", "kube-flannel-ds"),
        ],
        suppressed: vec![],
        generated: vec![],
        notes: vec!["could not list cronjobs.batch: forbidden".to_owned()],
        cluster: None,
        clusters: None,
    };
    assert_eq!(report.findings[0].severity, Severity::Error);
    let mut buf = Vec::new();
    sarif::render(&report, &mut buf).unwrap();
    let log: Value = serde_json::from_slice(&buf).unwrap();
    assert_valid(&log);
    let context = "arn%3Aaws%3Aeks%3Aeu-west-1%3A123456789012%3Acluster%2Fprod";
    assert_eq!(
        uri(&results(&log)[0]),
        format!("cluster/{context}/shop/Deployment/web.yaml")
    );
    assert_eq!(start_line(&results(&log)[0]), 1);
    assert_eq!(
        uri(&results(&log)[1]),
        format!("cluster/{context}/_cluster/DaemonSet/kube-flannel-ds.yaml")
    );
    assert_eq!(
        log["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"],
        "could not list cronjobs.batch: forbidden"
    );
}

#[test]
fn the_schema_check_rejects_what_github_would() {
    let log = stdout_json(&run(&["-f", "examples/shop", "-o", "sarif"], &root()));
    let mut bad_level = log.clone();
    bad_level["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!schema_errors(&bad_level).is_empty());
    let mut no_message = log.clone();
    no_message["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!schema_errors(&no_message).is_empty());
    let mut line_zero = log.clone();
    line_zero["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        json!(0);
    assert!(!schema_errors(&line_zero).is_empty());
    let mut bad_uri = log;
    bad_uri["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"] = json!("a b\\c");
    assert!(
        !schema_errors(&bad_uri).is_empty(),
        "formats are checked too"
    );
}
