//! A sign of life on long reads: bytes read of the input's size, on standard error
//! when it is a terminal, shown only once reading has taken a second (a quick run
//! prints nothing, a pipe or `--quiet` never gets it).

use std::io::{self, BufRead, IsTerminal, Read, Seek, SeekFrom};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long reading goes on before the bar is shown.
const SHOWN_AFTER: Duration = Duration::from_secs(1);

/// A reader that moves a progress bar as it is read.
pub(crate) struct Progress<R> {
    inner: R,
    bar: ProgressBar,
    started: Instant,
    /// Whether the bar may be drawn at all (standard error is a terminal).
    terminal: bool,
    shown: bool,
    /// Bytes consumed through [`BufRead`] since the bar last moved: a reader that
    /// consumes a token at a time moves it every [`MOVE_EVERY`] bytes, not each time.
    unmoved: u64,
}

/// Bytes consumed before the bar moves.
const MOVE_EVERY: u64 = 256 << 10;

impl<R> Progress<R> {
    /// `inner`, of `total` bytes, read with a bar labelled `what`; never shown when
    /// `quiet`.
    pub(crate) fn new(inner: R, total: u64, what: &str, quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(what.to_string());
        Progress {
            inner,
            bar,
            started: Instant::now(),
            terminal: !quiet && io::stderr().is_terminal(),
            shown: false,
            unmoved: 0,
        }
    }

    fn moved(&mut self, position: u64) {
        self.bar.set_position(position);
        if self.terminal && !self.shown && self.started.elapsed() >= SHOWN_AFTER {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
    }
}

impl<R> Drop for Progress<R> {
    fn drop(&mut self) {
        // What follows (the findings) starts on a clean line.
        self.bar.finish_and_clear();
    }
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let at = self.bar.position() + n as u64;
        self.moved(at);
        Ok(n)
    }
}

/// The inner reader's own buffer, read through: no second buffer and copy between
/// the file and the reader.
impl<R: BufRead> BufRead for Progress<R> {
    // Asked for several times an XML event: inlined into the parser.
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.unmoved += n as u64;
        if self.unmoved >= MOVE_EVERY {
            let at = self.bar.position() + self.unmoved;
            self.unmoved = 0;
            self.moved(at);
        }
    }
}

impl<R: Seek> Seek for Progress<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let at = self.inner.seek(pos)?;
        self.unmoved = 0;
        self.moved(at);
        Ok(at)
    }
}
