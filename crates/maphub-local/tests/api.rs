//! The server's API, driven over real HTTP with a small client on `TcpStream`
//! (`common/`): keys, endpoints, merging of groups, updates, faults, control endpoints
//! and persistence. Markers and images are in `api_assets.rs`.

mod common;
use common::*;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use maphub_local::{Config, DropAfterBody, Faults};
use serde_json::{json, Value};
#[test]
fn a_wrong_or_missing_key_is_an_error_answered_with_200() {
    let server = start();
    let wrong = post(
        server.port(),
        "/api/1/map/list",
        &[("Authorization", "Token nope")],
        b"{}",
    )
    .expect("an answer");
    assert_eq!(wrong.status, 200);
    assert_eq!(error_of(&wrong.json()), "Invalid API key");
    assert!(wrong.head.contains("Connection: close"));
    let missing = post(
        server.port(),
        "/api/1/map/list",
        &[] as &[(&str, &str)],
        b"",
    )
    .expect("an answer");
    assert_eq!(missing.status, 200);
    assert_eq!(error_of(&missing.json()), "Invalid API key");

    let (status, list) = call(&server, "map/list", json!({}));
    assert_eq!(status, 200);
    assert_eq!(list, json!({"owner": [], "editor": [], "viewer": []}));

    let log = server.requests();
    assert_eq!(log.len(), 3);
    assert!(!log[0].authorized && !log[1].authorized && log[2].authorized);
    assert_eq!(log[1].api_arg, Some(json!({})));
}

