//! `diff` against the pairwise truth (issue 17, item 6): on random pairs of inventories, every
//! ordered pair of workloads both sides have whose connection (as `reach` and `matrix` decide
//! it, through `Engine::connection`) differs between the sides is reported by `diff --pairs`,
//! with the same before and after, and nothing else is. The head is drawn from the base by
//! keeping, replacing or dropping each namespace's labels, workload (labels, ports,
//! hostNetwork) and policy, and adding others, so every kind of change meets every other.

mod naive;

use std::collections::BTreeSet;

use naive::{namespaces, policy, workload, Draw, IpBlocks};
use netpol_check::analysis::{self, RuleConfig};
use netpol_check::connectivity::{Engine, Node};
use netpol_check::diff;
use netpol_check::model::*;
use netpol_check::report::Source;
use netpol_check::semantics::{ConnSet, HostNetwork};
use netpol_check::source::manifests::{load_read, Loaded, ManifestOptions};
use proptest::prelude::*;

const BLOCKS: [(&str, &str); 2] = [("10.0.0.0/8", "10.1.0.0/16"), ("0.0.0.0/0", "10.0.0.0/8")];
const DRAW: Draw = Draw {
    protocols: &["TCP", "UDP"],
    container_ports: &[53, 80, 8080],
    range_widths: &[0, 10],
    ip_blocks: IpBlocks::Drawn(&BLOCKS),
    empty_pod_selectors: true,
    empty_policy_types: true,
    pods: true,
};

/// Cluster-scoped policies a side may hold: an Admin tier that passes and denies, and a
/// baseline deny (SEMANTICS.md points 12-15).
const TIERS: &str = r#"
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: admin}
spec:
  priority: 5
  subject: {namespaces: {matchLabels: {team: a}}}
  ingress:
  - {name: pass-same, action: Pass, from: [{namespaces: {matchLabels: {team: a}}}]}
  - {name: deny-b, action: Deny, from: [{namespaces: {matchLabels: {team: b}}}], ports: [{portNumber: {protocol: TCP, port: 80}}]}
  egress:
  - {name: allow-dns, action: Allow, to: [{namespaces: {}}], ports: [{portNumber: {protocol: UDP, port: 53}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress:
  - {name: deny-env, action: Deny, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {env: a}}}}]}
"#;

fn tiers() -> Vec<ClusterPolicy> {
    let loaded = [Loaded {
        name: "tiers.yaml".into(),
        text: TIERS.to_owned(),
    }];
    load_read(&loaded, &ManifestOptions::default())
        .expect("the tiers read")
        .cluster_policies
}

#[derive(Debug, Clone)]
struct World {
    namespaces: Vec<Namespace>,
    workloads: Vec<Workload>,
    policies: Vec<NetworkPolicy>,
    tiers: Vec<bool>,
}

impl World {
    fn inventory(&self) -> Inventory {
        let all = tiers();
        Inventory {
            namespaces: self.namespaces.clone(),
            workloads: self.workloads.clone(),
            policies: self.policies.clone(),
            cluster_policies: all
                .into_iter()
                .zip(&self.tiers)
                .filter_map(|(p, keep)| keep.then_some(p))
                .collect(),
            ..Default::default()
        }
    }
}

