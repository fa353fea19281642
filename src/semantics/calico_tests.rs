//! SEMANTICS.md points 20-22 (Calico) through coverage and the tier walk, on hand-built
//! policies: one group per point. Reading the YAML is tested in the reading tests; the
//! documented cases of Calico's own pages are tests/calico_docs.rs.

use crate::model::fixtures::{policy, workload};
use crate::model::{
    CalicoEntity, CalicoPolicy, CalicoPolicyKind, CalicoRule, CalicoServiceAccounts, CalicoText,
    CalicoTier, ClusterPeer, ClusterPolicy, ClusterPolicyKind, ClusterRule, ContainerPort,
    Direction, Inventory, LabelSelector, Namespace, Protocol, Workload,
};
use crate::semantics::coverage::{DecidedBy, Isolation};
use crate::semantics::decide::Walk;
use crate::semantics::traffic::{Endpoint, PodRef};
use crate::semantics::{ConnSet, Coverage, PolicyId};

fn text(s: &str) -> Option<CalicoText> {
    Some(CalicoText::new(s))
}

fn gnp(
    name: &str,
    selector: &str,
    ingress: Vec<CalicoRule>,
    egress: Vec<CalicoRule>,
) -> CalicoPolicy {
    CalicoPolicy {
        kind: CalicoPolicyKind::GlobalNetworkPolicy,
        api_version: "projectcalico.org/v3".into(),
        namespace: None,
        name: name.into(),
        tier: "default".into(),
        order: None,
        selector: text(selector),
        namespace_selector: None,
        service_account_selector: None,
        types: None,
        ingress,
        egress,
        host_only: false,
        staged_action: None,
        staged_kubernetes: None,
        suppression: Default::default(),
        origin: Default::default(),
    }
}

fn cnp(
    ns: &str,
    name: &str,
    selector: &str,
    ingress: Vec<CalicoRule>,
    egress: Vec<CalicoRule>,
) -> CalicoPolicy {
    CalicoPolicy {
        kind: CalicoPolicyKind::NetworkPolicy,
        namespace: Some(ns.into()),
        ..gnp(name, selector, ingress, egress)
    }
}

fn with(p: CalicoPolicy, tier: &str, order: Option<f64>, types: Option<&[&str]>) -> CalicoPolicy {
    CalicoPolicy {
        tier: tier.into(),
        order,
        types: types.map(|t| t.iter().map(|s| s.to_string()).collect()),
        ..p
    }
}

fn tier(name: &str, order: f64, action: &str) -> CalicoTier {
    CalicoTier {
        name: name.into(),
        order: Some(order),
        default_action: Some(action.into()),
        origin: Default::default(),
    }
}

fn rule(action: &str) -> CalicoRule {
    CalicoRule {
        action: action.into(),
        ..Default::default()
    }
}

fn from(action: &str, selector: &str) -> CalicoRule {
    CalicoRule {
        source: CalicoEntity {
            selector: text(selector),
            ..Default::default()
        },
        ..rule(action)
    }
}

fn to(action: &str, selector: &str) -> CalicoRule {
    CalicoRule {
        destination: CalicoEntity {
            selector: text(selector),
            ..Default::default()
        },
        ..rule(action)
    }
}

fn tcp(mut r: CalicoRule, ports: &[&str]) -> CalicoRule {
    r.protocol = Some("TCP".into());
    r.destination.ports = ports.iter().map(|s| s.to_string()).collect();
    r
}

struct World {
    inv: Inventory,
    cov: Coverage,
}

impl World {
    fn new(workloads: Vec<Workload>, calico: Vec<CalicoPolicy>) -> Self {
        Self::full(workloads, vec![], vec![], calico, vec![], vec![])
    }

    fn full(
        workloads: Vec<Workload>,
        namespaces: Vec<Namespace>,
        nps: Vec<crate::model::NetworkPolicy>,
        calico: Vec<CalicoPolicy>,
        tiers: Vec<CalicoTier>,
        cluster: Vec<ClusterPolicy>,
    ) -> Self {
        let inv = Inventory {
            workloads,
            namespaces,
            policies: nps,
            calico_policies: calico,
            calico_tiers: tiers,
            cluster_policies: cluster,
            ..Default::default()
        };
        let cov = Coverage::evaluate(&inv, |_| true);
        World { inv, cov }
    }

