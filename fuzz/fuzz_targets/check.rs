//! The whole validation (`geonorm check`): any bytes, any format; must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = geonorm::validate::check(data, None, &Default::default());
});
