//! GPX 1.0 and 1.1: waypoints, routes and tracks with elevation, per-point times and
//! extension values (heart rate, cadence, power…), metadata, and the GPX style and
//! Garmin colour extensions.

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

pub(crate) use read::stream;
pub use read::{read, ReadOptions, GPX_TYPE};
pub use write::{write, WriteOptions};
