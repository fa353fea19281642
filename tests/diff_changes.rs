//! `diff` on hand-built pairs of inventories, one per kind of change (issue 17, item 6). Every
//! expected pair below is worked out by hand from SEMANTICS.md on the base world:
//!
//! - namespaces shop (team=shop) and web (team=web);
//! - shop: Deployments api (app=api, container port 8080 named `http`), web (app=web) and
//!   batch (app=batch); NetworkPolicies `deny` (every pod, Ingress and Egress), `api-ingress`
//!   (api accepts `http` from app=web) and `web-egress` (web sends `http` to app=api);
//! - web (no policy): Deployments front (app=front) and back (app=back).
//!
//! So in the base, shop/web reaches shop/api on TCP 8080 and nothing else reaches a shop pod or
//! leaves one; front and back reach each other and every address.

use std::collections::BTreeSet;

use netpol_check::analysis::{self, RuleConfig};
use netpol_check::diff::{self, Change, ConnectivityDiff, CoverageStep};
use netpol_check::report::Source;
use netpol_check::source::manifests::{load_read, Loaded, ManifestOptions};

const NAMESPACES: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {team: web}}
"#;

fn deployment(namespace: &str, name: &str, app: &str, port: Option<&str>) -> String {
    let ports = match port {
        Some(p) => format!(", ports: [{{containerPort: 8080, name: {p}}}]"),
        None => String::new(),
    };
    format!(
        r#"
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {{matchLabels: {{app: {app}}}}}
  template:
    metadata: {{labels: {{app: {app}}}}}
    spec: {{containers: [{{name: c, image: x{ports}}}]}}
"#
    )
}

const DENY: &str = r#"
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"#;

fn api_ingress(extra_peer: &str) -> String {
    format!(
        r#"
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: api-ingress, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{app: api}}}}
  ingress:
  - from: [{{podSelector: {{matchLabels: {{app: web}}}}}}{extra_peer}]
    ports: [{{port: http}}]
"#
    )
}

const WEB_EGRESS: &str = r#"
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: http}]
"#;

/// The base world, with the pieces a case may swap.
struct World {
    namespaces: String,
    api_port: &'static str,
    web_app: &'static str,
    batch_app: &'static str,
    deny: String,
    api_ingress: String,
    extra: String,
}

impl Default for World {
    fn default() -> Self {
        World {
            namespaces: NAMESPACES.to_owned(),
            api_port: "http",
            web_app: "web",
            batch_app: "batch",
            deny: DENY.to_owned(),
            api_ingress: api_ingress(""),
            extra: String::new(),
        }
    }
}

impl World {
    fn yaml(&self) -> String {
        [
            self.namespaces.clone(),
            deployment("shop", "api", "api", Some(self.api_port)),
            deployment("shop", "web", self.web_app, None),
            deployment("shop", "batch", self.batch_app, None),
            deployment("web", "front", "front", None),
            deployment("web", "back", "back", None),
            self.deny.clone(),
            self.api_ingress.clone(),
            WEB_EGRESS.to_owned(),
            self.extra.clone(),
        ]
        .concat()
    }
}

fn diff_of(base: &World, head: &World) -> ConnectivityDiff {
    diff_texts(base.yaml(), head.yaml(), diff::Options::default())
}

/// The diff of two YAML documents, listing every pair.
fn diff_texts(base: String, head: String, options: diff::Options) -> ConnectivityDiff {
    let load = |name: &str, text: String| {
        let loaded = [Loaded {
            name: name.into(),
            text,
        }];
        load_read(&loaded, &ManifestOptions::default()).expect("the world reads")
    };
    let (b, h) = (load("base.yaml", base), load("head.yaml", head));
    diff::of_inventories(
        (&b, Source::manifests(vec![])),
        (&h, Source::manifests(vec![])),
        &analysis::Options::default(),
        &RuleConfig::default(),
        &diff::Options {
            pairs: true,
            ..options
        },
    )
}

