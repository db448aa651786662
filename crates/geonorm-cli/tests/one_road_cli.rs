//! `convert` and `fix` have one road, the library's (issue 23): GeoJSON written into a
//! file (streamed) and to standard output (held until whole) are the same bytes, late
//! group names linked in both; a read that fails prints nothing on standard output;
//! and the CLI keeps no whole-document path of its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).to_path_buf()
}

fn geonorm(args: &[&str], stdin: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_geonorm"));
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    match stdin {
        Some(path) => cmd.stdin(std::fs::File::open(path).expect("open stdin file")),
        None => cmd.stdin(Stdio::null()),
    };
    cmd.output().expect("run geonorm")
}

#[test]
fn late_group_names_are_linked_alike_in_a_file_and_on_standard_output() {
    let input = root().join("testdata/geojson/crafted/groups-named-late.geojson");
    let input_str = input.to_str().expect("UTF-8 path");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("out.geojson");
    let to_file = geonorm(
        &["convert", input_str, "-o", file.to_str().expect("UTF-8")],
        None,
    );
    let to_stdout = geonorm(&["convert", input_str], None);
    let from_stdin = geonorm(&["convert", "-", "--from", "geojson"], Some(&input));
    let written = std::fs::read(&file).expect("the output file");
    assert_eq!(to_stdout.stdout, written, "standard output and the file");
    assert_eq!(from_stdin.stdout, written, "read from standard input");
    // Each exits as the whole road did: the `"group": true` feature names no group.
    for out in [&to_file, &to_stdout, &from_stdin] {
        assert_eq!(out.status.code(), Some(1));
    }
    let v: serde_json::Value = serde_json::from_slice(&written).expect("JSON");
    let groups: Vec<serde_json::Value> = v["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["group"].clone())
        .collect();
    // By path (declared later), by string id (created), a new path (created), nothing.
    let expected: [serde_json::Value; 4] = [2.into(), 3.into(), 5.into(), true.into()];
    assert_eq!(groups, expected);
    let titles: Vec<_> = v["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["title"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        titles,
        ["Alps", "Alps／Valais", "2", "Jura", "Jura／Chasseral"]
    );
}

#[test]
fn a_read_that_fails_prints_nothing_on_standard_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Many features read (and, streamed, written) before the syntax error.
    let mut text = String::from(r#"{"type":"FeatureCollection","features":["#);
    for i in 0..20_000 {
        text.push_str(&format!(
            r#"{{"type":"Feature","properties":{{"n":{i}}},"geometry":{{"type":"Point","coordinates":[8.5,47.{i}]}}}},"#
        ));
    }
    text.push_str(r#"{"type":"Feature","properties":{"n":tru}}]}"#);
    let broken = dir.path().join("broken.geojson");
    std::fs::write(&broken, &text).expect("write the input");
    let path = broken.to_str().expect("UTF-8");
    for args in [
        vec!["convert", path],
        vec!["convert", path, "--to", "kml"],
        vec!["fix", path],
    ] {
        let out = geonorm(&args, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: something was printed");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("json/syntax"), "{args:?}: {said}");
    }
    let out = geonorm(&["convert", "-", "--from", "geojson"], Some(&broken));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "from standard input: something was printed"
    );
}

/// The CLI's conversion is the library's: no fixing, cutting, mending or writing of a
/// document of its own in `convert.rs` or `assets.rs`.
#[test]
fn convert_has_no_whole_document_path_of_its_own() {
    let src = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    for file in ["convert.rs", "assets.rs"] {
        let text = std::fs::read_to_string(src.join(file)).expect("read the source");
        for call in [
            "fix::fix(",
            "split_long_lines(",
            "mended_by_writing(",
            "geonorm::write(",
            "geonorm::read(",
            "assets::write_kmz(",
            "apply_paths(",
            "plan_archive(",
            "plan_source(",
        ] {
            assert!(!text.contains(call), "{file} calls {call}");
        }
    }
}

/// `info` streams every format, a KMZ too: no command of the CLI reads a whole
/// document itself, nor plans a KMZ's files from one.
#[test]
fn no_command_reads_a_whole_document_of_its_own() {
    let src = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut files = 0;
    for entry in std::fs::read_dir(src).expect("src") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read the source");
            for call in ["geonorm::read(", "plan_archive("] {
                assert!(!text.contains(call), "{} calls {call}", path.display());
            }
            files += 1;
        }
    }
    assert!(files > 10, "only {files} source files");
}

/// A KMZ of `kml` with a PNG icon at `files/a.png`.
fn kmz_with_icon(path: &Path, kml: &str) {
    use std::io::Write;
    // The smallest PNG header a planner takes as one (the bytes are written as they are).
    let png = [
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0,
        0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xde,
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("doc.kml", opts).expect("entry");
    zip.write_all(kml.as_bytes()).expect("write");
    zip.start_file("files/a.png", opts).expect("entry");
    zip.write_all(&png).expect("write");
    let bytes = zip.finish().expect("zip").into_inner();
    std::fs::write(path, bytes).expect("write the KMZ");
}

const PLACEMARK: &str = r#"<Placemark><name>hut</name><Style><IconStyle><Icon><href>files/a.png</href></Icon></IconStyle></Style><Point><coordinates>8.5,47.1</coordinates></Point></Placemark>"#;

/// `--assets` goes through the library's conversion: the files it planned are written
/// and the features pointed at them (also when fixed, to standard output); a read that
/// fails writes neither files nor output.
#[test]
fn assets_are_written_only_for_a_document_that_was_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.kmz");
    let kml = format!(
        r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{PLACEMARK}</Document></kml>"#
    );
    kmz_with_icon(&good, &kml);
    let files = dir.path().join("files out");
    let out = geonorm(
        &[
            "fix",
            good.to_str().expect("UTF-8"),
            "--to",
            "geojson",
            "--assets",
            files.to_str().expect("UTF-8"),
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(files.join("files/a.png").is_file(), "the icon is written");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("GeoJSON");
    let icon = v["features"][0]["properties"]["icon"]
        .as_str()
        .unwrap_or_default();
    assert!(icon.ends_with("files out/files/a.png"), "{icon}");

    let broken = dir.path().join("broken.kmz");
    let kml = format!(
        r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{PLACEMARK}<Placemark></Document></kml>"#
    );
    kmz_with_icon(&broken, &kml);
    let none = dir.path().join("none");
    let output = dir.path().join("out.kml");
    for to in [None, Some(output.to_str().expect("UTF-8"))] {
        let mut args = vec![
            "convert",
            broken.to_str().expect("UTF-8"),
            "--assets",
            none.to_str().expect("UTF-8"),
        ];
        if let Some(to) = to {
            args.extend(["-o", to]);
        }
        let out = geonorm(&args, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: something was printed");
        assert!(!none.exists(), "{args:?}: the assets folder was made");
        assert!(!output.exists(), "{args:?}: the output was written");
    }
}
