//! `-l/--selector` limits what is reported, never the verdicts: coverage and every lint are
//! worked out on the whole input (issue 12). Expected values worked out by hand from SHOP.

mod common;

use common::*;
use serde_json::Value;

/// web may send to db; db admits web on 5432 and sends nothing; debug has no policy; orphan
/// selects nothing.
const SHOP: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: db, image: postgres, ports: [{containerPort: 5432}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop, labels: {run: debug}}
spec: {containers: [{name: sh, image: busybox}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: db}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: orphan, namespace: shop}
spec:
  podSelector: {matchLabels: {app: gone}}
";

fn names(report: &Value) -> Vec<String> {
    report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap().to_owned())
        .collect()
}

fn rules_on(report: &Value, object: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["object"] == object)
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn manifests_selector_limits_the_workloads_reported() {
    let (code, all) = report_of(SHOP, &[]);
    assert_eq!(code, 1, "debug is uncovered");
    assert_eq!(names(&all), ["db", "debug", "web"]);
    assert!(rules_on(&all, "orphan").contains(&"NPC110".to_owned()));

    let (code, db) = report_of(SHOP, &["-l", "app=db"]);
    assert_eq!(names(&db), ["db"]);
    assert_eq!(code, 0, "{:#}", db["findings"]);
    // db's policy names web as a peer: web is still in the analysis.
    assert!(
        !rules_on(&db, "db").contains(&"NPC111".to_owned()),
        "{:#}",
        db["findings"]
    );
    // Findings on workloads and policies outside the selection are not reported.
    for other in ["debug", "web", "web-egress", "orphan"] {
        assert!(
            rules_on(&db, other).is_empty(),
            "{other}: {:#}",
            db["findings"]
        );
    }
    assert_eq!(db["summary"]["workloads"], 1);
    assert_eq!(db["summary"]["uncoveredWorkloads"], 0);
    assert_eq!(db["summary"]["namespaces"], 1);
    assert_eq!(db["summary"]["networkPolicies"], 3, "every policy counts");
    assert_eq!(namespace(&db, "shop")["workloads"], 1);
    // The verdict on db is the one of the whole run.
    assert_eq!(
        workload(&db, "Pod", "shop", "db"),
        workload(&all, "Pod", "shop", "db")
    );
}

#[test]
fn kubectl_selector_syntax() {
    for (selector, want) in [
        ("app==db", vec!["db"]),
        ("app in (db, web)", vec!["db", "web"]),
        ("app notin (web)", vec!["db", "debug"]),
        ("app!=web", vec!["db", "debug"]),
        ("app", vec!["db", "web"]),
        ("!app", vec!["debug"]),
        ("app,app!=db", vec!["web"]),
    ] {
        let (_, r) = report_of(SHOP, &["-l", selector]);
        assert_eq!(names(&r), want, "-l {selector}");
    }
}

#[test]
fn bad_selector_is_a_usage_error() {
    for bad in ["app in ()", "app=web,", "app=we b", "app>1", "=web"] {
        let r = run_stdin(&["-f", "-", "-l", bad], SHOP.as_bytes());
        assert_eq!(r.code, 2, "{bad}: {}", r.stdout);
        assert!(r.stderr.starts_with("error:"), "{bad}: {}", r.stderr);
        assert!(r.stderr.contains("--selector"), "{bad}: {}", r.stderr);
        assert!(!r.stderr.contains("Selector {"), "{}", r.stderr);
    }
}

#[test]
fn post_render_selector_limits_the_verdict_not_the_chart() {
    let all = run_stdin(&["post-render", "-n", "shop"], SHOP.as_bytes());
    assert_eq!(all.code, 1, "{}", all.stderr);
    let db = run_stdin(
        &["post-render", "-n", "shop", "-l", "app=db"],
        SHOP.as_bytes(),
    );
    assert_eq!(db.code, 0, "{}", db.stderr);
    assert_eq!(db.stdout, SHOP, "the chart goes out whole");
}

#[test]
fn matrix_selector_limits_rows_and_columns() {
    let matrix = |extra: &[&str]| {
        let mut args = vec!["matrix", "-f", "-", "-o", "json"];
        args.extend(extra);
        let r = run_stdin(&args, SHOP.as_bytes());
        assert_eq!(r.code, 0, "{}", r.stderr);
        serde_json::from_str::<Value>(&r.stdout).unwrap()
    };
    let all = matrix(&[]);
    let some = matrix(&["-l", "app in (db,web)"]);
    let shown: Vec<&str> = some["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(shown, ["web", "db"]);
    // The same connections as the whole matrix, less those of debug.
    let without_debug: Vec<&Value> = all["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["source"]["name"] != "debug" && c["destination"]["name"] != "debug")
        .collect();
    let got: Vec<&Value> = some["connections"].as_array().unwrap().iter().collect();
    assert_eq!(got, without_debug);
    assert!(got.iter().any(|c| c["source"]["name"] == "web"
        && c["destination"]["name"] == "db"
        && c["allowed"] == "TCP 5432"));
}
