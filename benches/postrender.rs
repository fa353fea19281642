//! The post-renderer against a bare YAML pass over the same Helm-like stream (issue target:
//! at most 1.5x). `NETPOL_BENCH_SCALE=1 cargo bench --bench postrender` for the full 30 MB,
//! 10,000-document stream; a tenth by default.

#[path = "support/helm_stream.rs"]
mod helm_stream;

use std::io::Write;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use netpol_check::analysis::{RuleConfig, Scope};
use netpol_check::postrender::{render, PostRenderOptions};

fn scale() -> f64 {
    std::env::var("NETPOL_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.1)
}

fn bench(c: &mut Criterion) {
    let s = scale();
    let stream = helm_stream::generate((10_000.0 * s) as usize, (30_000_000.0 * s) as usize, 1);
    let mut group = c.benchmark_group("postrender");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("yaml_event_pass", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for doc in serde_norway::Deserializer::from_str(&stream) {
                // The multi-document iterator repeats an error forever: stop at the first.
                if <serde::de::IgnoredAny as serde::Deserialize>::deserialize(doc).is_err() {
                    break;
                }
                n += 1;
            }
            n
        })
    });
    let options = PostRenderOptions {
        release_namespace: "shop".into(),
        include_hooks: false,
        scope: Scope::new(false, &[]).unwrap(),
        rules: RuleConfig::default(),
        analysis: Default::default(),
        generate: None,
        release: None,
        graph: false,
    };
    group.bench_function("post_render", |b| {
        b.iter(|| {
            let r = render(&stream, &options).unwrap();
            // What the binary writes: the stream, split where generated documents would go.
            let mut sink = std::io::sink();
            sink.write_all(&stream.as_bytes()[..r.insert_at]).unwrap();
            sink.write_all(r.generated.as_bytes()).unwrap();
            sink.write_all(&stream.as_bytes()[r.insert_at..]).unwrap();
            r.report.summary.workloads
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
