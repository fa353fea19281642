//! Paginated list requests, decoded page by page into our compact wire types.
//!
//! Requests go through kube-rs's `Client` (auth, TLS, gzip), but we build them ourselves: the
//! typed k8s-openapi Pod carries hundreds of fields we would decode and drop, while
//! [`RawObject`] keeps the few that NetworkPolicy semantics need.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use indicatif::ProgressBar;
use kube::Client;
use serde::Deserialize;

use crate::model::{CiliumPolicyKind, ClusterPolicyKind};
use crate::source::objects::RawObject;
use crate::text::thousands;

/// A resource to list: a constant for the kinds every run lists, borrowed from a discovery
/// document for the policy kinds of other APIs.
#[derive(Debug, Clone, Copy)]
pub struct Resource<'a> {
    /// `/api/v1` or `/apis/<group>/<version>`.
    pub base: &'a str,
    pub plural: &'a str,
    /// Ask for `PartialObjectMetadataList`: owners need only metadata.
    pub metadata_only: bool,
}

impl Resource<'_> {
    /// The list's path: in `namespace`, or across all of them.
    fn path(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) => format!("{}/namespaces/{}/{}", self.base, encode(ns), self.plural),
            None => format!("{}/{}", self.base, self.plural),
        }
    }
}

pub const NAMESPACES: Resource<'static> = Resource {
    base: "/api/v1",
    plural: "namespaces",
    metadata_only: false,
};
pub const PODS: Resource<'static> = Resource {
    base: "/api/v1",
    plural: "pods",
    metadata_only: false,
};
pub const NETWORK_POLICIES: Resource<'static> = Resource {
    base: "/apis/networking.k8s.io/v1",
    plural: "networkpolicies",
    metadata_only: false,
};
pub const REPLICA_SETS: Resource<'static> = Resource {
    base: "/apis/apps/v1",
    plural: "replicasets",
    metadata_only: true,
};
pub const JOBS: Resource<'static> = Resource {
    base: "/apis/batch/v1",
    plural: "jobs",
    metadata_only: true,
};
pub const DAEMON_SETS: Resource<'static> = Resource {
    base: "/apis/apps/v1",
    plural: "daemonsets",
    metadata_only: false,
};

