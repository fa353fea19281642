//! Reading CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2) from
//! manifests, stdin and Helm's post-render stream: `spec` and `specs`, their List forms, and
//! located errors for wrong types. What was read is checked through the library's inventory and
//! the report's `summary.policies`, not through verdicts.

mod common;

use std::io::Write;

use common::{assert_error, at, run_stdin};
use netpol_check::model::{CiliumPolicy, CiliumPolicyKind, Inventory};
use netpol_check::source::manifests::{self, ManifestOptions};
use netpol_check::source::objects::{checked, RawObject};
use netpol_check::source::paths::Input;
use netpol_check::synth::{self, SynthConfig};
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

/// Each document of `text` with a `<<` in a comment at its end, which sends it to the exact
/// (kubectl YAML 1.1) reader; documents keep their first lines.
fn for_the_exact_reader(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line == "---" {
            out.push_str("# <<\n");
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("# <<\n");
    out
}

/// The Cilium policies of `text` as each reader reads them, without origins (the exact
/// reader's text has one more line per document).
fn read_both_ways(text: &str) -> (Vec<CiliumPolicy>, Vec<CiliumPolicy>) {
    let strip = |inv: Inventory| {
        let mut policies = inv.cilium_policies;
        for p in &mut policies {
            p.origin = Default::default();
        }
        policies
    };
    (
        strip(inventory_of(text)),
        strip(inventory_of(&for_the_exact_reader(text))),
    )
}

fn generated_cilium_cluster() -> String {
    let cfg = SynthConfig {
        namespaces: 40,
        workloads: 400,
        policies: 400,
        cluster_policies: 0,
        cilium: true,
        calico: false,
        seed: 7,
    };
    let mut out = Vec::new();
    synth::generate(&cfg, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Documents without a `<<` are read by the fast typed reader unless a value needs the exact
/// one (a plain scalar YAML 1.1 reads otherwise, a field of the wrong type); both must read
/// the same policies, from the fixtures and from generated clusters.
#[test]
fn the_fast_and_the_exact_reader_read_the_same_cilium_objects() {
    let dir = common::root().join("tests/fixtures/cilium");
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 18, "{fixtures:?}");
    let mut texts: Vec<(String, String)> = fixtures
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap()))
        .collect();
    texts.push(("generated".to_owned(), generated_cilium_cluster()));
    texts.push((
        "spec, specs, status and Lists".to_owned(),
        [
            CNP,
            CCNP,
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: refused, namespace: shop}\nspec:\n  endpointSelector: {}\n  egress:\n  - toPorts: [{ports: [{port: \"0123\"}, {port: '8_0', protocol: UDP}, {port: \"1e3\"}, {port: \"dns\", endPort: 60}]}]\nstatus:\n  conditions: [{type: Valid, status: \"False\", message: bad port}]\n",
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicyList\nitems:\n- metadata: {name: a, namespace: shop}\n  spec: {endpointSelector: {}, ingress: [{toPorts: [{ports: [{port: \"443\"}]}]}]}\n",
        ]
        .join("---\n"),
    ));
    for (name, text) in &texts {
        let (fast, exact) = read_both_ways(text);
        assert!(!fast.is_empty(), "{name}");
        assert_eq!(fast, exact, "{name}");
    }
}

/// A quoted port (`port: "80"`, how ports are written) used to send the whole policy to the
/// exact reader: serde_norway hands a string field over without saying whether it was quoted.
/// Every generated Cilium policy is now read by the fast reader.
#[test]
fn generated_cilium_policies_take_the_fast_reader() {
    let text = generated_cilium_cluster();
    let mut with_ports = 0;
    for doc in text.split("\n---\n") {
        if !doc.contains("kind: CiliumNetworkPolicy") {
            continue;
        }
        with_ports += usize::from(doc.contains("port: \""));
        let read = checked::while_reading_yaml(|| serde_norway::from_str::<RawObject>(doc));
        assert!(read.is_ok(), "{:?}\n{doc}", read.err());
    }
    assert!(with_ports > 100, "{with_ports}");
}

/// What only YAML 1.1 reads as a number still goes to the exact reader, which reports it where
/// it is written, and a quoted number is a port as written.
#[test]
fn ports_kubectl_reads_as_numbers_are_located_errors() {
    let policy = |port: &str| {
        format!("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: x}}\nspec:\n  endpointSelector: {{}}\n  ingress:\n  - toPorts:\n    - ports:\n      - port: {port}\n        protocol: TCP\n")
    };
    // `port: ` is 14 columns from the line's start.
    for plain in ["80", "0123", "8_0", "0x50", "1e3"] {
        let r = run_stdin(&["-f", "-"], policy(plain).as_bytes());
        assert_error(&r, &at("<stdin>", 9, 15));
        assert!(
            r.stderr.contains("expected a string"),
            "{plain}: {}",
            r.stderr
        );
    }
    for quoted in ["\"80\"", "'0123'", "\"8_0\"", "!!str 80"] {
        let inv = inventory_of(&policy(quoted));
        let port = inv.cilium_policies[0].rules[0].ingress.as_ref().unwrap()[0]
            .to_ports
            .as_ref()
            .unwrap()[0]
            .ports[0]
            .port
            .clone();
        let unquoted = quoted
            .trim_start_matches("!!str ")
            .trim_matches(['"', '\'']);
        assert_eq!(port.as_deref(), Some(unquoted), "{quoted}");
    }
    // A wrong type after a quoted port is located too.
    let r = run_stdin(
        &["-f", "-"],
        policy("\"80\"\n        endPort: eighty").as_bytes(),
    );
    assert_error(&r, &at("<stdin>", 10, 18));
}
