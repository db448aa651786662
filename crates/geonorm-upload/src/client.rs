//! The HTTP client: one method per endpoint, typed arguments and answers.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{ApiKey, Error, Result};

mod answer;
mod loopback;
mod types;
pub use answer::ANSWER_BYTES_PER_VALUE;
use answer::{EXCERPT_BYTES, EXCERPT_CHARS};
pub(crate) use loopback::canonical_server;
use loopback::{is_loopback_host, resolve_loopback, std_lookup};
pub use types::{
    AppendArgs, FileType, ImageInfo, ImageType, MapInfo, MapList, UpdateArgs, UploadArgs,
    Visibility,
};

/// MapHub's public service. Enterprise servers are `https://<company>.maphub.net`.
pub const DEFAULT_SERVER: &str = "https://maphub.net";

/// `map/refresh_image` may be called once per map every 5 minutes.
const REFRESH_INTERVAL: Duration = Duration::from_secs(300);

/// Builds a [`Client`].
///
/// Time limits (each adjustable):
///
/// - **connect timeout**, 10 s: to open the TCP connection (DNS lookup excluded: the
///   system resolver cannot be interrupted);
/// - **timeout**, 60 s: the most one attempt of `map/list`, `map/get`, `map/update` or
///   `map/refresh_image` may take, from connecting to the last byte of the answer, so
///   a server that never answers, or drips its answer, fails then;
/// - **send timeout**, 180 s: the same for one attempt of `map/append`, `map/upload`,
///   `marker/upload` or `image/upload` (MapHub may work on a file for up to 2 minutes
///   before it answers).
///
/// With ureq 2 the overall limit also bounds each wait for a byte (a separate idle
/// timeout would be overridden by it), so there is no separate read timeout.
///
/// Retries: calls that read (and `map/update`, `map/refresh_image`) are tried again
/// up to 3 times after a transient failure, waiting 0.5 s, 1 s, 2 s; `map/append`,
/// `map/upload`, `marker/upload` and `image/upload` are tried again only when the
/// request provably never left. So with the
/// defaults a call gives up after at most (3 + 1) × its limit + 3.5 s: 243.5 s for a
/// read, 723.5 s for a send whose connection keeps failing (in practice a refused or
/// unresolvable connection fails at once), plus any DNS time.
///
/// Answers are read into a buffer of at most 256 MiB for `map/get` and `map/list` and
/// 1 MiB for the other calls, and decoded only once whole; a larger answer is an
/// [`Error::AnswerTooLarge`]. An answer may also hold at most one JSON value per
/// [`ANSWER_BYTES_PER_VALUE`] (16) bytes of its limit (16 Mi values for `map/get` and
/// `map/list`), counted as it is read, or it is an [`Error::AnswerTooManyValues`]:
/// decoded, a short value takes some 40 times its bytes. With `http://` (this machine only) connections go only to
/// addresses checked to be loopback.
/// Redirects are never followed (see [`Error::Redirected`]).
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    server: String,
    key: Option<ApiKey>,
    connect_timeout: Duration,
    timeout: Duration,
    send_timeout: Duration,
    retries: u32,
    backoff: Duration,
    max_answer_bytes: u64,
    max_map_bytes: u64,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            server: DEFAULT_SERVER.into(),
            key: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            // MapHub may process an upload for up to 2 minutes before it answers.
            send_timeout: Duration::from_secs(180),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_answer_bytes: 1 << 20,
            max_map_bytes: 256 << 20,
        }
    }
}

impl ClientBuilder {
    /// Defaults: MapHub's public server and the limits listed on [`ClientBuilder`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The server: the site (`https://company.maphub.net`) or its API base
    /// (`…/api/1/`). `http://` is accepted only for this machine (`localhost`,
    /// 127.0.0.0/8, `::1`); a user name, password, query or fragment is refused.
    pub fn server(mut self, url: impl Into<String>) -> Self {
        self.server = url.into();
        self
    }

