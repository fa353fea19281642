//! `generate --policy-format calico` and `post-render --emit-default-deny --policy-format
//! calico`: the namespace default denies come out as the GlobalNetworkPolicy Calico's "Enable
//! default deny for Kubernetes pods" page recommends (`deny-app-policy`: types Ingress and
//! Egress, a namespaceSelector on `projectcalico.org/name`, egress Allow UDP and TCP 53 to
//! kube-dns), the rest as Calico NetworkPolicies; and the crate reads them back as Calico
//! policies.

mod common;

use std::sync::Arc;

use netpol_check::model::CalicoPolicyKind;
use netpol_check::semantics::calico_validation;
use netpol_check::source::manifests::{build_inventory, parse_all, Loaded, ManifestOptions};
use serde_json::{json, Value};

/// `shop/web` takes TCP 8080 (named `http`) from `other/api` (a NetworkPolicy that isolates web
/// for ingress only); `other/api` and `shop/cache` are open both ways. `quiet` has a default
/// deny for ingress only: it gets an egress deny of its own, not the global one.
const INPUT: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: shop}
spec:
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec: {containers: [{name: cache, image: redis}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: other}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: api}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: job, namespace: quiet}
spec:
  selector: {matchLabels: {app: job}}
  template:
    metadata: {labels: {app: job}}
    spec: {containers: [{name: job, image: job}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-in, namespace: quiet}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}, podSelector: {matchLabels: {app: api}}}]
    ports: [{port: http}]
";

fn generate(dir: &std::path::Path, args: &[&str]) -> String {
    common::generate(dir, INPUT, args)
}

use common::yaml_documents as documents;

fn find<'a>(docs: &'a [Value], kind: &str, namespace: Option<&str>, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| {
            d["kind"] == kind
                && d["metadata"]["name"] == name
                && d["metadata"].get("namespace").and_then(Value::as_str) == namespace
        })
        .unwrap_or_else(|| panic!("no {kind} {namespace:?}/{name} in {docs:#?}"))
}

/// The DNS allow of Calico's documented default deny, with the DNS pods' namespace named
/// (as `--dns-namespace` says) where the page's global rule matches kube-dns pods anywhere.
fn dns_rules() -> Value {
    let rule = |protocol: &str| {
        json!({
            "action": "Allow",
            "protocol": protocol,
            "destination": {
                "selector": "k8s-app == \"kube-dns\"",
                "namespaceSelector": "kubernetes.io/metadata.name == \"kube-system\"",
                "ports": [53]
            }
        })
    };
    json!([rule("UDP"), rule("TCP")])
}

#[test]
fn namespace_denies_are_one_global_network_policy_of_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let docs = documents(&generate(dir.path(), &["--policy-format", "calico"]));
    for d in &docs {
        assert_eq!(d["apiVersion"], "projectcalico.org/v3", "{d:#?}");
        assert!(d["spec"].get("podSelector").is_none(), "{d:#?}");
        assert_eq!(
            d["metadata"]["annotations"]["netpol-check.io/generated"],
            "true"
        );
    }
    // shop (web isolated for ingress only, cache not at all) and other lack both directions.
    let global = find(&docs, "GlobalNetworkPolicy", None, "default-deny");
    assert_eq!(
        global["spec"],
        json!({
            "namespaceSelector": "projectcalico.org/name in {\"other\", \"shop\"}",
            "types": ["Ingress", "Egress"],
            "egress": dns_rules()
        })
    );
    // quiet lacks egress only: a namespaced policy, as the page's namespaced default deny.
    let quiet = find(&docs, "NetworkPolicy", Some("quiet"), "default-deny-egress");
    assert_eq!(
        quiet["spec"],
        json!({"selector": "all()", "types": ["Egress"]})
    );
    let dns = find(&docs, "NetworkPolicy", Some("quiet"), "allow-dns");
    assert_eq!(
        dns["spec"],
        json!({"selector": "all()", "types": ["Egress"], "egress": dns_rules()})
    );
    // No namespaced deny where the global one holds.
    assert!(
        !docs.iter().any(|d| d["kind"] == "NetworkPolicy"
            && d["metadata"]["namespace"] != "quiet"
            && d["metadata"]["name"].as_str().unwrap().contains("deny")),
        "{docs:#?}"
    );
    // api's egress to web, which web-from-api allows, is completed on api's side: the
    // namespace by its name label, the named port kept, TCP as the NetworkPolicy's default.
    let kept = docs
        .iter()
        .find(|d| {
            d["metadata"]["namespace"] == "other"
                && d["spec"]["egress"][0]["destination"]["selector"] == "app == \"web\""
        })
        .unwrap_or_else(|| panic!("no completion of web-from-api in {docs:#?}"));
    assert_eq!(kept["kind"], "NetworkPolicy");
    assert_eq!(
        kept["spec"],
        json!({
            "selector": "app == \"api\"",
            "types": ["Egress"],
            "egress": [{
                "action": "Allow",
                "protocol": "TCP",
                "destination": {
                    "selector": "app == \"web\"",
                    "namespaceSelector": "kubernetes.io/metadata.name == \"shop\"",
                    "ports": ["http"]
                }
            }]
        })
    );
}

#[test]
fn without_dns_the_global_deny_has_no_rule() {
    let dir = tempfile::tempdir().unwrap();
    let docs = documents(&generate(
        dir.path(),
        &["--policy-format", "calico", "--no-dns"],
    ));
    let global = find(&docs, "GlobalNetworkPolicy", None, "default-deny");
    assert_eq!(
        global["spec"],
        json!({
            "namespaceSelector": "projectcalico.org/name in {\"other\", \"shop\"}",
            "types": ["Ingress", "Egress"]
        })
    );
    assert!(!docs.iter().any(|d| d["metadata"]["name"] == "allow-dns"));
}

