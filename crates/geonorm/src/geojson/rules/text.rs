//! RFC 7946 on the JSON text itself: the structure rules (types, required and
//! forbidden members, positions, bbox) that the model no longer shows, each pointing
//! at the JSON value it is about, and the geometry rules at each position.

use crate::geometry::rules::{self as geometry, Seq};
use crate::json::{Kind, Val};
use crate::{Code, Diagnostic, Span};

/// A root object without `type` (read as what its members say): the one diagnostic
/// `check` and `convert` both give.
pub(crate) fn missing_root_type(at: usize) -> Diagnostic {
    Diagnostic::new(Code::GeojsonMissingType, "the root object has no `type`")
        .at(Span::new(at, at + 1))
        .with_help("add \"type\": \"FeatureCollection\" (or Feature, or the geometry type)")
}

/// A feature without `type` (read as a Feature): the one diagnostic `check` and
/// `convert` both give.
pub(crate) fn missing_feature_type(at: usize) -> Diagnostic {
    Diagnostic::new(
        Code::GeojsonMissingType,
        "feature has no `type`; read as a Feature",
    )
    .at(Span::new(at, at + 1))
    .with_help("add \"type\": \"Feature\"")
}

const GEOMETRY_TYPES: [&str; 7] = [
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
];

/// The start of a value: errors point at where it begins, as editors jump to.
fn head(v: &Val) -> Span {
    Span::new(v.start, v.start + 1)
}

pub(crate) struct Rules<'o> {
    pub out: &'o mut Vec<Diagnostic>,
    /// MapHub's dialect: a FeatureCollection may carry `properties`.
    pub maphub: bool,
    /// Positions with too many decimals so far: a file written with 15 digits has it
    /// on every position, and one finding per position would bury everything else.
    pub precision: usize,
    /// Whether the positions were stepped over ([`crate::json::parse_outline`]):
    /// they are judged on the model instead (`outline::positions_clean`).
    pub outline: bool,
}

/// Precision findings reported one by one before they are only counted.
pub(crate) const PRECISION_SHOWN: usize = 10;

