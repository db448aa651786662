//! A document as one Arrow record batch: `Document.to_arrow()` and the Arrow PyCapsule
//! interface (`__arrow_c_stream__`), so pyarrow, polars, DuckDB and GeoPandas take the
//! features without one Python object per feature.
//!
//! One row per feature. The columns, in order: `geometry` (GeoArrow WKB, CRS OGC:CRS84),
//! `id`, `title`, `description`, `group` (the path), `group_id`, `time`, `time_begin`,
//! `time_end`, the style keys, then each property (typed from its values), then each
//! per-vertex value as a list column named `vertex_<name>`.
//!
//! Offsets are 64-bit (`large_*` types): a 1 GiB input of short coordinates can make
//! more than 2 GiB of WKB, which 32-bit offsets cannot address.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, LargeBinaryBuilder, LargeListBuilder,
    LargeStringBuilder, UInt64Builder,
};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{ArrayRef, RecordBatch, RecordBatchIterator};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use geonorm::{ColumnValues, Coords, Geometry, Time};
use serde_json::Value;

use crate::wkb;

/// The GeoArrow extension metadata of the geometry column: WKB in longitude/latitude
/// on WGS 84, which is what every format geonorm reads holds.
const GEOARROW_METADATA: &str = r#"{"crs":"OGC:CRS84","crs_type":"authority_code"}"#;

/// The columns every table has, before the properties; a property of one of these
/// names is renamed `properties.<name>`.
const FIXED: [&str; 18] = [
    "geometry",
    "id",
    "title",
    "description",
    "group",
    "group_id",
    "time",
    "time_begin",
    "time_end",
    "marker-color",
    "marker-symbol",
    "marker-size",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "fill",
    "fill-opacity",
    "icon",
];

/// The table, and the properties whose values mixed types (written as strings).
pub struct Table {
    /// Every feature, one row each.
    pub batch: RecordBatch,
    /// Names of the property columns that became strings because their values mixed
    /// types (numbers and text, say); the caller says so once.
    pub mixed: Vec<String>,
}

/// The Arrow type a column's values call for, widened value by value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Only nulls so far.
    Null,
    Bool,
    Int,
    Float,
    Text,
    /// Objects and arrays: their JSON text.
    Json,
    /// Values of different kinds: strings.
    Mixed,
}

impl Kind {
    fn of(v: &Value) -> Kind {
        match v {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Number(n) if n.as_i64().is_some() => Kind::Int,
            Value::Number(_) => Kind::Float,
            Value::String(_) => Kind::Text,
            Value::Array(_) | Value::Object(_) => Kind::Json,
        }
    }

    fn widen(self, other: Kind) -> Kind {
        match (self, other) {
            (a, b) if a == b => a,
            (Kind::Null, b) => b,
            (a, Kind::Null) => a,
            (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Kind::Float,
            _ => Kind::Mixed,
        }
    }
}

/// A column of nullable strings.
fn strings<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    let mut b = LargeStringBuilder::new();
    for v in values {
        b.append_option(v);
    }
    Arc::new(b.finish())
}

/// A style number (kept as JSON numbers in the model) as a float column.
fn numbers<'a>(values: impl Iterator<Item = Option<&'a serde_json::Number>>) -> ArrayRef {
    let mut b = Float64Builder::new();
    for v in values {
        b.append_option(v.and_then(serde_json::Number::as_f64));
    }
    Arc::new(b.finish())
}

/// A property value as text: a string as it is, anything else as its JSON.
fn text_of(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s)),
        other => Some(std::borrow::Cow::Owned(other.to_string())),
    }
}

/// One property column from each feature's value (None where a feature lacks it).
fn property_column(kind: Kind, values: &[Option<&Value>]) -> (DataType, ArrayRef) {
    match kind {
        Kind::Bool => {
            let mut b = BooleanBuilder::new();
            for v in values {
                b.append_option(v.and_then(Value::as_bool));
            }
            (DataType::Boolean, Arc::new(b.finish()))
        }
        Kind::Int => {
            let mut b = Int64Builder::new();
            for v in values {
                b.append_option(v.and_then(Value::as_i64));
            }
            (DataType::Int64, Arc::new(b.finish()))
        }
        Kind::Float => {
            let mut b = Float64Builder::new();
            for v in values {
                b.append_option(v.and_then(Value::as_f64));
            }
            (DataType::Float64, Arc::new(b.finish()))
        }
        Kind::Null | Kind::Text | Kind::Json | Kind::Mixed => {
            let mut b = LargeStringBuilder::new();
            for v in values {
                b.append_option(v.and_then(text_of));
            }
            (DataType::LargeUtf8, Arc::new(b.finish()))
        }
    }
}

