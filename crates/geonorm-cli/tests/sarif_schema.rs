//! `geonorm check --format sarif` prints SARIF 2.1.0, as the README says: every output
//! is valid against the OASIS SARIF 2.1.0 JSON schema (crates/geonorm-cli/tests/sarif/, from the
//! serde-sarif crate; see testdata/NOTICE.md), for a clean file, files with errors or
//! warnings, a KMZ, several files at once and a folder. The validator is shown to
//! refuse the same output with a required property taken out or a value out of range.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn geonorm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run geonorm")
}

/// The SARIF 2.1.0 schema (draft-07), format checks on: `uri` fields must be URIs.
fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        root().join("crates/geonorm-cli/tests/sarif/sarif-schema-2.1.0.json"),
    )
    .expect("the vendored SARIF schema");
    let mut schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    // The published schema's one erratum: the `language` patterns of `run` and
    // `toolComponent` have a stray `]`, no valid regex in Unicode mode, so the
    // validator refuses the schema. `^[a-zA-Z]{2}` matches what they match (the first
    // alternative takes every string the second does); geonorm writes no `language`.
    for at in ["run", "toolComponent"] {
        let language = schema
            .pointer_mut(&format!("/definitions/{at}/properties/language/pattern"))
            .expect("a language pattern");
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = Value::from("^[a-zA-Z]{2}");
    }
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

/// Every way `instance` breaks the schema, one line each.
fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// `check --format sarif ARGS`: the SARIF document, after checking the exit code.
fn sarif(args: &[&str], exit: i32) -> Value {
    let mut all = vec!["check", "--format", "sarif"];
    all.extend(args);
    let out = geonorm(&all);
    assert_eq!(
        out.status.code(),
        Some(exit),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("SARIF is JSON")
}

/// `check --format json ARGS`: the levels of its diagnostics, as SARIF names them.
fn levels(args: &[&str]) -> Vec<String> {
    let mut all = vec!["check", "--format", "json"];
    all.extend(args);
    let out = geonorm(&all);
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let files = v["files"].as_array().expect("files");
    files
        .iter()
        .flat_map(|f| f["diagnostics"].as_array().expect("diagnostics"))
        .map(|d| match d["severity"].as_str().expect("severity") {
            "info" => "note".to_string(),
            s => s.to_string(),
        })
        .collect()
}

/// What each case is, its arguments, its exit code and the levels its results must
/// include (and, for the clean file, that there is none).
const CASES: [(&str, &[&str], i32, &[&str]); 6] = [
    (
        "clean",
        &["testdata/geojson/georust-canonical/good-featurecollection.geojson"],
        0,
        &[],
    ),
    (
        "errors",
        &["testdata/geojson/crafted/messy.geojson"],
        1,
        &["error", "warning"],
    ),
    (
        "warnings only",
        &["testdata/geojson/maphub/alps-trip.geojson"],
        0,
        &["warning"],
    ),
    (
        "a KMZ with findings in its KML",
        &["testdata/kml/ogc-conformance/kmz/small_world.kmz"],
        0,
        &["warning", "note"],
    ),
    (
        "several files",
        &[
            "testdata/geojson/crafted/messy.geojson",
            "testdata/kml/togeojson/bad.kml",
            "testdata/geojson/maphub/alps-trip.geojson",
            "testdata/geojson/geojsonhint-bad/bad-json.geojson",
            "testdata/fuzz-regressions/kmz-zip-extended-timestamp-1.kmz",
            "testdata/kml/ogc-conformance/kmz/small_world.kmz",
        ],
        1,
        &["error", "warning", "note"],
    ),
    ("a folder", &["testdata/geojson/crafted"], 1, &["error"]),
];

#[test]
fn check_sarif_is_valid_sarif_2_1_0() {
    let v = validator();
    let mut invalid = Vec::new();
    for (what, args, exit, must) in CASES {
        let doc = sarif(args, exit);
        let results = doc["runs"][0]["results"].as_array().expect("results");
        let got: Vec<String> = results
            .iter()
            .map(|r| r["level"].as_str().expect("level").to_string())
            .collect();
        // The same findings as the JSON report, one result each.
        assert_eq!(got, levels(args), "{what}: results and levels");
        for level in must {
            assert!(
                got.iter().any(|l| l == level),
                "{what}: no {level}: {got:?}"
            );
        }
        if must.is_empty() {
            assert!(got.is_empty(), "{what}: {got:?}");
        }
        if !must.contains(&"error") {
            assert!(!got.iter().any(|l| l == "error"), "{what}: {got:?}");
        }
        let e = errors(&v, &doc);
        if !e.is_empty() {
            invalid.push(format!("{what}:\n  {}", e.join("\n  ")));
        }
    }
    assert!(invalid.is_empty(), "{}", invalid.join("\n"));
}

/// Removes the member at `pointer` (e.g. `/runs/0/tool`); whether it was there.
fn remove(doc: &mut Value, pointer: &str) -> bool {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    match doc.pointer_mut(parent) {
        Some(Value::Object(o)) => o.remove(key).is_some(),
        _ => false,
    }
}

#[test]
fn the_schema_check_refuses_sarif_missing_what_sarif_requires() {
    let v = validator();
    let good = sarif(&["testdata/geojson/crafted/messy.geojson"], 1);
    assert!(
        errors(&v, &good).is_empty(),
        "the unmutated output is valid"
    );
    // Each property the schema lists as required where geonorm writes it.
    let required = [
        "/version",
        "/runs",
        "/runs/0/tool",
        "/runs/0/tool/driver",
        "/runs/0/tool/driver/name",
        "/runs/0/tool/driver/rules/0/id",
        "/runs/0/tool/driver/rules/0/shortDescription/text",
        "/runs/0/results/0/message",
        "/runs/0/results/0/message/text",
    ];
    for pointer in required {
        let mut doc = good.clone();
        assert!(remove(&mut doc, pointer), "{pointer} is in the output");
        assert!(
            !errors(&v, &doc).is_empty(),
            "the schema check accepts the output without {pointer}"
        );
    }
    // Values the schema bounds: a line before the first, a level SARIF does not have,
    // an unknown member where none may be, a version not 2.1.0.
    let wrong = [
        (
            "/runs/0/results/0/locations/0/physicalLocation/region/startLine",
            Value::from(0),
        ),
        ("/runs/0/results/0/level", Value::from("fatal")),
        (
            "/runs/0/tool/driver/rules/0/defaultConfiguration/level",
            Value::from("fatal"),
        ),
        ("/version", Value::from("2.0.0")),
    ];
    for (pointer, value) in wrong {
        let mut doc = good.clone();
        *doc.pointer_mut(pointer).expect(pointer) = value.clone();
        assert!(
            !errors(&v, &doc).is_empty(),
            "the schema check accepts {pointer} = {value}"
        );
    }
    let mut doc = good.clone();
    doc["unknownTopLevel"] = Value::from(1);
    assert!(!errors(&v, &doc).is_empty(), "an unknown top-level member");
}
