//! Nothing from the input reaches a terminal raw: names, namespaces and messages holding escape
//! sequences are shown escaped in every human-readable output (issue: hostile input), while
//! JSON keeps them as data.

use std::io::Write;
use std::process::{Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

/// A Deployment whose name clears the screen and turns the text red, in a namespace whose name
/// retitles the window, and a policy whose name rings the bell.
const HOSTILE: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: "web\e[2J\e[31mEVIL\r"
  namespace: "ns\e]0;title\a"
spec:
  template:
    metadata:
      labels: {app: web}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: "np\a\u009b2J"
  namespace: "ns\e]0;title\a"
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{}]
"#;

fn run(args: &[&str], stdin: &str) -> (Vec<u8>, Vec<u8>) {
    let mut child = Command::new(BINARY)
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("HELM_PLUGIN_NAME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    (out.stdout, out.stderr)
}

/// No control character but newlines and, with colour, the colour codes `ESC [ ... m`.
fn assert_no_raw_controls(bytes: &[u8], what: &str) {
    let text = String::from_utf8_lossy(bytes);
    let mut rest = &text[..];
    while let Some(i) = rest.find(|c: char| c.is_control() && c != '\n' && c != '\t') {
        let tail = &rest[i..];
        let sgr = tail.starts_with("\x1b[")
            && tail[2..]
                .find(|c: char| !(c.is_ascii_digit() || c == ';'))
                .is_some_and(|end| tail[2 + end..].starts_with('m'));
        assert!(sgr, "{what}: raw control character in {text:?}");
        rest = &tail[1..];
    }
    assert!(
        !text.contains("\x1b[2J") && !text.contains("\x1b]0;"),
        "{what}: {text:?}"
    );
}

#[test]
fn tables_and_findings_show_escapes() {
    for color in ["never", "always"] {
        for output in ["table", "wide"] {
            let (out, err) = run(&["-f", "-", "-o", output, "--color", color], HOSTILE);
            let what = format!("-o {output} --color {color}");
            assert_no_raw_controls(&out, &what);
            assert_no_raw_controls(&err, &what);
            let text = String::from_utf8_lossy(&out);
            assert!(text.contains(r"web\e[2J\e[31mEVIL\r"), "{what}: {text}");
            assert!(text.contains(r"ns\e]0;title\a"), "{what}: {text}");
        }
    }
}

#[test]
fn post_render_brief_shows_escapes() {
    let (out, err) = run(&["post-render", "--fail-on", "info"], HOSTILE);
    // The chart itself passes through untouched.
    assert_eq!(out, HOSTILE.as_bytes());
    assert_no_raw_controls(&err, "post-render");
    assert!(
        String::from_utf8_lossy(&err).contains(r"\e[2J"),
        "{}",
        String::from_utf8_lossy(&err)
    );
}

#[test]
fn explain_reach_and_matrix_show_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.yaml");
    std::fs::write(&file, HOSTILE).unwrap();
    let file = file.to_str().unwrap();
    let ns = "ns\x1b]0;title\x07";
    let name = "deploy/web\x1b[2J\x1b[31mEVIL\r";
    for args in [
        vec!["explain", name, "-n", ns, "-f", file],
        vec!["reach", name, "10.0.0.1", "-n", ns, "-f", file],
        vec!["matrix", "-f", file],
        vec!["matrix", "-f", file, "-o", "connlist"],
    ] {
        let (out, err) = run(&args, "");
        assert!(
            !out.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&err)
        );
        assert_no_raw_controls(&out, args[0]);
        assert_no_raw_controls(&err, args[0]);
    }
}

#[test]
fn errors_show_escapes() {
    let (_, err) = run(&["explain", "deploy/x\x1b[2J", "-f", "-"], HOSTILE);
    assert_no_raw_controls(&err, "error");
    assert!(String::from_utf8_lossy(&err).contains(r"\e[2J"));
}

#[test]
fn json_keeps_the_names_as_data() {
    let (out, _) = run(&["-f", "-", "-o", "json"], HOSTILE);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["workloads"][0]["name"], "web\x1b[2J\x1b[31mEVIL\r");
}
