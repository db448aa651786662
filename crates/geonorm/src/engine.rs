//! The verbs over a stream: [`check`], [`convert`] and, for embedders with a sink of
//! their own, [`stream`]; and [`convert`] of what must be held whole (fixed, long
//! lines cut, a GeoJSON root kept, its files placed elsewhere), decided here and
//! nowhere else ([`ConvertOptions::holds_whole`]). Each reads its input once: the features stream from the
//! reader (in batches, on the options' threads) through the rules into the sink — the
//! check report, a writer — so that `convert` says what `check` says. Memory holds a
//! batch of the input and the sink's bounded buffers, whatever the formats.

use std::io::{Read, Seek, Write};

use crate::source::{Input, Opened};
use crate::stream::{FeatureSink, ReadSeek, StreamEnd};
use crate::validate::{fatal_diagnostic, mended_by_writing, CheckOptions, Converted, Kept, Report};
use crate::{Code, Diagnostic, Error, Format, ReadOptions, Result, WriteOptions};

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
    /// Where the icons and photos a KMZ or a KML's folder holds are put, instead of
    /// carried in a KMZ written: `None` carries them (or leaves the references as they
    /// are). With it the document is held whole.
    #[cfg(feature = "assets")]
    pub place_files: Option<crate::assets::PlaceFiles>,
}

impl ConvertOptions {
    /// Whether [`convert`] holds the document whole (read, checked, changed, then
    /// written) rather than streaming it: to fix it, cut its long lines, keep a
    /// GeoJSON root, or place its files elsewhere ([`ConvertOptions::place_files`]). The
    /// input is still read once.
    pub fn holds_whole(&self) -> bool {
        #[cfg(feature = "assets")]
        let placed = self.place_files.is_some();
        #[cfg(not(feature = "assets"))]
        let placed = false;
        self.fix || self.split_long_lines || self.write.geojson.keep_root || placed
    }

