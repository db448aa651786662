//! GeoJSON writer producing MapHub's dialect: valid RFC 7946 (longitude/latitude, no
//! `crs`), `title`/`description`/`group`/style keys in `properties`, per-vertex values as
//! togeojson's `coordinateProperties`, and `groups` as a foreign member after `features`
//! so that features can be streamed out as they come.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

use serde::Serialize;
use serde_json::{Number, Value};

use crate::{
    Code, ColumnValues, Coords, Diagnostic, Document, Feature, Geometry, Group, GroupId, Metadata,
    Position, Result, RootKind, Span, Time, GROUP_PATH_SEPARATOR,
};

/// How to write.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Decimal places for coordinates; `None` writes the shortest text that reads back
    /// to the same number.
    pub precision: Option<u8>,
    /// Give back a single Feature or bare Geometry when that is what was read, instead of
    /// wrapping it in a FeatureCollection (MapHub wants a FeatureCollection).
    pub keep_root: bool,
    /// Write polygon rings wound as RFC 7946 wants (exterior counterclockwise, holes clockwise), turning those wound
    /// the other way (each said as `write/rewound`). [`crate::convert`] and
    /// [`crate::write`] set it for a document read from another format; a file written
    /// back in its own format keeps its rings as they were (`geonorm fix` rewinds them).
    pub wind: bool,
}

#[derive(Debug, PartialEq)]
enum State {
    New,
    Features,
}

/// A streaming writer: features go out as they are given, groups and document members
/// at [`Writer::finish`].
///
/// ```
/// use geonorm::{Feature, Geometry, Metadata, Position};
/// use geonorm::geojson::{Writer, WriteOptions};
/// let mut w = Writer::new(Vec::new(), WriteOptions::default());
/// let f = Feature { geometry: Some(Geometry::Point(Position::new(13.4, 52.5))), ..Feature::default() };
/// w.write_feature(&f)?;
/// let (out, _diagnostics) = w.finish(&Metadata::default(), &[])?;
/// assert_eq!(String::from_utf8(out).unwrap(),
///     "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[13.4,52.5]},\"properties\":{}}\n]}\n");
/// # Ok::<(), geonorm::Error>(())
/// ```
pub struct Writer<W: Write> {
    out: W,
    opts: WriteOptions,
    state: State,
    buf: Vec<u8>,
    diagnostics: Vec<Diagnostic>,
}

impl<W: Write> Writer<W> {
    /// A writer into `out`.
    pub fn new(out: W, opts: WriteOptions) -> Self {
        Writer {
            out,
            opts,
            state: State::New,
            buf: Vec::with_capacity(4096),
            diagnostics: Vec::new(),
        }
    }

    /// The output so far.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// The output, to count in it what was written elsewhere.
    pub(crate) fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Writes one feature of the collection.
    pub fn write_feature(&mut self, f: &Feature) -> Result<()> {
        self.buf.clear();
        if self.state == State::New {
            self.buf
                .extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[\n");
            self.state = State::Features;
        } else {
            self.buf.extend_from_slice(b",\n");
        }
        let mut buf = std::mem::take(&mut self.buf);
        let (precision, wind) = (self.opts.precision, self.opts.wind);
        feature(&mut buf, f, precision, wind, &mut self.diagnostics, None)?;
        self.out.write_all(&buf)?;
        self.buf = buf;
        Ok(())
    }

    /// Writes features already serialised (by [`feature_bytes`]), `count` of them
    /// joined by `,\n`.
    pub(crate) fn write_serialised(&mut self, bytes: &[u8], count: usize) -> Result<()> {
        if count == 0 {
            return Ok(());
        }
        if self.state == State::New {
            self.out
                .write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
            self.state = State::Features;
        } else {
            self.out.write_all(b",\n")?;
        }
        self.out.write_all(bytes)?;
        Ok(())
    }

    /// Ends the collection with the document's other members and its groups, and hands
    /// back the output and what could not be written as it was.
    pub fn finish(mut self, meta: &Metadata, groups: &[Group]) -> Result<(W, Vec<Diagnostic>)> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        if self.state == State::New {
            buf.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[");
        } else {
            buf.push(b'\n');
        }
        buf.push(b']');
        for (key, text) in [("name", &meta.name), ("description", &meta.description)] {
            if let Some(text) = text {
                buf.push(b',');
                json(&mut buf, key)?;
                buf.push(b':');
                json(&mut buf, text)?;
            }
        }
        members(
            &mut buf,
            &meta.extra,
            &["type", "features", "groups", "name", "description"],
        )?;
        if !groups.is_empty() {
            buf.extend_from_slice(b",\"groups\":[");
            let by_id: HashMap<GroupId, &Group> = groups.iter().map(|g| (g.id, g)).collect();
            for (i, g) in groups.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                buf.extend_from_slice(b"{\"title\":");
                json(&mut buf, &title_path(&by_id, g))?;
                buf.extend_from_slice(b",\"id\":");
                json(&mut buf, &g.id.get())?;
                members(&mut buf, &g.extra, &["title", "id"])?;
                buf.push(b'}');
            }
            buf.push(b']');
        }
        buf.extend_from_slice(b"}\n");
        self.out.write_all(&buf)?;
        self.out.flush()?;
        Ok((self.out, self.diagnostics))
    }
}

