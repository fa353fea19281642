//! NPC305 cilium-world-to-internal: a Cilium ingress allow from the `world` or `all` entity
//! (every address outside the cluster, SEMANTICS.md point 19) to pods that look internal.
//!
//! "Looks internal" is a documented guess, since the input says nothing of how pods are
//! exposed: the workload's name or one of its label values, split into words at `-`, `_`, `.`
//! and `/`, holds a word of [`INTERNAL_WORDS`] (databases, caches, queues, "internal"); or the
//! rule has no `toPorts`, so every port of the pod, admin and debug ports included, is open to
//! the internet, whatever the pod is. Pods that a deny rule keeps the outside away from on
//! every port anyway (`ingressDeny: [{fromEntities: [world]}]`) are left out: the semantics
//! decide an outside address's ingress to each of them.

use crate::connectivity::describe::{cilium_policy_name, cilium_rule_name};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use crate::model::{Direction, Workload};
use crate::report::{Finding, Severity};
use crate::semantics::decide::Walk;
use crate::semantics::traffic::Endpoint;
use crate::semantics::{ConnSet, WorkloadVerdict};

use super::{describe_workloads, endpoint, Context, Rule};

/// Words in a workload's name or labels that say it is not meant to face the internet.
pub const INTERNAL_WORDS: &[&str] = &[
    "postgres",
    "postgresql",
    "pg",
    "mysql",
    "mariadb",
    "mongo",
    "mongodb",
    "redis",
    "valkey",
    "memcached",
    "cassandra",
    "elasticsearch",
    "opensearch",
    "etcd",
    "zookeeper",
    "kafka",
    "rabbitmq",
    "nats",
    "db",
    "database",
    "cache",
    "internal",
];

pub const RULE: Rule = Rule {
    id: "NPC305",
    name: "cilium-world-to-internal",
    severity: Severity::Warning,
    summary: "A Cilium policy lets the whole internet (world or all) in to pods that look internal",
    explanation: "`fromEntities: [world]` (or `all`) in a Cilium ingress rule allows every \
        address outside the cluster. That suits a pod meant to face the internet, not a \
        database, a cache or an internal API. The input does not say how pods are exposed, so \
        the rule guesses, as documented: it fires when the workload's name or one of its label \
        values holds a word such as postgres, mysql, mongo, redis, memcached, kafka, db, \
        database, cache or internal (split at `-`, `_`, `.` and `/`), and for any pod when the \
        rule has no `toPorts` (every port open to the internet). Allow the peers that need \
        the pod (`fromEndpoints`, or `fromCIDRSet` for known outside addresses), on its ports.",
    bad_example: include_str!("examples/NPC305-bad.yaml"),
    good_example: include_str!("examples/NPC305-good.yaml"),
};

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let set = &ctx.coverage.set;
    if set.cilium().is_empty() {
        return Vec::new();
    }
    // The rules with a world ingress allow, and the pods each selects for ingress.
    let worldly: Vec<bool> = (set.cilium().iter())
        .map(|c| {
            let rule = &ctx.inventory.cilium_policies[c.index].rules[c.spec];
            rule.ingress
                .iter()
                .flatten()
                .any(|r| world_entity(r).is_some())
        })
        .collect();
    let mut selected: HashMap<usize, Vec<(&Workload, &WorkloadVerdict)>> = HashMap::new();
    for (w, v) in ctx.inventory.workloads.iter().zip(&ctx.coverage.workloads) {
        for &p in v.ingress.cilium().iter().filter(|&&p| worldly[p]) {
            selected.entry(p).or_default().push((w, v));
        }
    }
    let outside = Endpoint::Address(IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)));
    let reached = |w: &Workload, v: &WorkloadVerdict| {
        let side = ctx.coverage.side_policies(&v.ingress);
        let pod = endpoint(ctx.coverage, w, &w.label_sets[0]);
        let decision = set.decide(
            &side,
            Direction::Ingress,
            &outside,
            &pod,
            &ConnSet::all(),
            Walk::default(),
        );
        !decision.allowed.is_empty()
    };
    let mut positions: Vec<usize> = selected.keys().copied().collect();
    positions.sort_unstable();
    let mut out = Vec::new();
    for position in positions {
        let c = &set.cilium()[position];
        let policy = &ctx.inventory.cilium_policies[c.index];
        let rule = &policy.rules[c.spec];
        for (k, r) in rule.ingress.iter().flatten().enumerate() {
            let Some(world) = world_entity(r) else {
                continue;
            };
            let every_port = r.to_ports.is_none();
            let internal: Vec<&Workload> = selected[&position]
                .iter()
                .filter(|(w, v)| (every_port || looks_internal(w)) && reached(w, v))
                .map(|(w, _)| *w)
                .collect();
            if internal.is_empty() {
                continue;
            }
            let why = if every_port {
                "on every port: the rule has no toPorts"
            } else {
                "which look internal by their name or labels"
            };
            out.push(RULE.cilium_finding(
                policy,
                format!(
                    "{name} {at} allows ingress from the {world} entity ({what}) to {who}, \
                     {why}",
                    what = if world == "all" {
                        "every pod and every address outside the cluster"
                    } else {
                        "every address outside the cluster"
                    },
                    name = cilium_policy_name(policy),
                    at = cilium_rule_name(policy, c.spec, Direction::Ingress, k),
                    who = describe_workloads(&internal),
                ),
                format!(
                    "In {name}, allow only the peers that need these pods (fromEndpoints, or \
                     fromCIDRSet for known outside addresses), with toPorts; keep `{world}` \
                     for pods meant to face the internet.",
                    name = policy.name
                ),
            ));
        }
    }
    out
}

