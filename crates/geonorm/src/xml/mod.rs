//! What the XML formats (KML, GPX) share: getting the input to UTF-8, small element
//! trees for the pieces that carry data, and telling a format's own elements from
//! foreign ones.

pub(crate) mod dom;
pub(crate) mod skip;
pub(crate) mod stream;
pub(crate) mod syntax;

use std::borrow::Cow;
use std::io::{BufRead, BufReader};

use encoding_rs::Encoding;

use crate::diag::times;
use crate::{Code, Diagnostic, Format, Result, Span};

/// The input as UTF-8, inspected on the way ([`Inspect`]). UTF-16 (by byte order mark
/// or by the shape of `<?xml`) and single-byte encodings declared in the prolog
/// (ISO-8859-1, Windows-1252…) are transcoded while reading; byte offsets in
/// diagnostics then count the UTF-8 text, which [`decoded_text`] gives back. A UTF-8
/// byte order mark is skipped here but still counted ([`Inspect::skipped`]): offsets
/// are those of the user's bytes.
pub(crate) fn utf8_input<'a, R: BufRead + 'a>(mut input: R) -> Result<Inspect<Buffered<'a>>> {
    let head = input.fill_buf()?;
    if head.starts_with(UTF8_BOM) {
        input.consume(UTF8_BOM.len());
        return Ok(Inspect::new(
            buffered(Box::new(input)),
            true,
            UTF8_BOM.len(),
        ));
    }
    match sniff_encoding(head) {
        None => Ok(Inspect::new(buffered(Box::new(input)), true, 0)),
        Some(encoding) => {
            let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .bom_override(true)
                .build(input);
            Ok(Inspect::new(buffered(Box::new(decoder)), false, 0))
        }
    }
}

/// The input the XML parser reads: any reader, buffered here. quick-xml asks for the
/// buffer several times an event; a buffer of a type known here answers inline,
/// where a boxed `BufRead` was a call through its vtable each time (and the CLI's
/// progress and file buffers behind it): 9 % of a GPX conversion's instructions. The
/// reader behind is called once a buffer, and a buffered one hands over its bytes
/// without a copy into its own buffer first (std's `BufReader` reads straight into a
/// larger one).
pub(crate) type Buffered<'a> = BufReader<Box<dyn std::io::Read + 'a>>;

/// The size of [`Buffered`]'s buffer: larger than the buffers behind it (the CLI's
/// 256 KiB, a KMZ entry's 64 KiB, std's 8 KiB), so that they are read through. At
/// 128 KiB, under the CLI's, every byte was copied once more: KML took 0.6 % more
/// instructions instead of fewer.
const XML_BUFFER: usize = 512 * 1024;

fn buffered<'a>(input: Box<dyn std::io::Read + 'a>) -> Buffered<'a> {
    BufReader::with_capacity(XML_BUFFER, input)
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The text the XML readers parse, when it is not `bytes` themselves: for UTF-16 and
/// single-byte encodings, the UTF-8 they are transcoded to (without a byte order
/// mark), which is what diagnostics' spans count in. `None` for UTF-8 input, whose
/// spans count in `bytes` (a byte order mark included). Decoded by [`utf8_input`]
/// itself, so the two cannot disagree; line and column are the same in both texts,
/// since transcoding keeps every character and line end.
pub(crate) fn decoded_text(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    if bytes.starts_with(UTF8_BOM) || sniff_encoding(bytes).is_none() {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    // Reading from memory fails only on what the decoder cannot read; it replaces
    // malformed input with U+FFFD instead, so this is not expected to fail.
    utf8_input(bytes).ok()?.read_to_end(&mut out).ok()?;
    Some(out)
}

// Here rather than in `format`, beside the decoding it exposes: the XML layer reports
// errors (`crate::Error`), which name formats, so `format` cannot depend on it.
impl Format {
    /// The text that diagnostics' spans count in, for a whole input `bytes` read as
    /// this format: `bytes` themselves, except for KML and GPX in UTF-16 or in an
    /// encoding declared in the prolog (ISO-8859-1, Windows-1252…), which are read as
    /// the UTF-8 they transcode to. That text has the same lines and characters as the
    /// file, so line and column found in it are the file's. Give it to a renderer as
    /// the source text. (For a KMZ, the spans count in the KML entry: ask
    /// `Format::Kml` with the entry's bytes.)
    ///
    /// ```
    /// use geonorm::Format;
    /// let utf16: Vec<u8> = [0xFF, 0xFE].into_iter()
    ///     .chain("<kml>é</kml>".encode_utf16().flat_map(u16::to_le_bytes))
    ///     .collect();
    /// assert_eq!(&*Format::Kml.spans_text(&utf16), "<kml>é</kml>".as_bytes());
    /// assert_eq!(&*Format::Kml.spans_text(b"<kml/>"), b"<kml/>");
    /// ```
    pub fn spans_text(self, bytes: &[u8]) -> Cow<'_, [u8]> {
        let decoded = match self {
            Format::Kml | Format::Gpx => decoded_text(bytes),
            Format::GeoJson | Format::Kmz => None,
        };
        decoded.map_or(Cow::Borrowed(bytes), Cow::Owned)
    }
}

