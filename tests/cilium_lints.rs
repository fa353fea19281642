//! The Cilium lints (NPC301-NPC307) through the binary: on Cilium's own documentation cases they
//! report what the documentation says happens, and a Cilium policy's annotation suppresses
//! them.

mod common;

use serde_json::Value;

fn report(args: &[&str]) -> Value {
    let out = common::cmd()
        .args(args)
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.code().unwrap() < 2,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn findings<'a>(r: &'a Value, rule: &str) -> Vec<&'a Value> {
    (r["findings"].as_array().unwrap().iter())
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// The deny-policies truth table (tests/fixtures/cilium/PROVENANCE.md): column N in namespace
/// colN. By the table, curl to 80 is denied in columns 2-4 and curl to 81 in columns 3-4 although
/// allow rules name them: those allows are shadowed where a deny covers everything they name.
/// Column 2 (deny 80/TCP): the L7 allow (client, 80) and the L4 80 allow. Column 3 (deny
/// client): the L7 allow and the L3 client allow (the L4 allows still admit other peers).
/// Column 4: all three of those. Column 1 has no deny, column 5 no allow.
#[test]
fn the_deny_truth_table_shadows_the_allows_the_documentation_says_never_apply() {
    let r = report(&["-f", &common::fixture("cilium/deny-truth-table.yaml")]);
    let mut got: Vec<String> = findings(&r, "NPC302")
        .iter()
        .map(|f| {
            format!(
                "{}/{}",
                f["namespace"].as_str().unwrap(),
                f["object"].as_str().unwrap()
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "col2/allow-l4-80",
            "col2/allow-l7-http",
            "col3/allow-l3-client",
            "col3/allow-l7-http",
            "col4/allow-l3-client",
            "col4/allow-l4-80",
            "col4/allow-l7-http",
        ]
    );
}

/// Cilium's documented default deny (`deny-all-egress`, `egress: [{}]`) is taken at its word.
#[test]
fn the_documented_default_deny_is_no_empty_rule_finding() {
    let r = report(&["-f", &common::fixture("cilium/empty-rule.yaml")]);
    assert!(findings(&r, "NPC301").is_empty(), "{r:#}");
}

/// intercept-all-dns (intro.rst, "Endpoint default policy") "does not block any traffic": db,
/// which only it selects, stays open for egress.
#[test]
fn intercept_all_dns_leaves_the_pods_only_it_selects_open() {
    let r = report(&["-f", &common::fixture("cilium/enable-default-deny.yaml")]);
    let f = findings(&r, "NPC303");
    assert_eq!(f.len(), 1, "{r:#}");
    assert_eq!(f[0]["object"], "intercept-all-dns");
    assert!(f[0]["namespace"].is_null());
    let message = f[0]["message"].as_str().unwrap();
    assert!(
        message.contains("Deployment shop/db for egress"),
        "{message}"
    );
    assert!(
        !message.contains("shop/web"),
        "web-egress turns default deny on: {message}"
    );
}

#[test]
fn a_cilium_policy_annotation_suppresses_its_findings() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.yaml");
    let bad = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: web, image: nginx}]}\n---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: allow-all-to-web\n  namespace: shop\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  ingress: [{}]\n";
    std::fs::write(&file, bad).unwrap();
    let r = report(&["-f", file.to_str().unwrap()]);
    assert_eq!(findings(&r, "NPC301").len(), 1, "{r:#}");
    let annotated = bad.replace(
        "  name: allow-all-to-web\n",
        "  name: allow-all-to-web\n  annotations:\n    netpol-check.io/ignore: cilium-empty-rule\n",
    );
    std::fs::write(&file, annotated).unwrap();
    let r = report(&["-f", file.to_str().unwrap()]);
    assert!(findings(&r, "NPC301").is_empty(), "{r:#}");
    let suppressed: Vec<&Value> = (r["suppressed"].as_array().unwrap().iter())
        .filter(|f| f["rule"] == "NPC301")
        .collect();
    assert_eq!(suppressed.len(), 1, "{r:#}");
}
