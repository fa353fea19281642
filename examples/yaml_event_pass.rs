//! The baseline of the performance target: what the YAML library alone needs to read a stream.
//!
//! ```text
//! cargo run --release --example yaml_event_pass -- cluster.yaml
//! ```
//!
//! Reads the file, then runs [`netpol_check::synth::yaml_event_pass`] (serde_norway into
//! `IgnoredAny`, single-threaded) with the system allocator, as a plain serde_norway program
//! would. `synth --parse FILE` runs the same pass on mimalloc, the allocator of the binary.
//! Prints the number of documents.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: yaml_event_pass FILE");
        return ExitCode::from(2);
    };
    let result = std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| netpol_check::synth::yaml_event_pass(&text).map_err(|e| e.to_string()));
    match result {
        Ok(documents) => {
            println!("{documents}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("yaml_event_pass: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}