/// A group's title with its ancestors', joined by [`GROUP_PATH_SEPARATOR`].
fn title_path(by_id: &HashMap<GroupId, &Group>, g: &Group) -> String {
    let mut levels = vec![g.title.as_str()];
    let mut parent = g.parent;
    while let Some(p) = parent.and_then(|id| by_id.get(&id)) {
        if levels.len() > by_id.len() {
            break; // a parent cycle
        }
        levels.push(p.title.as_str());
        parent = p.parent;
    }
    levels.reverse();
    levels.join(&GROUP_PATH_SEPARATOR.to_string())
}

/// Writes a whole document and returns what could not be written as it was.
///
/// ```
/// let text = br#"{"type":"Point","coordinates":[1,2]}"#;
/// let doc = geonorm::read(&text[..], &geonorm::ReadOptions::default())?.document;
/// let mut out = Vec::new();
/// let opts = geonorm::geojson::WriteOptions { keep_root: true, ..Default::default() };
/// geonorm::geojson::write(&doc, &mut out, &opts)?;
/// assert_eq!(out, b"{\"type\":\"Point\",\"coordinates\":[1,2]}\n");
/// # Ok::<(), geonorm::Error>(())
/// ```
pub fn write<W: Write>(doc: &Document, mut out: W, opts: &WriteOptions) -> Result<Vec<Diagnostic>> {
    if opts.keep_root
        && doc.groups.is_empty()
        && doc.meta.extra.is_empty()
        && doc.meta.name.is_none()
        && doc.meta.description.is_none()
    {
        if let [only] = doc.features.as_slice() {
            let mut diags = Vec::new();
            let mut buf = Vec::new();
            match doc.meta.root {
                RootKind::Feature => {
                    feature(&mut buf, only, opts.precision, opts.wind, &mut diags, None)?
                }
                RootKind::Geometry if is_bare(only) => {
                    if let Some(g) = &only.geometry {
                        let g = rewound(g, opts.wind, only.span, &mut diags);
                        geometry(
                            &mut buf,
                            &g,
                            &only.geometry_extra,
                            opts.precision,
                            &mut diags,
                        )?;
                    }
                }
                _ => buf.clear(),
            }
            if !buf.is_empty() {
                buf.push(b'\n');
                out.write_all(&buf)?;
                out.flush()?;
                return Ok(diags);
            }
        }
    }
    let mut w = Writer::new(out, opts.clone());
    for f in &doc.features {
        w.write_feature(f)?;
    }
    let (_, diags) = w.finish(&doc.meta, &doc.groups)?;
    Ok(diags)
}

