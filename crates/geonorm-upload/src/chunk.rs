//! Splitting a document that is too large for one upload into consecutive chunks,
//! each under the limit as MapHub GeoJSON and carrying the groups its features use.

use std::collections::{HashMap, HashSet};

use geonorm::geojson::{write, WriteOptions, Writer};
use geonorm::{Document, Group, GroupId, Metadata};

use crate::{Error, Result};

/// One part of a split document, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Index of its first feature in the document.
    pub first: usize,
    /// How many features it holds.
    pub count: usize,
    /// Its MapHub GeoJSON.
    pub body: Vec<u8>,
}

/// The groups `ids` name, with all their ancestors, in the document's order.
fn groups_for(doc: &Document, ids: &HashSet<GroupId>) -> Vec<Group> {
    let by_id: HashMap<GroupId, &Group> = doc.groups.iter().map(|g| (g.id, g)).collect();
    let mut need: HashSet<GroupId> = HashSet::new();
    for &id in ids {
        let mut next = Some(id);
        while let Some(g) = next.and_then(|i| by_id.get(&i)) {
            if !need.insert(g.id) {
                break;
            }
            next = g.parent;
        }
    }
    doc.groups
        .iter()
        .filter(|g| need.contains(&g.id))
        .cloned()
        .collect()
}

/// The property that marks each feature of a send with the send's id and the feature's
/// index in the document (`"<send id>:<index>"`), so that a map can be searched for
/// exactly the features a chunk carried: an unchanged feature count is no proof that a
/// chunk did not land (it may still be processing, or someone else may have deleted
/// features meanwhile).
pub const MARK_PROPERTY: &str = "geonorm_send";

/// The mark of feature `index` in send `send_id`.
pub fn mark(send_id: &str, index: usize) -> String {
    format!("{send_id}:{index}")
}

/// Writes features `first..first + count` of `doc` as one MapHub GeoJSON body, each
/// feature marked with [`MARK_PROPERTY`] when `send_id` is given.
pub(crate) fn body(
    doc: &Document,
    first: usize,
    count: usize,
    send_id: Option<&str>,
) -> Result<Vec<u8>> {
    body_with(doc, first, count, send_id, &WriteOptions::default())
}

fn body_with(
    doc: &Document,
    first: usize,
    count: usize,
    send_id: Option<&str>,
    opts: &WriteOptions,
) -> Result<Vec<u8>> {
    let mut features = doc
        .features
        .get(first..first + count)
        .unwrap_or_default()
        .to_vec();
    if let Some(id) = send_id {
        for (i, f) in features.iter_mut().enumerate() {
            f.properties
                .insert(MARK_PROPERTY.into(), mark(id, first + i).into());
        }
    }
    let ids: HashSet<GroupId> = features.iter().filter_map(|f| f.group).collect();
    let part = Document {
        // Document-level members (MapHub's `properties`, `markers`) go with the first.
        meta: if first == 0 {
            doc.meta.clone()
        } else {
            Metadata::default()
        },
        groups: groups_for(doc, &ids),
        features,
    };
    let mut out = Vec::new();
    write(&part, &mut out, opts)?;
    Ok(out)
}

/// Splits `doc` into chunks of at most `limit` bytes of MapHub GeoJSON (one chunk
/// when it fits, or when there is no limit). Features keep their order; each chunk
/// carries the groups (and parent groups) its features use.
///
/// ```
/// let text = br#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"title":"a"},"geometry":{"type":"Point","coordinates":[1,2]}},
///   {"type":"Feature","properties":{"title":"b"},"geometry":{"type":"Point","coordinates":[3,4]}}]}"#;
/// let doc = geonorm::read(&text[..], &geonorm::ReadOptions::default())?.document;
/// let chunks = geonorm_upload::split(&doc, Some(200))?;
/// assert_eq!(chunks.len(), 2);
/// assert!(chunks.iter().all(|c| c.body.len() <= 200));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn split(doc: &Document, limit: Option<u64>) -> Result<Vec<Chunk>> {
    split_range(doc, 0, doc.features.len(), limit, None)
}

