//! `geonorm`: convert, inspect and check map files for MapHub.
//!
//! A thin layer over the `geonorm` library: parse arguments, open the input, call the
//! library, render what it found. Exit codes: 0 ok, 1 the input has errors, 2 usage or
//! I/O error.

mod assets;
mod check;
mod check_cmd;
mod completions;
mod convert;
mod diags;
mod dry_run;
mod gitlab;
mod input;
mod output;
mod progress;
mod remote;
mod render;
mod term;
mod walk;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use geonorm::{Diagnostic, Error, Format, Severity};

use crate::input::Input;

use crate::render::Renderer;

#[derive(Parser)]
#[command(
    name = "geonorm",
    version,
    about = "Read, check and convert KML, GPX and GeoJSON for MapHub"
)]
struct Cli {
    /// Threads to use, before the command (`geonorm -j 4 convert …`), as it was once
    /// given; the commands that use threads take `-j` themselves.
    #[arg(short = 'j', long, hide = true)]
    threads: Option<usize>,
    /// The most bytes read from standard input, a FIFO or a device (copied aside to a
    /// temporary file), or from a file read whole to be sent; lower than the default
    /// for a small disk or a service's memory, never higher [default: 1 GiB].
    #[arg(long, global = true, value_name = "BYTES",
          value_parser = clap::value_parser!(u64).range(1..=input::MAX_STREAM_BYTES))]
    stream_limit: Option<u64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert a map file to another format (MapHub GeoJSON by default).
    Convert(ConvertArgs),
    /// Show what a map file holds: format, features, groups, vertices, extent, size.
    Info(InfoArgs),
    /// Check files (or directories of them) before they are sent to MapHub.
    Check(check_cmd::CheckArgs),
    /// Apply the safe fixes (close rings, rewind them to the right-hand rule, drop
    /// repeated positions, create missing groups) and write the result; each fix is
    /// reported.
    // `fix` is `convert --fix`: that flag, and `--profile` (whose rules' findings
    // `--fix` replaces by what was fixed), do nothing here.
    #[command(mut_arg("fix", |a| a.hide(true)), mut_arg("profile", |a| a.hide(true)))]
    Fix(ConvertArgs),
    /// Add a file's features to a MapHub map (checked, converted and, when too large,
    /// split first).
    Append {
        #[command(flatten)]
        send: remote::SendArgs,
        /// The map's id.
        #[arg(long = "map")]
        map_id: u64,
        /// Put everything appended into a new group with this title.
        #[arg(long)]
        new_group: Option<String>,
        #[command(flatten)]
        server: remote::ServerArgs,
    },
    /// Create a MapHub map from a file.
    Upload {
        #[command(flatten)]
        send: remote::SendArgs,
        /// Who may see the map.
        #[arg(long, value_enum)]
        visibility: VisibilityArg,
        /// The map's title.
        #[arg(long)]
        title: Option<String>,
        /// The map's description.
        #[arg(long)]
        description: Option<String>,
        /// The URL name to ask for.
        #[arg(long)]
        short_name: Option<String>,
        #[command(flatten)]
        server: remote::ServerArgs,
    },
    /// List the maps the API key can see.
    Maps {
        #[command(flatten)]
        server: remote::ServerArgs,
        #[command(flatten)]
        answer: remote::AnswerArgs,
    },
    /// Download a map's GeoJSON (MapHub's whole answer with `--format json`).
    Get {
        /// The map's id.
        map_id: u64,
        /// Write it to this file instead of standard output (`-` for standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        server: remote::ServerArgs,
        #[command(flatten)]
        answer: remote::AnswerArgs,
    },
    /// Redraw a map's preview image (MapHub allows once per 5 minutes).
    RefreshImage {
        /// The map's id.
        map_id: u64,
        #[command(flatten)]
        server: remote::ServerArgs,
        #[command(flatten)]
        answer: remote::AnswerArgs,
    },
    /// Write the completion script for a shell to standard output.
    Completions {
        #[arg(value_enum)]
        shell: completions::ShellArg,
    },
    /// Write the man page (roff) to standard output.
    Man,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum VisibilityArg {
    Public,
    Unlisted,
    Private,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProfileArg {
    /// MapHub's public service: every rule, its 15 MB and 2-minute limits.
    Maphub,
    /// A MapHub Enterprise server: no size or time limits.
    Enterprise,
    /// RFC 7946 and the geometry rules alone.
    Rfc7946,
}

impl From<ProfileArg> for geonorm::validate::Profile {
    fn from(p: ProfileArg) -> Self {
        match p {
            ProfileArg::Maphub => geonorm::validate::Profile::Maphub,
            ProfileArg::Enterprise => geonorm::validate::Profile::Enterprise,
            ProfileArg::Rfc7946 => geonorm::validate::Profile::Rfc7946,
        }
    }
}

/// `--format` of `maps`, `get` and `refresh-image`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    Human,
    Json,
}

