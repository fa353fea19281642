//! The wire shape of the Kubernetes objects we read, as serde types, and their conversion into
//! the inventory's model.
//!
//! One struct covers the fields of every kind we read (their names do not collide), so a
//! document is deserialised in a single pass without knowing its kind first. Fields we do not
//! need are skipped by serde without allocating. Every field is optional because YAML writes
//! `null` as freely as it omits a field.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::lists::exact;
use crate::model::{
    CiliumCidrRule, CiliumPeerRule, CiliumPort, CiliumPortRule, CiliumRule, ClusterPeer,
    ClusterPort, ClusterRule, ContainerPort, IpBlock, LabelSelector, Labels, NamespacedPods, Peer,
    PolicyPort, PortValue, Requirement, Rule, Suppression,
};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a Kubernetes object")]
pub struct RawObject {
    #[serde(default, deserialize_with = "checked::string")]
    pub api_version: Option<String>,
    #[serde(default, deserialize_with = "checked::string")]
    pub kind: Option<String>,
    pub metadata: Option<RawMeta>,
    pub spec: Option<RawSpec>,
    /// CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy: a list of rules beside (or
    /// instead of) the one in `spec` (cilium `pkg/k8s/apis/cilium.io/v2/cnp_types.go`).
    pub specs: Option<Vec<RawSpec>>,
    pub status: Option<RawStatus>,
    /// `List`, `PodList`, ... wrappers.
    pub items: Option<Vec<RawObject>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "an object status")]
pub struct RawStatus {
    #[serde(default, deserialize_with = "checked::string")]
    pub phase: Option<String>,
    /// Read for Cilium policies only (their `Valid` condition); other kinds' conditions are
    /// skipped whatever their shape, so that a hand-written Pod status never fails a run.
    #[serde(default)]
    pub conditions: RawConditions,
}

/// `status.conditions`, leniently: entries that are not `{type, status, message}` strings are
/// left out rather than refused.
#[derive(Debug, Default)]
pub struct RawConditions(pub Vec<RawCondition>);

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RawCondition {
    pub type_: Option<String>,
    pub status: Option<String>,
    pub message: Option<String>,
}