    /// Options that write `to`, every other option at its default (one thread).
    pub fn to(to: Format) -> Self {
        ConvertOptions {
            to,
            write: WriteOptions::default(),
            check: CheckOptions::default(),
            kml_folder: None,
            fix: false,
            split_long_lines: false,
            #[cfg(feature = "assets")]
            place_files: None,
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
///
/// // One read gives the report and the document `read` gives, when asked.
/// let opts = CheckOptions { keep_document: true, ..CheckOptions::default() };
/// let report = geonorm::check(text[..].into(), &opts)?;
/// assert_eq!(report.diagnostics[0].code.as_str(), "geometry/lat-out-of-range");
/// assert_eq!(report.document.expect("kept")?.features.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check(input: Input<'_>, opts: &CheckOptions) -> std::io::Result<Report> {
    if !opts.keep_document {
        return checked(input, opts, None);
    }
    let (mut report, document) = check_keeping(input, opts)?;
    report.document = Some(document);
    Ok(report)
}

/// [`check`] and the document it read ([`CheckOptions::keep_document`]'s answer).
fn check_keeping(
    input: Input<'_>,
    opts: &CheckOptions,
) -> std::io::Result<(Report, Result<crate::Document>)> {
    let mut kept = Kept::default();
    let report = checked(input, opts, Some(&mut kept))?;
    Ok((report, kept.document()))
}

/// [`check`], keeping the document read in `keep` when there is one.
fn checked(
    input: Input<'_>,
    opts: &CheckOptions,
    keep: Option<&mut Kept>,
) -> std::io::Result<Report> {
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
        keep,
    )
}

/// Converts `input` into `output`, in `opts.to`, checking it as it is read: one read
/// of the input, the output the same for any number of threads (fixing, cutting long
/// lines, keeping a GeoJSON root and placing its files elsewhere hold the document
/// whole instead: read and checked in that one read, changed, then written; see
/// [`ConvertOptions::holds_whole`]). Otherwise no writer holds the document (KML, KMZ and GPX keep their parts in a spool, in memory and then in an
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
    if opts.holds_whole() {
        return convert_whole(input, output, opts);
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
/// every diagnostic. Memory holds a batch of the input, whatever the format.
///
/// ```
/// use geonorm::{stream, stream::AsRead, ReadOptions};
/// let kml = br#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
///   <Placemark><name>Hut</name><Point><coordinates>8.25,46.5</coordinates></Point></Placemark>
/// </Document></kml>"#;
/// let mut titles = Vec::new();
/// let rest = stream(kml[..].into(), &ReadOptions::default(), &AsRead, |f, _| {
///     titles.push(f.title);
///     Ok(())
/// })?;
/// assert_eq!(titles, [Some("Hut".to_string())]);
/// assert!(rest.groups.is_empty() && rest.diagnostics.is_empty());
/// # Ok::<(), geonorm::Error>(())
/// ```
pub fn stream<S, E>(input: Input<'_>, opts: &ReadOptions, sink: &S, emit: E) -> Result<StreamEnd>
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

/// The input of a whole conversion: read once, and read again from its start for the
/// files a KMZ written carries from the archive it was read from.
enum Again<'a> {
    Bytes(&'a [u8]),
    Seekable(&'a mut dyn ReadSeek),
    /// A stream of the format its head told, not KMZ, read once (`None` once it is).
    Once(Option<Box<dyn std::io::BufRead + 'a>>, Format),
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
            Again::Once(stream, _) => Input::Reader(stream.take().ok_or_else(read_once)?),
        })
    }

    /// `f` of the input from its start as an archive that can seek (a KMZ read again
    /// for the files it carries, where it is or as the bytes held); `None` for a
    /// stream read once.
    fn archive<T>(&mut self, f: impl FnOnce(&mut dyn ReadSeek) -> T) -> std::io::Result<Option<T>> {
        Ok(match self {
            Again::Bytes(bytes) => Some(f(&mut std::io::Cursor::new(*bytes))),
            Again::Seekable(file) => {
                file.rewind()?;
                Some(f(&mut **file))
            }
            Again::Once(..) => None,
        })
    }

    /// The format its content and `opts`' name say, when the options do not.
    fn format(&mut self, opts: &crate::ReadOptions) -> std::io::Result<Option<Format>> {
        let name = opts.name.as_deref();
        Ok(match (opts.format, self) {
            (Some(format), _) => Some(format),
            // The head, as a stream's detection sees it.
            (None, Again::Bytes(bytes)) => Format::detect(&bytes[..bytes.len().min(HEAD)], name),
            (None, Again::Seekable(file)) => crate::source::detect_seekable(&mut **file, name)?,
            (None, Again::Once(_, format)) => Some(*format),
        })
    }
}

/// What reading a stream read once again fails with.
fn read_once() -> std::io::Error {
    std::io::Error::other("a stream is read once")
}

/// The first bytes a format is detected from, as a stream's detection sees them.
const HEAD: usize = 8 << 10;

/// `reader` as [`Again`]: streamed when its head tells its format (and it is no KMZ:
/// a zip is read from its end, and a KMZ written carries files from the archive), else
/// held in `held`, within the limit of what is held, as it was read before.
fn stream_or_hold<'a>(
    mut reader: Box<dyn std::io::BufRead + 'a>,
    read: &ReadOptions,
    held: &'a mut Vec<u8>,
) -> std::io::Result<Again<'a>> {
    let mut head = Vec::with_capacity(HEAD);
    (&mut reader).take(HEAD as u64).read_to_end(&mut head)?;
    let name = read.name.as_deref();
    let format = read.format.or_else(|| Format::detect(&head, name));
    // A name that disagrees with the format is worded with what the whole content
    // says: such a stream is held, so that the report says what it said.
    let misnamed = name
        .and_then(Format::from_path)
        .zip(format)
        .is_some_and(|(n, f)| n.maphub_file_type() != f.maphub_file_type());
    if let Some(format) = format.filter(|f| *f != Format::Kmz && !misnamed) {
        let stream = std::io::Cursor::new(head).chain(reader);
        return Ok(Again::Once(Some(Box::new(stream)), format));
    }
    *held = head;
    let room = (crate::MAX_HELD_BYTES + 1).saturating_sub(held.len() as u64);
    reader.take(room).read_to_end(held)?;
    if held.len() as u64 > crate::MAX_HELD_BYTES {
        return Err(std::io::Error::other(format!(
            "the input is over {} bytes, the most that is held to be read whole",
            crate::MAX_HELD_BYTES
        )));
    }
    Ok(Again::Bytes(held))
}

