//! Reading Calico's policies and tiers (projectcalico.org/v3 and crd.projectcalico.org/v1)
//! from manifests, stdin, JSON and Helm's post-render stream: every kind, their List forms,
//! tier prefixes, selector positions and located errors for wrong types. What was read is
//! checked through the library's inventory and the report's `summary.policies`, not through
//! verdicts.

mod common;

use std::io::Write;

use common::{assert_error, run_stdin};
use netpol_check::model::{CalicoPolicyKind, CalicoText, Inventory};
use netpol_check::source::manifests::{self, ManifestOptions};
use netpol_check::source::paths::Input;
use serde_json::json;

// Line numbers matter: selectors are located inside this text. Its last rule's selector does
// not parse, so that the document is read by the exact reader, which knows where values start
// (one whose selectors all parse is read by the fast reader, and needs no position).
const GNP: &str = "apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: default-deny
spec:
  order: 100
  selector: \"projectcalico.org/namespace not in {'kube-system'}\"
  types: [Ingress, Egress]
  egress:
  - action: Allow
    protocol: UDP
    destination:
      selector: k8s-app == 'kube-dns'
      ports: [53, \"60:70\", dns]
      notPorts: [0]
  - action: Deny
    protocol: 6
    notProtocol: ICMP
    ipVersion: 4
    source:
      nets: [10.0.0.0/8]
      notNets: [10.1.0.0/16]
      notSelector: has(x)
      serviceAccounts: {names: [api], selector: role == 'x'}
    destination:
      services: {name: kubernetes, namespace: default}
    http: {methods: [GET]}
  - action: Log
    source: {selector: app == broken}
";

const CRD_NP: &str = "apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {name: security.allow-web, namespace: shop}
spec:
  tier: security
  selector: |
    app == 'web'
  serviceAccountSelector: 'role == \"api\"'
  ingress:
  - action: Pass
    source: {namespaceSelector: team == 'a'}
";

const K8S_NP: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec: {podSelector: {}}
";

const TIER: &str = "apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100, defaultAction: Pass}
";

fn inventory_of(text: &str) -> Inventory {
    inventory_in(text, ".yaml")
}

fn inventory_in(text: &str, suffix: &str) -> Inventory {
    let mut file = tempfile::NamedTempFile::with_suffix(suffix).unwrap();
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

fn located(text: &str, line: u32, column: Option<u32>) -> Option<CalicoText> {
    Some(CalicoText::located(text, Some(line), column))
}

#[test]
fn global_network_policies_are_read_as_written() {
    let inv = inventory_of(GNP);
    assert!(
        inv.ignored_policies.is_empty(),
        "{:?}",
        inv.ignored_policies
    );
    let [p] = &inv.calico_policies[..] else {
        panic!("{:?}", inv.calico_policies)
    };
    assert_eq!(p.kind, CalicoPolicyKind::GlobalNetworkPolicy);
    assert_eq!(p.api_version, "projectcalico.org/v3");
    assert_eq!(
        (p.namespace.as_deref(), p.name.as_str()),
        (None, "default-deny")
    );
    assert_eq!(p.tier, "default", "no spec.tier is the default tier");
    assert_eq!(p.order, Some(100.0));
    // Line 7, `  selector: "`: the value starts after the quote, column 14.
    assert_eq!(
        p.selector,
        located(
            "projectcalico.org/namespace not in {'kube-system'}",
            7,
            Some(14)
        )
    );
    assert_eq!(
        p.types,
        Some(vec!["Ingress".to_owned(), "Egress".to_owned()])
    );
    assert!(p.ingress.is_empty());
    assert_eq!(p.egress.len(), 3);
    assert!(!p.host_only);
    assert_eq!(p.staged_action, None);

    let allow = &p.egress[0];
    assert_eq!(allow.action, "Allow");
    assert_eq!(allow.line, Some(10));
    assert_eq!(allow.protocol.as_deref(), Some("UDP"));
    assert!(allow.source.is_empty());
    assert_eq!(
        allow.destination.selector,
        located("k8s-app == 'kube-dns'", 13, Some(17))
    );
    assert_eq!(allow.destination.ports, vec!["53", "60:70", "dns"]);
    assert_eq!(allow.destination.not_ports, vec!["0"]);

    let deny = &p.egress[1];
    assert_eq!(deny.line, Some(16));
    assert_eq!(deny.protocol.as_deref(), Some("6"), "a protocol number");
    assert_eq!(deny.not_protocol.as_deref(), Some("ICMP"));
    assert_eq!(deny.ip_version, Some(4));
    assert!(deny.http);
    assert!(!deny.icmp);
    assert_eq!(deny.source.nets, vec!["10.0.0.0/8"]);
    assert_eq!(deny.source.not_nets, vec!["10.1.0.0/16"]);
    assert_eq!(deny.source.not_selector, located("has(x)", 23, Some(20)));
    let sa = deny.source.service_accounts.as_ref().unwrap();
    assert_eq!(sa.names, vec!["api"]);
    assert_eq!(sa.selector, located("role == 'x'", 24, Some(49)));
    assert_eq!(
        deny.destination.services,
        Some(("default".to_owned(), "kubernetes".to_owned()))
    );
}

#[test]
fn crd_names_lose_their_tier_prefix_and_selectors_keep_their_place() {
    let inv = inventory_of(CRD_NP);
    let p = &inv.calico_policies[0];
    assert_eq!(p.kind, CalicoPolicyKind::NetworkPolicy);
    assert_eq!(p.api_version, "crd.projectcalico.org/v1");
    assert_eq!(
        (p.namespace.as_deref(), p.name.as_str()),
        (Some("shop"), "allow-web")
    );
    assert_eq!(p.tier, "security");
    assert_eq!(p.order, None);
    // A block scalar: its content's line, no column.
    assert_eq!(p.selector, located("app == 'web'\n", 7, None));
    assert_eq!(
        p.service_account_selector,
        located("role == \"api\"", 8, Some(28))
    );
    assert_eq!(p.types, None);
    assert_eq!(p.ingress[0].action, "Pass");
    // A plain scalar in a flow mapping.
    assert_eq!(
        p.ingress[0].source.namespace_selector,
        located("team == 'a'", 11, Some(33))
    );

    // The default tier's prefix goes too, in both groups; another tier's stays.
    let text = "apiVersion: crd.projectcalico.org/v1
kind: GlobalNetworkPolicy
metadata: {name: default.deny-all}
spec: {}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: platform.allow-dns}
spec: {tier: platform}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: platform.x}
spec: {}
";
    let names: Vec<_> = inventory_of(text)
        .calico_policies
        .iter()
        .map(|p| (p.tier.clone(), p.name.clone()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("default".to_owned(), "deny-all".to_owned()),
            ("platform".to_owned(), "allow-dns".to_owned()),
            ("default".to_owned(), "platform.x".to_owned()),
        ]
    );
}