    fn pod(&self, w: usize) -> Endpoint<'_> {
        let w = &self.inv.workloads[w];
        Endpoint::Pod(PodRef {
            namespace: &w.namespace,
            labels: &w.label_sets[0],
            namespace_labels: self.cov.set.namespace_labels(&w.namespace),
            ports: &w.ports,
            service_account: w.service_account(),
            node_network: false,
            anonymous: false,
        })
    }

    fn decide(
        &self,
        w: usize,
        direction: Direction,
        peer: &Endpoint<'_>,
    ) -> crate::semantics::decide::Decision {
        let wl = &self.inv.workloads[w];
        let side = self.cov.side_for_labels(wl, &wl.label_sets[0], direction);
        let me = self.pod(w);
        let destination = match direction {
            Direction::Ingress => me,
            Direction::Egress => *peer,
        };
        self.cov.set.decide(
            &side,
            direction,
            peer,
            &destination,
            &ConnSet::all(),
            Walk::default(),
        )
    }

    fn side(&self, w: usize, direction: Direction, peer: &Endpoint<'_>) -> ConnSet {
        self.decide(w, direction, peer).allowed
    }

    fn tcp(&self, src: usize, dst: usize, port: u16) -> bool {
        self.side(src, Direction::Egress, &self.pod(dst))
            .contains(Protocol::Tcp, port)
            && self
                .side(dst, Direction::Ingress, &self.pod(src))
                .contains(Protocol::Tcp, port)
    }

    fn ingress_from(&self, dst: usize, ip: &str, port: u16) -> bool {
        let outside = Endpoint::Address(ip.parse().unwrap());
        self.side(dst, Direction::Ingress, &outside)
            .contains(Protocol::Tcp, port)
    }

    fn egress_to(&self, src: usize, ip: &str, protocol: Protocol, port: u16) -> bool {
        let outside = Endpoint::Address(ip.parse().unwrap());
        self.side(src, Direction::Egress, &outside)
            .contains(protocol, port)
    }

    fn isolation(&self, w: usize, direction: Direction) -> Isolation {
        self.cov.workloads[w].direction(direction).isolation
    }
}

fn web_db_other() -> Vec<Workload> {
    vec![
        workload("shop", "web", &[("app", "web")]),
        workload("shop", "db", &[("app", "db")]),
        workload("other", "cache", &[("app", "web")]),
    ]
}

// ---- Point 20: selectors, types defaulting, rule selectors. ----

#[test]
fn types_default_to_ingress_without_egress_rules_even_with_no_rules() {
    // No rules at all: types [Ingress], so the pod is isolated for ingress only.
    let w = World::new(
        web_db_other(),
        vec![gnp("deny", "app == 'db'", vec![], vec![])],
    );
    assert_eq!(w.isolation(1, Direction::Ingress), Isolation::Isolated);
    assert_eq!(w.isolation(1, Direction::Egress), Isolation::Open);
    assert!(!w.tcp(0, 1, 80));
    assert!(w.tcp(1, 0, 80));
}

#[test]
fn types_default_to_egress_with_egress_rules_only_and_both_with_both() {
    let egress_only = gnp(
        "e",
        "app == 'db'",
        vec![],
        vec![to("Allow", "app == 'web'")],
    );
    let w = World::new(web_db_other(), vec![egress_only]);
    assert_eq!(w.isolation(1, Direction::Ingress), Isolation::Open);
    assert_eq!(w.isolation(1, Direction::Egress), Isolation::Isolated);
    assert!(w.tcp(1, 0, 80), "egress to web allowed");
    assert!(
        w.tcp(1, 2, 80),
        "other/cache is app=web too: a global policy's selector"
    );
    assert!(w.tcp(0, 1, 80), "ingress not governed");

    let both = gnp(
        "b",
        "app == 'db'",
        vec![from("Allow", "app == 'web'")],
        vec![to("Allow", "app == 'web'")],
    );
    let w = World::new(web_db_other(), vec![both]);
    assert_eq!(w.isolation(1, Direction::Ingress), Isolation::Isolated);
    assert_eq!(w.isolation(1, Direction::Egress), Isolation::Isolated);
}

