//! KMZ writing: the KML deflated as it is written, in chunks on every core
//! ([`super::deflate`]), into `doc.kml` ([`super::archive`]), then the files the KMZ
//! carries.

use std::io::{Seek, Write};

use super::deflate::Deflating;
use crate::{kml, Diagnostic, Document, Error, Result};

/// Writes `doc` as a KMZ: its KML as a deflated `doc.kml`. The files its references
/// name are not carried (see [`crate::assets::write_kmz`]).
pub fn write<W: Write>(
    doc: &Document,
    out: W,
    opts: &kml::WriteOptions,
) -> Result<Vec<Diagnostic>> {
    write_zip(doc, out, opts, None)
}

/// Files a KMZ carries beside its KML (its icons and photos), added after it.
pub(crate) trait Carry {
    /// Hands each file to `add`, with its path in the archive; answers what could not
    /// be carried. Fails only when `add` does.
    fn carry(&mut self, add: &mut dyn FnMut(&str, &[u8]) -> Result<()>) -> Result<Vec<Diagnostic>>;
}

/// [`write`], the files `carry` adds after the KML.
pub(crate) fn write_zip<W: Write>(
    doc: &Document,
    out: W,
    opts: &kml::WriteOptions,
    carry: Option<&mut dyn Carry>,
) -> Result<Vec<Diagnostic>> {
    let mut entry = KmlEntry::new()?;
    let mut diags = kml::write(doc, &mut entry, opts)?;
    let (_, carried) = entry.finish(out, carry)?;
    diags.extend(carried);
    Ok(diags)
}

/// Bytes of a KMZ's archive kept in memory before they go to an unnamed temporary
/// file.
const ARCHIVE_IN_MEMORY: usize = 1 << 20;

/// The deflate level of a KMZ's entries. Measured on the 154 MB KML written from the
/// 150 MB generated file (zlib-rs): level 6, the default, 2.21 s for 28.9 % of the
/// size; level 3, 1.26 s for 29.5 %; level 2, 1.15 s for 31.9 %; level 1, 0.77 s
/// for 44.3 %. Level 3 takes 43 % less time for 2 % more bytes.
const DEFLATE_LEVEL: u32 = 3;

/// Threads deflating a KMZ's KML at most: each holds about two chunks (the 150 MB
/// GeoJSON to KMZ peaked at 58 MiB on two cores, 47 with the one thread before).
const DEFLATING_THREADS: usize = 4;

/// A KMZ being made: its KML, `doc.kml`, deflated as it is written, in chunks, on as
/// many threads as there are cores, at most [`DEFLATING_THREADS`] ([`super::deflate`]), into an unnamed temporary
/// file; the archive is put together around it at the end ([`super::archive`]). The
/// KML is never held or copied aside first, and its deflating takes every core while
/// the KML is put together from the writer's spool.
pub(crate) struct KmlEntry {
    /// What is written, until a chunk is full and sent to the threads.
    chunk: Vec<u8>,
    deflating: Option<Deflating<tempfile::SpooledTempFile>>,
}

/// Bytes sent to a deflating thread at once: each is deflated apart.
const CHUNK: usize = 1 << 20;

fn zip_failed(e: zip::result::ZipError) -> Error {
    Error::Io(std::io::Error::other(e))
}

fn deflated() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(i64::from(DEFLATE_LEVEL)))
}

impl KmlEntry {
    /// An archive whose `doc.kml` is being written.
    pub(crate) fn new() -> Result<KmlEntry> {
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(DEFLATING_THREADS);
        let file = tempfile::SpooledTempFile::new(ARCHIVE_IN_MEMORY);
        Ok(KmlEntry {
            chunk: Vec::with_capacity(CHUNK),
            deflating: Some(Deflating::new(file, threads, DEFLATE_LEVEL)?),
        })
    }

