//! `diff`: both sides loaded by the existing sources, analysed alike, compared.

use clap::{ArgGroup, Args, ValueEnum};

use crate::analysis::{self, RuleConfig, Scope};
use crate::diff::{self, ConnectivityDiff};
use crate::error::Error;
use crate::model::Inventory;
use crate::output;
use crate::report::Source;
use crate::source::cluster::{self, ClusterOptions};
use crate::source::{self as sources, git, overlay, ManifestOptions};

use super::{CiliumModeArgs, ClusterArgs, HostNetworkArgs, EXIT_FINDINGS, EXIT_OK};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// The changes in sentences, grouped, with a summary line.
    Table,
    /// For a pull-request comment: a summary line, then sections, long lists collapsed.
    Markdown,
    /// The ConnectivityDiff object (docs/report.md).
    Json,
    /// SARIF 2.1.0: new openings and newly uncovered workloads at their file and line.
    Sarif,
    /// Graphviz DOT: opened (blue, solid) and closed (orange, dashed) connections, and what
    /// stays allowed between the workloads they touch (grey, dotted).
    Dot,
    /// A Mermaid flowchart of the same.
    Mermaid,
    /// An SVG picture of the same, laid out in-process, with a legend.
    Svg,
}

/// What makes the exit status 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFailOn {
    /// A workload loses isolation in a direction, a new workload arrives uncovered, or a new
    /// finding at error appears.
    Uncovered,
    /// Those, or any connection the change opens.
    Opened,
    /// Any change of coverage, connections or findings.
    Any,
    Never,
}

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("base_side")
        .required(true)
        .args(["base", "base_ref", "base_cluster"])
))]
pub struct DiffArgs {
    /// The new side: manifest file, directory (recursive) or - for stdin. Repeatable.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "PATH",
        required_unless_present_any = ["kustomize", "chart"]
    )]
    pub filenames: Vec<String>,

    /// The new side also (or instead) from kustomizations and a chart; the base from --base
    /// or --base-cluster.
    #[command(flatten)]
    pub sources: super::inputs::SourceArgs,

    /// The base: manifest file, directory or - for stdin. Repeatable.
    #[arg(long, value_name = "PATH")]
    pub base: Vec<String>,

    /// The base: the same -f paths at a Git revision (branch, tag, commit), read with git
    /// from the repository they are in, without a checkout.
    #[arg(long, value_name = "REF")]
    pub base_ref: Option<String>,

    /// The base: the cluster of the kubeconfig context now, in the namespaces the new side
    /// touches (every namespace with -A); the new side is the cluster with the manifests
    /// applied over it, as `kubectl apply` would.
    #[arg(long)]
    pub base_cluster: bool,

    /// Namespace for objects that do not name one (default: "default"; with --base-cluster,
    /// the context's namespace).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// With --base-cluster: read every namespace of the cluster.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,

    #[arg(short = 'o', long, value_enum, default_value_t = DiffFormat::Table)]
    pub output: DiffFormat,

    /// What makes the exit status 1: `uncovered` (default), `opened`, `any` or `never`.
    #[arg(long, value_enum, default_value_t = DiffFailOn::Uncovered, value_name = "WHAT")]
    pub fail_on: DiffFailOn,

    /// Also list every workload pair whose connection changed.
    #[arg(long)]
    pub pairs: bool,

    /// With -o markdown: keep the comment within this many bytes (GitHub takes comments of
    /// up to 65,536 characters), leaving out the items that do not fit and saying how many;
    /// 0 for no limit.
    #[arg(long, value_name = "BYTES", default_value_t = 65_536)]
    pub markdown_limit: usize,

    /// Include kube-system, kube-public and kube-node-lease.
    #[arg(long)]
    pub include_system: bool,

    /// Leave out namespaces matching this glob (e.g. 'team-*'). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude_namespace: Vec<String>,

    #[command(flatten)]
    pub host_network: HostNetworkArgs,

    #[command(flatten)]
    pub cilium: CiliumModeArgs,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// With --base or --base-ref: both sides are applied over the cluster they go into (its
    /// objects in the namespaces either side touches), so the diff is between the cluster
    /// with the base and the cluster with the new side.
    #[command(flatten)]
    pub with_cluster: super::with_cluster::WithClusterArgs,
}