#[test]
fn explicit_types_decide_and_only_policies_of_a_direction_count_for_it() {
    // types [Egress] with an ingress rule: the ingress rule never applies.
    let p = with(
        gnp("x", "app == 'db'", vec![from("Deny", "all()")], vec![]),
        "default",
        None,
        Some(&["Egress"]),
    );
    let w = World::new(web_db_other(), vec![p]);
    assert_eq!(w.isolation(1, Direction::Ingress), Isolation::Open);
    assert!(w.tcp(0, 1, 80), "ingress not governed");
    assert!(!w.tcp(1, 0, 80), "egress default-deny of the default tier");
}

#[test]
fn a_namespaced_policy_selects_pods_of_its_namespace_and_its_rule_selectors_too() {
    let p = cnp(
        "shop",
        "db-in",
        "app == 'db'",
        vec![from("Allow", "app == 'web'")],
        vec![],
    );
    let mut workloads = web_db_other();
    workloads.push(workload("other", "db2", &[("app", "db")]));
    let w = World::new(workloads, vec![p]);
    assert!(w.tcp(0, 1, 80), "shop/web to shop/db");
    assert!(
        !w.tcp(2, 1, 80),
        "other/cache has app=web but lives elsewhere"
    );
    assert_eq!(
        w.isolation(3, Direction::Ingress),
        Isolation::Open,
        "other/db2 not selected"
    );
}

#[test]
fn a_global_policys_rule_selectors_see_every_namespace() {
    let p = gnp(
        "db-in",
        "app == 'db'",
        vec![from("Allow", "app == 'web'")],
        vec![],
    );
    let w = World::new(web_db_other(), vec![p]);
    assert!(w.tcp(0, 1, 80));
    assert!(w.tcp(2, 1, 80), "other/cache is app=web");
}

#[test]
fn namespace_selector_in_a_rule_widens_a_namespaced_policy() {
    let mut r = from("Allow", "app == 'web'");
    r.source.namespace_selector = text("projectcalico.org/name == 'other'");
    let p = cnp("shop", "db-in", "app == 'db'", vec![r], vec![]);
    let w = World::new(web_db_other(), vec![p]);
    assert!(!w.tcp(0, 1, 80), "shop/web is not in namespace other");
    assert!(w.tcp(2, 1, 80));
}

#[test]
fn not_equal_and_not_in_match_pods_without_the_label_and_global_matches_no_pod() {
    let workloads = vec![
        workload("shop", "db", &[("app", "db")]),
        workload("shop", "bare", &[]),
        workload("shop", "blue", &[("color", "blue")]),
    ];
    let p = gnp(
        "db-in",
        "app == 'db'",
        vec![from("Allow", "color != 'blue'")],
        vec![],
    );
    let w = World::new(workloads.clone(), vec![p]);
    assert!(w.tcp(1, 0, 80), "no color label: != matches");
    assert!(!w.tcp(2, 0, 80));
    let p = gnp(
        "db-in",
        "app == 'db'",
        vec![from("Allow", "color not in {'blue'}")],
        vec![],
    );
    let w = World::new(workloads.clone(), vec![p]);
    assert!(w.tcp(1, 0, 80));
    assert!(!w.tcp(2, 0, 80));
    let p = gnp(
        "db-in",
        "app == 'db'",
        vec![from("Allow", "global()")],
        vec![],
    );
    let w = World::new(workloads, vec![p]);
    assert!(!w.tcp(1, 0, 80) && !w.tcp(2, 0, 80));
}

#[test]
fn rule_selectors_never_match_outside_addresses_but_nets_do() {
    let mut nets = rule("Allow");
    nets.source.nets = vec!["198.51.100.0/24".into()];
    let p = gnp(
        "db-in",
        "app == 'db'",
        vec![from("Allow", "all()"), nets],
        vec![],
    );
    let w = World::new(web_db_other(), vec![p]);
    assert!(w.tcp(0, 1, 80), "all() matches pods");
    assert!(w.ingress_from(1, "198.51.100.7", 80));
    assert!(
        !w.ingress_from(1, "203.0.113.9", 80),
        "all() is not an outside address"
    );
}

