//! What must hold whatever the input: the checks the fuzz targets run, shared with `cargo test`
//! (tests/fuzz_regressions.rs replays every input kept under fuzz/regressions/ through them, and
//! tests/fuzz_properties.rs runs them on generated streams), so that CI checks the same
//! invariants without a nightly toolchain.
//!
//! Each check returns quietly on input the program rightly refuses (an `Err` is exit status 2
//! with one line) and panics when an invariant breaks.

#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::Arc;

use netpol_check::analysis::{self, RuleConfig, Scope};
use netpol_check::cni;
use netpol_check::generate::{DenyMode, GenerateOptions};
use netpol_check::model::Inventory;
use netpol_check::output::{self, Format};
use netpol_check::postrender::{self, PostRenderOptions, RELEASE_NAMESPACE_PLACEHOLDER};
use netpol_check::report::{Report, Source};
use netpol_check::semantics::host_network::HostNetwork;
use netpol_check::source::cluster::{self, fetch, fold};
use netpol_check::source::documents;
use netpol_check::source::helm;
use netpol_check::source::manifests::{self, Loaded, ManifestOptions};
use netpol_check::source::stream::Parsed;

/// A target's check of one input.
pub type Check = fn(&[u8]);

/// The fuzz targets, by the name of their directory under fuzz/regressions/ and fuzz/corpus/.
pub const TARGETS: [(&str, Check); 3] = [
    ("manifests", manifests),
    ("postrender", postrender),
    ("cluster_page", cluster_page),
];

const FORMATS: [Format; 7] = [
    Format::Table,
    Format::Wide,
    Format::Json,
    Format::Yaml,
    Format::Sarif,
    Format::Html,
    Format::Junit,
];

/// (a) Bytes read as a `-f` file: parsed, analysed, and printed in every format, as `check`
/// does.
pub fn manifests(data: &[u8]) {
    let name: Arc<str> = "fuzz.yaml".into();
    let Ok(text) = manifests::decode(&name, data.to_vec()) else {
        return;
    };
    let loaded = [Loaded { name, text }];
    let Ok(parsed) = manifests::parse_all(&loaded, &ManifestOptions::default()) else {
        return;
    };
    let mut inventory = manifests::build_inventory(parsed);
    Scope::default().apply(&mut inventory);
    // Both models of hostNetwork pods: `--host-network=node` (the default) and `pod`.
    for host_network in [HostNetwork::Node, HostNetwork::Pod] {
        let source = Source::manifests(vec!["fuzz.yaml".into()]);
        let options = analysis::Options {
            host_network,
            ..analysis::Options::default()
        };
        let report =
            analysis::analyse_with_options(&inventory, source, &RuleConfig::default(), &options);
        render_all(&report);
    }
}

/// Every format, with and without colour: each renders, JSON and SARIF are JSON, and the YAML
/// report holds the same value as the JSON one.
pub fn render_all(report: &Report) {
    let mut json = None;
    let mut yaml = None;
    for format in FORMATS {
        for color in [false, true] {
            let mut out = Vec::new();
            output::render(report, format, color, &mut out).expect("rendering into memory");
            let text = String::from_utf8(out).expect("every output is UTF-8");
            match format {
                Format::Json => {
                    json = Some(
                        serde_json::from_str::<serde_json::Value>(&text)
                            .unwrap_or_else(|e| panic!("-o json is not JSON ({e}): {text}")),
                    )
                }
                Format::Sarif => {
                    serde_json::from_str::<serde_json::Value>(&text)
                        .unwrap_or_else(|e| panic!("-o sarif is not JSON ({e}): {text}"));
                }
                Format::Yaml => {
                    yaml = Some(
                        serde_norway::from_str::<serde_json::Value>(&text)
                            .unwrap_or_else(|e| panic!("-o yaml is not YAML ({e}): {text}")),
                    )
                }
                // Names come from anyone's manifests: without colour, no control character
                // but line breaks and tabs reaches the terminal (`\e[2J` is shown, not obeyed).
                Format::Table | Format::Wide if !color => {
                    let harmful = |c: char| c.is_control() && c != '\n' && c != '\t';
                    if let Some(c) = text.chars().find(|&c| harmful(c)) {
                        panic!("-o {format:?} writes the control character {c:?}: {text}");
                    }
                }
                Format::Table | Format::Wide => {}
                // Whatever the names, the page's data stays one JSON document inside its
                // script element: the first `</script>` after it opens is its own end.
                Format::Html => {
                    let open = "<script type=\"application/json\" id=\"report-data\">";
                    let at = text.find(open).expect("the page has its data") + open.len();
                    let end = at + text[at..].find("</script>").expect("the data ends");
                    serde_json::from_str::<serde_json::Value>(&text[at..end])
                        .unwrap_or_else(|e| panic!("the page's data is not JSON ({e})"));
                }
                Format::Junit => {}
            }
        }
    }
    assert_eq!(json, yaml, "-o json and -o yaml differ");
}

