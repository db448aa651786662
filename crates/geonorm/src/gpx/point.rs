//! Track and route points, read straight from the parser's events into a line's flat
//! buffers. They are most of a GPX file (a ride logged each second is thousands of
//! them), so they get no element tree: building one per point (a node, a name, the
//! attributes, a text for each child) cost more than reading the point itself. What
//! they hold and what is reported about them is what the tree reader gives
//! (`Ctx::number`, `Ctx::time`, and the rules for extensions below).

use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use serde_json::Number;

use super::ctx::{column_name, Ctx};
use crate::num::json_number;
use crate::xml::dom::{position, xml_error, MAX_DEPTH, TEXT_ELEMENTS};
use crate::xml::{Decode, Inspect};
use crate::{Code, Column, ColumnValues, Coords, Diagnostic, Position, Result, Span, TextColumn};

/// The points of one route or track segment, with their columns.
#[derive(Default)]
pub(super) struct Line {
    coords: Coords,
    times: Vec<Option<String>>,
    columns: Vec<(String, Values)>,
    /// Extension element names met, each with the column it fills once it held a
    /// value (several names may fill one: `hr` and `heartrate` are both `heart`), so
    /// that a point's elements are known by number, without building their names.
    names: Vec<(Vec<u8>, Option<usize>)>,
    /// A point's values by column, kept between points for its allocation.
    values: Vec<(usize, Value)>,
    /// The element name (numbered) and offset each of `values` came from.
    origins: Vec<(usize, usize)>,
    /// A point's `lat` and `lon` as written, kept between points likewise.
    lat_lon: (String, String),
}

/// One per-point value: a number, or a text (a name, a symbol, a mode).
enum Value {
    Number(Number),
    Text(String),
}

/// A column's values so far; its first value says which kind it is.
enum Values {
    Numbers(Vec<Option<Number>>),
    Texts(Vec<Option<String>>),
}

impl Line {
    /// The number of extension element name `local`.
    fn intern(&mut self, local: &[u8]) -> usize {
        if let Some(at) = self.names.iter().position(|(n, _)| n == local) {
            return at;
        }
        self.names.push((local.to_vec(), None));
        self.names.len() - 1
    }

    /// The name numbered `id`, for a message.
    fn name(&self, id: usize) -> String {
        let bytes = self.names.get(id).map_or(&[][..], |(n, _)| n);
        String::from_utf8_lossy(bytes).into_owned()
    }

    /// The index of the column the element name numbered `id` fills, made for a value
    /// like `v` when there is none yet.
    fn column(&mut self, id: usize, v: &Value) -> usize {
        if let Some((_, Some(at))) = self.names.get(id) {
            return *at;
        }
        let name = column_name(&self.name(id));
        let at = match self.columns.iter().position(|(n, _)| *n == name) {
            Some(at) => at,
            None => {
                let values = match v {
                    Value::Number(_) => Values::Numbers(Vec::new()),
                    Value::Text(_) => Values::Texts(Vec::new()),
                };
                self.columns.push((name, values));
                self.columns.len() - 1
            }
        };
        if let Some((_, slot)) = self.names.get_mut(id) {
            *slot = Some(at);
        }
        at
    }

    /// Gives the point being read value `v` of the element name numbered `id` (whose
    /// element is at `at`). A text in a column of numbers has no place there: skipped,
    /// and said. A value given twice for one point: the last one counts, the earlier
    /// one is skipped and said.
    fn value(&mut self, ctx: &mut Ctx, id: usize, v: Value, at: usize) {
        let col = self.column(id, &v);
        let v = match (self.columns.get(col), v) {
            (Some((_, Values::Numbers(_))), Value::Text(_)) => {
                let what = format!("non-numeric point extension <{}>", self.name(id));
                ctx.ignore(&what, at);
                return;
            }
            (Some((_, Values::Texts(_))), Value::Number(n)) => Value::Text(n.to_string()),
            (_, v) => v,
        };
        if let Some(k) = self.values.iter().position(|(c, _)| *c == col) {
            self.values.remove(k);
            let (earlier, offset) = self.origins.remove(k);
            let what = format!("<{}> given again in one point", self.name(earlier));
            ctx.ignore(&what, offset);
        }
        self.values.push((col, v));
        self.origins.push((id, at));
    }

