//! KML, KMZ and GPX checked as a stream say what the document read whole says, and GeoJSON
//! checked in batches what reading it one feature at a time says, in the same
//! order, for any number of threads.

use std::path::Path;

use super::check::{check_stream, drop_indices};
use super::reference::{check_document, check_geojson};
use super::report::{fatal_diagnostic, CheckOptions, Profile, Report};
use super::NO_OUTPUT;
use crate::{Code, Diagnostic, Format, Span, MAPHUB_MAX_UPLOAD_BYTES};

/// [`crate::check`] of `bytes` named `path`, on `threads` threads.
/// `check` of `bytes` on `threads` threads, in batches of `batch` bytes (0: the default).
fn check_on(
    bytes: &[u8],
    path: Option<&Path>,
    opts: &CheckOptions,
    (threads, batch): (usize, usize),
) -> Report {
    let mut opts = opts.clone();
    opts.read.name = path.map(Path::to_path_buf);
    opts.read.threads = threads;
    opts.read.batch_bytes = batch;
    crate::check(bytes.into(), &opts).expect("read from memory")
}

const PROFILES: [Profile; 3] = [Profile::Maphub, Profile::Enterprise, Profile::Rfc7946];

/// The stream's findings on `bytes`, in the report's order.
fn streamed(bytes: &[u8], format: Format, profile: Profile, threads: usize) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let read = crate::ReadOptions {
        threads,
        ..crate::ReadOptions::format(format)
    };
    check_stream(
        bytes,
        None,
        (&read, false),
        profile,
        &mut out,
        NO_OUTPUT,
        None,
    )
    .expect("read from memory");
    Diagnostic::sort_by_position(&mut out);
    out
}

/// The document read whole, then checked (as KMZ still is), in the report's order.
fn whole(bytes: &[u8], format: Format, profile: Profile) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_document(bytes, format, profile, &mut out);
    Diagnostic::sort_by_position(&mut out);
    out
}

#[test]
fn a_stream_says_what_the_whole_document_says() {
    let mut compared = 0;
    for path in crate::testdata::files(&["kml", "gpx", "kmz"]) {
        let bytes = std::fs::read(&path).expect("read");
        let Some(format @ (Format::Kml | Format::Gpx | Format::Kmz)) =
            Format::detect(&bytes, Some(&path))
        else {
            continue;
        };
        for profile in PROFILES {
            let expected = whole(&bytes, format, profile);
            for threads in [1, 3] {
                assert_eq!(
                    streamed(&bytes, format, profile, threads),
                    expected,
                    "{} ({profile:?}, {threads} threads)",
                    path.display()
                );
            }
        }
        compared += 1;
    }
    assert!(compared > 100, "compared only {compared} files");
}

/// A KML Placemark without geometry whose only warning is known at the end of the
/// document (a schema it names is missing; a forbidden character in its text).
#[test]
fn a_missing_geometry_explained_by_a_finding_about_the_whole_document() {
    let cases: [&[u8]; 2] = [
        br##"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>A</name><ExtendedData><SchemaData schemaUrl="#nope"><SimpleData name="x">1</SimpleData></SchemaData></ExtendedData></Placemark>
<Placemark><name>B</name></Placemark>
</Document></kml>"##,
        b"<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>
<Placemark><name>A\x01</name></Placemark>
<Placemark><name>B</name></Placemark>
</Document></kml>",
    ];
    for kml in cases {
        let report = check_on(kml, None, &CheckOptions::default(), (1, 0));
        let missing: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::GeometryMissing)
            .collect();
        // Only B's: A's was explained by what the end of the document said.
        assert_eq!(missing.len(), 1, "{:#?}", report.diagnostics);
        let b = memchr::memmem::find(kml, b"<Placemark><name>B").expect("B");
        assert_eq!(missing[0].span.map(|s| s.start), Some(b));
        let explained = report
            .diagnostics
            .iter()
            .any(|d| d.code == Code::KmlMissingSchema || d.code == Code::XmlForbiddenChar);
        assert!(explained, "{:#?}", report.diagnostics);
        assert_eq!(
            report.diagnostics,
            check_on(kml, None, &CheckOptions::default(), (2, 0)).diagnostics
        );
    }
}

