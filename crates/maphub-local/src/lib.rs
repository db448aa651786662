//! # maphub-local
//!
//! A local, MapHub-compatible API server: a real HTTP/1.1 server on `127.0.0.1` that
//! answers the calls of the [MapHub API](https://docs.maphub.net/api/) as that
//! documentation describes them, keeps its maps in memory (or in a directory), and can
//! be told to misbehave (delays, dropped connections, 503s, 500s) so that clients can be
//! tested against the failures a real server produces. It is used in-process by the
//! tests of Rust clients ([`Server`]) and as the `maphub-local` binary by end-to-end
//! tests and by users who want to try geonorm offline.
//!
//! ## The API as served
//!
//! Every call is `POST /api/1/<endpoint>` with the header `Authorization: Token <key>`.
//! Like MapHub, the server answers errors with HTTP 200 and a JSON body
//! `{"error": "<message>"}` (a wrong or missing key gives `{"error": "Invalid API key"}`);
//! successes are HTTP 200 with JSON and no `error` member. An unknown endpoint is HTTP 404
//! with `{"error": "Unknown endpoint"}`.
//!
//! | endpoint | arguments | answer |
//! |---|---|---|
//! | `map/list` | body `{}` (or empty) | `{"owner": [summaries], "editor": [], "viewer": []}` |
//! | `map/get` | body `{map_id}` | the map object with `geojson`, `images`, `markers` |
//! | `map/upload` | header `MapHub-API-Arg: {file_type, visibility, title?, description?, short_name?}`, the file as body | the new map's summary |
//! | `map/append` | header `MapHub-API-Arg: {map_id, file_type, new_group?}`, the file as body | the map's summary |
//! | `map/update` | body `{map_id, title?, description?, short_name?, visibility?, geojson?}` | the map's summary |
//! | `map/refresh_image` | body `{map_id}` | the map's summary (at most once per map per 5 minutes) |
//! | `marker/upload` | header `MapHub-API-Arg: {file_type: "png"}`, a PNG as body | `{"marker_id": ID}` |
//! | `image/upload` | header `MapHub-API-Arg: {file_type}` (`jpg`, `jpeg` or `png`), the image as body | `{"image_id": ID, width, height, tip_color, avg_color, has_gps: false, geometry: null, date_str: null, date_iso: null}` |
//!
//! A map summary is `{id, url, owner, short_name, title, visibility}`; the map object adds
//! `description`, `created_date` and `modified_date`. `file_type` is `kml` (KML or KMZ),
//! `gpx`, `geojson`, or for uploads `empty`. Files are read with [`geonorm`]; a body
//! larger than [`Config::max_upload_bytes`] answers `{"error": "File too large (limit 15
//! MB)"}` (the body is read and discarded first; a limit that is not whole MiB is
//! given in bytes).
//!
//! ## Markers and images
//!
//! `marker/upload` takes only `file_type: "png"`, as MapHub; `image/upload` takes `jpg`
//! (or `jpeg`) and `png`. The body must decode as that format (a JPEG sent as `png` is
//! an error), within 20 000 × 20 000 pixels and 256 MiB of decoder memory. The image's
//! `width` and `height` are read from the file; `avg_color` is the mean colour of its
//! pixels and `tip_color` the mean colour of its bottom row (an assumption: MapHub does
//! not document it; the popup's tip sits below the image), both `#rrggbb`, weighted by
//! alpha; there is no EXIF reading, so `has_gps` is `false` and `geometry`, `date_str`,
//! `date_iso` are `null`.
//!
//! Ids of markers and images are strings of 12 lowercase hex digits (MapHub does not
//! document their type; clients should treat them as opaque JSON values). Every
//! successful upload makes a new one, even for the same bytes. The server has one key,
//! so markers and images are kept per server (MapHub keeps them per account), and
//! never deleted (MapHub deletes those no map uses).
//!
//! `map/get` answers `markers` and `images` as arrays of ids (MapHub's `images [ids],
//! markers [ids]`): the uploaded markers named by a feature's `marker_id` property and
//! the uploaded images named by the `id` of a feature's `image` property
//! (`{id, w, h, tip_color, avg_color}`), each once, in the order the features first use
//! them; ids of nothing uploaded here are left out. The `geojson` is left as stored.
//!
//! Details this server fills in where the documentation is silent: an upload without
//! `title` is titled `Untitled map`, without `short_name` gets a slug of its title, and
//! without `description` an empty one; dates are `YYYY-MM-DDTHH:MM:SSZ` (UTC); a map's
//! `url` is `<server url>/map/<id>` and its owner is `local`. A request is checked in
//! this order: endpoint (404), method (405), key, body size, arguments. A POST without
//! `Content-Length` is answered 411 (chunked bodies are not supported). Every answer
//! carries `Connection: close`.
//!
//! ## Appending groups
//!
//! `map/append` matches the groups of the appended file to the map's groups by their
//! full title path (levels joined by [`geonorm::GROUP_PATH_SEPARATOR`]): a path the map
//! already has is reused, a new path becomes a new group with a fresh id (the largest
//! id in use + 1). This is an assumption about MapHub: that groups sent again merge by
//! title rather than being duplicated. With `new_group`, a new group of that title is
//! created and every appended feature goes into it.
//!
//! ## Faults and control endpoints
//!
//! [`Faults`] (set with [`Server::set_faults`] or `POST /_control/faults` with the
//! faults as a JSON body) apply to API calls only: delays, dropped connections,
//! connections never answered, redirects, requests echoed in errors, dripped answers,
//! 503s, 500s; they aim at `marker/upload` and `image/upload` as at any endpoint
//! (`drop_endpoint`), and their successes count for `fail_after`. `POST
//! /_control/requests` answers the [`RequestLog`] of every API request so far. `POST
//! /_control/marker` and `POST /_control/image` with the body `{"id": ID}` answer the
//! uploaded file's bytes as sent (HTTP 404 for an unknown id); in-process,
//! [`Server::marker`], [`Server::image`], [`Server::marker_count`] and
//! [`Server::image_count`]. Control endpoints are not logged and are never faulted. They need
//! the API key (`Authorization: Token <key>`, else HTTP 401), refuse any request with
//! an `Origin` header (HTTP 403: a web page the user visits must not set faults or read
//! the log), and take a body only as `Content-Type: application/json` (else HTTP 415).
//!
//! ## Running it
//!
//! ```text
//! MAPHUB_API_KEY=KEY maphub-local --port 8080 [--data DIR] [--max-upload-bytes N]
//! maphub-local --api-key-file FILE --port 8080 …
//! ```
//!
//! The key comes from `--api-key-file` (its first line) or else the `MAPHUB_API_KEY`
//! environment variable; it is never taken on the command line, where other users of
//! the machine could see it (`ps`). The binary prints one
//! line, `maphub-local listening on http://127.0.0.1:PORT` (`--port 0` picks a free
//! port), and serves until killed. In-process:
//!
//! ```
//! use maphub_local::{Config, Server};
//! let server = Server::start(Config { api_key: "secret".into(), ..Config::default() }, 0)?;
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! assert_eq!(server.map_count(), 0);
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(missing_docs)]

