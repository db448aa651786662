//! The GPX 1.1 writer: points become waypoints, routes `<rte>`, other lines tracks with
//! one `<trkseg>` per part; per-vertex times, elevation, heart rate, cadence and
//! temperature go back to `<time>`, `<ele>` and Garmin's TrackPointExtension, and a
//! point's own fields (`names`, `syms`, `hdops`…) to its `<name>`, `<sym>`, `<hdop>`.
//!
//! GPX has no areas: a polygon is written as a track along its outer ring (the holes
//! are lost), and each one is reported. Groups, styles other than a line's colour,
//! and properties GPX has no field for are reported too, by name, at the first feature
//! that had them.

use serde_json::Value;

use super::ctx::{is_datetime, GPX_TYPE, WPT_FIELDS};
use super::WPT_TYPE_FIELDS;
use crate::diag::Losses;
use crate::{Code, ColumnValues, Coords, Diagnostic, Feature, Geometry, Position, Span, Time};

/// How to write GPX.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Decimal places for coordinates and elevation; `None` writes the shortest exact
    /// text.
    pub precision: Option<u8>,
}

/// Waypoint fields in the order GPX 1.1's schema wants them, after `ele` and `time`.
const WPT_BEFORE_NAME: [&str; 2] = ["magvar", "geoidheight"];
const WPT_AFTER_LINKS: [&str; 10] = [
    "sym",
    "type",
    "fix",
    "sat",
    "hdop",
    "vdop",
    "pdop",
    "ageofdgpsdata",
    "dgpsid",
    "speed",
];

/// True for a field GPX types as a number (a waypoint's `sat`, `hdop`…, a line's
/// `number`): a property that is text is written only if it reads as one, so the reader
/// never finds a `<sat>` it must reject.
fn numeric_field(key: &str) -> bool {
    key == "number" || WPT_FIELDS.iter().any(|&(k, numeric)| numeric && k == key)
}

/// True for a text that GPX reads as a number.
fn is_number(s: &str) -> bool {
    s.trim().parse::<f64>().is_ok_and(f64::is_finite)
}

/// Where a per-vertex value goes in GPX, whatever extension it was read from: its home
/// (an element of Garmin's TrackPointExtension v2, in that schema's order, or the
/// `power` extension) and the column names the reader gives it (an element's local
/// name and `s`, as togeojson names them: `gpxtpx:cad` → `cads`, `gpxdata:cadence`
/// (Suunto, Strava) → `cadences`, `gpxx:Temperature` → `Temperatures`). The first
/// column of a home is written at a vertex, a different value of a second column there
/// reported. Read back, each home's values are its first column name's.
pub const SENSORS: [(&str, &[&str]); 9] = [
    (
        "atemp",
        &["atemps", "temps", "Temperatures", "temperatures"],
    ),
    ("wtemp", &["wtemps", "WaterTemperatures"]),
    ("depth", &["depths", "Depths"]),
    ("hr", &["heart", "heartrate", "heartRates"]),
    ("cad", &["cads", "cadences", "Cadences", "RunCadences"]),
    ("speed", &["speeds", "Speeds"]),
    ("course", &["courses"]),
    ("bearing", &["bearings"]),
    ("power", &["powers"]),
];

/// A per-vertex column of sensor values: its name and values.
type SensorColumn<'c> = (&'c str, &'c [Option<serde_json::Number>]);

/// Where in [`SENSORS`] a per-vertex column's home is.
fn sensor_home(column: &str) -> Option<usize> {
    SENSORS
        .iter()
        .position(|(_, names)| names.contains(&column))
}

pub(super) fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// Serialises GPX: one part of one feature, or the document's metadata.
pub(super) struct Writer<'a> {
    opts: &'a WriteOptions,
    pub(super) buf: String,
    pub(super) diags: Vec<Diagnostic>,
    pub(super) lost: Losses,
    /// The span of the feature being written, where its losses are reported.
    at: Option<Span>,
}