    /// The API key.
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The most one attempt of a call other than the uploads (`map/append`,
    /// `map/upload`, `marker/upload`, `image/upload`) may take, start to end (default
    /// 60 s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// The most one attempt of `map/append`, `map/upload`, `marker/upload` or
    /// `image/upload` may take, start to end (default 180 s).
    pub fn send_timeout(mut self, t: Duration) -> Self {
        self.send_timeout = t;
        self
    }

    /// How long connecting may take (default 10 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// How many times a call is tried again, and the first wait (doubling each time).
    pub fn retries(mut self, n: u32, backoff: Duration) -> Self {
        self.retries = n;
        self.backoff = backoff;
        self
    }

    /// The largest answer read from `map/append`, `map/upload`, `map/update`,
    /// `map/refresh_image`, `marker/upload` and `image/upload` (default 1 MiB), and
    /// with it the JSON values such an answer may hold (one per
    /// [`ANSWER_BYTES_PER_VALUE`] bytes of it).
    pub fn max_answer_bytes(mut self, n: u64) -> Self {
        self.max_answer_bytes = n;
        self
    }

    /// The largest answer read from `map/get` and `map/list` (default 256 MiB). It
    /// also sets how many JSON values such an answer may hold: one per
    /// [`ANSWER_BYTES_PER_VALUE`] bytes of it (16 Mi by default).
    pub fn max_map_bytes(mut self, n: u64) -> Self {
        self.max_map_bytes = n;
        self
    }

    /// The client.
    pub fn build(self) -> Result<Client> {
        let key = self.key.ok_or(Error::MissingKey)?;
        let base = api_base(&self.server)?;
        let mut agent = ureq::AgentBuilder::new()
            .timeout_connect(self.connect_timeout)
            // Never follow: a 302 turns a POST into a GET, a 307 replays an append.
            .redirects(0)
            .user_agent(&format!("geonorm/{}", env!("CARGO_PKG_VERSION")));
        if base.starts_with("http://") {
            // The key goes in clear: connect only to addresses checked to be this
            // machine, whatever a resolver answers for the name.
            agent = agent.resolver(|netloc: &str| resolve_loopback(netloc, std_lookup));
        }
        Ok(Client {
            base,
            key,
            agent: agent.build(),
            timeout: self.timeout,
            send_timeout: self.send_timeout,
            retries: self.retries,
            backoff: self.backoff,
            max_answer_bytes: self.max_answer_bytes,
            max_map_bytes: self.max_map_bytes,
            refreshed: Mutex::new(HashMap::new()),
        })
    }
}

/// The API base for a server URL, ending in `/api/1/`. Judged on the parsed URL, so
/// that `http://localhost@evil.example` or `http://127.0.0.1.evil.example` cannot pass
/// for this machine.
pub(crate) fn api_base(server: &str) -> Result<String> {
    let bad = |why: &str| Error::BadServer {
        url: server.to_string(),
        why: why.to_string(),
    };
    const SCHEME: &str = "the scheme must be https:// (or http:// for a server on this machine)";
    let text = server.trim();
    if !text.contains("://") {
        return Err(bad(SCHEME));
    }
    let url = url::Url::parse(text).map_err(|e| bad(&format!("it is not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "it has a user name or password (`…@`); give the server without them (the API key is sent on its own)",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "it has a query (`?…`) or fragment (`#…`); give the server without them",
        ));
    }
    let local = match url.host() {
        None => return Err(bad("it has no host")),
        Some(h) => is_loopback_host(&h),
    };
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => {
            return Err(bad(
                "http:// is only for a server on this machine (localhost, 127.0.0.0/8 or ::1); use https://",
            ))
        }
        _ => return Err(bad(SCHEME)),
    }
    let s = url.as_str().trim_end_matches('/');
    let base = if s.ends_with("/api/1") {
        s.to_string()
    } else {
        format!("{s}/api/1")
    };
    Ok(format!("{base}/"))
}

/// A MapHub API client. Cheap to share; safe to use from several threads.
pub struct Client {
    base: String,
    key: ApiKey,
    agent: ureq::Agent,
    timeout: Duration,
    send_timeout: Duration,
    retries: u32,
    backoff: Duration,
    max_answer_bytes: u64,
    max_map_bytes: u64,
    refreshed: Mutex<HashMap<u64, Instant>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("key", &self.key)
            .finish()
    }
}

/// The body of a call and whether it may be repeated.
enum Body<'a> {
    /// JSON arguments in the body (list, get, update, refresh_image).
    Json(Value),
    /// A file in the body, JSON arguments in the `MapHub-API-Arg` header.
    File { args: Value, bytes: &'a [u8] },
}

impl Client {
    /// The key that seals journals of sends by this client (see `Journal::seal`).
    pub(crate) fn seal_key(&self) -> [u8; 32] {
        self.key.seal_key()
    }

    /// The API base URL in use (ends with `/api/1/`).
    pub fn base(&self) -> &str {
        &self.base
    }