mod api;
mod assets;
mod http;
mod store;

use std::io::{self, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How a server is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// The key clients must send as `Authorization: Token <key>`. An empty key lets no
    /// client in. Defaults to `"test-key"`.
    pub api_key: String,
    /// Where maps are kept, one `map-<id>.json` per map, saved after every change and
    /// loaded at start (the directory is created if missing), with the uploaded
    /// markers (`marker-<id>.png`) and images (`image-<id>.jpg` or `.png`). `None`
    /// keeps them in memory only.
    pub data_dir: Option<PathBuf>,
    /// The largest request body accepted, in bytes; defaults to MapHub's 15 MiB.
    pub max_upload_bytes: u64,
    /// Faults to start with.
    pub faults: Faults,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            api_key: "test-key".to_owned(),
            data_dir: None,
            max_upload_bytes: geonorm::MAPHUB_MAX_UPLOAD_BYTES,
            faults: Faults::default(),
        }
    }
}

/// Misbehaviour to inject into API calls (never into control endpoints). In JSON, every
/// member may be left out; an unknown member is refused.
///
/// For each API request, once its head and body are read and `delay_ms` is slept, the
/// first of these that is set decides the answer:
///
/// 1. `drop_after_body` (then cleared): the connection is closed without an answer,
///    after carrying the request out for [`DropAfterBody::Apply`];
/// 2. `never_answer`: the connection is held open, unanswered, until the client hangs
///    up (at most 10 minutes);
/// 3. `redirect`: HTTP 302 to that `Location`;
/// 4. `echo_request`: that HTTP status with `{"error": "<the request head>"}`, the
///    head including the `Authorization` header as received;
/// 5. `refuse_endpoint` names the request's endpoint (e.g. `marker/upload`) and
///    `refuse_after` is 0 (else it is decremented and the request goes on): HTTP 400
///    with an `error`, as MapHub refuses a file it cannot take, nothing carried out;
/// 6. `drip_ms > 0`: HTTP 200 whose body is spaces, one every `drip_ms` ms, until the
///    client hangs up (at most 10 minutes) — a valid start of JSON that never ends;
/// 7. `status_503 > 0` (then decremented): an empty HTTP 503;
/// 8. `fail_after` is `Some(0)`: an empty HTTP 500.
///
/// Only `drop_after_body` with [`DropAfterBody::Apply`] and a normal answer carry the
/// request out.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Milliseconds to sleep before answering (or dropping) each API request; the
    /// request is then carried out even if the client has gone.
    pub delay_ms: u64,
    /// For the next API request (then cleared): read its whole body, then close the
    /// connection without answering.
    pub drop_after_body: Option<DropAfterBody>,
    /// With `drop_after_body`: only the next request to this endpoint (e.g.
    /// `map/upload`) is dropped; requests to others pass.
    pub drop_endpoint: Option<String>,
    /// Hold every API request's connection open without answering.
    pub never_answer: bool,
    /// Answer every API request with HTTP 302 to this `Location`.
    pub redirect: Option<String>,
    /// Answer every API request with this HTTP status and the request head as the
    /// `error` (as a server that echoes requests in its errors does).
    pub echo_request: Option<u16>,
    /// Refuse every request to this endpoint (e.g. `marker/upload`) with HTTP 400 and
    /// an `error`, without carrying it out, until the faults are replaced.
    pub refuse_endpoint: Option<String>,
    /// With `refuse_endpoint`: let this many requests to it pass first.
    pub refuse_after: u32,
    /// Answer every API request with HTTP 200 and a body dripped one space every this
    /// many milliseconds, never finished.
    pub drip_ms: u64,
    /// Answer the next N API requests with an empty HTTP 503, without carrying them out.
    pub status_503: u32,
    /// After this many more successful API calls (HTTP 200 without an `error` member),
    /// answer every further call with an empty HTTP 500, until the faults are replaced.
    pub fail_after: Option<u32>,
}

