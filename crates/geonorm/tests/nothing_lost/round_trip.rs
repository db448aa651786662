//! The round trip: every map file of testdata read, written as GeoJSON, KML, KMZ and
//! GPX, and read back. Every title, description, time and per-vertex value is in what
//! is read back, or its feature has a diagnostic of the writer (`write/*`, at the
//! feature) that names what was not written. Values are compared as multisets per
//! document (GPX puts waypoints, routes and tracks in its own order), each counted as
//! many times as it occurs.

use std::collections::HashMap;

use geonorm::{ColumnValues, Diagnostic, Document, Feature, Format, Geometry, Span, Time};

/// One value a feature holds, with what it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Title(String),
    Description(String),
    Time(String),
    /// A per-vertex value: its column's home (a GPX sensor's first name, else the
    /// column's own) and the value's text.
    Vertex(String, String),
}

/// The column a value is kept under, whatever extension it came from.
fn home(column: &str) -> String {
    geonorm::gpx::SENSORS
        .iter()
        .find(|(_, names)| names.contains(&column))
        .and_then(|(_, names)| names.first())
        .map_or_else(|| column.to_string(), |n| n.to_string())
}

fn coords_of(g: &Geometry, out: &mut Vec<geonorm::Coords>) {
    match g {
        Geometry::Point(_) => {}
        Geometry::MultiPoint(c) | Geometry::LineString(c) => out.push(c.clone()),
        Geometry::MultiLineString(ls) | Geometry::Polygon(ls) => out.extend(ls.iter().cloned()),
        Geometry::MultiPolygon(ps) => ps.iter().for_each(|p| out.extend(p.iter().cloned())),
        Geometry::GeometryCollection(gs) => gs.iter().for_each(|g| coords_of(g, out)),
    }
}

/// Every value of `f`. Text is compared trimmed, numbers as their text.
pub fn values(f: &Feature) -> Vec<Value> {
    let mut v = Vec::new();
    let text = |s: &str| s.trim().to_string();
    if let Some(t) = f.title.as_deref().filter(|t| !t.trim().is_empty()) {
        v.push(Value::Title(text(t)));
    }
    if let Some(d) = f.description.as_deref().filter(|d| !d.trim().is_empty()) {
        v.push(Value::Description(text(d)));
    }
    match &f.time {
        Some(Time::Instant(t)) => v.push(Value::Time(text(t))),
        Some(Time::Span { begin, end }) => {
            v.extend(begin.iter().chain(end).map(|t| Value::Time(text(t))))
        }
        None => {}
    }
    let mut cs = Vec::new();
    if let Some(g) = &f.geometry {
        coords_of(g, &mut cs);
    }
    for c in &cs {
        for col in c.columns() {
            let name = home(&col.name);
            match &col.values {
                ColumnValues::Numbers(ns) => v.extend(
                    ns.iter()
                        .flatten()
                        .map(|n| Value::Vertex(name.clone(), n.to_string())),
                ),
                ColumnValues::Texts(ts) => v.extend(
                    (0..c.len())
                        .filter_map(|i| ts.get(i))
                        .map(|t| Value::Vertex(name.clone(), text(t))),
                ),
            }
        }
    }
    v
}

/// What a round trip through `target` lost without a word: each value of `doc` not
/// read back from the output (as many times as it is missing) whose feature has no
/// writer's diagnostic. `Err` when the output cannot be written or read back.
pub fn silent_losses(doc: &Document, target: Format) -> Result<(usize, Vec<String>), String> {
    let mut out = Vec::new();
    let diags =
        geonorm::write(doc, target, &mut out, &Default::default()).map_err(|e| e.to_string())?;
    let back = geonorm::read(&out[..], &geonorm::ReadOptions::format(target))
        .map_err(|e| format!("written {target} does not read back: {e}"))?
        .into_parts()
        .0;
    let mut left: HashMap<Value, usize> = HashMap::new();
    for f in &back.features {
        for v in values(f) {
            *left.entry(v).or_default() += 1;
        }
    }
    // Said at the feature, or counted at the first of several ("… (5 times)").
    let said = |span: Span| {
        diags.iter().any(|d: &Diagnostic| {
            d.code.as_str().starts_with("write/")
                && (d.span == Some(span) || d.message.ends_with("times)"))
        })
    };
    // Features the writer said something of take what is left last, so that a value
    // written for one feature is not counted for another that was said not written.
    let mut order: Vec<usize> = (0..doc.features.len()).collect();
    order.sort_by_key(|&i| said(doc.features[i].span));
    let (mut seen, mut lost) = (0, Vec::new());
    for i in order {
        let f = &doc.features[i];
        for v in values(f) {
            seen += 1;
            match left.get_mut(&v) {
                Some(n) if *n > 0 => *n -= 1,
                _ if said(f.span) => {}
                _ => lost.push(format!("feature {i}: {v:?}")),
            }
        }
    }
    Ok((seen, lost))
}
