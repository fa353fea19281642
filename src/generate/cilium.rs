//! Generated policies written as CiliumNetworkPolicies (cilium.io/v2), for `--policy-format
//! cilium`: the same denies, allow-dns and completed rules as the NetworkPolicy form, each
//! translated so that Cilium enforces what the NetworkPolicy would (SEMANTICS.md points 17-19).
//!
//! - A direction among the policyTypes with no rule becomes `[{}]`: an empty Cilium rule
//!   allows nothing and turns default deny on (Cilium's documented default deny, "Ingress/Egress
//!   Default Deny" in `Documentation/security/policy/layer3.rst`), where `ingress: []` would be
//!   no section at all.
//! - `podSelector` becomes `endpointSelector`, confined to the policy's namespace as a
//!   NetworkPolicy's is. Labels Cilium leaves out of identities cannot be selected: they are
//!   left out of the selector (see [`identity_selector`]).
//! - A peer's namespaceSelector becomes `io.kubernetes.pod.namespace` (for the name label) and
//!   `io.cilium.k8s.namespace.labels.<key>` terms; with no positive term, an
//!   `io.kubernetes.pod.namespace` Exists term lifts the confinement to the policy's namespace,
//!   as a namespaceSelector does.
//! - Ports keep their protocol (TCP when absent, Kubernetes' default; Cilium's is ANY).
//! - allow-dns is written as Cilium's documentation writes it: `toEndpoints` with
//!   `io.kubernetes.pod.namespace: kube-system` and `k8s-app: kube-dns`, `toPorts` 53 with
//!   protocol ANY (cilium/cilium `examples/policies/l7/dns/dns.yaml`, included by
//!   `Documentation/security/policy/language.rst`, "DNS based"; without its `rules.dns`, which
//!   would send every query through Cilium's DNS proxy).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::NAMESPACE_NAME_LABEL;
use crate::semantics::cilium_selector::{in_identity, POD_NAMESPACE};

use super::{Expression, Metadata, Peer, PolicyManifest, Port, PortNumber, Selector};

