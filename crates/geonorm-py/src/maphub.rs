//! `geonorm.MapHub`: the MapHub API client (`geonorm-upload`) for Python, sending
//! files as `geonorm append` and `geonorm upload` send them: checked, converted to
//! MapHub GeoJSON, split under the size limit, recorded in a journal, resumable.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use geonorm::{Format, Severity};
use geonorm_upload::{
    send, ApiKey, Client, ClientBuilder, FileType, Mode, SendOptions, UploadArgs, Visibility,
    DEFAULT_SERVER,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde_json::Value;

use crate::model::{located, to_py, Diagnostic};
use crate::{read_error, MapHubError, Src};

/// A client for the MapHub API. The API key is taken from `MAPHUB_API_KEY` when not
/// given; it never appears in `repr()` or in an exception.
#[pyclass(module = "geonorm", frozen)]
pub struct MapHub {
    /// Shared with the thread a call runs on (see [`interruptible`]).
    client: Arc<Client>,
    server: String,
    /// The per-request time limit, when given: sends wait for it plus MapHub's 2
    /// minutes of processing before deciding an unanswered chunk did not land.
    timeout: Option<f64>,
}

/// A MapHub client error as a Python exception (its text never holds the key).
fn api_err(e: geonorm_upload::Error) -> PyErr {
    MapHubError::new_err(e.to_string())
}

/// Runs `work` on its own thread while this one waits with the GIL released, checking
/// every 50 ms for a signal: Ctrl-C raises `KeyboardInterrupt` at once instead of when
/// the call ends (a send may wait minutes for an answer). `stop` is set then, so a send
/// stops before its next request; a request in flight is left to end on its thread,
/// and the journal records it as sent without an answer, for `resume=True`.
fn interruptible<T: Send + 'static>(
    py: Python<'_>,
    stop: &Arc<AtomicBool>,
    work: impl FnOnce() -> T + Send + 'static,
) -> PyResult<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    let rx = std::sync::Mutex::new(rx);
    std::thread::Builder::new()
        .name("geonorm-maphub".into())
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(|e| MapHubError::new_err(format!("cannot start the call: {e}")))?;
    loop {
        // `detach` takes a Send closure: a Receiver is not Sync, a Mutex of one is.
        let wait = || match rx.lock() {
            Ok(rx) => rx.recv_timeout(Duration::from_millis(50)),
            Err(_) => Err(std::sync::mpsc::RecvTimeoutError::Disconnected),
        };
        match py.detach(wait) {
            Ok(v) => return Ok(v),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(MapHubError::new_err("the call ended without an answer"))
            }
        }
        if let Err(e) = py.check_signals() {
            stop.store(true, Ordering::SeqCst);
            return Err(e);
        }
    }
}

/// Options of a send, as the CLI's `append` and `upload` flags.
struct SendArgs {
    src: Src,
    raw: bool,
    /// Upload a KMZ's (or a KML folder's) icons and photos as markers and images.
    assets: bool,
    force: bool,
    resume: bool,
    max_bytes: Option<u64>,
    journal: Option<PathBuf>,
    unanswered_wait: Option<u64>,
    /// Cut a line over the limit as one feature into consecutive features.
    split_long_lines: bool,
}

/// Why a send did not happen or did not end well.
enum SendFailure {
    /// The check found errors (and `force` was not given).
    Check(String, Vec<Diagnostic>),
    /// The input could not be read.
    Io(std::io::Error),
    /// Refused before anything was sent, or a plain message.
    Message(String),
    /// The send stopped: its message and what is known of it.
    Stopped(String, Value),
}

/// What a send needs on its own thread.
struct Sender {
    client: Arc<Client>,
    timeout: Option<f64>,
    stop: Arc<AtomicBool>,
}

impl MapHub {
    /// A send on its own thread, interrupted by Ctrl-C (see [`interruptible`]).
    fn send_interruptibly(
        &self,
        py: Python<'_>,
        args: SendArgs,
        mode: Mode,
    ) -> PyResult<Py<PyAny>> {
        let stop = Arc::new(AtomicBool::new(false));
        let sender = Sender {
            client: Arc::clone(&self.client),
            timeout: self.timeout,
            stop: Arc::clone(&stop),
        };
        let r = interruptible(py, &stop, move || sender.do_send(args, mode))?;
        Self::finish_send(py, r)
    }

    /// A read on its own thread, interrupted by Ctrl-C.
    fn read<T: Send + 'static>(
        &self,
        py: Python<'_>,
        call: impl FnOnce(&Client) -> geonorm_upload::Result<T> + Send + 'static,
    ) -> PyResult<T> {
        let client = Arc::clone(&self.client);
        let stop = Arc::new(AtomicBool::new(false));
        interruptible(py, &stop, move || call(&client))?.map_err(api_err)
    }
}

