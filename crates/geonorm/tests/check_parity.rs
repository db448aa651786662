//! `check` at parity with geojsonhint, check-geojson and the OGC KML 2.2 conformance
//! suite, on their own test files (see testdata/NOTICE.md).

use std::fs;
use std::path::Path;

use geonorm::validate::{check, CheckOptions, Profile, Report};
use geonorm::{LineIndex, Severity};

mod common;
use common::{files_in, testdata};

fn rfc(path: &Path) -> (Vec<u8>, Report) {
    let bytes = fs::read(path).expect("read");
    let opts = CheckOptions {
        profile: Profile::Rfc7946,
        ..CheckOptions::default()
    };
    let report = check(&bytes, Some(path), &opts);
    (bytes, report)
}

/// Codes that say a file breaks a rule of the KML 2.2 standard (OGC level 1), whatever
/// their severity for a map.
const KML_RULES: [&str; 9] = [
    "kml/empty-placemark",
    "kml/bad-box",
    "kml/bad-style-map",
    "kml/bad-field-type",
    "kml/missing-schema",
    "kml/bad-typed-value",
    "kml/duplicate-data",
    "kml/lookat-altitude",
    "kml/ring-not-closed",
];

fn errors(r: &Report) -> Vec<String> {
    r.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect()
}

#[test]
fn good_files_give_no_error() {
    for dir in ["geojson/geojsonhint-good", "geojson/check-geojson-good"] {
        for p in files_in(dir, &["geojson"], 15) {
            let (_, mut r) = rfc(&p);
            // geojsonhint does not check coordinate ranges; geonorm does, and
            // issue82.geojson is far outside them (see CONFORMANCE.md).
            if p.ends_with("issue82.geojson") {
                assert!(r
                    .diagnostics
                    .iter()
                    .any(|d| d.code.as_str() == "geometry/lat-out-of-range"));
                r.diagnostics
                    .retain(|d| !d.code.as_str().ends_with("-out-of-range"));
            }
            assert!(errors(&r).is_empty(), "{}: {:?}", p.display(), errors(&r));
        }
    }
}

#[test]
fn every_check_geojson_bad_file_gives_an_error() {
    let mut missed = Vec::new();
    let all = files_in("geojson/check-geojson-bad", &["geojson"], 40);
    // RFC 7946 says SHOULD for these; geonorm warns, check-geojson errs (CONFORMANCE.md).
    let warned = ["point-toomany.geojson", "geometrycollection_nested.geojson"];
    for p in all
        .iter()
        .filter(|p| !warned.iter().any(|w| p.ends_with(w)))
    {
        let (_, r) = rfc(p);
        if errors(&r).is_empty() {
            missed.push(
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
        }
    }
    assert!(
        missed.is_empty(),
        "{} of {} bad files gave no error: {missed:?}",
        missed.len(),
        all.len()
    );
}

/// geojsonhint's message (a prefix) → our code.
const MESSAGES: [(&str, &str); 30] = [
    (
        "An object contained duplicate members",
        "geojson/duplicate-member",
    ),
    ("Feature object cannot contain", "geojson/forbidden-member"),
    (
        "FeatureCollection object cannot contain",
        "geojson/forbidden-member",
    ),
    ("geometry object cannot contain", "geojson/forbidden-member"),
    ("\"properties\" member required", "geojson/missing-member"),
    ("\"geometry\" member required", "geojson/missing-member"),
    ("\"features\" member required", "geojson/missing-member"),
    ("\"coordinates\" member required", "geojson/missing-member"),
    ("\"type\" member required", "geojson/missing-member"),
    ("\"id\" property should be", "geojson/member-type"),
    ("Feature \"id\" member must", "geojson/member-type"),
    ("\"properties\" member should be", "geojson/member-type"),
    ("\"features\" member should be", "geojson/member-type"),
    ("\"coordinates\" member should be", "geojson/member-type"),
    // An item of `features` that is not a Feature is skipped, and geonorm's code for
    // it says so (with the rules' sentence and position).
    ("Every feature must be an object", "geojson/invalid-feature"),
    (
        "The geometries array in a GeometryCollection",
        "geojson/member-type",
    ),
    ("\"type\" member should be string", "geojson/wrong-type"),
    ("Expected ", "geojson/wrong-type"),
    ("The type ", "geojson/wrong-type"),
    (
        "GeoJSON features must have a type=feature",
        "geojson/invalid-feature",
    ),
    (
        "a number was found where a coordinate array",
        "geojson/bad-position",
    ),
    (
        "each element in a position must be a number",
        "geojson/bad-position",
    ),
    (
        "position must have 2 or more elements",
        "geojson/position-too-short",
    ),
    ("position should be an array", "geojson/bad-position"),
    (
        "a LinearRing of coordinates needs to have four",
        "geometry/short-ring",
    ),
    (
        "the first and last positions in a LinearRing",
        "geometry/ring-not-closed",
    ),
    (
        "a line needs to have two or more coordinates",
        "geometry/short-line",
    ),
    ("bbox", "geojson/bad-bbox"),
    ("Parse error", "json/syntax"),
    (
        "The root of a GeoJSON object must be an object",
        "geojson/root",
    ),
];

/// Warnings geojsonhint gives as "message" level.
const WARNINGS: [(&str, &str); 4] = [
    (
        "position should not have more than 3 elements",
        "geojson/extra-ordinates",
    ),
    (
        "Polygons and MultiPolygons should follow the right-hand rule",
        "geojson/right-hand-rule",
    ),
    (
        "GeometryCollection with a single geometry",
        "geojson/single-collection",
    ),
    (
        "GeometryCollection should avoid nested",
        "geojson/nested-collection",
    ),
];

#[test]
fn geojsonhint_bad_files_give_its_findings_at_its_lines() {
    let mut matched = 0;
    let mut total = 0;
    let mut misses = Vec::new();
    for p in files_in("geojson/geojsonhint-bad", &["geojson"], 40) {
        let result = p.with_extension("result");
        let Ok(text) = fs::read_to_string(&result) else {
            continue;
        };
        let expected: serde_json::Value = serde_json::from_str(&text).expect("result json");
        let (bytes, r) = rfc(&p);
        let index = LineIndex::new(&bytes);
        let ours: Vec<(&str, usize)> = r
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.code.as_str(),
                    d.span.map_or(0, |s| index.line_col(&bytes, s.start).0),
                )
            })
            .collect();
        for e in expected.as_array().into_iter().flatten() {
            let message = e["message"].as_str().unwrap_or_default();
            let line = e["line"].as_u64().unwrap_or(0) as usize;
            let Some((_, code)) = MESSAGES
                .iter()
                .chain(&WARNINGS)
                .find(|(m, _)| message.starts_with(m) || message.contains(m))
            else {
                panic!("{}: no mapping for {message:?}", p.display());
            };
            total += 1;
            // geojsonhint counts the lines of a file that is not JSON from 1 and of a
            // root that is not an object as 0; the rest must match exactly.
            // Syntax errors and duplicate members geonorm places at the offending token,
            // geojsonhint at the start of the file or object: only the code is compared.
            let any_line = matches!(*code, "json/syntax" | "geojson/duplicate-member");
            let found = ours
                .iter()
                .any(|(c, l)| c == code && (any_line || *l == line || line <= 1 && *l <= 1));
            if found {
                matched += 1;
            } else {
                misses.push(format!(
                    "{}: {code} at line {line}; ours {ours:?}",
                    p.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                ));
            }
        }
    }
    eprintln!("geojsonhint parity: {matched} of {total} findings at the same line");
    assert!(
        misses.is_empty(),
        "{} misses:\n{}",
        misses.len(),
        misses.join("\n")
    );
}

