//! Cases from Cilium's own documentation and examples (tests/fixtures/cilium/, PROVENANCE.md
//! there names the page, the section and the sentence or table row behind every verdict):
//! `reach` must give the outcome Cilium documents for each connection listed in
//! `<case>.expected`.
//!
//! `<case>.expected` holds one connection a line, `SRC -> DST PROTO/PORT allowed|denied|unknown`,
//! where an end is `namespace/deployment` or an IPv4 address; `mode: always|never` sets the
//! agent's policy enforcement mode (SEMANTICS.md point 18) as `--cilium-policy-mode` would;
//! `#` starts a comment. The expected outcomes were worked out by hand from the documentation,
//! never taken from this program's output.

mod doc_cases;

use std::path::{Path, PathBuf};

use netpol_check::model::{CiliumMode, Inventory};

fn dir() -> PathBuf {
    doc_cases::dir("cilium")
}

fn cases() -> Vec<String> {
    doc_cases::cases("cilium", 15)
}

use doc_cases::Connection as Expected;

/// The mode line, if any, and the connections.
fn expectations(path: &Path) -> (Option<CiliumMode>, Vec<Expected>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut mode = None;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        if let Some(m) = line.strip_prefix("mode:") {
            mode = Some(CiliumMode::parse(m.trim()).expect("a Cilium policy mode"));
            continue;
        }
        out.push(doc_cases::connection(path, i, raw, line));
    }
    (mode, out)
}

fn inventory(case: &str) -> (Inventory, String) {
    doc_cases::inventory("cilium", case)
}

/// Every CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy of a case is read as one,
/// whatever the verdicts: a case whose policies were dropped would test nothing.
#[test]
fn every_cilium_policy_of_the_corpus_is_read() {
    for case in cases() {
        let (inventory, text) = inventory(&case);
        let written = text
            .lines()
            .filter(|l| {
                let l = l.trim();
                l == "kind: CiliumNetworkPolicy" || l == "kind: CiliumClusterwideNetworkPolicy"
            })
            .count();
        assert!(written > 0, "{case}");
        assert_eq!(
            inventory.cilium_policies.len(),
            written,
            "{case}: ignored: {:?}",
            inventory.ignored_policies
        );
    }
}

#[test]
fn reach_gives_the_outcomes_cilium_documents() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases() {
        let (mode, expected) = expectations(&dir().join(format!("{case}.expected")));
        assert!(!expected.is_empty(), "{case}.expected lists no connection");
        let (mut inventory, _) = inventory(&case);
        if mode.is_some() {
            inventory.cilium_mode = mode;
        }
        checked += doc_cases::check_connections(&case, &inventory, &expected, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} of {} connections disagree with Cilium's documentation:\n{}",
        failures.len(),
        checked,
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

/// `--cilium-policy-mode` on the command line sets the mode manifests cannot tell: the same
/// connection of `mode-never.yaml` (loner is no frontend; backend's ingress admits frontends
/// only) is denied in the default mode, allowed with `never`, and with `always` a pod no policy
/// selects loses even its own egress.
#[test]
fn the_policy_mode_flag_sets_the_mode_of_manifests() {
    let file = dir().join("mode-never.yaml");
    let reach = |mode: Option<&str>, from: [&str; 2], to: [&str; 2]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_kubectl-netpol_check"));
        c.args([
            "reach",
            "-f",
            file.to_str().unwrap(),
            "-n",
            from[0],
            from[1],
        ])
        .args(["--to-namespace", to[0], to[1], "--port", "80"]);
        if let Some(m) = mode {
            c.arg(format!("--cilium-policy-mode={m}"));
        }
        let out = c.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let loner = ["other", "deploy/loner"];
    let backend = ["shop", "deploy/backend"];
    let frontend = ["shop", "deploy/frontend"];
    assert_eq!(reach(None, loner, backend).0, Some(1));
    assert_eq!(reach(Some("default"), loner, backend).0, Some(1));
    assert_eq!(reach(Some("never"), loner, backend).0, Some(0));
    assert_eq!(reach(None, loner, frontend).0, Some(0));
    assert_eq!(reach(Some("always"), loner, frontend).0, Some(1));
    let (code, stderr) = reach(Some("sometimes"), loner, frontend);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("sometimes"), "{stderr}");
}
