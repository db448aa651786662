//! `check`: will MapHub take this file, and if not, where exactly is it wrong?
//!
//! A check reads the file as `convert` would (so every reader diagnostic counts), then
//! runs the rules of its profile: RFC 7946 structure on a GeoJSON file's JSON text,
//! geometry rules for every format, and MapHub's own limits and dialect. The first
//! two live below the readers (`geojson::rules`, `geometry::rules`): the GeoJSON
//! reader words its own errors by the RFC 7946 rules, and those apply the geometry
//! rules at each position, so that no reader imports this module.
//! [`crate::convert`] does it while writing the conversion, in the same read, so that
//! `geonorm convert` says what `check` says.
//!
//! The parts depend on each other one way: `report` (options, profile, report)
//! on none of them; MapHub's rules (`maphub`) on it; `convert` (where a conversion is written) and `kept` (the
//! document a check keeps for who needs it whole) on none of them; and `check`, the
//! one road of a check for every format (GeoJSON too: its reader runs the RFC 7946
//! rules when the check's sink asks), on them all. This module only names them.

mod check;
mod convert;
mod kept;
mod maphub;
mod report;

pub(crate) use check::{converted, run};
pub use convert::mended_by_writing;
pub(crate) use convert::NO_OUTPUT;
pub(crate) use kept::Kept;
pub(crate) use maphub::MAPHUB_REQUEST_ROOM;
pub use report::{
    fatal_diagnostic, CheckOptions, Converted, Profile, Report, PROCESSING_FEATURE_THRESHOLD,
    PROCESSING_VERTEX_THRESHOLD,
};

#[cfg(test)]
mod reference;
#[cfg(test)]
mod stream_tests;