/// The encoding of an XML text that is not UTF-8, `None` for UTF-8.
fn sniff_encoding(head: &[u8]) -> Option<&'static Encoding> {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"<\0?\0") {
        return Some(encoding_rs::UTF_16LE);
    }
    if head.starts_with(b"\xFE\xFF") || head.starts_with(b"\0<\0?") {
        return Some(encoding_rs::UTF_16BE);
    }
    let decl = head.strip_prefix(b"<?xml")?;
    let end = memchr::memmem::find(decl, b"?>")?;
    let decl = &decl[..end];
    let at = memchr::memmem::find(decl, b"encoding")?;
    let rest = &decl[at + b"encoding".len()..];
    let quote = rest.iter().position(|&b| b == b'"' || b == b'\'')?;
    let rest = &rest[quote + 1..];
    let close = rest.iter().position(|&b| b == b'"' || b == b'\'')?;
    let encoding = Encoding::for_label(&rest[..close])?;
    (encoding != encoding_rs::UTF_8).then_some(encoding)
}

/// What the XML layer could not keep exactly as written, tallied for one document and
/// reported once per kind with a count and the first position (a file with one bad
/// byte usually has thousands).
#[derive(Debug, Default)]
pub(crate) struct TextFindings {
    /// Byte sequences that are not UTF-8, each read as U+FFFD.
    invalid_utf8: Occurrences,
    /// NUL and the other control characters XML 1.0 forbids, removed from text.
    forbidden_chars: Occurrences,
    /// References to entities XML does not define (`&nbsp;`, DTD-declared `&j;`), kept
    /// as written.
    entities: Occurrences,
    /// The first entity reference kept, for the message.
    first_entity: String,
    /// Text decoded away from the scan of the input (a piece parsed on a worker thread)
    /// strips forbidden characters when the scan met any.
    strip_forbidden: bool,
}

/// How often one kind of finding occurred, and the offset of the first.
#[derive(Debug, Default, Clone, Copy)]
struct Occurrences {
    count: usize,
    first: usize,
}

impl Occurrences {
    fn add(&mut self, at: usize) {
        if self.count == 0 {
            self.first = at;
        }
        self.count += 1;
    }
}

impl TextFindings {
    fn entity(&mut self, at: usize, reference: &str) {
        if self.entities.count == 0 {
            self.first_entity = reference.to_string();
        }
        self.entities.add(at);
    }

    /// Findings for decoding a piece of this input elsewhere: they strip forbidden
    /// characters as this input's text does, and hold nothing yet.
    pub(crate) fn for_piece(&self) -> TextFindings {
        TextFindings {
            strip_forbidden: self.strip_forbidden || self.forbidden_chars.count > 0,
            ..TextFindings::default()
        }
    }

    /// Adds what decoding a piece found ([`Self::for_piece`]); only decoding finds
    /// entities, the scan the rest.
    pub(crate) fn merge(&mut self, piece: &TextFindings) {
        let e = piece.entities;
        if e.count == 0 {
            return;
        }
        if self.entities.count == 0 || e.first < self.entities.first {
            self.entities.first = e.first;
            self.first_entity.clone_from(&piece.first_entity);
        }
        self.entities.count += e.count;
    }

