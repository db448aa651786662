//! GeoJSON checked as `convert` reads it: the reader cuts the features out of the
//! input without parsing them, batches of a few megabytes are parsed (by serde into
//! the model; by the spanned parser for the RFC 7946 rules, which need each value's
//! position, only the outline of a sound feature and the whole of one whose positions
//! have something to say) and serialised (to measure the conversion, and with
//! [`super::check_convert`] to write it) on the thread pool while the reader cuts the
//! next batch, and MapHub's per-feature rules see each feature in the file's order.
//! The findings are those of reading the file feature by feature on one thread
//! (`check_geojson`, the tests' reference), in the same order, for any number of
//! threads and wherever the batches are cut.

use std::io::BufRead;

use super::convert::Output;
use super::kept::Kept;
use super::maphub::{explains, MaphubRules};
use super::report::{fatal_diagnostic, Profile};
use crate::geojson::read::{
    check_unit_feature, Batch, CheckMode, Cut, Cutter, GroupIndex, Reader, Unit,
};
use crate::geojson::rules::PRECISION_SHOWN;
use crate::stream::{map_in_order, overlap, overlapping, Pace};
use crate::writer::{Part, PartMaker};
use crate::{Code, Diagnostic, Error, Feature, Format, Group, Span};

/// What a feature became on the pool.
struct Parsed {
    /// What reading it and the RFC 7946 rules found, in the reader's order.
    diags: Vec<Diagnostic>,
    /// The feature (`None`: skipped), or what stopped the reader in it.
    feature: crate::Result<Option<Feature>>,
    /// Its positions with more than 6 decimals.
    precise: usize,
    /// The length of its MapHub GeoJSON, when the converted size counts and it could be written
    /// (`None` too when it is the `written` bytes).
    converted: Option<u64>,
    /// What it is written as, when the conversion is written.
    written: Option<crate::Result<Part>>,
}

/// How a batch's features are written out, when the conversion is written.
#[derive(Clone, Copy)]
struct Emit<'a> {
    maker: &'a PartMaker,
    /// The groups known once the batch was cut: a feature naming one of them by title
    /// or string id is written linked to it, as [`crate::geojson::convert`] writes it
    /// (the rules see it as the one-thread reader does, named, and resolve it at the
    /// end; one naming a group not known yet the writer links at the end).
    groups: &'a GroupIndex,
}

/// What [`parse`] is asked to do beside reading and the rules.
#[derive(Clone, Copy)]
struct Work<'a> {
    maphub: bool,
    /// Every feature through the rules whole ([`CheckMode::whole`]).
    whole: bool,
    /// Whether the converted size counts.
    convert: bool,
    write: Option<Emit<'a>>,
}

/// Parses one feature of a batch and does what `work` asks of it.
fn parse(batch: &Batch, u: &Unit, work: Work) -> Parsed {
    let Work {
        maphub,
        whole,
        convert,
        write,
    } = work;
    let bytes = batch.of(u);
    // Counted as if the positions shown one by one were shown already: which
    // are shown depends on the features before, and is settled in order
    // ([`InFileOrder::feature`] reads again a feature whose positions are shown).
    let mut mode = CheckMode {
        maphub,
        whole,
        precision: PRECISION_SHOWN,
        ..CheckMode::default()
    };
    let mut diags = Vec::new();
    let feature = check_unit_feature(bytes, u.origin, &u.index, &mut diags, &mut mode);
    let (written, same) = match (&feature, write) {
        (Ok(Some(f)), Some(w)) => {
            let linked = w.groups.linked(f);
            let out = linked.as_ref().unwrap_or(f);
            let same = linked.is_none() && w.maker.is_full_geojson();
            (Some(w.maker.part_named(out)), same)
        }
        _ => (None, false),
    };
    let converted = match (&feature, convert && !same) {
        (Ok(Some(f)), true) => super::maphub::geojson_len(f),
        _ => None,
    };
    Parsed {
        diags,
        feature,
        precise: mode.precision.saturating_sub(PRECISION_SHOWN),
        converted,
        written,
    }
}

