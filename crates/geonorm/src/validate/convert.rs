//! Checking while converting: [`converted`] writes the conversion of what the check
//! reads, in the same read, so that `geonorm convert` says what `check` says.

use super::{run, sort, CheckOptions, Report};
use crate::writer::{DocWriter, Part, PartMaker};
use crate::{Diagnostic, Error, Format};

/// What [`crate::convert`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Converted {
    /// What [`crate::check`] says of the same input.
    pub report: Report,
    /// What the output format could not hold of what was read.
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

/// Converts `input` (or `archive`, a KMZ read where it is) to `to.0` written with
/// `to.1` and checks it with `opts`, in one read: the one road of every conversion
/// ([`crate::convert`]).
pub(crate) fn converted<R: std::io::BufRead, W: std::io::Write>(
    input: R,
    archive: Option<&mut dyn crate::stream::ReadSeek>,
    opts: &CheckOptions,
    to: (Format, &crate::WriteOptions),
    output: W,
) -> std::io::Result<Converted> {
    let mut out = Output::new(to.0, output, to.1).map_err(into_io)?;
    let report = run(input, archive, opts, Some(&mut out))?;
    Ok(Converted {
        report,
        written: out.written,
        complete: out.complete,
    })
}

/// Where a check writes the conversion of what it reads, for [`converted`].
pub(crate) struct Output<W: std::io::Write> {
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
pub(crate) const NO_OUTPUT: Option<&mut Output<std::io::Sink>> = None;

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
