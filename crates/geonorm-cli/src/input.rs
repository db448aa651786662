//! The input file (or standard input): opened once for reading, and read again only if
//! a diagnostic needs its line and column.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use geonorm::Format;

pub enum Source {
    File(PathBuf),
    /// Standard input, a pipe or a device cannot be read twice, so it is kept (within
    /// [`MAX_STREAM_BYTES`]); the path it was named by, if any.
    Held(Option<PathBuf>, Vec<u8>),
}

/// The most bytes read from an input that is not a regular file (standard input, a
/// FIFO, a device): it has no size to trust and may never end (`/dev/zero`, `yes`).
pub const MAX_STREAM_BYTES: u64 = 1 << 30;

/// How long a FIFO is waited for a program to open it for writing.
const FIFO_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens `path` for reading; a FIFO that no program opens for writing within
/// [`FIFO_WAIT`] is an error instead of a wait for ever. Also whether it is a regular
/// file (whose size can be trusted and which can be read again).
pub fn open_path(path: &Path, name: &str) -> anyhow::Result<(File, bool)> {
    let cannot = |e: io::Error| anyhow::anyhow!("cannot open {name}: {e}");
    let meta = std::fs::metadata(path).map_err(cannot)?;
    #[cfg(unix)]
    if std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()) {
        // Opening a FIFO blocks until a writer comes: opened aside, and left there
        // (blocked, and ended with the process) if none comes.
        let (tx, rx) = std::sync::mpsc::channel();
        let owned = path.to_path_buf();
        std::thread::spawn(move || tx.send(File::open(owned)));
        return match rx.recv_timeout(FIFO_WAIT) {
            Ok(opened) => Ok((opened.map_err(cannot)?, false)),
            Err(_) => anyhow::bail!(
                "{name}: a FIFO that no program opened for writing in {} s; nothing to read",
                FIFO_WAIT.as_secs()
            ),
        };
    }
    Ok((File::open(path).map_err(cannot)?, meta.is_file()))
}