impl<'de> Deserialize<'de> for RawConditions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// A string, or nothing for any other value.
        struct Lenient(Option<String>);
        impl<'de> Deserialize<'de> for Lenient {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Lenient;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("any value")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Lenient, E> {
                        Ok(Lenient(Some(v.to_owned())))
                    }
                    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Lenient, E> {
                        Ok(Lenient(None))
                    }
                    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Lenient, E> {
                        Ok(Lenient(None))
                    }
                    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Lenient, E> {
                        Ok(Lenient(None))
                    }
                    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Lenient, E> {
                        Ok(Lenient(None))
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<Lenient, E> {
                        Ok(Lenient(None))
                    }
                    fn visit_none<E: de::Error>(self) -> Result<Lenient, E> {
                        Ok(Lenient(None))
                    }
                    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Lenient, D::Error> {
                        Lenient::deserialize(d)
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lenient, A::Error> {
                        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                        Ok(Lenient(None))
                    }
                    fn visit_map<A: de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Lenient, A::Error> {
                        while map
                            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                            .is_some()
                        {}
                        Ok(Lenient(None))
                    }
                }
                d.deserialize_any(V)
            }
        }
        struct Entry(Option<RawCondition>);
        impl<'de> Deserialize<'de> for Entry {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Entry;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a condition")
                    }
                    fn visit_map<A: de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Entry, A::Error> {
                        let mut c = RawCondition::default();
                        while let Some(key) = map.next_key::<Lenient>()? {
                            let value = map.next_value::<Lenient>()?.0;
                            match key.0.as_deref() {
                                Some("type") => c.type_ = value,
                                Some("status") => c.status = value,
                                Some("message") => c.message = value,
                                _ => {}
                            }
                        }
                        Ok(Entry(Some(c)))
                    }
                    fn visit_str<E: de::Error>(self, _: &str) -> Result<Entry, E> {
                        Ok(Entry(None))
                    }
                    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Entry, E> {
                        Ok(Entry(None))
                    }
                    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Entry, E> {
                        Ok(Entry(None))
                    }
                    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Entry, E> {
                        Ok(Entry(None))
                    }
                    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Entry, E> {
                        Ok(Entry(None))
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<Entry, E> {
                        Ok(Entry(None))
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entry, A::Error> {
                        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                        Ok(Entry(None))
                    }
                }
                d.deserialize_any(V)
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawConditions;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("conditions")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawConditions, A::Error> {
                let mut out = Vec::new();
                while let Some(e) = seq.next_element::<Entry>()? {
                    out.extend(e.0);
                }
                Ok(RawConditions(out))
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawConditions, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(RawConditions::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<RawConditions, E> {
                Ok(RawConditions::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<RawConditions, E> {
                Ok(RawConditions::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<RawConditions, E> {
                Ok(RawConditions::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<RawConditions, E> {
                Ok(RawConditions::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<RawConditions, E> {
                Ok(RawConditions::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<RawConditions, E> {
                Ok(RawConditions::default())
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "object metadata")]
pub struct RawMeta {
    #[serde(default, deserialize_with = "checked::string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "checked::string")]
    pub generate_name: Option<String>,
    #[serde(default, deserialize_with = "checked::string")]
    pub namespace: Option<String>,
    #[serde(default, deserialize_with = "checked::labels")]
    pub labels: Option<Labels>,
    pub annotations: Option<RawAnnotations>,
    pub owner_references: Option<Vec<RawOwnerRef>>,
}

/// Only the annotations we act on; the rest (often large, like
/// `kubectl.kubernetes.io/last-applied-configuration`) are skipped unread.
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a map of annotations")]
pub struct RawAnnotations {
    #[serde(rename = "netpol-check.io/ignore")]
    #[serde(default, deserialize_with = "checked::string")]
    pub ignore: Option<String>,
    #[serde(rename = "netpol-check.io/ignore-reason")]
    #[serde(default, deserialize_with = "checked::string")]
    pub ignore_reason: Option<String>,
    #[serde(rename = "helm.sh/hook")]
    #[serde(default, deserialize_with = "checked::string")]
    pub helm_hook: Option<String>,
    #[serde(rename = "postrenderer.helm.sh/postrender-filename")]
    #[serde(default, deserialize_with = "checked::string")]
    pub helm_filename: Option<String>,
    /// Helm's ownership of an installed object: which release `helm upgrade` deletes it with.
    #[serde(rename = "meta.helm.sh/release-name")]
    #[serde(default, deserialize_with = "checked::string")]
    pub helm_release_name: Option<String>,
    #[serde(rename = "meta.helm.sh/release-namespace")]
    #[serde(default, deserialize_with = "checked::string")]
    pub helm_release_namespace: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "an owner reference")]
pub struct RawOwnerRef {
    #[serde(default, deserialize_with = "checked::string")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "checked::string")]
    pub name: Option<String>,
    pub controller: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "an object spec")]
pub struct RawSpec {
    // Controllers.
    pub template: Option<RawPodTemplate>,
    pub job_template: Option<RawJobTemplate>,
    pub replicas: Option<i64>,
    pub parallelism: Option<i64>,
    // Pods.
    pub host_network: Option<bool>,
    #[serde(default, deserialize_with = "checked::string")]
    pub service_account_name: Option<String>,
    pub containers: Option<Vec<RawContainer>>,
    pub init_containers: Option<Vec<RawContainer>>,
    // NetworkPolicies.
    pub pod_selector: Option<RawSelector>,
    #[serde(default, deserialize_with = "checked::strings")]
    pub policy_types: Option<Vec<String>>,
    pub ingress: Option<Vec<RawRule>>,
    pub egress: Option<Vec<RawRule>>,
    // The cluster-scoped tiers (policy.networking.k8s.io); `ingress` and `egress` above are
    // theirs too, their rules and peers a superset of NetworkPolicy's.
    pub subject: Option<RawPeer>,
    pub priority: Option<i64>,
    #[serde(default, deserialize_with = "checked::string")]
    pub tier: Option<String>,
    // Cilium rules (cilium `pkg/policy/api/rule.go`, `Rule`); `ingress` and `egress` above
    // hold theirs too, with the Cilium fields of [`RawRule`].
    pub endpoint_selector: Option<RawSelector>,
    pub node_selector: Option<RawSelector>,
    pub ingress_deny: Option<Vec<RawRule>>,
    pub egress_deny: Option<Vec<RawRule>>,
    pub enable_default_deny: Option<RawDefaultDeny>,
    #[serde(default, deserialize_with = "checked::string")]
    pub description: Option<String>,
    // Calico's StagedKubernetesNetworkPolicy: a NetworkPolicy spec and this (projectcalico/api
    // `stagedkubernetesnetworkpolicy.go`). Calico's other kinds have their own types.
    #[serde(default, deserialize_with = "checked::string")]
    pub staged_action: Option<String>,
}

/// Cilium's `DefaultDenyConfig` (`rule.go`).
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "enableDefaultDeny with ingress and egress booleans")]
pub struct RawDefaultDeny {
    pub ingress: Option<bool>,
    pub egress: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a job template")]
pub struct RawJobTemplate {
    pub spec: Option<RawJobSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a job spec")]
pub struct RawJobSpec {
    pub template: Option<RawPodTemplate>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a pod template")]
pub struct RawPodTemplate {
    pub metadata: Option<RawMeta>,
    pub spec: Option<RawPodSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a pod spec")]
pub struct RawPodSpec {
    pub host_network: Option<bool>,
    #[serde(default, deserialize_with = "checked::string")]
    pub service_account_name: Option<String>,
    pub containers: Option<Vec<RawContainer>>,
    pub init_containers: Option<Vec<RawContainer>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a container")]
pub struct RawContainer {
    #[serde(default, deserialize_with = "checked::string")]
    pub image: Option<String>,
    pub ports: Option<Vec<RawContainerPort>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a container port")]
pub struct RawContainerPort {
    #[serde(default, deserialize_with = "checked::string")]
    pub name: Option<String>,
    pub container_port: Option<i64>,
    #[serde(default, deserialize_with = "checked::string")]
    pub protocol: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a label selector")]
pub struct RawSelector {
    #[serde(default, deserialize_with = "checked::labels")]
    pub match_labels: Option<Labels>,
    pub match_expressions: Option<Vec<RawRequirement>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a label selector requirement")]
pub struct RawRequirement {
    #[serde(default, deserialize_with = "checked::string")]
    pub key: Option<String>,
    #[serde(default, deserialize_with = "checked::string")]
    pub operator: Option<String>,
    #[serde(default, deserialize_with = "checked::strings")]
    pub values: Option<Vec<String>>,
}

/// A rule of a NetworkPolicy, of a cluster-scoped policy (`name`, `action` and `protocols` are
/// theirs only) or of a Cilium policy (the `from*`/`to*` fields, `toPorts`, `icmps`; cilium
/// `pkg/policy/api/ingress.go` `IngressCommonRule`/`IngressRule`/`IngressDenyRule`, `egress.go`
/// `EgressCommonRule`/`EgressRule`/`EgressDenyRule`). The field names of the three APIs do not
/// collide; each conversion treats the others' as unknown.
#[derive(Debug, Default)]
pub struct RawRule {
    pub from: Option<Vec<RawPeer>>,
    pub to: Option<Vec<RawPeer>>,
    pub ports: Option<Vec<RawPolicyPort>>,
    pub name: Option<String>,
    pub action: Option<String>,
    pub protocols: Option<Vec<RawProtocol>>,
    pub cilium: Option<Box<RawCiliumRule>>,
}

/// The Cilium fields of a rule, both directions' (an ingress rule's `toEndpoints` is unknown
/// there, and said so). Boxed and made on the first such field: NetworkPolicy rules, by far
/// the most read, have none.
#[derive(Debug, Default)]
pub struct RawCiliumRule {
    pub from_endpoints: Option<Vec<RawSelector>>,
    pub to_endpoints: Option<Vec<RawSelector>>,
    pub from_requires: Option<Vec<RawSelector>>,
    pub to_requires: Option<Vec<RawSelector>>,
    pub from_cidr: Option<Vec<String>>,
    pub to_cidr: Option<Vec<String>>,
    pub from_cidr_set: Option<Vec<RawCidrRule>>,
    pub to_cidr_set: Option<Vec<RawCidrRule>>,
    pub from_entities: Option<Vec<String>>,
    pub to_entities: Option<Vec<String>>,
    pub from_nodes: Option<Vec<RawSelector>>,
    pub to_nodes: Option<Vec<RawSelector>>,
    /// `fromGroups`/`toGroups` entries (cloud provider groups), counted.
    pub from_groups: Option<usize>,
    pub to_groups: Option<usize>,
    pub to_fqdns: Option<Vec<RawFqdn>>,
    pub to_services: Option<Vec<RawService>>,
    pub to_ports: Option<Vec<RawCiliumPortRule>>,
    /// `icmps` entries, counted.
    pub icmps: Option<usize>,
    /// Keys of none of the three APIs, by name.
    pub other: Vec<String>,
}

/// A string checked as the other fields are (`checked::string`).
struct OptString(Option<String>);

impl<'de> Deserialize<'de> for OptString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked::string(d).map(OptString)
    }
}

/// A list whose entries are only counted, whatever they hold.
struct Count(Option<usize>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Count(
            Option::<Vec<de::IgnoredAny>>::deserialize(d)?.map(|v| v.len()),
        ))
    }
}

// By hand, as [`RawPeer`], to keep the keys no API knows.
impl<'de> Deserialize<'de> for RawRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RuleVisitor;
        impl<'de> Visitor<'de> for RuleVisitor {
            type Value = RawRule;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a policy rule")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<RawRule, A::Error> {
                let mut r = RawRule::default();
                let mut cilium: Option<Box<RawCiliumRule>> = None;
                fn get(c: &mut Option<Box<RawCiliumRule>>) -> &mut RawCiliumRule {
                    c.get_or_insert_with(Default::default)
                }
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "from" => r.from = map.next_value()?,
                        "to" => r.to = map.next_value()?,
                        "ports" => r.ports = map.next_value()?,
                        "name" => r.name = map.next_value::<OptString>()?.0,
                        "action" => r.action = map.next_value::<OptString>()?.0,
                        "protocols" => r.protocols = map.next_value()?,
                        "fromEndpoints" => get(&mut cilium).from_endpoints = map.next_value()?,
                        "toEndpoints" => get(&mut cilium).to_endpoints = map.next_value()?,
                        "fromRequires" => get(&mut cilium).from_requires = map.next_value()?,
                        "toRequires" => get(&mut cilium).to_requires = map.next_value()?,
                        "fromCIDR" => get(&mut cilium).from_cidr = map.next_value::<Strings>()?.0,
                        "toCIDR" => get(&mut cilium).to_cidr = map.next_value::<Strings>()?.0,
                        "fromCIDRSet" => get(&mut cilium).from_cidr_set = map.next_value()?,
                        "toCIDRSet" => get(&mut cilium).to_cidr_set = map.next_value()?,
                        "fromEntities" => {
                            get(&mut cilium).from_entities = map.next_value::<Strings>()?.0
                        }
                        "toEntities" => {
                            get(&mut cilium).to_entities = map.next_value::<Strings>()?.0
                        }
                        "fromNodes" => get(&mut cilium).from_nodes = map.next_value()?,
                        "toNodes" => get(&mut cilium).to_nodes = map.next_value()?,
                        "fromGroups" => get(&mut cilium).from_groups = map.next_value::<Count>()?.0,
                        "toGroups" => get(&mut cilium).to_groups = map.next_value::<Count>()?.0,
                        "toFQDNs" => get(&mut cilium).to_fqdns = map.next_value()?,
                        "toServices" => get(&mut cilium).to_services = map.next_value()?,
                        "toPorts" => get(&mut cilium).to_ports = map.next_value()?,
                        "icmps" => get(&mut cilium).icmps = map.next_value::<Count>()?.0,
                        // Mutual authentication (`rule.go` `Authentication`): it narrows who
                        // may connect, which this tool does not model; not an unknown field.
                        "authentication" => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                            get(&mut cilium).other.push(key);
                        }
                    }
                }
                r.cilium = cilium;
                Ok(r)
            }
        }
        d.deserialize_map(RuleVisitor)
    }
}

/// A `fromCIDRSet`/`toCIDRSet` entry (cilium `pkg/policy/api/cidr.go`, `CIDRRule`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a CIDR rule")]
pub struct RawCidrRule {
    #[serde(default, deserialize_with = "checked::string")]
    pub cidr: Option<String>,
    #[serde(default, deserialize_with = "checked::strings")]
    pub except: Option<Vec<String>>,
    #[serde(default, deserialize_with = "checked::string")]
    pub cidr_group_ref: Option<String>,
    pub cidr_group_selector: Option<RawSelector>,
}

/// A `toFQDNs` entry (cilium `pkg/policy/api/fqdn.go`, `FQDNSelector`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "an FQDN selector")]
pub struct RawFqdn {
    #[serde(default, deserialize_with = "checked::string")]
    pub match_name: Option<String>,
    #[serde(default, deserialize_with = "checked::string")]
    pub match_pattern: Option<String>,
}

/// A `toServices` entry (cilium `pkg/policy/api/service.go`, `Service`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a service selector")]
pub struct RawService {
    pub k8s_service: Option<RawK8sService>,
    pub k8s_service_selector: Option<RawK8sServiceSelector>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a service name and namespace")]
pub struct RawK8sService {
    #[serde(default, deserialize_with = "checked::string")]
    pub service_name: Option<String>,
    #[serde(default, deserialize_with = "checked::string")]
    pub namespace: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a service selector and namespace")]
pub struct RawK8sServiceSelector {
    pub selector: Option<RawSelector>,
    #[serde(default, deserialize_with = "checked::string")]
    pub namespace: Option<String>,
}

/// A `toPorts` entry (cilium `pkg/policy/api/l4.go`, `PortRule`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a port rule")]
pub struct RawCiliumPortRule {
    pub ports: Option<Vec<RawCiliumPort>>,
    /// `L7Rules`: `http`, `kafka`, `dns`, `l7proto`/`l7`, by key.
    pub rules: Option<BTreeMap<String, de::IgnoredAny>>,
    pub server_names: Option<de::IgnoredAny>,
    #[serde(rename = "terminatingTLS")]
    pub terminating_tls: Option<de::IgnoredAny>,
    #[serde(rename = "originatingTLS")]
    pub originating_tls: Option<de::IgnoredAny>,
    pub listener: Option<de::IgnoredAny>,
}

/// A `ports` entry (`l4.go`, `PortProtocol`): `port` is a string in the CRD (a number, `"0"`
/// or an IANA service name), refused as a number by the API server like any string field.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a port and protocol")]
pub struct RawCiliumPort {
    #[serde(default, deserialize_with = "cilium_port")]
    pub port: Option<String>,
    pub end_port: Option<i64>,
    #[serde(default, deserialize_with = "checked::string")]
    pub protocol: Option<String>,
}

/// A Cilium `port`, a string field that nearly always holds a number (`port: "80"`). As
/// [`checked::string`], but resolved: `checked::string` cannot tell a quoted `"80"` from a
/// plain `80` (which kubectl writes as a number, and the API server refuses), so it sent every
/// Cilium policy with ports to the exact reader, at twice the cost of the rest of the file.
/// Resolving the scalar, serde_norway hands over a plain `80` as a number (refused here as by
/// the API server) and a string only when it was quoted or is one in YAML 1.2 too; of those,
/// the ones YAML 1.1 reads otherwise (`0123`, `1_000`) still go to the exact reader.
fn cilium_port<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Port(String);
    impl<'de> Deserialize<'de> for Port {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Port;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a string")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Port, E> {
                    if checked::reading_yaml() && crate::source::yaml11::only_yaml11_non_string(v) {
                        return Err(E::custom(checked::REREAD));
                    }
                    Ok(Port(v.to_owned()))
                }
            }
            d.deserialize_any(V)
        }
    }
    Ok(Option::<Port>::deserialize(d)?.map(|p| p.0))
}

/// A NetworkPolicy peer, or a cluster-scoped policy's subject or peer
/// (network-policy-api `apis/v1alpha2/clusternetworkpolicy_types.go`, `ClusterNetworkPolicyEgressPeer`;
/// `apis/v1alpha1/shared_types.go`). Other keys are kept by name: a cluster-scoped peer whose
/// only field this version does not know fails closed (SEMANTICS.md point 15).
#[derive(Debug, Default)]
pub struct RawPeer {
    pub pod_selector: Option<RawSelector>,
    pub namespace_selector: Option<RawSelector>,
    pub ip_block: Option<RawIpBlock>,
    pub namespaces: Option<RawSelector>,
    pub pods: Option<RawNamespacedPods>,
    pub nodes: Option<RawSelector>,
    pub networks: Option<Vec<String>>,
    pub domain_names: Option<Vec<String>>,
    /// The other keys, by name.
    pub other: Vec<String>,
}

/// A string list checked as the other fields are (`checked::strings`).
struct Strings(Option<Vec<String>>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked::strings(d).map(Strings)
    }
}

// By hand rather than derived with `#[serde(flatten)]` for the other keys: flatten buffers
// every peer of every NetworkPolicy before reading it, which cost 13% more memory on the
// 100,000-workload benchmark.
impl<'de> Deserialize<'de> for RawPeer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PeerVisitor;
        impl<'de> Visitor<'de> for PeerVisitor {
            type Value = RawPeer;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a policy peer")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<RawPeer, A::Error> {
                let mut peer = RawPeer::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "podSelector" => peer.pod_selector = map.next_value()?,
                        "namespaceSelector" => peer.namespace_selector = map.next_value()?,
                        "ipBlock" => peer.ip_block = map.next_value()?,
                        "namespaces" => peer.namespaces = map.next_value()?,
                        "pods" => peer.pods = map.next_value()?,
                        "nodes" => peer.nodes = map.next_value()?,
                        "networks" => peer.networks = map.next_value::<Strings>()?.0,
                        "domainNames" => peer.domain_names = map.next_value::<Strings>()?.0,
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                            peer.other.push(key);
                        }
                    }
                }
                Ok(peer)
            }
        }
        d.deserialize_map(PeerVisitor)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a namespaceSelector and a podSelector")]
