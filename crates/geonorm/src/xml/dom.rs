//! A small element tree for one piece of a document at a time: a KML Placemark, Style
//! or Schema, a GPX waypoint or track point.
//!
//! Containers (KML Documents and Folders, GPX tracks) are walked as a stream of
//! events; the pieces that carry data are small, so each is built into a tree and
//! interpreted with plain functions. For KML only KML elements (no prefix, `gx:`, or a
//! prefix bound to a KML namespace) enter the tree and foreign ones (`atom:`, `xal:`…)
//! are skipped; GPX keeps every element, since its extensions are foreign by design.

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::QName;

use super::{Decode, Inspect, TextFindings};
use crate::{Error, Result};

/// Deeper than this, elements are skipped (and reported): no real file nests
/// MultiGeometries this far, and hostile ones must not exhaust the stack.
pub(crate) const MAX_DEPTH: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct Node {
    /// Local name, without prefix.
    pub name: String,
    /// The prefix as written, if any (GPX extension names keep it: `gpxtpx_hr`).
    pub prefix: Option<String>,
    pub attrs: Vec<(String, String)>,
    /// Text and CDATA directly inside the element, unescaped, in order.
    pub text: String,
    pub children: Vec<Node>,
    pub start: usize,
    pub end: usize,
    /// Offset of the first text byte.
    pub text_start: usize,
    /// Foreign elements skipped anywhere in this tree (KML: `atom:author`,
    /// `xal:AddressDetails`…), by qualified name and offset, so the reader can say so.
    /// Only the root of a tree holds them.
    pub foreign: Vec<(String, usize)>,
}

