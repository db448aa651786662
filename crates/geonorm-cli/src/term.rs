//! Text for a terminal. Titles from MapHub, messages quoting a file and file names can
//! hold control characters; printed raw they clear the screen, retitle the window or
//! fake lines of output. Everything printed for people goes through [`printable`].

use std::borrow::Cow;
use std::io;

/// `--color WHEN`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum ColorArg {
    /// On a terminal, unless NO_COLOR is set (or TERM is `dumb`).
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// Whether what is written to `stream` is coloured: `--color`, and for `auto`
/// whether it is a terminal and the environment (NO_COLOR, CLICOLOR_FORCE, TERM)
/// allows it, as anstream decides.
pub fn color(choice: ColorArg, stream: crate::diags::Stream) -> bool {
    let choice = match choice {
        ColorArg::Auto => anstream::ColorChoice::Auto,
        ColorArg::Always => anstream::ColorChoice::Always,
        ColorArg::Never => anstream::ColorChoice::Never,
    };
    let chosen = match stream {
        crate::diags::Stream::Stdout => {
            anstream::AutoStream::new(io::stdout(), choice).current_choice()
        }
        crate::diags::Stream::Stderr => {
            anstream::AutoStream::new(io::stderr(), choice).current_choice()
        }
    };
    chosen != anstream::ColorChoice::Never
}

/// `-j`, on the commands that read on several threads.
#[derive(clap::Args, Clone, Copy, Default)]
pub struct Threads {
    /// Threads to use (default: all cores).
    #[arg(short = 'j', long = "threads", value_name = "THREADS")]
    pub threads: Option<usize>,
}

/// Sets the number of threads for the run (all cores when `None`); only the first
/// call counts.
pub fn use_threads(threads: Option<usize>) {
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    // Only fails when a pool exists already.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
}

/// `s` with every character unsafe for a terminal written as a Rust-style escape
/// (`\u{1b}`): the library's [`geonorm::render::printable`], so that what the
/// library's renderers print and what the CLI prints itself are escaped alike.
///
/// Apply it to one field or one line at a time: a newline the caller prints itself
/// is structure and must not pass through here.
pub fn printable(s: &str) -> Cow<'_, str> {
    geonorm::render::printable(s)
}

#[cfg(test)]
mod tests {
    use super::printable;
    use std::borrow::Cow;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let s = "Café – Zürich 北京 \\u{1b} stays";
        assert!(matches!(printable(s), Cow::Borrowed(t) if t == s));
    }

    #[test]
    fn controls_and_bidi_overrides_are_escaped() {
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("\u{1b}]0;owned\u{7}"), "\\u{1b}]0;owned\\u{7}");
        assert_eq!(printable("t\r\nfake\t1"), "t\\u{d}\\u{a}fake\\u{9}1");
        assert_eq!(
            printable("\0\u{7f}\u{80}\u{9b}"),
            "\\u{0}\\u{7f}\\u{80}\\u{9b}"
        );
        assert_eq!(printable("x\u{202e}y\u{2066}z"), "x\\u{202e}y\\u{2066}z");
        // Neighbours of the escaped ranges are left alone.
        assert_eq!(
            printable("\u{a0}\u{2029}\u{202f}\u{2065}\u{206a}"),
            "\u{a0}\u{2029}\u{202f}\u{2065}\u{206a}"
        );
    }

    #[test]
    fn nothing_escaped_contains_a_control() {
        let all: String = (0u32..0x2100).filter_map(char::from_u32).collect();
        let shown = printable(&all);
        assert!(!shown.chars().any(|c| c.is_control()
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)));
    }
}
