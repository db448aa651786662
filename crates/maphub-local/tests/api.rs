//! The server's API, driven over real HTTP with a small client on `TcpStream`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use maphub_local::{Config, DropAfterBody, Faults, Server};
use serde_json::{json, Value};

const KEY: &str = "secret-key";

/// An answer: status, head, body.
struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// Sends raw bytes and reads the answer; `None` when the server closed the connection
/// without answering.
fn send_raw(port: u16, request: &[u8]) -> Option<Reply> {
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
fn post<V: AsRef<str>>(port: u16, path: &str, headers: &[(&str, V)], body: &[u8]) -> Option<Reply> {
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

fn auth() -> String {
    format!("Token {KEY}")
}

/// An API call with JSON arguments in the body.
fn call(server: &Server, endpoint: &str, args: Value) -> (u16, Value) {
    let reply = try_call(server, endpoint, args).expect("an answer");
    (reply.status, reply.json())
}

fn try_call(server: &Server, endpoint: &str, args: Value) -> Option<Reply> {
    post(
        server.port(),
        &format!("/api/1/{endpoint}"),
        &[("Authorization", &auth())],
        args.to_string().as_bytes(),
    )
}

/// An upload-style call: arguments in `MapHub-API-Arg`, the file as body.
fn send_file(server: &Server, endpoint: &str, args: Value, file: &[u8]) -> Option<Reply> {
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

fn call_file(server: &Server, endpoint: &str, args: Value, file: &[u8]) -> (u16, Value) {
    let reply = send_file(server, endpoint, args, file).expect("an answer");
    (reply.status, reply.json())
}

fn start() -> Server {
    start_with(Config {
        api_key: KEY.into(),
        ..Config::default()
    })
}

fn start_with(config: Config) -> Server {
    Server::start(config, 0).expect("server starts")
}

fn upload_empty(server: &Server) -> u64 {
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

fn get(server: &Server, id: u64) -> Value {
    let (status, map) = call(server, "map/get", json!({ "map_id": id }));
    assert_eq!(status, 200);
    assert!(map.get("error").is_none(), "{map}");
    map
}

fn features(map: &Value) -> &Vec<Value> {
    map["geojson"]["features"].as_array().expect("features")
}

fn error_of(v: &Value) -> &str {
    v["error"].as_str().unwrap_or_default()
}

/// Two groups, "A" and "A／B" (nested), and three features: in A, in A／B, in none.
const NESTED: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"title":"in A","group":10}},
 {"type":"Feature","geometry":{"type":"Point","coordinates":[3,4]},"properties":{"title":"in A/B","group":20}},
 {"type":"Feature","geometry":{"type":"Point","coordinates":[5,6]},"properties":{"title":"loose"}}],
 "groups":[{"title":"A","id":10},{"title":"A\uFF0FB","id":20}]}"#;

const GPX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="52.5" lon="13.4"><name>Berlin</name></wpt>
  <trk><name>Walk</name><trkseg><trkpt lat="52.5" lon="13.4"/><trkpt lat="52.51" lon="13.41"/></trkseg></trk>
</gpx>"#;

const KML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Trip</name>
  <Folder><name>Sights</name>
    <Placemark><name>Tower</name><Point><coordinates>2.29,48.86</coordinates></Point></Placemark>
  </Folder>
</Document></kml>"#;

const ONE_POINT: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","geometry":{"type":"Point","coordinates":[7,8]},"properties":{"title":"p"}}]}"#;

#[test]
fn a_wrong_or_missing_key_is_an_error_answered_with_200() {
    let server = start();
    let wrong = post(
        server.port(),
        "/api/1/map/list",
        &[("Authorization", "Token nope")],
        b"{}",
    )
    .expect("an answer");
    assert_eq!(wrong.status, 200);
    assert_eq!(error_of(&wrong.json()), "Invalid API key");
    assert!(wrong.head.contains("Connection: close"));
    let missing = post(
        server.port(),
        "/api/1/map/list",
        &[] as &[(&str, &str)],
        b"",
    )
    .expect("an answer");
    assert_eq!(missing.status, 200);
    assert_eq!(error_of(&missing.json()), "Invalid API key");

    let (status, list) = call(&server, "map/list", json!({}));
    assert_eq!(status, 200);
    assert_eq!(list, json!({"owner": [], "editor": [], "viewer": []}));

    let log = server.requests();
    assert_eq!(log.len(), 3);
    assert!(!log[0].authorized && !log[1].authorized && log[2].authorized);
    assert_eq!(log[1].api_arg, Some(json!({})));
}

