//! A real HTTP(S) server speaking the Kubernetes list API over fixture objects, for the tests and
//! benchmarks of the live-cluster mode.
//!
//! It answers what kube-rs and kubectl send: `/version`, discovery (legacy and aggregated v2),
//! lists and gets of namespaces, pods, networkpolicies, replicasets, daemonsets and jobs with
//! `limit`/`continue` paging, label and field selectors, metadata-only lists, server-side Tables,
//! gzip, TLS with a fresh CA (client certificates asked for, not required), bearer-token
//! authentication and RBAC-like refusals. Its answers follow the real API server
//! (k8s.io/apiserver and the etcd3 store), including the parts clients tend to trip on:
//!
//! * list items carry no `kind`/`apiVersion` (kubernetes/kubernetes#3030);
//! * a page can end with a `continue` token although no further item matches the selectors, as
//!   the etcd store decides "more" from the keys it has not examined; the next page is then empty;
//! * `remainingItemCount` is only sent when the list has no selectors;
//! * an expired continue token is a 410 whose Status carries a token to continue inconsistently;
//! * responses are only gzipped from 128 KiB on ([`Options::gzip_min_bytes`]);
//! * namespaces get the `kubernetes.io/metadata.name` label the API server enforces, and objects
//!   get the `uid`, `resourceVersion` and `creationTimestamp` it would have set on create.
//!
//! The server is read-only and has no watch: anything else is an error Status.
//!
//! Callers stay synchronous: [`ApiServer::start`] runs the server on its own thread with its own
//! tokio runtime and returns once it listens; dropping the [`ApiServer`] stops it.

// Each test crate that includes this file (`mod apiserver;`) and the benchmark example use a
// different part of it; the rest would be reported as dead code in every one of them.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// The objects the server holds. Items are plain API objects as `kubectl get -o json` shows
/// them; `kind`/`apiVersion` may be present or not.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    pub namespaces: Vec<Value>,
    pub pods: Vec<Value>,
    pub network_policies: Vec<Value>,
    pub replica_sets: Vec<Value>,
    pub jobs: Vec<Value>,
    /// Controllers read only for their Helm ownership annotations (`--with-cluster`).
    pub deployments: Vec<Value>,
    pub stateful_sets: Vec<Value>,
    pub cron_jobs: Vec<Value>,
    /// Including the CNI DaemonSets of kube-system, which tell which CNI enforces policies.
    pub daemon_sets: Vec<Value>,
    /// policy.networking.k8s.io objects, served only in the versions
    /// [`Options::policy_api_versions`] names (ClusterNetworkPolicies in each of v1, v1beta1 and
    /// v1alpha2 that is served, as a CRD with several versions serves the same objects).
    pub cluster_network_policies: Vec<Value>,
    pub admin_network_policies: Vec<Value>,
    pub baseline_admin_network_policies: Vec<Value>,
    /// Policies of other APIs, served only in the group versions
    /// [`Options::other_policy_apis`] names: cilium.io/v2 CiliumNetworkPolicies and
    /// CiliumClusterwideNetworkPolicies, Calico's policy kinds and Tiers (in projectcalico.org/v3
    /// and crd.projectcalico.org/v1, which hold the same objects when Calico's API server runs;
    /// the CRDs name the policies of the tiered kinds `<tier>.<name>`, as Calico stores them),
    /// Antrea's NetworkPolicies (crd.antrea.io/v1beta1).
    pub cilium_network_policies: Vec<Value>,
    pub cilium_clusterwide_network_policies: Vec<Value>,
    pub calico_network_policies: Vec<Value>,
    pub calico_global_network_policies: Vec<Value>,
    pub calico_staged_network_policies: Vec<Value>,
    pub calico_staged_global_network_policies: Vec<Value>,
    pub calico_staged_kubernetes_network_policies: Vec<Value>,
    pub calico_tiers: Vec<Value>,
    pub antrea_network_policies: Vec<Value>,
    /// ConfigMaps (Cilium's `cilium-config` in kube-system).
    pub config_maps: Vec<Value>,
}

impl Fixture {
    /// Sorts objects into the lists by their `kind`. Panics on a kind the server does not serve,
    /// so that a test cannot silently lose objects it meant to serve.
    pub fn from_objects(objects: impl IntoIterator<Item = Value>) -> Fixture {
        let mut fixture = Fixture::default();
        for object in objects {
            let kind = object["kind"].as_str().unwrap_or_default().to_string();
            let api_version = object["apiVersion"].as_str().unwrap_or_default();
            let calico = api_version.contains("projectcalico.org/");
            let antrea = api_version.starts_with("crd.antrea.io/");
            let list = match kind.as_str() {
                "NetworkPolicy" if calico => &mut fixture.calico_network_policies,
                "NetworkPolicy" if antrea => &mut fixture.antrea_network_policies,
                "GlobalNetworkPolicy" if calico => &mut fixture.calico_global_network_policies,
                "StagedNetworkPolicy" if calico => &mut fixture.calico_staged_network_policies,
                "StagedGlobalNetworkPolicy" if calico => {
                    &mut fixture.calico_staged_global_network_policies
                }
                "StagedKubernetesNetworkPolicy" if calico => {
                    &mut fixture.calico_staged_kubernetes_network_policies
                }
                "Tier" if calico => &mut fixture.calico_tiers,
                "CiliumNetworkPolicy" => &mut fixture.cilium_network_policies,
                "CiliumClusterwideNetworkPolicy" => {
                    &mut fixture.cilium_clusterwide_network_policies
                }
                "Namespace" => &mut fixture.namespaces,
                "Pod" => &mut fixture.pods,
                "NetworkPolicy" => &mut fixture.network_policies,
                "ReplicaSet" => &mut fixture.replica_sets,
                "Job" => &mut fixture.jobs,
                "Deployment" => &mut fixture.deployments,
                "StatefulSet" => &mut fixture.stateful_sets,
                "CronJob" => &mut fixture.cron_jobs,
                "DaemonSet" => &mut fixture.daemon_sets,
                "ClusterNetworkPolicy" => &mut fixture.cluster_network_policies,
                "AdminNetworkPolicy" => &mut fixture.admin_network_policies,
                "BaselineAdminNetworkPolicy" => &mut fixture.baseline_admin_network_policies,
                "ConfigMap" => &mut fixture.config_maps,
                other => panic!("the test API server does not serve kind {other:?}"),
            };
            list.push(object);
        }
        fixture
    }

    /// A deterministic synthetic cluster; see [`Synthetic`].
    pub fn synthetic(size: &Synthetic) -> Fixture {
        synthesize(size)
    }

    /// Number of objects of all kinds.
    pub fn len(&self) -> usize {
        self.namespaces.len()
            + self.pods.len()
            + self.network_policies.len()
            + self.replica_sets.len()
            + self.jobs.len()
            + self.deployments.len()
            + self.stateful_sets.len()
            + self.cron_jobs.len()
            + self.daemon_sets.len()
            + self.cluster_network_policies.len()
            + self.admin_network_policies.len()
            + self.baseline_admin_network_policies.len()
            + self.cilium_network_policies.len()
            + self.cilium_clusterwide_network_policies.len()
            + self.calico_network_policies.len()
            + self.calico_global_network_policies.len()
            + self.calico_staged_network_policies.len()
            + self.calico_staged_global_network_policies.len()
            + self.calico_staged_kubernetes_network_policies.len()
            + self.calico_tiers.len()
            + self.antrea_network_policies.len()
            + self.config_maps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A Namespace with labels (the server adds `kubernetes.io/metadata.name`).
pub fn namespace(name: &str, labels: &[(&str, &str)]) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace",
           "metadata": {"name": name, "labels": label_map(labels)},
           "status": {"phase": "Active"}})
}

/// A running, ready Pod with one container.
pub fn pod(namespace: &str, name: &str, labels: &[(&str, &str)]) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": namespace, "labels": label_map(labels)},
           "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]},
           "status": {"phase": "Running",
                      "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0,
                                             "state": {"running": {}}}]}})
}

/// A NetworkPolicy with the given spec.
pub fn network_policy(namespace: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": name, "namespace": namespace}, "spec": spec})
}

fn label_map(labels: &[(&str, &str)]) -> Value {
    Value::Object(
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect(),
    )
}

/// Writes a kubeconfig whose only context (`context`, current) points at a local port nobody
/// listens on, and returns that port.
pub fn write_unreachable_kubeconfig(path: &std::path::Path, context: &str) -> u16 {
    let (text, port) = unreachable_kubeconfig(context);
    std::fs::write(path, text).unwrap();
    port
}

/// [`write_unreachable_kubeconfig`]'s text, and the port. Its cluster and user are named after
/// the context, so that [`merge_kubeconfigs`] can join it to others.
pub fn unreachable_kubeconfig(context: &str) -> (String, u16) {
    // Bind a port, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {context}\n  cluster: {{server: \"https://127.0.0.1:{port}\"}}\n\
         contexts:\n- name: {context}\n  context: {{cluster: {context}, user: {context}}}\nusers:\n- name: {context}\n  user: {{token: t}}\ncurrent-context: {context}\n"
    );
    (text, port)
}

/// One kubeconfig with the clusters, users and contexts of several (from
/// [`ApiServer::kubeconfig`] or [`unreachable_kubeconfig`], each naming them after its
/// context), in that order; the first one's context is current.
pub fn merge_kubeconfigs(configs: &[String]) -> String {
    let mut merged = serde_json::json!({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [], "contexts": [], "users": [], "preferences": {},
    });
    for (i, text) in configs.iter().enumerate() {
        let config: Value = serde_norway::from_str(text).expect("a kubeconfig");
        for list in ["clusters", "contexts", "users"] {
            let items = config[list].as_array().cloned().unwrap_or_default();
            merged[list].as_array_mut().unwrap().extend(items);
        }
        if i == 0 {
            merged["current-context"] = config["current-context"].clone();
        }
    }
    // JSON is YAML.
    serde_json::to_string_pretty(&merged).unwrap()
}

/// A refusal of `list`/`get` on one resource, like a missing RBAC grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forbid {
    /// The plural resource name: `pods`, `networkpolicies`, `namespaces`, ...
    pub resource: String,
    /// Refuse requests without a namespace: the all-namespaces list (and every request for a
    /// cluster-scoped resource such as namespaces).
    pub cluster_scope: bool,
    /// Refuse requests in these namespaces; `"*"` means every namespace.
    pub namespaces: Vec<String>,
    /// Refuse only lists, not gets of one object by name.
    pub list_only: bool,
}

impl Forbid {
    /// No access at all, as without any RoleBinding.
    pub fn everywhere(resource: &str) -> Forbid {
        Forbid {
            resource: resource.to_string(),
            cluster_scope: true,
            namespaces: vec!["*".to_string()],
            list_only: false,
        }
    }

    /// Only the all-namespaces list is refused, as for a user with RoleBindings in namespaces
    /// but no ClusterRoleBinding.
    pub fn cluster_scope(resource: &str) -> Forbid {
        Forbid {
            resource: resource.to_string(),
            cluster_scope: true,
            namespaces: Vec::new(),
            list_only: false,
        }
    }

    /// Requests in the given namespaces are refused.
    pub fn in_namespaces(resource: &str, namespaces: &[&str]) -> Forbid {
        Forbid {
            resource: resource.to_string(),
            cluster_scope: false,
            namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
            list_only: false,
        }
    }

    /// Lists of the resource are refused everywhere, gets by name allowed: a Role granting
    /// `get` but not `list`.
    pub fn listing(resource: &str) -> Forbid {
        Forbid {
            list_only: true,
            ..Forbid::everywhere(resource)
        }
    }
}

