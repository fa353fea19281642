//! What Cilium refuses in a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy, and a few
//! mistakes it accepts but does not read as written, in words a person understands.
//!
//! Cilium refuses a policy when its CRD's schema refuses the object (the API server says so at
//! apply time) or when the operator or agent fails to validate one of its rules: then the whole
//! policy, every rule of `spec` and `specs`, is left out and its status says `Valid=False`
//! (SEMANTICS.md points 18 and 19). Sources: cilium `pkg/policy/api/rule_validation.go`
//! (`Rule.Validate`, `IngressCommonRule.Validate`, `EgressCommonRule.Validate`/`l3Members`,
//! `PortRule.Validate`, `PortProtocol.Validate`, `CIDR.Validate`, `CIDRRule.Validate`),
//! `l4.go` (the `port` pattern, `endPort` 0-65535, the protocol enum; "EndPort is ignored if
//! Port is a named port"), `entity.go` (`EntitySelectorMapping`), and
//! `pkg/k8s/apis/cilium.io/v2/cnp_types.go` (`Parse`: a policy with neither `spec` nor
//! `specs` is refused; the `Valid` condition).

use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::{CiliumPeerRule, CiliumPolicy, CiliumPortRule, CiliumRule, Direction};

/// One thing wrong with a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong and where, for a person: `rule 2, egress[0]: combines toEndpoints and
    /// toCIDR: Cilium refuses two kinds of peer in one rule, ...`.
    pub words: String,
    /// Cilium (its CRD schema, or its validation of the rules) refuses the whole policy: none
    /// of its rules is enforced.
    pub refuses_policy: bool,
}

/// Every problem found, in the order of the policy's rules.
pub fn validate(policy: &CiliumPolicy) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Some(message) = &policy.rejected_by_cilium {
        out.push(refusal(format!(
            "Cilium refused it (status Valid=False): {message}"
        )));
    }
    if policy.rules.is_empty() {
        out.push(refusal(
            "it has neither spec nor specs: Cilium refuses a policy without rules".to_owned(),
        ));
    }
    let several = policy.rules.len() > 1;
    for (i, rule) in policy.rules.iter().enumerate() {
        let at = several.then(|| format!("rule {}", i + 1));
        validate_rule(rule, at.as_deref(), &mut out);
    }
    out
}

/// Whether Cilium enforces nothing of the policy.
pub fn refused(policy: &CiliumPolicy) -> bool {
    validate(policy).iter().any(|p| p.refuses_policy)
}

fn refusal(words: String) -> Problem {
    Problem {
        words,
        refuses_policy: true,
    }
}

fn accepted(words: String) -> Problem {
    Problem {
        words,
        refuses_policy: false,
    }
}

/// `at`: `rule N` when the policy has several, `None` for its one rule.
fn validate_rule(rule: &CiliumRule, at: Option<&str>, out: &mut Vec<Problem>) {
    let nested = |path: &str| match at {
        Some(at) => format!("{at}, {path}"),
        None => path.to_owned(),
    };
    let at = at.unwrap_or("the rule");
    // `Rule.Validate` tests the lengths: `ingress: []` is no section.
    let sections = [
        &rule.ingress,
        &rule.ingress_deny,
        &rule.egress,
        &rule.egress_deny,
    ];
    if sections
        .iter()
        .all(|s| s.as_ref().is_none_or(Vec::is_empty))
    {
        out.push(refusal(format!(
            "{at} has no ingress, ingressDeny, egress or egressDeny entry: Cilium refuses such a \
             rule, and with it the whole policy (`ingress: []` is no entry; `ingress: [{{}}]` is \
             one, that allows nothing)"
        )));
    }
    match (rule.endpoint_selector.is_some(), rule.node_selector) {
        (false, false) => out.push(refusal(format!(
            "{at} has neither endpointSelector nor nodeSelector: Cilium refuses it"
        ))),
        (true, true) => out.push(refusal(format!(
            "{at} has both endpointSelector and nodeSelector: Cilium refuses it"
        ))),
        _ => {}
    }
    for (section, entries, direction, deny) in [
        ("ingress", &rule.ingress, Direction::Ingress, false),
        ("ingressDeny", &rule.ingress_deny, Direction::Ingress, true),
        ("egress", &rule.egress, Direction::Egress, false),
        ("egressDeny", &rule.egress_deny, Direction::Egress, true),
    ] {
        for (j, peer) in entries.iter().flatten().enumerate() {
            let at = nested(&format!("{section}[{j}]"));
            validate_peer_rule(peer, direction, deny, &at, out);
        }
    }
}

