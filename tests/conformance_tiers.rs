//! netpol-analyzer's `tiers/` cases (AdminNetworkPolicy and BaselineAdminNetworkPolicy with
//! NetworkPolicies): `matrix -o connlist` on each case's input must print its
//! `expected-connlist.txt` exactly, or the case is listed in `DIFFERENCES` with the
//! SEMANTICS.md point that makes it differ and a transformation of our lines that must then
//! give netpol-analyzer's exactly (so the rest of the case is still checked line for line).
//! As for `allow/`, the cases run with `--host-network=pod` (netpol-analyzer's model).

mod common;

use common::{conformance, run};

/// How our connlist is brought to netpol-analyzer's for a case that differs by design.
enum Adjust {
    /// netpol-analyzer drops IPv6 `networks` entries with a warning; SEMANTICS.md point 13
    /// has a `networks` peer match the addresses it names, IPv6 included, so our list has
    /// IPv6 external ranges as well. Without them the lists must be equal.
    DropIpv6,
    /// The pods' ownerReferences have no kind, apiVersion or uid (the API server requires all
    /// three), and netpol-analyzer still folds them into their owner; this tool does not fold
    /// a pod into an owner it cannot name (REPORT.md "workloads"), so the pods are listed
    /// apiece. Named by their owner (pairs inside it dropped), the lists must be equal.
    Owner {
        pods: &'static [&'static str],
        owner: &'static str,
    },
}

const DIFFERENCES: &[(&str, Adjust)] = &[
    (
        "anp_and_banp_using_networks_with_ipv6_test",
        Adjust::DropIpv6,
    ),
    (
        "example_pods_w_same_owner_and_labels_gap_anp_good",
        Adjust::Owner {
            pods: &["default/pod-1[Pod]", "default/pod-2[Pod]"],
            owner: "default/internal-security[Pod]",
        },
    ),
];

fn cases() -> Vec<String> {
    let dir = conformance("netpol-analyzer/tiers");
    let mut cases: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    cases
}

fn adjust(lines: Vec<String>, how: &Adjust) -> Vec<String> {
    let mut out: Vec<String> = match how {
        Adjust::DropIpv6 => lines
            .into_iter()
            .filter(|l| !l.contains("[External]") || !l.contains("::"))
            .collect(),
        Adjust::Owner { pods, owner } => lines
            .into_iter()
            .map(|l| pods.iter().fold(l, |l, p| l.replace(p, owner)))
            .filter(|l| !l.starts_with(&format!("{owner} => {owner}")))
            .collect(),
    };
    out.sort();
    out.dedup();
    out
}

#[test]
fn the_corpus_is_all_there() {
    assert_eq!(cases().len(), 27, "{:?}", cases());
}

#[test]
fn matrix_connlist_matches_every_tiers_case() {
    let mut failures = Vec::new();
    for case in cases() {
        let dir = conformance(&format!("netpol-analyzer/tiers/{case}"));
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
        let mut got: Vec<String> = r.stdout.lines().map(str::to_owned).collect();
        let mut want: Vec<String> = expected.lines().map(str::to_owned).collect();
        if let Some((_, how)) = DIFFERENCES.iter().find(|(c, _)| *c == case) {
            assert_ne!(
                got, want,
                "{case} now matches netpol-analyzer as is: remove it from DIFFERENCES"
            );
            got = adjust(got, how);
            want.sort();
        }
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

#[test]
fn reach_on_anp_banp_core_test_names_the_baseline_deny_after_an_admin_pass() {
    // The example: `reach` said ALLOWED where the admin tier passes the connection to
    // a baseline Deny. Expected connlist: hufflepuff's cedric-diggory reaches gryffindor's
    // harry-potter on nothing but what the list shows; the pair below is absent from it.
    let dir = conformance("netpol-analyzer/tiers/anp_banp_core_test");
    let expected = std::fs::read_to_string(dir.join("expected-connlist.txt")).unwrap();
    let input = dir.join("input");
    let pairs = [
        (
            "network-policy-conformance-slytherin",
            "draco-malfoy",
            "network-policy-conformance-gryffindor",
            "harry-potter",
        ),
        (
            "network-policy-conformance-ravenclaw",
            "luna-lovegood",
            "network-policy-conformance-hufflepuff",
            "cedric-diggory",
        ),
    ];
    let mut checked = 0;
    for (sns, src, dns, dst) in pairs {
        let line = format!("{sns}/{src}[StatefulSet] => {dns}/{dst}[StatefulSet]");
        let listed = expected.lines().any(|l| l.starts_with(&line));
        let r = run(&[
            "reach",
            "-f",
            input.to_str().unwrap(),
            "--host-network=pod",
            "-n",
            sns,
            &format!("sts/{src}"),
            "--to-namespace",
            dns,
            &format!("sts/{dst}"),
        ]);
        assert_eq!(r.code, if listed { 0 } else { 1 }, "{line}: {}", r.stdout);
        if !listed {
            assert!(r.stdout.starts_with("DENIED"), "{}", r.stdout);
            assert!(
                r.stdout.contains("tier: denied by")
                    || r.stdout.contains("NetworkPolicy tier: denied"),
                "the deciding rule is named: {}",
                r.stdout
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "at least one denied pair was checked");
}
