//! The MapHub commands: `append`, `upload`, `maps`, `get`, `refresh-image`. Thin over
//! `geonorm-upload`: validate, convert and split here, send there.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use geonorm::validate::{check, CheckOptions, Profile};
use geonorm::{Code, Format, Group, GroupId, Severity};
use geonorm_upload::{
    send, split, ApiKey, AppendArgs, Chunk, ChunkRecord, ChunkState, Client, ClientBuilder,
    FileType, Mode, UploadArgs, DEFAULT_SERVER,
};
use serde_json::json;

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
    /// Print the server's answers as JSON.
    #[arg(long, value_enum, default_value = "human")]
    pub format: crate::OutputFormat,
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

/// What to send and how.
#[derive(clap::Args, Clone)]
pub struct SendArgs {
    /// The file to send (KML, KMZ, GPX or GeoJSON).
    pub file: PathBuf,
    /// Send the original bytes with their own file_type, not the converted GeoJSON.
    #[arg(long)]
    pub raw: bool,
    /// Send even when the check finds errors.
    #[arg(long)]
    pub force: bool,
    /// Continue an earlier send that stopped, from its journal.
    #[arg(long)]
    pub resume: bool,
    /// Largest request body; larger files are split. Default: 15 MB for maphub.net,
    /// no limit for other (Enterprise) servers.
    #[arg(long)]
    pub max_bytes: Option<u64>,
}

fn is_public(server: &str) -> bool {
    let s = server.trim().trim_end_matches('/');
    s == "https://maphub.net" || s == "https://maphub.net/api/1" || s == "https://www.maphub.net"
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

fn journal_path(file: &Path) -> PathBuf {
    let mut name = file
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".maphub-journal.json");
    file.with_file_name(name)
}

/// Puts every group under a new top group titled `title`, and ungrouped features in
/// it, so that a split append keeps one such group (MapHub's `new_group` argument
/// would make one per request).
fn nest_under(doc: &mut geonorm::Document, title: &str) {
    let next = doc
        .groups
        .iter()
        .map(|g| g.id.get())
        .max()
        .unwrap_or(0)
        .saturating_add(1);
    let Some(top) = GroupId::new(next) else {
        return;
    };
    for g in &mut doc.groups {
        if g.parent.is_none() {
            g.parent = Some(top);
        }
    }
    for f in &mut doc.features {
        f.group.get_or_insert(top);
    }
    doc.groups.push(Group {
        id: top,
        title: title.to_string(),
        parent: None,
        extra: Default::default(),
    });
}

/// The chunks to send and their file type.
fn payload(
    args: &SendArgs,
    server: &str,
    new_group: Option<&str>,
) -> anyhow::Result<Result<(Vec<Chunk>, FileType), ExitCode>> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let Some(format) = Format::detect(&bytes, Some(&args.file)) else {
        anyhow::bail!(
            "{}: not a KML, KMZ, GPX or GeoJSON file",
            args.file.display()
        );
    };
    let limit = args
        .max_bytes
        .or_else(|| is_public(server).then_some(geonorm::MAPHUB_MAX_UPLOAD_BYTES));
    // Check first. Size findings are for the whole file; a converted send is split.
    let profile = if limit.is_some() {
        Profile::Maphub
    } else {
        Profile::Enterprise
    };
    let mut report = check(
        &bytes,
        Some(&args.file),
        &CheckOptions {
            profile,
            format: Some(format),
        },
    );
    if !args.raw {
        report.diagnostics.retain(|d| {
            !matches!(
                d.code,
                Code::MaphubTooLarge | Code::MaphubConvertedTooLarge | Code::MaphubNotCollection
            )
        });
    }
    let index = geonorm::LineIndex::new(&bytes);
    let mut stderr = io::stderr().lock();
    for d in report
        .diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
    {
        let place = match d.span {
            Some(s) => {
                let (l, c) = index.line_col(&bytes, s.start);
                format!("{}:{l}:{c}", args.file.display())
            }
            None => args.file.display().to_string(),
        };
        writeln!(
            stderr,
            "{place}: {}: {} [{}]",
            d.severity, d.message, d.code
        )?;
    }
    if report.has_errors() && !args.force {
        writeln!(
            stderr,
            "geonorm: {} has errors; nothing sent (fix them, or send anyway with --force)",
            args.file.display()
        )?;
        return Ok(Err(ExitCode::from(1)));
    }
    if args.raw {
        if let Some(l) = limit.filter(|&l| bytes.len() as u64 > l) {
            anyhow::bail!(
                "{} is {} bytes, over the limit of {l}: --raw sends the file as it is, so it cannot be split; drop --raw to send it converted, in parts",
                args.file.display(),
                bytes.len()
            );
        }
    }
    let (mut doc, _) = match format {
        Format::Gpx => geonorm::gpx::read(&bytes[..], &Default::default())?,
        other => geonorm::read(other, &bytes[..])?,
    };
    if args.raw {
        // The count lets a resumed send tell whether the file landed.
        let count = doc.features.len();
        return Ok(Ok((
            vec![Chunk {
                first: 0,
                count,
                body: bytes,
            }],
            FileType::from(format),
        )));
    }
    let mut chunks = split(&doc, limit)?;
    if chunks.len() > 1 {
        if let Some(title) = new_group {
            nest_under(&mut doc, title);
            chunks = split(&doc, limit)?;
        }
    }
    Ok(Ok((chunks, FileType::Geojson)))
}

