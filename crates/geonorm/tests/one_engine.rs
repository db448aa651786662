//! One problem, one code, one position, whichever command finds it: over every map file
//! in testdata/, what `convert` reports while reading (the reader's diagnostics, or its
//! fatal error) is what `check` reports for the same bytes, code, position and message
//! alike, as many times as `check` says it; and every reading problem `check` reports,
//! `convert` reports too, as often. `check` may say more (its rules: geometry, MapHub's
//! limits, RFC 7946 structure that reads fine), never something different.

mod common;

use std::fs;

use geonorm::validate::{fatal_diagnostic, CheckOptions, Profile};
use geonorm::{Code, Diagnostic, Format, ReadOptions};

/// What `convert` says while reading, and whether it could read the file at all.
fn convert_says(bytes: &[u8], format: Format) -> (Vec<Diagnostic>, bool) {
    match geonorm::read(bytes, &ReadOptions::format(format)) {
        Ok(parsed) => (parsed.diagnostics, true),
        Err(e) => (vec![fatal_diagnostic(format, &e)], false),
    }
}

/// A finding as both place it: code, position, message (sorted by these, the lists of
/// both commands are compared with every repetition).
fn key(d: &Diagnostic) -> (&'static str, Option<usize>, &str) {
    (d.code.as_str(), d.span.map(|s| s.start), d.message.as_str())
}

/// Codes only `check`'s rules give: they judge what reads fine, so `convert` (which
/// does not run them on features it read without trouble) need not repeat them.
fn rules_only(code: Code) -> bool {
    let name = code.as_str();
    name.starts_with("geometry/")
        || name.starts_with("maphub/")
        || matches!(
            code,
            Code::GeojsonPrecision
                | Code::GeojsonRightHandRule
                | Code::KmlClockwiseRing
                | Code::AssetMissing
                | Code::AssetOutside
                | Code::GeojsonForbiddenMember
                | Code::GeojsonBadBbox
                | Code::GeojsonSingleCollection
                | Code::GeojsonNestedCollection
                | Code::GeojsonMissingMember
                | Code::GeojsonWrongType
                | Code::GeojsonMemberType
                | Code::GeojsonBadPosition
        )
}

/// What each list has that the other has not, every repetition counted.
fn multiset_differences<T: Ord + Clone>(a: &[T], b: &[T]) -> (Vec<T>, Vec<T>) {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort();
    b.sort();
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => (i, j) = (i + 1, j + 1),
            (Some(x), Some(y)) if x < y => (only_a.push(x.clone()), i += 1).1,
            (Some(x), None) => (only_a.push(x.clone()), i += 1).1,
            (_, Some(y)) => (only_b.push(y.clone()), j += 1).1,
            (None, None) => unreachable!(),
        }
    }
    (only_a, only_b)
}