#[test]
fn ogc_kml_verdicts_match() {
    let tsv =
        fs::read_to_string(testdata("kml/ogc-conformance/expected-results.tsv")).expect("tsv");
    let mut agree = Vec::new();
    let mut disagree = Vec::new();
    for line in tsv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("fixture_path"))
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(verdict)) = (cols.first(), cols.get(1)) else {
            continue;
        };
        if verdict.starts_with("mixed") {
            continue;
        }
        let p = match path.strip_prefix("cleder__fastkml/tests/ogc_conformance/data/") {
            Some(rel) => testdata("kml/ogc-conformance").join(rel),
            None => testdata("kml/ets-kml22").join(Path::new(path).file_name().expect("name")),
        };
        let bytes = fs::read(&p).expect("read");
        let opts = CheckOptions {
            profile: Profile::Rfc7946,
            format: None,
            ..Default::default()
        };
        let r = check(&bytes, Some(&p), &opts);
        // Level 2 of the suite is about recommendations: a warning is enough.
        let floor = if verdict.contains("level2") {
            Severity::Warning
        } else {
            Severity::Error
        };
        // Severity follows MapHub's principle (does the map come out wrong?), not the
        // suite's: a broken StyleMap or an untyped SimpleField is a warning for a map,
        // yet it makes the file invalid KML. So a finding of a KML rule counts too.
        let invalid = r
            .diagnostics
            .iter()
            .any(|d| d.severity >= floor || KML_RULES.contains(&d.code.as_str()));
        let expect_invalid = verdict.starts_with("invalid");
        let name = path.rsplit('/').next().unwrap_or(path).to_string();
        if invalid == expect_invalid {
            agree.push(name);
        } else {
            disagree.push(format!(
                "{name}: expected {verdict}, got {:?}",
                r.diagnostics
                    .iter()
                    .map(|d| d.code.as_str())
                    .collect::<Vec<_>>()
            ));
        }
    }
    eprintln!(
        "OGC KML 2.2: {} of {} verdicts agree; differ: {disagree:#?}",
        agree.len(),
        agree.len() + disagree.len()
    );
    // The cases that need the linked files, images or models fetched are listed in
    // CONFORMANCE.md; everything else must agree.
    let known: [&str; 9] = [
        "Polygon-Absolute.xml",
        "PhotoOverlay-HrefParamsWithoutImagePyramid.xml",
        "PhotoOverlay-NotImage.xml",
        "PhotoOverlay-PyramidWithoutHref.xml",
        "Link-BadHttpQuery.xml",
        "NetworkLink-NotFound.xml",
        "Update-NoTarget.xml",
        "Model-AliasTargetMissing.xml",
        "Model-ResourceMap-Invalid.xml",
    ];
    let unexpected: Vec<&String> = disagree
        .iter()
        .filter(|d| !known.iter().any(|k| d.starts_with(k)))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:#?}");
}
