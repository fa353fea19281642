//! The lints of the cluster-scoped tiers (NPC201-NPC205) as a user meets them: their findings
//! name no namespace, `-l` reports them when their policy selects a reported workload, and a
//! suppression annotation on the cluster-scoped policy (not on a namespace) silences them.

mod common;

use common::*;
use netpol_check::checks::find_rule;
use serde_json::Value;

fn findings<'a>(report: &'a Value, field: &str) -> Vec<&'a Value> {
    report[field].as_array().unwrap().iter().collect()
}

/// (rule, object) of every finding of the report's `field`.
fn pairs(report: &Value, field: &str) -> Vec<(String, String)> {
    findings(report, field)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["object"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn has(report: &Value, rule: &str, object: &str) -> bool {
    pairs(report, "findings").contains(&(rule.to_owned(), object.to_owned()))
}

#[test]
fn cluster_scoped_findings_name_no_namespace() {
    for id in ["NPC201", "NPC202", "NPC203", "NPC204", "NPC205"] {
        let (_, r) = report_of(find_rule(id).unwrap().bad_example, &[]);
        let ours: Vec<&Value> = findings(&r, "findings")
            .into_iter()
            .filter(|f| f["rule"] == id)
            .collect();
        assert!(!ours.is_empty(), "{id}: {:#}", r["findings"]);
        for f in ours {
            assert!(f.get("namespace").is_none_or(Value::is_null), "{f:#}");
            assert!(f["kind"].as_str().unwrap().ends_with("NetworkPolicy"));
        }
    }
}

#[test]
fn selector_reports_the_findings_of_cluster_scoped_policies_that_select_a_reported_workload() {
    // allow-monitoring selects every namespace; isolate-shop only shop.
    let yaml = find_rule("NPC201").unwrap().bad_example;
    let (_, all) = report_of(yaml, &[]);
    assert!(has(&all, "NPC201", "allow-monitoring"));
    assert!(has(&all, "NPC205", "isolate-shop"));

    let (_, web) = report_of(yaml, &["-l", "app=web"]);
    assert!(
        has(&web, "NPC201", "allow-monitoring"),
        "{:#}",
        web["findings"]
    );
    assert!(has(&web, "NPC205", "isolate-shop"), "{:#}", web["findings"]);

    let (_, prometheus) = report_of(yaml, &["-l", "app=prometheus"]);
    assert!(has(&prometheus, "NPC201", "allow-monitoring"));
    assert!(
        !has(&prometheus, "NPC205", "isolate-shop"),
        "isolate-shop does not select prometheus: {:#}",
        prometheus["findings"]
    );

    let (_, nothing) = report_of(yaml, &["-l", "app=none"]);
    assert!(
        !pairs(&nothing, "findings")
            .iter()
            .any(|(rule, _)| rule.starts_with("NPC2")),
        "{:#}",
        nothing["findings"]
    );
}

#[test]
fn an_annotation_on_the_cluster_scoped_policy_suppresses_its_finding() {
    let yaml = find_rule("NPC205").unwrap().bad_example;
    let annotated = yaml.replace(
        "metadata:\n  name: baseline-lockdown\n",
        "metadata:\n  name: baseline-lockdown\n  annotations:\n    netpol-check.io/ignore: deny-isolates-pods-only\n    netpol-check.io/ignore-reason: outside traffic comes through the gateway only\n",
    );
    assert_ne!(annotated, yaml);
    let (_, r) = report_of(&annotated, &[]);
    assert!(
        !has(&r, "NPC205", "baseline-lockdown"),
        "{:#}",
        r["findings"]
    );
    let suppressed: Vec<&Value> = findings(&r, "suppressed")
        .into_iter()
        .filter(|f| f["rule"] == "NPC205")
        .collect();
    assert_eq!(suppressed.len(), 1, "{:#}", r["suppressed"]);
    assert_eq!(
        suppressed[0]["suppressionReason"],
        "outside traffic comes through the gateway only"
    );

    // A namespace's annotation covers the findings about its objects; a cluster-scoped
    // policy is in no namespace.
    let namespace = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations: {{netpol-check.io/ignore: all}}\n---\n{yaml}"
    );
    let (_, r) = report_of(&namespace, &[]);
    assert!(
        has(&r, "NPC205", "baseline-lockdown"),
        "{:#}",
        r["findings"]
    );
    assert!(
        !has(&r, "NPC001", "web"),
        "the namespace's own findings are suppressed"
    );
}
