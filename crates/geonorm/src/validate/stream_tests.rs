//! KML, KMZ and GPX checked as a stream say what the document read whole says, in the same
//! order, for any number of threads.

use super::*;

const PROFILES: [Profile; 3] = [Profile::Maphub, Profile::Enterprise, Profile::Rfc7946];

/// The stream's findings on `bytes`, in the report's order.
fn streamed(bytes: &[u8], format: Format, profile: Profile, threads: usize) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_stream(bytes, format, profile, threads, &mut out).expect("read from memory");
    sort(&mut out);
    out
}

/// The document read whole, then checked (as KMZ still is), in the report's order.
fn whole(bytes: &[u8], format: Format, profile: Profile) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_document(bytes, format, profile, &mut out);
    sort(&mut out);
    out
}

#[test]
fn a_stream_says_what_the_whole_document_says() {
    let mut compared = 0;
    for path in crate::testdata::files(&["kml", "gpx", "kmz"]) {
        let bytes = std::fs::read(&path).expect("read");
        let Some(format @ (Format::Kml | Format::Gpx | Format::Kmz)) =
            Format::detect(&bytes, Some(&path))
        else {
            continue;
        };
        for profile in PROFILES {
            let expected = whole(&bytes, format, profile);
            for threads in [1, 3] {
                assert_eq!(
                    streamed(&bytes, format, profile, threads),
                    expected,
                    "{} ({profile:?}, {threads} threads)",
                    path.display()
                );
            }
        }
        compared += 1;
    }
    assert!(compared > 100, "compared only {compared} files");
}

/// A KML Placemark without geometry whose only warning is known at the end of the
/// document (a schema it names is missing; a forbidden character in its text).
#[test]
fn a_missing_geometry_explained_by_a_finding_about_the_whole_document() {
    let cases: [&[u8]; 2] = [
        br##"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>A</name><ExtendedData><SchemaData schemaUrl="#nope"><SimpleData name="x">1</SimpleData></SchemaData></ExtendedData></Placemark>
<Placemark><name>B</name></Placemark>
</Document></kml>"##,
        b"<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>
<Placemark><name>A\x01</name></Placemark>
<Placemark><name>B</name></Placemark>
</Document></kml>",
    ];
    for kml in cases {
        let report = check(kml, None, &CheckOptions::default());
        let missing: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::GeometryMissing)
            .collect();
        // Only B's: A's was explained by what the end of the document said.
        assert_eq!(missing.len(), 1, "{:#?}", report.diagnostics);
        let b = memchr::memmem::find(kml, b"<Placemark><name>B").expect("B");
        assert_eq!(missing[0].span.map(|s| s.start), Some(b));
        let explained = report
            .diagnostics
            .iter()
            .any(|d| d.code == Code::KmlMissingSchema || d.code == Code::XmlForbiddenChar);
        assert!(explained, "{:#?}", report.diagnostics);
        assert_eq!(
            report.diagnostics,
            check_reader_threads(kml, None, &CheckOptions::default(), 2)
                .expect("read from memory")
                .diagnostics
        );
    }
}

/// A file that stops the reader early is still measured whole: over the limit, it says
/// so beside the syntax error, as when it was read whole first.
#[test]
fn a_broken_file_is_measured_whole() {
    let mut kml =
        b"<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document><Placemark></Document>".to_vec();
    kml.resize(MAPHUB_MAX_UPLOAD_BYTES as usize + 10, b' ');
    let report = check_reader(&kml[..], None, &CheckOptions::default()).expect("read");
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["xml/syntax", "maphub/too-large"]);
    assert_eq!(
        report.diagnostics,
        check(&kml, None, &CheckOptions::default()).diagnostics
    );
}

#[test]
fn dropping_indices_keeps_the_others_in_order() {
    let mut v: Vec<u32> = (0..8).collect();
    drop_indices(&mut v, &[0, 3, 4, 7]);
    assert_eq!(v, [1, 2, 5, 6]);
    drop_indices(&mut v, &[]);
    assert_eq!(v, [1, 2, 5, 6]);
}
