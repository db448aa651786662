//! `geonorm check` as a user runs it, its three renderings kept as snapshots.

use std::path::Path;
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn geonorm(args: &[&str]) -> Output {
    // From the workspace root, so the paths in the output are the ones a user types.
    Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run geonorm")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const FILES: [&str; 2] = [
    "testdata/geojson/crafted/messy.geojson",
    "testdata/kml/togeojson/bad.kml",
];

#[test]
fn human_output() {
    let mut args = vec!["check", "--max-diagnostics", "3"];
    args.extend(FILES);
    let out = geonorm(&args);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn json_output() {
    let mut args = vec!["check", "--format", "json"];
    args.extend(FILES);
    let out = geonorm(&args);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["summary"]["files"], 2);
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn sarif_output() {
    let out = geonorm(&["check", "--format", "sarif", FILES[0]]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert!(results
        .iter()
        .all(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64()));
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn clean_files_pass_and_warnings_can_be_denied() {
    let ok = geonorm(&["check", "testdata/geojson/maphub/alps-trip.geojson"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stdout));
    // alps-trip has a feature without geometry: a warning.
    let denied = geonorm(&[
        "check",
        "--deny",
        "warnings",
        "testdata/geojson/maphub/alps-trip.geojson",
    ]);
    assert_eq!(denied.status.code(), Some(1));
    let rfc = geonorm(&[
        "check",
        "--profile",
        "rfc7946",
        "--deny",
        "warnings",
        "testdata/geojson/maphub/alps-trip.geojson",
    ]);
    assert_eq!(rfc.status.code(), Some(1), "{}", text(&rfc.stdout));
}

#[test]
fn directories_are_walked() {
    let out = geonorm(&[
        "check",
        "--format",
        "json",
        "testdata/geojson/georust-canonical",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["summary"]["files"], 16);
}

#[test]
fn explain_and_usage_errors() {
    let out = geonorm(&["check", "--explain", "geometry/lat-out-of-range"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("latitude is outside -90 to 90"));
    assert_eq!(
        geonorm(&["check", "--explain", "no/such-code"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        geonorm(&["check", "no/such/file.kml"]).status.code(),
        Some(2)
    );
    assert_eq!(geonorm(&["check"]).status.code(), Some(2));
}

#[test]
fn many_findings_of_one_code_are_summarised() {
    let out = geonorm(&[
        "check",
        "--max-diagnostics",
        "2",
        "testdata/kml/togeojson/bad.kml",
    ]);
    assert!(
        text(&out.stdout).contains("… and 6 more kml/bad-coordinates"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn fix_makes_a_file_pass_check_and_says_what_it_did() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.geojson");
    std::fs::write(
        &input,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"group":3},"geometry":{"type":"Polygon","coordinates":[[[0,0],[0,1],[0,1],[1,1],[1,0]]]}}]}"#,
    )
    .expect("write");
    let before = geonorm(&["check", input.to_str().expect("utf8")]);
    assert_eq!(before.status.code(), Some(1));
    let output = dir.path().join("out.geojson");
    let fixed = geonorm(&[
        "fix",
        input.to_str().expect("utf8"),
        "-o",
        output.to_str().expect("utf8"),
    ]);
    assert_eq!(fixed.status.code(), Some(0));
    let report = text(&fixed.stderr);
    for code in [
        "fix/dropped-repeats",
        "fix/closed-ring",
        "fix/rewound",
        "fix/created-group",
    ] {
        assert!(report.contains(code), "{code}: {report}");
    }
    let after = geonorm(&[
        "check",
        "--deny",
        "warnings",
        output.to_str().expect("utf8"),
    ]);
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stdout));
}

/// A KMZ whose `doc.kml` has a bad coordinate on line 5, column 20 (after lines with
/// multibyte characters); deflated, so the zip's own bytes are not the KML's.
fn kmz_with_a_bad_coordinate(dir: &Path) -> std::path::PathBuf {
    use std::io::Write;
    let kml = [
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>"#,
        "  <Placemark><name>Zürich Höngg</name>",
        "    <Point>",
        "      <coordinates>no,no</coordinates>",
        "    </Point>",
        "  </Placemark>",
        "</Document></kml>",
    ]
    .join("\n");
    let path = dir.join("trip.kmz");
    let file = std::fs::File::create(&path).expect("create");
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("doc.kml", opts).expect("entry");
    zip.write_all(kml.as_bytes()).expect("write");
    zip.finish().expect("finish");
    path
}

#[test]
fn kmz_findings_point_into_the_kml_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kmz = kmz_with_a_bad_coordinate(dir.path());
    let kmz = kmz.to_str().expect("utf8");

    let human = geonorm(&["check", kmz]);
    assert_eq!(human.status.code(), Some(1));
    let out = text(&human.stdout);
    let head = format!("{kmz}!doc.kml:5:20: error[kml/bad-coordinates]");
    assert!(out.contains(&head), "{out}");
    // The code frame is the KML's line, the caret under `no`.
    assert!(
        out.contains("5 |       <coordinates>no,no</coordinates>\n  |                    ^\n"),
        "{out}"
    );
    assert!(!out.contains("PK"), "{out}");

    let json = geonorm(&["check", "--format", "json", kmz]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let file = &v["files"][0];
    assert_eq!(file["format"], "kmz");
    let d = file["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["code"] == "kml/bad-coordinates")
        .expect("the bad coordinate");
    assert_eq!(d["entry"], "doc.kml");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(5), Some(20))
    );

    let sarif = geonorm(&["check", "--format", "sarif", kmz]);
    let v: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("sarif");
    let run = &v["runs"][0];
    let uri = run["artifacts"][0]["location"]["uri"]
        .as_str()
        .expect("uri");
    assert!(uri.ends_with("/trip.kmz"), "{uri}");
    assert_eq!(run["artifacts"][1]["location"]["uri"], "doc.kml");
    assert_eq!(run["artifacts"][1]["parentIndex"], 0);
    let r = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "kml/bad-coordinates")
        .expect("the bad coordinate");
    let loc = &r["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"],
        serde_json::json!({"uri": "doc.kml", "index": 1})
    );
    assert_eq!(
        loc["physicalLocation"]["region"],
        serde_json::json!({"startLine": 5, "startColumn": 20})
    );
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        format!("{uri}!doc.kml")
    );
}