/// A file that stops the reader early is still measured whole: over the limit, it says
/// so beside the syntax error, as when it was read whole first.
#[test]
fn a_broken_file_is_measured_whole() {
    let mut kml =
        b"<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document><Placemark></Document>".to_vec();
    kml.resize(MAPHUB_MAX_UPLOAD_BYTES as usize + 10, b' ');
    let report = check_on(&kml, None, &CheckOptions::default(), (1, 0));
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["xml/syntax", "maphub/too-large"]);
    assert_eq!(
        report.diagnostics,
        check_on(&kml, None, &CheckOptions::default(), (2, 0)).diagnostics
    );
}

#[test]
fn dropping_indices_keeps_the_others_in_order() {
    let mut v: Vec<u32> = (0..8).collect();
    drop_indices(&mut v, &[0, 3, 4, 7]);
    assert_eq!(v, [1, 2, 5, 6]);
    drop_indices(&mut v, &[]);
    assert_eq!(v, [1, 2, 5, 6]);
}

/// GeoJSON checked in batches of `batch` bytes on `threads` threads, in the report's
/// order; with `whole`, every feature through the rules whole.
fn geojson_batched(
    bytes: &[u8],
    profile: Profile,
    threads: usize,
    batch: usize,
    whole: bool,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let read = crate::ReadOptions {
        threads,
        batch_bytes: batch,
        ..crate::ReadOptions::format(Format::GeoJson)
    };
    let read = check_stream(
        bytes,
        None,
        (&read, whole),
        profile,
        &mut out,
        NO_OUTPUT,
        None,
    );
    read.expect("read from memory");
    Diagnostic::sort_by_position(&mut out);
    out
}

/// GeoJSON read one feature at a time on one thread, in the report's order; with
/// `whole`, every feature through the rules whole.
fn geojson_one_by_one(bytes: &[u8], profile: Profile, whole: bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_geojson(bytes, profile, whole, &mut out).expect("read from memory");
    Diagnostic::sort_by_position(&mut out);
    out
}

/// Files that stress what the batches must carry from one feature to the next: a
/// `groups` member given twice (a feature looks its group up in the one in force when
/// it was read), groups named by title before and after the features, more precise
/// positions than are shown one by one, a feature that stops the reader after others
/// and before `groups`, and a root Feature after `groups`.
const GEOJSON_CASES: [&str; 6] = [
    r#"{"type":"FeatureCollection","groups":[{"title":"A","id":1}],"features":[
{"type":"Feature","properties":{"group":"A"},"geometry":{"type":"Point","coordinates":[1,2]}},
{"type":"Feature","properties":{"group":"B"},"geometry":null}],
"groups":[{"title":"B","id":1}],"features":[
{"type":"Feature","properties":{"group":"A"},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#,
    r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"group":"X／Y","marker-color":"red"},"geometry":{"type":"Point","coordinates":[1,2]}},
{"type":"Feature","properties":{"group":"Z"},"geometry":{"type":"Point","coordinates":[1,200]}},
{"type":"Feature","properties":{"group":7}}],
"groups":[{"title":"X","id":3},{"title":"Z","id":"z"}]}"#,
    r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[1.1234567,2.1234567],[1.1234568,2.1234568],[1.1234569,2.1234569],[1.123457,2.123457,3,4]]}},
{"type":"Feature","properties":{},"geometry":{"type":"MultiPoint","coordinates":[[1.1234567,2],[1.1234567,2],[1.1234567,2],[1.1234567,2],[1.1234567,2],[1.1234567,2]]}},
{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[1.1234567,2,0,0],[1,2.12345678],[3,"4"]]}},
{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1.12345678,2]}}]}"#,
    r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"a":1},"geometry":{"type":"Point","coordinates":[1,2]}},
{"type":"Feature","geometry":null},
{"type":"Feature","properties":{"a":tru},"geometry":null},
{"type":"Feature","properties":{},"geometry":null}],
"groups":[{"title":"A","id":1},{"title":"A","id":1}],"properties":{"p":1},"bbox":[1]}"#,
    r#"{"groups":[{"title":"A","id":1}],"properties":{"group":"A"},"type":"Feature","geometry":{"type":"Point","coordinates":[1.123456789,91]}}"#,
    r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}],"bbox":"x","features":7,"x":}"#,
];