fn world(workloads: usize, policies: usize) -> impl Strategy<Value = World> {
    (
        namespaces(),
        prop::collection::vec(workload(DRAW), workloads),
        prop::collection::vec(policy(DRAW), policies),
        prop::collection::vec(prop::bool::weighted(0.3), 2),
        prop::collection::vec(
            prop_oneof![
                6 => Just(0u8),
                1 => Just(1u8),
                1 => Just(2u8),
                1 => Just(3u8),
                1 => Just(4u8)
            ],
            workloads,
        ),
    )
        .prop_map(|(namespaces, mut workloads, mut policies, tiers, shapes)| {
            // Some workloads' pods carry a second label set (a rollout), which policies may
            // treat differently (1: another workload's labels; their pairs are decided whole),
            // or which differs only by `pod-template-hash`, a key no policy here reads (2: one
            // shape for every policy), or both (3: three label sets, two shapes; 4: the same in
            // another order, the second shape being the third label set).
            let sets: Vec<Labels> = workloads.iter().map(|w| w.label_sets[0].clone()).collect();
            let hashed = |labels: &Labels, hash: usize| {
                let mut l = labels.clone();
                l.insert("pod-template-hash".into(), format!("h{hash}"));
                l
            };
            for (i, w) in workloads.iter_mut().enumerate() {
                w.name = format!("w{i}");
                let second = &sets[(i + 1) % sets.len()];
                if shapes[i] == 4 {
                    let rollout = hashed(&w.label_sets[0], i);
                    w.label_sets.push(rollout);
                }
                if matches!(shapes[i], 1 | 3 | 4) && !w.label_sets.contains(second) {
                    w.label_sets.push(second.clone());
                }
                if matches!(shapes[i], 2 | 3) {
                    let rollout = hashed(&w.label_sets[0], i);
                    w.label_sets.push(rollout);
                }
            }
            for (i, p) in policies.iter_mut().enumerate() {
                p.name = format!("p{i}");
            }
            World {
                namespaces,
                workloads,
                policies,
                tiers,
            }
        })
}

/// For each item: 0 keep the base's, 1 take the other world's (same name: a changed object),
/// 2 leave it out.
fn pick<T: Clone>(base: &[T], other: &[T], choice: &[u8]) -> Vec<T> {
    base.iter()
        .zip(other)
        .zip(choice)
        .filter_map(|((b, o), c)| match c {
            0 => Some(b.clone()),
            1 => Some(o.clone()),
            _ => None,
        })
        .collect()
}

fn pair_of_worlds() -> impl Strategy<Value = (World, World)> {
    (
        world(6, 5),
        world(6, 5),
        prop::collection::vec(
            prop_oneof![
                5 => Just(0u8),
                2 => Just(1u8),
                1 => Just(2u8),
                2 => Just(3u8),
                1 => Just(4u8)
            ],
            6,
        ),
        prop::collection::vec(
            prop_oneof![5 => Just(0u8), 3 => Just(1u8), 2 => Just(2u8)],
            5,
        ),
        prop::collection::vec(prop_oneof![1 => Just(0u8), 1 => Just(1u8)], 3),
        0..3usize,
        0..3usize,
    )
        .prop_map(|(base, other, w, p, n, extra_w, extra_p)| {
            let mut base = base;
            // The base has one workload and one policy fewer per "extra": the head adds them.
            // 3: the base's workload with the other's labels only (a relabel in place, which
            // changes nothing but how other workloads' rules see it); 4: see below.
            let relabelled: Vec<Workload> = base
                .workloads
                .iter()
                .zip(&other.workloads)
                .map(|(b, o)| Workload {
                    label_sets: o.label_sets.clone(),
                    ..b.clone()
                })
                .collect();
            let workloads = base
                .workloads
                .iter()
                .enumerate()
                .filter_map(|(i, b)| match w[i] {
                    0 => Some(b.clone()),
                    1 => Some(other.workloads[i].clone()),
                    3 => Some(relabelled[i].clone()),
                    // 4: a rollout in progress: the base's pods and new ones that differ by
                    // `pod-template-hash` only.
                    4 => {
                        let mut w = b.clone();
                        let mut rollout = w.label_sets[0].clone();
                        rollout.insert("pod-template-hash".into(), "next".into());
                        w.label_sets.push(rollout);
                        Some(w)
                    }
                    _ => None,
                })
                .collect();
            let mut head = World {
                namespaces: pick(&base.namespaces, &other.namespaces, &n),
                workloads,
                policies: pick(&base.policies, &other.policies, &p),
                tiers: other.tiers.clone(),
            };
            base.workloads.truncate(6 - extra_w);
            base.policies.truncate(5 - extra_p);
            if head.namespaces.len() != 3 {
                head.namespaces = base.namespaces.clone();
            }
            (base, head)
        })
}