impl Node {
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Trimmed text of the first child called `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }
}

/// Tells KML elements from foreign ones by prefix.
#[derive(Debug, Default, Clone)]
pub(crate) struct Namespaces {
    /// Prefixes declared anywhere with a KML or gx namespace.
    kml_prefixes: HashMap<Vec<u8>, bool>,
    /// Keep every element, whatever its prefix (GPX).
    pub keep_all: bool,
}

impl Namespaces {
    /// Records `xmlns:p="…"` declarations of an element; true when there were any.
    pub fn declare(&mut self, e: &BytesStart) -> bool {
        // Parsing every element's attributes to find the rare declaration costs more
        // than a byte search first; and GPX keeps every element anyway.
        if self.keep_all || memchr::memmem::find(e.attributes_raw(), b"xmlns:").is_none() {
            return false;
        }
        let mut any = false;
        for a in e.attributes().flatten() {
            if let Some(prefix) = a.key.as_ref().strip_prefix(b"xmlns:") {
                let uri = a.value.as_ref();
                let is_kml = memchr::memmem::find(uri, b"kml").is_some();
                self.kml_prefixes.insert(prefix.to_vec(), is_kml);
                any = true;
            }
        }
        any
    }

    /// The local name of a KML element, `None` for a foreign one (unless every
    /// element is kept).
    pub fn kml_local<'n>(&self, name: QName<'n>) -> Option<&'n [u8]> {
        let local = name.local_name().into_inner();
        if self.keep_all {
            return Some(local);
        }
        match name.prefix() {
            None => Some(local),
            Some(p) => match self.kml_prefixes.get(p.as_ref()) {
                Some(true) => Some(local),
                Some(false) => None,
                // An undeclared gx: is still Google's extension; other undeclared
                // prefixes (atom:, xsi:) are foreign.
                None => (p.as_ref() == b"gx").then_some(local),
            },
        }
    }
}

/// The offset in the user's bytes of the parser's position (quick-xml counts from
/// where [`Inspect`] starts it, after a byte order mark, and does not count the bytes
/// passed over without it: [`super::skip`]).
pub(crate) fn position<R: BufRead>(xml: &quick_xml::Reader<Inspect<R>>) -> usize {
    usize::try_from(xml.buffer_position())
        .unwrap_or(usize::MAX)
        .saturating_add(xml.get_ref().skipped())
        .saturating_add(xml.get_ref().passed())
}

/// A quick-xml error as a fatal error: a syntax error in plain words
/// ([`super::syntax`]) at the position quick-xml gives for it, or the I/O error it
/// wraps (a read that failed is no fault of the file's syntax).
pub(crate) fn xml_error<R: BufRead>(
    xml: &quick_xml::Reader<Inspect<R>>,
    e: &quick_xml::Error,
) -> Error {
    if let quick_xml::Error::Io(io) = e {
        return Error::Io(std::io::Error::new(io.kind(), io.to_string()));
    }
    let offset = usize::try_from(xml.error_position())
        .unwrap_or(0)
        .saturating_add(xml.get_ref().skipped())
        .saturating_add(xml.get_ref().passed_before_error(xml.error_position()));
    Error::Syntax {
        message: super::syntax::xml_syntax_message(e),
        offset,
        line: 0,
        column: 0,
    }
}

fn prefix_of(name: QName) -> Option<String> {
    name.prefix()
        .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned())
}

fn attrs(
    e: &BytesStart,
    ns: &Namespaces,
    at: usize,
    findings: &mut TextFindings,
) -> Vec<(String, String)> {
    e.attributes()
        .flatten()
        .filter(|a| {
            let key = a.key.as_ref();
            !key.starts_with(b"xmlns") && ns.kml_local(a.key).is_some()
        })
        .map(|a| {
            let key = String::from_utf8_lossy(a.key.local_name().into_inner()).into_owned();
            let mut value = String::new();
            super::text(&mut value, &a.value, at, Decode::Attribute, findings);
            (key, value)
        })
        .collect()
}

/// Elements whose content is text for people (names, descriptions, values). Markup
/// written inside them without CDATA (`Go <a href="…">here</a>`) is part of that text:
/// it is kept as written, as if it were CDATA, rather than read as elements.
pub(crate) const TEXT_ELEMENTS: [&str; 17] = [
    "name",
    "description",
    "Snippet",
    "snippet",
    "address",
    "phoneNumber",
    "value",
    "SimpleData",
    "displayName",
    "text",
    "linkName",
    "linkDescription",
    "linkSnippet",
    "desc",
    "cmt",
    "src",
    "keywords",
];

/// Markup inside a text element, serialised back as written. The content itself goes
/// to one buffer per tree (`raw` in [`build`]), as bytes, decoded only if markup does
/// turn up: most text elements hold plain text.
#[derive(Default)]
struct Markup {
    /// Elements open inside the text element.
    depth: usize,
    /// Where the last start tag ended in the buffer, to write `<br/>` for an empty element
    /// (the reader expands them).
    open_end: usize,
    /// An element was met: the text is the buffer, not the plain text.
    any: bool,
}

/// Builds the tree of the element whose start tag `start` was just read, consuming
/// events up to and including its end tag. Returns the tree and whether anything was
/// skipped for being nested deeper than [`MAX_DEPTH`]. Text is decoded as
/// [`super::text`] says, noting what it could not decode in the input's findings.
pub(crate) fn build<R: BufRead>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    buf: &mut Vec<u8>,
    start: &BytesStart,
    start_offset: usize,
    ns: &mut Namespaces,
) -> Result<(Node, bool)> {
    ns.declare(start);
    let root = Node {
        name: String::from_utf8_lossy(start.name().local_name().into_inner()).into_owned(),
        prefix: prefix_of(start.name()),
        attrs: attrs(start, ns, start_offset, xml.get_mut().findings_mut()),
        start: start_offset,
        ..Node::default()
    };
    // Text elements take their content as text, markup included.
    let mut markup = TEXT_ELEMENTS
        .contains(&root.name.as_str())
        .then(Markup::default);
    // The content of the text element being read, as written.
    let mut raw: Vec<u8> = Vec::new();
    let mut stack = vec![root];
    // Elements being skipped (foreign or too deep), counted so their end tags match.
    let mut skipping = 0usize;
    let mut too_deep = false;
    loop {
        let before = position(xml);
        buf.clear();
        let event = xml.read_event_into(buf).map_err(|e| xml_error(xml, &e))?;
        if let Some(m) = markup.as_mut() {
            match &event {
                Event::Start(e) => {
                    ns.declare(e);
                    raw.push(b'<');
                    raw.extend_from_slice(e);
                    raw.push(b'>');
                    m.open_end = raw.len();
                    m.depth += 1;
                    m.any = true;
                    continue;
                }
                Event::End(e) if m.depth > 0 => {
                    if m.open_end == raw.len() {
                        raw.pop();
                        raw.extend_from_slice(b"/>");
                    } else {
                        raw.extend_from_slice(b"</");
                        raw.extend_from_slice(e.name().as_ref());
                        raw.push(b'>');
                    }
                    m.depth -= 1;
                    continue;
                }
                // Kept as written too (the markup is HTML, its references as well),
                // then read as plain text below, until the end tells which one the
                // element holds. CDATA in a description is HTML source already.
                Event::Text(t) => raw.extend_from_slice(t),
                Event::CData(c) => raw.extend_from_slice(c),
                // The text element ends; both fall through to close it.
                Event::End(_) if m.any => {
                    markup = None;
                    let findings = xml.get_mut().findings_mut();
                    if let Some(node) = stack.last_mut() {
                        node.text.clear();
                        super::text(&mut node.text, &raw, before, Decode::AsWritten, findings);
                    }
                }
                Event::End(_) => markup = None,
                _ => {}
            }
        }
        match event {
            Event::Start(e) => {
                ns.declare(&e);
                if skipping > 0 {
                    skipping += 1;
                    continue;
                }
                let Some(local) = ns.kml_local(e.name()) else {
                    skipping = 1;
                    if let Some(root) = stack.first_mut() {
                        let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                        root.foreign.push((name, before));
                    }
                    continue;
                };
                if stack.len() >= MAX_DEPTH {
                    too_deep = true;
                    skipping = 1;
                    continue;
                }
                let name = String::from_utf8_lossy(local).into_owned();
                if TEXT_ELEMENTS.contains(&name.as_str()) {
                    markup = Some(Markup::default());
                    raw.clear();
                }
                let node = Node {
                    name,
                    prefix: prefix_of(e.name()),
                    attrs: attrs(&e, ns, before, xml.get_mut().findings_mut()),
                    start: before,
                    ..Node::default()
                };
                stack.push(node);
            }
            Event::End(_) => {
                if skipping > 0 {
                    skipping -= 1;
                    continue;
                }
                let Some(mut done) = stack.pop() else {
                    break;
                };
                done.end = position(xml);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok((done, too_deep)),
                }
            }
            Event::Text(t) if skipping == 0 => {
                if let Some(node) = stack.last_mut() {
                    if node.text.is_empty() {
                        node.text_start = before;
                    }
                    let how = if node.name == "coordinates" {
                        Decode::Coordinates
                    } else {
                        Decode::Text
                    };
                    let findings = xml.get_mut().findings_mut();
                    super::text(&mut node.text, &t, before, how, findings);
                }
            }
            Event::CData(c) if skipping == 0 => {
                if let Some(node) = stack.last_mut() {
                    if node.text.is_empty() {
                        node.text_start = before + "<![CDATA[".len();
                    }
                    let findings = xml.get_mut().findings_mut();
                    super::text(&mut node.text, &c, before, Decode::AsWritten, findings);
                }
            }
            Event::Eof => {
                return Err(Error::Syntax {
                    message: super::syntax::ends_inside(
                        stack.last().map_or("", |n| n.name.as_str()),
                    ),
                    offset: position(xml),
                    line: 0,
                    column: 0,
                })
            }
            _ => {}
        }
    }
    Err(Error::Syntax {
        message: "an end tag closes an element that is not open".into(),
        offset: position(xml),
        line: 0,
        column: 0,
    })
}
