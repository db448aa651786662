//! Hostile input: each ends in a clear error or a diagnostic, never a panic, a hang or
//! memory that grows without bound. (Peak memory is measured on the CLI, see the
//! README; here the inputs must merely finish, and quickly.)

use std::io::{Cursor, Write};
use std::path::Path;

use geonorm::{Error, Format};

mod common;
use common::testdata;

/// Reads `bytes` as `format`; a panic fails the test, anything else is fine.
fn survives(format: Format, bytes: &[u8]) -> geonorm::Result<usize> {
    geonorm::read(bytes, &geonorm::ReadOptions::format(format))
        .map(geonorm::Parsed::into_parts)
        .map(|(doc, _)| doc.features.len())
}

#[test]
fn billion_laughs_is_not_expanded() {
    let mut kml = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE kml [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        kml.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    kml.push_str("]>\n<kml><Placemark><name>&lol9;</name><Point><coordinates>1,2</coordinates></Point></Placemark></kml>");
    let started = std::time::Instant::now();
    let (doc, _) = geonorm::read(kml.as_bytes(), &geonorm::ReadOptions::format(Format::Kml))
        .map(geonorm::Parsed::into_parts)
        .expect("reads");
    assert_eq!(doc.features.len(), 1);
    // The entity is kept as written, never expanded to 10^9 "lol"s.
    assert!(
        doc.features[0]
            .title
            .as_deref()
            .is_some_and(|t| t.len() < 100),
        "{:?}",
        doc.features[0].title
    );
    assert!(started.elapsed().as_secs() < 5);
}

#[test]
fn external_entities_are_never_fetched() {
    let kml = r#"<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
        <kml><Placemark><name>&xxe;</name><description>x</description></Placemark></kml>"#;
    let (doc, _) = geonorm::read(kml.as_bytes(), &geonorm::ReadOptions::format(Format::Kml))
        .map(geonorm::Parsed::into_parts)
        .expect("reads");
    let title = doc.features[0].title.clone().unwrap_or_default();
    assert!(!title.contains("root:"), "{title}");
    let gpx = r#"<?xml version="1.0"?><!DOCTYPE gpx SYSTEM "http://example.invalid/gpx.dtd"><gpx><wpt lat="1" lon="2"><name>&xxe;</name></wpt></gpx>"#;
    assert_eq!(survives(Format::Gpx, gpx.as_bytes()).expect("reads"), 1);
}

#[test]
fn deep_nesting_never_overflows_the_stack() {
    let n = 100_000;
    // KML folders and multi-geometries.
    let folders = format!(
        "<kml>{}<Placemark/>{}</kml>",
        "<Folder>".repeat(n),
        "</Folder>".repeat(n)
    );
    assert!(survives(Format::Kml, folders.as_bytes()).is_ok());
    let multi = format!(
        "<kml><Placemark>{}<Point><coordinates>1,2</coordinates></Point>{}</Placemark></kml>",
        "<MultiGeometry>".repeat(n),
        "</MultiGeometry>".repeat(n)
    );
    assert!(survives(Format::Kml, multi.as_bytes()).is_ok());
    // GeoJSON collections and arrays.
    let gc = format!(
        r#"{{"type":"Feature","properties":{{}},"geometry":{}{{"type":"Point","coordinates":[1,2]}}{}}}"#,
        r#"{"type":"GeometryCollection","geometries":["#.repeat(n),
        "]}".repeat(n)
    );
    let _ = survives(Format::GeoJson, gc.as_bytes());
    let arrays = format!(
        r#"{{"type":"Point","coordinates":{}1{}}}"#,
        "[".repeat(n),
        "]".repeat(n)
    );
    let _ = survives(Format::GeoJson, arrays.as_bytes());
    let props = format!(
        r#"{{"type":"Feature","geometry":null,"properties":{{"a":{}1{}}}}}"#,
        "[".repeat(n),
        "]".repeat(n)
    );
    let _ = survives(Format::GeoJson, props.as_bytes());
    // check parses the JSON text itself too.
    let _ = geonorm::validate::check(arrays.as_bytes(), None, &Default::default());
    let _ = geonorm::validate::check(gc.as_bytes(), None, &Default::default());
    // GPX.
    let gpx = format!(
        "<gpx><wpt lat=\"1\" lon=\"2\"><extensions>{}x{}</extensions></wpt></gpx>",
        "<a>".repeat(n),
        "</a>".repeat(n)
    );
    assert!(survives(Format::Gpx, gpx.as_bytes()).is_ok());
}

fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        z.start_file(*name, opts).expect("entry");
        z.write_all(data).expect("write");
    }
    z.finish().expect("zip").into_inner()
}

#[test]
fn kmz_bombs_and_escaping_paths_are_harmless() {
    // 200 MB of spaces compress to a few hundred kilobytes: refused.
    let mut bomb = b"<kml>".to_vec();
    bomb.resize(200 << 20, b' ');
    bomb.extend_from_slice(b"</kml>");
    let bytes = zip(&[("doc.kml", &bomb)]);
    drop(bomb);
    let err = geonorm::read(&bytes[..], &geonorm::ReadOptions::format(Format::Kmz))
        .map(geonorm::Parsed::into_parts)
        .expect_err("refused");
    assert!(err.to_string().contains("zip bomb"), "{err}");
    // An entry that would escape a folder if extracted: geonorm never extracts.
    let kml = b"<kml><Placemark><Point><coordinates>1,2</coordinates></Point></Placemark></kml>";
    let bytes = zip(&[("../../escape.kml", kml)]);
    assert_eq!(survives(Format::Kmz, &bytes).expect("reads"), 1);
    assert!(!Path::new("../../escape.kml").exists());
    // Not a zip at all, and a truncated one.
    assert!(matches!(
        geonorm::read(
            &b"PK\x03\x04nonsense"[..],
            &geonorm::ReadOptions::format(Format::Kmz)
        )
        .map(geonorm::Parsed::into_parts),
        Err(Error::NotFormat { .. })
    ));
    let good = zip(&[("doc.kml", kml)]);
    for cut in 0..good.len() {
        let _ = survives(Format::Kmz, &good[..cut]);
    }
}

