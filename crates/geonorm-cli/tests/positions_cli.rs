//! Positions point at the user's file: a UTF-8 byte order mark is counted and is no
//! column, and a UTF-16 or Latin-1 file is shown with its own lines and columns (and
//! a readable code frame), in `check` (human and JSON) and `convert`. Each case breaks
//! a sample file at a known place (a real file; for Latin-1 a crafted one, as no public
//! test suite found holds a Latin-1 file with bytes above 0x7F); the expected line and
//! column are counted here from the text, not by geonorm.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn run(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(args)
        .output()
        .expect("run geonorm");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `text` with the first `from` replaced by `to`, and the 1-based line and column (in
/// characters) where `to` starts.
fn break_at(text: &str, from: &str, to: &str) -> (String, usize, usize) {
    let at = text.find(from).expect("the text to break");
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (text.replacen(from, to, 1), line, col)
}

fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("geonorm-positions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

/// Checks human and JSON `check` output and `convert`'s one-line report for a file
/// whose first finding with `code` is at `line`:`col`, with `shown` in the code frame.
fn assert_place(path: &Path, code: &str, line: usize, col: usize, shown: &str) {
    let p = path.to_str().expect("utf-8 path");
    let (human, _) = run(&["check", p]);
    let head = format!("{p}:{line}:{col}: error[{code}]");
    assert!(human.contains(&head), "{head} in\n{human}");
    let frame = format!("{line} | ");
    let frame_line = human
        .lines()
        .find(|l| l.starts_with(&frame))
        .unwrap_or_else(|| panic!("code frame in\n{human}"));
    assert!(frame_line.contains(shown), "{shown} in {frame_line}");
    assert!(
        !frame_line.contains("\\u{0}"),
        "UTF-16 shown raw: {frame_line}"
    );

    assert_eq!(
        place_of(path, code),
        Some((line as u64, col as u64)),
        "{code} in {p}"
    );

    let out = path.with_extension("out.geojson");
    let (_, stderr) = run(&["convert", p, "-o", out.to_str().expect("utf-8")]);
    assert!(
        stderr.contains(&format!("{p}:{line}:{col}: error")),
        "{stderr}"
    );
}

#[test]
fn utf16_kml_keeps_its_lines_and_columns() {
    let real = std::fs::read_to_string(root().join("testdata/corpus/gpsbabel/kml-points.kml"))
        .expect("sample");
    let (text, line, col) = break_at(&real, "</Placemark>", "</Document>");
    for le in [true, false] {
        let mut bytes = if le {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        };
        for u in text.encode_utf16() {
            bytes.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        let path = scratch(if le { "le.kml" } else { "be.kml" }, &bytes);
        assert_place(&path, "xml/syntax", line, col, "</Document>");
    }
}

#[test]
fn latin1_gpx_keeps_its_lines_and_columns() {
    let path = root().join("testdata/gpx/crafted/latin1-zurich.gpx");
    let real = std::fs::read(&path).expect("sample");
    // Really Latin-1: bytes above 0x7F (ü, ß, é, ·) that are no UTF-8.
    assert_eq!(real.iter().filter(|&&b| b > 0x7F).count(), 17);
    assert!(std::str::from_utf8(&real).is_err());
    // Latin-1 is one byte a character: the file's text is its bytes as chars.
    let text: String = real.iter().map(|&b| char::from(b)).collect();

    // Decoded right: every name and description as written.
    let p = path.to_str().expect("utf-8 path");
    let (json, _) = run(&["convert", p]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("geojson");
    let props = |key: &str| -> Vec<Option<&str>> {
        v["features"]
            .as_array()
            .expect("features")
            .iter()
            .map(|f| f["properties"][key].as_str())
            .collect()
    };
    assert_eq!(
        props("title"),
        [
            Some("Café Müller"),
            Some("Straße am Bürkliplatz"),
            Some("Zürich HB"),
            Some("Über die Quaibrücke")
        ]
    );
    assert_eq!(
        props("description"),
        [
            Some("Frühstück ab 7 Uhr, Straße zum Römerhof"),
            None,
            Some("Größter Bahnhof der Schweiz · Gleis 3"),
            None
        ]
    );

    // A finding of the file as it is, after `ß` and `ü` on its line: its column counts
    // characters (docs/diagnostics.md: "in characters"), not UTF-8 bytes (2 more).
    let (_, line, col) = break_at(&text, "<time>gestern", "<time>gestern");
    assert_eq!((line, col), (5, 71));
    let (report, _) = run(&["check", "--format", "json", p]);
    let r: serde_json::Value = serde_json::from_str(&report).expect("json");
    let d = &r["files"][0]["diagnostics"];
    assert_eq!(d.as_array().map(Vec::len), Some(1), "{report}");
    assert_eq!(
        (
            d[0]["code"].as_str(),
            d[0]["line"].as_u64(),
            d[0]["column"].as_u64()
        ),
        (Some("gpx/bad-time"), Some(5), Some(71)),
        "{report}"
    );

    // Broken after `ü` (line 3), in human and JSON check and in convert.
    let (text, line, col) = break_at(&text, "</name>", "</nam>");
    assert!(text
        .lines()
        .nth(line - 1)
        .expect("line")
        .contains("Zürich</nam>"));
    let bytes: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).expect("latin-1"))
        .collect();
    let path = scratch("latin1.gpx", &bytes);
    assert_place(&path, "xml/syntax", line, col, "</nam>");
}

#[test]
fn a_utf8_byte_order_mark_is_counted_and_no_column() {
    let kml = std::fs::read_to_string(root().join("testdata/corpus/gpsbabel/kml-points.kml"))
        .expect("sample");
    let (kml, line, col) = break_at(&kml, "</Placemark>", "</Document>");
    let path = scratch("bom.kml", format!("\u{FEFF}{kml}").as_bytes());
    assert_place(&path, "xml/syntax", line, col, "</Document>");

    let gpx = std::fs::read(root().join("testdata/gpx/gpsbabel/basecamp.gpx")).expect("sample");
    let gpx = String::from_utf8(gpx).expect("utf-8");
    let body = gpx.strip_prefix('\u{FEFF}').expect("the sample has a BOM");
    let (body, line, col) = break_at(body, "</name>", "</nam>");
    let path = scratch("bom.gpx", format!("\u{FEFF}{body}").as_bytes());
    assert_place(&path, "xml/syntax", line, col, "</nam>");

    // On the first line too: the mark is no column.
    let json = "\u{FEFF}{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[200,10]},\"properties\":{}}]}";
    let (_, line, col) = break_at(json.trim_start_matches('\u{FEFF}'), "[200", "[200");
    let path = scratch("bom.geojson", json.as_bytes());
    let p = path.to_str().expect("utf-8 path");
    let (human, _) = run(&["check", p]);
    let head = format!("{p}:{line}:{col}: error[geometry/lon-out-of-range]");
    assert!(human.contains(&head), "{head} in\n{human}");
}

/// The first finding with `code` in `check --format json` of `path`: (line, column).
fn place_of(path: &Path, code: &str) -> Option<(u64, u64)> {
    let (json, _) = run(&["check", "--format", "json", path.to_str().expect("utf-8")]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    v["files"][0]["diagnostics"]
        .as_array()?
        .iter()
        .find(|d| d["code"] == code)
        .map(|d| {
            (
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
            )
        })
}

/// Issue 25: a geometry finding in KML or GPX points at the coordinate tuple or the
/// track point it is about, as GeoJSON's point at the position, not at the Placemark
/// or track that holds it; `check` and `convert` agree.
#[test]
fn geometry_findings_in_kml_and_gpx_point_at_the_position() {
    // A real KML's Point, its latitude pushed out of range.
    let kml = std::fs::read_to_string(root().join("testdata/corpus/gpsbabel/kml-points.kml"))
        .expect("sample");
    let (text, line, col) = break_at(&kml, "-86.679550,36.090683", "-86.679550,136.090683");
    let path = scratch("lat.kml", text.as_bytes());
    assert_place(
        &path,
        "geometry/lat-out-of-range",
        line,
        col,
        "-86.679550,136.090683",
    );

    // A real GPX track point, likewise: the finding is at its `<trkpt`.
    let gpx = std::fs::read(root().join("testdata/gpx/gpsbabel/basecamp.gpx")).expect("sample");
    let gpx = String::from_utf8(gpx).expect("utf-8");
    let from = r#"<trkpt lat="40.00396728515625""#;
    let (text, line, col) = break_at(&gpx, from, r#"<trkpt lat="95.00396728515625""#);
    let path = scratch("lat.gpx", text.as_bytes());
    assert_place(
        &path,
        "geometry/lat-out-of-range",
        line,
        col,
        "95.00396728515625",
    );

    // A real KML track that repeats positions: the first repeat, counted here from the
    // text (each tuple on a line of its own in this file).
    let path = root().join("testdata/corpus/gpsbabel/GPSData000001-A810-Doriel.kml");
    let text = std::fs::read_to_string(&path).expect("sample");
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == "<coordinates>")
        .expect("coordinates");
    let repeat = (start + 2..lines.len())
        .find(|&i| lines[i].trim() == lines[i - 1].trim() && !lines[i].trim().is_empty())
        .expect("a repeated position");
    assert_eq!(
        place_of(&path, "geometry/repeated-position"),
        Some((repeat as u64 + 1, 1))
    );
}
