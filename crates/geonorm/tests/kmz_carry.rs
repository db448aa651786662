//! A KMZ written carries the files its KML refers to (issue 24, item 4): icons and
//! photos (`<img src>`) read from the KMZ read, or from a KML's folder, under the same
//! paths, byte for byte; what cannot be carried (missing, outside the archive or the
//! folder) is a diagnostic at the feature, and the output is still written. A KMZ's
//! check says when a reference names a file the archive lacks.

use std::io::{Cursor, Read, Write};

use geonorm::validate::CheckOptions;
use geonorm::{ConvertOptions, Diagnostic, Format, Input};

const PIN: &[u8] = b"\x89PNG\r\n\x1a\npin bytes";
const PHOTO: &[u8] = b"\xff\xd8\xffphoto bytes";

/// A KML whose first point has the icon `icon` and whose second shows `photo`.
fn kml(icon: &str, photo: &str) -> String {
    format!(
        r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Style id="s"><IconStyle><Icon><href>{icon}</href></Icon></IconStyle></Style>
<Placemark><name>A</name><styleUrl>#s</styleUrl><Point><coordinates>1,2</coordinates></Point></Placemark>
<Placemark><name>B</name><description><![CDATA[<p>see</p><img src="{photo}">]]></description><Point><coordinates>3,4</coordinates></Point></Placemark>
<Placemark><name>C</name><description>a web photo &lt;img src="https://example.com/x.jpg"&gt;</description><Point><coordinates>5,6</coordinates></Point></Placemark>
</Document></kml>"#
    )
}

fn kmz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        zip.start_file(*name, options).expect("entry");
        zip.write_all(data).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

/// The entries of a KMZ, by name.
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut e = zip.by_index(i).expect("entry");
            let mut data = Vec::new();
            e.read_to_end(&mut data).expect("read");
            (e.name().expect("name").to_string(), data)
        })
        .collect()
}

fn entry<'a>(all: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    all.iter()
        .find(|(n, _)| n == name)
        .map(|(_, d)| d.as_slice())
}

fn asset_codes(diags: &[Diagnostic]) -> Vec<&str> {
    diags
        .iter()
        .map(|d| d.code.as_str())
        .filter(|c| c.starts_with("asset/"))
        .collect()
}

fn to_kmz(input: Input<'_>, folder: Option<&std::path::Path>) -> (Vec<u8>, Vec<Diagnostic>) {
    let opts = ConvertOptions {
        kml_folder: folder.map(std::path::Path::to_path_buf),
        ..ConvertOptions::to(Format::Kmz)
    };
    let mut out = Vec::new();
    let done = geonorm::convert(input, &mut out, &opts).expect("converted");
    assert!(done.complete, "{:?}", done.diagnostics());
    (out, done.diagnostics())
}

#[test]
fn kmz_to_kmz_keeps_the_files_byte_for_byte_under_their_paths() {
    let text = kml("files/pin.png", "files/photo.jpg");
    let source = kmz(&[
        ("doc.kml", text.as_bytes()),
        ("files/pin.png", PIN),
        ("files/photo.jpg", PHOTO),
        ("files/unused.png", b"not referred to"),
    ]);
    // Read where it is (a file), and from bytes in memory: the same archive.
    let mut file = Cursor::new(source.clone());
    for (out, diags) in [
        to_kmz(Input::Seekable(&mut file), None),
        to_kmz(Input::Bytes(&source), None),
    ] {
        assert!(asset_codes(&diags).is_empty(), "{diags:?}");
        let all = entries(&out);
        assert_eq!(all[0].0, "doc.kml");
        assert_eq!(entry(&all, "files/pin.png"), Some(PIN));
        assert_eq!(entry(&all, "files/photo.jpg"), Some(PHOTO));
        assert_eq!(all.len(), 3, "only what is referred to is carried");
        let doc =
            String::from_utf8(entry(&all, "doc.kml").expect("doc.kml").to_vec()).expect("UTF-8");
        assert!(doc.contains("files/pin.png") && doc.contains("files/photo.jpg"));
    }
    // The document read whole, written by the library's KMZ writer.
    let parsed = geonorm::read(&source[..], &Default::default()).expect("read");
    let mut files = geonorm::kmz::files(Cursor::new(&source[..])).expect("files");
    let mut out = Vec::new();
    let diags = geonorm::assets::write_kmz(
        &parsed.document,
        &mut out,
        &Default::default(),
        Some(&mut files),
    )
    .expect("written");
    assert!(asset_codes(&diags).is_empty(), "{diags:?}");
    let all = entries(&out);
    assert_eq!(entry(&all, "files/pin.png"), Some(PIN));
    assert_eq!(entry(&all, "files/photo.jpg"), Some(PHOTO));
}

