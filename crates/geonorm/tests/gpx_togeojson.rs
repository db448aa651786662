//! GPX against togeojson's expected output for its own fixtures (testdata/gpx/togeojson,
//! BSD-2-Clause). geonorm's GeoJSON output is compared with togeojson's, tracks with
//! tracks, routes with routes, waypoints with waypoints: geometry (every position,
//! altitude included), every per-point column of `coordinateProperties` (`times`,
//! `heart`, `cads`, `atemps`, `powers`…), and every property either side writes (name,
//! description, time, links, extension values…). Each difference found is classified;
//! the classes and the fixtures each occurs in must be exactly [`ALLOWED`], the list
//! testdata/CONFORMANCE.md gives.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use geonorm::Code;
use serde_json::{Map, Value};

mod common;
use common::testdata;

/// Fixtures where geonorm differs from togeojson on purpose (see CONFORMANCE.md).
const DEVIATIONS: [&str; 1] = ["unique_trkpt.gpx"];

const EMPTY_LINE: &str = "a route or track without points kept, without geometry";
const FIRST_TIME: &str = "togeojson: a line's `time` is its first point's";
const FROM_POINTS: &str = "togeojson: a line gets its points' values (cmt, type, extensions)";
const CONTAINER: &str = "togeojson: an extension container's text is a value";
const ROUTE_TIMES: &str = "route point times kept";
const GAPPY_TIMES: &str = "times of a line where some points have none kept, with gaps";
const ROUTE_POINT_VALUES: &str = "route point extension values kept per point";
const POWERS: &str = "Garmin PowerExtension read as `powers`";
const NUMBER: &str = "a track's `number` kept";
const LINKS: &str = "a track's links kept";
const DISPLAY_COLOR: &str = "Garmin DisplayColor as `stroke`";
const TOPOGRAFIX: &str = "topografix:color (outside <extensions>) skipped, gpx/ignored-element";
const SRC: &str = "a waypoint's `src` kept";
const LINK_TYPE: &str = "togeojson: a waypoint's `type` is its link's";
const OVERLAY: &str = "gpx_overlay label values kept (point_lat, point_lon, label_text, text)";
const POINT_FIELDS: &str = "a route or track point's own fields kept per point (`cmts`, `syms`…)";
const LINE_STYLE: &str =
    "gpx_style line values beyond the stroke kept (pattern, linecap, dash_mark, dash_space, cased)";

/// The per-point columns of a point's own GPX fields (`<sym>` gives `syms`).
const POINT_FIELD_COLUMNS: [&str; 12] = [
    "names", "cmts", "descs", "srcs", "syms", "types", "fixes", "sats", "hdops", "vdops", "pdops",
    "magvars",
];

/// Every class of difference, with the fixtures it occurs in (CONFORMANCE.md).
const ALLOWED: &[(&str, &[&str])] = &[
    (
        EMPTY_LINE,
        &[
            "bad.gpx",
            "empty_trk.gpx",
            "garmin_extensions.gpx",
            "gdal.gpx",
            "trek_no_rtept.gpx",
        ],
    ),
    (
        FIRST_TIME,
        &[
            "Friday-Evening-Run.gpx",
            "apple_watch_route.gpx",
            "blue_hills.gpx",
            "empty_ele.gpx",
            "garmin_extensions.gpx",
            "gdal.gpx",
            "missing_hr.gpx",
            "multitrackgpx.gpx",
            "opencpn.gpx",
            "osm.gpx",
            "run.gpx",
            "run_gpxtpx.gpx",
            "strava.gpx",
            "zero_elevation.gpx",
        ],
    ),
    (
        FROM_POINTS,
        &[
            "Friday-Evening-Run.gpx",
            "blue_hills.gpx",
            "missing_hr.gpx",
            "opencpn.gpx",
            "run.gpx",
            "run_gpxtpx.gpx",
            "strava.gpx",
            "zero_elevation.gpx",
        ],
    ),
    (
        CONTAINER,
        &[
            "Friday-Evening-Run.gpx",
            "garmin_extensions.gpx",
            "missing_hr.gpx",
            "multitrackgpx.gpx",
            "opencpn.gpx",
            "run.gpx",
            "run_gpxtpx.gpx",
            "strava.gpx",
        ],
    ),
    (
        ROUTE_TIMES,
        &["garmin_extensions.gpx", "gdal.gpx", "opencpn.gpx"],
    ),
    (GAPPY_TIMES, &["garmin_extensions.gpx", "gdal.gpx"]),
    (POWERS, &["Friday-Evening-Run.gpx"]),
    (
        ROUTE_POINT_VALUES,
        &["garmin_extensions.gpx", "gdal.gpx", "opencpn.gpx"],
    ),
    (NUMBER, &["blue_hills.gpx", "zero_elevation.gpx"]),
    (LINKS, &["osm.gpx"]),
    (DISPLAY_COLOR, &["garmin_extensions.gpx"]),
    (TOPOGRAFIX, &["blue_hills.gpx", "zero_elevation.gpx"]),
    (SRC, &["garmin_extensions.gpx", "gdal.gpx"]),
    (LINK_TYPE, &["garmin_extensions.gpx", "gdal.gpx"]),
    (OVERLAY, &["style.gpx"]),
    (
        POINT_FIELDS,
        &[
            "blue_hills.gpx",
            "garmin_extensions.gpx",
            "gdal.gpx",
            "zero_elevation.gpx",
        ],
    ),
    (LINE_STYLE, &["style.gpx"]),
];

