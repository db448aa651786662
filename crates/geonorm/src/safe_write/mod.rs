//! Writing files without destroying or escaping anything: the one way geonorm writes.
//!
//! - [`Output`] is a file named by the user (`-o PATH`). A regular file (or a new one)
//!   is written to a temporary file beside it and renamed over it only when complete;
//!   a special file (a character or block device, a FIFO, a socket, `/dev/fd/N`,
//!   `/proc/self/fd/N`, `/dev/stdout`) is opened and written as it is, never replaced.
//!   A symlink to a regular file is kept: the file it points to is replaced.
//! - [`FilesIn`] writes files named by a file from elsewhere (a KMZ's entries) into one
//!   folder, strictly inside it: only plain relative names with no hidden component
//!   ([`plain_name`]), every folder below it opened without following a link, each file
//!   created new (`O_EXCL`, `O_NOFOLLOW`); an existing file is replaced only when asked,
//!   then by a rename, never through a link, and never a file marked
//!   [`FilesIn::protect`] (the input).
//!
//! - [`state`] opens geonorm's own files at predictable names (a send's journal and
//!   locks): never through a link, only regular files, at most [`state::MAX_STATE_BYTES`].
//!
//! On Unix the folder walk is `openat` on open folders (`rustix`), so a link planted
//! in a folder, or swapped in while writing, is refused rather than followed.

