//! `check`: will MapHub take this file, and if not, where exactly is it wrong?
//!
//! A check reads the file as `convert` would (so every reader diagnostic counts), then
//! runs the rules of its profile: RFC 7946 structure on a GeoJSON file's JSON text,
//! geometry rules for every format, and MapHub's own limits and dialect.

mod geojson;
mod geometry;

use std::path::Path;

use serde_json::Value;

use crate::{
    Code, Diagnostic, Document, Error, Format, Geometry, Span, GROUP_SEPARATOR_LOOKALIKES,
    MAPHUB_MAX_UPLOAD_BYTES,
};

use geometry::CoordsSeq;

/// Twice the signed area of a ring (positive when counterclockwise).
pub(crate) fn signed_area_xy(xy: &[[f64; 2]]) -> f64 {
    geometry::signed_area(&CoordsSeq {
        xy,
        span: Span::default(),
    })
}

/// Which rules a check applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Profile {
    /// MapHub's public service: every rule, its 15 MB and 2-minute limits, its dialect.
    #[default]
    Maphub,
    /// A MapHub Enterprise server: as `Maphub`, without the size and time limits.
    Enterprise,
    /// RFC 7946 and the geometry rules alone.
    Rfc7946,
}

impl Profile {
    fn maphub(self) -> bool {
        self != Profile::Rfc7946
    }

    fn limits(self) -> bool {
        self == Profile::Maphub
    }
}

/// How to check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The rules to apply.
    pub profile: Profile,
    /// The format, when the content and the name do not tell.
    pub format: Option<Format>,
}

/// What a check found in one file.
#[derive(Debug, Clone)]
pub struct Report {
    /// The format the file was read as, if it could be told.
    pub format: Option<Format>,
    /// Every finding, in source order (findings without a position last).
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// True when some finding is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::Severity::Error)
    }
}

/// Vertices past which MapHub's 2-minute processing limit becomes likely. MapHub does
/// not publish a figure; this is a deliberately cautious estimate (a 15 MB GeoJSON
/// holds about 450,000 vertices), to be calibrated against the service.
pub const PROCESSING_VERTEX_THRESHOLD: usize = 1_000_000;
/// Features past which the same applies.
pub const PROCESSING_FEATURE_THRESHOLD: usize = 100_000;

/// Reader diagnostics a GeoJSON check keeps: those about groups and per-vertex data,
/// which the JSON rules do not cover. The others (malformed geometries, positions)
/// the JSON rules report more precisely.
const GEOJSON_READER_CODES: [Code; 8] = [
    Code::GeojsonCoordinateProperties,
    Code::GeojsonImplicitParentGroup,
    Code::GeojsonGroupIdNotInteger,
    Code::GeojsonGroupByTitle,
    Code::GeojsonDuplicateGroupId,
    Code::GeojsonInvalidGroups,
    Code::GroupTooDeep,
    Code::GeojsonNestedForeignMember,
];

