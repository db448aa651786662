//! Number text shared by the writers, and numbers read from the raw bytes of KML
//! coordinates.

/// The finite number `bytes` spell, read as `str::parse::<f64>` reads it: the same
/// texts accepted (`+1`, `.5`, `5.`, `1e5`; `inf` and `NaN` too, then dropped here as
/// not finite) and the same bits, which the property tests below check. fast-float2
/// reads the bytes without the UTF-8 check a `&str` needs, and on coordinate tokens it
/// took 10 ns where std took 18 (benches/numbers.rs): KML reading alone 7–8 % faster.
/// The GPX readers keep std: no gain there beyond noise (benches/README.md, "Number
/// parsing").
pub(crate) fn parse_finite(bytes: &[u8]) -> Option<f64> {
    fast_float2::parse::<f64, _>(bytes)
        .ok()
        .filter(|v| v.is_finite())
}

/// Where a number's text goes: the writers' bytes or text. The text is ASCII, put
/// in pieces as itoa and ryu give it, so text takes it without a UTF-8 check.
pub(crate) trait NumberText {
    /// Appends `s`.
    fn put(&mut self, s: &str);
}

impl NumberText for Vec<u8> {
    fn put(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
}

impl NumberText for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// How a finite number is printed: the three ways [`write`] and [`text_len`] share,
/// so that a length counted without printing is the printed length by construction.
enum Shape {
    /// A whole number below 1e15 in magnitude, printed as an integer.
    Whole(i64),
    /// At most 7 decimals below 1e6 in magnitude: `scaled` is the magnitude times 1e7
    /// ([`fixed_point`]).
    Fixed { negative: bool, scaled: u64 },
    /// Anything else, printed by ryu.
    Shortest(f64),
}

/// The shape of `v` rounded to `precision` places; `None` for NaN and infinities.
fn shape(v: f64, precision: Option<u8>) -> Option<Shape> {
    if !v.is_finite() {
        return None;
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
    // Whole when it reads back from its integer part: a whole f64 below 1e15 fits an
    // i64 exactly. (`as` truncates in one instruction; `trunc` is a libm call on
    // x86-64's baseline, 1–2 % of a conversion.)
    Some(if v.abs() < 1e15 && (v as i64) as f64 == v {
        Shape::Whole(v as i64)
    } else if let Some(scaled) = fixed_point(v) {
        Shape::Fixed {
            negative: v < 0.0,
            scaled,
        }
    } else {
        Shape::Shortest(v)
    })
}

/// Appends `v` as the shortest decimal that reads back to it (or rounded to `precision`
/// places), without a trailing `.0` on whole numbers, as JavaScript writes them: every
/// byte counts against MapHub's 15 MB limit. Returns false, writing nothing, for NaN
/// and infinities, which no format can hold.
pub(crate) fn write<T: NumberText + ?Sized>(buf: &mut T, v: f64, precision: Option<u8>) -> bool {
    match shape(v, precision) {
        None => return false,
        Some(Shape::Whole(n)) => buf.put(itoa::Buffer::new().format(n)),
        Some(Shape::Fixed { negative, scaled }) => put_fixed(buf, negative, scaled),
        Some(Shape::Shortest(v)) => buf.put(ryu::Buffer::new().format_finite(v)),
    }
    true
}

/// The length of what [`write`] appends for `v`, counted without printing it (but for
/// the rare numbers ryu prints): the converted size of a file measures every
/// coordinate as MapHub GeoJSON, and printing them only to count them was most of
/// that measure. `None` for NaN and infinities.
pub(crate) fn text_len(v: f64, precision: Option<u8>) -> Option<usize> {
    Some(match shape(v, precision)? {
        Shape::Whole(n) => usize::from(n < 0) + digits(n.unsigned_abs()),
        Shape::Fixed { negative, scaled } => {
            // `whole.decimals` with the decimals' trailing zeros dropped; below 1 the
            // whole part is `0`.
            let whole = digits(scaled).saturating_sub(DECIMALS).max(1);
            let mut zeros = 0;
            let mut rest = scaled;
            while rest % 10 == 0 {
                zeros += 1;
                rest /= 10;
            }
            usize::from(negative) + whole + 1 + DECIMALS - zeros
        }
        Shape::Shortest(v) => ryu::Buffer::new().format_finite(v).len(),
    })
}

/// How many decimal digits `n` has (1 for 0).
fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// The decimals [`fixed_point`] prints at most.
const DECIMALS: usize = 7;

/// Most coordinates have at most 7 decimals as written; for those, integer arithmetic
/// prints the same text as the shortest round trip (ryu) at a fraction of the cost:
/// writing numbers is most of a converter's time. Below 1e6 in magnitude, doubles are
/// finer than 1e-7, so when `v` is exactly the double nearest some 7-decimal number,
/// that number is the only one of 7 decimals or fewer that reads back as `v`, and is
/// therefore the shortest. Answers `|v|` times 1e7, or `None` when that does not hold
/// or `v` is whole.
fn fixed_point(v: f64) -> Option<u64> {
    const SCALE: f64 = 1e7;
    let a = v.abs();
    // Tiny numbers ryu writes with an exponent (`1e-7`); keep its text for those.
    if !(1e-3..1e6).contains(&a) {
        return None;
    }
    // Rounded by adding a half and truncating (one instruction; `round` is a libm
    // call). Where that differs from rounding (a half lost to the addition's own
    // rounding), `a` is no 7-decimal number and the check below refuses it either
    // way: any `n` that passes it is right, however it was found.
    let n = (a * SCALE + 0.5) as u64;
    if n as f64 / SCALE != a {
        return None;
    }
    // Whole numbers take the integer path.
    (!n.is_multiple_of(10_000_000)).then_some(n)
}

/// Prints [`fixed_point`]'s `scaled` with the point among its digits. The digits are
/// printed once, all of them: printing the whole and fractional parts apart (three
/// itoa calls) made this 40 % slower.
fn put_fixed<T: NumberText + ?Sized>(buf: &mut T, negative: bool, scaled: u64) {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(scaled);
    // Whole part and 7 decimals; below 1 the decimals are padded with leading zeros.
    let (whole, decimals) = digits
        .split_at_checked(digits.len().saturating_sub(DECIMALS))
        .unwrap_or(("", digits));
    if negative {
        buf.put("-");
    }
    buf.put(if whole.is_empty() { "0." } else { whole });
    if !whole.is_empty() {
        buf.put(".");
    }
    buf.put(
        "000000"
            .get(..DECIMALS.saturating_sub(decimals.len()))
            .unwrap_or_default(),
    );
    buf.put(decimals.trim_end_matches('0'));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What std reads `text` as, and what [`parse_finite`]'s parser reads its bytes as,
    /// the same: both accept it or neither, and the same bits (any NaN for NaN).
    fn same_as_std(text: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        let want = text.parse::<f64>().ok();
        let got = fast_float2::parse::<f64, _>(text.as_bytes()).ok();
        match (want, got) {
            (Some(w), Some(g)) if w.is_nan() => proptest::prop_assert!(g.is_nan(), "{text:?}"),
            (w, g) => {
                proptest::prop_assert_eq!(w.map(f64::to_bits), g.map(f64::to_bits), "{:?}", text)
            }
        }
        let finite = want.filter(|v| v.is_finite()).map(f64::to_bits);
        proptest::prop_assert_eq!(parse_finite(text.as_bytes()).map(f64::to_bits), finite);
        Ok(())
    }

    proptest::proptest! {
        /// The bytes `kml::coords::parse_clean` hands over: any run of them.
        #[test]
        fn parses_coordinate_bytes_as_std_does(text in "[0-9.+\\-eE]{0,30}") {
            same_as_std(&text)?;
        }

        /// Number-like texts: signs, digits (more than 19 of them too), points,
        /// exponents (large ones too), the names of infinity and NaN in any case.
        #[test]
        fn parses_number_like_texts_as_std_does(
            text in "[+\\-]?([0-9]{0,25}(\\.[0-9]{0,25})?([eE][+\\-]?[0-9]{0,6})?|[iI][nN][fF]([iI][nN][iI][tT][yY])?|[nN][aA][nN])[ .a-z]?"
        ) {
            same_as_std(&text)?;
        }

        /// Anything at all, as a GPX element's text may be.
        #[test]
        fn parses_any_text_as_std_does(text in "\\PC{0,12}") {
            same_as_std(&text)?;
        }

        /// Doubles printed (shortest and with an exponent) read back to themselves.
        #[test]
        fn reads_printed_doubles_back(bits in proptest::num::u64::ANY) {
            let v = f64::from_bits(bits);
            same_as_std(&format!("{v}"))?;
            same_as_std(&format!("{v:e}"))?;
        }
    }

    #[test]
    fn parses_what_std_parses_at_the_edges() {
        for text in [
            "", "+", "-", ".", "+.", "-.5", "5.", ".5", "+1", "1e5", "1e", "1e+", "1E-5",
            "inf", "-Infinity", "+NaN", "nan", "infin", "1e400", "-1e400", "1e-400",
            "2.2250738585072011e-308", "4.9e-324", "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000.0",
            "0.1000000000000000055511151231257827021181583404541015625",
            " 1", "1 ", "0x10", "1_0", "١",
        ] {
            same_as_std(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        }
        // Many digits before a large negative exponent: the slow path.
        let long = format!("1{}e-70000", "0".repeat(70_000));
        same_as_std(&long).unwrap_or_else(|e| panic!("long: {e}"));
    }

    fn text(v: f64) -> String {
        let mut b = Vec::new();
        write(&mut b, v, None);
        String::from_utf8(b).unwrap_or_default()
    }

    proptest::proptest! {
        /// Decimals as files write them (up to 7, below 1e6): the text ryu prints (or
        /// the whole number), onto bytes and onto text alike.
        #[test]
        fn seven_decimals_print_as_ryu_does(n in -10_000_000_000_000i64..10_000_000_000_000, places in 0u32..8) {
            let v = (n / 10i64.pow(7 - places)) as f64 / 10f64.powi(places as i32);
            let want = if v == v.trunc() {
                format!("{}", v as i64)
            } else {
                ryu::Buffer::new().format_finite(v).to_string()
            };
            proptest::prop_assert_eq!(text(v), want.clone());
            let mut s = String::new();
            proptest::prop_assert!(write(&mut s, v, None));
            proptest::prop_assert_eq!(s, want);
        }
    }

    /// [`text_len`] of `v` at `precision` against the length [`write`] prints.
    fn same_len(v: f64, precision: Option<u8>) -> Result<(), proptest::test_runner::TestCaseError> {
        let mut b = Vec::new();
        let printed = write(&mut b, v, precision).then_some(b.len());
        proptest::prop_assert_eq!(
            text_len(v, precision),
            printed,
            "{:e} at {:?}",
            v,
            precision
        );
        Ok(())
    }

    proptest::proptest! {
        /// Any double at any precision (NaN and infinities too): the counted length
        /// is the printed one.
        #[test]
        fn the_counted_length_is_the_printed_one(bits in proptest::num::u64::ANY, precision in proptest::option::of(0u8..18)) {
            same_len(f64::from_bits(bits), precision)?;
        }

        /// Coordinates as files write them (the integer and fixed-point paths), whole,
        /// negative, below 1, with trailing zeros.
        #[test]
        fn the_counted_length_of_file_coordinates_is_the_printed_one(n in -10_000_000_000_000i64..10_000_000_000_000, places in 0u32..8, precision in proptest::option::of(0u8..9)) {
            let v = (n / 10i64.pow(7 - places)) as f64 / 10f64.powi(places as i32);
            same_len(v, precision)?;
        }
    }

    #[test]
    fn the_counted_length_at_the_edges() {
        for v in [
            0.0,
            -0.0,
            0.5,
            -0.5,
            0.001,
            -0.001,
            0.0010001,
            0.1234567,
            1.5,
            10.25,
            999_999.999_999_9,
            1e-3,
            1e-7,
            1e15,
            -1e15,
            1e300,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
        ] {
            for p in [None, Some(0), Some(3), Some(7)] {
                same_len(v, p).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }

    #[test]
    fn the_fast_path_prints_what_ryu_prints() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for i in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let raw = (seed >> 11) as f64 / (1u64 << 53) as f64;
            // Values as files write them (a few decimals) and arbitrary doubles.
            let v = match i % 4 {
                0 => ((raw * 360.0 - 180.0) * 1e7).round() / 1e7,
                1 => ((raw * 180.0 - 90.0) * 1e4).round() / 1e4,
                2 => (raw * 8000.0 * 10.0).round() / 10.0,
                _ => raw * 1e3 - 500.0,
            };
            let want = if v == v.trunc() {
                format!("{}", v as i64)
            } else {
                ryu::Buffer::new().format_finite(v).to_string()
            };
            assert_eq!(text(v), want, "{v:e}");
        }
        for v in [
            0.5,
            -0.05,
            1e-7,
            -1e-7,
            123.0000001,
            0.30000000000000004,
            2.5e-8,
            999999.9999999,
        ] {
            let want = ryu::Buffer::new().format_finite(v).to_string();
            let got = text(v);
            assert_eq!(got.parse::<f64>().ok(), Some(v), "{v:e}: {got}");
            if !want.contains('e') {
                assert_eq!(got, want);
            }
        }
    }
}