/// One per-vertex value, borrowed from the model.
#[derive(Clone, Copy)]
enum Vertex<'a> {
    Missing,
    Number(&'a serde_json::Number),
    Text(&'a str),
}

/// A feature's per-vertex values by name, one per vertex of all its parts (a part
/// without a name's column gives it `Missing` for each vertex), as
/// `Feature.vertex_values` gives them.
fn vertex_values(g: &Geometry) -> Vec<(&str, Vec<Vertex<'_>>)> {
    let mut columns: Vec<(&str, Vec<Vertex<'_>>)> = Vec::new();
    let mut vertices = 0usize;
    g.for_each_coords(&mut |coords: &Coords| {
        for c in coords.columns() {
            let at = match columns.iter().position(|(n, _)| *n == c.name) {
                Some(i) => i,
                None => {
                    columns.push((c.name.as_str(), vec![Vertex::Missing; vertices]));
                    columns.len() - 1
                }
            };
            if let Some((_, list)) = columns.get_mut(at) {
                match &c.values {
                    ColumnValues::Numbers(ns) => list.extend(
                        ns.iter()
                            .map(|n| n.as_ref().map_or(Vertex::Missing, Vertex::Number)),
                    ),
                    ColumnValues::Texts(ts) => {
                        list.extend(ts.iter().map(|t| t.map_or(Vertex::Missing, Vertex::Text)))
                    }
                }
            }
        }
        vertices += coords.len();
        for (_, list) in columns.iter_mut() {
            list.resize(vertices, Vertex::Missing);
        }
    });
    columns
}

/// A per-vertex list column: integers, floats or strings as the values call for.
fn vertex_column(kind: Kind, rows: &[Option<&Vec<Vertex<'_>>>]) -> (DataType, ArrayRef) {
    macro_rules! list {
        ($builder:expr, $ty:expr, $push:expr) => {{
            let item = Field::new("item", $ty, true);
            let mut b = LargeListBuilder::new($builder).with_field(item.clone());
            for row in rows {
                match row {
                    Some(values) => {
                        for v in values.iter() {
                            $push(b.values(), v);
                        }
                        b.append(true);
                    }
                    None => b.append(false),
                }
            }
            (
                DataType::LargeList(Arc::new(item)),
                Arc::new(b.finish()) as ArrayRef,
            )
        }};
    }
    // The item field is given to the builder so the schema's field and the array's agree.
    match kind {
        Kind::Int => list!(
            Int64Builder::new(),
            DataType::Int64,
            |b: &mut Int64Builder, v: &Vertex<'_>| b.append_option(match v {
                Vertex::Number(n) => n.as_i64(),
                _ => None,
            })
        ),
        Kind::Float => list!(
            Float64Builder::new(),
            DataType::Float64,
            |b: &mut Float64Builder, v: &Vertex<'_>| b.append_option(match v {
                Vertex::Number(n) => n.as_f64(),
                _ => None,
            })
        ),
        _ => list!(
            LargeStringBuilder::new(),
            DataType::LargeUtf8,
            |b: &mut LargeStringBuilder, v: &Vertex<'_>| match v {
                Vertex::Missing => b.append_null(),
                Vertex::Text(t) => b.append_value(t),
                Vertex::Number(n) => b.append_value(n.to_string()),
            }
        ),
    }
}

