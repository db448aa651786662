//! A KMZ lands on MapHub whole: its custom icons become markers and its photos images,
//! each uploaded once, before the features that use them, and never again on resume.
//! `--dry-run`, `--no-assets`, `info` and `convert --assets DIR` too. Against
//! maphub-local on 127.0.0.1.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use geonorm_upload::{ApiKey, Client, ClientBuilder, FileType, UploadArgs, Visibility};
use maphub_local::{Config, DropAfterBody, Faults, Server};
use serde_json::Value;

const KEY: &str = "assets-cli-secret-7a1b";

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

    /// The map's features by title.
    fn features(&self, map: u64) -> BTreeMap<String, Value> {
        let v = self.client.get(map).expect("get");
        v["geojson"]["features"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                let title = f["properties"]["title"].as_str().unwrap_or("").to_string();
                (title, f["properties"].clone())
            })
            .collect()
    }

    /// How many requests went to `endpoint`.
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

fn image(w: u32, h: u32, rgb: [u8; 3], format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .expect("encode");
    out.into_inner()
}

fn zip(path: &Path, entries: &[(&str, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("entry");
        zip.write_all(data).expect("write");
    }
    std::fs::write(path, zip.finish().expect("zip").into_inner()).expect("write kmz");
}

/// A KMZ as Google Earth makes them: three custom icons (one a GIF, one shared by ten
/// placemarks), two photos in descriptions, and placemarks with Google's own icon.
fn trip(dir: &Path) -> PathBuf {
    let mut kml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Trip</name>
<Style id="shared"><IconStyle><Icon><href>files/shared.png</href></Icon></IconStyle></Style>
<Style id="gif"><IconStyle><Icon><href>files/flag.gif</href></Icon></IconStyle></Style>
<Style id="tent"><IconStyle><Icon><href>files/tent.png</href></Icon></IconStyle></Style>
<Style id="google"><IconStyle><Icon><href>http://maps.google.com/mapfiles/kml/paddle/red-circle.png</href></Icon></IconStyle></Style>
"#,
    );
    for i in 0..10 {
        kml.push_str(&format!(
            "<Placemark><name>shared {i}</name><styleUrl>#shared</styleUrl><Point><coordinates>{i},45</coordinates></Point></Placemark>\n"
        ));
    }
    kml.push_str(
        r#"<Placemark><name>flag</name><styleUrl>#gif</styleUrl><Point><coordinates>11,45</coordinates></Point></Placemark>
<Placemark><name>tent</name><styleUrl>#tent</styleUrl><Point><coordinates>12,45</coordinates></Point></Placemark>
<Placemark><name>google 1</name><styleUrl>#google</styleUrl><Point><coordinates>13,45</coordinates></Point></Placemark>
<Placemark><name>google 2</name><styleUrl>#google</styleUrl><Point><coordinates>14,45</coordinates></Point></Placemark>
<Placemark><name>lake</name><description><![CDATA[<p>Swim here.</p><img src="files/IMG_2041.jpg" width="400">]]></description><Point><coordinates>15,45</coordinates></Point></Placemark>
<Placemark><name>summit</name><description>Made it! &lt;img src="files/summit.png"&gt;</description><Point><coordinates>16,45</coordinates></Point></Placemark>
</Document></kml>"#,
    );
    let path = dir.join("trip.kmz");
    zip(
        &path,
        &[
            ("doc.kml", kml.into_bytes()),
            (
                "files/shared.png",
                image(32, 32, [255, 0, 0], image::ImageFormat::Png),
            ),
            (
                "files/flag.gif",
                image(24, 24, [0, 200, 0], image::ImageFormat::Gif),
            ),
            (
                "files/tent.png",
                image(48, 48, [0, 0, 255], image::ImageFormat::Png),
            ),
            (
                "files/IMG_2041.jpg",
                image(64, 48, [200, 150, 100], image::ImageFormat::Jpeg),
            ),
            (
                "files/summit.png",
                image(30, 20, [10, 20, 30], image::ImageFormat::Png),
            ),
        ],
    );
    path
}

