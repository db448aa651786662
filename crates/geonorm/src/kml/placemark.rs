//! One Placemark's tree to a [`Feature`]: name, description, ExtendedData, time,
//! geometry (tracks included), and the style references resolved later.

use serde_json::Value;

use super::coords;
use super::read::Ctx;
use super::style::StyleDef;
use crate::num::json_number;
use crate::xml::dom::Node;
use crate::{
    Code, Column, ColumnValues, Coords, Diagnostic, Feature, Geometry, GroupId, Span, TextColumn,
    Time,
};

/// Style references of a placemark, resolved once the whole document is read.
#[derive(Debug, Default)]
pub(crate) struct PendingStyle {
    pub url: Option<(String, Span)>,
    pub inline: Option<StyleDef>,
}

fn span(n: &Node) -> Span {
    Span::new(n.start, n.end.max(n.start))
}

pub(crate) const GEOMETRIES: [&str; 7] = [
    "Point",
    "LineString",
    "LinearRing",
    "Polygon",
    "MultiGeometry",
    "Track",
    "MultiTrack",
];

pub(crate) fn read(node: &Node, group: Option<GroupId>, ctx: &mut Ctx) -> (Feature, PendingStyle) {
    let mut f = Feature {
        span: span(node),
        group,
        id: node.attr("id").map(|id| Value::String(id.to_string())),
        ..Feature::default()
    };
    let mut pending = PendingStyle::default();
    let mut geometries = Vec::new();
    if node.children.is_empty() && node.attr("id").is_none() {
        ctx.diag(
            Diagnostic::new(
                Code::KmlEmptyPlacemark,
                "a Placemark is empty and has no id",
            )
            .at(span(node)),
        );
    }
    for child in &node.children {
        match child.name.as_str() {
            "name" => f.title = Some(child.text.trim().to_string()),
            "description" => f.description = Some(child.text.clone()),
            "visibility" => {
                let v = child.text.trim();
                f.properties
                    .insert("visibility".into(), Value::Bool(v != "0" && v != "false"));
            }
            "address" | "phoneNumber" | "Snippet" => {
                f.properties.insert(
                    child.name.clone(),
                    Value::String(child.text.trim().to_string()),
                );
            }
            "styleUrl" => pending.url = Some((child.text.trim().to_string(), span(child))),
            "Style" => pending.inline = Some(ctx.style_def(child)),
            "StyleMap" => {
                ctx.check_style_map(child);
                pending.inline = ctx.inline_style_map(child)
            }
            "TimeStamp" => {
                if let Some(when) = child.child_text("when") {
                    f.time = Some(Time::Instant(when.to_string()));
                }
            }
            "TimeSpan" => {
                let begin = child.child_text("begin").map(str::to_string);
                let end = child.child_text("end").map(str::to_string);
                if begin.is_some() || end.is_some() {
                    f.time = Some(Time::Span { begin, end });
                }
            }
            "ExtendedData" => extended_data(child, &mut f, ctx),
            g if GEOMETRIES.contains(&g) => geometries.push(child),
            "Model" | "Region" => {
                ctx.inspect(child);
                ctx.not_representable(child, " in a Placemark")
            }
            "LookAt" | "Camera" => {
                ctx.inspect(child);
                ctx.ignored(&child.name, child.start)
            }
            other => ctx.ignored(other, child.start),
        }
    }
    ctx.track_time = None;
    f.geometry = match geometries.as_slice() {
        [] => None,
        [one] => geometry(one, ctx),
        many => {
            ctx.diag(
                Diagnostic::new(
                    Code::KmlMultipleGeometries,
                    format!("a Placemark holds {} geometries; combined", many.len()),
                )
                .at(span(node)),
            );
            let leaves: Vec<Geometry> = many.iter().filter_map(|g| geometry(g, ctx)).collect();
            combine(leaves)
        }
    };
    if f.time.is_none() {
        f.time = ctx.track_time.take().map(Time::Instant);
    }
    (f, pending)
}

