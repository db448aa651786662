//! `--dry-run`: the requests a real run would make are printed, key masked, and
//! nothing is sent.

use std::io::{self, Write};

use geonorm_upload::{ApiKey, AppendArgs, Chunk, ClientBuilder, FileType, Mode, UploadArgs};

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

/// Prints the uploads of a KMZ's icons and photos a real run would make first.
pub fn print_assets(server: &str, plan: &geonorm::assets::Plan) -> anyhow::Result<()> {
    let base = base(server)?;
    let mut out = io::stdout().lock();
    // Counted in one pass over the uses: one pass per asset would be quadratic.
    let mut users_of = vec![0usize; plan.assets.len()];
    for u in &plan.uses {
        if let Some(n) = users_of.get_mut(u.asset) {
            *n += 1;
        }
    }
    for (a, &users) in plan.assets.iter().zip(&users_of) {
        let endpoint = format!("{}/upload", a.kind.as_str());
        writeln!(out, "POST {}", printable(&format!("{base}{endpoint}")))?;
        writeln!(out, "  Authorization: Token ***")?;
        writeln!(
            out,
            "  MapHub-API-Arg: {}",
            serde_json::json!({ "file_type": a.file_type })
        )?;
        writeln!(
            out,
            "  body: {} bytes ({} {}, {}×{} px, for {users} feature{})",
            a.bytes.len(),
            a.kind.as_str(),
            printable(&a.source),
            a.width,
            a.height,
            if users == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
}

/// Prints the requests a send of `chunks` would make: for an upload, `map/upload`
/// with the first and `map/append` to the new map with the rest; for an append,
/// `map/append` with each (`new_group` only when there is one request).
pub fn print_send(
    server: &str,
    mode: &Mode,
    file_type: FileType,
    chunks: &[Chunk],
) -> anyhow::Result<()> {
    let base = base(server)?;
    let mut out = io::stdout().lock();
    for (i, c) in chunks.iter().enumerate() {
        let (endpoint, args) = match mode {
            Mode::Upload(u) if i == 0 => (
                "map/upload",
                serde_json::to_value(UploadArgs {
                    file_type,
                    ..u.clone()
                })?,
            ),
            Mode::Upload(_) => (
                "map/append",
                serde_json::json!({"map_id": "<the new map>", "file_type": file_type}),
            ),
            Mode::Append { map_id, new_group } => (
                "map/append",
                serde_json::to_value(AppendArgs {
                    map_id: *map_id,
                    file_type,
                    new_group: new_group.clone().filter(|_| chunks.len() == 1),
                })?,
            ),
        };
        writeln!(out, "POST {}", printable(&format!("{base}{endpoint}")))?;
        writeln!(out, "  Authorization: Token ***")?;
        writeln!(out, "  MapHub-API-Arg: {}", printable(&args.to_string()))?;
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
