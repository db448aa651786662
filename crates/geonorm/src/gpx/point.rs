//! Track and route points, read straight from the parser's events into a line's flat
//! buffers. They are most of a GPX file (a ride logged each second is thousands of
//! them), so they get no element tree: building one per point (a node, a name, the
//! attributes, a text for each child) cost more than reading the point itself. What
//! they hold and what is reported about them is what the tree reader gives
//! (`Ctx::number`, `Ctx::time`, and the rules for extensions below).

use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use serde_json::Number;

use super::read::{column_name, Ctx};
use crate::num::json_number;
use crate::xml::dom::{position, xml_error, MAX_DEPTH, TEXT_ELEMENTS};
use crate::xml::{Decode, Inspect};
use crate::{Code, Column, ColumnValues, Coords, Diagnostic, Position, Result, Span, TextColumn};

/// The points of one route or track segment, with their columns.
#[derive(Default)]
pub(super) struct Line {
    coords: Coords,
    times: Vec<Option<String>>,
    columns: Vec<(String, Vec<Option<Number>>)>,
    /// Extension element names met, with the column each fills (several names may
    /// fill one: `hr` and `heartrate` are both `heart`), so that a point's values find
    /// their column without building its name.
    by_element: Vec<(Vec<u8>, usize)>,
}

impl Line {
    /// The index of the column for extension element `local`.
    fn column(&mut self, local: &[u8]) -> usize {
        if let Some((_, at)) = self.by_element.iter().find(|(n, _)| n == local) {
            return *at;
        }
        let name = column_name(&String::from_utf8_lossy(local));
        let at = match self.columns.iter().position(|(n, _)| *n == name) {
            Some(at) => at,
            None => {
                self.columns.push((name, Vec::new()));
                self.columns.len() - 1
            }
        };
        self.by_element.push((local.to_vec(), at));
        at
    }

    fn push(&mut self, pos: Position, time: Option<String>, values: &[(usize, Number)]) {
        let i = self.coords.len();
        self.coords.push(pos);
        self.times.push(time);
        for (at, v) in values {
            if let Some((_, col)) = self.columns.get_mut(*at) {
                // A value given twice for one point: the last one counts.
                col.resize(i, None);
                col.push(Some(v.clone()));
            }
        }
    }

    pub(super) fn finish(self) -> Coords {
        let mut c = self.coords;
        let n = c.len();
        if self.times.iter().any(Option::is_some) {
            let times: TextColumn = self.times.iter().map(Option::as_deref).collect();
            let _ = c.set_column(Column {
                name: "times".into(),
                values: ColumnValues::Texts(times),
            });
        }
        for (name, mut values) in self.columns {
            values.resize(n, None);
            let _ = c.set_column(Column {
                name,
                values: ColumnValues::Numbers(values),
            });
        }
        c
    }
}

/// The local name of an element, as text.
fn local_name(e: &BytesStart) -> String {
    String::from_utf8_lossy(e.name().local_name().into_inner()).into_owned()
}

/// An element's own text (not its children's), decoded as the tree reader decodes it,
/// and what was inside it.
#[derive(Default)]
struct Text {
    text: String,
    /// It held elements.
    children: bool,
    /// One of them held elements again.
    grandchildren: bool,
    end: usize,
}

/// Reads the content of the element just opened (named `local`, at nesting `depth`
/// below the point) up to its end tag. Elements inside are skipped, but said: it is
/// then no leaf.
fn read_text<R: BufRead>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    buf: &mut Vec<u8>,
    local: &str,
    depth: usize,
    too_deep: &mut bool,
) -> Result<Text> {
    let mut t = Text::default();
    // Markup inside a text element is part of its text (kept as written), as in the
    // tree reader: it makes no number either way.
    let text_element = TEXT_ELEMENTS.contains(&local);
    loop {
        let before = position(xml);
        buf.clear();
        match xml.read_event_into(buf).map_err(|e| xml_error(xml, &e))? {
            Event::Start(e) => {
                let name = local_name(&e);
                t.children = true;
                if text_element {
                    t.text.push('<');
                }
                t.grandchildren |= skip(xml, buf, &name, depth + 1, too_deep)?;
            }
            Event::End(_) => {
                t.end = position(xml);
                return Ok(t);
            }
            Event::Text(raw) => {
                let findings = xml.get_mut().findings_mut();
                crate::xml::text(&mut t.text, &raw, before, Decode::Text, findings);
            }
            Event::CData(raw) => {
                let findings = xml.get_mut().findings_mut();
                crate::xml::text(&mut t.text, &raw, before, Decode::AsWritten, findings);
            }
            Event::Eof => return Err(ends_inside(xml, local)),
            _ => {}
        }
    }
}

