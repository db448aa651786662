//! The KML reader and writer on small crafted documents, one behaviour each.

use serde_json::{json, Value};

use crate::{Code, ColumnValues, Diagnostic, Document, Geometry, GeometryKind, RootKind, Time};

fn read(text: &str) -> (Document, Vec<Diagnostic>) {
    super::read(text.as_bytes()).expect("readable")
}

fn codes(d: &[Diagnostic]) -> Vec<&'static str> {
    d.iter().map(|d| d.code.as_str()).collect()
}

fn kml(body: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2"><Document>{body}</Document></kml>"#
    )
}

const POINT: &str = "<Point><coordinates>1,2</coordinates></Point>";

#[test]
fn every_kml_namespace_reads() {
    for root in [
        r#"<kml xmlns="http://www.opengis.net/kml/2.2">"#,
        r#"<kml xmlns="http://earth.google.com/kml/2.1">"#,
        r#"<kml xmlns="http://earth.google.com/kml/2.0">"#,
        "<kml>",
    ] {
        let text = format!(
            "{root}<Document><Placemark><name>a</name>{POINT}</Placemark></Document></kml>"
        );
        let (doc, diags) = read(&text);
        assert_eq!(doc.features.len(), 1, "{root}");
        assert!(diags.is_empty(), "{root}: {diags:?}");
    }
    let prefixed = r#"<k:kml xmlns:k="http://www.opengis.net/kml/2.2"><k:Document><k:Placemark><k:name>a</k:name><k:Point><k:coordinates>1,2</k:coordinates></k:Point></k:Placemark></k:Document></k:kml>"#;
    let (doc, _) = read(prefixed);
    assert_eq!(doc.features[0].title.as_deref(), Some("a"));
}

#[test]
fn foreign_elements_do_not_pass_for_kml_ones() {
    let text = r#"<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:atom="http://www.w3.org/2005/Atom">
      <Document><atom:author><atom:name>Someone</atom:name></atom:author><name>Doc</name>
      <Placemark><xal:AddressDetails><xal:name>x</xal:name></xal:AddressDetails><name>P</name>
      <Point xsi:schemaLocation="x"><coordinates>1,2</coordinates></Point></Placemark></Document></kml>"#;
    let (doc, _) = read(text);
    assert_eq!(doc.meta.name.as_deref(), Some("Doc"));
    assert_eq!(doc.features[0].title.as_deref(), Some("P"));
}

#[test]
fn folders_become_a_group_tree() {
    let text = kml(&format!(
        "<name>Trip</name><Placemark><name>top</name>{POINT}</Placemark>
         <Folder><name>Alps</name><Folder><name>Zermatt</name><Placemark><name>deep</name>{POINT}</Placemark></Folder>
         <Placemark><name>mid</name>{POINT}</Placemark></Folder><Folder><Placemark>{POINT}</Placemark></Folder>"
    ));
    let (doc, diags) = read(&text);
    assert_eq!(doc.meta.name.as_deref(), Some("Trip"));
    assert_eq!(codes(&diags), ["kml/unnamed-folder"]);
    let path = |i: usize| doc.features[i].group.and_then(|g| doc.group_path(g));
    assert_eq!(path(0), None);
    assert_eq!(path(1).as_deref(), Some("Alps／Zermatt"));
    assert_eq!(path(2).as_deref(), Some("Alps"));
    assert_eq!(path(3).as_deref(), Some("Untitled folder"));
}