/// The controllers a Helm release may own, read (metadata only) for their
/// `meta.helm.sh/release-*` annotations under `--with-cluster`: their pods do not carry them.
/// ReplicaSets and Jobs need no list of their own: the ones above are read anyway, and a
/// Deployment's annotations are copied to its ReplicaSets (kubernetes
/// pkg/controller/deployment/util `copyDeploymentAnnotationsToReplicaSet`), which says nothing
/// the Deployment does not.
pub const HELM_WORKLOADS: [(&str, Resource<'static>); 4] = [
    (
        "Deployment",
        Resource {
            base: "/apis/apps/v1",
            plural: "deployments",
            metadata_only: true,
        },
    ),
    (
        "StatefulSet",
        Resource {
            base: "/apis/apps/v1",
            plural: "statefulsets",
            metadata_only: true,
        },
    ),
    (
        "DaemonSet",
        Resource {
            base: "/apis/apps/v1",
            plural: "daemonsets",
            metadata_only: true,
        },
    ),
    (
        "CronJob",
        Resource {
            base: "/apis/batch/v1",
            plural: "cronjobs",
            metadata_only: true,
        },
    ),
];

/// The cluster-scoped policy kinds, by group version in the order they are preferred: a
/// ClusterNetworkPolicy served in v1beta1 and v1alpha2 is one object, listed once.
pub const CLUSTER_POLICIES: [(ClusterPolicyKind, Resource<'static>); 4] = [
    (
        ClusterPolicyKind::ClusterNetworkPolicy,
        Resource {
            base: "/apis/policy.networking.k8s.io/v1beta1",
            plural: "clusternetworkpolicies",
            metadata_only: false,
        },
    ),
    (
        ClusterPolicyKind::ClusterNetworkPolicy,
        Resource {
            base: "/apis/policy.networking.k8s.io/v1alpha2",
            plural: "clusternetworkpolicies",
            metadata_only: false,
        },
    ),
    (
        ClusterPolicyKind::AdminNetworkPolicy,
        Resource {
            base: "/apis/policy.networking.k8s.io/v1alpha1",
            plural: "adminnetworkpolicies",
            metadata_only: false,
        },
    ),
    (
        ClusterPolicyKind::BaselineAdminNetworkPolicy,
        Resource {
            base: "/apis/policy.networking.k8s.io/v1alpha1",
            plural: "baselineadminnetworkpolicies",
            metadata_only: false,
        },
    ),
];

/// Calico's group versions, preferred first: projectcalico.org/v3 is Calico's API server, a
/// view of the crd.projectcalico.org/v1 CRDs it stores the same objects in, so only one is
/// listed.
pub const CALICO_APIS: [&str; 2] = [
    "/apis/projectcalico.org/v3",
    "/apis/crd.projectcalico.org/v1",
];

/// Cilium's policy kinds (cilium `pkg/k8s/apis/cilium.io/v2`): one version, served by the
/// CRDs the agent or operator installs.
pub const CILIUM_API: &str = "/apis/cilium.io/v2";
pub const CILIUM_POLICIES: [(CiliumPolicyKind, Resource<'static>); 2] = [
    (
        CiliumPolicyKind::CiliumNetworkPolicy,
        Resource {
            base: CILIUM_API,
            plural: "ciliumnetworkpolicies",
            metadata_only: false,
        },
    ),
    (
        CiliumPolicyKind::CiliumClusterwideNetworkPolicy,
        Resource {
            base: CILIUM_API,
            plural: "ciliumclusterwidenetworkpolicies",
            metadata_only: false,
        },
    ),
];

impl<'a> Resource<'a> {
    /// `apps/v1` of `/apis/apps/v1`, `v1` of `/api/v1`.
    pub fn api_version(&self) -> &'a str {
        self.base
            .strip_prefix("/apis/")
            .or_else(|| self.base.strip_prefix("/api/"))
            .unwrap_or(self.base)
    }
}

/// Why a list failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListError {
    /// The API server answered with a Status (401, 403, 404, ...).
    Api { code: u16, message: String },
    /// No answer: connection refused, TLS, timeout, or a body we could not decode.
    Transport(String),
    /// The server kept answering with continue tokens: the list would never end.
    Unending(String),
}

impl ListError {
    pub fn is_forbidden(&self) -> bool {
        matches!(self, ListError::Api { code: 403, .. })
    }
}

impl std::fmt::Display for ListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListError::Api { code, message } => write!(f, "{message} ({code})"),
            ListError::Transport(m) | ListError::Unending(m) => f.write_str(m),
        }
    }
}

#[derive(Deserialize)]
#[serde(bound = "T: serde::de::DeserializeOwned")]
struct Page<T> {
    metadata: Option<PageMeta>,
    items: Option<Vec<T>>,
}

/// Decodes the body of one list response: its items and its continue token (an empty token is
/// none, as the API server writes the last page).
pub fn decode_page(body: &str) -> Result<(Vec<RawObject>, Option<String>), ListError> {
    decode_page_as(body)
}

/// [`decode_page`] into another wire type (Calico's policies have their own).
pub fn decode_page_as<T: serde::de::DeserializeOwned>(
    body: &str,
) -> Result<(Vec<T>, Option<String>), ListError> {
    decode_page_counted(body).map(|(items, next, _)| (items, next))
}

/// A page's items, its continue token, and how many items the server says are left after it.
type CountedPage<T> = (Vec<T>, Option<String>, Option<u64>);

/// [`decode_page_as`], with how many items the server says are left after this page
/// (`metadata.remainingItemCount`, sent for lists without selectors).
fn decode_page_counted<T: serde::de::DeserializeOwned>(
    body: &str,
) -> Result<CountedPage<T>, ListError> {
    let page: Page<T> = serde_json::from_str(body)
        .map_err(|e| ListError::Transport(format!("the server's answer is not a list: {e}")))?;
    let (next, remaining) = match page.metadata {
        Some(m) => (
            m.continue_token.filter(|t| !t.is_empty()),
            m.remaining_item_count.and_then(|n| u64::try_from(n).ok()),
        ),
        None => (None, None),
    };
    Ok((page.items.unwrap_or_default(), next, remaining))
}

