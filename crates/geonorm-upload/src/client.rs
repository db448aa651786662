//! The HTTP client: one method per endpoint, typed arguments and answers.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ApiKey, Error, Result};

/// MapHub's public service. Enterprise servers are `https://<company>.maphub.net`.
pub const DEFAULT_SERVER: &str = "https://maphub.net";

/// `map/refresh_image` may be called once per map every 5 minutes.
const REFRESH_INTERVAL: Duration = Duration::from_secs(300);

/// What kind of file a body is, in MapHub's terms (a KMZ is sent as `kml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    /// No file: `map/upload` creates an empty map.
    Empty,
    /// KML or KMZ.
    Kml,
    /// GPX.
    Gpx,
    /// GeoJSON.
    Geojson,
}

impl From<geonorm::Format> for FileType {
    fn from(f: geonorm::Format) -> Self {
        match f {
            geonorm::Format::Kml | geonorm::Format::Kmz => FileType::Kml,
            geonorm::Format::Gpx => FileType::Gpx,
            geonorm::Format::GeoJson => FileType::Geojson,
        }
    }
}

/// Who may see a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone, listed.
    Public,
    /// Anyone with the link.
    Unlisted,
    /// Only the owner and collaborators.
    Private,
}

/// Arguments of `map/append` (sent in the `MapHub-API-Arg` header).
#[derive(Debug, Clone, Serialize)]
pub struct AppendArgs {
    /// The map to add to.
    pub map_id: u64,
    /// What the body is.
    pub file_type: FileType,
    /// Put everything appended into a new group with this title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_group: Option<String>,
}

/// Arguments of `map/upload` (sent in the `MapHub-API-Arg` header).
#[derive(Debug, Clone, Serialize)]
pub struct UploadArgs {
    /// What the body is (`Empty` for no body).
    pub file_type: FileType,
    /// Who may see the map.
    pub visibility: Visibility,
    /// The map's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The URL name asked for (MapHub may choose another; see the answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
}

/// Arguments of `map/update`: only what is set changes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UpdateArgs {
    /// The map.
    pub map_id: u64,
    /// New title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New URL name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    /// New visibility.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// New content, replacing the whole map.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geojson: Option<Value>,
}

/// A map as MapHub describes it in answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapInfo {
    /// Its id.
    pub id: u64,
    /// Its address.
    pub url: String,
    /// Its owner.
    #[serde(default)]
    pub owner: Option<String>,
    /// Its URL name.
    #[serde(default)]
    pub short_name: Option<String>,
    /// Its title.
    #[serde(default)]
    pub title: Option<String>,
    /// Who may see it.
    #[serde(default)]
    pub visibility: Option<String>,
}

/// The answer of `map/list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MapList {
    /// Maps the key's account owns.
    #[serde(default)]
    pub owner: Vec<MapInfo>,
    /// Maps it may edit.
    #[serde(default)]
    pub editor: Vec<MapInfo>,
    /// Maps it may view.
    #[serde(default)]
    pub viewer: Vec<MapInfo>,
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    server: String,
    key: Option<ApiKey>,
    connect_timeout: Duration,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            server: DEFAULT_SERVER.into(),
            key: None,
            connect_timeout: Duration::from_secs(15),
            // MapHub may process an upload for up to 2 minutes before it answers.
            timeout: Duration::from_secs(180),
            retries: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

impl ClientBuilder {
    /// Defaults: MapHub's public server, 15 s to connect, 180 s for an answer, 3 retries
    /// of safe calls starting 0.5 s apart.
    pub fn new() -> Self {
        Self::default()
    }

    /// The server: the site (`https://company.maphub.net`) or its API base
    /// (`…/api/1/`). `http://` is accepted only for loopback addresses.
    pub fn server(mut self, url: impl Into<String>) -> Self {
        self.server = url.into();
        self
    }

    /// The API key.
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.key = Some(key);
        self
    }

    /// How long an answer may take.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// How long connecting may take.
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// How many times a safe call is tried again, and the first wait (doubling).
    pub fn retries(mut self, n: u32, backoff: Duration) -> Self {
        self.retries = n;
        self.backoff = backoff;
        self
    }

    /// The client.
    pub fn build(self) -> Result<Client> {
        let key = self.key.ok_or(Error::MissingKey)?;
        Ok(Client {
            base: api_base(&self.server)?,
            key,
            agent: ureq::AgentBuilder::new()
                .timeout_connect(self.connect_timeout)
                .timeout(self.timeout)
                .user_agent(&format!("geonorm/{}", env!("CARGO_PKG_VERSION")))
                .build(),
            retries: self.retries,
            backoff: self.backoff,
            refreshed: Mutex::new(HashMap::new()),
        })
    }
}

