//! KMZ reader, with small limits so a zip bomb cannot run out of memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = geonorm::kmz::Limits {
        max_uncompressed: 1 << 22,
        max_ratio: 200,
    };
    let _ = geonorm::kmz::read(std::io::Cursor::new(data), &limits);
});