impl<'a> Writer<'a> {
    pub(super) fn new(opts: &'a WriteOptions) -> Self {
        Writer {
            opts,
            buf: String::new(),
            diags: Vec::new(),
            lost: Losses::default(),
            at: None,
        }
    }

    pub(super) fn lose(&mut self, what: String) {
        self.lost.add(what, self.at);
    }

    // Pieces pushed one by one, not `format!`ed: a track writes millions of them.
    pub(super) fn element(&mut self, name: &str, text: &str) {
        self.open(name);
        self.buf.push_str(&escape(text));
        self.close(name);
    }

    fn open(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
    }

    fn close(&mut self, name: &str) {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// An element holding a number (whose text needs no escaping).
    fn number_element(&mut self, name: &str, n: &serde_json::Number) {
        use std::fmt::Write as _;
        self.open(name);
        // Writing into a String cannot fail.
        let _ = write!(self.buf, "{n}");
        self.close(name);
    }

    fn num(&mut self, v: f64) -> String {
        let mut b = String::new();
        if crate::num::write(&mut b, v, self.opts.precision) {
            b
        } else {
            self.lose("a NaN or infinite coordinate".into());
            "0".into()
        }
    }

    /// [`Writer::num`] written into the buffer.
    fn push_num(&mut self, v: f64) {
        if !crate::num::write(&mut self.buf, v, self.opts.precision) {
            self.lose("a NaN or infinite coordinate".into());
            self.buf.push('0');
        }
    }

    fn point_open(&mut self, tag: &str, p: Position) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push_str(" lat=\"");
        self.push_num(p.y);
        self.buf.push_str("\" lon=\"");
        self.push_num(p.x);
        self.buf.push_str("\">");
        if let Some(z) = p.z {
            self.open("ele");
            self.push_num(z);
            self.close("ele");
        }
    }

    /// `links`: an array of `{href, text, type}` objects, as the reader makes them;
    /// anything else in it is reported.
    fn links(&mut self, f: &Feature) {
        let links = match f.properties.get("links") {
            None | Some(Value::Null) => return,
            Some(Value::Array(links)) => links,
            Some(_) => return self.lose("property `links` that is not a list of links".into()),
        };
        for l in links {
            let Some(href) = l.get("href").and_then(Value::as_str) else {
                self.lose("property `links` with an entry that has no `href` text".into());
                continue;
            };
            self.buf
                .push_str(&format!("<link href=\"{}\">", escape(href)));
            for k in ["text", "type"] {
                if let Some(v) = l.get(k).and_then(Value::as_str) {
                    self.element(k, v);
                }
            }
            self.buf.push_str("</link>");
            let other = l.as_object().into_iter().flatten().any(|(k, v)| {
                !(k == "href" || (k == "text" || k == "type") && (v.is_string() || v.is_null()))
            });
            if other {
                self.lose(
                    "property `links` with members other than `href`, `text` and `type`".into(),
                );
            }
        }
    }

    fn field(&mut self, f: &Feature, key: &str) {
        match f.properties.get(key) {
            Some(Value::String(s)) if numeric_field(key) && !is_number(s) => {
                self.lose(format!("property `{key}` that is not a number"));
            }
            Some(Value::String(s)) => self.element(key, s),
            Some(Value::Number(n)) => self.element(key, &n.to_string()),
            // GPX has no null: an absent element says as much.
            None | Some(Value::Null) => {}
            Some(_) => self.lose(format!("property `{key}` that is not text or a number")),
        }
    }

    /// Properties this kind of element has no field for, reported by name (a `name`
    /// that is the title is written as `<name>`).
    fn report_other_properties(&mut self, f: &Feature, known: &[&str]) {
        let name_is_title = f.title_is_name_property();
        for k in f.properties.keys() {
            if !known.contains(&k.as_str())
                && k != "links"
                && k != GPX_TYPE
                && !(name_is_title && k == "name")
            {
                self.lose(format!("property `{k}`"));
            }
        }
    }