/// Cilium's name of a peer kind (`CiliumPeerRule::peer_kinds`) in a direction.
fn field(kind: &str, direction: Direction) -> String {
    let prefix = match direction {
        Direction::Ingress => "from",
        Direction::Egress => "to",
    };
    format!("{prefix}{kind}")
}

/// The peer kinds whose lists have entries: `l3Members` counts lengths, so `toEndpoints: []`
/// beside `toCIDR` is no mix.
fn nonempty_kinds(p: &CiliumPeerRule) -> Vec<&'static str> {
    let set = |o: Option<usize>| o.is_some_and(|n| n > 0);
    let mut out = Vec::new();
    for (kind, present) in [
        ("Endpoints", set(p.endpoints.as_ref().map(Vec::len))),
        ("CIDR", set(p.cidr.as_ref().map(Vec::len))),
        ("CIDRSet", set(p.cidr_set.as_ref().map(Vec::len))),
        ("Entities", set(p.entities.as_ref().map(Vec::len))),
        ("Nodes", set(p.nodes.as_ref().map(Vec::len))),
        ("Groups", p.groups),
        ("FQDNs", set(p.fqdns.as_ref().map(Vec::len))),
        ("Services", set(p.services.as_ref().map(Vec::len))),
    ] {
        if present {
            out.push(kind);
        }
    }
    out
}

/// The entities Cilium knows (`entity.go`, `EntitySelectorMapping`).
const ENTITIES: &[&str] = &[
    "all",
    "world",
    "world-ipv4",
    "world-ipv6",
    "cluster",
    "host",
    "remote-node",
    "kube-apiserver",
    "health",
    "init",
    "ingress",
    "unmanaged",
    "none",
];

/// Cilium's limit of ports in one `toPorts` entry (`rule_validation.go`, `maxPorts`).
const MAX_PORTS: usize = 40;

