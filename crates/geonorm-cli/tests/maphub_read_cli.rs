//! `maps`, `get` and `refresh-image` against maphub-local on 127.0.0.1: a dry run
//! sends nothing, and `get` writes the map's GeoJSON.

use std::path::Path;
use std::process::{Command, Output};

use maphub_local::{Config, Server};

const KEY: &str = "read-test-key-91af3c";

fn run(dir: &Path, args: &[&str], key: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_geonorm"));
    cmd.args(args).current_dir(dir).env_remove("MAPHUB_API_KEY");
    if let Some(k) = key {
        cmd.env("MAPHUB_API_KEY", k);
    }
    cmd.output().expect("run geonorm")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn server() -> Server {
    Server::start(
        Config {
            api_key: KEY.into(),
            ..Config::default()
        },
        0,
    )
    .expect("server")
}

/// Uploads a two-feature map; its id.
fn new_map(server: &Server, dir: &Path) -> u64 {
    std::fs::write(
        dir.join("two.geojson"),
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"title":"a"},"geometry":{"type":"Point","coordinates":[1,2]}},
{"type":"Feature","properties":{"title":"b"},"geometry":{"type":"Point","coordinates":[3,4]}}]}"#,
    )
    .expect("write");
    let out = run(
        dir,
        &[
            "upload",
            "two.geojson",
            "--visibility",
            "private",
            "--format",
            "json",
            "--server",
            &server.url(),
        ],
        Some(KEY),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["map"]["id"].as_u64().expect("id")
}

#[test]
fn dry_runs_send_nothing_and_need_no_key() {
    let server = server();
    let dir = tempfile::tempdir().expect("tempdir");
    let url = server.url();
    let cases: [(&[&str], &str, &str); 3] = [
        (&["maps"], "map/list", "{}"),
        (&["get", "1"], "map/get", r#"{"map_id":1}"#),
        (
            &["refresh-image", "1"],
            "map/refresh_image",
            r#"{"map_id":1}"#,
        ),
    ];
    for (args, endpoint, body) in cases {
        for key in [Some(KEY), None] {
            let mut all = args.to_vec();
            all.extend(["--dry-run", "--server", &url]);
            let out = run(dir.path(), &all, key);
            let shown = text(&out.stdout);
            assert_eq!(out.status.code(), Some(0), "{all:?}: {}", text(&out.stderr));
            assert_eq!(
                shown,
                format!(
                    "POST {url}/api/1/{endpoint}\n  Authorization: Token ***\n  body: {body}\n"
                ),
                "{all:?}"
            );
            assert!(!shown.contains(KEY));
        }
    }
    assert!(
        server.requests().is_empty(),
        "{:?}",
        server.requests().len()
    );
    // `get -o` in a dry run writes no file either.
    let out = run(
        dir.path(),
        &["get", "1", "-o", "m.geojson", "--dry-run", "--server", &url],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(!dir.path().join("m.geojson").exists());
    assert!(server.requests().is_empty());
}

#[test]
fn get_writes_the_maps_geojson() {
    let server = server();
    let dir = tempfile::tempdir().expect("tempdir");
    let url = server.url();
    let id = new_map(&server, dir.path()).to_string();

    let out = run(dir.path(), &["get", &id, "--server", &url], Some(KEY));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["type"], "FeatureCollection", "{v}");
    assert_eq!(v["features"].as_array().map(Vec::len), Some(2));
    assert!(v.get("geojson").is_none() && v.get("url").is_none());
    let (doc, _) = geonorm::read(
        &out.stdout[..],
        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("GeoJSON");
    assert_eq!(doc.features.len(), 2);

    // The same bytes to a file, with `-o FILE`; `-o -` is standard output.
    let out_file = run(
        dir.path(),
        &["get", &id, "-o", "m.geojson", "--server", &url],
        Some(KEY),
    );
    assert_eq!(
        out_file.status.code(),
        Some(0),
        "{}",
        text(&out_file.stderr)
    );
    assert!(out_file.stdout.is_empty());
    assert_eq!(
        std::fs::read(dir.path().join("m.geojson")).expect("written"),
        out.stdout
    );
    let dash = run(
        dir.path(),
        &["get", &id, "-o", "-", "--server", &url],
        Some(KEY),
    );
    assert_eq!(dash.stdout, out.stdout);
    assert!(!dir.path().join("-").exists());

    // MapHub's whole answer with --format json.
    let out = run(
        dir.path(),
        &["get", &id, "--format", "json", "--server", &url],
        Some(KEY),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["id"].as_u64().map(|n| n.to_string()), Some(id.clone()));
    assert_eq!(v["geojson"]["type"], "FeatureCollection");

    // A failed get leaves an existing file as it was, and no temporary file.
    std::fs::write(dir.path().join("m.geojson"), b"old").expect("write");
    let out = run(
        dir.path(),
        &["get", "424242", "-o", "m.geojson", "--server", &url],
        Some(KEY),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "geonorm: MapHub: Map not found\n");
    assert_eq!(
        std::fs::read(dir.path().join("m.geojson")).expect("kept"),
        b"old"
    );
    let stray: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n.contains("geonorm-tmp") || n == "-")
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}
