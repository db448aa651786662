//! The KML writer (`kml/write.rs`): what a Placemark is written with.

use serde_json::json;

use geonorm::{Document, Feature, Geometry, Position, Style, Time};

/// `Writer::placemark`: "replace && with ||" (each of the five tests of an empty
/// feature) and "replace += with -= / *=" (the count). KML wants an empty Placemark to
/// have an id, so a feature with nothing (no id, geometry, name, description, time,
/// style or property) is written with one, numbered; a feature with any one of those
/// is not given one.
#[test]
fn only_an_empty_feature_is_given_an_id_and_each_its_own() {
    let mut doc = Document::default();
    let empty = Feature::default;
    let mut with_properties = empty();
    with_properties.properties.insert("k".into(), json!("v"));
    doc.features = vec![
        empty(),
        Feature {
            geometry: Some(Geometry::Point(Position::new(1.0, 2.0))),
            ..empty()
        },
        Feature {
            title: Some("A".into()),
            ..empty()
        },
        Feature {
            description: Some("D".into()),
            ..empty()
        },
        Feature {
            time: Some(Time::Instant("2020-01-01T00:00:00Z".into())),
            ..empty()
        },
        Feature {
            style: Style {
                stroke: Some("#ff0000".into()),
                ..Style::default()
            },
            ..empty()
        },
        with_properties,
        empty(),
    ];
    let mut out = Vec::new();
    geonorm::kml::write(&doc, &mut out, &Default::default()).expect("writes");
    let text = String::from_utf8(out).expect("UTF-8");
    let opened: Vec<&str> = text
        .match_indices("<Placemark")
        .map(|(i, _)| {
            let rest = &text[i..];
            &rest[..rest.find('>').unwrap_or(rest.len()) + 1]
        })
        .collect();
    assert_eq!(
        opened,
        [
            r#"<Placemark id="geonorm-empty-1">"#,
            "<Placemark>",
            "<Placemark>",
            "<Placemark>",
            "<Placemark>",
            "<Placemark>",
            "<Placemark>",
            r#"<Placemark id="geonorm-empty-2">"#,
        ],
        "{text}"
    );
}

/// `Writer::placemark` (first run: "delete match arm Some(Value::String(s))", "replace
/// match guard key == \"visibility\" with true"), now `element_text`'s arms. A
/// Placemark's own text elements (`address`, `phoneNumber`, `Snippet`) and a boolean
/// `visibility` are written as those elements and read back as they were; the same keys
/// with a value of another type (a string `visibility` among them) travel as
/// ExtendedData and come back with their type.
#[test]
fn placemark_elements_and_their_keys_of_other_types_round_trip() {
    let props = |pairs: serde_json::Value| {
        let mut f = Feature {
            geometry: Some(Geometry::Point(Position::new(1.0, 2.0))),
            ..Feature::default()
        };
        if let serde_json::Value::Object(m) = pairs {
            f.properties.extend(m);
        }
        f
    };
    let doc = Document {
        features: vec![
            props(
                json!({"visibility": false, "address": "1 Main St", "phoneNumber": "+1 555", "Snippet": "short"}),
            ),
            props(json!({"address": true, "phoneNumber": 5, "Snippet": false})),
            // A string `visibility` is no KML boolean: `<visibility>no` would read back
            // as visible, so it goes with the data, as written.
            props(json!({"visibility": "no"})),
            props(json!({"visibility": true})),
            props(json!({"visibility": "1"})),
        ],
        ..Document::default()
    };
    let mut out = Vec::new();
    geonorm::kml::write(&doc, &mut out, &Default::default()).expect("writes");
    let text = String::from_utf8(out).expect("UTF-8");
    assert!(text.contains("<address>1 Main St</address>"), "{text}");
    assert!(text.contains("<visibility>0</visibility>"), "{text}");
    // A boolean is the element, either way (`element_text`'s two arms).
    assert!(text.contains("<visibility>1</visibility>"), "{text}");
    assert_eq!(text.matches("<visibility>").count(), 2, "{text}");
    let (again, _) = geonorm::read(
        text.as_bytes(),
        &geonorm::ReadOptions::format(geonorm::Format::Kml),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("readable");
    assert_eq!(again.features.len(), 5);
    for (want, got) in doc.features.iter().zip(&again.features) {
        let sorted = |f: &Feature| -> std::collections::BTreeMap<String, serde_json::Value> {
            f.properties
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        assert_eq!(sorted(got), sorted(want), "{text}");
    }
}

/// `Writer::placemark`: "replace || with &&". Members of a GeoJSON feature outside its
/// properties, or of its geometry, have no KML form: either alone is reported lost.
#[test]
fn feature_or_geometry_members_outside_properties_are_reported_lost() {
    for (extra, geometry_extra) in [(true, false), (false, true), (true, true)] {
        let mut f = Feature {
            geometry: Some(Geometry::Point(Position::new(1.0, 2.0))),
            ..Feature::default()
        };
        if extra {
            f.extra.insert("foreign".into(), json!(1));
        }
        if geometry_extra {
            f.geometry_extra.insert("crs_note".into(), json!("x"));
        }
        let doc = Document {
            features: vec![f],
            ..Document::default()
        };
        let diags =
            geonorm::kml::write(&doc, &mut Vec::new(), &Default::default()).expect("writes");
        let lost: Vec<&str> = diags
            .iter()
            .filter(|d| d.code == geonorm::Code::WriteNotRepresentable)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(lost.len(), 1, "{extra} {geometry_extra}: {diags:?}");
        for (present, key) in [(extra, "foreign"), (geometry_extra, "crs_note")] {
            assert_eq!(lost[0].contains(key), present, "{lost:?}");
        }
    }
}

/// `has_full_times`: "replace && with ||". A line is written as a `gx:Track` only when
/// every vertex has a time; one with a vertex without is a LineString, its per-vertex
/// values reported lost.
#[test]
fn a_line_with_a_vertex_without_time_is_no_track() {
    let line = |times: [Option<&str>; 3]| {
        let mut c: geonorm::Coords = [(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]
            .into_iter()
            .map(|(x, y)| Position::new(x, y))
            .collect();
        let mut t = geonorm::TextColumn::default();
        for v in times {
            t.push(v);
        }
        let column = geonorm::Column {
            name: "times".into(),
            values: geonorm::ColumnValues::Texts(t),
        };
        assert!(c.set_column(column).is_ok());
        Document {
            features: vec![Feature {
                geometry: Some(Geometry::LineString(c)),
                ..Feature::default()
            }],
            ..Document::default()
        }
    };
    let write = |doc: &Document| {
        let mut out = Vec::new();
        let diags = geonorm::kml::write(doc, &mut out, &Default::default()).expect("writes");
        let lost: Vec<String> = diags.into_iter().map(|d| d.message).collect();
        (String::from_utf8(out).expect("UTF-8"), lost)
    };
    let t = Some("2020-01-01T00:00:00Z");
    let (text, lost) = write(&line([t, t, t]));
    assert!(
        text.contains("<gx:Track>") && !text.contains("<LineString>"),
        "{text}"
    );
    assert_eq!(lost, Vec::<String>::new());

    let (text, lost) = write(&line([t, None, t]));
    assert!(
        !text.contains("<gx:Track>") && text.contains("<LineString>"),
        "{text}"
    );
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(lost[0].contains("per-vertex `times`"), "{lost:?}");
}
