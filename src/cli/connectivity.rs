//! `explain`, `reach` and `matrix`: load the inventory (manifests or cluster), ask the
//! connectivity engine, print.

use std::io::Write;

use crate::analysis::{self, RuleConfig};
use crate::connectivity::reach::{self as reach_engine, End};
use crate::connectivity::{
    explain as explain_engine, matrix as matrix_engine, namespaces, Engine, Target,
};
use crate::error::Error;
use crate::model::Inventory;
use crate::output;
use crate::output::graph;
use crate::report::Source;
use crate::source::cluster::{self, ClusterOptions};

use super::{
    Expect, ExplainArgs, ExplainFormat, InputArgs, MatrixArgs, MatrixBy, MatrixFormat, ReachArgs,
    TextFormat, EXIT_FINDINGS, EXIT_OK,
};

struct Loaded {
    inventory: Inventory,
    source: Source,
    /// Where names without a namespace are looked up.
    namespace: String,
    /// Whether -n was given (for manifests, it also scopes `matrix`).
    namespace_given: bool,
}

fn load(input: &InputArgs) -> Result<Loaded, Error> {
    if !input.filenames.is_empty() || input.sources.any() {
        let cluster_options = super::with_cluster::options(&input.cluster, false);
        let namespace = match input.with_cluster.with_cluster {
            Some(mode) => super::with_cluster::default_namespace(
                mode,
                input.namespace.as_deref(),
                &cluster_options,
            )?,
            None => input.namespace.clone().unwrap_or_else(|| "default".into()),
        };
        let (mut inventory, mut source) = super::inputs::read(&super::inputs::Request {
            filenames: &input.filenames,
            sources: &input.sources,
            release: input.with_cluster.release.as_deref(),
            namespace: &namespace,
            namespace_given: input.namespace.is_some(),
        })?;
        input.cilium.apply(&mut inventory);
        super::note_ignored_policies(&inventory);
        if let Some(mode) = input.with_cluster.with_cluster {
            // Every namespace: a peer or a policy elsewhere decides what reaches the named
            // workloads.
            let merged = super::with_cluster::merged(
                &input.with_cluster,
                mode,
                &cluster_options,
                inventory,
                true,
                |i| input.cilium.apply(i),
            )?;
            inventory = match merged {
                Ok((base, merged)) => {
                    for note in &base.notes {
                        eprintln!("note: {}", output::terminal::escape_lines(note));
                    }
                    source.context = Some(base.context);
                    source.server = Some(base.server);
                    merged.after
                }
                Err(without) => without,
            };
        }
        return Ok(Loaded {
            inventory,
            source,
            namespace,
            namespace_given: input.namespace.is_some(),
        });
    }
    let c = &input.cluster;
    // Every namespace: a peer or a policy elsewhere decides what reaches the named workloads.
    let options = ClusterOptions {
        namespace: input.namespace.clone(),
        all_namespaces: true,
        progress: false,
        ..c.options()
    };
    let data = cluster::load(&options)?;
    for note in &data.notes {
        eprintln!("note: {}", output::terminal::escape_lines(note));
    }
    let mut inventory = data.inventory;
    input.cilium.apply(&mut inventory);
    super::note_ignored_policies(&inventory);
    Ok(Loaded {
        inventory,
        source: Source::cluster(data.context, data.server, data.cni),
        namespace: data.default_namespace,
        namespace_given: input.namespace.is_some(),
    })
}

fn resolve(text: &str, inventory: &Inventory, namespace: &str) -> Result<End, Error> {
    let target = Target::parse(text)?;
    Ok(match target {
        Target::Address(ip) => End::Address(ip),
        Target::Network(net) => End::Network(net),
        Target::Workload { .. } => End::Workload(
            target
                .resolve(inventory, namespace)?
                .expect("a workload target resolves to a workload"),
        ),
    })
}

/// Writes to stdout; a closed pipe is not an error.
/// `human`: text for people, whose control characters are escaped (output::terminal); JSON
/// escapes its own.
pub(super) fn print(
    human: bool,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let stdout = std::io::stdout();
    let buffered = std::io::BufWriter::new(stdout.lock());
    let mut out: Box<dyn Write> = if human {
        Box::new(output::terminal::Escaping::new(buffered, false))
    } else {
        Box::new(buffered)
    };
    let result = write(&mut out).and_then(|_| out.flush());
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", &e)),
        _ => Ok(()),
    }
}

