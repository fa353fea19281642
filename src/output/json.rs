//! `-o json`: the report as `serde_json::to_writer_pretty` writes it, byte for byte, with its
//! long lists (100,000 workloads, as many findings) serialised on every core: on a large
//! inventory, one thread writing 100 MB of JSON was a fifth of the run.

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;

use super::json_findings;
use super::json_workloads::{self, RefTexts};
use super::pretty::Nested;
use crate::report::Report;

/// Items serialised per parallel task (a few in tests, so that they cross many windows).
const CHUNK: usize = if cfg!(test) { 4 } else { 128 };

/// Chunks serialised before they are written. A window's text is held whole: with
/// cluster-scoped policies a workload entry is about 7 KB, and windows of 8,192 entries were
/// 60 MB or more at the run's peak.
const WINDOW: usize = if cfg!(test) { 3 } else { 8 };

/// Top-level fields of `Report` whose values are rendered apart, in parallel.
const LISTS: [&str; 4] = ["namespaces", "workloads", "findings", "suppressed"];

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // The report without its long lists, as serde writes it: those are spliced in after.
    // Every field named, so that a new one cannot be forgotten here.
    let skeleton = Report {
        api_version: report.api_version.clone(),
        kind: report.kind.clone(),
        generator: report.generator.clone(),
        source: report.source.clone(),
        summary: report.summary.clone(),
        namespaces: Vec::new(),
        workloads: Vec::new(),
        findings: Vec::new(),
        suppressed: Vec::new(),
        generated: report.generated.clone(),
        notes: report.notes.clone(),
        cluster: report.cluster.clone(),
        clusters: report.clusters.clone(),
    };
    let text = serde_json::to_string_pretty(&skeleton).map_err(io::Error::other)?;
    let mut rest = text.as_str();
    for name in LISTS {
        // Top-level fields are the only ones indented by two spaces.
        let empty = format!("\n  \"{name}\": []");
        let at = rest
            .find(&empty)
            .ok_or_else(|| io::Error::other(format!("no top-level {name} in the report")))?;
        let (before, after) = rest.split_at(at + empty.len() - 2);
        out.write_all(before.as_bytes())?;
        match name {
            "namespaces" => array(&report.namespaces, out, serialized)?,
            "workloads" => array(&report.workloads, out, json_workloads::write)?,
            "findings" => array(&report.findings, out, json_findings::write)?,
            _ => array(&report.suppressed, out, json_findings::write)?,
        }
        rest = &after[2..];
    }
    out.write_all(rest.as_bytes())
}

