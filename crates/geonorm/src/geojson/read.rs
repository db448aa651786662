//! GeoJSON reader: RFC 7946 plus MapHub's dialect.
//!
//! The root object and the `features` array are walked with [`Cursor`]; each feature is
//! then deserialised on its own, straight into the model (coordinates go into
//! [`Coords`] without an intermediate `Value` tree). Features are yielded as they are
//! read, so memory holds one feature at a time.

use std::cell::Cell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::io::BufRead;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

use super::scan::Cursor;
use crate::diag::offset_of_line_col;
use crate::{
    Code, Column, ColumnValues, Coords, Diagnostic, Document, Error, Feature, Format, Geometry,
    Group, GroupId, Metadata, Position, Properties, Result, RootKind, Span, Style, TextColumn,
    Time, GROUP_PATH_SEPARATOR, MAX_GROUP_DEPTH,
};

/// What [`Reader::next_raw`] yields.
pub(crate) enum Raw {
    Group(Group),
    /// A feature already parsed (the root Feature of a single-feature file).
    Feature(Box<Feature>),
    /// A feature's bytes, at this range of the batch, from this place in the source.
    Unit(Origin, std::ops::Range<usize>),
}

/// Parses one feature's bytes (as [`Reader`] does) for the parallel converter.
pub(crate) fn parse_unit_feature(
    unit: &[u8],
    origin: Origin,
    groups: &GroupIndex,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<Feature>> {
    read_feature(unit, origin, groups, diags, None)
}

/// What a streaming reader yields.
// Features are nearly every item, so boxing them would cost an allocation per feature to
// shrink the rare group.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A group (all groups of a GeoJSON file come together, wherever `groups` is).
    Group(Group),
    /// A feature.
    Feature(Feature),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Start,
    Members { first: bool },
    Features { first: bool },
    Done,
}

/// A streaming GeoJSON reader: an iterator of groups and features.
///
/// ```
/// use geonorm::geojson::{Item, Reader};
/// let text = r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","geometry":{"type":"Point","coordinates":[13.4,52.5]},
///    "properties":{"title":"Berlin","group":1}}],
///   "groups":[{"title":"Capitals","id":1}]}"#;
/// let mut reader = Reader::new(text.as_bytes());
/// let items: Vec<Item> = reader.by_ref().collect::<Result<_, _>>()?;
/// assert!(matches!(&items[0], Item::Feature(f) if f.title.as_deref() == Some("Berlin")));
/// assert!(matches!(&items[1], Item::Group(g) if g.title == "Capitals"));
/// assert!(reader.diagnostics().is_empty());
/// # Ok::<(), geonorm::Error>(())
/// ```
pub struct Reader<R> {
    cur: Cursor<R>,
    state: State,
    root: Origin,
    root_type: Option<String>,
    saw_features: bool,
    /// Root members other than type/features/groups, raw, until the root kind is known.
    members: Vec<(String, Vec<u8>, Origin)>,
    meta: Metadata,
    pending: VecDeque<Item>,
    diagnostics: Vec<Diagnostic>,
    unit: Vec<u8>,
    /// Group aliases and title paths, once `groups` has been read.
    groups: GroupIndex,
    /// `check`'s rules, when they run as the file is read.
    check: Option<CheckMode>,
    /// Where the root's `type` value and `features` array start (for the root rules).
    type_at: Option<usize>,
    features_at: Option<usize>,
    /// Root member names met, to tell a member given twice.
    root_keys: Vec<(String, usize)>,
}

impl<R: BufRead> Reader<R> {
    /// A reader over `input`. Wrap files in a `BufReader`.
    pub fn new(input: R) -> Self {
        Reader {
            cur: Cursor::new(input),
            state: State::Start,
            root: Origin {
                offset: 0,
                line: 1,
                column: 1,
            },
            root_type: None,
            saw_features: false,
            members: Vec::new(),
            meta: Metadata {
                source_format: Some(Format::GeoJson),
                ..Metadata::default()
            },
            pending: VecDeque::new(),
            diagnostics: Vec::new(),
            unit: Vec::new(),
            groups: GroupIndex::default(),
            check: None,
            type_at: None,
            features_at: None,
            root_keys: Vec::new(),
        }
    }

    /// Runs `check`'s RFC 7946 rules on every feature and on the root as they are
    /// read; their findings join [`Reader::diagnostics`].
    pub(crate) fn checking(mut self, mode: CheckMode) -> Self {
        self.check = Some(mode);
        self
    }

    /// The check's state once reading is over (its precision count).
    pub(crate) fn check_mode(&self) -> Option<&CheckMode> {
        self.check.as_ref()
    }

    /// How features may name groups, as far as `groups` has been read.
    pub(crate) fn group_index(&self) -> &GroupIndex {
        &self.groups
    }

    /// Diagnostics met so far.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Document metadata; complete once the iterator has ended (members may follow
    /// `features`).
    pub fn metadata(&self) -> &Metadata {
        &self.meta
    }

    /// Metadata and diagnostics, once reading is over.
    pub fn into_parts(self) -> (Metadata, Vec<Diagnostic>) {
        (self.meta, self.diagnostics)
    }

