//! `geonorm check`: many files, in parallel, one report, rendered by the library
//! (`geonorm::render`): for people as rustc does (`path:line:col: error[code]:
//! message`, the line, a caret, help); JSON and SARIF 2.1.0 for programs and CI
//! annotations. A KMZ's findings point into its KML entry, not the zip's bytes.

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use geonorm::render::{Shown, Source};
use geonorm::validate::{CheckOptions, Report};
use geonorm::{Format, Severity};
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::walk::Target;

/// One file's result.
pub struct Checked {
    /// The path as shown in every report.
    pub name: String,
    /// What the report's spans count in (the library's [`Shown`]: the file's bytes,
    /// the decoded text of a UTF-16 or single-byte KML or GPX, a KMZ's main KML);
    /// `None` when nothing was kept.
    pub shown: Option<Shown<'static>>,
    /// For a file checked as it streamed past and not kept (GeoJSON; KML and GPX in
    /// UTF-8): where each finding is, worked out in a second streaming pass.
    pub located: Option<geonorm::render::Located>,
    pub report: Report,
}

impl Checked {
    /// What the diagnostics point into.
    fn source(&self) -> Source<'_> {
        if let Some(located) = &self.located {
            return Source::streamed(&self.name, located);
        }
        match &self.shown {
            Some(shown) => shown.source(&self.name),
            None => Source::new(&self.name, &[]),
        }
    }
}

/// The check of a file held in memory, `bytes`.
fn checked_bytes(name: String, bytes: Vec<u8>, path: &Path, opts: &CheckOptions) -> Checked {
    let opts = named(opts, path, 1);
    // Reading from memory cannot fail; were it to, it is said as a finding.
    let report = geonorm::check(bytes[..].into(), &opts).unwrap_or_else(|e| Report {
        format: None,
        diagnostics: vec![geonorm::Diagnostic::new(
            geonorm::Code::MaphubFileType,
            e.to_string(),
        )],
        document: None,
    });
    let shown = Shown::of_owned(bytes, report.format, &geonorm::kmz::Limits::default());
    Checked {
        name,
        shown: Some(shown),
        located: None,
        report,
    }
}

/// `opts` for the file at `path` (its extension says the format too), on `threads`.
fn named(opts: &CheckOptions, path: &Path, threads: usize) -> CheckOptions {
    let mut opts = opts.clone();
    opts.read.name = Some(path.to_path_buf());
    opts.read.threads = threads;
    opts
}

/// Checks one file, `opened` at its start; `reopen` gives it again from its start
/// (a second pass to place findings, a KMZ's entry).
fn check_file(
    name: &str,
    path: &Path,
    opened: std::fs::File,
    reopen: &dyn Fn() -> io::Result<std::fs::File>,
    opts: &CheckOptions,
) -> anyhow::Result<Checked> {
    let cannot = |e: io::Error| anyhow::anyhow!("cannot read {name}: {e}");
    let len = opened.metadata().map_err(cannot)?.len();
    let mut file = io::BufReader::with_capacity(1 << 20, opened);
    let head = io::BufRead::fill_buf(&mut file).unwrap_or(&[]);
    let format = opts
        .read
        .format
        .or_else(|| Format::detect(head, Some(path)));
    if format != Some(Format::Kmz) && Format::is_binary(head) {
        // Refused from its first bytes: the rest is not read.
        let head = head[..head.len().min(Format::BINARY_HEAD)].to_vec();
        return Ok(checked_bytes(name.to_string(), head, path, opts));
    }
    let streamed = |report: Report, shown, located| Checked {
        name: name.to_string(),
        shown,
        located,
        report,
    };
    if format == Some(Format::Kmz) {
        let limits = geonorm::kmz::Limits::default();
        if len > limits.max_archive_bytes {
            // Refused from its size: not read.
            let e = geonorm::Error::NotFormat {
                format: Format::Kmz,
                message: format!(
                    "the archive is {len} bytes, over the limit of {} for a KMZ",
                    limits.max_archive_bytes
                ),
            };
            let report = Report {
                format: Some(Format::Kmz),
                diagnostics: vec![geonorm::validate::fatal_diagnostic(Format::Kmz, &e)],
                document: None,
            };
            return Ok(streamed(report, None, None));
        }
        let opts = named(opts, path, rayon::current_num_threads());
        // Read where the archive is, never held.
        let mut archive = file.into_inner();
        let report =
            geonorm::check(geonorm::Input::Seekable(&mut archive), &opts).map_err(cannot)?;
        // Its findings count in its main KML, read when one of them has a place; not
        // an archive after all, they have none.
        let shown = if report.format == Some(Format::Kmz)
            && report.diagnostics.iter().any(|d| d.span.is_some())
        {
            Shown::of_archive(reopen().map_err(cannot)?, &limits)
        } else {
            None
        };
        return Ok(streamed(report, shown, None));
    }
    // Held when its findings count in decoded text (UTF-16, a single-byte
    // encoding), which is made from the whole file.
    if format.is_some_and(|f| geonorm::render::placed_in_own_bytes(f, head)) {
        // Streamed, never held: a file of hundreds of megabytes is checked in the
        // memory of one batch of it; a second pass finds where each finding is.
        let opts = named(opts, path, rayon::current_num_threads());
        let report = geonorm::check(geonorm::Input::reader(file), &opts).map_err(cannot)?;
        let offsets = report
            .diagnostics
            .iter()
            .filter_map(|d| d.span.map(|s| s.start));
        let located =
            geonorm::render::Located::scan(reopen().map_err(cannot)?, offsets).map_err(cannot)?;
        return Ok(streamed(report, None, Some(located)));
    }
    drop(file);
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut reopen().map_err(cannot)?, &mut bytes).map_err(cannot)?;
    Ok(checked_bytes(name.to_string(), bytes, path, opts))
}

