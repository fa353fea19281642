//! Generated policies complete what exists, on random inventories:
//! - a connection that an existing rule allowed (one side isolated and allowing it by a rule,
//!   the other side open or allowing it too) is still allowed on every port it was after
//!   generation; connections that were allowed only because both sides were open are what a
//!   default deny is meant to close, and may be;
//! - generation never allows a connection that was denied (it only restricts);
//! - every workload is isolated for both directions afterwards (hostNetwork ones excepted, and
//!   those a note says it could not deny);
//! - no error finding appears that was not there before.

mod naive;

use std::collections::{BTreeMap, BTreeSet};

use naive::{label_pairs as pairs, requirement, KEYS};
use netpol_check::analysis;
use netpol_check::connectivity::{Engine, Member, Node};
use netpol_check::generate::{self, DenyMode, GenerateOptions};
use netpol_check::model::*;
use netpol_check::report::{Severity, Source};
use netpol_check::semantics::Coverage;
use proptest::prelude::*;

const NAMESPACES: [&str; 3] = ["a", "b", "c"];
const PORT_NAMES: [&str; 2] = ["http", "dns"];
const PROTOCOLS: [&str; 2] = ["TCP", "UDP"];

fn selector() -> impl Strategy<Value = LabelSelector> {
    (pairs(&KEYS), prop::collection::vec(requirement(), 0..2)).prop_map(|(ml, me)| LabelSelector {
        match_labels: ml.into_iter().take(1).collect(),
        match_expressions: me,
    })
}

fn peer() -> impl Strategy<Value = Peer> {
    prop_oneof![
        selector().prop_map(|s| Peer {
            pod_selector: Some(s),
            ..Default::default()
        }),
        selector().prop_map(|s| Peer {
            namespace_selector: Some(s),
            ..Default::default()
        }),
        (selector(), selector()).prop_map(|(p, n)| Peer {
            pod_selector: Some(p),
            namespace_selector: Some(n),
            ip_block: None,
        }),
        Just(Peer {
            ip_block: Some(IpBlock {
                cidr: "10.0.0.0/8".into(),
                except: vec![],
            }),
            ..Default::default()
        }),
    ]
}

fn policy_port() -> impl Strategy<Value = PolicyPort> {
    (
        prop::option::of(prop::sample::select(PROTOCOLS.to_vec())),
        0u8..4,
        prop::sample::select(vec![53i64, 80, 8080]),
        prop::sample::select(PORT_NAMES.to_vec()),
    )
        .prop_map(|(protocol, shape, n, name)| PolicyPort {
            protocol: protocol.map(str::to_owned),
            port: match shape {
                0 => None,
                1 | 2 => Some(PortValue::Number(n)),
                _ => Some(PortValue::Name(name.into())),
            },
            end_port: (shape == 2).then_some(n + 10),
        })
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        prop::collection::vec(peer(), 0..3),
        prop::collection::vec(policy_port(), 0..3),
    )
        .prop_map(|(peers, ports)| Rule { peers, ports })
}

fn policy() -> impl Strategy<Value = NetworkPolicy> {
    (
        prop::sample::select(NAMESPACES.to_vec()),
        prop_oneof![3 => selector(), 1 => Just(LabelSelector::default())],
        prop_oneof![
            Just(None),
            Just(Some(vec!["Ingress".to_string()])),
            Just(Some(vec!["Egress".to_string()])),
            Just(Some(vec!["Ingress".to_string(), "Egress".to_string()])),
        ],
        prop::collection::vec(rule(), 0..3),
        prop::collection::vec(rule(), 0..3),
    )
        .prop_map(|(ns, sel, types, ingress, egress)| NetworkPolicy {
            namespace: ns.into(),
            name: String::new(),
            pod_selector: sel,
            policy_types: types,
            ingress,
            egress,
            suppression: Suppression::default(),
            origin: Origin::default(),
        })
}

fn container_port() -> impl Strategy<Value = ContainerPort> {
    (
        prop::option::of(prop::sample::select(PORT_NAMES.to_vec())),
        prop::sample::select(vec![53i64, 80, 8080]),
        prop::option::of(prop::sample::select(PROTOCOLS.to_vec())),
    )
        .prop_map(|(name, port, protocol)| ContainerPort {
            name: name.map(str::to_owned),
            port,
            protocol: protocol.map(str::to_owned),
        })
}

