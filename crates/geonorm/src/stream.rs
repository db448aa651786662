//! Reading without holding the document: the readers hand each feature, in order, to
//! whoever asked, and memory holds one batch of the input, whatever its size. Pieces
//! of a batch (GeoJSON features, KML Placemarks, GPX tracks, routes and waypoints) are
//! parsed on several threads with the `parallel` feature, and what becomes of each
//! feature ([`FeatureSink::map`]) runs on the thread that read it; the results come
//! back in the file's order, the same for any number of threads.

use std::io::BufRead;

mod sink;

pub(crate) use sink::{collect, map_in_order, overlap, overlapping, Pace, BATCH};
pub use sink::{AsRead, FeatureSink, Handed, KmzContents, ReadChecks, ReadSeek, StreamEnd};

use crate::{Diagnostic, Format, Result};

/// Reads a document of `opts.format` as a stream ([`crate::stream()`]); a KMZ is read
/// from `archive` when there is one (never held), else from `input`.
pub(crate) fn features_in<R, S, E>(
    input: R,
    archive: Option<&mut dyn ReadSeek>,
    opts: &crate::ReadOptions,
    sink: &S,
    emit: E,
) -> Result<StreamEnd>
where
    R: BufRead,
    S: FeatureSink,
    E: FnMut(S::Out, &[Diagnostic]) -> Result<()>,
{
    let Some(format) = opts.format else {
        return Err(crate::Error::Undetected);
    };
    let pace = opts.pace();
    #[cfg(feature = "kmz")]
    if let (Format::Kmz, Some(archive)) = (format, archive) {
        return crate::kmz::stream(archive, &opts.kmz, pace, sink, emit);
    }
    #[cfg(not(feature = "kmz"))]
    let _ = archive;
    let mut input = input;
    crate::refuse_binary(input.fill_buf()?, format)?;
    match format {
        Format::GeoJson => crate::geojson::stream(input, pace, sink, emit),
        Format::Kml => crate::kml::stream(input, pace, sink, emit),
        Format::Gpx => crate::gpx::stream(input, &opts.gpx, pace, sink, emit),
        #[cfg(feature = "kmz")]
        Format::Kmz => {
            // A zip is read from its end: the archive (compressed, so small) is held;
            // its KML is decompressed as it is read.
            let cursor = std::io::Cursor::new(crate::kmz::hold(input, &opts.kmz)?);
            crate::kmz::stream(cursor, &opts.kmz, pace, sink, emit)
        }
        #[allow(unreachable_patterns)]
        other => Err(crate::Error::UnsupportedRead(other)),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! The stream gives the same bytes and the same diagnostics whatever the number of
    //! threads and wherever the batches are cut, and the same as writing the document
    //! [`crate::read`] reads: on every testdata file and on random documents.

    use std::io::{BufRead, Write};

    use proptest::prelude::*;

    use super::{features_in, FeatureSink};
    use crate::{Diagnostic, Feature, Format, ReadOptions, Result};

    /// Serialises each feature as the MapHub GeoJSON writer writes it.
    struct GeoJsonBytes {
        opts: crate::geojson::WriteOptions,
    }

    impl FeatureSink for GeoJsonBytes {
        type Out = Vec<u8>;
        fn map(&self, feature: Feature, diagnostics: &mut Vec<Diagnostic>) -> Result<Vec<u8>> {
            let mut out = Vec::with_capacity(256);
            crate::geojson::write::feature_bytes(&mut out, &feature, &self.opts, diagnostics)?;
            Ok(out)
        }
    }

    /// Converts a GeoJSON, KML, KMZ or GPX document to MapHub GeoJSON in `output` without
    /// holding it, and without checking it (the tests' reference for the stream): features
    /// are read and written in batches, on `threads` threads with the `parallel` feature,
    /// and the output is the same for any number of threads. Returns what reading and
    /// writing found.
    pub(crate) fn to_geojson<R: BufRead, W: Write>(
        mut input: R,
        opts: &crate::ReadOptions,
        output: W,
        write: &crate::geojson::WriteOptions,
        threads: usize,
    ) -> Result<Vec<Diagnostic>> {
        let format = match opts.format {
            Some(f) => f,
            None => {
                let head = input.fill_buf()?;
                Format::detect(head, opts.name.as_deref()).ok_or(crate::Error::Undetected)?
            }
        };
        let mut w = crate::geojson::Writer::new(output, write.clone());
        // As `convert` writes it: rings wound as GeoJSON wants from another format.
        let all = crate::WriteOptions {
            geojson: write.clone(),
            ..Default::default()
        };
        let sink = GeoJsonBytes {
            opts: all.for_conversion(Some(format), Format::GeoJson).geojson,
        };
        let read = crate::ReadOptions {
            format: Some(format),
            threads,
            ..opts.clone()
        };
        let super::StreamEnd {
            meta,
            groups,
            diagnostics: mut diags,
            ..
        } = features_in(input, None, &read, &sink, |bytes, _| {
            w.write_serialised(&bytes, 1)
        })?;
        let (_, mut written) = w.finish(&meta, &groups)?;
        diags.append(&mut written);
        Ok(diags)
    }

    /// Output, or the error's text, and the diagnostics in a stable order.
    type Outcome = (std::result::Result<Vec<u8>, String>, Vec<String>);

    fn streamed(bytes: &[u8], format: Format, threads: usize, batch: usize) -> Outcome {
        let mut out = Vec::new();
        let read = ReadOptions {
            batch_bytes: batch,
            ..ReadOptions::format(format)
        };
        let result = to_geojson(bytes, &read, &mut out, &Default::default(), threads);
        match result {
            Ok(diags) => (Ok(out), sorted(&diags)),
            Err(e) => (Err(e.to_string()), Vec::new()),
        }
    }

    fn whole(bytes: &[u8], format: Format) -> Outcome {
        let parsed = match crate::read(bytes, &ReadOptions::format(format)) {
            Ok(p) => p,
            Err(e) => return (Err(e.to_string()), Vec::new()),
        };
        let mut out = Vec::new();
        let mut diags = parsed.diagnostics;
        match crate::write(
            &parsed.document,
            Format::GeoJson,
            &mut out,
            &Default::default(),
        ) {
            Ok(written) => diags.extend(written),
            Err(e) => return (Err(e.to_string()), Vec::new()),
        }
        (Ok(out), sorted(&diags))
    }

    fn sorted(diags: &[crate::Diagnostic]) -> Vec<String> {
        let mut v: Vec<String> = diags
            .iter()
            .map(|d| format!("{:?} {} {}", d.span, d.code.as_str(), d.message))
            .collect();
        v.sort();
        v
    }

    /// Every way of streaming `bytes` agrees with one thread in one batch, and that
    /// with writing the document read whole.
    fn agree(bytes: &[u8], format: Format, what: &str) {
        let one = streamed(bytes, format, 1, usize::MAX);
        assert_eq!(
            one,
            whole(bytes, format),
            "{what}: stream against whole document"
        );
        for (threads, batch) in [(4, usize::MAX), (1, 1), (4, 1), (3, 700)] {
            assert_eq!(
                one,
                streamed(bytes, format, threads, batch),
                "{what}: {threads} threads, batches of {batch} bytes"
            );
        }
    }

    /// GeoJSON through the common stream: [`crate::read`] on any threads and batches
    /// gives what reading one feature at a time on one thread gives (sorted as `read`
    /// sorts), and the stream's output is the same on 1 and 3 threads.
    fn geojson_agrees(bytes: &[u8], what: &str) {
        let reference = crate::geojson::read::stream_tests::read_one_by_one(bytes)
            .map(|(doc, mut diags)| {
                Diagnostic::sort_by_position(&mut diags);
                (doc, diags)
            })
            .map_err(|e| e.to_string());
        for (threads, batch) in [(1, 0), (3, 1), (3, 700), (2, 0)] {
            let opts = ReadOptions {
                threads,
                batch_bytes: batch,
                ..ReadOptions::format(Format::GeoJson)
            };
            let read = crate::read(bytes, &opts)
                .map(|p| p.into_parts())
                .map_err(|e| e.to_string());
            assert_eq!(
                read, reference,
                "{what}: read on {threads} threads, batches of {batch}"
            );
        }
        for batch in [usize::MAX, 1, 700] {
            let one = streamed(bytes, Format::GeoJson, 1, batch);
            let other = streamed(bytes, Format::GeoJson, 3, batch);
            assert_eq!(one, other, "{what}: 3 threads, batches of {batch}");
        }
    }

    #[test]
    fn every_testdata_file_streams_as_it_reads_whole() {
        let mut seen = [0usize; 3];
        for p in crate::testdata::files(&["kml", "gpx", "geojson", "json"]) {
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            let what = p.display().to_string();
            match p.extension().and_then(|e| e.to_str()) {
                Some("kml") => {
                    seen[0] += 1;
                    agree(&bytes, Format::Kml, &what);
                }
                Some("gpx") => {
                    seen[1] += 1;
                    agree(&bytes, Format::Gpx, &what);
                }
                _ => {
                    // A GeoJSON stream links a group named by title (or string id)
                    // only when it is declared before the feature (a feature handed on
                    // keeps the name, which MapHub resolves too), so its output is not
                    // that of the document read whole: it is held to reading one
                    // feature at a time, and to itself on other threads.
                    seen[2] += 1;
                    geojson_agrees(&bytes, &what);
                }
            }
        }
        // The walk found the corpus (a moved folder must not pass for a green test).
        assert!(
            seen.iter().all(|&n| n > 50),
            "KML, GPX, GeoJSON seen: {seen:?}"
        );
    }

    /// KML with shared styles defined before, between and after the placemarks that
    /// use them (and some never), nested folders, schemas, and broken pieces.
    fn kml_doc() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => (0u8..6, 0u8..4, -90i32..90, any::<bool>()).prop_map(|(style, kind, v, data)| {
                let url = match kind {
                    0 => format!("#s{style}"),
                    1 => format!("#m{style}"),
                    2 => "other.kml#x".to_string(),
                    _ => String::new(),
                };
                let style = if url.is_empty() { String::new() } else { format!("<styleUrl>{url}</styleUrl>") };
                let data = if data {
                    format!("<ExtendedData><SchemaData schemaUrl=\"#t\"><SimpleData name=\"n\">{v}</SimpleData></SchemaData><Data name=\"d\"><value>x &amp; y &nbsp;</value></Data></ExtendedData>")
                } else {
                    String::new()
                };
                format!("<Placemark><name>p {v}</name>{style}{data}<Point><coordinates>{v}.5,{}.25</coordinates></Point></Placemark>", v / 2)
            }),
            1 => (0u8..6, 0u32..0xffffff).prop_map(|(i, c)| format!("<Style id=\"s{i}\"><LineStyle><color>ff{c:06x}</color></LineStyle></Style>")),
            1 => (0u8..6, 0u8..6).prop_map(|(i, j)| format!("<StyleMap id=\"m{i}\"><Pair><key>normal</key><styleUrl>#s{j}</styleUrl></Pair><Pair><key>highlight</key><styleUrl>#s{j}</styleUrl></Pair></StyleMap>")),
            1 => Just("<Schema id=\"t\"><SimpleField name=\"n\" type=\"int\"/></Schema>".to_string()),
            1 => Just("<Folder><name>f</name>".to_string()),
            1 => Just("</Folder>".to_string()),
            1 => Just("<Placemark><LineString><coordinates>1,2 3,4 5,6,7</coordinates></LineString><atom:link/></Placemark>".to_string()),
            1 => Just("<GroundOverlay><name>g</name></GroundOverlay>".to_string()),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| {
            // Folders closed as opened, so that most documents are well formed.
            let mut depth = 0usize;
            let mut body = String::new();
            for p in pieces {
                if p == "</Folder>" {
                    if depth == 0 {
                        continue;
                    }
                    depth -= 1;
                } else if p.starts_with("<Folder>") {
                    depth += 1;
                }
                body.push_str(&p);
                body.push('\n');
            }
            body.push_str(&"</Folder>".repeat(depth));
            format!("<kml xmlns=\"http://www.opengis.net/kml/2.2\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><Document><name>d</name>\n{body}</Document></kml>")
        })
    }

    fn gpx_doc() -> impl Strategy<Value = String> {
        let point = |tag: &'static str| {
            (-90i32..90, 0u8..4).prop_map(move |(v, k)| match k {
                0 => format!("<{tag} lat=\"{v}.5\" lon=\"x\"/>"),
                1 => format!("<{tag} lat=\"{v}.5\" lon=\"{v}\"><time>bad</time></{tag}>"),
                _ => format!("<{tag} lat=\"{v}.5\" lon=\"{v}\"><ele>{v}</ele><time>2024-01-01T00:00:{:02}Z</time><extensions><hr>{}</hr></extensions></{tag}>", v.unsigned_abs() % 60, 100 + v),
            })
        };
        let piece = prop_oneof![
            2 => point("wpt"),
            2 => prop::collection::vec(point("rtept"), 0..5).prop_map(|ps| format!("<rte><name>r</name>{}</rte>", ps.concat())),
            3 => prop::collection::vec(prop::collection::vec(point("trkpt"), 0..6), 0..3).prop_map(|segs| {
                let segs: String = segs.iter().map(|s| format!("<trkseg>{}</trkseg>", s.concat())).collect();
                format!("<trk><name>t</name><wpt lat=\"1\" lon=\"2\"/>{segs}</trk>")
            }),
            1 => Just("<metadata><name>m</name><time></time></metadata>".to_string()),
            1 => Just("<bogus>1</bogus>".to_string()),
        ];
        prop::collection::vec(piece, 0..30).prop_map(|pieces| {
            format!(
                "<gpx version=\"1.1\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n{}\n</gpx>",
                pieces.join("\n")
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn random_kml_streams_the_same_however_it_is_cut(doc in kml_doc(), cut in 0usize..100) {
            agree(doc.as_bytes(), Format::Kml, &doc);
            // A file cut short fails the same way, however it is read.
            let short = &doc.as_bytes()[..doc.len() * cut / 100];
            agree(short, Format::Kml, "a cut KML");
        }

        #[test]
        fn random_geojson_streams_the_same_however_it_is_cut(
            doc in crate::geojson::read::stream_tests::geojson_doc(),
            cut in 0usize..100,
        ) {
            let short = &doc.as_bytes()[..doc.len() * cut / 100];
            for bytes in [doc.as_bytes(), short] {
                geojson_agrees(bytes, &doc);
            }
        }

        #[test]
        fn random_gpx_streams_the_same_however_it_is_cut(doc in gpx_doc(), cut in 0usize..100) {
            agree(doc.as_bytes(), Format::Gpx, &doc);
            let short = &doc.as_bytes()[..doc.len() * cut / 100];
            agree(short, Format::Gpx, "a cut GPX");
        }
    }
}
