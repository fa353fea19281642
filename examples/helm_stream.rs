//! Writes the post-render benchmark's Helm-like stream to stdout:
//! `cargo run --release --example helm_stream [DOCUMENTS [BYTES]] > stream.yaml`
//! (default 10,000 documents, 30 MB).

#[path = "../benches/support/helm_stream.rs"]
mod helm_stream;

use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let documents = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let bytes = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(30_000_000);
    let text = helm_stream::generate(documents, bytes, 1);
    std::io::stdout()
        .write_all(text.as_bytes())
        .expect("write stdout");
}
