//! The converter never makes a file worse: for every map file in testdata/, converted to
//! each format geonorm writes (GeoJSON, KML, KMZ, GPX) and that output back to GeoJSON,
//! `check --profile rfc7946` on what geonorm wrote finds, for every error code and
//! every code of broken geometry (`common::worse::BROKEN`), no more findings than on the input: per
//! feature where the output's features can be paired with the input's, else per file.
//! And the output holds what the writer says it wrote: read back, as many features and
//! groups as the document it was given, but for what a `write/` diagnostic reports.

use std::fs;
use std::path::PathBuf;

use geonorm::validate::CheckOptions;
use geonorm::{Code, Diagnostic, Document, Feature, Format, Geometry};

mod common;

use common::worse::{checked, worse};

/// A file geonorm reads: its path, bytes, format and document.
type Readable = (PathBuf, Vec<u8>, Format, Document);

const TARGETS: [Format; 4] = [Format::GeoJson, Format::Kml, Format::Gpx, Format::Kmz];

/// Every map file of testdata/ that geonorm reads, with its format and document; the
/// others listed with why (a file no reader takes whole cannot be converted).
fn corpus() -> (Vec<Readable>, Vec<PathBuf>) {
    let files = common::testdata_files(&["kml", "kmz", "gpx", "geojson", "json", "xml"], 400);
    let (mut read, mut unreadable) = (Vec::new(), Vec::new());
    for p in files {
        let bytes = fs::read(&p).expect("read");
        let doc = Format::detect(&bytes, Some(&p)).and_then(|format| {
            geonorm::read(&bytes[..], &geonorm::ReadOptions::format(format))
                .ok()
                .map(|parsed| (format, parsed.document))
        });
        match doc {
            Some((format, doc)) => read.push((p, bytes, format, doc)),
            None => unreadable.push(p),
        }
    }
    (read, unreadable)
}

#[test]
fn output_has_no_finding_the_input_did_not_have() {
    let (files, unreadable) = corpus();
    // A file no reader takes whole is not converted; check says why, with an error.
    for p in &unreadable {
        let bytes = fs::read(p).expect("read");
        let mut opts = CheckOptions::default();
        opts.read.name = Some(p.clone());
        let report = geonorm::check(bytes[..].into(), &opts).expect("read from memory");
        assert!(
            report.has_errors(),
            "{}: not read, yet check finds no error",
            p.display()
        );
    }
    let mut worse_ones = Vec::new();
    let (mut conversions, mut compared, mut by_feature) = (0, 0, 0);
    for (p, bytes, format, doc) in &files {
        let baseline = checked(bytes, *format);
        for target in TARGETS {
            let mut out = Vec::new();
            geonorm::write(doc, target, &mut out, &Default::default())
                .unwrap_or_else(|e| panic!("{}: {target} not written: {e}", p.display()));
            conversions += 1;
            let mut report = |stage: String, output: &[u8], as_format: Format| {
                let (more, n, paired) = worse((bytes, *format), (output, as_format), &baseline);
                compared += n;
                by_feature += usize::from(paired);
                if !more.is_empty() {
                    worse_ones.push(format!("{} {stage}: {}", p.display(), more.join("; ")));
                }
            };
            report(format!("→ {target}"), &out, target);
            if target == Format::GeoJson {
                continue;
            }
            let back = geonorm::read(&out[..], &geonorm::ReadOptions::format(target))
                .unwrap_or_else(|e| panic!("{} → {target}: output unreadable: {e}", p.display()))
                .document;
            let mut json = Vec::new();
            geonorm::write(&back, Format::GeoJson, &mut json, &Default::default())
                .expect("GeoJSON writes");
            report(format!("→ {target} → geojson"), &json, Format::GeoJson);
        }
    }
    eprintln!(
        "{} files ({} unreadable), {conversions} conversions, {by_feature} outputs compared feature by feature, {compared} findings compared",
        files.len(),
        unreadable.len()
    );
    // Measured when this was written: 433 files read (and the unreadable ones above),
    // 2,695 outputs paired feature by feature, 13,259 findings compared (fewer than
    // the 13,287 before rings were written wound as the target wants: an output's
    // right-hand-rule warnings are gone).
    assert!(files.len() >= 432, "only {} files read", files.len());
    assert_eq!(conversions, files.len() * TARGETS.len());
    assert!(
        by_feature >= 2694,
        "only {by_feature} outputs compared by feature"
    );
    assert!(compared >= 13259, "only {compared} findings compared");
    assert!(
        worse_ones.is_empty(),
        "{} conversions made the file worse:\n{}",
        worse_ones.len(),
        worse_ones.join("\n")
    );
}

