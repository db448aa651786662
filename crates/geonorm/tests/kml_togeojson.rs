//! KML against togeojson's expected output for its own fixtures (testdata/kml/togeojson,
//! BSD-2-Clause). Agreement means: the same features, with the same geometry (as a set
//! of parts with equal coordinates), title, description and folder path. Deliberate
//! differences are listed in testdata/CONFORMANCE.md and here, and must stay exactly
//! those.

use std::fs;

use geonorm::{Code, Coords, Document, Geometry};
use serde_json::Value;

mod common;
use common::testdata;

/// Fixtures where geonorm differs from togeojson on purpose (see CONFORMANCE.md): the
/// element togeojson turns into a feature, which geonorm reports as not representable.
const DEVIATIONS: [(&str, &str); 3] = [
    ("ground_overlay.kml", "GroundOverlay"),
    ("ground_overlay_quad.kml", "GroundOverlay"),
    ("networklink.kml", "NetworkLink"),
];

type Part = (char, Vec<Vec<[f64; 2]>>);

fn xy(c: &Coords) -> Vec<[f64; 2]> {
    c.xy().to_vec()
}

fn model_parts(g: Option<&Geometry>, out: &mut Vec<Part>) {
    match g {
        None => {}
        Some(Geometry::Point(p)) => out.push(('P', vec![vec![[p.x, p.y]]])),
        Some(Geometry::MultiPoint(c)) => out.extend(c.xy().iter().map(|p| ('P', vec![vec![*p]]))),
        Some(Geometry::LineString(c)) => out.push(('L', vec![xy(c)])),
        Some(Geometry::MultiLineString(ls)) => out.extend(ls.iter().map(|c| ('L', vec![xy(c)]))),
        Some(Geometry::Polygon(r)) => out.push(('A', r.iter().map(xy).collect())),
        Some(Geometry::MultiPolygon(ps)) => {
            out.extend(ps.iter().map(|r| ('A', r.iter().map(xy).collect())))
        }
        Some(Geometry::GeometryCollection(gs)) => gs.iter().for_each(|g| model_parts(Some(g), out)),
    }
}

fn pos(v: &Value) -> [f64; 2] {
    [
        v[0].as_f64().unwrap_or(f64::NAN),
        v[1].as_f64().unwrap_or(f64::NAN),
    ]
}

fn list(v: &Value) -> Vec<[f64; 2]> {
    v.as_array()
        .map(|a| a.iter().map(pos).collect())
        .unwrap_or_default()
}

fn json_parts(g: &Value, out: &mut Vec<Part>) {
    let c = &g["coordinates"];
    let arr = |v: &Value| v.as_array().cloned().unwrap_or_default();
    match g["type"].as_str() {
        Some("Point") => out.push(('P', vec![vec![pos(c)]])),
        Some("MultiPoint") => out.extend(arr(c).iter().map(|p| ('P', vec![vec![pos(p)]]))),
        Some("LineString") => out.push(('L', vec![list(c)])),
        Some("MultiLineString") => out.extend(arr(c).iter().map(|l| ('L', vec![list(l)]))),
        Some("Polygon") => out.push(('A', arr(c).iter().map(list).collect())),
        Some("MultiPolygon") => out.extend(
            arr(c)
                .iter()
                .map(|p| ('A', arr(p).iter().map(list).collect())),
        ),
        Some("GeometryCollection") => arr(&g["geometries"])
            .iter()
            .for_each(|g| json_parts(g, out)),
        _ => {}
    }
}

fn sorted(mut v: Vec<Part>) -> Vec<Part> {
    v.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    v
}

fn text(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Folder path of every feature of togeojson's `kmlWithFolders` tree, in document order.
fn folder_paths(node: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    for child in node["children"].as_array().into_iter().flatten() {
        if child["type"] == "folder" {
            // geonorm titles an unnamed folder (togeojson leaves it empty).
            let title = child["meta"]["name"]
                .as_str()
                .map(str::trim)
                .filter(|n| !n.is_empty());
            path.push(title.unwrap_or("Untitled folder").to_string());
            folder_paths(child, path, out);
            path.pop();
        } else {
            out.push(path.clone());
        }
    }
}

fn our_paths(doc: &Document) -> Vec<Vec<String>> {
    doc.features
        .iter()
        .map(|f| {
            f.group
                .and_then(|g| doc.group_path(g))
                .map(|p| {
                    p.split(geonorm::GROUP_PATH_SEPARATOR)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn togeojson_fixtures_agree_or_deviate_as_documented() {
    let mut agree = 0;
    let mut total = 0;
    let mut deviating = Vec::new();
    for path in common::files_in("kml/togeojson", &["kml"], 30) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let expected_path = testdata("kml/togeojson-expected").join(format!("{name}.geojson"));
        let expected: Value =
            serde_json::from_slice(&fs::read(&expected_path).expect("expected output"))
                .expect("json");
        total += 1;
        let (doc, diags) = geonorm::kml::read(&fs::read(&path).expect("fixture")[..])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let theirs = expected["features"].as_array().cloned().unwrap_or_default();

        if let Some((_, element)) = DEVIATIONS.iter().find(|(f, _)| *f == name) {
            // Every feature togeojson made that geonorm did not is a reported element.
            let reported = diags
                .iter()
                .filter(|d| d.code == Code::KmlNotRepresentable && d.message.starts_with(element))
                .count();
            assert_eq!(theirs.len() - doc.features.len(), reported, "{name}");
            assert_eq!(
                doc.meta.unrepresented.get(*element),
                Some(&reported),
                "{name}"
            );
            deviating.push(name);
            continue;
        }

        assert_eq!(doc.features.len(), theirs.len(), "{name}: feature count");
        for (i, (ours, theirs)) in doc.features.iter().zip(&theirs).enumerate() {
            let mut a = Vec::new();
            model_parts(ours.geometry.as_ref(), &mut a);
            let mut b = Vec::new();
            json_parts(&theirs["geometry"], &mut b);
            assert_eq!(sorted(a), sorted(b), "{name} #{i}: geometry");
            let props = &theirs["properties"];
            assert_eq!(
                text(ours.title.as_deref()),
                text(props["name"].as_str()),
                "{name} #{i}: title"
            );
            let desc = props["description"]["value"]
                .as_str()
                .or(props["description"].as_str());
            assert_eq!(
                text(ours.description.as_deref()),
                text(desc),
                "{name} #{i}: description"
            );
        }
        let tree_path =
            testdata("kml/togeojson-expected").join(format!("{name}.kmlWithFolders.json"));
        let tree: Value =
            serde_json::from_slice(&fs::read(&tree_path).expect("tree")).expect("json");
        let mut theirs_paths = Vec::new();
        folder_paths(&tree, &mut Vec::new(), &mut theirs_paths);
        assert_eq!(our_paths(&doc), theirs_paths, "{name}: folder paths");
        agree += 1;
    }
    assert_eq!(total, 35);
    assert_eq!(deviating.len(), DEVIATIONS.len());
    assert_eq!(agree, 32, "fixtures agreeing with togeojson");
}