/// Every GeoJSON file of testdata and the stress cases, named.
fn geojson_cases() -> Vec<(String, Vec<u8>)> {
    let files = crate::testdata::files(&["geojson", "json"]);
    files
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read(p).expect("read")))
        .filter(|(_, bytes)| Format::detect(bytes, None) == Some(Format::GeoJson))
        .chain(
            GEOJSON_CASES
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("case {i}"), c.as_bytes().to_vec())),
        )
        .collect()
}

#[test]
fn geojson_checked_in_batches_says_what_one_feature_at_a_time_says() {
    let mut compared = 0;
    for (what, bytes) in geojson_cases() {
        for profile in PROFILES {
            let expected = geojson_one_by_one(&bytes, profile, false);
            for (threads, batch) in [(1, usize::MAX), (3, usize::MAX), (1, 1), (3, 1), (2, 300)] {
                assert_eq!(
                    geojson_batched(&bytes, profile, threads, batch, false),
                    expected,
                    "{what} ({profile:?}, {threads} threads, batches of {batch} bytes)"
                );
            }
        }
        compared += 1;
    }
    assert!(compared > 100, "compared only {compared} files");
}

/// The whole report (the file's size and name included) is the same on one thread and
/// on several, whatever the batches.
#[test]
fn a_geojson_report_is_the_same_on_any_number_of_threads() {
    let path = std::path::Path::new("x.json");
    for bytes in GEOJSON_CASES {
        let opts = CheckOptions::default();
        let one = check_on(bytes.as_bytes(), Some(path), &opts, (1, 0)).diagnostics;
        assert!(!one.is_empty(), "{bytes}");
        for (threads, batch) in [(3, usize::MAX), (2, 1)] {
            let many = check_on(bytes.as_bytes(), Some(path), &opts, (threads, batch)).diagnostics;
            assert_eq!(many, one, "{bytes} ({threads} threads, batches of {batch})");
        }
    }
}

/// `(code, span)` of each finding, sorted, for comparing what two paths found where.
fn placed(diags: &[Diagnostic]) -> Vec<(&'static str, Option<Span>)> {
    let mut v: Vec<_> = diags.iter().map(|d| (d.code.as_str(), d.span)).collect();
    v.sort_by_key(|(c, s)| (s.map(|s| (s.start, s.end)), *c));
    v
}

