//! The normalised model every format reads into and writes from. It knows no format:
//! KML folders, GPX track kinds and MapHub groups all become [`Group`]s, and whatever a
//! format holds beyond the common fields lands in `properties` or `extra`, in the order
//! it came.

use std::num::NonZeroU64;

use serde_json::{Map, Number, Value};

use crate::{BBox, Format, Geometry, GeometryKind, Span};

/// MapHub spells a nested group as a title path whose levels are joined by this
/// character, U+FF0F FULLWIDTH SOLIDUS (`／`), not the ASCII `/`. MapHub's documentation
/// asks users to copy it from the page; it is the only non-ASCII character whose
/// compatibility normalisation is `/`, which is why titles are never NFKC-normalised.
pub const GROUP_PATH_SEPARATOR: char = '\u{FF0F}';

/// How deep groups nest at most. Deeper levels of a title path stay in the last
/// level's title; deeper KML folders add their placemarks to the deepest group. Real
/// maps use a handful of levels; the limit keeps hostile input from costing memory
/// that grows with the square of its nesting.
pub const MAX_GROUP_DEPTH: usize = 32;

/// Characters that look like [`GROUP_PATH_SEPARATOR`] but do not nest groups.
pub const GROUP_SEPARATOR_LOOKALIKES: [char; 3] = ['/', '\u{2215}', '\u{2044}'];

/// A JSON object with its keys in their original order.
pub type Properties = Map<String, Value>;

/// A group's identifier: a positive integer, stable across reading and writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(NonZeroU64);

impl GroupId {
    /// The id `n`, or `None` for 0.
    pub fn new(n: u64) -> Option<Self> {
        NonZeroU64::new(n).map(GroupId)
    }

    /// The id as an integer.
    pub fn get(self) -> u64 {
        self.0.get()
    }
}

impl std::fmt::Display for GroupId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A group of features: a KML Folder, a MapHub group, a GPX kind. Groups nest through
/// `parent`.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Stable identifier, unique in its document.
    pub id: GroupId,
    /// The group's own title (one level, without its parents' titles).
    pub title: String,
    /// The enclosing group, if any.
    pub parent: Option<GroupId>,
    /// Members the source format held beside the title, kept for writing back.
    pub extra: Properties,
}

/// When a feature happened: an instant, or a span open at either end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Time {
    /// One instant, as written in the source (ISO 8601 in every supported format).
    Instant(String),
    /// A span between two instants; either end may be open.
    Span {
        /// Start, as written.
        begin: Option<String>,
        /// End, as written.
        end: Option<String>,
    },
}

/// How a feature is drawn, in MapHub's (simplestyle's) terms. Colours are kept as
/// written; numbers keep their JSON form so that `2` does not come back as `2.0`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Style {
    /// `marker-color`, e.g. `#3cc954`.
    pub marker_color: Option<String>,
    /// `marker-symbol`: a MapHub icon id such as `museum`.
    pub marker_symbol: Option<String>,
    /// `marker-size`: `small`, `medium` or `large`.
    pub marker_size: Option<String>,
    /// `stroke`: line colour.
    pub stroke: Option<String>,
    /// `stroke-width` in pixels.
    pub stroke_width: Option<Number>,
    /// `stroke-opacity`, 0 to 1.
    pub stroke_opacity: Option<Number>,
    /// `fill`: polygon fill colour.
    pub fill: Option<String>,
    /// `fill-opacity`, 0 to 1.
    pub fill_opacity: Option<Number>,
    /// `icon`: the address of a point's icon image (KML IconStyle href).
    pub icon: Option<String>,
}

impl Style {
    /// True when no style key is set.
    pub fn is_empty(&self) -> bool {
        *self == Style::default()
    }
}

/// One map feature.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Feature {
    /// The source's identifier for the feature, if it had one.
    pub id: Option<Value>,
    /// Where the feature is; `None` for a feature without location.
    pub geometry: Option<Geometry>,
    /// Title (KML/GPX `name`, MapHub `title`; in GeoJSON without a `title`, its `name`).
    pub title: Option<String>,
    /// The title was read from the GeoJSON `name` property (what geojson.io, QGIS, GDAL
    /// and overpass-turbo write), which stays in `properties`: writers that keep
    /// properties write it there once and not again as a title. See
    /// [`Feature::title_is_name_property`].
    pub title_is_name: bool,
    /// Description, kept verbatim (HTML or Markdown).
    pub description: Option<String>,
    /// The group the feature belongs to.
    pub group: Option<GroupId>,
    /// How it is drawn.
    pub style: Style,
    /// When it happened.
    pub time: Option<Time>,
    /// Every other property, in source order.
    pub properties: Properties,
    /// Members of the feature object outside its properties (GeoJSON foreign members,
    /// `bbox`), kept for writing back.
    pub extra: Properties,
    /// Members of the geometry object besides its type and coordinates.
    pub geometry_extra: Properties,
    /// The bytes of the source this feature was read from.
    pub span: Span,
    /// Where a Point's position was written in the source, when the reader kept it
    /// ([`crate::stream::FeatureSink::position_spans`]), so that findings about it point there
    /// (the positions of lines and rings keep theirs in their [`crate::Coords`]).
    pub point_span: Option<Span>,
}

