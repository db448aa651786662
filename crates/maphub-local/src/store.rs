//! Maps as the server holds them, and their files in the data directory.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use geonorm::Document;
use serde_json::{json, Map, Value};

/// The owner every map of this server has.
pub(crate) const OWNER: &str = "local";

/// A map: its MapHub attributes and its content.
#[derive(Debug, Clone)]
pub(crate) struct StoredMap {
    pub id: u64,
    pub short_name: String,
    pub title: String,
    pub visibility: String,
    pub description: String,
    pub created_date: String,
    pub modified_date: String,
    pub doc: Document,
}

impl StoredMap {
    /// `{id, url, owner, short_name, title, visibility}`.
    pub fn summary(&self, base_url: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("url".into(), json!(format!("{base_url}/map/{}", self.id)));
        m.insert("owner".into(), json!(OWNER));
        m.insert("short_name".into(), json!(self.short_name));
        m.insert("title".into(), json!(self.title));
        m.insert("visibility".into(), json!(self.visibility));
        m
    }

    /// The summary plus description and dates.
    pub fn object(&self, base_url: &str) -> Map<String, Value> {
        let mut m = self.summary(base_url);
        m.insert("description".into(), json!(self.description));
        m.insert("created_date".into(), json!(self.created_date));
        m.insert("modified_date".into(), json!(self.modified_date));
        m
    }

    /// The content as MapHub GeoJSON.
    pub fn geojson(&self) -> Result<Value, String> {
        let mut out = Vec::new();
        geonorm::geojson::write(&self.doc, &mut out, &Default::default())
            .map_err(|e| format!("Could not write the map's GeoJSON: {e}"))?;
        serde_json::from_slice(&out).map_err(|e| format!("Could not write the map's GeoJSON: {e}"))
    }
}

/// The file of map `id` in `dir`.
fn file_of(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("map-{id}.json"))
}

/// Saves `map` (its object and its `geojson`) as `<dir>/map-<id>.json`, through a
/// temporary file so that a crash never leaves half a file.
pub(crate) fn save(dir: &Path, base_url: &str, map: &StoredMap) -> Result<(), String> {
    let mut object = map.object(base_url);
    object.insert("geojson".into(), map.geojson()?);
    let text = serde_json::to_vec_pretty(&Value::Object(object))
        .map_err(|e| format!("Could not save the map: {e}"))?;
    let path = file_of(dir, map.id);
    let tmp = dir.join(format!(".map-{}.json.tmp", map.id));
    fs::write(&tmp, text)
        .and_then(|()| fs::rename(&tmp, &path))
        .map_err(|e| format!("Could not save the map to {}: {e}", path.display()))
}

/// Loads every `map-<id>.json` of `dir`, creating `dir` if it does not exist.
pub(crate) fn load(dir: &Path) -> io::Result<BTreeMap<u64, StoredMap>> {
    fs::create_dir_all(dir)?;
    let mut maps = BTreeMap::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(id) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("map-"))
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        let bytes = fs::read(&path)?;
        let map = parse(id, &bytes).map_err(|message| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {message}", path.display()),
            )
        })?;
        maps.insert(id, map);
    }
    Ok(maps)
}

fn parse(id: u64, bytes: &[u8]) -> Result<StoredMap, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let Value::Object(object) = value else {
        return Err("not a JSON object".into());
    };
    let text = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let doc = match object.get("geojson") {
        Some(geojson) => {
            let bytes = serde_json::to_vec(geojson).map_err(|e| e.to_string())?;
            geonorm::read(
                &bytes[..],
                &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
            )
            .map_err(|e| format!("its geojson cannot be read: {e}"))?
            .document
        }
        None => Document::default(),
    };
    let visibility = match text("visibility").as_str() {
        v @ ("public" | "unlisted" | "private") => v.to_owned(),
        _ => "private".to_owned(),
    };
    Ok(StoredMap {
        id,
        short_name: text("short_name"),
        title: text("title"),
        visibility,
        description: text("description"),
        created_date: text("created_date"),
        modified_date: text("modified_date"),
        doc,
    })
}
