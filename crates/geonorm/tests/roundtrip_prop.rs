//! Property tests: random documents, with every geometry kind (Point, MultiPoint,
//! LineString, MultiLineString, Polygon and MultiPolygon with holes, GeometryCollection
//! nested one level), written to each format and read back keep what that format can
//! hold; what it cannot is reported.

use geonorm::{
    Column, ColumnValues, Coords, Document, Feature, Geometry, Group, GroupId, Position, Style,
    TextColumn, Time,
};
use proptest::prelude::*;
use serde_json::{Number, Value};

mod common;

fn coord() -> impl Strategy<Value = f64> {
    // Six decimals at most, as real files have them.
    (-179_000_000i64..179_000_000).prop_map(|v| v as f64 / 1e6)
}

fn lat() -> impl Strategy<Value = f64> {
    (-89_000_000i64..89_000_000).prop_map(|v| v as f64 / 1e6)
}

fn positions(min: usize, max: usize, z: bool) -> impl Strategy<Value = Vec<Position>> {
    prop::collection::vec((coord(), lat(), 0u32..4000), min..=max).prop_map(move |v| {
        v.into_iter()
            .map(|(x, y, e)| {
                if z {
                    Position::with_z(x, y, f64::from(e))
                } else {
                    Position::new(x, y)
                }
            })
            .collect()
    })
}

fn line(z: bool, timed: bool) -> impl Strategy<Value = Coords> {
    (positions(2, 6, z), prop::collection::vec(60u32..190, 6)).prop_map(move |(ps, hr)| {
        let n = ps.len();
        let mut c: Coords = ps.into_iter().collect();
        if timed {
            let times: TextColumn = (0..n)
                .map(|i| format!("2024-07-14T06:{:02}:{:02}Z", i / 60, i % 60))
                .map(Some)
                .collect::<Vec<_>>()
                .iter()
                .map(|s| s.as_deref())
                .collect();
            let _ = c.set_column(Column {
                name: "times".into(),
                values: ColumnValues::Texts(times),
            });
            let heart = hr.iter().take(n).map(|&h| Some(Number::from(h))).collect();
            let _ = c.set_column(Column {
                name: "heart".into(),
                values: ColumnValues::Numbers(heart),
            });
        }
        c
    })
}

/// A polygon: a square outer ring (counterclockwise) with 0 to 2 square holes inside
/// it (clockwise), on whole micro-degrees.
fn polygon(z: bool) -> impl Strategy<Value = Vec<Coords>> {
    (coord(), lat(), 10i64..100, 0usize..=2).prop_map(move |(x, y, r, holes)| {
        let (x, y) = ((x * 1e6).round() as i64, (y * 1e6).round() as i64);
        let d = r * 1000;
        let at = |a: i64, b: i64| {
            let (a, b) = (a as f64 / 1e6, b as f64 / 1e6);
            if z {
                Position::with_z(a, b, 10.0)
            } else {
                Position::new(a, b)
            }
        };
        let square = |x: i64, y: i64, s: i64, ccw: bool| -> Coords {
            let mut c = [(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)];
            if !ccw {
                c.reverse();
            }
            c.iter().map(|&(a, b)| at(a, b)).collect()
        };
        let mut rings = vec![square(x, y, d, true)];
        for k in 0..holes as i64 {
            rings.push(square(x + d / 10 + k * d / 2, y + d / 10, d / 5, false));
        }
        rings
    })
}

/// One geometry that is not a collection; lines carry per-vertex times and heart
/// rate when `timed`.
fn simple(timed: bool) -> BoxedStrategy<Geometry> {
    prop_oneof![
        (coord(), lat(), any::<bool>()).prop_map(|(x, y, z)| Geometry::Point(if z {
            Position::with_z(x, y, 5.0)
        } else {
            Position::new(x, y)
        })),
        any::<bool>()
            .prop_flat_map(move |z| line(z, timed))
            .prop_map(Geometry::LineString),
        any::<bool>()
            .prop_flat_map(polygon)
            .prop_map(Geometry::Polygon),
        (positions(2, 4, false)).prop_map(|ps| Geometry::MultiPoint(ps.into_iter().collect())),
        any::<bool>()
            .prop_flat_map(move |z| prop::collection::vec(line(z, timed), 1..=3))
            .prop_map(Geometry::MultiLineString),
        any::<bool>()
            .prop_flat_map(|z| prop::collection::vec(polygon(z), 1..=3))
            .prop_map(Geometry::MultiPolygon),
    ]
    .boxed()
}

