//! Live clusters: the kubeconfig (or in-cluster config), concurrent paginated lists, and the
//! inventory they make.

pub mod client;
pub mod fetch;
pub mod fold;
pub mod tls;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget};
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Client, Config};

use crate::cni::{self, Cni, DaemonSetInfo};
use crate::error::Error;
use crate::model::{
    ignored_policy_kind, CalicoPolicy, CalicoPolicyKind, CalicoTier, CiliumMode, CiliumPolicy,
    CiliumPolicyKind, ClusterPolicy, ClusterPolicyKind, IgnoredPolicy, Inventory, Origin,
    IGNORED_POLICY_KINDS,
};
use crate::source::calico::{self, CalicoClass, CalicoObject, RawCalicoObject};
use crate::source::objects::{container_ports, labels_or_empty, RawObject};
use crate::source::stream::{cilium_policy, cluster_policy, namespace_object, network_policy};

use fetch::{ListError, Lister, Progress, Resource, ServedGroup, ServedResource};
use fold::{ClusterPod, Owners};

/// kubectl's flags for reaching a cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    /// `-n`; default: the context's namespace.
    pub namespace: Option<String>,
    pub all_namespaces: bool,
    pub request_timeout: Option<Duration>,
    pub page_size: u32,
    /// Show a progress line on stderr (a terminal, and not -o json/yaml).
    pub progress: bool,
    /// kubectl's `--server`, `--certificate-authority`, `--insecure-skip-tls-verify` and
    /// `--token`: they take precedence over the kubeconfig.
    pub server: Option<String>,
    pub certificate_authority: Option<PathBuf>,
    pub insecure_skip_tls_verify: bool,
    pub token: Option<String>,
    /// `-v`: from 6 on, every request is logged on stderr.
    pub verbosity: u8,
    /// `--with-cluster`: the namespace read may not exist yet (the manifests create it); it is
    /// then read as empty rather than refused as a typo.
    pub namespace_may_be_missing: bool,
    /// `--with-cluster`: also read which Helm release owns each workload, so that an upgrade
    /// that no longer renders one removes it.
    pub helm_workloads: bool,
}

/// An object of the cluster that a Helm release owns (its `meta.helm.sh/release-name` and
/// `meta.helm.sh/release-namespace` annotations, which Helm 3 and 4 set on every object they
/// install): `helm upgrade` deletes it when the new render no longer has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmOwned {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub release: String,
    pub release_namespace: Option<String>,
}

impl HelmOwned {
    /// The release (and its namespace) that owns an object, from its annotations.
    fn release_of(
        meta: Option<&crate::source::objects::RawMeta>,
    ) -> Option<(String, Option<String>)> {
        let annotations = meta?.annotations.as_ref()?;
        Some((
            annotations.helm_release_name.clone()?,
            annotations.helm_release_namespace.clone(),
        ))
    }

    /// An object read into the model, named as the model names it, owned by `owner`.
    fn named(
        kind: &str,
        namespace: &str,
        name: &str,
        owner: (String, Option<String>),
    ) -> HelmOwned {
        HelmOwned {
            kind: kind.to_owned(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            release: owner.0,
            release_namespace: owner.1,
        }
    }

    fn of(kind: &str, o: &RawObject) -> Option<HelmOwned> {
        let meta = o.metadata.as_ref()?;
        let owner = Self::release_of(Some(meta))?;
        Some(Self::named(
            kind,
            meta.namespace.as_deref().unwrap_or_default(),
            meta.name.as_deref()?,
            owner,
        ))
    }
}

/// What a cluster gave.
#[derive(Debug)]
pub struct ClusterData {
    pub inventory: Inventory,
    pub context: String,
    pub server: String,
    /// The namespace listed without -A.
    pub namespace: Option<String>,
    /// `-n`, else the context's namespace: where names without one are looked up.
    pub default_namespace: String,
    pub cni: Option<Cni>,
    /// Things the report must say: lists we could not read and what we did instead.
    pub notes: Vec<String>,
    /// The NetworkPolicies and Cilium policies read that a Helm release owns.
    pub helm_owned: Vec<HelmOwned>,
}

/// Phases that still run pods: Succeeded and Failed pods are left out server-side.
const RUNNING_PODS: &str = "status.phase!=Succeeded,status.phase!=Failed";

pub fn load(options: &ClusterOptions) -> Result<ClusterData, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(load_async(options))
}

/// The namespace of the kubeconfig context (kubectl's default for objects that name none),
/// without listing anything.
pub fn context_namespace(options: &ClusterOptions) -> Result<String, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async { Ok(connect(options).await?.default_namespace) })
}

/// The namespaces' names, for shell completion: one list request through the kubeconfig of
/// `options`, given up after `deadline`. Every failure is an error the caller may drop.
pub fn namespace_names(options: &ClusterOptions, deadline: Duration) -> Result<Vec<String>, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    let list = async {
        let conn = connect(options).await?;
        let lister = Lister {
            client: conn.client,
            authority: conn.authority.clone(),
            page_size: options.page_size.max(1),
            progress: Progress::new(ProgressBar::hidden()),
        };
        let mut names = Vec::new();
        lister
            .list(fetch::NAMESPACES, None, None, None, |o| {
                names.extend(o.metadata.and_then(|m| m.name))
            })
            .await
            .map_err(|e| Error::Cluster {
                context: conn.context,
                server: conn.server,
                message: e.to_string(),
            })?;
        Ok(names)
    };
    runtime.block_on(async {
        tokio::time::timeout(deadline, list)
            .await
            .unwrap_or_else(|_| Err(Error::Usage(format!("no answer within {deadline:?}"))))
    })
}

/// The contexts of the kubeconfig `options` name, in its order, each with its cluster's server
/// (empty when the kubeconfig gives none): what `--all-contexts` checks.
pub fn context_servers(options: &ClusterOptions) -> Result<Vec<(String, String)>, Error> {
    let Some(kubeconfig) = read_kubeconfig(options)? else {
        return Err(Error::Usage(
            "--all-contexts needs a kubeconfig ($KUBECONFIG, ~/.kube/config or --kubeconfig)"
                .to_owned(),
        ));
    };
    Ok(kubeconfig
        .contexts
        .iter()
        .map(|c| {
            let server = c
                .context
                .as_ref()
                .map(|ctx| options.cluster.as_deref().unwrap_or(&ctx.cluster))
                .and_then(|name| kubeconfig.clusters.iter().find(|k| k.name == name))
                .and_then(|k| k.cluster.as_ref())
                .and_then(|k| k.server.clone())
                .or_else(|| options.server.clone())
                .unwrap_or_default();
            (c.name.clone(), server.trim_end_matches('/').to_owned())
        })
        .collect())
}