impl Sender {
    /// `geonorm append` / `geonorm upload` without the terminal: check, convert, split,
    /// send with a journal. Runs without the GIL, stopping before the next request once
    /// `stop` is set.
    fn do_send(&self, args: SendArgs, mode: Mode) -> Result<Value, SendFailure> {
        let name = args.src.name();
        let (bytes, path) = args.src.load().map_err(SendFailure::Io)?;
        let Some(format) = Format::detect(&bytes, path.as_deref()) else {
            return Err(SendFailure::Message(format!(
                "{name}: not a KML, KMZ, GPX or GeoJSON file"
            )));
        };
        let limit = geonorm_upload::body_limit(args.max_bytes);
        // One read: the check, and the document sent.
        let checked = geonorm_upload::check_before_send(
            &bytes,
            path.as_deref(),
            format,
            args.raw,
            limit,
            false,
        );
        if checked.report.has_errors() && !args.force {
            let errors: Vec<geonorm::Diagnostic> = checked
                .report
                .diagnostics
                .iter()
                .filter(|d| d.severity >= Severity::Error)
                .cloned()
                .collect();
            let diags = located(&name, &bytes, Some(format), &errors);
            let first = diags.first().map(Diagnostic::one_line).unwrap_or_default();
            return Err(SendFailure::Check(
                format!("{name} has errors; nothing sent (fix them, or send anyway with force=True): {first}"),
                diags,
            ));
        }
        if args.raw {
            if let Some(l) = limit.filter(|&l| bytes.len() as u64 > l) {
                return Err(SendFailure::Message(format!(
                    "{name} is {} bytes, over the limit of {l}: raw=True sends the file as it is, so it cannot be split; send it converted, in parts",
                    bytes.len()
                )));
            }
        }
        let new_group = match &mode {
            Mode::Append { new_group, .. } => new_group.clone().unwrap_or_default(),
            Mode::Upload(_) => String::new(),
        };
        let shape = geonorm_upload::SendShape {
            raw: args.raw,
            assets: args.assets,
            limit,
            new_group: &new_group,
            split_long_lines: args.split_long_lines,
        };
        let mut ready = checked
            .ready(&bytes, path.as_deref(), format, &shape)
            .map_err(|e| SendFailure::Message(format!("{name}: {e}")))?;
        let journal = match &args.journal {
            Some(p) => p.clone(),
            None => geonorm_upload::journal_path(path.as_deref(), "bytes", &ready.input),
        };
        let input = ready.input.clone();
        let payload = ready.payload(&bytes, format, args.raw, limit);
        let mut on_event = |_: geonorm_upload::Event<'_>| {};
        let outcome = send(
            &self.client,
            payload,
            &mode,
            SendOptions {
                journal: journal.clone(),
                resume: args.resume,
                input,
                settle: geonorm_upload::settle_time(args.unanswered_wait, self.timeout),
                stop: Some(&self.stop),
                skip_assets: Default::default(),
                on_event: &mut on_event,
            },
        )
        .map_err(|e| SendFailure::Message(e.to_string()))?;
        let v = outcome.to_json(&journal);
        match &outcome.error {
            None => Ok(v),
            Some(e) => {
                let mut message = e.to_string();
                if outcome.journal_kept {
                    message.push_str(&format!(
                        "; the journal {} records what landed: call again with resume=True to send the rest",
                        journal.display()
                    ));
                }
                Err(SendFailure::Stopped(message, v))
            }
        }
    }
}

impl MapHub {
    fn finish_send(py: Python<'_>, r: Result<Value, SendFailure>) -> PyResult<Py<PyAny>> {
        match r {
            Ok(v) => Ok(to_py(py, &v, 0)?.unbind()),
            Err(SendFailure::Check(message, diags)) => Err(read_error(py, message, diags)),
            Err(SendFailure::Io(e)) => Err(crate::os_error(e)),
            Err(SendFailure::Message(m)) => Err(MapHubError::new_err(m)),
            Err(SendFailure::Stopped(m, outcome)) => {
                let err = MapHubError::new_err(m);
                err.value(py).setattr("outcome", to_py(py, &outcome, 0)?)?;
                Err(err)
            }
        }
    }
}

