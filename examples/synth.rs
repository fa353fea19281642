//! Writes a synthetic cluster as a YAML stream on stdout, or times the bare YAML pass over one.
//!
//! ```text
//! cargo run --release --example synth -- [--namespaces N] [--workloads N] [--policies N] [--cluster-policies N] [--policy-format kubernetes|cilium|calico] [--seed S] > cluster.yaml
//! cargo run --release --example synth -- --parse cluster.yaml
//! ```
//!
//! Without flags it writes the full benchmark cluster (2,000 namespaces, 100,000 workloads,
//! 20,000 policies: about 32 MB). `--parse FILE` runs the bare YAML event pass over FILE and
//! prints the number of documents, like the `yaml_event_pass` example but on mimalloc.

use std::io::Write;
use std::process::ExitCode;

use netpol_check::synth::{generate, yaml_event_pass, SynthConfig};

// The binary runs on mimalloc; `--parse` gives the baseline under the same allocator, so that
// the comparison measures the tool and not the allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str =
    "usage: synth [--namespaces N] [--workloads N] [--policies N] [--cluster-policies N] [--policy-format kubernetes|cilium|calico] [--seed S] > FILE\n       \
                     synth --parse FILE";

enum Command {
    Generate(SynthConfig),
    Parse(String),
}

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)) {
        Ok(Command::Generate(cfg)) => write(&cfg),
        Ok(Command::Parse(path)) => parse(&path),
        Err(msg) => {
            eprintln!("synth: {msg}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn write(cfg: &SynthConfig) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    match generate(cfg, &mut out).and_then(|_| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synth: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse(path: &str) -> ExitCode {
    let result = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|text| yaml_event_pass(&text).map_err(|e| e.to_string()));
    match result {
        Ok(documents) => {
            println!("{documents}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("synth: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut cfg = SynthConfig::full();
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        if flag == "--parse" {
            return match args.next() {
                None => Ok(Command::Parse(value)),
                Some(extra) => Err(format!("unexpected argument {extra:?} after --parse")),
            };
        }
        let number = |v: &str| {
            v.replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {v:?}"))
        };
        match flag.as_str() {
            "--namespaces" => cfg.namespaces = number(&value)? as usize,
            "--workloads" => cfg.workloads = number(&value)? as usize,
            "--policies" => cfg.policies = number(&value)? as usize,
            "--cluster-policies" => cfg.cluster_policies = number(&value)? as usize,
            "--seed" => cfg.seed = number(&value)?,
            "--policy-format" => {
                (cfg.cilium, cfg.calico) = match value.as_str() {
                    "kubernetes" => (false, false),
                    "cilium" => (true, false),
                    "calico" => (false, true),
                    _ => {
                        return Err(format!(
                            "--policy-format: kubernetes, cilium or calico, not {value:?}"
                        ))
                    }
                }
            }
            _ => return Err(format!("unknown flag {flag:?}")),
        }
    }
    Ok(Command::Generate(cfg))
}