#[test]
fn unknown_endpoints_and_malformed_requests() {
    let server = start();
    let reply = try_call(&server, "map/nothing", json!({})).expect("an answer");
    assert_eq!(reply.status, 404);
    assert_eq!(error_of(&reply.json()), "Unknown endpoint");

    let no_length = send_raw(
        server.port(),
        b"POST /api/1/map/list HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .expect("an answer");
    assert_eq!(no_length.status, 411);

    let garbage = send_raw(server.port(), b"HELLO\r\n\r\n").expect("an answer");
    assert_eq!(garbage.status, 400);

    let get = send_raw(
        server.port(),
        b"GET /api/1/map/list HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .expect("an answer");
    assert_eq!(get.status, 405);

    let (status, bad) = call_raw_body(&server, "map/get", b"{not json");
    assert_eq!(status, 200);
    assert!(error_of(&bad).starts_with("Invalid JSON"), "{bad}");
    let (_, missing) = call(&server, "map/get", json!({}));
    assert!(error_of(&missing).contains("map_id"), "{missing}");
    let (_, unknown) = call(&server, "map/get", json!({"map_id": 99}));
    assert_eq!(error_of(&unknown), "Map not found");
    let reply =
        send_file(&server, "map/upload", json!({"file_type": "empty"}), b"").expect("an answer");
    assert!(error_of(&reply.json()).contains("visibility"));
    assert_eq!(server.map_count(), 0);
}

#[test]
fn appending_twice_merges_groups_by_path_and_doubles_features() {
    let server = start();
    let id = upload_empty(&server);
    for _ in 0..2 {
        let (status, summary) = call_file(
            &server,
            "map/append",
            json!({"map_id": id, "file_type": "geojson"}),
            NESTED.as_bytes(),
        );
        assert_eq!(status, 200);
        assert_eq!(summary["id"], json!(id));
        assert_eq!(summary["owner"], "local");
        assert_eq!(summary["url"], format!("{}/map/{id}", server.url()));
    }
    let map = get(&server, id);
    let groups = map["geojson"]["groups"].as_array().expect("groups");
    assert_eq!(
        groups,
        &vec![
            json!({"title": "A", "id": 1}),
            json!({"title": "A\u{FF0F}B", "id": 2})
        ]
    );
    let all = features(&map);
    assert_eq!(all.len(), 6);
    for half in [0, 3] {
        assert_eq!(all[half]["properties"]["group"], 1);
        assert_eq!(all[half + 1]["properties"]["group"], 2);
        assert!(all[half + 2]["properties"].get("group").is_none());
    }
    assert_eq!(map["images"], json!([]));
    assert_eq!(map["markers"], json!([]));
    assert_eq!(map["title"], "Empty");
    assert_eq!(map["visibility"], "private");

    // A group nested in an existing one is added under it.
    let deeper = NESTED.replace("A\\uFF0FB", "A\\uFF0FC");
    call_file(
        &server,
        "map/append",
        json!({"map_id": id.to_string(), "file_type": "geojson"}),
        deeper.as_bytes(),
    );
    let map = get(&server, id);
    let groups = map["geojson"]["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 3);
    assert_eq!(groups[2], json!({"title": "A\u{FF0F}C", "id": 3}));
    assert_eq!(features(&map).len(), 9);
}

#[test]
fn appending_with_new_group_puts_every_feature_in_it() {
    let server = start();
    let id = upload_empty(&server);
    call_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson"}),
        NESTED.as_bytes(),
    );
    let (status, summary) = call_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson", "new_group": "Batch 2"}),
        NESTED.as_bytes(),
    );
    assert_eq!(status, 200);
    assert!(summary.get("error").is_none(), "{summary}");
    let map = get(&server, id);
    let groups = map["geojson"]["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 3);
    assert_eq!(groups[2], json!({"title": "Batch 2", "id": 3}));
    let features = features(&map);
    assert_eq!(features.len(), 6);
    assert!(features[3..]
        .iter()
        .all(|f| f["properties"]["group"] == json!(3)));
}

#[test]
fn uploading_gpx_and_kml() {
    let server = start();
    let (status, gpx) = call_file(
        &server,
        "map/upload",
        json!({"file_type": "gpx", "visibility": "unlisted", "title": "Walks", "description": "d"}),
        GPX.as_bytes(),
    );
    assert_eq!(status, 200);
    assert_eq!(gpx["title"], "Walks");
    assert_eq!(gpx["visibility"], "unlisted");
    let gpx_map = get(&server, gpx["id"].as_u64().expect("id"));
    let titles: Vec<&str> = features(&gpx_map)
        .iter()
        .filter_map(|f| f["properties"]["title"].as_str())
        .collect();
    assert_eq!(titles, ["Berlin", "Walk"]);
    assert_eq!(gpx_map["description"], "d");

    let (_, kml) = call_file(
        &server,
        "map/upload",
        json!({"file_type": "kml", "visibility": "public", "short_name": "trip"}),
        KML.as_bytes(),
    );
    assert_eq!(kml["short_name"], "trip");
    assert_eq!(kml["id"], 2);
    let kml_map = get(&server, 2);
    assert_eq!(features(&kml_map)[0]["properties"]["title"], "Tower");
    let groups = kml_map["geojson"]["groups"].as_array().expect("groups");
    assert!(groups
        .iter()
        .any(|g| g["title"].as_str().is_some_and(|t| t.ends_with("Sights"))));

    let (_, list) = call(&server, "map/list", json!({}));
    let owner = list["owner"].as_array().expect("owner");
    assert_eq!(owner.len(), 2);
    assert_eq!(owner[1]["short_name"], "trip");
    assert_eq!(server.map_count(), 2);

    // Content that is not the declared type, and a broken KMZ.
    let (_, wrong) = call_file(
        &server,
        "map/append",
        json!({"map_id": 1, "file_type": "geojson"}),
        GPX.as_bytes(),
    );
    assert!(
        error_of(&wrong).starts_with("Could not read the file as geojson: "),
        "{wrong}"
    );
    let (_, zip) = call_file(
        &server,
        "map/append",
        json!({"map_id": 1, "file_type": "kml"}),
        b"PK\x03\x04 not really a zip",
    );
    assert!(
        error_of(&zip).starts_with("Could not read the file as kml: "),
        "{zip}"
    );
    let (_, gpx_as_gpx) = call_file(
        &server,
        "map/append",
        json!({"map_id": 1, "file_type": "gpx"}),
        b"<gpx><wpt lat=",
    );
    assert!(
        error_of(&gpx_as_gpx).starts_with("Could not read the file as gpx: "),
        "{gpx_as_gpx}"
    );
    assert_eq!(features(&get(&server, 1)).len(), 2);
}

#[test]
fn updating_a_map() {
    let server = start();
    let id = upload_empty(&server);
    let (status, summary) = call(
        &server,
        "map/update",
        json!({"map_id": id, "title": "Renamed", "visibility": "public"}),
    );
    assert_eq!(status, 200);
    assert_eq!(summary["title"], "Renamed");
    assert_eq!(summary["visibility"], "public");
    assert_eq!(summary["short_name"], "empty");
    let geojson: Value = serde_json::from_str(ONE_POINT).expect("json");
    let (_, summary) = call(
        &server,
        "map/update",
        json!({"map_id": id, "geojson": geojson}),
    );
    assert_eq!(summary["title"], "Renamed");
    let map = get(&server, id);
    assert_eq!(features(&map).len(), 1);
    let (_, bad) = call(
        &server,
        "map/update",
        json!({"map_id": id, "visibility": "secret"}),
    );
    assert!(error_of(&bad).contains("visibility"));
}

#[test]
fn image_refresh_is_rate_limited() {
    let server = start();
    let a = upload_empty(&server);
    let b = upload_empty(&server);
    let (_, first) = call(&server, "map/refresh_image", json!({ "map_id": a }));
    assert_eq!(first["id"], json!(a));
    let (status, second) = call(&server, "map/refresh_image", json!({ "map_id": a }));
    assert_eq!(status, 200);
    assert_eq!(
        error_of(&second),
        "Image refresh is limited to once per 5 minutes"
    );
    let (_, other) = call(&server, "map/refresh_image", json!({ "map_id": b }));
    assert!(other.get("error").is_none());
}

#[test]
fn a_too_large_body_is_read_and_refused() {
    let server = start_with(Config {
        api_key: KEY.into(),
        max_upload_bytes: 100,
        ..Config::default()
    });
    let id = upload_empty(&server);
    let (status, answer) = call_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson"}),
        ONE_POINT.repeat(5).as_bytes(),
    );
    assert_eq!(status, 200);
    assert!(error_of(&answer).starts_with("File too large"), "{answer}");
    assert_eq!(server.requests()[1].body_bytes, ONE_POINT.len() * 5);

    let server = start();
    let id = upload_empty(&server);
    let big = vec![b' '; 15 * 1024 * 1024 + 1];
    let (status, answer) = call_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson"}),
        &big,
    );
    assert_eq!(status, 200);
    assert_eq!(error_of(&answer), "File too large (limit 15 MB)");
}