fn validate_peer_rule(
    p: &CiliumPeerRule,
    direction: Direction,
    deny: bool,
    at: &str,
    out: &mut Vec<Problem>,
) {
    let kinds = nonempty_kinds(p);
    if kinds.len() > 1 {
        let names: Vec<String> = kinds.iter().map(|k| field(k, direction)).collect();
        out.push(refusal(format!(
            "{at}: combines {}: Cilium refuses two kinds of peer in one rule, and with it the \
             whole policy (write one rule per kind)",
            and_list(&names)
        )));
    }
    for cidr in p.cidr.iter().flatten() {
        if cidr.parse::<IpNet>().is_err() && cidr.parse::<IpAddr>().is_err() {
            out.push(refusal(format!(
                "{at}: {} {cidr:?} is not an address or a CIDR: Cilium refuses it",
                field("CIDR", direction)
            )));
        }
    }
    for set in p.cidr_set.iter().flatten() {
        let name = field("CIDRSet", direction);
        match (&set.cidr, set.group) {
            (Some(_), true) => out.push(refusal(format!(
                "{at}: a {name} entry sets cidr and a CIDR group: Cilium refuses more than one"
            ))),
            (None, false) => out.push(refusal(format!(
                "{at}: a {name} entry has no cidr (nor CIDR group): Cilium refuses it"
            ))),
            _ => {}
        }
        let Some(cidr) = &set.cidr else { continue };
        let Ok(net) = cidr.parse::<IpNet>() else {
            out.push(refusal(format!(
                "{at}: {name} cidr {cidr:?} is not a CIDR (address/prefix length): Cilium refuses it"
            )));
            continue;
        };
        for except in &set.except {
            match except.parse::<IpNet>() {
                Err(_) => out.push(refusal(format!(
                    "{at}: {name} except {except:?} is not a CIDR: Cilium refuses it"
                ))),
                Ok(ex) if net.prefix_len() > ex.prefix_len() || !net.contains(&ex.addr()) => out
                    .push(refusal(format!(
                        "{at}: {name} except {except} is not inside {cidr}: Cilium refuses it"
                    ))),
                Ok(_) => {}
            }
        }
    }
    for entity in p.entities.iter().flatten() {
        if !ENTITIES.contains(&entity.as_str()) {
            out.push(refusal(format!(
                "{at}: {} names {entity:?}, which is no entity Cilium knows ({}): Cilium refuses it",
                field("Entities", direction),
                ENTITIES.join(", ")
            )));
        }
    }
    if p.icmps && p.to_ports.as_ref().is_some_and(|t| !t.is_empty()) {
        out.push(refusal(format!(
            "{at}: has both icmps and toPorts: Cilium refuses them in one rule"
        )));
    }
    for (k, ports) in p.to_ports.iter().flatten().enumerate() {
        let at = format!("{at}, toPorts[{k}]");
        validate_port_rule(ports, direction, deny, &at, out);
    }
}

fn validate_port_rule(
    r: &CiliumPortRule,
    direction: Direction,
    deny: bool,
    at: &str,
    out: &mut Vec<Problem>,
) {
    if r.ports.len() > MAX_PORTS {
        out.push(refusal(format!(
            "{at}: has {} ports: Cilium refuses more than {MAX_PORTS}",
            r.ports.len()
        )));
    }
    if direction == Direction::Ingress && !deny && r.l7.iter().any(|k| k == "dns") {
        out.push(refusal(format!(
            "{at}: has DNS rules on ingress: Cilium refuses them"
        )));
    }
    for port in &r.ports {
        let number = match port.port.as_deref() {
            None | Some("") => {
                out.push(refusal(format!(
                    "{at}: a ports entry has no port: Cilium refuses it (port \"0\" means every port)"
                )));
                None
            }
            Some(s) => match port_value(s) {
                PortValue::Number(n) => Some(n),
                PortValue::Name => None,
                PortValue::Invalid => {
                    out.push(refusal(format!(
                        "{at}: port {s:?} is neither a number from 0 to 65535 nor a port name: \
                         Cilium refuses it"
                    )));
                    None
                }
            },
        };
        if let Some(end) = port.end_port {
            if !(0..=65535).contains(&end) {
                out.push(refusal(format!(
                    "{at}: endPort {end} is not from 0 to 65535: the API server refuses it"
                )));
            } else if let Some(n) = number {
                if end != 0 && end < n {
                    out.push(accepted(format!(
                        "{at}: endPort {end} is below port {n}: that is no range"
                    )));
                }
            } else if port.port.as_deref().is_some_and(|s| !s.is_empty())
                && port_value(port.port.as_deref().unwrap_or_default()) == PortValue::Name
            {
                out.push(accepted(format!(
                    "{at}: endPort {end} with the named port {:?}: Cilium ignores endPort with a \
                     named port",
                    port.port.as_deref().unwrap_or_default()
                )));
            }
        }
        if let Some(protocol) = &port.protocol {
            if !PROTOCOLS.contains(&protocol.as_str()) {
                out.push(refusal(format!(
                    "{at}: protocol {protocol:?} is not one of {}: the API server refuses it",
                    PROTOCOLS.join(", ")
                )));
            }
        }
    }
}

