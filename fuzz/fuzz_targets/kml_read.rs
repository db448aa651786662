//! KML reader; whatever it reads must write as KML and read back with the same features.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((doc, _)) = geonorm::read(data, &geonorm::ReadOptions::format(geonorm::Format::Kml))
        .map(geonorm::Parsed::into_parts)
    else {
        return;
    };
    let mut out = Vec::new();
    geonorm::kml::write(&doc, &mut out, &Default::default())
        .expect("KML writer failed on a document the reader produced");
    let (again, _) = geonorm::read(
        &out[..],
        &geonorm::ReadOptions::format(geonorm::Format::Kml),
    )
    .map(geonorm::Parsed::into_parts)
    .unwrap_or_else(|e| panic!("written KML does not read back: {e}"));
    assert_eq!(
        doc.features.len(),
        again.features.len(),
        "KML round trip changed the feature count"
    );
});
