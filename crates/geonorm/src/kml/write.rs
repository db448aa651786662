//! The KML 2.2 writer: groups become nested Folders, styles shared `<Style>` elements
//! (one per distinct style), other properties typed `ExtendedData`, lines with
//! per-vertex times `gx:Track`s. What KML cannot hold is reported.

use serde_json::Value;

use super::style::kml_color;
use crate::diag::Losses;
use crate::{
    Code, Column, ColumnValues, Coords, Diagnostic, Feature, Geometry, GroupId, Position, Span,
    Style, Time,
};

/// How to write KML.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Decimal places for coordinates; `None` writes the shortest exact text.
    pub precision: Option<u8>,
    /// Write polygon rings wound as KML wants (outer boundaries counterclockwise), turning those wound
    /// the other way (each said as `write/rewound`). [`crate::convert`] and
    /// [`crate::write`] set it for a document read from another format; a file written
    /// back in its own format keeps its rings as they were (`geonorm fix` rewinds them).
    pub wind: bool,
}

/// Element names KML gives to placemark data that other formats keep as properties.
const PLACEMARK_ELEMENTS: [&str; 5] = [
    "visibility",
    "address",
    "phoneNumber",
    "Snippet",
    "styleUrl",
];

/// Schema ids used for typed properties and per-point arrays.
const SCHEMA: &str = "geonorm";
const TRACK_SCHEMA: &str = "geonorm-track";

fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// Text that may hold markup (HTML descriptions) goes into CDATA, verbatim.
pub(super) fn text_or_cdata(buf: &mut String, s: &str) {
    if s.contains(['<', '&']) {
        buf.push_str("<![CDATA[");
        // `]]>` cannot appear inside CDATA: close and reopen around it.
        buf.push_str(&s.replace("]]>", "]]]]><![CDATA[>"));
        buf.push_str("]]>");
    } else {
        buf.push_str(&escape(s));
    }
}

pub(super) fn element(buf: &mut String, name: &str, text: &str) {
    buf.push('<');
    buf.push_str(name);
    buf.push('>');
    buf.push_str(&escape(text));
    buf.push_str("</");
    buf.push_str(name);
    buf.push('>');
}

/// The JSON type of a property across the document, as a KML Schema type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum FieldType {
    Int,
    Double,
    Bool,
    String,
    /// Mixed types, objects or arrays: written as text, reported. (Nulls are written
    /// apart, as Data without a value.)
    Text,
}

impl FieldType {
    fn of(v: &Value) -> FieldType {
        match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => FieldType::Int,
            Value::Number(_) => FieldType::Double,
            Value::Bool(_) => FieldType::Bool,
            Value::String(_) => FieldType::String,
            _ => FieldType::Text,
        }
    }

    pub(super) fn merge(self, other: FieldType) -> FieldType {
        match (self, other) {
            (a, b) if a == b => a,
            (FieldType::Int, FieldType::Double) | (FieldType::Double, FieldType::Int) => {
                FieldType::Double
            }
            _ => FieldType::Text,
        }
    }

    fn kml(self) -> &'static str {
        match self {
            FieldType::Int => "int",
            FieldType::Double => "double",
            FieldType::Bool => "bool",
            FieldType::String | FieldType::Text => "string",
        }
    }
}

/// Serialises KML: one placemark apart from the others (on any thread), or the parts
/// of the document around the placemarks.
pub(super) struct Writer<'o> {
    opts: &'o WriteOptions,
    pub(super) buf: String,
    pub(super) diags: Vec<Diagnostic>,
    /// What could not be written, by description, with a count.
    pub(super) lost: Losses,
    /// The span of the feature being written, where its losses are reported.
    at: Option<Span>,
    /// In a placemark: where the id of an empty one goes (the document numbers them).
    empty_id_at: Option<usize>,
    /// In a placemark: where the `<styleUrl>` of its shared style goes (the document
    /// names the styles in the order they are first used).
    style_at: Option<usize>,
}