#[test]
fn convert_and_check_give_the_same_reading_problems() {
    let files = common::testdata_files(&["kml", "kmz", "gpx", "geojson", "json"], 350);
    let (mut compared, mut undetected, mut findings) = (0, 0, 0);
    let mut differences = Vec::new();
    for p in &files {
        let bytes = fs::read(p).expect("read");
        let mut opts = CheckOptions::new(Profile::Maphub, None);
        opts.read.name = Some(p.clone());
        let checked = geonorm::check(bytes[..].into(), &opts).expect("read from memory");
        let Some(format) = Format::detect(&bytes, Some(p)) else {
            // Neither command can tell what it is: check says so with an error, and
            // convert refuses it before reading.
            assert!(
                checked.format.is_none() && checked.has_errors(),
                "{}: no format, yet check reads it",
                p.display()
            );
            undetected += 1;
            continue;
        };
        let (converted, readable) = convert_says(&bytes, format);
        let c: Vec<_> = converted.iter().map(key).collect();
        let k: Vec<_> = checked.diagnostics.iter().map(key).collect();
        // Each of convert's findings, as many times as it says it, is check's.
        let (only_convert, only_check) = multiset_differences(&c, &k);
        // A file that cannot be read stops `convert` at that error; `check` also says
        // what it met before it. Otherwise check says more only by its rules.
        let only_check: Vec<_> = only_check
            .into_iter()
            .filter(|d| readable && !Code::from_name(d.0).is_some_and(rules_only))
            .collect();
        if !only_convert.is_empty() || !only_check.is_empty() {
            differences.push(format!(
                "{}:\n  only convert says {only_convert:?}\n  only check says   {only_check:?}",
                p.display()
            ));
        }
        compared += 1;
        findings += c.len() + k.len();
    }
    eprintln!("{compared} files compared ({undetected} of no format), {findings} reading problems");
    // Every file is compared or of no format; measured when this was written: 446 files
    // compared, and 4,438 findings in their lists (convert's and check's; 4,662 before a
    // GPX route or track point's own fields were kept rather than reported as skipped).
    assert_eq!(compared + undetected, files.len());
    assert!(compared >= 446, "only {compared} files compared");
    assert!(findings >= 4438, "only {findings} findings compared");
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// `info` summarises a file of any format as it streams past ([`geonorm::stream`] on
/// two threads): the same summary, metadata, groups, diagnostics (in the order `info`
/// sorts them) and, for a KMZ, the same account of what else the archive holds as
/// reading it whole.
#[test]
fn a_streamed_summary_is_the_summary_of_the_whole_document() {
    let files = common::testdata_files(&["geojson", "json", "kml", "gpx", "kmz"], 300);
    let mut compared = [0usize; 4];
    for p in &files {
        let bytes = fs::read(p).expect("read");
        let Some(format) = Format::detect(&bytes, Some(p)) else {
            continue;
        };
        let slot = match format {
            Format::GeoJson => 0,
            Format::Kml => 1,
            Format::Gpx => 2,
            Format::Kmz => 3,
        };
        let whole = geonorm::read(&bytes[..], &ReadOptions::format(format));
        let mut summary = geonorm::Summary::default();
        let opts = ReadOptions {
            threads: 2,
            ..ReadOptions::format(format)
        };
        let streamed =
            geonorm::stream(bytes[..].into(), &opts, &geonorm::stream::AsRead, |f, _| {
                summary.add(&f);
                Ok(())
            });
        match (whole, streamed) {
            (
                Ok(w),
                Ok(geonorm::stream::StreamEnd {
                    meta,
                    groups,
                    diagnostics: mut diags,
                    kmz,
                }),
            ) => {
                summary.groups = groups.len();
                geonorm::Diagnostic::sort_by_position(&mut diags);
                assert_eq!(summary, w.document.summary(), "{}", p.display());
                assert_eq!(kmz, w.kmz, "{}", p.display());
                assert_eq!(meta, w.document.meta, "{}", p.display());
                assert_eq!(groups, w.document.groups, "{}", p.display());
                assert_eq!(diags, w.diagnostics, "{}", p.display());
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{}", p.display()),
            (a, b) => panic!("{}: {:?} against {:?}", p.display(), a.is_ok(), b.is_ok()),
        }
        compared[slot] += 1;
    }
    assert!(
        compared[0] >= 247 && compared[1] >= 78 && compared[2] >= 112 && compared[3] >= 10,
        "GeoJSON, KML, GPX, KMZ files compared: {compared:?}"
    );
}

/// A member given twice in a root Feature is one finding for both commands (`check`
/// once said it twice: as the root streamed past, and again reading the feature).
#[test]
fn a_member_twice_in_a_root_feature_is_said_once() {
    let text = br#"{"type":"FeatureCollection","type":"Feature","properties":{},"geometry":null}"#;
    let dup = |d: &&Diagnostic| d.code == Code::GeojsonDuplicateMember;
    let (converted, _) = convert_says(text, Format::GeoJson);
    let checked = geonorm::check(text[..].into(), &CheckOptions::default())
        .expect("read from memory")
        .diagnostics;
    let c: Vec<_> = converted.iter().filter(dup).map(key).collect();
    let k: Vec<_> = checked.iter().filter(dup).map(key).collect();
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c, k);
}
