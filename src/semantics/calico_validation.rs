//! What Calico refuses in its policies and tiers, in words a person understands.
//!
//! Calico validates an object when it is written (its API server, or the CRDs' schema and the
//! same Go validation in the controllers): a refused object is never stored, so it enforces
//! nothing. Sources: projectcalico/api `pkg/apis/projectcalico/v3` (the `validate` tags of
//! `policy_common.go`, `networkpolicy.go`, `globalnetworkpolicy.go`, `tier.go`: `action`,
//! `policyType`, `selector`, `ipVersion`, `net`, Tier `defaultAction` "oneof=Deny Pass"),
//! `pkg/lib/numorstring` (`port.go`: a number or a string `80`, `80:90` or a name of
//! `[a-zA-Z0-9_.-]{1,128}`; `protocol.go`: `SupportsPorts`, TCP 6, UDP 17, SCTP 132), and
//! projectcalico/calico `libcalico-go/lib/validator/v3/validator.go` (`validateRule`: numeric
//! ports need a protocol that supports ports, "rules with numeric port or port range must set
//! protocol to TCP or UDP or SCTP", and no port of any kind with a protocol that has none,
//! "rules that specify ports must set protocol to TCP or UDP or SCTP"; `scanNets`: CIDRs that
//! parse, `ipVersion` matching them, not both families in one rule; `validatePort`: ports
//! 1-65535, ranges in order; `validateProtocol`: 1-255 or a known name; `validateTier`: tier
//! names). Selectors are parsed by
//! [`CalicoSelector`](crate::semantics::calico_selector::CalicoSelector), Calico's grammar.
//!
//! A tier that does not exist is no error here: Calico refuses such a policy, but the semantics
//! decide what that means for the pods (a policy of a missing tier enforces nothing).

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::{CalicoPolicy, CalicoPolicyKind, CalicoRule, CalicoText, CalicoTier};

/// One thing wrong with a policy or tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong and where, for a person: `spec.ingress[0].destination.ports: 80 needs
    /// protocol TCP, UDP or SCTP ...`.
    pub words: String,
    /// Calico refuses the whole object: none of its rules is enforced.
    pub refuses_policy: bool,
}

/// Every problem found, the policy's fields first, then its rules in order.
pub fn validate(policy: &CalicoPolicy) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Some(np) = &policy.staged_kubernetes {
        // Its spec is a Kubernetes NetworkPolicy's, validated as one.
        for e in super::validation::validate(np) {
            out.push(refusal(e));
        }
        return out;
    }
    let file = policy.origin.file.as_deref();
    for (field, text) in [
        ("spec.selector", &policy.selector),
        ("spec.namespaceSelector", &policy.namespace_selector),
        (
            "spec.serviceAccountSelector",
            &policy.service_account_selector,
        ),
    ] {
        if let Some(text) = text {
            check_selector(field, text, file, &mut out);
        }
    }
    let namespaced = matches!(
        policy.kind,
        CalicoPolicyKind::NetworkPolicy | CalicoPolicyKind::StagedNetworkPolicy
    );
    if namespaced && policy.namespace_selector.is_some() {
        out.push(refusal(format!(
            "spec.namespaceSelector: a {} has no such field (only GlobalNetworkPolicy has one; \
             a namespaced policy selects pods of its own namespace): the unknown field is \
             refused",
            policy.kind
        )));
    }
    for t in policy.types.iter().flatten() {
        if t != "Ingress" && t != "Egress" {
            out.push(refusal(format!(
                "spec.types: {t:?} is not a policy type (Ingress or Egress)"
            )));
        }
    }
    for (direction, rules) in [("ingress", &policy.ingress), ("egress", &policy.egress)] {
        for (i, rule) in rules.iter().enumerate() {
            check_rule(&RulePath { direction, i }, rule, file, &mut out);
        }
    }
    out
}

/// Whether Calico enforces nothing of the policy.
pub fn refused(policy: &CalicoPolicy) -> bool {
    validate(policy).iter().any(|p| p.refuses_policy)
}