#[test]
fn unknown_endpoints_and_malformed_requests() {
    let server = start();
    let reply = try_call(&server, "map/nothing", json!({})).expect("an answer");
    assert_eq!(reply.status, 404);
    assert_eq!(error_of(&reply.json()), "Unknown endpoint");

    let no_length = send_raw(
        server.port(),
        b"POST /api/1/map/list HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .expect("an answer");
    assert_eq!(no_length.status, 411);

    let garbage = send_raw(server.port(), b"HELLO\r\n\r\n").expect("an answer");
    assert_eq!(garbage.status, 400);

    let get = send_raw(
        server.port(),
        b"GET /api/1/map/list HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .expect("an answer");
    assert_eq!(get.status, 405);

    let (status, bad) = call_raw_body(&server, "map/get", b"{not json");
    assert_eq!(status, 200);
    assert!(error_of(&bad).starts_with("Invalid JSON"), "{bad}");
    let (_, missing) = call(&server, "map/get", json!({}));
    assert!(error_of(&missing).contains("map_id"), "{missing}");
    let (_, unknown) = call(&server, "map/get", json!({"map_id": 99}));
    assert_eq!(error_of(&unknown), "Map not found");
    let reply =
        send_file(&server, "map/upload", json!({"file_type": "empty"}), b"").expect("an answer");
    assert!(error_of(&reply.json()).contains("visibility"));
    assert_eq!(server.map_count(), 0);
}

fn call_raw_body(server: &Server, endpoint: &str, body: &[u8]) -> (u16, Value) {
    let reply = post(
        server.port(),
        &format!("/api/1/{endpoint}"),
        &[("Authorization", &auth())],
        body,
    )
    .expect("an answer");
    (reply.status, reply.json())
}

#[test]
fn appending_twice_merges_groups_by_path_and_doubles_features() {
    let server = start();
    let id = upload_empty(&server);
    for _ in 0..2 {
        let (status, summary) = call_file(
            &server,
            "map/append",
            json!({"map_id": id, "file_type": "geojson"}),
            NESTED.as_bytes(),
        );
        assert_eq!(status, 200);
        assert_eq!(summary["id"], json!(id));
        assert_eq!(summary["owner"], "local");
        assert_eq!(summary["url"], format!("{}/map/{id}", server.url()));
    }
    let map = get(&server, id);
    let groups = map["geojson"]["groups"].as_array().expect("groups");
    assert_eq!(
        groups,
        &vec![
            json!({"title": "A", "id": 1}),
            json!({"title": "A\u{FF0F}B", "id": 2})
        ]
    );
    let all = features(&map);
    assert_eq!(all.len(), 6);
    for half in [0, 3] {
        assert_eq!(all[half]["properties"]["group"], 1);
        assert_eq!(all[half + 1]["properties"]["group"], 2);
        assert!(all[half + 2]["properties"].get("group").is_none());
    }
    assert_eq!(map["images"], json!([]));
    assert_eq!(map["markers"], json!([]));
    assert_eq!(map["title"], "Empty");
    assert_eq!(map["visibility"], "private");

    // A group nested in an existing one is added under it.
    let deeper = NESTED.replace("A\\uFF0FB", "A\\uFF0FC");
    call_file(
        &server,
        "map/append",
        json!({"map_id": id.to_string(), "file_type": "geojson"}),
        deeper.as_bytes(),
    );
    let map = get(&server, id);
    let groups = map["geojson"]["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 3);
    assert_eq!(groups[2], json!({"title": "A\u{FF0F}C", "id": 3}));
    assert_eq!(features(&map).len(), 9);
}

#[test]
fn appending_with_new_group_puts_every_feature_in_it() {
    let server = start();
    let id = upload_empty(&server);
    call_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson"}),
        NESTED.as_bytes(),
    );
    let (status, summary) = call_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson", "new_group": "Batch 2"}),
        NESTED.as_bytes(),
    );
    assert_eq!(status, 200);
    assert!(summary.get("error").is_none(), "{summary}");
    let map = get(&server, id);
    let groups = map["geojson"]["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 3);
    assert_eq!(groups[2], json!({"title": "Batch 2", "id": 3}));
    let features = features(&map);
    assert_eq!(features.len(), 6);
    assert!(features[3..]
        .iter()
        .all(|f| f["properties"]["group"] == json!(3)));
}

#[test]
fn uploading_gpx_and_kml() {
    let server = start();
    let (status, gpx) = call_file(
        &server,
        "map/upload",
        json!({"file_type": "gpx", "visibility": "unlisted", "title": "Walks", "description": "d"}),
        GPX.as_bytes(),
    );
    assert_eq!(status, 200);
    assert_eq!(gpx["title"], "Walks");
    assert_eq!(gpx["visibility"], "unlisted");
    let gpx_map = get(&server, gpx["id"].as_u64().expect("id"));
    let titles: Vec<&str> = features(&gpx_map)
        .iter()
        .filter_map(|f| f["properties"]["title"].as_str())
        .collect();
    assert_eq!(titles, ["Berlin", "Walk"]);
    assert_eq!(gpx_map["description"], "d");

    let (_, kml) = call_file(
        &server,
        "map/upload",
        json!({"file_type": "kml", "visibility": "public", "short_name": "trip"}),
        KML.as_bytes(),
    );
    assert_eq!(kml["short_name"], "trip");
    assert_eq!(kml["id"], 2);
    let kml_map = get(&server, 2);
    assert_eq!(features(&kml_map)[0]["properties"]["title"], "Tower");
    let groups = kml_map["geojson"]["groups"].as_array().expect("groups");
    assert!(groups
        .iter()
        .any(|g| g["title"].as_str().is_some_and(|t| t.ends_with("Sights"))));

    let (_, list) = call(&server, "map/list", json!({}));
    let owner = list["owner"].as_array().expect("owner");
    assert_eq!(owner.len(), 2);
    assert_eq!(owner[1]["short_name"], "trip");
    assert_eq!(server.map_count(), 2);

    // Content that is not the declared type, and a broken KMZ.
    let (_, wrong) = call_file(
        &server,
        "map/append",
        json!({"map_id": 1, "file_type": "geojson"}),
        GPX.as_bytes(),
    );
    assert!(
        error_of(&wrong).starts_with("Could not read the file as geojson: "),
        "{wrong}"
    );
    let (_, zip) = call_file(
        &server,
        "map/append",
        json!({"map_id": 1, "file_type": "kml"}),
        b"PK\x03\x04 not really a zip",
    );
    assert!(
        error_of(&zip).starts_with("Could not read the file as kml: "),
        "{zip}"
    );
    let (_, gpx_as_gpx) = call_file(
        &server,
        "map/append",
        json!({"map_id": 1, "file_type": "gpx"}),
        b"<gpx><wpt lat=",
    );
    assert!(
        error_of(&gpx_as_gpx).starts_with("Could not read the file as gpx: "),
        "{gpx_as_gpx}"
    );
    assert_eq!(features(&get(&server, 1)).len(), 2);
}

#[test]
fn updating_a_map() {
    let server = start();
    let id = upload_empty(&server);
    let (status, summary) = call(
        &server,
        "map/update",
        json!({"map_id": id, "title": "Renamed", "visibility": "public"}),
    );
    assert_eq!(status, 200);
    assert_eq!(summary["title"], "Renamed");
    assert_eq!(summary["visibility"], "public");
    assert_eq!(summary["short_name"], "empty");
    let geojson: Value = serde_json::from_str(ONE_POINT).expect("json");
    let (_, summary) = call(
        &server,
        "map/update",
        json!({"map_id": id, "geojson": geojson}),
    );
    assert_eq!(summary["title"], "Renamed");
    let map = get(&server, id);
    assert_eq!(features(&map).len(), 1);
    let (_, bad) = call(
        &server,
        "map/update",
        json!({"map_id": id, "visibility": "secret"}),
    );
    assert!(error_of(&bad).contains("visibility"));
}

#[test]
fn image_refresh_is_rate_limited() {
    let server = start();
    let a = upload_empty(&server);
    let b = upload_empty(&server);
    let (_, first) = call(&server, "map/refresh_image", json!({ "map_id": a }));
    assert_eq!(first["id"], json!(a));
    let (status, second) = call(&server, "map/refresh_image", json!({ "map_id": a }));
    assert_eq!(status, 200);
    assert_eq!(
        error_of(&second),
        "Image refresh is limited to once per 5 minutes"
    );
    let (_, other) = call(&server, "map/refresh_image", json!({ "map_id": b }));
    assert!(other.get("error").is_none());
}

#[test]
fn a_too_large_body_is_read_and_refused() {
    let server = start_with(Config {
        api_key: KEY.into(),
        max_upload_bytes: 100,
        ..Config::default()
    });
    let id = upload_empty(&server);
    let (status, answer) = call_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson"}),
        ONE_POINT.repeat(5).as_bytes(),
    );
    assert_eq!(status, 200);
    assert!(error_of(&answer).starts_with("File too large"), "{answer}");
    assert_eq!(server.requests()[1].body_bytes, ONE_POINT.len() * 5);

    let server = start();
    let id = upload_empty(&server);
    let big = vec![b' '; 15 * 1024 * 1024 + 1];
    let (status, answer) = call_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson"}),
        &big,
    );
    assert_eq!(status, 200);
    assert_eq!(error_of(&answer), "File too large (limit 15 MB)");
}

