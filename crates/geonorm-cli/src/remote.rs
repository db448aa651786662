//! The MapHub commands: `append`, `upload`, `maps`, `get`, `refresh-image`. Thin over
//! `geonorm-upload`: validate, convert and split here, send there.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use geonorm::{Format, Severity};
use geonorm_upload::{
    plan_chunks, send, ApiKey, Chunk, ChunkRecord, ChunkState, Client, ClientBuilder, Event,
    FileType, Mode, SendOptions, UploadArgs, DEFAULT_SERVER,
};
use serde_json::json;

use crate::term::printable;

/// Where and how to talk to MapHub.
#[derive(clap::Args, Clone)]
pub struct ServerArgs {
    /// The MapHub site (an Enterprise server: https://company.maphub.net); `/api/1/` is
    /// added unless the URL ends with it.
    #[arg(long, default_value = DEFAULT_SERVER)]
    pub server: String,
    /// A file holding the API key (default: the MAPHUB_API_KEY environment variable).
    #[arg(long)]
    pub api_key_file: Option<PathBuf>,
    /// Print each request (key masked) instead of sending it.
    #[arg(long)]
    pub dry_run: bool,
    /// Seconds to wait for the connection to open [default: 10].
    #[arg(long, value_name = "SECS")]
    pub connect_timeout: Option<f64>,
    /// Seconds one attempt of a request may take, from connecting to the last byte of
    /// the answer [default: 60 for maps, get, refresh-image; 180 for append and upload,
    /// which MapHub may work on for 2 minutes]. Reads are tried up to 4 times, sends
    /// only again when they never left, so a command gives up after at most about 4 ×
    /// this + 3.5 s.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
}

/// `--format` of `maps`, `get` and `refresh-image`, which print no diagnostics.
#[derive(clap::Args, Clone, Copy)]
pub struct AnswerArgs {
    /// Print the server's answers as JSON.
    #[arg(long, value_enum, default_value = "human")]
    pub format: crate::OutputFormat,
}

/// `--format` of `append` and `upload`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SendFormat {
    /// For people: the result in words; each finding on standard error with the line
    /// it is on and a caret under it.
    Human,
    /// The result in words; each finding on standard error on one line,
    /// `file:line:col: severity: message [code]`.
    Short,
    /// The server's answers as one JSON document; the findings as JSON lines on
    /// standard error.
    Json,
    /// The server's answers as JSON on one line; the findings as JSON lines on
    /// standard error.
    Jsonl,
}

/// What to send and how.
#[derive(clap::Args, Clone)]
pub struct SendArgs {
    /// The file to send (KML, KMZ, GPX or GeoJSON; `-` reads standard input).
    pub file: PathBuf,
    /// The name standard input (`-`) is given in messages (its extension also tells
    /// the format when the content does not) [default: <stdin>].
    #[arg(long, value_name = "NAME")]
    pub stdin_name: Option<String>,
    #[command(flatten)]
    pub threads: crate::term::Threads,
    /// Send the original bytes with their own file_type, not the converted GeoJSON.
    #[arg(long)]
    pub raw: bool,
    /// Do not upload a KMZ's (or a KML folder's) custom icons and photos as MapHub
    /// markers and images: its placemarks get MapHub's default pin and no image.
    /// With --resume: go on without the icons and photos not yet uploaded (e.g. after
    /// MapHub refused one).
    #[arg(long)]
    pub no_assets: bool,
    /// Do not upload this icon or photo (its name as geonorm gives it: the archive
    /// entry, or the path beside the KML); its placemarks get MapHub's default pin or no
    /// photo. Repeatable; also on --resume, for one MapHub refused.
    #[arg(long, value_name = "NAME")]
    pub skip_asset: Vec<String>,
    /// Cut a line (a long track) that is over the limit per request as one feature
    /// into consecutive features under it, each with the line's properties and a
    /// `geonorm_part` number; consecutive pieces share the vertex where they join.
    #[arg(long)]
    pub split_long_lines: bool,
    /// Send even when the check finds errors.
    #[arg(long)]
    pub force: bool,
    /// Continue an earlier send that stopped, from its journal (refused when there is
    /// none). What may have landed is looked for on the map before anything is sent
    /// again.
    #[arg(long)]
    pub resume: bool,
    /// Largest request body in bytes; larger files are split. Default: MapHub's
    /// 15 MiB limit; 0 for no limit (Enterprise servers without one).
    #[arg(long, value_name = "BYTES")]
    pub max_bytes: Option<u64>,
    /// The journal that records the send [default: FILE.maphub-journal.json beside the
    /// file, or in the per-user state directory when that folder is not writable or
    /// the file is standard input].
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Seconds after an unanswered request was sent during which it may still land; a
    /// resume waits until then before deciding it did not [default: the send timeout
    /// plus MapHub's 2 minutes of processing: 300].
    #[arg(long, value_name = "SECS")]
    pub unanswered_wait: Option<u64>,
    /// How the result and the findings are printed.
    #[arg(long, value_enum, default_value = "human")]
    pub format: SendFormat,
    #[command(flatten)]
    pub look: crate::diags::Look,
}