pub struct RawNamespacedPods {
    pub namespace_selector: Option<RawSelector>,
    pub pod_selector: Option<RawSelector>,
}

/// A ClusterNetworkPolicy `protocols` entry: exactly one field is allowed.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a protocol match")]
pub struct RawProtocol {
    pub tcp: Option<RawProtocolMatch>,
    pub udp: Option<RawProtocolMatch>,
    pub sctp: Option<RawProtocolMatch>,
    #[serde(default, deserialize_with = "checked::string")]
    pub destination_named_port: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a protocol's port match")]
pub struct RawProtocolMatch {
    pub destination_port: Option<RawDestinationPort>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a port number or range")]
pub struct RawDestinationPort {
    pub number: Option<i64>,
    pub range: Option<RawPortRange>,
}

/// `range` (v1alpha2+) and `portRange` (v1alpha1, with a protocol).
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a port range")]
pub struct RawPortRange {
    #[serde(default, deserialize_with = "checked::string")]
    pub protocol: Option<String>,
    pub start: Option<i64>,
    pub end: Option<i64>,
}

/// v1alpha1 `portNumber`.
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a port number")]
pub struct RawPortNumber {
    #[serde(default, deserialize_with = "checked::string")]
    pub protocol: Option<String>,
    pub port: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "an ipBlock")]
pub struct RawIpBlock {
    #[serde(default, deserialize_with = "checked::string")]
    pub cidr: Option<String>,
    #[serde(default, deserialize_with = "checked::strings")]
    pub except: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a policy port")]
pub struct RawPolicyPort {
    #[serde(default, deserialize_with = "checked::string")]
    pub protocol: Option<String>,
    pub port: Option<IntOrString>,
    pub end_port: Option<i64>,
    // AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1) `ports` entries.
    pub port_number: Option<RawPortNumber>,
    pub port_range: Option<RawPortRange>,
    #[serde(default, deserialize_with = "checked::string")]
    pub named_port: Option<String>,
}

/// `intstr.IntOrString`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntOrString(pub PortValue);

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IntOrString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port number or name")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrString, E> {
                Ok(IntOrString(PortValue::Number(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrString, E> {
                i64::try_from(v)
                    .map(|v| IntOrString(PortValue::Number(v)))
                    .map_err(|_| E::custom("port number out of range"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntOrString, E> {
                // serde_norway resolves plain numbers as YAML 1.2 does: `0123` and `8_0`
                // arrive as strings, where kubectl reads 83 and 80.
                if checked::reading_yaml() && crate::source::yaml11::only_yaml11_non_string(v) {
                    return Err(E::custom(checked::REREAD));
                }
                Ok(IntOrString(PortValue::Name(v.to_owned())))
            }
        }
        d.deserialize_any(V)
    }
}

/// String fields as the API server decodes them, from JSON written by kubectl: a number, a
/// boolean or an object where a string is required is refused, and `null` leaves a label
/// value or list element empty. Reading YAML, serde_norway hands any scalar over as a string
/// without saying whether it was quoted; one that kubectl could read as something else (`1`,
/// `yes`, `~`) sends the document to [`crate::source::yaml11`], which knows.
pub mod checked {
    use std::cell::Cell;
    use std::fmt;

    use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde::Deserialize;

    use crate::model::Labels;
    use crate::source::yaml11::maybe_not_string;

    /// The message of the error that sends a document to the exact reader.
    pub const REREAD: &str = "netpol-check: read this document as kubectl does";

    thread_local! {
        static READING_YAML: Cell<bool> = const { Cell::new(false) };
    }

    /// Runs `f` (a serde_norway deserialisation) with the checks on.
    pub fn while_reading_yaml<T>(f: impl FnOnce() -> T) -> T {
        READING_YAML.with(|r| r.set(true));
        let out = f();
        READING_YAML.with(|r| r.set(false));
        out
    }

    pub fn reading_yaml() -> bool {
        READING_YAML.with(Cell::get)
    }

    /// Whether a serde error is the one that asks for the exact reader.
    pub fn is_reread(message: &str) -> bool {
        message.contains(REREAD)
    }

    struct Str(String);

    impl<'de> Deserialize<'de> for Str {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Str;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a string")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Str, E> {
                    if reading_yaml() && maybe_not_string(v) {
                        return Err(E::custom(REREAD));
                    }
                    Ok(Str(v.to_owned()))
                }
            }
            d.deserialize_str(V)
        }
    }

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<Str>::deserialize(d)?.map(|s| s.0))
    }

    pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(s) = seq.next_element::<Option<Str>>()? {
                    out.push(s.map(|s| s.0).unwrap_or_default());
                }
                Ok(out)
            }
        }
        struct Opt;
        impl<'de> Visitor<'de> for Opt {
            type Value = Option<Vec<String>>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_seq(V).map(Some)
            }
        }
        d.deserialize_option(Opt)
    }

    pub fn labels<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Labels>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Labels;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Labels, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some((k, v)) = map.next_entry::<Str, Option<Str>>()? {
                    pairs.push((k.0, v.map(|v| v.0).unwrap_or_default()));
                }
                Ok(pairs.into_iter().collect())
            }
        }
        struct Opt;
        impl<'de> Visitor<'de> for Opt {
            type Value = Option<Labels>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of strings")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_map(V).map(Some)
            }
        }
        d.deserialize_option(Opt)
    }
}

impl RawSelector {
    pub fn into_model(self) -> LabelSelector {
        LabelSelector {
            match_labels: self.match_labels.unwrap_or_default().into_iter().collect(),
            match_expressions: exact(self.match_expressions.unwrap_or_default().into_iter().map(
                |r| Requirement {
                    key: r.key.unwrap_or_default(),
                    operator: r.operator.unwrap_or_default(),
                    values: r.values.unwrap_or_default(),
                },
            )),
        }
    }
}