    fn once(&self, endpoint: &str, body: &Body) -> Result<Value> {
        let url = format!("{}{endpoint}", self.base);
        // Nothing has left yet: whatever fails here, nothing landed.
        let never_sent = |message: String| Error::Transport {
            url: url.clone(),
            message,
            maybe_sent: false,
        };
        let auth = self.key.header();
        let (req, bytes, (limit, setting)) = match body {
            Body::Json(v) => {
                let bytes = serde_json::to_vec(v)
                    .map_err(|e| never_sent(format!("cannot write the arguments: {e}")))?;
                let req = self
                    .agent
                    .post(&url)
                    .timeout(self.timeout)
                    .set("Content-Type", "application/json");
                let limit = if matches!(endpoint, "map/get" | "map/list") {
                    (self.max_map_bytes, "max_map_bytes")
                } else {
                    (self.max_answer_bytes, "max_answer_bytes")
                };
                (req, std::borrow::Cow::Owned(bytes), limit)
            }
            Body::File { args, bytes } => {
                let arg = ascii_json(args)
                    .map_err(|e| never_sent(format!("cannot write the arguments: {e}")))?;
                if !header_value_ok(&arg) {
                    return Err(never_sent(
                        "the MapHub-API-Arg header would not be a valid header value".into(),
                    ));
                }
                let req = self
                    .agent
                    .post(&url)
                    .timeout(self.send_timeout)
                    .set("MapHub-API-Arg", &arg)
                    .set("Content-Type", "application/octet-stream");
                (
                    req,
                    std::borrow::Cow::Borrowed(*bytes),
                    (self.max_answer_bytes, "max_answer_bytes"),
                )
            }
        };
        // ApiKey::new lets only printable ASCII in, so this holds; checked anyway so that
        // a bad header is reported without its value and as never sent.
        if !header_value_ok(&auth) {
            return Err(never_sent(
                "the API key cannot be sent in an Authorization header".into(),
            ));
        }
        let sent = req.set("Authorization", &auth).send_bytes(&bytes);
        let response = match sent {
            Ok(r) if (300..400).contains(&r.status()) => {
                return Err(Error::Redirected {
                    status: r.status(),
                    url,
                    location: r
                        .header("Location")
                        .map_or_else(|| "(none)".into(), |l| self.key.redact(l)),
                });
            }
            Ok(r) => r,
            Err(ureq::Error::Status(status, r)) => {
                let mut head = Vec::new();
                let _ = r
                    .into_reader()
                    .take(EXCERPT_BYTES + self.key.len() as u64)
                    .read_to_end(&mut head);
                return Err(Error::Http {
                    status,
                    url,
                    excerpt: self.key.redact_excerpt(&head, EXCERPT_CHARS),
                });
            }
            Err(ureq::Error::Transport(t)) => {
                let maybe_sent = !never_left(&t);
                return Err(Error::Transport {
                    message: self.transport_message(&t, body),
                    url,
                    maybe_sent,
                });
            }
        };
        self.read_answer(&url, response, limit, setting)
    }

    /// What a transport error says, without the URL (the error names it once) and
    /// without the key.
    fn transport_message(&self, t: &ureq::Transport, body: &Body) -> String {
        use std::fmt::Write as _;
        let mut m = t.kind().to_string();
        if let Some(detail) = t.message() {
            let _ = write!(m, ": {detail}");
        }
        if let Some(source) = std::error::Error::source(t) {
            let _ = write!(m, ": {source}");
        }
        if timed_out(t) && t.kind() != ureq::ErrorKind::ConnectionFailed {
            let limit = match body {
                Body::File { .. } => self.send_timeout,
                Body::Json(_) => self.timeout,
            };
            let _ = write!(
                m,
                " (no complete answer within the time limit of {} s)",
                limit.as_secs_f64()
            );
        }
        self.key.redact(&m)
    }

