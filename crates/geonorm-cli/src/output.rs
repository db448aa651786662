//! Where a command's output goes, and writing it so that no file is destroyed: a
//! temporary file beside the target, renamed over it only once it is complete.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::TempPath;

/// The destination of `-o`: standard output (no `-o`, or `-o -`) or a file.
pub enum Dest {
    /// Standard output.
    Stdout,
    /// A file, written with [`AtomicFile`].
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

/// A file being written: a uniquely named temporary file, created exclusively in the
/// target's directory (so a planted symlink or an unrelated file is never touched,
/// and the rename stays on one file system). [`AtomicFile::commit`] renames it over
/// the target; dropped uncommitted, it is removed and the target left as it was.
pub struct AtomicFile {
    out: BufWriter<File>,
    /// Removes the temporary file when dropped.
    tmp: TempPath,
    path: PathBuf,
}

impl AtomicFile {
    /// Starts writing `path`.
    pub fn create(path: &Path) -> anyhow::Result<AtomicFile> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        // Opened here rather than by `tempfile_in`, whose errors carry the temporary
        // name, which means nothing to the user. Mode 0666 as File::create asks, so
        // the umask applies as usual (tempfile's default would be 0600).
        let open = |p: &Path| {
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o666);
            o.open(p)
        };
        let (file, tmp) = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".geonorm-tmp")
            .make_in(dir, open)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?
            .into_parts();
        Ok(AtomicFile {
            out: BufWriter::with_capacity(1 << 20, file),
            tmp,
            path: path.to_path_buf(),
        })
    }

    /// Flushes the file to disk and renames it over the target. A replaced file's
    /// permissions are kept; a new file has the usual ones (0666 less the umask).
    pub fn commit(self) -> anyhow::Result<()> {
        let AtomicFile { out, tmp, path } = self;
        let fail = |e: io::Error| anyhow::anyhow!("cannot write {}: {e}", path.display());
        let file = out.into_inner().map_err(|e| fail(e.into_error()))?;
        if let Ok(meta) = std::fs::metadata(&path) {
            file.set_permissions(meta.permissions()).map_err(fail)?;
        }
        // On disk before the rename, so a crash cannot leave an empty file in place
        // of the old one.
        file.sync_all().map_err(fail)?;
        tmp.persist(&path).map_err(|e| fail(e.error))?;
        Ok(())
    }
}

impl Write for AtomicFile {
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
