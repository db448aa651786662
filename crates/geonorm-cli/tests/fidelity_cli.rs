//! Every format out, nothing lost (issue 24): the crafted files of testdata/fidelity
//! convert to exactly their recorded outputs and say exactly what is recorded; a
//! 300,000-point track is one `check` and `append` (against maphub-local on
//! 127.0.0.1) agree on, with and without `--split-long-lines`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use maphub_local::{Config, Server};

const KEY: &str = "fidelity-secret-7c1e";

fn fidelity() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fidelity")
}

fn geonorm(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .current_dir(dir)
        .args(args)
        .env("MAPHUB_API_KEY", KEY)
        .output()
        .expect("run geonorm")
}

/// Each crafted file to each format its case is about: output, diagnostics and exit
/// code as recorded (the exit is 0 for every one: nothing in them is an error once
/// converted, the bare Feature root included).
#[test]
fn crafted_files_convert_to_their_recorded_outputs() {
    let runs = [
        ("named.geojson", "kml"),
        ("named.geojson", "gpx"),
        ("named.geojson", "geojson"),
        ("sensors.gpx", "gpx"),
        ("sensors.gpx", "geojson"),
        ("bare-feature.geojson", "geojson"),
        ("clockwise.kml", "geojson"),
        ("clockwise.kml", "kml"),
        ("document-name.gpx", "geojson"),
        ("document-name.gpx", "kml"),
    ];
    let dir = fidelity();
    for (file, to) in runs {
        let out = geonorm(&dir, &["convert", file, "--to", to]);
        let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
        let expected = dir.join(format!("expected/{stem}.to.{to}"));
        let said = dir.join(format!("expected/{stem}.to.{to}.stderr"));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(&expected).expect("expected output"),
            "{file} to {to}"
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&said).expect("expected diagnostics"),
            "{file} to {to}: what it says"
        );
        assert_eq!(out.status.code(), Some(0), "{file} to {to}");
    }
}

