//! CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies on a live cluster: listed when
//! discovery shows cilium.io/v2 (with pagination, `-n` scope for the namespaced kind), their
//! status verdict read, and the agents' policy mode read from ConfigMap `cilium-config` only
//! where Cilium runs. What was read is checked through the library's cluster source and the
//! report's `summary.policies`; the verdicts they give on a live cluster at the end.

mod apiserver;

use std::path::PathBuf;
use std::process::Command;

use apiserver::{namespace, pod, ApiServer, Fixture, Forbid, Options};
use netpol_check::model::{CiliumMode, CiliumPolicyKind};
use netpol_check::source::cluster::{self, ClusterData, ClusterOptions};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

fn cnp(namespace: &str, name: &str) -> Value {
    json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
           "metadata": {"name": name, "namespace": namespace},
           "spec": {"endpointSelector": {"matchLabels": {"app": "web"}},
                    "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "front"}}]}]}})
}

fn ccnp(name: &str) -> Value {
    json!({"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
           "metadata": {"name": name},
           "specs": [{"endpointSelector": {}, "egress": [{"toEntities": ["cluster"]}]}]})
}

/// What the operator writes on a policy it refuses (cilium `cnp_types.go`,
/// `NetworkPolicyCondition`).
fn refused(namespace: &str, name: &str) -> Value {
    json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
           "metadata": {"name": name, "namespace": namespace},
           "spec": {"endpointSelector": {}, "ingress": []},
           "status": {"conditions": [{"type": "Valid", "status": "False",
               "lastTransitionTime": "2026-01-01T00:00:00Z",
               "message": "rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny"}]}})
}

fn cilium_config(mode: Option<&str>) -> Value {
    let data = match mode {
        Some(m) => json!({"enable-policy": m, "cluster-name": "default"}),
        None => json!({"cluster-name": "default"}),
    };
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "cilium-config", "namespace": "kube-system"}, "data": data})
}

fn cilium_agent() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
           "metadata": {"name": "cilium", "namespace": "kube-system"},
           "spec": {"template": {"spec": {"containers": [{"name": "cilium-agent", "image": "quay.io/cilium/cilium:v1.18.0"}]}}}})
}