impl RawRule {
    pub fn into_model(self, ingress: bool) -> Rule {
        let peers = if ingress { self.from } else { self.to };
        Rule {
            peers: exact(peers.unwrap_or_default().into_iter().map(|p| Peer {
                pod_selector: p.pod_selector.map(RawSelector::into_model),
                namespace_selector: p.namespace_selector.map(RawSelector::into_model),
                ip_block: p.ip_block.map(|b| IpBlock {
                    cidr: b.cidr.unwrap_or_default(),
                    except: b.except.unwrap_or_default(),
                }),
            })),
            ports: exact(
                self.ports
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| PolicyPort {
                        protocol: p.protocol,
                        port: p.port.map(|p| p.0),
                        end_port: p.end_port,
                    }),
            ),
        }
    }
}

impl RawSpec {
    /// A Cilium rule: `spec` (`specs_index: None`), or one entry of `specs`.
    pub fn into_cilium_rule(self, specs_index: Option<usize>) -> CiliumRule {
        let section = |rules: Option<Vec<RawRule>>, ingress: bool| {
            rules.map(|rules| exact(rules.into_iter().map(|r| r.into_cilium_rule(ingress))))
        };
        let default_deny = self.enable_default_deny.unwrap_or_default();
        CiliumRule {
            endpoint_selector: self.endpoint_selector.map(RawSelector::into_model),
            node_selector: self.node_selector.is_some(),
            ingress: section(self.ingress, true),
            ingress_deny: section(self.ingress_deny, true),
            egress: section(self.egress, false),
            egress_deny: section(self.egress_deny, false),
            enable_default_deny_ingress: default_deny.ingress,
            enable_default_deny_egress: default_deny.egress,
            description: self.description,
            specs_index,
            line: None,
        }
    }
}

