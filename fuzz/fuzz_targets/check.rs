//! The whole validation (`geonorm check`): any bytes, any format; must not panic. And
//! checking while converting (`geonorm convert`) says what the check says, to every
//! output format, and writes the same bytes on one thread and on two.
#![no_main]

use geonorm::validate::CheckOptions;
use geonorm::{ConvertOptions, Format};
use libfuzzer_sys::fuzz_target;

/// The conversion and its bytes; `None` when reading failed (a corrupt archive's
/// checksum: `check` says it as a finding, `convert` fails, as on a file).
fn converted(
    data: &[u8],
    to: Format,
    threads: usize,
) -> Option<(geonorm::validate::Converted, Vec<u8>)> {
    let mut opts = ConvertOptions::to(to);
    opts.check.read.threads = threads;
    let mut out = Vec::new();
    let done = geonorm::convert(data.into(), &mut out, &opts).ok()?;
    Some((done, out))
}

fuzz_target!(|data: &[u8]| {
    let report = geonorm::check(data.into(), &CheckOptions::default()).expect("read from memory");
    if report.format.is_none() {
        return;
    }
    for to in [Format::GeoJson, Format::Kml, Format::Gpx] {
        let Some((two, out)) = converted(data, to, 2) else {
            return;
        };
        // What converting mends (a root it wraps) it says as done.
        let mut expected = report.diagnostics.clone();
        geonorm::validate::mended_by_writing(&mut expected, to, false);
        assert_eq!(
            two.report.diagnostics, expected,
            "convert and check disagree"
        );
        let (one, alone) = converted(data, to, 1).expect("read on two threads, so on one");
        assert_eq!(
            one.complete, two.complete,
            "read to its end on one thread, not two"
        );
        assert!(out == alone, "one thread and two wrote other bytes");
    }
});
