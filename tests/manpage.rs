//! The man page of the release archives (`__man`) renders with groff as `man` shows it.

use std::io::Write;
use std::process::{Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

fn page() -> Vec<u8> {
    let out = Command::new(BINARY).arg("__man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty());
    out.stdout
}

#[test]
fn the_man_page_renders_with_every_section_and_flag() {
    let roff = page();
    // groff-base (groff, nroff, man) is part of the machine image; without it only the roff
    // itself can be checked, which the unit tests of src/manpage.rs do.
    let Ok(mut groff) = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-rLL=200n"])
        .env("GROFF_NO_SGR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        eprintln!("groff is not installed: the man page was not rendered");
        return;
    };
    groff.stdin.take().unwrap().write_all(&roff).unwrap();
    let out = groff.wait_with_output().unwrap();
    assert!(out.status.success());
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(warnings.is_empty(), "groff warns: {warnings}");
    // Terminal rendering overstrikes bold text (`c\bc`); read it as plain text.
    let mut text = String::new();
    for c in String::from_utf8(out.stdout).unwrap().chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    assert!(text.starts_with("KUBECTL-NETPOL_CHECK(1)"), "{text}");
    for heading in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "COMMANDS",
        "EXAMPLES",
    ] {
        assert!(
            text.lines().any(|l| l == heading),
            "no {heading} section:\n{text}"
        );
    }
    assert!(text.contains("kubectl-netpol_check - Which pods can any compromised neighbour reach"));
    for flag in [
        "-f, --filename <PATH>",
        "-o, --output <OUTPUT>",
        "--fail-on <LEVEL>",
        "--severity <RULE=LEVEL>",
        "--emit-default-deny",
        "--dns-selector <LABELS>",
    ] {
        assert!(text.contains(flag), "{flag} is not in the page:\n{text}");
    }
    for command in ["post-render", "generate", "rules", "completion"] {
        assert!(
            text.contains(&format!("kubectl netpol-check {command}")),
            "{command}"
        );
    }
    assert!(!text.contains("__complete") && !text.contains("chunk-size"));
}