/// Checks every target, in parallel, keeping the given order; standard input is
/// called `stdin_name` (its extension can tell the format). A file that cannot be read
/// at all is an I/O error (said, exit 2), not a finding, and the others are checked.
pub fn run(
    targets: &[Target],
    stdin_name: &str,
    opts: &CheckOptions,
    quiet: bool,
) -> Vec<anyhow::Result<Checked>> {
    let progress = (!quiet && io::stderr().is_terminal() && targets.len() > 20).then(|| {
        let bar = indicatif::ProgressBar::new(targets.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    // Standard input is read once, before the files, into a temporary file.
    let stdin = targets
        .contains(&Target::Stdin)
        .then(|| crate::input::spool(io::stdin().lock(), stdin_name));
    let results: Vec<anyhow::Result<Checked>> = targets
        .par_iter()
        .map(|target| {
            let checked = match target {
                Target::Stdin => match &stdin {
                    Some(Ok(spool)) => {
                        check_spooled(stdin_name, Path::new(stdin_name), spool, opts)
                    }
                    Some(Err(e)) => Err(anyhow::anyhow!("{e}")),
                    None => Err(anyhow::anyhow!("standard input was not read")),
                },
                Target::Path(path) => check_path(path, opts),
            };
            if let Some(bar) = &progress {
                bar.inc(1);
            }
            checked
        })
        .collect();
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    results
}

/// Checks the file at `path`: a regular file where it is, a FIFO or a device copied
/// once into a temporary file first.
fn check_path(path: &Path, opts: &CheckOptions) -> anyhow::Result<Checked> {
    let name = path.display().to_string();
    let (opened, regular) = crate::input::open_path(path, &name)?;
    if regular {
        return check_file(&name, path, opened, &|| std::fs::File::open(path), opts);
    }
    // A FIFO or a device: copied once into a temporary file, within a byte budget,
    // and checked from there like a file.
    let spool = crate::input::spool(opened, &name)?;
    check_spooled(&name, path, &spool, opts)
}

/// Checks an input copied into a temporary file ([`crate::input::spool`]).
fn check_spooled(
    name: &str,
    path: &Path,
    spool: &std::fs::File,
    opts: &CheckOptions,
) -> anyhow::Result<Checked> {
    let cannot = |e: io::Error| anyhow::anyhow!("cannot read {name}: {e}");
    let again = || {
        let mut f = spool.try_clone()?;
        io::Seek::rewind(&mut f)?;
        Ok(f)
    };
    let first = again().map_err(cannot)?;
    check_file(name, path, first, &again, opts)
}

#[derive(Default)]
pub struct Totals {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

pub fn totals(results: &[Checked]) -> Totals {
    let mut t = Totals::default();
    for d in results.iter().flat_map(|r| &r.report.diagnostics) {
        match d.severity {
            Severity::Error => t.errors += 1,
            Severity::Warning => t.warnings += 1,
            Severity::Info => t.infos += 1,
        }
    }
    t
}

/// The report for people and for programs reading as it goes: each file's findings
/// as `printer` renders them (every command's form), then, under the snippets, the
/// totals line unless `--quiet`.
pub fn findings(
    results: &[Checked],
    printer: &crate::diags::Printer,
    totals_line: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    for r in results {
        printer.write(out, &r.source(), &r.report.diagnostics)?;
    }
    if printer.quiet() || !totals_line {
        return Ok(());
    }
    let t = totals(results);
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    writeln!(
        out,
        "checked {}: {}, {}, {}",
        plural(results.len(), "file"),
        plural(t.errors, "error"),
        plural(t.warnings, "warning"),
        plural(t.infos, "info")
    )
}

pub fn json_report(results: &[Checked]) -> Value {
    let files: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({
                "path": r.name,
                "format": r.report.format.map(|f| f.as_str()),
                "diagnostics": geonorm::render::json(&r.source(), &r.report.diagnostics),
            })
        })
        .collect();
    let t = totals(results);
    json!({
        "files": files,
        "summary": {"files": results.len(), "errors": t.errors, "warnings": t.warnings, "infos": t.infos},
    })
}

/// SARIF 2.1.0: one run, the rules met, one result per finding.
pub fn sarif(results: &[Checked]) -> Value {
    let files: Vec<(Source<'_>, &[geonorm::Diagnostic])> = results
        .iter()
        .map(|r| (r.source(), &r.report.diagnostics[..]))
        .collect();
    geonorm::render::sarif(&files)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::PathBuf;

    /// Every KML and GPX file under testdata/.
    fn files() -> Vec<PathBuf> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
        let walk = crate::walk::WalkArgs {
            paths: vec![root],
            follow: false,
            hidden: false,
            no_ignore: false,
            stdin_name: None,
        };
        let all = crate::walk::collect(&walk);
        assert!(all.errors.is_empty(), "{:?}", all.errors);
        let xml: Vec<PathBuf> = all
            .targets
            .into_iter()
            .filter_map(|t| match t {
                Target::Path(p) => Some(p),
                Target::Stdin => None,
            })
            .filter(|p| {
                p.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| matches!(x.to_ascii_lowercase().as_str(), "kml" | "gpx"))
            })
            .collect();
        // A missing testdata must not pass for a test that compared nothing.
        assert!(xml.len() > 100, "found only {} files", xml.len());
        xml
    }

    /// A file checked from its bytes held whole, as before KML and GPX streamed.
    fn held(path: &std::path::Path, opts: &CheckOptions) -> Checked {
        let bytes = std::fs::read(path).expect("read");
        checked_bytes(path.display().to_string(), bytes, path, opts)
    }

    /// Streamed and located by a second pass, a KML or GPX file's report reads as it
    /// did from the file held whole, in every rendering.
    #[test]
    fn streamed_reports_render_as_held_ones() {
        let files = files();
        let opts = CheckOptions::default();
        let targets: Vec<Target> = files.iter().cloned().map(Target::Path).collect();
        let streamed: Vec<Checked> = run(&targets, "<stdin>", &opts, false)
            .into_iter()
            .collect::<anyhow::Result<_>>()
            .expect("check");
        let mut located = 0;
        for (path, s) in files.iter().zip(&streamed) {
            let h = held(path, &opts);
            located += usize::from(s.located.is_some());
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let look = crate::diags::Look {
                color: crate::term::ColorArg::Never,
                quiet: false,
            };
            let stdout = crate::diags::Stream::Stdout;
            let all = crate::diags::Printer::new(crate::diags::Lines::Snippet, &look, stdout, 0);
            findings(std::slice::from_ref(s), &all, true, &mut a).expect("render");
            findings(std::slice::from_ref(&h), &all, true, &mut b).expect("render");
            assert_eq!(text(&a), text(&b), "{}", path.display());
            let one = |c: &Checked| {
                let c = std::slice::from_ref(c);
                (json_report(c), sarif(c))
            };
            assert_eq!(one(s), one(&h), "{}", path.display());
        }
        // Most of them streamed (those in UTF-16 or a single-byte encoding are held).
        assert!(located * 2 > files.len(), "only {located} streamed");
    }

    fn text(b: &[u8]) -> String {
        String::from_utf8_lossy(b).into_owned()
    }
}