/// True when a feature is nothing but a geometry.
/// Where a feature's GeoJSON goes: its bytes, or only how many there are (the
/// converted size a check measures). One writer for both, so that the count is the
/// written length by construction.
pub(crate) trait JsonOut {
    /// Appends one byte.
    fn push(&mut self, b: u8);
    /// Appends `b`.
    fn extend_from_slice(&mut self, b: &[u8]);
    /// Appends `v` as [`crate::num::write`] prints it; false (nothing appended) for
    /// NaN and infinities.
    fn number(&mut self, v: f64, precision: Option<u8>) -> bool;
    /// Appends `v` as JSON.
    fn serialize<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()>;
    /// The bytes appended so far.
    fn len(&self) -> usize;
}

impl JsonOut for Vec<u8> {
    fn push(&mut self, b: u8) {
        Vec::push(self, b);
    }
    fn extend_from_slice(&mut self, b: &[u8]) {
        Vec::extend_from_slice(self, b);
    }
    fn number(&mut self, v: f64, precision: Option<u8>) -> bool {
        crate::num::write(self, v, precision)
    }
    fn serialize<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        serde_json::to_writer(self, v).map_err(|e| crate::Error::Io(e.into()))
    }
    fn len(&self) -> usize {
        Vec::len(self)
    }
}

/// Counts the bytes a feature's (or a document's) GeoJSON takes without keeping
/// them; numbers are counted without being printed ([`crate::num::text_len`]). As an
/// [`io::Write`](Write), it counts what a [`Writer`] writes into it.
#[derive(Debug, Default)]
pub(crate) struct ByteCount(pub(crate) u64);

impl JsonOut for ByteCount {
    fn push(&mut self, _: u8) {
        self.0 += 1;
    }
    fn extend_from_slice(&mut self, b: &[u8]) {
        self.0 += b.len() as u64;
    }
    fn number(&mut self, v: f64, precision: Option<u8>) -> bool {
        crate::num::text_len(v, precision)
            .map(|n| self.0 += n as u64)
            .is_some()
    }
    fn serialize<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        serde_json::to_writer(&mut *self, v).map_err(|e| crate::Error::Io(e.into()))
    }
    fn len(&self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

impl Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn is_bare(f: &Feature) -> bool {
    f.geometry.is_some()
        && f.id.is_none()
        && f.title.is_none()
        && f.description.is_none()
        && f.group.is_none()
        && f.style.is_empty()
        && f.time.is_none()
        && f.properties.is_empty()
        && f.extra.is_empty()
}

/// Writes `,"key":value` for each member whose key is not `reserved` (a name the
/// writer fills itself).
fn members<O: JsonOut>(buf: &mut O, map: &crate::Properties, reserved: &[&str]) -> Result<()> {
    for (k, v) in map {
        if reserved.contains(&k.as_str()) {
            continue;
        }
        buf.push(b',');
        json(buf, k)?;
        buf.push(b':');
        json(buf, v)?;
    }
    Ok(())
}

fn json<O: JsonOut, T: Serialize + ?Sized>(buf: &mut O, v: &T) -> Result<()> {
    buf.serialize(v)
}

fn number<O: JsonOut>(buf: &mut O, v: f64, precision: Option<u8>, diags: &mut Vec<Diagnostic>) {
    if !buf.number(v, precision) {
        diags.push(Diagnostic::new(
            Code::WriteNonFinite,
            format!("coordinate {v} written as null"),
        ));
        buf.extend_from_slice(b"null");
    }
}

fn position<O: JsonOut>(
    buf: &mut O,
    p: Position,
    precision: Option<u8>,
    diags: &mut Vec<Diagnostic>,
) {
    buf.push(b'[');
    number(buf, p.x, precision, diags);
    buf.push(b',');
    number(buf, p.y, precision, diags);
    if let Some(z) = p.z {
        buf.push(b',');
        number(buf, z, precision, diags);
    }
    buf.push(b']');
}

fn positions<O: JsonOut>(
    buf: &mut O,
    c: &Coords,
    precision: Option<u8>,
    diags: &mut Vec<Diagnostic>,
) {
    buf.push(b'[');
    for (i, p) in c.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        position(buf, p, precision, diags);
    }
    buf.push(b']');
}

