//! `geonorm check --format gitlab`: a GitLab Code Quality report, the JSON array a
//! job's `artifacts:reports:codequality` takes: one entry per finding with its
//! `description`, `check_name` (the diagnostic code), `fingerprint`, `severity` and
//! `location` (`path`, `lines.begin`).
//!
//! GitLab links a finding to a line of a file in the repository, so a finding inside
//! a KMZ's KML entry gives the archive as its path and line 1, and names the entry and
//! its line in the description. The fingerprint, which GitLab uses to tell new
//! findings from fixed ones between branches, hashes the path, the code, the message
//! and the finding's place among those alike, not its line: moving a finding down a
//! file does not make it new.

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::check::{json_report, Checked};

/// GitLab's severity for one of ours.
fn severity(ours: &str) -> &'static str {
    match ours {
        "error" => "major",
        "warning" => "minor",
        _ => "info",
    }
}

/// The Code Quality entries for `results`, in the order of the other reports.
pub fn report(results: &[Checked]) -> Value {
    let report = json_report(results);
    let mut entries = Vec::new();
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    for file in report["files"].as_array().into_iter().flatten() {
        let path = file["path"].as_str().unwrap_or_default();
        for d in file["diagnostics"].as_array().into_iter().flatten() {
            let code = d["code"].as_str().unwrap_or_default();
            let message = d["message"].as_str().unwrap_or_default();
            let line = d["line"].as_u64();
            let (description, begin) = match (d["entry"].as_str(), line) {
                (Some(entry), Some(line)) => (format!("{message} ({entry}, line {line})"), 1),
                (Some(entry), None) => (format!("{message} ({entry})"), 1),
                (None, line) => (message.to_string(), line.unwrap_or(1)),
            };
            let key = (path.to_string(), code.to_string(), message.to_string());
            let nth = seen.entry(key).or_insert(0);
            *nth += 1;
            let mut hash = Sha256::new();
            for part in [path, code, message, &nth.to_string()] {
                hash.update(part.as_bytes());
                hash.update([0]);
            }
            let fingerprint: String = hash.finalize()[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            entries.push(json!({
                "description": description,
                "check_name": code,
                "fingerprint": fingerprint,
                "severity": severity(d["severity"].as_str().unwrap_or_default()),
                "location": {"path": path, "lines": {"begin": begin}},
            }));
        }
    }
    Value::Array(entries)
}

/// Writes the report, pretty-printed, and a newline.
pub fn write(results: &[Checked], out: &mut impl Write) -> io::Result<()> {
    let text = geonorm::render::json_text(&report(results), true).map_err(io::Error::other)?;
    out.write_all(text.as_bytes())?;
    writeln!(out)
}