/// Every geometry kind, or none: collections hold any kind, another collection too
/// (one level deep). Lines in collections have no per-vertex values (GeoJSON's
/// `coordinateProperties` and KML's tracks are per feature line, not per member).
fn geometry() -> impl Strategy<Value = Option<Geometry>> {
    let member = prop_oneof![
        3 => simple(false),
        1 => prop::collection::vec(simple(false), 1..=3).prop_map(Geometry::GeometryCollection),
    ];
    let timed = any::<bool>().prop_flat_map(simple);
    prop_oneof![
        1 => Just(None),
        6 => timed.prop_map(Some),
        2 => prop::collection::vec(member, 1..=3)
            .prop_map(|gs| Some(Geometry::GeometryCollection(gs))),
    ]
}

/// The shapes of a geometry with every collection opened and every Multi* split into
/// its members, in order: what KML's MultiGeometry keeps (it reads nested ones flat, a
/// MultiGeometry of one kind as that Multi* kind).
fn flat(g: &Geometry) -> Vec<Geometry> {
    match g {
        Geometry::MultiPoint(c) => c.iter().map(Geometry::Point).collect(),
        Geometry::MultiLineString(ls) => ls.iter().cloned().map(Geometry::LineString).collect(),
        Geometry::MultiPolygon(ps) => ps.iter().cloned().map(Geometry::Polygon).collect(),
        Geometry::GeometryCollection(gs) => gs.iter().flat_map(flat).collect(),
        single => vec![single.clone()],
    }
}

/// Whether a geometry is (or holds) a collection or a Multi* kind.
fn is_multi(g: &Geometry) -> bool {
    !matches!(
        g,
        Geometry::Point(_) | Geometry::LineString(_) | Geometry::Polygon(_)
    )
}

/// Polygons and holes anywhere in a geometry.
fn polygons_and_holes(g: &Geometry) -> (usize, usize) {
    let holes = |r: &Vec<Coords>| r.len().saturating_sub(1);
    match g {
        Geometry::Polygon(r) => (1, holes(r)),
        Geometry::MultiPolygon(ps) => (ps.len(), ps.iter().map(holes).sum()),
        Geometry::GeometryCollection(gs) => gs
            .iter()
            .map(polygons_and_holes)
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d)),
        _ => (0, 0),
    }
}

fn text() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9 <&é]{0,10}[A-Za-z0-9]".prop_map(|s| s)
}

fn color() -> impl Strategy<Value = String> {
    "#[0-9a-f]{6}".prop_map(|s| s)
}

fn properties() -> impl Strategy<Value = Vec<(String, Value)>> {
    // One type per key, as a real dataset has: KML types its fields per document.
    (
        prop::option::of("[a-z]{1,8}"),
        prop::option::of(-100_000i64..100_000),
        prop::option::of(any::<bool>()),
        any::<bool>(),
    )
        .prop_map(|(s, n, b, null)| {
            let mut v = Vec::new();
            if let Some(s) = s {
                v.push(("s_name".to_string(), Value::from(s)));
            }
            if let Some(n) = n {
                v.push(("n_count".to_string(), Value::from(n)));
            }
            if let Some(b) = b {
                v.push(("b_open".to_string(), Value::from(b)));
            }
            // A null must come back as null from every format that keeps properties.
            if null {
                v.push(("z_none".to_string(), Value::Null));
            }
            v
        })
}

