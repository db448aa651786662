//! Nothing lost: for every map file in testdata/, every feature of the input is in the
//! output of `convert`, or in a diagnostic that says it was skipped and where.

use std::collections::HashSet;
use std::fs;

use geonorm::{Code, Format};

mod common;

/// The map files every test here reads.
const MAP_FILES: [&str; 3] = ["kml", "gpx", "geojson"];

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
                // A PhotoOverlay placed at a Point is a feature too.
                for overlay in outside.split("<PhotoOverlay").skip(1) {
                    let body = overlay.split("</PhotoOverlay>").next().unwrap_or("");
                    if !body.starts_with(" targetId") && body.contains("<Point") {
                        n += 1;
                    }
                }
            }
            // A bare geometry as the whole file is one feature.
            if n == 0 && text.contains("<coordinates") && !text.contains("Overlay") {
                n = 1;
            }
            Some(n)
        }
        Format::Gpx => {
            let tags = |t: &str| {
                text.matches(&format!("<{t}>")).count()
                    + text.matches(&format!("<{t} ")).count()
                    + text.matches(&format!("<{t}/>")).count()
            };
            Some(tags("wpt") + tags("rte") + tags("trk"))
        }
        Format::Kmz => None,
    }
}

#[test]
fn every_input_feature_is_in_the_output_or_a_diagnostic() {
    let files = common::testdata_files(&MAP_FILES, 350);
    let mut checked = 0;
    for p in files {
        let bytes = fs::read(&p).expect("read");
        let Some(format) = Format::detect(&bytes, Some(&p)) else {
            continue;
        };
        let Some(expected) = source_count(format, &bytes) else {
            continue;
        };
        let Ok((doc, diags)) = geonorm::read(&bytes[..], &geonorm::ReadOptions::format(format))
            .map(geonorm::Parsed::into_parts)
        else {
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

/// Every string and number a GeoJSON text holds.
fn output_values(json: &[u8]) -> (HashSet<String>, HashSet<u64>, String) {
    let v: serde_json::Value = serde_json::from_slice(json).expect("output is JSON");
    let (mut strings, mut numbers) = (HashSet::new(), HashSet::new());
    let mut stack = vec![&v];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::String(s) => {
                strings.insert(s.clone());
            }
            serde_json::Value::Number(n) => {
                if let Some(f) = n.as_f64() {
                    numbers.insert(f.to_bits());
                }
            }
            serde_json::Value::Array(a) => stack.extend(a),
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    strings.insert(k.clone());
                    stack.push(v);
                }
            }
            _ => {}
        }
    }
    let all = strings.iter().cloned().collect::<Vec<_>>().join("\u{0}");
    (strings, numbers, all)
}

/// Elements that carry data for people inside a feature, with their text: what the
/// nothing-lost rule covers. Geometry, style and view elements are interpreted rather
/// than carried (and checked by other tests); containers have no text of their own.
fn carried_texts(format: Format, bytes: &[u8]) -> Vec<(Vec<String>, String, usize)> {
    use quick_xml::events::Event;
    let feature_roots: &[&str] = match format {
        Format::Kml => &["Placemark"],
        _ => &["wpt", "rte", "trk"],
    };
    let interpreted: &[&str] = match format {
        Format::Kml => &[
            "coordinates",
            "coord",
            "Style",
            "StyleMap",
            "styleUrl",
            "visibility",
            "open",
            "altitudeMode",
            "extrude",
            "tessellate",
            "drawOrder",
            "LookAt",
            "Camera",
            "Region",
            "Model",
            "gx:altitudeMode",
            "altitudeModeGroup",
            "Link",
            "Icon",
            "when",
            "begin",
            "end",
            "key",
            "value",
        ],
        _ => &["extensions"],
    };
    let mut xml = quick_xml::Reader::from_reader(bytes);
    xml.config_mut().expand_empty_elements = true;
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut out = Vec::new();
    loop {
        let at = xml.buffer_position() as usize;
        buf.clear();
        let Ok(event) = xml.read_event_into(&mut buf) else {
            return out;
        };
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.name().local_name().as_ref()).into_owned();
                path.push(name);
                text.clear();
            }
            Event::Text(t) => {
                if let Ok(s) = t.unescape() {
                    text.push_str(&s);
                }
            }
            Event::CData(c) => text.push_str(&String::from_utf8_lossy(&c)),
            Event::End(_) => {
                let t = text.trim().replace("\r\n", "\n").replace('\r', "\n");
                let inside = path.iter().any(|p| feature_roots.contains(&p.as_str()));
                let skip = path.iter().any(|p| interpreted.contains(&p.as_str()));
                if inside && !skip && !t.is_empty() {
                    // The element and its ancestors inside the feature: a diagnostic
                    // that names any of them covers the text.
                    let from = path
                        .iter()
                        .rposition(|p| feature_roots.contains(&p.as_str()))
                        .map_or(0, |i| i + 1);
                    out.push((path[from..].to_vec(), t.clone(), at));
                }
                path.pop();
                text.clear();
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}

/// The text of every data element of every feature is in the output, or a diagnostic
/// names the element.
#[test]
fn every_text_of_a_feature_is_in_the_output_or_a_diagnostic() {
    let files = common::testdata_files(&MAP_FILES, 350);
    let mut silent = Vec::new();
    let mut checked = 0;
    for p in files {
        let bytes = fs::read(&p).expect("read");
        let Some(format @ (Format::Kml | Format::Gpx)) = Format::detect(&bytes, Some(&p)) else {
            continue;
        };
        let Ok((doc, diags)) = geonorm::read(&bytes[..], &geonorm::ReadOptions::format(format))
            .map(geonorm::Parsed::into_parts)
        else {
            continue;
        };
        let mut out = Vec::new();
        geonorm::geojson::write(&doc, &mut out, &Default::default()).expect("writes");
        let (strings, numbers, all) = output_values(&out);
        for (names, text, _) in carried_texts(format, &bytes) {
            let name = names.last().cloned().unwrap_or_default();
            let found = strings.contains(&text)
                || text.parse::<f64>().is_ok_and(|f| {
                    numbers.contains(&f.to_bits())
                        || (f == 0.0 && numbers.contains(&0f64.to_bits()))
                })
                // Part of a longer text: markup inside a description, say, which the
                // independent reader here sees as elements of their own.
                || all.contains(&text)
                || diags
                    .iter()
                    .any(|d| names.iter().any(|n| d.message.contains(n.as_str())));
            if !found {
                silent.push(format!("{}: <{name}> {text:?}", p.display()));
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} texts");
    assert!(
        silent.is_empty(),
        "{} texts lost without a word:\n{}",
        silent.len(),
        silent.join("\n")
    );
}
