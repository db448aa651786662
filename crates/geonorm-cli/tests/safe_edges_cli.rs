//! Issue 29, writing files and walking folders: `convert --assets DIR` writes only new
//! files strictly inside DIR; `-o` onto a FIFO or `/dev/stdout` writes into it and
//! never replaces it; `check DIR` never reads a link out of DIR, never opens a FIFO
//! it meets, never counts a file twice. Every hostile file is made here, in temp dirs
//! the test owns.

#![cfg(unix)]

use std::io::{Cursor, Read, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const GEOJSON: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[13.4,52.5]},"properties":{"title":"Berlin"}}]}"#;

/// A line that must never reach the output: it stands for a secret in a file that a
/// link in the walked folder points to.
const SECRET: &str = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI-K7MDENG";

fn geonorm(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_geonorm"));
    cmd.current_dir(dir);
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `cmd` to its end, or kills it and fails after `secs` seconds: a walk that
/// hangs on a FIFO or wanders through `/` fails here instead of hanging the tests.
fn run_within(cmd: &mut Command, secs: u64) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn geonorm");
    let deadline = Instant::now() + Duration::from_secs(secs);
    // The pipes are read on threads, so a child writing much cannot block on them.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.read_to_end(&mut b);
        b
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("geonorm {cmd:?} still running after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().expect("stdout thread"),
        stderr: err.join().expect("stderr thread"),
    }
}

fn png(rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(8, 8, image::Rgb(rgb));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

/// A KMZ at `path` whose placemarks use each of `icons` (entry name, bytes) as icon.
fn kmz(path: &Path, icons: &[(&str, Vec<u8>)]) {
    let mut kml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>"#,
    );
    for (i, (name, _)) in icons.iter().enumerate() {
        kml.push_str(&format!(
            "<Placemark><name>p{i}</name><Style><IconStyle><Icon><href>{name}</href></Icon></IconStyle></Style><Point><coordinates>{i},45</coordinates></Point></Placemark>"
        ));
    }
    kml.push_str("</Document></kml>");
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("doc.kml", opts).expect("entry");
    zip.write_all(kml.as_bytes()).expect("write");
    for (name, data) in icons {
        zip.start_file(*name, opts).expect("entry");
        zip.write_all(data).expect("write");
    }
    std::fs::write(path, zip.finish().expect("zip").into_inner()).expect("write kmz");
}

/// Every file and link under `dir`, relative, sorted (links not followed).
fn listing(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            let rel = p
                .strip_prefix(root)
                .expect("under root")
                .display()
                .to_string();
            let meta = std::fs::symlink_metadata(&p).expect("meta");
            if meta.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(ok.success());
}

fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

// ---------------------------------------------------------------- --assets DIR

#[test]
fn assets_with_hidden_or_escaping_names_get_hash_names_inside_the_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    kmz(
        &work.join("evil.kmz"),
        &[
            (".git/config", png([1, 0, 0])),
            (".bashrc", png([2, 0, 0])),
            ("../x.png", png([3, 0, 0])),
            ("icons/.hidden/b.png", png([4, 0, 0])),
            ("icons/ok.png", png([5, 0, 0])),
            // A newline and a right-to-left override: a listing would lie.
            ("n\nl\u{202E}gnp.exe", png([6, 0, 0])),
            ("icons/\u{9B}31m\u{2066}.png", png([7, 0, 0])),
        ],
    );
    let out = geonorm(&work)
        .args([
            "convert",
            "evil.kmz",
            "-o",
            "evil.geojson",
            "--assets",
            "out",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let files = listing(&work.join("out"));
    // Five hash names and the one plain name; nothing hidden, nothing beside `out`
    // (`../x.png` is not even read: it leads out of the archive), no control or
    // bidirectional character in any name.
    assert_eq!(files.len(), 6, "{files:?}");
    assert!(
        files.iter().all(|f| f
            .chars()
            .all(|c| !c.is_control() && !('\u{2000}'..='\u{206F}').contains(&c))),
        "{files:?}"
    );
    assert!(files.contains(&"icons/ok.png".to_string()), "{files:?}");
    assert!(
        files
            .iter()
            .all(|f| !f.split('/').any(|c| c.starts_with('.'))),
        "{files:?}"
    );
    assert_eq!(
        listing(tmp.path()).len(),
        2 + 6,
        "{:?}",
        listing(tmp.path())
    );
    assert!(!work.join("x.png").exists() && !tmp.path().join("x.png").exists());
    // Said, and the features point at the files written.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("note: --assets: .git/config written as "),
        "{err}"
    );
    assert!(err.contains("note: --assets: .bashrc written as "), "{err}");
    assert!(err.contains("[asset/outside]"), "{err}");
    let v: Value = serde_json::from_slice(&std::fs::read(work.join("evil.geojson")).expect("out"))
        .expect("json");
    for f in v["features"].as_array().expect("features") {
        let icon = f["properties"]["icon"].as_str().expect("icon");
        // The one not read keeps its href, which names no file.
        assert_eq!(work.join(icon).is_file(), icon != "../x.png", "{icon}");
    }
}