    /// The findings as diagnostics, one per kind.
    pub(crate) fn diagnostics(&self) -> Vec<Diagnostic> {
        let kinds = [
            (
                self.invalid_utf8,
                Code::XmlInvalidUtf8,
                "bytes that are not UTF-8, as the file declares; each read as U+FFFD".to_string(),
                1,
            ),
            (
                self.forbidden_chars,
                Code::XmlForbiddenChar,
                "a NUL or other control character, which XML forbids; removed from the text"
                    .to_string(),
                1,
            ),
            (
                self.entities,
                Code::XmlEntityNotExpanded,
                format!(
                    "`{}` is not one of XML's five entities; geonorm never expands entities (declared in a DTD or not), so it is kept as written",
                    self.first_entity
                ),
                self.first_entity.len().max(1),
            ),
        ];
        kinds
            .into_iter()
            .filter(|(t, ..)| t.count > 0)
            .map(|(t, code, message, len)| {
                Diagnostic::new(code, format!("{message}{}", times(t.count)))
                    .at(Span::new(t.first, t.first + len))
            })
            .collect()
    }
}

/// The most NUL and other control bytes an XML input may hold (each removed from the
/// text, with a warning): past this it is binary data, and refused as it is read.
pub(crate) const MAX_FORBIDDEN_CHARS: usize = 1 << 20;

/// True for the characters XML 1.0 forbids in a document (§2.2): C0 controls other
/// than tab, line feed and carriage return.
fn forbidden(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')
}

/// True for the characters XML 1.0 allows (§2.2), as far as text can hold them.
fn allowed_char(c: char) -> bool {
    (c >= ' ' || matches!(c, '\t' | '\n' | '\r')) && c != '\u{FFFE}' && c != '\u{FFFF}'
}

/// Passes the input through unchanged while noting, at their byte offsets, what XML
/// does not allow: invalid UTF-8 and forbidden control characters. Scanning the
/// buffers here, in bulk, is cheaper than checking every text node, and also sees
/// bytes outside text.
pub(crate) struct Inspect<R> {
    inner: R,
    /// Bytes of the input before what `inner` gives (a UTF-8 byte order mark), which
    /// positions count: the parser never sees them.
    skipped: usize,
    /// Bytes consumed so far, `skipped` included.
    pos: usize,
    /// Bytes scanned so far (at least `pos`: whatever `fill_buf` returned was scanned).
    scanned: usize,
    scanner: Scanner,
    /// The bytes consumed since offset `recorded_from`, kept while the streaming
    /// readers cut the input into pieces parsed elsewhere ([`stream`]).
    record: Option<Vec<u8>>,
    recorded_from: usize,
    /// A buffer handed back for recording into next.
    spare: Vec<u8>,
    /// False for a piece already scanned as part of its whole input.
    scan: bool,
    /// Bytes consumed here rather than by the parser ([`skip`]), which its positions
    /// do not count.
    passed: usize,
    /// The parser's error position when bytes were last passed, and `passed` then: an
    /// error position still the same (quick-xml keeps the last one for errors without
    /// a place of their own, such as a missing end tag) counts only the bytes passed
    /// before it was set.
    error_mark: (u64, usize),
}

struct Scanner {
    /// The start of a UTF-8 sequence cut by the end of a buffer, and its offset.
    carry: Vec<u8>,
    carry_at: usize,
    findings: TextFindings,
    /// False for transcoded input, which is UTF-8 by construction.
    check_utf8: bool,
}

impl<R: BufRead> Inspect<R> {
    fn new(inner: R, check_utf8: bool, skipped: usize) -> Self {
        Inspect {
            inner,
            skipped,
            pos: skipped,
            scanned: skipped,
            scanner: Scanner {
                carry: Vec::new(),
                carry_at: 0,
                findings: TextFindings::default(),
                check_utf8,
            },
            record: None,
            recorded_from: skipped,
            spare: Vec::new(),
            scan: true,
            passed: 0,
            error_mark: (0, 0),
        }
    }

    /// True when the bytes consumed last end an empty tag (`/>`), or when that is not
    /// known (nothing recorded).
    pub(crate) fn after_empty_tag(&self) -> bool {
        match &self.record {
            Some(r) if r.len() >= 2 => r.ends_with(b"/>"),
            _ => true,
        }
    }

