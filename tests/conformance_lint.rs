//! netpol-analyzer's `lint/` cases: policies the API server accepts but that do not do what
//! they say. Each must give its rule, naming the policy and the file it is in.

mod common;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/conformance/netpol-analyzer/lint"
);

/// (case, rule, policy)
const CASES: &[(&str, &str, &str)] = &[
    ("named-port-unresolved", "NPC113", "shippingservice-netpol"),
    (
        "named-port-with-ipblock",
        "NPC113",
        "shippingservice-netpol",
    ),
];

#[test]
fn every_lint_case_gives_its_rule_with_file_and_object() {
    for (case, rule, policy) in CASES {
        let dir = format!("{CORPUS}/{case}");
        let (code, r) = common::json(&["-f", &dir, "--fail-on", "never"]);
        assert_eq!(code, 0, "{case}");
        let findings = r["findings"].as_array().unwrap();
        let canonical = std::fs::canonicalize(&dir).unwrap();
        let found = findings.iter().any(|f| {
            f["rule"] == *rule
                && f["kind"] == "NetworkPolicy"
                && f["object"] == *policy
                && f["file"].as_str().is_some_and(|file| {
                    let path = std::path::Path::new(file);
                    path.starts_with(&dir)
                        || std::fs::canonicalize(path).is_ok_and(|p| p.starts_with(&canonical))
                })
                && f["line"].as_u64().is_some_and(|l| l >= 1)
        });
        assert!(found, "{case}: no {rule} about {policy}: {findings:#?}");
    }
}