/// Splits features `start..end` of `doc` as [`split`] does, each feature marked with
/// `send_id` (see [`MARK_PROPERTY`]) when one is given.
pub(crate) fn split_range(
    doc: &Document,
    start: usize,
    end: usize,
    limit: Option<u64>,
    send_id: Option<&str>,
) -> Result<Vec<Chunk>> {
    let opts = WriteOptions::default();
    let end = end.min(doc.features.len());
    let whole = body_with(doc, start, end.saturating_sub(start), send_id, &opts)?;
    let Some(limit) = limit.filter(|&l| whole.len() as u64 > l) else {
        return Ok(vec![Chunk {
            first: start,
            count: end.saturating_sub(start),
            body: whole,
        }]);
    };
    // Each feature's size as written (with its mark), measured once.
    let mut sizes = Vec::with_capacity(end.saturating_sub(start));
    let mut w = Writer::new(Vec::new(), opts.clone());
    let mut last = 0;
    for (i, f) in doc
        .features
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let marked;
        let f = match send_id {
            Some(id) => {
                let mut m = f.clone();
                m.properties
                    .insert(MARK_PROPERTY.into(), mark(id, start + i).into());
                marked = m;
                &marked
            }
            None => f,
        };
        w.write_feature(f)?;
        let len = w.get_ref().len();
        sizes.push((len - last) as u64);
        last = len;
    }
    let mut chunks = Vec::new();
    let mut first = start;
    while first < end {
        // Fill greedily by measured size (with room for the envelope and groups), then
        // write it and give back features until the real text fits.
        let mut count = 0;
        let mut total = 200u64;
        while first + count < end && total + sizes[first - start + count] <= limit {
            total += sizes[first - start + count];
            count += 1;
        }
        count = count.max(1);
        loop {
            let b = body_with(doc, first, count, send_id, &opts)?;
            if b.len() as u64 <= limit {
                chunks.push(Chunk {
                    first,
                    count,
                    body: b,
                });
                break;
            }
            if count == 1 {
                return Err(Error::FeatureTooLarge {
                    index: first,
                    bytes: b.len() as u64,
                    limit,
                });
            }
            count -= count.div_ceil(20).max(1);
        }
        first += count;
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(n: usize) -> Document {
        let features: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"type":"Feature","properties":{{"title":"feature {i}","group":{}}},"geometry":{{"type":"Point","coordinates":[{i},1]}}}}"#,
                    if i % 2 == 0 { 2 } else { 3 }
                )
            })
            .collect();
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{}],"groups":[{{"title":"A","id":1}},{{"title":"A／B","id":2}},{{"title":"C","id":3}}],"properties":{{}}}}"#,
            features.join(",")
        );
        geonorm::read(
            text.as_bytes(),
            &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
        )
        .expect("reads")
        .document
    }

    #[test]
    fn a_small_document_is_one_chunk() {
        let d = doc(3);
        let chunks = split(&d, Some(1 << 20)).expect("split");
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].count, 3);
        assert_eq!(split(&d, None).expect("split").len(), 1);
    }

    #[test]
    fn chunks_are_under_the_limit_in_order_with_their_groups() {
        let d = doc(200);
        let chunks = split(&d, Some(2_000)).expect("split");
        assert!(chunks.len() > 5);
        let mut next = 0;
        for c in &chunks {
            assert!(c.body.len() <= 2_000, "{} bytes", c.body.len());
            assert_eq!(c.first, next);
            next += c.count;
            let (part, diags) = geonorm::read(
                &c.body[..],
                &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
            )
            .map(geonorm::Parsed::into_parts)
            .expect("chunk reads");
            assert!(diags.is_empty(), "{diags:?}");
            // Every group a feature names is in the chunk, with its parents.
            for f in &part.features {
                let g = f.group.expect("grouped");
                assert!(part.group(g).is_some());
                if g.get() == 2 {
                    assert_eq!(part.group_path(g).as_deref(), Some("A／B"));
                }
            }
        }
        assert_eq!(next, 200);
        // MapHub's top-level members travel once, with the first chunk.
        assert!(String::from_utf8_lossy(&chunks[0].body).contains("\"properties\":{}"));
        assert!(!String::from_utf8_lossy(&chunks[1].body).contains("\"properties\":{}}"));
    }

    #[test]
    fn a_feature_over_the_limit_is_an_error() {
        let d = doc(2);
        assert!(matches!(
            split(&d, Some(100)),
            Err(Error::FeatureTooLarge { index: 0, .. })
        ));
    }
}