    /// Adds a point, written at `at` when its place is kept, with the values gathered
    /// in `self.values`.
    fn push(&mut self, pos: Position, at: Option<Span>, time: Option<String>) {
        let i = self.coords.len();
        match at {
            Some(at) => self.coords.push_at(pos, at),
            None => self.coords.push(pos),
        }
        self.times.push(time);
        self.origins.clear();
        for (at, v) in self.values.drain(..) {
            match (self.columns.get_mut(at), v) {
                (Some((_, Values::Numbers(col))), Value::Number(n)) => set(col, i, n),
                (Some((_, Values::Texts(col))), Value::Text(t)) => set(col, i, t),
                _ => {}
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
        for (name, values) in self.columns {
            let values = match values {
                Values::Numbers(mut v) => {
                    v.resize(n, None);
                    ColumnValues::Numbers(v)
                }
                Values::Texts(mut v) => {
                    v.resize(n, None);
                    ColumnValues::Texts(v.iter().map(Option::as_deref).collect())
                }
            };
            let _ = c.set_column(Column { name, values });
        }
        c
    }
}

/// Sets the value of point `i` of `col`, gaps before it left empty.
fn set<T>(col: &mut Vec<Option<T>>, i: usize, v: T) {
    col.resize_with(i, || None);
    col.push(Some(v));
}

/// Whether `local` is a track or route point's own field, kept as a per-point value,
/// and a number: GPX 1.1's `wptType` fields, and GPX 1.0's speed and course.
fn point_field(local: &[u8]) -> Option<bool> {
    super::WPT_TYPE_FIELDS
        .iter()
        .find(|(f, _)| f.as_bytes() == local)
        .map(|&(_, number)| number)
        .or_else(|| matches!(local, b"speed" | b"course").then_some(true))
}

/// The local name of an element, as text (for messages and the rare skipped element).
fn local_name(e: &BytesStart) -> String {
    String::from_utf8_lossy(e.name().local_name().into_inner()).into_owned()
}

/// True when the start tag `e` has attributes other than namespace declarations: a
/// point's extension keeps its values, not its attributes.
fn has_attributes(e: &BytesStart) -> bool {
    e.attributes()
        .flatten()
        .any(|a| !a.key.as_ref().starts_with(b"xmlns"))
}

/// True when `local` names one of the tree reader's text elements.
fn is_text_element(local: &[u8]) -> bool {
    TEXT_ELEMENTS.iter().any(|t| t.as_bytes() == local)
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
    local: &[u8],
    depth: usize,
    too_deep: &mut bool,
) -> Result<Text> {
    let mut t = Text::default();
    // Markup inside a text element is part of its text (kept as written), as in the
    // tree reader: it makes no number either way.
    let text_element = is_text_element(local);
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
            Event::Eof => return Err(ends_inside(xml, &String::from_utf8_lossy(local))),
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

/// The value of a leaf whose text is `text`: a number, else the text; `None` when it
/// is empty or held markup (which the point reader does not keep).
fn leaf_value(text: &str, markup: bool) -> Option<Value> {
    let t = text.trim();
    if markup || t.is_empty() {
        return None;
    }
    Some(value(t).map_or_else(|| Value::Text(t.to_string()), Value::Number))
}

/// The leaf values under a point's `<extensions>` (Garmin's TrackPointExtension,
/// `power`, any simple value; numbers, else texts), into `line.values`: leaves directly
/// inside, and leaves of a container that holds only leaves. Anything deeper, text
/// directly inside `<extensions>` (`start` is its offset) and attributes are skipped
/// and said.
fn extensions<R: BufRead>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    buf: &mut Vec<u8>,
    ctx: &mut Ctx,
    line: &mut Line,
    too_deep: &mut bool,
    start: usize,
) -> Result<()> {
    loop {
        let before = position(xml);
        buf.clear();
        match xml.read_event_into(buf).map_err(|e| xml_error(xml, &e))? {
            Event::Start(e) => {
                let id = line.intern(e.name().local_name().into_inner());
                if has_attributes(&e) {
                    let what = format!("attributes of point extension <{}>", line.name(id));
                    ctx.ignore(&what, before);
                }
                child(xml, buf, ctx, line, too_deep, (id, before))?;
            }
            Event::End(_) => return Ok(()),
            Event::Eof => return Err(ends_inside(xml, "extensions")),
            Event::Text(t) if !t.iter().all(u8::is_ascii_whitespace) => {
                ctx.ignore("text directly in a point's <extensions>", start);
            }
            Event::CData(t) if !t.iter().all(u8::is_ascii_whitespace) => {
                ctx.ignore("text directly in a point's <extensions>", start);
            }
            _ => {}
        }
    }
}

/// One element directly inside `<extensions>` (its name numbered `id`, at offset
/// `at`): a leaf is a value, a container of leaves holds values, anything else is
/// skipped as a whole.
fn child<R: BufRead>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    buf: &mut Vec<u8>,
    ctx: &mut Ctx,
    line: &mut Line,
    too_deep: &mut bool,
    (id, at): (usize, usize),
) -> Result<()> {
    // Depth below the point: extensions 1, this element 2, its children 3.
    let text_element = line.names.get(id).is_some_and(|(n, _)| is_text_element(n));
    // The container's values (by element name: a column is made only for a value
    // kept), and what its leaves would report: kept only if it is a container of
    // leaves.
    let mut inner: Vec<(usize, Value, usize)> = Vec::new();
    let mut unreadable: Vec<(usize, usize)> = Vec::new();
    let mut leaf = true;
    let mut container_of_leaves = true;
    let mut markup = false;
    let mut text = String::new();
    loop {
        let before = position(xml);
        buf.clear();
        match xml.read_event_into(buf).map_err(|e| xml_error(xml, &e))? {
            Event::Start(e) if text_element => {
                // Markup in a text element: no number.
                let n = local_name(&e);
                skip(xml, buf, &n, 3, too_deep)?;
                markup = true;
            }
            Event::Start(e) => {
                leaf = false;
                let local = e.name().local_name().into_inner();
                let inner_id = line.intern(local);
                if has_attributes(&e) {
                    let what = format!("attributes of point extension <{}>", line.name(inner_id));
                    ctx.ignore(&what, before);
                }
                let inner_text = is_text_element(local);
                // Borrowed from the names, not copied: this runs for every value.
                let name = line.names.get(inner_id).map_or(&[][..], |(n, _)| n);
                let t = read_text(xml, buf, name, 3, too_deep)?;
                if t.children && !inner_text {
                    container_of_leaves = false;
                    continue;
                }
                match leaf_value(&t.text, t.children) {
                    Some(v) => inner.push((inner_id, v, before)),
                    None => unreadable.push((inner_id, before)),
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
            Event::Eof => return Err(ends_inside(xml, &line.name(id))),
            _ => {}
        }
    }
    if leaf {
        match leaf_value(&text, markup) {
            Some(v) => line.value(ctx, id, v, at),
            None => ctx.ignore(
                &format!("empty or marked-up point extension <{}>", line.name(id)),
                at,
            ),
        }
    } else if container_of_leaves {
        for (id, v, at) in inner {
            line.value(ctx, id, v, at);
        }
        for (n, at) in unreadable {
            ctx.ignore(
                &format!("empty or marked-up point extension <{}>", line.name(n)),
                at,
            );
        }
    } else {
        ctx.ignore(&format!("point extension <{}>", line.name(id)), at);
    }
    Ok(())
}

/// The `lat` and `lon` attributes of a start tag (the first of each), decoded as the
/// tree reader decodes attributes, in one pass over the tag; whether each was there.
fn lat_lon<R: BufRead>(
    xml: &mut quick_xml::Reader<Inspect<R>>,
    start: &BytesStart,
    at: usize,
    (lat, lon): (&mut String, &mut String),
) -> (bool, bool) {
    let mut seen = (false, false);
    for a in start.attributes().flatten() {
        if a.key.as_ref().starts_with(b"xmlns") {
            continue;
        }
        let (value, done) = match a.key.local_name().into_inner() {
            b"lat" => (&mut *lat, &mut seen.0),
            b"lon" => (&mut *lon, &mut seen.1),
            _ => continue,
        };
        if !*done {
            *done = true;
            let findings = xml.get_mut().findings_mut();
            crate::xml::text(value, &a.value, at, Decode::Attribute, findings);
        }
        if seen == (true, true) {
            break;
        }
    }
    seen
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
    let (mut lat, mut lon) = std::mem::take(&mut line.lat_lon);
    lat.clear();
    lon.clear();
    let (has_lat, has_lon) = lat_lon(xml, start, at, (&mut lat, &mut lon));
    let number = |present: bool, v: &str| {
        present
            .then(|| v.trim().parse::<f64>().ok())
            .flatten()
            .filter(|v| v.is_finite())
    };
    let mut too_deep = false;
    let (Some(x), Some(y)) = (number(has_lon, &lon), number(has_lat, &lat)) else {
        let tag = local_name(start);
        skip(xml, buf, &tag, 0, &mut too_deep)?;
        if too_deep {
            ctx.ignore("elements nested too deep", at);
        }
        ctx.diags.push(
            Diagnostic::new(
                Code::GpxMissingLatLon,
                format!(
                    "<{tag}> has no readable lat/lon (lat={lat:?}, lon={lon:?}); this point is dropped"
                ),
            )
            .at(Span::new(at, position(xml).max(at))),
        );
        line.lat_lon = (lat, lon);
        return Ok(());
    };
    let mut pos = Position::new(x, y);
    let mut time = None;
    line.values.clear();
    line.origins.clear();
    loop {
        let before = position(xml);
        buf.clear();
        match xml.read_event_into(buf).map_err(|e| xml_error(xml, &e))? {
            Event::Start(e) => match e.name().local_name().into_inner() {
                b"ele" => {
                    let t = read_text(xml, buf, b"ele", 1, &mut too_deep)?;
                    let span = Span::new(before, t.end.max(before));
                    pos.z = ctx.number_text("ele", &t.text, span);
                }
                b"time" => {
                    let t = read_text(xml, buf, b"time", 1, &mut too_deep)?;
                    let span = Span::new(before, t.end.max(before));
                    time = ctx.time_text(&t.text, span);
                }
                b"extensions" => extensions(xml, buf, ctx, line, &mut too_deep, before)?,
                // A point's own fields (a route point's name and symbol, a fix's
                // precision) are per-point values of the line, as its times are.
                local if point_field(local).is_some() => {
                    let number = point_field(local) == Some(true);
                    let id = line.intern(local);
                    let name = line.name(id);
                    let t = read_text(xml, buf, name.as_bytes(), 1, &mut too_deep)?;
                    let span = Span::new(before, t.end.max(before));
                    let v = if t.children {
                        // Markup in a name or a comment: not kept on a point.
                        ctx.ignore(
                            &format!("<{name}> with markup of a track or route point"),
                            before,
                        );
                        None
                    } else if number {
                        ctx.number_text(&name, &t.text, span)
                            .and_then(json_number)
                            .map(Value::Number)
                    } else {
                        Some(t.text.trim())
                            .filter(|t| !t.is_empty())
                            .map(|t| Value::Text(t.into()))
                    };
                    if let Some(v) = v {
                        line.value(ctx, id, v, before);
                    }
                }
                // Per-point details that have no place on a line.
                _ => {
                    let name = local_name(&e);
                    ctx.ignore(&format!("<{name}> of a track or route point"), before);
                    skip(xml, buf, &name, 1, &mut too_deep)?;
                }
            },
            Event::End(_) => break,
            Event::Eof => return Err(ends_inside(xml, &local_name(start))),
            _ => {}
        }
    }
    if too_deep {
        ctx.ignore("elements nested too deep", at);
    }
    line.lat_lon = (lat, lon);
    // The point's place is its start tag, where its lat and lon are.
    let tag = Span::new(at, at + start.len() + 2);
    line.push(pos, ctx.position_spans.then_some(tag), time);
    Ok(())
}