struct Loaded {
    inventory: Inventory,
    source: Source,
    /// What the diff must say about how this side was read.
    notes: Vec<String>,
}

/// A side read from -f (and, for the new side, -k and --chart).
fn manifests(
    args: &DiffArgs,
    filenames: &[String],
    sources: &super::inputs::SourceArgs,
    namespace: &str,
) -> Result<Loaded, Error> {
    let (inventory, source) = super::inputs::read(&super::inputs::Request {
        filenames,
        sources,
        release: args.with_cluster.release.as_deref(),
        namespace,
        namespace_given: args.namespace.is_some(),
    })?;
    Ok(Loaded {
        inventory,
        source,
        notes: Vec::new(),
    })
}

fn at_revision(
    filenames: &[String],
    revision: &str,
    namespace: &str,
    include_hooks: bool,
) -> Result<Loaded, Error> {
    let read = git::read(filenames, revision)?;
    let options = ManifestOptions {
        default_namespace: namespace.to_owned(),
        skip_helm_hooks: !include_hooks,
    };
    let inventory = sources::manifests::load_read(&read, &options)?;
    let source = Source::manifests(read.iter().map(|l| l.name.to_string()).collect());
    Ok(Loaded {
        inventory,
        source,
        notes: Vec::new(),
    })
}

