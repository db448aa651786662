//! Sending a document in chunks exactly once, across failures, retries, resumes and
//! concurrent runs.
//!
//! A journal records each chunk: pending, sent (no answer came, so it may or may not
//! have landed, or may still be landing) or confirmed, with the server's answer. It
//! also records the server, the map, the command and a fingerprint of the input, so it
//! is never resumed against another file, server or map. It is removed once every
//! chunk is confirmed and the map has been checked to hold them.
//!
//! The journal is sealed (format 4): an HMAC-SHA-256 over all it records, keyed by a
//! key derived from the API key. A record edited, deleted or moved by hand no longer
//! matches, and the resume is refused before anything is sent, since a journal that
//! lies could send features twice or leave some out. An older copy of a journal, put
//! back after the send went on or ended, is refused too: each save counts up its
//! generation, which the per-user state folder records per send (see `ledger.rs`).
//!
//! How a chunk whose fate is unknown is settled: every feature sent as GeoJSON carries
//! a mark ([`MARK_PROPERTY`] = `"<send id>:<feature index>"`), so the map can be
//! searched for exactly that chunk's features, whatever else changed on the map. Marks
//! alone cannot tell "not landed" from "still being processed", so before looking, the
//! resume waits until the lost request can no longer land: the client's deadline for
//! the request plus MapHub's two minutes of processing, counted from when it was sent
//! ([`SendOptions::settle`]). Only then does "no mark on the map" mean "not landed".
//! Where marks cannot be used (a `--raw` file, or a server that drops unknown
//! properties), the feature count is compared after the same wait, and anything but the
//! exact expected count stops the send rather than risk a duplicate.

use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use geonorm::assets::Plan;
use geonorm::{Document, Group, GroupId};

use crate::chunk::split_range;
use crate::{Client, Error, FileType, MapInfo, Result, UploadArgs};

mod ledger;
mod lock;
mod record;
mod run;

use ledger::Ledger;
use lock::Lock;
use record::journal_err;
pub use record::{AssetRecord, ChunkRecord, ChunkState, Journal};
use run::{Census, Run};

/// The journal format this version writes and reads.
const JOURNAL_VERSION: u32 = 4;

/// Where the chunks go.
#[derive(Debug, Clone)]
pub enum Mode {
    /// `map/append` to an existing map.
    Append {
        /// The map.
        map_id: u64,
        /// Put everything into a new group of this title. Sent as MapHub's `new_group`
        /// argument when the file goes in one request; with several, the document's
        /// groups are nested under a group of this title instead, since MapHub would
        /// make one new group per request.
        new_group: Option<String>,
    },
    /// `map/upload` creates the map from the first chunk; the rest are appended.
    Upload(UploadArgs),
}

impl Mode {
    fn command(&self) -> &'static str {
        match self {
            Mode::Append { .. } => "append",
            Mode::Upload(_) => "upload",
        }
    }
}

/// Icons and photos left out of a send, so that one MapHub refuses cannot block it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SkipAssets {
    /// Every one is sent.
    #[default]
    None,
    /// None is sent or used (`--no-assets` on a resume): only before the chunks are
    /// planned, since after that they carry the ids.
    All,
    /// These, by name (the archive entry or the path beside the KML), unless already
    /// uploaded.
    Named(Vec<String>),
}

/// What is sent.
pub enum Payload<'a> {
    /// A document, sent as MapHub GeoJSON, split under `limit` bytes per request (no
    /// limit with `None`), every feature marked (see the module documentation).
    Document {
        /// The document (groups may be nested under `new_group`, see [`Mode::Append`]).
        doc: &'a mut Document,
        /// The largest request body.
        limit: Option<u64>,
        /// Its icons and photos ([`geonorm::assets::plan`] for MapHub), uploaded
        /// before the first chunk; their ids go into the features that use them.
        assets: Option<&'a Plan>,
    },
    /// A file sent as it is, in one request, unmarked.
    Raw {
        /// Its bytes.
        bytes: &'a [u8],
        /// Its MapHub file type.
        file_type: FileType,
        /// How many features it holds (to check the map's count against).
        features: usize,
    },
}

