//! What a waypoint, route or track keeps besides its points (its fields, links and
//! extension values, by togeojson's names) and what the file's metadata keeps, read
//! from the small tree of each.

use serde_json::{Map, Value};

use super::ctx::{garmin_color, span, text_of, Ctx, GPX_TYPE, LINE_FIELDS, WPT_FIELDS};
use crate::num::json_number;
use crate::xml::dom::Node;
use crate::{ColumnValues, Coords, Feature, Geometry, Metadata, Position, Time};

impl Ctx {
    pub(super) fn links(n: &Node) -> Option<Value> {
        let links: Vec<Value> = n
            .children_named("link")
            .map(|l| Value::Object(link_object(l)))
            .collect();
        (!links.is_empty()).then_some(Value::Array(links))
    }

    /// Simple extension values of a waypoint, route or track, as `prefix_name`
    /// properties (togeojson's names); GPX style and Garmin colours become the stroke.
    pub(super) fn feature_extensions(&mut self, ext: &Node, f: &mut Feature) {
        if !text_of(ext).is_empty() {
            self.ignore("text directly in <extensions>", ext.start);
        }
        for c in &ext.children {
            match c.name.as_str() {
                "line" => {
                    for l in &c.children {
                        match l.name.as_str() {
                            "color" => {
                                let hex = text_of(l).trim_start_matches('#');
                                if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                    f.style.stroke = Some(format!("#{}", hex.to_ascii_lowercase()));
                                }
                            }
                            "opacity" => {
                                f.style.stroke_opacity = self.number(l).and_then(json_number)
                            }
                            // GPX style widths are millimetres; MapHub's are pixels (96 dpi).
                            "width" => {
                                f.style.stroke_width = self
                                    .number(l)
                                    .map(|mm| mm * 96.0 / 25.4)
                                    .and_then(json_number)
                            }
                            // Pattern, caps, dashes, a vendor's extensions: kept
                            // as properties like any extension value.
                            _ => self.extension_values(l, f),
                        }
                    }
                }
                _ => self.extension_values(c, f),
            }
        }
    }

    /// Every leaf with text under an extension element becomes a property named as
    /// togeojson names it, `prefix_LocalName` (`gpxx_City`), so that nothing a device
    /// wrote is lost: Garmin's waypoint extensions (v3 and WaypointExtension/v1),
    /// CreationTimeExtension, OsmAnd's and Locus' fields alike. Garmin's numbers
    /// (proximity, depth…) become numbers, its `Categories` one joined property, and a
    /// leaf's attributes `prefix_LocalName_attribute` properties.
    pub(super) fn extension_values(&mut self, n: &Node, f: &mut Feature) {
        if n.children.is_empty() {
            self.extension_leaf(n, f);
            return;
        }
        if !text_of(n).is_empty() {
            self.ignore(
                &format!("text beside the elements of extension <{}>", n.name),
                n.start,
            );
        }
        if !n.attrs.is_empty() {
            self.ignore(&format!("attributes of extension <{}>", n.name), n.start);
        }
        if n.name == "Categories" && n.children.iter().all(|c| c.children.is_empty()) {
            // Garmin's `Category` may repeat; one readable list.
            let cats: Vec<&str> = n
                .children
                .iter()
                .map(text_of)
                .filter(|t| !t.is_empty())
                .collect();
            put_joined(f, ext_key(n), Value::String(cats.join(", ")));
            return;
        }
        for c in &n.children {
            self.extension_values(c, f);
        }
    }

    pub(super) fn extension_leaf(&mut self, n: &Node, f: &mut Feature) {
        let key = ext_key(n);
        if key == GPX_TYPE {
            self.ignore(&format!("extension <{}>", n.name), n.start);
            return;
        }
        let text = text_of(n);
        if n.name == "DisplayColor" {
            if let Some(hex) = garmin_color(text) {
                f.style.stroke = Some(hex.into());
                return;
            }
        }
        for (k, v) in &n.attrs {
            put_joined(f, format!("{key}_{k}"), Value::String(v.clone()));
        }
        if text.is_empty() && !n.attrs.is_empty() {
            return;
        }
        // Garmin's measures (metres, degrees Celsius, a count) as numbers.
        let numeric = matches!(
            n.name.as_str(),
            "Proximity" | "Temperature" | "Depth" | "Samples"
        );
        let value = match text.parse::<f64>().ok().and_then(json_number) {
            Some(v) if numeric => Value::Number(v),
            _ => Value::String(text.to_string()),
        };
        put_joined(f, key, value);
    }

    pub(super) fn waypoint(&mut self, n: &Node) -> Option<Feature> {
        let (x, y) = self.lat_lon(n)?;
        let mut f = Feature {
            span: span(n),
            ..Feature::default()
        };
        let mut pos = Position::new(x, y);
        for c in &n.children {
            match c.name.as_str() {
                "ele" => pos.z = self.number(c),
                "time" => f.time = self.time(c).map(Time::Instant),
                "name" => f.title = Some(text_of(c).to_string()),
                "desc" => f.description = Some(c.text.trim().to_string()),
                "link" | "url" | "urlname" => {}
                "extensions" => self.feature_extensions(c, &mut f),
                name => match WPT_FIELDS.iter().find(|(k, _)| *k == name) {
                    Some((_, true)) => {
                        if let Some(v) = self.number(c).and_then(json_number) {
                            f.properties.insert(name.into(), Value::Number(v));
                        }
                    }
                    Some((_, false)) => {
                        f.properties.insert(name.into(), text_of(c).into());
                    }
                    None => self.ignore(&format!("<{name}> of a waypoint"), c.start),
                },
            }
        }
        links_into(n, &mut f);
        f.geometry = Some(Geometry::Point(pos));
        Some(f)
    }

    /// A route's or track's own fields (not its points).
    pub(super) fn line_field(&mut self, c: &Node, f: &mut Feature) {
        match c.name.as_str() {
            "name" => f.title = Some(text_of(c).to_string()),
            "desc" => f.description = Some(c.text.trim().to_string()),
            // The track streams past one element at a time: each link joins `links`
            // as it comes (a waypoint gathers them with `links_into`).
            "link" | "url" | "urlname" => push_link(c, f),
            "extensions" => self.feature_extensions(c, f),
            "number" => {
                if let Some(v) = self.number(c).and_then(json_number) {
                    f.properties.insert("number".into(), Value::Number(v));
                }
            }
            name if LINE_FIELDS.contains(&name) => {
                f.properties.insert(name.into(), text_of(c).into());
            }
            other => self.ignore(&format!("<{other}> of a route or track"), c.start),
        }
    }
}

