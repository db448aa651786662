//! Where a check writes the conversion of what it reads ([`Output`]), so that
//! `geonorm convert` says what `check` says, in the same read.

use crate::writer::{DocWriter, Part, PartMaker};
use crate::{Diagnostic, Error, Format};

/// Where a check writes the conversion of what it reads, for [`super::converted`].
pub(crate) struct Output<W: std::io::Write> {
    /// Until the document is finished.
    writer: Option<DocWriter<W>>,
    /// How each feature is serialised for it (on the thread that read it).
    pub(super) maker: PartMaker,
    /// What the writer could not hold.
    pub(super) written: Vec<Diagnostic>,
    /// Whether the document was read to its end and finished.
    pub(super) complete: bool,
    /// The folder a KML's icons and photos are read from when a KMZ is written
    /// ([`crate::ConvertOptions::kml_folder`]).
    pub(super) kml_folder: Option<std::path::PathBuf>,
}

/// Turns the findings that writing `to` mends into what was done about them, so a
/// conversion whose output is clean does not fail on them: a root that is not a
/// FeatureCollection is written as one (unless `keep_root` keeps a GeoJSON root as it
/// was), said as an info. Public so that a check's report can be compared with a
/// conversion's (the `check` fuzz target does); a conversion applies it itself.
pub fn mended_by_writing(diags: &mut [Diagnostic], to: Format, keep_root: bool) {
    let wraps = !(keep_root && to == Format::GeoJson);
    for d in diags {
        if d.code == crate::Code::MaphubNotCollection && wraps {
            d.severity = crate::Severity::Info;
            d.message =
                "the root is not the FeatureCollection MapHub takes; written as a collection"
                    .into();
            d.help = None;
        }
    }
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
            kml_folder: None,
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

    /// Whether the document written is a KMZ.
    pub(super) fn is_kmz(&self) -> bool {
        self.maker.format() == Format::Kmz
    }

    /// Writes the end of the document: the input was read to its end.
    /// `index`: the GeoJSON reader's groups by name, for the groups features name;
    /// `carry`: the files a KMZ carries beside its KML.
    pub(super) fn finish(
        &mut self,
        meta: &crate::Metadata,
        groups: &[crate::Group],
        index: Option<&crate::geojson::read::GroupIndex>,
        carry: Option<&mut crate::writer::Carry<'_>>,
    ) -> std::io::Result<()> {
        if let Some(w) = self.writer.take() {
            let (mut out, lost) = w.finish(meta, groups, index, carry).map_err(into_io)?;
            out.flush()?;
            self.written.extend(lost);
            self.complete = true;
        }
        Ok(())
    }
}

/// A writer's error as the I/O error it is (serialising the model does not fail
/// otherwise).
pub(super) fn into_io(e: Error) -> std::io::Error {
    match e {
        Error::Io(e) => e,
        other => std::io::Error::other(other.to_string()),
    }
}