/// Converting while checking writes what converting alone writes (GeoJSON: what it
/// writes on one thread in one batch), and says what the check says plus what the
/// writer could not hold: on every map file of testdata, for each profile, on 1 and 3
/// threads, in one batch and in small ones.
#[test]
fn converting_while_checking_writes_what_convert_writes_and_says_what_check_says() {
    let mut seen = 0;
    for path in crate::testdata::files(&["kml", "gpx", "kmz", "geojson", "json"]) {
        let bytes = std::fs::read(&path).expect("read");
        let Some(format) = Format::detect(&bytes, Some(&path)) else {
            continue;
        };
        seen += 1;
        let what = path.display();
        // A GeoJSON file's output on one thread in one batch.
        let mut first: Option<Vec<u8>> = None;
        for (threads, batch) in [(1, usize::MAX), (3, usize::MAX), (3, 700)] {
            let read = crate::ReadOptions {
                batch_bytes: batch,
                ..crate::ReadOptions::format(format)
            };
            let mut alone = Vec::new();
            let converted = crate::stream::tests::to_geojson(
                &bytes[..],
                &read,
                &mut alone,
                &Default::default(),
                threads,
            );
            for profile in PROFILES {
                let opts = CheckOptions::new(profile, Some(format));
                let mut out = Vec::new();
                let mut convert = crate::ConvertOptions::to(Format::GeoJson);
                convert.check = opts.clone();
                convert.check.read.name = Some(path.clone());
                convert.check.read.threads = threads;
                convert.check.read.batch_bytes = batch;
                let both =
                    crate::convert(bytes[..].into(), &mut out, &convert).expect("read from memory");
                let mut checked = check_on(&bytes, Some(&path), &opts, (threads, batch));
                // What the conversion mends (a root it wraps) it says as done.
                super::mended_by_writing(&mut checked.diagnostics, Format::GeoJson, false);
                assert_eq!(
                    both.report.diagnostics, checked.diagnostics,
                    "{what}: {profile:?}, {threads} threads, batches of {batch}: the report"
                );
                match &converted {
                    Ok(diags) => {
                        assert!(both.complete, "{what}: read to its end");
                        // GeoJSON has one converter, this one, which links a group
                        // named by title when it is known once the batch is cut (the
                        // reference stream links it when known before the feature):
                        // its output is the same whatever the threads and batches.
                        let reference = match (format, &first) {
                            (Format::GeoJson, Some(first)) => first,
                            (Format::GeoJson, None) => &out,
                            _ => &alone,
                        };
                        assert!(
                            out == *reference,
                            "{what}: {threads} threads, batches of {batch}: the output"
                        );
                        if format == Format::GeoJson && first.is_none() {
                            first = Some(out.clone());
                        }
                        // Everything convert says is said, and the writer's part of it
                        // is what it says beside the check.
                        let all = placed(&both.diagnostics());
                        if format == Format::GeoJson {
                            continue;
                        }
                        for d in placed(diags) {
                            assert!(all.contains(&d), "{what}: {d:?} said by convert alone");
                        }
                        for d in placed(&both.written) {
                            assert!(placed(diags).contains(&d), "{what}: {d:?} written");
                        }
                    }
                    Err(e) => {
                        assert!(!both.complete, "{what}: {e} stops it");
                        let fatal = fatal_diagnostic(format, e);
                        assert!(
                            both.report.diagnostics.iter().any(|d| d.code == fatal.code),
                            "{what}: {e} is in the report"
                        );
                    }
                }
            }
        }
    }
    assert!(seen > 300, "map files seen: {seen}");
}

/// The report on `bytes` with the positions of sound features judged on the model, and
/// with every feature's JSON tree built whole: one thread one feature at a time, and
/// batched on three threads in small batches.
fn outline_and_whole(bytes: &[u8], profile: Profile) -> [(Vec<Diagnostic>, Vec<Diagnostic>); 2] {
    let run = |whole: bool| {
        let one = geojson_one_by_one(bytes, profile, whole);
        let batched = geojson_batched(bytes, profile, 3, 500, whole);
        (one, batched)
    };
    [run(false), run(true)]
}

/// Judging a sound feature's positions on the model says what the rules on its whole
/// JSON tree say, on every GeoJSON file of testdata and the stress cases.
#[test]
fn the_outline_says_what_the_whole_tree_says() {
    let mut compared = 0;
    for (what, bytes) in geojson_cases() {
        for profile in [Profile::Maphub, Profile::Rfc7946] {
            let [outline, whole] = outline_and_whole(&bytes, profile);
            assert_eq!(outline, whole, "{what} ({profile:?})");
        }
        compared += 1;
    }
    assert!(compared > 100, "compared only {compared} files");
}

mod outline_props {
    use super::*;
    use proptest::prelude::*;