/// The entity of an allow rule that holds the outside addresses.
fn world_entity(r: &crate::model::CiliumPeerRule) -> Option<&str> {
    (r.entities.iter().flatten())
        .map(String::as_str)
        .find(|e| matches!(*e, "world" | "all" | "world-ipv4" | "world-ipv6"))
}

/// Whether the workload's name or a label value holds one of [`INTERNAL_WORDS`].
pub fn looks_internal(w: &Workload) -> bool {
    let words = |s: &str| {
        s.split(['-', '_', '.', '/'])
            .any(|word| INTERNAL_WORDS.contains(&word.to_ascii_lowercase().as_str()))
    };
    words(&w.name)
        || w.label_sets
            .iter()
            .flat_map(|l| l.values())
            .any(|v| words(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{cases_say, examples, run};

    #[test]
    fn examples_fire_and_stay_silent() {
        examples(&RULE, check);
    }

    fn case(name: &str, labels: &str, rule: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop, labels: {labels}}}\nspec: {{containers: [{{name: c, image: i}}]}}\n---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  endpointSelector: {{}}\n  ingress: [{rule}]\n"
        )
    }

    #[test]
    fn table_of_cases() {
        let world_443 =
            "{fromEntities: [world], toPorts: [{ports: [{port: '443', protocol: TCP}]}]}";
        let cases: Vec<(String, Option<&str>)> = vec![
            // A public web pod on its port: fine.
            (case("web", "{app: web}", world_443), None),
            // The same without toPorts: every port.
            (
                case("web", "{app: web}", "{fromEntities: [world]}"),
                Some("on every port: the rule has no toPorts"),
            ),
            (
                case("orders-db", "{app: orders}", world_443),
                Some("to Pod shop/orders-db, which look internal"),
            ),
            (
                case("x", "{app.kubernetes.io/name: redis}", world_443),
                Some("from the world entity"),
            ),
            (
                case("cache", "{}", &world_443.replace("world", "all")),
                Some("from the all entity"),
            ),
            // Words, not substrings: "dbx" and "debug" are no database.
            (case("debug", "{app: dbx}", world_443), None),
            // cluster is not the internet.
            (
                case("orders-db", "{app: o}", "{fromEntities: [cluster]}"),
                None,
            ),
            // A deny keeps the outside away whatever the allow says.
            (
                case(
                    "orders-db",
                    "{app: o}",
                    "{fromEntities: [all]}]\n  ingressDeny: [{fromEntities: [world]}",
                ),
                None,
            ),
            // ... on one port only: the others are still open to the internet.
            (
                case(
                    "orders-db",
                    "{app: o}",
                    "{fromEntities: [all]}]\n  ingressDeny: [{fromEntities: [world], toPorts: [{ports: [{port: '80'}]}]}",
                ),
                Some("every pod and every address outside the cluster"),
            ),
        ];
        cases_say(&cases, check);
    }

    #[test]
    fn message() {
        let f = run(RULE.bad_example, check);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "CiliumNetworkPolicy shop/postgres-ingress spec.ingress[0] allows ingress from the \
             world entity (every address outside the cluster) to StatefulSet shop/postgres, \
             which look internal by their name or labels"
        );
    }
}
