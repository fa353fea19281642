//! NetworkPolicy semantics (shared/SEMANTICS.md) as the JSON report shows them
//! (shared/REPORT.md): selection, effective policyTypes, hostNetwork, default denies, policy
//! lists, suppression and scope flags.

mod common;

use common::*;

/// A Pod manifest.
fn pod(ns: &str, name: &str, labels: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels: {labels}\nspec:\n  containers: [{{name: c, image: busybox}}]\n"
    )
}

/// A NetworkPolicy manifest; `spec` is the YAML body of `spec:` indented by two spaces.
fn policy(ns: &str, name: &str, spec: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n{spec}"
    )
}

fn stream(docs: &[String]) -> String {
    docs.join("---\n")
}

fn report(docs: &[String]) -> (i32, serde_json::Value) {
    report_of(&stream(docs), &[])
}

// --- Selection: own namespace only (point 1) ------------------------------------------------

#[test]
fn a_policy_never_selects_pods_of_another_namespace() {
    let (_, r) = report(&[
        pod("a", "web", "{app: web}"),
        pod("b", "web", "{app: web}"),
        policy(
            "b",
            "deny-all",
            "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
        ),
        policy(
            "b",
            "web-only",
            "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress, Egress]\n",
        ),
    ]);
    assert_eq!(isolation(&r, "Pod", "a", "web"), (false, false));
    assert!(policies(&r, "Pod", "a", "web", "ingress").is_empty());
    assert!(policies(&r, "Pod", "a", "web", "egress").is_empty());
    assert_eq!(isolation(&r, "Pod", "b", "web"), (true, true));
    assert!(has_finding(&r, "NPC001", "Pod", "a", "web"));
    assert!(!has_finding(&r, "NPC001", "Pod", "b", "web"));
    assert_eq!(namespace(&r, "a")["networkPolicies"], 0);
    assert_eq!(namespace(&r, "b")["networkPolicies"], 2);
    assert_eq!(namespace(&r, "a")["defaultDeny"]["ingress"], false);
    assert_eq!(namespace(&r, "a")["defaultDeny"]["egress"], false);
}

#[test]
fn a_policy_selects_by_labels_within_its_namespace() {
    let (_, r) = report(&[
        pod("shop", "web", "{app: web}"),
        pod("shop", "db", "{app: db}"),
        policy(
            "shop",
            "db",
            "  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress, Egress]\n",
        ),
    ]);
    assert_eq!(isolation(&r, "Pod", "shop", "db"), (true, true));
    assert_eq!(isolation(&r, "Pod", "shop", "web"), (false, false));
}

// --- Effective policyTypes (point 2) --------------------------------------------------------

#[test]
fn omitted_policy_types_mean_ingress_only() {
    let (_, r) = report(&[
        pod("t", "p", "{app: p}"),
        policy("t", "pol", "  podSelector: {}\n"),
    ]);
    assert_eq!(isolation(&r, "Pod", "t", "p"), (true, false));
    assert_eq!(policies(&r, "Pod", "t", "p", "ingress"), ["pol"]);
    assert!(policies(&r, "Pod", "t", "p", "egress").is_empty());
    assert_eq!(namespace(&r, "t")["defaultDeny"]["ingress"], true);
    assert_eq!(namespace(&r, "t")["defaultDeny"]["egress"], false);
}

#[test]
fn omitted_policy_types_with_an_egress_rule_add_egress() {
    let (_, r) = report(&[
        pod("t", "p", "{app: p}"),
        policy(
            "t",
            "pol",
            "  podSelector: {}\n  egress:\n  - to: [{podSelector: {}}]\n",
        ),
    ]);
    assert_eq!(isolation(&r, "Pod", "t", "p"), (true, true));
    assert_eq!(policies(&r, "Pod", "t", "p", "egress"), ["pol"]);
    // Ingress is a deny (no ingress rules); egress has a rule, so it is not a default deny.
    assert_eq!(namespace(&r, "t")["defaultDeny"]["ingress"], true);
    assert_eq!(namespace(&r, "t")["defaultDeny"]["egress"], false);
}

