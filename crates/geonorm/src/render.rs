//! Diagnostics rendered for people (a code frame, or one line each) and for programs
//! (JSON, SARIF 2.1.0), so that the command line and every embedder print the same
//! thing. Needs the `render` feature.
//!
//! Positions come from the diagnostics' byte spans and the [`Source`] they point into;
//! line and column are worked out here, by [`LineIndex`], and nowhere else.
//!
//! ```
//! use geonorm::render::{human, HumanOptions, Source};
//! use geonorm::validate::CheckOptions;
//!
//! let bytes = br#"{"type":"Point","coordinates":[200,10]}"#;
//! let report = geonorm::check(bytes[..].into(), &CheckOptions::default())?;
//! let mut out = Vec::new();
//! human(&mut out, &Source::new("p.geojson", bytes), &report.diagnostics, &HumanOptions::default())?;
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.contains("p.geojson:1:31: error[geometry/lon-out-of-range]"), "{text}");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde_json::{json, Value};

mod json_text;
pub use json_text::json_text;
#[cfg(feature = "kmz")]
mod shown;
#[cfg(feature = "kmz")]
pub use shown::{placed_in_own_bytes, Shown};

use crate::diag::{bom_len, chars};
use crate::{Code, Diagnostic, LineIndex, Severity};

/// The text diagnostics point into, and what to call it.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The file as the user named it, e.g. `trip.kmz`, or `<stdin>`.
    pub name: &'a str,
    /// The archive entry the spans point into, for a KMZ (e.g. `doc.kml`); `None` when
    /// they point into the file itself.
    pub entry: Option<&'a str>,
    /// The bytes the spans point into: the file, or for a KMZ the entry's KML text.
    /// Empty when [`Source::located`] is given instead.
    pub text: &'a [u8],
    /// Positions worked out while streaming over a file too large to hold (see
    /// [`Located`]); used instead of `text` when given.
    pub located: Option<&'a Located>,
}

impl<'a> Source<'a> {
    /// Spans that point into the file `name` itself, whose bytes are `text`.
    pub fn new(name: &'a str, text: &'a [u8]) -> Self {
        Source {
            name,
            entry: None,
            text,
            located: None,
        }
    }

    /// Spans that point into the file `name`, which was not kept: `located` holds the
    /// line, column and surrounding text of each position the diagnostics name.
    pub fn streamed(name: &'a str, located: &'a Located) -> Self {
        Source {
            name,
            entry: None,
            text: &[],
            located: Some(located),
        }
    }

    /// The same name, with spans pointing into archive entry `entry`, whose bytes are
    /// `text` (for a KMZ: its main KML).
    #[must_use]
    pub fn in_entry(self, entry: &'a str, text: &'a [u8]) -> Self {
        Source {
            name: self.name,
            entry: Some(entry),
            text,
            located: None,
        }
    }

    /// Where a finding is, as every renderer writes it: `name:line:col`, or
    /// `name!entry:line:col` inside an archive; just `name` without a position (a
    /// finding about the whole file). Not escaped for a terminal.
    pub fn place(&self, position: Option<(usize, usize)>) -> String {
        match (position, self.entry) {
            (Some((l, c)), Some(entry)) => format!("{}!{entry}:{l}:{c}", self.name),
            (Some((l, c)), None) => format!("{}:{l}:{c}", self.name),
            (None, _) => self.name.to_string(),
        }
    }
}

/// Options for [`human`] and [`one_line`].
#[derive(Debug, Clone, Default)]
pub struct HumanOptions {
    /// Show at most this many findings of one code; the rest are counted in a line
    /// `name: … and N more code`. `None` shows all.
    pub max_per_code: Option<usize>,
    /// Colour and bold for a terminal (ANSI styles): the severity, the place, the
    /// gutter and caret, `help`. Off by default; the text is the same either way.
    pub color: bool,
}

/// The styles of [`human`] and [`one_line`] when [`HumanOptions::color`] is set.
struct Styles {
    place: anstyle::Style,
    severity: anstyle::Style,
    gutter: anstyle::Style,
    help: anstyle::Style,
}

impl Styles {
    fn new(color: bool, severity: Severity) -> Self {
        use anstyle::{AnsiColor, Style};
        if !color {
            return Styles {
                place: Style::new(),
                severity: Style::new(),
                gutter: Style::new(),
                help: Style::new(),
            };
        }
        let hue = match severity {
            Severity::Error => AnsiColor::Red,
            Severity::Warning => AnsiColor::Yellow,
            Severity::Info => AnsiColor::Cyan,
        };
        Styles {
            place: Style::new().bold(),
            severity: Style::new().bold().fg_color(Some(hue.into())),
            gutter: Style::new().bold().fg_color(Some(AnsiColor::Blue.into())),
            help: Style::new().bold().fg_color(Some(AnsiColor::Cyan.into())),
        }
    }
}