    /// Consumes, past the parser, as many of the bytes the input holds in memory as
    /// `how_far` says (given them); `error_position` is the parser's now. An interrupted
    /// read passes nothing.
    pub(crate) fn pass(
        &mut self,
        error_position: u64,
        how_far: impl FnOnce(&[u8]) -> usize,
    ) -> std::io::Result<()> {
        if error_position != self.error_mark.0 {
            self.error_mark = (error_position, self.passed);
        }
        let n = match self.fill_buf() {
            Ok(window) => how_far(window).min(window.len()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => 0,
            Err(e) => return Err(e),
        };
        if n > 0 {
            self.consume(n);
            self.passed += n;
        }
        Ok(())
    }

    /// Bytes consumed past the parser ([`Self::pass`]): its positions count from
    /// `passed` bytes further on.
    pub(crate) fn passed(&self) -> usize {
        self.passed
    }

    /// Bytes passed before the parser reported `error_position` (see `error_mark`).
    pub(crate) fn passed_before_error(&self, error_position: u64) -> usize {
        if error_position == self.error_mark.0 {
            self.error_mark.1
        } else {
            self.passed
        }
    }

    /// Keeps every byte consumed from now on, until [`Self::forget_recorded`].
    pub(crate) fn start_recording(&mut self) {
        self.record = Some(Vec::new());
        self.recorded_from = self.pos;
    }

    /// The bytes recorded, and the offset of the first.
    pub(crate) fn recorded(&self) -> (&[u8], usize) {
        (
            self.record.as_deref().unwrap_or_default(),
            self.recorded_from,
        )
    }

    /// Hands over what was recorded, and the offset of its first byte; recording goes
    /// on into the buffer [`Self::give_back`] returned last, from the last few bytes
    /// (as [`Self::forget_recorded`] keeps them).
    pub(crate) fn take_recorded(&mut self) -> (Vec<u8>, usize) {
        let from = self.recorded_from;
        let Some(record) = &mut self.record else {
            return (Vec::new(), from);
        };
        let mut next = std::mem::take(&mut self.spare);
        next.clear();
        let keep = record.len().min(KEEP);
        next.extend_from_slice(&record[record.len() - keep..]);
        self.recorded_from = self.pos - keep;
        (std::mem::replace(record, next), from)
    }

    /// A buffer [`Self::take_recorded`] handed over, for the next one to reuse.
    pub(crate) fn give_back(&mut self, buffer: Vec<u8>) {
        self.spare = buffer;
    }

    /// Drops what was recorded (its pieces have been parsed); recording goes on. The
    /// last few bytes stay ([`KEEP`]).
    pub(crate) fn forget_recorded(&mut self) {
        if let Some(r) = &mut self.record {
            if r.len() > KEEP {
                r.drain(..r.len() - KEEP);
            }
            self.recorded_from = self.pos - r.len();
        }
    }

    /// Bytes before what the parser reads, to add to its positions.
    pub(crate) fn skipped(&self) -> usize {
        self.skipped
    }

    /// What was found so far.
    pub(crate) fn findings(&self) -> &TextFindings {
        &self.scanner.findings
    }

    /// What was found so far; all of it once the input has been read to its end.
    pub(crate) fn findings_mut(&mut self) -> &mut TextFindings {
        &mut self.scanner.findings
    }
}

/// Bytes kept from a recording that is dropped or handed over: the parser consumes the
/// `<` of a tag before it reports the tag's position.
const KEEP: usize = 16;

impl<'a> Inspect<&'a [u8]> {
    /// A piece of an input that was scanned already, starting at offset `base` of it:
    /// positions count in the whole input, nothing is scanned again, and text strips
    /// what the whole input's text strips.
    pub(crate) fn piece(bytes: &'a [u8], base: usize, findings: TextFindings) -> Self {
        let mut p = Inspect::new(bytes, false, base);
        p.scan = false;
        p.scanner.findings = findings;
        p
    }
}

impl Scanner {
    fn scan(&mut self, chunk: &[u8], base: usize) {
        // Blocks folded without an early exit, so the compiler can vectorise the test.
        let any_forbidden = chunk
            .chunks(64)
            .any(|block| block.iter().fold(false, |seen, &b| seen | forbidden(b)));
        if any_forbidden {
            for (i, &b) in chunk.iter().enumerate() {
                if forbidden(b) {
                    self.findings.forbidden_chars.add(base + i);
                }
            }
        }
        if !self.check_utf8 {
            return;
        }
        let mut i = 0;
        if let Some(&lead) = self.carry.first() {
            let want = utf8_len(lead);
            while self.carry.len() < want && i < chunk.len() && chunk[i] & 0xC0 == 0x80 {
                self.carry.push(chunk[i]);
                i += 1;
            }
            if self.carry.len() < want && i == chunk.len() {
                return; // still cut: wait for the next buffer
            }
            if std::str::from_utf8(&self.carry).is_err() {
                self.findings.invalid_utf8.add(self.carry_at);
            }
            self.carry.clear();
        }
        while i < chunk.len() {
            let Err(e) = std::str::from_utf8(&chunk[i..]) else {
                return;
            };
            let bad = i + e.valid_up_to();
            match e.error_len() {
                Some(n) => {
                    self.findings.invalid_utf8.add(base + bad);
                    i = bad + n;
                }
                None => {
                    self.carry.extend_from_slice(&chunk[bad..]);
                    self.carry_at = base + bad;
                    return;
                }
            }
        }
    }

