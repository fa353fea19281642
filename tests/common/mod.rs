//! Helpers shared by the integration tests: run the binary, parse its JSON report, check the
//! shape of error messages.
#![allow(dead_code)]

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

pub const BIN: &str = "kubectl-netpol_check";

/// The crate's root; tests run the binary from there, so relative fixture paths appear as
/// written in messages and snapshots.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<rel>`, relative to the crate root (the binary's working directory).
pub fn fixture(rel: &str) -> String {
    let path = format!("tests/fixtures/{rel}");
    assert!(root().join(&path).exists(), "missing fixture {path}");
    path
}

/// A file of the conformance corpora copied into the repository (tests/conformance/README.md
/// names their upstreams). Tests read nothing outside the repository: tests/self_contained.rs.
pub fn conformance(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/")).join(rel)
}

/// The binary, run from the crate root with a neutral colour environment.
pub fn cmd() -> Command {
    let mut c = Command::cargo_bin(BIN).expect("binary builds");
    c.current_dir(root());
    c.env_remove("NO_COLOR");
    c.env_remove("CLICOLOR_FORCE");
    c.env_remove("RUST_BACKTRACE");
    c.env_remove("RUST_LIB_BACKTRACE");
    // The report's timestamp: the same bytes out on every run.
    c.env("SOURCE_DATE_EPOCH", "1700000000");
    c
}

/// What a run did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from_output(out: std::process::Output) -> Self {
        Run {
            code: out.status.code().expect("exited, not killed by a signal"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs the binary with arguments and an empty stdin.
pub fn run(args: &[&str]) -> Run {
    run_stdin(args, b"")
}

/// Runs the binary with arguments and the given stdin.
pub fn run_stdin(args: &[&str], stdin: &[u8]) -> Run {
    let out = cmd()
        .args(args)
        .write_stdin(stdin.to_vec())
        .output()
        .expect("runs");
    Run::from_output(out)
}

/// Runs a prepared command.
pub fn run_cmd(mut c: Command) -> Run {
    Run::from_output(c.output().expect("runs"))
}

/// Runs with `-o json` added; the run must have produced a report (exit 0 or 1, nothing on
/// stderr). Returns the exit status and the parsed report.
pub fn json(args: &[&str]) -> (i32, Value) {
    json_stdin(args, b"")
}

/// Like [`json`], with stdin.
pub fn json_stdin(args: &[&str], stdin: &[u8]) -> (i32, Value) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-o", "json"]);
    let r = run_stdin(&all, stdin);
    assert!(
        r.code == 0 || r.code == 1,
        "expected a report (exit 0 or 1), got {}\nstderr: {}",
        r.code,
        r.stderr
    );
    assert!(r.stderr.is_empty(), "unexpected stderr: {}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", r.stdout));
    (r.code, v)
}

/// Runs YAML given on stdin (`-f - -o json` plus `extra`).
pub fn report_of(yaml: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["-f", "-"];
    args.extend_from_slice(extra);
    json_stdin(&args, yaml.as_bytes())
}

/// The workload entry `kind namespace/name` of a report.
pub fn workload<'a>(report: &'a Value, kind: &str, namespace: &str, name: &str) -> &'a Value {
    report["workloads"]
        .as_array()
        .expect("workloads is an array")
        .iter()
        .find(|w| w["kind"] == kind && w["namespace"] == namespace && w["name"] == name)
        .unwrap_or_else(|| {
            panic!(
                "no workload {kind} {namespace}/{name} in {:#}",
                report["workloads"]
            )
        })
}

/// `(ingress.isolated, egress.isolated)` of a workload.
pub fn isolation(report: &Value, kind: &str, namespace: &str, name: &str) -> (bool, bool) {
    let w = workload(report, kind, namespace, name);
    (
        w["ingress"]["isolated"].as_bool().expect("bool"),
        w["egress"]["isolated"].as_bool().expect("bool"),
    )
}

/// The policy names listed for a workload in one direction.
pub fn policies(report: &Value, kind: &str, namespace: &str, name: &str, dir: &str) -> Vec<String> {
    workload(report, kind, namespace, name)[dir]["policies"]
        .as_array()
        .expect("policies is an array")
        .iter()
        .map(|p| p.as_str().expect("string").to_owned())
        .collect()
}

/// The namespace entry of a report.
pub fn namespace<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["namespaces"]
        .as_array()
        .expect("namespaces is an array")
        .iter()
        .find(|n| n["name"] == name)
        .unwrap_or_else(|| panic!("no namespace {name} in {:#}", report["namespaces"]))
}

/// Names of the namespaces of a report, in report order.
pub fn namespace_names(report: &Value) -> Vec<String> {
    report["namespaces"]
        .as_array()
        .expect("namespaces is an array")
        .iter()
        .map(|n| n["name"].as_str().expect("string").to_owned())
        .collect()
}

/// `(rule, kind, namespace, object)` of the entries of `findings` or `suppressed`.
pub fn finding_keys(report: &Value, list: &str) -> Vec<(String, String, String, String)> {
    report[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list} is an array"))
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["kind"].as_str().unwrap_or_default().to_owned(),
                f["namespace"].as_str().unwrap_or_default().to_owned(),
                f["object"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Whether `findings` holds a finding of `rule` about `kind object` in `namespace`.
pub fn has_finding(report: &Value, rule: &str, kind: &str, namespace: &str, object: &str) -> bool {
    finding_keys(report, "findings")
        .iter()
        .any(|(r, k, n, o)| r == rule && k == kind && n == namespace && o == object)
}

/// Checks the shape every "could not run" outcome must have: exit 2, nothing on stdout, a short
/// message on stderr that starts with `error: `, names `location`, and shows no panic or
/// backtrace.
pub fn assert_error(r: &Run, location: &str) {
    assert_eq!(r.code, 2, "exit status; stderr: {}", r.stderr);
    assert!(
        r.stdout.is_empty(),
        "stdout must be empty, got: {}",
        r.stdout
    );
    assert!(
        r.stderr.starts_with("error: "),
        "stderr must start with `error: `, got: {:?}",
        r.stderr
    );
    assert!(
        r.stderr.contains(location),
        "stderr must name {location:?}, got: {:?}",
        r.stderr
    );
    let lower = r.stderr.to_lowercase();
    for bad in ["panicked", "backtrace", "internal error", "stack backtrace"] {
        assert!(!lower.contains(bad), "stderr shows {bad:?}: {}", r.stderr);
    }
    let lines = r.stderr.lines().count();
    assert!(
        (1..=4).contains(&lines),
        "message must be one or a few lines, got {lines}: {}",
        r.stderr
    );
}

/// Location `file:line:column` as a string.
pub fn at(file: &str, line: u32, column: u32) -> String {
    format!("{file}:{line}:{column}")
}

/// `generate -f FILE ARGS` with `input` written to FILE in `dir`: its stdout, exit 0 asserted.
pub fn generate(dir: &std::path::Path, input: &str, args: &[&str]) -> String {
    let file = dir.join("input.yaml");
    std::fs::write(&file, input).unwrap();
    let out = cmd()
        .arg("generate")
        .arg("-f")
        .arg(&file)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The documents of a YAML stream as JSON values, empty documents left out.
pub fn yaml_documents(yaml: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect()
}
