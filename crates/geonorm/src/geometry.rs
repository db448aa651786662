//! Geometries with compact coordinate storage.
//!
//! A coordinate sequence ([`Coords`]) keeps all its positions in one flat buffer rather
//! than one allocation per position: files of hundreds of megabytes are mostly
//! coordinates, so this is where memory goes. Altitude is a second, optional buffer, and
//! per-vertex values (times, heart rate, cadence…) are parallel columns.

use serde_json::Number;

use crate::Span;

// The geometry rules every format shares: below the readers, because GeoJSON's text
// rules (which its reader runs) apply them at each position.
pub(crate) mod rules;

/// One position: longitude (`x`), latitude (`y`) and an optional altitude (`z`) in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Longitude in degrees (WGS 84).
    pub x: f64,
    /// Latitude in degrees (WGS 84).
    pub y: f64,
    /// Altitude in metres, when the source gave one.
    pub z: Option<f64>,
}

impl Position {
    /// A position without altitude.
    pub fn new(x: f64, y: f64) -> Self {
        Position { x, y, z: None }
    }

    /// A position with altitude.
    pub fn with_z(x: f64, y: f64, z: f64) -> Self {
        Position { x, y, z: Some(z) }
    }
}

/// A sequence of positions (a line, a ring, or the points of a MultiPoint) with optional
/// altitude and optional per-vertex columns.
///
/// ```
/// use geonorm::{Coords, Position};
/// let mut line = Coords::new();
/// line.push(Position::new(13.4, 52.5));
/// line.push(Position::with_z(13.5, 52.6, 40.0));
/// assert_eq!(line.len(), 2);
/// assert_eq!(line.get(0).map(|p| p.z), Some(None));
/// assert_eq!(line.get(1).and_then(|p| p.z), Some(40.0));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Coords {
    xy: Vec<[f64; 2]>,
    // Present when at least one position has an altitude; NaN marks a position without
    // one (a source that mixes 2D and 3D positions keeps that mix).
    z: Option<Vec<f64>>,
    columns: Vec<Column>,
    /// Where each position was written in the source, when the reader was asked to keep
    /// it ([`crate::stream::FeatureSink::position_spans`]): as long as `xy`, or empty.
    at: Vec<Span>,
}

impl Coords {
    /// An empty sequence.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty sequence with room for `n` positions.
    pub fn with_capacity(n: usize) -> Self {
        Coords {
            xy: Vec::with_capacity(n),
            z: None,
            columns: Vec::new(),
            at: Vec::new(),
        }
    }

    /// Appends a position. Where the positions were written is forgotten: one without
    /// a place would make the others' places wrong by one.
    pub fn push(&mut self, p: Position) {
        self.at.clear();
        self.push_position(p);
    }

    /// Appends a position written at `at` in the source (kept while every position
    /// before it has its place too).
    pub fn push_at(&mut self, p: Position, at: Span) {
        if self.at.len() == self.xy.len() {
            self.at.push(at);
        } else {
            self.at.clear();
        }
        self.push_position(p);
    }

    /// Where position `i` was written in the source, when the reader kept it
    /// ([`crate::stream::FeatureSink::position_spans`]).
    pub fn span_at(&self, i: usize) -> Option<Span> {
        self.at.get(i).copied()
    }

    /// Forgets where the positions were written (their memory freed), as a reader
    /// not asked to keep it gives them.
    pub(crate) fn forget_spans(&mut self) {
        self.at = Vec::new();
    }

    fn push_position(&mut self, p: Position) {
        match (&mut self.z, p.z) {
            (Some(z), alt) => z.push(alt.unwrap_or(f64::NAN)),
            (None, Some(alt)) => {
                let mut z = vec![f64::NAN; self.xy.len()];
                z.push(alt);
                self.z = Some(z);
            }
            (None, None) => {}
        }
        self.xy.push([p.x, p.y]);
    }

    /// Number of positions.
    pub fn len(&self) -> usize {
        self.xy.len()
    }

    /// True when there are no positions.
    pub fn is_empty(&self) -> bool {
        self.xy.is_empty()
    }

    /// The position at `i`.
    pub fn get(&self, i: usize) -> Option<Position> {
        let [x, y] = *self.xy.get(i)?;
        let z = self
            .z
            .as_ref()
            .and_then(|z| z.get(i).copied())
            .filter(|z| !z.is_nan());
        Some(Position { x, y, z })
    }