fn rings<O: JsonOut>(
    buf: &mut O,
    rs: &[Coords],
    precision: Option<u8>,
    diags: &mut Vec<Diagnostic>,
) {
    buf.push(b'[');
    for (i, r) in rs.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        positions(buf, r, precision, diags);
    }
    buf.push(b']');
}

fn geometry<O: JsonOut>(
    buf: &mut O,
    g: &Geometry,
    extra: &crate::Properties,
    precision: Option<u8>,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    buf.extend_from_slice(b"{\"type\":\"");
    buf.extend_from_slice(g.kind().as_str().as_bytes());
    buf.extend_from_slice(b"\",");
    match g {
        Geometry::GeometryCollection(gs) => {
            buf.extend_from_slice(b"\"geometries\":[");
            let none = crate::Properties::new();
            for (i, child) in gs.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                geometry(buf, child, &none, precision, diags)?;
            }
            buf.push(b']');
        }
        _ => {
            buf.extend_from_slice(b"\"coordinates\":");
            match g {
                Geometry::Point(p) => position(buf, *p, precision, diags),
                Geometry::LineString(c) | Geometry::MultiPoint(c) => {
                    positions(buf, c, precision, diags)
                }
                Geometry::Polygon(rs) | Geometry::MultiLineString(rs) => {
                    rings(buf, rs, precision, diags)
                }
                Geometry::MultiPolygon(ps) => {
                    buf.push(b'[');
                    for (i, p) in ps.iter().enumerate() {
                        if i > 0 {
                            buf.push(b',');
                        }
                        rings(buf, p, precision, diags);
                    }
                    buf.push(b']');
                }
                Geometry::GeometryCollection(_) => {}
            }
        }
    }
    members(buf, extra, &["type", "coordinates", "geometries"])?;
    buf.push(b'}');
    Ok(())
}

/// Properties object writer that refuses a second value for a key.
struct Props<'b, O: JsonOut> {
    buf: &'b mut O,
    /// The feature's own members written (a few at most): what a property of the same
    /// name clashes with. The feature's properties are not kept here, as they are
    /// distinct keys already and a list of them would make each check linear.
    written: Vec<&'static str>,
    /// Whether any member was written (a comma comes before the next).
    any: bool,
}

impl<O: JsonOut> Props<'_, O> {
    fn comma(&mut self) {
        if self.any {
            self.buf.push(b',');
        }
        self.any = true;
    }

    fn key(&mut self, k: &'static str) -> Result<()> {
        self.comma();
        self.written.push(k);
        json(self.buf, k)?;
        self.buf.push(b':');
        Ok(())
    }

    fn put<T: Serialize + ?Sized>(&mut self, k: &'static str, v: Option<&T>) -> Result<()> {
        if let Some(v) = v {
            self.key(k)?;
            json(self.buf, v)?;
        }
        Ok(())
    }
}

/// Per-vertex columns of a line, or of each part of a multi-line, as togeojson's
/// `coordinateProperties`.
fn coordinate_properties(g: Option<&Geometry>) -> Option<Value> {
    let parts: Vec<&Coords> = match g? {
        Geometry::LineString(c) => vec![c],
        Geometry::MultiLineString(ps) => ps.iter().collect(),
        _ => return None,
    };
    let mut names: Vec<&str> = Vec::new();
    for p in &parts {
        for c in p.columns() {
            if !names.contains(&c.name.as_str()) {
                names.push(&c.name);
            }
        }
    }
    if names.is_empty() {
        return None;
    }
    let column_json = |p: &Coords, name: &str| -> Value {
        match p.column(name).map(|c| &c.values) {
            Some(ColumnValues::Numbers(ns)) => ns
                .iter()
                .map(|n| n.clone().map_or(Value::Null, Value::Number))
                .collect(),
            Some(ColumnValues::Texts(ts)) => ts
                .iter()
                .map(|t| t.map_or(Value::Null, |s| Value::String(s.to_string())))
                .collect(),
            None => vec![Value::Null; p.len()].into(),
        }
    };
    let single = matches!(g, Some(Geometry::LineString(_)));
    let mut obj = serde_json::Map::new();
    for name in names {
        let v = if single {
            column_json(parts[0], name)
        } else {
            parts.iter().map(|p| column_json(p, name)).collect()
        };
        obj.insert(name.to_string(), v);
    }
    Some(Value::Object(obj))
}

