//! Just enough HTTP/1.1 for the server: a request head, a `Content-Length` body, and an
//! answer that always closes the connection.

use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// The most bytes a request head (request line and headers) may take.
const MAX_HEAD_BYTES: u64 = 64 * 1024;
/// The most header lines a request may have.
const MAX_HEADERS: usize = 200;

/// A request line and its headers.
#[derive(Debug)]
pub(crate) struct Head {
    /// `POST`, `GET`…
    pub method: String,
    /// The path of the request target, without query string, scheme or host.
    pub path: String,
    /// Header names as sent, values trimmed.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request body as read.
#[derive(Debug, Default)]
pub(crate) struct Body {
    /// The bytes, empty when the body was too large (and discarded).
    pub bytes: Vec<u8>,
    /// How many bytes the body had.
    pub len: usize,
    /// The body was larger than the limit and was read and discarded.
    pub too_large: bool,
}

/// Why a request could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The connection failed or ended early: there is nobody to answer.
    Gone,
    /// The request is malformed: answer this and close.
    Answer(Response),
}

/// Reads a request head. A connection closed before any byte (such as the server's
/// own wake-up connection) is [`ReadError::Gone`].
pub(crate) fn read_head<R: BufRead>(input: &mut R) -> Result<Head, ReadError> {
    let mut limited = input.take(MAX_HEAD_BYTES);
    let mut lines: Vec<String> = Vec::new();
    loop {
        let mut line = Vec::new();
        match limited.read_until(b'\n', &mut line) {
            Ok(0) => {
                if limited.limit() == 0 {
                    return Err(ReadError::Answer(too_large_head()));
                }
                return Err(ReadError::Gone);
            }
            Ok(_) => {}
            Err(_) => return Err(ReadError::Gone),
        }
        if line.last() != Some(&b'\n') {
            if limited.limit() == 0 {
                return Err(ReadError::Answer(too_large_head()));
            }
            return Err(ReadError::Gone);
        }
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.is_empty() {
            if lines.is_empty() {
                continue; // tolerate blank lines before the request line (RFC 9112 §2.2)
            }
            break;
        }
        if lines.len() > MAX_HEADERS {
            return Err(ReadError::Answer(too_large_head()));
        }
        lines.push(String::from_utf8_lossy(&line).into_owned());
    }
    let mut lines = lines.into_iter();
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_ascii_whitespace();
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad_request("Malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(ReadError::Answer(Response::error(
            505,
            "HTTP version not supported",
        )));
    }
    let mut headers = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(bad_request("Malformed header line"));
        };
        if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace()) {
            return Err(bad_request("Malformed header name"));
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    Ok(Head {
        method: method.to_owned(),
        path: path_of(target),
        headers,
    })
}

