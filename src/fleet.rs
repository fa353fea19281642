//! Fleet mode: several clusters checked in one run (`--context a --context b`,
//! `--all-contexts`), their reports merged into one. Pure: the command line reads the clusters.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::report::{ClusterEntry, ClusterStatus, Report, Source, Summary, API_VERSION};

/// How one context of the fleet went.
#[derive(Debug)]
pub struct Outcome {
    pub context: String,
    /// The API server's URL, when known.
    pub server: String,
    pub result: Result<Report, Failure>,
}

/// Why a cluster was not checked.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: ClusterStatus,
    pub message: String,
}

/// One report for every cluster: each entry, finding and namespace names its cluster, the
/// summary adds the clusters' up, and `clusters` says how each went, in the order given.
pub fn merge(outcomes: Vec<Outcome>) -> Report {
    let mut merged = Report {
        api_version: API_VERSION.to_owned(),
        kind: "Report".to_owned(),
        source: Source {
            kind: "cluster".to_owned(),
            context: None,
            server: None,
            files: Vec::new(),
            cni: None,
        },
        summary: Summary::default(),
        namespaces: Vec::new(),
        workloads: Vec::new(),
        findings: Vec::new(),
        suppressed: Vec::new(),
        generated: Vec::new(),
        notes: Vec::new(),
        cluster: None,
        clusters: Some(Vec::new()),
        generator: Some(crate::report::Generator::now()),
    };
    let mut entries = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        let name: Arc<str> = Arc::from(outcome.context.as_str());
        let report = match outcome.result {
            Ok(report) => report,
            Err(failure) => {
                merged.notes.push(format!(
                    "context {}: {}: {}",
                    outcome.context,
                    failure.status.as_str(),
                    failure.message
                ));
                entries.push(ClusterEntry {
                    context: outcome.context,
                    server: outcome.server,
                    status: failure.status,
                    message: Some(failure.message),
                    cni: None,
                    summary: None,
                });
                continue;
            }
        };
        add(&mut merged.summary, &report.summary);
        let tag = || Some(name.clone());
        merged
            .namespaces
            .extend(report.namespaces.into_iter().map(|mut n| {
                n.cluster = tag();
                n
            }));
        merged
            .workloads
            .extend(report.workloads.into_iter().map(|mut w| {
                w.cluster = tag();
                w
            }));
        merged
            .findings
            .extend(report.findings.into_iter().map(|mut f| {
                f.cluster = tag();
                f
            }));
        merged
            .suppressed
            .extend(report.suppressed.into_iter().map(|mut f| {
                f.cluster = tag();
                f
            }));
        merged.notes.extend(
            report
                .notes
                .into_iter()
                .map(|note| format!("context {}: {note}", outcome.context)),
        );
        entries.push(ClusterEntry {
            context: outcome.context,
            server: outcome.server,
            status: ClusterStatus::Ok,
            message: None,
            cni: report.source.cni,
            summary: Some(report.summary),
        });
    }
    merged.clusters = Some(entries);
    merged
}

/// Adds a cluster's summary to the fleet's.
fn add(total: &mut Summary, one: &Summary) {
    total.namespaces += one.namespaces;
    total.workloads += one.workloads;
    total.network_policies += one.network_policies;
    total.uncovered_workloads += one.uncovered_workloads;
    total.host_network_workloads += one.host_network_workloads;
    // Every cluster is checked with the same flags, so with the same model.
    total.host_network_model.clone_from(&one.host_network_model);
    total.findings.error += one.findings.error;
    total.findings.warning += one.findings.warning;
    total.findings.info += one.findings.info;
    total.suppressed += one.suppressed;
    let sum = |into: &mut BTreeMap<String, usize>, from: &BTreeMap<String, usize>| {
        for (k, n) in from {
            *into.entry(k.clone()).or_default() += n;
        }
    };
    sum(&mut total.skipped_kinds, &one.skipped_kinds);
    sum(&mut total.policies, &one.policies);
    sum(&mut total.ignored_policies, &one.ignored_policies);
}

