//! The MapHub endpoints, the control endpoints and fault injection.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use geonorm::{Document, Format, Group, GroupId, GROUP_PATH_SEPARATOR};
use serde_json::{json, Map, Value};

use crate::assets::{self, Kind, StoredImage};
use crate::http::{self, Body, Head, Response};
use crate::store::{self, StoredMap};
use crate::{DropAfterBody, Faults, RequestLog, Shared};

mod control;
mod merging;

pub(crate) use control::control;
use merging::merge;

/// The largest body a control endpoint accepts.
pub(crate) const CONTROL_BODY_LIMIT: u64 = 1024 * 1024;

/// How often `map/refresh_image` may be called per map.
const REFRESH_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// What changes while a server runs.
pub(crate) struct State {
    pub faults: Faults,
    pub maps: BTreeMap<u64, StoredMap>,
    pub log: Vec<RequestLog>,
    /// Uploaded markers (PNG bytes) by id.
    pub markers: BTreeMap<String, Vec<u8>>,
    /// Uploaded images by id.
    pub images: BTreeMap<String, StoredImage>,
    next_id: u64,
    /// Where this run's marker and image ids start, and how many were handed out.
    asset_seed: u64,
    asset_seq: u64,
    last_refresh: HashMap<u64, Instant>,
}

impl State {
    pub fn new(faults: Faults, maps: BTreeMap<u64, StoredMap>, assets: assets::Loaded) -> State {
        let next_id = maps.keys().next_back().map_or(1, |id| id.saturating_add(1));
        let (markers, images) = assets;
        // A different sequence each run, so that ids kept in a data directory from an
        // earlier run are not handed out again in order (a clash is checked anyway).
        let asset_seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id());
        State {
            faults,
            maps,
            log: Vec::new(),
            markers,
            images,
            next_id,
            asset_seed,
            asset_seq: 0,
            last_refresh: HashMap::new(),
        }
    }

    /// A marker or image id no marker or image has.
    fn new_asset_id(&mut self) -> String {
        loop {
            let id = assets::id_from(self.asset_seed, self.asset_seq);
            self.asset_seq = self.asset_seq.wrapping_add(1);
            if !self.markers.contains_key(&id) && !self.images.contains_key(&id) {
                return id;
            }
        }
    }
}

/// The endpoints.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Endpoint {
    List,
    Get,
    Upload,
    Append,
    Update,
    RefreshImage,
    MarkerUpload,
    ImageUpload,
}

impl Endpoint {
    fn from_name(name: &str) -> Option<Endpoint> {
        Some(match name {
            "map/list" => Endpoint::List,
            "map/get" => Endpoint::Get,
            "map/upload" => Endpoint::Upload,
            "map/append" => Endpoint::Append,
            "map/update" => Endpoint::Update,
            "map/refresh_image" => Endpoint::RefreshImage,
            "marker/upload" => Endpoint::MarkerUpload,
            "image/upload" => Endpoint::ImageUpload,
            _ => return None,
        })
    }

    /// Whether the arguments come in the `MapHub-API-Arg` header (the body being a file).
    fn args_in_header(self) -> bool {
        matches!(
            self,
            Endpoint::Upload | Endpoint::Append | Endpoint::MarkerUpload | Endpoint::ImageUpload
        )
    }
}

/// An error answer: HTTP `status` with `{"error": message}`.
struct ApiError {
    status: u16,
    message: String,
}

/// MapHub's way: HTTP 200 with an `error` member.
fn fail<T>(message: impl Into<String>) -> Result<T, ApiError> {
    Err(ApiError {
        status: 200,
        message: message.into(),
    })
}

/// What a request is, once read.
struct ApiRequest<'a> {
    method: &'a str,
    endpoint: Option<Endpoint>,
    authorized: bool,
    /// The parsed arguments, or why they could not be parsed.
    args: Result<Map<String, Value>, String>,
    body: &'a Body,
}

/// What the faults make of a request.
enum Action {
    Normal,
    Drop(DropAfterBody),
    Status(u16),
    NeverAnswer,
    Redirect(String),
    Echo(u16),
    Refuse,
    Drip(u64),
}

/// The longest a connection is held for `never_answer` or `drip_ms`.
const HOLD_AT_MOST: Duration = Duration::from_secs(600);

