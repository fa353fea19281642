//! Which objects of the base and of the head are the same object, and whether a policy says
//! something different: where it is written (file, line, column) and its suppression
//! annotations do not count.

use std::collections::HashMap;

use crate::model::{
    CalicoEntity, CalicoPolicy, CalicoText, CiliumPolicy, ClusterPolicy, Inventory, NetworkPolicy,
    Origin, Suppression,
};
use crate::semantics::PolicyId;

/// A policy object as people name it: `kind`, `namespace/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyKey {
    /// `NetworkPolicy`, `AdminNetworkPolicy`, `CiliumNetworkPolicy`,
    /// `projectcalico.org/GlobalNetworkPolicy`...: the kinds of `summary.policies`.
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl PolicyKey {
    /// `kind namespace/name`.
    pub fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// One policy object of an inventory, whatever its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Object {
    Network(usize),
    Cluster(usize),
    Cilium(usize),
    Calico(usize),
}

impl Object {
    /// The object a compiled policy comes from (a Cilium rule's object).
    pub fn of(id: PolicyId) -> Object {
        match id {
            PolicyId::Network(i) => Object::Network(i),
            PolicyId::Cluster(i) => Object::Cluster(i),
            PolicyId::Cilium { policy, .. } => Object::Cilium(policy as usize),
            PolicyId::Calico(i) => Object::Calico(i),
        }
    }

    /// The compiled policies an object comes out as (one per rule of a Cilium object): the
    /// inverse of [`Object::of`].
    pub fn ids(self, inventory: &Inventory) -> Vec<PolicyId> {
        match self {
            Object::Network(i) => vec![PolicyId::Network(i)],
            Object::Cluster(i) => vec![PolicyId::Cluster(i)],
            Object::Calico(i) => vec![PolicyId::Calico(i)],
            Object::Cilium(i) => (0..inventory.cilium_policies[i].rules.len())
                .map(|s| PolicyId::Cilium {
                    policy: i as u32,
                    spec: s as u32,
                })
                .collect(),
        }
    }

    pub fn key(self, inventory: &Inventory) -> PolicyKey {
        match self {
            Object::Network(i) => {
                let p = &inventory.policies[i];
                PolicyKey {
                    kind: "NetworkPolicy".to_owned(),
                    namespace: Some(p.namespace.clone()),
                    name: p.name.clone(),
                }
            }
            Object::Cluster(i) => {
                let p = &inventory.cluster_policies[i];
                PolicyKey {
                    kind: p.kind.as_str().to_owned(),
                    namespace: None,
                    name: p.name.clone(),
                }
            }
            Object::Cilium(i) => {
                let p = &inventory.cilium_policies[i];
                PolicyKey {
                    kind: p.kind.as_str().to_owned(),
                    namespace: p.namespace.clone().filter(|_| !p.kind.cluster_scoped()),
                    name: p.name.clone(),
                }
            }
            Object::Calico(i) => {
                let p = &inventory.calico_policies[i];
                PolicyKey {
                    kind: p.kind.qualified().to_owned(),
                    namespace: p.namespace.clone(),
                    name: p.name.clone(),
                }
            }
        }
    }

    /// Where the object is written.
    pub fn origin(self, inventory: &Inventory) -> &Origin {
        match self {
            Object::Network(i) => &inventory.policies[i].origin,
            Object::Cluster(i) => &inventory.cluster_policies[i].origin,
            Object::Cilium(i) => &inventory.cilium_policies[i].origin,
            Object::Calico(i) => &inventory.calico_policies[i].origin,
        }
    }
}

/// Every policy object of an inventory, in kind then inventory order.
pub fn objects(inventory: &Inventory) -> impl Iterator<Item = Object> + '_ {
    (0..inventory.policies.len())
        .map(Object::Network)
        .chain((0..inventory.cluster_policies.len()).map(Object::Cluster))
        .chain((0..inventory.cilium_policies.len()).map(Object::Cilium))
        .chain((0..inventory.calico_policies.len()).map(Object::Calico))
}

/// How a policy object of the head stands against the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Same,
    Changed,
    Added,
    Removed,
}

/// The policy objects of both sides, matched by key.
pub struct Policies {
    /// For each object of the base, its counterpart in the head, if any, and its status.
    pub base: HashMap<Object, (Option<Object>, Status)>,
    /// For each object of the head, its counterpart in the base, if any, and its status.
    pub head: HashMap<Object, (Option<Object>, Status)>,
}

impl Policies {
    pub fn match_up(base: &Inventory, head: &Inventory) -> Policies {
        let base_keys: HashMap<PolicyKey, Object> =
            objects(base).map(|o| (o.key(base), o)).collect();
        let mut out = Policies {
            base: HashMap::new(),
            head: HashMap::new(),
        };
        for o in objects(head) {
            match base_keys.get(&o.key(head)) {
                Some(&b) => {
                    let status = if same_content(base, b, head, o) {
                        Status::Same
                    } else {
                        Status::Changed
                    };
                    out.head.insert(o, (Some(b), status));
                    out.base.insert(b, (Some(o), status));
                }
                None => {
                    out.head.insert(o, (None, Status::Added));
                }
            }
        }
        for o in objects(base) {
            out.base.entry(o).or_insert((None, Status::Removed));
        }
        out
    }