    fn step(&mut self) -> Result<Option<Item>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Ok(Some(item));
            }
            match self.state {
                State::Done => return Ok(None),
                State::Start => self.start()?,
                State::Members { first } => self.member(first)?,
                State::Features { first } => {
                    if let Some(f) = self.feature_item(first)? {
                        return Ok(Some(Item::Feature(f)));
                    }
                }
            }
        }
    }

    fn start(&mut self) -> Result<()> {
        self.cur.skip_bom()?;
        self.cur.skip_ws()?;
        self.root = self.cur.origin();
        match self.cur.peek()? {
            Some(b'{') => {
                self.cur.record = Some(Vec::new());
                self.cur.bump()?;
                self.state = State::Members { first: true };
                Ok(())
            }
            Some(_) => {
                // Let serde_json say what the value is, or where its syntax breaks.
                let mut v = Vec::new();
                self.cur.read_value(&mut v)?;
                let value: Value = parse_unit(&v, self.root)?;
                Err(Error::NotFormat {
                    format: Format::GeoJson,
                    message: format!("the root is {}, not an object", json_kind(&value)),
                })
            }
            None => Err(Error::NotFormat {
                format: Format::GeoJson,
                message: "the input is empty".into(),
            }),
        }
    }

    fn member(&mut self, first: bool) -> Result<()> {
        self.cur.skip_ws()?;
        if self.cur.peek()? == Some(b'}') {
            self.cur.bump()?;
            return self.finish_root();
        }
        if !first {
            self.cur.expect(b',', "`,` or `}` after an object member")?;
            self.cur.skip_ws()?;
        }
        if self.cur.peek()? != Some(b'"') {
            return Err(self.cur.syntax_error("expected a member name"));
        }
        let key_start = self.cur.origin();
        let mut raw = Vec::new();
        self.cur.read_value(&mut raw)?;
        let key: String = parse_unit(&raw, key_start)?;
        if self.check.is_some() {
            if self.root_keys.iter().any(|(k, _)| *k == key) {
                self.diagnostics
                    .push(duplicate_member(&key, key_start.offset));
            }
            self.root_keys.push((key.clone(), key_start.offset));
        }
        self.cur.expect(b':', "`:` after a member name")?;
        self.cur.skip_ws()?;
        self.state = State::Members { first: false };
        let is_single = matches!(
            self.root_kind_so_far(),
            Some(RootKind::Feature | RootKind::Geometry)
        );
        if key == "features" && !is_single && self.cur.peek()? == Some(b'[') {
            // A collection: the root's bytes need not be kept any longer.
            self.cur.record = None;
            self.features_at = Some(self.cur.offset());
            self.cur.bump()?;
            self.saw_features = true;
            self.state = State::Features { first: true };
            return Ok(());
        }
        let start = self.cur.origin();
        let mut raw = Vec::new();
        self.cur.read_value(&mut raw)?;
        match key.as_str() {
            "type" => {
                self.type_at = Some(start.offset);
                let t: Value = parse_unit(&raw, start)?;
                match t {
                    Value::String(s) => self.root_type = Some(s),
                    other => {
                        if let Some(mode) = self.check.as_mut() {
                            // Said as the rules say it of any object, at the root.
                            mode.root.push(
                                Diagnostic::new(
                                    Code::GeojsonWrongType,
                                    format!(
                                        "\"type\" should be a string, but is {}",
                                        json_kind(&other)
                                    ),
                                )
                                .at(Span::new(self.root.offset, self.root.offset + 1)),
                            );
                        }
                        return Err(Error::NotFormat {
                            format: Format::GeoJson,
                            message: format!("the root's `type` is {}", json_kind(&other)),
                        });
                    }
                }
            }
            "groups" if !is_single => {
                let span = Span::new(start.offset, self.cur.offset());
                let entries = match split_array(&raw, start)? {
                    Some(entries) => entries,
                    None => {
                        let v: Value = parse_unit(&raw, start)?;
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::GeojsonInvalidGroups,
                                format!("`groups` is {}, not an array; ignored", json_kind(&v)),
                            )
                            .at(span),
                        );
                        Vec::new()
                    }
                };
                let read = read_groups(entries, &mut self.diagnostics);
                self.groups = read.index;
                self.pending
                    .extend(read.groups.into_iter().map(Item::Group));
            }
            _ => self.members.push((key, raw, start)),
        }
        Ok(())
    }

    fn root_kind_so_far(&self) -> Option<RootKind> {
        match self.root_type.as_deref()? {
            "FeatureCollection" => Some(RootKind::Collection),
            "Feature" => Some(RootKind::Feature),
            t if t.parse::<crate::GeometryKind>().is_ok() => Some(RootKind::Geometry),
            _ => None,
        }
    }

    fn finish_root(&mut self) -> Result<()> {
        self.state = State::Done;
        self.cur.skip_ws()?;
        if self.cur.peek()?.is_some() {
            return Err(self
                .cur
                .syntax_error("trailing characters after the root object"));
        }
        let single = matches!(
            self.root_kind_so_far(),
            Some(RootKind::Feature | RootKind::Geometry)
        );
        if let Some(mode) = self.check.as_mut() {
            mode.root_at = self.root.offset;
            // A collection's root is checked here (its features were, one by one); a
            // Feature or geometry root is checked whole below. A root the reader cannot
            // take is checked too, so that `check` says what is wrong with it.
            if !single {
                let root = crate::validate::root_of_collection(
                    self.root.offset,
                    self.root_type.as_deref().zip(self.type_at),
                    self.features_at,
                    &self.members,
                );
                let found = crate::validate::root_rules(&root, mode);
                // The reader says itself that the root has no type, at the same place.
                mode.root.extend(
                    found
                        .into_iter()
                        .filter(|d| d.code != Code::GeojsonMissingType),
                );
            }
        }
        let has = |k: &str| self.members.iter().any(|(key, _, _)| key == k);
        let kind = match (self.root_kind_so_far(), self.root_type.as_deref()) {
            (Some(k), _) => k,
            (None, Some(other)) => {
                return Err(Error::NotFormat {
                    format: Format::GeoJson,
                    message: format!("the root's type `{other}` is not a GeoJSON type"),
                })
            }
            (None, None) => {
                let kind = if self.saw_features {
                    RootKind::Collection
                } else if has("geometry") || has("properties") {
                    RootKind::Feature
                } else if has("coordinates") || has("geometries") {
                    RootKind::Geometry
                } else {
                    return Err(Error::NotFormat {
                        format: Format::GeoJson,
                        message:
                            "the root object has no `type`, `features`, `geometry` or `coordinates`"
                                .into(),
                    });
                };
                self.diagnostics.push(missing_root_type(self.root.offset));
                kind
            }
        };
        self.meta.root = kind;
        let members = std::mem::take(&mut self.members);
        match kind {
            RootKind::Collection => {
                if !self.saw_features {
                    if let Some((_, raw, start)) = members.iter().find(|(k, _, _)| k == "features")
                    {
                        let v: Value = parse_unit(raw, *start)?;
                        return Err(Error::NotFormat {
                            format: Format::GeoJson,
                            message: format!("`features` is {}, not an array", json_kind(&v)),
                        });
                    }
                }
                for (key, raw, start) in members {
                    let v: Value = parse_unit(&raw, start)?;
                    self.meta.extra.insert(key, v);
                }
            }
            RootKind::Feature | RootKind::Geometry => {
                let bytes = self.cur.record.take().unwrap_or_default();
                let feature = if kind == RootKind::Feature {
                    read_feature(
                        &bytes,
                        self.root,
                        &self.groups,
                        &mut self.diagnostics,
                        self.check.as_mut(),
                    )?
                } else {
                    let mark = self.diagnostics.len();
                    let f = read_bare_geometry(&bytes, self.root, &mut self.diagnostics)?;
                    if let Some(mode) = self.check.as_mut() {
                        if let Some(found) =
                            crate::validate::unit_rules(&bytes, self.root.offset, mode, true)
                        {
                            let said = self.diagnostics.split_off(mark);
                            let explained = found.iter().any(|d| EXPLAINING.contains(&d.code));
                            self.diagnostics
                                .extend(said.into_iter().filter(|d| {
                                    !(explained && READER_STRUCTURE.contains(&d.code))
                                }));
                            self.diagnostics.extend(found);
                        }
                    }
                    f
                };
                self.pending.extend(feature.map(Item::Feature));
            }
        }
        Ok(())
    }

    /// The next group, or the next feature's raw bytes appended to `batch` (with
    /// where they start in the source), without parsing the feature: the parallel
    /// converter parses batches of them on several threads.
    pub(crate) fn next_raw(&mut self, batch: &mut Vec<u8>) -> Result<Option<Raw>> {
        loop {
            if let Some(Item::Group(g)) = self.pending.pop_front() {
                return Ok(Some(Raw::Group(g)));
            }
            if let Some(Item::Feature(f)) = self.pending.pop_front() {
                return Ok(Some(Raw::Feature(Box::new(f))));
            }
            match self.state {
                State::Done => return Ok(None),
                State::Start => self.start()?,
                State::Members { first } => self.member(first)?,
                State::Features { first } => {
                    self.cur.skip_ws()?;
                    if self.cur.peek()? == Some(b']') {
                        self.cur.bump()?;
                        self.state = State::Members { first: false };
                        continue;
                    }
                    if !first {
                        self.cur.expect(b',', "`,` or `]` after a feature")?;
                        self.cur.skip_ws()?;
                    }
                    self.state = State::Features { first: false };
                    let origin = self.cur.origin();
                    let from = batch.len();
                    self.cur.read_value(batch)?;
                    return Ok(Some(Raw::Unit(origin, from..batch.len())));
                }
            }
        }
    }

    fn feature_item(&mut self, first: bool) -> Result<Option<Feature>> {
        self.cur.skip_ws()?;
        if self.cur.peek()? == Some(b']') {
            self.cur.bump()?;
            self.state = State::Members { first: false };
            return Ok(None);
        }
        if !first {
            self.cur.expect(b',', "`,` or `]` after a feature")?;
            self.cur.skip_ws()?;
        }
        self.state = State::Features { first: false };
        let start = self.cur.origin();
        let mut unit = std::mem::take(&mut self.unit);
        unit.clear();
        self.cur.read_value(&mut unit)?;
        let feature = read_feature(
            &unit,
            start,
            &self.groups,
            &mut self.diagnostics,
            self.check.as_mut(),
        );
        self.unit = unit;
        feature
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Item>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(item) => item.map(Ok),
            Err(e) => {
                self.state = State::Done;
                self.pending.clear();
                Some(Err(e))
            }
        }
    }
}

