//! One send as it runs: chunk by chunk, settling what was sent without an answer.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use geonorm::assets::{apply_uploaded, AssetKind};
use serde_json::Value;

use super::ledger::Ledger;
use super::record::journal_err;
use super::{
    fingerprint, nest_under, now_secs, plan_chunks, AssetRecord, ChunkRecord, ChunkState, Event,
    Journal, Mode, Payload, SendOptions, SendOutcome,
};
use crate::chunk::{body, split_range, MARK_PROPERTY};
use crate::{AppendArgs, Client, Error, FileType, ImageType, MapInfo, Result, UploadArgs};

/// What a map holds of this send.
pub(super) struct Census {
    /// Every feature on the map.
    pub(super) total: usize,
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
    pub(super) fn take(client: &Client, map_id: u64, send_id: &str) -> Result<Census> {
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
pub(super) struct Run<'a, 'b> {
    pub(super) client: &'a Client,
    pub(super) journal: Journal,
    pub(super) path: PathBuf,
    pub(super) file_type: FileType,
    pub(super) mode: &'a Mode,
    pub(super) payload: Payload<'a>,
    pub(super) opts: SendOptions<'b>,
    /// Bodies written when the chunks were planned, taken by their first attempt.
    pub(super) planned: Vec<Option<Vec<u8>>>,
    /// The key the journal is sealed with ([`crate::ApiKey::seal_key`]).
    pub(super) seal_key: [u8; 32],
    /// Where the latest generation of each journal is recorded.
    pub(super) ledger: Ledger,
}

/// `s` as one shell word: as it is when plain, else in single quotes.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/+:@%,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
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
    /// Writes the journal (its next generation), then records that generation
    /// outside it: in this order, a crash between the two leaves a journal newer than
    /// the record, which resumes.
    pub(super) fn save(&mut self) -> Result<()> {
        self.journal.save(&self.path, &self.seal_key)?;
        self.ledger
            .saved(&self.journal.send_id, &self.path, self.journal.generation)
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

    pub(super) fn go(mut self) -> Result<SendOutcome> {
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
            // Any copy of the journal is now older than the send: none may resume.
            if let Err(e) =
                self.ledger
                    .ended(&self.journal.send_id, &self.path, self.journal.generation)
            {
                error.get_or_insert(e);
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
                if self.journal.assets[i].state == ChunkState::Confirmed
                    || self.journal.assets[i].skipped
                {
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
                self.journal.save(&self.path, &self.seal_key)?;
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
                        self.journal.save(&self.path, &self.seal_key)?;
                        (self.opts.on_event)(Event::AssetLanded(&self.journal.assets[i]));
                    }
                    Err(e) => {
                        if not_applied(&e) {
                            record.state = ChunkState::Pending;
                        }
                        let refused = answered(&e) && not_applied(&e);
                        let (kind, name) = (record.kind.clone(), record.name.clone());
                        self.journal.save(&self.path, &self.seal_key)?;
                        if refused {
                            // Say the way out: the same refusal would come every time.
                            return Err(Error::AssetRefused {
                                quoted: shell_word(&name),
                                kind,
                                name,
                                message: match e {
                                    Error::Api(m) => m,
                                    other => other.to_string(),
                                },
                            });
                        }
                        return Err(e);
                    }
                }
            }
            let answers: Vec<Option<Value>> = self
                .journal
                .assets
                .iter()
                .map(|a| a.answer.clone().filter(|_| !a.skipped))
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
            self.journal.save(&self.path, &self.seal_key)?;
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
        let assets: Vec<&AssetRecord> = self.journal.assets.iter().filter(|a| !a.skipped).collect();
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
