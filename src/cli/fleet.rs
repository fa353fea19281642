//! Fleet mode of the check: several clusters read at once, one report.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::{CheckArgs, EXIT_ERROR};
use crate::error::Error;
use crate::fleet::{self, Failure, Outcome};
use crate::output::{self, Format};
use crate::source::cluster::{self, ClusterOptions};

/// Clusters read at the same time: each read runs its own lists concurrently, and the machine
/// running a CI job has a few cores.
const CONCURRENCY: usize = 4;

pub(super) fn check(args: &CheckArgs) -> Result<i32, Error> {
    // Bad flags are refused before any cluster is asked anything.
    args.verdict.rules()?;
    args.verdict.scope()?;
    let base = args.cluster.options();
    let contexts = contexts(args, &base)?;
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<(Outcome, i32)>>> =
        contexts.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..CONCURRENCY.min(contexts.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((context, server)) = contexts.get(i) else {
                    break;
                };
                let done = one(args, &base, context, server);
                *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(done);
            });
        }
    });
    let (outcomes, codes): (Vec<Outcome>, Vec<i32>) = slots
        .into_iter()
        .filter_map(|slot| slot.into_inner().unwrap_or_else(|e| e.into_inner()))
        .unzip();
    let color = args.verdict.color.enabled();
    let mut text = Vec::new();
    match args.output {
        Format::Table | Format::Wide => {
            let mut out = output::terminal::Escaping::new(&mut text, color);
            output::table::render_fleet(&outcomes, args.output == Format::Wide, color, &mut out)
                .and_then(|_| std::io::Write::flush(&mut out))
                .expect("writing to memory cannot fail");
        }
        format => {
            let fail_on = args.verdict.fail_on;
            let fails = |f: &crate::report::Finding| fail_on.fails(f);
            output::render_failing(&fleet::merge(outcomes), format, color, &fails, &mut text)
                .map_err(|e| Error::io("<stdout>", &e))?;
        }
    }
    super::write_stdout(&text)?;
    Ok(fleet::exit_code(codes))
}

/// The contexts to check, each with the server its kubeconfig names (for the report of a
/// context that fails before it is reached), in the order given, each once.
fn contexts(args: &CheckArgs, base: &ClusterOptions) -> Result<Vec<(String, String)>, Error> {
    if args.cluster.all_contexts {
        let all = cluster::context_servers(base)?;
        if all.is_empty() {
            return Err(Error::Usage(
                "--all-contexts: the kubeconfig has no contexts".to_owned(),
            ));
        }
        return Ok(all);
    }
    // A kubeconfig that cannot be read fails each context below, with its reason.
    let known = cluster::context_servers(base).unwrap_or_default();
    let mut contexts: Vec<(String, String)> = Vec::new();
    for name in &args.cluster.context {
        if contexts.iter().any(|(c, _)| c == name) {
            continue;
        }
        let server = known
            .iter()
            .find(|(c, _)| c == name)
            .map(|(_, s)| s.clone())
            .unwrap_or_default();
        contexts.push((name.clone(), server));
    }
    Ok(contexts)
}

/// Reads and checks one cluster; its exit status (2 when it could not be checked). A failure
/// is said on stderr at once, and the other clusters go on.
fn one(args: &CheckArgs, base: &ClusterOptions, context: &str, server: &str) -> (Outcome, i32) {
    let options = ClusterOptions {
        context: Some(context.to_owned()),
        namespace: args.namespace.clone(),
        all_namespaces: args.all_namespaces,
        // Several spinners on one line would garble each other.
        progress: false,
        ..base.clone()
    };
    let checked = cluster::load(&options)
        .and_then(|data| super::cluster_report(args, data, true).map(|(r, _)| r));
    match checked {
        Ok(report) => {
            let code = args.verdict.fail_on.exit_code(&report);
            let outcome = Outcome {
                context: context.to_owned(),
                server: report.source.server.clone().unwrap_or_default(),
                result: Ok(report),
            };
            (outcome, code)
        }
        Err(e) => {
            let words = e.to_string();
            // Most errors name the context already ("context \"x\" does not exist").
            let line = if words.contains(&format!("{context:?}")) {
                words
            } else {
                format!("context {context:?}: {words}")
            };
            eprintln!("error: {}", output::terminal::escape_lines(&line));
            let (server, message) = match &e {
                Error::Cluster {
                    server, message, ..
                } => (server.clone(), message.clone()),
                other => (server.to_owned(), other.to_string()),
            };
            let failure = Failure {
                status: cluster::failure_status(&e),
                message,
            };
            let outcome = Outcome {
                context: context.to_owned(),
                server,
                result: Err(failure),
            };
            (outcome, EXIT_ERROR)
        }
    }
}
