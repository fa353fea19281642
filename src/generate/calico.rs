//! Generated policies written as Calico policies (projectcalico.org/v3), for `--policy-format
//! calico`: the same denies, allow-dns and completed rules as the NetworkPolicy form, each
//! translated so that Calico enforces what the NetworkPolicy would (SEMANTICS.md points 20-21).
//!
//! - Every policy lands in Calico's `default` tier without an `order`, after the Kubernetes
//!   NetworkPolicies (order 1000) already there. Generated rules only ever `Allow`, so within
//!   the tier their order does not matter: what no rule allows falls to the tier's Deny, the
//!   union a NetworkPolicy gives.
//! - A namespace whose default deny is generated for both directions joins one
//!   GlobalNetworkPolicy, written as Calico's "Enable default deny for Kubernetes pods" page
//!   (tigera/docs `calico/network-policy/get-started/kubernetes-default-deny.mdx`) writes its
//!   recommended `deny-app-policy`: `types: [Ingress, Egress]`, a `namespaceSelector` on
//!   `projectcalico.org/name`, and egress Allow rules for UDP and TCP 53 to kube-dns. Its
//!   selector names the namespaces the generator protects rather than excluding the system
//!   ones, so that namespaces left out (`--exclude-namespace`, the system ones, those of the
//!   cluster the input does not show) stay as they are. Only `generate` writes it; a chart
//!   (post-render) gets namespaced policies, which Helm keeps in the release namespace.
//! - Other denies follow the page's namespaced form (`selector: all()` and `types`).
//! - A label selector becomes a Calico expression: `k == "v"`, `k in {..}`, `k not in {..}`
//!   (which, as NotIn, also matches pods without the label), `has(k)`, `!has(k)`, `all()`.
//! - One Calico rule holds one source (or destination) and one protocol: a rule with several
//!   peers or protocols becomes one rule per peer and protocol. A port without protocol is TCP,
//!   Kubernetes' default (Calico's rule without `protocol` would match every protocol).

use serde::Serialize;

use super::{Metadata, Peer, PolicyManifest, Port, PortNumber, Selector};

/// The label Calico gives every namespace, holding its name.
pub const NAMESPACE_NAME: &str = "projectcalico.org/name";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CalicoManifest {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Metadata,
    pub spec: CalicoSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CalicoSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<String>,
    pub types: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<CalicoRule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<CalicoRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CalicoRule {
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Entity::is_empty")]
    pub source: Entity,
    #[serde(skip_serializing_if = "Entity::is_empty")]
    pub destination: Entity,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<CalicoPort>,
}

impl Entity {
    fn is_empty(&self) -> bool {
        *self == Entity::default()
    }
}

/// A port number, a `start:end` range, or a port name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CalicoPort {
    Number(i64),
    Text(String),
}

/// The manifest as a Calico policy: a GlobalNetworkPolicy when it stands for namespace default
/// denies ([`PolicyManifest::calico_namespaces`]), else a namespaced NetworkPolicy.
pub fn manifest(p: &PolicyManifest) -> CalicoManifest {
    let ingress = (p.spec.ingress.iter())
        .flat_map(|r| rules(&r.from, &r.ports, true))
        .collect();
    let egress = (p.spec.egress.iter())
        .flat_map(|r| rules(&r.to, &r.ports, false))
        .collect();
    let mut spec = CalicoSpec {
        selector: Some(expression(&p.spec.pod_selector)),
        namespace_selector: None,
        types: p.spec.policy_types.clone(),
        ingress,
        egress,
    };
    if p.calico_namespaces.is_empty() {
        return CalicoManifest {
            api_version: "projectcalico.org/v3",
            kind: "NetworkPolicy",
            metadata: p.metadata.clone(),
            spec,
        };
    }
    // As the documented policy: the namespaces select, the pod selector is left out (all()).
    spec.selector = None;
    spec.namespace_selector = Some(format!(
        "{NAMESPACE_NAME} in {{{}}}",
        quoted_list(&p.calico_namespaces)
    ));
    let mut metadata = p.metadata.clone();
    metadata.namespace = None;
    CalicoManifest {
        api_version: "projectcalico.org/v3",
        kind: "GlobalNetworkPolicy",
        metadata,
        spec,
    }
}

