//! Inputs besides `-f`: kustomizations (`-k`) and Helm charts (`--chart`), rendered by the
//! user's own kustomize, kubectl and helm, and whether Helm hooks are analysed.

use clap::{Args, ValueHint};

use crate::error::Error;
use crate::model::Inventory;
use crate::report::Source;
use crate::source::chart::{self, ChartOptions};
use crate::source::rendered::Rendered;
use crate::source::{kustomize, manifests, paths, ManifestOptions};

#[derive(Debug, Args, Default)]
pub struct SourceArgs {
    /// Kustomization directory, built with `kustomize build` (or `kubectl kustomize` when
    /// kustomize is not on PATH); findings name the file each object came from. Repeatable;
    /// mixes with -f.
    #[arg(short = 'k', long = "kustomize", value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub kustomize: Vec<String>,

    /// Helm chart (directory, packaged chart, or a reference helm resolves) rendered with
    /// `helm template` by the helm on PATH, in the -n namespace, as release --release
    /// (default: the chart's name); findings name the templates.
    #[arg(long, value_name = "CHART", value_hint = ValueHint::AnyPath)]
    pub chart: Option<String>,

    /// A values file for --chart (helm's -f/--values: here -f reads manifests). Repeatable.
    #[arg(long = "values", value_name = "FILE", requires = "chart", value_hint = ValueHint::FilePath)]
    pub values: Vec<String>,

    /// A value for --chart, as helm's --set KEY=VALUE. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE", requires = "chart")]
    pub set: Vec<String>,

    /// Analyse Helm hooks too (helm.sh/hook: `helm test` pods, migration jobs), which are
    /// otherwise left out of --chart and of rendered streams given with -f.
    #[arg(long)]
    pub include_hooks: bool,
}

impl SourceArgs {
    /// Whether anything besides -f was given to read.
    pub fn any(&self) -> bool {
        !self.kustomize.is_empty() || self.chart.is_some()
    }
}

/// What to read and how, as the commands taking -f have it.
pub struct Request<'a> {
    pub filenames: &'a [String],
    pub sources: &'a SourceArgs,
    /// `--release`.
    pub release: Option<&'a str>,
    /// Namespace of objects that name none.
    pub namespace: &'a str,
    /// Whether -n (or another flag choosing the namespace) was given.
    pub namespace_given: bool,
}

/// Reads `-f`, builds `-k` and renders `--chart` into one inventory and the report's source.
pub fn read(request: &Request<'_>) -> Result<(Inventory, Source), Error> {
    let inputs = paths::expand(request.filenames)?;
    let sources = request.sources;
    let mut rendered: Vec<Rendered> = Vec::new();
    for dir in &sources.kustomize {
        rendered.push(kustomize::build(dir)?);
    }
    if let Some(chart) = &sources.chart {
        rendered.push(chart::render(&ChartOptions {
            chart,
            release: request.release,
            namespace: request.namespace,
            values: &sources.values,
            set: &sources.set,
        })?);
    }
    let options = ManifestOptions {
        default_namespace: request.namespace.to_owned(),
        skip_helm_hooks: !sources.include_hooks,
    };
    let (inventory, stdin_without_namespace) = manifests::load_with(&inputs, &rendered, &options)?;
    if stdin_without_namespace && !request.namespace_given {
        eprintln!(
            "hint: no object on stdin names a namespace: they are checked in {:?}, where kubectl \
             would apply them; -n NAMESPACE names the one they go to (a Helm release's)",
            request.namespace
        );
    }
    let files = inputs
        .iter()
        .map(|i| i.display_name())
        .chain(rendered.into_iter().map(|r| r.name))
        .collect();
    Ok((inventory, Source::manifests(files)))
}
