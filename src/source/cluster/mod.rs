//! Live clusters: the kubeconfig (or in-cluster config), concurrent paginated lists, and the
//! inventory they make.

pub mod fetch;
pub mod fold;

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use crate::cni::{self, Cni, DaemonSetInfo};
use crate::error::Error;
use crate::model::{Inventory, Origin};
use crate::source::objects::{container_ports, labels_or_empty, RawObject};
use crate::source::stream::{namespace_object, network_policy};

use fetch::{ListError, Lister, Progress, Resource};
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
    /// `-l`: limits the pods (so the workloads) reported.
    pub selector: Option<String>,
    pub request_timeout: Option<Duration>,
    pub page_size: u32,
    /// Show a progress line on stderr (a terminal, and not -o json/yaml).
    pub progress: bool,
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

struct Connection {
    client: Client,
    context: String,
    server: String,
    default_namespace: String,
}

async fn connect(options: &ClusterOptions) -> Result<Connection, Error> {
    let unknown = |context: &str, message: String| Error::Cluster {
        context: context.to_owned(),
        server: "no server".to_owned(),
        message,
    };
    let kubeconfig = match &options.kubeconfig {
        Some(path) => Some(
            Kubeconfig::read_from(path)
                .map_err(|e| Error::Io {
                    path: path.display().to_string(),
                    message: fetch::error_chain(&e),
                })?,
        ),
        None => match Kubeconfig::read() {
            Ok(k) => Some(k),
            // kubectl's order: $KUBECONFIG, ~/.kube/config, then the pod's service account.
            Err(_) if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() => None,
            Err(e) => {
                return Err(unknown(
                    options.context.as_deref().unwrap_or("(current)"),
                    format!("no usable kubeconfig ($KUBECONFIG or ~/.kube/config), and not running in a pod: {}", fetch::error_chain(&e)),
                ))
            }
        },
    };
    let (mut config, context) = match kubeconfig {
        Some(kubeconfig) => {
            let context = options
                .context
                .clone()
                .or_else(|| kubeconfig.current_context.clone())
                .unwrap_or_default();
            let kube_options = KubeConfigOptions {
                context: options.context.clone(),
                cluster: options.cluster.clone(),
                user: options.user.clone(),
            };
            let config = Config::from_custom_kubeconfig(kubeconfig, &kube_options)
                .await
                .map_err(|e| unknown(&context, fetch::error_chain(&e)))?;
            (config, context)
        }
        None => {
            let config =
                Config::incluster().map_err(|e| unknown("in-cluster", fetch::error_chain(&e)))?;
            (config, "in-cluster".to_owned())
        }
    };
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
    let default_namespace = config.default_namespace.clone();
    let client = Client::try_from(config).map_err(|e| Error::Cluster {
        context: context.clone(),
        server: server.clone(),
        message: fetch::error_chain(&e),
    })?;
    Ok(Connection {
        client,
        context,
        server,
        default_namespace,
    })
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
    let (ns_r, pods_r, np_r, rs_r, jobs_r, ds_r) = tokio::join!(
        lister.list(fetch::NAMESPACES, None, None, None, |o| namespaces.push(o)),
        lister.list(
            fetch::PODS,
            ns,
            options.selector.as_deref(),
            Some(RUNNING_PODS),
            |o| { pods.push(cluster_pod(o)) }
        ),
        lister.list(fetch::NETWORK_POLICIES, ns, None, None, |o| raw_policies
            .push(o)),
        lister.list(fetch::REPLICA_SETS, ns, None, None, |o| replica_sets
            .push(owner_entry(o, "ReplicaSet"))),
        lister.list(fetch::JOBS, ns, None, None, |o| jobs
            .push(owner_entry(o, "Job"))),
        lister.list(fetch::DAEMON_SETS, Some("kube-system"), None, None, |o| {
            daemon_sets.push(daemon_set(o))
        }),
    );
    progress.finish();

    // Nothing answered at all, or the credentials were refused: stop with the reason.
    for r in [&ns_r, &pods_r, &np_r, &rs_r, &jobs_r, &ds_r] {
        match r {
            Err(ListError::Transport(m)) => {
                return Err(fail(format!("cannot reach the API server: {m}")))
            }
            Err(e @ ListError::Unending(_)) => return Err(fail(e.to_string())),
            Err(ListError::Api { code: 401, message }) => {
                return Err(fail(format!(
                    "Unauthorized: the server rejected the credentials ({message})"
                )))
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

    let mut notes = Vec::new();
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

    let owners: Owners = replica_sets.into_iter().chain(jobs).flatten().collect();
    let pod_owners = fold::pod_owners(&pods, &owners);
    let mut inventory = Inventory {
        namespaces: namespaces
            .into_iter()
            .filter_map(|o| {
                let meta = o.metadata?;
                let name = meta.name.clone()?;
                Some(namespace_object(name, &meta, Origin::default()))
            })
            .filter(|n| scope.as_deref().is_none_or(|s| s == n.name))
            .collect(),
        workloads: fold::fold(pods, &owners),
        policies: raw_policies
            .into_iter()
            .filter_map(|o| {
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
            })
            .collect(),
        skipped_kinds: Default::default(),
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
    })
}

async fn retry_per_namespace(
    lister: &Lister,
    (resource, kind): (Resource, &str),
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
