//! GeoJSON (RFC 7946) and MapHub's dialect of it: feature properties `title`,
//! `description`, `group` (an id into the top-level `groups` array of `{title, id}`),
//! simplestyle keys, and togeojson's `coordinateProperties` for per-vertex values.

mod origin;
pub(crate) mod read;
pub(crate) mod rules;
mod scan;
pub(crate) mod write;

#[cfg(any(test, feature = "geojson"))]
pub(crate) use read::read;
pub(crate) use read::{read_paced, stream};
pub use write::{write, WriteOptions, Writer};
