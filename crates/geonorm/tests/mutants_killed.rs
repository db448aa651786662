//! Mutants that the invariant and parity suites let live (benches/mutants.sh; the run
//! and each mutant are in docs/testing.md), killed here: each test pins one value a
//! reader or writer must keep, which a mutant of that code silently lost.

use serde_json::{json, Value};

use geonorm::{Code, Column, ColumnValues, Coords, Document, Feature, Geometry, Position, Style};

// The kills of the widened run, by area.
#[path = "mutants_killed/gpx.rs"]
mod gpx;
#[path = "mutants_killed/kml_read.rs"]
mod kml_read;
#[path = "mutants_killed/kml_write.rs"]
mod kml_write;

fn kml(body: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>{body}</Document></kml>"#
    )
}

fn read_kml(text: &str) -> Document {
    geonorm::read(
        text.as_bytes(),
        &geonorm::ReadOptions::format(geonorm::Format::Kml),
    )
    .expect("readable")
    .document
}

fn only(doc: &Document) -> &Feature {
    assert_eq!(doc.features.len(), 1, "one feature: {:?}", doc.features);
    &doc.features[0]
}

/// `kml/placemark.rs` `read`: "delete field id from struct Feature expression". A
/// Placemark's `id` is the feature's id, and survives a KML round trip.
#[test]
fn a_placemark_id_is_the_feature_id() {
    let doc = read_kml(&kml(
        r#"<Placemark id="p-7"><name>A</name><Point><coordinates>1,2</coordinates></Point></Placemark>"#,
    ));
    assert_eq!(only(&doc).id, Some(json!("p-7")));

    let mut out = Vec::new();
    geonorm::kml::write(&doc, &mut out, &Default::default()).expect("writes");
    let again = read_kml(std::str::from_utf8(&out).expect("UTF-8"));
    assert_eq!(only(&again).id, Some(json!("p-7")));
}

/// `kml/placemark.rs` `extended_data`: "replace match guard
/// child.text.trim().is_empty() with true". A `<Data>` with text but no `<value>`
/// (Data written by hand) keeps that text; only a Data with neither is a null.
#[test]
fn a_data_with_text_and_no_value_keeps_its_text() {
    let doc = read_kml(&kml(
        r#"<Placemark><ExtendedData><Data name="bare"> some text </Data><Data name="none"/><Data name="empty"><value></value></Data></ExtendedData><Point><coordinates>1,2</coordinates></Point></Placemark>"#,
    ));
    let p = &only(&doc).properties;
    assert_eq!(p.get("bare"), Some(&json!("some text")));
    assert_eq!(p.get("none"), Some(&Value::Null));
    assert_eq!(p.get("empty"), Some(&json!("")));
}

/// `kml/placemark.rs` `read`: "delete field span from struct Feature expression". A
/// feature is placed at its own Placemark, which every diagnostic about it points to.
#[test]
fn a_placemark_feature_is_placed_at_its_placemark() {
    let text = kml(
        r#"<Placemark><name>A</name><Point><coordinates>1,2</coordinates></Point></Placemark><Placemark><name>B</name><Point><coordinates>3,4</coordinates></Point></Placemark>"#,
    );
    let doc = read_kml(&text);
    let starts: Vec<usize> = text.match_indices("<Placemark>").map(|(i, _)| i).collect();
    let spans: Vec<(usize, &str)> = doc
        .features
        .iter()
        .map(|f| (f.span.start, &text[f.span.start..f.span.end]))
        .collect();
    assert_eq!(spans.len(), 2);
    for ((start, inside), want) in spans.into_iter().zip(starts) {
        assert_eq!(start, want);
        assert!(inside.starts_with("<Placemark>"), "{inside}");
    }
}

/// The first ring of a one-polygon document after `fix`, and how many rings `fix` said
/// it closed.
fn fixed_ring(ring: &[Position]) -> (Vec<Position>, usize) {
    let mut doc = Document::default();
    doc.features.push(Feature {
        geometry: Some(Geometry::Polygon(vec![ring.iter().copied().collect()])),
        ..Feature::default()
    });
    let fixes = geonorm::fix::fix(&mut doc);
    let closed = fixes
        .iter()
        .filter(|d| d.code == Code::FixClosedRing)
        .count();
    let Some(Geometry::Polygon(rings)) = &doc.features[0].geometry else {
        panic!("still a polygon: {:?}", doc.features[0].geometry);
    };
    (rings[0].iter().collect(), closed)
}