#[test]
fn tiers_and_staged_kinds_are_read() {
    let text = [
        TIER,
        "apiVersion: crd.projectcalico.org/v1
kind: Tier
metadata: {name: platform}
spec: {}
---
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: security.s, namespace: shop}
spec: {tier: security, stagedAction: Delete, selector: all()}
---
apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata: {name: g}
spec: {doNotTrack: true, ingress: [{action: Deny}]}
---
apiVersion: crd.projectcalico.org/v1
kind: StagedKubernetesNetworkPolicy
metadata: {name: k, namespace: shop}
spec:
  stagedAction: Set
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {}}]}]
",
    ]
    .join("---\n");
    let inv = inventory_of(&text);
    let tiers: Vec<_> = inv
        .calico_tiers
        .iter()
        .map(|t| (t.name.as_str(), t.order, t.default_action.as_deref()))
        .collect();
    assert_eq!(
        tiers,
        vec![
            ("security", Some(100.0), Some("Pass")),
            ("platform", None, None)
        ]
    );
    assert_eq!(inv.calico_tiers[1].origin.line, Some(6));
    let kinds: Vec<_> = inv.calico_policies.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        vec![
            CalicoPolicyKind::StagedNetworkPolicy,
            CalicoPolicyKind::StagedGlobalNetworkPolicy,
            CalicoPolicyKind::StagedKubernetesNetworkPolicy,
        ]
    );
    let staged = &inv.calico_policies[0];
    assert_eq!(
        (staged.name.as_str(), staged.staged_action.as_deref()),
        ("s", Some("Delete"))
    );
    assert!(inv.calico_policies[1].host_only, "doNotTrack");
    assert_eq!(inv.calico_policies[1].staged_action, None);
    let k = &inv.calico_policies[2];
    assert_eq!(k.staged_action.as_deref(), Some("Set"));
    assert_eq!(k.tier, "default");
    let np = k.staged_kubernetes.as_ref().unwrap();
    assert_eq!((np.namespace.as_str(), np.name.as_str()), ("shop", "k"));
    assert_eq!(np.ingress.len(), 1);
    assert_eq!(np.policy_types, Some(vec!["Ingress".to_owned()]));
    // A staged Kubernetes policy is no NetworkPolicy of the input.
    assert!(inv.policies.is_empty());
}

