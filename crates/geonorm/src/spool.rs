//! Where a streaming writer keeps what it cannot write yet: GPX wants every waypoint
//! before any route or track, KML a placemark inside its group's folder and the
//! shared styles first. Parts are kept in memory up to a megabyte, then in an
//! unnamed temporary file (nothing is left behind, whatever happens), and copied out
//! in the document's order at the end ([`write_pieces`], read ahead on a thread of
//! its own): memory holds bounded buffers, not the document.

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
            let n = up_to(want, PENDING);
            let part = self
                .copying
                .get_mut(..n)
                .ok_or_else(|| io::Error::other("a spool block overran"))?;
            read_full(&mut self.file, part)?;
            out.write_all(part)?;
            want -= n as u64;
        }
        Ok(())
    }

    /// The piece of a document that is everything appended.
    pub(crate) fn whole(&self, spool: usize) -> Piece {
        Piece::Range {
            spool,
            start: 0,
            end: self.len(),
        }
    }
}

/// Reads `buf.len()` bytes of a spool's file from where it is.
fn read_full(file: &mut tempfile::SpooledTempFile, buf: &mut [u8]) -> io::Result<()> {
    file.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the writer's spool is shorter than what was put in it",
        ),
        _ => e,
    })
}

/// How many of the `want` bytes still to go fit in `room`.
fn up_to(want: u64, room: usize) -> usize {
    usize::try_from(want).map_or(room, |w| w.min(room))
}

/// A piece of a document put together at its end: text of its own, or bytes appended
/// to one of its spools.
pub(crate) enum Piece {
    /// Text written as it is.
    Text(Vec<u8>),
    /// The bytes `start..end` of spool `spool`.
    Range {
        /// Which spool, in the slice given to [`write_pieces`].
        spool: usize,
        /// Where the bytes start.
        start: u64,
        /// Where they end.
        end: u64,
    },
}

/// Below this many spooled bytes a document is copied out on the calling thread.
const OVERLAPPED: u64 = 4 << 20;

/// Writes `pieces` in order into `out`. The spooled bytes are read on a thread of
/// their own while the calling thread writes: reading a spool back costs about
/// 0.55 ns a byte (the kernel's copy from the page cache) and writing the output 1 to
/// 2, one after the other on one core while the other idled (286 MB of GPX from the
/// 150 MB KML: 0.16 s of reading hidden).
pub(crate) fn write_pieces(
    spools: &mut [Spool],
    pieces: &[Piece],
    out: &mut dyn Write,
) -> io::Result<()> {
    for s in spools.iter_mut() {
        s.flush_pending()?;
    }
    let spooled: u64 = pieces
        .iter()
        .map(|p| match p {
            Piece::Range { start, end, .. } => end.saturating_sub(*start),
            Piece::Text(_) => 0,
        })
        .sum();
    if spooled < OVERLAPPED {
        for p in pieces {
            match p {
                Piece::Text(t) => out.write_all(t)?,
                Piece::Range { spool, start, end } => spools
                    .get_mut(*spool)
                    .ok_or_else(|| io::Error::other("no such spool"))?
                    .copy_range(*start, *end, out)?,
            }
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        // The ranges' bytes end to end, in blocks (one hand-over a block, not one a
        // range: a KML of many folders has a run a placemark); two blocks on their way
        // at most, and written blocks come back to be reused.
        let (to_write, blocks) = std::sync::mpsc::sync_channel::<io::Result<Block>>(2);
        let (reuse, used) = std::sync::mpsc::channel::<Vec<u8>>();
        scope.spawn(move || {
            let r = read_ahead(spools, pieces, &to_write, &used);
            if let Err(e) = r {
                let _ = to_write.send(Err(e));
            }
        });
        let (mut block, mut filled) = (Vec::new(), 0);
        let mut at = 0;
        for p in pieces {
            match p {
                Piece::Text(t) => out.write_all(t)?,
                Piece::Range { start, end, .. } => {
                    let mut want = end.saturating_sub(*start);
                    while want > 0 {
                        if at >= filled {
                            let (next, n) = blocks
                                .recv()
                                .map_err(|_| io::Error::other("the spool's reader stopped"))??;
                            let _ = reuse.send(std::mem::replace(&mut block, next));
                            (filled, at) = (n, 0);
                        }
                        let n = up_to(want, filled - at);
                        let part = block
                            .get(at..at + n)
                            .ok_or_else(|| io::Error::other("a spool block overran"))?;
                        out.write_all(part)?;
                        at += n;
                        want -= n as u64;
                    }
                }
            }
        }
        Ok(())
    })
}

