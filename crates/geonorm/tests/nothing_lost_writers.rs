//! Nothing lost, the writers' way: every map file of testdata/ that geonorm reads is
//! written to KML and to GPX, and every title, description, time, property value and
//! per-vertex value of each feature of the document geonorm read must be at the
//! matching feature of the output, or named by a `write/not-representable` diagnostic
//! of that write at that feature: positioned at the feature's span and naming the key
//! (a loss counted per file, "(3 times)", stands at the first feature that had it and
//! names as many features as its count, in the order they were written).
//!
//! The output is read here with quick-xml (tests/nothing_lost/tree.rs), not with
//! geonorm's readers. Features are matched one to one in the order the writers
//! document: KML writes the features outside any folder, then each folder depth first;
//! GPX writes the waypoints, then the routes, then the tracks.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use geonorm::{Code, ColumnValues, Coords, Diagnostic, Document, Feature, Format, Geometry, Time};
use serde_json::Value;

mod common;
// Shared with tests/nothing_lost.rs, which uses all of it.
#[allow(dead_code)]
#[path = "nothing_lost/tree.rs"]
mod tree;

#[path = "nothing_lost_writers/output.rs"]
mod output;

use output::{gpx_outputs, kml_outputs, Out};

/// The map files: every extension a map in testdata/ has.
const MAP_FILES: [&str; 6] = ["kml", "kmz", "gpx", "geojson", "json", "xml"];

/// Files geonorm does not read (tests/nothing_lost.rs says why for each); any other
/// file that does not read fails.
const UNREADABLE: &[&str] = &[
    ".kmlWithFolders.json",
    "-bad/bad-json.geojson",
    "-bad/bad-object-type.geojson",
    "-bad/featurecollection-obj.geojson",
    "-bad/featurecollection-type-case.geojson",
    "-bad/notype.geojson",
    "-bad/rootstring.geojson",
    "-bad/unknowntype.geojson",
    "fuzz-regressions/kmz-zip-extended-timestamp-",
    "gpx/georust/badcharacter.xml",
    "kml/ets-kml22/atom-feed.xml",
];

/// Losses no writer reports yet, each still lost (the test fails when one is not):
/// (file, target format, what the failure line contains, why).
const KNOWN_LOSSES: &[(&str, &str, &str, &str)] = &[];
// README.md says no loss is listed.
const _: () = assert!(KNOWN_LOSSES.is_empty());

/// One value of a model feature.
#[derive(Debug)]
enum Want {
    Title(String),
    Description(String),
    Time(String),
    /// A property's key and one leaf of its value.
    Prop(String, String),
    /// Part, column, vertex and value.
    Vertex(usize, String, usize, String),
    /// A value on a polygon's hole, which GPX writes no part for.
    Hole(String),
}

impl Want {
    /// The value, for a failure's message.
    fn text(&self) -> &str {
        match self {
            Want::Title(t) | Want::Description(t) | Want::Time(t) => t,
            Want::Prop(_, t) | Want::Vertex(_, _, _, t) | Want::Hole(t) => t,
        }
    }

    /// What a diagnostic names the value by.
    fn needle(&self) -> String {
        match self {
            Want::Title(_) => "name".into(),
            Want::Description(_) => "description".into(),
            Want::Time(_) => "time".into(),
            Want::Prop(k, _) | Want::Vertex(_, k, _, _) => format!("`{k}`"),
            Want::Hole(..) => "hole".into(),
        }
    }
}

/// Texts equal as text, or as numbers.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (norm(a), norm(b));
    // KML writes a boolean as 1 or 0.
    let bool_of = |s: &str| match s {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    };
    a == b
        || bool_of(&a).is_some() && bool_of(&a) == bool_of(&b)
        || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y && x.is_finite())
}

fn norm(s: &str) -> String {
    s.trim().replace("\r\n", "\n").replace('\r', "\n")
}

/// The leaves of a JSON value as text; nulls are no values.
fn json_leaves(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| json_leaves(x, out)),
        Value::Object(o) => o.values().for_each(|x| json_leaves(x, out)),
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(b) => out.push(b.to_string()),
        Value::Null => {}
    }
}

