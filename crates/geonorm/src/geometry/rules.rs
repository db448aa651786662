//! Geometry rules every format shares: coordinate ranges, lines and rings that cannot
//! be drawn, repeated positions, antimeridian crossings, holes outside their polygon.
//!
//! The rules read positions through [`Seq`], so GeoJSON (checked on its JSON tree)
//! points at the exact position, and KML and GPX (checked on the model) at the
//! coordinate tuple or track point where the reader kept its place (a check's does),
//! else at the feature.
//!
//! They sit with the model's geometry, below the readers, rather than in `validate`:
//! GeoJSON's text rules (`geojson::rules`), which its reader runs, apply them at each
//! position, and no reader imports `validate`, which runs them on KML and GPX.

use crate::{Code, Diagnostic, Span};

/// A sequence of positions and where each came from.
pub(crate) trait Seq {
    fn len(&self) -> usize;
    fn xy(&self, i: usize) -> [f64; 2];
    /// The whole sequence (a line, a ring).
    fn span(&self) -> Span;
    /// Position `i`.
    fn at(&self, i: usize) -> Span;
}

/// Positions of the model: each where the reader kept its place
/// ([`crate::Coords::span_at`]), else at `span` (its feature).
pub(crate) struct CoordsSeq<'a> {
    pub coords: &'a crate::Coords,
    pub span: Span,
}

impl Seq for CoordsSeq<'_> {
    fn len(&self) -> usize {
        self.coords.len()
    }
    fn xy(&self, i: usize) -> [f64; 2] {
        self.coords
            .xy()
            .get(i)
            .copied()
            .unwrap_or([f64::NAN, f64::NAN])
    }
    /// From the first position's place to the last one's.
    fn span(&self) -> Span {
        let last = self.coords.len().saturating_sub(1);
        match (self.coords.span_at(0), self.coords.span_at(last)) {
            (Some(first), Some(last)) => Span::new(first.start, last.end.max(first.start)),
            _ => self.span,
        }
    }
    fn at(&self, i: usize) -> Span {
        self.coords.span_at(i).unwrap_or(self.span)
    }
}

pub(crate) fn position(x: f64, y: f64, at: Span, out: &mut Vec<Diagnostic>) {
    let lat_ok = (-90.0..=90.0).contains(&y);
    let lon_ok = (-180.0..=180.0).contains(&x);
    if lat_ok && lon_ok {
        return;
    }
    let swapped = (-90.0..=90.0).contains(&x) && (-180.0..=180.0).contains(&y);
    let out_of_range = |code, message: String| {
        let d = Diagnostic::new(code, message).at(at);
        if swapped {
            d.with_help(format!(
                "[{x}, {y}] looks like latitude, longitude: positions are longitude first"
            ))
        } else {
            d
        }
    };
    if !lat_ok {
        out.push(out_of_range(
            Code::GeometryLatOutOfRange,
            format!("latitude {y} is outside -90 to 90"),
        ));
    }
    if !lon_ok {
        out.push(out_of_range(
            Code::GeometryLonOutOfRange,
            format!("longitude {x} is outside -180 to 180"),
        ));
    }
}

fn positions(s: &dyn Seq, out: &mut Vec<Diagnostic>) {
    for i in 0..s.len() {
        let [x, y] = s.xy(i);
        position(x, y, s.at(i), out);
    }
}

/// Repeated consecutive positions (one note per sequence) and antimeridian jumps.
fn steps(s: &dyn Seq, what: &str, out: &mut Vec<Diagnostic>) {
    let mut repeats = 0;
    let mut first_repeat = None;
    let mut crossed = false;
    for i in 1..s.len() {
        let ([x0, y0], [x1, y1]) = (s.xy(i - 1), s.xy(i));
        if x0 == x1 && y0 == y1 {
            repeats += 1;
            first_repeat.get_or_insert(i);
        }
        if !crossed && (x1 - x0).abs() > 180.0 && x0.abs() <= 180.0 && x1.abs() <= 180.0 {
            crossed = true;
            out.push(
                Diagnostic::new(
                    Code::GeometryAntimeridian,
                    format!(
                        "{what} jumps from longitude {x0} to {x1}: it crosses the antimeridian"
                    ),
                )
                .at(s.at(i))
                .with_help("cut it into parts at longitude ±180"),
            );
        }
    }
    if let Some(i) = first_repeat {
        out.push(
            Diagnostic::new(
                Code::GeometryRepeatedPosition,
                format!(
                    "{what} repeats a position right after itself ({})",
                    crate::diag::count(repeats, "time", "times")
                ),
            )
            .at(s.at(i)),
        );
    }
}

pub(crate) fn line(s: &dyn Seq, out: &mut Vec<Diagnostic>) {
    positions(s, out);
    if s.len() < 2 {
        out.push(
            Diagnostic::new(
                Code::GeometryShortLine,
                format!(
                    "a line has {}; it needs two or more",
                    crate::diag::count(s.len(), "position", "positions")
                ),
            )
            .at(s.span()),
        );
        return;
    }
    let first = s.xy(0);
    if (1..s.len()).all(|i| s.xy(i) == first) {
        out.push(
            Diagnostic::new(
                Code::GeometryDegenerateLine,
                "all positions of this line are the same",
            )
            .at(s.span()),
        );
        return;
    }
    steps(s, "a line", out);
}