/// A block of read-ahead bytes and how many of them are filled (a block keeps its
/// length when it is reused, so it is zeroed once).
type Block = (Vec<u8>, usize);

/// Reads the ranges of `pieces` end to end into blocks of [`PENDING`] bytes, sent in
/// order to `to_write`; stops when the writer has gone.
fn read_ahead(
    spools: &mut [Spool],
    pieces: &[Piece],
    to_write: &std::sync::mpsc::SyncSender<io::Result<Block>>,
    used: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> io::Result<()> {
    let fresh = |used: &std::sync::mpsc::Receiver<Vec<u8>>| {
        let mut b = used.try_recv().unwrap_or_default();
        if b.len() < PENDING {
            b.resize(PENDING, 0);
        }
        b
    };
    let (mut block, mut filled) = (fresh(used), 0);
    for p in pieces {
        let Piece::Range { spool, start, end } = p else {
            continue;
        };
        let s = spools
            .get_mut(*spool)
            .ok_or_else(|| io::Error::other("no such spool"))?;
        s.file.seek(SeekFrom::Start(*start))?;
        let mut want = end.saturating_sub(*start);
        while want > 0 {
            let n = up_to(want, PENDING.saturating_sub(filled));
            let part = block
                .get_mut(filled..filled + n)
                .ok_or_else(|| io::Error::other("a spool block overran"))?;
            read_full(&mut s.file, part)?;
            filled += n;
            want -= n as u64;
            if filled >= PENDING {
                if to_write.send(Ok((block, filled))).is_err() {
                    return Ok(());
                }
                (block, filled) = (fresh(used), 0);
            }
        }
    }
    if filled > 0 {
        let _ = to_write.send(Ok((block, filled)));
    }
    Ok(())
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
        let whole = [s.whole(0)];
        write_pieces(std::slice::from_mut(&mut s), &whole, &mut out)?;
        assert_eq!(out.len() as u64, s.len());
        assert!(s.copy_range(0, s.len() + 1, &mut Vec::new()).is_err());
        Ok(())
    }

    /// Text and ranges of several spools, in any order, come out as given, whether
    /// copied on the calling thread (small) or read on a thread of their own.
    #[test]
    fn pieces_come_out_in_order_read_ahead_or_not() -> io::Result<()> {
        for size in [1_000usize, 3 << 20] {
            let mut spools = [Spool::new(), Spool::new()];
            let a: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let b: Vec<u8> = (0..size).map(|i| (i % 13) as u8).collect();
            spools[0].push(&a)?;
            spools[1].push(&b)?;
            let half = size as u64 / 2;
            let pieces = [
                Piece::Text(b"head".to_vec()),
                Piece::Range {
                    spool: 1,
                    start: half,
                    end: size as u64,
                },
                Piece::Text(b"-".to_vec()),
                spools[0].whole(0),
                Piece::Range {
                    spool: 1,
                    start: 0,
                    end: half,
                },
                Piece::Range {
                    spool: 1,
                    start: 3,
                    end: 3,
                },
                Piece::Text(b"end".to_vec()),
            ];
            let mut out = Vec::new();
            write_pieces(&mut spools, &pieces, &mut out)?;
            let want = [
                &b"head"[..],
                &b[size / 2..],
                b"-",
                &a[..],
                &b[..size / 2],
                b"end",
            ]
            .concat();
            assert!(out == want, "{size} bytes");
            // A range past the end is an error, not a short document.
            let bad = [Piece::Range {
                spool: 0,
                start: 0,
                end: size as u64 * 3,
            }];
            assert!(write_pieces(&mut spools, &bad, &mut Vec::new()).is_err());
        }
        Ok(())
    }
}
