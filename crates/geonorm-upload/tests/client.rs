//! The client against a real local MapHub-compatible server (maphub-local) on
//! 127.0.0.1: the requests it sends, the answers it decodes, its retries, deadlines and
//! refusals (sending exactly once is tests/send.rs).

mod common;

use std::time::Duration;

use geonorm_upload::{
    ApiKey, AppendArgs, Client, ClientBuilder, Error, FileType, ImageType, UpdateArgs,
};
use maphub_local::{DropAfterBody, Faults};

use common::{client, empty_map, features, server, testdata, KEY};

fn group_titles(c: &Client, map: u64) -> Vec<String> {
    let mut t: Vec<String> = c.get(map).expect("get")["geojson"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["title"].as_str().map(str::to_string))
        .collect();
    t.sort();
    t
}

#[test]
fn append_sends_the_documented_request_and_decodes_the_answer() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let body = std::fs::read(testdata("geojson/maphub/alps-trip.geojson")).expect("fixture");
    let info = c
        .append(
            &AppendArgs {
                map_id: map,
                file_type: FileType::Geojson,
                new_group: None,
            },
            &body,
        )
        .expect("append");
    assert_eq!(info.id, map);
    let log = s.requests();
    let last = log.last().expect("logged");
    assert_eq!(last.endpoint, "map/append");
    assert_eq!(
        last.api_arg,
        Some(serde_json::json!({"map_id": map, "file_type": "geojson"}))
    );
    assert_eq!(last.body_bytes, body.len());
    assert!(last.authorized);
    assert_eq!(features(&c, map).len(), 6);
    let listed = c.list().expect("list");
    assert!(listed.owner.iter().any(|m| m.id == map));
    let updated = c
        .update(&UpdateArgs {
            map_id: map,
            title: Some("renamed".into()),
            ..Default::default()
        })
        .expect("update");
    assert_eq!(updated.title.as_deref(), Some("renamed"));
}

#[test]
fn errors_answered_with_http_200_are_api_errors() {
    let s = server();
    let c = client(&s);
    assert!(matches!(c.get(999), Err(Error::Api(m)) if m.contains("not found")));
    let wrong = ClientBuilder::new()
        .server(s.url())
        .api_key(ApiKey::new("wrong").expect("key"))
        .build()
        .expect("client");
    let err = wrong.list().expect_err("refused");
    assert!(matches!(err, Error::Api(_)));
    assert!(
        !err.to_string().contains("wrong") || err.to_string().contains("Invalid"),
        "no key in errors: {err}"
    );
}

#[test]
fn reads_retry_but_appends_do_not_after_a_503() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    s.set_faults(Faults {
        status_503: 2,
        ..Faults::default()
    });
    assert!(c.get(map).is_ok(), "get retried past two 503s");
    s.set_faults(Faults {
        status_503: 1,
        ..Faults::default()
    });
    let err = c
        .append(
            &AppendArgs {
                map_id: map,
                file_type: FileType::Geojson,
                new_group: None,
            },
            br#"{"type":"FeatureCollection","features":[]}"#,
        )
        .expect_err("not retried");
    assert!(matches!(err, Error::Http { status: 503, .. }), "{err}");
}

#[test]
fn a_refused_connection_is_retried_even_for_append_and_reported_as_never_sent() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let c = ClientBuilder::new()
        .server(format!("http://127.0.0.1:{port}"))
        .api_key(ApiKey::new(KEY).expect("key"))
        .retries(1, Duration::from_millis(5))
        .build()
        .expect("client");
    let err = c
        .append(
            &AppendArgs {
                map_id: 1,
                file_type: FileType::Kml,
                new_group: None,
            },
            b"<kml/>",
        )
        .expect_err("nobody listens");
    assert!(
        matches!(
            err,
            Error::Transport {
                maybe_sent: false,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert_eq!(text.matches("127.0.0.1").count(), 1, "the URL once: {text}");
}

#[test]
fn refresh_image_is_refused_locally_within_five_minutes() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    c.refresh_image(map).expect("first refresh");
    let calls = s.requests().len();
    assert!(
        matches!(c.refresh_image(map), Err(Error::RateLimited { wait_secs, .. }) if wait_secs > 200)
    );
    assert_eq!(
        s.requests().len(),
        calls,
        "no second call reached the server"
    );
}

fn append_args(map: u64, new_group: Option<&str>) -> AppendArgs {
    AppendArgs {
        map_id: map,
        file_type: FileType::Geojson,
        new_group: new_group.map(str::to_string),
    }
}

const ONE_POINT: &[u8] = br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"title":"p"},"geometry":{"type":"Point","coordinates":[8.5,47.4]}}]}"#;