    /// All positions in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Position> + '_ {
        let z = self.z.as_deref();
        self.xy
            .iter()
            .enumerate()
            .map(move |(i, &[x, y])| Position {
                x,
                y,
                z: z.and_then(|z| z.get(i).copied()).filter(|z| !z.is_nan()),
            })
    }

    /// Longitude/latitude pairs, without altitude.
    pub fn xy(&self) -> &[[f64; 2]] {
        &self.xy
    }

    /// True when at least one position has an altitude.
    pub fn has_z(&self) -> bool {
        self.z.is_some()
    }

    /// Per-vertex columns, each as long as the sequence.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Adds or replaces a per-vertex column. A column whose length differs from the
    /// number of positions is refused and handed back.
    pub fn set_column(&mut self, column: Column) -> Result<(), Column> {
        if column.values.len() != self.len() {
            return Err(column);
        }
        match self.columns.iter_mut().find(|c| c.name == column.name) {
            Some(slot) => *slot = column,
            None => self.columns.push(column),
        }
        Ok(())
    }

    /// Keeps the positions (and their per-vertex values) whose index `keep` allows.
    pub fn retain_indices(&mut self, mut keep: impl FnMut(usize) -> bool) {
        let mask: Vec<bool> = (0..self.len()).map(&mut keep).collect();
        let pick = |i: &usize| mask.get(*i).copied().unwrap_or(false);
        let idx: Vec<usize> = (0..self.len()).filter(pick).collect();
        self.xy = idx
            .iter()
            .filter_map(|&i| self.xy.get(i).copied())
            .collect();
        if let Some(z) = &mut self.z {
            *z = idx.iter().filter_map(|&i| z.get(i).copied()).collect();
        }
        for c in &mut self.columns {
            c.values = c.values.pick(&idx);
        }
        if !self.at.is_empty() {
            self.at = idx
                .iter()
                .filter_map(|&i| self.at.get(i).copied())
                .collect();
        }
    }

    /// Reverses the order of the positions and their per-vertex values.
    pub fn reverse(&mut self) {
        let idx: Vec<usize> = (0..self.len()).rev().collect();
        self.xy.reverse();
        self.at.reverse();
        if let Some(z) = &mut self.z {
            z.reverse();
        }
        for c in &mut self.columns {
            c.values = c.values.pick(&idx);
        }
    }

    /// Twice the signed area of the ring (positive when counterclockwise).
    pub fn signed_area(&self) -> f64 {
        signed_area_xy(&self.xy)
    }

    /// Removes every per-vertex column and returns them.
    pub fn take_columns(&mut self) -> Vec<Column> {
        std::mem::take(&mut self.columns)
    }
}

impl PartialEq for Coords {
    /// Positions, altitudes (a missing altitude equals a missing one) and columns equal;
    /// where they were written does not count.
    fn eq(&self, other: &Self) -> bool {
        self.xy == other.xy
            && self.columns == other.columns
            && self.iter().map(|p| p.z).eq(other.iter().map(|p| p.z))
    }
}

impl FromIterator<Position> for Coords {
    fn from_iter<I: IntoIterator<Item = Position>>(iter: I) -> Self {
        let mut c = Coords::new();
        for p in iter {
            c.push(p);
        }
        c
    }
}

/// A named per-vertex array, parallel to the positions of a [`Coords`]: `times` for
/// track point times, `heart`, `cadence`, `power`… (togeojson's names, so that
/// GeoJSON output reads in existing tools).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// One value per vertex.
    pub values: ColumnValues,
}

/// The values of a per-vertex column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// Numbers (heart rate, cadence, temperature…); `None` where a vertex has none.
    Numbers(Vec<Option<Number>>),
    /// Text (ISO 8601 times, kept as written); `None` where a vertex has none.
    Texts(TextColumn),
}

impl ColumnValues {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnValues::Numbers(v) => v.len(),
            ColumnValues::Texts(t) => t.len(),
        }
    }

    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values at `idx`, in that order.
    fn pick(&self, idx: &[usize]) -> ColumnValues {
        match self {
            ColumnValues::Numbers(v) => {
                ColumnValues::Numbers(idx.iter().map(|&i| v.get(i).cloned().flatten()).collect())
            }
            ColumnValues::Texts(t) => ColumnValues::Texts(idx.iter().map(|&i| t.get(i)).collect()),
        }
    }
}

/// Strings stored back to back in one buffer: a track of 100,000 points carries 100,000
/// times, and one allocation per time would cost more than the times themselves.
///
/// ```
/// use geonorm::TextColumn;
/// let mut t = TextColumn::default();
/// t.push(Some("2024-05-01T10:00:00Z"));
/// t.push(None);
/// assert_eq!(t.get(0), Some("2024-05-01T10:00:00Z"));
/// assert_eq!(t.get(1), None);
/// assert_eq!(t.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextColumn {
    buf: String,
    // End offset of each value in `buf`; the top bit marks a missing value.
    ends: Vec<u64>,
}

