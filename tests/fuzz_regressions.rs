//! Every input that ever broke a fuzz target (fuzz/fuzz_targets), kept under
//! fuzz/regressions/<target>/ and replayed through the same invariants (fuzz/invariants.rs) on
//! every `cargo test`: none may break again. scripts/fuzz.sh copies new findings there.

#[path = "../fuzz/invariants.rs"]
mod invariants;

use std::path::PathBuf;

fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_kept_input_passes_its_target() {
    let mut failed = Vec::new();
    let mut count = 0;
    for (target, check) in invariants::TARGETS {
        for file in regressions(target) {
            count += 1;
            let data = std::fs::read(&file).unwrap();
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                failed.push(format!("{target}: {}", file.display()));
            }
        }
    }
    assert!(failed.is_empty(), "broken again:\n{}", failed.join("\n"));
    assert!(count > 0, "no regression inputs found");
}

#[test]
fn every_target_has_regression_inputs() {
    for (target, _) in invariants::TARGETS {
        assert!(
            !regressions(target).is_empty(),
            "fuzz/regressions/{target}/ is empty"
        );
    }
}
