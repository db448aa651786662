//! geonorm reads map files (GeoJSON, KML, KMZ and GPX), turns them
//! into one normalised model of features and groups, and writes them back out, in
//! MapHub's GeoJSON dialect among others.
//!
//! The pipeline runs one way: bytes → [`Format::detect`] → a reader → [`Document`] →
//! a writer. Readers never stop at the first problem: what they skip, repair or cannot
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
pub use source::Input;

// The README's examples are compiled and run as doctests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// MapHub's upload limit for `map/upload` and `map/append`: 15 MB (Enterprise servers
/// have none). MapHub means 15 × 1024 × 1024 bytes, as its upload form reports sizes.
pub const MAPHUB_MAX_UPLOAD_BYTES: u64 = 15 * 1024 * 1024;

/// Options for [`write`].
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Options of the GeoJSON writer.
    pub geojson: geojson::WriteOptions,
    /// Options of the KML (and KMZ) writer.
    pub kml: kml::WriteOptions,
    /// Options of the GPX writer.
    pub gpx: gpx::WriteOptions,
}

impl WriteOptions {
    /// Every writer with `precision` decimal places for coordinates (`None`: as many as
    /// it takes to read back exactly), and the GeoJSON writer keeping a single Feature
    /// or Geometry root as such when `keep_root`.
    pub fn with_precision(precision: Option<u8>, keep_root: bool) -> Self {
        WriteOptions {
            geojson: geojson::WriteOptions {
                precision,
                keep_root,
            },
            kml: kml::WriteOptions { precision },
            gpx: gpx::WriteOptions { precision },
        }
    }
}

/// Options for [`read`], one member per format as [`WriteOptions`] has them.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The format; `None` detects it from the content (and [`ReadOptions::name`]).
    pub format: Option<Format>,
    /// The input's file name, used to detect the format when the content does not tell.
    pub name: Option<std::path::PathBuf>,
    /// Options of the GPX reader.
    pub gpx: gpx::ReadOptions,
    /// Limits of the KMZ reader (zip bombs).
    #[cfg(feature = "kmz")]
    pub kmz: kmz::Limits,
    /// Threads to read on (with the `parallel` feature): pieces of a batch of the
    /// input are parsed on each. 0 and 1 read on the calling thread alone; the result
    /// is the same for any number.
    pub threads: usize,
}

impl ReadOptions {
    /// Options that read `format`, with every other option at its default.
    pub fn format(format: Format) -> Self {
        ReadOptions {
            format: Some(format),
            ..ReadOptions::default()
        }
    }
}

/// What [`read`] found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Parsed {
    /// The format read.
    pub format: Format,
    /// The document.
    pub document: Document,
    /// What the reader skipped, repaired or could not represent, sorted by position
    /// (findings without a position last).
    pub diagnostics: Vec<Diagnostic>,
    /// For a KMZ: which entry was read (the positions point into it), and the others.
    #[cfg(feature = "kmz")]
    pub kmz: Option<kmz::Contents>,
}

impl Parsed {
    /// The document and its diagnostics.
    pub fn into_parts(self) -> (Document, Vec<Diagnostic>) {
        (self.document, self.diagnostics)
    }
}

/// Reads a whole document from `input`, detecting its format unless `opts` names one.
///
/// ```
/// use geonorm::{read, ReadOptions};
/// let gpx = br#"<gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1">
///   <wpt lat="46.5" lon="8.25"><name>Hut</name></wpt></gpx>"#;
/// let parsed = read(&gpx[..], &ReadOptions::default())?;
/// assert_eq!(parsed.format, geonorm::Format::Gpx);
/// assert_eq!(parsed.document.features[0].title.as_deref(), Some("Hut"));
/// assert!(parsed.diagnostics.is_empty());
/// # Ok::<(), geonorm::Error>(())
/// ```
pub fn read<R: std::io::BufRead>(mut input: R, opts: &ReadOptions) -> Result<Parsed> {
    let head = input.fill_buf()?;
    let format = match opts.format {
        Some(f) => f,
        None => Format::detect(head, opts.name.as_deref()).ok_or(Error::Undetected)?,
    };
    refuse_binary(head, format)?;
    #[cfg(feature = "kmz")]
    let mut contents = None;
    let threads = opts.threads.max(1);
    let (document, mut diagnostics) = match format {
        Format::GeoJson => geojson::read(input)?,
        // Pieces of each batch parsed on `threads` threads: the same document.
        Format::Kml => stream::collect(|emit| kml::stream(input, threads, &stream::Keep, emit))?,
        Format::Gpx => {
            stream::collect(|emit| gpx::stream(input, &opts.gpx, threads, &stream::Keep, emit))?
        }
        #[cfg(feature = "kmz")]
        Format::Kmz => {
            // A zip is read from its end: from a reader that cannot seek, the archive
            // is held within its limit (give `kmz::read` a file to avoid it).
            let bytes = kmz::hold(input, &opts.kmz)?;
            let (d, diags, c) = kmz::read(std::io::Cursor::new(bytes), &opts.kmz)?;
            contents = Some(c);
            (d, diags)
        }
        // Reached when the `kmz` feature is off.
        #[allow(unreachable_patterns)]
        other => return Err(Error::UnsupportedRead(other)),
    };
    diagnostics.sort_by_key(|d| d.span.map_or(usize::MAX, |s| s.start));
    Ok(Parsed {
        format,
        document,
        diagnostics,
        #[cfg(feature = "kmz")]
        kmz: contents,
    })
}

/// An error when `head`, the first bytes of an input read as `format`, is binary data
/// ([`Format::is_binary`]): refused before a reader holds any of it. Not for a KMZ,
/// binary by nature (a zip is read from its end, and may start with anything).
pub(crate) fn refuse_binary(head: &[u8], format: Format) -> Result<()> {
    if format != Format::Kmz && Format::is_binary(head) {
        return Err(Error::NotFormat {
            format,
            message: BINARY.into(),
        });
    }
    Ok(())
}

/// What an input of binary data is told.
pub(crate) const BINARY: &str = "not a map file (binary data: a NUL byte in its first bytes)";

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