const MISSING: u64 = 1 << 63;

impl TextColumn {
    /// Appends a value (or a gap).
    pub fn push(&mut self, value: Option<&str>) {
        match value {
            Some(s) => {
                self.buf.push_str(s);
                self.ends.push(self.buf.len() as u64);
            }
            None => self.ends.push(self.buf.len() as u64 | MISSING),
        }
    }

    /// The value at `i`, `None` for a gap or past the end.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        if end & MISSING != 0 {
            return None;
        }
        let start = match i.checked_sub(1) {
            Some(prev) => self.ends.get(prev).map_or(0, |e| e & !MISSING),
            None => 0,
        };
        self.buf.get(start as usize..end as usize)
    }

    /// Number of values, gaps included.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// All values in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
}

impl<'a> FromIterator<Option<&'a str>> for TextColumn {
    fn from_iter<I: IntoIterator<Item = Option<&'a str>>>(iter: I) -> Self {
        let mut t = TextColumn::default();
        for v in iter {
            t.push(v);
        }
        t
    }
}

/// A geometry. Polygons are lists of rings, the first one the outer ring.
#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    /// One position.
    Point(Position),
    /// A line through two or more positions.
    LineString(Coords),
    /// An outer ring and any number of holes.
    Polygon(Vec<Coords>),
    /// Several points.
    MultiPoint(Coords),
    /// Several lines (the segments of a GPS track, say).
    MultiLineString(Vec<Coords>),
    /// Several polygons.
    MultiPolygon(Vec<Vec<Coords>>),
    /// A mix of geometries.
    GeometryCollection(Vec<Geometry>),
}

/// The kind of a geometry, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GeometryKind {
    /// [`Geometry::Point`]
    Point,
    /// [`Geometry::LineString`]
    LineString,
    /// [`Geometry::Polygon`]
    Polygon,
    /// [`Geometry::MultiPoint`]
    MultiPoint,
    /// [`Geometry::MultiLineString`]
    MultiLineString,
    /// [`Geometry::MultiPolygon`]
    MultiPolygon,
    /// [`Geometry::GeometryCollection`]
    GeometryCollection,
}

impl GeometryKind {
    /// The GeoJSON type name, which is also the OGC simple-feature name.
    pub fn as_str(self) -> &'static str {
        match self {
            GeometryKind::Point => "Point",
            GeometryKind::LineString => "LineString",
            GeometryKind::Polygon => "Polygon",
            GeometryKind::MultiPoint => "MultiPoint",
            GeometryKind::MultiLineString => "MultiLineString",
            GeometryKind::MultiPolygon => "MultiPolygon",
            GeometryKind::GeometryCollection => "GeometryCollection",
        }
    }

    /// Every kind, in the order of the enum (and of [`GeometryKind`]'s `Ord`).
    pub const ALL: [GeometryKind; 7] = [
        GeometryKind::Point,
        GeometryKind::LineString,
        GeometryKind::Polygon,
        GeometryKind::MultiPoint,
        GeometryKind::MultiLineString,
        GeometryKind::MultiPolygon,
        GeometryKind::GeometryCollection,
    ];
}

impl std::fmt::Display for GeometryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a GeoJSON geometry type (see [`GeometryKind`]'s `FromStr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownGeometryKind(pub String);

impl std::fmt::Display for UnknownGeometryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not a GeoJSON geometry type", self.0)
    }
}

impl std::error::Error for UnknownGeometryKind {}

impl std::str::FromStr for GeometryKind {
    type Err = UnknownGeometryKind;

    /// The GeoJSON type name, exactly: GeoJSON's type names are case-sensitive.
    ///
    /// ```
    /// use geonorm::GeometryKind;
    /// assert_eq!("MultiLineString".parse(), Ok(GeometryKind::MultiLineString));
    /// assert!("multilinestring".parse::<GeometryKind>().is_err());
    /// assert!("Feature".parse::<GeometryKind>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GeometryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownGeometryKind(s.to_string()))
    }
}

/// A bounding box: `[min x, min y, max x, max y]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// Smallest longitude.
    pub min_x: f64,
    /// Smallest latitude.
    pub min_y: f64,
    /// Largest longitude.
    pub max_x: f64,
    /// Largest latitude.
    pub max_y: f64,
}

impl BBox {
    fn of(x: f64, y: f64) -> Self {
        BBox {
            min_x: x,
            min_y: y,
            max_x: x,
            max_y: y,
        }
    }

