//! A KMZ's KML deflated on several threads, as pigz does: the text comes in chunks,
//! each deflated apart (a fresh window) into a run of blocks ended by a sync flush
//! (byte-aligned, no final bit), and the runs are put end to end in order, then an
//! empty final block: one valid deflate stream. Its CRC-32 is the chunks' CRCs
//! combined. A zip entry needs only that stream, its CRC and its sizes
//! ([`super::archive`]).
//!
//! Why: one thread deflating the 154 MB KML written from the 150 MB generated file
//! took 1.26 s at level 3 after the document was read (the KML can only be put
//! together at the end), the other core idle; two threads halve that. The chunks
//! lose the window across their starts: 0.15 % more bytes at 1 MiB chunks (45.63 MB
//! against 45.56 for that KML).

use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use flate2::{Compress, Compression, FlushCompress};

/// What a deflating thread hands back for one chunk: its deflated bytes and CRC.
type Deflated = io::Result<(Vec<u8>, crc32fast::Hasher)>;

/// The deflated stream put together, kept in `file`.
pub(crate) struct Body<F> {
    /// The deflate stream.
    pub(crate) file: F,
    /// The CRC-32 of the text.
    pub(crate) crc: u32,
    /// The text's length.
    pub(crate) raw: u64,
    /// The stream's length.
    pub(crate) deflated: u64,
}

/// Chunks deflated on `threads` threads and written in order into a file.
pub(crate) struct Deflating<F: Write + Send + 'static> {
    /// Chunk `i` goes to thread `i % threads`.
    to: Vec<SyncSender<Vec<u8>>>,
    sent: usize,
    raw: u64,
    workers: Vec<JoinHandle<()>>,
    collector: Option<JoinHandle<io::Result<Body<F>>>>,
}

/// Deflates `input` into `out` as a run of blocks ended by a sync flush, from a fresh
/// window.
fn segment(
    c: &mut Compress,
    input: &[u8],
    out: &mut Vec<u8>,
    flush: FlushCompress,
) -> io::Result<()> {
    c.reset();
    let start = c.total_in();
    loop {
        out.reserve(input.len() / 2 + 1024);
        let used = usize::try_from(c.total_in() - start).unwrap_or(usize::MAX);
        let rest = input.get(used..).unwrap_or_default();
        let status = c.compress_vec(rest, out, flush).map_err(io::Error::other)?;
        let used = usize::try_from(c.total_in() - start).unwrap_or(usize::MAX);
        // Done when all the input is taken and the output was not filled (zlib's rule
        // for a flush): a full output may hold back the rest of the flush.
        if used >= input.len()
            && (out.len() < out.capacity() || status == flate2::Status::StreamEnd)
        {
            return Ok(());
        }
    }
}

/// The deflated form of `input` as a whole stream, final block and all.
#[cfg(test)]
pub(crate) fn whole(chunks: &[&[u8]], level: u32) -> io::Result<(Vec<u8>, u32)> {
    let mut c = Compress::new(Compression::new(level), false);
    let mut out = Vec::new();
    let mut crc = crc32fast::Hasher::new();
    for chunk in chunks {
        let mut one = Vec::new();
        segment(&mut c, chunk, &mut one, FlushCompress::Sync)?;
        out.extend_from_slice(&one);
        let mut h = crc32fast::Hasher::new();
        h.update(chunk);
        crc.combine(&h);
    }
    segment(&mut c, &[], &mut out, FlushCompress::Finish)?;
    Ok((out, crc.finalize()))
}