impl RawRule {
    /// An entry of a Cilium rule's `ingress`/`ingressDeny` (`ingress`) or `egress`/`egressDeny`
    /// section. The other direction's fields and those of the Kubernetes APIs are unknown
    /// there: the CRD's schema has no such field (its structural schema prunes them).
    pub fn into_cilium_rule(self, ingress: bool) -> CiliumPeerRule {
        let c = self.cilium.map(|c| *c).unwrap_or_default();
        let mut unknown = c.other;
        let mut mark = |set: bool, name: &str| {
            if set {
                unknown.push(name.to_owned());
            }
        };
        mark(self.from.is_some(), "from");
        mark(self.to.is_some(), "to");
        mark(self.ports.is_some(), "ports");
        mark(self.name.is_some(), "name");
        mark(self.action.is_some(), "action");
        mark(self.protocols.is_some(), "protocols");
        let selectors = |s: Option<Vec<RawSelector>>| {
            s.map(|s| exact(s.into_iter().map(RawSelector::into_model)))
        };
        let cidr_set = |s: Option<Vec<RawCidrRule>>| {
            s.map(|s| {
                exact(s.into_iter().map(|r| CiliumCidrRule {
                    group: r.cidr_group_ref.is_some() || r.cidr_group_selector.is_some(),
                    cidr: r.cidr,
                    except: r.except.unwrap_or_default(),
                }))
            })
        };
        let (endpoints, requires, cidr, set, entities, nodes, groups) = if ingress {
            mark(c.to_endpoints.is_some(), "toEndpoints");
            mark(c.to_requires.is_some(), "toRequires");
            mark(c.to_cidr.is_some(), "toCIDR");
            mark(c.to_cidr_set.is_some(), "toCIDRSet");
            mark(c.to_entities.is_some(), "toEntities");
            mark(c.to_nodes.is_some(), "toNodes");
            mark(c.to_groups.is_some(), "toGroups");
            mark(c.to_fqdns.is_some(), "toFQDNs");
            mark(c.to_services.is_some(), "toServices");
            (
                c.from_endpoints,
                c.from_requires,
                c.from_cidr,
                c.from_cidr_set,
                c.from_entities,
                c.from_nodes,
                c.from_groups,
            )
        } else {
            mark(c.from_endpoints.is_some(), "fromEndpoints");
            mark(c.from_requires.is_some(), "fromRequires");
            mark(c.from_cidr.is_some(), "fromCIDR");
            mark(c.from_cidr_set.is_some(), "fromCIDRSet");
            mark(c.from_entities.is_some(), "fromEntities");
            mark(c.from_nodes.is_some(), "fromNodes");
            mark(c.from_groups.is_some(), "fromGroups");
            (
                c.to_endpoints,
                c.to_requires,
                c.to_cidr,
                c.to_cidr_set,
                c.to_entities,
                c.to_nodes,
                c.to_groups,
            )
        };
        let (fqdns, services) = if ingress {
            (None, None)
        } else {
            (c.to_fqdns, c.to_services)
        };
        unknown.sort();
        CiliumPeerRule {
            endpoints: selectors(endpoints),
            requires: selectors(requires),
            cidr,
            cidr_set: cidr_set(set),
            entities,
            nodes: selectors(nodes),
            // Cilium counts a peer kind only when its list has entries (`rule_validation.go`,
            // `l3Members`); an empty `fromGroups: []` does nothing.
            groups: groups.is_some_and(|n| n > 0),
            fqdns: fqdns.map(|f| {
                exact(
                    f.into_iter()
                        .map(|f| f.match_name.or(f.match_pattern).unwrap_or_default()),
                )
            }),
            services: services.map(|s| exact(s.into_iter().map(service_name))),
            to_ports: c.to_ports.map(|p| exact(p.into_iter().map(port_rule))),
            icmps: c.icmps.is_some_and(|n| n > 0),
            unknown,
        }
    }
}