/// Reads a stream that cannot be read twice (standard input, a FIFO, a device) into
/// memory, at most [`MAX_STREAM_BYTES`]. Binary data ([`Format::is_binary`]) is not
/// read past its first bytes: they are enough for the readers to refuse it.
pub fn read_stream(input: impl Read, name: &str) -> anyhow::Result<Vec<u8>> {
    let cannot = |e: io::Error| anyhow::anyhow!("cannot read {name}: {e}");
    let mut input = input;
    let mut bytes = Vec::with_capacity(HEAD_LEN);
    input
        .by_ref()
        .take(HEAD_LEN as u64)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if Format::is_binary(&bytes) {
        return Ok(bytes);
    }
    input
        .take(MAX_STREAM_BYTES + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_STREAM_BYTES {
        anyhow::bail!(
            "{name}: over the {MAX_STREAM_BYTES}-byte limit for an input that is not a regular file (standard input, a pipe or a device)"
        );
    }
    Ok(bytes)
}

pub struct Input {
    source: Source,
    name: String,
    len: u64,
    head: Vec<u8>,
    /// The text diagnostics point into, when it is not the file itself (the KML
    /// inside a KMZ).
    shown: Option<Vec<u8>>,
    /// The name of that entry.
    entry: Option<String>,
    /// The format the input was read as, which says what text spans count in.
    format: Option<Format>,
}

const HEAD_LEN: usize = 8 * 1024;

impl Input {
    pub fn open(path: &Path) -> anyhow::Result<Input> {
        if path == Path::new("-") {
            let bytes = read_stream(io::stdin().lock(), "<stdin>")?;
            return Ok(Input::held(None, "<stdin>".into(), bytes));
        }
        let name = path.display().to_string();
        let (mut file, regular) = open_path(path, &name)?;
        if !regular {
            let bytes = read_stream(file, &name)?;
            return Ok(Input::held(Some(path.to_path_buf()), name, bytes));
        }
        let len = file
            .metadata()
            .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?
            .len();
        let mut head = Vec::with_capacity(HEAD_LEN);
        file.by_ref()
            .take(HEAD_LEN as u64)
            .read_to_end(&mut head)
            .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
        Ok(Input {
            source: Source::File(path.to_path_buf()),
            name,
            len,
            head,
            shown: None,
            entry: None,
            format: None,
        })
    }

    /// An input kept in memory.
    fn held(path: Option<PathBuf>, name: String, bytes: Vec<u8>) -> Input {
        Input {
            len: bytes.len() as u64,
            head: bytes[..bytes.len().min(HEAD_LEN)].to_vec(),
            source: Source::Held(path, bytes),
            name,
            shown: None,
            entry: None,
            format: None,
        }
    }

    /// Says which format the input is read as: the text diagnostics point into is
    /// the one that format's reader parsed (UTF-8 for a transcoded KML or GPX).
    pub fn read_as(&mut self, format: Format) {
        self.format = Some(format);
    }

    /// Points diagnostics at `text`, an entry of this file called `entry`.
    pub fn show_as(&mut self, entry: &str, text: Vec<u8>) {
        self.shown = Some(text);
        self.entry = Some(entry.to_string());
    }

    /// Points diagnostics at the main KML of `bytes`, this file's KMZ archive, where
    /// their offsets count; left as it is when the archive cannot be opened (its
    /// findings then have no place in it).
    pub fn show_kmz_entry(&mut self, bytes: &[u8], limits: &geonorm::kmz::Limits) {
        if let Ok((name, kml)) = geonorm::kmz::main_kml(io::Cursor::new(bytes), limits) {
            self.show_as(&name, kml);
        }
    }

    /// What diagnostics point into, for the library's renderers; `text` is
    /// [`Input::shown_text`] (or nothing, when no diagnostic has a position).
    pub fn source<'a>(&'a self, text: &'a [u8]) -> geonorm::render::Source<'a> {
        let source = geonorm::render::Source::new(&self.name, text);
        match &self.entry {
            Some(entry) => source.in_entry(entry, text),
            None => source,
        }
    }

    /// For a file (which convert streams and never holds), where each of `diags` is,
    /// found by a streaming pass over the file instead of reading it whole; `None` when
    /// the text is held anyway (standard input, a KMZ entry) or must be decoded first
    /// (KML and GPX in UTF-16 or a single-byte encoding), or when no diagnostic has a
    /// position.
    pub fn locate(
        &self,
        diags: &[geonorm::Diagnostic],
    ) -> io::Result<Option<geonorm::render::Located>> {
        let (None, Source::File(p), Some(format)) = (&self.shown, &self.source, self.format) else {
            return Ok(None);
        };
        if diags.iter().all(|d| d.span.is_none()) {
            // Nothing to place: the file is not read again (it may be gigabytes of
            // zeros refused from its first bytes).
            return Ok(None);
        }
        let cannot =
            |e: io::Error| io::Error::new(e.kind(), format!("cannot read {}: {e}", self.name));
        let mut file = std::fs::File::open(p).map_err(cannot)?;
        // Where findings count is told by the file's first bytes (its encoding).
        let mut head = Vec::with_capacity(1024);
        (&mut file)
            .take(1024)
            .read_to_end(&mut head)
            .map_err(cannot)?;
        if !placed_in_own_bytes(format, &head) {
            return Ok(None);
        }
        file.rewind().map_err(cannot)?;
        geonorm::render::Located::scan(file, diags.iter().filter_map(|d| d.span.map(|s| s.start)))
            .map(Some)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn path(&self) -> Option<&Path> {
        match &self.source {
            Source::File(p) => Some(p),
            Source::Held(p, _) => p.as_deref(),
        }
    }

    pub fn detect(&self) -> Option<Format> {
        Format::detect(&self.head, self.path())
    }

    /// A fresh reader from the first byte; its errors name the file.
    pub fn reader(&self) -> anyhow::Result<Box<dyn BufRead + '_>> {
        Ok(match &self.source {
            Source::File(p) => {
                let file =
                    File::open(p).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", self.name))?;
                Box::new(BufReader::with_capacity(
                    256 * 1024,
                    Named {
                        file,
                        name: &self.name,
                    },
                ))
            }
            Source::Held(_, bytes) => Box::new(&bytes[..]),
        })
    }

    /// The text diagnostics point into: the KML inside a KMZ, standard input as it was
    /// kept, or the file read again; for KML and GPX in UTF-16 or a declared
    /// single-byte encoding, the UTF-8 the reader decoded it to (the same lines and
    /// characters as the file). Asked for only when some diagnostic has a position,
    /// so a file without findings is not read twice.
    pub fn shown_text(&self) -> io::Result<Cow<'_, [u8]>> {
        let (text, format) = match (&self.shown, &self.source) {
            (Some(shown), _) => (Cow::Borrowed(&shown[..]), Some(Format::Kml)),
            (None, Source::File(p)) => (
                std::fs::read(p).map(Cow::Owned).map_err(|e| {
                    io::Error::new(e.kind(), format!("cannot read {}: {e}", self.name))
                })?,
                self.format,
            ),
            (None, Source::Held(_, b)) => (Cow::Borrowed(&b[..]), self.format),
        };
        let Some(format) = format else {
            return Ok(text);
        };
        Ok(match format.spans_text(&text) {
            Cow::Owned(decoded) => Cow::Owned(decoded),
            Cow::Borrowed(_) => text,
        })
    }
}

/// A file whose read errors say which file it is (`cannot read a.kml: …`), keeping
/// their kind. Under the buffer, so it costs one check per read of the disk.
struct Named<'a> {
    file: File,
    name: &'a str,
}

impl Read for Named<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot read {}: {e}", self.name)))
    }
}

/// Whether findings on a file of `format` starting with `head` count in the file's own
/// bytes, so that a streaming pass over it can place them: GeoJSON, and KML and GPX in
/// UTF-8. Those in UTF-16 or a declared single-byte encoding count in the text their
/// reader decoded; a KMZ's, in the KML inside.
pub fn placed_in_own_bytes(format: Format, head: &[u8]) -> bool {
    match format {
        Format::GeoJson => true,
        Format::Kml | Format::Gpx => matches!(format.spans_text(head), Cow::Borrowed(_)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn docs_security_states_the_stream_limits_in_use() {
        let doc = include_str!("../../../docs/security.md");
        for phrase in [
            format!(
                "read once, at most {} GiB held",
                super::MAX_STREAM_BYTES >> 30
            ),
            format!("an error after {} s", super::FIFO_WAIT.as_secs()),
        ] {
            assert!(doc.contains(&phrase), "docs/security.md: `{phrase}`");
        }
    }
}
