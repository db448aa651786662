//! KML 2.x (2.0 to 2.3, Google's `gx:` extensions): Documents and Folders as groups,
//! styles resolved to MapHub's keys, ExtendedData as properties, tracks with per-point
//! times and values.

mod coords;
mod ctx;
mod document;
mod placemark;
mod read;
mod style;
mod write;

#[cfg(test)]
mod tests;

pub use document::write;
pub(crate) use document::DocWriter;
pub use read::read;
pub(crate) use read::stream;
pub use write::WriteOptions;
pub(crate) use write::{placemark, Placemark};