/// What Calico refuses in a Tier.
pub fn validate_tier(tier: &CalicoTier) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Some(action) = &tier.default_action {
        if action != "Deny" && action != "Pass" {
            out.push(refusal(format!(
                "spec.defaultAction: {action:?} is not Deny or Pass"
            )));
        }
    }
    // `tierNameRegex`: tier names are parts of policy names (`<tier>.<name>`), so no dots.
    let label = tier.name.len() <= 63
        && !tier.name.is_empty()
        && tier
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !tier.name.starts_with('-')
        && !tier.name.ends_with('-');
    if !label {
        out.push(refusal(format!(
            "metadata.name: {:?} must be at most 63 lower case alphanumeric characters or '-', \
             starting and ending with an alphanumeric character",
            tier.name
        )));
    }
    out
}

fn refusal(words: String) -> Problem {
    Problem {
        words,
        refuses_policy: true,
    }
}

/// A selector that does not parse, located in the file where its value's position is known:
/// the value's first column plus the parser's column, less one.
fn check_selector(
    field: impl fmt::Display,
    text: &CalicoText,
    file: Option<&str>,
    out: &mut Vec<Problem>,
) {
    let Err(e) = text.selector() else {
        return;
    };
    let at = match (file, text.line, text.column) {
        (Some(f), Some(line), Some(column)) => {
            format!("at {f}:{line}:{}", column as usize + e.column - 1)
        }
        (Some(f), Some(line), None) => {
            format!("at column {} of the selector, {f}:{line}", e.column)
        }
        _ => format!("at column {} of the selector", e.column),
    };
    out.push(refusal(format!(
        "{field} {:?} does not parse {at}: {}",
        text.text, e.message
    )));
}

const ACTIONS: [&str; 4] = ["Allow", "Deny", "Pass", "Log"];

/// The protocol names of the v3 API (`numorstring` `allProtocolNames`).
const PROTOCOLS: [&str; 6] = ["TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite"];

/// `spec.ingress[0]`: written out only in a problem's words (most rules have none, and the
/// coverage validates every policy).
struct RulePath<'a> {
    direction: &'a str,
    i: usize,
}

impl fmt::Display for RulePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spec.{}[{}]", self.direction, self.i)
    }
}

/// `spec.ingress[0].source`.
struct SidePath<'a> {
    rule: &'a RulePath<'a>,
    side: &'a str,
}

impl fmt::Display for SidePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.rule, self.side)
    }
}

fn check_rule(at: &RulePath<'_>, rule: &CalicoRule, file: Option<&str>, out: &mut Vec<Problem>) {
    if rule.action.is_empty() {
        out.push(refusal(format!(
            "{at}: no action (one of Allow, Deny, Pass, Log is required)"
        )));
    } else if !ACTIONS.contains(&rule.action.as_str()) {
        out.push(refusal(format!(
            "{at}.action: {:?} is not Allow, Deny, Pass or Log",
            rule.action
        )));
    }
    if let Some(v) = rule.ip_version {
        if v != 4 && v != 6 {
            out.push(refusal(format!("{at}.ipVersion: {v} is not 4 or 6")));
        }
    }
    let mut supports_ports = None;
    for (field, protocol) in [
        ("protocol", &rule.protocol),
        ("notProtocol", &rule.not_protocol),
    ] {
        let Some(p) = protocol else { continue };
        let supports = match p.parse::<u64>() {
            Ok(n) if (1..=255).contains(&n) => Some(matches!(n, 6 | 17 | 132)),
            Ok(n) => {
                out.push(refusal(format!(
                    "{at}.{field}: {n} is not a protocol number (1-255)"
                )));
                None
            }
            Err(_) if PROTOCOLS.contains(&p.as_str()) => {
                Some(matches!(p.as_str(), "TCP" | "UDP" | "SCTP"))
            }
            Err(_) => {
                out.push(refusal(format!(
                    "{at}.{field}: {p:?} is not a protocol (TCP, UDP, ICMP, ICMPv6, SCTP, \
                     UDPLite, or a number 1-255)"
                )));
                None
            }
        };
        if field == "protocol" {
            supports_ports = supports;
        }
    }
    let mut families = (false, false);
    for (side, entity) in [("source", &rule.source), ("destination", &rule.destination)] {
        let path = SidePath { rule: at, side };
        for (field, text) in [
            ("selector", &entity.selector),
            ("notSelector", &entity.not_selector),
            ("namespaceSelector", &entity.namespace_selector),
        ] {
            if let Some(text) = text {
                check_selector(format_args!("{path}.{field}"), text, file, out);
            }
        }
        if let Some(sa) = &entity.service_accounts {
            if let Some(text) = &sa.selector {
                check_selector(
                    format_args!("{path}.serviceAccounts.selector"),
                    text,
                    file,
                    out,
                );
            }
        }
        for (field, ports) in [("ports", &entity.ports), ("notPorts", &entity.not_ports)] {
            for port in ports {
                check_port(format_args!("{path}.{field}"), port, out);
            }
            let numeric = ports.iter().any(|p| is_numeric(p));
            match (rule.protocol.is_some(), supports_ports) {
                // No protocol: named ports are looked up in each protocol; numbers are not.
                (false, _) if numeric => out.push(refusal(format!(
                    "{path}.{field}: a numeric port or range needs protocol TCP, UDP or SCTP \
                     (Calico: rules with numeric port or port range must set protocol to TCP \
                     or UDP or SCTP)"
                ))),
                (true, Some(false)) if !ports.is_empty() => out.push(refusal(format!(
                    "{path}.{field}: protocol {} has no ports (Calico: rules that specify \
                     ports must set protocol to TCP or UDP or SCTP)",
                    rule.protocol.as_deref().unwrap_or_default()
                ))),
                _ => {}
            }
        }
        for (field, nets) in [("nets", &entity.nets), ("notNets", &entity.not_nets)] {
            for net in nets {
                match parse_net(net) {
                    Some(n) => {
                        let v4 = matches!(n, IpNet::V4(_));
                        if rule.ip_version.is_some_and(|v| v != if v4 { 4 } else { 6 }) {
                            out.push(refusal(format!(
                                "{path}.{field}: {net} is not of the rule's ipVersion {}",
                                rule.ip_version.unwrap_or_default()
                            )));
                        }
                        if v4 {
                            families.0 = true;
                        } else {
                            families.1 = true;
                        }
                    }
                    None => out.push(refusal(format!(
                        "{path}.{field}: {net:?} is not a CIDR (or an address)"
                    ))),
                }
            }
        }
    }
    if families == (true, true) {
        out.push(refusal(format!(
            "{at}: the rule has both IPv4 and IPv6 CIDRs: Calico refuses the mix"
        )));
    }
}