/// A polygon placemark of KML, its ring closed or not.
fn polygon(name: &str, closed: bool) -> String {
    let end = if closed { " 8,46" } else { "" };
    format!(
        "<Placemark><name>{name}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>\
         8,46 9,46 9,47 8,47{end}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
    )
}

fn kml(placemarks: &[String]) -> Vec<u8> {
    format!(
        r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{}</Document></kml>"#,
        placemarks.concat()
    )
    .into_bytes()
}

/// The comparison has teeth: a warning of broken geometry the output adds is caught, in
/// the file when features cannot be paired, and in its feature when they can, though
/// the file has as many as before.
#[test]
fn an_output_with_one_more_unclosed_ring_is_worse() {
    let input = kml(&[polygon("a", true), polygon("b", false)]);
    let baseline = checked(&input, Format::Kml);
    let same = worse((&input, Format::Kml), (&input, Format::Kml), &baseline);
    assert_eq!(same, (vec![], 2, true));

    let extra = kml(&[polygon("a", true), polygon("b", false), polygon("c", false)]);
    let (more, _, by_feature) = worse((&input, Format::Kml), (&extra, Format::Kml), &baseline);
    assert!(!by_feature);
    assert_eq!(more, ["ring-not-closed in the file: 1 → 2"]);

    // One ring closed, the other opened: the same count in the file, but not per feature.
    let moved = kml(&[polygon("a", false), polygon("b", true)]);
    let (more, _, by_feature) = worse((&input, Format::Kml), (&moved, Format::Kml), &baseline);
    assert!(by_feature);
    assert_eq!(more, ["ring-not-closed in feature 0: 0 → 1"]);

    // An error is counted by code: a second out-of-range latitude is caught.
    let far = |name, lat| {
        format!("<Placemark><name>{name}</name><Point><coordinates>8,{lat}</coordinates></Point></Placemark>")
    };
    let input = kml(&[far("a", 95), far("b", 46)]);
    let baseline = checked(&input, Format::Kml);
    let output = kml(&[far("a", 95), far("b", 96)]);
    let (more, _, _) = worse((&input, Format::Kml), (&output, Format::Kml), &baseline);
    assert_eq!(more, ["geometry/lat-out-of-range in feature 1: 0 → 1"]);

    // Features that share title and kind cannot be told apart: theirs count for the file.
    let input = kml(&[far("a", 95), far("a", 46)]);
    let baseline = checked(&input, Format::Kml);
    let output = kml(&[far("a", 95), far("a", 96)]);
    let (more, _, _) = worse((&input, Format::Kml), (&output, Format::Kml), &baseline);
    assert_eq!(more, ["geometry/lat-out-of-range in the file: 1 → 2"]);
}

/// Whether the writer named the feature (by its span) in a `write/` diagnostic.
/// Only the diagnostics that say how a feature's geometry was written (split, or not
/// written at all) count: a loss of a property stands at a feature too, and says nothing
/// of its GPX elements.
fn named(diags: &[Diagnostic], f: &Feature) -> bool {
    const SPLIT_OR_DROPPED: [&str; 3] = [
        "a MultiPoint is written as ",
        "has no geometry, which GPX cannot hold",
        "a GeometryCollection is written as separate waypoints and tracks",
    ];
    diags.iter().any(|d| {
        d.code == Code::WriteNotRepresentable
            && d.span == Some(f.span)
            && SPLIT_OR_DROPPED.iter().any(|m| d.message.contains(m))
    })
}

