//! KML coordinate text: tuples `lon,lat[,alt]` separated by whitespace, as real files
//! write them — with a space after the comma (`lon, lat`), tabs, newlines, trailing
//! commas. A tuple that cannot be read is reported with its offset, never dropped
//! silently.

use crate::num::{json_number, parse_finite};
use crate::{ColumnValues, Coords, Position, Span};

/// Something wrong in a coordinate text, at a byte offset of that text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub offset: usize,
    pub len: usize,
    pub message: String,
    /// True when the tuple was dropped; false when it was kept with its extra
    /// ordinates cut.
    pub dropped: bool,
}

#[derive(Default)]
struct Draft {
    start: usize,
    end: usize,
    numbers: Vec<f64>,
    /// Indexes in `numbers` where a comma with a space beside it joined the next
    /// number (`lon, lat`): where two tuples run together after a trailing comma, the
    /// tuple can be split there again.
    spaced_joins: Vec<usize>,
    bad: Option<String>,
}

#[derive(PartialEq, Clone, Copy)]
enum Last {
    None,
    Number,
    Comma,
}

/// Parses a `<coordinates>` text; with `base` (the text's offset in the source), each
/// position keeps where its tuple was written.
pub(crate) fn parse(text: &str, base: Option<usize>) -> (Coords, Vec<Problem>) {
    if let Some(coords) = parse_clean(text.as_bytes(), base) {
        return (coords, Vec::new());
    }
    parse_any(text, base)
}

/// Appends `p`, written at `start..end` of the text, with its place when `base` is known.
fn push(coords: &mut Coords, p: Position, base: Option<usize>, start: usize, end: usize) {
    match base {
        Some(b) => coords.push_at(p, Span::new(b + start, b + end)),
        None => coords.push(p),
    }
}

/// The bytes a number in a clean tuple is made of.
fn number_byte(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E')
}

/// Parses a text written the way nearly every file writes it (`lon,lat[,alt]` tuples
/// separated by whitespace, nothing else), straight into the coordinates; `None` at the
/// first thing it does not expect, for [`parse_any`] to read. Written by hand because
/// it runs on every coordinate of a KML file: the general reader keeps a draft with two
/// vectors per tuple, which cost more than the numbers.
fn parse_clean(bytes: &[u8], base: Option<usize>) -> Option<Coords> {
    let mut coords = Coords::with_capacity(bytes.len() / 24);
    let mut i = 0;
    loop {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if i == bytes.len() {
            return Some(coords);
        }
        let tuple = i;
        let mut numbers = [0.0; 3];
        let mut n = 0;
        loop {
            let start = i;
            while bytes.get(i).is_some_and(|&b| number_byte(b)) {
                i += 1;
            }
            // Read from the bytes, as std reads the same text (`num::parse_finite`).
            let v = parse_finite(bytes.get(start..i)?)?;
            *numbers.get_mut(n)? = v;
            n += 1;
            if bytes.get(i) != Some(&b',') {
                break;
            }
            i += 1;
        }
        if n < 2 || bytes.get(i).is_some_and(|b| !b.is_ascii_whitespace()) {
            return None;
        }
        push(&mut coords, position(&numbers[..n]), base, tuple, i);
    }
}

