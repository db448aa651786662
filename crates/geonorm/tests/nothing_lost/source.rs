//! The features of a source file and the data each carries, found without geonorm's
//! readers: which feature each element text and attribute value belongs to, and where
//! in that feature's GeoJSON it must be.

use serde_json::Value;

use super::tree::{self, Elem};

/// Where in its feature's GeoJSON a source value must be.
#[derive(Debug, Clone, PartialEq)]
pub enum Want {
    /// `properties.title`, equal.
    Title,
    /// Inside `properties.description` (a description's markup is text there).
    Description,
    /// The feature's `id`.
    Id,
    /// In `properties[key]` or `properties.coordinateProperties[key]` (an element of
    /// it, for arrays).
    Key(String),
    /// `key` is a member of `properties` or `properties.coordinateProperties`.
    KeyPresent(String),
    /// `properties[key]` is this text.
    Equals(String, String),
    /// The time of a track's pause (an empty `gx:coord`), which geonorm drops and says
    /// so once per track (`kml/track-gap`, positioned inside the track).
    Pause,
    /// One or the other.
    Either(Box<Want>, Box<Want>),
    /// Every number of the text is a number of the feature's geometry.
    Geometry,
    /// Some string, number or boolean of the feature's object.
    Anywhere,
}

/// One value the source holds.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// Element path from the feature root, `@attr` for an attribute.
    pub path: String,
    /// The value, trimmed, line ends as `\n`.
    pub text: String,
    /// Byte span of the element holding it.
    pub span: (usize, usize),
    /// Spans of its ancestors below the feature root, innermost first.
    pub ancestors: Vec<(usize, usize, String)>,
    pub want: Want,
}

/// One feature of the source.
#[derive(Debug, Clone)]
pub struct SrcFeature {
    pub span: (usize, usize),
    pub title: Option<String>,
    pub leaves: Vec<Leaf>,
}

/// Texts as the readers compare them.
pub fn norm(s: &str) -> String {
    s.trim().replace("\r\n", "\n").replace('\r', "\n")
}

const KML_GEOMETRIES: [&str; 7] = [
    "Point",
    "LineString",
    "LinearRing",
    "Polygon",
    "MultiGeometry",
    "Track",
    "MultiTrack",
];

/// The KML feature roots in the order geonorm reads them: Placemarks, and
/// PhotoOverlays placed at a Point, in document order; a file of one bare geometry is
/// one feature. Placemarks of a NetworkLinkControl's `<Update>` change another file's
/// features and are none of this file's (geonorm reports the Update as skipped).
pub fn kml_roots(elems: &[Elem]) -> Vec<usize> {
    let in_update = |i: usize| tree::chain(elems, i).any(|a| elems[a].name == "Update");
    let roots: Vec<usize> = (0..elems.len())
        .filter(|&i| {
            let e = &elems[i];
            (e.name == "Placemark"
                || e.name == "PhotoOverlay" && tree::child(elems, i, "Point").is_some())
                && !in_update(i)
        })
        .collect();
    if roots.is_empty() {
        // The first geometry outside any container is the file's one feature.
        if let Some(g) =
            (0..elems.len()).find(|&i| KML_GEOMETRIES.contains(&elems[i].name.as_str()))
        {
            return vec![g];
        }
    }
    roots
}

/// The GPX feature roots in the order geonorm reads them: waypoints, routes and tracks
/// in document order, a waypoint misplaced inside a route or track right after it.
pub fn gpx_roots(elems: &[Elem]) -> Vec<usize> {
    let mut out = Vec::new();
    let Some(gpx) = elems.first().filter(|e| e.name == "gpx") else {
        return out;
    };
    for &c in &gpx.children {
        match elems[c].name.as_str() {
            "wpt" => out.push(c),
            "rte" | "trk" => {
                out.push(c);
                let nested = (c + 1..elems.len())
                    .take_while(|&d| elems[d].start < elems[c].end)
                    .filter(|&d| elems[d].name == "wpt");
                out.extend(nested);
            }
            _ => {}
        }
    }
    out
}

