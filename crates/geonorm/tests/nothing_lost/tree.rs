//! An XML tree with byte spans, read with quick-xml alone: the source as the test sees
//! it, independently of geonorm's readers.

use quick_xml::events::Event;

/// One element.
#[derive(Debug, Default, Clone)]
pub struct Elem {
    /// Local name (without prefix).
    pub name: String,
    /// Byte offset of its `<`.
    pub start: usize,
    /// Byte offset just after its end tag.
    pub end: usize,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// Its own text (text and CDATA directly inside it), untrimmed.
    pub text: String,
    /// Attributes (local name, value), `xmlns` declarations left out.
    pub attrs: Vec<(String, String)>,
}

/// Elements whose content is text for people (KML's and GPX's names, descriptions,
/// values, balloon texts): markup written inside them without CDATA is part of the
/// text, not elements (`Go <a href="…">here</a>` is one description).
const TEXT_ELEMENTS: [&str; 17] = [
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

/// Every element of `bytes` in document order (parents before children), or why not.
/// A text element that holds markup has that markup, as written, as its text.
/// A file in another encoding (ISO-8859-1 files exist) is read as the UTF-8 it decodes
/// to, whose byte offsets geonorm's spans count in (docs/diagnostics.md).
pub fn parse(bytes: &[u8]) -> Result<Vec<Elem>, String> {
    let transcoded;
    let bytes = match declared_encoding(bytes) {
        enc if enc == encoding_rs::UTF_8 => bytes,
        enc => {
            transcoded = enc.decode_without_bom_handling(bytes).0.into_owned();
            transcoded.as_bytes()
        }
    };
    let text = |raw: &[u8]| String::from_utf8_lossy(raw).into_owned();
    // Entities resolved on the decoded text; HTML's (`&nbsp;`) are no XML: kept as written.
    let unescaped = |raw: &[u8]| {
        let s = text(raw);
        quick_xml::escape::unescape(&s).map_or_else(|_| s.clone(), |u| u.into_owned())
    };
    let mut xml = quick_xml::Reader::from_reader(bytes);
    xml.config_mut().check_end_names = false;
    // quick-xml skips a UTF-8 byte order mark and counts from after it.
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut elems: Vec<Elem> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    // Inside a text element holding markup: its id, where its content starts, and
    // how deep the markup is open.
    let mut mixed: Option<(usize, usize, usize)> = None;
    let mut buf = Vec::new();
    loop {
        let at = xml.buffer_position() as usize + bom;
        buf.clear();
        let event = xml.read_event_into(&mut buf).map_err(|e| e.to_string())?;
        let after = xml.buffer_position() as usize + bom;
        if let Some((id, from, depth)) = &mut mixed {
            match event {
                Event::Start(_) => *depth += 1,
                Event::End(_) if *depth > 0 => *depth -= 1,
                Event::End(_) => {
                    let raw = bytes.get(*from..at).unwrap_or_default();
                    elems[*id].text = text(raw);
                    elems[*id].end = after;
                    open.pop();
                    mixed = None;
                }
                Event::Eof => break,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(_) | Event::Empty(_)
                if open
                    .last()
                    .is_some_and(|&p| TEXT_ELEMENTS.contains(&elems[p].name.as_str())) =>
            {
                // Markup in a text element: the text is the whole content as written.
                let p = open.last().copied().unwrap_or_default();
                let from = content_start(bytes, elems[p].start);
                let depth = usize::from(matches!(event, Event::Start(_)));
                mixed = Some((p, from, depth));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = String::from_utf8_lossy(e.name().local_name().as_ref()).into_owned();
                let mut attrs = Vec::new();
                for a in e.attributes().with_checks(false).flatten() {
                    let key = a.key;
                    if key.as_ref() == b"xmlns" || key.as_ref().starts_with(b"xmlns:") {
                        continue;
                    }
                    let k = String::from_utf8_lossy(key.local_name().as_ref()).into_owned();
                    let v = unescaped(&a.value);
                    attrs.push((k, v));
                }
                let id = elems.len();
                let parent = open.last().copied();
                if let Some(p) = parent {
                    elems[p].children.push(id);
                }
                elems.push(Elem {
                    name,
                    start: at,
                    end: after,
                    parent,
                    attrs,
                    ..Elem::default()
                });
                if matches!(event, Event::Start(_)) {
                    open.push(id);
                }
            }
            Event::End(_) => {
                if let Some(id) = open.pop() {
                    elems[id].end = after;
                }
            }
            Event::Text(t) => {
                if let Some(&id) = open.last() {
                    elems[id].text.push_str(&unescaped(&t));
                }
            }
            Event::CData(c) => {
                if let Some(&id) = open.last() {
                    elems[id].text.push_str(&text(&c));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(e) = elems.iter().find(|e| bytes.get(e.start) != Some(&b'<')) {
        return Err(format!(
            "<{}> placed at {}, where no tag starts",
            e.name, e.start
        ));
    }
    Ok(elems)
}

/// The encoding the XML declaration names, UTF-8 without one.
fn declared_encoding(bytes: &[u8]) -> &'static encoding_rs::Encoding {
    let head = &bytes[..bytes.len().min(200)];
    let head = String::from_utf8_lossy(head);
    head.strip_prefix("<?xml")
        .and_then(|decl| decl.split("?>").next())
        .and_then(|decl| decl.split("encoding=").nth(1))
        .and_then(|v| v.get(1..)?.split(['"', '\'']).next())
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8)
}

/// Where the content of the element whose start tag begins at `start` begins: after
/// the tag's `>` (outside quoted attribute values).
fn content_start(bytes: &[u8], start: usize) -> usize {
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return i + 1,
            _ => {}
        }
    }
    bytes.len()
}

/// `id` and its ancestors, innermost first.
pub fn chain(elems: &[Elem], id: usize) -> impl Iterator<Item = usize> + '_ {
    std::iter::successors(Some(id), move |&i| elems[i].parent)
}

/// The first child of `id` named `name`.
pub fn child<'a>(elems: &'a [Elem], id: usize, name: &str) -> Option<&'a Elem> {
    elems[id]
        .children
        .iter()
        .map(|&c| &elems[c])
        .find(|c| c.name == name)
}

/// The value of attribute `name` of `e`.
pub fn attr<'a>(e: &'a Elem, name: &str) -> Option<&'a str> {
    e.attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
