//! C1 controls (U+009B is a one-byte CSI) and bidirectional overrides (U+202E) never
//! reach a terminal raw: not in `check`'s JSON or SARIF, nor in `get`'s map or
//! `convert`'s and `fix`'s output written to a terminal (as `\u` escapes in JSON,
//! character references in KML and GPX: the same document). To a pipe, they keep the
//! bytes.
//! MapHub is maphub-local on 127.0.0.1; the terminal is a pseudo-terminal from
//! `script`, whose log goes to a file in the test's own folder.

use std::path::Path;
use std::process::{Command, Output};

use geonorm_upload::{ApiKey, AppendArgs, ClientBuilder, FileType, UploadArgs, Visibility};
use maphub_local::{Config, Server};

const KEY: &str = "terminal-json-key-93a1";

/// Text a file or a server may hold: a CSI that would colour the screen, a
/// right-to-left override, an isolate.
const HOSTILE: &str = "x\u{9b}31m\u{202e}gnp.exe\u{2066}";

fn unsafe_bytes(b: &[u8]) -> bool {
    let s = String::from_utf8_lossy(b);
    s.chars().any(|c| {
        ('\u{80}'..='\u{9f}').contains(&c)
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    })
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(args)
        .current_dir(dir)
        .env("MAPHUB_API_KEY", KEY)
        .output()
        .expect("run geonorm")
}

#[test]
fn check_json_and_sarif_escape_c1_controls_and_bidi_overrides() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The reader quotes an unknown geometry type in its finding.
    let geojson = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{}},"geometry":{{"type":"Point{HOSTILE}","coordinates":[1,2]}}}}]}}"#
    );
    std::fs::write(dir.path().join("t.geojson"), geojson).expect("write");
    for format in ["json", "sarif"] {
        let out = run(dir.path(), &["check", "t.geojson", "--format", format]);
        assert!(!out.stdout.is_empty(), "{format}");
        assert!(
            !unsafe_bytes(&out.stdout),
            "{format}: {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
        // Still JSON, still holding what the file said.
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert!(v.to_string().contains(HOSTILE), "{format}: {v}");
    }
}

#[test]
fn get_escapes_for_a_terminal_and_keeps_the_bytes_for_a_pipe() {
    let server = Server::start(
        Config {
            api_key: KEY.into(),
            ..Config::default()
        },
        0,
    )
    .expect("server");
    let client = ClientBuilder::new()
        .server(server.url())
        .api_key(ApiKey::new(KEY).expect("key"))
        .build()
        .expect("client");
    let map = client
        .upload(
            &UploadArgs {
                file_type: FileType::Empty,
                visibility: Visibility::Private,
                title: Some("T".into()),
                description: None,
                short_name: None,
            },
            b"",
        )
        .expect("map")
        .id;
    let feature = serde_json::json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"title": HOSTILE}, "geometry": {"type": "Point", "coordinates": [1, 2]}}]});
    client
        .append(
            &AppendArgs {
                map_id: map,
                file_type: FileType::Geojson,
                new_group: None,
            },
            feature.to_string().as_bytes(),
        )
        .expect("append");
    let dir = tempfile::tempdir().expect("tempdir");
    let (id, url) = (map.to_string(), server.url());
    // A pipe: the bytes as MapHub gave them.
    let out = run(dir.path(), &["get", &id, "--server", &url]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains(HOSTILE));
    // A terminal: escaped, for both forms.
    for extra in ["", " --format json"] {
        let log = dir.path().join("typescript");
        let cmd = format!(
            "{} get {id} --server {url}{extra}",
            env!("CARGO_BIN_EXE_geonorm")
        );
        let status = Command::new("script")
            .args(["-q", "-e", "-c", &cmd])
            .arg(&log)
            .current_dir(dir.path())
            .env("MAPHUB_API_KEY", KEY)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("script runs");
        assert_eq!(status.status.code(), Some(0), "{status:?}");
        let shown = std::fs::read(&log).expect("log");
        let text = String::from_utf8_lossy(&shown);
        assert!(text.contains("\\u009b31m\\u202egnp.exe\\u2066"), "{text}");
        assert!(!unsafe_bytes(&shown), "{text:?}");
    }
}

/// `geonorm ARGS` run in `dir` with standard output a pseudo-terminal: what it showed.
fn on_a_terminal(dir: &Path, args: &str) -> String {
    let log = dir.join("typescript");
    let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_geonorm"));
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &cmd])
        .arg(&log)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script runs");
    assert_eq!(out.status.code(), Some(0), "{args}: {out:?}");
    let shown = std::fs::read(&log).expect("log");
    assert!(
        !unsafe_bytes(&shown),
        "{args}: {:?}",
        String::from_utf8_lossy(&shown)
    );
    String::from_utf8_lossy(&shown).into_owned()
}

#[test]
fn convert_and_fix_escape_for_a_terminal_and_keep_the_bytes_for_a_pipe() {
    let dir = tempfile::tempdir().expect("tempdir");
    let geojson = serde_json::json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"title": HOSTILE}, "geometry": {"type": "Point", "coordinates": [1, 2]}}]});
    std::fs::write(dir.path().join("t.geojson"), geojson.to_string()).expect("write");
    // A pipe: the bytes as the file holds them.
    for args in [
        &["convert", "t.geojson"][..],
        &["convert", "t.geojson", "--to", "kml"],
    ] {
        let out = run(dir.path(), args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(HOSTILE),
            "{args:?}"
        );
    }
    // A terminal: escaped in the output's own language.
    for args in ["convert t.geojson", "fix t.geojson"] {
        let shown = on_a_terminal(dir.path(), args);
        assert!(
            shown.contains("x\\u009b31m\\u202egnp.exe\\u2066"),
            "{args}: {shown}"
        );
    }
    for to in ["kml", "gpx"] {
        let shown = on_a_terminal(dir.path(), &format!("convert t.geojson --to {to}"));
        assert!(
            shown.contains("x&#x9B;31m&#x202E;gnp.exe&#x2066;"),
            "{to}: {shown}"
        );
    }
}
