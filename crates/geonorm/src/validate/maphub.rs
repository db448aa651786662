//! MapHub's own rules (groups, colours, missing geometry, size after conversion,
//! processing time), fed one feature at a time and finished on the whole document.

use serde_json::Value;

use super::report::{
    fatal_diagnostic, Profile, PROCESSING_FEATURE_THRESHOLD, PROCESSING_VERTEX_THRESHOLD,
};
use crate::geojson::read::{CheckMode, GroupIndex};
use crate::geojson::rules::PRECISION_SHOWN;
use crate::geojson::write::ByteCount;
use crate::{
    Code, Diagnostic, Error, Format, Geometry, Group, Span, GROUP_SEPARATOR_LOOKALIKES,
    MAPHUB_MAX_UPLOAD_BYTES,
};

pub(super) fn is_hex_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// MapHub's own rules, fed one feature at a time (groups, colours, missing geometry),
/// then finished on the whole document (dangling groups, size after conversion,
/// processing time). Keeps only what the end needs: each grouped feature's group and
/// position, counts, and the converted size so far.
pub(super) struct MaphubRules {
    pub(super) profile: Profile,
    pub(super) grouped: Vec<(crate::GroupId, Span)>,
    /// For GeoJSON: features whose `group` names a group by title or string id,
    /// resolved at the end as the reader resolves them (groups may follow features).
    pub(super) late: Option<crate::geojson::read::LateGroupNames>,
    pub(super) features: usize,
    pub(super) vertices: usize,
    pub(super) converted: Option<crate::geojson::Writer<ByteCount>>,
    /// The largest feature as MapHub GeoJSON: no split can send it when it alone is
    /// over the limit.
    pub(super) largest: Option<Largest>,
}

/// A feature's size as MapHub GeoJSON, where it was read, and whether it is a line
/// (which `--split-long-lines` can cut).
#[derive(Debug, Clone, Copy)]
pub(super) struct Largest {
    bytes: u64,
    span: Span,
    line: bool,
}

impl MaphubRules {
    pub(super) fn new(profile: Profile) -> MaphubRules {
        MaphubRules {
            profile,
            grouped: Vec::new(),
            late: None,
            features: 0,
            vertices: 0,
            converted: profile
                .limits()
                .then(|| crate::geojson::Writer::new(ByteCount(0), Default::default())),
            largest: None,
        }
    }

    /// One feature; `explained`: the reader or the rules already warned about it (so
    /// a missing geometry needs no second word). Returns where in `out` it said that
    /// the geometry is missing, if it did (for a stream, to take that back when a
    /// finding about the whole document turns out to explain it).
    pub(super) fn feature(
        &mut self,
        f: &crate::Feature,
        explained: bool,
        out: &mut Vec<Diagnostic>,
    ) -> Option<usize> {
        if self.converted.is_some() {
            self.converted(geojson_len(f), f);
        }
        self.rules(f, explained, out)
    }

    /// Feature `f` already written as MapHub GeoJSON, `len` bytes long (`None`: it
    /// could not be written), to count in the converted size.
    pub(super) fn converted(&mut self, len: Option<u64>, f: &crate::Feature) {
        let Some(w) = self.converted.as_mut() else {
            return;
        };
        // The collection's own bytes (its head, the separator) are written; the
        // feature's are counted.
        match len {
            Some(n) if w.write_serialised(&[], 1).is_ok() => {
                w.get_mut().0 += n;
                self.note_size(n, f);
            }
            _ => self.converted = None,
        }
    }

    fn note_size(&mut self, bytes: u64, f: &crate::Feature) {
        if self.largest.is_none_or(|l| bytes > l.bytes) {
            let line = matches!(
                f.geometry,
                Some(Geometry::LineString(_) | Geometry::MultiLineString(_))
            );
            self.largest = Some(Largest {
                bytes,
                span: f.span,
                line,
            });
        }
    }