#[test]
fn status_503_fault_answers_empty_503s_without_carrying_out() {
    let server = start();
    server.set_faults(Faults {
        status_503: 2,
        ..Faults::default()
    });
    for _ in 0..2 {
        let reply = send_file(
            &server,
            "map/upload",
            json!({"file_type": "empty", "visibility": "public"}),
            b"",
        )
        .expect("an answer");
        assert_eq!(reply.status, 503);
        assert!(reply.body.is_empty());
    }
    assert_eq!(server.map_count(), 0);
    upload_empty(&server);
    assert_eq!(server.map_count(), 1);
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn drop_after_body_apply_stores_without_answering() {
    let server = start();
    let id = upload_empty(&server);
    server.set_faults(Faults {
        drop_after_body: Some(DropAfterBody::Apply),
        ..Faults::default()
    });
    let reply = send_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson"}),
        ONE_POINT.as_bytes(),
    );
    assert!(reply.is_none(), "no answer");
    // Cleared after one request, and the features were stored.
    assert_eq!(features(&get(&server, id)).len(), 1);
    let log = server.requests();
    assert_eq!(log[1].endpoint, "map/append");
    assert_eq!(log[1].body_bytes, ONE_POINT.len());
    assert_eq!(
        log[1].api_arg,
        Some(json!({"map_id": id, "file_type": "geojson"}))
    );
}

