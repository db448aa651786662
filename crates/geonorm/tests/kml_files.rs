//! KML and KMZ from other projects (see testdata/NOTICE.md), and round trips through KML.

use std::fs;
use std::path::Path;

use geonorm::{Code, Diagnostic, Document, Error, Feature, Format, Severity};
use serde_json::Value;

mod common;
use common::{files_under, testdata};

const KML_FILES: [&str; 3] = ["kml", "kmz", "xml"];

fn read_path(p: &Path) -> geonorm::Result<(Document, Vec<Diagnostic>)> {
    let bytes = fs::read(p).expect("read");
    let format = Format::detect(&bytes, Some(p)).unwrap_or(Format::Kml);
    geonorm::read(&bytes[..], &geonorm::ReadOptions::format(format))
        .map(geonorm::Parsed::into_parts)
}

/// Files under testdata/kml/ that do not read, each with why. Any other file that
/// fails to read fails the test, and each listed one must still fail.
const UNREADABLE: [(&str, &str); 1] = [(
    "ets-kml22/atom-feed.xml",
    "an Atom feed, which the OGC suite uses to check that a reader refuses what is not KML",
)];

/// The least number of KML, KMZ and `.xml` files under testdata/kml/ (102 when this
/// was written; a floor, so that adding a file does not need this changed).
const KML_FILES_AT_LEAST: usize = 102;

#[test]
fn every_kml_and_kmz_file_reads_without_a_panic() {
    let files = files_under("kml", &KML_FILES, KML_FILES_AT_LEAST);
    let mut read = 0;
    let mut refused = Vec::new();
    for p in &files {
        match read_path(p) {
            Ok((doc, _)) => {
                read += 1;
                // Whatever was read can be written as KML and GeoJSON and read again.
                for format in [Format::Kml, Format::GeoJson] {
                    let mut out = Vec::new();
                    geonorm::write(&doc, format, &mut out, &Default::default()).expect("writes");
                    let (again, _) = geonorm::read(&out[..], &geonorm::ReadOptions::format(format))
                        .map(geonorm::Parsed::into_parts)
                        .unwrap_or_else(|e| {
                            panic!("{}: {format} output unreadable: {e}", p.display())
                        });
                    assert_eq!(again.features.len(), doc.features.len(), "{}", p.display());
                }
            }
            Err(e @ (Error::NotFormat { .. } | Error::Syntax { .. })) => {
                let rel = p
                    .strip_prefix(testdata("kml"))
                    .map(|r| r.to_string_lossy().into_owned())
                    .unwrap_or_default();
                refused.push(format!("{rel}: {e}"));
            }
            Err(e) => panic!("{}: {e:?}", p.display()),
        }
    }
    let listed: Vec<&str> = UNREADABLE.iter().map(|(f, _)| *f).collect();
    let got: Vec<&str> = refused
        .iter()
        .map(|r| r.split(": ").next().unwrap_or_default())
        .collect();
    assert_eq!(got, listed, "files that do not read: {refused:#?}");
    assert!(files.len() >= KML_FILES_AT_LEAST, "{} files", files.len());
    // Every file read but the listed ones.
    assert_eq!(read, files.len() - UNREADABLE.len());
}

#[test]
fn ogc_files_marked_valid_read_without_an_error() {
    let tsv =
        fs::read_to_string(testdata("kml/ogc-conformance/expected-results.tsv")).expect("tsv");
    let mut checked = 0;
    for line in tsv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("fixture_path"))
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(&"valid")) = (cols.first(), cols.get(1)) else {
            continue;
        };
        let Some(rel) = path.strip_prefix("cleder__fastkml/tests/ogc_conformance/data/") else {
            continue;
        };
        let p = testdata("kml/ogc-conformance").join(rel);
        let (_, diags) = read_path(&p).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let errors: Vec<_> = diags
            .iter()
            .filter(|d| d.severity >= Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{rel}: {errors:?}");
        checked += 1;
    }
    // The 20 rows of expected-results.tsv whose verdict is "valid".
    assert_eq!(checked, 20);
}