/// Something worth telling the user while a send runs.
#[derive(Debug)]
pub enum Event<'a> {
    /// An icon or photo was uploaded.
    AssetLanded(&'a AssetRecord),
    /// A chunk was confirmed (sent now, or found on the map).
    Landed(&'a ChunkRecord),
    /// A chunk sent without an answer may still be landing; the send waits this many
    /// seconds before looking for it on the map.
    Waiting {
        /// The chunk's index.
        chunk: usize,
        /// How long.
        secs: u64,
    },
    /// The server found a chunk too large; it was split in this many (nothing of it was
    /// applied).
    Resplit {
        /// The chunk's index.
        chunk: usize,
        /// Into how many chunks.
        parts: usize,
    },
}

/// How to send.
pub struct SendOptions<'a> {
    /// The journal file.
    pub journal: PathBuf,
    /// Continue the send the journal records (refused when there is none).
    pub resume: bool,
    /// A fingerprint of the input and of the settings that shape what is sent (see
    /// [`fingerprint`]).
    pub input: String,
    /// How long after a request was sent it may still land: the client's deadline for
    /// the request plus the server's processing time (MapHub: 2 minutes).
    pub settle: Duration,
    /// Set (e.g. by Ctrl-C) to stop before the next chunk.
    pub stop: Option<&'a AtomicBool>,
    /// Icons and photos not to send (see [`SkipAssets`]).
    pub skip_assets: SkipAssets,
    /// Told what happens.
    pub on_event: &'a mut dyn FnMut(Event<'_>),
}

/// How a send ended.
#[derive(Debug)]
pub struct SendOutcome {
    /// The map, as MapHub last described it.
    pub map: Option<MapInfo>,
    /// Every chunk and what is known of it.
    pub chunks: Vec<ChunkRecord>,
    /// Every icon and photo and what is known of it.
    pub assets: Vec<AssetRecord>,
    /// Why it stopped or what the final check found, if it did not end well.
    pub error: Option<Error>,
    /// Whether the journal was kept, so that `resume` can go on from it. When the send
    /// failed and nothing can have landed, it is removed and the send can simply be run
    /// again.
    pub journal_kept: bool,
    /// What the final check of the map found (`None` when the send did not finish).
    pub verified: Option<String>,
}

impl SendOutcome {
    /// The outcome as the front ends print it for programs (the CLI's `--format json`,
    /// Python's return value): map, chunks, assets, the final check, the error, and
    /// the journal (`journal`) when it was kept.
    pub fn to_json(&self, journal: &std::path::Path) -> serde_json::Value {
        serde_json::json!({
            "map": self.map,
            "chunks": self.chunks,
            "assets": self.assets,
            "verified": self.verified,
            "error": self.error.as_ref().map(ToString::to_string),
            "journal": self.journal_kept.then(|| journal.display().to_string()),
        })
    }
}

