//! `geonorm convert` (and `fix`, which is convert with `--fix`): read, check as it is
//! read, write the output through the guarded writer.

use std::io::{self, BufWriter, IsTerminal, Seek, Write};

use geonorm::{Error, Format};

use crate::input::Input;
use crate::output::{self, Dest, OutFile};
use crate::progress::Progress;
use crate::render::Renderer;
use crate::*;

/// GeoJSON, KML, KMZ or GPX to any of them, into a file or standard output, by the
/// library ([`geonorm::convert`]): streamed, in batches on every thread, checked as it
/// is read (or held whole, when the library says it must). A file is written into a
/// temporary file renamed into place only when the whole input was read; standard
/// output gets a document only once it is whole (KML, KMZ and GPX writers write at the
/// end; GeoJSON is held until then, see [`write_to`]). With `--assets`, the files the
/// library planned are written into the folder before the document is.
fn convert_streaming(
    args: &ConvertArgs,
    input: Input,
    format: Format,
    to: Format,
    dest: &Dest,
    renderer: &Renderer,
) -> anyhow::Result<ExitCode> {
    let mut input = input;
    input.read_as(format);
    let read = args.input.read_options(format);
    if let Some(e) = kmz_too_large(&input, format, &read.kmz) {
        renderer.fatal(&input, format, &e)?;
        return Ok(ExitCode::from(1));
    }
    let write = geonorm::WriteOptions::with_precision(args.precision, args.keep_root);
    // Notes are for people, and not wanted with --quiet.
    let notes = !renderer.quiet() && args.format.lines() != crate::diags::Lines::Jsonl;
    let placed = args.assets.dir.is_some();
    let mut place_files = None;
    let failed = placed.then(|| {
        let (place, failed) = assets::placer(&args.assets, &input, dest.path(), notes);
        place_files = Some(place);
        failed
    });
    let opts = geonorm::ConvertOptions {
        to,
        write,
        // Checked as it is converted, in the same read: it says what `check` says.
        check: check_options(args.profile.into(), read, &input),
        // A KMZ written carries the files a KML refers to, read from its folder.
        kml_folder: input
            .path()
            .filter(|_| format == Format::Kml)
            .and_then(std::path::Path::parent)
            .map(std::path::Path::to_path_buf),
        fix: args.fix,
        split_long_lines: args.split_long_lines,
        place_files,
    };
    let quiet = renderer.quiet();
    let done = {
        // A KMZ is read where it is, never held; so is a document held whole (read
        // once; the files a KMZ written carries are read again from the archive).
        // Bytes read of the input's size, on a terminal, once it takes a second.
        let mut seekable;
        let source = if format == Format::Kmz || opts.holds_whole() {
            seekable = Progress::new(input.seekable()?, input.len(), "converting", quiet);
            geonorm::Input::Seekable(&mut seekable)
        } else {
            let reading = Progress::new(input.reader()?, input.len(), "converting", quiet);
            geonorm::Input::Reader(Box::new(reading))
        };
        let convert = |out: &mut dyn Write| {
            geonorm::convert(source, out, &opts).map_err(|e| {
                // What writing the files failed with, as it was said.
                let said = failed.as_ref().and_then(|f| f.lock().ok()?.take());
                said.unwrap_or_else(|| e.into())
            })
        };
        // The files are written before the document, which is held until then.
        write_to(dest, to, placed, convert, |done| done.complete)?
    };
    let diags = done.diagnostics();
    if diags.iter().any(|d| d.span.is_some()) {
        show_kmz_entry(&mut input, &opts.check.read)?;
    }
    renderer.diagnostics(&input, &diags)?;
    Ok(exit_for(&diags))
}

/// Runs `write` into `dest`, the one place output goes: a file is committed only when
/// what was written is `complete` (else the temporary file goes and the old output
/// stays); a terminal is written through [`output::TerminalSafe`]. What is `held`, and
/// GeoJSON to standard output (its writer writes as it reads), is written into a spool
/// (memory, then an unnamed temporary file) and copied to `dest` only once complete:
/// a failed read prints nothing, and creates no file.
fn write_to<T>(
    dest: &Dest,
    to: Format,
    held: bool,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<T>,
    complete: impl Fn(&T) -> bool,
) -> anyhow::Result<T> {
    if held || (to == Format::GeoJson && matches!(dest, Dest::Stdout)) {
        let mut spool = tempfile::SpooledTempFile::new(SPOOL_IN_MEMORY);
        let done = write(&mut spool)?;
        if complete(&done) {
            spool.seek(io::SeekFrom::Start(0))?;
            let copy = |out: &mut dyn Write| Ok(io::copy(&mut spool, out)?);
            write_into(dest, to, copy, |_| true)?;
        }
        return Ok(done);
    }
    write_into(dest, to, write, complete)
}

