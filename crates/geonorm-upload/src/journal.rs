//! Sending a document in chunks exactly once, across failures, retries, resumes and
//! concurrent runs.
//!
//! A journal records each chunk: pending, sent (no answer came, so it may or may not
//! have landed, or may still be landing) or confirmed, with the server's answer. It
//! also records the server, the map, the command and a fingerprint of the input, so it
//! is never resumed against another file, server or map. It is removed once every
//! chunk is confirmed and the map has been checked to hold them.
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

use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use geonorm::assets::{apply_uploaded, AssetKind, Plan};
use geonorm::{Document, Group, GroupId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chunk::{body, split_range, MARK_PROPERTY};
use crate::{AppendArgs, Client, Error, FileType, ImageType, MapInfo, Result, UploadArgs};

/// The journal format this version writes and reads.
const JOURNAL_VERSION: u32 = 2;

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
    fn planned(index: usize, c: &crate::Chunk) -> ChunkRecord {
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
}

impl Journal {
    fn load(path: &Path) -> Result<Option<Journal>> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| journal_err(path, format!("unreadable ({e}); it was not changed"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(journal_err(path, format!("cannot read it: {e}"))),
        }
    }

    /// Written to a fresh, exclusively created temporary file beside it and renamed
    /// over it, so a crash leaves the old journal or the new one, never half of one,
    /// and nothing planted at a predictable name is followed.
    fn save(&self, path: &Path) -> Result<()> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let io = |e: std::io::Error| journal_err(path, format!("cannot write it: {e}"));
        let mut tmp = tempfile::Builder::new()
            .prefix(".geonorm-journal.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(io)?;
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| journal_err(path, format!("cannot encode it: {e}")))?;
        std::io::Write::write_all(&mut tmp, &text).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// True when every asset and every chunk is confirmed.
    pub fn complete(&self) -> bool {
        self.planned
            && self.assets.iter().all(|a| a.state == ChunkState::Confirmed)
            && self.chunks.iter().all(|c| c.state == ChunkState::Confirmed)
    }

    fn renumber(&mut self) {
        for (i, c) in self.chunks.iter_mut().enumerate() {
            c.index = i;
        }
    }
}

fn journal_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Journal {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// A lock held for the whole of a send, so two runs of the same send cannot both go
/// on. An advisory lock on `JOURNAL.lock`, released by the system if the process dies;
/// the file is removed when the send ends.
struct Lock {
    path: PathBuf,
    _file: File,
}

impl Lock {
    fn acquire(journal: &Path) -> Result<Lock> {
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

/// What a map holds of this send.
struct Census {
    /// Every feature on the map.
    total: usize,
    /// The document indices of the features marked with this send's id, sorted.
    marked: Vec<usize>,
    /// The ids of the markers and of the images the map lists, when it lists both.
    listed: Option<(Vec<Value>, Vec<Value>)>,
}

/// An id as `map/get` lists it: the id itself, or an object with an `id`.
fn listed_id(v: &Value) -> Value {
    v.get("id").cloned().unwrap_or_else(|| v.clone())
}

impl Census {
    fn take(client: &Client, map_id: u64, send_id: &str) -> Result<Census> {
        let map = client.get(map_id)?;
        let features = map
            .get("geojson")
            .and_then(|g| g.get("features"))
            .and_then(|f| f.as_array());
        let prefix = format!("{send_id}:");
        let mut marked: Vec<usize> = features
            .into_iter()
            .flatten()
            .filter_map(|f| f.get("properties")?.get(MARK_PROPERTY)?.as_str())
            .filter_map(|m| m.strip_prefix(&prefix)?.parse().ok())
            .collect();
        marked.sort_unstable();
        let ids = |key: &str| -> Option<Vec<Value>> {
            Some(map.get(key)?.as_array()?.iter().map(listed_id).collect())
        };
        Ok(Census {
            total: features.map_or(0, Vec::len),
            marked,
            listed: ids("markers").zip(ids("images")),
        })
    }

    /// How many of features `first..first + count` are on the map.
    fn of(&self, first: usize, count: usize) -> usize {
        let lo = self.marked.partition_point(|&i| i < first);
        let hi = self.marked.partition_point(|&i| i < first + count);
        hi - lo
    }

    fn duplicates(&self) -> usize {
        self.marked.windows(2).filter(|w| w[0] == w[1]).count()
    }
}

/// The state of one send while it runs.
struct Run<'a, 'b> {
    client: &'a Client,
    journal: Journal,
    path: PathBuf,
    file_type: FileType,
    mode: &'a Mode,
    payload: Payload<'a>,
    opts: SendOptions<'b>,
    /// Bodies written when the chunks were planned, taken by their first attempt.
    planned: Vec<Option<Vec<u8>>>,
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
    let _lock = Lock::acquire(&path)?;
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
            check_resumable(&j, &path, client, mode, &opts.input)?;
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
    };
    run.save()?;
    run.go()
}

fn check_resumable(
    j: &Journal,
    path: &Path,
    client: &Client,
    mode: &Mode,
    input: &str,
) -> Result<()> {
    let refuse = |why: String| Err(journal_err(path, why));
    if j.version != JOURNAL_VERSION {
        return refuse(format!(
            "it was written by another version of geonorm (format {}, this one reads {JOURNAL_VERSION}) and cannot be resumed; see which chunks it lists as confirmed, check the map, and send what is missing",
            j.version
        ));
    }
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

/// Whether MapHub refused a body for its size (nothing of it was applied).
fn too_large(e: &Error) -> bool {
    match e {
        Error::Api(m) => m.to_ascii_lowercase().contains("too large"),
        Error::Http { status, .. } => *status == 413,
        _ => false,
    }
}

/// Whether an error proves the request was not applied: MapHub answered with an
/// `error`, or the request never left this machine.
fn not_applied(e: &Error) -> bool {
    matches!(
        e,
        Error::Api(_)
            | Error::Transport {
                maybe_sent: false,
                ..
            }
    ) || matches!(e, Error::Http { status, .. } if (400..500).contains(status))
}

/// Whether the server answered at all (so the request cannot land later).
fn answered(e: &Error) -> bool {
    matches!(e, Error::Api(_) | Error::Http { .. })
}

/// What became of a chunk whose answer was lost.
enum Fate {
    Landed,
    NotLanded,
}

impl<'a> Run<'a, '_> {
    fn save(&self) -> Result<()> {
        self.journal.save(&self.path)
    }

    /// Chunk `i`'s body: as planned on its first attempt, else written again from the
    /// document (a resume) and checked to be what was planned.
    fn body(&mut self, i: usize) -> Result<std::borrow::Cow<'a, [u8]>> {
        if let Some(b) = self.planned.get_mut(i).and_then(Option::take) {
            return Ok(b.into());
        }
        let c = &self.journal.chunks[i];
        let b: std::borrow::Cow<'a, [u8]> = match &self.payload {
            Payload::Document { doc, .. } => body(
                doc,
                c.first,
                c.count,
                Some(self.journal.send_id.as_str()).filter(|_| self.journal.marked),
            )?
            .into(),
            Payload::Raw { bytes, .. } => std::borrow::Cow::Borrowed(*bytes),
        };
        if fingerprint(&[&b]) != c.hash {
            return Err(journal_err(
                &self.path,
                format!(
                    "chunk {} would not be sent as it was planned (the file or geonorm changed since); nothing more is sent",
                    i + 1
                ),
            ));
        }
        Ok(b)
    }

    fn go(mut self) -> Result<SendOutcome> {
        let mut map = self
            .journal
            .chunks
            .iter()
            .rev()
            .find_map(|c| c.answer.clone());
        let mut error = self.send_assets().err();
        let mut i = 0;
        while error.is_none() && i < self.journal.chunks.len() {
            if self.journal.chunks[i].state == ChunkState::Confirmed {
                i += 1;
                continue;
            }
            if self.opts.stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
                error = Some(Error::Interrupted);
                break;
            }
            if self.journal.chunks[i].state == ChunkState::Sent {
                match self.settle(i) {
                    Ok(Fate::Landed) => {
                        self.journal.chunks[i].state = ChunkState::Confirmed;
                        self.journal.chunks[i].sent_at = None;
                        self.save()?;
                        (self.opts.on_event)(Event::Landed(&self.journal.chunks[i]));
                        i += 1;
                        continue;
                    }
                    Ok(Fate::NotLanded) => {
                        self.journal.chunks[i].state = ChunkState::Pending;
                        self.journal.chunks[i].sent_at = None;
                        self.save()?;
                    }
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            let body = self.body(i)?;
            self.journal.chunks[i].state = ChunkState::Sent;
            self.journal.chunks[i].sent_at = Some(now_secs());
            self.save()?;
            match self.request(i, &body) {
                Ok(info) => {
                    self.journal.map_id.get_or_insert(info.id);
                    let c = &mut self.journal.chunks[i];
                    c.state = ChunkState::Confirmed;
                    c.sent_at = None;
                    c.answer = Some(info.clone());
                    map = Some(info);
                    self.save()?;
                    (self.opts.on_event)(Event::Landed(&self.journal.chunks[i]));
                    i += 1;
                }
                Err(e) if too_large(&e) && self.journal.chunks[i].count > 1 => {
                    let parts = self.resplit(i)?;
                    (self.opts.on_event)(Event::Resplit { chunk: i, parts });
                }
                Err(e) => {
                    let c = &mut self.journal.chunks[i];
                    if not_applied(&e) {
                        c.state = ChunkState::Pending;
                    }
                    if answered(&e) {
                        c.sent_at = None;
                    }
                    self.save()?;
                    error = Some(e);
                    break;
                }
            }
        }
        let mut verified = None;
        if error.is_none() && self.journal.complete() {
            match self.verify() {
                Ok(text) => verified = Some(text),
                Err(e) => error = Some(e),
            }
        }
        // (An upload's map exists only once its first chunk was sent.)
        // An uploaded asset counts: the journal lets a resume use it, not upload it again.
        let landed_any = self
            .journal
            .chunks
            .iter()
            .any(|c| c.state != ChunkState::Pending)
            || self
                .journal
                .assets
                .iter()
                .any(|a| a.state != ChunkState::Pending);
        // A finished, checked send needs no journal; nor does one where nothing can
        // have landed (it can simply be run again), nor one where every chunk is
        // confirmed (a resume would have nothing to send).
        let keep = error.is_some() && landed_any && !self.journal.complete();
        if !keep {
            if let Err(e) = std::fs::remove_file(&self.path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    error.get_or_insert(journal_err(
                        &self.path,
                        format!("cannot remove it after the send: {e}"),
                    ));
                }
            }
        }
        Ok(SendOutcome {
            map,
            chunks: self.journal.chunks,
            assets: self.journal.assets,
            error,
            journal_kept: keep,
            verified,
        })
    }

    /// Uploads the assets not yet confirmed, writes their ids into the document, and
    /// plans the chunks if they are not yet (they carry the ids).
    fn send_assets(&mut self) -> Result<()> {
        let Payload::Document { doc, limit, assets } = &mut self.payload else {
            return Ok(());
        };
        if let Some(plan) = *assets {
            for i in 0..self.journal.assets.len() {
                if self.journal.assets[i].state == ChunkState::Confirmed {
                    continue;
                }
                if self.opts.stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
                    return Err(Error::Interrupted);
                }
                let Some(asset) = plan.assets.get(i) else {
                    return Err(journal_err(
                        &self.path,
                        "it records more assets than the file has",
                    ));
                };
                self.journal.assets[i].state = ChunkState::Sent;
                self.journal.save(&self.path)?;
                let answer = match asset.kind {
                    AssetKind::Marker => self.client.upload_marker(&asset.bytes),
                    AssetKind::Image => {
                        let file_type = if asset.file_type == "jpg" {
                            ImageType::Jpg
                        } else {
                            ImageType::Png
                        };
                        self.client
                            .upload_image(&asset.bytes, file_type)
                            .map(|info| info.feature_image())
                    }
                };
                let record = &mut self.journal.assets[i];
                match answer {
                    Ok(v) => {
                        record.state = ChunkState::Confirmed;
                        record.answer = Some(v);
                        self.journal.save(&self.path)?;
                        (self.opts.on_event)(Event::AssetLanded(&self.journal.assets[i]));
                    }
                    Err(e) => {
                        if not_applied(&e) {
                            record.state = ChunkState::Pending;
                        }
                        self.journal.save(&self.path)?;
                        return Err(e);
                    }
                }
            }
            let answers: Vec<Option<Value>> = self
                .journal
                .assets
                .iter()
                .map(|a| a.answer.clone())
                .collect();
            apply_uploaded(doc, plan, &answers);
        }
        if !self.journal.planned {
            let (chunks, nested) = plan_chunks(doc, *limit, self.mode, &self.journal.send_id)?;
            self.journal.chunks = chunks
                .iter()
                .enumerate()
                .map(|(i, c)| ChunkRecord::planned(i, c))
                .collect();
            self.planned = chunks.into_iter().map(|c| Some(c.body)).collect();
            self.journal.nested = nested;
            self.journal.planned = true;
            self.journal.save(&self.path)?;
        }
        Ok(())
    }

    fn request(&self, i: usize, body: &[u8]) -> Result<MapInfo> {
        let single = self.journal.chunks.len() == 1 && !self.journal.nested;
        match (self.mode, self.journal.map_id) {
            (Mode::Upload(args), None) => self.client.upload(
                &UploadArgs {
                    file_type: self.file_type,
                    ..args.clone()
                },
                body,
            ),
            (mode, map_id) => {
                let map_id = match (mode, map_id) {
                    (_, Some(id)) => id,
                    (Mode::Append { map_id, .. }, None) => *map_id,
                    (Mode::Upload(_), None) => {
                        return Err(journal_err(&self.path, "no map to append to"))
                    }
                };
                let new_group = match mode {
                    Mode::Append { new_group, .. } if single && i == 0 => new_group.clone(),
                    _ => None,
                };
                self.client.append(
                    &AppendArgs {
                        map_id,
                        file_type: self.file_type,
                        new_group,
                    },
                    body,
                )
            }
        }
    }

    /// Splits chunk `i`, which the server refused as too large, into smaller ones.
    fn resplit(&mut self, i: usize) -> Result<usize> {
        let c = self.journal.chunks[i].clone();
        let Payload::Document { doc, .. } = &mut self.payload else {
            return Err(journal_err(&self.path, "a raw file cannot be split"));
        };
        let limit = Some((c.bytes / 2).max(1));
        let send_id = self.journal.send_id.clone();
        let mut records: Vec<ChunkRecord> = Vec::new();
        if !self.journal.nested && self.journal.chunks.len() == 1 {
            // It was to go in one request with `new_group`; now it goes in several.
            if let Mode::Append {
                new_group: Some(t), ..
            } = self.mode
            {
                nest_under(doc, t);
                self.journal.nested = true;
            }
        }
        let mut bodies = Vec::new();
        for part in split_range(doc, c.first, c.first + c.count, limit, Some(&send_id))? {
            records.push(ChunkRecord::planned(0, &part));
            bodies.push(Some(part.body));
        }
        let parts = records.len();
        self.journal.chunks.splice(i..=i, records);
        // The planned bodies stay in step with the chunks (a resume has none).
        if self.planned.len() <= i {
            self.planned.resize(i + 1, None);
        }
        self.planned.splice(i..=i, bodies);
        self.journal.renumber();
        self.save()?;
        Ok(parts)
    }

    /// Waits until a chunk sent without an answer can no longer land, then looks for it.
    fn settle(&mut self, i: usize) -> Result<Fate> {
        if let Some(at) = self.journal.chunks[i].sent_at {
            let until = at.saturating_add(self.opts.settle.as_secs());
            let now = now_secs();
            if until > now {
                (self.opts.on_event)(Event::Waiting {
                    chunk: i,
                    secs: until - now,
                });
                while now_secs() < until {
                    if self.opts.stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
                        return Err(Error::Interrupted);
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        let c = self.journal.chunks[i].clone();
        let landed_before: usize = self.journal.baseline
            + self.journal.chunks[..i]
                .iter()
                .map(|c| c.count)
                .sum::<usize>();
        let map_id = match self.journal.map_id {
            Some(id) => id,
            None => match self.find_created_map(&c)? {
                Some(id) => {
                    self.journal.map_id = Some(id);
                    return Ok(Fate::Landed);
                }
                None => return Ok(Fate::NotLanded),
            },
        };
        let census = Census::take(self.client, map_id, &self.journal.send_id)?;
        let found = census.of(c.first, c.count);
        let marks_seen = self.journal.marked
            && (found > 0
                || self.journal.chunks[..i]
                    .iter()
                    .any(|p| census.of(p.first, p.count) > 0));
        let confirmed_before = self.journal.chunks[..i].iter().any(|p| p.count > 0);
        if self.journal.marked && (marks_seen || !confirmed_before) {
            // Marks decide: exact whatever else happened to the map. (With nothing
            // confirmed before, a server that drops marks would look like "not landed",
            // so the count must agree too.)
            if found == c.count && (marks_seen || census.total == landed_before + c.count) {
                return Ok(Fate::Landed);
            }
            if found == 0 && (marks_seen || census.total == landed_before) {
                return Ok(Fate::NotLanded);
            }
        } else if census.total == landed_before + c.count {
            return Ok(Fate::Landed);
        } else if census.total == landed_before {
            return Ok(Fate::NotLanded);
        }
        Err(journal_err(
            &self.path,
            format!(
                "whether chunk {} (features {}–{}) landed cannot be told: map {map_id} holds {found} of its {} features and {} features in all ({landed_before} were expected before it); nothing more is sent. Look at the map, then send what is missing with a new command",
                i + 1,
                c.first + 1,
                c.first + c.count,
                c.count,
                census.total
            ),
        ))
    }

    /// After an upload whose answer was lost: the map it created, if it did.
    fn find_created_map(&self, c: &ChunkRecord) -> Result<Option<u64>> {
        let new: Vec<MapInfo> = self
            .client
            .list()?
            .owner
            .into_iter()
            .filter(|m| !self.journal.maps_before.contains(&m.id))
            .collect();
        let mut found = Vec::new();
        for m in &new {
            let census = Census::take(self.client, m.id, &self.journal.send_id)?;
            let hit = if self.journal.marked {
                census.of(c.first, c.count) == c.count
            } else {
                let title = match self.mode {
                    Mode::Upload(a) => a.title.as_deref(),
                    Mode::Append { .. } => None,
                };
                census.total == c.count && title.is_some() && m.title.as_deref() == title
            };
            if hit {
                found.push(m.id);
            }
        }
        match found[..] {
            [] if self.journal.marked || new.is_empty() => Ok(None),
            [id] => Ok(Some(id)),
            _ => Err(journal_err(
                &self.path,
                format!(
                    "the first upload got no answer and which new map it created cannot be told (new maps: {}); nothing more is sent. Look at them with `geonorm maps`, delete any copy, and send the file again",
                    new.iter().map(|m| m.id.to_string()).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    /// After the last chunk: the map lists every marker and image this send uploaded
    /// (MapHub deletes those no map uses, so one missing would show as a default pin or
    /// no photo). Said as the end of the final check's sentence.
    fn assets_listed(&self, census: &Census, map_id: u64) -> Result<String> {
        let assets = &self.journal.assets;
        if assets.is_empty() {
            return Ok(String::new());
        }
        let count = |kind: AssetKind| assets.iter().filter(|a| a.kind == kind.as_str()).count();
        let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
        let (markers, images) = (
            plural(count(AssetKind::Marker), "marker"),
            plural(count(AssetKind::Image), "image"),
        );
        let Some((listed_markers, listed_images)) = &census.listed else {
            return Ok(format!(
                " ({markers} and {images} uploaded; the server does not list a map's markers and images, so they were not checked)"
            ));
        };
        let missing: Vec<&str> = assets
            .iter()
            .filter(|a| {
                let listed = if a.kind == AssetKind::Marker.as_str() {
                    listed_markers
                } else {
                    listed_images
                };
                !a.id().is_some_and(|id| listed.contains(id))
            })
            .map(|a| a.name.as_str())
            .collect();
        if missing.is_empty() {
            Ok(format!(", with its {markers} and {images}"))
        } else {
            Err(Error::Verify(format!(
                "the features of this send are on map {map_id}, but it does not list {} of the markers and images uploaded for them ({}); they may show as default pins or without photos",
                missing.len(),
                missing.join(", ")
            )))
        }
    }

    /// After the last chunk: the map holds every feature sent, once.
    fn verify(&mut self) -> Result<String> {
        let Some(map_id) = self.journal.map_id else {
            return Ok(String::new());
        };
        let census = Census::take(self.client, map_id, &self.journal.send_id)?;
        let sent: usize = self.journal.chunks.iter().map(|c| c.count).sum();
        let expected = self.journal.baseline + sent;
        let marks_kept = self.journal.marked && !census.marked.is_empty();
        if marks_kept {
            let missing: Vec<usize> = self
                .journal
                .chunks
                .iter()
                .filter(|c| census.of(c.first, c.count) < c.count)
                .map(|c| c.index)
                .collect();
            let dups = census.duplicates();
            if missing.is_empty() && dups == 0 {
                return self.assets_listed(&census, map_id).map(|also| {
                    format!("map {map_id} holds all {sent} features of this send, each once{also}")
                });
            }
            for &m in &missing {
                if census.of(self.journal.chunks[m].first, self.journal.chunks[m].count) == 0 {
                    self.journal.chunks[m].state = ChunkState::Pending;
                }
            }
            let mut what = Vec::new();
            if !missing.is_empty() {
                what.push(format!(
                    "chunk{} {} {} missing",
                    if missing.len() > 1 { "s" } else { "" },
                    missing
                        .iter()
                        .map(|m| (m + 1).to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    if missing.len() > 1 { "are" } else { "is" }
                ));
            }
            if dups > 0 {
                what.push(format!("{dups} features are on the map twice"));
            }
            self.save()?;
            return Err(Error::Verify(format!(
                "every chunk was reported landed, but map {map_id} holds {} of the {sent} features sent: {}",
                census.marked.len(),
                what.join("; ")
            )));
        }
        if census.total == expected {
            self.assets_listed(&census, map_id).map(|also| {
                format!("map {map_id} has {expected} features, as expected ({sent} sent){also}")
            })
        } else {
            self.save()?;
            Err(Error::Verify(format!(
                "map {map_id} has {} features; {expected} were expected ({} before and {sent} sent){}",
                census.total,
                self.journal.baseline,
                if self.journal.marked {
                    " and the server kept no marks to tell which are missing"
                } else {
                    ""
                }
            )))
        }
    }
}