/// A `toServices` entry as a person reads it: `namespace/name`, or the selector's terms.
fn service_name(s: RawService) -> String {
    if let Some(k) = s.k8s_service {
        let name = k.service_name.unwrap_or_default();
        return match k.namespace.filter(|n| !n.is_empty()) {
            Some(ns) => format!("{ns}/{name}"),
            None => name,
        };
    }
    if let Some(k) = s.k8s_service_selector {
        let selector = k.selector.map(RawSelector::into_model).unwrap_or_default();
        let terms: Vec<String> = selector
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .chain(
                selector
                    .match_expressions
                    .iter()
                    .map(|r| format!("{} {} ({})", r.key, r.operator, r.values.join(","))),
            )
            .collect();
        let terms = if terms.is_empty() {
            "every service".to_owned()
        } else {
            format!("services with {}", terms.join(", "))
        };
        return match k.namespace.filter(|n| !n.is_empty()) {
            Some(ns) => format!("{terms} in {ns}"),
            None => terms,
        };
    }
    String::new()
}

fn port_rule(p: RawCiliumPortRule) -> CiliumPortRule {
    CiliumPortRule {
        ports: exact(p.ports.unwrap_or_default().into_iter().map(|p| CiliumPort {
            port: p.port,
            end_port: p.end_port,
            protocol: p.protocol,
        })),
        l7: p.rules.map(|r| r.into_keys().collect()).unwrap_or_default(),
        tls_or_listener: p.server_names.is_some()
            || p.terminating_tls.is_some()
            || p.originating_tls.is_some()
            || p.listener.is_some(),
    }
}

impl RawPeer {
    /// A cluster-scoped policy's subject or peer. NetworkPolicy's own peer fields are unknown
    /// there, like any other key.
    pub fn into_cluster_peer(self) -> ClusterPeer {
        let mut unknown: Vec<String> = self.other;
        for (set, name) in [
            (self.pod_selector.is_some(), "podSelector"),
            (self.namespace_selector.is_some(), "namespaceSelector"),
            (self.ip_block.is_some(), "ipBlock"),
        ] {
            if set {
                unknown.push(name.to_owned());
            }
        }
        unknown.sort();
        ClusterPeer {
            namespaces: self.namespaces.map(RawSelector::into_model),
            pods: self.pods.map(|p| NamespacedPods {
                namespace_selector: p
                    .namespace_selector
                    .map(RawSelector::into_model)
                    .unwrap_or_default(),
                pod_selector: p
                    .pod_selector
                    .map(RawSelector::into_model)
                    .unwrap_or_default(),
            }),
            nodes: self.nodes.map(RawSelector::into_model),
            networks: self.networks,
            domain_names: self.domain_names,
            unknown,
        }
    }
}

impl RawRule {
    /// A cluster-scoped policy's rule: `protocols` (v1alpha2+) or `ports` (v1alpha1), whichever
    /// is written; entries the CRD refuses for their shape become [`ClusterPort::Invalid`].
    pub fn into_cluster_rule(self, ingress: bool) -> ClusterRule {
        let peers = if ingress { self.from } else { self.to };
        let ports = match (self.protocols, self.ports) {
            (Some(protocols), _) => Some(exact(protocols.into_iter().map(protocol_port))),
            (None, Some(ports)) => Some(exact(ports.into_iter().map(alpha_port))),
            (None, None) => None,
        };
        ClusterRule {
            name: self.name,
            action: self.action.unwrap_or_default(),
            peers: exact(
                peers
                    .unwrap_or_default()
                    .into_iter()
                    .map(RawPeer::into_cluster_peer),
            ),
            ports,
        }
    }
}