/// Converts `input` held whole: what [`convert`] does when `opts` fixes, cuts
/// long lines or keeps a GeoJSON root. The report is what `check` says of the input,
/// or with `fix` what reading met and what was fixed (not the findings the fixes
/// mend); a document that cannot be read writes nothing and is not complete. The
/// input is read once: the check keeps the document it reads (with `fix`, no check
/// runs, and it is read as `read` reads it).
fn convert_whole<W: Write>(
    input: Input<'_>,
    output: W,
    opts: &ConvertOptions,
) -> std::io::Result<Converted> {
    let mut held = Vec::new();
    let mut again = match input {
        Input::Bytes(bytes) => Again::Bytes(bytes),
        Input::Seekable(file) => Again::Seekable(file),
        Input::Reader(reader) => stream_or_hold(reader, &opts.check.read, &mut held)?,
    };
    let read = &opts.check.read;
    let Some(format) = again.format(read)? else {
        let report = check(again.input()?, &opts.check)?;
        return Ok(incomplete(report.format, report.diagnostics));
    };
    let read = crate::ReadOptions {
        format: Some(format),
        ..read.clone()
    };
    let (parsed, report) = if opts.fix {
        let parsed = crate::read(again.input()?, &read).map(crate::Parsed::into_parts);
        (parsed, None)
    } else {
        let with_format = CheckOptions {
            read: read.clone(),
            ..opts.check.clone()
        };
        let (report, document) = check_keeping(again.input()?, &with_format)?;
        (document.map(|d| (d, Vec::new())), Some(report))
    };
    let (mut doc, reading) = match parsed {
        Ok(parsed) => parsed,
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
            document: None,
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
            document: None,
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
    opts: &ConvertOptions,
) -> crate::Result<Vec<Diagnostic>> {
    #[cfg(feature = "assets")]
    if let Some(place) = &opts.place_files {
        return write_placing(doc, again, output, opts, place);
    }
    #[cfg(feature = "assets")]
    if opts.to == Format::Kmz {
        use crate::assets::{DirFiles, Files};
        // Where the files are read from, declared here to outlive `files`.
        let mut dir;
        let kml = opts
            .write
            .for_conversion(doc.meta.source_format, Format::Kmz)
            .kml;
        let files: Option<&mut dyn Files> = match doc.meta.source_format {
            // A KMZ is held or seekable, never a stream read once.
            Some(Format::Kmz) => {
                return again
                    .archive(|archive| {
                        let mut files = crate::kmz::files(archive).ok();
                        let files = files.as_mut().map(|f| f as &mut dyn Files);
                        crate::assets::write_kmz(doc, output, &kml, files)
                    })?
                    .unwrap_or_else(|| Err(Error::Io(read_once())));
            }
            Some(Format::Kml) => {
                dir = opts
                    .kml_folder
                    .as_deref()
                    .and_then(|d| DirFiles::new(d).ok());
                dir.as_mut().map(|f| f as &mut dyn Files)
            }
            // Other formats refer to no files beside them.
            _ => return crate::write(doc, Format::Kmz, output, &opts.write),
        };
        return crate::assets::write_kmz(doc, output, &kml, files);
    }
    #[cfg(not(feature = "assets"))]
    let _ = again;
    crate::write(doc, opts.to, output, &opts.write)
}

/// [`write`] with the files `doc` uses placed by `place` ([`ConvertOptions::place_files`]):
/// planned from the archive it was read from or the KML's folder, placed, the
/// references pointed at them, then the document written (a KMZ carries none).
/// Answers what planning met, then what writing could not hold.
#[cfg(feature = "assets")]
fn write_placing<W: Write>(
    doc: &crate::Document,
    again: &mut Again<'_>,
    output: W,
    opts: &ConvertOptions,
    place: &crate::assets::PlaceFiles,
) -> crate::Result<Vec<Diagnostic>> {
    use crate::assets::{Limits, Purpose};
    let purpose = Purpose::Files;
    let in_archive = |archive: &mut dyn ReadSeek| {
        crate::assets::plan_archive(doc, archive, purpose, &Limits::default())
    };
    let plan = match (doc.meta.source_format, &mut *again) {
        // Read where the archive is, never held.
        (Some(Format::Kmz), again) => Some(again.archive(in_archive)?.ok_or_else(read_once)??),
        (Some(Format::Kml), again) => match opts.kml_folder.as_deref() {
            Some(folder) => {
                // The KML's text places what planning says (a stream read once is
                // not there to place it).
                let mut held = Vec::new();
                let kml = match again {
                    Again::Bytes(bytes) => Some(*bytes),
                    Again::Seekable(file) => {
                        file.rewind()?;
                        file.read_to_end(&mut held)?;
                        Some(&held[..])
                    }
                    Again::Once(..) => None,
                };
                let mut files = crate::assets::DirFiles::with_limits(folder, &Limits::default())?;
                Some(crate::assets::plan(doc, &mut files, purpose, kml))
            }
            None => None,
        },
        _ => None,
    };
    let paths = place.place(plan.as_ref())?;
    let mut said = Vec::new();
    let placed;
    let doc = match plan {
        Some(plan) => {
            let mut changed = doc.clone();
            crate::assets::apply_paths(&mut changed, &plan, &paths);
            said = plan.diagnostics;
            placed = changed;
            &placed
        }
        None => doc,
    };
    said.extend(crate::write(doc, opts.to, output, &opts.write)?);
    Ok(said)
}
