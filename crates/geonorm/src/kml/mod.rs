//! KML 2.x (2.0 to 2.3, Google's `gx:` extensions): Documents and Folders as groups,
//! styles resolved to MapHub's keys, ExtendedData as properties, tracks with per-point
//! times and values.
//!
//! Read with [`crate::read`], write with [`write`]:
//!
//! ```
//! use geonorm::{read, Format, ReadOptions};
//! let kml = br#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>Peaks</name>
//!   <Placemark><name>Matterhorn</name><Point><coordinates>7.6586, 45.9763,4478</coordinates></Point></Placemark>
//! </Folder></Document></kml>"#;
//! let (doc, diagnostics) = read(&kml[..], &ReadOptions::format(Format::Kml))?.into_parts();
//! assert!(diagnostics.is_empty());
//! assert_eq!(doc.groups[0].title, "Peaks");
//! assert_eq!(doc.features[0].group, Some(doc.groups[0].id));
//! # Ok::<(), geonorm::Error>(())
//! ```

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
#[cfg(test)]
pub(crate) use read::read;
pub(crate) use read::stream;
pub use write::WriteOptions;
pub(crate) use write::{placemark, Placemark};