#[test]
fn an_atom_feed_is_not_kml() {
    let err = read_path(&testdata("kml/ets-kml22/atom-feed.xml")).expect_err("not KML");
    assert!(
        matches!(
            err,
            Error::NotFormat {
                format: Format::Kml,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn kmz_files_read_their_main_kml() {
    let (doc, _) = read_path(&testdata("kml/openlayers/iceland.kmz")).expect("kmz");
    assert_eq!(doc.features.len(), 83);
    assert_eq!(doc.meta.source_format, Some(Format::Kmz));
    // georust's KMZ holds a single entry that is not doc.kml.
    let (doc, _) = read_path(&testdata("kml/georust/polygon.kmz")).expect("kmz");
    assert_eq!(doc.features.len(), 1);
}

/// Features by group path, in order: KML keeps the order of placemarks within a
/// folder, and writes a folder's placemarks before its subfolders.
fn by_path(doc: &Document) -> Vec<(String, Vec<&Feature>)> {
    let mut out: Vec<(String, Vec<&Feature>)> = Vec::new();
    for f in &doc.features {
        let path = f.group.and_then(|g| doc.group_path(g)).unwrap_or_default();
        match out.iter_mut().find(|(p, _)| *p == path) {
            Some((_, v)) => v.push(f),
            None => out.push((path, vec![f])),
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn same_feature(a: &Feature, b: &Feature) -> bool {
    a.geometry == b.geometry
        && a.title == b.title
        && a.description == b.description
        && a.style == b.style
        && a.time == b.time
        && a.properties == b.properties
}

#[test]
fn kml_to_model_to_kml_to_model_is_equal() {
    let mut files = files_under("kml/togeojson", &KML_FILES, 30);
    files.extend(files_under("kml/georust", &KML_FILES, 4));
    files.extend(files_under("kml/fastkml", &KML_FILES, 3));
    for p in files {
        // None of these files is on UNREADABLE: each must read.
        let (first, _) = read_path(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let mut kml = Vec::new();
        geonorm::kml::write(&first, &mut kml, &Default::default()).expect("writes");
        let (second, _) = geonorm::read(
            &kml[..],
            &geonorm::ReadOptions::format(geonorm::Format::Kml),
        )
        .map(geonorm::Parsed::into_parts)
        .expect("reads back");
        let (a, b) = (by_path(&first), by_path(&second));
        assert_eq!(a.len(), b.len(), "{}: groups", p.display());
        for ((pa, fa), (pb, fb)) in a.iter().zip(&b) {
            assert_eq!(pa, pb, "{}", p.display());
            assert_eq!(fa.len(), fb.len(), "{}: {pa}", p.display());
            for (x, y) in fa.iter().zip(fb) {
                assert!(
                    same_feature(x, y),
                    "{}: {pa}\n  first:  {x:?}\n  second: {y:?}",
                    p.display()
                );
            }
        }
        assert_eq!(first.meta.name, second.meta.name, "{}", p.display());
    }
}

#[test]
fn geojson_to_kml_to_geojson_keeps_what_kml_holds() {
    let bytes = fs::read(testdata("geojson/maphub/alps-trip.geojson")).expect("fixture");
    let (original, _) = geonorm::read(
        &bytes[..],
        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("reads");
    let mut kml = Vec::new();
    let lost = geonorm::kml::write(&original, &mut kml, &Default::default()).expect("writes");
    let (back, diags) = geonorm::read(
        &kml[..],
        &geonorm::ReadOptions::format(geonorm::Format::Kml),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("reads back");
    assert!(
        diags.iter().all(|d| d.severity < Severity::Warning),
        "{diags:?}"
    );
    let lost_text: Vec<&str> = lost.iter().map(|d| d.message.as_str()).collect();
    // What KML cannot hold was reported, each by name.
    for what in [
        "`image`",
        "`tags`",
        "\"source\"",
        "`markers`",
        "`properties`",
        "per-vertex `times`",
        "per-vertex `heart`",
    ] {
        assert!(
            lost_text.iter().any(|m| m.contains(what)),
            "{what} not reported: {lost_text:#?}"
        );
    }
    assert!(lost.iter().all(|d| d.code == Code::WriteNotRepresentable));

    assert_eq!(back.features.len(), original.features.len());
    let paths = |d: &Document| -> Vec<String> {
        let mut v: Vec<String> = d.groups.iter().filter_map(|g| d.group_path(g.id)).collect();
        v.sort();
        v
    };
    assert_eq!(paths(&back), paths(&original));
    for a in &original.features {
        // KML writes each folder's placemarks together: match by title (unique here).
        let b = back
            .features
            .iter()
            .find(|b| b.title == a.title)
            .expect("feature kept");
        assert_eq!(a.description, b.description);
        assert_eq!(a.style, b.style, "{:?}", a.title);
        assert_eq!(a.time, b.time);
        assert_eq!(
            a.group.and_then(|g| original.group_path(g)),
            b.group.and_then(|g| back.group_path(g))
        );
        for (k, v) in &a.properties {
            match k.as_str() {
                // Objects and arrays come back as their JSON text (reported above).
                "image" | "tags" => {
                    assert_eq!(b.properties.get(k), Some(&Value::String(v.to_string())))
                }
                _ => assert_eq!(b.properties.get(k), Some(v), "{k}"),
            }
        }
        // Geometry comes back whole, but a line whose times have a gap loses its
        // per-vertex values (reported above).
        let strip = |g: &Option<geonorm::Geometry>| {
            g.clone().map(|g| match g {
                geonorm::Geometry::LineString(mut c) => {
                    c.take_columns();
                    geonorm::Geometry::LineString(c)
                }
                other => other,
            })
        };
        assert_eq!(strip(&a.geometry), strip(&b.geometry), "{:?}", a.title);
    }
    // The multi-day hike kept its per-vertex times and cadence as a gx:MultiTrack.
    let hike = |d: &Document| {
        d.features
            .iter()
            .find(|f| f.title.as_deref() == Some("Two-day hike"))
            .and_then(|f| f.geometry.clone())
    };
    assert!(hike(&original).is_some());
    assert_eq!(hike(&original), hike(&back));
}