/// Parses a batch on up to `threads` threads; the results in the batch's order.
fn parse_batch(batch: &Batch, work: Work, threads: usize) -> Vec<Parsed> {
    map_in_order(&batch.units, threads, |u| parse(batch, u, work))
}

/// Cuts the next batch with `cut`: Ok(false) once the input is read to its end. A root
/// Feature or geometry, read whole by the reader (it comes last), goes to `singles`.
fn fill<R: BufRead>(
    cut: &mut Cutter<R>,
    batch: &mut Batch,
    singles: &mut Vec<Feature>,
) -> crate::Result<bool> {
    loop {
        match cut.fill(batch)? {
            Cut::Full => return Ok(true),
            Cut::Single(f) => singles.push(*f),
            Cut::End => return Ok(false),
        }
    }
}

/// The findings put together in the file's order, as reading it one feature at a
/// time on one thread puts them.
struct InFileOrder<'o, W: std::io::Write> {
    tally: MaphubRules,
    /// Where the conversion is written, if it is.
    output: Option<&'o mut Output<W>>,
    /// What writing out the conversion failed with (the output's fault, not the input's).
    failed: Option<std::io::Error>,
    /// MapHub's per-feature findings (said before the reader's, as one thread says them).
    per_feature: Vec<Diagnostic>,
    /// The reader's findings: its own (about the root and the groups) and each
    /// feature's, in reading order.
    read: Vec<Diagnostic>,
    /// How many of the reader's own findings are in `read`.
    taken: usize,
    /// How many of the reader's own findings there were at the last feature.
    seen: usize,
    /// Precise positions so far (those shown one by one are the first few).
    precise: usize,
    /// MapHub's dialect (for reading a feature again).
    maphub: bool,
    /// Every feature through the rules whole (for reading a feature again).
    whole: bool,
    /// Where the features are kept, in order, when they are.
    keep: Option<&'o mut Kept>,
}

impl<W: std::io::Write> InFileOrder<'_, W> {
    /// The reader's own findings up to `mark`.
    fn take_own(&mut self, own: &[Diagnostic], mark: usize) {
        if let Some(more) = own.get(self.taken..mark) {
            self.read.extend_from_slice(more);
            self.taken = mark;
        }
    }

    /// One feature's results, in order; what stopped the reader in it, if anything.
    /// `batch` holds its bytes.
    fn feature(
        &mut self,
        batch: &Batch,
        unit: &Unit,
        parsed: Parsed,
        own: &[Diagnostic],
    ) -> crate::Result<()> {
        self.take_own(own, unit.mark);
        let Parsed {
            mut diags,
            feature,
            precise,
            converted,
            written,
        } = parsed;
        if precise > 0 && self.precise < PRECISION_SHOWN {
            // Some of its precise positions are among the first few of the file, which
            // are shown one by one: read again, for their places (a few features in all).
            let bytes = batch.of(unit);
            let mut mode = CheckMode {
                maphub: self.maphub,
                whole: self.whole,
                ..CheckMode::default()
            };
            diags.clear();
            let _ = check_unit_feature(bytes, unit.origin, &unit.index, &mut diags, &mut mode);
        }
        // The first few precise positions of the file are shown, the rest counted.
        let mut shown = self.precise.min(PRECISION_SHOWN);
        diags.retain(|d| {
            if d.code != Code::GeojsonPrecision || d.span.is_none() {
                return true;
            }
            shown += 1;
            shown <= PRECISION_SHOWN
        });
        self.precise += precise;
        let f = match feature {
            Ok(Some(f)) => f,
            Ok(None) => {
                self.read.append(&mut diags);
                return Ok(());
            }
            Err(e) => {
                self.read.append(&mut diags);
                return Err(e);
            }
        };
        let before = own.get(self.seen..unit.mark).unwrap_or_default();
        let explained = explains(before, f.span) || explains(&diags, f.span);
        self.seen = unit.mark;
        self.read.append(&mut diags);
        match (converted, &written) {
            (Some(len), _) => self.tally.converted(Some(len), &f),
            // Written at full precision and unchanged: the bytes the size counts.
            (None, Some(Ok(Part::GeoJson(bytes, ..)))) => {
                self.tally.converted(Some(bytes.len() as u64), &f)
            }
            _ => self.tally.converted(None, &f),
        }
        self.tally.rules(&f, explained, &mut self.per_feature);
        if let (Some(o), Some(w)) = (self.output.as_deref_mut(), written) {
            // As `geojson::convert`: a feature that cannot be written stops it.
            if let Err(e) = o.feature(w?) {
                self.failed.get_or_insert(e);
            }
        }
        if let Some(k) = self.keep.as_deref_mut() {
            k.feature(f);
        }
        Ok(())
    }

    /// A batch's results, in order, up to the first that stopped the reader.
    fn batch(&mut self, batch: &Batch, done: Vec<Parsed>, own: &[Diagnostic]) -> Stop {
        for (unit, parsed) in batch.units.iter().zip(done) {
            if let Err(e) = self.feature(batch, unit, parsed, own) {
                return Some(e);
            }
        }
        None
    }
}