pub mod state;

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How many names a temporary file tries before giving up (each is new unless
/// another process is racing for the same names).
const TEMP_TRIES: u32 = 64;

/// A name for a temporary file beside `name`: hidden, unlikely to be taken, and
/// marked as geonorm's.
fn temp_name(name: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(".{name}.{}-{n}-{nanos:x}.geonorm-tmp", std::process::id())
}

/// Whether `rel` is a name [`FilesIn`] writes as it is: relative, made only of normal
/// components (no `..`, no `.`, no root, nothing empty), none of them hidden (starting
/// with `.`, like `.git` or `.bashrc`), no backslash (a separator on Windows), no
/// control character (C0 with NUL and newline, DEL, C1) and no bidirectional or
/// format mark (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069) that would make a
/// listing show another name than the file has.
pub fn plain_name(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.contains('\\')
        && !rel.chars().any(hostile_char)
        && !rel.split('/').any(|c| c.is_empty() || c.starts_with('.'))
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// A control character, or a mark that reorders or hides text when shown.
fn hostile_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// A file named by the user being written: see the [module](self) for where the
/// bytes go. Dropped without [`Output::commit`], a temporary file is removed and the
/// target left as it was.
pub struct Output {
    out: BufWriter<File>,
    /// The temporary file to rename over `target`; `None` when written in place.
    tmp: Option<PathBuf>,
    /// Where the bytes end up (for a symlink to a regular file, the file it points to).
    target: PathBuf,
}

/// Whether `path`, or a link on the way to what it names, is one of this process's
/// open files (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`): written in place
/// whatever it stands for, since a rename there would replace a link, and the file
/// behind it (a shell's redirection) may have no other name.
fn is_open_file_link(path: &Path) -> bool {
    let fd_path =
        |p: &Path| p.starts_with("/proc") || p.starts_with("/dev/fd") || p.starts_with("/dev/std");
    let mut p = match std::path::absolute(path) {
        Ok(p) => p,
        Err(_) => return false,
    };
    // As many links as the kernel follows (ELOOP past 40).
    for _ in 0..40 {
        if fd_path(&p) {
            return true;
        }
        match fs::read_link(&p) {
            Ok(to) => p = p.parent().map_or(to.clone(), |dir| dir.join(&to)),
            Err(_) => return false,
        }
    }
    false
}

/// How long a FIFO named by `-o` is waited for a program to open it for reading.
pub const FIFO_READER_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens a device, FIFO or socket for writing as it is. A FIFO nobody reads would
/// block the open for ever: it is opened without blocking, tried again until
/// [`FIFO_READER_WAIT`] has passed, then refused with a message.
fn open_special(path: &Path, meta: &fs::Metadata) -> io::Result<File> {
    #[cfg(unix)]
    {
        use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        if meta.file_type().is_fifo() {
            let deadline = std::time::Instant::now() + FIFO_READER_WAIT;
            loop {
                let opened = fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(OFlags::NONBLOCK.bits() as i32)
                    .open(path);
                match opened {
                    Ok(file) => {
                        // Writes block again as a pipe's should (a slow reader is no
                        // error).
                        let flags = fcntl_getfl(&file)?;
                        fcntl_setfl(&file, flags - OFlags::NONBLOCK)?;
                        return Ok(file);
                    }
                    // ENXIO: no reader yet.
                    Err(e) if e.raw_os_error() == Some(rustix::io::Errno::NXIO.raw_os_error()) => {
                        if std::time::Instant::now() >= deadline {
                            return Err(io::Error::other(format!(
                                "cannot write {}: a FIFO that no program opened for reading in {} s",
                                path.display(),
                                FIFO_READER_WAIT.as_secs()
                            )));
                        }
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
    let _ = meta;
    fs::OpenOptions::new().write(true).open(path)
}

impl Output {
    /// Starts writing `path`. Fails on a folder, or when the temporary file cannot be
    /// made beside the target.
    pub fn create(path: &Path) -> io::Result<Output> {
        let buffered = |f: File| BufWriter::with_capacity(1 << 20, f);
        let target = match fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                return Err(io::Error::other(format!(
                    "cannot write {}: it is a directory",
                    path.display()
                )))
            }
            // A device, FIFO or socket: opened as it is, never created or truncated.
            Ok(m) if !m.is_file() => {
                let file = open_special(path, &m)?;
                return Ok(Output {
                    out: buffered(file),
                    tmp: None,
                    target: path.to_path_buf(),
                });
            }
            Ok(_) if is_open_file_link(path) => {
                // `-o /dev/stdout` with standard output sent to a file: appended to,
                // as the shell's `>` (emptied already) or `>>` (kept) asked.
                let file = fs::OpenOptions::new().append(true).open(path)?;
                return Ok(Output {
                    out: buffered(file),
                    tmp: None,
                    target: path.to_path_buf(),
                });
            }
            // A link to a regular file: the file is replaced, the link kept.
            Ok(_) if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
                fs::canonicalize(path)?
            }
            _ => path.to_path_buf(),
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut tries = 0;
        loop {
            let tmp = dir.join(temp_name(&name));
            let mut o = fs::OpenOptions::new();
            o.write(true).create_new(true);
            // 0666 as File::create asks, so the umask applies as usual.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o666);
            match o.open(&tmp) {
                Ok(file) => {
                    return Ok(Output {
                        out: buffered(file),
                        tmp: Some(tmp),
                        target,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < TEMP_TRIES => {
                    tries += 1
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether the target is written in place (a special file), not replaced.
    pub fn is_in_place(&self) -> bool {
        self.tmp.is_none()
    }

    /// Flushes everything; a temporary file is synced to disk and renamed over the
    /// target, keeping a replaced file's permissions.
    pub fn commit(mut self) -> io::Result<()> {
        self.out.flush()?;
        let Some(tmp) = self.tmp.take() else {
            return Ok(());
        };
        let done = (|| {
            let file = self.out.get_ref();
            if let Ok(meta) = fs::metadata(&self.target) {
                file.set_permissions(meta.permissions())?;
            }
            // On disk before the rename, so a crash cannot leave an empty file in
            // place of the old one.
            file.sync_all()?;
            fs::rename(&tmp, &self.target)
        })();
        if done.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        done
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// What [`FilesIn::write`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrote {
    /// A new file.
    Created,
    /// The file was there with the same bytes: left as it was.
    Unchanged,
    /// The file was there with other bytes and was replaced (only when asked).
    Replaced,
}

/// A folder that files from elsewhere are written into, never out of: see the
/// [module](self).
pub struct FilesIn {
    path: PathBuf,
    overwrite: bool,
    /// Files never replaced, by device and inode.
    protected: Vec<(u64, u64)>,
    #[cfg(unix)]
    dir: std::os::fd::OwnedFd,
}

/// `e` saying which file it was about, keeping its kind.
fn about(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

fn refused(path: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("{}: {why}", path.display()),
    )
}

impl FilesIn {
    /// Opens (creating it and its parents if missing) the folder `dir`, which the user
    /// named: links in `dir` itself are followed, none below it. With `overwrite`, an
    /// existing file with other bytes is replaced (by a rename); without, it is an
    /// [`io::ErrorKind::AlreadyExists`] error.
    pub fn open(dir: &Path, overwrite: bool) -> io::Result<FilesIn> {
        fs::create_dir_all(dir).map_err(|e| about(dir, e))?;
        #[cfg(unix)]
        let fd = {
            use rustix::fs::{Mode, OFlags};
            rustix::fs::open(
                dir,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| about(dir, e.into()))?
        };
        Ok(FilesIn {
            path: dir.to_path_buf(),
            overwrite,
            protected: Vec::new(),
            #[cfg(unix)]
            dir: fd,
        })
    }

    /// Never replaces `path` (when it exists), by whatever name it is met in the
    /// folder: for the input a command reads.
    pub fn protect(&mut self, path: &Path) {
        #[cfg(unix)]
        if let Ok(m) = fs::metadata(path) {
            use std::os::unix::fs::MetadataExt;
            self.protected.push((m.dev(), m.ino()));
        }
        #[cfg(not(unix))]
        let _ = path;
    }

    /// The folder as named.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` as `rel` (a [`plain_name`], else refused) inside the folder,
    /// creating the folders on its way. Refused: a link or anything but a folder on
    /// the way; an existing link, special file or protected file at `rel`; an
    /// existing regular file with other bytes, unless the folder was opened with
    /// `overwrite`.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<Wrote> {
        let shown = self.path.join(rel);
        if !plain_name(rel) {
            return Err(refused(
                &shown,
                "not a plain relative name inside the folder",
            ));
        }
        imp::write(self, rel, &shown, bytes)
    }
}

#[cfg(unix)]
mod imp {
    use super::*;
    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;
    use std::os::fd::{AsFd, OwnedFd};

    pub(super) fn write(
        files: &FilesIn,
        rel: &str,
        shown: &Path,
        bytes: &[u8],
    ) -> io::Result<Wrote> {
        let err = |e: Errno| about(shown, e.into());
        let mut parts: Vec<&str> = rel.split('/').collect();
        let name = parts.pop().unwrap_or_default();
        let mut held: Option<OwnedFd> = None;
        for part in parts {
            let here = held.as_ref().map_or(files.dir.as_fd(), |d| d.as_fd());
            let open = || {
                rustix::fs::openat(
                    here,
                    part,
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
            };
            let next = match open() {
                Err(Errno::NOENT) => {
                    match rustix::fs::mkdirat(here, part, Mode::from_raw_mode(0o777)) {
                        Ok(()) | Err(Errno::EXIST) => open(),
                        Err(e) => Err(e),
                    }
                }
                r => r,
            };
            let next = match next {
                Err(Errno::LOOP | Errno::NOTDIR) => {
                    return Err(refused(
                        shown,
                        &format!("{part} on the way is a link or not a folder"),
                    ))
                }
                r => r.map_err(err)?,
            };
            held = Some(next);
        }
        let parent = held.as_ref().map_or(files.dir.as_fd(), |d| d.as_fd());
        let create = || {
            rustix::fs::openat(
                parent,
                name,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o666),
            )
        };
        match create() {
            Ok(fd) => {
                let mut file = File::from(fd);
                file.write_all(bytes).map_err(|e| about(shown, e))?;
                return Ok(Wrote::Created);
            }
            Err(Errno::EXIST) => {}
            Err(e) => return Err(err(e)),
        }
        let stat = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW).map_err(err)?;
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => {}
            FileType::Symlink => return Err(refused(shown, "it is a link")),
            _ => return Err(refused(shown, "it is not a regular file")),
        }
        if files
            .protected
            .contains(&(stat.st_dev as u64, stat.st_ino as u64))
        {
            return Err(refused(shown, "it is the input"));
        }
        if stat.st_size as u64 == bytes.len() as u64 {
            let fd = rustix::fs::openat(
                parent,
                name,
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
                Mode::empty(),
            )
            .map_err(err)?;
            let mut old = Vec::with_capacity(bytes.len());
            io::Read::read_to_end(
                &mut io::Read::take(File::from(fd), bytes.len() as u64 + 1),
                &mut old,
            )
            .map_err(|e| about(shown, e))?;
            if old == bytes {
                return Ok(Wrote::Unchanged);
            }
        }
        if !files.overwrite {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} already exists", shown.display()),
            ));
        }
        // Replaced by a rename in the same open folder: the old file's other names
        // (hard links) and mode are not touched, and nothing is written through it.
        let mut tries = 0;
        let (tmp, fd) = loop {
            let tmp = temp_name(name);
            match rustix::fs::openat(
                parent,
                tmp.as_str(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o666),
            ) {
                Ok(fd) => break (tmp, fd),
                Err(Errno::EXIST) if tries < TEMP_TRIES => tries += 1,
                Err(e) => return Err(err(e)),
            }
        };
        let mut file = File::from(fd);
        let done = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| {
                rustix::fs::renameat(parent, tmp.as_str(), parent, name).map_err(Into::into)
            });
        if let Err(e) = done {
            let _ = rustix::fs::unlinkat(parent, tmp.as_str(), AtFlags::empty());
            return Err(about(shown, e));
        }
        Ok(Wrote::Replaced)
    }
}

/// Elsewhere, the same rules checked by name before each step (a link swapped in
/// between a check and a step is not caught there).
#[cfg(not(unix))]
mod imp {
    use super::*;

    pub(super) fn write(
        files: &FilesIn,
        rel: &str,
        shown: &Path,
        bytes: &[u8],
    ) -> io::Result<Wrote> {
        let mut path = files.path.clone();
        let mut parts: Vec<&str> = rel.split('/').collect();
        let name = parts.pop().unwrap_or_default();
        for part in parts {
            path.push(part);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(refused(
                        shown,
                        &format!("{part} on the way is a link or not a folder"),
                    ))
                }
                Err(_) => fs::create_dir(&path).map_err(|e| about(shown, e))?,
            }
        }
        path.push(name);
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(bytes).map_err(|e| about(shown, e))?;
                return Ok(Wrote::Created);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(about(shown, e)),
        }
        let meta = fs::symlink_metadata(&path).map_err(|e| about(shown, e))?;
        if !meta.is_file() {
            return Err(refused(shown, "it is a link or not a regular file"));
        }
        if fs::read(&path).is_ok_and(|old| old == bytes) {
            return Ok(Wrote::Unchanged);
        }
        if !files.overwrite {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} already exists", shown.display()),
            ));
        }
        let tmp = path.with_file_name(temp_name(name));
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| about(shown, e))?;
        let done = f.write_all(bytes).and_then(|()| fs::rename(&tmp, &path));
        if let Err(e) = done {
            let _ = fs::remove_file(&tmp);
            return Err(about(shown, e));
        }
        Ok(Wrote::Replaced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_relative_visible_and_normal() {
        for ok in ["a.png", "files/a.png", "x y/ü.jpg", "a..b.png"] {
            assert!(plain_name(ok), "{ok}");
        }
        for bad in [
            "",
            "/etc/x",
            "../x",
            "a/../x",
            "./a",
            "a//b",
            "a/",
            ".git/config",
            ".bashrc",
            "files/.hidden.png",
            "a\\b",
            "a\0.png",
            "..",
            "n\nl.png",
            "tab\t.png",
            "del\u{7F}.png",
            "csi\u{9B}.png",
            "n\nl\u{202E}.png",
            "gnp\u{202E}.exe",
            "files/\u{2066}x\u{2069}.png",
            "lrm\u{200E}.png",
            "rlm\u{200F}.png",
            "alm\u{061C}.png",
        ] {
            assert!(!plain_name(bad), "{bad}");
        }
    }

    #[test]
    fn files_land_inside_and_existing_ones_are_kept_unless_asked() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("out");
        let files = FilesIn::open(&dir, false).expect("open");
        assert_eq!(files.write("a/b.png", b"1").expect("new"), Wrote::Created);
        assert_eq!(
            files.write("a/b.png", b"1").expect("same"),
            Wrote::Unchanged
        );
        let e = files.write("a/b.png", b"2").expect_err("exists");
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(dir.join("a/b.png")).expect("read"), b"1");
        let files = FilesIn::open(&dir, true).expect("open");
        assert_eq!(
            files.write("a/b.png", b"2").expect("replace"),
            Wrote::Replaced
        );
        assert_eq!(fs::read(dir.join("a/b.png")).expect("read"), b"2");
        assert!(files.write("../x.png", b"1").is_err());
        assert!(!tmp.path().join("x.png").exists());
    }

    #[cfg(unix)]
    #[test]
    fn links_below_the_folder_are_never_followed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (dir, outside) = (tmp.path().join("out"), tmp.path().join("outside"));
        fs::create_dir_all(&dir).expect("mkdir");
        fs::create_dir_all(&outside).expect("mkdir");
        fs::write(outside.join("f.png"), b"old").expect("write");
        std::os::unix::fs::symlink(&outside, dir.join("icons")).expect("symlink");
        std::os::unix::fs::symlink(outside.join("f.png"), dir.join("f.png")).expect("symlink");
        let files = FilesIn::open(&dir, true).expect("open");
        assert!(files.write("icons/new.png", b"1").is_err());
        assert!(files.write("f.png", b"1").is_err());
        assert!(!outside.join("new.png").exists());
        assert_eq!(fs::read(outside.join("f.png")).expect("read"), b"old");
        let mut files = FilesIn::open(&dir, true).expect("open");
        fs::write(dir.join("input.kmz"), b"zip").expect("write");
        files.protect(&dir.join("input.kmz"));
        assert!(files.write("input.kmz", b"other").is_err());
        assert_eq!(fs::read(dir.join("input.kmz")).expect("read"), b"zip");
    }

    #[test]
    fn output_replaces_a_regular_file_only_when_committed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("o.json");
        fs::write(&path, b"old").expect("write");
        let mut out = Output::create(&path).expect("create");
        assert!(!out.is_in_place());
        out.write_all(b"new").expect("write");
        drop(out);
        assert_eq!(fs::read(&path).expect("read"), b"old");
        let mut out = Output::create(&path).expect("create");
        out.write_all(b"new").expect("write");
        out.commit().expect("commit");
        assert_eq!(fs::read(&path).expect("read"), b"new");
        assert_eq!(fs::read_dir(tmp.path()).expect("ls").count(), 1);
    }
}