#[test]
fn a_kubernetes_and_a_calico_network_policy_of_one_name_are_each_their_own() {
    let calico = CRD_NP.replace("security.allow-web", "allow-web");
    let inv = inventory_of(&[K8S_NP, &calico].join("---\n"));
    assert_eq!(inv.policies.len(), 1);
    assert_eq!(inv.policies[0].name, "allow-web");
    assert_eq!(inv.calico_policies.len(), 1);
    assert_eq!(inv.calico_policies[0].name, "allow-web");
    assert_eq!(inv.calico_policies[0].kind, CalicoPolicyKind::NetworkPolicy);
}

#[test]
fn list_forms_are_read() {
    // A typed list whose items carry no kind (the API server's output), and a v1 List mixing
    // kinds; the items' selectors are located in the List.
    let typed = "apiVersion: crd.projectcalico.org/v1
kind: GlobalNetworkPolicyList
items:
- metadata: {name: default.a}
  spec: {selector: app == 'a'}
- metadata: {name: b}
  spec: {egress: [{action: Allow}]}
";
    let v1 = "apiVersion: v1
kind: List
items:
- apiVersion: projectcalico.org/v3
  kind: NetworkPolicy
  metadata: {name: c, namespace: blog}
  spec: {selector: app == 'c'}
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: c, namespace: blog}
  spec: {podSelector: {}}
- apiVersion: projectcalico.org/v3
  kind: Tier
  metadata: {name: t}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: blog}
  spec: {template: {metadata: {labels: {app: web}}}}
";
    let inv = inventory_of(&[typed, v1].join("---\n"));
    let names: Vec<_> = inv
        .calico_policies
        .iter()
        .map(|p| (p.kind.as_str(), p.namespace.as_deref(), p.name.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("GlobalNetworkPolicy", None, "a"),
            ("GlobalNetworkPolicy", None, "b"),
            ("NetworkPolicy", Some("blog"), "c"),
        ]
    );
    assert_eq!(
        inv.calico_policies[0].api_version, "crd.projectcalico.org/v1",
        "a typed List's items are of its group"
    );
    assert_eq!(
        inv.calico_policies[0].selector,
        located("app == 'a'", 5, Some(20))
    );
    assert_eq!(inv.calico_policies[1].egress.len(), 1);
    assert_eq!(
        inv.calico_policies[2].selector,
        located("app == 'c'", 15, Some(20))
    );
    assert_eq!(inv.policies.len(), 1);
    assert_eq!(inv.calico_tiers.len(), 1);
    assert_eq!(inv.workloads.len(), 1);
}

#[test]
fn json_input_is_read_with_positions() {
    let text = r#"{"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
 "metadata": {"name": "j"},
 "spec": {"selector": "app == j", "ingress": [{"action": "Allow", "source": {"ports": [80]}}]}}
"#;
    let inv = inventory_in(text, ".json");
    let p = &inv.calico_policies[0];
    assert_eq!(p.name, "j");
    // It does not parse: located inside the JSON.
    assert_eq!(p.selector, located("app == j", 3, Some(24)));
    assert_eq!(p.ingress[0].source.ports, vec!["80"]);
}

#[test]
fn summary_counts_both_groups_under_one_key_from_stdin() {
    let staged = "apiVersion: crd.projectcalico.org/v1
kind: StagedGlobalNetworkPolicy
metadata: {name: s}
spec: {}
";
    let (code, report) = common::json_stdin(
        &["-f", "-"],
        [GNP, CRD_NP, K8S_NP, TIER, staged].join("---\n").as_bytes(),
    );
    assert!(code == 0 || code == 1, "{report}");
    assert_eq!(
        report["summary"]["policies"],
        json!({
            "NetworkPolicy": 1,
            "projectcalico.org/GlobalNetworkPolicy": 1,
            "projectcalico.org/NetworkPolicy": 1,
            "projectcalico.org/StagedGlobalNetworkPolicy": 1,
        })
    );
    assert_eq!(report["summary"]["ignoredPolicies"], json!({}));
    let r = run_stdin(&["-f", "-"], [GNP, K8S_NP].join("---\n").as_bytes());
    assert!(
        r.stdout
            .contains("1 NetworkPolicy and 1 Calico policy (1 GlobalNetworkPolicy) found"),
        "{}",
        r.stdout
    );
    assert!(!r.stderr.contains("not evaluated"), "{}", r.stderr);
}

