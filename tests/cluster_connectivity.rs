//! `reach`, `explain` and `matrix` against a live API server (the TLS test server of
//! tests/apiserver): pods are folded into their owners, `pod/NAME` still finds them, names
//! default to the context's namespace, and an unreachable server is one line.
//!
//! The fixture, worked out by hand: shop denies everything both ways; db (port `pg`, 5432)
//! accepts web on `pg`; web may send to db on 5432 and to kube-dns pods of kube-system on
//! UDP 53. kube-system has no policy.

mod apiserver;

use std::path::PathBuf;
use std::process::{Command, Output};

use apiserver::{namespace, network_policy, pod, ApiServer, Fixture, Options};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

fn owned(mut pod: Value, kind: &str, name: &str) -> Value {
    pod["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": kind, "name": name, "controller": true, "uid": "u"}]);
    pod
}

fn with_port(mut pod: Value, name: &str, port: u16, protocol: &str) -> Value {
    pod["spec"]["containers"][0]["ports"] =
        json!([{"name": name, "containerPort": port, "protocol": protocol}]);
    pod
}

fn replica_set(ns: &str, name: &str, deployment: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
           "metadata": {"name": name, "namespace": ns,
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment, "controller": true, "uid": "u"}]}})
}

fn fixture() -> Fixture {
    Fixture::from_objects([
        namespace("shop", &[]),
        namespace("kube-system", &[]),
        owned(
            pod("shop", "web-7c9-a", &[("app", "web")]),
            "ReplicaSet",
            "web-7c9",
        ),
        replica_set("shop", "web-7c9", "web"),
        owned(
            with_port(pod("shop", "db-0", &[("app", "db")]), "pg", 5432, "TCP"),
            "StatefulSet",
            "db",
        ),
        owned(
            with_port(
                pod("kube-system", "coredns-1", &[("k8s-app", "kube-dns")]),
                "dns",
                53,
                "UDP",
            ),
            "ReplicaSet",
            "coredns-5d",
        ),
        replica_set("kube-system", "coredns-5d", "coredns"),
        network_policy(
            "shop",
            "default-deny-all",
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        ),
        network_policy(
            "shop",
            "db",
            json!({"podSelector": {"matchLabels": {"app": "db"}},
                   "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                "ports": [{"port": "pg"}]}]}),
        ),
        network_policy(
            "shop",
            "web-egress",
            json!({"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"],
                   "egress": [
                       {"to": [{"podSelector": {"matchLabels": {"app": "db"}}}], "ports": [{"port": 5432}]},
                       {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                        "ports": [{"port": 53, "protocol": "UDP"}]}]}),
        ),
    ])
}

struct Cluster {
    _server: ApiServer,
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Cluster {
    fn start() -> Cluster {
        let server = ApiServer::start(fixture(), Options::default());
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        // The context's namespace is shop: names without -n are looked up there.
        server.write_kubeconfig(&kubeconfig, "test", Some("shop"));
        Cluster {
            _server: server,
            _dir: dir,
            kubeconfig,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(BINARY)
            .args(args)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .env_remove("KUBECONFIG")
            .output()
            .unwrap()
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn reach_on_a_cluster_through_owners_and_pod_names() {
    let c = Cluster::start();
    let out = c.run(&["reach", "deploy/web", "sts/db", "--port", "5432"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).starts_with("ALLOWED: deploy/web (shop) -> sts/db (shop), TCP 5432\n"));

    // pod/NAME names a pod folded into its Deployment; the destination is in kube-system.
    let out = c.run(&[
        "reach",
        "pod/web-7c9-a",
        "--to-namespace",
        "kube-system",
        "pod/coredns-1",
        "--port",
        "53",
        "--protocol",
        "UDP",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let j: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(j["source"]["name"], "web");
    assert_eq!(j["destination"]["kind"], "Deployment");
    assert_eq!(j["destination"]["name"], "coredns");
    assert_eq!(j["egress"]["rules"][0]["index"], 1);
    assert_eq!(j["ingress"]["isolated"], false);

    // DNS over TCP is not allowed by web's egress.
    let out = c.run(&[
        "reach",
        "deploy/web",
        "deploy/coredns",
        "--to-namespace",
        "kube-system",
        "--port",
        "53",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
}

#[test]
fn explain_and_matrix_on_a_cluster() {
    let c = Cluster::start();
    let out = c.run(&["explain", "sts/db"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("    shop/db ingress rule 1: from pods app=web in namespace shop, TCP port named pg\n      resolves to: deploy/web (shop)\n"), "{text}");

    // Without -A: the context's namespace only.
    let out = c.run(&["matrix", "-o", "connlist"]);
    assert_eq!(
        stdout(&out),
        "shop/web[Deployment] => shop/db[StatefulSet] : TCP 5432\n"
    );
    let out = c.run(&["matrix", "-A", "-o", "connlist"]);
    assert_eq!(
        stdout(&out),
        "0.0.0.0-255.255.255.255[External] => kube-system/coredns[Deployment] : All Connections\n\
         kube-system/coredns[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections\n\
         shop/web[Deployment] => kube-system/coredns[Deployment] : UDP 53\n\
         shop/web[Deployment] => shop/db[StatefulSet] : TCP 5432\n"
    );
}

#[test]
fn an_unreachable_server_stops_reach_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let port = apiserver::write_unreachable_kubeconfig(&kubeconfig, "prod");
    let out = Command::new(BINARY)
        .args(["reach", "deploy/a", "deploy/b", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: context \"prod\" (https://127.0.0.1:{port}): "
        )),
        "{err}"
    );
}
