//! geonorm's own files at predictable names (a send's journal and its locks): opened
//! without following links and never written over a special file, so a symlink
//! planted at `FILE.maphub-journal.json.lock` cannot make geonorm create or truncate
//! its target, and a FIFO or device there cannot hang it or be replaced.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The largest state file read (a journal of millions of features stays far below).
pub const MAX_STATE_BYTES: u64 = 256 << 20;

fn is_link() -> io::Error {
    io::Error::other(
        "it is a symbolic link, which geonorm does not follow for its journal and lock files; remove it (or give --journal a path that is not a link)",
    )
}

fn not_regular() -> io::Error {
    io::Error::other(
        "it is not a regular file (a folder, FIFO, socket or device), which geonorm neither reads nor replaces; remove it or give --journal another path",
    )
}

#[cfg(unix)]
mod imp {
    use super::*;
    use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
    use std::os::fd::OwnedFd;

    fn parent_and_name(path: &Path) -> io::Result<(OwnedFd, &std::ffi::OsStr)> {
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::other("the path names no file"))?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let fd = rfs::open(
            dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok((fd, name))
    }

    /// What is at `name` in `dir`, without following a link: `None` when nothing is.
    fn kind(dir: &OwnedFd, name: &std::ffi::OsStr) -> io::Result<Option<FileType>> {
        match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn checked(fd: OwnedFd) -> io::Result<File> {
        let st = rfs::fstat(&fd)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(not_regular());
        }
        Ok(File::from(fd))
    }

    fn open_at(dir: &OwnedFd, name: &std::ffi::OsStr, flags: OFlags) -> io::Result<OwnedFd> {
        // NONBLOCK: a FIFO that appeared since the look opens at once (and is refused).
        let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        match rfs::openat(dir, name, flags, Mode::from_raw_mode(0o600)) {
            Err(rustix::io::Errno::LOOP) => Err(is_link()),
            other => other.map_err(Into::into),
        }
    }

    pub fn open_lock(path: &Path) -> io::Result<File> {
        let (dir, name) = parent_and_name(path)?;
        match kind(&dir, name)? {
            None | Some(FileType::RegularFile) => {}
            Some(FileType::Symlink) => return Err(is_link()),
            Some(_) => return Err(not_regular()),
        }
        checked(open_at(&dir, name, OFlags::RDWR | OFlags::CREATE)?)
    }

    pub(super) fn open_read(path: &Path) -> io::Result<Option<File>> {
        let (dir, name) = parent_and_name(path)?;
        match kind(&dir, name)? {
            None => return Ok(None),
            Some(FileType::RegularFile) => {}
            Some(FileType::Symlink) => return Err(is_link()),
            Some(_) => return Err(not_regular()),
        }
        match open_at(&dir, name, OFlags::RDONLY) {
            Ok(fd) => checked(fd).map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn replaceable(path: &Path) -> io::Result<()> {
        let (dir, name) = parent_and_name(path)?;
        match kind(&dir, name)? {
            None | Some(FileType::RegularFile) => Ok(()),
            Some(FileType::Symlink) => Err(is_link()),
            Some(_) => Err(not_regular()),
        }
    }

    pub fn private_dir(path: &Path) -> io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)?;
        let st = rfs::statat(rfs::CWD, path, AtFlags::SYMLINK_NOFOLLOW)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
            return Err(io::Error::other("it is not a folder (a link or a file)"));
        }
        if st.st_uid != rustix::process::geteuid().as_raw() {
            return Err(io::Error::other(
                "it belongs to another user, who could hold or replace the locks in it",
            ));
        }
        Ok(())
    }
}

#[cfg(not(unix))]
mod imp {
    use super::*;

    pub fn open_lock(path: &Path) -> io::Result<File> {
        replaceable(path)?;
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
    }

    pub(super) fn open_read(path: &Path) -> io::Result<Option<File>> {
        replaceable(path)?;
        match File::open(path) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn replaceable(path: &Path) -> io::Result<()> {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => Err(is_link()),
            Ok(m) if !m.is_file() => Err(not_regular()),
            _ => Ok(()),
        }
    }

    pub fn private_dir(path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }
}

/// Opens (creating it, mode 0600) a lock file: never through a link, only a regular
/// file.
pub fn open_lock(path: &Path) -> io::Result<File> {
    imp::open_lock(path)
}

/// A state file's bytes (a journal), `None` when there is none: never through a link, only a
/// regular file, at most [`MAX_STATE_BYTES`].
pub fn read_state(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let Some(file) = imp::open_read(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.take(MAX_STATE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Err(io::Error::other(format!(
            "it is over {} MiB, more than any journal or state file geonorm writes",
            MAX_STATE_BYTES >> 20
        )));
    }
    Ok(Some(bytes))
}

/// Whether a new journal may be renamed over `path`: nothing there, or a regular file
/// (a link or a special file is refused, not replaced).
pub fn replaceable(path: &Path) -> io::Result<()> {
    imp::replaceable(path)
}

/// Replaces the state file at `path` with `bytes`: written to a fresh, exclusively
/// created temporary file beside it (mode 0600: a journal says which maps a key
/// writes to), synced, then renamed over it, so a crash leaves the old file or the
/// new one, never half of one. A link or special file at `path` is refused, not
/// replaced.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tries = 0;
    let (tmp, mut file) = loop {
        let tmp = dir.join(super::temp_name(&name));
        let mut o = std::fs::OpenOptions::new();
        // create_new is O_EXCL: a link planted at the temporary name is not followed.
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        match o.open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < super::TEMP_TRIES => {
                tries += 1
            }
            Err(e) => return Err(e),
        }
    };
    let done = (|| {
        std::io::Write::write_all(&mut file, bytes)?;
        file.sync_all()?;
        // Checked just before the rename: a link or special file planted there is
        // refused.
        replaceable(path)?;
        std::fs::rename(&tmp, path)
    })();
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// Creates a folder only this user can enter (0700) if missing, and checks it is a
/// folder of this user, not a link: locks in a shared temporary folder cannot be
/// planted or held by another user.
pub fn private_dir(path: &Path) -> io::Result<()> {
    imp::private_dir(path)
}
