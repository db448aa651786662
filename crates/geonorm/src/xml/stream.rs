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
