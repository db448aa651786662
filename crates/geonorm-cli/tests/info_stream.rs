//! `geonorm info` of KML and GPX, summarised as the features stream past, reports what
//! the document read whole holds: every count, the extent, what was skipped, and the
//! same diagnostics in the same order.

use std::path::{Path, PathBuf};
use std::process::Command;

use geonorm::Format;
use serde_json::{json, Value};

/// Every KML and GPX file under testdata/.
fn files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| matches!(x.to_ascii_lowercase().as_str(), "kml" | "gpx"))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata"),
        &mut out,
    );
    out.sort();
    // A missing testdata must not pass for a test that compared nothing.
    assert!(out.len() > 100, "found only {} files", out.len());
    out
}

/// What `info --format json` says of a file read whole, as the library reads it.
fn expected(path: &Path, gpx_kind: bool) -> Result<Value, geonorm::Diagnostic> {
    let bytes = std::fs::read(path).expect("read");
    let format = Format::detect(&bytes, Some(path)).expect("format");
    let opts = geonorm::ReadOptions {
        gpx: geonorm::gpx::ReadOptions {
            groups_by_kind: gpx_kind,
        },
        ..geonorm::ReadOptions::format(format)
    };
    let parsed = geonorm::read(&bytes[..], &opts)
        .map_err(|e| geonorm::validate::fatal_diagnostic(format, &e))?;
    let doc = &parsed.document;
    let s = doc.summary();
    let geometry: serde_json::Map<String, Value> = s
        .by_kind
        .iter()
        .map(|(k, n)| (k.as_str().to_string(), json!(n)))
        .collect();
    let diagnostics: Vec<Value> = parsed
        .diagnostics
        .iter()
        .map(|d| json!([d.code.as_str(), d.message, d.span.map(|s| s.start)]))
        .collect();
    Ok(json!({
        "format": format.as_str(),
        "bytes": bytes.len(),
        "features": s.features,
        "geometry": geometry,
        "without_geometry": s.without_geometry,
        "groups": s.groups,
        "vertices": s.vertices,
        "bbox": s.bbox.map(|b| [b.min_x, b.min_y, b.max_x, b.max_y]),
        "not_representable": doc.meta.unrepresented,
        "diagnostics": diagnostics,
    }))
}

/// What `info --format json` said, in the shape of [`expected`].
fn reported(v: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in [
        "format",
        "bytes",
        "features",
        "geometry",
        "without_geometry",
        "groups",
        "vertices",
        "bbox",
        "not_representable",
    ] {
        out.insert(key.into(), v[key].clone());
    }
    let diagnostics: Vec<Value> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| json!([d["code"], d["message"], d["start"]]))
        .collect();
    out.insert("diagnostics".into(), Value::Array(diagnostics));
    Value::Object(out)
}

#[test]
fn streamed_info_reports_what_the_whole_document_holds() {
    let mut compared = 0;
    for path in files() {
        let is_gpx = path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("gpx"));
        for kind in [false, true].into_iter().take(if is_gpx { 2 } else { 1 }) {
            let mut args = vec!["info", "--format", "json"];
            if kind {
                args.extend(["--gpx-groups", "kind"]);
            }
            let out = Command::new(env!("CARGO_BIN_EXE_geonorm"))
                .args(&args)
                .arg(&path)
                .output()
                .expect("run geonorm");
            let stderr = String::from_utf8_lossy(&out.stderr);
            match expected(&path, kind) {
                Ok(want) => {
                    let v: Value = serde_json::from_slice(&out.stdout)
                        .unwrap_or_else(|e| panic!("{}: {e}: {stderr}", path.display()));
                    assert_eq!(reported(&v), want, "{}", path.display());
                }
                Err(fatal) => {
                    // Unreadable: the reason, once, and exit 1.
                    assert_eq!(out.status.code(), Some(1), "{}", path.display());
                    assert!(out.stdout.is_empty(), "{}", path.display());
                    let lines: Vec<&str> = stderr.lines().collect();
                    assert_eq!(lines.len(), 1, "{}: {stderr}", path.display());
                    let d: Value = serde_json::from_str(lines[0]).expect("json line");
                    assert_eq!(d["code"], fatal.code.as_str(), "{}", path.display());
                    assert_eq!(d["message"], fatal.message, "{}", path.display());
                }
            }
            compared += 1;
        }
    }
    assert!(compared > 100, "compared only {compared}");
}
