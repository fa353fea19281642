//! What the API server refuses in a ClusterNetworkPolicy, AdminNetworkPolicy or
//! BaselineAdminNetworkPolicy, worded as it words CRD validation failures: `field path:
//! Reason: detail`.
//!
//! Follows the CRDs of kubernetes-sigs/network-policy-api: the OpenAPI rules (required fields,
//! enums, minimum/maximum, MinItems/MaxItems, MinProperties/MaxProperties, MaxLength, patterns)
//! and CEL rules generated from `apis/v1alpha2/clusternetworkpolicy_types.go`,
//! `apis/v1alpha1/adminnetworkpolicy_types.go`, `apis/v1alpha1/baselineadminnetworkpolicy_types.go`
//! and `apis/v1alpha1/shared_types.go`. Label selectors are also checked as NetworkPolicy's are:
//! the CRDs leave them unchecked, but implementations cannot parse a broken one.

use ipnet::IpNet;

use crate::model::{ClusterPeer, ClusterPolicy, ClusterPolicyKind, ClusterPort, ClusterRule};

use super::validation::selector;

/// Every reason the API server (or, for label selectors, any implementation) would refuse the
/// policy; empty when it is valid. A peer holding only fields this version does not know is
/// valid: it fails closed (SEMANTICS.md point 15).
pub fn validate(p: &ClusterPolicy) -> Vec<String> {
    let mut errs = Vec::new();
    let kind = p.kind;
    match kind {
        ClusterPolicyKind::BaselineAdminNetworkPolicy => {
            if p.name != "default" {
                errs.push(
                    "<nil>: Invalid value: \"object\": Only one baseline admin network policy with metadata.name=\"default\" can be created in the cluster"
                        .to_owned(),
                );
            }
        }
        _ => match p.priority {
            None => errs.push("spec.priority: Required value".to_owned()),
            Some(n) if n < 0 => errs.push(format!(
                "spec.priority: Invalid value: {n}: spec.priority in body should be greater than or equal to 0"
            )),
            Some(n) if n > 1000 => errs.push(format!(
                "spec.priority: Invalid value: {n}: spec.priority in body should be less than or equal to 1000"
            )),
            Some(_) => {}
        },
    }
    if kind == ClusterPolicyKind::ClusterNetworkPolicy {
        match p.tier.as_deref() {
            None => errs.push("spec.tier: Required value".to_owned()),
            Some("Admin" | "Baseline") => {}
            Some(t) => errs.push(format!(
                "spec.tier: Unsupported value: {t:?}: supported values: \"Admin\", \"Baseline\""
            )),
        }
    }
    subject(&p.subject, &mut errs);
    for (direction, rules) in [("ingress", &p.ingress), ("egress", &p.egress)] {
        let path = format!("spec.{direction}");
        too_many(rules.len(), kind.max_rules(), &path, &mut errs);
        for (i, r) in rules.iter().enumerate() {
            rule(
                kind,
                direction == "ingress",
                r,
                &format!("{path}[{i}]"),
                &mut errs,
            );
        }
    }
    errs
}

/// MaxItems of peers, ports, and of the rules' lists themselves in v1alpha1.
fn max_items(kind: ClusterPolicyKind) -> usize {
    match kind {
        ClusterPolicyKind::ClusterNetworkPolicy => 25,
        _ => 100,
    }
}

fn too_many(n: usize, max: usize, path: &str, errs: &mut Vec<String>) {
    if n > max {
        errs.push(format!(
            "{path}: Too many: {n}: must have at most {max} items"
        ));
    }
}

fn too_few(path: &str, errs: &mut Vec<String>) {
    errs.push(format!(
        "{path}: Invalid value: 0: {path} in body should have at least 1 items"
    ));
}

fn properties(set: usize, path: &str, errs: &mut Vec<String>) {
    let bound = match set {
        0 => "at least",
        1 => return,
        _ => "at most",
    };
    errs.push(format!(
        "{path}: Invalid value: \"object\": {path} in body should have {bound} 1 properties"
    ));
}