fn kind(f: &Value) -> &str {
    f["properties"]["_gpxType"].as_str().unwrap_or("wpt")
}

/// Properties under togeojson's names: geonorm's `title`, `description` and a
/// waypoint's `timestamp` are togeojson's `name`, `desc` and `time`. An empty
/// `coordinateProperties` (togeojson writes one for a line without per-point values)
/// holds nothing and is left out.
fn props(f: &Value, ours: bool) -> Map<String, Value> {
    let mut out = Map::new();
    let wpt = kind(f) == "wpt";
    for (k, v) in f["properties"].as_object().into_iter().flatten() {
        let k = match k.as_str() {
            "title" if ours => "name",
            "description" if ours => "desc",
            "timestamp" if ours && wpt => "time",
            "coordinateProperties" if v.as_object().is_some_and(Map::is_empty) => continue,
            k => k,
        };
        out.insert(k.to_string(), v.clone());
    }
    out
}

/// Every value of a column, across parts.
fn flat(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.iter().flat_map(flat).collect(),
        v => vec![v.clone()],
    }
}

/// Whether the source has an element named `key`'s local name (after the prefix)
/// inside a track or route point.
fn in_points(src: &str, key: &str) -> bool {
    let local = key.split_once('_').map_or(key, |(_, l)| l);
    let names = [format!("<{local}"), format!(":{local}")];
    let mut rest = src;
    while let Some(start) = [rest.find("<trkpt"), rest.find("<rtept")]
        .into_iter()
        .flatten()
        .min()
    {
        let point = &rest[start..];
        // A point written `<trkpt …/>` has no children.
        let open = point.find('>').unwrap_or(point.len());
        let end = if point[..open].ends_with('/') {
            open
        } else {
            [point.find("</trkpt>"), point.find("</rtept>")]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(point.len())
        };
        let body = &point[..end];
        if names.iter().any(|n| {
            body.match_indices(n.as_str())
                .any(|(i, _)| matches!(body.as_bytes().get(i + n.len()), Some(b'>' | b' ' | b'/')))
        }) {
            return true;
        }
        rest = &point[end.max(1)..];
    }
    false
}

/// The classes of difference between two features of the same kind.
fn differences(src: &str, a: &Value, b: &Value, out: &mut BTreeSet<String>) {
    if a["geometry"] != b["geometry"] {
        out.insert(format!(
            "geometry differs: {} vs {}",
            a["geometry"], b["geometry"]
        ));
    }
    let line = kind(a) != "wpt";
    let (pa, pb) = (props(a, true), props(b, false));
    let no_cp = Value::Object(Map::new());
    let (ca, cb) = (
        pa.get("coordinateProperties").unwrap_or(&no_cp),
        pb.get("coordinateProperties").unwrap_or(&no_cp),
    );
    let cols: BTreeSet<&String> = ca
        .as_object()
        .into_iter()
        .chain(cb.as_object())
        .flat_map(Map::keys)
        .collect();
    for c in cols {
        let (x, y) = (ca.get(c), cb.get(c));
        let class = match (c.as_str(), x, y) {
            _ if x == y => continue,
            ("times", Some(t), None) if flat(t).iter().any(Value::is_null) => GAPPY_TIMES,
            ("times", Some(_), None) if kind(a) == "rte" => ROUTE_TIMES,
            ("powers", Some(_), None) if src.contains("PowerInWatts") => POWERS,
            (_, Some(_), None) if kind(a) == "rte" => ROUTE_POINT_VALUES,
            (c, Some(_), None) if POINT_FIELD_COLUMNS.contains(&c) => POINT_FIELDS,
            _ => {
                out.insert(format!("coordinateProperties.{c} differs: {x:?} vs {y:?}"));
                continue;
            }
        };
        out.insert(class.into());
        if class == GAPPY_TIMES && kind(a) == "rte" {
            out.insert(ROUTE_TIMES.into());
        }
    }
    let keys: BTreeSet<&String> = pa.keys().chain(pb.keys()).collect();
    for k in keys {
        if k == "coordinateProperties" {
            continue;
        }
        let (x, y) = (pa.get(k), pb.get(k));
        let local = k.rsplit('_').next().unwrap_or(k);
        let first_time = ca.get("times").map(flat).and_then(|t| t.into_iter().next());
        let class = match (k.as_str(), x, y) {
            _ if x == y => continue,
            ("time", None, Some(t)) if line && first_time.as_ref() == Some(t) => FIRST_TIME,
            (_, None, Some(_)) if line && local.ends_with("Extension") => CONTAINER,
            ("number", Some(_), None) if line => NUMBER,
            ("links", Some(_), None) if line => LINKS,
            ("stroke", Some(_), None) if src.contains("DisplayColor>") => DISPLAY_COLOR,
            ("gpxx_DisplayColor", None, Some(_)) if pa.contains_key("stroke") => DISPLAY_COLOR,
            ("topografix_color", None, Some(_)) => TOPOGRAFIX,
            (_, _, Some(_)) if line && in_points(src, k) => FROM_POINTS,
            ("src", Some(_), None) if !line => SRC,
            ("type", None, Some(t))
                if !line && flat(&pa["links"]).iter().any(|l| l["type"] == *t) =>
            {
                LINK_TYPE
            }
            ("point_lat" | "point_lon" | "label_text" | "text", Some(_), None) if line => OVERLAY,
            ("pattern" | "linecap" | "dash_mark" | "dash_space" | "cased", Some(_), None)
                if line && src.contains("gpx_style") =>
            {
                LINE_STYLE
            }
            _ => {
                out.insert(format!("{} {k} differs: {x:?} vs {y:?}", kind(a)));
                continue;
            }
        };
        out.insert(class.into());
    }
}

