//! Nothing lost: for every map file in testdata/, every feature of the input is in the
//! output of `convert`, or in a diagnostic that says it was skipped and where.

use std::fs;
use std::path::{Path, PathBuf};

use geonorm::{Code, Format};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| ["kml", "gpx", "geojson"].contains(&x.to_str().unwrap_or("")))
        {
            out.push(p);
        }
    }
}

/// Features in the source, counted without geonorm's readers.
fn source_count(format: Format, bytes: &[u8]) -> Option<usize> {
    let text = String::from_utf8_lossy(bytes);
    match format {
        Format::GeoJson => {
            let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
            match v.get("type")?.as_str()? {
                "FeatureCollection" => Some(v.get("features")?.as_array()?.len()),
                _ => Some(1),
            }
        }
        Format::Kml => {
            // Placemarks outside CDATA (descriptions may quote KML).
            let mut n = 0;
            for (i, part) in text.split("<![CDATA[").enumerate() {
                let outside = if i == 0 {
                    part
                } else {
                    part.split_once("]]>").map_or("", |(_, rest)| rest)
                };
                n += outside.matches("<Placemark").count()
                    + outside.matches("<kml:Placemark").count();
            }
            // A bare geometry as the whole file is one feature.
            if n == 0 && text.contains("<coordinates") && !text.contains("Overlay") {
                n = 1;
            }
            Some(n)
        }
        Format::Gpx => {
            let tags = |t: &str| {
                text.matches(&format!("<{t}>")).count() + text.matches(&format!("<{t} ")).count()
            };
            Some(tags("wpt") + tags("rte") + tags("trk"))
        }
        Format::Kmz => None,
    }
}

#[test]
fn every_input_feature_is_in_the_output_or_a_diagnostic() {
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata"),
        &mut files,
    );
    files.sort();
    let mut checked = 0;
    for p in files {
        let bytes = fs::read(&p).expect("read");
        let Some(format) = Format::detect(&bytes, Some(&p)) else {
            continue;
        };
        let Some(expected) = source_count(format, &bytes) else {
            continue;
        };
        let Ok((doc, diags)) = geonorm::read(format, &bytes[..]) else {
            continue;
        };
        // Skipped features say so: a GeoJSON item that is no feature, a waypoint without
        // coordinates.
        let skipped = diags
            .iter()
            .filter(|d| d.span.is_some())
            .filter(|d| {
                d.code == Code::GeojsonInvalidFeature && d.message.contains("skipped")
                    || d.code == Code::GpxMissingLatLon && d.message.starts_with("<wpt>")
            })
            .count();
        assert_eq!(
            doc.features.len() + skipped,
            expected,
            "{}: read",
            p.display()
        );
        let mut out = Vec::new();
        geonorm::geojson::write(&doc, &mut out, &Default::default()).expect("writes");
        let (back, _) = geonorm::geojson::read(&out[..]).expect("output reads");
        assert_eq!(
            back.features.len(),
            doc.features.len(),
            "{}: converted",
            p.display()
        );
        checked += 1;
    }
    assert!(checked > 200, "only {checked} files");
}