/// Checks one file's bytes; `path` (if any) is used to detect the format and to see
/// that its extension matches its content.
///
/// ```
/// use geonorm::validate::{check, CheckOptions};
/// let text = br#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[45.1, 120.5]}}]}"#;
/// let report = check(text, None, &CheckOptions::default());
/// assert_eq!(report.diagnostics[0].code.as_str(), "geometry/lat-out-of-range");
/// assert!(report.has_errors());
/// ```
pub fn check(bytes: &[u8], path: Option<&Path>, opts: &CheckOptions) -> Report {
    let mut out = Vec::new();
    let format = opts.format.or_else(|| Format::detect(bytes, path));
    let Some(format) = format else {
        out.push(Diagnostic::new(
            Code::MaphubFileType,
            "this is not a KML, KMZ, GPX or GeoJSON file",
        ));
        return Report {
            format: None,
            diagnostics: out,
        };
    };
    if opts.profile.maphub() {
        if let Some(named) = path.and_then(Format::from_path) {
            if named.maphub_file_type() != format.maphub_file_type() {
                out.push(
                    Diagnostic::new(
                        Code::MaphubMisnamed,
                        format!("the file is {format} but its name says {named}"),
                    )
                    .with_help(format!(
                        "rename it, or send it with file_type \"{}\"",
                        format.maphub_file_type()
                    )),
                );
            }
        }
    }
    if opts.profile.limits() && bytes.len() as u64 > MAPHUB_MAX_UPLOAD_BYTES {
        out.push(
            Diagnostic::new(
                Code::MaphubTooLarge,
                if format == Format::GeoJson {
                    format!("the file is {}", over_limit(bytes.len() as u64))
                } else {
                    // What is sent is the GeoJSON conversion, whose size decides the parts.
                    format!("the file is {} bytes, over MapHub's 15 MiB limit per request: `geonorm append`/`upload` send it converted to GeoJSON, in parts when that is over the limit too", grouped(bytes.len() as u64))
                },
            )
            .with_help("`--raw` sends the file as it is and cannot split it; Enterprise servers have no limit"),
        );
    }
    let read = match format {
        Format::Gpx => crate::gpx::read(bytes, &Default::default()),
        other => crate::read(other, bytes),
    };
    if format == Format::GeoJson {
        json_rules(bytes, opts.profile, &mut out);
    }
    let (doc, reader_diags) = match read {
        Ok(r) => r,
        Err(e) => {
            // The JSON rules already said what is wrong with a GeoJSON root.
            if format != Format::GeoJson
                || !out.iter().any(|d| d.severity == crate::Severity::Error)
            {
                out.push(fatal_diagnostic(format, &e));
            }
            sort(&mut out);
            return Report {
                format: Some(format),
                diagnostics: out,
            };
        }
    };
    if format == Format::GeoJson {
        out.extend(
            reader_diags
                .into_iter()
                .filter(|d| GEOJSON_READER_CODES.contains(&d.code)),
        );
    } else {
        out.extend(reader_diags);
        model_geometry(&doc, &mut out);
    }
    for f in &doc.features {
        // Unless the reader already said why the geometry is missing.
        let explained = out.iter().any(|d| {
            d.severity >= crate::Severity::Warning
                && d.span
                    .is_some_and(|s| s.start >= f.span.start && s.start < f.span.end)
        });
        if f.geometry.is_none() && opts.profile.maphub() && !explained {
            out.push(
                Diagnostic::new(
                    Code::GeometryMissing,
                    "this feature has no geometry and will not appear on the map",
                )
                .at(f.span),
            );
        }
    }
    if opts.profile.maphub() {
        maphub(&doc, opts.profile, &mut out);
    }
    sort(&mut out);
    Report {
        format: Some(format),
        diagnostics: out,
    }
}

/// RFC 7946 rules on the JSON text of a GeoJSON file.
fn json_rules(bytes: &[u8], profile: Profile, out: &mut Vec<Diagnostic>) {
    match crate::json::parse(bytes) {
        Ok(parsed) => {
            for (key, at) in parsed.duplicates {
                out.push(crate::geojson::read::duplicate_member(&key, at));
            }
            let mut rules = geojson::Rules {
                out: &mut *out,
                maphub: profile.maphub(),
                precision: 0,
            };
            rules.root(&parsed.root);
            rules.finish();
            if profile.maphub()
                && parsed.root.get("type").and_then(|t| t.as_str()) != Some("FeatureCollection")
            {
                out.push(
                    Diagnostic::new(
                        Code::MaphubNotCollection,
                        "MapHub takes a FeatureCollection; this root is not one",
                    )
                    .at(Span::new(parsed.root.start, parsed.root.start + 1))
                    .with_help("`geonorm convert` wraps it in a FeatureCollection"),
                );
            }
        }
        Err(e) => out.push(
            Diagnostic::new(Code::JsonSyntax, e.message).at(Span::new(e.offset, e.offset + 1)),
        ),
    }
}

fn sort(out: &mut [Diagnostic]) {
    out.sort_by_key(|d| d.span.map_or(usize::MAX, |s| s.start));
}

/// A reader's fatal error (input of `format` that cannot be read at all) as a
/// finding, with the code for its format.
pub fn fatal_diagnostic(format: Format, e: &Error) -> Diagnostic {
    match e {
        Error::Syntax {
            message, offset, ..
        } => {
            let code = if format == Format::GeoJson {
                Code::JsonSyntax
            } else {
                Code::XmlSyntax
            };
            Diagnostic::new(code, message.clone()).at(Span::new(*offset, offset + 1))
        }
        other => {
            let code = match format {
                Format::GeoJson => Code::GeojsonRoot,
                Format::Kml => Code::KmlRoot,
                Format::Kmz => Code::KmzUnreadable,
                Format::Gpx => Code::GpxRoot,
            };
            Diagnostic::new(code, other.to_string())
        }
    }
}

