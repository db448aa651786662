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
               "gpxx_Proximity": 50, "ql_note": "hi",
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
    use super::ctx::is_datetime;
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

fn write_gpx(doc: &Document) -> (String, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let diags = super::write(doc, &mut out, &Default::default()).expect("gpx");
    (String::from_utf8(out).expect("utf8"), diags)
}

#[test]
fn a_one_point_segment_beside_longer_ones_is_dropped_with_all_it_held() {
    let text = r#"<gpx><trk><name>t</name>
        <trkseg><trkpt lat="1" lon="1"/><trkpt lat="2" lon="2"/></trkseg>
        <trkseg><trkpt lat="46.5" lon="7.25"><ele>1200</ele><time>2024-01-01T00:00:00Z</time><extensions><power>250</power></extensions></trkpt></trkseg>
        <trkseg></trkseg>
        <trkseg><trkpt lat="3" lon="3"/><trkpt lat="4" lon="4"/></trkseg></trk>
        <trk><trkseg><trkpt lat="5" lon="5"/></trkseg><trkseg><trkpt lat="6" lon="6"/><trkpt lat="7" lon="7"/></trkseg></trk></gpx>"#;
    let (doc, diags) = gpx(text);
    let Some(Geometry::MultiLineString(parts)) = &doc.features[0].geometry else {
        panic!("multi-line: {:?}", doc.features[0].geometry)
    };
    assert_eq!(
        parts.iter().map(crate::Coords::len).collect::<Vec<_>>(),
        [2, 2],
        "no one-point and no empty part"
    );
    assert!(
        matches!(&doc.features[1].geometry, Some(Geometry::LineString(c)) if c.len() == 2),
        "one longer segment left: a LineString"
    );
    let dropped: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.code.as_str() == "gpx/single-point-track")
        .collect();
    assert_eq!(dropped.len(), 2, "{diags:?}");
    let d = dropped[0];
    assert_eq!(d.severity, crate::Severity::Warning);
    for what in [
        "lat 46.5",
        "lon 7.25",
        "ele 1200",
        "time 2024-01-01T00:00:00Z",
        "powers 250",
    ] {
        assert!(d.message.contains(what), "{what}: {}", d.message);
    }
    let span = d.span.expect("positioned");
    assert!(text[span.start..span.end].starts_with("<trkseg><trkpt lat=\"46.5\""));
    assert!(codes(&diags).contains(&"gpx/empty-segment"));

    // Every part written and read back has two positions or more.
    let (out, _) = write_gpx(&doc);
    let (back, _) = gpx(&out);
    assert_eq!(back.features[0].geometry, doc.features[0].geometry);
}

#[test]
fn a_track_of_one_point_segments_is_a_point_with_the_first_one() {
    let (doc, diags) = gpx(
        r#"<gpx><trk><trkseg><trkpt lat="1" lon="2"><time>2024-01-01T00:00:00Z</time></trkpt></trkseg>
        <trkseg><trkpt lat="3" lon="4"><time>2024-01-01T00:01:00Z</time></trkpt></trkseg></trk></gpx>"#,
    );
    assert_eq!(doc.features.len(), 1);
    let f = &doc.features[0];
    assert!(matches!(f.geometry, Some(Geometry::Point(p)) if p.x == 2.0 && p.y == 1.0));
    assert_eq!(f.time, Some(Time::Instant("2024-01-01T00:00:00Z".into())));
    assert_eq!(
        codes(&diags),
        ["gpx/single-point-track", "gpx/single-point-track"]
    );
    assert!(diags[1].message.contains("lat 3, lon 4"), "{diags:?}");
}

