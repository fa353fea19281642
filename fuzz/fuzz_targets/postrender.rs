//! Helm's rendered stream through the post-renderer: the output is the input, plus whole
//! generated documents under names of their own.

#![no_main]

#[path = "../invariants.rs"]
mod invariants;

libfuzzer_sys::fuzz_target!(|data: &[u8]| invariants::postrender(data));