/// Answers one API request: logs it, applies the faults, carries it out.
pub(crate) fn serve(shared: &Shared, head: &Head, body: &Body, stream: &mut TcpStream) {
    let name = head
        .path
        .strip_prefix("/api/1/")
        .unwrap_or(&head.path)
        .to_owned();
    let endpoint = head
        .path
        .strip_prefix("/api/1/")
        .and_then(Endpoint::from_name);
    let authorized = authorized(head, &shared.settings.api_key);
    let args = match endpoint {
        Some(e) if e.args_in_header() => header_args(head),
        _ if body.too_large => Err("the body was too large to be read".to_owned()),
        _ => body_args(&body.bytes),
    };
    let (action, delay) = {
        let mut state = shared.lock();
        state.log.push(RequestLog {
            endpoint: name,
            api_arg: args.as_ref().ok().map(|m| Value::Object(m.clone())),
            body_bytes: body.len,
            authorized,
        });
        let faults = &mut state.faults;
        let aimed = faults
            .drop_endpoint
            .as_deref()
            .is_none_or(|e| Some(e) == head.path.strip_prefix("/api/1/"));
        let refusing = faults
            .refuse_endpoint
            .as_deref()
            .is_some_and(|e| Some(e) == head.path.strip_prefix("/api/1/"));
        let refuse_now = refusing && faults.refuse_after == 0;
        if refusing && !refuse_now {
            faults.refuse_after -= 1;
        }
        let action = if let Some(drop) = faults.drop_after_body.take_if(|_| aimed) {
            Action::Drop(drop)
        } else if faults.never_answer {
            Action::NeverAnswer
        } else if let Some(location) = &faults.redirect {
            Action::Redirect(location.clone())
        } else if let Some(status) = faults.echo_request {
            Action::Echo(status)
        } else if refuse_now {
            Action::Refuse
        } else if faults.drip_ms > 0 {
            Action::Drip(faults.drip_ms)
        } else if faults.status_503 > 0 {
            faults.status_503 -= 1;
            Action::Status(503)
        } else if faults.fail_after == Some(0) {
            Action::Status(500)
        } else {
            Action::Normal
        };
        (action, faults.delay_ms)
    };
    if delay > 0 {
        thread::sleep(Duration::from_millis(delay));
    }
    let request = ApiRequest {
        method: &head.method,
        endpoint,
        authorized,
        args,
        body,
    };
    match action {
        Action::Drop(DropAfterBody::Apply) => {
            let _ = carry_out(shared, &request);
            http::drop_connection(stream);
        }
        Action::Drop(DropAfterBody::Discard) => http::drop_connection(stream),
        Action::Status(status) => Response::empty(status).send(stream),
        Action::Normal => carry_out(shared, &request).send(stream),
        Action::NeverAnswer => http::hold(stream, HOLD_AT_MOST),
        Action::Redirect(location) => Response::empty(302)
            .with_header("Location", &location)
            .send(stream),
        Action::Echo(status) => Response::error(status, &echo(head)).send(stream),
        Action::Refuse => Response::error(
            400,
            "the server refused this file (maphub-local's refuse_endpoint fault)",
        )
        .send(stream),
        Action::Drip(ms) => http::drip(stream, Duration::from_millis(ms), HOLD_AT_MOST),
    }
}

/// The request head as text, as a server that echoes requests would show it.
fn echo(head: &Head) -> String {
    let mut out = format!("{} {}", head.method, head.path);
    for (k, v) in &head.headers {
        out.push_str(&format!("\n{k}: {v}"));
    }
    out
}

/// Carries a request out; a success counts down `fail_after`.
fn carry_out(shared: &Shared, request: &ApiRequest<'_>) -> Response {
    match execute(shared, request) {
        Ok(value) => {
            let mut state = shared.lock();
            if let Some(n) = state.faults.fail_after {
                state.faults.fail_after = Some(n.saturating_sub(1));
            }
            Response::json(200, &Value::Object(value))
        }
        Err(e) => Response::error(e.status, &e.message),
    }
}

fn execute(shared: &Shared, request: &ApiRequest<'_>) -> Result<Map<String, Value>, ApiError> {
    let Some(endpoint) = request.endpoint else {
        return Err(ApiError {
            status: 404,
            message: "Unknown endpoint".into(),
        });
    };
    if request.method != "POST" {
        return Err(ApiError {
            status: 405,
            message: "Method not allowed: API calls are POST requests".into(),
        });
    }
    if !request.authorized {
        return fail("Invalid API key");
    }
    if request.body.too_large {
        return fail(too_large_message(shared.settings.max_upload_bytes));
    }
    let args = match &request.args {
        Ok(args) => args,
        Err(message) => return fail(message.clone()),
    };
    let bytes = &request.body.bytes[..];
    match endpoint {
        Endpoint::List => list(shared),
        Endpoint::Get => get(shared, args),
        Endpoint::Upload => upload(shared, args, bytes),
        Endpoint::Append => append(shared, args, bytes),
        Endpoint::Update => update(shared, args),
        Endpoint::RefreshImage => refresh_image(shared, args),
        Endpoint::MarkerUpload => marker_upload(shared, args, bytes),
        Endpoint::ImageUpload => image_upload(shared, args, bytes),
    }
}

