//! Reading CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2) from
//! manifests, stdin and Helm's post-render stream: `spec` and `specs`, their List forms, and
//! located errors for wrong types. What was read is checked through the library's inventory and
//! the report's `summary.policies`, not through verdicts.

mod common;

use std::io::Write;

use common::{assert_error, at, run_stdin};
use netpol_check::model::{CiliumPolicyKind, Inventory};
use netpol_check::source::manifests::{self, ManifestOptions};
use netpol_check::source::paths::Input;
use serde_json::json;

const CNP: &str = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: front}}]
    toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]
specs:
- endpointSelector: {matchLabels: {app: web}}
  egress:
  - toEntities: [world]
";

const CCNP: &str = "apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: lockdown}
spec:
  endpointSelector: {}
  ingress: [{}]
";

const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
";

fn inventory_of(text: &str) -> Inventory {
    let mut file = tempfile::NamedTempFile::with_suffix(".yaml").unwrap();
    file.write_all(text.as_bytes()).unwrap();
    manifests::load(
        &[Input::File(file.path().to_owned())],
        &ManifestOptions {
            default_namespace: "default".to_owned(),
            skip_helm_hooks: false,
        },
    )
    .unwrap()
}

#[test]
fn both_kinds_are_read_with_spec_and_specs() {
    let inv = inventory_of(&[CNP, CCNP, WEB].join("---\n"));
    assert_eq!(inv.cilium_policies.len(), 2);
    assert!(
        inv.ignored_policies.is_empty(),
        "{:?}",
        inv.ignored_policies
    );
    let cnp = &inv.cilium_policies[0];
    assert_eq!(cnp.kind, CiliumPolicyKind::CiliumNetworkPolicy);
    assert_eq!(
        (cnp.namespace.as_deref(), cnp.name.as_str()),
        (Some("shop"), "web")
    );
    assert_eq!(cnp.rules.len(), 2);
    assert_eq!(cnp.rules[0].ingress.as_ref().unwrap().len(), 1);
    assert_eq!(cnp.rules[0].egress, None);
    assert_eq!(
        cnp.rules[1].egress.as_ref().unwrap()[0].entities,
        Some(vec!["world".to_owned()])
    );
    assert_eq!(cnp.origin.line, Some(1));
    let ccnp = &inv.cilium_policies[1];
    assert_eq!(ccnp.kind, CiliumPolicyKind::CiliumClusterwideNetworkPolicy);
    assert_eq!(ccnp.namespace, None);
    assert_eq!(
        ccnp.origin.line,
        Some(14),
        "after the 12 lines of CNP and a separator"
    );
    // Manifests say nothing of the agent's mode unless the flag does.
    assert_eq!(inv.cilium_mode, None);
}

#[test]
fn summary_counts_them_by_kind_from_stdin() {
    let (code, report) =
        common::json_stdin(&["-f", "-"], [CNP, CCNP, WEB].join("---\n").as_bytes());
    assert!(code == 0 || code == 1);
    assert_eq!(
        report["summary"]["policies"],
        json!({"CiliumNetworkPolicy": 1, "CiliumClusterwideNetworkPolicy": 1})
    );
    assert_eq!(report["summary"]["ignoredPolicies"], json!({}));
}

#[test]
fn list_forms_are_read() {
    // A typed list whose items carry no kind (the API server's own output), and a v1 List.
    let typed = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicyList
items:
- metadata: {name: a, namespace: shop}
  spec: {endpointSelector: {}, ingress: [{}]}
- metadata: {name: b, namespace: shop}
  specs: [{endpointSelector: {}, egress: [{}]}]
";
    let v1 = "apiVersion: v1
kind: List
items:
- apiVersion: cilium.io/v2
  kind: CiliumClusterwideNetworkPolicy
  metadata: {name: c}
  spec: {endpointSelector: {}, ingress: [{}]}
- apiVersion: cilium.io/v2
  kind: CiliumNetworkPolicy
  metadata: {name: d, namespace: blog}
  spec: {endpointSelector: {}, ingress: [{}]}
";
    let inv = inventory_of(&[typed, v1].join("---\n"));
    let names: Vec<_> = inv
        .cilium_policies
        .iter()
        .map(|p| (p.kind.as_str(), p.namespace.as_deref(), p.name.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("CiliumNetworkPolicy", Some("shop"), "a"),
            ("CiliumNetworkPolicy", Some("shop"), "b"),
            ("CiliumClusterwideNetworkPolicy", None, "c"),
            ("CiliumNetworkPolicy", Some("blog"), "d"),
        ]
    );
    assert_eq!(inv.cilium_policies[1].rules.len(), 1);
}

#[test]
fn post_render_reads_them_and_passes_them_through() {
    let input = [CNP, WEB].join("---\n");
    let r = run_stdin(&["post-render", "--fail-on", "never"], input.as_bytes());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("kind: CiliumNetworkPolicy"),
        "{}",
        r.stdout
    );
    assert!(!r.stderr.contains("not evaluated"), "{}", r.stderr);
}