#[test]
fn drop_after_body_discard_stores_nothing() {
    let server = start();
    let id = upload_empty(&server);
    server.set_faults(Faults {
        drop_after_body: Some(DropAfterBody::Discard),
        ..Faults::default()
    });
    let reply = send_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson"}),
        ONE_POINT.as_bytes(),
    );
    assert!(reply.is_none(), "no answer");
    assert_eq!(features(&get(&server, id)).len(), 0);
}

#[test]
fn fail_after_answers_500_after_n_successes_until_reset() {
    let server = start();
    server.set_faults(Faults {
        fail_after: Some(2),
        ..Faults::default()
    });
    // An error answer is not a success.
    let (_, missing) = call(&server, "map/get", json!({"map_id": 7}));
    assert_eq!(error_of(&missing), "Map not found");
    upload_empty(&server);
    upload_empty(&server);
    for _ in 0..2 {
        let reply = try_call(&server, "map/list", json!({})).expect("an answer");
        assert_eq!(reply.status, 500);
    }
    let reply = send_file(
        &server,
        "map/upload",
        json!({"file_type": "empty", "visibility": "public"}),
        b"",
    )
    .expect("an answer");
    assert_eq!(reply.status, 500);
    assert_eq!(server.map_count(), 2);
    server.set_faults(Faults::default());
    let (status, _) = call(&server, "map/list", json!({}));
    assert_eq!(status, 200);
}

#[test]
fn delay_is_slept_before_answering() {
    let server = start();
    server.set_faults(Faults {
        delay_ms: 300,
        ..Faults::default()
    });
    let started = Instant::now();
    let (status, _) = call(&server, "map/list", json!({}));
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

/// The headers control requests need: the key, and JSON.
fn control() -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", auth()),
        ("Content-Type", "application/json".to_owned()),
    ]
}