#[test]
fn an_existing_asset_file_is_refused_unless_overwrite_and_then_replaced_not_written_through() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path();
    kmz(&work.join("a.kmz"), &[("icons/keep.png", png([9, 9, 9]))]);
    let keep = work.join("out/icons/keep.png");
    std::fs::create_dir_all(keep.parent().expect("parent")).expect("mkdir");
    std::fs::write(&keep, b"mine").expect("write");
    std::fs::set_permissions(&keep, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // Another name for the same file, outside DIR: must keep its bytes in any case.
    std::fs::hard_link(&keep, work.join("elsewhere")).expect("hard link");
    let convert = |extra: &[&str]| {
        geonorm(work)
            .args(["convert", "a.kmz", "-o", "a.geojson", "--assets", "out"])
            .args(extra)
            .output()
            .expect("run")
    };
    let out = convert(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("out/icons/keep.png already exists"), "{err}");
    assert!(err.contains("pass --overwrite"), "{err}");
    assert_eq!(std::fs::read(&keep).expect("read"), b"mine");
    assert!(!work.join("a.geojson").exists());

    let out = convert(&["--overwrite"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(std::fs::read(&keep).expect("read"), png([9, 9, 9]));
    // A new file: the old one's executable mode is not carried over.
    let mode = std::fs::metadata(&keep).expect("meta").permissions().mode();
    assert_eq!(mode & 0o111, 0, "{mode:o}");
    assert_eq!(
        std::fs::read(work.join("elsewhere")).expect("read"),
        b"mine"
    );
    // The same bytes again: nothing to replace, no --overwrite needed.
    let out = convert(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn assets_never_go_through_a_link_inside_the_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().join("work");
    let other = tmp.path().join("other");
    std::fs::create_dir_all(work.join("out/files")).expect("mkdir");
    std::fs::create_dir_all(&other).expect("mkdir");
    std::fs::write(other.join("f.png"), b"theirs").expect("write");
    symlink(&other, work.join("out/icons"));
    symlink(other.join("f.png"), work.join("out/files/f.png"));
    let before = listing(&other);
    for (entry, extra) in [
        ("icons/new.png", &[][..]),
        ("icons/new.png", &["--overwrite"][..]),
        ("files/f.png", &["--overwrite"][..]),
    ] {
        kmz(&work.join("a.kmz"), &[(entry, png([1, 2, 3]))]);
        let out = geonorm(&work)
            .args(["convert", "a.kmz", "-o", "a.geojson", "--assets", "out"])
            .args(extra)
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{entry} {extra:?}: {}",
            text(&out)
        );
        assert!(text(&out).contains("link"), "{}", text(&out));
        assert_eq!(listing(&other), before);
        assert_eq!(std::fs::read(other.join("f.png")).expect("read"), b"theirs");
        assert!(std::fs::symlink_metadata(work.join("out/files/f.png"))
            .expect("link")
            .file_type()
            .is_symlink());
    }
}

#[test]
fn an_asset_named_like_the_input_never_replaces_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path();
    // The entry is a PNG named like the archive itself, written into the input's folder.
    kmz(&work.join("a.kmz"), &[("a.kmz", png([7, 7, 7]))]);
    let input = std::fs::read(work.join("a.kmz")).expect("read");
    // Refused as the input, with or without --overwrite.
    for extra in [&[][..], &["--overwrite"][..]] {
        let out = geonorm(work)
            .args(["convert", "a.kmz", "-o", "a.geojson", "--assets", "."])
            .args(extra)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", text(&out));
        assert!(
            text(&out).contains("a.kmz: it is the input"),
            "{}",
            text(&out)
        );
        assert_eq!(std::fs::read(work.join("a.kmz")).expect("read"), input);
    }
}

// ---------------------------------------------------------------- -o onto special files

/// Reads the FIFO at `path` on a thread; [`drain`] gets what was read.
fn reader(path: &Path) -> std::thread::JoinHandle<Vec<u8>> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let mut b = Vec::new();
        std::fs::File::open(&path)
            .expect("open fifo")
            .read_to_end(&mut b)
            .expect("read fifo");
        b
    })
}

