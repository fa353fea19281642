//! `--chart DIR|REF`: a chart rendered by `helm template` with the `helm` on PATH.
//!
//! Helm names each document's template in a `# Source: <chart>/templates/<file>` comment (read
//! by [`super::helm`]); for a chart directory that name is mapped back to the file under it, so
//! findings point at `chart/templates/web.yaml` and subcharts' `chart/charts/db/templates/...`.
//! Lines count within the rendered document, as post-render counts them.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use super::helm;
use super::rendered::{self, Rendered, RenderedDoc};
use crate::error::Error;

/// What to render.
#[derive(Debug, Clone)]
pub struct ChartOptions<'a> {
    /// A chart directory, packaged chart or reference helm resolves (`repo/name`, `oci://`).
    pub chart: &'a str,
    /// The release name (default: [`default_release`]).
    pub release: Option<&'a str>,
    pub namespace: &'a str,
    pub values: &'a [String],
    pub set: &'a [String],
}

/// The release name when none is given: the chart's own name as the reference spells it
/// (`./charts/shop` and `repo/shop` give `shop`); `helm template` itself would need one or
/// `--generate-name`.
pub fn default_release(chart: &str) -> String {
    let last = chart
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(chart);
    let last = last.strip_suffix(".tgz").unwrap_or(last);
    // `oci://registry/shop:1.2.0`, and a packaged chart's `shop-1.2.0`.
    let last = last.split(':').next().unwrap_or(last);
    match last.rfind('-') {
        Some(i)
            if last[i + 1..].starts_with(|c: char| c.is_ascii_digit())
                && chart.ends_with(".tgz") =>
        {
            last[..i].to_owned()
        }
        _ => last.to_owned(),
    }
}

/// Renders the chart.
pub fn render(options: &ChartOptions<'_>) -> Result<Rendered, Error> {
    let chart = options.chart;
    let Some(helm) = rendered::which("helm") else {
        return Err(Error::Usage(format!(
            "--chart {chart}: helm is not on PATH (it renders the chart)"
        )));
    };
    let release = options
        .release
        .map(str::to_owned)
        .unwrap_or_else(|| default_release(chart));
    let mut command = Command::new(helm);
    command
        .args([
            "template",
            &release,
            chart,
            "--namespace",
            options.namespace,
        ])
        .env_remove("HELM_NAMESPACE");
    for values in options.values {
        command.arg("--values").arg(values);
    }
    for set in options.set {
        command.arg("--set").arg(set);
    }
    let name = format!("helm template {release} {chart}");
    let text = rendered::run(command, &format!("--chart {chart}: helm template"))?;
    let directory = Path::new(chart).is_dir().then(|| Path::new(chart));
    let stream_name: Arc<str> = name.as_str().into();
    let docs = helm::jobs(&text, &stream_name)
        .into_iter()
        .map(|job| {
            let file = match directory {
                Some(dir) if !Arc::ptr_eq(&job.file, &stream_name) => template_file(dir, &job.file),
                _ => job.file.clone(),
            };
            RenderedDoc {
                file,
                text: job.doc.text.to_owned(),
                line: job.doc.line,
                line_base: job.line_base,
            }
        })
        .collect();
    Ok(Rendered { name, docs })
}

/// `shop/charts/db/templates/x.yaml` as the file under the chart directory, when it is there
/// (a subchart packaged as a .tgz keeps Helm's name).
fn template_file(dir: &Path, source: &Arc<str>) -> Arc<str> {
    match source.split_once('/') {
        Some((_, rest)) if dir.join(rest).is_file() => {
            Arc::from(dir.join(rest).display().to_string())
        }
        _ => source.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_release_is_the_charts_name() {
        assert_eq!(default_release("./charts/shop/"), "shop");
        assert_eq!(default_release("bitnami/redis"), "redis");
        assert_eq!(
            default_release("oci://registry.example/charts/shop:1.2.0"),
            "shop"
        );
        assert_eq!(default_release("dist/shop-1.2.0.tgz"), "shop");
        assert_eq!(default_release("my-app"), "my-app");
    }
}