/// What the map shows of `trip`: marker ids by title, images by title.
fn check_trip_on(env: &Env, map: u64) {
    let features = env.features(map);
    assert_eq!(features.len(), 16, "{features:#?}");
    let marker = |t: &str| features[t].get("marker_id").cloned();
    let shared = marker("shared 0").expect("shared marker");
    for i in 0..10 {
        assert_eq!(marker(&format!("shared {i}")), Some(shared.clone()));
    }
    let flag = marker("flag").expect("flag marker");
    let tent = marker("tent").expect("tent marker");
    let ids: BTreeSet<String> = [&shared, &flag, &tent]
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(ids.len(), 3, "three distinct markers");
    for t in ["google 1", "google 2", "lake", "summit"] {
        assert_eq!(marker(t), None, "{t} has no custom icon");
    }
    // The marker stands in for the archive path, which means nothing on MapHub.
    assert!(
        features["flag"].get("icon").is_none(),
        "{:?}",
        features["flag"]
    );
    // The GIF arrived as a PNG.
    let flag_png = env
        .server
        .marker(flag.as_str().expect("id"))
        .expect("stored");
    assert_eq!(&flag_png[..4], b"\x89PNG");
    let lake = &features["lake"]["image"];
    assert_eq!(
        (lake["w"].as_u64(), lake["h"].as_u64()),
        (Some(64), Some(48))
    );
    let summit = &features["summit"]["image"];
    assert_eq!(
        (summit["w"].as_u64(), summit["h"].as_u64()),
        (Some(30), Some(20))
    );
    assert!(lake["avg_color"].is_string() && lake["id"].is_string());
    // The text stays; the uploaded <img> is gone.
    assert_eq!(features["lake"]["description"], "<p>Swim here.</p>");
    assert_eq!(features["summit"]["description"], "Made it! ");
    for t in ["shared 0", "flag", "google 1"] {
        assert!(features[t].get("image").is_none());
    }
    // MapHub lists them with the map, so it keeps them.
    let got = env.client.get(map).expect("get");
    assert_eq!(
        got["markers"].as_array().map(Vec::len),
        Some(3),
        "{}",
        got["markers"]
    );
    assert_eq!(
        got["images"].as_array().map(Vec::len),
        Some(2),
        "{}",
        got["images"]
    );
}

#[test]
fn a_kmz_s_icons_become_markers_and_its_photos_images_each_uploaded_once() {
    let env = Env::new();
    let map = env.new_map();
    let kmz = trip(env.dir.path());
    let out = env.run(&[
        "append",
        kmz.to_str().expect("utf8"),
        "--map",
        &map.to_string(),
    ]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("assets: 3 markers (icons) and 2 images (photos) uploaded"),
        "{said}"
    );
    assert!(said.contains("with its 3 markers and 2 images"), "{said}");
    check_trip_on(&env, map);
    assert_eq!(
        (env.calls("marker/upload"), env.calls("image/upload")),
        (3, 2)
    );
    assert_eq!(
        (env.server.marker_count(), env.server.image_count()),
        (3, 2)
    );
    // Said, not shown: infos stay quiet in a send.
    assert!(!said.contains("asset/photo-moved"), "{said}");
}