/// Parses any `<coordinates>` text, saying what it cannot read.
fn parse_any(text: &str, base: Option<usize>) -> (Coords, Vec<Problem>) {
    let bytes = text.as_bytes();
    let mut drafts: Vec<Draft> = Vec::new();
    let mut open = false;
    let mut last = Last::None;
    let mut space = false; // whitespace since the last token
    let mut newline = false; // …and it held a line break
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            space = true;
            newline |= b == b'\n' || b == b'\r';
            i += 1;
            continue;
        }
        if b == b',' {
            if open {
                if last == Last::Comma {
                    if let Some(d) = drafts.last_mut() {
                        d.bad
                            .get_or_insert_with(|| "an empty value between commas".into());
                    }
                }
                last = Last::Comma;
            }
            i += 1;
            space = false;
            newline = false;
            continue;
        }
        // A number (or something that should have been one).
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b',' {
            i += 1;
        }
        let token = &text[start..i];
        let joins = open && last == Last::Comma && !newline;
        if !joins {
            drafts.push(Draft {
                start,
                ..Draft::default()
            });
            open = true;
        }
        if let Some(d) = drafts.last_mut() {
            if joins && space {
                d.spaced_joins.push(d.numbers.len());
            }
            match token.parse::<f64>() {
                Ok(v)
                    if v.is_finite()
                        && !token.contains(|c: char| {
                            c.is_ascii_alphabetic() && c != 'e' && c != 'E'
                        }) =>
                {
                    d.numbers.push(v)
                }
                // `1e400` is a number, but too large for any coordinate: say which.
                Ok(v)
                    if v.is_infinite()
                        && !token.contains(|c: char| {
                            c.is_ascii_alphabetic() && c != 'e' && c != 'E'
                        }) =>
                {
                    d.bad.get_or_insert_with(|| {
                        format!("`{token}` is too large to be a coordinate")
                    });
                }
                _ => {
                    d.bad
                        .get_or_insert_with(|| format!("`{token}` is not a number"));
                }
            }
            d.end = i;
        }
        last = Last::Number;
        space = false;
        newline = false;
    }

    let mut coords = Coords::with_capacity(drafts.len());
    let mut problems = Vec::new();
    for d in drafts {
        let len = d.end.saturating_sub(d.start);
        if let Some(why) = d.bad {
            problems.push(Problem {
                offset: d.start,
                len,
                message: format!(
                    "coordinate tuple `{}` dropped: {why}",
                    &text[d.start..d.end]
                ),
                dropped: true,
            });
            continue;
        }
        let n = d.numbers.len();
        if n > 3 && !d.spaced_joins.is_empty() {
            // `1,2, 3,4`: two tuples joined by a trailing comma and a space.
            let mut cuts = vec![0];
            cuts.extend(&d.spaced_joins);
            cuts.push(n);
            let parts: Vec<&[f64]> = cuts.windows(2).map(|w| &d.numbers[w[0]..w[1]]).collect();
            if parts.iter().all(|p| p.len() == 2 || p.len() == 3) {
                for p in parts {
                    push(&mut coords, position(p), base, d.start, d.end);
                }
                continue;
            }
        }
        match n {
            0 => {}
            1 => problems.push(Problem {
                offset: d.start,
                len,
                message: format!(
                    "coordinate tuple `{}` dropped: it has one number, a position needs two",
                    &text[d.start..d.end]
                ),
                dropped: true,
            }),
            2 | 3 => push(&mut coords, position(&d.numbers), base, d.start, d.end),
            _ => {
                problems.push(Problem {
                    offset: d.start,
                    len,
                    message: format!(
                        "coordinate tuple `{}` has {n} numbers; only longitude, latitude and altitude are kept",
                        &text[d.start..d.end]
                    ),
                    dropped: false,
                });
                push(&mut coords, position(&d.numbers), base, d.start, d.end);
            }
        }
    }
    (coords, problems)
}

fn position(n: &[f64]) -> Position {
    match n {
        [x, y, z, ..] => Position::with_z(*x, *y, *z),
        [x, y] => Position::new(*x, *y),
        _ => Position::new(f64::NAN, f64::NAN),
    }
}

/// Parses a `gx:coord` text: `lon lat [alt]` separated by spaces.
pub(crate) fn parse_gx_coord(text: &str) -> Option<Position> {
    let mut it = text
        .split_ascii_whitespace()
        .map(|t| t.parse::<f64>().ok().filter(|v| v.is_finite()));
    let x = it.next()??;
    let y = it.next()??;
    let z = match it.next() {
        Some(z) => Some(z?),
        None => None,
    };
    Some(Position { x, y, z })
}

/// Whether a Schema field type is text (`string`, or none of KML's number or boolean
/// types).
pub(super) fn is_text_type(ty: &str) -> bool {
    ty.rsplit(':').next().unwrap_or(ty) == "string"
}

/// Per-point values as text, an empty one as none.
pub(super) fn text_column(values: &[&str]) -> ColumnValues {
    ColumnValues::Texts(
        values
            .iter()
            .map(|v| (!v.is_empty()).then_some(*v))
            .collect(),
    )
}

