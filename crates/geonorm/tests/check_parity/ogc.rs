//! The OGC KML 2.2 conformance suite's verdicts (testdata/kml/ogc-conformance/
//! expected-results.tsv) and what geonorm must say for each.

use std::fs;
use std::path::{Path, PathBuf};

use geonorm::validate::{CheckOptions, Profile};
use geonorm::Severity;

use crate::common::testdata;

/// Codes that say a file breaks a rule of the KML 2.2 standard, whatever their
/// severity for a map: a file the suite calls valid must give none of them.
const KML_RULES: [&str; 10] = [
    "kml/empty-placemark",
    "kml/empty-folder",
    "kml/bad-box",
    "kml/bad-style-map",
    "kml/bad-field-type",
    "kml/missing-schema",
    "kml/bad-typed-value",
    "kml/duplicate-data",
    "kml/lookat-altitude",
    "kml/ring-not-closed",
];

/// What geonorm says about one of the suite's files.
enum Expect {
    /// No error and no finding of `KML_RULES`.
    Valid,
    /// A finding of this code whose message holds this fragment: the suite's reason.
    Invalid(&'static str, &'static str),
    /// geonorm does not find the suite's reason. It gives exactly these codes (any
    /// severity, sorted, each once), so that a change shows; the text says why.
    Differs(&'static [&'static str], &'static str),
    /// The suite gives no single verdict for the file.
    Mixed(&'static str),
}

use Expect::{Differs, Invalid, Mixed, Valid};

const NOT_FETCHED: &str = "needs the linked file fetched and checked; geonorm reads one \
                           file and never fetches, and the element is reported as not \
                           representable on a MapHub map";
const NOT_IMAGE: &str = "needs the image read (or the image pyramid's parameters); \
                         geonorm reports the PhotoOverlay as not representable";

/// Every row of the TSV: the file (relative to the fastkml copy, or the ets-kml22 file
/// name), the suite's verdict and message (as the TSV has them), and geonorm's answer.
const ROWS: [(&str, &str, &str, Expect); 46] = [
    ("kml/KML_Samples.kml", "valid", "", Valid),
    ("kml/emptyPlacemarkWithoutId.xml", "invalid", "is empty and does not have an @id attribute", Invalid("kml/empty-placemark", "a Placemark is empty and has no id")),
    ("kml/features/Placemark-Author.xml", "valid", "", Valid),
    ("kmz/small_world.kmz", "valid", "", Valid),
    ("kml/links/NetworkLink-relativeRef.xml", "valid", "", Valid),
    ("kml/links/NetworkLink-NotFound.xml", "invalid", "Link element does not refer to a KML or KMZ resource", Differs(&["kml/not-representable"], NOT_FETCHED)),
    ("kml/links/GroundOverlay-httpRef.xml", "valid", "", Valid),
    ("kml/links/Update-Placemark.xml", "valid", "", Valid),
    ("kml/links/Update-NoTarget.xml", "invalid", "Failed to parse KML resource ... does-not-exist.kml", Differs(&["kml/not-representable"], NOT_FETCHED)),
    ("kml/features/PhotoOverlay.xml", "valid", "", Valid),
    ("kml/features/PhotoOverlay-NotImage.xml", "invalid", "Failed to read image data (1 error)", Differs(&["kml/not-representable"], NOT_IMAGE)),
    ("kml/spatial/LatLonAltBox-SgtN.xml", "invalid", "kml:north must be greater than kml:south (1 error)", Invalid("kml/bad-box", "north 10 is not greater than south 11")),
    ("kml/spatial/Placemark-TruncatedLineString.xml", "invalid", "kml:LineString contains less than the required two or more coordinate tuples", Invalid("geometry/short-line", "a line has 1 position; it needs two or more")),
    ("kml/spatial/invalidPolygonBoundary.xml", "invalid", "Inner boundary of Polygon is not within outer boundary", Invalid("geometry/hole-outside", "a polygon's hole is not inside its outer ring")),
    ("kml/models/Model-ResourceMap.xml", "valid", "", Valid),
    ("kml/models/Model-ResourceMap-Invalid.xml", "invalid", "2 errors", Differs(&["kml/not-representable"], NOT_FETCHED)),
    ("kml/models/Model-AliasTargetMissing.xml", "invalid", "Link referent not found ... 03.jpg", Differs(&["kml/not-representable"], NOT_FETCHED)),
    ("kml/spatial/LineString-ClampToGround.xml", "valid", "", Valid),
    ("kml/spatial/LineString-Tessellate.xml", "valid", "", Valid),
    ("kml/spatial/Polygon-Absolute.xml", "invalid", "has kml:altitudeMode not equal to \"clampToGround\"", Differs(&["kml/clockwise-ring"], "the rule (a tessellated Polygon must be clamped to the ground?) could not be read from the suite's test, and Google's KML_Samples.kml, which the suite calls valid, has the same construct; geonorm says only that its outer boundary is clockwise (an info)")),
    ("kml/models/model_relative_target.kml", "valid", "", Valid),
    ("kml/styles/styleUrl-fileRef.xml", "mixed", "styleUrl #1 ok; styleUrl #2 -> 1 error", Mixed("one styleUrl is right and one wrong, in a file geonorm does not fetch: no verdict for the file")),
    ("kml/styles/StyleMap-Ok.xml", "valid", "", Valid),
    ("kml/styles/StyleMap-Error.xml", "invalid", "kml:Pair is missing one or more required elements", Invalid("kml/bad-style-map", "a StyleMap Pair lacks its key or its style")),
    ("kml/styles/StyleMap-DuplicateKeys.xml", "invalid", "missing one or more required kml:Pair elements (with kml:key of \"normal\" and \"highlight\")", Invalid("kml/bad-style-map", "a StyleMap has no `highlight` Pair")),
    ("kml/custom/SimpleField-Ok.xml", "valid", "", Valid),
    ("kml/custom/SimpleField-UnsupportedType.xml", "invalid", "kml:SimpleField[@name=\"date\"] has an unsupported @type attribute value.", Invalid("kml/bad-field-type", "SimpleField `date` has type `xs:date`, which KML does not define")),
    ("kml/custom/SchemaData-Ok.xml", "valid", "", Valid),
    ("kml/custom/SchemaData-RemoteSchema.xml", "valid", "", Valid),
    ("kml/custom/SchemaData-NoSchema.xml", "invalid", "kml:SchemaData references a kml:Schema element that cannot be found", Invalid("kml/missing-schema", "which the document does not define")),
    ("kml/custom/SchemaData-InvalidDatum.xml", "invalid", "kml:SchemaData contains a kml:SimpleData value that does not correspond to the declared type", Invalid("kml/bad-typed-value", "is `1.234`, not a xsd:int")),
    ("kml/custom/Data-Ok.xml", "valid", "", Valid),
    ("kml/custom/Data-Duplicate.xml", "invalid", "kml:ExtendedData contains a kml:Data element with a non-unique @name", Invalid("kml/duplicate-data", "`holeNumber` appears twice")),
    ("kml/views/LookAt-Ok.xml", "valid", "", Valid),
    ("kml/views/LookAt-Error.xml", "invalid", "kml:LookAt is missing required kml:altitude element when kml:altitudeMode != \"clampToGround\"", Invalid("kml/lookat-altitude", "altitudeMode absolute has no altitude")),
    ("kml/views/LookAt-MissingAltitudeMode.xml", "valid", "", Valid),
    ("kml/views/LookAt-MissingAltitudeModeAndAltitude.xml", "valid", "", Valid),
    ("kml/views/LookAt-ClampToGround.xml", "valid", "", Valid),
    ("kml/links/Link.xml", "mixed", "level2: httpQuery ok; invalid kml:refreshMode (not \"onInterval\")", Mixed("one element right and one wrong, both in a Link that geonorm skips: no verdict for the file")),
    ("kml/links/Link-BadHttpQuery.xml", "invalid", "kml:httpQuery element does not contain a supported parameter", Differs(&["kml/ignored-element"], "geonorm does not read a Link's httpQuery: the Link is skipped, with an info")),
    ("kml/features/PhotoOverlay-PyramidWithoutHref.xml", "invalid", "kml:ImagePyramid and a kml:Icon/kml:href without the required parameters", Differs(&["kml/not-representable"], NOT_IMAGE)),
    ("kml/features/PhotoOverlay-HrefParamsWithoutImagePyramid.xml", "invalid", "contains kml:Icon/kml:href with parameters but kml:ImagePyramid not found", Differs(&["kml/not-representable"], NOT_IMAGE)),
    ("kml/features/Folder-Empty.xml", "invalid (level2)", "KML element is empty: Folder", Invalid("kml/empty-folder", "a folder is empty")),
    ("atom-feed.xml", "invalid", "schema validation error(s) detected (not a KML document)", Invalid("maphub/file-type", "not a KML, KMZ, GPX or GeoJSON file")),
    ("kml/LinearRingWith1DTuple.kml", "invalid (by name/content; no ETS assertion)", "third tuple is 1D (\"-118.0,\" then spaces)", Differs(&["geometry/lat-out-of-range"], "geonorm reads `lon, lat` with spaces after the comma (as Google Earth does), so `-118.0,  -118.0,50.0` is one tuple: the ring is rejected for its latitude -118, not for a 1D tuple")),
    ("kml/LinearRingWithInvalidLat.kml", "invalid (by name/content; no ETS assertion)", "latitude out of range (92); file comment wrongly says 1D tuple", Invalid("geometry/lat-out-of-range", "latitude 92 is outside -90 to 90")),
];

fn path_of(tsv_path: &str) -> (String, PathBuf) {
    match tsv_path.strip_prefix("cleder__fastkml/tests/ogc_conformance/data/") {
        Some(rel) => (rel.to_string(), testdata("kml/ogc-conformance").join(rel)),
        None => {
            let name = Path::new(tsv_path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name.clone(), testdata("kml/ets-kml22").join(name))
        }
    }
}

/// The suite's files with one verdict: how many it calls valid, how many invalid, and
/// on how many geonorm agrees (for the suite's reason).
pub fn figures() -> (usize, usize, usize) {
    let valid = ROWS.iter().filter(|r| matches!(r.3, Valid)).count();
    let agree = ROWS
        .iter()
        .filter(|r| matches!(r.3, Valid | Invalid(..)))
        .count();
    let invalid = ROWS.iter().filter(|r| r.1.starts_with("invalid")).count();
    (valid, invalid, agree)
}

/// The OGC files the suite calls valid, as paths: kml_files.rs reads them too.
#[test]
fn ogc_kml_verdicts_match_for_the_suites_reasons() {
    let tsv =
        fs::read_to_string(testdata("kml/ogc-conformance/expected-results.tsv")).expect("tsv");
    let rows: Vec<Vec<&str>> = tsv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("fixture_path"))
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(rows.len(), ROWS.len());
    let mut failures = Vec::new();
    for (cols, (rel, verdict, message, expect)) in rows.iter().zip(&ROWS) {
        let (tsv_rel, p) = path_of(cols[0]);
        assert_eq!(
            (tsv_rel.as_str(), cols.get(1).copied(), cols.get(2).copied()),
            (*rel, Some(*verdict), Some(*message)),
            "the table differs from the TSV"
        );
        // Mixed rows are checked for their place in the TSV above, not run.
        if let Mixed(why) = expect {
            assert!(verdict.starts_with("mixed") && !why.is_empty());
            continue;
        }
        let bytes = fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let mut opts = CheckOptions::new(Profile::Rfc7946, None);
        opts.read.name = Some(p.clone());
        let r = geonorm::check(bytes[..].into(), &opts).expect("read from memory");
        let ok = match expect {
            Valid => {
                assert_eq!(*verdict, "valid");
                !r.diagnostics
                    .iter()
                    .any(|d| d.severity == Severity::Error || KML_RULES.contains(&d.code.as_str()))
            }
            Invalid(code, fragment) => {
                assert!(verdict.starts_with("invalid"));
                r.diagnostics
                    .iter()
                    .any(|d| d.code.as_str() == *code && d.message.contains(fragment))
            }
            Differs(codes, why) => {
                assert!(verdict.starts_with("invalid") && !why.is_empty());
                let mut got: Vec<&str> = r.diagnostics.iter().map(|d| d.code.as_str()).collect();
                got.sort();
                got.dedup();
                got == *codes
            }
            Mixed(_) => unreachable!(),
        };
        if !ok {
            failures.push(format!(
                "{rel}: {verdict}; geonorm: {:?}",
                r.diagnostics
                    .iter()
                    .map(|d| format!("{} {:?}: {}", d.code.as_str(), d.severity, d.message))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // 20 valid and 24 invalid (2 mixed besides); geonorm agrees on 34, for the reason the
    // suite gives; the other 10 are the `Differs` rows.
    assert_eq!(figures(), (20, 24, 34));
}
