//! GeoJSON read as a stream, as the XML readers are: the [`Cutter`] walks the root on
//! this thread and cuts each feature's bytes out of the input without parsing them;
//! a batch of them is parsed (and goes through the sink) on the pool while the next
//! is cut ([`crate::stream::overlap`]); the features are handed on in the file's
//! order, each with what reading it one feature at a time would have said with it.
//! The result is the same for any number of threads and wherever batches are cut.
//! For a sink that checks ([`FeatureSink::checks`], `check` and `convert`), each
//! feature is read with the RFC 7946 rules, and what depends on the features before
//! (which precise positions are shown) is settled in order.

use std::io::BufRead;
use std::ops::Range;
use std::sync::Arc;

use super::feature::read_feature;
use super::{CheckMode, GroupIndex, LateGroupNames, Origin, Raw, Reader};
use crate::geojson::rules::{ShownPrecision, PRECISION_SHOWN};
use crate::stream::{
    map_in_order, overlap, overlapping, FeatureSink, Handed, Pace, ReadChecks, StreamEnd,
};
use crate::{Diagnostic, Document, Feature, Group, Metadata, Result};

/// A feature's bytes in a batch, with what reading it one at a time would have known.
pub(crate) struct Unit {
    /// Where it starts in the source.
    pub(crate) origin: Origin,
    /// Where its bytes are in the batch.
    pub(crate) range: Range<usize>,
    /// The groups as far as they were read when it was cut: its `group` is looked up
    /// in them, as reading one feature at a time looks it up.
    pub(crate) index: Arc<GroupIndex>,
    /// How many of the reader's own findings precede it.
    pub(crate) mark: usize,
}

/// Features cut and not parsed yet: their bytes, and where each is among them.
#[derive(Default)]
pub(crate) struct Batch {
    pub(crate) bytes: Vec<u8>,
    pub(crate) units: Vec<Unit>,
}

impl Batch {
    /// A unit's bytes.
    pub(crate) fn of(&self, unit: &Unit) -> &[u8] {
        self.bytes.get(unit.range.clone()).unwrap_or_default()
    }

    /// Empties it, keeping its room.
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.units.clear();
    }
}

/// Why [`Cutter::fill`] stopped.
pub(crate) enum Cut {
    /// The batch holds its bytes' worth.
    Full,
    /// A feature the reader parsed itself (a root Feature or geometry): it comes after
    /// the features cut before it.
    Single(Box<Feature>),
    /// The end of the input.
    End,
}

/// The reader, cutting features into batches, with the groups it met.
pub(crate) struct Cutter<R> {
    pub(crate) reader: Reader<R>,
    /// The groups read, in order.
    pub(crate) groups: Vec<Group>,
    index: Arc<GroupIndex>,
    groups_read: usize,
    /// Bytes cut before a batch is parsed ([`Pace::batch`]).
    batch: usize,
}

impl<R: BufRead> Cutter<R> {
    /// Cuts `reader`'s features into batches of about `batch` bytes.
    pub(crate) fn new(reader: Reader<R>, batch: usize) -> Self {
        Cutter {
            reader,
            groups: Vec::new(),
            index: Arc::new(GroupIndex::default()),
            groups_read: 0,
            batch,
        }
    }

    /// Cuts features into `batch` until it is full, a feature parsed whole comes, or
    /// the input ends. On an error, `batch` holds the features cut before it.
    pub(crate) fn fill(&mut self, batch: &mut Batch) -> Result<Cut> {
        while let Some(raw) = self.reader.next_raw(&mut batch.bytes)? {
            if self.reader.groups_read() != self.groups_read {
                self.groups_read = self.reader.groups_read();
                self.index = Arc::new(self.reader.group_index().clone());
            }
            match raw {
                Raw::Unit(origin, range) => {
                    batch.units.push(Unit {
                        origin,
                        range,
                        index: Arc::clone(&self.index),
                        mark: self.reader.diagnostics().len(),
                    });
                    if batch.bytes.len() >= self.batch {
                        return Ok(Cut::Full);
                    }
                }
                Raw::Group(g) => self.groups.push(g),
                Raw::Feature(f) => return Ok(Cut::Single(f)),
            }
        }
        Ok(Cut::End)
    }
}

