//! KMZ reader (`read` of a seekable input), with small limits so a zip bomb cannot run out of memory; then the
//! icons and photos it refers to, read from the archive within small asset budgets
//! (bytes per file and per archive, a ratio of the archive's size, pixels per image
//! and per input), decoded as a send would and kept as `convert --assets` would.
#![no_main]

use geonorm::assets::{AssetKind, Limits, Purpose, MARKER_MAX_SIDE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = geonorm::kmz::Limits {
        max_uncompressed: 1 << 22,
        max_ratio: 200,
        ..geonorm::kmz::Limits::default()
    };
    let opts = geonorm::ReadOptions {
        kmz: limits,
        ..geonorm::ReadOptions::format(geonorm::Format::Kmz)
    };
    // Read where it is, as a file is.
    let mut archive = std::io::Cursor::new(data);
    let Ok(parsed) = geonorm::read(geonorm::Input::Seekable(&mut archive), &opts) else {
        return;
    };
    let doc = parsed.document;
    let budget = Limits {
        max_bytes: 1 << 20,
        max_total_bytes: 1 << 22,
        max_ratio: 10,
        max_marker_pixels: 1 << 20,
        max_image_pixels: 1 << 22,
        max_total_pixels: 1 << 23,
    };
    for purpose in [Purpose::Maphub, Purpose::Files] {
        let Ok(mut files) = geonorm::kmz::files_with(std::io::Cursor::new(data), &budget) else {
            return;
        };
        let plan = geonorm::assets::plan(&doc, &mut files, purpose, None);
        let held: u64 = plan.assets.iter().map(|a| a.bytes.len() as u64).sum();
        if purpose == Purpose::Files {
            // Kept as read: never more than the archive's budget.
            assert!(held <= budget.max_total_bytes);
        }
        for a in &plan.assets {
            assert!(a.bytes.len() as u64 <= budget.max_bytes);
            if purpose == Purpose::Maphub && a.kind == AssetKind::Marker {
                assert!(a.width.max(a.height) <= MARKER_MAX_SIDE);
            }
        }
        let mut doc = doc.clone();
        let answers = vec![Some(serde_json::Value::from("id")); plan.assets.len()];
        geonorm::assets::apply_uploaded(&mut doc, &plan, &answers);
    }
});
