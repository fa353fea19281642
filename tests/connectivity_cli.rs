//! `explain`, `reach` and `matrix` on manifests (files and stdin): verdicts, exit statuses and
//! output worked out by hand from tests/fixtures/connectivity/shop.yaml:
//!
//! - shop has a default deny for both directions; web accepts anyone on its port `http`
//!   (8080; the policy's types are defaulted to [Ingress]) and may send to api on 9090 and to
//!   kube-dns (absent) on UDP 53; api accepts web on its port `grpc` (9090) and may send to db
//!   on 5432; db accepts api on 5432 and namespaces labelled purpose=monitoring on 9187.
//! - mon/prometheus has no policy at all.

mod common;

use common::*;
use serde_json::Value;

const SHOP: &str = "tests/fixtures/connectivity/shop.yaml";

fn reach(args: &[&str]) -> Run {
    let mut all = vec!["reach"];
    all.extend(args);
    all.extend(["-f", SHOP]);
    run(&all)
}

fn reach_json(args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let r = reach(&all);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    (r.code, serde_json::from_str(&r.stdout).unwrap())
}

#[test]
fn reach_allowed_by_both_sides_names_the_rules() {
    let r = reach(&["deploy/web", "deploy/api", "-n", "shop", "--port", "9090"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r
        .stdout
        .starts_with("ALLOWED: deploy/web (shop) -> deploy/api (shop), TCP 9090\n"));
    assert!(r.stdout.contains("allowed by shop/web-egress, egress rule 1: to pods app=api in namespace shop, TCP 9090"), "{}", r.stdout);
    assert!(r.stdout.contains("allowed by shop/api, ingress rule 1: from pods app=web in namespace shop, TCP port named grpc (here: TCP 9090)"), "{}", r.stdout);
}

#[test]
fn reach_resolves_named_ports_on_the_destination() {
    let (code, j) = reach_json(&["deploy/web", "deploy/api", "-n", "shop", "--port", "grpc"]);
    assert_eq!(code, 0);
    assert_eq!(j["verdict"], "allowed");
    assert_eq!(j["port"]["port"], 9090);
    assert_eq!(j["port"]["protocol"], "TCP");
    // A name the destination does not define is an error, not a verdict.
    let r = reach(&["deploy/web", "deploy/api", "-n", "shop", "--port", "http"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("deploy") || r.stderr.contains("deployment/api"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("no TCP container port named \"http\""),
        "{}",
        r.stderr
    );
}

#[test]
fn reach_denied_names_the_side_that_denies_and_its_policies() {
    let r = reach(&["deploy/web", "sts/db", "-n", "shop", "--port", "5432"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r
        .stdout
        .starts_with("DENIED: deploy/web (shop) -> sts/db (shop), TCP 5432\n"));
    assert!(r.stdout.contains("egress of deploy/web (shop): denied\n  isolated for egress by shop/default-deny, shop/web-egress\n  none of their 2 egress rules allows sts/db (shop) on TCP 5432"), "{}", r.stdout);
    // db's ingress would let api in, not web.
    let (code, j) = reach_json(&["deploy/web", "sts/db", "-n", "shop", "--port", "5432"]);
    assert_eq!(code, 1);
    assert_eq!(j["verdict"], "denied");
    assert_eq!(j["egress"]["allowed"], false);
    assert_eq!(j["ingress"]["allowed"], false);
    assert_eq!(j["ingress"]["isolated"], true);
    let (code, j) = reach_json(&["deploy/api", "sts/db", "-n", "shop", "--port", "5432"]);
    assert_eq!((code, j["verdict"].as_str()), (0, Some("allowed")));
}

#[test]
fn reach_across_namespaces_with_to_namespace() {
    // prometheus has no policy (egress open); db accepts namespaces purpose=monitoring on 9187.
    let args = [
        "deploy/prometheus",
        "-n",
        "mon",
        "sts/db",
        "--to-namespace",
        "shop",
    ];
    let (code, j) = reach_json(&[&args[..], &["--port", "9187"]].concat());
    assert_eq!((code, j["verdict"].as_str()), (0, Some("allowed")));
    assert_eq!(j["egress"]["isolated"], false);
    assert_eq!(j["ingress"]["rules"][0]["policy"], "shop/db");
    assert_eq!(j["ingress"]["rules"][0]["index"], 1);
    let (code, _) = reach_json(&[&args[..], &["--port", "5432"]].concat());
    assert_eq!(code, 1);
    // Other protocols are other connections (point 9).
    let (code, _) = reach_json(&[&args[..], &["--port", "9187", "--protocol", "UDP"]].concat());
    assert_eq!(code, 1);
}

#[test]
fn reach_to_and_from_addresses() {
    // web accepts everyone on 8080, addresses included (no `from`: point 7).
    let (code, j) = reach_json(&["203.0.113.9", "deploy/web", "-n", "shop", "--port", "8080"]);
    assert_eq!((code, j["verdict"].as_str()), (0, Some("allowed")));
    assert!(j["egress"].is_null(), "an address's egress is not policed");
    assert_eq!(j["source"]["address"], "203.0.113.9");
    let (code, _) = reach_json(&["203.0.113.9", "deploy/web", "-n", "shop", "--port", "8081"]);
    assert_eq!(code, 1);
    // web may only reach api and kube-dns pods: no address.
    let (code, j) = reach_json(&["deploy/web", "203.0.113.9", "-n", "shop", "--port", "443"]);
    assert_eq!((code, j["verdict"].as_str()), (1, Some("denied")));
    assert!(j["ingress"].is_null());
}

#[test]
fn reach_without_a_port_lists_what_is_allowed() {
    let r = reach(&["deploy/api", "sts/db", "-n", "shop"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("allowed connections: TCP 5432\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn expect_turns_the_verdict_into_a_gate() {
    let denied = ["deploy/web", "sts/db", "-n", "shop", "--port", "5432"];
    assert_eq!(
        reach(&[&denied[..], &["--expect", "denied"]].concat()).code,
        0
    );
    assert_eq!(
        reach(&[&denied[..], &["--expect", "allowed"]].concat()).code,
        1
    );
    let allowed = ["deploy/api", "sts/db", "-n", "shop", "--port", "5432"];
    assert_eq!(
        reach(&[&allowed[..], &["--expect", "denied"]].concat()).code,
        1
    );
    assert_eq!(
        reach(&[&allowed[..], &["--expect", "allowed"]].concat()).code,
        0
    );
}

#[test]
fn a_pod_reaches_itself_whatever_the_policies() {
    let yaml = "\
apiVersion: v1
kind: Pod
metadata: {name: solo, namespace: x, labels: {app: solo}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
";
    let r = run_stdin(
        &[
            "reach", "pod/solo", "pod/solo", "-n", "x", "--port", "80", "-f", "-",
        ],
        yaml.as_bytes(),
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r
        .stdout
        .contains("a pod's traffic to itself cannot be blocked"));
}

#[test]
fn bad_targets_are_one_line_errors() {
    for (args, wanted) in [
        (vec!["deploy/nope", "deploy/web", "-n", "shop"], "deployment/nope not found in namespace \"shop\" (there: deployment/api, deployment/web, statefulset/db)"),
        (vec!["web", "deploy/api", "-n", "shop"], "name a workload as KIND/NAME"),
        (vec!["svc/web", "deploy/api", "-n", "shop"], "\"svc\" is not a workload kind"),
        (vec!["1.2.3.4", "5.6.7.8", "-n", "shop"], "at least one end must be a workload"),
        (vec!["deploy/web", "deploy/api", "-n", "shop", "--port", "70000"], "70000 is not a port"),
    ] {
        let r = reach(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stdout);
        assert!(r.stderr.contains(wanted), "{args:?}: {}", r.stderr);
        // One line; clap adds its "For more information, try '--help'." to flag errors.
        assert!(r.stderr.trim_end().lines().count() <= 3, "{}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    }
}

#[test]
fn explain_lists_policies_rules_peers_and_findings() {
    let r = run(&["explain", "deploy/web", "-n", "shop", "-f", SHOP]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = &r.stdout;
    assert!(
        out.starts_with("deploy/web (shop): isolated for ingress; isolated for egress\n"),
        "{out}"
    );
    assert!(out.contains("  isolated by NetworkPolicy shop/web-ingress, policyTypes [Ingress] (defaulted from omitted policyTypes)\n"), "{out}");
    assert!(out.contains("  selected by NetworkPolicy shop/web-egress, policyTypes [Egress]: without Ingress, it does not isolate for ingress\n"), "{out}");
    assert!(out.contains("    shop/web-ingress ingress rule 1: from anywhere (every pod and address), TCP port named http\n      resolves to: deploy/web (shop), deploy/api (shop), sts/db (shop), deploy/prometheus (mon), addresses outside the cluster\n"), "{out}");
    assert!(out.contains("    shop/web-egress egress rule 2: to pods k8s-app=kube-dns in every namespace, UDP 53\n      resolves to: nothing in the input\n"), "{out}");
    assert!(
        out.contains("NPC111 (peer-selects-nothing) web-egress"),
        "{out}"
    );

    let r = run(&[
        "explain",
        "deploy/web",
        "-n",
        "shop",
        "-f",
        SHOP,
        "-o",
        "json",
    ]);
    let j: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["kind"], "Explanation");
    assert_eq!(j["egress"]["isolated"], true);
    let rules = j["egress"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0]["peers"][0]["name"], "api");
    assert_eq!(rules[1]["peers"].as_array().unwrap().len(), 0);
    let selected: Vec<&str> = j["ingress"]["selectedBy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(selected, ["default-deny", "web-ingress", "web-egress"]);
    assert_eq!(j["ingress"]["selectedBy"][1]["policyTypesDefaulted"], true);
}

#[test]
fn explain_says_uncovered_directions_first() {
    let r = run(&["explain", "deploy/prometheus", "-n", "mon", "-f", SHOP]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("deploy/prometheus (mon): NOT isolated for ingress (no policy selects it): every connection is allowed; NOT isolated for egress (no policy selects it): every connection is allowed\n"), "{}", r.stdout);
    assert!(
        r.stdout.contains("NPC001 (uncovered-workload)"),
        "{}",
        r.stdout
    );
}

#[test]
fn matrix_connlist_of_one_namespace() {
    let r = run(&["matrix", "-f", SHOP, "-n", "shop", "-o", "connlist"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "0.0.0.0-255.255.255.255[External] => shop/web[Deployment] : TCP 8080\n\
         shop/api[Deployment] => shop/db[StatefulSet] : TCP 5432\n\
         shop/web[Deployment] => shop/api[Deployment] : TCP 9090\n"
    );
}

#[test]
fn matrix_reads_stdin_and_prints_json() {
    let yaml = std::fs::read(root().join(SHOP)).unwrap();
    let r = run_stdin(&["matrix", "-f", "-", "-o", "json"], &yaml);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["kind"], "ConnectivityMatrix");
    assert_eq!(j["workloads"].as_array().unwrap().len(), 4);
    let pair = |src: &str, dst: &str| {
        j["connections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["source"]["name"] == src && c["destination"]["name"] == dst)
            .map(|c| c["allowed"].as_str().unwrap().to_owned())
    };
    assert_eq!(pair("prometheus", "db").as_deref(), Some("TCP 9187"));
    assert_eq!(pair("prometheus", "web").as_deref(), Some("TCP 8080"));
    assert_eq!(pair("prometheus", "api"), None);
    assert_eq!(pair("web", "db"), None);
    let ext = j["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source"]["name"] == "prometheus" && c["destination"]["external"].is_string())
        .unwrap();
    assert_eq!(ext["all"], true);
    assert_eq!(ext["destination"]["external"], "0.0.0.0-255.255.255.255");
}

#[test]
fn matrix_table_grid() {
    let r = run(&["matrix", "-f", SHOP]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("matrix_shop_table", r.stdout);
}

#[test]
fn matrix_table_moves_long_port_lists_to_footnotes() {
    // b accepts a on TCP 80 and UDP 53 ("TCP 80,UDP 53": too wide for a cell), c on TCP 80.
    let yaml = "\
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: x, labels: {app: c}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: a}}}]
    ports: [{port: 80}, {port: 53, protocol: UDP}]
  - from: [{podSelector: {matchLabels: {app: c}}}]
    ports: [{port: 80}]
";
    let r = run_stdin(&["matrix", "-f", "-"], yaml.as_bytes());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows: Vec<Vec<&str>> = r
        .stdout
        .lines()
        .take(5)
        .map(|l| l.split_whitespace().collect())
        .collect();
    // Legend order: x/a = 1, x/b = 2, x/c = 3, the whole address space = x1.
    assert_eq!(rows[0], ["FROM", "\\", "TO", "1", "2", "3", "x1"]);
    assert_eq!(rows[1], ["1", ".", "[1]", "all", "all"]);
    assert_eq!(rows[3], ["3", "all", "TCP", "80", ".", "all"]);
    assert!(
        r.stdout.contains("\n[1] 1 -> 2: TCP 80,UDP 53\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn expect_says_what_it_expected_and_what_it_got() {
    let denied = ["deploy/web", "sts/db", "-n", "shop", "--port", "5432"];
    let r = reach(&[&denied[..], &["--expect", "allowed"]].concat());
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "expected allowed, got denied\n");
    let allowed = ["deploy/api", "sts/db", "-n", "shop", "--port", "5432"];
    let r = reach(&[&allowed[..], &["--expect", "denied"]].concat());
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "expected denied, got allowed\n");
    // A match, or no --expect at all (the status is the verdict): nothing on stderr.
    let r = reach(&[&allowed[..], &["--expect", "allowed"]].concat());
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let r = reach(&denied);
    assert_eq!((r.code, r.stderr.as_str()), (1, ""));
}

/// db accepts web on three ports with one rule: asked about one, `here` names that one only.
const DB_THREE_PORTS: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {template: {metadata: {labels: {app: web}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec: {template: {metadata: {labels: {app: db}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}, {port: 9187}, {port: 53, protocol: UDP}]
";

#[test]
fn reach_here_names_only_the_asked_port() {
    let r = run_stdin(
        &[
            "reach",
            "deploy/web",
            "deploy/db",
            "-n",
            "shop",
            "--port",
            "9187",
            "-f",
            "-",
        ],
        DB_THREE_PORTS.as_bytes(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("  allowed by shop/db, ingress rule 1: from pods app=web in namespace shop, TCP 5432, TCP 9187, UDP 53 (here: TCP 9187)\n"),
        "{}",
        r.stdout
    );
    // Without --port, `here` is everything the rule lets through between the two.
    let r = run_stdin(
        &["reach", "deploy/web", "deploy/db", "-n", "shop", "-f", "-"],
        DB_THREE_PORTS.as_bytes(),
    );
    assert!(
        r.stdout.contains("(here: TCP 5432,9187,UDP 53)\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn matrix_with_nothing_in_scope_suggests_n_or_all_namespaces() {
    let r = run(&["matrix", "-f", SHOP, "-n", "nothere"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stderr,
        "no workloads in namespace \"nothere\": -n NAMESPACE names another, -A takes every namespace\n"
    );
    let r = run(&["matrix", "-f", SHOP, "-n", "shop"]);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn explain_and_reach_json_name_policies_the_same_way() {
    let shop_api = serde_json::json!({
        "kind": "NetworkPolicy",
        "apiVersion": "networking.k8s.io/v1",
        "namespace": "shop",
        "name": "api"
    });
    let (_, reach) = reach_json(&["deploy/web", "deploy/api", "-n", "shop", "--port", "9090"]);
    let ingress = &reach["ingress"];
    let listed: Vec<&Value> = ingress["policies"].as_array().unwrap().iter().collect();
    let api = listed
        .iter()
        .find(|p| p["name"] == "api")
        .expect("policy api");
    for key in ["kind", "apiVersion", "namespace", "name"] {
        assert_eq!(api[key], shop_api[key], "{key}: {api:#}");
    }
    let rule = ingress["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["policyRef"]["name"] == "api")
        .expect("a rule of api");
    assert_eq!(rule["policyRef"], shop_api);
    assert_eq!(rule["policy"], "shop/api", "the existing field stays");

    let r = run(&[
        "explain",
        "deploy/api",
        "-n",
        "shop",
        "-f",
        SHOP,
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let explain: Value = serde_json::from_str(&r.stdout).unwrap();
    let selected = explain["ingress"]["selectedBy"].as_array().unwrap();
    let api = selected.iter().find(|p| p["name"] == "api").expect("api");
    for key in ["kind", "apiVersion", "namespace", "name"] {
        assert_eq!(api[key], shop_api[key], "{key}: {api:#}");
    }
    let rule = explain["ingress"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["policy"] == "api")
        .expect("a rule of api");
    assert_eq!(rule["policyRef"], shop_api);
}

/// web may send to 10.0.0.0/8 except 10.10.0.0/16, on TCP 443 only.
const WEB_TO_TEN: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {template: {metadata: {labels: {app: web}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.10.0.0/16]}}]
    ports: [{port: 443}]
";

fn reach_ten(args: &[&str]) -> Run {
    let mut all = vec!["reach"];
    all.extend(args);
    all.extend(["-n", "shop", "-f", "-"]);
    run_stdin(&all, WEB_TO_TEN.as_bytes())
}

#[test]
fn a_range_is_allowed_only_when_every_address_of_it_is() {
    // Inside the ipBlock, outside its except: every address allowed.
    let r = reach_ten(&["deploy/web", "10.20.0.0/16", "--port", "443"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .starts_with("ALLOWED: deploy/web (shop) -> 10.20.0.0/16, TCP 443\n"),
        "{}",
        r.stdout
    );
    // The except: no address allowed.
    let r = reach_ten(&["deploy/web", "10.10.0.0/16", "--port", "443"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(!r.stdout.contains("not every address"), "{}", r.stdout);
    // The whole /8 straddles the except: denied, and the text says which parts are allowed.
    let r = reach_ten(&["deploy/web", "10.0.0.0/8", "--port", "443"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .starts_with("DENIED: deploy/web (shop) -> 10.0.0.0/8, TCP 443\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("not every address of 10.0.0.0/8 is allowed: allowed to 10.0.0.0/13, 10.8.0.0/15, 10.11.0.0/16, 10.12.0.0/14, 10.16.0.0/12, 10.32.0.0/11, 10.64.0.0/10, 10.128.0.0/9; denied to 10.10.0.0/16\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("their one egress rule does not allow 10.10.0.0/16 on TCP 443"),
        "{}",
        r.stdout
    );
    let r = reach_ten(&["deploy/web", "10.0.0.0/8", "--port", "443", "-o", "json"]);
    let j: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["verdict"], "denied");
    assert_eq!(j["destination"], serde_json::json!({"cidr": "10.0.0.0/8"}));
    let ranges: Vec<(String, String, bool)> = j["ranges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["from"].as_str().unwrap().to_owned(),
                r["to"].as_str().unwrap().to_owned(),
                r["allowed"].as_bool().unwrap(),
            )
        })
        .collect();
    let owned = |a: &str, b: &str, allowed| (a.to_owned(), b.to_owned(), allowed);
    assert_eq!(
        ranges,
        [
            owned("10.0.0.0", "10.9.255.255", true),
            owned("10.10.0.0", "10.10.255.255", false),
            owned("10.11.0.0", "10.255.255.255", true),
        ]
    );
    // Another port: nothing of the range is allowed.
    let r = reach_ten(&["deploy/web", "10.0.0.0/8", "--port", "80"]);
    assert_eq!(r.code, 1);
    assert!(!r.stdout.contains("not every address"), "{}", r.stdout);
    // A range as the source: web's ingress is not isolated.
    let r = reach_ten(&["10.0.0.0/8", "deploy/web", "--port", "80"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // Host bits past the prefix are most likely a typo: a usage error that names the range.
    let r = reach_ten(&["deploy/web", "10.1.2.3/8"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: \"10.1.2.3/8\": the address has bits set past the prefix length (the range is 10.0.0.0/8)\n"
    );
}
