//! The GPX reader: lenient, streaming, keeping what GPX files hold.
//!
//! Tracks and routes are walked as a stream of events; each waypoint, route point and
//! track point is built into a small tree and read on its own, so one bad point costs
//! only that point. The walk over the file only records where each waypoint, route and
//! track is; a batch of them is read on whichever threads are free
//! ([`crate::stream`]), their features handed on in the file's order. Unknown elements, odd times and unreadable numbers are reported
//! and skipped, never fatal.

use std::io::BufRead;
use std::ops::Range;

use quick_xml::events::Event;
use serde_json::{Map, Value};

use super::ctx::{Ctx, GPX_TYPE};
use super::fields::{describe_point, metadata, GPX10_METADATA};
use super::point::{read_point, Line};
use crate::stream::{map_in_order, FeatureSink, Pace, StreamEnd};
use crate::xml::dom::{self, position, xml_error, Namespaces, Node};
use crate::xml::skip::skip_to_end;
use crate::xml::stream::{drive, fault_in_piece, piece_bytes, piece_reader, recording, Walker};
use crate::xml::{Inspect, TextFindings};
use crate::{
    Code, ColumnValues, Coords, Diagnostic, Error, Feature, Format, Geometry, Group, GroupId,
    Metadata, Result, Span, Time,
};

/// How to read GPX.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Put waypoints, routes and tracks into three groups (by default: no groups).
    pub groups_by_kind: bool,
}

enum State {
    Outside,
    Gpx,
    Route {
        f: Feature,
        line: Line,
    },
    Track {
        f: Feature,
        /// Each segment read so far, with its span.
        parts: Vec<(Coords, Span)>,
    },
    Segment {
        f: Feature,
        parts: Vec<(Coords, Span)>,
        line: Line,
        start: usize,
    },
}

/// The geometry of a route or track from its parts: a line, several, or a point when
/// only a single position was recorded. A one-point part is no line (RFC 7946 wants
/// two positions), so it never becomes a part: beside real parts it is dropped, and
/// said so with all it held.
fn finish_line(f: &mut Feature, parts: Vec<(Coords, Span)>, kind: &str, ctx: &mut Ctx) {
    let (mut lines, singles): (Vec<_>, Vec<_>) = parts
        .into_iter()
        .filter(|(p, _)| !p.is_empty())
        .partition(|(p, _)| p.len() > 1);
    let mut singles = singles.into_iter();
    if lines.is_empty() {
        let Some((only, _)) = singles.next() else {
            ctx.diags.push(
                Diagnostic::new(
                    Code::GpxEmptyTrack,
                    format!("a {kind} has no points; kept without geometry"),
                )
                .at(f.span),
            );
            f.geometry = None;
            return;
        };
        ctx.diags.push(
            Diagnostic::new(
                Code::GpxSinglePointTrack,
                format!("a {kind} has a single point; kept as a point"),
            )
            .at(f.span),
        );
        // `_gpxType` stays: the writer gives it back as a one-point track.
        if let Some(ColumnValues::Texts(t)) = only.column("times").map(|c| &c.values) {
            f.time = t.get(0).map(|t| Time::Instant(t.to_string()));
        }
        // The point's other values (its speed, a fix's precision) are the feature's.
        for col in only.columns().iter().filter(|c| c.name != "times") {
            let v = match &col.values {
                ColumnValues::Texts(t) => t.get(0).map(Value::from),
                ColumnValues::Numbers(n) => n.first().cloned().flatten().map(Value::Number),
            };
            match v {
                Some(v) if !f.properties.contains_key(&col.name) => {
                    f.properties.insert(col.name.clone(), v);
                }
                Some(v) => ctx.diags.push(
                    Diagnostic::new(
                        Code::GpxSinglePointTrack,
                        format!(
                            "the single point's `{}` {v} is skipped: the {kind} has a property of that name",
                            col.name
                        ),
                    )
                    .at(f.span),
                ),
                None => {}
            }
        }
        f.point_span = only.span_at(0);
        f.geometry = only.get(0).map(Geometry::Point);
    } else {
        f.geometry = if lines.len() == 1 {
            lines.pop().map(|(c, _)| Geometry::LineString(c))
        } else {
            Some(Geometry::MultiLineString(
                lines.into_iter().map(|(c, _)| c).collect(),
            ))
        };
    }
    for (c, span) in singles {
        ctx.diags.push(
            Diagnostic::new(
                Code::GpxSinglePointTrack,
                format!(
                    "a segment of a {kind} has a single point ({}), which is no line; dropped, the {kind}'s other points kept",
                    describe_point(&c)
                ),
            )
            .at(span),
        );
    }
}