/// What the recordings hold, said in words, so that a re-recording cannot quietly
/// take a case back.
#[test]
fn the_recordings_hold_each_case() {
    let read =
        |name: &str| std::fs::read_to_string(fidelity().join("expected").join(name)).expect(name);
    // 1. A GeoJSON `name` is the title: <name> in KML and GPX, not a property.
    let kml = read("named.to.kml");
    assert!(
        kml.contains("<Placemark><name>Cafe</name>")
            && !kml.contains(r#"<SimpleData name="name">Cafe"#)
    );
    assert!(read("named.to.gpx").contains("<wpt lat=\"2\" lon=\"1\"><name>Cafe</name></wpt>"));
    // (The second feature has a `title` too: its `name` stays a property, said lost.)
    let said = read("named.to.gpx.stderr");
    assert!(
        !said.contains("named.geojson:2:1: warning[write/not-representable]: property `name`"),
        "{said}"
    );
    assert!(
        said.contains(
            "named.geojson:3:1: warning[write/not-representable]: property `name` has no GPX form"
        ),
        "{said}"
    );
    // GeoJSON to GeoJSON: unchanged, no `title` added.
    assert!(read("named.to.geojson").contains(r#""properties":{"name":"Cafe","amenity":"cafe"}"#));
    // 2. The map's name and description, both ways.
    assert!(kml.contains("<name>My layer</name><description>A map</description>"));
    assert!(read("named.to.gpx")
        .contains("<metadata><name>My layer</name><desc>A map</desc></metadata>"));
    assert!(read("document-name.to.geojson")
        .contains(r#""name":"Stage O Vercors","description":"Orienteering, day 2""#));
    // 3. Cadence and temperature from gpxdata and gpxx reach TrackPointExtension.
    let gpx = read("sensors.to.gpx");
    for v in [
        "<gpxtpx:atemp>21</gpxtpx:atemp><gpxtpx:hr>120</gpxtpx:hr><gpxtpx:cad>80</gpxtpx:cad>",
        "<gpxtpx:atemp>22</gpxtpx:atemp><gpxtpx:cad>81</gpxtpx:cad>",
    ] {
        assert!(gpx.contains(v), "{v}");
    }
    assert_eq!(read("sensors.to.gpx.stderr"), "");
    // 5. A bare Feature root is wrapped, said as an info.
    assert!(read("bare-feature.to.geojson.stderr").contains(
        "info[maphub/not-collection]: the root is not the FeatureCollection MapHub takes; written as a collection"
    ));
    // 6. A clockwise KML ring is said, and written counterclockwise to GeoJSON.
    assert!(read("clockwise.to.geojson").contains("[[[0,0],[1,0],[1,1],[0,1],[0,0]]]"));
    assert!(read("clockwise.to.geojson.stderr").contains("[write/rewound]"));
    assert!(read("clockwise.to.kml.stderr").contains("[kml/clockwise-ring]"));
}

/// One GPX track of 300,000 points, 16.7 MB as MapHub GeoJSON: `check` errors and
/// `append` refuses it before sending anything; with `--split-long-lines` both pass
/// and every vertex lands, the joins shared.
#[test]
fn check_and_append_agree_on_a_300000_point_track() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut gpx = String::from("<gpx version=\"1.1\" creator=\"t\" xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><name>Long ride</name><trkseg>\n");
    for i in 0..300_000u32 {
        let (lat, lon) = (46.0 + f64::from(i) * 1.37e-6, 7.0 + f64::from(i) * 1.31e-6);
        gpx.push_str(&format!(
            "<trkpt lat=\"{lat:.8}\" lon=\"{lon:.8}\"><ele>{}.25</ele><time>2024-07-14T{:02}:{:02}:{:02}Z</time></trkpt>\n",
            1000 + i % 500,
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60
        ));
    }
    gpx.push_str("</trkseg></trk></gpx>\n");
    std::fs::write(dir.path().join("long.gpx"), gpx).expect("write");
    let server = Server::start(
        Config {
            api_key: KEY.into(),
            ..Config::default()
        },
        0,
    )
    .expect("server");
    let url = server.url();
    let run = |args: &[&str]| geonorm(dir.path(), args);
    let features = || {
        let out = run(&["get", "1", "--server", &url, "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v["geojson"]["features"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    // A map to append to, made empty.
    std::fs::write(
        dir.path().join("empty.geojson"),
        r#"{"type":"FeatureCollection","features":[]}"#,
    )
    .expect("write");
    let empty = run(&[
        "upload",
        "empty.geojson",
        "--visibility",
        "private",
        "--server",
        &url,
    ]);
    assert!(
        empty.status.success(),
        "{}",
        String::from_utf8_lossy(&empty.stderr)
    );

    let check = run(&["check", "long.gpx"]);
    let said = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{said}");
    assert!(said.contains("maphub/feature-too-large"), "{said}");

    let refused = run(&["append", "long.gpx", "--map", "1", "--server", &url]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nothing sent"));
    assert!(features().is_empty(), "nothing reached the map");

    let cut = run(&[
        "convert",
        "long.gpx",
        "-o",
        "cut.geojson",
        "--split-long-lines",
    ]);
    assert_eq!(
        cut.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&cut.stderr)
    );
    let check_cut = run(&["check", "cut.geojson"]);
    assert_eq!(
        check_cut.status.code(),
        Some(0),
        "the cut file passes check"
    );

    let sent = run(&[
        "append",
        "long.gpx",
        "--map",
        "1",
        "--server",
        &url,
        "--split-long-lines",
    ]);
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let landed = features();
    assert!(landed.len() >= 2, "{} pieces", landed.len());
    let vertices: usize = landed
        .iter()
        .map(|f| f["geometry"]["coordinates"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(
        vertices,
        300_000 + landed.len() - 1,
        "every vertex, the joins shared"
    );
    let parts: Vec<&str> = landed
        .iter()
        .filter_map(|f| f["properties"]["geonorm_part"].as_str())
        .collect();
    let n = landed.len();
    let numbered: Vec<String> = (1..=n).map(|k| format!("{k}/{n}")).collect();
    assert_eq!(parts, numbered);
    assert!(landed
        .iter()
        .all(|f| f["properties"]["title"] == "Long ride"));
}

/// Case 4: KMZ to KMZ carries the icon and the photo byte for byte under the same paths,
/// and says the photo the archive lacks (as `check` does).
#[test]
fn a_kmz_to_kmz_carries_its_files_and_says_the_missing_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.kmz");
    let fidelity = fidelity();
    let run = geonorm(
        &fidelity,
        &["convert", "icons.kmz", "-o", out.to_str().expect("utf8")],
    );
    assert_eq!(run.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        std::fs::read_to_string(fidelity.join("expected/icons.to.kmz.stderr")).expect("recorded")
    );
    let open =
        |p: &Path| zip::ZipArchive::new(std::fs::File::open(p).expect("open")).expect("a zip");
    let (mut input, mut output) = (open(&fidelity.join("icons.kmz")), open(&out));
    let names: Vec<String> = (0..output.len())
        .filter_map(|i| {
            output
                .by_index(i)
                .ok()
                .and_then(|e| e.name().ok().map(|n| n.to_string()))
        })
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for name in ["files/hut.png", "files/view.png"] {
        let read = |z: &mut zip::ZipArchive<std::fs::File>| {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut z.by_name(name).expect(name), &mut v).expect("read");
            v
        };
        assert_eq!(read(&mut input), read(&mut output), "{name}");
    }
    let check = geonorm(&fidelity, &["check", "icons.kmz"]);
    assert!(String::from_utf8_lossy(&check.stdout)
        .contains("warning[asset/missing]: the photo files/missing.png"));
}
