//! What the API server refuses in a NetworkPolicy (SEMANTICS.md, "What the API server
//! refuses"), worded as the API server words it: `field path: Reason: detail`.
//!
//! Follows k8s.io/kubernetes pkg/apis/networking/validation (ValidateNetworkPolicySpec, -Port,
//! -Peer, ValidateIPBlock) and apimachinery's label and port-name validation.

use ipnet::IpNet;

use crate::model::{IpBlock, LabelSelector, NetworkPolicy, Peer, PolicyPort, PortValue};

/// Every reason the API server would refuse the policy; empty when it is valid.
pub fn validate(policy: &NetworkPolicy) -> Vec<String> {
    let mut errs = Vec::new();
    selector(&policy.pod_selector, "spec.podSelector", &mut errs);
    for (direction, rules, peers_field) in [
        ("ingress", &policy.ingress, "from"),
        ("egress", &policy.egress, "to"),
    ] {
        for (i, rule) in rules.iter().enumerate() {
            let path = format!("spec.{direction}[{i}]");
            for (j, p) in rule.ports.iter().enumerate() {
                port(p, &format!("{path}.ports[{j}]"), &mut errs);
            }
            for (j, p) in rule.peers.iter().enumerate() {
                peer(p, &format!("{path}.{peers_field}[{j}]"), &mut errs);
            }
        }
    }
    if let Some(types) = &policy.policy_types {
        if types.len() > 2 {
            errs.push(format!(
                "spec.policyTypes: Invalid value: {types:?}: may not specify more than two policyTypes"
            ));
        } else {
            for (i, t) in types.iter().enumerate() {
                if t != "Ingress" && t != "Egress" {
                    errs.push(format!(
                        "spec.policyTypes[{i}]: Unsupported value: {t:?}: supported values: \"Ingress\", \"Egress\""
                    ));
                }
            }
        }
    }
    errs
}

const PORT_RANGE: &str = "must be between 1 and 65535, inclusive";

fn port(p: &PolicyPort, path: &str, errs: &mut Vec<String>) {
    if let Some(proto) = &p.protocol {
        if !matches!(proto.as_str(), "TCP" | "UDP" | "SCTP") {
            errs.push(format!(
                "{path}.protocol: Unsupported value: {proto:?}: supported values: \"TCP\", \"UDP\", \"SCTP\""
            ));
        }
    }
    match &p.port {
        Some(PortValue::Number(n)) => {
            if !(1..=65535).contains(n) {
                errs.push(format!("{path}.port: Invalid value: {n}: {PORT_RANGE}"));
            }
            if let Some(end) = p.end_port {
                // Upstream reports the port's value here, not the endPort's.
                if end < *n {
                    errs.push(format!(
                        "{path}.endPort: Invalid value: {n}: must be greater than or equal to `port`"
                    ));
                }
                if !(1..=65535).contains(&end) {
                    errs.push(format!(
                        "{path}.endPort: Invalid value: {end}: {PORT_RANGE}"
                    ));
                }
            }
        }
        Some(PortValue::Name(name)) => {
            if let Some(end) = p.end_port {
                errs.push(format!(
                    "{path}.endPort: Invalid value: {end}: may not be specified when `port` is non-numeric"
                ));
            }
            for msg in port_name_errors(name) {
                errs.push(format!("{path}.port: Invalid value: {name:?}: {msg}"));
            }
        }
        None => {
            if let Some(end) = p.end_port {
                errs.push(format!(
                    "{path}.endPort: Invalid value: {end}: may not be specified when `port` is not specified"
                ));
            }
        }
    }
}

/// apimachinery's IsValidPortName: an IANA service name.
pub fn port_name_errors(name: &str) -> Vec<&'static str> {
    let mut msgs = Vec::new();
    if name.len() > 15 {
        msgs.push("must be no more than 15 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        msgs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    }
    if name.contains("--") {
        msgs.push("must not contain consecutive hyphens (--)");
    }
    if !name.is_empty() && (name.starts_with('-') || name.ends_with('-')) {
        msgs.push("must not begin or end with a hyphen (-)");
    }
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        msgs.push("must contain at least one letter (a-z)");
    }
    msgs
}

fn peer(p: &Peer, path: &str, errs: &mut Vec<String>) {
    let mut count = 0;
    if let Some(s) = &p.pod_selector {
        count += 1;
        selector(s, &format!("{path}.podSelector"), errs);
    }
    if let Some(s) = &p.namespace_selector {
        count += 1;
        selector(s, &format!("{path}.namespaceSelector"), errs);
    }
    if let Some(b) = &p.ip_block {
        count += 1;
        ip_block(b, &format!("{path}.ipBlock"), errs);
    }
    if count == 0 {
        errs.push(format!("{path}: Required value: must specify a peer"));
    } else if count > 1 && p.ip_block.is_some() {
        errs.push(format!(
            "{path}: Forbidden: may not specify both ipBlock and another peer"
        ));
    }
}

