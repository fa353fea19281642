//! Manifests that a tool renders for us (`-k`, `--chart`): the documents it wrote, each with
//! the source file findings should point at.

use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use crate::error::Error;

/// What one tool run rendered.
#[derive(Debug)]
pub struct Rendered {
    /// How it was rendered (`kubectl kustomize overlays/prod`), for the report's source.
    pub name: String,
    pub docs: Vec<RenderedDoc>,
}

/// One rendered document and where it came from.
#[derive(Debug)]
pub struct RenderedDoc {
    /// The source file (or Helm's template name when the file cannot be found).
    pub file: Arc<str>,
    /// The document's text as analysed.
    pub text: String,
    /// The line of the document's first line, in `file`'s terms.
    pub line: u32,
    /// Lines up to this one do not count in origins (Helm's `# Source:` line).
    pub line_base: u32,
}

/// The first executable called `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Runs a renderer; its stdout, or its own first error line.
pub fn run(mut command: Command, what: &str) -> Result<String, Error> {
    let output = command
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| Error::Usage(format!("{what}: cannot run it: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("failed without saying why");
        let first = first
            .strip_prefix("error: ")
            .or_else(|| first.strip_prefix("Error: "))
            .unwrap_or(first);
        return Err(Error::Usage(format!("{what}: {first}")));
    }
    String::from_utf8(output.stdout)
        .map_err(|_| Error::Usage(format!("{what}: its output is not UTF-8 text")))
}

/// `path` without `.` and `..` components (no symlinks are resolved).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `to` relative to `from` (both absolute and normalised), with `..` where needed.
pub fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c);
    }
    out
}

/// How a file is named in findings: relative to the current directory when under it (or
/// near it), as the user typed paths with `-f`.
pub fn display(path: &Path) -> String {
    let Ok(cwd) = std::env::current_dir() else {
        return path.display().to_string();
    };
    let cwd = cwd.canonicalize().unwrap_or(cwd);
    let rel = relative(&cwd, path);
    let ups = rel
        .components()
        .take_while(|c| *c == Component::ParentDir)
        .count();
    // Far away (another tree, the system's temporary directory): the absolute path is clearer.
    if ups > 2 {
        return path.display().to_string();
    }
    rel.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_then_descend() {
        assert_eq!(
            relative(Path::new("/a/b/c"), Path::new("/a/d/e.yaml")),
            Path::new("..").join("..").join("d/e.yaml")
        );
        assert_eq!(
            relative(Path::new("/a"), Path::new("/a/x.yaml")),
            PathBuf::from("x.yaml")
        );
        assert_eq!(
            normalize(Path::new("/t/w/../base/./d.yaml")),
            PathBuf::from("/t/base/d.yaml")
        );
    }
}
