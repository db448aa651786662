//! The tests' reference engines: the check done the slow, plain way (a GeoJSON file one
//! feature at a time on one thread; a KML, KMZ or GPX document read whole, then
//! checked), which the streamed check must agree with (`stream_tests`).

use super::check::feature_geometry;
use super::maphub::{document_end, explains, stopped_by, MaphubRules};
use super::report::{fatal_diagnostic, Profile};
use crate::{Diagnostic, Error, Format};

/// GeoJSON read one feature at a time on one thread, with the RFC 7946 rules running
/// on every feature as it is read, then the rules on the whole document: what the
/// batched check ([`super::check::check_stream`]) must say, for the tests that hold it
/// to that.
/// `whole`: every feature through the rules whole ([`crate::geojson::rules::CheckMode::whole`]).
pub(super) fn check_geojson<R: std::io::BufRead>(
    input: R,
    profile: Profile,
    whole: bool,
    out: &mut Vec<Diagnostic>,
) -> std::io::Result<()> {
    use crate::geojson::read::{CheckMode, Item, Reader};
    let mut reader = Reader::new(input).checking(CheckMode {
        maphub: profile.maphub(),
        whole,
        ..CheckMode::default()
    });
    let mut tally = MaphubRules::new(profile);
    tally.late = Some(crate::geojson::read::LateGroupNames::default());
    let mut groups = Vec::new();
    let mut seen = 0;
    loop {
        match reader.next() {
            None => break,
            Some(Ok(Item::Group(g))) => groups.push(g),
            Some(Ok(Item::Feature(f))) => {
                let said = reader.diagnostics().get(seen..).unwrap_or_default();
                tally.feature(&f, explains(said, f.span), out);
                seen = reader.diagnostics().len();
            }
            Some(Err(Error::Io(e))) => return Err(e),
            Some(Err(e)) => {
                out.extend(reader.diagnostics().iter().cloned());
                let root = reader
                    .check_mode()
                    .map(|m| m.root.clone())
                    .unwrap_or_default();
                stopped_by(&e, root, out);
                return Ok(());
            }
        }
    }
    let mode = reader.check_mode().cloned().unwrap_or_default();
    let index = reader.group_index().clone();
    let (meta, diags) = reader.into_parts();
    out.extend(diags);
    let precise = mode.precision;
    let maphub = profile.maphub();
    document_end(tally, groups, &index, mode, precise, &meta, maphub, out);
    Ok(())
}

/// The reader, then the rules on the whole document it read: what the stream
/// ([`check_stream`]) must say, for the tests that hold it to that.
pub(super) fn check_document(
    bytes: &[u8],
    format: Format,
    profile: Profile,
    out: &mut Vec<Diagnostic>,
) {
    /// Keeps each feature with its positions' places, as the check's own sink does.
    struct KeepPlaces;
    impl crate::stream::FeatureSink for KeepPlaces {
        type Out = crate::Feature;
        fn map(&self, f: crate::Feature, _: &mut Vec<Diagnostic>) -> crate::Result<Self::Out> {
            Ok(f)
        }
        fn position_spans(&self) -> bool {
            true
        }
    }
    let mut features = Vec::new();
    let read = crate::stream(
        bytes.into(),
        &crate::ReadOptions::format(format),
        &KeepPlaces,
        |f, _| {
            features.push(f);
            Ok(())
        },
    );
    let (doc, reader_diags) = match read {
        Ok(rest) => (
            crate::Document {
                meta: rest.meta,
                groups: rest.groups,
                features,
            },
            rest.diagnostics,
        ),
        Err(e) => {
            out.push(fatal_diagnostic(format, &e));
            return;
        }
    };
    out.extend(reader_diags);
    for f in &doc.features {
        feature_geometry(f, out);
    }
    // Where each warning or error already said starts, sorted, so that each feature
    // finds its own by binary search (not by a pass over all of them).
    let mut said: Vec<usize> = out
        .iter()
        .filter(|d| d.severity >= crate::Severity::Warning)
        .filter_map(|d| d.span.map(|s| s.start))
        .collect();
    said.sort_unstable();
    let mut tally = MaphubRules::new(profile);
    for f in &doc.features {
        let first = said.partition_point(|&s| s < f.span.start);
        let explained = said.get(first).is_some_and(|&s| s < f.span.end);
        tally.feature(f, explained, out);
    }
    tally.finish(&doc.meta, &doc.groups, out);
}
