//! The KML reader: Documents and Folders are walked as a stream of XML events and
//! become groups; each Style and Schema is built into a small tree and interpreted on
//! its own, and so is each Placemark, on whichever thread is free: the walk only
//! records where a Placemark's bytes are, and a batch of them is read in parallel
//! ([`crate::stream`]), their features handed on in the file's order.

use std::io::BufRead;
use std::ops::Range;
use std::sync::Arc;

use quick_xml::events::Event;
use serde_json::Value;

use super::ctx::{Ctx, Defs};
use super::placemark;
use super::style::{apply_style, PendingStyle};
use crate::stream::{map_in_order, FeatureSink, Pace, StreamEnd};
use crate::xml::dom::{self, position, xml_error, Namespaces, Node};
use crate::xml::skip::skip_to_end;
use crate::xml::stream::{drive, fault_in_piece, piece_bytes, piece_reader, recording, Walker};
use crate::xml::{Inspect, TextFindings};
use crate::{
    Code, Diagnostic, Error, Feature, Format, Group, GroupId, Metadata, Result, RootKind, Span,
    MAX_GROUP_DEPTH,
};

/// Elements that have no place in a MapHub map, reported one by one.
const NOT_REPRESENTABLE: [&str; 8] = [
    "NetworkLink",
    "GroundOverlay",
    "ScreenOverlay",
    "PhotoOverlay",
    "Tour",
    "Region",
    "NetworkLinkControl",
    "Model",
];

enum Frame {
    Kml,
    /// A folder nested past [`MAX_GROUP_DEPTH`]: not a group of its own. (Each frame
    /// keeps its element's name, for a file that ends inside it.)
    Flattened(&'static str),
    /// The top Document: its name and description are the document's.
    TopDocument,
    /// A Folder, or a Document nested in another: a group.
    Group {
        index: usize,
        start: usize,
        content: bool,
        element: &'static str,
    },
}

/// `Document` or `Folder`, as a name a frame can keep.
fn container(local: &str) -> &'static str {
    if local == "Folder" {
        "Folder"
    } else {
        "Document"
    }
}

/// A Placemark whose bytes were recorded, to be read with what was known where it is.
struct Unit {
    range: Range<usize>,
    group: Option<GroupId>,
    ns: Arc<Namespaces>,
}

/// A feature read, handed on, or waiting for a style defined later in the file.
enum Outcome<O> {
    Ready(O),
    Later(Box<Feature>, PendingStyle),
}

/// One Placemark read on a worker: what it became, and what its reading found.
struct Piece<O> {
    outcome: Outcome<O>,
    found: Ctx,
    findings: TextFindings,
}

struct Parser<O> {
    ctx: Ctx,
    meta: Metadata,
    groups: Vec<Group>,
    /// Features read so far (handed on or not).
    features: usize,
    frames: Vec<Frame>,
    ns: Namespaces,
    /// `ns` as the placemarks read elsewhere see it.
    ns_shared: Arc<Namespaces>,
    too_deep_reported: bool,
    /// The groups enclosing the current position, innermost last.
    innermost: Vec<GroupId>,
    /// Placemarks recorded and not read yet.
    units: Vec<Unit>,
    /// From the first feature whose style is defined later on, every feature waits
    /// (with the diagnostics of its reading), so that features go on in order.
    held: Vec<(Outcome<O>, Vec<Diagnostic>)>,
    /// The walk's own state, kept between the times it stops.
    saw_root: bool,
    /// The root's name, for a file that ends inside it.
    root_name: String,
    buf: Vec<u8>,
    inner: Vec<u8>,
    /// Bytes recorded before a batch is read ([`Pace::batch`]).
    batch: usize,
}

/// Why the walk stopped, besides a batch recorded and the end.
enum Other {
    /// A shared style or schema: the placemarks before it are read without it.
    Def(Box<Node>),
    /// A bare geometry as the whole file, read already.
    Built(Box<Feature>),
}

/// The walk's stops.
type Stop = crate::xml::stream::Stop<Other>;

impl<O> Parser<O> {
    /// How many groups enclose the current position.
    fn depth(&self) -> usize {
        // Kept as a stack beside the frames: walking the frames each time would cost
        // the square of the nesting.
        self.innermost.len()
    }