/// Writes a list as a top-level field's value: `[]`, or its items one level deeper than the
/// field, each written by `item`. A window of chunks at a time, so that memory holds a window,
/// not the whole list.
fn array<T: Sync>(
    items: &[T],
    out: &mut dyn Write,
    item: impl Fn(&T, &mut Vec<u8>, &mut RefTexts) -> io::Result<()> + Sync,
) -> io::Result<()> {
    if items.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[\n")?;
    // Each chunk's text and shared references, kept from one window to the next rather than
    // grown anew for every chunk (about 1 MB each with cluster-scoped policies).
    let mut buffers: Vec<(Vec<u8>, RefTexts)> = (0..WINDOW).map(|_| Default::default()).collect();
    for (w, window) in items.chunks(CHUNK * WINDOW).enumerate() {
        let used = window.len().div_ceil(CHUNK);
        window
            .par_chunks(CHUNK)
            .zip(buffers.par_iter_mut())
            .try_for_each(|(chunk, (buf, refs))| {
                buf.clear();
                refs.clear();
                for value in chunk {
                    buf.extend_from_slice(b",\n    ");
                    item(value, buf, refs)?;
                }
                io::Result::Ok(())
            })?;
        for (c, (chunk, _)) in buffers[..used].iter().enumerate() {
            // Each item is preceded by ",\n": not the first of the list.
            let skip = if w == 0 && c == 0 { 2 } else { 0 };
            out.write_all(&chunk[skip..])?;
        }
    }
    out.write_all(b"\n  ]")
}

/// An item as serde writes it: two levels deep, in the list, in the report.
fn serialized<T: Serialize>(value: &T, buf: &mut Vec<u8>, _: &mut RefTexts) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(buf, Nested::at(2));
    value.serialize(&mut ser).map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyse;
    use crate::report::Source;
    use crate::source::manifests::{build_inventory, parse_all, Loaded, ManifestOptions};
    use crate::synth::{generate, SynthConfig};

    fn report_of(yaml: String) -> Report {
        let loaded = [Loaded {
            name: "test.yaml".into(),
            text: yaml,
        }];
        let inventory = build_inventory(parse_all(&loaded, &ManifestOptions::default()).unwrap());
        analyse(&inventory, Source::manifests(vec!["test.yaml".into()]))
    }

    fn both(report: &Report) -> (String, String) {
        let serde = serde_json::to_string_pretty(report).unwrap();
        let mut ours = Vec::new();
        render(report, &mut ours).unwrap();
        (serde, String::from_utf8(ours).unwrap())
    }

    #[test]
    fn writes_what_serde_json_writes_for_a_large_report() {
        let mut yaml = Vec::new();
        generate(&SynthConfig::scaled(0.01), &mut yaml).unwrap();
        let mut report = report_of(String::from_utf8(yaml).unwrap());
        assert!(report.workloads.len() > 10 * CHUNK * WINDOW);
        assert!(report.findings.len() > 10 * CHUNK * WINDOW);
        // Every list in use, and text that needs escaping.
        report.suppressed = report.findings[..3].to_vec();
        report.suppressed[0].message = "a \"quoted\"\nline\tand \u{1F512}".into();
        // The findings are written by hand (json_findings): every optional field both ways.
        report.suppressed[0].suppression_reason = Some("not \"ours\"".into());
        report.suppressed[1].cluster = Some("kind-a".into());
        report.suppressed[1].namespace = None;
        report.suppressed[2].file = None;
        report.suppressed[2].line = None;
        assert!(report
            .findings
            .iter()
            .any(|f| f.file.is_some() && f.line.is_some()));
        report.notes = vec!["a note".into()];
        report.generated = vec![serde_json::json!({"kind": "NetworkPolicy", "spec": {}})];
        let (serde, ours) = both(&report);
        assert!(serde == ours, "the parallel JSON differs from serde_json's");
    }

    #[test]
    fn writes_what_serde_json_writes_with_cluster_scoped_policies() {
        let mut yaml = Vec::new();
        let config = SynthConfig {
            cluster_policies: 20,
            ..SynthConfig::scaled(0.01)
        };
        generate(&config, &mut yaml).unwrap();
        let mut report = report_of(String::from_utf8(yaml).unwrap());
        let with_refs = |r: &Report| {
            r.workloads
                .iter()
                .filter(|w| !w.ingress.policy_refs.is_empty())
                .count()
        };
        // The workload entries are written by hand (json_workloads): every field in use.
        assert!(with_refs(&report) > 10 * CHUNK * WINDOW);
        assert!(report
            .workloads
            .iter()
            .any(|w| w.egress.decided_by.is_some()));
        let w = &mut report.workloads[1];
        w.name = "a \"quoted\"\nname\tand \u{1F512}".into();
        w.ingress.reason = Some("the \"reason\"".into());
        w.ingress.isolation = crate::report::IsolationState::Ambiguous;
        w.egress.policies = Default::default();
        w.egress.policy_refs = crate::report::PolicyRefs::from([]);
        w.egress.decided_by = Some(std::sync::Arc::new(crate::report::DecidedBy {
            layer: "Baseline".into(),
            kind: "ClusterNetworkPolicy".into(),
            name: std::sync::Arc::from("b\\c"),
            rule: Some("egress rule 2".into()),
        }));
        // Equal references that are not the same shared entry are written alike.
        // A list that is not shared, ending with an entry equal to the first but not shared.
        let mut list = w.ingress.policy_refs.to_vec();
        list.push(std::sync::Arc::new(list[0].as_ref().clone()));
        w.ingress.policy_refs = list.into();
        let (serde, ours) = both(&report);
        assert!(
            serde == ours,
            "the hand-written workloads differ from serde_json's"
        );
    }

    #[test]
    fn a_window_shorter_than_the_one_before_leaves_nothing_of_it() {
        // Chunk buffers are kept from one window to the next: the last window may use fewer
        // of them, with shorter items.
        for n in 0..=(3 * CHUNK * WINDOW + 1) {
            let items: Vec<String> = (0..n)
                .map(|i| "x".repeat(3 * CHUNK * WINDOW + 1 - i))
                .collect();
            let mut ours = Vec::new();
            array(&items, &mut ours, serialized).unwrap();
            let serde =
                serde_json::to_string_pretty(&serde_json::json!({ "list": items })).unwrap();
            let expected = serde
                .strip_prefix("{\n  \"list\": ")
                .and_then(|s| s.strip_suffix("\n}"))
                .unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), expected, "{n} items");
        }
    }

    #[test]
    fn writes_what_serde_json_writes_for_an_empty_report() {
        let report = report_of(String::new());
        assert!(report.workloads.is_empty() && report.findings.is_empty());
        let (serde, ours) = both(&report);
        assert_eq!(serde, ours);
    }
}
