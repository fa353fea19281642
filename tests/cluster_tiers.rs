//! The cluster-scoped policy kinds of policy.networking.k8s.io against a live API server: read
//! when discovery shows them (paginated like every list), silent on a cluster without the
//! CRDs, and a note, not an error, when RBAC refuses them.

mod apiserver;

use std::path::PathBuf;
use std::process::{Command, Output};

use apiserver::{namespace, pod, ApiServer, Fixture, Forbid, Options};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

const ALL_VERSIONS: [&str; 3] = ["v1alpha1", "v1alpha2", "v1beta1"];

fn cnp(name: &str, priority: i64) -> Value {
    json!({"apiVersion": "policy.networking.k8s.io/v1beta1", "kind": "ClusterNetworkPolicy",
           "metadata": {"name": name},
           "spec": {"tier": "Admin", "priority": priority, "subject": {"namespaces": {}},
                    "ingress": [{"name": "deny", "action": "Deny",
                                 "from": [{"namespaces": {"matchLabels": {"tenant": "guest"}}}]}]}})
}

fn anp(name: &str, priority: i64) -> Value {
    json!({"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
           "metadata": {"name": name},
           "spec": {"priority": priority, "subject": {"namespaces": {}},
                    "egress": [{"action": "Allow", "to": [{"networks": ["10.0.0.0/8"]}],
                                "ports": [{"portNumber": {"protocol": "TCP", "port": 443}}]}]}})
}

