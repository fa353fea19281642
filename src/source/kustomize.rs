//! `-k DIR`: a kustomization built by `kustomize build`, else `kubectl kustomize`.
//!
//! Findings point at the file each object came from: the user's directory is built through a
//! temporary kustomization that lists it as its one resource and asks for
//! `buildMetadata: [originAnnotations]` (kustomize v5, in kubectl since 1.27), so that every
//! object carries `config.kubernetes.io/origin`, a path relative to that temporary
//! kustomization. The annotation is taken off before analysis: it is ours, not the user's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use serde::Deserialize;

use super::documents;
use super::rendered::{self, Rendered, RenderedDoc};
use crate::error::Error;

const ORIGIN: &str = "config.kubernetes.io/origin:";

/// Builds the kustomization in `dir`.
pub fn build(dir: &str) -> Result<Rendered, Error> {
    let meta = std::fs::metadata(dir).map_err(|e| Error::io(dir, &e))?;
    if !meta.is_dir() {
        return Err(Error::Io {
            path: dir.to_owned(),
            message: "not a directory (-k takes the directory of a kustomization)".to_owned(),
        });
    }
    let (program, verb, label) = if let Some(p) = rendered::which("kustomize") {
        (p, "build", "kustomize build")
    } else if let Some(p) = rendered::which("kubectl") {
        (p, "kustomize", "kubectl kustomize")
    } else {
        return Err(Error::Usage(format!(
            "-k {dir}: neither kustomize nor kubectl is on PATH (either builds a kustomization)"
        )));
    };
    let target = Path::new(dir)
        .canonicalize()
        .map_err(|e| Error::io(dir, &e))?;
    let wrapper = Wrapper::new(&target).map_err(|e| Error::io("<temporary directory>", &e))?;
    let mut command = Command::new(&program);
    command.arg(verb).arg(&wrapper.dir);
    let name = format!("{label} {dir}");
    let what = format!("-k {dir}: {label}");
    let text = match rendered::run(command, &what) {
        Ok(text) => text,
        Err(wrapped) => {
            // Kustomize's error names our temporary kustomization's relative path to yours:
            // built alone, your directory fails in your terms.
            let mut alone = Command::new(&program);
            alone.arg(verb).arg(dir);
            return Err(rendered::run(alone, &what).err().unwrap_or(wrapped));
        }
    };

    let mut sources = SourceFiles::default();
    let mut docs = Vec::new();
    for doc in documents::split_keeping(&text, |d| !d.is_blank()) {
        let (stripped, origin) = strip_origin(doc.text);
        let located = origin.and_then(|o| {
            let path = o.path.or(o.configured_in)?;
            match o.repo {
                // A remote base: where it is in its repository is all that can be said.
                Some(repo) => Some((format!("{repo}/{path}"), 1)),
                None => {
                    let file = rendered::normalize(&wrapper.dir.join(path));
                    let line = sources.line_of(&file, &stripped);
                    Some((rendered::display(&file), line))
                }
            }
        });
        let (file, line) = located.unwrap_or_else(|| (name.clone(), doc.line));
        docs.push(RenderedDoc {
            file: Arc::from(file),
            text: stripped,
            line,
            line_base: 0,
        });
    }
    Ok(Rendered { name, docs })
}

/// The temporary kustomization around the user's; removed when dropped.
struct Wrapper {
    dir: PathBuf,
}