/// The most bytes a batch of the stream gathers, whatever [`Pace::batch`] says: parsed
/// features are bigger than their text, and a batch of them alive at once costs the
/// allocator more than the pool saves beyond this (a fifth of the time, 2 MiB against
/// 256 KiB, on 150 MB).
const BATCH_MOST: usize = 256 << 10;

/// How a batch's features are read.
#[derive(Clone, Copy)]
enum How<'a> {
    /// As `read` reads them; `note_late`: keeping what resolving the group names of
    /// features not kept needs.
    Plain { note_late: bool },
    /// With the RFC 7946 rules, for a sink that checks; `groups`: the groups known once
    /// the batch was cut, to link each feature to the one it names when the sink asks.
    Checked {
        checks: ReadChecks,
        groups: Option<&'a GroupIndex>,
    },
}

/// What a feature became on the pool.
struct Mapped<O> {
    /// What reading it found.
    read: Vec<Diagnostic>,
    /// What the sink said of it.
    said: Vec<Diagnostic>,
    /// What resolving its group name at the end needs, if it names one by title or
    /// string id ([`LateGroupNames::note`]); boxed, as it is seldom there and each
    /// result is moved a few times on its way.
    late: Option<Box<Feature>>,
    /// Its precise positions, when checked ([`ShownPrecision`]).
    precise: usize,
    /// What the sink made of it (`None`: skipped), or what stopped the reader in it.
    out: Result<Option<O>>,
}

/// The rules as a checked feature's reading runs them; `shown`: how many precise
/// positions count as shown before it.
fn check_mode(checks: ReadChecks, shown: usize) -> CheckMode {
    CheckMode {
        maphub: checks.maphub,
        whole: checks.whole,
        precision: shown,
        ..CheckMode::default()
    }
}

/// Parses a batch's features and puts each through `sink`, on up to `threads`
/// threads; the results in the batch's order.
fn map_batch<S: FeatureSink>(
    batch: &Batch,
    sink: &S,
    how: How,
    threads: usize,
) -> Vec<Mapped<S::Out>> {
    map_in_order(&batch.units, threads, |u| {
        let mut read = Vec::new();
        let mut said = Vec::new();
        let mut late = None;
        let mut precise = 0;
        let out = match how {
            How::Plain { note_late } => {
                match read_feature(batch.of(u), u.origin, &u.index, &mut read, None) {
                    Ok(Some(f)) => {
                        if note_late {
                            late = LateGroupNames::lite(&f).map(Box::new);
                        }
                        sink.map(f, &mut said).map(Some)
                    }
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                }
            }
            How::Checked { checks, groups } => {
                // Counted as if the positions shown one by one were shown already:
                // which are shown is settled in order ([`InOrder::batch`]).
                let mut mode = check_mode(checks, PRECISION_SHOWN);
                let f = read_feature(batch.of(u), u.origin, &u.index, &mut read, Some(&mut mode));
                precise = mode.precision.saturating_sub(PRECISION_SHOWN);
                match f {
                    Ok(Some(f)) => {
                        let linked = groups.and_then(|g| g.linked(&f)).map(Box::new);
                        sink.map_checked(f, Handed::Listed(linked), &mut said)
                            .map(Some)
                    }
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                }
            }
        };
        Mapped {
            read,
            said,
            late,
            precise,
            out,
        }
    })
}

/// The features handed on in the file's order, with the findings as reading them one
/// at a time gives them.
struct InOrder<E> {
    emit: E,
    /// Every finding of the reader so far, in reading order: its own (about the root
    /// and the groups) and each feature's.
    log: Vec<Diagnostic>,
    /// How many of the reader's own findings are in `log`.
    taken: usize,
    /// How many of `log` went with a feature handed on.
    seen: usize,
    /// How many of the reader's own findings preceded the last feature handed on.
    own_seen: usize,
    /// What the sink said, in order.
    said: Vec<Diagnostic>,
    /// Features whose group is named by title or string id, when noted.
    late: LateGroupNames,
    /// What the sink checks, if it does.
    checks: Option<ReadChecks>,
    /// The precise positions met, when checking.
    shown: ShownPrecision,
}