/// What the reader of the FIFO at `path` got. If the writer never opened it, the
/// reader is released by opening it here; if it still waits, the FIFO it opened is
/// no longer at `path` (replaced): a failure, not a hang.
fn drain(path: &Path, reader: std::thread::JoinHandle<Vec<u8>>) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !reader.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        let fifo = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo());
        if fifo {
            drop(std::fs::OpenOptions::new().write(true).open(path));
        }
    }
    assert!(
        reader.is_finished(),
        "the FIFO's reader still waits: {} was replaced",
        path.display()
    );
    reader.join().expect("reader")
}

#[test]
fn output_onto_a_fifo_or_a_link_to_it_is_written_into_it_not_replaced() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("in.geojson"), GEOJSON).expect("write");
    let fifo = dir.join("pipe");
    mkfifo(&fifo);
    symlink(&fifo, dir.join("link.geojson"));
    // convert streaming (GeoJSON to GeoJSON), convert whole (KMZ), and fix.
    for args in [
        &["convert", "in.geojson", "-o", "pipe"][..],
        &["convert", "in.geojson", "-o", "link.geojson"][..],
        &["convert", "in.geojson", "--to", "kmz", "-o", "link.geojson"][..],
        &["fix", "in.geojson", "-o", "link.geojson"][..],
    ] {
        let got = reader(&fifo);
        let out = run_within(geonorm(dir).args(args), 30);
        let got = drain(&fifo, got);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        if args.contains(&"kmz") {
            assert_eq!(&got[..2], b"PK", "{args:?}");
        } else {
            let v: Value = serde_json::from_slice(&got).expect("GeoJSON through the FIFO");
            assert_eq!(v["features"][0]["properties"]["title"], "Berlin");
        }
        let meta = std::fs::symlink_metadata(&fifo).expect("fifo");
        assert!(
            meta.file_type().is_fifo(),
            "{args:?}: the FIFO was replaced"
        );
        let link = std::fs::symlink_metadata(dir.join("link.geojson")).expect("link");
        assert!(
            link.file_type().is_symlink(),
            "{args:?}: the link was replaced"
        );
        assert_eq!(listing(dir), ["in.geojson", "link.geojson", "pipe"]);
    }
}

#[test]
fn output_onto_a_fifo_nobody_reads_is_refused_after_a_wait_not_a_hang() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("in.geojson"), GEOJSON).expect("write");
    let fifo = dir.join("pipe");
    mkfifo(&fifo);
    for args in [
        &["convert", "in.geojson", "-o", "pipe"][..],
        &["fix", "in.geojson", "-o", "pipe"][..],
    ] {
        let out = run_within(geonorm(dir).args(args), 60);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {said}");
        assert!(
            said.contains("a FIFO that no program opened for reading"),
            "{args:?}: {said}"
        );
        let meta = std::fs::symlink_metadata(&fifo).expect("fifo");
        assert!(
            meta.file_type().is_fifo(),
            "{args:?}: the FIFO was replaced"
        );
        assert_eq!(listing(dir), ["in.geojson", "pipe"]);
    }
}

