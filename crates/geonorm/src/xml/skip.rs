//! Passing over an element the walk does not read (a KML Placemark, a GPX track: read
//! again from their bytes on a worker thread; foreign KML metadata), by searching its
//! bytes for markup rather than tokenising every event inside it.
//!
//! quick-xml's `read_to_end_into` stays the judge. [`scan`] finds, within the bytes
//! the input holds in memory, how far quick-xml would read without error and with no
//! element open inside the one skipped; those bytes are consumed directly, and
//! `read_to_end_into` reads the rest: the end tag when the scan found it, else
//! everything from where the scan stopped (whatever it was unsure of: a buffer's end,
//! a mismatched end tag, a DOCTYPE, `<?xml`…). At such a point quick-xml's own state
//! (its stack of open names, its depth in the element) is what it would have been had
//! it read those bytes itself, so what it reports is what it reported before: the
//! bytes passed are added to its positions ([`Inspect::passed`]).
//!
//! Bench (benches/README.md, "Skipping pieces"; 15 MB, 1 thread, median of 6
//! alternating before/after runs on a loaded 2-core machine): `gpx-read-only` 128.3 →
//! 102.8 ms (−20 %); `kml-read-only` 74.5 → 74.1 ms and `kml-convert` 150.7 → 143.5 ms,
//! within the noise: a profile of the KML read showed the old skip at about 5 % of it,
//! the scan now at about 2 %.

use std::io::BufRead;

use quick_xml::name::QName;

use super::Inspect;

/// Reads past the rest of the element whose start tag `xml` has just read (qualified
/// name `name`), as `xml.read_to_end_into(QName(name), inner)` does, with the same
/// result, positions and consumption, but faster.
pub(crate) fn skip_to_end<R: BufRead>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    name: &[u8],
    inner: &mut Vec<u8>,
) -> quick_xml::Result<()> {
    // `<X/>` read as a start leaves quick-xml its end to give: nothing to pass.
    if !xml.get_ref().after_empty_tag() {
        let error_position = xml.error_position();
        xml.get_mut()
            .pass(error_position, |window| scan(window, name).safe)
            // The read that failed is the one quick-xml would have made first.
            .map_err(quick_xml::Error::from)?;
    }
    inner.clear();
    xml.read_to_end_into(QName(name), inner).map(drop)
}

/// How far [`scan`] got in the bytes after a start tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Bytes quick-xml reads without error, ending where no element is open inside
    /// the skipped one and markup (`<`) begins, or 0.
    pub safe: usize,
    /// The element's end tag begins at `safe`.
    pub ended: bool,
}

/// Deeper than this inside a skipped element, the scan stops (quick-xml goes on).
const MAX_OPEN: usize = 32;

/// Scans `bytes`, which follow the start tag of an element named `name` (as written,
/// prefix and all), for the element's end, mirroring quick-xml 0.37 with
/// `check_end_names` (on by default), `expand_empty_elements`, no `check_comments`.
pub(crate) fn scan(bytes: &[u8], name: &[u8]) -> Scan {
    let mut open: [&[u8]; MAX_OPEN] = [&[]; MAX_OPEN];
    let mut depth = 0;
    let mut safe = 0;
    let mut i = 0;
    let stop = |safe| Scan { safe, ended: false };
    loop {
        let Some(at) = memchr::memchr(b'<', bytes.get(i..).unwrap_or_default()).map(|p| i + p)
        else {
            return stop(safe);
        };
        if depth == 0 {
            safe = at;
        }
        let Some(&next) = bytes.get(at + 1) else {
            return stop(safe);
        };
        i = match next {
            b'/' => {
                let Some(gt) = tag_end(bytes, at + 2) else {
                    return stop(safe);
                };
                let found = trim_end(bytes.get(at + 2..gt).unwrap_or_default());
                if depth == 0 {
                    return Scan {
                        safe,
                        ended: found == name,
                    };
                }
                depth -= 1;
                if open.get(depth) != Some(&found) {
                    // quick-xml reports the mismatch; it reads from `safe` on.
                    return stop(safe);
                }
                gt + 1
            }
            b'!' => {
                let rest = bytes.get(at..).unwrap_or_default();
                // The end is searched for past the opening, as quick-xml does: `<!-->`
                // and `<!--->` open a comment without closing it.
                let (opening, closing): (&[u8], &[u8]) = if rest.starts_with(b"<!--") {
                    (b"<!--", b"-->")
                } else if rest.starts_with(b"<![CDATA[") {
                    (b"<![CDATA[", b"]]>")
                } else {
                    // A DOCTYPE, or markup quick-xml refuses.
                    return stop(safe);
                };
                let from = at + opening.len();
                match memchr::memmem::find(bytes.get(from..).unwrap_or_default(), closing) {
                    Some(p) => from + p + closing.len(),
                    None => return stop(safe),
                }
            }
            b'?' => {
                // quick-xml ends a processing instruction at the first `?>` after the
                // `<`: `<?>` is one, which it refuses.
                let from = at + 1;
                let Some(p) = memchr::memmem::find(bytes.get(from..).unwrap_or_default(), b"?>")
                else {
                    return stop(safe);
                };
                let content = bytes.get(at + 2..from + p).unwrap_or_default();
                if p == 0 || content.starts_with(b"xml") {
                    // Refused, or an XML declaration (which may change the encoding).
                    return stop(safe);
                }
                from + p + 2
            }
            _ => {
                let Some(gt) = tag_end(bytes, at + 1) else {
                    return stop(safe);
                };
                let content = bytes.get(at + 1..gt).unwrap_or_default();
                if !content.ends_with(b"/") {
                    // An empty element opens and closes at once; others stay open.
                    let Some(slot) = open.get_mut(depth) else {
                        return stop(safe);
                    };
                    *slot = content
                        .split(|&b| is_whitespace(b))
                        .next()
                        .unwrap_or_default();
                    depth += 1;
                }
                gt + 1
            }
        };
    }
}

/// The `>` ending a tag whose content starts at `from`: the first outside quotes, as
/// quick-xml's element parser finds it (end tags too).
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    let mut i = from;
    loop {
        let rest = bytes.get(i..)?;
        let p = match quote {
            None => memchr::memchr3(b'>', b'"', b'\'', rest)?,
            Some(q) => memchr::memchr(q, rest)?,
        };
        let at = i + p;
        match (quote, bytes.get(at).copied()) {
            (None, Some(b'>')) => return Some(at),
            (None, q @ Some(_)) => quote = q,
            _ => quote = None,
        }
        i = at + 1;
    }
}

/// XML's whitespace, as quick-xml tells names from what follows them.
fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// An end tag's name: what stands between `</` and `>`, less whitespace at its end
/// (all of it when it is only whitespace, as quick-xml keeps it).
fn trim_end(content: &[u8]) -> &[u8] {
    match content.iter().rposition(|&b| !is_whitespace(b)) {
        Some(last) => content.get(..=last).unwrap_or(content),
        None => content,
    }
}

#[cfg(test)]
#[path = "skip_tests.rs"]
mod tests;
