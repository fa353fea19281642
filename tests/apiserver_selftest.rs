//! The test API server of tests/apiserver against the clients the live-cluster mode meets:
//! kube-rs (the client the tool itself uses, with its real paths and headers), a bare HTTP/1.1
//! exchange where the wire bytes matter (gzip), and the real kubectl binary, installed by
//! scripts/install-test-tools.sh.

mod apiserver;
mod tools;

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::process::{Command, Output};

use apiserver::{namespace, network_policy, pod, ApiServer, Fixture, Forbid, Options};
use http_body_util::BodyExt as _;
use k8s_openapi::api::apps::v1::{DaemonSet, ReplicaSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{Api, ListParams};
use serde_json::{json, Value};

const TOKEN: &str = "s3cret-token";
const USER: &str = "system:serviceaccount:default:test";

/// Six pods in four namespaces. In etcd key order (namespace/name) they are: db/postgres-0,
/// default/solo, kube-system/calico-node-abcde, web/batch-x, web/frontend-a, web/frontend-b.
fn fixture() -> Fixture {
    let mut hosted = pod(
        "kube-system",
        "calico-node-abcde",
        &[("k8s-app", "calico-node")],
    );
    hosted["spec"]["hostNetwork"] = json!(true);
    hosted["spec"]["nodeName"] = json!("node-1");
    let mut done = pod("web", "batch-x", &[("app", "batch")]);
    done["status"]["phase"] = json!("Succeeded");
    done["status"]["containerStatuses"][0]["ready"] = json!(false);
    done["status"]["containerStatuses"][0]["state"] =
        json!({"terminated": {"exitCode": 0, "reason": "Completed"}});
    Fixture {
        namespaces: vec![
            namespace("default", &[]),
            namespace("web", &[("team", "shop")]),
            namespace("db", &[("team", "data")]),
            namespace("kube-system", &[]),
        ],
        pods: vec![
            pod(
                "web",
                "frontend-b",
                &[("app", "web"), ("tier", "frontend"), ("version", "3")],
            ),
            pod(
                "web",
                "frontend-a",
                &[("app", "web"), ("tier", "frontend"), ("version", "2")],
            ),
            done,
            pod("db", "postgres-0", &[("app", "postgres"), ("tier", "db")]),
            pod("default", "solo", &[("app", "solo")]),
            hosted,
        ],
        network_policies: vec![
            network_policy("web", "deny-all", json!({"podSelector": {}})),
            network_policy(
                "db",
                "allow-web",
                json!({"podSelector": {"matchLabels": {"app": "postgres"}},
                       "ingress": [{"from": [{"namespaceSelector":
                           {"matchLabels": {"kubernetes.io/metadata.name": "web"}}}]}]}),
            ),
        ],
        replica_sets: vec![
            json!({"metadata": {"name": "frontend-5d8f7", "namespace": "web"},
                                  "spec": {"replicas": 2}}),
        ],
        jobs: vec![json!({"metadata": {"name": "batch", "namespace": "web"}})],
        daemon_sets: vec![
            json!({"metadata": {"name": "calico-node", "namespace": "kube-system"},
                                 "spec": {"template": {"spec": {"containers": [
                                     {"name": "calico-node",
                                      "image": "docker.io/calico/node:v3.29.1"}]}}}}),
        ],
        ..Fixture::default()
    }
}

fn start(options: Options) -> ApiServer {
    ApiServer::start(fixture(), options)
}

fn with_token() -> Options {
    Options {
        token: Some(TOKEN.to_string()),
        ..Options::default()
    }
}

/// A kube-rs client configured from the server's kubeconfig, as the tool configures its own.
async fn client_with_token(server: &ApiServer, token: Option<&str>) -> kube::Client {
    let kubeconfig =
        kube::config::Kubeconfig::from_yaml(&server.kubeconfig_with_token("test", None, token))
            .expect("the kubeconfig parses");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("the kubeconfig loads");
    kube::Client::try_from(config).expect("client")
}

async fn client(server: &ApiServer) -> kube::Client {
    client_with_token(server, Some(TOKEN)).await
}

fn names<K: kube::Resource>(items: &[K]) -> Vec<String> {
    items
        .iter()
        .map(|i| i.meta().name.clone().unwrap())
        .collect()
}

fn api_status(error: kube::Error) -> kube::core::Status {
    match error {
        kube::Error::Api(status) => *status,
        other => panic!("expected an API error Status, got {other:?}"),
    }
}

/// A GET through the kube-rs client with our own Accept header: status, content type, body.
async fn raw(client: &kube::Client, uri: &str, accept: &str) -> (u16, String, Value) {
    let request = http::Request::get(uri)
        .header(http::header::ACCEPT, accept)
        .body(kube::client::Body::empty())
        .unwrap();
    let response = client.send(request).await.expect("response");
    let status = response.status().as_u16();
    let content_type = response.headers()[http::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn pages_of_two_follow_the_continue_chain() {
    let server = start(with_token());
    let pods: Api<Pod> = Api::all(client(&server).await);

    let first = pods.list(&ListParams::default().limit(2)).await.unwrap();
    assert_eq!(names(&first.items), ["postgres-0", "solo"]);
    assert_eq!(first.metadata.remaining_item_count, Some(4));
    let token = first.metadata.continue_.clone().expect("a continue token");

    let second = pods
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(names(&second.items), ["calico-node-abcde", "batch-x"]);
    assert_eq!(second.metadata.remaining_item_count, Some(2));
    let token = second.metadata.continue_.clone().expect("a continue token");

    let third = pods
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(names(&third.items), ["frontend-a", "frontend-b"]);
    assert_eq!(third.metadata.continue_, None);
    assert_eq!(third.metadata.remaining_item_count, None);

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.path == "/api/v1/pods"
        && r.param("limit").as_deref() == Some("2")
        && r.authorization
        && r.status == 200));
    assert_eq!(requests[0].param("continue"), None);
    assert_eq!(
        requests[1].param("continue"),
        first.metadata.continue_.clone()
    );

    // Like the real server's, the list and its items differ: the items carry no kind.
    let (_, content_type, body) = raw(
        &client(&server).await,
        "/api/v1/namespaces/web/pods?limit=2",
        "application/json",
    )
    .await;
    assert_eq!(content_type, "application/json");
    assert_eq!(body["kind"], "PodList");
    assert_eq!(body["apiVersion"], "v1");
    assert_eq!(body["metadata"]["remainingItemCount"], 1);
    assert_eq!(body["items"][0]["metadata"]["name"], "batch-x");
    assert_eq!(body["items"][0].get("kind"), None);
    assert!(body["items"][0]["metadata"]["uid"].is_string());
    assert!(body["items"][0]["metadata"]["resourceVersion"].is_string());
}

#[tokio::test]
async fn every_resource_lists_cluster_wide_and_per_namespace() {
    let server = start(with_token());
    let client = client(&server).await;
    let all = ListParams::default();
    let namespaces = Api::<Namespace>::all(client.clone()).list(&all).await;
    let namespaces = namespaces.unwrap();
    assert_eq!(
        names(&namespaces.items),
        ["db", "default", "kube-system", "web"]
    );
    // The API server labels every namespace with its name.
    assert_eq!(
        namespaces.items[3].metadata.labels.as_ref().unwrap()["kubernetes.io/metadata.name"],
        "web"
    );
    let policies = Api::<NetworkPolicy>::all(client.clone()).list(&all).await;
    assert_eq!(names(&policies.unwrap().items), ["allow-web", "deny-all"]);
    let policies = Api::<NetworkPolicy>::namespaced(client.clone(), "web")
        .list(&all)
        .await;
    assert_eq!(names(&policies.unwrap().items), ["deny-all"]);
    let sets = Api::<ReplicaSet>::namespaced(client.clone(), "web")
        .list(&all)
        .await;
    assert_eq!(names(&sets.unwrap().items), ["frontend-5d8f7"]);
    let jobs = Api::<Job>::all(client.clone()).list(&all).await;
    assert_eq!(names(&jobs.unwrap().items), ["batch"]);
    let daemons = Api::<DaemonSet>::namespaced(client.clone(), "kube-system")
        .list(&all)
        .await;
    assert_eq!(names(&daemons.unwrap().items), ["calico-node"]);
    // A namespace without objects lists empty, as on a real server.
    let none = Api::<Pod>::namespaced(client.clone(), "missing")
        .list(&all)
        .await;
    assert!(none.unwrap().items.is_empty());

    let got = Api::<Pod>::namespaced(client.clone(), "web")
        .get("frontend-a")
        .await
        .unwrap();
    assert_eq!(got.metadata.namespace.as_deref(), Some("web"));
    let missing = Api::<Pod>::namespaced(client.clone(), "web")
        .get("nope")
        .await;
    let status = api_status(missing.unwrap_err());
    assert_eq!(
        (status.code, status.reason.as_str(), status.message.as_str()),
        (404, "NotFound", "pods \"nope\" not found")
    );

    let (status, _, body) = raw(&client, "/api/v1/namespaces/web", "application/json").await;
    assert_eq!((status, body["kind"].as_str()), (200, Some("Namespace")));
    // Namespaced objects have no path outside their namespace.
    let (status, _, body) = raw(&client, "/api/v1/pods/solo", "application/json").await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            404,
            Some("the server could not find the requested resource")
        )
    );

    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths[..6],
        [
            "/api/v1/namespaces",
            "/apis/networking.k8s.io/v1/networkpolicies",
            "/apis/networking.k8s.io/v1/namespaces/web/networkpolicies",
            "/apis/apps/v1/namespaces/web/replicasets",
            "/apis/batch/v1/jobs",
            "/apis/apps/v1/namespaces/kube-system/daemonsets",
        ]
    );
}