/// (b) Bytes as Helm's rendered stream on the post-renderer's stdin. Without generation the
/// output is the input; with it, the input's documents are all there unchanged, the generated
/// ones are whole documents that parse back as the policies reported, and their names are new
/// in their namespaces and distinct.
pub fn postrender(data: &[u8]) {
    // As the command reads stdin: a byte-order mark stays in the output, before the stream.
    let bom = manifests::bom_len(data);
    let Ok(text) = std::str::from_utf8(&data[bom..]) else {
        return;
    };
    let plain = postrender::render(text, &render_options(None));
    let plain = match plain {
        Ok(r) => r,
        Err(e) => {
            // The stream is refused whatever is asked of it.
            for mode in [DenyMode::Namespace, DenyMode::Workloads] {
                let other = postrender::render(text, &render_options(Some(mode)));
                assert!(
                    other.is_err(),
                    "refused without generation ({e}) but not with {mode:?}"
                );
            }
            return;
        }
    };
    assert!(plain.generated.is_empty(), "generated without being asked");
    assert!(plain.report.generated.is_empty());
    render_all(&plain.report);

    let input_policies = policy_names(text).expect("the stream parsed once already");
    for mode in [DenyMode::Namespace, DenyMode::Workloads] {
        let r = postrender::render(text, &render_options(Some(mode)))
            .unwrap_or_else(|e| panic!("accepted without generation, refused with {mode:?}: {e}"));
        let at = r.insert_at;
        assert!(
            at <= text.len() && text.is_char_boundary(at),
            "insertion point {at} outside the text"
        );
        let out = format!("{}{}{}", &text[..at], r.generated, &text[at..]);
        assert_eq!(
            r.generated.is_empty(),
            r.report.generated.is_empty(),
            "generated documents and the report's list disagree"
        );
        if r.generated.is_empty() {
            continue;
        }

        // The input's documents are untouched: the output's documents, less the generated ones,
        // are the input's (a line break added to end the document before them aside). Generated
        // ones are told by where they are, not by their comment, which an input may copy.
        let block = at..at + r.generated.len();
        let out_docs = documents::split(&out);
        let kept: Vec<&str> = out_docs
            .iter()
            .filter(|d| !d.is_blank() && !block.contains(&d.offset))
            .map(|d| d.text.trim_end_matches(['\r', '\n']))
            .collect();
        let original: Vec<&str> = documents::split(text)
            .iter()
            .filter(|d| !d.is_blank())
            .map(|d| d.text.trim_end_matches(['\r', '\n']))
            .collect();
        assert_eq!(kept, original, "an input document changed ({mode:?})");
        // A blank document the block starts (`---` right after the input's own `---`) is no
        // document of either.
        let generated_docs = out_docs
            .iter()
            .filter(|d| block.contains(&d.offset) && !d.is_blank())
            .inspect(|d| assert!(is_generated(d.text), "not a generated document: {d:?}"))
            .count();
        assert_eq!(
            generated_docs,
            r.report.generated.len(),
            "generated documents are not whole documents"
        );

        // The generated documents read back as policies, under names the input does not use.
        let output_policies = policy_names(&out)
            .unwrap_or_else(|e| panic!("the output does not parse ({mode:?}): {e}\n{out}"));
        let mut generated: Vec<(String, String)> = Vec::new();
        for g in &r.report.generated {
            let namespace = g["metadata"]["namespace"]
                .as_str()
                .unwrap_or(RELEASE_NAMESPACE_PLACEHOLDER);
            let name = g["metadata"]["name"].as_str().expect("generated names");
            generated.push((namespace.to_owned(), name.to_owned()));
        }
        let mut seen = HashSet::new();
        for key in &generated {
            assert!(seen.insert(key), "generated twice: {key:?} ({mode:?})");
            assert!(
                !input_policies.contains(key),
                "generated name already in the input: {key:?} ({mode:?})"
            );
        }
        let mut expected = input_policies.clone();
        expected.extend(generated);
        expected.sort();
        let mut got = output_policies;
        got.sort();
        assert_eq!(got, expected, "the output's policies ({mode:?})");
    }
}