/// What the writer makes of a run of coordinates.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    /// A part of the output (a KML LineString, LinearRing or gx:Track; a GPX route or
    /// track segment), numbered in order.
    Written,
    /// A MultiPoint's points: points, no part, in either format.
    Points,
    /// A polygon's hole, which GPX drops (and says so).
    Hole,
}

/// The runs of coordinates of a geometry, in the order the writer writes them.
fn parts<'g>(g: &'g Geometry, gpx: bool, out: &mut Vec<(&'g Coords, Part)>) {
    let ring = |i: usize| {
        if gpx && i > 0 {
            Part::Hole
        } else {
            Part::Written
        }
    };
    match g {
        Geometry::Point(_) => {}
        Geometry::MultiPoint(c) => out.push((c, Part::Points)),
        Geometry::LineString(c) => out.push((c, Part::Written)),
        Geometry::MultiLineString(ls) => ls.iter().for_each(|c| out.push((c, Part::Written))),
        Geometry::Polygon(rings) => rings
            .iter()
            .enumerate()
            .for_each(|(i, c)| out.push((c, ring(i)))),
        Geometry::MultiPolygon(ps) => ps.iter().for_each(|rings| {
            rings
                .iter()
                .enumerate()
                .for_each(|(i, c)| out.push((c, ring(i))))
        }),
        Geometry::GeometryCollection(gs) => gs.iter().for_each(|g| parts(g, gpx, out)),
    }
}

/// Every value of a model feature.
fn wants(f: &Feature, gpx: bool) -> Vec<Want> {
    let mut w = Vec::new();
    if let Some(t) = &f.title {
        w.push(Want::Title(t.clone()));
    }
    if let Some(d) = &f.description {
        w.push(Want::Description(d.clone()));
    }
    match &f.time {
        Some(Time::Instant(t)) => w.push(Want::Time(t.clone())),
        Some(Time::Span { begin, end }) => {
            w.extend(begin.iter().chain(end).map(|t| Want::Time(t.clone())))
        }
        None => {}
    }
    for (k, v) in &f.properties {
        if k == "name" && f.title_is_name_property() {
            // The title, wanted as one above.
            continue;
        }
        let mut leaves = Vec::new();
        json_leaves(v, &mut leaves);
        w.extend(leaves.into_iter().map(|l| Want::Prop(k.clone(), l)));
    }
    let mut ps = Vec::new();
    if let Some(g) = &f.geometry {
        parts(g, gpx, &mut ps);
    }
    let mut n = 0;
    for (c, part) in ps {
        for col in c.columns() {
            let texts: Vec<Option<String>> = match &col.values {
                ColumnValues::Numbers(ns) => ns
                    .iter()
                    .map(|v| v.as_ref().map(ToString::to_string))
                    .collect(),
                ColumnValues::Texts(ts) => (0..c.len())
                    .map(|i| ts.get(i).map(str::to_string))
                    .collect(),
            };
            for (i, t) in texts.into_iter().enumerate() {
                let Some(t) = t else { continue };
                let name = col.name.clone();
                w.push(match part {
                    Part::Written => Want::Vertex(n, name, i, t),
                    Part::Points => Want::Vertex(usize::MAX, name, i, t),
                    Part::Hole => Want::Hole(t),
                });
            }
        }
        if part == Part::Written {
            n += 1;
        }
    }
    w
}

