//! GeoJSON to MapHub GeoJSON in one pass, in bounded memory, on several threads.
//!
//! The reader cuts the input into features without parsing them; batches of a few
//! megabytes are then parsed and written on `threads` threads (with the `parallel`
//! feature) and emitted in order, so the output is byte for byte what one thread
//! writes. Memory holds one batch, whatever the file's size.

use std::io::{BufRead, Write};

use super::read::{parse_unit_feature, GroupIndex, Origin, Raw, Reader};
use super::write::{feature_bytes, WriteOptions, Writer};
use crate::{Diagnostic, Feature, Result};

/// Bytes of input per batch: big enough that each thread gets real work, small enough
/// that memory stays low.
const BATCH: usize = 4 << 20;

/// A slice of a batch parsed and written: its bytes, how many features, what was met.
type Done = Result<(Vec<u8>, usize, Vec<Diagnostic>)>;

fn work(
    batch: &[u8],
    units: &[(Origin, std::ops::Range<usize>)],
    groups: &GroupIndex,
    precision: Option<u8>,
) -> Done {
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

fn flush<W: Write>(
    w: &mut Writer<W>,
    batch: &mut Vec<u8>,
    units: &mut Vec<(Origin, std::ops::Range<usize>)>,
    groups: &GroupIndex,
    opts: &WriteOptions,
    threads: usize,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    if units.is_empty() {
        batch.clear();
        return Ok(());
    }
    let slices = threads.max(1) * 4;
    let per = units.len().div_ceil(slices).max(1);
    let parts: Vec<&[(Origin, std::ops::Range<usize>)]> = units.chunks(per).collect();
    #[cfg(feature = "parallel")]
    let done: Vec<Done> = if threads > 1 {
        use rayon::prelude::*;
        parts
            .par_iter()
            .map(|p| work(batch, p, groups, opts.precision))
            .collect()
    } else {
        parts
            .iter()
            .map(|p| work(batch, p, groups, opts.precision))
            .collect()
    };
    #[cfg(not(feature = "parallel"))]
    let done: Vec<Done> = parts
        .iter()
        .map(|p| work(batch, p, groups, opts.precision))
        .collect();
    for d in done {
        let (bytes, count, mut met) = d?;
        w.write_serialised(&bytes, count)?;
        diags.append(&mut met);
    }
    batch.clear();
    units.clear();
    Ok(())
}

/// Converts GeoJSON from `input` to MapHub GeoJSON in `output` without holding the
/// document: features are parsed and written in batches, on `threads` threads when the
/// `parallel` feature is on. The output is the same for any number of threads. (A
/// feature whose `group` is a title path or non-integer id declared only after it stays
/// as written; [`crate::geojson::read`] links those.)
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
    let mut reader = Reader::new(input);
    let mut w = Writer::new(output, opts.clone());
    let mut diags = Vec::new();
    let mut groups = Vec::new();
    let mut batch = Vec::with_capacity(BATCH + (1 << 20));
    let mut units = Vec::new();
    let mut singles: Vec<Feature> = Vec::new();
    while let Some(raw) = reader.next_raw(&mut batch)? {
        match raw {
            Raw::Unit(origin, range) => {
                units.push((origin, range));
                if batch.len() >= BATCH {
                    let index = reader.group_index().clone();
                    flush(
                        &mut w, &mut batch, &mut units, &index, opts, threads, &mut diags,
                    )?;
                }
            }
            Raw::Group(g) => groups.push(g),
            Raw::Feature(f) => singles.push(*f),
        }
    }
    let index = reader.group_index().clone();
    flush(
        &mut w, &mut batch, &mut units, &index, opts, threads, &mut diags,
    )?;
    for f in &singles {
        w.write_feature(f)?;
    }
    let (meta, mut reader_diags) = reader.into_parts();
    let (_, mut written) = w.finish(&meta, &groups)?;
    reader_diags.append(&mut diags);
    reader_diags.append(&mut written);
    Ok(reader_diags)
}