impl SendArgs {
    /// How the findings are printed, on standard error.
    fn printer(&self) -> crate::diags::Printer {
        let lines = match self.format {
            SendFormat::Human => crate::diags::Lines::Snippet,
            SendFormat::Short => crate::diags::Lines::Short,
            SendFormat::Json | SendFormat::Jsonl => crate::diags::Lines::Jsonl,
        };
        crate::diags::Printer::new(lines, &self.look, crate::diags::Stream::Stderr, 0)
    }

    /// Whether the server's answers are printed as JSON.
    fn json(&self) -> bool {
        matches!(self.format, SendFormat::Json | SendFormat::Jsonl)
    }

    /// The file as messages name it: `<stdin>` for `-`, as every command says it.
    fn name(&self) -> String {
        if self.file == Path::new("-") {
            self.stdin_name.as_deref().unwrap_or("<stdin>").to_string()
        } else {
            self.file.display().to_string()
        }
    }
}

fn client(args: &ServerArgs) -> anyhow::Result<Client> {
    let key = match &args.api_key_file {
        Some(path) => ApiKey::from_file(path)?,
        None => ApiKey::from_env()?.ok_or(geonorm_upload::Error::MissingKey)?,
    };
    let secs = |flag: &str, v: f64| {
        std::time::Duration::try_from_secs_f64(v)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| anyhow::anyhow!("{flag} must be a positive number of seconds"))
    };
    let mut builder = ClientBuilder::new()
        .server(args.server.clone())
        .api_key(key);
    if let Some(v) = args.connect_timeout {
        builder = builder.connect_timeout(secs("--connect-timeout", v)?);
    }
    if let Some(v) = args.timeout {
        let d = secs("--timeout", v)?;
        builder = builder.timeout(d).send_timeout(d);
    }
    Ok(builder.build()?)
}

/// What `payload` found: the document (or raw bytes) to send.
struct Prepared {
    bytes: Vec<u8>,
    format: Format,
    limit: Option<u64>,
    /// The document, its icons and photos (none with `--raw` or `--no-assets`), the
    /// send's fingerprint.
    ready: geonorm_upload::Ready,
}

