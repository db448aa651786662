//! The server's marker and image endpoints, driven over real HTTP (`common/`): what
//! they take and refuse, what `map/get` lists, and faults aimed at them.

mod common;
use common::*;

use maphub_local::{Config, DropAfterBody, Faults, Server};
use serde_json::{json, Value};
/// A `w` × `h` PNG, red (with full alpha) but for its bottom row, which is blue.
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |_, y| {
        if y + 1 == h {
            image::Rgba([0, 0, 255, 255])
        } else {
            image::Rgba([255, 0, 0, 255])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("PNG written");
    out.into_inner()
}

/// A `w` × `h` JPEG of one colour.
fn jpeg(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(&img)
        .expect("JPEG written");
    out
}

/// `#rrggbb` as numbers.
fn rgb_of(hex: &Value) -> [i32; 3] {
    let s = hex.as_str().expect("a colour string");
    assert!(s.len() == 7 && s.starts_with('#'), "{s}");
    let c = |i: usize| i32::from_str_radix(&s[i..i + 2], 16).expect("hex");
    [c(1), c(3), c(5)]
}

fn is_asset_id(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 12
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn upload_marker(server: &Server, file: &[u8]) -> Value {
    let (status, answer) = call_file(server, "marker/upload", json!({"file_type": "png"}), file);
    assert_eq!(status, 200);
    assert!(answer.get("error").is_none(), "{answer}");
    assert_eq!(answer.as_object().map(|o| o.len()), Some(1), "{answer}");
    answer["marker_id"].clone()
}

fn upload_image(server: &Server, file_type: &str, file: &[u8]) -> Value {
    let (status, answer) = call_file(
        server,
        "image/upload",
        json!({ "file_type": file_type }),
        file,
    );
    assert_eq!(status, 200);
    assert!(answer.get("error").is_none(), "{answer}");
    answer
}

/// Fetches an uploaded file back through `/_control/<kind>`.
fn fetch_back(server: &Server, kind: &str, id: &Value) -> Reply {
    post(
        server.port(),
        &format!("/_control/{kind}"),
        &control(),
        json!({ "id": id }).to_string().as_bytes(),
    )
    .expect("an answer")
}

#[test]
fn marker_upload_takes_a_png_and_gives_it_back() {
    let server = start();
    let icon = png(32, 32);
    let id = upload_marker(&server, &icon);
    assert!(is_asset_id(&id), "{id}");
    let other = upload_marker(&server, &icon);
    assert_ne!(id, other, "every upload is a new marker");
    assert_eq!(server.marker_count(), 2);
    assert_eq!(server.image_count(), 0);
    assert_eq!(
        server.marker(id.as_str().expect("a string")),
        Some(icon.clone())
    );
    assert_eq!(server.marker("000000000000"), None);
    let back = fetch_back(&server, "marker", &id);
    assert_eq!(back.status, 200);
    assert!(
        back.head.contains("Content-Type: image/png"),
        "{}",
        back.head
    );
    assert_eq!(back.body, icon);
    // A marker is not an image.
    assert_eq!(fetch_back(&server, "image", &id).status, 404);
    let log = server.requests();
    assert_eq!(log[0].endpoint, "marker/upload");
    assert_eq!(log[0].api_arg, Some(json!({"file_type": "png"})));
    assert_eq!(log[0].body_bytes, icon.len());
}

#[test]
fn marker_upload_takes_nothing_but_a_png() {
    let server = start();
    let icon = png(8, 8);
    for (args, file, expected) in [
        (
            json!({"file_type": "jpg"}),
            &icon[..],
            "Invalid file_type \"jpg\"",
        ),
        (json!({"file_type": "gif"}), &icon[..], "Invalid file_type"),
        (json!({}), &icon[..], "Missing argument: file_type"),
        (
            json!({"file_type": "png"}),
            b"not an image",
            "Could not read the file as PNG",
        ),
        (
            json!({"file_type": "png"}),
            b"",
            "Could not read the file as PNG",
        ),
        (
            json!({"file_type": "png"}),
            &icon[..icon.len() / 2],
            "Could not read the file as PNG",
        ),
    ] {
        let (status, answer) = call_file(&server, "marker/upload", args.clone(), file);
        assert_eq!(status, 200);
        assert!(error_of(&answer).starts_with(expected), "{args}: {answer}");
    }
    let (_, answer) = call_file(
        &server,
        "marker/upload",
        json!({"file_type": "png"}),
        &jpeg(8, 8, [1, 2, 3]),
    );
    assert!(
        error_of(&answer).starts_with("Could not read the file as PNG"),
        "{answer}"
    );
    let wrong_key = post(
        server.port(),
        "/api/1/marker/upload",
        &[
            ("Authorization", "Token nope"),
            ("MapHub-API-Arg", r#"{"file_type":"png"}"#),
        ],
        &icon,
    )
    .expect("an answer");
    assert_eq!(error_of(&wrong_key.json()), "Invalid API key");
    assert_eq!(server.marker_count(), 0);
}

#[test]
fn image_upload_reads_size_and_colours_from_the_pixels() {
    let server = start();
    // 19 red rows and a blue one: the mean is (255·19/20, 0, 255/20) rounded.
    let file = png(30, 20);
    let answer = upload_image(&server, "png", &file);
    assert!(is_asset_id(&answer["image_id"]), "{answer}");
    let id = answer["image_id"].clone();
    assert_eq!(
        answer,
        json!({"image_id": id, "width": 30, "height": 20, "tip_color": "#0000ff",
               "avg_color": "#f2000d", "has_gps": false, "geometry": null,
               "date_str": null, "date_iso": null})
    );
    let back = fetch_back(&server, "image", &id);
    assert_eq!(back.status, 200);
    assert!(
        back.head.contains("Content-Type: image/png"),
        "{}",
        back.head
    );
    assert_eq!(back.body, file);

    let photo = jpeg(64, 48, [200, 100, 50]);
    for file_type in ["jpg", "jpeg"] {
        let answer = upload_image(&server, file_type, &photo);
        assert_eq!(
            (answer["width"].as_u64(), answer["height"].as_u64()),
            (Some(64), Some(48))
        );
        assert_ne!(answer["image_id"], id);
        // JPEG is lossy: near the colour, not on it.
        for key in ["avg_color", "tip_color"] {
            let got = rgb_of(&answer[key]);
            let near = got
                .iter()
                .zip([200, 100, 50])
                .all(|(g, want)| (g - want).abs() <= 3);
            assert!(near, "{key}: {got:?}");
        }
        let jpg_id = answer["image_id"].as_str().expect("a string");
        assert_eq!(server.image(jpg_id), Some(photo.clone()));
        let back = fetch_back(&server, "image", &answer["image_id"]);
        assert!(
            back.head.contains("Content-Type: image/jpeg"),
            "{}",
            back.head
        );
        assert_eq!(back.body, photo);
    }
    assert_eq!(server.image_count(), 3);
    assert_eq!(server.marker_count(), 0);
}

#[test]
fn image_upload_refuses_a_file_that_is_not_its_file_type() {
    let server = start();
    let photo = jpeg(16, 16, [0, 0, 0]);
    let picture = png(16, 16);
    for (file_type, file, expected) in [
        ("png", &photo[..], "Could not read the file as PNG"),
        ("jpg", &picture[..], "Could not read the file as JPEG"),
        (
            "jpg",
            b"GIF89a not really",
            "Could not read the file as JPEG",
        ),
        ("jpg", &photo[..20], "Could not read the file as JPEG"),
        ("gif", &picture[..], "Invalid file_type \"gif\""),
    ] {
        let (status, answer) = call_file(
            &server,
            "image/upload",
            json!({ "file_type": file_type }),
            file,
        );
        assert_eq!(status, 200);
        assert!(
            error_of(&answer).starts_with(expected),
            "{file_type}: {answer}"
        );
    }
    assert_eq!(server.image_count(), 0);
}

#[test]
fn a_too_large_marker_or_image_is_refused() {
    let server = start_with(Config {
        api_key: KEY.into(),
        max_upload_bytes: 100,
        ..Config::default()
    });
    let file = png(64, 64);
    assert!(file.len() > 100);
    for endpoint in ["marker/upload", "image/upload"] {
        let (_, answer) = call_file(&server, endpoint, json!({"file_type": "png"}), &file);
        assert_eq!(
            error_of(&answer),
            "File too large (limit 100 bytes)",
            "{endpoint}"
        );
    }
    assert_eq!((server.marker_count(), server.image_count()), (0, 0));
}

#[test]
fn map_get_lists_the_markers_and_images_its_features_use() {
    let server = start();
    let used = upload_marker(&server, &png(8, 8));
    let unused = upload_marker(&server, &png(9, 9));
    let photo = upload_image(&server, "jpg", &jpeg(16, 8, [9, 9, 9]));
    let id = upload_empty(&server);
    let (_, before) = call(&server, "map/get", json!({ "map_id": id }));
    assert_eq!(
        (&before["markers"], &before["images"]),
        (&json!([]), &json!([]))
    );
    let image = json!({"id": photo["image_id"], "w": 16, "h": 8,
                       "tip_color": photo["tip_color"], "avg_color": photo["avg_color"]});
    let geojson = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]},
         "properties": {"title": "a", "marker_id": used}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3, 4]},
         "properties": {"title": "b", "marker_id": used, "image": image}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [5, 6]},
         "properties": {"title": "c", "marker_id": "0123456789ab", "image": {"id": "ba9876543210"}}}
    ]});
    let (_, answer) = call_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson"}),
        geojson.to_string().as_bytes(),
    );
    assert!(answer.get("error").is_none(), "{answer}");
    let map = get(&server, id);
    assert_eq!(map["markers"], json!([used]));
    assert_eq!(map["images"], json!([photo["image_id"]]));
    assert_ne!(map["markers"], json!([unused]));
    let features = features(&map);
    assert_eq!(features[1]["properties"]["marker_id"], used);
    assert_eq!(features[1]["properties"]["image"], image);
}