#[tokio::test]
async fn namespaces_named_like_prefixes_of_each_other_list_apart() {
    let fixture = Fixture {
        pods: vec![
            pod("web", "a", &[]),
            pod("web-2", "b", &[]),
            pod("web.3", "c", &[]),
            pod("web", "d", &[]),
        ],
        ..Fixture::default()
    };
    let server = ApiServer::start(fixture, with_token());
    let client = client(&server).await;
    for (namespace, expected) in [
        ("web", vec!["a", "d"]),
        ("web-2", vec!["b"]),
        ("web.3", vec!["c"]),
    ] {
        let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
        let first = pods.list(&ListParams::default().limit(1)).await.unwrap();
        let mut seen = names(&first.items);
        if let Some(token) = first.metadata.continue_ {
            let rest = pods
                .list(&ListParams::default().continue_token(&token))
                .await
                .unwrap();
            seen.extend(names(&rest.items));
        }
        assert_eq!(seen, expected, "namespace {namespace}");
        assert_eq!(
            pods.get(expected[0])
                .await
                .unwrap()
                .metadata
                .name
                .as_deref(),
            Some(expected[0])
        );
    }
    // Across namespaces, in etcd key order.
    let all = Api::<Pod>::all(client).list(&ListParams::default()).await;
    assert_eq!(names(&all.unwrap().items), ["b", "c", "a", "d"]);
}

