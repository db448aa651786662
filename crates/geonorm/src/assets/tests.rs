use std::io::{Cursor, Write};

use super::*;
use crate::{kmz, Code};

/// An image of `w`×`h` pixels of one colour, encoded as `format`.
pub(crate) fn image_bytes(w: u32, h: u32, rgb: [u8; 3], format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .expect("encode");
    out.into_inner()
}

/// A 1-bit greyscale PNG of `w`×`h` pixels whose image data is an empty zlib stream:
/// its header reads as a PNG's (CRCs right), decoding it would fail on missing rows.
pub(crate) fn png_header(w: u32, h: u32) -> Vec<u8> {
    fn chunk(png: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let body = [kind, data].concat();
        let mut crc = !0u32;
        for &b in &body {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        png.extend_from_slice(&body);
        png.extend_from_slice(&(!crc).to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let ihdr = [&w.to_be_bytes()[..], &h.to_be_bytes(), &[1, 0, 0, 0, 0]].concat();
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

fn kmz_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, data) in entries {
        zip.start_file(*name, options).expect("entry");
        zip.write_all(data).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

const KML: &str = r#"<kml><Document>
<Style id="pin"><IconStyle><Icon><href>files/pin.png</href></Icon></IconStyle></Style>
<Style id="gif"><IconStyle><Icon><href>files/flag.gif</href></Icon></IconStyle></Style>
<Style id="big"><IconStyle><Icon><href>files/big.png</href></Icon></IconStyle></Style>
<Style id="same"><IconStyle><Icon><href>files/pin-copy.png</href></Icon></IconStyle></Style>
<Style id="gone"><IconStyle><Icon><href>files/gone.png</href></Icon></IconStyle></Style>
<Style id="web"><IconStyle><Icon><href>https://example.com/i.png</href></Icon></IconStyle></Style>
<Style id="google"><IconStyle><Icon><href>http://maps.google.com/mapfiles/kml/paddle/red-circle.png</href></Icon></IconStyle></Style>
<Style id="text"><IconStyle><Icon><href>files/notes.txt</href></Icon></IconStyle></Style>
<Style id="up"><IconStyle><Icon><href>../secret.png</href></Icon></IconStyle></Style>
<Placemark><name>A</name><styleUrl>#pin</styleUrl><Point><coordinates>1,1</coordinates></Point></Placemark>
<Placemark><name>B</name><styleUrl>#pin</styleUrl><Point><coordinates>2,2</coordinates></Point></Placemark>
<Placemark><name>C</name><styleUrl>#gif</styleUrl><Point><coordinates>3,3</coordinates></Point></Placemark>
<Placemark><name>D</name><styleUrl>#big</styleUrl><Point><coordinates>4,4</coordinates></Point></Placemark>
<Placemark><name>E</name><styleUrl>#same</styleUrl><Point><coordinates>5,5</coordinates></Point></Placemark>
<Placemark><name>F</name><styleUrl>#gone</styleUrl><Point><coordinates>6,6</coordinates></Point></Placemark>
<Placemark><name>G</name><styleUrl>#web</styleUrl><Point><coordinates>7,7</coordinates></Point></Placemark>
<Placemark><name>H</name><styleUrl>#google</styleUrl><Point><coordinates>8,8</coordinates></Point></Placemark>
<Placemark><name>I</name><styleUrl>#text</styleUrl><Point><coordinates>9,9</coordinates></Point></Placemark>
<Placemark><name>J</name><styleUrl>#up</styleUrl><Point><coordinates>10,10</coordinates></Point></Placemark>
<Placemark><name>Line</name><styleUrl>#pin</styleUrl><LineString><coordinates>1,1 2,2</coordinates></LineString></Placemark>
<Placemark><name>P1</name><description><![CDATA[Lunch here. <IMG class="x" SRC='files/IMG%201.jpg' width=300> <img src="https://example.com/web.jpg"> Great view.<img src=files/two.jpg>]]></description><Point><coordinates>11,11</coordinates></Point></Placemark>
<Placemark><name>P2</name><description>&lt;img src="files/old.bmp"/&gt;</description><Point><coordinates>12,12</coordinates></Point></Placemark>
</Document></kml>"#;

fn sample() -> (Document, Vec<u8>) {
    let pin = image_bytes(32, 32, [255, 0, 0], image::ImageFormat::Png);
    let entries: Vec<(&str, Vec<u8>)> = vec![
        ("doc.kml", KML.as_bytes().to_vec()),
        ("files/pin.png", pin.clone()),
        ("files/pin-copy.png", pin),
        (
            "files/flag.gif",
            image_bytes(16, 16, [0, 255, 0], image::ImageFormat::Gif),
        ),
        (
            "files/big.png",
            image_bytes(512, 256, [0, 0, 255], image::ImageFormat::Png),
        ),
        ("files/notes.txt", b"not an image".to_vec()),
        (
            "files/IMG 1.jpg",
            image_bytes(40, 30, [200, 100, 50], image::ImageFormat::Jpeg),
        ),
        (
            "files/two.jpg",
            image_bytes(8, 8, [1, 2, 3], image::ImageFormat::Jpeg),
        ),
        (
            "files/old.bmp",
            image_bytes(10, 20, [9, 9, 9], image::ImageFormat::Bmp),
        ),
    ];
    let refs: Vec<(&str, &[u8])> = entries.iter().map(|(n, b)| (*n, &b[..])).collect();
    let bytes = kmz_of(&refs);
    let (doc, _, _) = kmz::read(Cursor::new(&bytes[..]), &kmz::Limits::default()).expect("kmz");
    (doc, bytes)
}

fn codes(plan: &Plan) -> Vec<(Code, String)> {
    plan.diagnostics
        .iter()
        .map(|d| (d.code, d.message.clone()))
        .collect()
}

#[test]
fn a_kmz_s_icons_and_photos_are_planned_once_each() {
    let (doc, bytes) = sample();
    let mut files = kmz::files(Cursor::new(&bytes[..])).expect("files");
    let plan = plan(&doc, &mut files, Purpose::Maphub, Some(KML.as_bytes()));
    let summary: Vec<(AssetKind, &str, &str, u32, u32)> = plan
        .assets
        .iter()
        .map(|a| (a.kind, a.source.as_str(), a.file_type, a.width, a.height))
        .collect();
    assert_eq!(
        summary,
        vec![
            (AssetKind::Marker, "files/pin.png", "png", 32, 32),
            (AssetKind::Marker, "files/flag.gif", "png", 16, 16),
            (AssetKind::Marker, "files/big.png", "png", 128, 64),
            (AssetKind::Image, "files/IMG 1.jpg", "jpg", 40, 30),
            (AssetKind::Image, "files/old.bmp", "png", 10, 20),
        ]
    );
    // The copy under another name is the same content: one marker for A, B and E.
    assert_eq!(plan.features_of(0).collect::<Vec<_>>(), vec![0, 1, 4]);
    // The line's icon is no marker.
    assert!(!plan.uses.iter().any(|u| u.feature == 10));
    assert_eq!(plan.features_of(3).collect::<Vec<_>>(), vec![11]);
    assert_eq!(plan.features_of(4).collect::<Vec<_>>(), vec![12]);
    // The PNG is sent as it is; the GIF became a PNG; the big one was scaled.
    assert_eq!(plan.assets[0].bytes[..8], b"\x89PNG\r\n\x1a\n"[..]);
    assert_eq!(plan.assets[1].bytes[..4], b"\x89PNG"[..]);
    let said = codes(&plan);
    let has = |code: Code, part: &str| {
        assert!(
            said.iter().any(|(c, m)| *c == code && m.contains(part)),
            "no {code} saying {part:?} in {said:#?}"
        )
    };
    has(
        Code::AssetConverted,
        "files/flag.gif is converted from GIF to PNG",
    );
    has(Code::AssetConverted, "scaled from 512×256 to 128×64 px");
    has(
        Code::AssetConverted,
        "files/old.bmp is converted from BMP to PNG",
    );
    has(Code::AssetMissing, "files/gone.png is not in the KMZ");
    has(
        Code::AssetRemote,
        "https://example.com/i.png is a web address",
    );
    has(Code::AssetUnreadable, "files/notes.txt cannot be used");
    has(Code::AssetOutside, "../secret.png leads out");
    has(
        Code::AssetPhotoMoved,
        "files/IMG%201.jpg becomes the MapHub image of feature 12 (\"P1\")",
    );
    has(Code::AssetExtraImage, "1 more local photo (files/two.jpg)");
    // Google's icons are the reader's business, and web photos show as they are.
    assert!(!said
        .iter()
        .any(|(_, m)| m.contains("maps.google.com") || m.contains("web.jpg")));
    // Positions point at the reference in the KML.
    let missing = plan
        .diagnostics
        .iter()
        .find(|d| d.code == Code::AssetMissing)
        .expect("missing");
    let span = missing.span.expect("span");
    assert_eq!(&KML[span.start..span.end], "files/gone.png");
    assert!(
        missing.message.ends_with("1 feature goes without it"),
        "{}",
        missing.message
    );
}

#[test]
fn answers_go_into_the_features_that_use_them() {
    let (mut doc, bytes) = sample();
    let mut files = kmz::files(Cursor::new(&bytes[..])).expect("files");
    let plan = plan(&doc, &mut files, Purpose::Maphub, None);
    let answers: Vec<Option<Value>> = plan
        .assets
        .iter()
        .enumerate()
        .map(|(i, a)| {
            Some(match a.kind {
                AssetKind::Marker => Value::from(format!("m{i}")),
                AssetKind::Image => {
                    serde_json::json!({"id": format!("i{i}"), "w": a.width, "h": a.height})
                }
            })
        })
        .collect();
    apply_uploaded(&mut doc, &plan, &answers);
    let f = |i: usize| &doc.features[i];
    assert_eq!(f(0).properties["marker_id"], "m0");
    assert_eq!(f(4).properties["marker_id"], "m0");
    assert_eq!(f(2).properties["marker_id"], "m1");
    assert_eq!(f(0).style.icon, None);
    // Not made a marker: kept as it was.
    assert_eq!(f(5).style.icon.as_deref(), Some("files/gone.png"));
    assert!(!f(5).properties.contains_key("marker_id"));
    assert_eq!(f(11).properties["image"]["id"], "i3");
    assert_eq!(
        f(11).description.as_deref(),
        Some(
            r#"Lunch here.  <img src="https://example.com/web.jpg"> Great view.<img src=files/two.jpg>"#
        )
    );
    // A description that was only the photo is gone.
    assert_eq!(f(12).properties["image"]["w"], 10);
    assert_eq!(f(12).description, None);
}

#[test]
fn for_files_every_local_reference_is_kept_as_it_is_and_can_be_pointed_elsewhere() {
    let (mut doc, bytes) = sample();
    let mut files = kmz::files(Cursor::new(&bytes[..])).expect("files");
    let plan = plan(&doc, &mut files, Purpose::Files, None);
    let gif = plan
        .assets
        .iter()
        .position(|a| a.source == "files/flag.gif")
        .expect("gif");
    assert_eq!(plan.assets[gif].file_type, "gif");
    assert_eq!(plan.assets[gif].bytes[..3], b"GIF"[..]);
    // Both photos of P1 and the line's icon too.
    assert!(plan.assets.iter().any(|a| a.source == "files/two.jpg"));
    assert!(plan.uses.iter().any(|u| u.feature == 10));
    assert!(!plan
        .diagnostics
        .iter()
        .any(|d| d.code == Code::AssetExtraImage
            || d.code == Code::AssetPhotoMoved
            || d.code == Code::AssetConverted));
    let paths: Vec<Option<String>> = plan
        .assets
        .iter()
        .map(|a| Some(format!("out dir/{}", a.source)))
        .collect();
    apply_paths(&mut doc, &plan, &paths);
    assert_eq!(
        doc.features[2].style.icon.as_deref(),
        Some("out dir/files/flag.gif")
    );
    assert_eq!(
        doc.features[11].description.as_deref(),
        Some(
            r#"Lunch here. <IMG class="x" SRC='out dir/files/IMG 1.jpg' width=300> <img src="https://example.com/web.jpg"> Great view.<img src=out dir/files/two.jpg>"#
        )
    );
}

#[test]
fn img_tags_are_found_as_html_writes_them() {
    let html = r#"a<img src="x.png">b<IMG alt='>' src='y.jpg'/><img
 src=z.gif><imgx src="no"><img alt="none"><img src="cut"#;
    let found: Vec<(&str, &str)> = img_tags(html)
        .into_iter()
        .map(|(t, s)| (&html[t], &html[s]))
        .collect();
    assert_eq!(
        found,
        vec![
            (r#"<img src="x.png">"#, "x.png"),
            (r#"<IMG alt='>' src='y.jpg'/>"#, "y.jpg"),
            ("<img\n src=z.gif>", "z.gif"),
        ]
    );
    assert_eq!(
        html_unescaped("a&amp;b&#32;c&#x41;&bogus;&"),
        "a&b cA&bogus;&"
    );
    assert_eq!(percent_decoded("a%20b%2"), Some("a b%2".into()));
    assert_eq!(percent_decoded("plain"), None);
}

#[test]
fn a_folder_gives_only_its_own_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("trip");
    std::fs::create_dir_all(root.join("icons")).expect("mkdir");
    std::fs::write(root.join("icons/a.png"), b"A").expect("write");
    std::fs::write(dir.path().join("secret.png"), b"S").expect("write");
    let mut files = DirFiles::new(&root).expect("dir");
    assert!(matches!(files.fetch("icons/a.png"), Fetched::Found { bytes, .. } if bytes == b"A"));
    assert!(matches!(files.fetch("icons/b.png"), Fetched::Missing));
    assert!(matches!(files.fetch("../secret.png"), Fetched::Outside));
    assert!(matches!(
        files.fetch("icons/../../secret.png"),
        Fetched::Outside
    ));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join("secret.png"), root.join("icons/link.png"))
            .expect("symlink");
        assert!(matches!(files.fetch("icons/link.png"), Fetched::Outside));
    }
}

#[test]
fn hostile_images_are_reported_not_fatal() {
    // A PNG header claiming 100000×100000 pixels.
    let mut png = image_bytes(1, 1, [0, 0, 0], image::ImageFormat::Png);
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let limits = Limits::default();
    let mut pixels = Pixels::new(&limits);
    assert!(prepare_marker(&png, &limits, &mut pixels).is_err());
    assert!(prepare_image(&png, &limits, &mut pixels).is_err());
    assert!(prepare_marker(b"", &limits, &mut pixels).is_err());
    assert!(prepare_image(b"GIF89a", &limits, &mut pixels).is_err());
}

#[test]
fn an_icon_over_the_pixel_limit_is_refused_from_its_header() {
    // A 1-bit PNG header claiming 20000×20000 pixels, with no pixel data at all: the
    // refusal comes from the header alone, or decoding would fail on the missing data
    // with another message.
    let png = png_header(20_000, 20_000);
    let limits = Limits::default();
    let mut pixels = Pixels::new(&limits);
    let err = prepare_marker(&png, &limits, &mut pixels).expect_err("refused");
    assert!(
        err.contains("over the limit of 16000000 pixels for an icon"),
        "{err}"
    );
}

#[test]
fn the_pixels_of_one_input_are_budgeted_together() {
    let limits = Limits {
        max_total_pixels: 3 * 64 * 64,
        ..Limits::default()
    };
    let mut pixels = Pixels::new(&limits);
    for i in 0..3u8 {
        let icon = image_bytes(64, 64, [i, 0, 0], image::ImageFormat::Png);
        assert!(
            prepare_marker(&icon, &limits, &mut pixels).is_ok(),
            "icon {i}"
        );
    }
    let fourth = image_bytes(64, 64, [9, 0, 0], image::ImageFormat::Png);
    let err = prepare_marker(&fourth, &limits, &mut pixels).expect_err("over");
    assert!(err.contains("decompression bomb"), "{err}");
}

#[test]
fn every_uploaded_image_is_encoded_afresh() {
    // A small PNG with an HTML page after its end: a polyglot a browser may render.
    let mut png = image_bytes(16, 16, [1, 2, 3], image::ImageFormat::Png);
    png.extend_from_slice(b"<html><script>alert(1)</script></html>");
    let jpg = {
        let mut j = image_bytes(16, 16, [1, 2, 3], image::ImageFormat::Jpeg);
        j.extend_from_slice(b"<html><script>alert(1)</script></html>");
        j
    };
    let limits = Limits::default();
    let mut pixels = Pixels::new(&limits);
    let has_html = |b: &[u8]| memchr::memmem::find(b, b"<script>").is_some();
    let marker = prepare_marker(&png, &limits, &mut pixels).expect("marker");
    assert!(!has_html(&marker.bytes) && marker.bytes.starts_with(b"\x89PNG"));
    assert!(marker.done.is_none(), "{:?}", marker.done);
    let photo = prepare_image(&png, &limits, &mut pixels).expect("photo");
    assert!(!has_html(&photo.bytes) && photo.file_type == "png");
    let photo = prepare_image(&jpg, &limits, &mut pixels).expect("jpeg");
    assert!(!has_html(&photo.bytes) && photo.file_type == "jpg");
    assert!(photo.bytes.starts_with(b"\xff\xd8"));
}

#[test]
fn an_archive_s_entries_decompress_within_a_ratio_of_its_size() {
    // 40 entries of 1 MiB of zeros each: a few kilobytes zipped, 40 MiB unzipped.
    let zeros = vec![0u8; 1 << 20];
    let names: Vec<String> = (0..40).map(|i| format!("files/{i}.png")).collect();
    let mut entries: Vec<(&str, &[u8])> = vec![("doc.kml", b"<kml/>")];
    entries.extend(names.iter().map(|n| (n.as_str(), &zeros[..])));
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in &entries {
        zip.start_file(*name, deflated).expect("entry");
        zip.write_all(data).expect("write");
    }
    let bytes = zip.finish().expect("finish").into_inner();
    assert!(bytes.len() < 200_000, "{}", bytes.len());
    let mut files = kmz::files(Cursor::new(&bytes[..])).expect("kmz");
    let mut found = 0;
    let mut refused = None;
    for n in &names {
        match files.fetch(n) {
            Fetched::Found { bytes, .. } => found += bytes.len(),
            Fetched::Failed(why) => {
                refused = Some(why);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    // The floor of 16 MiB, as the archive is small.
    assert_eq!(found, ASSET_RATIO_FLOOR as usize);
    let why = refused.expect("refused past the budget");
    assert!(why.contains("zip bomb"), "{why}");
}

#[test]
fn a_photo_overlay_at_a_point_sends_its_photo_as_the_point_s_image() {
    let kml = r#"<kml><Document>
<PhotoOverlay><name>Waterfall</name><description>Loud.</description>
  <Camera><longitude>1</longitude><latitude>2</latitude></Camera>
  <Icon><href>files/fall.jpg</href></Icon>
  <ViewVolume><leftFov>-20</leftFov><rightFov>20</rightFov><bottomFov>-15</bottomFov><topFov>15</topFov><near>10</near></ViewVolume>
  <Point><coordinates>1,2</coordinates></Point>
</PhotoOverlay>
<PhotoOverlay><name>Pyramid</name><Icon><href>tiles/$[level]/$[x]_$[y].jpg</href></Icon><Point><coordinates>3,4</coordinates></Point></PhotoOverlay>
<PhotoOverlay><name>View only</name><Icon><href>files/fall.jpg</href></Icon></PhotoOverlay>
</Document></kml>"#;
    let bytes = kmz_of(&[
        ("doc.kml", kml.as_bytes()),
        (
            "files/fall.jpg",
            &image_bytes(12, 9, [0, 90, 200], image::ImageFormat::Jpeg),
        ),
    ]);
    let (mut doc, diags, _) =
        kmz::read(Cursor::new(&bytes[..]), &kmz::Limits::default()).expect("kmz");
    let titles: Vec<_> = doc.features.iter().map(|f| f.title.as_deref()).collect();
    assert_eq!(titles, vec![Some("Waterfall"), Some("Pyramid")]);
    assert_eq!(
        doc.features[0].description.as_deref(),
        Some(r#"Loud.<img src="files/fall.jpg">"#)
    );
    assert!(matches!(doc.features[0].geometry, Some(Geometry::Point(_))));
    let said: Vec<(Code, &str)> = diags.iter().map(|d| (d.code, d.message.as_str())).collect();
    assert!(
        said.iter()
            .any(|(c, m)| *c == Code::KmlPhotoOverlay && m.contains("files/fall.jpg")),
        "{said:#?}"
    );
    assert!(
        said.iter()
            .any(|(c, m)| *c == Code::KmlNotRepresentable && m.contains("tiled image pyramid")),
        "{said:#?}"
    );
    assert!(
        said.iter()
            .any(|(c, m)| *c == Code::KmlNotRepresentable
                && m.starts_with("PhotoOverlay has no place")),
        "{said:#?}"
    );
    assert!(
        said.iter()
            .any(|(c, m)| *c == Code::KmlIgnoredElement && m.contains("ViewVolume")),
        "{said:#?}"
    );
    let mut files = kmz::files(Cursor::new(&bytes[..])).expect("files");
    let plan = plan(&doc, &mut files, Purpose::Maphub, Some(kml.as_bytes()));
    assert_eq!(plan.assets.len(), 1);
    assert_eq!((plan.assets[0].width, plan.assets[0].height), (12, 9));
    apply_uploaded(
        &mut doc,
        &plan,
        &[Some(serde_json::json!({"id": "x", "w": 12, "h": 9}))],
    );
    assert_eq!(doc.features[0].description.as_deref(), Some("Loud."));
    assert_eq!(doc.features[0].properties["image"]["id"], "x");
}

#[test]
fn every_finding_is_placed_at_its_own_reference() {
    // Twenty thousand distinct missing icons: each finding at its own `<href>`.
    let n = 20_000;
    let mut kml = String::from("<kml><Document>");
    for i in 0..n {
        kml.push_str(&format!(
            "<Placemark><Style><IconStyle><Icon><href>files/m-{i}.png</href></Icon></IconStyle></Style><Point><coordinates>1,1</coordinates></Point></Placemark>"
        ));
    }
    kml.push_str("</Document></kml>");
    let bytes = kmz_of(&[("doc.kml", kml.as_bytes())]);
    let (doc, _, _) = kmz::read(Cursor::new(&bytes[..]), &kmz::Limits::default()).expect("kmz");
    let plan = plan_source(&doc, crate::Format::Kmz, &bytes, None, Purpose::Maphub)
        .expect("plan")
        .expect("a kmz");
    assert_eq!(plan.diagnostics.len(), n);
    for d in &plan.diagnostics {
        let s = d.span.expect("placed");
        let href = &kml[s.start..s.end];
        assert!(
            d.message.contains(&format!("the icon {href} is not")),
            "{href}: {}",
            d.message
        );
    }
}