#[test]
fn shared_styles_resolve_through_style_maps_with_inline_overrides() {
    let text = kml(&format!(
        r##"<Placemark><styleUrl>#map</styleUrl><Style><LineStyle><width>5</width></LineStyle></Style>{POINT}</Placemark>
        <StyleMap id="map"><Pair><key>highlight</key><styleUrl>#hot</styleUrl></Pair><Pair><key>normal</key><styleUrl>#cool</styleUrl></Pair></StyleMap>
        <Style id="cool"><IconStyle><color>ff00ff00</color><Icon><href>pin.png</href></Icon></IconStyle><LineStyle><color>7f0000ff</color><width>2</width></LineStyle>
          <PolyStyle><color>4cff0000</color><outline>0</outline></PolyStyle></Style>
        <Style id="hot"><IconStyle><color>ffffffff</color></IconStyle></Style>
        <gx:CascadingStyle kml:id="web" xmlns:kml="http://www.opengis.net/kml/2.2"><Style><LineStyle><color>ff123456</color></LineStyle></Style></gx:CascadingStyle>
        <Placemark><styleUrl>#web</styleUrl>{POINT}</Placemark>
        <Placemark><styleUrl>#nothing</styleUrl>{POINT}</Placemark>
        <Placemark><styleUrl>styles.kml#x</styleUrl>{POINT}</Placemark>"##
    ));
    let (doc, diags) = read(&text);
    let s = &doc.features[0].style;
    assert_eq!(s.marker_color.as_deref(), Some("#00ff00"));
    assert_eq!(s.icon.as_deref(), Some("pin.png"));
    assert_eq!(s.stroke.as_deref(), Some("#ff0000"));
    assert_eq!(s.stroke_width, Some(5.into()), "the inline width wins");
    assert_eq!(s.stroke_opacity, Some(0.into()), "outline 0");
    assert_eq!(s.fill.as_deref(), Some("#0000ff"));
    assert_eq!(s.fill_opacity, serde_json::Number::from_f64(0.3));
    assert_eq!(doc.features[1].style.stroke.as_deref(), Some("#563412"));
    assert_eq!(
        codes(&diags),
        ["kml/unresolved-style", "kml/external-style"]
    );
    assert_eq!(doc.features[3].properties["styleUrl"], "styles.kml#x");
}

#[test]
fn extended_data_is_typed_by_its_schema() {
    let text = kml(&format!(
        r##"<Schema name="s" id="s"><SimpleField name="n" type="int"/><SimpleField name="f" type="double"/>
           <SimpleField name="b" type="bool"/><SimpleField name="u" type="uint"/></Schema>
        <Placemark><ExtendedData><Data name="plain"><displayName>Plain</displayName><value> text </value></Data>
          <SchemaData schemaUrl="#s"><SimpleData name="n">42</SimpleData><SimpleData name="f">2.5</SimpleData>
          <SimpleData name="b">1</SimpleData><SimpleData name="u">-3</SimpleData></SchemaData>
          <Data name="plain"><value>again</value></Data></ExtendedData>{POINT}</Placemark>
        <Placemark><ExtendedData><SchemaData schemaUrl="#none"><SimpleData name="x">1</SimpleData></SchemaData></ExtendedData></Placemark>"##
    ));
    let (doc, diags) = read(&text);
    let p = &doc.features[0].properties;
    assert_eq!(p["plain"], "text");
    assert_eq!(p["n"], 42);
    assert_eq!(p["f"], 2.5);
    assert_eq!(p["b"], true);
    assert_eq!(p["u"], "-3");
    assert_eq!(doc.features[1].properties["x"], "1");
    assert_eq!(
        codes(&diags),
        [
            "kml/bad-typed-value",
            "kml/duplicate-data",
            "kml/missing-schema",
            "kml/ignored-element"
        ]
    );
}