/// What stopped the reader in a feature of a batch.
type Stop = Option<Error>;

/// The checking pipeline; see the module's doc. Fails only when `input` does.
/// `whole`: every feature through the rules whole ([`CheckMode::whole`]; the tests'
/// choice, `false` otherwise).
pub(super) fn check_geojson_stream<R: BufRead, W: std::io::Write>(
    input: R,
    profile: Profile,
    pace: Pace,
    whole: bool,
    out: &mut Vec<Diagnostic>,
    output: Option<&mut Output<W>>,
    keep: Option<&mut Kept>,
) -> std::io::Result<()> {
    let maphub = profile.maphub();
    let reader = Reader::new(input).checking(CheckMode {
        maphub,
        whole,
        ..CheckMode::default()
    });
    let mut cut = Cutter::new(reader, pace.batch);
    // A root Feature or geometry, read whole by the reader (it comes last).
    let mut singles = Vec::new();
    let threads = pace.threads;
    let mut tally = MaphubRules::new(profile);
    tally.late = Some(crate::geojson::read::LateGroupNames::default());
    let convert = tally.converted.is_some();
    let maker = output.as_ref().map(|o| o.maker.clone());
    let mut m = InFileOrder {
        tally,
        output,
        failed: None,
        per_feature: Vec::new(),
        read: Vec::new(),
        taken: 0,
        seen: 0,
        precise: 0,
        maphub,
        whole,
        keep,
    };
    let (mut batch, mut spare) = (Batch::default(), Batch::default());
    let mut filled = fill(&mut cut, &mut batch, &mut singles);
    // The first error in the file's order: in a feature of a batch, or met by the
    // reader past every feature cut before it.
    let stopped: Option<(Error, bool)> = loop {
        // The groups known once this batch was cut, for writing it out.
        let index = maker.as_ref().map(|_| cut.reader.group_index().clone());
        let work = Work {
            maphub,
            whole,
            convert,
            write: maker
                .as_ref()
                .zip(index.as_ref())
                .map(|(maker, groups)| Emit { maker, groups }),
        };
        if let Some(e) = m.failed.take() {
            return Err(e);
        }
        if matches!(filled, Ok(true)) && overlapping(threads) {
            // This batch is parsed on the pool while the next is cut from the input.
            let mut next = std::mem::take(&mut spare);
            next.clear();
            let (done, next_filled) = overlap(
                || parse_batch(&batch, work, threads),
                || fill(&mut cut, &mut next, &mut singles),
            );
            if let Some(e) = m.batch(&batch, done, cut.reader.diagnostics()) {
                break Some((e, true));
            }
            spare = std::mem::replace(&mut batch, next);
            filled = next_filled;
            continue;
        }
        let done = parse_batch(&batch, work, threads);
        if let Some(e) = m.batch(&batch, done, cut.reader.diagnostics()) {
            break Some((e, true));
        }
        batch.clear();
        match filled {
            Ok(true) => filled = fill(&mut cut, &mut batch, &mut singles),
            Ok(false) => break None,
            Err(e) => break Some((e, false)),
        }
    };
    if let Some(e) = m.failed.take() {
        return Err(e);
    }
    let Cutter { reader, groups, .. } = cut;
    if let Some((e, in_feature)) = stopped {
        if let Error::Io(e) = e {
            return Err(e);
        }
        let mut root = Vec::new();
        if !in_feature {
            // Every finding of the reader up to where it stopped, and what the rules
            // found on the root: what reading one feature at a time says.
            m.take_own(reader.diagnostics(), reader.diagnostics().len());
            root = reader
                .check_mode()
                .map(|mode| mode.root.clone())
                .unwrap_or_default();
        }
        out.append(&mut m.per_feature);
        out.append(&mut m.read);
        stopped_by(&e, root, out);
        if let Some(k) = m.keep {
            k.stopped(e);
        }
        return Ok(());
    }
    for f in &singles {
        let said = reader.diagnostics().get(m.seen..).unwrap_or_default();
        m.tally
            .feature(f, explains(said, f.span), &mut m.per_feature);
        m.seen = reader.diagnostics().len();
    }
    m.take_own(reader.diagnostics(), reader.diagnostics().len());
    let mode = reader.check_mode().cloned().unwrap_or_default();
    let index = reader.group_index().clone();
    let (meta, _) = reader.into_parts();
    if let Some(o) = m.output.as_deref_mut() {
        for f in &singles {
            o.whole(f)?;
        }
        o.finish(&meta, &groups, Some(&index), None)?;
    }
    out.append(&mut m.per_feature);
    out.append(&mut m.read);
    let precise = m.precise + mode.precision;
    // The groups as read, before the rules resolve the names features give (which
    // the document kept resolves as `read` does).
    let kept_groups = m.keep.as_ref().map(|_| groups.clone());
    document_end(m.tally, groups, &index, mode, precise, &meta, maphub, out);
    if let (Some(k), Some(groups)) = (m.keep, kept_groups) {
        for f in singles {
            k.feature(f);
        }
        k.geojson_to_end(meta, groups, &index);
    }
    Ok(())
}