#[test]
fn empty_policy_types_list_is_defaulted_like_an_omitted_one() {
    let (_, r) = report(&[
        pod("t", "p", "{app: p}"),
        policy("t", "pol", "  podSelector: {}\n  policyTypes: []\n"),
    ]);
    assert_eq!(isolation(&r, "Pod", "t", "p"), (true, false));

    let (_, r) = report(&[
        pod("t", "p", "{app: p}"),
        policy(
            "t",
            "pol",
            "  podSelector: {}\n  policyTypes: []\n  egress:\n  - ports: [{port: 53, protocol: UDP}]\n",
        ),
    ]);
    assert_eq!(isolation(&r, "Pod", "t", "p"), (true, true));
}

#[test]
fn empty_egress_list_adds_no_egress() {
    let (_, r) = report(&[
        pod("t", "p", "{app: p}"),
        policy("t", "pol", "  podSelector: {}\n  egress: []\n"),
    ]);
    assert_eq!(isolation(&r, "Pod", "t", "p"), (true, false));
    assert!(policies(&r, "Pod", "t", "p", "egress").is_empty());
    assert_eq!(namespace(&r, "t")["defaultDeny"]["egress"], false);
    assert!(has_finding(&r, "NPC001", "Pod", "t", "p"));
}

#[test]
fn explicit_policy_types_are_used_as_written() {
    // Egress only, although it has ingress rules: those are inert, ingress stays open.
    let (_, r) = report(&[
        pod("t", "p", "{app: p}"),
        policy(
            "t",
            "egress-only",
            "  podSelector: {}\n  policyTypes: [Egress]\n  ingress:\n  - from: [{podSelector: {}}]\n",
        ),
    ]);
    assert_eq!(isolation(&r, "Pod", "t", "p"), (false, true));
    assert!(policies(&r, "Pod", "t", "p", "ingress").is_empty());
    assert_eq!(policies(&r, "Pod", "t", "p", "egress"), ["egress-only"]);
    assert_eq!(namespace(&r, "t")["defaultDeny"]["ingress"], false);
    assert_eq!(namespace(&r, "t")["defaultDeny"]["egress"], true);

    // Ingress only, although it has egress rules: egress stays open.
    let (_, r) = report(&[
        pod("t", "p", "{app: p}"),
        policy(
            "t",
            "ingress-only",
            "  podSelector: {}\n  policyTypes: [Ingress]\n  egress:\n  - to: [{podSelector: {}}]\n",
        ),
    ]);
    assert_eq!(isolation(&r, "Pod", "t", "p"), (true, false));
    assert!(policies(&r, "Pod", "t", "p", "egress").is_empty());
}

#[test]
fn rules_for_a_listed_direction_isolate_but_are_not_a_default_deny() {
    // `ingress: [{}]` allows everything, but the pod is still isolated (selected with Ingress);
    // a namespace default deny needs no rules.
    let (_, r) = report(&[
        pod("t", "p", "{app: p}"),
        policy(
            "t",
            "allow-all-in",
            "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - {}\n",
        ),
    ]);
    assert_eq!(isolation(&r, "Pod", "t", "p"), (true, true));
    assert_eq!(namespace(&r, "t")["defaultDeny"]["ingress"], false);
    assert_eq!(namespace(&r, "t")["defaultDeny"]["egress"], true);
    // NPC003 for the missing ingress default deny; the lints add NPC101 for the allow-all
    // ingress rule and NPC108 because the egress deny leaves no way to DNS. Nothing else.
    let mut rules: Vec<String> = finding_keys(&r, "findings")
        .into_iter()
        .map(|k| k.0)
        .collect();
    rules.sort();
    assert_eq!(rules, ["NPC003", "NPC101", "NPC108"]);
}

// --- Label selectors ------------------------------------------------------------------------