/// Reads a whole GeoJSON document, with the diagnostics met on the way.
///
/// ```
/// let text = br#"{"type":"Point","coordinates":[1.5,2.5,100]}"#;
/// let (doc, diags) = geonorm::geojson::read(&text[..])?;
/// assert_eq!(doc.features.len(), 1);
/// assert!(diags.is_empty());
/// # Ok::<(), geonorm::Error>(())
/// ```
pub fn read<R: BufRead>(input: R) -> Result<(Document, Vec<Diagnostic>)> {
    let mut reader = Reader::new(input);
    let mut doc = Document::default();
    for item in reader.by_ref() {
        match item? {
            Item::Group(g) => doc.groups.push(g),
            Item::Feature(f) => doc.features.push(f),
        }
    }
    let index = std::mem::take(&mut reader.groups);
    let (meta, mut diags) = reader.into_parts();
    doc.meta = meta;
    resolve_group_names(&mut doc, &index, &mut diags);
    Ok((doc, diags))
}

/// Features whose `group` names a group by something other than its integer id, and
/// came before `groups` in the file (so the streaming reader could not tell), are
/// linked now. A title path that names no group creates it, as MapHub's uploads do.
fn resolve_group_names(doc: &mut Document, index: &GroupIndex, diags: &mut Vec<Diagnostic>) {
    let mut by_path: HashMap<String, GroupId> = index.paths.clone();
    let mut ids = IdAllocator::new(doc.groups.iter().map(|g| g.id));
    let mut fresh = || ids.fresh();
    let sep = GROUP_PATH_SEPARATOR.to_string();
    let mut created: Vec<((String, Span), Group)> = Vec::new();
    for f in &mut doc.features {
        let Some(g) = f.properties.get("group") else {
            continue;
        };
        let id = match index.lookup(g) {
            Some(id) => Some(id),
            None => match g {
                Value::String(path) if !path.trim().is_empty() => {
                    let before = created.len();
                    let id = ensure_path(path, &sep, &mut by_path, &mut fresh, &mut created);
                    for ((_, at), _) in &mut created[before..] {
                        *at = f.span;
                    }
                    id
                }
                _ => None,
            },
        };
        if let Some(id) = id {
            f.properties.shift_remove("group");
            f.group = Some(id);
        }
    }
    for ((path, span), g) in created {
        diags.push(
            Diagnostic::new(
                Code::GeojsonGroupByTitle,
                format!(
                    "a feature's group \"{path}\" names no declared group; created with id {}",
                    g.id
                ),
            )
            .at(span),
        );
        doc.groups.push(g);
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Where a unit of input starts: byte offset, and the 1-based line and byte column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin {
    pub(crate) offset: usize,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Origin {
    /// The origin of the byte `n` bytes into `unit`, which starts at `self`.
    fn advance(self, unit: &[u8], n: usize) -> Origin {
        let before = unit.get(..n).unwrap_or(unit);
        match memchr::memrchr(b'\n', before) {
            Some(last) => Origin {
                offset: self.offset + n,
                line: self.line + memchr::memchr_iter(b'\n', before).count(),
                column: n - last,
            },
            None => Origin {
                offset: self.offset + n,
                line: self.line,
                column: self.column + n,
            },
        }
    }
}

/// Turns a serde_json syntax error inside `unit` (which starts at `origin` in the
/// source) into a positioned fatal error.
fn syntax_error(e: &serde_json::Error, unit: &[u8], origin: Origin) -> Error {
    let at = origin.advance(unit, offset_of_line_col(unit, e.line(), e.column()));
    Error::Syntax {
        message: strip_position(e),
        offset: at.offset,
        line: at.line,
        column: at.column,
    }
}

fn parse_unit<'a, T: serde::Deserialize<'a>>(unit: &'a [u8], origin: Origin) -> Result<T> {
    serde_json::from_slice(unit).map_err(|e| syntax_error(&e, unit, origin))
}

fn is_data_error(e: &serde_json::Error) -> bool {
    matches!(e.classify(), serde_json::error::Category::Data)
}

// ---------------------------------------------------------------- features

struct RawFeature<'a> {
    ty: Option<Value>,
    id: Option<Value>,
    geometry: Option<&'a RawValue>,
    properties: Option<Value>,
    extra: Properties,
    /// A member name appeared twice in some object of the feature (geometries aside).
    duplicate: bool,
}

impl<'de> serde::Deserialize<'de> for RawFeature<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawFeature<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Feature object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut raw = RawFeature {
                    ty: None,
                    id: None,
                    geometry: None,
                    properties: None,
                    extra: Map::new(),
                    duplicate: false,
                };
                let dup = Cell::new(false);
                while let Some(key) = map.next_key::<String>()? {
                    let seed = || NoticeDuplicates { duplicate: &dup };
                    let seen = match key.as_str() {
                        "type" => raw.ty.replace(map.next_value_seed(seed())?).is_some(),
                        "id" => raw.id.replace(map.next_value_seed(seed())?).is_some(),
                        "geometry" => raw.geometry.replace(map.next_value()?).is_some(),
                        "properties" => raw
                            .properties
                            .replace(map.next_value_seed(seed())?)
                            .is_some(),
                        _ => {
                            let v = map.next_value_seed(seed())?;
                            raw.extra.insert(key, v).is_some()
                        }
                    };
                    if seen {
                        dup.set(true);
                    }
                }
                raw.duplicate = dup.get();
                Ok(raw)
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads a JSON value as serde_json's `Value` does (the last of duplicate members
/// wins, as in `JSON.parse`), noting whether any object in it had a member twice.
struct NoticeDuplicates<'c> {
    duplicate: &'c Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for NoticeDuplicates<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NoticeDuplicates<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(NoticeDuplicates {
            duplicate: self.duplicate,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let v = map.next_value_seed(NoticeDuplicates {
                duplicate: self.duplicate,
            })?;
            if out.insert(key, v).is_some() {
                self.duplicate.set(true);
            }
        }
        Ok(Value::Object(out))
    }
}

/// The diagnostic for a member given twice in one object, at the second, as `check`
/// and `convert` both report it.
pub(crate) fn duplicate_member(key: &str, at: usize) -> Diagnostic {
    Diagnostic::new(
        Code::GeojsonDuplicateMember,
        format!("member \"{key}\" appears twice in one object; the last one is read"),
    )
    .at(Span::new(at, at + 1))
}

/// A root object without `type` (read as what its members say): the one diagnostic
/// `check` and `convert` both give.
pub(crate) fn missing_root_type(at: usize) -> Diagnostic {
    Diagnostic::new(Code::GeojsonMissingType, "the root object has no `type`")
        .at(Span::new(at, at + 1))
        .with_help("add \"type\": \"FeatureCollection\" (or Feature, or the geometry type)")
}

/// A feature without `type` (read as a Feature): the one diagnostic `check` and
/// `convert` both give.
pub(crate) fn missing_feature_type(at: usize) -> Diagnostic {
    Diagnostic::new(
        Code::GeojsonMissingType,
        "feature has no `type`; read as a Feature",
    )
    .at(Span::new(at, at + 1))
    .with_help("add \"type\": \"Feature\"")
}

/// What the reader says about a feature it could not read (whole or in part), in its
/// own words. The RFC 7946 rules say the same with the position of the value at
/// fault, so when they run on the feature, their findings replace these.
const READER_STRUCTURE: [Code; 6] = [
    Code::GeojsonInvalidFeature,
    Code::GeojsonInvalidGeometry,
    Code::GeojsonPositionTooShort,
    Code::GeojsonEmptyPoint,
    Code::GeojsonExtraOrdinates,
    Code::GeojsonMissingType,
];

/// Findings of the rules that explain why something could not be read, or what was
/// dropped: the ones `convert` reports too.
const EXPLAINING: [Code; 8] = [
    Code::GeojsonMissingType,
    Code::GeojsonMissingMember,
    Code::GeojsonWrongType,
    Code::GeojsonMemberType,
    Code::GeojsonBadPosition,
    Code::GeojsonPositionTooShort,
    Code::GeojsonEmptyPoint,
    Code::GeojsonExtraOrdinates,
];

