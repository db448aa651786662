//! Rendering for people (`file:line:col: severity: message [code]`) and for programs
//! (JSON). Line and column are computed here from byte spans, reading the input again
//! only when there is something to point at.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};

use geonorm::{Diagnostic, Document, Error, Format, MAPHUB_MAX_UPLOAD_BYTES};
use serde::Serialize;
use serde_json::{json, Value};

use crate::input::Input;
use crate::term::printable;

pub struct Renderer {
    json: bool,
}

impl Renderer {
    pub fn new(json: bool) -> Self {
        Renderer { json }
    }

    /// Writes diagnostics to standard error: one line each (plus help) for people, one
    /// JSON object per line for programs.
    pub fn diagnostics(&self, input: &Input, diags: &[Diagnostic]) -> anyhow::Result<()> {
        if diags.is_empty() {
            return Ok(());
        }
        let stderr = io::stderr();
        let mut err = stderr.lock();
        if self.json {
            for v in self.diagnostics_json(input, diags)? {
                serde_json::to_writer(&mut err, &v)?;
                writeln!(err)?;
            }
            return Ok(());
        }
        let located = Located::new(input, diags)?;
        for d in diags {
            let (line, col) = located.line_col(d);
            let place = match (line, col) {
                (Some(l), Some(c)) => format!("{}:{l}:{c}", input.diag_name()),
                _ => input.diag_name().to_string(),
            };
            // Messages quote the file and names come from the user: escaped, one line.
            let line = format!("{place}: {}: {} [{}]", d.severity, d.message, d.code);
            writeln!(err, "{}", printable(&line))?;
            if let Some(help) = &d.help {
                writeln!(err, "    help: {}", printable(help))?;
            }
        }
        Ok(())
    }

    pub fn diagnostics_json(
        &self,
        input: &Input,
        diags: &[Diagnostic],
    ) -> anyhow::Result<Vec<Value>> {
        let located = Located::new(input, diags)?;
        Ok(diags
            .iter()
            .map(|d| {
                let (line, column) = located.line_col(d);
                json!({
                    "code": d.code.as_str(),
                    "severity": d.severity.as_str(),
                    "message": d.message,
                    "file": input.diag_name(),
                    "line": line,
                    "column": column,
                    "span": d.span.map(|s| json!({"offset": s.start, "length": s.end - s.start})),
                    "help": d.help,
                })
            })
            .collect())
    }

    /// Reports input that could not be read at all, as a diagnostic.
    pub fn fatal(&self, input: &Input, format: Format, e: &Error) -> anyhow::Result<()> {
        let d = geonorm::validate::fatal_diagnostic(format, e);
        self.diagnostics(input, &[d])
    }
}

/// Line and column of every diagnostic's position, found in one pass over the input
/// (read again from the file, a buffer at a time: a 150 MB file is not held in memory
/// to place a handful of diagnostics).
struct Located {
    at: Vec<(usize, (usize, usize))>,
}

impl Located {
    fn new(input: &Input, diags: &[Diagnostic]) -> io::Result<Self> {
        let mut offsets: Vec<usize> = diags
            .iter()
            .filter_map(|d| d.span.map(|s| s.start))
            .collect();
        if offsets.is_empty() {
            return Ok(Located { at: Vec::new() });
        }
        offsets.sort_unstable();
        offsets.dedup();
        let mut r = input.text_reader()?;
        let mut at = Vec::with_capacity(offsets.len());
        let (mut pos, mut line, mut col) = (0usize, 1usize, 1usize);
        let chars = |s: &[u8]| s.iter().filter(|&&b| (b & 0xC0) != 0x80).count();
        for target in offsets {
            while pos < target {
                let buf = r.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                let take = buf.len().min(target - pos);
                let seg = &buf[..take];
                match memchr_last_newline(seg) {
                    Some(nl) => {
                        line += seg.iter().filter(|&&b| b == b'\n').count();
                        col = 1 + chars(&seg[nl + 1..]);
                    }
                    None => col += chars(seg),
                }
                r.consume(take);
                pos += take;
            }
            at.push((target, (line, col)));
        }
        Ok(Located { at })
    }

    fn line_col(&self, d: &Diagnostic) -> (Option<usize>, Option<usize>) {
        let Some(span) = d.span else {
            return (None, None);
        };
        match self.at.binary_search_by_key(&span.start, |(o, _)| *o) {
            Ok(i) => {
                let (l, c) = self.at[i].1;
                (Some(l), Some(c))
            }
            Err(_) => (None, None),
        }
    }
}