fn too_large_message(limit: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if limit >= MIB && limit.is_multiple_of(MIB) {
        format!("File too large (limit {} MB)", limit / MIB)
    } else {
        format!("File too large (limit {limit} bytes)")
    }
}

fn authorized(head: &Head, key: &str) -> bool {
    if key.is_empty() {
        return false;
    }
    let Some(value) = head.header("authorization") else {
        return false;
    };
    let mut parts = value.splitn(2, ' ');
    let scheme = parts.next().unwrap_or_default();
    let token = parts.next().unwrap_or_default().trim();
    scheme.eq_ignore_ascii_case("token") && token == key
}

fn header_args(head: &Head) -> Result<Map<String, Value>, String> {
    match head.header("maphub-api-arg") {
        Some(text) => object_args(text.as_bytes(), "the MapHub-API-Arg header"),
        None => Err("Missing MapHub-API-Arg header".into()),
    }
}

fn body_args(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    object_args(bytes, "the request body")
}

fn object_args(bytes: &[u8], place: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!("Invalid arguments: {place} must be a JSON object")),
        Err(e) => Err(format!("Invalid JSON in {place}: {e}")),
    }
}

// ---------------------------------------------------------------- arguments

fn map_id(args: &Map<String, Value>) -> Result<u64, ApiError> {
    match args.get("map_id") {
        None | Some(Value::Null) => fail("Missing argument: map_id"),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(id) => Ok(id),
            None => fail("Invalid map_id: it must be a positive integer"),
        },
        Some(Value::String(s)) => match s.trim().parse::<u64>() {
            Ok(id) => Ok(id),
            Err(_) => fail("Invalid map_id: it must be a positive integer"),
        },
        Some(_) => fail("Invalid map_id: it must be a positive integer"),
    }
}

fn opt_str(args: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => fail(format!("Invalid {key}: it must be a string")),
    }
}

fn visibility(args: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match opt_str(args, "visibility")? {
        None => Ok(None),
        Some(v) if matches!(v.as_str(), "public" | "unlisted" | "private") => Ok(Some(v)),
        Some(v) => fail(format!(
            "Invalid visibility \"{v}\": it must be public, unlisted or private"
        )),
    }
}

fn file_type(args: &Map<String, Value>, allowed: &[&str]) -> Result<String, ApiError> {
    match opt_str(args, "file_type")? {
        None => fail("Missing argument: file_type"),
        Some(t) if allowed.contains(&t.as_str()) => Ok(t),
        Some(t) => fail(format!(
            "Invalid file_type \"{t}\": it must be one of {}",
            allowed.join(", ")
        )),
    }
}

/// Reads an uploaded file of `file_type` (`kml` takes KML and KMZ).
fn read_file(file_type: &str, bytes: &[u8]) -> Result<Document, ApiError> {
    // The formats MapHub takes as this file type (GeoJSON when it names none).
    let mut expected: Vec<Format> = Format::ALL
        .into_iter()
        .filter(|f| f.maphub_file_type() == file_type)
        .collect();
    if expected.is_empty() {
        expected.push(Format::GeoJson);
    }
    let format = match Format::detect(bytes, None) {
        Some(f) if expected.contains(&f) => f,
        Some(f) => {
            return fail(format!(
                "Could not read the file as {file_type}: its content is {f}"
            ))
        }
        None => expected.first().copied().unwrap_or(Format::GeoJson),
    };
    match geonorm::read(bytes, &geonorm::ReadOptions::format(format))
        .map(geonorm::Parsed::into_parts)
    {
        Ok((doc, _)) => Ok(doc),
        Err(e) => fail(format!("Could not read the file as {file_type}: {e}")),
    }
}

// ---------------------------------------------------------------- endpoints

fn not_found() -> ApiError {
    ApiError {
        status: 200,
        message: "Map not found".into(),
    }
}

