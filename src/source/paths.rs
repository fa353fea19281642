//! Expansion of `-f` arguments into the files to read.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// The name used in findings and errors.
    pub fn display_name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_owned(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// Files named on the command line are read whatever their extension; directories are walked
/// recursively for `*.yaml`, `*.yml` and `*.json`, in sorted order so that output is stable.
pub fn expand(args: &[String]) -> Result<Vec<Input>> {
    let mut inputs = Vec::new();
    let mut seen_dirs = HashSet::new();
    for arg in args {
        if arg == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let path = Path::new(arg);
        let meta = std::fs::metadata(path).map_err(|e| Error::io(arg, &e))?;
        if meta.is_dir() {
            let before = inputs.len();
            walk(path, &mut inputs, &mut seen_dirs)?;
            // An answer about no manifests at all would pass CI by accident.
            if inputs.len() == before {
                return Err(Error::Io {
                    path: arg.clone(),
                    message: "no manifest files (*.yaml, *.yml, *.json) in this directory"
                        .to_owned(),
                });
            }
        } else {
            inputs.push(Input::File(path.to_path_buf()));
        }
    }
    Ok(inputs)
}

fn walk(dir: &Path, out: &mut Vec<Input>, seen: &mut HashSet<PathBuf>) -> Result<()> {
    // A symlink loop would otherwise recurse forever.
    let canonical = dir
        .canonicalize()
        .map_err(|e| Error::io(dir.display().to_string(), &e))?;
    if !seen.insert(canonical) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir.display().to_string(), &e))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(dir.display().to_string(), &e))?;
    entries.sort();
    for path in entries {
        let meta =
            std::fs::metadata(&path).map_err(|e| Error::io(path.display().to_string(), &e))?;
        if meta.is_dir() {
            walk(&path, out, seen)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
        {
            // A device or FIFO found in a directory (a `zero.yaml -> /dev/zero` symlink) is no
            // manifest and could be read forever or block; named with -f, it is read.
            if meta.is_file() {
                out.push(Input::File(path));
            } else {
                // A file name may hold control characters: shown, never obeyed.
                eprintln!(
                    "note: {}: skipped, {} is not a regular file",
                    crate::output::terminal::escape(&path.display().to_string()),
                    file_kind(&meta.file_type())
                );
            }
        }
    }
    Ok(())
}

/// What a file that is neither a regular file nor a directory is, for the note that skips it.
fn file_kind(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    let _ = file_type;
    "it"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_walked_recursively_in_sorted_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/c")).unwrap();
        for f in ["z.yaml", "a.yml", "b/c/x.json", "b/readme.md", "b/m.yaml"] {
            std::fs::write(root.join(f), "").unwrap();
        }
        let got = expand(&[root.display().to_string()]).unwrap();
        let names: Vec<String> = got
            .iter()
            .map(|i| match i {
                Input::File(p) => p.strip_prefix(root).unwrap().display().to_string(),
                Input::Stdin => "-".into(),
            })
            .collect();
        assert_eq!(names, ["a.yml", "b/c/x.json", "b/m.yaml", "z.yaml"]);
    }

    #[test]
    fn named_files_are_read_whatever_their_extension_and_dash_is_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("manifest.txt");
        std::fs::write(&f, "").unwrap();
        let got = expand(&[f.display().to_string(), "-".into()]).unwrap();
        assert_eq!(got, [Input::File(f), Input::Stdin]);
    }

    #[test]
    fn a_directory_without_manifests_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.md"), "").unwrap();
        let arg = dir.path().display().to_string();
        let err = expand(std::slice::from_ref(&arg)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{arg}: no manifest files (*.yaml, *.yml, *.json) in this directory")
        );
    }

    #[test]
    fn missing_path_is_an_error_naming_it() {
        let err = expand(&["/no/such/dir".into()]).unwrap_err();
        assert_eq!(err.to_string(), "/no/such/dir: no such file or directory");
    }
}