fn print_dry_run(
    client_base: &str,
    endpoint: &str,
    args: &serde_json::Value,
    chunks: &[Chunk],
) -> io::Result<()> {
    let mut out = io::stdout().lock();
    for (i, c) in chunks.iter().enumerate() {
        let endpoint = if i == 0 { endpoint } else { "map/append" };
        writeln!(out, "POST {client_base}{endpoint}")?;
        writeln!(out, "  Authorization: Token ***")?;
        writeln!(out, "  MapHub-API-Arg: {args}")?;
        writeln!(
            out,
            "  body: {} bytes (chunk {} of {}, features {}–{})",
            c.body.len(),
            i + 1,
            chunks.len(),
            c.first + 1,
            c.first + c.count
        )?;
    }
    Ok(())
}

fn chunk_line(c: &ChunkRecord, total: usize) -> String {
    let state = match c.state {
        ChunkState::Confirmed => "landed",
        ChunkState::Sent => "sent, no answer (may have landed; --resume checks)",
        ChunkState::Pending => "not sent",
    };
    format!(
        "chunk {} of {total}: {} features, {} bytes: {state}",
        c.index + 1,
        c.count,
        c.bytes
    )
}

fn do_send(
    server: &ServerArgs,
    args: &SendArgs,
    mode: Mode,
    new_group: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let (chunks, file_type) = match payload(args, &server.server, new_group)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let (endpoint, arg_json) = match &mode {
        Mode::Append { map_id, new_group } => (
            "map/append",
            serde_json::to_value(AppendArgs {
                map_id: *map_id,
                file_type,
                new_group: new_group.clone().filter(|_| chunks.len() == 1),
            })?,
        ),
        Mode::Upload(u) => (
            "map/upload",
            serde_json::to_value(UploadArgs {
                file_type,
                ..u.clone()
            })?,
        ),
    };
    if server.dry_run {
        let base = geonorm_upload::ClientBuilder::new()
            .server(server.server.clone())
            .api_key(ApiKey::new("dry-run")?)
            .build()?
            .base()
            .to_string();
        print_dry_run(&base, endpoint, &arg_json, &chunks)?;
        return Ok(ExitCode::SUCCESS);
    }
    let client = client(server)?;
    let total = chunks.len();
    let bar = (io::stderr().is_terminal() && total > 1).then(|| {
        let b = indicatif::ProgressBar::new(chunks.iter().map(|c| c.body.len() as u64).sum());
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let journal = journal_path(&args.file);
    let outcome = send(
        &client,
        &chunks,
        file_type,
        &mode,
        &journal,
        args.resume,
        &mut |c| {
            if let Some(b) = &bar {
                b.inc(c.bytes);
                b.set_message(format!("chunk {} of {total}", c.index + 1));
            }
        },
    );
    let outcome = match outcome {
        Ok(o) => o,
        // MapHub refused before anything was sent (an unknown map, a bad key): its
        // message, exit 1.
        Err(e @ (geonorm_upload::Error::Api(_) | geonorm_upload::Error::Journal { .. })) => {
            eprintln!("geonorm: {e}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut out = io::stdout().lock();
    if server.format == crate::OutputFormat::Json {
        let v = json!({
            "map": outcome.map,
            "chunks": outcome.chunks,
            "error": outcome.error.as_ref().map(ToString::to_string),
            "journal": journal.display().to_string(),
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        if total > 1 || outcome.error.is_some() {
            for c in &outcome.chunks {
                writeln!(out, "{}", chunk_line(c, total))?;
            }
        }
        if let Some(m) = &outcome.map {
            writeln!(out, "map {}: {}", m.id, m.url)?;
        }
    }
    match &outcome.error {
        None => Ok(ExitCode::SUCCESS),
        Some(e) => {
            eprintln!("geonorm: {e}");
            if outcome
                .chunks
                .iter()
                .any(|c| c.state != ChunkState::Confirmed)
            {
                eprintln!("geonorm: the journal {} records what landed; run the same command with --resume to send the rest", journal.display());
            }
            Ok(ExitCode::from(1))
        }
    }
}

pub fn append(
    server: &ServerArgs,
    args: &SendArgs,
    map_id: u64,
    new_group: Option<String>,
) -> anyhow::Result<ExitCode> {
    let group = new_group.clone();
    do_send(
        server,
        args,
        Mode::Append { map_id, new_group },
        group.as_deref(),
    )
}

pub fn upload(
    server: &ServerArgs,
    args: &SendArgs,
    upload: UploadArgs,
) -> anyhow::Result<ExitCode> {
    do_send(server, args, Mode::Upload(upload), None)
}

fn answer(
    server: &ServerArgs,
    v: &serde_json::Value,
    human: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    if server.format == crate::OutputFormat::Json {
        serde_json::to_writer_pretty(&mut out, v)?;
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
            eprintln!("geonorm: {e}");
            Ok(Err(ExitCode::from(1)))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn maps(server: &ServerArgs) -> anyhow::Result<ExitCode> {
    let list = match api(client(server)?.list())? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let v = serde_json::to_value(&list)?;
    answer(server, &v, |out| {
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
                    m.visibility.as_deref().unwrap_or(""),
                    m.title.as_deref().unwrap_or(""),
                    m.url
                )?;
            }
        }
        Ok(())
    })
}

pub fn get(server: &ServerArgs, map_id: u64, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let map = match api(client(server)?.get(map_id))? {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    if let Some(path) = output {
        let geojson = map
            .get("geojson")
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        std::fs::write(path, serde_json::to_vec(&geojson)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &map)?;
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
}

pub fn refresh_image(server: &ServerArgs, map_id: u64) -> anyhow::Result<ExitCode> {
    let info = match api(client(server)?.refresh_image(map_id))? {
        Ok(i) => i,
        Err(code) => return Ok(code),
    };
    let v = serde_json::to_value(&info)?;
    answer(server, &v, |out| {
        writeln!(out, "refreshed the image of map {}: {}", info.id, info.url)
    })
}
