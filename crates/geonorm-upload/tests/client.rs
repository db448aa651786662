//! The client against a real local MapHub-compatible server (maphub-local) on
//! 127.0.0.1: the requests it sends, the answers it decodes, its retries, and sending a
//! split file exactly once through faults.

use std::path::PathBuf;
use std::time::Duration;

use geonorm_upload::{
    ApiKey, AppendArgs, Client, ClientBuilder, Error, FileType, UpdateArgs, UploadArgs, Visibility,
};
use maphub_local::{Config, Faults, Server};

const KEY: &str = "test-key-7f3a9c";

fn server() -> Server {
    Server::start(
        Config {
            api_key: KEY.into(),
            ..Config::default()
        },
        0,
    )
    .expect("server starts")
}

fn client(s: &Server) -> Client {
    ClientBuilder::new()
        .server(s.url())
        .api_key(ApiKey::new(KEY).expect("key"))
        .timeout(Duration::from_secs(10))
        .retries(3, Duration::from_millis(10))
        .build()
        .expect("client")
}

fn empty_map(c: &Client) -> u64 {
    let args = UploadArgs {
        file_type: FileType::Empty,
        visibility: Visibility::Private,
        title: Some("test".into()),
        description: None,
        short_name: None,
    };
    c.upload(&args, b"").expect("upload").id
}

fn features(c: &Client, map: u64) -> Vec<serde_json::Value> {
    c.get(map).expect("get")["geojson"]["features"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn testdata(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(sub)
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
