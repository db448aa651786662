//! GPX read and write on generated files of about 1 MB and 15 MB (MapHub's upload
//! limit). Every iteration checks the feature and track point counts.
//!
//! `gpx-convert` times the whole conversion to MapHub GeoJSON as `geonorm convert`
//! does it (`geonorm::convert`), on 1 thread and on every core
//! (`15mb/1-thread`, `15mb/2-threads`). The 150 MB input is generated and measured only
//! with `GEONORM_BENCH_150=1` in the environment (it takes about a gigabyte of memory
//! and minutes), so a plain `cargo bench` stays short:
//!
//! ```text
//! GEONORM_BENCH_150=1 cargo bench -p geonorm-benches --bench gpx -- convert
//! ```
//!
//! On the same bytes (`distance.rs`): `gpx-read-only` (reading alone) and
//! `gpx-check`, on 1 thread and on every core, and `ceiling/gpx/15mb`: quick-xml events from a slice,
//! the floor of reading these bytes. `benches/compare.sh --distance` prints each
//! median over the ceiling's:
//!
//! ```text
//! cargo bench -p geonorm-benches --bench gpx -- '^gpx-(read-only|convert|check)/|^ceiling/'
//! benches/compare.sh --distance
//! ```

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use geonorm::Geometry;

#[path = "convert.rs"]
mod convert;
#[path = "distance.rs"]
mod distance;
#[path = "gen.rs"]
mod gen;

fn track_points(doc: &geonorm::Document) -> usize {
    doc.features
        .iter()
        .filter(|f| f.properties.get("_gpxType").and_then(|t| t.as_str()) == Some("trk"))
        .filter_map(|f| f.geometry.as_ref())
        .map(Geometry::vertex_count)
        .sum()
}

fn bench(c: &mut Criterion) {
    let inputs: Vec<(&str, Vec<u8>, gen::GpxCounts)> =
        [("generated-1mb", 1 << 20), ("generated-15mb", 15 << 20)]
            .into_iter()
            .map(|(name, size)| {
                let (bytes, counts) = gen::gpx(size, 11);
                (name, bytes, counts)
            })
            .collect();

    let mut read = c.benchmark_group("gpx-read");
    read.sample_size(10);
    for (name, bytes, n) in &inputs {
        read.throughput(Throughput::Bytes(bytes.len() as u64));
        read.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, bytes| {
            b.iter(|| {
                let (doc, _) = geonorm::read(
                    black_box(&bytes[..]),
                    &geonorm::ReadOptions::format(geonorm::Format::Gpx),
                )
                .map(geonorm::Parsed::into_parts)
                .expect("readable");
                assert_eq!(doc.features.len(), n.waypoints + n.routes + n.tracks);
                assert_eq!(track_points(&doc), n.track_points);
                doc
            })
        });
    }
    read.finish();

    let mut write = c.benchmark_group("gpx-write");
    write.sample_size(10);
    for (name, bytes, _) in &inputs {
        let (doc, _) = geonorm::read(
            &bytes[..],
            &geonorm::ReadOptions::format(geonorm::Format::Gpx),
        )
        .map(geonorm::Parsed::into_parts)
        .expect("readable");
        let mut first = Vec::new();
        geonorm::gpx::write(&doc, &mut first, &Default::default()).expect("writable");
        write.throughput(Throughput::Bytes(bytes.len() as u64));
        write.bench_with_input(BenchmarkId::from_parameter(name), &doc, |b, doc| {
            let mut out = Vec::with_capacity(first.len());
            b.iter(|| {
                out.clear();
                geonorm::gpx::write(black_box(doc), &mut out, &Default::default())
                    .expect("writable");
                assert_eq!(out.len(), first.len());
            })
        });
    }
    write.finish();
}

/// `gpx-read-only`, `gpx-convert`, `gpx-check` and `ceiling/gpx` on the same
/// bytes: 15 MB, and 150 MB with `GEONORM_BENCH_150=1`.
fn bench_verbs(c: &mut Criterion) {
    let sizes: &[usize] = if convert::big() { &[15, 150] } else { &[15] };
    let inputs: Vec<_> = sizes
        .iter()
        .map(|&mb| {
            let (bytes, n) = gen::gpx(mb << 20, 11);
            (format!("{mb}mb"), bytes, n.waypoints + n.routes + n.tracks)
        })
        .collect();
    let format = geonorm::Format::Gpx;
    distance::bench_read_only(c, format, &inputs);
    convert::bench(c, "gpx-convert", format, &inputs);
    distance::bench_check(c, format, &inputs);
    distance::bench_ceiling(c, format, &inputs);
}

criterion_group!(benches, bench, bench_verbs);
criterion_main!(benches);
