//! KML styles to MapHub's (simplestyle) keys and back.
//!
//! KML colours are `aabbggrr` hex; MapHub's are `#rrggbb` with a separate opacity.
//! Shared styles (`<Style id>`, `<StyleMap>` and `gx:CascadingStyle`) are collected
//! for the whole document and resolved onto placemarks once it has been read, since a
//! `styleUrl` may point forward.

use std::collections::HashMap;

use serde_json::Number;

use serde_json::Value;

use crate::num::json_number;
use crate::xml::dom::Node;
use crate::{Code, Diagnostic, Feature, Span, Style};

/// What a KML `<Style>` says, field by field, so that an inline style can override
/// just the parts it sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StyleDef {
    pub icon_color: Option<String>,
    pub icon_href: Option<String>,
    pub line_color: Option<(String, f64)>,
    pub line_width: Option<f64>,
    pub poly_color: Option<(String, f64)>,
    pub poly_fill: Option<bool>,
    pub poly_outline: Option<bool>,
}

/// Style references of a placemark, resolved once the whole document is read.
#[derive(Debug, Default)]
pub(crate) struct PendingStyle {
    pub url: Option<(String, Span)>,
    pub inline: Option<StyleDef>,
}

impl StyleDef {
    /// Reads a `<Style>` element. Colours it cannot read come back in `bad`.
    pub fn from_node(node: &Node, bad: &mut Vec<(usize, String)>) -> StyleDef {
        let mut s = StyleDef::default();
        let mut color = |n: &Node| -> Option<(String, f64)> {
            let c = n.child("color")?;
            match parse_color(&c.text) {
                Some(v) => Some(v),
                None => {
                    bad.push((c.start, c.text.trim().to_string()));
                    None
                }
            }
        };
        if let Some(icon) = node.child("IconStyle") {
            s.icon_color = color(icon).map(|(rgb, _)| rgb);
            s.icon_href = icon
                .child("Icon")
                .and_then(|i| i.child_text("href"))
                .filter(|h| !h.is_empty())
                .map(str::to_string);
        }
        if let Some(line) = node.child("LineStyle") {
            s.line_color = color(line);
            s.line_width = line
                .child_text("width")
                .and_then(|w| w.parse::<f64>().ok())
                .filter(|w| w.is_finite());
        }
        if let Some(poly) = node.child("PolyStyle") {
            s.poly_color = color(poly);
            s.poly_fill = poly.child_text("fill").map(|v| v != "0" && v != "false");
            s.poly_outline = poly.child_text("outline").map(|v| v != "0" && v != "false");
        }
        s
    }

    /// This style with every field `over` sets taken from `over`.
    pub fn overridden_by(&self, over: &StyleDef) -> StyleDef {
        StyleDef {
            icon_color: over.icon_color.clone().or_else(|| self.icon_color.clone()),
            icon_href: over.icon_href.clone().or_else(|| self.icon_href.clone()),
            line_color: over.line_color.clone().or_else(|| self.line_color.clone()),
            line_width: over.line_width.or(self.line_width),
            poly_color: over.poly_color.clone().or_else(|| self.poly_color.clone()),
            poly_fill: over.poly_fill.or(self.poly_fill),
            poly_outline: over.poly_outline.or(self.poly_outline),
        }
    }

    /// MapHub's keys for this style.
    pub fn to_style(&self) -> Style {
        let mut st = Style {
            marker_color: self.icon_color.clone(),
            icon: self.icon_href.clone(),
            ..Style::default()
        };
        if let Some((rgb, opacity)) = &self.line_color {
            st.stroke = Some(rgb.clone());
            st.stroke_opacity = opacity_number(*opacity);
        }
        st.stroke_width = self.line_width.and_then(json_number);
        if let Some((rgb, opacity)) = &self.poly_color {
            st.fill = Some(rgb.clone());
            st.fill_opacity = opacity_number(*opacity);
        }
        if self.poly_fill == Some(false) {
            st.fill_opacity = json_number(0.0);
        }
        if self.poly_outline == Some(false) {
            st.stroke_opacity = json_number(0.0);
        }
        st
    }
}