/// One NetworkPolicy rule as Calico rules: one per peer (none: every source or destination)
/// and protocol.
fn rules(peers: &[Peer], ports: &[Port], ingress: bool) -> Vec<CalicoRule> {
    let peers: Vec<Option<&Peer>> = if peers.is_empty() {
        vec![None]
    } else {
        peers.iter().map(Some).collect()
    };
    // (protocol, ports; empty: every port of it)
    let mut by_protocol: Vec<(String, Vec<CalicoPort>, bool)> = Vec::new();
    for p in ports {
        let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".to_owned());
        let i = match by_protocol.iter().position(|(x, _, _)| *x == protocol) {
            Some(i) => i,
            None => {
                by_protocol.push((protocol, vec![], false));
                by_protocol.len() - 1
            }
        };
        let entry = &mut by_protocol[i];
        match (&p.port, p.end_port) {
            (None, _) => entry.2 = true,
            (Some(PortNumber::Number(n)), Some(end)) => {
                entry.1.push(CalicoPort::Text(format!("{n}:{end}")))
            }
            (Some(PortNumber::Number(n)), None) => entry.1.push(CalicoPort::Number(*n)),
            (Some(PortNumber::Name(name)), _) => entry.1.push(CalicoPort::Text(name.clone())),
        }
    }
    let protocols: Vec<(Option<String>, Vec<CalicoPort>)> = if by_protocol.is_empty() {
        vec![(None, vec![])]
    } else {
        (by_protocol.into_iter())
            .map(|(protocol, ports, every)| (Some(protocol), if every { vec![] } else { ports }))
            .collect()
    };
    let mut out = Vec::new();
    for peer in &peers {
        for (protocol, ports) in &protocols {
            let mut other = Entity::default();
            if let Some(peer) = peer {
                other.selector = Some(expression(&peer.pod_selector));
                other.namespace_selector = peer.namespace_selector.as_ref().map(expression);
            }
            let mut rule = CalicoRule {
                action: "Allow",
                protocol: protocol.clone(),
                source: Entity::default(),
                destination: Entity::default(),
            };
            if ingress {
                rule.source = other;
                rule.destination.ports = ports.clone();
            } else {
                rule.destination = other;
                rule.destination.ports = ports.clone();
            }
            out.push(rule);
        }
    }
    out
}

/// A label selector as a Calico selector expression.
pub fn expression(s: &Selector) -> String {
    let mut terms: Vec<String> = (s.match_labels.iter())
        .map(|(k, v)| format!("{k} == \"{v}\""))
        .collect();
    for e in &s.match_expressions {
        terms.push(match e.operator.as_str() {
            "In" => format!("{} in {{{}}}", e.key, quoted_list(&e.values)),
            "NotIn" => format!("{} not in {{{}}}", e.key, quoted_list(&e.values)),
            "Exists" => format!("has({})", e.key),
            // DoesNotExist; the API server refuses any other operator.
            _ => format!("!has({})", e.key),
        });
    }
    if terms.is_empty() {
        "all()".to_owned()
    } else {
        terms.join(" && ")
    }
}

fn quoted_list(values: &[String]) -> String {
    (values.iter())
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::Expression;
    use super::*;

    #[test]
    fn selectors_become_calico_expressions() {
        let s = Selector {
            match_labels: BTreeMap::from([("app".to_owned(), "web".to_owned())]),
            match_expressions: vec![
                Expression {
                    key: "tier".into(),
                    operator: "NotIn".into(),
                    values: vec!["a".into(), "b".into()],
                },
                Expression {
                    key: "env".into(),
                    operator: "DoesNotExist".into(),
                    values: vec![],
                },
            ],
        };
        assert_eq!(
            expression(&s),
            r#"app == "web" && tier not in {"a", "b"} && !has(env)"#
        );
        assert_eq!(expression(&Selector::default()), "all()");
    }

    #[test]
    fn one_rule_per_peer_and_protocol() {
        let peer = |app: &str| Peer {
            namespace_selector: None,
            pod_selector: Selector {
                match_labels: BTreeMap::from([("app".to_owned(), app.to_owned())]),
                match_expressions: vec![],
            },
        };
        let port = |protocol: Option<&str>, port: Option<PortNumber>, end: Option<i64>| Port {
            protocol: protocol.map(str::to_owned),
            port,
            end_port: end,
        };
        let got = rules(
            &[peer("a"), peer("b")],
            &[
                port(None, Some(PortNumber::Number(80)), Some(90)),
                port(Some("UDP"), Some(PortNumber::Name("dns".into())), None),
                port(Some("TCP"), Some(PortNumber::Number(443)), None),
            ],
            true,
        );
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].protocol.as_deref(), Some("TCP"));
        assert_eq!(
            got[0].destination.ports,
            vec![CalicoPort::Text("80:90".into()), CalicoPort::Number(443)]
        );
        assert_eq!(got[1].protocol.as_deref(), Some("UDP"));
        assert_eq!(got[2].source.selector.as_deref(), Some(r#"app == "b""#));
        // A protocol without a port matches all of its ports.
        let all = rules(&[], &[port(Some("UDP"), None, None)], false);
        assert_eq!(all.len(), 1);
        assert!(all[0].destination.is_empty());
        assert_eq!(all[0].protocol.as_deref(), Some("UDP"));
        // No ports: every protocol.
        assert_eq!(rules(&[], &[], false)[0].protocol, None);
    }
}
