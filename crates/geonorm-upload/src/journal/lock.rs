//! The locks a send holds: one on its journal, one on what it sends.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::record::journal_err;
use crate::Result;
use geonorm::safe_write::state::{open_lock, private_dir};

/// An advisory lock on a file, held for the whole of a send and released by the
/// system if the process dies; the file is removed when the send ends. Opened without
/// following links, and only if it is a regular file.
pub(super) struct Lock {
    path: PathBuf,
    _file: File,
}

impl Lock {
    /// The lock on the journal, `JOURNAL.lock`: two runs of the same send (same
    /// journal) cannot both go on.
    pub(super) fn journal(journal: &Path) -> Result<Lock> {
        let mut name = journal.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let path = journal.with_file_name(name);
        Lock::acquire(&path, journal, || {
            format!(
                "another geonorm is sending this file now (it holds {}); wait for it to finish, then see what it printed",
                path.display()
            )
        })
    }

    /// The lock on what is sent: `dir/<key>.lock`, where `key` is made from the
    /// input's content, the server and the map, so the same content cannot be sent
    /// twice at once through another path, a link, a hard link or standard input
    /// (each of which has its own journal).
    pub(super) fn content(dir: &Path, key: &str, journal: &Path) -> Result<Lock> {
        private_dir(dir).map_err(|e| {
            journal_err(
                dir,
                format!("cannot use this folder for the send's lock: {e}"),
            )
        })?;
        let path = dir.join(format!("{key}.lock"));
        Lock::acquire(&path, journal, || {
            format!(
                "another geonorm is sending the same content to the same map now (through another path, a link or standard input: it holds {}); wait for it to finish, then see what it printed",
                path.display()
            )
        })
    }

    fn acquire(path: &Path, journal: &Path, busy: impl Fn() -> String) -> Result<Lock> {
        for _ in 0..5 {
            let file = open_lock(path)
                .map_err(|e| journal_err(path, format!("cannot open the lock file: {e}")))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Err(journal_err(journal, busy())),
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(journal_err(path, format!("cannot lock it: {e}")))
                }
            }
            // A run that just finished may have removed the file we opened: then the
            // lock is on a file nobody else will see; take the one at the path.
            if same_file(&file, path) {
                return Ok(Lock {
                    path: path.to_path_buf(),
                    _file: file,
                });
            }
        }
        Err(journal_err(path, "the lock file keeps changing; try again"))
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still locked; the lock goes with the file handle after this.
        let _ = std::fs::remove_file(&self.path);
    }
}