#[test]
fn post_render_reads_them_and_passes_them_through() {
    let r = run_stdin(
        &["post-render", "--fail-on", "never"],
        [GNP, TIER].join("---\n").as_bytes(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("kind: GlobalNetworkPolicy"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("kind: Tier"), "{}", r.stdout);
    assert!(!r.stderr.contains("not evaluated"), "{}", r.stderr);
}

#[test]
fn wrong_types_are_located_errors() {
    let head =
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: x}\nspec:\n";
    let cases = [
        // A selector is a string.
        ("  selector: {app: web}\n", 5),
        // order is a number.
        ("  order: first\n", 5),
        // Rules are a list of mappings.
        ("  ingress: {action: Allow}\n", 5),
        (
            "  ingress:\n  - action: Allow\n    source: {nets: 10.0.0.0/8}\n",
            7,
        ),
        // A port is a number or a string.
        (
            "  ingress:\n  - action: Allow\n    destination:\n      ports: [[80]]\n",
            8,
        ),
        ("  types: Ingress\n", 5),
    ];
    for (spec, line) in cases {
        let text = format!("{head}{spec}");
        let r = run_stdin(&["-f", "-"], text.as_bytes());
        assert_error(&r, &format!("<stdin>:{line}:"));
        assert!(!r.stderr.contains("Raw"), "{}", r.stderr);
    }
    // In a List, the item is named.
    let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: crd.projectcalico.org/v1\n  kind: Tier\n  metadata: {name: t}\n  spec: {order: [1]}\n";
    let r = run_stdin(&["-f", "-"], list.as_bytes());
    assert_error(&r, "<stdin>:7:");
    assert!(r.stderr.contains("items[0].spec.order"), "{}", r.stderr);
    // A name is required, as for every kind read.
    let r = run_stdin(
        &["-f", "-"],
        b"apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {}\n",
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("Tier has no metadata.name"),
        "{}",
        r.stderr
    );
}

#[test]
fn other_versions_of_the_groups_are_skipped_not_read() {
    let text = "apiVersion: projectcalico.org/v1
kind: GlobalNetworkPolicy
metadata: {name: old}
spec: {selector: 3}
";
    let (code, report) = common::json_stdin(&["-f", "-"], text.as_bytes());
    assert!(code == 0 || code == 1, "{report}");
    assert_eq!(
        report["summary"]["skippedKinds"],
        json!({"projectcalico.org/v1 GlobalNetworkPolicy": 1})
    );
}

#[test]
fn policies_and_tiers_calico_refuses_are_npc120_findings() {
    let text = "apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: broken}
spec:
  selector: app == web
  ingress:
  - action: Accept
    protocol: ICMP
    destination: {ports: [80]}
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata:
  name: security.quiet
  namespace: shop
  annotations: {netpol-check.io/ignore: NPC120}
spec: {tier: security, selector: 'has(', types: [Ingress]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: scoped, namespace: shop}
spec:
  namespaceSelector: all()
  egress:
  - action: Allow
    protocol: TCP
    destination: {ports: ['90:80'], nets: [10.0.0.0/40]}
---
apiVersion: projectcalico.org/v3
kind: StagedKubernetesNetworkPolicy
metadata: {name: staged, namespace: shop}
spec: {podSelector: {}, policyTypes: [Sideways]}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {defaultAction: Allow}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: fine}
spec:
  selector: app == 'web'
  egress:
  - action: Allow
    destination: {ports: [dns]}
";
    let (code, report) = common::json_stdin(&["-f", "-"], text.as_bytes());
    assert_eq!(code, 1, "{report:#}");
    let npc120: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "NPC120")
        .collect();
    let mut objects: Vec<(&str, &str)> = npc120
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["object"].as_str().unwrap()))
        .collect();
    objects.sort();
    assert_eq!(
        objects,
        vec![
            ("projectcalico.org/GlobalNetworkPolicy", "broken"),
            ("projectcalico.org/NetworkPolicy", "scoped"),
            ("projectcalico.org/StagedKubernetesNetworkPolicy", "staged"),
            ("projectcalico.org/Tier", "security"),
        ],
        "{npc120:#?}"
    );
    let of = |name: &str| *npc120.iter().find(|f| f["object"] == name).unwrap();
    let broken = of("broken");
    assert_eq!(broken["namespace"], serde_json::Value::Null);
    assert_eq!(broken["line"], 1);
    let message = broken["message"].as_str().unwrap();
    // Line 5 `  selector: app == web`: the value starts at column 13, `web` at the selector's 8.
    assert!(
        message.contains(
            "spec.selector \"app == web\" does not parse at <stdin>:5:20: expected a quoted value"
        ),
        "{message}"
    );
    assert!(
        message.contains("spec.ingress[0].action: \"Accept\" is not Allow, Deny, Pass or Log"),
        "{message}"
    );
    assert!(
        message.contains("spec.ingress[0].destination.ports: protocol ICMP has no ports"),
        "{message}"
    );
    let scoped = of("scoped")["message"].as_str().unwrap();
    assert_eq!(of("scoped")["namespace"], "shop");
    for part in [
        "spec.namespaceSelector: a NetworkPolicy has no such field",
        "\"90:80\": the range starts after it ends (90 > 80)",
        "\"10.0.0.0/40\" is not a CIDR",
    ] {
        assert!(scoped.contains(part), "{part}: {scoped}");
    }
    assert!(of("staged")["message"]
        .as_str()
        .unwrap()
        .contains("Sideways"));
    assert!(of("security")["message"]
        .as_str()
        .unwrap()
        .contains("spec.defaultAction: \"Allow\" is not Deny or Pass"));
    // The annotation suppresses its policy's finding, under Calico's kind.
    assert_eq!(report["summary"]["suppressed"], 1, "{report:#}");
    assert_eq!(report["suppressed"][0]["object"], "quiet");
}

