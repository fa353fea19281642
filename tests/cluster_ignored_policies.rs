//! Policy kinds of other APIs (Antrea, ...) on a live cluster: listed when discovery shows
//! them, counted by kind in the JSON and named on stderr by every command, never read as
//! Kubernetes NetworkPolicies; nothing said on a cluster without them, a note when RBAC
//! refuses them. Cilium's kinds are served beside them: they are read (tests/
//! cluster_cilium_reading.rs), so never named among these; so are Calico's
//! (tests/cluster_calico_reading.rs).

mod apiserver;

use std::path::PathBuf;
use std::process::{Command, Output};

use apiserver::{namespace, pod, ApiServer, Fixture, Forbid, Options};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

const OTHER_APIS: [&str; 2] = ["cilium.io/v2", "crd.antrea.io/v1beta1"];

/// Cilium's policies select pods of an application the cluster does not run, so that what
/// isolates web (nothing) is not theirs to decide: they are read and evaluated, never ignored.
fn cilium(namespace: &str, name: &str) -> Value {
    json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
           "metadata": {"name": name, "namespace": namespace},
           "spec": {"endpointSelector": {"matchLabels": {"app": "not-running"}},
                    "ingress": [{"fromEndpoints": [{}]}]}})
}

fn cilium_clusterwide(name: &str) -> Value {
    json!({"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
           "metadata": {"name": name},
           "spec": {"endpointSelector": {"matchLabels": {"app": "not-running"}},
                    "egress": [{"toEndpoints": [{}]}]}})
}

/// Read as a Kubernetes NetworkPolicy (no podSelector: the whole namespace, no rules) it
/// would isolate web both ways.
fn antrea(namespace: &str, name: &str) -> Value {
    json!({"apiVersion": "crd.antrea.io/v1beta1", "kind": "NetworkPolicy",
           "metadata": {"name": name, "namespace": namespace},
           "spec": {"priority": 5, "appliedTo": [{"podSelector": {}}],
                    "policyTypes": ["Ingress", "Egress"]}})
}

/// A CNI that enforces policies, so that the report has no note of its own about it.
fn calico_node() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
           "metadata": {"name": "calico-node", "namespace": "kube-system"},
           "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "docker.io/calico/node:v3.28.0"}]}}}})
}

fn fixture() -> Fixture {
    Fixture::from_objects([
        namespace("shop", &[]),
        namespace("blog", &[]),
        calico_node(),
        pod("shop", "web", &[("app", "web")]),
        pod("blog", "wordpress", &[("app", "wordpress")]),
        cilium("shop", "allow-web"),
        cilium("shop", "allow-dns"),
        cilium("blog", "allow-blog"),
        cilium_clusterwide("lockdown"),
        antrea("shop", "deny-all"),
        antrea("shop", "deny-more"),
        antrea("blog", "deny-blog"),
    ])
}

struct Cluster {
    server: ApiServer,
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Cluster {
    fn start(fixture: Fixture, options: Options) -> Cluster {
        let server = ApiServer::start(fixture, options);
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        server.write_kubeconfig(&kubeconfig, "test", Some("shop"));
        Cluster {
            server,
            _dir: dir,
            kubeconfig,
        }
    }

    fn with_other_apis() -> Cluster {
        Cluster::start(
            fixture(),
            Options {
                other_policy_apis: OTHER_APIS.to_vec(),
                ..Options::default()
            },
        )
    }

    fn run(&self, args: &[&str]) -> Output {
        // After the subcommand: its flags include --kubeconfig.
        Command::new(BINARY)
            .args(args)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .env_remove("KUBECONFIG")
            .output()
            .unwrap()
    }

    /// Exit code, stdout as JSON, stderr.
    fn json(&self, args: &[&str]) -> (i32, Value, String) {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let out = self.run(&all);
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let doc =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
        (out.status.code().unwrap(), doc, stderr)
    }

    fn paths(&self) -> Vec<String> {
        self.server.requests().into_iter().map(|r| r.path).collect()
    }
}

fn notes(report: &Value) -> Vec<String> {
    report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect()
}

fn workload<'a>(report: &'a Value, namespace: &str, name: &str) -> &'a Value {
    report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["namespace"] == namespace && w["name"] == name)
        .unwrap_or_else(|| panic!("no workload {namespace}/{name} in {report:#}"))
}

const SENTENCE: &str = "verdicts may be wrong for the pods they could select";