fn memchr_last_newline(s: &[u8]) -> Option<usize> {
    s.iter().rposition(|&b| b == b'\n')
}

#[derive(Serialize)]
pub struct MaphubFit {
    limit_bytes: u64,
    fits: bool,
}

#[derive(Serialize)]
pub struct InfoReport {
    file: String,
    format: &'static str,
    bytes: u64,
    maphub: MaphubFit,
    features: usize,
    geometry: BTreeMap<&'static str, usize>,
    without_geometry: usize,
    groups: usize,
    vertices: usize,
    bbox: Option<[f64; 4]>,
    /// Elements the model cannot hold (KML overlays, network links…), by name.
    not_representable: BTreeMap<String, usize>,
    /// For a KMZ: the entry read, other KML entries, and referenced files.
    #[serde(skip_serializing_if = "Option::is_none")]
    kmz: Option<KmzReport>,
}

#[derive(Serialize)]
pub struct KmzReport {
    main: String,
    other_kml: Vec<String>,
    assets: Vec<Asset>,
}

#[derive(Serialize)]
struct Asset {
    href: String,
    present: bool,
}

impl InfoReport {
    pub fn new(input: &Input, doc: &Document, kmz: Option<geonorm::kmz::Contents>) -> Self {
        let s = doc.summary();
        InfoReport {
            file: input.name().to_string(),
            format: doc.meta.source_format.map_or("unknown", Format::as_str),
            bytes: input.len(),
            maphub: MaphubFit {
                limit_bytes: MAPHUB_MAX_UPLOAD_BYTES,
                fits: input.len() <= MAPHUB_MAX_UPLOAD_BYTES,
            },
            features: s.features,
            geometry: s.by_kind.iter().map(|(k, n)| (k.as_str(), *n)).collect(),
            without_geometry: s.without_geometry,
            groups: s.groups,
            vertices: s.vertices,
            bbox: s.bbox.map(|b| [b.min_x, b.min_y, b.max_x, b.max_y]),
            not_representable: doc.meta.unrepresented.clone(),
            kmz: kmz.map(|c| KmzReport {
                main: c.main,
                other_kml: c.other_kml,
                assets: c
                    .assets
                    .into_iter()
                    .map(|(href, present)| Asset { href, present })
                    .collect(),
            }),
        }
    }

    pub fn write_human(&self, out: &mut impl Write) -> io::Result<()> {
        // The file's name and what the file names (KMZ entries, elements) are the
        // user's text: escaped.
        writeln!(out, "file:      {}", printable(&self.file))?;
        writeln!(out, "format:    {}", self.format)?;
        let fit = if self.maphub.fits {
            "fits MapHub's 15 MB upload limit"
        } else {
            "over MapHub's 15 MB upload limit: split it or use an Enterprise server"
        };
        writeln!(out, "size:      {} bytes ({fit})", self.bytes)?;
        let mut kinds: Vec<String> = self
            .geometry
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if self.without_geometry > 0 {
            kinds.push(format!("no geometry {}", self.without_geometry));
        }
        if kinds.is_empty() {
            writeln!(out, "features:  {}", self.features)?;
        } else {
            writeln!(out, "features:  {} ({})", self.features, kinds.join(", "))?;
        }
        writeln!(out, "groups:    {}", self.groups)?;
        writeln!(out, "vertices:  {}", self.vertices)?;
        match self.bbox {
            Some([a, b, c, d]) => writeln!(out, "bbox:      [{a}, {b}, {c}, {d}]")?,
            None => writeln!(out, "bbox:      none")?,
        }
        if !self.not_representable.is_empty() {
            let skipped: Vec<String> = self
                .not_representable
                .iter()
                .map(|(k, n)| format!("{} {n}", printable(k)))
                .collect();
            writeln!(
                out,
                "skipped:   {} (no place in a MapHub map)",
                skipped.join(", ")
            )?;
        }
        if let Some(k) = &self.kmz {
            writeln!(out, "kmz:       main {}", printable(&k.main))?;
            for other in &k.other_kml {
                writeln!(out, "           other KML (not read) {}", printable(other))?;
            }
            for a in &k.assets {
                let state = if a.present { "present" } else { "missing" };
                writeln!(out, "           asset {} ({state})", printable(&a.href))?;
            }
        }
        Ok(())
    }
}
