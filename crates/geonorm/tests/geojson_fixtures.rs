//! GeoJSON against files from other projects (see testdata/NOTICE.md) and our own.

use std::fs;

use geonorm::geojson::{self, WriteOptions};
use geonorm::{ColumnValues, Error, Geometry, GroupId, Severity, GROUP_PATH_SEPARATOR};
use serde_json::Value;

mod common;
use common::{files_in, testdata};

/// JSON equality with numbers compared by value: `102.0` and `102` are the same
/// coordinate, though serde_json's `Value` tells them apart.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

fn round_trip(bytes: &[u8], opts: &WriteOptions) -> (Vec<u8>, Vec<geonorm::Diagnostic>) {
    let (doc, mut diags) = geonorm::read(
        bytes,
        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("readable");
    let mut out = Vec::new();
    diags.extend(geojson::write(&doc, &mut out, opts).expect("writable"));
    (out, diags)
}

#[test]
fn georust_canonical_files_round_trip_to_an_equal_json_value() {
    let opts = WriteOptions {
        keep_root: true,
        ..WriteOptions::default()
    };
    for path in files_in("geojson/georust-canonical", &["geojson"], 15) {
        let bytes = fs::read(&path).expect("read fixture");
        let (out, diags) = round_trip(&bytes, &opts);
        assert!(diags.is_empty(), "{}: {diags:?}", path.display());
        let before: Value = serde_json::from_slice(&bytes).expect("fixture is JSON");
        let after: Value = serde_json::from_slice(&out).expect("output is JSON");
        assert!(
            same_json(&before, &after),
            "{}:\n  in:  {before}\n  out: {after}",
            path.display()
        );
    }
}

#[test]
fn good_files_of_geojsonhint_and_check_geojson_read_without_errors() {
    for dir in ["geojson/geojsonhint-good", "geojson/check-geojson-good"] {
        for path in files_in(dir, &["geojson"], 15) {
            let bytes = fs::read(&path).expect("read fixture");
            let (doc, diags) = geonorm::read(
                &bytes[..],
                &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
            )
            .map(geonorm::Parsed::into_parts)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let errors: Vec<_> = diags
                .iter()
                .filter(|d| d.severity >= Severity::Error)
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            assert!(!doc.features.is_empty(), "{}: no features", path.display());
        }
    }
}

#[test]
fn bad_files_end_in_a_diagnostic_or_an_error_never_a_panic() {
    for dir in ["geojson/geojsonhint-bad", "geojson/check-geojson-bad"] {
        for path in files_in(dir, &["geojson"], 40) {
            let bytes = fs::read(&path).expect("read fixture");
            match geonorm::read(
                &bytes[..],
                &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
            )
            .map(geonorm::Parsed::into_parts)
            {
                Ok((doc, _)) => {
                    // Whatever was read can be written and read again.
                    let mut out = Vec::new();
                    geojson::write(&doc, &mut out, &WriteOptions::default()).expect("writable");
                    geonorm::read(
                        &out[..],
                        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
                    )
                    .map(geonorm::Parsed::into_parts)
                    .unwrap_or_else(|e| panic!("{}: output unreadable: {e}", path.display()));
                }
                Err(Error::Syntax { .. } | Error::NotFormat { .. } | Error::Invalid(_)) => {}
                Err(e) => panic!("{}: unexpected error kind {e:?}", path.display()),
            }
        }
    }
}

#[test]
fn known_defects_give_their_codes() {
    let cases = [
        (
            "geojson/geojsonhint-bad/point-toomany.geojson",
            "geojson/extra-ordinates",
        ),
        // Said with check's code and position: the value at fault.
        (
            "geojson/geojsonhint-bad/stringcoord.geojson",
            "geojson/bad-position",
        ),
        (
            "geojson/geojsonhint-bad/point-toofew.geojson",
            "geojson/position-too-short",
        ),
        (
            "geojson/geojsonhint-bad/point-labeled-as-a-multipolygon.geojson",
            "geojson/bad-position",
        ),
        (
            "geojson/geojsonhint-bad/unknowntype.geojson",
            "the type FooBar is not a GeoJSON type",
        ),
    ];
    for (file, code) in cases {
        let bytes = fs::read(testdata(file)).expect("read fixture");
        let codes: Vec<&str> = match geonorm::read(
            &bytes[..],
            &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
        )
        .map(geonorm::Parsed::into_parts)
        {
            Ok((_, diags)) => diags.iter().map(|d| d.code.as_str()).collect(),
            Err(e) => vec![Box::leak(e.to_string().into_boxed_str())],
        };
        assert!(
            codes.contains(&code),
            "{file}: expected {code}, got {codes:?}"
        );
    }
}

#[test]
fn malformed_json_reports_line_and_column() {
    // The member after "type" lacks its comma: the error is at `"coordinates"`.
    let bytes = fs::read(testdata("geojson/geojsonhint-bad/bad-json.geojson")).expect("read");
    match geonorm::read(
        &bytes[..],
        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
    )
    .map(geonorm::Parsed::into_parts)
    {
        Err(Error::Syntax {
            line,
            column,
            offset,
            ..
        }) => {
            assert_eq!((line, column), (3, 5));
            assert!(bytes[offset..].starts_with(b"\"coordinates\""));
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    // Inside a feature, several lines into the file.
    let text = "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\n\"geometry\":null,\n  \"properties\":{\"a\":1,,}}]}";
    match geonorm::read(
        text.as_bytes(),
        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
    )
    .map(geonorm::Parsed::into_parts)
    {
        Err(Error::Syntax { line, column, .. }) => assert_eq!((line, column), (4, 23)),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn maphub_file_round_trips_byte_for_byte() {
    let bytes = fs::read(testdata("geojson/maphub/alps-trip.geojson")).expect("read");
    let (out, diags) = round_trip(&bytes, &WriteOptions::default());
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&bytes)
    );
}

#[test]
fn maphub_file_reads_into_the_model() {
    let bytes = fs::read(testdata("geojson/maphub/alps-trip.geojson")).expect("read");
    let (doc, _) = geonorm::read(
        &bytes[..],
        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("readable");
    assert_eq!(doc.features.len(), 6);
    assert_eq!(doc.groups.len(), 4);
    let zermatt = GroupId::new(3).expect("nonzero");
    let path = doc.group_path(zermatt).expect("declared");
    assert_eq!(
        path.split(GROUP_PATH_SEPARATOR).collect::<Vec<_>>(),
        ["Alps", "Switzerland", "Zermatt"]
    );

    let peak = &doc.features[0];
    assert_eq!(peak.group, Some(zermatt));
    assert_eq!(peak.style.marker_symbol.as_deref(), Some("summit"));
    let Some(Geometry::Point(p)) = &peak.geometry else {
        panic!("point")
    };
    assert_eq!(p.z, Some(4478.0));
    assert_eq!(peak.properties.keys().collect::<Vec<_>>(), ["url", "image"]);

    let run = &doc.features[1];
    let Some(Geometry::LineString(line)) = &run.geometry else {
        panic!("line")
    };
    let Some(ColumnValues::Numbers(heart)) = line.column("heart").map(|c| &c.values) else {
        panic!("heart")
    };
    assert_eq!(heart.len(), line.len());
    assert_eq!(heart[3], None);
    assert_eq!(line.get(3).and_then(|p| p.z), Some(1802.25));

    let hike = &doc.features[2];
    let Some(Geometry::MultiLineString(days)) = &hike.geometry else {
        panic!("multiline")
    };
    assert!(days
        .iter()
        .all(|d| d.column("times").is_some() && d.column("cad").is_some()));

    assert_eq!(
        doc.features[5].extra.get("source"),
        Some(&Value::from("field survey"))
    );
    assert_eq!(
        doc.meta.extra.keys().collect::<Vec<_>>(),
        ["properties", "markers"]
    );
}

#[test]
fn precision_rounds_coordinates_only() {
    let bytes = fs::read(testdata("geojson/maphub/alps-trip.geojson")).expect("read");
    let opts = WriteOptions {
        precision: Some(2),
        ..WriteOptions::default()
    };
    let (out, _) = round_trip(&bytes, &opts);
    let v: Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(
        v["features"][0]["geometry"]["coordinates"],
        serde_json::json!([7.66, 45.98, 4478])
    );
    assert_eq!(
        v["features"][3]["properties"]["area_km2"],
        serde_json::json!(580.03)
    );
    assert_eq!(
        v["features"][1]["properties"]["stroke-opacity"],
        serde_json::json!(0.8)
    );
}

#[test]
fn a_large_real_file_keeps_every_feature_and_vertex() {
    let bytes = fs::read(testdata("geojson/georust-countries.geojson")).expect("read");
    let (doc, diags) = geonorm::read(
        &bytes[..],
        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("readable");
    assert!(diags.is_empty(), "{diags:?}");
    let before: Value = serde_json::from_slice(&bytes).expect("json");
    let features = before["features"].as_array().expect("features");
    assert_eq!(doc.features.len(), features.len());
    let mut out = Vec::new();
    geojson::write(&doc, &mut out, &WriteOptions::default()).expect("write");
    let after: Value = serde_json::from_slice(&out).expect("json");
    assert!(same_json(&before, &after));
}

/// Inputs that once crashed or blew up a reader (found by review and fuzzing), kept so
/// they stay fixed: each must read, or fail cleanly, with bounded groups.
#[test]
fn fuzz_regressions_read_without_a_panic() {
    let mut n = 0;
    for path in files_in("fuzz-regressions", &[], 8) {
        let bytes = fs::read(&path).expect("read");
        let format =
            geonorm::Format::detect(&bytes, Some(&path)).unwrap_or(geonorm::Format::GeoJson);
        if let Ok((doc, _)) = geonorm::read(&bytes[..], &geonorm::ReadOptions::format(format))
            .map(geonorm::Parsed::into_parts)
        {
            assert!(
                doc.groups.len() <= 64,
                "{}: {} groups",
                path.display(),
                doc.groups.len()
            );
            let mut out = Vec::new();
            geonorm::write(
                &doc,
                geonorm::Format::GeoJson,
                &mut out,
                &Default::default(),
            )
            .expect("writes");
            assert!(
                out.len() < 4 * bytes.len() + 1024,
                "{}: output grew to {} bytes",
                path.display(),
                out.len()
            );
        }
        n += 1;
    }
    assert!(n >= 3);
}

#[test]
fn streaming_convert_matches_read_then_write_on_any_thread_count() {
    for f in [
        "geojson/maphub/alps-trip.geojson",
        "geojson/georust-countries.geojson",
        "geojson/crafted/messy.geojson",
    ] {
        let bytes = fs::read(testdata(f)).expect("read");
        let (doc, _) = geonorm::read(
            &bytes[..],
            &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
        )
        .map(geonorm::Parsed::into_parts)
        .expect("reads");
        let mut want = Vec::new();
        geojson::write(&doc, &mut want, &WriteOptions::default()).expect("writes");
        for threads in [1, 2, 4] {
            let mut got = Vec::new();
            let mut opts = geonorm::ConvertOptions::to(geonorm::Format::GeoJson);
            opts.check.read.threads = threads;
            let done = geonorm::convert(bytes[..].into(), &mut got, &opts).expect("converts");
            assert!(done.complete, "{f}: read to its end");
            assert!(
                got == want,
                "{f} with {threads} threads differs from read + write"
            );
        }
    }
}
