//! GPX reader; whatever it reads must write as GPX and read back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((doc, _)) = geonorm::read(data, &geonorm::ReadOptions::format(geonorm::Format::Gpx))
        .map(geonorm::Parsed::into_parts)
    else {
        return;
    };
    let mut out = Vec::new();
    geonorm::gpx::write(&doc, &mut out, &Default::default())
        .expect("GPX writer failed on a document the reader produced");
    if let Err(e) = geonorm::read(
        &out[..],
        &geonorm::ReadOptions::format(geonorm::Format::Gpx),
    )
    .map(geonorm::Parsed::into_parts)
    {
        panic!("written GPX does not read back: {e}");
    }
});