/// One feature as the writer writes it with `opts` (its root member aside).
pub(crate) fn feature_bytes(
    buf: &mut Vec<u8>,
    f: &Feature,
    opts: &WriteOptions,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    feature(buf, f, opts.precision, opts.wind, diags, None)
}

/// How many bytes [`feature_bytes`] writes for `f` with `opts`, counted without
/// writing them.
pub(crate) fn feature_len(
    f: &Feature,
    opts: &WriteOptions,
    diags: &mut Vec<Diagnostic>,
) -> Result<u64> {
    let mut count = ByteCount::default();
    feature(&mut count, f, opts.precision, opts.wind, diags, None)?;
    Ok(count.0)
}

/// [`feature_bytes`] of `f` linked to a group whose id is not known yet (its `group`
/// names a group declared later in the file): `f` without its `group` member, written
/// with the key `"group":` and no value. Answers where in `buf` the id goes, so that
/// the feature is written at the end as the document read whole writes it.
pub(crate) fn feature_bytes_group_slot(
    buf: &mut Vec<u8>,
    f: &Feature,
    opts: &WriteOptions,
    diags: &mut Vec<Diagnostic>,
) -> Result<usize> {
    let mut at = 0;
    feature(buf, f, opts.precision, opts.wind, diags, Some(&mut at))?;
    Ok(at)
}

/// `g` with its rings wound as RFC 7946 wants (exterior counterclockwise, holes
/// clockwise), said when any was turned.
fn rewound<'g>(
    g: &'g Geometry,
    wind: bool,
    at: Span,
    diags: &mut Vec<Diagnostic>,
) -> Cow<'g, Geometry> {
    if !wind {
        return Cow::Borrowed(g);
    }
    let (g, turned) = crate::geometry::Winding::RightHand.apply(g);
    if turned > 0 {
        diags.push(rewound_finding(
            turned,
            "exterior counterclockwise, holes clockwise, as RFC 7946 wants",
            at,
        ));
    }
    g
}

/// The info a writer gives for `turned` rings it wound the other way.
pub(crate) fn rewound_finding(turned: usize, how: &str, at: Span) -> Diagnostic {
    Diagnostic::new(
        Code::WriteRewound,
        match turned {
            1 => format!("a polygon ring written the other way round: {how}"),
            n => format!("{n} polygon rings written the other way round: {how}"),
        },
    )
    .at(at)
}