fn extended_data(node: &Node, f: &mut Feature, ctx: &mut Ctx) {
    let insert = |f: &mut Feature, ctx: &mut Ctx, name: &str, value: Value, at: &Node| {
        // MapHub keys that KML has no element for travel as Data (see the writer).
        if let (Some(v), true) = (
            value.as_str(),
            matches!(name, "marker-symbol" | "marker-size"),
        ) {
            let slot = if name == "marker-symbol" {
                &mut f.style.marker_symbol
            } else {
                &mut f.style.marker_size
            };
            *slot = Some(v.to_string());
            return;
        }
        if f.properties.contains_key(name) {
            ctx.diag(
                Diagnostic::new(
                    Code::KmlDuplicateData,
                    format!("ExtendedData `{name}` appears twice; the first value is kept"),
                )
                .at(span(at)),
            );
            return;
        }
        f.properties.insert(name.to_string(), value);
    };
    for child in &node.children {
        match child.name.as_str() {
            "Data" => {
                let Some(name) = child.attr("name") else {
                    ctx.ignored("Data without name", child.start);
                    continue;
                };
                let value = match child.child("value") {
                    Some(v) => v.text.trim().to_string(),
                    None => child.text.trim().to_string(),
                };
                if child.child("displayName").is_some() {
                    ctx.ignored("displayName", child.start);
                }
                insert(f, ctx, name, Value::String(value), child);
            }
            "SchemaData" => {
                let url = child.attr("schemaUrl").unwrap_or("");
                let fields = ctx.schema(url);
                let external = !url.trim().starts_with('#') && url.contains(['#', '/', '.']);
                if fields.is_none() && external {
                    ctx.diag(
                        Diagnostic::new(
                            Code::KmlExternalSchema,
                            format!("SchemaData refers to schema `{url}` in another file; values kept as text"),
                        )
                        .at(span(child)),
                    );
                } else if fields.is_none() {
                    ctx.diag(
                        Diagnostic::new(
                            Code::KmlMissingSchema,
                            format!("SchemaData refers to schema `{url}`, which the document does not define; values kept as text"),
                        )
                        .at(span(child)),
                    );
                }
                for sd in child.children_named("SimpleData") {
                    let Some(name) = sd.attr("name") else {
                        continue;
                    };
                    let text = sd.text.trim();
                    let ty = fields
                        .as_ref()
                        .and_then(|fs| fs.iter().find(|(n, _)| n == name))
                        .map(|(_, t)| t.as_str())
                        .unwrap_or("string");
                    let value = match typed(text, ty) {
                        Some(v) => v,
                        None => {
                            ctx.diag(
                                Diagnostic::new(
                                    Code::KmlBadTypedValue,
                                    format!(
                                        "SimpleData `{name}` is `{text}`, not a {ty}; kept as text"
                                    ),
                                )
                                .at(span(sd)),
                            );
                            Value::String(text.to_string())
                        }
                    };
                    insert(f, ctx, name, value, sd);
                }
            }
            other => ctx.ignored(other, child.start),
        }
    }
}

