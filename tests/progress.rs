//! The progress line while listing a cluster: on a terminal only (run under `script`, which
//! gives the command a pseudo-terminal), counting objects against the server's counts, in one
//! line of at most 80 columns, in every output format; never in a pipe, nor with --no-progress.

mod apiserver;

use std::process::Command;
use std::time::Duration;

use apiserver::{ApiServer, Fixture, Options, Synthetic};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

fn slow_server() -> (ApiServer, tempfile::TempDir, std::path::PathBuf) {
    let fixture = Fixture::synthetic(&Synthetic {
        namespaces: 12,
        pods: 400,
        policies: 30,
        seed: 7,
    });
    let server = ApiServer::start(
        fixture,
        Options {
            response_delay: Some(Duration::from_millis(150)),
            ..Options::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig, "test", None);
    (server, dir, kubeconfig)
}

/// Runs the binary on a pseudo-terminal; returns everything the terminal received.
fn on_terminal(args: &[&str]) -> String {
    let command = std::iter::once(BINARY)
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("TERM", "xterm")
        .env("COLUMNS", "80")
        .output()
        .expect("script(1) runs (util-linux)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of each drawn line: escape sequences out, split at carriage returns and newlines.
fn drawn_lines(terminal: &str) -> Vec<String> {
    let mut text = String::new();
    let mut chars = terminal.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        text.push(c);
    }
    text.split(['\r', '\n'])
        .map(|l| l.trim_end().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn a_terminal_sees_objects_counted_against_the_servers_totals_in_every_format() {
    let (_server, _dir, kubeconfig) = slow_server();
    let kubeconfig = kubeconfig.to_str().unwrap();
    for format in ["table", "json", "html"] {
        let terminal = on_terminal(&[
            "--kubeconfig",
            kubeconfig,
            "-A",
            "--chunk-size",
            "50",
            "-o",
            format,
        ]);
        let lines = drawn_lines(&terminal);
        let progress: Vec<&String> = lines.iter().filter(|l| l.contains("listing ")).collect();
        assert!(
            !progress.is_empty(),
            "-o {format}: no progress line in {terminal:?}"
        );
        for line in &progress {
            assert!(
                line.chars().count() <= 80,
                "-o {format}: too wide: {line:?}"
            );
        }
        // Pods are listed with a field selector, which the server does not count: their total
        // is the count of all pods (`~`), from a one-item page without it. 400 pods plus the
        // synthetic cluster's kube-system pods.
        let pods = regex_like(&progress, "pods ", "/~");
        assert!(pods, "-o {format}: no `pods N/~TOTAL` in {progress:?}");
        // Counted in objects, not pages: a page is 50 objects.
        assert!(
            progress
                .iter()
                .any(|l| l.contains("pods 100/~") || l.contains("pods 150/~")),
            "-o {format}: {progress:?}"
        );
    }
}

/// Whether a line has `prefix` then digits and commas then `after`.
fn regex_like(lines: &[&String], prefix: &str, after: &str) -> bool {
    lines.iter().any(|l| {
        l.match_indices(prefix).any(|(i, _)| {
            let rest = &l[i + prefix.len()..];
            let digits = rest
                .find(|c: char| !c.is_ascii_digit() && c != ',')
                .unwrap_or(rest.len());
            digits > 0 && rest[digits..].starts_with(after)
        })
    })
}

#[test]
fn no_progress_line_in_a_pipe_or_when_asked_for_none() {
    let (_server, _dir, kubeconfig) = slow_server();
    let kubeconfig = kubeconfig.to_str().unwrap();
    let args = ["--kubeconfig", kubeconfig, "-A", "--chunk-size", "50"];
    let piped = Command::new(BINARY).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(!stderr.contains("listing"), "{stderr}");
    let mut quiet = args.to_vec();
    quiet.push("--no-progress");
    let terminal = on_terminal(&quiet);
    assert!(!terminal.contains("listing "), "{terminal:?}");
}
