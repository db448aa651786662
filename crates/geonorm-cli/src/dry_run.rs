//! `--dry-run` for the calls that send no file (`maps`, `get`, `refresh-image`): the
//! request is printed, key masked, and nothing is sent.

use std::io::{self, Write};

use geonorm_upload::{ApiKey, ClientBuilder};

use crate::term::printable;

/// The API base URL for `server`, built as the real client builds it (so a dry run
/// shows the URL a real run would use) but with a placeholder key: a dry run needs
/// none.
pub fn base(server: &str) -> anyhow::Result<String> {
    Ok(ClientBuilder::new()
        .server(server.to_string())
        .api_key(ApiKey::new("dry-run")?)
        .build()?
        .base()
        .to_string())
}

/// Prints the POST of `body` to `endpoint` that a real run would send.
pub fn print(server: &str, endpoint: &str, body: &serde_json::Value) -> anyhow::Result<()> {
    let base = base(server)?;
    let mut out = io::stdout().lock();
    writeln!(out, "POST {}", printable(&format!("{base}{endpoint}")))?;
    writeln!(out, "  Authorization: Token ***")?;
    writeln!(out, "  body: {body}")?;
    Ok(())
}
