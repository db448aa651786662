//! Mutants that the invariant and parity suites let live (benches/mutants.sh; the run
//! and each mutant are in docs/testing.md), killed here: each test pins one value a
//! reader or writer must keep, which a mutant of that code silently lost.

use serde_json::{json, Value};

use geonorm::{Document, Feature};

fn kml(body: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>{body}</Document></kml>"#
    )
}

fn read_kml(text: &str) -> Document {
    geonorm::kml::read(text.as_bytes()).expect("readable").0
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