    /// A time GPX cannot hold (empty, or not a date and time: KML's `2024-05`, say) is
    /// not written, and said so where the feature was read.
    pub(super) fn bad_time(&mut self, span: Option<Span>, what: &str, t: &str, count: usize) {
        let mut d = Diagnostic::new(
            Code::WriteNotRepresentable,
            format!(
                "{what} `{t}` is not an ISO 8601 date and time, which GPX needs; not written{}",
                crate::diag::times(count)
            ),
        );
        d.span = span;
        self.diags.push(d);
    }

    fn waypoint(&mut self, f: &Feature, p: Position) {
        self.at = Some(f.span);
        self.point_open("wpt", p);
        match &f.time {
            Some(Time::Instant(t)) if is_datetime(t) => self.element("time", t),
            Some(Time::Instant(t)) => self.bad_time(Some(f.span), "the time", t, 1),
            Some(Time::Span { .. }) => self.lose("a time span".into()),
            None => {}
        }
        for k in WPT_BEFORE_NAME {
            self.field(f, k);
        }
        self.description_elements(f);
        for k in WPT_AFTER_LINKS {
            self.field(f, k);
        }
        self.buf.push_str("</wpt>\n");
        let known: Vec<&str> = WPT_BEFORE_NAME
            .iter()
            .chain(&WPT_AFTER_LINKS)
            .chain(&["cmt", "src"])
            .copied()
            .collect();
        self.report_other_properties(f, &known);
        if f.style.marker_color.is_some()
            || f.style.marker_symbol.is_some()
            || f.style.icon.is_some()
        {
            self.lose("a waypoint's marker style".into());
        }
        self.at = None;
    }

    /// `name`, `cmt`, `desc`, `src`, `link`: the order GPX 1.1 gives them in
    /// waypoints, routes and tracks alike.
    fn description_elements(&mut self, f: &Feature) {
        if let Some(t) = &f.title {
            self.element("name", t);
        }
        self.field(f, "cmt");
        if let Some(d) = &f.description {
            self.element("desc", d);
        }
        self.field(f, "src");
        self.links(f);
    }

    fn line_head(&mut self, f: &Feature) {
        self.description_elements(f);
        self.field(f, "number");
        self.field(f, "type");
        let s = &f.style;
        if let Some(color) = s
            .stroke
            .as_deref()
            .and_then(|c| c.strip_prefix('#'))
            .filter(|c| c.len() == 6)
        {
            self.buf.push_str("<extensions><gpx_style:line>");
            self.element("gpx_style:color", &color.to_ascii_lowercase());
            if let Some(o) = &s.stroke_opacity {
                self.element("gpx_style:opacity", &o.to_string());
            }
            if let Some(w) = s.stroke_width.as_ref().and_then(serde_json::Number::as_f64) {
                // MapHub's widths are pixels (96 dpi); GPX style's are millimetres.
                let mm = self.num(w * 25.4 / 96.0);
                self.element("gpx_style:width", &mm);
            }
            self.buf.push_str("</gpx_style:line></extensions>");
        } else if s.stroke.is_some() {
            self.lose("a stroke colour that is not #rrggbb".into());
        }
        if s.fill.is_some()
            || s.marker_color.is_some()
            || s.marker_symbol.is_some()
            || s.icon.is_some()
        {
            self.lose("a line's fill or marker style".into());
        }
        match (&f.time, &f.geometry) {
            (None, _) => {}
            // A one-point route or track: its time is its point's.
            (Some(Time::Instant(_)), Some(Geometry::Point(_))) => {}
            (Some(Time::Span { .. }), Some(Geometry::Point(_))) => self.lose("a time span".into()),
            _ => self.lose("the time of a route or track (its points keep theirs)".into()),
        }
        self.report_other_properties(f, &["cmt", "src", "number", "type"]);
    }

