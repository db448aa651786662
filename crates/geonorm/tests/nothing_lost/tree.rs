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

/// Every element of `bytes` in document order (parents before children), or why not.
pub fn parse(bytes: &[u8]) -> Result<Vec<Elem>, String> {
    let mut xml = quick_xml::Reader::from_reader(bytes);
    xml.config_mut().check_end_names = false;
    let mut elems: Vec<Elem> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut buf = Vec::new();
    loop {
        let at = xml.buffer_position() as usize;
        buf.clear();
        let event = xml.read_event_into(&mut buf).map_err(|e| e.to_string())?;
        let after = xml.buffer_position() as usize;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = String::from_utf8_lossy(e.name().local_name().as_ref()).into_owned();
                let mut attrs = Vec::new();
                for a in e.attributes().with_checks(false).flatten() {
                    let key = a.key;
                    if key.as_ref() == b"xmlns" || key.as_ref().starts_with(b"xmlns:") {
                        continue;
                    }
                    let k = String::from_utf8_lossy(key.local_name().as_ref()).into_owned();
                    let v = a.unescape_value().map_or_else(
                        |_| String::from_utf8_lossy(&a.value).into_owned(),
                        |v| v.into_owned(),
                    );
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
                    // HTML entities (`&nbsp;`) are no XML: kept as written.
                    let s = t.unescape().map_or_else(
                        |_| String::from_utf8_lossy(&t).into_owned(),
                        |s| s.into_owned(),
                    );
                    elems[id].text.push_str(&s);
                }
            }
            Event::CData(c) => {
                if let Some(&id) = open.last() {
                    elems[id].text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(elems)
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