#[test]
fn control_endpoints() {
    let server = start();
    let reply = post(
        server.port(),
        "/_control/faults",
        &control(),
        br#"{"status_503": 1}"#,
    )
    .expect("an answer");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"ok": true}));
    let reply = try_call(&server, "map/list", json!({})).expect("an answer");
    assert_eq!(reply.status, 503);
    upload_empty(&server);

    for bad in [
        &br#"{"status_503": "x"}"#[..],
        br#"{"status503": 1}"#,
        b"nope",
    ] {
        let reply = post(server.port(), "/_control/faults", &control(), bad).expect("an answer");
        assert_eq!(reply.status, 400);
        assert!(error_of(&reply.json()).starts_with("Invalid faults"));
    }
    let reply = post(
        server.port(),
        "/_control/faults",
        &control(),
        br#"{"drop_after_body": "discard", "delay_ms": 1}"#,
    )
    .expect("an answer");
    assert_eq!(reply.status, 200);
    assert!(try_call(&server, "map/list", json!({})).is_none());

    let log = post(server.port(), "/_control/requests", &control(), b"").expect("an answer");
    assert_eq!(log.status, 200);
    let log = log.json();
    let log = log.as_array().expect("an array");
    assert_eq!(log.len(), 3);
    assert_eq!(
        log[0],
        json!({"endpoint": "map/list", "api_arg": {}, "body_bytes": 2, "authorized": true})
    );
    assert_eq!(log[1]["endpoint"], "map/upload");
    assert_eq!(log[1]["api_arg"]["file_type"], "empty");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn control_endpoints_need_the_key_json_and_no_origin() {
    let server = start();
    let body = br#"{"status_503": 5}"#;
    let key = ("Authorization", auth());
    let json = ("Content-Type", "application/json".to_owned());
    for (headers, status) in [
        (vec![json.clone()], 401),
        (
            vec![("Authorization", "Token wrong".to_owned()), json.clone()],
            401,
        ),
        (vec![key.clone()], 415),
        (
            vec![key.clone(), ("Content-Type", "text/plain".to_owned())],
            415,
        ),
        (
            vec![
                key.clone(),
                json.clone(),
                ("Origin", "https://evil.example".to_owned()),
            ],
            403,
        ),
    ] {
        let reply = post(server.port(), "/_control/faults", &headers, body).expect("an answer");
        assert_eq!(reply.status, status, "{headers:?}");
        let reply = post(server.port(), "/_control/requests", &headers, b"").expect("an answer");
        let read_status = if status == 415 { 200 } else { status };
        assert_eq!(reply.status, read_status, "{headers:?}");
    }
    // None of them set a fault.
    assert_eq!(
        try_call(&server, "map/list", json!({}))
            .expect("an answer")
            .status,
        200
    );
    let charset = ("Content-Type", "application/json; charset=utf-8".to_owned());
    let reply = post(server.port(), "/_control/faults", &[key, charset], body).expect("an answer");
    assert_eq!(reply.status, 200);
    assert_eq!(
        try_call(&server, "map/list", json!({}))
            .expect("an answer")
            .status,
        503
    );
}

#[test]
fn redirect_and_echo_faults() {
    let server = start();
    server.set_faults(Faults {
        redirect: Some("http://127.0.0.1:9/elsewhere".into()),
        ..Faults::default()
    });
    let reply = try_call(&server, "map/list", json!({})).expect("an answer");
    assert_eq!(reply.status, 302);
    assert!(
        reply
            .head
            .contains("Location: http://127.0.0.1:9/elsewhere"),
        "{}",
        reply.head
    );
    for status in [200, 500] {
        server.set_faults(Faults {
            echo_request: Some(status),
            ..Faults::default()
        });
        let reply = try_call(&server, "map/list", json!({})).expect("an answer");
        assert_eq!(reply.status, status);
        let error = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(error.starts_with("POST /api/1/map/list"), "{error}");
        assert!(
            error.contains(&format!("Authorization: Token {KEY}")),
            "{error}"
        );
    }
    assert_eq!(server.map_count(), 0);
}