/// A port or range written in digits (`80`, `"80:90"`), not a name.
fn is_numeric(port: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(port)
        || port
            .split_once(':')
            .is_some_and(|(a, b)| digits(a) && digits(b))
}

fn check_port(at: impl fmt::Display, port: &str, out: &mut Vec<Problem>) {
    let number = |s: &str| s.parse::<u64>().ok();
    let range = |a: u64, b: u64| -> Option<String> {
        if a == 0 || b == 0 {
            Some("port 0 is not a port (1-65535)".to_owned())
        } else if a > 65535 || b > 65535 {
            Some(format!("{} is past 65535", a.max(b)))
        } else if a > b {
            Some(format!("the range starts after it ends ({a} > {b})"))
        } else {
            None
        }
    };
    let problem = if is_numeric(port) {
        match port.split_once(':') {
            Some((a, b)) => match (number(a), number(b)) {
                (Some(a), Some(b)) => range(a, b),
                _ => Some("the numbers are too large".to_owned()),
            },
            None => match number(port) {
                Some(n) => range(n, n),
                None => Some("the number is too large".to_owned()),
            },
        }
    } else if port.is_empty()
        || port.len() > 128
        || !port
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        Some(
            "not a port number, a range `from:to` or a port name (letters, digits, `_`, `.`, \
             `-`)"
                .to_owned(),
        )
    } else {
        None
    };
    if let Some(why) = problem {
        out.push(refusal(format!("{at}: {port:?}: {why}")));
    }
}