impl Out {
    fn has(&self, w: &Want) -> bool {
        let any = |v: &[String], t: &str| v.iter().any(|s| same(s, t));
        match w {
            Want::Title(t) => any(&self.titles, t),
            Want::Description(d) => self.descriptions.iter().any(|s| norm(s) == norm(d)),
            Want::Time(t) => any(&self.times, t),
            Want::Prop(k, leaf) => self.props.get(k).is_some_and(|texts| {
                texts.iter().any(|s| {
                    same(s, leaf)
                        || serde_json::from_str::<Value>(s).is_ok_and(|v| {
                            let mut l = Vec::new();
                            json_leaves(&v, &mut l);
                            any(&l, leaf)
                        })
                })
            }),
            Want::Vertex(p, c, i, t) => self
                .parts
                .get(*p)
                // A sensor value is read back under its GPX home's name
                // (`cadences` from gpxdata comes back as `cads`).
                .and_then(|m| m.get(c).or_else(|| m.get(home_column(c)?)))
                .and_then(|vs| vs.get(*i))
                .is_some_and(|v| v.as_deref().is_some_and(|v| same(v, t))),
            Want::Hole(..) => false,
        }
    }
}

/// Which output elements (by index) the KML writer makes of each feature: features
/// outside any folder first, then each folder's, depth first in group order.
fn kml_plan(doc: &Document) -> Vec<Vec<usize>> {
    let known: HashSet<_> = doc.groups.iter().map(|g| g.id).collect();
    let group = |f: &Feature| f.group.filter(|g| known.contains(g));
    let mut order: Vec<usize> = (0..doc.features.len())
        .filter(|&i| group(&doc.features[i]).is_none())
        .collect();
    let mut visited = HashSet::new();
    let mut stack: Vec<usize> = (0..doc.groups.len())
        .rev()
        .filter(|&i| {
            doc.groups[i]
                .parent
                .filter(|p| known.contains(p) && *p != doc.groups[i].id)
                .is_none()
        })
        .collect();
    while let Some(i) = stack.pop() {
        let g = &doc.groups[i];
        if !visited.insert(g.id) {
            continue;
        }
        order.extend((0..doc.features.len()).filter(|&f| group(&doc.features[f]) == Some(g.id)));
        stack.extend(
            (0..doc.groups.len())
                .rev()
                .filter(|&c| doc.groups[c].parent == Some(g.id) && doc.groups[c].id != g.id),
        );
    }
    for g in doc.groups.iter().filter(|g| !visited.contains(&g.id)) {
        order.extend((0..doc.features.len()).filter(|&f| group(&doc.features[f]) == Some(g.id)));
    }
    let mut plan = vec![Vec::new(); doc.features.len()];
    for (out, f) in order.into_iter().enumerate() {
        plan[f].push(out);
    }
    plan
}

fn gpx_kind(f: &Feature) -> Option<&str> {
    f.properties
        .get(geonorm::gpx::GPX_TYPE)
        .and_then(Value::as_str)
}

/// The points and lines of a collection, nested ones opened: (points, lines).
fn leaves(gs: &[Geometry]) -> (usize, usize) {
    gs.iter().fold((0, 0), |(p, l), g| match g {
        Geometry::Point(_) => (p + 1, l),
        Geometry::MultiPoint(c) => (p + c.len(), l),
        Geometry::GeometryCollection(inner) => {
            let (a, b) = leaves(inner);
            (p + a, l + b)
        }
        _ => (p, l + 1),
    })
}

/// Which output elements the GPX writer makes of each feature: every waypoint, then
/// every route, then every track.
fn gpx_plan(doc: &Document) -> Vec<Vec<usize>> {
    let mut plan = vec![Vec::new(); doc.features.len()];
    let mut next = 0;
    let mut take = |plan: &mut Vec<Vec<usize>>, f: usize, n: usize| {
        plan[f].extend(next..next + n);
        next += n;
    };
    for (i, f) in doc.features.iter().enumerate() {
        let n = match &f.geometry {
            Some(Geometry::Point(_)) if matches!(gpx_kind(f), Some("rte" | "trk")) => 0,
            Some(Geometry::Point(_)) => 1,
            Some(Geometry::MultiPoint(c)) => c.len(),
            Some(Geometry::GeometryCollection(gs)) => leaves(gs).0,
            _ => 0,
        };
        take(&mut plan, i, n);
    }
    for (i, f) in doc.features.iter().enumerate() {
        let route = gpx_kind(f) == Some("rte");
        if route
            && matches!(
                f.geometry,
                Some(Geometry::LineString(_) | Geometry::Point(_))
            )
        {
            take(&mut plan, i, 1);
        }
    }
    for (i, f) in doc.features.iter().enumerate() {
        let route = gpx_kind(f) == Some("rte");
        let n = match &f.geometry {
            Some(Geometry::LineString(_)) => usize::from(!route),
            Some(Geometry::Point(_)) => usize::from(gpx_kind(f) == Some("trk")),
            Some(Geometry::GeometryCollection(gs)) => usize::from(leaves(gs).1 > 0),
            Some(
                Geometry::MultiLineString(_) | Geometry::Polygon(_) | Geometry::MultiPolygon(_),
            ) => 1,
            _ => 0,
        };
        take(&mut plan, i, n);
    }
    plan
}

