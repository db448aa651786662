//! GeoJSON to MapHub GeoJSON in one pass, in bounded memory, on several threads.
//!
//! The reader cuts the input into features without parsing them; batches of a few
//! megabytes are then parsed and written on `threads` threads (with the `parallel`
//! feature) while the reader cuts the next, and emitted in order, so the output is
//! byte for byte what one thread writes. Memory holds two batches, whatever the
//! file's size.

use std::io::{BufRead, Write};

use super::read::{parse_unit_feature, GroupIndex, Origin, Raw, Reader};
use super::write::{feature_bytes, WriteOptions, Writer};
use crate::stream::{map_in_order, overlap, overlapping};
use crate::{Diagnostic, Feature, Group, Result};

/// A feature's bytes in a batch, and where they start in the source.
type Unit = (Origin, std::ops::Range<usize>);

/// A slice of a batch parsed and written: its bytes, how many features, what was met.
type Done = Result<(Vec<u8>, usize, Vec<Diagnostic>)>;

fn work(batch: &[u8], units: &[Unit], groups: &GroupIndex, precision: Option<u8>) -> Done {
    let mut out = Vec::with_capacity(batch.len() / 2);
    let mut diags = Vec::new();
    let mut count = 0;
    for (origin, range) in units {
        let unit = batch.get(range.clone()).unwrap_or_default();
        if let Some(f) = parse_unit_feature(unit, *origin, groups, &mut diags)? {
            if count > 0 {
                out.extend_from_slice(b",\n");
            }
            feature_bytes(&mut out, &f, precision, &mut diags)?;
            count += 1;
        }
    }
    Ok((out, count, diags))
}

/// Parses and writes a batch's features on up to `threads` threads, in slices whose
/// results come back in order.
fn parse_batch(
    batch: &[u8],
    units: &[Unit],
    groups: &GroupIndex,
    precision: Option<u8>,
    threads: usize,
) -> Vec<Done> {
    if units.is_empty() {
        return Vec::new();
    }
    let slices = threads.max(1) * 4;
    let per = units.len().div_ceil(slices).max(1);
    let parts: Vec<&[Unit]> = units.chunks(per).collect();
    map_in_order(&parts, threads, |p| work(batch, p, groups, precision))
}

/// Writes what [`parse_batch`] made, in order.
fn write_done<W: Write>(
    w: &mut Writer<W>,
    done: Vec<Done>,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    for d in done {
        let (bytes, count, mut met) = d?;
        w.write_serialised(&bytes, count)?;
        diags.append(&mut met);
    }
    Ok(())
}

/// The reader, with what it met that is not cut into batches: groups, and features
/// it had to read whole.
struct Cutter<R> {
    reader: Reader<R>,
    groups: Vec<Group>,
    singles: Vec<Feature>,
}

impl<R: BufRead> Cutter<R> {
    /// Reads the next batch: features' bytes into `batch`, their places into `units`.
    /// False once the input is read to its end.
    fn fill(&mut self, batch: &mut Vec<u8>, units: &mut Vec<Unit>) -> Result<bool> {
        while let Some(raw) = self.reader.next_raw(batch)? {
            match raw {
                Raw::Unit(origin, range) => {
                    units.push((origin, range));
                    if batch.len() >= crate::stream::batch() {
                        return Ok(true);
                    }
                }
                Raw::Group(g) => self.groups.push(g),
                Raw::Feature(f) => self.singles.push(*f),
            }
        }
        Ok(false)
    }
}

/// Converts GeoJSON from `input` to MapHub GeoJSON in `output` without holding the
/// document: features are parsed and written in batches, on `threads` threads when the
/// `parallel` feature is on. The output is the same for any number of threads. (A
/// feature whose `group` is a title path or non-integer id of a group declared after
/// the batch of a few megabytes the feature is in stays as written, which MapHub
/// resolves the same way; [`crate::geojson::read`] links those.)
///
/// ```
/// let input = br#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"title":"a"},"geometry":{"type":"Point","coordinates":[1.5,2]}}]}"#;
/// let mut out = Vec::new();
/// let diags = geonorm::geojson::convert(&input[..], &mut out, &Default::default(), 2)?;
/// assert!(diags.is_empty());
/// assert!(String::from_utf8(out).unwrap().contains(r#""coordinates":[1.5,2]"#));
/// # Ok::<(), geonorm::Error>(())
/// ```
pub fn convert<R: BufRead, W: Write>(
    input: R,
    output: W,
    opts: &WriteOptions,
    threads: usize,
) -> Result<Vec<Diagnostic>> {
    let mut cut = Cutter {
        reader: Reader::new(input),
        groups: Vec::new(),
        singles: Vec::new(),
    };
    let mut w = Writer::new(output, opts.clone());
    let mut diags = Vec::new();
    let (mut batch, mut spare, mut units) = (Vec::new(), Vec::new(), Vec::new());
    let mut more = cut.fill(&mut batch, &mut units)?;
    loop {
        let index = cut.reader.group_index().clone();
        if more && overlapping(threads) {
            // This batch is parsed on the pool while the next is cut from the input.
            let mut next = std::mem::take(&mut spare);
            next.clear();
            let mut next_units = Vec::new();
            let (done, filled) = overlap(
                || parse_batch(&batch, &units, &index, opts.precision, threads),
                || cut.fill(&mut next, &mut next_units),
            );
            write_done(&mut w, done, &mut diags)?;
            spare = std::mem::replace(&mut batch, next);
            units = next_units;
            more = filled?;
            continue;
        }
        let done = parse_batch(&batch, &units, &index, opts.precision, threads);
        write_done(&mut w, done, &mut diags)?;
        batch.clear();
        units.clear();
        if !more {
            break;
        }
        more = cut.fill(&mut batch, &mut units)?;
    }
    let Cutter {
        reader,
        groups,
        singles,
    } = cut;
    for f in &singles {
        w.write_feature(f)?;
    }
    let (meta, mut reader_diags) = reader.into_parts();
    let (_, mut written) = w.finish(&meta, &groups)?;
    reader_diags.append(&mut diags);
    reader_diags.append(&mut written);
    Ok(reader_diags)
}
