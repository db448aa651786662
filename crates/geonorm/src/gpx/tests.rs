//! The GPX reader and writer on small crafted files, one behaviour each.

use serde_json::json;

use super::{read, ReadOptions};
use crate::{ColumnValues, Diagnostic, Document, Geometry, Time};

fn gpx(text: &str) -> (Document, Vec<Diagnostic>) {
    read(text.as_bytes(), &ReadOptions::default()).expect("readable")
}

fn codes(d: &[Diagnostic]) -> Vec<&'static str> {
    d.iter().map(|d| d.code.as_str()).collect()
}

const TRK: &str = r#"<trk><trkseg><trkpt lat="1" lon="2"><ele>3</ele><time>2024-01-01T00:00:00Z</time></trkpt><trkpt lat="4" lon="5"/></trkseg></trk>"#;

#[test]
fn every_namespace_or_none_and_no_version_read() {
    for root in [
        r#"<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">"#,
        r#"<gpx version="1.0" xmlns="http://www.topografix.com/GPX/1/0">"#,
        "<gpx>",
        r#"<g:gpx xmlns:g="http://www.topografix.com/GPX/1/1">"#,
    ] {
        let close = if root.starts_with("<g:") {
            "</g:gpx>"
        } else {
            "</gpx>"
        };
        let (doc, diags) = gpx(&format!("{root}{TRK}{close}"));
        assert_eq!(doc.features.len(), 1, "{root}");
        assert!(diags.is_empty(), "{root}: {diags:?}");
    }
    assert!(read(&b"<kml/>"[..], &ReadOptions::default()).is_err());
}

#[test]
fn metadata_of_both_versions_is_kept() {
    let (doc, _) = gpx(
        r#"<gpx version="1.1"><metadata><name>Trip</name><desc>Alps</desc>
        <author><name>Ann</name><email id="ann" domain="example.org"/></author>
        <copyright author="Ann"><year>2024</year><license>CC-BY</license></copyright>
        <link href="https://example.org"><text>site</text></link><time>2024-01-01T00:00:00Z</time>
        <keywords>hike</keywords><bounds minlat="1" minlon="2" maxlat="3" maxlon="4"/></metadata></gpx>"#,
    );
    assert_eq!(doc.meta.name.as_deref(), Some("Trip"));
    assert_eq!(doc.meta.description.as_deref(), Some("Alps"));
    assert_eq!(
        doc.meta.extra["author"],
        json!({"name": "Ann", "email": {"id": "ann", "domain": "example.org"}})
    );
    assert_eq!(
        doc.meta.extra["bounds"],
        json!({"minlat": "1", "minlon": "2", "maxlat": "3", "maxlon": "4"})
    );
    assert_eq!(
        doc.meta.extra["links"],
        json!([{"href": "https://example.org", "text": "site"}])
    );
    let (old, _) = gpx(
        r#"<gpx version="1.0"><name>Old</name><desc>style</desc><author>Bob</author><time>2004-01-01T00:00:00Z</time></gpx>"#,
    );
    assert_eq!(old.meta.name.as_deref(), Some("Old"));
    assert_eq!(old.meta.extra["author"], "Bob");

    // …and written back.
    let mut out = Vec::new();
    super::write(&doc, &mut out, &Default::default()).expect("gpx");
    let (again, _) = gpx(std::str::from_utf8(&out).expect("utf8"));
    assert_eq!(again.meta, doc.meta);
}

#[test]
fn waypoint_fields_become_typed_properties() {
    let (doc, diags) = gpx(
        r#"<gpx><wpt lat="46.5" lon="7.5"><ele>2000.5</ele><time>2024-05-01T10:00:00+02:00</time>
        <name>Hut</name><cmt>c</cmt><desc>d</desc><src>s</src><link href="h"><text>t</text></link>
        <sym>Lodge</sym><type>shelter</type><fix>3d</fix><sat>7</sat><hdop>1.5</hdop><url>u</url><urlname>un</urlname>
        <extensions><gpxx:WaypointExtension xmlns:gpxx="x"><gpxx:Proximity>50</gpxx:Proximity></gpxx:WaypointExtension><ql:note xmlns:ql="q">hi</ql:note></extensions></wpt></gpx>"#,
    );
    assert!(diags.is_empty(), "{diags:?}");
    let f = &doc.features[0];
    assert_eq!(f.title.as_deref(), Some("Hut"));
    assert_eq!(f.description.as_deref(), Some("d"));
    assert_eq!(
        f.time,
        Some(Time::Instant("2024-05-01T10:00:00+02:00".into()))
    );
    let props = serde_json::Value::Object(f.properties.clone());
    assert_eq!(
        props,
        json!({"cmt": "c", "src": "s", "sym": "Lodge", "type": "shelter", "fix": "3d", "sat": 7, "hdop": 1.5,
               "gpxx_Proximity": "50", "ql_note": "hi",
               "links": [{"href": "h", "text": "t"}, {"href": "u", "text": "un"}]})
    );
    assert!(matches!(f.geometry, Some(Geometry::Point(p)) if p.z == Some(2000.5)));
}

