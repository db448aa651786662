//! Conversions to and from the `geojson` crate's types (feature `geojson`), for embedders
//! who already hold their data that way.
//!
//! Geometries convert directly. Features and collections go through the GeoJSON writer
//! and reader, so a conversion gives exactly what `geonorm convert` would: the MapHub
//! property mapping lives in one place.

use geojson::{FeatureCollection, Value as GjValue};

use crate::geojson::{read, write, WriteOptions};
use crate::{Coords, Document, Error, Feature, Format, Geometry, Position, Result};

fn position(p: Position) -> Vec<f64> {
    match p.z {
        Some(z) => vec![p.x, p.y, z],
        None => vec![p.x, p.y],
    }
}

fn positions(c: &Coords) -> Vec<Vec<f64>> {
    c.iter().map(position).collect()
}

impl From<&Geometry> for geojson::Geometry {
    fn from(g: &Geometry) -> Self {
        let value = match g {
            Geometry::Point(p) => GjValue::Point(position(*p)),
            Geometry::LineString(c) => GjValue::LineString(positions(c)),
            Geometry::MultiPoint(c) => GjValue::MultiPoint(positions(c)),
            Geometry::Polygon(rs) => GjValue::Polygon(rs.iter().map(positions).collect()),
            Geometry::MultiLineString(rs) => {
                GjValue::MultiLineString(rs.iter().map(positions).collect())
            }
            Geometry::MultiPolygon(ps) => GjValue::MultiPolygon(
                ps.iter()
                    .map(|p| p.iter().map(positions).collect())
                    .collect(),
            ),
            Geometry::GeometryCollection(gs) => {
                GjValue::GeometryCollection(gs.iter().map(Into::into).collect())
            }
        };
        geojson::Geometry::new(value)
    }
}

fn to_position(p: &[f64]) -> Result<Position> {
    match *p {
        [x, y] => Ok(Position::new(x, y)),
        [x, y, z, ..] => Ok(Position::with_z(x, y, z)),
        _ => Err(Error::NotFormat {
            format: Format::GeoJson,
            message: "a position has fewer than two numbers".into(),
        }),
    }
}

fn to_coords(ps: &[Vec<f64>]) -> Result<Coords> {
    ps.iter().map(|p| to_position(p)).collect()
}

impl TryFrom<&geojson::Geometry> for Geometry {
    type Error = Error;

    /// Converts a geometry; ordinates past the third are dropped.
    fn try_from(g: &geojson::Geometry) -> Result<Self> {
        Ok(match &g.value {
            GjValue::Point(p) => Geometry::Point(to_position(p)?),
            GjValue::LineString(ps) => Geometry::LineString(to_coords(ps)?),
            GjValue::MultiPoint(ps) => Geometry::MultiPoint(to_coords(ps)?),
            GjValue::Polygon(rs) => {
                Geometry::Polygon(rs.iter().map(|r| to_coords(r)).collect::<Result<_>>()?)
            }
            GjValue::MultiLineString(rs) => {
                Geometry::MultiLineString(rs.iter().map(|r| to_coords(r)).collect::<Result<_>>()?)
            }
            GjValue::MultiPolygon(ps) => Geometry::MultiPolygon(
                ps.iter()
                    .map(|p| p.iter().map(|r| to_coords(r)).collect::<Result<_>>())
                    .collect::<Result<_>>()?,
            ),
            GjValue::GeometryCollection(gs) => Geometry::GeometryCollection(
                gs.iter().map(Geometry::try_from).collect::<Result<_>>()?,
            ),
        })
    }
}

impl TryFrom<&Document> for FeatureCollection {
    type Error = Error;

    /// The collection `geonorm convert` writes, in MapHub's dialect (`groups` becomes a
    /// foreign member).
    fn try_from(doc: &Document) -> Result<Self> {
        let mut out = Vec::new();
        let opts = WriteOptions::default();
        write(doc, &mut out, &opts)?;
        serde_json::from_slice(&out).map_err(|e| Error::NotFormat {
            format: Format::GeoJson,
            message: e.to_string(),
        })
    }
}

impl TryFrom<&FeatureCollection> for Document {
    type Error = Error;

    /// Reads a collection as if from a file: MapHub properties and `groups` are lifted
    /// into the model. Diagnostics are dropped; use [`crate::read`] to see them.
    fn try_from(fc: &FeatureCollection) -> Result<Self> {
        let text = serde_json::to_vec(fc).map_err(|e| Error::Io(e.into()))?;
        read(&text[..]).map(|(doc, _)| doc)
    }
}

impl TryFrom<&geojson::Feature> for Feature {
    type Error = Error;

    /// Reads one feature as if from a file.
    fn try_from(f: &geojson::Feature) -> Result<Self> {
        let text = serde_json::to_vec(f).map_err(|e| Error::Io(e.into()))?;
        let (doc, _) = read(&text[..])?;
        doc.features
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFormat {
                format: Format::GeoJson,
                message: "the feature could not be read".into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometries_convert_both_ways() {
        let g = Geometry::Polygon(vec![[
            Position::with_z(0.0, 0.0, 1.0),
            Position::new(1.0, 0.0),
            Position::new(1.0, 1.0),
            Position::with_z(0.0, 0.0, 1.0),
        ]
        .into_iter()
        .collect()]);
        let gj = geojson::Geometry::from(&g);
        assert_eq!(Geometry::try_from(&gj).expect("converts"), g);
    }

    #[test]
    fn documents_keep_groups_through_the_geojson_crate() {
        let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,
            "properties":{"title":"x","group":1}}],"groups":[{"title":"G","id":1}]}"#;
        let (doc, _) = read(text.as_bytes()).expect("reads");
        let fc = FeatureCollection::try_from(&doc).expect("converts");
        assert!(fc
            .foreign_members
            .as_ref()
            .is_some_and(|m| m.contains_key("groups")));
        let back = Document::try_from(&fc).expect("converts back");
        assert_eq!(back.groups, doc.groups);
        assert_eq!(back.features[0].title.as_deref(), Some("x"));
    }
}
