//! The JSON that `check --format json` and `convert --format json` print has exactly
//! the members README.md documents, in that order.

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn keys(v: &serde_json::Value) -> Vec<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn the_json_is_what_the_readme_documents() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let flat = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let finding = [
        "code", "severity", "message", "help", "line", "column", "start", "end", "entry",
    ];
    let quoted = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert!(
        flat.contains(&format!(
            "`{{\"files\": [{{\"path\", \"format\", \"diagnostics\": [{{{}}}]}}], \"summary\": {{\"files\", \"errors\", \"warnings\", \"infos\"}}}}`",
            quoted(&finding)
        )),
        "README's check JSON"
    );
    let listed = finding
        .iter()
        .chain(&["file"])
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    assert!(flat.contains(&listed), "README's convert JSON: {listed}");

    let bad = "testdata/kml/togeojson/bad.kml";
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_geonorm"))
            .args(args)
            .current_dir(root())
            .output()
            .expect("run geonorm")
    };
    let out = run(&["check", bad, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(keys(&v), ["files", "summary"]);
    assert_eq!(keys(&v["files"][0]), ["path", "format", "diagnostics"]);
    assert_eq!(keys(&v["files"][0]["diagnostics"][0]), finding);
    assert_eq!(
        keys(&v["summary"]),
        ["files", "errors", "warnings", "infos"]
    );

    let out = run(&["convert", bad, "--format", "json"]);
    let first = String::from_utf8_lossy(&out.stderr)
        .lines()
        .next()
        .map(str::to_string)
        .expect("a finding");
    let v: serde_json::Value = serde_json::from_str(&first).expect("json line");
    let mut with_file: Vec<&str> = finding.to_vec();
    with_file.push("file");
    assert_eq!(keys(&v), with_file);
}