/// Geometry rules on the model (KML, GPX), each finding at its feature.
fn model_geometry(doc: &Document, out: &mut Vec<Diagnostic>) {
    fn walk(g: &Geometry, span: Span, out: &mut Vec<Diagnostic>) {
        fn seq(c: &crate::Coords, span: Span) -> CoordsSeq<'_> {
            CoordsSeq { xy: c.xy(), span }
        }
        match g {
            Geometry::Point(p) => geometry::position(p.x, p.y, span, out),
            Geometry::MultiPoint(c) => c
                .xy()
                .iter()
                .for_each(|[x, y]| geometry::position(*x, *y, span, out)),
            Geometry::LineString(c) => geometry::line(&seq(c, span), out),
            Geometry::MultiLineString(ls) => {
                ls.iter().for_each(|c| geometry::line(&seq(c, span), out))
            }
            Geometry::Polygon(rings) => polygon(rings, span, out),
            Geometry::MultiPolygon(ps) => ps.iter().for_each(|r| polygon(r, span, out)),
            Geometry::GeometryCollection(gs) => gs.iter().for_each(|g| walk(g, span, out)),
        }
    }
    fn polygon(rings: &[crate::Coords], span: Span, out: &mut Vec<Diagnostic>) {
        let seqs: Vec<CoordsSeq> = rings
            .iter()
            .map(|c| CoordsSeq { xy: c.xy(), span })
            .collect();
        let dyns: Vec<&dyn geometry::Seq> = seqs.iter().map(|s| s as &dyn geometry::Seq).collect();
        geometry::polygon(&dyns, out);
    }
    for f in &doc.features {
        if let Some(g) = &f.geometry {
            if g.vertex_count() == 0 {
                out.push(
                    Diagnostic::new(Code::GeometryEmpty, "this geometry has no positions")
                        .at(f.span),
                );
            } else {
                walk(g, f.span, out);
            }
        }
    }
}

fn is_hex_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// MapHub's own rules: groups, colours, size after conversion, processing time.
fn maphub(doc: &Document, profile: Profile, out: &mut Vec<Diagnostic>) {
    let ids: std::collections::HashSet<_> = doc.groups.iter().map(|g| g.id).collect();
    for f in &doc.features {
        if let Some(g) = f.group.filter(|g| !ids.contains(g)) {
            out.push(
                Diagnostic::new(
                    Code::MaphubDanglingGroup,
                    format!("group {g} is not in the file's groups"),
                )
                .at(f.span)
                .with_help("add it to \"groups\", or let `geonorm fix` create it"),
            );
        }
        if let Some(g) = f.properties.get("group") {
            let shown = match g {
                Value::String(s) => format!("\"{s}\""),
                other => other.to_string(),
            };
            out.push(
                Diagnostic::new(
                    Code::MaphubDanglingGroup,
                    format!("group {shown} names no group"),
                )
                .at(f.span)
                .with_help("a group is a positive integer id from \"groups\""),
            );
        }
        let s = &f.style;
        for (key, value) in [
            ("marker-color", &s.marker_color),
            ("stroke", &s.stroke),
            ("fill", &s.fill),
        ] {
            if let Some(c) = value.as_deref().filter(|c| !is_hex_color(c)) {
                out.push(
                    Diagnostic::new(Code::MaphubColor, format!("{key} \"{c}\" is not #rrggbb"))
                        .at(f.span),
                );
            }
        }
    }
    for g in &doc.groups {
        if let Some(c) = g
            .title
            .chars()
            .find(|c| GROUP_SEPARATOR_LOOKALIKES.contains(c))
        {
            out.push(
                Diagnostic::new(
                    Code::MaphubSeparatorLookalike,
                    format!("group title \"{}\" contains `{c}` (U+{:04X}), which does not nest groups in MapHub", g.title, c as u32),
                )
                .with_help("use U+FF0F FULLWIDTH SOLIDUS `／` between levels, or another character"),
            );
        }
    }
    if profile.limits() {
        let summary = doc.summary();
        if summary.vertices > PROCESSING_VERTEX_THRESHOLD
            || summary.features > PROCESSING_FEATURE_THRESHOLD
        {
            out.push(Diagnostic::new(
                Code::MaphubProcessingTime,
                format!(
                    "{} features with {} vertices may take MapHub longer than its 2-minute processing limit",
                    summary.features, summary.vertices
                ),
            ));
        }
        let mut counter = CountingWriter(0);
        if crate::geojson::write(doc, &mut counter, &Default::default()).is_ok()
            && counter.0 > MAPHUB_MAX_UPLOAD_BYTES
        {
            out.push(Diagnostic::new(
                Code::MaphubConvertedTooLarge,
                format!("as MapHub GeoJSON it would be {}", over_limit(counter.0)),
            ));
        }
    }
}

/// `N bytes, over … in K parts` for a size over MapHub's limit. K is the fewest parts
/// the size fits in; the real split can take more (each part also carries its groups
/// and the send's marks), hence "at least".
fn over_limit(bytes: u64) -> String {
    let parts = bytes.div_ceil(MAPHUB_MAX_UPLOAD_BYTES);
    format!(
        "{} bytes, over MapHub's 15 MiB limit per request: `geonorm append`/`upload` will send it in at least {parts} parts",
        grouped(bytes)
    )
}

/// `1234567` as `1,234,567`: sizes near the limit are read at a glance.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Counts bytes without keeping them.
struct CountingWriter(u64);

impl std::io::Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
