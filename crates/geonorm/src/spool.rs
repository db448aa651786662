//! Where a streaming writer keeps what it cannot write yet: GPX wants every waypoint
//! before any route or track, KML a placemark inside its group's folder and the
//! shared styles first. Parts are kept in memory up to a megabyte, then in an
//! unnamed temporary file (nothing is left behind, whatever happens), and copied out
//! in the document's order at the end: memory holds a bounded buffer, not the
//! document.

use std::io::{self, Read, Seek, SeekFrom, Write};

/// Bytes kept in memory before the spool moves to a temporary file: a small document
/// never touches the disk, a large one holds this much (a GPX writer has three).
const IN_MEMORY: usize = 1 << 20;

/// Bytes gathered before they are written to the spool (one write, not one per part).
const PENDING: usize = 256 << 10;

/// Bytes appended in order, read back by range.
pub(crate) struct Spool {
    file: tempfile::SpooledTempFile,
    /// Appended but not yet in `file`.
    pending: Vec<u8>,
    /// Bytes in `file`.
    written: u64,
    /// What [`Spool::copy_range`] reads into: [`PENDING`] bytes once used (filled once,
    /// not for each copy: a KML writer copies a run of placemarks per folder).
    copying: Vec<u8>,
}

impl Spool {
    /// An empty spool.
    pub(crate) fn new() -> Spool {
        Spool {
            file: tempfile::SpooledTempFile::new(IN_MEMORY),
            pending: Vec::new(),
            written: 0,
            copying: Vec::new(),
        }
    }

    /// How many bytes were appended.
    pub(crate) fn len(&self) -> u64 {
        self.written + self.pending.len() as u64
    }

    /// Appends `bytes`.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= PENDING {
            self.flush_pending()?;
        }
        Ok(())
    }

    fn flush_pending(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.file.seek(SeekFrom::Start(self.written))?;
            self.file.write_all(&self.pending)?;
            self.written += self.pending.len() as u64;
            self.pending.clear();
        }
        Ok(())
    }

    /// Copies the bytes `start..end` (as appended) to `out`.
    pub(crate) fn copy_range(
        &mut self,
        start: u64,
        end: u64,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        self.flush_pending()?;
        self.file.seek(SeekFrom::Start(start))?;
        let mut want = end.saturating_sub(start);
        // A few large reads and writes, not io::copy's 8 KiB at a time (a spool is
        // copied out whole at the end).
        if self.copying.len() < PENDING {
            self.copying.resize(PENDING, 0);
        }
        while want > 0 {
            let n = usize::try_from(want).map_or(PENDING, |w| w.min(PENDING));
            let Some(part) = self.copying.get_mut(..n) else {
                break;
            };
            let got = match self.file.read(part) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the writer's spool is shorter than what was put in it",
                    ))
                }
                Ok(got) => got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            out.write_all(part.get(..got).unwrap_or_default())?;
            want -= got as u64;
        }
        Ok(())
    }

    /// Copies everything appended to `out`.
    pub(crate) fn copy_all(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let end = self.len();
        self.copy_range(0, end, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_come_back_as_appended_across_memory_and_file() -> io::Result<()> {
        let mut s = Spool::new();
        let part: Vec<u8> = (0..=255u8).cycle().take(3 << 20).collect();
        // More than IN_MEMORY in all: the spool moves to a file on the way.
        for _ in 0..(IN_MEMORY >> 20) + 2 {
            s.push(&part)?;
        }
        s.push(b"end")?;
        let parts = (IN_MEMORY >> 20) as u64 + 2;
        assert_eq!(s.len(), parts * part.len() as u64 + 3);
        let mut out = Vec::new();
        s.copy_range(part.len() as u64 + 5, part.len() as u64 + 10, &mut out)?;
        assert_eq!(out, part[5..10]);
        out.clear();
        s.copy_range(s.len() - 3, s.len(), &mut out)?;
        assert_eq!(out, b"end");
        out.clear();
        s.copy_all(&mut out)?;
        assert_eq!(out.len() as u64, s.len());
        assert!(s.copy_range(0, s.len() + 1, &mut Vec::new()).is_err());
        Ok(())
    }
}