#[test]
fn a_non_ascii_new_group_is_sent_as_ascii_json_and_arrives_exactly() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let title = "Zürich 🏔";
    c.append(&append_args(map, Some(title)), ONE_POINT)
        .expect("append lands");
    let logged = s.requests().last().expect("logged").api_arg.clone();
    assert_eq!(logged.expect("JSON header")["new_group"], title);
    assert_eq!(group_titles(&c, map), [title]);
}

#[test]
fn a_redirect_is_an_error_and_is_not_followed() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    s.set_faults(Faults {
        redirect: Some(format!("{}/api/1/map/get", s.url())),
        ..Faults::default()
    });
    let calls = s.requests().len();
    let err = c
        .append(&append_args(map, None), ONE_POINT)
        .expect_err("redirected");
    assert!(
        matches!(&err, Error::Redirected { status: 302, location, .. } if location.ends_with("/api/1/map/get")),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("does not follow redirects"),
        "{err}"
    );
    assert_eq!(
        s.requests().len(),
        calls + 1,
        "the redirect was not followed"
    );
    s.set_faults(Faults::default());
    assert!(features(&c, map).is_empty());
}

#[test]
fn a_key_with_an_invisible_character_is_refused_without_showing_it() {
    let dir = std::env::temp_dir().join(format!("geonorm-zw-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("key");
    std::fs::write(&path, format!("{KEY}\u{200B}\n")).expect("write");
    let err = ApiKey::from_file(&path).expect_err("refused").to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(err.contains("U+200B"), "{err}");
    assert!(err.contains("position 16 (of 16)"), "{err}");
    assert!(!err.contains(KEY), "{err}");
}

#[test]
fn a_server_echoing_the_request_never_gets_the_key_printed() {
    let s = server();
    let c = client(&s);
    for status in [200, 500] {
        s.set_faults(Faults {
            echo_request: Some(status),
            ..Faults::default()
        });
        let err = c.update(&UpdateArgs::default()).expect_err("echoed");
        let text = format!("{err} {err:?}");
        assert!(text.contains("Token ***"), "the echo came back: {text}");
        assert!(!text.contains(KEY), "{text}");
        match status {
            200 => assert!(matches!(err, Error::Api(_)), "{err:?}"),
            _ => assert!(matches!(err, Error::Http { status: 500, .. }), "{err:?}"),
        }
    }
}

fn quick_client(url: &str, limit: Duration) -> Client {
    ClientBuilder::new()
        .server(url)
        .api_key(ApiKey::new(KEY).expect("key"))
        .connect_timeout(Duration::from_secs(2))
        .timeout(limit)
        .send_timeout(limit)
        .retries(0, Duration::from_millis(10))
        .build()
        .expect("client")
}

#[test]
fn a_server_that_never_answers_or_drips_fails_at_the_deadline() {
    let s = server();
    let limit = Duration::from_millis(1500);
    for faults in [
        Faults {
            never_answer: true,
            ..Faults::default()
        },
        Faults {
            drip_ms: 200,
            ..Faults::default()
        },
    ] {
        s.set_faults(faults.clone());
        let c = quick_client(&s.url(), limit);
        let started = std::time::Instant::now();
        let err = c.list().expect_err("no answer");
        let took = started.elapsed();
        assert!(
            matches!(&err, Error::Transport { maybe_sent: true, message, .. } if message.contains("timed out")),
            "{faults:?}: {err:?}"
        );
        // Not before the deadline, and nowhere near the 10 minutes the server holds on.
        assert!(took >= limit && took < Duration::from_secs(15), "{took:?}");
        let append = c
            .append(&append_args(1, None), ONE_POINT)
            .expect_err("no answer");
        assert!(
            matches!(
                append,
                Error::Transport {
                    maybe_sent: true,
                    ..
                }
            ),
            "{append:?}"
        );
    }
}

/// A server on 127.0.0.1 that answers every connection with a 100 MB body, written
/// until the client hangs up.
fn huge_answer_server() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
                let _ = conn.read(&mut buf);
                let len = 100 * 1024 * 1024;
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n{{\"a\":\"");
                if conn.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let chunk = vec![b'x'; 64 * 1024];
                let mut sent = 0;
                while sent < len && conn.write_all(&chunk).is_ok() {
                    sent += chunk.len();
                }
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

#[test]
fn an_answer_over_the_cap_is_a_clear_error() {
    let url = huge_answer_server();
    let c = ClientBuilder::new()
        .server(&url)
        .api_key(ApiKey::new(KEY).expect("key"))
        .timeout(Duration::from_secs(10))
        .retries(0, Duration::from_millis(10))
        .max_map_bytes(2 << 20)
        .build()
        .expect("client");
    let err = c.update(&UpdateArgs::default()).expect_err("too large");
    assert!(
        matches!(err, Error::AnswerTooLarge { limit, .. } if limit == 1 << 20),
        "{err:?}"
    );
    let err = c.get(1).expect_err("too large");
    assert!(
        matches!(err, Error::AnswerTooLarge { limit, .. } if limit == 2 << 20),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("larger than 2097152 bytes"),
        "{err}"
    );
}

// ---------------------------------------------------------------- markers and images

/// A `w` × `h` PNG of one colour.
fn png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
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

/// How many requests the server got for `endpoint`.
fn requests_to(s: &maphub_local::Server, endpoint: &str) -> usize {
    s.requests()
        .iter()
        .filter(|r| r.endpoint == endpoint)
        .count()
}

#[test]
fn markers_and_images_upload_and_features_use_them() {
    let s = server();
    let c = client(&s);
    let icon = png(16, 16, [0, 128, 255]);
    let marker = c.upload_marker(&icon).expect("marker uploaded");
    let marker_str = marker.as_str().expect("maphub-local's ids are strings");
    assert_eq!(s.marker(marker_str), Some(icon.clone()));
    let log = s.requests();
    assert_eq!(log[0].endpoint, "marker/upload");
    assert_eq!(
        log[0].api_arg,
        Some(serde_json::json!({"file_type": "png"}))
    );
    assert_eq!(log[0].body_bytes, icon.len());

    let photo = jpeg(40, 30, [250, 250, 250]);
    let info = c
        .upload_image(&photo, ImageType::Jpg)
        .expect("image uploaded");
    assert_eq!((info.width, info.height), (40, 30));
    assert!(
        info.avg_color
            .as_deref()
            .is_some_and(|c| c.starts_with("#f")),
        "{info:?}"
    );
    assert!(info.tip_color.is_some());
    assert_eq!(info.extra.get("has_gps"), Some(&serde_json::json!(false)));
    assert_eq!(
        s.requests()[1].api_arg,
        Some(serde_json::json!({"file_type": "jpg"}))
    );
    let id = info.image_id.as_str().expect("a string");
    assert_eq!(s.image(id), Some(photo));
    let as_png = c
        .upload_image(&icon, ImageType::Png)
        .expect("PNG image uploaded");
    assert_eq!((as_png.width, as_png.height), (16, 16));
    assert_eq!(as_png.avg_color.as_deref(), Some("#0080ff"));
    assert_ne!(as_png.image_id, info.image_id);
    assert_eq!((s.marker_count(), s.image_count()), (1, 2));

    let map = empty_map(&c);
    let image = info.feature_image();
    assert_eq!(image["id"], info.image_id);
    assert_eq!(
        (&image["w"], &image["h"]),
        (&serde_json::json!(40), &serde_json::json!(30))
    );
    let geojson = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]},
         "properties": {"title": "icon", "marker_id": marker}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3, 4]},
         "properties": {"title": "photo", "image": image}}]});
    c.append(&append_args(map, None), geojson.to_string().as_bytes())
        .expect("append");
    let got = c.get(map).expect("get");
    assert_eq!(got["markers"], serde_json::json!([marker]));
    assert_eq!(got["images"], serde_json::json!([info.image_id]));
    assert_eq!(got["geojson"]["features"][1]["properties"]["image"], image);
}