#[test]
fn waypoints_inside_tracks_and_routes_are_read_after_their_line() {
    let (doc, diags) = gpx(r#"<gpx><wpt lat="0" lon="0"><name>first</name></wpt>
        <trk><name>t</name><wpt lat="1" lon="1"><name>in trk</name><time>2024-01-01T00:00:00Z</time><sym>Flag</sym></wpt>
        <trkseg><trkpt lat="1" lon="1"/><wpt lat="2" lon="2"><name>in seg</name></wpt><trkpt lat="2" lon="2"/></trkseg></trk>
        <rte><name>r</name><rtept lat="1" lon="1"/><wpt lat="3" lon="3"><name>in rte</name></wpt><rtept lat="2" lon="2"/></rte></gpx>"#);
    let titles: Vec<&str> = doc
        .features
        .iter()
        .map(|f| f.title.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(titles, ["first", "t", "in trk", "in seg", "r", "in rte"]);
    let in_trk = &doc.features[2];
    assert!(matches!(in_trk.geometry, Some(Geometry::Point(_))));
    assert_eq!(in_trk.properties.get("sym"), Some(&json!("Flag")));
    assert!(in_trk.properties.get("_gpxType").is_none(), "a waypoint");
    assert_eq!(
        in_trk.time,
        Some(Time::Instant("2024-01-01T00:00:00Z".into()))
    );
    assert!(
        matches!(&doc.features[1].geometry, Some(Geometry::LineString(c)) if c.len() == 2),
        "the track keeps its points"
    );
    let notes: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.code.as_str() == "gpx/misplaced-waypoint")
        .collect();
    assert_eq!(notes.len(), 3, "one per kind of place: {diags:?}");
    assert!(notes
        .iter()
        .all(|d| d.severity == crate::Severity::Info && d.span.is_some()));
    assert!(!codes(&diags).contains(&"gpx/ignored-element"), "{diags:?}");
}

#[test]
fn garmin_osmand_and_locus_waypoint_extensions_become_properties() {
    let (doc, diags) = gpx(
        r#"<gpx xmlns:gpxx="http://www.garmin.com/xmlschemas/GpxExtensions/v3" xmlns:wptx1="http://www.garmin.com/xmlschemas/WaypointExtension/v1"
          xmlns:ctx="http://www.garmin.com/xmlschemas/CreationTimeExtension/v1" xmlns:osmand="https://osmand.net" xmlns:locus="https://www.locusmap.app">
        <wpt lat="46.5" lon="7.5"><name>Hut</name><extensions>
          <gpxx:WaypointExtension><gpxx:Proximity>50.5</gpxx:Proximity><gpxx:Temperature>-3</gpxx:Temperature><gpxx:Depth>12</gpxx:Depth>
            <gpxx:DisplayMode>SymbolAndName</gpxx:DisplayMode>
            <gpxx:Categories><gpxx:Category>Huts</gpxx:Category><gpxx:Category>Food</gpxx:Category></gpxx:Categories>
            <gpxx:Address><gpxx:StreetAddress>Main 1</gpxx:StreetAddress><gpxx:StreetAddress>Floor 2</gpxx:StreetAddress>
              <gpxx:City>Zermatt</gpxx:City><gpxx:State>VS</gpxx:State><gpxx:Country>CH</gpxx:Country><gpxx:PostalCode>03920</gpxx:PostalCode></gpxx:Address>
            <gpxx:PhoneNumber Category="Mobile">+41 1</gpxx:PhoneNumber><gpxx:PhoneNumber>+41 2</gpxx:PhoneNumber>
            <gpxx:Samples>4</gpxx:Samples><gpxx:Expiration>2025-01-01T00:00:00Z</gpxx:Expiration></gpxx:WaypointExtension>
          <ctx:CreationTimeExtension><ctx:CreationTime>2024-01-01T00:00:00Z</ctx:CreationTime></ctx:CreationTimeExtension>
          <osmand:icon>special_star</osmand:icon><osmand:color>#eecc22</osmand:color><osmand:amenity_opening_hours>Mo-Su 08:00-18:00</osmand:amenity_opening_hours>
          <locus:icon>file:x.png</locus:icon>
        </extensions></wpt>
        <wpt lat="1" lon="1"><extensions><wptx1:WaypointExtension><wptx1:Proximity>10</wptx1:Proximity><wptx1:Address><wptx1:City>Bern</wptx1:City></wptx1:Address></wptx1:WaypointExtension></extensions></wpt></gpx>"#,
    );
    assert!(diags.is_empty(), "nothing skipped: {diags:?}");
    let props = serde_json::Value::Object(doc.features[0].properties.clone());
    assert_eq!(
        props,
        json!({
            "gpxx_Proximity": 50.5, "gpxx_Temperature": -3, "gpxx_Depth": 12,
            "gpxx_DisplayMode": "SymbolAndName", "gpxx_Categories": "Huts, Food",
            "gpxx_StreetAddress": "Main 1, Floor 2", "gpxx_City": "Zermatt", "gpxx_State": "VS",
            "gpxx_Country": "CH", "gpxx_PostalCode": "03920",
            "gpxx_PhoneNumber_Category": "Mobile", "gpxx_PhoneNumber": "+41 1, +41 2",
            "gpxx_Samples": 4, "gpxx_Expiration": "2025-01-01T00:00:00Z",
            "ctx_CreationTime": "2024-01-01T00:00:00Z",
            "osmand_icon": "special_star", "osmand_color": "#eecc22",
            "osmand_amenity_opening_hours": "Mo-Su 08:00-18:00",
            "locus_icon": "file:x.png"
        })
    );
    let props = serde_json::Value::Object(doc.features[1].properties.clone());
    assert_eq!(props, json!({"wptx1_Proximity": 10, "wptx1_City": "Bern"}));
}

#[test]
fn track_extension_containers_are_read_too_and_point_columns_stay() {
    let (doc, diags) = gpx(
        r#"<gpx><trk><extensions><locus:activity xmlns:locus="l">cycling</locus:activity>
        <gpxx:TrackExtension xmlns:gpxx="g"><gpxx:DisplayColor>Blue</gpxx:DisplayColor></gpxx:TrackExtension>
        <ctx:CreationTimeExtension xmlns:ctx="c"><ctx:CreationTime>2024-01-01T00:00:00Z</ctx:CreationTime></ctx:CreationTimeExtension></extensions>
        <trkseg><trkpt lat="1" lon="1"><extensions><gpxtpx:TrackPointExtension xmlns:gpxtpx="t"><gpxtpx:hr>100</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>
        <trkpt lat="2" lon="2"/></trkseg></trk></gpx>"#,
    );
    assert!(diags.is_empty(), "{diags:?}");
    let f = &doc.features[0];
    assert_eq!(f.style.stroke.as_deref(), Some("#0000ff"));
    assert_eq!(f.properties.get("locus_activity"), Some(&json!("cycling")));
    assert_eq!(
        f.properties.get("ctx_CreationTime"),
        Some(&json!("2024-01-01T00:00:00Z"))
    );
    let Some(Geometry::LineString(line)) = &f.geometry else {
        panic!("line")
    };
    assert!(line.column("heart").is_some());
}

#[test]
fn empty_times_are_absent_and_counted_once() {
    let text = r#"<gpx><metadata><time/></metadata><wpt lat="1" lon="1"><time></time></wpt>
        <trk><trkseg><trkpt lat="1" lon="1"><time/></trkpt><trkpt lat="2" lon="2"><time> </time></trkpt><trkpt lat="3" lon="3"><time>2024-01-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>"#;
    let (doc, diags) = gpx(text);
    assert_eq!(codes(&diags), ["gpx/ignored-element"], "{diags:?}");
    let d = &diags[0];
    assert_eq!(d.severity, crate::Severity::Info);
    assert!(
        d.message.contains("empty <time>") && d.message.contains("(4 times)"),
        "{}",
        d.message
    );
    let span = d.span.expect("positioned");
    assert!(text[span.start..].starts_with("<time/>"));
    assert!(doc.meta.extra.get("time").is_none());
    assert_eq!(doc.features[0].time, None);
    let Some(Geometry::LineString(line)) = &doc.features[1].geometry else {
        panic!("line")
    };
    let Some(ColumnValues::Texts(t)) = line.column("times").map(|c| &c.values) else {
        panic!("times")
    };
    assert_eq!(
        t.iter().collect::<Vec<_>>(),
        [None, None, Some("2024-01-01T00:00:00Z")]
    );
}

#[test]
fn the_writer_writes_no_empty_or_invalid_time_and_says_so() {
    use crate::{Column, Coords, Feature, Position};
    let mut line: Coords = [
        Position::new(1.0, 1.0),
        Position::new(2.0, 2.0),
        Position::new(3.0, 3.0),
    ]
    .into_iter()
    .collect();
    line.set_column(Column {
        name: "times".into(),
        values: ColumnValues::Texts(
            [Some(""), None, Some("2024-01-01T00:00:00Z")]
                .into_iter()
                .collect(),
        ),
    })
    .expect("column");
    let mut doc = Document::default();
    doc.meta.extra.insert("time".into(), json!(""));
    doc.features.push(Feature {
        geometry: Some(Geometry::Point(Position::new(1.0, 1.0))),
        time: Some(Time::Instant(String::new())),
        span: crate::Span::new(10, 20),
        ..Feature::default()
    });
    doc.features.push(Feature {
        geometry: Some(Geometry::Point(Position::new(1.0, 1.0))),
        time: Some(Time::Instant("2024-05".into())),
        properties: [
            ("sat".to_string(), json!("many")),
            ("hdop".to_string(), json!("")),
        ]
        .into_iter()
        .collect(),
        ..Feature::default()
    });
    doc.features.push(Feature {
        geometry: Some(Geometry::LineString(line)),
        span: crate::Span::new(30, 40),
        ..Feature::default()
    });
    let (out, diags) = write_gpx(&doc);
    assert!(
        !out.contains("<time></time>") && !out.contains("<time>2024-05<"),
        "{out}"
    );
    assert!(!out.contains("<sat>") && !out.contains("<hdop>"), "{out}");
    assert_eq!(out.matches("<time>").count(), 1, "{out}");
    let bad: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.message.contains("not an ISO 8601 date and time"))
        .collect();
    assert_eq!(bad.len(), 4, "{diags:?}");
    assert!(bad.iter().any(|d| d.span == Some(crate::Span::new(10, 20))));
    assert!(bad.iter().any(|d| d.span == Some(crate::Span::new(30, 40))));
    assert!(diags
        .iter()
        .any(|d| d.message.contains("`sat` that is not a number")));
    // What was written reads back without a word about times or numbers.
    let (_, back) = gpx(&out);
    assert!(back.is_empty(), "{back:?}");
}

