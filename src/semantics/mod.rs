//! The NetworkPolicy semantics of `shared/SEMANTICS.md`: pure functions over the inventory, no I/O.

pub mod calico_selector;
pub mod calico_validation;
pub mod cilium_selector;
#[cfg(test)]
mod cilium_tests;
pub mod cilium_validation;
pub mod cluster_validation;
pub mod connset;
pub mod coverage;
pub mod decide;
pub mod host_network;
pub mod label_index;
pub mod network_subjects;
pub mod policy_set;
pub mod policy_types;
pub mod selector;
pub mod selector_syntax;
pub mod traffic;
pub mod validation;

pub use connset::ConnSet;
pub use coverage::{Coverage, DecidedBy, DirectionVerdict, Isolation, WorkloadVerdict};
pub use host_network::HostNetwork;
pub use label_index::LabelIndex;
pub use policy_set::{Layer, PolicyId, PolicySet, RuleRef};
pub use policy_types::PolicyTypes;
pub use selector::Selector;