fn workload() -> impl Strategy<Value = Workload> {
    (
        prop::sample::select(NAMESPACES.to_vec()),
        pairs(&KEYS),
        prop::bool::weighted(0.1),
        prop::collection::vec(container_port(), 0..3),
    )
        .prop_map(|(ns, l, host, ports)| Workload {
            kind: WorkloadKind::Deployment,
            namespace: ns.into(),
            name: String::new(),
            label_sets: vec![l.into_iter().collect()],
            pods: 1,
            host_network: host,
            ports,
            suppression: Suppression::default(),
            origin: Origin::default(),
        })
}

fn namespaces() -> impl Strategy<Value = Vec<Namespace>> {
    prop::collection::vec(pairs(&["env", "team"]), 3).prop_map(|sets| {
        NAMESPACES
            .iter()
            .zip(sets)
            .map(|(name, extra)| {
                let mut ns = Namespace::implicit(name);
                ns.labels.extend(extra);
                ns
            })
            .collect()
    })
}

/// Error findings as (rule, namespace, object): messages may mention generated policies.
fn errors(inventory: &Inventory) -> BTreeSet<(String, Option<String>, String)> {
    analysis::analyse(inventory, Source::manifests(vec![]))
        .findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.rule, f.namespace, f.object))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn generation_keeps_what_rules_allow_closes_the_rest_and_adds_no_error(
        namespaces in namespaces(),
        workloads in prop::collection::vec(workload(), 1..7),
        policies in prop::collection::vec(policy(), 0..6),
        workloads_mode in prop::bool::weighted(0.3),
    ) {
        let mut workloads = workloads;
        for (i, w) in workloads.iter_mut().enumerate() {
            w.name = format!("w{i}");
        }
        let mut policies = policies;
        for (i, p) in policies.iter_mut().enumerate() {
            p.name = format!("p{i}");
        }
        let before = Inventory {
            namespaces,
            workloads,
            policies,
            skipped_kinds: BTreeMap::new(),
            pod_owners: BTreeMap::new(),
            ..Default::default()
        };
        let options = GenerateOptions {
            mode: if workloads_mode { DenyMode::Workloads } else { DenyMode::Namespace },
            ..Default::default()
        };
        let invalid = analysis::invalid_policies(&before);
        let coverage = Coverage::evaluate(&before, |i| !invalid.contains(&i));
        let generated = generate::generate(&before, &coverage, &options);
        // Read back through the parser, as post-render does.
        let mut after = before.clone();
        netpol_check::postrender::add_generated(&mut after, &generated.policies, "default")
            .unwrap();

        let (old, new) = (Engine::new(&before), Engine::new(&after));
        let n = before.workloads.len();
        for s in 0..n {
            for d in 0..n {
                let (src, dst) = (
                    Node::Member(Member { workload: s, labels: 0 }),
                    Node::Member(Member { workload: d, labels: 0 }),
                );
                let was = old.connection(src, dst);
                let now = new.connection(src, dst);
                prop_assert_eq!(
                    now.allowed.intersect(&was.allowed), now.allowed.clone(),
                    "w{} -> w{}: generation opened a connection\n{:#?}", s, d, generated.policies
                );
                let by_rule = was.egress.as_ref().is_some_and(|e| e.isolated)
                    || was.ingress.as_ref().is_some_and(|i| i.isolated);
                if by_rule {
                    prop_assert_eq!(
                        now.allowed.intersect(&was.allowed), was.allowed.clone(),
                        "w{} -> w{}: a connection an existing rule allowed was broken\n{:#?}",
                        s, d, generated.policies
                    );
                }
            }
        }

        let covered = Coverage::evaluate(&after, |_| true);
        for (w, v) in after.workloads.iter().zip(&covered.workloads) {
            let excused = w.host_network
                || generated.notes.iter().any(|note| note.contains(&format!("{}/{} ", w.namespace, w.name)))
                || (workloads_mode && w.label_sets[0].is_empty());
            prop_assert!(excused || v.covered(), "{} {}/{} not covered\n{:#?}", w.kind, w.namespace, w.name, generated);
        }

        let (was, now) = (errors(&before), errors(&after));
        let new_errors: Vec<_> = now.difference(&was).collect();
        prop_assert!(new_errors.is_empty(), "new errors {:?}\n{:#?}", new_errors, generated.policies);
    }
}