#[test]
fn other_apis_policies_are_listed_and_counted_by_kind_with_all_namespaces() {
    let c = Cluster::with_other_apis();
    let (code, r, stderr) = c.json(&["-A"]);
    assert_eq!(
        r["summary"]["ignoredPolicies"],
        json!({"crd.antrea.io/v1beta1 NetworkPolicy": 3}),
        "{r:#}\n{stderr}"
    );
    // Counted among the policies read, and never as Kubernetes NetworkPolicies: the Antrea
    // deny-all does not isolate web. Cilium's are read, and counted by their kind.
    assert_eq!(r["summary"]["networkPolicies"], 0);
    assert_eq!(
        r["summary"]["policies"],
        json!({"crd.antrea.io/v1beta1 NetworkPolicy": 3,
               "CiliumNetworkPolicy": 3, "CiliumClusterwideNetworkPolicy": 1})
    );
    let web = workload(&r, "shop", "web");
    assert_eq!(web["ingress"]["isolated"], false, "{web:#}");
    assert_eq!(web["egress"]["isolated"], false);
    assert_eq!(code, 1, "web and wordpress are not covered");
    assert!(
        stderr.contains("note: 3 crd.antrea.io/v1beta1 NetworkPolicy objects were not evaluated"),
        "{stderr}"
    );
    assert!(!stderr.contains("cilium.io/v2"), "{stderr}");
    assert!(stderr.contains(SENTENCE), "{stderr}");
    assert!(notes(&r).is_empty(), "{:?}", notes(&r));
}

#[test]
fn discovery_takes_few_requests() {
    let c = Cluster::with_other_apis();
    let (_, r, _) = c.json(&["-A"]);
    assert_eq!(
        r["summary"]["ignoredPolicies"]["crd.antrea.io/v1beta1 NetworkPolicy"],
        3
    );
    let paths = c.paths();
    let count = |p: &str| paths.iter().filter(|q| *q == p).count();
    assert_eq!(count("/apis"), 1, "{paths:?}");
    assert_eq!(count("/apis/cilium.io/v2"), 1, "{paths:?}");
    assert_eq!(count("/apis/crd.antrea.io/v1beta1"), 1, "{paths:?}");
    for list in [
        "/apis/cilium.io/v2/ciliumnetworkpolicies",
        "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies",
        "/apis/crd.antrea.io/v1beta1/networkpolicies",
    ] {
        assert_eq!(count(list), 1, "{list}: {paths:?}");
    }
}

#[test]
fn one_namespace_lists_its_namespaced_policies_and_the_cluster_wide_ones() {
    let c = Cluster::with_other_apis();
    let (_, r, stderr) = c.json(&["-n", "shop"]);
    assert_eq!(
        r["summary"]["ignoredPolicies"],
        json!({"crd.antrea.io/v1beta1 NetworkPolicy": 2}),
        "{stderr}"
    );
    let paths = c.paths();
    assert!(
        paths.contains(&"/apis/crd.antrea.io/v1beta1/namespaces/shop/networkpolicies".to_owned()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"/apis/cilium.io/v2/namespaces/shop/ciliumnetworkpolicies".to_owned()),
        "{paths:?}"
    );
    assert!(paths.contains(&"/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies".to_owned()));
    assert!(!paths.contains(&"/apis/cilium.io/v2/ciliumnetworkpolicies".to_owned()));
}

#[test]
fn other_apis_lists_are_paginated_and_ask_for_metadata_only() {
    let options = Options {
        other_policy_apis: OTHER_APIS.to_vec(),
        max_page: Some(1),
        ..Options::default()
    };
    let c = Cluster::start(fixture(), options);
    let (_, r, stderr) = c.json(&["-A", "--chunk-size", "1"]);
    assert_eq!(
        r["summary"]["ignoredPolicies"]["crd.antrea.io/v1beta1 NetworkPolicy"], 3,
        "{stderr}"
    );
    let pages: Vec<_> = c
        .server
        .requests()
        .into_iter()
        .filter(|q| q.path == "/apis/crd.antrea.io/v1beta1/networkpolicies")
        .collect();
    assert_eq!(pages.len(), 3, "three pages of one");
    assert!(pages.iter().skip(1).all(|q| q.param("continue").is_some()));
    assert!(pages
        .iter()
        .all(|q| q.param("limit").as_deref() == Some("1")));
    assert!(pages.iter().all(|q| q
        .accept
        .as_deref()
        .is_some_and(|a| a.contains("PartialObjectMetadataList"))));
}

