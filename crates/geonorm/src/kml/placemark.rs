//! One Placemark's tree to a [`Feature`]: name, description, ExtendedData, time,
//! geometry (tracks included), and the style references resolved later.

use serde_json::Value;

use super::coords::{self, column_values, is_text_type, text_column};
use super::ctx::Ctx;
use super::style::PendingStyle;
use crate::diag::times;
use crate::num::json_number;
use crate::xml::dom::Node;
use crate::{
    Code, Column, ColumnValues, Coords, Diagnostic, Feature, Geometry, GroupId, Position, Span,
    TextColumn, Time,
};

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

/// True for a PhotoOverlay placed at a Point: a photo taken somewhere, which a map can
/// show as a point with the photo (Google Earth Pro's "Add Photo" makes them). Without
/// a Point it is only a view in Google Earth, with no place in a map.
pub(crate) fn is_placed_photo(node: &Node) -> bool {
    node.name == "PhotoOverlay" && node.child("Point").is_some()
}

/// Reads a Placemark, or a PhotoOverlay placed at a Point (see [`is_placed_photo`]):
/// its photo is shown in the description as an `<img>`, which is where MapHub and
/// other viewers show a point's photos (and where a KMZ's photos are sent from).
pub(crate) fn read(node: &Node, group: Option<GroupId>, ctx: &mut Ctx) -> (Feature, PendingStyle) {
    let mut f = Feature {
        span: span(node),
        group,
        id: node.attr("id").map(|id| Value::String(id.to_string())),
        ..Feature::default()
    };
    let mut pending = PendingStyle::default();
    let mut geometries = Vec::new();
    let mut loose_arrays = Vec::new();
    let mut photo = None;
    if node.children.is_empty() && node.attr("id").is_none() {
        ctx.diag(
            Diagnostic::new(
                Code::KmlEmptyPlacemark,
                "a Placemark is empty and has no id",
            )
            .at(span(node)),
        );
    }
    // Foreign elements anywhere in the placemark (atom:, xal:, rdf: in ExtendedData).
    for (name, at) in &node.foreign {
        ctx.ignored(name, *at);
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
                if let Some(when) = child.child("when") {
                    match when.text.trim() {
                        "" => empty_time(ctx, when, 1),
                        t => f.time = Some(Time::Instant(t.to_string())),
                    }
                }
            }
            "TimeSpan" => {
                let mut bound = |name: &str| {
                    let n = child.child(name)?;
                    let t = n.text.trim();
                    if t.is_empty() {
                        empty_time(ctx, n, 1);
                        return None;
                    }
                    Some(t.to_string())
                };
                let begin = bound("begin");
                let end = bound("end");
                if begin.is_some() || end.is_some() {
                    f.time = Some(Time::Span { begin, end });
                }
            }
            "ExtendedData" => extended_data(child, &mut f, ctx, &mut loose_arrays),
            g if GEOMETRIES.contains(&g) => geometries.push(child),
            "Model" | "Region" => {
                ctx.inspect(child);
                ctx.not_representable(child, " in a Placemark")
            }
            "LookAt" | "Camera" => {
                ctx.inspect(child);
                ctx.ignored(&child.name, child.start)
            }
            "Icon" if node.name == "PhotoOverlay" => {
                photo = child
                    .child("href")
                    .map(|h| h.text.trim().to_string())
                    .filter(|h| !h.is_empty());
            }
            other => ctx.ignored(other, child.start),
        }
    }
    if node.name == "PhotoOverlay" {
        photo_in_description(&mut f, photo, node, ctx);
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
    // A Point's place, not one of a Point inside a MultiGeometry.
    let point_span = ctx.point_span.take();
    if matches!(f.geometry, Some(Geometry::Point(_))) {
        f.point_span = point_span;
    }
    if f.time.is_none() {
        f.time = ctx.track_time.take().map(Time::Instant);
    }
    for (name, values, at) in loose_arrays {
        attach_array(&mut f, name, values, at, ctx);
    }
    (f, pending)
}