#[derive(Deserialize)]
struct PageMeta {
    #[serde(rename = "continue")]
    continue_token: Option<String>,
    #[serde(rename = "remainingItemCount")]
    remaining_item_count: Option<i64>,
}

/// Per resource: objects listed so far, and the server's total when it gave one.
type Counts = BTreeMap<String, (u64, Option<u64>)>;

/// Objects listed per resource, shown on the progress line: `pods 8,500/20,003` when the
/// server tells how many are left (`remainingItemCount`), else the count so far.
#[derive(Clone)]
pub struct Progress {
    bar: ProgressBar,
    counts: Arc<Mutex<Counts>>,
    /// Totals counted apart for lists whose selectors keep the server from counting them
    /// (running pods: the count of all pods, finished ones included, so shown as `~N`).
    estimates: Arc<Mutex<BTreeMap<String, u64>>>,
}

/// The progress line's width: an 80-column terminal, less the spinner and a space.
const PROGRESS_WIDTH: usize = 78;

impl Progress {
    pub fn new(bar: ProgressBar) -> Self {
        Progress {
            bar,
            counts: Arc::default(),
            estimates: Arc::default(),
        }
    }

    pub fn is_shown(&self) -> bool {
        !self.bar.is_hidden()
    }

    fn estimate(&self, resource: &str, total: u64) {
        let mut estimates = self
            .estimates
            .lock()
            .expect("no panics while holding the lock");
        estimates.insert(resource.to_owned(), total);
    }