#[test]
fn what_cannot_be_carried_is_said_at_the_feature_and_the_kmz_is_written() {
    let text = kml("files/gone.png", "../up.jpg");
    let source = kmz(&[("doc.kml", text.as_bytes()), ("up.jpg", PHOTO)]);
    let (out, diags) = to_kmz(Input::Bytes(&source), None);
    assert_eq!(
        asset_codes(&diags),
        ["asset/missing", "asset/outside"],
        "{diags:?}"
    );
    for d in diags
        .iter()
        .filter(|d| d.code.as_str().starts_with("asset/"))
    {
        let at = d.span.expect("at the feature").start;
        assert!(text[at..].starts_with("<Placemark>"), "{d:?}");
        assert!(d.message.contains("does not carry it"), "{d:?}");
    }
    let all = entries(&out);
    assert_eq!(
        all.len(),
        1,
        "only doc.kml: {:?}",
        all.iter().map(|e| &e.0).collect::<Vec<_>>()
    );
    // An absolute path is refused too, and a reference to doc.kml is not a second one.
    let text = kml("/etc/passwd", "doc.kml");
    let source = kmz(&[("doc.kml", text.as_bytes())]);
    let (out, diags) = to_kmz(Input::Bytes(&source), None);
    assert_eq!(asset_codes(&diags), ["asset/outside", "asset/unreadable"]);
    assert_eq!(entries(&out).len(), 1);
}

#[test]
fn a_kml_to_kmz_carries_the_files_of_its_folder_and_nothing_outside_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("map");
    std::fs::create_dir_all(folder.join("icons")).expect("folders");
    std::fs::write(folder.join("icons/pin.png"), PIN).expect("icon");
    std::fs::write(dir.path().join("secret.jpg"), PHOTO).expect("secret");
    let text = kml("icons/pin.png", "photo.jpg");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("secret.jpg"), folder.join("photo.jpg"))
        .expect("symlink");
    let (out, diags) = to_kmz(Input::Bytes(text.as_bytes()), Some(&folder));
    let all = entries(&out);
    assert_eq!(entry(&all, "icons/pin.png"), Some(PIN));
    assert_eq!(
        entry(&all, "photo.jpg"),
        None,
        "a link out of the folder is not followed"
    );
    #[cfg(unix)]
    assert_eq!(asset_codes(&diags), ["asset/outside"], "{diags:?}");
    // Without a folder nothing is read from disk, and each file is said not carried.
    let (out, diags) = to_kmz(Input::Bytes(text.as_bytes()), None);
    assert_eq!(asset_codes(&diags), ["asset/missing", "asset/missing"]);
    assert_eq!(entries(&out).len(), 1);
}

#[test]
fn a_kmz_check_says_what_the_archive_lacks_at_the_reference() {
    let text = kml("files/pin.png", "files/gone%20photo.jpg");
    let source = kmz(&[("doc.kml", text.as_bytes()), ("files/pin.png", PIN)]);
    let mut file = Cursor::new(source.clone());
    for report in [
        geonorm::check(Input::Seekable(&mut file), &CheckOptions::default()),
        geonorm::check(Input::Bytes(&source), &CheckOptions::default()),
    ] {
        let report = report.expect("checked");
        let missing: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.code.as_str() == "asset/missing")
            .collect();
        assert_eq!(missing.len(), 1, "{:?}", report.diagnostics);
        assert!(missing[0].message.contains("files/gone%20photo.jpg"));
        let at = missing[0].span.expect("placed").start;
        assert!(text[at..].starts_with("<Placemark><name>B"));
    }
    // Held, the percent-decoded name is found.
    let source = kmz(&[
        ("doc.kml", text.as_bytes()),
        ("files/pin.png", PIN),
        ("files/gone photo.jpg", PHOTO),
    ]);
    let report = geonorm::check(Input::Bytes(&source), &CheckOptions::default()).expect("checked");
    assert!(asset_codes(&report.diagnostics).is_empty());
    let (out, _) = to_kmz(Input::Bytes(&source), None);
    assert_eq!(entry(&entries(&out), "files/gone photo.jpg"), Some(PHOTO));
}

#[test]
fn files_past_the_limits_are_said_not_carried_and_the_kmz_written() {
    // Two icons of 10 MiB of zeros in an archive of a few KiB: the first fits the
    // floor of what a KMZ's files may decompress to (16 MiB), the second does not.
    let zeros = vec![0u8; 10 << 20];
    let text = kml("files/a.png", "files/b.png");
    let source = kmz(&[
        ("doc.kml", text.as_bytes()),
        ("files/a.png", &zeros),
        ("files/b.png", &zeros),
    ]);
    let (out, diags) = to_kmz(Input::Bytes(&source), None);
    assert_eq!(asset_codes(&diags), ["asset/unreadable"], "{diags:?}");
    assert!(
        diags.iter().any(|d| d.message.contains("zip bomb")),
        "{diags:?}"
    );
    let all = entries(&out);
    assert_eq!(entry(&all, "files/a.png").map(<[u8]>::len), Some(10 << 20));
    assert_eq!(entry(&all, "files/b.png"), None);
}
