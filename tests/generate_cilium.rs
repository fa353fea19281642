//! `generate --policy-format cilium` and `post-render --emit-default-deny --policy-format
//! cilium`: the policies come out as CiliumNetworkPolicies, and read back with the input they
//! isolate every workload both ways while keeping what the input's rules allowed and DNS.

mod common;

use serde_json::Value;

/// `shop/web` takes TCP 8080 from `other/api` (a NetworkPolicy that isolates web for ingress
/// only); `other/api` and `shop/cache` are open both ways. The StatefulSet's label is one Cilium
/// keeps in identities (`app.kubernetes.io/...`).
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
  selector: {matchLabels: {app.kubernetes.io/name: cache}}
  template:
    metadata: {labels: {app.kubernetes.io/name: cache}}
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

/// The kube-dns pods the allow-dns policies name, for `reach`.
const DNS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec: {containers: [{name: coredns, image: coredns, ports: [{name: dns, containerPort: 53, protocol: UDP}, {name: dns-tcp, containerPort: 53}]}]}
";

fn generate(dir: &std::path::Path, args: &[&str]) -> String {
    common::generate(dir, INPUT, args)
}

use common::yaml_documents as documents;

fn by_name<'a>(docs: &'a [Value], namespace: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["metadata"]["name"] == name && d["metadata"]["namespace"] == namespace)
        .unwrap_or_else(|| panic!("no {namespace}/{name} in {docs:#?}"))
}