/// `--format` of `convert` and `fix`: how the diagnostics are printed on standard
/// error (standard output is the converted file).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DiagFormat {
    /// For people: each finding with the line it is on and a caret under it.
    Human,
    /// One line per finding, `file:line:col: severity: message [code]`.
    Short,
    /// One JSON object per finding per line, as `jsonl` (its first name).
    Json,
    /// One JSON object per finding per line (`check --format json`'s fields and the
    /// `file`).
    Jsonl,
}

impl DiagFormat {
    /// The form of each diagnostic.
    pub(crate) fn lines(self) -> diags::Lines {
        match self {
            DiagFormat::Human => diags::Lines::Snippet,
            DiagFormat::Short => diags::Lines::Short,
            DiagFormat::Json | DiagFormat::Jsonl => diags::Lines::Jsonl,
        }
    }
}

/// `--format` of `info`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InfoFormat {
    /// The report for people; the diagnostics on standard error, each with the line
    /// it is on and a caret under it.
    Human,
    /// The report for people; the diagnostics one line each, `file:line:col:
    /// severity: message [code]`.
    Short,
    /// One JSON object: the report and its `diagnostics`.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Geojson,
    Kml,
    Kmz,
    Gpx,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Geojson => Format::GeoJson,
            FormatArg::Kml => Format::Kml,
            FormatArg::Kmz => Format::Kmz,
            FormatArg::Gpx => Format::Gpx,
        }
    }
}

#[derive(clap::Args)]
struct InputArgs {
    /// Input file, or `-` for standard input.
    input: PathBuf,
    /// Input format, when neither the content nor the name tells.
    #[arg(long, value_enum)]
    from: Option<FormatArg>,
    /// GPX: put waypoints, routes and tracks into three groups.
    #[arg(long, value_enum, default_value = "none")]
    gpx_groups: GpxGroups,
    /// The name standard input (`-`) is given in messages (its extension also tells
    /// the format when the content does not) [default: <stdin>].
    #[arg(long, value_name = "NAME")]
    stdin_name: Option<String>,
    #[command(flatten)]
    threads: term::Threads,
}

impl InputArgs {
    /// Opens the input, standard input named as `--stdin-name` says.
    fn open(&self) -> anyhow::Result<Input> {
        Input::open_as(&self.input, self.stdin_name.as_deref())
    }