/// A fingerprint (FNV-1a, 64 bits) of the given parts, each length-prefixed.
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in (p.len() as u64).to_le_bytes().iter().chain(p.iter()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn new_send_id() -> String {
    // RandomState is seeded from the OS's randomness; mixed with the time and pid so
    // two sends never share an id.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Puts every group under a new top group titled `title`, and ungrouped features in
/// it, so that a split append keeps one such group (MapHub's `new_group` argument
/// would make one per request).
pub fn nest_under(doc: &mut Document, title: &str) {
    let next = doc
        .groups
        .iter()
        .map(|g| g.id.get())
        .max()
        .unwrap_or(0)
        .saturating_add(1);
    let Some(top) = GroupId::new(next) else {
        return;
    };
    for g in &mut doc.groups {
        if g.parent.is_none() {
            g.parent = Some(top);
        }
    }
    for f in &mut doc.features {
        f.group.get_or_insert(top);
    }
    doc.groups.push(Group {
        id: top,
        title: title.to_string(),
        parent: None,
        extra: Default::default(),
    });
}

/// Sends `payload` as `mode` says, recording each chunk in the journal at
/// `opts.journal`, so that no fault, retry, resume or concurrent run puts a feature on
/// the map twice or leaves one out without saying so (see the module documentation).
///
/// Refused (with [`Error::Journal`], nothing sent) when another run holds the
/// journal's lock; when a journal exists and `resume` is not asked; when `resume` is
/// asked and there is no journal, or it records another input, server, command or map.
pub fn send(
    client: &Client,
    mut payload: Payload<'_>,
    mode: &Mode,
    opts: SendOptions<'_>,
) -> Result<SendOutcome> {
    let path = opts.journal.clone();
    let _lock = Lock::journal(&path)?;
    // Each path, link or stdin has its own journal: the content has one lock.
    let map = match mode {
        Mode::Append { map_id, .. } => map_id.to_le_bytes(),
        Mode::Upload(_) => [0; 8],
    };
    let content = content_key(&opts.input, client.base(), mode.command(), map);
    let state = crate::prepare::state_dir();
    let _content_lock = Lock::content(&state.join("locks"), &content, &path)?;
    let ledger = Ledger::new(&state);
    let file_type = match &payload {
        Payload::Document { .. } => FileType::Geojson,
        Payload::Raw { file_type, .. } => *file_type,
    };
    let mut planned = Vec::new();
    let journal = match (Journal::load(&path)?, opts.resume) {
        (None, true) => {
            return Err(journal_err(
                &path,
                "nothing to resume: there is no journal, so the earlier send finished (or never began); run without --resume to send the file again",
            ))
        }
        (Some(_), false) => {
            return Err(journal_err(
                &path,
                "an earlier send of this file did not finish; run the same command with --resume to continue it (it checks what landed before sending anything again)",
            ))
        }
        (Some(j), true) => {
            check_resumable(&j, &path, client, mode, &opts.input, &ledger)?;
            if opts.skip_assets == SkipAssets::All && j.assets.is_empty() {
                // Sent with no assets from the start: nothing to leave out.
                if let Payload::Document { assets, .. } = &mut payload {
                    *assets = None;
                }
            }
            let planned_assets = match &payload {
                Payload::Document { assets, .. } => assets.map(records_of).unwrap_or_default(),
                Payload::Raw { .. } => Vec::new(),
            };
            let same = planned_assets.len() == j.assets.len()
                && planned_assets
                    .iter()
                    .zip(&j.assets)
                    .all(|(p, r)| p.hash == r.hash && p.kind == r.kind);
            if !same {
                return Err(journal_err(
                    &path,
                    "it records other icons or photos than this file now has (a file beside the KML changed, or --no-assets differs): it cannot be resumed with this one",
                ));
            }
            if j.nested {
                if let (Payload::Document { doc, .. }, Mode::Append { new_group: Some(t), .. }) =
                    (&mut payload, mode)
                {
                    nest_under(doc, t);
                }
            }
            j
        }
        (None, false) => {
            let (journal, bodies) = plan(client, &mut payload, mode, &opts.input)?;
            planned = bodies;
            journal
        }
    };
    let run = Run {
        client,
        journal,
        path,
        file_type,
        mode,
        payload,
        opts,
        planned,
        seal_key: client.seal_key(),
        ledger,
    };
    let mut run = run;
    skip_assets(&mut run.journal, &run.opts.skip_assets, &run.path)?;
    run.save()?;
    run.go()
}

/// The name of the lock on what is sent: the input's fingerprint, the server in one
/// spelling (`http://localhost:P` and `http://127.0.0.1:P` are one server, see
/// [`crate::client::canonical_server`]), the command and the map.
fn content_key(input: &str, base: &str, command: &str, map: [u8; 8]) -> String {
    fingerprint(&[
        b"content lock",
        input.as_bytes(),
        crate::client::canonical_server(base).as_bytes(),
        command.as_bytes(),
        &map,
    ])
}

/// Marks the assets left out: refused when one named is not in the send, or when
/// `All` would take ids out of chunks already planned with them.
fn skip_assets(j: &mut Journal, skip: &SkipAssets, path: &Path) -> Result<()> {
    match skip {
        SkipAssets::None => {}
        SkipAssets::All => {
            if j.planned && j.assets.iter().any(|a| !a.skipped) {
                return Err(journal_err(
                    path,
                    "its icons and photos were all uploaded and the chunks carry their ids, so --no-assets cannot apply now; resume without it",
                ));
            }
            for a in &mut j.assets {
                a.skipped = true;
            }
        }
        SkipAssets::Named(names) => {
            for name in names {
                let Some(a) = j.assets.iter_mut().find(|a| &a.name == name) else {
                    let known: Vec<&str> = j.assets.iter().map(|a| a.name.as_str()).collect();
                    return Err(journal_err(
                        path,
                        format!(
                            "--skip-asset {name}: this send has no icon or photo of that name (it has: {})",
                            if known.is_empty() { "none".to_string() } else { known.join(", ") }
                        ),
                    ));
                };
                // One already uploaded is used as it is.
                if a.state != ChunkState::Confirmed {
                    a.skipped = true;
                }
            }
        }
    }
    Ok(())
}

fn check_resumable(
    j: &Journal,
    path: &Path,
    client: &Client,
    mode: &Mode,
    input: &str,
    ledger: &Ledger,
) -> Result<()> {
    let refuse = |why: String| Err(journal_err(path, why));
    if j.version != JOURNAL_VERSION {
        return refuse(format!(
            "it was written by another version of geonorm (format {}, this one reads {JOURNAL_VERSION}) and cannot be resumed; see which chunks it lists as confirmed, check the map, send what is missing, then delete the journal",
            j.version
        ));
    }
    let look = match j.map_id {
        Some(id) => format!("what map {id} holds (`geonorm get {id}`)"),
        None => "your maps (`geonorm maps`)".to_string(),
    };
    // Before anything it records is trusted (its server, its map, its states).
    if !j.sealed(&client.seal_key()) {
        return refuse(format!(
            "it is not as geonorm wrote it: a record was edited, deleted or moved (or it was written with another API key), and resuming from it could send features twice or leave some out, so nothing is sent. Check {look}, then delete {} and send what is missing",
            path.display()
        ));
    }
    // Sealed, but maybe an older copy of the send's journal.
    ledger.check(j, path, &look)?;
    if j.input != input {
        return refuse(
            "it records a different file (or the same file sent with other options): it cannot be resumed with this one".into(),
        );
    }
    if j.server != client.base() {
        return refuse(format!(
            "it records a send to {}, not {}: resume it with --server {}",
            j.server,
            client.base(),
            j.server.trim_end_matches('/').trim_end_matches("/api/1")
        ));
    }
    if j.command != mode.command() {
        return refuse(format!(
            "it records `geonorm {}`, not `geonorm {}`: resume it with the same command",
            j.command,
            mode.command()
        ));
    }
    if let (Mode::Append { map_id, .. }, Some(journal_map)) = (mode, j.map_id) {
        if *map_id != journal_map {
            return refuse(format!(
                "it records a send to map {journal_map}, not map {map_id}: resume it with --map {journal_map}"
            ));
        }
    }
    Ok(())
}

/// A new journal: the chunks and what the map held before.
/// A new journal, and the chunks' bodies as planned (none for a raw file, which is
/// its own body), so the first attempt sends them without writing them again.
fn plan(
    client: &Client,
    payload: &mut Payload<'_>,
    mode: &Mode,
    input: &str,
) -> Result<(Journal, Vec<Option<Vec<u8>>>)> {
    let send_id = new_send_id();
    let (map_id, baseline, maps_before) = match mode {
        Mode::Append { map_id, .. } => (
            Some(*map_id),
            Census::take(client, *map_id, &send_id)?.total,
            Vec::new(),
        ),
        Mode::Upload(_) => (None, 0, client.list()?.owner.iter().map(|m| m.id).collect()),
    };
    let mut nested = false;
    let mut assets = Vec::new();
    let (chunks, marked) = match payload {
        // The chunks carry the assets' ids: they are planned once those are known.
        Payload::Document {
            assets: Some(plan), ..
        } if !plan.assets.is_empty() => {
            assets = records_of(plan);
            (Vec::new(), true)
        }
        Payload::Document { doc, limit, .. } => {
            let (chunks, n) = plan_chunks(doc, *limit, mode, &send_id)?;
            nested = n;
            (chunks, true)
        }
        Payload::Raw { features, .. } => (
            vec![crate::Chunk {
                first: 0,
                count: *features,
                body: Vec::new(),
            }],
            false,
        ),
    };
    let mut records: Vec<ChunkRecord> = chunks
        .iter()
        .enumerate()
        .map(|(index, c)| ChunkRecord::planned(index, c))
        .collect();
    if let (Payload::Raw { bytes, .. }, Some(r)) = (&*payload, records.first_mut()) {
        r.bytes = bytes.len() as u64;
        r.hash = fingerprint(&[bytes]);
    }
    let bodies = chunks
        .into_iter()
        .map(|c| Some(c.body).filter(|_| marked))
        .collect();
    let journal = Journal {
        version: JOURNAL_VERSION,
        input: input.to_string(),
        send_id,
        server: client.base().to_string(),
        command: mode.command().to_string(),
        map_id,
        baseline,
        maps_before,
        marked,
        nested,
        planned: assets.is_empty(),
        assets,
        chunks: records,
        generation: 0,
        seal: String::new(),
    };
    Ok((journal, bodies))
}

/// The journal's records of the assets `plan` holds, none sent.
fn records_of(plan: &Plan) -> Vec<AssetRecord> {
    plan.assets
        .iter()
        .map(|a| AssetRecord {
            kind: a.kind.as_str().to_string(),
            name: a.source.clone(),
            hash: a.hash.clone(),
            bytes: a.bytes.len() as u64,
            state: ChunkState::Pending,
            answer: None,
            skipped: false,
        })
        .collect()
}

/// The chunks a new send of `doc` makes (each feature marked with `send_id`), and
/// whether the document's groups were nested under `mode`'s `new_group` for it: with
/// several chunks they are, since MapHub would make one new group per request.
pub fn plan_chunks(
    doc: &mut Document,
    limit: Option<u64>,
    mode: &Mode,
    send_id: &str,
) -> Result<(Vec<crate::Chunk>, bool)> {
    let n = doc.features.len();
    let chunks = split_range(doc, 0, n, limit, Some(send_id))?;
    match mode {
        Mode::Append {
            new_group: Some(t), ..
        } if chunks.len() > 1 => {
            nest_under(doc, t);
            Ok((split_range(doc, 0, n, limit, Some(send_id))?, true))
        }
        _ => Ok((chunks, false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_lock_is_the_same_for_every_spelling_of_one_server() {
        let key = |server: &str| {
            let base = crate::client::api_base(server).expect("a server");
            content_key("in", &base, "append", 7u64.to_le_bytes())
        };
        let local = key("http://127.0.0.1:8080");
        for same in [
            "http://localhost:8080",
            "HTTP://LocalHost.:8080/",
            "http://127.0.0.2:8080",
            "http://[::1]:8080",
            "http://[::ffff:127.0.0.1]:8080",
            "http://2130706433:8080",
            "http://127.0.0.1:8080/api/1/",
        ] {
            assert_eq!(key(same), local, "{same}");
        }
        for other in [
            "http://127.0.0.1:8081",
            "https://localhost:8080",
            "http://localhost:8080/other/",
        ] {
            assert_ne!(key(other), local, "{other}");
        }
        let public = key("https://maphub.net");
        for same in [
            "https://MapHub.NET",
            "https://maphub.net.:443/",
            "https://maphub.net/api/1",
        ] {
            assert_eq!(key(same), public, "{same}");
        }
        assert_ne!(key("https://maphub.net:8443"), public);
        assert_ne!(key("https://company.maphub.net"), public);
        assert_ne!(
            content_key(
                "other",
                &crate::client::api_base("http://localhost:8080").expect("a server"),
                "append",
                7u64.to_le_bytes()
            ),
            local
        );
    }
}