/// The protocols of the CRD's enum (`l4.go`: TCP, UDP, SCTP, ANY; newer versions add the
/// ICMP family and other IP protocols, which match no port). Case-sensitive, as the enum is.
const PROTOCOLS: &[&str] = &[
    "TCP", "UDP", "SCTP", "ANY", "ICMP", "ICMPv6", "VRRP", "IGMP",
];

#[derive(Debug, PartialEq, Eq)]
enum PortValue {
    Number(i64),
    Name,
    Invalid,
}

/// A `port` as Cilium reads it: an IANA service name (some letter, letters, digits and single
/// inner dashes, at most 15 characters; `iana.IsSvcName`), else a number parsed as Go's
/// `strconv.ParseUint(s, 0, 16)` does (decimal; `0x`, `0o`, `0b` prefixes; `_` separators are
/// left out here).
fn port_value(s: &str) -> PortValue {
    if is_service_name(s) {
        return PortValue::Name;
    }
    let (digits, radix) = match s.get(..2) {
        Some("0x" | "0X") => (&s[2..], 16),
        Some("0o" | "0O") => (&s[2..], 8),
        Some("0b" | "0B") => (&s[2..], 2),
        _ if s.len() > 1 && s.starts_with('0') => (&s[1..], 8),
        _ => (s, 10),
    };
    match u16::from_str_radix(digits, radix) {
        Ok(n) if !digits.starts_with(['+', '-']) => PortValue::Number(i64::from(n)),
        _ => PortValue::Invalid,
    }
}

