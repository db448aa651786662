//! The one road of [`crate::check`] and [`crate::convert`]: [`run`] reads the input
//! once, as a stream, through the rules (and the writer, when converting) into a
//! [`Report`].

use std::path::Path;

use super::convert::{into_io, Output};
use super::kept::Kept;
use super::maphub::{document_end, explains, grouped, over_limit, stopped_by, MaphubRules};
use super::report::{fatal_diagnostic, CheckOptions, Converted, Profile, Report};
use crate::geojson::read::{stream_batches, LateGroupNames, Stopped, Streamed};
use crate::geometry::rules::{self as geometry, CoordsSeq};
use crate::stream::{Handed, ReadChecks};
use crate::writer::{Part, PartMaker};
use crate::{Code, Diagnostic, Error, Format, Geometry, Span, MAPHUB_MAX_UPLOAD_BYTES};

/// What a check says of binary data ([`Format::is_binary`]), read no further than
/// its first bytes, whatever format was asked for but KMZ (a zip is binary data, read
/// from its end).
fn binary_report() -> Report {
    Report {
        format: None,
        diagnostics: vec![super::report::binary_finding()],
        document: None,
    }
}

/// A check of `input` (or `archive`, a KMZ read where it is), writing the conversion
/// into `output` when there is one, and keeping the document read in `keep` when
/// there is one: the one road of [`crate::check`] (keeping the document when asked)
/// and [`crate::convert`]. Fails only when `input` or `output` does; input
/// `in_memory` cannot fail, and what fails reading it (a corrupt archive's checksum)
/// is a finding (and, in `keep`, the error `read` fails with).
pub(crate) fn run<R: std::io::BufRead, W: std::io::Write>(
    mut input: R,
    archive: Option<&mut dyn crate::stream::ReadSeek>,
    opts: &CheckOptions,
    output: Option<&mut Output<W>>,
    in_memory: bool,
    mut keep: Option<&mut Kept>,
) -> std::io::Result<Report> {
    let read = &opts.read;
    let path = read.name.as_deref();
    let head = input.fill_buf()?;
    let format = match read.format {
        Some(f) => Some(f),
        None => Format::detect(head, path),
    };
    if format != Some(Format::Kmz) && Format::is_binary(head) {
        if let Some(k) = keep {
            k.refused(format);
        }
        return Ok(binary_report());
    }
    // What the content alone says, to word a name that disagrees with a format asked for.
    let content = Format::detect(head, None);
    let Some(format) = format else {
        if let Some(k) = keep {
            k.refused(None);
        }
        return Ok(Report {
            format: None,
            diagnostics: vec![Diagnostic::new(
                Code::MaphubFileType,
                "this is not a KML, KMZ, GPX or GeoJSON file",
            )],
            document: None,
        });
    };
    let mut output = output;
    if let Some(o) = output.as_deref_mut() {
        o.maker.read_from(format);
    }
    let mut findings = Vec::new();
    let size = match format {
        Format::GeoJson => {
            let mut counted = Counted { inner: input, n: 0 };
            let read = crate::ReadOptions {
                format: Some(format),
                ..read.clone()
            };
            let read = check_stream(
                &mut counted,
                None,
                (&read, false),
                opts.profile,
                &mut findings,
                output,
                keep.as_deref_mut(),
            );
            said_of(read, in_memory, format, &mut findings, keep)?;
            counted.n
        }
        // A KMZ's archive is held (a zip is read from its end), its KML streamed.
        Format::Kml | Format::Gpx | Format::Kmz => {
            let mut archive = archive;
            // A KMZ read where it is: its size is the file's.
            let held = match archive
                .as_deref_mut()
                .map(|a| a as &mut dyn crate::stream::ReadSeek)
            {
                Some(a) => {
                    let n = a.seek(std::io::SeekFrom::End(0))?;
                    a.rewind()?;
                    n
                }
                None => 0,
            };
            let mut counted = Counted { inner: input, n: 0 };
            let read = crate::ReadOptions {
                format: Some(format),
                ..read.clone()
            };
            let read = check_stream(
                &mut counted,
                archive,
                (&read, false),
                opts.profile,
                &mut findings,
                output,
                keep.as_deref_mut(),
            );
            said_of(read, in_memory, format, &mut findings, keep)?;
            // A file that stops the reader is still measured whole (its size is a
            // finding of its own), as when it was read whole first.
            std::io::copy(&mut counted, &mut std::io::sink())?;
            counted.n + held
        }
    };
    Ok(finish_report((format, content), path, opts, size, findings))
}

