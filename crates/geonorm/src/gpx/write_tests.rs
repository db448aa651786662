//! The GPX writer on route and track points' own fields, one behaviour each.

use super::{read, write, ReadOptions};
use crate::{Diagnostic, Document};

fn gpx(text: &[u8]) -> Document {
    read(text, &ReadOptions::default()).expect("readable").0
}

fn write_gpx(doc: &Document) -> (String, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let diags = write(doc, &mut out, &Default::default()).expect("gpx");
    (String::from_utf8(out).expect("utf8"), diags)
}

/// A BaseCamp route (as in testdata/gpx/gpsbabel/basecamp.gpx) whose points have names,
/// symbols, comments and fix precision: the points' fields go back in the schema's
/// order and read back the same; only the text extension, which GPX has no element
/// for, is reported, by name and at the route.
#[test]
fn a_route_points_own_fields_go_back_to_their_elements() {
    let doc = gpx(br#"<gpx><rte><name>Nederland</name>
        <rtept lat="39.97" lon="-105.46"><time>2013-03-09T20:45:12Z</time><magvar>4</magvar>
          <geoidheight>-20.5</geoidheight><name>Hwy 119</name>
          <cmt>turn</cmt><desc>left</desc><sym>Flag, Blue</sym><type>via</type><fix>3d</fix>
          <sat>7</sat><hdop>1.5</hdop><vdop>2</vdop><pdop>2.5</pdop><ageofdgpsdata>3</ageofdgpsdata>
          <dgpsid>12</dgpsid>
          <extensions><trp:ViaPoint xmlns:trp="http://www.garmin.com/xmlschemas/TripExtensions/v1">
          <trp:CalculationMode>FasterTime</trp:CalculationMode></trp:ViaPoint></extensions></rtept>
        <rtept lat="40.00" lon="-105.49"><sym>Pin</sym></rtept>
        <rtept lat="40.01" lon="-105.50"><name>Hwy 72</name><sym>Flag, Blue</sym></rtept>
      </rte></gpx>"#);
    let (text, diags) = write_gpx(&doc);
    assert!(
        text.contains(concat!(
            r#"<rtept lat="39.97" lon="-105.46"><time>2013-03-09T20:45:12Z</time>"#,
            "<magvar>4</magvar><geoidheight>-20.5</geoidheight><name>Hwy 119</name>",
            "<cmt>turn</cmt><desc>left</desc><sym>Flag, Blue</sym><type>via</type><fix>3d</fix>",
            "<sat>7</sat><hdop>1.5</hdop><vdop>2</vdop><pdop>2.5</pdop>",
            "<ageofdgpsdata>3</ageofdgpsdata><dgpsid>12</dgpsid></rtept>"
        )),
        "{text}"
    );
    assert!(
        text.contains(r#"<rtept lat="40" lon="-105.49"><sym>Pin</sym></rtept>"#),
        "{text}"
    );
    let msgs: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        ["per-vertex `CalculationModes` has no GPX form; not written"],
        "{diags:?}"
    );
    assert_eq!(diags[0].span, Some(doc.features[0].span));
    let back = gpx(text.as_bytes());
    assert_eq!(back.features.len(), 1);
    let (mut a, mut b) = (doc.features[0].clone(), back.features[0].clone());
    a.span = Default::default();
    b.span = Default::default();
    let Some(crate::Geometry::LineString(c)) = &mut a.geometry else {
        panic!("a route: {:?}", a.geometry);
    };
    // All but the reported column come back as they were.
    let kept: Vec<crate::Column> = c
        .columns()
        .iter()
        .filter(|col| col.name != "CalculationModes")
        .cloned()
        .collect();
    let mut line: crate::Coords = c.iter().collect();
    for col in kept {
        line.set_column(col).expect("same length");
    }
    *c = line;
    assert_eq!(a, b);
}

/// A per-point value GPX types as a number that is no number is reported by its
/// column's name at its feature, and not written; the values that are numbers are.
#[test]
fn a_per_point_value_that_is_no_number_is_reported_not_written() {
    let (doc, _) = crate::geojson::read(
        &br#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]},
        "properties":{"coordinateProperties":{"hdops":["1.5","bad"],"names":["a",null]}}}"#[..],
    )
    .expect("geojson");
    let (text, diags) = write_gpx(&doc);
    assert!(
        text.contains(r#"<trkpt lat="2" lon="1"><name>a</name><hdop>1.5</hdop></trkpt><trkpt lat="4" lon="3"></trkpt>"#),
        "{text}"
    );
    assert!(!text.contains("bad"), "{text}");
    let bad: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.message.contains("`hdops`"))
        .collect();
    assert_eq!(bad.len(), 1, "{diags:?}");
    assert_eq!(
        bad[0].message,
        "per-vertex `hdops` value that is not a number has no GPX form; not written"
    );
    assert_eq!(bad[0].span, Some(doc.features[0].span));
}

/// A loss met at several features is one diagnostic, at the first of them, with how
/// many features had it.
#[test]
fn a_loss_at_several_features_stands_at_the_first_with_a_count() {
    let (doc, _) = crate::geojson::read(
        &br#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"a":1,"sym":true}},
        {"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[[1,2],[3,4]]},"properties":{"a":2}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"a":3}}]}"#[..],
    )
    .expect("geojson");
    let (_, diags) = write_gpx(&doc);
    let a: Vec<&Diagnostic> = diags.iter().filter(|d| d.message.contains("`a`")).collect();
    assert_eq!(a.len(), 1, "{diags:?}");
    assert_eq!(
        a[0].message,
        "property `a` has no GPX form; not written (3 times)"
    );
    assert_eq!(a[0].span, Some(doc.features[0].span));
    // A value of a field GPX has, of a type it has not, is named too.
    assert!(
        diags.iter().any(|d| d
            .message
            .contains("property `sym` that is not text or a number")
            && d.span == Some(doc.features[0].span)),
        "{diags:?}"
    );
}