/// The walk over a GPX file's events (or one piece of it).
struct Walk {
    ns: Namespaces,
    ctx: Ctx,
    meta: Metadata,
    state: State,
    saw_root: bool,
    /// Features read, in order (a piece's, or those of a walk that reads everything).
    features: Vec<Feature>,
    /// Waypoints found inside the route or track being read.
    nested: Vec<Feature>,
    /// Where the waypoints, routes and tracks are, when the walk only records them.
    units: Option<Vec<Range<usize>>>,
    /// Bytes recorded before a batch is read ([`Pace::batch`]).
    batch: usize,
    buf: Vec<u8>,
    inner: Vec<u8>,
}

/// Why a walk stopped: a batch recorded, or the end (GPX has no stop of its own).
type Stop = crate::xml::stream::Stop<std::convert::Infallible>;

impl Walk {
    fn new(state: State, units: Option<Vec<Range<usize>>>) -> Walk {
        let mut ns = Namespaces::default();
        ns.keep_all = true;
        Walk {
            ns,
            ctx: Ctx::default(),
            meta: Metadata {
                source_format: Some(Format::Gpx),
                ..Metadata::default()
            },
            state,
            saw_root: false,
            features: Vec::new(),
            nested: Vec::new(),
            units,
            batch: crate::stream::BATCH,
            buf: Vec::new(),
            inner: Vec::new(),
        }
    }

    /// Walks events up to the end of the input; `between` runs before each event (the
    /// streaming reader reads its batches there).
    fn run<R: BufRead>(&mut self, xml: &mut quick_xml::Reader<Inspect<R>>) -> Result<Stop> {
        let mut buf = std::mem::take(&mut self.buf);
        let mut inner = std::mem::take(&mut self.inner);
        let stop = self.run_with(xml, &mut buf, &mut inner);
        self.buf = buf;
        self.inner = inner;
        stop
    }