    /// A number as a file may write it: integers, 0 to 9 decimals, exponents, near and
    /// past the ranges of longitude and latitude.
    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            (-200i32..200).prop_map(|n| n.to_string()),
            (-200.0f64..200.0, 0usize..10).prop_map(|(v, d)| format!("{v:.d$}")),
            (-9.0f64..9.0, -2i32..3).prop_map(|(v, e)| format!("{v:.7}e{e}")),
            Just("90.0000001".to_string()),
            Just("-0.0".to_string()),
        ]
    }

    /// A position: mostly 2 or 3 numbers, sometimes 1, 4, a string or an empty array.
    fn position() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => proptest::collection::vec(number(), 2..=3).prop_map(|v| format!("[{}]", v.join(","))),
            1 => proptest::collection::vec(number(), 0..=4).prop_map(|v| format!("[{}]", v.join(", "))),
            1 => Just(r#"[1,"2"]"#.to_string()),
        ]
    }

    /// A sequence of positions, closed (or closed but for its altitude) now and then,
    /// as rings are.
    fn sequence() -> impl Strategy<Value = String> {
        (proptest::collection::vec(position(), 0..6), 0u8..4).prop_map(|(mut ps, close)| {
            if let (Some(first), 1..=2) = (ps.first().cloned(), close) {
                ps.push(first);
            }
            if close == 2 {
                if let Some(last) = ps.last_mut() {
                    *last = last.replace(']', ",7]");
                }
            }
            format!("[{}]", ps.join(","))
        })
    }

    fn nested(inner: impl Strategy<Value = String>, n: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(inner, 0..n).prop_map(|v| format!("[{}]", v.join(",")))
    }

    fn geometry() -> impl Strategy<Value = String> {
        let g = |t: &'static str, c: BoxedStrategy<String>| {
            c.prop_map(move |c| format!(r#"{{"type":"{t}","coordinates":{c}}}"#))
        };
        prop_oneof![
            g("Point", position().boxed()),
            g("MultiPoint", sequence().boxed()),
            g("LineString", sequence().boxed()),
            g("MultiLineString", nested(sequence(), 3).boxed()),
            g("Polygon", nested(sequence(), 3).boxed()),
            g("MultiPolygon", nested(nested(sequence(), 3), 3).boxed()),
            // Positions at the wrong depth.
            g("LineString", position().boxed()),
            g("Polygon", sequence().boxed()),
            Just(r#"{"type":"Point","coordinates":[1,2],"bbox":[0,0,1]}"#.to_string()),
            Just(r#"{"type":"point","coordinates":[1,2]}"#.to_string()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn random_positions_say_the_same_on_the_outline(
            geometries in proptest::collection::vec(geometry(), 1..8),
        ) {
            let features: Vec<String> = geometries
                .iter()
                .map(|g| format!(r#"{{"type":"Feature","properties":{{}},"geometry":{g}}}"#))
                .collect();
            let text = format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(",\n"));
            let [outline, whole] = outline_and_whole(text.as_bytes(), Profile::Maphub);
            prop_assert_eq!(outline, whole, "{}", text);
        }
    }
}

/// GeoJSON converted as a stream writes what the document read whole and written
/// writes: a feature naming a group declared later (or nowhere) is linked to it, the
/// groups created for it are written, whatever the threads and batches (issue 23).
#[test]
fn streamed_geojson_writes_what_the_document_read_whole_writes() {
    let mut compared = 0;
    for (what, bytes) in geojson_cases() {
        let Ok(read) = crate::read(&bytes[..], &crate::ReadOptions::format(Format::GeoJson)) else {
            continue;
        };
        let mut whole = Vec::new();
        crate::write(
            &read.document,
            Format::GeoJson,
            &mut whole,
            &Default::default(),
        )
        .expect("written to memory");
        for (threads, batch) in [(1, usize::MAX), (3, 1), (2, 300)] {
            let mut convert = crate::ConvertOptions::to(Format::GeoJson);
            convert.check.read.threads = threads;
            convert.check.read.batch_bytes = batch;
            let mut out = Vec::new();
            let done = crate::convert(bytes[..].into(), &mut out, &convert);
            assert!(done.expect("read from memory").complete, "{what}");
            assert!(
                out == whole,
                "{what} ({threads} threads, batches of {batch}):\n{}\n{}",
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&whole)
            );
        }
        compared += 1;
    }
    assert!(compared > 100, "compared only {compared} files");
}