    fn end(&mut self) {
        if !self.carry.is_empty() {
            self.findings.invalid_utf8.add(self.carry_at);
            self.carry.clear();
        }
    }
}

/// The length of the UTF-8 sequence a lead byte starts (1 for a byte that starts none).
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

impl<R: BufRead> std::io::Read for Inspect<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Inspect<R> {
    // quick-xml asks for the buffer several times an event (5 million times for a
    // 15 MB GPX): the common case, bytes scanned already, is inlined into it, the
    // scan of fresh bytes kept apart.
    #[inline]
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let buf = self.inner.fill_buf()?;
        if !self.scan || (!buf.is_empty() && self.pos + buf.len() <= self.scanned) {
            return Ok(buf);
        }
        scan_fresh(&mut self.scanner, &mut self.scanned, self.pos, buf)?;
        Ok(buf)
    }

    #[inline]
    fn consume(&mut self, amt: usize) {
        if let Some(record) = &mut self.record {
            // What `fill_buf` returned last: asked again, it is returned without a read.
            if let Ok(buf) = self.inner.fill_buf() {
                record.extend_from_slice(buf.get(..amt).unwrap_or(buf));
            }
        }
        self.pos += amt;
        self.inner.consume(amt);
    }
}

/// Scans the bytes of `buf` (the input from offset `pos`, some of it not scanned yet)
/// past `scanned`, or notes the end of the input when it is empty; an error once the
/// input has too many forbidden bytes to be XML.
#[inline(never)]
fn scan_fresh(
    scanner: &mut Scanner,
    scanned: &mut usize,
    pos: usize,
    buf: &[u8],
) -> std::io::Result<()> {
    if buf.is_empty() {
        scanner.end();
        return Ok(());
    }
    let fresh = scanned.saturating_sub(pos);
    scanner.scan(buf.get(fresh..).unwrap_or_default(), *scanned);
    *scanned = pos + buf.len();
    let forbidden = scanner.findings.forbidden_chars.count;
    if forbidden > MAX_FORBIDDEN_CHARS {
        // Binary data after a start that looked like XML: stopped here, before a text
        // node of it is held whole.
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not a map file (binary data: {forbidden} NUL or other control bytes, which XML forbids, in its first {} bytes)",
                *scanned
            ),
        ));
    }
    Ok(())
}

/// How [`text`] decodes the bytes between tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decode {
    /// Text content as XML means it: the five entities and character references
    /// decoded (any other reference kept as written, and noted), line ends LF.
    Text,
    /// As `Text`, with CR left in place: offsets into coordinates must stay exact, and
    /// CR is only whitespace there.
    Coordinates,
    /// As written, references and all (CDATA, and markup inside a text element, where
    /// it is HTML); only the line ends normalised.
    AsWritten,
    /// An attribute value: as `Text`, then each whitespace character a space (§3.3.3).
    Attribute,
}