#[test]
fn never_answer_and_drip_faults_hold_the_connection() {
    let server = start();
    for faults in [
        Faults {
            never_answer: true,
            ..Faults::default()
        },
        Faults {
            drip_ms: 50,
            ..Faults::default()
        },
    ] {
        let drip = faults.drip_ms > 0;
        server.set_faults(faults);
        let mut stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let request = format!(
            "POST /api/1/map/list HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: 0\r\n\r\n",
            auth()
        );
        stream.write_all(request.as_bytes()).expect("send");
        // Read for a second: never an end of the answer.
        let until = Instant::now() + Duration::from_secs(1);
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        while Instant::now() < until {
            match stream.read(&mut buf) {
                Ok(0) => panic!("the server closed the connection"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
        let text = String::from_utf8_lossy(&got).into_owned();
        if drip {
            let (head, body) = text.split_once("\r\n\r\n").expect("a head");
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            assert!(
                !body.is_empty() && body.bytes().all(|b| b == b' '),
                "{body:?}"
            );
        } else {
            assert!(got.is_empty(), "{text}");
        }
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "maphub-local-{name}-{}-{nanos}",
        std::process::id()
    ))
}

#[test]
fn maps_persist_in_the_data_dir() {
    let dir = temp_dir("persist");
    let config = Config {
        api_key: KEY.into(),
        data_dir: Some(dir.clone()),
        ..Config::default()
    };
    let id = {
        let server = start_with(config.clone());
        let id = upload_empty(&server);
        call_file(
            &server,
            "map/append",
            json!({"map_id": id, "file_type": "geojson"}),
            NESTED.as_bytes(),
        );
        call(
            &server,
            "map/update",
            json!({"map_id": id, "title": "Kept"}),
        );
        id
    };
    assert!(dir.join(format!("map-{id}.json")).is_file());
    let server = start_with(config);
    assert_eq!(server.map_count(), 1);
    let map = get(&server, id);
    assert_eq!(map["title"], "Kept");
    assert_eq!(map["url"], format!("{}/map/{id}", server.url()));
    assert_eq!(features(&map).len(), 3);
    assert_eq!(
        map["geojson"]["groups"][1],
        json!({"title": "A\u{FF0F}B", "id": 2})
    );
    assert_eq!(upload_empty(&server), id + 1);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------- markers and images

/// A `w` × `h` PNG, red (with full alpha) but for its bottom row, which is blue.
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |_, y| {
        if y + 1 == h {
            image::Rgba([0, 0, 255, 255])
        } else {
            image::Rgba([255, 0, 0, 255])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("PNG written");
    out.into_inner()
}

/// A `w` × `h` JPEG of one colour.
fn jpeg(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(&img)
        .expect("JPEG written");
    out
}

/// `#rrggbb` as numbers.
fn rgb_of(hex: &Value) -> [i32; 3] {
    let s = hex.as_str().expect("a colour string");
    assert!(s.len() == 7 && s.starts_with('#'), "{s}");
    let c = |i: usize| i32::from_str_radix(&s[i..i + 2], 16).expect("hex");
    [c(1), c(3), c(5)]
}

fn is_asset_id(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 12
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn upload_marker(server: &Server, file: &[u8]) -> Value {
    let (status, answer) = call_file(server, "marker/upload", json!({"file_type": "png"}), file);
    assert_eq!(status, 200);
    assert!(answer.get("error").is_none(), "{answer}");
    assert_eq!(answer.as_object().map(|o| o.len()), Some(1), "{answer}");
    answer["marker_id"].clone()
}

fn upload_image(server: &Server, file_type: &str, file: &[u8]) -> Value {
    let (status, answer) = call_file(
        server,
        "image/upload",
        json!({ "file_type": file_type }),
        file,
    );
    assert_eq!(status, 200);
    assert!(answer.get("error").is_none(), "{answer}");
    answer
}

/// Fetches an uploaded file back through `/_control/<kind>`.
fn fetch_back(server: &Server, kind: &str, id: &Value) -> Reply {
    post(
        server.port(),
        &format!("/_control/{kind}"),
        &control(),
        json!({ "id": id }).to_string().as_bytes(),
    )
    .expect("an answer")
}

#[test]
fn marker_upload_takes_a_png_and_gives_it_back() {
    let server = start();
    let icon = png(32, 32);
    let id = upload_marker(&server, &icon);
    assert!(is_asset_id(&id), "{id}");
    let other = upload_marker(&server, &icon);
    assert_ne!(id, other, "every upload is a new marker");
    assert_eq!(server.marker_count(), 2);
    assert_eq!(server.image_count(), 0);
    assert_eq!(
        server.marker(id.as_str().expect("a string")),
        Some(icon.clone())
    );
    assert_eq!(server.marker("000000000000"), None);
    let back = fetch_back(&server, "marker", &id);
    assert_eq!(back.status, 200);
    assert!(
        back.head.contains("Content-Type: image/png"),
        "{}",
        back.head
    );
    assert_eq!(back.body, icon);
    // A marker is not an image.
    assert_eq!(fetch_back(&server, "image", &id).status, 404);
    let log = server.requests();
    assert_eq!(log[0].endpoint, "marker/upload");
    assert_eq!(log[0].api_arg, Some(json!({"file_type": "png"})));
    assert_eq!(log[0].body_bytes, icon.len());
}

#[test]
fn marker_upload_takes_nothing_but_a_png() {
    let server = start();
    let icon = png(8, 8);
    for (args, file, expected) in [
        (
            json!({"file_type": "jpg"}),
            &icon[..],
            "Invalid file_type \"jpg\"",
        ),
        (json!({"file_type": "gif"}), &icon[..], "Invalid file_type"),
        (json!({}), &icon[..], "Missing argument: file_type"),
        (
            json!({"file_type": "png"}),
            b"not an image",
            "Could not read the file as PNG",
        ),
        (
            json!({"file_type": "png"}),
            b"",
            "Could not read the file as PNG",
        ),
        (
            json!({"file_type": "png"}),
            &icon[..icon.len() / 2],
            "Could not read the file as PNG",
        ),
    ] {
        let (status, answer) = call_file(&server, "marker/upload", args.clone(), file);
        assert_eq!(status, 200);
        assert!(error_of(&answer).starts_with(expected), "{args}: {answer}");
    }
    let (_, answer) = call_file(
        &server,
        "marker/upload",
        json!({"file_type": "png"}),
        &jpeg(8, 8, [1, 2, 3]),
    );
    assert!(
        error_of(&answer).starts_with("Could not read the file as PNG"),
        "{answer}"
    );
    let wrong_key = post(
        server.port(),
        "/api/1/marker/upload",
        &[
            ("Authorization", "Token nope"),
            ("MapHub-API-Arg", r#"{"file_type":"png"}"#),
        ],
        &icon,
    )
    .expect("an answer");
    assert_eq!(error_of(&wrong_key.json()), "Invalid API key");
    assert_eq!(server.marker_count(), 0);
}

#[test]
fn image_upload_reads_size_and_colours_from_the_pixels() {
    let server = start();
    // 19 red rows and a blue one: the mean is (255·19/20, 0, 255/20) rounded.
    let file = png(30, 20);
    let answer = upload_image(&server, "png", &file);
    assert!(is_asset_id(&answer["image_id"]), "{answer}");
    let id = answer["image_id"].clone();
    assert_eq!(
        answer,
        json!({"image_id": id, "width": 30, "height": 20, "tip_color": "#0000ff",
               "avg_color": "#f2000d", "has_gps": false, "geometry": null,
               "date_str": null, "date_iso": null})
    );
    let back = fetch_back(&server, "image", &id);
    assert_eq!(back.status, 200);
    assert!(
        back.head.contains("Content-Type: image/png"),
        "{}",
        back.head
    );
    assert_eq!(back.body, file);

    let photo = jpeg(64, 48, [200, 100, 50]);
    for file_type in ["jpg", "jpeg"] {
        let answer = upload_image(&server, file_type, &photo);
        assert_eq!(
            (answer["width"].as_u64(), answer["height"].as_u64()),
            (Some(64), Some(48))
        );
        assert_ne!(answer["image_id"], id);
        // JPEG is lossy: near the colour, not on it.
        for key in ["avg_color", "tip_color"] {
            let got = rgb_of(&answer[key]);
            let near = got
                .iter()
                .zip([200, 100, 50])
                .all(|(g, want)| (g - want).abs() <= 3);
            assert!(near, "{key}: {got:?}");
        }
        let jpg_id = answer["image_id"].as_str().expect("a string");
        assert_eq!(server.image(jpg_id), Some(photo.clone()));
        let back = fetch_back(&server, "image", &answer["image_id"]);
        assert!(
            back.head.contains("Content-Type: image/jpeg"),
            "{}",
            back.head
        );
        assert_eq!(back.body, photo);
    }
    assert_eq!(server.image_count(), 3);
    assert_eq!(server.marker_count(), 0);
}

#[test]
fn image_upload_refuses_a_file_that_is_not_its_file_type() {
    let server = start();
    let photo = jpeg(16, 16, [0, 0, 0]);
    let picture = png(16, 16);
    for (file_type, file, expected) in [
        ("png", &photo[..], "Could not read the file as PNG"),
        ("jpg", &picture[..], "Could not read the file as JPEG"),
        (
            "jpg",
            b"GIF89a not really",
            "Could not read the file as JPEG",
        ),
        ("jpg", &photo[..20], "Could not read the file as JPEG"),
        ("gif", &picture[..], "Invalid file_type \"gif\""),
    ] {
        let (status, answer) = call_file(
            &server,
            "image/upload",
            json!({ "file_type": file_type }),
            file,
        );
        assert_eq!(status, 200);
        assert!(
            error_of(&answer).starts_with(expected),
            "{file_type}: {answer}"
        );
    }
    assert_eq!(server.image_count(), 0);
}

#[test]
fn a_too_large_marker_or_image_is_refused() {
    let server = start_with(Config {
        api_key: KEY.into(),
        max_upload_bytes: 100,
        ..Config::default()
    });
    let file = png(64, 64);
    assert!(file.len() > 100);
    for endpoint in ["marker/upload", "image/upload"] {
        let (_, answer) = call_file(&server, endpoint, json!({"file_type": "png"}), &file);
        assert_eq!(
            error_of(&answer),
            "File too large (limit 100 bytes)",
            "{endpoint}"
        );
    }
    assert_eq!((server.marker_count(), server.image_count()), (0, 0));
}

#[test]
fn map_get_lists_the_markers_and_images_its_features_use() {
    let server = start();
    let used = upload_marker(&server, &png(8, 8));
    let unused = upload_marker(&server, &png(9, 9));
    let photo = upload_image(&server, "jpg", &jpeg(16, 8, [9, 9, 9]));
    let id = upload_empty(&server);
    let (_, before) = call(&server, "map/get", json!({ "map_id": id }));
    assert_eq!(
        (&before["markers"], &before["images"]),
        (&json!([]), &json!([]))
    );
    let image = json!({"id": photo["image_id"], "w": 16, "h": 8,
                       "tip_color": photo["tip_color"], "avg_color": photo["avg_color"]});
    let geojson = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]},
         "properties": {"title": "a", "marker_id": used}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3, 4]},
         "properties": {"title": "b", "marker_id": used, "image": image}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [5, 6]},
         "properties": {"title": "c", "marker_id": "0123456789ab", "image": {"id": "ba9876543210"}}}
    ]});
    let (_, answer) = call_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson"}),
        geojson.to_string().as_bytes(),
    );
    assert!(answer.get("error").is_none(), "{answer}");
    let map = get(&server, id);
    assert_eq!(map["markers"], json!([used]));
    assert_eq!(map["images"], json!([photo["image_id"]]));
    assert_ne!(map["markers"], json!([unused]));
    let features = features(&map);
    assert_eq!(features[1]["properties"]["marker_id"], used);
    assert_eq!(features[1]["properties"]["image"], image);
}

