//! The input file (or standard input): opened once for reading, and read again only if
//! a diagnostic needs its line and column.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use geonorm::Format;

pub enum Source {
    File(PathBuf),
    /// Standard input cannot be read twice, so it is kept.
    Stdin(Vec<u8>),
}

pub struct Input {
    source: Source,
    name: String,
    len: u64,
    head: Vec<u8>,
    /// The text diagnostics point into, when it is not the file itself (the KML
    /// inside a KMZ).
    shown: Option<Vec<u8>>,
    shown_name: Option<String>,
}

const HEAD_LEN: usize = 8 * 1024;

impl Input {
    pub fn open(path: &Path) -> anyhow::Result<Input> {
        if path == Path::new("-") {
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes)?;
            let head = bytes[..bytes.len().min(HEAD_LEN)].to_vec();
            return Ok(Input {
                len: bytes.len() as u64,
                source: Source::Stdin(bytes),
                name: "<stdin>".into(),
                head,
                shown: None,
                shown_name: None,
            });
        }
        let name = path.display().to_string();
        let mut file = File::open(path).map_err(|e| anyhow::anyhow!("cannot open {name}: {e}"))?;
        let len = file
            .metadata()
            .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?
            .len();
        let mut head = Vec::with_capacity(HEAD_LEN);
        file.by_ref()
            .take(HEAD_LEN as u64)
            .read_to_end(&mut head)
            .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
        Ok(Input {
            source: Source::File(path.to_path_buf()),
            name,
            len,
            head,
            shown: None,
            shown_name: None,
        })
    }

    /// Points diagnostics at `text`, an entry of this file called `entry`.
    pub fn show_as(&mut self, entry: &str, text: Vec<u8>) {
        self.shown = Some(text);
        self.shown_name = Some(format!("{}!{entry}", self.name));
    }

    /// The name diagnostics give: the file, or the entry inside it they point into.
    pub fn diag_name(&self) -> &str {
        self.shown_name.as_deref().unwrap_or(&self.name)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn path(&self) -> Option<&Path> {
        match &self.source {
            Source::File(p) => Some(p),
            Source::Stdin(_) => None,
        }
    }

    pub fn detect(&self) -> Option<Format> {
        Format::detect(&self.head, self.path())
    }

    /// A fresh reader from the first byte; its errors name the file.
    pub fn reader(&self) -> anyhow::Result<Box<dyn BufRead + '_>> {
        Ok(match &self.source {
            Source::File(p) => {
                let file =
                    File::open(p).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", self.name))?;
                Box::new(BufReader::with_capacity(
                    256 * 1024,
                    Named {
                        file,
                        name: &self.name,
                    },
                ))
            }
            Source::Stdin(bytes) => Box::new(&bytes[..]),
        })
    }

    /// The text diagnostics point into (the file, or the KML inside a KMZ), from its
    /// first byte.
    pub fn text_reader(&self) -> io::Result<Box<dyn BufRead + '_>> {
        if let Some(shown) = &self.shown {
            return Ok(Box::new(&shown[..]));
        }
        match &self.source {
            Source::File(p) => Ok(Box::new(BufReader::with_capacity(
                256 * 1024,
                File::open(p)?,
            ))),
            Source::Stdin(b) => Ok(Box::new(&b[..])),
        }
    }
}

/// A file whose read errors say which file it is (`cannot read a.kml: …`), keeping
/// their kind. Under the buffer, so it costs one check per read of the disk.
struct Named<'a> {
    file: File,
    name: &'a str,
}

impl Read for Named<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot read {}: {e}", self.name)))
    }
}