/// Appends to `out` the text of `raw` (which starts at offset `at`) decoded as `how`
/// says (appending, not returning, saves a copy per text node on the hot path), line ends
/// normalised to LF (XML 1.0 §2.11) and forbidden characters dropped. The scan of the
/// input has already counted those; only when it met one is the text searched for it.
pub(crate) fn text(
    out: &mut String,
    raw: &[u8],
    at: usize,
    how: Decode,
    findings: &mut TextFindings,
) {
    // The scan of the input already counted bad bytes; `from_utf8` is the fast check,
    // the lossy decoder only runs where it failed.
    let s = match std::str::from_utf8(raw) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(raw),
    };
    // One search tells whether there is anything to do: most text has nothing.
    let strip = findings.strip_forbidden || findings.forbidden_chars.count > 0;
    let plain = match how {
        Decode::AsWritten => memchr::memchr(b'\r', raw).is_none(),
        Decode::Attribute => {
            memchr::memchr3(b'&', b'\r', b'\n', raw).is_none() && !raw.contains(&b'\t')
        }
        _ => memchr::memchr2(b'&', b'\r', raw).is_none(),
    } && !(strip && raw.iter().any(|&b| forbidden(b)));
    let attribute = how == Decode::Attribute;
    if plain {
        out.push_str(&s);
        return;
    }
    let from = out.len();
    out.reserve(s.len());
    let mut rest: &str = &s;
    let mut offset = at;
    let stops: &[char] = if how == Decode::AsWritten {
        &['\r']
    } else {
        &['&', '\r']
    };
    while let Some(i) = rest.find(stops) {
        push_allowed(out, &rest[..i]);
        if rest.as_bytes()[i] == b'\r' {
            let crlf = rest.as_bytes().get(i + 1) == Some(&b'\n');
            let skip = if how == Decode::Coordinates {
                out.push('\r');
                1
            } else {
                out.push('\n');
                if crlf {
                    2
                } else {
                    1
                }
            };
            rest = &rest[i + skip..];
            offset += i + skip;
            continue;
        }
        let reference = rest[i..]
            .find(';')
            .filter(|&j| j <= 40)
            .map(|j| &rest[i..i + j + 1]);
        let Some(reference) = reference else {
            // A bare `&` (quick-xml let it through): keep it.
            out.push('&');
            rest = &rest[i + 1..];
            offset += i + 1;
            continue;
        };
        match resolve(&reference[1..reference.len() - 1]) {
            Some(c) => out.push(c),
            None => {
                findings.entity(offset + i, reference);
                out.push_str(reference);
            }
        }
        rest = &rest[i + reference.len()..];
        offset += i + reference.len();
    }
    push_allowed(out, rest);
    if attribute && out[from..].contains(['\n', '\t']) {
        let spaced = out[from..].replace(['\n', '\t'], " ");
        out.truncate(from);
        out.push_str(&spaced);
    }
}

fn push_allowed(out: &mut String, s: &str) {
    if s.bytes().any(forbidden) {
        out.extend(s.chars().filter(|&c| allowed_char(c)));
    } else {
        out.push_str(s);
    }
}

/// The character an entity or character reference (without `&` and `;`) stands for,
/// if XML defines it without a DTD and it is a character XML allows.
fn resolve(name: &str) -> Option<char> {
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let code = match name.strip_prefix("#x") {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => name.strip_prefix('#')?.parse::<u32>().ok()?,
            };
            char::from_u32(code)?
        }
    };
    allowed_char(c).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn decode(bytes: &[u8]) -> String {
        let mut s = String::new();
        utf8_input(bytes)
            .expect("input")
            .read_to_string(&mut s)
            .expect("utf8");
        s
    }

    #[test]
    fn latin1_declared_in_the_prolog_is_transcoded() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><name>Z\xFCrich</name>";
        assert!(decode(bytes).ends_with("<name>Zürich</name>"));
    }

    #[test]
    fn utf16_with_bom_is_transcoded() {
        let text = "<?xml version=\"1.0\"?><kml>é</kml>";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&bytes), text);
    }

    #[test]
    fn utf8_passes_through_without_its_bom() {
        assert_eq!(decode(b"\xEF\xBB\xBF<kml/>"), "<kml/>");
        assert_eq!(
            decode(b"<?xml version='1.0' encoding='utf-8'?><kml/>"),
            "<?xml version='1.0' encoding='utf-8'?><kml/>"
        );
    }
}
