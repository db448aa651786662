//! Sending a document in chunks exactly once, across failures.
//!
//! A journal next to the input records each chunk: pending, sent (the answer never
//! came, so it may or may not have landed) or confirmed, with the server's answer. It
//! is removed once every chunk is confirmed.
//! After a failure, `--resume` continues from the first chunk not confirmed. A chunk
//! whose fate is unknown is checked against the map before it is sent again: if the
//! map grew by exactly that chunk, it landed; if not at all, it is sent; anything else
//! stops with an explanation rather than risk a duplicate.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{AppendArgs, Chunk, Client, Error, FileType, MapInfo, Result, UploadArgs};

/// Where the chunks go.
#[derive(Debug, Clone)]
pub enum Mode {
    /// `map/append` to an existing map.
    Append {
        /// The map.
        map_id: u64,
        /// The `new_group` argument (only sent with a single chunk: see [`send`]).
        new_group: Option<String>,
    },
    /// `map/upload` creates the map from the first chunk; the rest are appended.
    Upload(UploadArgs),
}

/// What is known of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChunkState {
    /// Not sent.
    Pending,
    /// Sent, but no answer came: it may or may not have landed.
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
    /// What is known of it.
    pub state: ChunkState,
    /// MapHub's answer, once confirmed.
    pub answer: Option<MapInfo>,
}

/// The journal of one send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    /// A fingerprint of the input, so a journal is not resumed against another file.
    pub input: String,
    /// The map (known from the start for append, after the first chunk for upload).
    pub map_id: Option<u64>,
    /// How many features the map had before the first chunk.
    pub baseline: usize,
    /// The chunks.
    pub chunks: Vec<ChunkRecord>,
}