/// [`write_to`] as it comes.
fn write_into<T>(
    dest: &Dest,
    to: Format,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<T>,
    complete: impl Fn(&T) -> bool,
) -> anyhow::Result<T> {
    match dest {
        Dest::File(path) => {
            let mut out = OutFile::create(path)?;
            let done = write(&mut out)?;
            if complete(&done) {
                out.commit()?;
            }
            Ok(done)
        }
        Dest::Stdout => {
            let stdout = io::stdout();
            let terminal = stdout.is_terminal();
            let mut out = BufWriter::new(stdout.lock());
            let done = if terminal {
                // The data cannot drive the terminal it is shown on.
                let mut safe = output::TerminalSafe::new(&mut out, to != Format::GeoJson);
                let done = write(&mut safe)?;
                safe.flush()?;
                done
            } else {
                write(&mut out)?
            };
            out.flush()?;
            Ok(done)
        }
    }
}

/// Bytes of a held output kept in memory before its spool moves to a temporary file.
const SPOOL_IN_MEMORY: usize = 1 << 20;

/// What `convert` checks the input for: what `check --profile P` checks of `input`,
/// read with `read` (its format among them), on every thread.
pub(crate) fn check_options(
    profile: geonorm::validate::Profile,
    read: geonorm::ReadOptions,
    input: &Input,
) -> geonorm::validate::CheckOptions {
    geonorm::validate::CheckOptions {
        profile,
        read: geonorm::ReadOptions {
            // Its extension is looked at, as `check` looks at it.
            name: input.path().map(std::path::Path::to_path_buf),
            threads: rayon::current_num_threads(),
            ..read
        },
        keep_document: false,
    }
}

/// For a KMZ, points diagnostics at the KML inside, as written: decompressed again
/// only when something is to be shown in it.
pub(crate) fn show_kmz_entry(input: &mut Input, read: &geonorm::ReadOptions) -> anyhow::Result<()> {
    if read.format != Some(Format::Kmz) {
        return Ok(());
    }
    input.show_kmz_entry(&read.kmz)
}

/// Refuses a KMZ larger than its archive limit from its size, before any reader
/// (some of which hold what they read) starts on it.
pub(crate) fn kmz_too_large(
    input: &Input,
    format: Format,
    limits: &geonorm::kmz::Limits,
) -> Option<Error> {
    (format == Format::Kmz && input.len() > limits.max_archive_bytes).then(|| Error::NotFormat {
        format,
        message: format!(
            "the archive is {} bytes, over the limit of {} for a KMZ",
            input.len(),
            limits.max_archive_bytes
        ),
    })
}

pub(crate) fn convert(args: ConvertArgs) -> anyhow::Result<ExitCode> {
    let stderr = crate::diags::Stream::Stderr;
    let printer =
        crate::diags::Printer::new(args.format.lines(), &args.look, stderr, args.max_per_code);
    let renderer = Renderer::new(printer);
    let dest = Dest::new(args.output.as_deref());
    let to = args
        .to
        .map(Format::from)
        .or_else(|| args.output.as_deref().and_then(Format::from_path))
        .unwrap_or(Format::GeoJson);
    if let Some(why) = refuse_binary_to_terminal(to, &dest, io::stdout().is_terminal()) {
        anyhow::bail!(why);
    }
    if let Dest::File(output) = &dest {
        output::check_target(Some(&args.input.input), output)?;
    }
    // Converted by the library, which decides what it holds whole.
    let input = args.input.open()?;
    let from = args.input.from.map(Format::from).or_else(|| input.detect());
    let Some(from) = from else {
        return undetected(&input, &renderer);
    };
    convert_streaming(&args, input, from, to, &dest, &renderer)
}

/// Why writing `to` to `dest` is refused, if it is: binary output (KMZ) sent to a
/// terminal garbles it and leaves nothing usable.
pub(crate) fn refuse_binary_to_terminal(
    to: Format,
    dest: &Dest,
    stdout_is_terminal: bool,
) -> Option<String> {
    let binary = to == Format::Kmz;
    (binary && stdout_is_terminal && matches!(dest, Dest::Stdout)).then(|| {
        format!(
            "refusing to write {} (binary) to a terminal; use -o FILE or redirect",
            to.as_str().to_ascii_uppercase()
        )
    })
}
