//! Reading Calico's policies and tiers: `NetworkPolicy`, `GlobalNetworkPolicy`, their `Staged*`
//! forms and `Tier`, of projectcalico.org/v3 (Calico's API server) and crd.projectcalico.org/v1
//! (the CRDs it stores them in, what a cluster without the API server has).
//!
//! Their specs share no shape with the other kinds' (a rule's `source`/`destination`, selectors
//! as expression strings), so they are decoded into their own types, from the exact reader's
//! JSON ([`super::yaml11`]): a wrong type is then located as for every other kind, and each
//! selector keeps the line and column where its value starts, for validation to point inside
//! it. `StagedKubernetesNetworkPolicy` is the exception: its spec is a Kubernetes
//! NetworkPolicy's and is read as one.
//!
//! Field names and types: projectcalico/api `pkg/apis/projectcalico/v3` (`policy_common.go`:
//! `Rule`, `EntityRule`, `ServiceMatch`, `ServiceAccountMatch`; `networkpolicy.go`,
//! `globalnetworkpolicy.go`, `stagednetworkpolicy.go`, `stagedglobalnetworkpolicy.go`:
//! the specs; `tier.go`: `TierSpec`) and `pkg/lib/numorstring` (`port.go`: a port is a number
//! or a string, `"80"`, `"80:90"` or a name; `protocol.go`: a name or a number).

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::Deserialize;

use crate::lists::exact;
use crate::model::{
    CalicoEntity, CalicoPolicy, CalicoPolicyKind, CalicoRule, CalicoServiceAccounts, CalicoText,
    CalicoTier, NetworkPolicy, Origin, CALICO_API_VERSIONS, TIER_DEFAULT,
};

use super::objects::{checked, RawMeta};
use super::yaml11::{maybe_not_string, JsonDocument};

/// Whether a document may hold a Calico object: such documents take the exact reader, which
/// knows where values start. A vectorised search, like the one for merge keys, for the start
/// of both groups' apiVersions: the pods of a Calico cluster carry `cni.projectcalico.org/...`
/// annotations, and a dump of them should keep the fast path.
pub fn in_document(text: &str) -> bool {
    // Built once: every document of the input is searched, and building the searcher cost
    // about as much as searching a small document.
    static GROUPS: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"projectcalico.org/v"));
    GROUPS.find(text.as_bytes()).is_some()
}

/// What a Calico object is, by apiVersion (both groups, the versions they serve) and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalicoClass {
    Policy(CalicoPolicyKind),
    Tier,
}

impl CalicoClass {
    /// Calico's kinds are told apart from Kubernetes' (`NetworkPolicy`) by their group alone:
    /// without an apiVersion an object is never Calico's.
    pub fn of(api_version: Option<&str>, kind: &str) -> Option<Self> {
        if !CALICO_API_VERSIONS.contains(&api_version?) {
            return None;
        }
        match kind {
            "Tier" => Some(CalicoClass::Tier),
            _ => CalicoPolicyKind::parse(kind).map(CalicoClass::Policy),
        }
    }

    /// Whether objects of this class are decoded by [`RawCalicoObject`] (all but the staged
    /// Kubernetes policy, whose spec is a NetworkPolicy's).
    pub fn own_spec(self) -> bool {
        self != CalicoClass::Policy(CalicoPolicyKind::StagedKubernetesNetworkPolicy)
    }
}

/// Whether every selector of a policy parses: then nothing needs locating, and the fast
/// reader's object (which does not know where values start) is as good as the exact one.
pub fn selectors_parse(policy: &CalicoPolicy) -> bool {
    // The parses are kept in the texts, for validation and compilation.
    let parses = |t: &Option<CalicoText>| t.as_ref().is_none_or(|t| t.selector().is_ok());
    let entity = |e: &crate::model::CalicoEntity| {
        parses(&e.selector)
            && parses(&e.not_selector)
            && parses(&e.namespace_selector)
            && e.service_accounts
                .as_ref()
                .is_none_or(|sa| parses(&sa.selector))
    };
    parses(&policy.selector)
        && parses(&policy.namespace_selector)
        && parses(&policy.service_account_selector)
        && policy
            .ingress
            .iter()
            .chain(&policy.egress)
            .all(|r| entity(&r.source) && entity(&r.destination))
}

/// A Calico object as written.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a Calico object")]
pub struct RawCalicoObject {
    #[serde(default, deserialize_with = "checked::string")]
    pub api_version: Option<String>,
    #[serde(default, deserialize_with = "checked::string")]
    pub kind: Option<String>,
    pub metadata: Option<RawMeta>,
    pub spec: Option<RawCalicoSpec>,
}