    /// MapHub's answer: an error when it has an `error` member.
    fn api_error(&self, v: Value) -> Result<Value> {
        if let Some(err) = v.get("error") {
            let message = match err {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            return Err(Error::Api(self.key.redact(&message)));
        }
        Ok(v)
    }

    /// Calls an endpoint; `safe` calls are retried on transient failures, others only
    /// when the request never reached the server.
    fn call(&self, endpoint: &str, body: Body, safe: bool) -> Result<Value> {
        let mut wait = self.backoff;
        let mut attempt = 0;
        loop {
            match self.once(endpoint, &body) {
                Err(e) if attempt < self.retries && retryable(&e, safe) => {
                    attempt += 1;
                    std::thread::sleep(wait);
                    wait = wait.saturating_mul(2);
                }
                other => return other,
            }
        }
    }

    /// `map/append`: adds a file's content to a map. Not repeated after a failure
    /// unless the request provably never reached MapHub.
    pub fn append(&self, args: &AppendArgs, file: &[u8]) -> Result<MapInfo> {
        let args = serde_json::to_value(args).map_err(|e| self.decode_err("map/append", e))?;
        let v = self.call("map/append", Body::File { args, bytes: file }, false)?;
        self.typed("map/append", v)
    }

    /// `map/upload`: creates a map from a file (or an empty one).
    pub fn upload(&self, args: &UploadArgs, file: &[u8]) -> Result<MapInfo> {
        let args = serde_json::to_value(args).map_err(|e| self.decode_err("map/upload", e))?;
        let v = self.call("map/upload", Body::File { args, bytes: file }, false)?;
        self.typed("map/upload", v)
    }

    /// `marker/upload`: a PNG as a custom point icon; MapHub's `marker_id`, which
    /// features then carry as their `marker_id` property. The id's type is not
    /// documented, so it is given back as the JSON value MapHub answered (a string or
    /// a number; anything else is an [`Error::Decode`]).
    ///
    /// Each call makes a new marker, so, like [`Client::append`], it is repeated after
    /// a failure only when the request provably never reached MapHub. A file over
    /// MapHub's upload limit ([`geonorm::MAPHUB_MAX_UPLOAD_BYTES`]) is refused
    /// without sending, as [`Error::Transport`] with `maybe_sent: false`.
    pub fn upload_marker(&self, png: &[u8]) -> Result<Value> {
        const ENDPOINT: &str = "marker/upload";
        self.check_upload_size(ENDPOINT, png)?;
        let args = serde_json::json!({ "file_type": "png" });
        let v = self.call(ENDPOINT, Body::File { args, bytes: png }, false)?;
        match v.get("marker_id") {
            Some(id @ (Value::String(_) | Value::Number(_))) => Ok(id.clone()),
            _ => Err(self.missing_id(ENDPOINT, "marker_id", &v)),
        }
    }

    /// `image/upload`: a JPEG or PNG to show with features; MapHub's description of
    /// it, whose [`ImageInfo::feature_image`] is the `image` property a feature
    /// carries. An answer without `image_id` (a string or a number), `width` or
    /// `height` is an [`Error::Decode`].
    ///
    /// Not idempotent and limited in size as [`Client::upload_marker`].
    pub fn upload_image(&self, image: &[u8], file_type: ImageType) -> Result<ImageInfo> {
        const ENDPOINT: &str = "image/upload";
        self.check_upload_size(ENDPOINT, image)?;
        let args = serde_json::json!({ "file_type": file_type.file_type() });
        let v = self.call(ENDPOINT, Body::File { args, bytes: image }, false)?;
        if !matches!(v.get("image_id"), Some(Value::String(_) | Value::Number(_))) {
            return Err(self.missing_id(ENDPOINT, "image_id", &v));
        }
        self.typed(ENDPOINT, v)
    }

    /// Refuses, before anything is sent, a file MapHub would refuse for its size.
    fn check_upload_size(&self, endpoint: &str, file: &[u8]) -> Result<()> {
        let limit = geonorm::MAPHUB_MAX_UPLOAD_BYTES;
        let len = u64::try_from(file.len()).unwrap_or(u64::MAX);
        if len > limit {
            // Not through `call`: a retry could not make the file smaller.
            return Err(Error::Transport {
                url: format!("{}{endpoint}", self.base),
                message: format!(
                    "not sent: the file is {len} bytes, over MapHub's upload limit of {limit} bytes"
                ),
                maybe_sent: false,
            });
        }
        Ok(())
    }

    /// An answer that lacks the id an upload answers with.
    fn missing_id(&self, endpoint: &str, key: &str, v: &Value) -> Error {
        let text = v.to_string();
        Error::Decode {
            url: format!("{}{endpoint}", self.base),
            message: format!(
                "no {key} (a string or number) in the answer: {}",
                self.key.redact_excerpt(text.as_bytes(), 120)
            ),
        }
    }

    /// `map/list`: the maps the key's account can see.
    pub fn list(&self) -> Result<MapList> {
        let v = self.call(
            "map/list",
            Body::Json(Value::Object(Default::default())),
            true,
        )?;
        self.typed("map/list", v)
    }

    /// `map/get`: a map with its GeoJSON, as MapHub answers it.
    pub fn get(&self, map_id: u64) -> Result<Value> {
        self.call(
            "map/get",
            Body::Json(serde_json::json!({ "map_id": map_id })),
            true,
        )
    }

    /// `map/update`: changes what `args` sets.
    pub fn update(&self, args: &UpdateArgs) -> Result<MapInfo> {
        let body = serde_json::to_value(args).map_err(|e| self.decode_err("map/update", e))?;
        let v = self.call("map/update", Body::Json(body), false)?;
        self.typed("map/update", v)
    }

    /// `map/refresh_image`: redraws the map's preview. Refused here, without a call,
    /// when this client refreshed the same map less than 5 minutes ago.
    pub fn refresh_image(&self, map_id: u64) -> Result<MapInfo> {
        {
            let done = self
                .refreshed
                .lock()
                .map_err(|_| Error::Api("internal lock poisoned".into()))?;
            if let Some(at) = done.get(&map_id) {
                let since = at.elapsed();
                if since < REFRESH_INTERVAL {
                    return Err(Error::RateLimited {
                        map_id,
                        wait_secs: (REFRESH_INTERVAL - since).as_secs() + 1,
                    });
                }
            }
        }
        let v = self.call(
            "map/refresh_image",
            Body::Json(serde_json::json!({ "map_id": map_id })),
            true,
        )?;
        if let Ok(mut done) = self.refreshed.lock() {
            done.insert(map_id, Instant::now());
        }
        self.typed("map/refresh_image", v)
    }

    fn decode_err(&self, endpoint: &str, e: serde_json::Error) -> Error {
        Error::Decode {
            url: format!("{}{endpoint}", self.base),
            message: self.key.redact(&e.to_string()),
        }
    }

    fn typed<T: serde::de::DeserializeOwned>(&self, endpoint: &str, v: Value) -> Result<T> {
        serde_json::from_value(v).map_err(|e| self.decode_err(endpoint, e))
    }
}

/// `args` as JSON in ASCII only (other characters as `\uXXXX`, astral ones as
/// surrogate pairs): HTTP header values are ASCII, and JSON decoders read the escapes.
fn ascii_json(args: &Value) -> std::result::Result<String, serde_json::Error> {
    let text = serde_json::to_string(args)?;
    let mut out = String::with_capacity(text.len());
    // serde_json escapes what must be escaped and leaves other characters as they
    // are, and those only occur inside strings, where `\u` escapes mean the same.
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    Ok(out)
}

/// Whether an HTTP library would send `v` as a header value (visible ASCII, space,
/// tab).
fn header_value_ok(v: &str) -> bool {
    v.bytes().all(|b| b == b'\t' || (0x20..=0x7e).contains(&b))
}

/// Whether an error or one of its causes is an I/O time-out: the OS and ureq report a
/// time limit as `io::ErrorKind::TimedOut` (ureq turns a socket's `WouldBlock` into it),
/// which is sturdier than looking for "timed out" in the text.
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        cause = match c.downcast_ref::<std::io::Error>() {
            Some(io) if io.kind() == std::io::ErrorKind::TimedOut => return true,
            // An io::Error's `source` skips the error it wraps; `get_ref` is that error.
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static))
                .or_else(|| c.source()),
            None => c.source(),
        };
    }
    false
}

/// Whether a transport error happened before anything was sent.
fn never_left(t: &ureq::Transport) -> bool {
    use ureq::ErrorKind as K;
    match t.kind() {
        K::InvalidUrl
        | K::UnknownScheme
        | K::Dns
        | K::InsecureRequestHttpsOnly
        | K::ConnectionFailed
        | K::InvalidProxyUrl
        | K::ProxyConnect
        | K::ProxyUnauthorized => true,
        // ureq checks the headers set on a request before connecting, by the rule of
        // `header_value_ok`, which `once` applies first and refuses as never sent; so a
        // BadHeader from ureq is about the answer. (Told apart by the check, not by
        // ureq's message; were one to slip through, "maybe sent" is the safe side.)
        K::BadHeader => false,
        _ => false,
    }
}

/// Whether a failed call may be tried again.
fn retryable(e: &Error, safe: bool) -> bool {
    match e {
        Error::Transport { maybe_sent, .. } => safe || !maybe_sent,
        Error::Http { status, .. } => safe && matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
