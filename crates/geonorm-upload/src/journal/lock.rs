//! The locks a send holds.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::record::journal_err;
use crate::Result;

/// A lock held for the whole of a send, so two runs of the same send cannot both go
/// on. An advisory lock on `JOURNAL.lock`, released by the system if the process dies;
/// the file is removed when the send ends.
pub(super) struct Lock {
    path: PathBuf,
    _file: File,
}

impl Lock {
    pub(super) fn acquire(journal: &Path) -> Result<Lock> {
        let mut name = journal.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let path = journal.with_file_name(name);
        for _ in 0..5 {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|e| journal_err(&path, format!("cannot create the lock file: {e}")))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(journal_err(
                        journal,
                        format!(
                            "another geonorm is sending this file now (it holds {}); wait for it to finish, then see what it printed",
                            path.display()
                        ),
                    ))
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(journal_err(&path, format!("cannot lock it: {e}")))
                }
            }
            // A run that just finished may have removed the file we opened: then the
            // lock is on a file nobody else will see; take the one at the path.
            if same_file(&file, &path) {
                return Ok(Lock { path, _file: file });
            }
        }
        Err(journal_err(
            &path,
            "the lock file keeps changing; try again",
        ))
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
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