/// The count of a diagnostic counted per file ("(3 times)"), 1 for any other.
fn count(d: &Diagnostic) -> usize {
    d.message
        .rsplit_once(" times)")
        .and_then(|(head, _)| head.rsplit_once('(')?.1.parse().ok())
        .unwrap_or(1)
}

/// What checking one write found.
#[derive(Default, Debug)]
struct Tally {
    values: usize,
    at_feature: usize,
    diagnosed: usize,
    lost: Vec<String>,
}

/// Every value of every feature of `doc` at its feature in `out` (the output's
/// features by `plan`), or named by a diagnostic of the write at it.
fn check(
    doc: &Document,
    diags: &[Diagnostic],
    outs: &[Out],
    plan: &[Vec<usize>],
    gpx: bool,
) -> Tally {
    let mut t = Tally::default();
    let written: usize = plan.iter().map(Vec::len).sum();
    if written != outs.len() {
        t.lost.push(format!(
            "{written} output features planned, {} written",
            outs.len()
        ));
        return t;
    }
    // Features in the order they were written; those not written at the end.
    let mut order: Vec<usize> = (0..doc.features.len()).collect();
    order.sort_by_key(|&f| plan[f].first().copied().unwrap_or(usize::MAX));
    let writes: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.code == Code::WriteNotRepresentable)
        .collect();
    let mut used: HashMap<usize, HashSet<usize>> = HashMap::new();
    for fi in order {
        let f = &doc.features[fi];
        // The feature's output elements merged: a MultiPoint's waypoints hold the
        // same fields, a collection's waypoints and track its points and lines.
        let mut o = Out::default();
        for &e in &plan[fi] {
            let x = &outs[e];
            o.titles.extend(x.titles.iter().cloned());
            o.descriptions.extend(x.descriptions.iter().cloned());
            o.times.extend(x.times.iter().cloned());
            for (k, v) in &x.props {
                o.props
                    .entry(k.clone())
                    .or_default()
                    .extend(v.iter().cloned());
            }
            o.parts.extend(x.parts.iter().cloned());
        }
        for w in wants(f, gpx) {
            t.values += 1;
            if o.has(&w) {
                t.at_feature += 1;
                continue;
            }
            let needle = w.needle();
            let not_written = plan[fi].is_empty();
            let by = writes.iter().enumerate().find(|(di, d)| {
                let named =
                    d.message.contains(&needle) || not_written && d.message.contains("not written");
                let here = d.span == Some(f.span);
                let tallied = used
                    .get(di)
                    .is_some_and(|s| s.contains(&fi) || !s.is_empty() && s.len() < count(d));
                named && (here || tallied)
            });
            match by {
                Some((di, _)) => {
                    used.entry(di).or_default().insert(fi);
                    t.diagnosed += 1;
                }
                None => t.lost.push(format!(
                    "feature {fi} ({:?}): {needle} {:?} ({w:?})",
                    f.title,
                    w.text()
                )),
            }
        }
    }
    t
}

/// Writes `doc` to `target` and checks the output.
fn write_and_check(doc: &Document, target: Format) -> Result<Tally, String> {
    let (out, diags) = write(doc, target)?;
    Ok(check_output(doc, &diags, &out, target))
}

