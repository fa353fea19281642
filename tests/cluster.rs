//! `kubectl netpol-check` against a live API server: the test server in tests/apiserver speaks
//! the Kubernetes list API over TLS; the real kubectl runs the plugin.

mod apiserver;
mod tools;

use std::path::PathBuf;
use std::process::{Command, Output};

use apiserver::{namespace, network_policy, pod, ApiServer, Endless, Fixture, Forbid, Options};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

fn owned(mut pod: Value, kind: &str, name: &str) -> Value {
    pod["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": kind, "name": name, "controller": true, "uid": "u"}]);
    pod
}

fn owner_object(kind: &str, api_version: &str, ns: &str, name: &str, owner: (&str, &str)) -> Value {
    json!({"apiVersion": api_version, "kind": kind,
           "metadata": {"name": name, "namespace": ns,
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner.0, "name": owner.1, "controller": true, "uid": "u"}]}})
}

fn daemon_set(name: &str, image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
           "metadata": {"name": name, "namespace": "kube-system"},
           "spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}})
}

/// shop: a Deployment of two pods (through a ReplicaSet), a StatefulSet pod, a bare pod, a
/// CronJob's pod (through a Job) and a finished pod; a default deny for both directions in
/// shop, nothing in blog; Calico in kube-system.
fn fixture() -> Fixture {
    fixture_with([])
}

/// `fixture()` and some more objects.
fn fixture_with(extra: impl IntoIterator<Item = Value>) -> Fixture {
    let mut done = pod("shop", "finished", &[("app", "batch")]);
    done["status"]["phase"] = json!("Succeeded");
    Fixture::from_objects(
        [
            namespace("shop", &[("team", "storefront")]),
            namespace("blog", &[]),
            namespace("kube-system", &[]),
            owned(
                pod(
                    "shop",
                    "web-7c9-a",
                    &[("app", "web"), ("pod-template-hash", "7c9")],
                ),
                "ReplicaSet",
                "web-7c9",
            ),
            owned(
                pod(
                    "shop",
                    "web-7c9-b",
                    &[("app", "web"), ("pod-template-hash", "7c9")],
                ),
                "ReplicaSet",
                "web-7c9",
            ),
            owned(pod("shop", "db-0", &[("app", "db")]), "StatefulSet", "db"),
            pod("shop", "debug", &[("run", "debug")]),
            owned(
                pod("shop", "nightly-281-x", &[("job", "nightly")]),
                "Job",
                "nightly-281",
            ),
            done,
            pod("blog", "wordpress", &[("app", "wordpress")]),
            owned(
                pod("kube-system", "coredns-1", &[("k8s-app", "kube-dns")]),
                "ReplicaSet",
                "coredns-5d",
            ),
            owner_object(
                "ReplicaSet",
                "apps/v1",
                "shop",
                "web-7c9",
                ("Deployment", "web"),
            ),
            owner_object(
                "ReplicaSet",
                "apps/v1",
                "kube-system",
                "coredns-5d",
                ("Deployment", "coredns"),
            ),
            owner_object(
                "Job",
                "batch/v1",
                "shop",
                "nightly-281",
                ("CronJob", "nightly"),
            ),
            network_policy(
                "shop",
                "default-deny-all",
                json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
            ),
            daemon_set("calico-node", "docker.io/calico/node:v3.28.0"),
            daemon_set("kube-proxy", "registry.k8s.io/kube-proxy:v1.33.0"),
        ]
        .into_iter()
        .chain(extra)
        .collect::<Vec<_>>(),
    )
}

struct Cluster {
    server: ApiServer,
    dir: tempfile::TempDir,
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
            dir,
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