/// The cluster now, and the cluster with the manifests applied.
fn against_cluster(args: &DiffArgs) -> Result<(Loaded, Loaded), Error> {
    let c = &args.cluster;
    // The namespace of manifests that name none: -n, else the context's (as kubectl apply).
    let probe = ClusterOptions {
        namespace: args.namespace.clone(),
        all_namespaces: args.all_namespaces,
        progress: false,
        ..c.options()
    };
    let default_namespace = match &args.namespace {
        Some(n) => n.clone(),
        None => cluster::context_namespace(&probe)?,
    };
    let head = manifests(args, &args.filenames, &args.sources, &default_namespace)?;
    let namespaces = crate::source::with_cluster::touched(&head.inventory);
    let options = match (args.all_namespaces, namespaces.len()) {
        (false, 1) => ClusterOptions {
            namespace: namespaces.iter().next().cloned(),
            ..probe
        },
        _ => ClusterOptions {
            namespace: None,
            all_namespaces: true,
            ..probe
        },
    };
    let data = cluster::load(&options)?;
    let mut base = data.inventory;
    let mut notes = data.notes;
    if !args.all_namespaces {
        notes.push(format!(
            "the cluster was read in namespace{} {} only: rules whose peers are pods of other \
             namespaces see none of them there (-A reads every namespace)",
            if namespaces.len() == 1 { "" } else { "s" },
            namespaces.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
        // Every namespace was listed for several: keep those the change touches, and what
        // is cluster-scoped.
        let keep = |ns: &str| namespaces.contains(ns);
        base.workloads.retain(|w| keep(&w.namespace));
        base.policies.retain(|p| keep(&p.namespace));
        base.cilium_policies.retain(|p| {
            p.namespace
                .as_deref()
                .is_none_or(|n| keep(n) || p.kind.cluster_scoped())
        });
        base.calico_policies
            .retain(|p| p.namespace.as_deref().is_none_or(keep));
    }
    let source = Source::cluster(data.context, data.server, data.cni);
    let applied = overlay::apply_over(base.clone(), head.inventory);
    let mut head_source = head.source;
    head_source.context = source.context.clone();
    head_source.server = source.server.clone();
    Ok((
        Loaded {
            inventory: base,
            source,
            notes,
        },
        Loaded {
            inventory: applied,
            source: head_source,
            notes: Vec::new(),
        },
    ))
}

/// Both sides applied over the cluster (read for the namespaces either touches); the release
/// (`--release`, else the new side's instance label) loses on each side what that side lacks.
fn in_cluster(
    args: &DiffArgs,
    mode: crate::source::with_cluster::WithCluster,
    options: &ClusterOptions,
    base: Loaded,
    head: Loaded,
) -> Result<(Loaded, Loaded), Error> {
    let both = overlay::apply_over(base.inventory.clone(), head.inventory.clone());
    let Some(cluster) =
        crate::source::with_cluster::load_as(mode, options, &both, args.all_namespaces)?
    else {
        return Ok((base, head));
    };
    let release = crate::source::with_cluster::release_of(
        &head.inventory,
        args.with_cluster.release.as_deref(),
    );
    let side = |mut loaded: Loaded| {
        let (merged, _) =
            crate::in_cluster::merge(&cluster, loaded.inventory, release.as_deref(), None);
        loaded.inventory = merged.after;
        loaded.source.context = Some(cluster.context.clone());
        loaded.source.server = Some(cluster.server.clone());
        loaded
    };
    let mut base = side(base);
    base.notes.extend(cluster.notes.iter().cloned());
    Ok((base, side(head)))
}

pub fn diff(args: &DiffArgs) -> Result<i32, Error> {
    let stdin_twice = args.filenames.iter().any(|f| f == "-") && args.base.iter().any(|f| f == "-");
    if args.base_ref.is_some() && args.filenames.iter().any(|f| f == "-") {
        return Err(Error::Usage(
            "--base-ref reads the -f paths at a Git revision: stdin (-f -) has no revision; \
             use --base PATH for the base instead"
                .to_owned(),
        ));
    }
    if args.base_ref.is_some() && args.sources.any() {
        return Err(Error::Usage(
            "--base-ref reads the -f paths at a Git revision: -k and --chart are rendered from \
             the working tree only; render the base revision yourself and give it with --base PATH"
                .to_owned(),
        ));
    }
    if stdin_twice {
        return Err(Error::Usage(
            "-f - and --base - both read stdin: give one of the sides as files".to_owned(),
        ));
    }
    if args.base_cluster && args.with_cluster.with_cluster.is_some() {
        return Err(Error::Usage(
            "--base-cluster already applies -f over the cluster: --with-cluster is for --base \
             and --base-ref"
                .to_owned(),
        ));
    }
    let (mut base, mut head) = if args.base_cluster {
        against_cluster(args)?
    } else {
        let cluster_options = super::with_cluster::options(&args.cluster, false);
        let namespace = match args.with_cluster.with_cluster {
            Some(mode) => super::with_cluster::default_namespace(
                mode,
                args.namespace.as_deref(),
                &cluster_options,
            )?,
            None => args.namespace.clone().unwrap_or_else(|| "default".into()),
        };
        // Hooks count on both sides or on neither.
        let base_sources = super::inputs::SourceArgs {
            include_hooks: args.sources.include_hooks,
            ..Default::default()
        };
        // Read side by side: reading is most of a large diff's fixed cost. The new side's
        // error, when both fail, is the one told, as when they were read one after the other.
        let (head, base) = rayon::join(
            || manifests(args, &args.filenames, &args.sources, &namespace),
            || match &args.base_ref {
                Some(revision) => at_revision(
                    &args.filenames,
                    revision,
                    &namespace,
                    args.sources.include_hooks,
                ),
                None => manifests(args, &args.base, &base_sources, &namespace),
            },
        );
        let (head, base) = (head?, base?);
        match args.with_cluster.with_cluster {
            Some(mode) => in_cluster(args, mode, &cluster_options, base, head)?,
            None => (base, head),
        }
    };
    let scope = Scope::new(args.include_system, &args.exclude_namespace)?;
    for side in [&mut base, &mut head] {
        args.cilium.apply(&mut side.inventory);
        scope.apply(&mut side.inventory);
    }
    super::note_ignored_policies(&head.inventory);

    let host_network = args.host_network.model();
    let options = analysis::Options {
        host_network,
        selector: None,
        cilium_mode: args.cilium.mode(),
    };
    let mut result = diff::of_inventories(
        (&base.inventory, base.source.clone()),
        (&head.inventory, head.source.clone()),
        &options,
        &RuleConfig::default(),
        &diff::Options {
            // A graph draws every pair.
            pairs: args.pairs || graph_format(args.output),
            ..diff::Options::default()
        },
    );
    result.notes.extend(base.notes.iter().cloned());
    let graph =
        graph_format(args.output).then(|| diff_graph(&result, &head.inventory, host_network));
    let human = matches!(args.output, DiffFormat::Table | DiffFormat::Markdown);
    super::connectivity::print(human, |out| match args.output {
        DiffFormat::Table => output::diff::table(&result, out),
        DiffFormat::Markdown => output::diff::markdown(
            &result,
            (args.markdown_limit > 0).then_some(args.markdown_limit),
            out,
        ),
        DiffFormat::Json => output::diff::json(&result, out),
        DiffFormat::Sarif => output::diff::sarif(&result, out),
        DiffFormat::Dot => output::graph::dot::render(graph.as_ref().expect("built above"), out),
        DiffFormat::Mermaid => {
            output::graph::mermaid::render(graph.as_ref().expect("built above"), out)
        }
        DiffFormat::Svg => output::graph::svg::render(graph.as_ref().expect("built above"), out),
    })?;
    let code = exit_code(args.fail_on, &result);
    // Exiting next: freeing two inventories and the diff would only delay it.
    std::mem::forget((base, head, result, graph));
    Ok(code)
}

fn graph_format(f: DiffFormat) -> bool {
    matches!(f, DiffFormat::Dot | DiffFormat::Mermaid | DiffFormat::Svg)
}

/// The diff's graph, with what stays allowed between the workloads the change touches (worked
/// out on the head inventory for those workloads only).
fn diff_graph(
    result: &diff::ConnectivityDiff,
    head: &crate::model::Inventory,
    host_network: crate::semantics::HostNetwork,
) -> output::graph::Graph {
    use crate::connectivity::matrix::{Peer, Rows};
    let name =
        |w: &crate::model::Workload| format!("{}/{}[{}]", w.namespace, w.name, w.kind.as_str());
    let mut touched: std::collections::HashSet<String> = std::collections::HashSet::new();
    for p in result.pairs.iter().flatten() {
        touched.insert(p.source.clone());
        touched.insert(p.destination.clone());
    }
    for e in &result.external {
        let w = &e.workload;
        touched.insert(format!("{}/{}[{}]", w.namespace, w.name, w.kind));
    }
    let opened: std::collections::HashMap<(&str, &str), &crate::semantics::ConnSet> = result
        .pairs
        .iter()
        .flatten()
        .map(|p| ((p.source.as_str(), p.destination.as_str()), &p.opened))
        .collect();
    let mut unchanged = Vec::new();
    if !touched.is_empty() {
        let engine = crate::connectivity::Engine::with_host_network(head, host_network);
        let rows = Rows::new(&engine, |w| touched.contains(&name(&head.workloads[w])));
        let workloads: Vec<Peer> = rows.workloads.iter().map(|&w| Peer::Workload(w)).collect();
        let _ = rows.for_each::<()>(&workloads, |e| {
            if let (Peer::Workload(s), Peer::Workload(d)) = (e.source, e.destination) {
                let (s, d) = (name(&head.workloads[s]), name(&head.workloads[d]));
                // A pair the change touched keeps what it did not open.
                let kept = match opened.get(&(s.as_str(), d.as_str())) {
                    Some(o) => e.allowed.subtract(o),
                    None => e.allowed,
                };
                if !kept.is_empty() {
                    unchanged.push((s, d, kept));
                }
            }
            Ok(())
        });
    }
    let title = format!(
        "What the change does: {}",
        output::diff::summary_line(result)
    );
    output::graph::model::diff_graph(result, &unchanged, title)
}

pub fn exit_code(fail_on: DiffFailOn, d: &ConnectivityDiff) -> i32 {
    let fails = match fail_on {
        DiffFailOn::Uncovered => d.uncovers(),
        DiffFailOn::Opened => d.uncovers() || d.opens(),
        DiffFailOn::Any => !d.is_empty(),
        DiffFailOn::Never => false,
    };
    if fails {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