fn is_service_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_alphabetic())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        CiliumCidrRule, CiliumPolicyKind, CiliumPort, LabelSelector, Origin, Suppression,
    };

    fn policy(rules: Vec<CiliumRule>) -> CiliumPolicy {
        CiliumPolicy {
            kind: CiliumPolicyKind::CiliumNetworkPolicy,
            namespace: Some("shop".into()),
            name: "p".into(),
            rules,
            rejected_by_cilium: None,
            suppression: Suppression::default(),
            origin: Origin::default(),
        }
    }

    fn rule(ingress: Vec<CiliumPeerRule>) -> CiliumRule {
        CiliumRule {
            endpoint_selector: Some(LabelSelector::default()),
            ingress: Some(ingress),
            ..CiliumRule::default()
        }
    }

    fn words(p: &CiliumPolicy) -> Vec<(bool, String)> {
        validate(p)
            .into_iter()
            .map(|p| (p.refuses_policy, p.words))
            .collect()
    }

    fn selectors() -> Option<Vec<LabelSelector>> {
        Some(vec![LabelSelector::default()])
    }

    #[test]
    fn a_valid_policy_has_no_problem() {
        let p = policy(vec![rule(vec![CiliumPeerRule::default()])]);
        assert_eq!(words(&p), vec![]);
        assert!(!refused(&p));
    }

    #[test]
    fn a_rule_without_any_entry_refuses_the_whole_policy() {
        // `ingress: []` is no entry (`Rule.Validate` tests lengths), and a second, valid rule
        // does not save the policy.
        let p = policy(vec![rule(vec![]), rule(vec![CiliumPeerRule::default()])]);
        let w = words(&p);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].0);
        assert!(w[0]
            .1
            .starts_with("rule 1 has no ingress, ingressDeny, egress or egressDeny entry"));
        assert!(refused(&p));
        let none = policy(vec![CiliumRule {
            endpoint_selector: Some(LabelSelector::default()),
            ..CiliumRule::default()
        }]);
        assert!(words(&none)[0].1.starts_with("the rule has no ingress"));
    }

    #[test]
    fn neither_spec_nor_specs_is_refused() {
        let p = policy(vec![]);
        assert_eq!(
            words(&p),
            vec![(
                true,
                "it has neither spec nor specs: Cilium refuses a policy without rules".to_owned()
            )]
        );
    }

    #[test]
    fn one_selector_exactly() {
        let mut r = rule(vec![CiliumPeerRule::default()]);
        r.endpoint_selector = None;
        assert!(words(&policy(vec![r.clone()]))[0]
            .1
            .contains("neither endpointSelector nor nodeSelector"));
        r.node_selector = true;
        assert_eq!(words(&policy(vec![r.clone()])), vec![], "a host policy");
        r.endpoint_selector = Some(LabelSelector::default());
        assert!(words(&policy(vec![r]))[0]
            .1
            .contains("both endpointSelector and nodeSelector"));
    }

    #[test]
    fn two_peer_kinds_in_one_rule_are_refused_but_to_ports_with_a_peer_is_not() {
        let mixed = CiliumPeerRule {
            endpoints: selectors(),
            cidr: Some(vec!["10.0.0.0/8".into()]),
            ..CiliumPeerRule::default()
        };
        let w = words(&policy(vec![rule(vec![mixed])]));
        assert_eq!(w.len(), 1);
        assert!(w[0].0);
        assert!(
            w[0].1
                .starts_with("ingress[0]: combines fromEndpoints and fromCIDR"),
            "{w:?}"
        );
        // An empty list is no peer kind (`l3Members` counts entries).
        let empty_beside = CiliumPeerRule {
            endpoints: Some(vec![]),
            cidr: Some(vec!["10.0.0.0/8".into()]),
            ..CiliumPeerRule::default()
        };
        assert_eq!(words(&policy(vec![rule(vec![empty_beside])])), vec![]);
        // toFQDNs with toPorts is how DNS-based egress is written.
        let fqdn = CiliumPeerRule {
            fqdns: Some(vec!["example.com".into()]),
            to_ports: Some(vec![CiliumPortRule {
                ports: vec![CiliumPort {
                    port: Some("443".into()),
                    end_port: None,
                    protocol: Some("TCP".into()),
                }],
                ..CiliumPortRule::default()
            }]),
            ..CiliumPeerRule::default()
        };
        let egress = CiliumRule {
            endpoint_selector: Some(LabelSelector::default()),
            egress: Some(vec![fqdn]),
            ..CiliumRule::default()
        };
        assert_eq!(words(&policy(vec![egress])), vec![]);
        let fqdn_and_endpoints = CiliumPeerRule {
            fqdns: Some(vec!["example.com".into()]),
            endpoints: selectors(),
            ..CiliumPeerRule::default()
        };
        let egress = CiliumRule {
            endpoint_selector: Some(LabelSelector::default()),
            egress: Some(vec![fqdn_and_endpoints]),
            ..CiliumRule::default()
        };
        assert!(words(&policy(vec![egress]))[0]
            .1
            .contains("combines toEndpoints and toFQDNs"));
    }

    #[test]
    fn cidrs_and_excepts() {
        let set = |cidr: &str, except: &[&str]| CiliumPeerRule {
            cidr_set: Some(vec![CiliumCidrRule {
                cidr: Some(cidr.into()),
                except: except.iter().map(|s| s.to_string()).collect(),
                group: false,
            }]),
            ..CiliumPeerRule::default()
        };
        let check = |p: CiliumPeerRule| words(&policy(vec![rule(vec![p])]));
        assert_eq!(check(set("10.0.0.0/8", &["10.1.0.0/16"])), vec![]);
        assert!(check(set("10.0.0.0/8", &["192.168.0.0/16"]))[0]
            .1
            .contains("except 192.168.0.0/16 is not inside 10.0.0.0/8"));
        // A wider except whose address lies inside is still refused (`prefix.Bits() >
        // except.Bits()`).
        assert!(check(set("10.0.0.0/16", &["10.0.0.0/8"]))[0].0);
        assert!(check(set("10.0.0.1", &[]))[0].1.contains("is not a CIDR"));
        assert!(check(set("10.0.0.0/8", &["fd00::/8"]))[0]
            .1
            .contains("not inside"));
        let plain = |c: &str| CiliumPeerRule {
            cidr: Some(vec![c.into()]),
            ..CiliumPeerRule::default()
        };
        assert_eq!(
            check(plain("10.0.0.1")),
            vec![],
            "fromCIDR takes an address"
        );
        assert_eq!(check(plain("10.0.0.0/8")), vec![]);
        assert!(check(plain("10.0.0.0/33"))[0].0);
        let group_and_cidr = CiliumPeerRule {
            cidr_set: Some(vec![CiliumCidrRule {
                cidr: Some("10.0.0.0/8".into()),
                except: vec![],
                group: true,
            }]),
            ..CiliumPeerRule::default()
        };
        assert!(check(group_and_cidr)[0].1.contains("cidr and a CIDR group"));
    }

    #[test]
    fn ports() {
        let port = |port: Option<&str>, end: Option<i64>, protocol: Option<&str>| CiliumPeerRule {
            to_ports: Some(vec![CiliumPortRule {
                ports: vec![CiliumPort {
                    port: port.map(str::to_owned),
                    end_port: end,
                    protocol: protocol.map(str::to_owned),
                }],
                ..CiliumPortRule::default()
            }]),
            ..CiliumPeerRule::default()
        };
        let check = |p: CiliumPeerRule| words(&policy(vec![rule(vec![p])]));
        assert_eq!(check(port(Some("80"), None, Some("TCP"))), vec![]);
        assert_eq!(check(port(Some("0"), None, Some("ANY"))), vec![]);
        assert_eq!(check(port(Some("8000"), Some(8100), None)), vec![]);
        assert_eq!(check(port(Some("http"), None, None)), vec![]);
        let w = check(port(Some("70000"), None, None));
        assert!(
            w[0].0 && w[0].1.contains("port \"70000\" is neither"),
            "{w:?}"
        );
        assert!(check(port(None, None, None))[0].1.contains("has no port"));
        let w = check(port(Some("8100"), Some(8000), None));
        assert_eq!(w.len(), 1);
        assert!(!w[0].0, "Cilium does not refuse it");
        assert!(w[0].1.contains("endPort 8000 is below port 8100"));
        let w = check(port(Some("http"), Some(90), None));
        assert!(
            !w[0].0 && w[0].1.contains("ignores endPort with a named port"),
            "{w:?}"
        );
        assert!(check(port(Some("80"), Some(70000), None))[0].0);
        let w = check(port(Some("80"), None, Some("tcp")));
        assert!(
            w[0].0 && w[0].1.contains("protocol \"tcp\" is not one of"),
            "{w:?}"
        );
        assert!(check(port(Some("80"), None, Some("QUIC")))[0].0);
    }

    #[test]
    fn unknown_entities_are_refused() {
        let e = |name: &str| CiliumPeerRule {
            entities: Some(vec![name.into()]),
            ..CiliumPeerRule::default()
        };
        assert_eq!(words(&policy(vec![rule(vec![e("world")])])), vec![]);
        assert!(words(&policy(vec![rule(vec![e("internet")])]))[0].0);
    }

    #[test]
    fn the_status_verdict_is_a_refusal() {
        let mut p = policy(vec![rule(vec![CiliumPeerRule::default()])]);
        p.rejected_by_cilium =
            Some("L7 policy is not supported since L7 proxy is not enabled".into());
        assert_eq!(
            words(&p),
            vec![(
                true,
                "Cilium refused it (status Valid=False): L7 policy is not supported since L7 proxy is not enabled"
                    .to_owned()
            )]
        );
        assert!(refused(&p));
    }

    #[test]
    fn port_values_read_as_go_reads_them() {
        assert_eq!(port_value("80"), PortValue::Number(80));
        assert_eq!(port_value("0x50"), PortValue::Name, "an IANA name first");
        assert_eq!(port_value("65535"), PortValue::Number(65535));
        assert_eq!(port_value("65536"), PortValue::Invalid);
        assert_eq!(port_value("-1"), PortValue::Invalid);
        assert_eq!(port_value("dns-tcp"), PortValue::Name);
        assert_eq!(port_value("a--b"), PortValue::Invalid);
    }
}
