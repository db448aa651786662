//! Every writer as a sink of the stream: each feature is serialised on the thread
//! that read it ([`PartMaker::part`]), and the parts are put together in the file's
//! order ([`DocWriter::put`]) into a document finished once the input is read
//! ([`DocWriter::finish`]). GeoJSON is written as it comes; KML, KMZ and GPX keep their
//! parts in a spool until the end (their order is not the file's), so no writer holds
//! the document.

use std::io::Write;

use serde_json::Value;

use crate::{Diagnostic, Error, Feature, Format, Group, Metadata, Result, WriteOptions};

/// One feature serialised for a document.
pub(crate) enum Part {
    /// Its MapHub GeoJSON, with what that could not hold.
    GeoJson(Vec<u8>, Vec<Diagnostic>),
    /// Its placemark (KML and KMZ), and the group it names ([`PartMaker::part_named`]).
    Kml(crate::kml::Placemark, Option<Value>),
    /// Its waypoints, routes and tracks, and the group it names.
    Gpx(crate::gpx::GpxParts, Option<Value>),
}

/// How each feature is serialised for a document of one format.
#[derive(Debug, Clone)]
pub(crate) struct PartMaker {
    format: Format,
    opts: WriteOptions,
}

impl PartMaker {
    /// Serialises `f`; fails only when the GeoJSON writer does.
    pub(crate) fn part(&self, f: &Feature) -> Result<Part> {
        Ok(match self.format {
            Format::Kml | Format::Kmz => Part::Kml(crate::kml::placemark(f, &self.opts.kml), None),
            Format::Gpx => Part::Gpx(crate::gpx::gpx_parts(f, &self.opts.gpx), None),
            Format::GeoJson => {
                let mut buf = Vec::with_capacity(256);
                let mut lost = Vec::new();
                crate::geojson::write::feature_bytes(&mut buf, f, &self.opts.geojson, &mut lost)?;
                Part::GeoJson(buf, lost)
            }
        })
    }

    /// [`PartMaker::part`] of a feature read from GeoJSON, whose `group` may name a
    /// group by title path or string id declared later in the file (or nowhere: then
    /// it is created). The GeoJSON writer keeps the name, which MapHub resolves; the
    /// others need the group, known at the end ([`DocWriter::finish`]): the feature
    /// is written without the member, as the document read whole has it.
    pub(crate) fn part_named(&self, f: &Feature) -> Result<Part> {
        let named = match f.properties.get("group") {
            Some(Value::String(s)) if f.group.is_none() && !s.trim().is_empty() => {
                Value::String(s.clone())
            }
            _ => return self.part(f),
        };
        if self.format == Format::GeoJson {
            return self.part(f);
        }
        let mut unnamed = f.clone();
        unnamed.properties.shift_remove("group");
        Ok(match self.part(&unnamed)? {
            Part::Kml(p, _) => Part::Kml(p, Some(named)),
            Part::Gpx(p, _) => Part::Gpx(p, Some(named)),
            other => other,
        })
    }

    /// Makes parts of a document read from `source` ([`WriteOptions::for_conversion`]).
    pub(crate) fn read_from(&mut self, source: Format) {
        self.opts = self.opts.for_conversion(Some(source), self.format);
    }

    /// The format it serialises for.
    pub(crate) fn format(&self) -> Format {
        self.format
    }

    /// Whether a part is the feature's MapHub GeoJSON at full precision: the bytes
    /// MapHub is sent, whose size a check measures.
    pub(crate) fn is_full_geojson(&self) -> bool {
        self.format == Format::GeoJson && self.opts.geojson.precision.is_none()
    }
}

/// A document of any format written feature by feature, in order.
pub(crate) struct DocWriter<W: Write> {
    doc: Doc<W>,
    /// Features whose `group` names a group not yet known ([`PartMaker::part_named`]),
    /// resolved at the end as the GeoJSON reader resolves them, with their places
    /// among the features put.
    named: crate::geojson::read::LateGroupNames,
    named_at: Vec<usize>,
    /// Features put so far.
    put: usize,
}

/// Files a KMZ carries beside its KML ([`crate::kmz::Carry`]); none without the
/// `kmz` feature, where there is no KMZ.
#[cfg(feature = "kmz")]
pub(crate) type Carry<'a> = dyn crate::kmz::Carry + 'a;
#[cfg(not(feature = "kmz"))]
pub(crate) type Carry<'a> = dyn std::any::Any + 'a;

/// The writer of each format.
enum Doc<W: Write> {
    /// MapHub GeoJSON, written as it comes.
    GeoJson(crate::geojson::Writer<W>),
    /// KML, its placemarks spooled until their folders are written.
    Kml(crate::kml::DocWriter<W>),
    /// GPX, its waypoints, routes and tracks spooled until they are written in order.
    Gpx(crate::gpx::DocWriter<W>),
    /// KMZ: its KML written into the archive's entry as it is finished.
    #[cfg(feature = "kmz")]
    Kmz(crate::kml::DocWriter<crate::kmz::KmlEntry>, W),
}