const CIDR: &str = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

fn ip_block(b: &IpBlock, path: &str, errs: &mut Vec<String>) {
    if b.cidr.is_empty() {
        errs.push(format!("{path}.cidr: Required value"));
        return;
    }
    let Ok(cidr) = b.cidr.parse::<IpNet>() else {
        errs.push(format!("{path}.cidr: Invalid value: {:?}: {CIDR}", b.cidr));
        return;
    };
    for (i, e) in b.except.iter().enumerate() {
        match e.parse::<IpNet>() {
            Err(_) => errs.push(format!("{path}.except[{i}]: Invalid value: {e:?}: {CIDR}")),
            Ok(except) => {
                if !cidr.contains(&except.network()) || cidr.prefix_len() >= except.prefix_len() {
                    errs.push(format!(
                        "{path}.except[{i}]: Invalid value: {e:?}: must be a strict subset of `cidr`"
                    ));
                }
            }
        }
    }
}

pub(crate) fn selector(s: &LabelSelector, path: &str, errs: &mut Vec<String>) {
    for (k, v) in &s.match_labels {
        for msg in qualified_name_errors(k) {
            errs.push(format!("{path}.matchLabels: Invalid value: {k:?}: {msg}"));
        }
        for msg in label_value_errors(v) {
            errs.push(format!("{path}.matchLabels: Invalid value: {v:?}: {msg}"));
        }
    }
    for (i, r) in s.match_expressions.iter().enumerate() {
        let rpath = format!("{path}.matchExpressions[{i}]");
        match r.operator.as_str() {
            "In" | "NotIn" => {
                if r.values.is_empty() {
                    errs.push(format!(
                        "{rpath}.values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !r.values.is_empty() {
                    errs.push(format!(
                        "{rpath}.values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                    ));
                }
            }
            other => errs.push(format!(
                "{rpath}.operator: Invalid value: {other:?}: not a valid selector operator"
            )),
        }
        for msg in qualified_name_errors(&r.key) {
            errs.push(format!("{rpath}.key: Invalid value: {:?}: {msg}", r.key));
        }
        for (j, v) in r.values.iter().enumerate() {
            for msg in label_value_errors(v) {
                errs.push(format!("{rpath}.values[{j}]: Invalid value: {v:?}: {msg}"));
            }
        }
    }
}

const NAME_CHARS: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_CHARS: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const SUBDOMAIN: &str = "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
fn is_label_token(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// apimachinery's IsQualifiedName: `[prefix/]name`.
pub(crate) fn qualified_name_errors(key: &str) -> Vec<String> {
    let mut msgs = Vec::new();
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if name.contains('/') {
        msgs.push("a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')".to_owned());
        return msgs;
    }
    if name.is_empty() {
        msgs.push("name part must be non-empty".to_owned());
    } else if name.len() > 63 {
        msgs.push("name part must be no more than 63 characters".to_owned());
    }
    if !name.is_empty() && !is_label_token(name) {
        msgs.push(NAME_CHARS.to_owned());
    }
    if let Some(p) = prefix {
        if p.is_empty() {
            msgs.push("prefix part must be non-empty".to_owned());
        } else if !is_dns_subdomain(p) {
            msgs.push(SUBDOMAIN.to_owned());
        }
    }
    msgs
}

fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|part| {
            let b = part.as_bytes();
            !b.is_empty()
                && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
                && (b[b.len() - 1].is_ascii_lowercase() || b[b.len() - 1].is_ascii_digit())
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

pub(crate) fn label_value_errors(v: &str) -> Vec<String> {
    let mut msgs = Vec::new();
    if v.len() > 63 {
        msgs.push("must be no more than 63 characters".to_owned());
    }
    if !v.is_empty() && !is_label_token(v) {
        msgs.push(VALUE_CHARS.to_owned());
    }
    msgs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Requirement, Rule};

    fn policy() -> NetworkPolicy {
        NetworkPolicy {
            namespace: "ns".into(),
            name: "p".into(),
            pod_selector: LabelSelector::default(),
            policy_types: None,
            ingress: vec![],
            egress: vec![],
            suppression: Default::default(),
            origin: Default::default(),
        }
    }

    fn with_port(p: PolicyPort) -> NetworkPolicy {
        let mut np = policy();
        np.ingress = vec![Rule {
            peers: vec![],
            ports: vec![p],
        }];
        np
    }

    fn num(n: i64, end: Option<i64>) -> PolicyPort {
        PolicyPort {
            protocol: None,
            port: Some(PortValue::Number(n)),
            end_port: end,
        }
    }

    #[test]
    fn a_plain_policy_is_valid() {
        assert!(validate(&policy()).is_empty());
        assert!(validate(&with_port(num(8000, Some(8080)))).is_empty());
    }

    #[test]
    fn end_port_below_port_in_the_api_servers_words() {
        assert_eq!(
            validate(&with_port(num(80, Some(79)))),
            ["spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`"]
        );
    }

    #[test]
    fn port_rules() {
        assert_eq!(
            validate(&with_port(num(0, None))),
            ["spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"]
        );
        let named = PolicyPort {
            protocol: Some("ICMP".into()),
            port: Some(PortValue::Name("http".into())),
            end_port: Some(90),
        };
        assert_eq!(
            validate(&with_port(named)),
            [
                "spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\"",
                "spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
            ]
        );
        let bad_name = PolicyPort {
            protocol: None,
            port: Some(PortValue::Name("Http--x".into())),
            end_port: None,
        };
        assert_eq!(validate(&with_port(bad_name)).len(), 2);
        let no_port = PolicyPort {
            protocol: Some("UDP".into()),
            port: None,
            end_port: Some(5),
        };
        assert_eq!(
            validate(&with_port(no_port)),
            ["spec.ingress[0].ports[0].endPort: Invalid value: 5: may not be specified when `port` is not specified"]
        );
    }

    #[test]
    fn peers() {
        let mut np = policy();
        let mut mixed = Peer {
            ip_block: Some(IpBlock {
                cidr: "10.0.0.0/8".into(),
                except: vec!["10.0.0.0/8".into(), "192.168.0.0/16".into(), "x".into()],
            }),
            ..Default::default()
        };
        mixed.pod_selector = Some(LabelSelector::default());
        np.egress = vec![Rule {
            peers: vec![Peer::default(), mixed],
            ports: vec![],
        }];
        assert_eq!(
            validate(&np),
            [
                "spec.egress[0].to[0]: Required value: must specify a peer",
                "spec.egress[0].to[1].ipBlock.except[0]: Invalid value: \"10.0.0.0/8\": must be a strict subset of `cidr`",
                "spec.egress[0].to[1].ipBlock.except[1]: Invalid value: \"192.168.0.0/16\": must be a strict subset of `cidr`",
                "spec.egress[0].to[1].ipBlock.except[2]: Invalid value: \"x\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
                "spec.egress[0].to[1]: Forbidden: may not specify both ipBlock and another peer",
            ]
        );
    }

    #[test]
    fn selectors_and_policy_types() {
        let mut np = policy();
        np.pod_selector = LabelSelector {
            match_labels: vec![("app@b".into(), "ok".into()), ("app".into(), "$bad".into())],
            match_expressions: vec![
                Requirement {
                    key: "a".into(),
                    operator: "In".into(),
                    values: vec![],
                },
                Requirement {
                    key: "b".into(),
                    operator: "Exists".into(),
                    values: vec!["x".into()],
                },
                Requirement {
                    key: "c".into(),
                    operator: "Equals".into(),
                    values: vec![],
                },
            ],
        };
        np.policy_types = Some(vec!["ingress".into()]);
        let errs = validate(&np);
        assert_eq!(errs.len(), 6, "{errs:#?}");
        assert!(errs[0].starts_with(
            "spec.podSelector.matchLabels: Invalid value: \"app@b\": name part must consist"
        ));
        assert!(errs[1].starts_with(
            "spec.podSelector.matchLabels: Invalid value: \"$bad\": a valid label must be"
        ));
        assert_eq!(errs[2], "spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'");
        assert_eq!(errs[3], "spec.podSelector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
        assert_eq!(errs[4], "spec.podSelector.matchExpressions[2].operator: Invalid value: \"Equals\": not a valid selector operator");
        assert_eq!(errs[5], "spec.policyTypes[0]: Unsupported value: \"ingress\": supported values: \"Ingress\", \"Egress\"");
        np.policy_types = Some(vec!["Ingress".into(), "Egress".into(), "Ingress".into()]);
        np.pod_selector = LabelSelector::default();
        assert_eq!(validate(&np).len(), 1);
    }

    #[test]
    fn qualified_keys_with_prefixes() {
        assert!(qualified_name_errors("app.kubernetes.io/name").is_empty());
        assert!(qualified_name_errors("kubernetes.io/metadata.name").is_empty());
        assert_eq!(qualified_name_errors("Example.com/x").len(), 1);
        assert_eq!(
            qualified_name_errors("/x"),
            ["prefix part must be non-empty"]
        );
    }
}
