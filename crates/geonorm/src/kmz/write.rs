//! KMZ writing: the KML deflated into `doc.kml` as it is written, on a thread of its
//! own, then the files the KMZ carries.

use std::io::{Seek, Write};

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
const DEFLATE_LEVEL: i64 = 3;

/// A KMZ being made: its KML, `doc.kml`, deflated as it is written into an archive
/// kept in a spool (a zip is finished from its end), so the KML is never held or
/// copied aside first. The deflating runs on a thread of its own, while the KML is
/// put together from the writer's spool (the second core is otherwise idle then).
pub(crate) struct KmlEntry {
    /// What is written, until a chunk is full and sent to the thread.
    chunk: Vec<u8>,
    to_zip: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    zipping: Option<std::thread::JoinHandle<Result<Zip>>>,
}

type Zip = zip::ZipWriter<tempfile::SpooledTempFile>;

/// Bytes sent to the deflating thread at once, and how many such chunks may wait:
/// memory holds at most a few megabytes of the KML.
const CHUNK: usize = 1 << 20;
const CHUNKS_WAITING: usize = 2;

fn zip_failed(e: zip::result::ZipError) -> Error {
    Error::Io(std::io::Error::other(e))
}

fn deflated() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(DEFLATE_LEVEL))
}

impl KmlEntry {
    /// An archive whose `doc.kml` is being written.
    pub(crate) fn new() -> Result<KmlEntry> {
        // A KML over 4 GiB needs zip64, which its size, unknown when it starts, decides.
        let mut zip = zip::ZipWriter::new(tempfile::SpooledTempFile::new(ARCHIVE_IN_MEMORY))
            .set_auto_large_file();
        zip.start_file("doc.kml", deflated()).map_err(zip_failed)?;
        let (to_zip, chunks) = std::sync::mpsc::sync_channel::<Vec<u8>>(CHUNKS_WAITING);
        let zipping = std::thread::Builder::new()
            .name("geonorm-kmz".into())
            .spawn(move || -> Result<Zip> {
                for chunk in chunks {
                    zip.write_all(&chunk)?;
                }
                Ok(zip)
            })?;
        Ok(KmlEntry {
            chunk: Vec::with_capacity(CHUNK),
            to_zip: Some(to_zip),
            zipping: Some(zipping),
        })
    }

    /// Hands the chunk to the deflating thread; when that thread has stopped, its
    /// error.
    fn send(&mut self) -> std::io::Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        let sent = self.to_zip.as_ref().map(|t| t.send(chunk));
        if let Some(Ok(())) = sent {
            return Ok(());
        }
        // The thread stopped: what stopped it.
        self.to_zip = None;
        match self.join() {
            Err(Error::Io(e)) => Err(e),
            Err(e) => Err(std::io::Error::other(e.to_string())),
            Ok(_) => Err(std::io::Error::other("the KMZ's deflating stopped")),
        }
    }

    /// Waits for the deflating thread once everything is sent.
    fn join(&mut self) -> Result<Zip> {
        self.to_zip = None;
        match self.zipping.take().map(|h| h.join()) {
            Some(Ok(zipped)) => zipped,
            Some(Err(_)) => Err(Error::Io(std::io::Error::other(
                "the KMZ's deflating thread panicked",
            ))),
            None => Err(Error::Io(std::io::Error::other(
                "the KMZ's deflating stopped",
            ))),
        }
    }

    /// Ends the KML, adds the files `carry` adds after it, and copies the archive to
    /// `out`; answers what could not be carried.
    pub(crate) fn finish<W: Write>(
        mut self,
        mut out: W,
        carry: Option<&mut dyn Carry>,
    ) -> Result<(W, Vec<Diagnostic>)> {
        self.send()?;
        let mut zip = self.join()?;
        let said = match carry {
            Some(carry) => carry.carry(&mut |name, bytes| {
                zip.start_file(name, deflated()).map_err(zip_failed)?;
                zip.write_all(bytes)?;
                Ok(())
            })?,
            None => Vec::new(),
        };
        let mut archive = zip.finish().map_err(zip_failed)?;
        archive.rewind()?;
        std::io::copy(&mut archive, &mut out)?;
        out.flush()?;
        Ok((out, said))
    }
}

impl Write for KmlEntry {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.chunk.extend_from_slice(buf);
        if self.chunk.len() >= CHUNK {
            self.send()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for KmlEntry {
    /// A KMZ abandoned half-written stops its thread.
    fn drop(&mut self) {
        self.to_zip = None;
        if let Some(h) = self.zipping.take() {
            let _ = h.join();
        }
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
    fn the_kml_deflated_on_its_thread_reads_back_whole_before_the_carried_files() {
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
