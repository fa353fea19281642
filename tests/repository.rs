//! The repository stands alone: a fresh clone passes its tests with nothing beside it, and its
//! pages carry no path of a build machine and no link that leaves the repository.

use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every file under `dirs` (relative to the crate root), recursively, skipping build output.
fn files(dirs: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            // Build output, caches, and the fuzzer's own corpus and crashes (not committed).
            let skipped = ["target", ".cache", "dist", ".git", "corpus", "artifacts"];
            if skipped.iter().any(|s| name == *s) {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for dir in dirs {
        let path = Path::new(ROOT).join(dir);
        if path.is_dir() {
            walk(&path, &mut out);
        } else if path.is_file() {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn text(path: &Path) -> Option<String> {
    fs::read(path).ok().and_then(|b| String::from_utf8(b).ok())
}

fn rel(path: &Path) -> String {
    path.strip_prefix(ROOT)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// What a path in the code looks like when it climbs out of the crate root: `../` right after
/// the manifest directory, the workshop's `shared/` directory beside the checkout, a parent of
/// the manifest directory taken in code, or a `#[path]` module above the root. `dir` is the
/// directory of the file the line is in, relative to the root.
fn escapes(line: &str, dir: &Path) -> bool {
    let l = line.trim_start();
    if let Some(rest) = l.strip_prefix("#[path = \"") {
        let target = rest.split('"').next().unwrap_or("");
        return climbs_out(&dir.join(target));
    }
    if l.starts_with("//") || l.starts_with('#') {
        return false;
    }
    line.contains("\"/../")
        || line.contains("\"../")
        || line.contains(SHARED)
        || (line.contains("CARGO_MANIFEST_DIR") && line.contains(".parent()"))
}

/// The workshop's directory beside the checkout, spelled so that this file does not read as
/// using it.
const SHARED: &str = concat!("..", "/", "shared");

/// Whether a relative path, read from the root, ends above it.
fn climbs_out(path: &Path) -> bool {
    let mut depth = 0i32;
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => depth -= 1,
            std::path::Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

#[test]
fn no_test_reads_outside_the_repository() {
    let mut found = Vec::new();
    for path in files(&[
        "tests", "benches", "src", "examples", "scripts", ".ci", "build.rs", "fuzz",
    ]) {
        // The corpora are data, and this file spells the patterns it looks for.
        let name = rel(&path);
        if name.starts_with("tests/conformance/") || name == "tests/repository.rs" {
            continue;
        }
        let Some(text) = text(&path) else { continue };
        let dir = Path::new(&name).parent().unwrap_or(Path::new(""));
        for (i, line) in text.lines().enumerate() {
            if escapes(line, dir) {
                found.push(format!("{}:{}: {}", rel(&path), i + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "these lines reach outside the repository (copy the data into tests/):\n{}",
        found.join("\n")
    );
}

#[test]
fn escape_detection_catches_the_old_conformance_paths() {
    let tests = Path::new("tests");
    // What tests/conformance_lint.rs and tests/common did before the corpora were copied in.
    assert!(escapes(
        &format!(r#"    "/{SHARED}/conformance/netpol-analyzer/lint""#),
        tests
    ));
    assert!(escapes(
        &format!(
            r#"    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/{SHARED}/")).join(rel)"#
        ),
        tests
    ));
    assert!(escapes(
        r#"Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()"#,
        tests
    ));
    assert!(!escapes(
        r#"PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/"))"#,
        tests
    ));
    // Modules by path: inside the repository, or above it.
    assert!(!escapes(r#"#[path = "../fuzz/invariants.rs"]"#, tests));
    assert!(!escapes(
        r#"#[path = "../invariants.rs"]"#,
        Path::new("fuzz/fuzz_targets")
    ));
    assert!(escapes(&format!(r#"#[path = "../{SHARED}/x.rs"]"#), tests));
}

#[test]
fn conformance_corpora_carry_their_licenses_and_provenance() {
    let dir = Path::new(ROOT).join("tests/conformance");
    let readme = fs::read_to_string(dir.join("README.md")).expect("tests/conformance/README.md");
    for source in ["netpol-analyzer", "kics-seed"] {
        assert!(
            dir.join(source).join("LICENSE").is_file(),
            "{source}/LICENSE missing"
        );
        assert!(
            readme.contains(&format!("## {source}/")),
            "README names {source}"
        );
    }
    // Upstream commits, so that anyone can compare with the originals.
    assert!(readme.contains("e54a33430edb4a86f077544a5d15afb050e8a3c3"));
    assert!(readme.contains("b94361f0d00e7169423f8a7932a09b346f0afcc8"));
}

/// Paths of a build machine: the workshop's checkout and temporary directories.
fn machine_path(line: &str) -> bool {
    line.contains("/work/")
        || line
            .match_indices("/tmp/")
            .any(|(i, _)| i == 0 || !line.as_bytes()[i - 1].is_ascii_alphanumeric())
}

/// Links that leave the repository: URLs other than the loopback addresses of example output.
fn outside_links(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for scheme in ["http://", "https://"] {
        for (i, _) in line.match_indices(scheme) {
            let rest = &line[i + scheme.len()..];
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, ')' | '>' | '`' | '"'))
                .unwrap_or(rest.len());
            let host = rest[..end].split(['/', ':']).next().unwrap_or("");
            // A bare scheme in prose, or an address in example output, is not a link.
            let address = host.is_empty()
                || host == "localhost"
                || host.starts_with('[')
                || host.parse::<std::net::IpAddr>().is_ok();
            if !address {
                out.push(format!("{scheme}{}", &rest[..end]));
            }
        }
    }
    out
}

fn pages() -> Vec<PathBuf> {
    files(&["README.md", "docs"])
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect()
}

#[test]
fn readme_and_docs_have_no_machine_paths_and_no_outside_links() {
    let mut found = Vec::new();
    for path in pages() {
        let text = fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            if machine_path(line) {
                found.push(format!(
                    "{}:{}: machine path: {}",
                    rel(&path),
                    i + 1,
                    line.trim()
                ));
            }
            for link in outside_links(line) {
                found.push(format!(
                    "{}:{}: link outside the repository: {link}",
                    rel(&path),
                    i + 1
                ));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn relative_links_in_readme_and_docs_resolve() {
    let mut broken = Vec::new();
    for path in pages() {
        let text = fs::read_to_string(&path).unwrap();
        let base = path.parent().unwrap();
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = &rest[..end];
            let file = target.split('#').next().unwrap();
            if file.is_empty() || file.contains("://") {
                continue;
            }
            if !base.join(file).exists() {
                broken.push(format!("{}: {target}", rel(&path)));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links to missing files:\n{}",
        broken.join("\n")
    );
}

#[test]
fn page_checks_catch_what_they_look_for() {
    assert!(machine_path("release: done: /work/wt6/dist"));
    assert!(machine_path("--kubeconfig /tmp/rk.yaml"));
    assert!(!machine_path("see docs/tmp/x and 10.0.0.0/8"));
    assert_eq!(
        outside_links("[krew-index](https://github.com/kubernetes-sigs/krew-index),"),
        ["https://github.com/kubernetes-sigs/krew-index"]
    );
    assert!(
        outside_links("Cluster: context prod (https://127.0.0.1:36683, CNI Calico)").is_empty()
    );
    assert!(outside_links("context \"prod\" (https://10.0.0.1:6443): refused").is_empty());
    assert!(outside_links("`proxy-url` (`http://` CONNECT proxies)").is_empty());
    assert_eq!(
        outside_links("see http://example.com/x."),
        ["http://example.com/x."]
    );
}