/// One placemark serialised apart from the document, with what only the document's
/// order settles left open: its shared style's id, an empty placemark's id.
pub(crate) struct Placemark {
    /// The `<Placemark>` element, a line of its own.
    pub(super) text: String,
    /// Where ` id="geonorm-empty-N"` goes, for an empty placemark.
    pub(super) empty_id_at: Option<usize>,
    /// Where `<styleUrl>#styleN</styleUrl>` goes, and the style it names.
    pub(super) style: Option<(usize, Style)>,
    /// The feature's group and place in the source.
    pub(super) group: Option<GroupId>,
    pub(super) span: Span,
    /// The types of the properties written as ExtendedData (for the document's Schema).
    pub(super) fields: Vec<(String, FieldType)>,
    /// The per-vertex arrays written (for the track Schema).
    pub(super) track: Vec<(String, &'static str)>,
    /// What writing it met, and what could not be written.
    pub(super) diags: Vec<Diagnostic>,
    pub(super) lost: Losses,
}

impl Placemark {
    /// Where its feature was read.
    pub(crate) fn span(&self) -> Span {
        self.span
    }
}

/// Serialises `f` as a placemark of a document written with `opts`.
pub(crate) fn placemark(f: &Feature, opts: &WriteOptions) -> Placemark {
    let mut w = Writer::new(opts);
    w.placemark(f);
    let style = w.style_at.map(|at| (at, f.style.clone()));
    Placemark {
        text: w.buf,
        empty_id_at: w.empty_id_at,
        style,
        group: f.group,
        span: f.span,
        fields: properties_to_write(f)
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), FieldType::of(v)))
            .collect(),
        track: track_columns(f),
        diags: w.diags,
        lost: w.lost,
    }
}

/// The per-vertex arrays of `f`'s lines written as `gx:SimpleArrayData`, with their
/// Schema types, in order.
fn track_columns(f: &Feature) -> Vec<(String, &'static str)> {
    let mut track: Vec<(String, &'static str)> = Vec::new();
    if let Some(g) = &f.geometry {
        g.for_each_coords(&mut |c| {
            for col in c.columns() {
                if col.name == "times" {
                    continue;
                }
                let ty = match col.values {
                    ColumnValues::Numbers(_) => "float",
                    ColumnValues::Texts(_) => "string",
                };
                if !track.iter().any(|(n, _)| n == &col.name) {
                    track.push((col.name.clone(), ty));
                }
            }
        });
    }
    track
}

/// Whether `s` is written as a shared `<Style>`: not when it is empty, nor when it
/// holds only the keys that travel as data.
pub(super) fn shared_style(s: &Style) -> bool {
    !(s.is_empty() || (s.marker_symbol.is_some() || s.marker_size.is_some()) && only_data_keys(s))
}

/// Properties written as ExtendedData: all but those written as Placemark elements (and
/// a `name` that is the title, written as `<name>`). A
/// `styleUrl` is written as one only when the feature has no style of its own (which
/// takes the element); else it goes with the data, not lost.
fn properties_to_write(f: &Feature) -> impl Iterator<Item = (&String, &Value)> {
    let own_style = !only_data_keys(&f.style);
    let name_is_title = f.title_is_name_property();
    f.properties.iter().filter(move |(k, v)| {
        !(name_is_title && k.as_str() == "name")
            && !(PLACEMARK_ELEMENTS.contains(&k.as_str())
                && element_text(k, v).is_some()
                && !(own_style && k.as_str() == "styleUrl"))
    })
}

/// The text of a property written as the Placemark element of its name, if its value
/// fits that element: `visibility` is a boolean, which the KML reader gives back as one
/// (a string there, even `"no"`, goes with the data and comes back as written), the
/// others text.
fn element_text<'v>(key: &str, v: &'v Value) -> Option<&'v str> {
    match (key, v) {
        ("visibility", Value::Bool(true)) => Some("1"),
        ("visibility", Value::Bool(false)) => Some("0"),
        ("visibility", _) => None,
        (_, Value::String(s)) => Some(s),
        _ => None,
    }
}

impl<'o> Writer<'o> {
    pub(super) fn new(opts: &'o WriteOptions) -> Self {
        Writer {
            opts,
            buf: String::with_capacity(1024),
            diags: Vec::new(),
            lost: Losses::default(),
            at: None,
            empty_id_at: None,
            style_at: None,
        }
    }

    pub(super) fn lose(&mut self, what: String) {
        self.lost.add(what, self.at);
    }

    fn number(&mut self, v: f64) {
        if !crate::num::write(&mut self.buf, v, self.opts.precision) {
            self.lose("a NaN or infinite coordinate, written as 0".into());
            self.buf.push('0');
        }
    }

    fn tuple(&mut self, p: Position, sep: char) {
        self.number(p.x);
        self.buf.push(sep);
        self.number(p.y);
        if let Some(z) = p.z {
            self.buf.push(sep);
            self.number(z);
        }
    }

