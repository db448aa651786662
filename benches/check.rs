//! `check` (read, then every rule of the MapHub profile) on generated files of about
//! 1 MB and 15 MB in each format. Every iteration checks the findings are the same.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use geonorm::validate::{CheckOptions, Report};

fn check(bytes: &[u8], opts: &CheckOptions) -> Report {
    geonorm::check(bytes.into(), opts).expect("read from memory")
}

#[path = "gen.rs"]
mod gen;

fn bench(c: &mut Criterion) {
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for (mb, n) in [(1usize, 1_400usize), (15, 20_500)] {
        inputs.push((format!("geojson-{mb}mb"), gen::geojson(n, 1)));
        inputs.push((format!("kml-{mb}mb"), gen::kml(mb << 20, 7).0));
        inputs.push((format!("gpx-{mb}mb"), gen::gpx(mb << 20, 11).0));
    }
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    for (name, bytes) in &inputs {
        let opts = CheckOptions::default();
        let first = check(bytes, &opts).diagnostics.len();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, bytes| {
            b.iter(|| {
                let report = check(black_box(bytes), &opts);
                assert_eq!(report.diagnostics.len(), first);
                assert!(report.format.is_some());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
