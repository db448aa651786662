//! The converter never makes a file worse, as `tests/never_worse.rs` and the property
//! test of `tests/roundtrip_prop.rs` judge it: findings counted by class (every error by
//! its code, and the warnings of broken geometry), per feature where the features pair.

use std::collections::{BTreeMap, HashMap, VecDeque};

use geonorm::validate::{CheckOptions, Profile};
use geonorm::{Code, Diagnostic, Feature, Format, Geometry, Severity};

/// Warnings (and one info) that mean broken geometry: a writer must not add them, though
/// they are not errors. Each with why it counts. Every error is counted besides (by its
/// code): out-of-range latitudes and longitudes, short lines and rings, unclosed rings,
/// holes outside their ring, positions that cannot be read. geonorm has no code for a
/// self-intersecting ring, so none is counted. Codes of the same problem in different
/// formats share a class (the first member), so that a problem the output names in its
/// own format is compared with the input's.
pub const BROKEN: &[(Code, &str, &str)] = &[
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
pub fn class(d: &Diagnostic, input: Format) -> Option<&'static str> {
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
pub fn checked(bytes: &[u8], format: Format) -> (Vec<Diagnostic>, Vec<Feature>) {
    let opts = CheckOptions::new(Profile::Rfc7946, Some(format));
    let diags = geonorm::check(bytes.into(), &opts)
        .expect("read from memory")
        .diagnostics;
    let features = geonorm::read(bytes, &geonorm::ReadOptions::format(format))
        .map(|p| p.document.features)
        .unwrap_or_default();
    (diags, features)
}

/// What pairs an output feature with an input one: title and kind of geometry (not the
/// number of positions: a reader may close a ring the input left open).
pub type FeatureKey = (Option<String>, Option<geonorm::GeometryKind>);

pub fn feature_key(f: &Feature) -> FeatureKey {
    (f.title.clone(), f.geometry.as_ref().map(Geometry::kind))
}

/// For each feature of one side, the input feature it is (`None`: told apart from none).
pub type Pairing = Vec<Option<usize>>;

/// For each output feature, the input feature it was written from, when the output's
/// features are the input's (the same keys, as many of each; a writer may reorder: KML
/// writes features folder by folder, GPX waypoints before tracks). A key that several
/// features share cannot tell them apart, so those features pair with none (`None`: their
/// findings are counted for the file), on both sides; `.0` maps the input's own features.
pub fn pair(input: &[Feature], output: &[Feature]) -> Option<(Pairing, Pairing)> {
    if input.len() != output.len() {
        return None;
    }
    let mut free: HashMap<FeatureKey, VecDeque<usize>> = HashMap::new();
    for (i, f) in input.iter().enumerate() {
        free.entry(feature_key(f)).or_default().push_back(i);
    }
    let unique = |k: &FeatureKey| free.get(k).is_some_and(|v| v.len() == 1);
    let in_map = input
        .iter()
        .enumerate()
        .map(|(i, f)| unique(&feature_key(f)).then_some(i))
        .collect();
    let mut taken: HashMap<FeatureKey, usize> = HashMap::new();
    let mut out_map = Vec::with_capacity(output.len());
    for f in output {
        let key = feature_key(f);
        let candidates = free.get(&key)?;
        let n = taken.entry(key).or_default();
        let i = *candidates.get(*n)?;
        *n += 1;
        out_map.push((candidates.len() == 1).then_some(i));
    }
    Some((in_map, out_map))
}

/// The feature whose source holds the finding, if any.
pub fn feature_of(d: &Diagnostic, features: &[Feature]) -> Option<usize> {
    let at = d.span?.start;
    features
        .iter()
        .position(|f| f.span.start <= at && at < f.span.end)
}

/// Counted findings by (input feature, class); the feature is `None` when the features
/// could not be paired, or the finding is in none.
pub type Tally = BTreeMap<(Option<usize>, &'static str), usize>;

pub fn tally(
    diags: &[Diagnostic],
    features: &[Feature],
    to_input: Option<&[Option<usize>]>,
    input: Format,
) -> Tally {
    let mut t = Tally::new();
    for d in diags {
        let Some(c) = class(d, input) else { continue };
        let feature = to_input.and_then(|map| feature_of(d, features).and_then(|i| map[i]));
        *t.entry((feature, c)).or_default() += 1;
    }
    t
}

/// How many findings of `key`'s class the output may have: as many as the input. And
/// one repeated position more for each ring the input left open: a ring whose last
/// position differs from its first only in altitude is closed by the KML reader by
/// repeating the first, which repeats it in longitude and latitude (the repair
/// `kml/ring-not-closed` describes, not a writer's doing).
pub fn allowed(before: &Tally, key: &(Option<usize>, &'static str)) -> usize {
    let had = |class| before.get(&(key.0, class)).copied().unwrap_or(0);
    match key.1 {
        "geometry/repeated-position" => had(key.1) + had("ring-not-closed"),
        class => had(class),
    }
}

/// What the output has more of than the input, how many findings were compared, and
/// whether they were compared feature by feature.
pub fn worse(
    input: (&[u8], Format),
    output: (&[u8], Format),
    baseline: &(Vec<Diagnostic>, Vec<Feature>),
) -> (Vec<String>, usize, bool) {
    let (in_diags, in_features) = baseline;
    let (out_diags, out_features) = checked(output.0, output.1);
    let pairs = pair(in_features, &out_features);
    let by_feature = pairs.is_some();
    let before = tally(
        in_diags,
        in_features,
        pairs.as_ref().map(|p| &p.0[..]),
        input.1,
    );
    let after = tally(
        &out_diags,
        &out_features,
        pairs.as_ref().map(|p| &p.1[..]),
        input.1,
    );
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