#[test]
fn a_failure_after_the_assets_and_a_resume_upload_nothing_twice() {
    let env = Env::new();
    let map = env.new_map();
    let kmz = trip(env.dir.path());
    let f = kmz.to_str().expect("utf8");
    let m = map.to_string();
    // map/get (what the map holds before), five uploads, then the append fails.
    env.server.set_faults(Faults {
        fail_after: Some(6),
        ..Faults::default()
    });
    let out = env.run(&["append", f, "--map", &m]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("--resume"), "{said}");
    assert_eq!(
        (env.calls("marker/upload"), env.calls("image/upload")),
        (3, 2)
    );
    env.server.set_faults(Faults::default());
    let out = env.run(&[
        "append",
        f,
        "--map",
        &m,
        "--resume",
        "--unanswered-wait",
        "0",
    ]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert_eq!(
        (env.calls("marker/upload"), env.calls("image/upload")),
        (3, 2),
        "nothing uploaded twice"
    );
    check_trip_on(&env, map);
}

#[test]
fn an_upload_whose_answer_was_lost_is_sent_again_and_the_rest_never() {
    let env = Env::new();
    let map = env.new_map();
    let kmz = trip(env.dir.path());
    let f = kmz.to_str().expect("utf8");
    let m = map.to_string();
    // The first photo is stored but its answer never comes back.
    env.server.set_faults(Faults {
        drop_after_body: Some(DropAfterBody::Apply),
        drop_endpoint: Some("image/upload".into()),
        ..Faults::default()
    });
    let out = env.run(&["append", f, "--map", &m]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert_eq!(
        env.calls("map/append"),
        0,
        "no chunk before every asset has its id"
    );
    env.server.set_faults(Faults::default());
    let out = env.run(&["append", f, "--map", &m, "--resume"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    // The markers once; the photo whose answer was lost again (it cannot be looked
    // for; MapHub deletes the copy no map uses), the other photo once.
    assert_eq!(
        (env.calls("marker/upload"), env.calls("image/upload")),
        (3, 3)
    );
    check_trip_on(&env, map);
}

#[test]
fn a_missing_asset_is_said_with_its_href_and_the_rest_lands() {
    let env = Env::new();
    let map = env.new_map();
    let path = env.dir.path().join("gaps.kmz");
    let kml = r#"<kml><Document>
<Style id="ok"><IconStyle><Icon><href>files/ok.png</href></Icon></IconStyle></Style>
<Style id="gone"><IconStyle><Icon><href>files/gone.png</href></Icon></IconStyle></Style>
<Placemark><name>ok</name><styleUrl>#ok</styleUrl><Point><coordinates>1,2</coordinates></Point></Placemark>
<Placemark><name>gone</name><styleUrl>#gone</styleUrl><Point><coordinates>3,4</coordinates></Point></Placemark>
<Placemark><name>photo</name><description>&lt;img src="files/lost.jpg"&gt;</description><Point><coordinates>5,6</coordinates></Point></Placemark>
</Document></kml>"#;
    zip(
        &path,
        &[
            ("doc.kml", kml.as_bytes().to_vec()),
            (
                "files/ok.png",
                image(8, 8, [1, 1, 1], image::ImageFormat::Png),
            ),
        ],
    );
    let out = env.run(&[
        "append",
        path.to_str().expect("utf8"),
        "--map",
        &map.to_string(),
    ]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("gaps.kmz!doc.kml:3:41: warning[asset/missing]: the icon files/gone.png is not in the KMZ"),
        "{said}"
    );
    assert!(
        said.contains("the photo files/lost.jpg is not in the KMZ"),
        "{said}"
    );
    let features = env.features(map);
    assert_eq!(features.len(), 3);
    assert!(features["ok"].get("marker_id").is_some());
    assert!(features["gone"].get("marker_id").is_none());
    assert_eq!(
        features["photo"]["description"],
        r#"<img src="files/lost.jpg">"#
    );
}

#[test]
fn a_dry_run_lists_the_assets_and_sends_nothing() {
    let env = Env::new();
    let kmz = trip(env.dir.path());
    let out = env.run(&[
        "append",
        kmz.to_str().expect("utf8"),
        "--map",
        "7",
        "--dry-run",
    ]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert_eq!(said.matches("marker/upload").count(), 3, "{said}");
    assert_eq!(said.matches("image/upload").count(), 2, "{said}");
    assert!(
        said.contains("(marker files/shared.png, 32×32 px, for 10 features)"),
        "{said}"
    );
    assert!(
        said.contains("(marker files/flag.gif, 24×24 px, for 1 feature)"),
        "{said}"
    );
    assert!(
        said.contains(r#"MapHub-API-Arg: {"file_type":"jpg"}"#),
        "{said}"
    );
    assert!(env.server.requests().is_empty());
}

#[test]
fn no_assets_sends_the_features_alone_and_info_counts_them() {
    let env = Env::new();
    let map = env.new_map();
    let kmz = trip(env.dir.path());
    let f = kmz.to_str().expect("utf8");
    let out = env.run(&["append", f, "--map", &map.to_string(), "--no-assets"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        (env.calls("marker/upload"), env.calls("image/upload")),
        (0, 0)
    );
    let features = env.features(map);
    assert!(features.values().all(|p| p.get("marker_id").is_none()));
    let out = Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(["info", f])
        .output()
        .expect("info");
    let said = text(&out);
    assert!(
        said.contains(
            "append/upload sends 3 icons as MapHub markers and 2 photos as MapHub images"
        ),
        "{said}"
    );
}

#[test]
fn convert_writes_the_files_out_and_points_the_features_at_them() {
    let env = Env::new();
    let kmz = trip(env.dir.path());
    let out_dir = env.dir.path().join("out");
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    let geojson = out_dir.join("trip.geojson");
    let assets = out_dir.join("trip files");
    let out = Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(["convert", kmz.to_str().expect("utf8"), "-o"])
        .arg(&geojson)
        .arg("--assets")
        .arg(&assets)
        .output()
        .expect("convert");
    assert!(out.status.success(), "{}", text(&out));
    // As the archive holds them (the GIF stays a GIF).
    let gif = std::fs::read(assets.join("files/flag.gif")).expect("gif");
    assert_eq!(&gif[..3], b"GIF");
    assert!(assets.join("files/IMG_2041.jpg").is_file());
    let v: Value = serde_json::from_slice(&std::fs::read(&geojson).expect("out")).expect("json");
    let by_title = |t: &str| {
        v["features"]
            .as_array()
            .expect("features")
            .iter()
            .find(|f| f["properties"]["title"] == t)
            .expect("feature")["properties"]
            .clone()
    };
    assert_eq!(by_title("flag")["icon"], "trip files/files/flag.gif");
    assert_eq!(
        by_title("lake")["description"],
        r#"<p>Swim here.</p><img src="trip files/files/IMG_2041.jpg" width="400">"#
    );
    // Google's icons are addresses, not files: left as they are.
    assert_eq!(
        by_title("google 1")["icon"],
        "http://maps.google.com/mapfiles/kml/paddle/red-circle.png"
    );
    // A GeoJSON has no files of its own to write.
    let out = Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(["convert"])
        .arg(&geojson)
        .args(["-o", "-", "--assets"])
        .arg(&assets)
        .output()
        .expect("convert");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("has no icons or photos of its own"));
}

/// A real KMZ (OpenLayers' example data, BSD-2-Clause): 83 placemarks with icons in
/// the archive's root.
#[test]
fn a_real_kmz_lands_with_its_icons() {
    let env = Env::new();
    let map = env.new_map();
    let kmz =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/kml/openlayers/iceland.kmz");
    let bytes = std::fs::read(&kmz).expect("iceland.kmz");
    let mut archive = ::zip::ZipArchive::new(Cursor::new(&bytes[..])).expect("zip");
    let mut contents = BTreeSet::new();
    for i in 0..archive.len() {
        let mut e = archive.by_index(i).expect("entry");
        if e.name().expect("name").ends_with(".png") {
            let mut b = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut b).expect("read");
            contents.insert(b);
        }
    }
    let out = env.run(&[
        "append",
        kmz.to_str().expect("utf8"),
        "--map",
        &map.to_string(),
    ]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    let features = env.features(map);
    let with_marker = features
        .values()
        .filter(|p| p.get("marker_id").is_some())
        .count();
    let distinct: BTreeSet<String> = features
        .values()
        .filter_map(|p| p.get("marker_id").map(Value::to_string))
        .collect();
    assert!(with_marker > 0, "{said}");
    assert_eq!(env.calls("marker/upload"), distinct.len());
    assert!(distinct.len() <= contents.len());
    assert!(features
        .values()
        .all(|p| p.get("icon").is_none() || p.get("marker_id").is_none()));
}

#[test]
fn a_kml_on_disk_sends_the_icons_beside_it_and_nothing_outside_its_folder() {
    let env = Env::new();
    let map = env.new_map();
    let folder = env.dir.path().join("walk");
    std::fs::create_dir_all(folder.join("icons")).expect("mkdir");
    std::fs::write(
        folder.join("icons/bench.png"),
        image(16, 16, [5, 5, 5], image::ImageFormat::Png),
    )
    .expect("icon");
    std::fs::write(
        env.dir.path().join("private.jpg"),
        image(16, 16, [6, 6, 6], image::ImageFormat::Jpeg),
    )
    .expect("outside");
    let kml = folder.join("walk.kml");
    std::fs::write(
        &kml,
        r#"<kml><Document>
<Placemark><name>bench</name><Style><IconStyle><Icon><href>icons/bench.png</href></Icon></IconStyle></Style><Point><coordinates>1,2</coordinates></Point></Placemark>
<Placemark><name>sneaky</name><description>&lt;img src="../private.jpg"&gt;</description><Point><coordinates>3,4</coordinates></Point></Placemark>
</Document></kml>"#,
    )
    .expect("kml");
    let out = env.run(&[
        "append",
        kml.to_str().expect("utf8"),
        "--map",
        &map.to_string(),
    ]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("walk.kml:3:57: warning[asset/outside]: the photo ../private.jpg leads out of the KMZ or the KML's folder and is not read; 1 feature goes without it\n"), "{said}");
    let features = env.features(map);
    assert!(features["bench"].get("marker_id").is_some());
    assert!(features["sneaky"].get("image").is_none());
    assert_eq!(
        (env.calls("marker/upload"), env.calls("image/upload")),
        (1, 0)
    );
}

#[test]
fn a_resume_after_an_icon_changed_is_refused_and_sends_nothing() {
    let env = Env::new();
    let map = env.new_map();
    let folder = env.dir.path().join("walk");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let icon = folder.join("bench.png");
    std::fs::write(&icon, image(16, 16, [5, 5, 5], image::ImageFormat::Png)).expect("icon");
    let kml = folder.join("walk.kml");
    std::fs::write(
        &kml,
        r#"<kml><Document><Placemark><name>bench</name><Style><IconStyle><Icon><href>bench.png</href></Icon></IconStyle></Style><Point><coordinates>1,2</coordinates></Point></Placemark></Document></kml>"#,
    )
    .expect("kml");
    let (k, m) = (kml.to_str().expect("utf8"), map.to_string());
    // map/get, the marker, then the append fails.
    env.server.set_faults(Faults {
        fail_after: Some(2),
        ..Faults::default()
    });
    let out = env.run(&["append", k, "--map", &m]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    env.server.set_faults(Faults::default());
    std::fs::write(&icon, image(16, 16, [9, 9, 9], image::ImageFormat::Png)).expect("icon");
    let before = env.server.requests().len();
    let out = env.run(&["append", k, "--map", &m, "--resume"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("cannot be resumed with this one"), "{said}");
    assert_eq!(env.server.requests().len(), before, "nothing sent");
    assert_eq!(env.calls("marker/upload"), 1);
}