pub fn explain(args: &ExplainArgs) -> Result<i32, Error> {
    let loaded = load(&args.input)?;
    let inventory = &loaded.inventory;
    let End::Workload(w) = resolve(&args.workload, inventory, &loaded.namespace)? else {
        return Err(Error::Usage(format!(
            "{:?}: explain takes a workload (KIND/NAME), not an address",
            args.workload
        )));
    };
    let host_network = args.input.host_network.model();
    let engine = Engine::with_host_network(inventory, host_network);
    let explanation = explain_engine::explain(&engine, w);
    // The findings of the lints on this workload and on the policies its explanation shows.
    let options = analysis::Options {
        host_network,
        selector: None,
        cilium_mode: args.input.cilium.mode(),
    };
    let report =
        analysis::analyse_with_options(inventory, loaded.source, &RuleConfig::default(), &options);
    let workload = &inventory.workloads[w];
    let policies: Vec<(&str, &str)> = explanation
        .directions
        .iter()
        .flat_map(|d| d.selecting.iter().map(|(i, _)| *i))
        .map(|i| {
            let p = &inventory.policies[i];
            (p.namespace.as_str(), p.name.as_str())
        })
        .collect();
    let findings: Vec<&crate::report::Finding> = report
        .findings
        .iter()
        .filter(|f| {
            let ns = f.namespace.as_deref().unwrap_or("");
            (f.kind == workload.kind.as_str()
                && ns == workload.namespace
                && f.object == workload.name)
                || (f.kind == "NetworkPolicy" && policies.contains(&(ns, f.object.as_str())))
        })
        .collect();
    print(args.output == ExplainFormat::Text, |out| {
        match args.output {
            ExplainFormat::Text => output::explain::text(&engine, &explanation, &findings, out),
            ExplainFormat::Json => output::explain::json(&engine, &explanation, &findings, out),
            ExplainFormat::Dot | ExplainFormat::Mermaid | ExplainFormat::Svg => {
                // Every workload is a possible peer.
                let rows = matrix_engine::Rows::new(&engine, |_| true);
                let title = format!(
                    "Who may reach {0}/{1} [{2}], and what it may reach",
                    workload.namespace,
                    workload.name,
                    workload.kind.as_str()
                );
                let g = graph::model::explain_graph(inventory, w, &rows.around(w), title);
                match args.output {
                    ExplainFormat::Dot => graph::dot::render(&g, out),
                    ExplainFormat::Mermaid => graph::mermaid::render(&g, out),
                    _ => graph::svg::render(&g, out),
                }
            }
        }
    })?;
    Ok(EXIT_OK)
}

pub fn reach(args: &ReachArgs) -> Result<i32, Error> {
    let loaded = load(&args.input)?;
    let inventory = &loaded.inventory;
    let source = resolve(&args.source, inventory, &loaded.namespace)?;
    let to_namespace = args.to_namespace.as_deref().unwrap_or(&loaded.namespace);
    let destination = resolve(&args.destination, inventory, to_namespace)?;
    let engine = Engine::with_host_network(inventory, args.input.host_network.model());
    let port = args
        .port
        .as_ref()
        .map(|spec| (args.protocol.protocol(), spec));
    let answer = reach_engine::reach(&engine, source, destination, port)?;
    print(args.output == TextFormat::Text, |out| match args.output {
        TextFormat::Text => output::reach::text(&engine, &answer, out),
        TextFormat::Json => output::reach::json(&engine, &answer, out),
    })?;
    let expected = args.expect.unwrap_or(Expect::Allowed);
    // An unknown verdict (a hostNetwork end, node addresses not in the input) is neither.
    let verdict = match (answer.allowed, &answer.unknown) {
        (true, _) => Some(Expect::Allowed),
        (false, None) => Some(Expect::Denied),
        (false, Some(_)) => None,
    };
    if verdict == Some(expected) {
        return Ok(EXIT_OK);
    }
    // Without --expect the exit status is the verdict itself; with it, a CI log must say why
    // the step failed.
    if args.expect.is_some() {
        let name = |e: Option<Expect>| match e {
            Some(Expect::Allowed) => "allowed",
            Some(Expect::Denied) => "denied",
            None => "unknown",
        };
        eprintln!("expected {}, got {}", name(Some(expected)), name(verdict));
    }
    Ok(EXIT_FINDINGS)
}

/// Above this many workloads the workload view is refused without --force: a grid or graph
/// nobody can read, and output in the gigabytes (issue 19: 3.4 GB of JSON for 4,000).
pub const MAX_WORKLOADS: usize = 2_000;

