//! netpol-analyzer's `reject/` cases: objects the API server refuses. Each must give NPC120
//! naming the file and the policy, in the API server's words.

mod common;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/conformance/netpol-analyzer/reject"
);

/// (case, policy, a phrase of the API server's reason)
const CASES: &[(&str, &str, &str)] = &[
    ("empty-peer", "", "Required value: must specify a peer"),
    (
        "endport-below-port",
        "egress-empty-port-range",
        "endPort: Invalid value: 10: must be greater than or equal to `port`",
    ),
    (
        "endport-with-named-port",
        "",
        "may not be specified when `port` is non-numeric",
    ),
    ("invalid-cidr", "", "must be a valid CIDR value"),
    (
        "invalid-label-key",
        "",
        "name part must consist of alphanumeric characters",
    ),
    (
        "invalid-label-value-on-workload",
        "frontend-netpol",
        "Invalid value: \"$backendservice\": a valid label must be",
    ),
    (
        "ipblock-with-selector",
        "",
        "Forbidden: may not specify both ipBlock and another peer",
    ),
];

#[test]
fn every_reject_case_is_npc120_with_file_object_and_reason() {
    for (case, policy, reason) in CASES {
        let dir = format!("{CORPUS}/{case}");
        let (code, r) = common::json(&["-f", &dir, "--fail-on", "never"]);
        assert_eq!(code, 0, "{case}");
        let npc120: Vec<&serde_json::Value> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "NPC120")
            .collect();
        assert!(!npc120.is_empty(), "{case}: no NPC120 in {}", r["findings"]);
        let hit = npc120
            .iter()
            .find(|f| f["message"].as_str().unwrap().contains(reason))
            .unwrap_or_else(|| panic!("{case}: no NPC120 says {reason:?}: {npc120:#?}"));
        assert_eq!(hit["kind"], "NetworkPolicy");
        if !policy.is_empty() {
            assert_eq!(hit["object"], *policy, "{case}");
        }
        let file = hit["file"].as_str().unwrap();
        assert!(
            file.starts_with(&dir) && file.ends_with(".yaml"),
            "{case}: {file}"
        );
        assert!(hit["line"].as_u64().unwrap() >= 1);
        assert!(
            r["notes"].as_array().unwrap().iter().any(|n| n
                .as_str()
                .unwrap()
                .contains("left out of the coverage verdict")),
            "{case}"
        );
    }
}

#[test]
fn an_invalid_policy_isolates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\n---\n\
         apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: a}\n\
         spec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress, Ingress]\n",
    )
    .unwrap();
    let (_, r) = common::json(&["-f", f.to_str().unwrap()]);
    assert_eq!(r["workloads"][0]["ingress"]["isolated"], false);
    assert_eq!(r["workloads"][0]["egress"]["isolated"], false);
}
