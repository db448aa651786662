//! What the streaming XML readers share: a reader over one piece of the input (a KML
//! Placemark, a GPX track) parsed on a worker thread, and the ordered map that runs
//! the pieces of a batch on every thread.

use std::io::BufRead;

use super::{Inspect, TextFindings};
use crate::{Error, Result};

/// Bytes of input recorded before the pieces read so far are parsed: big enough that
/// each thread gets real work, small enough that memory stays low.
const BATCH: usize = 4 << 20;

#[cfg(test)]
thread_local! {
    /// The batch size of the walks on this thread, for tests that cut small files
    /// into many batches.
    pub(crate) static TEST_BATCH: std::cell::Cell<usize> = const { std::cell::Cell::new(BATCH) };
}

/// The batch size ([`BATCH`]; in tests, what the test asks for).
pub(crate) fn batch() -> usize {
    #[cfg(test)]
    return TEST_BATCH.with(std::cell::Cell::get);
    #[cfg(not(test))]
    BATCH
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

/// Runs `parse` (a batch of pieces) on the thread pool while `walk` (recording the
/// next batch) goes on on this thread, and gives back both results: the walk is the
/// part of reading that cannot be shared, so it overlaps with the part that can.
pub(crate) fn overlap<P: Send, W>(
    parse: impl FnOnce() -> P + Send,
    walk: impl FnOnce() -> W,
) -> (P, W) {
    #[cfg(feature = "parallel")]
    {
        let mut parsed = None;
        let walked = rayon::in_place_scope(|s| {
            s.spawn(|_| parsed = Some(parse()));
            walk()
        });
        let Some(parsed) = parsed else {
            unreachable!("a scope ends when its jobs have run");
        };
        (parsed, walked)
    }
    #[cfg(not(feature = "parallel"))]
    {
        let parsed = parse();
        (parsed, walk())
    }
}

/// True when [`overlap`] runs its two parts at once for `threads` threads.
pub(crate) fn overlapping(threads: usize) -> bool {
    cfg!(feature = "parallel") && threads > 1
}

/// `f` of every unit, in the units' order, on up to `threads` threads (with the
/// `parallel` feature); the same results whatever the number.
pub(crate) fn map_in_order<U: Sync, D: Send>(
    units: &[U],
    threads: usize,
    f: impl Fn(&U) -> D + Sync,
) -> Vec<D> {
    #[cfg(feature = "parallel")]
    if threads > 1 && units.len() > 1 {
        use rayon::prelude::*;
        // A few slices per thread even out pieces of unequal size.
        let per = units.len().div_ceil(threads * 4).max(1);
        return units.par_iter().with_min_len(per).map(&f).collect();
    }
    let _ = threads;
    units.iter().map(f).collect()
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
