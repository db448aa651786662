//! The reader context: what the placemark reader needs from the whole document
//! (styles, schemas, diagnostics so far). Its own module so that the document walk
//! (`read`) and the placemark reader both depend on it and not on each other.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::style::{Pair, StyleDef, Styles};
use crate::xml::dom::Node;
use crate::{Code, Diagnostic, Span};

/// The definitions placemarks refer to: shared styles and schemas. Shared (read only)
/// with the threads that read placemarks; a new definition waits until the placemarks
/// read before it are done, so that each placemark sees those defined before it.
#[derive(Debug, Default, Clone)]
pub(super) struct Defs {
    pub(super) styles: Styles,
    /// Schema id (and name) → its fields as (name, type).
    schemas: HashMap<String, Vec<(String, String)>>,
}

/// What the placemark reader needs from the whole document, and what it found.
#[derive(Default)]
pub(super) struct Ctx {
    pub(super) diags: Vec<Diagnostic>,
    pub(super) defs: Arc<Defs>,
    pub(super) unrepresented: BTreeMap<String, usize>,
    /// Skipped element name → (count, first offset).
    pub(super) ignored: BTreeMap<String, (usize, usize)>,
    /// The time of a one-point track, which becomes the placemark's time.
    pub(super) track_time: Option<String>,
    /// Whether positions keep where they were written
    /// ([`crate::stream::FeatureSink::position_spans`]).
    pub(super) position_spans: bool,
    /// Where the last Point read was written (its tuple), for its feature.
    pub(super) point_span: Option<Span>,
    /// SchemaData outside placemarks (with its values), checked once every Schema is
    /// known.
    #[allow(clippy::type_complexity)]
    pub(super) schema_refs: Vec<(String, Span, Vec<(String, String, Span)>)>,
}

impl Ctx {
    /// A context for reading one placemark elsewhere, with these definitions.
    pub(super) fn with_defs(defs: Arc<Defs>) -> Ctx {
        Ctx {
            defs,
            ..Ctx::default()
        }
    }

    /// Adds what reading a placemark elsewhere found ([`Self::with_defs`]), after what
    /// this context found so far.
    pub(super) fn merge(&mut self, other: Ctx) {
        self.diags.extend(other.diags);
        for (name, n) in other.unrepresented {
            *self.unrepresented.entry(name).or_default() += n;
        }
        crate::diag::merge_counts(&mut self.ignored, other.ignored);
        self.schema_refs.extend(other.schema_refs);
    }

    pub(super) fn diag(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub(super) fn ignored(&mut self, name: &str, offset: usize) {
        let e = self.ignored.entry(name.to_string()).or_insert((0, offset));
        e.0 += 1;
    }

    pub(super) fn not_representable(&mut self, node: &Node, place: &str) {
        self.not_representable_at(
            &node.name,
            Span::new(node.start, node.end.max(node.start)),
            place,
        );
    }

    pub(super) fn not_representable_at(&mut self, name: &str, span: Span, place: &str) {
        *self.unrepresented.entry(name.to_string()).or_default() += 1;
        self.diags.push(
            Diagnostic::new(
                Code::KmlNotRepresentable,
                format!("{name}{place} has no place in a MapHub map; skipped"),
            )
            .at(span),
        );
    }

    /// Checks what the map never shows but a KML file can still get wrong: latitude
    /// and longitude boxes, and the altitude of views.
    pub(super) fn inspect(&mut self, node: &Node) {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            match n.name.as_str() {
                "LatLonBox" | "LatLonAltBox" => self.check_box(n),
                "SchemaData" => {
                    let url = n.attr("schemaUrl").unwrap_or("").to_string();
                    let values = n
                        .children_named("SimpleData")
                        .map(|d| {
                            (
                                d.attr("name").unwrap_or("").to_string(),
                                d.text.trim().to_string(),
                                Span::new(d.start, d.end.max(d.start)),
                            )
                        })
                        .collect();
                    self.schema_refs
                        .push((url, Span::new(n.start, n.end.max(n.start)), values));
                }
                "LookAt" | "Camera" => {
                    let mode = n.child_text("altitudeMode").unwrap_or("clampToGround");
                    if mode != "clampToGround"
                        && mode != "clampToSeaFloor"
                        && n.child("altitude").is_none()
                    {
                        self.diags.push(
                            Diagnostic::new(
                                Code::KmlLookAtAltitude,
                                format!("a {} with altitudeMode {mode} has no altitude", n.name),
                            )
                            .at(Span::new(n.start, n.end.max(n.start))),
                        );
                    }
                }
                _ => {}
            }
            stack.extend(n.children.iter());
        }
    }

    fn check_box(&mut self, n: &Node) {
        let get = |k: &str| n.child_text(k).and_then(|v| v.parse::<f64>().ok());
        let span = Span::new(n.start, n.end.max(n.start));
        let (north, south, east, west) = (get("north"), get("south"), get("east"), get("west"));
        let mut bad = Vec::new();
        for (k, v, lim) in [
            ("north", north, 90.0),
            ("south", south, 90.0),
            ("east", east, 180.0),
            ("west", west, 180.0),
        ] {
            if let Some(v) = v.filter(|v: &f64| v.abs() > lim) {
                bad.push(format!("{k} {v} is out of range"));
            }
        }
        if let (Some(n), Some(s)) = (north, south) {
            if n <= s {
                bad.push(format!("north {n} is not greater than south {s}"));
            }
        }
        for why in bad {
            self.diags
                .push(Diagnostic::new(Code::KmlBadBox, format!("{}: {why}", n.name)).at(span));
        }
    }