/// How a cluster that could not be checked failed, for a fleet run's `clusters` entries: read
/// from the words [`load`] and the client use for each case (client.rs `transport_reason`).
pub fn failure_status(error: &Error) -> crate::report::ClusterStatus {
    use crate::report::ClusterStatus;
    let Error::Cluster { message, .. } = error else {
        return ClusterStatus::Error;
    };
    let unreachable = message.ends_with(" was refused")
        || message.ends_with(" did not answer in time")
        || message.ends_with(" closed the connection")
        || message.starts_with("no such host ");
    let forbidden = message.starts_with("Unauthorized: ")
        || message.contains("(403)")
        || message.contains("(401)");
    if unreachable {
        ClusterStatus::Unreachable
    } else if forbidden {
        ClusterStatus::Forbidden
    } else {
        ClusterStatus::Error
    }
}

struct Connection {
    client: Client,
    context: String,
    server: String,
    /// `host:port` of the server, for messages.
    authority: String,
    default_namespace: String,
}

/// The kubeconfig named by `--kubeconfig`, else `$KUBECONFIG` or `~/.kube/config`; `None` when
/// there is none (in a pod, or with `--server`).
fn read_kubeconfig(options: &ClusterOptions) -> Result<Option<Kubeconfig>, Error> {
    if let Some(path) = &options.kubeconfig {
        return match Kubeconfig::read_from(path) {
            Ok(k) => Ok(Some(k)),
            Err(KubeconfigError::ReadConfig(e, _)) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(Error::Usage(format!(
                    "kubeconfig \"{}\" not found",
                    path.display()
                )))
            }
            Err(e) => Err(Error::Io {
                path: path.display().to_string(),
                message: fetch::error_chain(&e),
            }),
        };
    }
    match Kubeconfig::read() {
        Ok(k) => Ok(Some(k)),
        // kubectl's order: $KUBECONFIG, ~/.kube/config, then the pod's service account; the
        // command-line flags alone are enough with --server.
        Err(_)
            if options.server.is_some()
                || std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() =>
        {
            Ok(None)
        }
        Err(e) => Err(Error::Usage(format!(
            "no usable kubeconfig ($KUBECONFIG or ~/.kube/config), and not running in a pod: {}",
            fetch::error_chain(&e)
        ))),
    }
}

/// The context, cluster and user `options` select, checked as kubectl checks them; returns the
/// context's name and the cluster's proxy-url.
fn select(
    kubeconfig: &Kubeconfig,
    options: &ClusterOptions,
) -> Result<(String, Option<String>), Error> {
    let Some(name) = options
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .filter(|c| !c.is_empty())
    else {
        return Err(Error::Usage(
            "the kubeconfig sets no current-context: name one with --context".to_owned(),
        ));
    };
    let Some(context) = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.context.as_ref())
    else {
        return Err(Error::Usage(format!("context {name:?} does not exist")));
    };
    let cluster_name = options.cluster.as_deref().unwrap_or(&context.cluster);
    let cluster = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == cluster_name)
        .and_then(|c| c.cluster.as_ref());
    if cluster.is_none() && options.server.is_none() {
        return Err(Error::Usage(format!(
            "no server found for cluster {cluster_name:?}"
        )));
    }
    if let Some(user) = &options.user {
        if !kubeconfig.auth_infos.iter().any(|u| &u.name == user) {
            return Err(Error::Usage(format!("auth info {user:?} does not exist")));
        }
    }
    let proxy = cluster
        .and_then(|c| c.proxy_url.clone())
        .filter(|p| !p.is_empty());
    Ok((name, proxy))
}

async fn connect(options: &ClusterOptions) -> Result<Connection, Error> {
    let kubeconfig = read_kubeconfig(options)?;
    let (mut config, context, kubeconfig_proxy) = match kubeconfig {
        Some(mut kubeconfig) => {
            let (context, proxy) = select(&kubeconfig, options)?;
            // A --server for a cluster the kubeconfig lacks: kubectl goes on with the flags.
            let cluster_name = options.cluster.clone().or_else(|| {
                kubeconfig
                    .contexts
                    .iter()
                    .find(|c| c.name == context)
                    .and_then(|c| c.context.as_ref())
                    .map(|c| c.cluster.clone())
            });
            if let Some(name) = cluster_name {
                if !kubeconfig.clusters.iter().any(|c| c.name == name) {
                    kubeconfig.clusters.push(kube::config::NamedCluster {
                        name,
                        cluster: Some(Default::default()),
                        other: Default::default(),
                    });
                }
            }
            // kube-rs refuses a cluster without a server before --server could replace it.
            if options.server.is_some() {
                for c in kubeconfig
                    .clusters
                    .iter_mut()
                    .filter_map(|c| c.cluster.as_mut())
                {
                    c.server = c.server.clone().or_else(|| options.server.clone());
                }
            }
            let kube_options = KubeConfigOptions {
                context: Some(context.clone()),
                cluster: options.cluster.clone(),
                user: options.user.clone(),
            };
            let config = Config::from_custom_kubeconfig(kubeconfig, &kube_options)
                .await
                .map_err(|e| {
                    Error::Usage(format!("context {context:?}: {}", fetch::error_chain(&e)))
                })?;
            (config, context, proxy)
        }
        None if options.server.is_some() => {
            // Config::new needs a URL; --server replaces it just below.
            (
                Config::new(http::Uri::from_static("https://localhost")),
                String::new(),
                None,
            )
        }
        None => {
            let config = Config::incluster().map_err(|e| {
                Error::Usage(format!(
                    "in-cluster configuration: {}",
                    fetch::error_chain(&e)
                ))
            })?;
            (config, "in-cluster".to_owned(), None)
        }
    };
    apply_flags(&mut config, options, &context)?;
    if let Some(t) = options.request_timeout {
        config.connect_timeout = Some(t);
        config.read_timeout = Some(t);
        config.write_timeout = Some(t);
    }
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_owned();
    let authority = authority(&config.cluster_url);
    let fail = |message: String| Error::Cluster {
        context: context.clone(),
        server: server.clone(),
        message,
    };
    // kube-rs also takes $HTTPS_PROXY, without $NO_PROXY unless built with its proxy feature:
    // decide as Go's net/http does instead.
    let proxy = match kubeconfig_proxy {
        Some(p) => Some(
            p.parse::<http::Uri>()
                .map_err(|e| fail(format!("proxy-url {p:?} is not a URL: {e}")))?,
        ),
        None => env_proxy(&config.cluster_url),
    };
    config.proxy_url = None;
    let default_namespace = config.default_namespace.clone();
    let client = client::build(config, proxy, options.verbosity).map_err(fail)?;
    Ok(Connection {
        client,
        context,
        server,
        authority,
        default_namespace,
    })
}