#[test]
fn faults_aim_at_marker_and_image_upload() {
    let server = start();
    let icon = png(8, 8);
    server.set_faults(Faults {
        drop_after_body: Some(DropAfterBody::Discard),
        drop_endpoint: Some("marker/upload".into()),
        ..Faults::default()
    });
    // Another endpoint passes; the marker upload is dropped, not carried out.
    upload_image(&server, "png", &icon);
    let reply = send_file(&server, "marker/upload", json!({"file_type": "png"}), &icon);
    assert!(reply.is_none(), "no answer");
    assert_eq!(server.marker_count(), 0);
    let log = server.requests();
    assert_eq!(log[1].endpoint, "marker/upload");
    assert_eq!(log[1].api_arg, Some(json!({"file_type": "png"})));
    assert_eq!(log[1].body_bytes, icon.len());

    server.set_faults(Faults {
        drop_after_body: Some(DropAfterBody::Apply),
        drop_endpoint: Some("image/upload".into()),
        ..Faults::default()
    });
    upload_marker(&server, &icon);
    let reply = send_file(&server, "image/upload", json!({"file_type": "png"}), &icon);
    assert!(reply.is_none(), "no answer");
    assert_eq!((server.marker_count(), server.image_count()), (1, 2));

    server.set_faults(Faults {
        fail_after: Some(1),
        ..Faults::default()
    });
    upload_marker(&server, &icon);
    let reply =
        send_file(&server, "marker/upload", json!({"file_type": "png"}), &icon).expect("an answer");
    assert_eq!(reply.status, 500);
    let reply =
        send_file(&server, "image/upload", json!({"file_type": "png"}), &icon).expect("an answer");
    assert_eq!(reply.status, 500);
    assert_eq!((server.marker_count(), server.image_count()), (2, 2));
    assert_eq!(server.requests().len(), 7);
}

