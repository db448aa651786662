//! A thin, careful client for the [MapHub API](https://docs.maphub.net/api/):
//! `map/append`, `map/upload`, `map/list`, `map/get`, `map/update`,
//! `map/refresh_image`, `marker/upload` and `image/upload`, plus what it takes to send
//! a large file exactly once.
//!
//! MapHub answers every call with HTTP 200, errors included (as an `error` field);
//! the client turns those into [`Error::Api`]. Appends and uploads are not idempotent,
//! so the client retries them only when the request provably never reached the server;
//! reads retry transient failures with backoff. The API key never appears in `Debug`
//! output, errors or logs.
//!
//! ```no_run
//! use geonorm_upload::{ApiKey, AppendArgs, ClientBuilder, FileType};
//! let client = ClientBuilder::new().api_key(ApiKey::from_env()?.expect("MAPHUB_API_KEY")).build()?;
//! let kml = std::fs::read("trip.kml")?;
//! let map = client.append(&AppendArgs { map_id: 12345, file_type: FileType::Kml, new_group: None }, &kml)?;
//! println!("{}", map.url);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod chunk;
mod client;
mod error;
mod journal;
mod key;
mod prepare;
mod seal;

pub use chunk::{mark, split, Chunk, MARK_PROPERTY};
pub use client::{
    AppendArgs, Client, ClientBuilder, FileType, ImageInfo, ImageType, MapInfo, MapList,
    UpdateArgs, UploadArgs, Visibility, ANSWER_BYTES_PER_VALUE, DEFAULT_SERVER,
};
pub use error::{Error, Result};
pub use journal::{
    fingerprint, nest_under, plan_chunks, send, AssetRecord, ChunkRecord, ChunkState, Event,
    Journal, Mode, Payload, SendOptions, SendOutcome, SkipAssets,
};
pub use key::ApiKey;
pub use prepare::{
    body_limit, check_before_send, journal_path, settle_time, Checked, Ready, SendShape,
};