/// The input, the generated policies and the DNS pods, analysed together.
fn read_back(dir: &std::path::Path, generated: &str) -> (std::path::PathBuf, Value) {
    let all = dir.join("all.yaml");
    std::fs::write(&all, format!("{INPUT}---\n{DNS}{generated}")).unwrap();
    let out = common::cmd()
        .arg("-f")
        .arg(&all)
        .args(["-o", "json", "--include-system"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    (all, report)
}

fn reach(all: &std::path::Path, args: &[&str]) -> i32 {
    let out = common::cmd()
        .arg("reach")
        .arg("-f")
        .arg(all)
        .args(args)
        .output()
        .unwrap();
    out.status.code().unwrap()
}

#[test]
fn the_yaml_is_cilium_network_policies_of_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let docs = documents(&generate(dir.path(), &["--policy-format", "cilium"]));
    assert!(!docs.is_empty());
    for d in &docs {
        assert_eq!(d["apiVersion"], "cilium.io/v2", "{d:#?}");
        assert_eq!(d["kind"], "CiliumNetworkPolicy", "{d:#?}");
        assert!(d["spec"].get("podSelector").is_none(), "{d:#?}");
        assert_eq!(
            d["metadata"]["annotations"]["netpol-check.io/generated"],
            "true"
        );
    }
    // other has no policy: a default deny both ways, written as Cilium's documented empty
    // rules (an empty section, `ingress: []`, would be no section at all).
    let deny = by_name(&docs, "other", "default-deny-all");
    assert_eq!(
        deny["spec"],
        serde_json::json!({"endpointSelector": {}, "ingress": [{}], "egress": [{}]})
    );
    // shop already isolates web for ingress, not cache: the whole namespace gets a deny.
    let shop = by_name(&docs, "shop", "default-deny-all");
    assert_eq!(shop["spec"]["endpointSelector"], serde_json::json!({}));
    // allow-dns as Cilium's docs write it.
    let dns = by_name(&docs, "other", "allow-dns");
    assert_eq!(
        dns["spec"],
        serde_json::json!({
            "endpointSelector": {},
            "egress": [{
                "toEndpoints": [{"matchLabels": {
                    "io.kubernetes.pod.namespace": "kube-system",
                    "k8s-app": "kube-dns"
                }}],
                "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}]}]
            }]
        })
    );
    // api's egress to web, which web-from-api allows, is completed on api's side, with the
    // namespace as Cilium's pseudo-label and the named port kept.
    let kept = docs
        .iter()
        .find(|d| {
            d["metadata"]["namespace"] == "other"
                && d["spec"]["egress"][0]["toEndpoints"][0]["matchLabels"]["app"] == "web"
        })
        .unwrap_or_else(|| panic!("no completion of web-from-api in {docs:#?}"));
    assert_eq!(
        kept["spec"]["endpointSelector"],
        serde_json::json!({"matchLabels": {"app": "api"}})
    );
    assert_eq!(
        kept["spec"]["egress"][0],
        serde_json::json!({
            "toEndpoints": [{"matchLabels": {"app": "web", "io.kubernetes.pod.namespace": "shop"}}],
            "toPorts": [{"ports": [{"port": "http", "protocol": "TCP"}]}]
        })
    );
}

#[test]
fn read_back_every_workload_is_isolated_both_ways_and_wanted_flows_still_pass() {
    for mode in ["namespace", "workloads"] {
        let dir = tempfile::tempdir().unwrap();
        let generated = generate(dir.path(), &["--policy-format", "cilium", "--mode", mode]);
        let (all, report) = read_back(dir.path(), &generated);
        let workloads = report["workloads"].as_array().unwrap();
        for w in workloads.iter().filter(|w| w["namespace"] != "kube-system") {
            assert_eq!(w["ingress"]["isolation"], "isolated", "{mode}: {w:#?}");
            assert_eq!(w["egress"]["isolation"], "isolated", "{mode}: {w:#?}");
            assert_eq!(
                w["egress"]["decidedBy"]["kind"], "CiliumNetworkPolicy",
                "{mode}: {w:#?}"
            );
        }
        // kube-system holds only the DNS pods added for `reach`: nothing was generated there.
        let rules: Vec<&str> = (report["findings"].as_array().unwrap().iter())
            .filter(|f| f["namespace"] != "kube-system")
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert!(!rules.contains(&"NPC001"), "{mode}: {rules:?}");
        assert!(
            !rules.contains(&"NPC108"),
            "{mode}: DNS is allowed: {rules:?}"
        );
        assert!(
            !rules.iter().any(|r| r.starts_with("NPC3")),
            "{mode}: {rules:?}"
        );
        // What web-from-api allowed still passes; the rest is denied.
        let api_to_web = [
            "-n",
            "other",
            "deployment/api",
            "deployment/web",
            "--to-namespace",
            "shop",
            "--port",
            "8080",
        ];
        assert_eq!(reach(&all, &api_to_web), 0, "{mode}");
        let cache_to_web = [
            "-n",
            "shop",
            "statefulset/cache",
            "deployment/web",
            "--port",
            "8080",
        ];
        assert_eq!(reach(&all, &cache_to_web), 1, "{mode}");
        let api_to_dns = [
            "-n",
            "other",
            "deployment/api",
            "deployment/coredns",
            "--to-namespace",
            "kube-system",
            "--port",
            "53",
            "--protocol",
            "UDP",
        ];
        assert_eq!(reach(&all, &api_to_dns), 0, "{mode}");
    }
}

#[test]
fn the_default_format_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let default = generate(dir.path(), &[]);
    assert_eq!(
        default,
        generate(dir.path(), &["--policy-format", "kubernetes"])
    );
    for d in documents(&default) {
        assert_eq!(d["apiVersion"], "networking.k8s.io/v1");
        assert_eq!(d["kind"], "NetworkPolicy");
    }
}

#[test]
fn a_bad_format_is_a_usage_error() {
    let out = common::cmd()
        .args(["generate", "-f", "-", "--policy-format", "antrea"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--policy-format"), "{err}");
}

#[test]
fn post_render_emits_cilium_policies_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = common::cmd()
        .args([
            "post-render",
            "-n",
            "shop",
            "--emit-default-deny",
            "--policy-format",
            "cilium",
            "-o",
            "json",
        ])
        .arg(format!("--report-file={}", report.display()))
        .env_remove("HELM_NAMESPACE")
        .write_stdin(INPUT)
        .output()
        .unwrap();
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
    assert!(
        added.iter().all(|d| d["kind"] == "CiliumNetworkPolicy"),
        "{added:#?}"
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let generated = report["generated"].as_array().unwrap();
    assert_eq!(generated.len(), added.len());
    assert!(generated.iter().all(|g| g["apiVersion"] == "cilium.io/v2"));
    for w in report["workloads"].as_array().unwrap() {
        assert_eq!(w["ingress"]["isolation"], "isolated", "{w:#?}");
        assert_eq!(w["egress"]["isolation"], "isolated", "{w:#?}");
    }
}
