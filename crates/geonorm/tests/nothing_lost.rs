//! Nothing lost: for every map file in testdata/, every element text and attribute
//! value of every feature (every property, for GeoJSON) is at that feature in the
//! GeoJSON that `convert` writes, or named by a diagnostic positioned at its element
//! (at its member, for GeoJSON). No loss is allowed; values held in another form are
//! listed, each with why.
//!
//! The source is read here with quick-xml (serde_json for GeoJSON), not with geonorm's
//! readers; features are matched one to one in order, each checked by its title.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use geonorm::{Code, Diagnostic, Format};
use serde_json::Value;

#[path = "nothing_lost/check.rs"]
mod check;
mod common;
#[path = "nothing_lost/round_trip.rs"]
mod round_trip;
#[path = "nothing_lost/source.rs"]
mod source;
#[path = "nothing_lost/tree.rs"]
mod tree;

use source::SrcFeature;

/// The map files: every extension a map in testdata/ has.
const MAP_FILES: [&str; 6] = ["kml", "kmz", "gpx", "geojson", "json", "xml"];

/// Files geonorm does not read, each with why; any other file that does not read fails.
const UNREADABLE: &[(&str, &str)] = &[
    (
        ".kmlWithFolders.json",
        "togeojson's expected `kmlWithFolders` trees: JSON of type `root`, no GeoJSON",
    ),
    (
        "-bad/bad-json.geojson",
        "GeoJSON broken on purpose: refused (tests/geojson_fixtures.rs)",
    ),
    (
        "-bad/bad-object-type.geojson",
        "GeoJSON broken on purpose: refused (tests/geojson_fixtures.rs)",
    ),
    (
        "-bad/featurecollection-obj.geojson",
        "GeoJSON broken on purpose: refused (tests/geojson_fixtures.rs)",
    ),
    (
        "-bad/featurecollection-type-case.geojson",
        "GeoJSON broken on purpose: refused (tests/geojson_fixtures.rs)",
    ),
    (
        "-bad/notype.geojson",
        "GeoJSON broken on purpose: refused (tests/geojson_fixtures.rs)",
    ),
    (
        "-bad/rootstring.geojson",
        "GeoJSON broken on purpose: refused (tests/geojson_fixtures.rs)",
    ),
    (
        "-bad/unknowntype.geojson",
        "GeoJSON broken on purpose: refused (tests/geojson_fixtures.rs)",
    ),
    (
        "fuzz-regressions/kmz-zip-extended-timestamp-",
        "broken zip archives the fuzzer found: refused, not read",
    ),
    (
        "gpx/georust/badcharacter.xml",
        "not well-formed XML on purpose",
    ),
    ("kml/ets-kml22/atom-feed.xml", "an Atom feed, no map"),
];