    fn points(&mut self, tag: &str, c: &Coords, span: Span) {
        fn at_vertex(ns: &[Option<serde_json::Number>], i: usize) -> Option<&serde_json::Number> {
            ns.get(i).and_then(Option::as_ref)
        }
        let times = match c.column("times").map(|col| &col.values) {
            Some(ColumnValues::Texts(t)) => Some(t),
            _ => None,
        };
        // By home, in the schema's order.
        let mut sensors: [Vec<SensorColumn>; SENSORS.len()] = Default::default();
        let mut fields: Vec<(usize, &crate::Column)> = Vec::new();
        for col in c.columns() {
            // Sorted below into the schema's order, whatever the columns' order.
            // The reader names each column after its element (`<sym>` → `syms`).
            let element = col.name.strip_suffix('s');
            if let Some(at) = WPT_TYPE_FIELDS
                .iter()
                .position(|(n, _)| Some(*n) == element)
            {
                fields.push((at, col));
                continue;
            }
            let home = sensor_home(&col.name);
            match (&col.values, col.name.as_str(), home) {
                (ColumnValues::Texts(_), "times", _) => {}
                (ColumnValues::Numbers(ns), name, Some(at)) => sensors[at].push((name, ns)),
                (_, name, _) => self.lose(format!("per-vertex `{name}`")),
            }
        }
        fields.sort_by_key(|(at, _)| *at);
        let mut clashes: Vec<(&str, &str)> = Vec::new();
        // Times that cannot be written: how many, and the first.
        let mut bad: (usize, &str) = (0, "");
        for (i, p) in c.iter().enumerate() {
            self.point_open(tag, p);
            match times.and_then(|t| t.get(i)) {
                Some(t) if is_datetime(t) => self.element("time", t),
                Some(t) => {
                    if bad.0 == 0 {
                        bad.1 = t;
                    }
                    bad.0 += 1;
                }
                None => {}
            }
            for &(at, col) in &fields {
                let (el, numeric) = WPT_TYPE_FIELDS[at];
                match &col.values {
                    ColumnValues::Numbers(ns) => {
                        if let Some(Some(n)) = ns.get(i) {
                            self.number_element(el, n);
                        }
                    }
                    ColumnValues::Texts(ts) => match ts.get(i) {
                        Some(t) if numeric && !is_number(t) => self.lose(format!(
                            "per-vertex `{}` value that is not a number",
                            col.name
                        )),
                        Some(t) => self.element(el, t),
                        None => {}
                    },
                }
            }
            let power_at = SENSORS.len() - 1;
            // Two columns for one home (`temps` and `Temperatures` from two
            // extensions): the first value there is written, a different second lost.
            let value = |at: usize| sensors[at].iter().find_map(|(_, ns)| at_vertex(ns, i));
            for (at, cols) in sensors.iter().enumerate() {
                if let Some(kept) = value(at) {
                    for (name, ns) in cols {
                        if at_vertex(ns, i).is_some_and(|n| n != kept) {
                            clashes.push((*name, SENSORS[at].0));
                        }
                    }
                }
            }
            let any_tpx = (0..power_at).any(|at| value(at).is_some());
            let pw = value(power_at);
            if any_tpx || pw.is_some() {
                self.buf.push_str("<extensions>");
                if let Some(pw) = pw {
                    self.number_element("power", pw);
                }
                if any_tpx {
                    self.buf.push_str("<gpxtpx:TrackPointExtension>");
                    for (at, (el, _)) in SENSORS[..power_at].iter().enumerate() {
                        if let Some(n) = value(at) {
                            use std::fmt::Write as _;
                            // Writing into a String cannot fail.
                            let _ = write!(self.buf, "<gpxtpx:{el}>{n}</gpxtpx:{el}>");
                        }
                    }
                    self.buf.push_str("</gpxtpx:TrackPointExtension>");
                }
                self.buf.push_str("</extensions>");
            }
            self.close(tag);
        }
        if bad.0 > 0 {
            self.bad_time(Some(span), "a per-vertex time", bad.1, bad.0);
        }
        clashes.sort_unstable();
        for group in clashes.chunk_by(|a, b| a == b) {
            let (name, home) = group[0];
            let mut d = Diagnostic::new(
                Code::WriteNotRepresentable,
                format!(
                    "per-vertex `{name}` differs from another column GPX writes as `{home}`; the first is written{}",
                    crate::diag::times(group.len())
                ),
            );
            d.span = Some(span);
            self.diags.push(d);
        }
    }