/// Writes diagnostics the way rustc does: `place: severity[code]: message`, the source
/// line with a caret under the column, then `    help: …`.
///
/// Everything taken from the file or the user (names, messages, the source line) is
/// passed through [`printable`], so the output cannot drive the terminal.
pub fn human<W: Write + ?Sized>(
    out: &mut W,
    src: &Source<'_>,
    diags: &[Diagnostic],
    opts: &HumanOptions,
) -> io::Result<()> {
    render_human(out, src, diags, opts, true)
}

/// Writes each diagnostic on one line, `place: severity: message [code]`, the form
/// editors and `grep` read, then `    help: …` when there is help. Escaped as [`human`].
pub fn one_line<W: Write + ?Sized>(
    out: &mut W,
    src: &Source<'_>,
    diags: &[Diagnostic],
    opts: &HumanOptions,
) -> io::Result<()> {
    render_human(out, src, diags, opts, false)
}

fn render_human<W: Write + ?Sized>(
    out: &mut W,
    src: &Source<'_>,
    diags: &[Diagnostic],
    opts: &HumanOptions,
    frame: bool,
) -> io::Result<()> {
    let pos = positions(src, diags);
    let index = (frame && src.located.is_none() && pos.iter().any(Option::is_some))
        .then(|| LineIndex::new(src.text));
    let mut shown: BTreeMap<Code, usize> = BTreeMap::new();
    for (d, p) in diags.iter().zip(&pos) {
        let n = shown.entry(d.code).or_default();
        *n += 1;
        if opts.max_per_code.is_some_and(|max| *n > max) {
            continue;
        }
        let place = src.place(*p);
        let st = Styles::new(opts.color, d.severity);
        let (pl, sv) = (st.place, st.severity);
        // The message and place come from the user: escaped (severity and code are
        // plain ASCII of ours).
        let (place, message) = (printable(&place), printable(&d.message));
        if frame {
            writeln!(
                out,
                "{pl}{place}{pl:#}: {sv}{}[{}]{sv:#}: {pl}{message}{pl:#}",
                d.severity, d.code
            )?;
        } else {
            writeln!(
                out,
                "{pl}{place}{pl:#}: {sv}{}{sv:#}: {message} [{}]",
                d.severity, d.code
            )?;
        }
        let frame_text = match (p, &index, src.located) {
            (Some((l, c)), Some(index), _) => code_frame(index, src.text, *l, *c),
            (Some(_), None, Some(located)) if frame => {
                d.span.and_then(|s| located.snippet(s.start)).and_then(
                    |(bytes, col, cut_left, cut_right)| frame_of(bytes, col, cut_left, cut_right),
                )
            }
            _ => None,
        };
        if let Some(l) = p.map(|(l, _)| l) {
            if let Some((text, caret)) = frame_text {
                let gutter = l.to_string().len();
                let g = st.gutter;
                writeln!(out, "{:gutter$} {g}|{g:#}", "")?;
                writeln!(out, "{g}{l} |{g:#} {text}")?;
                writeln!(out, "{:gutter$} {g}|{g:#} {:caret$}{sv}^{sv:#}", "", "")?;
            }
        }
        if let Some(h) = &d.help {
            let hs = st.help;
            writeln!(out, "    {hs}help{hs:#}: {}", printable(h))?;
        }
    }
    if let Some(max) = opts.max_per_code {
        for (code, n) in shown.iter().filter(|(_, n)| **n > max) {
            let line = format!("{}: … and {} more {code}", src.place(None), n - max);
            writeln!(out, "{}", printable(&line))?;
        }
    }
    Ok(())
}

/// The diagnostics as a JSON array, one object each with `code`, `severity`,
/// `message`, `help`, `line` and `column` (1-based, the column in characters),
/// `start` and `end` (byte offsets into the source's text) and `entry` (the archive
/// entry they count in, or null). Position fields are null for a finding without one.
pub fn json(src: &Source<'_>, diags: &[Diagnostic]) -> Value {
    let pos = positions(src, diags);
    Value::Array(
        diags
            .iter()
            .zip(pos)
            .map(|(d, p)| {
                json!({
                    "code": d.code,
                    "severity": d.severity,
                    "message": d.message,
                    "help": d.help,
                    "line": p.map(|p| p.0),
                    "column": p.map(|p| p.1),
                    "start": d.span.map(|s| s.start),
                    "end": d.span.map(|s| s.end),
                    "entry": d.span.and(src.entry),
                })
            })
            .collect(),
    )
}

