//! Deterministic synthetic clusters for benchmarks and property tests (placeholder; see below).
