//! KMZ reader, with small limits so a zip bomb cannot run out of memory; then the
//! icons and photos it refers to, read from the archive and decoded as a send would.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = geonorm::kmz::Limits {
        max_uncompressed: 1 << 22,
        max_ratio: 200,
    };
    let Ok((doc, _, _)) = geonorm::kmz::read(std::io::Cursor::new(data), &limits) else {
        return;
    };
    if let Ok(mut files) = geonorm::kmz::files(std::io::Cursor::new(data)) {
        let purpose = geonorm::assets::Purpose::Maphub;
        let plan = geonorm::assets::plan(&doc, &mut files, purpose, None);
        let mut doc = doc;
        let answers = vec![Some(serde_json::Value::from("id")); plan.assets.len()];
        geonorm::assets::apply_uploaded(&mut doc, &plan, &answers);
    }
});
