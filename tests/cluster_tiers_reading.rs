//! ClusterNetworkPolicy (v1beta1, v1alpha2), AdminNetworkPolicy and BaselineAdminNetworkPolicy
//! (v1alpha1) are read in every manifest mode, counted in `summary.policies` and no longer
//! named as ignored; other versions of them still are; objects their CRDs refuse are NPC120
//! findings about a cluster-scoped object.

mod common;

use common::{cmd, fixture, json, run_stdin};
use serde_json::{json, Value};

fn counts() -> Value {
    json!({"ClusterNetworkPolicy": 2, "AdminNetworkPolicy": 1, "BaselineAdminNetworkPolicy": 1})
}

fn assert_read(report: &Value) {
    assert_eq!(report["summary"]["policies"], counts(), "{report:#}");
    assert_eq!(report["summary"]["ignoredPolicies"], json!({}));
    assert_eq!(report["summary"]["networkPolicies"], 0);
    let npc120: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "NPC120")
        .collect();
    assert!(npc120.is_empty(), "all four are valid: {npc120:#?}");
}

#[test]
fn the_three_kinds_are_read_from_files() {
    let (_, report) = json(&["-f", &fixture("tiers/valid.yaml")]);
    assert_read(&report);
}

#[test]
fn the_three_kinds_are_read_from_a_directory_and_stdin() {
    let (_, report) = json(&["-f", &fixture("tiers")]);
    // valid.yaml, lists.yaml (6 more) and invalid.yaml (3 more).
    assert_eq!(
        report["summary"]["policies"],
        json!({"ClusterNetworkPolicy": 5, "AdminNetworkPolicy": 4, "BaselineAdminNetworkPolicy": 3})
    );
    let text = std::fs::read(common::root().join(fixture("tiers/valid.yaml"))).unwrap();
    let r = run_stdin(&["-f", "-", "-o", "json"], &text);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert!(!r.stderr.contains("not evaluated"), "{}", r.stderr);
    assert_read(&serde_json::from_str(&r.stdout).unwrap());
}

#[test]
fn the_three_kinds_are_read_in_post_render() {
    let text = std::fs::read_to_string(common::root().join(fixture("tiers/valid.yaml"))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report_file = dir.path().join("report.json");
    let r = run_stdin(
        &[
            "post-render",
            "-o",
            "json",
            "--report-file",
            report_file.to_str().unwrap(),
        ],
        text.as_bytes(),
    );
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert_eq!(r.stdout, text, "post-render passes the chart through");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(report_file).unwrap()).unwrap();
    assert_read(&report);
}

#[test]
fn list_forms_are_read() {
    let (_, report) = json(&["-f", &fixture("tiers/lists.yaml")]);
    assert_eq!(
        report["summary"]["policies"],
        json!({"ClusterNetworkPolicy": 2, "AdminNetworkPolicy": 2, "BaselineAdminNetworkPolicy": 1}),
        "{report:#}"
    );
    assert_eq!(report["summary"]["ignoredPolicies"], json!({}));
}

#[test]
fn the_table_summary_names_the_cluster_scoped_policies() {
    let out = cmd()
        .args(["-f", &fixture("tiers/valid.yaml")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "0 NetworkPolicies and 4 cluster-scoped policies (1 AdminNetworkPolicy, 1 BaselineAdminNetworkPolicy, 2 ClusterNetworkPolicy) found across"
        ),
        "{stdout}"
    );
}

#[test]
fn other_versions_of_the_kinds_stay_ignored() {
    let input = "apiVersion: policy.networking.k8s.io/v1\nkind: ClusterNetworkPolicy\nmetadata: {name: future}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}}\n---\napiVersion: policy.networking.k8s.io/v1alpha2\nkind: AdminNetworkPolicy\nmetadata: {name: never-was}\nspec: {}\n";
    let r = run_stdin(&["-f", "-", "-o", "json"], input.as_bytes());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        report["summary"]["ignoredPolicies"],
        json!({"policy.networking.k8s.io/v1 ClusterNetworkPolicy": 1, "policy.networking.k8s.io/v1alpha2 AdminNetworkPolicy": 1})
    );
    assert!(r.stderr.contains("not evaluated"), "{}", r.stderr);
}

#[test]
fn objects_the_crds_refuse_are_npc120_findings_about_cluster_scoped_objects() {
    let path = fixture("tiers/invalid.yaml");
    let (code, report) = json(&["-f", &path]);
    assert_eq!(code, 1, "NPC120 is an error: {report:#}");
    let npc120: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "NPC120")
        .collect();
    assert_eq!(npc120.len(), 2, "{npc120:#?}");
    let too_high = npc120
        .iter()
        .find(|f| f["object"] == "too-high")
        .expect("the CNP");
    assert_eq!(too_high["kind"], "ClusterNetworkPolicy");
    assert_eq!(too_high["namespace"], Value::Null);
    assert_eq!(too_high["file"], path.as_str());
    assert_eq!(too_high["line"], 2);
    assert!(
        too_high["message"]
            .as_str()
            .unwrap()
            .contains("spec.priority: Invalid value: 1001: spec.priority in body should be less than or equal to 1000"),
        "{too_high:#}"
    );
    let accepts = npc120
        .iter()
        .find(|f| f["object"] == "accepts")
        .expect("the ANP");
    assert_eq!(accepts["kind"], "AdminNetworkPolicy");
    assert_eq!(accepts["line"], 10);
    let message = accepts["message"].as_str().unwrap();
    assert!(
        message.contains("spec.egress[0].action: Unsupported value: \"Accept\": supported values: \"Allow\", \"Deny\", \"Pass\""),
        "{message}"
    );
    assert!(
        message.contains("networks/nodes/domainNames peer cannot be set with namedPorts"),
        "{message}"
    );
    // The annotation suppresses it as on any object.
    let suppressed = &report["suppressed"][0];
    assert_eq!(suppressed["rule"], "NPC120");
    assert_eq!(suppressed["kind"], "BaselineAdminNetworkPolicy");
    assert_eq!(suppressed["object"], "not-default");
    assert_eq!(suppressed["suppressionReason"], "being renamed");
    // And the report says they are left out.
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("ClusterNetworkPolicy too-high is invalid (NPC120)"),
        "{notes}"
    );
}

#[test]
fn a_wrong_type_is_a_located_error() {
    let input = "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: x}\nspec:\n  tier: Admin\n  priority: high\n  subject: {namespaces: {}}\n";
    let r = run_stdin(&["-f", "-"], input.as_bytes());
    common::assert_error(&r, "<stdin>:6:13");
    assert!(r.stderr.contains("spec.priority"), "{}", r.stderr);
    assert!(!r.stderr.contains("Raw"), "{}", r.stderr);
    let input = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: x}\nspec:\n  priority: 1\n  subject: {namespaces: {}}\n  egress:\n  - action: Deny\n    to: [{networks: 10.0.0.0/8}]\n";
    let r = run_stdin(&["-f", "-"], input.as_bytes());
    common::assert_error(&r, "<stdin>:9:");
    assert!(r.stderr.contains("networks"), "{}", r.stderr);
}