/// The prefix of namespace labels in Cilium endpoint selectors.
const NAMESPACE_LABELS: &str = "io.cilium.k8s.namespace.labels.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CiliumManifest {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Metadata,
    pub spec: CiliumSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CiliumSpec {
    pub endpoint_selector: Selector,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<IngressRule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<EgressRule>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_endpoints: Option<Vec<Selector>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_entities: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_ports: Option<Vec<PortRule>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EgressRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_endpoints: Option<Vec<Selector>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_entities: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_ports: Option<Vec<PortRule>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortRule {
    pub ports: Vec<CiliumPort>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CiliumPort {
    pub port: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_port: Option<i64>,
    pub protocol: String,
}

/// One rule's peers and ports, whichever the direction.
struct Translated {
    endpoints: Option<Vec<Selector>>,
    entities: Option<Vec<&'static str>>,
    to_ports: Option<Vec<PortRule>>,
}

/// The manifest as a CiliumNetworkPolicy.
pub fn manifest(p: &PolicyManifest) -> CiliumManifest {
    let types = &p.spec.policy_types;
    let denies = |t: &str| types.contains(&t);
    let mut ingress: Vec<IngressRule> = (p.spec.ingress.iter())
        .map(|r| {
            let t = translate(&r.from, &r.ports, p.dns);
            IngressRule {
                from_endpoints: t.endpoints,
                from_entities: t.entities,
                to_ports: t.to_ports,
            }
        })
        .collect();
    let mut egress: Vec<EgressRule> = (p.spec.egress.iter())
        .map(|r| {
            let t = translate(&r.to, &r.ports, p.dns);
            EgressRule {
                to_endpoints: t.endpoints,
                to_entities: t.entities,
                to_ports: t.to_ports,
            }
        })
        .collect();
    if ingress.is_empty() && denies("Ingress") {
        ingress.push(IngressRule::default());
    }
    if egress.is_empty() && denies("Egress") {
        egress.push(EgressRule::default());
    }
    CiliumManifest {
        api_version: "cilium.io/v2",
        kind: "CiliumNetworkPolicy",
        metadata: p.metadata.clone(),
        spec: CiliumSpec {
            endpoint_selector: identity_selector(&p.spec.pod_selector).0,
            ingress,
            egress,
        },
    }
}

fn translate(peers: &[Peer], ports: &[Port], dns: bool) -> Translated {
    let (endpoints, entities) = if peers.is_empty() {
        // A NetworkPolicy rule without peers admits every peer; Cilium's rule without one
        // would admit none (or, with ports, every peer on them): `all` says it either way.
        (None, Some(vec!["all"]))
    } else {
        (Some(peers.iter().map(endpoint_selector).collect()), None)
    };
    let to_ports = (!ports.is_empty()).then(|| {
        let ports = if dns {
            vec![CiliumPort {
                port: "53".to_owned(),
                end_port: None,
                protocol: "ANY".to_owned(),
            }]
        } else {
            ports.iter().map(port).collect()
        };
        vec![PortRule { ports }]
    });
    Translated {
        endpoints,
        entities,
        to_ports,
    }
}

fn port(p: &Port) -> CiliumPort {
    CiliumPort {
        port: match &p.port {
            None => "0".to_owned(),
            Some(PortNumber::Number(n)) => n.to_string(),
            Some(PortNumber::Name(name)) => name.clone(),
        },
        end_port: p.end_port,
        protocol: p.protocol.clone().unwrap_or_else(|| "TCP".to_owned()),
    }
}

/// A NetworkPolicy peer as one Cilium endpoint selector.
fn endpoint_selector(peer: &Peer) -> Selector {
    let mut out = identity_selector(&peer.pod_selector).0;
    let Some(ns) = &peer.namespace_selector else {
        return out;
    };
    let key = |k: &str| match k {
        NAMESPACE_NAME_LABEL => POD_NAMESPACE.to_owned(),
        other => format!("{NAMESPACE_LABELS}{other}"),
    };
    for (k, v) in &ns.match_labels {
        out.match_labels.insert(key(k), v.clone());
    }
    for e in &ns.match_expressions {
        out.match_expressions.push(Expression {
            key: key(&e.key),
            operator: e.operator.clone(),
            values: e.values.clone(),
        });
    }
    let positive = !ns.match_labels.is_empty()
        || (ns.match_expressions.iter()).any(|e| e.operator == "In" || e.operator == "Exists");
    if !positive {
        out.match_expressions.push(Expression {
            key: POD_NAMESPACE.to_owned(),
            operator: "Exists".to_owned(),
            values: vec![],
        });
    }
    out
}

/// The selector without the labels Cilium leaves out of identities (which no endpoint
/// selector can match), and those labels. When they are all it has, it is kept whole: an
/// empty selector would select every pod of the namespace, where the NetworkPolicy selected
/// a few; as written it selects nothing, which the notes say.
pub fn identity_selector(s: &Selector) -> (Selector, Vec<String>) {
    let dropped: Vec<String> = (s.match_labels.keys())
        .chain(s.match_expressions.iter().map(|e| &e.key))
        .filter(|k| !in_identity(k))
        .cloned()
        .collect();
    let kept = Selector {
        match_labels: (s.match_labels.iter())
            .filter(|(k, _)| in_identity(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        match_expressions: (s.match_expressions.iter())
            .filter(|e| in_identity(&e.key))
            .cloned()
            .collect(),
    };
    if dropped.is_empty() || (kept.match_labels.is_empty() && kept.match_expressions.is_empty()) {
        return (s.clone(), dropped);
    }
    (kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(labels: &[(&str, &str)]) -> Selector {
        Selector {
            match_labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            match_expressions: vec![],
        }
    }

    fn peer(namespaces: Option<Selector>, pods: Selector) -> Peer {
        Peer {
            namespace_selector: namespaces,
            pod_selector: pods,
        }
    }

    #[test]
    fn namespace_selectors_become_pseudo_labels() {
        // The name label: the pod namespace pseudo-label.
        let s = endpoint_selector(&peer(
            Some(selector(&[(NAMESPACE_NAME_LABEL, "shop")])),
            selector(&[("app", "web")]),
        ));
        assert_eq!(
            s,
            selector(&[("app", "web"), ("io.kubernetes.pod.namespace", "shop")])
        );
        // Other labels: Cilium's namespace label prefix.
        let s = endpoint_selector(&peer(Some(selector(&[("team", "a")])), selector(&[])));
        assert_eq!(s, selector(&[("io.cilium.k8s.namespace.labels.team", "a")]));
        // Every namespace: a positive term, or the selector stays in the policy's namespace.
        let s = endpoint_selector(&peer(Some(selector(&[])), selector(&[])));
        assert_eq!(s.match_expressions.len(), 1);
        assert_eq!(s.match_expressions[0].key, POD_NAMESPACE);
        assert_eq!(s.match_expressions[0].operator, "Exists");
        // No namespaceSelector: the policy's namespace, as in the NetworkPolicy.
        let s = endpoint_selector(&peer(None, selector(&[("app", "web")])));
        assert_eq!(s, selector(&[("app", "web")]));
    }

    #[test]
    fn a_rule_without_peers_admits_all_and_ports_keep_their_protocol() {
        let t = translate(
            &[],
            &[
                Port {
                    protocol: None,
                    port: Some(PortNumber::Number(80)),
                    end_port: Some(90),
                },
                Port {
                    protocol: Some("UDP".into()),
                    port: None,
                    end_port: None,
                },
            ],
            false,
        );
        assert_eq!(t.entities, Some(vec!["all"]));
        assert_eq!(t.endpoints, None);
        let ports = &t.to_ports.unwrap()[0].ports;
        assert_eq!(
            (
                ports[0].port.as_str(),
                ports[0].end_port,
                ports[0].protocol.as_str()
            ),
            ("80", Some(90), "TCP")
        );
        assert_eq!(
            (ports[1].port.as_str(), ports[1].protocol.as_str()),
            ("0", "UDP")
        );
    }

    #[test]
    fn labels_cilium_does_not_keep_are_left_out_unless_they_are_all() {
        let (kept, dropped) =
            identity_selector(&selector(&[("app", "web"), ("pod-template-hash", "abc")]));
        assert_eq!(kept, selector(&[("app", "web")]));
        assert_eq!(dropped, vec!["pod-template-hash"]);
        // Dropping them all would select the whole namespace.
        let only = selector(&[("pod-template-hash", "abc")]);
        assert_eq!(
            identity_selector(&only),
            (only.clone(), vec!["pod-template-hash".to_owned()])
        );
        let fine = selector(&[("app.kubernetes.io/name", "cache")]);
        assert_eq!(identity_selector(&fine), (fine.clone(), vec![]));
    }
}
