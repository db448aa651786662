//! The verbs over a stream: [`check`], [`convert`] and, for embedders with a sink of
//! their own, [`stream`]. Each reads its input once: the features stream from the
//! reader (in batches, on the options' threads) through the rules into the sink — the
//! check report, a writer — so that `convert` says what `check` says. Memory holds a
//! batch of the input and the sink's bounded buffers, whatever the formats.

use std::io::Write;

use crate::source::{Input, Opened};
use crate::stream::{FeatureSink, Rest};
use crate::validate::{CheckOptions, Converted, Report};
use crate::{Diagnostic, Format, ReadOptions, Result, WriteOptions};

/// How to convert.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    /// The format written.
    pub to: Format,
    /// How each writer writes.
    pub write: WriteOptions,
    /// The rules the input is checked with as it is converted, and how it is read
    /// (its format and name, the readers' limits, the threads).
    pub check: CheckOptions,
    /// The folder a KML's relative references (icons, photos) are read from when a
    /// KMZ is written, which carries them: the KML file's own folder. `None`: nothing
    /// is read from disk, and each such reference is a diagnostic. A KMZ's own files
    /// are carried from its archive whatever this says. Nothing outside the folder is
    /// read (absolute paths, `..`, links leading out).
    pub kml_folder: Option<std::path::PathBuf>,
    /// Applies the safe fixes ([`crate::fix::fix`]) before writing. The document is
    /// then held whole, and the report says what reading met and what was fixed, not
    /// the rules' findings on the input that the fixes mend.
    pub fix: bool,
    /// Cuts each line over MapHub's limit per request into consecutive features under
    /// it ([`crate::split_long_lines`]); the document is held whole.
    pub split_long_lines: bool,
}

impl ConvertOptions {
    /// Options that write `to`, every other option at its default (one thread).
    pub fn to(to: Format) -> Self {
        ConvertOptions {
            to,
            write: WriteOptions::default(),
            check: CheckOptions::default(),
            kml_folder: None,
            fix: false,
            split_long_lines: false,
        }
    }
}

/// The input opened as `read` says, and `read` with the format a seekable KMZ was
/// found to be.
fn opened<'a>(input: Input<'a>, read: &ReadOptions) -> std::io::Result<(Opened<'a>, ReadOptions)> {
    let opened = input.open(read.format, read.name.as_deref())?;
    let mut read = read.clone();
    if opened.archive.is_some() {
        read.format = Some(Format::Kmz);
    }
    Ok((opened, read))
}

/// Checks a file before it is sent to MapHub: everything reading it reports, plus the
/// rules of the profile (RFC 7946 structure, geometry, MapHub's limits and dialect),
/// each finding with one code and one position. The file streams past, never held
/// whole (of a KMZ given as bytes in order, the archive is held: a zip is read from its
/// end); the report is the same for any number of threads. Fails only when `input`
/// does. See [`crate::validate`] for the rules.
///
/// ```
/// use geonorm::validate::CheckOptions;
/// let text = br#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[45.1, 120.5]}}]}"#;
/// let report = geonorm::check(text[..].into(), &CheckOptions::default())?;
/// assert_eq!(report.diagnostics[0].code.as_str(), "geometry/lat-out-of-range");
/// assert!(report.has_errors());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn check(input: Input<'_>, opts: &CheckOptions) -> std::io::Result<Report> {
    let (opened, read) = opened(input, &opts.read)?;
    let opts = CheckOptions {
        read,
        ..opts.clone()
    };
    let check_alone = crate::validate::NO_OUTPUT;
    let Opened {
        reader,
        mut archive,
        in_memory,
    } = opened;
    crate::validate::run(
        reader,
        archive
            .as_deref_mut()
            .map(|a| a as &mut dyn crate::stream::ReadSeek),
        &opts,
        check_alone,
        in_memory,
    )
}

