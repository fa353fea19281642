//! `--with-cluster` on the commands that read manifests: the flags, and reading the cluster
//! the manifests go into.

use clap::Args;

use crate::error::Error;
use crate::in_cluster::Outcome;
use crate::model::Inventory;
use crate::report::Report;
use crate::source::cluster::{self, ClusterOptions};
use crate::source::with_cluster::{self, Base, Merged, WithCluster};

use super::diff::DiffFailOn;
use super::{ClusterArgs, FailOn, EXIT_FINDINGS, EXIT_OK};

#[derive(Debug, Args)]
pub struct WithClusterArgs {
    /// Judge the manifests in the cluster they go into (the kubeconfig's, or --context): the
    /// policies, namespaces and pods of the namespaces they touch and the cluster-scoped
    /// policies, with the manifests applied over them. `optional`: go on without the cluster
    /// when it cannot be read. Never writes to the cluster.
    #[arg(
        long,
        value_enum,
        value_name = "MODE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "required"
    )]
    pub with_cluster: Option<WithCluster>,

    /// The Helm release of the manifests (default: their pods' app.kubernetes.io/instance
    /// label): with --with-cluster, its objects in the cluster that the manifests no longer
    /// have are removed, as helm upgrade removes them; generated policies are named after it.
    /// With --chart, the release name it is rendered as (default: the chart's name).
    #[arg(long, value_name = "NAME")]
    pub release: Option<String>,
}

/// `--fail-on-change`, for the commands whose verdict is a report.
#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// With --with-cluster, what the change does to the cluster that makes the exit status 1:
    /// `uncovered` (default: a workload loses isolation, a new workload is uncovered, or a new
    /// error finding appears), `opened` (those, or any connection opened), `any` or `never`.
    #[arg(long, value_enum, default_value_t = DiffFailOn::Uncovered, value_name = "WHAT")]
    pub fail_on_change: DiffFailOn,
}

/// The cluster options of the flags; for a post-renderer, HELM_KUBECONTEXT (Helm's own
/// setting of the context, in the environment Helm hands down) when --context is not given.
pub fn options(cluster: &ClusterArgs, helm: bool) -> ClusterOptions {
    let mut options = cluster.options();
    if helm && options.context.is_none() {
        options.context = std::env::var("HELM_KUBECONTEXT")
            .ok()
            .filter(|c| !c.is_empty());
    }
    options
}

/// The namespace of manifest objects that name none: -n, else the context's (as kubectl
/// apply and helm decide it); "default" when the cluster is optional and cannot tell.
pub fn default_namespace(
    mode: WithCluster,
    namespace: Option<&str>,
    options: &ClusterOptions,
) -> Result<String, Error> {
    if let Some(n) = namespace {
        return Ok(n.to_owned());
    }
    match cluster::context_namespace(options) {
        Ok(n) => Ok(n),
        Err(_) if mode == WithCluster::Optional => Ok("default".to_owned()),
        Err(e) => Err(e),
    }
}

/// The cluster read for `input` and `input` merged over it; `None` when optional and
/// unreadable.
pub fn merged(
    args: &WithClusterArgs,
    mode: WithCluster,
    options: &ClusterOptions,
    input: Inventory,
    all: bool,
    prepare: impl Fn(&mut Inventory),
) -> Result<Result<(Base, Merged), Inventory>, Error> {
    let Some(mut base) = with_cluster::load_as(mode, options, &input, all)? else {
        return Ok(Err(input));
    };
    prepare(&mut base.inventory);
    let (merged, _) = crate::in_cluster::merge(&base, input, args.release.as_deref(), None);
    Ok(Ok((base, merged)))
}

/// The exit status with the cluster: findings at or above --fail-on on the change's own
/// objects, or a change to the cluster that --fail-on-change names.
pub fn exit_code(
    report: &Report,
    outcome: &Outcome,
    fail_on: FailOn,
    on_change: DiffFailOn,
) -> i32 {
    let findings = report
        .findings
        .iter()
        .any(|f| fail_on.fails(f) && outcome.counts(f));
    let d = &outcome.changes;
    let uncovers = d.summary.coverage_lost > 0 || d.summary.new_uncovered > 0 || new_errors(d);
    let change = match on_change {
        DiffFailOn::Uncovered => uncovers,
        DiffFailOn::Opened => uncovers || d.opens(),
        DiffFailOn::Any => !d.is_empty(),
        DiffFailOn::Never => false,
    };
    if findings || change {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// An error finding the cluster did not have: the same rule on the same object with other
/// words (the NPC001 of a workload already uncovered, now "1 NetworkPolicy ... does not
/// select it") is not new.
fn new_errors(d: &crate::diff::ConnectivityDiff) -> bool {
    let key = |f: &crate::report::Finding| {
        (
            f.rule.clone(),
            f.kind.clone(),
            f.namespace.clone(),
            f.object.clone(),
        )
    };
    let before: std::collections::HashSet<_> = d.findings.removed.iter().map(key).collect();
    d.findings
        .added
        .iter()
        .any(|f| f.severity == crate::report::Severity::Error && !before.contains(&key(f)))
}

/// The words of the cluster context after a table report, on stdout.
pub fn tell_stdout(report: &Report, outcome: &Outcome) -> Result<(), Error> {
    use std::io::Write;
    let mut text = Vec::new();
    crate::output::with_cluster::words(report, outcome, &mut text).expect("writing to memory");
    let text = String::from_utf8_lossy(&text);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match out
        .write_all(crate::output::terminal::escape_lines(&text).as_bytes())
        .and_then(|_| out.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", &e)),
        _ => Ok(()),
    }
}
