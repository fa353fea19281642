//! `cargo bench`: a run over a synthetic cluster against what the YAML library alone needs.
//!
//! The cluster is a tenth of the full benchmark cluster by default so that the bench takes
//! about a minute; `NETPOL_BENCH_SCALE=1 cargo bench` measures the full 32 MB stream
//! (`scripts/bench.sh` measures the binary on it, with peak memory).
//!
//! - `yaml_event_pass`: serde_norway over every document into `IgnoredAny`, single-threaded:
//!   the floor of any serde_norway-based reader, and the baseline of the performance target.
//! - `full_run_json`: what `kubectl netpol-check -f FILE -o json` does after reading the file.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use netpol_check::analysis::{self, Scope};
use netpol_check::output::{self, Format};
use netpol_check::report::Source;
use netpol_check::source::manifests::{
    inventory_of_documents, jobs, parse_jobs, Loaded, ManifestOptions,
};
use netpol_check::synth::{generate, yaml_event_pass, SynthConfig};

// The allocator of the binary, for both passes: the comparison is then between the tool and the
// YAML library, not between allocators.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn scale() -> f64 {
    match std::env::var("NETPOL_BENCH_SCALE") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("NETPOL_BENCH_SCALE={v:?}: expected a fraction like 0.1")),
        Err(_) => 0.1,
    }
}

/// The sequence of `cli::run` for `-f FILE -o json`, from the loaded file to the rendered
/// report; the output goes to a sink, as the binary's goes to /dev/null in scripts/bench.sh.
fn full_run_json(loaded: &[Loaded], name: &str) -> usize {
    let options = ManifestOptions::default();
    let scope = Scope::new(false, &[]).expect("no globs");
    let per_document = parse_jobs(&jobs(loaded), &options).expect("the synthetic stream is valid");
    let mut inventory = inventory_of_documents(per_document);
    scope.apply(&mut inventory);
    let source = Source::manifests(vec![name.to_owned()]);
    let report = analysis::analyse(&inventory, source);
    output::render(&report, Format::Json, false, &mut std::io::sink()).expect("a sink");
    report.workloads.len()
}

fn benches(c: &mut Criterion) {
    let cfg = SynthConfig::scaled(scale());
    let mut bytes = Vec::new();
    generate(&cfg, &mut bytes).expect("writing to memory");
    let text = String::from_utf8(bytes).expect("the generator writes UTF-8");
    let name = "synth.yaml";
    let loaded = [Loaded {
        name: name.into(),
        text,
    }];
    let text = &loaded[0].text;
    assert_eq!(yaml_event_pass(text).ok(), Some(cfg.documents()));

    let mut group = c.benchmark_group(format!(
        "manifests/{}ns-{}wl-{}np",
        cfg.namespaces, cfg.workloads, cfg.policies
    ));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(15))
        .throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("yaml_event_pass", |b| {
        b.iter(|| yaml_event_pass(text).expect("the synthetic stream is valid YAML"))
    });
    group.bench_function("full_run_json", |b| b.iter(|| full_run_json(&loaded, name)));
    group.finish();
}

criterion_group!(manifests, benches);
criterion_main!(manifests);
