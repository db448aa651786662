//! The journal's records and how it is read and written.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fingerprint;
use crate::seal::{hex, hmac_sha256};
use crate::{Error, MapInfo, Result};

/// What is known of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChunkState {
    /// Not sent, or provably not applied.
    Pending,
    /// Sent, but no answer said whether it was applied: it may or may not have landed.
    Sent,
    /// MapHub answered that it took it.
    Confirmed,
}

/// One chunk in the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkRecord {
    /// Its place in the sequence, from 0.
    pub index: usize,
    /// Its first feature's index in the document.
    pub first: usize,
    /// How many features.
    pub count: usize,
    /// Its size.
    pub bytes: u64,
    /// A fingerprint of its body, so a resume sends exactly what was planned.
    #[serde(default)]
    pub hash: String,
    /// What is known of it.
    pub state: ChunkState,
    /// When it was last sent without an answer (seconds since 1970), so a resume knows
    /// until when it might still land; `None` when the server did answer.
    #[serde(default)]
    pub sent_at: Option<u64>,
    /// MapHub's answer, once confirmed.
    pub answer: Option<MapInfo>,
}

impl ChunkRecord {
    /// A chunk about to be sent for the first time.
    pub(super) fn planned(index: usize, c: &crate::Chunk) -> ChunkRecord {
        ChunkRecord {
            index,
            first: c.first,
            count: c.count,
            bytes: c.body.len() as u64,
            hash: fingerprint(&[&c.body]),
            state: ChunkState::Pending,
            sent_at: None,
            answer: None,
        }
    }
}

/// One icon or photo in the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetRecord {
    /// `marker` or `image`.
    pub kind: String,
    /// Where it came from: the archive entry, or the path beside the KML.
    pub name: String,
    /// SHA-256 of what is uploaded, so a resume uploads exactly what was planned.
    pub hash: String,
    /// Its size.
    pub bytes: u64,
    /// What is known of it. One sent without an answer is uploaded again on resume:
    /// it cannot be looked for, and MapHub deletes a marker or image no map uses.
    pub state: ChunkState,
    /// Once confirmed: the `marker_id`, or the `image` object features carry.
    pub answer: Option<Value>,
    /// Left out on purpose (`--skip-asset`, or `--no-assets` on resume): not uploaded,
    /// its features keep no icon or photo, and the final check does not look for it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

impl AssetRecord {
    /// The id MapHub gave it, once confirmed.
    pub fn id(&self) -> Option<&Value> {
        let a = self.answer.as_ref()?;
        match a {
            Value::Object(o) => o.get("id"),
            other => Some(other),
        }
    }
}

fn yes() -> bool {
    true
}

/// The journal of one send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    /// The journal format.
    #[serde(default)]
    pub version: u32,
    /// A fingerprint of the input and of how it is sent, so a journal is not resumed
    /// against another file.
    pub input: String,
    /// This send's id, carried in every feature's mark.
    #[serde(default)]
    pub send_id: String,
    /// The API base the send went to.
    #[serde(default)]
    pub server: String,
    /// `append` or `upload`.
    #[serde(default)]
    pub command: String,
    /// The map (known from the start for append, after the first chunk for upload).
    pub map_id: Option<u64>,
    /// How many features the map had before the first chunk.
    pub baseline: usize,
    /// For an upload: the maps the account owned before it, so that a map created by a
    /// first request whose answer was lost can be found.
    #[serde(default)]
    pub maps_before: Vec<u64>,
    /// Whether the features carry marks.
    #[serde(default)]
    pub marked: bool,
    /// Whether the document's groups were nested under the `new_group` title.
    #[serde(default)]
    pub nested: bool,
    /// The icons and photos, uploaded before the first chunk.
    #[serde(default)]
    pub assets: Vec<AssetRecord>,
    /// Whether the chunks are planned: they are once every asset has its id, since
    /// their bodies carry the ids.
    #[serde(default = "yes")]
    pub planned: bool,
    /// The chunks.
    pub chunks: Vec<ChunkRecord>,
    /// How many times it was saved: counted up on each save, covered by the seal, and
    /// recorded outside the journal too, so that an older copy of it put back is
    /// refused (format 4).
    #[serde(default)]
    pub generation: u64,
    /// HMAC-SHA-256 of the rest of the journal (its compact JSON without this
    /// member) under a key derived from the API key: a record edited, deleted or
    /// moved by hand no longer matches, and the resume is refused (see
    /// [`Journal::sealed`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub seal: String,
}

impl Journal {
    pub(super) fn load(path: &Path) -> Result<Option<Journal>> {
        match geonorm::safe_write::state::read_state(path) {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| journal_err(path, format!("unreadable ({e}); it was not changed"))),
            Ok(None) => Ok(None),
            Err(e) => Err(journal_err(path, format!("cannot read it: {e}"))),
        }
    }

    /// The seal the journal should carry under `key`.
    fn expected_seal(&self, key: &[u8; 32]) -> Result<String> {
        let mut bare = self.clone();
        bare.seal.clear();
        let text = serde_json::to_vec(&bare).map_err(|e| Error::Journal {
            path: String::new(),
            message: format!("cannot encode it: {e}"),
        })?;
        Ok(hex(&hmac_sha256(key, &[&text])))
    }

    /// Whether the journal is as geonorm wrote it with this key: every record, their
    /// order and number, the file's fingerprint, server and map.
    pub(super) fn sealed(&self, key: &[u8; 32]) -> bool {
        !self.seal.is_empty() && self.expected_seal(key).is_ok_and(|s| s == self.seal)
    }

    /// Its next generation, sealed under `key`, written to a fresh, exclusively created temporary file
    /// beside it and renamed over it, so a crash leaves the old journal or the new
    /// one, never half of one, and nothing planted at a predictable name is followed.
    pub(super) fn save(&mut self, path: &Path, key: &[u8; 32]) -> Result<()> {
        self.generation = self.generation.saturating_add(1);
        self.seal = self
            .expected_seal(key)
            .map_err(|_| journal_err(path, "cannot encode it"))?;
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| journal_err(path, format!("cannot encode it: {e}")))?;
        geonorm::safe_write::state::replace(path, &text)
            .map_err(|e| journal_err(path, format!("cannot write it: {e}")))?;
        Ok(())
    }

    /// True when every asset and every chunk is confirmed.
    pub fn complete(&self) -> bool {
        self.planned
            && self
                .assets
                .iter()
                .all(|a| a.skipped || a.state == ChunkState::Confirmed)
            && self.chunks.iter().all(|c| c.state == ChunkState::Confirmed)
    }

    pub(super) fn renumber(&mut self) {
        for (i, c) in self.chunks.iter_mut().enumerate() {
            c.index = i;
        }
    }
}

pub(super) fn journal_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Journal {
        path: path.display().to_string(),
        message: message.into(),
    }
}