#[test]
fn status_503_fault_answers_empty_503s_without_carrying_out() {
    let server = start();
    server.set_faults(Faults {
        status_503: 2,
        ..Faults::default()
    });
    for _ in 0..2 {
        let reply = send_file(
            &server,
            "map/upload",
            json!({"file_type": "empty", "visibility": "public"}),
            b"",
        )
        .expect("an answer");
        assert_eq!(reply.status, 503);
        assert!(reply.body.is_empty());
    }
    assert_eq!(server.map_count(), 0);
    upload_empty(&server);
    assert_eq!(server.map_count(), 1);
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn drop_after_body_apply_stores_without_answering() {
    let server = start();
    let id = upload_empty(&server);
    server.set_faults(Faults {
        drop_after_body: Some(DropAfterBody::Apply),
        ..Faults::default()
    });
    let reply = send_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson"}),
        ONE_POINT.as_bytes(),
    );
    assert!(reply.is_none(), "no answer");
    // Cleared after one request, and the features were stored.
    assert_eq!(features(&get(&server, id)).len(), 1);
    let log = server.requests();
    assert_eq!(log[1].endpoint, "map/append");
    assert_eq!(log[1].body_bytes, ONE_POINT.len());
    assert_eq!(
        log[1].api_arg,
        Some(json!({"map_id": id, "file_type": "geojson"}))
    );
}