/// The path of a request target in origin form (`/a/b?q`) or absolute form
/// (`http://host/a/b?q`).
fn path_of(target: &str) -> String {
    let rest = match target.find("://") {
        Some(i) if !target.starts_with('/') => {
            let after = &target[i + 3..];
            match after.find('/') {
                Some(j) => &after[j..],
                None => "/",
            }
        }
        _ => target,
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    rest[..end].to_owned()
}

fn bad_request(message: &str) -> ReadError {
    ReadError::Answer(Response::error(400, message))
}

fn too_large_head() -> Response {
    Response::error(431, "Request header fields too large")
}

/// Reads the body `head` announces, at most `limit` bytes kept: a larger body is read
/// and discarded. `Transfer-Encoding` is not supported, so a POST must carry
/// `Content-Length` (411 otherwise).
pub(crate) fn read_body<R: BufRead>(
    head: &Head,
    input: &mut R,
    writer: &mut TcpStream,
    limit: u64,
) -> Result<Body, ReadError> {
    let lengths: Vec<&str> = head
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.as_str())
        .collect();
    let chunked = head.header("transfer-encoding").is_some();
    let len = match lengths.as_slice() {
        [] => {
            if head.method == "POST" || chunked {
                return Err(ReadError::Answer(Response::error(
                    411,
                    "Length Required: send the body with Content-Length",
                )));
            }
            return Ok(Body::default());
        }
        [first, rest @ ..] => {
            if chunked || rest.iter().any(|v| v != first) {
                return Err(bad_request("Conflicting message framing"));
            }
            match first.parse::<u64>() {
                Ok(n) if first.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => return Err(bad_request("Invalid Content-Length")),
            }
        }
    };
    let Ok(len_usize) = usize::try_from(len) else {
        return Err(bad_request("Invalid Content-Length"));
    };
    if len > 0
        && head
            .header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        // Nothing is refused before the body is read, so go ahead at once.
        if writer
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .and_then(|()| writer.flush())
            .is_err()
        {
            return Err(ReadError::Gone);
        }
    }
    let mut body = input.take(len);
    if len > limit {
        match io::copy(&mut body, &mut io::sink()) {
            Ok(n) if n == len => Ok(Body {
                bytes: Vec::new(),
                len: len_usize,
                too_large: true,
            }),
            _ => Err(ReadError::Gone),
        }
    } else {
        let mut bytes = Vec::new();
        match body.read_to_end(&mut bytes) {
            Ok(n) if n == len_usize => Ok(Body {
                bytes,
                len: len_usize,
                too_large: false,
            }),
            _ => Err(ReadError::Gone),
        }
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON answer.
    pub fn json(status: u16, value: &serde_json::Value) -> Response {
        let mut body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        body.push(b'\n');
        Response {
            status,
            headers: vec![("Content-Type", "application/json".to_owned())],
            body,
        }
    }

    /// A JSON answer `{"error": message}`.
    pub fn error(status: u16, message: &str) -> Response {
        Response::json(status, &serde_json::json!({ "error": message }))
    }

    /// An answer without body.
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &'static str, value: &str) -> Response {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (k, v) in &self.headers {
            out.push_str(k);
            out.push_str(": ");
            out.push_str(v);
            out.push_str("\r\n");
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// Writes the answer and closes the connection. What the client still sends is
    /// read (briefly) and dropped, so that closing with unread input does not reset
    /// the connection before the client has read the answer.
    pub fn send(&self, stream: &mut TcpStream) {
        if stream
            .write_all(&self.to_bytes())
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
        let _ = stream.shutdown(Shutdown::Write);
        linger(stream);
    }
}

/// Reads and drops what the client still sends, for at most a second and 1 MiB.
fn linger(stream: &mut TcpStream) {
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut buf = [0u8; 8192];
    let mut total = 0usize;
    while total < 1024 * 1024 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// Closes the connection without answering.
pub(crate) fn drop_connection(stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Both);
}

/// Holds the connection open without answering until the client hangs up or `most`
/// has passed.
pub(crate) fn hold(stream: &mut TcpStream, most: Duration) {
    let end = Instant::now() + most;
    let mut buf = [0u8; 1024];
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    drop_connection(stream);
}

/// Answers HTTP 200 with a body of spaces, one every `every`, never finished: until
/// the client hangs up or `most` has passed.
pub(crate) fn drip(stream: &mut TcpStream, every: Duration, most: Duration) {
    let end = Instant::now() + most;
    let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
    if stream
        .write_all(head)
        .and_then(|()| stream.flush())
        .is_err()
    {
        return;
    }
    while Instant::now() < end {
        thread::sleep(every);
        if stream
            .write_all(b" ")
            .and_then(|()| stream.flush())
            .is_err()
        {
            break;
        }
    }
    drop_connection(stream);
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        401 => "Unauthorized",
        403 => "Forbidden",
        415 => "Unsupported Media Type",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(path_of("/api/1/map/list?x=1"), "/api/1/map/list");
        assert_eq!(
            path_of("http://127.0.0.1:9/api/1/map/get"),
            "/api/1/map/get"
        );
        assert_eq!(path_of("http://host"), "/");
        assert_eq!(path_of("*"), "*");
    }

    #[test]
    fn heads() {
        let mut input =
            &b"POST /api/1/map/list HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"[..];
        let head = read_head(&mut input).expect("a head");
        assert_eq!(head.method, "POST");
        assert_eq!(head.header("content-length"), Some("2"));
        assert_eq!(input, b"{}");
        let mut bad = &b"GARBAGE\r\n\r\n"[..];
        assert!(matches!(read_head(&mut bad), Err(ReadError::Answer(_))));
        let mut empty = &b""[..];
        assert!(matches!(read_head(&mut empty), Err(ReadError::Gone)));
        let huge = vec![b'a'; 70 * 1024];
        assert!(matches!(
            read_head(&mut &huge[..]),
            Err(ReadError::Answer(r)) if r.status == 431
        ));
    }
}
