//! Reading without holding the document: the readers hand each feature, in order, to
//! whoever asked, and memory holds one batch of the input, whatever its size. Pieces
//! of a batch (GeoJSON features, KML Placemarks, GPX tracks, routes and waypoints) are
//! parsed on several threads with the `parallel` feature, and what becomes of each
//! feature ([`FeatureSink::map`]) runs on the thread that read it; the results come
//! back in the file's order, the same for any number of threads.

use std::io::{BufRead, Write};

use crate::{Diagnostic, Feature, Format, Group, Metadata, Result};

/// What becomes of each feature a streaming reader reads.
pub trait FeatureSink: Sync {
    /// What a feature becomes.
    type Out: Send;
    /// Turns one feature into what the caller keeps, saying in `diagnostics` what was
    /// lost on the way. Runs on the thread that read the feature.
    fn map(&self, feature: Feature, diagnostics: &mut Vec<Diagnostic>) -> Result<Self::Out>;
}

/// Keeps each feature as read.
pub struct Keep;

impl FeatureSink for Keep {
    type Out = Feature;
    fn map(&self, feature: Feature, _: &mut Vec<Diagnostic>) -> Result<Feature> {
        Ok(feature)
    }
}

/// Serialises each feature as the MapHub GeoJSON writer writes it.
pub(crate) struct GeoJsonBytes {
    pub precision: Option<u8>,
}

impl FeatureSink for GeoJsonBytes {
    type Out = Vec<u8>;
    fn map(&self, feature: Feature, diagnostics: &mut Vec<Diagnostic>) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(256);
        crate::geojson::write::feature_bytes(&mut out, &feature, self.precision, diagnostics)?;
        Ok(out)
    }
}

/// What a streaming reader gives back once the features have gone by: the
/// document's data, its groups, and every diagnostic.
pub type Rest = (Metadata, Vec<Group>, Vec<Diagnostic>);

/// Reads a KML or GPX document as a stream: each feature goes through `sink` (on the
/// thread that read it) and then, in the file's order, to `emit`, with the diagnostics
/// its reading raised (those are also in what is returned).
pub fn features<R, S, E>(
    input: R,
    format: Format,
    opts: &crate::ReadOptions,
    threads: usize,
    sink: &S,
    emit: E,
) -> Result<Rest>
where
    R: BufRead,
    S: FeatureSink,
    E: FnMut(S::Out, &[Diagnostic]) -> Result<()>,
{
    match format {
        Format::Kml => crate::kml::stream(input, threads, sink, emit),
        Format::Gpx => crate::gpx::stream(input, &opts.gpx, threads, sink, emit),
        other => Err(crate::Error::UnsupportedRead(other)),
    }
}

/// Converts a GeoJSON, KML or GPX document to MapHub GeoJSON in `output` without
/// holding it: features are read and written in batches, on `threads` threads with the
/// `parallel` feature, and the output is the same for any number of threads. Returns
/// what reading and writing found.
///
/// ```
/// let kml = br#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
///   <Placemark><name>Hut</name><Point><coordinates>8.25,46.5</coordinates></Point></Placemark>
/// </Document></kml>"#;
/// let mut out = Vec::new();
/// let opts = geonorm::ReadOptions::format(geonorm::Format::Kml);
/// let diags = geonorm::stream::to_geojson(&kml[..], &opts, &mut out, &Default::default(), 2)?;
/// assert!(diags.is_empty());
/// assert!(String::from_utf8(out).unwrap().contains(r#""title":"Hut""#));
/// # Ok::<(), geonorm::Error>(())
/// ```
pub fn to_geojson<R: BufRead, W: Write>(
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
    if format == Format::GeoJson {
        return crate::geojson::convert(input, output, write, threads);
    }
    let mut w = crate::geojson::Writer::new(output, write.clone());
    let sink = GeoJsonBytes {
        precision: write.precision,
    };
    let (meta, groups, mut diags) = features(input, format, opts, threads, &sink, |bytes, _| {
        w.write_serialised(&bytes, 1)
    })?;
    let (_, mut written) = w.finish(&meta, &groups)?;
    diags.append(&mut written);
    Ok(diags)
}