/// `check`'s rules, run by the reader on every feature as it is read.
#[derive(Debug, Clone, Default)]
pub(crate) struct CheckMode {
    /// MapHub's dialect (a FeatureCollection may carry `properties`).
    pub maphub: bool,
    /// Positions with too many decimals so far (see the rules).
    pub precision: usize,
    /// Findings about the root object.
    pub root: Vec<Diagnostic>,
    /// Where the root value starts.
    pub root_at: usize,
}

/// Reads one feature; with `check`, every RFC 7946 rule runs on it too, and without,
/// the rules run only when the reader met a problem, so that both commands give one
/// code and one position per problem.
fn read_feature(
    unit: &[u8],
    origin: Origin,
    groups: &GroupIndex,
    diags: &mut Vec<Diagnostic>,
    check: Option<&mut CheckMode>,
) -> Result<Option<Feature>> {
    let mark = diags.len();
    let result = read_feature_fast(unit, origin, groups, diags)?;
    let noticed = diags[mark..]
        .iter()
        .any(|d| READER_STRUCTURE.contains(&d.code));
    if check.is_none() && !noticed {
        return Ok(result);
    }
    let mut quiet = CheckMode {
        maphub: true,
        ..CheckMode::default()
    };
    let full = check.is_some();
    let mode = check.unwrap_or(&mut quiet);
    let Some(found) = crate::validate::unit_rules(unit, origin.offset, mode, false) else {
        return Ok(result);
    };
    let mut found = found;
    if let Some(first) = found.iter().position(|d| EXPLAINING.contains(&d.code)) {
        let said = diags.split_off(mark);
        let skipped =
            result.is_none() && said.iter().any(|d| d.code == Code::GeojsonInvalidFeature);
        let geometry_dropped = result.as_ref().is_some_and(|f| f.geometry.is_none())
            && said.iter().any(|d| {
                matches!(
                    d.code,
                    Code::GeojsonInvalidGeometry
                        | Code::GeojsonPositionTooShort
                        | Code::GeojsonEmptyPoint
                )
            });
        diags.extend(
            said.into_iter()
                .filter(|d| !READER_STRUCTURE.contains(&d.code)),
        );
        if skipped {
            // The item is not read at all: that stays the finding (nothing is lost
            // without a word), in the rules' words and at their position.
            let why = found.remove(first);
            diags.push(Diagnostic {
                code: Code::GeojsonInvalidFeature,
                severity: Code::GeojsonInvalidFeature.severity(),
                message: format!("{}; the item is skipped", why.message),
                ..why
            });
        } else if geometry_dropped && !found[first].message.contains("kept without geometry") {
            // Nothing lost without a word: the rules say what is wrong, this says what
            // became of it.
            found[first]
                .message
                .push_str("; the feature is kept without geometry");
        }
    }
    diags.extend(
        found
            .into_iter()
            .filter(|d| full || EXPLAINING.contains(&d.code)),
    );
    Ok(result)
}

