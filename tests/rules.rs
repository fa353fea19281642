//! The rule registry: docs/rules.md is generated from it, and every rule fires on its bad
//! example and stays silent on its fixed one, in every mode that can see what it checks.

mod apiserver;
mod common;

use std::process::Command;

use apiserver::{ApiServer, Fixture, Options};
use netpol_check::checks::{rules_markdown, Rule, RULES};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

#[test]
fn docs_rules_md_is_generated_from_the_registry() {
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md")).unwrap();
    assert!(
        checked_in == rules_markdown(),
        "docs/rules.md is stale: run `cargo run -- rules --markdown > docs/rules.md`"
    );
}

#[test]
fn rules_lists_every_rule() {
    let out = Command::new(BINARY).arg("rules").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for r in RULES {
        assert!(text.contains(r.id) && text.contains(r.name), "{text}");
    }
}

fn rule_ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn manifests_mode(yaml: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("example.yaml");
    std::fs::write(&f, yaml).unwrap();
    let out = Command::new(BINARY)
        .args(["-f", f.to_str().unwrap(), "-o", "json", "--include-system"])
        .output()
        .unwrap();
    assert!(
        out.status.code().unwrap() < 2,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    rule_ids(&serde_json::from_slice(&out.stdout).unwrap())
}

fn post_render_mode(yaml: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = common::cmd()
        .args([
            "post-render",
            "--include-system",
            "-o",
            "json",
            "--fail-on",
            "never",
        ])
        .arg(format!("--report-file={}", report.display()))
        .write_stdin(yaml.as_bytes().to_vec())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, yaml.as_bytes(), "the chart passes through");
    rule_ids(&serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap())
}

/// The example as a live cluster: objects as the API serves them, with a pod for each
/// controller, as its controller would have created it.
fn cluster_fixture(yaml: &str) -> Fixture {
    let mut f = Fixture::default();
    for doc in serde_norway::Deserializer::from_str(yaml) {
        let v: Value = serde::Deserialize::deserialize(doc).unwrap();
        if v.is_null() {
            continue;
        }
        let calico = v["apiVersion"]
            .as_str()
            .is_some_and(|a| a.starts_with("projectcalico.org/"));
        match v["kind"].as_str().unwrap() {
            "NetworkPolicy" if calico => f.calico_network_policies.push(v),
            "GlobalNetworkPolicy" if calico => f.calico_global_network_policies.push(v),
            "StagedNetworkPolicy" if calico => f.calico_staged_network_policies.push(v),
            "Tier" if calico => f.calico_tiers.push(v),
            "Pod" => f.pods.push(v),
            "NetworkPolicy" => f.network_policies.push(v),
            "Namespace" => f.namespaces.push(v),
            "ClusterNetworkPolicy" => f.cluster_network_policies.push(v),
            "AdminNetworkPolicy" => f.admin_network_policies.push(v),
            "BaselineAdminNetworkPolicy" => f.baseline_admin_network_policies.push(v),
            "CiliumNetworkPolicy" => f.cilium_network_policies.push(v),
            "CiliumClusterwideNetworkPolicy" => f.cilium_clusterwide_network_policies.push(v),
            kind => {
                let template = &v["spec"]["template"];
                let ns = v["metadata"]["namespace"].clone();
                let name = v["metadata"]["name"].as_str().unwrap();
                f.pods.push(json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("{name}-x"), "namespace": ns,
                                 "labels": template["metadata"]["labels"].clone(),
                                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": kind, "name": name, "controller": true, "uid": "u"}]},
                    "spec": template["spec"].clone(),
                    "status": {"phase": "Running"}
                }));
                if kind == "DaemonSet" && ns == "kube-system" {
                    f.daemon_sets.push(v);
                }
            }
        }
    }
    f
}

fn cluster_mode(yaml: &str) -> Vec<String> {
    // The cluster has the network-policy-api CRDs, in every version this version reads,
    // Cilium's, and Calico's API server.
    let options = Options {
        policy_api_versions: vec!["v1alpha1", "v1alpha2", "v1beta1"],
        other_policy_apis: vec!["cilium.io/v2", "projectcalico.org/v3"],
        ..Options::default()
    };
    let server = ApiServer::start(cluster_fixture(yaml), options);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig, "test", None);
    let out = Command::new(BINARY)
        .args([
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "-A",
            "-o",
            "json",
            "--include-system",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.code().unwrap() < 2,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    rule_ids(&serde_json::from_slice(&out.stdout).unwrap())
}

/// A mode: its name, and what it finds on some manifests.
type Mode = (&'static str, fn(&str) -> Vec<String>);

/// NPC130, NPC307 and NPC406 read the CNI from a live cluster's kube-system; manifests cannot
/// tell it.
fn modes(rule: &Rule) -> Vec<Mode> {
    let mut modes: Vec<Mode> = vec![("cluster", cluster_mode)];
    if !["NPC130", "NPC307", "NPC406"].contains(&rule.id) {
        modes.push(("manifests", manifests_mode));
        modes.push(("post-render", post_render_mode));
    }
    modes
}

#[test]
fn every_rule_fires_on_its_bad_example_and_not_on_its_fixed_one() {
    for rule in RULES {
        for (mode, run) in modes(rule) {
            let bad = run(rule.bad_example);
            assert!(
                bad.iter().any(|r| r == rule.id),
                "{} {mode}: bad example gave {bad:?}",
                rule.id
            );
            let good = run(rule.good_example);
            assert!(
                !good.iter().any(|r| r == rule.id),
                "{} {mode}: fixed example gave {good:?}",
                rule.id
            );
        }
    }
}

#[test]
fn disable_and_severity_flags_change_the_verdict() {
    let rule = &RULES[0];
    assert_eq!(rule.id, "NPC001");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.yaml");
    std::fs::write(&f, rule.bad_example).unwrap();
    let run = |args: &[&str]| {
        Command::new(BINARY)
            .args(["-f", f.to_str().unwrap(), "-o", "json"])
            .args(args)
            .output()
            .unwrap()
    };
    assert_eq!(run(&[]).status.code(), Some(1));
    let out = run(&["--disable", "uncovered-workload"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!rule_ids(&serde_json::from_slice(&out.stdout).unwrap()).contains(&"NPC001".to_owned()));
    let out = run(&["--disable", "NPC001", "--enable", "npc001"]);
    assert_eq!(out.status.code(), Some(1), "--enable wins");
    let out = run(&["--severity", "NPC001=warning"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning is below the default --fail-on"
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "NPC001" && f["severity"] == "warning"));
    let out = run(&["--disable", "NPC999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such rule"));
}