/// What reading failed with: an error, unless the input is in memory, where it is
/// the content's fault and said as the reader would say it (and kept in `keep` as
/// the error `read` fails with).
fn said_of(
    read: std::io::Result<()>,
    in_memory: bool,
    format: Format,
    findings: &mut Vec<Diagnostic>,
    keep: Option<&mut Kept>,
) -> std::io::Result<()> {
    match read {
        Err(e) if in_memory => {
            let e = Error::Io(e);
            findings.push(fatal_diagnostic(format, &e));
            if let Some(k) = keep {
                k.stopped(e);
            }
            Ok(())
        }
        other => other,
    }
}

/// The findings about the file as a whole (its name, its size) beside what reading
/// and the rules found, sorted by position.
fn finish_report(
    (format, content): (Format, Option<Format>),
    path: Option<&Path>,
    opts: &CheckOptions,
    size: u64,
    findings: Vec<Diagnostic>,
) -> Report {
    let mut out = Vec::new();
    if opts.profile.maphub() {
        if let Some(named) = path.and_then(Format::from_path) {
            if named.maphub_file_type() != format.maphub_file_type() {
                // Read as asked (`--from`) against what the content says: the name is
                // then not the one to blame.
                let (message, help) = match content {
                    Some(c) if c != format && c.maphub_file_type() == named.maphub_file_type() => (
                        format!("the file is read as {format}, as asked, but its content and its name say {named}"),
                        format!("read it as {c} (drop --from)"),
                    ),
                    _ => (
                        format!("the file is {format} but its name says {named}"),
                        format!(
                            "rename it, or send it with file_type \"{}\"",
                            format.maphub_file_type()
                        ),
                    ),
                };
                out.push(Diagnostic::new(Code::MaphubMisnamed, message).with_help(help));
            }
        }
    }
    if opts.profile.limits() && size > MAPHUB_MAX_UPLOAD_BYTES {
        out.push(
            Diagnostic::new(
                Code::MaphubTooLarge,
                if format == Format::GeoJson {
                    format!("the file is {}", over_limit(size))
                } else {
                    // What is sent is the GeoJSON conversion, whose size decides the parts.
                    format!("the file is {} bytes, over MapHub's 15 MiB limit per request: `geonorm append`/`upload` send it converted to GeoJSON, in parts when that is over the limit too", grouped(size))
                },
            )
            .with_help("`--raw` sends the file as it is and cannot split it; Enterprise servers have no limit"),
        );
    }
    out.extend(findings);
    Diagnostic::sort_by_position(&mut out);
    Report {
        format: Some(format),
        diagnostics: out,
        document: None,
    }
}

/// Counts the bytes read through it (the size of a file that is never held whole).
struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.n += amt as u64;
        self.inner.consume(amt);
    }
}