#[test]
fn faults_aim_at_marker_and_image_upload() {
    let server = start();
    let icon = png(8, 8);
    server.set_faults(Faults {
        drop_after_body: Some(DropAfterBody::Discard),
        drop_endpoint: Some("marker/upload".into()),
        ..Faults::default()
    });
    // Another endpoint passes; the marker upload is dropped, not carried out.
    upload_image(&server, "png", &icon);
    let reply = send_file(&server, "marker/upload", json!({"file_type": "png"}), &icon);
    assert!(reply.is_none(), "no answer");
    assert_eq!(server.marker_count(), 0);
    let log = server.requests();
    assert_eq!(log[1].endpoint, "marker/upload");
    assert_eq!(log[1].api_arg, Some(json!({"file_type": "png"})));
    assert_eq!(log[1].body_bytes, icon.len());

    server.set_faults(Faults {
        drop_after_body: Some(DropAfterBody::Apply),
        drop_endpoint: Some("image/upload".into()),
        ..Faults::default()
    });
    upload_marker(&server, &icon);
    let reply = send_file(&server, "image/upload", json!({"file_type": "png"}), &icon);
    assert!(reply.is_none(), "no answer");
    assert_eq!((server.marker_count(), server.image_count()), (1, 2));

    server.set_faults(Faults {
        fail_after: Some(1),
        ..Faults::default()
    });
    upload_marker(&server, &icon);
    let reply =
        send_file(&server, "marker/upload", json!({"file_type": "png"}), &icon).expect("an answer");
    assert_eq!(reply.status, 500);
    let reply =
        send_file(&server, "image/upload", json!({"file_type": "png"}), &icon).expect("an answer");
    assert_eq!(reply.status, 500);
    assert_eq!((server.marker_count(), server.image_count()), (2, 2));
    assert_eq!(server.requests().len(), 7);
}

