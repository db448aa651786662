//! Number text shared by the writers.

/// Appends `v` as the shortest decimal that reads back to it (or rounded to `precision`
/// places), without a trailing `.0` on whole numbers, as JavaScript writes them: every
/// byte counts against MapHub's 15 MB limit. Returns false, writing nothing, for NaN
/// and infinities, which no format can hold.
pub(crate) fn write(buf: &mut Vec<u8>, v: f64, precision: Option<u8>) -> bool {
    if !v.is_finite() {
        return false;
    }
    let v = match precision {
        Some(p) => {
            let scale = 10f64.powi(i32::from(p));
            let r = (v * scale).round() / scale;
            if r.is_finite() {
                r
            } else {
                v
            }
        }
        None => v,
    };
    if v == v.trunc() && v.abs() < 1e15 {
        // Exact: a whole f64 below 1e15 fits an i64 without rounding.
        buf.extend_from_slice(itoa::Buffer::new().format(v as i64).as_bytes());
    } else {
        buf.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    }
    true
}

/// `v` as a JSON number: an integer when it is whole, so that a KML width of `2`
/// reads back as `2`, not `2.0`.
pub(crate) fn json_number(v: f64) -> Option<serde_json::Number> {
    if v == v.trunc() && v.abs() < 1e15 {
        Some(serde_json::Number::from(v as i64))
    } else {
        serde_json::Number::from_f64(v)
    }
}