    fn coordinates(&mut self, c: &Coords) {
        self.buf.push_str("<coordinates>");
        for (i, p) in c.iter().enumerate() {
            if i > 0 {
                self.buf.push(' ');
            }
            self.tuple(p, ',');
        }
        self.buf.push_str("</coordinates>");
    }

    /// The shared styles, each with its id.
    pub(super) fn write_styles(&mut self, styles: &[(Style, String)]) {
        for (s, id) in styles {
            self.buf.push_str(&format!("<Style id=\"{id}\">"));
            if s.marker_color.is_some() || s.icon.is_some() {
                self.buf.push_str("<IconStyle>");
                if let Some(c) = &s.marker_color {
                    match kml_color(c, None) {
                        Some(k) => element(&mut self.buf, "color", &k),
                        None => self.lose(format!("marker-color `{c}` (not #rrggbb)")),
                    }
                }
                if let Some(href) = &s.icon {
                    self.buf.push_str("<Icon>");
                    element(&mut self.buf, "href", href);
                    self.buf.push_str("</Icon>");
                }
                self.buf.push_str("</IconStyle>");
            }
            let num =
                |n: &Option<serde_json::Number>| n.as_ref().and_then(serde_json::Number::as_f64);
            if s.stroke.is_some() || s.stroke_width.is_some() {
                self.buf.push_str("<LineStyle>");
                if let Some(c) = &s.stroke {
                    match kml_color(c, num(&s.stroke_opacity)) {
                        Some(k) => element(&mut self.buf, "color", &k),
                        None => self.lose(format!("stroke `{c}` (not #rrggbb)")),
                    }
                }
                if let Some(w) = &s.stroke_width {
                    element(&mut self.buf, "width", &w.to_string());
                }
                self.buf.push_str("</LineStyle>");
            }
            let no_outline = s.stroke.is_none() && num(&s.stroke_opacity) == Some(0.0);
            let no_fill = s.fill.is_none() && num(&s.fill_opacity) == Some(0.0);
            if s.fill.is_some() || no_outline || no_fill {
                self.buf.push_str("<PolyStyle>");
                if let Some(c) = &s.fill {
                    match kml_color(c, num(&s.fill_opacity)) {
                        Some(k) => element(&mut self.buf, "color", &k),
                        None => self.lose(format!("fill `{c}` (not #rrggbb)")),
                    }
                }
                if no_fill {
                    element(&mut self.buf, "fill", "0");
                }
                if no_outline {
                    element(&mut self.buf, "outline", "0");
                }
                self.buf.push_str("</PolyStyle>");
            }
            if s.stroke.is_none() && s.stroke_opacity.is_some() && !no_outline {
                self.lose("stroke-opacity without a stroke colour".into());
            }
            if s.fill.is_none() && s.fill_opacity.is_some() && !no_fill {
                self.lose("fill-opacity without a fill colour".into());
            }
            self.buf.push_str("</Style>");
        }
    }