#[test]
fn togeojson_fixtures_agree_or_deviate_as_documented() {
    let mut agree = 0;
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut single_point = BTreeSet::new();
    let files = common::files_in("gpx/togeojson", &["gpx"], 20);
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let bytes = fs::read(path).expect("fixture");
        let src = String::from_utf8_lossy(&bytes);
        let expected: Value = serde_json::from_slice(
            &fs::read(testdata("gpx/togeojson-expected").join(format!("{name}.geojson")))
                .expect("expected"),
        )
        .expect("json");
        let (doc, diags) = geonorm::read(
            &bytes[..],
            &geonorm::ReadOptions::format(geonorm::Format::Gpx),
        )
        .map(geonorm::Parsed::into_parts)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let has = |code| diags.iter().any(|d| d.code == code);
        if has(Code::GpxSinglePointTrack) {
            single_point.insert(name.clone());
        }
        // togeojson drops routes and tracks without points; geonorm keeps them, with
        // their names, and says so.
        let empty = doc.features.iter().filter(|f| f.geometry.is_none()).count();
        let reported = diags
            .iter()
            .filter(|d| d.code == Code::GpxEmptyTrack)
            .count();
        assert_eq!(
            empty, reported,
            "{name}: every feature without geometry is reported"
        );
        if empty > 0 {
            found
                .entry(EMPTY_LINE.into())
                .or_default()
                .insert(name.clone());
        }
        if DEVIATIONS.contains(&name.as_str()) {
            // A one-point track: togeojson has no feature, geonorm a Point.
            assert_eq!(expected["features"].as_array().map(Vec::len), Some(0));
            assert!(
                matches!(doc.features[..], [ref f] if matches!(f.geometry, Some(geonorm::Geometry::Point(_))))
            );
            continue;
        }
        let mut out = Vec::new();
        geonorm::geojson::write(&doc, &mut out, &Default::default()).expect("geojson");
        let ours: Value = serde_json::from_slice(&out).expect("our json");
        let ours: Vec<&Value> = ours["features"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| !f["geometry"].is_null())
            .collect();
        let theirs = expected["features"].as_array().cloned().unwrap_or_default();
        let mut classes = BTreeSet::new();
        for k in ["trk", "rte", "wpt"] {
            let a: Vec<&&Value> = ours.iter().filter(|f| kind(f) == k).collect();
            let b: Vec<&Value> = theirs.iter().filter(|f| kind(f) == k).collect();
            assert_eq!(a.len(), b.len(), "{name}: {k} count");
            for (x, y) in a.iter().zip(&b) {
                differences(&src, x, y, &mut classes);
            }
        }
        if classes.contains(TOPOGRAFIX) {
            assert!(
                has(Code::GpxIgnoredElement),
                "{name}: topografix:color reported"
            );
        }
        for c in classes {
            found.entry(c).or_default().insert(name.clone());
        }
        agree += 1;
    }
    let allowed: BTreeMap<String, BTreeSet<String>> = ALLOWED
        .iter()
        .map(|(c, fs)| (c.to_string(), fs.iter().map(|f| f.to_string()).collect()))
        .collect();
    assert_eq!(found, allowed, "differences and where they occur");
    // A one-point segment beside longer ones is dropped by both; geonorm says so.
    let expect: BTreeSet<String> = ["blue_hills.gpx", "north_core.gpx", "unique_trkpt.gpx"]
        .map(String::from)
        .into();
    assert_eq!(single_point, expect);
    assert_eq!(files.len(), 22);
    assert_eq!(agree, 21, "fixtures agreeing with togeojson");
}