/// Opacity rounded to two places, omitted when fully opaque (the default).
fn opacity_number(o: f64) -> Option<Number> {
    let rounded = (o * 100.0).round() / 100.0;
    (rounded < 1.0).then(|| json_number(rounded)).flatten()
}

/// `aabbggrr` (optionally with `#` or `0x`) to `#rrggbb` and an opacity in 0..1.
pub(crate) fn parse_color(text: &str) -> Option<(String, f64)> {
    let t = text.trim();
    let t = t
        .strip_prefix('#')
        .or_else(|| t.strip_prefix("0x"))
        .unwrap_or(t);
    if !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let (a, bgr) = match t.len() {
        8 => (u8::from_str_radix(&t[..2], 16).ok()?, &t[2..]),
        6 => (255, t),
        _ => return None,
    };
    let rgb = format!("#{}{}{}", &bgr[4..6], &bgr[2..4], &bgr[..2]).to_ascii_lowercase();
    Some((rgb, f64::from(a) / 255.0))
}

/// `#rrggbb` (or `#rgb`) and an opacity to KML `aabbggrr`.
pub(crate) fn kml_color(rgb: &str, opacity: Option<f64>) -> Option<String> {
    let hex = rgb.trim().strip_prefix('#')?;
    let full = match hex.len() {
        6 => hex.to_string(),
        3 => hex.chars().flat_map(|c| [c, c]).collect(),
        _ => return None,
    };
    if !full.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let a = (opacity.unwrap_or(1.0).clamp(0.0, 1.0) * 255.0).round() as u8;
    Some(format!("{a:02x}{}{}{}", &full[4..6], &full[2..4], &full[..2]).to_ascii_lowercase())
}

/// Shared styles of a document, by id.
#[derive(Debug, Default, Clone)]
pub(crate) struct Styles {
    pub styles: HashMap<String, StyleDef>,
    /// StyleMap id → its `normal` pair: a `styleUrl` or an inline style.
    pub maps: HashMap<String, Pair>,
}

#[derive(Debug, Clone)]
pub(crate) enum Pair {
    Url(String),
    Inline(StyleDef),
}

/// Why a `styleUrl` could not be resolved.
#[derive(Debug, PartialEq)]
pub(crate) enum Unresolved {
    /// It points into another file or the web.
    External,
    /// No style or style map has this id.
    Missing,
}

impl Styles {
    /// Resolves `#id` through style maps (their `normal` pair) to a style.
    pub fn resolve(&self, url: &str) -> Result<StyleDef, Unresolved> {
        let mut url = url.trim().to_string();
        // A StyleMap may point to another StyleMap; a cycle ends the chase.
        for _ in 0..8 {
            let Some(id) = url.strip_prefix('#') else {
                return if url.contains('#') || url.contains('/') || url.contains('.') {
                    Err(Unresolved::External)
                } else {
                    // A bare id without '#': common enough in hand-written files.
                    self.lookup(&url)
                };
            };
            match self.maps.get(id) {
                Some(Pair::Url(next)) => url = next.clone(),
                Some(Pair::Inline(s)) => return Ok(s.clone()),
                None => return self.styles.get(id).cloned().ok_or(Unresolved::Missing),
            }
        }
        Err(Unresolved::Missing)
    }

    fn lookup(&self, id: &str) -> Result<StyleDef, Unresolved> {
        if let Some(s) = self.styles.get(id) {
            return Ok(s.clone());
        }
        match self.maps.get(id) {
            Some(Pair::Inline(s)) => Ok(s.clone()),
            Some(Pair::Url(u)) if u.starts_with('#') => self.resolve(u),
            _ => Err(Unresolved::Missing),
        }
    }
}