/// A polygon: its rings, the first one the exterior.
pub(crate) fn polygon(rings: &[&dyn Seq], out: &mut Vec<Diagnostic>) {
    for r in rings {
        positions(*r, out);
        if r.len() < 4 {
            out.push(
                Diagnostic::new(
                    Code::GeometryShortRing,
                    format!(
                        "a polygon ring has {}; it needs four or more",
                        crate::diag::count(r.len(), "position", "positions")
                    ),
                )
                .at(r.span()),
            );
        } else {
            steps(*r, "a polygon ring", out);
        }
        if r.len() >= 2 && r.xy(0) != r.xy(r.len() - 1) {
            out.push(
                Diagnostic::new(
                    Code::GeometryRingNotClosed,
                    "a polygon ring does not end where it starts",
                )
                .at(r.span())
                .with_help("repeat the first position at the end (`geonorm fix` does)"),
            );
        }
    }
    if let Some((outer, holes)) = rings.split_first() {
        if outer.len() >= 4 {
            for h in holes {
                let inside = (0..h.len()).all(|i| contains(*outer, h.xy(i)));
                if !inside {
                    out.push(
                        Diagnostic::new(
                            Code::GeometryHoleOutside,
                            "a polygon's hole is not inside its outer ring",
                        )
                        .at(h.span()),
                    );
                }
            }
        }
    }
}

/// Point in ring (even-odd), a point on the boundary counting as inside.
fn contains(ring: &dyn Seq, [px, py]: [f64; 2]) -> bool {
    let n = ring.len();
    let mut inside = false;
    let mut j = n.saturating_sub(1);
    for i in 0..n {
        let ([xi, yi], [xj, yj]) = (ring.xy(i), ring.xy(j));
        // On an edge: inside.
        let cross = (xj - xi) * (py - yi) - (yj - yi) * (px - xi);
        if cross == 0.0
            && px >= xi.min(xj)
            && px <= xi.max(xj)
            && py >= yi.min(yj)
            && py <= yi.max(yj)
        {
            return true;
        }
        if (yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Twice the signed area (shoelace); positive for counterclockwise.
pub(crate) fn signed_area(r: &dyn Seq) -> f64 {
    let mut a = 0.0;
    for i in 1..r.len() {
        let ([x0, y0], [x1, y1]) = (r.xy(i - 1), r.xy(i));
        a += x0 * y1 - x1 * y0;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(xy: &[[f64; 2]]) -> crate::Coords {
        xy.iter()
            .map(|&[x, y]| crate::Position::new(x, y))
            .collect()
    }

    /// The rules' view of `c`, every position at the feature.
    fn at_feature(c: &crate::Coords) -> CoordsSeq<'_> {
        CoordsSeq {
            coords: c,
            span: Span::new(0, 1),
        }
    }

    fn codes(out: &[Diagnostic]) -> Vec<&'static str> {
        out.iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn ranges_with_a_hint_when_swapped() {
        let mut out = Vec::new();
        position(45.0, 120.0, Span::default(), &mut out);
        assert_eq!(codes(&out), ["geometry/lat-out-of-range"]);
        assert!(out[0]
            .help
            .as_deref()
            .is_some_and(|h| h.contains("latitude, longitude")));
        out.clear();
        position(200.0, 95.0, Span::default(), &mut out);
        assert_eq!(
            codes(&out),
            ["geometry/lat-out-of-range", "geometry/lon-out-of-range"]
        );
        assert!(out[0].help.is_none());
    }

    #[test]
    fn lines() {
        let mut out = Vec::new();
        line(&at_feature(&seq(&[[1.0, 1.0]])), &mut out);
        line(&at_feature(&seq(&[[1.0, 1.0], [1.0, 1.0]])), &mut out);
        line(
            &at_feature(&seq(&[[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]])),
            &mut out,
        );
        line(&at_feature(&seq(&[[179.0, 0.0], [-179.0, 0.0]])), &mut out);
        assert_eq!(
            codes(&out),
            [
                "geometry/short-line",
                "geometry/degenerate-line",
                "geometry/repeated-position",
                "geometry/antimeridian"
            ]
        );
    }

    #[test]
    fn rings_and_holes() {
        let outer = [
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [0.0, 10.0],
            [0.0, 0.0],
        ];
        let inside = [[1.0, 1.0], [1.0, 2.0], [2.0, 2.0], [1.0, 1.0]];
        let outside = [[11.0, 1.0], [11.0, 2.0], [12.0, 2.0], [11.0, 1.0]];
        let open = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
        let (outer, inside, outside, open) = (seq(&outer), seq(&inside), seq(&outside), seq(&open));
        let mut out = Vec::new();
        polygon(&[&at_feature(&outer), &at_feature(&inside)], &mut out);
        assert!(out.is_empty(), "{out:?}");
        polygon(&[&at_feature(&outer), &at_feature(&outside)], &mut out);
        polygon(&[&at_feature(&open)], &mut out);
        polygon(
            &[&at_feature(&seq(&[[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]]))],
            &mut out,
        );
        assert_eq!(
            codes(&out),
            [
                "geometry/hole-outside",
                "geometry/ring-not-closed",
                "geometry/short-ring"
            ]
        );
        assert!(signed_area(&at_feature(&outer)) > 0.0, "counterclockwise");
    }
}
