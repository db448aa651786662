//! What the API tests share: a small HTTP client on `TcpStream`, servers started on
//! 127.0.0.1, and sample files.

// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use maphub_local::{Config, Server};
use serde_json::{json, Value};

pub const KEY: &str = "secret-key";

/// An answer: status, head, body.
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// Sends raw bytes and reads the answer; `None` when the server closed the connection
/// without answering.
pub fn send_raw(port: u16, request: &[u8]) -> Option<Reply> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(request).expect("send");
    let mut out = Vec::new();
    // A reset counts as no answer, like a clean close with nothing read.
    let _ = stream.read_to_end(&mut out);
    if out.is_empty() {
        return None;
    }
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    Some(Reply {
        status,
        head,
        body: out[split + 4..].to_vec(),
    })
}

/// A POST with these headers (plus Host and Content-Length) and body.
pub fn post<V: AsRef<str>>(
    port: u16,
    path: &str,
    headers: &[(&str, V)],
    body: &[u8],
) -> Option<Reply> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {}\r\n", v.as_ref()));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    send_raw(port, &bytes)
}

pub fn auth() -> String {
    format!("Token {KEY}")
}

/// An API call with JSON arguments in the body.
pub fn call(server: &Server, endpoint: &str, args: Value) -> (u16, Value) {
    let reply = try_call(server, endpoint, args).expect("an answer");
    (reply.status, reply.json())
}

pub fn try_call(server: &Server, endpoint: &str, args: Value) -> Option<Reply> {
    post(
        server.port(),
        &format!("/api/1/{endpoint}"),
        &[("Authorization", &auth())],
        args.to_string().as_bytes(),
    )
}

/// An upload-style call: arguments in `MapHub-API-Arg`, the file as body.
pub fn send_file(server: &Server, endpoint: &str, args: Value, file: &[u8]) -> Option<Reply> {
    post(
        server.port(),
        &format!("/api/1/{endpoint}"),
        &[
            ("Authorization", &auth()),
            ("MapHub-API-Arg", &args.to_string()),
        ],
        file,
    )
}

pub fn call_file(server: &Server, endpoint: &str, args: Value, file: &[u8]) -> (u16, Value) {
    let reply = send_file(server, endpoint, args, file).expect("an answer");
    (reply.status, reply.json())
}

pub fn start() -> Server {
    start_with(Config {
        api_key: KEY.into(),
        ..Config::default()
    })
}

pub fn start_with(config: Config) -> Server {
    Server::start(config, 0).expect("server starts")
}

pub fn upload_empty(server: &Server) -> u64 {
    let (status, map) = call_file(
        server,
        "map/upload",
        json!({"file_type": "empty", "visibility": "private", "title": "Empty"}),
        b"",
    );
    assert_eq!(status, 200);
    assert!(map.get("error").is_none(), "{map}");
    map["id"].as_u64().expect("an id")
}

pub fn get(server: &Server, id: u64) -> Value {
    let (status, map) = call(server, "map/get", json!({ "map_id": id }));
    assert_eq!(status, 200);
    assert!(map.get("error").is_none(), "{map}");
    map
}

pub fn features(map: &Value) -> &Vec<Value> {
    map["geojson"]["features"].as_array().expect("features")
}

pub fn error_of(v: &Value) -> &str {
    v["error"].as_str().unwrap_or_default()
}

/// Two groups, "A" and "A／B" (nested), and three features: in A, in A／B, in none.
pub const NESTED: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"title":"in A","group":10}},
 {"type":"Feature","geometry":{"type":"Point","coordinates":[3,4]},"properties":{"title":"in A/B","group":20}},
 {"type":"Feature","geometry":{"type":"Point","coordinates":[5,6]},"properties":{"title":"loose"}}],
 "groups":[{"title":"A","id":10},{"title":"A\uFF0FB","id":20}]}"#;

pub const GPX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="52.5" lon="13.4"><name>Berlin</name></wpt>
  <trk><name>Walk</name><trkseg><trkpt lat="52.5" lon="13.4"/><trkpt lat="52.51" lon="13.41"/></trkseg></trk>
</gpx>"#;

pub const KML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Trip</name>
  <Folder><name>Sights</name>
    <Placemark><name>Tower</name><Point><coordinates>2.29,48.86</coordinates></Point></Placemark>
  </Folder>
</Document></kml>"#;

pub const ONE_POINT: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","geometry":{"type":"Point","coordinates":[7,8]},"properties":{"title":"p"}}]}"#;

pub fn call_raw_body(server: &Server, endpoint: &str, body: &[u8]) -> (u16, Value) {
    let reply = post(
        server.port(),
        &format!("/api/1/{endpoint}"),
        &[("Authorization", &auth())],
        body,
    )
    .expect("an answer");
    (reply.status, reply.json())
}

/// The headers control requests need: the key, and JSON.
pub fn control() -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", auth()),
        ("Content-Type", "application/json".to_owned()),
    ]
}

pub fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "maphub-local-{name}-{}-{nanos}",
        std::process::id()
    ))
}
