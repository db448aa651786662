//! `geonorm check`: many files, in parallel, one report. Rendering for people follows
//! rustc (`path:line:col: error[code]: message`, the line, a caret, help); JSON and
//! SARIF 2.1.0 are for programs and CI annotations.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use geonorm::validate::{check, CheckOptions, Report};
use geonorm::{Code, Diagnostic, LineIndex, Severity};
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::term::printable;

/// One file's result.
pub struct Checked {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub report: Report,
}

const EXTENSIONS: [&str; 5] = ["kml", "kmz", "gpx", "geojson", "json"];

/// The files to check: named files as they are, directories walked for map files.
pub fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", p.display()))?;
        if meta.is_dir() {
            let mut stack = vec![p.clone()];
            let mut found = Vec::new();
            while let Some(dir) = stack.pop() {
                let cannot = |e: io::Error| anyhow::anyhow!("cannot read {}: {e}", dir.display());
                for entry in std::fs::read_dir(&dir).map_err(cannot)? {
                    let path = entry.map_err(cannot)?.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path
                        .extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
                    {
                        found.push(path);
                    }
                }
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Checks every file, in parallel, keeping the given order. A file that cannot be
/// read at all is an I/O error (exit 2), not a finding.
pub fn run(files: &[PathBuf], opts: &CheckOptions) -> anyhow::Result<Vec<Checked>> {
    let progress = (io::stderr().is_terminal() && files.len() > 20).then(|| {
        let bar = indicatif::ProgressBar::new(files.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let results: Vec<anyhow::Result<Checked>> = files
        .par_iter()
        .map(|path| {
            let bytes = std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            let report = check(&bytes, Some(path), opts);
            if let Some(bar) = &progress {
                bar.inc(1);
            }
            Ok(Checked {
                path: path.clone(),
                bytes,
                report,
            })
        })
        .collect();
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    results.into_iter().collect()
}

/// Line and column of each diagnostic. Diagnostics come in source order, so each is
/// counted on from the one before instead of from the start of its line (which would
/// cost the square of a long line's length).
fn positions(bytes: &[u8], diags: &[Diagnostic]) -> Vec<Option<(usize, usize)>> {
    if diags.iter().all(|d| d.span.is_none()) {
        return vec![None; diags.len()];
    }
    let index = LineIndex::new(bytes);
    let mut last: Option<(usize, usize, usize)> = None;
    diags
        .iter()
        .map(|d| {
            let offset = d.span?.start.min(bytes.len());
            let here = match last {
                Some((o, l, c)) if offset >= o && !bytes[o..offset].contains(&b'\n') => (
                    l,
                    c + bytes[o..offset]
                        .iter()
                        .filter(|&&b| (b & 0xC0) != 0x80)
                        .count(),
                ),
                _ => index.line_col(bytes, offset),
            };
            last = Some((offset, here.0, here.1));
            Some(here)
        })
        .collect()
}

/// The text of line `line` (1-based), at most about 100 characters around `col`,
/// escaped for the terminal, and the caret's column in it (counted in the escaped
/// text, so it still points at the character it points at).
fn source_line(bytes: &[u8], line: usize, col: usize) -> Option<(String, usize)> {
    let text = bytes.split(|&b| b == b'\n').nth(line.checked_sub(1)?)?;
    let text = String::from_utf8_lossy(text);
    let chars: Vec<char> = text.trim_end_matches('\r').chars().collect();
    let col0 = col.saturating_sub(1).min(chars.len());
    let (from, to) = if chars.len() <= 100 {
        (0, chars.len())
    } else {
        let from = col0.saturating_sub(50);
        (from, (from + 100).min(chars.len()))
    };
    // A tab becomes one space (its width is the terminal's guess); other controls
    // are escaped.
    let part = |a: usize, b: usize| {
        let s: String = chars[a..b]
            .iter()
            .map(|&c| if c == '\t' { ' ' } else { c })
            .collect();
        printable(&s).into_owned()
    };
    let before = part(from, col0);
    let mut caret = before.chars().count();
    let mut shown = before + &part(col0, to);
    if from > 0 {
        shown.insert(0, '…');
        caret += 1;
    }
    if to < chars.len() {
        shown.push('…');
    }
    Some((shown, caret))
}

#[derive(Default)]
pub struct Totals {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

pub fn totals(results: &[Checked]) -> Totals {
    let mut t = Totals::default();
    for d in results.iter().flat_map(|r| &r.report.diagnostics) {
        match d.severity {
            Severity::Error => t.errors += 1,
            Severity::Warning => t.warnings += 1,
            Severity::Info => t.infos += 1,
        }
    }
    t
}

pub fn human(results: &[Checked], max_per_code: usize, out: &mut impl Write) -> io::Result<()> {
    for r in results {
        let name = r.path.display().to_string();
        let diags = &r.report.diagnostics;
        let pos = positions(&r.bytes, diags);
        let mut shown: BTreeMap<Code, usize> = BTreeMap::new();
        for (d, p) in diags.iter().zip(&pos) {
            let n = shown.entry(d.code).or_default();
            *n += 1;
            if *n > max_per_code {
                continue;
            }
            let place = match p {
                Some((l, c)) => format!("{name}:{l}:{c}"),
                None => name.clone(),
            };
            // Messages quote the file and names come from the user: escaped, one line.
            let head = format!("{place}: {}[{}]: {}", d.severity, d.code, d.message);
            writeln!(out, "{}", printable(&head))?;
            if let Some((l, c)) = p {
                if let Some((text, caret)) = source_line(&r.bytes, *l, *c) {
                    let gutter = l.to_string().len();
                    writeln!(out, "{:gutter$} |", "")?;
                    writeln!(out, "{l} | {text}")?;
                    writeln!(out, "{:gutter$} | {:caret$}^", "", "")?;
                }
            }
            if let Some(h) = &d.help {
                writeln!(out, "    help: {}", printable(h))?;
            }
        }
        for (code, n) in shown.iter().filter(|(_, n)| **n > max_per_code) {
            writeln!(
                out,
                "{}: … and {} more {code}",
                printable(&name),
                n - max_per_code
            )?;
        }
    }
    let t = totals(results);
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    writeln!(
        out,
        "checked {}: {}, {}, {}",
        plural(results.len(), "file"),
        plural(t.errors, "error"),
        plural(t.warnings, "warning"),
        plural(t.infos, "info")
    )
}

fn diag_json(d: &Diagnostic, p: Option<(usize, usize)>) -> Value {
    json!({
        "code": d.code.as_str(),
        "severity": d.severity.as_str(),
        "message": d.message,
        "line": p.map(|p| p.0),
        "column": p.map(|p| p.1),
        "span": d.span.map(|s| json!({"offset": s.start, "length": s.end - s.start})),
        "help": d.help,
    })
}

pub fn json_report(results: &[Checked]) -> Value {
    let files: Vec<Value> = results
        .iter()
        .map(|r| {
            let pos = positions(&r.bytes, &r.report.diagnostics);
            json!({
                "path": r.path.display().to_string(),
                "format": r.report.format.map(|f| f.as_str()),
                "diagnostics": r.report.diagnostics.iter().zip(pos).map(|(d, p)| diag_json(d, p)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let t = totals(results);
    json!({
        "files": files,
        "summary": {"files": results.len(), "errors": t.errors, "warnings": t.warnings, "infos": t.infos},
    })
}

/// SARIF 2.1.0: one run, the rules met, one result per finding.
pub fn sarif(results: &[Checked]) -> Value {
    let mut codes: Vec<Code> = results
        .iter()
        .flat_map(|r| r.report.diagnostics.iter().map(|d| d.code))
        .collect();
    codes.sort();
    codes.dedup();
    let level = |s: Severity| match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "shortDescription": {"text": c.explain().split(". ").next().unwrap_or_default()},
                "fullDescription": {"text": c.explain()},
                "defaultConfiguration": {"level": level(c.severity())},
            })
        })
        .collect();
    let mut findings = Vec::new();
    for r in results {
        let pos = positions(&r.bytes, &r.report.diagnostics);
        let uri = uri_of(&r.path);
        for (d, p) in r.report.diagnostics.iter().zip(pos) {
            let mut location = json!({"physicalLocation": {"artifactLocation": {"uri": uri}}});
            if let Some((line, col)) = p {
                location["physicalLocation"]["region"] =
                    json!({"startLine": line, "startColumn": col});
            }
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!(" (help: {h})"));
            }
            findings.push(json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": codes.iter().position(|c| *c == d.code),
                "level": level(d.severity),
                "message": {"text": text},
                "locations": [location],
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "geonorm",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/geonorm/geonorm",
                "rules": rules,
            }},
            "results": findings,
        }],
    })
}

/// A relative URI with forward slashes, as SARIF viewers resolve against the checkout.
fn uri_of(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
        .replace("//", "/")
}