/// A PhotoOverlay's photo, appended to its description as `<img src>`, and said.
fn photo_in_description(f: &mut Feature, photo: Option<String>, node: &Node, ctx: &mut Ctx) {
    match photo {
        // `$[level]`, `$[x]`, `$[y]`: tiles of an image pyramid, no one file to show.
        Some(href) if href.contains("$[") => ctx.diag(
            Diagnostic::new(
                Code::KmlNotRepresentable,
                format!("a PhotoOverlay's photo is a tiled image pyramid ({href}), which has no place in a MapHub map; its point is kept"),
            )
            .at(span(node)),
        ),
        Some(href) => {
            let src = quick_xml::escape::escape(&href);
            f.description
                .get_or_insert_with(String::new)
                .push_str(&format!("<img src=\"{src}\">"));
            ctx.diag(
                Diagnostic::new(
                    Code::KmlPhotoOverlay,
                    format!("a PhotoOverlay is read as a point at its position, its photo {href} shown in its description (<img>); how Google Earth frames the photo (ViewVolume, shape) is not kept"),
                )
                .at(span(node)),
            );
        }
        None => ctx.diag(
            Diagnostic::new(
                Code::KmlPhotoOverlay,
                "a PhotoOverlay without a photo (no Icon href) is read as a point at its position",
            )
            .at(span(node)),
        ),
    }
}

/// Per-point values written in the Placemark's ExtendedData rather than in its track
/// (some exporters do): they go to the line's points when there is one value per
/// point, else they stay together as an array property.
fn attach_array(f: &mut Feature, name: String, values: Vec<String>, at: Span, ctx: &mut Ctx) {
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    if let Some(Geometry::LineString(line)) = &mut f.geometry {
        if line.len() == values.len() && line.column(&name).is_none() {
            let _ = line.set_column(Column {
                name: name.clone(),
                values: column_values(&refs),
            });
            ctx.diag(
                Diagnostic::new(
                    Code::KmlLooseArray,
                    format!("per-point array `{name}` stands outside the track; attached to its {} points", values.len()),
                )
                .at(at),
            );
            return;
        }
    }
    let array: Vec<Value> = match column_values(&refs) {
        ColumnValues::Numbers(ns) => ns
            .into_iter()
            .map(|n| n.map_or(Value::Null, Value::Number))
            .collect(),
        ColumnValues::Texts(_) => values.into_iter().map(Value::String).collect(),
    };
    ctx.diag(
        Diagnostic::new(
            Code::KmlLooseArray,
            format!("per-point array `{name}` stands outside any track with as many points; kept as an array property"),
        )
        .at(at),
    );
    insert(f, ctx, &name, Value::Array(array), at);
}

/// An ExtendedData value into the feature: MapHub's marker keys into the style, the rest
/// into the properties, of two with one name the first.
fn insert(f: &mut Feature, ctx: &mut Ctx, name: &str, value: Value, at: Span) {
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
            .at(at),
        );
        return;
    }
    f.properties.insert(name.to_string(), value);
}

/// A `gx:SimpleArrayData` outside a track: its name, values and where it is.
type LooseArray = (String, Vec<String>, Span);

