//! Number parsing as the KML coordinate reader and the GPX point reader do it, on
//! realistic tokens: the standard library's `str::parse::<f64>` (the readers' parser)
//! against two fast float parser crates, `fast-float2` and `lexical-core`, each
//! parsing the raw bytes (issue 26: "coordinates parsed from the raw bytes"). Std's
//! parser already uses the Eisel-Lemire algorithm, so the difference is expected to be
//! small; the whole-file benches (`kml`, `gpx`) decide. The figures are in
//! benches/README.md ("Number parsing").
//!
//! ```text
//! cargo bench -p geonorm-benches --bench numbers
//! ```

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Tokens as real and generated files write them: 7-decimal longitudes and latitudes,
/// a long GPS-logger latitude, elevations with one decimal, whole numbers.
const TOKENS: &[&str] = &[
    "-122.084075",
    "37.4220033612141",
    "1234.5",
    "7.4474468",
    "46.9479739",
    "-0.1275",
    "51.5072178",
    "300",
    "0",
    "2504.7",
];

fn tokens() -> Vec<Vec<u8>> {
    // Many copies so that one iteration is long enough to time and the branch
    // predictor cannot learn one token.
    (0..1000)
        .flat_map(|_| TOKENS.iter().map(|t| t.as_bytes().to_vec()))
        .collect()
}

fn bench(c: &mut Criterion) {
    let tokens = tokens();
    // The parsers must agree on these, bit for bit.
    for t in &tokens {
        let want = std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.parse::<f64>().ok());
        let ff = fast_float2::parse::<f64, _>(t).ok();
        let lx = lexical_core::parse::<f64>(t).ok();
        assert_eq!(want.map(f64::to_bits), ff.map(f64::to_bits));
        assert_eq!(want.map(f64::to_bits), lx.map(f64::to_bits));
    }
    let mut g = c.benchmark_group("parse-f64");
    g.throughput(Throughput::Elements(tokens.len() as u64));
    g.bench_function("std-from_utf8-parse", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for t in &tokens {
                let s = std::str::from_utf8(black_box(t)).expect("ASCII");
                sum += s.parse::<f64>().expect("a number");
            }
            sum
        })
    });
    g.bench_function("fast-float2-parse", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for t in &tokens {
                sum += fast_float2::parse::<f64, _>(black_box(t)).expect("a number");
            }
            sum
        })
    });
    g.bench_function("lexical-core-parse", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for t in &tokens {
                sum += lexical_core::parse::<f64>(black_box(t)).expect("a number");
            }
            sum
        })
    });
    g.finish();

    // The same tokens in one coordinate text, scanned the way `parse_clean` scans it
    // (bytes of a number, then the parser) against parsing a prefix in one call.
    let mut text = Vec::new();
    for t in &tokens {
        text.extend_from_slice(t);
        text.push(b' ');
    }
    let number_byte = |b: u8| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E');
    let mut g = c.benchmark_group("parse-f64-in-text");
    g.throughput(Throughput::Elements(tokens.len() as u64));
    // Each number's bytes found as `parse_clean` finds them, then `parse`d.
    let scan_sum = |bytes: &[u8], parse: &dyn Fn(&[u8]) -> f64| {
        let (mut i, mut sum) = (0, 0.0);
        while i < bytes.len() {
            let start = i;
            while i < bytes.len() && number_byte(bytes[i]) {
                i += 1;
            }
            sum += parse(&bytes[start..i]);
            i += 1;
        }
        sum
    };
    g.bench_function("std-scan-then-parse", |b| {
        let std = |t: &[u8]| {
            let s = std::str::from_utf8(t).expect("ASCII");
            s.parse::<f64>().expect("a number")
        };
        b.iter(|| scan_sum(black_box(&text[..]), &std))
    });
    g.bench_function("fast-float2-scan-then-parse", |b| {
        let fast = |t: &[u8]| fast_float2::parse::<f64, _>(t).expect("a number");
        b.iter(|| scan_sum(black_box(&text[..]), &fast))
    });
    g.bench_function("fast-float2-parse_partial", |b| {
        b.iter(|| {
            let bytes = black_box(&text[..]);
            let (mut i, mut sum) = (0, 0.0);
            while i < bytes.len() {
                let (v, n) = fast_float2::parse_partial::<f64, _>(&bytes[i..]).expect("a number");
                sum += v;
                i += n + 1;
            }
            sum
        })
    });
    g.bench_function("lexical-core-parse_partial", |b| {
        b.iter(|| {
            let bytes = black_box(&text[..]);
            let (mut i, mut sum) = (0, 0.0);
            while i < bytes.len() {
                let (v, n) = lexical_core::parse_partial::<f64>(&bytes[i..]).expect("a number");
                sum += v;
                i += n + 1;
            }
            sum
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
