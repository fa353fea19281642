//! Objects are identified by API group and kind: another API's `NetworkPolicy` (Antrea) is not
//! a Kubernetes one, a `Deployment` of another group is no Deployment, and policy kinds this
//! version does not evaluate are counted and named, in every input mode.

mod common;

use common::{cmd, run_stdin};
use serde_json::{json, Value};

const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
";

/// An Antrea policy without podSelector: read as a Kubernetes NetworkPolicy it would select the
/// whole namespace and isolate web.
const ANTREA: &str = "apiVersion: crd.antrea.io/v1beta1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  priority: 5
  appliedTo: [{podSelector: {}}]
  policyTypes: [Ingress, Egress]
";

/// Antrea's cluster-scoped policy: its kind name is the network-policy-api's, its group is not.
const ANTREA_CLUSTER: &str = "apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: lockdown}
spec:
  priority: 5
  appliedTo: [{podSelector: {}}]
  ingress: [{action: Drop, from: [{podSelector: {matchLabels: {app: x}}}]}]
";

const FAKE_DEPLOYMENT: &str = "apiVersion: example.com/v1
kind: Deployment
metadata: {name: fake, namespace: shop}
spec:
  replicas: [not, a, number]
  template:
    metadata: {labels: {app: fake}}
";

fn stream() -> String {
    [WEB, ANTREA, ANTREA_CLUSTER, FAKE_DEPLOYMENT].join("---\n")
}

const NOTE_ANTREA_NP: &str = "note: 1 crd.antrea.io/v1beta1 NetworkPolicy object was not evaluated";
const NOTE_ANTREA: &str =
    "note: 1 crd.antrea.io/v1beta1 ClusterNetworkPolicy object was not evaluated";

fn assert_report(report: &Value) {
    assert_eq!(report["summary"]["workloads"], 1, "{report:#}");
    assert_eq!(report["summary"]["networkPolicies"], 0);
    assert_eq!(
        report["summary"]["ignoredPolicies"],
        json!({"crd.antrea.io/v1beta1 NetworkPolicy": 1, "crd.antrea.io/v1beta1 ClusterNetworkPolicy": 1})
    );
    assert_eq!(
        report["summary"]["policies"],
        json!({"crd.antrea.io/v1beta1 NetworkPolicy": 1, "crd.antrea.io/v1beta1 ClusterNetworkPolicy": 1})
    );
    assert_eq!(
        report["summary"]["skippedKinds"],
        json!({"example.com/v1 Deployment": 1})
    );
    let web = common::workload(report, "Deployment", "shop", "web");
    assert_eq!(web["ingress"]["isolated"], false, "{web:#}");
    assert_eq!(web["egress"]["isolated"], false);
    assert_eq!(web["ingress"]["policies"], json!([]));
}

fn assert_notes(stderr: &str) {
    assert!(stderr.contains(NOTE_ANTREA_NP), "{stderr}");
    assert!(stderr.contains(NOTE_ANTREA), "{stderr}");
    assert!(stderr.contains("verdicts may be wrong"), "{stderr}");
}

#[test]
fn other_apis_policies_are_named_not_read_as_networkpolicies_from_stdin() {
    let r = run_stdin(&["-f", "-", "-o", "json"], stream().as_bytes());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_report(&serde_json::from_str(&r.stdout).unwrap());
    assert_notes(&r.stderr);
}

#[test]
fn other_apis_policies_are_named_not_read_as_networkpolicies_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.yaml");
    std::fs::write(&path, stream()).unwrap();
    let out = cmd()
        .args(["-f", path.to_str().unwrap(), "-o", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_report(&serde_json::from_slice(&out.stdout).unwrap());
    assert_notes(&stderr);
}

#[test]
fn other_apis_policies_are_named_in_post_render() {
    let dir = tempfile::tempdir().unwrap();
    let report_file = dir.path().join("report.json");
    let r = run_stdin(
        &[
            "post-render",
            "-o",
            "json",
            "--report-file",
            report_file.to_str().unwrap(),
        ],
        stream().as_bytes(),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout, stream(), "post-render passes the chart through");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(report_file).unwrap()).unwrap();
    assert_report(&report);
    assert_notes(&r.stderr);
}

#[test]
fn explain_reach_and_matrix_name_them_too() {
    for args in [
        &["explain", "deploy/web", "-n", "shop", "-f", "-"][..],
        &["reach", "deploy/web", "10.0.0.1", "-n", "shop", "-f", "-"],
        &["matrix", "-f", "-"],
        &["generate", "-f", "-"],
    ] {
        let r = run_stdin(args, stream().as_bytes());
        assert!(r.code == 0 || r.code == 1, "{args:?}: {}", r.stderr);
        assert_notes(&r.stderr);
    }
}

#[test]
fn explain_and_reach_json_count_them() {
    let expected = json!({"crd.antrea.io/v1beta1 NetworkPolicy": 1, "crd.antrea.io/v1beta1 ClusterNetworkPolicy": 1});
    for args in [
        &[
            "explain",
            "deploy/web",
            "-n",
            "shop",
            "-f",
            "-",
            "-o",
            "json",
        ][..],
        &[
            "reach",
            "deploy/web",
            "10.0.0.1",
            "-n",
            "shop",
            "-f",
            "-",
            "-o",
            "json",
        ],
    ] {
        let r = run_stdin(args, stream().as_bytes());
        let doc: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(doc["ignoredPolicies"], expected, "{args:?}");
    }
}