/// kubectl's global flags, over what the kubeconfig says.
fn apply_flags(config: &mut Config, options: &ClusterOptions, context: &str) -> Result<(), Error> {
    let bad = |message: String| match context {
        "" => Error::Usage(message),
        c => Error::Usage(format!("context {c:?}: {message}")),
    };
    if let Some(server) = &options.server {
        config.cluster_url = server
            .parse::<http::Uri>()
            .ok()
            .filter(|u| u.host().is_some())
            .ok_or_else(|| {
                bad(format!(
                    "--server {server:?} is not a URL like https://host:6443"
                ))
            })?;
    }
    if let Some(path) = &options.certificate_authority {
        use rustls::pki_types::{pem::PemObject, CertificateDer};
        let pem = std::fs::read(path).map_err(|e| Error::io(path.display().to_string(), &e))?;
        let certs: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(&pem)
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|_| bad(format!("{}: not a PEM certificate", path.display())))?;
        if certs.is_empty() {
            return Err(bad(format!("{}: no PEM certificate in it", path.display())));
        }
        config.root_cert = Some(certs);
        config.root_cert_file = None;
        config.accept_invalid_certs = false;
    }
    if options.insecure_skip_tls_verify {
        config.accept_invalid_certs = true;
        config.root_cert = None;
        config.root_cert_file = None;
    }
    // Go trims the token file (client-go's transport); kube-rs sends its newline, which no
    // header may hold.
    if let (None, Some(path)) = (&config.auth_info.token, &config.auth_info.token_file) {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path.clone(), &e))?;
        config.auth_info.token = Some(text.trim().to_owned().into());
        config.auth_info.token_file = None;
    }
    if let Some(token) = &options.token {
        let auth = &mut config.auth_info;
        auth.token = Some(token.clone().into());
        auth.token_file = None;
        auth.exec = None;
        auth.auth_provider = None;
        auth.username = None;
        auth.password = None;
    }
    Ok(())
}

/// `host:port` of a URL, with the scheme's default port.
fn authority(url: &http::Uri) -> String {
    let host = url.host().unwrap_or_default();
    let port = url
        .port_u16()
        .unwrap_or(if url.scheme_str() == Some("http") {
            80
        } else {
            443
        });
    format!("{host}:{port}")
}

/// The proxy of $HTTPS_PROXY (or $HTTP_PROXY for an http:// server) for `server`, following Go's
/// ProxyFromEnvironment: never for localhost and loopback addresses, and not for the hosts,
/// domains and CIDRs of $NO_PROXY.
fn env_proxy(server: &http::Uri) -> Option<http::Uri> {
    proxy_for(server, |name| std::env::var(name).ok())
}

fn proxy_for(server: &http::Uri, env: impl Fn(&str) -> Option<String>) -> Option<http::Uri> {
    let var = |names: &[&str]| names.iter().find_map(|n| env(n).filter(|v| !v.is_empty()));
    let proxy = match server.scheme_str() {
        Some("http") => var(&["HTTP_PROXY", "http_proxy"]),
        _ => var(&["HTTPS_PROXY", "https_proxy"]),
    }?;
    let host = server
        .host()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let ip = host.parse::<std::net::IpAddr>().ok();
    if host == "localhost" || ip.is_some_and(|ip| ip.is_loopback()) {
        return None;
    }
    let no_proxy = var(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
    for entry in no_proxy.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let entry = entry.to_ascii_lowercase();
        if entry == "*" {
            return None;
        }
        if let (Some(ip), Ok(net)) = (ip, entry.parse::<ipnet::IpNet>()) {
            if net.contains(&ip) {
                return None;
            }
        }
        let name = entry
            .split(':')
            .next()
            .unwrap_or_default()
            .trim_start_matches('.');
        if host == name || host.ends_with(&format!(".{name}")) {
            return None;
        }
    }
    let proxy = if proxy.contains("://") {
        proxy
    } else {
        format!("http://{proxy}")
    };
    proxy.parse().ok()
}

