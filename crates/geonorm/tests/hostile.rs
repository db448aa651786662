//! Hostile input: each ends in a clear error or a diagnostic, never a panic, a hang or
//! memory that grows without bound. Each case asserts its outcome: the error (which
//! kind, message and position) or what is read (features, values, diagnostics with
//! their code and span). (Peak memory is measured on the CLI, see the README.)

use std::io::{Cursor, Write};
use std::path::Path;

use geonorm::{Error, Format, Geometry};

mod common;
use common::testdata;

/// Reads `bytes` as `format` and gives the number of features read.
fn survives(format: Format, bytes: &[u8]) -> geonorm::Result<usize> {
    geonorm::read(bytes, &geonorm::ReadOptions::format(format))
        .map(geonorm::Parsed::into_parts)
        .map(|(doc, _)| doc.features.len())
}

/// Reads `bytes` as `format`, which must succeed: the document and each diagnostic
/// as `(code, span start, span end)`.
fn read_ok(format: Format, bytes: &[u8]) -> (geonorm::Document, Vec<(&'static str, usize, usize)>) {
    let (doc, diags) = geonorm::read(bytes, &geonorm::ReadOptions::format(format))
        .map(geonorm::Parsed::into_parts)
        .unwrap_or_else(|e| panic!("reads: {e}"));
    (doc, places(&diags))
}

/// Each diagnostic as `(code, span start, span end)`; no span is `(code, MAX, MAX)`.
fn places(diags: &[geonorm::Diagnostic]) -> Vec<(&'static str, usize, usize)> {
    diags
        .iter()
        .map(|d| {
            let s = d
                .span
                .map_or((usize::MAX, usize::MAX), |s| (s.start, s.end));
            (d.code.as_str(), s.0, s.1)
        })
        .collect()
}

/// The syntax error reading `bytes` as `format` must end in: `(message, offset, line,
/// column)`.
fn syntax_error(format: Format, bytes: &[u8]) -> (String, usize, usize, usize) {
    match geonorm::read(bytes, &geonorm::ReadOptions::format(format))
        .map(geonorm::Parsed::into_parts)
    {
        Err(Error::Syntax {
            message,
            offset,
            line,
            column,
        }) => (message, offset, line, column),
        other => panic!(
            "a syntax error, not {:?}",
            other.map(|(d, _)| d.features.len())
        ),
    }
}

/// The message of the `NotFormat` error reading `bytes` as `format` must end in.
fn not_format(format: Format, bytes: &[u8]) -> String {
    match geonorm::read(bytes, &geonorm::ReadOptions::format(format))
        .map(geonorm::Parsed::into_parts)
    {
        Err(Error::NotFormat { format: f, message }) if f == format => message,
        other => panic!(
            "not a {format} file, not {:?}",
            other.map(|(d, _)| d.features.len())
        ),
    }
}

/// `check`'s findings on `bytes` (read as `format`, or detected when `None`).
fn check(bytes: &[u8], format: Option<Format>) -> Vec<(&'static str, usize, usize)> {
    let opts = geonorm::validate::CheckOptions::new(Default::default(), format);
    let report = geonorm::check(bytes.into(), &opts).expect("read from memory");
    places(&report.diagnostics)
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
    // GeoJSON collections and arrays: refused past 128 levels, at the level that is
    // one too deep, by `read` and by `check` alike.
    let gc = format!(
        r#"{{"type":"Feature","properties":{{}},"geometry":{}{{"type":"Point","coordinates":[1,2]}}{}}}"#,
        r#"{"type":"GeometryCollection","geometries":["#.repeat(n),
        "]}".repeat(n)
    );
    let arrays = format!(
        r#"{{"type":"Point","coordinates":{}1{}}}"#,
        "[".repeat(n),
        "]".repeat(n)
    );
    let props = format!(
        r#"{{"type":"Feature","geometry":null,"properties":{{"a":{}1{}}}}}"#,
        "[".repeat(n),
        "]".repeat(n)
    );
    // The depth of the bracket at each `[` or `{` (the root object is depth 1). No
    // strings here hold brackets.
    let depth_at = |text: &str, at: usize| {
        let mut depth = 0;
        for (i, c) in text.char_indices() {
            match c {
                '[' | '{' => depth += 1,
                ']' | '}' => depth -= 1,
                _ => {}
            }
            if i == at {
                return (c, depth);
            }
        }
        (' ', 0)
    };
    // serde_json stops at the bracket that passes its limit of 128 (which bracket
    // depends on how the value is read: as a geometry collection or a plain array).
    for (text, at) in [(&gc, 2796), (&arrays, 156), (&props, 177)] {
        let (message, offset, line, column) = syntax_error(Format::GeoJson, text.as_bytes());
        assert_eq!(message, "nested more than 128 levels deep: not read");
        assert_eq!((offset, line, column), (at, 1, at + 1));
        let (c, depth) = depth_at(text, at);
        assert!(
            matches!(c, '[' | '{') && (128..=129).contains(&depth),
            "{c} {depth}"
        );
        assert_eq!(check(text.as_bytes(), None), [("json/syntax", at, at + 1)]);
    }
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
    // Every truncation of a KMZ is refused as unreadable: no partial document.
    let good = zip(&[("doc.kml", kml)]);
    for cut in 0..good.len() {
        match geonorm::read(&good[..cut], &geonorm::ReadOptions::format(Format::Kmz))
            .map(geonorm::Parsed::into_parts)
        {
            Err(Error::NotFormat { format, .. }) => assert_eq!(format, Format::Kmz),
            other => panic!("cut {cut}: {:?}", other.map(|(d, _)| d.features.len())),
        }
    }
    assert_eq!(survives(Format::Kmz, &good).expect("reads"), 1);
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
    let report = geonorm::check(json.as_bytes().into(), &opts).expect("read from memory");
    assert!(!report.has_errors(), "{:?}", report.diagnostics.first());
}

#[test]
fn odd_numbers_end_in_an_error_or_a_diagnostic() {
    let json = |text: &str| text.as_bytes().to_vec();
    // A number too large for a double: a syntax error at the number's last digit (where
    // serde_json stops reading it), by `read` and by `check`.
    let big = json(r#"{"type":"Point","coordinates":[1e400,2]}"#);
    let (message, offset, line, column) = syntax_error(Format::GeoJson, &big);
    assert_eq!(message, "a number too large to be read");
    assert_eq!(&big[31..36], b"1e400");
    assert_eq!((offset, line, column), (35, 1, 36));
    assert_eq!(check(&big, None), [("json/syntax", 35, 36)]);
    // NaN is no JSON: a value is missing where it starts.
    let nan = json(r#"{"type":"Point","coordinates":[NaN,2]}"#);
    let (message, offset, line, column) = syntax_error(Format::GeoJson, &nan);
    assert_eq!(
        message,
        "a value is missing here (a string, number, object, array, `true`, `false` or `null`)"
    );
    assert_eq!((offset, line, column), (31, 1, 32));
    assert_eq!(check(&nan, None), [("json/syntax", 31, 32)]);
    // -0 is read as -0.0 (the sign kept), and written as `0`: the same position, in
    // the shortest text that reads back to an equal number.
    let zero = json(r#"{"type":"Point","coordinates":[-0,-0.0]}"#);
    let (doc, diags) = read_ok(Format::GeoJson, &zero);
    assert_eq!(diags, []);
    let Some(Geometry::Point(p)) = &doc.features[0].geometry else {
        panic!("{:?}", doc.features[0].geometry)
    };
    assert!(p.x == 0.0 && p.x.is_sign_negative() && p.y == 0.0 && p.y.is_sign_negative());
    let mut out = Vec::new();
    geonorm::write(&doc, Format::GeoJson, &mut out, &Default::default()).expect("writes");
    assert!(
        String::from_utf8_lossy(&out).contains(r#""coordinates":[0,0]"#),
        "{}",
        String::from_utf8_lossy(&out)
    );
    // Only that the root is no FeatureCollection, as for any bare geometry.
    assert_eq!(check(&zero, None), [("maphub/not-collection", 0, 1)]);
    // A number too small for a double is 0, as every JSON reader reads it.
    let tiny = json(r#"{"type":"Point","coordinates":[1e-400,2]}"#);
    let (doc, diags) = read_ok(Format::GeoJson, &tiny);
    assert_eq!(diags, []);
    assert_eq!(
        doc.features[0].geometry,
        Some(Geometry::Point(geonorm::Position::new(0.0, 2.0)))
    );
    assert_eq!(check(&tiny, None), [("maphub/not-collection", 0, 1)]);

    // KML: each tuple that is no finite number is dropped with an error at that tuple;
    // `-0,-0` is kept, its sign too.
    let kml = "<kml><Placemark><Point><coordinates>1e400,2 nan,inf -0,-0</coordinates></Point></Placemark></kml>";
    let (doc, diags) = geonorm::read(kml.as_bytes(), &geonorm::ReadOptions::format(Format::Kml))
        .map(geonorm::Parsed::into_parts)
        .expect("reads");
    assert_eq!(&kml[36..43], "1e400,2");
    assert_eq!(&kml[44..51], "nan,inf");
    assert_eq!(
        places(&diags),
        [
            ("kml/bad-coordinates", 36, 43),
            ("kml/bad-coordinates", 44, 51)
        ]
    );
    assert_eq!(
        diags.iter().map(|d| d.message.as_str()).collect::<Vec<_>>(),
        [
            "coordinate tuple `1e400,2` dropped: `1e400` is too large to be a coordinate",
            "coordinate tuple `nan,inf` dropped: `nan` is not a number",
        ]
    );
    let Some(Geometry::Point(p)) = &doc.features[0].geometry else {
        panic!("{:?}", doc.features[0].geometry)
    };
    assert!(p.x == 0.0 && p.x.is_sign_negative() && p.y == 0.0 && p.y.is_sign_negative());
}

#[test]
fn bytes_that_are_not_text() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    assert!(garbage[..1024].contains(&0));
    let binary = "not a map file (binary data: a NUL byte in its first bytes)";
    let not_zip = "not a zip archive starting with its first entry (no `PK\\x03\\x04` at byte 0)";
    // (format, what garbage and NULs are refused as, what empty input is refused as,
    // check's code for garbage)
    for (format, refused, empty, code) in [
        (
            Format::GeoJson,
            binary,
            "the input is empty",
            "maphub/file-type",
        ),
        (Format::Kml, binary, "no root element", "maphub/file-type"),
        (Format::Gpx, binary, "no <gpx> element", "maphub/file-type"),
        (Format::Kmz, not_zip, not_zip, "kmz/unreadable"),
    ] {
        assert_eq!(not_format(format, &garbage), refused, "{format}");
        assert_eq!(not_format(format, b"\0\0\0\0"), refused, "{format}");
        assert_eq!(not_format(format, b""), empty, "{format}");
        // The whole file is refused: a finding with no position.
        assert_eq!(
            check(&garbage, Some(format)),
            [(code, usize::MAX, usize::MAX)],
            "{format}"
        );
    }
    // GeoJSON must be UTF-8: a syntax error at the first byte that is not.
    let invalid_utf8 =
        b"{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"name\":\"\xff\xfe\"}}";
    let (message, offset, line, column) = syntax_error(Format::GeoJson, invalid_utf8);
    assert_eq!(invalid_utf8[offset], 0xFF);
    assert_eq!((offset, line, column), (56, 1, 57));
    assert!(message.starts_with("bytes that are not UTF-8"), "{message}");
    // XML in UTF-8 (by default): each bad byte is U+FFFD, the NUL dropped, both said
    // where they are; the placemark is kept.
    let kml = b"<kml><Placemark><name>\xff\xfe\0</name></Placemark></kml>";
    let (doc, diags) = read_ok(Format::Kml, kml);
    assert_eq!(
        diags,
        [("xml/invalid-utf8", 22, 23), ("xml/forbidden-char", 24, 25)]
    );
    assert_eq!(doc.features.len(), 1);
    assert_eq!(doc.features[0].title.as_deref(), Some("\u{FFFD}\u{FFFD}"));
}

#[test]
fn every_truncation_of_small_fixtures() {
    // (file, format, its root's opening, features in the whole file)
    for (file, format, root, whole) in [
        ("geojson/maphub/alps-trip.geojson", Format::GeoJson, "{", 6),
        ("kml/togeojson/inline_style.kml", Format::Kml, "<kml", 3),
        ("gpx/togeojson/run_gpxtpx.gpx", Format::Gpx, "<gpx", 1),
    ] {
        let full = std::fs::read(testdata(file)).expect("fixture");
        assert_eq!(survives(format, &full).expect("reads"), whole, "{file}");
        let bytes = &full[..full.len().min(6_000)];
        // Where the content ends: a cut past it leaves only white space off.
        let end = full.trim_ascii_end().len();
        let root_at = bytes
            .windows(root.len())
            .position(|w| w == root.as_bytes())
            .expect("root");
        let (mut read, mut refused, mut broken) = (0, 0, 0);
        for cut in 0..=bytes.len() {
            let part = &bytes[..cut];
            let findings = check(part, Some(format));
            match geonorm::read(part, &geonorm::ReadOptions::format(format))
                .map(geonorm::Parsed::into_parts)
            {
                // Only the whole content reads, with every feature.
                Ok((doc, _)) => {
                    assert!(cut >= end, "{file}: cut {cut} of {end} read");
                    assert_eq!(doc.features.len(), whole, "{file}: cut {cut}");
                    read += 1;
                }
                // Before the root's name, the input is no such file at all; `check`
                // says so of the whole file.
                Err(Error::NotFormat { format: f, .. }) => {
                    assert_eq!(f, format);
                    assert!(cut <= root_at + 1, "{file}: cut {cut} not {format}");
                    assert_eq!(findings.len(), 1, "{file}: cut {cut}: {findings:?}");
                    assert_eq!(findings[0].1, usize::MAX, "{file}: cut {cut}");
                    refused += 1;
                }
                // Anywhere else, a syntax error within the cut (at its end when the
                // text stops short), found by `check` at the same place.
                Err(Error::Syntax { offset, .. }) => {
                    assert!(cut < end && offset <= cut, "{file}: cut {cut} at {offset}");
                    let code = if format == Format::GeoJson {
                        "json/syntax"
                    } else {
                        "xml/syntax"
                    };
                    assert!(
                        findings.contains(&(code, offset, offset + 1)),
                        "{file}: cut {cut} at {offset}: {findings:?}"
                    );
                    broken += 1;
                }
                Err(e) => panic!("{file}: cut {cut}: {e}"),
            }
            // No finding points past the text.
            for f in &findings {
                assert!(f.1 == usize::MAX || f.1 <= cut, "{file}: cut {cut}: {f:?}");
            }
        }
        assert_eq!(read + refused + broken, bytes.len() + 1);
        assert!(refused >= 1 && broken > 0, "{file}");
    }
}

#[test]
fn a_file_that_is_not_what_its_name_says() {
    let kml = std::fs::read(testdata("kml/togeojson/point.kml")).expect("fixture");
    // Named .geojson, detected as KML, checked as KML with a warning about the name.
    let mut opts = geonorm::validate::CheckOptions::default();
    opts.read.name = Some(Path::new("points.geojson").to_path_buf());
    let report = geonorm::check(kml[..].into(), &opts).expect("read from memory");
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

/// Positions with a fourth number in two geometries of one collection: each geometry's
/// are said once, at its first, and folding the second's never touches the first's
/// (it once did, and panicked on an index past the end: found by fuzzing).
#[test]
fn extra_ordinates_in_two_geometries_of_a_collection_are_said_once_each() {
    let line = r#"{"type":"LineString","coordinates":[[1,2,3,4],[5,6,7,8],[9,10,11,12]]}"#;
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{}},"geometry":{{"type":"GeometryCollection","geometries":[{line},{line}]}}}}]}}"#
    );
    let opts = geonorm::validate::CheckOptions::default();
    let report = geonorm::check(text.as_bytes().into(), &opts).expect("read from memory");
    let extra: Vec<&geonorm::Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == geonorm::Code::GeojsonExtraOrdinates)
        .collect();
    assert_eq!(extra.len(), 2, "{:#?}", report.diagnostics);
    let firsts: Vec<usize> = [0, 1]
        .iter()
        .filter_map(|&k| memchr_nth(text.as_bytes(), b"[1,2,3,4]", k))
        .collect();
    for (d, at) in extra.iter().zip(&firsts) {
        assert!(
            d.message
                .starts_with("3 positions have more than 3 numbers"),
            "{}",
            d.message
        );
        assert_eq!(d.span.map(|s| s.start), Some(*at), "{d:?}");
    }
}