#[tokio::test]
async fn a_server_side_page_cap_makes_the_client_follow_more_pages() {
    let server = start(Options {
        max_page: Some(1),
        ..with_token()
    });
    let pods: Api<Pod> = Api::namespaced(client(&server).await, "web");
    let mut seen = Vec::new();
    let mut params = ListParams::default().limit(500);
    loop {
        let page = pods.list(&params).await.unwrap();
        assert!(page.items.len() <= 1);
        seen.extend(names(&page.items));
        match page.metadata.continue_ {
            Some(token) => params = ListParams::default().limit(500).continue_token(&token),
            None => break,
        }
    }
    assert_eq!(seen, ["batch-x", "frontend-a", "frontend-b"]);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn the_first_continue_expires_with_410_and_a_token_to_go_on_inconsistently() {
    let server = start(Options {
        expire_first_continue: true,
        expire_resource: Some("pods".to_string()),
        ..with_token()
    });
    let client = client(&server).await;
    // Continues of other resources do not count.
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let first = namespaces.list(&ListParams::default().limit(2)).await;
    let token = first.unwrap().metadata.continue_.unwrap();
    let rest = namespaces
        .list(&ListParams::default().continue_token(&token))
        .await;
    assert_eq!(names(&rest.unwrap().items), ["kube-system", "web"]);
    server.clear_requests();

    let pods: Api<Pod> = Api::all(client);
    let first = pods.list(&ListParams::default().limit(2)).await.unwrap();
    let token = first.metadata.continue_.unwrap();

    let expired = pods
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await;
    let status = api_status(expired.unwrap_err());
    assert_eq!(status.code, 410);
    assert_eq!(status.reason, "Expired");
    assert!(status.message.starts_with(
        "The provided continue parameter is too old to display a consistent list result."
    ));
    let inconsistent = status
        .metadata
        .and_then(|m| m.continue_)
        .expect("the 410 carries a token for the remainder");

    // Either the remainder through the new token, or a fresh list; only the first continue
    // expires.
    let rest = pods
        .list(
            &ListParams::default()
                .limit(10)
                .continue_token(&inconsistent),
        )
        .await
        .unwrap();
    assert_eq!(
        names(&rest.items),
        ["calico-node-abcde", "batch-x", "frontend-a", "frontend-b"]
    );
    let again = pods
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(names(&again.items), ["calico-node-abcde", "batch-x"]);

    let codes: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(codes, [200, 410, 200, 200]);

    // A token that is not one of ours is a 400, as on the real server.
    let bad = pods
        .list(
            &ListParams::default()
                .limit(2)
                .continue_token("bm90IGEgdG9rZW4"),
        )
        .await;
    let status = api_status(bad.unwrap_err());
    assert_eq!((status.code, status.reason.as_str()), (400, "BadRequest"));
    assert!(status.message.starts_with("continue key is not valid"));
}

#[tokio::test]
async fn label_and_field_selectors_filter_items() {
    let server = start(with_token());
    let pods: Api<Pod> = Api::all(client(&server).await);
    let by_labels = [
        (
            "",
            vec![
                "postgres-0",
                "solo",
                "calico-node-abcde",
                "batch-x",
                "frontend-a",
                "frontend-b",
            ],
        ),
        ("app=web", vec!["frontend-a", "frontend-b"]),
        ("app==web", vec!["frontend-a", "frontend-b"]),
        // `!=` and notin also select pods without the label.
        (
            "app!=web",
            vec!["postgres-0", "solo", "calico-node-abcde", "batch-x"],
        ),
        ("tier", vec!["postgres-0", "frontend-a", "frontend-b"]),
        ("!tier", vec!["solo", "calico-node-abcde", "batch-x"]),
        (
            "app in (web,postgres)",
            vec!["postgres-0", "frontend-a", "frontend-b"],
        ),
        (
            "app notin (web, postgres)",
            vec!["solo", "calico-node-abcde", "batch-x"],
        ),
        ("app=web,version=3", vec!["frontend-b"]),
        (
            "tier, app notin (postgres)",
            vec!["frontend-a", "frontend-b"],
        ),
        ("version>2", vec!["frontend-b"]),
        ("app=nothing", vec![]),
    ];
    for (selector, expected) in by_labels {
        let list = pods.list(&ListParams::default().labels(selector)).await;
        assert_eq!(
            names(&list.unwrap().items),
            expected,
            "labelSelector {selector:?}"
        );
    }
    let by_fields = [
        (
            "metadata.namespace=web",
            vec!["batch-x", "frontend-a", "frontend-b"],
        ),
        ("metadata.name=solo", vec!["solo"]),
        (
            "status.phase!=Succeeded,metadata.namespace==web",
            vec!["frontend-a", "frontend-b"],
        ),
        ("spec.hostNetwork=true", vec!["calico-node-abcde"]),
        ("spec.nodeName=node-1", vec!["calico-node-abcde"]),
    ];
    for (selector, expected) in by_fields {
        let list = pods.list(&ListParams::default().fields(selector)).await;
        assert_eq!(
            names(&list.unwrap().items),
            expected,
            "fieldSelector {selector:?}"
        );
    }
    let both = ListParams::default()
        .labels("app=web")
        .fields("metadata.name!=frontend-a");
    assert_eq!(
        names(&pods.list(&both).await.unwrap().items),
        ["frontend-b"]
    );

    let unsupported = pods.list(&ListParams::default().fields("spec.foo=x")).await;
    let status = api_status(unsupported.unwrap_err());
    assert_eq!(
        (status.code, status.message.as_str()),
        (400, "field label not supported: spec.foo")
    );
    let malformed = pods
        .list(&ListParams::default().labels("app in (web"))
        .await;
    assert_eq!(api_status(malformed.unwrap_err()).code, 400);
}

#[tokio::test]
async fn selected_pages_end_where_the_keys_end_not_where_the_matches_end() {
    let server = start(with_token());
    let pods: Api<Pod> = Api::all(client(&server).await);
    // As the etcd store: the page is full and keys remain after postgres-0, so there is a
    // continue token (without remainingItemCount, unknown under a selector) and an empty page.
    let first = pods
        .list(&ListParams::default().labels("app=postgres").limit(1))
        .await
        .unwrap();
    assert_eq!(names(&first.items), ["postgres-0"]);
    assert_eq!(first.metadata.remaining_item_count, None);
    let token = first
        .metadata
        .continue_
        .expect("keys remain after the page");
    let last = pods
        .list(
            &ListParams::default()
                .labels("app=postgres")
                .limit(1)
                .continue_token(&token),
        )
        .await
        .unwrap();
    assert!(last.items.is_empty());
    assert_eq!(last.metadata.continue_, None);
}

#[tokio::test]
async fn metadata_only_lists() {
    let server = start(with_token());
    let client = client(&server).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "web");
    let list = pods
        .list_metadata(&ListParams::default().limit(2))
        .await
        .unwrap();
    assert_eq!(names(&list.items), ["batch-x", "frontend-a"]);
    assert!(list.metadata.continue_.is_some());
    assert_eq!(
        list.items[1].metadata.labels.as_ref().unwrap()["version"],
        "2"
    );
    let accept = server.requests()[0].accept.clone().unwrap();
    assert!(accept.contains("as=PartialObjectMetadataList"), "{accept}");

    let (status, content_type, body) = raw(
        &client,
        "/apis/networking.k8s.io/v1/networkpolicies",
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        content_type,
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
    );
    assert_eq!(body["kind"], "PartialObjectMetadataList");
    assert_eq!(body["apiVersion"], "meta.k8s.io/v1");
    let item = &body["items"][0];
    assert_eq!(item["kind"], "PartialObjectMetadata");
    assert_eq!(item["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(item["metadata"]["name"], "allow-web");
    assert_eq!(item.get("spec"), None);

    // A client accepting only a representation the server lacks gets 406.
    let (status, _, body) = raw(&client, "/api/v1/pods", "application/yaml").await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (406, Some("NotAcceptable"))
    );
}

#[tokio::test]
async fn requests_without_the_token_are_unauthorized() {
    let server = start(with_token());
    for token in [None, Some("wrong")] {
        let pods: Api<Pod> = Api::all(client_with_token(&server, token).await);
        let status = api_status(pods.list(&ListParams::default()).await.unwrap_err());
        assert_eq!(
            (status.code, status.reason.as_str(), status.message.as_str()),
            (401, "Unauthorized", "Unauthorized"),
            "token {token:?}"
        );
    }
    let authorization: Vec<bool> = server.requests().iter().map(|r| r.authorization).collect();
    assert_eq!(authorization, [false, true]);
}

#[tokio::test]
async fn without_a_token_the_kubeconfig_presents_a_client_certificate() {
    let server = start(Options::default());
    let pods: Api<Pod> = Api::all(client_with_token(&server, None).await);
    assert_eq!(
        pods.list(&ListParams::default()).await.unwrap().items.len(),
        6
    );
    let request = &server.requests()[0];
    assert!(request.client_certificate && !request.authorization);
}

#[tokio::test]
async fn forbidden_resources_get_the_api_servers_403() {
    let server = start(Options {
        forbidden: vec![
            Forbid::cluster_scope("pods"),
            Forbid::everywhere("networkpolicies"),
            Forbid::in_namespaces("replicasets", &["db"]),
        ],
        ..with_token()
    });
    let client = client(&server).await;
    let all = ListParams::default();

    let status = api_status(
        Api::<Pod>::all(client.clone())
            .list(&all)
            .await
            .unwrap_err(),
    );
    assert_eq!(status.code, 403);
    assert_eq!(status.reason, "Forbidden");
    assert_eq!(
        status.message,
        format!(
            "pods is forbidden: User \"{USER}\" cannot list resource \"pods\" in API group \"\" \
             at the cluster scope"
        )
    );
    assert_eq!(status.details.unwrap().kind, "pods");
    // A user without cluster-wide access may still list in a namespace.
    let web = Api::<Pod>::namespaced(client.clone(), "web")
        .list(&all)
        .await;
    assert_eq!(web.unwrap().items.len(), 3);

    let policies = Api::<NetworkPolicy>::namespaced(client.clone(), "web");
    let status = api_status(policies.list(&all).await.unwrap_err());
    assert_eq!(
        status.message,
        format!(
            "networkpolicies.networking.k8s.io is forbidden: User \"{USER}\" cannot list \
             resource \"networkpolicies\" in API group \"networking.k8s.io\" in the namespace \
             \"web\""
        )
    );
    let details = status.details.unwrap();
    assert_eq!(
        (details.group.as_str(), details.kind.as_str()),
        ("networking.k8s.io", "networkpolicies")
    );
    let status = api_status(policies.get("deny-all").await.unwrap_err());
    assert_eq!(
        status.message,
        format!(
            "networkpolicies.networking.k8s.io \"deny-all\" is forbidden: User \"{USER}\" cannot \
             get resource \"networkpolicies\" in API group \"networking.k8s.io\" in the \
             namespace \"web\""
        )
    );

    let sets = Api::<ReplicaSet>::namespaced(client.clone(), "db")
        .list(&all)
        .await;
    assert_eq!(api_status(sets.unwrap_err()).code, 403);
    assert!(Api::<ReplicaSet>::all(client.clone())
        .list(&all)
        .await
        .is_ok());
}

/// One HTTP/1.1 exchange on a fresh connection: status line, lower-cased headers, raw body.
fn raw_http(
    server: &ApiServer,
    path: &str,
    headers: &[(&str, &str)],
) -> (String, Vec<(String, String)>, Vec<u8>) {
    let mut stream = std::net::TcpStream::connect(server.addr).unwrap();
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        server.addr
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let end = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(response[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().to_string();
    let headers = lines
        .map(|l| {
            let (name, value) = l.split_once(':').unwrap();
            (name.trim().to_ascii_lowercase(), value.trim().to_string())
        })
        .collect();
    (status, headers, response[end + 4..].to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn gunzip(bytes: &[u8]) -> Value {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("a gzip body");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn gzip_when_asked_for_and_large_enough() {
    let server = start(Options {
        tls: false,
        gzip_min_bytes: 0,
        ..Options::default()
    });
    let (status, headers, body) = raw_http(&server, "/api/v1/pods", &[("Accept-Encoding", "gzip")]);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&body)["items"].as_array().unwrap().len(), 6);
    let (_, headers, body) = raw_http(&server, "/api/v1/pods", &[]);
    assert_eq!(header(&headers, "content-encoding"), None);
    let plain: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(plain["kind"], "PodList");

    // With the real server's threshold (128 KiB) a small list stays plain and a large one
    // is compressed.
    let size = apiserver::Synthetic {
        namespaces: 5,
        pods: 400,
        policies: 10,
        seed: 7,
    };
    let server = ApiServer::start(
        Fixture::synthetic(&size),
        Options {
            tls: false,
            ..Options::default()
        },
    );
    let (_, headers, _) = raw_http(
        &server,
        "/api/v1/pods?limit=5",
        &[("Accept-Encoding", "gzip")],
    );
    assert_eq!(header(&headers, "content-encoding"), None);
    let (_, headers, body) = raw_http(&server, "/api/v1/pods", &[("Accept-Encoding", "gzip")]);
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    assert!(body.len() < 128 * 1024);
    assert_eq!(gunzip(&body)["items"].as_array().unwrap().len(), 400);
}

#[tokio::test]
async fn kube_rs_receives_gzip_and_checks_the_certificate() {
    let server = start(Options {
        gzip_min_bytes: 0,
        ..with_token()
    });
    let pods: Api<Pod> = Api::all(client(&server).await);
    assert_eq!(
        pods.list(&ListParams::default()).await.unwrap().items.len(),
        6
    );
    let request = &server.requests()[0];
    assert!(request.accept_encoding.as_deref().unwrap().contains("gzip"));
    assert!(request.gzipped);
    assert_eq!(request.http_version, "HTTP/1.1");

    // Without the CA the server's certificate is not trusted.
    let kubeconfig = server
        .kubeconfig("test", None)
        .lines()
        .filter(|l| !l.contains("certificate-authority-data"))
        .collect::<Vec<_>>()
        .join("\n");
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&kubeconfig).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    let untrusting: Api<Pod> = Api::all(kube::Client::try_from(config).unwrap());
    let error = untrusting.list(&ListParams::default()).await.unwrap_err();
    assert!(!matches!(error, kube::Error::Api(_)), "{error:?}");
}

#[tokio::test]
async fn kube_rs_discovery_finds_every_resource() {
    let server = start(with_token());
    let discovery = kube::Discovery::new(client(&server).await)
        .run()
        .await
        .unwrap();
    let mut found = BTreeSet::new();
    for group in discovery.groups() {
        for (resource, _) in group.recommended_resources() {
            found.insert(format!("{}/{}", resource.api_version, resource.plural));
        }
    }
    let expected = [
        "apps/v1/daemonsets",
        "apps/v1/deployments",
        "apps/v1/replicasets",
        "apps/v1/statefulsets",
        "batch/v1/cronjobs",
        "batch/v1/jobs",
        "networking.k8s.io/v1/networkpolicies",
        "v1/configmaps",
        "v1/namespaces",
        "v1/pods",
    ];
    assert_eq!(found, expected.iter().map(|s| s.to_string()).collect());
}

// ---------------------------------------------------------------------------------------------
// The real kubectl
// ---------------------------------------------------------------------------------------------

/// kubectl with a kubeconfig for `server` and its own HOME and discovery cache.
struct Kubectl {
    dir: tempfile::TempDir,
}

impl Kubectl {
    fn new(server: &ApiServer, token: Option<&str>) -> Kubectl {
        let dir = tempfile::tempdir().unwrap();
        server.write_kubeconfig_with_token(&dir.path().join("kubeconfig"), "test", None, token);
        Kubectl { dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        let dir = self.dir.path();
        Command::new(tools::kubectl())
            .arg("--kubeconfig")
            .arg(dir.join("kubeconfig"))
            .arg("--cache-dir")
            .arg(dir.join("cache"))
            .args(args)
            .env("HOME", dir)
            .env_remove("KUBECONFIG")
            .output()
            .expect("run kubectl")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

#[test]
fn kubectl_lists_exactly_the_fixture_pods_by_name() {
    let server = start(with_token());
    let kubectl = Kubectl::new(&server, Some(TOKEN));
    let expected: BTreeSet<String> = fixture()
        .pods
        .iter()
        .map(|p| format!("pod/{}", p["metadata"]["name"].as_str().unwrap()))
        .collect();
    let listed = kubectl.ok(&["get", "pods", "-A", "-o", "name"]);
    assert_eq!(
        listed.lines().map(str::to_string).collect::<BTreeSet<_>>(),
        expected
    );

    // In pages of two, kubectl follows the continue chain to the same answer.
    server.clear_requests();
    let paged = kubectl.ok(&["get", "pods", "-A", "-o", "name", "--chunk-size=2"]);
    assert_eq!(paged, listed);
    let lists: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/pods")
        .collect();
    assert_eq!(lists.len(), 3);
    assert!(lists[1].param("continue").is_some() && lists[2].param("continue").is_some());
    // Over TLS kubectl negotiates HTTP/2, the protocol it speaks to real API servers.
    assert!(lists.iter().all(|r| r.http_version == "HTTP/2.0"));
}

#[test]
fn kubectl_runs_without_a_token_over_https_and_http() {
    // Over HTTPS kubectl would prompt for a password for a user without credentials; the
    // kubeconfig's client certificate identifies the user instead.
    for tls in [true, false] {
        let server = start(Options {
            tls,
            ..Options::default()
        });
        let listed = Kubectl::new(&server, None).ok(&["get", "pods", "-A", "-o", "name"]);
        assert_eq!(listed.lines().count(), 6, "tls {tls}: {listed}");
        assert!(server
            .requests()
            .iter()
            .all(|r| r.client_certificate == tls && !r.authorization));
    }
}

#[test]
fn kubectl_prints_the_servers_table() {
    let server = start(with_token());
    let kubectl = Kubectl::new(&server, Some(TOKEN));
    let table = kubectl.ok(&["get", "pods", "-n", "web"]);
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    let names: Vec<&str> = rows[1..].iter().map(|r| r[0]).collect();
    assert_eq!(names, ["batch-x", "frontend-a", "frontend-b"]);
    assert_eq!(rows[1][1..4], ["0/1", "Completed", "0"]);
    assert_eq!(rows[2][1..4], ["1/1", "Running", "0"]);
    let list = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/v1/namespaces/web/pods")
        .expect("kubectl listed the pods of web");
    assert!(list.accept.unwrap().contains("as=Table"));

    // Across namespaces kubectl adds the NAMESPACE column from each row's object metadata.
    let table = kubectl.ok(&["get", "pods", "-A"]);
    let first: Vec<&str> = table.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(first[..2], ["db", "postgres-0"]);
    let one = kubectl.ok(&["get", "pod", "frontend-b", "-n", "web", "-o", "wide"]);
    assert!(
        one.lines().nth(1).unwrap().starts_with("frontend-b "),
        "{one}"
    );
    let policies = kubectl.ok(&["get", "networkpolicies", "-n", "db"]);
    assert!(
        policies.contains("allow-web") && policies.contains("app=postgres"),
        "{policies}"
    );
}

#[test]
fn kubectl_with_a_wrong_token_is_unauthorized_and_without_rights_forbidden() {
    let server = start(Options {
        forbidden: vec![Forbid::cluster_scope("pods")],
        ..with_token()
    });
    let out = Kubectl::new(&server, Some("wrong")).run(&["get", "pods", "-A"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    // kubectl words it after the 401 of discovery: "(the server has asked for the client to
    // provide credentials)", or "(Unauthorized)" with discovery cached.
    assert!(
        stderr.contains("error: You must be logged in to the server ("),
        "{stderr}"
    );
    assert!(server.requests().iter().any(|r| r.status == 401));

    let out = Kubectl::new(&server, Some(TOKEN)).run(&["get", "pods", "-A"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "Error from server (Forbidden): pods is forbidden: User \"{USER}\" cannot list \
             resource \"pods\" in API group \"\" at the cluster scope"
        )),
        "{stderr}"
    );
}

#[test]
fn kubectl_finds_the_policy_api_kinds_only_where_they_are_served() {
    let cnp = json!({"metadata": {"name": "admin"},
                     "spec": {"tier": "Admin", "priority": 1, "subject": {"namespaces": {}}}});
    let anp = json!({"metadata": {"name": "anp"},
                     "spec": {"priority": 1, "subject": {"namespaces": {}}}});
    let banp = json!({"metadata": {"name": "default"}, "spec": {"subject": {"namespaces": {}}}});
    let fixture = Fixture {
        cluster_network_policies: vec![cnp],
        admin_network_policies: vec![anp],
        baseline_admin_network_policies: vec![banp],
        ..Fixture::default()
    };
    let options = Options {
        policy_api_versions: vec!["v1alpha1", "v1alpha2", "v1beta1"],
        ..with_token()
    };
    let server = ApiServer::start(fixture.clone(), options);
    let kubectl = Kubectl::new(&server, Some(TOKEN));
    // Short names and the preferred (newest) version come from discovery, as from a real
    // cluster with the CRDs.
    let listed = kubectl.ok(&["get", "cnp,anp,banp", "-o", "name"]);
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        [
            "clusternetworkpolicy.policy.networking.k8s.io/admin",
            "adminnetworkpolicy.policy.networking.k8s.io/anp",
            "baselineadminnetworkpolicy.policy.networking.k8s.io/default",
        ]
    );
    let v1alpha2 = kubectl.ok(&[
        "get",
        "clusternetworkpolicies.v1alpha2.policy.networking.k8s.io",
        "-o",
        "jsonpath={.items[0].apiVersion}",
    ]);
    assert_eq!(v1alpha2, "policy.networking.k8s.io/v1alpha2");

    // Without the CRDs the resource type does not exist.
    let server = ApiServer::start(fixture, with_token());
    let kubectl = Kubectl::new(&server, Some(TOKEN));
    let out = kubectl.run(&["get", "clusternetworkpolicies"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the server doesn't have a resource type \"clusternetworkpolicies\""),
        "{stderr}"
    );
}