    fn current_group(&self) -> Option<GroupId> {
        self.innermost.last().copied()
    }

    fn container_text(&mut self, node: &Node) {
        let text = node.text.trim().to_string();
        match self.frames.last() {
            Some(Frame::Group { index, .. }) => {
                if let Some(g) = self.groups.get_mut(*index) {
                    if node.name == "name" {
                        g.title = text;
                    } else {
                        g.extra.insert(node.name.clone(), Value::String(text));
                    }
                }
            }
            Some(Frame::Flattened(_)) => {}
            Some(Frame::TopDocument) | Some(Frame::Kml) => match node.name.as_str() {
                "name" => self.meta.name = Some(text),
                "description" => self.meta.description = Some(text),
                _ => {
                    self.meta
                        .extra
                        .insert(node.name.clone(), Value::String(text));
                }
            },
            None => {}
        }
    }

    /// Hands on a feature read (with what its reading said), unless features wait.
    fn deliver<E>(
        &mut self,
        outcome: Outcome<O>,
        diags: Vec<Diagnostic>,
        emit: &mut E,
    ) -> Result<()>
    where
        E: FnMut(O, &[Diagnostic]) -> Result<()>,
    {
        match outcome {
            Outcome::Ready(out) if self.held.is_empty() => {
                emit(out, &diags)?;
                self.ctx.diags.extend(diags);
            }
            other => self.held.push((other, diags)),
        }
        Ok(())
    }

    /// The document's data and groups, and everything said, once the features that
    /// waited for their styles have them and have gone on.
    fn finish<S, E>(mut self, sink: &S, emit: &mut E) -> Result<StreamEnd>
    where
        S: FeatureSink<Out = O>,
        E: FnMut(O, &[Diagnostic]) -> Result<()>,
    {
        for (outcome, mut diags) in std::mem::take(&mut self.held) {
            let out = match outcome {
                Outcome::Ready(out) => out,
                Outcome::Later(mut f, pending) => {
                    apply_style(&mut f, pending, &self.ctx.defs.styles, true, &mut diags);
                    sink.map(*f, &mut diags)?
                }
            };
            emit(out, &diags)?;
            self.ctx.diags.extend(diags);
        }
        for (name, (count, offset)) in std::mem::take(&mut self.ctx.ignored) {
            self.ctx.diags.push(
                Diagnostic::new(
                    Code::KmlIgnoredElement,
                    format!("<{name}> skipped{}", crate::diag::times(count)),
                )
                .at(Span::new(offset, offset + 1)),
            );
        }
        for (url, span, values) in std::mem::take(&mut self.ctx.schema_refs) {
            let external = !url.trim().starts_with('#') && url.contains(['#', '/', '.']);
            match self.ctx.schema(&url) {
                None if !external => self.ctx.diags.push(
                    Diagnostic::new(Code::KmlMissingSchema, format!("SchemaData refers to schema `{url}`, which the document does not define"))
                        .at(span),
                ),
                None => {}
                Some(fields) => {
                    for (name, text, at) in values {
                        let ty = fields.iter().find(|(n, _)| *n == name).map_or("string", |(_, t)| t.as_str());
                        if placemark::typed(&text, ty).is_none() {
                            self.ctx.diags.push(
                                Diagnostic::new(Code::KmlBadTypedValue, format!("SimpleData `{name}` is `{text}`, not a {ty}"))
                                    .at(at),
                            );
                        }
                    }
                }
            }
        }
        self.meta.unrepresented = std::mem::take(&mut self.ctx.unrepresented);
        Ok(StreamEnd {
            meta: self.meta,
            groups: self.groups,
            diagnostics: self.ctx.diags,
            kmz: None,
        })
    }
}

