//! Writes the `matrix` benchmark's namespace (1,000 workloads, 500 policies) to stdout:
//! `cargo run --release --example synth_namespace > big.yaml`.

fn main() {
    print!("{}", netpol_check::synth_namespace::generate(1_000, 500));
}
