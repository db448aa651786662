//! The KML reader: Documents and Folders are walked as a stream of XML events and
//! become groups; each Placemark, Style and Schema is built into a small tree and
//! interpreted on its own.

use std::io::BufRead;

use quick_xml::events::Event;
use quick_xml::name::QName;
use serde_json::Value;

use super::ctx::Ctx;
use super::placemark::{self, PendingStyle};
use super::style::Unresolved;
use crate::xml::dom::{self, position, xml_error, Namespaces, Node};
use crate::{
    Code, Diagnostic, Document, Error, Feature, Format, Group, GroupId, Metadata, Result, RootKind,
    Span, MAX_GROUP_DEPTH,
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

struct Parser {
    ctx: Ctx,
    meta: Metadata,
    groups: Vec<Group>,
    features: Vec<Feature>,
    pending: Vec<PendingStyle>,
    frames: Vec<Frame>,
    ns: Namespaces,
    too_deep_reported: bool,
    /// The groups enclosing the current position, innermost last.
    innermost: Vec<GroupId>,
}

impl Parser {
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

    fn finish(mut self) -> (Document, Vec<Diagnostic>) {
        let pending = std::mem::take(&mut self.pending);
        for (f, p) in self.features.iter_mut().zip(pending) {
            let shared = match p.url {
                Some((url, span)) => match self.ctx.styles.resolve(&url) {
                    Ok(def) => Some(def),
                    Err(Unresolved::External) => {
                        self.ctx.diags.push(
                            Diagnostic::new(
                                Code::KmlExternalStyle,
                                format!("styleUrl `{url}` points outside this file; kept as the `styleUrl` property"),
                            )
                            .at(span),
                        );
                        f.properties.insert("styleUrl".into(), Value::String(url));
                        None
                    }
                    Err(Unresolved::Missing) => {
                        self.ctx.diags.push(
                            Diagnostic::new(
                                Code::KmlUnresolvedStyle,
                                format!("styleUrl `{url}` names no Style or StyleMap in this file"),
                            )
                            .at(span),
                        );
                        None
                    }
                },
                None => None,
            };
            let def = match (shared, p.inline) {
                (Some(s), Some(i)) => s.overridden_by(&i),
                (Some(s), None) => s,
                (None, Some(i)) => i,
                (None, None) => continue,
            };
            let st = def.to_style();
            // marker-symbol and marker-size come from ExtendedData, not from styles.
            f.style = crate::Style {
                marker_symbol: f.style.marker_symbol.take(),
                marker_size: f.style.marker_size.take(),
                ..st
            };
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
        let doc = Document {
            meta: self.meta,
            groups: self.groups,
            features: self.features,
        };
        (doc, self.ctx.diags)
    }
}

/// Reads a whole KML document.
///
/// ```
/// let kml = br#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>Peaks</name>
///   <Placemark><name>Matterhorn</name><Point><coordinates>7.6586, 45.9763,4478</coordinates></Point></Placemark>
/// </Folder></Document></kml>"#;
/// let (doc, diagnostics) = geonorm::kml::read(&kml[..])?;
/// assert!(diagnostics.is_empty());
/// assert_eq!(doc.groups[0].title, "Peaks");
/// assert_eq!(doc.features[0].group, Some(doc.groups[0].id));
/// # Ok::<(), geonorm::Error>(())
/// ```
pub fn read<R: BufRead>(input: R) -> Result<(Document, Vec<Diagnostic>)> {
    let input = crate::xml::utf8_input(input)?;
    let mut xml = quick_xml::Reader::from_reader(input);
    xml.config_mut().expand_empty_elements = true;
    let mut p = Parser {
        ctx: Ctx::default(),
        meta: Metadata {
            source_format: Some(Format::Kml),
            ..Metadata::default()
        },
        groups: Vec::new(),
        features: Vec::new(),
        pending: Vec::new(),
        frames: Vec::new(),
        ns: Namespaces::default(),
        too_deep_reported: false,
        innermost: Vec::new(),
    };
    let mut buf = Vec::new();
    let mut inner = Vec::new();
    let mut saw_root = false;
    // The root's name, for a file that ends inside it.
    let mut root_name = String::new();
    loop {
        let before = position(&xml);
        buf.clear();
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(&xml, &e))?;
        match event {
            Event::Start(e) => {
                p.ns.declare(&e);
                if let Some(Frame::Group { content, .. }) = p.frames.last_mut() {
                    *content = true;
                }
                let Some(local) = p.ns.kml_local(e.name()) else {
                    let name = e.name().as_ref().to_vec();
                    if !saw_root {
                        return Err(not_kml(&name));
                    }
                    // Foreign metadata (atom:author, xal:…) has no place in the model.
                    p.ctx.ignored(&String::from_utf8_lossy(&name), before);
                    inner.clear();
                    xml.read_to_end_into(QName(&name), &mut inner)
                        .map_err(|err| xml_error(&xml, &err))?;
                    continue;
                };
                let local = String::from_utf8_lossy(local).into_owned();
                if !saw_root {
                    saw_root = true;
                    root_name.clone_from(&local);
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
                            let (node, _) =
                                dom::build(&mut xml, &mut inner, &e, before, &mut p.ns)?;
                            p.features.push(Feature {
                                geometry: placemark::geometry(&node, &mut p.ctx),
                                span: Span::new(node.start, node.end),
                                ..Feature::default()
                            });
                            p.pending.push(PendingStyle::default());
                            p.meta.root = RootKind::Geometry;
                            continue;
                        }
                        _ => {}
                    }
                }
                match local.as_str() {
                    "Document"
                        if p.frames.iter().all(|f| matches!(f, Frame::Kml))
                            && p.meta.name.is_none()
                            && p.groups.is_empty()
                            && p.features.is_empty() =>
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
                    "Placemark" | "Style" | "StyleMap" | "CascadingStyle" | "Schema" | "name"
                    | "description" | "visibility" | "open" | "address" | "phoneNumber"
                    | "Snippet" => {
                        let e = e.into_owned();
                        let (node, too_deep) =
                            dom::build(&mut xml, &mut inner, &e, before, &mut p.ns)?;
                        if too_deep {
                            p.ctx.diag(
                                Diagnostic::new(
                                    Code::KmlTooDeep,
                                    format!("<{}> nests elements deeper than {} levels; the deepest are skipped", node.name, dom::MAX_DEPTH),
                                )
                                .at(Span::new(node.start, node.end)),
                            );
                        }
                        match node.name.as_str() {
                            "Placemark" => {
                                let group = p.current_group();
                                let (f, pending) = placemark::read(&node, group, &mut p.ctx);
                                p.features.push(f);
                                p.pending.push(pending);
                            }
                            "Style" | "StyleMap" | "CascadingStyle" | "Schema" => {
                                p.ctx.register(&node)
                            }
                            "open" => {}
                            _ => p.container_text(&node),
                        }
                    }
                    other => {
                        // Not data for the map, but still checked (boxes, views).
                        let e = e.into_owned();
                        let (node, _) = dom::build(&mut xml, &mut inner, &e, before, &mut p.ns)?;
                        p.ctx.inspect(&node);
                        let span = Span::new(before, position(&xml));
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
                let fragment = root_name != "kml";
                let open = p
                    .frames
                    .last()
                    .filter(|f| !(fragment && matches!(f, Frame::Kml)));
                if let Some(open) = open {
                    let name = match open {
                        Frame::Kml => root_name.as_str(),
                        Frame::TopDocument => "Document",
                        Frame::Flattened(name) | Frame::Group { element: name, .. } => name,
                    };
                    return Err(Error::Syntax {
                        message: crate::xml::syntax::ends_inside(name),
                        offset: position(&xml),
                        line: 0,
                        column: 0,
                    });
                }
                break;
            }
            _ => {}
        }
    }
    if !saw_root {
        return Err(Error::NotFormat {
            format: Format::Kml,
            message: "no root element".into(),
        });
    }
    let (doc, mut diags) = p.finish();
    diags.extend(xml.get_mut().findings_mut().diagnostics());
    Ok((doc, diags))
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
