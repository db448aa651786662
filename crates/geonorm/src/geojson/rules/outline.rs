//! A sound GeoJSON feature's positions judged on the model: the rules see its JSON
//! outline, and its positions only when they have something to say.

use super::text;
use super::{unit_rules_on, CheckMode, READ};
use crate::geometry::rules::{self as geometry, CoordsSeq};
use crate::{Diagnostic, Geometry, Span};

/// The RFC 7946 rules on one feature's bytes (`root`: the file's root value, a bare
/// geometry or feature), which start at `base` in the source; `None` when the bytes
/// are not JSON (the reader reports that).
pub(crate) fn unit_rules(
    unit: &[u8],
    base: usize,
    mode: &mut CheckMode,
    root: bool,
    clean: Option<&crate::Feature>,
) -> Option<Vec<Diagnostic>> {
    if let Some(found) = clean.and_then(|f| outline_rules(unit, base, mode, f)) {
        return Some(found);
    }
    let parsed = if root {
        crate::json::parse(unit)
    } else {
        crate::json::parse_shallow(unit, READ)
    };
    let mut parsed = parsed.ok()?;
    parsed.root.shift(base);
    Some(unit_rules_on(&parsed.root, mode, root, false))
}

/// The rules on a feature the reader read without a word (`read`), when its positions
/// can be judged on the model: its JSON outline (everything but the positions) goes
/// through the rules as the whole feature would, and its positions are looked at in
/// the model and by a scan of their text. `None` when the whole feature must go
/// through the rules (a finding among its positions needs their places; the positions
/// are not what the model holds; a precision finding is still to be shown).
///
/// Written for speed: building the JSON tree of every position was most of a GeoJSON
/// check's time, and in a sound file no position has anything to say.
pub(super) fn outline_rules(
    unit: &[u8],
    base: usize,
    mode: &mut CheckMode,
    read: &crate::Feature,
) -> Option<Vec<Diagnostic>> {
    if mode.whole {
        return None;
    }
    let geometry = read.geometry.as_ref()?;
    let depth = match geometry {
        Geometry::Point(_) => 1,
        Geometry::MultiPoint(_) | Geometry::LineString(_) => 2,
        Geometry::MultiLineString(_) | Geometry::Polygon(_) => 3,
        Geometry::MultiPolygon(_) => 4,
        Geometry::GeometryCollection(_) => return None,
    };
    let mut parsed = crate::json::parse_outline(unit, READ).ok()?;
    let coords = parsed.root.get("geometry")?.get("coordinates")?;
    let scanned = scan_positions(unit.get(coords.start..coords.end)?, depth)?;
    if scanned.arrays != arrays_of(geometry) || scanned.positions != geometry.vertex_count() {
        return None;
    }
    if scanned.precise > 0 && mode.precision < text::PRECISION_SHOWN {
        return None;
    }
    if !positions_clean(geometry) {
        return None;
    }
    parsed.root.shift(base);
    let found = unit_rules_on(&parsed.root, mode, false, true);
    mode.precision += scanned.precise;
    Some(found)
}

/// What [`scan_positions`] counted.
#[derive(Debug, PartialEq)]
struct Scanned {
    /// Arrays, the outer one included.
    arrays: usize,
    positions: usize,
    /// Positions whose longitude or latitude has more than 6 decimals.
    precise: usize,
}