/// The data of the feature rooted at `root` (an element of a KML or GPX tree).
pub fn xml_feature(elems: &[Elem], root: usize, kml: bool) -> SrcFeature {
    let r = &elems[root];
    let title = tree::child(elems, root, "name").map(|n| norm(&n.text));
    let mut leaves = Vec::new();
    // The descendants of root: every element that starts inside it, except a
    // misplaced waypoint's, which is a feature of its own.
    let inside = (root..elems.len()).take_while(|&d| elems[d].start < r.end);
    for id in inside {
        let nested_wpt = id != root
            && tree::chain(elems, id)
                .take_while(|&a| a != root)
                .any(|a| elems[a].name == "wpt");
        if nested_wpt {
            continue;
        }
        let e = &elems[id];
        let names: Vec<&str> = tree::chain(elems, id)
            .take_while(|&a| a != root)
            .map(|a| elems[a].name.as_str())
            .collect();
        let path = {
            let mut p: Vec<&str> = names.iter().rev().copied().collect();
            p.insert(0, &r.name);
            p.join("/")
        };
        let ancestors = tree::chain(elems, id)
            .take_while(|&a| a != root)
            .map(|a| (elems[a].start, elems[a].end, elems[a].name.clone()))
            .collect::<Vec<_>>();
        let parent = |n: usize| names.get(n).copied().unwrap_or("");
        let in_description = names
            .iter()
            .skip(1)
            .any(|n| *n == if kml { "description" } else { "desc" });
        let data_name = || {
            tree::chain(elems, id)
                .take_while(|&a| a != root)
                .find(|&a| {
                    matches!(
                        elems[a].name.as_str(),
                        "Data" | "SimpleData" | "SimpleArrayData"
                    )
                })
                .and_then(|a| tree::attr(&elems[a], "name"))
                .unwrap_or("")
                .to_string()
        };
        let text = norm(&e.text);
        let text_want = if id == root {
            None
        } else if in_description {
            Some(Want::Description)
        } else if kml {
            Some(match (e.name.as_str(), parent(1)) {
                ("name", "") => Want::Title,
                ("description", "") => Want::Description,
                ("coordinates" | "coord", _) => Want::Geometry,
                ("value", "Data") | ("Data" | "SimpleData", _) => Want::Key(data_name()),
                ("value", "SimpleArrayData") => Want::Key(data_name()),
                // An inline style's values become style keys, converted (`aabbggrr` to
                // `#rrggbb` and an opacity): there must be the key.
                ("color", "LineStyle") => Want::KeyPresent("stroke".into()),
                ("color", "PolyStyle") => Want::KeyPresent("fill".into()),
                ("color", "IconStyle") => Want::KeyPresent("marker-color".into()),
                ("width", "LineStyle") => Want::Key("stroke-width".into()),
                ("when", "Track") if pause(elems, id) => Want::Pause,
                // A PhotoOverlay's photo is shown in its description, as `<img src>`.
                ("href", "Icon") if r.name == "PhotoOverlay" => Want::Description,
                _ => Want::Anywhere,
            })
        } else {
            Some(match (e.name.as_str(), parent(1)) {
                ("name", "") => Want::Title,
                ("desc", "") => Want::Description,
                ("ele", _) => Want::Geometry,
                // GPX style (gpx_style): `rrggbb` to `#rrggbb`, millimetres to pixels.
                ("color", "line") => {
                    Want::Equals("stroke".into(), format!("#{}", text.to_lowercase()))
                }
                ("opacity", "line") => Want::Key("stroke-opacity".into()),
                ("width", "line") => Want::KeyPresent("stroke-width".into()),
                // Garmin's named colours become a `#rrggbb` stroke.
                // (an unknown name stays as text).
                ("DisplayColor", _) => Want::Either(
                    Box::new(Want::KeyPresent("stroke".into())),
                    Box::new(Want::Anywhere),
                ),
                _ => Want::Anywhere,
            })
        };
        if let Some(want) = text_want.filter(|_| !text.is_empty()) {
            leaves.push(Leaf {
                path: path.clone(),
                text,
                span: (e.start, e.end),
                ancestors: ancestors.clone(),
                want,
            });
        }
        for (k, v) in &e.attrs {
            let v = norm(v);
            if v.is_empty() {
                continue;
            }
            let want = match (kml, k.as_str(), e.name.as_str()) {
                _ if in_description => Want::Description,
                (true, "id", _) if id == root => Want::Id,
                (true, "name", "Data" | "SimpleData" | "SimpleArrayData") => {
                    Want::KeyPresent(v.clone())
                }
                (false, "lat" | "lon", "wpt" | "rtept" | "trkpt") => Want::Geometry,
                _ => Want::Anywhere,
            };
            leaves.push(Leaf {
                path: format!("{path}/@{k}"),
                text: v,
                span: (e.start, e.end),
                ancestors: ancestors.clone(),
                want,
            });
        }
    }
    SrcFeature {
        span: (r.start, r.end),
        title,
        leaves,
    }
}

