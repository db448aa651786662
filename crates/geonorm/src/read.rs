//! Reading a whole document, whatever its format: what [`read`] gives back, and the
//! refusal of binary data every reader shares.

#[cfg(feature = "kmz")]
use crate::kmz;
use crate::stream::{collect, AsRead};
use crate::{geojson, gpx, kml};
use crate::{Diagnostic, Document, Error, Format, Input, ReadOptions, Result};

/// What [`read`] found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Parsed {
    /// The format read.
    pub format: Format,
    /// The document.
    pub document: Document,
    /// What the reader skipped, repaired or could not represent, sorted by position
    /// (findings without a position last).
    pub diagnostics: Vec<Diagnostic>,
    /// For a KMZ: which entry was read (the positions point into it), and the others.
    #[cfg(feature = "kmz")]
    pub kmz: Option<crate::stream::KmzContents>,
}

impl Parsed {
    /// The document and its diagnostics.
    pub fn into_parts(self) -> (Document, Vec<Diagnostic>) {
        (self.document, self.diagnostics)
    }
}

/// Reads a whole document from `input` (bytes in order, or a seekable file from which
/// a KMZ is read where it is: [`crate::Input`]), detecting its format unless `opts`
/// names one. GeoJSON, KML and GPX are read in batches on `opts.threads` threads.
///
/// ```
/// use geonorm::{read, ReadOptions};
/// let gpx = br#"<gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1">
///   <wpt lat="46.5" lon="8.25"><name>Hut</name></wpt></gpx>"#;
/// let parsed = read(&gpx[..], &ReadOptions::default())?;
/// assert_eq!(parsed.format, geonorm::Format::Gpx);
/// assert_eq!(parsed.document.features[0].title.as_deref(), Some("Hut"));
/// assert!(parsed.diagnostics.is_empty());
/// # Ok::<(), geonorm::Error>(())
/// ```
pub fn read<'a>(input: impl Into<Input<'a>>, opts: &ReadOptions) -> Result<Parsed> {
    let opened = input.into().open(opts.format, opts.name.as_deref())?;
    #[cfg(feature = "kmz")]
    if let Some(archive) = opened.archive {
        // Read where it is, never held.
        let (document, mut diagnostics, contents) = kmz::read(archive, &opts.kmz)?;
        Diagnostic::sort_by_position(&mut diagnostics);
        return Ok(Parsed {
            format: Format::Kmz,
            document,
            diagnostics,
            kmz: Some(contents),
        });
    }
    let mut input = opened.reader;
    let head = input.fill_buf()?;
    let format = match opts.format {
        Some(f) => f,
        None => Format::detect(head, opts.name.as_deref()).ok_or(Error::Undetected)?,
    };
    refuse_binary(head, format)?;
    #[cfg(feature = "kmz")]
    let mut contents = None;
    let pace = opts.pace();
    let (document, mut diagnostics) = match format {
        Format::GeoJson => geojson::read_paced(input, pace)?,
        // Pieces of each batch parsed on the options' threads: the same document.
        Format::Kml => collect(|emit| kml::stream(input, pace, &AsRead, emit))?,
        Format::Gpx => collect(|emit| gpx::stream(input, &opts.gpx, pace, &AsRead, emit))?,
        #[cfg(feature = "kmz")]
        Format::Kmz => {
            // A zip is read from its end: from a reader that cannot seek, the archive
            // is held within its limit (give a seekable `Input` to avoid it).
            let bytes = kmz::hold(input, &opts.kmz)?;
            let (d, diags, c) = kmz::read(std::io::Cursor::new(bytes), &opts.kmz)?;
            contents = Some(c);
            (d, diags)
        }
        // Reached when the `kmz` feature is off.
        #[allow(unreachable_patterns)]
        other => return Err(Error::UnsupportedRead(other)),
    };
    Diagnostic::sort_by_position(&mut diagnostics);
    Ok(Parsed {
        format,
        document,
        diagnostics,
        #[cfg(feature = "kmz")]
        kmz: contents,
    })
}

/// An error when `head`, the first bytes of an input read as `format`, is binary data
/// ([`Format::is_binary`]): refused before a reader holds any of it. Not for a KMZ,
/// binary by nature (a zip is read from its end, and may start with anything).
pub(crate) fn refuse_binary(head: &[u8], format: Format) -> Result<()> {
    if format != Format::Kmz && Format::is_binary(head) {
        return Err(Error::NotFormat {
            format,
            message: BINARY.into(),
        });
    }
    Ok(())
}

/// What an input of binary data is told.
pub(crate) const BINARY: &str = "not a map file (binary data: a NUL byte in its first bytes)";
