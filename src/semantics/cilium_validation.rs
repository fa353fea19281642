//! What Cilium refuses of a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy (SEMANTICS.md
//! points 18-19): a policy it refuses enforces nothing, all its `specs` included.
//!
//! Source: cilium `pkg/policy/api/rule_validation.go` (`Rule.Sanitize`).

use crate::model::{CiliumPeerRule, CiliumPolicy};

/// Whether Cilium enforces nothing of the policy: a rule with no non-empty section, a peer
/// rule mixing two kinds of L3 peer, a rule selecting neither endpoints nor nodes (or both), or
/// the agents' own verdict in its status.
pub fn refused(policy: &CiliumPolicy) -> bool {
    policy.rejected_by_cilium.is_some()
        || policy.rules.is_empty()
        || policy.rules.iter().any(|rule| {
            let sections = [
                &rule.ingress,
                &rule.ingress_deny,
                &rule.egress,
                &rule.egress_deny,
            ];
            let peers = sections.iter().filter_map(|s| s.as_deref()).flatten();
            sections
                .iter()
                .all(|s| s.as_ref().is_none_or(Vec::is_empty))
                || rule.endpoint_selector.is_some() == rule.node_selector
                || peers.clone().any(mixes_peer_kinds)
        })
}

/// One rule carries one kind of L3 peer (point 19).
fn mixes_peer_kinds(rule: &CiliumPeerRule) -> bool {
    rule.peer_kinds().len() > 1
}