    /// A StyleMap needs a `normal` and a `highlight` Pair, each with a key and a style.
    pub(super) fn check_style_map(&mut self, node: &Node) {
        let span = Span::new(node.start, node.end.max(node.start));
        let keys: Vec<&str> = node
            .children_named("Pair")
            .filter_map(|p| p.child_text("key"))
            .collect();
        for key in ["normal", "highlight"] {
            if !keys.contains(&key) {
                self.diags.push(
                    Diagnostic::new(
                        Code::KmlBadStyleMap,
                        format!("a StyleMap has no `{key}` Pair"),
                    )
                    .at(span),
                );
            }
        }
        for pair in node.children_named("Pair") {
            let has_style = pair.child("styleUrl").is_some()
                || pair.child("Style").is_some()
                || pair.child("StyleMap").is_some();
            if pair.child("key").is_none() || !has_style {
                self.diags.push(
                    Diagnostic::new(
                        Code::KmlBadStyleMap,
                        "a StyleMap Pair lacks its key or its style",
                    )
                    .at(Span::new(pair.start, pair.end.max(pair.start))),
                );
            }
            if let Some(inner) = pair.child("StyleMap") {
                self.check_style_map(inner);
            }
        }
    }

    pub(super) fn style_def(&mut self, node: &Node) -> StyleDef {
        let mut bad = Vec::new();
        let def = StyleDef::from_node(node, &mut bad);
        for (at, text) in bad {
            self.diags.push(
                Diagnostic::new(
                    Code::KmlBadColor,
                    format!("colour `{text}` is not `aabbggrr` hex; ignored"),
                )
                .at(Span::new(at, at + 1)),
            );
        }
        def
    }

    fn normal_pair(&mut self, node: &Node) -> Option<Pair> {
        let pair = node
            .children_named("Pair")
            .find(|p| p.child_text("key") == Some("normal"))
            .or_else(|| node.child("Pair"))?;
        if let Some(url) = pair.child_text("styleUrl") {
            return Some(Pair::Url(url.to_string()));
        }
        pair.child("Style").map(|s| Pair::Inline(self.style_def(s)))
    }

    /// A StyleMap inside a Placemark: its normal pair, resolved now if it is a reference.
    /// Its other pairs (the `highlight` style Google Earth shows under the pointer) have
    /// no place on a map's feature: each is said to be skipped, where it is.
    pub(super) fn inline_style_map(&mut self, node: &Node) -> Option<StyleDef> {
        let normal = node
            .children_named("Pair")
            .find(|p| p.child_text("key") == Some("normal"))
            .or_else(|| node.child("Pair"))
            .map(|p| p.start);
        for pair in node.children_named("Pair") {
            if Some(pair.start) != normal {
                let key = pair.child_text("key").unwrap_or("");
                self.diags.push(
                    Diagnostic::new(
                        Code::KmlIgnoredElement,
                        format!(
                            "the `{key}` <Pair> of a Placemark's StyleMap is skipped: a map draws the normal style"
                        ),
                    )
                    .at(Span::new(pair.start, pair.end.max(pair.start))),
                );
            }
        }
        match self.normal_pair(node)? {
            Pair::Inline(s) => Some(s),
            Pair::Url(u) => self.defs.styles.resolve(&u).ok(),
        }
    }

    pub(super) fn schema(&self, url: &str) -> Option<Vec<(String, String)>> {
        let id = url.trim().trim_start_matches('#');
        self.defs.schemas.get(id).cloned()
    }

    pub(super) fn register(&mut self, node: &Node) {
        match node.name.as_str() {
            "Style" => {
                let def = self.style_def(node);
                if let Some(id) = node.attr("id") {
                    let defs = Arc::make_mut(&mut self.defs);
                    defs.styles.styles.insert(id.to_string(), def);
                }
            }
            "StyleMap" => {
                self.check_style_map(node);
                if let (Some(id), Some(pair)) =
                    (node.attr("id").map(str::to_string), self.normal_pair(node))
                {
                    Arc::make_mut(&mut self.defs).styles.maps.insert(id, pair);
                }
            }
            "CascadingStyle" => {
                if let (Some(id), Some(style)) = (node.attr("id"), node.child("Style")) {
                    let def = self.style_def(style);
                    let defs = Arc::make_mut(&mut self.defs);
                    defs.styles.styles.insert(id.to_string(), def);
                }
            }
            "Schema" => {
                // KML's types, with or without an XML Schema prefix; `boolean` is common
                // enough in the wild to read as `bool`.
                const TYPES: [&str; 9] = [
                    "string", "int", "uint", "short", "ushort", "float", "double", "bool",
                    "boolean",
                ];
                for f in node.children.iter().filter(|c| c.name == "SimpleField") {
                    let ty = f.attr("type").unwrap_or("string");
                    let local = ty.rsplit(':').next().unwrap_or(ty);
                    if !TYPES.contains(&local) {
                        self.diags.push(
                            Diagnostic::new(
                                Code::KmlBadFieldType,
                                format!(
                                    "SimpleField `{}` has type `{ty}`, which KML does not define",
                                    f.attr("name").unwrap_or("")
                                ),
                            )
                            .at(Span::new(f.start, f.end.max(f.start))),
                        );
                    }
                }

                let fields: Vec<(String, String)> = node
                    .children
                    .iter()
                    .filter(|c| c.name == "SimpleField" || c.name == "SimpleArrayField")
                    .filter_map(|c| {
                        Some((
                            c.attr("name")?.to_string(),
                            c.attr("type").unwrap_or("string").to_string(),
                        ))
                    })
                    .collect();
                let defs = Arc::make_mut(&mut self.defs);
                for key in [node.attr("id"), node.attr("name")].into_iter().flatten() {
                    defs.schemas.insert(key.to_string(), fields.clone());
                }
            }
            _ => {}
        }
    }
}