/// Sets a property; a second value for the same key (Garmin's repeated
/// `StreetAddress`, `PhoneNumber`) is joined to the first with ", ".
pub(super) fn put_joined(f: &mut Feature, key: String, value: Value) {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match f.properties.get_mut(&key) {
        Some(old) => *old = Value::String(format!("{}, {}", text(old), text(&value))),
        None => {
            f.properties.insert(key, value);
        }
    }
}

pub(super) fn ext_key(n: &Node) -> String {
    match &n.prefix {
        Some(p) => format!("{p}_{}", n.name),
        None => n.name.clone(),
    }
}

/// Adds one `<link>` (GPX 1.1), `<url>` or `<urlname>` (GPX 1.0) of a route or track
/// to its `links` property, in the shape [`links_into`] gives a waypoint's.
pub(super) fn push_link(c: &Node, f: &mut Feature) {
    let Value::Array(links) = f
        .properties
        .entry("links")
        .or_insert_with(|| Value::Array(Vec::new()))
    else {
        return;
    };
    let mut o = Map::new();
    match c.name.as_str() {
        "link" => o = link_object(c),
        "url" => {
            o.insert("href".into(), c.text.trim().into());
        }
        _ => {
            // A `urlname` names the `url` before it.
            if let Some(Value::Object(last)) = links.last_mut() {
                if !last.contains_key("text") {
                    last.insert("text".into(), c.text.trim().into());
                    return;
                }
            }
            o.insert("text".into(), c.text.trim().into());
        }
    }
    links.push(Value::Object(o));
}

/// One GPX 1.1 `<link>` as togeojson writes it: `{href, text, type}`.
pub(super) fn link_object(l: &Node) -> Map<String, Value> {
    let mut o = Map::new();
    if let Some(h) = l.attr("href") {
        o.insert("href".into(), h.into());
    }
    for k in ["text", "type"] {
        if let Some(v) = l.child_text(k) {
            o.insert(k.into(), v.into());
        }
    }
    o
}

/// A waypoint's GPX 1.1 `<link>`s and GPX 1.0 `<url>`/`<urlname>` as togeojson's
/// `links` property.
pub(super) fn links_into(n: &Node, f: &mut Feature) {
    for c in &n.children {
        if matches!(c.name.as_str(), "link" | "url" | "urlname") {
            push_link(c, f);
        }
    }
}

pub(super) const GPX10_METADATA: [&str; 9] = [
    "name", "desc", "author", "email", "url", "urlname", "time", "keywords", "bounds",
];

pub(super) fn metadata(n: &Node, meta: &mut Metadata, ctx: &mut Ctx) {
    for c in &n.children {
        match c.name.as_str() {
            "name" => meta.name = Some(text_of(c).to_string()),
            "desc" => meta.description = Some(c.text.trim().to_string()),
            "link" => {}
            "extensions" => ctx.ignore("<extensions> of the metadata", c.start),
            "time" if text_of(c).is_empty() => ctx.ignore("empty <time>", c.start),
            other => {
                meta.extra.insert(other.to_string(), node_json(c));
            }
        }
    }
    if let Some(links) = Ctx::links(n) {
        meta.extra.insert("links".into(), links);
    }
}

/// An element as JSON: its text if it has no children or attributes, else an object of
/// attributes and children (GPX metadata: author, copyright, bounds).
pub(super) fn node_json(n: &Node) -> Value {
    if n.children.is_empty() && n.attrs.is_empty() {
        return Value::String(text_of(n).to_string());
    }
    let mut o = Map::new();
    for (k, v) in &n.attrs {
        o.insert(k.clone(), v.clone().into());
    }
    for c in &n.children {
        o.insert(c.name.clone(), node_json(c));
    }
    if o.is_empty() {
        Value::String(text_of(n).to_string())
    } else {
        Value::Object(o)
    }
}

/// A point of a line in words, for the diagnostic that drops it: position, elevation,
/// time and every per-point value.
pub(super) fn describe_point(c: &Coords) -> String {
    let Some(p) = c.get(0) else {
        return String::new();
    };
    let mut s = format!("lat {}, lon {}", p.y, p.x);
    if let Some(z) = p.z {
        s.push_str(&format!(", ele {z}"));
    }
    for col in c.columns() {
        let v = match &col.values {
            ColumnValues::Texts(t) => t.get(0).map(str::to_string),
            ColumnValues::Numbers(n) => n.first().cloned().flatten().map(|n| n.to_string()),
        };
        if let Some(v) = v {
            let name = if col.name == "times" {
                "time"
            } else {
                &col.name
            };
            s.push_str(&format!(", {name} {v}"));
        }
    }
    s
}
