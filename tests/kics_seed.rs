//! Conformance with tests/conformance/kics-seed: the isolation Kubernetes applies to the five
//! examples of KICS's "Pod misconfigured network policy" rule (two of which KICS gets wrong).

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

fn kics_dir() -> PathBuf {
    conformance("kics-seed")
}

/// Every `<case>.yaml` with a `<case>.expected.json` next to it, sorted.
fn cases() -> Vec<(String, PathBuf, PathBuf)> {
    let dir = kics_dir();
    let mut out: Vec<(String, PathBuf, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let case = p.file_stem().unwrap().to_str().unwrap().to_owned();
            let expected = dir.join(format!("{case}.expected.json"));
            (case, p, expected)
        })
        .collect();
    out.sort();
    out
}

/// Compares the report of one case with its expectations; returns the mismatches.
fn check_case(case: &str, yaml: &Path, expected: &Path) -> Vec<String> {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(expected)
            .unwrap_or_else(|e| panic!("{}: {e}", expected.display())),
    )
    .unwrap();
    let (_, report) = json(&["-f", yaml.to_str().unwrap()]);
    let expected = expected.as_array().expect("an array of workloads");
    assert!(!expected.is_empty(), "{case}: no expectations");
    let mut problems = Vec::new();
    for e in expected {
        let (kind, ns, name) = (
            e["kind"].as_str().unwrap(),
            e["namespace"].as_str().unwrap(),
            e["name"].as_str().unwrap(),
        );
        let want = (
            e["ingressIsolated"].as_bool().unwrap(),
            e["egressIsolated"].as_bool().unwrap(),
        );
        let found = report["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["kind"] == kind && w["namespace"] == ns && w["name"] == name);
        match found {
            None => problems.push(format!(
                "{case}: {kind} {ns}/{name} missing from the report"
            )),
            Some(w) => {
                let got = (
                    w["ingress"]["isolated"].as_bool().unwrap(),
                    w["egress"]["isolated"].as_bool().unwrap(),
                );
                if got != want {
                    problems.push(format!(
                        "{case}: {kind} {ns}/{name}: (ingress, egress) isolated = {got:?}, expected {want:?}"
                    ));
                }
            }
        }
    }
    let listed = report["workloads"].as_array().unwrap().len();
    if listed != expected.len() {
        problems.push(format!(
            "{case}: {listed} workloads in the report, {} expected",
            expected.len()
        ));
    }
    problems
}

#[test]
fn kics_seed_cases_match_kubernetes_isolation() {
    let cases = cases();
    let names: Vec<&str> = cases.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "negative1",
            "negative2",
            "negative3",
            "positive1",
            "positive2"
        ],
        "the corpus changed"
    );
    let problems: Vec<String> = cases
        .iter()
        .flat_map(|(case, yaml, expected)| check_case(case, yaml, expected))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The two cases KICS itself gets wrong, spelled out.
#[test]
fn kics_negative2_policy_in_another_namespace_selects_nothing() {
    let yaml = kics_dir().join("negative2.yaml");
    let (code, r) = json(&["-f", yaml.to_str().unwrap()]);
    assert_eq!(
        isolation(&r, "Pod", "negative2-namespace", "negative2-pod"),
        (false, false)
    );
    assert!(has_finding(
        &r,
        "NPC001",
        "Pod",
        "negative2-namespace",
        "negative2-pod"
    ));
    assert_eq!(code, 1);
}

#[test]
fn kics_positive2_empty_policy_types_isolates_ingress_only() {
    let yaml = kics_dir().join("positive2.yaml");
    let (code, r) = json(&["-f", yaml.to_str().unwrap()]);
    assert_eq!(
        isolation(&r, "Pod", "positive2", "positive2-pod"),
        (true, false)
    );
    assert_eq!(namespace(&r, "positive2")["defaultDeny"]["ingress"], true);
    assert_eq!(namespace(&r, "positive2")["defaultDeny"]["egress"], false);
    assert_eq!(code, 1);
}

#[test]
fn kics_seed_all_cases_at_once_give_the_same_verdicts() {
    // Reading every case in one run must not mix them up (each uses its own namespaces). The
    // directory itself also holds the expectations (JSON arrays, not manifests), so the
    // manifests are named one by one.
    let paths: Vec<String> = cases()
        .iter()
        .map(|c| c.1.to_str().unwrap().to_owned())
        .collect();
    let mut args: Vec<&str> = Vec::new();
    for p in &paths {
        args.extend(["-f", p.as_str()]);
    }
    let (_, r) = json(&args);
    assert_eq!(r["summary"]["workloads"], 5);
    assert_eq!(
        isolation(&r, "Pod", "negative1", "negative1-pod"),
        (true, true)
    );
    assert_eq!(
        isolation(&r, "Pod", "negative2-namespace", "negative2-pod"),
        (false, false)
    );
    assert_eq!(
        isolation(&r, "Pod", "negative3", "negative3-pod"),
        (true, true)
    );
    assert_eq!(
        isolation(&r, "Pod", "positive1-one", "positive1-pod"),
        (false, false)
    );
    assert_eq!(
        isolation(&r, "Pod", "positive2", "positive2-pod"),
        (true, false)
    );
}