#[test]
fn drop_after_body_discard_stores_nothing() {
    let server = start();
    let id = upload_empty(&server);
    server.set_faults(Faults {
        drop_after_body: Some(DropAfterBody::Discard),
        ..Faults::default()
    });
    let reply = send_file(
        &server,
        "map/append",
        json!({"map_id": id, "file_type": "geojson"}),
        ONE_POINT.as_bytes(),
    );
    assert!(reply.is_none(), "no answer");
    assert_eq!(features(&get(&server, id)).len(), 0);
}

#[test]
fn fail_after_answers_500_after_n_successes_until_reset() {
    let server = start();
    server.set_faults(Faults {
        fail_after: Some(2),
        ..Faults::default()
    });
    // An error answer is not a success.
    let (_, missing) = call(&server, "map/get", json!({"map_id": 7}));
    assert_eq!(error_of(&missing), "Map not found");
    upload_empty(&server);
    upload_empty(&server);
    for _ in 0..2 {
        let reply = try_call(&server, "map/list", json!({})).expect("an answer");
        assert_eq!(reply.status, 500);
    }
    let reply = send_file(
        &server,
        "map/upload",
        json!({"file_type": "empty", "visibility": "public"}),
        b"",
    )
    .expect("an answer");
    assert_eq!(reply.status, 500);
    assert_eq!(server.map_count(), 2);
    server.set_faults(Faults::default());
    let (status, _) = call(&server, "map/list", json!({}));
    assert_eq!(status, 200);
}

#[test]
fn delay_is_slept_before_answering() {
    let server = start();
    server.set_faults(Faults {
        delay_ms: 300,
        ..Faults::default()
    });
    let started = Instant::now();
    let (status, _) = call(&server, "map/list", json!({}));
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn control_endpoints() {
    let server = start();
    let reply = post(
        server.port(),
        "/_control/faults",
        &control(),
        br#"{"status_503": 1}"#,
    )
    .expect("an answer");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"ok": true}));
    let reply = try_call(&server, "map/list", json!({})).expect("an answer");
    assert_eq!(reply.status, 503);
    upload_empty(&server);

    for bad in [
        &br#"{"status_503": "x"}"#[..],
        br#"{"status503": 1}"#,
        b"nope",
    ] {
        let reply = post(server.port(), "/_control/faults", &control(), bad).expect("an answer");
        assert_eq!(reply.status, 400);
        assert!(error_of(&reply.json()).starts_with("Invalid faults"));
    }
    let reply = post(
        server.port(),
        "/_control/faults",
        &control(),
        br#"{"drop_after_body": "discard", "delay_ms": 1}"#,
    )
    .expect("an answer");
    assert_eq!(reply.status, 200);
    assert!(try_call(&server, "map/list", json!({})).is_none());

    let log = post(server.port(), "/_control/requests", &control(), b"").expect("an answer");
    assert_eq!(log.status, 200);
    let log = log.json();
    let log = log.as_array().expect("an array");
    assert_eq!(log.len(), 3);
    assert_eq!(
        log[0],
        json!({"endpoint": "map/list", "api_arg": {}, "body_bytes": 2, "authorized": true})
    );
    assert_eq!(log[1]["endpoint"], "map/upload");
    assert_eq!(log[1]["api_arg"]["file_type"], "empty");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn control_endpoints_need_the_key_json_and_no_origin() {
    let server = start();
    let body = br#"{"status_503": 5}"#;
    let key = ("Authorization", auth());
    let json = ("Content-Type", "application/json".to_owned());
    for (headers, status) in [
        (vec![json.clone()], 401),
        (
            vec![("Authorization", "Token wrong".to_owned()), json.clone()],
            401,
        ),
        (vec![key.clone()], 415),
        (
            vec![key.clone(), ("Content-Type", "text/plain".to_owned())],
            415,
        ),
        (
            vec![
                key.clone(),
                json.clone(),
                ("Origin", "https://evil.example".to_owned()),
            ],
            403,
        ),
    ] {
        let reply = post(server.port(), "/_control/faults", &headers, body).expect("an answer");
        assert_eq!(reply.status, status, "{headers:?}");
        let reply = post(server.port(), "/_control/requests", &headers, b"").expect("an answer");
        let read_status = if status == 415 { 200 } else { status };
        assert_eq!(reply.status, read_status, "{headers:?}");
    }
    // None of them set a fault.
    assert_eq!(
        try_call(&server, "map/list", json!({}))
            .expect("an answer")
            .status,
        200
    );
    let charset = ("Content-Type", "application/json; charset=utf-8".to_owned());
    let reply = post(server.port(), "/_control/faults", &[key, charset], body).expect("an answer");
    assert_eq!(reply.status, 200);
    assert_eq!(
        try_call(&server, "map/list", json!({}))
            .expect("an answer")
            .status,
        503
    );
}

