//! geonorm's GPX reader against the `gpx` crate's: on every fixture `gpx::read`
//! accepts, both agree on every point's position, elevation and time.
#![cfg(feature = "gpx")]

use std::fs;

use geonorm::{ColumnValues, Coords, Feature, Geometry};
use serde_json::Value;
use time::format_description::well_known::Iso8601;
use time::{OffsetDateTime, PrimitiveDateTime};

mod common;
use common::files_in;

/// (lon, lat, elevation, time) of one point.
type Pt = (f64, f64, Option<f64>, Option<OffsetDateTime>);

fn instant(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Iso8601::PARSING)
        .or_else(|_| {
            PrimitiveDateTime::parse(s, &Iso8601::PARSING).map(PrimitiveDateTime::assume_utc)
        })
        .ok()
}

/// Name, description, comment, source, symbol, type and hdop.
type Fields = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<f64>,
);

fn theirs(w: &gpx::Waypoint) -> Pt {
    let p = w.point();
    (p.x(), p.y(), w.elevation, w.time.map(OffsetDateTime::from))
}

fn line_points(c: &Coords) -> Vec<Pt> {
    let times = match c.column("times").map(|col| &col.values) {
        Some(ColumnValues::Texts(t)) => (0..c.len()).map(|i| t.get(i).and_then(instant)).collect(),
        _ => vec![None; c.len()],
    };
    c.iter()
        .zip(times)
        .map(|(p, t)| (p.x, p.y, p.z, t))
        .collect()
}

fn ours(f: &Feature) -> Vec<Pt> {
    let time = match &f.time {
        Some(geonorm::Time::Instant(t)) => instant(t),
        _ => None,
    };
    match &f.geometry {
        Some(Geometry::Point(p)) => vec![(p.x, p.y, p.z, time)],
        Some(Geometry::LineString(c)) => line_points(c),
        Some(Geometry::MultiLineString(ls)) => ls.iter().flat_map(line_points).collect(),
        _ => Vec::new(),
    }
}

fn kind(f: &Feature) -> &str {
    f.properties
        .get("_gpxType")
        .and_then(Value::as_str)
        .unwrap_or("wpt")
}

#[test]
fn both_readers_agree_on_points_elevations_and_times() {
    let mut compared = 0;
    let mut refused = Vec::new();
    for (dir, min) in [
        ("gpx/togeojson", 20),
        ("gpx/georust", 10),
        ("gpx/gpxpy", 25),
        ("gpx/openlayers", 1),
        ("gpx/gpsbabel", 3),
    ] {
        for p in files_in(dir, &["gpx"], min) {
            let bytes = fs::read(&p).expect("read");
            let Ok(reference) = gpx::read(&bytes[..]) else {
                refused.push(
                    p.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
                continue;
            };
            let (doc, _) = geonorm::read(
                &bytes[..],
                &geonorm::ReadOptions::format(geonorm::Format::Gpx),
            )
            .map(geonorm::Parsed::into_parts)
            .expect("geonorm reads what gpx reads");
            let of_kind = |k: &str| -> Vec<Vec<Pt>> {
                doc.features
                    .iter()
                    .filter(|f| kind(f) == k)
                    .map(ours)
                    .collect()
            };
            let wpts: Vec<Vec<Pt>> = reference
                .waypoints
                .iter()
                .map(|w| vec![theirs(w)])
                .collect();
            assert_eq!(of_kind("wpt"), wpts, "{}: waypoints", p.display());
            let rtes: Vec<Vec<Pt>> = reference
                .routes
                .iter()
                .map(|r| r.points.iter().map(theirs).collect())
                .collect();
            assert_eq!(of_kind("rte"), rtes, "{}: routes", p.display());
            let trks: Vec<Vec<Pt>> = reference
                .tracks
                .iter()
                .map(|t| {
                    // geonorm drops a one-point segment beside longer ones, with a
                    // warning (see CONFORMANCE.md).
                    let has_line = t.segments.iter().any(|s| s.points.len() > 1);
                    t.segments
                        .iter()
                        .filter(|s| !has_line || s.points.len() > 1)
                        .flat_map(|s| s.points.iter().map(theirs))
                        .collect()
                })
                .collect();
            assert_eq!(of_kind("trk"), trks, "{}: tracks", p.display());
            // The fields the crate reads that geonorm keeps: name, description, and a
            // waypoint's comment, source, symbol, type and hdop.
            let text = |f: &Feature, k: &str| {
                f.properties
                    .get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let our_fields = |k: &str| -> Vec<Fields> {
                doc.features
                    .iter()
                    .filter(|f| kind(f) == k)
                    .map(|f| {
                        let wpt = k == "wpt";
                        (
                            f.title.clone(),
                            f.description.clone(),
                            wpt.then(|| text(f, "cmt")).flatten(),
                            wpt.then(|| text(f, "src")).flatten(),
                            wpt.then(|| text(f, "sym")).flatten(),
                            wpt.then(|| text(f, "type")).flatten(),
                            f.properties.get("hdop").and_then(Value::as_f64),
                        )
                    })
                    .collect()
            };
            let wpt_fields: Vec<Fields> = reference
                .waypoints
                .iter()
                .map(|w| {
                    (
                        w.name.clone(),
                        w.description.clone(),
                        w.comment.clone(),
                        w.source.clone(),
                        w.symbol.clone(),
                        w.type_.clone(),
                        w.hdop,
                    )
                })
                .collect();
            assert_eq!(
                our_fields("wpt"),
                wpt_fields,
                "{}: waypoint fields",
                p.display()
            );
            let line = |name: &Option<String>, desc: &Option<String>| -> Fields {
                (name.clone(), desc.clone(), None, None, None, None, None)
            };
            let rte_fields: Vec<Fields> = reference
                .routes
                .iter()
                .map(|r| line(&r.name, &r.description))
                .collect();
            assert_eq!(
                our_fields("rte"),
                rte_fields,
                "{}: route fields",
                p.display()
            );
            let trk_fields: Vec<Fields> = reference
                .tracks
                .iter()
                .map(|t| line(&t.name, &t.description))
                .collect();
            assert_eq!(
                our_fields("trk"),
                trk_fields,
                "{}: track fields",
                p.display()
            );
            compared += 1;
        }
    }
    eprintln!(
        "compared {compared} files; the gpx crate refused {}: {refused:?}",
        refused.len()
    );
    assert_eq!(compared, 59, "files compared");
    // The files the gpx crate refuses (geonorm reads them all).
    assert_eq!(
        refused,
        [
            "bad.gpx",
            "blue_hills.gpx",
            "osm.gpx",
            "zero_elevation.gpx",
            "gpx1.0_with_all_fields.gpx",
            "gpx1.1_with_all_fields.gpx",
            "track_with_speed.gpx",
            "unicode_with_bom.gpx",
        ]
    );
}