/// A document read as a stream through the rules: the rules on each feature (and the
/// serialising that measures the conversion) run on the thread that read it
/// ([`RulesSink`]: the geometry rules, or GeoJSON's RFC 7946 rules, which its reader
/// runs as it reads), MapHub's rules on each feature as it goes by in order, the rules
/// on the whole document at the end. Memory holds one batch of the input, the groups,
/// the findings, and what [`MaphubRules`] keeps. The findings are those of
/// `reference::check_document` over the same file (GeoJSON: `reference::check_geojson`,
/// reading it one feature at a time), in the same order once sorted. `whole`: every
/// GeoJSON feature through the rules whole (the tests' choice). Fails only when
/// `input` does.
// `keep` beside `output`: what a check hands on, each optional, is two arguments.
#[allow(clippy::too_many_arguments)]
pub(super) fn check_stream<R: std::io::BufRead, W: std::io::Write>(
    input: R,
    archive: Option<&mut dyn crate::stream::ReadSeek>,
    (read, whole): (&crate::ReadOptions, bool),
    profile: Profile,
    out: &mut Vec<Diagnostic>,
    mut output: Option<&mut Output<W>>,
    mut keep: Option<&mut Kept>,
) -> std::io::Result<()> {
    let Some(format) = read.format else {
        if let Some(k) = keep {
            k.refused(None);
        }
        return Ok(());
    };
    let geojson = format == Format::GeoJson;
    let mut tally = MaphubRules::new(profile);
    if geojson {
        // Groups may follow the features that name them by title or string id.
        tally.late = Some(LateGroupNames::default());
    }
    // Kept apart until the end so that `out` is, as with the document read whole,
    // the reader's findings, then the geometry rules', then MapHub's per feature
    // (GeoJSON: MapHub's per feature, then the reader's, as reading one feature at a
    // time says them): the report's sort is stable, and keeps that order among
    // findings at one place.
    let mut rules = Vec::new();
    let mut per_feature = Vec::new();
    // Features without geometry that their own reading did not explain: the index
    // of their `geometry/missing` in `per_feature`, and their span.
    let mut unexplained: Vec<(usize, Span)> = Vec::new();
    // A GeoJSON root read whole, and whether its reading explained it.
    let mut roots: Vec<(crate::Feature, bool)> = Vec::new();
    let sink = RulesSink {
        convert: tally.converted.is_some(),
        write: output.as_ref().map(|o| o.maker.clone()),
        keep: keep.is_some(),
        checks: geojson.then_some(ReadChecks {
            maphub: profile.maphub(),
            whole,
            link: output.is_some(),
        }),
    };
    // The local files a KML's features refer to: looked up in a KMZ's archive, and
    // carried into a KMZ written.
    let writes_kmz = output.as_ref().is_some_and(|o| o.is_kmz());
    let notes =
        matches!(format, Format::Kml | Format::Kmz) && (format == Format::Kmz || writes_kmz);
    let mut refs = Noted::default();
    let mut archive = archive;
    let emit = |r: Ruled, own: &[Diagnostic]| -> crate::Result<()> {
        let Ruled {
            feature: f,
            geometry,
            converted,
            written,
            root,
        } = r;
        // A feature's own findings are those its reading raised; findings about the
        // whole document (text, schemas) are only known at the end, and are looked
        // at there for the features they may explain.
        let explained = explains(own, f.span);
        if root {
            roots.push((*f, explained));
            return Ok(());
        }
        rules.extend(geometry);
        if notes {
            refs.note(&f);
        }
        match (converted, &written) {
            (Measured::Len(n), _) => tally.converted(Some(n), &f),
            (Measured::Unwritable, _) => tally.converted(None, &f),
            // Written at the precision the size is measured at: the same bytes.
            (Measured::NotAsked, Some(Ok(Part::GeoJson(bytes, ..)))) => {
                tally.converted(Some(bytes.len() as u64), &f)
            }
            (Measured::NotAsked, _) => tally.converted(None, &f),
        }
        let missing = tally.rules(&f, explained, &mut per_feature);
        if let Some(i) = missing.filter(|_| !geojson) {
            unexplained.push((i, f.span));
        }
        if let (Some(o), Some(part)) = (output.as_deref_mut(), written) {
            // As `convert` alone: a feature that cannot be written stops it.
            o.feature(part?)?;
        }
        if let Some(k) = keep.as_deref_mut() {
            k.feature(*f);
        }
        Ok(())
    };
    if geojson {
        // The GeoJSON stream itself, not through `features_in`: what a stop leaves
        // (the findings up to it) is part of a GeoJSON check's report.
        let end = stream_batches(input, read.pace(), &sink, false, emit);
        let Streamed {
            meta,
            groups,
            index,
            read: mut reader,
            mode,
            precise,
            ..
        } = match end {
            Ok(end) => end,
            Err(stop) => {
                let Stopped {
                    error,
                    read: mut reader,
                    root,
                } = *stop;
                if let Error::Io(e) = error {
                    return Err(e);
                }
                out.append(&mut per_feature);
                out.append(&mut reader);
                stopped_by(&error, root, out);
                if let Some(k) = keep {
                    k.stopped(error);
                }
                return Ok(());
            }
        };
        for (f, explained) in &roots {
            tally.feature(f, *explained, &mut per_feature);
        }
        if let Some(o) = output {
            for (f, _) in &roots {
                o.whole(f)?;
            }
            o.finish(&meta, &groups, Some(&index), None)?;
        }
        out.append(&mut per_feature);
        out.append(&mut reader);
        // The groups as read, before the rules resolve the names features give (which
        // the document kept resolves as `read` does).
        let kept_groups = keep.as_ref().map(|_| groups.clone());
        let precise = precise + mode.precision;
        document_end(
            tally,
            groups,
            &index,
            mode,
            precise,
            &meta,
            profile.maphub(),
            out,
        );
        if let (Some(k), Some(groups)) = (keep, kept_groups) {
            for (f, _) in roots {
                k.feature(f);
            }
            k.geojson_to_end(meta, groups, &index);
        }
        return Ok(());
    }
    let read = crate::stream::features_in(
        input,
        archive
            .as_deref_mut()
            .map(|a| a as &mut dyn crate::stream::ReadSeek),
        read,
        &sink,
        emit,
    );
    let crate::stream::StreamEnd {
        meta,
        groups,
        diagnostics: reader,
        ..
    } = match read {
        Ok(r) => r,
        Err(Error::Io(e)) => return Err(e),
        Err(e) => {
            // As with the document read whole: what stops the reader is all that is
            // said (features before the fault were checked, and are not reported).
            out.push(fatal_diagnostic(format, &e));
            if let Some(k) = keep {
                k.stopped(e);
            }
            return Ok(());
        }
    };
    if !unexplained.is_empty() {
        // Whether any warning or error of the reader or of the geometry rules starts
        // inside the feature, as when the document was read whole: a missing geometry
        // needs no second word. Sorted starts, each feature found by binary search.
        let mut said: Vec<usize> = reader
            .iter()
            .chain(&rules)
            .filter(|d| d.severity >= crate::Severity::Warning)
            .filter_map(|d| d.span.map(|s| s.start))
            .collect();
        said.sort_unstable();
        let explained: Vec<usize> = unexplained
            .iter()
            .filter(|(_, span)| {
                let first = said.partition_point(|&s| s < span.start);
                said.get(first).is_some_and(|&s| s < span.end)
            })
            .map(|(i, _)| *i)
            .collect();
        drop_indices(&mut per_feature, &explained);
    }
    out.extend(reader);
    out.extend(rules);
    out.extend(per_feature);
    #[cfg(feature = "assets")]
    if let Some(o) = output {
        let mut kmz_files = match (format, archive) {
            (Format::Kmz, Some(a)) => crate::kmz::files(a).ok(),
            _ => None,
        };
        // What a KMZ's KML refers to and the archive lacks, said in the report as a
        // check of the KMZ says it; a KMZ written does not say it again.
        let lacking = match kmz_files.as_mut() {
            Some(f) if !refs.is_empty() => refs.lacking(&mut |path| f.holds(path)),
            _ => Vec::new(),
        };
        let mut dir_files = match format {
            Format::Kml => o
                .kml_folder
                .as_deref()
                .and_then(|d| crate::assets::DirFiles::new(d).ok()),
            _ => None,
        };
        let files: Option<&mut dyn crate::assets::Files> = match (&mut kmz_files, &mut dir_files) {
            (Some(k), _) => Some(k),
            (None, Some(d)) => Some(d),
            _ => None,
        };
        let mut carrier = crate::assets::Carrier::new(&refs, files);
        let carry = (writes_kmz && !refs.is_empty()).then_some(&mut carrier as _);
        o.finish(&meta, &groups, None, carry)?;
        o.written
            .retain(|d| !lacking.iter().any(|l| l.code == d.code && l.span == d.span));
        out.extend(lacking);
    } else if let (Format::Kmz, Some(a), false) = (format, archive, refs.is_empty()) {
        // A KMZ's check: what its KML refers to and the archive lacks.
        if let Ok(mut files) = crate::kmz::files(a) {
            out.extend(refs.lacking(&mut |path| files.holds(path)));
        }
    }
    #[cfg(not(feature = "assets"))]
    if let Some(o) = output {
        let _ = (archive, writes_kmz);
        o.finish(&meta, &groups, None, None)?;
    }
    tally.finish(&meta, &groups, out);
    if let Some(k) = keep {
        k.read_to_end(meta, groups);
    }
    Ok(())
}

