//! Converting: the input read once, as a stream, into the writer of the format asked
//! for, with the check's rules on every feature on the way, so that `convert` says
//! what `check` says (plus what the writer could not hold). Memory holds a batch of the
//! input and the writer's bounded buffers, whatever the format on either side.

use std::io::{BufRead, Read, Write};

use crate::stream::ReadSeek;
use crate::validate::{CheckOptions, Converted};
use crate::{Format, ReadOptions, WriteOptions};

/// Bytes the format is detected from: what a `BufReader` shows at first.
const HEAD: usize = 8 << 10;

/// What a document is read from.
pub enum Input<'a> {
    /// Bytes read in order: a file, standard input, memory. A KMZ given so is held
    /// within its archive limit (a zip is read from its end).
    Reader(Box<dyn BufRead + 'a>),
    /// A file that can seek: a KMZ is read where it is, never held.
    Seekable(&'a mut dyn ReadSeek),
}

impl<'a> Input<'a> {
    /// Bytes read in order.
    pub fn reader(r: impl BufRead + 'a) -> Self {
        Input::Reader(Box::new(r))
    }
}

/// How to convert.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    /// The format written.
    pub to: Format,
    /// How each writer writes.
    pub write: WriteOptions,
    /// How the input is read (its format, when known, its name, the readers' limits).
    pub read: ReadOptions,
    /// The rules the input is checked with as it is converted.
    pub check: CheckOptions,
    /// Threads to read (and write) on, with the `parallel` feature.
    pub threads: usize,
}

impl ConvertOptions {
    /// Options that write `to` with every other option at its default, on one thread.
    pub fn to(to: Format) -> Self {
        ConvertOptions {
            to,
            write: WriteOptions::default(),
            read: ReadOptions::default(),
            check: CheckOptions::default(),
            threads: 1,
        }
    }
}

/// Converts `input` into `output`, in `opts.to`, checking it as it is read: one read
/// of the input, the output the same for any number of threads. The features stream
/// from the reader (on `opts.threads` threads) through the rules into the writer;
/// no writer holds the document. Fails only when `input` or `output` does: what the
/// input holds that cannot be read is in the report, and then
/// [`Converted::complete`] is false and the output is not to be kept.
///
/// ```
/// use geonorm::{convert, ConvertOptions, Format, Input};
/// let gpx = br#"<gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1">
///   <wpt lat="46.5" lon="8.25"><name>Hut</name></wpt></gpx>"#;
/// let mut kml = Vec::new();
/// let done = convert(Input::reader(&gpx[..]), &mut kml, &ConvertOptions::to(Format::Kml))?;
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
    let path = opts.read.name.as_deref();
    let mut read = opts.read.clone();
    read.format = opts.check.format.or(read.format);
    let to = (opts.to, &opts.write);
    let check = &opts.check;
    let threads = opts.threads;
    match input {
        Input::Reader(r) => {
            crate::validate::converted(r, None, path, check, &read, to, output, threads)
        }
        Input::Seekable(file) => {
            let format = match read.format {
                Some(f) => Some(f),
                None => {
                    // As much as a reader's buffer shows the detection.
                    let mut head = Vec::with_capacity(HEAD);
                    (&mut *file).take(HEAD as u64).read_to_end(&mut head)?;
                    file.rewind()?;
                    Format::detect(&head, path)
                }
            };
            if format == Some(Format::Kmz) {
                read.format = format;
                let empty: &[u8] = &[];
                crate::validate::converted(
                    empty,
                    Some(file),
                    path,
                    check,
                    &read,
                    to,
                    output,
                    threads,
                )
            } else {
                let r = std::io::BufReader::new(file);
                crate::validate::converted(r, None, path, check, &read, to, output, threads)
            }
        }
    }
}
