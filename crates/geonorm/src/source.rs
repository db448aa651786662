//! Where a document is read from: bytes in order (a file, standard input, memory) or a
//! file that can seek (a KMZ is read where it is, from its end).

use std::io::{BufRead, Read};
use std::path::Path;

use crate::stream::ReadSeek;
use crate::Format;

/// What a document is read from.
pub enum Input<'a> {
    /// Bytes in memory. Reading them cannot fail: what would is the content's fault,
    /// and a check says it as a finding.
    Bytes(&'a [u8]),
    /// Bytes read in order: a file, standard input. A KMZ given so is held within its
    /// archive limit (a zip is read from its end).
    Reader(Box<dyn BufRead + 'a>),
    /// A file that can seek: a KMZ is read where it is, never held; another format is
    /// read in order from where it stands.
    Seekable(&'a mut dyn ReadSeek),
}

impl<'a> Input<'a> {
    /// Bytes read in order.
    pub fn reader(r: impl BufRead + 'a) -> Self {
        Input::Reader(Box::new(r))
    }
}

impl<'a> From<&'a [u8]> for Input<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Input::Bytes(bytes)
    }
}

impl<'a> From<Box<dyn BufRead + 'a>> for Input<'a> {
    fn from(reader: Box<dyn BufRead + 'a>) -> Self {
        Input::Reader(reader)
    }
}

/// Bytes the format of a seekable input is detected from: what a `BufReader` shows a
/// reader at first.
const HEAD: usize = 8 << 10;

/// An input opened for reading: bytes in order, and the archive when it is a KMZ that
/// can be read where it is.
pub(crate) struct Opened<'a> {
    pub(crate) reader: Box<dyn BufRead + 'a>,
    pub(crate) archive: Option<Box<dyn ReadSeek + 'a>>,
    /// Whether the input is in memory (reading it cannot fail).
    pub(crate) in_memory: bool,
}

impl<'a> Input<'a> {
    /// Opens the input, read as `format` (`None`: detected from its first bytes and
    /// `name`, as a reader detects it).
    pub(crate) fn open(
        self,
        format: Option<Format>,
        name: Option<&Path>,
    ) -> std::io::Result<Opened<'a>> {
        match self {
            Input::Bytes(bytes) => {
                // A KMZ in memory is read as an archive too: its files can then be
                // looked up, and carried into a KMZ written.
                let kmz = format.or_else(|| Format::detect(bytes, name)) == Some(Format::Kmz);
                let empty: &[u8] = &[];
                Ok(Opened {
                    reader: Box::new(if kmz { empty } else { bytes }),
                    archive: kmz.then(|| Box::new(std::io::Cursor::new(bytes)) as Box<_>),
                    in_memory: true,
                })
            }
            Input::Reader(reader) => Ok(Opened {
                reader,
                archive: None,
                in_memory: false,
            }),
            Input::Seekable(file) => {
                let format = match format {
                    Some(f) => Some(f),
                    None => detect_seekable(&mut *file, name)?,
                };
                if format == Some(Format::Kmz) {
                    let empty: &[u8] = &[];
                    Ok(Opened {
                        reader: Box::new(empty),
                        archive: Some(Box::new(file)),
                        in_memory: false,
                    })
                } else {
                    Ok(Opened {
                        reader: Box::new(std::io::BufReader::new(file)),
                        archive: None,
                        in_memory: false,
                    })
                }
            }
        }
    }
}

/// The format of a seekable input from its first bytes (and `name`), the input left at
/// its start.
pub(crate) fn detect_seekable(
    file: &mut dyn ReadSeek,
    name: Option<&Path>,
) -> std::io::Result<Option<Format>> {
    file.rewind()?;
    let mut head = Vec::with_capacity(HEAD);
    file.take(HEAD as u64).read_to_end(&mut head)?;
    file.rewind()?;
    Ok(Format::detect(&head, name))
}