#[test]
fn kubernetes_kinds_of_every_group_are_still_read() {
    // The same objects under the group names and versions Kubernetes serves them from.
    let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n";
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: j}}\n";
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {}\n";
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
    let list = "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: listed, namespace: shop}\n  spec: {template: {metadata: {labels: {app: l}}}}\n";
    let input = [WEB, policy, job, pod, ns, list].join("---\n");
    let (code, report) = common::report_of(&input, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["workloads"], 4);
    assert_eq!(report["summary"]["networkPolicies"], 1);
    assert_eq!(report["summary"]["policies"], json!({"NetworkPolicy": 1}));
    assert_eq!(report["summary"]["ignoredPolicies"], json!({}));
    assert_eq!(
        common::isolation(&report, "Deployment", "shop", "listed"),
        (true, true)
    );
}

#[test]
fn a_workload_kind_of_another_group_is_skipped_whatever_its_shape() {
    let r = run_stdin(&["-f", "-", "-o", "json"], FAKE_DEPLOYMENT.as_bytes());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["summary"]["workloads"], 0);
    assert_eq!(
        report["summary"]["skippedKinds"],
        json!({"example.com/v1 Deployment": 1})
    );
}

#[test]
fn policies_of_other_apis_inside_a_list_are_named() {
    // AdminNetworkPolicy is read in v1alpha1 only: another version is named, not read.
    let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: policy.networking.k8s.io/v1alpha9\n  kind: AdminNetworkPolicy\n  metadata: {name: anp}\n  spec: {priority: 10, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n- apiVersion: crd.antrea.io/v1beta1\n  kind: NetworkPolicy\n  metadata: {name: antrea, namespace: shop}\n  spec: {priority: 5, appliedTo: [{podSelector: {}}]}\n";
    let r = run_stdin(&["-f", "-", "-o", "json"], list.as_bytes());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        report["summary"]["ignoredPolicies"],
        json!({"policy.networking.k8s.io/v1alpha9 AdminNetworkPolicy": 1, "crd.antrea.io/v1beta1 NetworkPolicy": 1})
    );
    assert_eq!(report["summary"]["networkPolicies"], 0);
}

/// Kinds of Antrea, Multus, OVN-Kubernetes, OpenShift SDN and GKE, several with names of
/// Kubernetes kinds: named, never read. Read as Kubernetes policies, the MultiNetworkPolicy
/// and the Antrea NetworkPolicy would isolate web, the Antrea ClusterNetworkPolicy would be an
/// invalid network-policy-api one.
#[test]
fn policy_kinds_of_antrea_multus_ovn_openshift_and_gke_are_named() {
    let others = [
        "apiVersion: k8s.cni.cncf.io/v1beta1\nkind: MultiNetworkPolicy\nmetadata: {name: secondary, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n",
        "apiVersion: crd.antrea.io/v1beta1\nkind: NetworkPolicy\nmetadata: {name: annp, namespace: shop}\nspec: {priority: 5, appliedTo: [{podSelector: {}}], ingress: [{action: Drop}]}\n",
        "apiVersion: crd.antrea.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: acnp}\nspec: {priority: 5, appliedTo: [{namespaceSelector: {}}], ingress: [{action: Drop}]}\n",
        "apiVersion: k8s.ovn.org/v1\nkind: EgressFirewall\nmetadata: {name: default, namespace: shop}\nspec: {egress: [{type: Deny, to: {cidrSelector: 0.0.0.0/0}}]}\n",
        "apiVersion: network.openshift.io/v1\nkind: EgressNetworkPolicy\nmetadata: {name: default, namespace: shop}\nspec: {egress: [{type: Deny, to: {cidrSelector: 0.0.0.0/0}}]}\n",
        "apiVersion: networking.gke.io/v1alpha1\nkind: FQDNNetworkPolicy\nmetadata: {name: fqdn, namespace: shop}\nspec: {podSelector: {}, egress: [{to: [{fqdns: [example.com]}]}]}\n",
    ];
    let input = std::iter::once(WEB)
        .chain(others)
        .collect::<Vec<_>>()
        .join("---\n");
    let r = run_stdin(&["-f", "-", "-o", "json"], input.as_bytes());
    assert_eq!(r.code, 1, "web is not covered: {}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        report["summary"]["ignoredPolicies"],
        json!({"k8s.cni.cncf.io/v1beta1 MultiNetworkPolicy": 1,
               "crd.antrea.io/v1beta1 NetworkPolicy": 1,
               "crd.antrea.io/v1beta1 ClusterNetworkPolicy": 1,
               "k8s.ovn.org/v1 EgressFirewall": 1,
               "network.openshift.io/v1 EgressNetworkPolicy": 1,
               "networking.gke.io/v1alpha1 FQDNNetworkPolicy": 1}),
        "{report:#}"
    );
    assert_eq!(report["summary"]["skippedKinds"], json!({}));
    assert_eq!(report["summary"]["networkPolicies"], 0);
    let web = common::workload(&report, "Deployment", "shop", "web");
    assert_eq!(web["ingress"]["isolated"], false, "{web:#}");
    assert_eq!(web["egress"]["isolated"], false);
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(!rules.contains(&"NPC120"), "{rules:?}");
    assert!(
        r.stderr.contains(
            "note: 1 k8s.cni.cncf.io/v1beta1 MultiNetworkPolicy object was not evaluated"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("verdicts may be wrong"), "{}", r.stderr);
}
