//! Renderers: each consumes a finished [`Report`](crate::report::Report).

pub mod color;
pub mod diff;
pub mod explain;
pub mod graph;
pub mod html;
pub mod json;
mod json_findings;
mod json_workloads;
pub mod junit;
mod markup;
pub mod matrix;
pub mod namespace_matrix;
mod pretty;
pub mod reach;
pub mod sarif;
pub mod summary;
pub mod table;
pub mod terminal;
pub mod with_cluster;

use std::io::Write;

use crate::report::Report;

pub use color::ColorChoice;

/// How `explain` and `reach` JSON name a policy (the shape of the report's `policyRefs`).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PolicyRef<'a> {
    pub kind: &'static str,
    pub api_version: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub namespace: &'a str,
    pub name: &'a str,
}

impl<'a> PolicyRef<'a> {
    pub fn of(p: &'a crate::model::NetworkPolicy) -> Self {
        PolicyRef {
            kind: "NetworkPolicy",
            api_version: "networking.k8s.io/v1",
            namespace: &p.namespace,
            name: &p.name,
        }
    }

    /// A policy of any kind; cluster-scoped ones have no namespace.
    pub fn of_id(inventory: &'a crate::model::Inventory, id: crate::semantics::PolicyId) -> Self {
        match id {
            crate::semantics::PolicyId::Network(i) => Self::of(&inventory.policies[i]),
            crate::semantics::PolicyId::Cluster(i) => {
                let p = &inventory.cluster_policies[i];
                PolicyRef {
                    kind: p.kind.as_str(),
                    api_version: &p.api_version,
                    namespace: "",
                    name: &p.name,
                }
            }
            crate::semantics::PolicyId::Cilium { policy, .. } => {
                let p = &inventory.cilium_policies[policy as usize];
                PolicyRef {
                    kind: p.kind.as_str(),
                    api_version: "cilium.io/v2",
                    namespace: p.namespace.as_deref().unwrap_or(""),
                    name: &p.name,
                }
            }
            crate::semantics::PolicyId::Calico(i) => {
                let p = &inventory.calico_policies[i];
                PolicyRef {
                    kind: p.kind.as_str(),
                    api_version: &p.api_version,
                    namespace: p.namespace.as_deref().unwrap_or(""),
                    name: &p.name,
                }
            }
        }
    }
}

/// `-o` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Workloads, findings and a summary line.
    Table,
    /// The table with the selecting policies of each workload.
    Wide,
    /// The report object as JSON.
    Json,
    /// The report object as YAML.
    Yaml,
    /// SARIF 2.1.0, for GitHub code scanning: findings at file and line, with rule help.
    Sarif,
    /// One self-contained HTML page: summary, coverage per namespace, findings, workloads.
    Html,
    /// JUnit XML for CI test reports (GitLab, Jenkins): a test case per workload and
    /// direction, and one per finding.
    Junit,
}

impl Format {
    /// The format a report file's name asks for: `.html`, `.xml` (JUnit), `.json`, `.sarif`,
    /// `.yaml`/`.yml`.
    pub fn of_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "html" | "htm" => Format::Html,
            "xml" => Format::Junit,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "yaml" | "yml" => Format::Yaml,
            _ => return None,
        })
    }

    /// Formats programs read: no colour, no progress mixed into a terminal's view of them.
    pub fn is_machine(self) -> bool {
        !matches!(self, Format::Table | Format::Wide)
    }
}

/// Writes the report in a format.
pub fn render(
    report: &Report,
    format: Format,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let fails = |f: &crate::report::Finding| f.severity >= crate::report::Severity::Error;
    render_failing(report, format, color, &fails, out)
}

/// [`render`], with what fails the run (`--fail-on`): JUnit marks those findings as failures.
pub fn render_failing(
    report: &Report,
    format: Format,
    color: bool,
    fails: &dyn Fn(&crate::report::Finding) -> bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Table | Format::Wide => {
            let mut out = terminal::Escaping::new(out, color);
            table::render(report, format == Format::Wide, color, &mut out)?;
            out.flush()
        }
        Format::Json => {
            json::render(report, out)?;
            writeln!(out)
        }
        Format::Yaml => {
            let text = serde_norway::to_string(report).map_err(std::io::Error::other)?;
            out.write_all(text.as_bytes())
        }
        Format::Sarif => sarif::render(report, out),
        Format::Html => html::render(report, out),
        Format::Junit => junit::render(report, fails, out),
    }
}
