//! `geonorm append`, `upload`, `maps`, `get` and `refresh-image` end to end against a
//! real MapHub-compatible server (maphub-local) on 127.0.0.1, faults included. The
//! API key is checked to appear in no output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use maphub_local::{Config, Faults, Server};

const KEY: &str = "e2e-secret-4b9d2f71";

fn testdata(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(sub)
}

struct Env {
    server: Server,
    dir: tempfile::TempDir,
    outputs: Vec<String>,
}

impl Env {
    fn new() -> Env {
        let server = Server::start(
            Config {
                api_key: KEY.into(),
                ..Config::default()
            },
            0,
        )
        .expect("server");
        Env {
            server,
            dir: tempfile::tempdir().expect("tempdir"),
            outputs: Vec::new(),
        }
    }

    fn run(&mut self, args: &[&str]) -> Output {
        let url = self.server.url();
        let mut all: Vec<&str> = args.to_vec();
        if !args.contains(&"--server") && !matches!(args.first(), Some(&"check") | Some(&"convert"))
        {
            all.extend(["--server", url.as_str()]);
        }
        let out = Command::new(env!("CARGO_BIN_EXE_geonorm"))
            .args(&all)
            .env("MAPHUB_API_KEY", KEY)
            .output()
            .expect("run geonorm");
        self.outputs
            .push(String::from_utf8_lossy(&out.stdout).into_owned());
        self.outputs
            .push(String::from_utf8_lossy(&out.stderr).into_owned());
        out
    }

    /// Copies a fixture into the scratch folder (the journal is written beside it).
    fn file(&self, sub: &str) -> String {
        let src = testdata(sub);
        let dst = self.dir.path().join(src.file_name().expect("name"));
        std::fs::copy(&src, &dst).expect("copy");
        dst.to_string_lossy().into_owned()
    }

