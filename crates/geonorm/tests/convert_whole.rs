//! `convert` of what needs the document whole (fixing, keeping a GeoJSON root,
//! cutting long lines) is the library's, not each caller's: the output is what
//! reading whole, fixing and writing gives, the report says what was fixed rather than
//! the findings the fixes mend, and a document that cannot be read writes nothing —
//! from bytes and from a reader alike.

use geonorm::validate::Converted;
use geonorm::{convert, ConvertOptions, Format, ReadOptions};

const OPEN_RING: &[u8] = br#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"title":"Field"},"geometry":{"type":"Polygon","coordinates":[[[8,46],[9,46],[9,47],[8,47]]]}}]}"#;

fn run(input: &[u8], opts: &ConvertOptions, from_reader: bool) -> (Converted, Vec<u8>) {
    let mut out = Vec::new();
    let source = if from_reader {
        geonorm::Input::reader(std::io::Cursor::new(input.to_vec()))
    } else {
        input.into()
    };
    let done = convert(source, &mut out, opts).expect("convert");
    (done, out)
}

fn codes(done: &Converted) -> Vec<&'static str> {
    done.diagnostics().iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn fixing_writes_the_fixed_document_and_says_what_was_fixed() {
    let opts = ConvertOptions {
        fix: true,
        ..ConvertOptions::to(Format::GeoJson)
    };
    // What reading whole, fixing and writing gives.
    let mut doc = geonorm::read(OPEN_RING, &ReadOptions::default())
        .expect("read")
        .document;
    geonorm::fix::fix(&mut doc);
    let mut expected = Vec::new();
    geonorm::write(&doc, Format::GeoJson, &mut expected, &Default::default()).expect("write");
    for from_reader in [false, true] {
        let (done, out) = run(OPEN_RING, &opts, from_reader);
        assert!(done.complete);
        assert_eq!(out, expected);
        assert_eq!(
            codes(&done),
            ["fix/closed-ring"],
            "{:?}",
            done.diagnostics()
        );
    }
    // Without fixing, the check's finding stands and the ring is written as read.
    let (done, out) = run(OPEN_RING, &ConvertOptions::to(Format::GeoJson), false);
    assert!(codes(&done).contains(&"geometry/ring-not-closed"));
    assert_ne!(out, expected);
}

#[test]
fn a_kept_root_is_written_as_it_was() {
    let feature = br#"{"type":"Feature","properties":{"title":"Hut"},"geometry":{"type":"Point","coordinates":[8.25,46.5]}}"#;
    let mut opts = ConvertOptions::to(Format::GeoJson);
    opts.write.geojson.keep_root = true;
    let (done, out) = run(feature, &opts, false);
    assert!(done.complete);
    let written: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(written["type"], "Feature");
    // Kept as it was, the root is still what MapHub refuses: said as check says it.
    let not_collection = done
        .diagnostics()
        .into_iter()
        .find(|d| d.code.as_str() == "maphub/not-collection")
        .expect("maphub/not-collection");
    assert_eq!(not_collection.severity, geonorm::Severity::Error);
    // Wrapped, it is what writing mended.
    let (done, out) = run(feature, &ConvertOptions::to(Format::GeoJson), false);
    let written: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(written["type"], "FeatureCollection");
    assert!(!done.report.has_errors(), "{:?}", done.diagnostics());
}

#[test]
fn a_document_that_cannot_be_read_writes_nothing() {
    let broken = br#"{"type":"FeatureCollection","features":[{"type":"Feature""#;
    for fix in [false, true] {
        let opts = ConvertOptions {
            fix,
            ..ConvertOptions::to(Format::Kml)
        };
        for from_reader in [false, true] {
            let (done, out) = run(broken, &opts, from_reader);
            assert!(!done.complete);
            assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
            assert_eq!(codes(&done), ["json/syntax"]);
        }
    }
}
