//! The cluster of issue 18 for the `--with-cluster` tests: the platform team's default deny and
//! allow-dns in namespace `apps`, nothing in namespace `open`, CoreDNS in kube-system, and
//! optionally a Helm release already installed (its objects carrying Helm's ownership
//! annotations, its pods running under a Deployment).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{json, Value};

use crate::apiserver::{namespace, network_policy, pod, ApiServer, Fixture, Options};

pub const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

/// Helm's ownership annotations on an object of release `release` in `namespace`.
pub fn helm_owned(mut object: Value, release: &str, namespace: &str) -> Value {
    object["metadata"]["annotations"] = json!({
        "meta.helm.sh/release-name": release,
        "meta.helm.sh/release-namespace": namespace,
    });
    object["metadata"]["labels"] = json!({"app.kubernetes.io/managed-by": "Helm"});
    object
}

pub fn deny_all(namespace: &str, name: &str) -> Value {
    network_policy(
        namespace,
        name,
        json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
    )
}

/// The running pods of a Deployment `name` of release `release` (as the podinfo chart labels
/// them), through its ReplicaSet.
pub fn release_pods(namespace: &str, name: &str, release: &str) -> Vec<Value> {
    let labels = [
        ("app.kubernetes.io/name", "podinfo"),
        ("app.kubernetes.io/instance", release),
        ("pod-template-hash", "5d8"),
    ];
    let mut p = pod(namespace, &format!("{name}-5d8-a"), &labels);
    p["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "name": format!("{name}-5d8"), "controller": true, "uid": "u1"}]);
    let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": format!("{name}-5d8"), "namespace": namespace,
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                                 "controller": true, "uid": "u2"}]}});
    vec![p, rs]
}

/// The platform team's cluster, and `extra` objects.
pub fn fixture(extra: impl IntoIterator<Item = Value>) -> Fixture {
    let mut objects = vec![
        namespace("apps", &[("team", "platform")]),
        namespace("open", &[]),
        namespace("kube-system", &[]),
        pod("kube-system", "coredns-abc", &[("k8s-app", "kube-dns")]),
        deny_all("apps", "default-deny-all"),
        network_policy(
            "apps",
            "allow-dns",
            json!({"podSelector": {}, "policyTypes": ["Egress"],
                   "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                       "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                               "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]}),
        ),
    ];
    objects.extend(extra);
    Fixture::from_objects(objects)
}

pub struct Cluster {
    pub server: ApiServer,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

impl Cluster {
    pub fn start(fixture: Fixture) -> Cluster {
        Self::start_with(fixture, Options::default())
    }

    /// With `options`: the policy APIs the server serves beside networking.k8s.io, ...
    pub fn start_with(fixture: Fixture, options: Options) -> Cluster {
        let server = ApiServer::start(fixture, options);
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        // The context's namespace is `default`: the tests name theirs, as Helm's -n does.
        server.write_kubeconfig(&kubeconfig, "test", None);
        Cluster {
            server,
            dir,
            kubeconfig,
        }
    }

    /// The binary with `args`, `stdin` on its standard input, KUBECONFIG naming this cluster.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        run_with(
            args,
            stdin,
            &[("KUBECONFIG", self.kubeconfig.to_str().unwrap())],
        )
    }

    /// Every request the server answered was a read.
    pub fn only_reads(&self) -> bool {
        self.server.requests().iter().all(|r| r.method == "GET")
    }
}

pub fn run_with(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    use std::io::Write;
    let mut c = Command::new(BINARY);
    c.args(args)
        .env_remove("KUBECONFIG")
        .env_remove("HELM_NAMESPACE")
        .env_remove("HELM_KUBECONTEXT")
        .env_remove("HELM_PLUGIN_NAME")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// What `helm template <release> tests/charts/podinfo` renders (the Deployment; the release's
/// isolating policy with `isolate`).
pub fn podinfo(release: &str, isolate: bool) -> String {
    let mut text = format!(
        "---\n# Source: podinfo/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {release}\n  labels:\n    app.kubernetes.io/name: podinfo\n    app.kubernetes.io/instance: {release}\nspec:\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: podinfo\n      app.kubernetes.io/instance: {release}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: podinfo\n        app.kubernetes.io/instance: {release}\n    spec:\n      containers:\n        - name: podinfo\n          image: \"registry.example/podinfo:6\"\n          ports:\n            - {{name: http, containerPort: 9898}}\n"
    );
    if isolate {
        text.push_str(&format!("---\n# Source: podinfo/templates/deployment.yaml\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {release}-isolate\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/instance: {release}\n  policyTypes: [Ingress, Egress]\n"));
    }
    text
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
