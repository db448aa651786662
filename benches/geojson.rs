//! GeoJSON read and write on real and generated inputs. Every iteration checks the
//! feature count, so a parser that stops early cannot post a fast time.
//!
//! `geojson-convert` times the whole conversion to MapHub GeoJSON as `geonorm convert`
//! does it (`geonorm::convert`), on 1 thread and on every core (`15mb/1-thread`,
//! `15mb/2-threads`), on the inputs `bench-gen` writes (1,400 features a megabyte).
//! The 150 MB input is generated and measured only with `GEONORM_BENCH_150=1` in the
//! environment (it takes about a gigabyte of memory and minutes), so a plain
//! `cargo bench` stays short:
//!
//! ```text
//! GEONORM_BENCH_150=1 cargo bench -p geonorm-benches --bench geojson -- convert
//! ```
//!
//! On the same bytes (`distance.rs`): `geojson-read-only` (reading alone, through
//! `geonorm::stream`) and `geojson-check`, on 1 thread and on every core, and `ceiling/geojson/15mb`: serde_json into `IgnoredAny`, the
//! floor of reading these bytes. `benches/compare.sh --distance` prints each median
//! over the ceiling's:
//!
//! ```text
//! cargo bench -p geonorm-benches --bench geojson -- '^geojson-(read-only|convert|check)/|^ceiling/'
//! benches/compare.sh --distance
//! ```

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use geonorm::geojson::{self, WriteOptions};

#[path = "convert.rs"]
mod convert;
#[path = "distance.rs"]
mod distance;
#[path = "gen.rs"]
mod gen;

fn inputs() -> Vec<(String, Vec<u8>, usize)> {
    let countries =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/geojson/georust-countries.geojson");
    let countries = std::fs::read(countries).expect("testdata/geojson/georust-countries.geojson");
    let mut v = vec![("countries-260k".to_string(), countries, 180)];
    for (name, n) in [("generated-1mb", 1_400), ("generated-15mb", 20_500)] {
        let bytes = gen::geojson(n, 1);
        v.push((name.to_string(), bytes, n));
    }
    v
}

fn bench(c: &mut Criterion) {
    let inputs = inputs();
    let mut read = c.benchmark_group("geojson-read");
    read.sample_size(10);
    for (name, bytes, n) in &inputs {
        read.throughput(Throughput::Bytes(bytes.len() as u64));
        read.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, bytes| {
            b.iter(|| {
                let (doc, _) = geonorm::read(
                    black_box(&bytes[..]),
                    &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
                )
                .map(geonorm::Parsed::into_parts)
                .expect("readable");
                assert_eq!(doc.features.len(), *n);
                doc
            })
        });
    }
    read.finish();

    let mut write = c.benchmark_group("geojson-write");
    write.sample_size(10);
    for (name, bytes, n) in &inputs {
        let (doc, _) = geonorm::read(
            &bytes[..],
            &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
        )
        .map(geonorm::Parsed::into_parts)
        .expect("readable");
        assert_eq!(doc.features.len(), *n);
        write.throughput(Throughput::Bytes(bytes.len() as u64));
        // The writer is deterministic: every iteration must give the same length.
        let mut first = Vec::new();
        geojson::write(&doc, &mut first, &WriteOptions::default()).expect("writable");
        write.bench_with_input(BenchmarkId::from_parameter(name), &doc, |b, doc| {
            let mut out = Vec::with_capacity(first.len());
            b.iter(|| {
                out.clear();
                geojson::write(black_box(doc), &mut out, &WriteOptions::default())
                    .expect("writable");
                assert_eq!(out.len(), first.len());
            })
        });
    }
    write.finish();
}

/// `geojson-read-only`, `geojson-convert`, `geojson-check` and `ceiling/geojson` on the same
/// bytes: 15 MB, and 150 MB with `GEONORM_BENCH_150=1`.
fn bench_verbs(c: &mut Criterion) {
    let sizes: &[usize] = if convert::big() { &[15, 150] } else { &[15] };
    let inputs: Vec<_> = sizes
        .iter()
        .map(|&mb| {
            let n = mb * 1_400;
            (format!("{mb}mb"), gen::geojson(n, 1), n)
        })
        .collect();
    let format = geonorm::Format::GeoJson;
    distance::bench_read_only(c, format, &inputs);
    convert::bench(c, "geojson-convert", format, &inputs);
    distance::bench_check(c, format, &inputs);
    distance::bench_ceiling(c, format, &inputs);
}

criterion_group!(benches, bench, bench_verbs);
criterion_main!(benches);