fn feature<O: JsonOut>(
    buf: &mut O,
    f: &Feature,
    precision: Option<u8>,
    wind: bool,
    diags: &mut Vec<Diagnostic>,
    group_slot: Option<&mut usize>,
) -> Result<()> {
    buf.extend_from_slice(b"{\"type\":\"Feature\"");
    if let Some(id) = &f.id {
        buf.extend_from_slice(b",\"id\":");
        json(buf, id)?;
    }
    buf.extend_from_slice(b",\"geometry\":");
    let wound = f.geometry.as_ref().map(|g| rewound(g, wind, f.span, diags));
    match &wound {
        Some(g) => geometry(buf, g, &f.geometry_extra, precision, diags)?,
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"properties\":{");
    let mut p = Props {
        buf: &mut *buf,
        written: Vec::new(),
        any: false,
    };
    let s = &f.style;
    if !f.title_is_name_property() {
        p.put("title", f.title.as_ref())?;
    }
    p.put("description", f.description.as_ref())?;
    match group_slot {
        // The id is put there once it is known ([`feature_bytes_group_slot`]).
        Some(at) => {
            p.key("group")?;
            *at = p.buf.len();
        }
        None => p.put("group", f.group.map(GroupId::get).as_ref())?,
    }
    p.put("marker-color", s.marker_color.as_ref())?;
    p.put("marker-symbol", s.marker_symbol.as_ref())?;
    p.put("marker-size", s.marker_size.as_ref())?;
    p.put("stroke", s.stroke.as_ref())?;
    p.put::<Number>("stroke-width", s.stroke_width.as_ref())?;
    p.put::<Number>("stroke-opacity", s.stroke_opacity.as_ref())?;
    p.put("fill", s.fill.as_ref())?;
    p.put::<Number>("fill-opacity", s.fill_opacity.as_ref())?;
    p.put("icon", s.icon.as_ref())?;
    match &f.time {
        Some(Time::Instant(t)) => p.put("timestamp", Some(t))?,
        Some(Time::Span { begin, end }) => {
            let mut o = serde_json::Map::new();
            if let Some(b) = begin {
                o.insert("begin".into(), b.clone().into());
            }
            if let Some(e) = end {
                o.insert("end".into(), e.clone().into());
            }
            p.put("timespan", Some(&o))?;
        }
        None => {}
    }
    let coordinate_props = coordinate_properties(wound.as_deref());
    for (k, v) in &f.properties {
        let clashes = p.written.contains(&k.as_str())
            || (k == "coordinateProperties" && coordinate_props.is_some());
        if clashes {
            diags.push(
                Diagnostic::new(
                    Code::WritePropertyClash,
                    format!("property `{k}` not written: the feature's own `{k}` takes its place"),
                )
                .at(f.span),
            );
            continue;
        }
        p.comma();
        json(p.buf, k)?;
        p.buf.push(b':');
        json(p.buf, v)?;
    }
    p.put("coordinateProperties", coordinate_props.as_ref())?;
    buf.push(b'}');
    members(buf, &f.extra, &["type", "id", "geometry", "properties"])?;
    buf.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(v: f64, p: Option<u8>) -> String {
        let mut b = Vec::new();
        number(&mut b, v, p, &mut Vec::new());
        String::from_utf8(b).expect("utf8")
    }

    #[test]
    fn numbers_are_short_and_exact() {
        assert_eq!(num(102.0, None), "102");
        assert_eq!(num(-0.5, None), "-0.5");
        assert_eq!(num(0.1 + 0.2, None), "0.30000000000000004");
        assert_eq!(num(13.123456789, Some(5)), "13.12346");
        assert_eq!(num(13.0000001, Some(3)), "13");
        assert_eq!(num(1e-7, None), "1e-7");
        assert_eq!(num(f64::NAN, None), "null");
    }

    /// The counted length is the written one, feature by feature, on every testdata
    /// file of every format, at full and at fixed precision, wound or not: the
    /// converted size a check reports is what writing would give.
    #[test]
    fn the_counted_length_is_the_written_one_on_every_testdata_file() {
        let mut features = 0;
        for path in crate::testdata::files(&["geojson", "json", "kml", "kmz", "gpx"]) {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let Ok(parsed) = crate::read(&bytes[..], &crate::ReadOptions::default()) else {
                continue;
            };
            for f in &parsed.document.features {
                for (precision, wind) in [(None, false), (Some(5), true), (Some(0), false)] {
                    let mut buf = Vec::new();
                    let written = feature(&mut buf, f, precision, wind, &mut Vec::new(), None)
                        .map(|()| buf.len() as u64);
                    let mut count = ByteCount::default();
                    let counted = feature(&mut count, f, precision, wind, &mut Vec::new(), None)
                        .map(|()| count.0);
                    assert_eq!(counted.ok(), written.ok(), "{}", path.display());
                }
                features += 1;
            }
        }
        assert!(features > 1000, "only {features} features compared");
    }

    #[test]
    fn clashing_properties_are_reported_not_duplicated() {
        let mut f = Feature {
            title: Some("model".into()),
            ..Feature::default()
        };
        f.properties.insert("title".into(), Value::from(5));
        let mut buf = Vec::new();
        let mut diags = Vec::new();
        feature(&mut buf, &f, None, false, &mut diags, None).expect("write");
        let v: Value = serde_json::from_slice(&buf).expect("valid json");
        assert_eq!(v["properties"]["title"], "model");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::WritePropertyClash);
    }
}
