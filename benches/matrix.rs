//! `cargo bench --bench matrix`: `matrix` over one namespace of 1,000 workloads and 500
//! policies (the target of issue 7: under 2 s here). `scripts/bench-matrix.sh` times the binary.
//!
//! - `compute`: the engine alone (policies compiled into peer sets, every pair decided);
//! - `load_compute_json`: what `matrix -f FILE -o json` does after reading the file.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

use netpol_check::connectivity::{matrix, Engine};
use netpol_check::output;
use netpol_check::source::manifests::{build_inventory, parse_all, Loaded, ManifestOptions};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let text = netpol_check::synth_namespace::generate(1_000, 500);
    let loaded = vec![Loaded {
        name: "big.yaml".into(),
        text,
    }];
    let load = || build_inventory(parse_all(&loaded, &ManifestOptions::default()).unwrap());
    let inventory = load();
    let mut group = c.benchmark_group("matrix_1000_workloads_500_policies");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("compute", |b| {
        b.iter(|| {
            let engine = Engine::new(&inventory);
            matrix::compute(&engine, |_| true).entries.len()
        })
    });
    group.bench_function("load_compute_json", |b| {
        b.iter(|| {
            let inventory = load();
            let engine = Engine::new(&inventory);
            let rows = matrix::Rows::new(&engine, |_| true);
            let mut sink = std::io::sink();
            output::matrix::json(&inventory, &rows, &rows.notes(), &mut sink).unwrap();
            rows.workloads.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
