//! What the client's integration tests share: a maphub-local server on 127.0.0.1, a
//! client for it, and a few reads of a map.

// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use geonorm_upload::{ApiKey, Client, ClientBuilder, FileType, UploadArgs, Visibility};
use maphub_local::{Config, Server};

/// The key the servers take.
pub const KEY: &str = "test-key-7f3a9c";

/// A server with MapHub's upload limit.
pub fn server() -> Server {
    server_with(geonorm::MAPHUB_MAX_UPLOAD_BYTES)
}

/// A server taking request bodies up to `max_upload_bytes`.
pub fn server_with(max_upload_bytes: u64) -> Server {
    Server::start(
        Config {
            api_key: KEY.into(),
            max_upload_bytes,
            ..Config::default()
        },
        0,
    )
    .expect("server starts")
}

/// A client of `s` that waits 10 s for any answer and retries quickly.
pub fn client(s: &Server) -> Client {
    client_with(s, Duration::from_secs(10))
}

/// A client of `s` that waits `timeout` for any answer, sends included.
pub fn client_with(s: &Server, timeout: Duration) -> Client {
    ClientBuilder::new()
        .server(s.url())
        .api_key(ApiKey::new(KEY).expect("key"))
        .timeout(timeout)
        .send_timeout(timeout)
        .retries(3, Duration::from_millis(10))
        .build()
        .expect("client")
}

/// A new empty private map.
pub fn empty_map(c: &Client) -> u64 {
    let args = UploadArgs {
        file_type: FileType::Empty,
        visibility: Visibility::Private,
        title: Some("test".into()),
        description: None,
        short_name: None,
    };
    c.upload(&args, b"").expect("upload").id
}

/// The features of a map.
pub fn features(c: &Client, map: u64) -> Vec<serde_json::Value> {
    c.get(map).expect("get")["geojson"]["features"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The path of `sub` under testdata/.
pub fn testdata(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(sub)
}

/// A document of `n` points titled `point 0`, `point 1`…
pub fn points(n: usize) -> geonorm::Document {
    let features: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"Feature","properties":{{"title":"point {i}"}},"geometry":{{"type":"Point","coordinates":[{}.5,45]}}}}"#,
                i % 170
            )
        })
        .collect();
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    );
    geonorm::read(
        text.as_bytes(),
        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
    )
    .expect("reads")
    .document
}

/// A folder of one test's own under the temporary folder, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A new empty folder for the test `name`.
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("geonorm-up-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        Scratch(dir)
    }

    /// Where the journal of `in.geojson` in it goes.
    pub fn journal(&self) -> PathBuf {
        self.0.join("in.geojson.maphub-journal.json")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
