//! One problem, one code, one position, whichever command finds it: over every map file
//! in testdata/, what `convert` reports while reading (the reader's diagnostics, or its
//! fatal error) is what `check` reports for the same bytes, code for code and position
//! for position; and every reading problem `check` reports, `convert` reports too.
//! `check` may say more (its rules: geometry, MapHub's limits, RFC 7946 structure that
//! reads fine), never something different.

mod common;

use std::collections::BTreeSet;
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

fn key(d: &Diagnostic) -> (&'static str, Option<usize>) {
    (d.code.as_str(), d.span.map(|s| s.start))
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

#[test]
fn convert_and_check_give_the_same_reading_problems() {
    let files = common::testdata_files(&["kml", "kmz", "gpx", "geojson", "json"], 350);
    let mut compared = 0;
    let mut findings = 0;
    let mut differences = Vec::new();
    for p in &files {
        let bytes = fs::read(p).expect("read");
        let Some(format) = Format::detect(&bytes, Some(p)) else {
            continue;
        };
        let (converted, readable) = convert_says(&bytes, format);
        let checked = geonorm::check(
            &bytes,
            &CheckOptions {
                profile: Profile::Maphub,
                format: Some(format),
                name: Some(p.clone()),
            },
        )
        .diagnostics;
        let c: BTreeSet<_> = converted.iter().map(key).collect();
        let k: BTreeSet<_> = checked.iter().map(key).collect();
        for d in &converted {
            if !k.contains(&key(d)) {
                differences.push(format!(
                    "{}: convert says {} at {:?} ({}); check does not",
                    p.display(),
                    d.code,
                    d.span,
                    d.message
                ));
            }
        }
        // A file that cannot be read stops `convert` at that error; `check` also says
        // what it met before it.
        for d in checked.iter().filter(|d| readable && !rules_only(d.code)) {
            if !c.contains(&key(d)) {
                differences.push(format!(
                    "{}: check says {} at {:?} ({}); convert does not",
                    p.display(),
                    d.code,
                    d.span,
                    d.message
                ));
            }
        }
        compared += 1;
        findings += converted.len();
    }
    eprintln!("{compared} files compared, {findings} reading problems");
    assert!(compared >= 350, "only {compared} files compared");
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// `info` summarises a GeoJSON file as it streams past: the same summary, metadata and
/// diagnostics as reading it whole.
#[test]
fn a_streamed_summary_is_the_summary_of_the_whole_document() {
    let files = common::testdata_files(&["geojson", "json"], 150);
    let mut compared = 0;
    for p in &files {
        let bytes = fs::read(p).expect("read");
        if Format::detect(&bytes, Some(p)) != Some(Format::GeoJson) {
            continue;
        }
        let whole = geonorm::read(&bytes[..], &ReadOptions::format(Format::GeoJson));
        let streamed = geonorm::geojson::summarize(&bytes[..]);
        match (whole, streamed) {
            (Ok(w), Ok((doc, summary, diags))) => {
                assert_eq!(summary, w.document.summary(), "{}", p.display());
                assert_eq!(doc.meta, w.document.meta, "{}", p.display());
                assert_eq!(doc.groups, w.document.groups, "{}", p.display());
                assert_eq!(diags, w.diagnostics, "{}", p.display());
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{}", p.display()),
            (a, b) => panic!("{}: {:?} against {:?}", p.display(), a.is_ok(), b.is_ok()),
        }
        compared += 1;
    }
    assert!(compared >= 150, "only {compared} GeoJSON files");
}