#[test]
fn track_point_extensions_become_columns_named_as_togeojson_names_them() {
    let (doc, diags) = gpx(r#"<gpx><trk><trkseg>
        <trkpt lat="1" lon="2"><time>2024-01-01T00:00:00Z</time><extensions><gpxtpx:TrackPointExtension xmlns:gpxtpx="t">
          <gpxtpx:hr>120</gpxtpx:hr><gpxtpx:cad>80</gpxtpx:cad><gpxtpx:atemp>21.5</gpxtpx:atemp></gpxtpx:TrackPointExtension><power>250</power></extensions></trkpt>
        <trkpt lat="3" lon="4"><time>2024-01-01T00:00:01Z</time><extensions><power>260</power></extensions></trkpt>
        <trkpt lat="5" lon="6"><extensions><gpxtpx:TrackPointExtension xmlns:gpxtpx="t"><gpxtpx:hr>125</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>
        </trkseg></trk></gpx>"#);
    assert!(diags.is_empty(), "{diags:?}");
    let Some(Geometry::LineString(line)) = &doc.features[0].geometry else {
        panic!("line")
    };
    let names: Vec<&str> = line.columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["times", "heart", "cads", "atemps", "powers"]);
    let Some(ColumnValues::Numbers(hr)) = line.column("heart").map(|c| &c.values) else {
        panic!("heart")
    };
    assert_eq!(hr, &[Some(120.into()), None, Some(125.into())]);
    let Some(ColumnValues::Texts(t)) = line.column("times").map(|c| &c.values) else {
        panic!("times")
    };
    assert_eq!(t.get(2), None);
}

#[test]
fn styles_from_gpx_style_and_garmin_colours() {
    let (doc, _) = gpx(
        r#"<gpx><trk><extensions><line xmlns="http://www.topografix.com/GPX/gpx_style/0/2"><color>893380</color><opacity>0.5</opacity><width>1</width></line></extensions></trk>
        <trk><extensions><gpxx:TrackExtension xmlns:gpxx="g"><gpxx:DisplayColor>DarkRed</gpxx:DisplayColor></gpxx:TrackExtension></extensions></trk></gpx>"#,
    );
    let s = &doc.features[0].style;
    assert_eq!(s.stroke.as_deref(), Some("#893380"));
    assert_eq!(s.stroke_opacity, serde_json::Number::from_f64(0.5));
    assert_eq!(
        s.stroke_width
            .as_ref()
            .and_then(serde_json::Number::as_f64)
            .map(|w| (w * 100.0).round()),
        Some(378.0)
    );
    assert_eq!(doc.features[1].style.stroke.as_deref(), Some("#8b0000"));
}

#[test]
fn lenient_about_what_real_files_get_wrong() {
    let (doc, diags) = gpx(
        r#"<gpx><wpt lat="x" lon="1"/><wpt lat="1" lon="2"><time>01/02/2024</time><ele>high</ele></wpt>
        <trk><trkseg></trkseg><trkseg><trkpt lat="1" lon="2"/><trkpt lon="3"/><trkpt lat="5" lon="6"/></trkseg><bogus>1</bogus></trk>
        <rte><name>empty</name></rte><trk><trkseg><trkpt lat="1" lon="1"><time>2024-01-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>"#,
    );
    assert_eq!(
        codes(&diags),
        [
            "gpx/missing-lat-lon",
            "gpx/bad-time",
            "gpx/bad-number",
            "gpx/empty-segment",
            "gpx/missing-lat-lon",
            "gpx/empty-track",
            "gpx/single-point-track",
            "gpx/ignored-element"
        ]
    );
    assert_eq!(
        doc.features.len(),
        4,
        "one waypoint, the track, the empty route, the one-point track"
    );
    assert!(matches!(&doc.features[1].geometry, Some(Geometry::LineString(c)) if c.len() == 2));
    assert!(doc.features[2].geometry.is_none());
    assert_eq!(doc.features[2].title.as_deref(), Some("empty"));
    assert_eq!(
        doc.features[3].time,
        Some(Time::Instant("2024-01-01T00:00:00Z".into()))
    );
}

