//! netpol-analyzer's `allow/` cases: `matrix -o connlist` on each case's input must print its
//! `expected-connlist.txt` exactly. Differences are allowed only where SEMANTICS.md and
//! netpol-analyzer disagree; such a case would be listed in `EXCEPTIONS` with the reason.
//! Today there is none: all 17 cases agree line for line. netpol-analyzer polices hostNetwork
//! pods like any pod, so the cases run with `--host-network=pod` (none has such a pod today).

mod common;

use common::{conformance, run};

/// (case, why our connlist may differ). Empty: every case must match.
const EXCEPTIONS: &[(&str, &str)] = &[];

fn cases() -> Vec<String> {
    let dir = conformance("netpol-analyzer/allow");
    let mut cases: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    cases
}

#[test]
fn the_corpus_is_all_there() {
    // A missing case would make the comparison below pass vacuously.
    assert_eq!(cases().len(), 17, "{:?}", cases());
}

#[test]
fn matrix_connlist_matches_every_allow_case() {
    let mut failures = Vec::new();
    for case in cases() {
        if let Some((_, reason)) = EXCEPTIONS.iter().find(|(c, _)| *c == case) {
            assert!(reason.len() > 20, "{case}: say why it differs");
            continue;
        }
        let dir = conformance(&format!("netpol-analyzer/allow/{case}"));
        let input = dir.join("input");
        let r = run(&[
            "matrix",
            "-f",
            input.to_str().unwrap(),
            "-o",
            "connlist",
            "--host-network=pod",
        ]);
        assert_eq!(r.code, 0, "{case}: {}", r.stderr);
        let expected = std::fs::read_to_string(dir.join("expected-connlist.txt")).unwrap();
        let got: Vec<&str> = r.stdout.lines().collect();
        let want: Vec<&str> = expected.lines().collect();
        if got != want {
            let missing: Vec<_> = want.iter().filter(|l| !got.contains(l)).take(5).collect();
            let extra: Vec<_> = got.iter().filter(|l| !want.contains(l)).take(5).collect();
            failures.push(format!(
                "{case}: {} lines vs {} expected; missing {missing:?}; extra {extra:?}",
                got.len(),
                want.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