/// The words of the CRD's MinProperties/MaxProperties checks on an object that must hold
/// exactly one field (network-policy-api `ClusterNetworkPolicyProtocol`, `Port`,
/// `AdminNetworkPolicyPort`).
fn one_field(set: usize) -> Option<String> {
    match set {
        0 => Some("should have at least 1 properties".to_owned()),
        1 => None,
        _ => Some("should have at most 1 properties".to_owned()),
    }
}

/// A v1alpha2+ `protocols` entry: `{tcp|udp|sctp: {destinationPort: {number} | {range}}}` or
/// `{destinationNamedPort}`.
fn protocol_port(p: RawProtocol) -> ClusterPort {
    let set = [p.tcp.is_some(), p.udp.is_some(), p.sctp.is_some()]
        .into_iter()
        .filter(|s| *s)
        .count()
        + usize::from(p.destination_named_port.is_some());
    if let Some(words) = one_field(set) {
        return ClusterPort::Invalid(words);
    }
    if let Some(name) = p.destination_named_port {
        return ClusterPort::Named(name);
    }
    let (protocol, m) = [("TCP", p.tcp), ("UDP", p.udp), ("SCTP", p.sctp)]
        .into_iter()
        .find_map(|(name, m)| m.map(|m| (name, m)))
        .expect("one field is set");
    let field = protocol.to_ascii_lowercase();
    let Some(port) = m.destination_port else {
        return ClusterPort::Invalid(format!("{field}: should have at least 1 properties"));
    };
    if let Some(words) =
        one_field(usize::from(port.number.is_some()) + usize::from(port.range.is_some()))
    {
        return ClusterPort::Invalid(format!("{field}.destinationPort: {words}"));
    }
    let protocol = protocol.to_owned();
    match (port.number, port.range) {
        (Some(port), _) => ClusterPort::Number { protocol, port },
        (None, Some(range)) => match (range.start, range.end) {
            (Some(start), Some(end)) => ClusterPort::Range {
                protocol,
                start,
                end,
            },
            (None, _) => ClusterPort::Invalid(format!(
                "{field}.destinationPort.range.start: Required value"
            )),
            (_, None) => {
                ClusterPort::Invalid(format!("{field}.destinationPort.range.end: Required value"))
            }
        },
        (None, None) => unreachable!("one field is set"),
    }
}

/// A v1alpha1 `ports` entry: `{portNumber: {protocol, port}}`, `{portRange: {protocol, start,
/// end}}` or `{namedPort}`; the protocol defaults to TCP (`+kubebuilder:default=TCP`).
fn alpha_port(p: RawPolicyPort) -> ClusterPort {
    let set = usize::from(p.port_number.is_some())
        + usize::from(p.port_range.is_some())
        + usize::from(p.named_port.is_some());
    if let Some(words) = one_field(set) {
        return ClusterPort::Invalid(words);
    }
    let tcp = |protocol: Option<String>| protocol.unwrap_or_else(|| "TCP".to_owned());
    if let Some(n) = p.port_number {
        return match n.port {
            Some(port) => ClusterPort::Number {
                protocol: tcp(n.protocol),
                port,
            },
            None => ClusterPort::Invalid("portNumber.port: Required value".to_owned()),
        };
    }
    if let Some(r) = p.port_range {
        return match (r.start, r.end) {
            (Some(start), Some(end)) => ClusterPort::Range {
                protocol: tcp(r.protocol),
                start,
                end,
            },
            (None, _) => ClusterPort::Invalid("portRange.start: Required value".to_owned()),
            (_, None) => ClusterPort::Invalid("portRange.end: Required value".to_owned()),
        };
    }
    ClusterPort::Named(p.named_port.unwrap_or_default())
}

impl RawMeta {
    pub fn suppression(&self) -> Suppression {
        let a = self.annotations.as_ref();
        Suppression::from_annotations(
            a.and_then(|a| a.ignore.as_deref()),
            a.and_then(|a| a.ignore_reason.as_deref()),
        )
    }

    /// The name, or for an object created with `generateName` that prefix and a `*`.
    pub fn display_name(&self) -> Option<String> {
        self.name
            .clone()
            .or_else(|| self.generate_name.as_ref().map(|g| format!("{g}*")))
    }
}

/// Ports of all containers, for named-port resolution.
pub fn container_ports(lists: [Option<&Vec<RawContainer>>; 2]) -> Vec<ContainerPort> {
    let ports = || (lists.into_iter().flatten().flatten()).flat_map(|c| c.ports.iter().flatten());
    // Counted first: collected from a flattened iterator, the list would grow by doubling and
    // keep the room it did not use, for each of 100,000 workloads.
    let mut out = Vec::with_capacity(ports().count());
    out.extend(ports().map(|p| ContainerPort {
        name: p.name.clone(),
        port: p.container_port.unwrap_or(0),
        protocol: p.protocol.clone(),
    }));
    out
}

/// Labels map helper so callers need not name the map type.
pub fn labels_or_empty(l: Option<&Labels>) -> Labels {
    l.cloned().unwrap_or_default()
}