fn subject(s: &ClusterPeer, errs: &mut Vec<String>) {
    let path = "spec.subject";
    // The subject's type has namespaces and pods only: anything else is pruned by the API
    // server, which then counts what is left.
    let set = usize::from(s.namespaces.is_some()) + usize::from(s.pods.is_some());
    properties(set, path, errs);
    selectors(s, path, errs);
}

fn selectors(p: &ClusterPeer, path: &str, errs: &mut Vec<String>) {
    if let Some(s) = &p.namespaces {
        selector(s, &format!("{path}.namespaces"), errs);
    }
    if let Some(pods) = &p.pods {
        selector(
            &pods.namespace_selector,
            &format!("{path}.pods.namespaceSelector"),
            errs,
        );
        selector(
            &pods.pod_selector,
            &format!("{path}.pods.podSelector"),
            errs,
        );
    }
    if let Some(s) = &p.nodes {
        selector(s, &format!("{path}.nodes"), errs);
    }
}

fn rule(
    kind: ClusterPolicyKind,
    ingress: bool,
    r: &ClusterRule,
    path: &str,
    errs: &mut Vec<String>,
) {
    if let Some(name) = &r.name {
        if name.len() > 100 {
            errs.push(format!(
                "{path}.name: Too long: may not be more than 100 bytes"
            ));
        }
    }
    let actions: &[&str] = match kind {
        ClusterPolicyKind::ClusterNetworkPolicy => &["Accept", "Deny", "Pass"],
        ClusterPolicyKind::AdminNetworkPolicy => &["Allow", "Deny", "Pass"],
        ClusterPolicyKind::BaselineAdminNetworkPolicy => &["Allow", "Deny"],
    };
    if r.action.is_empty() {
        errs.push(format!("{path}.action: Required value"));
    } else if !actions.contains(&r.action.as_str()) {
        let supported: Vec<String> = actions.iter().map(|a| format!("{a:?}")).collect();
        errs.push(format!(
            "{path}.action: Unsupported value: {:?}: supported values: {}",
            r.action,
            supported.join(", ")
        ));
    }
    let max = max_items(kind);
    let peers_path = format!("{path}.{}", if ingress { "from" } else { "to" });
    if r.peers.is_empty() {
        too_few(&peers_path, errs);
    }
    too_many(r.peers.len(), max, &peers_path, errs);
    let allows = r.action == kind.allow_word();
    for (j, p) in r.peers.iter().enumerate() {
        peer(
            kind,
            ingress,
            allows,
            p,
            &format!("{peers_path}[{j}]"),
            errs,
        );
    }
    let ports_field = match kind {
        ClusterPolicyKind::ClusterNetworkPolicy => "protocols",
        _ => "ports",
    };
    if let Some(ports) = &r.ports {
        let ports_path = format!("{path}.{ports_field}");
        if ports.is_empty() {
            too_few(&ports_path, errs);
        }
        too_many(ports.len(), max, &ports_path, errs);
        for (j, p) in ports.iter().enumerate() {
            port(kind, p, &format!("{ports_path}[{j}]"), errs);
        }
        let named = ports.iter().any(|p| matches!(p, ClusterPort::Named(_)));
        let addresses = r
            .peers
            .iter()
            .any(|p| p.networks.is_some() || p.nodes.is_some() || p.domain_names.is_some());
        if !ingress && named && addresses {
            let peers = match kind {
                ClusterPolicyKind::BaselineAdminNetworkPolicy => "networks/nodes",
                _ => "networks/nodes/domainNames",
            };
            errs.push(format!(
                "{path}: Invalid value: \"object\": {peers} peer cannot be set with namedPorts since there are no namedPorts for {peers}"
            ));
        }
    }
}