#[test]
fn tracks_keep_times_and_per_point_arrays() {
    let text = kml(
        r##"<Placemark><gx:Track><when>2024-01-01T00:00:00Z</when><when>2024-01-01T00:00:05Z</when>
           <gx:coord>1 2 3</gx:coord><gx:coord>4 5 6</gx:coord>
           <ExtendedData><SchemaData schemaUrl="#t"><gx:SimpleArrayData name="heartrate"><gx:value>120</gx:value><gx:value>125</gx:value></gx:SimpleArrayData>
           </SchemaData></ExtendedData></gx:Track></Placemark>
        <Placemark><gx:Track><when>2024-01-01T00:00:00Z</when><gx:coord>1 2</gx:coord></gx:Track></Placemark>
        <Placemark><Track><when>a</when><coord>1 2</coord><coord>3 4</coord></Track></Placemark>"##,
    );
    let (doc, diags) = read(&text);
    let Some(Geometry::LineString(line)) = &doc.features[0].geometry else {
        panic!("a two-point track is a line")
    };
    assert_eq!(line.len(), 2);
    assert_eq!(line.get(1).and_then(|p| p.z), Some(6.0));
    let Some(ColumnValues::Texts(times)) = line.column("times").map(|c| &c.values) else {
        panic!("times")
    };
    assert_eq!(times.get(1), Some("2024-01-01T00:00:05Z"));
    assert!(
        matches!(line.column("heartrate").map(|c| &c.values), Some(ColumnValues::Numbers(n)) if n.len() == 2)
    );
    assert!(matches!(doc.features[1].geometry, Some(Geometry::Point(_))));
    assert_eq!(
        doc.features[1].time,
        Some(Time::Instant("2024-01-01T00:00:00Z".into()))
    );
    assert!(
        matches!(&doc.features[2].geometry, Some(Geometry::LineString(c)) if c.column("times").is_none())
    );
    assert_eq!(codes(&diags), ["kml/track-mismatch"]);
}

#[test]
fn multi_geometries_flatten_into_multi_kinds_or_collections() {
    let line = "<LineString><coordinates>0,0 1,1</coordinates></LineString>";
    let text = kml(&format!(
        "<Placemark><MultiGeometry>{POINT}<MultiGeometry>{POINT}{POINT}</MultiGeometry></MultiGeometry></Placemark>
         <Placemark><MultiGeometry>{POINT}{line}</MultiGeometry></Placemark>
         <Placemark><MultiGeometry>{line}</MultiGeometry></Placemark>"
    ));
    let (doc, diags) = read(&text);
    assert!(diags.is_empty(), "{diags:?}");
    let kinds: Vec<_> = doc
        .features
        .iter()
        .map(|f| f.geometry.as_ref().map(Geometry::kind))
        .collect();
    assert_eq!(
        kinds,
        [
            Some(GeometryKind::MultiPoint),
            Some(GeometryKind::GeometryCollection),
            Some(GeometryKind::MultiLineString)
        ]
    );
    assert_eq!(
        doc.features[0]
            .geometry
            .as_ref()
            .map(Geometry::vertex_count),
        Some(3)
    );
}