/// What happens to a request whose connection is dropped after its body.
#[derive(Clone, Copy, Debug, serde::Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum DropAfterBody {
    /// Carry the request out (e.g. store the appended features), then close without
    /// answering: the client cannot know it succeeded.
    Apply,
    /// Close without answering and without carrying the request out.
    Discard,
}

/// One API request as received (control requests are not logged).
#[derive(Clone, Debug, serde::Serialize)]
pub struct RequestLog {
    /// The endpoint, e.g. `map/append` (the path after `/api/1/`; the whole path for a
    /// request outside `/api/1/`).
    pub endpoint: String,
    /// The JSON arguments: the `MapHub-API-Arg` header for `map/upload`, `map/append`,
    /// `marker/upload` and `image/upload`, the body for other endpoints (`{}` for an
    /// empty body); `None` when absent or not JSON.
    pub api_arg: Option<serde_json::Value>,
    /// The length of the request body.
    pub body_bytes: usize,
    /// Whether the request carried the right key.
    pub authorized: bool,
}

/// What never changes while a server runs.
pub(crate) struct Settings {
    pub api_key: String,
    pub data_dir: Option<PathBuf>,
    pub max_upload_bytes: u64,
    pub base_url: String,
}

/// What connection threads share.
pub(crate) struct Shared {
    pub settings: Settings,
    pub state: Mutex<api::State>,
}