#[test]
fn wrong_types_are_located_errors() {
    let cases = [
        // fromEndpoints must be a list of selectors.
        (
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: x}\nspec:\n  endpointSelector: {}\n  ingress:\n  - fromEndpoints: app\n",
            7,
        ),
        // A port is a string in the CRD: the API server refuses a number.
        (
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: x}\nspec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n    - ports:\n      - port: 80\n",
            9,
        ),
        // specs must be a list.
        (
            "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: x}\nspecs: {endpointSelector: {}}\n",
            4,
        ),
        // enableDefaultDeny holds booleans.
        (
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: x}\nspec:\n  endpointSelector: {}\n  enableDefaultDeny: {ingress: maybe}\n  ingress: [{}]\n",
            6,
        ),
    ];
    for (text, line) in cases {
        let r = run_stdin(&["-f", "-"], text.as_bytes());
        assert_error(&r, &format!("<stdin>:{line}:"));
        assert!(!r.stderr.contains("Raw"), "{}", r.stderr);
    }
    let _ = at;
}

#[test]
fn unknown_rule_fields_are_kept_by_name() {
    let inv = inventory_of(
        "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: x, namespace: shop}
spec:
  endpointSelector: {}
  egress:
  - toEndpoints: [{}]
    toEverything: true
    fromEntities: [world]
",
    );
    let rule = &inv.cilium_policies[0].rules[0].egress.as_ref().unwrap()[0];
    assert_eq!(rule.unknown, vec!["fromEntities", "toEverything"]);
    assert_eq!(rule.entities, None);
}

#[test]
fn the_mode_flag_is_accepted_by_the_input_commands_and_checked() {
    let input = [CNP, WEB].join("---\n");
    for args in [
        &["-f", "-"][..],
        &["generate", "-f", "-"],
        &["explain", "deploy/web", "-n", "shop", "-f", "-"],
        &["matrix", "-f", "-"],
        &["post-render", "--fail-on", "never"],
    ] {
        let mut with = args.to_vec();
        with.extend(["--cilium-policy-mode", "always"]);
        let r = run_stdin(&with, input.as_bytes());
        assert!(r.code == 0 || r.code == 1, "{with:?}: {}", r.stderr);
    }
    let r = run_stdin(
        &["-f", "-", "--cilium-policy-mode", "strict"],
        input.as_bytes(),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--cilium-policy-mode"), "{}", r.stderr);
    assert!(
        r.stderr.contains("always"),
        "names the values: {}",
        r.stderr
    );
}

#[test]
fn policies_cilium_refuses_are_npc120_findings() {
    let text = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  endpointSelector: {}
  ingress: []
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: mixed}
specs:
- endpointSelector: {}
  ingress: [{}]
- endpointSelector: {}
  egress:
  - toEndpoints: [{}]
    toCIDRSet: [{cidr: 10.0.0.0/8, except: [192.168.0.0/16]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: quiet
  namespace: shop
  annotations: {netpol-check.io/ignore: NPC120}
spec:
  endpointSelector: {}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: fine, namespace: shop}
spec:
  endpointSelector: {}
  ingress: [{}]
  egress:
  - toFQDNs: [{matchName: example.com}]
    toPorts: [{ports: [{port: \"443\", protocol: TCP}]}]
";
    let (code, report) = common::json_stdin(&["-f", "-"], text.as_bytes());
    assert_eq!(code, 1);
    let npc120: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "NPC120")
        .collect();
    assert_eq!(npc120.len(), 2, "{npc120:#?}");
    let ccnp = npc120
        .iter()
        .find(|f| f["kind"] == "CiliumClusterwideNetworkPolicy")
        .unwrap();
    assert_eq!(ccnp["object"], "mixed");
    assert_eq!(ccnp["namespace"], serde_json::Value::Null);
    assert_eq!(ccnp["line"], 8);
    let message = ccnp["message"].as_str().unwrap();
    assert!(
        message.contains("rule 2, egress[0]: combines toEndpoints and toCIDRSet")
            && message.contains("except 192.168.0.0/16 is not inside 10.0.0.0/8"),
        "{message}"
    );
    let cnp = npc120
        .iter()
        .find(|f| f["kind"] == "CiliumNetworkPolicy")
        .unwrap();
    assert_eq!(
        (&cnp["namespace"], &cnp["object"]),
        (&json!("shop"), &json!("deny-all"))
    );
    assert_eq!(cnp["line"], 1);
    assert!(cnp["message"]
        .as_str()
        .unwrap()
        .contains("has no ingress, ingressDeny, egress or egressDeny entry"));
    assert_eq!(report["summary"]["suppressed"], 1, "quiet is suppressed");
}
