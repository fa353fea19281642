//! Helm's rendered stream, as a post-renderer reads it on stdin.
//!
//! Helm 3 sends the non-hook templates, each document preceded by `# Source: <chart>/templates/<file>`.
//! Helm 4 re-serialises everything, hooks included, and names the template in the annotation
//! `postrenderer.helm.sh/postrender-filename` (read in [`super::stream`]). Either names the file
//! in findings; lines count from the start of the rendered template document.

use std::sync::Arc;

use super::documents::{self, Document};
use super::manifests::Job;

const SOURCE: &str = "# Source: ";

/// Parse jobs for a rendered stream: one per document, named after its template when Helm 3
/// says which, else after `stream_name`.
pub fn jobs<'a>(text: &'a str, stream_name: &Arc<str>) -> Vec<Job<'a>> {
    // JSON objects, possibly followed by YAML documents (read as kubectl reads them).
    if text.trim_start().starts_with('{') {
        return vec![Job {
            file: stream_name.clone(),
            doc: Document {
                text,
                offset: 0,
                line: 1,
                marker: None,
            },
            json: true,
            line_base: 0,
        }];
    }
    // Blank documents hold no object: not keeping them bounds the memory of a stream of
    // millions of `---` lines.
    documents::split_keeping(text, |d| !d.is_blank())
        .into_iter()
        .map(|doc| {
            let (file, line_base) = match source_comment(&doc) {
                Some((template, line)) => (Arc::from(template), line),
                None => (stream_name.clone(), 0),
            };
            Job {
                file,
                doc,
                json: false,
                line_base,
            }
        })
        .collect()
}

/// The template named by a `# Source:` comment before the document's content, and its line.
pub(crate) fn source_comment<'a>(doc: &Document<'a>) -> Option<(&'a str, u32)> {
    for (i, line) in doc.text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(template) = trimmed.strip_prefix(SOURCE) {
            return Some((template.trim(), doc.line + i as u32));
        }
        // Directives and their `---` come before Helm's comment.
        let preamble = line.starts_with('%') || trimmed == "---";
        if !(trimmed.is_empty() || trimmed.starts_with('#') || preamble) {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_named_after_their_source_comment() {
        let text = "---\n# Source: shop/templates/web.yaml\napiVersion: v1\n---\napiVersion: v1\n";
        let name: Arc<str> = "<stdin>".into();
        let jobs = jobs(text, &name);
        assert_eq!(&*jobs[0].file, "shop/templates/web.yaml");
        assert_eq!(jobs[0].line_base, 2);
        assert_eq!(jobs[0].doc.content_line() - jobs[0].line_base, 1);
        assert_eq!(&*jobs[1].file, "<stdin>");
    }

    #[test]
    fn a_source_comment_after_content_does_not_count() {
        let text = "apiVersion: v1\n# Source: x.yaml\n";
        let name: Arc<str> = "<stdin>".into();
        assert_eq!(&*jobs(text, &name)[0].file, "<stdin>");
    }
}
