//! KML read and write on generated documents of about 1 MB and 15 MB (the size of
//! MapHub's upload limit). Every iteration checks the placemark count.
//!
//! `kml-convert` times the whole conversion to MapHub GeoJSON as `geonorm convert`
//! does it (`geonorm::convert`), on 1 thread and on every core
//! (`15mb/1-thread`, `15mb/2-threads`). The 150 MB input is generated and measured only
//! with `GEONORM_BENCH_150=1` in the environment (it takes about a gigabyte of memory
//! and minutes), so a plain `cargo bench` stays short:
//!
//! ```text
//! GEONORM_BENCH_150=1 cargo bench -p geonorm-benches --bench kml -- convert
//! ```
//!
//! On the same bytes (`distance.rs`): `kml-read-only` (reading alone) and
//! `kml-check`, on 1 thread and on every core, and `ceiling/kml/15mb`: quick-xml events from a slice,
//! the floor of reading these bytes. `benches/compare.sh --distance` prints each
//! median over the ceiling's:
//!
//! ```text
//! cargo bench -p geonorm-benches --bench kml -- '^kml-(read-only|convert|check)/|^ceiling/'
//! benches/compare.sh --distance
//! ```

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "convert.rs"]
mod convert;
#[path = "distance.rs"]
mod distance;
#[path = "gen.rs"]
mod gen;

fn bench(c: &mut Criterion) {
    let inputs: Vec<(&str, Vec<u8>, gen::KmlCounts)> =
        [("generated-1mb", 1 << 20), ("generated-15mb", 15 << 20)]
            .into_iter()
            .map(|(name, size)| {
                let (bytes, counts) = gen::kml(size, 7);
                (name, bytes, counts)
            })
            .collect();

    let mut read = c.benchmark_group("kml-read");
    read.sample_size(10);
    for (name, bytes, n) in &inputs {
        read.throughput(Throughput::Bytes(bytes.len() as u64));
        read.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, bytes| {
            b.iter(|| {
                let (doc, _) = geonorm::read(
                    black_box(&bytes[..]),
                    &geonorm::ReadOptions::format(geonorm::Format::Kml),
                )
                .map(geonorm::Parsed::into_parts)
                .expect("readable");
                assert_eq!(doc.features.len(), n.placemarks);
                assert_eq!(doc.groups.len(), n.folders);
                doc
            })
        });
    }
    read.finish();

    let mut write = c.benchmark_group("kml-write");
    write.sample_size(10);
    for (name, bytes, n) in &inputs {
        let (doc, _) = geonorm::read(
            &bytes[..],
            &geonorm::ReadOptions::format(geonorm::Format::Kml),
        )
        .map(geonorm::Parsed::into_parts)
        .expect("readable");
        assert_eq!(doc.features.len(), n.placemarks);
        let mut first = Vec::new();
        geonorm::kml::write(&doc, &mut first, &Default::default()).expect("writable");
        write.throughput(Throughput::Bytes(bytes.len() as u64));
        write.bench_with_input(BenchmarkId::from_parameter(name), &doc, |b, doc| {
            let mut out = Vec::with_capacity(first.len());
            b.iter(|| {
                out.clear();
                geonorm::kml::write(black_box(doc), &mut out, &Default::default())
                    .expect("writable");
                assert_eq!(out.len(), first.len());
            })
        });
    }
    write.finish();
}

/// `kml-read-only`, `kml-convert`, `kml-check` and `ceiling/kml` on the same
/// bytes: 15 MB, and 150 MB with `GEONORM_BENCH_150=1`.
fn bench_verbs(c: &mut Criterion) {
    let sizes: &[usize] = if convert::big() { &[15, 150] } else { &[15] };
    let inputs: Vec<_> = sizes
        .iter()
        .map(|&mb| {
            let (bytes, counts) = gen::kml(mb << 20, 7);
            (format!("{mb}mb"), bytes, counts.placemarks)
        })
        .collect();
    let format = geonorm::Format::Kml;
    distance::bench_read_only(c, format, &inputs);
    convert::bench(c, "kml-convert", format, &inputs);
    distance::bench_check(c, format, &inputs);
    distance::bench_ceiling(c, format, &inputs);
}

criterion_group!(benches, bench, bench_verbs);
criterion_main!(benches);