/// Skips the element just opened (named `local`, at nesting `depth`), noting when it
/// nests deeper than the tree reader follows. True when it held elements.
fn skip<R: BufRead>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    buf: &mut Vec<u8>,
    local: &str,
    depth: usize,
    too_deep: &mut bool,
) -> Result<bool> {
    if depth >= MAX_DEPTH {
        *too_deep = true;
    }
    // The names of the open elements, for a file that ends inside them.
    let mut open: Vec<String> = Vec::new();
    let mut any = false;
    loop {
        buf.clear();
        match xml.read_event_into(buf).map_err(|e| xml_error(xml, &e))? {
            Event::Start(e) => {
                any = true;
                open.push(local_name(&e));
                if depth + open.len() >= MAX_DEPTH {
                    *too_deep = true;
                }
            }
            Event::End(_) if open.pop().is_none() => return Ok(any),
            Event::Eof => {
                let inner = open.last().map_or(local, String::as_str);
                return Err(ends_inside(xml, inner));
            }
            _ => {}
        }
    }
}

fn ends_inside<R: BufRead>(xml: &quick_xml::Reader<Inspect<R>>, local: &str) -> crate::Error {
    crate::Error::Syntax {
        message: crate::xml::syntax::ends_inside(local),
        offset: position(xml),
        line: 0,
        column: 0,
    }
}

/// A number from an extension's text, as a column holds it.
fn value(text: &str) -> Option<Number> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .and_then(json_number)
}

/// A value read from a point's extensions: its element's name and the number.
type Value = (Vec<u8>, Number);

/// The numeric leaf values under a point's `<extensions>` (Garmin's
/// TrackPointExtension, `power`, any simple value): leaves directly inside, and
/// leaves of a container that holds only leaves; anything deeper is skipped and said.
fn extensions<R: BufRead>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    buf: &mut Vec<u8>,
    ctx: &mut Ctx,
    values: &mut Vec<Value>,
    too_deep: &mut bool,
) -> Result<()> {
    loop {
        let before = position(xml);
        buf.clear();
        match xml.read_event_into(buf).map_err(|e| xml_error(xml, &e))? {
            Event::Start(e) => {
                let name = local_name(&e);
                let raw = e.name().local_name().into_inner().to_vec();
                child(xml, buf, ctx, values, too_deep, (name, raw, before))?;
            }
            Event::End(_) => return Ok(()),
            Event::Eof => return Err(ends_inside(xml, "extensions")),
            _ => {}
        }
    }
}

/// One element directly inside `<extensions>`: a leaf is a value, a container of
/// leaves holds values, anything else is skipped as a whole.
fn child<R: BufRead>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    buf: &mut Vec<u8>,
    ctx: &mut Ctx,
    values: &mut Vec<Value>,
    too_deep: &mut bool,
    (name, raw, at): (String, Vec<u8>, usize),
) -> Result<()> {
    // Depth below the point: extensions 1, this element 2, its children 3.
    let text_element = TEXT_ELEMENTS.contains(&name.as_str());
    let mut inner: Vec<Value> = Vec::new();
    // What the container's leaves would report, said only if it is one.
    let mut non_numeric: Vec<(String, usize)> = Vec::new();
    let mut leaf = true;
    let mut container_of_leaves = true;
    let mut text = String::new();
    loop {
        let before = position(xml);
        buf.clear();
        match xml.read_event_into(buf).map_err(|e| xml_error(xml, &e))? {
            Event::Start(e) if text_element => {
                // Markup in a text element: no number.
                let n = local_name(&e);
                skip(xml, buf, &n, 3, too_deep)?;
                text.push('<');
            }
            Event::Start(e) => {
                leaf = false;
                let n = local_name(&e);
                let r = e.name().local_name().into_inner().to_vec();
                let t = read_text(xml, buf, &n, 3, too_deep)?;
                if t.children && !TEXT_ELEMENTS.contains(&n.as_str()) {
                    container_of_leaves = false;
                    continue;
                }
                match value(&t.text) {
                    Some(v) if !t.children => inner.push((r, v)),
                    _ => non_numeric.push((n, before)),
                }
            }
            Event::End(_) => break,
            Event::Text(t) => {
                let findings = xml.get_mut().findings_mut();
                crate::xml::text(&mut text, &t, before, Decode::Text, findings);
            }
            Event::CData(t) => {
                let findings = xml.get_mut().findings_mut();
                crate::xml::text(&mut text, &t, before, Decode::AsWritten, findings);
            }
            Event::Eof => return Err(ends_inside(xml, &name)),
            _ => {}
        }
    }
    if leaf {
        match value(&text) {
            Some(v) => values.push((raw, v)),
            None => ctx.ignore(&format!("non-numeric point extension <{name}>"), at),
        }
    } else if container_of_leaves {
        values.append(&mut inner);
        for (n, at) in non_numeric {
            ctx.ignore(&format!("non-numeric point extension <{n}>"), at);
        }
    } else {
        ctx.ignore(&format!("point extension <{name}>"), at);
    }
    Ok(())
}

