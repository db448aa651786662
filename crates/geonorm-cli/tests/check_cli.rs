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
    let mut args = vec!["check", "--max-per-code", "3"];
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

/// The findings shown in human output, by code: lines like `path:l:c: error[code]: …`.
fn shown_codes(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| {
            l.split_once("]: ")?
                .0
                .rsplit_once('[')
                .map(|(_, c)| c.to_string())
        })
        .collect()
}

#[test]
fn max_per_code_caps_each_code_and_counts_the_rest() {
    let bad = "testdata/kml/togeojson/bad.kml";
    let all = text(&geonorm(&["check", "--max-per-code", "0", bad]).stdout);
    let count = |shown: &[String], code: &str| shown.iter().filter(|c| *c == code).count();
    let every = shown_codes(&all);
    // bad.kml has 8 bad coordinates and 3 empty geometries; 0 shows them all.
    assert_eq!(count(&every, "kml/bad-coordinates"), 8, "{all}");
    assert_eq!(count(&every, "kml/empty-geometry"), 3, "{all}");
    assert!(!all.contains("more"), "{all}");

    let capped = text(&geonorm(&["check", "--max-per-code", "2", bad]).stdout);
    let shown = shown_codes(&capped);
    assert_eq!(count(&shown, "kml/bad-coordinates"), 2, "{capped}");
    assert_eq!(count(&shown, "kml/empty-geometry"), 2, "{capped}");
    assert!(
        capped.contains(&format!("{bad}: … and 6 more kml/bad-coordinates\n")),
        "{capped}"
    );
    assert!(
        capped.contains(&format!("{bad}: … and 1 more kml/empty-geometry\n")),
        "{capped}"
    );
    // The summary still counts everything.
    assert!(
        capped.ends_with("checked 1 file: 8 errors, 3 warnings, 0 infos\n"),
        "{capped}"
    );

    // The old name still works, with the same meaning.
    let old = text(&geonorm(&["check", "--max-diagnostics", "2", bad]).stdout);
    assert_eq!(old, capped);
}

#[test]
fn a_directory_without_map_files_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::fs::write(dir.path().join("sub/notes.txt"), "not a map").expect("write");
    let name = dir.path().display().to_string();
    let out = geonorm(&["check", &name]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!("geonorm: no KML, KMZ, GPX or GeoJSON files in {name}\n")
    );
    assert!(out.stdout.is_empty());
    // One directory with map files among empty ones is fine.
    let out = geonorm(&["check", &name, "testdata/geojson/maphub"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn explain_takes_a_code_without_its_prefix() {
    let whole = geonorm(&["check", "--explain", "geometry/lat-out-of-range"]);
    let short = geonorm(&["check", "--explain", "lat-out-of-range"]);
    assert_eq!(short.status.code(), Some(0));
    assert_eq!(short.stdout, whole.stdout);
    assert!(text(&short.stdout).starts_with("geometry/lat-out-of-range (error)\n"));

    let ambiguous = geonorm(&["check", "--explain", "extra-ordinates"]);
    assert_eq!(ambiguous.status.code(), Some(2));
    assert_eq!(
        text(&ambiguous.stderr),
        "geonorm: `extra-ordinates` could be `geojson/extra-ordinates` or `kml/extra-ordinates`; give the whole code\n"
    );
    assert!(ambiguous.stdout.is_empty());
    // A part of a name is no name.
    assert_eq!(
        geonorm(&["check", "--explain", "lat-out"]).status.code(),
        Some(2)
    );
}

#[test]
fn list_codes_lists_every_code_with_its_severity_and_summary() {
    let out = geonorm(&["check", "--list-codes"]);
    assert_eq!(out.status.code(), Some(0));
    let listing = text(&out.stdout);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), geonorm::Code::ALL.len());
    for (line, code) in lines.iter().zip(geonorm::Code::ALL) {
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), Some(code.as_str()), "{line}");
        assert_eq!(words.next(), Some(code.severity().as_str()), "{line}");
        let summary = words.collect::<Vec<_>>().join(" ");
        // The first sentence: the explanation from its start to a sentence's end.
        let rest = code.explain().strip_prefix(summary.as_str());
        assert!(
            rest.is_some_and(|r| r.is_empty() || (summary.ends_with('.') && r.starts_with(' '))),
            "{line}"
        );
    }
    let lat = lines
        .iter()
        .find(|l| l.starts_with("geometry/lat-out-of-range "))
        .expect("listed");
    assert!(lat.contains(" error "), "{lat}");
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
    let long = "x".repeat(1000);
    let mut body = String::from(r#"{"type":"FeatureCollection","features":["#);
    for i in 0..17_000 {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            r#"{{"type":"Feature","properties":{{"title":"p{i}","description":"{long}"}},"geometry":{{"type":"Point","coordinates":[8.5,46.5]}}}}"#
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

    // The info no longer stops a raw send, which cannot be split: the send refuses it
    // itself (a dry run, so nothing is sent and no key is needed).
    let raw = geonorm(&["append", path, "--map", "1", "--raw", "--dry-run"]);
    assert_eq!(raw.status.code(), Some(2), "{}", text_of(&raw));
    assert!(
        text(&raw.stderr).contains("--raw sends the file as it is, so it cannot be split"),
        "{}",
        text_of(&raw)
    );
    assert!(raw.stdout.is_empty(), "{}", text_of(&raw));
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
