//! One feature: its members read straight into the model, MapHub's properties lifted
//! into their fields, and, in `check` (or when the reader met a problem), the RFC 7946
//! rules run on it so that each problem gets one code and one position.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

use super::geometry::read_geometry;
use super::groups::GroupIndex;
use crate::geojson::origin::{is_data_error, json_kind, strip_position, syntax_error, Origin};
use crate::geojson::rules::{missing_feature_type, unit_rules, CheckMode};
use crate::{
    Code, Column, ColumnValues, Diagnostic, Feature, Geometry, GroupId, Properties, Result, Span,
    Style, TextColumn, Time,
};

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

/// What the reader says about a feature it could not read (whole or in part), in its
/// own words. The RFC 7946 rules say the same with the position of the value at
/// fault, so when they run on the feature, their findings replace these.
pub(super) const READER_STRUCTURE: [Code; 6] = [
    Code::GeojsonInvalidFeature,
    Code::GeojsonInvalidGeometry,
    Code::GeojsonPositionTooShort,
    Code::GeojsonEmptyPoint,
    Code::GeojsonExtraOrdinates,
    Code::GeojsonMissingType,
];

/// Findings of the rules that explain why something could not be read, or what was
/// dropped: the ones `convert` reports too.
pub(super) const EXPLAINING: [Code; 8] = [
    Code::GeojsonMissingType,
    Code::GeojsonMissingMember,
    Code::GeojsonWrongType,
    Code::GeojsonMemberType,
    Code::GeojsonBadPosition,
    Code::GeojsonPositionTooShort,
    Code::GeojsonEmptyPoint,
    Code::GeojsonExtraOrdinates,
];

/// Reads one feature; with `check`, every RFC 7946 rule runs on it too, and without,
/// the rules run only when the reader met a problem, so that both commands give one
/// code and one position per problem.
pub(super) fn read_feature(
    unit: &[u8],
    origin: Origin,
    groups: &GroupIndex,
    diags: &mut Vec<Diagnostic>,
    check: Option<&mut CheckMode>,
) -> Result<Option<Feature>> {
    let mark = diags.len();
    let result = read_feature_fast(unit, origin, groups, diags)?;
    with_rules(
        unit,
        origin.offset,
        false,
        result.as_ref(),
        diags,
        mark,
        check,
    );
    Ok(result)
}

/// Runs the RFC 7946 rules on a unit the reader has just read (a feature, or with
/// `root` the root value), which starts at `base`; the reader's findings on it are
/// `diags[mark..]` and what it read is `read` (`None`: the item was skipped). With
/// `check`, every rule's finding joins them; without, the rules run only when the
/// reader met a problem, and only their explaining findings are kept. Either way the
/// reader's own words for a problem give way to the rules' (one code, one position),
/// with what became of the data said.
pub(super) fn with_rules(
    unit: &[u8],
    base: usize,
    root: bool,
    read: Option<&Feature>,
    diags: &mut Vec<Diagnostic>,
    mark: usize,
    check: Option<&mut CheckMode>,
) {
    let noticed = diags[mark..]
        .iter()
        .any(|d| READER_STRUCTURE.contains(&d.code));
    if check.is_none() && !noticed {
        return;
    }
    let mut quiet = CheckMode::for_convert();
    let full = check.is_some();
    let mode = check.unwrap_or(&mut quiet);
    // A feature the reader read without a word may have its positions judged on the
    // model (much faster; the same findings).
    let clean = read.filter(|_| !root && diags.len() == mark);
    let Some(mut found) = unit_rules(unit, base, mode, root, clean) else {
        return;
    };
    if let Some(first) = found.iter().position(|d| EXPLAINING.contains(&d.code)) {
        let said = diags.split_off(mark);
        let skipped = read.is_none() && said.iter().any(|d| d.code == Code::GeojsonInvalidFeature);
        let geometry_dropped = read.is_some_and(|f| f.geometry.is_none())
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
            let last = parsed.duplicates.last().map(|(_, at)| base + at);
            for (key, at) in parsed.duplicates {
                diags.push(duplicate_member(&key, base + at));
            }
            if let (Some(at), more @ 1..) = (last, parsed.more_duplicates) {
                diags.push(
                    Diagnostic::new(
                        Code::GeojsonDuplicateMember,
                        format!(
                            "{more} more members appear twice in this feature; only the first {} are listed",
                            crate::json::MAX_DUPLICATES
                        ),
                    )
                    .at(Span::new(at, at + 1)),
                );
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

/// Reads a root geometry as the one feature of the document.
pub(super) fn read_bare_geometry(
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
    if f.title.is_none() {
        if let Some(Value::String(name)) = props.get("name") {
            f.title = Some(name.clone());
            f.title_is_name = true;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::super::test_support::{codes, read_str};
    use crate::{Column, ColumnValues, Geometry, GroupId, Time};

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
}