impl Rules<'_> {
    fn push(&mut self, code: Code, message: impl Into<String>, at: Span) {
        self.out.push(Diagnostic::new(code, message).at(at));
    }

    /// The `type` member: present, a string, one of `allowed` (case-sensitively).
    fn type_of<'v>(&mut self, v: &'v Val, what: &str) -> Option<&'v str> {
        let Some(t) = v.get("type") else {
            self.push(
                Code::GeojsonMissingMember,
                format!("{what} has no \"type\" member"),
                head(v),
            );
            return None;
        };
        let Some(s) = t.as_str() else {
            self.push(
                Code::GeojsonWrongType,
                format!("\"type\" should be a string, but is {}", t.kind_name()),
                head(v),
            );
            return None;
        };
        Some(s)
    }

    fn known_type(&mut self, t: &str, v: &Val) -> bool {
        let all = GEOMETRY_TYPES
            .iter()
            .chain(&["Feature", "FeatureCollection"]);
        if all.clone().any(|k| *k == t) {
            return true;
        }
        match all.clone().find(|k| k.eq_ignore_ascii_case(t)) {
            Some(k) => self.push(
                Code::GeojsonWrongType,
                format!("expected {k} but got {t} (types are case-sensitive)"),
                head(v),
            ),
            None => self.push(
                Code::GeojsonWrongType,
                format!("the type {t} is not a GeoJSON type"),
                head(v),
            ),
        }
        false
    }

    fn forbidden(&mut self, v: &Val, what: &str, names: &[&str]) {
        for m in v.members() {
            if names.contains(&m.key.as_str()) {
                self.push(
                    Code::GeojsonForbiddenMember,
                    format!("{what} cannot contain a \"{}\" member", m.key),
                    head(v),
                );
            }
        }
    }

    fn bbox(&mut self, v: &Val) {
        let Some(b) = v.get("bbox") else { return };
        match b.items() {
            None => self.push(
                Code::GeojsonBadBbox,
                format!(
                    "\"bbox\" should be an array of numbers, but is {}",
                    b.kind_name()
                ),
                head(v),
            ),
            Some(items) => {
                if items.iter().any(|i| i.as_f64().is_none()) {
                    self.push(
                        Code::GeojsonBadBbox,
                        "each element of a bbox must be a number",
                        head(b),
                    );
                } else if items.len() != 4 && items.len() != 6 {
                    self.push(
                        Code::GeojsonBadBbox,
                        format!(
                            "a bbox has {} elements; it needs 4 (2D) or 6 (3D)",
                            items.len()
                        ),
                        head(b),
                    );
                }
            }
        }
    }

    /// Rules on one feature.
    pub(crate) fn feature_unit(&mut self, v: &Val) {
        self.feature(v);
    }

    pub(crate) fn root(&mut self, v: &Val) {
        if !matches!(v.kind, Kind::Obj(_)) {
            self.push(
                Code::GeojsonRoot,
                format!(
                    "the root of a GeoJSON document must be an object, not {}",
                    v.kind_name()
                ),
                head(v),
            );
            return;
        }
        // Without `type`, the reader reads the root as what its members say (and says
        // so); only a root that says nothing is an error.
        let inferable = [
            "features",
            "geometry",
            "properties",
            "coordinates",
            "geometries",
        ]
        .iter()
        .any(|k| v.get(k).is_some());
        if v.get("type").is_none() && inferable {
            self.out.push(missing_root_type(v.start));
            return;
        }
        let Some(t) = self.type_of(v, "the root object") else {
            return;
        };
        if !self.known_type(t, v) {
            return;
        }
        match t {
            "FeatureCollection" => self.collection(v),
            "Feature" => self.feature(v),
            _ => self.geometry(v, false),
        }
    }

    fn collection(&mut self, v: &Val) {
        self.bbox(v);
        self.forbidden(
            v,
            "a FeatureCollection",
            &["coordinates", "geometries", "geometry"],
        );
        if v.get("properties").is_some() {
            if self.maphub {
                self.push(
                    Code::MaphubCollectionProperties,
                    "the FeatureCollection has a \"properties\" member (MapHub's dialect)",
                    head(v),
                );
            } else {
                self.push(
                    Code::GeojsonForbiddenMember,
                    "a FeatureCollection cannot contain a \"properties\" member",
                    head(v),
                );
            }
        }
        match v.get("features") {
            None => self.push(
                Code::GeojsonMissingMember,
                "a FeatureCollection needs a \"features\" member",
                head(v),
            ),
            Some(f) => match f.items() {
                None => self.push(
                    Code::GeojsonMemberType,
                    format!("\"features\" should be an array, but is {}", f.kind_name()),
                    head(v),
                ),
                Some(items) => {
                    for item in items {
                        self.feature(item);
                    }
                }
            },
        }
    }

    fn feature(&mut self, v: &Val) {
        if !matches!(v.kind, Kind::Obj(_)) {
            self.push(
                Code::GeojsonMemberType,
                format!("every feature must be an object, not {}", v.kind_name()),
                head(v),
            );
            return;
        }
        match v.get("type").map(|t| t.as_str()) {
            None => self.out.push(missing_feature_type(v.start)),
            Some(Some("Feature")) => {}
            Some(Some(other)) => self.push(
                Code::GeojsonWrongType,
                format!("a feature's type must be \"Feature\", not \"{other}\""),
                head(v),
            ),
            Some(None) => self.push(
                Code::GeojsonWrongType,
                "a feature's \"type\" should be the string \"Feature\"",
                head(v),
            ),
        }
        self.bbox(v);
        self.forbidden(v, "a Feature", &["features", "coordinates", "geometries"]);
        if let Some(id) = v.get("id") {
            if !matches!(id.kind, Kind::Str(_) | Kind::Num(..)) {
                self.push(
                    Code::GeojsonMemberType,
                    format!(
                        "a feature's \"id\" must be a string or a number, not {}",
                        id.kind_name()
                    ),
                    head(v),
                );
            }
        }
        match v.get("properties") {
            None => self.push(
                Code::GeojsonMissingMember,
                "a feature needs a \"properties\" member (an object or null)",
                head(v),
            ),
            Some(p) if !matches!(p.kind, Kind::Obj(_) | Kind::Null) => self.push(
                Code::GeojsonMemberType,
                format!(
                    "\"properties\" should be an object or null, but is {}",
                    p.kind_name()
                ),
                head(v),
            ),
            Some(_) => {}
        }
        match v.get("geometry") {
            None => self.push(
                Code::GeojsonMissingMember,
                "a feature needs a \"geometry\" member (an object or null)",
                head(v),
            ),
            Some(g) if matches!(g.kind, Kind::Null) => {}
            Some(g) => self.geometry(g, false),
        }
    }

    fn geometry(&mut self, v: &Val, nested: bool) {
        if !matches!(v.kind, Kind::Obj(_)) {
            self.push(
                Code::GeojsonMemberType,
                format!("a geometry must be an object, not {}", v.kind_name()),
                head(v),
            );
            return;
        }
        let Some(t) = self.type_of(v, "a geometry") else {
            return;
        };
        if !self.known_type(t, v) {
            return;
        }
        if !GEOMETRY_TYPES.contains(&t) {
            self.push(
                Code::GeojsonWrongType,
                format!("a geometry cannot be a {t}"),
                head(v),
            );
            return;
        }
        self.bbox(v);
        self.forbidden(v, "a geometry", &["properties", "geometry", "features"]);
        if t == "GeometryCollection" {
            let Some(gs) = v.get("geometries") else {
                self.push(
                    Code::GeojsonMissingMember,
                    "a GeometryCollection needs a \"geometries\" member",
                    head(v),
                );
                return;
            };
            let Some(items) = gs.items() else {
                self.push(
                    Code::GeojsonMemberType,
                    format!(
                        "\"geometries\" should be an array, but is {}",
                        gs.kind_name()
                    ),
                    head(v),
                );
                return;
            };
            if items
                .iter()
                .any(|g| g.get("type").and_then(Val::as_str) == Some("GeometryCollection"))
            {
                self.push(
                    Code::GeojsonNestedCollection,
                    "a GeometryCollection holds another GeometryCollection",
                    head(gs),
                );
            }
            let _ = nested;
            if items.len() == 1 {
                self.push(
                    Code::GeojsonSingleCollection,
                    "a GeometryCollection with a single geometry; use the geometry itself",
                    head(gs),
                );
            }
            for g in items {
                if matches!(g.kind, Kind::Obj(_)) {
                    self.geometry(g, true);
                } else {
                    self.push(
                        Code::GeojsonMemberType,
                        format!("the geometries of a GeometryCollection must be geometry objects, not {}", g.kind_name()),
                        head(v),
                    );
                }
            }
            return;
        }
        let Some(c) = v.get("coordinates") else {
            self.push(
                Code::GeojsonMissingMember,
                format!("a {t} needs a \"coordinates\" member"),
                head(v),
            );
            return;
        };
        if c.items().is_none() {
            self.push(
                Code::GeojsonMemberType,
                format!(
                    "\"coordinates\" should be an array, but is {}",
                    c.kind_name()
                ),
                head(v),
            );
            return;
        }
        if self.outline {
            return;
        }
        if t == "Point" && c.items().is_some_and(<[Val]>::is_empty) {
            self.push(
                Code::GeojsonEmptyPoint,
                "a Point has no coordinates; the feature is kept without geometry",
                head(c),
            );
            return;
        }
        let depth = match t {
            "Point" => 0,
            "MultiPoint" | "LineString" => 1,
            "Polygon" | "MultiLineString" => 2,
            _ => 3,
        };
        let mark = self.out.len();
        let sound = self.nesting(c, depth);
        self.one_extra_ordinates_finding(mark);
        if !sound {
            return;
        }
        // The structure is sound: the geometry rules can read every position.
        let items = c.items().unwrap_or_default();
        match t {
            "Point" => self.point(c),
            "MultiPoint" => items.iter().for_each(|p| self.point(p)),
            "LineString" => geometry::line(&ValSeq::new(c), self.out),
            "MultiLineString" => items
                .iter()
                .for_each(|l| geometry::line(&ValSeq::new(l), self.out)),
            "Polygon" => self.polygon(v, c),
            _ => items.iter().for_each(|p| self.polygon(v, p)),
        }
    }

    fn point(&mut self, p: &Val) {
        let [x, y] = ValSeq::pos(p);
        geometry::position(x, y, head(p), self.out);
    }

    fn polygon(&mut self, geom: &Val, rings: &Val) {
        let seqs: Vec<ValSeq> = rings
            .items()
            .unwrap_or_default()
            .iter()
            .map(ValSeq::new)
            .collect();
        let dyns: Vec<&dyn Seq> = seqs.iter().map(|s| s as &dyn Seq).collect();
        geometry::polygon(&dyns, self.out);
        // RFC 7946: the closing position repeats the first one exactly, altitude too.
        for r in rings.items().unwrap_or_default() {
            let ps = r.items().unwrap_or_default();
            if let (Some(first), Some(last)) = (ps.first(), ps.last()) {
                let same_xy = ValSeq::pos(first) == ValSeq::pos(last);
                let nums = |v: &Val| -> Vec<f64> {
                    v.items()
                        .unwrap_or_default()
                        .iter()
                        .filter_map(Val::as_f64)
                        .collect()
                };
                if ps.len() >= 2 && same_xy && nums(first) != nums(last) {
                    self.push(
                        Code::GeometryRingNotClosed,
                        "a polygon ring's last position differs from its first in altitude",
                        head(r),
                    );
                }
            }
        }
        // Right-hand rule: exterior counterclockwise, holes clockwise.
        let wrong = seqs.iter().enumerate().any(|(i, r)| {
            let a = geometry::signed_area(r);
            r.len() >= 4 && if i == 0 { a < 0.0 } else { a > 0.0 }
        });
        if wrong {
            self.push(
                Code::GeojsonRightHandRule,
                "polygons should follow the right-hand rule: exterior rings counterclockwise, holes clockwise",
                head(geom),
            );
        }
    }

    /// Positions with extra ordinates since `mark`, said once per geometry: a file
    /// with a fourth number on every position would otherwise bury everything else.
    fn one_extra_ordinates_finding(&mut self, mark: usize) {
        let extra = |d: &Diagnostic| d.code == Code::GeojsonExtraOrdinates;
        let n = self.out[mark..].iter().filter(|d| extra(d)).count();
        if n < 2 {
            return;
        }
        let Some(first) = self.out[mark..].iter().position(extra) else {
            return;
        };
        let at = self.out[mark + first].span;
        // Only this geometry's findings (from `mark` on) are folded: an earlier
        // geometry's (of the same collection) stay as they were said.
        let mut i = 0;
        self.out.retain(|d| {
            let keep = i < mark || !extra(d);
            i += 1;
            keep
        });
        let mut d = Diagnostic::new(
            Code::GeojsonExtraOrdinates,
            format!(
                "{n} positions have more than 3 numbers; only longitude, latitude and altitude are kept"
            ),
        );
        d.span = at;
        self.out.insert(mark + first, d);
    }

    /// Checks that `c` nests arrays `depth` levels above its positions, and that each
    /// position is 2 or 3 numbers. False when the structure is broken.
    fn nesting(&mut self, c: &Val, depth: usize) -> bool {
        let Some(items) = c.items() else {
            if depth == 0 {
                self.push(
                    Code::GeojsonBadPosition,
                    format!("a position should be an array, not {}", c.kind_name()),
                    head(c),
                );
            } else {
                self.push(
                    Code::GeojsonBadPosition,
                    "a number was found where an array of coordinates should be",
                    head(c),
                );
            }
            return false;
        };
        if depth == 0 {
            if items.iter().any(|i| i.as_f64().is_none()) {
                self.push(
                    Code::GeojsonBadPosition,
                    "each element of a position must be a number",
                    head(c),
                );
                return false;
            }
            if items.len() < 2 {
                self.push(
                    Code::GeojsonPositionTooShort,
                    format!(
                        "a position has {}; it needs 2 or 3, so the geometry cannot be read",
                        crate::diag::count(items.len(), "number", "numbers")
                    ),
                    head(c),
                );
                return false;
            }
            if items.len() > 3 {
                self.push(
                    Code::GeojsonExtraOrdinates,
                    format!(
                        "a position has {} numbers; only longitude, latitude and altitude are kept",
                        items.len()
                    ),
                    head(c),
                );
            }
            let precise = items
                .iter()
                .take(2)
                .any(|i| matches!(i.kind, Kind::Num(_, d) if d > 6));
            if precise {
                self.precision += 1;
            }
            if precise && self.precision <= PRECISION_SHOWN {
                self.out.push(
                    Diagnostic::new(
                        Code::GeojsonPrecision,
                        "a coordinate has more than 6 decimal places",
                    )
                    .at(head(c))
                    .with_help(
                        "round to 6 decimals (about 10 cm) with `geonorm convert --precision 6`",
                    ),
                );
            }
            return true;
        }
        let mut ok = true;
        for item in items {
            if item.items().is_none() {
                // A number where an array belongs: reported at the array holding it.
                self.push(
                    Code::GeojsonBadPosition,
                    format!(
                        "{} was found where an array of coordinates should be: nest it more deeply",
                        item.kind_name()
                    ),
                    head(c),
                );
                ok = false;
            } else {
                ok &= self.nesting(item, depth - 1);
            }
        }
        ok
    }
}

