//! The body of a cluster list response, decoded as each list's pages are, then folded,
//! analysed and printed.

#![no_main]

#[path = "../invariants.rs"]
mod invariants;

libfuzzer_sys::fuzz_target!(|data: &[u8]| invariants::cluster_page(data));