/// Reads one recorded Placemark (`bytes` are its own) and hands its feature to `sink`,
/// unless its shared style is defined later in the file.
fn read_piece<S: FeatureSink>(
    bytes: &[u8],
    unit: &Unit,
    defs: &Arc<Defs>,
    findings: &TextFindings,
    sink: &S,
) -> Result<Piece<S::Out>> {
    let mut xml = piece_reader(bytes, unit.range.start, findings.for_piece());
    let mut ns = Namespaces::clone(&*unit.ns);
    let mut ctx = Ctx::with_defs(Arc::clone(defs));
    ctx.position_spans = sink.position_spans();
    let (node, too_deep) = first_element(&mut xml, &mut ns)?;
    if too_deep {
        ctx.diag(too_deep_diagnostic(&node));
    }
    let (mut f, pending) = placemark::read(&node, unit.group, &mut ctx);
    let outcome = match apply_style(&mut f, pending, &defs.styles, false, &mut ctx.diags) {
        Some(pending) => Outcome::Later(Box::new(f), pending),
        None => Outcome::Ready(sink.map(f, &mut ctx.diags)?),
    };
    let findings = std::mem::take(xml.get_mut().findings_mut());
    Ok(Piece {
        outcome,
        found: ctx,
        findings,
    })
}

/// The tree of a piece's element (and whether it was cut for nesting too deep).
fn first_element(
    xml: &mut quick_xml::Reader<Inspect<&[u8]>>,
    ns: &mut Namespaces,
) -> Result<(Node, bool)> {
    let (mut buf, mut inner) = (Vec::new(), Vec::new());
    loop {
        let before = position(xml);
        buf.clear();
        match xml
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(xml, &e))?
        {
            Event::Start(e) => {
                let e = e.into_owned();
                return dom::build(xml, &mut inner, &e, before, ns);
            }
            Event::Eof => {
                return Err(Error::Syntax {
                    message: crate::xml::syntax::ends_inside("Placemark"),
                    offset: position(xml),
                    line: 0,
                    column: 0,
                })
            }
            _ => {}
        }
    }
}

fn too_deep_diagnostic(node: &Node) -> Diagnostic {
    Diagnostic::new(
        Code::KmlTooDeep,
        format!(
            "<{}> nests elements deeper than {} levels; the deepest are skipped",
            node.name,
            dom::MAX_DEPTH
        ),
    )
    .at(Span::new(node.start, node.end))
}

/// Reads the placemarks `units` (in `recorded`, which starts at offset `from`) on up
/// to `threads` threads.
#[allow(clippy::too_many_arguments)]
fn read_units<S: FeatureSink>(
    units: &[Unit],
    recorded: &[u8],
    from: usize,
    defs: &Arc<Defs>,
    findings: &TextFindings,
    threads: usize,
    sink: &S,
) -> Vec<Result<Piece<S::Out>>> {
    map_in_order(units, threads, |u| {
        read_piece(
            piece_bytes(recorded, from, &u.range),
            u,
            defs,
            findings,
            sink,
        )
    })
}

/// Hands on the features of placemarks read, in order, with what reading them found.
fn deliver_pieces<R, O, E>(
    p: &mut Parser<O>,
    xml: &mut quick_xml::Reader<Inspect<R>>,
    pieces: Vec<Result<Piece<O>>>,
    emit: &mut E,
) -> Result<()>
where
    R: BufRead,
    E: FnMut(O, &[Diagnostic]) -> Result<()>,
{
    for piece in pieces {
        let mut piece = piece?;
        xml.get_mut().findings_mut().merge(&piece.findings);
        let diags = std::mem::take(&mut piece.found.diags);
        p.ctx.merge(piece.found);
        p.deliver(piece.outcome, diags, emit)?;
    }
    Ok(())
}

/// Reads a whole KML document, its diagnostics in the reader's order, as the unit
/// tests see them ([`crate::read`] is the public way: it sorts them by position).
#[cfg(test)]
pub(crate) fn read<R: BufRead>(input: R) -> Result<(crate::Document, Vec<Diagnostic>)> {
    crate::stream::collect(|emit| stream(input, Pace::one(), &crate::stream::AsRead, emit))
}