impl Shared {
    /// The state, also after a thread panicked while holding it.
    pub fn lock(&self) -> MutexGuard<'_, api::State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running server. Dropping it stops accepting connections (requests already being
/// answered are finished by their threads).
pub struct Server {
    shared: Arc<Shared>,
    port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `127.0.0.1:port` (`0` picks a free port), loads the maps of
    /// [`Config::data_dir`] and starts serving on a background thread, one thread per
    /// connection.
    ///
    /// Fails if the port cannot be bound or a map file cannot be read.
    pub fn start(config: Config, port: u16) -> io::Result<Server> {
        let (maps, assets) = match &config.data_dir {
            Some(dir) => (store::load(dir)?, assets::load(dir)?),
            None => Default::default(),
        };
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            settings: Settings {
                api_key: config.api_key,
                data_dir: config.data_dir,
                max_upload_bytes: config.max_upload_bytes,
                base_url: format!("http://127.0.0.1:{port}"),
            },
            state: Mutex::new(api::State::new(config.faults, maps, assets)),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let shared = Arc::clone(&shared);
            let stop = Arc::clone(&stop);
            thread::Builder::new()
                .name("maphub-local-accept".to_owned())
                .spawn(move || accept_loop(&listener, &shared, &stop))?
        };
        Ok(Server {
            shared,
            port,
            stop,
            accept: Some(accept),
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's address, `http://127.0.0.1:PORT` (without a trailing slash).
    pub fn url(&self) -> String {
        self.shared.settings.base_url.clone()
    }

    /// Replaces the faults.
    pub fn set_faults(&self, f: Faults) {
        self.shared.lock().faults = f;
    }

    /// Every API request received so far, in order.
    pub fn requests(&self) -> Vec<RequestLog> {
        self.shared.lock().log.clone()
    }

    /// How many maps the server holds.
    pub fn map_count(&self) -> usize {
        self.shared.lock().maps.len()
    }

    /// The PNG uploaded with `marker/upload` as marker `id`, byte for byte.
    pub fn marker(&self, id: &str) -> Option<Vec<u8>> {
        self.shared.lock().markers.get(id).cloned()
    }

    /// The file uploaded with `image/upload` as image `id`, byte for byte.
    pub fn image(&self, id: &str) -> Option<Vec<u8>> {
        self.shared.lock().images.get(id).map(|i| i.bytes.clone())
    }

    /// How many markers the server holds (one per successful `marker/upload`).
    pub fn marker_count(&self) -> usize {
        self.shared.lock().markers.len()
    }

    /// How many images the server holds (one per successful `image/upload`).
    pub fn image_count(&self) -> usize {
        self.shared.lock().images.len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept thread up; if that fails it would never return, so leave it.
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        if TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok() {
            if let Some(handle) = self.accept.take() {
                let _ = handle.join();
            }
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, stop: &AtomicBool) {
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        match conn {
            Ok(stream) => {
                let shared = Arc::clone(shared);
                // If no thread can be started the connection is simply closed.
                let _ = thread::Builder::new()
                    .name("maphub-local-conn".to_owned())
                    .spawn(move || serve_connection(stream, &shared));
            }
            // Out of file descriptors and the like: do not spin.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Reads one request from `stream` and answers it.
fn serve_connection(mut stream: TcpStream, shared: &Shared) {
    let timeout = Some(Duration::from_secs(30));
    if stream.set_read_timeout(timeout).is_err() || stream.set_write_timeout(timeout).is_err() {
        return;
    }
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let head = match http::read_head(&mut reader) {
        Ok(head) => head,
        Err(http::ReadError::Answer(r)) => return r.send(&mut stream),
        Err(http::ReadError::Gone) => return,
    };
    let control = head.path.starts_with("/_control/");
    let limit = if control {
        api::CONTROL_BODY_LIMIT
    } else {
        shared.settings.max_upload_bytes
    };
    let body = match http::read_body(&head, &mut reader, &mut stream, limit) {
        Ok(body) => body,
        Err(http::ReadError::Answer(r)) => return r.send(&mut stream),
        Err(http::ReadError::Gone) => return,
    };
    if control {
        api::control(shared, &head, &body).send(&mut stream);
    } else {
        api::serve(shared, &head, &body, &mut stream);
    }
}
