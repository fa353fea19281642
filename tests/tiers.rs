//! The cluster-scoped tiers end to end: the report, the table, findings, explain, reach,
//! matrix and generate on tests/fixtures/tier-scenarios/shop.yaml and egress-lockdown.yaml. Every
//! expected verdict is worked out in the comments from SEMANTICS.md points 12-16 and 22.

mod common;

use common::{fixture, json, run, workload};

const SHOP: &str = "tier-scenarios/shop.yaml";

#[test]
fn report_names_the_layer_that_isolates_each_direction() {
    let (code, r) = json(&["-f", &fixture(SHOP)]);
    assert_eq!(code, 1, "web and prom are not covered");
    // shop/web ingress: the admin Allow names only monitoring's pods; no NetworkPolicy
    // selects web; the baseline denies every pod, but ingress peers are never addresses
    // (point 13): isolated from pods only (point 22).
    let web = &workload(&r, "Deployment", "shop", "web")["ingress"];
    assert_eq!(web["isolation"], "pods-only");
    assert_eq!(web["isolated"], false);
    assert_eq!(web["decidedBy"]["layer"], "Baseline");
    assert_eq!(web["decidedBy"]["kind"], "BaselineAdminNetworkPolicy");
    assert_eq!(web["decidedBy"]["name"], "default");
    assert_eq!(web["decidedBy"]["rule"], "deny-all-pods");
    let refs: Vec<&str> = web["policyRefs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["monitoring", "default"], "sorted by kind, then name");
    // shop/db ingress: the NetworkPolicy tier isolates it (point 3): isolated.
    let db = &workload(&r, "Deployment", "shop", "db")["ingress"];
    assert_eq!(db["isolation"], "isolated");
    assert_eq!(db["isolated"], true);
    assert_eq!(db["decidedBy"]["layer"], "NetworkPolicy");
    assert_eq!(db["decidedBy"]["name"], "db-ingress");
    // Egress: nothing selects anyone: open, no decidedBy.
    let egress = &workload(&r, "Deployment", "shop", "web")["egress"];
    assert_eq!(egress["isolation"], "open");
    assert!(egress.get("decidedBy").is_none());
    assert_eq!(r["summary"]["policies"]["AdminNetworkPolicy"], 1);
    assert_eq!(r["summary"]["policies"]["BaselineAdminNetworkPolicy"], 1);
}

#[test]
fn table_and_findings_say_pods_only_and_why() {
    let r = run(&["-f", &fixture(SHOP)]);
    assert_eq!(r.code, 1);
    let web_row = r
        .stdout
        .lines()
        .find(|l| l.contains("Deployment/web"))
        .unwrap();
    assert!(web_row.contains("pods-only"), "{web_row}");
    assert!(
        r.stdout.contains(
            "Deployment shop/web is not isolated for ingress (isolated from pods only, by the Baseline tier, BaselineAdminNetworkPolicy default rule 1 (deny-all-pods)"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn reach_names_the_deciding_rule_whatever_its_tier() {
    let file = fixture(SHOP);
    // prom -> db: the admin Allow decides before db's NetworkPolicy (point 12.1).
    let r = run(&[
        "reach",
        "-f",
        &file,
        "-n",
        "monitoring",
        "deploy/prom",
        "--to-namespace",
        "shop",
        "deploy/db",
        "--port",
        "5432",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "Admin tier: allowed by AdminNetworkPolicy monitoring, ingress rule 1 (allow-prom)"
        ),
        "{}",
        r.stdout
    );
    // web -> db 80: not named by the admin rule; the NetworkPolicy isolates db and allows 5432 only.
    let r = run(&[
        "reach",
        "-f",
        &file,
        "-n",
        "shop",
        "deploy/web",
        "deploy/db",
        "--port",
        "80",
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("NetworkPolicy tier: denied: shop/db-ingress isolates it"),
        "{}",
        r.stdout
    );
    // db -> web: the baseline denies every pod (point 12.3).
    let r = run(&[
        "reach",
        "-f",
        &file,
        "-n",
        "shop",
        "deploy/db",
        "deploy/web",
        "--port",
        "8080",
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("Baseline tier: denied by BaselineAdminNetworkPolicy default, ingress rule 1 (deny-all-pods)"), "{}", r.stdout);
    // From outside to web: no cluster-scoped ingress rule matches an address (point 13).
    let r = run(&[
        "reach",
        "-f",
        &file,
        "203.0.113.5",
        "--to-namespace",
        "shop",
        "deploy/web",
        "--port",
        "8080",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // JSON: the deciding step.
    let r = run(&[
        "reach",
        "-f",
        &file,
        "-n",
        "shop",
        "deploy/db",
        "deploy/web",
        "--port",
        "8080",
        "-o",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["verdict"], "denied");
    assert_eq!(v["ingress"]["decidedBy"]["layer"], "Baseline");
    assert_eq!(v["ingress"]["decidedBy"]["action"], "Deny");
    assert_eq!(v["ingress"]["decidedBy"]["name"], "default");
}

#[test]
fn matrix_applies_the_tiers() {
    let r = run(&["matrix", "-f", &fixture(SHOP), "-o", "connlist"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    // prom reaches db and web on everything (admin Allow); web reaches db on 5432 only
    // (NetworkPolicy); db reaches web on nothing (baseline), so no line.
    assert!(
        lines.contains(&"monitoring/prom[Deployment] => shop/db[Deployment] : All Connections"),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"monitoring/prom[Deployment] => shop/web[Deployment] : All Connections"),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"shop/web[Deployment] => shop/db[Deployment] : TCP 5432"),
        "{lines:?}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("shop/db[Deployment] => shop/web")),
        "{lines:?}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("shop/web[Deployment] => monitoring/prom")),
        "baseline denies prom's ingress from pods: {lines:?}"
    );
    assert!(
        lines.contains(
            &"0.0.0.0-255.255.255.255[External] => shop/web[Deployment] : All Connections"
        ),
        "{lines:?}"
    );
}

#[test]
fn explain_walks_the_tiers() {
    let r = run(&["explain", "-f", &fixture(SHOP), "-n", "shop", "deploy/web"]);
    let out = &r.stdout;
    assert!(out.contains("Ingress: isolated for ingress from pods only, by the Baseline tier, BaselineAdminNetworkPolicy default rule 1 (deny-all-pods)"), "{out}");
    let admin = out.find("1. Admin tier").expect(out);
    let np = out
        .find("2. NetworkPolicy tier: nothing isolates it")
        .expect(out);
    let base = out.find("3. Baseline tier").expect(out);
    assert!(admin < np && np < base, "{out}");
    assert!(out.contains("rule 1 (allow-prom): Allow from every pod in namespaces kubernetes.io/metadata.name=monitoring"), "{out}");
    assert!(out.contains("matches: deploy/prom (monitoring)"), "{out}");
}

#[test]
fn a_baseline_egress_lockdown_is_a_default_deny_and_generation_adds_nothing_to_it() {
    let file = fixture("tier-scenarios/egress-lockdown.yaml");
    let (_, r) = json(&["-f", &file]);
    let ns = &r["namespaces"][0];
    assert_eq!(ns["defaultDeny"]["egress"], true);
    assert_eq!(ns["defaultDeny"]["ingress"], false);
    assert_eq!(ns["defaultDenyBy"]["egress"]["layer"], "Baseline");
    assert_eq!(ns["defaultDenyBy"]["egress"]["rule"], "deny-pods");
    let web = &workload(&r, "Deployment", "shop", "web")["egress"];
    assert_eq!(web["isolation"], "isolated");
    // NPC003 asks for an ingress default deny only; NPC108 sees DNS blocked by the baseline.
    let t = run(&["-f", &file]);
    assert!(
        t.stdout
            .contains("Namespace shop has no default-deny NetworkPolicy for ingress:"),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout
            .contains("isolated for egress (by ClusterNetworkPolicy baseline-deny-egress)"),
        "{}",
        t.stdout
    );
    let g = run(&["generate", "-f", &file]);
    assert!(g.stderr.contains("no default deny for egress generated in namespace shop: already denied by the Baseline tier, ClusterNetworkPolicy baseline-deny-egress rule 1 (deny-pods)"), "{}", g.stderr);
    assert!(
        g.stdout.contains("name: default-deny-ingress"),
        "{}",
        g.stdout
    );
    assert!(
        !g.stdout.contains("default-deny-all") && !g.stdout.contains("default-deny-egress"),
        "{}",
        g.stdout
    );
}

const TWO_PODS: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ns-a, labels: {app: a}}\nspec: {containers: [{name: c, image: i}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: ns-b, labels: {app: b}}\nspec: {containers: [{name: c, image: i}]}\n";

fn with(policies: &str) -> String {
    format!("{TWO_PODS}---\n{policies}")
}

#[test]
fn reach_says_unknown_when_a_narrow_network_may_hold_the_pod() {
    // Point 13: a narrower CIDR than /0 may or may not hold pod b's address; manifests do not
    // say, so the answer is unknown (point 23) for the port the rule names, and allowed for
    // another port.
    let yaml = with("apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: deny-net}\nspec:\n  priority: 1\n  subject: {namespaces: {}}\n  egress:\n  - {name: no-10, action: Deny, to: [{networks: [10.0.0.0/8]}], ports: [{portNumber: {protocol: TCP, port: 443}}]}\n");
    let r = common::run_stdin(
        &[
            "reach",
            "-f",
            "-",
            "-n",
            "ns-a",
            "pod/a",
            "--to-namespace",
            "ns-b",
            "pod/b",
            "--port",
            "443",
        ],
        yaml.as_bytes(),
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.starts_with("UNKNOWN"), "{}", r.stdout);
    assert!(
        r.stdout.contains("pod addresses are not in the input"),
        "{}",
        r.stdout
    );
    let r = common::run_stdin(
        &[
            "reach",
            "-f",
            "-",
            "-n",
            "ns-a",
            "pod/a",
            "--to-namespace",
            "ns-b",
            "pod/b",
            "--port",
            "80",
        ],
        yaml.as_bytes(),
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    // An address inside the CIDR is known: denied.
    let r = common::run_stdin(
        &[
            "reach", "-f", "-", "-n", "ns-a", "pod/a", "10.1.2.3", "--port", "443",
        ],
        yaml.as_bytes(),
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.starts_with("DENIED"), "{}", r.stdout);
}

#[test]
fn same_priority_policies_with_different_actions_are_ambiguous() {
    // Point 16: either may apply first; one denies, the other accepts.
    let yaml = with("apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: deny}\nspec:\n  tier: Admin\n  priority: 7\n  subject: {namespaces: {}}\n  ingress: [{action: Deny, from: [{namespaces: {}}]}]\n---\napiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: accept}\nspec:\n  tier: Admin\n  priority: 7\n  subject: {namespaces: {}}\n  ingress: [{action: Accept, from: [{namespaces: {}}]}]\n");
    let r = common::run_stdin(
        &[
            "reach",
            "-f",
            "-",
            "-n",
            "ns-a",
            "pod/a",
            "--to-namespace",
            "ns-b",
            "pod/b",
        ],
        yaml.as_bytes(),
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("ambiguous: ClusterNetworkPolicy accept and ClusterNetworkPolicy deny have the same priority"), "{}", r.stdout);
    let m = common::run_stdin(&["matrix", "-f", "-"], yaml.as_bytes());
    assert!(
        m.stderr.contains(
            "ClusterNetworkPolicy accept and ClusterNetworkPolicy deny have the same priority"
        ),
        "{}",
        m.stderr
    );
    let (_, report) = common::report_of(&yaml, &[]);
    let b = &workload(&report, "Pod", "ns-b", "b")["ingress"];
    assert_eq!(b["isolation"], "ambiguous");
    assert!(
        b["reason"].as_str().unwrap().contains("same priority"),
        "{b}"
    );
}