#[test]
fn coordinates_as_people_write_them_with_bad_tuples_reported() {
    let text = kml(
        "<Placemark><LineString><coordinates>\n  1, 2  3, 4\n\t5,6,\n7,x\n</coordinates></LineString></Placemark>
         <Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>",
    );
    let (doc, diags) = read(&text);
    let Some(Geometry::LineString(c)) = &doc.features[0].geometry else {
        panic!("line")
    };
    assert_eq!(c.xy(), &[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    assert_eq!(
        codes(&diags),
        ["kml/bad-coordinates", "kml/ring-not-closed"]
    );
    let at = diags[0].span.expect("positioned").start;
    assert_eq!(&text[at..at + 3], "7,x");
    let Some(Geometry::Polygon(r)) = &doc.features[1].geometry else {
        panic!("polygon")
    };
    assert_eq!(r[0].len(), 4);
}

#[test]
fn what_a_map_cannot_show_is_reported_and_counted() {
    let text = kml(&format!(
        "<GroundOverlay><Icon><href>x.png</href></Icon></GroundOverlay><NetworkLink><Link><href>a.kml</href></Link></NetworkLink>
         <ScreenOverlay/><Placemark><Model/><Region/>{POINT}<LookAt/></Placemark><Placemark><LookAt/>{POINT}</Placemark>"
    ));
    let (doc, diags) = read(&text);
    assert_eq!(doc.features.len(), 2);
    let counted: Vec<(&str, usize)> = doc
        .meta
        .unrepresented
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        counted,
        [
            ("GroundOverlay", 1),
            ("Model", 1),
            ("NetworkLink", 1),
            ("Region", 1),
            ("ScreenOverlay", 1)
        ]
    );
    let not_rep = diags
        .iter()
        .filter(|d| d.code == Code::KmlNotRepresentable)
        .count();
    assert_eq!(not_rep, 5);
    assert!(diags
        .iter()
        .any(|d| d.code == Code::KmlIgnoredElement
            && d.message.contains("<LookAt> skipped (2 times)")));
}

#[test]
fn declared_single_byte_and_utf16_encodings_decode() {
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><kml><Placemark><name>Z\xFCrich</name></Placemark></kml>";
    let (doc, _) = super::read(&latin1[..]).expect("latin-1");
    assert_eq!(doc.features[0].title.as_deref(), Some("Zürich"));
    let cp1252 = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><kml><Placemark><name>\x80 caf\xE9</name></Placemark></kml>";
    let (doc, _) = super::read(&cp1252[..]).expect("cp1252");
    assert_eq!(doc.features[0].title.as_deref(), Some("€ café"));
    let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><kml><Placemark><name>Łódź</name></Placemark></kml>";
    let mut be = vec![0xFE, 0xFF];
    be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    let (doc, _) = super::read(&be[..]).expect("utf-16be");
    assert_eq!(doc.features[0].title.as_deref(), Some("Łódź"));
}

#[test]
fn hostile_nesting_is_cut_not_followed() {
    let deep = "<MultiGeometry>".repeat(10_000) + POINT + &"</MultiGeometry>".repeat(10_000);
    let text = kml(&format!("<Placemark>{deep}</Placemark>"));
    let (doc, diags) = read(&text);
    assert_eq!(doc.features.len(), 1);
    assert!(codes(&diags).contains(&"kml/too-deep"));
    let folders = "<Folder>".repeat(5_000)
        + "<Placemark>"
        + POINT
        + "</Placemark>"
        + &"</Folder>".repeat(5_000);
    let (doc, diags) = read(&kml(&folders));
    assert_eq!(
        doc.groups.len(),
        crate::MAX_GROUP_DEPTH,
        "deeper folders are not groups"
    );
    assert!(codes(&diags).contains(&"group/too-deep"));
    assert_eq!(
        doc.features[0].group.map(crate::GroupId::get),
        Some(crate::MAX_GROUP_DEPTH as u64)
    );
    let mut out = Vec::new();
    super::write(&doc, &mut out, &Default::default()).expect("deep trees write without recursion");
}

#[test]
fn fragments_and_bare_geometries_read() {
    let (doc, _) =
        read("<Placemark><name>a</name><Point><coordinates>1,2</coordinates></Point></Placemark>");
    assert_eq!(doc.meta.root, RootKind::Feature);
    let (doc, _) = read(
        r#"<Polygon xmlns="http://www.opengis.net/kml/2.2"><outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1 0,0</coordinates></LinearRing></outerBoundaryIs></Polygon>"#,
    );
    assert_eq!(doc.meta.root, RootKind::Geometry);
    assert!(matches!(
        doc.features[0].geometry,
        Some(Geometry::Polygon(_))
    ));
    assert!(
        super::read(&br#"<feed xmlns="http://www.w3.org/2005/Atom"><entry/></feed>"#[..]).is_err()
    );
    assert!(
        super::read(&b"<kml><Document><Placemark>"[..]).is_err(),
        "truncated XML"
    );
}

#[test]
fn the_writer_types_extended_data_and_shares_styles() {
    let (doc, _) = crate::geojson::read(
        &br##"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":null,"properties":{"title":"a","stroke":"#ff0000","n":1,"f":1.5,"b":true,"s":"x<y","o":{"k":1}}},
        {"type":"Feature","geometry":null,"properties":{"title":"b","stroke":"#ff0000","n":2,"f":2,"b":false,"s":"z"}}]}"##[..],
    )
    .expect("geojson");
    let mut out = Vec::new();
    let lost = super::write(&doc, &mut out, &Default::default()).expect("kml");
    let text = String::from_utf8(out).expect("utf8");
    assert_eq!(
        text.matches("<Style id=").count(),
        1,
        "one shared style: {text}"
    );
    assert!(text.contains(r#"<SimpleField name="f" type="double"/>"#));
    assert!(text.contains(r#"<SimpleField name="b" type="bool"/>"#));
    assert!(text.contains("<![CDATA[x<y]]>"));
    assert_eq!(codes(&lost), ["write/not-representable"]);
    let (back, diags) = read(&text);
    assert!(diags.is_empty(), "{diags:?}");
    let props: Vec<Value> = back
        .features
        .iter()
        .map(|f| Value::Object(f.properties.clone()))
        .collect();
    assert_eq!(
        props[0],
        json!({"n": 1, "f": 1.5, "b": true, "s": "x<y", "o": "{\"k\":1}"})
    );
    assert_eq!(props[1], json!({"n": 2, "f": 2, "b": false, "s": "z"}));
}

// ------------------------------------------------ text kept as written (issue 11)

#[test]
fn markup_in_a_description_is_kept_as_written() {
    let (doc, diags) = read(&kml(&format!(
        r#"<Placemark><name>Caf&#233; <b>Z</b></name><description>Go <a href="x?a=1&amp;b=2">here</a> now<br/><b>bold</b> &amp; more</description>{POINT}</Placemark>"#
    )));
    let f = &doc.features[0];
    assert_eq!(
        f.description.as_deref(),
        Some(r#"Go <a href="x?a=1&amp;b=2">here</a> now<br/><b>bold</b> &amp; more"#)
    );
    // As written: the reference is HTML's as much as XML's.
    assert_eq!(f.title.as_deref(), Some("Caf&#233; <b>Z</b>"));
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn markup_in_extended_data_values_and_snippets_is_kept() {
    let (doc, _) = read(&kml(&format!(
        r#"<Placemark><Snippet>a <i>b</i></Snippet><ExtendedData><Data name="d"><value>x<sup>2</sup></value></Data></ExtendedData>{POINT}</Placemark>"#
    )));
    let p = &doc.features[0].properties;
    assert_eq!(p["Snippet"], json!("a <i>b</i>"));
    assert_eq!(p["d"], json!("x<sup>2</sup>"));
}

#[test]
fn plain_text_and_cdata_are_unchanged() {
    let (doc, _) = read(&kml(&format!(
        r#"<Placemark><name>A &amp; B</name><description><![CDATA[<p>x &amp; y</p>]]></description>{POINT}</Placemark>"#
    )));
    assert_eq!(doc.features[0].title.as_deref(), Some("A & B"));
    assert_eq!(
        doc.features[0].description.as_deref(),
        Some("<p>x &amp; y</p>")
    );
}

#[test]
fn line_ends_are_normalised_everywhere() {
    let text = kml(&format!(
        "<Placemark><name>a\r\nb\rc</name><description><![CDATA[x\r\ny]]></description><ExtendedData><Data name=\"k\"><value>1\r\n2</value></Data></ExtendedData>{POINT}</Placemark>"
    ))
    .replace("><", ">\r\n<");
    let (doc, diags) = read(&text);
    let f = &doc.features[0];
    assert_eq!(f.title.as_deref(), Some("a\nb\nc"));
    assert_eq!(f.description.as_deref().map(str::trim), Some("x\ny"));
    assert_eq!(f.properties["k"], json!("1\n2"));
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn undefined_entities_are_kept_and_reported_once_with_a_count() {
    let text = "<!DOCTYPE kml [<!ENTITY j \"Joe\">]>\n<kml><Placemark><name>&j; &amp; &j;</name></Placemark><Placemark><name>&nbsp;</name></Placemark></kml>";
    let (doc, diags) = read(text);
    assert_eq!(doc.features[0].title.as_deref(), Some("&j; & &j;"));
    assert_eq!(doc.features[1].title.as_deref(), Some("&nbsp;"));
    let d: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.code == Code::XmlEntityNotExpanded)
        .collect();
    assert_eq!(d.len(), 1, "{diags:?}");
    assert!(d[0].message.contains("`&j;`") && d[0].message.contains("3 times"));
    let at = text.find("&j;").expect("in text");
    assert_eq!(d[0].span.map(|s| s.start), Some(at));
}

#[test]
fn invalid_utf8_and_nul_bytes_are_reported_where_they_are() {
    let mut bytes = b"<kml><Placemark><name>Z".to_vec();
    let bad = bytes.len();
    bytes.extend(b"\xFCrich\xFF</name><description>a".iter());
    let nul = bytes.len();
    bytes.extend(b"\0b\0</description></Placemark></kml>".iter());
    let (doc, diags) = super::read(&bytes[..]).expect("readable");
    assert_eq!(
        doc.features[0].title.as_deref(),
        Some("Z\u{FFFD}rich\u{FFFD}")
    );
    assert_eq!(doc.features[0].description.as_deref(), Some("ab"));
    let utf8: Vec<_> = diags
        .iter()
        .filter(|d| d.code == Code::XmlInvalidUtf8)
        .collect();
    assert_eq!(utf8.len(), 1);
    assert_eq!(utf8[0].span.map(|s| s.start), Some(bad));
    assert!(utf8[0].message.contains("2 times"));
    let nuls: Vec<_> = diags
        .iter()
        .filter(|d| d.code == Code::XmlForbiddenChar)
        .collect();
    assert_eq!(nuls.len(), 1);
    assert_eq!(nuls[0].span.map(|s| s.start), Some(nul));
}

#[test]
fn a_utf8_sequence_cut_by_the_read_buffer_is_not_invalid() {
    // A reader that hands out one byte at a time cuts every multi-byte character.
    struct Trickle<'a>(&'a [u8]);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let text = "<kml><Placemark><name>Zürich ／ 東京 🏔</name></Placemark></kml>";
    let input = std::io::BufReader::with_capacity(1, Trickle(text.as_bytes()));
    let (doc, diags) = super::read(input).expect("readable");
    assert_eq!(doc.features[0].title.as_deref(), Some("Zürich ／ 東京 🏔"));
    assert!(diags.is_empty(), "{diags:?}");
}

// ------------------------------------------------ geometry and time (issue 11)

#[test]
fn a_ring_open_only_in_altitude_is_closed_and_said_so() {
    let (doc, diags) = read(&kml(
        "<Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>0,0,10 1,0,10 1,1,10 0,0,50</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>",
    ));
    let Some(Geometry::Polygon(rings)) = &doc.features[0].geometry else {
        panic!("a polygon");
    };
    assert_eq!(rings[0].len(), 5);
    assert_eq!(rings[0].get(0), rings[0].get(4));
    assert_eq!(codes(&diags), ["kml/ring-not-closed"]);
    assert_eq!(diags[0].severity, crate::Severity::Warning);
}

#[test]
fn empty_gx_coords_are_pauses_that_break_the_track() {
    let (doc, diags) = read(&kml(
        "<Placemark><gx:Track>\
         <when>2024-01-01T00:00:00Z</when><when>2024-01-01T00:00:01Z</when><when/><when>2024-01-01T00:00:05Z</when><when>2024-01-01T00:00:06Z</when><when>2024-01-01T00:00:07Z</when>\
         <gx:coord>1 2 3</gx:coord><gx:coord>1.1 2 3</gx:coord><gx:coord/><gx:coord>1.2 2 3</gx:coord><gx:coord>1.3 2 3</gx:coord><gx:coord>1.4 2</gx:coord>\
         </gx:Track></Placemark>",
    ));
    let Some(Geometry::MultiLineString(parts)) = &doc.features[0].geometry else {
        panic!("two pieces: {:?}", doc.features[0].geometry);
    };
    assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [2, 3]);
    let Some(ColumnValues::Texts(t)) = parts[1].column("times").map(|c| &c.values) else {
        panic!("times");
    };
    assert_eq!(t.get(0), Some("2024-01-01T00:00:05Z"));
    assert_eq!(codes(&diags), ["kml/track-gap"]);
    assert!(diags.iter().all(|d| d.severity == crate::Severity::Info));
}

#[test]
fn an_empty_when_leaves_a_point_without_time_and_is_no_error() {
    let (doc, diags) = read(&kml(
        "<Placemark><TimeStamp><when/></TimeStamp><gx:Track><when>2024-01-01T00:00:00Z</when><when></when>\
         <gx:coord>1 2</gx:coord><gx:coord>1.1 2</gx:coord></gx:Track></Placemark>",
    ));
    let f = &doc.features[0];
    assert_eq!(f.time, None);
    let Some(Geometry::LineString(line)) = &f.geometry else {
        panic!("a line");
    };
    let Some(ColumnValues::Texts(t)) = line.column("times").map(|c| &c.values) else {
        panic!("times");
    };
    assert_eq!(t.get(1), None);
    assert_eq!(codes(&diags), ["kml/empty-time", "kml/empty-time"]);
    assert!(diags.iter().all(|d| d.severity == crate::Severity::Info));
}

#[test]
fn one_point_pieces_never_become_one_position_lines() {
    let (doc, diags) = read(&kml(
        "<Placemark><gx:MultiTrack><gx:Track><gx:coord>1 2</gx:coord></gx:Track>\
         <gx:Track><gx:coord>3 4</gx:coord><gx:coord>5 6</gx:coord></gx:Track></gx:MultiTrack></Placemark>",
    ));
    let Some(Geometry::LineString(line)) = &doc.features[0].geometry else {
        panic!("one line: {:?}", doc.features[0].geometry);
    };
    assert_eq!(line.len(), 2);
    assert_eq!(codes(&diags), ["kml/track-gap"]);
    assert!(diags[0].message.contains("(1, 2)"));
}

#[test]
fn simple_array_data_outside_the_track_is_attached_or_kept() {
    let body = |n: usize| {
        let values: String = (0..n)
            .map(|i| format!("<gx:value>{}</gx:value>", 100 + i))
            .collect();
        format!(
            "<Placemark><ExtendedData><SchemaData schemaUrl=\"#s\"><gx:SimpleArrayData name=\"heart\">{values}</gx:SimpleArrayData></SchemaData></ExtendedData>\
             <gx:Track><when>2024-01-01T00:00:00Z</when><when>2024-01-01T00:00:01Z</when><gx:coord>1 2</gx:coord><gx:coord>1.1 2</gx:coord></gx:Track></Placemark>"
        )
    };
    let schema = r#"<Schema id="s"><gx:SimpleArrayField name="heart" type="int"/></Schema>"#;
    let (doc, diags) = read(&kml(&format!("{schema}{}", body(2))));
    let Some(Geometry::LineString(line)) = &doc.features[0].geometry else {
        panic!("a line");
    };
    assert!(line.column("heart").is_some());
    assert_eq!(codes(&diags), ["kml/loose-array"]);
    let (doc, diags) = read(&kml(&format!("{schema}{}", body(3))));
    assert_eq!(doc.features[0].properties["heart"], json!([100, 101, 102]));
    assert_eq!(codes(&diags), ["kml/loose-array"]);
}

#[test]
fn null_properties_survive_kml() {
    let input = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},
      "properties":{"a":1,"gone":null,"b":"x"}},{"type":"Feature","geometry":null,"properties":{"gone":5}}]}"#;
    let (doc, _) = crate::geojson::read(input.as_bytes()).expect("reads");
    let mut out = Vec::new();
    let diags = super::write(&doc, &mut out, &Default::default()).expect("writes");
    assert!(diags.is_empty(), "{diags:?}");
    let (back, diags) = super::read(&out[..]).expect("reads back");
    assert!(diags.is_empty(), "{diags:?}");
    let p = &back.features[0].properties;
    assert_eq!(p["gone"], Value::Null);
    assert_eq!(p.keys().collect::<Vec<_>>(), ["a", "gone", "b"]);
    assert_eq!(back.features[1].properties["gone"], json!(5));
}