/// How many GPX elements (waypoints, routes, tracks) the GPX writer makes of a feature,
/// as its diagnostics say: none for a feature without geometry, a waypoint for each
/// point of a MultiPoint, and a collection's points as waypoints and its lines as one
/// track; one for anything else (areas go as a track along their outer ring).
fn gpx_elements(f: &Feature) -> usize {
    match &f.geometry {
        None => 0,
        Some(Geometry::MultiPoint(c)) => c.len(),
        Some(Geometry::GeometryCollection(gs)) => {
            // Collections inside it count as their members.
            fn leaves<'a>(gs: &'a [Geometry], out: &mut Vec<&'a Geometry>) {
                for g in gs {
                    match g {
                        Geometry::GeometryCollection(inner) => leaves(inner, out),
                        g => out.push(g),
                    }
                }
            }
            let mut all = Vec::new();
            leaves(gs, &mut all);
            let points: usize = all
                .iter()
                .map(|g| match g {
                    Geometry::Point(_) => 1,
                    Geometry::MultiPoint(c) => c.len(),
                    _ => 0,
                })
                .sum();
            let lines = all
                .iter()
                .any(|g| !matches!(g, Geometry::Point(_) | Geometry::MultiPoint(_)));
            points + usize::from(lines)
        }
        Some(_) => 1,
    }
}

/// Nothing goes missing between writing and reading back: the output of each writer
/// holds as many features and groups as the document it was given, but for what the
/// writer's diagnostics report (GPX has no groups and no feature without geometry, and
/// splits MultiPoints and collections; each such feature is named by a diagnostic).
#[test]
fn output_holds_what_the_writer_says_it_wrote() {
    let (files, _) = corpus();
    let mut lost = Vec::new();
    let (mut outputs, mut features, mut groups) = (0, 0, 0);
    for (p, _, _, doc) in &files {
        for target in TARGETS {
            let mut out = Vec::new();
            let diags = geonorm::write(doc, target, &mut out, &Default::default())
                .unwrap_or_else(|e| panic!("{}: {target} not written: {e}", p.display()));
            let back = geonorm::read(&out[..], &geonorm::ReadOptions::format(target))
                .unwrap_or_else(|e| panic!("{} → {target}: output unreadable: {e}", p.display()))
                .document;
            let (want_features, want_groups) = if target == Format::Gpx {
                for f in doc.features.iter().filter(|f| gpx_elements(f) != 1) {
                    if !named(&diags, f) {
                        lost.push(format!(
                            "{} → gpx: feature at {:?} unnamed",
                            p.display(),
                            f.span
                        ));
                    }
                }
                let says = match doc.groups.len() {
                    1 => "GPX has no groups: 1 group not written".to_string(),
                    n => format!("GPX has no groups: {n} groups not written"),
                };
                if !doc.groups.is_empty() && !diags.iter().any(|d| d.message.starts_with(&says)) {
                    lost.push(format!("{} → gpx: groups lost unsaid", p.display()));
                }
                (doc.features.iter().map(gpx_elements).sum(), 0)
            } else {
                (doc.features.len(), doc.groups.len())
            };
            if (back.features.len(), back.groups.len()) != (want_features, want_groups) {
                lost.push(format!(
                    "{} → {target}: {} features and {} groups read back, {want_features} and {want_groups} written",
                    p.display(),
                    back.features.len(),
                    back.groups.len()
                ));
            }
            outputs += 1;
            features += want_features;
            groups += want_groups;
        }
    }
    eprintln!("{outputs} outputs, {features} features and {groups} groups read back");
    // Measured when this was written: 18,973 features and 741 groups.
    assert_eq!(outputs, files.len() * TARGETS.len());
    assert!(files.len() >= 432, "only {} files read", files.len());
    assert!(features >= 18973, "only {features} features");
    assert!(groups >= 741, "only {groups} groups");
    assert!(
        lost.is_empty(),
        "{} outputs lost something:\n{}",
        lost.len(),
        lost.join("\n")
    );
}
