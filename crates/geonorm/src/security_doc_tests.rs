//! Every limit docs/security.md states for the core library is the default in the code:
//! the page is built from the figures below, so a changed default fails here until the
//! page says it.

const DOC: &str = include_str!("../../../docs/security.md");

fn says(phrase: &str) {
    assert!(
        DOC.contains(phrase),
        "docs/security.md does not say `{phrase}`"
    );
}

fn mib(n: u64) -> String {
    format!("{} MiB", n >> 20)
}

fn gib(n: u64) -> String {
    format!("{} GiB", n >> 30)
}

#[test]
fn the_reading_limits_are_the_defaults() {
    says(&format!(
        "a NUL in the first {},{:03} bytes",
        crate::Format::BINARY_HEAD / 1000,
        crate::Format::BINARY_HEAD % 1000
    ));
    says(&format!(
        "refused after {} of NUL or control bytes",
        mib(crate::xml::MAX_FORBIDDEN_CHARS as u64)
    ));
    says(&format!(
        "at most {} listed per feature",
        crate::json::MAX_DUPLICATES
    ));
}

#[cfg(feature = "kmz")]
#[test]
fn the_kmz_limits_are_the_defaults() {
    let k = crate::kmz::Limits::default();
    says(&format!(
        "| a KMZ's main KML | {}, and at most {} × the archive's size |",
        gib(k.max_uncompressed),
        k.max_ratio
    ));
}

#[cfg(feature = "assets")]
#[test]
fn the_asset_limits_are_the_defaults() {
    use crate::assets::{Limits, ASSET_RATIO_FLOOR, MAX_ASSET_BYTES};
    let a = Limits::default();
    assert_eq!(a.max_bytes, MAX_ASSET_BYTES);
    says(&format!("| one icon or photo | {} ", mib(a.max_bytes)));
    says(&format!(
        "| all icons and photos of one input | {}, and in a KMZ at most {} × the archive's size ({} always allowed) |",
        gib(a.max_total_bytes),
        a.max_ratio,
        mib(ASSET_RATIO_FLOOR)
    ));
    says(&format!(
        "{} Mpx an icon, {} Mpx a photo, {} Mpx all of one input's images",
        a.max_marker_pixels / 1_000_000,
        a.max_image_pixels / 1_000_000,
        a.max_total_pixels / 1_000_000
    ));
}

#[test]
fn the_state_file_limit_is_the_default() {
    says(&format!(
        "| the journal | at most {}, a regular file",
        mib(crate::safe_write::state::MAX_STATE_BYTES)
    ));
}

#[test]
fn the_fifo_wait_for_outputs_is_the_default() {
    says(&format!(
        "(a FIFO no program opens for reading is refused after {} s",
        crate::safe_write::FIFO_READER_WAIT.as_secs()
    ));
}

#[test]
fn the_held_input_limit_is_the_default() {
    says(&format!(
        "| an input held whole (a file to send, a path given to the Python package) | at most {} in memory",
        gib(crate::MAX_HELD_BYTES)
    ));
}