    /// The Schemas of the properties and of the per-vertex arrays.
    pub(super) fn write_schemas(
        &mut self,
        fields: &[(String, FieldType)],
        track_fields: &[(String, &'static str)],
    ) {
        if !fields.is_empty() {
            self.buf
                .push_str(&format!("<Schema name=\"{SCHEMA}\" id=\"{SCHEMA}\">"));
            for (name, t) in fields {
                self.buf.push_str(&format!(
                    "<SimpleField name=\"{}\" type=\"{}\"/>",
                    escape(name),
                    t.kml()
                ));
            }
            self.buf.push_str("</Schema>");
        }
        if !track_fields.is_empty() {
            self.buf.push_str(&format!(
                "<Schema name=\"{TRACK_SCHEMA}\" id=\"{TRACK_SCHEMA}\">"
            ));
            for (name, t) in track_fields {
                self.buf.push_str(&format!(
                    "<gx:SimpleArrayField name=\"{}\" type=\"{t}\"/>",
                    escape(name)
                ));
            }
            self.buf.push_str("</Schema>");
        }
    }

    fn placemark(&mut self, f: &Feature) {
        self.at = Some(f.span);
        self.buf.push_str("<Placemark");
        match &f.id {
            Some(Value::String(s)) => self.buf.push_str(&format!(" id=\"{}\"", escape(s))),
            Some(Value::Number(n)) => self.buf.push_str(&format!(" id=\"{n}\"")),
            Some(_) => self.lose("a feature id that is neither text nor a number".into()),
            None => {
                // KML wants an empty Placemark to have an id (so an Update can target
                // it); give one rather than write an invalid file.
                let empty = f.geometry.is_none()
                    && f.title.is_none()
                    && f.description.is_none()
                    && f.time.is_none()
                    && f.style.is_empty()
                    && f.properties.is_empty();
                if empty {
                    self.empty_id_at = Some(self.buf.len());
                }
            }
        }
        self.buf.push('>');
        if let Some(t) = &f.title {
            element(&mut self.buf, "name", t);
        }
        for key in ["visibility", "address", "phoneNumber", "Snippet"] {
            if let Some(text) = f.properties.get(key).and_then(|v| element_text(key, v)) {
                element(&mut self.buf, key, text);
            }
        }
        if let Some(d) = &f.description {
            self.buf.push_str("<description>");
            text_or_cdata(&mut self.buf, d);
            self.buf.push_str("</description>");
        }
        match &f.time {
            Some(Time::Instant(t)) => {
                self.buf.push_str("<TimeStamp>");
                element(&mut self.buf, "when", t);
                self.buf.push_str("</TimeStamp>");
            }
            Some(Time::Span { begin, end }) => {
                self.buf.push_str("<TimeSpan>");
                if let Some(b) = begin {
                    element(&mut self.buf, "begin", b);
                }
                if let Some(e) = end {
                    element(&mut self.buf, "end", e);
                }
                self.buf.push_str("</TimeSpan>");
            }
            None => {}
        }
        if shared_style(&f.style) {
            self.style_at = Some(self.buf.len());
        } else if let Some(Value::String(url)) = f.properties.get("styleUrl") {
            element(&mut self.buf, "styleUrl", url);
        }
        self.extended_data(f);
        if let Some(g) = &f.geometry {
            let (g, turned) = if self.opts.wind {
                crate::geometry::Winding::OuterCounterclockwise.apply(g)
            } else {
                (std::borrow::Cow::Borrowed(g), 0)
            };
            if turned > 0 {
                let how = "outer boundaries counterclockwise, as KML wants";
                self.diags
                    .push(crate::geojson::write::rewound_finding(turned, how, f.span));
            }
            self.geometry(&g);
        }
        if !f.extra.is_empty() || !f.geometry_extra.is_empty() {
            let keys: Vec<&str> = f
                .extra
                .keys()
                .chain(f.geometry_extra.keys())
                .map(String::as_str)
                .collect();
            self.diags.push(
                Diagnostic::new(
                    Code::WriteNotRepresentable,
                    format!("feature members {keys:?} outside its properties have no KML form; not written"),
                )
                .at(f.span),
            );
        }
        self.buf.push_str("</Placemark>\n");
        self.at = None;
    }

    fn extended_data(&mut self, f: &Feature) {
        let s = &f.style;
        let data: Vec<(&str, &String)> = [
            ("marker-symbol", &s.marker_symbol),
            ("marker-size", &s.marker_size),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
        let props: Vec<(&String, &Value)> = properties_to_write(f).collect();
        if data.is_empty() && props.is_empty() {
            return;
        }
        self.buf.push_str("<ExtendedData>");
        // MapHub keys KML has no element for travel as Data; the reader lifts them back.
        for (k, v) in data {
            self.buf.push_str(&format!("<Data name=\"{k}\">"));
            element(&mut self.buf, "value", v);
            self.buf.push_str("</Data>");
        }
        // A null has no typed form: it travels as a Data without a value, which the
        // reader takes back as null (never as the text "null").
        let mut in_schema = false;
        for (k, v) in props {
            if v.is_null() {
                if in_schema {
                    self.buf.push_str("</SchemaData>");
                    in_schema = false;
                }
                self.buf
                    .push_str(&format!("<Data name=\"{}\"/>", escape(k)));
                continue;
            }
            if !in_schema {
                self.buf
                    .push_str(&format!("<SchemaData schemaUrl=\"#{SCHEMA}\">"));
                in_schema = true;
            }
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            self.buf
                .push_str(&format!("<SimpleData name=\"{}\">", escape(k)));
            text_or_cdata(&mut self.buf, &text);
            self.buf.push_str("</SimpleData>");
        }
        if in_schema {
            self.buf.push_str("</SchemaData>");
        }
        self.buf.push_str("</ExtendedData>");
    }

    fn geometry(&mut self, g: &Geometry) {
        match g {
            Geometry::Point(p) => {
                self.buf.push_str("<Point><coordinates>");
                self.tuple(*p, ',');
                self.buf.push_str("</coordinates></Point>");
            }
            Geometry::LineString(c) => self.line(c),
            Geometry::Polygon(rings) => self.polygon(rings),
            Geometry::MultiPoint(c) => {
                self.buf.push_str("<MultiGeometry>");
                for p in c.iter() {
                    self.geometry(&Geometry::Point(p));
                }
                self.buf.push_str("</MultiGeometry>");
            }
            Geometry::MultiLineString(lines) => {
                if lines.iter().all(has_full_times) {
                    self.buf.push_str("<gx:MultiTrack>");
                    for l in lines {
                        self.line(l);
                    }
                    self.buf.push_str("</gx:MultiTrack>");
                } else {
                    self.buf.push_str("<MultiGeometry>");
                    for l in lines {
                        self.line(l);
                    }
                    self.buf.push_str("</MultiGeometry>");
                }
            }
            Geometry::MultiPolygon(polys) => {
                self.buf.push_str("<MultiGeometry>");
                for p in polys {
                    self.polygon(p);
                }
                self.buf.push_str("</MultiGeometry>");
            }
            Geometry::GeometryCollection(gs) => {
                self.buf.push_str("<MultiGeometry>");
                for g in gs {
                    self.geometry(g);
                }
                self.buf.push_str("</MultiGeometry>");
            }
        }
    }

    fn polygon(&mut self, rings: &[Coords]) {
        self.buf.push_str("<Polygon>");
        for (i, r) in rings.iter().enumerate() {
            let b = if i == 0 {
                "outerBoundaryIs"
            } else {
                "innerBoundaryIs"
            };
            self.buf.push_str(&format!("<{b}><LinearRing>"));
            self.coordinates(r);
            self.buf.push_str(&format!("</LinearRing></{b}>"));
            if !r.columns().is_empty() {
                for col in r.columns() {
                    self.lose(format!("per-vertex `{}` on a polygon ring", col.name));
                }
            }
        }
        self.buf.push_str("</Polygon>");
    }

    /// A line with a time for every vertex is a `gx:Track`; other per-vertex columns
    /// ride along as `gx:SimpleArrayData`. Without full times they have no KML form.
    fn line(&mut self, c: &Coords) {
        let Some(ColumnValues::Texts(times)) = c
            .column("times")
            .map(|col| &col.values)
            .filter(|_| has_full_times(c))
        else {
            self.buf.push_str("<LineString>");
            self.coordinates(c);
            self.buf.push_str("</LineString>");
            for col in c.columns() {
                self.lose(format!(
                    "per-vertex `{}` on a line without a time for every vertex",
                    col.name
                ));
            }
            return;
        };
        self.buf.push_str("<gx:Track>");
        for t in times.iter() {
            element(&mut self.buf, "when", t.unwrap_or_default());
        }
        for p in c.iter() {
            self.buf.push_str("<gx:coord>");
            self.tuple(p, ' ');
            self.buf.push_str("</gx:coord>");
        }
        let arrays: Vec<&Column> = c
            .columns()
            .iter()
            .filter(|col| col.name != "times")
            .collect();
        if !arrays.is_empty() {
            self.buf.push_str(&format!(
                "<ExtendedData><SchemaData schemaUrl=\"#{TRACK_SCHEMA}\">"
            ));
            for col in arrays {
                self.buf.push_str(&format!(
                    "<gx:SimpleArrayData name=\"{}\">",
                    escape(&col.name)
                ));
                match &col.values {
                    ColumnValues::Numbers(ns) => {
                        for n in ns {
                            match n {
                                Some(n) => element(&mut self.buf, "gx:value", &n.to_string()),
                                None => self.buf.push_str("<gx:value/>"),
                            }
                        }
                    }
                    ColumnValues::Texts(ts) => {
                        for t in ts.iter() {
                            element(&mut self.buf, "gx:value", t.unwrap_or_default());
                        }
                    }
                }
                self.buf.push_str("</gx:SimpleArrayData>");
            }
            self.buf.push_str("</SchemaData></ExtendedData>");
        }
        self.buf.push_str("</gx:Track>");
    }
}

fn has_full_times(c: &Coords) -> bool {
    match c.column("times").map(|col| &col.values) {
        Some(ColumnValues::Texts(t)) => {
            c.len() >= 2 && t.iter().all(|v| v.is_some_and(|s| !s.is_empty()))
        }
        _ => false,
    }
}

/// True when the style holds nothing but the keys written as ExtendedData.
fn only_data_keys(s: &Style) -> bool {
    Style {
        marker_symbol: None,
        marker_size: None,
        ..s.clone()
    }
    .is_empty()
}