#[test]
fn redirect_and_echo_faults() {
    let server = start();
    server.set_faults(Faults {
        redirect: Some("http://127.0.0.1:9/elsewhere".into()),
        ..Faults::default()
    });
    let reply = try_call(&server, "map/list", json!({})).expect("an answer");
    assert_eq!(reply.status, 302);
    assert!(
        reply
            .head
            .contains("Location: http://127.0.0.1:9/elsewhere"),
        "{}",
        reply.head
    );
    for status in [200, 500] {
        server.set_faults(Faults {
            echo_request: Some(status),
            ..Faults::default()
        });
        let reply = try_call(&server, "map/list", json!({})).expect("an answer");
        assert_eq!(reply.status, status);
        let error = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(error.starts_with("POST /api/1/map/list"), "{error}");
        assert!(
            error.contains(&format!("Authorization: Token {KEY}")),
            "{error}"
        );
    }
    assert_eq!(server.map_count(), 0);
}

#[test]
fn never_answer_and_drip_faults_hold_the_connection() {
    let server = start();
    for faults in [
        Faults {
            never_answer: true,
            ..Faults::default()
        },
        Faults {
            drip_ms: 50,
            ..Faults::default()
        },
    ] {
        let drip = faults.drip_ms > 0;
        server.set_faults(faults);
        let mut stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let request = format!(
            "POST /api/1/map/list HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: 0\r\n\r\n",
            auth()
        );
        stream.write_all(request.as_bytes()).expect("send");
        // Read for a second: never an end of the answer.
        let until = Instant::now() + Duration::from_secs(1);
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        while Instant::now() < until {
            match stream.read(&mut buf) {
                Ok(0) => panic!("the server closed the connection"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
        let text = String::from_utf8_lossy(&got).into_owned();
        if drip {
            let (head, body) = text.split_once("\r\n\r\n").expect("a head");
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            assert!(
                !body.is_empty() && body.bytes().all(|b| b == b' '),
                "{body:?}"
            );
        } else {
            assert!(got.is_empty(), "{text}");
        }
    }
}

#[test]
fn maps_persist_in_the_data_dir() {
    let dir = temp_dir("persist");
    let config = Config {
        api_key: KEY.into(),
        data_dir: Some(dir.clone()),
        ..Config::default()
    };
    let id = {
        let server = start_with(config.clone());
        let id = upload_empty(&server);
        call_file(
            &server,
            "map/append",
            json!({"map_id": id, "file_type": "geojson"}),
            NESTED.as_bytes(),
        );
        call(
            &server,
            "map/update",
            json!({"map_id": id, "title": "Kept"}),
        );
        id
    };
    assert!(dir.join(format!("map-{id}.json")).is_file());
    let server = start_with(config);
    assert_eq!(server.map_count(), 1);
    let map = get(&server, id);
    assert_eq!(map["title"], "Kept");
    assert_eq!(map["url"], format!("{}/map/{id}", server.url()));
    assert_eq!(features(&map).len(), 3);
    assert_eq!(
        map["geojson"]["groups"][1],
        json!({"title": "A\u{FF0F}B", "id": 2})
    );
    assert_eq!(upload_empty(&server), id + 1);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
