//! What geonorm remembers of each send outside its journal, so that an older copy of
//! a journal cannot be resumed.
//!
//! A journal's seal proves geonorm wrote it, not that it is the latest: a journal
//! copied aside mid-send (a backup, a copied folder) and put back after the send went
//! on, or finished, is sealed too, and resuming it would send again the chunks it
//! still lists as pending or sent. So every journal carries a generation, counted up
//! on each save and covered by the seal, and the per-user state folder
//! (`$XDG_STATE_HOME/geonorm/sends/<send id>.json`, 0700, owned by the user, never
//! through a link) keeps, per send id, the latest generation written and whether the
//! send ended (geonorm removed its journal). A journal older than that record, or of a
//! send that ended, is refused.
//!
//! The record protects against a rollback on this machine, with this state folder.
//! When there is no record (the journal was moved to another machine, or the state
//! folder was cleared), the resume is allowed, as before: the journal is all there is.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::record::journal_err;
use super::Journal;
use crate::Result;
use geonorm::safe_write::state::{private_dir, read_state, replace};

/// What is recorded of one send.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Entry {
    /// The latest generation of its journal written.
    generation: u64,
    /// Whether the send ended and geonorm removed its journal.
    #[serde(default)]
    ended: bool,
}

/// The records, in a folder of the per-user state folder.
pub(super) struct Ledger {
    dir: PathBuf,
}

impl Ledger {
    /// The records in `<state>/sends`.
    pub(super) fn new(state: &Path) -> Ledger {
        Ledger {
            dir: state.join("sends"),
        }
    }

    /// The record's file for a send id (one geonorm made: hex digits).
    fn file(&self, send_id: &str, journal: &Path) -> Result<PathBuf> {
        if send_id.is_empty()
            || send_id.len() > 64
            || !send_id.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(journal_err(
                journal,
                "its send id is not one geonorm makes; it cannot be resumed",
            ));
        }
        Ok(self.dir.join(format!("{send_id}.json")))
    }

    fn read(&self, send_id: &str, journal: &Path) -> Result<Option<Entry>> {
        let file = self.file(send_id, journal)?;
        match read_state(&file) {
            Ok(None) => Ok(None),
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                journal_err(
                    &file,
                    format!(
                        "this record of a send is unreadable ({e}); remove it to resume without it"
                    ),
                )
            }),
            Err(e) => Err(journal_err(
                &file,
                format!("cannot read this record of a send: {e}"),
            )),
        }
    }

    fn write(&self, send_id: &str, journal: &Path, entry: &Entry) -> Result<()> {
        let file = self.file(send_id, journal)?;
        private_dir(&self.dir).map_err(|e| {
            journal_err(
                &self.dir,
                format!("cannot use this folder for the records of sends: {e}"),
            )
        })?;
        let text = serde_json::to_vec(entry)
            .map_err(|e| journal_err(&file, format!("cannot encode it: {e}")))?;
        replace(&file, &text)
            .map_err(|e| journal_err(&file, format!("cannot write this record of a send: {e}")))
    }

    /// Refuses a journal older than the record of its send, or of a send that ended.
    /// No record: allowed (see the module documentation).
    pub(super) fn check(&self, j: &Journal, path: &Path, look: &str) -> Result<()> {
        let Some(entry) = self.read(&j.send_id, path)? else {
            return Ok(());
        };
        let why = if entry.ended {
            "this send already ended (geonorm removed its journal when it finished), so this journal is an older copy of it".to_string()
        } else if j.generation < entry.generation {
            format!(
                "it is an older copy of this send's journal (it is at step {} of it, geonorm has since written step {})",
                j.generation, entry.generation
            )
        } else {
            return Ok(());
        };
        Err(journal_err(
            path,
            format!(
                "{why}, and resuming it would send again what it lists as not yet landed, so nothing is sent. Check {look}, then delete {} and send what is missing",
                path.display()
            ),
        ))
    }

    /// Records that the journal of `send_id` was written at `generation`.
    pub(super) fn saved(&self, send_id: &str, journal: &Path, generation: u64) -> Result<()> {
        self.write(
            send_id,
            journal,
            &Entry {
                generation,
                ended: false,
            },
        )
    }

    /// Records that the send ended and its journal was removed.
    pub(super) fn ended(&self, send_id: &str, journal: &Path, generation: u64) -> Result<()> {
        self.write(
            send_id,
            journal,
            &Entry {
                generation,
                ended: true,
            },
        )
    }
}
