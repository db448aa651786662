//! The whole validation (`geonorm check`): any bytes, any format; must not panic. And
//! checking while converting (`geonorm convert`) says what the check says, and writes
//! what converting alone writes.
#![no_main]

use geonorm::validate::{check, check_convert, CheckOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = check(data, None, &CheckOptions::default());
    let Some(format) = report.format else {
        return;
    };
    let read = geonorm::ReadOptions::format(format);
    let mut out = Vec::new();
    let Ok(done) = check_convert(
        data,
        None,
        &CheckOptions::default(),
        &read,
        &mut out,
        &Default::default(),
        2,
    ) else {
        return;
    };
    assert_eq!(
        done.report.diagnostics, report.diagnostics,
        "convert and check disagree"
    );
    let mut alone = Vec::new();
    if geonorm::stream::to_geojson(data, &read, &mut alone, &Default::default(), 1).is_ok() {
        assert!(done.complete, "convert alone read it to its end");
        assert!(out == alone, "converting while checking wrote other bytes");
    }
});