async fn load_async(options: &ClusterOptions) -> Result<ClusterData, Error> {
    let conn = connect(options).await?;
    let bar = if options.progress {
        let bar = ProgressBar::new_spinner();
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message("listing");
        bar
    } else {
        ProgressBar::hidden()
    };
    let progress = Progress::new(bar);
    let lister = Lister {
        client: conn.client.clone(),
        authority: conn.authority.clone(),
        page_size: options.page_size,
        progress: progress.clone(),
    };
    let scope: Option<String> = if options.all_namespaces {
        None
    } else {
        Some(
            options
                .namespace
                .clone()
                .unwrap_or_else(|| conn.default_namespace.clone()),
        )
    };
    let fail = |message: String| Error::Cluster {
        context: conn.context.clone(),
        server: conn.server.clone(),
        message,
    };

    let mut namespaces = Vec::new();
    let mut pods = Vec::new();
    let mut raw_policies = Vec::new();
    let mut replica_sets = Vec::new();
    let mut jobs = Vec::new();
    let mut daemon_sets = Vec::new();
    let ns = scope.as_deref();
    // Every pod, whatever `-l` says: a policy's verdict depends on all the pods it may select.
    let (ns_r, pods_r, np_r, rs_r, jobs_r, ds_r, policy_apis, helm_workloads) = tokio::join!(
        lister.list(fetch::NAMESPACES, None, None, None, |o| namespaces.push(o)),
        // The field selector keeps the server from counting the pods: the progress line's
        // total comes from a one-item page without it, alongside.
        async {
            let (_, listed) = tokio::join!(
                lister.estimate(fetch::PODS, ns),
                lister.list(fetch::PODS, ns, None, Some(RUNNING_PODS), |o| {
                    pods.push(cluster_pod(o))
                })
            );
            listed
        },
        lister.list(fetch::NETWORK_POLICIES, ns, None, None, |o| raw_policies
            .push(o)),
        lister.list(fetch::REPLICA_SETS, ns, None, None, |o| replica_sets
            .push(owner_entry(o, "ReplicaSet"))),
        lister.list(fetch::JOBS, ns, None, None, |o| jobs
            .push(owner_entry(o, "Job"))),
        lister.list(fetch::DAEMON_SETS, Some("kube-system"), None, None, |o| {
            daemon_sets.push(daemon_set(o))
        }),
        list_policy_apis(&lister, ns),
        list_helm_workloads(&lister, ns, options.helm_workloads),
    );
    progress.finish();
    let PolicyApis {
        helm_owned: mut cilium_owned,
        cluster_policies,
        mut cluster_policy_errors,
        ignored_policies,
        ignored_policy_errors,
        cilium_policies,
        cilium_policy_errors,
        cilium_served,
        calico,
    } = policy_apis;
    // Refused like the cluster-scoped tiers: noted, and the run goes on without them.
    cluster_policy_errors.extend(cilium_policy_errors);
    cluster_policy_errors.extend(calico.errors);

    // Nothing answered at all, or the credentials were refused: stop with the reason.
    let cluster_policy_results: Vec<Result<(), ListError>> = cluster_policy_errors
        .iter()
        .chain(&ignored_policy_errors)
        .map(|(_, e)| Err(e.clone()))
        .collect();
    for r in [&ns_r, &pods_r, &np_r, &rs_r, &jobs_r, &ds_r]
        .into_iter()
        .chain(&cluster_policy_results)
    {
        match r {
            Err(ListError::Transport(m)) => return Err(fail(m.clone())),
            Err(e @ ListError::Unending(_)) => return Err(fail(e.to_string())),
            Err(ListError::Api { code: 401, message }) => {
                let detail = match message.as_str() {
                    "" | "Unauthorized" => String::new(),
                    m => format!(" ({m})"),
                };
                return Err(fail(format!(
                    "Unauthorized: the server rejected the credentials{detail}"
                )));
            }
            _ => {}
        }
    }
    if let Err(e) = &pods_r {
        let hint = if scope.is_none() {
            "; without permission to list pods in all namespaces, use -n NAMESPACE"
        } else {
            ""
        };
        return Err(fail(format!("cannot list pods: {e}{hint}")));
    }

    // `-n` naming a namespace the cluster does not have is a typo, not an empty namespace.
    if let Some(ns) = options
        .namespace
        .as_ref()
        .filter(|_| !options.namespace_may_be_missing)
    {
        let listed = namespaces
            .iter()
            .any(|o| o.metadata.as_ref().and_then(|m| m.name.as_deref()) == Some(ns));
        let exists = listed
            || pods.iter().any(|p| &p.namespace == ns)
            || match &ns_r {
                Ok(()) => false,
                // Without the right to list namespaces, ask for this one: only a 404 says no.
                Err(_) => !matches!(
                    lister.get_namespace(ns).await,
                    Err(ListError::Api { code: 404, .. })
                ),
            };
        if !exists {
            return Err(fail(format!("namespace {ns:?} not found")));
        }
    }

    let mut notes = Vec::new();
    // Cluster-scoped: there is no namespace to retry in. The run goes on without them, as
    // without the other optional lists, and says so.
    for (what, e) in &cluster_policy_errors {
        notes.push(format!(
            "{what} could not be listed ({e}); verdicts may be wrong for the pods they select."
        ));
    }
    for (what, e) in &ignored_policy_errors {
        notes.push(format!(
            "{what} could not be listed ({e}): policies this version does not evaluate may go \
             unnamed, and verdicts may be wrong for the pods they could select."
        ));
    }
    if let Err(e) = &ns_r {
        notes.push(format!(
            "Namespaces could not be listed ({e}); went on with the namespaces of pods and policies, \
             which namespaceSelectors see with only their kubernetes.io/metadata.name label."
        ));
    }
    let known_namespaces: BTreeSet<String> = namespaces
        .iter()
        .filter_map(|o| o.metadata.as_ref().and_then(|m| m.name.clone()))
        .chain(pods.iter().map(|p| p.namespace.clone()))
        .collect();

    // Lists refused cluster-wide are tried namespace by namespace; one namespace failing does
    // not abort the others.
    let mut unreadable_policies: HashSet<String> = HashSet::new();
    if let Err(e) = &np_r {
        match &scope {
            Some(ns) => {
                return Err(fail(format!(
                    "cannot list networkpolicies in namespace {ns}: {e}"
                )))
            }
            None if e.is_forbidden() => {
                for ns in &known_namespaces {
                    let r = lister
                        .list(fetch::NETWORK_POLICIES, Some(ns), None, None, |o| {
                            raw_policies.push(o)
                        })
                        .await;
                    if let Err(e) = r {
                        notes.push(format!(
                            "NetworkPolicies of namespace {ns} could not be listed ({e}); its workloads are left out."
                        ));
                        unreadable_policies.insert(ns.clone());
                    }
                }
            }
            None => return Err(fail(format!("cannot list networkpolicies: {e}"))),
        }
    }
    if let Err(e) = &rs_r {
        let retry = (fetch::REPLICA_SETS, "ReplicaSet");
        retry_per_namespace(
            &lister,
            retry,
            &scope,
            &known_namespaces,
            e,
            &mut replica_sets,
            &mut notes,
        )
        .await;
    }
    if let Err(e) = &jobs_r {
        let retry = (fetch::JOBS, "Job");
        retry_per_namespace(
            &lister,
            retry,
            &scope,
            &known_namespaces,
            e,
            &mut jobs,
            &mut notes,
        )
        .await;
    }
    let cni = match &ds_r {
        Ok(()) => {
            let detected = cni::detect(&daemon_sets);
            if detected.enforces_network_policy.is_none() {
                notes.push(
                    "The CNI plugin was not recognised from the DaemonSets of kube-system: whether NetworkPolicies are enforced at all is unknown."
                        .to_owned(),
                );
            }
            Some(detected)
        }
        Err(e) => {
            notes.push(format!(
                "DaemonSets of kube-system could not be listed ({e}): the CNI plugin, and whether it enforces NetworkPolicies, is unknown."
            ));
            None
        }
    };

    // The agents' mode matters only where Cilium runs: its CRDs, or its agent's DaemonSet.
    let cilium_runs = cilium_served
        || cni.as_ref().is_some_and(|c| c.name == "Cilium")
        || daemon_sets.iter().any(|d| d.name == "cilium");
    let cilium_mode = if cilium_runs {
        let got = lister
            .get_config_map(CILIUM_CONFIG.0, CILIUM_CONFIG.1)
            .await;
        match got {
            Err(ListError::Transport(m)) => return Err(fail(m)),
            other => Some(cilium_mode_of(other, &mut |w| {
                eprintln!("warning: {}", crate::output::terminal::escape_lines(&w))
            })),
        }
    } else {
        None
    };

    let mut helm_owned: Vec<HelmOwned> = raw_policies
        .iter()
        .filter_map(|o| HelmOwned::of("NetworkPolicy", o))
        .collect();
    helm_owned.append(&mut cilium_owned);
    let (mut workloads_owned, workload_notes) = helm_workloads;
    helm_owned.append(&mut workloads_owned);
    notes.extend(workload_notes);
    let owners: Owners = replica_sets.into_iter().chain(jobs).flatten().collect();
    let pod_owners = fold::pod_owners(&pods, &owners);
    let mut inventory = Inventory {
        namespaces: namespaces
            .into_iter()
            .filter_map(namespace_from_list)
            .filter(|n| scope.as_deref().is_none_or(|s| s == n.name))
            .collect(),
        workloads: fold::fold(pods, &owners),
        policies: raw_policies
            .into_iter()
            .filter_map(policy_from_list)
            .collect(),
        skipped_kinds: Default::default(),
        cluster_policies,
        cilium_policies,
        cilium_mode,
        calico_policies: calico.policies,
        calico_tiers: calico.tiers,
        ignored_policies,
        pod_owners,
    };
    inventory
        .workloads
        .retain(|w| !unreadable_policies.contains(&w.namespace));
    Ok(ClusterData {
        inventory,
        context: conn.context,
        server: conn.server,
        namespace: scope,
        default_namespace: options
            .namespace
            .clone()
            .unwrap_or_else(|| conn.default_namespace.clone()),
        cni,
        notes,
        helm_owned,
    })
}