#[test]
fn nets_of_every_address_match_pods_and_narrow_nets_are_unknown_for_pods() {
    let mut all = rule("Allow");
    all.source.nets = vec!["0.0.0.0/0".into()];
    let w = World::new(
        web_db_other(),
        vec![gnp("a", "app == 'db'", vec![all], vec![])],
    );
    assert!(w.tcp(0, 1, 80));

    let mut narrow = rule("Allow");
    narrow.source.nets = vec!["10.0.0.0/8".into()];
    let w = World::new(
        web_db_other(),
        vec![gnp("n", "app == 'db'", vec![narrow], vec![])],
    );
    let d = w.decide(1, Direction::Ingress, &w.pod(0));
    assert!(
        d.unknown.is_some(),
        "a pod's address against 10.0.0.0/8 is not in the input"
    );
    assert!(!d.unknown_conns.is_empty());
}

#[test]
fn not_selector_and_not_nets_exclude() {
    let mut r = rule("Allow");
    r.source.not_selector = text("app == 'web'");
    let w = World::new(
        web_db_other(),
        vec![gnp("x", "app == 'db'", vec![r], vec![])],
    );
    assert!(!w.tcp(0, 1, 80), "web is excluded");
    // A global policy's notSelector alone has no positive part: outside addresses match.
    assert!(w.ingress_from(1, "203.0.113.9", 80));

    let mut r = rule("Allow");
    r.source.not_nets = vec!["203.0.113.0/24".into()];
    let w = World::new(
        web_db_other(),
        vec![gnp("y", "app == 'db'", vec![r], vec![])],
    );
    assert!(!w.ingress_from(1, "203.0.113.9", 80));
    assert!(w.ingress_from(1, "198.51.100.1", 80));
}

#[test]
fn service_accounts_names_and_selector() {
    let mut web = workload("shop", "web", &[("app", "web")]);
    web.service_account = Some("frontend".into());
    let workloads = vec![
        web,
        workload("shop", "db", &[("app", "db")]),
        workload("shop", "other", &[]),
    ];
    let mut r = rule("Allow");
    r.source.service_accounts = Some(CalicoServiceAccounts {
        names: vec!["frontend".into()],
        selector: None,
    });
    let w = World::new(
        workloads.clone(),
        vec![gnp("x", "app == 'db'", vec![r], vec![])],
    );
    assert!(w.tcp(0, 1, 80));
    assert!(!w.tcp(2, 1, 80), "service account default");
    let mut p = gnp("y", "app == 'db'", vec![from("Allow", "all()")], vec![]);
    p.service_account_selector = text("projectcalico.org/name == 'frontend'");
    let w = World::new(workloads, vec![p]);
    assert_eq!(
        w.isolation(1, Direction::Ingress),
        Isolation::Open,
        "db runs as default"
    );
}

#[test]
fn ports_not_ports_protocol_and_named_ports() {
    let mut db = workload("shop", "db", &[("app", "db")]);
    db.ports = vec![ContainerPort {
        name: Some("pg".into()),
        port: 5432,
        protocol: None,
    }];
    let workloads = vec![workload("shop", "web", &[("app", "web")]), db];
    let r = tcp(from("Allow", "all()"), &["8000:8100", "pg"]);
    let w = World::new(
        workloads.clone(),
        vec![gnp("x", "app == 'db'", vec![r], vec![])],
    );
    assert!(w.tcp(0, 1, 8050) && w.tcp(0, 1, 5432));
    assert!(!w.tcp(0, 1, 8101) && !w.tcp(0, 1, 80));

    let mut r = tcp(from("Allow", "all()"), &[]);
    r.destination.not_ports = vec!["22".into()];
    let w = World::new(
        workloads.clone(),
        vec![gnp("y", "app == 'db'", vec![r], vec![])],
    );
    assert!(w.tcp(0, 1, 80) && !w.tcp(0, 1, 22));
    let udp = w.side(1, Direction::Ingress, &w.pod(0));
    assert!(!udp.contains(Protocol::Udp, 53), "protocol TCP only");

    let mut r = from("Allow", "all()");
    r.not_protocol = Some("UDP".into());
    let w = World::new(workloads, vec![gnp("z", "app == 'db'", vec![r], vec![])]);
    let got = w.side(1, Direction::Ingress, &w.pod(0));
    assert!(got.contains(Protocol::Tcp, 1) && got.contains(Protocol::Sctp, 9));
    assert!(!got.contains(Protocol::Udp, 53));
}