    fn run_with<R: BufRead>(
        &mut self,
        xml: &mut quick_xml::Reader<Inspect<R>>,
        buf: &mut Vec<u8>,
        inner: &mut Vec<u8>,
    ) -> Result<Stop> {
        loop {
            match self.units.as_ref().map(Vec::len) {
                Some(0) => xml.get_mut().forget_recorded(),
                Some(_) if xml.get_ref().recorded().0.len() >= self.batch => return Ok(Stop::Full),
                _ => {}
            }
            let before = position(xml);
            buf.clear();
            let event = xml.read_event_into(buf).map_err(|e| xml_error(xml, &e))?;
            match event {
                Event::Start(e) => {
                    let local =
                        String::from_utf8_lossy(e.name().local_name().into_inner()).into_owned();
                    if matches!(self.state, State::Outside) {
                        if self.saw_root || local != "gpx" {
                            return Err(Error::NotFormat {
                                format: Format::Gpx,
                                message: format!("the root element is <{local}>, not <gpx>"),
                            });
                        }
                        self.saw_root = true;
                        self.state = State::Gpx;
                        continue;
                    }
                    if let (Some(units), State::Gpx, "wpt" | "rte" | "trk") =
                        (&mut self.units, &self.state, local.as_str())
                    {
                        // Only where it is, now; it is read with its batch.
                        let name = e.name().as_ref().to_vec();
                        if let Err(err) = skip_to_end(xml, &name, inner) {
                            let skipping = xml_error(xml, &err);
                            return Err(fault_in_piece(xml, before, skipping, |piece| {
                                // The whole file's walk, which this piece ends, would
                                // say it ends inside <gpx> if the piece itself is whole.
                                Walk::new(State::Gpx, None).run(piece)?;
                                Err(Error::Syntax {
                                    message: crate::xml::syntax::ends_inside("gpx"),
                                    offset: position(piece),
                                    line: 0,
                                    column: 0,
                                })
                            }));
                        }
                        units.push(before..position(xml));
                        continue;
                    }
                    let opens = matches!(
                        (&self.state, local.as_str()),
                        (State::Gpx, "rte" | "trk") | (State::Track { .. }, "trkseg")
                    );
                    if opens {
                        let state = std::mem::replace(&mut self.state, State::Outside);
                        self.state = match (state, local.as_str()) {
                            (State::Gpx, "rte") => State::Route {
                                f: Feature {
                                    span: Span::new(before, before),
                                    ..Feature::default()
                                },
                                line: Line::default(),
                            },
                            (State::Gpx, _) => State::Track {
                                f: Feature {
                                    span: Span::new(before, before),
                                    ..Feature::default()
                                },
                                parts: Vec::new(),
                            },
                            (State::Track { f, parts }, _) => State::Segment {
                                f,
                                parts,
                                line: Line::default(),
                                start: before,
                            },
                            (s, _) => s,
                        };
                        continue;
                    }
                    if let (State::Route { line, .. }, "rtept")
                    | (State::Segment { line, .. }, "trkpt") = (&mut self.state, local.as_str())
                    {
                        read_point(xml, &e.into_owned(), before, inner, &mut self.ctx, line)?;
                        continue;
                    }
                    let e = e.into_owned();
                    let (node, too_deep) = dom::build(xml, inner, &e, before, &mut self.ns)?;
                    self.element(node, too_deep, &local);
                }
                Event::End(_) => self.end(position(xml)),
                Event::Eof => return Ok(Stop::End),
                _ => {}
            }
        }
    }

    /// An element built whole where it stands.
    fn element(&mut self, node: Node, too_deep: bool, local: &str) {
        let ctx = &mut self.ctx;
        if too_deep {
            ctx.ignore("elements nested too deep", node.start);
        }
        match (&mut self.state, local) {
            (State::Gpx, "wpt") => self.features.extend(ctx.waypoint(&node)),
            (State::Gpx, "metadata") => metadata(&node, &mut self.meta, ctx),
            (State::Gpx, name) if GPX10_METADATA.contains(&name) => {
                // GPX 1.0 keeps these directly under <gpx>.
                let wrapper = Node {
                    children: vec![node],
                    ..Node::default()
                };
                metadata(&wrapper, &mut self.meta, ctx);
            }
            // OpenRouteService exports put waypoints inside <trk>; GPX wants
            // them under <gpx>. Read them all the same, after their line.
            (State::Route { .. } | State::Track { .. } | State::Segment { .. }, "wpt") => {
                let inside = match self.state {
                    State::Route { .. } => "<rte>",
                    State::Track { .. } => "<trk>",
                    _ => "<trkseg>",
                };
                ctx.count(
                    Code::GpxMisplacedWaypoint,
                    format!("a <wpt> inside a {inside} is read as a waypoint"),
                    node.start,
                );
                self.nested.extend(ctx.waypoint(&node));
            }
            (State::Route { f, .. } | State::Track { f, .. }, _) => ctx.line_field(&node, f),
            (_, other) => ctx.ignore(&format!("<{other}>"), node.start),
        }
    }

