//! Cases from Calico's own documentation (tests/fixtures/calico/, PROVENANCE.md there names the
//! page, the section and the sentence behind every verdict): `reach` must give the outcome
//! Calico documents for each connection listed in `<case>.expected`, and the report the
//! coverage that follows from it.
//!
//! `<case>.expected` holds one line per check; `#` starts a comment:
//! - `SRC -> DST PROTO/PORT allowed|denied|unknown`, where an end is `namespace/deployment` or
//!   an IPv4 address;
//! - `coverage NS/DEPLOYMENT ingress|egress ISOLATION [| LAYER [| KIND [| NAME]]]`: the report's
//!   `isolation` of that direction (`isolated`, `pods-only`, `open`) and, when given, its
//!   `decidedBy` layer, kind and name.
//!
//! The expected outcomes were worked out by hand from the documentation and SEMANTICS.md points
//! 20-22, never taken from this program's output.

mod common;
mod doc_cases;

use std::path::{Path, PathBuf};

use netpol_check::model::Inventory;
use netpol_check::semantics::calico_validation;
use serde_json::Value;

fn dir() -> PathBuf {
    doc_cases::dir("calico")
}

fn cases() -> Vec<String> {
    doc_cases::cases("calico", 14)
}

use doc_cases::Connection;

#[derive(Debug)]
struct Coverage {
    line: usize,
    text: String,
    workload: String,
    direction: String,
    isolation: String,
    /// Layer, kind, name: as many as given.
    decided_by: Vec<String>,
}

fn expectations(path: &Path) -> (Vec<Connection>, Vec<Coverage>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut connections = Vec::new();
    let mut coverage = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("coverage ") {
            let mut parts = rest.split('|').map(str::trim);
            let words: Vec<&str> = parts.next().unwrap().split_whitespace().collect();
            let [workload, direction, isolation] = words[..] else {
                panic!("{}:{}: not a coverage line: {raw}", path.display(), i + 1);
            };
            assert!(
                ["ingress", "egress"].contains(&direction)
                    && ["isolated", "pods-only", "open"].contains(&isolation),
                "{}:{}: {raw}",
                path.display(),
                i + 1
            );
            coverage.push(Coverage {
                line: i + 1,
                text: line.to_owned(),
                workload: workload.to_owned(),
                direction: direction.to_owned(),
                isolation: isolation.to_owned(),
                decided_by: parts.map(str::to_owned).collect(),
            });
            continue;
        }
        connections.push(doc_cases::connection(path, i, raw, line));
    }
    (connections, coverage)
}

fn inventory(case: &str) -> (Inventory, String) {
    doc_cases::inventory("calico", case)
}

/// Every Calico policy and Tier of a case is read as one, whatever the verdicts: a case whose
/// policies were dropped would test nothing.
#[test]
fn every_calico_object_of_the_corpus_is_read() {
    for case in cases() {
        let (inventory, text) = inventory(&case);
        let count = |kinds: &[&str]| {
            text.lines()
                .filter(|l| kinds.iter().any(|k| l.trim() == format!("kind: {k}")))
                .count()
        };
        let policies = count(&["GlobalNetworkPolicy"])
            + text
                .split("\n---\n")
                .filter(|d| d.contains("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy"))
                .count();
        assert!(policies > 0, "{case}");
        assert_eq!(
            inventory.calico_policies.len(),
            policies,
            "{case}: ignored: {:?}",
            inventory.ignored_policies
        );
        assert!(
            inventory.policies.is_empty(),
            "{case}: no Kubernetes policy"
        );
        assert_eq!(inventory.calico_tiers.len(), count(&["Tier"]), "{case}");
        // Calico would store every one: a refused object enforces nothing.
        for p in &inventory.calico_policies {
            let problems = calico_validation::validate(p);
            assert!(problems.is_empty(), "{case}: {}: {problems:?}", p.name);
        }
        for t in &inventory.calico_tiers {
            assert!(calico_validation::validate_tier(t).is_empty(), "{case}");
        }
    }
}

#[test]
fn reach_gives_the_outcomes_calico_documents() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases() {
        let (expected, _) = expectations(&dir().join(format!("{case}.expected")));
        assert!(!expected.is_empty(), "{case}.expected lists no connection");
        let (inventory, _) = inventory(&case);
        checked += doc_cases::check_connections(&case, &inventory, &expected, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} of {} connections disagree with Calico's documentation:\n{}",
        failures.len(),
        checked,
        failures.join("\n")
    );
}

#[test]
fn coverage_follows_from_what_calico_documents() {
    let mut failures = Vec::new();
    for case in cases() {
        let (_, expected) = expectations(&dir().join(format!("{case}.expected")));
        assert!(!expected.is_empty(), "{case}.expected lists no coverage");
        let out = common::cmd()
            .args(["-f", &common::fixture(&format!("calico/{case}.yaml"))])
            .args(["-o", "json", "--include-system"])
            .output()
            .unwrap();
        let report: Value = match serde_json::from_slice(&out.stdout) {
            Ok(r) => r,
            Err(_) => {
                failures.push(format!(
                    "{case}: no report: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
                continue;
            }
        };
        for e in expected {
            let (ns, name) = e.workload.split_once('/').unwrap();
            let Some(w) = (report["workloads"].as_array().unwrap().iter())
                .find(|w| w["namespace"] == ns && w["name"] == name)
            else {
                failures.push(format!("{case}.expected:{}: no workload", e.line));
                continue;
            };
            let got = &w[e.direction.as_str()];
            let mut wrong = got["isolation"] != e.isolation.as_str();
            for (field, want) in ["layer", "kind", "name"].iter().zip(&e.decided_by) {
                wrong |= got["decidedBy"][field] != want.as_str();
            }
            // `isolated` keeps its meaning: true exactly when isolated from everywhere.
            wrong |= got["isolated"] != (e.isolation == "isolated");
            if wrong {
                failures.push(format!(
                    "{case}.expected:{}: {}: got {}",
                    e.line, e.text, got
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} coverage verdicts disagree with Calico's documentation:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// PROVENANCE.md accounts for every case, so that each verdict can be traced to its source.
#[test]
fn every_case_names_its_source() {
    let provenance = std::fs::read_to_string(dir().join("PROVENANCE.md")).unwrap();
    for case in cases() {
        assert!(
            provenance.contains(&format!("## {case}\n")),
            "PROVENANCE.md has no section for {case}"
        );
        assert!(
            dir().join(format!("{case}.expected")).exists(),
            "{case}.expected is missing"
        );
    }
    assert!(dir().join("LICENSE").exists());
}

/// The documented global default deny, through the command line: `reach` exits 0 for the DNS
/// lookup it allows and 1 for what it denies.
#[test]
fn the_documented_default_deny_through_reach() {
    let file = common::fixture("calico/default-deny-global.yaml");
    let reach = |to: [&str; 2], port: &str, protocol: &str| {
        common::cmd()
            .args(["reach", "-f", &file, "-n", "shop", "deploy/web"])
            .args(["--to-namespace", to[0], to[1], "--port", port])
            .args(["--protocol", protocol])
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(
        reach(["kube-system", "deploy/coredns"], "53", "UDP"),
        Some(0)
    );
    assert_eq!(
        reach(["kube-system", "deploy/coredns"], "80", "TCP"),
        Some(1)
    );
    assert_eq!(reach(["other", "deploy/api"], "80", "TCP"), Some(1));
}