/// What stops the reader (`e`), said once as `convert` says it, with the rest of what
/// the rules found on the root (`root`) beside it.
pub(super) fn stopped_by(e: &Error, root: Vec<Diagnostic>, out: &mut Vec<Diagnostic>) {
    let fatal = fatal_diagnostic(Format::GeoJson, e);
    let same = |d: &Diagnostic| d.code == fatal.code && d.span == fatal.span;
    out.extend(root.into_iter().filter(|d| !same(d)));
    out.push(fatal);
}

/// The rules on a whole GeoJSON document once its features are read: groups named by
/// title or string id resolved as `read` resolves them (with its diagnostics; the
/// groups it creates count as the file's), the root's findings, how many precise
/// positions went unsaid (`precise` in all), the root's kind for MapHub, and the
/// whole-document rules.
#[allow(clippy::too_many_arguments)]
pub(super) fn document_end(
    mut tally: MaphubRules,
    groups: Vec<Group>,
    index: &GroupIndex,
    mode: CheckMode,
    precise: usize,
    meta: &crate::Metadata,
    maphub: bool,
    out: &mut Vec<Diagnostic>,
) {
    let late = tally.late.take().unwrap_or_default();
    let (groups, named) = late.resolve(groups, index, out);
    for f in &named {
        tally.group_of(f, out);
    }
    out.extend(mode.root);
    if precise > PRECISION_SHOWN {
        out.push(Diagnostic::new(
            Code::GeojsonPrecision,
            format!(
                "{} more positions have coordinates with more than 6 decimal places",
                precise - PRECISION_SHOWN
            ),
        ));
    }
    if maphub && meta.root != crate::RootKind::Collection {
        out.push(
            Diagnostic::new(
                Code::MaphubNotCollection,
                "MapHub takes a FeatureCollection; this root is not one",
            )
            .at(Span::new(mode.root_at, mode.root_at + 1))
            .with_help("`geonorm convert` wraps it in a FeatureCollection"),
        );
    }
    tally.finish(meta, &groups, out);
}