/// Per-point values as numbers when every one is a number (or empty), else as text.
pub(super) fn column_values(values: &[&str]) -> ColumnValues {
    let numbers: Option<Vec<Option<serde_json::Number>>> = values
        .iter()
        .map(|v| {
            if v.is_empty() {
                Some(None)
            } else {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(json_number)
            }
        })
        .collect();
    match numbers {
        Some(ns) => ColumnValues::Numbers(ns),
        None => text_column(values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Xyz = (f64, f64, Option<f64>);

    proptest::proptest! {
        /// Where the fast reader reads a text at all, it reads what the general one
        /// reads, without a word.
        #[test]
        fn the_fast_reader_agrees_with_the_general_one(text in "[0-9., eE+\\-\n\ta]{0,40}") {
            if let Some(fast) = parse_clean(text.as_bytes(), Some(10)) {
                let (general, problems) = parse_any(&text, Some(10));
                proptest::prop_assert!(problems.is_empty(), "{text:?}: {problems:?}");
                let a: Vec<String> = fast.iter().map(|p| format!("{p:?}")).collect();
                let b: Vec<String> = general.iter().map(|p| format!("{p:?}")).collect();
                proptest::prop_assert_eq!(a, b, "{:?}", text);
                let places = |c: &Coords| (0..c.len()).map(|i| c.span_at(i)).collect::<Vec<_>>();
                proptest::prop_assert_eq!(places(&fast), places(&general), "{:?}", text);
            }
        }
    }

    #[test]
    fn clean_texts_take_the_fast_reader() {
        assert!(parse_clean(b" 7.5,46.1,300 7.6,46.2\n\t8,47 ", None).is_some());
        for messy in ["1, 2", "1,2,", "1,2,3,4", "1", "x,2", "1,2 ,3", "nan,1"] {
            assert!(parse_clean(messy.as_bytes(), None).is_none(), "{messy}");
        }
    }

    #[test]
    fn each_position_keeps_the_place_of_its_tuple_when_asked() {
        let text = " 7.5,46.1,300\n\t7.6,46.2 ";
        for (c, _) in [parse(text, Some(100)), parse_any(text, Some(100))] {
            let places: Vec<_> = (0..c.len()).filter_map(|i| c.span_at(i)).collect();
            assert_eq!(places, [Span::new(101, 113), Span::new(115, 123)]);
        }
        // `1,2, 3,4`: two tuples run together, each at the text of both.
        let (c, _) = parse("1,2, 3,4", Some(0));
        assert_eq!(c.span_at(1), Some(Span::new(0, 8)));
        let (c, _) = parse(text, None);
        assert_eq!(c.span_at(0), None);
    }

    fn xy(text: &str) -> (Vec<Xyz>, Vec<Problem>) {
        let (c, p) = parse(text, None);
        (c.iter().map(|p| (p.x, p.y, p.z)).collect(), p)
    }

    #[test]
    fn reads_the_whitespace_real_files_use() {
        let want = vec![(1.0, 2.0, None), (3.0, 4.0, None)];
        for text in [
            "1,2 3,4",
            "1, 2 3, 4",
            "1,2\n3,4",
            "\t1,2,\n\t3,4,\n",
            "1 ,2\t3 , 4",
            "1,2, 3,4",
        ] {
            let (got, problems) = xy(text);
            assert_eq!(got, want, "{text:?}");
            assert!(problems.is_empty(), "{text:?}: {problems:?}");
        }
        let (got, _) = xy(" -122.08,37.42,50.5\n-122.09,37.43,0 ");
        assert_eq!(
            got,
            vec![(-122.08, 37.42, Some(50.5)), (-122.09, 37.43, Some(0.0))]
        );
    }

    #[test]
    fn bad_tuples_are_reported_with_their_offset() {
        let (got, problems) = xy("1,2 3,x 5 7,8");
        assert_eq!(got, vec![(1.0, 2.0, None), (7.0, 8.0, None)]);
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].offset, 4);
        assert!(problems[0].message.contains("`x` is not a number"));
        assert_eq!(problems[1].offset, 8);
        assert!(problems.iter().all(|p| p.dropped));
    }

    #[test]
    fn too_many_numbers_keep_three() {
        let (got, problems) = xy("1,2,3,4");
        assert_eq!(got, vec![(1.0, 2.0, Some(3.0))]);
        assert!(!problems[0].dropped);
        let (_, problems) = xy("1,2,nan 1,2,1e400");
        assert_eq!(problems.len(), 2);
    }

    #[test]
    fn gx_coord() {
        assert_eq!(
            parse_gx_coord("1 2 3"),
            Some(Position::with_z(1.0, 2.0, 3.0))
        );
        assert_eq!(parse_gx_coord(" 1  2 "), Some(Position::new(1.0, 2.0)));
        assert_eq!(parse_gx_coord("1"), None);
        assert_eq!(parse_gx_coord("1 a"), None);
    }
}
