//! `--with-cluster`: the verdict on the cluster after the change, and what the change opens or
//! uncovers compared with the cluster now. Pure: the cluster was read by
//! [`crate::source::with_cluster::load`].

use std::collections::BTreeSet;

use crate::analysis::{self, RuleConfig};
use crate::diff::{self, ConnectivityDiff};
use crate::model::Inventory;
use crate::report::{Finding, Report, Source};
use crate::source::with_cluster::{self, Base, Merged, ObjectRef};

/// What the report and the exit status need beyond the report of the cluster after the change.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub context: String,
    pub server: String,
    /// The namespaces read; empty when every namespace was.
    pub namespaces: Vec<String>,
    pub release: Option<String>,
    /// Policies of the cluster that stay (neither replaced nor removed by the change).
    pub from_cluster: BTreeSet<ObjectRef>,
    /// The release's objects that the change removes.
    pub removed: Vec<ObjectRef>,
    /// The objects of the change (and the generated ones): findings on them count toward the
    /// exit status; findings on what the cluster already had are reported, not counted.
    pub counted: BTreeSet<ObjectRef>,
    /// The cluster now against the cluster after the change.
    pub changes: ConnectivityDiff,
}

impl Outcome {
    /// Whether a finding is about an object of the change.
    pub fn counts(&self, f: &Finding) -> bool {
        let ns = f.namespace.clone().unwrap_or_default();
        self.counted
            .contains(&ObjectRef::new(&f.kind, ns, &f.object))
            || self
                .counted
                .contains(&ObjectRef::new(&f.kind, "", &f.object))
    }
}

/// The manifests applied over the cluster; the release is `--release`, else the manifests'
/// `app.kubernetes.io/instance` label.
pub fn merge(
    base: &Base,
    input: Inventory,
    release: Option<&str>,
    release_namespace: Option<&str>,
) -> (Merged, Option<String>) {
    let release = with_cluster::release_of(&input, release);
    let merged = with_cluster::merge(
        &base.inventory,
        &base.helm_owned,
        input,
        release.as_deref(),
        release_namespace,
    );
    (merged, release)
}

/// The report on `after` (the merged cluster, generated policies included), with its
/// `cluster` field, and the outcome.
pub fn judge(
    base: &Base,
    merged: &Merged,
    after: &Inventory,
    mut source: Source,
    options: &analysis::Options,
    rules: &RuleConfig,
    generated: impl IntoIterator<Item = ObjectRef>,
) -> (Report, Outcome) {
    source.context = Some(base.context.clone());
    source.server = Some(base.server.clone());
    if source.cni.is_none() {
        source.cni = base.cni.clone();
    }
    let mut report = analysis::analyse_with_options(after, source.clone(), rules, options);
    let before_source =
        crate::report::Source::cluster(base.context.clone(), base.server.clone(), base.cni.clone());
    let changes = diff::of_inventories(
        (&merged.before, before_source),
        (after, source),
        options,
        rules,
        &diff::Options::default(),
    );
    let mut counted = merged.input.clone();
    counted.extend(generated);
    let mut changes_json = Vec::new();
    crate::output::diff::json(&changes, &mut changes_json).expect("writing to memory");
    let changes_value = serde_json::from_slice(&changes_json).ok();
    report.cluster = Some(with_cluster::report_field(
        base,
        merged,
        merged.release.as_deref(),
        changes_value,
    ));
    report.notes.extend(base.notes.iter().cloned());
    if !base.all_namespaces {
        report.notes.push(format!(
            "--with-cluster read namespace{} {} and the cluster-scoped policies: rules whose \
             peers are pods of other namespaces see none of them there",
            if base.namespaces.len() == 1 { "" } else { "s" },
            base.namespaces.join(", ")
        ));
    }
    let release = merged.release.clone();
    let outcome = Outcome {
        context: base.context.clone(),
        server: base.server.clone(),
        namespaces: base.namespaces.clone(),
        release,
        from_cluster: merged.from_cluster.clone(),
        removed: merged.removed.clone(),
        counted,
        changes,
    };
    (report, outcome)
}
