//! The features of a KML or GPX output as the writers' test sees them: read with
//! quick-xml (tests/nothing_lost/tree.rs), not with geonorm's readers.

use std::collections::HashMap;

use super::tree::Elem;

/// What one output feature holds.
#[derive(Default, Debug)]
pub struct Out {
    pub titles: Vec<String>,
    pub descriptions: Vec<String>,
    pub times: Vec<String>,
    pub props: HashMap<String, Vec<String>>,
    /// Per part: column name to per-vertex texts.
    pub parts: Vec<HashMap<String, Vec<Option<String>>>>,
}

fn children<'e>(elems: &'e [Elem], e: &'e Elem) -> impl Iterator<Item = &'e Elem> {
    e.children.iter().map(move |&c| &elems[c])
}

fn attr<'e>(e: &'e Elem, name: &str) -> Option<&'e str> {
    e.attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Every descendant of `e`, in document order.
fn descendants<'e>(elems: &'e [Elem], e: &'e Elem, out: &mut Vec<&'e Elem>) {
    for c in children(elems, e) {
        out.push(c);
        descendants(elems, c, out);
    }
}

/// The Placemarks of a KML output, in document order.
pub fn kml_outputs(elems: &[Elem]) -> Vec<Out> {
    let mut outs = Vec::new();
    for p in elems.iter().filter(|e| e.name == "Placemark") {
        let mut o = Out::default();
        for c in children(elems, p) {
            match c.name.as_str() {
                "name" => o.titles.push(c.text.clone()),
                "description" => o.descriptions.push(c.text.clone()),
                "TimeStamp" | "TimeSpan" => {
                    o.times.extend(children(elems, c).map(|t| t.text.clone()))
                }
                "visibility" | "address" | "phoneNumber" | "Snippet" | "styleUrl" => o
                    .props
                    .entry(c.name.clone())
                    .or_default()
                    .push(c.text.clone()),
                "ExtendedData" => {
                    let mut all = Vec::new();
                    descendants(elems, c, &mut all);
                    for d in all {
                        let Some(name) = attr(d, "name") else {
                            continue;
                        };
                        let texts = o.props.entry(name.to_string()).or_default();
                        match d.name.as_str() {
                            "SimpleData" => texts.push(d.text.clone()),
                            "Data" => texts.extend(
                                children(elems, d)
                                    .filter(|v| v.name == "value")
                                    .map(|v| v.text.clone()),
                            ),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let mut all = Vec::new();
        descendants(elems, p, &mut all);
        for g in all {
            match g.name.as_str() {
                "LineString" | "LinearRing" => o.parts.push(HashMap::new()),
                "Track" => {
                    let mut m: HashMap<String, Vec<Option<String>>> = HashMap::new();
                    let mut inner = Vec::new();
                    descendants(elems, g, &mut inner);
                    for e in inner {
                        if e.name == "when" {
                            m.entry("times".into())
                                .or_default()
                                .push(Some(e.text.clone()));
                        } else if e.name == "SimpleArrayData" {
                            let name = attr(e, "name").unwrap_or_default().to_string();
                            m.insert(
                                name,
                                children(elems, e)
                                    .filter(|v| v.name == "value")
                                    .map(|v| Some(v.text.clone()))
                                    .collect(),
                            );
                        }
                    }
                    o.parts.push(m);
                }
                _ => {}
            }
        }
        outs.push(o);
    }
    outs
}

/// The column a GPX point's element is read into, as the reader names it.
fn column_of(local: &str) -> String {
    match local {
        "time" => "times".into(),
        "power" => "powers".into(),
        other => format!("{other}s"),
    }
}

/// The per-vertex values of a GPX part's points.
fn gpx_part(elems: &[Elem], pts: &[&Elem]) -> HashMap<String, Vec<Option<String>>> {
    let mut m: HashMap<String, Vec<Option<String>>> = HashMap::new();
    for (i, pt) in pts.iter().enumerate() {
        let mut all = Vec::new();
        descendants(elems, pt, &mut all);
        for e in all
            .into_iter()
            .filter(|e| e.children.is_empty() && e.name != "ele")
        {
            // Heart rate comes from `heart` or `heartrate` alike.
            let cols = match e.name.as_str() {
                "hr" | "heartrate" => vec!["heart".to_string(), "heartrate".to_string()],
                other => vec![column_of(other)],
            };
            for c in cols {
                let col = m.entry(c).or_default();
                col.resize(i, None);
                col.push(Some(e.text.clone()));
            }
        }
    }
    m
}

/// The waypoints, routes and tracks of a GPX output, in document order.
pub fn gpx_outputs(elems: &[Elem]) -> Vec<Out> {
    let Some(root) = elems.iter().find(|e| e.name == "gpx") else {
        return Vec::new();
    };
    let mut outs = Vec::new();
    for e in children(elems, root).filter(|e| ["wpt", "rte", "trk"].contains(&e.name.as_str())) {
        let mut o = Out::default();
        o.props.insert("_gpxType".into(), vec![e.name.clone()]);
        for c in children(elems, e) {
            match c.name.as_str() {
                "name" => o.titles.push(c.text.clone()),
                "desc" => o.descriptions.push(c.text.clone()),
                "time" => o.times.push(c.text.clone()),
                "link" => {
                    let texts = o.props.entry("links".into()).or_default();
                    texts.extend(attr(c, "href").map(str::to_string));
                    texts.extend(children(elems, c).map(|t| t.text.clone()));
                }
                "rtept" | "trkseg" | "extensions" | "ele" => {}
                other => o
                    .props
                    .entry(other.to_string())
                    .or_default()
                    .push(c.text.clone()),
            }
        }
        let segs: Vec<Vec<&Elem>> = match e.name.as_str() {
            "rte" => vec![children(elems, e).filter(|p| p.name == "rtept").collect()],
            "trk" => children(elems, e)
                .filter(|s| s.name == "trkseg")
                .map(|s| children(elems, s).filter(|p| p.name == "trkpt").collect())
                .collect(),
            _ => Vec::new(),
        };
        for pts in segs {
            let part = gpx_part(elems, &pts);
            // A one-point route's or track's time is its feature's.
            o.times
                .extend(part.get("times").into_iter().flatten().flatten().cloned());
            o.parts.push(part);
        }
        outs.push(o);
    }
    outs
}
