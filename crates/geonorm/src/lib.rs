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
//! use geonorm::{read, write, Format};
//!
//! let input = br##"{"type":"FeatureCollection","features":[
//!   {"type":"Feature","geometry":{"type":"Point","coordinates":[13.4,52.5,34]},
//!    "properties":{"title":"Berlin","group":1,"marker-color":"#3cc954","population":3850809}}],
//!   "groups":[{"title":"Capitals","id":1}]}"##;
//!
//! let format = Format::detect(input, None).expect("recognised");
//! let (doc, diagnostics) = read(format, &input[..])?;
//! assert!(diagnostics.is_empty());
//! let berlin = &doc.features[0];
//! assert_eq!(berlin.title.as_deref(), Some("Berlin"));
//! assert_eq!(berlin.style.marker_color.as_deref(), Some("#3cc954"));
//! assert_eq!(doc.group(berlin.group.unwrap()).unwrap().title, "Capitals");
//!
//! let mut out = Vec::new();
//! write(&doc, Format::GeoJson, &mut out, &Default::default())?;
//! let (again, _) = read(Format::GeoJson, &out[..])?;
//! assert_eq!(again.features[0].properties["population"], 3850809);
//! # Ok::<(), geonorm::Error>(())
//! ```
#![deny(missing_docs)]

mod diag;
mod error;
mod format;
mod geometry;
mod json;
mod model;
mod num;
mod xml;

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
pub mod validate;

pub use diag::{Code, Diagnostic, LineIndex, Severity, Span};
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

/// Reads a whole document of `format` from `input`.
pub fn read<R: std::io::BufRead>(format: Format, input: R) -> Result<(Document, Vec<Diagnostic>)> {
    match format {
        Format::GeoJson => geojson::read(input),
        Format::Kml => kml::read(input),
        Format::Gpx => gpx::read(input, &gpx::ReadOptions::default()),
        #[cfg(feature = "kmz")]
        Format::Kmz => {
            // A zip is read from its end: the archive (compressed, so small) is held.
            let mut bytes = Vec::new();
            let mut input = input;
            input.read_to_end(&mut bytes)?;
            kmz::read(std::io::Cursor::new(bytes), &kmz::Limits::default())
                .map(|(d, diags, _)| (d, diags))
        }
        // Reached when the `kmz` feature is off.
        #[allow(unreachable_patterns)]
        other => Err(Error::UnsupportedRead(other)),
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
