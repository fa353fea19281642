//! How hostNetwork pods are policed (SEMANTICS.md point 5): one switch that coverage,
//! connectivity and the checks all read.

/// The two behaviours the Kubernetes docs allow for pods with `hostNetwork: true`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum HostNetwork {
    /// The common one: the pod is its node on the network. It is never isolated, and no
    /// selector matches it as a peer; only an ipBlock holding its node's address would.
    #[default]
    Node,
    /// The CNI polices it like any pod (netpol-analyzer's and OVN-Kubernetes' model).
    Pod,
}

impl HostNetwork {
    pub fn as_str(self) -> &'static str {
        match self {
            HostNetwork::Node => "node",
            HostNetwork::Pod => "pod",
        }
    }

    /// Whether a pod with this `hostNetwork` is seen as its node: never isolated, never
    /// matched by a podSelector or namespaceSelector.
    pub fn is_node(self, host_network: bool) -> bool {
        host_network && self == HostNetwork::Node
    }
}