/// Saves the map `id` if the server keeps a data directory.
fn persist(shared: &Shared, map: &StoredMap) -> Result<(), ApiError> {
    persist_with(shared, |dir| {
        store::save(dir, &shared.settings.base_url, map)
    })
}

fn list(shared: &Shared) -> Result<Map<String, Value>, ApiError> {
    let state = shared.lock();
    let owner: Vec<Value> = state
        .maps
        .values()
        .map(|m| Value::Object(m.summary(&shared.settings.base_url)))
        .collect();
    let mut out = Map::new();
    out.insert("owner".into(), Value::Array(owner));
    out.insert("editor".into(), json!([]));
    out.insert("viewer".into(), json!([]));
    Ok(out)
}

fn get(shared: &Shared, args: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let id = map_id(args)?;
    let state = shared.lock();
    let map = state.maps.get(&id).ok_or_else(not_found)?;
    let mut out = map.object(&shared.settings.base_url);
    let geojson = map.geojson().or_else(fail)?;
    out.insert("geojson".into(), geojson);
    let (markers, images) = referenced(&map.doc, &state);
    out.insert("images".into(), Value::Array(images));
    out.insert("markers".into(), Value::Array(markers));
    Ok(out)
}

/// The ids of the uploaded markers and images the features of `doc` use (a feature's
/// `marker_id` property; the `id` of its `image` property), each once, in the order
/// first used. Ids of nothing uploaded here are left out.
fn referenced(doc: &Document, state: &State) -> (Vec<Value>, Vec<Value>) {
    // Seen ids in sets, so that a map of many features stays linear.
    let mut markers: (Vec<Value>, HashSet<&str>) = Default::default();
    let mut images: (Vec<Value>, HashSet<&str>) = Default::default();
    for f in &doc.features {
        if let Some(Value::String(id)) = f.properties.get("marker_id") {
            if state.markers.contains_key(id) && markers.1.insert(id) {
                markers.0.push(Value::String(id.clone()));
            }
        }
        if let Some(Value::String(id)) = f.properties.get("image").and_then(|i| i.get("id")) {
            if state.images.contains_key(id) && images.1.insert(id) {
                images.0.push(Value::String(id.clone()));
            }
        }
    }
    (markers.0, images.0)
}

/// Saves with `save` if the server keeps a data directory.
fn persist_with(
    shared: &Shared,
    save: impl FnOnce(&std::path::Path) -> Result<(), String>,
) -> Result<(), ApiError> {
    match &shared.settings.data_dir {
        Some(dir) => save(dir).map_err(|message| ApiError {
            status: 200,
            message,
        }),
        None => Ok(()),
    }
}

/// `marker/upload`: a PNG (only, as MapHub) that decodes; answers `{marker_id}`.
fn marker_upload(
    shared: &Shared,
    args: &Map<String, Value>,
    bytes: &[u8],
) -> Result<Map<String, Value>, ApiError> {
    file_type(args, &["png"])?;
    // Decoded only to check it is a PNG; outside the lock, as it may take a while.
    assets::decode(bytes, Kind::Png).or_else(fail)?;
    let mut state = shared.lock();
    let id = state.new_asset_id();
    persist_with(shared, |dir| assets::save_marker(dir, &id, bytes))?;
    state.markers.insert(id.clone(), bytes.to_vec());
    let mut out = Map::new();
    out.insert("marker_id".into(), Value::String(id));
    Ok(out)
}

/// `image/upload`: a JPEG or PNG that decodes as its `file_type`; answers its id, size
/// and colours (see [`assets::image_info`]).
fn image_upload(
    shared: &Shared,
    args: &Map<String, Value>,
    bytes: &[u8],
) -> Result<Map<String, Value>, ApiError> {
    let t = file_type(args, Kind::FILE_TYPES)?;
    let Some(kind) = Kind::from_file_type(&t) else {
        return fail(format!("Invalid file_type \"{t}\""));
    };
    let info = assets::image_info(&assets::decode(bytes, kind).or_else(fail)?);
    let image = StoredImage {
        kind,
        bytes: bytes.to_vec(),
        info,
    };
    let mut state = shared.lock();
    let id = state.new_asset_id();
    persist_with(shared, |dir| assets::save_image(dir, &id, &image))?;
    let mut out = Map::new();
    out.insert("image_id".into(), Value::String(id.clone()));
    out.extend(image.info.clone());
    state.images.insert(id, image);
    Ok(out)
}