#[test]
fn an_icmp_rule_decides_no_tcp_connection() {
    let mut r = rule("Deny");
    r.protocol = Some("ICMP".into());
    let w = World::new(
        web_db_other(),
        vec![gnp(
            "x",
            "app == 'db'",
            vec![r, from("Allow", "all()")],
            vec![],
        )],
    );
    assert!(w.tcp(0, 1, 80));
}

#[test]
fn the_pods_own_end_of_a_rule_narrows_it() {
    // An ingress rule whose destination names other pods does not apply to db.
    let mut r = from("Allow", "all()");
    r.destination.selector = text("app == 'web'");
    let w = World::new(web_db_other(), vec![gnp("x", "has(app)", vec![r], vec![])]);
    assert!(!w.tcp(2, 1, 80), "db: the rule's destination is not db");
    assert!(w.tcp(1, 0, 80), "web: the rule applies");
    // An egress rule whose source names other pods does not apply to web.
    let mut r = to("Allow", "all()");
    r.source.selector = text("app == 'db'");
    let w = World::new(web_db_other(), vec![gnp("y", "has(app)", vec![], vec![r])]);
    assert!(!w.tcp(0, 1, 80));
    assert!(w.tcp(1, 0, 80));
}

// ---- Point 21: tiers, order, actions. ----

#[test]
fn first_matching_rule_decides_in_policy_order_then_rule_order() {
    let deny_web = with(
        gnp(
            "a-deny",
            "app == 'db'",
            vec![from("Deny", "app == 'web'")],
            vec![],
        ),
        "default",
        Some(10.0),
        None,
    );
    let allow_all = with(
        gnp(
            "b-allow",
            "app == 'db'",
            vec![from("Allow", "all()")],
            vec![],
        ),
        "default",
        Some(20.0),
        None,
    );
    let w = World::new(web_db_other(), vec![allow_all.clone(), deny_web.clone()]);
    assert!(!w.tcp(0, 1, 80), "order 10 Deny first");
    let later = CalicoPolicy {
        order: Some(30.0),
        ..deny_web
    };
    let w = World::new(web_db_other(), vec![allow_all, later]);
    assert!(w.tcp(0, 1, 80), "order 20 Allow first");
}

#[test]
fn no_order_is_last_and_equal_orders_go_by_name() {
    let deny = gnp("zzz", "app == 'db'", vec![from("Deny", "all()")], vec![]);
    let allow = with(
        gnp("aaa", "app == 'db'", vec![from("Allow", "all()")], vec![]),
        "default",
        Some(1e9),
        None,
    );
    let w = World::new(web_db_other(), vec![deny.clone(), allow]);
    assert!(w.tcp(0, 1, 80), "order 1e9 before no order");
    let allow = gnp("aaa", "app == 'db'", vec![from("Allow", "all()")], vec![]);
    let w = World::new(web_db_other(), vec![deny, allow]);
    assert!(w.tcp(0, 1, 80), "both unordered: aaa before zzz");
}

#[test]
fn log_goes_on_and_pass_skips_to_the_next_tier() {
    let log = gnp(
        "l",
        "app == 'db'",
        vec![rule("Log"), from("Deny", "all()")],
        vec![],
    );
    let w = World::new(web_db_other(), vec![log]);
    assert!(!w.tcp(0, 1, 80), "Log decides nothing");

    // Tier security (order 100) passes web; default allows it... only if default tier has a
    // policy; without, Pass skips to the end: allowed.
    let pass = with(
        gnp(
            "p",
            "app == 'db'",
            vec![from("Pass", "app == 'web'"), from("Deny", "all()")],
            vec![],
        ),
        "security",
        Some(1.0),
        None,
    );
    let w = World::full(
        web_db_other(),
        vec![],
        vec![],
        vec![pass.clone()],
        vec![tier("security", 100.0, "Deny")],
        vec![],
    );
    assert!(w.tcp(0, 1, 80), "passed, and no later tier selects db");
    // With a later policy in `default` denying: passed traffic is denied there.
    let deny = gnp("d", "app == 'db'", vec![from("Deny", "all()")], vec![]);
    let w = World::full(
        web_db_other(),
        vec![],
        vec![],
        vec![pass, deny],
        vec![tier("security", 100.0, "Deny")],
        vec![],
    );
    assert!(!w.tcp(0, 1, 80));
}

