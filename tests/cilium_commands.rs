//! Cilium policies end to end: the report, the table, `explain`, `reach` and `generate` read
//! them from the one compiled model (SEMANTICS.md points 17-19). Every expected verdict is
//! worked out in the comments; the connectivity of Cilium's documented cases is
//! tests/cilium_docs.rs.

mod common;

use common::{fixture, json, run, run_stdin, workload};

/// A CiliumClusterwideNetworkPolicy selecting every pod: `ingressDeny` from `world`, `ingress`
/// from `all` (Cilium's "deny policies" page).
const WORLD_DENY: &str = "cilium/world-deny.yaml";

#[test]
fn report_names_the_cilium_policy_that_isolates_and_every_policy_that_selects() {
    let (code, r) = json(&["-f", &fixture(WORLD_DENY)]);
    // The clusterwide policy has an ingress section: every pod is default-deny for ingress
    // (point 18); nothing has an egress section: egress stays open, so both are uncovered.
    assert_eq!(code, 1);
    let web = &workload(&r, "Deployment", "ns-a", "web")["ingress"];
    assert_eq!(web["isolation"], "isolated");
    assert_eq!(web["isolated"], true);
    assert_eq!(web["decidedBy"]["layer"], "NetworkPolicy");
    assert_eq!(web["decidedBy"]["kind"], "CiliumClusterwideNetworkPolicy");
    assert_eq!(web["decidedBy"]["name"], "external-lockdown");
    assert_eq!(
        web["policyRefs"],
        serde_json::json!([{"kind": "CiliumClusterwideNetworkPolicy", "apiVersion": "cilium.io/v2", "name": "external-lockdown"}])
    );
    let egress = &workload(&r, "Deployment", "ns-a", "web")["egress"];
    assert_eq!(egress["isolation"], "open");
    assert!(egress.get("decidedBy").is_none());
    assert_eq!(
        r["summary"]["policies"]["CiliumClusterwideNetworkPolicy"],
        1
    );
    // A pod of a namespace that only catch-all selectors match is isolated by it too.
    let ns = r["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "ns-a")
        .unwrap();
    assert_eq!(ns["defaultDeny"]["ingress"], true);
    assert_eq!(ns["defaultDeny"]["egress"], false);
}

#[test]
fn table_counts_cilium_policies() {
    let r = run(&["-f", &fixture(WORLD_DENY)]);
    assert!(
        r.stdout.contains(
            "0 NetworkPolicies and 1 Cilium policy (1 CiliumClusterwideNetworkPolicy) found across 2 namespaces"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn reach_names_the_deny_rule_that_decides() {
    // From outside: the deny rule matches `world` and wins over the `all` allow (point 19).
    let r = run(&[
        "reach",
        "8.8.8.8",
        "deploy/web",
        "-n",
        "ns-a",
        "-f",
        &fixture(WORLD_DENY),
        "--port",
        "80",
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .starts_with("DENIED: 8.8.8.8 -> deploy/web (ns-a), TCP 80"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("denied by CiliumClusterwideNetworkPolicy external-lockdown, ingress spec.ingressDeny[0]: Deny from entities world"),
        "{}",
        r.stdout
    );
    // From a pod of another namespace: `all` holds every pod, no deny matches it.
    let r = run(&[
        "reach",
        "-f",
        &fixture(WORLD_DENY),
        "-n",
        "ns-b",
        "deploy/client",
        "--to-namespace",
        "ns-a",
        "deploy/web",
        "--port",
        "80",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("allowed by CiliumClusterwideNetworkPolicy external-lockdown, ingress spec.ingress[0]: Allow from entities all"),
        "{}",
        r.stdout
    );
}

#[test]
fn reach_json_names_the_cilium_rule() {
    let (code, r) = json(&[
        "reach",
        "8.8.8.8",
        "deploy/web",
        "-n",
        "ns-a",
        "-f",
        &fixture(WORLD_DENY),
        "--port",
        "80",
    ]);
    assert_eq!(code, 1);
    let by = &r["ingress"]["decidedBy"];
    assert_eq!(by["layer"], "NetworkPolicy");
    assert_eq!(by["action"], "Deny");
    assert_eq!(by["kind"], "CiliumClusterwideNetworkPolicy");
    assert_eq!(by["name"], "external-lockdown");
}

#[test]
fn explain_walks_the_cilium_rules_in_the_network_policy_layer() {
    let r = run(&[
        "explain",
        "deploy/web",
        "-n",
        "ns-a",
        "-f",
        &fixture(WORLD_DENY),
    ]);
    let out = &r.stdout;
    assert!(
        out.contains("Ingress: isolated for ingress, by the default deny of CiliumClusterwideNetworkPolicy external-lockdown"),
        "{out}"
    );
    let layer = out
        .find("2. NetworkPolicy tier, with Cilium policies: isolated for ingress by the default deny of CiliumClusterwideNetworkPolicy external-lockdown")
        .expect(out);
    let deny = out
        .find("spec.ingressDeny[0]: Deny from entities world, every port and protocol")
        .expect(out);
    let allow = out
        .find("spec.ingress[0]: Allow from entities all, every port and protocol")
        .expect(out);
    assert!(layer < allow && layer < deny, "{out}");
    // The allow rule matches both workloads and the outside; the deny only the outside.
    assert!(
        out.contains(
            "matches: deploy/web (ns-a), deploy/client (ns-b), addresses outside the cluster"
        ),
        "{out}"
    );
    // Egress: nothing selects it.
    assert!(out.contains("NOT isolated for egress"), "{out}");
}

#[test]
fn explain_json_lists_the_cilium_policy_in_its_layer() {
    let (_, r) = json(&[
        "explain",
        "deploy/web",
        "-n",
        "ns-a",
        "-f",
        &fixture(WORLD_DENY),
    ]);
    let ingress = &r["ingress"];
    let tiers = ingress["tiers"].as_array().unwrap();
    assert_eq!(tiers.len(), 1, "{ingress:#}");
    assert_eq!(tiers[0]["tier"], "NetworkPolicy");
    assert_eq!(tiers[0]["kind"], "CiliumClusterwideNetworkPolicy");
    let rules: Vec<(&str, &str)> = tiers[0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["action"].as_str().unwrap(), r["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rules,
        [
            ("Allow", "spec.ingress[0]"),
            ("Deny", "spec.ingressDeny[0]")
        ]
    );
}

#[test]
fn the_always_mode_isolates_every_pod_and_says_so() {
    // No policy at all: `always` makes every pod default-deny both ways (point 18).
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: x}]}\n";
    let r = run_stdin(
        &["-f", "-", "-o", "json", "--cilium-policy-mode", "always"],
        yaml.as_bytes(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    for d in ["ingress", "egress"] {
        let v = &workload(&report, "Deployment", "shop", "web")[d];
        assert_eq!(v["isolation"], "isolated", "{d}");
        assert_eq!(v["decidedBy"]["layer"], "CNI mode", "{d}");
        assert_eq!(v["decidedBy"]["name"], "cilium-config", "{d}");
    }
    // `never`: nothing is enforced, a NetworkPolicy deny-all included.
    let deny = format!(
        "{yaml}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: deny, namespace: shop}}\nspec: {{podSelector: {{}}, policyTypes: [Ingress, Egress]}}\n"
    );
    let r = run_stdin(
        &["-f", "-", "-o", "json", "--cilium-policy-mode", "never"],
        deny.as_bytes(),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        workload(&report, "Deployment", "shop", "web")["ingress"]["isolation"],
        "open"
    );
}

#[test]
fn matrix_reads_the_cilium_policies() {
    // Cilium's "Simple Ingress Allow": backend accepts only frontend of its own namespace
    // (fromEndpoints are confined to the policy's namespace, point 17); frontend's egress
    // policy lets it reach backend only (tests/fixtures/cilium/l3-simple.expected).
    let r = run(&[
        "matrix",
        "-f",
        &fixture("cilium/l3-simple.yaml"),
        "-o",
        "connlist",
    ]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let into_backend: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains("=> shop/backend[Deployment]"))
        .collect();
    assert_eq!(
        into_backend,
        ["shop/frontend[Deployment] => shop/backend[Deployment] : All Connections"],
        "{}",
        r.stdout
    );
    let from_frontend: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("shop/frontend[Deployment] =>"))
        .collect();
    assert_eq!(from_frontend, into_backend, "{}", r.stdout);
}

#[test]
fn reach_says_l7_rules_narrow_requests_not_the_connection() {
    // Cilium's L7 example: the connection is allowed (point 19), the HTTP rule is a note.
    let r = run(&[
        "reach",
        "deploy/prod-client",
        "deploy/service",
        "-n",
        "shop",
        "-f",
        &fixture("cilium/l7.yaml"),
        "--port",
        "80",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("with L7 rules (http) that narrow requests, not the connection"),
        "{}",
        r.stdout
    );
}