/// Where the `k`-th (from 0) occurrence of `needle` starts in `hay`.
fn memchr_nth(hay: &[u8], needle: &[u8], k: usize) -> Option<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .nth(k)
}

/// A KMZ whose entry fails its checksum, checked from memory: the content's fault, so
/// a finding of the report (as `check` of bytes always said it), not an I/O error.
#[test]
fn a_corrupt_archive_in_memory_is_a_finding_not_an_io_error() {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("doc.kml", stored).expect("entry");
    zip.write_all(br#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>Hut</name></Placemark></Document></kml>"#)
        .expect("write");
    let mut bytes = zip.finish().expect("zip").into_inner();
    // The stored KML's "Hut" becomes "Hat": its CRC no longer matches.
    let at = memchr_nth(&bytes, b"Hut", 0).expect("stored name");
    bytes[at + 1] = b'a';
    let opts = geonorm::validate::CheckOptions::default();
    let report = geonorm::check(bytes[..].into(), &opts).expect("a finding, not an error");
    assert_eq!(report.format, Some(Format::Kmz));
    assert!(report.has_errors(), "{:#?}", report.diagnostics);
    // From a reader it is the reader's failure, as on a file.
    let from_reader = geonorm::check(geonorm::Input::reader(&bytes[..]), &opts);
    assert!(from_reader.is_err());
}