    fn report(&self, args: &[&str]) -> (i32, Value) {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let out = self.run(&all);
        let stdout = String::from_utf8(out.stdout).unwrap();
        let report = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap(), report)
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn workloads(report: &Value) -> Vec<(String, String, String, u64)> {
    report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["namespace"].as_str().unwrap().to_owned(),
                w["kind"].as_str().unwrap().to_owned(),
                w["name"].as_str().unwrap().to_owned(),
                w["pods"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn w(ns: &str, kind: &str, name: &str, pods: u64) -> (String, String, String, u64) {
    (ns.into(), kind.into(), name.into(), pods)
}

#[test]
fn all_namespaces_folds_pods_into_their_owners_over_tls() {
    let c = Cluster::start(fixture(), Options::default());
    let (code, r) = c.report(&["-A"]);
    assert_eq!(code, 1, "blog/wordpress is uncovered");
    assert_eq!(
        workloads(&r),
        [
            w("blog", "Pod", "wordpress", 1),
            w("shop", "StatefulSet", "db", 1),
            w("shop", "Pod", "debug", 1),
            w("shop", "CronJob", "nightly", 1),
            w("shop", "Deployment", "web", 2),
        ],
        "the Succeeded pod is left out; kube-system is out of scope"
    );
    assert_eq!(r["source"]["type"], "cluster");
    assert_eq!(r["source"]["context"], "test");
    assert_eq!(r["source"]["server"], c.server.url.as_str());
    assert_eq!(r["source"]["cni"]["name"], "Calico");
    assert_eq!(r["source"]["cni"]["enforcesNetworkPolicy"], true);
    assert_eq!(r["summary"]["uncoveredWorkloads"], 1);
    let shop = r["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "shop")
        .unwrap();
    assert_eq!(
        shop["defaultDeny"],
        json!({"ingress": true, "egress": true})
    );
}

#[test]
fn without_a_namespace_flag_the_contexts_namespace_is_read() {
    let c = Cluster::start(fixture(), Options::default());
    let (code, r) = c.report(&[]);
    assert_eq!(code, 0, "everything in shop is covered");
    assert!(workloads(&r).iter().all(|w| w.0 == "shop"));
    let (code, r) = c.report(&["-n", "blog"]);
    assert_eq!(code, 1);
    assert_eq!(workloads(&r), [w("blog", "Pod", "wordpress", 1)]);
    let paths: Vec<String> = c.server.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths.contains(&"/api/v1/namespaces/blog/pods".to_owned()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"/apis/networking.k8s.io/v1/namespaces/blog/networkpolicies".to_owned())
    );
}

#[test]
fn naming_a_system_namespace_includes_it() {
    let c = Cluster::start(fixture(), Options::default());
    let (_, r) = c.report(&["-n", "kube-system"]);
    assert_eq!(
        workloads(&r),
        [w("kube-system", "Deployment", "coredns", 1)]
    );
}

#[test]
fn selector_limits_what_is_reported_not_the_pods_listed() {
    // db admits web; web's own policy selects only web. With -l app=db the web pods must still
    // count: neither policy selects nothing, and db-ingress's peer selects the web pods.
    let c = Cluster::start(
        fixture_with([
            network_policy(
                "shop",
                "db-ingress",
                json!({"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"],
                       "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                    "ports": [{"port": 5432}]}]}),
            ),
            network_policy(
                "shop",
                "web-egress",
                json!({"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"],
                       "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}]}]}),
            ),
        ]),
        Options::default(),
    );
    let (_, r) = c.report(&["-A", "-l", "app=db"]);
    assert_eq!(workloads(&r), [w("shop", "StatefulSet", "db", 1)]);
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        !rules.contains(&"NPC110") && !rules.contains(&"NPC111"),
        "{:#}",
        r["findings"]
    );
    // Findings on objects outside the selection are not reported: blog/wordpress is uncovered.
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["namespace"] == "shop"),
        "{:#}",
        r["findings"]
    );
    assert_eq!(r["summary"]["workloads"], 1);
    assert_eq!(r["summary"]["uncoveredWorkloads"], 0);
    let pods = c
        .server
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/v1/pods")
        .unwrap();
    assert_eq!(pods.param("labelSelector"), None, "every pod is listed");
    assert_eq!(
        pods.param("fieldSelector").as_deref(),
        Some("status.phase!=Succeeded,status.phase!=Failed")
    );
    // Without -l, blog/wordpress makes the run fail; with a selector that leaves it out, not.
    assert_eq!(c.report(&["-A"]).0, 1);
    assert_eq!(c.report(&["-A", "-l", "app in (db, web)"]).0, 0);
}

#[test]
fn lists_are_paginated_one_request_per_page_and_restart_when_a_token_expires() {
    let options = Options {
        expire_first_continue: true,
        // Only the pods list: with pages of 2 the namespaces list paginates too, concurrently.
        expire_resource: Some("pods".into()),
        ..Options::default()
    };
    let c = Cluster::start(fixture(), options);
    let (_, r) = c.report(&["-A", "--chunk-size", "2"]);
    assert_eq!(
        workloads(&r).len(),
        5,
        "the expired list started over and completed"
    );
    let requests = c.server.requests();
    let pod_requests: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/api/v1/pods")
        .collect();
    assert!(pod_requests
        .iter()
        .all(|r| r.param("limit").as_deref() == Some("2")));
    assert!(
        pod_requests.iter().any(|r| r.status == 410),
        "one continue token expired"
    );
    assert!(
        !requests
            .iter()
            .any(|r| r.path.contains("/namespaces/") && r.path.ends_with("/pods")),
        "no per-namespace fan-out when the cluster-wide list is allowed"
    );
    let metadata_only: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/apis/apps/v1/replicasets" || r.path == "/apis/batch/v1/jobs")
        .collect();
    assert!(!metadata_only.is_empty());
    assert!(metadata_only.iter().all(|r| r
        .accept
        .as_deref()
        .unwrap_or("")
        .contains("as=PartialObjectMetadataList")));
    assert!(requests
        .iter()
        .all(|r| r.accept_encoding.as_deref().unwrap_or("").contains("gzip")));
}

/// Runs against a server whose lists of `plural` never end; returns stderr and the requests
/// made for that list.
fn endless(plural: &str, how: Endless) -> (String, usize) {
    let options = Options {
        endless: Some((plural.into(), how)),
        ..Options::default()
    };
    let c = Cluster::start(fixture(), options);
    let started = std::time::Instant::now();
    let out = c.run(&["-A"]);
    let elapsed = started.elapsed();
    // The bound is 4,000 pages at the default page size: a few seconds against this server,
    // where an unbounded list ran for as long as memory lasted.
    assert!(elapsed < std::time::Duration::from_secs(120), "{elapsed:?}");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("error: context \"test\" ({}): ", c.server.url)),
        "{err}"
    );
    let requests = c
        .server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with(&format!("/{plural}")))
        .count();
    (err, requests)
}

