//! GeoJSON reader: RFC 7946 plus MapHub's dialect.
//!
//! The root object and the `features` array are walked with [`Cursor`]; each feature is
//! cut out without being parsed, then deserialised on its own, straight into the
//! model (coordinates go into [`Coords`](crate::Coords) without an intermediate
//! `Value` tree), in batches on the options' threads; memory holds a batch.
//!
//! The pipeline, one module a stage: this module's state machine walks the root and
//! cuts out each feature; [`stream`] gathers them in batches, parses each batch on the
//! pool while the next is cut, and hands the features on in order (the stream of
//! every verb: `read`, `stream()`, `info`, and `check` and `convert`, whose sink asks
//! for `check`'s rules); [`feature`] reads one feature (and runs `check`'s rules on
//! it); [`geometry`] reads its geometry; [`groups`] reads `groups` and links features
//! to them. Positions and serde_json's errors come from [`super::origin`].

mod feature;
mod geometry;
mod groups;
mod stream;

use std::collections::VecDeque;
use std::io::BufRead;

use serde_json::Value;

use super::scan::Cursor;
use crate::geojson::origin::{json_kind, parse_unit};
use crate::{Code, Diagnostic, Error, Feature, Format, Group, Metadata, Result, RootKind, Span};
use feature::{read_bare_geometry, read_feature, with_rules};
use groups::{read_groups, split_array};

pub(crate) use super::origin::Origin;
use super::rules::missing_root_type;
pub(crate) use super::rules::CheckMode;
pub(crate) use feature::duplicate_member;
pub(crate) use groups::resolve_group_names;
pub(crate) use groups::{GroupIndex, LateGroupNames};
#[cfg(any(test, feature = "geojson"))]
pub(crate) use stream::read;
pub(crate) use stream::{read_paced, stream, stream_batches, Stopped, Streamed};

/// What [`Reader::next_raw`] yields.
pub(crate) enum Raw {
    Group(Group),
    /// A feature already parsed (the root Feature of a single-feature file).
    Feature(Box<Feature>),
    /// A feature's bytes, at this range of the batch, from this place in the source.
    Unit(Origin, std::ops::Range<usize>),
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

/// The GeoJSON reader: walks the root and cuts each feature out without parsing it
/// ([`Reader::next_raw`]), for the batches of [`stream`] (embedders stream with
/// [`crate::stream()`]). In tests, also an iterator of groups and features parsed one
/// at a time on one thread: the reference the batched stream is held to.
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
    /// Group aliases and title paths, once `groups` has been read.
    groups: GroupIndex,
    /// How many times `groups` has been read (a member may come twice): a batched
    /// check gives each feature the index in force when the feature was cut.
    groups_read: usize,
    /// `check`'s rules, when they run as the file is read.
    check: Option<CheckMode>,
    /// Where the root's `type` value and `features` array start (for the root rules).
    type_at: Option<usize>,
    features_at: Option<usize>,
    /// Root member names met, to tell a member given twice.
    root_keys: std::collections::HashSet<String>,
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
            groups: GroupIndex::default(),
            groups_read: 0,
            check: None,
            type_at: None,
            features_at: None,
            root_keys: std::collections::HashSet::new(),
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

    /// How many times `groups` has been read so far: when it changes, so may
    /// [`Reader::group_index`].
    pub(crate) fn groups_read(&self) -> usize {
        self.groups_read
    }

    /// Diagnostics met so far.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Metadata and diagnostics, once reading is over.
    pub fn into_parts(self) -> (Metadata, Vec<Diagnostic>) {
        (self.meta, self.diagnostics)
    }

