//! Serves a deterministic synthetic cluster over the Kubernetes list API, for benchmarks of the
//! live-cluster mode against a real HTTPS server instead of a cluster.
//!
//! ```text
//! cargo run --release --example apiserver -- --pods 50000 --policies 5000 --namespaces 1000 \
//!     --kubeconfig /tmp/bench.kubeconfig
//! kubectl-netpol_check --kubeconfig /tmp/bench.kubeconfig ...
//! ```
//!
//! It writes a kubeconfig for the server (context `apiserver`), prints the URL on stdout and
//! serves until killed. See tests/apiserver/mod.rs for what the server implements.

#[path = "../tests/apiserver/mod.rs"]
mod apiserver;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use apiserver::{ApiServer, Fixture, Options, Synthetic};

const USAGE: &str = "usage: apiserver [--pods N] [--policies N] [--namespaces N] [--seed S] \
                     [--kubeconfig PATH] [--context NAME] [--token TOKEN] [--http] \
                     [--max-page N] [--gzip-min-bytes N] [--statefulset PODS | --standalone PODS]";

struct Args {
    size: Synthetic,
    /// Instead of the synthetic cluster: PODS pods in one namespace, each with a label of its
    /// own, owned by one StatefulSet (`true`) or by nothing (`false`).
    one_owner: Option<(usize, bool)>,
    kubeconfig: Option<PathBuf>,
    context: String,
    options: Options,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        size: Synthetic {
            namespaces: 1_000,
            pods: 50_000,
            policies: 5_000,
            seed: 1,
        },
        one_owner: None,
        kubeconfig: None,
        context: "apiserver".to_string(),
        options: Options {
            token: Some("benchmark-token".to_string()),
            ..Options::default()
        },
    };
    while let Some(flag) = args.next() {
        if flag == "--http" {
            parsed.options.tls = false;
            continue;
        }
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag}: not a number: {value}"))
        };
        match flag.as_str() {
            "--pods" => parsed.size.pods = number()?,
            "--policies" => parsed.size.policies = number()?,
            "--namespaces" => parsed.size.namespaces = number()?,
            "--seed" => parsed.size.seed = number()? as u64,
            "--max-page" => parsed.options.max_page = Some(number()?),
            "--statefulset" => parsed.one_owner = Some((number()?, true)),
            "--standalone" => parsed.one_owner = Some((number()?, false)),
            "--gzip-min-bytes" => parsed.options.gzip_min_bytes = number()?,
            "--kubeconfig" => parsed.kubeconfig = Some(PathBuf::from(&value)),
            "--context" => parsed.context = value,
            "--token" => parsed.options.token = Some(value).filter(|t| !t.is_empty()),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(parsed)
}

/// The pods of one StatefulSet (or as many pods without owner), each labelled with its own
/// name as a StatefulSet labels its pods, and a default deny.
fn one_owner(pods: usize, owned: bool) -> Fixture {
    let mut objects = vec![
        apiserver::namespace("data", &[]),
        apiserver::network_policy(
            "data",
            "deny",
            serde_json::json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        ),
    ];
    for i in 0..pods {
        let name = format!("db-{i}");
        let mut pod = apiserver::pod(
            "data",
            &name,
            &[("app", "db"), ("statefulset.kubernetes.io/pod-name", &name)],
        );
        if owned {
            pod["metadata"]["ownerReferences"] = serde_json::json!([{"apiVersion": "apps/v1",
                "kind": "StatefulSet", "name": "db", "uid": "7d2c", "controller": true}]);
        }
        objects.push(pod);
    }
    Fixture::from_objects(objects)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("apiserver: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let fixture = match args.one_owner {
        Some((pods, owned)) => one_owner(pods, owned),
        None => Fixture::synthetic(&args.size),
    };
    let objects = fixture.len();
    let server = ApiServer::start(fixture, args.options);
    match args.one_owner {
        Some((pods, owned)) => eprintln!(
            "apiserver: {objects} objects ({pods} pods{} in namespace data) ready in {:.2?}",
            if owned { " of StatefulSet db" } else { "" },
            started.elapsed()
        ),
        None => eprintln!(
            "apiserver: {objects} objects ({} pods, {} policies, {} namespaces + kube-system) ready in {:.2?}",
            args.size.pods,
            args.size.policies,
            args.size.namespaces,
            started.elapsed()
        ),
    }
    if let Some(path) = &args.kubeconfig {
        server.write_kubeconfig(path, &args.context, None);
        eprintln!("apiserver: kubeconfig written to {}", path.display());
    }
    // The URL alone on stdout, flushed, so that a script can read it and start its client.
    println!("{}", server.url);
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