    /// An end tag, at offset `end`.
    fn end(&mut self, end: usize) {
        let ctx = &mut self.ctx;
        let state = std::mem::replace(&mut self.state, State::Outside);
        self.state = match state {
            State::Route { mut f, line } => {
                f.span.end = end;
                f.properties.insert(GPX_TYPE.into(), "rte".into());
                let span = f.span;
                finish_line(&mut f, vec![(line.finish(), span)], "route", ctx);
                self.features.push(f);
                self.features.append(&mut self.nested);
                State::Gpx
            }
            State::Segment {
                f,
                mut parts,
                line,
                start,
            } => {
                let c = line.finish();
                if c.is_empty() {
                    ctx.diags.push(
                        Diagnostic::new(Code::GpxEmptySegment, "an empty track segment is skipped")
                            .at(Span::new(start, end)),
                    );
                }
                parts.push((c, Span::new(start, end)));
                State::Track { f, parts }
            }
            State::Track { mut f, parts } => {
                f.span.end = end;
                f.properties.insert(GPX_TYPE.into(), "trk".into());
                finish_line(&mut f, parts, "track", ctx);
                self.features.push(f);
                self.features.append(&mut self.nested);
                State::Gpx
            }
            State::Gpx | State::Outside => State::Outside,
        };
    }
}

/// The groups of [`ReadOptions::groups_by_kind`]: title, id, and the `_gpxType` of
/// their members.
const KINDS: [(&str, u64, Option<&str>); 3] = [
    ("Waypoints", 1, None),
    ("Routes", 2, Some("rte")),
    ("Tracks", 3, Some("trk")),
];

/// Puts a feature as the reader gives it: `_gpxType` after the other properties, and
/// in the group of its kind when the options ask for them (its index in [`KINDS`]).
fn settle(f: &mut Feature, opts: &ReadOptions) -> usize {
    // Route and track points carry a `_gpxType`; move it after the other properties.
    if let Some(t) = f.properties.shift_remove(GPX_TYPE) {
        f.properties.insert(GPX_TYPE.into(), t);
    }
    let kind = f.properties.get(GPX_TYPE).and_then(Value::as_str);
    let index = KINDS.iter().position(|(.., k)| *k == kind).unwrap_or(0);
    if opts.groups_by_kind {
        f.group = GroupId::new(KINDS[index].1);
    }
    index
}

/// One recorded waypoint, route or track read: its features (a line and the waypoints
/// found inside it) through `sink`, each with its kind, and what reading found.
fn read_piece<S: FeatureSink>(
    bytes: &[u8],
    base: usize,
    findings: &TextFindings,
    opts: &ReadOptions,
    sink: &S,
) -> Result<Piece<S::Out>> {
    let mut xml = piece_reader(bytes, base, findings.for_piece());
    let mut walk = Walk::new(State::Gpx, None);
    walk.ctx.position_spans = sink.position_spans();
    walk.run(&mut xml)?;
    let mut out = Vec::with_capacity(walk.features.len());
    for mut f in walk.features {
        let kind = settle(&mut f, opts);
        out.push((sink.map(f, &mut walk.ctx.diags)?, kind));
    }
    let findings = std::mem::take(xml.get_mut().findings_mut());
    Ok(Piece {
        features: out,
        found: walk.ctx,
        findings,
    })
}

/// A waypoint, route or track read.
struct Piece<O> {
    /// Its features through the sink, each with its kind (an index in [`KINDS`]).
    features: Vec<(O, usize)>,
    /// What reading it found.
    found: Ctx,
    /// What decoding its text found.
    findings: TextFindings,
}

/// Reads the pieces `units` (in `recorded`, which starts at offset `from`) on up to
/// `threads` threads.
fn read_units<S: FeatureSink>(
    units: &[Range<usize>],
    recorded: &[u8],
    from: usize,
    findings: &TextFindings,
    opts: &ReadOptions,
    threads: usize,
    sink: &S,
) -> Vec<Result<Piece<S::Out>>> {
    map_in_order(units, threads, |u| {
        read_piece(
            piece_bytes(recorded, from, u),
            u.start,
            findings,
            opts,
            sink,
        )
    })
}

/// Reads a whole GPX document, its diagnostics in the reader's order, as the unit
/// tests see them ([`crate::read`] is the public way: it sorts them by position).
#[cfg(test)]
pub(crate) fn read<R: BufRead>(
    input: R,
    opts: &ReadOptions,
) -> Result<(crate::Document, Vec<Diagnostic>)> {
    crate::stream::collect(|emit| stream(input, opts, Pace::one(), &crate::stream::AsRead, emit))
}

