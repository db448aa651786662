//! GPX files from other projects (see testdata/NOTICE.md) and round trips through GPX.
//! The comparison with togeojson's expected output is in gpx_togeojson.rs.

use std::fs;
use std::path::{Path, PathBuf};

use geonorm::{
    Code, ColumnValues, Coords, Diagnostic, Document, Error, Feature, Format, Geometry, Severity,
};
use serde_json::Value;

mod common;
use common::testdata;

/// The GPX files in testdata/`sub`; at least `min`.
fn gpx_files(sub: &str, min: usize) -> Vec<PathBuf> {
    common::files_in(sub, &["gpx", "xml"], min)
}

fn read(p: &Path) -> geonorm::Result<(Document, Vec<Diagnostic>)> {
    geonorm::read(
        &fs::read(p).expect("read")[..],
        &geonorm::ReadOptions::format(geonorm::Format::Gpx),
    )
    .map(geonorm::Parsed::into_parts)
}

fn kind(f: &Feature) -> &str {
    f.properties
        .get("_gpxType")
        .and_then(Value::as_str)
        .unwrap_or("wpt")
}

/// Each part's positions as 2 or 3 numbers, with its per-vertex `times` and `heart`.
type Part = (Vec<Vec<f64>>, Option<Vec<Value>>, Option<Vec<Value>>);

/// A column with no value at all counts as no column (togeojson writes nulls for the
/// parts of a multi-line that lack one).
fn some_values(v: Option<Vec<Value>>) -> Option<Vec<Value>> {
    v.filter(|vs| vs.iter().any(|x| !x.is_null()))
}

fn column(c: &Coords, name: &str) -> Option<Vec<Value>> {
    some_values(c.column(name).map(|col| {
        match &col.values {
            ColumnValues::Texts(t) => t
                .iter()
                .map(|v| v.map_or(Value::Null, |s| Value::String(s.into())))
                .collect(),
            ColumnValues::Numbers(n) => n
                .iter()
                .map(|v| v.clone().map_or(Value::Null, Value::Number))
                .collect(),
        }
    }))
}

fn positions(c: &Coords) -> Vec<Vec<f64>> {
    c.iter()
        .map(|p| match p.z {
            Some(z) => vec![p.x, p.y, z],
            None => vec![p.x, p.y],
        })
        .collect()
}

fn our_parts(f: &Feature) -> Vec<Part> {
    match &f.geometry {
        Some(Geometry::Point(p)) => vec![(positions(&[*p].into_iter().collect()), None, None)],
        Some(Geometry::LineString(c)) => {
            vec![(positions(c), column(c, "times"), column(c, "heart"))]
        }
        Some(Geometry::MultiLineString(ls)) => ls
            .iter()
            .map(|c| (positions(c), column(c, "times"), column(c, "heart")))
            .collect(),
        other => panic!("unexpected geometry {other:?}"),
    }
}

/// The files no GPX reader can read, each with the error geonorm must give.
const UNREADABLE: [(&str, &str); 1] = [("badcharacter.xml", "not a gpx file")];

/// The GPX files under `GPX_DIRS` (at least `min` in each), with every file that
/// reads; a file that does not read fails the test unless [`UNREADABLE`] lists it with
/// the error it gives. Returns the documents and the number of files listed.
fn readable_gpx(dirs: &[(&str, usize)]) -> (Vec<(PathBuf, Document)>, usize) {
    let (mut docs, mut unreadable) = (Vec::new(), 0);
    for (dir, min) in dirs {
        for p in gpx_files(dir, *min) {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let listed = UNREADABLE.iter().find(|(f, _)| *f == name);
            match (read(&p), listed) {
                (Ok((doc, _)), None) => docs.push((p, doc)),
                (Err(e), Some((_, msg))) => {
                    assert!(e.to_string().contains(msg), "{name}: {e}");
                    unreadable += 1;
                }
                (Ok(_), Some(_)) => panic!("{name} is listed as unreadable but reads"),
                (Err(e), None) => panic!("{}: {e}", p.display()),
            }
        }
    }
    (docs, unreadable)
}