/// The document as one record batch (see the module's documentation for the columns).
pub fn build(doc: &geonorm::Document) -> Result<Table, ArrowError> {
    let features = &doc.features;
    let paths: HashMap<geonorm::GroupId, String> = doc
        .groups
        .iter()
        .map(|g| {
            let path = doc.group_path(g.id).unwrap_or_else(|| g.title.clone());
            (g.id, path)
        })
        .collect();
    let mut fields: Vec<Field> = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();

    // Geometry as WKB, null for a feature without one.
    let mut geometry = LargeBinaryBuilder::new();
    let mut buf = Vec::new();
    for f in features {
        match &f.geometry {
            Some(g) => {
                buf.clear();
                wkb::write(g, &mut buf)?;
                geometry.append_value(&buf);
            }
            None => geometry.append_null(),
        }
    }
    let meta = HashMap::from([
        (
            "ARROW:extension:name".to_string(),
            "geoarrow.wkb".to_string(),
        ),
        (
            "ARROW:extension:metadata".to_string(),
            GEOARROW_METADATA.to_string(),
        ),
    ]);
    fields.push(Field::new("geometry", DataType::LargeBinary, true).with_metadata(meta));
    arrays.push(Arc::new(geometry.finish()));

    let mut push = |name: &str, ty: DataType, array: ArrayRef| {
        fields.push(Field::new(name, ty, true));
        arrays.push(array);
    };
    let ids: Vec<Option<std::borrow::Cow<'_, str>>> = features
        .iter()
        .map(|f| f.id.as_ref().and_then(text_of))
        .collect();
    push(
        "id",
        DataType::LargeUtf8,
        strings(ids.iter().map(|s| s.as_deref())),
    );
    let text = |get: fn(&geonorm::Feature) -> Option<&str>| strings(features.iter().map(get));
    push("title", DataType::LargeUtf8, text(|f| f.title.as_deref()));
    push(
        "description",
        DataType::LargeUtf8,
        text(|f| f.description.as_deref()),
    );
    push(
        "group",
        DataType::LargeUtf8,
        strings(
            features
                .iter()
                .map(|f| f.group.and_then(|id| paths.get(&id)).map(String::as_str)),
        ),
    );
    let mut group_ids = UInt64Builder::new();
    for f in features {
        group_ids.append_option(f.group.map(geonorm::GroupId::get));
    }
    push("group_id", DataType::UInt64, Arc::new(group_ids.finish()));
    push(
        "time",
        DataType::LargeUtf8,
        text(|f| match &f.time {
            Some(Time::Instant(t)) => Some(t.as_str()),
            _ => None,
        }),
    );
    push(
        "time_begin",
        DataType::LargeUtf8,
        text(|f| match &f.time {
            Some(Time::Span { begin, .. }) => begin.as_deref(),
            _ => None,
        }),
    );
    push(
        "time_end",
        DataType::LargeUtf8,
        text(|f| match &f.time {
            Some(Time::Span { end, .. }) => end.as_deref(),
            _ => None,
        }),
    );
    let s = |name, get: fn(&geonorm::Style) -> Option<&str>| {
        (name, strings(features.iter().map(|f| get(&f.style))))
    };
    let n = |name, get: fn(&geonorm::Style) -> Option<&serde_json::Number>| {
        (name, numbers(features.iter().map(|f| get(&f.style))))
    };
    let styles = [
        s("marker-color", |s| s.marker_color.as_deref()),
        s("marker-symbol", |s| s.marker_symbol.as_deref()),
        s("marker-size", |s| s.marker_size.as_deref()),
        s("stroke", |s| s.stroke.as_deref()),
        n("stroke-width", |s| s.stroke_width.as_ref()),
        n("stroke-opacity", |s| s.stroke_opacity.as_ref()),
        s("fill", |s| s.fill.as_deref()),
        n("fill-opacity", |s| s.fill_opacity.as_ref()),
        s("icon", |s| s.icon.as_deref()),
    ];
    for (name, array) in styles {
        let ty = array.data_type().clone();
        push(name, ty, array);
    }

    // Properties: names in order of first appearance, each typed from all its values.
    let mut names: Vec<&str> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut kinds: Vec<Kind> = Vec::new();
    for f in features {
        for (k, v) in &f.properties {
            let i = *index.entry(k.as_str()).or_insert_with(|| {
                names.push(k.as_str());
                kinds.push(Kind::Null);
                names.len() - 1
            });
            if let Some(kind) = kinds.get_mut(i) {
                *kind = kind.widen(Kind::of(v));
            }
        }
    }
    let mut mixed = Vec::new();
    let mut values: Vec<Option<&Value>> = Vec::with_capacity(features.len());
    for (name, kind) in names.iter().zip(&kinds) {
        values.clear();
        values.extend(features.iter().map(|f| f.properties.get(*name)));
        let (ty, array) = property_column(*kind, &values);
        let column = if FIXED.contains(name) {
            format!("properties.{name}")
        } else {
            (*name).to_string()
        };
        if *kind == Kind::Mixed {
            mixed.push(column.clone());
        }
        push(&column, ty, array);
    }

    // Per-vertex values: one list column per name met in any feature.
    let per_feature: Vec<Vec<(&str, Vec<Vertex<'_>>)>> = features
        .iter()
        .map(|f| f.geometry.as_ref().map(vertex_values).unwrap_or_default())
        .collect();
    let mut vnames: Vec<&str> = Vec::new();
    let mut vkinds: Vec<Kind> = Vec::new();
    for cols in &per_feature {
        for (name, vals) in cols {
            let i = match vnames.iter().position(|n| n == name) {
                Some(i) => i,
                None => {
                    vnames.push(name);
                    vkinds.push(Kind::Null);
                    vnames.len() - 1
                }
            };
            if let Some(kind) = vkinds.get_mut(i) {
                for v in vals {
                    *kind = kind.widen(match v {
                        Vertex::Missing => Kind::Null,
                        Vertex::Number(n) if n.as_i64().is_some() => Kind::Int,
                        Vertex::Number(_) => Kind::Float,
                        Vertex::Text(_) => Kind::Text,
                    });
                }
            }
        }
    }
    for (name, kind) in vnames.iter().zip(&vkinds) {
        let rows: Vec<Option<&Vec<Vertex<'_>>>> = per_feature
            .iter()
            .map(|cols| cols.iter().find(|(n, _)| n == name).map(|(_, v)| v))
            .collect();
        let (ty, array) = vertex_column(*kind, &rows);
        push(&format!("vertex_{name}"), ty, array);
    }

    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema, arrays)?;
    Ok(Table { batch, mixed })
}

/// The batch as an Arrow C stream, for a PyCapsule named `arrow_array_stream`. The
/// consumer moves the stream out of the capsule; if none does, dropping the capsule's
/// value releases it.
pub fn stream(batch: RecordBatch) -> FFI_ArrowArrayStream {
    let schema = batch.schema();
    let reader = RecordBatchIterator::new(vec![Ok(batch)], schema);
    FFI_ArrowArrayStream::new(Box::new(reader))
}