#[test]
fn a_tier_that_selects_the_pod_and_decides_nothing_applies_its_default_action() {
    let p = with(
        gnp(
            "s",
            "app == 'db'",
            vec![from("Allow", "app == 'nobody'")],
            vec![],
        ),
        "security",
        None,
        None,
    );
    let deny = World::full(
        web_db_other(),
        vec![],
        vec![],
        vec![p.clone()],
        vec![tier("security", 100.0, "Deny")],
        vec![],
    );
    assert!(!deny.tcp(0, 1, 80));
    assert_eq!(deny.isolation(1, Direction::Ingress), Isolation::Isolated);
    let tier_position = deny
        .cov
        .set
        .calico_tiers()
        .iter()
        .position(|t| t.name == "security")
        .unwrap();
    assert_eq!(
        deny.cov.workloads[1].ingress.decided_by().cloned(),
        Some(DecidedBy::CalicoTier {
            tier: tier_position,
            policy: PolicyId::Calico(0)
        })
    );
    let pass = World::full(
        web_db_other(),
        vec![],
        vec![],
        vec![p],
        vec![tier("security", 100.0, "Pass")],
        vec![],
    );
    assert!(pass.tcp(0, 1, 80));
    assert_eq!(pass.isolation(1, Direction::Ingress), Isolation::Open);
}

#[test]
fn a_tier_without_policies_for_the_pod_is_skipped() {
    // security selects only web: db goes straight to the default tier (nothing there: allowed).
    let p = with(
        gnp("s", "app == 'web'", vec![], vec![]),
        "security",
        None,
        Some(&["Ingress"]),
    );
    let w = World::full(
        web_db_other(),
        vec![],
        vec![],
        vec![p],
        vec![tier("security", 100.0, "Deny")],
        vec![],
    );
    assert!(w.tcp(0, 1, 80));
    assert!(!w.tcp(1, 0, 80));
}

#[test]
fn tiers_go_by_order_then_name() {
    let allow = with(
        gnp("a", "app == 'db'", vec![from("Allow", "all()")], vec![]),
        "alpha",
        None,
        None,
    );
    let deny = with(
        gnp("d", "app == 'db'", vec![from("Deny", "all()")], vec![]),
        "beta",
        None,
        None,
    );
    let tiers = |a: f64, b: f64| vec![tier("alpha", a, "Deny"), tier("beta", b, "Deny")];
    let w = World::full(
        web_db_other(),
        vec![],
        vec![],
        vec![allow.clone(), deny.clone()],
        tiers(10.0, 20.0),
        vec![],
    );
    assert!(w.tcp(0, 1, 80));
    let w = World::full(
        web_db_other(),
        vec![],
        vec![],
        vec![allow.clone(), deny.clone()],
        tiers(30.0, 20.0),
        vec![],
    );
    assert!(!w.tcp(0, 1, 80));
    let w = World::full(
        web_db_other(),
        vec![],
        vec![],
        vec![allow, deny],
        tiers(20.0, 20.0),
        vec![],
    );
    assert!(w.tcp(0, 1, 80), "same order: alpha before beta");
}

#[test]
fn kubernetes_network_policies_sit_in_the_default_tier_at_order_1000() {
    // A NetworkPolicy allowing web->db; a Calico policy in `default` at order 500 denies it
    // first; at order 2000 it comes after the NetworkPolicy's allow.
    let np = policy("shop", "db-in", &[("app", "db")], Some(&["Ingress"]), 0, 0);
    let mut np = np;
    np.ingress = vec![crate::model::Rule {
        peers: vec![crate::model::Peer {
            pod_selector: Some(LabelSelector {
                match_labels: [("app".to_string(), "web".to_string())].into(),
                match_expressions: vec![],
            }),
            ..Default::default()
        }],
        ports: vec![],
    }];
    let deny = |order: f64| {
        with(
            gnp(
                "deny-web",
                "app == 'db'",
                vec![from("Deny", "app == 'web'")],
                vec![],
            ),
            "default",
            Some(order),
            None,
        )
    };
    let w = World::full(
        web_db_other(),
        vec![],
        vec![np.clone()],
        vec![deny(500.0)],
        vec![],
        vec![],
    );
    assert!(!w.tcp(0, 1, 80));
    let w = World::full(
        web_db_other(),
        vec![],
        vec![np.clone()],
        vec![deny(2000.0)],
        vec![],
        vec![],
    );
    assert!(w.tcp(0, 1, 80));
    // A security tier before `default` that passes: the NetworkPolicy decides.
    let pass = with(
        gnp("p", "all()", vec![from("Pass", "all()")], vec![]),
        "security",
        None,
        None,
    );
    let w = World::full(
        web_db_other(),
        vec![],
        vec![np],
        vec![pass],
        vec![tier("security", 100.0, "Deny")],
        vec![],
    );
    assert!(w.tcp(0, 1, 80));
    assert!(
        !w.tcp(2, 1, 80),
        "other/cache is not in the NetworkPolicy's namespace"
    );
}