/// Values the output holds in another form than the source's text, by element path
/// (the end of the leaf's path), each with why it cannot be compared as text. Their
/// conversion is tested where it is made.
const CONVERTED: &[(&str, &str)] = &[
    // A reference, not data: resolved into the feature's style keys (tests/kml_files.rs).
    (
        "Placemark/styleUrl",
        "a shared style's address, resolved into style keys",
    ),
    (
        "SchemaData/@schemaUrl",
        "a Schema's address, used to type the values",
    ),
    // How Google Earth draws a geometry in 3D; a MapHub map draws it on the ground.
    ("Point/altitudeMode", "3D drawing hint"),
    ("LineString/altitudeMode", "3D drawing hint"),
    ("LinearRing/altitudeMode", "3D drawing hint"),
    ("Polygon/altitudeMode", "3D drawing hint"),
    ("Track/altitudeMode", "3D drawing hint"),
    ("MultiTrack/altitudeMode", "3D drawing hint"),
    ("Point/extrude", "3D drawing hint"),
    ("LineString/extrude", "3D drawing hint"),
    ("LinearRing/extrude", "3D drawing hint"),
    ("Polygon/extrude", "3D drawing hint"),
    (
        "LineString/tessellate",
        "3D drawing hint: follow the terrain",
    ),
    (
        "LinearRing/tessellate",
        "3D drawing hint: follow the terrain",
    ),
    ("Polygon/tessellate", "3D drawing hint: follow the terrain"),
    // A GeoJSON geometry has no id; the Placemark's id is the feature's.
    ("Point/@id", "id of a geometry"),
    ("LineString/@id", "id of a geometry"),
    ("LinearRing/@id", "id of a geometry"),
    ("Polygon/@id", "id of a geometry"),
    ("MultiGeometry/@id", "id of a geometry"),
    // Google Earth's sidebar and highlight state; a map shows the normal style.
    (
        "StyleMap/Pair/key",
        "which state (normal, highlight) a style is for",
    ),
    ("ListStyle/listItemType", "Google Earth's sidebar"),
    ("ListStyle/bgColor", "Google Earth's sidebar"),
    ("ListStyle/ItemIcon/state", "Google Earth's sidebar"),
    ("ListStyle/ItemIcon/href", "Google Earth's sidebar"),
    (
        "Snippet/@maxLines",
        "how many lines of the snippet Google Earth shows",
    ),
    ("BalloonStyle/bgColor", "Google Earth's popup colour"),
    ("BalloonStyle/textColor", "Google Earth's popup colour"),
];

/// What checking one file found.
#[derive(Default, Debug)]
struct Tally {
    leaves: usize,
    at_feature: usize,
    diagnosed: usize,
    converted: usize,
    lost: Vec<String>,
}

/// Every leaf of `src` (the source's features, `None` for an item that is skipped) at its
/// feature of `out`, or diagnosed. `elems` is the source tree (empty for GeoJSON).
fn losses(
    src: &[Option<SrcFeature>],
    elems: &[tree::Elem],
    diags: &[Diagnostic],
    out: &Value,
) -> Tally {
    let mut t = Tally::default();
    let outs = check::output_features(out);
    let starts: HashMap<usize, (String, usize)> = elems
        .iter()
        .map(|e| (e.start, (e.name.clone(), e.end)))
        .collect();
    let at_elem = |o: usize| starts.get(&o).cloned();
    let mut tallies = HashMap::new();
    // A feature geonorm skips says so at its own start.
    let skipped = |f: &SrcFeature| {
        diags.iter().any(|d| {
            d.span
                .is_some_and(|s| s.start == f.span.0 && s.end <= f.span.1 && f.span.1 > 0)
                && matches!(d.code, Code::GpxMissingLatLon)
        })
    };
    let kept: Vec<&SrcFeature> = src.iter().flatten().filter(|f| !skipped(f)).collect();
    let dropped_items = src.iter().filter(|f| f.is_none()).count();
    let said_items = diags
        .iter()
        .filter(|d| d.code == Code::GeojsonInvalidFeature && d.message.contains("skipped"))
        .count();
    if dropped_items != said_items {
        t.lost.push(format!(
            "{dropped_items} items are no Feature, {said_items} diagnostics say one was skipped"
        ));
    }
    if kept.len() != outs.len() {
        t.lost.push(format!(
            "{} features in the source, {} in the output",
            kept.len(),
            outs.len()
        ));
        return t;
    }
    for (n, (f, o)) in kept.iter().zip(&outs).enumerate() {
        let found = check::Found::new(o);
        if f.title.as_ref().is_some_and(|s| !s.is_empty()) && found.title() != f.title {
            t.lost.push(format!(
                "feature {n}: source title {:?}, output title {:?}: features out of order",
                f.title,
                found.title()
            ));
            continue;
        }
        for leaf in &f.leaves {
            t.leaves += 1;
            if found.has(leaf, diags) {
                t.at_feature += 1;
            } else if check::diagnosed(leaf, diags, &at_elem, &mut tallies) {
                t.diagnosed += 1;
            } else if CONVERTED
                .iter()
                .any(|(p, _)| leaf.path == *p || leaf.path.ends_with(&format!("/{p}")))
            {
                t.converted += 1;
            } else {
                t.lost.push(format!(
                    "feature {n}, {} {:?} (at {}, wanted as {:?})",
                    leaf.path, leaf.text, leaf.span.0, leaf.want
                ));
            }
        }
    }
    t
}

