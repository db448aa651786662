//! [`crate::convert`] of a document that must be held whole before it is written:
//! fixed ([`crate::fix::fix`]), its long lines cut ([`crate::split_long_lines`]), or
//! its GeoJSON root kept as it was. Read whole, checked, changed, then written, here
//! and nowhere else, so that the command line and the Python package only say what
//! they want, not how it is done.

use std::io::{Read, Seek, Write};

use crate::source::Input;
use crate::stream::ReadSeek;
use crate::validate::{fatal_diagnostic, mended_by_writing, Converted, Report};
use crate::validate::CheckOptions;
use crate::{Code, Diagnostic, Error, Format, WriteOptions};

/// What [`crate::ConvertOptions`] asks of a conversion held whole.
pub(crate) struct Asked<'a> {
    pub to: Format,
    pub write: &'a WriteOptions,
    pub check: &'a CheckOptions,
    pub kml_folder: Option<&'a std::path::Path>,
    pub fix: bool,
    pub split_long_lines: bool,
}

/// An input that can be read again from its start.
enum Again<'a> {
    Bytes(&'a [u8]),
    Seekable(&'a mut dyn ReadSeek),
}

impl Again<'_> {
    /// The input from its start.
    fn input(&mut self) -> std::io::Result<Input<'_>> {
        Ok(match self {
            Again::Bytes(bytes) => Input::Bytes(bytes),
            Again::Seekable(file) => {
                file.rewind()?;
                Input::Seekable(&mut **file)
            }
        })
    }

    /// The format its content and `opts`' name say, when the options do not.
    fn format(&mut self, opts: &crate::ReadOptions) -> std::io::Result<Option<Format>> {
        if opts.format.is_some() {
            return Ok(opts.format);
        }
        let mut head = Vec::with_capacity(8 << 10);
        match self {
            Again::Bytes(bytes) => head.extend_from_slice(&bytes[..bytes.len().min(8 << 10)]),
            Again::Seekable(file) => {
                file.rewind()?;
                (&mut **file).take(8 << 10).read_to_end(&mut head)?;
            }
        }
        Ok(Format::detect(&head, opts.name.as_deref()))
    }
}

/// Converts `input` held whole: what [`crate::convert`] does when `opts` fixes, cuts
/// long lines or keeps a GeoJSON root. The report is what `check` says of the input,
/// or with `fix` what reading met and what was fixed (not the findings the fixes
/// mend); a document that cannot be read writes nothing and is not complete.
pub(crate) fn convert<W: Write>(
    input: Input<'_>,
    output: W,
    opts: &Asked<'_>,
) -> std::io::Result<Converted> {
    // Read twice (the document, then the check): a stream is held first, within
    // the limit of what is held.
    let mut held = Vec::new();
    let mut again = match input {
        Input::Bytes(bytes) => Again::Bytes(bytes),
        Input::Seekable(file) => Again::Seekable(file),
        Input::Reader(mut reader) => {
            (&mut reader)
                .take(crate::MAX_HELD_BYTES + 1)
                .read_to_end(&mut held)?;
            if held.len() as u64 > crate::MAX_HELD_BYTES {
                return Err(std::io::Error::other(format!(
                    "the input is over {} bytes, the most that is held to be read whole",
                    crate::MAX_HELD_BYTES
                )));
            }
            Again::Bytes(&held)
        }
    };
    let read = &opts.check.read;
    let Some(format) = again.format(read)? else {
        let report = crate::check(again.input()?, opts.check)?;
        return Ok(incomplete(report.format, report.diagnostics));
    };
    let read = crate::ReadOptions {
        format: Some(format),
        ..read.clone()
    };
    let parsed = crate::read(again.input()?, &read);
    let report = if opts.fix {
        None
    } else {
        let check = CheckOptions {
            read: read.clone(),
            ..opts.check.clone()
        };
        Some(crate::check(again.input()?, &check)?)
    };
    let (mut doc, reading) = match parsed {
        Ok(parsed) => parsed.into_parts(),
        Err(Error::Io(e)) => return Err(e),
        Err(e) => {
            // What stopped the reader is in the check's report, with what the rules
            // met before it.
            let said = match report {
                Some(report) => report.diagnostics,
                None => vec![fatal_diagnostic(format, &e)],
            };
            return Ok(incomplete(Some(format), said));
        }
    };
    let mut diags = report.map_or(reading, |r| r.diagnostics);
    if opts.fix {
        diags.extend(crate::fix::fix(&mut doc));
    }
    mended_by_writing(&mut diags, opts.to, opts.write.geojson.keep_root);
    if opts.split_long_lines {
        let cut = crate::split_long_lines(&mut doc, crate::MAPHUB_MAX_UPLOAD_BYTES);
        // A line cut is no longer too large; what could not be cut still is.
        diags.retain(|d| {
            d.code != Code::MaphubFeatureTooLarge || !cut.iter().any(|c| c.span == d.span)
        });
        diags.extend(cut);
    }
    let mut written = write(&doc, &mut again, output, opts).map_err(|e| match e {
        Error::Io(e) => e,
        other => std::io::Error::other(other.to_string()),
    })?;
    // The check already said what the archive lacks.
    written.retain(|d| !diags.contains(d));
    Ok(Converted {
        report: Report {
            format: Some(format),
            diagnostics: diags,
        },
        written,
        complete: true,
    })
}

/// A conversion stopped by what it said: nothing written.
fn incomplete(format: Option<Format>, diagnostics: Vec<Diagnostic>) -> Converted {
    Converted {
        report: Report {
            format,
            diagnostics,
        },
        written: Vec::new(),
        complete: false,
    }
}

/// Writes `doc` as `opts.to`; a KMZ carries the files it refers to, from the archive
/// it was read from or the KML's folder ([`crate::ConvertOptions::kml_folder`]), as
/// the streamed conversion does.
fn write<W: Write>(
    doc: &crate::Document,
    again: &mut Again<'_>,
    output: W,
    opts: &Asked<'_>,
) -> crate::Result<Vec<Diagnostic>> {
    #[cfg(feature = "assets")]
    if opts.to == Format::Kmz {
        use crate::assets::{DirFiles, Files};
        let kml = opts
            .write
            .for_conversion(doc.meta.source_format, Format::Kmz)
            .kml;
        // Where the files are read from, declared here to outlive `files`.
        let (mut in_memory, mut in_file, mut dir);
        let files: Option<&mut dyn Files> = match (doc.meta.source_format, again) {
            (Some(Format::Kmz), Again::Bytes(bytes)) => {
                in_memory = crate::kmz::files(std::io::Cursor::new(*bytes)).ok();
                in_memory.as_mut().map(|f| f as &mut dyn Files)
            }
            (Some(Format::Kmz), Again::Seekable(file)) => {
                file.rewind()?;
                in_file = crate::kmz::files(&mut **file).ok();
                in_file.as_mut().map(|f| f as &mut dyn Files)
            }
            (Some(Format::Kml), _) => {
                dir = opts.kml_folder.and_then(|d| DirFiles::new(d).ok());
                dir.as_mut().map(|f| f as &mut dyn Files)
            }
            // Other formats refer to no files beside them.
            _ => return crate::write(doc, Format::Kmz, output, opts.write),
        };
        return crate::assets::write_kmz(doc, output, &kml, files);
    }
    #[cfg(not(feature = "assets"))]
    let _ = again;
    crate::write(doc, opts.to, output, opts.write)
}
