//! `geonorm check`'s paths as ripgrep takes them (issue 25): `-` is standard input,
//! named `<stdin>` or `--stdin-name`; a folder is walked as git sees it (.gitignore,
//! .ignore, hidden folders), taking map files and only the `.json` files that are
//! GeoJSON; a path that cannot be read is said and the others are still checked.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const GOOD_GEOJSON: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{}}]}"#;
const BAD_GEOJSON: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,200]},"properties":{}}]}"#;
const GOOD_GPX: &str = r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><wpt lat="1" lon="2"><name>a</name></wpt></gpx>"#;
const GOOD_KML: &str = r#"<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><Point><coordinates>2,1</coordinates></Point></Placemark></kml>"#;

fn geonorm(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run geonorm");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(input).expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(dir: &Path, rel: &str, body: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, body).expect("write");
}

/// The `path` of every file a `--format json` run checked, sorted.
fn checked(out: &Output) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    let mut paths: Vec<String> = v["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path").replace('\\', "/"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn dash_is_standard_input_named_stdin_or_as_told() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = geonorm(dir.path(), &["check", "-"], Some(GOOD_GPX.as_bytes()));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("checked 1 file: 0 errors"),
        "{}",
        text(&out.stdout)
    );
    let out = geonorm(dir.path(), &["check", "-"], Some(BAD_GEOJSON.as_bytes()));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("<stdin>:1:100: error[geometry/lat-out-of-range]"),
        "{}",
        text(&out.stdout)
    );
    let out = geonorm(
        dir.path(),
        &[
            "check",
            "--stdin-name",
            "ride.geojson",
            "--format",
            "json",
            "-",
        ],
        Some(BAD_GEOJSON.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(checked(&out), ["ride.geojson"]);
    // Standard input beside files, in one run.
    write(dir.path(), "a.kml", GOOD_KML);
    let out = geonorm(
        dir.path(),
        &["check", "--format", "json", "a.kml", "-"],
        Some(GOOD_GPX.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(checked(&out), ["<stdin>", "a.kml"]);
}

#[test]
fn upload_names_standard_input_as_the_others_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = geonorm(
        dir.path(),
        &[
            "upload",
            "--visibility",
            "private",
            "--dry-run",
            "--server",
            "http://127.0.0.1:9",
            "-",
        ],
        Some(BAD_GEOJSON.as_bytes()),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("<stdin>:1:100: error"), "{err}");
    assert!(err.contains("geonorm: <stdin> has errors"), "{err}");
    assert!(!err.contains("-:1:"), "{err}");
}

#[test]
fn an_unreadable_path_is_said_and_the_others_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "good.gpx", GOOD_GPX);
    write(dir.path(), "simple.geojson", BAD_GEOJSON);
    let out = geonorm(
        dir.path(),
        &["check", "good.gpx", "simple.geojson", "nosuch.kml"],
        None,
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot open nosuch.kml"), "{stderr}");
    assert!(
        stdout.contains("simple.geojson:1:100: error[geometry/lat-out-of-range]"),
        "{stdout}"
    );
    assert!(stdout.contains("checked 2 files: 1 error"), "{stdout}");
    let out = geonorm(
        dir.path(),
        &["check", "--format", "json", "nosuch.kml", "good.gpx"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(checked(&out), ["good.gpx"]);
}

#[test]
fn a_file_named_is_checked_whatever_its_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "export.txt", BAD_GEOJSON);
    write(
        dir.path(),
        "package.json",
        r#"{"name":"x","version":"1.0.0"}"#,
    );
    let out = geonorm(
        dir.path(),
        &["check", "--format", "json", "export.txt", "package.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(checked(&out), ["export.txt", "package.json"]);
}

/// A clone: what `geonorm check .` takes is what git tracks of the maps, and
/// `--hidden` / `--no-ignore` widen it.
#[test]
fn a_folder_is_walked_as_git_sees_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let git = Command::new("git")
        .args(["init", "-q"])
        .current_dir(root)
        .status()
        .expect("git init");
    assert!(git.success());
    write(root, ".gitignore", "target/\nnode_modules/\n");
    write(root, ".ignore", "scratch.kml\n");
    write(root, "maps/ride.gpx", GOOD_GPX);
    write(root, "maps/park.kml", GOOD_KML);
    write(root, "maps/area.geojson", GOOD_GEOJSON);
    write(root, "maps/zones.json", GOOD_GEOJSON);
    write(
        root,
        "package.json",
        r#"{"name": "site", "type": "module"}"#,
    );
    write(root, "tsconfig.json", r#"{"compilerOptions": {}}"#);
    write(root, "notes.txt", BAD_GEOJSON);
    write(root, "scratch.kml", GOOD_KML);
    write(root, "target/debug/out.geojson", GOOD_GEOJSON);
    write(root, "node_modules/pkg/data.geojson", GOOD_GEOJSON);
    write(root, ".cache/old.gpx", GOOD_GPX);
    write(root, ".hidden.kml", GOOD_KML);
    let run = |extra: &[&str]| {
        let mut args = vec!["check", "--format", "json"];
        args.extend(extra);
        args.push(".");
        let out = geonorm(root, &args, None);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        checked(&out)
    };
    let base = [
        "./maps/area.geojson",
        "./maps/park.kml",
        "./maps/ride.gpx",
        "./maps/zones.json",
    ];
    assert_eq!(run(&[]), base);
    let mut hidden: Vec<&str> = base.to_vec();
    hidden.extend(["./.cache/old.gpx", "./.hidden.kml"]);
    hidden.sort();
    assert_eq!(run(&["--hidden"]), hidden);
    let mut all: Vec<&str> = base.to_vec();
    all.extend([
        "./node_modules/pkg/data.geojson",
        "./scratch.kml",
        "./target/debug/out.geojson",
    ]);
    all.sort();
    assert_eq!(run(&["--no-ignore"]), all);
}

#[test]
fn every_command_names_standard_input_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A position out of range (said by convert and info), a repeated one (fixed).
    let point = br#"{"type":"LineString","coordinates":[[1,200],[1,2],[1,2],[3,4]]}"#;
    for cmd in ["convert", "fix", "info"] {
        let out = geonorm(dir.path(), &[cmd, "-"], Some(point));
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(all.contains("<stdin>"), "{cmd}: {all}");
        assert!(!all.contains("-:1:"), "{cmd}: {all}");
        let out = geonorm(
            dir.path(),
            &[cmd, "--stdin-name", "ride.geojson", "-"],
            Some(point),
        );
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(all.contains("ride.geojson"), "{cmd}: {all}");
        assert!(!all.contains("<stdin>"), "{cmd}: {all}");
    }
    // The name's extension tells the format when the content cannot.
    // No format told: `check`'s finding, exit 1 as `check` exits, and how to name it.
    let out = geonorm(dir.path(), &["info", "-"], Some(b"  "));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("use --from"),
        "{}",
        text(&out.stderr)
    );
    let out = geonorm(
        dir.path(),
        &["info", "--stdin-name", "a.geojson", "-"],
        Some(b"  "),
    );
    assert!(
        text(&out.stdout).contains("format:    geojson") || text(&out.stderr).contains("a.geojson"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// In a walk, an entry that cannot be read is said and the walk goes on.
#[cfg(unix)]
#[test]
fn an_unreadable_entry_in_a_folder_is_said_and_the_rest_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "d/a.geojson", GOOD_GEOJSON);
    std::os::unix::fs::symlink("nowhere.kml", dir.path().join("d/broken.kml")).expect("link");
    let out = geonorm(
        dir.path(),
        &["check", "--follow", "--format", "json", "d"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("broken.kml"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(checked(&out), ["d/a.geojson"]);
}