/// The local files a stream's features refer to ([`crate::assets::Refs`]); nothing
/// without the `assets` feature.
#[cfg(feature = "assets")]
type Noted = crate::assets::Refs;

#[cfg(not(feature = "assets"))]
#[derive(Default)]
struct Noted;

#[cfg(not(feature = "assets"))]
impl Noted {
    fn note(&mut self, _: &crate::Feature) {}
}

/// What a feature of a stream becomes on the thread that read it: the geometry rules'
/// findings on it, when the converted size counts its MapHub GeoJSON, and what it is
/// written as when the check writes a conversion.
struct RulesSink {
    /// Whether to serialise each feature as MapHub GeoJSON (to measure the conversion).
    convert: bool,
    /// How each feature is written, when the conversion is written.
    write: Option<PartMaker>,
    /// Whether the features are kept ([`Kept`]): as `read` reads them, without the
    /// places of their positions once the rules have used them.
    keep: bool,
    /// What the reader checks as it reads, when it can (GeoJSON's rules run there).
    checks: Option<ReadChecks>,
}

/// A feature's MapHub GeoJSON as the converted size measures it.
enum Measured {
    /// The size does not count, or the bytes are the ones written out.
    NotAsked,
    /// It cannot be written: the converted size is not known, as when the writer fails.
    Unwritable,
    /// Its length in bytes.
    Len(u64),
}

