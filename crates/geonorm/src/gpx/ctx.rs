//! What every part of the GPX reader shares: the context that collects findings while
//! points are read, and the field names and small conversions the reader and the
//! writer agree on. Kept apart from the reader so that the modules it is made of
//! (points, fields) depend on this, not on each other.

use std::collections::BTreeMap;

use crate::xml::dom::Node;
use crate::{Code, Diagnostic, Span};

/// The property that marks a line as a GPX route or track, named as togeojson names it.
pub const GPX_TYPE: &str = "_gpxType";

/// Waypoint fields kept as properties, with whether they are numbers.
pub(super) const WPT_FIELDS: [(&str, bool); 14] = [
    ("cmt", false),
    ("src", false),
    ("sym", false),
    ("type", false),
    ("fix", false),
    ("sat", true),
    ("hdop", true),
    ("vdop", true),
    ("pdop", true),
    ("magvar", true),
    ("geoidheight", true),
    ("ageofdgpsdata", true),
    ("dgpsid", true),
    ("speed", true),
];

/// Route and track fields kept as properties.
pub(super) const LINE_FIELDS: [&str; 4] = ["cmt", "src", "type", "number"];

/// True for an ISO 8601 date-time as GPX files write them: `YYYY-MM-DDThh:mm:ss`, an
/// optional fraction, and an optional `Z` or `±hh:mm` (many devices omit the zone).
pub(crate) fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if !(digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10))
    {
        return false;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return false;
    }
    if !(digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19))
    {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        None => true,
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let zone = &s[i + 1..];
            zone.len() == 5
                && digits(i + 1..i + 3)
                && b.get(i + 3) == Some(&b':')
                && digits(i + 4..i + 6)
                || zone.len() == 4 && digits(i + 1..i + 5)
                || zone.len() == 2 && digits(i + 1..i + 3)
        }
        _ => false,
    }
}

/// The name togeojson gives a per-point extension value (`hr` → `heart`, `cad` →
/// `cads`), so that GeoJSON output reads the same in tools built on it.
pub(crate) fn column_name(local: &str) -> String {
    match local {
        "hr" | "heartrate" | "HeartRateBpm" => "heart".into(),
        "PowerInWatts" | "power" | "Watts" => "powers".into(),
        other => format!("{other}s"),
    }
}

/// Garmin's `DisplayColor` names to `#rrggbb`.
pub(super) fn garmin_color(name: &str) -> Option<&'static str> {
    Some(match name {
        "Black" => "#000000",
        "DarkRed" => "#8b0000",
        "DarkGreen" => "#006400",
        "DarkYellow" => "#b5b820",
        "DarkBlue" => "#00008b",
        "DarkMagenta" => "#8b008b",
        "DarkCyan" => "#008b8b",
        "LightGray" => "#d3d3d3",
        "DarkGray" => "#a9a9a9",
        "Red" => "#ff0000",
        "Green" => "#00ff00",
        "Yellow" => "#ffff00",
        "Blue" => "#0000ff",
        "Magenta" => "#ff00ff",
        "Cyan" => "#00ffff",
        "White" => "#ffffff",
        _ => return None,
    })
}

pub(super) fn span(n: &Node) -> Span {
    Span::new(n.start, n.end.max(n.start))
}

pub(super) fn text_of(n: &Node) -> &str {
    n.text.trim()
}

/// Everything that reads points shares these.
#[derive(Default)]
pub(super) struct Ctx {
    pub(super) diags: Vec<Diagnostic>,
    /// Findings reported once per file with a count: (code, what) → (count, first
    /// offset).
    pub(super) tally: BTreeMap<(Code, String), (usize, usize)>,
    /// Whether track and route points keep where they were written
    /// ([`crate::stream::FeatureSink::position_spans`]).
    pub(super) position_spans: bool,
}

impl Ctx {
    /// Adds what reading a piece elsewhere found, after what this context found.
    pub(super) fn merge(&mut self, other: Ctx) {
        self.diags.extend(other.diags);
        crate::diag::merge_counts(&mut self.tally, other.tally);
    }

    /// Counts one more `what` (a full message without the count) under `code`.
    pub(super) fn count(&mut self, code: Code, what: String, offset: usize) {
        let e = self.tally.entry((code, what)).or_insert((0, offset));
        e.0 += 1;
    }

    pub(super) fn ignore(&mut self, what: &str, offset: usize) {
        self.count(Code::GpxIgnoredElement, format!("{what} skipped"), offset);
    }

    pub(super) fn number(&mut self, n: &Node) -> Option<f64> {
        self.number_text(&n.name, &n.text, span(n))
    }

    /// The number element `name` (at `span`) holds as `text`, or `None` (said when
    /// the text is not a number).
    pub(super) fn number_text(&mut self, name: &str, text: &str, span: Span) -> Option<f64> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        Code::GpxBadNumber,
                        format!("<{name}> is `{t}`, not a number; ignored"),
                    )
                    .at(span),
                );
                None
            }
        }
    }

    pub(super) fn time(&mut self, n: &Node) -> Option<String> {
        self.time_text(&n.text, span(n))
    }

    /// The time a `<time>` element (at `span`) holds as `text`, or `None` (said when it
    /// is empty or no date and time).
    pub(super) fn time_text(&mut self, text: &str, span: Span) -> Option<String> {
        let t = text.trim();
        if t.is_empty() {
            // OpenTracks writes empty times as pause markers: no time, nothing lost.
            self.ignore("empty <time>", span.start);
            return None;
        }
        if is_datetime(t) {
            Some(t.to_string())
        } else {
            self.diags.push(
                Diagnostic::new(
                    Code::GpxBadTime,
                    format!("time `{t}` is not an ISO 8601 date and time; this time is dropped"),
                )
                .at(span),
            );
            None
        }
    }

    pub(super) fn lat_lon(&mut self, n: &Node) -> Option<(f64, f64)> {
        let get = |k: &str| {
            n.attr(k)
                .map(str::trim)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite())
        };
        match (get("lon"), get("lat")) {
            (Some(lon), Some(lat)) => Some((lon, lat)),
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        Code::GpxMissingLatLon,
                        format!(
                            "<{}> has no readable lat/lon (lat={:?}, lon={:?}); this point is dropped",
                            n.name,
                            n.attr("lat").unwrap_or(""),
                            n.attr("lon").unwrap_or("")
                        ),
                    )
                    .at(span(n)),
                );
                None
            }
        }
    }
}
