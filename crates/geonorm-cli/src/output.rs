//! Where a command's output goes, and writing it so that no file is destroyed: a
//! regular file through a temporary file beside the target, renamed over it only once
//! it is complete; a special file (device, FIFO, `/dev/fd/N`) written in place, never
//! replaced (`geonorm::safe_write`, the one way geonorm writes files).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use geonorm::safe_write::Output;

/// The destination of `-o`: standard output (no `-o`, or `-o -`) or a file.
pub enum Dest {
    /// Standard output.
    Stdout,
    /// A file, written with [`OutFile`].
    File(PathBuf),
}

impl Dest {
    /// `-o PATH` as given; `-` is standard output, as for the input.
    pub fn new(output: Option<&Path>) -> Dest {
        match output {
            Some(p) if p != Path::new("-") => Dest::File(p.to_path_buf()),
            _ => Dest::Stdout,
        }
    }

    /// The file, when it is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Dest::File(p) => Some(p),
            Dest::Stdout => None,
        }
    }
}

/// Whether `a` and `b` name the same file (through symlinks, hard links, `./`…).
/// A path that does not exist is no other file.
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (ma, mb);
        matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
    }
}

/// Refuses to write `output` over `input`: the result would replace what it is read
/// from. Also refuses a directory, before any work is done.
pub fn check_target(input: Option<&Path>, output: &Path) -> anyhow::Result<()> {
    if let Some(input) = input.filter(|p| *p != Path::new("-")) {
        if same_file(input, output) {
            anyhow::bail!(
                "refusing to write {}: it is the input {} (choose another output)",
                output.display(),
                input.display()
            );
        }
    }
    if output.is_dir() {
        anyhow::bail!("cannot write {}: it is a directory", output.display());
    }
    Ok(())
}

/// A file named by `-o` being written, through [`geonorm::safe_write::Output`]: a
/// regular file to a temporary file beside it, renamed over it by
/// [`OutFile::commit`] (dropped uncommitted, the target is left as it was); a
/// device, FIFO or `/dev/fd/N` written in place, never replaced. Its errors name the
/// file.
pub struct OutFile {
    out: Output,
    path: PathBuf,
}

impl OutFile {
    /// Starts writing `path`.
    pub fn create(path: &Path) -> anyhow::Result<OutFile> {
        let out = Output::create(path)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        Ok(OutFile {
            out,
            path: path.to_path_buf(),
        })
    }

    /// Finishes the file: see [`geonorm::safe_write::Output::commit`].
    pub fn commit(self) -> anyhow::Result<()> {
        let OutFile { out, path } = self;
        out.commit()
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf).map_err(|e| named(&self.path, e))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf).map_err(|e| named(&self.path, e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush().map_err(|e| named(&self.path, e))
    }
}

/// `e` saying which file it was about, keeping its kind (a full disk stays a full
/// disk, a closed pipe a closed pipe).
fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
}

/// Text for a terminal that the data in it cannot drive: C1 controls (U+0080–U+009F,
/// among them U+009B, a terminal's CSI), DEL, and the marks that reorder what is
/// shown (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) written as escapes of
/// the output's own language, so the document means the same: `\u202e` in JSON,
/// `&#x202E;` in XML. Such characters can only stand in a JSON string or XML text and
/// attribute values, where both escapes are valid. Used only when standard output is a
/// terminal; a file or pipe gets the bytes as they are.
pub struct TerminalSafe<W: Write> {
    inner: W,
    xml: bool,
    /// The start of a character cut off at the end of the last write.
    pending: Vec<u8>,
}

impl<W: Write> TerminalSafe<W> {
    /// Escapes for XML (`xml`, KML and GPX) or JSON.
    pub fn new(inner: W, xml: bool) -> Self {
        TerminalSafe {
            inner,
            xml,
            pending: Vec::new(),
        }
    }

    fn drives_terminal(c: char) -> bool {
        matches!(c, '\u{7f}'..='\u{9f}' | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }

    fn escape(&mut self, c: char) -> io::Result<()> {
        if self.xml {
            write!(self.inner, "&#x{:X};", c as u32)
        } else {
            write!(self.inner, "\\u{:04x}", c as u32)
        }
    }
}

/// How many bytes a UTF-8 sequence starting with `b` has (1 for a byte that starts
/// none, which is passed on as it is).
fn utf8_len(b: u8) -> usize {
    match b {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    }
}

impl<W: Write> Write for TerminalSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut data = std::mem::take(&mut self.pending);
        data.extend_from_slice(buf);
        let mut plain = 0;
        let mut i = 0;
        while i < data.len() {
            let b = data[i];
            if b < 0x7f {
                i += 1;
                continue;
            }
            let n = utf8_len(b);
            if i + n > data.len() {
                // Cut off: kept for the next write.
                self.inner.write_all(&data[plain..i])?;
                self.pending = data[i..].to_vec();
                return Ok(buf.len());
            }
            let c = std::str::from_utf8(&data[i..i + n])
                .ok()
                .and_then(|s| s.chars().next());
            match c {
                Some(c) if Self::drives_terminal(c) => {
                    self.inner.write_all(&data[plain..i])?;
                    self.escape(c)?;
                    i += n;
                    plain = i;
                }
                Some(_) => i += n,
                None => i += 1,
            }
        }
        self.inner.write_all(&data[plain..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        self.inner.write_all(&pending)?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(xml: bool, chunks: &[&[u8]]) -> String {
        let mut out = TerminalSafe::new(Vec::new(), xml);
        for c in chunks {
            out.write_all(c).expect("write");
        }
        out.flush().expect("flush");
        String::from_utf8(out.inner).expect("utf-8")
    }

    #[test]
    fn what_drives_a_terminal_is_escaped_in_the_output_s_own_language() {
        let text = "a\u{9b}31m\u{202e}é\u{2066}b\u{7f}日";
        assert_eq!(
            through(false, &[text.as_bytes()]),
            "a\\u009b31m\\u202eé\\u2066b\\u007f日"
        );
        assert_eq!(
            through(true, &[text.as_bytes()]),
            "a&#x9B;31m&#x202E;é&#x2066;b&#x7F;日"
        );
        // The JSON escapes decode to the same text.
        let json = through(false, &[format!("\"{text}\"").as_bytes()]);
        let back: String = serde_json::from_str(&json).expect("JSON");
        assert_eq!(back, text);
    }

    #[test]
    fn a_character_cut_between_writes_is_still_seen() {
        let bytes = "x\u{202e}y".as_bytes();
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(through(false, &[a, b]), "x\\u202ey", "cut at {cut}");
        }
    }
}
