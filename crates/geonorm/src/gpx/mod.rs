//! GPX 1.0 and 1.1: waypoints, routes and tracks with elevation, per-point times and
//! extension values (heart rate, cadence, power…), metadata, and the GPX style and
//! Garmin colour extensions.

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
pub(crate) use read::stream;
pub use read::{read, ReadOptions};
pub use write::WriteOptions;
pub(crate) use write::{piece, Piece};