#[test]
fn a_global_default_deny_isolates_every_selected_pod_and_names_the_policy() {
    // Calico's documented default deny: a GlobalNetworkPolicy selecting everything outside the
    // system namespaces, both types, with an egress allow to kube-dns.
    let mut dns = to("Allow", "k8s-app == 'kube-dns'");
    dns.protocol = Some("UDP".into());
    dns.destination.ports = vec!["53".into()];
    let deny = with(
        gnp(
            "default-deny",
            "projectcalico.org/namespace not in {'kube-system', 'calico-system', 'calico-apiserver'}",
            vec![],
            vec![dns],
        ),
        "default",
        None,
        Some(&["Ingress", "Egress"]),
    );
    let mut workloads = web_db_other();
    workloads.push(workload(
        "kube-system",
        "coredns",
        &[("k8s-app", "kube-dns")],
    ));
    let w = World::new(workloads, vec![deny]);
    for i in 0..3 {
        for d in Direction::BOTH {
            assert_eq!(w.isolation(i, d), Isolation::Isolated, "{i} {d:?}");
        }
    }
    assert_eq!(w.isolation(3, Direction::Ingress), Isolation::Open);
    assert!(!w.tcp(0, 1, 80));
    assert!(w
        .side(0, Direction::Egress, &w.pod(3))
        .contains(Protocol::Udp, 53));
    assert!(!w.egress_to(0, "8.8.8.8", Protocol::Udp, 53));
    let default_tier = w
        .cov
        .set
        .calico_tiers()
        .iter()
        .position(|t| t.name == "default")
        .unwrap();
    assert_eq!(
        w.cov.workloads[0].egress.decided_by().cloned(),
        Some(DecidedBy::CalicoTier {
            tier: default_tier,
            policy: PolicyId::Calico(0)
        })
    );
}

#[test]
fn admin_and_baseline_policies_are_the_kube_admin_and_kube_baseline_tiers() {
    // A user tier ordered before kube-admin (1000) decides before an Admin Deny.
    let admin = ClusterPolicy {
        kind: ClusterPolicyKind::ClusterNetworkPolicy,
        api_version: "policy.networking.k8s.io/v1alpha2".into(),
        name: "deny-all".into(),
        tier: Some("Admin".into()),
        priority: Some(10),
        subject: ClusterPeer {
            namespaces: Some(LabelSelector::default()),
            ..Default::default()
        },
        ingress: vec![ClusterRule {
            name: None,
            action: "Deny".into(),
            peers: vec![ClusterPeer {
                namespaces: Some(LabelSelector::default()),
                ..Default::default()
            }],
            ports: None,
        }],
        egress: vec![],
        suppression: Default::default(),
        origin: Default::default(),
    };
    let allow = with(
        gnp(
            "early",
            "app == 'db'",
            vec![from("Allow", "app == 'web'")],
            vec![],
        ),
        "early",
        None,
        None,
    );
    let w = World::full(
        web_db_other(),
        vec![],
        vec![],
        vec![allow.clone()],
        vec![tier("early", 500.0, "Deny")],
        vec![admin.clone()],
    );
    assert!(w.tcp(0, 1, 80), "tier early (500) before kube-admin (1000)");
    assert!(!w.tcp(2, 0, 80), "the Admin Deny still applies to others");
    let w = World::full(
        web_db_other(),
        vec![],
        vec![],
        vec![allow],
        vec![tier("early", 5000.0, "Deny")],
        vec![admin],
    );
    assert!(!w.tcp(0, 1, 80), "kube-admin (1000) first");
}

