//! Conversions to and from the `gpx` crate's types (feature `gpx`), for embedders who
//! already hold their tracks that way.
//!
//! Both directions go through GPX text, using geonorm's writer and reader on one side
//! and the `gpx` crate's on the other, so a conversion gives exactly what writing a
//! file and reading it back would: one mapping to keep right, not two.

use crate::{Document, Error, Format, Result};

fn gpx_error(e: gpx::errors::GpxError) -> Error {
    Error::NotFormat {
        format: Format::Gpx,
        message: e.to_string(),
    }
}

impl TryFrom<&Document> for gpx::Gpx {
    type Error = Error;

    /// Writes the document as GPX 1.1 and reads it with the `gpx` crate. What GPX
    /// cannot hold (polygons, groups) is dropped as `geonorm::gpx::write` reports it;
    /// call that to see the report.
    fn try_from(doc: &Document) -> Result<Self> {
        let mut text = Vec::new();
        super::write(doc, &mut text, &Default::default())?;
        gpx::read(&text[..]).map_err(gpx_error)
    }
}

impl TryFrom<&gpx::Gpx> for Document {
    type Error = Error;

    /// Writes the `gpx` crate's value as GPX and reads it with geonorm's reader.
    fn try_from(value: &gpx::Gpx) -> Result<Self> {
        let mut text = Vec::new();
        gpx::write(value, &mut text).map_err(gpx_error)?;
        crate::read(&text[..], &crate::ReadOptions::format(Format::Gpx)).map(|p| p.document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Geometry;

    #[test]
    fn converts_both_ways() {
        let text = br#"<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">
          <wpt lat="46.1" lon="7.1"><ele>2000</ele><name>Hut</name></wpt>
          <trk><name>Run</name><trkseg>
            <trkpt lat="46.02" lon="7.74"><ele>1608</ele><time>2024-07-14T06:30:00Z</time></trkpt>
            <trkpt lat="46.01" lon="7.73"><ele>1625</ele><time>2024-07-14T06:31:10Z</time></trkpt>
          </trkseg></trk></gpx>"#;
        let (doc, _) = crate::gpx::read(&text[..], &Default::default()).expect("reads");
        let g = gpx::Gpx::try_from(&doc).expect("to gpx");
        assert_eq!(g.waypoints.len(), 1);
        assert_eq!(g.waypoints[0].name.as_deref(), Some("Hut"));
        assert_eq!(g.tracks[0].segments[0].points.len(), 2);
        assert_eq!(g.tracks[0].segments[0].points[1].elevation, Some(1625.0));
        let back = Document::try_from(&g).expect("from gpx");
        assert_eq!(back.features.len(), 2);
        let Some(Geometry::LineString(line)) = &back.features[1].geometry else {
            panic!("track")
        };
        assert!(line.column("times").is_some());
    }
}