#[test]
fn every_command_names_them_on_a_cluster() {
    let c = Cluster::with_other_apis();
    let expected = json!({"crd.antrea.io/v1beta1 NetworkPolicy": 3});
    // The connectivity commands read every namespace whatever -n says.
    for args in [
        &["explain", "pod/web"][..],
        &["reach", "pod/web", "10.0.0.1"],
        &["matrix"],
    ] {
        let (code, doc, stderr) = c.json(args);
        assert!(code == 0 || code == 1, "{args:?}: {stderr}");
        assert_eq!(doc["ignoredPolicies"], expected, "{args:?}: {doc:#}");
        assert!(
            stderr
                .contains("note: 3 crd.antrea.io/v1beta1 NetworkPolicy objects were not evaluated"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains(SENTENCE), "{args:?}: {stderr}");
    }
    // And in their text forms.
    for args in [
        &["explain", "pod/web"][..],
        &["reach", "pod/web", "10.0.0.1"],
        &["matrix"],
        &[],
    ] {
        let out = c.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            // `check` lists its namespace (shop: two of them), the others every namespace.
            stderr.contains("crd.antrea.io/v1beta1 NetworkPolicy objects were not evaluated"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_cluster_without_other_apis_says_nothing_about_them() {
    let c = Cluster::start(fixture(), Options::default());
    let (_, r, stderr) = c.json(&["-A"]);
    assert_eq!(r["summary"]["ignoredPolicies"], json!({}));
    assert!(notes(&r).is_empty(), "{:?}", notes(&r));
    assert!(!stderr.contains("not evaluated"), "{stderr}");
    // One look at the groups, no list and no discovery document of groups not served.
    let paths = c.paths();
    assert_eq!(paths.iter().filter(|p| *p == "/apis").count(), 1);
    assert!(!paths
        .iter()
        .any(|p| p.starts_with("/apis/cilium.io") || p.starts_with("/apis/crd.antrea.io")));
    for args in [&["explain", "pod/web"][..], &["matrix"]] {
        let (_, doc, stderr) = c.json(args);
        assert_eq!(doc["ignoredPolicies"], json!({}), "{args:?}");
        assert!(!stderr.contains("not evaluated"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_refused_list_is_a_note_and_the_run_goes_on() {
    let options = Options {
        other_policy_apis: OTHER_APIS.to_vec(),
        forbidden: vec![Forbid::everywhere("ciliumnetworkpolicies")],
        ..Options::default()
    };
    let c = Cluster::start(fixture(), options);
    let (code, r, stderr) = c.json(&["-A"]);
    assert_eq!(code, 1, "the run went on: {stderr}");
    // The other kinds are still listed.
    assert_eq!(
        r["summary"]["ignoredPolicies"],
        json!({"crd.antrea.io/v1beta1 NetworkPolicy": 3}),
        "{stderr}"
    );
    assert_eq!(
        r["summary"]["policies"]["CiliumClusterwideNetworkPolicy"],
        1
    );
    let notes = notes(&r);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("ciliumnetworkpolicies (cilium.io/v2) could not be listed ("),
        "{notes:?}"
    );
    assert!(notes[0].contains("forbidden"), "{notes:?}");
    // Read kinds, noted as the cluster-scoped tiers are.
    assert!(
        notes[0].contains("verdicts may be wrong for the pods they select"),
        "{notes:?}"
    );
    assert!(r["workloads"].as_array().unwrap().len() == 2);
    // The connectivity commands print the cluster's notes on stderr.
    let out = c.run(&["explain", "pod/web"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("ciliumnetworkpolicies (cilium.io/v2) could not be listed"),
        "{stderr}"
    );
}

fn cluster_network_policy(name: &str) -> Value {
    json!({"apiVersion": "policy.networking.k8s.io/v1", "kind": "ClusterNetworkPolicy",
           "metadata": {"name": name},
           "spec": {"tier": "Admin", "priority": 10, "subject": {"namespaces": {}},
                    "ingress": [{"name": "deny", "action": "Deny", "from": [{"namespaces": {}}]}]}})
}

#[test]
fn policy_networking_k8s_io_is_named_only_in_versions_not_read() {
    let objects = || {
        Fixture::from_objects([
            namespace("shop", &[]),
            calico_node(),
            pod("shop", "web", &[("app", "web")]),
            cluster_network_policy("admin-a"),
            cluster_network_policy("admin-b"),
        ])
    };
    // Only a version this one does not read: named, not evaluated.
    let c = Cluster::start(
        objects(),
        Options {
            policy_api_versions: vec!["v1"],
            ..Options::default()
        },
    );
    let (_, r, stderr) = c.json(&["-A"]);
    assert_eq!(
        r["summary"]["ignoredPolicies"],
        json!({"policy.networking.k8s.io/v1 ClusterNetworkPolicy": 2}),
        "{stderr}"
    );
    assert!(r["summary"]["policies"]
        .get("ClusterNetworkPolicy")
        .is_none());
    assert!(
        stderr.contains(
            "note: 2 policy.networking.k8s.io/v1 ClusterNetworkPolicy objects were not evaluated"
        ),
        "{stderr}"
    );
    // With v1beta1 served too, the same objects are read from it, and not named again.
    let c = Cluster::start(
        objects(),
        Options {
            policy_api_versions: vec!["v1", "v1beta1"],
            ..Options::default()
        },
    );
    let (_, r, stderr) = c.json(&["-A"]);
    assert_eq!(r["summary"]["ignoredPolicies"], json!({}), "{stderr}");
    assert_eq!(r["summary"]["policies"], json!({"ClusterNetworkPolicy": 2}));
    assert!(!stderr.contains("not evaluated"), "{stderr}");
    let paths = c.paths();
    assert!(
        !paths.contains(&"/apis/policy.networking.k8s.io/v1/clusternetworkpolicies".to_owned()),
        "{paths:?}"
    );
}