fn peer(
    kind: ClusterPolicyKind,
    ingress: bool,
    allows: bool,
    p: &ClusterPeer,
    path: &str,
    errs: &mut Vec<String>,
) {
    let fields = p.fields();
    // Fields the peer type of this direction and kind does not have: the API server prunes
    // them, so they are refused here rather than evaluated.
    let foreign: &[&str] = match (ingress, kind) {
        (true, _) => &["nodes", "networks", "domainNames"],
        (false, ClusterPolicyKind::BaselineAdminNetworkPolicy) => &["domainNames"],
        (false, _) => &[],
    };
    for f in fields.iter().filter(|f| foreign.contains(f)) {
        let peers = if ingress { "ingress" } else { "egress" };
        errs.push(format!(
            "{path}.{f}: Forbidden: unknown field \"{f}\": {kind} {peers} peers do not have it"
        ));
    }
    if fields.is_empty() {
        // Only fields of a newer CRD: the peer fails closed, as the API says.
        if p.unknown.is_empty() {
            properties(0, path, errs);
        }
    } else {
        properties(fields.len(), path, errs);
    }
    selectors(p, path, errs);
    if let Some(networks) = &p.networks {
        list_bounds(networks.len(), 25, &format!("{path}.networks"), errs);
        for (i, cidr) in networks.iter().enumerate() {
            let item = format!("{path}.networks[{i}]");
            if cidr.len() > 43 {
                errs.push(format!("{item}: Too long: may not be more than 43 bytes"));
            } else if cidr.parse::<IpNet>().is_err() {
                errs.push(format!(
                    "{item}: Invalid value: \"string\": Invalid CIDR format provided"
                ));
            }
            if networks[..i].contains(cidr) {
                errs.push(format!("{item}: Duplicate value: {cidr:?}"));
            }
        }
    }
    if let Some(names) = &p.domain_names {
        list_bounds(names.len(), 25, &format!("{path}.domainNames"), errs);
        for (i, name) in names.iter().enumerate() {
            let item = format!("{path}.domainNames[{i}]");
            if !is_domain_name(name) {
                errs.push(format!(
                    "{item}: Invalid value: {name:?}: {item} in body should match '{DOMAIN_NAME_PATTERN}'"
                ));
            }
            if names[..i].contains(name) {
                errs.push(format!("{item}: Duplicate value: {name:?}"));
            }
        }
        if !allows {
            errs.push(format!(
                "{path}.domainNames: Forbidden: domainNames peers are only supported in {} rules",
                kind.allow_word()
            ));
        }
    }
}

fn list_bounds(n: usize, max: usize, path: &str, errs: &mut Vec<String>) {
    if n == 0 {
        too_few(path, errs);
    }
    too_many(n, max, path, errs);
}

fn port(kind: ClusterPolicyKind, p: &ClusterPort, path: &str, errs: &mut Vec<String>) {
    let cnp = kind == ClusterPolicyKind::ClusterNetworkPolicy;
    // Where the numbers sit under the entry, as written.
    let field = |protocol: &str, v1alpha2: &str, v1alpha1: &str| {
        if cnp {
            format!(
                "{path}.{}.destinationPort.{v1alpha2}",
                protocol.to_ascii_lowercase()
            )
        } else {
            format!("{path}.{v1alpha1}")
        }
    };
    match p {
        ClusterPort::Number { protocol, port } => {
            port_number(*port, &field(protocol, "number", "portNumber.port"), errs);
        }
        ClusterPort::Range {
            protocol,
            start,
            end,
        } => {
            let range = if cnp { "range" } else { "portRange" };
            port_number(
                *start,
                &field(protocol, "range.start", "portRange.start"),
                errs,
            );
            port_number(*end, &field(protocol, "range.end", "portRange.end"), errs);
            // v1alpha1's PortRange has no such rule: there a reversed range is admitted (and
            // matches nothing).
            if cnp && start >= end {
                errs.push(format!(
                    "{}: Invalid value: \"object\": Start port must be less than End port",
                    field(protocol, range, range)
                ));
            }
        }
        ClusterPort::Named(_) => {}
        ClusterPort::Invalid(message) => match message.split_once(": ") {
            Some((sub, words)) if !sub.contains(' ') => {
                errs.push(format!("{path}.{sub}: {words}"));
            }
            _ => errs.push(format!(
                "{path}: Invalid value: \"object\": {path} in body {message}"
            )),
        },
    }
}

fn port_number(n: i64, path: &str, errs: &mut Vec<String>) {
    if n < 1 {
        errs.push(format!(
            "{path}: Invalid value: {n}: {path} in body should be greater than or equal to 1"
        ));
    } else if n > 65535 {
        errs.push(format!(
            "{path}: Invalid value: {n}: {path} in body should be less than or equal to 65535"
        ));
    }
}

