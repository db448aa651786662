//! One geometry object, read with serde seeds straight into the model: coordinates of
//! any nesting go into one flat [`Coords`] and are cut into rings and parts once the
//! type is known, without an intermediate `Value` tree.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Map;

use crate::diag::offset_of_line_col;
use crate::geojson::origin::{is_data_error, strip_position, syntax_error, Origin};
use crate::{Code, Coords, Diagnostic, Geometry, Position, Properties, Result, Span};

/// Reads one geometry object; `None` for `null` or a geometry that could not be read
/// (reported).
pub(super) fn read_geometry(
    bytes: &[u8],
    origin: Origin,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<(Geometry, Properties)>> {
    let span = Span::new(origin.offset, origin.offset + bytes.len());
    let mut local = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let fault = Cell::new(None);
    let seed = GeometrySeed {
        diags: &mut local,
        nested: false,
        fault: &fault,
    };
    let parsed = seed.deserialize(&mut de).and_then(|g| de.end().map(|()| g));
    for d in &mut local {
        d.span.get_or_insert(span);
    }
    diags.append(&mut local);
    match parsed {
        Ok(g) => Ok(g),
        Err(e) if is_data_error(&e) => {
            let msg = strip_position(&e);
            let code = fault.get().unwrap_or(Code::GeojsonInvalidGeometry);
            let at = span.start + offset_of_line_col(bytes, e.line(), e.column());
            diags.push(
                Diagnostic::new(code, format!("{msg}; the feature is kept without geometry"))
                    .at(Span::new(at.min(span.end), span.end)),
            );
            Ok(None)
        }
        Err(e) => Err(syntax_error(&e, bytes, origin)),
    }
}

struct GeometrySeed<'d> {
    diags: &'d mut Vec<Diagnostic>,
    nested: bool,
    /// The code of the error that stopped reading, when it has one of its own: serde
    /// carries only a message out, so the code travels beside it.
    fault: &'d Cell<Option<Code>>,
}

impl<'de> DeserializeSeed<'de> for GeometrySeed<'_> {
    type Value = Option<(Geometry, Properties)>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GeometrySeed<'_> {
    type Value = Option<(Geometry, Properties)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a geometry object or null")
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut ty: Option<String> = None;
        let mut tree: Option<CoordTree> = None;
        let mut children: Option<Vec<Geometry>> = None;
        let mut extra = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => ty = Some(map.next_value()?),
                "coordinates" => {
                    let mut t = CoordTree::default();
                    map.next_value_seed(CoordSeed {
                        tree: &mut t,
                        depth: 0,
                        fault: self.fault,
                    })?;
                    tree = Some(t);
                }
                "geometries" => {
                    children = Some(map.next_value_seed(ChildrenSeed {
                        diags: &mut *self.diags,
                        fault: self.fault,
                    })?)
                }
                _ => {
                    let v = map.next_value()?;
                    extra.insert(key, v);
                }
            }
        }
        let ty = ty.ok_or_else(|| de::Error::custom("geometry has no `type`"))?;
        if self.nested && !extra.is_empty() {
            let keys: Vec<&str> = extra.keys().map(String::as_str).collect();
            self.diags.push(Diagnostic::new(
                Code::GeojsonNestedForeignMember,
                format!("members {keys:?} of a {ty} inside a GeometryCollection are not kept"),
            ));
            extra.clear();
        }
        let geometry = if ty == "GeometryCollection" {
            let gs = children
                .ok_or_else(|| de::Error::custom("GeometryCollection has no `geometries`"))?;
            Geometry::GeometryCollection(gs)
        } else {
            let tree =
                tree.ok_or_else(|| de::Error::custom(format!("{ty} has no `coordinates`")))?;
            if tree.extra_ordinates > 0 {
                self.diags.push(Diagnostic::new(
                    Code::GeojsonExtraOrdinates,
                    format!(
                        "{} of a {ty} {} more than 3 numbers; only longitude, latitude and altitude are kept",
                        crate::diag::count(tree.extra_ordinates, "position", "positions"),
                        if tree.extra_ordinates == 1 { "has" } else { "have" }
                    ),
                ));
            }
            tree.build(&ty, self.fault).map_err(de::Error::custom)?
        };
        Ok(Some((geometry, extra)))
    }
}

struct ChildrenSeed<'d> {
    diags: &'d mut Vec<Diagnostic>,
    fault: &'d Cell<Option<Code>>,
}

impl<'de> DeserializeSeed<'de> for ChildrenSeed<'_> {
    type Value = Vec<Geometry>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ChildrenSeed<'_> {
    type Value = Vec<Geometry>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of geometries")
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(g) = seq.next_element_seed(GeometrySeed {
            diags: &mut *self.diags,
            nested: true,
            fault: self.fault,
        })? {
            match g {
                Some((g, _)) => out.push(g),
                None => return Err(de::Error::custom("a GeometryCollection holds null")),
            }
        }
        Ok(out)
    }
}