#[test]
fn every_peer_gpx_reads_without_an_error_but_the_broken_ones() {
    // Deliberately broken files, and what each must say.
    let broken: [(&str, &str); 2] = [
        ("bad.gpx", "gpx/missing-lat-lon"),
        ("badcharacter.xml", "not a gpx file"),
    ];
    let mut read_ok = 0;
    for (dir, min) in GPX_DIRS {
        for p in gpx_files(dir, min) {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let expect_broken = broken.iter().find(|(f, _)| *f == name);
            match (read(&p), expect_broken) {
                (Ok((doc, diags)), None) => {
                    let errors: Vec<_> = diags
                        .iter()
                        .filter(|d| d.severity >= Severity::Error)
                        .collect();
                    assert!(errors.is_empty(), "{name}: {errors:?}");
                    // Whatever was read writes as GPX and GeoJSON and reads back.
                    let mut out = Vec::new();
                    geonorm::gpx::write(&doc, &mut out, &Default::default()).expect("gpx");
                    geonorm::read(
                        &out[..],
                        &geonorm::ReadOptions::format(geonorm::Format::Gpx),
                    )
                    .map(geonorm::Parsed::into_parts)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                    read_ok += 1;
                }
                (Ok((_, diags)), Some((_, code))) => {
                    assert!(
                        diags
                            .iter()
                            .any(|d| d.code.as_str() == *code && d.span.is_some()),
                        "{name}: {diags:?}"
                    );
                }
                (Err(e), Some((_, msg))) => assert!(e.to_string().contains(msg), "{name}: {e}"),
                (Err(e), None) => panic!("{name}: {e}"),
            }
        }
    }
    // Every file but the two broken ones reads cleanly.
    assert_eq!(read_ok, READABLE - 1);
}

/// What a GPX round trip must keep: per feature, its name, kind and each part's
/// positions (with altitude), times and heart rate.
fn essentials(doc: &Document) -> Vec<(String, Option<String>, Vec<Part>)> {
    let mut v: Vec<_> = doc
        .features
        .iter()
        .filter(|f| f.geometry.is_some())
        .map(|f| (kind(f).to_string(), f.title.clone(), our_parts(f)))
        .collect();
    v.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    v
}