#[test]
fn output_onto_a_device_node_or_a_link_to_it_writes_into_it_and_keeps_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("in.geojson"), GEOJSON).expect("write");
    // A device node of the test's own, in its temp dir: character device 1,3 (the
    // null device, so what is written vanishes). As root, -o used to replace such a
    // node with a regular file.
    let made = Command::new("mknod")
        .arg(dir.join("dev"))
        .args(["c", "1", "3"])
        .status()
        .expect("mknod");
    assert!(made.success(), "mknod needs root (the tests run as root)");
    symlink(dir.join("dev"), dir.join("link.geojson"));
    for target in ["dev", "link.geojson"] {
        for to in ["geojson", "kmz"] {
            let out = run_within(
                geonorm(dir).args(["convert", "in.geojson", "--to", to, "-o", target]),
                30,
            );
            assert_eq!(out.status.code(), Some(0), "{target} {to}: {}", text(&out));
            let meta = std::fs::symlink_metadata(dir.join("dev")).expect("dev");
            assert!(meta.file_type().is_char_device(), "{target} {to}: replaced");
            assert_eq!(listing(dir), ["dev", "in.geojson", "link.geojson"]);
        }
    }
}

#[test]
fn get_onto_a_link_to_a_fifo_writes_into_the_fifo() {
    let server = maphub_local::Server::start(
        maphub_local::Config {
            api_key: "safe-edges-key".into(),
            ..maphub_local::Config::default()
        },
        0,
    )
    .expect("server");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("in.geojson"), GEOJSON).expect("write");
    let with_key = |cmd: &mut Command| {
        cmd.env("MAPHUB_API_KEY", "safe-edges-key")
            .env("XDG_STATE_HOME", dir.join("state"));
    };
    let mut upload = geonorm(dir);
    upload.args([
        "upload",
        "in.geojson",
        "--visibility",
        "private",
        "--format",
        "json",
        "--server",
        &server.url(),
    ]);
    with_key(&mut upload);
    let out = run_within(&mut upload, 30);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let id = v["map"]["id"].as_u64().expect("id").to_string();
    let fifo = dir.join("pipe");
    mkfifo(&fifo);
    symlink(&fifo, dir.join("map.geojson"));
    let got = reader(&fifo);
    let mut get = geonorm(dir);
    get.args(["get", &id, "-o", "map.geojson", "--server", &server.url()]);
    with_key(&mut get);
    let out = run_within(&mut get, 30);
    let got = drain(&fifo, got);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: Value = serde_json::from_slice(&got).expect("GeoJSON through the FIFO");
    assert_eq!(v["features"][0]["properties"]["title"], "Berlin");
    let meta = std::fs::symlink_metadata(&fifo).expect("fifo");
    assert!(meta.file_type().is_fifo(), "the FIFO was replaced");
    assert!(std::fs::symlink_metadata(dir.join("map.geojson"))
        .expect("link")
        .file_type()
        .is_symlink());
}

#[test]
fn output_onto_dev_stdout_or_dev_fd_1_goes_to_the_pipe_the_caller_owns() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("in.geojson"), GEOJSON).expect("write");
    for target in ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"] {
        let before = std::fs::symlink_metadata(target).expect("exists");
        // Standard output is a pipe this test reads.
        let out = run_within(
            geonorm(tmp.path()).args(["convert", "in.geojson", "-o", target]),
            30,
        );
        assert_eq!(out.status.code(), Some(0), "{target}: {}", text(&out));
        let v: Value = serde_json::from_slice(&out.stdout).expect("GeoJSON on the pipe");
        assert_eq!(v["features"][0]["properties"]["title"], "Berlin");
        let after = std::fs::symlink_metadata(target).expect("still there");
        assert_eq!(before.file_type(), after.file_type(), "{target} replaced");
        assert_eq!(listing(tmp.path()), ["in.geojson"]);
    }
}