impl<E> InOrder<E> {
    /// The reader's own findings up to `mark`.
    fn take_own(&mut self, own: &[Diagnostic], mark: usize) {
        if let Some(more) = own.get(self.taken..mark) {
            self.log.extend_from_slice(more);
            self.taken = mark;
        }
    }

    /// Hands on `out`, a feature as the sink made it, with the findings since the
    /// last one and what the sink said.
    fn hand_on<O>(&mut self, out: O, mut said: Vec<Diagnostic>) -> Result<()>
    where
        E: FnMut(O, &[Diagnostic]) -> Result<()>,
    {
        let mut with = self.log.get(self.seen..).unwrap_or_default().to_vec();
        self.seen = self.log.len();
        self.own_seen = self.taken;
        with.extend(said.iter().cloned());
        self.said.append(&mut said);
        (self.emit)(out, &with)
    }

    /// A batch's features, in order, up to the first that stops the reader.
    fn batch<O>(&mut self, batch: &Batch, done: Vec<Mapped<O>>, own: &[Diagnostic]) -> Result<()>
    where
        E: FnMut(O, &[Diagnostic]) -> Result<()>,
    {
        for (unit, mapped) in batch.units.iter().zip(done) {
            self.take_own(own, unit.mark);
            let Mapped {
                mut read,
                said,
                late,
                precise,
                out,
            } = mapped;
            if let Some(checks) = self.checks {
                if self.shown.again(precise) {
                    // Some of its precise positions are among the first few of the
                    // file, shown one by one: read again, for their places.
                    read.clear();
                    let mut mode = check_mode(checks, 0);
                    let bytes = batch.of(unit);
                    let _ =
                        read_feature(bytes, unit.origin, &unit.index, &mut read, Some(&mut mode));
                }
                self.shown.settle(precise, &mut read);
            }
            self.log.append(&mut read);
            if let Some(out) = out? {
                self.late.push(late.map(|f| *f));
                self.hand_on(out, said)?;
            }
        }
        Ok(())
    }
}

/// What a GeoJSON stream leaves once its features have gone by.
pub(crate) struct Streamed {
    /// The document's own data.
    pub(crate) meta: Metadata,
    /// The groups as read, none created.
    pub(crate) groups: Vec<Group>,
    /// How features may name them.
    pub(crate) index: GroupIndex,
    /// Every finding of the reader, in reading order.
    pub(crate) read: Vec<Diagnostic>,
    /// What the sink said.
    pub(crate) said: Vec<Diagnostic>,
    /// Features whose group is named by title or string id, when noted.
    pub(crate) late: LateGroupNames,
    /// The reader's rules once reading is over (what they found on the root, the
    /// precise positions of what the reader parsed itself), when checking.
    pub(crate) mode: CheckMode,
    /// The precise positions of the features of the list, when checking.
    pub(crate) precise: usize,
}

/// What stopped a GeoJSON stream, and what it had read: what a check says then.
pub(crate) struct Stopped {
    /// What stopped it: the reader's error in a feature or between them, or the sink's.
    pub(crate) error: crate::Error,
    /// Every finding of the reader up to where it stopped, in reading order.
    pub(crate) read: Vec<Diagnostic>,
    /// What the rules found on the root, when checking and the reader stopped between
    /// features (in one, reading one feature at a time never gets to the root's end).
    pub(crate) root: Vec<Diagnostic>,
}

/// A stream's stop, with what it had read.
fn stopped<E>(order: InOrder<E>, error: crate::Error, root: Vec<Diagnostic>) -> Box<Stopped> {
    Box::new(Stopped {
        error,
        read: order.log,
        root,
    })
}

