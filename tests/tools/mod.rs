//! The real helm 3, helm 4 and kubectl the end-to-end tests run, installed (or found in the
//! cache) by scripts/install-test-tools.sh once per test binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The directory holding helm3, helm4 and kubectl.
pub fn dir() -> &'static Path {
    static TOOLS: OnceLock<PathBuf> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let out = Command::new("bash")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scripts/install-test-tools.sh"
            ))
            .output()
            .expect("run scripts/install-test-tools.sh");
        assert!(
            out.status.success(),
            "scripts/install-test-tools.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// kubectl 1.37.
pub fn kubectl() -> PathBuf {
    dir().join("kubectl")
}
