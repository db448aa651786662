//! The converter never makes a file worse: for every map file in testdata/, converted to
//! each format (and that output back to GeoJSON), `check --profile rfc7946` on what
//! geonorm wrote reports no error whose code `check` on the input did not report.

use std::collections::BTreeSet;
use std::fs;

use geonorm::validate::{check, CheckOptions, Profile};
use geonorm::{Format, Severity};

mod common;

fn errors(bytes: &[u8], format: Format) -> BTreeSet<&'static str> {
    let opts = CheckOptions {
        profile: Profile::Rfc7946,
        format: Some(format),
        name: None,
    };
    check(bytes, None, &opts)
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.code.as_str())
        .collect()
}

const TARGETS: [Format; 4] = [Format::GeoJson, Format::Kml, Format::Gpx, Format::Kmz];

#[test]
fn output_has_no_error_the_input_did_not_have() {
    let files = common::testdata_files(&["kml", "kmz", "gpx", "geojson", "json", "xml"], 400);
    let mut worse = Vec::new();
    let mut converted = 0;
    for p in &files {
        let bytes = fs::read(p).expect("read");
        let Some(format) = Format::detect(&bytes, Some(p)) else {
            continue;
        };
        let Ok((doc, _)) = geonorm::read(&bytes[..], &geonorm::ReadOptions::format(format))
            .map(geonorm::Parsed::into_parts)
        else {
            continue;
        };
        let before = errors(&bytes, format);
        for target in TARGETS {
            let mut out = Vec::new();
            if geonorm::write(&doc, target, &mut out, &Default::default()).is_err() {
                continue;
            }
            converted += 1;
            let mut report = |stage: String, got: BTreeSet<&'static str>| {
                let new: Vec<_> = got.difference(&before).collect();
                if !new.is_empty() {
                    worse.push(format!("{} {stage}: {new:?}", p.display()));
                }
            };
            report(format!("→ {target}"), errors(&out, target));
            if target == Format::GeoJson {
                continue;
            }
            let Ok((back, _)) = geonorm::read(&out[..], &geonorm::ReadOptions::format(target))
                .map(geonorm::Parsed::into_parts)
            else {
                worse.push(format!("{} → {target}: output unreadable", p.display()));
                continue;
            };
            let mut json = Vec::new();
            geonorm::write(&back, Format::GeoJson, &mut json, &Default::default())
                .expect("GeoJSON writes");
            report(
                format!("→ {target} → geojson"),
                errors(&json, Format::GeoJson),
            );
        }
    }
    assert!(converted > 800, "only {converted} conversions");
    assert!(
        worse.is_empty(),
        "{} conversions made the file worse:\n{}",
        worse.len(),
        worse.join("\n")
    );
}