/// The fields of every Calico policy spec and of `TierSpec`: their names do not collide.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a Calico policy spec")]
pub struct RawCalicoSpec {
    #[serde(default, deserialize_with = "checked::string")]
    tier: Option<String>,
    order: Option<f64>,
    #[serde(default, deserialize_with = "checked::string")]
    selector: Option<String>,
    /// Only GlobalNetworkPolicy has one; read on every kind so that validation can say so.
    #[serde(default, deserialize_with = "checked::string")]
    namespace_selector: Option<String>,
    #[serde(default, deserialize_with = "checked::string")]
    service_account_selector: Option<String>,
    #[serde(default, deserialize_with = "checked::strings")]
    types: Option<Vec<String>>,
    ingress: Option<Vec<RawCalicoRule>>,
    egress: Option<Vec<RawCalicoRule>>,
    do_not_track: Option<bool>,
    #[serde(rename = "preDNAT")]
    pre_dnat: Option<bool>,
    /// Read for its type only: it does not make a policy host-only.
    #[serde(rename = "applyOnForward")]
    _apply_on_forward: Option<bool>,
    #[serde(default, deserialize_with = "checked::string")]
    staged_action: Option<String>,
    /// `Tier` only.
    #[serde(default, deserialize_with = "checked::string")]
    default_action: Option<String>,
}

/// `Rule` (`policy_common.go`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a Calico rule")]
struct RawCalicoRule {
    #[serde(default, deserialize_with = "checked::string")]
    action: Option<String>,
    ip_version: Option<i64>,
    protocol: Option<NumOrString>,
    not_protocol: Option<NumOrString>,
    icmp: Option<IgnoredAny>,
    #[serde(rename = "notICMP")]
    not_icmp: Option<IgnoredAny>,
    source: Option<RawEntity>,
    destination: Option<RawEntity>,
    http: Option<IgnoredAny>,
}

