//! The arguments and answers of the API's calls.

use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// The file type of an image sent to `image/upload`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    /// A JPEG, sent as `"jpg"`.
    Jpg,
    /// A PNG, sent as `"png"`.
    Png,
}

impl ImageType {
    /// The `file_type` MapHub takes for it.
    pub(super) fn file_type(self) -> &'static str {
        match self {
            ImageType::Jpg => "jpg",
            ImageType::Png => "png",
        }
    }
}

/// MapHub's answer to `image/upload`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// The image's id, as MapHub gave it (its type is not documented: keep it as is).
    pub image_id: Value,
    /// Its width in pixels.
    pub width: u64,
    /// Its height in pixels.
    pub height: u64,
    /// A colour MapHub computed from it (`#rrggbb`), shown with the image.
    #[serde(default)]
    pub tip_color: Option<String>,
    /// Its average colour (`#rrggbb`).
    #[serde(default)]
    pub avg_color: Option<String>,
    /// Everything else MapHub answered (has_gps, geometry, date_str, date_iso, …).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

impl ImageInfo {
    /// The `image` property a feature carries to show this image: `{id, w, h,
    /// tip_color, avg_color}` (null members left out).
    pub fn feature_image(&self) -> Value {
        let mut m = serde_json::Map::new();
        if !self.image_id.is_null() {
            m.insert("id".into(), self.image_id.clone());
        }
        m.insert("w".into(), Value::from(self.width));
        m.insert("h".into(), Value::from(self.height));
        if let Some(c) = &self.tip_color {
            m.insert("tip_color".into(), Value::String(c.clone()));
        }
        if let Some(c) = &self.avg_color {
            m.insert("avg_color".into(), Value::String(c.clone()));
        }
        Value::Object(m)
    }
}