#[test]
fn staged_and_host_only_policies_never_count() {
    let mut staged = gnp("s", "all()", vec![], vec![]);
    staged.kind = CalicoPolicyKind::StagedGlobalNetworkPolicy;
    let mut host = gnp("h", "all()", vec![], vec![]);
    host.host_only = true;
    let w = World::new(web_db_other(), vec![staged, host]);
    assert_eq!(w.isolation(0, Direction::Ingress), Isolation::Open);
    assert!(w.tcp(0, 1, 80));
}

#[test]
fn an_unparsable_selector_makes_the_policy_count_for_nothing() {
    let w = World::new(
        web_db_other(),
        vec![gnp("bad", "app == web", vec![], vec![])],
    );
    assert!(!w.cov.set.includes_calico(0));
    assert_eq!(w.isolation(1, Direction::Ingress), Isolation::Open);
}

#[test]
fn each_selector_is_parsed_once_for_validation_and_compilation() {
    let w = World::new(
        web_db_other(),
        vec![gnp(
            "db-in",
            "app == 'db'",
            vec![from("Allow", "all()")],
            vec![],
        )],
    );
    let written = w.inv.calico_policies[0].selector.as_ref().unwrap();
    // Validation (the coverage leaves out what Calico refuses) parsed it first; compilation
    // holds that parse instead of making its own.
    let kept = written.selector().unwrap();
    assert!(std::ptr::eq(kept, written.selector().unwrap()));
    let compiled = w.cov.set.calico_policy(0).unwrap();
    assert!(compiled.subject.selector.same_parse(kept));
    // The parse kept is no part of what the text is.
    assert_eq!(*written, CalicoText::new("app == 'db'"));
    assert_eq!(written.clone().selector().unwrap(), kept);
}

// ---- Point 22: isolation with Calico tiers. ----

#[test]
fn an_allow_of_every_pod_leaves_the_pod_open_and_pods_only_denies_read_pods_only() {
    let open = gnp("open", "app == 'db'", vec![from("Allow", "all()")], vec![]);
    let w = World::new(web_db_other(), vec![open]);
    assert_eq!(w.isolation(1, Direction::Ingress), Isolation::Open);

    // A tier with Pass default whose policy denies every pod: outside addresses pass on.
    let deny_pods = with(
        gnp("pods", "app == 'db'", vec![from("Deny", "all()")], vec![]),
        "security",
        None,
        None,
    );
    let w = World::full(
        web_db_other(),
        vec![],
        vec![],
        vec![deny_pods],
        vec![tier("security", 100.0, "Pass")],
        vec![],
    );
    assert_eq!(w.isolation(1, Direction::Ingress), Isolation::PodsOnly);
    assert!(w.ingress_from(1, "203.0.113.5", 80));
}

#[test]
fn namespace_labels_reach_namespace_selectors_with_the_name_label() {
    let ns = Namespace {
        name: "shop".into(),
        labels: [("team".to_string(), "a".to_string())].into(),
        ..Namespace::implicit("shop")
    };
    let mut p = gnp("x", "app == 'db'", vec![from("Deny", "all()")], vec![]);
    p.namespace_selector = text("team == 'a'");
    let w = World::full(web_db_other(), vec![ns], vec![], vec![p], vec![], vec![]);
    assert_eq!(w.isolation(1, Direction::Ingress), Isolation::Isolated);
    assert_eq!(
        w.isolation(2, Direction::Ingress),
        Isolation::Open,
        "other/cache"
    );
}

#[test]
fn matches_pod_agrees_with_the_pseudo_label_map() {
    use crate::semantics::calico_selector::{pod_labels, CalicoSelector};
    let labels: crate::model::Labels = [("app".to_string(), "web".to_string())].into();
    for text in [
        "projectcalico.org/namespace == 'shop'",
        "projectcalico.org/orchestrator == 'k8s'",
        "projectcalico.org/serviceaccount == 'sa'",
        "has(projectcalico.org/serviceaccount)",
        "app == 'web' && !has(x)",
        "projectcalico.org/namespace starts with 'sh'",
    ] {
        let s = CalicoSelector::parse(text).unwrap();
        for sa in ["sa", "default", &"x".repeat(70)] {
            assert_eq!(
                s.matches_pod(&labels, "shop", sa),
                s.matches(&pod_labels(&labels, "shop", sa)),
                "{text} {sa}"
            );
        }
    }
}
