//! Property tests: random documents written to each format and read back keep what
//! that format can hold; what it cannot is reported.

use geonorm::{
    Column, ColumnValues, Coords, Document, Feature, Geometry, Group, GroupId, Position, Style,
    TextColumn, Time,
};
use proptest::prelude::*;
use serde_json::{Number, Value};

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

fn ring(z: bool) -> impl Strategy<Value = Coords> {
    (coord(), lat(), 1u32..100).prop_map(move |(x, y, r)| {
        let d = f64::from(r) / 1000.0;
        let pts = [(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)];
        pts.iter()
            .map(|&(a, b)| {
                if z {
                    Position::with_z(a, b, 10.0)
                } else {
                    Position::new(a, b)
                }
            })
            .collect()
    })
}

fn geometry() -> impl Strategy<Value = Option<Geometry>> {
    prop_oneof![
        Just(None),
        (coord(), lat(), any::<bool>()).prop_map(|(x, y, z)| Some(Geometry::Point(if z {
            Position::with_z(x, y, 5.0)
        } else {
            Position::new(x, y)
        }))),
        (any::<bool>(), any::<bool>())
            .prop_flat_map(|(z, t)| line(z, t))
            .prop_map(|c| Some(Geometry::LineString(c))),
        any::<bool>()
            .prop_flat_map(ring)
            .prop_map(|r| Some(Geometry::Polygon(vec![r]))),
        positions(2, 4, false).prop_map(|ps| Some(Geometry::MultiPoint(ps.into_iter().collect()))),
    ]
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
        let (back, _) = geonorm::geojson::read(&out[..]).expect("reads");
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
        let (back, diags) = geonorm::kml::read(&out[..]).expect("reads");
        prop_assert!(diags.iter().all(|d| d.severity < geonorm::Severity::Warning || d.code.as_str() == "kml/empty-folder"), "{:?}", diags);
        prop_assert_eq!(back.features.len(), doc.features.len());
        // KML writes each folder's placemarks together: compare folder by folder.
        let key = |d: &Document, f: &Feature| format!("{:?}|{:?}", path(d, f), essence(f));
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
        let (back, _) = geonorm::gpx::read(&out[..], &Default::default()).expect("reads");
        // Each polygon, feature without geometry and group is reported, by kind.
        let polygons = doc.features.iter().filter(|f| matches!(f.geometry, Some(Geometry::Polygon(_)))).count();
        let empty = doc.features.iter().filter(|f| f.geometry.is_none()).count();
        let said = |what: &str| lost.iter().filter(|d| d.message.contains(what)).count();
        prop_assert_eq!(said("written as a track"), polygons);
        prop_assert_eq!(said("has no geometry"), empty);
        prop_assert_eq!(said("GPX has no groups"), usize::from(!doc.groups.is_empty()));
        // Points and lines come back with their names, positions, times and heart rate.
        let kept = |d: &Document| -> Vec<String> {
            let mut v: Vec<String> = d.features.iter().flat_map(|f| match &f.geometry {
                Some(Geometry::Point(p)) => vec![format!("{:?} {:?} {:?}", f.title, p, f.time)],
                // A MultiPoint goes to GPX as one waypoint per point.
                Some(Geometry::MultiPoint(c)) => c.iter().map(|p| format!("{:?} {:?} {:?}", f.title, p, f.time)).collect(),
                Some(Geometry::LineString(c)) => vec![format!("{:?} {:?}", f.title, c)],
                // A polygon goes to GPX as a track along its outer ring.
                Some(Geometry::Polygon(r)) => r.first().map(|c| format!("{:?} {:?}", f.title, c)).into_iter().collect(),
                _ => Vec::new(),
            }).collect();
            v.sort();
            v
        };
        prop_assert_eq!(kept(&doc), kept(&back));
    }

    #[test]
    fn no_format_makes_a_random_document_worse(doc in document()) {
        use geonorm::validate::{check, CheckOptions, Profile};
        use geonorm::Format;
        let opts = CheckOptions { profile: Profile::Rfc7946, format: None, name: None };
        let errors = |bytes: &[u8], format: Format| -> std::collections::BTreeSet<&'static str> {
            let opts = CheckOptions { format: Some(format), ..opts.clone() };
            check(bytes, None, &opts).diagnostics.iter()
                .filter(|d| d.severity == geonorm::Severity::Error)
                .map(|d| d.code.as_str()).collect()
        };
        let mut direct = Vec::new();
        geonorm::write(&doc, Format::GeoJson, &mut direct, &Default::default()).expect("writes");
        let before = errors(&direct, Format::GeoJson);
        for target in [Format::Kml, Format::Gpx, Format::Kmz] {
            let mut out = Vec::new();
            geonorm::write(&doc, target, &mut out, &Default::default()).expect("writes");
            let new: Vec<_> = errors(&out, target).difference(&before).copied().collect();
            prop_assert!(new.is_empty(), "{}: {:?}", target, new);
            let (back, _) = geonorm::read(&out[..], &geonorm::ReadOptions::format(target)).map(geonorm::Parsed::into_parts).expect("reads back");
            let mut json = Vec::new();
            geonorm::write(&back, Format::GeoJson, &mut json, &Default::default()).expect("writes");
            let new: Vec<_> = errors(&json, Format::GeoJson).difference(&before).copied().collect();
            prop_assert!(new.is_empty(), "{} → geojson: {:?}", target, new);
        }
    }
}