fn pairs(d: &ConnectivityDiff) -> BTreeSet<(String, String, String, String)> {
    d.pairs
        .as_ref()
        .expect("asked for pairs")
        .iter()
        .map(|p| {
            (
                p.source.clone(),
                p.destination.clone(),
                p.before.clone(),
                p.after.clone(),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str, &str, &str)]) -> BTreeSet<(String, String, String, String)> {
    items
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect()
}

const API: &str = "shop/api[Deployment]";
const WEB: &str = "shop/web[Deployment]";
const BATCH: &str = "shop/batch[Deployment]";
const FRONT: &str = "web/front[Deployment]";
const BACK: &str = "web/back[Deployment]";
const ALL: &str = "All Connections";
const NONE: &str = "No Connections";
const HTTP: &str = "TCP 8080";

fn fails(d: &ConnectivityDiff, on: netpol_check::cli::diff::DiffFailOn) -> bool {
    netpol_check::cli::diff::exit_code(on, d) == 1
}

use netpol_check::cli::diff::DiffFailOn;

#[test]
fn nothing_changed_says_nothing() {
    let d = diff_of(&World::default(), &World::default());
    assert!(d.is_empty(), "{d:#?}");
    assert!(pairs(&d).is_empty());
    assert!(!fails(&d, DiffFailOn::Any));
}

#[test]
fn a_policy_added_isolates_a_namespace() {
    let head = World {
        extra: DENY.replace("namespace: shop", "namespace: web"),
        ..World::default()
    };
    let d = diff_of(&World::default(), &head);
    assert_eq!(
        pairs(&d),
        set(&[(FRONT, BACK, ALL, NONE), (BACK, FRONT, ALL, NONE)])
    );
    assert_eq!(
        d.summary.coverage_gained, 4,
        "front and back, both directions"
    );
    assert_eq!(d.summary.coverage_lost, 0);
    assert_eq!(d.policies.added.len(), 1);
    assert_eq!(d.policies.added[0].name, "deny");
    // Both ends closed: each pair is in the change of the ingress and of the egress, and
    // front's and back's sides changed alike (no rule before, none now), one change each way.
    let changes: Vec<(&str, usize, Vec<&str>)> = d
        .connections
        .iter()
        .map(|c| {
            assert_eq!(c.change, Change::Closed);
            (
                c.direction.lower(),
                c.pairs,
                c.workloads.iter().map(|w| w.name.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("ingress", 2, vec!["back", "front"]),
            ("egress", 2, vec!["back", "front"])
        ]
    );
    // Nothing isolated them: no rule was needed for what now closes.
    let messages: Vec<&str> = d.connections.iter().map(|c| c.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "2 workloads (Deployment web/back, Deployment web/front) no longer accept All \
             Connections in 2 pairs (e.g. from web/back[Deployment], web/front[Deployment]): \
             no rule allows it now; nothing isolated them before",
            "2 workloads (Deployment web/back, Deployment web/front) no longer send All \
             Connections in 2 pairs (e.g. to web/back[Deployment], web/front[Deployment]): \
             no rule allows it now; nothing isolated them before",
        ]
    );
    // What front and back exchanged with addresses closes too.
    assert!(d.external.iter().all(|e| e.change == Change::Closed));
    assert_eq!(d.external.len(), 4, "{:#?}", d.external);
    assert!(!fails(&d, DiffFailOn::Uncovered));
    assert!(!fails(&d, DiffFailOn::Opened));
    assert!(fails(&d, DiffFailOn::Any));
}

#[test]
fn a_policy_removed_closes_what_it_allowed() {
    let head = World {
        api_ingress: String::new(),
        ..World::default()
    };
    let d = diff_of(&World::default(), &head);
    assert_eq!(pairs(&d), set(&[(WEB, API, HTTP, NONE)]));
    assert_eq!(d.policies.removed.len(), 1);
    // shop/deny still isolates api: no coverage change.
    assert!(d.coverage.is_empty(), "{:#?}", d.coverage);
    let c = &d.connections[0];
    assert_eq!(
        d.connections.len(),
        1,
        "only api's ingress answers differently"
    );
    assert_eq!(c.change, Change::Closed);
    assert_eq!(
        (c.workload.name.as_str(), c.direction.lower()),
        ("api", "ingress")
    );
    assert_eq!(c.closed.as_deref(), Some(HTTP));
    assert!(c.rules.is_empty());
    assert_eq!(c.was.len(), 1);
    assert_eq!(
        (c.was[0].policy.name.as_str(), c.was[0].rule.as_str()),
        ("api-ingress", "rule 1")
    );
}

#[test]
fn a_widened_rule_opens_to_a_namespace() {
    let head = World {
        api_ingress: api_ingress(", {namespaceSelector: {matchLabels: {team: web}}}"),
        ..World::default()
    };
    let d = diff_of(&World::default(), &head);
    assert_eq!(
        pairs(&d),
        set(&[(FRONT, API, NONE, HTTP), (BACK, API, NONE, HTTP)])
    );
    assert_eq!(d.policies.changed.len(), 1);
    assert_eq!(d.connections.len(), 1);
    let c = &d.connections[0];
    assert_eq!((c.change, c.pairs), (Change::Opened, 2));
    assert_eq!(c.opened.as_deref(), Some(HTTP));
    assert_eq!(c.rules[0].policy.name, "api-ingress");
    assert!(c.rules[0].text.contains("team=web"), "{}", c.rules[0].text);
    assert!(
        c.message
            .starts_with("Deployment shop/api now accepts TCP 8080 from 2 workloads"),
        "{}",
        c.message
    );
    assert!(!fails(&d, DiffFailOn::Uncovered), "nothing loses isolation");
    assert!(fails(&d, DiffFailOn::Opened));
}

#[test]
fn a_label_change_makes_selectors_stop_and_start_matching() {
    // web leaves app=web: neither api's ingress rule nor web-egress select it any more.
    let head = World {
        web_app: "web2",
        ..World::default()
    };
    let d = diff_of(&World::default(), &head);
    assert_eq!(pairs(&d), set(&[(WEB, API, HTTP, NONE)]));
    let sides: BTreeSet<(&str, &str)> = d
        .connections
        .iter()
        .map(|c| (c.workload.name.as_str(), c.direction.lower()))
        .collect();
    assert_eq!(
        sides,
        BTreeSet::from([("api", "ingress"), ("web", "egress")]),
        "both ends answer differently"
    );
    // web keeps its egress isolation from shop/deny.
    assert!(d.coverage.is_empty(), "{:#?}", d.coverage);

    // batch takes app=web: both policies now apply to it.
    let head = World {
        batch_app: "web",
        ..World::default()
    };
    let d = diff_of(&World::default(), &head);
    assert_eq!(pairs(&d), set(&[(BATCH, API, NONE, HTTP)]));
    assert_eq!(d.summary.pairs_opened, 1);
    assert_eq!(d.summary.pairs_closed, 0);
}

#[test]
fn a_namespace_label_change_lets_its_pods_in() {
    let peer = ", {namespaceSelector: {matchLabels: {team: partner}}}";
    let base = World {
        api_ingress: api_ingress(peer),
        ..World::default()
    };
    let head = World {
        api_ingress: api_ingress(peer),
        namespaces: NAMESPACES.replace("{team: web}", "{team: partner}"),
        ..World::default()
    };
    let d = diff_of(&base, &head);
    assert_eq!(
        pairs(&d),
        set(&[(FRONT, API, NONE, HTTP), (BACK, API, NONE, HTTP)])
    );
    assert!(d.policies.changed.is_empty(), "no policy changed");
}

#[test]
fn policy_types_narrowed_uncover_egress() {
    let head = World {
        deny: DENY.replace("[Ingress, Egress]", "[Ingress]"),
        ..World::default()
    };
    let d = diff_of(&World::default(), &head);
    // api and batch lose egress isolation; web keeps it (web-egress).
    let lost: BTreeSet<(&str, &str)> = d
        .coverage
        .iter()
        .filter(|c| c.change == CoverageStep::Lost)
        .map(|c| (c.workload.name.as_str(), c.direction.lower()))
        .collect();
    assert_eq!(
        lost,
        BTreeSet::from([("api", "egress"), ("batch", "egress")])
    );
    assert_eq!(d.coverage.len(), 2);
    // They now reach the open namespace; shop's pods still refuse them (ingress deny).
    assert_eq!(
        pairs(&d),
        set(&[
            (API, FRONT, NONE, ALL),
            (API, BACK, NONE, ALL),
            (BATCH, FRONT, NONE, ALL),
            (BATCH, BACK, NONE, ALL),
        ])
    );
    assert!(d
        .external
        .iter()
        .all(|e| e.change == Change::Opened && e.direction.lower() == "egress"));
    assert_eq!(d.external.len(), 2, "{:#?}", d.external);
    // What opens goes through because nothing isolates their egress any more: one change,
    // api's and batch's egress alike.
    assert_eq!(d.connections.len(), 1, "{:#?}", d.connections);
    let c = &d.connections[0];
    assert_eq!((c.workload.name.as_str(), c.pairs), ("api", 4));
    assert_eq!(c.workloads.len(), 2);
    assert!(
        c.message
            .ends_with(": nothing isolates them now; no rule allowed it before"),
        "{}",
        c.message
    );
    assert!(
        d.external.iter().all(|e| e
            .message
            .ends_with(": nothing isolates it now; no rule allowed it before")),
        "{:#?}",
        d.external
    );
    assert!(fails(&d, DiffFailOn::Uncovered));
}

#[test]
fn a_renamed_named_port_closes_both_ends() {
    // No policy changes: api's port name no longer resolves `http`, for api's ingress rule
    // (on api) and for web's egress rule (on the destination, api).
    let head = World {
        api_port: "web-http",
        ..World::default()
    };
    let d = diff_of(&World::default(), &head);
    assert!(d.policies.changed.is_empty());
    assert_eq!(pairs(&d), set(&[(WEB, API, HTTP, NONE)]));
    assert_eq!(d.connections.len(), 2, "{:#?}", d.connections);
}

#[test]
fn workloads_added_in_a_covered_and_in_an_open_namespace() {
    let head = World {
        extra: deployment("shop", "new", "new", None) + &deployment("web", "new", "new", None),
        ..World::default()
    };
    let d = diff_of(&World::default(), &head);
    assert_eq!(d.workloads.added.len(), 2);
    let uncovered: Vec<&str> = d
        .workloads
        .added
        .iter()
        .filter(|a| !a.covered())
        .map(|a| a.workload.namespace.as_str())
        .collect();
    assert_eq!(uncovered, ["web"]);
    assert_eq!(d.summary.new_uncovered, 1);
    assert!(fails(&d, DiffFailOn::Uncovered));
    // Pairs are between workloads both sides have.
    assert!(pairs(&d).is_empty());
}

#[test]
fn an_admin_tier_rule_added_lets_a_namespace_in() {
    let anp = r#"
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: partners}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {team: shop}}}
  ingress:
  - name: allow-web
    action: Allow
    from: [{namespaces: {matchLabels: {team: web}}}]