/// Documents whose selectors all parse are read by the fast reader, the others by the exact
/// one (which locates values); both must read the same policy. A `<<` anywhere (here in a
/// comment) sends a document to the exact reader, so each fixture is read both ways and
/// compared without the positions only the exact reader gives.
#[test]
fn the_fast_and_the_exact_reader_read_the_same_calico_objects() {
    let strip = |mut inv: Inventory| {
        for p in &mut inv.calico_policies {
            // Two files, the second one line longer.
            p.origin = Default::default();
            let clear = |t: &mut Option<CalicoText>| {
                if let Some(t) = t {
                    t.line = None;
                    t.column = None;
                }
            };
            clear(&mut p.selector);
            clear(&mut p.namespace_selector);
            clear(&mut p.service_account_selector);
            for r in p.ingress.iter_mut().chain(p.egress.iter_mut()) {
                r.line = None;
                for e in [&mut r.source, &mut r.destination] {
                    clear(&mut e.selector);
                    clear(&mut e.not_selector);
                    clear(&mut e.namespace_selector);
                    if let Some(sa) = &mut e.service_accounts {
                        clear(&mut sa.selector);
                    }
                }
            }
        }
        inv
    };
    let valid = GNP.replace(
        "  - action: Log\n    source: {selector: app == broken}\n",
        "",
    );
    for text in [valid.as_str(), TIER, "apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: shop}\nspec: {order: 0.5, selector: \"app in {'x', 'y'}\", ingress: [{action: Deny, protocol: TCP, destination: {ports: [\"8000:8080\", http]}}]}\n"] {
        let fast = inventory_of(text);
        let exact = inventory_of(&format!("# <<\n{text}"));
        assert_eq!(fast.calico_policies.len() + fast.calico_tiers.len(), 1, "{text}");
        let (fast, exact) = (strip(fast), strip(exact));
        assert_eq!(fast.calico_policies, exact.calico_policies, "{text}");
        assert_eq!(
            fast.calico_tiers.iter().map(|t| (&t.name, t.order, &t.default_action)).collect::<Vec<_>>(),
            exact.calico_tiers.iter().map(|t| (&t.name, t.order, &t.default_action)).collect::<Vec<_>>(),
        );
    }
}