/// Reads a KML document as a stream ([`crate::stream::features`]).
pub(crate) fn stream<R, S, E>(input: R, pace: Pace, sink: &S, emit: E) -> Result<StreamEnd>
where
    R: BufRead,
    S: FeatureSink,
    E: FnMut(S::Out, &[Diagnostic]) -> Result<()>,
{
    let mut xml = recording(input)?;
    let p: Parser<S::Out> = Parser {
        ctx: Ctx::default(),
        meta: Metadata {
            source_format: Some(Format::Kml),
            ..Metadata::default()
        },
        groups: Vec::new(),
        features: 0,
        frames: Vec::new(),
        ns: Namespaces::default(),
        ns_shared: Arc::default(),
        too_deep_reported: false,
        innermost: Vec::new(),
        units: Vec::new(),
        held: Vec::new(),
        saw_root: false,
        root_name: String::new(),
        buf: Vec::new(),
        inner: Vec::new(),
        batch: pace.batch,
    };
    let mut shell = Shell { p, sink, emit };
    let read = |(units, defs): &(Vec<Unit>, Arc<Defs>), recorded: &[u8], from, findings| {
        read_units(units, recorded, from, defs, &findings, pace.threads, sink)
    };
    drive(&mut xml, pace.threads, &mut shell, &read)?;
    let Shell { p, mut emit, .. } = shell;
    let mut end = p.finish(sink, &mut emit)?;
    end.diagnostics
        .extend(xml.get_mut().findings_mut().diagnostics());
    Ok(end)
}

/// The KML walk in the XML readers' shell ([`drive`]).
struct Shell<'s, S: FeatureSink, E> {
    p: Parser<S::Out>,
    sink: &'s S,
    emit: E,
}

impl<R, S, E> Walker<R> for Shell<'_, S, E>
where
    R: BufRead,
    S: FeatureSink,
    E: FnMut(S::Out, &[Diagnostic]) -> Result<()>,
{
    /// The placemarks recorded, and the styles and schemas defined before them.
    type Batch = (Vec<Unit>, Arc<Defs>);
    type Read = Vec<Result<Piece<S::Out>>>;
    type Other = Other;

    fn walk(&mut self, xml: &mut quick_xml::Reader<Inspect<R>>) -> Result<Stop> {
        walk(&mut self.p, xml)
    }

    fn take_batch(&mut self) -> Self::Batch {
        (
            std::mem::take(&mut self.p.units),
            Arc::clone(&self.p.ctx.defs),
        )
    }

    fn deliver(&mut self, xml: &mut quick_xml::Reader<Inspect<R>>, read: Self::Read) -> Result<()> {
        deliver_pieces(&mut self.p, xml, read, &mut self.emit)
    }

    fn other(&mut self, _: &mut quick_xml::Reader<Inspect<R>>, other: Other) -> Result<()> {
        match other {
            // The placemarks before a definition were read without it.
            Other::Def(node) => {
                self.p.ctx.register(&node);
                Ok(())
            }
            Other::Built(f) => {
                let mut diags = Vec::new();
                let out = self.sink.map(*f, &mut diags)?;
                self.p.deliver(Outcome::Ready(out), diags, &mut self.emit)
            }
        }
    }
}

/// The walk over the document's events, recording Placemarks as units, up to where
/// it needs the driver ([`Stop`]).
fn walk<R: BufRead, O>(p: &mut Parser<O>, xml: &mut quick_xml::Reader<Inspect<R>>) -> Result<Stop> {
    let mut buf = std::mem::take(&mut p.buf);
    let mut inner = std::mem::take(&mut p.inner);
    let stop = walk_with(p, xml, &mut buf, &mut inner);
    p.buf = buf;
    p.inner = inner;
    stop
}