fn render_options(mode: Option<DenyMode>) -> PostRenderOptions {
    PostRenderOptions {
        release_namespace: RELEASE_NAMESPACE_PLACEHOLDER.into(),
        include_hooks: false,
        scope: Scope::default(),
        rules: RuleConfig::default(),
        analysis: analysis::Options::default(),
        generate: mode.map(|mode| GenerateOptions {
            mode,
            ..GenerateOptions::default()
        }),
        release: None,
        graph: false,
    }
}

fn is_generated(text: &str) -> bool {
    text.starts_with("# Generated by kubectl netpol-check")
}

/// `(namespace, name)` of every NetworkPolicy of a rendered stream, read as the post-renderer
/// reads it (hook workloads are skipped unread: a hook Pod without a name is no error).
fn policy_names(text: &str) -> Result<Vec<(String, String)>, String> {
    let options = ManifestOptions {
        default_namespace: RELEASE_NAMESPACE_PLACEHOLDER.into(),
        skip_helm_hooks: true,
    };
    let jobs = helm::jobs(text, &"<stdin>".into());
    let parsed = manifests::parse_jobs(&jobs, &options).map_err(|e| e.to_string())?;
    Ok(parsed
        .into_iter()
        .flatten()
        .filter_map(|p| match p {
            Parsed::Policy(p) => Some((p.namespace, p.name)),
            _ => None,
        })
        .collect())
}

/// The kind and apiVersion of each list of cluster-scoped policies.
fn cluster_kinds() -> Vec<(netpol_check::model::ClusterPolicyKind, &'static str)> {
    fetch::CLUSTER_POLICIES
        .iter()
        .map(|(kind, resource)| (*kind, resource.api_version()))
        .collect()
}

/// (c) Bytes as the body of a list response, read as each of the cluster source's lists reads
/// its pages (which list a page answers is the server's word), then folded, analysed and
/// printed as a cluster's inventory is.
pub fn cluster_page(data: &[u8]) {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((items, _)) = fetch::decode_page(body) else {
        return;
    };
    // The page decodes the same way each time: one decoding per list.
    let decode = || fetch::decode_page(body).expect("decoded once already").0;
    let pods: Vec<fold::ClusterPod> = items.into_iter().map(cluster::cluster_pod).collect();
    let owners: fold::Owners = decode()
        .into_iter()
        .map(|o| cluster::owner_entry(o, "ReplicaSet"))
        .chain(decode().into_iter().map(|o| cluster::owner_entry(o, "Job")))
        .flatten()
        .collect();
    let daemon_sets: Vec<cni::DaemonSetInfo> =
        decode().into_iter().map(cluster::daemon_set).collect();
    // As the cluster source assembles its inventory from the lists.
    let namespaces = decode()
        .into_iter()
        .filter_map(cluster::namespace_from_list)
        .collect();
    let policies = decode()
        .into_iter()
        .filter_map(cluster::policy_from_list)
        .collect();
    let cluster_policies = cluster_kinds()
        .into_iter()
        .flat_map(|(kind, api_version)| {
            decode()
                .into_iter()
                .filter_map(move |o| cluster::cluster_policy_from_list(kind, api_version, o))
        })
        .collect();
    let pod_owners = fold::pod_owners(&pods, &owners);
    let mut inventory = Inventory {
        namespaces,
        workloads: fold::fold(pods, &owners),
        policies,
        cluster_policies,
        pod_owners,
        ..Inventory::default()
    };
    Scope::default().apply(&mut inventory);
    let source = Source::cluster(
        "fuzz".into(),
        "https://fuzz.invalid".into(),
        Some(cni::detect(&daemon_sets)),
    );
    let report = analysis::analyse_with(&inventory, source, &RuleConfig::default());
    render_all(&report);
}