/// How the server behaves. `Options::default()` is a TLS server without authentication.
#[derive(Debug, Clone)]
pub struct Options {
    /// HTTPS with a CA generated at start ([`ApiServer::ca_pem`]); plain HTTP otherwise.
    pub tls: bool,
    /// Require `Authorization: Bearer <token>` on every request, else 401.
    pub token: Option<String>,
    /// 403 for these resources and scopes.
    pub forbidden: Vec<Forbid>,
    /// The first request carrying a continue token gets 410 Gone, reason Expired.
    pub expire_first_continue: bool,
    /// Only continue requests for this resource (plural) count for `expire_first_continue`:
    /// which of several concurrent lists continues first is a race.
    pub expire_resource: Option<String>,
    /// Serve at most this many items per page when the request has a `limit` (the API allows a
    /// server to return fewer than asked). Requests without `limit` still get everything, as
    /// from the real server.
    pub max_page: Option<usize>,
    /// Gzip responses of at least this many bytes when the client accepts gzip. The real
    /// server's threshold is 128 KiB; 0 compresses everything.
    pub gzip_min_bytes: usize,
    /// Put `kind`/`apiVersion` on list items, which the real server does not do.
    pub item_type_meta: bool,
    /// The user named in 403 messages.
    pub user: String,
    /// Lists of this resource (plural) never end: every page carries a continue token, as from
    /// a broken or hostile server.
    pub endless: Option<(String, Endless)>,
    /// Wait this long before each response (a slow or distant server).
    pub response_delay: Option<std::time::Duration>,
    /// What the server presents over TLS, and so what [`ApiServer::ca_pem`] holds.
    pub certificate: ServerCertificate,
    /// The names (host names or IP addresses) the server certificate is valid for.
    pub certificate_names: Vec<String>,
    /// The versions of policy.networking.k8s.io served (`v1alpha1`: AdminNetworkPolicy and
    /// BaselineAdminNetworkPolicy; `v1alpha2`, `v1beta1`, `v1`: ClusterNetworkPolicy); none by
    /// default, as on a cluster without the network-policy-api CRDs.
    pub policy_api_versions: Vec<&'static str>,
    /// The group versions of other policy APIs served: `cilium.io/v2`, `projectcalico.org/v3`,
    /// `crd.projectcalico.org/v1`; none by default.
    pub other_policy_apis: Vec<&'static str>,
}

/// How a never-ending list continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endless {
    /// A new token on every page.
    FreshToken,
    /// The same token on every page.
    SameToken,
}

/// The shapes of server certificate kubeconfigs pin in `certificate-authority-data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCertificate {
    /// A leaf signed by a separate CA; the kubeconfig trusts the CA (kubeadm, kind, clouds).
    CaSigned,
    /// A self-signed leaf (no CA flag, serverAuth), itself the kubeconfig's CA.
    SelfSignedLeaf,
    /// What `openssl req -x509 -newkey ... -subj /CN=... -addext subjectAltName=...` makes: a
    /// self-signed certificate with `basicConstraints: CA:TRUE` and no extended key usage, used
    /// both as the kubeconfig's CA and as the server's certificate.
    SelfSignedCa,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            tls: true,
            token: None,
            forbidden: Vec::new(),
            expire_first_continue: false,
            expire_resource: None,
            max_page: None,
            gzip_min_bytes: 128 * 1024,
            item_type_meta: false,
            user: "system:serviceaccount:default:test".to_string(),
            endless: None,
            response_delay: None,
            certificate: ServerCertificate::CaSigned,
            certificate_names: vec!["127.0.0.1".to_string(), "localhost".to_string()],
            policy_api_versions: Vec::new(),
            other_policy_apis: Vec::new(),
        }
    }
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    /// The raw query string, empty when there is none.
    pub query: String,
    pub accept: Option<String>,
    pub accept_encoding: Option<String>,
    pub authorization: bool,
    pub user_agent: Option<String>,
    /// The status code the server answered with.
    pub status: u16,
    /// Whether the response body was gzipped.
    pub gzipped: bool,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub http_version: String,
    /// Whether the TLS connection presented a client certificate the CA signed.
    pub client_certificate: bool,
}

impl RequestRecord {
    /// The decoded value of a query parameter.
    pub fn param(&self, name: &str) -> Option<String> {
        parse_query(&self.query).remove(name)
    }
}

/// A running server. Dropping it stops the server.
pub struct ApiServer {
    /// `https://127.0.0.1:PORT` (or `http://` without TLS).
    pub url: String,
    pub addr: SocketAddr,
    /// The CA that signed the server certificate (the server certificate itself when it is
    /// self-signed), PEM; `None` without TLS.
    pub ca_pem: Option<String>,
    /// The CA that signed the client certificate, PEM; `None` without TLS.
    pub client_ca_pem: Option<String>,
    /// A client certificate and key (PEM) signed by the same CA, for user `kubernetes-admin`
    /// in group `system:masters`; `None` without TLS.
    pub client_cert_pem: Option<String>,
    pub client_key_pem: Option<String>,
    token: Option<String>,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ApiServer {
    /// Starts serving `fixture` on 127.0.0.1 at a free port and returns once it listens.
    pub fn start(fixture: Fixture, options: Options) -> ApiServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let (pems, tls) = if options.tls {
            let (pems, config) = tls_config(options.certificate, &options.certificate_names);
            (Some(pems), Some(tokio_rustls::TlsAcceptor::from(config)))
        } else {
            (None, None)
        };
        let url = format!("{}://{addr}", if tls.is_some() { "https" } else { "http" });
        let token = options.token.clone();
        let shared = Arc::new(Shared::new(fixture, options, addr));
        let (shutdown, stopped) = tokio::sync::oneshot::channel();
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name("test-apiserver".to_string())
            .spawn(move || serve(listener, tls, serving, stopped))
            .expect("spawn the server thread");
        let (ca_pem, client_ca_pem, client_cert_pem, client_key_pem) = match pems {
            Some(p) => (
                Some(p.server_ca),
                Some(p.ca),
                Some(p.client_cert),
                Some(p.client_key),
            ),
            None => (None, None, None, None),
        };
        ApiServer {
            url,
            addr,
            ca_pem,
            client_ca_pem,
            client_cert_pem,
            client_key_pem,
            token,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// A kubeconfig for this server with the configured token; see [`Self::kubeconfig_with_token`].
    pub fn kubeconfig(&self, context: &str, namespace: Option<&str>) -> String {
        self.kubeconfig_with_token(context, namespace, self.token.as_deref())
    }

    /// A kubeconfig with one cluster, user and context, all named `context`, the context
    /// current. The cluster trusts the CA through `certificate-authority-data`. Without a token
    /// over TLS the user has the client certificate instead, like kind's or kubeadm's admin
    /// kubeconfig: kubectl prompts for a password when an HTTPS user has no credentials.
    pub fn kubeconfig_with_token(
        &self,
        context: &str,
        namespace: Option<&str>,
        token: Option<&str>,
    ) -> String {
        // JSON scalars are valid YAML and need no further quoting rules.
        let q = |s: &str| Value::from(s).to_string();
        let mut out = String::new();
        out.push_str("apiVersion: v1\nkind: Config\nclusters:\n");
        let _ = writeln!(out, "- name: {}\n  cluster:", q(context));
        let _ = writeln!(out, "    server: {}", q(&self.url));
        if let Some(ca) = &self.ca_pem {
            let _ = writeln!(
                out,
                "    certificate-authority-data: {}",
                STANDARD.encode(ca)
            );
        }
        out.push_str("contexts:\n");
        let _ = writeln!(out, "- name: {}\n  context:", q(context));
        let _ = writeln!(out, "    cluster: {}\n    user: {}", q(context), q(context));
        if let Some(ns) = namespace {
            let _ = writeln!(out, "    namespace: {}", q(ns));
        }
        let _ = writeln!(out, "current-context: {}\nusers:", q(context));
        let _ = writeln!(out, "- name: {}", q(context));
        match (token, &self.client_cert_pem, &self.client_key_pem) {
            (Some(token), _, _) => {
                let _ = writeln!(out, "  user:\n    token: {}", q(token));
            }
            (None, Some(cert), Some(key)) => {
                let _ = writeln!(
                    out,
                    "  user:\n    client-certificate-data: {}\n    client-key-data: {}",
                    STANDARD.encode(cert),
                    STANDARD.encode(key)
                );
            }
            _ => out.push_str("  user: {}\n"),
        }
        out.push_str("preferences: {}\n");
        out
    }

    /// Writes [`Self::kubeconfig`] to `path`.
    pub fn write_kubeconfig(&self, path: &Path, context: &str, namespace: Option<&str>) {
        std::fs::write(path, self.kubeconfig(context, namespace))
            .unwrap_or_else(|e| panic!("write kubeconfig {}: {e}", path.display()));
    }

    /// Writes [`Self::kubeconfig_with_token`] to `path`.
    pub fn write_kubeconfig_with_token(
        &self,
        path: &Path,
        context: &str,
        namespace: Option<&str>,
        token: Option<&str>,
    ) {
        std::fs::write(path, self.kubeconfig_with_token(context, namespace, token))
            .unwrap_or_else(|e| panic!("write kubeconfig {}: {e}", path.display()));
    }

    /// The requests received so far, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.shared.requests.lock().unwrap().clear();
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A minimal HTTP CONNECT proxy (what `proxy-url: http://...` in a kubeconfig points to): it
/// tunnels each connection to the address asked for and records those addresses.
pub struct ConnectProxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    tunnels: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    /// Listens on 127.0.0.1 at a free port, on threads of its own that end with the process.
    pub fn start() -> ConnectProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let recorded = tunnels.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let recorded = recorded.clone();
                std::thread::spawn(move || {
                    let _ = tunnel(client, &recorded);
                });
            }
        });
        ConnectProxy { url, tunnels }
    }

    /// The `host:port` of every CONNECT so far.
    pub fn tunnels(&self) -> Vec<String> {
        self.tunnels.lock().unwrap().clone()
    }
}

fn tunnel(mut client: std::net::TcpStream, recorded: &Mutex<Vec<String>>) -> std::io::Result<()> {
    use std::io::Read as _;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    // Byte by byte: nothing after the header's blank line may be consumed.
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut words = head.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
        client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")?;
        return Ok(());
    };
    recorded.lock().unwrap().push(target.to_string());
    let Ok(server) = std::net::TcpStream::connect(target) else {
        client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")?;
        return Ok(());
    };
    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    let (mut up_from, mut up_to) = (client.try_clone()?, server.try_clone()?);
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_from, &mut up_to);
        let _ = up_to.shutdown(std::net::Shutdown::Write);
    });
    let (mut down_from, mut down_to) = (server, client);
    let _ = std::io::copy(&mut down_from, &mut down_to);
    let _ = down_to.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Resources and the store
// ---------------------------------------------------------------------------------------------

struct ResourceDef {
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    group: &'static str,
    version: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    /// Field selector labels beyond metadata.name/metadata.namespace, as registered by the
    /// resource's strategy in kubernetes/pkg/registry.
    fields: &'static [&'static str],
}