impl<W: Write> DocWriter<W> {
    /// A document of `format` written into `out` with `opts`.
    pub(crate) fn new(format: Format, out: W, opts: &WriteOptions) -> Result<Self> {
        Ok(DocWriter {
            doc: Doc::new(format, out, opts)?,
            named: Default::default(),
            named_at: Vec::new(),
            put: 0,
        })
    }

    /// Takes the next feature, serialised by a [`PartMaker`] of this document's
    /// format. Returns what the part could not hold when that is said at once
    /// (GeoJSON); the other writers say it when they finish.
    pub(crate) fn put(&mut self, part: Part) -> Result<Vec<Diagnostic>> {
        if let Part::Kml(p, Some(named)) = &part {
            self.note(p.span(), named);
        } else if let Part::Gpx(p, Some(named)) = &part {
            self.note(p.span(), named);
        }
        self.put += 1;
        self.doc.put(part)
    }

    fn note(&mut self, span: crate::Span, named: &Value) {
        let mut lite = Feature {
            span,
            ..Feature::default()
        };
        lite.properties.insert("group".into(), named.clone());
        self.named.note(&lite);
        self.named_at.push(self.put);
    }

    /// Finishes the document; returns the output and what writing could not hold that
    /// it had not said with each part (all of it, for KML, KMZ and GPX). `index`: the
    /// GeoJSON reader's groups by name, which resolve the groups features named.
    /// `carry`: the files a KMZ carries beside its KML (ignored by other formats).
    pub(crate) fn finish(
        mut self,
        meta: &Metadata,
        groups: &[Group],
        index: Option<&crate::geojson::read::GroupIndex>,
        carry: Option<&mut Carry<'_>>,
    ) -> Result<(W, Vec<Diagnostic>)> {
        let (Some(index), false) = (index, self.named_at.is_empty()) else {
            return self.doc.finish(meta, groups, carry);
        };
        // What resolving says (groups created) the check says already.
        let (all, named) = self.named.resolve(groups.to_vec(), index, &mut Vec::new());
        for (at, f) in self.named_at.iter().zip(named) {
            if let (Some(id), Doc::Kml(w)) = (f.group, &mut self.doc) {
                w.set_group(*at, id);
            }
            #[cfg(feature = "kmz")]
            if let (Some(id), Doc::Kmz(w, _)) = (f.group, &mut self.doc) {
                w.set_group(*at, id);
            }
        }
        self.doc.finish(meta, &all, carry)
    }
}

impl<W: Write> Doc<W> {
    fn new(format: Format, out: W, opts: &WriteOptions) -> Result<Self> {
        Ok(match format {
            Format::GeoJson => Doc::GeoJson(crate::geojson::Writer::new(out, opts.geojson.clone())),
            Format::Kml => Doc::Kml(crate::kml::DocWriter::new(out, opts.kml.clone())),
            Format::Gpx => Doc::Gpx(crate::gpx::DocWriter::new(out, opts.gpx.clone())),
            #[cfg(feature = "kmz")]
            Format::Kmz => Doc::Kmz(
                crate::kml::DocWriter::new(crate::kmz::KmlEntry::new()?, opts.kml.clone()),
                out,
            ),
            #[allow(unreachable_patterns)]
            other => return Err(Error::UnsupportedWrite(other)),
        })
    }

    fn put(&mut self, part: Part) -> Result<Vec<Diagnostic>> {
        match (self, part) {
            (Doc::GeoJson(w), Part::GeoJson(bytes, lost)) => {
                w.write_serialised(&bytes, 1)?;
                Ok(lost)
            }
            (Doc::Kml(w), Part::Kml(p, _)) => w.put(p).map(|()| Vec::new()),
            #[cfg(feature = "kmz")]
            (Doc::Kmz(w, _), Part::Kml(p, _)) => w.put(p).map(|()| Vec::new()),
            (Doc::Gpx(w), Part::Gpx(p, _)) => w.put(p).map(|()| Vec::new()),
            _ => Err(Error::Invalid(Box::new(Diagnostic::new(
                crate::Code::WriteNotRepresentable,
                "a feature serialised for another format",
            )))),
        }
    }

    fn finish(
        self,
        meta: &Metadata,
        groups: &[Group],
        carry: Option<&mut Carry<'_>>,
    ) -> Result<(W, Vec<Diagnostic>)> {
        #[cfg(not(feature = "kmz"))]
        let _ = carry;
        match self {
            Doc::GeoJson(w) => w.finish(meta, groups),
            Doc::Kml(w) => w.finish(meta, groups),
            Doc::Gpx(w) => w.finish(meta, groups),
            #[cfg(feature = "kmz")]
            Doc::Kmz(w, out) => {
                let (kml, mut diags) = w.finish(meta, groups)?;
                let (out, carried) = kml.finish(out, carry.map(|c| c as _))?;
                diags.extend(carried);
                Ok((out, diags))
            }
        }
    }
}

/// The maker of parts for documents of `format` written with `opts`.
pub(crate) fn maker(format: Format, opts: &WriteOptions) -> PartMaker {
    PartMaker {
        format,
        opts: opts.clone(),
    }
}
