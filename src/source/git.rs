//! `diff --base-ref REF`: the files of the `-f` paths as they are at a Git revision, read with
//! `git` from the repository each path is in, without a checkout (`ls-tree` for the names,
//! one `cat-file --batch` for the contents).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::error::Error;

use super::manifests::{self, Loaded, MAX_INPUT_BYTES};

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// The files of `paths` at `revision`, in the order `-f` would read them today: a path named
/// as a file is read whatever its extension; a directory gives its `*.yaml`, `*.yml` and
/// `*.json` files, recursively, sorted. A path the revision does not have gives nothing (the
/// change adds it). Each is named `REF:path` (the path from the repository's root).
pub fn read(paths: &[String], revision: &str) -> Result<Vec<Loaded>, Error> {
    let mut out = Vec::new();
    for arg in paths {
        if arg == "-" {
            return Err(Error::Usage(
                "--base-ref reads the -f paths at a Git revision: stdin (-f -) has no revision; \
                 use --base PATH for the base instead"
                    .to_owned(),
            ));
        }
        let path = Path::new(arg);
        let canonical = path.canonicalize().map_err(|e| Error::io(arg, &e))?;
        let dir = if canonical.is_dir() {
            canonical.clone()
        } else {
            canonical
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("/"))
        };
        let root = toplevel(&dir, arg)?;
        let relative = canonical
            .strip_prefix(&root)
            .map_err(|_| {
                Error::Usage(format!(
                    "{arg}: not inside the Git repository at {}",
                    root.display()
                ))
            })?
            .to_string_lossy()
            .replace('\\', "/");
        verify(&root, revision)?;
        let explicit_file = !canonical.is_dir();
        let names: Vec<String> = list(&root, revision, &relative)?
            .into_iter()
            .filter(|name| {
                explicit_file
                    || Path::new(name)
                        .extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| EXTENSIONS.contains(&e))
            })
            .collect();
        for (name, bytes) in names.iter().zip(contents(&root, revision, &names)?) {
            let display: Arc<str> = format!("{revision}:{name}").into();
            let text = manifests::decode(&display, bytes)?;
            out.push(Loaded {
                name: display,
                text,
            });
        }
    }
    Ok(out)
}

fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir);
    // The user's pager or colour settings must not reach our parsing.
    c.env("GIT_PAGER", "cat").env("GIT_TERMINAL_PROMPT", "0");
    c
}

fn run(mut command: Command, what: &str) -> Result<std::process::Output, Error> {
    command.stdin(Stdio::null());
    command.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Usage(format!(
                "--base-ref needs git, which is not installed or not on PATH ({what})"
            ))
        } else {
            Error::Usage(format!("could not run git ({what}): {e}"))
        }
    })
}

fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_owned()
}

fn toplevel(dir: &Path, arg: &str) -> Result<PathBuf, Error> {
    let mut c = git(dir);
    c.args(["rev-parse", "--show-toplevel"]);
    let out = run(c, "rev-parse --show-toplevel")?;
    if !out.status.success() {
        return Err(Error::Usage(format!(
            "{arg}: not in a Git repository, so --base-ref cannot read it at a revision \
             (git: {})",
            first_line(&out.stderr)
        )));
    }
    let root = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    PathBuf::from(&root)
        .canonicalize()
        .map_err(|e| Error::io(root, &e))
}

fn verify(root: &Path, revision: &str) -> Result<(), Error> {
    let mut c = git(root);
    c.args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{revision}^{{commit}}"));
    let out = run(c, "rev-parse --verify")?;
    if !out.status.success() {
        return Err(Error::Usage(format!(
            "{revision:?} is not a commit, branch or tag of the Git repository at {} (a shallow \
             clone may not have it: fetch it first)",
            root.display()
        )));
    }
    Ok(())
}

/// The regular files under `relative` at `revision`, from the repository's root.
fn list(root: &Path, revision: &str, relative: &str) -> Result<Vec<String>, Error> {
    let mut c = git(root);
    c.args(["ls-tree", "-r", "-z", "--full-tree", revision, "--"]);
    if !relative.is_empty() {
        c.arg(relative);
    }
    let out = run(c, "ls-tree")?;
    if !out.status.success() {
        return Err(Error::Usage(format!(
            "git could not list {relative:?} at {revision:?}: {}",
            first_line(&out.stderr)
        )));
    }
    let mut names = Vec::new();
    for entry in out.stdout.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, name)) = entry.split_once('\t') else {
            continue;
        };
        let mut fields = meta.split(' ');
        let (mode, kind) = (fields.next(), fields.next());
        // Symbolic links and submodules are not manifests.
        if kind == Some("blob") && matches!(mode, Some("100644" | "100755")) {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// The contents of `names` at `revision`, through one `git cat-file --batch`.
fn contents(root: &Path, revision: &str, names: &[String]) -> Result<Vec<Vec<u8>>, Error> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = git(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::Usage(format!("could not run git cat-file: {e}")))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let requests: String = names.iter().map(|n| format!("{revision}:{n}\n")).collect();
    // Written from a thread: git answers while it reads, and a full pipe would block both.
    let writer = std::thread::spawn(move || stdin.write_all(requests.as_bytes()));
    let mut reader = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let mut header = String::new();
        reader
            .read_line(&mut header)
            .map_err(|e| Error::io(format!("{revision}:{name}"), &e))?;
        let size: u64 = header
            .split(' ')
            .nth(2)
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "git cat-file could not read {revision}:{name}: {}",
                    header.trim()
                ))
            })?;
        if size > MAX_INPUT_BYTES {
            let _ = child.kill();
            return Err(Error::Io {
                path: format!("{revision}:{name}"),
                message: format!(
                    "larger than {} GiB, the most one input may be",
                    MAX_INPUT_BYTES >> 30
                ),
            });
        }
        let mut bytes = vec![0; size as usize];
        reader
            .read_exact(&mut bytes)
            .map_err(|e| Error::io(format!("{revision}:{name}"), &e))?;
        let mut newline = [0u8; 1];
        reader
            .read_exact(&mut newline)
            .map_err(|e| Error::io(format!("{revision}:{name}"), &e))?;
        out.push(bytes);
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(out)
}
