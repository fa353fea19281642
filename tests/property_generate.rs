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

use naive::{namespaces, policy, workload, Draw, IpBlocks};
use netpol_check::analysis;
use netpol_check::connectivity::{Engine, Member, Node};
use netpol_check::generate::{self, DenyMode, GenerateOptions};
use netpol_check::model::*;
use netpol_check::report::{Severity, Source};
use netpol_check::semantics::Coverage;
use proptest::prelude::*;

/// TCP and UDP only, ranges ten ports wide, one ipBlock without except, one policy in four
/// selecting every pod of its namespace, and Deployments only.
const DRAW: Draw = Draw {
    protocols: &["TCP", "UDP"],
    container_ports: &[53, 80, 8080],
    range_widths: &[10],
    ip_blocks: IpBlocks::Fixed("10.0.0.0/8"),
    empty_pod_selectors: true,
    empty_policy_types: false,
    pods: false,
};

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
        workloads in prop::collection::vec(workload(DRAW), 1..7),
        policies in prop::collection::vec(policy(DRAW), 0..6),
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
