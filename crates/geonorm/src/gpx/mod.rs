//! GPX 1.0 and 1.1: waypoints, routes and tracks with elevation, per-point times and
//! extension values (heart rate, cadence, power…), metadata, and the GPX style and
//! Garmin colour extensions.
//!
//! Read with [`crate::read`] (its options in [`ReadOptions`]), write with [`write`]:
//!
//! ```
//! let gpx = br#"<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Run</name><trkseg>
//!   <trkpt lat="46.02" lon="7.74"><ele>1608</ele><time>2024-07-14T06:30:00Z</time></trkpt>
//!   <trkpt lat="46.01" lon="7.73"><ele>1625</ele><time>2024-07-14T06:31:10Z</time></trkpt>
//! </trkseg></trk></gpx>"#;
//! let opts = geonorm::ReadOptions::format(geonorm::Format::Gpx);
//! let (doc, diagnostics) = geonorm::read(&gpx[..], &opts)?.into_parts();
//! assert!(diagnostics.is_empty());
//! let Some(geonorm::Geometry::LineString(line)) = &doc.features[0].geometry else { panic!() };
//! assert!(line.column("times").is_some());
//! # Ok::<(), geonorm::Error>(())
//! ```

mod ctx;
mod document;
mod fields;
#[cfg(feature = "gpx")]
mod interop;
mod point;
mod read;
mod write;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod write_tests;

/// The fields of GPX 1.1's `wptType` after `ele` and `time` (`link` aside), in the
/// schema's order, with whether each is a number. The reader keeps a route or track
/// point's as per-point values named after them (`<sym>` → `syms`); the writer writes
/// them back in this order.
const WPT_TYPE_FIELDS: [(&str, bool); 15] = [
    ("magvar", true),
    ("geoidheight", true),
    ("name", false),
    ("cmt", false),
    ("desc", false),
    ("src", false),
    ("sym", false),
    ("type", false),
    ("fix", false),
    ("sat", true),
    ("hdop", true),
    ("vdop", true),
    ("pdop", true),
    ("ageofdgpsdata", true),
    ("dgpsid", true),
];

pub use ctx::GPX_TYPE;
pub use document::write;
pub(crate) use document::DocWriter;
#[cfg(test)]
pub(crate) use read::read;
pub(crate) use read::stream;
pub use read::ReadOptions;
pub(crate) use write::{gpx_parts, GpxParts};
pub use write::{WriteOptions, SENSORS};
