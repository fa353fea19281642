//! `post-render` and `generate` through the binary: namespaces, DNS flags, modes, and the
//! report Helm 4 users see on their terminal.

use std::io::Write;
use std::process::{Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      labels: {app: web}\n";

fn post_render(input: &str, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(BINARY);
    cmd.arg("post-render")
        .args(args)
        .env_remove("HELM_NAMESPACE")
        .env_remove("HELM_PLUGIN_NAME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // A usage error exits before reading stdin.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn helm_namespace_names_the_release_namespace_and_the_flag_wins() {
    let (code, _, err) = post_render(WEB, &[], &[("HELM_NAMESPACE", "team-a")]);
    assert_eq!(code, 1);
    assert!(err.contains("Deployment team-a/web"), "{err}");
    let (_, _, err) = post_render(WEB, &["-n", "team-b"], &[("HELM_NAMESPACE", "team-a")]);
    assert!(err.contains("Deployment team-b/web"), "{err}");
    let (_, _, err) = post_render(WEB, &[], &[]);
    assert!(err.contains("Deployment <release>/web"), "{err}");
}

#[test]
fn dns_flags_shape_the_allow_dns_policy() {
    let (code, out, err) = post_render(
        WEB,
        &[
            "--emit-default-deny",
            "--dns-namespace=dns",
            "--dns-selector=app=coredns,tier=infra",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: dns\n"),
        "{out}"
    );
    assert!(
        out.contains("        matchLabels:\n          app: coredns\n          tier: infra\n"),
        "{out}"
    );
    let (_, out, _) = post_render(WEB, &["--emit-default-deny", "--no-dns"], &[]);
    assert!(!out.contains("allow-dns"), "{out}");
    assert!(out.contains("name: default-deny-all"), "{out}");
}

#[test]
fn bad_dns_selector_is_a_usage_error() {
    let (code, out, err) = post_render(WEB, &["--dns-selector=novalue"], &[]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("is not key=value"), "{err}");
}

#[test]
fn workloads_mode_writes_one_policy_per_uncovered_workload() {
    let (code, out, err) = post_render(WEB, &["--emit-default-deny=workloads"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("name: web-default-deny\n"), "{out}");
    assert!(out.contains("name: web-allow-dns\n"), "{out}");
    assert!(
        out.contains("  podSelector:\n    matchLabels:\n      app: web\n"),
        "{out}"
    );
    assert!(!out.contains("name: default-deny-all"), "{out}");
}

#[test]
fn generate_prints_only_the_policies() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("web.yaml");
    std::fs::write(&f, WEB).unwrap();
    let out = Command::new(BINARY)
        .args([
            "generate",
            "-f",
            f.to_str().unwrap(),
            "-n",
            "shop",
            "--no-dns",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-all\n  \
         namespace: shop\n  labels:\n    netpol-check.io/generated: 'true'\n  annotations:\n    \
         netpol-check.io/generated: 'true'\n    \
         netpol-check.io/reason: namespace shop had no default deny for ingress and egress\nspec:\n  \
         podSelector: {}\n  policyTypes:\n  - Ingress\n  - Egress\n"
    );
}

/// What a terminal shows while `command` reads WEB with its stdout and stderr thrown away:
/// `script` gives it the terminal, so only what it writes to /dev/tty reaches the transcript.
fn terminal_transcript(command: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.yaml");
    std::fs::write(&input, WEB).unwrap();
    let inner = format!("{command} < {} > /dev/null 2>/dev/null", input.display());
    let out = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn helm_4_users_see_the_report_on_their_terminal() {
    let transcript = terminal_transcript(&format!(
        "HELM_PLUGIN_NAME=netpol-check {BINARY} post-render"
    ));
    assert!(transcript.contains("NPC001"), "{transcript}");
    // Without HELM_PLUGIN_NAME (Helm 3 shows stderr itself) nothing goes to the terminal.
    let transcript = terminal_transcript(&format!("{BINARY} post-render"));
    assert!(!transcript.contains("NPC001"));
}

/// A default deny: WEB is covered, and the only finding left is a warning.
const COVERED_WITH_A_WARNING: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
";

#[test]
fn a_yaml_directive_belongs_to_the_document_after_it() {
    // Helm 4 and some generators start a stream, or a document, with `%YAML 1.2`.
    let input = format!("%YAML 1.2\n---\n{WEB}---\n%YAML 1.2\n---\n{COVERED_WITH_A_WARNING}");
    let (code, out, err) = post_render(&input, &["--emit-default-deny"], &[]);
    assert_eq!(code, 0, "{err}");
    // Nothing to add (the namespace has its default deny), and the stream passes unchanged.
    assert_eq!(out, input);
    let (code, _, err) = post_render(&format!("%YAML 1.2\n---\n{WEB}"), &[], &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("Deployment <release>/web"), "{err}");
    assert!(!err.contains("did not find expected"), "{err}");

    // The same through -f, where the directive's line counts in the Deployment's origin.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("directive.yaml");
    std::fs::write(&f, &input).unwrap();
    let out = Command::new(BINARY)
        .args(["-f", f.to_str().unwrap(), "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["workloads"], 1);
    assert_eq!(report["summary"]["networkPolicies"], 1);
    std::fs::write(&f, format!("%YAML 1.2\n---\n{WEB}")).unwrap();
    let out = Command::new(BINARY)
        .args(["-f", f.to_str().unwrap(), "-o", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let npc001 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "NPC001")
        .unwrap();
    assert_eq!(npc001["line"], 3, "the Deployment starts on line 3");
}

#[test]
fn the_brief_says_where_the_findings_it_counts_but_does_not_show_are() {
    let input = format!("{WEB}---\n{COVERED_WITH_A_WARNING}");
    let (code, _, err) = post_render(&input, &["-n", "shop"], &[]);
    assert_eq!(code, 0, "{err}");
    let counted = err
        .lines()
        .find(|l| l.starts_with("Findings: "))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(counted.contains("0 errors"), "{err}");
    assert!(!counted.contains(" 0 warnings"), "a warning to hide: {err}");
    assert!(!err.contains("warning["), "{err}");
    assert!(
        err.lines()
            .any(|l| l
                .contains("not shown: --report-file FILE lists every finding; --fail-on warning")),
        "{err}"
    );
    // Shown, nothing is said to be hidden.
    let (code, _, err) = post_render(&input, &["-n", "shop", "--fail-on", "info"], &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("warning["), "{err}");
    assert!(!err.contains("not shown"), "{err}");
}

#[test]
fn generated_policies_are_named_on_stderr() {
    let (code, _, err) = post_render(WEB, &["--emit-default-deny"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.lines().any(|l| l
            == "Added 2 NetworkPolicies to the release (--emit-default-deny): default-deny-all, allow-dns"),
        "{err}"
    );
    let (_, _, err) = post_render(WEB, &[], &[]);
    assert!(!err.contains("Added"), "{err}");
}

#[test]
fn helm_4_users_see_what_was_added_on_their_terminal() {
    let transcript = terminal_transcript(&format!(
        "HELM_PLUGIN_NAME=netpol-check {BINARY} post-render --emit-default-deny"
    ));
    assert!(
        transcript.contains("Added 2 NetworkPolicies"),
        "{transcript}"
    );
}

#[test]
fn the_helm_4_wrapper_tells_the_terminal_when_it_finds_no_binary() {
    let wrapper = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/helm-post-render.sh");
    let plugin_dir = tempfile::tempdir().unwrap();
    // No bin/ in the plugin and a PATH without the binary.
    let inner = format!(
        "HELM_PLUGIN_NAME=netpol-check HELM_PLUGIN_DIR={} PATH=/usr/bin:/bin sh {wrapper} </dev/null >/dev/null 2>/dev/null; echo \"status $?\"",
        plugin_dir.path().display()
    );
    let out = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .output()
        .unwrap();
    let transcript = String::from_utf8_lossy(&out.stdout);
    assert!(
        transcript.contains("netpol-check: kubectl-netpol_check not found"),
        "{transcript}"
    );
    assert!(transcript.contains("status 127"), "{transcript}");
    // Its stderr says it too, for Helm 3 and for logs.
    let out = Command::new("sh")
        .arg(wrapper)
        .env("HELM_PLUGIN_DIR", plugin_dir.path())
        .env("PATH", "/usr/bin:/bin")
        .env_remove("HELM_PLUGIN_NAME")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kubectl-netpol_check not found"));
}

fn reach(files: &[&str], args: &[&str]) -> i32 {
    let mut cmd = Command::new(BINARY);
    cmd.arg("reach").args(args);
    for f in files {
        cmd.args(["-f", f]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.status.code().unwrap()
}

#[test]
fn generate_keeps_what_existing_rules_allow_and_closes_what_was_open_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("generated.yaml");
    let out = Command::new(BINARY)
        .args(["generate", "-f", "examples/shop"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    std::fs::write(&generated, &text).unwrap();
    let shop = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/shop");
    let after = [shop, generated.to_str().unwrap()];
    let grpc = ["deploy/web", "deploy/api", "-n", "shop", "--port", "grpc"];
    // allow-web-to-api admits web on grpc; web's egress was open, so the flow was allowed.
    assert_eq!(reach(&[shop], &grpc), 0);
    assert_eq!(reach(&after, &grpc), 0, "{text}");
    // The completed rule names the same pods and port, from web's side.
    assert!(text.contains("name: allow-web-to-api-egress\n"), "{text}");
    assert!(
        text.contains(
            "  podSelector:\n    matchLabels:\n      app: web\n  policyTypes:\n  - Egress\n  egress:\n  \
             - to:\n    - podSelector:\n        matchLabels:\n          app: api\n    ports:\n    - port: grpc\n"
        ),
        "{text}"
    );
    assert!(text.contains("netpol-check.io/reason: keeps the connections spec.ingress[0] of NetworkPolicy shop/allow-web-to-api allows these pods, which the generated egress deny would otherwise block\n"), "{text}");
    // Not on another port, and not to an address: only both sides being open allowed those.
    let http = ["deploy/web", "deploy/api", "-n", "shop", "--port", "8080"];
    assert_eq!(reach(&[shop], &http), 1);
    let out = ["deploy/web", "203.0.113.9", "-n", "shop", "--port", "443"];
    assert_eq!(reach(&[shop], &out), 0);
    assert_eq!(reach(&after, &out), 1);
}

/// A chart whose Prometheus may reach anything (`egress: [{}]`), as many monitoring charts do.
const ALLOW_ALL_EGRESS: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      labels: {app: web}\n---\n\
apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: prometheus\nspec:\n  template:\n    metadata:\n      labels: {app: prometheus}\n---\n\
apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: prometheus\nspec:\n  podSelector:\n    matchLabels: {app: prometheus}\n  policyTypes: [Egress]\n  egress:\n  - {}\n";

#[test]
fn emit_default_deny_does_not_generate_a_deny_an_allow_all_rule_neutralises() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let (code, out, err) = post_render(
        ALLOW_ALL_EGRESS,
        &[
            "--emit-default-deny",
            // The chart's own NPC105 (its allow-all reaches the metadata endpoint) stays.
            "--fail-on=uncovered",
            "-n",
            "mon",
            "-o",
            "json",
            &format!("--report-file={}", report.display()),
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    let errors: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(errors, ["NPC105"], "{:#}", r["findings"]);
    assert!(!rules.contains(&"NPC114"), "{rules:?}");
    assert_eq!(r["summary"]["uncoveredWorkloads"], 0);
    // Ingress is denied for the whole namespace; egress workload by workload.
    assert!(out.contains("name: default-deny-ingress\n"), "{out}");
    assert!(!out.contains("name: default-deny-all\n"), "{out}");
    assert!(!out.contains("name: default-deny-egress\n"), "{out}");
    assert!(out.contains("name: web-default-deny-egress\n"), "{out}");
    assert!(!out.contains("prometheus-default-deny"), "{out}");
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("no default deny for egress generated in namespace mon: NetworkPolicy mon/prometheus allows all egress (spec.egress[0])"),
        "{notes}"
    );
    let reasons: Vec<&str> = r["generated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            g["metadata"]["annotations"]["netpol-check.io/reason"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(
        reasons.contains(&"namespace mon had no default deny for ingress"),
        "{reasons:?}"
    );
}

/// `(namespace, name)` of every NetworkPolicy document of a stream, in order; a document
/// without a namespace is in `release`.
fn policy_names(stream: &str, release: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for doc in stream.split("\n---") {
        let Ok(v) = serde_norway::from_str::<serde_json::Value>(doc) else {
            continue;
        };
        if v["kind"] == "NetworkPolicy" {
            let ns = v["metadata"]["namespace"].as_str().unwrap_or(release);
            out.push((
                ns.to_owned(),
                v["metadata"]["name"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

fn assert_unique(names: &[(String, String)]) {
    let mut sorted = names.to_vec();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "names repeat: {names:?}");
}

#[test]
fn generated_names_never_clash_between_workloads_of_one_name() {
    // A Deployment and a StatefulSet may share a name; their generated policies may not.
    let chart = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      labels: {app: web}\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      labels: {app: web-db}\n";
    let (code, out, err) =
        post_render(chart, &["-n", "shop", "--emit-default-deny=workloads"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(chart) || out.contains(chart.split("---").next().unwrap()));
    let names = policy_names(&out, "shop");
    assert!(names.len() >= 2, "{names:?}");
    assert_unique(&names);
}

#[test]
fn generated_names_never_clash_with_the_charts_own() {
    // The chart already uses default-deny-all and default-deny-all-generated (neither denies
    // the whole namespace): the generated namespace deny needs a third name.
    let chart = format!(
        "{WEB}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-all\nspec:\n  podSelector: {{matchLabels: {{app: other}}}}\n  policyTypes: [Ingress, Egress]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-all-generated\nspec:\n  podSelector: {{matchLabels: {{app: other}}}}\n  policyTypes: [Ingress, Egress]\n"
    );
    let (code, out, err) = post_render(&chart, &["-n", "shop", "--emit-default-deny"], &[]);
    assert_eq!(code, 0, "{err}");
    let names = policy_names(&out, "shop");
    assert_unique(&names);
    assert!(
        names
            .iter()
            .any(|(_, n)| n == "default-deny-all-generated-2"),
        "{names:?}"
    );
}
