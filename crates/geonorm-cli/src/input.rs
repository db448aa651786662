//! The input file (or standard input): opened once for reading, and read again only if
//! a diagnostic needs its line and column.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use geonorm::render::Shown;
use geonorm::Format;

pub enum Source {
    File(PathBuf),
    /// Standard input, a pipe or a device cannot be read twice, so it is copied once
    /// into an anonymous temporary file (within [`MAX_STREAM_BYTES`]) and read from
    /// there, like a file; the path it was named by, if any.
    Spooled(Option<PathBuf>, File),
}

/// The most bytes read from an input that is not a regular file (standard input, a
/// FIFO, a device): it has no size to trust and may never end (`/dev/zero`, `yes`).
/// They go to a temporary file, not to memory.
/// `--stream-limit` lowers it for the whole run ([`set_stream_limit`]).
pub const MAX_STREAM_BYTES: u64 = geonorm::MAX_HELD_BYTES;

/// The limit in use when `--stream-limit` lowered [`MAX_STREAM_BYTES`]; set once, at
/// the start of a run.
static STREAM_LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

/// Lowers the limit on streams and inputs held whole to `bytes` for this run (a small
/// runner's disk, a service's memory); it is never raised above [`MAX_STREAM_BYTES`].
pub fn set_stream_limit(bytes: u64) {
    let _ = STREAM_LIMIT.set(bytes.min(MAX_STREAM_BYTES));
}

/// The limit in use: [`MAX_STREAM_BYTES`] unless `--stream-limit` lowered it.
pub fn stream_limit() -> u64 {
    STREAM_LIMIT.get().copied().unwrap_or(MAX_STREAM_BYTES)
}

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

/// Copies a stream that cannot be read twice (standard input, a FIFO, a device) into
/// an anonymous temporary file (gone when it is closed), at most
/// [`MAX_STREAM_BYTES`]: memory stays that of a copy buffer whatever it holds. Binary
/// data ([`Format::is_binary`]) is not read past its first bytes: they are enough for
/// the readers to refuse it. The file is answered at its start.
pub fn spool(input: impl Read, name: &str) -> anyhow::Result<File> {
    let mut file = tempfile::tempfile()
        .map_err(|e| anyhow::anyhow!("{name}: cannot make a temporary file to read it: {e}"))?;
    copy_bounded(
        input,
        &mut file,
        name,
        "an input that is not a regular file (standard input, a pipe or a device)",
    )?;
    file.rewind()
        .map_err(|e| anyhow::anyhow!("{name}: cannot copy to a temporary file: {e}"))?;
    Ok(file)
}

/// Copies `input` to `out` within [`geonorm::copy_bounded`]'s bounds, at most
/// [`stream_limit`] bytes (over it, an error saying the limit is for `what`); binary data
/// only as far as its first bytes, enough for the readers to refuse it.
fn copy_bounded(
    input: impl Read,
    out: &mut impl io::Write,
    name: &str,
    what: &str,
) -> anyhow::Result<()> {
    let limit = stream_limit();
    let copied = geonorm::copy_bounded(input, out, limit).map_err(|e| match e.kind() {
        // Which side failed: the temporary file's errors are said as such.
        io::ErrorKind::StorageFull | io::ErrorKind::FileTooLarge => {
            anyhow::anyhow!("{name}: cannot copy to a temporary file: {e}")
        }
        _ => anyhow::anyhow!("cannot read {name}: {e}"),
    })?;
    if copied == geonorm::Copied::OverLimit {
        anyhow::bail!("{name}: over the {limit}-byte limit for {what}");
    }
    Ok(())
}

/// Reads a whole input into memory (a send checks, splits and fingerprints it there),
/// called `name` in messages: standard input for `-`, else the file, a FIFO waited for
/// as [`open_path`] does. At most [`MAX_STREAM_BYTES`] whatever it is (a regular
/// file's size can change as it is read); binary data ([`Format::is_binary`]) is read
/// no further than its first bytes, so `/dev/zero` or a sparse file cannot fill the
/// memory: those are answered, and the check refuses them as it refuses them in
/// every command (a finding, exit 1).
pub fn read_whole(path: &Path, name: &str) -> anyhow::Result<Vec<u8>> {
    let stdin = path == Path::new("-");
    let input: Box<dyn Read> = if stdin {
        Box::new(io::stdin().lock())
    } else {
        Box::new(open_path(path, name)?.0)
    };
    let mut bytes = Vec::new();
    copy_bounded(input, &mut bytes, name, "an input")?;
    Ok(bytes)
}

/// A reader of a shared file from its own position (`pread`), so that two readers of
/// one spooled input never move each other.
pub struct At<'a> {
    file: &'a File,
    pos: u64,
}