#[test]
fn workloads_mode_writes_namespaced_calico_policies_only() {
    let dir = tempfile::tempdir().unwrap();
    let docs = documents(&generate(
        dir.path(),
        &["--policy-format", "calico", "--mode", "workloads"],
    ));
    assert!(
        docs.iter().all(|d| d["kind"] == "NetworkPolicy"),
        "{docs:#?}"
    );
    let cache = find(&docs, "NetworkPolicy", Some("shop"), "cache-default-deny");
    assert_eq!(
        cache["spec"],
        json!({"selector": "app == \"cache\"", "types": ["Ingress", "Egress"]})
    );
    // web is isolated for ingress already: its deny adds egress only.
    let web = find(&docs, "NetworkPolicy", Some("shop"), "web-default-deny");
    assert_eq!(
        web["spec"],
        json!({"selector": "app == \"web\"", "types": ["Egress"]})
    );
    let dns = find(&docs, "NetworkPolicy", Some("shop"), "web-allow-dns");
    assert_eq!(dns["spec"]["egress"], dns_rules());
}

#[test]
fn the_generated_policies_read_back_as_calico_policies() {
    for mode in ["namespace", "workloads"] {
        let dir = tempfile::tempdir().unwrap();
        let generated = generate(dir.path(), &["--policy-format", "calico", "--mode", mode]);
        let docs = documents(&generated);
        let loaded = [Loaded {
            name: Arc::from("all.yaml"),
            text: format!("{INPUT}---\n{generated}"),
        }];
        let inventory = build_inventory(
            parse_all(&loaded, &ManifestOptions::default()).expect("the output parses"),
        );
        // Only the input's own NetworkPolicies are Kubernetes ones.
        assert_eq!(inventory.policies.len(), 2, "{mode}");
        assert_eq!(inventory.calico_policies.len(), docs.len(), "{mode}");
        for p in &inventory.calico_policies {
            let problems = calico_validation::validate(p);
            assert!(problems.is_empty(), "{mode}: {}: {problems:?}", p.name);
            assert_eq!(p.tier, "default", "{mode}: {p:?}");
            assert!(p.order.is_none(), "{mode}: {p:?}");
            assert!(!p.kind.staged());
            if p.kind == CalicoPolicyKind::GlobalNetworkPolicy {
                assert_eq!(p.name, "default-deny");
                assert_eq!(
                    p.namespace_selector.as_ref().map(|s| s.text.as_str()),
                    Some("projectcalico.org/name in {\"other\", \"shop\"}")
                );
                assert_eq!(p.egress.len(), 2);
                assert!(p.egress.iter().all(|r| r.action == "Allow"));
                assert_eq!(p.egress[0].protocol.as_deref(), Some("UDP"));
                assert_eq!(p.egress[1].destination.ports, ["53"]);
            } else {
                assert_eq!(p.kind, CalicoPolicyKind::NetworkPolicy);
                assert!(p.namespace.is_some());
            }
        }
    }
}

fn post_render(extra: &[&str]) -> std::process::Output {
    common::cmd()
        .args([
            "post-render",
            "-n",
            "shop",
            "--emit-default-deny",
            "--policy-format",
            "calico",
        ])
        .args(extra)
        .env_remove("HELM_NAMESPACE")
        .write_stdin(INPUT)
        .output()
        .unwrap()
}

/// What the chart gets, whatever the verdict (which the next test checks).
#[test]
fn post_render_writes_namespaced_calico_policies() {
    let out = post_render(&["--fail-on", "never"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (added, chart): (Vec<Value>, Vec<Value>) = documents(&text)
        .into_iter()
        .partition(|d| d["metadata"]["annotations"]["netpol-check.io/generated"] == "true");
    assert_eq!(chart, documents(INPUT), "the chart passes through");
    assert!(!added.is_empty());
    // A chart installs into its namespaces: no cluster-wide policy comes with it.
    assert!(
        added
            .iter()
            .all(|d| d["kind"] == "NetworkPolicy" && d["apiVersion"] == "projectcalico.org/v3"),
        "{added:#?}"
    );
    // The release namespace's policies carry none, so that Helm puts them there.
    let deny = added
        .iter()
        .find(|d| {
            d["metadata"]["name"] == "default-deny-all" && d["metadata"].get("namespace").is_none()
        })
        .unwrap_or_else(|| panic!("no deny for the release namespace in {added:#?}"));
    assert_eq!(
        deny["spec"],
        json!({"selector": "all()", "types": ["Ingress", "Egress"]})
    );
}

/// The generated policies are read back with the chart and count in its verdict: every
/// workload is isolated both ways, so post-render passes.
#[test]
fn post_render_counts_the_generated_calico_policies() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = post_render(&["-o", "json", &format!("--report-file={}", report.display())]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let generated = report["generated"].as_array().unwrap();
    assert!(!generated.is_empty());
    assert!(generated
        .iter()
        .all(|g| g["apiVersion"] == "projectcalico.org/v3"));
    for w in report["workloads"].as_array().unwrap() {
        assert_eq!(w["ingress"]["isolation"], "isolated", "{w:#?}");
        assert_eq!(w["egress"]["isolation"], "isolated", "{w:#?}");
    }
}