pub fn matrix(args: &MatrixArgs) -> Result<i32, Error> {
    let loaded = load(&args.input)?;
    let inventory = &loaded.inventory;
    // Manifests: every namespace unless -n; a cluster: the context's namespace unless -A,
    // as kubectl does.
    let scope: Option<&str> = if args.all_namespaces {
        None
    } else if args.input.filenames.is_empty() || loaded.namespace_given {
        Some(&loaded.namespace)
    } else {
        None
    };
    let excluded = analysis::Scope::new(true, &args.exclude_namespace)?;
    let engine = Engine::with_host_network(inventory, args.input.host_network.model());
    // -l narrows the rows and columns; every workload still counts as a peer of the rules.
    let in_scope = |w: usize| {
        let workload = &inventory.workloads[w];
        scope.is_none_or(|ns| workload.namespace == ns)
            && excluded.contains(&workload.namespace)
            && args
                .selector
                .as_ref()
                .is_none_or(|s| workload.label_sets.iter().any(|l| s.matches(l)))
    };
    let count = (0..inventory.workloads.len())
        .filter(|&w| in_scope(w))
        .count();
    if args.by == MatrixBy::Workload && count > MAX_WORKLOADS && !args.force {
        return Err(Error::Usage(format!(
            "{} workloads in the matrix, more than {}: use --by namespace, or narrow it with -n \
             or -l, or write it anyway with --force",
            crate::text::thousands(count as u64),
            crate::text::thousands(MAX_WORKLOADS as u64)
        )));
    }
    let in_namespace = |w: &crate::model::Workload| scope.is_none_or(|ns| w.namespace == ns);
    if !inventory.workloads.iter().any(in_namespace) {
        let hint = match scope {
            Some(ns) => format!(
                "no workloads in namespace {ns:?}: -n NAMESPACE names another, -A takes every namespace"
            ),
            None => "no workloads in the input".to_owned(),
        };
        eprintln!("{}", output::terminal::escape_lines(&hint));
    }
    let title = matrix_title(&loaded, scope, args);
    if args.by == MatrixBy::Namespace {
        let m = namespaces::by_namespace(&engine, in_scope);
        if args.output != MatrixFormat::Json {
            for note in &m.notes {
                eprintln!("note: {}", output::terminal::escape_lines(note));
            }
        }
        let human = matches!(args.output, MatrixFormat::Table | MatrixFormat::Connlist);
        print(human, |out| match args.output {
            MatrixFormat::Table => output::namespace_matrix::table(&m, out),
            MatrixFormat::Json => output::namespace_matrix::json(inventory, &m, out),
            MatrixFormat::Connlist => output::namespace_matrix::connlist(&m, out),
            MatrixFormat::Dot => graph::dot::render(&graph::model::namespace_graph(&m, title), out),
            MatrixFormat::Mermaid => {
                graph::mermaid::render(&graph::model::namespace_graph(&m, title), out)
            }
            MatrixFormat::Svg => graph::svg::render(&graph::model::namespace_graph(&m, title), out),
        })?;
        return Ok(EXIT_OK);
    }
    let rows = matrix_engine::Rows::new(&engine, in_scope);
    let notes = rows.notes();
    // The connlist format has no place for them; JSON carries them.
    if args.output != MatrixFormat::Json {
        for note in &notes {
            eprintln!("note: {}", output::terminal::escape_lines(note));
        }
    }
    let human = matches!(args.output, MatrixFormat::Table | MatrixFormat::Connlist);
    print(human, |out| match args.output {
        MatrixFormat::Table => {
            let mut m = matrix_engine::Matrix {
                workloads: rows.workloads.clone(),
                ingress_segments: rows.ingress_segments.clone(),
                egress_segments: rows.egress_segments.clone(),
                entries: Vec::new(),
                notes: notes.clone(),
            };
            let _ = rows.for_each::<()>(&rows.peers(), |e| {
                m.entries.push(e);
                Ok(())
            });
            output::matrix::table(inventory, &m, out)
        }
        MatrixFormat::Json => output::matrix::json(inventory, &rows, &notes, out),
        MatrixFormat::Connlist => output::matrix::connlist(inventory, &rows, out),
        MatrixFormat::Dot | MatrixFormat::Mermaid | MatrixFormat::Svg => {
            let mut g = graph::model::WorkloadGraph::new(inventory, title, &rows.workloads);
            let _ = rows.for_each::<()>(&rows.peers(), |e| {
                g.add(&e, graph::EdgeClass::Allowed);
                Ok(())
            });
            let g = g.finish();
            match args.output {
                MatrixFormat::Dot => graph::dot::render(&g, out),
                MatrixFormat::Mermaid => graph::mermaid::render(&g, out),
                _ => graph::svg::render(&g, out),
            }
        }
    })?;
    Ok(EXIT_OK)
}

/// What the graph shows: the view and the scope.
fn matrix_title(loaded: &Loaded, scope: Option<&str>, args: &MatrixArgs) -> String {
    let view = match args.by {
        MatrixBy::Workload => "Workload connectivity",
        MatrixBy::Namespace => "Namespace connectivity",
    };
    let mut parts = vec![match scope {
        Some(ns) => format!("namespace {ns}"),
        None => "all namespaces".to_owned(),
    }];
    if let Some(context) = &loaded.source.context {
        parts.push(format!("context {context}"));
    }
    format!("{view}: {}", parts.join(", "))
}
