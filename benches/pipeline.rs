//! Benchmarks of the analyze path on generated stores (see docs/performance.md).
//!
//! Stores of 10k and 1M orders (`snagscan generate --seed 1`) are written once, outside the timed
//! part, under `$SNAGSCAN_BENCH_DIR` (default: the system temp dir) and reused by later runs.
//! `SNAGSCAN_BENCH_ORDERS=10000` limits the sizes (comma-separated).
//!
//! Groups:
//! - `polars_csv_floor`: Polars' own multi-threaded CSV reader on the same files, every column as
//!   text (the parse floor: no cell parsing, no line numbers, no audit);
//! - `import`: `ingest::load` (read, parse, stack, dedup, customer keys);
//! - `journeys`: `journey::build` on a loaded store (joins, waits, ticket linking, customers);
//! - `analyze`: `pipeline::build`, then `pipeline::report` while every output is written, as
//!   `snagscan analyze --out` does.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use snagscan::config::{Config, Overrides};
use snagscan::generate::{generate, GenerateOptions, StoreFormat};
use snagscan::polars::prelude::*;
use snagscan::quality::DataQuality;
use snagscan::{ingest, journey, pipeline, report};

fn sizes() -> Vec<usize> {
    std::env::var("SNAGSCAN_BENCH_ORDERS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 1_000_000])
}

/// The generated store of `orders` orders, written on first use.
fn store_dir(orders: usize) -> PathBuf {
    let root = std::env::var_os("SNAGSCAN_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = root.join(format!("snagscan-bench-{orders}-seed1"));
    if !dir.join("truth.json").is_file() {
        let opts = GenerateOptions {
            orders,
            seed: 1,
            format: StoreFormat::Canonical,
            inject: Vec::new(),
        };
        generate(&opts, &dir).expect("generate the bench store");
    }
    dir
}

fn config(dir: &Path) -> Config {
    Config::load(dir, None, &Overrides::default()).expect("config")
}

fn label(orders: usize) -> String {
    if orders >= 1_000_000 {
        format!("{}M", orders / 1_000_000)
    } else {
        format!("{}k", orders / 1_000)
    }
}

fn tune(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    orders: usize,
) {
    if orders >= 1_000_000 {
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(20));
    } else {
        group.sample_size(20);
        group.measurement_time(Duration::from_secs(5));
    }
}

fn polars_csv_floor(c: &mut Criterion) {
    let mut group = c.benchmark_group("polars_csv_floor");
    for orders in sizes() {
        let dir = store_dir(orders);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("bench dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .collect();
        files.sort();
        tune(&mut group, orders);
        group.bench_function(BenchmarkId::from_parameter(label(orders)), |b| {
            b.iter(|| {
                for f in &files {
                    let df = CsvReadOptions::default()
                        .with_infer_schema_length(Some(0))
                        .try_into_reader_with_file_path(Some(f.clone()))
                        .and_then(|r| r.finish())
                        .expect("polars csv read");
                    black_box(df.height());
                }
            })
        });
    }
    group.finish();
}

fn import(c: &mut Criterion) {
    let mut group = c.benchmark_group("import");
    for orders in sizes() {
        let dir = store_dir(orders);
        let cfg = config(&dir);
        tune(&mut group, orders);
        group.bench_function(BenchmarkId::from_parameter(label(orders)), |b| {
            b.iter(|| {
                let mut dq = DataQuality::default();
                let store = ingest::load(&dir, &cfg.read, &cfg.mappings, &mut dq).expect("load");
                black_box(store.orders.height())
            })
        });
    }
    group.finish();
}

fn journeys(c: &mut Criterion) {
    let mut group = c.benchmark_group("journeys");
    for orders in sizes() {
        let dir = store_dir(orders);
        let cfg = config(&dir);
        let mut dq = DataQuality::default();
        let store = ingest::load(&dir, &cfg.read, &cfg.mappings, &mut dq).expect("load");
        tune(&mut group, orders);
        group.bench_function(BenchmarkId::from_parameter(label(orders)), |b| {
            b.iter(|| {
                let mut dq = DataQuality::default();
                let j = journey::build(&store, cfg.read.timezone, cfg.as_of, &cfg.wismo, &mut dq)
                    .expect("journeys");
                black_box(j.orders.height())
            })
        });
    }
    group.finish();
}

fn analyze(c: &mut Criterion) {
    let mut group = c.benchmark_group("analyze");
    for orders in sizes() {
        let dir = store_dir(orders);
        let cfg = config(&dir);
        let out = tempfile::tempdir().expect("out dir");
        tune(&mut group, orders);
        group.bench_function(BenchmarkId::from_parameter(label(orders)), |b| {
            b.iter(|| {
                let outputs = report::output::Outputs::create(
                    out.path(),
                    report::output::JourneysFormat::Csv,
                    false,
                )
                .expect("outputs");
                let built = pipeline::build(&dir, &cfg).expect("build");
                let (report, _) = outputs
                    .write(&built, || pipeline::report(&built, &cfg))
                    .expect("write");
                black_box(report.kpis.orders)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, polars_csv_floor, import, journeys, analyze);
criterion_main!(benches);
