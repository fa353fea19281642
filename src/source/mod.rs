//! Sources: everything that turns user input into one [`Inventory`](crate::model::Inventory).

pub mod cluster;
pub mod documents;
pub mod helm;
pub mod manifests;
pub mod objects;
pub mod paths;
pub mod stream;
pub mod yaml11;

pub use manifests::{load, ManifestOptions};
