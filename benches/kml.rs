//! KML read and write on generated documents of about 1 MB and 15 MB (the size of
//! MapHub's upload limit). Every iteration checks the placemark count.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

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
                let (doc, _) = geonorm::kml::read(black_box(&bytes[..])).expect("readable");
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
        let (doc, _) = geonorm::kml::read(&bytes[..]).expect("readable");
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

criterion_group!(benches, bench);
criterion_main!(benches);
