//! What the streaming XML readers share: a reader over one piece of
//! the input (a KML Placemark, a GPX track) parsed on a worker thread, and the fault a
//! piece the walk could not skip reports.

use std::io::BufRead;

use super::{Inspect, TextFindings};
use crate::{Error, Result};

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
pub(crate) fn read_here<R: BufRead, P>(
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
pub(crate) fn read_while_walking<R: BufRead, P: Send, W>(
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
