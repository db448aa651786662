//! Every writer as a sink of the stream: each feature is serialised on the thread
//! that read it ([`PartMaker::part`]), and the parts are put together in the file's
//! order ([`DocWriter::put`]) into a document finished once the input is read
//! ([`DocWriter::finish`]). GeoJSON is written as it comes (from a feature naming a
//! group declared later on, it is held in a spool until the groups are known); KML,
//! KMZ and GPX keep their parts in a spool until the end (their order is not the
//! file's), so no writer holds the document.

use std::io::Write;

use serde_json::Value;

use crate::{Diagnostic, Error, Feature, Format, Group, Metadata, Result, WriteOptions};

/// One feature serialised for a document.
pub(crate) enum Part {
    /// Its MapHub GeoJSON, with what that could not hold; and when its `group` names a
    /// group that is not known yet, how it is written linked to it
    /// ([`PartMaker::part_named`]).
    GeoJson(Vec<u8>, Vec<Diagnostic>, Option<Box<LateGroup>>),
    /// Its placemark (KML and KMZ), and the group it names ([`PartMaker::part_named`]).
    Kml(crate::kml::Placemark, Option<Value>),
    /// Its waypoints, routes and tracks, and the group it names.
    Gpx(crate::gpx::GpxParts, Option<Value>),
}

/// A GeoJSON feature whose `group` names a group not known when it was read: written
/// as it is when the name resolves to none at the end, else as `linked` with the id
/// put at `at`.
pub(crate) struct LateGroup {
    /// The `group` member as read.
    named: Value,
    /// The feature's place, for what resolving the name says.
    span: crate::Span,
    /// The feature written without its `group` member and with the key `"group":`.
    linked: Vec<u8>,
    /// Where in `linked` the group's id goes.
    at: usize,
}

/// GeoJSON features held from the first whose group is not known yet to the end,
/// when the groups are: in a spool (memory, then an unnamed temporary file), so the
/// output is the document read whole's and memory holds what the spool holds.
#[derive(Default)]
struct HeldGeoJson {
    /// The features from the first late one: each other feature as `,\n` and its
    /// bytes; each late one as its bytes, then its linked bytes.
    spool: Option<crate::spool::Spool>,
    /// Where each late feature is in the spool.
    late: Vec<HeldLate>,
}

/// A late feature in [`HeldGeoJson`]'s spool: its bytes as they are, then its linked
/// form.
#[derive(Clone, Copy)]
struct HeldLate {
    /// Where its bytes start.
    start: u64,
    /// The length of its bytes as they are.
    raw: u64,
    /// The length of its linked form, which follows.
    linked: u64,
    /// Where in the linked form the group's id goes.
    at: usize,
}

impl HeldGeoJson {
    /// Holds `part` when a late feature came before it, or is it.
    fn hold(&mut self, bytes: &[u8], late: Option<&LateGroup>) -> std::io::Result<bool> {
        if self.spool.is_none() && late.is_none() {
            return Ok(false);
        }
        let spool = self.spool.get_or_insert_with(crate::spool::Spool::new);
        match late {
            Some(l) => {
                let start = spool.len();
                spool.push(bytes)?;
                spool.push(&l.linked)?;
                self.late.push(HeldLate {
                    start,
                    raw: bytes.len() as u64,
                    linked: l.linked.len() as u64,
                    at: l.at,
                });
            }
            None => {
                spool.push(b",\n")?;
                spool.push(bytes)?;
            }
        }
        Ok(true)
    }