impl Feature {
    /// Forgets where its positions were written ([`Feature::point_span`],
    /// [`crate::Coords::span_at`]): the feature as a reader not asked to keep them
    /// reads it.
    pub(crate) fn forget_position_spans(&mut self) {
        self.point_span = None;
        if let Some(g) = &mut self.geometry {
            g.forget_spans();
        }
    }

    /// Whether the title is carried by the `name` property: it was read from it and both
    /// still say the same (an edit to either makes them two values again).
    pub fn title_is_name_property(&self) -> bool {
        self.title_is_name
            && self.title.is_some()
            && self.properties.get("name").and_then(Value::as_str) == self.title.as_deref()
    }
}

/// What the root of the source was: most files are collections, but a GeoJSON file may
/// hold one Feature or one bare Geometry, and a writer may want to give back the same.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RootKind {
    /// A collection of features (FeatureCollection, KML Document, GPX file).
    #[default]
    Collection,
    /// A single feature.
    Feature,
    /// A single bare geometry.
    Geometry,
}

/// Document-level data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// Document name (KML Document name, GPX metadata name, GeoJSON top-level `name`).
    pub name: Option<String>,
    /// Document description (KML Document description, GPX metadata desc, GeoJSON
    /// top-level `description`).
    pub description: Option<String>,
    /// The format the document was read from.
    pub source_format: Option<Format>,
    /// What the source's root was.
    pub root: RootKind,
    /// Other document-level members in source order (GeoJSON foreign members such as
    /// MapHub's `properties` and `markers`, a FeatureCollection `bbox`).
    pub extra: Properties,
    /// Elements the source held that the model cannot (KML overlays, network links…),
    /// by name, with how many there were. Each was also reported as a diagnostic.
    pub unrepresented: std::collections::BTreeMap<String, usize>,
}

impl Metadata {
    /// The map's title: its name, or else the text of a top-level GeoJSON `title`
    /// (which stays among the other members, as GeoJSON keeps it).
    pub fn title(&self) -> Option<&str> {
        self.name
            .as_deref()
            .or_else(|| self.extra.get("title").and_then(Value::as_str))
    }

    /// Whether the member `key` of [`Metadata::extra`] is the map's title, which a KML or
    /// GPX writer writes as the document's name rather than report as having no form.
    pub fn member_is_title(&self, key: &str) -> bool {
        key == "title" && self.name.is_none() && self.title().is_some()
    }
}

/// A whole map file in normalised form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Document-level data.
    pub meta: Metadata,
    /// Every group, parents before or after children (ids link them).
    pub groups: Vec<Group>,
    /// Every feature, in source order.
    pub features: Vec<Feature>,
}

impl Document {
    /// The group with this id.
    pub fn group(&self, id: GroupId) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// The group's full title path, levels joined by [`GROUP_PATH_SEPARATOR`], as MapHub
    /// spells a nested group. A parent cycle or a missing parent ends the path.
    ///
    /// ```
    /// use geonorm::{Document, Group, GroupId};
    /// let id = |n| GroupId::new(n).unwrap();
    /// let mut doc = Document::default();
    /// doc.groups.push(Group { id: id(1), title: "Europe".into(), parent: None, extra: Default::default() });
    /// doc.groups.push(Group { id: id(2), title: "Alps".into(), parent: Some(id(1)), extra: Default::default() });
    /// assert_eq!(doc.group_path(id(2)).as_deref(), Some("Europe／Alps"));
    /// ```
    pub fn group_path(&self, id: GroupId) -> Option<String> {
        let mut levels = Vec::new();
        let mut next = Some(id);
        while let Some(gid) = next {
            if levels.len() > self.groups.len() {
                break; // a cycle: stop rather than loop forever
            }
            let Some(g) = self.group(gid) else { break };
            levels.push(g.title.as_str());
            next = g.parent;
        }
        if levels.is_empty() {
            return None;
        }
        levels.reverse();
        Some(levels.join(&GROUP_PATH_SEPARATOR.to_string()))
    }

    /// Counts, totals and extent of the document.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            groups: self.groups.len(),
            ..Summary::default()
        };
        for f in &self.features {
            s.add(f);
        }
        s
    }
}

impl Summary {
    /// Counts one more feature (for a summary made while features stream past).
    pub fn add(&mut self, f: &Feature) {
        self.features += 1;
        match &f.geometry {
            Some(g) => {
                *self.by_kind.entry(g.kind()).or_default() += 1;
                self.vertices += g.vertex_count();
                if let Some(b) = g.bbox() {
                    match &mut self.bbox {
                        Some(acc) => acc.extend(&b),
                        None => self.bbox = Some(b),
                    }
                }
            }
            None => self.without_geometry += 1,
        }
    }
}

/// What [`Document::summary`] reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Number of features.
    pub features: usize,
    /// Features per geometry kind.
    pub by_kind: std::collections::BTreeMap<GeometryKind, usize>,
    /// Features without a geometry.
    pub without_geometry: usize,
    /// Number of groups.
    pub groups: usize,
    /// Number of positions across all geometries.
    pub vertices: usize,
    /// Extent of all geometries.
    pub bbox: Option<BBox>,
}
