//! A manifest stream read as a `-f` file, through analysis and every output format.

#![no_main]

#[path = "../invariants.rs"]
mod invariants;

libfuzzer_sys::fuzz_target!(|data: &[u8]| invariants::manifests(data));