"#;
    let head = World {
        extra: anp.to_owned(),
        ..World::default()
    };
    let d = diff_of(&World::default(), &head);
    let mut want = Vec::new();
    for src in [FRONT, BACK] {
        for dst in [API, WEB, BATCH] {
            want.push((src, dst, NONE, ALL));
        }
    }
    assert_eq!(pairs(&d), set(&want));
    assert_eq!(d.policies.added[0].kind, "AdminNetworkPolicy");
    // Api's, web's and batch's ingress changed alike: one change of 3 workloads, 2 pairs each.
    assert_eq!(d.connections.len(), 1);
    let c = &d.connections[0];
    assert_eq!(
        (c.change, c.direction.lower(), c.pairs, c.workloads.len()),
        (Change::Opened, "ingress", 6, 3)
    );
    assert_eq!(c.rules[0].rule, "rule 1 (allow-web)");
}

#[test]
fn a_cilium_policy_added_isolates_what_it_selects() {
    // Cilium's default deny for front's ingress, allowing only app=nobody: back no longer
    // reaches front (SEMANTICS.md point 18).
    let cnp = r#"
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: front, namespace: web}
spec:
  endpointSelector: {matchLabels: {app: front}}
  ingress: [{fromEndpoints: [{matchLabels: {app: nobody}}]}]