/// The API base for a server URL, ending in `/api/1/`.
pub(crate) fn api_base(server: &str) -> Result<String> {
    let bad = |why: &str| Error::BadServer {
        url: server.to_string(),
        why: why.to_string(),
    };
    let s = server.trim().trim_end_matches('/');
    let (scheme, rest) = s
        .split_once("://")
        .ok_or_else(|| bad("it needs https://"))?;
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(bad("it has no host"));
    }
    match scheme {
        "https" => {}
        "http" if matches!(host, "127.0.0.1" | "localhost" | "[") || rest.starts_with("[::1]") => {}
        "http" => {
            return Err(bad(
                "http:// is only for a server on this machine (127.0.0.1); use https://",
            ))
        }
        _ => return Err(bad("it needs https://")),
    }
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
    retries: u32,
    backoff: Duration,
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
    /// The API base URL in use (ends with `/api/1/`).
    pub fn base(&self) -> &str {
        &self.base
    }

    fn once(&self, endpoint: &str, body: &Body) -> Result<Value> {
        let url = format!("{}{endpoint}", self.base);
        let req = self
            .agent
            .post(&url)
            .set("Authorization", &self.key.header());
        let sent = match body {
            Body::Json(v) => req.set("Content-Type", "application/json").send_bytes(
                &serde_json::to_vec(v).map_err(|e| Error::Decode {
                    url: url.clone(),
                    message: e.to_string(),
                })?,
            ),
            Body::File { args, bytes } => req
                .set("MapHub-API-Arg", &args.to_string())
                .set("Content-Type", "application/octet-stream")
                .send_bytes(bytes),
        };
        let response = match sent {
            Ok(r) => r,
            Err(ureq::Error::Status(status, r)) => {
                let mut text = String::new();
                let _ = r.into_reader().take(300).read_to_string(&mut text);
                return Err(Error::Http {
                    status,
                    url,
                    excerpt: text.chars().take(200).collect(),
                });
            }
            Err(ureq::Error::Transport(t)) => {
                let never_reached = matches!(
                    t.kind(),
                    ureq::ErrorKind::Dns | ureq::ErrorKind::ConnectionFailed
                );
                return Err(Error::Transport {
                    url,
                    message: t.to_string(),
                    maybe_sent: !never_reached,
                });
            }
        };
        let mut text = String::new();
        response
            .into_reader()
            .take(1 << 30)
            .read_to_string(&mut text)
            .map_err(|e| Error::Transport {
                url: url.clone(),
                message: format!("the answer broke off: {e}"),
                maybe_sent: true,
            })?;
        decode(&url, &text)
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
            message: e.to_string(),
        }
    }

    fn typed<T: serde::de::DeserializeOwned>(&self, endpoint: &str, v: Value) -> Result<T> {
        serde_json::from_value(v).map_err(|e| self.decode_err(endpoint, e))
    }
}

/// MapHub's answer: JSON, an error when it has an `error` field.
fn decode(url: &str, text: &str) -> Result<Value> {
    let v: Value = serde_json::from_str(text).map_err(|e| Error::Decode {
        url: url.to_string(),
        message: format!(
            "not JSON ({e}): {}",
            text.chars().take(120).collect::<String>()
        ),
    })?;
    if let Some(err) = v.get("error") {
        let message = match err {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return Err(Error::Api(message));
    }
    Ok(v)
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
mod tests {
    use super::*;

    #[test]
    fn server_urls() {
        assert_eq!(
            api_base("https://maphub.net").ok().as_deref(),
            Some("https://maphub.net/api/1/")
        );
        assert_eq!(
            api_base("https://acme.maphub.net/").ok().as_deref(),
            Some("https://acme.maphub.net/api/1/")
        );
        assert_eq!(
            api_base("https://acme.maphub.net/api/1/").ok().as_deref(),
            Some("https://acme.maphub.net/api/1/")
        );
        assert_eq!(
            api_base("http://127.0.0.1:8080").ok().as_deref(),
            Some("http://127.0.0.1:8080/api/1/")
        );
        assert!(
            api_base("http://maphub.net").is_err(),
            "no plain http to the internet"
        );
        assert!(api_base("ftp://x").is_err());
        assert!(api_base("maphub.net").is_err());
    }

    #[test]
    fn arguments_are_the_documented_json() {
        let a = AppendArgs {
            map_id: 12345,
            file_type: FileType::Kml,
            new_group: None,
        };
        assert_eq!(
            serde_json::to_string(&a).ok().as_deref(),
            Some(r#"{"map_id":12345,"file_type":"kml"}"#)
        );
        let u = UploadArgs {
            file_type: FileType::Geojson,
            visibility: Visibility::Unlisted,
            title: Some("Trip".into()),
            description: None,
            short_name: None,
        };
        assert_eq!(
            serde_json::to_string(&u).ok().as_deref(),
            Some(r#"{"file_type":"geojson","visibility":"unlisted","title":"Trip"}"#)
        );
        assert_eq!(FileType::from(geonorm::Format::Kmz), FileType::Kml);
    }

    #[test]
    fn errors_come_with_http_200() {
        assert!(
            matches!(decode("u", r#"{"error":"Map not found"}"#), Err(Error::Api(m)) if m == "Map not found")
        );
        assert!(matches!(decode("u", "<html>"), Err(Error::Decode { .. })));
        assert!(decode("u", r#"{"id":1,"url":"x"}"#).is_ok());
    }

    #[test]
    fn only_safe_calls_retry_what_may_have_arrived() {
        let sent = Error::Transport {
            url: "u".into(),
            message: "reset".into(),
            maybe_sent: true,
        };
        let refused = Error::Transport {
            url: "u".into(),
            message: "refused".into(),
            maybe_sent: false,
        };
        let busy = Error::Http {
            status: 503,
            url: "u".into(),
            excerpt: String::new(),
        };
        assert!(retryable(&sent, true) && !retryable(&sent, false));
        assert!(retryable(&refused, true) && retryable(&refused, false));
        assert!(retryable(&busy, true) && !retryable(&busy, false));
        assert!(!retryable(&Error::Api("no".into()), true));
    }

    #[test]
    fn debug_output_hides_the_key() {
        let c = ClientBuilder::new()
            .api_key(ApiKey::new("hunter2").expect("key"))
            .build()
            .expect("client");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