/// A pair of worlds where some workloads both sides have come with replicas: copies of the
/// same namespace, labels and ports on each side, which the diff decides once for all (the
/// twins of `diff::connections`); the pairs among replicas are theirs alone.
fn pair_with_replicas() -> impl Strategy<Value = (World, World)> {
    (pair_of_worlds(), prop::collection::vec(0..3usize, 6)).prop_map(
        |((mut base, mut head), copies)| {
            for (i, &n) in copies.iter().enumerate() {
                let name = format!("w{i}");
                let find = |w: &World| w.workloads.iter().find(|w| w.name == name).cloned();
                let (Some(b), Some(h)) = (find(&base), find(&head)) else {
                    continue;
                };
                for c in 0..n {
                    let copy = |w: &Workload| Workload {
                        name: format!("{name}-r{c}"),
                        ..w.clone()
                    };
                    base.workloads.push(copy(&b));
                    head.workloads.push(copy(&h));
                }
            }
            (base, head)
        },
    )
}

/// What gets through from `s` to `t`: the union over their pod shapes, as `matrix` takes it.
fn connection(engine: &Engine<'_>, s: usize, t: usize) -> ConnSet {
    let mut out = ConnSet::none();
    for ms in engine.members_of(s) {
        for mt in engine.members_of(t) {
            let a = engine.connection(Node::Member(ms), Node::Member(mt));
            out = out.union(&a.allowed);
        }
    }
    out
}

fn name(w: &Workload) -> String {
    format!("{}/{}[{}]", w.namespace, w.name, w.kind.as_str())
}

fn one_thread() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a thread starts")
    })
}

/// `classes_from`: 0 decides every changed side by classes of peers, as large inputs are;
/// the default, on inputs this small, peer by peer.
fn check(base: &World, head: &World, classes_from: u64) -> Result<(), TestCaseError> {
    let (b, h) = (base.inventory(), head.inventory());
    let compare = |pairs| {
        diff::of_inventories(
            (&b, Source::manifests(vec![])),
            (&h, Source::manifests(vec![])),
            &analysis::Options::default(),
            &RuleConfig::default(),
            &diff::Options {
                pairs,
                classes_from,
                ..diff::Options::default()
            },
        )
    };
    let d = compare(true);
    let got: BTreeSet<(String, String, String, String)> = d
        .pairs
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
        .collect();
    // The truth: every pair decided on each side by the engine `reach` uses.
    let (be, he) = (
        Engine::with_host_network(&b, HostNetwork::Node),
        Engine::with_host_network(&h, HostNetwork::Node),
    );
    let find = |inv: &Inventory, w: &Workload| {
        inv.workloads
            .iter()
            .position(|x| x.kind == w.kind && x.namespace == w.namespace && x.name == w.name)
    };
    let mut want = BTreeSet::new();
    for (hs, s) in h.workloads.iter().enumerate() {
        let Some(bs) = find(&b, s) else { continue };
        for (ht, t) in h.workloads.iter().enumerate() {
            if hs == ht {
                continue;
            }
            let Some(bt) = find(&b, t) else { continue };
            let (before, after) = (connection(&be, bs, bt), connection(&he, hs, ht));
            if before != after {
                want.insert((name(s), name(t), before.to_string(), after.to_string()));
            }
        }
    }
    prop_assert_eq!(&got, &want);
    // Not listing every pair, the passes count a class's pairs at once: the same groups,
    // counts and examples as when each pair is visited. On one thread, so that the passes
    // follow each other on it and share what they keep from pass to pass.
    let counted = one_thread().install(|| compare(false));
    let json = |d: &diff::ConnectivityDiff| {
        (
            serde_json::to_string(&d.summary).expect("serialises"),
            serde_json::to_string(&d.connections).expect("serialises"),
        )
    };
    prop_assert_eq!(json(&counted), json(&d));
    // Counted once each, and grouped under the sides that answer differently.
    let opened = want.iter().filter(|p| p.2 != p.3).count();
    prop_assert!(d.summary.pairs_opened + d.summary.pairs_closed >= opened);
    let grouped: usize = d.connections.iter().map(|c| c.pairs).sum();
    prop_assert!(grouped >= want.len(), "every pair is in some group");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn diff_reports_exactly_the_pairs_whose_connection_changed((base, head) in pair_of_worlds()) {
        check(&base, &head, diff::Options::default().classes_from)?;
        check(&base, &head, 0)?;
    }

    #[test]
    fn replicas_find_the_pairs_their_own_passes_would((base, head) in pair_with_replicas()) {
        check(&base, &head, diff::Options::default().classes_from)?;
        check(&base, &head, 0)?;
    }
}