#[test]
fn a_style_defined_after_its_placemarks_still_applies_and_the_nearest_earlier_one_wins() {
    let red = r#"<Style id="s"><LineStyle><color>ff0000ff</color></LineStyle></Style>"#;
    let blue = r#"<Style id="s"><LineStyle><color>ffff0000</color></LineStyle></Style>"#;
    let line = "<LineString><coordinates>1,2 3,4</coordinates></LineString>";
    let placemark = format!("<Placemark><styleUrl>#s</styleUrl>{line}</Placemark>");
    // Defined only after: the placemarks wait for it (and those after them wait too,
    // so that features stay in order).
    let (doc, diags) = read(&kml(&format!(
        "{placemark}<Placemark>{line}</Placemark>{red}"
    )));
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(doc.features[0].style.stroke.as_deref(), Some("#ff0000"));
    assert_eq!(doc.features[1].style.stroke, None);
    // Defined before and again after: the definition before the placemark is the one
    // it was written against.
    let (doc, _) = read(&kml(&format!("{blue}{placemark}{red}{placemark}")));
    assert_eq!(doc.features[0].style.stroke.as_deref(), Some("#0000ff"));
    assert_eq!(doc.features[1].style.stroke.as_deref(), Some("#ff0000"));
    // Never defined: said once the whole file is read.
    let (_, diags) = read(&kml(&placemark));
    assert_eq!(codes(&diags), ["kml/unresolved-style"]);
}

