//! Snapshots of `-o table` and `-o wide` (checked by hand against the inputs: isolation per
//! workload, findings, summary counts), and the colour switches.

mod common;

use common::*;

fn table(args: &[&str]) -> String {
    let r = run(args);
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    r.stdout
}

#[test]
fn shop_table() {
    let out = table(&["-f", "examples/shop", "--color", "never"]);
    insta::assert_snapshot!("shop_table", out);
}

#[test]
fn shop_wide() {
    let out = table(&["-f", "examples/shop", "-o", "wide", "--color", "never"]);
    insta::assert_snapshot!("shop_wide", out);
}

#[test]
fn payments_table() {
    let f = fixture("table/payments.yaml");
    let out = table(&["-f", &f, "--color", "never"]);
    insta::assert_snapshot!("payments_table", out);
}

#[test]
fn payments_wide() {
    let f = fixture("table/payments.yaml");
    let out = table(&["-f", &f, "-o", "wide", "--color", "never"]);
    insta::assert_snapshot!("payments_wide", out);
}

#[test]
fn table_is_the_default_output() {
    let default = table(&["-f", "examples/shop", "--color", "never"]);
    let explicit = table(&["-f", "examples/shop", "-o", "table", "--color", "never"]);
    assert_eq!(default, explicit);
}

#[test]
fn color_never_has_no_escape_codes() {
    for format in ["table", "wide"] {
        let out = table(&["-f", "examples/shop", "-o", format, "--color", "never"]);
        assert!(!out.contains('\x1b'), "{format}: {out:?}");
    }
}

#[test]
fn color_always_paints_states_and_severities() {
    let out = table(&["-f", "examples/shop", "--color", "always"]);
    assert!(out.contains("\x1b["), "{out:?}");
    // Each state word and severity is wrapped in an escape sequence and a reset.
    for word in ["isolated", "open", "hostNetwork", "error", "warning"] {
        let painted = out
            .match_indices(word)
            .any(|(i, _)| out[..i].ends_with('m') && out[..i].contains("\x1b["));
        assert!(painted, "{word} is not coloured: {out:?}");
    }
    assert!(
        out.contains("\x1b[0m") || out.contains("\x1b[39m"),
        "resets: {out:?}"
    );
    // Without the escape codes it is the plain table.
    let plain = table(&["-f", "examples/shop", "--color", "never"]);
    assert_eq!(strip_ansi(&out), plain);
}

#[test]
fn no_color_env_with_color_auto_has_no_escape_codes() {
    let mut c = cmd();
    c.env("NO_COLOR", "1")
        .args(["-f", "examples/shop", "--color", "auto"]);
    let r = run_cmd(c);
    assert_eq!(r.code, 1);
    assert!(!r.stdout.contains('\x1b'), "{:?}", r.stdout);
    assert!(r.stdout.contains("isolated"));
}

#[test]
fn color_auto_is_off_when_stdout_is_not_a_terminal() {
    let out = table(&["-f", "examples/shop"]);
    assert!(!out.contains('\x1b'), "{out:?}");
}

#[test]
fn json_and_yaml_are_never_coloured() {
    for format in ["json", "yaml"] {
        let out = table(&["-f", "examples/shop", "-o", format, "--color", "always"]);
        assert!(!out.contains('\x1b'), "{format}: {out:?}");
    }
}

/// Runs the binary with stdout on a pseudo-terminal, through util-linux `script`; `None` when
/// `script` is not available.
fn on_a_terminal(no_color: Option<&str>) -> Option<String> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let command = format!(
        "'{}' -f examples/shop --color auto",
        env!("CARGO_BIN_EXE_kubectl-netpol_check")
    );
    let mut c = std::process::Command::new(script);
    c.current_dir(root())
        .env_remove("NO_COLOR")
        .args(["-qec", &command, "/dev/null"]);
    if let Some(v) = no_color {
        c.env("NO_COLOR", v);
    }
    let out = c.output().expect("script runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn color_auto_on_a_terminal_colours_unless_no_color_is_set() {
    let Some(tty) = on_a_terminal(None) else {
        eprintln!("no `script` binary: cannot allocate a terminal, skipped");
        return;
    };
    assert!(tty.contains("\x1b["), "a terminal gets colour: {tty:?}");
    let quiet = on_a_terminal(Some("1")).unwrap();
    assert!(quiet.contains("isolated"), "{quiet:?}");
    assert!(
        !quiet.contains("\x1b["),
        "NO_COLOR=1 turns colour off: {quiet:?}"
    );
    // An empty NO_COLOR does not count (no-color.org).
    let empty = on_a_terminal(Some("")).unwrap();
    assert!(empty.contains("\x1b["), "{empty:?}");
}

/// Removes `ESC [ ... m` sequences.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