impl<F: Write + Send + 'static> Deflating<F> {
    /// Starts `threads` deflating threads (at least one) at `level`, and the thread
    /// that writes what they deflate, in order, into `file`.
    pub(crate) fn new(file: F, threads: usize, level: u32) -> io::Result<Self> {
        let threads = threads.max(1);
        let mut to = Vec::with_capacity(threads);
        let mut back: Vec<Receiver<Deflated>> = Vec::with_capacity(threads);
        let mut workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            // A chunk is handed over when its thread is ready for it, and one deflated
            // chunk waits for the collector: memory holds about two chunks a thread.
            let (tx, chunks) = sync_channel::<Vec<u8>>(0);
            let (done, rx) = sync_channel::<Deflated>(1);
            workers.push(
                std::thread::Builder::new()
                    .name("geonorm-kmz".into())
                    .spawn(move || {
                        let mut c = Compress::new(Compression::new(level), false);
                        for chunk in chunks {
                            let mut out = Vec::new();
                            let r =
                                segment(&mut c, &chunk, &mut out, FlushCompress::Sync).map(|()| {
                                    let mut h = crc32fast::Hasher::new();
                                    h.update(&chunk);
                                    (out, h)
                                });
                            let failed = r.is_err();
                            if done.send(r).is_err() || failed {
                                return;
                            }
                        }
                    })?,
            );
            to.push(tx);
            back.push(rx);
        }
        let collector = std::thread::Builder::new()
            .name("geonorm-kmz".into())
            .spawn(move || collect(file, &back, level))?;
        Ok(Deflating {
            to,
            sent: 0,
            raw: 0,
            workers,
            collector: Some(collector),
        })
    }

    /// Hands `chunk` to the next thread. Fails when the threads have stopped (then
    /// [`Deflating::finish`] says why).
    pub(crate) fn send(&mut self, chunk: Vec<u8>) -> io::Result<()> {
        let len = chunk.len() as u64;
        let at = self.sent % self.to.len().max(1);
        let sent = self.to.get(at).map(|t| t.send(chunk));
        if let Some(Ok(())) = sent {
            self.sent += 1;
            self.raw += len;
            return Ok(());
        }
        Err(io::Error::other("the KMZ's deflating stopped"))
    }

    /// Waits for every chunk sent to be deflated and written; the stream ended.
    pub(crate) fn finish(mut self) -> io::Result<Body<F>> {
        self.to.clear();
        let body = match self.collector.take().map(JoinHandle::join) {
            Some(Ok(body)) => body,
            _ => Err(io::Error::other("the KMZ's deflating thread panicked")),
        };
        for w in self.workers.drain(..) {
            if w.join().is_err() {
                return Err(io::Error::other("the KMZ's deflating thread panicked"));
            }
        }
        let body = body?;
        // A thread that stopped early ends the stream short: never written as whole.
        if body.raw != self.raw {
            return Err(io::Error::other("the KMZ's deflating stopped"));
        }
        Ok(body)
    }
}

impl<F: Write + Send + 'static> Drop for Deflating<F> {
    /// Abandoned half-way, its threads stop.
    fn drop(&mut self) {
        self.to.clear();
        if let Some(c) = self.collector.take() {
            let _ = c.join();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// Writes the deflated chunks into `file` in the order they were sent: chunk `i`
/// comes from thread `i % n`; the first thread with nothing more ends the stream.
fn collect<F: Write>(mut file: F, back: &[Receiver<Deflated>], level: u32) -> io::Result<Body<F>> {
    let mut crc = crc32fast::Hasher::new();
    let (mut raw, mut deflated) = (0u64, 0u64);
    for i in 0.. {
        let Some(Ok(one)) = back.get(i % back.len().max(1)).map(Receiver::recv) else {
            break;
        };
        let (bytes, h) = one?;
        file.write_all(&bytes)?;
        raw += h.total_len();
        deflated += bytes.len() as u64;
        crc.combine(&h);
    }
    // The final block: empty.
    let mut end = Vec::new();
    segment(
        &mut Compress::new(Compression::new(level), false),
        &[],
        &mut end,
        FlushCompress::Finish,
    )?;
    file.write_all(&end)?;
    deflated += end.len() as u64;
    file.flush()?;
    Ok(Body {
        file,
        crc: crc.finalize(),
        raw,
        deflated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Read;

    fn inflate(stream: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(stream)
            .read_to_end(&mut out)
            .expect("a valid deflate stream");
        out
    }

    #[test]
    fn chunks_deflated_on_threads_inflate_to_their_concatenation() -> io::Result<()> {
        let line = b"<Placemark><coordinates>7.1,46.2</coordinates></Placemark>\n";
        let text: Vec<u8> = (0..(5 << 20) + 777)
            .map(|i: usize| line[i % line.len()] ^ u8::from(i.is_multiple_of(251)))
            .collect();
        for threads in [1, 2, 3] {
            let mut d = Deflating::new(Vec::new(), threads, 3)?;
            for chunk in text.chunks((1 << 20) - 3) {
                d.send(chunk.to_vec())?;
            }
            let body = d.finish()?;
            assert_eq!(body.raw, text.len() as u64);
            assert_eq!(body.deflated, body.file.len() as u64);
            assert_eq!(body.crc, crc32fast::hash(&text));
            assert!(inflate(&body.file) == text, "{threads} threads");
        }
        // Nothing sent: an empty stream.
        let body = Deflating::new(Vec::new(), 2, 3)?.finish()?;
        assert_eq!((body.raw, body.crc), (0, crc32fast::hash(b"")));
        assert!(inflate(&body.file).is_empty());
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_split_inflates_to_the_whole(
            parts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3000), 0..6),
            level in 1u32..7,
        ) {
            let chunks: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            let (stream, crc) = whole(&chunks, level).expect("deflate");
            let all = parts.concat();
            prop_assert_eq!(inflate(&stream), all.clone());
            prop_assert_eq!(crc, crc32fast::hash(&all));
        }
    }
}