/// The source features of a file of `format` whose (main KML) text is `text`.
fn source_features(
    format: Format,
    text: &[u8],
) -> Result<(Vec<Option<SrcFeature>>, Vec<tree::Elem>), String> {
    match format {
        Format::GeoJson => {
            let v: Value = serde_json::from_slice(text).map_err(|e| e.to_string())?;
            Ok((source::geojson_features(&v, text), Vec::new()))
        }
        Format::Kml | Format::Kmz => {
            let elems = tree::parse(text)?;
            let f = source::kml_roots(&elems)
                .into_iter()
                .map(|r| Some(source::xml_feature(&elems, r, true)))
                .collect();
            Ok((f, elems))
        }
        Format::Gpx => {
            let elems = tree::parse(text)?;
            let f = source::gpx_roots(&elems)
                .into_iter()
                .map(|r| Some(source::xml_feature(&elems, r, false)))
                .collect();
            Ok((f, elems))
        }
    }
}

/// Reads `p` with geonorm and converts it to GeoJSON: the source text (a KMZ's main
/// KML), the diagnostics and the output; `Err` when geonorm does not read it.
fn convert(p: &Path) -> Result<(Format, Vec<u8>, Vec<Diagnostic>, Value), String> {
    let bytes = fs::read(p).map_err(|e| e.to_string())?;
    convert_bytes(bytes, p)
}

/// [`convert`] for the content `bytes` of a file named `p`.
fn convert_bytes(
    bytes: Vec<u8>,
    p: &Path,
) -> Result<(Format, Vec<u8>, Vec<Diagnostic>, Value), String> {
    let format = Format::detect(&bytes, Some(p)).ok_or("no format detected")?;
    let parsed = geonorm::read(&bytes[..], &geonorm::ReadOptions::format(format))
        .map_err(|e| e.to_string())?;
    // The KML entry the reader took as the document is the source text of a KMZ.
    let main = parsed.kmz.as_ref().map(|c| c.main.clone());
    let (doc, diags) = parsed.into_parts();
    let mut out = Vec::new();
    geonorm::geojson::write(&doc, &mut out, &Default::default()).map_err(|e| e.to_string())?;
    let out: Value = serde_json::from_slice(&out).map_err(|e| e.to_string())?;
    let text = match main {
        Some(main) if format == Format::Kmz => entry_bytes(&bytes, &main)?,
        _ => bytes,
    };
    Ok((format, text, diags, out))
}

/// The bytes of the archive's entry `name`.
fn entry_bytes(archive: &[u8], name: &str) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).map_err(|e| e.to_string())?;
    let mut entry = zip.by_name(name).map_err(|e| e.to_string())?;
    let mut text = Vec::new();
    entry.read_to_end(&mut text).map_err(|e| e.to_string())?;
    Ok(text)
}

fn check_file(p: &Path) -> Result<Tally, String> {
    let (format, text, diags, out) = convert(p)?;
    let (src, elems) = source_features(format, &text)?;
    Ok(losses(&src, &elems, &diags, &out))
}

/// The files checked and the leaves seen, at least: figures README.md states.
const MIN_FILES: usize = 432;
const MIN_LEAVES: usize = 96_600;