/// Converts `input` into `output`, in `opts.to`, checking it as it is read: one read
/// of the input, the output the same for any number of threads (fixing, cutting long
/// lines and keeping a GeoJSON root hold the document whole instead: read, checked,
/// changed, then written). Otherwise no writer holds the document (KML, KMZ and GPX keep their parts in a spool, in memory and then in an
/// unnamed temporary file, until the end). Fails only when `input` or `output` does:
/// what the input holds that cannot be read is in the report, and then
/// [`Converted::complete`] is false and the output is not to be kept.
///
/// ```
/// use geonorm::{convert, ConvertOptions, Format};
/// let gpx = br#"<gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1">
///   <wpt lat="46.5" lon="8.25"><name>Hut</name></wpt></gpx>"#;
/// let mut kml = Vec::new();
/// let done = convert(gpx[..].into(), &mut kml, &ConvertOptions::to(Format::Kml))?;
/// assert!(done.complete);
/// assert!(done.diagnostics().is_empty());
/// assert!(String::from_utf8(kml).unwrap().contains("<name>Hut</name>"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn convert<W: Write>(
    input: Input<'_>,
    output: W,
    opts: &ConvertOptions,
) -> std::io::Result<Converted> {
    // What changes the document as a whole, or keeps a GeoJSON root, needs it whole.
    if opts.fix || opts.split_long_lines || opts.write.geojson.keep_root {
        let asked = crate::whole::Asked {
            to: opts.to,
            write: &opts.write,
            check: &opts.check,
            kml_folder: opts.kml_folder.as_deref(),
            fix: opts.fix,
            split_long_lines: opts.split_long_lines,
        };
        return crate::whole::convert(input, output, &asked);
    }
    let (opened, read) = opened(input, &opts.check.read)?;
    let check = CheckOptions {
        read,
        ..opts.check.clone()
    };
    let to = (opts.to, &opts.write);
    let folder = opts.kml_folder.as_deref();
    let Opened {
        reader,
        mut archive,
        ..
    } = opened;
    let archive = archive
        .as_deref_mut()
        .map(|a| a as &mut dyn crate::stream::ReadSeek);
    crate::validate::converted(reader, archive, &check, to, output, folder)
}

/// Reads a document as a stream, for embedders with a sink of their own: each feature
/// goes through `sink` (on the thread that read it, in batches on `opts.threads`
/// threads with the `parallel` feature) and then, in the file's order, to `emit`, with
/// the diagnostics its reading raised. Returns the document's data, its groups and
/// every diagnostic. Memory holds a batch of the input (a GeoJSON file is read one
/// feature at a time).
///
/// ```
/// use geonorm::{stream, stream::Keep, ReadOptions};
/// let kml = br#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
///   <Placemark><name>Hut</name><Point><coordinates>8.25,46.5</coordinates></Point></Placemark>
/// </Document></kml>"#;
/// let mut titles = Vec::new();
/// let rest = stream(kml[..].into(), &ReadOptions::default(), &Keep, |f, _| {
///     titles.push(f.title);
///     Ok(())
/// })?;
/// assert_eq!(titles, [Some("Hut".to_string())]);
/// assert!(rest.groups.is_empty() && rest.diagnostics.is_empty());
/// # Ok::<(), geonorm::Error>(())
/// ```
pub fn stream<S, E>(input: Input<'_>, opts: &ReadOptions, sink: &S, emit: E) -> Result<Rest>
where
    S: FeatureSink,
    E: FnMut(S::Out, &[Diagnostic]) -> Result<()>,
{
    let (opened, mut read) = opened(input, opts)?;
    let Opened {
        mut reader,
        mut archive,
        ..
    } = opened;
    if read.format.is_none() {
        let head = reader.fill_buf()?;
        read.format =
            Some(Format::detect(head, read.name.as_deref()).ok_or(crate::Error::Undetected)?);
    }
    crate::stream::features_in(
        reader,
        archive
            .as_deref_mut()
            .map(|a| a as &mut dyn crate::stream::ReadSeek),
        &read,
        sink,
        emit,
    )
}
