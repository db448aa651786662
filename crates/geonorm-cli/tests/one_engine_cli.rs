//! `convert` says what `check` says: over every map file in testdata/, the findings
//! `geonorm convert --format json` prints (streamed into a file, and read whole into
//! another format on standard output) are those `geonorm check --format json` prints,
//! code, line, column and KMZ entry alike, plus what the writer could not hold; and
//! both exit 1 exactly when there is an error.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn geonorm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(args)
        .output()
        .expect("run geonorm")
}

/// Every file under `dir` whose extension is a map format's.
fn map_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            map_files(&p, out);
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| ["kml", "kmz", "gpx", "geojson", "json"].contains(&x))
        {
            out.push(p);
        }
    }
}

/// A finding as both commands place it: code, severity, line, column, KMZ entry.
type Placed = (String, String, Option<u64>, Option<u64>, Option<String>);

fn placed(v: &Value) -> Placed {
    let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    (
        text("code"),
        text("severity"),
        v["line"].as_u64(),
        v["column"].as_u64(),
        v["entry"].as_str().map(str::to_string),
    )
}

/// What `check --format json` says of one file, or `None` when it is not a map file.
fn check_says(path: &str) -> Option<(BTreeSet<Placed>, i32)> {
    let out = geonorm(&["check", "--format", "json", path]);
    let report: Value = serde_json::from_slice(&out.stdout).ok()?;
    let file = &report["files"][0];
    // What check cannot tell the format of, convert refuses before reading.
    file["format"].as_str()?;
    let said = file["diagnostics"].as_array()?.iter().map(placed).collect();
    Some((said, out.status.code().unwrap_or(-1)))
}

/// What `convert --format json` prints on standard error, one JSON object a line.
fn convert_says(args: &[&str]) -> (BTreeSet<Placed>, i32) {
    let mut all = vec!["convert", "--format", "json"];
    all.extend(args);
    let out = geonorm(&all);
    let said = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| placed(&v))
        .collect();
    (said, out.status.code().unwrap_or(-1))
}

#[test]
fn convert_says_what_check_says() {
    let mut files = Vec::new();
    map_files(&root().join("testdata"), &mut files);
    files.sort();
    let scratch = std::env::temp_dir().join(format!("geonorm-one-engine-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let out_file = scratch.join("out.geojson");
    let out_file = out_file.to_str().expect("utf-8 path");
    let (mut compared, mut findings) = (0, 0);
    let mut differences = Vec::new();
    for p in &files {
        let path = p.to_str().expect("utf-8 path");
        let Some((checked, check_exit)) = check_says(path) else {
            continue;
        };
        // Streamed into a file (GeoJSON), and read whole into KML on standard output.
        let runs = [
            ("streamed", vec![path, "-o", out_file]),
            ("whole", vec![path, "--to", "kml", "-o", "-"]),
        ];
        for (how, args) in runs {
            let (converted, exit) = convert_says(&args);
            for d in checked.difference(&converted) {
                differences.push(format!(
                    "{path} ({how}): check says {d:?}, convert does not"
                ));
            }
            // Besides the check's, only what writing could not hold.
            for d in converted.difference(&checked) {
                if !d.0.starts_with("write/") {
                    differences.push(format!(
                        "{path} ({how}): convert says {d:?}, check does not"
                    ));
                }
            }
            let errors = |s: &BTreeSet<Placed>| s.iter().any(|d| d.1 == "error");
            let expected_exit = if errors(&converted) { 1 } else { 0 };
            if exit != expected_exit || (check_exit == 1) != errors(&checked) {
                differences.push(format!(
                    "{path} ({how}): convert exits {exit}, check {check_exit}"
                ));
            }
        }
        compared += 1;
        findings += checked.len();
    }
    let _ = std::fs::remove_dir_all(&scratch);
    eprintln!("{compared} files, {findings} findings compared");
    assert!(compared >= 350, "only {compared} map files compared");
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
