//! The `geonorm` binary run as a user would, on files in testdata/.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn testdata(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(sub)
}

fn geonorm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(args)
        .output()
        .expect("run geonorm")
}

fn geonorm_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn geonorm");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const MAPHUB: &str = "geojson/maphub/alps-trip.geojson";

#[test]
fn convert_keeps_a_maphub_file_exactly() {
    let input = testdata(MAPHUB);
    let out = geonorm(&["convert", input.to_str().expect("utf8 path")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(out.stdout, std::fs::read(&input).expect("read"));
    // What `check` says of it (MapHub's dialect, a ring's orientation), none an error.
    let said = text(&out.stderr);
    assert!(!said.contains(": error:"), "{said}");
    assert!(said.contains("[maphub/collection-properties]"), "{said}");
}

#[test]
fn convert_writes_to_a_file_and_reads_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("out.geojson");
    let input = std::fs::read(testdata(MAPHUB)).expect("read");
    let out = geonorm_stdin(
        &["convert", "-", "-o", target.to_str().expect("utf8")],
        &input,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read(&target).expect("output written"), input);
}

#[test]
fn convert_reports_diagnostics_with_file_line_col_and_still_writes() {
    let input = "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"properties\":{},\n\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2,3,4]}}]}";
    let out = geonorm_stdin(&["convert", "-"], input.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(
        // At the position, as `check` says it.
        err.starts_with("<stdin>:3:42: warning[geojson/extra-ordinates]: "),
        "{err}"
    );
    assert!(text(&out.stdout).contains("\"coordinates\":[1,2,3]"));
}

#[test]
fn diagnostics_as_json_lines() {
    let input = testdata("geojson/geojsonhint-bad/stringcoord.geojson");
    let out = geonorm(&["convert", "--format", "json", input.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1), "an error-level finding exits 1");
    let first = text(&out.stderr);
    let v: serde_json::Value =
        serde_json::from_str(first.lines().next().expect("a line")).expect("json line");
    // The code, sentence and position `check` gives, and what became of the feature.
    assert_eq!(v["code"], "geojson/bad-position");
    assert_eq!(v["severity"], "error");
    assert_eq!(v["line"], 9);
    assert_eq!(v["column"], 24);
    assert!(v["message"]
        .as_str()
        .is_some_and(|m| m.ends_with("; the feature is kept without geometry")));
    // The library's JSON form (`geonorm::render::json`), with the file it is in.
    assert!(v["start"].as_u64() < v["end"].as_u64());
    assert_eq!(v["entry"], serde_json::Value::Null);
    assert!(v["file"]
        .as_str()
        .is_some_and(|f| f.ends_with("stringcoord.geojson")));
}

#[test]
fn a_syntax_error_exits_1_with_its_position_and_writes_nothing() {
    let input = testdata("geojson/geojsonhint-bad/bad-json.geojson");
    let out = geonorm(&["convert", input.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("bad-json.geojson:3:5: error[json/syntax]: "),
        "{err}"
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(geonorm(&["convert"]).status.code(), Some(2));
    assert_eq!(geonorm(&["frobnicate"]).status.code(), Some(2));
    let missing = geonorm(&["info", "no/such/file.geojson"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot open no/such/file.geojson"));
}

/// Input of no format geonorm reads is what `check` says it is, a finding (exit 1), in
/// every command; how to name its format follows.
#[test]
fn an_input_of_no_known_format_is_a_finding() {
    for input in [&b""[..], b"hello"] {
        let out = geonorm_stdin(&["info", "-"], input);
        assert_eq!(out.status.code(), Some(1), "no content, no name");
        let err = text(&out.stderr);
        assert!(
            err.starts_with(
                "<stdin>: error[maphub/file-type]: this is not a KML, KMZ, GPX or GeoJSON file\n"
            ),
            "{err}"
        );
        assert!(err.contains("use --from"), "{err}");
    }
}

#[test]
fn info_reports_correct_counts_as_json() {
    let input = testdata(MAPHUB);
    let out = geonorm(&["info", "--format", "json", input.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["format"], "geojson");
    assert_eq!(v["features"], 6);
    assert_eq!(v["groups"], 4);
    assert_eq!(v["vertices"], 21);
    assert_eq!(v["without_geometry"], 1);
    assert_eq!(v["geometry"]["Point"], 1);
    assert_eq!(v["geometry"]["MultiLineString"], 1);
    assert_eq!(v["bytes"], std::fs::metadata(&input).expect("meta").len());
    assert_eq!(v["maphub"]["fits"], true);
    assert_eq!(v["bbox"], serde_json::json!([6.15, 45.9763, 7.79, 46.55]));
    assert_eq!(v["diagnostics"], serde_json::json!([]));
}

#[test]
fn info_for_people() {
    let input = testdata(MAPHUB);
    let out = geonorm(&["info", input.to_str().expect("utf8")]);
    let s = text(&out.stdout);
    assert!(s.contains("format:    geojson"), "{s}");
    assert!(s.contains("features:  6 (LineString 1, MultiLineString 1, MultiPoint 1, Point 1, Polygon 1, no geometry 1)"), "{s}");
    assert!(s.contains("fits MapHub's 15 MB upload limit"), "{s}");
}

#[test]
fn keep_root_gives_back_a_bare_geometry() {
    let out = geonorm_stdin(
        &["convert", "--keep-root", "-"],
        br#"{"type":"Point","coordinates":[1.5,2]}"#,
    );
    assert_eq!(
        text(&out.stdout),
        "{\"type\":\"Point\",\"coordinates\":[1.5,2]}\n"
    );
    let wrapped = geonorm_stdin(
        &["convert", "-"],
        br#"{"type":"Point","coordinates":[1.5,2]}"#,
    );
    assert!(text(&wrapped.stdout).starts_with("{\"type\":\"FeatureCollection\""));
}

#[test]
fn convert_to_kml_and_kmz_by_extension_and_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = testdata(MAPHUB);
    for ext in ["kml", "kmz"] {
        let target = dir.path().join(format!("trip.{ext}"));
        let out = geonorm(&[
            "convert",
            input.to_str().expect("utf8"),
            "-o",
            target.to_str().expect("utf8"),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        // What KML cannot hold is said, feature by feature or kind by kind.
        assert!(
            text(&out.stderr).contains("[write/not-representable]"),
            "{}",
            text(&out.stderr)
        );
        let info = geonorm(&["info", "--format", "json", target.to_str().expect("utf8")]);
        let v: serde_json::Value = serde_json::from_slice(&info.stdout).expect("json");
        assert_eq!(v["format"], ext);
        assert_eq!(v["features"], 6);
        assert_eq!(v["groups"], 4);
        assert_eq!(v["vertices"], 21);
    }
    let kmz = dir.path().join("trip.kmz");
    let info = geonorm(&["info", kmz.to_str().expect("utf8")]);
    assert!(
        text(&info.stdout).contains("kmz:       main doc.kml"),
        "{}",
        text(&info.stdout)
    );
}

#[test]
fn kml_diagnostics_point_at_the_line() {
    let kml = b"<kml>\n<Document>\n<Placemark>\n<LineString><coordinates>1,2 3,x</coordinates></LineString>\n</Placemark>\n<GroundOverlay/>\n</Document></kml>\n";
    let out = geonorm_stdin(
        &["convert", "--format", "short", "--to", "geojson", "-"],
        kml,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("<stdin>:4:30: error: coordinate tuple `3,x` dropped"),
        "{err}"
    );
    assert!(
        err.contains("<stdin>:6:1: warning: GroundOverlay has no place in a MapHub map"),
        "{err}"
    );
    let info = geonorm_stdin(&["info", "-"], kml);
    assert!(
        text(&info.stdout).contains("skipped:   GroundOverlay 1"),
        "{}",
        text(&info.stdout)
    );
}

#[test]
fn a_malformed_xml_file_exits_1_with_its_position() {
    let out = geonorm_stdin(
        &["convert", "--from", "kml", "-"],
        b"<kml><Document>\n<Placemark></Document></kml>",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("[xml/syntax]") && err.starts_with("<stdin>:2:"),
        "{err}"
    );
}

#[test]
fn gpx_converts_and_can_be_grouped_by_kind() {
    let input = testdata("gpx/togeojson/garmin_extensions.gpx");
    let out = geonorm(&[
        "convert",
        input.to_str().expect("utf8"),
        "--gpx-groups",
        "kind",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let titles: Vec<&str> = v["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["title"].as_str())
        .collect();
    assert_eq!(titles, ["Waypoints", "Routes", "Tracks"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("out.gpx");
    let run = testdata("gpx/togeojson/run.gpx");
    let out = geonorm(&[
        "convert",
        run.to_str().expect("utf8"),
        "-o",
        target.to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let gpx = std::fs::read_to_string(&target).expect("written");
    assert!(gpx.contains("<gpxtpx:hr>"), "heart rate kept");
}

#[test]
fn a_gpx_point_without_lat_lon_is_an_error_at_its_line() {
    let gpx = b"<gpx version=\"1.1\">\n<wpt lat=\"1\" lon=\"2\"/>\n<wpt lon=\"2\"/>\n<wpt lat=\"3\" lon=\"4\"><time>yesterday</time></wpt>\n</gpx>";
    let out = geonorm_stdin(&["convert", "--format", "short", "-"], gpx);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("<stdin>:3:1: error: <wpt> has no readable lat/lon"),
        "{err}"
    );
    assert!(
        err.contains("<stdin>:4:22: warning: time `yesterday` is not an ISO 8601 date and time"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v["features"].as_array().map(Vec::len),
        Some(2),
        "the other points are kept"
    );
}

#[test]
fn kmz_to_redirected_standard_output_is_written() {
    // `output()` pipes standard output: not a terminal, so nothing is refused.
    for args in [
        &["convert", "--to", "kmz"][..],
        &["convert", "--to", "kmz", "-o", "-"][..],
    ] {
        let mut args = args.to_vec();
        let input = testdata("geojson/maphub/alps-trip.geojson");
        let input = input.to_str().expect("utf-8 path");
        args.insert(1, input);
        let out = geonorm(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(out.stdout.starts_with(b"PK\x03\x04"), "a zip archive");
        assert!(!text(&out.stderr).contains("refusing"));
    }
}

#[test]
fn kmz_to_a_terminal_is_refused() {
    // util-linux `script` gives the command a pseudo-terminal; without it (not Linux)
    // the decision is covered by the unit test in main.rs alone.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` to provide a terminal");
        return;
    }
    let input = testdata("geojson/maphub/alps-trip.geojson");
    let command = format!(
        "'{}' convert '{}' --to kmz; echo \"exit $?\"",
        env!("CARGO_BIN_EXE_geonorm"),
        input.display()
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("run script");
    let shown = text(&out.stdout);
    assert!(
        shown.contains(
            "geonorm: refusing to write KMZ (binary) to a terminal; use -o FILE or redirect"
        ),
        "{shown}"
    );
    assert!(shown.contains("exit 2"), "{shown}");
    assert!(!shown.contains("PK\u{3}\u{4}"), "{shown}");
}