/// A CIDR or a bare address (a full mask), as Calico's `ParseCIDROrIP` reads them.
fn parse_net(net: &str) -> Option<IpNet> {
    net.parse::<IpNet>()
        .ok()
        .or_else(|| net.parse::<IpAddr>().ok().map(IpNet::from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CalicoServiceAccounts, Origin, Suppression};

    fn policy(kind: CalicoPolicyKind) -> CalicoPolicy {
        CalicoPolicy {
            kind,
            api_version: "projectcalico.org/v3".to_owned(),
            namespace: (!kind.cluster_scoped()).then(|| "shop".to_owned()),
            name: "p".to_owned(),
            tier: "default".to_owned(),
            order: None,
            selector: None,
            namespace_selector: None,
            service_account_selector: None,
            types: None,
            ingress: Vec::new(),
            egress: Vec::new(),
            host_only: false,
            staged_action: None,
            staged_kubernetes: None,
            suppression: Suppression::default(),
            origin: Origin {
                file: Some("p.yaml".into()),
                line: Some(1),
            },
        }
    }

    fn rule(action: &str) -> CalicoRule {
        CalicoRule {
            action: action.to_owned(),
            ..CalicoRule::default()
        }
    }

    fn words(p: &CalicoPolicy) -> Vec<String> {
        validate(p).into_iter().map(|p| p.words).collect()
    }

    fn at(text: &str, line: u32, column: Option<u32>) -> Option<CalicoText> {
        Some(CalicoText::located(text, Some(line), column))
    }

    #[test]
    fn a_valid_policy_has_no_problem() {
        let mut p = policy(CalicoPolicyKind::GlobalNetworkPolicy);
        p.selector = at("app == 'web'", 5, Some(13));
        p.namespace_selector = at("all()", 6, Some(22));
        p.types = Some(vec!["Ingress".to_owned(), "Egress".to_owned()]);
        let mut r = rule("Allow");
        r.protocol = Some("TCP".to_owned());
        r.destination.ports = vec!["80".to_owned(), "8000:8080".to_owned(), "http".to_owned()];
        r.source.nets = vec!["10.0.0.0/8".to_owned(), "192.168.1.1".to_owned()];
        r.source.selector = at("has(app)", 9, Some(20));
        let mut named = rule("Deny");
        named.destination.ports = vec!["metrics".to_owned()];
        named.protocol = None;
        p.ingress = vec![r, rule("Pass"), rule("Log")];
        p.egress = vec![named];
        assert_eq!(words(&p), Vec::<String>::new());
        assert!(!refused(&p));
    }

    #[test]
    fn selector_errors_are_located_in_the_file() {
        let mut p = policy(CalicoPolicyKind::NetworkPolicy);
        // `app == web` is written at column 13 of line 5: the parser's column 8 is the file's 20.
        p.selector = at("app == web", 5, Some(13));
        let mut r = rule("Allow");
        r.source.service_accounts = Some(CalicoServiceAccounts {
            names: vec![],
            selector: at("role ==", 9, None),
        });
        r.destination.not_selector = Some(CalicoText::new("has(x"));
        p.ingress = vec![r];
        let w = words(&p);
        assert_eq!(w.len(), 3, "{w:#?}");
        assert!(
            w[0].starts_with("spec.selector \"app == web\" does not parse at p.yaml:5:20: expected a quoted value"),
            "{}",
            w[0]
        );
        assert!(
            w[1].starts_with(
                "spec.ingress[0].source.serviceAccounts.selector \"role ==\" does not parse at column 8 of the selector, p.yaml:9: "
            ),
            "{}",
            w[1]
        );
        assert!(
            w[2].starts_with(
                "spec.ingress[0].destination.notSelector \"has(x\" does not parse at column"
            ),
            "{}",
            w[2]
        );
        assert!(refused(&p));
        // Without a file (a live cluster) the column is the selector's.
        p.origin.file = None;
        assert!(words(&p)[0].contains("does not parse at column 8 of the selector: "));
    }

    #[test]
    fn actions_types_and_ip_versions_are_checked() {
        let mut p = policy(CalicoPolicyKind::GlobalNetworkPolicy);
        p.types = Some(vec!["Ingress".to_owned(), "ingress".to_owned()]);
        let mut r = rule("allow");
        r.ip_version = Some(5);
        p.ingress = vec![r, rule("")];
        assert_eq!(
            words(&p),
            vec![
                "spec.types: \"ingress\" is not a policy type (Ingress or Egress)",
                "spec.ingress[0].action: \"allow\" is not Allow, Deny, Pass or Log",
                "spec.ingress[0].ipVersion: 5 is not 4 or 6",
                "spec.ingress[1]: no action (one of Allow, Deny, Pass, Log is required)",
            ]
        );
    }

    #[test]
    fn a_namespaced_policy_has_no_namespace_selector() {
        let mut p = policy(CalicoPolicyKind::NetworkPolicy);
        p.namespace_selector = at("all()", 3, Some(22));
        let w = words(&p);
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with("spec.namespaceSelector: a NetworkPolicy has no such field"));
        let mut g = policy(CalicoPolicyKind::StagedGlobalNetworkPolicy);
        g.namespace_selector = at("all()", 3, Some(22));
        assert!(words(&g).is_empty());
    }

    #[test]
    fn ports_need_a_protocol_that_has_ports() {
        let mut p = policy(CalicoPolicyKind::GlobalNetworkPolicy);
        let mut none = rule("Allow");
        none.destination.ports = vec!["80".to_owned()];
        none.source.not_ports = vec!["1000:2000".to_owned()];
        let mut icmp = rule("Allow");
        icmp.protocol = Some("ICMP".to_owned());
        icmp.destination.ports = vec!["http".to_owned()];
        let mut by_number = rule("Allow");
        by_number.protocol = Some("17".to_owned());
        by_number.destination.ports = vec!["53".to_owned()];
        let mut sctp = rule("Allow");
        sctp.protocol = Some("132".to_owned());
        sctp.destination.ports = vec!["9".to_owned()];
        p.egress = vec![none, icmp, by_number, sctp];
        let w = words(&p);
        assert_eq!(w.len(), 3, "{w:#?}");
        assert!(w[0].starts_with("spec.egress[0].source.notPorts: a numeric port or range needs protocol TCP, UDP or SCTP"));
        assert!(w[1].starts_with("spec.egress[0].destination.ports: a numeric port"));
        assert!(w[2].starts_with("spec.egress[1].destination.ports: protocol ICMP has no ports"));
    }

    #[test]
    fn bad_ports_protocols_and_nets_are_refused() {
        let mut p = policy(CalicoPolicyKind::GlobalNetworkPolicy);
        let mut r = rule("Allow");
        r.protocol = Some("TCP".to_owned());
        r.not_protocol = Some("0".to_owned());
        r.destination.ports = ["0", "65536", "90:80", "1:70000", "a b", "ok_name.1"]
            .map(str::to_owned)
            .to_vec();
        r.destination.nets = vec!["10.0.0.0/33".to_owned(), "fd00::/8".to_owned()];
        r.source.nets = vec!["10.0.0.0/8".to_owned()];
        let mut q = rule("Deny");
        q.protocol = Some("HTTP".to_owned());
        q.ip_version = Some(6);
        q.source.not_nets = vec!["10.0.0.0/8".to_owned()];
        p.ingress = vec![r, q];
        let expected = [
            "spec.ingress[0].notProtocol: 0 is not a protocol number (1-255)",
            "spec.ingress[0].destination.ports: \"0\": port 0 is not a port (1-65535)",
            "spec.ingress[0].destination.ports: \"65536\": 65536 is past 65535",
            "spec.ingress[0].destination.ports: \"90:80\": the range starts after it ends (90 > 80)",
            "spec.ingress[0].destination.ports: \"1:70000\": 70000 is past 65535",
            "spec.ingress[0].destination.ports: \"a b\": not a port number, a range `from:to` or a port name (letters, digits, `_`, `.`, `-`)",
            "spec.ingress[0].destination.nets: \"10.0.0.0/33\" is not a CIDR (or an address)",
            "spec.ingress[0]: the rule has both IPv4 and IPv6 CIDRs: Calico refuses the mix",
            "spec.ingress[1].protocol: \"HTTP\" is not a protocol (TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite, or a number 1-255)",
            "spec.ingress[1].source.notNets: 10.0.0.0/8 is not of the rule's ipVersion 6",
        ];
        assert_eq!(words(&p), expected);
    }

    #[test]
    fn tiers_need_deny_or_pass_and_a_plain_name() {
        let tier = |name: &str, action: Option<&str>| CalicoTier {
            name: name.to_owned(),
            order: None,
            default_action: action.map(str::to_owned),
            origin: Origin::default(),
        };
        assert!(validate_tier(&tier("security", Some("Pass"))).is_empty());
        assert!(validate_tier(&tier("security", None)).is_empty());
        let w: Vec<String> = validate_tier(&tier("sec.urity", Some("Allow")))
            .into_iter()
            .map(|p| p.words)
            .collect();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0], "spec.defaultAction: \"Allow\" is not Deny or Pass");
        assert!(w[1].starts_with("metadata.name: \"sec.urity\" must be"));
    }
}