    /// How to read the input as `format`, with the reader options given.
    fn read_options(&self, format: Format) -> geonorm::ReadOptions {
        geonorm::ReadOptions {
            gpx: geonorm::gpx::ReadOptions {
                groups_by_kind: self.gpx_groups == GpxGroups::Kind,
            },
            ..geonorm::ReadOptions::format(format)
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GpxGroups {
    /// No groups.
    None,
    /// A group each for waypoints, routes and tracks.
    Kind,
}

#[derive(clap::Args)]
struct ConvertArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Output file (standard output when absent or `-`). Written to a temporary file
    /// beside it and renamed over it when complete; never the input itself.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Output format; by default taken from the output file's extension, else geojson.
    #[arg(long, value_enum)]
    to: Option<FormatArg>,
    /// Decimal places for coordinates (default: as many as it takes to read back exactly).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=17))]
    precision: Option<u8>,
    /// Write a single Feature or bare Geometry back as such instead of a FeatureCollection.
    #[arg(long)]
    keep_root: bool,
    /// Cut a line over MapHub's limit per request as one feature into consecutive
    /// features under it (each with a `geonorm_part` number; pieces share the vertex
    /// where they join), as `append --split-long-lines` sends it.
    #[arg(long)]
    split_long_lines: bool,
    /// How to print diagnostics on standard error.
    #[arg(long, value_enum, default_value = "human")]
    format: DiagFormat,
    /// The rules whose findings on the input are said, as `geonorm check` says them
    /// (with `--fix`: what reading met, and what was fixed).
    #[arg(long, value_enum, default_value = "maphub")]
    profile: ProfileArg,
    /// Show at most N findings of each code (human output; 0 shows all); the rest are
    /// counted in an `… and K more CODE` line.
    #[arg(long, value_name = "N", default_value_t = 20)]
    max_per_code: usize,
    /// Apply the safe fixes first (as `geonorm fix`).
    #[arg(long)]
    fix: bool,
    #[command(flatten)]
    assets: assets::AssetArgs,
    #[command(flatten)]
    look: diags::Look,
}

#[derive(clap::Args)]
struct InfoArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    format: InfoFormat,
    #[command(flatten)]
    look: diags::Look,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let threads = match &cli.command {
        Command::Convert(a) | Command::Fix(a) => a.input.threads.threads,
        Command::Info(a) => a.input.threads.threads,
        Command::Check(a) => a.threads.threads,
        Command::Append { send, .. } | Command::Upload { send, .. } => send.threads.threads,
        _ => None,
    };
    term::use_threads(threads.or(cli.threads));
    if let Some(bytes) = cli.stream_limit {
        input::set_stream_limit(bytes);
    }
    let result = match cli.command {
        Command::Convert(args) => convert::convert(args),
        Command::Info(args) => info(args),
        Command::Check(args) => check_cmd::check_cmd(args),
        Command::Fix(mut args) => {
            args.fix = true;
            convert::convert(args)
        }
        Command::Append {
            send,
            map_id,
            new_group,
            server,
        } => remote::append(&server, &send, map_id, new_group),
        Command::Upload {
            send,
            visibility,
            title,
            description,
            short_name,
            server,
        } => {
            let visibility = match visibility {
                VisibilityArg::Public => geonorm_upload::Visibility::Public,
                VisibilityArg::Unlisted => geonorm_upload::Visibility::Unlisted,
                VisibilityArg::Private => geonorm_upload::Visibility::Private,
            };
            let args = geonorm_upload::UploadArgs {
                file_type: geonorm_upload::FileType::Geojson,
                visibility,
                title,
                description,
                short_name,
            };
            remote::upload(&server, &send, args)
        }
        Command::Maps { server, answer } => remote::maps(&server, answer),
        Command::Get {
            map_id,
            output,
            server,
            answer,
        } => remote::get(&server, answer, map_id, output.as_deref()),
        Command::RefreshImage {
            map_id,
            server,
            answer,
        } => remote::refresh_image(&server, answer, map_id),
        Command::Completions { shell } => completions::completions(shell),
        Command::Man => completions::man(),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("geonorm: {}", term::printable(&error_line(&e)));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, each cause left out when the message
/// before it already says it (`i/o error: X` caused by `X`).
pub(crate) fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || matches!(c.downcast_ref::<Error>(), Some(Error::Io(io)) if io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// An input whose format neither its content nor its name tells: said as `check`
/// says it (the library's finding on it), with exit 1 as `check` exits, then how to
/// name the format.
fn undetected(input: &Input, renderer: &Renderer) -> anyhow::Result<ExitCode> {
    let opts = geonorm::validate::CheckOptions::new(geonorm::validate::Profile::Maphub, None);
    let report = geonorm::check(geonorm::Input::Reader(input.reader()?), &opts)?;
    renderer.diagnostics(input, &report.diagnostics)?;
    if !renderer.quiet() {
        eprintln!(
            "geonorm: {}: cannot tell the format from the content or the name; use --from",
            term::printable(input.name())
        );
    }
    Ok(exit_for(&report.diagnostics))
}

/// Exit code for a finished run: 1 when any diagnostic is an error.
fn exit_for(diags: &[Diagnostic]) -> ExitCode {
    if diags.iter().any(|d| d.severity >= Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn info(args: InfoArgs) -> anyhow::Result<ExitCode> {
    let json = args.format == InfoFormat::Json;
    let lines = match args.format {
        InfoFormat::Short => diags::Lines::Short,
        _ => diags::Lines::Snippet,
    };
    let stderr = diags::Stream::Stderr;
    let renderer = Renderer::new(diags::Printer::new(lines, &args.look, stderr, 0));
    let mut input = args.input.open()?;
    let Some(format) = args.input.from.map(Format::from).or_else(|| input.detect()) else {
        return undetected(&input, &renderer);
    };
    let (report, diags) = match info_streamed(&args.input, &mut input, format, &renderer)? {
        Ok(info) => info,
        Err(code) => return Ok(code),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if json {
        let mut v = serde_json::to_value(&report)?;
        v["diagnostics"] = serde_json::Value::Array(Renderer::diagnostics_json(&input, &diags)?);
        out.write_all(geonorm::render::json_text(&v, true)?.as_bytes())?;
        writeln!(out)?;
    } else {
        report.write_human(&mut out)?;
        renderer.diagnostics(&input, &diags)?;
    }
    Ok(exit_for(&diags))
}

/// `info` of a file of any format: summarised as its features stream past (in
/// batches on every thread), never held whole; a KMZ is read where it is, and its
/// icons and photos planned as MapHub would take them in the same pass. The report
/// and the diagnostics (sorted by position) are those of the document read whole; an
/// input that cannot be read at all is said as a finding (exit 1) when it is the
/// content's fault, an error (exit 2) when it is I/O.
fn info_streamed(
    args: &InputArgs,
    input: &mut Input,
    format: Format,
    renderer: &Renderer,
) -> anyhow::Result<Result<(render::InfoReport, Vec<Diagnostic>), ExitCode>> {
    input.read_as(format);
    let opts = geonorm::ReadOptions {
        threads: rayon::current_num_threads(),
        ..args.read_options(format)
    };
    if let Some(e) = convert::kmz_too_large(input, format, &opts.kmz) {
        renderer.fatal(input, format, &e)?;
        return Ok(Err(ExitCode::from(1)));
    }
    let mut summary = geonorm::Summary::default();
    let mut plan = None;
    let streamed = if format == Format::Kmz {
        let mut archive = input.seekable()?;
        let planned = geonorm::assets::plan_archive_fed(
            input.seekable()?,
            geonorm::assets::Purpose::Maphub,
            &geonorm::assets::Limits::default(),
            |planner| {
                Ok(geonorm::stream(
                    geonorm::Input::Seekable(&mut *archive),
                    &opts,
                    &geonorm::stream::AsRead,
                    |f, _| {
                        planner(&f);
                        summary.add(&f);
                        Ok(())
                    },
                ))
            },
        );
        match planned {
            Ok((p, streamed)) => {
                plan = Some(p);
                streamed
            }
            Err(e) => Err(e),
        }
    } else {
        let reading =
            progress::Progress::new(input.reader()?, input.len(), "reading", renderer.quiet());
        geonorm::stream(
            geonorm::Input::Reader(Box::new(reading)),
            &opts,
            &geonorm::stream::AsRead,
            |f, _| {
                summary.add(&f);
                Ok(())
            },
        )
    };
    // A KMZ's findings count offsets in the KML inside: shown against it, decompressed
    // again only when something is to be shown in it (a fatal error always is).
    let show_entry = match &streamed {
        Ok(end) => end.diagnostics.iter().any(|d| d.span.is_some()),
        Err(_) => true,
    };
    if show_entry {
        convert::show_kmz_entry(input, &opts)?;
    }
    match streamed {
        Ok(geonorm::stream::StreamEnd {
            meta,
            groups,
            diagnostics: mut diags,
            kmz,
        }) => {
            // As `Document::summary` counts them.
            summary.groups = groups.len();
            Diagnostic::sort_by_position(&mut diags);
            let mut report = render::InfoReport::of(input, &meta, summary, kmz);
            if let Some(plan) = plan {
                report.set_uploads(render::Uploads {
                    markers: plan.count(geonorm::assets::AssetKind::Marker),
                    images: plan.count(geonorm::assets::AssetKind::Image),
                });
            }
            Ok(Ok((report, diags)))
        }
        Err(e @ (Error::Syntax { .. } | Error::NotFormat { .. } | Error::Invalid(_))) => {
            renderer.fatal(input, format, &e)?;
            Ok(Err(ExitCode::from(1)))
        }
        Err(Error::Io(io)) => Err(io.into()),
        Err(e) => Err(anyhow::Error::new(e).context(input.name().to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Dest;

    #[test]
    fn an_error_line_says_each_cause_once() {
        let io = io::Error::new(
            io::ErrorKind::PermissionDenied,
            "cannot write o.kml: denied",
        );
        // The library's `i/o error: {0}` has the same error as its source.
        let e = anyhow::Error::new(Error::Io(io)).context("converting a.kml");
        assert_eq!(
            error_line(&e),
            "converting a.kml: i/o error: cannot write o.kml: denied"
        );
        let e = anyhow::anyhow!("outer").context("ctx");
        assert_eq!(error_line(&e), "ctx: outer");
    }

    #[test]
    fn binary_output_is_refused_only_on_a_terminal() {
        let stdout = Dest::new(None);
        let dash = Dest::new(Some(std::path::Path::new("-")));
        let file = Dest::new(Some(std::path::Path::new("out.kmz")));
        let refusal = "refusing to write KMZ (binary) to a terminal; use -o FILE or redirect";
        for dest in [&stdout, &dash] {
            assert_eq!(
                convert::refuse_binary_to_terminal(Format::Kmz, dest, true).as_deref(),
                Some(refusal)
            );
            // Redirected or piped: written.
            assert_eq!(
                convert::refuse_binary_to_terminal(Format::Kmz, dest, false),
                None
            );
        }
        assert_eq!(
            convert::refuse_binary_to_terminal(Format::Kmz, &file, true),
            None
        );
        for text in [Format::GeoJson, Format::Kml, Format::Gpx] {
            assert_eq!(
                convert::refuse_binary_to_terminal(text, &stdout, true),
                None
            );
        }
    }
}
