//! netpol-check: which pods can any compromised neighbour reach, and which can reach anything?
//!
//! The crate is laid out as a pipeline:
//! - [`source`]: manifests, stdin (and later Helm streams and live clusters) produce one
//!   [`model::Inventory`];
//! - [`semantics`]: the pure NetworkPolicy semantics of `shared/SEMANTICS.md`;
//! - [`checks`]: one rule per file, producing findings;
//! - [`analysis`]: scope, coverage, checks and suppression, into one [`report::Report`];
//! - [`output`]: renderers that consume the report;
//! - [`cli`]: the `kubectl netpol-check` command line.

pub mod analysis;
pub mod checks;
pub mod cli;
pub mod cni;
pub mod completion;
pub mod connectivity;
pub mod diff;
pub mod error;
pub mod fleet;
pub mod generate;
pub mod in_cluster;
pub mod lists;
pub mod manpage;
pub mod model;
pub mod output;
pub mod postrender;
pub mod report;
pub mod semantics;
pub mod source;
pub mod synth;
pub mod synth_namespace;
pub mod text;