/// Gives `f` its style: the shared style its `styleUrl` names under its inline one.
/// When the shared style is not defined (yet) and this is not the `last` chance, the
/// feature is left as it is and `pending` given back, to try again at the end.
pub(super) fn apply_style(
    f: &mut Feature,
    pending: PendingStyle,
    styles: &Styles,
    last: bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<PendingStyle> {
    let shared = match &pending.url {
        Some((url, span)) => match styles.resolve(url) {
            Ok(def) => Some(def),
            Err(Unresolved::External) => {
                diags.push(
                    Diagnostic::new(
                        Code::KmlExternalStyle,
                        format!("styleUrl `{url}` points outside this file; kept as the `styleUrl` property"),
                    )
                    .at(*span),
                );
                f.properties
                    .insert("styleUrl".into(), Value::String(url.clone()));
                None
            }
            Err(Unresolved::Missing) if !last => return Some(pending),
            Err(Unresolved::Missing) => {
                diags.push(
                    Diagnostic::new(
                        Code::KmlUnresolvedStyle,
                        format!("styleUrl `{url}` names no Style or StyleMap in this file"),
                    )
                    .at(*span),
                );
                None
            }
        },
        None => None,
    };
    let def = match (shared, pending.inline) {
        (Some(s), Some(i)) => s.overridden_by(&i),
        (Some(s), None) => s,
        (None, Some(i)) => i,
        (None, None) => return None,
    };
    let st = def.to_style();
    // marker-symbol and marker-size come from ExtendedData, not from styles.
    f.style = crate::Style {
        marker_symbol: f.style.marker_symbol.take(),
        marker_size: f.style.marker_size.take(),
        ..st
    };
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kml_colours_turn_into_rgb_and_back() {
        let (rgb, a) = parse_color("7f00ff00").expect("colour");
        assert_eq!(rgb, "#00ff00");
        assert!((a - 127.0 / 255.0).abs() < 1e-9);
        assert_eq!(
            parse_color(" ff0000FF ").map(|c| c.0),
            Some("#ff0000".into())
        );
        assert_eq!(
            parse_color("#ff0000ff").map(|c| c.0),
            Some("#ff0000".into())
        );
        assert_eq!(parse_color("red"), None);
        assert_eq!(kml_color("#ff8000", Some(0.5)).as_deref(), Some("800080ff"));
        assert_eq!(kml_color("#f80", None).as_deref(), Some("ff0088ff"));
        assert_eq!(kml_color("blue", None), None);
    }

    #[test]
    fn fill_and_outline_zero_are_honoured() {
        let def = StyleDef {
            poly_color: Some(("#112233".into(), 1.0)),
            line_color: Some(("#445566".into(), 0.5)),
            poly_fill: Some(false),
            poly_outline: Some(false),
            ..StyleDef::default()
        };
        let st = def.to_style();
        assert_eq!(st.fill.as_deref(), Some("#112233"));
        assert_eq!(st.fill_opacity, Some(0.into()));
        assert_eq!(st.stroke_opacity, Some(0.into()));
    }

    #[test]
    fn style_maps_resolve_through_their_normal_pair() {
        let mut styles = Styles::default();
        let red = StyleDef {
            icon_color: Some("#ff0000".into()),
            ..StyleDef::default()
        };
        styles.styles.insert("red".into(), red.clone());
        styles.maps.insert("map".into(), Pair::Url("#red".into()));
        styles.maps.insert("loop".into(), Pair::Url("#loop".into()));
        assert_eq!(styles.resolve("#map"), Ok(red.clone()));
        assert_eq!(styles.resolve("#red"), Ok(red));
        assert_eq!(styles.resolve("#nothing"), Err(Unresolved::Missing));
        assert_eq!(styles.resolve("#loop"), Err(Unresolved::Missing));
        assert_eq!(styles.resolve("other.kml#red"), Err(Unresolved::External));
    }
}