fn extended_data(node: &Node, f: &mut Feature, ctx: &mut Ctx, arrays: &mut Vec<LooseArray>) {
    for child in &node.children {
        match child.name.as_str() {
            "Data" => {
                let Some(name) = child.attr("name") else {
                    ctx.ignored("Data without name", child.start);
                    continue;
                };
                // A Data without a value is how geonorm writes a null (and means no
                // value anywhere); a value, even empty, is text.
                let value = match child.child("value") {
                    Some(v) => Value::String(v.text.trim().to_string()),
                    None if child.text.trim().is_empty() => Value::Null,
                    None => Value::String(child.text.trim().to_string()),
                };
                if let Some(d) = child.child("displayName") {
                    ctx.ignored("displayName", d.start);
                }
                insert(f, ctx, name, value, span(child));
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
                for arr in child.children_named("SimpleArrayData") {
                    let name = arr.attr("name").unwrap_or("values").to_string();
                    let values = arr
                        .children_named("value")
                        .map(|v| v.text.trim().to_string())
                        .collect();
                    arrays.push((name, values, span(arr)));
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
                    insert(f, ctx, name, value, span(sd));
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
    // Each tuple's place is its offset in the text from where the text starts: exact
    // for coordinates written as one text, as every real file writes them.
    let base = ctx.position_spans.then_some(c.text_start);
    let (coords, problems) = coords::parse(&c.text, base);
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
/// KML and GeoJSON both require: the same in all three ordinates (RFC 7946 §3.1.6),
/// so a wall whose last corner differs from the first only in altitude is closed too.
fn closed(mut c: Coords, node: &Node, ctx: &mut Ctx) -> Coords {
    let (Some(first), Some(last)) = (c.get(0), c.get(c.len() - 1)) else {
        return c;
    };
    if c.len() < 2 {
        return c;
    }
    let open_2d = first.x != last.x || first.y != last.y;
    let open_z = !open_2d && first.z != last.z;
    if open_2d || open_z {
        // The closing position is the first one again, written where the first was.
        match c.span_at(0) {
            Some(at) => c.push_at(first, at),
            None => c.push(first),
        }
        let how = if open_2d {
            "a polygon ring does not end where it starts; closed by repeating its first position"
        } else {
            "a polygon ring ends above or below where it starts (same longitude and latitude, another altitude); closed by repeating its first position"
        };
        ctx.diag(Diagnostic::new(Code::KmlRingNotClosed, how).at(span(node)));
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
            ctx.point_span = c.span_at(0);
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
        "Track" => tracks(&[node], ctx),
        "MultiTrack" => {
            for other in &node.children {
                if !matches!(other.name.as_str(), "Track" | "altitudeMode") {
                    ctx.ignored(&other.name, other.start);
                }
            }
            let parts: Vec<&Node> = node.children_named("Track").collect();
            if parts.is_empty() {
                return empty(node, ctx);
            }
            tracks(&parts, ctx)
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

/// `gx:Track` (or KML 2.3 `Track`) or `gx:MultiTrack`: lines where a track has two
/// points or more between pauses, a point where all of it is one point.
fn tracks(tracks: &[&Node], ctx: &mut Ctx) -> Option<Geometry> {
    let mut lines = Vec::new();
    let mut singles = Vec::new();
    for t in tracks {
        for (part, first) in track_parts(t, ctx) {
            if part.len() >= 2 {
                lines.push(part);
            } else {
                singles.push((part, first));
            }
        }
    }
    if lines.is_empty() {
        let mut singles = singles.into_iter();
        let (one, _) = singles.next()?;
        let p = one.get(0)?;
        let rest: Vec<Position> = singles.filter_map(|(c, _)| c.get(0)).collect();
        if rest.is_empty() {
            ctx.point_span = one.span_at(0);
            ctx.track_time = one.column("times").and_then(|c| match &c.values {
                ColumnValues::Texts(t) => t.get(0).map(str::to_string),
                ColumnValues::Numbers(_) => None,
            });
            return Some(Geometry::Point(p));
        }
        // Only lone points between pauses: the points are what there is.
        return Some(Geometry::MultiPoint(
            std::iter::once(p).chain(rest).collect(),
        ));
    }
    for (part, first) in singles {
        let at = part
            .get(0)
            .map_or(String::new(), |p| format!(" ({}, {})", p.x, p.y));
        ctx.diag(
            Diagnostic::new(
                Code::KmlTrackGap,
                format!("a piece of track between pauses has a single point{at}, which is no line; left out of the track"),
            )
            .at(first),
        );
    }
    Some(match lines.len() {
        1 => Geometry::LineString(lines.remove(0)),
        _ => Geometry::MultiLineString(lines),
    })
}

/// The pieces of one track, cut at pauses (an empty `gx:coord`, as OpenTracks writes
/// them), each with its per-point times and arrays, and the span of its first point.
fn track_parts(node: &Node, ctx: &mut Ctx) -> Vec<(Coords, Span)> {
    let whens: Vec<&Node> = node.children_named("when").collect();
    let coord_nodes: Vec<&Node> = node.children_named("coord").collect();
    for other in &node.children {
        // Orientation (`gx:angles`), `gx:interpolate` and models only matter in a viewer.
        if !matches!(
            other.name.as_str(),
            "when" | "coord" | "ExtendedData" | "altitudeMode"
        ) {
            ctx.ignored(&other.name, other.start);
        }
    }
    // For each piece, the indices of its points among the `coord`s.
    let mut pieces: Vec<Vec<(usize, Position)>> = vec![Vec::new()];
    let mut pauses = 0;
    let mut first_pause = None;
    for (i, c) in coord_nodes.iter().enumerate() {
        if c.text.trim().is_empty() {
            pauses += 1;
            first_pause.get_or_insert(span(c));
            if pieces.last().is_some_and(|p| !p.is_empty()) {
                pieces.push(Vec::new());
            }
            continue;
        }
        match coords::parse_gx_coord(&c.text) {
            Some(p) => {
                if let Some(piece) = pieces.last_mut() {
                    piece.push((i, p));
                }
            }
            None => ctx.diag(
                Diagnostic::new(
                    Code::KmlBadCoordinates,
                    format!(
                        "track coordinate `{}` dropped: not `lon lat [alt]`",
                        c.text.trim()
                    ),
                )
                .at(span(c)),
            ),
        }
    }
    pieces.retain(|p| !p.is_empty());
    if let Some(at) = first_pause {
        ctx.diag(
            Diagnostic::new(
                Code::KmlTrackGap,
                format!("an empty `gx:coord` marks a pause; the track is broken there and the time given for the pause is not kept{}", times(pauses)),
            )
            .at(at),
        );
    }
    if pieces.is_empty() {
        empty(node, ctx);
        return Vec::new();
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
    if times_fit {
        // An empty `when` at a point (not at a pause) leaves that point without a time.
        let blank: Vec<&Node> = pieces
            .iter()
            .flatten()
            .filter_map(|(i, _)| whens.get(*i).copied())
            .filter(|w| w.text.trim().is_empty())
            .collect();
        if let Some(first) = blank.first() {
            empty_time(ctx, first, blank.len());
        }
    }
    let mut arrays: Vec<(String, Vec<&str>, bool)> = Vec::new();
    let simple_arrays = node
        .child("ExtendedData")
        .into_iter()
        .flat_map(|e| e.children_named("SchemaData"))
        .flat_map(|sd| {
            let fields = ctx
                .schema(sd.attr("schemaUrl").unwrap_or(""))
                .unwrap_or_default();
            sd.children_named("SimpleArrayData")
                .map(move |arr| (arr, fields.clone()))
        })
        .collect::<Vec<_>>();
    for (arr, fields) in simple_arrays {
        let name = arr.attr("name").unwrap_or("values").to_string();
        // Declared a string, an array stays text ("001" is not 1).
        let text = fields.iter().any(|(n, ty)| *n == name && is_text_type(ty));
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
        arrays.push((name, values, text));
    }
    pieces
        .into_iter()
        .map(|piece| {
            let first = piece
                .first()
                .and_then(|(i, _)| coord_nodes.get(*i))
                .map_or(span(node), |c| span(c));
            let mut line = Coords::with_capacity(piece.len());
            for (i, p) in &piece {
                match coord_nodes.get(*i).filter(|_| ctx.position_spans) {
                    Some(c) => line.push_at(*p, span(c)),
                    None => line.push(*p),
                }
            }
            if times_fit && !whens.is_empty() {
                let times: TextColumn = piece
                    .iter()
                    .map(|(i, _)| {
                        whens
                            .get(*i)
                            .map(|w| w.text.trim())
                            .filter(|t| !t.is_empty())
                    })
                    .collect();
                let _ = line.set_column(Column {
                    name: "times".into(),
                    values: ColumnValues::Texts(times),
                });
            }
            for (name, values, text) in &arrays {
                let picked: Vec<&str> = piece
                    .iter()
                    .map(|(i, _)| values.get(*i).copied().unwrap_or(""))
                    .collect();
                let _ = line.set_column(Column {
                    name: name.clone(),
                    values: if *text {
                        text_column(&picked)
                    } else {
                        column_values(&picked)
                    },
                });
            }
            (line, first)
        })
        .collect()
}

/// Reports `count` empty time elements, the first being `first`.
fn empty_time(ctx: &mut Ctx, first: &Node, count: usize) {
    ctx.diag(
        Diagnostic::new(
            Code::KmlEmptyTime,
            format!(
                "an empty `<{}>` gives no time; ignored{}",
                first.name,
                times(count)
            ),
        )
        .at(span(first)),
    );
}
