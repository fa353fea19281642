//! The indexed evaluator (compiled selectors, policies grouped by namespace) must agree with a
//! naive, literal reading of SEMANTICS.md points 1-6 on random inventories.

use std::collections::BTreeMap;

mod naive;

use naive::{label_pairs, naive_selects, naive_types, requirement, KEYS, NAMESPACES, VALUES};
use netpol_check::analysis::{analyse_with_options, Options, RuleConfig};
use netpol_check::model::*;
use netpol_check::report::Source;
use netpol_check::semantics::HostNetwork;
use proptest::prelude::*;

fn labels() -> impl Strategy<Value = Labels> {
    label_pairs(&KEYS).prop_map(|pairs| pairs.into_iter().collect())
}

fn selector() -> impl Strategy<Value = LabelSelector> {
    (
        prop::collection::btree_map(
            prop::sample::select(KEYS.to_vec()),
            prop::sample::select(VALUES.to_vec()),
            0..2,
        ),
        prop::collection::vec(requirement(), 0..3),
    )
        .prop_map(|(ml, me)| LabelSelector {
            match_labels: ml.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
            match_expressions: me,
        })
}

fn policy_types() -> impl Strategy<Value = Option<Vec<String>>> {
    prop_oneof![
        Just(None),
        Just(Some(vec![])),
        Just(Some(vec!["Ingress".to_string()])),
        Just(Some(vec!["Egress".to_string()])),
        Just(Some(vec!["Ingress".to_string(), "Egress".to_string()])),
        Just(Some(vec!["Egress".to_string(), "Ingress".to_string()])),
    ]
}

fn policy() -> impl Strategy<Value = NetworkPolicy> {
    (
        prop::sample::select(NAMESPACES.to_vec()),
        0u32..1000,
        selector(),
        policy_types(),
        0usize..2,
        0usize..2,
    )
        .prop_map(|(ns, id, sel, types, ing, eg)| NetworkPolicy {
            namespace: ns.into(),
            name: format!("p{id}"),
            pod_selector: sel,
            policy_types: types,
            ingress: vec![Rule::default(); ing],
            egress: vec![Rule::default(); eg],
            suppression: Suppression::default(),
            origin: Origin::default(),
        })
}

fn workload() -> impl Strategy<Value = Workload> {
    (
        prop::sample::select(NAMESPACES.to_vec()),
        0u32..1000,
        labels(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(ns, id, l, host)| Workload {
            kind: WorkloadKind::Pod,
            namespace: ns.into(),
            name: format!("w{id}"),
            label_sets: vec![l],
            pods: 1,
            host_network: host,
            ports: vec![],
            service_account: None,
            suppression: Suppression::default(),
            origin: Origin::default(),
        })
}

// ---- The naive reading, written straight from SEMANTICS.md without sharing any code. ----

struct Naive {
    ingress: bool,
    egress: bool,
    ingress_policies: Vec<String>,
    egress_policies: Vec<String>,
}

/// `node_model`: point 5's default, "a hostNetwork pod is never isolated"; else the pod model.
fn naive_workload(w: &Workload, policies: &[NetworkPolicy], node_model: bool) -> Naive {
    let mut n = Naive {
        ingress: false,
        egress: false,
        ingress_policies: vec![],
        egress_policies: vec![],
    };
    // Every policy of the whole inventory, checked one by one.
    for p in policies {
        let selects =
            p.namespace == w.namespace && naive_selects(&p.pod_selector, &w.label_sets[0]);
        if !selects {
            continue;
        }
        let (i, e) = naive_types(p);
        if i {
            n.ingress_policies.push(p.name.clone());
        }
        if e {
            n.egress_policies.push(p.name.clone());
        }
    }
    n.ingress_policies.sort();
    n.ingress_policies.dedup();
    n.egress_policies.sort();
    n.egress_policies.dedup();
    let node = node_model && w.host_network;
    n.ingress = !node && !n.ingress_policies.is_empty();
    n.egress = !node && !n.egress_policies.is_empty();
    n
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn indexed_evaluator_agrees_with_naive_reading(
        workloads in prop::collection::vec(workload(), 0..12),
        policies in prop::collection::vec(policy(), 0..10),
        node_model in any::<bool>(),
    ) {
        // Names must be unique per namespace and kind for the report lookup below.
        let mut seen = std::collections::HashSet::new();
        let workloads: Vec<Workload> = workloads
            .into_iter()
            .filter(|w| seen.insert((w.namespace.clone(), w.name.clone())))
            .collect();
        let inventory = Inventory {
            workloads: workloads.clone(),
            policies: policies.clone(),
            ..Default::default()
        };
        let options = Options {
            host_network: if node_model { HostNetwork::Node } else { HostNetwork::Pod },
            selector: None,
            cilium_mode: None,
        };
        let report =
            analyse_with_options(&inventory, Source::manifests(vec![]), &RuleConfig::default(), &options);
        let by_name: BTreeMap<(String, String), _> = report
            .workloads
            .iter()
            .map(|w| ((w.namespace.clone(), w.name.clone()), w))
            .collect();
        let mut uncovered = 0;
        for w in &workloads {
            let n = naive_workload(w, &policies, node_model);
            let got = by_name[&(w.namespace.clone(), w.name.clone())];
            prop_assert_eq!(got.ingress.isolated, n.ingress, "ingress of {}/{}", w.namespace, w.name);
            prop_assert_eq!(got.egress.isolated, n.egress, "egress of {}/{}", w.namespace, w.name);
            prop_assert_eq!(&got.ingress.policies, &n.ingress_policies);
            prop_assert_eq!(&got.egress.policies, &n.egress_policies);
            let on_node = node_model && w.host_network;
            if !on_node && (!n.ingress || !n.egress) {
                uncovered += 1;
            }
        }
        prop_assert_eq!(report.summary.uncovered_workloads, uncovered);
        let npc001 = report.findings.iter().filter(|f| f.rule == "NPC001").count();
        prop_assert_eq!(npc001, uncovered);

        // Namespace default deny: empty podSelector, direction in effective types, no rules.
        for ns in &report.namespaces {
            let deny = |ingress: bool| policies.iter().any(|p| {
                let (i, e) = naive_types(p);
                p.namespace == ns.name
                    && p.pod_selector.match_labels.is_empty()
                    && p.pod_selector.match_expressions.is_empty()
                    && if ingress { i && p.ingress.is_empty() } else { e && p.egress.is_empty() }
            });
            prop_assert_eq!(ns.default_deny.ingress, deny(true), "ingress deny of {}", ns.name);
            prop_assert_eq!(ns.default_deny.egress, deny(false), "egress deny of {}", ns.name);
        }
    }
}