fn upload(
    shared: &Shared,
    args: &Map<String, Value>,
    bytes: &[u8],
) -> Result<Map<String, Value>, ApiError> {
    let file_type = file_type(args, &["empty", "kml", "gpx", "geojson"])?;
    let Some(visibility) = visibility(args)? else {
        return fail("Missing argument: visibility (public, unlisted or private)");
    };
    let title = opt_str(args, "title")?.unwrap_or_else(|| "Untitled map".to_owned());
    let description = opt_str(args, "description")?.unwrap_or_default();
    let short_name = opt_str(args, "short_name")?.unwrap_or_else(|| slug(&title));
    let doc = if file_type == "empty" {
        Document::default()
    } else {
        read_file(&file_type, bytes)?
    };
    let now = now();
    let mut state = shared.lock();
    let id = state.next_id;
    let Some(next) = id.checked_add(1) else {
        return fail("Too many maps");
    };
    state.next_id = next;
    let map = StoredMap {
        id,
        short_name,
        title,
        visibility,
        description,
        created_date: now.clone(),
        modified_date: now,
        doc,
    };
    persist(shared, &map)?;
    let summary = map.summary(&shared.settings.base_url);
    state.maps.insert(id, map);
    Ok(summary)
}

fn append(
    shared: &Shared,
    args: &Map<String, Value>,
    bytes: &[u8],
) -> Result<Map<String, Value>, ApiError> {
    let id = map_id(args)?;
    let file_type = file_type(args, &["kml", "gpx", "geojson"])?;
    let new_group = opt_str(args, "new_group")?;
    if !shared.lock().maps.contains_key(&id) {
        return Err(not_found());
    }
    let add = read_file(&file_type, bytes)?;
    let mut state = shared.lock();
    // Changed on a copy, so that nothing changes unless it is saved.
    let mut map = state.maps.get(&id).ok_or_else(not_found)?.clone();
    merge(&mut map.doc, add, new_group.as_deref()).or_else(fail)?;
    map.modified_date = now();
    commit(shared, &mut state, map)
}

fn update(shared: &Shared, args: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let id = map_id(args)?;
    let title = opt_str(args, "title")?;
    let description = opt_str(args, "description")?;
    let short_name = opt_str(args, "short_name")?;
    let visibility = visibility(args)?;
    let doc = match args.get("geojson") {
        None | Some(Value::Null) => None,
        Some(value) => {
            let bytes = match value {
                Value::String(s) => s.as_bytes().to_vec(),
                Value::Object(_) => serde_json::to_vec(value).unwrap_or_default(),
                _ => return fail("Invalid geojson: it must be a GeoJSON object"),
            };
            match geonorm::read(
                &bytes[..],
                &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
            )
            .map(geonorm::Parsed::into_parts)
            {
                Ok((doc, _)) => Some(doc),
                Err(e) => return fail(format!("Could not read the geojson: {e}")),
            }
        }
    };
    let mut state = shared.lock();
    let mut map = state.maps.get(&id).ok_or_else(not_found)?.clone();
    if let Some(title) = title {
        map.title = title;
    }
    if let Some(description) = description {
        map.description = description;
    }
    if let Some(short_name) = short_name {
        map.short_name = short_name;
    }
    if let Some(visibility) = visibility {
        map.visibility = visibility;
    }
    if let Some(doc) = doc {
        map.doc = doc;
    }
    map.modified_date = now();
    commit(shared, &mut state, map)
}

/// Saves a changed map, then puts it in place; answers its summary.
fn commit(
    shared: &Shared,
    state: &mut State,
    map: StoredMap,
) -> Result<Map<String, Value>, ApiError> {
    persist(shared, &map)?;
    let summary = map.summary(&shared.settings.base_url);
    state.maps.insert(map.id, map);
    Ok(summary)
}

fn refresh_image(
    shared: &Shared,
    args: &Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    let id = map_id(args)?;
    let mut state = shared.lock();
    let summary = state
        .maps
        .get(&id)
        .ok_or_else(not_found)?
        .summary(&shared.settings.base_url);
    let now = Instant::now();
    if let Some(last) = state.last_refresh.get(&id) {
        if now.duration_since(*last) < REFRESH_INTERVAL {
            return fail("Image refresh is limited to once per 5 minutes");
        }
    }
    state.last_refresh.insert(id, now);
    Ok(summary)
}

// ---------------------------------------------------------------- helpers

/// A map's default short name: the title in lower-case ASCII letters and digits,
/// words joined by `-`.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for word in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if out.len() >= 50 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    if out.is_empty() {
        "map".to_owned()
    } else {
        out
    }
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ`.
fn now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests;
