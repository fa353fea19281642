//! The Helm post-renderer: the rendered chart in, the same bytes out (plus any generated
//! policies as whole extra documents), and a report.
//!
//! Nothing of the input is re-serialised: the output is the input split at one document
//! boundary with the generated documents in between, so deleting them gives back the input
//! byte for byte (comments, quoting, anchors, CRLF, a missing final newline included).

use std::sync::Arc;

use crate::analysis::{self, RuleConfig, Scope};
use crate::error::Error;
use crate::generate::{self, GenerateOptions, PolicyManifest};
use crate::model::Inventory;
use crate::report::{Report, Source};
use crate::semantics::Coverage;
use crate::source::documents::Document;
use crate::source::helm;
use crate::source::manifests::{self, Job, ManifestOptions};
use crate::source::stream::{parse_yaml_document, DocContext, Parsed};
use crate::source::with_cluster::{self, Base, ObjectRef};

/// The namespace of documents that name none, when neither `--namespace` nor `HELM_NAMESPACE`
/// tells: no Helm version passes it to a post-renderer.
pub const RELEASE_NAMESPACE_PLACEHOLDER: &str = "<release>";

/// Kinds Helm installs before NetworkPolicies (after which generated documents go).
const LEADING_KINDS: [&str; 2] = ["ResourceQuota", "LimitRange"];

#[derive(Debug, Clone)]
pub struct PostRenderOptions {
    /// The release namespace, or [`RELEASE_NAMESPACE_PLACEHOLDER`].
    pub release_namespace: String,
    pub include_hooks: bool,
    pub scope: Scope,
    pub rules: RuleConfig,
    /// The hostNetwork model and `-l`.
    pub analysis: analysis::Options,
    /// Generate default denies (`--emit-default-deny`).
    pub generate: Option<GenerateOptions>,
    /// `--release`: the release whose names generated policies carry, and whose objects in
    /// the cluster the render replaces.
    pub release: Option<String>,
    /// Draw the namespace graph for an HTML report (`Rendered::graph`).
    pub graph: bool,
}

/// What to write: `input[..insert_at]`, then `generated`, then `input[insert_at..]`.
#[derive(Debug)]
pub struct Rendered {
    pub report: Report,
    pub insert_at: usize,
    pub generated: String,
    /// With `--with-cluster`: what the verdict counts and what the change does to the cluster.
    pub cluster: Option<crate::in_cluster::Outcome>,
    /// With `graph`: the HTML report's namespace graph, or why there is none.
    pub graph: Option<Result<String, String>>,
}

/// Analyses a rendered stream and decides what to add.
pub fn render(input: &str, options: &PostRenderOptions) -> Result<Rendered, Error> {
    render_with(input, options, |_| Ok(None))
}

/// [`render`] in the cluster `cluster` reads for the rendered objects (`None`: without it).
pub fn render_with(
    input: &str,
    options: &PostRenderOptions,
    cluster: impl FnOnce(&Inventory) -> Result<Option<Base>, Error>,
) -> Result<Rendered, Error> {
    let stream_name: Arc<str> = "<stdin>".into();
    let manifest_options = ManifestOptions {
        default_namespace: options.release_namespace.clone(),
        skip_helm_hooks: !options.include_hooks,
    };
    let jobs = helm::jobs(input, &stream_name);
    let per_document = manifests::parse_jobs(&jobs, &manifest_options)?;
    let insert_at = insertion_point(input, &jobs, &per_document);
    let mut inventory = manifests::inventory_of_documents(per_document);
    if let Some(mode) = options.analysis.cilium_mode {
        inventory.cilium_mode = Some(mode);
    }
    options.scope.apply(&mut inventory);
    let base = cluster(&inventory)?;
    let touched = with_cluster::touched(&inventory);
    let mut release = with_cluster::release_of(&inventory, options.release.as_deref());
    let mut merged = None;
    if let Some(base) = &base {
        let mut base_inventory = base.inventory.clone();
        options.scope.apply(&mut base_inventory);
        let base = Base {
            inventory: base_inventory,
            ..base.clone()
        };
        let (m, r) = crate::in_cluster::merge(
            &base,
            inventory,
            options.release.as_deref(),
            Some(&options.release_namespace),
        );
        inventory = m.after.clone();
        release = r;
        merged = Some((base, m));
    }

    let mut notes = Vec::new();
    let manifests = match &options.generate {
        Some(g) => {
            let coverage = {
                let invalid = analysis::invalid_policies(&inventory);
                Coverage::evaluate_with(
                    &inventory,
                    |i| !invalid.contains(&i),
                    options.analysis.host_network,
                )
            };
            let g = GenerateOptions {
                release_namespace: Some(options.release_namespace.clone()),
                release: release.clone(),
                ..g.clone()
            };
            let mut generated = generate::generate(&inventory, &coverage, &g);
            if merged.is_some() {
                // The release adds objects to the namespaces it renders into, never to the
                // cluster's other namespaces.
                generated.policies.retain(|p| {
                    p.metadata.namespace.is_none()
                        || touched.contains(p.effective_namespace(&options.release_namespace))
                });
            }
            add_generated(
                &mut inventory,
                &generated.policies,
                &options.release_namespace,
            )?;
            notes = generated.notes;
            generated.policies
        }
        None => Vec::new(),
    };

    let (mut report, outcome) = match &merged {
        Some((base, m)) => {
            let generated_refs = manifests.iter().map(|p| {
                ObjectRef::new(
                    p.kind,
                    p.effective_namespace(&options.release_namespace),
                    &p.metadata.name,
                )
            });
            let (report, outcome) = crate::in_cluster::judge(
                base,
                m,
                &inventory,
                Source::helm(),
                &options.analysis,
                &options.rules,
                generated_refs,
            );
            (report, Some(outcome))
        }
        None => (
            analysis::analyse_with_options(
                &inventory,
                Source::helm(),
                &options.rules,
                &options.analysis,
            ),
            None,
        ),
    };
    report.notes.extend(notes);
    report.generated = manifests.iter().map(PolicyManifest::to_value).collect();
    let graph = options
        .graph
        .then(|| crate::output::html::namespace_graph(&inventory, &options.analysis));
    let documents: Vec<String> = manifests.iter().map(PolicyManifest::to_yaml).collect();
    Ok(Rendered {
        report,
        insert_at,
        generated: generated_block(input, insert_at, &documents),
        cluster: outcome,
        graph,
    })
}

