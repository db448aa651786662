//! Detect, read, then write as GeoJSON, KML and GPX; each output must read back.
#![no_main]

use geonorm::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(format) = Format::detect(data, None) else {
        return;
    };
    let Ok((doc, _)) =
        geonorm::read(data, &geonorm::ReadOptions::format(format)).map(geonorm::Parsed::into_parts)
    else {
        return;
    };
    for to in [Format::GeoJson, Format::Kml, Format::Gpx] {
        let mut out = Vec::new();
        if let Err(e) = geonorm::write(&doc, to, &mut out, &Default::default()) {
            panic!("{format} -> {to}: writer failed: {e}");
        }
        if let Err(e) = geonorm::read(&out[..], &geonorm::ReadOptions::format(to))
            .map(geonorm::Parsed::into_parts)
        {
            panic!("{format} -> {to}: written output does not read back: {e}");
        }
    }
});
