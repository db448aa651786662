//! The `<format>-convert` groups shared by the per-format benches: the whole
//! conversion to MapHub GeoJSON as `geonorm convert` does it ([`geonorm::convert`],
//! which checks as it converts), on 1 thread and on every core.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use geonorm::Format;

/// The environment variable that adds the 150 MB inputs (`GEONORM_BENCH_150=1`).
pub const BIG: &str = "GEONORM_BENCH_150";

/// Whether the 150 MB inputs were asked for.
pub fn big() -> bool {
    std::env::var(BIG).is_ok_and(|v| v == "1")
}

/// The thread counts measured: 1, and every core when there is more than one.
pub fn thread_counts() -> Vec<usize> {
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    if all > 1 {
        vec![1, all]
    } else {
        vec![1]
    }
}

/// A thread count as the benches' ids say it: `1-thread`, `2-threads`.
pub fn thread_label(threads: usize) -> String {
    if threads == 1 {
        "1-thread".to_string()
    } else {
        format!("{threads}-threads")
    }
}

fn convert(bytes: &[u8], format: Format, threads: usize, out: &mut Vec<u8>) -> usize {
    out.clear();
    let mut opts = geonorm::ConvertOptions::to(Format::GeoJson);
    opts.check.read = geonorm::ReadOptions {
        threads,
        ..geonorm::ReadOptions::format(format)
    };
    let done = geonorm::convert(bytes.into(), &mut *out, &opts).expect("convertible");
    assert!(done.complete, "read to its end");
    done.diagnostics().len()
}

/// Benchmarks converting `bytes` (labelled `label`, e.g. `15mb`) in `group`, once per
/// thread count. Before timing, the output of each thread count is checked to hold
/// `features` features and to be the same bytes for every thread count; every timed
/// iteration then checks the output's length and the number of diagnostics.
pub fn bench(c: &mut Criterion, group: &str, format: Format, inputs: &[(String, Vec<u8>, usize)]) {
    let mut g = c.benchmark_group(group);
    // Flat: every sample the same number of iterations, as criterion advises for
    // iterations of a tenth of a second and more (10 iterations, not 55).
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    for (label, bytes, features) in inputs {
        let (label, features) = (label.as_str(), *features);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        let mut first: Option<(Vec<u8>, usize)> = None;
        for threads in thread_counts() {
            let mut out = Vec::new();
            let diags = convert(bytes, format, threads, &mut out);
            match &first {
                None => {
                    let (doc, _) = geonorm::read(
                        &out[..],
                        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
                    )
                    .map(geonorm::Parsed::into_parts)
                    .expect("output readable");
                    assert_eq!(doc.features.len(), features, "{group} {label}: features");
                    first = Some((std::mem::take(&mut out), diags));
                }
                Some((expected, expected_diags)) => {
                    assert!(
                        out == *expected,
                        "{group} {label}: {threads} threads wrote other bytes than 1 thread"
                    );
                    assert_eq!(diags, *expected_diags);
                }
            }
            let (len, n_diags) = first.as_ref().map(|(o, d)| (o.len(), *d)).expect("set");
            out.clear();
            out.reserve(len);
            let id = BenchmarkId::new(label, thread_label(threads));
            g.bench_with_input(id, bytes, |b, bytes| {
                b.iter(|| {
                    let diags = convert(black_box(bytes), format, threads, &mut out);
                    assert_eq!(out.len(), len);
                    assert_eq!(diags, n_diags);
                })
            });
        }
    }
    g.finish();
}