/// The exit status of a fleet run: the worst of the clusters', a cluster that could not be
/// checked counting as one that could not run (2), as REPORT.md's exit statuses rank them.
pub fn exit_code(codes: impl IntoIterator<Item = i32>) -> i32 {
    codes.into_iter().max().unwrap_or(crate::cli::EXIT_ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyse;
    use crate::source::manifests::{build_inventory, parse_all, Loaded, ManifestOptions};

    fn report_of(yaml: &str, context: &str) -> Report {
        let loaded = [Loaded {
            name: "test.yaml".into(),
            text: yaml.to_owned(),
        }];
        let inventory = build_inventory(parse_all(&loaded, &ManifestOptions::default()).unwrap());
        analyse(
            &inventory,
            Source::cluster(context.to_owned(), format!("https://{context}"), None),
        )
    }

    const OPEN: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n";
    const CLOSED: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n\
        ---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
        metadata: {name: deny, namespace: shop}\n\
        spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n";

    #[test]
    fn every_entry_names_its_cluster_and_the_summary_adds_them_up() {
        let a = report_of(OPEN, "a");
        let b = report_of(CLOSED, "b");
        assert_eq!(a.summary.uncovered_workloads, 1);
        assert_eq!(b.summary.uncovered_workloads, 0);
        let merged = merge(vec![
            Outcome {
                context: "a".into(),
                server: "https://a".into(),
                result: Ok(a.clone()),
            },
            Outcome {
                context: "down".into(),
                server: "https://down".into(),
                result: Err(Failure {
                    status: ClusterStatus::Unreachable,
                    message: "refused".into(),
                }),
            },
            Outcome {
                context: "b".into(),
                server: "https://b".into(),
                result: Ok(b.clone()),
            },
        ]);
        let clusters_of = |names: Vec<Option<Arc<str>>>| -> Vec<String> {
            names.into_iter().map(|c| c.unwrap().to_string()).collect()
        };
        assert_eq!(
            clusters_of(merged.workloads.iter().map(|w| w.cluster.clone()).collect()),
            ["a", "b"]
        );
        assert_eq!(
            clusters_of(
                merged
                    .namespaces
                    .iter()
                    .map(|n| n.cluster.clone())
                    .collect()
            ),
            ["a", "b"]
        );
        let expected: Vec<(&str, &str)> = a
            .findings
            .iter()
            .map(|f| ("a", f.rule.as_str()))
            .chain(b.findings.iter().map(|f| ("b", f.rule.as_str())))
            .collect();
        let found: Vec<(&str, &str)> = merged
            .findings
            .iter()
            .map(|f| (f.cluster.as_deref().unwrap(), f.rule.as_str()))
            .collect();
        assert_eq!(found, expected);
        assert!(found.contains(&("a", "NPC001")));
        assert_eq!(merged.summary.workloads, 2);
        assert_eq!(merged.summary.uncovered_workloads, 1);
        assert_eq!(merged.summary.network_policies, 1);
        assert_eq!(merged.summary.policies["NetworkPolicy"], 1);
        let clusters = merged.clusters.as_ref().unwrap();
        let statuses: Vec<(&str, ClusterStatus)> = clusters
            .iter()
            .map(|c| (c.context.as_str(), c.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("a", ClusterStatus::Ok),
                ("down", ClusterStatus::Unreachable),
                ("b", ClusterStatus::Ok)
            ]
        );
        assert_eq!(clusters[1].message.as_deref(), Some("refused"));
        assert_eq!(clusters[2].summary.as_ref(), Some(&b.summary));
        assert_eq!(merged.notes, ["context down: unreachable: refused"]);
        assert_eq!(merged.source.context, None);
    }

    #[test]
    fn the_worst_cluster_decides_and_no_cluster_is_an_error() {
        assert_eq!(exit_code([0, 1, 0]), 1);
        assert_eq!(exit_code([0, 2, 1]), 2);
        assert_eq!(exit_code([0, 0]), 0);
        assert_eq!(exit_code([]), 2);
    }
}