    /// Hands the chunk to the deflating threads; when they have stopped, why.
    fn send(&mut self) -> std::io::Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        let Some(d) = self.deflating.as_mut() else {
            return Err(std::io::Error::other("the KMZ's deflating stopped"));
        };
        if d.send(chunk).is_ok() {
            return Ok(());
        }
        // The threads stopped: what stopped them.
        match self.deflating.take().map(Deflating::finish) {
            Some(Err(e)) => Err(e),
            _ => Err(std::io::Error::other("the KMZ's deflating stopped")),
        }
    }

    /// Ends the KML, adds the files `carry` adds after it, and writes the archive to
    /// `out`; answers what could not be carried.
    pub(crate) fn finish<W: Write>(
        mut self,
        mut out: W,
        carry: Option<&mut dyn Carry>,
    ) -> Result<(W, Vec<Diagnostic>)> {
        self.send()?;
        let Some(d) = self.deflating.take() else {
            return Err(Error::Io(std::io::Error::other(
                "the KMZ's deflating stopped",
            )));
        };
        let mut body = d.finish()?;
        body.file.rewind()?;
        let Some(carry) = carry else {
            super::archive::write_one(&mut out, "doc.kml", &mut body, false)?;
            out.flush()?;
            return Ok((out, Vec::new()));
        };
        // The zip crate appends the carried files to an archive it can read and seek.
        let mut archive = tempfile::SpooledTempFile::new(ARCHIVE_IN_MEMORY);
        super::archive::write_one(&mut archive, "doc.kml", &mut body, false)?;
        drop(body);
        archive.rewind()?;
        let mut zip = zip::ZipWriter::new_append(archive)
            .map_err(zip_failed)?
            .set_auto_large_file();
        let said = carry.carry(&mut |name, bytes| {
            zip.start_file(name, deflated()).map_err(zip_failed)?;
            zip.write_all(bytes)?;
            Ok(())
        })?;
        let mut archive = zip.finish().map_err(zip_failed)?;
        archive.rewind()?;
        std::io::copy(&mut archive, &mut out)?;
        out.flush()?;
        Ok((out, said))
    }
}

impl Write for KmlEntry {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Filled to `CHUNK` exactly, never past it: a chunk grown past its capacity
        // would be copied into one twice the size.
        let take = buf.len().min(CHUNK - self.chunk.len());
        self.chunk.extend_from_slice(buf.get(..take).unwrap_or(buf));
        if self.chunk.len() >= CHUNK {
            self.send()?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    /// Several chunks' worth of text, in pieces that do not line up with them.
    fn text() -> Vec<u8> {
        (0..(3 * CHUNK + 12_345))
            .map(|i| b"<Placemark>0123456789</Placemark>\n"[i % 34])
            .collect()
    }

    struct Two;
    impl Carry for Two {
        fn carry(
            &mut self,
            add: &mut dyn FnMut(&str, &[u8]) -> Result<()>,
        ) -> Result<Vec<Diagnostic>> {
            add("files/a.png", b"a")?;
            add("files/b.png", b"bb")?;
            Ok(Vec::new())
        }
    }

    #[test]
    fn the_kml_deflated_on_its_threads_reads_back_whole_before_the_carried_files() {
        let text = text();
        let mut entry = KmlEntry::new().expect("entry");
        for piece in text.chunks(7_777) {
            entry.write_all(piece).expect("write");
        }
        let (out, said) = entry.finish(Vec::new(), Some(&mut Two)).expect("finish");
        assert!(said.is_empty());
        let mut zip = zip::ZipArchive::new(Cursor::new(out)).expect("a zip");
        let names: Vec<String> = (0..zip.len())
            .map(|i| {
                zip.by_index(i)
                    .expect("entry")
                    .name()
                    .expect("name")
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["doc.kml", "files/a.png", "files/b.png"]);
        let mut kml = Vec::new();
        let mut doc = zip.by_name("doc.kml").expect("doc.kml");
        assert_eq!(doc.compression(), zip::CompressionMethod::Deflated);
        doc.read_to_end(&mut kml).expect("inflate");
        assert_eq!(kml.len(), text.len());
        assert!(
            kml == text,
            "the KML read back differs from what was written"
        );
    }

    #[derive(Debug)]
    struct Refusing;
    impl Write for Refusing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_output_that_fails_is_an_error_and_an_abandoned_kmz_stops_its_thread() {
        let mut entry = KmlEntry::new().expect("entry");
        entry.write_all(&text()).expect("write");
        let err = entry.finish(Refusing, None).expect_err("the output fails");
        assert!(err.to_string().contains("disk full"), "{err}");
        // Dropped half-written, with chunks still on their way: this returns.
        let mut entry = KmlEntry::new().expect("entry");
        entry.write_all(&text()).expect("write");
        drop(entry);
    }
}