"#;
    let head = World {
        extra: cnp.to_owned(),
        ..World::default()
    };
    let d = diff_of(&World::default(), &head);
    assert_eq!(pairs(&d), set(&[(BACK, FRONT, ALL, NONE)]));
    assert_eq!(d.policies.added[0].kind, "CiliumNetworkPolicy");
    let gained: Vec<(&str, &str)> = d
        .coverage
        .iter()
        .map(|c| (c.workload.name.as_str(), c.direction.lower()))
        .collect();
    assert_eq!(gained, [("front", "ingress")]);
    assert_eq!(d.coverage[0].change, CoverageStep::Gained);
}

#[test]
fn a_calico_global_default_deny_closes_a_namespace() {
    // Calico's recommended default deny, for namespace web only (SEMANTICS.md points 20-21):
    // the default tier's policies select front and back, and nothing allows them anything.
    let gnp = r#"
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-web}
spec:
  selector: projectcalico.org/namespace == 'web'
  types: [Ingress, Egress]
"#;
    let head = World {
        extra: gnp.to_owned(),
        ..World::default()
    };
    let d = diff_of(&World::default(), &head);
    assert_eq!(
        pairs(&d),
        set(&[(FRONT, BACK, ALL, NONE), (BACK, FRONT, ALL, NONE)])
    );
    assert_eq!(
        d.policies.added[0].kind,
        "projectcalico.org/GlobalNetworkPolicy"
    );
    assert_eq!(d.summary.coverage_gained, 4);
}