#[test]
fn match_expressions_only_selector_is_not_match_all() {
    let (_, r) = report(&[
        pod("t", "db", "{app: db}"),
        pod("t", "web", "{app: web}"),
        pod("t", "bare", "{}"),
        policy(
            "t",
            "db-lockdown",
            "  podSelector:\n    matchExpressions:\n    - {key: app, operator: In, values: [db]}\n  policyTypes: [Ingress, Egress]\n",
        ),
    ]);
    assert_eq!(isolation(&r, "Pod", "t", "db"), (true, true));
    assert_eq!(isolation(&r, "Pod", "t", "web"), (false, false));
    assert_eq!(isolation(&r, "Pod", "t", "bare"), (false, false));
    // It is not a namespace default deny either.
    assert_eq!(namespace(&r, "t")["defaultDeny"]["ingress"], false);
    assert_eq!(namespace(&r, "t")["defaultDeny"]["egress"], false);
}

#[test]
fn not_in_and_does_not_exist_match_pods_without_the_key() {
    let (_, r) = report(&[
        pod("t", "labelled", "{tier: front}"),
        pod("t", "other", "{tier: back}"),
        pod("t", "bare", "{}"),
        policy(
            "t",
            "not-front",
            "  podSelector:\n    matchExpressions:\n    - {key: tier, operator: NotIn, values: [front]}\n  policyTypes: [Ingress]\n",
        ),
        policy(
            "t",
            "no-tier",
            "  podSelector:\n    matchExpressions:\n    - {key: tier, operator: DoesNotExist}\n  policyTypes: [Egress]\n",
        ),
    ]);
    assert_eq!(isolation(&r, "Pod", "t", "labelled"), (false, false));
    assert_eq!(isolation(&r, "Pod", "t", "other"), (true, false));
    assert_eq!(isolation(&r, "Pod", "t", "bare"), (true, true));
}

#[test]
fn match_labels_and_match_expressions_are_anded() {
    let (_, r) = report(&[
        pod("t", "both", "{app: api, env: prod}"),
        pod("t", "one", "{app: api, env: dev}"),
        policy(
            "t",
            "prod-api",
            "  podSelector:\n    matchLabels: {app: api}\n    matchExpressions:\n    - {key: env, operator: In, values: [prod, staging]}\n  policyTypes: [Ingress, Egress]\n",
        ),
    ]);
    assert_eq!(isolation(&r, "Pod", "t", "both"), (true, true));
    assert_eq!(isolation(&r, "Pod", "t", "one"), (false, false));
}

// --- hostNetwork (point 5) ------------------------------------------------------------------

#[test]
fn host_network_workloads_are_never_isolated_and_get_npc002_not_npc001() {
    let ds = "\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: t}
spec:
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      containers: [{name: a, image: agent}]
"
    .to_owned();
    let host_pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: hp, namespace: t}\nspec:\n  hostNetwork: true\n".to_owned();
    let (code, r) = report(&[
        ds,
        host_pod,
        policy(
            "t",
            "deny-all",
            "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
        ),
    ]);
    for (kind, name) in [("DaemonSet", "agent"), ("Pod", "hp")] {
        let w = workload(&r, kind, "t", name);
        assert_eq!(w["hostNetwork"], true, "{kind} {name}");
        assert_eq!(
            isolation(&r, kind, "t", name),
            (false, false),
            "{kind} {name}"
        );
        assert!(has_finding(&r, "NPC002", kind, "t", name), "{kind} {name}");
        assert!(!has_finding(&r, "NPC001", kind, "t", name), "{kind} {name}");
    }
    let npc002 = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "NPC002")
        .unwrap();
    assert_eq!(npc002["severity"], "warning");
    assert_eq!(npc002["name"], "host-network-workload");
    assert_eq!(r["summary"]["hostNetworkWorkloads"], 2);
    assert_eq!(r["summary"]["uncoveredWorkloads"], 0);
    assert_eq!(r["summary"]["findings"]["error"], 0);
    assert_eq!(code, 0, "NPC002 is a warning");
}

#[test]
fn host_network_false_is_an_ordinary_pod() {
    let p = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: t}\nspec:\n  hostNetwork: false\n".to_owned();
    let (_, r) = report(&[
        p,
        policy(
            "t",
            "deny-all",
            "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
        ),
    ]);
    assert_eq!(workload(&r, "Pod", "t", "p")["hostNetwork"], false);
    assert_eq!(isolation(&r, "Pod", "t", "p"), (true, true));
}

