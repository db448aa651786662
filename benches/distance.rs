//! The groups that give geonorm's distance to the tokenising ceiling, shared by the
//! per-format benches and run on the same bytes as `<format>-convert`:
//!
//! - `<format>-read-only/<size>/<n>-thread(s)`: [`geonorm::stream`] into a sink that
//!   drops each feature (reading alone: no rules, no output, no document held);
//! - `<format>-check/<size>/<n>-thread(s)`: [`geonorm::check`] with the MapHub profile;
//! - `ceiling/<format>/<size>`: what tokenising the same bytes costs, the floor no
//!   reader of them can go under: every quick-xml event from a slice reader (which
//!   borrows: no allocation per event) for KML and GPX, serde_json into
//!   [`serde::de::IgnoredAny`] for GeoJSON.
//!
//! Each group is timed on 1 thread and on every core, as `<format>-convert` is
//! ([`super::convert::thread_counts`]). `benches/compare.sh --distance` prints each
//! median over the ceiling's from criterion's saved estimates.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use geonorm::validate::CheckOptions;
use geonorm::{Diagnostic, Feature, Format, ReadOptions};

use super::convert::{thread_counts, thread_label};

/// A sink that drops each feature on the thread that read it.
struct Discard;

impl geonorm::stream::FeatureSink for Discard {
    type Out = ();
    fn map(&self, feature: Feature, _: &mut Vec<Diagnostic>) -> geonorm::Result<()> {
        black_box(feature);
        Ok(())
    }
}

/// Reads `bytes` as `format` on `threads` threads, keeping nothing: the features read.
fn read_only(bytes: &[u8], format: Format, threads: usize) -> usize {
    let opts = ReadOptions {
        threads,
        ..ReadOptions::format(format)
    };
    let mut features = 0;
    geonorm::stream(bytes.into(), &opts, &Discard, |(), _| {
        features += 1;
        Ok(())
    })
    .expect("readable");
    features
}

/// Checks `bytes` as `format` on `threads` threads: the number of findings.
fn check(bytes: &[u8], format: Format, threads: usize) -> usize {
    let opts = CheckOptions {
        read: ReadOptions {
            threads,
            ..ReadOptions::format(format)
        },
        ..CheckOptions::default()
    };
    let report = geonorm::check(bytes.into(), &opts).expect("read from memory");
    assert_eq!(report.format, Some(format));
    report.diagnostics.len()
}

/// Every quick-xml event of `bytes` read from a slice (events borrow from it): the
/// number of events. Stops at the first error, which generated inputs never have.
pub fn xml_events(bytes: &[u8]) -> usize {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut events = 0;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => return events,
            event => {
                black_box(&event);
                events += 1;
            }
        }
    }
}

/// `bytes` parsed by serde_json into [`serde::de::IgnoredAny`]: every value tokenised
/// and validated, nothing built.
pub fn json_ignored(bytes: &[u8]) {
    let _: serde::de::IgnoredAny = serde_json::from_slice(bytes).expect("valid JSON");
}

/// The tokenising ceiling of `bytes`, read as `format`: for XML the number of events,
/// for JSON 0.
fn ceiling(bytes: &[u8], format: Format) -> usize {
    match format {
        Format::GeoJson => {
            json_ignored(bytes);
            0
        }
        _ => xml_events(bytes),
    }
}

/// The group name's prefix of `format`: `kml`, `gpx`, `geojson`.
fn prefix(format: Format) -> &'static str {
    match format {
        Format::Kml => "kml",
        Format::Gpx => "gpx",
        Format::GeoJson => "geojson",
        other => panic!("no distance groups for {other:?}"),
    }
}

/// Benchmarks `<format>-read-only` on each of `inputs` (label, bytes, the features
/// they hold) on every thread count: every iteration must read every feature.
pub fn bench_read_only(c: &mut Criterion, format: Format, inputs: &[(String, Vec<u8>, usize)]) {
    let name = prefix(format);
    let mut g = c.benchmark_group(format!("{name}-read-only"));
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    for (label, bytes, features) in inputs {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        for threads in thread_counts() {
            assert_eq!(
                read_only(bytes, format, threads),
                *features,
                "{name} {label}"
            );
            let id = BenchmarkId::new(label, thread_label(threads));
            g.bench_with_input(id, bytes, |b, bytes| {
                b.iter(|| assert_eq!(read_only(black_box(bytes), format, threads), *features))
            });
        }
    }
    g.finish();
}

/// Benchmarks `<format>-check` on each of `inputs` on every thread count: each thread
/// count must find as many things as one thread, and every iteration as many again.
pub fn bench_check(c: &mut Criterion, format: Format, inputs: &[(String, Vec<u8>, usize)]) {
    let name = prefix(format);
    let mut g = c.benchmark_group(format!("{name}-check"));
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    for (label, bytes, _) in inputs {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        let findings = check(bytes, format, 1);
        for threads in thread_counts() {
            assert_eq!(check(bytes, format, threads), findings, "{name} {label}");
            let id = BenchmarkId::new(label, thread_label(threads));
            g.bench_with_input(id, bytes, |b, bytes| {
                b.iter(|| assert_eq!(check(black_box(bytes), format, threads), findings))
            });
        }
    }
    g.finish();
}

/// Benchmarks `ceiling/<format>/<label>` on each of `inputs`: every iteration must see
/// as many XML events as the first.
pub fn bench_ceiling(c: &mut Criterion, format: Format, inputs: &[(String, Vec<u8>, usize)]) {
    let name = prefix(format);
    let mut g = c.benchmark_group("ceiling");
    g.sample_size(10);
    for (label, bytes, _) in inputs {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        let events = ceiling(bytes, format);
        g.bench_with_input(BenchmarkId::new(name, label), bytes, |b, bytes| {
            b.iter(|| assert_eq!(ceiling(black_box(bytes), format), events))
        });
    }
    g.finish();
}