/// Reads a GPX document as a stream ([`crate::stream::features`]).
pub(crate) fn stream<R, S, E>(
    input: R,
    opts: &ReadOptions,
    pace: Pace,
    sink: &S,
    emit: E,
) -> Result<StreamEnd>
where
    R: BufRead,
    S: FeatureSink,
    E: FnMut(S::Out, &[Diagnostic]) -> Result<()>,
{
    let mut xml = recording(input)?;
    let mut walk = Walk::new(State::Outside, Some(Vec::new()));
    walk.batch = pace.batch;
    let mut shell = Shell {
        walk,
        kinds: [false; 3],
        emit,
        out: std::marker::PhantomData,
    };
    let read = |units: &Vec<Range<usize>>, recorded: &[u8], from, findings| {
        read_units(units, recorded, from, &findings, opts, pace.threads, sink)
    };
    drive(&mut xml, pace.threads, &mut shell, &read)?;
    let Shell { walk, kinds, .. } = shell;
    if !walk.saw_root {
        return Err(Error::NotFormat {
            format: Format::Gpx,
            message: "no <gpx> element".into(),
        });
    }
    if !matches!(walk.state, State::Outside) {
        return Err(Error::Syntax {
            message: crate::xml::syntax::ends_inside("gpx"),
            offset: position(&xml),
            line: 0,
            column: 0,
        });
    }
    let mut groups = Vec::new();
    if opts.groups_by_kind {
        for ((title, id, _), seen) in KINDS.iter().zip(kinds) {
            if let (true, Some(id)) = (seen, GroupId::new(*id)) {
                groups.push(Group {
                    id,
                    title: (*title).into(),
                    parent: None,
                    extra: Map::new(),
                });
            }
        }
    }
    let mut ctx = walk.ctx;
    for ((code, what), (count, offset)) in std::mem::take(&mut ctx.tally) {
        ctx.diags.push(
            Diagnostic::new(code, format!("{what}{}", crate::diag::times(count)))
                .at(Span::new(offset, offset + 1)),
        );
    }
    ctx.diags.extend(xml.get_mut().findings_mut().diagnostics());
    Ok(StreamEnd {
        meta: walk.meta,
        groups,
        diagnostics: ctx.diags,
        kmz: None,
    })
}

/// The GPX walk in the XML readers' shell ([`drive`]).
struct Shell<O, E> {
    walk: Walk,
    /// Which kinds of feature went by, for the groups by kind.
    kinds: [bool; 3],
    emit: E,
    out: std::marker::PhantomData<fn(O)>,
}

impl<R, O, E> Walker<R> for Shell<O, E>
where
    R: BufRead,
    O: Send,
    E: FnMut(O, &[Diagnostic]) -> Result<()>,
{
    /// The waypoints, routes and tracks recorded.
    type Batch = Vec<Range<usize>>;
    type Read = Vec<Result<Piece<O>>>;
    type Other = std::convert::Infallible;

    fn walk(&mut self, xml: &mut quick_xml::Reader<Inspect<R>>) -> Result<Stop> {
        self.walk.run(xml)
    }

    fn take_batch(&mut self) -> Self::Batch {
        self.walk
            .units
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn deliver(&mut self, xml: &mut quick_xml::Reader<Inspect<R>>, read: Self::Read) -> Result<()> {
        for piece in read {
            let Piece {
                features: outs,
                found,
                findings,
            } = piece?;
            xml.get_mut().findings_mut().merge(&findings);
            let first = self.walk.ctx.diags.len();
            self.walk.ctx.merge(found);
            let said = self.walk.ctx.diags.get(first..).unwrap_or_default();
            for (out, kind) in outs {
                if let Some(seen) = self.kinds.get_mut(kind) {
                    *seen = true;
                }
                (self.emit)(out, said)?;
            }
        }
        Ok(())
    }

    fn other(&mut self, _: &mut quick_xml::Reader<Inspect<R>>, other: Self::Other) -> Result<()> {
        match other {}
    }
}