/// Reads `input` in batches on `pace.threads` threads, handing each feature through
/// `sink` to `emit` in the file's order; `note_late`: keeps what resolving the group
/// names of features not kept needs. When the sink checks ([`FeatureSink::checks`]),
/// each feature is read with the RFC 7946 rules and the reader runs them on the root;
/// the root itself, read whole, is handed on last ([`Handed::Root`]), once the input
/// has been read to its end.
pub(crate) fn stream_batches<R, S, E>(
    input: R,
    pace: Pace,
    sink: &S,
    note_late: bool,
    emit: E,
) -> std::result::Result<Streamed, Box<Stopped>>
where
    R: BufRead,
    S: FeatureSink,
    E: FnMut(S::Out, &[Diagnostic]) -> Result<()>,
{
    let threads = pace.threads;
    let checks = sink.checks();
    let reader = match checks {
        Some(c) => Reader::new(input).checking(check_mode(c, 0)),
        None => Reader::new(input),
    };
    // On one thread nothing runs beside the cut: each feature is parsed as soon as it
    // is cut, while its bytes are in the cache and the allocator reuses what the last
    // one freed (gathering batches cost a sixth more there, measured on 150 MB). On
    // several, batches no bigger than `BATCH_MOST`: fewer features alive at once. A
    // check's batches are as asked (measured neither way).
    let most = match (checks, overlapping(threads)) {
        (Some(_), _) => usize::MAX,
        (None, true) => BATCH_MOST,
        (None, false) => 1,
    };
    let mut cut = Cutter::new(reader, pace.batch.min(most));
    let mut order = InOrder {
        emit,
        log: Vec::new(),
        taken: 0,
        seen: 0,
        own_seen: 0,
        said: Vec::new(),
        late: LateGroupNames::default(),
        checks,
        shown: ShownPrecision::default(),
    };
    let linking = checks.is_some_and(|c| c.link);
    // A checked root, handed on once the input is read to its end.
    let mut roots = Vec::new();
    let mut batch = Batch::default();
    let mut spare = Batch::default();
    let mut filled = cut.fill(&mut batch);
    loop {
        // The groups known once this batch was cut, for a check that links.
        let index = linking.then(|| cut.reader.group_index().clone());
        let how = match checks {
            Some(checks) => How::Checked {
                checks,
                groups: index.as_ref(),
            },
            None => How::Plain { note_late },
        };
        if matches!(filled, Ok(Cut::Full)) && overlapping(threads) {
            // This batch is parsed on the pool while the next is cut from the input.
            let mut next = std::mem::take(&mut spare);
            next.clear();
            let (done, next_filled) = overlap(
                || map_batch(&batch, sink, how, threads),
                || cut.fill(&mut next),
            );
            if let Err(e) = order.batch(&batch, done, cut.reader.diagnostics()) {
                return Err(stopped(order, e, Vec::new()));
            }
            spare = std::mem::replace(&mut batch, next);
            filled = next_filled;
            continue;
        }
        // The features cut before whatever stopped the cut go on first: one of them
        // may hold an earlier fault.
        let done = map_batch(&batch, sink, how, threads);
        if let Err(e) = order.batch(&batch, done, cut.reader.diagnostics()) {
            return Err(stopped(order, e, Vec::new()));
        }
        batch.clear();
        match filled {
            Ok(Cut::Full) => {}
            Ok(Cut::Single(f)) if checks.is_some() => roots.push(*f),
            Ok(Cut::Single(f)) => {
                let own = cut.reader.diagnostics();
                order.take_own(own, own.len());
                let mut said = Vec::new();
                if note_late {
                    order.late.push(LateGroupNames::lite(&f));
                }
                let handed = sink
                    .map(*f, &mut said)
                    .and_then(|out| order.hand_on(out, said));
                if let Err(e) = handed {
                    return Err(stopped(order, e, Vec::new()));
                }
            }
            Ok(Cut::End) => break,
            Err(e) => {
                // Every finding of the reader up to where it stopped, and what the
                // rules found on the root: what reading one feature at a time says.
                let own = cut.reader.diagnostics();
                order.take_own(own, own.len());
                let root = cut.reader.check_mode().map(|m| m.root.clone());
                return Err(stopped(order, e, root.unwrap_or_default()));
            }
        }
        filled = cut.fill(&mut batch);
    }
    let Cutter { reader, groups, .. } = cut;
    for f in roots {
        // Said with it: the reader's findings since the last feature, to the end.
        let own = reader.diagnostics();
        let with = own.get(order.own_seen..).unwrap_or_default();
        order.own_seen = own.len();
        let mut said = Vec::new();
        let handed = sink
            .map_checked(f, Handed::Root, &mut said)
            .and_then(|out| (order.emit)(out, with));
        order.said.append(&mut said);
        if let Err(e) = handed {
            return Err(stopped(order, e, Vec::new()));
        }
    }
    order.take_own(reader.diagnostics(), reader.diagnostics().len());
    let index = reader.group_index().clone();
    let mode = reader.check_mode().cloned().unwrap_or_default();
    let (meta, _) = reader.into_parts();
    Ok(Streamed {
        meta,
        groups,
        index,
        read: order.log,
        said: order.said,
        late: order.late,
        mode,
        precise: order.shown.so_far,
    })
}