// --- Namespaces and policy lists ------------------------------------------------------------

#[test]
fn namespace_default_deny_flags_per_direction() {
    let (_, r) = report(&[
        pod("in-only", "p", "{}"),
        policy(
            "in-only",
            "deny-in",
            "  podSelector: {}\n  policyTypes: [Ingress]\n",
        ),
        pod("out-only", "p", "{}"),
        policy(
            "out-only",
            "deny-out",
            "  podSelector: {}\n  policyTypes: [Egress]\n",
        ),
        pod("both", "p", "{}"),
        policy(
            "both",
            "deny-in",
            "  podSelector: {}\n  policyTypes: [Ingress]\n",
        ),
        policy(
            "both",
            "deny-out",
            "  podSelector: {}\n  policyTypes: [Egress]\n  egress: []\n",
        ),
        pod("none", "p", "{}"),
    ]);
    let flags = |ns: &str| {
        let d = &namespace(&r, ns)["defaultDeny"];
        (
            d["ingress"].as_bool().unwrap(),
            d["egress"].as_bool().unwrap(),
        )
    };
    assert_eq!(flags("in-only"), (true, false));
    assert_eq!(flags("out-only"), (false, true));
    assert_eq!(flags("both"), (true, true));
    assert_eq!(flags("none"), (false, false));
    assert_eq!(namespace(&r, "both")["networkPolicies"], 2);
    assert_eq!(namespace(&r, "both")["workloads"], 1);
    assert!(!has_finding(&r, "NPC003", "Namespace", "both", "both"));
    for ns in ["in-only", "out-only", "none"] {
        assert!(has_finding(&r, "NPC003", "Namespace", ns, ns), "{ns}");
    }
    assert_eq!(namespace_names(&r), ["both", "in-only", "none", "out-only"]);
}

#[test]
fn namespaces_list_those_with_workloads_policies_or_a_namespace_object() {
    let ns_obj = "apiVersion: v1\nkind: Namespace\nmetadata: {name: listed}\n".to_owned();
    let (_, r) = report(&[
        ns_obj,
        pod("has-pod", "p", "{}"),
        policy("has-policy", "x", "  podSelector: {}\n"),
    ]);
    assert_eq!(namespace_names(&r), ["has-pod", "has-policy", "listed"]);
    assert_eq!(r["summary"]["namespaces"], 3);
    // NPC003 is about namespaces that hold workloads.
    assert!(!has_finding(&r, "NPC003", "Namespace", "listed", "listed"));
    assert!(!has_finding(
        &r,
        "NPC003",
        "Namespace",
        "has-policy",
        "has-policy"
    ));
    assert!(has_finding(&r, "NPC003", "Namespace", "has-pod", "has-pod"));
}

#[test]
fn workload_policies_are_sorted_names_of_selecting_policies_per_direction() {
    let (_, r) = report(&[
        pod("t", "p", "{app: p}"),
        policy(
            "t",
            "zeta",
            "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
        ),
        policy(
            "t",
            "alpha",
            "  podSelector: {matchLabels: {app: p}}\n  policyTypes: [Egress]\n",
        ),
        policy("t", "mid", "  podSelector: {matchLabels: {app: p}}\n"),
        policy(
            "t",
            "beta-other",
            "  podSelector: {matchLabels: {app: other}}\n  policyTypes: [Ingress, Egress]\n",
        ),
    ]);
    assert_eq!(policies(&r, "Pod", "t", "p", "ingress"), ["mid", "zeta"]);
    assert_eq!(policies(&r, "Pod", "t", "p", "egress"), ["alpha", "zeta"]);
}

// --- Suppression ----------------------------------------------------------------------------

fn annotated_pod(ns: &str, name: &str, annotations: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations: {annotations}\n")
}