#[test]
fn a_refused_upload_is_an_api_error() {
    let s = server();
    let c = client(&s);
    let icon = png(4, 4, [1, 2, 3]);
    let err = c
        .upload_image(&icon, ImageType::Jpg)
        .expect_err("a PNG is not a JPEG");
    assert!(
        matches!(&err, Error::Api(m) if m.contains("JPEG")),
        "{err:?}"
    );
    let err = c
        .upload_marker(&jpeg(8, 8, [0, 0, 0]))
        .expect_err("markers are PNG only");
    assert!(
        matches!(&err, Error::Api(m) if m.contains("PNG")),
        "{err:?}"
    );
    assert_eq!((s.marker_count(), s.image_count()), (0, 0));
}

/// A server on 127.0.0.1 that reads each request and answers it with HTTP 200 and
/// `body`.
fn fixed_answer_server(body: &'static str) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(&conn);
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut rest = vec![0; len];
                let _ = reader.read_exact(&mut rest);
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = (&conn).write_all(answer.as_bytes());
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn client_of(url: &str) -> Client {
    ClientBuilder::new()
        .server(url)
        .api_key(ApiKey::new(KEY).expect("key"))
        .timeout(Duration::from_secs(10))
        .send_timeout(Duration::from_secs(10))
        .retries(0, Duration::from_millis(10))
        .build()
        .expect("client")
}

#[test]
fn an_upload_answer_without_its_id_is_an_error() {
    let icon = png(2, 2, [0, 0, 0]);
    let c = client_of(&fixed_answer_server(r#"{"id": 5, "ok": true}"#));
    let err = c.upload_marker(&icon).expect_err("no marker_id");
    assert!(
        matches!(&err, Error::Decode { message, .. } if message.contains("no marker_id")),
        "{err:?}"
    );
    let err = c
        .upload_image(&icon, ImageType::Png)
        .expect_err("no image_id");
    assert!(
        matches!(&err, Error::Decode { message, .. } if message.contains("no image_id")),
        "{err:?}"
    );
    let c = client_of(&fixed_answer_server(
        r#"{"marker_id": null, "image_id": {}}"#,
    ));
    assert!(matches!(c.upload_marker(&icon), Err(Error::Decode { .. })));
    assert!(matches!(
        c.upload_image(&icon, ImageType::Png),
        Err(Error::Decode { .. })
    ));
    // An id, but no size.
    let c = client_of(&fixed_answer_server(r#"{"image_id": "a1", "width": 3}"#));
    let err = c
        .upload_image(&icon, ImageType::Png)
        .expect_err("no height");
    assert!(
        matches!(&err, Error::Decode { message, .. } if message.contains("height")),
        "{err:?}"
    );
    // Numbers are ids too.
    let c = client_of(&fixed_answer_server(
        r#"{"marker_id": 42, "image_id": 43, "width": 3, "height": 2}"#,
    ));
    assert_eq!(c.upload_marker(&icon).ok(), Some(serde_json::json!(42)));
    let info = c.upload_image(&icon, ImageType::Png).expect("decoded");
    assert_eq!(
        (info.image_id, info.width, info.height),
        (serde_json::json!(43), 3, 2)
    );
}

#[test]
fn a_dropped_upload_may_have_been_sent_and_is_not_retried() {
    let s = server();
    let c = client(&s);
    let icon = png(8, 8, [9, 9, 9]);
    for (endpoint, drop) in [
        ("marker/upload", DropAfterBody::Apply),
        ("image/upload", DropAfterBody::Discard),
    ] {
        s.set_faults(Faults {
            drop_after_body: Some(drop),
            drop_endpoint: Some(endpoint.into()),
            ..Faults::default()
        });
        let err = if endpoint == "marker/upload" {
            c.upload_marker(&icon).map(|_| ())
        } else {
            c.upload_image(&icon, ImageType::Png).map(|_| ())
        }
        .expect_err("no answer");
        assert!(
            matches!(
                err,
                Error::Transport {
                    maybe_sent: true,
                    ..
                }
            ),
            "{endpoint}: {err:?}"
        );
        assert_eq!(requests_to(&s, endpoint), 1, "{endpoint}: not retried");
    }
    // The marker was carried out before the drop; the image was not.
    assert_eq!((s.marker_count(), s.image_count()), (1, 0));
    // A 503 is not retried either: the upload may be carried out on a second try.
    s.set_faults(Faults {
        status_503: 1,
        ..Faults::default()
    });
    let err = c.upload_marker(&icon).expect_err("503");
    assert!(matches!(err, Error::Http { status: 503, .. }), "{err:?}");
    assert_eq!(requests_to(&s, "marker/upload"), 2);
    assert_eq!(s.marker_count(), 1);
}

#[test]
fn a_file_over_the_upload_limit_is_not_sent() {
    let s = server();
    let c = client(&s);
    let big = vec![0u8; usize::try_from(geonorm::MAPHUB_MAX_UPLOAD_BYTES).expect("fits") + 1];
    let err = c.upload_marker(&big).expect_err("too large");
    assert!(
        matches!(&err, Error::Transport { maybe_sent: false, message, .. } if message.contains("upload limit")),
        "{err:?}"
    );
    let err = c.upload_image(&big, ImageType::Jpg).expect_err("too large");
    assert!(
        matches!(
            err,
            Error::Transport {
                maybe_sent: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(s.requests().is_empty(), "nothing sent");
}

#[test]
fn localhost_with_a_trailing_dot_still_reaches_a_server_on_this_machine() {
    // `localhost.` is taken as 127.0.0.1/::1 without DNS, so whatever a resolver would
    // answer for it, the key in clear stays on this machine; the request still works.
    let s = server();
    let url = s.url().replace("127.0.0.1", "localhost.");
    assert!(url.starts_with("http://localhost.:"), "{url}");
    let c = ClientBuilder::new()
        .server(&url)
        .api_key(ApiKey::new(KEY).expect("key"))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    assert!(c.list().is_ok());
    assert!(s
        .requests()
        .iter()
        .any(|r| r.endpoint == "map/list" && r.authorized));
}

#[test]
fn a_key_with_quotes_or_backslashes_is_hidden_in_an_echoed_json_error() {
    // A server that echoes the request head in a JSON `error` writes the key
    // JSON-escaped: `"` as `\"`, `\` as `\\`. Neither spelling may show.
    let key = r#"k3y"with\quote"#;
    let s = maphub_local::Server::start(
        maphub_local::Config {
            api_key: key.into(),
            ..maphub_local::Config::default()
        },
        0,
    )
    .expect("server");
    let c = ClientBuilder::new()
        .server(s.url())
        .api_key(ApiKey::new(key).expect("key"))
        .retries(0, Duration::from_millis(10))
        .build()
        .expect("client");
    for status in [400, 200, 500] {
        s.set_faults(Faults {
            echo_request: Some(status),
            ..Faults::default()
        });
        let err = c.list().expect_err("echoed");
        let shown = format!("{err} {err:?}");
        assert!(
            shown.contains("Authorization"),
            "{status}: the echo is shown: {shown}"
        );
        for spelled in [
            key,
            r#"k3y\"with\\quote"#,
            "k3y%22with%5Cquote",
            "k3y\"",
            "k3y\\\"",
        ] {
            assert!(!shown.contains(spelled), "{status}: {spelled} in {shown}");
        }
    }
}