/// A feature with what [`RulesSink`] made of it.
struct Ruled {
    /// Boxed: the result is moved several times on its way to the rules in order, and
    /// a feature is some 700 bytes (moving it cost more than the box on a GeoJSON
    /// check).
    feature: Box<crate::Feature>,
    /// The geometry rules' findings on it.
    geometry: Vec<Diagnostic>,
    /// Its MapHub GeoJSON, as the converted size measures it.
    converted: Measured,
    /// What it is written as, when a conversion is written, or what writing it failed
    /// with (a GeoJSON feature's rules are said before that stops the conversion).
    written: Option<crate::Result<Part>>,
    /// A GeoJSON root read whole ([`Handed::Root`]): measured and written at the end.
    root: bool,
}

impl crate::stream::FeatureSink for RulesSink {
    type Out = Ruled;
    /// The geometry rules point at the position they are about.
    fn position_spans(&self) -> bool {
        true
    }
    fn checks(&self) -> Option<ReadChecks> {
        self.checks
    }
    fn map(&self, feature: crate::Feature, _: &mut Vec<Diagnostic>) -> crate::Result<Ruled> {
        // The rules and the serialising are most of a check's work beside the
        // reading: done here, they run on the reading threads, not after them.
        let mut geometry = Vec::new();
        feature_geometry(&feature, &mut geometry);
        let mut feature = feature;
        if self.keep {
            feature.forget_position_spans();
        }
        // As `stream::to_geojson`: a feature that cannot be written stops it.
        let written = self.write.as_ref().map(|m| m.part(&feature)).transpose()?;
        // The size is measured at full precision: the written bytes when they are.
        let full = self.write.as_ref().is_some_and(PartMaker::is_full_geojson);
        let measure = self.convert && !full;
        let converted = if measure {
            match super::maphub::geojson_len(&feature) {
                Some(n) => Measured::Len(n),
                None => Measured::Unwritable,
            }
        } else {
            Measured::NotAsked
        };
        Ok(Ruled {
            feature: Box::new(feature),
            geometry,
            converted,
            written: written.map(Ok),
            root: false,
        })
    }
    /// A GeoJSON feature, which its reader ran the rules on; written linked to the
    /// group it names when that was known once its batch was cut (the rules see the
    /// name, and resolve it at the end; one naming a group not known yet the writer
    /// links at the end).
    fn map_checked(
        &self,
        feature: crate::Feature,
        handed: Handed,
        _: &mut Vec<Diagnostic>,
    ) -> crate::Result<Ruled> {
        let Handed::Listed(linked) = handed else {
            return Ok(Ruled {
                feature: Box::new(feature),
                geometry: Vec::new(),
                converted: Measured::NotAsked,
                written: None,
                root: true,
            });
        };
        let written = self
            .write
            .as_ref()
            .map(|m| m.part_named(linked.as_deref().unwrap_or(&feature)));
        // The written bytes are the size's when written unchanged at full precision.
        let same = linked.is_none() && self.write.as_ref().is_some_and(PartMaker::is_full_geojson);
        // One that cannot be written is not measured: the written bytes count, if any.
        let converted = match self.convert && !same {
            true => super::maphub::geojson_len(&feature).map_or(Measured::NotAsked, Measured::Len),
            false => Measured::NotAsked,
        };
        Ok(Ruled {
            feature: Box::new(feature),
            geometry: Vec::new(),
            converted,
            written,
            root: false,
        })
    }
}