    fn new_map(&mut self) -> u64 {
        let empty = self.dir.path().join("empty.geojson");
        std::fs::write(&empty, r#"{"type":"FeatureCollection","features":[]}"#).expect("write");
        let out = self.run(&[
            "upload",
            empty.to_str().expect("utf8"),
            "--visibility",
            "private",
            "--title",
            "T",
            "--format",
            "json",
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v["map"]["id"].as_u64().expect("map id")
    }

    fn map(&mut self, id: u64) -> serde_json::Value {
        let out = self.run(&["get", &id.to_string(), "--format", "json"]);
        assert_eq!(out.status.code(), Some(0));
        serde_json::from_slice(&out.stdout).expect("json")
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        for o in &self.outputs {
            assert!(!o.contains(KEY), "the API key leaked into output: {o}");
        }
    }
}

fn titles(map: &serde_json::Value, what: &str, key: &str) -> Vec<String> {
    let mut v: Vec<String> = map["geojson"][what]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            if key.is_empty() {
                x.to_string()
            } else {
                x[key].as_str().unwrap_or("").to_string()
            }
        })
        .collect();
    v.sort();
    v
}

#[test]
fn kmz_gpx_and_geojson_land_once_each() {
    let mut env = Env::new();
    let map = env.new_map();
    for f in [
        "kml/openlayers/iceland.kmz",
        "gpx/togeojson/run.gpx",
        "geojson/maphub/alps-trip.geojson",
    ] {
        let path = env.file(f);
        let out = env.run(&["append", &path, "--map", &map.to_string()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let got = env.map(map);
    assert_eq!(
        got["geojson"]["features"].as_array().map(Vec::len),
        Some(83 + 1 + 6)
    );
    let groups = titles(&got, "groups", "title");
    let mut unique = groups.clone();
    unique.dedup();
    assert_eq!(groups, unique, "no group twice");
    assert!(
        groups.contains(&"Alps／Switzerland／Zermatt".to_string()),
        "{groups:?}"
    );
    // `maps` lists it; `refresh-image` works once, then refuses.
    let out = env.run(&["maps", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(list["owner"]
        .as_array()
        .is_some_and(|m| m.iter().any(|x| x["id"] == map)));
    assert_eq!(
        env.run(&["refresh-image", &map.to_string()]).status.code(),
        Some(0)
    );
    let again = env.run(&["refresh-image", &map.to_string()]);
    assert_eq!(again.status.code(), Some(1));
    let out_file = env.dir.path().join("map.geojson");
    assert_eq!(
        env.run(&[
            "get",
            &map.to_string(),
            "-o",
            out_file.to_str().expect("utf8")
        ])
        .status
        .code(),
        Some(0)
    );
    let (doc, _) = geonorm::read(
        &std::fs::read(&out_file).expect("written")[..],
        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("valid GeoJSON");
    assert_eq!(doc.features.len(), 90);
}

/// A MapHub GeoJSON of about `mb` megabytes of points in three groups.
fn big_file(dir: &Path, mb: usize) -> (PathBuf, usize) {
    let path = dir.join("big.geojson");
    let mut s = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    let mut n = 0;
    while s.len() < mb << 20 {
        if n > 0 {
            s.push_str(",\n");
        }
        s.push_str(&format!(
            "{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{}.{:04},{}.{:04}]}},\"properties\":{{\"title\":\"point {n}\",\"group\":{},\"description\":\"a generated point, with enough words to make the file large\"}}}}",
            n % 170,
            n % 9973,
            n % 80,
            n % 7919,
            1 + n % 3
        ));
        n += 1;
    }
    s.push_str("\n],\"groups\":[{\"title\":\"A\",\"id\":1},{\"title\":\"A／B\",\"id\":2},{\"title\":\"C\",\"id\":3}]}\n");
    std::fs::write(&path, s).expect("write");
    (path, n)
}

#[test]
fn a_40_mb_file_goes_in_chunks_and_arrives_whole() {
    let mut env = Env::new();
    let map = env.new_map();
    let (path, n) = big_file(env.dir.path(), 40);
    // The server keeps MapHub's 15 MB limit; the client splits under it.
    let out = env.run(&[
        "append",
        path.to_str().expect("utf8"),
        "--map",
        &map.to_string(),
        "--max-bytes",
        "15728640",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let chunks = v["chunks"].as_array().expect("chunks");
    assert!(chunks.len() >= 3, "{} chunks", chunks.len());
    assert!(chunks
        .iter()
        .all(|c| c["bytes"].as_u64().is_some_and(|b| b <= 15 << 20)));
    let got = env.map(map);
    assert_eq!(got["geojson"]["features"].as_array().map(Vec::len), Some(n));
    assert_eq!(titles(&got, "groups", "title"), ["A", "A／B", "C"]);
}

#[test]
fn a_failure_after_chunk_k_then_resume_sends_each_feature_once() {
    let mut env = Env::new();
    let map = env.new_map();
    let (path, n) = big_file(env.dir.path(), 2);
    let p = path.to_str().expect("utf8");
    // map/get for the baseline, two appends, then every call fails (500).
    env.server.set_faults(Faults {
        fail_after: Some(3),
        ..Faults::default()
    });
    let out = env.run(&[
        "append",
        p,
        "--map",
        &map.to_string(),
        "--max-bytes",
        "300000",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.contains("chunk 1 of") && said.contains("landed") && said.contains("not sent"),
        "{said}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--resume"));
    // Running again without --resume refuses rather than send twice.
    env.server.set_faults(Faults::default());
    assert_eq!(
        env.run(&[
            "append",
            p,
            "--map",
            &map.to_string(),
            "--max-bytes",
            "300000"
        ])
        .status
        .code(),
        Some(1)
    );
    let out = env.run(&[
        "append",
        p,
        "--map",
        &map.to_string(),
        "--max-bytes",
        "300000",
        "--resume",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = env.map(map);
    let features = got["geojson"]["features"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(features.len(), n);
    let mut seen: Vec<&str> = features
        .iter()
        .filter_map(|f| f["properties"]["title"].as_str())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), n, "no feature twice");
}

#[test]
fn an_api_error_prints_the_message_and_exits_1() {
    let mut env = Env::new();
    let path = env.file("geojson/maphub/alps-trip.geojson");
    let out = env.run(&["append", &path, "--map", "424242"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Map not found"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = env.run(&["get", "424242"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_wrong_key_is_refused_without_being_shown() {
    let env = Env::new();
    let keyfile = env.dir.path().join("key");
    std::fs::write(&keyfile, "not-the-key-19ab\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args([
            "maps",
            "--server",
            &env.server.url(),
            "--api-key-file",
            keyfile.to_str().expect("utf8"),
        ])
        .env_remove("MAPHUB_API_KEY")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("Invalid API key"), "{all}");
    assert!(!all.contains("not-the-key-19ab"));
}

#[test]
fn errors_in_the_file_block_sending_unless_forced_and_dry_run_masks_the_key() {
    let mut env = Env::new();
    let map = env.new_map();
    let bad = env.file("geojson/crafted/messy.geojson");
    let out = env.run(&["append", &bad, "--map", &map.to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing sent"));
    let before = env.server.requests().len();
    let dry = env.run(&[
        "append",
        &bad,
        "--map",
        &map.to_string(),
        "--force",
        "--dry-run",
    ]);
    assert_eq!(dry.status.code(), Some(0));
    let text = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(
        text.contains("Authorization: Token ***") && text.contains("map/append"),
        "{text}"
    );
    assert_eq!(
        env.server.requests().len(),
        before,
        "a dry run sends nothing"
    );
    let forced = env.run(&["append", &bad, "--map", &map.to_string(), "--force"]);
    assert_eq!(
        forced.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    // --raw sends the original bytes with their own type.
    let kmz = env.file("kml/openlayers/iceland.kmz");
    assert_eq!(
        env.run(&["append", &kmz, "--map", &map.to_string(), "--raw"])
            .status
            .code(),
        Some(0)
    );
    // The last append (a map/get follows it: the check that the file landed).
    let last = env
        .server
        .requests()
        .into_iter()
        .rfind(|r| r.endpoint == "map/append")
        .expect("logged");
    assert_eq!(
        last.api_arg
            .and_then(|a| a["file_type"].as_str().map(str::to_string))
            .as_deref(),
        Some("kml")
    );
    assert_eq!(
        last.body_bytes as u64,
        std::fs::metadata(&kmz).expect("meta").len()
    );
}
