//! `convert` of what needs the document whole (fixing, keeping a GeoJSON root,
//! cutting long lines) is the library's, not each caller's: the output is what
//! reading whole, fixing and writing gives, the report says what was fixed rather than
//! the findings the fixes mend, and a document that cannot be read writes nothing —
//! from bytes and from a reader alike.

use std::io::{Read, Seek};

use geonorm::validate::Converted;
use geonorm::{convert, ConvertOptions, Format, ReadOptions};

mod common;

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

/// An input that counts the bytes read from it, seekable or not.
struct Counting<'a> {
    inner: std::io::Cursor<&'a [u8]>,
    read: &'a std::cell::Cell<u64>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

impl Seek for Counting<'_> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// What a conversion gave: complete, its diagnostics, its output.
type Outcome = (bool, Vec<geonorm::Diagnostic>, Vec<u8>);

/// Converts `bytes` given as `how` (0: bytes, 1: a seekable file, 2: a stream); the
/// outcome and the bytes read from the input.
fn counted(bytes: &[u8], opts: &ConvertOptions, how: u8) -> (Outcome, u64) {
    let read = std::cell::Cell::new(0);
    let mut file = Counting {
        inner: std::io::Cursor::new(bytes),
        read: &read,
    };
    let input = match how {
        0 => geonorm::Input::Bytes(bytes),
        1 => geonorm::Input::Seekable(&mut file),
        _ => geonorm::Input::reader(std::io::BufReader::new(Counting {
            inner: std::io::Cursor::new(bytes),
            read: &read,
        })),
    };
    let mut out = Vec::new();
    let done = convert(input, &mut out, opts).expect("convert");
    ((done.complete, done.diagnostics(), out), read.get())
}

/// The whole conversion (fixing, cutting long lines, keeping a GeoJSON root) reads its
/// input once, the check keeping the document it reads: from a seekable file, no
/// byte is read twice but the head its format is told from (none when the format is
/// given), and a stream is read once, as it comes; and the outcome is the one of the
/// input given as bytes, on every map file of testdata.
#[test]
fn the_whole_conversion_reads_its_input_once() {
    let whole = [
        ConvertOptions {
            fix: true,
            ..ConvertOptions::to(Format::GeoJson)
        },
        ConvertOptions {
            split_long_lines: true,
            ..ConvertOptions::to(Format::Kml)
        },
        ConvertOptions {
            write: geonorm::WriteOptions::with_precision(None, true),
            ..ConvertOptions::to(Format::GeoJson)
        },
    ];
    let mut compared = 0;
    for p in common::testdata_files(&["kml", "kmz", "gpx", "geojson", "json"], 200) {
        let bytes = std::fs::read(&p).expect("testdata");
        let what = p.display();
        let len = bytes.len() as u64;
        let kmz = Format::detect(&bytes, Some(&p)) == Some(Format::Kmz);
        for (i, opts) in whole.iter().enumerate() {
            let mut opts = opts.clone();
            opts.check.read.name = Some(p.clone());
            let (reference, _) = counted(&bytes, &opts, 0);
            let (seekable, from_file) = counted(&bytes, &opts, 1);
            let (streamed, from_stream) = counted(&bytes, &opts, 2);
            assert_eq!(seekable, reference, "{what}, options {i}: seekable");
            assert_eq!(streamed, reference, "{what}, options {i}: stream");
            assert!(
                from_stream <= len,
                "{what}: {from_stream} bytes of {len} read"
            );
            if !kmz {
                // Told from its head (and its name): the head read, then the file.
                assert!(from_file <= len + 8192, "{what}: {from_file} of {len} read");
                opts.check.read.format = Format::detect(&bytes, Some(&p));
                if opts.check.read.format.is_some() {
                    let (_, from_file) = counted(&bytes, &opts, 1);
                    assert!(from_file <= len, "{what}: {from_file} bytes of {len} read");
                }
            }
            compared += 1;
        }
    }
    assert!(compared > 600, "{compared} conversions compared");
}