/// Reads and checks the file; `Err(code)` when it must not be sent.
fn payload(args: &SendArgs, new_group: &str) -> anyhow::Result<Result<Prepared, ExitCode>> {
    let bytes = crate::input::read_whole(&args.file, &args.name())?;
    let path = Some(args.file.as_path()).filter(|p| *p != Path::new("-"));
    let named = path.or(args.stdin_name.as_deref().map(Path::new));
    let Some(format) = Format::detect(&bytes, named) else {
        // Said as `check` says it, and exit 1 as it exits.
        let opts = geonorm::validate::CheckOptions::new(geonorm::validate::Profile::Maphub, None);
        let report = geonorm::check(bytes[..].into(), &opts)?;
        let name = args.name();
        let mut stderr = io::stderr().lock();
        let source = geonorm::render::Source::new(&name, &[]);
        args.printer()
            .write(&mut stderr, &source, &report.diagnostics)?;
        if !args.look.quiet {
            writeln!(
                stderr,
                "geonorm: {}: cannot tell the format from the content or the name; nothing sent",
                printable(&name)
            )?;
        }
        return Ok(Err(ExitCode::from(1)));
    };
    let limit = geonorm_upload::body_limit(args.max_bytes);
    let split = args.split_long_lines;
    // One read: the check, and the document sent.
    let checked = geonorm_upload::check_before_send(&bytes, path, format, args.raw, limit, split);
    let mut stderr = io::stderr().lock();
    show(
        &mut stderr,
        args,
        format,
        &bytes,
        &checked.report.diagnostics,
    )?;
    if checked.report.has_errors() && !args.force {
        writeln!(
            stderr,
            "geonorm: {} has errors; nothing sent (fix them, or send anyway with --force)",
            args.name()
        )?;
        return Ok(Err(ExitCode::from(1)));
    }
    if args.raw {
        if let Some(l) = limit.filter(|&l| bytes.len() as u64 > l) {
            anyhow::bail!(
                "{} is {} bytes, over the limit of {l}: --raw sends the file as it is, so it cannot be split; drop --raw to send it converted, in parts",
                args.name(),
                bytes.len()
            );
        }
    }
    let shape = geonorm_upload::SendShape {
        raw: args.raw,
        // On resume, --no-assets leaves out what the journal records, so they are read.
        assets: !args.no_assets || args.resume,
        limit,
        new_group,
        split_long_lines: split,
    };
    let ready = checked.ready(&bytes, path, format, &shape)?;
    if !ready.cut.is_empty() && !args.look.quiet {
        let pieces = ready.document.features.len();
        let lines = match ready.cut.len() {
            1 => "1 line".to_string(),
            n => format!("{n} lines"),
        };
        writeln!(
            stderr,
            "geonorm: cut {lines} over the limit per request; {pieces} features to send (--split-long-lines)"
        )?;
    }
    if let Some(p) = &ready.assets {
        show(&mut stderr, args, format, &bytes, &p.diagnostics)?;
    }
    Ok(Ok(Prepared {
        bytes,
        format,
        limit,
        ready,
    }))
}

/// Shows the warnings and errors among `diagnostics` as every command shows them
/// ([`crate::diags::Printer`]): a KMZ's spans count in its KML.
fn show(
    stderr: &mut impl Write,
    args: &SendArgs,
    format: Format,
    bytes: &[u8],
    diagnostics: &[geonorm::Diagnostic],
) -> anyhow::Result<()> {
    let shown: Vec<geonorm::Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .cloned()
        .collect();
    if shown.is_empty() {
        return Ok(());
    }
    let name = args.name();
    // In the text the findings count in: a KMZ's main KML, transcoded text (UTF-16,
    // Latin-1) as read, so that lines and columns are the original file's.
    let text = geonorm::render::Shown::of(bytes, Some(format), &Default::default());
    let source = text.source(&name);
    args.printer().write(stderr, &source, &shown)?;
    Ok(())
}

/// How many icons and photos are uploaded, and how many not yet.
fn assets_line(assets: &[geonorm_upload::AssetRecord]) -> String {
    let count = |kind: &str, done: bool| {
        assets
            .iter()
            .filter(|a| a.kind == kind && (a.state == ChunkState::Confirmed) == done)
            .count()
    };
    let n = |n: usize, one: &str, what: &str| {
        format!("{n} {one}{} ({what})", if n == 1 { "" } else { "s" })
    };
    let mut line = format!(
        "assets: {} and {} uploaded",
        n(count("marker", true), "marker", "icons"),
        n(count("image", true), "image", "photos")
    );
    let left = count("marker", false) + count("image", false);
    if left > 0 {
        line.push_str(&format!(", {left} not yet"));
    }
    line
}