#[test]
fn a_list_with_a_fresh_continue_token_on_every_page_stops_at_the_page_bound() {
    let (err, requests) = endless("pods", Endless::FreshToken);
    assert!(
        err.contains(
            "the list of pods does not end: still a continue token after 4000 pages of 500"
        ),
        "{err}"
    );
    assert_eq!(requests, 4_000);
}

#[test]
fn a_list_repeating_its_continue_token_stops_at_the_repeat_even_when_it_is_not_pods() {
    // Namespaces that cannot be listed are only a note; a server that loops is not.
    let (err, requests) = endless("namespaces", Endless::SameToken);
    assert!(
        err.contains(
            "the list of namespaces does not end: page 2 repeats an earlier continue token"
        ),
        "{err}"
    );
    assert_eq!(requests, 2);
}

#[test]
fn bearer_tokens_are_sent_and_a_rejected_one_is_one_line_with_context_and_server() {
    let options = Options {
        token: Some("s3cret".into()),
        ..Options::default()
    };
    let c = Cluster::start(fixture(), options);
    let good = c.dir.path().join("good");
    c.server
        .write_kubeconfig_with_token(&good, "test", Some("shop"), Some("s3cret"));
    let out = Command::new(BINARY)
        .args(["--kubeconfig", good.to_str().unwrap(), "-A", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let bad = c.dir.path().join("bad");
    c.server
        .write_kubeconfig_with_token(&bad, "test", Some("shop"), Some("wrong"));
    let out = Command::new(BINARY)
        .args(["--kubeconfig", bad.to_str().unwrap(), "-A"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: context \"test\" ({}): Unauthorized",
            c.server.url
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn forbidden_cluster_wide_pods_suggests_a_namespace() {
    let options = Options {
        forbidden: vec![Forbid::cluster_scope("pods")],
        ..Options::default()
    };
    let c = Cluster::start(fixture(), options);
    let out = c.run(&["-A"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(
        err.trim_end(),
        format!(
            "error: context \"test\" ({}): cannot list pods: pods is forbidden: User \"system:serviceaccount:default:test\" cannot list resource \"pods\" in API group \"\" at the cluster scope (403); without permission to list pods in all namespaces, use -n NAMESPACE",
            c.server.url
        )
    );
    // The namespace the user may read still works.
    let out = c.run(&["-n", "shop", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn unlistable_namespaces_and_policies_are_noted_and_the_rest_goes_on() {
    let options = Options {
        forbidden: vec![
            Forbid::everywhere("namespaces"),
            Forbid::cluster_scope("networkpolicies"),
            Forbid::in_namespaces("networkpolicies", &["blog"]),
        ],
        ..Options::default()
    };
    let c = Cluster::start(fixture(), options);
    let (code, r) = c.report(&["-A"]);
    assert_eq!(
        code, 0,
        "shop is covered; blog could not be judged and is left out"
    );
    assert!(workloads(&r).iter().all(|w| w.0 == "shop"));
    let notes: Vec<&str> = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("Namespaces could not be listed")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("NetworkPolicies of namespace blog could not be listed")),
        "{notes:?}"
    );
}

#[test]
fn flannel_alone_is_npc130_and_an_unknown_cni_is_a_note() {
    let mut f = fixture();
    f.daemon_sets = vec![daemon_set(
        "kube-flannel-ds",
        "ghcr.io/flannel-io/flannel:v0.26.0",
    )];
    let c = Cluster::start(f, Options::default());
    let (_, r) = c.report(&["-A"]);
    let npc130: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "NPC130")
        .collect();
    assert_eq!(npc130.len(), 1);
    assert!(npc130[0]["message"]
        .as_str()
        .unwrap()
        .contains("(flannel) does not enforce"));

    let mut f = fixture();
    f.daemon_sets = vec![daemon_set(
        "kube-proxy",
        "registry.k8s.io/kube-proxy:v1.33.0",
    )];
    let c = Cluster::start(f, Options::default());
    let (_, r) = c.report(&["-A"]);
    assert_eq!(r["source"]["cni"]["name"], "unknown");
    assert!(r["notes"].as_array().unwrap().iter().any(|n| n
        .as_str()
        .unwrap()
        .contains("CNI plugin was not recognised")));
    assert!(!r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "NPC130"));
}

#[test]
fn an_unreachable_server_is_one_line_naming_context_and_server() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let port = apiserver::write_unreachable_kubeconfig(&kubeconfig, "prod");
    let out = Command::new(BINARY)
        .args(["--kubeconfig", kubeconfig.to_str().unwrap(), "-A"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(
        err,
        format!(
            "error: context \"prod\" (https://127.0.0.1:{port}): the connection to the server 127.0.0.1:{port} was refused\n"
        )
    );
    assert!(
        !err.contains("panicked") && !err.contains("os error"),
        "{err}"
    );
}

#[test]
fn a_missing_context_is_named() {
    let c = Cluster::start(fixture(), Options::default());
    let out = c.run(&["--context", "nope", "-A"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("context \"nope\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn no_progress_line_and_nothing_on_stderr_when_not_a_terminal() {
    let c = Cluster::start(fixture(), Options::default());
    let out = c.run(&["-A", "-o", "table"]);
    assert_eq!(stderr(&out), "");
}

#[test]
fn real_kubectl_lists_the_same_pods_and_runs_the_plugin() {
    let c = Cluster::start(fixture(), Options::default());
    let kubectl = tools::kubectl();
    let bin = c.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(BINARY, bin.join("kubectl-netpol_check")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let run = |args: &[&str]| {
        Command::new(&kubectl)
            .args(args)
            .env("KUBECONFIG", &c.kubeconfig)
            .env("PATH", &path)
            .output()
            .unwrap()
    };
    // The server speaks the real protocol: kubectl itself lists the pods from it.
    let out = run(&["get", "pods", "-A", "-o", "name"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names = String::from_utf8(out.stdout).unwrap();
    assert!(
        names.contains("pod/web-7c9-a") && names.contains("pod/wordpress"),
        "{names}"
    );

    // kubectl finds the plugin on PATH, passes the flags through and keeps the exit status.
    let out = run(&["plugin", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("kubectl-netpol_check"));
    let out = run(&["netpol-check", "-A", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["summary"]["uncoveredWorkloads"], 1);
    let out = run(&["netpol-check", "-n", "shop"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Deployment/web"));
}

#[test]
fn host_network_model_applies_to_live_pods() {
    // An agent on the node's network in shop, under shop's default deny for both directions.
    let mut agent = pod("shop", "agent", &[("app", "agent")]);
    agent["spec"]["hostNetwork"] = json!(true);
    let c = Cluster::start(fixture_with([agent]), Options::default());
    let agent_of = |r: &Value| {
        r["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == "agent")
            .cloned()
            .unwrap()
    };
    let (_, node) = c.report(&["-n", "shop"]);
    let a = agent_of(&node);
    assert_eq!(a["hostNetwork"], true);
    assert_eq!(a["ingress"]["isolated"], false);
    assert_eq!(a["egress"]["isolated"], false);
    assert_eq!(node["summary"]["hostNetworkModel"], "node");
    let (_, pod_model) = c.report(&["-n", "shop", "--host-network=pod"]);
    let a = agent_of(&pod_model);
    assert_eq!(a["ingress"]["isolated"], true);
    assert_eq!(a["egress"]["isolated"], true);
    assert_eq!(pod_model["summary"]["hostNetworkModel"], "pod");
}