/// Counts the arrays and positions of a `coordinates` value (JSON already read by
/// serde): positions `depth` arrays deep, each of 2 or 3 numbers. `None` for anything
/// else (a string, a position elsewhere or of another length), which the rules on the
/// whole feature then say.
fn scan_positions(text: &[u8], depth: usize) -> Option<Scanned> {
    let mut s = Scanned {
        arrays: 0,
        positions: 0,
        precise: 0,
    };
    let (mut level, mut numbers, mut precise) = (0usize, 0usize, false);
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b'[' => {
                level += 1;
                s.arrays += 1;
                if level > depth {
                    return None;
                }
                numbers = 0;
                precise = false;
                i += 1;
            }
            b']' => {
                if level == depth {
                    if !(2..=3).contains(&numbers) {
                        return None;
                    }
                    s.positions += 1;
                    s.precise += usize::from(precise);
                }
                level = level.checked_sub(1)?;
                numbers = 0;
                i += 1;
            }
            b',' | b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'-' | b'0'..=b'9' => {
                if level != depth {
                    return None;
                }
                // Decimals as the JSON tree counts them: digits after the point,
                // before any exponent.
                let start = i;
                while text
                    .get(i)
                    .is_some_and(|c| c.is_ascii_digit() || *c == b'-')
                {
                    i += 1;
                }
                let mut decimals = 0;
                if text.get(i) == Some(&b'.') {
                    i += 1;
                    while text.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                        decimals += 1;
                    }
                }
                while text
                    .get(i)
                    .is_some_and(|c| matches!(c, b'e' | b'E' | b'+' | b'-' | b'0'..=b'9'))
                {
                    i += 1;
                }
                if i == start {
                    return None;
                }
                if numbers < 2 && decimals > 6 {
                    precise = true;
                }
                numbers += 1;
            }
            _ => return None,
        }
    }
    (level == 0).then_some(s)
}

/// The arrays a geometry's `coordinates` has when it holds exactly the model's
/// positions: one per position and one per sequence and level above them.
fn arrays_of(g: &Geometry) -> usize {
    fn rings(rs: &[crate::Coords]) -> usize {
        1 + rs.iter().map(|c| 1 + c.len()).sum::<usize>()
    }
    match g {
        Geometry::Point(_) => 1,
        Geometry::MultiPoint(c) | Geometry::LineString(c) => 1 + c.len(),
        Geometry::MultiLineString(ls) | Geometry::Polygon(ls) => rings(ls),
        Geometry::MultiPolygon(ps) => 1 + ps.iter().map(|p| rings(p)).sum::<usize>(),
        Geometry::GeometryCollection(gs) => gs.iter().map(arrays_of).sum(),
    }
}

/// True when the positions rules ([`text::Rules`] on `coordinates`) find nothing in
/// `g`'s positions: the geometry rules, a ring's closing altitude, the right-hand rule.
fn positions_clean(g: &Geometry) -> bool {
    fn seq(c: &crate::Coords) -> CoordsSeq<'_> {
        CoordsSeq {
            coords: c,
            span: Span::default(),
        }
    }
    let mut out = Vec::new();
    let polygon_clean = |rings: &[crate::Coords], out: &mut Vec<Diagnostic>| {
        let seqs: Vec<CoordsSeq> = rings.iter().map(seq).collect();
        let dyns: Vec<&dyn geometry::Seq> = seqs.iter().map(|s| s as &dyn geometry::Seq).collect();
        geometry::polygon(&dyns, out);
        let closed = rings.iter().all(|r| {
            let (first, last) = (r.get(0), r.len().checked_sub(1).and_then(|i| r.get(i)));
            match (first, last) {
                (Some(a), Some(b)) if r.len() >= 2 && (a.x, a.y) == (b.x, b.y) => a.z == b.z,
                _ => true,
            }
        });
        let wound = crate::geometry::Winding::RightHand.count_against_rings(rings) == 0;
        closed && wound
    };
    let shaped = match g {
        Geometry::Point(p) => {
            geometry::position(p.x, p.y, Span::default(), &mut out);
            true
        }
        Geometry::MultiPoint(c) => {
            c.xy()
                .iter()
                .for_each(|[x, y]| geometry::position(*x, *y, Span::default(), &mut out));
            true
        }
        Geometry::LineString(c) => {
            geometry::line(&seq(c), &mut out);
            true
        }
        Geometry::MultiLineString(ls) => {
            ls.iter().for_each(|c| geometry::line(&seq(c), &mut out));
            true
        }
        Geometry::Polygon(rings) => polygon_clean(rings, &mut out),
        Geometry::MultiPolygon(ps) => ps.iter().all(|p| polygon_clean(p, &mut out)),
        Geometry::GeometryCollection(_) => false,
    };
    shaped && out.is_empty()
}