#[test]
fn fetching_files_back_needs_the_key_and_a_known_id() {
    let server = start();
    let icon = png(8, 8);
    let id = upload_marker(&server, &icon);
    let body = json!({ "id": id }).to_string();
    for path in ["/_control/marker", "/_control/image"] {
        let no_key = post(
            server.port(),
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .expect("an answer");
        assert_eq!(no_key.status, 401, "{path}");
        let mut from_page = control();
        from_page.push(("Origin", "https://evil.example".to_owned()));
        let reply = post(server.port(), path, &from_page, body.as_bytes()).expect("an answer");
        assert_eq!(reply.status, 403, "{path}");
        let reply = post(server.port(), path, &control(), b"{}").expect("an answer");
        assert_eq!(reply.status, 400, "{path}");
        let reply = fetch_back(&server, &path["/_control/".len()..], &json!("0123456789ab"));
        assert_eq!(reply.status, 404, "{path}");
    }
    // Control requests are not logged.
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn markers_and_images_persist_in_the_data_dir() {
    let dir = temp_dir("assets");
    let config = Config {
        api_key: KEY.into(),
        data_dir: Some(dir.clone()),
        ..Config::default()
    };
    let icon = png(8, 8);
    let photo = jpeg(24, 16, [10, 200, 30]);
    let (marker, image) = {
        let server = start_with(config.clone());
        (
            upload_marker(&server, &icon),
            upload_image(&server, "jpg", &photo),
        )
    };
    let image_id = image["image_id"].as_str().expect("a string");
    assert!(dir.join(format!("image-{image_id}.jpg")).is_file());
    let server = start_with(config);
    assert_eq!((server.marker_count(), server.image_count()), (1, 1));
    assert_eq!(
        server.marker(marker.as_str().expect("a string")),
        Some(icon)
    );
    assert_eq!(server.image(image_id), Some(photo));
    let again = upload_marker(&server, &png(8, 8));
    assert_ne!(again, marker);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