    fn add(&mut self, x: f64, y: f64) {
        self.min_x = self.min_x.min(x);
        self.min_y = self.min_y.min(y);
        self.max_x = self.max_x.max(x);
        self.max_y = self.max_y.max(y);
    }

    /// Grows this box to hold another.
    pub fn extend(&mut self, other: &BBox) {
        self.add(other.min_x, other.min_y);
        self.add(other.max_x, other.max_y);
    }
}

fn extend_bbox(bbox: &mut Option<BBox>, x: f64, y: f64) {
    if !(x.is_finite() && y.is_finite()) {
        return;
    }
    match bbox {
        Some(b) => b.add(x, y),
        None => *bbox = Some(BBox::of(x, y)),
    }
}

impl Geometry {
    /// The kind of this geometry.
    pub fn kind(&self) -> GeometryKind {
        match self {
            Geometry::Point(_) => GeometryKind::Point,
            Geometry::LineString(_) => GeometryKind::LineString,
            Geometry::Polygon(_) => GeometryKind::Polygon,
            Geometry::MultiPoint(_) => GeometryKind::MultiPoint,
            Geometry::MultiLineString(_) => GeometryKind::MultiLineString,
            Geometry::MultiPolygon(_) => GeometryKind::MultiPolygon,
            Geometry::GeometryCollection(_) => GeometryKind::GeometryCollection,
        }
    }

    /// Calls `f` on every coordinate sequence in this geometry, in order (a Point is not
    /// a sequence and is skipped).
    pub fn for_each_coords<'a>(&'a self, f: &mut impl FnMut(&'a Coords)) {
        match self {
            Geometry::Point(_) => {}
            Geometry::LineString(c) | Geometry::MultiPoint(c) => f(c),
            Geometry::Polygon(rings) | Geometry::MultiLineString(rings) => rings.iter().for_each(f),
            Geometry::MultiPolygon(polys) => polys.iter().flatten().for_each(f),
            Geometry::GeometryCollection(gs) => gs.iter().for_each(|g| g.for_each_coords(f)),
        }
    }

    /// Forgets where every position was written ([`Coords::forget_spans`]).
    pub(crate) fn forget_spans(&mut self) {
        match self {
            Geometry::Point(_) => {}
            Geometry::LineString(c) | Geometry::MultiPoint(c) => c.forget_spans(),
            Geometry::Polygon(rings) | Geometry::MultiLineString(rings) => {
                rings.iter_mut().for_each(Coords::forget_spans)
            }
            Geometry::MultiPolygon(polys) => {
                polys.iter_mut().flatten().for_each(Coords::forget_spans)
            }
            Geometry::GeometryCollection(gs) => gs.iter_mut().for_each(Geometry::forget_spans),
        }
    }

    /// Number of positions (vertices), counting a ring's closing position.
    pub fn vertex_count(&self) -> usize {
        match self {
            Geometry::Point(_) => 1,
            Geometry::GeometryCollection(gs) => gs.iter().map(Geometry::vertex_count).sum(),
            other => {
                let mut n = 0;
                other.for_each_coords(&mut |c| n += c.len());
                n
            }
        }
    }

    /// The bounding box of all finite positions, `None` for an empty geometry.
    pub fn bbox(&self) -> Option<BBox> {
        let mut bbox = None;
        self.extend_bbox(&mut bbox);
        bbox
    }

