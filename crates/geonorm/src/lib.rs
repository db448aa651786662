//! geonorm reads map files (GeoJSON, KML, KMZ and GPX), turns them
//! into one normalised model of features and groups, and writes them back out, in
//! MapHub's GeoJSON dialect among others.
//!
//! One road, one way: **source** ([`Input`]: bytes in order, or a file that can seek;
//! the format from [`Format::detect`]) → **reader stream** (one per format, in
//! [`geojson`], [`kml`], [`kmz`], [`gpx`]: features handed on in file order, pieces of
//! each batch parsed on the options' threads) → **rules** ([`validate`], one road for
//! every format: geometry on the thread that read the feature (for GeoJSON its RFC
//! 7946 rules, which its reader runs when the check's sink asks, through
//! `FeatureSink::checks`), MapHub's rules in order, the whole document's at the end) → **sink**: a writer (each format streams), the check's
//! [`validate::Report`], `info`'s [`Summary`], the send planner of `geonorm-upload`,
//! the Python `Document`. One entry per verb: [`read`] (a whole [`Document`]),
//! [`check`], [`convert`], [`write`], and [`stream()`] for a sink of your own.
//! `docs/architecture.md` says where a new format, rule or sink goes.
//!
//! Readers never stop at the first problem: what they skip, repair or cannot
//! represent comes back as [`Diagnostic`]s beside the model. Only input that cannot be
//! read at all is an [`Error`].
//!
//! ```
//! use geonorm::{read, write, Format, ReadOptions};
//!
//! let input = br##"{"type":"FeatureCollection","features":[
//!   {"type":"Feature","geometry":{"type":"Point","coordinates":[13.4,52.5,34]},
//!    "properties":{"title":"Berlin","group":1,"marker-color":"#3cc954","population":3850809}}],
//!   "groups":[{"title":"Capitals","id":1}]}"##;
//!
//! let parsed = read(&input[..], &ReadOptions::default())?;
//! assert_eq!(parsed.format, Format::GeoJson);
//! let (doc, diagnostics) = parsed.into_parts();
//! assert!(diagnostics.is_empty());
//! let berlin = &doc.features[0];
//! assert_eq!(berlin.title.as_deref(), Some("Berlin"));
//! assert_eq!(berlin.style.marker_color.as_deref(), Some("#3cc954"));
//! assert_eq!(doc.group(berlin.group.unwrap()).unwrap().title, "Capitals");
//!
//! let mut out = Vec::new();
//! write(&doc, Format::GeoJson, &mut out, &Default::default())?;
//! let again = read(&out[..], &ReadOptions::format(Format::GeoJson))?.document;
//! assert_eq!(again.features[0].properties["population"], 3850809);
//! # Ok::<(), geonorm::Error>(())
//! ```
#![deny(missing_docs)]

mod diag;
mod engine;
mod error;
mod format;
mod geometry;
mod json;
mod model;
mod num;
mod options;
mod read;
#[cfg(test)]
mod security_doc_tests;
mod source;
mod spool;
#[cfg(test)]
mod testdata;
mod writer;
mod xml;

#[cfg(feature = "assets")]
pub mod assets;
pub mod fix;
pub mod geojson;
pub mod gpx;
#[cfg(feature = "geojson")]
mod interop;
pub mod kml;
#[cfg(feature = "kmz")]
pub mod kmz;
#[cfg(feature = "render")]
pub mod render;
pub mod safe_write;
pub mod split;
pub mod stream;
pub mod validate;

pub use diag::{Code, Diagnostic, LineIndex, Severity, Span};
pub use engine::{check, convert, stream, ConvertOptions};
pub use error::{Error, Result};
pub use format::Format;
pub use geometry::{
    BBox, Column, ColumnValues, Coords, Geometry, GeometryKind, Position, TextColumn,
    UnknownGeometryKind,
};
pub use model::{
    Document, Feature, Group, GroupId, Metadata, Properties, RootKind, Style, Summary, Time,
    GROUP_PATH_SEPARATOR, GROUP_SEPARATOR_LOOKALIKES, MAX_GROUP_DEPTH,
};
pub use options::{ReadOptions, WriteOptions, MAPHUB_MAX_UPLOAD_BYTES};
pub use read::{read, Parsed};
pub(crate) use read::{refuse_binary, BINARY};
pub use source::Input;
pub use split::split_long_lines;

// The README's examples are compiled and run as doctests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The most bytes of one input geonorm holds in memory, or copies aside, when it
/// cannot stream it from a file: standard input, a pipe or device read twice, a file
/// read whole to be sent, an input given to the Python package by name.
pub const MAX_HELD_BYTES: u64 = 1 << 30;

/// How [`copy_bounded`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copied {
    /// Everything was copied.
    Whole,
    /// Binary data ([`Format::is_binary`]): only its first bytes were copied, enough
    /// for a reader to refuse it.
    Binary,
    /// More than the limit: what was copied is its first bytes and one more.
    OverLimit,
}

/// Copies `input` to `out`, at most `max` bytes, and binary data only as far as its
/// first bytes: the one bounded way to take an input that has no size to trust
/// (`/dev/zero`, `yes`, a sparse file) before reading it.
pub fn copy_bounded(
    mut input: impl std::io::Read,
    out: &mut impl std::io::Write,
    max: u64,
) -> std::io::Result<Copied> {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(Format::BINARY_HEAD);
    input
        .by_ref()
        .take(Format::BINARY_HEAD as u64)
        .read_to_end(&mut head)?;
    out.write_all(&head)?;
    if Format::is_binary(&head) {
        return Ok(Copied::Binary);
    }
    let rest = std::io::copy(
        &mut input.take((max + 1).saturating_sub(head.len() as u64)),
        out,
    )?;
    Ok(if head.len() as u64 + rest > max {
        Copied::OverLimit
    } else {
        Copied::Whole
    })
}

/// An input read whole into memory within [`copy_bounded`]'s bounds: binary data and
/// more than `max` bytes are errors (`InvalidData`) saying so, after `name`.
pub fn read_bounded(input: impl std::io::Read, name: &str, max: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let refused = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidData, why);
    match copy_bounded(input, &mut bytes, max)? {
        Copied::Whole => Ok(bytes),
        Copied::Binary => Err(refused(format!("{name}: {BINARY}"))),
        Copied::OverLimit => Err(refused(format!("{name}: over the {max}-byte limit"))),
    }
}

/// Writes `doc` as `format` into `out`; returns what could not be written as it was.
pub fn write<W: std::io::Write>(
    doc: &Document,
    format: Format,
    out: W,
    opts: &WriteOptions,
) -> Result<Vec<Diagnostic>> {
    let opts = &opts.for_conversion(doc.meta.source_format, format);
    match format {
        Format::GeoJson => geojson::write(doc, out, &opts.geojson),
        Format::Kml => kml::write(doc, out, &opts.kml),
        Format::Gpx => gpx::write(doc, out, &opts.gpx),
        #[cfg(feature = "kmz")]
        Format::Kmz => kmz::write(doc, out, &opts.kml),
        // Reached when the `kmz` feature is off.
        #[allow(unreachable_patterns)]
        other => Err(Error::UnsupportedWrite(other)),
    }
}