/// What the policy APIs beyond networking.k8s.io gave, and what could not be listed, by what
/// it was.
struct PolicyApis {
    helm_owned: Vec<HelmOwned>,
    cluster_policies: Vec<ClusterPolicy>,
    cluster_policy_errors: Vec<(String, ListError)>,
    ignored_policies: Vec<IgnoredPolicy>,
    ignored_policy_errors: Vec<(String, ListError)>,
    cilium_policies: Vec<CiliumPolicy>,
    cilium_policy_errors: Vec<(String, ListError)>,
    /// Discovery shows cilium.io/v2 policy resources.
    cilium_served: bool,
    calico: CalicoListed,
}

/// Calico's policies and tiers listed, and what could not be.
#[derive(Default)]
struct CalicoListed {
    policies: Vec<CalicoPolicy>,
    /// The policies a Helm release owns.
    helm_owned: Vec<HelmOwned>,
    tiers: Vec<CalicoTier>,
    errors: Vec<(String, ListError)>,
}

/// Where the Cilium agents read their configuration (the Helm chart's `cilium-config`
/// ConfigMap in kube-system; key `enable-policy`, Helm value `policyEnforcementMode`).
const CILIUM_CONFIG: (&str, &str) = ("kube-system", "cilium-config");
const ENABLE_POLICY: &str = "enable-policy";

/// The agents' policy enforcement mode from the `cilium-config` ConfigMap as fetched: a missing
/// ConfigMap or key is the agents' own default, `default`; a refusal or a value this version
/// does not know is warned about (through `warn`) and taken as `default` too.
pub fn cilium_mode_of(
    got: Result<Option<BTreeMap<String, String>>, ListError>,
    warn: &mut dyn FnMut(String),
) -> CiliumMode {
    let where_ = format!("ConfigMap {} in {}", CILIUM_CONFIG.1, CILIUM_CONFIG.0);
    match got {
        Ok(None) => CiliumMode::Default,
        Ok(Some(data)) => match data.get(ENABLE_POLICY) {
            None => CiliumMode::Default,
            Some(v) => CiliumMode::parse(v.trim()).unwrap_or_else(|| {
                warn(format!(
                    "{ENABLE_POLICY} is {v:?} in {where_}, not default, always or never: \
                     assuming default (use --cilium-policy-mode to say otherwise)"
                ));
                CiliumMode::Default
            }),
        },
        Err(e) => {
            warn(format!(
                "{where_} could not be read ({e}): assuming Cilium's policy mode is default \
                 (use --cilium-policy-mode to say otherwise)"
            ));
            CiliumMode::Default
        }
    }
}

/// Discovery documents already fetched, by group version path (`/apis/GROUP/VERSION`): the
/// kinds read and the kinds only named share them.
type Discovered = Vec<(String, Vec<ServedResource>)>;

/// The cluster-scoped policies this version reads, then the objects of the policy kinds it
/// does not evaluate, `scope` being the namespace listed (`None`: all of them).
/// With `wanted`, the Helm release of every controller of [`fetch::HELM_WORKLOADS`] in scope,
/// and notes for the lists that failed: the run goes on without them, as a release's dropped
/// workloads then merely stay in the view.
async fn list_helm_workloads(
    lister: &Lister,
    scope: Option<&str>,
    wanted: bool,
) -> (Vec<HelmOwned>, Vec<String>) {
    let mut owned = Vec::new();
    let mut notes = Vec::new();
    if !wanted {
        return (owned, notes);
    }
    for (kind, resource) in fetch::HELM_WORKLOADS {
        let r = lister
            .list(resource, scope, None, None, |o| {
                owned.extend(HelmOwned::of(kind, &o))
            })
            .await;
        match r {
            Ok(()) | Err(ListError::Api { code: 404, .. }) => {}
            Err(e) => notes.push(format!(
                "{} could not be listed ({e}): those a Helm release no longer renders stay in the \
                 cluster after the change as far as this report knows.",
                resource.plural
            )),
        }
    }
    (owned, notes)
}

async fn list_policy_apis(lister: &Lister, scope: Option<&str>) -> PolicyApis {
    let mut discovered = Discovered::new();
    let (cluster_policies, cluster_policy_errors, read, cluster_owned) =
        list_cluster_policies(lister, &mut discovered).await;
    let groups = lister.groups().await;
    let (ignored_policies, ignored_policy_errors) =
        list_ignored_policies(lister, scope, &mut discovered, &read, &groups).await;
    // Without the group list (noted above), discovery of cilium.io/v2 says it all the same.
    let cilium = groups
        .as_ref()
        .map_or(true, |g| g.iter().any(|g| g.name == CILIUM_GROUP));
    let (cilium_policies, cilium_policy_errors, cilium_served, helm_owned) = if cilium {
        list_cilium_policies(lister, scope).await
    } else {
        (Vec::new(), Vec::new(), false, Vec::new())
    };
    let mut calico = list_calico(lister, scope, &groups).await;
    let mut helm_owned = helm_owned;
    helm_owned.extend(cluster_owned);
    helm_owned.append(&mut calico.helm_owned);
    PolicyApis {
        helm_owned,
        cluster_policies,
        cluster_policy_errors,
        ignored_policies,
        ignored_policy_errors,
        cilium_policies,
        cilium_policy_errors,
        cilium_served,
        calico,
    }
}