#[test]
fn workload_annotation_suppresses_by_rule_id() {
    let (code, r) = report(&[annotated_pod(
        "s",
        "legacy",
        "{netpol-check.io/ignore: NPC001, netpol-check.io/ignore-reason: \"migrating in Q3\"}",
    )]);
    let suppressed = finding_keys(&r, "suppressed");
    assert_eq!(
        suppressed,
        [(
            "NPC001".to_owned(),
            "Pod".to_owned(),
            "s".to_owned(),
            "legacy".to_owned()
        )]
    );
    assert_eq!(r["suppressed"][0]["suppressionReason"], "migrating in Q3");
    assert!(!has_finding(&r, "NPC001", "Pod", "s", "legacy"));
    assert_eq!(r["summary"]["suppressed"], 1);
    assert_eq!(r["summary"]["findings"]["error"], 0);
    // The namespace's NPC003 is not suppressed by the pod's annotation.
    assert!(has_finding(&r, "NPC003", "Namespace", "s", "s"));
    assert_eq!(code, 0, "suppressed errors do not fail the run");
    let r2 = run_stdin(
        &["-f", "-", "--fail-on", "warning"],
        annotated_pod("s", "legacy", "{netpol-check.io/ignore: NPC001}").as_bytes(),
    );
    assert_eq!(r2.code, 1, "the unsuppressed NPC003 warning still counts");
}

#[test]
fn workload_annotation_suppresses_by_rule_name_case_insensitively_and_all() {
    for value in ["uncovered-workload", "npc001", "all", "NPC002, NPC001"] {
        let (code, r) = report(&[annotated_pod(
            "s",
            "legacy",
            &format!("{{netpol-check.io/ignore: \"{value}\"}}"),
        )]);
        assert_eq!(
            finding_keys(&r, "suppressed")
                .into_iter()
                .map(|k| k.0)
                .collect::<Vec<_>>(),
            ["NPC001"],
            "{value}"
        );
        assert_eq!(r["summary"]["suppressed"], 1, "{value}");
        assert_eq!(r["summary"]["findings"]["error"], 0, "{value}");
        assert_eq!(code, 0, "{value}");
    }
}

#[test]
fn annotation_for_another_rule_does_not_suppress() {
    let (code, r) = report(&[annotated_pod(
        "s",
        "legacy",
        "{netpol-check.io/ignore: \"NPC002,host-network-workload\"}",
    )]);
    assert!(has_finding(&r, "NPC001", "Pod", "s", "legacy"));
    assert_eq!(r["summary"]["suppressed"], 0);
    assert_eq!(r["suppressed"], serde_json::json!([]));
    assert_eq!(code, 1);
}

#[test]
fn annotation_on_one_workload_does_not_suppress_another() {
    let (code, r) = report(&[
        annotated_pod("s", "legacy", "{netpol-check.io/ignore: all}"),
        pod("s", "fresh", "{}"),
    ]);
    assert!(has_finding(&r, "NPC001", "Pod", "s", "fresh"));
    assert!(!has_finding(&r, "NPC001", "Pod", "s", "legacy"));
    assert_eq!(code, 1);
}