impl ResourceDef {
    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods`, or `networkpolicies.networking.k8s.io`: schema.GroupResource.String().
    fn group_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

const NAMESPACES: usize = 0;
const PODS: usize = 1;
const NETWORK_POLICIES: usize = 2;
const REPLICA_SETS: usize = 3;
const DAEMON_SETS: usize = 4;
const JOBS: usize = 5;
const CLUSTER_NETWORK_POLICIES_V1BETA1: usize = 6;
const CLUSTER_NETWORK_POLICIES_V1ALPHA2: usize = 7;
const ADMIN_NETWORK_POLICIES: usize = 8;
const BASELINE_ADMIN_NETWORK_POLICIES: usize = 9;
const CILIUM_NETWORK_POLICIES: usize = 10;
const CILIUM_CLUSTERWIDE_NETWORK_POLICIES: usize = 11;
const CALICO_NETWORK_POLICIES: usize = 12;
const CALICO_CRD_NETWORK_POLICIES: usize = 13;
const CLUSTER_NETWORK_POLICIES_V1: usize = 14;
const CONFIG_MAPS: usize = 15;
/// Calico's other kinds: in projectcalico.org/v3 from here, in crd.projectcalico.org/v1 from
/// [`CALICO_CRD`], in the order of [`CALICO_KINDS`].
const CALICO_V3: usize = 16;
const CALICO_CRD: usize = 21;
const ANTREA_NETWORK_POLICIES: usize = 26;
const DEPLOYMENTS: usize = 27;
const STATEFUL_SETS: usize = 28;
const CRON_JOBS: usize = 29;
/// Calico's kinds besides NetworkPolicy, in the order of their resources.
const CALICO_KINDS: [&str; 5] = [
    "GlobalNetworkPolicy",
    "StagedNetworkPolicy",
    "StagedGlobalNetworkPolicy",
    "StagedKubernetesNetworkPolicy",
    "Tier",
];

/// The group of the cluster-scoped policy CRDs.
const POLICY_GROUP: &str = "policy.networking.k8s.io";

const RESOURCES: [ResourceDef; 30] = [
    ResourceDef {
        plural: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        group: "",
        version: "v1",
        namespaced: false,
        short_names: &["ns"],
        categories: &[],
        fields: &["status.phase"],
    },
    ResourceDef {
        plural: "pods",
        singular: "pod",
        kind: "Pod",
        group: "",
        version: "v1",
        namespaced: true,
        short_names: &["po"],
        categories: &["all"],
        fields: &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ],
    },
    ResourceDef {
        plural: "networkpolicies",
        singular: "networkpolicy",
        kind: "NetworkPolicy",
        group: "networking.k8s.io",
        version: "v1",
        namespaced: true,
        short_names: &["netpol"],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "replicasets",
        singular: "replicaset",
        kind: "ReplicaSet",
        group: "apps",
        version: "v1",
        namespaced: true,
        short_names: &["rs"],
        categories: &["all"],
        fields: &["status.replicas"],
    },
    ResourceDef {
        plural: "daemonsets",
        singular: "daemonset",
        kind: "DaemonSet",
        group: "apps",
        version: "v1",
        namespaced: true,
        short_names: &["ds"],
        categories: &["all"],
        fields: &[],
    },
    ResourceDef {
        plural: "jobs",
        singular: "job",
        kind: "Job",
        group: "batch",
        version: "v1",
        namespaced: true,
        short_names: &[],
        categories: &["all"],
        fields: &["status.successful"],
    },
    ResourceDef {
        plural: "clusternetworkpolicies",
        singular: "clusternetworkpolicy",
        kind: "ClusterNetworkPolicy",
        group: POLICY_GROUP,
        version: "v1beta1",
        namespaced: false,
        short_names: &["cnp"],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "clusternetworkpolicies",
        singular: "clusternetworkpolicy",
        kind: "ClusterNetworkPolicy",
        group: POLICY_GROUP,
        version: "v1alpha2",
        namespaced: false,
        short_names: &["cnp"],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "adminnetworkpolicies",
        singular: "adminnetworkpolicy",
        kind: "AdminNetworkPolicy",
        group: POLICY_GROUP,
        version: "v1alpha1",
        namespaced: false,
        short_names: &["anp"],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "baselineadminnetworkpolicies",
        singular: "baselineadminnetworkpolicy",
        kind: "BaselineAdminNetworkPolicy",
        group: POLICY_GROUP,
        version: "v1alpha1",
        namespaced: false,
        short_names: &["banp"],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "ciliumnetworkpolicies",
        singular: "ciliumnetworkpolicy",
        kind: "CiliumNetworkPolicy",
        group: "cilium.io",
        version: "v2",
        namespaced: true,
        short_names: &["cnp", "ciliumnp"],
        categories: &["cilium", "ciliumpolicy"],
        fields: &[],
    },
    ResourceDef {
        plural: "ciliumclusterwidenetworkpolicies",
        singular: "ciliumclusterwidenetworkpolicy",
        kind: "CiliumClusterwideNetworkPolicy",
        group: "cilium.io",
        version: "v2",
        namespaced: false,
        short_names: &["ccnp"],
        categories: &["cilium", "ciliumpolicy"],
        fields: &[],
    },
    ResourceDef {
        plural: "networkpolicies",
        singular: "networkpolicy",
        kind: "NetworkPolicy",
        group: "projectcalico.org",
        version: "v3",
        namespaced: true,
        short_names: &["cnp", "caliconetworkpolicy", "caliconetworkpolicies"],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "networkpolicies",
        singular: "networkpolicy",
        kind: "NetworkPolicy",
        group: "crd.projectcalico.org",
        version: "v1",
        namespaced: true,
        short_names: &[],
        categories: &[],
        fields: &[],
    },
    // A version newer than those netpol-check reads.
    ResourceDef {
        plural: "clusternetworkpolicies",
        singular: "clusternetworkpolicy",
        kind: "ClusterNetworkPolicy",
        group: POLICY_GROUP,
        version: "v1",
        namespaced: false,
        short_names: &["cnp"],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "configmaps",
        singular: "configmap",
        kind: "ConfigMap",
        group: "",
        version: "v1",
        namespaced: true,
        short_names: &["cm"],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "globalnetworkpolicies",
        singular: "globalnetworkpolicy",
        kind: "GlobalNetworkPolicy",
        group: "projectcalico.org",
        version: "v3",
        namespaced: false,
        short_names: &[],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "stagednetworkpolicies",
        singular: "stagednetworkpolicy",
        kind: "StagedNetworkPolicy",
        group: "projectcalico.org",
        version: "v3",
        namespaced: true,
        short_names: &[],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "stagedglobalnetworkpolicies",
        singular: "stagedglobalnetworkpolicy",
        kind: "StagedGlobalNetworkPolicy",
        group: "projectcalico.org",
        version: "v3",
        namespaced: false,
        short_names: &[],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "stagedkubernetesnetworkpolicies",
        singular: "stagedkubernetesnetworkpolicy",
        kind: "StagedKubernetesNetworkPolicy",
        group: "projectcalico.org",
        version: "v3",
        namespaced: true,
        short_names: &[],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "tiers",
        singular: "tier",
        kind: "Tier",
        group: "projectcalico.org",
        version: "v3",
        namespaced: false,
        short_names: &[],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "globalnetworkpolicies",
        singular: "globalnetworkpolicy",
        kind: "GlobalNetworkPolicy",
        group: "crd.projectcalico.org",
        version: "v1",
        namespaced: false,
        short_names: &[],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "stagednetworkpolicies",
        singular: "stagednetworkpolicy",
        kind: "StagedNetworkPolicy",
        group: "crd.projectcalico.org",
        version: "v1",
        namespaced: true,
        short_names: &[],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "stagedglobalnetworkpolicies",
        singular: "stagedglobalnetworkpolicy",
        kind: "StagedGlobalNetworkPolicy",
        group: "crd.projectcalico.org",
        version: "v1",
        namespaced: false,
        short_names: &[],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "stagedkubernetesnetworkpolicies",
        singular: "stagedkubernetesnetworkpolicy",
        kind: "StagedKubernetesNetworkPolicy",
        group: "crd.projectcalico.org",
        version: "v1",
        namespaced: true,
        short_names: &[],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "tiers",
        singular: "tier",
        kind: "Tier",
        group: "crd.projectcalico.org",
        version: "v1",
        namespaced: false,
        short_names: &[],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "networkpolicies",
        singular: "networkpolicy",
        kind: "NetworkPolicy",
        group: "crd.antrea.io",
        version: "v1beta1",
        namespaced: true,
        short_names: &[],
        categories: &[],
        fields: &[],
    },
    ResourceDef {
        plural: "deployments",
        singular: "deployment",
        kind: "Deployment",
        group: "apps",
        version: "v1",
        namespaced: true,
        short_names: &["deploy"],
        categories: &["all"],
        fields: &[],
    },
    ResourceDef {
        plural: "statefulsets",
        singular: "statefulset",
        kind: "StatefulSet",
        group: "apps",
        version: "v1",
        namespaced: true,
        short_names: &["sts"],
        categories: &["all"],
        fields: &[],
    },
    ResourceDef {
        plural: "cronjobs",
        singular: "cronjob",
        kind: "CronJob",
        group: "batch",
        version: "v1",
        namespaced: true,
        short_names: &["cj"],
        categories: &["all"],
        fields: &[],
    },
];

/// The group versions always served, in the order discovery lists them; those of
/// [`POLICY_GROUP`] follow, as [`Options::policy_api_versions`] says.
const GROUP_VERSIONS: [(&str, &str); 4] = [
    ("", "v1"),
    ("apps", "v1"),
    ("batch", "v1"),
    ("networking.k8s.io", "v1"),
];

/// The verbs discovery advertises: only what this server implements.
const VERBS: [&str; 2] = ["get", "list"];

struct Item {
    namespace: String,
    name: String,
    /// The etcd key below the resource prefix, `namespace/name` or `name`: lists and continue
    /// tokens are ordered by it, as in etcd.
    key: String,
    /// The object with kind and apiVersion.
    object: Value,
    /// The object as a list item.
    list_json: String,
    /// The object as a PartialObjectMetadata.
    meta_json: String,
}

struct Shared {
    lists: Vec<Vec<Item>>,
    options: Options,
    resource_version: u64,
    addr: SocketAddr,
    expired_once: AtomicBool,
    audit: AtomicU64,
    /// Pages served of the endless list, for fresh tokens.
    endless_pages: AtomicU64,
    requests: Mutex<Vec<RequestRecord>>,
}

impl Shared {
    /// Every group version served, in discovery order.
    fn group_versions(&self) -> Vec<(&'static str, &'static str)> {
        let mut all = GROUP_VERSIONS.to_vec();
        // Newest first, as the API server orders a group's versions.
        for v in ["v1", "v1beta1", "v1alpha2", "v1alpha1"] {
            if self.options.policy_api_versions.contains(&v) {
                all.push((POLICY_GROUP, v));
            }
        }
        for api in &self.options.other_policy_apis {
            let (group, version) = api
                .split_once('/')
                .unwrap_or_else(|| panic!("other_policy_apis: {api:?} is not GROUP/VERSION"));
            all.push((group, version));
        }
        all
    }

    fn new(fixture: Fixture, options: Options, addr: SocketAddr) -> Shared {
        let Fixture {
            namespaces,
            pods,
            network_policies,
            replica_sets,
            jobs,
            deployments,
            stateful_sets,
            cron_jobs,
            daemon_sets,
            cluster_network_policies,
            admin_network_policies,
            baseline_admin_network_policies,
            cilium_network_policies,
            cilium_clusterwide_network_policies,
            calico_network_policies,
            calico_global_network_policies,
            calico_staged_network_policies,
            calico_staged_global_network_policies,
            calico_staged_kubernetes_network_policies,
            calico_tiers,
            antrea_network_policies,
            config_maps,
        } = fixture;
        let mut by_resource = vec![Vec::new(); RESOURCES.len()];
        by_resource[NAMESPACES] = namespaces;
        by_resource[PODS] = pods;
        by_resource[NETWORK_POLICIES] = network_policies;
        by_resource[REPLICA_SETS] = replica_sets;
        by_resource[DAEMON_SETS] = daemon_sets;
        by_resource[JOBS] = jobs;
        by_resource[DEPLOYMENTS] = deployments;
        by_resource[STATEFUL_SETS] = stateful_sets;
        by_resource[CRON_JOBS] = cron_jobs;
        by_resource[CLUSTER_NETWORK_POLICIES_V1] = cluster_network_policies.clone();
        by_resource[CLUSTER_NETWORK_POLICIES_V1BETA1] = cluster_network_policies.clone();
        by_resource[CLUSTER_NETWORK_POLICIES_V1ALPHA2] = cluster_network_policies;
        by_resource[ADMIN_NETWORK_POLICIES] = admin_network_policies;
        by_resource[BASELINE_ADMIN_NETWORK_POLICIES] = baseline_admin_network_policies;
        by_resource[CILIUM_NETWORK_POLICIES] = cilium_network_policies;
        by_resource[CILIUM_CLUSTERWIDE_NETWORK_POLICIES] = cilium_clusterwide_network_policies;
        by_resource[CALICO_CRD_NETWORK_POLICIES] = tier_prefixed(&calico_network_policies);
        by_resource[CALICO_NETWORK_POLICIES] = calico_network_policies;
        let calico = [
            calico_global_network_policies,
            calico_staged_network_policies,
            calico_staged_global_network_policies,
            calico_staged_kubernetes_network_policies,
            calico_tiers,
        ];
        for (i, objects) in calico.into_iter().enumerate() {
            // Tiers and staged Kubernetes policies have no tier prefix.
            let tiered = !matches!(CALICO_KINDS[i], "Tier" | "StagedKubernetesNetworkPolicy");
            by_resource[CALICO_CRD + i] = if tiered {
                tier_prefixed(&objects)
            } else {
                objects.clone()
            };
            by_resource[CALICO_V3 + i] = objects;
        }
        by_resource[ANTREA_NETWORK_POLICIES] = antrea_network_policies;
        by_resource[CONFIG_MAPS] = config_maps;

        let created = rfc3339(now_seconds());
        let mut resource_version = 1u64;
        let mut lists = Vec::with_capacity(RESOURCES.len());
        for (index, objects) in by_resource.into_iter().enumerate() {
            let def = &RESOURCES[index];
            let mut items = Vec::with_capacity(objects.len());
            for mut object in objects {
                resource_version += 1;
                complete(def, &mut object, resource_version, &created);
                items.push(item(def, object, options.item_type_meta));
            }
            items.sort_by(|a, b| a.key.cmp(&b.key));
            if let Some(pair) = items.windows(2).find(|w| w[0].key == w[1].key) {
                panic!("the fixture has two {} named {}", def.plural, pair[0].key);
            }
            lists.push(items);
        }
        Shared {
            lists,
            options,
            resource_version,
            addr,
            expired_once: AtomicBool::new(false),
            audit: AtomicU64::new(0),
            endless_pages: AtomicU64::new(0),
            requests: Mutex::new(Vec::new()),
        }
    }
}

/// Calico policies as crd.projectcalico.org/v1 stores them: named `<tier>.<name>` (libcalico-go
/// `names.TieredPolicyName`), the default tier's too.
fn tier_prefixed(objects: &[Value]) -> Vec<Value> {
    objects
        .iter()
        .map(|o| {
            let mut o = o.clone();
            let tier = o["spec"]["tier"].as_str().unwrap_or("default").to_owned();
            let name = o["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if !name.starts_with(&format!("{tier}.")) {
                o["metadata"]["name"] = Value::from(format!("{tier}.{name}"));
            }
            o
        })
        .collect()
}

/// Fills in what the API server sets on every object it stores.
fn complete(def: &ResourceDef, object: &mut Value, resource_version: u64, created: &str) {
    if !object.is_object() {
        panic!("a {} in the fixture is not an object: {object}", def.kind);
    }
    object["kind"] = Value::from(def.kind);
    object["apiVersion"] = Value::from(def.api_version());
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    let meta = object["metadata"].as_object_mut().unwrap();
    let name = match meta.get("name").and_then(Value::as_str) {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => panic!("a {} in the fixture has no metadata.name", def.kind),
    };
    if def.namespaced {
        if meta.get("namespace").and_then(Value::as_str).is_none() {
            meta.insert("namespace".into(), Value::from("default"));
        }
    } else {
        meta.remove("namespace");
    }
    meta.entry("uid")
        .or_insert_with(|| Value::from(uid_from(resource_version.wrapping_mul(0x9e37_79b9))));
    meta.entry("resourceVersion")
        .or_insert_with(|| Value::from(resource_version.to_string()));
    meta.entry("creationTimestamp")
        .or_insert_with(|| Value::from(created));
    if def.plural == "namespaces" {
        // Enforced by the API server since 1.21; namespaceSelectors rely on it.
        let labels = meta.entry("labels").or_insert_with(|| json!({}));
        if !labels.is_object() {
            *labels = json!({});
        }
        labels
            .as_object_mut()
            .unwrap()
            .insert("kubernetes.io/metadata.name".into(), Value::from(name));
    }
}

fn item(def: &ResourceDef, object: Value, item_type_meta: bool) -> Item {
    let meta = &object["metadata"];
    let name = meta["name"].as_str().unwrap().to_string();
    let namespace = meta["namespace"].as_str().unwrap_or_default().to_string();
    let key = if def.namespaced {
        format!("{namespace}/{name}")
    } else {
        name.clone()
    };
    let list_json = if item_type_meta {
        object.to_string()
    } else {
        let mut bare = object.as_object().unwrap().clone();
        bare.remove("kind");
        bare.remove("apiVersion");
        Value::Object(bare).to_string()
    };
    let meta_json = partial_metadata(&object).to_string();
    Item {
        namespace,
        name,
        key,
        object,
        list_json,
        meta_json,
    }
}

fn partial_metadata(object: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
           "metadata": object["metadata"]})
}

// ---------------------------------------------------------------------------------------------
// Serving
// ---------------------------------------------------------------------------------------------

fn serve(
    listener: std::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    stopped: tokio::sync::oneshot::Receiver<()>,
) {
    // Two workers: a large list serialises and compresses on one while the other keeps
    // answering; the machines these run on have two cores.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("test-apiserver-worker")
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        let accept = async {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of file descriptors, say: let connections close rather than spin.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                // Only CA-signed certificates get past the handshake.
                                let certified = stream.get_ref().1.peer_certificates().is_some();
                                connection(TokioIo::new(stream), shared, certified).await;
                            }
                        }
                        None => connection(TokioIo::new(stream), shared, false).await,
                    }
                });
            }
        };
        tokio::select! {
            _ = accept => {}
            _ = stopped => {}
        }
    });
    // Open keep-alive connections would otherwise hold the drop of the runtime.
    runtime.shutdown_background();
}

async fn connection<I>(io: I, shared: Arc<Shared>, client_certificate: bool)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |request: Request<Incoming>| {
        let shared = shared.clone();
        async move {
            // A slow server, for the progress line: each response waits this long.
            if let Some(delay) = shared.options.response_delay {
                tokio::time::sleep(delay).await;
            }
            Ok::<_, Infallible>(respond(&shared, client_certificate, request))
        }
    });
    // kubectl negotiates h2 through ALPN, kube-rs speaks HTTP/1.1: serve both.
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let _ = builder.serve_connection(io, service).await;
}

struct Reply {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Reply {
    fn json(status: u16, body: &Value) -> Reply {
        Reply::typed(status, "application/json", body.to_string().into_bytes())
    }

    fn typed(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type: content_type.to_string(),
            body,
        }
    }
}

fn respond(
    shared: &Shared,
    client_certificate: bool,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, _body) = request.into_parts();
    let header = |name: http::header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let reply = handle(shared, &parts.method, &path, &query, &parts.headers);

    let accept_encoding = header(http::header::ACCEPT_ENCODING);
    let wants_gzip = accept_encoding.as_deref().is_some_and(|value| {
        value
            .split(',')
            .map(str::trim)
            .any(|e| e == "gzip" || e.starts_with("gzip;"))
    });
    let gzipped = wants_gzip && reply.body.len() >= shared.options.gzip_min_bytes;
    let body = if gzipped {
        // The API server compresses at level 1 (BestSpeed).
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(reply.body.len() / 4),
            flate2::Compression::fast(),
        );
        encoder.write_all(&reply.body).expect("gzip");
        encoder.finish().expect("gzip")
    } else {
        reply.body
    };

    shared.requests.lock().unwrap().push(RequestRecord {
        method: parts.method.to_string(),
        path,
        query,
        accept: header(http::header::ACCEPT),
        accept_encoding,
        authorization: parts.headers.contains_key(http::header::AUTHORIZATION),
        user_agent: header(http::header::USER_AGENT),
        status: reply.status,
        gzipped,
        http_version: format!("{:?}", parts.version),
        client_certificate,
    });

    let audit = shared.audit.fetch_add(1, Ordering::Relaxed) + 1;
    let mut response = Response::builder()
        .status(StatusCode::from_u16(reply.status).expect("status code"))
        .header(http::header::CONTENT_TYPE, reply.content_type)
        .header(http::header::CACHE_CONTROL, "no-cache, private")
        .header("audit-id", uid_from(audit));
    if gzipped {
        response = response
            .header(http::header::CONTENT_ENCODING, "gzip")
            .header(http::header::VARY, "Accept-Encoding");
    }
    response
        .body(Full::new(Bytes::from(body)))
        .expect("response")
}

/// What a request asks for, after authentication.
enum Target<'a> {
    Version,
    /// `/api` or `/apis`.
    Root {
        core: bool,
    },
    /// `/apis/{group}`.
    Group(&'a str),
    /// `/api/v1` or `/apis/{group}/{version}`.
    GroupVersion(&'a str, &'a str),
    Resource {
        resource: usize,
        namespace: Option<&'a str>,
        name: Option<&'a str>,
    },
}

fn route<'a>(shared: &Shared, path: &'a str) -> Option<Target<'a>> {
    let group_versions = shared.group_versions();
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let (group, version, rest) = match segments.as_slice() {
        ["version"] => return Some(Target::Version),
        ["api"] => return Some(Target::Root { core: true }),
        ["apis"] => return Some(Target::Root { core: false }),
        ["apis", group] => {
            return group_versions
                .iter()
                .any(|(g, _)| g == group)
                .then_some(Target::Group(group))
        }
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return None,
    };
    if !group_versions.contains(&(group, version)) {
        return None;
    }
    let (namespace, plural, name) = match rest {
        [] => return Some(Target::GroupVersion(group, version)),
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        [plural] => (None, *plural, None),
        [plural, name] => (None, *plural, Some(*name)),
        _ => return None,
    };
    let resource = RESOURCES
        .iter()
        .position(|r| r.plural == plural && r.group == group && r.version == version)?;
    // Namespaced objects are only addressed within their namespace, cluster-scoped ones
    // never within one.
    if RESOURCES[resource].namespaced != namespace.is_some() && name.is_some()
        || namespace.is_some() && !RESOURCES[resource].namespaced
    {
        return None;
    }
    Some(Target::Resource {
        resource,
        namespace,
        name,
    })
}

fn handle(shared: &Shared, method: &Method, path: &str, query: &str, headers: &HeaderMap) -> Reply {
    if let Some(token) = &shared.options.token {
        let presented = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, value)| value.trim());
        if presented != Some(token.as_str()) {
            return status(401, "Unauthorized", "Unauthorized", None);
        }
    }
    let Some(target) = route(shared, path) else {
        return not_found_path();
    };
    let accept = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let params = parse_query(query);
    if let Target::Resource {
        resource,
        namespace,
        name,
    } = target
    {
        let def = &RESOURCES[resource];
        let verb = if name.is_some() { "get" } else { "list" };
        if let Some(reply) = forbidden(shared, def, verb, namespace, name) {
            return reply;
        }
        if method != Method::GET {
            return status(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
                Some(json!({"kind": def.plural, "group": def.group})),
            );
        }
        if matches!(params.get("watch").map(String::as_str), Some("true" | "1")) {
            return status(
                405,
                "MethodNotAllowed",
                "this test API server does not implement watch",
                None,
            );
        }
        return match name {
            Some(name) => get(shared, resource, namespace, name, accept, &params),
            None => list(shared, resource, namespace, accept, &params),
        };
    }
    if method != Method::GET {
        return status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
            None,
        );
    }
    match target {
        Target::Version => Reply::json(200, &version()),
        Target::Root { core } => discovery_root(shared, core, accept),
        Target::Group(group) => Reply::json(200, &api_group(shared, group)),
        Target::GroupVersion(group, version) => Reply::json(200, &resource_list(group, version)),
        Target::Resource { .. } => unreachable!(),
    }
}

fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Reply {
    let mut body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                          "status": "Failure", "message": message, "reason": reason,
                          "code": code});
    if let Some(details) = details {
        body["details"] = details;
    }
    Reply::json(code, &body)
}

fn not_found_path() -> Reply {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Some(json!({})),
    )
}

fn bad_request(message: &str) -> Reply {
    status(400, "BadRequest", message, None)
}

/// The 403 of an RBAC denial, worded as k8s.io/apiserver's forbiddenMessage and NewForbidden.
fn forbidden(
    shared: &Shared,
    def: &ResourceDef,
    verb: &str,
    namespace: Option<&str>,
    name: Option<&str>,
) -> Option<Reply> {
    let refused = shared.options.forbidden.iter().any(|f| {
        f.resource == def.plural
            && !(f.list_only && name.is_some())
            && match namespace {
                None => f.cluster_scope,
                Some(ns) => f.namespaces.iter().any(|n| n == "*" || n == ns),
            }
    });
    if !refused {
        return None;
    }
    let user = &shared.options.user;
    let scope = match namespace {
        Some(ns) => format!("in the namespace {}", go_quote(ns)),
        None => "at the cluster scope".to_string(),
    };
    let reason = format!(
        "User {} cannot {verb} resource {} in API group {} {scope}",
        go_quote(user),
        go_quote(def.plural),
        go_quote(def.group)
    );
    let message = match name {
        Some(name) => format!(
            "{} {} is forbidden: {reason}",
            def.group_resource(),
            go_quote(name)
        ),
        None => format!("{} is forbidden: {reason}", def.group_resource()),
    };
    let mut details = Map::new();
    if let Some(name) = name {
        details.insert("name".into(), Value::from(name));
    }
    if !def.group.is_empty() {
        details.insert("group".into(), Value::from(def.group));
    }
    details.insert("kind".into(), Value::from(def.plural));
    Some(status(
        403,
        "Forbidden",
        &message,
        Some(Value::Object(details)),
    ))
}

/// Go's `%q` for the strings that occur here.
fn go_quote(s: &str) -> String {
    Value::from(s).to_string()
}

// ---------------------------------------------------------------------------------------------
// Content negotiation
// ---------------------------------------------------------------------------------------------

struct MediaType {
    essence: String,
    params: BTreeMap<String, String>,
}

impl MediaType {
    fn param(&self, name: &str) -> &str {
        self.params
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    fn is_json(&self) -> bool {
        matches!(
            self.essence.as_str(),
            "application/json" | "application/*" | "*/*"
        )
    }
}

fn media_types(accept: &str) -> Vec<MediaType> {
    accept
        .split(',')
        .filter_map(|clause| {
            let mut parts = clause.split(';').map(str::trim);
            let essence = parts.next()?.to_ascii_lowercase();
            if essence.is_empty() {
                return None;
            }
            let params = parts
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            Some(MediaType { essence, params })
        })
        .collect()
}

/// The representations of an object or list a client may ask for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Repr {
    Plain,
    /// A Table, in meta.k8s.io/v1 or v1beta1.
    Table(&'static str),
    /// PartialObjectMetadata(List), in meta.k8s.io/v1 or v1beta1.
    Metadata(&'static str),
}

/// The first acceptable clause wins, as in the API server's negotiation.
fn negotiate(accept: &str, list: bool) -> Option<Repr> {
    let metadata_kind = if list {
        "PartialObjectMetadataList"
    } else {
        "PartialObjectMetadata"
    };
    for media in media_types(accept) {
        if !media.is_json() {
            continue;
        }
        let version = match media.param("v") {
            "v1" => "v1",
            "v1beta1" => "v1beta1",
            _ => "",
        };
        match media.param("as") {
            "" => return Some(Repr::Plain),
            "Table" if media.param("g") == "meta.k8s.io" && !version.is_empty() => {
                return Some(Repr::Table(version))
            }
            kind if kind == metadata_kind
                && media.param("g") == "meta.k8s.io"
                && !version.is_empty() =>
            {
                return Some(Repr::Metadata(version))
            }
            _ => {}
        }
    }
    None
}

fn not_acceptable() -> Reply {
    status(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, application/json;as=Table;g=meta.k8s.io;v=v1, application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
        None,
    )
}

// ---------------------------------------------------------------------------------------------
// Get and list
// ---------------------------------------------------------------------------------------------

fn get(
    shared: &Shared,
    resource: usize,
    namespace: Option<&str>,
    name: &str,
    accept: &str,
    params: &BTreeMap<String, String>,
) -> Reply {
    let def = &RESOURCES[resource];
    let key = match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    };
    let items = &shared.lists[resource];
    let found = items
        .binary_search_by(|item| item.key.as_str().cmp(&key))
        .ok()
        .map(|i| &items[i]);
    let Some(item) = found else {
        return status(
            404,
            "NotFound",
            &format!("{} {} not found", def.group_resource(), go_quote(name)),
            Some(json!({"name": name, "kind": def.plural, "group": def.group})),
        );
    };
    match negotiate(accept, false) {
        None => not_acceptable(),
        Some(Repr::Plain) => Reply::json(200, &item.object),
        Some(Repr::Metadata(version)) => {
            let mut meta = partial_metadata(&item.object);
            meta["apiVersion"] = Value::from(format!("meta.k8s.io/{version}"));
            Reply::typed(
                200,
                &format!("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v={version}"),
                meta.to_string().into_bytes(),
            )
        }
        Some(Repr::Table(version)) => {
            let list_meta = json!({"resourceVersion": item.object["metadata"]["resourceVersion"]});
            table_reply(def, version, list_meta, &[item], params)
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    v: String,
    rv: i64,
    start: String,
}

fn encode_continue(rv: i64, start: String) -> String {
    let token = ContinueToken {
        v: "meta.k8s.io/v1".to_string(),
        rv,
        start,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap())
}

/// The start key of a continue token, with the API server's complaints about bad ones.
fn decode_continue(token: &str) -> Result<String, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|e| format!("continue key is not valid: {e}"))?;
    let token: ContinueToken =
        serde_json::from_slice(&bytes).map_err(|e| format!("continue key is not valid: {e}"))?;
    if token.v != "meta.k8s.io/v1" {
        return Err("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)".to_string());
    }
    if token.start.is_empty() {
        return Err("continue key is not valid: encoded start key empty".to_string());
    }
    if token.start.contains("..") || token.start.starts_with('/') {
        return Err("continue key is not valid: invalid path".to_string());
    }
    Ok(token.start)
}

fn list(
    shared: &Shared,
    resource: usize,
    namespace: Option<&str>,
    accept: &str,
    params: &BTreeMap<String, String>,
) -> Reply {
    let def = &RESOURCES[resource];
    let Some(repr) = negotiate(accept, true) else {
        return not_acceptable();
    };
    let get_param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    let labels = match parse_label_selector(get_param("labelSelector")) {
        Ok(selector) => selector,
        Err(message) => return bad_request(&message),
    };
    let fields = match parse_field_selector(get_param("fieldSelector")) {
        Ok(selector) => selector,
        Err(message) => return bad_request(&message),
    };
    for term in &fields {
        let known = matches!(term.field.as_str(), "metadata.name")
            || (term.field == "metadata.namespace" && def.namespaced)
            || def.fields.contains(&term.field.as_str());
        if !known {
            return bad_request(&format!("field label not supported: {}", term.field));
        }
    }
    let limit = match get_param("limit") {
        "" => 0,
        text => match text.parse::<i64>() {
            Ok(n) => n.max(0) as usize,
            Err(_) => return bad_request(&format!("invalid limit {text:?}")),
        },
    };
    let limit = match (limit, shared.options.max_page) {
        (0, _) => usize::MAX,
        (n, Some(cap)) => n.min(cap.max(1)),
        (n, None) => n,
    };

    // The items of the requested range, and their keys relative to it: continue tokens hold
    // keys relative to the listed prefix, as the etcd store's do.
    let all = &shared.lists[resource];
    let (range, relative): (&[Item], fn(&Item) -> &str) = match namespace {
        Some(ns) => {
            // By key prefix, not by namespace: "web-2/..." sorts before "web/...".
            let prefix = format!("{ns}/");
            let first = all.partition_point(|item| item.key < prefix);
            let end = first + all[first..].partition_point(|item| item.key.starts_with(&prefix));
            (&all[first..end], |item| item.name.as_str())
        }
        None => (&all[..], |item| item.key.as_str()),
    };

    let mut start = 0;
    let token = get_param("continue");
    if !token.is_empty() {
        if !get_param("resourceVersion").is_empty() {
            return bad_request("specifying resource version is not allowed when using continue");
        }
        let key = match decode_continue(token) {
            Ok(key) => key,
            Err(message) => return bad_request(&message),
        };
        let expiring = shared.options.expire_first_continue
            && (shared.options.expire_resource.as_deref()).is_none_or(|r| r == def.plural);
        if expiring && !shared.expired_once.swap(true, Ordering::SeqCst) {
            // etcd3's handleCompactedErrorForPaging: the Status carries a token to continue
            // at the latest resource version (-1).
            let reply = json!({"kind": "Status", "apiVersion": "v1",
                "metadata": {"continue": encode_continue(-1, key)},
                "status": "Failure",
                "message": "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                "reason": "Expired", "code": 410});
            return Reply::json(410, &reply);
        }
        start = range.partition_point(|item| relative(item) < key.as_str());
    }

    let mut page: Vec<&Item> = Vec::new();
    let mut last = None;
    for (offset, item) in range[start..].iter().enumerate() {
        if page.len() == limit {
            break;
        }
        last = Some(start + offset);
        if labels.iter().all(|r| r.matches(&item.object))
            && fields.iter().all(|t| t.matches(&item.object))
        {
            page.push(item);
        }
    }
    // As in the etcd store: more when keys remain after the last one examined, whether or not
    // they match; so a page can be full with nothing left to match after it.
    let mut list_meta = json!({"resourceVersion": shared.resource_version.to_string()});
    if let Some(last) = last.filter(|&last| page.len() == limit && last + 1 < range.len()) {
        let next = format!("{}\u{0}", relative(&range[last]));
        list_meta["continue"] = Value::from(encode_continue(shared.resource_version as i64, next));
        if labels.is_empty() && fields.is_empty() {
            list_meta["remainingItemCount"] = Value::from(range.len() - last - 1);
        }
    }
    match &shared.options.endless {
        Some((plural, how)) if plural == def.plural => {
            // Past every key, so that later pages are empty; the page number keeps it fresh.
            let n = match how {
                Endless::FreshToken => shared.endless_pages.fetch_add(1, Ordering::SeqCst),
                Endless::SameToken => 0,
            };
            let key = format!("\u{10FFFF}endless-{n}");
            list_meta["continue"] =
                Value::from(encode_continue(shared.resource_version as i64, key));
        }
        _ => {}
    }

    match repr {
        Repr::Plain => {
            let mut body = String::with_capacity(
                128 + page.iter().map(|i| i.list_json.len() + 1).sum::<usize>(),
            );
            let _ = write!(
                body,
                "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":{},\"items\":[",
                def.kind,
                def.api_version(),
                list_meta
            );
            join_into(&mut body, page.iter().map(|i| i.list_json.as_str()));
            body.push_str("]}");
            Reply::typed(200, "application/json", body.into_bytes())
        }
        Repr::Metadata(version) => {
            let mut body = String::with_capacity(
                128 + page.iter().map(|i| i.meta_json.len() + 1).sum::<usize>(),
            );
            let _ = write!(
                body,
                "{{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":\"meta.k8s.io/{version}\",\"metadata\":{list_meta},\"items\":["
            );
            if version == "v1" {
                join_into(&mut body, page.iter().map(|i| i.meta_json.as_str()));
            } else {
                let items: Vec<String> = page
                    .iter()
                    .map(|i| {
                        let mut meta = partial_metadata(&i.object);
                        meta["apiVersion"] = Value::from(format!("meta.k8s.io/{version}"));
                        meta.to_string()
                    })
                    .collect();
                join_into(&mut body, items.iter().map(String::as_str));
            }
            body.push_str("]}");
            Reply::typed(
                200,
                &format!("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v={version}"),
                body.into_bytes(),
            )
        }
        Repr::Table(version) => table_reply(def, version, list_meta, &page, params),
    }
}

fn join_into<'a>(out: &mut String, parts: impl Iterator<Item = &'a str>) {
    for (i, part) in parts.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(part);
    }
}

// ---------------------------------------------------------------------------------------------
// Selectors
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum LabelOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

#[derive(Debug, Clone)]
struct LabelRequirement {
    key: String,
    op: LabelOp,
    values: Vec<String>,
}

impl LabelRequirement {
    /// k8s.io/apimachinery/pkg/labels Requirement.Matches.
    fn matches(&self, object: &Value) -> bool {
        let value = object["metadata"]["labels"][&self.key].as_str();
        match self.op {
            LabelOp::In => value.is_some_and(|v| self.values.iter().any(|w| w == v)),
            LabelOp::NotIn => !value.is_some_and(|v| self.values.iter().any(|w| w == v)),
            LabelOp::Exists => value.is_some(),
            LabelOp::DoesNotExist => value.is_none(),
            LabelOp::Gt | LabelOp::Lt => {
                let (Some(have), Ok(bound)) = (
                    value.and_then(|v| v.parse::<i64>().ok()),
                    self.values[0].parse::<i64>(),
                ) else {
                    return false;
                };
                if self.op == LabelOp::Gt {
                    have > bound
                } else {
                    have < bound
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    Not,
    Eq,
    NotEq,
    In,
    NotIn,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
}

/// The lexer of k8s.io/apimachinery/pkg/labels: identifiers run up to whitespace or one of
/// `!=,()<>`; `in` and `notin` are keywords.
fn label_tokens(selector: &str) -> Vec<Token> {
    let chars: Vec<char> = selector.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let (token, width) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '!' if next == Some('=') => (Token::NotEq, 2),
            '!' => (Token::Not, 1),
            '=' if next == Some('=') => (Token::Eq, 2),
            '=' => (Token::Eq, 1),
            '>' => (Token::Gt, 1),
            '<' => (Token::Lt, 1),
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            ',' => (Token::Comma, 1),
            _ => {
                let begin = i;
                while i < chars.len() && !chars[i].is_whitespace() && !"!=,()<>".contains(chars[i])
                {
                    i += 1;
                }
                let word: String = chars[begin..i].iter().collect();
                tokens.push(match word.as_str() {
                    "in" => Token::In,
                    "notin" => Token::NotIn,
                    _ => Token::Ident(word),
                });
                continue;
            }
        };
        tokens.push(token);
        i += width;
    }
    tokens
}

fn parse_label_selector(selector: &str) -> Result<Vec<LabelRequirement>, String> {
    let tokens = label_tokens(selector);
    let fail = |what: &str| Err(format!("unable to parse requirement: {what}"));
    let mut requirements = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let negated = tokens[i] == Token::Not;
        if negated {
            i += 1;
        }
        let Some(Token::Ident(key)) = tokens.get(i) else {
            return fail(&format!(
                "found unexpected token in {selector:?}, expected: identifier"
            ));
        };
        let key = key.clone();
        i += 1;
        let at_end = matches!(tokens.get(i), None | Some(Token::Comma));
        let requirement = if negated {
            if !at_end {
                return fail(&format!("found unexpected token after !{key}"));
            }
            LabelRequirement {
                key,
                op: LabelOp::DoesNotExist,
                values: Vec::new(),
            }
        } else if at_end {
            LabelRequirement {
                key,
                op: LabelOp::Exists,
                values: Vec::new(),
            }
        } else {
            let op = tokens[i].clone();
            i += 1;
            match op {
                Token::Eq | Token::NotEq | Token::Gt | Token::Lt => {
                    // `k=` selects the empty value.
                    let value = match tokens.get(i) {
                        Some(Token::Ident(value)) => {
                            i += 1;
                            value.clone()
                        }
                        None | Some(Token::Comma) if matches!(op, Token::Eq | Token::NotEq) => {
                            String::new()
                        }
                        _ => return fail(&format!("expected a value after {key}")),
                    };
                    let op = match op {
                        Token::Eq => LabelOp::In,
                        Token::NotEq => LabelOp::NotIn,
                        Token::Gt => LabelOp::Gt,
                        _ => LabelOp::Lt,
                    };
                    if matches!(op, LabelOp::Gt | LabelOp::Lt) && value.parse::<i64>().is_err() {
                        return fail(&format!(
                            "for 'Gt', 'Lt' operators, the value must be an integer: {value:?}"
                        ));
                    }
                    LabelRequirement {
                        key,
                        op,
                        values: vec![value],
                    }
                }
                Token::In | Token::NotIn => {
                    if tokens.get(i) != Some(&Token::Open) {
                        return fail(&format!(
                            "found unexpected token after {key}, expected: '('"
                        ));
                    }
                    i += 1;
                    let mut values = Vec::new();
                    loop {
                        match tokens.get(i) {
                            Some(Token::Ident(value)) => {
                                values.push(value.clone());
                                i += 1;
                            }
                            // `k in (a,)` and `k in ()` hold empty values.
                            Some(Token::Comma | Token::Close) => values.push(String::new()),
                            _ => return fail(&format!("unterminated value set for {key}")),
                        }
                        match tokens.get(i) {
                            Some(Token::Comma) => i += 1,
                            Some(Token::Close) => {
                                i += 1;
                                break;
                            }
                            _ => return fail(&format!("unterminated value set for {key}")),
                        }
                    }
                    LabelRequirement {
                        key,
                        op: if op == Token::In {
                            LabelOp::In
                        } else {
                            LabelOp::NotIn
                        },
                        values,
                    }
                }
                _ => return fail(&format!("found unexpected operator after {key}")),
            }
        };
        requirements.push(requirement);
        match tokens.get(i) {
            None => {}
            Some(Token::Comma) if i + 1 < tokens.len() => i += 1,
            _ => {
                return fail(&format!(
                    "found unexpected token in {selector:?}, expected: ','"
                ))
            }
        }
    }
    Ok(requirements)
}

#[derive(Debug, Clone)]
struct FieldTerm {
    field: String,
    equal: bool,
    value: String,
}

impl FieldTerm {
    fn matches(&self, object: &Value) -> bool {
        (field_value(object, &self.field) == self.value) == self.equal
    }
}

/// The value the API server's field set holds for a field label.
fn field_value(object: &Value, field: &str) -> String {
    let mut value = object;
    for part in field.split('.') {
        value = &value[part];
    }
    match (field, value) {
        ("status.podIPs", _) => object["status"]["podIPs"]
            .as_array()
            .map(|ips| {
                ips.iter()
                    .filter_map(|ip| ip["ip"].as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default(),
        (_, Value::String(s)) => s.clone(),
        // Absent fields hold their Go zero value.
        (_, Value::Null) => match field {
            "spec.hostNetwork" => "false".to_string(),
            "status.replicas" | "status.successful" => "0".to_string(),
            _ => String::new(),
        },
        (_, other) => other.to_string(),
    }
}

/// k8s.io/apimachinery/pkg/fields: `k=v`, `k==v`, `k!=v` joined by commas, `\` escaping.
fn parse_field_selector(selector: &str) -> Result<Vec<FieldTerm>, String> {
    let mut terms = Vec::new();
    if selector.trim().is_empty() {
        return Ok(terms);
    }
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in selector.chars() {
        if escaped {
            parts.last_mut().unwrap().push('\\');
            parts.last_mut().unwrap().push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' {
            parts.push(String::new());
        } else {
            parts.last_mut().unwrap().push(c);
        }
    }
    for part in parts {
        let split = ["!=", "==", "="]
            .iter()
            .find_map(|op| find_unescaped(&part, op).map(|at| (op, at)));
        let Some((op, at)) = split else {
            return Err(format!(
                "invalid selector: '{selector}'; can't understand '{part}'"
            ));
        };
        let field = part[..at].trim().to_string();
        if field.is_empty() {
            return Err(format!(
                "invalid selector: '{selector}'; can't understand '{part}'"
            ));
        }
        terms.push(FieldTerm {
            field,
            equal: *op != "!=",
            value: unescape(&part[at + op.len()..]),
        });
    }
    Ok(terms)
}

fn find_unescaped(text: &str, op: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if text[i..].starts_with(op) {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tables (server-side printing, as kubectl get asks for)
// ---------------------------------------------------------------------------------------------

fn column(name: &str, format: &str, description: &str, priority: u8) -> Value {
    json!({"name": name, "type": "string", "format": format, "description": description,
           "priority": priority})
}

fn columns(def: &ResourceDef) -> Vec<Value> {
    let name = column("Name", "name", "Name must be unique within a namespace.", 0);
    let age = column(
        "Age",
        "",
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
        0,
    );
    match def.plural {
        "pods" => vec![
            name,
            column(
                "Ready",
                "",
                "The aggregate readiness state of this pod for accepting traffic.",
                0,
            ),
            column(
                "Status",
                "",
                "The aggregate status of the containers in this pod.",
                0,
            ),
            column(
                "Restarts",
                "",
                "The number of times the containers in this pod have been restarted.",
                0,
            ),
            age,
            column("IP", "", "IP address allocated to the pod.", 1),
            column("Node", "", "Name of the Node this pod is assigned to.", 1),
            column(
                "Nominated Node",
                "",
                "Name of the node this pod is nominated to.",
                1,
            ),
            column("Readiness Gates", "", "Pod readiness gates.", 1),
        ],
        "namespaces" => vec![
            name,
            column("Status", "", "The status of the namespace.", 0),
            age,
        ],
        "networkpolicies" => vec![
            name,
            column("Pod-Selector", "", "Pods this policy selects.", 0),
            age,
        ],
        _ => vec![name, age],
    }
}

fn cells(def: &ResourceDef, object: &Value, now: i64) -> Vec<Value> {
    let name = Value::from(object["metadata"]["name"].as_str().unwrap_or_default());
    let age = Value::from(age(object, now));
    match def.plural {
        "pods" => {
            let (ready, total, reason, restarts) = pod_status(object);
            let none =
                |v: &Value| Value::from(v.as_str().filter(|s| !s.is_empty()).unwrap_or("<none>"));
            let gates = object["spec"]["readinessGates"]
                .as_array()
                .filter(|g| !g.is_empty())
                .map(|g| format!("0/{}", g.len()))
                .unwrap_or_else(|| "<none>".to_string());
            vec![
                name,
                Value::from(format!("{ready}/{total}")),
                Value::from(reason),
                Value::from(restarts.to_string()),
                age,
                none(&object["status"]["podIP"]),
                none(&object["spec"]["nodeName"]),
                none(&object["status"]["nominatedNodeName"]),
                Value::from(gates),
            ]
        }
        "namespaces" => vec![
            name,
            Value::from(object["status"]["phase"].as_str().unwrap_or_default()),
            age,
        ],
        "networkpolicies" => vec![
            name,
            Value::from(format_label_selector(&object["spec"]["podSelector"])),
            age,
        ],
        _ => vec![name, age],
    }
}

/// The Ready, Status and Restarts of kubectl's pod printer (printPod), without the
/// sidecar and last-restart details.
fn pod_status(pod: &Value) -> (usize, usize, String, i64) {
    let status = &pod["status"];
    let total = pod["spec"]["containers"].as_array().map_or(0, Vec::len);
    let mut reason = status["phase"].as_str().unwrap_or_default().to_string();
    if let Some(r) = status["reason"].as_str().filter(|r| !r.is_empty()) {
        reason = r.to_string();
    }
    let mut restarts = 0;
    let mut ready = 0;
    let mut initializing = false;
    let init = status["initContainerStatuses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let init_total = pod["spec"]["initContainers"].as_array().map_or(0, Vec::len);
    for (i, container) in init.iter().enumerate() {
        restarts += container["restartCount"].as_i64().unwrap_or(0);
        let state = &container["state"];
        if state["terminated"]["exitCode"].as_i64() == Some(0) {
            continue;
        }
        initializing = true;
        reason = if let Some(r) = state["terminated"]["reason"]
            .as_str()
            .filter(|r| !r.is_empty())
        {
            format!("Init:{r}")
        } else if state["terminated"].is_object() {
            format!(
                "Init:ExitCode:{}",
                state["terminated"]["exitCode"].as_i64().unwrap_or(0)
            )
        } else if let Some(r) = state["waiting"]["reason"]
            .as_str()
            .filter(|r| !r.is_empty() && *r != "PodInitializing")
        {
            format!("Init:{r}")
        } else {
            format!("Init:{i}/{init_total}")
        };
        break;
    }
    if !initializing {
        let containers = status["containerStatuses"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for container in containers.iter().rev() {
            restarts += container["restartCount"].as_i64().unwrap_or(0);
            let state = &container["state"];
            if let Some(r) = state["waiting"]["reason"]
                .as_str()
                .filter(|r| !r.is_empty())
            {
                reason = r.to_string();
            } else if let Some(r) = state["terminated"]["reason"]
                .as_str()
                .filter(|r| !r.is_empty())
            {
                reason = r.to_string();
            } else if state["terminated"].is_object() {
                let terminated = &state["terminated"];
                reason = match terminated["signal"].as_i64().filter(|s| *s != 0) {
                    Some(signal) => format!("Signal:{signal}"),
                    None => format!("ExitCode:{}", terminated["exitCode"].as_i64().unwrap_or(0)),
                };
            } else if container["ready"].as_bool() == Some(true) && state["running"].is_object() {
                ready += 1;
            }
        }
    }
    if pod["metadata"]["deletionTimestamp"].is_string() {
        reason = "Terminating".to_string();
    }
    (ready, total, reason, restarts)
}

/// metav1.FormatLabelSelector: requirements sorted by key, `<none>` when empty.
fn format_label_selector(selector: &Value) -> String {
    let mut parts: Vec<(String, String)> = Vec::new();
    if let Some(labels) = selector["matchLabels"].as_object() {
        for (k, v) in labels {
            parts.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or_default())));
        }
    }
    if let Some(expressions) = selector["matchExpressions"].as_array() {
        for e in expressions {
            let key = e["key"].as_str().unwrap_or_default();
            let mut values: Vec<&str> = e["values"]
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            values.sort_unstable();
            let text = match e["operator"].as_str().unwrap_or_default() {
                "In" => format!("{key} in ({})", values.join(",")),
                "NotIn" => format!("{key} notin ({})", values.join(",")),
                "Exists" => key.to_string(),
                "DoesNotExist" => format!("!{key}"),
                other => format!("{key} {other} ({})", values.join(",")),
            };
            parts.push((key.to_string(), text));
        }
    }
    if parts.is_empty() {
        return "<none>".to_string();
    }
    parts.sort();
    parts
        .into_iter()
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join(",")
}

fn table_reply(
    def: &ResourceDef,
    version: &str,
    list_meta: Value,
    items: &[&Item],
    params: &BTreeMap<String, String>,
) -> Reply {
    let include = params
        .get("includeObject")
        .map(String::as_str)
        .unwrap_or("Metadata");
    let now = now_seconds();
    let rows: Vec<Value> = items
        .iter()
        .map(|item| {
            let mut row = json!({"cells": cells(def, &item.object, now)});
            match include {
                "None" => {}
                "Object" => row["object"] = item.object.clone(),
                _ => {
                    let mut meta = partial_metadata(&item.object);
                    meta["apiVersion"] = Value::from(format!("meta.k8s.io/{version}"));
                    row["object"] = meta;
                }
            }
            row
        })
        .collect();
    let body = json!({"kind": "Table", "apiVersion": format!("meta.k8s.io/{version}"),
                      "metadata": list_meta, "columnDefinitions": columns(def), "rows": rows});
    Reply::typed(
        200,
        &format!("application/json;as=Table;g=meta.k8s.io;v={version}"),
        body.to_string().into_bytes(),
    )
}

fn age(object: &Value, now: i64) -> String {
    match object["metadata"]["creationTimestamp"]
        .as_str()
        .and_then(parse_rfc3339)
    {
        Some(created) => human_duration(now - created),
        None => "<unknown>".to_string(),
    }
}

/// k8s.io/apimachinery/pkg/util/duration.HumanDuration.
fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365;
        return if days == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{days}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

// ---------------------------------------------------------------------------------------------
// Version and discovery
// ---------------------------------------------------------------------------------------------

fn version() -> Value {
    json!({"major": "1", "minor": "37", "emulationMajor": "1", "emulationMinor": "37",
           "minCompatibilityMajor": "1", "minCompatibilityMinor": "36",
           "gitVersion": "v1.37.1", "gitCommit": "0000000000000000000000000000000000000000",
           "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
           "goVersion": "go1.26.0", "compiler": "gc", "platform": "linux/amd64"})
}

fn resources_of<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static ResourceDef> + 'a {
    RESOURCES
        .iter()
        .filter(move |r| r.group == group && r.version == version)
}

fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// `/api` and `/apis`: aggregated discovery (apidiscovery.k8s.io/v2) when the client asks for
/// it, as kubectl does, else the legacy documents, as kube-rs reads them.
fn discovery_root(shared: &Shared, core: bool, accept: &str) -> Reply {
    let aggregated = media_types(accept)
        .into_iter()
        // Clauses before the first plain JSON one; the server has no protobuf to offer.
        .take_while(|m| !(m.is_json() && m.param("as").is_empty()))
        .any(|m| {
            m.is_json()
                && m.param("g") == "apidiscovery.k8s.io"
                && m.param("v") == "v2"
                && m.param("as") == "APIGroupDiscoveryList"
        });
    let group_versions = shared.group_versions();
    let mut groups: Vec<&str> = group_versions
        .iter()
        .map(|(g, _)| *g)
        .filter(|g| g.is_empty() == core)
        .collect();
    groups.dedup();
    if aggregated {
        let items: Vec<Value> = groups
            .iter()
            .map(|group| {
                let versions: Vec<Value> = group_versions
                    .iter()
                    .filter(|(g, _)| g == group)
                    .map(|(g, v)| {
                        let resources: Vec<Value> = resources_of(g, v)
                            .map(|r| {
                                let mut resource = json!({
                                    "resource": r.plural,
                                    "responseKind": {"group": r.group, "version": r.version,
                                                     "kind": r.kind},
                                    "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                                    "singularResource": r.singular,
                                    "verbs": VERBS,
                                });
                                if !r.short_names.is_empty() {
                                    resource["shortNames"] = json!(r.short_names);
                                }
                                if !r.categories.is_empty() {
                                    resource["categories"] = json!(r.categories);
                                }
                                resource
                            })
                            .collect();
                        json!({"version": v, "resources": resources, "freshness": "Current"})
                    })
                    .collect();
                let mut metadata = json!({"creationTimestamp": null});
                if !group.is_empty() {
                    metadata["name"] = Value::from(*group);
                }
                json!({"metadata": metadata, "versions": versions})
            })
            .collect();
        let body = json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
                          "metadata": {}, "items": items});
        return Reply::typed(
            200,
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            body.to_string().into_bytes(),
        );
    }
    if core {
        Reply::json(
            200,
            &json!({"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                    "serverAddress": shared.addr.to_string()}]}),
        )
    } else {
        let groups: Vec<Value> = groups.iter().map(|g| api_group(shared, g)).collect();
        Reply::json(
            200,
            &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
        )
    }
}

fn api_group(shared: &Shared, group: &str) -> Value {
    let versions: Vec<Value> = shared
        .group_versions()
        .iter()
        .filter(|(g, _)| *g == group)
        .map(|(g, v)| json!({"groupVersion": group_version(g, v), "version": v}))
        .collect();
    json!({"kind": "APIGroup", "apiVersion": "v1", "name": group,
           "versions": versions, "preferredVersion": versions[0]})
}

fn resource_list(group: &str, version: &str) -> Value {
    let resources: Vec<Value> = resources_of(group, version)
        .map(|r| {
            let mut resource = json!({"name": r.plural, "singularName": r.singular,
                                      "namespaced": r.namespaced, "kind": r.kind,
                                      "verbs": VERBS});
            if !r.short_names.is_empty() {
                resource["shortNames"] = json!(r.short_names);
            }
            if !r.categories.is_empty() {
                resource["categories"] = json!(r.categories);
            }
            resource
        })
        .collect();
    json!({"kind": "APIResourceList", "apiVersion": "v1",
           "groupVersion": group_version(group, version), "resources": resources})
}

// ---------------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------------

struct Pems {
    /// What the kubeconfig must trust to verify the server.
    server_ca: String,
    ca: String,
    client_cert: String,
    client_key: String,
}

/// A fresh CA, a server certificate of the given shape for `names`, and a client certificate
/// the CA signs. Like the API server, the server asks for client certificates without requiring
/// them.
fn tls_config(
    shape: ServerCertificate,
    names: &[String],
) -> (Pems, Arc<tokio_rustls::rustls::ServerConfig>) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    use tokio_rustls::rustls;

    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "netpol-check test apiserver CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf = |names: Vec<String>, common_name: &str, usage: ExtendedKeyUsagePurpose| {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(names).expect("certificate parameters");
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![usage];
        (params, key)
    };
    let (mut server_params, server_key) = leaf(
        names.to_vec(),
        "kube-apiserver",
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let (server_cert, server_chain) = match shape {
        ServerCertificate::CaSigned => {
            let cert = server_params
                .signed_by(&server_key, &issuer)
                .expect("server certificate");
            let chain = vec![cert.der().clone(), ca_cert.der().clone()];
            (cert, chain)
        }
        ServerCertificate::SelfSignedLeaf => {
            server_params.use_authority_key_identifier_extension = false;
            let cert = server_params
                .self_signed(&server_key)
                .expect("server certificate");
            let chain = vec![cert.der().clone()];
            (cert, chain)
        }
        ServerCertificate::SelfSignedCa => {
            // openssl req -x509's default extensions (v3_ca): CA:TRUE, no key or extended key
            // usage; the subjectAltName added with -addext.
            server_params.use_authority_key_identifier_extension = false;
            server_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            server_params.key_usages = Vec::new();
            server_params.extended_key_usages = Vec::new();
            let cert = server_params
                .self_signed(&server_key)
                .expect("server certificate");
            let chain = vec![cert.der().clone()];
            (cert, chain)
        }
    };
    // The API server takes the user from CN and the groups from O.
    let (mut client_params, client_key) = leaf(
        Vec::new(),
        "kubernetes-admin",
        ExtendedKeyUsagePurpose::ClientAuth,
    );
    client_params
        .distinguished_name
        .push(DnType::OrganizationName, "system:masters");
    let client_cert = client_params
        .signed_by(&client_key, &issuer)
        .expect("client certificate");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_cert.der().clone()).expect("CA as a root");
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()
    .expect("client certificate verifier");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(server_chain, key)
        .expect("server TLS configuration");
    // kubectl negotiates h2 through ALPN, kube-rs speaks HTTP/1.1: serve both.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let pems = Pems {
        server_ca: match shape {
            ServerCertificate::CaSigned => ca_cert.pem(),
            _ => server_cert.pem(),
        },
        ca: ca_cert.pem(),
        client_cert: client_cert.pem(),
        client_key: client_key.serialize_pem(),
    };
    (pems, Arc::new(config))
}

// ---------------------------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------------------------

/// Go's url.ParseQuery: `&`-separated, `+` is a space, percent-decoding; the first value wins.
fn parse_query(query: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        params
            .entry(percent_decode(key))
            .or_insert_with(|| percent_decode(value));
    }
    params
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn rfc3339(seconds: i64) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let s = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `YYYY-MM-DDTHH:MM:SS` followed by `Z` or an offset, fractions ignored.
fn parse_rfc3339(text: &str) -> Option<i64> {
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let days = days_from_civil(number(0..4)?, number(5..7)?, number(8..10)?);
    let mut seconds =
        days * 86_400 + number(11..13)? * 3600 + number(14..16)? * 60 + number(17..19)?;
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        rest = fraction.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    if rest != "Z" && rest != "z" {
        let sign = match rest.as_bytes().first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let hours: i64 = rest.get(1..3)?.parse().ok()?;
        let minutes: i64 = rest.get(4..6)?.parse().ok()?;
        seconds -= sign * (hours * 3600 + minutes * 60);
    }
    Some(seconds)
}

fn uid_from(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let a = rng.next();
    let b = rng.next();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

/// SplitMix64: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), up to a negligible bias.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Skewed towards 0: a few indices get much more than the others.
    fn skewed(&mut self, n: usize) -> usize {
        self.below(n).min(self.below(n)).min(self.below(n))
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

// ---------------------------------------------------------------------------------------------
// Synthetic clusters
// ---------------------------------------------------------------------------------------------

/// Size and seed of a synthetic cluster: `namespaces` application namespaces plus kube-system,
/// exactly `pods` pods and `policies` NetworkPolicies. The same size always yields the same
/// objects.
///
/// kube-system runs the calico-node and kube-proxy DaemonSets, one host-network pod per node
/// (a node per 100 pods). Application pods come from Deployments (pods owned by ReplicaSets,
/// which Deployments own), Jobs (some created by CronJobs) and a few bare pods; namespaces
/// differ in size (a few big, many small). Policies mix default-deny, pod, namespace and
/// ipBlock peers, matchExpressions and named ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synthetic {
    pub namespaces: usize,
    pub pods: usize,
    pub policies: usize,
    pub seed: u64,
}

const TIERS: [&str; 5] = ["web", "api", "db", "cache", "worker"];
const ENVS: [&str; 3] = ["prod", "staging", "dev"];

struct Synth {
    rng: Rng,
    fixture: Fixture,
    ip: u32,
    base: i64,
}

impl Synth {
    fn uid(&mut self) -> String {
        uid_from(self.rng.next())
    }

    fn timestamp(&mut self) -> String {
        rfc3339(self.base + (self.rng.next() % (90 * 86_400)) as i64)
    }

    fn pod_ip(&mut self) -> String {
        self.ip += 1;
        let ip = self.ip;
        format!(
            "10.{}.{}.{}",
            (ip >> 16) & 0xff,
            (ip >> 8) & 0xff,
            ip & 0xff
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn pod(
        &mut self,
        namespace: &str,
        name: String,
        labels: Value,
        owner: Option<Value>,
        node: &str,
        host_network: bool,
        phase: &str,
        ports: Value,
    ) {
        let ip = if host_network {
            format!("192.168.0.{}", 1 + (node_index(node) % 250))
        } else {
            self.pod_ip()
        };
        let running = phase == "Running";
        let state = if running {
            json!({"running": {"startedAt": self.timestamp()}})
        } else {
            json!({"terminated": {"exitCode": 0, "reason": "Completed"}})
        };
        let mut metadata = json!({"name": name, "namespace": namespace, "uid": self.uid(),
                                  "creationTimestamp": self.timestamp(), "labels": labels});
        if let Some(owner) = owner {
            metadata["ownerReferences"] = json!([owner]);
        }
        let restart_policy = if running { "Always" } else { "Never" };
        self.fixture.pods.push(json!({
            "metadata": metadata,
            "spec": {"containers": [{"name": "main", "image": "registry.example/app:1.0",
                                     "ports": ports}],
                     "nodeName": node, "hostNetwork": host_network,
                     "serviceAccountName": "default", "restartPolicy": restart_policy,
                     "schedulerName": "default-scheduler"},
            "status": {"phase": phase, "podIP": ip, "podIPs": [{"ip": ip}],
                       "hostIP": format!("192.168.0.{}", 1 + (node_index(node) % 250)),
                       "containerStatuses": [{"name": "main", "ready": running,
                                              "restartCount": 0, "state": state}]}
        }));
    }
}

fn node_index(node: &str) -> usize {
    node.trim_start_matches("node-").parse().unwrap_or(0)
}

fn owner(api_version: &str, kind: &str, name: &str, uid: &str) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "name": name, "uid": uid,
           "controller": true, "blockOwnerDeletion": true})
}

fn synthesize(size: &Synthetic) -> Fixture {
    let mut s = Synth {
        rng: Rng::new(size.seed ^ 0x6e65_7470_6f6c),
        fixture: Fixture::default(),
        ip: 0,
        // 2025-06-01T00:00:00Z
        base: days_from_civil(2025, 6, 1) * 86_400,
    };
    let nodes: Vec<String> = (0..size.pods.div_ceil(100).max(3))
        .map(|i| format!("node-{i:04}"))
        .collect();

    let mut namespaces: Vec<String> = vec!["kube-system".to_string()];
    namespaces.extend((0..size.namespaces.max(1)).map(|i| format!("ns-{i:05}")));
    for (i, ns) in namespaces.iter().enumerate() {
        let mut labels = json!({});
        if i > 0 {
            labels["team"] = Value::from(format!("team-{:02}", (i - 1) % 40));
            labels["env"] = Value::from(ENVS[(i - 1) % ENVS.len()]);
        }
        let uid = s.uid();
        let created = s.timestamp();
        s.fixture.namespaces.push(json!({
            "metadata": {"name": ns, "uid": uid, "creationTimestamp": created, "labels": labels},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}
        }));
    }

    // Node agents first: every CNI DaemonSet puts one pod on each node.
    let mut remaining = size.pods;
    for (ds, app, image) in [
        (
            "calico-node",
            "calico-node",
            "docker.io/calico/node:v3.29.1",
        ),
        (
            "kube-proxy",
            "kube-proxy",
            "registry.k8s.io/kube-proxy:v1.37.1",
        ),
    ] {
        let uid = s.uid();
        let count = nodes.len();
        let created = s.timestamp();
        s.fixture.daemon_sets.push(json!({
            "metadata": {"name": ds, "namespace": "kube-system", "uid": uid,
                         "creationTimestamp": created, "labels": {"k8s-app": app}},
            "spec": {"selector": {"matchLabels": {"k8s-app": app}},
                     "template": {"metadata": {"labels": {"k8s-app": app}},
                                  "spec": {"hostNetwork": true,
                                           "containers": [{"name": app, "image": image}]}}},
            "status": {"desiredNumberScheduled": count, "currentNumberScheduled": count,
                       "numberReady": count, "numberAvailable": count,
                       "updatedNumberScheduled": count, "numberMisscheduled": 0}
        }));
        for node in &nodes {
            if remaining == 0 {
                break;
            }
            remaining -= 1;
            let suffix = format!("{:05x}", s.rng.next() & 0xfffff);
            s.pod(
                "kube-system",
                format!("{ds}-{suffix}"),
                json!({"k8s-app": app, "controller-revision-hash": "6d4b5c7f9"}),
                Some(owner("apps/v1", "DaemonSet", ds, &uid)),
                node,
                true,
                "Running",
                json!([]),
            );
        }
    }

    // Application workloads until the pod budget is spent.
    let apps = size.namespaces.max(1);
    let mut workload = 0usize;
    while remaining > 0 {
        workload += 1;
        let ns = namespaces[1 + s.rng.skewed(apps)].clone();
        let tier = TIERS[s.rng.below(TIERS.len())];
        let app = format!("{tier}-{workload:06}");
        let node = nodes[s.rng.below(nodes.len())].clone();
        let ports = json!([{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                           {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}]);
        let roll = s.rng.below(100);
        if roll < 82 {
            let replicas = (1 + s.rng.below(6)).min(remaining);
            let hash = format!("{:010x}", s.rng.next() & 0xff_ffff_ffff);
            let rs = format!("{app}-{hash}");
            let rs_uid = s.uid();
            let deployment_uid = s.uid();
            let labels = json!({"app": app, "tier": tier, "pod-template-hash": hash});
            let created = s.timestamp();
            s.fixture.replica_sets.push(json!({
                "metadata": {"name": rs, "namespace": ns, "uid": rs_uid,
                             "creationTimestamp": created, "labels": labels,
                             "ownerReferences": [owner("apps/v1", "Deployment", &app,
                                                       &deployment_uid)]},
                "spec": {"replicas": replicas,
                         "selector": {"matchLabels": {"app": app, "pod-template-hash": hash}},
                         "template": {"metadata": {"labels": labels}}},
                "status": {"replicas": replicas, "readyReplicas": replicas,
                           "availableReplicas": replicas}
            }));
            // A release per application, as `helm install` leaves it.
            s.fixture.deployments.push(json!({
                "metadata": {"name": app, "namespace": ns, "uid": deployment_uid,
                             "creationTimestamp": created, "labels": {"app": app, "tier": tier},
                             "annotations": {"meta.helm.sh/release-name": app,
                                             "meta.helm.sh/release-namespace": ns}},
                "spec": {"replicas": replicas,
                         "selector": {"matchLabels": {"app": app}},
                         "template": {"metadata": {"labels": {"app": app, "tier": tier}}}}
            }));
            for _ in 0..replicas {
                let suffix = format!("{:05x}", s.rng.next() & 0xfffff);
                let node = nodes[s.rng.below(nodes.len())].clone();
                s.pod(
                    &ns,
                    format!("{rs}-{suffix}"),
                    labels.clone(),
                    Some(owner("apps/v1", "ReplicaSet", &rs, &rs_uid)),
                    &node,
                    false,
                    "Running",
                    ports.clone(),
                );
            }
            remaining -= replicas;
        } else if roll < 94 {
            let job_uid = s.uid();
            let cron = s.rng.chance(50);
            let name = if cron {
                format!("{app}-{}", 29_000_000 + s.rng.below(1_000_000))
            } else {
                app.clone()
            };
            let mut metadata = json!({"name": name, "namespace": ns, "uid": job_uid,
                                      "creationTimestamp": s.timestamp(),
                                      "labels": {"app": app, "tier": tier}});
            if cron {
                let cron_uid = s.uid();
                metadata["ownerReferences"] =
                    json!([owner("batch/v1", "CronJob", &app, &cron_uid)]);
                s.fixture.cron_jobs.push(json!({
                    "metadata": {"name": app, "namespace": ns, "uid": cron_uid,
                                 "labels": {"app": app, "tier": tier}},
                    "spec": {"schedule": "*/5 * * * *"}
                }));
            }
            let done = s.rng.chance(60);
            let labels = json!({"app": app, "tier": tier, "job-name": name,
                                "batch.kubernetes.io/job-name": name,
                                "controller-uid": job_uid,
                                "batch.kubernetes.io/controller-uid": job_uid});
            s.fixture.jobs.push(json!({
                "metadata": metadata,
                "spec": {"completions": 1, "parallelism": 1,
                         "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid":
                                                      job_uid}},
                         "template": {"metadata": {"labels": labels}}},
                "status": if done { json!({"succeeded": 1}) } else { json!({"active": 1}) }
            }));
            let suffix = format!("{:05x}", s.rng.next() & 0xfffff);
            s.pod(
                &ns,
                format!("{name}-{suffix}"),
                labels,
                Some(owner("batch/v1", "Job", &name, &job_uid)),
                &node,
                false,
                if done { "Succeeded" } else { "Running" },
                json!([]),
            );
            remaining -= 1;
        } else {
            s.pod(
                &ns,
                app.clone(),
                json!({"app": app, "tier": tier}),
                None,
                &node,
                false,
                "Running",
                ports,
            );
            remaining -= 1;
        }
    }

    for i in 0..size.policies {
        let ns = namespaces[1 + s.rng.skewed(apps)].clone();
        let tier = TIERS[s.rng.below(TIERS.len())];
        let other = TIERS[s.rng.below(TIERS.len())];
        let spec = match s.rng.below(8) {
            0 => json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
            1 => json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                        "egress": [{"to": [{"namespaceSelector": {"matchLabels":
                                        {"kubernetes.io/metadata.name": "kube-system"}},
                                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                                    "ports": [{"protocol": "UDP", "port": 53},
                                              {"protocol": "TCP", "port": 53}]}]}),
            2 => json!({"podSelector": {"matchLabels": {"tier": tier}},
                        "ingress": [{"from": [{"podSelector": {"matchLabels": {"tier": other}}}],
                                     "ports": [{"protocol": "TCP", "port": "http"}]}]}),
            3 => json!({"podSelector": {"matchLabels": {"tier": tier}},
                        "ingress": [{"from": [{"namespaceSelector": {"matchLabels":
                                        {"team": format!("team-{:02}", s.rng.below(40))}}}]}]}),
            4 => json!({"podSelector": {"matchExpressions": [
                            {"key": "tier", "operator": "In", "values": [tier, other]}]},
                        "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8",
                                                           "except": ["10.99.0.0/16"]}}],
                                     "ports": [{"protocol": "TCP", "port": 8080,
                                                "endPort": 8090}]}]}),
            5 => json!({"podSelector": {"matchExpressions": [
                            {"key": "tier", "operator": "NotIn", "values": ["db"]},
                            {"key": "app", "operator": "Exists"}]},
                        "policyTypes": ["Egress"],
                        "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}),
            6 => json!({"podSelector": {"matchLabels": {"tier": "db"}},
                        "ingress": [{"from": [
                            {"namespaceSelector": {"matchLabels": {"env": ENVS[s.rng.below(3)]}},
                             "podSelector": {"matchLabels": {"tier": "api"}}}],
                                     "ports": [{"port": 5432}]}]}),
            _ => json!({"podSelector": {"matchLabels": {"tier": tier}},
                        "ingress": [{}]}),
        };
        let uid = s.uid();
        let created = s.timestamp();
        s.fixture.network_policies.push(json!({
            "metadata": {"name": format!("np-{i:06}"), "namespace": ns, "uid": uid,
                         "creationTimestamp": created},
            "spec": spec
        }));
    }
    s.fixture
}