fn banp() -> Value {
    json!({"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
           "metadata": {"name": "default"},
           "spec": {"subject": {"namespaces": {}},
                    "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}})
}

/// A CNI that enforces policies, so that the report has no note of its own about it.
fn calico() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
           "metadata": {"name": "calico-node", "namespace": "kube-system"},
           "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "docker.io/calico/node:v3.28.0"}]}}}})
}

fn fixture() -> Fixture {
    Fixture::from_objects([
        namespace("shop", &[]),
        calico(),
        pod("shop", "web", &[("app", "web")]),
        cnp("admin-a", 10),
        cnp("admin-b", 20),
        anp("egress-a", 1),
        anp("egress-b", 2),
        anp("egress-c", 3),
        banp(),
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

    fn run(&self, args: &[&str]) -> Output {
        Command::new(BINARY)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .env_remove("KUBECONFIG")
            .output()
            .unwrap()
    }

    fn report(&self, args: &[&str]) -> (i32, Value, String) {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let out = self.run(&all);
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let report =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
        (out.status.code().unwrap(), report, stderr)
    }

    /// Paths of the list requests for `plural`, with their `continue` tokens.
    fn lists_of(&self, plural: &str) -> Vec<(String, Option<String>)> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with(&format!("/{plural}")))
            .map(|r| {
                let token = r.param("continue");
                (r.path, token)
            })
            .collect()
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

#[test]
fn the_three_kinds_are_listed_when_discovery_shows_them() {
    let options = Options {
        policy_api_versions: ALL_VERSIONS.to_vec(),
        max_page: Some(1),
        ..Options::default()
    };
    let c = Cluster::start(fixture(), options);
    let (_, r, stderr) = c.report(&["-A", "--chunk-size", "1"]);
    assert_eq!(
        r["summary"]["policies"],
        json!({"ClusterNetworkPolicy": 2, "AdminNetworkPolicy": 3, "BaselineAdminNetworkPolicy": 1}),
        "{r:#}\n{stderr}"
    );
    assert_eq!(r["summary"]["ignoredPolicies"], json!({}));
    assert!(notes(&r).is_empty(), "{:?}", notes(&r));
    assert!(!stderr.contains("not evaluated"), "{stderr}");
    // ClusterNetworkPolicies are listed once, from the newest version served, page by page.
    let cnp_lists = c.lists_of("clusternetworkpolicies");
    assert!(
        cnp_lists
            .iter()
            .all(|(p, _)| p == "/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies"),
        "{cnp_lists:?}"
    );
    assert_eq!(cnp_lists.len(), 2, "two pages of one: {cnp_lists:?}");
    assert!(
        cnp_lists[1].1.is_some(),
        "the second page continues the first"
    );
    let anp_lists = c.lists_of("adminnetworkpolicies");
    assert_eq!(anp_lists.len(), 3, "{anp_lists:?}");
}

#[test]
fn cluster_network_policies_of_v1alpha2_alone_are_read() {
    let options = Options {
        policy_api_versions: vec!["v1alpha2"],
        ..Options::default()
    };
    let c = Cluster::start(fixture(), options);
    let (_, r, _) = c.report(&["-A"]);
    assert_eq!(
        r["summary"]["policies"],
        json!({"ClusterNetworkPolicy": 2}),
        "{r:#}"
    );
    assert_eq!(
        c.lists_of("clusternetworkpolicies")[0].0,
        "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies"
    );
    assert!(c.lists_of("adminnetworkpolicies").is_empty());
}

#[test]
fn a_cluster_without_the_crds_is_silent() {
    let c = Cluster::start(fixture(), Options::default());
    let (code, r, stderr) = c.report(&["-n", "shop"]);
    assert_eq!(code, 1, "web is not covered: {r:#}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(notes(&r).is_empty(), "{:?}", notes(&r));
    assert_eq!(r["summary"]["policies"], json!({}));
    for plural in [
        "clusternetworkpolicies",
        "adminnetworkpolicies",
        "baselineadminnetworkpolicies",
    ] {
        assert!(c.lists_of(plural).is_empty(), "{plural} listed");
    }
}

#[test]
fn a_forbidden_list_is_a_note_and_the_rest_goes_on() {
    // As for the other optional lists (ReplicaSets, Jobs, kube-system's DaemonSets): the run
    // goes on without them and the report says which could not be listed. Cluster-scoped
    // objects have no namespace to retry in.
    let options = Options {
        policy_api_versions: ALL_VERSIONS.to_vec(),
        forbidden: vec![Forbid::everywhere("adminnetworkpolicies")],
        ..Options::default()
    };
    let c = Cluster::start(fixture(), options);
    let (code, r, stderr) = c.report(&["-n", "shop"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        r["summary"]["policies"],
        json!({"ClusterNetworkPolicy": 2, "BaselineAdminNetworkPolicy": 1})
    );
    let notes = notes(&r);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with(
            "adminnetworkpolicies (policy.networking.k8s.io/v1alpha1) could not be listed (adminnetworkpolicies.policy.networking.k8s.io is forbidden: User \"system:serviceaccount:default:test\" cannot list resource \"adminnetworkpolicies\" in API group \"policy.networking.k8s.io\" at the cluster scope (403))"
        ),
        "{notes:?}"
    );
    assert!(notes[0].contains("verdicts may be wrong"), "{notes:?}");
}

#[test]
fn invalid_objects_of_a_cluster_are_npc120_findings() {
    let mut bad = cnp("too-high", 5000);
    bad["metadata"]["annotations"] = json!({});
    let f = Fixture::from_objects([namespace("shop", &[]), bad]);
    let options = Options {
        policy_api_versions: vec!["v1beta1"],
        ..Options::default()
    };
    let c = Cluster::start(f, options);
    let (code, r, _) = c.report(&["-A"]);
    assert_eq!(code, 1, "{r:#}");
    let finding = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "NPC120")
        .expect("NPC120");
    assert_eq!(finding["kind"], "ClusterNetworkPolicy");
    assert_eq!(finding["object"], "too-high");
    assert_eq!(finding["namespace"], Value::Null);
    assert!(finding.get("file").is_none(), "{finding:#}");
    assert!(finding["message"]
        .as_str()
        .unwrap()
        .contains("spec.priority: Invalid value: 5000"));
}

#[test]
fn the_tiers_decide_the_verdicts_of_a_live_cluster() {
    // shop/web: the Admin ClusterNetworkPolicies deny only tenant=guest namespaces' pods and
    // the AdminNetworkPolicies allow egress to 10.0.0.0/8, none of which is point 22's
    // anonymous peer; no NetworkPolicy; the baseline denies every pod's ingress but no address
    // (point 13): ingress pods-only, decided by the BaselineAdminNetworkPolicy; egress open.
    let options = Options {
        policy_api_versions: ALL_VERSIONS.to_vec(),
        ..Options::default()
    };
    let c = Cluster::start(fixture(), options);
    let (code, r, stderr) = c.report(&["-n", "shop"]);
    assert_eq!(code, 1, "{stderr}");
    let web = r["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "web")
        .unwrap_or_else(|| panic!("{r:#}"));
    assert_eq!(web["ingress"]["isolation"], "pods-only", "{web:#}");
    assert_eq!(
        web["ingress"]["decidedBy"],
        json!({"layer": "Baseline", "kind": "BaselineAdminNetworkPolicy", "name": "default", "rule": "ingress rule 1"})
    );
    assert_eq!(web["egress"]["isolation"], "open", "{web:#}");
    let refs = web["ingress"]["policyRefs"].as_array().unwrap();
    assert_eq!(
        refs.len(),
        3,
        "two admin CNPs with ingress rules and the BANP: {refs:?}"
    );
}
