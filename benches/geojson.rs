//! GeoJSON read and write on real and generated inputs. Every iteration checks the
//! feature count, so a parser that stops early cannot post a fast time.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use geonorm::geojson::{self, WriteOptions};

/// A MapHub-style FeatureCollection of `n` features (points, and tracks with per-vertex
/// times and heart rate), generated from a fixed seed so every run measures the same bytes.
fn generate(n: usize) -> Vec<u8> {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut s = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for i in 0..n {
        if i > 0 {
            s.push_str(",\n");
        }
        let (x, y) = (-10.0 + 40.0 * next(), 35.0 + 25.0 * next());
        if i % 4 == 3 {
            let pts = 40;
            let coords: Vec<String> = (0..pts)
                .map(|k| {
                    format!(
                        "[{:.6},{:.6},{:.1}]",
                        x + k as f64 * 1e-4,
                        y + next() * 1e-4,
                        200.0 + 50.0 * next()
                    )
                })
                .collect();
            let times: Vec<String> = (0..pts)
                .map(|k| format!("\"2024-07-14T06:{:02}:{:02}Z\"", k / 60, k % 60))
                .collect();
            let heart: Vec<String> = (0..pts)
                .map(|_| format!("{}", 100 + (next() * 60.0) as u32))
                .collect();
            s.push_str(&format!(
                "{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"LineString\",\"coordinates\":[{}]}},\"properties\":{{\"title\":\"Track {i}\",\"group\":{},\"stroke\":\"#2980b9\",\"coordinateProperties\":{{\"times\":[{}],\"heart\":[{}]}}}}}}",
                coords.join(","), 1 + i % 8, times.join(","), heart.join(",")
            ));
        } else {
            s.push_str(&format!(
                "{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{x:.6},{y:.6}]}},\"properties\":{{\"title\":\"Place {i}\",\"description\":\"Generated point number {i}, with some text to read.\",\"group\":{},\"marker-color\":\"#3cc954\",\"rating\":{:.1}}}}}",
                1 + i % 8,
                5.0 * next()
            ));
        }
    }
    s.push_str("\n],\"groups\":[");
    let groups: Vec<String> = (1..=8)
        .map(|g| format!("{{\"title\":\"Group {g}\",\"id\":{g}}}"))
        .collect();
    s.push_str(&groups.join(","));
    s.push_str("]}\n");
    s.into_bytes()
}

fn inputs() -> Vec<(String, Vec<u8>, usize)> {
    let countries =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/geojson/georust-countries.geojson");
    let countries = std::fs::read(countries).expect("testdata/geojson/georust-countries.geojson");
    let mut v = vec![("countries-260k".to_string(), countries, 180)];
    for (name, n) in [("generated-1mb", 1_400), ("generated-15mb", 20_500)] {
        let bytes = generate(n);
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
                let (doc, _) = geojson::read(black_box(&bytes[..])).expect("readable");
                assert_eq!(doc.features.len(), *n);
                doc
            })
        });
    }
    read.finish();

    let mut write = c.benchmark_group("geojson-write");
    write.sample_size(10);
    for (name, bytes, n) in &inputs {
        let (doc, _) = geojson::read(&bytes[..]).expect("readable");
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

criterion_group!(benches, bench);
criterion_main!(benches);
