//! The batched GeoJSON stream hands on what reading one feature at a time on one
//! thread hands on (the reference below, the reader before the stream was batched):
//! the same features, each with the same findings, and the same document, groups and
//! diagnostics at the end, for any number of threads and wherever batches are cut.

use proptest::prelude::*;

use super::{resolve_group_names, Item, LateGroupNames, Reader};
use crate::stream::{AsRead, FeatureSink, Pace, StreamEnd};
use crate::{Diagnostic, Document, Feature, Result};

/// The whole document read one feature at a time on this thread.
pub(crate) fn read_one_by_one(input: &[u8]) -> Result<(Document, Vec<Diagnostic>)> {
    let mut reader = Reader::new(input);
    let mut doc = Document::default();
    for item in reader.by_ref() {
        match item? {
            Item::Group(g) => doc.groups.push(g),
            Item::Feature(f) => doc.features.push(f),
        }
    }
    let index = reader.group_index().clone();
    let (meta, mut diags) = reader.into_parts();
    doc.meta = meta;
    resolve_group_names(&mut doc, &index, &mut diags);
    Ok((doc, diags))
}

/// The stream read one feature at a time on this thread: each feature through `sink`,
/// then to `emit` with the reader's findings since the last one and the sink's.
fn stream_one_by_one<S, E>(input: &[u8], sink: &S, mut emit: E) -> Result<StreamEnd>
where
    S: FeatureSink,
    E: FnMut(S::Out, &[Diagnostic]) -> Result<()>,
{
    let mut reader = Reader::new(input);
    let mut groups = Vec::new();
    let mut late = LateGroupNames::default();
    let mut mapped = Vec::new();
    let mut seen = 0;
    while let Some(item) = reader.next() {
        match item? {
            Item::Group(g) => groups.push(g),
            Item::Feature(f) => {
                late.note(&f);
                let mut said = Vec::new();
                let out = sink.map(f, &mut said)?;
                let mut own = reader
                    .diagnostics()
                    .get(seen..)
                    .unwrap_or_default()
                    .to_vec();
                seen = reader.diagnostics().len();
                own.extend(said.iter().cloned());
                mapped.append(&mut said);
                emit(out, &own)?;
            }
        }
    }
    let index = reader.group_index().clone();
    let (meta, mut diags) = reader.into_parts();
    let (groups, _) = late.resolve(groups, &index, &mut diags);
    diags.append(&mut mapped);
    Ok(StreamEnd {
        meta,
        groups,
        diagnostics: diags,
        kmz: None,
    })
}

/// A sink that says something of every feature, to see its words handed on in order.
struct Saying;

impl FeatureSink for Saying {
    type Out = Feature;
    fn map(&self, feature: Feature, diagnostics: &mut Vec<Diagnostic>) -> Result<Feature> {
        diagnostics
            .push(Diagnostic::new(crate::Code::GeojsonInvalidFeature, "seen").at(feature.span));
        Ok(feature)
    }
}

/// What a stream handed on, and how it ended (the error's text).
type Handed = (
    Vec<(Feature, Vec<Diagnostic>)>,
    std::result::Result<String, String>,
);

fn handed(
    run: impl FnOnce(&mut dyn FnMut(Feature, &[Diagnostic]) -> Result<()>) -> Result<StreamEnd>,
) -> Handed {
    let mut got = Vec::new();
    let end = run(&mut |f, d| {
        got.push((f, d.to_vec()));
        Ok(())
    });
    let end = end
        .map(|r| format!("{:?} {:?} {:?}", r.meta, r.groups, r.diagnostics))
        .map_err(|e| e.to_string());
    (got, end)
}

/// Every way of reading `bytes` as a batched stream agrees with the reference.
fn agree(bytes: &[u8], what: &str) {
    let whole = read_one_by_one(bytes).map_err(|e| e.to_string());
    let one = handed(|emit| stream_one_by_one(bytes, &Saying, emit));
    for (threads, batch) in [(1, usize::MAX), (1, 1), (3, 1), (3, 700), (2, 2 << 20)] {
        let pace = Pace { threads, batch };
        let read = super::read_paced(bytes, pace).map_err(|e| e.to_string());
        assert_eq!(
            read, whole,
            "{what}: read on {threads} threads, batches of {batch}"
        );
        let streamed = handed(|emit| super::stream(bytes, pace, &Saying, emit));
        assert_eq!(
            streamed, one,
            "{what}: stream on {threads} threads, batches of {batch}"
        );
        let kept = handed(|emit| super::stream(bytes, pace, &AsRead, emit));
        let kept_one = handed(|emit| stream_one_by_one(bytes, &AsRead, emit));
        assert_eq!(kept, kept_one, "{what}: kept on {threads} threads");
    }
}