#[test]
fn the_same_rule_in_two_namespaces_matches_each_ones_pods() {
    // A podSelector alone looks in its policy's namespace: two policies with the same peers in
    // shop and in web (isolated for ingress here, with a pod app=web of its own) allow
    // different pods, and removing both closes a connection in each namespace.
    let web_side = [
        deployment("web", "webby", "web", None),
        r#"
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-ingress, namespace: web}
spec: {podSelector: {}, policyTypes: [Ingress]}
"#
        .to_owned(),
    ]
    .concat();
    let front_ingress = r#"
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: front-ingress, namespace: web}
spec:
  podSelector: {matchLabels: {app: front}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
"#;
    let base = World {
        extra: [web_side.as_str(), front_ingress].concat(),
        ..World::default()
    };
    let head = World {
        api_ingress: String::new(),
        extra: web_side,
        ..World::default()
    };
    let d = diff_of(&base, &head);
    assert_eq!(
        pairs(&d),
        set(&[
            (WEB, API, HTTP, NONE),
            ("web/webby[Deployment]", FRONT, ALL, NONE)
        ])
    );
}

/// The diff of two YAML documents over the worlds' namespaces, every changed side decided by
/// classes of peers (as a large input's are).
fn diff_by_classes(base: &str, head: &str) -> ConnectivityDiff {
    diff_texts(
        [NAMESPACES, base].concat(),
        [NAMESPACES, head].concat(),
        diff::Options {
            classes_from: 0,
            ..diff::Options::default()
        },
    )
}

fn policy(namespace: &str, name: &str, spec: &str) -> String {
    format!(
        "\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
         metadata: {{name: {name}, namespace: {namespace}}}\nspec: {spec}\n"
    )
}

#[test]
fn a_rule_for_every_pod_does_not_match_a_pod_on_its_node_network() {
    // web/w accepts every pod of every namespace. shop's egress opens, and shop/h moves onto
    // its node's network, where no selector sees it (SEMANTICS.md point 5): shop/a now reaches
    // w, h does not; h, never isolated, now sends to and accepts from a.
    let accept_all = policy(
        "web",
        "w-in",
        "{podSelector: {}, ingress: [{from: [{namespaceSelector: {}}]}]}",
    );
    let deny_egress = policy(
        "shop",
        "deny-egress",
        "{podSelector: {}, policyTypes: [Egress]}",
    );
    let h = |host: bool| {
        deployment("shop", "h", "h", None).replace(
            "spec: {containers:",
            &format!("spec: {{hostNetwork: {host}, containers:"),
        )
    };
    let workloads = [
        deployment("shop", "a", "a", None),
        deployment("web", "w", "w", None),
    ]
    .concat();
    let base = [workloads.as_str(), &h(false), &accept_all, &deny_egress].concat();
    let head = [workloads.as_str(), &h(true), &accept_all].concat();
    let (a, h, w) = (
        "shop/a[Deployment]",
        "shop/h[Deployment]",
        "web/w[Deployment]",
    );
    assert_eq!(
        pairs(&diff_by_classes(&base, &head)),
        set(&[(a, w, NONE, ALL), (a, h, NONE, ALL), (h, a, NONE, ALL)])
    );
}

