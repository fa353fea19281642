//! The same input gives the same bytes out, every run. Hash maps are seeded per process, so a
//! report that depended on their order would differ between two runs of the binary; this runs it
//! several times on a synthetic cluster large enough to exercise every rule.

mod common;

use common::*;
use netpol_check::synth::{generate, SynthConfig};

#[test]
fn repeated_runs_give_identical_output_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cluster.yaml");
    let mut file = std::fs::File::create(&path).unwrap();
    generate(&SynthConfig::scaled(0.02), &mut file).unwrap();
    drop(file);
    let path = path.to_str().unwrap();
    for format in ["json", "table", "sarif"] {
        let first = run(&["-f", path, "-o", format]);
        assert_eq!(first.code, 1, "{}", first.stderr);
        assert!(
            first.stdout.len() > 10_000,
            "{format}: too little output to compare"
        );
        for _ in 0..4 {
            let again = run(&["-f", path, "-o", format]);
            assert!(
                again.stdout == first.stdout,
                "-o {format} differs between two runs of the same input"
            );
        }
    }
}
