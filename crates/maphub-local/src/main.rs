//! `maphub-local`: runs a local MapHub-compatible API server until killed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use maphub_local::{Config, Server};

/// A local MapHub-compatible API server, for tests and for trying geonorm offline.
#[derive(Parser, Debug)]
#[command(name = "maphub-local", version, about)]
struct Args {
    /// The port to listen on, on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// A file whose first line is the API key clients must send [default: the
    /// MAPHUB_API_KEY environment variable]. The key is never taken on the command
    /// line, where `ps` shows it to every user.
    #[arg(long, value_name = "FILE")]
    api_key_file: Option<PathBuf>,
    /// A directory to keep the maps in (one map-<id>.json each), with the uploaded
    /// markers and images; without it they live in memory only.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// The largest request body accepted, in bytes.
    #[arg(long, value_name = "N", default_value_t = geonorm::MAPHUB_MAX_UPLOAD_BYTES)]
    max_upload_bytes: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let api_key = match &args.api_key_file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => text.lines().next().unwrap_or_default().trim().to_owned(),
            Err(e) => {
                eprintln!(
                    "maphub-local: cannot read the API key file {}: {e}",
                    path.display()
                );
                return ExitCode::from(2);
            }
        },
        None => std::env::var("MAPHUB_API_KEY")
            .unwrap_or_default()
            .trim()
            .to_owned(),
    };
    if api_key.is_empty() {
        eprintln!("maphub-local: no API key: set MAPHUB_API_KEY or pass --api-key-file FILE");
        return ExitCode::from(2);
    }
    let config = Config {
        api_key,
        data_dir: args.data,
        max_upload_bytes: args.max_upload_bytes,
        ..Config::default()
    };
    let server = match Server::start(config, args.port) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("maphub-local: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    // If nobody reads stdout, keep serving anyway.
    let _ = writeln!(stdout, "maphub-local listening on {}", server.url())
        .and_then(|()| stdout.flush());
    drop(stdout);
    loop {
        std::thread::park();
    }
}