/// The CRDs' `DomainName` pattern, `A-z` (which takes in `[\]^_` and a backquote) included.
const DOMAIN_NAME_PATTERN: &str = r"^(\*\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$";

fn is_domain_name(name: &str) -> bool {
    let name = name.strip_prefix("*.").unwrap_or(name);
    let name = name.strip_suffix('.').unwrap_or(name);
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            let b = label.as_bytes();
            let first = |c: u8| c.is_ascii_digit() || (b'A'..=b'z').contains(&c);
            let middle = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
            match b {
                [] => false,
                [c] => first(*c),
                [c, mid @ .., last] => {
                    first(*c) && mid.iter().all(|m| middle(*m)) && last.is_ascii_alphanumeric()
                }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LabelSelector, NamespacedPods, Origin, Requirement, Suppression};

    fn all() -> ClusterPeer {
        ClusterPeer {
            namespaces: Some(LabelSelector::default()),
            ..Default::default()
        }
    }

    fn rule(action: &str, peers: Vec<ClusterPeer>) -> ClusterRule {
        ClusterRule {
            name: Some("r".into()),
            action: action.into(),
            peers,
            ports: None,
        }
    }

    fn base(kind: ClusterPolicyKind) -> ClusterPolicy {
        let allow = kind.allow_word();
        ClusterPolicy {
            kind,
            api_version: match kind {
                ClusterPolicyKind::ClusterNetworkPolicy => "policy.networking.k8s.io/v1alpha2",
                _ => "policy.networking.k8s.io/v1alpha1",
            }
            .into(),
            name: "default".into(),
            tier: (kind == ClusterPolicyKind::ClusterNetworkPolicy).then(|| "Admin".into()),
            priority: (kind != ClusterPolicyKind::BaselineAdminNetworkPolicy).then_some(10),
            subject: all(),
            ingress: vec![rule(allow, vec![all()])],
            egress: vec![rule(allow, vec![all()])],
            suppression: Suppression::default(),
            origin: Origin::default(),
        }
    }

    fn cnp() -> ClusterPolicy {
        base(ClusterPolicyKind::ClusterNetworkPolicy)
    }
    fn anp() -> ClusterPolicy {
        base(ClusterPolicyKind::AdminNetworkPolicy)
    }
    fn banp() -> ClusterPolicy {
        base(ClusterPolicyKind::BaselineAdminNetworkPolicy)
    }

    fn with(mut p: ClusterPolicy, f: impl FnOnce(&mut ClusterPolicy)) -> ClusterPolicy {
        f(&mut p);
        p
    }

    fn egress_port(mut p: ClusterPolicy, port: ClusterPort) -> ClusterPolicy {
        p.egress[0].ports = Some(vec![port]);
        p
    }

    fn tcp(port: i64) -> ClusterPort {
        ClusterPort::Number {
            protocol: "TCP".into(),
            port,
        }
    }

    fn range(start: i64, end: i64) -> ClusterPort {
        ClusterPort::Range {
            protocol: "TCP".into(),
            start,
            end,
        }
    }

    fn networks(cidrs: &[&str]) -> ClusterPeer {
        ClusterPeer {
            networks: Some(cidrs.iter().map(|c| c.to_string()).collect()),
            ..Default::default()
        }
    }

    fn domains(names: &[&str]) -> ClusterPeer {
        ClusterPeer {
            domain_names: Some(names.iter().map(|c| c.to_string()).collect()),
            ..Default::default()
        }
    }

    /// One case per rule of the CRDs: the policy, and the words expected (empty: valid).
    #[test]
    fn each_crd_rule() {
        let both = ClusterPeer {
            namespaces: Some(LabelSelector::default()),
            pods: Some(NamespacedPods::default()),
            ..Default::default()
        };
        let unknown_only = ClusterPeer {
            unknown: vec!["services".into()],
            ..Default::default()
        };
        let bad_selector = ClusterPeer {
            namespaces: Some(LabelSelector {
                match_labels: vec![],
                match_expressions: vec![Requirement {
                    key: "a".into(),
                    operator: "Equals".into(),
                    values: vec!["b".into()],
                }],
            }),
            ..Default::default()
        };
        let cases: Vec<(&str, ClusterPolicy, &str)> = vec![
            ("valid CNP", cnp(), ""),
            ("valid ANP", anp(), ""),
            ("valid BANP", banp(), ""),
            ("priority 0 and 1000 are the bounds", with(cnp(), |p| p.priority = Some(1000)), ""),
            ("priority above 1000", with(cnp(), |p| p.priority = Some(1001)), "spec.priority: Invalid value: 1001: spec.priority in body should be less than or equal to 1000"),
            ("negative priority", with(anp(), |p| p.priority = Some(-1)), "spec.priority: Invalid value: -1: spec.priority in body should be greater than or equal to 0"),
            ("priority required for ANP", with(anp(), |p| p.priority = None), "spec.priority: Required value"),
            ("priority required for CNP", with(cnp(), |p| p.priority = None), "spec.priority: Required value"),
            ("BANP is named default", with(banp(), |p| p.name = "other".into()), "Only one baseline admin network policy with metadata.name=\"default\" can be created in the cluster"),
            ("CNP tier required", with(cnp(), |p| p.tier = None), "spec.tier: Required value"),
            ("CNP tier enum", with(cnp(), |p| p.tier = Some("NetworkPolicy".into())), "spec.tier: Unsupported value: \"NetworkPolicy\": supported values: \"Admin\", \"Baseline\""),
            ("subject required", with(cnp(), |p| p.subject = ClusterPeer::default()), "spec.subject: Invalid value: \"object\": spec.subject in body should have at least 1 properties"),
            ("subject with two fields", with(anp(), |p| p.subject = both.clone()), "spec.subject: Invalid value: \"object\": spec.subject in body should have at most 1 properties"),
            ("peer with two fields", with(cnp(), |p| p.ingress[0].peers = vec![both.clone()]), "spec.ingress[0].from[0]: Invalid value: \"object\": spec.ingress[0].from[0] in body should have at most 1 properties"),
            ("empty peer", with(cnp(), |p| p.egress[0].peers = vec![ClusterPeer::default()]), "spec.egress[0].to[0]: Invalid value: \"object\": spec.egress[0].to[0] in body should have at least 1 properties"),
            ("a peer of a newer CRD fails closed, valid", with(cnp(), |p| p.egress[0].peers = vec![unknown_only.clone()]), ""),
            ("from needs a peer", with(anp(), |p| p.ingress[0].peers.clear()), "spec.ingress[0].from: Invalid value: 0: spec.ingress[0].from in body should have at least 1 items"),
            ("to needs a peer", with(banp(), |p| p.egress[0].peers.clear()), "spec.egress[0].to: Invalid value: 0: spec.egress[0].to in body should have at least 1 items"),
            ("25 rules per CNP direction", with(cnp(), |p| p.ingress = vec![rule("Deny", vec![all()]); 26]), "spec.ingress: Too many: 26: must have at most 25 items"),
            ("25 CNP rules are fine", with(cnp(), |p| p.ingress = vec![rule("Deny", vec![all()]); 25]), ""),
            ("100 rules per v1alpha1 direction", with(anp(), |p| p.egress = vec![rule("Deny", vec![all()]); 101]), "spec.egress: Too many: 101: must have at most 100 items"),
            ("100 ANP rules are fine", with(anp(), |p| p.egress = vec![rule("Deny", vec![all()]); 100]), ""),
            ("25 peers per CNP rule", with(cnp(), |p| p.ingress[0].peers = vec![all(); 26]), "spec.ingress[0].from: Too many: 26: must have at most 25 items"),
            ("100 peers per ANP rule", with(anp(), |p| p.ingress[0].peers = vec![all(); 101]), "spec.ingress[0].from: Too many: 101: must have at most 100 items"),
            ("25 protocols per CNP rule", with(cnp(), |p| p.egress[0].ports = Some(vec![tcp(80); 26])), "spec.egress[0].protocols: Too many: 26: must have at most 25 items"),
            ("empty protocols", with(cnp(), |p| p.egress[0].ports = Some(vec![])), "spec.egress[0].protocols: Invalid value: 0: spec.egress[0].protocols in body should have at least 1 items"),
            ("empty ports", with(anp(), |p| p.egress[0].ports = Some(vec![])), "spec.egress[0].ports: Invalid value: 0: spec.egress[0].ports in body should have at least 1 items"),
            ("CNP says Accept, not Allow", with(cnp(), |p| p.ingress[0].action = "Allow".into()), "spec.ingress[0].action: Unsupported value: \"Allow\": supported values: \"Accept\", \"Deny\", \"Pass\""),
            ("ANP says Allow, not Accept", with(anp(), |p| p.ingress[0].action = "Accept".into()), "spec.ingress[0].action: Unsupported value: \"Accept\": supported values: \"Allow\", \"Deny\", \"Pass\""),
            ("ANP Pass", with(anp(), |p| p.ingress[0].action = "Pass".into()), ""),
            ("BANP has no Pass", with(banp(), |p| p.egress[0].action = "Pass".into()), "spec.egress[0].action: Unsupported value: \"Pass\": supported values: \"Allow\", \"Deny\""),
            ("Baseline CNP may Pass", with(cnp(), |p| { p.tier = Some("Baseline".into()); p.egress[0].action = "Pass".into() }), ""),
            ("action required", with(cnp(), |p| p.egress[0].action = String::new()), "spec.egress[0].action: Required value"),
            ("ingress peers are no networks", with(cnp(), |p| p.ingress[0].peers = vec![networks(&["10.0.0.0/8"])]), "spec.ingress[0].from[0].networks: Forbidden: unknown field \"networks\""),
            ("ingress peers are no nodes", with(anp(), |p| p.ingress[0].peers = vec![ClusterPeer { nodes: Some(LabelSelector::default()), ..Default::default() }]), "spec.ingress[0].from[0].nodes: Forbidden"),
            ("BANP egress has no domainNames", with(banp(), |p| p.egress[0].peers = vec![domains(&["example.com"])]), "spec.egress[0].to[0].domainNames: Forbidden: unknown field \"domainNames\""),
            ("networks parse", with(cnp(), |p| p.egress[0].peers = vec![networks(&["10.0.0.0/33"])]), "spec.egress[0].to[0].networks[0]: Invalid value: \"string\": Invalid CIDR format provided"),
            ("IPv6 networks", with(anp(), |p| p.egress[0].peers = vec![networks(&["::/0", "fd00::/8"])]), ""),
            ("networks are a set", with(anp(), |p| p.egress[0].peers = vec![networks(&["10.0.0.0/8", "10.0.0.0/8"])]), "spec.egress[0].to[0].networks[1]: Duplicate value: \"10.0.0.0/8\""),
            ("networks need an item", with(cnp(), |p| p.egress[0].peers = vec![networks(&[])]), "spec.egress[0].to[0].networks: Invalid value: 0"),
            ("at most 25 networks", with(cnp(), |p| p.egress[0].peers = vec![networks(&(0..26).map(|i| format!("10.{i}.0.0/16")).collect::<Vec<_>>().iter().map(String::as_str).collect::<Vec<_>>())]), "spec.egress[0].to[0].networks: Too many: 26: must have at most 25 items"),
            ("port numbers from 1", egress_port(cnp(), tcp(0)), "spec.egress[0].protocols[0].tcp.destinationPort.number: Invalid value: 0: spec.egress[0].protocols[0].tcp.destinationPort.number in body should be greater than or equal to 1"),
            ("port numbers to 65535", egress_port(anp(), tcp(65536)), "spec.egress[0].ports[0].portNumber.port: Invalid value: 65536: spec.egress[0].ports[0].portNumber.port in body should be less than or equal to 65535"),
            ("CNP range start < end", egress_port(cnp(), range(90, 90)), "spec.egress[0].protocols[0].tcp.destinationPort.range: Invalid value: \"object\": Start port must be less than End port"),
            ("CNP range bounds", egress_port(cnp(), range(0, 80)), "spec.egress[0].protocols[0].tcp.destinationPort.range.start: Invalid value: 0"),
            ("v1alpha1 has no start < end rule", egress_port(anp(), range(90, 80)), ""),
            ("v1alpha1 range bounds", egress_port(banp(), range(1, 70000)), "spec.egress[0].ports[0].portRange.end: Invalid value: 70000"),
            ("one field per protocols entry", egress_port(cnp(), ClusterPort::Invalid("should have at most 1 properties".into())), "spec.egress[0].protocols[0]: Invalid value: \"object\": spec.egress[0].protocols[0] in body should have at most 1 properties"),
            ("a number or a range", egress_port(cnp(), ClusterPort::Invalid("tcp.destinationPort: should have at least 1 properties".into())), "spec.egress[0].protocols[0].tcp.destinationPort: should have at least 1 properties"),
            ("named ports with pods", egress_port(cnp(), ClusterPort::Named("http".into())), ""),
            ("no named ports with networks", with(egress_port(cnp(), ClusterPort::Named("http".into())), |p| p.egress[0].peers.push(networks(&["10.0.0.0/8"]))), "spec.egress[0]: Invalid value: \"object\": networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames"),
            ("no named ports with nodes (BANP words)", with(egress_port(banp(), ClusterPort::Named("http".into())), |p| p.egress[0].peers = vec![ClusterPeer { nodes: Some(LabelSelector::default()), ..Default::default() }]), "spec.egress[0]: Invalid value: \"object\": networks/nodes peer cannot be set with namedPorts since there are no namedPorts for networks/nodes"),
            ("domainNames in an Accept rule", with(cnp(), |p| p.egress[0].peers = vec![domains(&["example.com", "*.kubernetes.io", "a.b."])]), ""),
            ("domainNames only in Accept rules", with(cnp(), |p| { p.egress[0].action = "Deny".into(); p.egress[0].peers = vec![domains(&["example.com"])] }), "spec.egress[0].to[0].domainNames: Forbidden: domainNames peers are only supported in Accept rules"),
            ("domainNames only in Allow rules", with(anp(), |p| { p.egress[0].action = "Pass".into(); p.egress[0].peers = vec![domains(&["example.com"])] }), "only supported in Allow rules"),
            ("domainNames pattern", with(anp(), |p| p.egress[0].peers = vec![domains(&["localhost"])]), "spec.egress[0].to[0].domainNames[0]: Invalid value: \"localhost\": spec.egress[0].to[0].domainNames[0] in body should match"),
            ("wildcards are prefixes only", with(cnp(), |p| p.egress[0].peers = vec![domains(&["www.*.io"])]), "should match"),
            ("rule names up to 100 bytes", with(cnp(), |p| p.ingress[0].name = Some("x".repeat(101))), "spec.ingress[0].name: Too long: may not be more than 100 bytes"),
            ("rule names of 100 bytes", with(cnp(), |p| p.ingress[0].name = Some("x".repeat(100))), ""),
            ("label selectors", with(cnp(), |p| p.ingress[0].peers = vec![bad_selector.clone()]), "spec.ingress[0].from[0].namespaces.matchExpressions[0].operator: Invalid value: \"Equals\": not a valid selector operator"),
        ];
        for (name, policy, expected) in cases {
            let errs = validate(&policy);
            if expected.is_empty() {
                assert!(errs.is_empty(), "{name}: {errs:?}");
            } else {
                assert!(
                    errs.iter().any(|e| e.contains(expected)),
                    "{name}: expected {expected:?} in {errs:?}"
                );
                assert_eq!(errs.len(), 1, "{name}: one reason only: {errs:?}");
            }
        }
    }

    #[test]
    fn domain_names_follow_the_crd_pattern() {
        for ok in [
            "kubernetes.io",
            "*.kubernetes.io",
            "a.b",
            "x_y.io",
            "a.b.",
            "1.2",
        ] {
            assert!(is_domain_name(ok), "{ok}");
        }
        for bad in [
            "io",
            "*.io",
            "-a.io",
            "a-.io",
            "a..io",
            "*kubernetes.io",
            ".a.io",
            "a.b*",
        ] {
            assert!(!is_domain_name(bad), "{bad}");
        }
    }
}