#[pymethods]
impl MapHub {
    #[new]
    #[pyo3(signature = (api_key=None, server=None, *, timeout=None, connect_timeout=None))]
    fn new(
        api_key: Option<String>,
        server: Option<String>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
    ) -> PyResult<Self> {
        let key = match api_key {
            Some(k) => ApiKey::new(k).map_err(api_err)?,
            None => ApiKey::from_env().map_err(api_err)?.ok_or_else(|| {
                MapHubError::new_err("no API key: pass api_key= or set MAPHUB_API_KEY")
            })?,
        };
        let server = server.unwrap_or_else(|| DEFAULT_SERVER.to_string());
        let secs = |what: &str, v: f64| {
            Duration::try_from_secs_f64(v)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    PyValueError::new_err(format!("{what} must be a positive number of seconds"))
                })
        };
        let mut builder = ClientBuilder::new().server(server.clone()).api_key(key);
        if let Some(v) = connect_timeout {
            builder = builder.connect_timeout(secs("connect_timeout", v)?);
        }
        if let Some(v) = timeout {
            let d = secs("timeout", v)?;
            builder = builder.timeout(d).send_timeout(d);
        }
        let client = builder.build().map_err(api_err)?;
        Ok(MapHub {
            client: Arc::new(client),
            server,
            timeout,
        })
    }

    fn __repr__(&self) -> String {
        format!("MapHub(server={:?})", self.server)
    }

    /// The server's address as given.
    #[getter]
    fn server(&self) -> String {
        self.server.clone()
    }

    /// Adds a file's features to map `map_id`: checked, converted to MapHub GeoJSON
    /// and, when larger than `max_bytes` (default MapHub's 15 MiB; 0 for no limit),
    /// split, with a journal so that `resume=True` finishes a send that stopped. A
    /// KMZ's custom icons and photos (or a KML's, beside it) are uploaded first as
    /// MapHub markers and images (`assets=False` sends the features alone). A feature
    /// alone over the limit is refused before anything is sent, unless
    /// `split_long_lines=True` cuts the line into consecutive features under it.
    /// Returns what happened (`map`, `chunks`, `assets`, `verified`, `journal`).
    #[pyo3(signature = (source, map_id, new_group=None, *, raw=false, assets=true, force=false, resume=false, max_bytes=None, journal=None, unanswered_wait=None, split_long_lines=false))]
    #[allow(clippy::too_many_arguments)]
    fn append(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        map_id: u64,
        new_group: Option<String>,
        raw: bool,
        assets: bool,
        force: bool,
        resume: bool,
        max_bytes: Option<u64>,
        journal: Option<PathBuf>,
        unanswered_wait: Option<u64>,
        split_long_lines: bool,
    ) -> PyResult<Py<PyAny>> {
        let args = SendArgs {
            src: Src::extract(source)?,
            raw,
            assets,
            force,
            resume,
            max_bytes,
            journal,
            unanswered_wait,
            split_long_lines,
        };
        let mode = Mode::Append { map_id, new_group };
        self.send_interruptibly(py, args, mode)
    }

    /// Creates a map from a file (checked, converted, split and journalled as
    /// `append`). `visibility` is `public`, `unlisted` or `private`.
    #[pyo3(signature = (source, visibility="private", title=None, description=None, short_name=None, *, raw=false, assets=true, force=false, resume=false, max_bytes=None, journal=None, unanswered_wait=None, split_long_lines=false))]
    #[allow(clippy::too_many_arguments)]
    fn upload(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        visibility: &str,
        title: Option<String>,
        description: Option<String>,
        short_name: Option<String>,
        raw: bool,
        assets: bool,
        force: bool,
        resume: bool,
        max_bytes: Option<u64>,
        journal: Option<PathBuf>,
        unanswered_wait: Option<u64>,
        split_long_lines: bool,
    ) -> PyResult<Py<PyAny>> {
        let visibility = match visibility {
            "public" => Visibility::Public,
            "unlisted" => Visibility::Unlisted,
            "private" => Visibility::Private,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown visibility {other:?}; expected 'public', 'unlisted' or 'private'"
                )))
            }
        };
        let args = SendArgs {
            src: Src::extract(source)?,
            raw,
            assets,
            force,
            resume,
            max_bytes,
            journal,
            unanswered_wait,
            split_long_lines,
        };
        let mode = Mode::Upload(UploadArgs {
            file_type: FileType::Geojson,
            visibility,
            title,
            description,
            short_name,
        });
        self.send_interruptibly(py, args, mode)
    }

    /// The maps the key can see: `{"owner": [...], "editor": [...], "viewer": [...]}`.
    fn maps(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let list = self.read(py, |c| c.list())?;
        let v = serde_json::to_value(&list).map_err(|e| MapHubError::new_err(e.to_string()))?;
        Ok(to_py(py, &v, 0)?.unbind())
    }

    /// A map's GeoJSON (a dict); MapHub's whole answer with `full=True`.
    #[pyo3(signature = (map_id, *, full=false))]
    fn get(&self, py: Python<'_>, map_id: u64, full: bool) -> PyResult<Py<PyAny>> {
        let map = self.read(py, move |c| c.get(map_id))?;
        let v = if full {
            &map
        } else {
            match map.get("geojson") {
                Some(g @ Value::Object(_)) => g,
                _ => {
                    return Err(MapHubError::new_err(format!(
                        "MapHub's answer for map {map_id} holds no GeoJSON object"
                    )))
                }
            }
        };
        Ok(to_py(py, v, 0)?.unbind())
    }

    /// Asks MapHub to redraw the map's preview image (allowed once per 5 minutes).
    fn refresh_image(&self, py: Python<'_>, map_id: u64) -> PyResult<Py<PyAny>> {
        let info = self.read(py, move |c| c.refresh_image(map_id))?;
        let v = serde_json::to_value(&info).map_err(|e| MapHubError::new_err(e.to_string()))?;
        Ok(to_py(py, &v, 0)?.unbind())
    }
}