#[test]
fn every_value_of_every_feature_is_at_its_feature_or_diagnosed_there() {
    let files = common::testdata_files(&MAP_FILES, 489);
    let (mut checked, mut total) = (0, Tally::default());
    let mut failures = Vec::new();
    let mut unreadable_used = vec![0; UNREADABLE.len()];
    for p in &files {
        let name = p.to_string_lossy();
        let listed = UNREADABLE.iter().position(|(f, _)| name.contains(f));
        match (check_file(p), listed) {
            (Ok(t), None) => {
                checked += 1;
                total.leaves += t.leaves;
                total.at_feature += t.at_feature;
                total.diagnosed += t.diagnosed;
                total.converted += t.converted;
                failures.extend(t.lost.iter().map(|l| format!("{name}: {l}")));
            }
            (Ok(_), Some(_)) => failures.push(format!("{name}: listed as unreadable, but reads")),
            (Err(e), None) => failures.push(format!("{name}: does not read: {e}")),
            (Err(_), Some(u)) => unreadable_used[u] += 1,
        }
    }
    for (u, n) in UNREADABLE.iter().zip(&unreadable_used) {
        if *n == 0 {
            failures.push(format!("{u:?} matches no unreadable file"));
        }
    }
    eprintln!("{checked} files, {total:?}");
    assert!(
        failures.is_empty(),
        "{} losses:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= MIN_FILES, "only {checked} files checked");
    assert!(
        total.leaves >= MIN_LEAVES,
        "only {} values checked",
        total.leaves
    );
}

/// Every map file read, written as each format and read back: every title,
/// description, time and per-vertex value is read back, or named by the writer at its
/// feature ([`round_trip`]).
#[test]
fn every_value_survives_a_round_trip_through_each_format_or_is_named() {
    let files = common::testdata_files(&MAP_FILES, 489);
    let targets = [Format::GeoJson, Format::Kml, Format::Kmz, Format::Gpx];
    let (mut docs, mut seen) = (0, [0usize; 4]);
    let mut failures = Vec::new();
    for p in &files {
        let name = p.to_string_lossy();
        let Ok(bytes) = fs::read(p) else { continue };
        let Some(format) = Format::detect(&bytes, Some(p)) else {
            continue;
        };
        let Ok(parsed) = geonorm::read(&bytes[..], &geonorm::ReadOptions::format(format)) else {
            assert!(
                UNREADABLE.iter().any(|(f, _)| name.contains(f)),
                "{name}: does not read"
            );
            continue;
        };
        let doc = parsed.into_parts().0;
        docs += 1;
        for (n, target) in targets.into_iter().enumerate() {
            match round_trip::silent_losses(&doc, target) {
                Ok((values, lost)) => {
                    seen[n] += values;
                    failures.extend(lost.iter().map(|l| format!("{name} → {target}: {l}")));
                }
                Err(e) => failures.push(format!("{name} → {target}: {e}")),
            }
        }
    }
    eprintln!("{docs} documents; values per target (GeoJSON, KML, KMZ, GPX): {seen:?}");
    assert!(
        failures.is_empty(),
        "{} silent losses:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(docs >= MIN_FILES, "only {docs} documents");
    // Measured when this was written: 448 documents, 32,479 values each way (before
    // the KML reader kept a string array's text, 32 of them, "001" to "016" of
    // opencpn.gpx to KML and KMZ, came back as numbers).
    assert!(
        seen.iter().all(|&n| n >= 32_400),
        "too few values: {seen:?}"
    );
}

/// The checker of a real file, with one value taken out of its output: exactly that
/// value is reported lost.
fn lost_after(file: &str, edit: impl Fn(&mut Value)) -> Vec<String> {
    lost_after_in(convert(&common::testdata(file)).expect("reads"), edit)
}

/// [`lost_after`] for a file converted.
fn lost_after_in(
    (format, text, diags, mut out): (Format, Vec<u8>, Vec<Diagnostic>, Value),
    edit: impl Fn(&mut Value),
) -> Vec<String> {
    let (src, elems) = source_features(format, &text).expect("parses");
    let before = losses(&src, &elems, &diags, &out).lost;
    edit(&mut out);
    let mut after = losses(&src, &elems, &diags, &out).lost;
    after.retain(|l| !before.contains(l));
    after
}

#[test]
fn the_checker_sees_a_placemark_id_lost() {
    let lost = lost_after("kml/togeojson/multitrack.kml", |out| {
        let features = out["features"].as_array_mut().expect("features");
        let tour = features
            .iter_mut()
            .find(|f| f["id"] == "tour")
            .expect("the tour");
        tour["id"] = Value::Null;
    });
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(lost[0].contains("Placemark/@id \"tour\""), "{lost:?}");
}

/// A GPX extension value is found only at its key: the `pattern` of a track's GPX
/// style taken out of the output is lost, though a tallied diagnostic elsewhere names
/// another `<extensions>` (the metadata's) and the same value is at other tracks.
#[test]
fn the_checker_sees_a_gpx_extension_lost() {
    let lost = lost_after("gpx/togeojson/style.gpx", |out| {
        let props = out["features"][0]["properties"]
            .as_object_mut()
            .expect("properties");
        assert_eq!(props.remove("pattern"), Some(Value::from("Solid")));
    });
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(
        lost[0].starts_with("feature 0, trk/extensions/line/pattern \"Solid\""),
        "{lost:?}"
    );
}

/// Markup inside a description is part of its text: the whole text, markup and all,
/// must be in the output's description.
#[test]
fn the_checker_sees_a_description_with_markup_lost() {
    let lost = lost_after("kml/crafted/issue11.kml", |out| {
        let d = &mut out["features"][0]["properties"]["description"];
        let cut = d
            .as_str()
            .expect("a description")
            .replace("<b>bold</b>", "");
        *d = Value::from(cut);
    });
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(
        lost[0].starts_with("feature 0, Placemark/description \"Go <a href="),
        "{lost:?}"
    );
}

/// A GeoJSON property is excused only by a diagnostic inside its own member: one about
/// another member of the feature (a key written twice) excuses no other.
#[test]
fn the_checker_sees_a_property_lost_beside_a_diagnosed_one() {
    let text = br#"{"type":"FeatureCollection","features":[{"type":"Feature",
      "geometry":{"type":"Point","coordinates":[1,2]},
      "properties":{"a":1,"a":2,"note":"kept"}}]}"#;
    let converted = convert_bytes(text.to_vec(), Path::new("crafted.geojson")).expect("reads");
    assert!(
        converted
            .2
            .iter()
            .any(|d| d.code == Code::GeojsonDuplicateMember),
        "{:?}",
        converted.2
    );
    let lost = lost_after_in(converted, |out| {
        let props = out["features"][0]["properties"]
            .as_object_mut()
            .expect("properties");
        assert_eq!(props.remove("note"), Some(Value::from("kept")));
    });
    // Placed at its own member, from its key on.
    let at = text
        .windows(6)
        .position(|w| w == br#""note""#)
        .expect("the key");
    assert_eq!(
        lost,
        [format!(
            "feature 0, properties/note \"kept\" (at {at}, wanted as Anywhere)"
        )]
    );
}

#[test]
fn the_checker_sees_a_data_value_lost_or_nulled() {
    let file = "kml/togeojson/extended_data.kml";
    for null in [false, true] {
        let lost = lost_after(file, |out| {
            let props = out["features"][0]["properties"]
                .as_object_mut()
                .expect("properties");
            let key = props
                .keys()
                .find(|k| !["title", "description", "group"].contains(&k.as_str()))
                .cloned()
                .expect("a Data property");
            if null {
                props.insert(key, Value::Null);
            } else {
                props.remove(&key);
            }
        });
        // Removed: its name and value are lost; null: its value.
        assert_eq!(lost.len(), if null { 1 } else { 2 }, "{lost:?}");
        assert!(
            lost.iter().all(|l| l.contains("ExtendedData/Data")),
            "{lost:?}"
        );
        assert!(lost.iter().any(|l| l.contains("Data/value")), "{lost:?}");
    }
}