#[test]
fn a_rule_for_every_pod_with_a_named_port_tells_pods_apart_by_their_ports() {
    // web/w may send `http` to every pod: only to shop/api, whose port 8080 has that name,
    // once shop accepts ingress again.
    let send_http = policy(
        "web",
        "w-out",
        "{podSelector: {}, egress: [{to: [{namespaceSelector: {}}], ports: [{port: http}]}]}",
    );
    let deny_ingress = policy(
        "shop",
        "deny-ingress",
        "{podSelector: {}, policyTypes: [Ingress]}",
    );
    let workloads = [
        deployment("shop", "api", "api", Some("http")),
        deployment("shop", "batch", "batch", None),
        deployment("web", "w", "w", None),
    ]
    .concat();
    let base = [workloads.as_str(), &send_http, &deny_ingress].concat();
    let head = [workloads.as_str(), &send_http].concat();
    let w = "web/w[Deployment]";
    assert_eq!(
        pairs(&diff_by_classes(&base, &head)),
        set(&[
            (w, API, NONE, HTTP),
            (API, BATCH, NONE, ALL),
            (BATCH, API, NONE, ALL)
        ])
    );
}

#[test]
fn a_relabelled_peer_is_answered_by_its_own_side_on_each_destinations_named_port() {
    // shop/client sends `http` to every app=srv pod; s1 names port 8080 so, s2 port 9090. Both
    // accept any port from app=client, which client becomes: it now reaches each on the port
    // that name has there. The two pairs are decided apart (a few candidates each), and the
    // client's egress rule matches both destinations alike: only their ports tell its answers
    // apart.
    let srv = |name: &str, tier: &str, port: u16| {
        format!(
            "\n---\napiVersion: apps/v1\nkind: Deployment\n\
             metadata: {{name: {name}, namespace: shop}}\nspec:\n  \
             selector: {{matchLabels: {{app: srv, tier: {tier}}}}}\n  template:\n    \
             metadata: {{labels: {{app: srv, tier: {tier}}}}}\n    \
             spec: {{containers: [{{name: c, image: x, ports: [{{containerPort: {port}, name: http}}]}}]}}\n"
        )
    };
    let client = |app: &str| {
        format!(
            "\n---\napiVersion: apps/v1\nkind: Deployment\n\
             metadata: {{name: client, namespace: shop}}\nspec:\n  \
             selector: {{matchLabels: {{role: caller}}}}\n  template:\n    \
             metadata: {{labels: {{app: {app}, role: caller}}}}\n    \
             spec: {{containers: [{{name: c, image: x}}]}}\n"
        )
    };
    let policies = [
        policy(
            "shop",
            "srv-in",
            "{podSelector: {matchLabels: {app: srv}}, ingress: [{from: [{podSelector: {matchLabels: {app: client}}}]}]}",
        ),
        policy(
            "shop",
            "client-out",
            "{podSelector: {matchLabels: {role: caller}}, policyTypes: [Egress], \
             egress: [{to: [{podSelector: {matchLabels: {app: srv}}}], ports: [{port: http}]}]}",
        ),
    ]
    .concat();
    let world = |app: &str| {
        [
            NAMESPACES,
            &srv("s1", "a", 8080),
            &srv("s2", "b", 9090),
            &client(app),
            &policies,
        ]
        .concat()
    };
    let d = diff_texts(world("other"), world("client"), diff::Options::default());
    let (c, s1, s2) = (
        "shop/client[Deployment]",
        "shop/s1[Deployment]",
        "shop/s2[Deployment]",
    );
    assert_eq!(
        pairs(&d),
        set(&[(c, s1, NONE, HTTP), (c, s2, NONE, "TCP 9090")])
    );
}
