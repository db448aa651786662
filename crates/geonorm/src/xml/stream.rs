//! What the streaming XML readers share: the one shell both run in ([`recording`],
//! [`drive`]: a walk records pieces, a batch of them is read on the pool while the walk
//! records the next, the features are handed on in order), a reader over one piece of
//! the input (a KML Placemark, a GPX track) parsed on a worker thread, and the fault a
//! piece the walk could not skip reports.

use std::io::BufRead;

use super::{Inspect, TextFindings};
use crate::{Error, Result};

/// The reader a streaming XML reader walks: UTF-8 (decoded if the input is not),
/// empty elements seen as a start and an end, and recording, so that the pieces the
/// walk passes over can be read again elsewhere.
pub(crate) fn recording<'a, R: BufRead + 'a>(
    input: R,
) -> Result<quick_xml::Reader<Inspect<super::Buffered<'a>>>> {
    let mut xml = quick_xml::Reader::from_reader(super::utf8_input(input)?);
    xml.config_mut().expand_empty_elements = true;
    xml.get_mut().start_recording();
    Ok(xml)
}

/// Why a format's walk stopped.
pub(crate) enum Stop<O> {
    /// A batch of pieces is recorded.
    Full,
    /// Something the format handles itself once the pieces before it went on.
    Other(O),
    /// The end of the input.
    End,
}

/// What a format's streaming reader puts into [`drive`].
pub(crate) trait Walker<R: BufRead> {
    /// The pieces recorded so far, taken to be read, with what reading them needs.
    type Batch: Sync;
    /// What reading a batch gives.
    type Read: Send;
    /// A stop of the format's own.
    type Other;
    /// Walks on, recording pieces, until it has to stop.
    fn walk(&mut self, xml: &mut quick_xml::Reader<Inspect<R>>) -> Result<Stop<Self::Other>>;
    /// Takes the pieces recorded so far.
    fn take_batch(&mut self) -> Self::Batch;
    /// Hands on what reading a batch gave, in order.
    fn deliver(&mut self, xml: &mut quick_xml::Reader<Inspect<R>>, read: Self::Read) -> Result<()>;
    /// Handles a stop of the format's own, every piece before it handed on.
    fn other(&mut self, xml: &mut quick_xml::Reader<Inspect<R>>, other: Self::Other) -> Result<()>;
}

/// Reads a batch (`B`) of pieces out of the bytes recorded (which start at the offset
/// given), decoding text with the findings given, into `P`.
pub(crate) type ReadBatch<'a, B, P> = dyn Fn(&B, &[u8], usize, TextFindings) -> P + Sync + 'a;

/// Runs a streaming XML reader to the end of its input: `walker` walks and records,
/// `read` reads a batch of pieces (on up to `threads` threads, while the walk records
/// the next when two threads or more are free), and what it read is handed on in the
/// file's order. On a fault, the pieces before it are read and handed on first: they
/// may hold an earlier one.
pub(crate) fn drive<R, W>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    threads: usize,
    walker: &mut W,
    read: &ReadBatch<'_, W::Batch, W::Read>,
) -> Result<()>
where
    R: BufRead,
    W: Walker<R>,
{
    let flush = |walker: &mut W, xml: &mut quick_xml::Reader<Inspect<R>>| {
        let batch = walker.take_batch();
        let pieces = read_here(xml, |recorded, from, findings| {
            read(&batch, recorded, from, findings)
        });
        walker.deliver(xml, pieces)
    };
    let mut stop = walker.walk(xml);
    loop {
        stop = match stop {
            Err(e) => {
                flush(walker, xml)?;
                return Err(e);
            }
            Ok(Stop::End) => break,
            Ok(Stop::Other(other)) => {
                flush(walker, xml)?;
                walker.other(xml, other)?;
                walker.walk(xml)
            }
            Ok(Stop::Full) if crate::stream::overlapping(threads) => {
                let batch = walker.take_batch();
                let (pieces, next) = read_while_walking(
                    xml,
                    |recorded, from, findings| read(&batch, recorded, from, findings),
                    |xml| walker.walk(xml),
                );
                walker.deliver(xml, pieces)?;
                next
            }
            Ok(Stop::Full) => {
                flush(walker, xml)?;
                walker.walk(xml)
            }
        };
    }
    flush(walker, xml)
}

/// A reader over `bytes`, a piece of the input starting at offset `base`: positions
/// count in the whole input, and text decodes as the whole input's does.
pub(crate) fn piece_reader(
    bytes: &[u8],
    base: usize,
    findings: TextFindings,
) -> quick_xml::Reader<Inspect<&[u8]>> {
    let mut xml = quick_xml::Reader::from_reader(Inspect::piece(bytes, base, findings));
    xml.config_mut().expand_empty_elements = true;
    xml
}

/// The fault to report for a piece the walk could not skip over (`skipping` is what
/// skipping met): the one parsing the piece itself meets (by `parse`, over the bytes
/// recorded from `start`), which is where and what the whole file's parse reports.
pub(crate) fn fault_in_piece<R: BufRead>(
    xml: &quick_xml::Reader<Inspect<R>>,
    start: usize,
    skipping: Error,
    parse: impl FnOnce(&mut quick_xml::Reader<Inspect<&[u8]>>) -> Result<()>,
) -> Error {
    if matches!(skipping, Error::Io(_)) {
        return skipping;
    }
    let inspect = xml.get_ref();
    let (recorded, from) = inspect.recorded();
    let Some(bytes) = start.checked_sub(from).and_then(|at| recorded.get(at..)) else {
        return skipping;
    };
    let mut piece = piece_reader(bytes, start, inspect.findings().for_piece());
    match parse(&mut piece) {
        Err(e) => e,
        Ok(()) => skipping,
    }
}

/// The bytes of the piece at `range` of the input, out of `recorded` (which starts at
/// offset `from`); empty if they are not there (they always are: the walk records a
/// piece before it ends a batch).
pub(crate) fn piece_bytes<'a>(
    recorded: &'a [u8],
    from: usize,
    range: &std::ops::Range<usize>,
) -> &'a [u8] {
    let start = range.start.checked_sub(from);
    let end = range.end.checked_sub(from);
    start
        .zip(end)
        .and_then(|(s, e)| recorded.get(s..e))
        .unwrap_or_default()
}

/// Reads the batch recorded so far where it lies (`read` gets the recorded bytes, the
/// offset of the first, and the findings its text decodes with), then lets it go.
fn read_here<R: BufRead, P>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    read: impl FnOnce(&[u8], usize, TextFindings) -> P,
) -> P {
    let inspect = xml.get_ref();
    let (recorded, from) = inspect.recorded();
    let read = read(recorded, from, inspect.findings().for_piece());
    xml.get_mut().forget_recorded();
    read
}

/// Reads the batch recorded so far on the pool (as [`read_here`]) while `walk` goes on
/// recording the next on this thread ([`crate::stream::overlap`]).
fn read_while_walking<R: BufRead, P: Send, W>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    read: impl FnOnce(&[u8], usize, TextFindings) -> P + Send,
    walk: impl FnOnce(&mut quick_xml::Reader<Inspect<R>>) -> W,
) -> (P, W) {
    let findings = xml.get_ref().findings().for_piece();
    let (recorded, from) = xml.get_mut().take_recorded();
    let (read, walked) =
        crate::stream::overlap(|| read(&recorded, from, findings), || walk(&mut *xml));
    xml.get_mut().give_back(recorded);
    (read, walked)
}
