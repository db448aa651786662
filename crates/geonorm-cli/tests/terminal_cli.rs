//! Text from files and from MapHub reaches the terminal escaped: no ESC, no CR, no
//! line that the text itself made. MapHub is maphub-local on 127.0.0.1.

use std::path::Path;
use std::process::{Command, Output};

use maphub_local::{Config, Server};

const KEY: &str = "terminal-test-key-5c1e";

/// GeoJSON whose text (a geometry type the reader quotes, a name, a group title)
/// holds a clear-screen sequence and an OSC window title.
const HOSTILE_GEOJSON: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"x\u001b[2J"},"geometry":{"type":"Point\u001b[2J\u001b]0;owned\u0007","coordinates":[1,2]}},
{"type":"Feature","properties":{"name":"y"},"geometry":{"type":"Point","coordinates":[1,2,3,4]}}]}
"#;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(args)
        .current_dir(dir)
        .env("MAPHUB_API_KEY", KEY)
        .output()
        .expect("run geonorm")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn has_control(b: &[u8]) -> bool {
    // Tab and newline are ours (`maps` columns, line ends); nothing else.
    b.iter()
        .any(|&c| (c < 0x20 && c != b'\n' && c != b'\t') || c == 0x7f)
}

#[test]
fn check_and_convert_escape_what_the_file_says() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("t.geojson"), HOSTILE_GEOJSON).expect("write");
    let out = run(dir.path(), &["check", "t.geojson"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    // The finding quoting the type is there, escaped.
    assert!(
        shown.contains("Point\\u{1b}[2J\\u{1b}]0;owned\\u{7}"),
        "{shown}"
    );
    assert!(!has_control(&out.stdout), "{shown:?}");

    let out = run(dir.path(), &["convert", "t.geojson", "-o", "t.kml"]);
    let err = text(&out.stderr);
    assert!(err.contains("Point\\u{1b}[2J"), "{err}");
    assert!(!has_control(&out.stderr), "{err:?}");
    let out = run(dir.path(), &["convert", "t.geojson"]);
    assert!(text(&out.stderr).contains("Point\\u{1b}[2J"));
    assert!(!has_control(&out.stderr), "{:?}", text(&out.stderr));
    // JSON for programs keeps the text, escaped by JSON itself.
    let out = run(dir.path(), &["check", "t.geojson", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let msgs = v["files"][0]["diagnostics"].to_string();
    assert!(msgs.contains("\\u001b[2J"), "{msgs}");
}

#[test]
fn raw_control_bytes_in_a_source_line_are_escaped_and_the_caret_still_points() {
    let dir = tempfile::tempdir().expect("tempdir");
    // KML text with raw ESC and CR bytes (which XML forbids) before a bad coordinate.
    let kml = "<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Placemark><name>a\x1b[2J\rb</name><Point><coordinates>x,1</coordinates></Point></Placemark></kml>\n";
    std::fs::write(dir.path().join("t.kml"), kml).expect("write");
    let out = run(dir.path(), &["check", "t.kml"]);
    let shown = text(&out.stdout);
    assert!(!has_control(&out.stdout), "{shown:?}");
    assert!(shown.contains("a\\u{1b}[2J\\u{d}b"), "{shown}");
    // Each caret points at what its finding is about, counted in the escaped line
    // above it: the forbidden byte, the Point, the bad tuple.
    let lines: Vec<&str> = shown.lines().collect();
    let pointed: Vec<String> = lines
        .windows(2)
        .filter_map(|w| {
            let src = w[0].strip_prefix("1 | ")?;
            let col = w[1].strip_prefix("  | ")?.find('^')?;
            Some(src.chars().skip(col).take(6).collect())
        })
        .collect();
    assert_eq!(pointed, ["\\u{1b}", "<Point", "x,1</c"], "{shown}");
}

fn server() -> Server {
    Server::start(
        Config {
            api_key: KEY.into(),
            ..Config::default()
        },
        0,
    )
    .expect("server")
}

#[test]
fn map_titles_cannot_fake_rows_in_maps() {
    let server = server();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("empty.geojson"),
        r#"{"type":"FeatureCollection","features":[]}"#,
    )
    .expect("write");
    let url = server.url();
    for title in ["plain", "evil"] {
        let out = run(
            dir.path(),
            &[
                "upload",
                "empty.geojson",
                "--visibility",
                "private",
                "--title",
                title,
                "--server",
                &url,
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    // The title goes in a header on upload, where controls cannot go: set it with
    // map/update, whose arguments are the body.
    let evil = serde_json::json!({
        "map_id": 2,
        "title": "evil\r\nfake\t1\u{1b}]0;owned\u{7}\u{202e}",
    });
    let answer = post(&server, "map/update", &evil.to_string());
    assert!(answer.contains("fake"), "{answer}");
    let out = run(dir.path(), &["maps", "--server", &url]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(!has_control(&out.stdout), "{shown:?}");
    assert!(!shown.contains('\u{202e}'), "{shown:?}");
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 2, "{shown}");
    let evil: Vec<&&str> = lines.iter().filter(|l| l.contains("evil")).collect();
    assert_eq!(evil.len(), 1, "{shown}");
    assert_eq!(evil[0].split('\t').count(), 5, "{shown}");
    assert!(
        evil[0].contains("evil\\u{d}\\u{a}fake\\u{9}1\\u{1b}]0;owned\\u{7}\\u{202e}"),
        "{shown}"
    );
    // JSON keeps the title as it is.
    let out = run(dir.path(), &["maps", "--server", &url, "--format", "json"]);
    assert!(text(&out.stdout).contains(r#"evil\r\nfake\t1"#));
}

/// POSTs `body` to `endpoint` of `server` over plain HTTP/1.1 on 127.0.0.1; the
/// response, head and body.
fn post(server: &Server, endpoint: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    write!(
        s,
        "POST /api/1/{endpoint} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    answer
}
