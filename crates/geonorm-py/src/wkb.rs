//! Geometries as ISO WKB (little-endian), the GeoArrow `geoarrow.wkb` encoding.
//!
//! Written here rather than through a WKB crate: the model's geometries are not
//! geo-traits types, and adapting them would take more code than the writer, which is
//! a byte layout (ISO 19125 / OGC 06-103r4) and nothing else.
//!
//! A geometry with an altitude anywhere is written with Z throughout (type codes plus
//! 1000); a position without one gets NaN there, as GEOS and GDAL write a missing Z.

use arrow_schema::ArrowError;
use geonorm::{Coords, Geometry, Position};

/// ISO WKB geometry type codes (2D; Z adds 1000).
const POINT: u32 = 1;
const LINESTRING: u32 = 2;
const POLYGON: u32 = 3;
const MULTIPOINT: u32 = 4;
const MULTILINESTRING: u32 = 5;
const MULTIPOLYGON: u32 = 6;
const COLLECTION: u32 = 7;

/// Appends `g` as WKB to `out`.
pub fn write(g: &Geometry, out: &mut Vec<u8>) -> Result<(), ArrowError> {
    Writer { out, z: has_z(g) }.geometry(g)
}

/// True when any position of `g` has an altitude.
fn has_z(g: &Geometry) -> bool {
    match g {
        Geometry::Point(p) => p.z.is_some(),
        Geometry::GeometryCollection(gs) => gs.iter().any(has_z),
        other => {
            let mut z = false;
            other.for_each_coords(&mut |c| z |= c.has_z());
            z
        }
    }
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
    z: bool,
}

impl Writer<'_> {
    /// A count (of positions, rings, parts), which WKB holds in 32 bits.
    fn count(&mut self, n: usize) -> Result<(), ArrowError> {
        let n = u32::try_from(n).map_err(|_| {
            ArrowError::ComputeError(format!("{n} parts or positions are too many for WKB"))
        })?;
        self.out.extend_from_slice(&n.to_le_bytes());
        Ok(())
    }

    /// Byte order (1: little-endian) and type code.
    fn header(&mut self, code: u32) {
        self.out.push(1);
        let code = if self.z { code + 1000 } else { code };
        self.out.extend_from_slice(&code.to_le_bytes());
    }

    fn position(&mut self, p: Position) {
        self.out.extend_from_slice(&p.x.to_le_bytes());
        self.out.extend_from_slice(&p.y.to_le_bytes());
        if self.z {
            self.out
                .extend_from_slice(&p.z.unwrap_or(f64::NAN).to_le_bytes());
        }
    }

    fn coords(&mut self, c: &Coords) -> Result<(), ArrowError> {
        self.count(c.len())?;
        if self.z {
            for p in c.iter() {
                self.position(p);
            }
        } else {
            // The common 2D case straight from the flat buffer.
            for [x, y] in c.xy() {
                self.out.extend_from_slice(&x.to_le_bytes());
                self.out.extend_from_slice(&y.to_le_bytes());
            }
        }
        Ok(())
    }

    fn polygon(&mut self, rings: &[Coords]) -> Result<(), ArrowError> {
        self.header(POLYGON);
        self.count(rings.len())?;
        rings.iter().try_for_each(|r| self.coords(r))
    }

    fn geometry(&mut self, g: &Geometry) -> Result<(), ArrowError> {
        match g {
            Geometry::Point(p) => {
                self.header(POINT);
                self.position(*p);
            }
            Geometry::LineString(c) => {
                self.header(LINESTRING);
                self.coords(c)?;
            }
            Geometry::Polygon(rings) => self.polygon(rings)?,
            Geometry::MultiPoint(c) => {
                // Each point of a MultiPoint is a whole Point geometry in WKB.
                self.header(MULTIPOINT);
                self.count(c.len())?;
                for p in c.iter() {
                    self.header(POINT);
                    self.position(p);
                }
            }
            Geometry::MultiLineString(lines) => {
                self.header(MULTILINESTRING);
                self.count(lines.len())?;
                for l in lines {
                    self.header(LINESTRING);
                    self.coords(l)?;
                }
            }
            Geometry::MultiPolygon(polys) => {
                self.header(MULTIPOLYGON);
                self.count(polys.len())?;
                for p in polys {
                    self.polygon(p)?;
                }
            }
            Geometry::GeometryCollection(gs) => {
                self.header(COLLECTION);
                self.count(gs.len())?;
                for g in gs {
                    self.geometry(g)?;
                }
            }
        }
        Ok(())
    }
}