    fn track(&mut self, f: &Feature, parts: &[&Coords]) {
        self.at = Some(f.span);
        self.buf.push_str("<trk>");
        self.line_head(f);
        for p in parts {
            self.buf.push_str("<trkseg>");
            self.points("trkpt", p, f.span);
            self.buf.push_str("</trkseg>");
        }
        self.buf.push_str("</trk>\n");
        self.at = None;
    }

    fn route(&mut self, f: &Feature, c: &Coords) {
        self.at = Some(f.span);
        self.buf.push_str("<rte>");
        self.line_head(f);
        self.points("rtept", c, f.span);
        self.buf.push_str("</rte>\n");
        self.at = None;
    }
}

/// A one-point route or track, with the feature's time as the point's.
fn one_point(f: &Feature, p: Position) -> Coords {
    let mut c: Coords = [p].into_iter().collect();
    if let Some(Time::Instant(t)) = &f.time {
        let _ = c.set_column(crate::Column {
            name: "times".into(),
            values: ColumnValues::Texts([Some(t.as_str())].into_iter().collect()),
        });
    }
    c
}

fn is_route(f: &Feature) -> bool {
    f.properties.get(GPX_TYPE).and_then(Value::as_str) == Some("rte")
}

/// The `_gpxType` a GPX reader gave the feature (`wpt`, `rte`, `trk`), if any.
fn gpx_type(f: &Feature) -> Option<&str> {
    f.properties.get(GPX_TYPE).and_then(Value::as_str)
}

/// A feature serialised apart from the document (on any thread): GPX wants every
/// waypoint, then every route, then every track, so what it becomes in each part is
/// kept apart, with what writing that part met and lost.
pub(crate) struct GpxParts {
    /// Its waypoints, routes and tracks.
    pub(super) parts: [String; 3],
    pub(super) diags: [Vec<Diagnostic>; 3],
    pub(super) lost: [Losses; 3],
    /// Where its feature was read.
    pub(super) span: Span,
}

impl GpxParts {
    /// Where its feature was read.
    pub(crate) fn span(&self) -> Span {
        self.span
    }
}

/// Serialises `f` for a GPX document written with `opts`.
pub(crate) fn gpx_parts(f: &Feature, opts: &WriteOptions) -> GpxParts {
    let passes: [fn(&mut Writer, &Feature); 3] = [waypoints, routes, tracks];
    let done = passes.map(|pass| {
        let mut w = Writer::new(opts);
        pass(&mut w, f);
        (w.buf, w.diags, w.lost)
    });
    let [(w0, d0, l0), (w1, d1, l1), (w2, d2, l2)] = done;
    GpxParts {
        parts: [w0, w1, w2],
        diags: [d0, d1, d2],
        lost: [l0, l1, l2],
        span: f.span,
    }
}

/// What of `f` is written as waypoints.
fn waypoints(w: &mut Writer, f: &Feature) {
    match &f.geometry {
        // A one-point route or track read from GPX goes back as one (any other
        // `_gpxType` is no route or track: the point is a waypoint).
        Some(Geometry::Point(_)) if matches!(gpx_type(f), Some("rte" | "trk")) => {}
        Some(Geometry::Point(p)) => w.waypoint(f, *p),
        Some(Geometry::MultiPoint(c)) => {
            w.diags.push(
                Diagnostic::new(
                    Code::WriteNotRepresentable,
                    format!("a MultiPoint is written as {} waypoints", c.len()),
                )
                .at(f.span),
            );
            for p in c.iter() {
                w.waypoint(f, p);
            }
        }
        // Its points, in nested collections and MultiPoints too, are waypoints.
        Some(Geometry::GeometryCollection(gs)) => {
            for g in leaves(gs) {
                match g {
                    Geometry::Point(p) => w.waypoint(f, *p),
                    Geometry::MultiPoint(c) => c.iter().for_each(|p| w.waypoint(f, p)),
                    _ => {}
                }
            }
        }
        None => w.diags.push(
            Diagnostic::new(
                Code::WriteNotRepresentable,
                format!(
                    "feature {:?} has no geometry, which GPX cannot hold; not written",
                    f.title.as_deref().unwrap_or("")
                ),
            )
            .at(f.span),
        ),
        _ => {}
    }
}