fn document() -> impl Strategy<Value = Document> {
    (prop::collection::vec((text(), any::<u8>()), 0..4))
        .prop_flat_map(|groups| {
            let groups: Vec<Group> = groups
                .iter()
                .enumerate()
                .map(|(i, (title, p))| Group {
                    id: GroupId::new(i as u64 + 1).expect("positive"),
                    title: format!("{title} {i}"),
                    parent: if i > 0 && p % 2 == 0 {
                        GroupId::new(u64::from(*p) % i as u64 + 1)
                    } else {
                        None
                    },
                    extra: Default::default(),
                })
                .collect();
            let n = groups.len();
            let feature = (
                geometry(),
                prop::option::of(text()),
                prop::option::of(text()),
                prop::option::of(0..n.max(1)),
                prop::option::of(color()),
                prop::option::of(1u32..10),
                prop::option::of(color()),
                prop::option::of(0u32..60),
                properties(),
            )
                .prop_map(
                    move |(
                        geometry,
                        title,
                        description,
                        group,
                        stroke,
                        width,
                        marker,
                        t,
                        props,
                    )| Feature {
                        geometry,
                        title,
                        description,
                        group: group
                            .filter(|_| n > 0)
                            .and_then(|g| GroupId::new(g as u64 + 1)),
                        style: Style {
                            stroke,
                            stroke_width: width.map(Number::from),
                            marker_color: marker,
                            ..Style::default()
                        },
                        time: t.map(|s| Time::Instant(format!("2024-05-01T10:00:{s:02}Z"))),
                        properties: props.into_iter().collect(),
                        ..Feature::default()
                    },
                );
            (Just(groups), prop::collection::vec(feature, 1..6))
        })
        .prop_map(|(groups, features)| Document {
            groups,
            features,
            ..Document::default()
        })
}

/// The parts of a feature every format compared here keeps.
fn essence(
    f: &Feature,
) -> (
    Option<Geometry>,
    Option<String>,
    Option<String>,
    Style,
    Option<Time>,
    Value,
) {
    (
        f.geometry.clone(),
        f.title.clone(),
        f.description.clone(),
        f.style.clone(),
        f.time.clone(),
        Value::Object(f.properties.clone()),
    )
}