#[test]
fn ten_megabytes_of_coordinates_on_one_line() {
    let mut coords = String::with_capacity(11 << 20);
    let mut i = 0u64;
    while coords.len() < 10 << 20 {
        coords.push_str(&format!("{}.{},{}.{} ", i % 170, i % 997, i % 80, i % 991));
        i += 1;
    }
    let kml = format!("<kml><Placemark><LineString><coordinates>{coords}</coordinates></LineString></Placemark></kml>");
    assert_eq!(survives(Format::Kml, kml.as_bytes()).expect("reads"), 1);
    let positions: Vec<String> = coords
        .split_whitespace()
        .map(|t| format!("[{t}]"))
        .collect();
    let json = format!(
        r#"{{"type":"LineString","coordinates":[{}]}}"#,
        positions.join(",")
    );
    assert_eq!(
        survives(Format::GeoJson, json.as_bytes()).expect("reads"),
        1
    );
    let opts = geonorm::validate::CheckOptions {
        profile: geonorm::validate::Profile::Rfc7946,
        ..Default::default()
    };
    let report = geonorm::validate::check(json.as_bytes(), None, &opts);
    assert!(!report.has_errors(), "{:?}", report.diagnostics.first());
}

#[test]
fn odd_numbers_end_in_an_error_or_a_diagnostic() {
    for text in [
        r#"{"type":"Point","coordinates":[1e400,2]}"#,
        r#"{"type":"Point","coordinates":[-0,-0.0]}"#,
        r#"{"type":"Point","coordinates":[NaN,2]}"#,
        r#"{"type":"Point","coordinates":[1e-400,2]}"#,
    ] {
        let _ = survives(Format::GeoJson, text.as_bytes());
        let _ = geonorm::validate::check(text.as_bytes(), None, &Default::default());
    }
    let kml = "<kml><Placemark><Point><coordinates>1e400,2 nan,inf -0,-0</coordinates></Point></Placemark></kml>";
    let (_, diags) = geonorm::read(kml.as_bytes(), &geonorm::ReadOptions::format(Format::Kml))
        .map(geonorm::Parsed::into_parts)
        .expect("reads");
    assert!(diags
        .iter()
        .any(|d| d.code.as_str() == "kml/bad-coordinates"));
}

#[test]
fn bytes_that_are_not_text() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    for format in [Format::GeoJson, Format::Kml, Format::Gpx, Format::Kmz] {
        let _ = survives(format, &garbage);
        let _ = survives(format, b"");
        let _ = survives(format, b"\0\0\0\0");
        let _ = geonorm::validate::check(
            &garbage,
            None,
            &geonorm::validate::CheckOptions {
                format: Some(format),
                ..Default::default()
            },
        );
    }
    let invalid_utf8 =
        b"{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"name\":\"\xff\xfe\"}}";
    let _ = survives(Format::GeoJson, invalid_utf8);
    let kml = b"<kml><Placemark><name>\xff\xfe\0</name></Placemark></kml>";
    let _ = survives(Format::Kml, kml);
}

#[test]
fn every_truncation_of_small_fixtures() {
    for (file, format) in [
        ("geojson/maphub/alps-trip.geojson", Format::GeoJson),
        ("kml/togeojson/inline_style.kml", Format::Kml),
        ("gpx/togeojson/run_gpxtpx.gpx", Format::Gpx),
    ] {
        let bytes = std::fs::read(testdata(file)).expect("fixture");
        let bytes = &bytes[..bytes.len().min(6_000)];
        for cut in 0..=bytes.len() {
            let _ = survives(format, &bytes[..cut]);
            if cut % 7 == 0 {
                let _ = geonorm::validate::check(
                    &bytes[..cut],
                    None,
                    &geonorm::validate::CheckOptions {
                        format: Some(format),
                        ..Default::default()
                    },
                );
            }
        }
    }
}

#[test]
fn a_file_that_is_not_what_its_name_says() {
    let kml = std::fs::read(testdata("kml/togeojson/point.kml")).expect("fixture");
    // Named .geojson, detected as KML, checked as KML with a warning about the name.
    let report =
        geonorm::validate::check(&kml, Some(Path::new("points.geojson")), &Default::default());
    assert_eq!(report.format, Some(Format::Kml));
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.code.as_str() == "maphub/misnamed"));
    // Read as the wrong format on purpose: a clear error.
    assert!(matches!(
        geonorm::read(&kml[..], &geonorm::ReadOptions::format(Format::GeoJson))
            .map(geonorm::Parsed::into_parts),
        Err(Error::NotFormat { .. } | Error::Syntax { .. })
    ));
    assert!(matches!(
        geonorm::read(&kml[..], &geonorm::ReadOptions::format(Format::Gpx))
            .map(geonorm::Parsed::into_parts),
        Err(Error::NotFormat { .. })
    ));
}