/// Reads a GeoJSON document as a stream ([`crate::stream()`]), in batches parsed on
/// `pace.threads` threads: each feature goes through `sink` (on the thread that
/// parsed it) and then, in the file's order, to `emit`, with what reading it raised.
/// Features that name their group by title or string id are linked as far as the
/// groups are known when they are read (the rest keep the name); the groups returned
/// are those [`read_paced`] gives, created ones included, and the diagnostics those
/// [`read_paced`] gives and what `sink` said. The same for any threads and batches.
pub(crate) fn stream<R, S, E>(input: R, pace: Pace, sink: &S, emit: E) -> Result<StreamEnd>
where
    R: BufRead,
    S: FeatureSink,
    E: FnMut(S::Out, &[Diagnostic]) -> Result<()>,
{
    let Streamed {
        meta,
        groups,
        index,
        read: mut diagnostics,
        mut said,
        late,
        ..
    } = stream_batches(input, pace, sink, true, emit).map_err(|s| s.error)?;
    let (groups, _) = late.resolve(groups, &index, &mut diagnostics);
    diagnostics.append(&mut said);
    Ok(StreamEnd {
        meta,
        groups,
        diagnostics,
        kmz: None,
    })
}

/// Reads a whole GeoJSON document in batches on `pace.threads` threads, with the
/// diagnostics met on the way in the reader's order ([`crate::read`] is the public
/// way, sorting them by position), the same for any threads and batches.
///
/// ```
/// let text = br#"{"type":"Point","coordinates":[1.5,2.5,100]}"#;
/// let opts = geonorm::ReadOptions::format(geonorm::Format::GeoJson);
/// let (doc, diags) = geonorm::read(&text[..], &opts)?.into_parts();
/// assert_eq!(doc.features.len(), 1);
/// assert!(diags.is_empty());
/// # Ok::<(), geonorm::Error>(())
/// ```
pub(crate) fn read_paced<R: BufRead>(input: R, pace: Pace) -> Result<(Document, Vec<Diagnostic>)> {
    let mut features = Vec::new();
    let Streamed {
        meta,
        groups,
        index,
        read: mut diagnostics,
        ..
    } = stream_batches(input, pace, &crate::stream::AsRead, false, |f, _| {
        features.push(f);
        Ok(())
    })
    .map_err(|s| s.error)?;
    let mut doc = Document {
        meta,
        groups,
        features,
    };
    super::resolve_group_names(&mut doc, &index, &mut diagnostics);
    Ok((doc, diagnostics))
}

/// Reads a whole GeoJSON document on this thread ([`read_paced`] on one thread).
#[cfg(any(test, feature = "geojson"))]
pub(crate) fn read<R: BufRead>(input: R) -> Result<(Document, Vec<Diagnostic>)> {
    read_paced(input, Pace::one())
}