impl Wrapper {
    fn new(target: &Path) -> std::io::Result<Wrapper> {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let tmp = std::env::temp_dir();
        let tmp = tmp.canonicalize().unwrap_or(tmp);
        let dir = tmp.join(format!(
            "netpol-check-kustomize-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir)?;
        let wrapper = Wrapper { dir };
        // Kustomize refuses absolute resource paths.
        let resource = rendered::relative(&wrapper.dir, target);
        let resource =
            serde_json::to_string(&resource.display().to_string()).expect("a string serialises");
        std::fs::write(
            wrapper.dir.join("kustomization.yaml"),
            format!("resources:\n- {resource}\nbuildMetadata: [originAnnotations]\n"),
        )?;
        Ok(wrapper)
    }
}

impl Drop for Wrapper {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Origin {
    path: Option<String>,
    repo: Option<String>,
    /// Generated objects (configMapGenerator and the like): the kustomization that made them.
    configured_in: Option<String>,
}

/// The document without the origin annotation (and without `annotations:` if that was its
/// only one), and the origin it gave. Kustomize writes its output in one layout: the
/// annotation is a block under `metadata.annotations`.
fn strip_origin(text: &str) -> (String, Option<Origin>) {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let Some(at) = lines
        .iter()
        .position(|l| l.trim_start().starts_with(ORIGIN))
    else {
        return (text.to_owned(), None);
    };
    let own = indent(lines[at]);
    let mut end = at + 1;
    while end < lines.len() && (lines[end].trim().is_empty() || indent(lines[end]) > own) {
        end += 1;
    }
    let value = lines[at].trim_start()[ORIGIN.len()..].trim();
    let origin_text = if value.starts_with('|') {
        let body: Vec<&str> = lines[at + 1..end].to_vec();
        let strip = body
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| indent(l))
            .min()
            .unwrap_or(0);
        body.iter()
            .map(|l| l.get(strip..).unwrap_or("").to_owned())
            .collect::<String>()
    } else {
        // A quoted or plain scalar holding the same YAML.
        serde_norway::from_str::<String>(value).unwrap_or_default()
    };
    let origin = serde_norway::from_str::<Origin>(&origin_text).ok();
    let mut start = at;
    // `annotations:` holding nothing else goes too.
    if at > 0
        && lines[at - 1].trim() == "annotations:"
        && indent(lines[at - 1]) < own
        && lines
            .get(end)
            .is_none_or(|next| indent(next) <= indent(lines[at - 1]))
    {
        start = at - 1;
    }
    let mut out = String::with_capacity(text.len());
    for l in lines[..start].iter().chain(&lines[end..]) {
        out.push_str(l);
    }
    (out, origin)
}

/// The source files read so far: each document's kind, name and first line.
#[derive(Default)]
struct SourceFiles {
    files: HashMap<PathBuf, Vec<(String, String, u32)>>,
}

#[derive(Deserialize, Default)]
struct Head {
    kind: Option<String>,
    metadata: Option<HeadMeta>,
}

#[derive(Deserialize, Default)]
struct HeadMeta {
    name: Option<String>,
}

fn head(text: &str) -> (String, String) {
    let h: Head = serde_norway::from_str(text).unwrap_or_default();
    (
        h.kind.unwrap_or_default(),
        h.metadata.and_then(|m| m.name).unwrap_or_default(),
    )
}

impl SourceFiles {
    /// The line where the object built as `built` begins in `file`: the document of the same
    /// kind and name, else of the same kind whose name the built one contains (a namePrefix
    /// or nameSuffix), else the first of that kind; line 1 when nothing fits.
    fn line_of(&mut self, file: &Path, built: &str) -> u32 {
        let docs = self.files.entry(file.to_path_buf()).or_insert_with(|| {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            documents::split_keeping(&text, |d| !d.is_blank())
                .iter()
                .map(|d| {
                    let (kind, name) = head(d.text);
                    (kind, name, d.content_line())
                })
                .collect()
        });
        let (kind, name) = head(built);
        let same_kind = || docs.iter().filter(|(k, _, _)| *k == kind);
        same_kind()
            .find(|(_, n, _)| *n == name)
            .or_else(|| same_kind().find(|(_, n, _)| !n.is_empty() && name.contains(n.as_str())))
            .or_else(|| same_kind().next())
            .map_or(1, |(_, _, line)| *line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_annotation_and_an_emptied_annotations_map_are_taken_off() {
        let doc = "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      path: base/pod.yaml\n  name: web\nspec: {}\n";
        let (text, origin) = strip_origin(doc);
        assert_eq!(
            text,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec: {}\n"
        );
        assert_eq!(origin.unwrap().path.as_deref(), Some("base/pod.yaml"));
    }

    #[test]
    fn other_annotations_stay() {
        let doc = "metadata:\n  annotations:\n    a: b\n    config.kubernetes.io/origin: |\n      path: x.yaml\n      repo: https://example.com/r\n    z: y\n  name: web\n";
        let (text, origin) = strip_origin(doc);
        assert_eq!(
            text,
            "metadata:\n  annotations:\n    a: b\n    z: y\n  name: web\n"
        );
        assert_eq!(
            origin.unwrap().repo.as_deref(),
            Some("https://example.com/r")
        );
    }
}
