//! The converter never makes a file worse: for every map file in testdata/, converted to
//! each format geonorm writes (GeoJSON, KML, KMZ, GPX) and that output back to GeoJSON,
//! `check --profile rfc7946` on what geonorm wrote finds, for every error code and
//! every code of broken geometry ([`BROKEN`]), no more findings than on the input: per
//! feature where the output's features can be paired with the input's, else per file.
//! And the output holds what the writer says it wrote: read back, as many features and
//! groups as the document it was given, but for what a `write/` diagnostic reports.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs;
use std::path::PathBuf;

use geonorm::validate::{check, CheckOptions, Profile};
use geonorm::{Code, Diagnostic, Document, Feature, Format, Geometry, Severity};

mod common;

/// Warnings (and one info) that mean broken geometry: a writer must not add them, though
/// they are not errors. Each with why it counts. Every error is counted besides (by its
/// code): out-of-range latitudes and longitudes, short lines and rings, unclosed rings,
/// holes outside their ring, positions that cannot be read. geonorm has no code for a
/// self-intersecting ring, so none is counted. Codes of the same problem in different
/// formats share a class (the first member), so that a problem the output names in its
/// own format is compared with the input's.
const BROKEN: &[(Code, &str, &str)] = &[
    (
        Code::GeometryRingNotClosed,
        "ring-not-closed",
        "an error: a ring that does not end where it starts",
    ),
    (
        Code::KmlRingNotClosed,
        "ring-not-closed",
        "the same, as the KML reader says it (and closes the ring)",
    ),
    (
        Code::GeojsonRightHandRule,
        "right-hand-rule",
        "a ring wound against RFC 7946 §3.1.6: a writer that reverses rings",
    ),
    (
        Code::GeometryDegenerateLine,
        "geometry/degenerate-line",
        "a line whose positions are all one: it does not show",
    ),
    (
        Code::GeometryEmpty,
        "empty-geometry",
        "a geometry without positions",
    ),
    (
        Code::KmlEmptyGeometry,
        "empty-geometry",
        "the same, as the KML reader says it",
    ),
    (
        Code::GeojsonEmptyPoint,
        "empty-geometry",
        "the same, for a GeoJSON Point",
    ),
    (
        Code::GpxEmptyTrack,
        "empty-geometry",
        "the same, for a GPX route or track",
    ),
    (
        Code::GeometryMissing,
        "geometry/missing",
        "a feature without geometry: it is not on the map",
    ),
    (
        Code::GeometryRepeatedPosition,
        "geometry/repeated-position",
        "a position given twice in a row (info): a writer that duplicates positions",
    ),
    (
        Code::GeometryAntimeridian,
        "geometry/antimeridian",
        "a jump over 180° of longitude: a writer that moved a longitude",
    ),
    (
        Code::KmlPointExtraCoordinates,
        "kml/point-extra-coordinates",
        "a Point with several positions: all but one are lost",
    ),
    (
        Code::KmlExtraOrdinates,
        "extra-ordinates",
        "a position with more than three numbers",
    ),
    (
        Code::GeojsonExtraOrdinates,
        "extra-ordinates",
        "the same, in GeoJSON",
    ),
    (
        Code::KmlMultipleGeometries,
        "kml/multiple-geometries",
        "a Placemark with several geometries, which KML does not allow",
    ),
    (
        Code::KmlTrackMismatch,
        "kml/track-mismatch",
        "a track whose times or values do not match its positions: they are dropped",
    ),
    (
        Code::GeojsonNestedCollection,
        "geojson/nested-collection",
        "a GeometryCollection inside another",
    ),
    (
        Code::GeojsonSingleCollection,
        "geojson/single-collection",
        "a GeometryCollection of one geometry",
    ),
    (
        Code::GpxEmptySegment,
        "gpx/empty-segment",
        "a track segment without points",
    ),
    (
        Code::GeometryShortLine,
        "short-line",
        "an error: a line of fewer than two positions",
    ),
    (
        Code::GpxSinglePointTrack,
        "short-line",
        "the same, as the GPX reader says it (a route, track or segment of one point)",
    ),
];

/// The class a finding is counted in, or `None` when it is not counted: every error
/// (by its code), and the broken geometry of [`BROKEN`]. The right-hand rule is a rule
/// of GeoJSON alone: KML and GPX inputs have no winding to compare with.
fn class(d: &Diagnostic, input: Format) -> Option<&'static str> {
    if d.code == Code::GeojsonRightHandRule && input != Format::GeoJson {
        return None;
    }
    if let Some((_, class, _)) = BROKEN.iter().find(|(c, _, _)| *c == d.code) {
        return Some(class);
    }
    (d.severity == Severity::Error).then(|| d.code.as_str())
}

/// What `check --profile rfc7946` finds in `bytes`, and the features geonorm reads
/// there (whose spans place each finding in a feature).
fn checked(bytes: &[u8], format: Format) -> (Vec<Diagnostic>, Vec<Feature>) {
    let opts = CheckOptions {
        profile: Profile::Rfc7946,
        format: Some(format),
        name: None,
    };
    let diags = check(bytes, None, &opts).diagnostics;
    let features = geonorm::read(bytes, &geonorm::ReadOptions::format(format))
        .map(|p| p.document.features)
        .unwrap_or_default();
    (diags, features)
}

