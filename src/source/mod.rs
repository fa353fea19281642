//! Sources: everything that turns user input into one [`Inventory`](crate::model::Inventory).

pub mod calico;
pub mod chart;
pub mod cluster;
pub mod documents;
pub mod git;
pub mod helm;
pub mod kustomize;
pub mod lists;
pub mod manifests;
pub mod objects;
pub mod overlay;
pub mod paths;
pub mod rendered;
pub mod stream;
pub mod with_cluster;
pub mod yaml11;

pub use manifests::{load, ManifestOptions};

/// Label sets without repeats, in first-seen order. Hashed: a StatefulSet's pods each have
/// their own labels, and comparing each with every set kept took minutes for 50,000 pods.
pub(crate) fn distinct_label_sets(sets: Vec<crate::model::Labels>) -> Vec<crate::model::Labels> {
    if sets.len() < 2 {
        return sets;
    }
    let keep: Vec<bool> = {
        let mut seen = foldhash::HashSet::with_capacity_and_hasher(sets.len(), Default::default());
        sets.iter().map(|s| seen.insert(s)).collect()
    };
    sets.into_iter()
        .zip(keep)
        .filter_map(|(s, keep)| keep.then_some(s))
        .collect()
}