    #[cfg(test)]
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
        if self.check.is_some() && !self.root_keys.insert(key.clone()) {
            self.diagnostics
                .push(duplicate_member(&key, key_start.offset));
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
                        let fallback = Error::NotFormat {
                            format: Format::GeoJson,
                            message: format!("the root's `type` is {}", json_kind(&other)),
                        };
                        self.members.push((key, raw, start));
                        return Err(self.root_error(fallback));
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
                self.groups_read += 1;
                self.pending
                    .extend(read.groups.into_iter().map(Item::Group));
            }
            _ => self.members.push((key, raw, start)),
        }
        Ok(())
    }

    /// The error for a root the reader cannot take: what the RFC 7946 rules say of it
    /// (their code, sentence and position), so that `convert` and `check` say the same;
    /// `fallback` when they find nothing.
    fn root_error(&mut self, fallback: Error) -> Error {
        let root = super::rules::root_of_collection(
            self.root.offset,
            self.root_type.as_deref().zip(self.type_at),
            self.features_at,
            &self.members,
        );
        let mut quiet = CheckMode::for_convert();
        let mode = self.check.as_mut().unwrap_or(&mut quiet);
        mode.root_at = self.root.offset;
        let found = super::rules::root_rules(&root, mode);
        match found
            .into_iter()
            .find(|d| d.severity == crate::Severity::Error)
        {
            Some(d) => Error::Invalid(Box::new(d)),
            None => fallback,
        }
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
                let root = super::rules::root_of_collection(
                    self.root.offset,
                    self.root_type.as_deref().zip(self.type_at),
                    self.features_at,
                    &self.members,
                );
                let found = super::rules::root_rules(&root, mode);
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
                let fallback = Error::NotFormat {
                    format: Format::GeoJson,
                    message: format!("the root's type `{other}` is not a GeoJSON type"),
                };
                return Err(self.root_error(fallback));
            }
            (None, None) => {
                let kind = if self.saw_features {
                    RootKind::Collection
                } else if has("geometry") || has("properties") {
                    RootKind::Feature
                } else if has("coordinates") || has("geometries") {
                    RootKind::Geometry
                } else {
                    let fallback = Error::NotFormat {
                        format: Format::GeoJson,
                        message:
                            "the root object has no `type`, `features`, `geometry` or `coordinates`"
                                .into(),
                    };
                    return Err(self.root_error(fallback));
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
                        let fallback = Error::NotFormat {
                            format: Format::GeoJson,
                            message: format!("`features` is {}, not an array", json_kind(&v)),
                        };
                        self.members = members;
                        return Err(self.root_error(fallback));
                    }
                }
                for (key, raw, start) in members {
                    let v: Value = parse_unit(&raw, start)?;
                    // The map's own name and description (GDAL writes `name`) are the
                    // model's, so every writer can give them to its format.
                    match (key.as_str(), v) {
                        ("name", Value::String(n)) => self.meta.name = Some(n),
                        ("description", Value::String(d)) => self.meta.description = Some(d),
                        (_, v) => {
                            self.meta.extra.insert(key, v);
                        }
                    }
                }
            }
            RootKind::Feature | RootKind::Geometry => {
                let bytes = self.cur.record.take().unwrap_or_default();
                let feature = if kind == RootKind::Feature {
                    let mark = self.diagnostics.len();
                    let f = read_feature(
                        &bytes,
                        self.root,
                        &self.groups,
                        &mut self.diagnostics,
                        self.check.as_mut(),
                    )?;
                    // The feature reader finds duplicates at every depth, the root's
                    // members too, which `member` has already said: one position, once.
                    for d in self.diagnostics.split_off(mark) {
                        let said = d.code == Code::GeojsonDuplicateMember
                            && self.diagnostics[..mark]
                                .iter()
                                .any(|b| b.code == d.code && b.span == d.span);
                        if !said {
                            self.diagnostics.push(d);
                        }
                    }
                    f
                } else {
                    let mark = self.diagnostics.len();
                    let f = read_bare_geometry(&bytes, self.root, &mut self.diagnostics)?;
                    with_rules(
                        &bytes,
                        self.root.offset,
                        true,
                        f.as_ref(),
                        &mut self.diagnostics,
                        mark,
                        self.check.as_mut(),
                    );
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
            // One item at a time, whichever it is (a root Feature may follow the
            // groups it came after).
            match self.pending.pop_front() {
                Some(Item::Group(g)) => return Ok(Some(Raw::Group(g))),
                Some(Item::Feature(f)) => return Ok(Some(Raw::Feature(Box::new(f)))),
                None => {}
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

    #[cfg(test)]
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
        let mut unit = Vec::new();
        self.cur.read_value(&mut unit)?;
        read_feature(
            &unit,
            start,
            &self.groups,
            &mut self.diagnostics,
            self.check.as_mut(),
        )
    }
}

#[cfg(test)]
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

#[cfg(test)]
pub(crate) mod stream_tests;

/// Helpers the reader's tests share.
#[cfg(test)]
mod test_support {
    use crate::Diagnostic;

    pub(super) fn read_str(s: &str) -> (crate::Document, Vec<Diagnostic>) {
        super::read(s.as_bytes()).expect("readable")
    }

    pub(super) fn codes(d: &[Diagnostic]) -> Vec<&'static str> {
        d.iter().map(|d| d.code.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // Said as `check` says it: the rules' code, sentence and position.
        assert!(matches!(
            read(&b"{\"type\":\"Topology\"}"[..]),
            Err(Error::Invalid(d)) if d.code == Code::GeojsonWrongType && d.span.is_some()
        ));
        assert!(matches!(read(&b"{} x"[..]), Err(Error::Syntax { .. })));
    }
}
