//! Checking while converting: [`check_convert`] writes the MapHub GeoJSON of what the
//! check reads, in the same read, so that `geonorm convert` says what `check` says.

use std::path::Path;

use super::{run, sort, CheckOptions, Report};
use crate::writer::{DocWriter, Part, PartMaker};
use crate::{Diagnostic, Error, Format};

/// What [`check_convert`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Converted {
    /// What [`check_reader_threads`] says of the same input.
    pub report: Report,
    /// What the MapHub GeoJSON could not hold of what was read.
    pub written: Vec<Diagnostic>,
    /// False when the input could not be read to its end (what stopped it is in the
    /// report): the output is then incomplete, and not to be kept.
    pub complete: bool,
}

impl Converted {
    /// The check's findings and the writer's, sorted by position.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut all = self.report.diagnostics.clone();
        all.extend(self.written.iter().cloned());
        sort(&mut all);
        all
    }
}

/// Converts a GeoJSON, KML, KMZ or GPX input to MapHub GeoJSON in `output` while
/// checking it, in one read: the output is byte for byte what
/// [`crate::stream::to_geojson`] writes, and the report what [`check_reader_threads`]
/// says of the same input, so that `convert` says what `check` says (plus what the
/// writer could not hold). Memory holds a batch of the input, as either does alone.
/// Fails only when `input` or `output` does.
///
/// ```
/// use geonorm::validate::{check_convert, CheckOptions};
/// let text = br#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[45.1, 120.5]}}]}"#;
/// let mut out = Vec::new();
/// let read = geonorm::ReadOptions::default();
/// let done = check_convert(&text[..], None, &CheckOptions::default(), &read, &mut out, &Default::default(), 2)?;
/// assert!(done.complete);
/// assert_eq!(done.report.diagnostics[0].code.as_str(), "geometry/lat-out-of-range");
/// assert!(String::from_utf8(out).unwrap().contains("[45.1,120.5]"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn check_convert<R: std::io::BufRead, W: std::io::Write>(
    input: R,
    path: Option<&Path>,
    opts: &CheckOptions,
    read: &crate::ReadOptions,
    output: W,
    write: &crate::geojson::WriteOptions,
    threads: usize,
) -> std::io::Result<Converted> {
    let read = crate::ReadOptions {
        format: opts.format.or(read.format),
        ..read.clone()
    };
    let write = geojson_options(write);
    converted(
        input,
        None,
        path,
        opts,
        &read,
        (Format::GeoJson, &write),
        output,
        threads,
    )
}

/// Every writer's options, the GeoJSON writer's being `write`.
fn geojson_options(write: &crate::geojson::WriteOptions) -> crate::WriteOptions {
    crate::WriteOptions {
        geojson: write.clone(),
        ..crate::WriteOptions::default()
    }
}

/// Converts `input` (or `archive`, a KMZ read where it is) to `to.0` written with
/// `to.1` and checks it, in one read: the one road of every conversion.
#[allow(clippy::too_many_arguments)]
pub(crate) fn converted<R: std::io::BufRead, W: std::io::Write>(
    input: R,
    archive: Option<&mut dyn crate::stream::ReadSeek>,
    path: Option<&Path>,
    opts: &CheckOptions,
    read: &crate::ReadOptions,
    to: (Format, &crate::WriteOptions),
    output: W,
    threads: usize,
) -> std::io::Result<Converted> {
    let mut out = Output::new(to.0, output, to.1).map_err(into_io)?;
    let report = run(input, archive, path, opts, read, threads, Some(&mut out))?;
    Ok(Converted {
        report,
        written: out.written,
        complete: out.complete,
    })
}

/// [`check_convert`] of a KMZ read where it is (`archive`, a `std::fs::File`): never
/// held in memory, as a KMZ given as a `BufRead` is (a zip is read from its end).
pub fn check_convert_archive<W: std::io::Write>(
    archive: &mut dyn crate::stream::ReadSeek,
    path: Option<&Path>,
    opts: &CheckOptions,
    read: &crate::ReadOptions,
    output: W,
    write: &crate::geojson::WriteOptions,
    threads: usize,
) -> std::io::Result<Converted> {
    let read = crate::ReadOptions {
        format: Some(Format::Kmz),
        ..read.clone()
    };
    let empty: &[u8] = &[];
    let write = geojson_options(write);
    let to = (Format::GeoJson, &write);
    converted(empty, Some(archive), path, opts, &read, to, output, threads)
}

/// [`super::check_reader_with`] of a KMZ read where it is (`archive`, a
/// `std::fs::File`): never held in memory.
pub fn check_archive_with(
    archive: &mut dyn crate::stream::ReadSeek,
    path: Option<&Path>,
    opts: &CheckOptions,
    read: &crate::ReadOptions,
    threads: usize,
) -> std::io::Result<Report> {
    let read = crate::ReadOptions {
        format: Some(Format::Kmz),
        ..read.clone()
    };
    let empty: &[u8] = &[];
    run(empty, Some(archive), path, opts, &read, threads, NO_OUTPUT)
}

/// Where a check writes the conversion of what it reads, for [`check_convert`].
pub(super) struct Output<W: std::io::Write> {
    /// Until the document is finished.
    writer: Option<DocWriter<W>>,
    /// How each feature is serialised for it (on the thread that read it).
    pub(super) maker: PartMaker,
    /// What the writer could not hold.
    written: Vec<Diagnostic>,
    /// Whether the document was read to its end and finished.
    complete: bool,
}

/// No output: a check alone.
pub(super) const NO_OUTPUT: Option<&mut Output<std::io::Sink>> = None;

impl<W: std::io::Write> Output<W> {
    /// A document of `format` written into `output` with `opts`.
    pub(super) fn new(
        format: Format,
        output: W,
        opts: &crate::WriteOptions,
    ) -> crate::Result<Self> {
        Ok(Output {
            writer: Some(DocWriter::new(format, output, opts)?),
            maker: crate::writer::maker(format, opts),
            written: Vec::new(),
            complete: false,
        })
    }

    /// Writes one feature serialised by [`Output::maker`].
    pub(super) fn feature(&mut self, part: Part) -> std::io::Result<()> {
        if let Some(w) = self.writer.as_mut() {
            let lost = w.put(part).map_err(into_io)?;
            self.written.extend(lost);
        }
        Ok(())
    }

    /// Writes a feature the reader read whole (a GeoJSON root Feature).
    pub(super) fn whole(&mut self, f: &crate::Feature) -> std::io::Result<()> {
        let part = self.maker.part_named(f).map_err(into_io)?;
        self.feature(part)
    }

    /// Writes the end of the document: the input was read to its end.
    /// `index`: the GeoJSON reader's groups by name, for the groups features name.
    pub(super) fn finish(
        &mut self,
        meta: &crate::Metadata,
        groups: &[crate::Group],
        index: Option<&crate::geojson::read::GroupIndex>,
    ) -> std::io::Result<()> {
        if let Some(w) = self.writer.take() {
            let (mut out, lost) = w.finish(meta, groups, index).map_err(into_io)?;
            out.flush()?;
            self.written.extend(lost);
            self.complete = true;
        }
        Ok(())
    }
}

/// A writer's error as the I/O error it is (serialising the model does not fail
/// otherwise).
fn into_io(e: Error) -> std::io::Error {
    match e {
        Error::Io(e) => e,
        other => std::io::Error::other(other.to_string()),
    }
}