    /// What [`MaphubRules::feature`] does besides the conversion, which
    /// [`MaphubRules::converted`] counts.
    pub(super) fn rules(
        &mut self,
        f: &crate::Feature,
        explained: bool,
        out: &mut Vec<Diagnostic>,
    ) -> Option<usize> {
        self.features += 1;
        self.vertices += f.geometry.as_ref().map_or(0, Geometry::vertex_count);
        if !self.profile.maphub() {
            return None;
        }
        let mut missing = None;
        // Unless the reader already said why the geometry is missing.
        if f.geometry.is_none() && !explained {
            missing = Some(out.len());
            out.push(
                Diagnostic::new(
                    Code::GeometryMissing,
                    "this feature has no geometry and will not appear on the map",
                )
                .at(f.span),
            );
        }
        match self.late.as_mut() {
            Some(late) if f.group.is_none() => late.note(f),
            _ => self.group_of(f, out),
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
        missing
    }

    /// A feature's group: kept to see at the end that the file has it, or, when
    /// `group` names none, said now.
    pub(super) fn group_of(&mut self, f: &crate::Feature, out: &mut Vec<Diagnostic>) {
        if let Some(g) = f.group {
            self.grouped.push((g, f.span));
        } else if let Some(g) = f.properties.get("group") {
            out.push(names_no_group(g, f.span));
        }
    }

    /// The rules on the whole document.
    pub(super) fn finish(
        self,
        meta: &crate::Metadata,
        groups: &[crate::Group],
        out: &mut Vec<Diagnostic>,
    ) {
        if !self.profile.maphub() {
            return;
        }
        let ids: std::collections::HashSet<_> = groups.iter().map(|g| g.id).collect();
        for (g, span) in self.grouped.iter().filter(|(g, _)| !ids.contains(g)) {
            out.push(
                Diagnostic::new(
                    Code::MaphubDanglingGroup,
                    format!("group {g} is not in the file's groups"),
                )
                .at(*span)
                .with_help("add it to \"groups\", or let `geonorm fix` create it"),
            );
        }
        for g in groups {
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
        if !self.profile.limits() {
            return;
        }
        if self.vertices > PROCESSING_VERTEX_THRESHOLD
            || self.features > PROCESSING_FEATURE_THRESHOLD
        {
            out.push(Diagnostic::new(
                Code::MaphubProcessingTime,
                format!(
                    "{} features with {} vertices may take MapHub longer than its 2-minute processing limit",
                    self.features, self.vertices
                ),
            ));
        }
        // A feature no split can send: the parts a split would make are beside the
        // point.
        if let Some(l) = self.largest {
            if l.bytes + MAPHUB_REQUEST_ROOM > MAPHUB_MAX_UPLOAD_BYTES {
                out.push(feature_too_large(l));
                return;
            }
        }
        if let Some(w) = self.converted {
            if let Ok((counter, _)) = w.finish(meta, groups) {
                if counter.0 > MAPHUB_MAX_UPLOAD_BYTES {
                    out.push(Diagnostic::new(
                        Code::MaphubConvertedTooLarge,
                        format!("as MapHub GeoJSON it would be {}", over_limit(counter.0)),
                    ));
                }
            }
        }
    }
}

/// The room a request to MapHub takes around one feature: the collection's envelope,
/// the send's mark on the feature, the groups it names. A feature that leaves less
/// than this under the limit is one `append` cannot send in a request of its own.
pub(crate) const MAPHUB_REQUEST_ROOM: u64 = 4096;

/// A feature that no split can send: alone, it is over the limit.
fn feature_too_large(l: Largest) -> Diagnostic {
    let d = Diagnostic::new(
        Code::MaphubFeatureTooLarge,
        format!(
            "as MapHub GeoJSON this feature alone is {} bytes: with what a request adds, over MapHub's 15 MiB limit per request, so `geonorm append`/`upload` cannot send it",
            grouped(l.bytes)
        ),
    )
    .at(l.span);
    if l.line {
        d.with_help("`--split-long-lines` (append, upload, convert) cuts the line into consecutive features under the limit, sharing the vertices where they join")
    } else {
        d.with_help("split or simplify it into smaller features")
    }
}

/// `N bytes, over … in K parts` for a size over MapHub's limit. K is the fewest parts
/// the size fits in; the real split can take more (each part also carries its groups
/// and the send's marks), hence "at least".
pub(super) fn over_limit(bytes: u64) -> String {
    let parts = bytes.div_ceil(MAPHUB_MAX_UPLOAD_BYTES);
    format!(
        "{} bytes, over MapHub's 15 MiB limit per request: `geonorm append`/`upload` will send it in at least {parts} parts",
        grouped(bytes)
    )
}

/// `1234567` as `1,234,567`: sizes near the limit are read at a glance.
pub(super) fn grouped(n: u64) -> String {
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

/// Whether `said` warns (or worse) about something inside `span`.
pub(super) fn explains(said: &[Diagnostic], span: Span) -> bool {
    said.iter().any(|d| {
        d.severity >= crate::Severity::Warning
            && d.span
                .is_some_and(|s| s.start >= span.start && s.start < span.end)
    })
}

/// A feature's `group` that names no group.
pub(super) fn names_no_group(g: &Value, span: Span) -> Diagnostic {
    let shown = match g {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    Diagnostic::new(
        Code::MaphubDanglingGroup,
        format!("group {shown} names no group"),
    )
    .at(span)
    .with_help("a group is a positive integer id from \"groups\"")
}

/// The length of `f` written as MapHub GeoJSON at full precision, as the converted
/// size counts it (`None`: it cannot be written), counted by the GeoJSON writer
/// without writing: this runs on every feature of a check and of a conversion to
/// another format, and printing the coordinates only to count them was 14 % of a
/// KML → GPX conversion.
pub(super) fn geojson_len(f: &crate::Feature) -> Option<u64> {
    // What writing could not keep is the writer's to say, not the check's.
    let mut lost = Vec::new();
    crate::geojson::write::feature_len(f, &Default::default(), &mut lost).ok()
}

/// What stops the GeoJSON reader (`e`), said once as `convert` says it, with the rest
/// of what the rules found on the root (`root`) beside it.
pub(super) fn stopped_by(e: &Error, root: Vec<Diagnostic>, out: &mut Vec<Diagnostic>) {
    let fatal = fatal_diagnostic(Format::GeoJson, e);
    let same = |d: &Diagnostic| d.code == fatal.code && d.span == fatal.span;
    out.extend(root.into_iter().filter(|d| !same(d)));
    out.push(fatal);
}

/// The rules on a whole GeoJSON document once its features are read: groups named by
/// title or string id resolved as `read` resolves them (with its diagnostics; the
/// groups it creates count as the file's), the root's findings, how many precise
/// positions went unsaid (`precise` in all), the root's kind for MapHub, and the
/// whole-document rules.
#[allow(clippy::too_many_arguments)]
pub(super) fn document_end(
    mut tally: MaphubRules,
    groups: Vec<Group>,
    index: &GroupIndex,
    mode: CheckMode,
    precise: usize,
    meta: &crate::Metadata,
    maphub: bool,
    out: &mut Vec<Diagnostic>,
) {
    let late = tally.late.take().unwrap_or_default();
    let (groups, named) = late.resolve(groups, index, out);
    for f in &named {
        tally.group_of(f, out);
    }
    out.extend(mode.root);
    if precise > PRECISION_SHOWN {
        out.push(Diagnostic::new(
            Code::GeojsonPrecision,
            format!(
                "{} more positions have coordinates with more than 6 decimal places",
                precise - PRECISION_SHOWN
            ),
        ));
    }
    if maphub && meta.root != crate::RootKind::Collection {
        out.push(
            Diagnostic::new(
                Code::MaphubNotCollection,
                "MapHub takes a FeatureCollection; this root is not one",
            )
            .at(Span::new(mode.root_at, mode.root_at + 1))
            .with_help("`geonorm convert` wraps it in a FeatureCollection"),
        );
    }
    tally.finish(meta, &groups, out);
}
