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

#[test]
fn a_file_over_the_limit_is_an_info_saying_how_many_parts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.geojson");
    // Few features with long descriptions: over 15 MiB without nearing the
    // feature-count threshold of maphub/processing-time.
    let text = "x".repeat(1000);
    let mut body = String::from(r#"{"type":"FeatureCollection","features":["#);
    for i in 0..17_000 {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            r#"{{"type":"Feature","properties":{{"title":"p{i}","description":"{text}"}},"geometry":{{"type":"Point","coordinates":[8.5,46.5]}}}}"#
        ));
    }
    body.push_str("]}");
    let size = body.len() as u64;
    assert!(size > geonorm::MAPHUB_MAX_UPLOAD_BYTES);
    std::fs::write(&path, &body).expect("write");
    let path = path.to_str().expect("utf-8 path");
    let out = geonorm(&["check", "--profile", "maphub", path]);
    let shown = text_of(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains(&format!(
            "info[maphub/too-large]: the file is {}",
            grouped(size)
        )),
        "{shown}"
    );
    assert!(
        shown.contains("over MapHub's 15 MiB limit per request: `geonorm append`/`upload` will send it in at least 2 parts"),
        "{shown}"
    );
    assert!(
        shown.contains("info[maphub/converted-too-large]"),
        "{shown}"
    );
    assert!(shown.contains(": 0 errors, 0 warnings, 2 infos"), "{shown}");
}

/// 1234567 as `1,234,567`.
fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn text_of(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}