/// A SimpleData value as its Schema type says; `None` when it is not of that type.
pub(crate) fn typed(text: &str, ty: &str) -> Option<Value> {
    match ty.rsplit(':').next().unwrap_or(ty) {
        "int" | "short" => text.parse::<i64>().ok().map(Value::from),
        "uint" | "ushort" => text.parse::<u64>().ok().map(Value::from),
        "float" | "double" => text
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .and_then(json_number)
            .map(Value::Number),
        "bool" | "boolean" => match text {
            "1" | "true" => Some(Value::Bool(true)),
            "0" | "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => Some(Value::String(text.to_string())),
    }
}

/// Parses the `<coordinates>` of `node`, reporting what it cannot read.
fn coordinates(node: &Node, ctx: &mut Ctx) -> Coords {
    let Some(c) = node.child("coordinates") else {
        return Coords::new();
    };
    let (coords, problems) = coords::parse(&c.text);
    for p in problems {
        let code = if p.dropped {
            Code::KmlBadCoordinates
        } else {
            Code::KmlExtraOrdinates
        };
        let start = c.text_start + p.offset;
        ctx.diag(Diagnostic::new(code, p.message).at(Span::new(start, start + p.len)));
    }
    coords
}

fn empty(node: &Node, ctx: &mut Ctx) -> Option<Geometry> {
    ctx.diag(
        Diagnostic::new(
            Code::KmlEmptyGeometry,
            format!(
                "{} has no coordinates; the placemark is kept without geometry",
                node.name
            ),
        )
        .at(span(node)),
    );
    None
}

fn ring(node: &Node, ctx: &mut Ctx) -> Option<Coords> {
    let lr = node.child("LinearRing")?;
    let c = coordinates(lr, ctx);
    (!c.is_empty()).then(|| closed(c, lr, ctx))
}

/// A polygon ring whose last position is not its first gets the first repeated, as
/// KML and GeoJSON both require.
fn closed(mut c: Coords, node: &Node, ctx: &mut Ctx) -> Coords {
    let (Some(first), Some(last)) = (c.get(0), c.get(c.len() - 1)) else {
        return c;
    };
    if c.len() > 1 && (first.x != last.x || first.y != last.y) {
        c.push(first);
        ctx.diag(
            Diagnostic::new(
                Code::KmlRingNotClosed,
                "a polygon ring does not end where it starts; closed by repeating its first position",
            )
            .at(span(node)),
        );
    }
    c
}

pub(crate) fn geometry(node: &Node, ctx: &mut Ctx) -> Option<Geometry> {
    match node.name.as_str() {
        "Point" => {
            let c = coordinates(node, ctx);
            if c.len() > 1 {
                ctx.diag(
                    Diagnostic::new(
                        Code::KmlPointExtraCoordinates,
                        format!(
                            "a Point has {} coordinate tuples; the first is kept",
                            c.len()
                        ),
                    )
                    .at(span(node)),
                );
            }
            match c.get(0) {
                Some(p) => Some(Geometry::Point(p)),
                None => empty(node, ctx),
            }
        }
        "LineString" => {
            let c = coordinates(node, ctx);
            if c.is_empty() {
                return empty(node, ctx);
            }
            Some(Geometry::LineString(c))
        }
        // A bare ring is drawn as a closed line, not an area (Google Earth, togeojson).
        "LinearRing" => {
            let c = coordinates(node, ctx);
            if c.is_empty() {
                return empty(node, ctx);
            }
            Some(Geometry::LineString(c))
        }
        "Polygon" => {
            let Some(outer) = node.child("outerBoundaryIs").and_then(|b| ring(b, ctx)) else {
                return empty(node, ctx);
            };
            let mut rings = vec![outer];
            for inner in node.children_named("innerBoundaryIs") {
                for lr in inner.children_named("LinearRing") {
                    let c = coordinates(lr, ctx);
                    if !c.is_empty() {
                        rings.push(closed(c, lr, ctx));
                    }
                }
            }
            Some(Geometry::Polygon(rings))
        }
        "MultiGeometry" => {
            let mut leaves = Vec::new();
            for child in &node.children {
                if GEOMETRIES.contains(&child.name.as_str()) {
                    if let Some(g) = geometry(child, ctx) {
                        flatten(g, &mut leaves);
                    }
                } else if child.name == "Model" {
                    ctx.not_representable(child, " in a MultiGeometry");
                }
            }
            combine(leaves)
        }
        "Track" => track(node, ctx),
        "MultiTrack" => {
            let mut parts = Vec::new();
            for t in node.children_named("Track") {
                match track(t, ctx) {
                    Some(Geometry::LineString(c)) => parts.push(c),
                    Some(Geometry::Point(p)) => parts.push([p].into_iter().collect()),
                    _ => {}
                }
            }
            if parts.is_empty() {
                return empty(node, ctx);
            }
            Some(Geometry::MultiLineString(parts))
        }
        _ => None,
    }
}

/// Nested multi-geometries become a flat list of single ones.
fn flatten(g: Geometry, out: &mut Vec<Geometry>) {
    match g {
        Geometry::MultiPoint(c) => out.extend(c.iter().map(Geometry::Point)),
        Geometry::MultiLineString(ls) => out.extend(ls.into_iter().map(Geometry::LineString)),
        Geometry::MultiPolygon(ps) => out.extend(ps.into_iter().map(Geometry::Polygon)),
        Geometry::GeometryCollection(gs) => gs.into_iter().for_each(|g| flatten(g, out)),
        single => out.push(single),
    }
}

/// Single geometries of one kind become that Multi* kind (even just one: the file said
/// MultiGeometry); mixed ones a collection.
fn combine(leaves: Vec<Geometry>) -> Option<Geometry> {
    let mut flat = Vec::with_capacity(leaves.len());
    for g in leaves {
        flatten(g, &mut flat);
    }
    let kind = flat.first()?.kind();
    if flat.iter().any(|g| g.kind() != kind) {
        return Some(Geometry::GeometryCollection(flat));
    }
    let mut points = Coords::new();
    let mut lines = Vec::new();
    let mut polys = Vec::new();
    for g in flat {
        match g {
            Geometry::Point(p) => points.push(p),
            Geometry::LineString(c) => lines.push(c),
            Geometry::Polygon(r) => polys.push(r),
            _ => {}
        }
    }
    Some(match kind {
        crate::GeometryKind::Point => Geometry::MultiPoint(points),
        crate::GeometryKind::LineString => Geometry::MultiLineString(lines),
        _ => Geometry::MultiPolygon(polys),
    })
}

/// `gx:Track` (or KML 2.3 `Track`): `when` and `coord` pairs, with per-point arrays
/// from `gx:SimpleArrayData`.
fn track(node: &Node, ctx: &mut Ctx) -> Option<Geometry> {
    let whens: Vec<&str> = node.children_named("when").map(|w| w.text.trim()).collect();
    let coord_nodes: Vec<&Node> = node.children_named("coord").collect();
    let mut keep = vec![true; coord_nodes.len()];
    let mut positions = Vec::with_capacity(coord_nodes.len());
    for (i, c) in coord_nodes.iter().enumerate() {
        match coords::parse_gx_coord(&c.text) {
            Some(p) => positions.push(p),
            None => {
                keep[i] = false;
                ctx.diag(
                    Diagnostic::new(
                        Code::KmlBadCoordinates,
                        format!(
                            "track coordinate `{}` dropped: not `lon lat [alt]`",
                            c.text.trim()
                        ),
                    )
                    .at(span(c)),
                );
            }
        }
    }
    if positions.is_empty() {
        return empty(node, ctx);
    }
    let times_fit = whens.len() == coord_nodes.len();
    if !whens.is_empty() && !times_fit {
        ctx.diag(
            Diagnostic::new(
                Code::KmlTrackMismatch,
                format!(
                    "a track has {} `when` and {} `coord`; the times are dropped",
                    whens.len(),
                    coord_nodes.len()
                ),
            )
            .at(span(node)),
        );
    }
    let kept = |values: &[&str]| -> Vec<String> {
        values
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(v, _)| v.to_string())
            .collect()
    };
    if positions.len() == 1 {
        if times_fit {
            ctx.track_time = kept(&whens).into_iter().next();
        }
        return positions.first().map(|p| Geometry::Point(*p));
    }
    let mut line: Coords = positions.iter().copied().collect::<Coords>();
    if times_fit && !whens.is_empty() {
        let times: TextColumn = kept(&whens).iter().map(|s| Some(s.as_str())).collect();
        let _ = line.set_column(Column {
            name: "times".into(),
            values: ColumnValues::Texts(times),
        });
    }
    let arrays = node
        .child("ExtendedData")
        .into_iter()
        .flat_map(|e| e.children_named("SchemaData"))
        .flat_map(|sd| sd.children_named("SimpleArrayData"));
    for arr in arrays {
        let name = arr.attr("name").unwrap_or("values").to_string();
        let values: Vec<&str> = arr.children_named("value").map(|v| v.text.trim()).collect();
        if values.len() != coord_nodes.len() {
            ctx.diag(
                Diagnostic::new(
                    Code::KmlTrackMismatch,
                    format!(
                        "per-point array `{name}` has {} values for {} track points; dropped",
                        values.len(),
                        coord_nodes.len()
                    ),
                )
                .at(span(arr)),
            );
            continue;
        }
        let values = kept(&values);
        let numbers: Option<Vec<Option<serde_json::Number>>> = values
            .iter()
            .map(|v| {
                if v.is_empty() {
                    Some(None)
                } else {
                    v.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .map(json_number)
                }
            })
            .collect();
        let column = match numbers {
            Some(ns) => ColumnValues::Numbers(ns),
            None => ColumnValues::Texts(values.iter().map(|v| Some(v.as_str())).collect()),
        };
        let _ = line.set_column(Column {
            name,
            values: column,
        });
    }
    Some(Geometry::LineString(line))
}
