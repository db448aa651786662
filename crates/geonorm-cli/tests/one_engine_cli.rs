//! `convert` says what `check` says: over every map file in testdata/, the findings
//! `geonorm convert --format json` prints (streamed into a file, and read whole into
//! another format on standard output) are those `geonorm check --format json` prints,
//! code, line, column, KMZ entry and message alike, as many times each, plus what the
//! writer could not hold; and both exit 1 exactly when there is an error. No file is
//! passed over: `check` reports on every one as JSON (or it is listed with why).

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

/// A finding as both commands place it: code, severity, line, column, KMZ entry, message.
type Placed = (
    String,
    String,
    Option<u64>,
    Option<u64>,
    Option<String>,
    String,
);

fn placed(v: &Value) -> Placed {
    let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    (
        text("code"),
        text("severity"),
        v["line"].as_u64(),
        v["column"].as_u64(),
        v["entry"].as_str().map(str::to_string),
        text("message"),
    )
}

/// Files `check --format json` cannot report on as JSON, each with why. None today:
/// a file added here must say why, and any other such file fails the test.
const NOT_JSON: &[(&str, &str)] = &[];

/// What `check --format json` says of one file: its findings sorted (every repetition
/// kept) and its exit code, or `None` when it cannot tell the format; an error when its
/// output is not the JSON report.
fn check_says(path: &str) -> Result<Option<(Vec<Placed>, i32)>, String> {
    let out = geonorm(&["check", "--format", "json", path]);
    let report: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "check's output is not JSON ({e}), exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let file = &report["files"][0];
    if file["format"].is_null() {
        return Ok(None);
    }
    let mut said: Vec<_> = file["diagnostics"]
        .as_array()
        .ok_or("no diagnostics in check's report")?
        .iter()
        .map(placed)
        .collect();
    said.sort();
    Ok(Some((said, out.status.code().unwrap_or(-1))))
}

/// What `convert --format json` prints on standard error, one JSON object a line,
/// sorted (every repetition kept); and its exit code.
fn convert_says(args: &[&str]) -> (Vec<Placed>, i32) {
    let mut all = vec!["convert", "--format", "json"];
    all.extend(args);
    let out = geonorm(&all);
    let mut said: Vec<_> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| placed(&v))
        .collect();
    said.sort();
    (said, out.status.code().unwrap_or(-1))
}

/// What each sorted list has that the other has not, every repetition counted.
fn differences<'a>(a: &'a [Placed], b: &'a [Placed]) -> (Vec<&'a Placed>, Vec<&'a Placed>) {
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    loop {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => (i, j) = (i + 1, j + 1),
            (Some(x), Some(y)) if x < y => (only_a.push(x), i += 1).1,
            (Some(x), None) => (only_a.push(x), i += 1).1,
            (_, Some(y)) => (only_b.push(y), j += 1).1,
            (None, None) => return (only_a, only_b),
        }
    }
}

#[test]
fn convert_says_what_check_says() {
    let mut files = Vec::new();
    map_files(&root().join("testdata"), &mut files);
    files.sort();
    let scratch = tempfile::tempdir().expect("scratch dir");
    let out_file = scratch.path().join("out.geojson");
    let out_file = out_file.to_str().expect("utf-8 path");
    let (mut compared, mut undetected, mut listed, mut findings) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for p in &files {
        let path = p.to_str().expect("utf-8 path");
        let checked = match check_says(path) {
            Ok(Some(said)) => said,
            Ok(None) => {
                // What check cannot tell the format of, convert refuses before reading.
                let (_, exit) = convert_says(&[path, "-o", out_file]);
                if exit == 0 {
                    problems.push(format!("{path}: no format for check, yet convert reads it"));
                }
                undetected += 1;
                continue;
            }
            Err(why) => {
                if NOT_JSON.iter().any(|(f, _)| path.ends_with(f)) {
                    listed += 1;
                } else {
                    problems.push(format!("{path}: {why}"));
                }
                continue;
            }
        };
        let (checked, check_exit) = checked;
        // Streamed into a file (GeoJSON), and read whole into KML on standard output.
        let runs = [
            ("streamed", vec![path, "-o", out_file]),
            ("whole", vec![path, "--to", "kml", "-o", "-"]),
        ];
        for (how, args) in runs {
            let (converted, exit) = convert_says(&args);
            // Besides the check's, only what writing could not hold.
            let read: Vec<_> = converted
                .iter()
                .filter(|d| !d.0.starts_with("write/"))
                .cloned()
                .collect();
            // A root convert wraps: check's error is, in convert, said as done.
            let mended: Vec<Placed> = checked
                .iter()
                .map(|d| match d.0.as_str() {
                    "maphub/not-collection" => {
                        let done = "the root is not the FeatureCollection MapHub takes; written as a collection";
                        (d.0.clone(), "info".into(), d.2, d.3, d.4.clone(), done.into())
                    }
                    _ => d.clone(),
                })
                .collect();
            let (only_check, only_convert) = differences(&mended, &read);
            if !only_check.is_empty() || !only_convert.is_empty() {
                problems.push(format!(
                    "{path} ({how}):\n  only check says {only_check:?}\n  only convert says {only_convert:?}"
                ));
            }
            let errors = |s: &[Placed]| s.iter().any(|d| d.1 == "error");
            let expected_exit = if errors(&converted) { 1 } else { 0 };
            if exit != expected_exit || (check_exit == 1) != errors(&checked) {
                problems.push(format!(
                    "{path} ({how}): convert exits {exit}, check {check_exit}"
                ));
            }
            findings += checked.len() + converted.len();
        }
        compared += 1;
    }
    eprintln!(
        "{} files: {compared} compared, {undetected} of no format, {listed} listed; {findings} findings compared",
        files.len()
    );
    // Every file is compared, of no format (refused by both), or listed with its reason.
    // Measured when this was written: 446 files compared, 10,390 findings in the lists
    // (check's once per run, and convert's of each run; 10,775 before a GPX route or
    // track point's own fields were kept rather than reported as skipped).
    assert_eq!(compared + undetected + listed, files.len());
    assert_eq!(listed, NOT_JSON.len(), "a listed file is no longer refused");
    assert!(compared >= 446, "only {compared} map files compared");
    assert!(findings >= 10390, "only {findings} findings compared");
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