#[test]
fn text_is_kept_as_written_with_line_ends_normalised() {
    let (doc, diags) = gpx(
        "<gpx version=\"1.1\">\r\n<wpt lat=\"1\" lon=\"2\"><name>A &amp; B\rC</name>\
         <cmt>line1\r\nline2</cmt><desc>Go <a href=\"x?a=1&amp;b=2\">here</a><br/>now</desc></wpt>\r\n</gpx>",
    );
    let f = &doc.features[0];
    assert_eq!(f.title.as_deref(), Some("A & B\nC"));
    assert_eq!(f.properties["cmt"], json!("line1\nline2"));
    assert_eq!(
        f.description.as_deref(),
        Some(r#"Go <a href="x?a=1&amp;b=2">here</a><br/>now"#)
    );
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn point_extensions_keep_leaves_and_containers_of_leaves_only() {
    let text = r#"<gpx><trk><trkseg>
        <trkpt lat="1" lon="2"><extensions>
          <tpx><hr>100</hr><atemp>11</atemp><atemp>20</atemp></tpx>
          <power>75</power>
          <deep><a><b>1</b></a></deep>
          <note>windy</note>
          <name>3<b>4</b></name>
        </extensions></trkpt>
        <trkpt lat="3" lon="4"><extensions><wrap><speed>2</speed><x><y>1</y></x></wrap></extensions></trkpt>
      </trkseg></trk></gpx>"#;
    let (doc, diags) = gpx(text);
    let Some(Geometry::LineString(line)) = &doc.features[0].geometry else {
        panic!("a line: {:?}", doc.features[0].geometry);
    };
    let numbers = |name: &str| match line.column(name).map(|c| &c.values) {
        Some(ColumnValues::Numbers(n)) => n
            .iter()
            .map(|v| v.as_ref().map(|v| v.to_string()))
            .collect::<Vec<_>>(),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(numbers("heart"), [Some("100".into()), None]);
    // A value given twice for one point: the last counts, the earlier is said.
    assert_eq!(numbers("atemps"), [Some("20".into()), None]);
    assert_eq!(numbers("powers"), [Some("75".into()), None]);
    // A text is a value too.
    assert_eq!(texts(line, "notes"), [Some("windy".into()), None]);
    // A container holding more than leaves is skipped whole: its values make no column.
    assert!(line.column("speeds").is_none());
    assert!(line.column("bs").is_none());
    let ignored: Vec<&str> = diags
        .iter()
        .filter(|d| d.code.as_str() == "gpx/ignored-element")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        ignored,
        [
            "<atemp> given again in one point skipped",
            "empty or marked-up point extension <name> skipped",
            "point extension <deep> skipped",
            "point extension <wrap> skipped",
        ]
    );
    // Each where it is: the earlier `atemp`, not the one kept.
    let atemp = diags.iter().find(|d| d.message.starts_with("<atemp>"));
    let at = atemp.and_then(|d| d.span).map(|s| s.start);
    assert_eq!(at, text.find("<atemp>11"), "{diags:?}");
}

/// The texts of column `name` of `line`.
fn texts(line: &crate::Coords, name: &str) -> Vec<Option<String>> {
    match line.column(name).map(|c| &c.values) {
        Some(ColumnValues::Texts(t)) => {
            (0..t.len()).map(|i| t.get(i).map(str::to_string)).collect()
        }
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn a_route_points_own_fields_and_text_extensions_are_per_point_values() {
    let (doc, diags) = gpx(r#"<gpx><rte><name>R</name>
        <rtept lat="1" lon="2"><name>Start</name><sym>Flag, Blue</sym><hdop>1.5</hdop>
          <extensions><ViaPoint><CalculationMode>FasterTime</CalculationMode></ViaPoint></extensions></rtept>
        <rtept lat="3" lon="4"><sym>Pin</sym><hdop>x</hdop></rtept>
        <rtept lat="5" lon="6"><name>End</name></rtept>
      </rte></gpx>"#);
    let Some(Geometry::LineString(line)) = &doc.features[0].geometry else {
        panic!("a line: {:?}", doc.features[0].geometry);
    };
    // A value present on only some points: gaps where the others have none.
    assert_eq!(
        texts(line, "names"),
        [Some("Start".into()), None, Some("End".into())]
    );
    assert_eq!(
        texts(line, "syms"),
        [Some("Flag, Blue".into()), Some("Pin".into()), None]
    );
    assert_eq!(
        texts(line, "CalculationModes"),
        [Some("FasterTime".into()), None, None]
    );
    let Some(ColumnValues::Numbers(hdop)) = line.column("hdops").map(|c| &c.values) else {
        panic!("hdops: {:?}", line.columns());
    };
    assert_eq!(hdop.len(), 3);
    assert_eq!(
        hdop[0].as_ref().map(ToString::to_string).as_deref(),
        Some("1.5")
    );
    assert!(hdop[1].is_none() && hdop[2].is_none());
    // The one value that is no number is said, where it is.
    assert_eq!(codes(&diags), ["gpx/bad-number"], "{diags:?}");
}

#[test]
fn a_one_point_tracks_values_are_the_points() {
    let (doc, diags) = gpx(
        r#"<gpx><trk><trkseg><trkpt lat="1" lon="2"><ele>3</ele><hdop>8.0</hdop>
        <time>2014-06-17T15:47:32Z</time><extensions><speed>0.5</speed></extensions></trkpt>
      </trkseg></trk></gpx>"#,
    );
    let f = &doc.features[0];
    assert!(
        matches!(f.geometry, Some(Geometry::Point(_))),
        "{:?}",
        f.geometry
    );
    assert_eq!(f.properties.get("hdops"), Some(&json!(8)));
    assert_eq!(f.properties.get("speeds"), Some(&json!(0.5)));
    assert_eq!(codes(&diags), ["gpx/single-point-track"], "{diags:?}");
}

#[test]
fn text_and_attributes_a_point_extension_cannot_keep_are_said() {
    let (doc, diags) = gpx(r#"<gpx><trk><trkseg>
        <trkpt lat="1" lon="2"><extensions><aaa jjj="kkk">bbb</aaa>hhh</extensions></trkpt>
        <trkpt lat="3" lon="4"/>
      </trkseg></trk></gpx>"#);
    let Some(Geometry::LineString(line)) = &doc.features[0].geometry else {
        panic!("a line: {:?}", doc.features[0].geometry);
    };
    assert_eq!(texts(line, "aaas"), [Some("bbb".into()), None]);
    let ignored: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        ignored,
        [
            "attributes of point extension <aaa> skipped",
            "text directly in a point's <extensions> skipped",
        ]
    );
}

/// GPX style's `<line>` holds more than a colour, an opacity and a width: its other
/// children (a pattern, a cap, a vendor's extensions) are kept as properties.
#[test]
fn gpx_style_line_children_beyond_the_stroke_are_kept() {
    let (doc, diags) = gpx(r#"<gpx><trk><name>T</name><extensions>
        <line xmlns="http://www.topografix.com/GPX/gpx_style/0/2"><color>893380</color>
          <opacity>0.5</opacity><width>1</width><pattern>Solid</pattern><linecap>round</linecap>
          <extensions><cased>true</cased></extensions></line>
      </extensions><trkseg><trkpt lat="1" lon="2"/><trkpt lat="3" lon="4"/></trkseg></trk></gpx>"#);
    assert!(diags.is_empty(), "{diags:?}");
    let f = &doc.features[0];
    assert_eq!(f.style.stroke.as_deref(), Some("#893380"));
    assert_eq!(f.properties.get("pattern"), Some(&json!("Solid")));
    assert_eq!(f.properties.get("linecap"), Some(&json!("round")));
    assert_eq!(f.properties.get("cased"), Some(&json!("true")));
}

#[test]
fn a_nested_collection_is_written_whole() {
    let (doc, _) = crate::geojson::read(
        &br#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},
          {"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[3,4]},
            {"type":"MultiPoint","coordinates":[[5,6]]},
            {"type":"LineString","coordinates":[[7,8],[9,10]]}]}]}"#[..],
    )
    .expect("readable");
    let (text, _) = write_gpx(&doc);
    let (back, _) = gpx(&text);
    let kinds: Vec<_> = back.features.iter().map(|f| f.geometry.clone()).collect();
    assert_eq!(kinds.len(), 4, "{text}");
    assert!(text.contains(r#"<wpt lat="4" lon="3">"#), "{text}");
    assert!(text.contains(r#"<wpt lat="6" lon="5">"#), "{text}");
    assert!(text.contains(r#"<trkpt lat="10" lon="9">"#), "{text}");
}

#[test]
fn a_point_of_another_gpx_type_is_still_written() {
    let (doc, _) = crate::geojson::read(
        &br#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"_gpxType":"wpt"},"geometry":{"type":"Point","coordinates":[1,2]}},
          {"type":"Feature","properties":{"_gpxType":7},"geometry":{"type":"Point","coordinates":[3,4]}}]}"#[..],
    )
    .expect("readable");
    let (text, _) = write_gpx(&doc);
    assert_eq!(gpx(&text).0.features.len(), 2, "{text}");
}