/// Generated policies count in the verdict: they are read back through the same parser as
/// the chart, so what is analysed is exactly what is written.
pub fn add_generated(
    inventory: &mut Inventory,
    generated: &[PolicyManifest],
    default_namespace: &str,
) -> Result<(), Error> {
    let file: Arc<str> = "<generated>".into();
    for manifest in generated {
        let text = manifest.to_yaml();
        let doc = Document {
            text: &text,
            offset: 0,
            line: 1,
            marker: None,
        };
        let ctx = DocContext {
            file: &file,
            doc: &doc,
            default_namespace,
            line_base: 0,
            skip_helm_hooks: false,
            content_line: doc.content_line(),
        };
        for parsed in parse_yaml_document(ctx)? {
            match parsed {
                Parsed::Policy(p) => inventory.policies.push(p),
                // `--policy-format cilium`.
                Parsed::CiliumPolicy(p) => inventory.cilium_policies.push(*p),
                // `--policy-format calico`.
                Parsed::CalicoPolicy(p) => inventory.calico_policies.push(*p),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Where Helm's install order puts NetworkPolicies: after any leading Namespace,
/// ResourceQuota and LimitRange documents, before the rest, at a document boundary.
pub fn insertion_point(input: &str, jobs: &[Job<'_>], per_document: &[Vec<Parsed>]) -> usize {
    for (job, parsed) in jobs.iter().zip(per_document) {
        if job.json {
            // A JSON input is one stream of objects, read as kubectl reads it. Put before
            // it, the generated documents would leave those objects in one YAML document,
            // which holds one object only; after it, they stay a JSON stream followed by YAML
            // documents, which reads back as it was (Helm orders the kinds itself).
            return input.len();
        }
        let leading = parsed.iter().all(|p| match p {
            Parsed::Namespace(_) => true,
            Parsed::Skipped(kind) => LEADING_KINDS.contains(&kind.as_str()),
            _ => false,
        });
        if !leading {
            return job.doc.marker.unwrap_or(job.doc.offset);
        }
    }
    input.len()
}

/// The bytes to insert at `at`: each document behind its own `---`, separated from what
/// precedes and follows so that no document of the input changes.
pub fn generated_block(input: &str, at: usize, documents: &[String]) -> String {
    if documents.is_empty() {
        return String::new();
    }
    let mut block = String::new();
    if at > 0 && !input[..at].ends_with('\n') {
        block.push('\n');
    }
    for doc in documents {
        block.push_str("---\n# Generated by kubectl netpol-check (--emit-default-deny)\n");
        block.push_str(doc);
        if !doc.ends_with('\n') {
            block.push('\n');
        }
    }
    if at < input.len() {
        if input[at..].starts_with('%') {
            // The next document opens with directives (`%YAML 1.2`): YAML wants the document
            // before them ended explicitly.
            block.push_str("...\n");
        } else if !starts_with_marker(&input[at..]) {
            block.push_str("---\n");
        }
    }
    block
}

fn starts_with_marker(text: &str) -> bool {
    text.starts_with("---")
        && matches!(
            text.as_bytes().get(3),
            None | Some(b' ' | b'\t' | b'\r' | b'\n')
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_default(input: &str, generate: bool) -> Rendered {
        let options = PostRenderOptions {
            release_namespace: RELEASE_NAMESPACE_PLACEHOLDER.into(),
            include_hooks: false,
            scope: Scope::new(false, &[]).unwrap(),
            rules: RuleConfig::default(),
            analysis: Default::default(),
            generate: generate.then(GenerateOptions::default),
            release: None,
            graph: false,
        };
        render(input, &options).unwrap()
    }

    fn output(input: &str, r: &Rendered) -> String {
        format!(
            "{}{}{}",
            &input[..r.insert_at],
            r.generated,
            &input[r.insert_at..]
        )
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  containers: []\n";

    #[test]
    fn generated_documents_go_after_leading_namespaces() {
        let pod = POD.replace("  name: web\n", "  name: web\n  namespace: shop\n");
        let input = format!("---\n# Source: c/templates/ns.yaml\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n# Source: c/templates/pod.yaml\n{pod}");
        let r = render_default(&input, true);
        let out = output(&input, &r);
        let ns_end = input.find("---\n# Source: c/templates/pod.yaml").unwrap();
        assert_eq!(r.insert_at, ns_end);
        assert!(out[ns_end..].starts_with("---\n# Generated by kubectl netpol-check"));
        assert_eq!(
            r.report.generated.len(),
            2,
            "default-deny-all and allow-dns"
        );
        assert_eq!(out.replacen(&r.generated, "", 1), input);
    }

    #[test]
    fn generated_policies_count_in_the_verdict() {
        let r = render_default(POD, true);
        assert_eq!(r.report.summary.uncovered_workloads, 0);
        assert_eq!(r.report.summary.network_policies, 2);
        let r = render_default(POD, false);
        assert_eq!(r.report.summary.uncovered_workloads, 1);
        assert!(r.generated.is_empty());
    }

    #[test]
    fn a_stream_without_markers_keeps_its_first_document_whole() {
        let r = render_default(POD, true);
        assert_eq!(r.insert_at, 0);
        assert!(
            r.generated.ends_with("---\n"),
            "the pod document must stay separate"
        );
        let out = output(POD, &r);
        let docs = crate::source::documents::split(&out);
        assert_eq!(docs.last().unwrap().text, POD);
    }

    #[test]
    fn generated_documents_follow_a_json_stream_which_reads_back_whole() {
        let pod = |name: &str| {
            format!(
                r#"{{"apiVersion": "v1", "kind": "Pod", "metadata": {{"name": "{name}", "namespace": "shop"}}, "spec": {{"containers": []}}}}"#
            )
        };
        let input = format!("{}\n{}\n", pod("a"), pod("b"));
        let r = render_default(&input, true);
        assert_eq!(r.insert_at, input.len());
        let out = output(&input, &r);
        assert!(out.starts_with(&input));
        let jobs = crate::source::helm::jobs(&out, &"<stdin>".into());
        let options = ManifestOptions {
            default_namespace: RELEASE_NAMESPACE_PLACEHOLDER.into(),
            skip_helm_hooks: true,
        };
        let parsed: Vec<Parsed> = (manifests::parse_jobs(&jobs, &options).unwrap())
            .into_iter()
            .flatten()
            .collect();
        let pods = parsed
            .iter()
            .filter(|p| matches!(p, Parsed::Workload(_)))
            .count();
        let policies = parsed
            .iter()
            .filter(|p| matches!(p, Parsed::Policy(_)))
            .count();
        assert_eq!((pods, policies), (2, r.report.generated.len()));
        assert!(policies > 0);
    }

    #[test]
    fn missing_final_newline_at_the_end_is_kept_apart() {
        let input = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop";
        let r = render_default(input, true);
        assert_eq!(r.insert_at, input.len());
        assert!(r.generated.starts_with("\n---\n"));
        assert_eq!(output(input, &r).replacen(&r.generated, "", 1), input);
    }

    #[test]
    fn generated_documents_go_before_a_documents_directives() {
        let input = format!("%YAML 1.2\n---\n{POD}");
        let r = render_default(&input, true);
        assert_eq!(r.insert_at, 0);
        let out = output(&input, &r);
        assert!(out.ends_with(&format!("\n...\n{input}")), "{out}");
        let docs: Vec<serde_norway::Value> = crate::source::documents::split(&out)
            .iter()
            .filter(|d| !d.is_blank())
            .map(|d| serde_norway::from_str(d.text).unwrap())
            .collect();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[2]["kind"], "Pod");
    }

    #[test]
    fn hooks_are_left_out_unless_asked_for() {
        let input = format!("{POD}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: test\n  annotations:\n    helm.sh/hook: test\n");
        let r = render_default(&input, false);
        assert_eq!(r.report.summary.workloads, 1);
        assert_eq!(
            r.report.summary.skipped_kinds.get("Pod (Helm hook)"),
            Some(&1)
        );
    }

    #[test]
    fn release_namespace_is_reported_as_a_placeholder() {
        let r = render_default(POD, true);
        assert_eq!(r.report.workloads[0].namespace, "<release>");
        assert!(r.report.generated[0]["metadata"].get("namespace").is_none());
    }
}
