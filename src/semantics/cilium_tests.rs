//! SEMANTICS.md points 17-19 (Cilium) through coverage and the layered walk, on hand-built
//! policies: one group per point. Reading the YAML is tested in the reading tests; the
//! documented cases of Cilium's own pages are tests/cilium_docs.rs.

use crate::model::fixtures::{policy, workload};
use crate::model::{
    CiliumMode, CiliumPeerRule, CiliumPolicy, CiliumPolicyKind, CiliumPort, CiliumPortRule,
    CiliumRule, ContainerPort, Direction, Inventory, LabelSelector, Protocol, Workload,
};
use crate::semantics::coverage::{DecidedBy, Isolation};
use crate::semantics::decide::Walk;
use crate::semantics::traffic::{Endpoint, PodRef};
use crate::semantics::{ConnSet, Coverage};

fn sel(pairs: &[(&str, &str)]) -> LabelSelector {
    LabelSelector {
        match_labels: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        match_expressions: vec![],
    }
}

fn endpoints(selectors: Vec<LabelSelector>) -> CiliumPeerRule {
    CiliumPeerRule {
        endpoints: Some(selectors),
        ..Default::default()
    }
}

fn entities(names: &[&str]) -> CiliumPeerRule {
    CiliumPeerRule {
        entities: Some(names.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    }
}

fn ports(rule: CiliumPeerRule, list: &[(&str, Option<&str>, Option<i64>)]) -> CiliumPeerRule {
    CiliumPeerRule {
        to_ports: Some(vec![CiliumPortRule {
            ports: list
                .iter()
                .map(|(port, protocol, end)| CiliumPort {
                    port: Some(port.to_string()),
                    end_port: *end,
                    protocol: protocol.map(str::to_owned),
                })
                .collect(),
            ..Default::default()
        }]),
        ..rule
    }
}

fn rule(subject: LabelSelector) -> CiliumRule {
    CiliumRule {
        endpoint_selector: Some(subject),
        ..Default::default()
    }
}

fn cnp(ns: &str, name: &str, rules: Vec<CiliumRule>) -> CiliumPolicy {
    CiliumPolicy {
        kind: CiliumPolicyKind::CiliumNetworkPolicy,
        namespace: Some(ns.into()),
        name: name.into(),
        rules,
        rejected_by_cilium: None,
        suppression: Default::default(),
        origin: Default::default(),
    }
}

fn ccnp(name: &str, rules: Vec<CiliumRule>) -> CiliumPolicy {
    CiliumPolicy {
        kind: CiliumPolicyKind::CiliumClusterwideNetworkPolicy,
        namespace: None,
        ..cnp("", name, rules)
    }
}

struct World {
    inv: Inventory,
    cov: Coverage,
}

impl World {
    fn new(workloads: Vec<Workload>, cilium: Vec<CiliumPolicy>) -> Self {
        Self::with(workloads, vec![], cilium, None)
    }

    fn with(
        workloads: Vec<Workload>,
        nps: Vec<crate::model::NetworkPolicy>,
        cilium: Vec<CiliumPolicy>,
        mode: Option<CiliumMode>,
    ) -> Self {
        let inv = Inventory {
            workloads,
            policies: nps,
            cilium_policies: cilium,
            cilium_mode: mode,
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

    fn side(&self, w: usize, direction: Direction, peer: &Endpoint<'_>) -> ConnSet {
        let wl = &self.inv.workloads[w];
        let side = self.cov.side_for_labels(wl, &wl.label_sets[0], direction);
        let me = self.pod(w);
        let destination = match direction {
            Direction::Ingress => me,
            Direction::Egress => *peer,
        };
        self.cov
            .set
            .decide(
                &side,
                direction,
                peer,
                &destination,
                &ConnSet::all(),
                Walk::default(),
            )
            .allowed
    }

    fn allows(&self, src: usize, dst: usize, protocol: Protocol, port: u16) -> bool {
        self.side(src, Direction::Egress, &self.pod(dst))
            .contains(protocol, port)
            && self
                .side(dst, Direction::Ingress, &self.pod(src))
                .contains(protocol, port)
    }

    fn tcp(&self, src: usize, dst: usize, port: u16) -> bool {
        self.allows(src, dst, Protocol::Tcp, port)
    }

    fn reached_from_outside(&self, dst: usize, port: u16) -> bool {
        let outside = Endpoint::Address("198.51.100.7".parse().unwrap());
        self.side(dst, Direction::Ingress, &outside)
            .contains(Protocol::Tcp, port)
    }

    fn isolation(&self, w: usize, direction: Direction) -> Isolation {
        self.cov.workloads[w].direction(direction).isolation
    }
}

fn web_db_cache() -> Vec<Workload> {
    vec![
        workload("shop", "web", &[("app", "web")]),
        workload("shop", "db", &[("app", "db")]),
        workload("other", "cache", &[("app", "web")]),
    ]
}

// Point 17: selection and namespace confinement.
#[test]
fn p17_cnp_selects_only_its_namespace_and_its_peers_are_confined() {
    let mut r = rule(sel(&[("app", "web")]));
    r.ingress = Some(vec![endpoints(vec![sel(&[("app", "web")])])]);
    let w = World::new(web_db_cache(), vec![cnp("shop", "allow-web", vec![r])]);
    assert_eq!(w.isolation(0, Direction::Ingress), Isolation::Isolated);
    assert_eq!(
        w.isolation(2, Direction::Ingress),
        Isolation::Open,
        "other/cache carries app=web but lives in another namespace"
    );
    // The peer `app=web` is web itself in shop, never other/cache.
    assert!(!w.tcp(2, 0, 80), "confined to the policy's namespace");
    assert!(!w.tcp(1, 0, 80), "db is not app=web");
}

#[test]
fn p17_peer_naming_a_namespace_reaches_other_namespaces() {
    let mut r = rule(sel(&[("app", "web")]));
    r.ingress = Some(vec![endpoints(vec![sel(&[
        ("app", "web"),
        ("io.kubernetes.pod.namespace", "other"),
    ])])]);
    let w = World::new(web_db_cache(), vec![cnp("shop", "from-other", vec![r])]);
    assert!(w.tcp(2, 0, 80));
}

#[test]
fn p17_ccnp_selects_every_namespace_and_its_peers_too() {
    let mut r = rule(sel(&[("app", "web")]));
    r.ingress = Some(vec![endpoints(vec![sel(&[("app", "db")])])]);
    let w = World::new(web_db_cache(), vec![ccnp("web-from-db", vec![r])]);
    assert_eq!(w.isolation(0, Direction::Ingress), Isolation::Isolated);
    assert_eq!(w.isolation(2, Direction::Ingress), Isolation::Isolated);
    assert!(w.tcp(1, 2, 80), "a clusterwide peer is not confined");
    assert!(!w.tcp(0, 2, 80));
}

#[test]
fn p17_filtered_labels_never_select() {
    let mut r = rule(sel(&[("pod-template-hash", "abc")]));
    r.ingress = Some(vec![entities(&["world"])]);
    let mut wl = workload("shop", "web", &[("pod-template-hash", "abc")]);
    wl.ports = vec![];
    let w = World::new(vec![wl], vec![cnp("shop", "by-hash", vec![r])]);
    assert_eq!(w.isolation(0, Direction::Ingress), Isolation::Open);
}

#[test]
fn p17_service_account_pseudo_label_selects() {
    let mut r = rule(sel(&[("io.cilium.k8s.policy.serviceaccount", "api")]));
    r.ingress = Some(vec![entities(&["cluster"])]);
    let mut api = workload("shop", "api", &[]);
    api.service_account = Some("api".into());
    let other = workload("shop", "other", &[]);
    let w = World::new(vec![api, other], vec![cnp("shop", "by-sa", vec![r])]);
    assert_eq!(w.isolation(0, Direction::Ingress), Isolation::Isolated);
    assert_eq!(w.isolation(1, Direction::Ingress), Isolation::Open);
}

// Point 18: default deny.
#[test]
fn p18_a_non_empty_section_isolates_that_direction_only() {
    let mut r = rule(sel(&[("app", "web")]));
    r.ingress = Some(vec![entities(&["cluster"])]);
    let w = World::new(web_db_cache(), vec![cnp("shop", "in", vec![r])]);
    assert_eq!(w.isolation(0, Direction::Ingress), Isolation::Isolated);
    assert_eq!(w.isolation(0, Direction::Egress), Isolation::Open);
    assert_eq!(
        w.cov.workloads[0].ingress.decided_by(),
        Some(&DecidedBy::CiliumDefaultDeny(w.cov.set.cilium()[0].id()))
    );
}

#[test]
fn p18_empty_section_is_no_section_and_enable_default_deny_false_keeps_it_open() {
    let mut empty = rule(sel(&[("app", "web")]));
    empty.ingress = Some(vec![]);
    empty.egress = Some(vec![entities(&["world"])]);
    empty.enable_default_deny_egress = Some(false);
    let w = World::new(web_db_cache(), vec![cnp("shop", "soft", vec![empty])]);
    assert_eq!(w.isolation(0, Direction::Ingress), Isolation::Open);
    assert_eq!(w.isolation(0, Direction::Egress), Isolation::Open);
    assert!(
        w.tcp(0, 1, 5432),
        "not default-deny: what no rule names is allowed"
    );
}

#[test]
fn p18_one_policy_asking_is_enough() {
    let mut soft = rule(sel(&[("app", "web")]));
    soft.ingress = Some(vec![entities(&["world"])]);
    soft.enable_default_deny_ingress = Some(false);
    let mut hard = rule(sel(&[("app", "web")]));
    hard.ingress = Some(vec![endpoints(vec![sel(&[("app", "db")])])]);
    let w = World::new(
        web_db_cache(),
        vec![
            cnp("shop", "soft", vec![soft]),
            cnp("shop", "hard", vec![hard]),
        ],
    );
    assert_eq!(w.isolation(0, Direction::Ingress), Isolation::Isolated);
    assert!(w.tcp(1, 0, 80));
    assert!(
        w.reached_from_outside(0, 80),
        "the soft policy's world allow still counts"
    );
}

#[test]
fn p18_a_rule_with_no_section_makes_cilium_refuse_the_whole_policy() {
    let mut good = rule(sel(&[("app", "web")]));
    good.ingress = Some(vec![entities(&["cluster"])]);
    let empty = rule(sel(&[("app", "db")]));
    let w = World::new(web_db_cache(), vec![cnp("shop", "half", vec![good, empty])]);
    assert_eq!(
        w.isolation(0, Direction::Ingress),
        Isolation::Open,
        "the valid spec is refused with the empty one"
    );
    assert!(!w.cov.set.includes_cilium(0));
}

#[test]
fn p18_modes_always_and_never() {
    let always = World::with(web_db_cache(), vec![], vec![], Some(CiliumMode::Always));
    for d in Direction::BOTH {
        assert_eq!(always.isolation(0, d), Isolation::Isolated);
    }
    assert_eq!(
        always.cov.workloads[0].ingress.decided_by(),
        Some(&DecidedBy::CiliumMode)
    );
    assert!(!always.tcp(0, 1, 80));
    let deny_all = policy("shop", "deny", &[], Some(&["Ingress"]), 0, 0);
    let never = World::with(
        web_db_cache(),
        vec![deny_all],
        vec![],
        Some(CiliumMode::Never),
    );
    assert_eq!(
        never.isolation(0, Direction::Ingress),
        Isolation::Open,
        "never: not even NetworkPolicies are enforced"
    );
}

// Point 19: allow union, deny wins, empty rules, entities, CIDRs, ports.
#[test]
fn p19_deny_wins_over_every_allow_of_any_kind() {
    let mut allow = rule(sel(&[("app", "web")]));
    allow.ingress = Some(vec![entities(&["all"])]);
    let mut deny = rule(sel(&[("app", "web")]));
    deny.ingress_deny = Some(vec![endpoints(vec![sel(&[("app", "db")])])]);
    let np = policy(
        "shop",
        "np-allow-all",
        &[("app", "web")],
        Some(&["Ingress"]),
        1,
        0,
    );
    let w = World::with(
        web_db_cache(),
        vec![np],
        vec![
            cnp("shop", "allow", vec![allow]),
            cnp("shop", "deny", vec![deny]),
        ],
        None,
    );
    assert!(!w.tcp(1, 0, 80), "denied although two policies allow it");
    assert!(w.reached_from_outside(0, 80));
}

#[test]
fn p19_deny_only_without_default_deny_denies_just_what_it_names() {
    let mut deny = rule(sel(&[("app", "web")]));
    deny.ingress_deny = Some(vec![endpoints(vec![sel(&[("app", "db")])])]);
    deny.enable_default_deny_ingress = Some(false);
    let w = World::new(web_db_cache(), vec![cnp("shop", "deny-db", vec![deny])]);
    assert!(!w.tcp(1, 0, 80));
    assert!(w.reached_from_outside(0, 80));
    assert_eq!(w.isolation(0, Direction::Ingress), Isolation::Open);
}

#[test]
fn p19_deny_everything_without_default_deny_is_still_isolated() {
    let mut deny = rule(sel(&[("app", "web")]));
    deny.ingress_deny = Some(vec![entities(&["all"])]);
    deny.enable_default_deny_ingress = Some(false);
    let w = World::new(web_db_cache(), vec![cnp("shop", "deny-all", vec![deny])]);
    assert_eq!(w.isolation(0, Direction::Ingress), Isolation::Isolated);
}

#[test]
fn p19_an_empty_rule_allows_nothing() {
    let mut r = rule(sel(&[("app", "web")]));
    r.ingress = Some(vec![CiliumPeerRule::default()]);
    let w = World::new(web_db_cache(), vec![cnp("shop", "empty-rule", vec![r])]);
    assert_eq!(w.isolation(0, Direction::Ingress), Isolation::Isolated);
    assert!(!w.tcp(1, 0, 80));
    assert!(!w.reached_from_outside(0, 80));
}

#[test]
fn p19_to_ports_without_a_peer_admits_every_peer_on_those_ports() {
    let mut r = rule(sel(&[("app", "web")]));
    r.ingress = Some(vec![ports(
        CiliumPeerRule::default(),
        &[("80", Some("TCP"), None)],
    )]);
    let w = World::new(web_db_cache(), vec![cnp("shop", "port-80", vec![r])]);
    assert!(w.tcp(1, 0, 80));
    assert!(w.tcp(2, 0, 80));
    assert!(w.reached_from_outside(0, 80));
    assert!(!w.tcp(1, 0, 81));
}

#[test]
fn p19_entities_world_cluster_all() {
    let mut world = rule(sel(&[("app", "web")]));
    world.ingress = Some(vec![entities(&["world"])]);
    let w = World::new(web_db_cache(), vec![cnp("shop", "world", vec![world])]);
    assert!(w.reached_from_outside(0, 443));
    assert!(!w.tcp(1, 0, 443), "world holds no pod");
    let mut cluster = rule(sel(&[("app", "web")]));
    cluster.ingress = Some(vec![entities(&["cluster"])]);
    let w = World::new(web_db_cache(), vec![cnp("shop", "cluster", vec![cluster])]);
    assert!(w.tcp(2, 0, 443));
    assert!(!w.reached_from_outside(0, 443));
    let mut host = rule(sel(&[("app", "web")]));
    host.ingress = Some(vec![entities(&["host", "kube-apiserver"])]);
    let w = World::new(web_db_cache(), vec![cnp("shop", "host", vec![host])]);
    assert!(!w.tcp(1, 0, 443) && !w.reached_from_outside(0, 443));
}

#[test]
fn p19_cidr_set_except_and_cidrs_never_match_pods() {
    let mut r = rule(sel(&[("app", "web")]));
    r.egress = Some(vec![CiliumPeerRule {
        cidr_set: Some(vec![crate::model::CiliumCidrRule {
            cidr: Some("0.0.0.0/0".into()),
            except: vec!["10.0.0.0/8".into()],
            group: false,
        }]),
        ..Default::default()
    }]);
    let w = World::new(web_db_cache(), vec![cnp("shop", "out", vec![r])]);
    let to = |ip: &str| {
        w.side(
            0,
            Direction::Egress,
            &Endpoint::Address(ip.parse().unwrap()),
        )
        .contains(Protocol::Tcp, 443)
    };
    assert!(to("8.8.8.8"));
    assert!(!to("10.1.2.3"));
    assert!(!w.tcp(0, 1, 443), "a CIDR peer never matches pods");
}

#[test]
fn p19_ports_any_port_zero_end_port_named() {
    let mut r = rule(sel(&[("app", "db")]));
    r.ingress = Some(vec![
        ports(
            endpoints(vec![sel(&[("app", "web")])]),
            &[("53", None, None), ("8000", Some("TCP"), Some(8010))],
        ),
        ports(
            endpoints(vec![sel(&[("app", "web")])]),
            &[("pg", Some("TCP"), None)],
        ),
    ]);
    let mut db = workload("shop", "db", &[("app", "db")]);
    db.ports = vec![ContainerPort {
        name: Some("pg".into()),
        port: 5432,
        protocol: None,
    }];
    let web = workload("shop", "web", &[("app", "web")]);
    let w = World::new(vec![web, db], vec![cnp("shop", "db-in", vec![r])]);
    assert!(w.allows(0, 1, Protocol::Udp, 53), "ANY is UDP too");
    assert!(w.allows(0, 1, Protocol::Sctp, 53), "and SCTP");
    assert!(
        w.tcp(0, 1, 8010) && !w.tcp(0, 1, 8011),
        "endPort is inclusive"
    );
    assert!(w.tcp(0, 1, 5432), "named port resolved on the destination");
    assert!(!w.tcp(0, 1, 80));
    let mut zero = rule(sel(&[("app", "db")]));
    zero.ingress = Some(vec![ports(
        endpoints(vec![sel(&[("app", "web")])]),
        &[("0", Some("UDP"), None)],
    )]);
    let w = World::new(
        vec![
            workload("shop", "web", &[("app", "web")]),
            workload("shop", "db", &[("app", "db")]),
        ],
        vec![cnp("shop", "zero", vec![zero])],
    );
    assert!(w.allows(0, 1, Protocol::Udp, 9999), "port 0 is every port");
    assert!(!w.tcp(0, 1, 9999));
}

#[test]
fn p19_a_rule_mixing_peer_kinds_makes_cilium_refuse_the_policy() {
    let mut r = rule(sel(&[("app", "web")]));
    r.ingress = Some(vec![CiliumPeerRule {
        entities: Some(vec!["world".into()]),
        endpoints: Some(vec![sel(&[])]),
        ..Default::default()
    }]);
    let w = World::new(web_db_cache(), vec![cnp("shop", "mixed", vec![r])]);
    assert_eq!(w.isolation(0, Direction::Ingress), Isolation::Open);
}

#[test]
fn p19_fqdn_peers_are_unknown_for_addresses_and_never_pods() {
    let mut r = rule(sel(&[("app", "web")]));
    r.egress = Some(vec![CiliumPeerRule {
        fqdns: Some(vec!["api.example.com".into()]),
        ..Default::default()
    }]);
    let w = World::new(web_db_cache(), vec![cnp("shop", "fqdn", vec![r])]);
    let wl = &w.inv.workloads[0];
    let side = w
        .cov
        .side_for_labels(wl, &wl.label_sets[0], Direction::Egress);
    let outside = Endpoint::Address("93.184.216.34".parse().unwrap());
    let d = w.cov.set.decide(
        &side,
        Direction::Egress,
        &outside,
        &outside,
        &ConnSet::all(),
        Walk::default(),
    );
    assert!(
        d.unknown.is_some(),
        "which addresses a name resolves to is not known"
    );
    assert!(!w.tcp(0, 1, 443));
}
