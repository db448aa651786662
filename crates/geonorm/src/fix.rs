//! Safe fixes: changes that make a file valid without changing what it shows. Each
//! one is reported, so nothing changes silently.

use crate::{Code, Coords, Diagnostic, Document, Geometry, Group, GroupId, Span};

fn close(ring: &mut Coords, at: Span, out: &mut Vec<Diagnostic>) {
    let n = ring.len();
    if n >= 3 {
        if let (Some(first), Some(last)) = (ring.get(0), ring.get(n - 1)) {
            if first.x != last.x || first.y != last.y || first.z != last.z {
                ring.push(first);
                out.push(Diagnostic::new(Code::FixClosedRing, "closed a polygon ring").at(at));
            }
        }
    }
}

fn dedup(c: &mut Coords, at: Span, out: &mut Vec<Diagnostic>) {
    let before = c.len();
    let keep: Vec<bool> = (0..c.len())
        .map(|i| i == 0 || c.get(i) != c.get(i - 1))
        .collect();
    c.retain_indices(|i| keep.get(i).copied().unwrap_or(true));
    let dropped = before - c.len();
    if dropped > 0 {
        out.push(
            Diagnostic::new(
                Code::FixDroppedRepeats,
                format!(
                    "dropped {}",
                    crate::diag::count(dropped, "repeated position", "repeated positions")
                ),
            )
            .at(at),
        );
    }
}

fn polygon(rings: &mut [Coords], at: Span, out: &mut Vec<Diagnostic>) {
    for (i, r) in rings.iter_mut().enumerate() {
        dedup(r, at, out);
        close(r, at, out);
        if crate::geometry::Winding::RightHand.against(i, r) {
            r.reverse();
            let which = if i == 0 { "an exterior ring" } else { "a hole" };
            out.push(
                Diagnostic::new(
                    Code::FixRewound,
                    format!("rewound {which} to the right-hand rule"),
                )
                .at(at),
            );
        }
    }
}

fn geometry(g: &mut Geometry, at: Span, out: &mut Vec<Diagnostic>) {
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => {}
        Geometry::LineString(c) => dedup(c, at, out),
        Geometry::MultiLineString(ls) => ls.iter_mut().for_each(|c| dedup(c, at, out)),
        Geometry::Polygon(rings) => polygon(rings, at, out),
        Geometry::MultiPolygon(ps) => ps.iter_mut().for_each(|r| polygon(r, at, out)),
        Geometry::GeometryCollection(gs) => gs.iter_mut().for_each(|g| geometry(g, at, out)),
    }
}

/// Applies the safe fixes to `doc` and reports each: closes open rings, rewinds rings
/// to the right-hand rule, drops repeated consecutive positions, and creates a group
/// for each group id features name but the document lacks. (Rounding coordinates is
/// the writers' `precision` option.)
///
/// ```
/// let (mut doc, _) = geonorm::read(&br#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"group":7},"geometry":{"type":"Polygon",
///    "coordinates":[[[0,0],[0,1],[1,1],[1,0]]]}}]}"#[..], &Default::default())?.into_parts();
/// let fixes = geonorm::fix::fix(&mut doc);
/// let codes: Vec<&str> = fixes.iter().map(|d| d.code.as_str()).collect();
/// assert_eq!(codes, ["fix/closed-ring", "fix/rewound", "fix/created-group"]);
/// # Ok::<(), geonorm::Error>(())
/// ```
pub fn fix(doc: &mut Document) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for f in &mut doc.features {
        if let Some(g) = &mut f.geometry {
            geometry(g, f.span, &mut out);
        }
    }
    let known: std::collections::HashSet<GroupId> = doc.groups.iter().map(|g| g.id).collect();
    let mut missing: Vec<(GroupId, Span)> = Vec::new();
    for f in &doc.features {
        if let Some(id) = f.group.filter(|id| !known.contains(id)) {
            if !missing.iter().any(|(m, _)| *m == id) {
                missing.push((id, f.span));
            }
        }
    }
    for (id, at) in missing {
        doc.groups.push(Group {
            id,
            title: format!("Group {id}"),
            parent: None,
            extra: Default::default(),
        });
        out.push(
            Diagnostic::new(
                Code::FixCreatedGroup,
                format!("created group {id}, titled \"Group {id}\""),
            )
            .at(at),
        );
    }
    out
}