fn objects() -> Vec<Value> {
    vec![
        namespace("shop", &[]),
        namespace("blog", &[]),
        cilium_agent(),
        pod("shop", "web", &[("app", "web")]),
        pod("blog", "wordpress", &[("app", "web")]),
        cnp("shop", "allow-front"),
        cnp("shop", "allow-more"),
        cnp("blog", "allow-blog"),
        refused("blog", "deny-all"),
        ccnp("lockdown"),
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

    fn with_cilium(objects: Vec<Value>) -> Cluster {
        Cluster::start(objects, cilium_options())
    }

    fn load(&self, all_namespaces: bool) -> ClusterData {
        cluster::load(&ClusterOptions {
            kubeconfig: Some(self.kubeconfig.clone()),
            all_namespaces,
            page_size: 2,
            ..ClusterOptions::default()
        })
        .unwrap()
    }

    /// Exit code, the JSON report, stderr.
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

fn cilium_options() -> Options {
    Options {
        other_policy_apis: vec!["cilium.io/v2"],
        ..Options::default()
    }
}

fn names(data: &ClusterData) -> Vec<(CiliumPolicyKind, Option<String>, String)> {
    let mut out: Vec<_> = data
        .inventory
        .cilium_policies
        .iter()
        .map(|p| (p.kind, p.namespace.clone(), p.name.clone()))
        .collect();
    out.sort();
    out
}

#[test]
fn both_kinds_are_listed_page_by_page_with_all_namespaces() {
    let mut objects = objects();
    objects.push(cilium_config(Some("always")));
    let c = Cluster::with_cilium(objects);
    let data = c.load(true);
    use CiliumPolicyKind::*;
    let ns = |s: &str| Some(s.to_owned());
    assert_eq!(
        names(&data),
        vec![
            (CiliumNetworkPolicy, ns("blog"), "allow-blog".to_owned()),
            (CiliumNetworkPolicy, ns("blog"), "deny-all".to_owned()),
            (CiliumNetworkPolicy, ns("shop"), "allow-front".to_owned()),
            (CiliumNetworkPolicy, ns("shop"), "allow-more".to_owned()),
            (CiliumClusterwideNetworkPolicy, None, "lockdown".to_owned()),
        ]
    );
    assert!(data.inventory.ignored_policies.is_empty());
    let lockdown = data
        .inventory
        .cilium_policies
        .iter()
        .find(|p| p.name == "lockdown")
        .unwrap();
    assert_eq!(
        lockdown.rules[0].egress.as_ref().unwrap()[0].entities,
        Some(vec!["cluster".to_owned()])
    );
    assert_eq!(data.inventory.cilium_mode, Some(CiliumMode::Always));
    // Four CNPs at two per page: continued.
    let requests = c.server.requests();
    let cnp_pages = requests
        .iter()
        .filter(|r| r.path == "/apis/cilium.io/v2/ciliumnetworkpolicies")
        .count();
    assert!(cnp_pages >= 2, "{cnp_pages} pages");
    assert!(c
        .paths()
        .contains(&"/api/v1/namespaces/kube-system/configmaps/cilium-config".to_owned()));
}

#[test]
fn the_status_verdict_is_read() {
    let c = Cluster::with_cilium(objects());
    let data = c.load(true);
    let verdicts: Vec<_> = data
        .inventory
        .cilium_policies
        .iter()
        .map(|p| (p.name.as_str(), p.rejected_by_cilium.as_deref()))
        .filter(|(_, v)| v.is_some())
        .collect();
    assert_eq!(
        verdicts,
        vec![(
            "deny-all",
            Some("rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny")
        )]
    );
}

#[test]
fn namespaced_policies_honour_the_scope() {
    let c = Cluster::with_cilium(objects());
    // The kubeconfig's namespace is shop.
    let data = c.load(false);
    let listed: Vec<_> = names(&data).into_iter().map(|(_, _, n)| n).collect();
    assert_eq!(listed, vec!["allow-front", "allow-more", "lockdown"]);
    let paths = c.paths();
    assert!(paths.contains(&"/apis/cilium.io/v2/namespaces/shop/ciliumnetworkpolicies".to_owned()));
    assert!(!paths.contains(&"/apis/cilium.io/v2/ciliumnetworkpolicies".to_owned()));
    assert!(paths.contains(&"/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies".to_owned()));
    // The report counts them by kind.
    let (_, report, stderr) = c.json(&[]);
    assert_eq!(
        report["summary"]["policies"],
        json!({"CiliumNetworkPolicy": 2, "CiliumClusterwideNetworkPolicy": 1}),
        "{stderr}"
    );
    assert_eq!(report["summary"]["ignoredPolicies"], json!({}));
}

#[test]
fn missing_config_map_or_key_means_default() {
    let c = Cluster::with_cilium(objects());
    assert_eq!(
        c.load(true).inventory.cilium_mode,
        Some(CiliumMode::Default)
    );
    let mut with_key_missing = objects();
    with_key_missing.push(cilium_config(None));
    let c = Cluster::with_cilium(with_key_missing);
    assert_eq!(
        c.load(true).inventory.cilium_mode,
        Some(CiliumMode::Default)
    );
    let mut never = objects();
    never.push(cilium_config(Some("never")));
    let c = Cluster::with_cilium(never);
    assert_eq!(c.load(true).inventory.cilium_mode, Some(CiliumMode::Never));
}

#[test]
fn a_refused_config_map_is_one_warning_and_default() {
    let mut objects = objects();
    objects.push(cilium_config(Some("always")));
    let c = Cluster::start(
        objects,
        Options {
            forbidden: vec![Forbid::everywhere("configmaps")],
            ..cilium_options()
        },
    );
    assert_eq!(
        c.load(true).inventory.cilium_mode,
        Some(CiliumMode::Default)
    );
    let (code, report, stderr) = c.json(&["-A"]);
    assert!(code == 0 || code == 1, "{stderr}");
    let warnings: Vec<_> = stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("ConfigMap cilium-config in kube-system")
            && warnings[0].contains("forbidden")
            && warnings[0].contains("default"),
        "{stderr}"
    );
    assert_eq!(
        report["summary"]["policies"]["CiliumNetworkPolicy"], 4,
        "the policies are read all the same"
    );
}

#[test]
fn an_unknown_mode_is_a_warning_and_default() {
    let mut objects = objects();
    objects.push(cilium_config(Some("strict")));
    let c = Cluster::with_cilium(objects);
    assert_eq!(
        c.load(true).inventory.cilium_mode,
        Some(CiliumMode::Default)
    );
    let (_, _, stderr) = c.json(&["-A"]);
    assert!(
        stderr.contains("warning: enable-policy is \"strict\" in ConfigMap cilium-config"),
        "{stderr}"
    );
}

#[test]
fn a_cluster_without_cilium_is_silent_and_asks_nothing() {
    let c = Cluster::start(
        vec![
            namespace("shop", &[]),
            pod("shop", "web", &[("app", "web")]),
            cilium_config(Some("always")),
        ],
        Options::default(),
    );
    let data = c.load(true);
    assert!(data.inventory.cilium_policies.is_empty());
    assert_eq!(data.inventory.cilium_mode, None);
    assert!(
        data.notes.iter().all(|n| !n.contains("cilium")),
        "{:?}",
        data.notes
    );
    let paths = c.paths();
    assert!(
        !paths.iter().any(|p| p.contains("configmaps")),
        "no Cilium, no question about its config: {paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.starts_with("/apis/cilium.io")),
        "a group /apis does not show is not asked about: {paths:?}"
    );
    let (_, report, stderr) = c.json(&["-A"]);
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(!stderr.to_lowercase().contains("cilium"), "{stderr}");
    assert_eq!(report["summary"]["policies"], json!({}));
}

#[test]
fn an_agent_without_the_crds_still_has_its_mode_read() {
    let c = Cluster::start(
        vec![
            namespace("shop", &[]),
            cilium_agent(),
            pod("shop", "web", &[("app", "web")]),
            cilium_config(Some("never")),
        ],
        Options::default(),
    );
    let data = c.load(true);
    assert!(data.inventory.cilium_policies.is_empty());
    assert_eq!(data.inventory.cilium_mode, Some(CiliumMode::Never));
}

#[test]
fn refused_policy_lists_are_noted_and_the_run_goes_on() {
    let c = Cluster::start(
        objects(),
        Options {
            forbidden: vec![Forbid::everywhere("ciliumnetworkpolicies")],
            ..cilium_options()
        },
    );
    let (code, report, stderr) = c.json(&["-A"]);
    assert!(code == 0 || code == 1, "{stderr}");
    assert_eq!(
        report["summary"]["policies"],
        json!({"CiliumClusterwideNetworkPolicy": 1})
    );
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|n| n.starts_with("ciliumnetworkpolicies (cilium.io/v2) could not be listed"))
        .collect();
    assert_eq!(notes.len(), 1, "{report:#}");
}

