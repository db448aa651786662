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