fn write(doc: &Document, target: Format) -> Result<(Vec<u8>, Vec<Diagnostic>), String> {
    let mut out = Vec::new();
    let diags = match target {
        Format::Kml => geonorm::kml::write(doc, &mut out, &Default::default()),
        _ => geonorm::gpx::write(doc, &mut out, &Default::default()),
    }
    .map_err(|e| e.to_string())?;
    Ok((out, diags))
}

fn check_output(doc: &Document, diags: &[Diagnostic], out: &[u8], target: Format) -> Tally {
    let elems = match tree::parse(out) {
        Ok(e) => e,
        Err(e) => {
            return Tally {
                lost: vec![format!("output does not parse: {e}")],
                ..Tally::default()
            }
        }
    };
    if target == Format::Kml {
        check(doc, diags, &kml_outputs(&elems), &kml_plan(doc), false)
    } else {
        check(doc, diags, &gpx_outputs(&elems), &gpx_plan(doc), true)
    }
}

fn read(p: &Path) -> Result<Document, String> {
    let bytes = std::fs::read(p).map_err(|e| e.to_string())?;
    let format = Format::detect(&bytes, Some(p)).ok_or("no format detected")?;
    let parsed = geonorm::read(&bytes[..], &geonorm::ReadOptions::format(format))
        .map_err(|e| e.to_string())?;
    Ok(parsed.into_parts().0)
}

/// The files written and the values checked in each format, at least: figures
/// README.md states.
const MIN_FILES: usize = 433;
const MIN_VALUES_KML: usize = 35_700;
const MIN_VALUES_GPX: usize = 35_700;

