//! Cutting a line too long for one request to MapHub into consecutive features, each
//! under the limit: the way out that `maphub/feature-too-large` offers for lines.

use crate::{Code, Coords, Diagnostic, Document, Feature, Geometry};

/// The property each piece of a cut line carries: `"k/n"`, its place among the pieces.
pub const PART_PROPERTY: &str = "geonorm_part";

/// Cuts every LineString or MultiLineString feature of `doc` whose MapHub GeoJSON,
/// with the room a request adds around it, is over `limit` bytes into consecutive
/// features under it, in its place: each piece has the feature's properties, title,
/// style and time, its share of the vertices and of their per-vertex values, and
/// [`PART_PROPERTY`]; consecutive pieces share the vertex where they join, so no
/// vertex is lost. Each cut is said as an info at its feature. Other features over
/// the limit are left as they are (the send refuses them).
///
/// ```
/// use geonorm::{Coords, Document, Feature, Geometry, Position};
/// let line: Coords = (0..2000).map(|i| Position::new(i as f64 * 1e-4, 46.0)).collect();
/// let mut doc = Document::default();
/// doc.features.push(Feature { geometry: Some(Geometry::LineString(line)), ..Feature::default() });
/// let said = geonorm::split_long_lines(&mut doc, 20_000);
/// assert!(doc.features.len() > 1 && said.len() == 1);
/// let vertices: usize = doc.features.iter().map(|f| f.geometry.as_ref().map_or(0, |g| g.vertex_count())).sum();
/// assert_eq!(vertices, 2000 + doc.features.len() - 1); // the joins are shared
/// ```
pub fn split_long_lines(doc: &mut Document, limit: u64) -> Vec<Diagnostic> {
    let budget = limit.saturating_sub(crate::validate::MAPHUB_REQUEST_ROOM);
    let mut said = Vec::new();
    let features = std::mem::take(&mut doc.features);
    for f in features {
        match cut(&f, budget) {
            Some(pieces) => {
                said.push(
                    Diagnostic::new(
                        Code::FixSplitLine,
                        format!(
                            "this line is over MapHub's limit per request as one feature; cut into {} consecutive features (`{PART_PROPERTY}` 1/{0} to {0}/{0}) that share their joining vertices",
                            pieces.len()
                        ),
                    )
                    .at(f.span),
                );
                doc.features.extend(pieces);
            }
            None => doc.features.push(f),
        }
    }
    said
}

/// The size of `f` as MapHub GeoJSON (`u64::MAX` when it cannot be written).
fn size(f: &Feature) -> u64 {
    let mut buf = Vec::new();
    let opts = crate::geojson::WriteOptions::default();
    match crate::geojson::write::feature_bytes(&mut buf, f, &opts, &mut Vec::new()) {
        Ok(()) => buf.len() as u64,
        Err(_) => u64::MAX,
    }
}

/// `f` cut into pieces of at most `budget` bytes, or `None` when it fits, is not a
/// line, or cannot be cut that small (a single segment over it).
fn cut(f: &Feature, budget: u64) -> Option<Vec<Feature>> {
    let lines: Vec<&Coords> = match &f.geometry {
        Some(Geometry::LineString(c)) => vec![c],
        Some(Geometry::MultiLineString(ls)) => ls.iter().collect(),
        _ => return None,
    };
    let whole = size(f);
    if whole <= budget {
        return None;
    }
    let vertices: u64 = lines.iter().map(|c| c.len() as u64).sum();
    // Vertices per piece from the average size of one, made smaller until every
    // piece fits (a vertex's text varies in length).
    let mut per_piece =
        (budget.saturating_mul(9) / 10).saturating_mul(vertices.max(1)) / whole.max(1);
    while per_piece >= 2 {
        let pieces = pieces(f, &lines, per_piece as usize);
        if pieces.iter().all(|p| size(p) <= budget) {
            return Some(pieces);
        }
        per_piece = per_piece * 9 / 10;
    }
    None
}

/// `f` as consecutive pieces of at most `per_piece` vertices of its lines, each line
/// cut into runs that share their end vertices, runs packed into pieces in order.
fn pieces(f: &Feature, lines: &[&Coords], per_piece: usize) -> Vec<Feature> {
    let multi = matches!(f.geometry, Some(Geometry::MultiLineString(_)));
    let mut runs: Vec<Vec<Coords>> = vec![Vec::new()];
    let mut in_piece = 0;
    for line in lines {
        let n = line.len();
        let mut start = 0;
        loop {
            let room = per_piece.saturating_sub(in_piece);
            if room < 2 && in_piece > 0 {
                runs.push(Vec::new());
                in_piece = 0;
                continue;
            }
            let end = (start + room.max(2)).min(n);
            let mut run = (*line).clone();
            run.retain_indices(|i| i >= start && i < end);
            in_piece += run.len();
            if let Some(last) = runs.last_mut() {
                last.push(run);
            }
            if end >= n {
                break;
            }
            // The next run starts where this one ends: the join is shared.
            start = end - 1;
            runs.push(Vec::new());
            in_piece = 0;
        }
    }
    runs.retain(|r| !r.is_empty());
    let total = runs.len();
    runs.into_iter()
        .enumerate()
        .map(|(k, mut parts)| {
            let mut piece = f.clone();
            piece.geometry = Some(if multi || parts.len() > 1 {
                Geometry::MultiLineString(parts)
            } else {
                Geometry::LineString(parts.remove(0))
            });
            piece
                .properties
                .insert(PART_PROPERTY.into(), format!("{}/{total}", k + 1).into());
            piece
        })
        .collect()
}