#[test]
fn times_are_checked_leniently() {
    use super::read::is_datetime;
    for ok in [
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00.123Z",
        "2024-01-01T00:00:00+02:00",
        "2024-01-01T00:00:00",
        "2024-01-01 00:00:00Z",
    ] {
        assert!(is_datetime(ok), "{ok}");
    }
    for bad in [
        "",
        "2024-01-01",
        "01/02/2024 10:00",
        "2024-01-01T00:00:00X",
        "2024-01-01T00:00:00.Z",
        "2024-1-1T0:0:0Z",
    ] {
        assert!(!is_datetime(bad), "{bad}");
    }
}

#[test]
fn encodings_and_byte_order_marks() {
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><gpx><wpt lat=\"1\" lon=\"2\"><name>Z\xFCrich</name></wpt></gpx>";
    let (doc, _) = read(&latin1[..], &ReadOptions::default()).expect("latin-1");
    assert_eq!(doc.features[0].title.as_deref(), Some("Zürich"));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(
        "<gpx><wpt lat=\"1\" lon=\"2\"><name>Ljubljana–Bled</name></wpt></gpx>".as_bytes(),
    );
    let (doc, _) = read(&bom[..], &ReadOptions::default()).expect("bom");
    assert_eq!(doc.features[0].title.as_deref(), Some("Ljubljana–Bled"));
    let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><gpx><wpt lat=\"1\" lon=\"2\"><name>Čop</name></wpt></gpx>";
    let mut le = vec![0xFF, 0xFE];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let (doc, _) = read(&le[..], &ReadOptions::default()).expect("utf-16le");
    assert_eq!(doc.features[0].title.as_deref(), Some("Čop"));
}

#[test]
fn groups_by_kind_on_request() {
    let text = format!(r#"<gpx><wpt lat="1" lon="2"/>{TRK}</gpx>"#);
    let (doc, _) = read(
        text.as_bytes(),
        &ReadOptions {
            groups_by_kind: true,
        },
    )
    .expect("gpx");
    let titles: Vec<&str> = doc.groups.iter().map(|g| g.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Waypoints", "Tracks"],
        "groups with no member are not made"
    );
    assert_eq!(doc.features[1].group, Some(doc.groups[1].id));
    let (plain, _) = gpx(&text);
    assert!(plain.groups.is_empty());
}

#[test]
fn the_writer_keeps_what_gpx_holds_in_schema_order() {
    let (doc, _) = gpx(
        r#"<gpx><wpt lat="1" lon="2"><ele>3</ele><time>2024-01-01T00:00:00Z</time><name>n</name><sym>s</sym><hdop>2</hdop></wpt>
        <rte><name>r</name><rtept lat="1" lon="1"/><rtept lat="2" lon="2"/></rte>
        <trk><name>t</name><trkseg><trkpt lat="1" lon="1"><extensions><gpxtpx:TrackPointExtension xmlns:gpxtpx="x"><gpxtpx:hr>99</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt><trkpt lat="2" lon="2"/></trkseg></trk></gpx>"#,
    );
    let mut out = Vec::new();
    let lost = super::write(&doc, &mut out, &Default::default()).expect("gpx");
    assert!(lost.is_empty(), "{lost:?}");
    let text = String::from_utf8(out).expect("utf8");
    assert!(text.contains(r#"<wpt lat="1" lon="2"><ele>3</ele><time>2024-01-01T00:00:00Z</time><name>n</name><sym>s</sym><hdop>2</hdop></wpt>"#), "{text}");
    assert!(text.contains("<rte><name>r</name><rtept"));
    assert!(text.contains("<gpxtpx:hr>99</gpxtpx:hr>"));
    assert!(text.find("<wpt").unwrap_or(0) < text.find("<rte>").unwrap_or(0));
    assert!(text.find("<rte>").unwrap_or(0) < text.find("<trk>").unwrap_or(0));
}