/// What of `f` is written as a route.
fn routes(w: &mut Writer, f: &Feature) {
    if !is_route(f) {
        return;
    }
    match &f.geometry {
        Some(Geometry::LineString(c)) => w.route(f, c),
        Some(Geometry::Point(p)) => w.route(f, &one_point(f, *p)),
        _ => {}
    }
}

/// What of `f` is written as tracks.
fn tracks(w: &mut Writer, f: &Feature) {
    match &f.geometry {
        Some(Geometry::LineString(c)) if !is_route(f) => w.track(f, &[c]),
        Some(Geometry::Point(p)) if gpx_type(f) == Some("trk") => w.track(f, &[&one_point(f, *p)]),
        Some(Geometry::MultiLineString(parts)) => w.track(f, &parts.iter().collect::<Vec<_>>()),
        Some(Geometry::Polygon(rings)) => {
            polygon_note(w, f, 1, rings.len().saturating_sub(1));
            w.track(f, &rings.iter().take(1).collect::<Vec<_>>());
        }
        Some(Geometry::MultiPolygon(polys)) => {
            let holes = polys.iter().map(|r| r.len().saturating_sub(1)).sum();
            polygon_note(w, f, polys.len(), holes);
            w.track(
                f,
                &polys.iter().filter_map(|r| r.first()).collect::<Vec<_>>(),
            );
        }
        Some(Geometry::GeometryCollection(gs)) => {
            w.diags.push(
                Diagnostic::new(
                    Code::WriteNotRepresentable,
                    "a GeometryCollection is written as separate waypoints and tracks with the same name",
                )
                .at(f.span),
            );
            let leaves = leaves(gs);
            let (mut polygons, mut holes) = (0, 0);
            for g in &leaves {
                match g {
                    Geometry::Polygon(r) => {
                        polygons += 1;
                        holes += r.len().saturating_sub(1);
                    }
                    Geometry::MultiPolygon(ps) => {
                        polygons += ps.len();
                        holes += ps.iter().map(|r| r.len().saturating_sub(1)).sum::<usize>();
                    }
                    _ => {}
                }
            }
            if polygons > 0 {
                polygon_note(w, f, polygons, holes);
            }
            let lines: Vec<&Coords> = leaves
                .iter()
                .flat_map(|g| match g {
                    Geometry::LineString(c) => vec![c],
                    Geometry::MultiLineString(ls) => ls.iter().collect(),
                    Geometry::Polygon(r) => r.iter().take(1).collect(),
                    Geometry::MultiPolygon(ps) => ps.iter().filter_map(|r| r.first()).collect(),
                    _ => Vec::new(),
                })
                .collect();
            if !lines.is_empty() {
                w.track(f, &lines);
            }
        }
        _ => {}
    }
}

/// The geometries of a collection, with nested collections opened (GPX has no
/// nesting), in order. Iterative: a collection may nest deep.
fn leaves(gs: &[Geometry]) -> Vec<&Geometry> {
    let mut out = Vec::new();
    let mut stack: Vec<std::slice::Iter<'_, Geometry>> = vec![gs.iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(Geometry::GeometryCollection(inner)) => stack.push(inner.iter()),
            Some(g) => out.push(g),
            None => {
                stack.pop();
            }
        }
    }
    out
}

fn polygon_note(w: &mut Writer, f: &Feature, polygons: usize, holes: usize) {
    let holes = if holes > 0 {
        format!("; {} dropped", crate::diag::count(holes, "hole", "holes"))
    } else {
        String::new()
    };
    w.diags.push(
        Diagnostic::new(
            Code::WriteNotRepresentable,
            format!(
                "GPX has no areas: {}{holes}",
                if polygons == 1 {
                    "1 polygon written as a track along its outer ring".to_string()
                } else {
                    format!("{polygons} polygons written as tracks along their outer rings")
                }
            ),
        )
        .at(f.span),
    );
}