/// Coordinates of any nesting, stored flat while they are read: positions go straight
/// into one [`Coords`], and each nesting level records how many children its arrays had.
#[derive(Default)]
struct CoordTree {
    coords: Coords,
    /// Nesting depth of the position arrays (0: the coordinates are one position).
    position_depth: Option<usize>,
    /// `counts[d]`: number of children of each array at depth `d`, in order.
    counts: Vec<Vec<usize>>,
    extra_ordinates: usize,
}

impl CoordTree {
    /// The geometry of type `ty`; an error with a code of its own also sets `fault`.
    fn build(self, ty: &str, fault: &Cell<Option<Code>>) -> std::result::Result<Geometry, String> {
        let want = match ty {
            "Point" => 0,
            "LineString" | "MultiPoint" => 1,
            "Polygon" | "MultiLineString" => 2,
            "MultiPolygon" => 3,
            other => return Err(format!("unknown geometry type `{other}`")),
        };
        if let Some(d) = self.position_depth {
            if d != want {
                return Err(format!(
                    "{ty} coordinates must nest positions {} deep, found {d}",
                    crate::diag::count(want, "level", "levels")
                ));
            }
        }
        if self.counts.len() > want {
            return Err(format!("{ty} coordinates hold an empty position"));
        }
        let CoordTree { coords, counts, .. } = self;
        if want == 0 {
            return match coords.get(0) {
                Some(p) => Ok(Geometry::Point(p)),
                None => {
                    fault.set(Some(Code::GeojsonEmptyPoint));
                    Err("Point has no coordinates".into())
                }
            };
        }
        // Split the flat positions by the innermost counts, then group upwards.
        let mut level = counts;
        level.resize(want, Vec::new());
        let mut sizes = level.pop().unwrap_or_default();
        if want == 1 {
            return Ok(if ty == "LineString" {
                Geometry::LineString(coords)
            } else {
                Geometry::MultiPoint(coords)
            });
        }
        if sizes.iter().sum::<usize>() != coords.len() {
            return Err(format!("{ty} coordinates are nested inconsistently"));
        }
        let mut parts = Vec::with_capacity(sizes.len());
        let mut next = 0;
        for n in sizes.drain(..) {
            parts.push(
                (next..next + n)
                    .filter_map(|i| coords.get(i))
                    .collect::<Coords>(),
            );
            next += n;
        }
        match ty {
            "Polygon" => Ok(Geometry::Polygon(parts)),
            "MultiLineString" => Ok(Geometry::MultiLineString(parts)),
            _ => {
                let polys = level.pop().unwrap_or_default();
                if polys.iter().sum::<usize>() != parts.len() {
                    return Err("MultiPolygon coordinates are nested inconsistently".into());
                }
                let mut rings = parts.into_iter();
                Ok(Geometry::MultiPolygon(
                    polys
                        .iter()
                        .map(|&n| rings.by_ref().take(n).collect())
                        .collect(),
                ))
            }
        }
    }
}

struct CoordSeed<'t> {
    tree: &'t mut CoordTree,
    depth: usize,
    fault: &'t Cell<Option<Code>>,
}

enum Elem {
    Number(f64),
    Array,
}

