//! Calico's policies and tiers on a live cluster: listed when discovery shows them, from
//! projectcalico.org/v3 (Calico's API server) when it is served, else from the
//! crd.projectcalico.org/v1 CRDs (whose names carry the tier prefix), never both; paginated,
//! the namespaced kinds in the `-n` scope; a refused list noted; a cluster without them silent.
//! What was read is checked through the library's cluster source and `summary.policies`.

mod apiserver;

use std::path::PathBuf;
use std::process::Command;

use apiserver::{namespace, pod, ApiServer, Fixture, Forbid, Options};
use netpol_check::model::CalicoPolicyKind;
use netpol_check::source::cluster::{self, ClusterData, ClusterOptions};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

const BOTH: [&str; 2] = ["projectcalico.org/v3", "crd.projectcalico.org/v1"];

/// Fixtures are written in projectcalico.org/v3; the test server serves them in the groups
/// the options name, setting each object's apiVersion (and the CRDs' tier prefixes).
fn np(namespace: &str, name: &str, tier: Option<&str>) -> Value {
    let mut spec = json!({"selector": "app == 'web'",
                          "ingress": [{"action": "Allow", "source": {"selector": "app == 'front'"},
                                       "destination": {"ports": [80, "8000:8080"]}}]});
    if let Some(t) = tier {
        spec["tier"] = json!(t);
    }
    json!({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
           "metadata": {"name": name, "namespace": namespace}, "spec": spec})
}

fn gnp(name: &str) -> Value {
    json!({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
           "metadata": {"name": name},
           "spec": {"order": 10, "selector": "all()", "types": ["Ingress", "Egress"],
                    "egress": [{"action": "Allow", "protocol": "UDP",
                                "destination": {"ports": [53]}}]}})
}

/// A CNI that enforces policies, so that the report has no note of its own about it.
fn calico_node() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
           "metadata": {"name": "calico-node", "namespace": "kube-system"},
           "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "docker.io/calico/node:v3.30.0"}]}}}})
}

fn objects() -> Vec<Value> {
    vec![
        calico_node(),
        namespace("shop", &[]),
        namespace("blog", &[]),
        pod("shop", "web", &[("app", "web")]),
        pod("blog", "wordpress", &[("app", "web")]),
        np("shop", "allow-front", None),
        np("shop", "platform-only", Some("platform")),
        np("blog", "allow-blog", None),
        gnp("default-deny"),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier",
               "metadata": {"name": "platform"}, "spec": {"order": 100}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "StagedNetworkPolicy",
               "metadata": {"name": "try", "namespace": "shop"},
               "spec": {"stagedAction": "Set", "selector": "all()"}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "StagedGlobalNetworkPolicy",
               "metadata": {"name": "try-global"}, "spec": {"selector": "all()"}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "StagedKubernetesNetworkPolicy",
               "metadata": {"name": "k", "namespace": "blog"},
               "spec": {"stagedAction": "Set", "podSelector": {}, "policyTypes": ["Ingress"]}}),
    ]
}