/// Removes the items at `indices` (ascending) from `v`, keeping the others' order.
pub(super) fn drop_indices<T>(v: &mut Vec<T>, indices: &[usize]) {
    let mut at = 0;
    let mut next = indices.iter().peekable();
    v.retain(|_| {
        let drop = next.next_if(|&&i| i == at).is_some();
        at += 1;
        !drop
    });
}

/// Geometry rules on one feature of the model (KML, KMZ, GPX), each finding at the
/// position where the reader kept its place (a check's reader does), else at the
/// feature.
pub(super) fn feature_geometry(f: &crate::Feature, out: &mut Vec<Diagnostic>) {
    fn walk(g: &Geometry, span: Span, out: &mut Vec<Diagnostic>) {
        let seq = |coords| CoordsSeq { coords, span };
        match g {
            Geometry::Point(p) => geometry::position(p.x, p.y, span, out),
            Geometry::MultiPoint(c) => c.xy().iter().enumerate().for_each(|(i, [x, y])| {
                geometry::position(*x, *y, c.span_at(i).unwrap_or(span), out)
            }),
            Geometry::LineString(c) => geometry::line(&seq(c), out),
            Geometry::MultiLineString(ls) => ls.iter().for_each(|c| geometry::line(&seq(c), out)),
            Geometry::Polygon(rings) => polygon(rings, span, out),
            Geometry::MultiPolygon(ps) => ps.iter().for_each(|r| polygon(r, span, out)),
            Geometry::GeometryCollection(gs) => gs.iter().for_each(|g| walk(g, span, out)),
        }
    }
    fn polygon(rings: &[crate::Coords], span: Span, out: &mut Vec<Diagnostic>) {
        let seqs: Vec<CoordsSeq> = rings
            .iter()
            .map(|coords| CoordsSeq { coords, span })
            .collect();
        let dyns: Vec<&dyn geometry::Seq> = seqs.iter().map(|s| s as &dyn geometry::Seq).collect();
        geometry::polygon(&dyns, out);
        let outer = crate::geometry::Winding::OuterCounterclockwise;
        if let Some(ring) = seqs.first().filter(|r| outer.against(0, r.coords)) {
            out.push(
                Diagnostic::new(
                    Code::KmlClockwiseRing,
                    "a polygon's outer boundary is clockwise; KML wants it counterclockwise",
                )
                .at(geometry::Seq::span(ring)),
            );
        }
    }
    if let Some(g) = &f.geometry {
        if g.vertex_count() == 0 {
            out.push(
                Diagnostic::new(Code::GeometryEmpty, "this geometry has no positions").at(f.span),
            );
        } else {
            // A Point is where its position was written, when that was kept.
            let span = match g {
                Geometry::Point(_) => f.point_span.unwrap_or(f.span),
                _ => f.span,
            };
            walk(g, span, out);
        }
    }
}

/// Converts `input` (or `archive`, a KMZ read where it is) to `to.0` written with
/// `to.1` and checks it with `opts`, in one read: the one road of every conversion
/// ([`crate::convert`]). A KMZ written carries the files a KMZ read refers to, or a
/// KML's in `kml_folder`.
pub(crate) fn converted<R: std::io::BufRead, W: std::io::Write>(
    input: R,
    archive: Option<&mut dyn crate::stream::ReadSeek>,
    opts: &CheckOptions,
    to: (Format, &crate::WriteOptions),
    output: W,
    kml_folder: Option<&Path>,
) -> std::io::Result<Converted> {
    let mut out = Output::new(to.0, output, to.1).map_err(into_io)?;
    out.kml_folder = kml_folder.map(Path::to_path_buf);
    let mut report = run(input, archive, opts, Some(&mut out), false, None)?;
    super::mended_by_writing(&mut report.diagnostics, to.0, to.1.geojson.keep_root);
    Ok(Converted {
        report,
        written: out.written,
        complete: out.complete,
    })
}
