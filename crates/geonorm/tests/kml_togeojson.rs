//! KML against togeojson's expected output for its own fixtures (testdata/kml/togeojson,
//! BSD-2-Clause). geonorm's GeoJSON output is compared with togeojson's feature by
//! feature: geometry (every coordinate, altitude included, as a set of parts), `id`,
//! folder path, and every property either side writes — name, description, times
//! (`timestamp`, `timespan`, `coordinateProperties.times`), ExtendedData values and
//! style keys (through [`STYLE_KEYS`]). Each difference found is classified; the
//! classes and the fixtures each occurs in must be exactly [`ALLOWED`], the list
//! testdata/CONFORMANCE.md gives, so a new difference fails and so does a listed one
//! that disappears.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use geonorm::{Code, Document};
use serde_json::{Map, Value};

mod common;
use common::testdata;

/// Fixtures where togeojson makes a feature and geonorm reports the element as not
/// representable instead (CONFORMANCE.md's table).
const DEVIATIONS: [(&str, &str); 3] = [
    ("ground_overlay.kml", "GroundOverlay"),
    ("ground_overlay_quad.kml", "GroundOverlay"),
    ("networklink.kml", "NetworkLink"),
];

/// Fixtures whose expected output is not a verified togeojson 7.1.2 snapshot:
/// addresses.kml's is togeojson 7.1.3's, which the peer folder marks "NOT verified".
const UNVERIFIED: [&str; 1] = ["addresses.kml"];

/// togeojson's style key → geonorm's (MapHub's) key.
const STYLE_KEYS: [(&str, &str); 7] = [
    ("icon-color", "marker-color"),
    ("icon", "icon"),
    ("stroke", "stroke"),
    ("stroke-width", "stroke-width"),
    ("stroke-opacity", "stroke-opacity"),
    ("fill", "fill"),
    ("fill-opacity", "fill-opacity"),
];

/// togeojson keys with no MapHub key: geonorm does not keep them.
const NOT_KEPT: [&str; 7] = [
    "styleUrl",
    "icon-opacity",
    "icon-scale",
    "icon-offset",
    "icon-offset-units",
    "label-color",
    "label-opacity",
];

/// Every class of difference, with the fixtures it occurs in (CONFORMANCE.md).
const ALLOWED: &[(&str, &[&str])] = &[
    (
        "description not wrapped as {\"@type\": \"html\"}",
        &[
            "cdata.kml",
            "gxmultitrack.kml",
            "linear_ring.kml",
            "styles.kml",
        ],
    ),
    (
        "description: spaces around it kept",
        &["cdata.kml", "gxmultitrack.kml", "linear_ring.kml"],
    ),
    (
        "description: empty one kept as \"\"",
        &["multitrack.kml", "non_gx_multitrack.kml"],
    ),
    (
        "name: spaces around it trimmed",
        &["gxmultitrack.kml", "linear_ring.kml"],
    ),
    ("ExtendedData value: spaces trimmed", &["gxmultitrack.kml"]),
    (
        "ExtendedData value: empty one kept as \"\"",
        &["addresses.kml"],
    ),
    (
        "opacity rounded to two places",
        &[
            "gxmultitrack.kml",
            "multitrack.kml",
            "non_gx_multitrack.kml",
            "style_url.kml",
            "styles.kml",
        ],
    ),
    (
        "opacity 1 (the default) not written",
        &[
            "inline_style.kml",
            "inline_style_mini.kml",
            "schema.kml",
            "styles.kml",
        ],
    ),
    ("outline 0 as stroke-opacity 0", &["inline_style.kml"]),
    (
        "colour of 6 digits read as KML's bbggrr",
        &["literal_color.kml", "nogeomplacemark.kml", "noname.kml"],
    ),
    (
        "colour of 3 digits refused (kml/bad-color)",
        &["literal_color.kml", "nogeomplacemark.kml", "noname.kml"],
    ),
    (
        "styleUrl with spaces around the id resolved",
        &["linear_ring.kml"],
    ),
    (
        "`styleUrl` not kept",
        &[
            "gxmultitrack.kml",
            "linear_ring.kml",
            "multitrack.kml",
            "non_gx_multitrack.kml",
            "simpledata.kml",
            "style.kml",
            "style_url.kml",
            "styles.kml",
            "timespan.kml",
        ],
    ),
    ("`icon-opacity` not kept", &["style.kml"]),
    (
        "`icon-scale` not kept",
        &[
            "gxmultitrack.kml",
            "multitrack.kml",
            "non_gx_multitrack.kml",
            "style.kml",
        ],
    ),
    (
        "`icon-offset` not kept",
        &[
            "gxmultitrack.kml",
            "multitrack.kml",
            "non_gx_multitrack.kml",
            "styles.kml",
        ],
    ),
    (
        "`icon-offset-units` not kept",
        &[
            "gxmultitrack.kml",
            "multitrack.kml",
            "non_gx_multitrack.kml",
            "styles.kml",
        ],
    ),
    ("`label-color` not kept", &["style.kml"]),
    ("`label-opacity` not kept", &["style.kml"]),
];