/// What a Placemark carries that a map does not show is said where it is: a Data's
/// `displayName` at that element, an inline StyleMap's `highlight` pair at that pair.
#[test]
fn a_display_name_and_a_highlight_style_are_said_where_they_are() {
    let text = kml(&format!(
        r#"<Placemark><ExtendedData><Data name="h"><displayName>Helipad?</displayName><value>1</value></Data></ExtendedData>
        <StyleMap><Pair><key>normal</key><Style><IconStyle><scale>1</scale></IconStyle></Style></Pair>
          <Pair><key>highlight</key><Style><IconStyle><scale>1.3</scale></IconStyle></Style></Pair></StyleMap>{POINT}</Placemark>"#
    ));
    let (_, diags) = read(&text);
    let at = |what: &str| text.find(what).expect("in the text");
    let placed: Vec<(usize, &str)> = diags
        .iter()
        .filter(|d| d.code == Code::KmlIgnoredElement)
        .map(|d| (d.span.map_or(0, |s| s.start), d.message.as_str()))
        .collect();
    assert_eq!(
        placed,
        [
            (
                at("<Pair><key>highlight"),
                "the `highlight` <Pair> of a Placemark's StyleMap is skipped: a map draws the normal style"
            ),
            (at("<displayName>"), "<displayName> skipped"),
        ],
        "{diags:?}"
    );
}

/// A `styleUrl` kept as a property (it pointed outside the file) beside a style of the
/// feature's own: the style takes the element, the property goes with the data and
/// reads back as it was.
#[test]
fn a_styleurl_property_beside_an_own_style_is_written_as_data() {
    let (doc, _) = crate::geojson::read(
        &br##"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},
        "properties":{"marker-color":"#ff0000","styleUrl":"other.kml#s"}}"##[..],
    )
    .expect("geojson");
    let mut out = Vec::new();
    let diags = super::write(&doc, &mut out, &Default::default()).expect("kml");
    assert!(diags.is_empty(), "{diags:?}");
    let (back, _) = super::read(&out[..]).expect("kml");
    assert_eq!(
        back.features[0].properties["styleUrl"],
        json!("other.kml#s")
    );
    assert_eq!(
        back.features[0].style.marker_color.as_deref(),
        Some("#ff0000")
    );
}
