//! Whether each source value is at its feature in the output, or named by a diagnostic
//! positioned at it.

use std::collections::HashSet;

use geonorm::{Code, Diagnostic};
use serde_json::Value;

use super::source::{norm, Leaf, Want};

/// The features of a GeoJSON output.
pub fn output_features(out: &Value) -> Vec<&Value> {
    match out.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => out
            .get("features")
            .and_then(Value::as_array)
            .map_or_else(Vec::new, |a| a.iter().collect()),
        Some("Feature") => vec![out],
        _ => Vec::new(),
    }
}

/// What one output feature holds, for looking values up.
pub struct Found<'a> {
    feature: &'a Value,
    strings: HashSet<String>,
    numbers: HashSet<u64>,
    geometry: HashSet<u64>,
}

fn bits(f: f64) -> u64 {
    // -0 and 0 are one number.
    (f + 0.0).to_bits()
}

fn leaves<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| leaves(x, out)),
        Value::Object(o) => o.values().for_each(|x| leaves(x, out)),
        other => out.push(other),
    }
}

fn add(v: &Value, strings: &mut HashSet<String>, numbers: &mut HashSet<u64>) {
    match v {
        Value::String(s) => {
            let s = norm(s);
            // Garmin's repeated values are joined with ", ".
            for piece in s.split(", ") {
                strings.insert(piece.trim().to_string());
            }
            strings.insert(s);
        }
        Value::Number(n) => {
            if let Some(f) = n.as_f64() {
                numbers.insert(bits(f));
            }
        }
        Value::Bool(b) => {
            strings.insert(b.to_string());
            strings.insert(if *b { "1" } else { "0" }.into());
        }
        Value::Null | Value::Array(_) | Value::Object(_) => {}
    }
}

impl<'a> Found<'a> {
    pub fn new(feature: &'a Value) -> Self {
        let (mut strings, mut numbers, mut geometry) = Default::default();
        let mut all = Vec::new();
        for (k, v) in feature.as_object().into_iter().flatten() {
            if k != "geometry" {
                leaves(v, &mut all);
            }
        }
        for v in all {
            add(v, &mut strings, &mut numbers);
        }
        let mut g = Vec::new();
        if let Some(geom) = feature.get("geometry") {
            leaves(geom, &mut g);
        }
        for v in g {
            add(v, &mut HashSet::new(), &mut geometry);
        }
        Found {
            feature,
            strings,
            numbers,
            geometry,
        }
    }

    fn prop(&self, key: &str) -> Vec<&'a Value> {
        let p = self.feature.get("properties");
        [
            p.and_then(|p| p.get(key)),
            p.and_then(|p| p.get("coordinateProperties"))
                .and_then(|c| c.get(key)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The title the feature has.
    pub fn title(&self) -> Option<String> {
        self.feature
            .get("properties")
            .and_then(|p| p.get("title"))
            .and_then(Value::as_str)
            .map(norm)
    }

    /// Whether `leaf` is where it must be in this feature.
    pub fn has(&self, leaf: &Leaf, diags: &[Diagnostic]) -> bool {
        self.wants(leaf, &leaf.want, diags)
    }

    fn wants(&self, leaf: &Leaf, want: &Want, diags: &[Diagnostic]) -> bool {
        let t = &leaf.text;
        let number = t.parse::<f64>().ok().filter(|f| f.is_finite());
        let in_set = |strings: &HashSet<String>, numbers: &HashSet<u64>| {
            strings.contains(t) || number.is_some_and(|f| numbers.contains(&bits(f)))
        };
        match want {
            Want::Either(a, b) => self.wants(leaf, a, diags) || self.wants(leaf, b, diags),
            Want::Pause => leaf.ancestors.get(1).is_some_and(|(start, end, _)| {
                diags.iter().any(|d| {
                    d.code == Code::KmlTrackGap
                        && d.span.is_some_and(|s| s.start >= *start && s.end <= *end)
                })
            }),
            Want::Title => self.title().as_ref() == Some(t),
            Want::Description => self
                .feature
                .get("properties")
                .and_then(|p| p.get("description"))
                .and_then(Value::as_str)
                .is_some_and(|d| norm(d).contains(t.as_str())),
            Want::Id => match self.feature.get("id") {
                Some(Value::String(s)) => s == t,
                Some(Value::Number(n)) => number.is_some_and(|f| n.as_f64() == Some(f)),
                // An id of another kind (`{}`, invalid GeoJSON) is kept as written.
                Some(other) => serde_json::from_str::<Value>(t).is_ok_and(|v| v == *other),
                None => false,
            },
            Want::Key(k) => self.prop(k).into_iter().any(|v| {
                let (mut s, mut n) = Default::default();
                let mut all = Vec::new();
                leaves(v, &mut all);
                all.into_iter().for_each(|x| add(x, &mut s, &mut n));
                in_set(&s, &n)
            }),
            Want::KeyPresent(k) => !self.prop(k).is_empty(),
            Want::Equals(k, v) => self.prop(k).iter().any(|x| x.as_str() == Some(v)),
            Want::Geometry => t
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .all(|s| {
                    s.parse::<f64>()
                        .is_ok_and(|f| self.geometry.contains(&bits(f)))
                }),
            Want::Anywhere => in_set(&self.strings, &self.numbers),
        }
    }
}

/// The element names a diagnostic's message names as `<name …>`.
fn named(d: &Diagnostic) -> Vec<&str> {
    d.message
        .split('<')
        .skip(1)
        .filter_map(|s| s.split(['>', ' ']).next())
        // Foreign elements are named with their prefix (`atom:link`).
        .map(|n| n.rsplit(':').next().unwrap_or(n))
        .collect()
}

/// Codes whose diagnostics come once per element name with a count ("`<x>` skipped 3
/// times"), positioned at the first such element.
const TALLIED: [Code; 2] = [Code::KmlIgnoredElement, Code::GpxIgnoredElement];

/// Whether a diagnostic names the element holding `leaf` (or the enclosing element,
/// below the feature, that it was part of): positioned inside that element and about
/// it (overlapping the leaf, or starting where the element starts). A tallied
/// diagnostic ("`<x>` skipped (3 times)") also names other elements of the name it
/// stands at: as many as its count, the one it stands at first among them. `at_elem`
/// says which element (name, end) starts at an offset of the source.
pub fn diagnosed(
    leaf: &Leaf,
    diags: &[Diagnostic],
    at_elem: &dyn Fn(usize) -> Option<(String, usize)>,
    tallies: &mut std::collections::HashMap<usize, HashSet<(usize, usize)>>,
) -> bool {
    for (i, d) in diags.iter().enumerate() {
        let Some(s) = d.span else { continue };
        for (a_start, a_end, a_name) in &leaf.ancestors {
            let inside = s.start >= *a_start && s.end <= *a_end;
            let overlaps = s.start < leaf.span.1 && s.end.max(s.start + 1) > leaf.span.0;
            if inside && (overlaps || s.start == *a_start) {
                return true;
            }
            let Some((name, end)) = at_elem(s.start) else {
                continue;
            };
            if TALLIED.contains(&d.code) && named(d).contains(&a_name.as_str()) && name == *a_name {
                // The element it stands at is always one of those it counts.
                let excused = tallies
                    .entry(i)
                    .or_insert_with(|| HashSet::from([(s.start, end)]));
                excused.insert((*a_start, *a_end));
                let count = d
                    .message
                    .rsplit_once(" times)")
                    .and_then(|(head, _)| head.rsplit('(').next())
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(1);
                if excused.len() <= count {
                    return true;
                }
            }
        }
    }
    false
}
