//! The `kubectl netpol-check` command line: flags in kubectl's conventions, and the mapping from
//! a run's outcome to exit statuses (0 clean, 1 findings at or above `--fail-on`, 2 could not run).

use std::io::Write;

use clap::{Parser, ValueEnum};

use crate::analysis::{self, Scope};
use crate::error::Error;
use crate::output::{self, ColorChoice, Format};
use crate::report::{Report, Severity, Source};
use crate::source::paths;
use crate::source::{self as sources, ManifestOptions};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "kubectl netpol-check",
    bin_name = "kubectl netpol-check",
    version,
    about = "Which pods can any compromised neighbour reach, and which can reach anything?",
    long_about = "Checks that every workload is isolated by NetworkPolicies for ingress AND egress, \
                  following the API server's semantics (own-namespace selection, policyTypes \
                  defaulting, full label selectors, hostNetwork).\n\n\
                  Reads manifests: files, directories (recursively) or stdin, with -f.",
    after_help = "Examples:\n  \
                  kubectl netpol-check -f k8s/ -f extra.yaml\n  \
                  helm template shop ./chart | kubectl netpol-check -f -\n  \
                  kubectl netpol-check -f dump.yaml -o json\n\n\
                  Exit status: 0 nothing at or above --fail-on; 1 findings at or above it; \
                  2 the check could not run."
)]
pub struct Cli {
    /// Manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin. Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<String>,

    /// Namespace for objects that do not name one (default: "default").
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Every namespace (live clusters).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Table)]
    pub output: Format,

    /// Lowest severity that makes the exit status 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "LEVEL")]
    pub fail_on: FailOn,

    /// Include kube-system, kube-public and kube-node-lease.
    #[arg(long)]
    pub include_system: bool,

    /// Leave out namespaces matching this glob (e.g. 'team-*'). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude_namespace: Vec<String>,

    /// Colour the table: auto (when stdout is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }

    /// The exit status for a report.
    pub fn exit_code(self, report: &Report) -> i32 {
        match (self.threshold(), report.worst()) {
            (Some(t), Some(w)) if w >= t => EXIT_FINDINGS,
            _ => EXIT_OK,
        }
    }
}

/// Entry point of the binary: parses arguments, runs, prints, and returns the exit status.
pub fn main() -> i32 {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors exit 2.
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    match std::panic::catch_unwind(|| run(&cli)) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            EXIT_ERROR
        }
        Err(_) => EXIT_ERROR,
    }
}

/// A bug must still end in one line and exit status 2, not a backtrace.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error in kubectl netpol-check ({msg}{at}); please report it");
    }));
}

/// Runs a parsed command line; returns the exit status or the error that stopped the run.
pub fn run(cli: &Cli) -> Result<i32, Error> {
    if cli.filenames.is_empty() {
        return Err(Error::Usage(
            "no -f given: reading a live cluster is not available yet; pass manifests with \
             -f PATH (or -f - for stdin)"
                .into(),
        ));
    }
    let scope = Scope::new(cli.include_system, &cli.exclude_namespace)?;
    let inputs = paths::expand(&cli.filenames)?;
    let options = ManifestOptions {
        default_namespace: cli.namespace.clone().unwrap_or_else(|| "default".into()),
        skip_helm_hooks: false,
    };
    let mut inventory = sources::load(&inputs, &options)?;
    scope.apply(&mut inventory);
    let source = Source {
        kind: "manifests".into(),
        context: None,
        files: inputs.iter().map(|i| i.display_name()).collect(),
    };
    let report = analysis::analyse(&inventory, source);
    emit(&report, cli.output, cli.color.enabled())?;
    Ok(cli.fail_on.exit_code(&report))
}

/// Prints the report on stdout. A closed pipe (`| head`) is not an error.
fn emit(report: &Report, format: Format, color: bool) -> Result<(), Error> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = output::render(report, format, color, &mut out).and_then(|_| out.flush());
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", &e)),
        _ => Ok(()),
    }
}
