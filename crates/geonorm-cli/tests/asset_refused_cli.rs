//! An icon MapHub refuses (a valid PNG that `check` passes, refused by maphub-local's
//! `refuse_endpoint` fault) no longer blocks a send for good: the error names the way out, and
//! `--resume --skip-asset NAME` or `--resume --no-assets` finish the send, each feature
//! once, nothing uploaded twice. Against maphub-local on 127.0.0.1.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use geonorm_upload::{ApiKey, Client, ClientBuilder, FileType, UploadArgs, Visibility};
use maphub_local::{Config, Faults, Server};
use serde_json::Value;

const KEY: &str = "asset-refused-secret-5c2e";

struct Env {
    server: Server,
    dir: tempfile::TempDir,
    client: Client,
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
        let client = ClientBuilder::new()
            .server(server.url())
            .api_key(ApiKey::new(KEY).expect("key"))
            .build()
            .expect("client");
        Env {
            server,
            dir: tempfile::tempdir().expect("tempdir"),
            client,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_geonorm"))
            .args(args)
            .args(["--server", &self.server.url()])
            .env("MAPHUB_API_KEY", KEY)
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .output()
            .expect("run geonorm");
        assert!(!text(&out).contains(KEY), "the key leaked");
        out
    }

    fn new_map(&self) -> u64 {
        let args = UploadArgs {
            file_type: FileType::Empty,
            visibility: Visibility::Private,
            title: Some("T".into()),
            description: None,
            short_name: None,
        };
        self.client.upload(&args, b"").expect("upload").id
    }

    /// The map's features' properties, by title; fails on a title twice.
    fn features(&self, map: u64) -> Vec<(String, Value)> {
        let v = self.client.get(map).expect("get");
        let mut all: Vec<(String, Value)> = v["geojson"]["features"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                let title = f["properties"]["title"].as_str().unwrap_or("").to_string();
                (title, f["properties"].clone())
            })
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let mut titles: Vec<&String> = all.iter().map(|(t, _)| t).collect();
        titles.dedup();
        assert_eq!(titles.len(), all.len(), "a feature is on the map twice");
        all
    }

    fn calls(&self, endpoint: &str) -> usize {
        self.server
            .requests()
            .iter()
            .filter(|r| r.endpoint == endpoint)
            .count()
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

/// A KML beside two icons: `good.png` (first used) and `bad.png`, which MapHub refuses.
fn walk(dir: &Path) -> PathBuf {
    let folder = dir.join("walk");
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::write(folder.join("good.png"), png(16, 16, [5, 5, 5])).expect("icon");
    std::fs::write(folder.join("bad.png"), png(16, 16, [1, 2, 3])).expect("icon");
    let kml = folder.join("walk.kml");
    let place = |name: &str, icon: &str, x: u32| {
        format!("<Placemark><name>{name}</name><Style><IconStyle><Icon><href>{icon}</href></Icon></IconStyle></Style><Point><coordinates>{x},2</coordinates></Point></Placemark>")
    };
    std::fs::write(
        &kml,
        format!(
            "<kml><Document>{}{}<Placemark><name>plain</name><Point><coordinates>3,2</coordinates></Point></Placemark></Document></kml>",
            place("bench", "good.png", 1),
            place("broken", "bad.png", 2)
        ),
    )
    .expect("kml");
    kml
}

/// Sends `walk` while the server takes one icon and refuses the next, and sees it fail
/// on `bad.png`, twice: the way out is said each time. The server takes icons again
/// afterwards.
fn blocked(env: &Env, k: &str, m: &str) {
    env.server.set_faults(Faults {
        refuse_endpoint: Some("marker/upload".into()),
        refuse_after: 1,
        ..Faults::default()
    });
    let out = env.run(&["append", k, "--map", m]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("MapHub refused the marker bad.png"), "{said}");
    assert!(said.contains("--skip-asset bad.png"), "{said}");
    assert!(said.contains("--no-assets"), "{said}");
    assert!(said.contains("--resume"), "{said}");
    // The same refusal on every plain resume, and the way out said again.
    let out = env.run(&["append", k, "--map", m, "--resume"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("--skip-asset bad.png"), "{said}");
    assert_eq!(env.calls("map/append"), 0, "no feature sent yet");
    env.server.set_faults(Faults::default());
}

#[test]
fn a_refused_icon_is_skipped_on_resume_and_the_rest_lands_once() {
    let env = Env::new();
    let map = env.new_map();
    let kml = walk(env.dir.path());
    let (k, m) = (kml.to_str().expect("utf8"), map.to_string());
    blocked(&env, k, &m);
    let good_uploads = env.calls("marker/upload");
    let out = env.run(&[
        "append",
        k,
        "--map",
        &m,
        "--resume",
        "--skip-asset",
        "bad.png",
    ]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    let features = env.features(map);
    let titles: Vec<&str> = features.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(titles, ["bench", "broken", "plain"]);
    assert!(
        features[0].1.get("marker_id").is_some(),
        "bench keeps its icon"
    );
    assert!(
        features[1].1.get("marker_id").is_none(),
        "broken gets the default pin"
    );
    // The good icon was uploaded once (before), and the bad one not tried again.
    assert_eq!(env.calls("marker/upload"), good_uploads);
}

#[test]
fn resume_with_no_assets_finishes_a_send_an_icon_blocked() {
    let env = Env::new();
    let map = env.new_map();
    let kml = walk(env.dir.path());
    let (k, m) = (kml.to_str().expect("utf8"), map.to_string());
    blocked(&env, k, &m);
    let uploads = env.calls("marker/upload");
    let out = env.run(&["append", k, "--map", &m, "--resume", "--no-assets"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    let features = env.features(map);
    assert_eq!(features.len(), 3);
    assert!(features.iter().all(|(_, p)| p.get("marker_id").is_none()));
    assert_eq!(
        env.calls("marker/upload"),
        uploads,
        "nothing uploaded again"
    );
}

#[test]
fn skip_asset_with_a_name_the_send_does_not_have_is_refused_with_the_names() {
    let env = Env::new();
    let map = env.new_map();
    let kml = walk(env.dir.path());
    let (k, m) = (kml.to_str().expect("utf8"), map.to_string());
    let out = env.run(&["append", k, "--map", &m, "--skip-asset", "nope.png"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("no icon or photo of that name"), "{said}");
    assert!(
        said.contains("good.png") && said.contains("bad.png"),
        "{said}"
    );
    assert_eq!(env.calls("map/append") + env.calls("marker/upload"), 0);
}