#[test]
fn output_onto_dev_stdout_sent_to_a_file_or_through_a_link_lands_there_and_replaces_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("in.geojson"), GEOJSON).expect("write");
    // `>> log`: standard output a file opened for appending, holding a line already.
    std::fs::write(dir.join("log"), "before\n").expect("write");
    let log = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("log"))
        .expect("open log");
    let out = geonorm(dir)
        .args(["convert", "in.geojson", "-o", "/dev/stdout"])
        .stdout(log)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let got = std::fs::read_to_string(dir.join("log")).expect("log");
    let rest = got
        .strip_prefix("before\n")
        .expect("the line before is kept");
    let v: Value = serde_json::from_str(rest).expect("GeoJSON after it");
    assert_eq!(v["features"][0]["properties"]["title"], "Berlin");
    assert_eq!(listing(dir), ["in.geojson", "log"]);
    // A link of the user's to /proc/self/fd/1: the pipe gets it, the link stays.
    symlink("/proc/self/fd/1", dir.join("out.geojson"));
    let out = run_within(
        geonorm(dir).args(["convert", "in.geojson", "-o", "out.geojson"]),
        30,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("GeoJSON on the pipe");
    assert_eq!(v["features"][0]["properties"]["title"], "Berlin");
    let link = std::fs::symlink_metadata(dir.join("out.geojson")).expect("link");
    assert!(link.file_type().is_symlink());
    assert_eq!(listing(dir), ["in.geojson", "log", "out.geojson"]);
}

// ---------------------------------------------------------------- check DIR

/// The paths `check --format json` checked, relative to `root`.
fn checked(out: &Output) -> Vec<String> {
    let v: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)));
    v["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path").to_string())
        .collect()
}

/// A file that fails to parse on the line holding the secret, so that a code frame
/// would quote it.
fn secret_file(path: &Path) {
    std::fs::write(
        path,
        format!("{{\"type\":\"FeatureCollection\",\n{SECRET}\n"),
    )
    .expect("write");
}

#[test]
fn a_walk_never_reads_a_link_out_of_the_folder_with_or_without_follow() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (tree, outside) = (tmp.path().join("tree"), tmp.path().join("outside"));
    std::fs::create_dir_all(tree.join("sub")).expect("mkdir");
    std::fs::create_dir_all(&outside).expect("mkdir");
    std::fs::write(tree.join("ok.geojson"), GEOJSON).expect("write");
    secret_file(&outside.join("creds.geojson"));
    secret_file(&outside.join("env.kml"));
    symlink(outside.join("creds.geojson"), tree.join("creds.geojson"));
    symlink(outside.join("env.kml"), tree.join("sub/env.kml"));
    symlink(&outside, tree.join("out"));
    symlink("/", tree.join("root"));
    symlink("../../outside", tree.join("sub/up"));
    for follow in [&[][..], &["--follow"][..]] {
        for format in ["json", "human", "sarif"] {
            let out = run_within(
                geonorm(tmp.path())
                    .args(["check", "tree", "--format", format])
                    .args(follow),
                60,
            );
            assert!(
                !text(&out).contains(SECRET),
                "{follow:?} {format}: {}",
                text(&out)
            );
            assert_eq!(
                out.status.code(),
                Some(0),
                "{follow:?} {format}: {}",
                text(&out)
            );
            if format == "json" {
                assert_eq!(checked(&out), ["tree/ok.geojson"], "{follow:?}");
            }
        }
    }
    // Named on the command line, a link is the user's choice: checked as named.
    let out = run_within(
        geonorm(tmp.path()).args(["check", "tree/creds.geojson"]),
        30,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn a_fifo_in_a_walk_is_never_opened_and_a_link_loop_counts_each_file_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).expect("mkdir");
    std::fs::write(tree.join("sub/a.geojson"), GEOJSON).expect("write");
    mkfifo(&tree.join("x.geojson"));
    symlink("..", tree.join("sub/loop"));
    symlink(".", tree.join("self"));
    symlink("sub/a.geojson", tree.join("again.geojson"));
    symlink("x.geojson", tree.join("fifo-link.geojson"));
    let out = run_within(
        geonorm(tmp.path()).args(["check", "tree", "--format", "json"]),
        30,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(checked(&out), ["tree/sub/a.geojson"]);
    // Followed: inside the root, but the file once (by device and inode) and the FIFO
    // behind a link never opened either.
    let out = run_within(
        geonorm(tmp.path()).args(["check", "tree", "--follow", "--format", "json"]),
        30,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let files = checked(&out);
    assert_eq!(files.len(), 1, "{files:?}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["summary"]["files"], 1);
    assert!(std::fs::symlink_metadata(tree.join("x.geojson"))
        .expect("fifo")
        .file_type()
        .is_fifo());
}

#[test]
fn a_two_link_loop_in_a_followed_walk_is_skipped_and_the_other_files_are_checked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).expect("mkdir");
    std::fs::write(tree.join("ok.geojson"), GEOJSON).expect("write");
    std::fs::write(
        tree.join("sub/bad.geojson"),
        "{\"type\":\"FeatureCollection\",",
    )
    .expect("write");
    // loop1 -> loop2 -> loop1: every stat of either is ELOOP.
    symlink("loop2", tree.join("loop1"));
    symlink("loop1", tree.join("loop2"));
    symlink("loop2.geojson", tree.join("loop1.geojson"));
    symlink("loop1.geojson", tree.join("loop2.geojson"));
    symlink("../loop1", tree.join("sub/into-loop"));
    for follow in [&["--follow"][..], &[][..]] {
        let out = run_within(
            geonorm(tmp.path())
                .args(["check", "tree", "--format", "json"])
                .args(follow),
            30,
        );
        // The exit code of the findings (one file that fails to parse), not of an
        // I/O error.
        assert_eq!(out.status.code(), Some(1), "{follow:?}: {}", text(&out));
        assert_eq!(
            checked(&out),
            ["tree/ok.geojson", "tree/sub/bad.geojson"],
            "{follow:?}"
        );
    }
}