type Part = (char, Vec<Vec<Value>>);

fn positions(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

/// A geometry as a set of parts with every coordinate (altitude included), so that a
/// MultiPoint and a GeometryCollection of the same points compare equal.
fn parts(g: &Value, out: &mut Vec<Part>) {
    let c = &g["coordinates"];
    let arr = |v: &Value| v.as_array().cloned().unwrap_or_default();
    match g["type"].as_str() {
        Some("Point") => out.push(('P', vec![vec![c.clone()]])),
        Some("MultiPoint") => out.extend(arr(c).into_iter().map(|p| ('P', vec![vec![p]]))),
        Some("LineString") => out.push(('L', vec![positions(c)])),
        Some("MultiLineString") => out.extend(arr(c).iter().map(|l| ('L', vec![positions(l)]))),
        Some("Polygon") => out.push(('A', arr(c).iter().map(positions).collect())),
        Some("MultiPolygon") => out.extend(
            arr(c)
                .iter()
                .map(|p| ('A', arr(p).iter().map(positions).collect())),
        ),
        Some("GeometryCollection") => arr(&g["geometries"]).iter().for_each(|g| parts(g, out)),
        _ => {}
    }
}

fn sorted_parts(g: &Value) -> Vec<Part> {
    let mut v = Vec::new();
    parts(g, &mut v);
    v.sort_by_key(|p| format!("{p:?}"));
    v
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// KML's `bbggrr` read as `#rrggbb`.
fn bgr_to_rgb(hex: &str) -> Option<String> {
    let h = hex.strip_prefix('#')?;
    (h.len() == 6).then(|| format!("#{}{}{}", &h[4..6], &h[2..4], &h[..2]))
}

/// The class of the difference between geonorm's `ours` and togeojson's `theirs` for
/// property `key` (`None`: no difference).
fn classify(key: &str, ours: Option<&Value>, theirs: Option<&Value>) -> Option<String> {
    if ours == theirs {
        return None;
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let num = |v: Option<&Value>| v.and_then(Value::as_f64);
    let class = match key {
        "name"
            if text(ours).map(|s| s.trim().to_string())
                == text(theirs).map(|s| s.trim().to_string()) =>
        {
            "name: spaces around it trimmed"
        }
        "description" => {
            let html = theirs.and_then(|t| t["value"].as_str());
            let t = html.map(str::to_string).or_else(|| text(theirs));
            if html.is_some() && text(ours) == t {
                "description not wrapped as {\"@type\": \"html\"}"
            } else if t.is_none() && text(ours).as_deref() == Some("") {
                "description: empty one kept as \"\""
            } else if let (Some(o), Some(t)) = (text(ours), t) {
                if o.trim() != t.trim() {
                    return Some(format!("description differs: {o:?} vs {t:?}"));
                }
                // Both: the unwrapped value, with spaces kept; counted as the former too.
                "description: spaces around it kept"
            } else {
                return Some(format!("description differs: {ours:?} vs {theirs:?}"));
            }
        }
        "stroke-opacity" | "fill-opacity" => match (num(ours), num(theirs)) {
            (Some(o), Some(t)) if o == round2(t) => "opacity rounded to two places",
            (None, Some(1.0)) => "opacity 1 (the default) not written",
            (Some(o), Some(_)) if o == 0.0 && key == "stroke-opacity" => {
                "outline 0 as stroke-opacity 0"
            }
            _ => return Some(format!("{key} differs: {ours:?} vs {theirs:?}")),
        },
        "stroke" | "fill" => match (text(ours), text(theirs)) {
            (Some(o), Some(t)) if bgr_to_rgb(&t).as_deref() == Some(o.as_str()) => {
                "colour of 6 digits read as KML's bbggrr"
            }
            (None, Some(t)) if t.len() == 4 => "colour of 3 digits refused (kml/bad-color)",
            _ => return Some(format!("{key} differs: {ours:?} vs {theirs:?}")),
        },
        _ if NOT_KEPT.contains(&key) && ours.is_none() => {
            return Some(format!("`{key}` not kept"));
        }
        _ => match (text(ours), text(theirs)) {
            (Some(o), Some(t)) if o == t.trim() => "ExtendedData value: spaces trimmed",
            (Some(o), None) if o.is_empty() => "ExtendedData value: empty one kept as \"\"",
            _ => return Some(format!("{key} differs: {ours:?} vs {theirs:?}")),
        },
    };
    Some(class.to_string())
}

/// togeojson's properties with its style keys renamed to geonorm's.
fn their_properties(p: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in p.as_object().into_iter().flatten() {
        let k = STYLE_KEYS
            .iter()
            .find(|(t, _)| t == k)
            .map_or(k.as_str(), |(_, ours)| ours);
        out.insert(k.to_string(), v.clone());
    }
    out
}

/// geonorm's properties, `title` under togeojson's `name`; `group` is the folder,
/// compared as a path below.
fn our_properties(p: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in p.as_object().into_iter().flatten() {
        match k.as_str() {
            "group" => {}
            "title" => {
                out.insert("name".into(), v.clone());
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

/// The classes of difference between two features.
fn differences(ours: &Value, theirs: &Value, out: &mut BTreeSet<String>) {
    if sorted_parts(&ours["geometry"]) != sorted_parts(&theirs["geometry"]) {
        out.insert(format!(
            "geometry differs: {} vs {}",
            ours["geometry"], theirs["geometry"]
        ));
    }
    if ours.get("id") != theirs.get("id") {
        out.insert(format!(
            "id differs: {:?} vs {:?}",
            ours.get("id"),
            theirs.get("id")
        ));
    }
    let (a, b) = (
        our_properties(&ours["properties"]),
        their_properties(&theirs["properties"]),
    );
    let resolved = b
        .get("styleUrl")
        .and_then(Value::as_str)
        .is_some_and(|u| u.trim() != u);
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for k in keys {
        // A styleUrl written `# id ` resolves in geonorm and not in togeojson: the
        // style's keys are geonorm's alone.
        if resolved && b.get(k).is_none() && k.starts_with("stroke") {
            out.insert("styleUrl with spaces around the id resolved".into());
            continue;
        }
        if let Some(class) = classify(k, a.get(k), b.get(k)) {
            if class == "description: spaces around it kept" {
                out.insert("description not wrapped as {\"@type\": \"html\"}".into());
            }
            out.insert(class);
        }
    }
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

fn json(path: &std::path::Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .expect("json")
}

#[test]
fn togeojson_fixtures_agree_or_deviate_as_documented() {
    let mut agree = Vec::new();
    let mut deviating = Vec::new();
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let files = common::files_in("kml/togeojson", &["kml"], 30);
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let expected = json(&testdata("kml/togeojson-expected").join(format!("{name}.geojson")));
        let (doc, diags) = geonorm::read(
            &fs::read(path).expect("fixture")[..],
            &geonorm::ReadOptions::format(geonorm::Format::Kml),
        )
        .map(geonorm::Parsed::into_parts)
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

        let mut out = Vec::new();
        geonorm::geojson::write(&doc, &mut out, &Default::default()).expect("geojson");
        let ours: Value = serde_json::from_slice(&out).expect("our json");
        let ours = ours["features"].as_array().cloned().unwrap_or_default();
        assert_eq!(ours.len(), theirs.len(), "{name}: feature count");
        let mut classes = BTreeSet::new();
        for (a, b) in ours.iter().zip(&theirs) {
            differences(a, b, &mut classes);
        }
        // Agreements CONFORMANCE.md names, with the diagnostic geonorm adds.
        let has = |code| diags.iter().any(|d| d.code == code);
        assert_eq!(
            has(Code::KmlRingNotClosed),
            name == "timespan.kml",
            "{name}"
        );
        assert_eq!(has(Code::KmlUnnamedFolder), name == "gxtrack.kml", "{name}");
        if classes.iter().any(|c| c.starts_with("colour of 3 digits")) {
            assert!(
                diags.iter().any(|d| d.code == Code::KmlBadColor),
                "{name}: reported"
            );
        }
        for c in classes {
            found.entry(c).or_default().insert(name.clone());
        }

        let tree =
            json(&testdata("kml/togeojson-expected").join(format!("{name}.kmlWithFolders.json")));
        let mut theirs_paths = Vec::new();
        folder_paths(&tree, &mut Vec::new(), &mut theirs_paths);
        assert_eq!(our_paths(&doc), theirs_paths, "{name}: folder paths");
        agree.push(name);
    }
    let allowed: BTreeMap<String, BTreeSet<String>> = ALLOWED
        .iter()
        .map(|(c, fs)| (c.to_string(), fs.iter().map(|f| f.to_string()).collect()))
        .collect();
    assert_eq!(found, allowed, "differences and where they occur");

    assert_eq!(files.len(), 35);
    assert_eq!(deviating.len(), 3);
    assert_eq!(agree.len(), 32, "fixtures agreeing with togeojson");
    let verified = agree
        .iter()
        .filter(|f| !UNVERIFIED.contains(&f.as_str()))
        .count();
    assert_eq!(
        verified, 31,
        "of them, against a verified togeojson snapshot"
    );
}

#[test]
fn the_networklink_row_of_conformance_is_what_togeojson_gives() {
    // CONFORMANCE.md: a Polygon from the link's Region, `@geometry-type: networklink`.
    let expected = json(&testdata("kml/togeojson-expected/networklink.kml.geojson"));
    let f = &expected["features"][0];
    assert_eq!(expected["features"].as_array().map(Vec::len), Some(1));
    assert_eq!(f["geometry"]["type"], "Polygon");
    assert_eq!(f["properties"]["@geometry-type"], "networklink");
    assert_eq!(f["properties"]["href"], "https://tiny.url");
}
