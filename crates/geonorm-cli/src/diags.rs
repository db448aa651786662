//! How every command prints diagnostics, in one place: `check`, `convert`, `fix`,
//! `info`, `append` and `upload` render what the library found through [`Printer`],
//! so that the same input gives the same lines whichever command read it. The
//! library's renderers (`geonorm::render`) write the text; this module only picks
//! the form (`--format`), the colour (`--color`, NO_COLOR) and what is said
//! (`--quiet`).

use std::io::{self, Write};

use geonorm::render::{HumanOptions, Source};
use geonorm::{Diagnostic, Severity};
use serde_json::Value;

use crate::term::ColorArg;

/// `--color` and `--quiet`, as every command that prints diagnostics takes them.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct Look {
    /// Colour: on a terminal unless NO_COLOR is set (auto), always, or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    pub color: ColorArg,
    /// Say only errors (the findings of severity error, and inputs that cannot be
    /// read): nothing at all for a clean run. Exit codes are the same.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The form of each diagnostic.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Lines {
    /// For people, as rustc: `file:line:col: severity[code]: message`, the line with a
    /// caret under the column, then `help`.
    Snippet,
    /// One line each, `file:line:col: severity: message [code]`, then `help`.
    Short,
    /// One JSON object per line: the fields of the library's JSON and the `file`.
    Jsonl,
}

/// Where the diagnostics go: colour is decided for that stream.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Stream {
    /// Standard output (`check`, whose report is its output).
    Stdout,
    /// Standard error (every other command: its output is the data).
    Stderr,
}

/// Renders diagnostics as the command line was asked to.
#[derive(Clone, Debug)]
pub struct Printer {
    lines: Lines,
    quiet: bool,
    human: HumanOptions,
}

impl Printer {
    /// Prints `lines` to `stream`, styled as `look` says; at most `max_per_code`
    /// findings of a code in the human forms (0: all).
    pub fn new(lines: Lines, look: &Look, stream: Stream, max_per_code: usize) -> Self {
        Printer {
            lines,
            quiet: look.quiet,
            human: HumanOptions {
                max_per_code: (max_per_code > 0).then_some(max_per_code),
                color: crate::term::color(look.color, stream),
            },
        }
    }

    /// Whether only errors are said.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// Writes what is to be said of `diags`, which point into `src`.
    pub fn write(
        &self,
        out: &mut dyn Write,
        src: &Source<'_>,
        diags: &[Diagnostic],
    ) -> io::Result<()> {
        // Only what fails the run is said with --quiet.
        let errors: Vec<Diagnostic>;
        let diags = if self.quiet {
            errors = diags
                .iter()
                .filter(|d| d.severity >= Severity::Error)
                .cloned()
                .collect();
            &errors[..]
        } else {
            diags
        };
        if diags.is_empty() {
            return Ok(());
        }
        match self.lines {
            Lines::Snippet => geonorm::render::human(out, src, diags, &self.human),
            Lines::Short => geonorm::render::one_line(out, src, diags, &self.human),
            Lines::Jsonl => {
                for v in json_lines(src, diags) {
                    let line = geonorm::render::json_text(&v, false).map_err(io::Error::other)?;
                    writeln!(out, "{line}")?;
                }
                Ok(())
            }
        }
    }
}

/// The library's JSON form of each diagnostic with the `file` it is in, so that each
/// line stands on its own.
pub fn json_lines(src: &Source<'_>, diags: &[Diagnostic]) -> Vec<Value> {
    let Value::Array(all) = geonorm::render::json(src, diags) else {
        return Vec::new();
    };
    all.into_iter()
        .map(|mut v| {
            if let Some(o) = v.as_object_mut() {
                o.insert("file".into(), Value::from(src.name));
            }
            v
        })
        .collect()
}