impl<'de> DeserializeSeed<'de> for CoordSeed<'_> {
    type Value = Elem;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Elem, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CoordSeed<'_> {
    type Value = Elem;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a coordinate array or number")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Elem, E> {
        Ok(Elem::Number(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Elem, E> {
        Ok(Elem::Number(v as f64))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Elem, E> {
        Ok(Elem::Number(v as f64))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Elem, A::Error> {
        let depth = self.depth;
        let tree = self.tree;
        let fault = self.fault;
        let mut ords = [0.0f64; 3];
        let mut numbers = 0usize;
        let mut arrays = 0usize;
        while let Some(e) = seq.next_element_seed(CoordSeed {
            tree: &mut *tree,
            depth: depth + 1,
            fault,
        })? {
            match e {
                Elem::Number(v) => {
                    if let Some(slot) = ords.get_mut(numbers) {
                        *slot = v;
                    }
                    numbers += 1;
                }
                Elem::Array => arrays += 1,
            }
        }
        if numbers > 0 {
            if arrays > 0 {
                return Err(de::Error::custom("a position mixes numbers and arrays"));
            }
            match tree.position_depth {
                Some(d) if d != depth => {
                    return Err(de::Error::custom(
                        "positions are nested at different depths",
                    ))
                }
                _ => tree.position_depth = Some(depth),
            }
            if numbers < 2 {
                fault.set(Some(Code::GeojsonPositionTooShort));
                return Err(de::Error::custom("a position has fewer than two numbers"));
            }
            if numbers > 3 {
                tree.extra_ordinates += 1;
            }
            let z = (numbers >= 3).then_some(ords[2]);
            tree.coords.push(Position {
                x: ords[0],
                y: ords[1],
                z,
            });
        } else {
            if tree.counts.len() <= depth {
                tree.counts.resize(depth + 1, Vec::new());
            }
            tree.counts[depth].push(arrays);
        }
        Ok(Elem::Array)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{codes, read_str};
    use super::*;
    use crate::{Geometry, Position, RootKind};

    #[test]
    fn reads_every_geometry_nesting() {
        let (doc, diags) = read_str(
            r#"{"type":"GeometryCollection","geometries":[
              {"type":"Point","coordinates":[1,2]},
              {"type":"MultiPoint","coordinates":[[1,2],[3,4]]},
              {"type":"LineString","coordinates":[[1,2,3],[3,4,5]]},
              {"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0.1,0.1],[0.2,0.1],[0.2,0.2],[0.1,0.1]]]},
              {"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3],[4,4]]]},
              {"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]],[[5.1,5.1],[5.2,5.1],[5.2,5.2],[5.1,5.1]]]]}
            ]}"#,
        );
        assert!(diags.is_empty(), "{diags:?}");
        let Some(Geometry::GeometryCollection(gs)) = &doc.features[0].geometry else {
            panic!("not a collection")
        };
        let kinds: Vec<_> = gs.iter().map(|g| g.kind().as_str()).collect();
        assert_eq!(
            kinds,
            [
                "Point",
                "MultiPoint",
                "LineString",
                "Polygon",
                "MultiLineString",
                "MultiPolygon"
            ]
        );
        assert!(matches!(&gs[3], Geometry::Polygon(r) if r.len() == 2 && r[1].len() == 4));
        assert!(matches!(&gs[4], Geometry::MultiLineString(p) if p[1].len() == 3));
        assert!(matches!(&gs[5], Geometry::MultiPolygon(p) if p.len() == 2 && p[1].len() == 2));
        assert_eq!(doc.meta.root, RootKind::Geometry);
    }

    #[test]
    fn extra_ordinates_are_dropped_with_a_warning() {
        let (doc, diags) = read_str(r#"{"type":"LineString","coordinates":[[1,2,3,4],[5,6,7,8]]}"#);
        assert_eq!(codes(&diags), ["geojson/extra-ordinates"]);
        let Some(Geometry::LineString(c)) = &doc.features[0].geometry else {
            panic!()
        };
        assert_eq!(c.get(1), Some(Position::with_z(5.0, 6.0, 7.0)));
    }

    #[test]
    fn a_bad_geometry_costs_only_that_geometry() {
        let (doc, diags) = read_str(
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","geometry":{"type":"Point","coordinates":["1","2"]},"properties":{"title":"a"}},
              {"type":"Feature","geometry":{"type":"LineString","coordinates":[[1],[2,3]]},"properties":null},
              {"type":"Feature","geometry":{"type":"Point","coordinates":[[1,2]]},"properties":{}},
              {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{}}
            ]}"#,
        );
        assert_eq!(doc.features.len(), 4);
        assert_eq!(doc.features[0].title.as_deref(), Some("a"));
        assert!(doc.features[..3].iter().all(|f| f.geometry.is_none()));
        assert!(doc.features[3].geometry.is_some());
        // Said as `check` says it: the value at fault, in a plain sentence.
        assert_eq!(
            codes(&diags),
            [
                "geojson/bad-position",
                "geojson/position-too-short",
                "geojson/bad-position"
            ]
        );
        assert!(diags.iter().all(|d| !d.message.contains("invalid type")));
    }

    #[test]
    fn the_code_comes_from_where_the_error_is_raised_not_its_text() {
        let code = |text: &str| {
            let mut diags = Vec::new();
            let origin = Origin {
                offset: 0,
                line: 1,
                column: 1,
            };
            let read = read_geometry(text.as_bytes(), origin, &mut diags).expect("no syntax error");
            assert!(read.is_none());
            diags.iter().map(|d| d.code).collect::<Vec<_>>()
        };
        assert_eq!(
            code(r#"{"type":"LineString","coordinates":[[1],[2,3]]}"#),
            [Code::GeojsonPositionTooShort]
        );
        assert_eq!(
            code(
                r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":5}]}"#
            ),
            [Code::GeojsonEmptyPoint]
        );
        // The words alone, in a value the file chose, decide nothing.
        assert_eq!(
            code(r#"{"type":"Point has no coordinates","coordinates":[1,2]}"#),
            [Code::GeojsonInvalidGeometry]
        );
        assert_eq!(
            code(r#"{"type":"Point","coordinates":"fewer than two numbers"}"#),
            [Code::GeojsonInvalidGeometry]
        );
    }
}