/// Calico's policies (namespaced kinds in `scope`, like NetworkPolicies) and tiers, from
/// projectcalico.org/v3 when Calico's API server serves them, else from the
/// crd.projectcalico.org/v1 CRDs: never both, as the first is a view of the second. A cluster
/// without Calico's kinds is normal: nothing is listed, nothing said. When the API server's
/// discovery fails (an aggregated API down answers 503) but the CRDs serve the kinds, the
/// CRDs are read and the failure is not worth a note.
async fn list_calico(
    lister: &Lister,
    scope: Option<&str>,
    groups: &Result<Vec<ServedGroup>, ListError>,
) -> CalicoListed {
    let mut out = CalicoListed::default();
    let mut discovery_error = None;
    for base in fetch::CALICO_APIS {
        let api_version = &base["/apis/".len()..];
        let group = crate::model::api_group(api_version);
        // Without the group list (noted elsewhere), discovery of each version says it all.
        if groups
            .as_ref()
            .is_ok_and(|g| !g.iter().any(|g| g.name == group))
        {
            continue;
        }
        let served = match lister.served(base).await {
            Ok(served) => served,
            Err(e) => {
                discovery_error.get_or_insert((format!("The resources of {api_version}"), e));
                continue;
            }
        };
        let serves = |plural: &str| served.iter().any(|r| r.name == plural);
        if !CalicoPolicyKind::ALL.iter().any(|k| serves(k.plural())) && !serves("tiers") {
            continue;
        }
        discovery_error = None;
        for kind in CalicoPolicyKind::ALL {
            if !serves(kind.plural()) {
                continue;
            }
            let resource = Resource {
                base,
                plural: kind.plural(),
                metadata_only: false,
            };
            let namespace = if kind.cluster_scoped() { None } else { scope };
            let listed = if kind == CalicoPolicyKind::StagedKubernetesNetworkPolicy {
                let mut raw = Vec::new();
                let r = lister
                    .list(resource, namespace, None, None, |o| raw.push(o))
                    .await;
                out.policies.extend(
                    raw.into_iter()
                        .filter_map(|o| staged_kubernetes_from_list(api_version, o)),
                );
                r
            } else {
                let mut raw: Vec<RawCalicoObject> = Vec::new();
                let r = lister
                    .list_as(resource, namespace, None, None, |o| raw.push(o))
                    .await;
                for o in raw {
                    let owner = HelmOwned::release_of(o.metadata.as_ref());
                    if let Some(CalicoObject::Policy(p)) =
                        calico_from_list(CalicoClass::Policy(kind), api_version, o)
                    {
                        let namespace = p.namespace.clone().unwrap_or_default();
                        out.helm_owned
                            .extend(owner.map(|r| {
                                HelmOwned::named(p.kind.as_str(), &namespace, &p.name, r)
                            }));
                        out.policies.push(*p);
                    }
                }
                r
            };
            match listed {
                Ok(()) | Err(ListError::Api { code: 404, .. }) => {}
                Err(e) => out
                    .errors
                    .push((format!("{} ({api_version})", kind.plural()), e)),
            }
        }
        if serves("tiers") {
            let resource = Resource {
                base,
                plural: "tiers",
                metadata_only: false,
            };
            let mut raw: Vec<RawCalicoObject> = Vec::new();
            match lister
                .list_as(resource, None, None, None, |o| raw.push(o))
                .await
            {
                Ok(()) | Err(ListError::Api { code: 404, .. }) => {}
                Err(e) => out.errors.push((format!("tiers ({api_version})"), e)),
            }
            for o in raw {
                if let Some(CalicoObject::Tier(t)) =
                    calico_from_list(CalicoClass::Tier, api_version, o)
                {
                    out.tiers.push(t);
                }
            }
        }
        break;
    }
    out.errors.extend(discovery_error);
    out
}

/// The CiliumNetworkPolicies (in `scope`, like NetworkPolicies) and
/// CiliumClusterwideNetworkPolicies, when discovery shows cilium.io/v2 serving them (a cluster
/// without Cilium's CRDs is normal: nothing is listed, nothing said); what could not be
/// listed, by what it was; whether any was served.
async fn list_cilium_policies(
    lister: &Lister,
    scope: Option<&str>,
) -> (
    Vec<CiliumPolicy>,
    Vec<(String, ListError)>,
    bool,
    Vec<HelmOwned>,
) {
    let mut policies = Vec::new();
    let mut owned = Vec::new();
    let mut errors = Vec::new();
    let served = match lister.served(fetch::CILIUM_API).await {
        Ok(served) => served,
        Err(e) => {
            errors.push((
                format!("The resources of {}", &fetch::CILIUM_API["/apis/".len()..]),
                e,
            ));
            return (policies, errors, false, owned);
        }
    };
    let mut any = false;
    for (kind, resource) in fetch::CILIUM_POLICIES {
        if !served.iter().any(|r| r.name == resource.plural) {
            continue;
        }
        any = true;
        let namespace = if kind.cluster_scoped() { None } else { scope };
        let mut raw = Vec::new();
        match lister
            .list(resource, namespace, None, None, |o| raw.push(o))
            .await
        {
            Ok(()) => {
                owned.extend(raw.iter().filter_map(|o| HelmOwned::of(kind.as_str(), o)));
                policies.extend(
                    raw.into_iter()
                        .filter_map(|o| cilium_policy_from_list(kind, o)),
                )
            }
            // The CRD went away since discovery: as if it had never been served.
            Err(ListError::Api { code: 404, .. }) => {}
            Err(e) => errors.push((
                format!("{} ({})", resource.plural, resource.api_version()),
                e,
            )),
        }
    }
    (policies, errors, any, owned)
}