#[test]
fn a_status_refusal_is_an_npc120_finding() {
    let c = Cluster::with_cilium(objects());
    let (_, report, stderr) = c.json(&["-A"]);
    let npc120: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "NPC120")
        .collect();
    // deny-all is refused twice over: by its status, and by its empty ingress.
    assert_eq!(npc120.len(), 1, "{npc120:#?}\n{stderr}");
    assert_eq!(npc120[0]["object"], "deny-all");
    assert!(npc120[0]["message"].as_str().unwrap().contains(
        "Cilium refused it (status Valid=False): rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny"
    ));
}

fn workload<'a>(report: &'a Value, namespace: &str, name: &str) -> &'a Value {
    report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["namespace"] == namespace && w["name"] == name)
        .unwrap_or_else(|| panic!("no {namespace}/{name} in {report:#}"))
}

#[test]
fn live_verdicts_are_the_ones_cilium_enforces() {
    // shop/web: two CiliumNetworkPolicies with an ingress section select it (default deny for
    // ingress, the first in inventory order named); the clusterwide `lockdown` has an egress
    // section for every pod. blog/wordpress: `allow-blog` for ingress; `deny-all` is refused
    // (Valid=False) and counts for nothing.
    let c = Cluster::with_cilium(objects());
    let (_, r, stderr) = c.json(&["-A"]);
    let web = workload(&r, "shop", "web");
    assert_eq!(web["ingress"]["isolation"], "isolated", "{web:#}\n{stderr}");
    assert_eq!(web["ingress"]["decidedBy"]["kind"], "CiliumNetworkPolicy");
    assert_eq!(web["ingress"]["decidedBy"]["name"], "allow-front");
    assert_eq!(web["egress"]["isolation"], "isolated");
    assert_eq!(
        web["egress"]["decidedBy"]["kind"],
        "CiliumClusterwideNetworkPolicy"
    );
    let refs: Vec<&str> = web["ingress"]["policyRefs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["allow-front", "allow-more"], "{web:#}");
    let wordpress = workload(&r, "blog", "wordpress");
    assert_eq!(wordpress["ingress"]["decidedBy"]["name"], "allow-blog");
    assert_eq!(r["summary"]["uncoveredWorkloads"], 0, "{r:#}");
    // The agents' `never`: nothing is enforced, whatever the policies say.
    let mut never = objects();
    never.push(cilium_config(Some("never")));
    let (_, r, _) = Cluster::with_cilium(never).json(&["-A"]);
    let web = workload(&r, "shop", "web");
    assert_eq!(web["ingress"]["isolation"], "open", "{web:#}");
    assert_eq!(web["egress"]["isolation"], "open");
    assert_eq!(r["summary"]["uncoveredWorkloads"], 2);
}
