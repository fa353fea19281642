//! `kubectl netpol-check <TAB>` through the real kubectl 1.37: kubectl finds
//! `kubectl_complete-netpol_check` on PATH, runs it with the words after the plugin's name, and
//! relays its candidates (`kubectl __complete netpol-check ...` is what kubectl's shell scripts
//! run). Namespaces come from the test API server of tests/apiserver.

mod apiserver;
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;

use apiserver::{namespace, ApiServer, Fixture, Forbid, Options};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");
const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// A PATH holding the plugin and its completion script, as after an install, and kubeconfigs.
struct Setup {
    dir: tempfile::TempDir,
    kubectl: PathBuf,
    path: String,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(BINARY, bin.join("kubectl-netpol_check")).unwrap();
        std::fs::copy(
            Path::new(REPO).join("kubectl_complete-netpol_check"),
            bin.join("kubectl_complete-netpol_check"),
        )
        .unwrap();
        // `sh` and `dirname` for the script; nothing else of the caller's PATH is needed.
        let path = format!("{}:/usr/bin:/bin", bin.display());
        Setup {
            dir,
            kubectl: tools::kubectl(),
            path,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `kubectl __complete netpol-check WORDS...`: the candidates and the directive.
    fn complete(&self, kubeconfig: Option<&str>, words: &[&str]) -> (Vec<String>, String) {
        let mut cmd = Command::new(&self.kubectl);
        cmd.arg("__complete")
            .arg("netpol-check")
            .args(words)
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", self.dir.path());
        if let Some(k) = kubeconfig {
            cmd.env("KUBECONFIG", k);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(
            stderr.contains("About to call:") && stderr.contains("kubectl_complete-netpol_check"),
            "kubectl must run the completion script: {stderr}"
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let mut lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
        let directive = lines.pop().unwrap_or_default();
        (lines, directive)
    }
}

fn values(lines: &[String]) -> Vec<&str> {
    lines
        .iter()
        .map(|l| l.split('\t').next().unwrap_or_default())
        .collect()
}

#[test]
fn subcommands_flags_and_output_formats() {
    let s = Setup::new();
    let (lines, directive) = s.complete(None, &[""]);
    assert_eq!(
        values(&lines),
        [
            "post-render",
            "generate",
            "rules",
            "explain",
            "reach",
            "matrix",
            "diff",
            "completion"
        ]
    );
    assert_eq!(directive, ":4", "no file names");
    assert!(lines[2].starts_with("rules\tList the rules"), "{lines:?}");

    let (lines, _) = s.complete(None, &["--fa"]);
    assert_eq!(values(&lines), ["--fail-on-change", "--fail-on"]);

    let (lines, directive) = s.complete(None, &["-A", "-o", ""]);
    assert_eq!(
        values(&lines),
        ["table", "wide", "json", "yaml", "sarif", "html", "junit"]
    );
    assert_eq!(directive, ":4");
    assert!(lines.contains(&"json\tThe report object as JSON".to_owned()));

    let (lines, _) = s.complete(None, &["--fail-on", ""]);
    assert_eq!(
        values(&lines),
        ["error", "warning", "info", "never", "uncovered"]
    );
    let (lines, _) = s.complete(None, &["--color", ""]);
    assert_eq!(values(&lines), ["auto", "always", "never"]);
    // Each subcommand's own -o values.
    let (lines, _) = s.complete(None, &["matrix", "-o", ""]);
    assert_eq!(
        values(&lines),
        ["table", "json", "connlist", "dot", "mermaid", "svg"]
    );
    let (lines, _) = s.complete(None, &["matrix", "--by", ""]);
    assert_eq!(values(&lines), ["workload", "namespace"]);
    let (lines, _) = s.complete(None, &["explain", "-o", ""]);
    assert_eq!(values(&lines), ["text", "json", "dot", "mermaid", "svg"]);
    let (lines, _) = s.complete(None, &["reach", "--protocol", ""]);
    assert_eq!(values(&lines), ["TCP", "UDP", "SCTP"]);
}

#[test]
fn rule_ids_for_disable_and_severity() {
    let s = Setup::new();
    let (lines, _) = s.complete(None, &["--disable", ""]);
    let offered = values(&lines);
    for id in ["NPC001", "NPC003", "NPC108", "NPC120", "NPC130"] {
        assert!(offered.contains(&id), "{id}: {offered:?}");
    }
    assert!(offered.contains(&"dns-blocked"));
    let (lines, directive) = s.complete(None, &["--severity", "NPC10"]);
    assert!(values(&lines)
        .iter()
        .all(|v| v.starts_with("NPC10") && v.ends_with('=')));
    assert_eq!(directive, ":6", "no space after `=`, no file names");
    let (lines, _) = s.complete(None, &["--severity", "NPC108="]);
    assert_eq!(
        values(&lines),
        ["NPC108=error", "NPC108=warning", "NPC108=info"]
    );
}

#[test]
fn filenames_are_left_to_the_shell() {
    let s = Setup::new();
    let (lines, directive) = s.complete(None, &["-f", ""]);
    assert!(lines.is_empty(), "{lines:?}");
    assert_eq!(directive, ":0", "the shell completes file names");
}

fn fixture() -> Fixture {
    Fixture::from_objects([
        namespace("shop", &[]),
        namespace("blog", &[]),
        namespace("kube-system", &[]),
    ])
}

/// A kubeconfig whose only context points at a port nothing listens on.
fn unreachable_kubeconfig(path: &Path) {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    std::fs::write(
        path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: staging\n  cluster:\n    server: http://127.0.0.1:{port}\n\
             contexts:\n- name: staging\n  context:\n    cluster: staging\n    user: staging\n    namespace: web\n\
             current-context: staging\nusers:\n- name: staging\n  user:\n    token: t\n"
        ),
    )
    .unwrap();
}

#[test]
fn namespaces_from_the_cluster_of_the_kubeconfig() {
    let s = Setup::new();
    let server = ApiServer::start(fixture(), Options::default());
    let kubeconfig = s.file("kubeconfig");
    server.write_kubeconfig(&kubeconfig, "test", Some("shop"));
    let kubeconfig = kubeconfig.to_str().unwrap();

    let (lines, directive) = s.complete(Some(kubeconfig), &["-n", ""]);
    assert_eq!(values(&lines), ["blog", "kube-system", "shop"]);
    assert_eq!(directive, ":4");
    let (lines, _) = s.complete(Some(kubeconfig), &["-A", "--namespace", "s"]);
    assert_eq!(values(&lines), ["shop"]);
    let listed = server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/namespaces")
        .count();
    assert_eq!(listed, 2, "one list request per completion");

    // --kubeconfig on the command line, without $KUBECONFIG.
    let (lines, _) = s.complete(None, &["--kubeconfig", kubeconfig, "-n", "b"]);
    assert_eq!(values(&lines), ["blog"]);
}

#[test]
fn contexts_from_every_kubeconfig_of_the_list_and_namespaces_of_the_one_named() {
    let s = Setup::new();
    let server = ApiServer::start(fixture(), Options::default());
    let (test, staging) = (s.file("test.yaml"), s.file("staging.yaml"));
    server.write_kubeconfig(&test, "test", None);
    unreachable_kubeconfig(&staging);
    let list = format!("{}:{}", test.display(), staging.display());

    let (lines, directive) = s.complete(Some(&list), &["--context", ""]);
    assert_eq!(values(&lines), ["test", "staging"]);
    assert_eq!(directive, ":4");
    assert!(
        lines.contains(&"staging\tcluster staging, namespace web".to_owned()),
        "{lines:?}"
    );

    let (lines, _) = s.complete(Some(&list), &["--context", "test", "-n", ""]);
    assert_eq!(values(&lines), ["blog", "kube-system", "shop"]);
}

#[test]
fn an_unreachable_or_refusing_cluster_offers_no_namespaces_and_no_error() {
    let s = Setup::new();
    let staging = s.file("staging.yaml");
    unreachable_kubeconfig(&staging);
    let (lines, directive) = s.complete(Some(staging.to_str().unwrap()), &["-n", ""]);
    assert!(lines.is_empty(), "{lines:?}");
    assert_eq!(directive, ":4");

    let server = ApiServer::start(
        fixture(),
        Options {
            forbidden: vec![Forbid::everywhere("namespaces")],
            ..Options::default()
        },
    );
    let refusing = s.file("refusing.yaml");
    server.write_kubeconfig(&refusing, "test", None);
    let (lines, directive) = s.complete(Some(refusing.to_str().unwrap()), &["-n", ""]);
    assert!(lines.is_empty(), "{lines:?}");
    assert_eq!(directive, ":4");

    // No kubeconfig at all.
    let (lines, directive) = s.complete(Some(s.file("missing").to_str().unwrap()), &["-n", ""]);
    assert!(lines.is_empty(), "{lines:?}");
    assert_eq!(directive, ":4");
}