/// Offset of `inner` (a sub-slice of `outer`) within `outer`.
fn offset_in(outer: &[u8], inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

fn read_feature_fast(
    unit: &[u8],
    origin: Origin,
    groups: &GroupIndex,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<Feature>> {
    let base = origin.offset;
    let span = Span::new(base, base + unit.len());
    let raw: RawFeature = match serde_json::from_slice(unit) {
        Ok(raw) => raw,
        Err(e) if is_data_error(&e) => {
            diags.push(
                Diagnostic::new(
                    Code::GeojsonInvalidFeature,
                    format!("feature skipped: {}", strip_position(&e)),
                )
                .at(span),
            );
            return Ok(None);
        }
        Err(e) => return Err(syntax_error(&e, unit, origin)),
    };
    match raw.ty.as_ref() {
        Some(Value::String(t)) if t == "Feature" => {}
        None => diags.push(missing_feature_type(base)),
        Some(other) => {
            diags.push(
                Diagnostic::new(
                    Code::GeojsonInvalidFeature,
                    format!("an item of `features` has type {other}, not \"Feature\"; skipped"),
                )
                .at(span),
            );
            return Ok(None);
        }
    }
    if raw.duplicate {
        // Rare: find where, with the spanned parser `check` uses, for the same positions.
        if let Ok(parsed) = crate::json::parse(unit) {
            for (key, at) in parsed.duplicates {
                diags.push(duplicate_member(&key, base + at));
            }
        }
    }
    let mut feature = Feature {
        id: raw.id,
        extra: raw.extra,
        span,
        ..Feature::default()
    };
    if let Some(g) = raw.geometry {
        let at = origin.advance(unit, offset_in(unit, g.get()));
        if let Some((geom, extra)) = read_geometry(g.get().as_bytes(), at, diags)? {
            feature.geometry = Some(geom);
            feature.geometry_extra = extra;
        }
    }
    match raw.properties {
        Some(Value::Object(props)) => lift_properties(&mut feature, props, groups, diags),
        Some(Value::Null) | None => {}
        Some(other) => diags.push(
            Diagnostic::new(
                Code::GeojsonInvalidFeature,
                format!(
                    "`properties` is {}, not an object or null; dropped",
                    json_kind(&other)
                ),
            )
            .at(span),
        ),
    }
    Ok(Some(feature))
}

fn read_bare_geometry(
    unit: &[u8],
    origin: Origin,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<Feature>> {
    let span = Span::new(origin.offset, origin.offset + unit.len());
    // A geometry that cannot be read still stands for a feature, kept without it (as
    // its diagnostic says).
    let (geometry, geometry_extra) = match read_geometry(unit, origin, diags)? {
        Some((g, extra)) => (Some(g), extra),
        None => (None, Properties::new()),
    };
    Ok(Some(Feature {
        geometry,
        geometry_extra,
        span,
        ..Feature::default()
    }))
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn take_string(props: &mut Properties, key: &str) -> Option<String> {
    if matches!(props.get(key), Some(Value::String(_))) {
        if let Some(Value::String(s)) = props.shift_remove(key) {
            return Some(s);
        }
    }
    None
}

fn take_number(props: &mut Properties, key: &str) -> Option<Number> {
    if matches!(props.get(key), Some(Value::Number(_))) {
        if let Some(Value::Number(n)) = props.shift_remove(key) {
            return Some(n);
        }
    }
    None
}

/// Moves the properties the model knows (title, group, style…) into their fields. A
/// value of an unexpected type stays an ordinary property rather than being lost.
fn lift_properties(
    f: &mut Feature,
    mut props: Properties,
    groups: &GroupIndex,
    diags: &mut Vec<Diagnostic>,
) {
    f.title = take_string(&mut props, "title");
    f.description = take_string(&mut props, "description");
    let group = props.get("group").and_then(|g| {
        g.as_u64()
            .and_then(GroupId::new)
            .or_else(|| groups.lookup(g))
    });
    if let Some(id) = group {
        props.shift_remove("group");
        f.group = Some(id);
    }
    f.style = Style {
        marker_color: take_string(&mut props, "marker-color"),
        marker_symbol: take_string(&mut props, "marker-symbol"),
        marker_size: take_string(&mut props, "marker-size"),
        stroke: take_string(&mut props, "stroke"),
        stroke_width: take_number(&mut props, "stroke-width"),
        stroke_opacity: take_number(&mut props, "stroke-opacity"),
        fill: take_string(&mut props, "fill"),
        fill_opacity: take_number(&mut props, "fill-opacity"),
        icon: take_string(&mut props, "icon"),
    };
    if let Some(t) = take_string(&mut props, "timestamp") {
        f.time = Some(Time::Instant(t));
    } else if let Some(span) = props.get("timespan").and_then(timespan) {
        props.shift_remove("timespan");
        f.time = Some(span);
    }
    if let Some(cp) = props.get("coordinateProperties") {
        let attached = match f.geometry.as_mut() {
            Some(g) => attach_columns(g, cp),
            None => Err("the feature has no geometry"),
        };
        match attached {
            Ok(()) => {
                props.shift_remove("coordinateProperties");
            }
            Err(why) => diags.push(
                Diagnostic::new(
                    Code::GeojsonCoordinateProperties,
                    format!("`coordinateProperties` kept as an ordinary property: {why}"),
                )
                .at(f.span),
            ),
        }
    }
    f.properties = props;
}

fn timespan(v: &Value) -> Option<Time> {
    let obj = v.as_object()?;
    if obj.keys().any(|k| k != "begin" && k != "end") {
        return None;
    }
    let end_of = |k: &str| match obj.get(k) {
        None => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    };
    Some(Time::Span {
        begin: end_of("begin")?,
        end: end_of("end")?,
    })
}

fn column_of(name: &str, values: &Value, len: usize) -> std::result::Result<Column, String> {
    let arr = values
        .as_array()
        .ok_or_else(|| format!("`{name}` is not an array"))?;
    if arr.len() != len {
        return Err(format!(
            "`{name}` has {} values for {len} vertices",
            arr.len()
        ));
    }
    let values = if arr.iter().all(|v| v.is_number() || v.is_null()) {
        ColumnValues::Numbers(arr.iter().map(|v| v.as_number().cloned()).collect())
    } else if arr.iter().all(|v| v.is_string() || v.is_null()) {
        ColumnValues::Texts(arr.iter().map(Value::as_str).collect::<TextColumn>())
    } else {
        return Err(format!("`{name}` mixes value types"));
    };
    Ok(Column {
        name: name.to_string(),
        values,
    })
}

/// Attaches `coordinateProperties` (togeojson's per-vertex arrays) to the lines of `g`,
/// all or nothing.
fn attach_columns(g: &mut Geometry, cp: &Value) -> std::result::Result<(), &'static str> {
    let obj = cp.as_object().ok_or("it is not an object")?;
    match g {
        Geometry::LineString(c) => {
            let cols = obj
                .iter()
                .map(|(k, v)| column_of(k, v, c.len()))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|_| "an array does not match the line's vertices")?;
            for col in cols {
                c.set_column(col)
                    .map_err(|_| "an array does not match the line's vertices")?;
            }
            Ok(())
        }
        Geometry::MultiLineString(parts) => {
            let mut per_part: Vec<Vec<Column>> = vec![Vec::new(); parts.len()];
            for (k, v) in obj {
                let arr = v
                    .as_array()
                    .filter(|a| a.len() == parts.len())
                    .ok_or("an array does not match the number of lines")?;
                for ((part, value), cols) in parts.iter().zip(arr).zip(per_part.iter_mut()) {
                    cols.push(
                        column_of(k, value, part.len())
                            .map_err(|_| "an array does not match a line's vertices")?,
                    );
                }
            }
            for (part, cols) in parts.iter_mut().zip(per_part) {
                for col in cols {
                    part.set_column(col)
                        .map_err(|_| "an array does not match a line's vertices")?;
                }
            }
            Ok(())
        }
        _ => Err("the geometry is not a LineString or MultiLineString"),
    }
}

// ---------------------------------------------------------------- groups

/// The items of the JSON array in `raw` (which starts at `origin`), each parsed on its
/// own with its span; `None` when `raw` is not an array.
fn split_array(raw: &[u8], origin: Origin) -> Result<Option<Vec<(Value, Span)>>> {
    let mut cur = Cursor::new(raw);
    cur.skip_ws()?;
    if cur.peek()? != Some(b'[') {
        return Ok(None);
    }
    cur.bump()?;
    let mut items = Vec::new();
    let mut item = Vec::new();
    let (mut at, mut last) = (origin, 0usize);
    loop {
        cur.skip_ws()?;
        if cur.peek()? == Some(b']') {
            break;
        }
        if !items.is_empty() {
            cur.expect(b',', "`,` or `]` after an array item")
                .map_err(|_| {
                    let at = origin.advance(raw, cur.offset());
                    Error::Syntax {
                        message: "expected `,` or `]` after an array item".into(),
                        offset: at.offset,
                        line: at.line,
                        column: at.column,
                    }
                })?;
            cur.skip_ws()?;
        }
        let start = cur.offset();
        // Advance from the previous item, not from the start: linear, not quadratic.
        at = at.advance(&raw[last..], start - last);
        last = start;
        item.clear();
        cur.read_value(&mut item)?;
        let v: Value = parse_unit(&item, at)?;
        items.push((
            v,
            Span::new(origin.offset + start, origin.offset + cur.offset()),
        ));
    }
    Ok(Some(items))
}

fn read_groups(entries: Vec<(Value, Span)>, diags: &mut Vec<Diagnostic>) -> GroupsRead {
    // (id if valid, full title path, extra members)
    let mut parsed: Vec<ParsedGroup> = Vec::new();
    let mut seen = HashSet::new();
    for (i, (entry, span)) in entries.into_iter().enumerate() {
        let Value::Object(mut obj) = entry else {
            diags.push(
                Diagnostic::new(
                    Code::GeojsonInvalidGroups,
                    format!(
                        "group {} is {}, not an object; ignored",
                        i + 1,
                        json_kind(&entry)
                    ),
                )
                .at(span),
            );
            continue;
        };
        let mut alias = None;
        let id = match obj.shift_remove("id") {
            Some(v) => match v.as_u64().and_then(GroupId::new) {
                Some(id) if seen.insert(id) => Some(id),
                Some(id) => {
                    diags.push(
                        Diagnostic::new(
                            Code::GeojsonDuplicateGroupId,
                            format!("group id {id} is used twice; the second group gets a new id"),
                        )
                        .at(span),
                    );
                    None
                }
                None => {
                    // Not MapHub's integer, but features may name the group by it:
                    // keep it as an alias of the id the group is given below.
                    alias = Some(match &v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                    None
                }
            },
            None => {
                diags.push(
                    Diagnostic::new(
                        Code::GeojsonInvalidGroups,
                        format!("group {} has no id; it gets a new id", i + 1),
                    )
                    .at(span),
                );
                None
            }
        };
        let title = match obj.shift_remove("title") {
            Some(Value::String(s)) => s,
            other => {
                diags.push(
                    Diagnostic::new(
                        Code::GeojsonInvalidGroups,
                        format!(
                            "group {} has no string `title`; it is titled \"Group {}\"",
                            i + 1,
                            i + 1
                        ),
                    )
                    .at(span),
                );
                if let Some(v) = other {
                    obj.insert("title".into(), v);
                }
                format!("Group {}", i + 1)
            }
        };
        parsed.push((id, title, obj, span, alias));
    }
    let mut ids = IdAllocator::new(parsed.iter().filter_map(|(id, _, _, _, _)| *id));
    let mut fresh = || ids.fresh();
    let mut groups = Vec::with_capacity(parsed.len());
    let mut by_path: HashMap<String, GroupId> = HashMap::new();
    let mut leaves = Vec::with_capacity(parsed.len());
    let mut aliases = HashMap::new();
    for (id, path, extra, span, alias) in parsed {
        let Some(id) = id.or_else(&mut fresh) else {
            continue;
        };
        if let Some(alias) = alias {
            diags.push(
                Diagnostic::new(
                    Code::GeojsonGroupIdNotInteger,
                    format!("group id \"{alias}\" is not a positive integer; the group gets id {id}, and features naming \"{alias}\" follow it"),
                )
                .at(span),
            );
            aliases.insert(alias, id);
        }
        by_path.entry(path.clone()).or_insert(id);
        leaves.push((id, path, extra, span));
    }
    let sep = GROUP_PATH_SEPARATOR.to_string();
    let mut implicit: Vec<((String, Span), Group)> = Vec::new();
    for (id, path, extra, span) in leaves {
        let levels = path_levels(&path);
        if path.split(GROUP_PATH_SEPARATOR).count() > MAX_GROUP_DEPTH {
            diags.push(
                Diagnostic::new(
                    Code::GroupTooDeep,
                    format!("a group's title path has more than {MAX_GROUP_DEPTH} levels; the deeper levels stay in its title"),
                )
                .at(span),
            );
        }
        let (parent_path, title) = match levels.split_last() {
            Some((t, rest)) if !rest.is_empty() => (Some(rest.join(&sep)), t.to_string()),
            _ => (None, path.clone()),
        };
        let parent = parent_path.and_then(|pp| {
            let before = implicit.len();
            let id = ensure_path(&pp, &sep, &mut by_path, &mut fresh, &mut implicit);
            for ((_, at), _) in &mut implicit[before..] {
                *at = span;
            }
            id
        });
        groups.push(Group {
            id,
            title,
            parent,
            extra,
        });
    }
    for ((path, span), g) in &implicit {
        diags.push(
            Diagnostic::new(
                Code::GeojsonImplicitParentGroup,
                format!(
                    "group \"{path}\" is not declared but has subgroups; added with id {}",
                    g.id
                ),
            )
            .at(*span),
        );
    }
    groups.extend(implicit.into_iter().map(|(_, g)| g));
    GroupsRead {
        groups,
        index: GroupIndex {
            aliases,
            paths: by_path,
        },
    }
}

/// Hands out group ids not in use: after the largest one taken, or, when that is
/// `u64::MAX` (a hostile file), the smallest free one.
struct IdAllocator {
    used: HashSet<GroupId>,
    next: u64,
}

impl IdAllocator {
    fn new(taken: impl Iterator<Item = GroupId>) -> Self {
        let used: HashSet<GroupId> = taken.collect();
        let next = used.iter().map(|g| g.get()).max().unwrap_or(0);
        IdAllocator { used, next }
    }

    fn fresh(&mut self) -> Option<GroupId> {
        // Terminates: only as many ids are used as there are groups.
        loop {
            self.next = self.next.checked_add(1).unwrap_or(1);
            let id = GroupId::new(self.next)?;
            if self.used.insert(id) {
                return Some(id);
            }
        }
    }
}

/// One entry of `groups` as read: id if valid, full title path, other members, where,
/// and the id as written when it was not a positive integer.
type ParsedGroup = (Option<GroupId>, String, Properties, Span, Option<String>);

struct GroupsRead {
    groups: Vec<Group>,
    index: GroupIndex,
}

/// The ways a feature's `group` may name a group besides MapHub's integer id.
#[derive(Debug, Default, Clone)]
pub(crate) struct GroupIndex {
    /// Ids as written that were not positive integers (`"group-00"`).
    aliases: HashMap<String, GroupId>,
    /// Full title paths (levels joined by the separator).
    paths: HashMap<String, GroupId>,
}

impl GroupIndex {
    fn lookup(&self, v: &Value) -> Option<GroupId> {
        match v {
            Value::String(s) => self.aliases.get(s).or_else(|| self.paths.get(s)).copied(),
            Value::Number(n) => self.aliases.get(&n.to_string()).copied(),
            _ => None,
        }
    }
}

/// The levels of a group title path, at most [`MAX_GROUP_DEPTH`]: levels past the
/// limit stay in the last title, separator and all, so that a hostile path of 40,000
/// levels costs neither 40,000 nested groups nor memory that grows with its square.
fn path_levels(path: &str) -> Vec<&str> {
    let mut levels: Vec<&str> = path.splitn(MAX_GROUP_DEPTH, GROUP_PATH_SEPARATOR).collect();
    if levels.is_empty() {
        levels.push(path);
    }
    levels
}

/// The id of the group at title path `path`, creating it and its missing ancestors.
fn ensure_path(
    path: &str,
    sep: &str,
    by_path: &mut HashMap<String, GroupId>,
    fresh: &mut impl FnMut() -> Option<GroupId>,
    implicit: &mut Vec<((String, Span), Group)>,
) -> Option<GroupId> {
    let levels = path_levels(path);
    let mut parent = None;
    for depth in 1..=levels.len() {
        let prefix = levels[..depth].join(sep);
        if let Some(&id) = by_path.get(&prefix) {
            parent = Some(id);
            continue;
        }
        let id = fresh()?;
        by_path.insert(prefix.clone(), id);
        implicit.push((
            (prefix, Span::default()),
            Group {
                id,
                title: levels[depth - 1].to_string(),
                parent,
                extra: Map::new(),
            },
        ));
        parent = Some(id);
    }
    parent
}

// ---------------------------------------------------------------- geometry

/// Reads one geometry object; `None` for `null` or a geometry that could not be read
/// (reported).
fn read_geometry(
    bytes: &[u8],
    origin: Origin,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<(Geometry, Properties)>> {
    let span = Span::new(origin.offset, origin.offset + bytes.len());
    let mut local = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = GeometrySeed {
        diags: &mut local,
        nested: false,
    };
    let parsed = seed.deserialize(&mut de).and_then(|g| de.end().map(|()| g));
    for d in &mut local {
        d.span.get_or_insert(span);
    }
    diags.append(&mut local);
    match parsed {
        Ok(g) => Ok(g),
        Err(e) if is_data_error(&e) => {
            let msg = strip_position(&e);
            let code = if msg.contains("fewer than two numbers") {
                Code::GeojsonPositionTooShort
            } else if msg.contains("Point has no coordinates") {
                Code::GeojsonEmptyPoint
            } else {
                Code::GeojsonInvalidGeometry
            };
            let at = span.start + offset_of_line_col(bytes, e.line(), e.column());
            diags.push(
                Diagnostic::new(code, format!("{msg}; the feature is kept without geometry"))
                    .at(Span::new(at.min(span.end), span.end)),
            );
            Ok(None)
        }
        Err(e) => Err(syntax_error(&e, bytes, origin)),
    }
}

struct GeometrySeed<'d> {
    diags: &'d mut Vec<Diagnostic>,
    nested: bool,
}

impl<'de> DeserializeSeed<'de> for GeometrySeed<'_> {
    type Value = Option<(Geometry, Properties)>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GeometrySeed<'_> {
    type Value = Option<(Geometry, Properties)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a geometry object or null")
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut ty: Option<String> = None;
        let mut tree: Option<CoordTree> = None;
        let mut children: Option<Vec<Geometry>> = None;
        let mut extra = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => ty = Some(map.next_value()?),
                "coordinates" => {
                    let mut t = CoordTree::default();
                    map.next_value_seed(CoordSeed {
                        tree: &mut t,
                        depth: 0,
                    })?;
                    tree = Some(t);
                }
                "geometries" => {
                    children = Some(map.next_value_seed(ChildrenSeed {
                        diags: &mut *self.diags,
                    })?)
                }
                _ => {
                    let v = map.next_value()?;
                    extra.insert(key, v);
                }
            }
        }
        let ty = ty.ok_or_else(|| de::Error::custom("geometry has no `type`"))?;
        if self.nested && !extra.is_empty() {
            let keys: Vec<&str> = extra.keys().map(String::as_str).collect();
            self.diags.push(Diagnostic::new(
                Code::GeojsonNestedForeignMember,
                format!("members {keys:?} of a {ty} inside a GeometryCollection are not kept"),
            ));
            extra.clear();
        }
        let geometry = if ty == "GeometryCollection" {
            let gs = children
                .ok_or_else(|| de::Error::custom("GeometryCollection has no `geometries`"))?;
            Geometry::GeometryCollection(gs)
        } else {
            let tree =
                tree.ok_or_else(|| de::Error::custom(format!("{ty} has no `coordinates`")))?;
            if tree.extra_ordinates > 0 {
                self.diags.push(Diagnostic::new(
                    Code::GeojsonExtraOrdinates,
                    format!(
                        "{} position(s) of a {ty} have more than 3 numbers; only longitude, latitude and altitude are kept",
                        tree.extra_ordinates
                    ),
                ));
            }
            tree.build(&ty).map_err(de::Error::custom)?
        };
        Ok(Some((geometry, extra)))
    }
}