impl<'a> At<'a> {
    /// A reader of `file` from its first byte.
    pub fn new(file: &'a File) -> Self {
        At { file, pos: 0 }
    }
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for At<'_> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let len = self.file.metadata()?.len();
        let pos = match to {
            io::SeekFrom::Start(p) => Some(p),
            io::SeekFrom::End(d) => len.checked_add_signed(d),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

pub use geonorm::stream::ReadSeek;

pub struct Input {
    source: Source,
    name: String,
    len: u64,
    head: Vec<u8>,
    /// The text diagnostics point into, when it is not the file itself (the KML
    /// inside a KMZ).
    shown: Option<Shown<'static>>,
    /// The format the input was read as, which says what text spans count in.
    format: Option<Format>,
    /// For standard input, the name `--stdin-name` gave it: its extension tells the
    /// format when the content does not (it names no file to read or look beside).
    stdin_name: Option<PathBuf>,
}

const HEAD_LEN: usize = 8 * 1024;

impl Input {
    /// Opens `path`, standard input for `-` (called `stdin_name`, or `<stdin>` when
    /// `None`).
    pub fn open_as(path: &Path, stdin_name: Option<&str>) -> anyhow::Result<Input> {
        if path == Path::new("-") {
            let name = stdin_name.unwrap_or("<stdin>");
            let file = spool(io::stdin().lock(), name)?;
            let mut input = Input::spooled(None, name.into(), file)?;
            input.stdin_name = stdin_name.map(PathBuf::from);
            return Ok(input);
        }
        let name = path.display().to_string();
        let (mut file, regular) = open_path(path, &name)?;
        if !regular {
            let file = spool(file, &name)?;
            return Input::spooled(Some(path.to_path_buf()), name, file);
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
            format: None,
            stdin_name: None,
        })
    }

    /// An input copied into a temporary file ([`spool`]).
    fn spooled(path: Option<PathBuf>, name: String, file: File) -> anyhow::Result<Input> {
        let cannot = |e: io::Error| anyhow::anyhow!("cannot read {name}: {e}");
        let len = file.metadata().map_err(cannot)?.len();
        let mut head = Vec::with_capacity(HEAD_LEN);
        At::new(&file)
            .take(HEAD_LEN as u64)
            .read_to_end(&mut head)
            .map_err(cannot)?;
        Ok(Input {
            len,
            head,
            source: Source::Spooled(path, file),
            name,
            shown: None,
            format: None,
            stdin_name: None,
        })
    }

    /// A fresh reader from the first byte that can also seek, for a KMZ (a zip is read
    /// from its end): the file itself, never its bytes held in memory.
    pub fn seekable(&self) -> anyhow::Result<Box<dyn ReadSeek + '_>> {
        Ok(match &self.source {
            Source::File(p) => Box::new(
                File::open(p).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", self.name))?,
            ),
            Source::Spooled(_, file) => Box::new(At::new(file)),
        })
    }

    /// Says which format the input is read as: the text diagnostics point into is
    /// the one that format's reader parsed (UTF-8 for a transcoded KML or GPX).
    pub fn read_as(&mut self, format: Format) {
        self.format = Some(format);
    }

    /// Points diagnostics at the main KML of this file, a KMZ archive, where their
    /// offsets count; left as it is when the archive cannot be opened (its findings
    /// then have no place in it).
    pub fn show_kmz_entry(&mut self, limits: &geonorm::kmz::Limits) -> anyhow::Result<()> {
        let shown = Shown::of_archive(self.seekable()?, limits);
        if shown.is_some() {
            self.shown = shown;
        }
        Ok(())
    }

    /// For a file or a spooled stream (which convert streams and never holds), where
    /// each of `diags` is, found by a streaming pass over it instead of reading it
    /// whole; `None` when the text is held anyway (a KMZ entry) or must be decoded first
    /// (KML and GPX in UTF-16 or a single-byte encoding), or when no diagnostic has a
    /// position.
    pub fn locate(
        &self,
        diags: &[geonorm::Diagnostic],
    ) -> io::Result<Option<geonorm::render::Located>> {
        let (None, Some(format)) = (&self.shown, self.format) else {
            return Ok(None);
        };
        if diags.iter().all(|d| d.span.is_none()) {
            // Nothing to place: the file is not read again (it may be gigabytes of
            // zeros refused from its first bytes).
            return Ok(None);
        }
        let cannot =
            |e: io::Error| io::Error::new(e.kind(), format!("cannot read {}: {e}", self.name));
        let mut file = self
            .seekable()
            .map_err(|e| io::Error::other(e.to_string()))?;
        // Where findings count is told by the file's first bytes (its encoding).
        let mut head = Vec::with_capacity(1024);
        (&mut file)
            .take(1024)
            .read_to_end(&mut head)
            .map_err(cannot)?;
        if !geonorm::render::placed_in_own_bytes(format, &head) {
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
            Source::Spooled(p, _) => p.as_deref(),
        }
    }

    pub fn detect(&self) -> Option<Format> {
        Format::detect(&self.head, self.path().or(self.stdin_name.as_deref()))
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
            Source::Spooled(_, file) => {
                Box::new(BufReader::with_capacity(256 * 1024, At::new(file)))
            }
        })
    }

    /// What diagnostics point into (the library's [`Shown`]): the KML inside a KMZ,
    /// standard input as it was kept, or the file read again, decoded as its reader
    /// decoded it. Asked for only when some diagnostic has a position, so a file
    /// without findings is not read twice.
    pub fn shown(&self) -> io::Result<Cow<'_, Shown<'static>>> {
        if let Some(shown) = &self.shown {
            return Ok(Cow::Borrowed(shown));
        }
        let cannot =
            |e: io::Error| io::Error::new(e.kind(), format!("cannot read {}: {e}", self.name));
        let bytes = match &self.source {
            Source::File(p) => std::fs::read(p).map_err(cannot)?,
            Source::Spooled(_, file) => {
                let mut bytes = Vec::new();
                At::new(file).read_to_end(&mut bytes).map_err(cannot)?;
                bytes
            }
        };
        let limits = geonorm::kmz::Limits::default();
        Ok(Cow::Owned(Shown::of_owned(bytes, self.format, &limits)))
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

#[cfg(test)]
mod tests {
    #[test]
    fn docs_security_states_the_stream_limits_in_use() {
        let doc = include_str!("../../../docs/security.md");
        for phrase in [
            format!(
                "read once into an anonymous temporary file, at most {} GiB",
                super::MAX_STREAM_BYTES >> 30
            ),
            format!("an error after {} s", super::FIFO_WAIT.as_secs()),
        ] {
            assert!(doc.contains(&phrase), "docs/security.md: `{phrase}`");
        }
    }
}