fn path(doc: &Document, f: &Feature) -> Option<String> {
    f.group.and_then(|g| doc.group_path(g))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn geojson_keeps_everything(doc in document()) {
        let mut out = Vec::new();
        let lost = geonorm::geojson::write(&doc, &mut out, &Default::default()).expect("writes");
        prop_assert!(lost.is_empty(), "{:?}", lost);
        let (back, _) = geonorm::read(&out[..], &geonorm::ReadOptions::format(geonorm::Format::GeoJson)).map(geonorm::Parsed::into_parts).expect("reads");
        prop_assert_eq!(back.features.len(), doc.features.len());
        for (a, b) in doc.features.iter().zip(&back.features) {
            prop_assert_eq!(essence(a), essence(b));
            prop_assert_eq!(path(&doc, a), path(&back, b));
        }
        prop_assert_eq!(&back.groups, &doc.groups);
    }

    #[test]
    fn kml_keeps_what_kml_holds(doc in document()) {
        let mut out = Vec::new();
        geonorm::kml::write(&doc, &mut out, &Default::default()).expect("writes");
        let (back, diags) = geonorm::read(&out[..], &geonorm::ReadOptions::format(geonorm::Format::Kml)).map(geonorm::Parsed::into_parts).expect("reads");
        prop_assert!(diags.iter().all(|d| d.severity < geonorm::Severity::Warning || d.code.as_str() == "kml/empty-folder"), "{:?}", diags);
        prop_assert_eq!(back.features.len(), doc.features.len());
        // KML writes each folder's placemarks together: compare folder by folder. The
        // geometry is compared by its shapes in order: KML reads a MultiGeometry flat,
        // of one kind as that Multi* kind, and a gx:MultiTrack of one track as a line.
        let key = |d: &Document, f: &Feature| {
            let mut e = essence(f);
            let shapes = e.0.take().map(|g| flat(&g));
            format!("{:?}|{:?}|{:?}", path(d, f), shapes, e)
        };
        // Each feature's geometry comes back of a kind that holds those shapes.
        for f in &back.features {
            if let Some(g) = &f.geometry {
                prop_assert!(!matches!(g, Geometry::GeometryCollection(gs) if gs.iter().any(is_multi)), "{:?}", g);
            }
        }
        let mut a: Vec<String> = doc.features.iter().map(|f| key(&doc, f)).collect();
        let mut b: Vec<String> = back.features.iter().map(|f| key(&back, f)).collect();
        a.sort();
        b.sort();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn gpx_keeps_points_lines_times_and_heart_rate(doc in document()) {
        let mut out = Vec::new();
        let lost = geonorm::gpx::write(&doc, &mut out, &Default::default()).expect("writes");
        let (back, _) = geonorm::read(&out[..], &geonorm::ReadOptions::format(geonorm::Format::Gpx)).map(geonorm::Parsed::into_parts).expect("reads");
        // What GPX cannot hold is reported, by kind: each feature with polygons (and
        // the number of holes dropped), each MultiPoint, each collection, each feature
        // without geometry, the groups.
        let geoms = || doc.features.iter().filter_map(|f| f.geometry.as_ref());
        let with_polygons = geoms().filter(|g| polygons_and_holes(g).0 > 0).count();
        let holes: usize = geoms().map(|g| polygons_and_holes(g).1).sum();
        let kind = |k: fn(&Geometry) -> bool| geoms().filter(|g| k(g)).count();
        let said = |what: &str| lost.iter().filter(|d| d.message.contains(what)).count();
        prop_assert_eq!(said("GPX has no areas: "), with_polygons);
        let dropped: usize = lost.iter().filter_map(|d| {
            let i = d.message.find(" hole dropped").or_else(|| d.message.find(" holes dropped"))?;
            d.message[..i].rsplit(' ').next()?.parse::<usize>().ok()
        }).sum();
        prop_assert_eq!(dropped, holes);
        prop_assert_eq!(said("a MultiPoint is written as"), kind(|g| matches!(g, Geometry::MultiPoint(_))));
        prop_assert_eq!(said("a GeometryCollection is written as separate waypoints and tracks"), kind(|g| matches!(g, Geometry::GeometryCollection(_))));
        prop_assert_eq!(said("has no geometry"), doc.features.len() - geoms().count());
        prop_assert_eq!(said("GPX has no groups"), usize::from(!doc.groups.is_empty()));
        // Every point comes back as a waypoint with its name and time; every line,
        // line part and polygon's outer ring as a track segment with its name, positions,
        // times and heart rate.
        let kept = |d: &Document| -> Vec<String> {
            let mut v: Vec<String> = d.features.iter().flat_map(|f| {
                f.geometry.iter().flat_map(flat).flat_map(|g| match g {
                    Geometry::Point(p) => vec![format!("{:?} {:?} {:?}", f.title, p, f.time)],
                    Geometry::LineString(c) => vec![format!("{:?} {:?}", f.title, c)],
                    Geometry::Polygon(r) => r.first().map(|c| format!("{:?} {:?}", f.title, c)).into_iter().collect(),
                    _ => Vec::new(),
                }).collect::<Vec<_>>()
            }).collect();
            v.sort();
            v
        };
        prop_assert_eq!(kept(&doc), kept(&back));
    }

    /// As `never_worse.rs` judges a real file: every error by its code and every
    /// warning of broken geometry, counted per feature, no more in any format's output
    /// (and in that output read back and written as GeoJSON) than in the GeoJSON of
    /// the same document.
    #[test]
    fn no_format_makes_a_random_document_worse(doc in document()) {
        use common::worse::{checked, worse};
        use geonorm::Format;
        let mut direct = Vec::new();
        geonorm::write(&doc, Format::GeoJson, &mut direct, &Default::default()).expect("writes");
        let baseline = checked(&direct, Format::GeoJson);
        let input = (&direct[..], Format::GeoJson);
        for target in [Format::Kml, Format::Gpx, Format::Kmz] {
            let mut out = Vec::new();
            geonorm::write(&doc, target, &mut out, &Default::default()).expect("writes");
            let (more, _, _) = worse(input, (&out, target), &baseline);
            prop_assert!(more.is_empty(), "{}: {:?}", target, more);
            let (back, _) = geonorm::read(&out[..], &geonorm::ReadOptions::format(target)).map(geonorm::Parsed::into_parts).expect("reads back");
            let mut json = Vec::new();
            geonorm::write(&back, Format::GeoJson, &mut json, &Default::default()).expect("writes");
            let (more, _, _) = worse(input, (&json, Format::GeoJson), &baseline);
            prop_assert!(more.is_empty(), "{} → geojson: {:?}", target, more);
        }
    }
}