fn chunk_line(c: &ChunkRecord, total: usize) -> String {
    let state = match c.state {
        ChunkState::Confirmed => "landed",
        ChunkState::Sent => {
            "sent, no answer (it may have landed: --resume looks for it on the map)"
        }
        ChunkState::Pending => "not sent",
    };
    format!(
        "chunk {} of {total}: features {}–{} ({} bytes): {state}",
        c.index + 1,
        c.first + 1,
        c.first + c.count,
        c.bytes
    )
}

/// Set by the first Ctrl-C: the send stops before its next chunk.
static STOP: AtomicBool = AtomicBool::new(false);

/// Ctrl-C stops a send between chunks (the request in flight finishes, so what landed
/// is known); a second Ctrl-C stops at once, and the journal already records the chunk
/// in flight as sent without an answer, which `--resume` settles.
fn on_ctrl_c() {
    let presses = std::sync::atomic::AtomicU32::new(0);
    let _ = ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            STOP.store(true, Ordering::SeqCst);
            eprintln!("geonorm: stopping after the chunk in flight (Ctrl-C again stops now)");
        } else {
            eprintln!("geonorm: stopped; the chunk in flight is recorded as sent without an answer: run the same command with --resume to see whether it landed and send the rest");
            std::process::exit(130);
        }
    });
}

