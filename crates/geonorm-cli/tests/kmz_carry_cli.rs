//! `geonorm convert` to KMZ carries the icons and photos the KML refers to (from a
//! KMZ, or beside a KML), streamed and whole (`fix`); what cannot be carried is a
//! diagnostic and the output is still written; `check` of a KMZ says what the archive
//! lacks (issue 24, item 4). In temporary folders.

use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::process::{Command, Output};

const PIN: &[u8] = b"\x89PNG\r\n\x1a\npin";
const PHOTO: &[u8] = b"\xff\xd8\xffphoto";

fn kml(icon: &str, photo: &str) -> String {
    format!(
        r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>A</name><Style><IconStyle><Icon><href>{icon}</href></Icon></IconStyle></Style><Point><coordinates>1,2</coordinates></Point></Placemark>
<Placemark><name>B</name><description><![CDATA[<img src="{photo}">]]></description><Point><coordinates>3,4</coordinates></Point></Placemark>
</Document></kml>"#
    )
}

fn kmz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, data) in entries {
        zip.start_file(*name, options).expect("entry");
        zip.write_all(data).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

fn entry(path: &Path, name: &str) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).expect("the output");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    let mut e = zip.by_name(name).ok()?;
    let mut data = Vec::new();
    e.read_to_end(&mut data).expect("read");
    Some(data)
}

fn run(dir: &Path, args: &[&str]) -> (Output, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run geonorm");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, said)
}

#[test]
fn kmz_to_kmz_streamed_and_fixed_keeps_the_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = kml("files/pin.png", "files/photo.jpg");
    let source = kmz(&[
        ("doc.kml", text.as_bytes()),
        ("files/pin.png", PIN),
        ("files/photo.jpg", PHOTO),
    ]);
    std::fs::write(dir.path().join("in.kmz"), source).expect("input");
    for verb in ["convert", "fix"] {
        let (out, said) = run(dir.path(), &[verb, "in.kmz", "-o", "out.kmz"]);
        assert!(out.status.success(), "{verb}: {said}");
        assert!(!said.contains("asset/"), "{verb}: {said}");
        let written = dir.path().join("out.kmz");
        assert_eq!(entry(&written, "files/pin.png").as_deref(), Some(PIN));
        assert_eq!(entry(&written, "files/photo.jpg").as_deref(), Some(PHOTO));
        std::fs::remove_file(written).expect("removed");
    }
}

#[test]
fn a_kml_with_a_local_icon_to_kmz_carries_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let map = dir.path().join("map");
    std::fs::create_dir_all(map.join("icons")).expect("folder");
    std::fs::write(map.join("icons/pin.png"), PIN).expect("icon");
    std::fs::write(dir.path().join("secret.jpg"), PHOTO).expect("outside");
    std::fs::write(map.join("in.kml"), kml("icons/pin.png", "../secret.jpg")).expect("kml");
    for verb in ["convert", "fix"] {
        let (out, said) = run(dir.path(), &[verb, "map/in.kml", "-o", "out.kmz"]);
        let written = dir.path().join("out.kmz");
        assert!(written.exists(), "{verb}: written all the same: {said}");
        assert_eq!(entry(&written, "icons/pin.png").as_deref(), Some(PIN));
        assert_eq!(entry(&written, "../secret.jpg"), None);
        assert_eq!(entry(&written, "secret.jpg"), None);
        assert_eq!(said.matches("asset/outside").count(), 1, "{verb}: {said}");
        assert!(out.status.code().is_some(), "{verb}: {said}");
        std::fs::remove_file(written).expect("removed");
    }
}

#[test]
fn a_missing_file_is_said_and_the_kmz_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = kml("files/pin.png", "files/gone.jpg");
    let source = kmz(&[("doc.kml", text.as_bytes()), ("files/pin.png", PIN)]);
    std::fs::write(dir.path().join("in.kmz"), source).expect("input");
    for verb in ["convert", "fix"] {
        let (_, said) = run(dir.path(), &[verb, "in.kmz", "-o", "out.kmz"]);
        assert_eq!(said.matches("asset/missing").count(), 1, "{verb}: {said}");
        assert!(said.contains("files/gone.jpg"), "{verb}: {said}");
        let written = dir.path().join("out.kmz");
        assert_eq!(entry(&written, "files/pin.png").as_deref(), Some(PIN));
        std::fs::remove_file(written).expect("removed");
    }
    // `check` says it too, at the placemark in doc.kml.
    let (_, said) = run(dir.path(), &["check", "in.kmz"]);
    assert_eq!(said.matches("asset/missing").count(), 1, "{said}");
    assert!(said.contains("files/gone.jpg"), "{said}");
    let (_, json) = run(dir.path(), &["check", "--format", "json", "in.kmz"]);
    assert!(json.contains("asset/missing"), "{json}");
    let line = text
        .lines()
        .position(|l| l.contains("<name>B"))
        .expect("line")
        + 1;
    assert!(json.contains(&format!("\"line\": {line},")), "{json}");
}

/// `append` of a KMZ lacking its icon says so once: its asset plan says it, and the
/// check before sending does not say it again (a dry run, nothing sent).
#[test]
fn append_says_a_missing_file_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = kml("files/pin.png", "files/photo.jpg");
    let bytes = kmz(&[("doc.kml", doc.as_bytes()), ("files/photo.jpg", PHOTO)]);
    std::fs::write(dir.path().join("lacking.kmz"), bytes).expect("write");
    let (out, _) = run(
        dir.path(),
        &[
            "append",
            "lacking.kmz",
            "--map",
            "1",
            "--dry-run",
            "--server",
            "http://127.0.0.1:9",
        ],
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(said.matches("[asset/missing]").count(), 1, "{said}");
    assert!(said.contains("files/pin.png"), "{said}");
}