/// The ClusterNetworkPolicies, AdminNetworkPolicies and BaselineAdminNetworkPolicies, from
/// the group versions that discovery shows (a cluster without the CRDs is normal: nothing is
/// listed, nothing said), each listed as the other resources are; what could not be listed,
/// by what it was; and the kinds listed or tried.
async fn list_cluster_policies(
    lister: &Lister,
    served: &mut Discovered,
) -> (
    Vec<ClusterPolicy>,
    Vec<(String, ListError)>,
    Vec<ClusterPolicyKind>,
    Vec<HelmOwned>,
) {
    let mut owned = Vec::new();
    let mut policies = Vec::new();
    let mut errors = Vec::new();
    let mut listed: Vec<ClusterPolicyKind> = Vec::new();
    for (kind, resource) in fetch::CLUSTER_POLICIES {
        if listed.contains(&kind) {
            continue;
        }
        let names = match served.iter().position(|(base, _)| base == resource.base) {
            Some(i) => &served[i].1,
            None => {
                let names = match lister.served(resource.base).await {
                    Ok(names) => names,
                    Err(e) => {
                        errors.push((format!("The resources of {}", resource.api_version()), e));
                        Vec::new()
                    }
                };
                served.push((resource.base.to_owned(), names));
                &served.last().expect("just pushed").1
            }
        };
        if !names.iter().any(|r| r.name == resource.plural) {
            continue;
        }
        listed.push(kind);
        let mut raw = Vec::new();
        match lister
            .list(resource, None, None, None, |o| raw.push(o))
            .await
        {
            Ok(()) => {
                for o in raw {
                    let owner = HelmOwned::release_of(o.metadata.as_ref());
                    if let Some(p) = cluster_policy_from_list(kind, resource.api_version(), o) {
                        owned.extend(
                            owner.map(|r| HelmOwned::named(p.kind.as_str(), "", &p.name, r)),
                        );
                        policies.push(p);
                    }
                }
            }
            Err(e) => errors.push((
                format!("{} ({})", resource.plural, resource.api_version()),
                e,
            )),
        }
    }
    (policies, errors, listed, owned)
}

/// The objects of [`IGNORED_POLICY_KINDS`] that the cluster serves, so that the report names
/// them: one `GET /apis`, one discovery document per group that has such kinds (its preferred
/// version: a CRD serves the same objects in all its versions), one list per kind. Namespaced
/// kinds are listed in `scope`, cluster-scoped ones always. The kinds of
/// policy.networking.k8s.io listed already (`read`) are not counted twice. A group the cluster
/// does not serve is normal and silent.
async fn list_ignored_policies(
    lister: &Lister,
    scope: Option<&str>,
    served: &mut Discovered,
    read: &[ClusterPolicyKind],
    groups: &Result<Vec<ServedGroup>, ListError>,
) -> (Vec<IgnoredPolicy>, Vec<(String, ListError)>) {
    let mut policies = Vec::new();
    let mut errors = Vec::new();
    let groups = match groups {
        Ok(groups) => groups,
        Err(e) => {
            errors.push(("The API groups".to_owned(), e.clone()));
            return (policies, errors);
        }
    };
    for group in groups {
        if !IGNORED_POLICY_KINDS
            .iter()
            .any(|(g, _, _)| *g == group.name)
        {
            continue;
        }
        let base = format!("/apis/{}", group.preferred);
        let resources = match served.iter().position(|(b, _)| *b == base) {
            Some(i) => served[i].1.clone(),
            None => match lister.served(&base).await {
                Ok(resources) => {
                    served.push((base.clone(), resources.clone()));
                    resources
                }
                Err(e) => {
                    errors.push((format!("The resources of {}", group.preferred), e));
                    continue;
                }
            },
        };
        for r in &resources {
            // `ciliumnetworkpolicies/status` and the like are parts of another resource.
            if r.name.contains('/') || ignored_policy_kind(&group.name, &r.kind).is_none() {
                continue;
            }
            if read.iter().any(|k| k.as_str() == r.kind) && group.name == POLICY_GROUP {
                continue;
            }
            let resource = Resource {
                base: &base,
                plural: &r.name,
                metadata_only: true,
            };
            let namespace = if r.namespaced { scope } else { None };
            let mut raw = Vec::new();
            match lister
                .list(resource, namespace, None, None, |o| raw.push(o))
                .await
            {
                Ok(()) => policies.extend(
                    raw.into_iter()
                        .filter_map(|o| ignored_policy_from_list(&group.preferred, &r.kind, o)),
                ),
                // The CRD went away since discovery: as if it had never been served.
                Err(ListError::Api { code: 404, .. }) => {}
                Err(e) => errors.push((format!("{} ({})", r.name, group.preferred), e)),
            }
        }
    }
    (policies, errors)
}

/// Cilium's API group.
const CILIUM_GROUP: &str = "cilium.io";

/// The group of the cluster-scoped policy kinds this version reads in some versions.
const POLICY_GROUP: &str = "policy.networking.k8s.io";

async fn retry_per_namespace(
    lister: &Lister,
    (resource, kind): (Resource<'_>, &str),
    scope: &Option<String>,
    namespaces: &BTreeSet<String>,
    error: &ListError,
    sink: &mut Vec<Option<OwnerEntry>>,
    notes: &mut Vec<String>,
) {
    let mut failed = Vec::new();
    if scope.is_none() && error.is_forbidden() {
        for ns in namespaces {
            if lister
                .list(resource, Some(ns), None, None, |o| {
                    sink.push(owner_entry(o, kind))
                })
                .await
                .is_err()
            {
                failed.push(ns.clone());
            }
        }
    } else {
        failed.push(scope.clone().unwrap_or_else(|| "all namespaces".into()));
    }
    if !failed.is_empty() {
        notes.push(format!(
            "{} could not be listed in {} ({error}): their pods are reported under the {kind} itself.",
            resource.plural,
            failed.join(", "),
        ));
    }
}

/// `(namespace, kind, name)` of a ReplicaSet or Job, and its controller's `(kind, name)`.
pub type OwnerEntry = ((String, String, String), (String, String));

/// A ReplicaSet's or Job's controller, from its metadata. Items of a metadata-only list do not
/// say their kind, so the caller does.
pub fn owner_entry(o: RawObject, kind: &str) -> Option<OwnerEntry> {
    let meta = o.metadata?;
    let owner = controller(meta.owner_references.as_deref().unwrap_or_default())?;
    Some(((meta.namespace?, kind.to_owned(), meta.name?), owner))
}

fn controller(refs: &[crate::source::objects::RawOwnerRef]) -> Option<(String, String)> {
    refs.iter()
        .find(|r| r.controller == Some(true))
        .or_else(|| refs.first())
        .and_then(|r| Some((r.kind.clone()?, r.name.clone()?)))
}

/// A Pod of a list, as the fold needs it.
pub fn cluster_pod(o: RawObject) -> ClusterPod {
    let meta = o.metadata.unwrap_or_default();
    let spec = o.spec.unwrap_or_default();
    ClusterPod {
        namespace: meta.namespace.clone().unwrap_or_default(),
        name: meta.name.clone().unwrap_or_default(),
        labels: labels_or_empty(meta.labels.as_ref()),
        owner: controller(meta.owner_references.as_deref().unwrap_or_default()),
        host_network: spec.host_network.unwrap_or(false),
        ports: container_ports([spec.containers.as_ref(), spec.init_containers.as_ref()]),
        service_account: spec.service_account_name,
        suppression: meta.suppression(),
    }
}

/// A DaemonSet of kube-system, as CNI detection needs it.
pub fn daemon_set(o: RawObject) -> DaemonSetInfo {
    let name = o.metadata.and_then(|m| m.name).unwrap_or_default();
    let pod_spec = o
        .spec
        .and_then(|s| s.template)
        .and_then(|t| t.spec)
        .unwrap_or_default();
    let images = [pod_spec.containers, pod_spec.init_containers]
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|c| c.image)
        .collect();
    DaemonSetInfo { name, images }
}