/// A JSON array of positions (already checked to be 2 or 3 numbers each), with their
/// longitudes and latitudes read once: a hole's test against its outer ring reads
/// every position of the ring for each of its own.
struct ValSeq<'v> {
    val: &'v Val,
    xy: Vec<[f64; 2]>,
}

impl<'v> ValSeq<'v> {
    fn new(val: &'v Val) -> Self {
        let xy = val
            .items()
            .unwrap_or_default()
            .iter()
            .map(ValSeq::pos)
            .collect();
        ValSeq { val, xy }
    }

    /// The sequence's positions.
    fn items(&self) -> &'v [Val] {
        self.val.items().unwrap_or_default()
    }

    fn pos(p: &Val) -> [f64; 2] {
        let n = |i: usize| {
            p.items()
                .and_then(|a| a.get(i))
                .and_then(Val::as_f64)
                .unwrap_or(f64::NAN)
        };
        [n(0), n(1)]
    }
}

impl Seq for ValSeq<'_> {
    fn len(&self) -> usize {
        self.xy.len()
    }
    fn xy(&self, i: usize) -> [f64; 2] {
        self.xy.get(i).copied().unwrap_or([f64::NAN, f64::NAN])
    }
    fn span(&self) -> Span {
        head(self.val)
    }
    fn at(&self, i: usize) -> Span {
        self.items().get(i).map_or(head(self.val), head)
    }
}
