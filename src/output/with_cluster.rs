//! `--with-cluster` in words: what was read, what isolates the change's workloads and whether
//! it was already in the cluster, what the release loses, and what the change opens or
//! uncovers compared with the cluster now.

use std::io::{self, Write};

use crate::in_cluster::Outcome;
use crate::report::{Isolation, IsolationState, Report, WorkloadEntry};
use crate::source::with_cluster::ObjectRef;

pub fn words(report: &Report, o: &Outcome, out: &mut dyn Write) -> io::Result<()> {
    let read = match o.namespaces.as_slice() {
        [] => "every namespace".to_owned(),
        [one] => format!("namespace {one}"),
        many => format!("namespaces {}", many.join(", ")),
    };
    writeln!(
        out,
        "Against the cluster of context {} ({}): {read} read.",
        o.context, o.server
    )?;
    if let Some(r) = &o.release {
        writeln!(out, "Release: {r}.")?;
    }
    for w in report.workloads.iter().filter(|w| {
        o.counted
            .contains(&ObjectRef::new(&w.kind, &w.namespace, &w.name))
    }) {
        writeln!(
            out,
            "{} {}/{}: {}; {}.",
            w.kind,
            w.namespace,
            w.name,
            direction(o, w, "ingress", &w.ingress),
            direction(o, w, "egress", &w.egress)
        )?;
    }
    for r in &o.removed {
        writeln!(
            out,
            "{r}: removed by this change (release {} has it in the cluster, the new manifests do not).",
            o.release.as_deref().unwrap_or_default()
        )?;
    }
    write!(out, "Compared with the cluster now: ")?;
    crate::output::diff::table(&o.changes, out)
}

fn direction(o: &Outcome, w: &WorkloadEntry, name: &str, i: &Isolation) -> String {
    let by = match &i.decided_by {
        Some(by) => by,
        None if i.isolation == IsolationState::Open => return format!("{name} NOT isolated"),
        None => return format!("{name} {:?}", i.isolation).to_lowercase(),
    };
    let namespaced = ObjectRef::new(by.kind.as_ref(), &w.namespace, by.name.as_ref());
    let scoped = ObjectRef::new(by.kind.as_ref(), "", by.name.as_ref());
    let shown = if o.counted.contains(&scoped) || o.from_cluster.contains(&scoped) {
        scoped
    } else {
        namespaced
    };
    let whence = if o.from_cluster.contains(&shown) {
        ", already in the cluster"
    } else if o.counted.contains(&shown) {
        ", in this change"
    } else {
        ""
    };
    let state = match i.isolation {
        IsolationState::PodsOnly => "isolated from pods (not from outside the cluster)",
        _ => "isolated",
    };
    format!("{name} {state} by {shown}{whence}")
}