    pub fn head_status(&self, o: Object) -> Status {
        self.head.get(&o).map_or(Status::Added, |s| s.1)
    }

    pub fn base_status(&self, o: Object) -> Status {
        self.base.get(&o).map_or(Status::Removed, |s| s.1)
    }
}

/// Whether two objects (of the same key) say the same thing.
pub fn same_content(a: &Inventory, ao: Object, b: &Inventory, bo: Object) -> bool {
    match (ao, bo) {
        (Object::Network(i), Object::Network(j)) => {
            network(&a.policies[i]) == network(&b.policies[j])
        }
        (Object::Cluster(i), Object::Cluster(j)) => {
            cluster(&a.cluster_policies[i]) == cluster(&b.cluster_policies[j])
        }
        (Object::Cilium(i), Object::Cilium(j)) => {
            cilium(&a.cilium_policies[i]) == cilium(&b.cilium_policies[j])
        }
        (Object::Calico(i), Object::Calico(j)) => {
            calico(&a.calico_policies[i]) == calico(&b.calico_policies[j])
        }
        _ => false,
    }
}

fn network(p: &NetworkPolicy) -> NetworkPolicy {
    NetworkPolicy {
        origin: Origin::default(),
        suppression: Suppression::default(),
        ..p.clone()
    }
}

fn cluster(p: &ClusterPolicy) -> ClusterPolicy {
    ClusterPolicy {
        origin: Origin::default(),
        suppression: Suppression::default(),
        ..p.clone()
    }
}

fn cilium(p: &CiliumPolicy) -> CiliumPolicy {
    let mut out = CiliumPolicy {
        origin: Origin::default(),
        suppression: Suppression::default(),
        ..p.clone()
    };
    for r in &mut out.rules {
        r.line = None;
    }
    out
}

fn calico(p: &CalicoPolicy) -> CalicoPolicy {
    let text = |t: &mut Option<CalicoText>| {
        if let Some(t) = t {
            t.line = None;
            t.column = None;
        }
    };
    let entity = |e: &mut CalicoEntity| {
        text(&mut e.selector);
        text(&mut e.not_selector);
        text(&mut e.namespace_selector);
        if let Some(sa) = &mut e.service_accounts {
            text(&mut sa.selector);
        }
    };
    let mut out = CalicoPolicy {
        origin: Origin::default(),
        suppression: Suppression::default(),
        staged_kubernetes: p.staged_kubernetes.as_deref().map(|k| Box::new(network(k))),
        ..p.clone()
    };
    text(&mut out.selector);
    text(&mut out.namespace_selector);
    text(&mut out.service_account_selector);
    for r in out.ingress.iter_mut().chain(out.egress.iter_mut()) {
        r.line = None;
        entity(&mut r.source);
        entity(&mut r.destination);
    }
    out
}

/// Whether the Calico tiers (their order and default action) are the same on both sides.
pub fn same_tiers(a: &Inventory, b: &Inventory) -> bool {
    let strip = |inv: &Inventory| {
        let mut tiers: Vec<(String, Option<f64>, Option<String>)> = inv
            .calico_tiers
            .iter()
            .map(|t| (t.name.clone(), t.order, t.default_action.clone()))
            .collect();
        tiers.sort_by(|x, y| x.0.cmp(&y.0));
        tiers
    };
    strip(a) == strip(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;

    fn policy(name: &str, line: u32) -> NetworkPolicy {
        NetworkPolicy {
            namespace: "shop".into(),
            name: name.into(),
            pod_selector: Default::default(),
            policy_types: None,
            ingress: vec![],
            egress: vec![],
            suppression: Default::default(),
            origin: Origin {
                file: Some("a.yaml".into()),
                line: Some(line),
            },
        }
    }

    #[test]
    fn moving_a_policy_in_its_file_changes_nothing_and_a_new_rule_does() {
        let base = Inventory {
            policies: vec![policy("a", 1), policy("b", 10)],
            ..Default::default()
        };
        let mut moved = policy("a", 30);
        moved.suppression.rules = vec!["NPC001".into()];
        let mut widened = policy("b", 1);
        widened.ingress.push(Default::default());
        let head = Inventory {
            policies: vec![widened, moved, policy("c", 5)],
            ..Default::default()
        };
        let m = Policies::match_up(&base, &head);
        assert_eq!(m.head_status(Object::Network(0)), Status::Changed);
        assert_eq!(m.head_status(Object::Network(1)), Status::Same);
        assert_eq!(m.head_status(Object::Network(2)), Status::Added);
        assert_eq!(m.base_status(Object::Network(0)), Status::Same);
        assert_eq!(m.base_status(Object::Network(1)), Status::Changed);
    }
}