#[test]
fn every_testdata_file_streams_as_it_reads_one_feature_at_a_time() {
    let mut seen = 0;
    for p in crate::testdata::files(&["geojson", "json"]) {
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        agree(&bytes, &p.display().to_string());
        seen += 1;
    }
    assert!(seen > 50, "GeoJSON files seen: {seen}");
}

/// A GeoJSON collection with groups declared before, between or after the features
/// that name them (by id, string id, title path), broken and skipped features, and
/// root members of every kind.
pub(crate) fn geojson_doc() -> impl Strategy<Value = String> {
    let group = (0u8..4).prop_map(|i| format!("{{\"id\":\"g{i}\",\"title\":\"T{i}\"}}"));
    let groups =
        prop::collection::vec(group, 0..4).prop_map(|gs| format!("\"groups\":[{}]", gs.join(",")));
    let feature = prop_oneof![
        4 => (-90i32..90, 0u8..5).prop_map(|(v, g)| {
            let group = match g {
                0 => ",\"group\":\"g1\"".to_string(),
                1 => ",\"group\":\"T2\"".to_string(),
                2 => ",\"group\":\"New/Path\"".to_string(),
                3 => format!(",\"group\":{}", v.unsigned_abs() % 3),
                _ => String::new(),
            };
            format!("{{\"type\":\"Feature\",\"properties\":{{\"title\":\"p{v}\"{group}}},\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{v}.5,{}.25]}}}}", v / 2)
        }),
        1 => Just("{\"type\":\"Feature\",\"properties\":null,\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1,2]]}}".to_string()),
        1 => Just("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Pointy\",\"coordinates\":[1,2]}}".to_string()),
        1 => Just("{\"type\":\"Feature\",\"properties\":{\"a\":1,\"a\":2},\"geometry\":null}".to_string()),
        1 => Just("[1,2]".to_string()),
        1 => Just("{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Point\",\"coordinates\":[1.123456789,2]}}".to_string()),
    ];
    let features = prop::collection::vec(feature, 0..20)
        .prop_map(|fs| format!("\"features\":[{}]", fs.join(",\n")));
    let extra = prop_oneof![
        Just("\"name\":\"m\"".to_string()),
        Just("\"crs\":{}".to_string()),
        Just("\"groups\":7".to_string()),
        Just("\"type\":\"FeatureCollection\"".to_string()),
    ];
    (
        groups,
        features,
        prop::collection::vec(extra, 0..3),
        0u8..3,
        any::<bool>(),
    )
        .prop_map(|(groups, features, extra, order, typed)| {
            let mut members = extra;
            if typed {
                members.insert(0, "\"type\":\"FeatureCollection\"".to_string());
            }
            match order {
                0 => members.extend([groups, features]),
                1 => members.extend([features, groups]),
                _ => members.push(features),
            }
            format!("{{{}}}", members.join(",\n"))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn random_geojson_streams_the_same_however_it_is_cut(doc in geojson_doc(), cut in 0usize..100) {
        agree(doc.as_bytes(), &doc);
        // A file cut short fails the same way, however it is read.
        let short = &doc.as_bytes()[..doc.len() * cut / 100];
        agree(short, "a cut GeoJSON");
    }

    #[test]
    fn a_root_feature_or_geometry_streams_the_same(v in -90i32..90, feature in any::<bool>()) {
        let geometry = format!("{{\"type\":\"Point\",\"coordinates\":[{v},1]}}");
        let doc = if feature {
            format!("{{\"type\":\"Feature\",\"properties\":{{\"group\":\"x\"}},\"geometry\":{geometry}}}")
        } else {
            geometry
        };
        agree(doc.as_bytes(), &doc);
    }
}