#[test]
fn namespace_annotation_suppresses_findings_of_everything_in_it() {
    let ns = "\
apiVersion: v1
kind: Namespace
metadata:
  name: sandbox
  annotations:
    netpol-check.io/ignore: all
    netpol-check.io/ignore-reason: throwaway
"
    .to_owned();
    let host = "apiVersion: v1\nkind: Pod\nmetadata: {name: hp, namespace: sandbox}\nspec: {hostNetwork: true}\n".to_owned();
    let (code, r) = report(&[
        ns,
        pod("sandbox", "a", "{}"),
        pod("sandbox", "b", "{}"),
        host,
        pod("prod", "c", "{}"),
    ]);
    let mut suppressed: Vec<(String, String)> = finding_keys(&r, "suppressed")
        .into_iter()
        .map(|k| (k.0, k.3))
        .collect();
    suppressed.sort();
    assert_eq!(
        suppressed,
        [
            ("NPC001".to_owned(), "a".to_owned()),
            ("NPC001".to_owned(), "b".to_owned()),
            ("NPC002".to_owned(), "hp".to_owned()),
            ("NPC003".to_owned(), "sandbox".to_owned()),
        ]
    );
    assert!(r["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["suppressionReason"] == "throwaway"));
    assert_eq!(r["summary"]["suppressed"], 4);
    // Findings elsewhere are untouched.
    assert!(has_finding(&r, "NPC001", "Pod", "prod", "c"));
    assert!(has_finding(&r, "NPC003", "Namespace", "prod", "prod"));
    assert!(finding_keys(&r, "findings")
        .iter()
        .all(|k| k.2 != "sandbox"));
    assert_eq!(r["summary"]["findings"]["error"], 1);
    assert_eq!(code, 1);
}

#[test]
fn namespace_annotation_for_one_rule_leaves_the_others() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: dev\n  annotations: {netpol-check.io/ignore: namespace-without-default-deny}\n".to_owned();
    let (code, r) = report(&[ns, pod("dev", "a", "{}")]);
    assert_eq!(
        finding_keys(&r, "suppressed")
            .into_iter()
            .map(|k| k.0)
            .collect::<Vec<_>>(),
        ["NPC003"]
    );
    assert!(has_finding(&r, "NPC001", "Pod", "dev", "a"));
    assert_eq!(code, 1);
}

#[test]
fn fully_suppressed_input_exits_0_even_with_fail_on_info() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: dev\n  annotations: {netpol-check.io/ignore: all}\n".to_owned();
    let r = run_stdin(
        &["-f", "-", "--fail-on", "info"],
        stream(&[ns, pod("dev", "a", "{}")]).as_bytes(),
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
}

// --- Scope: system namespaces and --exclude-namespace ---------------------------------------

#[test]
fn system_namespaces_are_left_out_unless_include_system() {
    let docs = [
        pod("kube-system", "coredns", "{}"),
        pod("kube-public", "x", "{}"),
        // Not `y`: kubectl reads a plain `y` as the boolean true, which no name can be.
        pod("kube-node-lease", "z", "{}"),
        pod("app", "p", "{}"),
        policy(
            "app",
            "deny-all",
            "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
        ),
    ];
    let (code, r) = report_of(&stream(&docs), &[]);
    assert_eq!(namespace_names(&r), ["app"]);
    assert_eq!(r["summary"]["workloads"], 1);
    assert_eq!(
        code, 0,
        "uncovered system pods do not count when out of scope"
    );

    let (code, r) = report_of(&stream(&docs), &["--include-system"]);
    assert_eq!(
        namespace_names(&r),
        ["app", "kube-node-lease", "kube-public", "kube-system"]
    );
    assert_eq!(r["summary"]["workloads"], 4);
    assert!(has_finding(&r, "NPC001", "Pod", "kube-system", "coredns"));
    assert_eq!(code, 1);
}

#[test]
fn exclude_namespace_globs_leave_out_whole_names_and_repeat() {
    let docs = [
        pod("team-a", "p", "{}"),
        pod("team-b", "p", "{}"),
        pod("my-team-a", "p", "{}"),
        pod("tmp1", "p", "{}"),
        pod("tmp12", "p", "{}"),
        policy("team-a", "x", "  podSelector: {}\n"),
    ];
    let (_, r) = report_of(&stream(&docs), &["--exclude-namespace", "team-*"]);
    assert_eq!(namespace_names(&r), ["my-team-a", "tmp1", "tmp12"]);
    assert_eq!(r["summary"]["networkPolicies"], 0);
    assert!(finding_keys(&r, "findings")
        .iter()
        .all(|k| !k.2.starts_with("team-")));

    let (_, r) = report_of(
        &stream(&docs),
        &[
            "--exclude-namespace",
            "team-*",
            "--exclude-namespace",
            "tmp?",
        ],
    );
    assert_eq!(namespace_names(&r), ["my-team-a", "tmp12"]);
}

#[test]
fn excluding_the_only_uncovered_namespace_makes_the_run_pass() {
    let docs = [pod("legacy", "p", "{}")];
    let (code, _) = report_of(&stream(&docs), &[]);
    assert_eq!(code, 1);
    let (code, r) = report_of(&stream(&docs), &["--exclude-namespace", "legacy"]);
    assert_eq!(code, 0);
    assert_eq!(r["summary"]["workloads"], 0);
}