struct ChildrenSeed<'d> {
    diags: &'d mut Vec<Diagnostic>,
}

impl<'de> DeserializeSeed<'de> for ChildrenSeed<'_> {
    type Value = Vec<Geometry>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ChildrenSeed<'_> {
    type Value = Vec<Geometry>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of geometries")
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(g) = seq.next_element_seed(GeometrySeed {
            diags: &mut *self.diags,
            nested: true,
        })? {
            match g {
                Some((g, _)) => out.push(g),
                None => return Err(de::Error::custom("a GeometryCollection holds null")),
            }
        }
        Ok(out)
    }
}

/// Coordinates of any nesting, stored flat while they are read: positions go straight
/// into one [`Coords`], and each nesting level records how many children its arrays had.
#[derive(Default)]
struct CoordTree {
    coords: Coords,
    /// Nesting depth of the position arrays (0: the coordinates are one position).
    position_depth: Option<usize>,
    /// `counts[d]`: number of children of each array at depth `d`, in order.
    counts: Vec<Vec<usize>>,
    extra_ordinates: usize,
}

impl CoordTree {
    fn build(self, ty: &str) -> std::result::Result<Geometry, String> {
        let want = match ty {
            "Point" => 0,
            "LineString" | "MultiPoint" => 1,
            "Polygon" | "MultiLineString" => 2,
            "MultiPolygon" => 3,
            other => return Err(format!("unknown geometry type `{other}`")),
        };
        if let Some(d) = self.position_depth {
            if d != want {
                return Err(format!(
                    "{ty} coordinates must nest positions {want} level(s) deep, found {d}"
                ));
            }
        }
        if self.counts.len() > want {
            return Err(format!("{ty} coordinates hold an empty position"));
        }
        let CoordTree { coords, counts, .. } = self;
        if want == 0 {
            return match coords.get(0) {
                Some(p) => Ok(Geometry::Point(p)),
                None => Err("Point has no coordinates".into()),
            };
        }
        // Split the flat positions by the innermost counts, then group upwards.
        let mut level = counts;
        level.resize(want, Vec::new());
        let mut sizes = level.pop().unwrap_or_default();
        if want == 1 {
            return Ok(if ty == "LineString" {
                Geometry::LineString(coords)
            } else {
                Geometry::MultiPoint(coords)
            });
        }
        if sizes.iter().sum::<usize>() != coords.len() {
            return Err(format!("{ty} coordinates are nested inconsistently"));
        }
        let mut parts = Vec::with_capacity(sizes.len());
        let mut next = 0;
        for n in sizes.drain(..) {
            parts.push(
                (next..next + n)
                    .filter_map(|i| coords.get(i))
                    .collect::<Coords>(),
            );
            next += n;
        }
        match ty {
            "Polygon" => Ok(Geometry::Polygon(parts)),
            "MultiLineString" => Ok(Geometry::MultiLineString(parts)),
            _ => {
                let polys = level.pop().unwrap_or_default();
                if polys.iter().sum::<usize>() != parts.len() {
                    return Err("MultiPolygon coordinates are nested inconsistently".into());
                }
                let mut rings = parts.into_iter();
                Ok(Geometry::MultiPolygon(
                    polys
                        .iter()
                        .map(|&n| rings.by_ref().take(n).collect())
                        .collect(),
                ))
            }
        }
    }
}

