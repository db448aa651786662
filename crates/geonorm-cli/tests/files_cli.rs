//! What `convert` and `fix` do to files: the input is never the output, an output is
//! written whole (through a uniquely named temporary file) or not at all, `-o -` is
//! standard output, and I/O errors name their file once.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>A</name><Point><coordinates>1,2</coordinates></Point></Placemark>
<Placemark><name>B</name><Point><coordinates>3,4</coordinates></Point></Placemark>
</Document></kml>
"#;

const GEOJSON: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"A"},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#;

/// Not JSON at all: reading it fails outright.
const BROKEN_GEOJSON: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","#;

const OLD: &[u8] = b"old output, must survive\n";

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run geonorm")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn scratch(files: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    for (name, bytes) in files {
        std::fs::write(path.join(name), bytes).expect("write");
    }
    (dir, path)
}

/// Asserts a refusal to write over the input: exit 2, both paths named, input as it was.
fn assert_refused(dir: &Path, args: &[&str], input: &str, output: &str) {
    let before = std::fs::read(dir.join("a.kml")).expect("input");
    let out = run_in(dir, args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.contains(&format!(
            "refusing to write {output}: it is the input {input}"
        )),
        "{args:?}: {err}"
    );
    assert_eq!(std::fs::read(dir.join("a.kml")).expect("input"), before);
    assert!(out.stdout.is_empty());
}

#[test]
fn writing_over_the_input_is_refused_by_any_name() {
    let (_keep, dir) = scratch(&[("a.kml", KML.as_bytes())]);
    std::os::unix::fs::symlink("a.kml", dir.join("link.kml")).expect("symlink");
    std::fs::hard_link(dir.join("a.kml"), dir.join("hard.kml")).expect("hard link");
    for cmd in ["convert", "fix"] {
        assert_refused(&dir, &[cmd, "a.kml", "-o", "a.kml"], "a.kml", "a.kml");
        assert_refused(&dir, &[cmd, "a.kml", "-o", "./a.kml"], "a.kml", "./a.kml");
        assert_refused(&dir, &[cmd, "link.kml", "-o", "a.kml"], "link.kml", "a.kml");
        assert_refused(&dir, &[cmd, "a.kml", "-o", "link.kml"], "a.kml", "link.kml");
        assert_refused(&dir, &[cmd, "hard.kml", "-o", "a.kml"], "hard.kml", "a.kml");
    }
    // GeoJSON to GeoJSON takes the streaming path: refused there too.
    std::fs::write(dir.join("b.geojson"), GEOJSON).expect("write");
    let out = run_in(&dir, &["convert", "b.geojson", "-o", "./b.geojson"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("b.geojson")).expect("input"),
        GEOJSON
    );
    assert_eq!(
        listing(&dir),
        ["a.kml", "b.geojson", "hard.kml", "link.kml"]
    );
}

