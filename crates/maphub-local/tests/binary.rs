//! The `maphub-local` binary: its start-up line, its key, its control endpoints.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_maphub-local");

/// Kills the server when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with `args` and reads its one line; returns it and the port.
fn start(cmd: &mut Command) -> (Running, String, u16) {
    let mut child = Running(
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("a line on stdout");
    let port = line
        .trim_end()
        .strip_prefix("maphub-local listening on http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .expect("the listening line");
    (child, line, port)
}

/// A POST; answers the status line and the body.
fn post(port: u16, path: &str, headers: &str, body: &str) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut out = String::new();
    stream.read_to_string(&mut out).expect("an answer");
    let (head, body) = out.split_once("\r\n\r\n").expect("a head");
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, body.to_owned())
}

#[test]
fn prints_one_line_and_serves() {
    let dir = std::env::temp_dir().join(format!("maphub-local-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let key_file = dir.join("key");
    std::fs::write(&key_file, "very-secret-key\n").expect("key file");
    let (_server, line, port) = start(
        Command::new(BIN)
            .args(["--port", "0", "--api-key-file"])
            .arg(&key_file)
            .env_remove("MAPHUB_API_KEY"),
    );
    assert!(!line.contains("very-secret-key"));
    let (status, body) = post(
        port,
        "/api/1/map/list",
        "Authorization: Token very-secret-key\r\n",
        "",
    );
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("\"owner\":[]"), "{body}");

    let control = "Authorization: Token very-secret-key\r\nContent-Type: application/json\r\n";
    let (status, _) = post(port, "/_control/faults", "", r#"{"status_503": 1}"#);
    assert_eq!(status, "HTTP/1.1 401 Unauthorized", "no key, no control");
    let (status, body) = post(port, "/_control/faults", control, r#"{"status_503": 1}"#);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("\"ok\":true"));
    let (status, _) = post(
        port,
        "/api/1/map/list",
        "Authorization: Token very-secret-key\r\n",
        "{}",
    );
    assert_eq!(status, "HTTP/1.1 503 Service Unavailable");
    let (_, log) = post(port, "/_control/requests", control, "");
    let log: serde_json::Value = serde_json::from_str(&log).expect("JSON");
    assert_eq!(log.as_array().map(Vec::len), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_key_is_not_taken_on_the_command_line() {
    let out = Command::new(BIN)
        .args(["--port", "0", "--api-key", "visible-in-ps"])
        .env("MAPHUB_API_KEY", "env-key")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "--api-key is no option");
    assert!(out.stdout.is_empty());
}

#[test]
fn the_key_comes_from_the_environment() {
    let (_server, _, port) = start(
        Command::new(BIN)
            .args(["--port", "0"])
            .env("MAPHUB_API_KEY", "env-key"),
    );
    let (_, body) = post(
        port,
        "/api/1/map/list",
        "Authorization: Token env-key\r\n",
        "",
    );
    assert!(!body.contains("error"), "{body}");
    let (_, body) = post(
        port,
        "/api/1/map/list",
        "Authorization: Token other\r\n",
        "",
    );
    assert!(body.contains("Invalid API key"), "{body}");
}

#[test]
fn without_a_key_it_exits_with_2() {
    let out = Command::new(BIN)
        .args(["--port", "0"])
        .env_remove("MAPHUB_API_KEY")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("MAPHUB_API_KEY"));
}