#[test]
fn a_walk_honours_gitignore_and_skips_hidden_files_but_a_named_file_is_checked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tree = tmp.path().join("tree");
    let bad = "{\"type\":\"FeatureCollection\",";
    for dir in ["target/debug", "node_modules/x", ".hidden", "data"] {
        std::fs::create_dir_all(tree.join(dir)).expect("mkdir");
    }
    std::fs::write(tree.join(".gitignore"), "target/\nnode_modules/\n").expect("write");
    std::fs::write(tree.join("target/debug/bad.json"), bad).expect("write");
    std::fs::write(tree.join("node_modules/x/bad.geojson"), bad).expect("write");
    std::fs::write(tree.join(".hidden/bad.geojson"), bad).expect("write");
    std::fs::write(tree.join(".bad.geojson"), bad).expect("write");
    std::fs::write(tree.join("data/ok.geojson"), GEOJSON).expect("write");
    std::fs::write(tree.join("data/notes.txt"), bad).expect("write");
    let out = run_within(
        geonorm(tmp.path()).args(["check", "tree", "--format", "json"]),
        30,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(checked(&out), ["tree/data/ok.geojson"]);
    let out = run_within(
        geonorm(tmp.path()).args(["check", "tree/target/debug/bad.json", "--format", "json"]),
        30,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(checked(&out), ["tree/target/debug/bad.json"]);
}

/// The walk's files, in order, for a tree with several folders: sorted, stable.
#[test]
fn a_walk_lists_files_sorted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tree = tmp.path().join("t");
    for f in ["b/z.kml", "a.gpx", "b/a.geojson", "c.json", "A.KMZ"] {
        let p: PathBuf = tree.join(f);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, GEOJSON).expect("write");
    }
    let out = run_within(
        geonorm(tmp.path()).args(["check", "t", "--format", "json"]),
        30,
    );
    assert_eq!(
        checked(&out),
        [
            "t/A.KMZ",
            "t/a.gpx",
            "t/b/a.geojson",
            "t/b/z.kml",
            "t/c.json"
        ]
    );
}