#[test]
fn a_directory_as_output_is_an_error_and_leaves_nothing_behind() {
    let (_keep, dir) = scratch(&[("a.kml", KML.as_bytes()), ("b.geojson", GEOJSON.as_bytes())]);
    std::fs::create_dir(dir.join("out")).expect("mkdir");
    for input in ["a.kml", "b.geojson"] {
        let out = run_in(&dir, &["convert", input, "-o", "out"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err, "geonorm: cannot write out: it is a directory\n");
        assert!(listing(&dir.join("out")).is_empty());
        assert_eq!(listing(&dir), ["a.kml", "b.geojson", "out"]);
    }
}

#[test]
fn unrelated_files_with_temporary_looking_names_are_untouched() {
    let (_keep, dir) = scratch(&[
        ("a.kml", KML.as_bytes()),
        ("b.geojson", GEOJSON.as_bytes()),
        ("out.geojson.geonorm-tmp", b"mine"),
        ("out.geonorm-tmp", b"mine too"),
    ]);
    // Streamed (GeoJSON in) and from a document (KML in), replacing and creating.
    for input in ["b.geojson", "a.kml", "b.geojson"] {
        let out = run_in(&dir, &["convert", input, "-o", "out.geojson"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(
            std::fs::read(dir.join("out.geojson.geonorm-tmp")).expect("kept"),
            b"mine"
        );
        assert_eq!(
            std::fs::read(dir.join("out.geonorm-tmp")).expect("kept"),
            b"mine too"
        );
    }
    assert_eq!(
        listing(&dir),
        [
            "a.kml",
            "b.geojson",
            "out.geojson",
            "out.geojson.geonorm-tmp",
            "out.geonorm-tmp"
        ]
    );
}

#[test]
fn an_input_named_like_the_old_temporary_file_is_not_truncated() {
    let (_keep, dir) = scratch(&[("data.geonorm-tmp", GEOJSON.as_bytes())]);
    let out = run_in(
        &dir,
        &[
            "convert",
            "data.geonorm-tmp",
            "--from",
            "geojson",
            "-o",
            "data.geojson",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("data.geonorm-tmp")).expect("input"),
        GEOJSON
    );
    let written = std::fs::read_to_string(dir.join("data.geojson")).expect("output");
    assert!(written.contains("\"name\":\"A\""), "{written}");
}

#[test]
fn a_failed_conversion_leaves_the_old_output_byte_identical() {
    let (_keep, dir) = scratch(&[("broken.geojson", BROKEN_GEOJSON.as_bytes())]);
    for target in ["out.geojson", "out.kml", "out.gpx", "out.kmz"] {
        std::fs::write(dir.join(target), OLD).expect("old output");
        for cmd in ["convert", "fix"] {
            let out = run_in(&dir, &[cmd, "broken.geojson", "-o", target]);
            assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
            assert_eq!(std::fs::read(dir.join(target)).expect("kept"), OLD);
        }
    }
    assert_eq!(
        listing(&dir),
        [
            "broken.geojson",
            "out.geojson",
            "out.gpx",
            "out.kml",
            "out.kmz"
        ]
    );
}

#[test]
fn every_format_is_written_whole_with_no_temporary_file_left() {
    let (_keep, dir) = scratch(&[("a.kml", KML.as_bytes())]);
    for target in ["o.geojson", "o.kml", "o.gpx", "o.kmz"] {
        std::fs::write(dir.join(target), OLD).expect("old output");
        let out = run_in(&dir, &["convert", "a.kml", "-o", target]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let back = run_in(&dir, &["info", target, "--format", "json"]);
        assert_eq!(back.status.code(), Some(0), "{}", text(&back.stderr));
        let v: serde_json::Value = serde_json::from_slice(&back.stdout).expect("json");
        assert_eq!(v["features"], 2, "{target}");
    }
    assert_eq!(
        listing(&dir),
        ["a.kml", "o.geojson", "o.gpx", "o.kml", "o.kmz"]
    );
}

#[test]
fn outputs_get_the_usual_permissions_or_keep_the_replaced_files() {
    use std::os::unix::fs::PermissionsExt;
    let (_keep, dir) = scratch(&[("a.kml", KML.as_bytes()), ("b.geojson", GEOJSON.as_bytes())]);
    let mode = |name: &str| {
        std::fs::metadata(dir.join(name))
            .expect("metadata")
            .permissions()
            .mode()
            & 0o7777
    };
    let sh = |cmd: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("umask 027 && exec \"$0\" {cmd}"))
            .arg(env!("CARGO_BIN_EXE_geonorm"))
            .current_dir(&dir)
            .output()
            .expect("run sh");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    };
    // New files: 0666 less the umask, as any program's; not tempfile's 0600.
    sh("convert a.kml -o new.kml");
    sh("convert b.geojson -o new.geojson");
    assert_eq!(mode("new.kml"), 0o640);
    assert_eq!(mode("new.geojson"), 0o640);
    // A replaced file keeps its mode.
    for name in ["new.kml", "new.geojson"] {
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o604))
            .expect("chmod");
    }
    sh("convert a.kml -o new.kml");
    sh("convert b.geojson -o new.geojson");
    assert_eq!(mode("new.kml"), 0o604);
    assert_eq!(mode("new.geojson"), 0o604);
}

#[test]
fn dash_as_output_is_standard_output() {
    let (_keep, dir) = scratch(&[("a.kml", KML.as_bytes()), ("b.geojson", GEOJSON.as_bytes())]);
    for args in [
        &["convert", "a.kml", "-o", "-"][..],
        &["convert", "b.geojson", "-o", "-"],
        &["fix", "a.kml", "-o", "-"],
        &["convert", "a.kml", "-o", "-", "--to", "kml"],
    ] {
        let out = run_in(&dir, args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("\"A\"") || stdout.contains("<name>A</name>"),
            "{args:?}: {stdout}"
        );
        assert!(!dir.join("-").exists(), "{args:?} created a file named -");
    }
}

#[test]
fn write_errors_name_the_file_once() {
    let (_keep, dir) = scratch(&[("a.kml", KML.as_bytes()), ("b.geojson", GEOJSON.as_bytes())]);
    for input in ["a.kml", "b.geojson"] {
        let out = run_in(&dir, &["convert", input, "-o", "missing/out.geojson"]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            text(&out.stderr),
            "geonorm: cannot write missing/out.geojson: No such file or directory (os error 2)\n"
        );
    }
    // A file where a directory should be.
    let out = run_in(&dir, &["convert", "a.kml", "-o", "a.kml/out.kml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "geonorm: cannot write a.kml/out.kml: Not a directory (os error 20)\n"
    );
    let out = run_in(&dir, &["convert", "nope.kml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "geonorm: cannot open nope.kml: No such file or directory (os error 2)\n"
    );
    assert_eq!(listing(&dir), ["a.kml", "b.geojson"]);
}