/// `EntityRule` (`policy_common.go`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a Calico source or destination")]
struct RawEntity {
    #[serde(default, deserialize_with = "checked::strings")]
    nets: Option<Vec<String>>,
    #[serde(default, deserialize_with = "checked::strings")]
    not_nets: Option<Vec<String>>,
    #[serde(default, deserialize_with = "checked::string")]
    selector: Option<String>,
    #[serde(default, deserialize_with = "checked::string")]
    not_selector: Option<String>,
    #[serde(default, deserialize_with = "checked::string")]
    namespace_selector: Option<String>,
    services: Option<RawServiceMatch>,
    ports: Option<Vec<NumOrString>>,
    not_ports: Option<Vec<NumOrString>>,
    service_accounts: Option<RawServiceAccounts>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a service match (name, namespace)")]
struct RawServiceMatch {
    #[serde(default, deserialize_with = "checked::string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "checked::string")]
    namespace: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a service account match (names, selector)")]
struct RawServiceAccounts {
    #[serde(default, deserialize_with = "checked::strings")]
    names: Option<Vec<String>>,
    #[serde(default, deserialize_with = "checked::string")]
    selector: Option<String>,
}

/// numorstring's `Port` and `Protocol` as written: a number keeps its decimal text, so that
/// validation sees `0` or `70000` as the user wrote them.
#[derive(Debug)]
struct NumOrString(String);

impl<'de> Deserialize<'de> for NumOrString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NumOrString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NumOrString, E> {
                // A plain `053` or `1e3` reads differently in kubectl's YAML 1.1.
                if checked::reading_yaml() && maybe_not_string(v) {
                    return Err(E::custom(checked::REREAD));
                }
                Ok(NumOrString(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumOrString, E> {
                Ok(NumOrString(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumOrString, E> {
                Ok(NumOrString(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumOrString, E> {
                Ok(NumOrString(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Where the values of one document start, by field path, to locate selectors.
pub struct Positions<'a> {
    starts: HashMap<&'a str, (u32, u32)>,
    /// The document's text, where each of its lines starts (a List of thousands of policies
    /// looks a line up for each selector), and its first line in the file.
    text: &'a str,
    line_starts: Vec<usize>,
    first_line: u32,
}

impl<'a> Positions<'a> {
    /// Only selectors and list entries (rules) are looked up.
    pub fn of(doc: &'a JsonDocument, text: &'a str, first_line: u32) -> Self {
        let starts = doc
            .positions()
            .filter(|(path, _, _)| path.ends_with("elector") || path.ends_with(']'))
            .map(|(path, line, column)| (path, (line, column)))
            .collect();
        let line_starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        Positions {
            starts,
            text,
            line_starts,
            first_line,
        }
    }

    /// The text of the document's line `line` (1-based), without its line break.
    fn source_line(&self, line: u32) -> &'a str {
        let i = line.max(1) as usize - 1;
        let Some(&start) = self.line_starts.get(i) else {
            return "";
        };
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(self.text.len(), |&e| e - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    /// The file line where the value at `path` starts.
    fn line(&self, path: &str) -> Option<u32> {
        self.starts
            .get(path)
            .map(|&(line, _)| self.first_line + line.max(1) - 1)
    }

    /// A selector's text with where its first character is: after the quote of a quoted
    /// scalar; for a block scalar (`|`, `>`) its first content line, without a column; a
    /// plain scalar folded over several lines keeps its line only.
    fn text(&self, path: &str, value: String) -> CalicoText {
        let Some(&(line, column)) = self.starts.get(path) else {
            return CalicoText::new(value);
        };
        let source = self.source_line(line);
        let rest: String = source.chars().skip(column.max(1) as usize - 1).collect();
        let file_line = self.first_line + line.max(1) - 1;
        let (line, column) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) if rest[1..].contains(q) => (file_line, Some(column + 1)),
            Some('|' | '>') => {
                let skip = (line + 1..)
                    .take_while(|&l| {
                        (l as usize) <= self.line_starts.len()
                            && self.source_line(l).trim().is_empty()
                    })
                    .count() as u32;
                (file_line + 1 + skip, None)
            }
            _ if rest.starts_with(value.as_str()) => (file_line, Some(column)),
            _ => (file_line, None),
        };
        CalicoText::located(value, Some(line), column)
    }
}

/// A Calico object read: a policy or a tier.
#[derive(Debug)]
pub enum CalicoObject {
    Policy(Box<CalicoPolicy>),
    Tier(CalicoTier),
}

/// A policy's own name: crd.projectcalico.org/v1 objects (and v3 ones of older API servers)
/// are named `<tier>.<name>`, the default tier's `default.<name>` (projectcalico/calico
/// `libcalico-go/lib/names`, `TieredPolicyName`, `ClientTieredPolicyName`).
pub fn own_name(name: &str, tier: &str) -> String {
    name.strip_prefix(tier)
        .and_then(|rest| rest.strip_prefix('.'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(name)
        .to_owned()
}

/// Converts a decoded Calico object. `path` is where it sits in its document (`items[3].` in a
/// List, empty otherwise), for `positions`; `None` where the input has no positions (a live
/// cluster). `name` and `namespace` come from the caller, which checks them as for every kind.
#[allow(clippy::too_many_arguments)]
pub fn calico_object(
    class: CalicoClass,
    api_version: String,
    namespace: String,
    name: String,
    meta: &RawMeta,
    spec: Option<RawCalicoSpec>,
    origin: Origin,
    positions: Option<(&Positions<'_>, &str)>,
) -> CalicoObject {
    let spec = spec.unwrap_or_default();
    let kind = match class {
        CalicoClass::Tier => {
            return CalicoObject::Tier(CalicoTier {
                name,
                order: spec.order,
                default_action: spec.default_action,
                origin,
            })
        }
        CalicoClass::Policy(kind) => kind,
    };
    // Paths are written out only where there are positions to look up: the fast reader has
    // none, and 20,000 policies' rules made some 200,000 paths for nothing.
    let text = |field: fmt::Arguments<'_>, value: Option<String>| {
        let value = value?;
        Some(match positions {
            Some((p, prefix)) => p.text(&format!("{prefix}{field}"), value),
            None => CalicoText::new(value),
        })
    };
    let rules = |field: &str, rules: Option<Vec<RawCalicoRule>>| -> Vec<CalicoRule> {
        exact(
            rules
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    let line =
                        positions.and_then(|(p, prefix)| p.line(&format!("{prefix}{field}[{i}]")));
                    let entity = |which: &str, e: Option<RawEntity>| {
                        let e = e.unwrap_or_default();
                        let ports = |ports: Option<Vec<NumOrString>>| {
                            exact(ports.unwrap_or_default().into_iter().map(|p| p.0))
                        };
                        CalicoEntity {
                            nets: e.nets.unwrap_or_default(),
                            not_nets: e.not_nets.unwrap_or_default(),
                            selector: text(
                                format_args!("{field}[{i}].{which}.selector"),
                                e.selector,
                            ),
                            not_selector: text(
                                format_args!("{field}[{i}].{which}.notSelector"),
                                e.not_selector,
                            ),
                            namespace_selector: text(
                                format_args!("{field}[{i}].{which}.namespaceSelector"),
                                e.namespace_selector,
                            ),
                            service_accounts: e.service_accounts.map(|sa| CalicoServiceAccounts {
                                names: sa.names.unwrap_or_default(),
                                selector: text(
                                    format_args!("{field}[{i}].{which}.serviceAccounts.selector"),
                                    sa.selector,
                                ),
                            }),
                            services: e.services.map(|s| {
                                (s.namespace.unwrap_or_default(), s.name.unwrap_or_default())
                            }),
                            ports: ports(e.ports),
                            not_ports: ports(e.not_ports),
                        }
                    };
                    CalicoRule {
                        action: r.action.unwrap_or_default(),
                        ip_version: r.ip_version,
                        protocol: r.protocol.map(|p| p.0),
                        not_protocol: r.not_protocol.map(|p| p.0),
                        icmp: r.icmp.is_some() || r.not_icmp.is_some(),
                        source: entity("source", r.source),
                        destination: entity("destination", r.destination),
                        http: r.http.is_some(),
                        line,
                    }
                }),
        )
    };
    // `spec.tier` empty or absent is the default tier (`TierOrDefault`).
    let tier = spec
        .tier
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| TIER_DEFAULT.to_owned());
    CalicoPolicy {
        kind,
        api_version,
        namespace: (!kind.cluster_scoped()).then_some(namespace),
        name: own_name(&name, &tier),
        order: spec.order,
        selector: text(format_args!("spec.selector"), spec.selector),
        namespace_selector: text(
            format_args!("spec.namespaceSelector"),
            spec.namespace_selector,
        ),
        service_account_selector: text(
            format_args!("spec.serviceAccountSelector"),
            spec.service_account_selector,
        ),
        types: spec.types,
        ingress: rules("spec.ingress", spec.ingress),
        egress: rules("spec.egress", spec.egress),
        // `applyOnForward` alone still applies to workload endpoints; Calico requires it with
        // `preDNAT` and `doNotTrack`, which apply to host endpoints only.
        host_only: spec.do_not_track == Some(true) || spec.pre_dnat == Some(true),
        staged_action: kind.staged().then_some(spec.staged_action).flatten(),
        staged_kubernetes: None,
        suppression: meta.suppression(),
        tier,
        origin,
    }
    .into()
}

impl From<CalicoPolicy> for CalicoObject {
    fn from(p: CalicoPolicy) -> Self {
        CalicoObject::Policy(Box::new(p))
    }
}

/// A StagedKubernetesNetworkPolicy: the NetworkPolicy it would become, in the default tier.
pub fn staged_kubernetes(
    api_version: String,
    meta: &RawMeta,
    staged_action: Option<String>,
    policy: NetworkPolicy,
) -> CalicoPolicy {
    CalicoPolicy {
        kind: CalicoPolicyKind::StagedKubernetesNetworkPolicy,
        api_version,
        namespace: Some(policy.namespace.clone()),
        name: policy.name.clone(),
        tier: TIER_DEFAULT.to_owned(),
        order: None,
        selector: None,
        namespace_selector: None,
        service_account_selector: None,
        types: None,
        ingress: Vec::new(),
        egress: Vec::new(),
        host_only: false,
        staged_action,
        suppression: meta.suppression(),
        origin: policy.origin.clone(),
        staged_kubernetes: Some(Box::new(policy)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_prefixes_are_stripped_once() {
        assert_eq!(own_name("security.allow-dns", "security"), "allow-dns");
        assert_eq!(own_name("default.deny", "default"), "deny");
        // Another tier's prefix is part of the name; so is a bare prefix.
        assert_eq!(
            own_name("security.allow-dns", "default"),
            "security.allow-dns"
        );
        assert_eq!(own_name("security.", "security"), "security.");
        assert_eq!(own_name("securityx.a", "security"), "securityx.a");
    }

    #[test]
    fn calico_kinds_need_their_group() {
        assert_eq!(CalicoClass::of(None, "GlobalNetworkPolicy"), None);
        assert_eq!(
            CalicoClass::of(Some("networking.k8s.io/v1"), "NetworkPolicy"),
            None
        );
        assert_eq!(
            CalicoClass::of(Some("crd.projectcalico.org/v1"), "NetworkPolicy"),
            Some(CalicoClass::Policy(CalicoPolicyKind::NetworkPolicy))
        );
        assert_eq!(
            CalicoClass::of(Some("projectcalico.org/v3"), "Tier"),
            Some(CalicoClass::Tier)
        );
        assert_eq!(CalicoClass::of(Some("projectcalico.org/v1"), "Tier"), None);
    }
}