/// Whether `when` (an element of a Track) is the time of a pause: the `gx:coord` of the
/// same index is empty.
fn pause(elems: &[Elem], when: usize) -> bool {
    let Some(track) = elems[when].parent else {
        return false;
    };
    let kids = &elems[track].children;
    let named = |name: &'static str| kids.iter().filter(move |&&c| elems[c].name == name);
    let i = named("when").position(|&c| c == when);
    i.and_then(|i| named("coord").nth(i))
        .is_some_and(|&c| norm(&elems[c].text).is_empty())
}

/// The features of a GeoJSON text and whether each item of a collection is a Feature
/// (an item that is none is skipped, and said).
pub fn geojson_features(v: &Value, bytes: &[u8]) -> Vec<Option<SrcFeature>> {
    let one = |f: &Value, span: (usize, usize)| -> Option<SrcFeature> {
        if f.get("type").and_then(Value::as_str) != Some("Feature") {
            return None;
        }
        let mut leaves = Vec::new();
        if let Some(id) = f.get("id").filter(|v| !v.is_null()) {
            let text = id.as_str().map_or_else(|| id.to_string(), str::to_string);
            leaves.push(json_leaf("id".into(), text, Want::Id));
        }
        if let Some(Value::Object(props)) = f.get("properties") {
            for (k, v) in props {
                let mut stack = vec![(format!("properties/{k}"), v)];
                while let Some((p, v)) = stack.pop() {
                    match v {
                        Value::Array(a) => stack.extend(a.iter().map(|x| (format!("{p}[]"), x))),
                        Value::Object(o) => {
                            stack.extend(o.iter().map(|(k, x)| (format!("{p}/{k}"), x)))
                        }
                        Value::Null => {}
                        Value::String(s) if norm(s).is_empty() => {}
                        // MapHub's group reference becomes the feature's group.
                        _ if p == "properties/group" => leaves.push(json_leaf(
                            p,
                            v.to_string(),
                            Want::KeyPresent("group".into()),
                        )),
                        Value::String(s) => leaves.push(json_leaf(p, norm(s), Want::Anywhere)),
                        other => leaves.push(json_leaf(p, other.to_string(), Want::Anywhere)),
                    }
                }
            }
        }
        if let Some(g) = f.get("geometry").filter(|g| !g.is_null()) {
            let mut numbers = Vec::new();
            let mut stack = vec![g];
            while let Some(v) = stack.pop() {
                match v {
                    Value::Number(n) => numbers.push(n.to_string()),
                    Value::Array(a) => stack.extend(a),
                    Value::Object(o) => stack.extend(
                        o.iter()
                            .filter(|(k, _)| *k == "coordinates" || *k == "geometries")
                            .map(|(_, v)| v),
                    ),
                    _ => {}
                }
            }
            if !numbers.is_empty() {
                leaves.push(json_leaf(
                    "geometry".into(),
                    numbers.join(" "),
                    Want::Geometry,
                ));
            }
        }
        let title = f
            .get("properties")
            .and_then(|p| p.get("title"))
            .and_then(Value::as_str)
            .map(norm);
        // A value's place is its member of the feature (`id`, `geometry`) or of its
        // `properties`, from its key to the end of its value: a diagnostic positioned
        // there names it.
        let members = object_members(bytes, span.0);
        let props = members
            .iter()
            .find(|(k, _)| k == "properties")
            .map_or_else(Vec::new, |(_, (at, _))| object_members(bytes, *at));
        for l in &mut leaves {
            let key = l.path.split('/').nth(1).map(|k| k.trim_end_matches("[]"));
            let member = match (l.path.split('/').next(), key) {
                (Some("properties"), Some(k)) => props.iter().rev().find(|(n, _)| n == k),
                (Some(top), _) => members.iter().rev().find(|(n, _)| n == top),
                _ => None,
            };
            l.span = member.map_or(span, |(_, (_, end))| (member_start(bytes, member), *end));
            l.ancestors = vec![(l.span.0, l.span.1, "member".into())];
        }
        Some(SrcFeature {
            span,
            title,
            leaves,
        })
    };
    let whole = (0, bytes.len());
    // An object without `type` that has `features` is read as a collection.
    let untyped_collection = v.get("type").is_none() && v.get("features").is_some();
    match v.get("type").and_then(Value::as_str) {
        _ if untyped_collection => collection(v, bytes, &one),
        Some("FeatureCollection") => collection(v, bytes, &one),
        Some("Feature") => vec![one(v, whole)],
        _ => vec![one(
            &serde_json::json!({"type": "Feature", "geometry": v}),
            whole,
        )],
    }
}