/// What pairs an output feature with an input one: title and kind of geometry (not the
/// number of positions: a reader may close a ring the input left open).
type FeatureKey = (Option<String>, Option<geonorm::GeometryKind>);

fn feature_key(f: &Feature) -> FeatureKey {
    (f.title.clone(), f.geometry.as_ref().map(Geometry::kind))
}

/// For each output feature, the input feature it was written from, when every output
/// feature pairs with a distinct input one and none is left over (a writer may reorder:
/// KML writes features folder by folder, GPX waypoints before tracks).
fn pair(input: &[Feature], output: &[Feature]) -> Option<Vec<usize>> {
    if input.len() != output.len() {
        return None;
    }
    let mut free: HashMap<FeatureKey, VecDeque<usize>> = HashMap::new();
    for (i, f) in input.iter().enumerate() {
        free.entry(feature_key(f)).or_default().push_back(i);
    }
    output
        .iter()
        .map(|f| free.get_mut(&feature_key(f))?.pop_front())
        .collect()
}

/// The feature whose source holds the finding, if any.
fn feature_of(d: &Diagnostic, features: &[Feature]) -> Option<usize> {
    let at = d.span?.start;
    features
        .iter()
        .position(|f| f.span.start <= at && at < f.span.end)
}

/// Counted findings by (input feature, class); the feature is `None` when the features
/// could not be paired, or the finding is in none.
type Tally = BTreeMap<(Option<usize>, &'static str), usize>;

fn tally(
    diags: &[Diagnostic],
    features: &[Feature],
    to_input: Option<&[usize]>,
    input: Format,
) -> Tally {
    let mut t = Tally::new();
    for d in diags {
        let Some(c) = class(d, input) else { continue };
        let feature = to_input.and_then(|map| feature_of(d, features).map(|i| map[i]));
        *t.entry((feature, c)).or_default() += 1;
    }
    t
}

/// How many findings of `key`'s class the output may have: as many as the input. And
/// one repeated position more for each ring the input left open: a ring whose last
/// position differs from its first only in altitude is closed by the KML reader by
/// repeating the first, which repeats it in longitude and latitude (the repair
/// `kml/ring-not-closed` describes, not a writer's doing).
fn allowed(before: &Tally, key: &(Option<usize>, &'static str)) -> usize {
    let had = |class| before.get(&(key.0, class)).copied().unwrap_or(0);
    match key.1 {
        "geometry/repeated-position" => had(key.1) + had("ring-not-closed"),
        class => had(class),
    }
}

/// What the output has more of than the input, how many findings were compared, and
/// whether they were compared feature by feature.
fn worse(
    input: (&[u8], Format),
    output: (&[u8], Format),
    baseline: &(Vec<Diagnostic>, Vec<Feature>),
) -> (Vec<String>, usize, bool) {
    let (in_diags, in_features) = baseline;
    let (out_diags, out_features) = checked(output.0, output.1);
    let pairs = pair(in_features, &out_features);
    let by_feature = pairs.is_some();
    let identity: Vec<usize> = (0..in_features.len()).collect();
    let in_map = pairs.as_ref().map(|_| &identity[..]);
    let before = tally(in_diags, in_features, in_map, input.1);
    let after = tally(&out_diags, &out_features, pairs.as_deref(), input.1);
    let more = after
        .iter()
        .filter(|(k, n)| **n > allowed(&before, k))
        .map(|((feature, class), n)| {
            let had = allowed(&before, &(*feature, class));
            let place = feature.map_or("the file".to_string(), |i| format!("feature {i}"));
            format!("{class} in {place}: {had} → {n}")
        })
        .collect();
    let compared = before.values().sum::<usize>() + after.values().sum::<usize>();
    (more, compared, by_feature)
}

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
        let report = geonorm::check(
            &bytes,
            &CheckOptions {
                name: Some(p.clone()),
                ..Default::default()
            },
        );
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
    // Measured when this was written: 432 files read (and the unreadable ones above),
    // 2,694 of the 3,024 outputs paired feature by feature, 13,287 findings compared.
    assert!(files.len() >= 432, "only {} files read", files.len());
    assert_eq!(conversions, files.len() * TARGETS.len());
    assert!(
        by_feature >= 2694,
        "only {by_feature} outputs compared by feature"
    );
    assert!(compared >= 13287, "only {compared} findings compared");
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
    let far =
        |lat| format!("<Placemark><Point><coordinates>8,{lat}</coordinates></Point></Placemark>");
    let input = kml(&[far(95), far(46)]);
    let baseline = checked(&input, Format::Kml);
    let output = kml(&[far(95), far(96)]);
    let (more, _, _) = worse((&input, Format::Kml), (&output, Format::Kml), &baseline);
    assert_eq!(more, ["geometry/lat-out-of-range in feature 1: 0 → 1"]);
}

/// Whether the writer named the feature (by its span) in a `write/` diagnostic.
fn named(diags: &[Diagnostic], f: &Feature) -> bool {
    diags
        .iter()
        .any(|d| d.code == Code::WriteNotRepresentable && d.span == Some(f.span))
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
                let says = format!(
                    "GPX has no groups: {} group(s) not written",
                    doc.groups.len()
                );
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