#[test]
fn gpx_to_model_to_gpx_and_through_geojson_keep_points_times_and_heart_rate() {
    let (docs, unreadable) = readable_gpx(&GPX_DIRS);
    assert_eq!((docs.len(), unreadable), (READABLE, UNREADABLE.len()));
    for (p, first) in docs {
        let mut gpx = Vec::new();
        geonorm::gpx::write(&first, &mut gpx, &Default::default()).expect("gpx");
        let (second, _) = geonorm::read(
            &gpx[..],
            &geonorm::ReadOptions::format(geonorm::Format::Gpx),
        )
        .map(geonorm::Parsed::into_parts)
        .expect("reads back");
        assert_eq!(
            essentials(&first),
            essentials(&second),
            "{}: GPX → GPX",
            p.display()
        );
        // Waypoint times survive too.
        let times = |d: &Document| {
            d.features
                .iter()
                .filter(|f| kind(f) == "wpt")
                .map(|f| f.time.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(times(&first), times(&second), "{}", p.display());

        let mut json = Vec::new();
        geonorm::geojson::write(&first, &mut json, &Default::default()).expect("geojson");
        let (via_json, _) = geonorm::read(
            &json[..],
            &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
        )
        .map(geonorm::Parsed::into_parts)
        .expect("geojson reads");
        let mut gpx2 = Vec::new();
        geonorm::gpx::write(&via_json, &mut gpx2, &Default::default()).expect("gpx");
        let (third, _) = geonorm::read(
            &gpx2[..],
            &geonorm::ReadOptions::format(geonorm::Format::Gpx),
        )
        .map(geonorm::Parsed::into_parts)
        .expect("reads back");
        assert_eq!(
            essentials(&first),
            essentials(&third),
            "{}: GPX → GeoJSON → GPX",
            p.display()
        );
    }
}

#[test]
fn polygons_and_groups_have_no_gpx_form_and_are_reported() {
    let (doc, _) = geonorm::read(
        &fs::read(testdata("geojson/maphub/alps-trip.geojson")).expect("read")[..],
        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("reads");
    let mut out = Vec::new();
    let lost = geonorm::gpx::write(&doc, &mut out, &Default::default()).expect("gpx");
    let text: Vec<&str> = lost.iter().map(|d| d.message.as_str()).collect();
    for what in [
        "GPX has no areas: 1 polygon written as a track along its outer ring",
        "; 1 hole dropped",
        "GPX has no groups",
        "no geometry",
        "MultiPoint is written as 2 waypoints",
    ] {
        assert!(text.iter().any(|m| m.contains(what)), "{what}: {text:#?}");
    }
    let (back, _) = geonorm::read(
        &out[..],
        &geonorm::ReadOptions::format(geonorm::Format::Gpx),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("reads back");
    // 2 waypoints from the MultiPoint, 1 point, 3 tracks (line, multi-line, polygon).
    assert_eq!(back.features.len(), 6);
    let _ = Format::Gpx;
    let _ = Error::UnsupportedRead(Format::Gpx);
}

/// How many files under [`GPX_DIRS`] read (all but [`UNREADABLE`]).
const READABLE: usize = 70;

/// The directories of GPX files, each with the least number of files it holds.
const GPX_DIRS: [(&str, usize); 6] = [
    ("gpx/togeojson", 20),
    ("gpx/georust", 10),
    ("gpx/gpxpy", 25),
    ("gpx/openlayers", 1),
    ("gpx/gpsbabel", 3),
    ("gpx/crafted", 2),
];

#[test]
fn converted_gpx_passes_check_with_no_line_shorter_than_two_positions() {
    // Before: a one-point segment became a one-position MultiLineString part, which
    // geonorm's own check calls an error (north_core.gpx, blue_hills.gpx).
    let (docs, unreadable) = readable_gpx(&GPX_DIRS);
    assert_eq!((docs.len(), unreadable), (READABLE, UNREADABLE.len()));
    for (p, doc) in docs {
        let mut json = Vec::new();
        geonorm::geojson::write(&doc, &mut json, &Default::default()).expect("geojson");
        let mut gpx = Vec::new();
        geonorm::gpx::write(&doc, &mut gpx, &Default::default()).expect("gpx");
        for (format, bytes) in [(Format::GeoJson, &json), (Format::Gpx, &gpx)] {
            let opts = geonorm::validate::CheckOptions::new(
                geonorm::validate::Profile::Rfc7946,
                Some(format),
            );
            let report = geonorm::check(bytes[..].into(), &opts).expect("read from memory");
            let short: Vec<_> = report
                .diagnostics
                .iter()
                .filter(|d| {
                    d.code == Code::GeometryShortLine
                        || d.code == Code::GeometryEmpty
                        || d.code == Code::GpxBadTime
                })
                .collect();
            assert!(short.is_empty(), "{} as {format}: {short:?}", p.display());
        }
    }
}

#[test]
fn garmin_waypoint_extensions_from_real_files_are_properties() {
    // GPSBabel's reference files: Garmin BaseCamp's categories and display mode, an
    // address and phone list, temperatures and depths.
    let (doc, diags) = read(&testdata("gpx/gpsbabel/umsonstdraussen.gpx")).expect("reads");
    assert!(
        !diags.iter().any(|d| d.code == Code::GpxIgnoredElement),
        "{diags:?}"
    );
    assert_eq!(doc.features.len(), 78);
    let first = &doc.features[0];
    assert_eq!(first.title.as_deref(), Some("Uferlos Festival"));
    for (k, v) in [
        ("gpxx_StreetAddress", "Luitpoldstrasse"),
        ("gpxx_City", "Freising"),
        ("gpxx_PostalCode", "85356"),
        ("gpxx_PhoneNumber", "+49 8161 88 49 305"),
    ] {
        assert_eq!(
            first.properties.get(k).and_then(Value::as_str),
            Some(v),
            "{k}"
        );
    }
    let phones = doc
        .features
        .iter()
        .filter(|f| f.properties.contains_key("gpxx_PhoneNumber"))
        .count();
    assert_eq!(phones, 30);
    // Every waypoint has a Garmin address, 75 of them with a street.
    let with = |key: &str| {
        doc.features
            .iter()
            .filter(|f| f.properties.contains_key(key))
            .count()
    };
    assert_eq!(with("gpxx_City"), 78);
    assert_eq!(with("gpxx_StreetAddress"), 75);

    let (doc, diags) = read(&testdata("gpx/gpsbabel/basecamp.gpx")).expect("reads");
    let skipped: Vec<&str> = diags
        .iter()
        .filter(|d| d.code == Code::GpxIgnoredElement)
        .map(|d| d.message.as_str())
        .collect();
    // Route point details and extensions (Garmin's routing hints) have no place on
    // a vertex.
    assert!(skipped.iter().all(|m| m.contains("point")), "{skipped:?}");
    let hwy = &doc.features[0];
    assert_eq!(
        hwy.properties
            .get("gpxx_DisplayMode")
            .and_then(Value::as_str),
        Some("SymbolAndName")
    );
    assert_eq!(
        hwy.properties
            .get("gpxx_Categories")
            .and_then(Value::as_str),
        Some("Unlisted Data")
    );
    let route = doc
        .features
        .iter()
        .find(|f| kind(f) == "rte")
        .expect("route");
    assert_eq!(route.style.stroke.as_deref(), Some("#ff00ff"));
    assert_eq!(
        route
            .properties
            .get("gpxx_IsAutoNamed")
            .and_then(Value::as_str),
        Some("true")
    );

    let (doc, diags) = read(&testdata("gpx/gpsbabel/extensiondata~unicsv.gpx")).expect("reads");
    // Only the names and comments of its track points are skipped.
    assert!(
        diags
            .iter()
            .all(|d| d.message.contains("of a track or route point")),
        "{diags:?}"
    );
    assert_eq!(
        doc.features[0].properties.get("gpxx_Temperature"),
        Some(&serde_json::json!(20))
    );
    assert_eq!(
        doc.features[2].properties.get("gpxx_Depth"),
        Some(&serde_json::json!(37))
    );
    let Some(Geometry::LineString(line)) = &doc.features[5].geometry else {
        panic!("track")
    };
    for col in ["atemps", "heart", "cads", "depths"] {
        assert!(line.column(col).is_some(), "{col}");
    }
}

#[test]
fn waypoints_inside_a_track_are_read() {
    let (doc, diags) = read(&testdata("gpx/crafted/wpt-inside-trk.gpx")).expect("reads");
    let titles: Vec<(&str, &str)> = doc
        .features
        .iter()
        .map(|f| (kind(f), f.title.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(titles, [("trk", "Route"), ("wpt", "Start"), ("wpt", "End")]);
    assert_eq!(
        doc.features[1].description.as_deref(),
        Some("Bismarckplatz")
    );
    assert_eq!(
        diags.iter().map(|d| d.code).collect::<Vec<_>>(),
        [Code::GpxMisplacedWaypoint]
    );
    assert!(
        diags[0].message.contains("(2 times)"),
        "{}",
        diags[0].message
    );
    // Written back where GPX wants them: before the track.
    let mut out = Vec::new();
    geonorm::gpx::write(&doc, &mut out, &Default::default()).expect("gpx");
    let (back, again) = geonorm::read(
        &out[..],
        &geonorm::ReadOptions::format(geonorm::Format::Gpx),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("reads");
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(back.features.len(), 3);
}

#[test]
fn empty_times_and_lone_points_of_a_paused_ride() {
    let path = testdata("gpx/crafted/empty-times-and-lone-points.gpx");
    let bytes = fs::read(&path).expect("read");
    let (doc, diags) = read(&path).expect("reads");
    let Some(Geometry::MultiLineString(parts)) = &doc.features[0].geometry else {
        panic!("multi-line")
    };
    assert_eq!(parts.iter().map(Coords::len).collect::<Vec<_>>(), [3, 3]);
    assert!(diags.iter().all(|d| d.severity < Severity::Error));
    let lone = diags
        .iter()
        .find(|d| d.code == Code::GpxSinglePointTrack)
        .expect("the lone point is reported");
    assert!(
        lone.message
            .contains("lat 46.003, lon 7.003, time 2024-06-01T08:05:00Z"),
        "{}",
        lone.message
    );
    let span = lone.span.expect("positioned");
    let text = String::from_utf8_lossy(&bytes[span.start..span.end]);
    assert!(
        text.contains("46.003") && !text.contains("46.004"),
        "{text}"
    );
    let empty = diags
        .iter()
        .find(|d| d.code == Code::GpxIgnoredElement)
        .expect("empty times");
    assert!(empty.message.contains("empty <time> skipped (2 times)"));
    assert_eq!(empty.severity, Severity::Info);
    // The gaps stay gaps, never "".
    assert_eq!(column(&parts[0], "times").expect("times")[2], Value::Null);
}