/// Reads one item of a collection, with its span.
type ReadOne<'a> = dyn Fn(&Value, (usize, usize)) -> Option<SrcFeature> + 'a;

/// The features of collection `v` (whose text is `bytes`), each read by `one` with its
/// span.
fn collection(v: &Value, bytes: &[u8], one: &ReadOne) -> Vec<Option<SrcFeature>> {
    let spans = item_spans(bytes);
    v.get("features")
        .and_then(Value::as_array)
        .map_or_else(Vec::new, |a| {
            a.iter()
                .enumerate()
                .map(|(i, f)| one(f, spans.get(i).copied().unwrap_or((0, bytes.len()))))
                .collect()
        })
}

fn json_leaf(path: String, text: String, want: Want) -> Leaf {
    Leaf {
        path,
        text,
        span: (0, 0),
        ancestors: Vec::new(),
        want,
    }
}

/// Where the member `m` (found by [`object_members`]) starts: its key's opening quote.
fn member_start(bytes: &[u8], m: Option<&(String, (usize, usize))>) -> usize {
    let Some((_, (value, _))) = m else { return 0 };
    // Back from the value over `"key" :` to the key's opening quote.
    let before = &bytes[..*value];
    let colon = before.iter().rposition(|&b| b == b':').unwrap_or(0);
    let close = before[..colon]
        .iter()
        .rposition(|&b| b == b'"')
        .unwrap_or(0);
    let mut i = close;
    while i > 0 {
        i -= 1;
        if bytes[i] == b'"' && !escaped(bytes, i) {
            return i;
        }
    }
    0
}

/// Whether the byte at `i` is escaped by backslashes before it.
fn escaped(bytes: &[u8], i: usize) -> bool {
    bytes[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// The members of the JSON object that starts (after whitespace) at `at`: each key
/// with its value's span, in order.
fn object_members(bytes: &[u8], at: usize) -> Vec<(String, (usize, usize))> {
    let mut out = Vec::new();
    let mut i = skip_ws(bytes, at);
    if bytes.get(i) != Some(&b'{') {
        return out;
    }
    i += 1;
    loop {
        i = skip_ws(bytes, i);
        match bytes.get(i) {
            Some(b'"') => {}
            _ => return out,
        }
        let key_end = value_end(bytes, i);
        let key: String = serde_json::from_slice(&bytes[i..key_end]).unwrap_or_default();
        i = skip_ws(bytes, key_end);
        if bytes.get(i) != Some(&b':') {
            return out;
        }
        let start = skip_ws(bytes, i + 1);
        let end = value_end(bytes, start);
        out.push((key, (start, end)));
        i = skip_ws(bytes, end);
        if bytes.get(i) != Some(&b',') {
            return out;
        }
        i += 1;
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// The end of the JSON value starting at `i`.
fn value_end(bytes: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if depth == 0 {
                    return (i + 1).min(bytes.len());
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return i,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            b',' | b':' if depth == 0 => return i,
            b if depth == 0 && b.is_ascii_whitespace() => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The byte spans of the items of the root's `features` array.
fn item_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let (mut depth, mut i, mut out) = (0usize, 0, Vec::new());
    let (mut key, mut in_features, mut start) = (Vec::new(), false, None);
    while i < b.len() {
        let c = b[i];
        let item = in_features && depth == 2;
        match c {
            b'"' => {
                let s = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if depth == 1 {
                    key = b[s + 1..i.min(b.len())].to_vec();
                }
                if item && start.is_none() {
                    start = Some(s);
                }
            }
            b'{' | b'[' => {
                if item && start.is_none() {
                    start = Some(i);
                }
                depth += 1;
                if depth == 2 && c == b'[' && key == b"features" {
                    in_features = true;
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if in_features && depth <= 2 {
                    if let Some(s) = start.take() {
                        out.push((s, if depth == 2 { i + 1 } else { i }));
                    }
                    in_features = depth == 2;
                }
            }
            b',' if item => {
                if let Some(s) = start.take() {
                    out.push((s, i));
                }
            }
            c if item && start.is_none() && !c.is_ascii_whitespace() => start = Some(i),
            _ => {}
        }
        i += 1;
    }
    out
}