    fn extend_bbox(&self, bbox: &mut Option<BBox>) {
        match self {
            Geometry::Point(p) => extend_bbox(bbox, p.x, p.y),
            Geometry::GeometryCollection(gs) => gs.iter().for_each(|g| g.extend_bbox(bbox)),
            other => other.for_each_coords(&mut |c| {
                for &[x, y] in c.xy() {
                    extend_bbox(bbox, x, y);
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_altitudes_are_kept_per_position() {
        let c: Coords = [
            Position::new(1.0, 2.0),
            Position::with_z(3.0, 4.0, 5.0),
            Position::new(6.0, 7.0),
        ]
        .into_iter()
        .collect();
        let zs: Vec<_> = c.iter().map(|p| p.z).collect();
        assert_eq!(zs, vec![None, Some(5.0), None]);
        assert!(c.has_z());
    }

    #[test]
    fn column_length_must_match() {
        let mut c: Coords = [Position::new(1.0, 2.0)].into_iter().collect();
        let bad = Column {
            name: "heart".into(),
            values: ColumnValues::Numbers(vec![]),
        };
        assert!(c.set_column(bad).is_err());
        let good = Column {
            name: "heart".into(),
            values: ColumnValues::Numbers(vec![Some(120.into())]),
        };
        assert!(c.set_column(good).is_ok());
        assert_eq!(c.columns().len(), 1);
    }

    #[test]
    fn text_column_handles_gaps_and_empty_strings() {
        let t: TextColumn = [Some("a"), None, Some(""), Some("bc")]
            .into_iter()
            .collect();
        let all: Vec<_> = t.iter().collect();
        assert_eq!(all, vec![Some("a"), None, Some(""), Some("bc")]);
    }

    #[test]
    fn bbox_and_vertex_count_cover_collections() {
        let g = Geometry::GeometryCollection(vec![
            Geometry::Point(Position::new(-1.0, 5.0)),
            Geometry::LineString(
                [Position::new(2.0, -3.0), Position::new(4.0, 1.0)]
                    .into_iter()
                    .collect(),
            ),
        ]);
        assert_eq!(g.vertex_count(), 3);
        let b = g.bbox().expect("non-empty");
        assert_eq!((b.min_x, b.min_y, b.max_x, b.max_y), (-1.0, -3.0, 4.0, 5.0));
    }

    #[test]
    fn geometry_kind_names_round_trip() {
        for k in GeometryKind::ALL {
            assert_eq!(k.as_str().parse::<GeometryKind>(), Ok(k));
        }
        // ALL is sorted as the enum is, so lists built from it keep their order.
        assert!(GeometryKind::ALL.windows(2).all(|w| w[0] < w[1]));
        for bad in ["", "point", "Feature", "MultiGeometry", "Point "] {
            assert!(bad.parse::<GeometryKind>().is_err(), "{bad:?}");
        }
    }
}

/// Twice the signed area of a ring given by its positions (positive when
/// counterclockwise): the shoelace sum over consecutive positions.
pub(crate) fn signed_area_xy(xy: &[[f64; 2]]) -> f64 {
    xy.windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum()
}

/// How a format wants polygon rings wound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Winding {
    /// RFC 7946 GeoJSON: exterior rings counterclockwise, holes clockwise.
    RightHand,
    /// KML: outer boundaries counterclockwise (the reference says nothing of holes,
    /// which are left as they are).
    OuterCounterclockwise,
}

impl Winding {
    /// Whether ring `i` of a polygon (0: the exterior) is wound against the rule. A
    /// ring too short to have an area has no winding.
    pub(crate) fn against(self, i: usize, ring: &Coords) -> bool {
        if ring.len() < 4 {
            return false;
        }
        let a = ring.signed_area();
        match (self, i) {
            (_, 0) => a < 0.0,
            (Winding::RightHand, _) => a > 0.0,
            (Winding::OuterCounterclockwise, _) => false,
        }
    }

    /// How many rings of one polygon (the exterior first) are wound against the rule.
    pub(crate) fn count_against_rings(self, rings: &[Coords]) -> usize {
        rings
            .iter()
            .enumerate()
            .filter(|(i, r)| self.against(*i, r))
            .count()
    }

    /// How many of `g`'s polygon rings are wound against the rule.
    pub(crate) fn count_against(self, g: &Geometry) -> usize {
        let rings = |rs: &[Coords]| self.count_against_rings(rs);
        match g {
            Geometry::Polygon(rs) => rings(rs),
            Geometry::MultiPolygon(ps) => ps.iter().map(|rs| rings(rs)).sum(),
            Geometry::GeometryCollection(gs) => gs.iter().map(|g| self.count_against(g)).sum(),
            _ => 0,
        }
    }

    /// `g` with every polygon ring wound as the rule wants (each turned ring's
    /// per-vertex values turned with it), and how many rings were turned: borrowed
    /// when none was.
    pub(crate) fn apply(self, g: &Geometry) -> (std::borrow::Cow<'_, Geometry>, usize) {
        let n = self.count_against(g);
        if n == 0 {
            return (std::borrow::Cow::Borrowed(g), 0);
        }
        let mut owned = g.clone();
        self.turn(&mut owned);
        (std::borrow::Cow::Owned(owned), n)
    }

    fn turn(self, g: &mut Geometry) {
        let rings = |rs: &mut [Coords]| {
            for (i, r) in rs.iter_mut().enumerate() {
                if self.against(i, r) {
                    r.reverse();
                }
            }
        };
        match g {
            Geometry::Polygon(rs) => rings(rs),
            Geometry::MultiPolygon(ps) => ps.iter_mut().for_each(|rs| rings(rs)),
            Geometry::GeometryCollection(gs) => gs.iter_mut().for_each(|g| self.turn(g)),
            _ => {}
        }
    }
}