/// `fix.rs` `close`: every mutant of it (the length test, the last index, each `!=`
/// and `||` of the comparison). A ring that ends anywhere but its start — another
/// longitude, latitude or altitude — is closed by repeating its first position, and
/// said so; a closed ring, and one too short to be a ring, are left as they are.
/// (Counter-clockwise rings, so that no rewinding reorders them.)
#[test]
fn fix_closes_a_ring_open_in_any_coordinate_and_only_those() {
    let p = Position::new;
    let z = Position::with_z;
    let open: [Vec<Position>; 4] = [
        vec![p(0.0, 0.0), p(1.0, 0.0), p(1.0, 1.0)],
        vec![
            p(0.0, 0.0),
            p(1.0, 0.0),
            p(1.0, 1.0),
            p(0.0, 1.0),
            p(0.2, 0.0),
        ],
        vec![
            p(0.0, 0.0),
            p(1.0, 0.0),
            p(1.0, 1.0),
            p(0.0, 1.0),
            p(0.0, 0.2),
        ],
        vec![
            z(0.0, 0.0, 0.0),
            z(1.0, 0.0, 0.0),
            z(1.0, 1.0, 0.0),
            z(0.0, 0.0, 5.0),
        ],
    ];
    for ring in open {
        let (fixed, closed) = fixed_ring(&ring);
        let mut want = ring.clone();
        want.push(ring[0]);
        assert_eq!((fixed, closed), (want, 1), "{ring:?}");
    }
    let left: [Vec<Position>; 2] = [
        vec![p(0.0, 0.0), p(1.0, 0.0), p(1.0, 1.0), p(0.0, 0.0)],
        vec![p(0.0, 0.0), p(1.0, 1.0)],
    ];
    for ring in left {
        assert_eq!(fixed_ring(&ring), (ring.clone(), 0), "{ring:?}");
    }
}

/// `gpx/point.rs` `extensions`: "delete match arm Event::Eof". A GPX cut off inside a
/// point's `<extensions>` is an error that says so (without that arm the reader waits
/// for an end that never comes: cargo-mutants counts that as a timeout).
#[test]
fn a_gpx_cut_inside_extensions_is_an_error_that_says_so() {
    let gpx = r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg><trkpt lat="1" lon="2"><extensions><power>80</power>"#;
    let err = geonorm::read(
        gpx.as_bytes(),
        &geonorm::ReadOptions::format(geonorm::Format::Gpx),
    )
    .map(geonorm::Parsed::into_parts)
    .expect_err("a cut file is an error");
    assert!(
        err.to_string().contains("ends inside <extensions>"),
        "{err}"
    );
}

/// The KML writer's diagnostics for a one-feature document.
fn kml_written(f: Feature) -> (String, Vec<String>) {
    let mut doc = Document::default();
    doc.features.push(f);
    let mut out = Vec::new();
    let diags = geonorm::kml::write(&doc, &mut out, &Default::default()).expect("writes");
    let text = String::from_utf8(out).expect("UTF-8");
    (text, diags.into_iter().map(|d| d.message).collect())
}

/// `kml/write.rs` `Writer::polygon`: "delete !". A ring with per-vertex values is
/// reported as losing them (KML has no form for them); a ring without is not.
#[test]
fn kml_reports_per_vertex_values_lost_on_a_ring_and_only_then() {
    let ring: Coords = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]
        .into_iter()
        .map(|(x, y)| Position::new(x, y))
        .collect();
    let mut with_values = ring.clone();
    let hr = Column {
        name: "heart".into(),
        values: ColumnValues::Numbers(vec![Some(80.into()); 4]),
    };
    assert!(with_values.set_column(hr).is_ok());
    let polygon = |r: Coords| Feature {
        geometry: Some(Geometry::Polygon(vec![r])),
        ..Feature::default()
    };
    // Named by its column, as every loss is.
    let lost = "per-vertex `heart` on a polygon ring has no KML form; not written";
    assert_eq!(kml_written(polygon(ring)).1, Vec::<String>::new());
    assert_eq!(kml_written(polygon(with_values)).1, [lost]);
}

/// `kml/write.rs` `only_data_keys`: "delete field marker_symbol / marker_size". A style
/// of nothing but `marker-symbol` or `marker-size` (which KML has no style element
/// for) travels as ExtendedData alone: no empty `<Style>` is written for it.
#[test]
fn a_style_of_only_marker_symbol_or_size_is_data_not_a_style() {
    for (key, style) in [
        (
            "marker-symbol",
            Style {
                marker_symbol: Some("bus".into()),
                ..Style::default()
            },
        ),
        (
            "marker-size",
            Style {
                marker_size: Some("large".into()),
                ..Style::default()
            },
        ),
    ] {
        let (text, diags) = kml_written(Feature {
            geometry: Some(Geometry::Point(Position::new(1.0, 2.0))),
            style,
            ..Feature::default()
        });
        assert_eq!(diags, Vec::<String>::new());
        assert!(
            !text.contains("<Style") && !text.contains("<styleUrl"),
            "{text}"
        );
        assert!(text.contains(&format!("<Data name=\"{key}\">")), "{text}");
    }
}