#[test]
fn every_value_of_every_feature_is_in_the_kml_and_gpx_written_or_named_there() {
    let files = common::testdata_files(&MAP_FILES, 489);
    let mut failures = Vec::new();
    let mut unreadable_used = vec![0; UNREADABLE.len()];
    let mut known_used = vec![0; KNOWN_LOSSES.len()];
    let mut checked = 0;
    let mut totals = [Tally::default(), Tally::default()];
    for p in &files {
        let name = p.to_string_lossy();
        let listed = UNREADABLE.iter().position(|f| name.contains(f));
        let doc = match (read(p), listed) {
            (Ok(doc), None) => doc,
            (Ok(_), Some(_)) => {
                failures.push(format!("{name}: listed as unreadable, but reads"));
                continue;
            }
            (Err(e), None) => {
                failures.push(format!("{name}: does not read: {e}"));
                continue;
            }
            (Err(_), Some(u)) => {
                unreadable_used[u] += 1;
                continue;
            }
        };
        checked += 1;
        for (n, (target, label)) in [(Format::Kml, "kml"), (Format::Gpx, "gpx")]
            .into_iter()
            .enumerate()
        {
            let t = match write_and_check(&doc, target) {
                Ok(t) => t,
                Err(e) => {
                    failures.push(format!("{name} → {label}: not written: {e}"));
                    continue;
                }
            };
            totals[n].values += t.values;
            totals[n].at_feature += t.at_feature;
            totals[n].diagnosed += t.diagnosed;
            for l in t.lost {
                let known = KNOWN_LOSSES.iter().position(|(f, fmt, what, _)| {
                    name.contains(f) && *fmt == label && l.contains(what)
                });
                match known {
                    Some(k) => known_used[k] += 1,
                    None => failures.push(format!("{name} → {label}: {l}")),
                }
            }
        }
    }
    for (u, n) in UNREADABLE.iter().zip(&unreadable_used) {
        if *n == 0 {
            failures.push(format!("{u:?} matches no unreadable file"));
        }
    }
    for (k, n) in KNOWN_LOSSES.iter().zip(&known_used) {
        if *n == 0 {
            failures.push(format!(
                "known loss {k:?} is lost no more: take it off the list"
            ));
        }
    }
    eprintln!("{checked} files; KML {:?}; GPX {:?}", totals[0], totals[1]);
    assert!(
        failures.is_empty(),
        "{} losses:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= MIN_FILES, "only {checked} files checked");
    assert!(
        totals[0].values >= MIN_VALUES_KML,
        "KML: only {} values",
        totals[0].values
    );
    assert!(
        totals[1].values >= MIN_VALUES_GPX,
        "GPX: only {} values",
        totals[1].values
    );
}

/// The checker on a real file written to `target`, with `edit` applied to the output's
/// text: the losses it adds.
fn lost_after(file: &str, target: Format, edit: impl Fn(&str) -> String) -> Vec<String> {
    let doc = read(&common::testdata(file)).expect("reads");
    let (out, diags) = write(&doc, target).expect("writes");
    let before = check_output(&doc, &diags, &out, target).lost;
    let text = String::from_utf8(out).expect("utf8");
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit changed nothing");
    let mut after = check_output(&doc, &diags, edited.as_bytes(), target).lost;
    after.retain(|l| !before.contains(l));
    after
}

/// `text` without the first element `<tag …>…</tag>` found after `from`.
fn cut(text: &str, from: &str, tag: &str) -> String {
    let at = text.find(from).expect("the anchor");
    let start = at + text[at..].find(&format!("<{tag}")).expect("the element");
    let close = format!("</{tag}>");
    let end = start + text[start..].find(&close).expect("its end") + close.len();
    format!("{}{}", &text[..start], &text[end..])
}

#[test]
fn the_checker_sees_a_kml_data_value_lost() {
    let lost = lost_after("kml/togeojson/extended_data.kml", Format::Kml, |t| {
        cut(t, "<Placemark", "SimpleData")
    });
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(
        lost[0].starts_with("feature 0 ") && lost[0].contains("Prop("),
        "{lost:?}"
    );
}

#[test]
fn the_checker_sees_a_gpx_name_lost() {
    let lost = lost_after("gpx/gpsbabel/basecamp.gpx", Format::Gpx, |t| {
        cut(t, "<wpt", "name")
    });
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(
        lost[0].contains("): name ") && lost[0].contains("Title("),
        "{lost:?}"
    );
}

/// A route point's symbol, which the GPX writer now writes back, is checked too.
#[test]
fn the_checker_sees_a_route_points_symbol_lost() {
    let lost = lost_after("gpx/gpsbabel/basecamp.gpx", Format::Gpx, |t| {
        cut(t, "<rtept", "sym")
    });
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(lost[0].contains("`syms` \"Flag, Blue\""), "{lost:?}");
}

/// A loss counted per file names as many features as its count, from the one it
/// stands at on: one count less leaves one value unexcused, and the same diagnostic
/// at no feature excuses none.
#[test]
fn the_checker_holds_a_counted_loss_to_its_count_and_place() {
    let doc = read(&common::testdata("kml/fastkml/KML_Samples.kml")).expect("reads");
    let (out, diags) = write(&doc, Format::Gpx).expect("writes");
    assert!(check_output(&doc, &diags, &out, Format::Gpx)
        .lost
        .is_empty());
    let at = diags
        .iter()
        .position(|d| {
            d.message
                .starts_with("property `visibility` has no GPX form")
        })
        .expect("visibility reported");
    let n = count(&diags[at]);
    assert!(n > 2, "{:?}", diags[at]);
    let mut fewer = diags.clone();
    fewer[at].message = fewer[at]
        .message
        .replace(&format!("({n} times)"), &format!("({} times)", n - 1));
    let lost = check_output(&doc, &fewer, &out, Format::Gpx).lost;
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(lost[0].contains("`visibility`"), "{lost:?}");
    let mut nowhere = diags.clone();
    nowhere[at].span = None;
    let lost = check_output(&doc, &nowhere, &out, Format::Gpx).lost;
    assert_eq!(lost.len(), n, "{lost:?}");
}

/// The column a GPX reader gives back for sensor column `c` (the first name of its
/// home in [`geonorm::gpx::SENSORS`]), if it is a sensor's.
fn home_column(c: &str) -> Option<&'static str> {
    geonorm::gpx::SENSORS
        .iter()
        .find(|(_, names)| names.contains(&c))
        .and_then(|(_, names)| names.first().copied())
}