#[test]
fn fetching_files_back_needs_the_key_and_a_known_id() {
    let server = start();
    let icon = png(8, 8);
    let id = upload_marker(&server, &icon);
    let body = json!({ "id": id }).to_string();
    for path in ["/_control/marker", "/_control/image"] {
        let no_key = post(
            server.port(),
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .expect("an answer");
        assert_eq!(no_key.status, 401, "{path}");
        let mut from_page = control();
        from_page.push(("Origin", "https://evil.example".to_owned()));
        let reply = post(server.port(), path, &from_page, body.as_bytes()).expect("an answer");
        assert_eq!(reply.status, 403, "{path}");
        let reply = post(server.port(), path, &control(), b"{}").expect("an answer");
        assert_eq!(reply.status, 400, "{path}");
        let reply = fetch_back(&server, &path["/_control/".len()..], &json!("0123456789ab"));
        assert_eq!(reply.status, 404, "{path}");
    }
    // Control requests are not logged.
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn markers_and_images_persist_in_the_data_dir() {
    let dir = temp_dir("assets");
    let config = Config {
        api_key: KEY.into(),
        data_dir: Some(dir.clone()),
        ..Config::default()
    };
    let icon = png(8, 8);
    let photo = jpeg(24, 16, [10, 200, 30]);
    let (marker, image) = {
        let server = start_with(config.clone());
        (
            upload_marker(&server, &icon),
            upload_image(&server, "jpg", &photo),
        )
    };
    let image_id = image["image_id"].as_str().expect("a string");
    assert!(dir.join(format!("image-{image_id}.jpg")).is_file());
    let server = start_with(config);
    assert_eq!((server.marker_count(), server.image_count()), (1, 1));
    assert_eq!(
        server.marker(marker.as_str().expect("a string")),
        Some(icon)
    );
    assert_eq!(server.image(image_id), Some(photo));
    let again = upload_marker(&server, &png(8, 8));
    assert_ne!(again, marker);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