/// The value of attribute `key` of a start tag, decoded as the tree reader decodes
/// attributes.
fn attribute<R: BufRead>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    start: &BytesStart,
    key: &[u8],
    at: usize,
) -> Option<String> {
    let a = start.attributes().flatten().find(|a| {
        a.key.local_name().into_inner() == key && !a.key.as_ref().starts_with(b"xmlns")
    })?;
    let mut value = String::new();
    let findings = xml.get_mut().findings_mut();
    crate::xml::text(&mut value, &a.value, at, Decode::Attribute, findings);
    Some(value)
}

/// Reads the track or route point whose start tag `start` (at offset `at`) was just
/// read, up to its end tag, into `line`; a point without a readable position is
/// dropped and said, as are times and numbers that cannot be read.
pub(super) fn read_point<R: BufRead>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    start: &BytesStart,
    at: usize,
    buf: &mut Vec<u8>,
    ctx: &mut Ctx,
    line: &mut Line,
) -> Result<()> {
    let tag = local_name(start);
    let lat = attribute(xml, start, b"lat", at);
    let lon = attribute(xml, start, b"lon", at);
    let number = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite())
    };
    let mut too_deep = false;
    let (Some(x), Some(y)) = (number(&lon), number(&lat)) else {
        skip(xml, buf, &tag, 0, &mut too_deep)?;
        if too_deep {
            ctx.ignore("elements nested too deep", at);
        }
        ctx.diags.push(
            Diagnostic::new(
                Code::GpxMissingLatLon,
                format!(
                    "<{tag}> has no readable lat/lon (lat={:?}, lon={:?}); this point is dropped",
                    lat.as_deref().unwrap_or(""),
                    lon.as_deref().unwrap_or("")
                ),
            )
            .at(Span::new(at, position(xml).max(at))),
        );
        return Ok(());
    };
    let mut pos = Position::new(x, y);
    let mut time = None;
    let mut values: Vec<Value> = Vec::new();
    loop {
        let before = position(xml);
        buf.clear();
        match xml.read_event_into(buf).map_err(|e| xml_error(xml, &e))? {
            Event::Start(e) => {
                let name = local_name(&e);
                match name.as_str() {
                    "ele" => {
                        let t = read_text(xml, buf, &name, 1, &mut too_deep)?;
                        let span = Span::new(before, t.end.max(before));
                        pos.z = ctx.number_text(&name, &t.text, span);
                    }
                    "time" => {
                        let t = read_text(xml, buf, &name, 1, &mut too_deep)?;
                        let span = Span::new(before, t.end.max(before));
                        time = ctx.time_text(&t.text, span);
                    }
                    "extensions" => {
                        extensions(xml, buf, ctx, &mut values, &mut too_deep)?;
                    }
                    // Per-point details that have no place on a line.
                    other => {
                        ctx.ignore(&format!("<{other}> of a track or route point"), before);
                        skip(xml, buf, &name, 1, &mut too_deep)?;
                    }
                }
            }
            Event::End(_) => break,
            Event::Eof => return Err(ends_inside(xml, &tag)),
            _ => {}
        }
    }
    if too_deep {
        ctx.ignore("elements nested too deep", at);
    }
    let columns: Vec<(usize, Number)> = values
        .into_iter()
        .map(|(name, v)| (line.column(&name), v))
        .collect();
    line.push(pos, time, &columns);
    Ok(())
}