/// A SARIF 2.1.0 log of one run over `files`: the rules met, one result per finding.
///
/// A finding inside a KMZ entry cannot give the archive as its artifact: its line and
/// column count in the KML, not in the zip's bytes. SARIF's answer for a file inside
/// another (§3.24.3, `artifact.parentIndex`) is a nested artifact, so the run lists
/// the archive (`trip.kmz`) and its entry (`doc.kml`, with `parentIndex` naming the
/// archive), and the result's `artifactLocation` gives the entry's `uri` and its
/// `index` in `run.artifacts` (required to tell a nested artifact from a top-level
/// file of the same name). A `logicalLocation` named `trip.kmz!doc.kml` says the same
/// for viewers that do not follow `parentIndex`. Runs without archives list no
/// artifacts.
pub fn sarif(files: &[(Source<'_>, &[Diagnostic])]) -> Value {
    let mut codes: Vec<Code> = files
        .iter()
        .flat_map(|(_, diags)| diags.iter().map(|d| d.code))
        .collect();
    codes.sort();
    codes.dedup();
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
    let mut artifacts = Vec::new();
    let mut findings = Vec::new();
    for (src, diags) in files {
        let uri = uri_of(src.name);
        let entry = src.entry.map(|entry| {
            artifacts.push(json!({"location": {"uri": uri}}));
            artifacts.push(json!({
                "location": {"uri": entry},
                "parentIndex": artifacts.len() - 1,
            }));
            (entry, artifacts.len() - 1)
        });
        for (d, p) in diags.iter().zip(positions(src, diags)) {
            let mut location = match (entry, p) {
                (Some((entry, index)), Some(_)) => json!({
                    "physicalLocation": {"artifactLocation": {"uri": entry, "index": index}},
                    "logicalLocations": [{"fullyQualifiedName": format!("{uri}!{entry}")}],
                }),
                _ => json!({"physicalLocation": {"artifactLocation": {"uri": uri}}}),
            };
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
    let mut run = json!({
        "tool": {"driver": {
            "name": "geonorm",
            "version": env!("CARGO_PKG_VERSION"),
            "informationUri": "https://github.com/geonorm/geonorm",
            "rules": rules,
        }},
    });
    if !artifacts.is_empty() {
        run["artifacts"] = Value::Array(artifacts);
    }
    run["results"] = Value::Array(findings);
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    })
}

/// SARIF's level for a severity: it has `note` where geonorm has `info`.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative URI with forward slashes, as SARIF viewers resolve against the checkout.
fn uri_of(name: &str) -> String {
    Path::new(name)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
        .replace("//", "/")
}

/// Whether `c` must not reach a terminal as it is: C0 controls (tab, CR and LF
/// included), DEL, C1 controls, and the bidirectional overrides and isolates that
/// reorder what follows them.
fn is_unsafe(c: char) -> bool {
    matches!(c, '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every character unsafe for a terminal (controls, tab, CR and LF included,
/// and bidirectional overrides) written as a Rust-style escape (`\u{1b}`), so it stays
/// on one line and shows what it held. Borrowed when nothing needed escaping.
///
/// Apply it to one field or one line at a time: a newline the caller prints itself
/// is structure and must not pass through here.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Line and column of each diagnostic's start. Diagnostics mostly come in source
/// order, so each is counted on from the one before when it is on the same line,
/// instead of from the start of its line (which would cost the square of a long
/// line's length: a minified GeoJSON is one line).
fn positions(src: &Source<'_>, diags: &[Diagnostic]) -> Vec<Option<(usize, usize)>> {
    if diags.iter().all(|d| d.span.is_none()) {
        return vec![None; diags.len()];
    }
    if let Some(located) = src.located {
        return diags
            .iter()
            .map(|d| located.line_col(d.span?.start))
            .collect();
    }
    let text = src.text;
    let index = LineIndex::new(text);
    // A byte order mark is no column: counting on from inside it starts after it.
    let bom = bom_len(text);
    let mut last: Option<(usize, usize, usize)> = None;
    diags
        .iter()
        .map(|d| {
            let offset = d.span?.start.min(text.len());
            let between = last.and_then(|(o, _, _)| text.get(o.max(bom)..offset));
            let here = match (last, between) {
                (Some((_, l, c)), Some(seg)) if !seg.contains(&b'\n') => (l, c + chars(seg)),
                _ => index.line_col(text, offset),
            };
            last = Some((offset, here.0, here.1));
            Some(here)
        })
        .collect()
}

/// The text of `line`, at most about 100 characters around `col`, escaped for the
/// terminal, and the caret's column in it (counted in the escaped text, so it still
/// points at the character it points at).
fn code_frame(index: &LineIndex, text: &[u8], line: usize, col: usize) -> Option<(String, usize)> {
    frame_of(index.line_text(text, line)?, col, false, false)
}

/// The code frame of `bytes` (a line, or a piece of one cut on the left and/or right)
/// with the caret at 1-based character `col` of `bytes`.
fn frame_of(bytes: &[u8], col: usize, cut_left: bool, cut_right: bool) -> Option<(String, usize)> {
    let chars: Vec<char> = String::from_utf8_lossy(bytes).chars().collect();
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
        let s: String = chars
            .get(a..b)
            .unwrap_or_default()
            .iter()
            .map(|&c| if c == '\t' { ' ' } else { c })
            .collect();
        printable(&s).into_owned()
    };
    let before = part(from, col0);
    let mut caret = before.chars().count();
    let mut shown = before + &part(col0, to);
    if from > 0 || cut_left {
        shown.insert(0, '…');
        caret += 1;
    }
    if to < chars.len() || cut_right {
        shown.push('…');
    }
    Some((shown, caret))
}

/// Bytes of a line kept on each side of a position while streaming: enough for the
/// 50 characters a code frame shows on each side, at up to 4 bytes a character.
const SNIPPET_SIDE: usize = 256;

/// Line, column and the surrounding text of chosen byte offsets of a file, worked
/// out in one streaming pass, so that diagnostics of a file too large to hold can be
/// shown with their code frame (see [`Source::streamed`]). Counts as [`LineIndex`]
/// does: lines after `\n`, columns in characters, a UTF-8 byte order mark no column.
#[derive(Debug, Clone, Default)]
pub struct Located {
    /// Sorted by offset.
    at: Vec<Spot>,
}

/// Keeps the last [`SNIPPET_SIDE`] bytes of `tail`, starting at a character (so a
/// snippet's characters are its line's); true when some were dropped.
/// Counts the lines and characters of `bytes`, none of which is wanted or taken by a
/// snippet, keeping the current line's last bytes: what taking them one by one does.
fn bulk(
    bytes: &[u8],
    line: &mut usize,
    col: &mut usize,
    tail: &mut std::collections::VecDeque<u8>,
    tail_cut: &mut bool,
) {
    match memchr::memrchr(b'\n', bytes) {
        Some(last) => {
            *line += memchr::memchr_iter(b'\n', bytes).count();
            let rest = &bytes[last + 1..];
            *col = crate::diag::chars(rest) + 1;
            tail.clear();
            *tail_cut = false;
            tail.extend(rest.iter().copied());
        }
        None => {
            *col += crate::diag::chars(bytes);
            tail.extend(bytes.iter().copied());
        }
    }
    *tail_cut |= keep_last(tail);
}

fn keep_last(tail: &mut std::collections::VecDeque<u8>) -> bool {
    if tail.len() <= SNIPPET_SIDE {
        return false;
    }
    tail.drain(..tail.len() - SNIPPET_SIDE);
    while tail.front().is_some_and(|&b| (b & 0xC0) == 0x80) {
        tail.pop_front();
    }
    true
}

impl Spot {
    /// `offset`, at `line` and `col`, after `left` (its line so far, cut or not).
    fn new(
        offset: usize,
        line: usize,
        col: usize,
        left: &std::collections::VecDeque<u8>,
        cut_left: bool,
    ) -> Spot {
        let text: Vec<u8> = left.iter().copied().collect();
        Spot {
            offset,
            line,
            col,
            caret: crate::diag::chars(&text) + 1,
            text,
            cut_left,
            cut_right: false,
        }
    }
}

/// One located offset.
#[derive(Debug, Clone)]
struct Spot {
    offset: usize,
    line: usize,
    col: usize,
    /// The line's text around the offset.
    text: Vec<u8>,
    /// The 1-based column of the offset in `text`.
    caret: usize,
    /// Whether `text` is cut from its line on the left, on the right.
    cut_left: bool,
    cut_right: bool,
}

impl Located {
    /// Reads `input` once and locates each of `offsets` (an offset past the end is
    /// located at the end).
    pub fn scan<R: io::Read>(
        input: R,
        offsets: impl IntoIterator<Item = usize>,
    ) -> io::Result<Located> {
        let mut wanted: Vec<usize> = offsets.into_iter().collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut at = Vec::with_capacity(wanted.len());
        let mut next = 0; // index into `wanted`
        let mut reader = io::BufReader::with_capacity(1 << 16, input);
        let (mut pos, mut line, mut col) = (0usize, 1usize, 1usize);
        // The current line's last bytes (for the left side of a snippet).
        let mut tail: std::collections::VecDeque<u8> = std::collections::VecDeque::new();
        let mut tail_cut = false;
        // Snippets still taking bytes on their right: index into `at`, bytes left.
        let mut open: Vec<(usize, usize)> = Vec::new();
        let mut bom = 0;
        loop {
            let buf = io::BufRead::fill_buf(&mut reader)?;
            if buf.is_empty() {
                break;
            }
            let n = buf.len();
            // Nothing to locate in this buffer and no snippet taking bytes: count lines
            // and characters in bulk (memchr), keep the line's last bytes, move on.
            let busy =
                !open.is_empty() || wanted.get(next).is_some_and(|&w| w < pos + n) || pos < 3;
            if !busy {
                bulk(buf, &mut line, &mut col, &mut tail, &mut tail_cut);
                pos += n;
                io::BufRead::consume(&mut reader, n);
                continue;
            }
            let mut k = 0;
            while let Some(&b) = buf.get(k) {
                let offset = pos + k;
                // Up to the next offset wanted, with no snippet taking bytes: counted
                // in bulk too (a file with findings every few kilobytes is mostly
                // bytes between them).
                if open.is_empty() && offset >= 3 {
                    let stop = match wanted.get(next) {
                        Some(&w) if w < pos + n => w - pos,
                        _ => n,
                    };
                    if stop > k {
                        bulk(&buf[k..stop], &mut line, &mut col, &mut tail, &mut tail_cut);
                        k = stop;
                        continue;
                    }
                }
                k += 1;
                if offset < 3 && bom == offset && b == b"\xEF\xBB\xBF"[offset] {
                    bom += 1;
                }
                while wanted.get(next) == Some(&offset) {
                    // Inside a byte order mark `col` is still 1, as `LineIndex` has it.
                    at.push(Spot::new(offset, line, col, &tail, tail_cut));
                    open.push((at.len() - 1, SNIPPET_SIDE));
                    next += 1;
                }
                if b == b'\n' {
                    for (i, _) in open.drain(..) {
                        let s = &mut at[i].text;
                        if s.last() == Some(&b'\r') {
                            s.pop();
                        }
                    }
                    line += 1;
                    col = 1;
                    tail.clear();
                    tail_cut = false;
                    continue;
                }
                if offset < bom {
                    // No part of a line's text, as `LineIndex` has it.
                    continue;
                }
                open.retain_mut(|(i, left)| {
                    at[*i].text.push(b);
                    *left -= 1;
                    if *left == 0 {
                        at[*i].cut_right = true;
                    }
                    *left > 0
                });
                if (b & 0xC0) != 0x80 {
                    col += 1;
                }
                tail.push_back(b);
                tail_cut |= keep_last(&mut tail);
            }
            pos += n;
            io::BufRead::consume(&mut reader, n);
        }
        // Offsets past the end are at the end.
        for &offset in &wanted[next..] {
            at.push(Spot::new(offset, line, col, &tail, tail_cut));
        }
        for (i, _) in open {
            if at[i].text.last() == Some(&b'\r') {
                at[i].text.pop();
            }
        }
        Ok(Located { at })
    }

    fn find(&self, offset: usize) -> Option<&Spot> {
        let i = self.at.partition_point(|a| a.offset < offset);
        self.at.get(i).filter(|a| a.offset == offset)
    }

    /// The 1-based line and column of `offset`, if it was asked for.
    pub fn line_col(&self, offset: usize) -> Option<(usize, usize)> {
        self.find(offset).map(|a| (a.line, a.col))
    }

    fn snippet(&self, offset: usize) -> Option<(&[u8], usize, bool, bool)> {
        self.find(offset)
            .map(|a| (&a.text[..], a.caret, a.cut_left, a.cut_right))
    }
}

#[cfg(test)]
mod tests;