impl Journal {
    fn load(path: &Path) -> Result<Option<Journal>> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::Journal {
                    path: path.display().to_string(),
                    message: format!("unreadable: {e}"),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn save(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(self).map_err(|e| Error::Journal {
                path: path.display().to_string(),
                message: e.to_string(),
            })?,
        )?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    /// True when every chunk is confirmed.
    pub fn complete(&self) -> bool {
        self.chunks.iter().all(|c| c.state == ChunkState::Confirmed)
    }
}

/// How a send ended.
#[derive(Debug)]
pub struct SendOutcome {
    /// The map, as MapHub last described it.
    pub map: Option<MapInfo>,
    /// Every chunk and what is known of it.
    pub chunks: Vec<ChunkRecord>,
    /// Why it stopped, if it did not finish.
    pub error: Option<Error>,
}

/// A fingerprint of the input and of how it was cut (FNV-1a over the chunk bodies):
/// the same file sent the same way gives the same fingerprint.
fn fingerprint(chunks: &[Chunk]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chunks {
        for &b in c.body.iter().chain(&(c.count as u64).to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:016x}/{}", h, chunks.len())
}

fn feature_count(client: &Client, map_id: u64) -> Result<usize> {
    let map = client.get(map_id)?;
    Ok(map
        .get("geojson")
        .and_then(|g| g.get("features"))
        .and_then(|f| f.as_array())
        .map_or(0, Vec::len))
}

/// Sends `chunks` (of `file_type`) as `mode` says, recording each in the journal at
/// `journal_path`. With more than one chunk and `new_group`, the caller is expected to
/// have nested the document's groups under the new group already, since MapHub would
/// create one such group per append. `on_chunk` is told of each chunk as it completes.
pub fn send(
    client: &Client,
    chunks: &[Chunk],
    file_type: FileType,
    mode: &Mode,
    journal_path: &Path,
    resume: bool,
    on_chunk: &mut dyn FnMut(&ChunkRecord),
) -> Result<SendOutcome> {
    let input = fingerprint(chunks);
    let existing = Journal::load(journal_path)?;
    let mut journal = match existing {
        Some(j) if !j.complete() && !resume => {
            return Err(Error::Journal {
                path: journal_path.display().to_string(),
                message: "an earlier send of this file did not finish; run again with --resume to continue it, or delete the journal to start over".into(),
            })
        }
        Some(j) if resume && j.input != input => {
            return Err(Error::Journal {
                path: journal_path.display().to_string(),
                message: "it records a different file (or the same file cut differently): it cannot be resumed with this one".into(),
            })
        }
        Some(j) if resume => j,
        _ => {
            let (map_id, baseline) = match mode {
                Mode::Append { map_id, .. } => (Some(*map_id), feature_count(client, *map_id)?),
                Mode::Upload(_) => (None, 0),
            };
            Journal {
                input,
                map_id,
                baseline,
                chunks: chunks
                    .iter()
                    .enumerate()
                    .map(|(index, c)| ChunkRecord {
                        index,
                        first: c.first,
                        count: c.count,
                        bytes: c.body.len() as u64,
                        state: ChunkState::Pending,
                        answer: None,
                    })
                    .collect(),
            }
        }
    };
    journal.save(journal_path)?;
    let mut map = journal.chunks.iter().rev().find_map(|c| c.answer.clone());
    let mut error = None;
    for (i, chunk) in chunks.iter().enumerate() {
        if journal.chunks[i].state == ChunkState::Confirmed {
            continue;
        }
        let landed_before: usize =
            journal.baseline + journal.chunks[..i].iter().map(|c| c.count).sum::<usize>();
        if journal.chunks[i].state == ChunkState::Sent {
            // An earlier attempt got no answer: look before sending again.
            let Some(map_id) = journal.map_id else {
                error = Some(Error::Journal {
                    path: journal_path.display().to_string(),
                    message: "the first upload got no answer, so whether it created a map is unknown; see `geonorm maps`, then send the rest with `geonorm append --map ID`".into(),
                });
                break;
            };
            match feature_count(client, map_id) {
                Ok(n) if n == landed_before + chunk.count => {
                    journal.chunks[i].state = ChunkState::Confirmed;
                    journal.save(journal_path)?;
                    on_chunk(&journal.chunks[i]);
                    continue;
                }
                Ok(n) if n == landed_before => journal.chunks[i].state = ChunkState::Pending,
                Ok(n) => {
                    error = Some(Error::Journal {
                        path: journal_path.display().to_string(),
                        message: format!(
                            "map {map_id} has {n} features; {landed_before} were expected before chunk {} and {} after it, so whether it landed cannot be told; nothing more is sent",
                            i + 1,
                            landed_before + chunk.count
                        ),
                    });
                    break;
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        journal.chunks[i].state = ChunkState::Sent;
        journal.save(journal_path)?;
        let result = match (mode, journal.map_id) {
            (Mode::Upload(args), None) => client.upload(
                &UploadArgs {
                    file_type,
                    ..args.clone()
                },
                &chunk.body,
            ),
            (Mode::Append { new_group, .. }, Some(map_id)) => {
                let new_group = if chunks.len() == 1 {
                    new_group.clone()
                } else {
                    None
                };
                client.append(
                    &AppendArgs {
                        map_id,
                        file_type,
                        new_group,
                    },
                    &chunk.body,
                )
            }
            (Mode::Upload(_), Some(map_id)) => client.append(
                &AppendArgs {
                    map_id,
                    file_type,
                    new_group: None,
                },
                &chunk.body,
            ),
            (Mode::Append { map_id, .. }, None) => client.append(
                &AppendArgs {
                    map_id: *map_id,
                    file_type,
                    new_group: None,
                },
                &chunk.body,
            ),
        };
        match result {
            Ok(info) => {
                journal.map_id.get_or_insert(info.id);
                journal.chunks[i].state = ChunkState::Confirmed;
                journal.chunks[i].answer = Some(info.clone());
                map = Some(info);
                journal.save(journal_path)?;
                on_chunk(&journal.chunks[i]);
            }
            Err(e) => {
                // MapHub said no, or the request never left: it did not land.
                let not_landed = matches!(e, Error::Api(_))
                    || matches!(
                        e,
                        Error::Transport {
                            maybe_sent: false,
                            ..
                        }
                    );
                if not_landed {
                    journal.chunks[i].state = ChunkState::Pending;
                }
                journal.save(journal_path)?;
                error = Some(e);
                break;
            }
        }
    }
    // A finished send needs no journal: what it recorded is in the outcome.
    if error.is_none() && journal.complete() {
        let _ = std::fs::remove_file(journal_path);
    }
    Ok(SendOutcome {
        map,
        chunks: journal.chunks,
        error,
    })
}