    /// `listed` objects of the resource so far in this list (a restarted list starts over),
    /// `remaining` after them by the server's count.
    fn listed(&self, resource: &str, listed: u64, remaining: Option<u64>) {
        let mut counts = self
            .counts
            .lock()
            .expect("no panics while holding the lock");
        counts.insert(resource.to_owned(), (listed, remaining.map(|r| listed + r)));
        let estimates = self
            .estimates
            .lock()
            .expect("no panics while holding the lock");
        self.bar.set_message(progress_line(&counts, &estimates));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `listing pods 8,500/20,003, replicasets 1,200, ...`: pods first, then the largest lists,
/// as many as fit in [`PROGRESS_WIDTH`] columns.
fn progress_line(
    counts: &BTreeMap<String, (u64, Option<u64>)>,
    estimates: &BTreeMap<String, u64>,
) -> String {
    let mut items: Vec<(&String, &(u64, Option<u64>))> = counts.iter().collect();
    items.sort_by_key(|(r, (n, _))| (r.as_str() != "pods", std::cmp::Reverse(*n)));
    let mut line = "listing".to_owned();
    for (i, (resource, (n, total))) in items.into_iter().enumerate() {
        let item = match (total, estimates.get(resource.as_str())) {
            (Some(t), _) if t > n => format!("{resource} {}/{}", thousands(*n), thousands(*t)),
            (None, Some(t)) if t > n => format!("{resource} {}/~{}", thousands(*n), thousands(*t)),
            _ => format!("{resource} {}", thousands(*n)),
        };
        let separator = if i == 0 { " " } else { ", " };
        if line.len() + separator.len() + item.len() > PROGRESS_WIDTH {
            break;
        }
        line.push_str(separator);
        line.push_str(&item);
    }
    line
}

pub struct Lister {
    pub client: Client,
    /// The server's `host:port`, for messages.
    pub authority: String,
    pub page_size: u32,
    pub progress: Progress,
}

/// Continue tokens expire (410 Gone) when a list takes longer than the server keeps its
/// snapshot; the list then starts over, a few times at most.
const MAX_RESTARTS: usize = 3;

/// Objects one list may hold before the server is taken to be looping: the largest clusters
/// Kubernetes supports have 150,000 pods; a list 13 times as long is no cluster's.
const MAX_LISTED_OBJECTS: u64 = 2_000_000;

/// Pages one list may take at `page_size` items a page: enough for [`MAX_LISTED_OBJECTS`], and
/// never fewer than 1,000 however large the pages, as a server may send fewer items than asked.
fn max_pages(page_size: u32) -> u64 {
    (MAX_LISTED_OBJECTS / u64::from(page_size.max(1))).max(1_000)
}

/// A token's hash, keyed at random so that a server cannot choose tokens that collide: the
/// tokens seen are remembered, not stored, as a server could make each one large.
fn token_hash(state: &std::collections::hash_map::RandomState, token: &str) -> u64 {
    use std::hash::BuildHasher;
    state.hash_one(token)
}

impl Lister {
    /// Lists a resource cluster-wide (`namespace: None`) or in one namespace, calling `each`
    /// for every item as its page arrives.
    pub async fn list(
        &self,
        resource: Resource<'_>,
        namespace: Option<&str>,
        label_selector: Option<&str>,
        field_selector: Option<&str>,
        each: impl FnMut(RawObject),
    ) -> Result<(), ListError> {
        self.list_as(resource, namespace, label_selector, field_selector, each)
            .await
    }

    /// [`Lister::list`] into another wire type.
    pub async fn list_as<T: serde::de::DeserializeOwned>(
        &self,
        resource: Resource<'_>,
        namespace: Option<&str>,
        label_selector: Option<&str>,
        field_selector: Option<&str>,
        mut each: impl FnMut(T),
    ) -> Result<(), ListError> {
        let path = resource.path(namespace);
        let mut token: Option<String> = None;
        let mut restarts = 0;
        let mut buffered: Vec<T> = Vec::new();
        // A server that never ends a list would otherwise be listed until memory runs out.
        let hasher = std::collections::hash_map::RandomState::new();
        let mut seen_tokens: std::collections::HashSet<u64> = Default::default();
        let max_pages = max_pages(self.page_size);
        let mut pages: u64 = 0;
        loop {
            let mut url = format!("{path}?limit={}", self.page_size);
            if let Some(t) = &token {
                url.push_str(&format!("&continue={}", encode(t)));
            }
            if let Some(s) = label_selector {
                url.push_str(&format!("&labelSelector={}", encode(s)));
            }
            if let Some(s) = field_selector {
                url.push_str(&format!("&fieldSelector={}", encode(s)));
            }
            let accept = if resource.metadata_only {
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
            } else {
                "application/json"
            };
            let request = http::Request::get(url)
                .header(http::header::ACCEPT, accept)
                .body(Vec::new())
                .expect("a GET with a valid path is a valid request");
            let page = match self.client.request_text(request).await {
                Ok(body) => decode_page_counted(&body),
                Err(e) => Err(list_error(e, &self.authority)),
            };
            match page {
                Ok((items, next, remaining)) => {
                    let listed = (buffered.len() + items.len()) as u64;
                    self.progress.listed(resource.plural, listed, remaining);
                    // Items of a list that may still restart are held back; a single-page
                    // list (the common case) goes straight through.
                    if next.is_none() && buffered.is_empty() {
                        items.into_iter().for_each(&mut each);
                        return Ok(());
                    }
                    buffered.extend(items);
                    pages += 1;
                    match next {
                        Some(t) if !seen_tokens.insert(token_hash(&hasher, &t)) => {
                            return Err(ListError::Unending(format!(
                                "the list of {} does not end: page {pages} repeats an earlier continue token",
                                resource.plural
                            )));
                        }
                        Some(_) if pages >= max_pages => {
                            return Err(ListError::Unending(format!(
                                "the list of {} does not end: still a continue token after {pages} pages of {}",
                                resource.plural, self.page_size
                            )));
                        }
                        Some(t) => token = Some(t),
                        None => {
                            buffered.into_iter().for_each(&mut each);
                            return Ok(());
                        }
                    }
                }
                Err(ListError::Api { code: 410, .. })
                    if token.is_some() && restarts < MAX_RESTARTS =>
                {
                    restarts += 1;
                    token = None;
                    buffered.clear();
                    seen_tokens.clear();
                    pages = 0;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Lister {
    /// For the progress line: how many objects of a resource there are, selectors aside, from
    /// the server's `remainingItemCount` on a one-item page. Best effort: nothing on error.
    pub async fn estimate(&self, resource: Resource<'_>, namespace: Option<&str>) {
        if !self.progress.is_shown() {
            return;
        }
        let path = resource.path(namespace);
        let request = http::Request::get(format!("{path}?limit=1"))
            .header(
                http::header::ACCEPT,
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
            )
            .body(Vec::new())
            .expect("a GET with a valid path is a valid request");
        if let Ok(body) = self.client.request_text(request).await {
            if let Ok((items, _, Some(remaining))) =
                decode_page_counted::<serde::de::IgnoredAny>(&body)
            {
                self.progress
                    .estimate(resource.plural, items.len() as u64 + remaining);
            }
        }
    }

    /// Whether a namespace exists: `GET /api/v1/namespaces/NAME`.
    pub async fn get_namespace(&self, name: &str) -> Result<(), ListError> {
        let request = http::Request::get(format!("/api/v1/namespaces/{}", encode(name)))
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .expect("a GET with a valid path is a valid request");
        self.client
            .request::<serde_json::Value>(request)
            .await
            .map(drop)
            .map_err(|e| list_error(e, &self.authority))
    }
}

impl Lister {
    /// The `data` of a ConfigMap (`GET /api/v1/namespaces/NS/configmaps/NAME`); `None` when
    /// there is no such ConfigMap (404).
    pub async fn get_config_map(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, ListError> {
        #[derive(Deserialize)]
        struct ConfigMap {
            data: Option<BTreeMap<String, String>>,
        }
        let request = http::Request::get(format!(
            "/api/v1/namespaces/{}/configmaps/{}",
            encode(namespace),
            encode(name)
        ))
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .expect("a GET with a valid path is a valid request");
        match self.client.request::<ConfigMap>(request).await {
            Ok(c) => Ok(Some(c.data.unwrap_or_default())),
            Err(e) => match list_error(e, &self.authority) {
                ListError::Api { code: 404, .. } => Ok(None),
                other => Err(other),
            },
        }
    }
}

/// A resource of a group version's discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServedResource {
    /// The plural, or `plural/subresource`.
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub namespaced: bool,
}

/// An API group of `GET /apis`, and the version the server prefers (`group/version`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedGroup {
    pub name: String,
    pub preferred: String,
}

impl Lister {
    /// The resources a group version serves, from its discovery document
    /// (`GET /apis/GROUP/VERSION`); none when the server does not serve it (404), as on a
    /// cluster without the CRDs.
    pub async fn served(&self, base: &str) -> Result<Vec<ServedResource>, ListError> {
        #[derive(Deserialize)]
        struct ResourceList {
            resources: Option<Vec<ServedResource>>,
        }
        let request = http::Request::get(base)
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .expect("a GET with a valid path is a valid request");
        match self.client.request::<ResourceList>(request).await {
            Ok(list) => Ok(list.resources.unwrap_or_default()),
            Err(e) => match list_error(e, &self.authority) {
                ListError::Api { code: 404, .. } => Ok(Vec::new()),
                other => Err(other),
            },
        }
    }
}

impl Lister {
    /// The API groups of `GET /apis` (the legacy APIGroupList) with their preferred versions.
    pub async fn groups(&self) -> Result<Vec<ServedGroup>, ListError> {
        #[derive(Deserialize)]
        struct GroupList {
            groups: Option<Vec<Group>>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Group {
            name: String,
            preferred_version: Option<GroupVersion>,
            versions: Option<Vec<GroupVersion>>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct GroupVersion {
            group_version: String,
        }
        let request = http::Request::get("/apis")
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .expect("a GET with a valid path is a valid request");
        let list = self
            .client
            .request::<GroupList>(request)
            .await
            .map_err(|e| list_error(e, &self.authority))?;
        Ok(list
            .groups
            .unwrap_or_default()
            .into_iter()
            .filter_map(|g| {
                // A group without a preferred version has its first version served instead,
                // as kubectl takes it.
                let preferred = g
                    .preferred_version
                    .or_else(|| g.versions.and_then(|v| v.into_iter().next()))?;
                Some(ServedGroup {
                    name: g.name,
                    preferred: preferred.group_version,
                })
            })
            .collect())
    }
}

fn list_error(e: kube::Error, authority: &str) -> ListError {
    match e {
        kube::Error::Api(status) => ListError::Api {
            code: status.code,
            message: if status.message.is_empty() {
                status.reason.clone()
            } else {
                status.message.clone()
            },
        },
        other => ListError::Transport(super::client::transport_reason(&other, authority)),
    }
}

/// An error and its causes on one line, without the repetitions that layered errors carry.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    // The innermost causes say what happened ("Connection refused"); outer layers say where.
    let text = parts.join(": ");
    strip_os_error(&text)
}

/// "Connection refused (os error 111)" -> "Connection refused".
fn strip_os_error(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(" (os error ") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find(')').map_or("", |j| &rest[i + j + 1..]);
    }
    out.push_str(rest);
    out
}

/// Percent-encodes a query value or path segment.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_percent_encoded() {
        assert_eq!(
            encode("status.phase!=Succeeded,app in (a,b)"),
            "status.phase%21%3DSucceeded%2Capp%20in%20%28a%2Cb%29"
        );
    }

    #[test]
    fn a_page_decodes_into_items_and_a_continue_token() {
        let (items, next) =
            decode_page(r#"{"metadata":{"continue":"abc"},"items":[{"metadata":{"name":"a"}}]}"#)
                .unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(next.as_deref(), Some("abc"));
        let (items, next) = decode_page(r#"{"metadata":{"continue":""}}"#).unwrap();
        assert!(items.is_empty());
        assert_eq!(next, None);
        let err = decode_page(r#"{"items": 5}"#).unwrap_err();
        assert!(
            matches!(&err, ListError::Transport(m) if m.starts_with("the server's answer is not a list: invalid type")),
            "{err:?}"
        );
    }

    #[test]
    fn the_page_bound_covers_the_largest_lists_at_any_page_size() {
        assert_eq!(max_pages(500), 4_000);
        assert_eq!(max_pages(1), 2_000_000);
        assert_eq!(max_pages(0), 2_000_000);
        // Pages may hold fewer items than asked: big pages still get a thousand of them.
        assert_eq!(max_pages(u32::MAX), 1_000);
    }

    #[test]
    fn error_chain_drops_repeated_causes() {
        #[derive(Debug)]
        struct E(&'static str, Option<Box<E>>);
        impl std::fmt::Display for E {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for E {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|e| e as _)
            }
        }
        let e = E(
            "client error: Connection refused",
            Some(Box::new(E("Connection refused", None))),
        );
        assert_eq!(error_chain(&e), "client error: Connection refused");
        let e = E(
            "error trying to connect",
            Some(Box::new(E("tcp connect error", None))),
        );
        assert_eq!(
            error_chain(&e),
            "error trying to connect: tcp connect error"
        );
        let e = E("tcp connect error: Connection refused (os error 111)", None);
        assert_eq!(error_chain(&e), "tcp connect error: Connection refused");
    }
}

#[cfg(test)]
mod progress_tests {
    use super::*;

    #[test]
    fn the_line_counts_objects_and_fits_80_columns() {
        let mut counts = BTreeMap::new();
        counts.insert("pods".to_owned(), (8_500, Some(20_003)));
        counts.insert("replicasets".to_owned(), (1_200, None));
        let none = BTreeMap::new();
        assert_eq!(
            progress_line(&counts, &none),
            "listing pods 8,500/20,003, replicasets 1,200"
        );
        // Counted apart, selectors aside: an estimate.
        let mut estimates = BTreeMap::new();
        estimates.insert("replicasets".to_owned(), 3_000);
        assert_eq!(
            progress_line(&counts, &estimates),
            "listing pods 8,500/20,003, replicasets 1,200/~3,000"
        );
        for r in [
            "namespaces",
            "networkpolicies",
            "jobs",
            "daemonsets",
            "ciliumnetworkpolicies",
        ] {
            counts.insert(r.to_owned(), (123_456, Some(1_234_567)));
        }
        let line = progress_line(&counts, &none);
        assert!(line.len() <= PROGRESS_WIDTH, "{line}");
        assert!(line.starts_with("listing pods 8,500/20,003, "), "{line}");
        // A finished list shows its count alone.
        counts.insert("pods".to_owned(), (20_003, Some(20_003)));
        assert!(progress_line(&counts, &none).starts_with("listing pods 20,003, "));
    }
}