fn walk_with<R: BufRead, O>(
    p: &mut Parser<O>,
    xml: &mut quick_xml::Reader<Inspect<R>>,
    buf: &mut Vec<u8>,
    inner: &mut Vec<u8>,
) -> Result<Stop> {
    loop {
        if p.units.is_empty() {
            xml.get_mut().forget_recorded();
        } else if xml.get_ref().recorded().0.len() >= p.batch {
            return Ok(Stop::Full);
        }
        let before = position(xml);
        buf.clear();
        let event = xml.read_event_into(buf).map_err(|e| xml_error(xml, &e))?;
        match event {
            Event::Start(e) => {
                if p.ns.declare(&e) {
                    p.ns_shared = Arc::new(p.ns.clone());
                }
                if let Some(Frame::Group { content, .. }) = p.frames.last_mut() {
                    *content = true;
                }
                let Some(local) = p.ns.kml_local(e.name()) else {
                    let name = e.name().as_ref().to_vec();
                    if !p.saw_root {
                        return Err(not_kml(&name));
                    }
                    // Foreign metadata (atom:author, xal:…) has no place in the model.
                    p.ctx.ignored(&String::from_utf8_lossy(&name), before);
                    skip_to_end(xml, &name, inner).map_err(|err| xml_error(xml, &err))?;
                    continue;
                };
                let local = String::from_utf8_lossy(local).into_owned();
                if !p.saw_root {
                    p.saw_root = true;
                    p.root_name.clone_from(&local);
                    if local == "kml" {
                        p.frames.push(Frame::Kml);
                        continue;
                    }
                    // A fragment: a KML element as the root. Read it as if it stood in
                    // a Document, unless its namespace says it is something else.
                    // A prefixed name already passed as KML: its prefix is bound to KML.
                    if e.name().prefix().is_none() && !fragment_root(&e, &local) {
                        return Err(not_kml(local.as_bytes()));
                    }
                    p.frames.push(Frame::Kml);
                    match local.as_str() {
                        "Placemark" => p.meta.root = RootKind::Feature,
                        g if placemark::GEOMETRIES.contains(&g) => {
                            // A bare geometry as the whole file (georust writes these).
                            let e = e.into_owned();
                            let (node, _) = dom::build(xml, inner, &e, before, &mut p.ns)?;
                            let f = Feature {
                                geometry: placemark::geometry(&node, &mut p.ctx),
                                span: Span::new(node.start, node.end),
                                ..Feature::default()
                            };
                            p.features += 1;
                            p.meta.root = RootKind::Geometry;
                            return Ok(Stop::Other(Other::Built(Box::new(f))));
                        }
                        _ => {}
                    }
                }
                match local.as_str() {
                    "Document"
                        if p.frames.iter().all(|f| matches!(f, Frame::Kml))
                            && p.meta.name.is_none()
                            && p.groups.is_empty()
                            && p.features == 0 =>
                    {
                        p.frames.push(Frame::TopDocument);
                    }
                    "Document" | "Folder" if p.depth() >= MAX_GROUP_DEPTH => {
                        // Deeper folders are not groups of their own: their placemarks
                        // join the deepest group (reported once).
                        if !p.too_deep_reported {
                            p.too_deep_reported = true;
                            p.ctx.diag(
                                Diagnostic::new(
                                    Code::GroupTooDeep,
                                    format!("folders nest deeper than {MAX_GROUP_DEPTH} levels; deeper placemarks join the deepest group"),
                                )
                                .at(Span::new(before, before + 1)),
                            );
                        }
                        p.frames.push(Frame::Flattened(container(&local)));
                    }
                    "Document" | "Folder" => {
                        let next = p.groups.len() as u64 + 1;
                        let Some(id) = GroupId::new(next) else {
                            continue;
                        };
                        p.groups.push(Group {
                            id,
                            title: String::new(),
                            parent: p.current_group(),
                            extra: Default::default(),
                        });
                        p.frames.push(Frame::Group {
                            index: p.groups.len() - 1,
                            start: before,
                            content: false,
                            element: container(&local),
                        });
                        p.innermost.push(id);
                    }
                    "Placemark" => {
                        // Only where its bytes are, now; it is read with its batch.
                        let name = e.name().as_ref().to_vec();
                        if let Err(err) = skip_to_end(xml, &name, inner) {
                            let skipping = xml_error(xml, &err);
                            let mut ns = p.ns.clone();
                            return Err(fault_in_piece(xml, before, skipping, |piece| {
                                first_element(piece, &mut ns).map(drop)
                            }));
                        }
                        p.features += 1;
                        p.units.push(Unit {
                            range: before..position(xml),
                            group: p.current_group(),
                            ns: Arc::clone(&p.ns_shared),
                        });
                    }
                    "Style" | "StyleMap" | "CascadingStyle" | "Schema" | "name" | "description"
                    | "visibility" | "open" | "address" | "phoneNumber" | "Snippet" => {
                        let e = e.into_owned();
                        let (node, too_deep) = dom::build(xml, inner, &e, before, &mut p.ns)?;
                        if too_deep {
                            p.ctx.diag(too_deep_diagnostic(&node));
                        }
                        match node.name.as_str() {
                            "Style" | "StyleMap" | "CascadingStyle" | "Schema" => {
                                return Ok(Stop::Other(Other::Def(Box::new(node))));
                            }
                            "open" => {}
                            _ => p.container_text(&node),
                        }
                    }
                    other => {
                        // Not data for the map, but still checked (boxes, views).
                        let e = e.into_owned();
                        let (node, _) = dom::build(xml, inner, &e, before, &mut p.ns)?;
                        if placemark::is_placed_photo(&node) {
                            // A photo taken somewhere: read as a placemark (again, from
                            // its bytes, with its batch; PhotoOverlays are few).
                            p.features += 1;
                            p.units.push(Unit {
                                range: before..position(xml),
                                group: p.current_group(),
                                ns: Arc::clone(&p.ns_shared),
                            });
                            continue;
                        }
                        p.ctx.inspect(&node);
                        let span = Span::new(before, position(xml));
                        if NOT_REPRESENTABLE.contains(&other) {
                            p.ctx.not_representable_at(other, span, "");
                        } else {
                            p.ctx.ignored(other, before);
                        }
                    }
                }
            }
            Event::End(_) => {
                if let Some(Frame::Group {
                    index,
                    start,
                    content,
                    ..
                }) = p.frames.pop()
                {
                    p.innermost.pop();
                    if !content {
                        p.ctx.diag(
                            Diagnostic::new(Code::KmlEmptyFolder, "a folder is empty")
                                .at(Span::new(start, start + 1)),
                        );
                    }
                    if let Some(g) = p.groups.get_mut(index) {
                        if g.title.is_empty() {
                            g.title = "Untitled folder".into();
                            p.ctx.diag(
                                Diagnostic::new(
                                    Code::KmlUnnamedFolder,
                                    "a folder has no name; titled \"Untitled folder\"",
                                )
                                .at(Span::new(start, start + 1)),
                            );
                        }
                    }
                }
            }
            Event::Eof => {
                // A truncated file (a download cut short) must not pass for a whole
                // one: what follows the cut is lost. (A fragment's root frame stands
                // for no element of its own: the fragment's element closes itself.)
                let fragment = p.root_name != "kml";
                let open = p
                    .frames
                    .last()
                    .filter(|f| !(fragment && matches!(f, Frame::Kml)));
                if let Some(open) = open {
                    let name = match open {
                        Frame::Kml => p.root_name.as_str(),
                        Frame::TopDocument => "Document",
                        Frame::Flattened(name) | Frame::Group { element: name, .. } => name,
                    };
                    return Err(Error::Syntax {
                        message: crate::xml::syntax::ends_inside(name),
                        offset: position(xml),
                        line: 0,
                        column: 0,
                    });
                }
                break;
            }
            _ => {}
        }
    }
    if !p.saw_root {
        return Err(Error::NotFormat {
            format: Format::Kml,
            message: "no root element".into(),
        });
    }
    Ok(Stop::End)
}

/// Elements a KML fragment may start with.
const FRAGMENT_ROOTS: [&str; 10] = [
    "Document",
    "Folder",
    "Placemark",
    "NetworkLink",
    "GroundOverlay",
    "ScreenOverlay",
    "PhotoOverlay",
    "Style",
    "StyleMap",
    "Schema",
];

/// True when a root element other than `<kml>` is still KML: it declares a KML
/// default namespace, or declares none and has a KML element's name.
fn fragment_root(e: &quick_xml::events::BytesStart, local: &str) -> bool {
    let default_ns = e
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == b"xmlns")
        .map(|a| a.value.into_owned());
    match default_ns {
        Some(uri) => memchr::memmem::find(&uri, b"kml").is_some(),
        None => FRAGMENT_ROOTS.contains(&local) || placemark::GEOMETRIES.contains(&local),
    }
}

fn not_kml(name: &[u8]) -> Error {
    Error::NotFormat {
        format: Format::Kml,
        message: format!(
            "the root element is <{}>, not <kml>",
            String::from_utf8_lossy(name)
        ),
    }
}