fn do_send(server: &ServerArgs, args: &SendArgs, mode: Mode) -> anyhow::Result<ExitCode> {
    let new_group = match &mode {
        Mode::Append { new_group, .. } => new_group.clone().unwrap_or_default(),
        Mode::Upload(_) => String::new(),
    };
    let Prepared {
        bytes,
        format,
        limit,
        mut ready,
    } = match payload(args, &new_group)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let file_type = if args.raw {
        FileType::from(format)
    } else {
        FileType::Geojson
    };
    if server.dry_run {
        let doc = &mut ready.document;
        let chunks = if args.raw {
            vec![Chunk {
                first: 0,
                count: doc.features.len(),
                body: bytes,
            }]
        } else {
            if let Some(plan) = &ready.assets {
                crate::dry_run::print_assets(&server.server, plan)?;
                // Placeholders of an id's length, so the chunks are sized as sent.
                let answers: Vec<Option<serde_json::Value>> = plan
                    .assets
                    .iter()
                    .map(|a| {
                        Some(match a.kind {
                            geonorm::assets::AssetKind::Marker => json!("000000000000"),
                            geonorm::assets::AssetKind::Image => json!({
                                "id": "000000000000", "w": a.width, "h": a.height,
                                "tip_color": "#000000", "avg_color": "#000000"
                            }),
                        })
                    })
                    .collect();
                geonorm::assets::apply_uploaded(doc, plan, &answers);
            }
            plan_chunks(doc, limit, &mode, DRY_RUN_SEND_ID)?.0
        };
        crate::dry_run::print_send(&server.server, &mode, file_type, &chunks)?;
        return Ok(ExitCode::SUCCESS);
    }
    let client = client(server)?;
    let journal = match &args.journal {
        Some(p) => p.clone(),
        None => geonorm_upload::journal_path(
            Some(args.file.as_path()).filter(|f| *f != Path::new("-")),
            "stdin",
            &ready.input,
        ),
    };
    let features = ready.document.features.len();
    let input = ready.input.clone();
    let payload = ready.payload(&bytes, format, args.raw, limit);
    let bar = (!args.look.quiet && io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(features as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} features {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    on_ctrl_c();
    let mut on_event = |e: Event<'_>| match e {
        Event::AssetLanded(a) => {
            if let Some(b) = &bar {
                b.set_message(format!("{} {}", a.kind, printable(&a.name)));
            }
        }
        Event::Landed(c) => {
            if let Some(b) = &bar {
                b.inc(c.count as u64);
                b.set_message(format!("chunk {}", c.index + 1));
            }
        }
        Event::Waiting { chunk, secs } => {
            let text = format!(
                "geonorm: chunk {} was sent without an answer and may still be landing; waiting {secs} s before looking for it on the map",
                chunk + 1
            );
            match &bar {
                Some(b) => b.println(text),
                None => eprintln!("{text}"),
            }
        }
        Event::Resplit { chunk, parts } => {
            let text = format!(
                "geonorm: the server found chunk {} too large (nothing of it was applied); sending it in {parts} parts",
                chunk + 1
            );
            match &bar {
                Some(b) => b.println(text),
                None => eprintln!("{text}"),
            }
        }
    };
    let outcome = send(
        &client,
        payload,
        &mode,
        SendOptions {
            journal: journal.clone(),
            resume: args.resume,
            input,
            settle: geonorm_upload::settle_time(args.unanswered_wait, server.timeout),
            stop: Some(&STOP),
            skip_assets: if args.no_assets && args.resume {
                geonorm_upload::SkipAssets::All
            } else if args.skip_asset.is_empty() {
                geonorm_upload::SkipAssets::None
            } else {
                geonorm_upload::SkipAssets::Named(args.skip_asset.clone())
            },
            on_event: &mut on_event,
        },
    );
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let outcome = match outcome {
        Ok(o) => o,
        // Refused before anything was sent: MapHub's message (an unknown map, a bad
        // key) or why the journal forbids it; exit 1.
        Err(e) => {
            eprintln!("geonorm: {}", printable(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    let total = outcome.chunks.len();
    let mut out = io::stdout().lock();
    if args.json() {
        let pretty = args.format == SendFormat::Json;
        out.write_all(geonorm::render::json_text(&outcome.to_json(&journal), pretty)?.as_bytes())?;
        writeln!(out)?;
    } else {
        if total > 1 || outcome.error.is_some() {
            for c in &outcome.chunks {
                writeln!(out, "{}", chunk_line(c, total))?;
            }
        }
        if !outcome.assets.is_empty() {
            writeln!(out, "{}", assets_line(&outcome.assets))?;
        }
        if let Some(m) = &outcome.map {
            writeln!(out, "map {}: {}", m.id, printable(&m.url))?;
        }
        if let Some(v) = &outcome.verified {
            writeln!(out, "{v}")?;
        }
    }
    let Some(e) = &outcome.error else {
        return Ok(ExitCode::SUCCESS);
    };
    let interrupted = matches!(e, geonorm_upload::Error::Interrupted);
    eprintln!("geonorm: {}", printable(&e.to_string()));
    // One way on, named once.
    if outcome.journal_kept {
        eprintln!(
            "geonorm: the journal {} records what landed; run the same command with --resume to send the rest (it first looks on the map for anything whose answer was lost)",
            journal.display()
        );
    } else if outcome
        .chunks
        .iter()
        .all(|c| c.state == ChunkState::Pending)
        && outcome.map.is_none()
    {
        eprintln!("geonorm: nothing was sent that could have landed; the same command can be run again as it is");
    }
    Ok(ExitCode::from(if interrupted { 130 } else { 1 }))
}

/// The placeholder send id of a dry run (as long as a real one, so sizes match).
const DRY_RUN_SEND_ID: &str = "000000000000";

pub fn append(
    server: &ServerArgs,
    args: &SendArgs,
    map_id: u64,
    new_group: Option<String>,
) -> anyhow::Result<ExitCode> {
    do_send(server, args, Mode::Append { map_id, new_group })
}

pub fn upload(
    server: &ServerArgs,
    args: &SendArgs,
    upload: UploadArgs,
) -> anyhow::Result<ExitCode> {
    do_send(server, args, Mode::Upload(upload))
}

fn answer(
    args: AnswerArgs,
    v: &serde_json::Value,
    human: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    if args.format == crate::OutputFormat::Json {
        out.write_all(geonorm::render::json_text(v, true)?.as_bytes())?;
        writeln!(out)?;
    } else {
        human(&mut out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a read-only call; an error MapHub answers exits 1 with its message.
fn api<T>(r: geonorm_upload::Result<T>) -> anyhow::Result<Result<T, ExitCode>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(e @ (geonorm_upload::Error::Api(_) | geonorm_upload::Error::RateLimited { .. })) => {
            // MapHub's message is its text, not ours: escaped for the terminal.
            eprintln!("geonorm: {}", crate::term::printable(&e.to_string()));
            Ok(Err(ExitCode::from(1)))
        }
        Err(e) => Err(e.into()),
    }
}

/// `maps`: the maps the key can see, one line each (id, role, visibility, title, URL,
/// tab-separated; the server's text escaped so it cannot add lines or columns).
pub fn maps(server: &ServerArgs, args: AnswerArgs) -> anyhow::Result<ExitCode> {
    if server.dry_run {
        crate::dry_run::print(&server.server, "map/list", &json!({}))?;
        return Ok(ExitCode::SUCCESS);
    }
    let list = match api(client(server)?.list())? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let v = serde_json::to_value(&list)?;
    answer(args, &v, |out| {
        for (role, maps) in [
            ("owner", &list.owner),
            ("editor", &list.editor),
            ("viewer", &list.viewer),
        ] {
            for m in maps {
                writeln!(
                    out,
                    "{}\t{role}\t{}\t{}\t{}",
                    m.id,
                    printable(m.visibility.as_deref().unwrap_or("")),
                    printable(m.title.as_deref().unwrap_or("")),
                    printable(&m.url)
                )?;
            }
        }
        Ok(())
    })
}

/// `get`: the map's GeoJSON (MapHub's whole answer with `--format json`), to standard
/// output or, written whole or not at all, to `output`.
pub fn get(
    server: &ServerArgs,
    args: AnswerArgs,
    map_id: u64,
    output: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let dest = crate::output::Dest::new(output);
    if let crate::output::Dest::File(path) = &dest {
        // Before asking MapHub: a directory would fail only after the download.
        crate::output::check_target(None, path)?;
    }
    if server.dry_run {
        crate::dry_run::print(&server.server, "map/get", &json!({ "map_id": map_id }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let map = match api(client(server)?.get(map_id))? {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let pretty = args.format == crate::OutputFormat::Json;
    let value = if pretty {
        &map
    } else {
        match map.get("geojson") {
            Some(g @ serde_json::Value::Object(_)) => g,
            _ => anyhow::bail!("MapHub's answer for map {map_id} holds no GeoJSON object"),
        }
    };
    // To a terminal, the server's text cannot drive it (C1 controls and bidi overrides
    // as `\u` escapes: the same JSON); to a file or pipe, the bytes as they are.
    let to_terminal = matches!(dest, crate::output::Dest::Stdout) && io::stdout().is_terminal();
    let mut bytes = if to_terminal {
        geonorm::render::json_text(value, pretty)?.into_bytes()
    } else if pretty {
        serde_json::to_vec_pretty(value)?
    } else {
        serde_json::to_vec(value)?
    };
    bytes.push(b'\n');
    match dest {
        crate::output::Dest::File(path) => {
            let mut out = crate::output::OutFile::create(&path)?;
            out.write_all(&bytes)?;
            out.commit()?;
        }
        crate::output::Dest::Stdout => {
            let mut out = io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `refresh-image`: asks MapHub to redraw the map's preview.
pub fn refresh_image(
    server: &ServerArgs,
    args: AnswerArgs,
    map_id: u64,
) -> anyhow::Result<ExitCode> {
    if server.dry_run {
        crate::dry_run::print(
            &server.server,
            "map/refresh_image",
            &json!({ "map_id": map_id }),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let info = match api(client(server)?.refresh_image(map_id))? {
        Ok(i) => i,
        Err(code) => return Ok(code),
    };
    let v = serde_json::to_value(&info)?;
    answer(args, &v, |out| {
        writeln!(
            out,
            "refreshed the image of map {}: {}",
            info.id,
            crate::term::printable(&info.url)
        )
    })
}