struct Cluster {
    server: ApiServer,
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Cluster {
    fn start(objects: Vec<Value>, options: Options) -> Cluster {
        let server = ApiServer::start(Fixture::from_objects(objects), options);
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        server.write_kubeconfig(&kubeconfig, "test", Some("shop"));
        Cluster {
            server,
            _dir: dir,
            kubeconfig,
        }
    }

    fn serving(apis: &[&'static str]) -> Cluster {
        Cluster::start(
            objects(),
            Options {
                other_policy_apis: apis.to_vec(),
                ..Options::default()
            },
        )
    }

    fn load(&self, all_namespaces: bool) -> ClusterData {
        cluster::load(&ClusterOptions {
            kubeconfig: Some(self.kubeconfig.clone()),
            all_namespaces,
            page_size: 1,
            ..ClusterOptions::default()
        })
        .unwrap()
    }

    fn json(&self, args: &[&str]) -> (i32, Value, String) {
        let out = Command::new(BINARY)
            .args(args)
            .args(["-o", "json", "--kubeconfig"])
            .arg(&self.kubeconfig)
            .env_remove("KUBECONFIG")
            .output()
            .unwrap();
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

type Read = (CalicoPolicyKind, String, Option<String>, String, String);

/// (kind, apiVersion, namespace, tier, name), sorted.
fn read(data: &ClusterData) -> Vec<Read> {
    let mut out: Vec<_> = data
        .inventory
        .calico_policies
        .iter()
        .map(|p| {
            (
                p.kind,
                p.api_version.clone(),
                p.namespace.clone(),
                p.tier.clone(),
                p.name.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

fn expected(api_version: &str) -> Vec<Read> {
    use CalicoPolicyKind::*;
    let v = api_version.to_owned();
    let ns = |s: &str| Some(s.to_owned());
    let s = |s: &str| s.to_owned();
    let mut out = vec![
        (
            NetworkPolicy,
            v.clone(),
            ns("blog"),
            s("default"),
            s("allow-blog"),
        ),
        (
            NetworkPolicy,
            v.clone(),
            ns("shop"),
            s("default"),
            s("allow-front"),
        ),
        (
            NetworkPolicy,
            v.clone(),
            ns("shop"),
            s("platform"),
            s("platform-only"),
        ),
        (
            GlobalNetworkPolicy,
            v.clone(),
            None,
            s("default"),
            s("default-deny"),
        ),
        (
            StagedNetworkPolicy,
            v.clone(),
            ns("shop"),
            s("default"),
            s("try"),
        ),
        (
            StagedGlobalNetworkPolicy,
            v.clone(),
            None,
            s("default"),
            s("try-global"),
        ),
        (
            StagedKubernetesNetworkPolicy,
            v.clone(),
            ns("blog"),
            s("default"),
            s("k"),
        ),
    ];
    out.sort();
    out
}

#[test]
fn the_api_server_is_preferred_and_the_crds_not_asked() {
    let c = Cluster::serving(&BOTH);
    let data = c.load(true);
    assert_eq!(read(&data), expected("projectcalico.org/v3"));
    assert!(data.inventory.ignored_policies.is_empty());
    let tiers: Vec<_> = data
        .inventory
        .calico_tiers
        .iter()
        .map(|t| (t.name.as_str(), t.order))
        .collect();
    assert_eq!(tiers, vec![("platform", Some(100.0))]);
    let gnp = data
        .inventory
        .calico_policies
        .iter()
        .find(|p| p.name == "default-deny")
        .unwrap();
    assert_eq!(gnp.order, Some(10.0));
    assert_eq!(gnp.selector.as_ref().unwrap().text, "all()");
    assert_eq!(gnp.selector.as_ref().unwrap().line, None, "no file here");
    assert_eq!(gnp.egress[0].destination.ports, vec!["53"]);
    let front = data
        .inventory
        .calico_policies
        .iter()
        .find(|p| p.name == "allow-front")
        .unwrap();
    assert_eq!(front.ingress[0].destination.ports, vec!["80", "8000:8080"]);
    let staged = data
        .inventory
        .calico_policies
        .iter()
        .find(|p| p.kind == CalicoPolicyKind::StagedKubernetesNetworkPolicy)
        .unwrap();
    assert_eq!(staged.staged_action.as_deref(), Some("Set"));
    assert!(staged.staged_kubernetes.is_some());

    let paths = c.paths();
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("/apis/crd.projectcalico.org")),
        "the CRDs hold the same objects: not even asked: {paths:?}"
    );
    // Seven policies and a tier at one per page: lists are continued.
    let np_pages = paths
        .iter()
        .filter(|p| *p == "/apis/projectcalico.org/v3/networkpolicies")
        .count();
    assert_eq!(np_pages, 3, "{paths:?}");
}

#[test]
fn without_the_api_server_the_crds_are_read_and_their_prefixes_stripped() {
    let c = Cluster::serving(&["crd.projectcalico.org/v1"]);
    let data = c.load(true);
    assert_eq!(read(&data), expected("crd.projectcalico.org/v1"));
    assert_eq!(data.inventory.calico_tiers.len(), 1);
    let (_, report, stderr) = c.json(&["-A"]);
    assert_eq!(
        report["summary"]["policies"],
        json!({"projectcalico.org/NetworkPolicy": 3,
               "projectcalico.org/GlobalNetworkPolicy": 1,
               "projectcalico.org/StagedNetworkPolicy": 1,
               "projectcalico.org/StagedGlobalNetworkPolicy": 1,
               "projectcalico.org/StagedKubernetesNetworkPolicy": 1}),
        "{stderr}"
    );
    assert_eq!(report["summary"]["ignoredPolicies"], json!({}));
    assert!(!stderr.contains("not evaluated"), "{stderr}");
}

#[test]
fn namespaced_kinds_honour_the_scope() {
    let c = Cluster::serving(&BOTH);
    // The kubeconfig's namespace is shop.
    let data = c.load(false);
    let names: Vec<_> = read(&data).into_iter().map(|r| r.4).collect();
    assert_eq!(
        names,
        vec![
            "allow-front",
            "platform-only",
            "default-deny",
            "try",
            "try-global"
        ]
    );
    let paths = c.paths();
    for p in [
        "/apis/projectcalico.org/v3/namespaces/shop/networkpolicies",
        "/apis/projectcalico.org/v3/namespaces/shop/stagednetworkpolicies",
        "/apis/projectcalico.org/v3/namespaces/shop/stagedkubernetesnetworkpolicies",
        "/apis/projectcalico.org/v3/globalnetworkpolicies",
        "/apis/projectcalico.org/v3/tiers",
    ] {
        assert!(paths.contains(&p.to_owned()), "{p}: {paths:?}");
    }
    assert!(!paths.contains(&"/apis/projectcalico.org/v3/networkpolicies".to_owned()));
}

#[test]
fn a_refused_list_is_noted_and_the_run_goes_on() {
    let c = Cluster::start(
        objects(),
        Options {
            other_policy_apis: BOTH.to_vec(),
            forbidden: vec![Forbid::everywhere("globalnetworkpolicies")],
            ..Options::default()
        },
    );
    let (code, report, stderr) = c.json(&["-A"]);
    assert!(code == 0 || code == 1, "{stderr}");
    assert_eq!(
        report["summary"]["policies"]["projectcalico.org/NetworkPolicy"],
        3
    );
    assert!(report["summary"]["policies"]
        .get("projectcalico.org/GlobalNetworkPolicy")
        .is_none());
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("globalnetworkpolicies (projectcalico.org/v3) could not be listed (")
            && notes[0].contains("forbidden")
            && notes[0].contains("verdicts may be wrong for the pods they select"),
        "{notes:?}"
    );
}

#[test]
fn a_cluster_without_calico_is_silent_and_asks_nothing() {
    let c = Cluster::start(
        vec![
            calico_node(),
            namespace("shop", &[]),
            pod("shop", "web", &[("app", "web")]),
        ],
        Options::default(),
    );
    let data = c.load(true);
    assert!(data.inventory.calico_policies.is_empty());
    assert!(data.inventory.calico_tiers.is_empty());
    assert!(data.notes.is_empty(), "{:?}", data.notes);
    let paths = c.paths();
    assert!(
        !paths.iter().any(|p| p.contains("projectcalico.org")),
        "a group /apis does not show is not asked about: {paths:?}"
    );
    let (_, report, stderr) = c.json(&["-A"]);
    assert_eq!(report["summary"]["policies"], json!({}));
    assert!(!stderr.contains("calico"), "{stderr}");
}

#[test]
fn a_kubernetes_and_a_calico_network_policy_of_one_name_are_each_their_own() {
    let mut objects = objects();
    objects.push(
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                        "metadata": {"name": "allow-front", "namespace": "shop"},
                        "spec": {"podSelector": {}}}),
    );
    let c = Cluster::start(
        objects,
        Options {
            other_policy_apis: BOTH.to_vec(),
            ..Options::default()
        },
    );
    let data = c.load(false);
    assert_eq!(data.inventory.policies.len(), 1);
    assert_eq!(data.inventory.policies[0].name, "allow-front");
    assert!(data
        .inventory
        .calico_policies
        .iter()
        .any(|p| p.name == "allow-front" && p.kind == CalicoPolicyKind::NetworkPolicy));
}

/// The verdicts a live Calico cluster gets, worked out by hand from SEMANTICS.md points 20-22:
/// a GlobalNetworkPolicy default deny of the `default` tier (egress DNS only) isolates every
/// pod both ways; tier `platform` (order 100, before `default`) holds a policy selecting
/// shop/web for ingress, whose rule names only shop/front, so that tier's default Deny isolates
/// web's ingress before `default` is reached. The same from Calico's API server and from its
/// CRDs.
#[test]
fn a_calico_cluster_gets_the_verdicts_calico_enforces() {
    let objects = vec![
        calico_node(),
        namespace("shop", &[]),
        namespace("blog", &[]),
        pod("shop", "web", &[("app", "web")]),
        pod("shop", "front", &[("app", "front")]),
        pod("blog", "wordpress", &[("app", "wordpress")]),
        gnp("default-deny"),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier",
               "metadata": {"name": "platform"}, "spec": {"order": 100}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
               "metadata": {"name": "allow-front", "namespace": "shop"},
               "spec": {"tier": "platform", "selector": "app == 'web'",
                        "ingress": [{"action": "Allow", "protocol": "TCP",
                                     "source": {"selector": "app == 'front'"},
                                     "destination": {"ports": [80]}}]}}),
    ];
    for api in BOTH {
        let cluster = Cluster::start(
            objects.clone(),
            Options {
                other_policy_apis: vec![api],
                ..Options::default()
            },
        );
        let (_, doc, stderr) = cluster.json(&["-A"]);
        let workloads = doc["workloads"].as_array().unwrap();
        let get = |ns: &str, name: &str| {
            workloads
                .iter()
                .find(|w| w["namespace"] == ns && w["name"] == name)
                .unwrap_or_else(|| panic!("{api}: no {ns}/{name} in {doc}\n{stderr}"))
        };
        for (ns, name) in [("shop", "web"), ("shop", "front"), ("blog", "wordpress")] {
            for direction in ["ingress", "egress"] {
                assert_eq!(
                    get(ns, name)[direction]["isolation"],
                    "isolated",
                    "{api} {ns}/{name} {direction}"
                );
            }
        }
        let web = get("shop", "web");
        assert_eq!(
            web["ingress"]["decidedBy"]["layer"], "Calico tier platform",
            "{api}"
        );
        assert_eq!(web["ingress"]["decidedBy"]["name"], "allow-front", "{api}");
        assert_eq!(
            web["egress"]["decidedBy"]["layer"], "NetworkPolicy",
            "{api}"
        );
        assert_eq!(
            web["egress"]["decidedBy"]["kind"], "GlobalNetworkPolicy",
            "{api}"
        );
        assert_eq!(web["egress"]["decidedBy"]["name"], "default-deny", "{api}");
        // front may not open TCP 80 to web: its own egress allows DNS only.
        let (_, reach, _) = cluster.json(&[
            "reach",
            "pod/front",
            "pod/web",
            "-n",
            "shop",
            "--port",
            "80",
        ]);
        assert_eq!(reach["verdict"], "denied", "{api}: {reach}");
        assert_eq!(
            reach["egress"]["decidedBy"]["layer"], "NetworkPolicy",
            "{api}: {reach}"
        );
    }
}