/// A Namespace of a list page; `None` without a name.
pub fn namespace_from_list(o: RawObject) -> Option<crate::model::Namespace> {
    let meta = o.metadata?;
    let name = meta.name.clone()?;
    Some(namespace_object(name, &meta, Origin::default()))
}

/// A cluster-scoped policy of a list page, of the kind and version listed; `None` without a
/// name.
pub fn cluster_policy_from_list(
    kind: ClusterPolicyKind,
    api_version: &str,
    o: RawObject,
) -> Option<ClusterPolicy> {
    let meta = o.metadata?;
    let name = meta.name.clone()?;
    Some(cluster_policy(
        kind,
        api_version.to_owned(),
        name,
        &meta,
        o.spec.unwrap_or_default(),
        Origin::default(),
    ))
}

/// A CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy of a list page, with the verdict of
/// its status; `None` without a name (or, namespaced, without a namespace).
pub fn cilium_policy_from_list(kind: CiliumPolicyKind, o: RawObject) -> Option<CiliumPolicy> {
    let meta = o.metadata?;
    let name = meta.name.clone()?;
    let namespace = match meta.namespace.clone().filter(|n| !n.is_empty()) {
        Some(ns) => ns,
        None if kind.cluster_scoped() => String::new(),
        None => return None,
    };
    Some(cilium_policy(
        kind,
        namespace,
        name,
        &meta,
        o.spec,
        o.specs,
        o.status.as_ref(),
        Origin::default(),
    ))
}

/// A Calico policy or tier from a list page; `None` without a name, or without a namespace
/// for a namespaced kind.
pub fn calico_from_list(
    class: CalicoClass,
    api_version: &str,
    o: RawCalicoObject,
) -> Option<CalicoObject> {
    let meta = o.metadata?;
    let name = meta.name.clone()?;
    let namespace = match meta.namespace.clone().filter(|n| !n.is_empty()) {
        Some(ns) => ns,
        None if matches!(class, CalicoClass::Policy(k) if !k.cluster_scoped()) => return None,
        None => String::new(),
    };
    Some(calico::calico_object(
        class,
        api_version.to_owned(),
        namespace,
        name,
        &meta,
        o.spec,
        Origin::default(),
        None,
    ))
}

/// A StagedKubernetesNetworkPolicy from a list page: its spec is a NetworkPolicy's.
pub fn staged_kubernetes_from_list(api_version: &str, mut o: RawObject) -> Option<CalicoPolicy> {
    let meta = o.metadata.take()?;
    let name = meta.name.clone()?;
    let namespace = meta.namespace.clone().filter(|n| !n.is_empty())?;
    let spec = o.spec.take().unwrap_or_default();
    let staged_action = spec.staged_action.clone();
    let policy = network_policy(namespace, name, &meta, spec, Origin::default());
    Some(calico::staged_kubernetes(
        api_version.to_owned(),
        &meta,
        staged_action,
        policy,
    ))
}

/// An object of a policy kind this version does not evaluate, from a list page (of metadata
/// only: its name and namespace are all the report says of it); `None` without a name.
pub fn ignored_policy_from_list(
    api_version: &str,
    kind: &str,
    o: RawObject,
) -> Option<IgnoredPolicy> {
    let meta = o.metadata?;
    Some(IgnoredPolicy {
        api_version: api_version.to_owned(),
        kind: kind.to_owned(),
        namespace: meta.namespace.filter(|n| !n.is_empty()),
        name: meta.name?,
        origin: Origin::default(),
    })
}

/// A NetworkPolicy of a list page; `None` without a name or a namespace.
pub fn policy_from_list(o: RawObject) -> Option<crate::model::NetworkPolicy> {
    let meta = o.metadata?;
    let name = meta.name.clone()?;
    let namespace = meta.namespace.clone()?;
    Some(network_policy(
        namespace,
        name,
        &meta,
        o.spec.unwrap_or_default(),
        Origin::default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(server: &str, vars: &[(&str, &str)]) -> Option<String> {
        let env = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        proxy_for(&server.parse().unwrap(), env).map(|u| u.to_string())
    }

    #[test]
    fn the_environment_proxy_is_used_as_go_uses_it() {
        let https = [("HTTPS_PROXY", "proxy.corp:3128")];
        assert_eq!(
            proxy("https://k8s.corp:6443", &https).as_deref(),
            Some("http://proxy.corp:3128/")
        );
        // Never for loopback servers, nor for plain-HTTP servers from HTTPS_PROXY.
        assert_eq!(proxy("https://127.0.0.1:6443", &https), None);
        assert_eq!(proxy("https://localhost:6443", &https), None);
        assert_eq!(proxy("https://[::1]:6443", &https), None);
        assert_eq!(proxy("http://k8s.corp:8080", &https), None);
        // NO_PROXY: domains (with or without the leading dot), hosts with ports, CIDRs, *.
        for no_proxy in ["corp", ".corp", "k8s.corp:6443", "*", "x, k8s.corp"] {
            let vars = [https[0], ("NO_PROXY", no_proxy)];
            assert_eq!(proxy("https://k8s.corp:6443", &vars), None, "{no_proxy}");
        }
        let vars = [https[0], ("no_proxy", "10.0.0.0/8")];
        assert_eq!(proxy("https://10.1.2.3:6443", &vars), None);
        assert!(proxy("https://192.168.1.1:6443", &vars).is_some());
        let vars = [https[0], ("NO_PROXY", "notcorp")];
        assert!(proxy("https://k8s.corp:6443", &vars).is_some());
    }
}
