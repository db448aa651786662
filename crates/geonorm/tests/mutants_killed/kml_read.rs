//! The KML reader (`kml/placemark.rs`): a Placemark's own fields, its times, typed
//! ExtendedData, ring closure and per-vertex values of tracks.

use serde_json::{json, Value};

use geonorm::{Code, ColumnValues, Geometry, Time};

use super::{kml, only, read_kml};

/// The reader's diagnostics for a KML body.
fn diagnostics(body: &str) -> Vec<(Code, String)> {
    let (_, diags) = geonorm::read(
        kml(body).as_bytes(),
        &geonorm::ReadOptions::format(geonorm::Format::Kml),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("readable");
    diags.into_iter().map(|d| (d.code, d.message)).collect()
}

/// `read`: "replace || with &&" in the TimeSpan arm. A TimeSpan with only a begin, or
/// only an end, is kept as a span open on the other side.
#[test]
fn a_time_span_open_on_one_side_is_kept() {
    for (inner, begin, end) in [
        ("<begin>2020-01-01</begin>", Some("2020-01-01"), None),
        ("<end>2021-02-03</end>", None, Some("2021-02-03")),
    ] {
        let doc = read_kml(&kml(&format!(
            "<Placemark><TimeSpan>{inner}</TimeSpan><Point><coordinates>1,2</coordinates></Point></Placemark>"
        )));
        assert_eq!(
            only(&doc).time,
            Some(Time::Span {
                begin: begin.map(String::from),
                end: end.map(String::from),
            })
        );
    }
}

/// `read`: "replace match guard node.name == \"PhotoOverlay\" with true / false",
/// "replace == with !=". A PhotoOverlay's `<Icon>` is its photo, shown in its
/// description; an `<Icon>` in a Placemark means nothing there and is said skipped.
#[test]
fn a_photo_overlay_s_icon_is_its_photo_and_a_placemark_s_icon_is_skipped() {
    let body = r#"<PhotoOverlay><name>P</name><description>View</description><Icon><href>photo.jpg</href></Icon><Point><coordinates>1,2</coordinates></Point></PhotoOverlay>"#;
    let doc = read_kml(&kml(body));
    assert_eq!(
        only(&doc).description.as_deref(),
        Some(r#"View<img src="photo.jpg">"#)
    );
    assert!(
        !diagnostics(body)
            .iter()
            .any(|(c, _)| *c == Code::KmlIgnoredElement),
        "{:?}",
        diagnostics(body)
    );

    let body = r#"<Placemark><name>A</name><Icon><href>photo.jpg</href></Icon><Point><coordinates>1,2</coordinates></Point></Placemark>"#;
    let doc = read_kml(&kml(body));
    assert_eq!(only(&doc).description, None);
    assert!(
        diagnostics(body).contains(&(Code::KmlIgnoredElement, "<Icon> skipped".into())),
        "{:?}",
        diagnostics(body)
    );
}

/// The outer ring of a one-polygon KML Placemark as read, and the reader's messages.
fn ring_read(coordinates: &str) -> (Vec<[f64; 3]>, Vec<(Code, String)>) {
    let body = format!(
        "<Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>{coordinates}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
    );
    let doc = read_kml(&kml(&body));
    let Some(Geometry::Polygon(rings)) = &only(&doc).geometry else {
        panic!("a polygon: {:?}", only(&doc).geometry);
    };
    let ring = rings[0]
        .iter()
        .map(|p| [p.x, p.y, p.z.unwrap_or(f64::NAN)])
        .collect();
    (ring, diagnostics(&body))
}

/// `closed`: "replace < with == / <=" (the length test) and "replace || with &&" (the
/// comparison). A ring open in longitude only, latitude only or altitude only is
/// closed by repeating its first position, and said; so is a ring of two positions; a
/// closed ring is left as it is.
#[test]
fn kml_closes_a_ring_open_in_any_coordinate_and_only_those() {
    let closes = |coordinates: &str, want: usize| {
        let (ring, diags) = ring_read(coordinates);
        assert_eq!(ring.len(), want, "{coordinates}: {ring:?}");
        assert_eq!(
            format!("{:?}", ring.first()),
            format!("{:?}", ring.last()),
            "{coordinates}"
        );
        let said = diags
            .iter()
            .filter(|(c, _)| *c == Code::KmlRingNotClosed)
            .count();
        assert_eq!(said, 1, "{coordinates}: {diags:?}");
    };
    closes("0,0,5 1,0,5 1,1,5 2,0,5", 5); // open in longitude only
    closes("0,0,5 1,0,5 1,1,5 0,2,5", 5); // open in latitude only
    closes("0,0,5 1,0,5 1,1,5 0,0,6", 5); // open in altitude only
    closes("0,0 1,1", 3); // two positions

    let (ring, diags) = ring_read("0,0,5 1,0,5 1,1,5 0,0,5");
    assert_eq!(ring.len(), 4);
    assert!(
        !diags.iter().any(|(c, _)| *c == Code::KmlRingNotClosed),
        "{diags:?}"
    );
}

/// `track_parts`: "replace += with *=" (the count of pauses). A track's pauses (empty
/// `gx:coord`s) cut it into pieces, and the one message about them says how many.
#[test]
fn a_track_s_pauses_are_counted() {
    let body = r#"<Placemark><gx:Track xmlns:gx="http://www.google.com/kml/ext/2.2"><gx:coord>1 2</gx:coord><gx:coord>2 3</gx:coord><gx:coord></gx:coord><gx:coord>3 4</gx:coord><gx:coord>4 5</gx:coord><gx:coord> </gx:coord><gx:coord>5 6</gx:coord><gx:coord>6 7</gx:coord></gx:Track></Placemark>"#;
    let doc = read_kml(&kml(body));
    let Some(Geometry::MultiLineString(parts)) = &only(&doc).geometry else {
        panic!("three pieces: {:?}", only(&doc).geometry);
    };
    assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [2, 2, 2]);
    let gaps: Vec<String> = diagnostics(body)
        .into_iter()
        .filter(|(c, _)| *c == Code::KmlTrackGap)
        .map(|(_, m)| m)
        .collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert!(gaps[0].ends_with(" (2 times)"), "{gaps:?}");
}

/// `column_values`: "delete !". A track's text per-vertex values are kept as written,
/// an empty one as no value.
#[test]
fn a_track_s_text_values_are_kept_and_an_empty_one_is_none() {
    let body = r##"<Placemark><gx:Track xmlns:gx="http://www.google.com/kml/ext/2.2"><gx:coord>1 2</gx:coord><gx:coord>2 3</gx:coord><gx:coord>3 4</gx:coord><ExtendedData><SchemaData schemaUrl="#s"><gx:SimpleArrayData name="note"><gx:value>start</gx:value><gx:value></gx:value><gx:value>end</gx:value></gx:SimpleArrayData><gx:SimpleArrayData name="hr"><gx:value>80</gx:value><gx:value></gx:value><gx:value>82.5</gx:value></gx:SimpleArrayData></SchemaData></ExtendedData></gx:Track></Placemark>"##;
    let doc = read_kml(&kml(body));
    let Some(Geometry::LineString(line)) = &only(&doc).geometry else {
        panic!("a line: {:?}", only(&doc).geometry);
    };
    let note = line.column("note").map(|c| &c.values);
    let Some(ColumnValues::Texts(note)) = note else {
        panic!("text values: {note:?}");
    };
    let note: Vec<Option<&str>> = note.iter().collect();
    assert_eq!(note, [Some("start"), None, Some("end")]);
    let hr = line.column("hr").map(|c| &c.values);
    let Some(ColumnValues::Numbers(hr)) = hr else {
        panic!("numbers: {hr:?}");
    };
    let hr: Vec<Option<Value>> = hr.iter().map(|n| n.clone().map(Value::Number)).collect();
    assert_eq!(hr, [Some(json!(80)), None, Some(json!(82.5))]);
}