    /// Writes what it holds into `w`, each late feature linked to its group in `ids`
    /// (in their order; as it is when its id is `None` or missing).
    fn write_into<W: Write>(
        self,
        w: &mut crate::geojson::Writer<W>,
        ids: &[Option<crate::GroupId>],
    ) -> Result<()> {
        let Some(mut spool) = self.spool else {
            return Ok(());
        };
        let mut done = 0;
        let mut one = Vec::new();
        for (i, late) in self.late.iter().enumerate() {
            let HeldLate {
                start,
                raw,
                linked,
                at,
            } = *late;
            // The features between two late ones, as they are (`,\n` and all).
            spool.copy_range(done, start, w.get_mut())?;
            one.clear();
            match ids.get(i).copied().flatten() {
                Some(id) => {
                    spool.copy_range(start + raw, start + raw + linked, &mut one)?;
                    let id = id.get().to_string();
                    let at = at.min(one.len());
                    one.splice(at..at, id.bytes());
                }
                None => spool.copy_range(start, start + raw, &mut one)?,
            }
            w.write_serialised(&one, 1)?;
            done = start + raw + linked;
        }
        let end = spool.len();
        spool.copy_range(done, end, w.get_mut())?;
        Ok(())
    }
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
                Part::GeoJson(buf, lost, None)
            }
        })
    }

    /// [`PartMaker::part`] of a feature read from GeoJSON, whose `group` may name a
    /// group by title path or string id declared later in the file (or nowhere: then
    /// it is created). The group is known at the end ([`DocWriter::finish`]): the
    /// feature is written there as the document read whole has it, linked to the
    /// group (GeoJSON keeps both ways of writing it until then; the others write it
    /// without the member and put it in its group's place).
    pub(crate) fn part_named(&self, f: &Feature) -> Result<Part> {
        if self.format == Format::GeoJson {
            return self.part_late(f);
        }
        let named = match f.properties.get("group") {
            Some(Value::String(s)) if f.group.is_none() && !s.trim().is_empty() => {
                Value::String(s.clone())
            }
            _ => return self.part(f),
        };
        let mut unnamed = f.clone();
        unnamed.properties.shift_remove("group");
        Ok(match self.part(&unnamed)? {
            Part::Kml(p, _) => Part::Kml(p, Some(named)),
            Part::Gpx(p, _) => Part::Gpx(p, Some(named)),
            other => other,
        })
    }

    /// The GeoJSON part of `f`, with its linked form when its `group` may name a group
    /// at the end: a title path or string id, or a number that is an id as written
    /// (what resolving the names at the end looks up).
    fn part_late(&self, f: &Feature) -> Result<Part> {
        let named = match f.properties.get("group") {
            Some(v @ Value::String(s)) if f.group.is_none() && !s.trim().is_empty() => v.clone(),
            Some(v @ Value::Number(_)) if f.group.is_none() => v.clone(),
            _ => return self.part(f),
        };
        let part = self.part(f)?;
        let Part::GeoJson(bytes, lost, _) = part else {
            return Ok(part);
        };
        let mut unnamed = f.clone();
        unnamed.properties.shift_remove("group");
        let mut linked = Vec::with_capacity(bytes.len());
        // What writing it says is said once, by the part as it is.
        let at = crate::geojson::write::feature_bytes_group_slot(
            &mut linked,
            &unnamed,
            &self.opts.geojson,
            &mut Vec::new(),
        )?;
        let late = LateGroup {
            named,
            span: f.span,
            linked,
            at,
        };
        Ok(Part::GeoJson(bytes, lost, Some(Box::new(late))))
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
    /// GeoJSON features held until the late groups are known.
    held: HeldGeoJson,
}

/// Files a KMZ carries beside its KML ([`crate::kmz::Carry`]); none without the
/// `kmz` feature, where there is no KMZ.
#[cfg(feature = "kmz")]
pub(crate) type Carry<'a> = dyn crate::kmz::Carry + 'a;
#[cfg(not(feature = "kmz"))]
pub(crate) type Carry<'a> = dyn std::any::Any + 'a;

/// The writer of each format.
enum Doc<W: Write> {
    /// MapHub GeoJSON, written as it comes (but what [`DocWriter::put`] holds).
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
            held: HeldGeoJson::default(),
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
        } else if let Part::GeoJson(bytes, lost, late) = &part {
            if let Some(l) = late {
                self.note(l.span, &l.named);
            }
            if self.held.hold(bytes, late.as_deref())? {
                self.put += 1;
                return Ok(lost.clone());
            }
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
            if let Doc::GeoJson(w) = &mut self.doc {
                std::mem::take(&mut self.held).write_into(w, &[])?;
            }
            return self.doc.finish(meta, groups, carry);
        };
        // What resolving says (groups created) the check says already.
        let (all, named) = self.named.resolve(groups.to_vec(), index, &mut Vec::new());
        if let Doc::GeoJson(w) = &mut self.doc {
            let ids: Vec<_> = named.iter().map(|f| f.group).collect();
            std::mem::take(&mut self.held).write_into(w, &ids)?;
        }
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
            (Doc::GeoJson(w), Part::GeoJson(bytes, lost, _)) => {
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