struct CoordSeed<'t> {
    tree: &'t mut CoordTree,
    depth: usize,
}

enum Elem {
    Number(f64),
    Array,
}

impl<'de> DeserializeSeed<'de> for CoordSeed<'_> {
    type Value = Elem;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Elem, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CoordSeed<'_> {
    type Value = Elem;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a coordinate array or number")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Elem, E> {
        Ok(Elem::Number(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Elem, E> {
        Ok(Elem::Number(v as f64))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Elem, E> {
        Ok(Elem::Number(v as f64))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Elem, A::Error> {
        let depth = self.depth;
        let tree = self.tree;
        let mut ords = [0.0f64; 3];
        let mut numbers = 0usize;
        let mut arrays = 0usize;
        while let Some(e) = seq.next_element_seed(CoordSeed {
            tree: &mut *tree,
            depth: depth + 1,
        })? {
            match e {
                Elem::Number(v) => {
                    if let Some(slot) = ords.get_mut(numbers) {
                        *slot = v;
                    }
                    numbers += 1;
                }
                Elem::Array => arrays += 1,
            }
        }
        if numbers > 0 {
            if arrays > 0 {
                return Err(de::Error::custom("a position mixes numbers and arrays"));
            }
            match tree.position_depth {
                Some(d) if d != depth => {
                    return Err(de::Error::custom(
                        "positions are nested at different depths",
                    ))
                }
                _ => tree.position_depth = Some(depth),
            }
            if numbers < 2 {
                return Err(de::Error::custom("a position has fewer than two numbers"));
            }
            if numbers > 3 {
                tree.extra_ordinates += 1;
            }
            let z = (numbers >= 3).then_some(ords[2]);
            tree.coords.push(Position {
                x: ords[0],
                y: ords[1],
                z,
            });
        } else {
            if tree.counts.len() <= depth {
                tree.counts.resize(depth + 1, Vec::new());
            }
            tree.counts[depth].push(arrays);
        }
        Ok(Elem::Array)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(s: &str) -> (Document, Vec<Diagnostic>) {
        read(s.as_bytes()).expect("readable")
    }

    fn codes(d: &[Diagnostic]) -> Vec<&'static str> {
        d.iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn reads_every_geometry_nesting() {
        let (doc, diags) = read_str(
            r#"{"type":"GeometryCollection","geometries":[
              {"type":"Point","coordinates":[1,2]},
              {"type":"MultiPoint","coordinates":[[1,2],[3,4]]},
              {"type":"LineString","coordinates":[[1,2,3],[3,4,5]]},
              {"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0.1,0.1],[0.2,0.1],[0.2,0.2],[0.1,0.1]]]},
              {"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3],[4,4]]]},
              {"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]],[[5.1,5.1],[5.2,5.1],[5.2,5.2],[5.1,5.1]]]]}
            ]}"#,
        );
        assert!(diags.is_empty(), "{diags:?}");
        let Some(Geometry::GeometryCollection(gs)) = &doc.features[0].geometry else {
            panic!("not a collection")
        };
        let kinds: Vec<_> = gs.iter().map(|g| g.kind().as_str()).collect();
        assert_eq!(
            kinds,
            [
                "Point",
                "MultiPoint",
                "LineString",
                "Polygon",
                "MultiLineString",
                "MultiPolygon"
            ]
        );
        assert!(matches!(&gs[3], Geometry::Polygon(r) if r.len() == 2 && r[1].len() == 4));
        assert!(matches!(&gs[4], Geometry::MultiLineString(p) if p[1].len() == 3));
        assert!(matches!(&gs[5], Geometry::MultiPolygon(p) if p.len() == 2 && p[1].len() == 2));
        assert_eq!(doc.meta.root, RootKind::Geometry);
    }

    #[test]
    fn extra_ordinates_are_dropped_with_a_warning() {
        let (doc, diags) = read_str(r#"{"type":"LineString","coordinates":[[1,2,3,4],[5,6,7,8]]}"#);
        assert_eq!(codes(&diags), ["geojson/extra-ordinates"]);
        let Some(Geometry::LineString(c)) = &doc.features[0].geometry else {
            panic!()
        };
        assert_eq!(c.get(1), Some(Position::with_z(5.0, 6.0, 7.0)));
    }

    #[test]
    fn a_bad_geometry_costs_only_that_geometry() {
        let (doc, diags) = read_str(
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","geometry":{"type":"Point","coordinates":["1","2"]},"properties":{"title":"a"}},
              {"type":"Feature","geometry":{"type":"LineString","coordinates":[[1],[2,3]]},"properties":null},
              {"type":"Feature","geometry":{"type":"Point","coordinates":[[1,2]]},"properties":{}},
              {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{}}
            ]}"#,
        );
        assert_eq!(doc.features.len(), 4);
        assert_eq!(doc.features[0].title.as_deref(), Some("a"));
        assert!(doc.features[..3].iter().all(|f| f.geometry.is_none()));
        assert!(doc.features[3].geometry.is_some());
        // Said as `check` says it: the value at fault, in a plain sentence.
        assert_eq!(
            codes(&diags),
            [
                "geojson/bad-position",
                "geojson/position-too-short",
                "geojson/bad-position"
            ]
        );
        assert!(diags.iter().all(|d| !d.message.contains("invalid type")));
    }

    #[test]
    fn maphub_dialect_is_lifted_into_the_model() {
        let (doc, diags) = read_str(
            r##"{"type":"FeatureCollection","features":[{"type":"Feature","id":7,
              "geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]},
              "properties":{"title":"T","description":"D","group":2,"stroke":"#ff0000","stroke-width":3,
                "url":"https://example.com","timestamp":"2024-01-01T00:00:00Z",
                "coordinateProperties":{"times":["2024-01-01T00:00:00Z",null],"heart":[100,101.5]}}}],
              "groups":[{"title":"A","id":1},{"title":"A／B","id":2}],"properties":{"x":1},"markers":[]}"##,
        );
        assert!(diags.is_empty(), "{diags:?}");
        let f = &doc.features[0];
        assert_eq!(f.title.as_deref(), Some("T"));
        assert_eq!(f.group.map(GroupId::get), Some(2));
        assert_eq!(f.style.stroke.as_deref(), Some("#ff0000"));
        assert_eq!(f.style.stroke_width, Some(3.into()));
        assert_eq!(f.time, Some(Time::Instant("2024-01-01T00:00:00Z".into())));
        assert_eq!(f.properties.keys().collect::<Vec<_>>(), ["url"]);
        let Some(Geometry::LineString(c)) = &f.geometry else {
            panic!()
        };
        let Some(Column {
            values: ColumnValues::Texts(t),
            ..
        }) = c.column("times")
        else {
            panic!()
        };
        assert_eq!(t.get(1), None);
        assert!(c.column("heart").is_some());
        assert_eq!(doc.groups[1].title, "B");
        assert_eq!(doc.groups[1].parent.map(GroupId::get), Some(1));
        assert_eq!(doc.group_path(doc.groups[1].id).as_deref(), Some("A／B"));
        assert_eq!(
            doc.meta.extra.keys().collect::<Vec<_>>(),
            ["properties", "markers"]
        );
    }

    #[test]
    fn undeclared_parents_and_duplicate_ids_are_repaired() {
        let (doc, diags) = read_str(
            r#"{"type":"FeatureCollection","features":[],"groups":[{"title":"X／Y／Z","id":4},{"title":"Q","id":4}]}"#,
        );
        assert_eq!(
            codes(&diags),
            [
                "geojson/duplicate-group-id",
                "geojson/implicit-parent-group",
                "geojson/implicit-parent-group"
            ]
        );
        assert_eq!(doc.groups.len(), 4);
        let z = &doc.groups[0];
        assert_eq!(doc.group_path(z.id).as_deref(), Some("X／Y／Z"));
    }

    #[test]
    fn groups_named_by_string_ids_or_title_paths_are_linked() {
        // String ids, declared before the features (linked while streaming) and after
        // them (linked when the document is assembled).
        for text in [
            r#"{"type":"FeatureCollection","groups":[{"title":"A","id":"g-a"}],"features":[
                {"type":"Feature","geometry":null,"properties":{"group":"g-a"}}]}"#,
            r#"{"type":"FeatureCollection","features":[
                {"type":"Feature","geometry":null,"properties":{"group":"g-a"}}],"groups":[{"title":"A","id":"g-a"}]}"#,
        ] {
            let (doc, diags) = read_str(text);
            assert_eq!(codes(&diags), ["geojson/group-id-not-integer"]);
            let f = &doc.features[0];
            assert_eq!(
                f.group.and_then(|g| doc.group_path(g)).as_deref(),
                Some("A")
            );
            assert!(f.properties.is_empty());
        }
        let (doc, diags) = read_str(
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","geometry":null,"properties":{"group":"A／B"}},
              {"type":"Feature","geometry":null,"properties":{"group":"Z"}},
              {"type":"Feature","geometry":null,"properties":{"group":0}}],
              "groups":[{"title":"A","id":4}]}"#,
        );
        assert_eq!(
            codes(&diags),
            ["geojson/group-by-title", "geojson/group-by-title"]
        );
        assert_eq!(
            doc.features[0]
                .group
                .and_then(|g| doc.group_path(g))
                .as_deref(),
            Some("A／B")
        );
        assert_eq!(
            doc.groups
                .iter()
                .find(|g| g.title == "B")
                .and_then(|g| g.parent),
            GroupId::new(4)
        );
        assert_eq!(
            doc.features[1]
                .group
                .and_then(|g| doc.group_path(g))
                .as_deref(),
            Some("Z")
        );
        // Not a name of anything: kept as written, for validation to report.
        assert_eq!(doc.features[2].properties["group"], 0);
    }

    #[test]
    fn hostile_groups_cost_neither_a_panic_nor_quadratic_memory() {
        // The largest id, then one without: the fresh id must not overflow.
        let (doc, _) = read_str(
            r#"{"features":[],"groups":[{"id":18446744073709551615,"title":"a"},{"title":"b"}]}"#,
        );
        assert_eq!(doc.groups.len(), 2);
        assert_ne!(doc.groups[0].id, doc.groups[1].id);
        // 40,000 levels of nesting in one title: no stack overflow, depth capped.
        let deep = vec!["x"; 40_000].join(&GROUP_PATH_SEPARATOR.to_string());
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[],"groups":[{{"title":"{deep}","id":1}}]}}"#
        );
        let (doc, diags) = read_str(&text);
        assert_eq!(doc.groups.len(), MAX_GROUP_DEPTH);
        assert!(codes(&diags).contains(&"group/too-deep"));
        let leaf = doc
            .groups
            .iter()
            .find(|g| g.id.get() == 1)
            .expect("declared group");
        assert_eq!(
            doc.group_path(leaf.id).as_deref(),
            Some(deep.as_str()),
            "nothing of the title is lost"
        );
        // Many items: each is positioned without rescanning the ones before it.
        let items = vec!["0"; 50_000].join(",");
        let (_, diags) = read_str(&format!(
            r#"{{"type":"FeatureCollection","features":[],"groups":[{items}]}}"#
        ));
        assert_eq!(diags.len(), 50_000);
        assert!(diags
            .last()
            .and_then(|d| d.span)
            .is_some_and(|s| s.start > 100_000));
    }

    #[test]
    fn mismatched_coordinate_properties_stay_properties() {
        let (doc, diags) = read_str(
            r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]},
                "properties":{"coordinateProperties":{"times":["a"]}}}"#,
        );
        assert_eq!(codes(&diags), ["geojson/coordinate-properties"]);
        assert!(doc.features[0]
            .properties
            .contains_key("coordinateProperties"));
    }

    #[test]
    fn syntax_errors_carry_the_offset() {
        let text = "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"a\":tru}}]}";
        let err = read(text.as_bytes()).expect_err("broken");
        let Error::Syntax { offset, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(&text[offset..offset + 1], "}");
    }

    #[test]
    fn non_objects_at_the_root_are_not_geojson() {
        assert!(matches!(read(&b"[1,2]"[..]), Err(Error::NotFormat { .. })));
        assert!(matches!(read(&b"  "[..]), Err(Error::NotFormat { .. })));
        assert!(matches!(
            read(&b"{\"type\":\"Topology\"}"[..]),
            Err(Error::NotFormat { .. })
        ));
        assert!(matches!(read(&b"{} x"[..]), Err(Error::Syntax { .. })));
    }
}
